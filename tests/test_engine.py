"""The engine against independent oracles: sympy's symbolic derivatives and finite differences."""

from __future__ import annotations

import contextvars
import gc
import math
import threading
import weakref
from collections.abc import Callable
from typing import Any

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import DomainError, Value, no_grad
from autograd.extend import OPS, Op
from tests.programs import ELEMENTWISE, VALUE, close, on_values, programs, spelling

X, Y = sp.symbols("x y", real=True)


def _unary_row(op: Op) -> tuple[Callable[[Any], Any], Callable[[Any], Any], tuple[float, float]]:
    c = op.constant
    symbolic = spelling(op, op.sympy, {"sp": sp})
    return (
        lambda v: on_values(op)(v, c=c),
        lambda s: symbolic(s, c=None if c is None else sp.Float(c)),
        op.domain,
    )


# name -> (the engine's op, the same function in sympy, the interval to sample): every unary
# row of the table (autograd.ops), and the spellings with a number on either side.
UNARY_OPS = {op.name: _unary_row(op) for op in ELEMENTWISE if op.arity == 1} | {
    "square": (lambda v: v**2, lambda s: s**2, (-5, 5)),
    "inverse": (lambda v: v**-1, lambda s: s**-1, (0.2, 5)),
    "pow_half": (lambda v: v**0.5, lambda s: s**0.5, (0.05, 5)),
    "radd": (lambda v: 1.5 + v, lambda s: 1.5 + s, (-5, 5)),
    "rsub": (lambda v: 1.5 - v, lambda s: 1.5 - s, (-5, 5)),
    "rmul": (lambda v: 1.5 * v, lambda s: 1.5 * s, (-5, 5)),
    "rdiv": (lambda v: 1.5 / v, lambda s: 1.5 / s, (0.2, 5)),
}

# name -> (the op, each operand's interval): every binary row of the table.
BINARY_OPS = {
    op.name: (lambda a, b, op=op: on_values(op)(a, b), op.domain, op.domain)
    for op in ELEMENTWISE
    if op.arity == 2
}


def central_difference(f, xs: list[float], i: int, h: float = 1e-6) -> float:
    up, down = list(xs), list(xs)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def kink_free(name: str, x: float) -> bool:
    """Away from the points where an op has no derivative (its row's ``kinks``)."""
    kinks = OPS[name].kinks if name in OPS else ()
    return all(abs(x - k) > 1e-3 for k in kinks)


@pytest.mark.parametrize("name", sorted(UNARY_OPS))
@settings(max_examples=30, deadline=None)
@given(u=st.floats(0, 1))
def test_unary_op_against_sympy_and_finite_differences(name: str, u: float) -> None:
    op, symbolic, (lo, hi) = UNARY_OPS[name]
    x = lo + (hi - lo) * u
    assume(kink_free(name, x))
    v = Value(x)
    out = op(v)
    out.backward()

    expr = symbolic(X)
    assert close(out.data, float(expr.subs(X, x)), rel=1e-12, abs_=1e-12)
    assert close(v.grad, float(sp.diff(expr, X).subs(X, x)), rel=1e-10, abs_=1e-12)
    fd = central_difference(lambda t: op(Value(t)).data, [x], 0)
    assert close(v.grad, fd, rel=1e-5, abs_=1e-6)


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
@settings(max_examples=30, deadline=None)
@given(u=st.floats(0, 1), w=st.floats(0, 1))
def test_binary_op_against_sympy_and_finite_differences(name: str, u: float, w: float) -> None:
    op, (alo, ahi), (blo, bhi) = BINARY_OPS[name]
    x, y = alo + (ahi - alo) * u, blo + (bhi - blo) * w
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()

    expr = op(X, Y)
    at = {X: x, Y: y}
    assert close(out.data, float(expr.subs(at)), rel=1e-12, abs_=1e-12)
    assert close(a.grad, float(sp.diff(expr, X).subs(at)), rel=1e-10, abs_=1e-12)
    assert close(b.grad, float(sp.diff(expr, Y).subs(at)), rel=1e-10, abs_=1e-12)
    f = lambda s, t: op(Value(s), Value(t)).data  # noqa: E731
    assert close(a.grad, central_difference(f, [x, y], 0), rel=1e-5, abs_=1e-6)
    assert close(b.grad, central_difference(f, [x, y], 1), rel=1e-5, abs_=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.floats(-3, 3))
