"""What a trace cannot replay: refused with a clear error (a TypeError or ValueError naming
compile) before any ``.grad`` is written, or replayed as the engine would run it: nodes made
under no_grad or before fn, backward passes and compiled calls inside fn, guard flips into
refused branches, nodes fn keeps, gradients that are not numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

import autograd
from autograd import (
    CompileMismatch,
    Value,
    compile,
    compile_mean,
    custom_op,
)
from tests.compiled import (
    bits,
    clear_refusal,
    engine_loss,
    engine_mean_loss,
)


def test_an_operation_outside_the_table_is_refused_by_name() -> None:
    cube = autograd.custom_op("cube", lambda x: x * x * x, lambda x: 3 * x * x)
    x = Value(2.0)
    with pytest.raises(TypeError, match=r"'cube'.*not an operation of autograd\.ops"):
        compile(lambda: cube(x))()
    with pytest.raises(ValueError, match="mode must be"):
        compile(lambda: x, mode="numpy")


def test_values_computed_under_no_grad_inside_fn_are_refused_before_anything_is_written() -> None:
    """A target computed under no_grad inside fn depends on the parameters: a replay would
    freeze it. compile refuses it by name, and the call leaves .grad as it was."""
    w, x = Value(0.5), Value(2.0)

    def fn() -> Value:
        with autograd.no_grad():
            target = (w * x).tanh()  # a leaf whose value the next call would recompute
        return (w * x - target) ** 2

    w.grad = 0.25
    with pytest.raises(TypeError, match=r"compile: .*under no_grad\(\).*freeze"):
        compile(fn)()
    assert w.grad == 0.25 and x.grad == 0.0


def test_a_node_computed_before_fn_is_refused_and_the_gradients_are_restored() -> None:
    """w2 = w * w made outside fn: the engine reuses its old value while a replay would
    recompute it; the first call is refused by name, every .grad as it was."""
    w, x = Value(3.0), Value(2.0)
    w2 = w * w
    w.grad = x.grad = None
    with pytest.raises(TypeError, match=r"computed before it was called"):
        compile(lambda: w2 * x)()
    assert w.grad is None and x.grad is None
    with pytest.raises(TypeError, match=r"computed before it was called"):
        compile_mean(lambda xs: w2 * xs[0])([[1.0]])
    assert w.grad is None


def make_backward_inside() -> tuple[list[Value], Callable[[], Value]]:
    w, x = Value(0.5), Value(2.0)

    def fn() -> Value:
        penalty = (w * x).tanh()
        penalty.backward()  # gradient accumulation inside the step
        return w * w

    return [w, x], fn


def test_a_backward_call_inside_fn_is_replayed_or_refused() -> None:
    mine, fn = make_backward_inside()
    theirs, reference = make_backward_inside()
    f = compile(fn)
    for data in ([0.5, 2.0], [0.7, 1.0]):
        for leaves in (mine, theirs):
            for leaf, v in zip(leaves, data):
                leaf.data, leaf.grad = v, 0.0
        want = engine_loss(reference)
        try:
            got = f()
        except Exception as error:
            assert clear_refusal(error), error
            return
        # second call: engine x.grad 0.444..., compiled 0.0 (the inner backward is skipped)
        assert list(map(bits, [got, *(p.grad for p in mine)])) == list(
            map(bits, [want, *(p.grad for p in theirs)])
        )


def make_float_gradient_inside() -> tuple[list[Value], Callable[[], Value]]:
    w = Value(0.5)

    def fn() -> Value:
        y = (w * 3.0).tanh()
        (g,) = autograd.gradients(y, [w])  # a float: d y / d w at this call's w
        return y + g * w

    return [w], fn


def test_a_first_order_gradient_taken_inside_fn_is_not_frozen() -> None:
    mine, fn = make_float_gradient_inside()
    theirs, reference = make_float_gradient_inside()
    f = compile(fn)
    for data in (0.5, 0.9):
        for leaf in (*mine, *theirs):
            leaf.data, leaf.grad = data, 0.0
        want = engine_loss(reference)
        try:
            got = f()
        except Exception as error:  # refusing it, as values made under no_grad are, is fine
            assert clear_refusal(error), error
            assert mine[0].grad == 0.0
            return
        # w = 0.9: engine 1.0393..., compiled 1.4789... (the first call's gradient, frozen)
        assert [bits(got), bits(mine[0].grad)] == [bits(want), bits(theirs[0].grad)]


def test_check_mode_leaves_no_gradient_behind_when_it_finds_a_mismatch() -> None:
    w, v, x = Value(1.0), Value(2.0), Value(3.0)

    def fn() -> Value:
        return w * x if w.data > 0 else v * x  # a branch on .data: what check=True is for

    f = compile(fn, check=True)
    f()
    w.data = -1.0
    for p in (w, v, x):
        p.grad = 0.0
    with pytest.raises(CompileMismatch):  # "nothing was written", says its message
        f()
    assert [w.grad, v.grad, x.grad] == [0.0, 0.0, 0.0]  # v.grad is 3.0


def test_a_refused_node_made_before_fn_keeps_its_gradient() -> None:
    w, x = Value(1.5), Value(2.0)
    w2 = w * w
    f = compile(lambda: w2 * x)
    with pytest.raises(TypeError, match="compile"):
        f()
    assert [w.grad, x.grad, w2.grad] == [0.0, 0.0, 0.0]  # w2.grad is 2.0


def double_rule(x: Value) -> Value:
    return Value(2.0)


double = custom_op("double", lambda x: x * 2.0, double_rule)


def test_a_compiled_function_called_inside_fn_is_replayed_or_refused() -> None:
    """``inner()`` adds d(u*u)/du into u.grad on every call (and its result is a float the
    outer graph uses as a constant). Once ``inner`` is traced, ``compile(outer)`` sees no
    backward pass inside (a replay calls no engine code) and writes a program that never
    calls ``inner``: u.grad is not added again, and u's new value never reaches the loss."""

    def make() -> tuple[Value, Value, Callable[[], Value]]:
        u, v = Value(0.5), Value(2.0)
        inner = compile(lambda: u * u)
        inner()  # traced before the outer function is
        u.grad = 0.0

        def outer() -> Value:
            return v * inner()

        return u, v, outer

    u, v, outer = make()
    u2, v2, reference = make()
    f = compile(outer)
    for data in (0.5, 0.5, 0.75):
        u.data = u2.data = data
        loss = reference()
        loss.backward()
        before = (u.grad, v.grad)
        try:
            got = f()
        except Exception as error:
            assert clear_refusal(error), error
            assert (u.grad, v.grad) == before  # compiled, untraced inner: u.grad written
            return
        # third call: engine loss 1.125, u.grad 3.0; compiled loss 0.5, u.grad 1.0
        assert [bits(got), bits(u.grad), bits(v.grad)] == [
            bits(loss.data),
            bits(u2.grad),
            bits(v2.grad),
        ]


