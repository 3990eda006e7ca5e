"""Issue 13, the engine half: every case an attack on the library found, as a regression test.

Each test failed on the code before the fix. References are independent of the engine:
closed-form derivatives, finite differences, micrograd's objects, PyTorch where installed.
The drawing and ``nn`` halves live in ``test_hostile_viz.py`` and ``test_hostile_nn.py``.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

import autograd
from autograd import (
    AnomalyError,
    DomainError,
    StaleGraphError,
    Value,
    custom_op,
    detect_anomaly,
    grad,
    gradcheck,
    hessian,
    no_grad,
    value_and_grad,
)
from autograd.extend import Op
from tests.programs import ELEMENTWISE, on_values, spelling

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide"
ENGINE_PAGE = GUIDE / "engine.md"  # the differences from PyTorch at special values
ERRORS_PAGE = GUIDE / "errors.md"  # anomaly mode's example message

# --------------------------------------------------------------------------------------------
# 1. backward() from several threads on graphs that share leaves
# --------------------------------------------------------------------------------------------


@pytest.fixture
def frequent_thread_switches():
    """Make CPython switch threads every few microseconds, so that races show within seconds."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_concurrent_backward_on_graphs_sharing_leaves_is_exact(frequent_thread_switches) -> None:
    rng = random.Random(0)
    params = [Value(rng.uniform(-1, 1)) for _ in range(100)]
    xs = [rng.uniform(-1, 1) for _ in range(100)]
    threads, calls = 4, 50

    def work() -> None:
        for _ in range(calls):  # a new graph every call, over the same leaves
            autograd.sum((p * x).tanh() for p, x in zip(params, xs, strict=True)).backward()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    # d tanh(p x)/dp = (1 - tanh^2(p x)) x, summed over threads * calls calls
    for p, x in zip(params, xs, strict=True):
        expected = threads * calls * (1 - math.tanh(p.data * x) ** 2) * x
        assert p.grad == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_two_threads_calling_backward_on_the_same_graph_add_up_exactly(
    frequent_thread_switches,
) -> None:
    x, w = Value(0.3), Value(-2.0)
    out = autograd.sum([(w * x).sin() for _ in range(50)])
    calls = 40

    def work() -> None:
        for _ in range(calls):
            out.backward()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert w.grad == pytest.approx(2 * calls * 50 * math.cos(-0.6) * 0.3, rel=1e-12)
    assert x.grad == pytest.approx(2 * calls * 50 * math.cos(-0.6) * -2.0, rel=1e-12)


# --------------------------------------------------------------------------------------------
# 2. Repeated argnums, as JAX: each position gets its gradient
# --------------------------------------------------------------------------------------------


def test_repeated_argnums_give_each_position_its_gradient() -> None:
    assert grad(lambda x: x * x, argnums=(0, 0))(3.0) == (6.0, 6.0)
    assert grad(lambda x, y: x * y, argnums=(0, -2))(3.0, 2.0) == (2.0, 2.0)
    value, grads = value_and_grad(lambda x, y: x * y * y, argnums=(1, 0, 1))(3.0, 2.0)
    assert value == 12.0 and grads == (12.0, 4.0, 12.0)
    # d2(x^3)/dx2 = 6x everywhere in the matrix
    assert hessian(lambda x: x * x * x, argnums=(0, 0))(2.0) == [[12.0, 12.0], [12.0, 12.0]]


# --------------------------------------------------------------------------------------------
# 6. .data changed after the forward pass
# --------------------------------------------------------------------------------------------


def test_backward_again_after_the_data_changed_is_refused() -> None:
    x = Value(2.0, label="x")
    y = x.exp() * x
    y.backward()
    first = x.grad
    assert first == pytest.approx(3 * math.exp(2))  # d(x e^x) = (1 + x) e^x
    x.data = 3.0
    with pytest.raises(StaleGraphError, match=r"the leaf 'x' had data 2\.0 .* has 3\.0 now"):
        y.backward()
    assert x.grad == first  # nothing was written
    x.data = 2.0  # back to the graph's values: backward is right again
    y.backward()
    assert x.grad == 2 * first


def test_the_optimizer_trap_step_then_backward_on_the_old_graph_is_refused() -> None:
    from nn import GD

    w = Value(1.5)
    loss = (w * w - 1.0) ** 2
    optimizer = GD([w], lr=0.1)
    loss.backward()
    optimizer.step()
    with pytest.raises(StaleGraphError, match="optimizer step"):
        loss.backward()  # the loss must be recomputed with the new w first


