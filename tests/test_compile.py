"""autograd.compile, the contract: a compiled call equals the engine (``loss = fn();
loss.backward()``) bit for bit in python mode, on every op of the table and on random
programs; gradients accumulate like backward(); guards retrace; check, interpret and anomaly
modes; the engine's errors; pickling and copying.
"""

from __future__ import annotations

import copy
import math
import pickle
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings

import autograd
from autograd import (
    CompileMismatch,
    DomainError,
    Value,
    compile,
    detect_anomaly,
)
from autograd.extend import OPS
from tests.compiled import (
    Make,
    assert_same,
    bits,
    check_compile,
    clear_refusal,
    compiled_run,
    engine_bits,
    engine_loss,
)
from tests.oracles import ROWS
from tests.programs import BINARY, FUSED, UNARY, VALUE, Program, programs


def one_op_programs() -> list[tuple[str, Program]]:
    """A program per entry of tests/programs.py (so per row of autograd.ops, via the table)."""
    cases = [(f"unary {n}", Program((0.7,), (("unary", n, 0),))) for n in UNARY]
    cases += [(f"binary {n}", Program((0.7, -1.3), (("binary", n, 0, 1),))) for n in BINARY]
    cases += [(f"fused {n}", Program((0.7, -1.3), (("fused", n, 0, 1, 0),))) for n in FUSED]
    return cases


def test_the_programs_cover_every_row_of_the_table() -> None:
    covered = {name.split()[1] for name, _ in one_op_programs()}
    assert {op.name for op in OPS} <= covered


@pytest.mark.parametrize(("name", "program"), one_op_programs(), ids=lambda x: str(x)[:20])
def test_every_op_compiles_to_the_engines_bits(name: str, program: Program) -> None:
    datas = [list(program.inputs), [v * -0.6 + 0.25 for v in program.inputs], [0.0] * 2]
    datas = [d[: len(program.inputs)] for d in datas]

    def fn(xs: list[Value]) -> Value:
        return program.run(VALUE, xs)

    assert compiled_run(fn, datas) == [engine_bits(fn, d) for d in datas], name


@settings(max_examples=60, deadline=None)
@given(programs(), programs())
def test_random_programs_compile_to_the_engines_bits(program: Program, other: Program) -> None:
    # Replayed on new data (other's inputs, padded): still the engine's bits.
    n = len(program.inputs)
    moved = [*other.inputs, 0.5, -0.25, 1.5][:n]
    datas = [list(program.inputs), moved]

    def fn(xs: list[Value]) -> Value:
        return program.run(VALUE, xs)

    assert compiled_run(fn, datas) == [engine_bits(fn, d) for d in datas]


