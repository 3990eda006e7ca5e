"""The engine (autograd.engine): Value, make_node and backward, bad input beside good.

References are independent of the engine: sympy's symbolic derivatives, finite differences,
closed forms. Each row of the op table against every oracle is tests/test_ops.py.
"""

from __future__ import annotations

import math
import random
import sys
import threading

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import DomainError, StaleGraphError, Value, custom_op
from tests.programs import close

X, Y = sp.symbols("x y", real=True)


# name -> (the engine's spelling, the same function in sympy, the interval to sample): the
# operators with a number on either side and the special exponents, which are not rows of the
# table (each row is checked against every oracle in tests/test_ops.py).
WITH_A_NUMBER = {
    "square": (lambda v: v**2, lambda s: s**2, (-5, 5)),
    "inverse": (lambda v: v**-1, lambda s: s**-1, (0.2, 5)),
    "pow_half": (lambda v: v**0.5, lambda s: s**0.5, (0.05, 5)),
    "radd": (lambda v: 1.5 + v, lambda s: 1.5 + s, (-5, 5)),
    "rsub": (lambda v: 1.5 - v, lambda s: 1.5 - s, (-5, 5)),
    "rmul": (lambda v: 1.5 * v, lambda s: 1.5 * s, (-5, 5)),
    "rdiv": (lambda v: 1.5 / v, lambda s: 1.5 / s, (0.2, 5)),
}


def central_difference(f, xs: list[float], i: int, h: float = 1e-6) -> float:
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize("name", sorted(WITH_A_NUMBER))
@settings(max_examples=30, deadline=None)
@given(u=st.floats(0, 1))
def test_an_operator_with_a_number_against_sympy_and_finite_diffs(name: str, u: float) -> None:
    op, symbolic, (lo, hi) = WITH_A_NUMBER[name]
    x = lo + (hi - lo) * u
    v = Value(x)
    out = op(v)
    out.backward()

    expr = symbolic(X)
    assert close(out.data, float(expr.subs(X, x)), rel=1e-12, abs_=1e-12)
    assert close(v.grad, float(sp.diff(expr, X).subs(X, x)), rel=1e-10, abs_=1e-12)
    fd = central_difference(lambda t: op(Value(t)).data, [x], 0)
    assert close(v.grad, fd, rel=1e-5, abs_=1e-6)


# -- backward semantics --------------------------------------------------------------------


def test_a_node_used_twice_gets_the_sum_of_its_paths() -> None:
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    shared = b * b
    (shared * shared + shared).backward()  # d/db (b^4 + b^2) = 4b^3 + 2b
    assert b.grad == 4 * 27 + 6


def test_leaf_gradients_accumulate_and_interior_ones_do_not() -> None:
    x, w = Value(1.5), Value(-2.0)
    hidden = (w * x).tanh()
    out = hidden * hidden + x
    out.backward()
    once = (x.grad, w.grad, hidden.grad)
    out.backward()
    assert (x.grad, w.grad) == (2 * once[0], 2 * once[1])
    assert hidden.grad == once[2]  # recomputed, not doubled


def test_two_backward_calls_give_exactly_twice_when_a_leaf_has_several_paths() -> None:
    # Found by the fuzzer: adding each path's share to .grad one by one on the second call
    # rounds differently from adding the first call's total once.
    x = Value(1.0)
    out = x + abs(x) + x.cos()
    out.backward()
    once = x.grad
    out.backward()
    assert x.grad == 2 * once  # exactly, as PyTorch


def test_backward_with_a_seed_scales_every_gradient() -> None:
    x = Value(2.0)
    y = x.exp()
    y.backward(3.0)
    assert x.grad == 3.0 * math.exp(2.0)


def test_a_failing_backward_leaves_every_leaf_gradient_as_it_was() -> None:
    x = Value(2.0)
    (x * x).backward()
    broken = Value(1.0, (x,), "op")  # made by hand, without a rule
    with pytest.raises(TypeError, match="no local-gradient rule"):
        (broken * x + x).backward()
    assert x.grad == 4.0
    with autograd.detect_anomaly(), pytest.raises(TypeError):
        (broken * x).backward()
    assert x.grad == 4.0


def test_a_value_seed_is_taken_by_its_value() -> None:
    x = Value(2.0)
    (x * x).backward(Value(3.0))
    assert x.grad == 12.0


def test_a_number_base_is_a_constant_of_the_node() -> None:
    x = Value(0.5)
    y = 0**x
    assert y._prev == (x,) and y.data == 0.0
    with autograd.detect_anomaly():
        y.backward()  # no gradient for the constant 0, so no infinite one to report
    assert x.grad == 0.0
    z = Value(2.0)
    (3.0**z).backward()
    assert z.grad == 9.0 * math.log(3.0)