def test_anomaly_mode_catches_data_changed_before_the_first_backward() -> None:
    x = Value(2.0)
    with detect_anomaly():
        y = x.exp() * x  # the line the message names
        x.data = 3.0
        with pytest.raises(AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "had data 2.0 when the node was made and has 3.0 now" in message
    assert "y = x.exp() * x  # the line the message names" in message
    assert x.grad == 0.0


# --------------------------------------------------------------------------------------------
# 9. custom_op with a derivative that returns a float
# --------------------------------------------------------------------------------------------


def test_a_float_only_derivative_is_refused_where_it_would_give_a_wrong_second_derivative() -> None:
    bad_sin = custom_op("bad_sin", lambda x: x.sin(), lambda x: math.cos(x.data))
    assert gradcheck(bad_sin, 0.5)  # first order is right
    with pytest.raises(TypeError, match=r"derivative 0 returned float .* when given Values"):
        grad(grad(bad_sin))(0.5)
    good_sin = custom_op("good_sin", lambda x: x.sin(), lambda x: x.cos())
    assert grad(grad(good_sin))(0.5) == pytest.approx(-math.sin(0.5))
    line = custom_op("line", lambda x: 3 * x, lambda x: Value(3.0))  # a constant, as told
    assert grad(grad(line))(0.5) == 0.0


# --------------------------------------------------------------------------------------------
# 10. no_grad on generator and coroutine functions
# --------------------------------------------------------------------------------------------


def test_no_grad_decorates_generator_functions_for_every_step() -> None:
    @no_grad()
    def doubled(values: list[Value]):
        total = 0
        for v in values:
            received = yield v * 2
            total += received or 0
        return total

    x = Value(1.0)
    gen = doubled([x, x])
    first = next(gen)
    second = gen.send(5)
    assert first._prev == () and second._prev == ()  # recorded nothing
    assert (x * 2)._prev[0] is x  # outside the generator: recording again
    with pytest.raises(StopIteration) as stop:
        gen.send(7)
    assert stop.value.value == 12


def test_no_grad_decorates_coroutine_functions() -> None:
    @no_grad()
    async def doubled(v: Value) -> Value:
        await asyncio.sleep(0)
        return v * 2

    x = Value(1.0)
    assert asyncio.run(doubled(x))._prev == ()
    assert (x * 2)._prev[0] is x


# --------------------------------------------------------------------------------------------
# IEEE edge values: +-inf, NaN, -0.0 through every op
# --------------------------------------------------------------------------------------------

INF, NAN = math.inf, math.nan
SPECIAL = (INF, -INF, NAN, -0.0, 0.0)
ORDINARY = (1.0, -1.0, 2.5)


def _row(op: Op) -> tuple[Callable[[Value], Value], Callable[..., Callable]]:
    ours = on_values(op)
    return (
        lambda x: ours(x, c=op.constant),
        lambda t: lambda a: spelling(op, op.torch, {"torch": t})(a, c=op.constant),
    )


#: Every op of the engine, as (our spelling, PyTorch's spelling given the torch module): each
#: unary row of autograd.ops by name, and the powers with a number whose edges differ.
UNARY: dict[str, tuple[Callable[[Value], Value], Callable[..., Callable]]] = {
    op.name: _row(op) for op in ELEMENTWISE if op.arity == 1
} | {
    "x**2": (lambda x: x**2, lambda t: lambda a: a**2),
    "x**0.5": (lambda x: x**0.5, lambda t: lambda a: a**0.5),
    "x**-1": (lambda x: x**-1, lambda t: lambda a: a**-1),
    "x**0": (lambda x: x**0, lambda t: lambda a: a**0),
}
#: Each binary row of autograd.ops, by its label.
BINARY: dict[str, Callable[[object, object], object]] = {
    op.label: on_values(op) for op in ELEMENTWISE if op.arity == 2
}

#: Where we differ from PyTorch on purpose, besides the domain policy (an operand outside an
#: op's real domain raises, -inf and +-0 included, where PyTorch returns NaN or infinity) and
#: the sign of zero gradients (leaf gradients accumulate into +0.0, so a -0.0 reads +0.0).
#: The same table is in docs/guide/engine.md; the test checks that each entry really differs.
DIFFERENCES = {
    ("relu", NAN): "grad: 0 (the derivative where x > 0 fails); PyTorch 1",
    ("sqrt", -0.0): "grad: +inf (the one-sided limit from the domain); PyTorch -inf",
    ("x**0.5", -0.0): "value +0.0 and grad +inf (C's pow); PyTorch -0.0 and -inf",
    ("0.0 ** nan", "b"): "d/db: 0 (0 ** b is 0 for every b > 0); PyTorch NaN",
    ("-0.0 ** nan", "b"): "d/db: 0, as above; PyTorch NaN",
}


def _ours(f: Callable[..., Value], *xs: float) -> tuple[float, ...] | None:
    """(value, gradients...) by this engine, or None if the domain policy refuses the input."""
    leaves = [Value(x) for x in xs]
    try:
        out = f(*leaves)
        out.backward()
    except (DomainError, ZeroDivisionError):
        return None
    return (out.data, *(float(v.grad) for v in leaves))


def _same(a: float, b: float, *, signed_zero: bool) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if a == 0 and b == 0 and signed_zero:
        return math.copysign(1, a) == math.copysign(1, b)
    return a == b


def _cases():
    for name, (ours, _) in UNARY.items():
        for x in SPECIAL:
            yield name, (x,), ours
    for name, op in BINARY.items():
        for a in SPECIAL + ORDINARY:
            for b in SPECIAL + ORDINARY:
                if a in ORDINARY and b in ORDINARY:
                    continue
                yield name, (a, b), op


def test_every_op_at_every_special_value_returns_ieee_numbers_or_a_domain_error() -> None:
    """No bare ValueError ('math domain error') or other exception from any op at +-inf/NaN."""
    for name, xs, f in _cases():
        result = _ours(f, *xs)  # raises anything but DomainError/ZeroDivisionError: fails
        if result is not None:
            assert all(isinstance(r, float) for r in result), (name, xs, result)
    for op in ("sin", "cos", "tan"):
        for x in (INF, -INF, NAN):
            assert math.isnan(getattr(Value(x), op)().data)
            assert math.isnan(grad(lambda v, op=op: getattr(v, op)())(x))


def test_special_values_agree_with_pytorch_float64_except_the_documented_differences() -> None:
    torch = pytest.importorskip("torch")

    def theirs(f: Callable, *xs: float) -> tuple[float, ...]:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = f(*ts)
        out.backward()
        return (out.item(), *(t.grad.item() for t in ts))

    differing = set()
    for name, xs, f in _cases():
        reference = theirs(UNARY[name][1](torch) if name in UNARY else f, *xs)
        result = _ours(f, *xs)
        if result is None:  # refused by the domain policy: PyTorch must have no finite answer
            assert not all(math.isfinite(r) for r in reference), (name, xs, reference)
            continue
        key = (name, xs[0]) if name in UNARY else (f"{xs[0]} {name} {xs[1]}", "b")
        for i, (a, b) in enumerate(zip(result, reference, strict=True)):
            if not _same(a, b, signed_zero=i == 0):
                differing.add(key if name in UNARY else (key[0], "ab"[i - 1]))
    documented = set(DIFFERENCES)
    assert differing - documented == set(), "undocumented differences from PyTorch"
    assert documented - differing == set(), "documented differences that are not real"


def test_the_engine_guide_lists_the_same_differences_from_pytorch() -> None:
    text = ENGINE_PAGE.read_text(encoding="utf-8")
    for explanation in DIFFERENCES.values():
        assert explanation in text, explanation


# --------------------------------------------------------------------------------------------
# Numbers beyond float range, .grad = None, gradcheck under no_grad, foreign objects
# --------------------------------------------------------------------------------------------


def test_integers_beyond_float_range_are_an_overflow_error_naming_the_op() -> None:
    with pytest.raises(OverflowError, match=r"^Value\(\): an integer of about 401 digits"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"^\*: an integer of about 401 digits"):
        Value(1.0) * 10**400
    with pytest.raises(OverflowError, match=r"^\*\*: an integer of about 5001 digits"):
        Value(2.0) ** -(10**5000)  # beyond Python's 4300-digit int-to-str limit, too


def test_grad_none_counts_as_zero_as_in_pytorch() -> None:
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    out = a * b + c
    a.grad, b.grad, c.grad = None, 1.0, None  # type: ignore[assignment]
    out.backward()
    assert (a.grad, b.grad, c.grad) == (3.0, 3.0, 1.0)
    leaf = Value(1.0)
    leaf.grad = None  # type: ignore[assignment]
    leaf.backward()
    assert leaf.grad == 1.0


def test_a_gradient_that_is_not_a_number_is_refused_before_anything_changes() -> None:
    a, b, c = Value(2.0), Value(3.0), Value(4.0)
    out = a * b * c
    a.grad, b.grad, c.grad = 5.0, "x", 3.0  # type: ignore[assignment]
    with pytest.raises(TypeError, match="a leaf holds grad 'x' of type str"):
        out.backward()
    assert (a.grad, b.grad, c.grad) == (5.0, "x", 3.0)


def test_gradcheck_under_no_grad_checks_the_function() -> None:
    with no_grad():
        assert gradcheck(lambda x: x * x * x, 1.0)


def test_another_librarys_value_in_dot_is_refused_before_any_gradient_is_written() -> None:
    micrograd = pytest.importorskip("micrograd.engine")
    foreign = micrograd.Value(1.5)
    w, b = Value(2.0), Value(0.5)
    out = autograd.dot([foreign], [w], b)  # computes 3.5 from foreign.data
    assert out.data == 3.5
    with pytest.raises(TypeError, match=r"micrograd\.engine\.Value object, not an autograd\.Value"):
        out.backward()
    assert (foreign.grad, w.grad, b.grad) == (0, 0.0, 0.0)
    with pytest.raises(TypeError, match=r"not an autograd\.Value"):
        out.backward(create_graph=True)


# --------------------------------------------------------------------------------------------
# Anomaly mode names the user's line, also for nodes made inside nn
# --------------------------------------------------------------------------------------------


def test_anomaly_mode_names_the_users_line_for_a_node_made_inside_nn() -> None:
    from nn import Neuron

    neuron = Neuron(2, activation="linear")
    for p in neuron.parameters():
        p.data = 1.0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        neuron([1e308, 1e308])  # the neuron's dot overflows: this line is named
    message = str(info.value)
    assert "test_hostile_engine.py:" in message
    assert "neuron([1e308, 1e308])  # the neuron's dot overflows" in message
    assert "nn/module.py" not in message


def test_the_errors_guide_anomaly_example_is_the_message_the_code_prints() -> None:
    text = " ".join(ERRORS_PAGE.read_text(encoding="utf-8").split())
    quoted = re.search(r"`(backward of sqrt: [^`]*)`", text)
    assert quoted is not None
    x = Value(0.0)
    with detect_anomaly():
        r = x.sqrt()
        out = r * 3.0
        with pytest.raises(AnomalyError) as info:
            out.backward()
    actual = str(info.value)
    expected_prefix = quoted.group(1).split("; the node was created at")[0]
    assert actual.startswith(expected_prefix)


# --------------------------------------------------------------------------------------------
# Found by a review of the fixes above
# --------------------------------------------------------------------------------------------


def test_one_no_grad_object_entered_by_several_threads_at_once() -> None:
    shared = no_grad()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            with shared:
                barrier.wait(timeout=10)  # all four inside at the same time
                assert not autograd.is_grad_enabled()
            assert autograd.is_grad_enabled()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []


def test_no_grad_decorates_async_generator_functions() -> None:
    @no_grad()
    async def doubled(values: list[Value]):
        for v in values:
            await asyncio.sleep(0)
            yield v * 2

    async def collect(x: Value) -> list[Value]:
        return [y async for y in doubled([x, x])]

    x = Value(1.0)
    assert [y._prev for y in asyncio.run(collect(x))] == [(), ()]
    assert (x * 2)._prev[0] is x


def test_a_failed_backward_restores_a_none_gradient_as_none() -> None:
    broken = custom_op("broken", lambda x: 2 * x, lambda x: 1 / (x - x))  # fails in backward
    a, b = Value(2.0), Value(3.0)
    out = broken(a) * b
    a.grad, b.grad = None, 5.0  # type: ignore[assignment]
    with pytest.raises(ZeroDivisionError):
        out.backward()
    assert a.grad is None and b.grad == 5.0


def test_a_no_grad_generator_that_keeps_a_block_open_across_yield_leaves_the_caller_alone() -> None:
    @no_grad()
    def gen():
        with autograd.enable_grad():
            yield autograd.is_grad_enabled()
            yield autograd.is_grad_enabled()

    g = gen()
    assert next(g) is True  # inside: the body's enable_grad
    assert autograd.is_grad_enabled()  # the caller: recording, as before the call
    with no_grad():
        next(g)  # (the body's mode on resuming is the decorator's, as with torch.no_grad)
        assert not autograd.is_grad_enabled()  # the caller's own no_grad block holds
    assert autograd.is_grad_enabled()
    g.close()  # the body's block closes inside the decorator's mode: the caller's stays
    assert autograd.is_grad_enabled()


def test_models_graphs_and_functions_pickle_as_before_the_op_table() -> None:
    import pickle

    from nn import MLP

    model = MLP(2, [4, 1], rng=random.Random(0))
    again = pickle.loads(pickle.dumps(model))
    assert repr(again) == repr(model)
    assert again([1.0, 2.0]).data == model([1.0, 2.0]).data
    x = Value(2.0)
    y = (x * x + 1).tanh() - x / 3
    copy = pickle.loads(pickle.dumps(y))
    copy.backward()
    y.backward()
    (leaf,) = {n for n in _nodes(copy) if not n._prev and n.data == 2.0}
    assert copy.data == y.data and leaf.grad == x.grad
    assert pickle.loads(pickle.dumps(autograd.exp))(1.0) == math.e


def _nodes(root: Value) -> list[Value]:
    seen, stack = [], [root]
    while stack:
        node = stack.pop()
        if all(node is not s for s in seen):
            seen.append(node)
            stack.extend(node._prev)
    return seen