def neuron() -> tuple[list[Value], Callable[[], Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")

    def fn() -> Value:
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        o = n.tanh()
        o.label = "o"
        return o

    return [x1, x2, w1, w2, b], fn


def test_gradients_accumulate_like_backward() -> None:
    leaves, fn = neuron()
    f = compile(fn)
    for _ in range(3):
        f()
    compiled = [x.grad for x in leaves]
    leaves, fn = neuron()
    for _ in range(3):
        fn().backward()
    assert compiled == [x.grad for x in leaves]
    assert compiled[2] == 3 * compiled[2] / 3 != 0.0


def test_the_source_reads_like_the_chain_rule_and_runs() -> None:
    leaves, fn = neuron()
    f = compile(fn)
    assert f.source == ""
    loss = f()
    source = f.source
    assert "fwd_tanh(" in source and "# tanh 'o': math.tanh(" in source
    assert "# add 'n'" in source and "1.0 - v" in source and "gp1 += " in source
    # one line per op in the forward pass: 2 mul, 2 add, 1 tanh
    forward = source.split("# forward")[1].split("# backward")[0].strip().splitlines()
    assert len(forward) == 5
    # runnable: the text alone, with the rows' functions, gives the engine's numbers
    namespace = {"data": lambda p: p.data, "fwd_tanh": ROWS["tanh"].forward}
    namespace["vjp_tanh"] = ROWS["tanh"].rule
    exec(source, namespace)
    legend = dict(re.findall(r"p(\d+) = '(\w+)'", source))  # P, as the text's legend reads it
    by_name = {v.label: v for v in leaves}
    order = [by_name[legend[str(j)]] for j in range(len(leaves))]
    value, grads = namespace["step"](order)
    assert value == loss == math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.88)
    fresh, fn = neuron()
    fn().backward()
    by_label = {v.label: v.grad for v in fresh}
    assert list(grads) == [by_label[v.label] for v in order]


def test_a_branch_that_flips_mid_training_is_retraced_and_stays_exact() -> None:
    def train(compiled: bool) -> tuple[list[float], int]:
        w, v = Value(1.0), Value(0.5)

        def fn() -> Value:
            if w > 0.3:  # a Python branch on a comparison of Values
                return (w * w + v).tanh()
            return (v - w).relu() + w * 0.1

        f = compile(fn) if compiled else None
        losses = []
        for _ in range(12):
            w.grad = v.grad = 0.0
            if f is None:
                loss = fn()
                loss.backward()
                losses.append(loss.data)
            else:
                losses.append(f())
            w.data -= 0.3 * w.grad  # type: ignore[operator]
            v.data -= 0.3 * v.grad  # type: ignore[operator]
        return losses, 0 if f is None else f.retraces

    reference, _ = train(False)
    losses, retraces = train(True)
    assert list(map(bits, losses)) == list(map(bits, reference))
    assert retraces == 1  # w crossed 0.3 once


def test_check_mode_catches_a_graph_that_depends_on_data_it_reads() -> None:
    w = Value(1.0)
    samples = [1.0, 2.0]

    def fn() -> Value:
        return autograd.sum(w * s for s in samples)

    f = compile(fn, check=True)
    assert f() == 3.0 and f() == 3.0
    samples.append(3.0)  # a different number of samples: a precondition of compile(fn)
    with pytest.raises(CompileMismatch, match="no longer builds the graph"):
        f()


def test_anomaly_mode_and_interpret_mode_run_the_engine() -> None:
    calls = []
    w = Value(2.0)

    def fn() -> Value:
        calls.append(1)
        return w * w

    f = compile(fn)
    f()
    f()
    assert len(calls) == 1  # traced once, replayed once
    with detect_anomaly():
        assert f() == 4.0
    assert len(calls) == 2
    g = compile(fn, mode="interpret")
    g()
    g()
    assert len(calls) == 4


def test_a_domain_error_on_replay_is_the_engines_error() -> None:
    x = Value(2.0)
    f = compile(lambda: x.log())
    f()
    x.data = -1.0
    with pytest.raises(DomainError, match=r"log: operand must be > 0, got Value\(data=-1.0"):
        f()


def test_long_sums_and_dots_keep_the_engines_order_and_bits() -> None:
    # 3,000 terms: written over many lines (one line would overflow Python's compiler)
    data = [math.sin(k) * 3.0 for k in range(3000)]

    def fn(xs: list[Value]) -> Value:
        squares = autograd.sum(x * x for x in xs)
        return squares + autograd.dot(xs[:1500], xs[1500:], xs[0]).tanh()

    moved = [v * 0.5 - 0.1 for v in data]
    assert compiled_run(fn, [data, moved]) == [engine_bits(fn, data), engine_bits(fn, moved)]


def test_the_compile_guide_shows_the_source_its_example_prints(capsys) -> None:
    import builtins
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "guide" / "compile.md"
    text = page.read_text(encoding="utf-8")
    section = text[text.index("# Compile: trace once") :]
    example, printed = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    exec(builtins.compile(example, str(page), "exec"), {"__name__": "docs"})
    assert capsys.readouterr().out.rstrip("\n") == printed.rstrip("\n")


def test_a_program_that_fails_runs_the_engine_and_keeps_the_program() -> None:
    """A domain error on replay is the engine's error, naming the operand; the traced program
    stays and serves the next call."""
    w = Value(2.0)
    f = compile(lambda: w.log())
    assert f() == math.log(2.0)
    w.data, w.grad = -1.0, 0.5
    with pytest.raises(autograd.DomainError, match=r"log: operand must be > 0, got Value"):
        f()
    assert w.grad == 0.5
    w.data = 4.0
    assert f() == math.log(4.0) and w.grad == 0.5 + 0.25 and f.retraces == 0


def test_a_domain_error_the_loss_does_not_depend_on_is_still_raised() -> None:
    w = Value(1.0)
    f = compile(lambda: autograd.grad(lambda t: t.log())(w))  # d log(t)/dt = 1/t
    assert f() == 1.0
    w.data, w.grad = -1.0, 0.0
    with pytest.raises(DomainError):  # the engine: log of -1.0 while evaluating the function
        engine_loss(lambda: autograd.grad(lambda t: t.log())(w))
    w.grad = 0.0
    with pytest.raises(DomainError):  # compiled: returns -1.0 and writes w.grad
        f()
    assert w.grad == 0.0


def test_a_deep_copy_of_a_compiled_function_writes_the_gradients_fn_reaches() -> None:
    w, x = Value(0.5), Value(2.0)
    f = compile(lambda: (w * x).tanh())
    f()
    w.grad = 0.0
    g = copy.deepcopy(f)
    try:
        g()
    except Exception as error:
        assert clear_refusal(error), error
        return
    # fn() reads and differentiates w; the copy writes into copies of w and x (w.grad 0.0)
    v, y = Value(0.5), Value(2.0)
    engine_loss(lambda: (v * y).tanh())
    assert bits(w.grad) == bits(v.grad)


W_PICKLE = Value(0.5)


def square() -> Value:
    return W_PICKLE * W_PICKLE


def test_a_traced_compiled_function_pickles_like_an_untraced_one_or_refuses_clearly() -> None:
    f = compile(square)
    pickle.loads(pickle.dumps(f))  # untraced: it pickles
    f()
    try:
        g = pickle.loads(pickle.dumps(f))
    except Exception as error:  # compiled: PicklingError about a function 'step'
        assert clear_refusal(error), repr(error)
    else:
        W_PICKLE.grad = 0.0
        assert g() == 0.25 and W_PICKLE.grad == 1.0


def leaky_penalty() -> tuple[list[Value], Callable[[], Value]]:
    w = Value(1.0, label="w")

    def fn() -> Value:
        x = Value(2.0)
        y = (w * x).leaky_relu(0.1)
        (dx,) = autograd.gradients(y, [x], create_graph=True)  # leaky_relu's rule branches
        return y + dx * dx  # type: ignore[operator]

    return [w], fn


def power_and_its_exponent_gradient() -> tuple[list[Value], Callable[[], Value]]:
    a = Value(0.0, label="a")

    def fn() -> Value:
        b = Value(3.0)
        y = a**b
        (db,) = autograd.gradients(y, [b], create_graph=True)  # 0 at a == 0, a^b log a else
        return y + db  # type: ignore[operator]

    return [a], fn


@pytest.mark.parametrize(
    ("make", "datas"),
    [(leaky_penalty, [[1.0], [-1.0], [0.5]]), (power_and_its_exponent_gradient, [[0.0], [2.0]])],
    ids=["leaky_relu penalty", "a**b and d/db"],
)
def test_a_gradient_taken_inside_the_program_follows_its_rules_branches(
    make: Make, datas: list[list[float]]
) -> None:
    """A gradient inside fn replayed its rule's traced branch: 0.8, not -0.19; 8.0, not 13.55."""
    check_compile(make, datas)


def tanh_unit() -> tuple[list[Value], Callable[[], Value]]:
    w, b = Value(1.5, label="w"), Value(-0.5, label="b")
    return [w, b], lambda: (w * w + b).tanh()


def test_a_compiled_call_under_no_grad_writes_no_gradient() -> None:
    """Compiled calls ignored no_grad (added into .grad); a first call under it: AssertionError."""
    data = [1.5, -0.5]
    check_compile(neuron, [data, data, data, data], enabled=[True, False, True, False])
    check_compile(neuron, [data, [0.5, 0.25], data], enabled=[False, True, True])


def leaf_itself() -> tuple[list[Value], Callable[[], Value]]:
    p = Value(2.0, label="p")
    return [p], lambda: p


def branch_returning_its_input() -> tuple[list[Value], Callable[[], Value]]:
    q = Value(3.0, label="q")
    return [q], lambda: q if q > 0 else q * 2.0


def loop_running_zero_times() -> tuple[list[Value], Callable[[], Value]]:
    r = Value(3.0, label="r")

    def fn() -> Value:
        out = r
        for _ in range(0):
            out = out * 2.0
        return out

    return [r], fn


@pytest.mark.parametrize(
    ("make", "datas"),
    [
        (leaf_itself, [[2.0], [2.0], [-1.0]]),
        (branch_returning_its_input, [[3.0], [3.0], [-1.0], [3.0]]),
        (loop_running_zero_times, [[3.0], [3.0]]),
    ],
    ids=["lambda: p", "branch returning its input", "zero-trip loop"],
)
def test_a_loss_that_is_a_leaf_adds_one_to_its_grad_like_backward(
    make: Make, datas: list[list[float]]
) -> None:
    """A leaf as the loss: bare AssertionError after adding into .grad (a retry doubled it)."""
    check_compile(make, datas)
    # and twice without zeroing: 2.0, as two p.backward() calls give
    (p,), fn = make()
    f = compile(fn)
    for _ in range(2):
        assert f() == p.data
    assert p.grad == 2.0


def test_check_mode_raises_the_engines_errors_never_the_internal_out_of_domain() -> None:
    """check=True leaked the internal OutOfDomain ("log: operand must be > 0, got {0}")."""
    # a guarded branch: at x = -1 the engine takes x * 1.0; the traced log(x) must not leak
    x, twin = Value(2.0), Value(2.0)
    f = compile(lambda: x.log() if x > 0 else x * 1.0, check=True)
    f()
    x.data = twin.data = -1.0
    x.grad = twin.grad = 0.0
    got = f()
    loss = twin.log() if twin > 0 else twin * 1.0
    loss.backward()
    assert_same([got, x.grad], [loss.data, twin.grad])  # type: ignore[list-item]
    # a branch on .data (the precondition broken): the engine's answer or CompileMismatch
    y = Value(2.0)
    g = compile(lambda: y.log() if y.data > 0 else y * 1.0, check=True)
    g()
    y.data, y.grad = -1.0, 0.0
    try:
        assert g() == -1.0 and y.grad == 1.0
    except CompileMismatch:
        assert y.grad == 0.0
    # the engine raises: its error, naming the operands
    z = Value(2.0)
    h = compile(lambda: 1.0 / (z - 1.0), check=True)
    h()
    z.data = 1.0
    with pytest.raises(ZeroDivisionError, match=r"division by zero \(Value\(data=1.0"):
        h()
    w = Value(2.0)
    k = compile(lambda: w.log(), check=True)
    k()
    w.data = -1.0
    with pytest.raises(DomainError, match=r"got Value\(data=-1.0"):
        k()


GRAPHS: dict[str, Callable[[Value], Value]] = {
    "x ** 2": lambda x: x**2,
    "2 ** x": lambda x: 2**x,
    "x.leaky_relu(0.1)": lambda x: x.leaky_relu(0.1),
    "all three": lambda x: (x**2 * 2**x).leaky_relu(0.1) + x.leaky_relu(0.1),
}


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("data", [-0.7, 1.3])
def test_a_pickled_graph_gives_the_same_gradients(graph: str, data: float) -> None:
    """pickle.dumps of a graph with x**2, 2**x or x.leaky_relu(0.1) failed (a local rule)."""
    x = Value(data, label="x")
    y = GRAPHS[graph](x)
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    y.backward()
    y2.backward()
    assert_same([y2.data, x2.grad], [y.data, x.grad])  # type: ignore[list-item]


def test_bool_of_a_value_is_the_truth_of_its_data() -> None:
    """bool(Value(0.0)) was True, so `if x:` took the wrong branch; by value, like PyTorch/JAX."""
    assert bool(Value(0.0)) is False
    assert bool(Value(-0.0)) is False
    assert bool(Value(2.0)) is True
    assert bool(Value(-3.0)) is True
    assert bool(Value(math.nan)) is True
    assert bool(Value(1.0) - 1.0) is False


def test_an_if_on_a_value_is_a_guarded_branch_under_compile() -> None:
    """`if x:` on a Value under compile is a guarded branch: when it flips, still the engine."""
    w, twin = Value(1.0, label="w"), Value(1.0, label="w")

    def program(v: Value, by_value: bool) -> Value:
        d = v - 1.0
        taken = d.data != 0.0 if by_value else d  # the reference branches on the float
        return v * v if taken else v * 3.0

    f = compile(lambda: program(w, False))
    for data in (1.0, 2.0, 1.0, 0.5, 1.0):
        w.data = twin.data = data
        w.grad = twin.grad = 0.0
        got = f()
        loss = program(twin, True)
        loss.backward()
        assert_same([got, w.grad], [loss.data, twin.grad])  # type: ignore[list-item]