def test_a_compiled_function_called_inside_compile_means_example_is_replayed() -> None:
    u, s = Value(0.5), Value(3.0)
    inner = compile(lambda: u * u)
    inner()
    f = compile_mean(lambda xs: xs[0] * s * inner(), mode="python")
    rows = [[1.0], [2.0]]
    u.grad = s.grad = 0.0
    # the engine calls inner() once per example (u.grad 2.0); the replay never did (0.0):
    # a compiled call inside a traced function is refused, before anything is written
    with pytest.raises(TypeError, match=r"compile: the function ran a compiled function"):
        f(rows)
    assert (u.grad, s.grad) == (0.0, 0.0)


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_a_guard_flip_into_a_custom_op_raises_before_writing_any_gradient(mode: str) -> None:
    """The flipped example runs on the engine (which writes w.grad), then is traced again;
    the trace refuses the custom op, raising after the gradients were written. Every call
    of that batch then raises again and adds its gradients again."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    w = Value(1.0)

    def example(xs: list[Value]) -> Value:
        h = xs[0] * w
        if h > 0:
            return h * h
        return double(h)

    f = compile_mean(example, mode=mode)
    f([[1.0], [2.0]])
    w.grad = 0.0
    try:
        f([[1.0], [-2.0]])
    except Exception as error:
        assert clear_refusal(error), error
        assert w.grad == 0.0  # compiled: -1.0, the engine's gradient of the refused call
    else:
        want = w.grad
        w.grad = 0.0
        engine_mean_loss(example, [[1.0], [-2.0]])
        assert bits(want) == bits(w.grad)


def test_a_guard_flip_in_extra_into_a_refused_branch_raises_before_writing() -> None:
    w = Value(1.0)

    def extra() -> Value:
        if w > 0:
            return w * w
        return double(w)

    f = compile_mean(lambda xs: xs[0] * w, extra=extra, mode="python")
    f([[1.0]])
    w.data, w.grad = -1.0, 0.0
    with pytest.raises(TypeError, match="compile"):
        f([[1.0]])
    assert w.grad == 0.0  # compiled: 3.0 written by the engine before the refusal


def test_a_guard_flip_into_a_no_grad_value_raises_before_writing() -> None:
    v = Value(2.0)

    def example(xs: list[Value]) -> Value:
        h = xs[0] * v
        if h > 0:
            return h * h
        with autograd.no_grad():
            k = v * 3.0
        return h * k

    f = compile_mean(example, mode="python")
    f([[1.0]])
    v.grad = 0.0
    with pytest.raises(TypeError, match="compile"):
        f([[-1.0]])
    assert v.grad == 0.0  # compiled: -6.0


def test_a_node_fn_caches_on_its_first_call_is_refused_or_replayed_as_the_engine() -> None:
    """On the second call the cached node was computed before fn was called: the engine
    reuses its old value, the replay recomputes it (compile refuses such a node when it
    was made before the first call, not when it was made during the trace)."""

    def make() -> tuple[Value, Callable[[], Value]]:
        w = Value(0.5)
        cache: list[Value] = []

        def fn() -> Value:
            if not cache:
                cache.append(w * w)
            return cache[0] * 2.0

        return w, fn

    w, fn = make()
    f = compile(fn)
    # the replay recomputed the cached node (loss 1.62 where the engine reused 0.5): a node
    # the function keeps is refused at its first call, every .grad as it was
    with pytest.raises(TypeError, match=r"compile: the function keeps Value"):
        f()
    assert w.grad == 0.0


def test_a_refused_backward_pass_inside_fn_leaves_no_gradient_written() -> None:
    w, v = Value(0.5), Value(2.0)

    def fn() -> Value:
        inner = w * w
        inner.backward()  # refused by compile: a backward pass in floats inside fn
        return v * 3.0

    with pytest.raises(TypeError, match="compile"):
        compile(fn)()
    assert (w.grad, v.grad) == (0.0, 0.0)  # compiled: w.grad 1.0 left by the refused call


@pytest.mark.parametrize("target", ["compile", "python", "numpy"])
@pytest.mark.parametrize("bad", [0, 1])
def test_a_gradient_that_is_not_a_number_is_refused_before_any_is_written(
    target: str, bad: int
) -> None:
    """A non-number .grad on one parameter failed after the other gradients were written."""
    if target == "numpy":
        pytest.importorskip("numpy")
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    if target == "compile":
        f = compile(lambda: a * b)

        def call() -> object:
            return f()
    else:
        g = compile_mean(lambda xs: a * b * xs[0], mode=target)  # type: ignore[arg-type]

        def call() -> object:
            return g([[1.0], [2.0]])

    call()  # traced (and compiled) with good gradients
    a.grad, b.grad = 0.5, 0.5
    [a, b][bad].grad = "x"  # type: ignore[assignment]
    before = [a.grad, b.grad]
    with pytest.raises(TypeError, match="grad"):
        call()
    assert [a.grad, b.grad] == before
    # the engine: the same refusal, nothing changed
    with pytest.raises(TypeError, match="grad 'x'"):
        (a * b).backward()
    assert [a.grad, b.grad] == before