def test_fused_dot_and_sum_against_sympy(values: list[float], bias: float) -> None:
    n = len(values)
    ws = [Value(0.5 * (i + 1) - 1.0) for i in range(n)]
    xs = [Value(v) for v in values]
    b = Value(bias)
    out = autograd.sum([autograd.dot(ws, xs, b).tanh(), *xs], start=ws[0])
    out.backward()

    sw, sx, sb = sp.symbols(f"w:{n}"), sp.symbols(f"x:{n}"), sp.Symbol("b")
    expr = sp.tanh(sb + sum(w * x for w, x in zip(sw, sx, strict=True))) + sum(sx) + sw[0]
    at = {
        **dict(zip(sw, [w.data for w in ws], strict=True)),
        **dict(zip(sx, values, strict=True)),
        sb: bias,
    }
    assert close(out.data, float(expr.subs(at)), rel=1e-12)
    for sym, node in [*zip(sw, ws, strict=True), *zip(sx, xs, strict=True), (sb, b)]:
        assert close(node.grad, float(sp.diff(expr, sym).subs(at)), rel=1e-10, abs_=1e-12)


def test_fused_dot_sums_in_micrograds_order() -> None:
    ws = [Value(w) for w in (0.1, 0.7, -0.3, 1e-17)]
    xs = [Value(x) for x in (0.3, 0.2, 0.9, 1.0)]
    b = Value(1.0)
    elementwise = b
    for w, x in zip(ws, xs, strict=True):
        elementwise = elementwise + w * x
    assert autograd.dot(ws, xs, b).data == elementwise.data  # bit for bit


def test_fused_dot_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        autograd.dot([1.0, 2.0], [1.0, 2.0, 3.0])


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


def test_a_million_node_chain_needs_no_recursion() -> None:
    x = Value(0.5)
    y = x
    was_enabled = gc.isenabled()
    gc.disable()  # building is not what this test measures
    try:
        for _ in range(1_000_000):
            y = -y
    finally:
        if was_enabled:
            gc.enable()
    y.backward()
    assert x.grad == 1.0  # (-1) ** 1_000_000
    assert y.data == 0.5


def test_graphs_are_freed_by_reference_counting_alone() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.3)
        hidden = (x * 2.0).tanh()
        mixed = autograd.dot([hidden, x], [x, hidden], 1.0).sigmoid() ** 2
        out = mixed.leaky_relu() + hidden
        out.backward()
        refs = [weakref.ref(node) for node in (hidden, mixed, out)]
        del hidden, mixed, out
        assert [r() for r in refs] == [None, None, None]
        assert x.grad != 0.0
    finally:
        if was_enabled:
            gc.enable()


def test_backward_restores_the_garbage_collector_state() -> None:
    out = Value(1.0) * 2.0
    assert gc.isenabled()
    out.backward()
    assert gc.isenabled()
    gc.disable()
    try:
        out.backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_restores_the_collector_even_on_error_and_collects_later() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    assert gc.isenabled()
    with pytest.raises(RuntimeError), autograd.gc_paused():
        assert not gc.isenabled()
        garbage = weakref.ref(Cycle())  # unreachable cyclic garbage made in the block
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.collect()
    assert garbage() is None  # nothing made while paused is leaked
    gc.disable()
    try:
        with autograd.gc_paused():
            pass
        assert not gc.isenabled()  # a collector the user switched off stays off
    finally:
        gc.enable()


def test_no_grad_records_no_graph() -> None:
    x = Value(2.0)
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = x * x + 1
        with autograd.enable_grad():
            z = x * x
    assert autograd.is_grad_enabled()
    assert y._prev == () and y._op == "" and y.data == 5.0
    assert len(z._prev) == 2
    y.backward()
    assert x.grad == 0.0


def test_no_grad_works_as_a_decorator_and_is_per_thread() -> None:
    @no_grad()
    def square(v: Value) -> Value:
        return v * v

    assert square(Value(3.0))._prev == ()
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(autograd.is_grad_enabled()))
        thread.start()
        thread.join()
        seen.append(contextvars.copy_context().run(autograd.is_grad_enabled))
    assert seen == [True, False]  # a new thread starts with recording on


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


@settings(max_examples=50, deadline=None)
@given(programs())
def test_backward_steps_visit_users_first_and_report_backwards_gradients(program) -> None:
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    steps = list(autograd.backward_steps(out))
    out.backward()

    position = {node: i for i, (node, _) in enumerate(steps)}
    assert steps[0][0] is out and len(position) == len(steps)
    for node, grad in steps:
        for parent in node._prev:  # every node comes before its parents
            assert position[parent] > position[node]
        assert close(grad, node.grad, rel=1e-12, abs_=0.0)
    assert {id(x) for x in xs} <= {id(node) for node in position}
