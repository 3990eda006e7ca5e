"""Fuzzing the engine against oracles: random graphs, first and second order.

Every operation (fused ones and kinks included), shared subexpressions, constants on both
sides, wide graphs (many inputs) and deep ones (long chains). The number of examples comes
from the hypothesis profile: ``ci`` (the default, bounded so the suite stays fast) or
``fuzz`` for a long run on demand::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_fuzz.py   # or: make fuzz
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, gradients
from autograd.extend import topological_order
from tests.programs import UNARY, VALUE, Program, close, programs, sympy_backend

wide = programs(max_inputs=6, max_steps=8)
deep = programs(max_inputs=2, max_steps=25)


def engine_gradients(program: Program) -> tuple[Value, list[Value]]:
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    out.backward()
    return out, xs


def arguments_of(program: Program, names: tuple[str, ...]) -> list[float]:
    """The arguments the program gives the named backend functions, as the engine runs it."""
    seen: list[float] = []

    def recorded(f):
        def g(a, b=None, c=None):
            seen.append(a.data)
            return f(a, b, c)

        return g

    spy = {name: recorded(VALUE.ops[name]) for name in names}
    ops = {**VALUE.ops, **spy}
    program.run(dataclasses.replace(VALUE, ops=ops), [Value(x) for x in program.inputs])
    return seen


def away_from_kinks(program: Program) -> None:
    """Skip programs that evaluate abs, relu or leaky_relu within 1e-9 of their kink.

    There, rounding decides the side: x + (1 + x^2) / (2 + sin x) - 0.5 is exactly 0.0 in
    floats at x = 1e-57 but positive in sympy's exact arithmetic, so the engine (and PyTorch,
    identically) takes the kink's one-sided slope 0 where sympy takes 1.
    """
    assume(all(abs(a) > 1e-9 for a in arguments_of(program, ("abs", "relu", "leaky_relu"))))


def sympy_of(program: Program) -> tuple[sp.Expr, tuple[sp.Symbol, ...], dict]:
    symbols = sp.symbols(f"x:{len(program.inputs)}", real=True)
    at = dict(zip(symbols, program.inputs, strict=True))
    return program.run(sympy_backend(), list(symbols)), symbols, at


@settings(deadline=None)
@given(st.one_of(wide, deep))
def test_first_order_matches_sympy(program: Program) -> None:
    out, xs = engine_gradients(program)
    away_from_kinks(program)
    expr, symbols, at = sympy_of(program)
    # The output sums every node: in floats its error grows with the terms' size, where
    # sympy cancels exactly (a node of 7e15 and its negation: off by 4.4, of 27.4).
    terms = sum(abs(v.data) for v in topological_order(out, include_leaves=True))
    assert close(out.data, float(expr.subs(at)), rel=1e-9, abs_=max(1e-9, 1e-14 * terms))
    for sym, x in zip(symbols, xs, strict=True):
        assert close(x.grad, float(sp.diff(expr, sym).subs(at)), rel=1e-7, abs_=1e-9)


@settings(deadline=None)
@given(programs(max_inputs=2, max_steps=6))
def test_second_order_matches_sympy(program: Program) -> None:
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e4)
    away_from_kinks(program)
    first = gradients(out, xs, create_graph=True)
    expr, symbols, at = sympy_of(program)
    for i, g in enumerate(first):
        second = gradients(g, xs) if isinstance(g, Value) else (0.0,) * len(xs)
        for j, s in enumerate(second):
            exact = _smooth(sp.diff(expr, symbols[i], symbols[j])).subs(at)
            assert close(s, float(exact), rel=1e-7, abs_=1e-8)


def _smooth(derivative: sp.Expr) -> sp.Expr:
    """A derivative of sympy's Abs away from its kink (see away_from_kinks): the Dirac deltas
    and the derivatives of sign() it leaves are 0 there, which sympy does not always see."""
    derivative = derivative.replace(sp.DiracDelta, lambda *args: sp.Integer(0))
    return derivative.replace(
        lambda e: isinstance(e, sp.Derivative) and e.expr.func == sp.sign,
        lambda e: sp.Integer(0),
    )


@settings(deadline=None)
@given(st.one_of(wide, deep))
def test_first_order_matches_torch(program: Program) -> None:
    torch = pytest.importorskip("torch")
    from tests.programs import torch_backend

    out, xs = engine_gradients(program)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.inputs]
    ref = program.run(torch_backend(), ts)
    ref.backward()
    assert close(out.data, ref.item(), rel=1e-10, abs_=1e-10)
    for x, t in zip(xs, ts, strict=True):
        assert close(x.grad, t.grad.item(), rel=1e-9, abs_=1e-10)


@settings(deadline=None)
@given(programs(max_inputs=2, max_steps=6))
def test_second_order_matches_torch(program: Program) -> None:
    torch = pytest.importorskip("torch")
    from tests.programs import torch_backend

    # PyTorch 2.13 zeroes d(a^b)/da where b == 0 (torch.where(exponent == 0, 0, ...)), so
    # its second derivative drops d/db d/da a^b = a^(b-1) there (sympy agrees with us); the
    # programs' Value exponents are tanh(t), 0 exactly when t is.
    assume(0.0 not in arguments_of(program, ("tanh",)))
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e4)
    first = gradients(out, xs, create_graph=True)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.inputs]
    ref_first = torch.autograd.grad(program.run(torch_backend(), ts), ts, create_graph=True)
    for g, ref_g in zip(first, ref_first, strict=True):
        assert close(float(g), ref_g.item(), rel=1e-9, abs_=1e-10)
        if not ref_g.requires_grad:  # a constant gradient: no second derivative to compare
            continue
        second = gradients(g, xs) if isinstance(g, Value) else (0.0,) * len(xs)
        ref_second = torch.autograd.grad(ref_g, ts, allow_unused=True, retain_graph=True)
        for s, ref_s in zip(second, ref_second, strict=True):
            assert close(s, 0.0 if ref_s is None else ref_s.item(), rel=1e-8, abs_=1e-9)


@settings(deadline=None)
@given(st.one_of(wide, deep))
def test_every_way_of_differentiating_agrees(program: Program) -> None:
    # backward() twice doubles the leaves; gradients(), create_graph=True and the
    # step-through all give what one backward() gives, and no interior node double-counts.
    out, xs = engine_gradients(program)
    once = [x.grad for x in xs]
    interior = {id(n): n.grad for n, _ in autograd.backward_steps(out) if n._prev}
    out.backward()
    assert [x.grad for x in xs] == [2 * g for g in once]
    assert all(n.grad == interior[id(n)] for n, _ in autograd.backward_steps(out) if n._prev)
    assert list(gradients(out, xs)) == pytest.approx(once, rel=1e-12, abs=1e-15)
    with_graph = gradients(out, xs, create_graph=True)
    assert [float(g) for g in with_graph] == pytest.approx(once, rel=1e-12, abs=1e-15)
    steps = dict((id(n), g) for n, g in autograd.backward_steps(out))
    assert [steps.get(id(x), 0.0) for x in xs] == pytest.approx(once, rel=1e-12, abs=1e-15)


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(sorted(UNARY)), min_size=50, max_size=400),
    st.floats(-1.0, 1.0),
)
def test_long_chains_match_finite_differences(names: list[str], x0: float) -> None:
    # Deep graphs: a chain of hundreds of unary ops, squashed by tanh so it stays finite.
    def f(x):
        for name in names:
            x = UNARY[name](VALUE, x).tanh()
        return x

    x = Value(x0)
    out = f(x)
    out.backward()
    h = 1e-6
    numerical = (f(Value(x0 + h)).data - f(Value(x0 - h)).data) / (2 * h)
    assume(all(abs(a) > 1e-4 for a in _kink_arguments(names, x0)))
    assert close(x.grad, numerical, rel=1e-4, abs_=1e-7)


def _kink_arguments(names: list[str], x0: float) -> list[float]:
    """The arguments of abs, relu and leaky_relu along the chain (finite differences across
    a kink measure an average of the two one-sided slopes)."""
    found, x = [], Value(x0)
    for name in names:
        if name in ("abs", "relu", "leaky_relu"):
            found.append(x.data)
        x = UNARY[name](VALUE, x).tanh()
    return found