def test_backward_on_a_leaf_accumulates_the_seed() -> None:
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


# -- micrograd compatibility ----------------------------------------------------------------


def test_micrograd_attributes_and_repr() -> None:
    a = Value(2.0, label="a")
    b = a * 3 + 1
    assert repr(b) == "Value(data=7.0, grad=0.0)"
    assert b._op == "+" and len(b._prev) == 2 and a in b._prev[0]._prev
    assert a.label == "a" and a._op == "" and a._prev == ()
    assert Value(3)._prev == () and isinstance(Value(3).data, float)
    assert float(b) == 7.0


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1.0", None, 1 + 2j, [1.0], {"x": 1}, Value(1.0)])
def test_value_rejects_what_is_not_a_real_number(bad: object) -> None:
    with pytest.raises(
        TypeError, match=f"Value\\(\\) expects a real number, got {type(bad).__name__}"
    ):
        Value(bad)  # type: ignore[arg-type]


def test_value_accepts_other_real_numbers() -> None:
    from fractions import Fraction

    assert Value(Fraction(1, 4)).data == 0.25
    assert Value(True).data == 1.0
    assert type(Value(7).data) is float


@pytest.mark.parametrize("bad", ["a", None, 1j, [1]])
def test_arithmetic_with_a_non_number_is_a_type_error(bad: object) -> None:
    v = Value(1.0)
    for op in (lambda: v + bad, lambda: bad * v, lambda: v / bad, lambda: v**bad, lambda: bad - v):
        with pytest.raises(TypeError, match="'Value'"):  # Python's own message names both types
            op()


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value(0.0).log(), DomainError, r"log: operand must be > 0, got Value\(data=0.0"),
        (lambda: Value(-1.0).log(), DomainError, r"log: operand must be > 0, got Value\(data=-1.0"),
        (
            lambda: Value(-1.0).sqrt(),
            DomainError,
            r"sqrt: operand must be >= 0, got Value\(data=-1.0",
        ),
        (
            lambda: Value(-8.0) ** (1 / 3),
            DomainError,
            "negative base -8.0 to the non-integer power",
        ),
        (lambda: Value(-8.0) ** Value(0.5), DomainError, "negative base -8.0"),
        (lambda: (-8.0) ** Value(0.5), DomainError, "negative base -8.0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, "0 raised to the negative power -1.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"/: division by zero \(Value\(data=1.0"),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, "division by zero"),
    ],
)
def test_domain_errors_name_the_op_and_operand(make, error, message) -> None:
    with pytest.raises(error, match=message):
        make()


def test_domain_error_is_a_value_error_and_never_complex() -> None:
    assert issubclass(DomainError, ValueError)
    assert isinstance((Value(-8.0) ** 3).data, float)  # integer powers of negatives are fine
    assert (Value(-8.0) ** 3).data == -512.0


def test_overflow_gives_infinity_consistently() -> None:
    assert Value(1000.0).exp().data == math.inf
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf
    assert (Value(1e308) * 10).data == math.inf
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_nan_flows_through() -> None:
    assert math.isnan(Value(math.nan).log().data)
    assert math.isnan(Value(math.nan).sqrt().data)


def test_infinite_derivatives_are_infinity() -> None:
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf
    y = Value(0.0)
    (y**0.5).backward()
    assert y.grad == math.inf
    z = Value(0.0)
    (z**0).backward()
    assert z.grad == 0.0


def test_pow_with_a_value_exponent_follows_pytorch_at_the_edges() -> None:
    base, exponent = Value(0.0), Value(2.0)
    (base**exponent).backward()
    assert (base.grad, exponent.grad) == (0.0, 0.0)
    base, exponent = Value(-2.0), Value(3.0)
    (base**exponent).backward()
    assert base.grad == 12.0 and math.isnan(exponent.grad)  # d/db (-2)^b is not real


def test_hand_made_node_without_a_rule_fails_clearly() -> None:
    a = Value(1.0)
    out = Value(2.0, (a,), "custom")
    with pytest.raises(TypeError, match="no local-gradient rule"):
        out.backward()


# -- backward from several threads on graphs that share leaves -------------------------------


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


# -- a stale graph: .data changed since the graph last ran backward --------------------------


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


# -- more bad input: huge integers, .grad = None or not a number, foreign objects ------------


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


def test_a_failed_backward_restores_a_none_gradient_as_none() -> None:
    broken = custom_op("broken", lambda x: 2 * x, lambda x: 1 / (x - x))  # fails in backward
    a, b = Value(2.0), Value(3.0)
    out = broken(a) * b
    a.grad, b.grad = None, 5.0  # type: ignore[assignment]
    with pytest.raises(ZeroDivisionError):
        out.backward()
    assert a.grad is None and b.grad == 5.0


# -- pickling --------------------------------------------------------------------------------


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
