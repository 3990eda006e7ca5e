"""The table of primitives (``autograd.ops``), row by row, against every oracle the row names.

Every test here iterates ``OPS``, so a row is checked by all of them the moment it is
registered: its forward and its rule against sympy's exact value and derivatives and against
finite differences, against PyTorch (float64, where installed), its rule on Values (higher
order) against sympy's second derivatives, and its code spellings against its own forward and
rule. ``tan`` was added as one row (plus its one-line method and function), and is tested by
exactly these loops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import sympy as sp

import autograd
from autograd import DomainError, Value
from autograd.extend import OPS, Op
from autograd.ops import FUNCTIONS
from tests.programs import BINARY, ELEMENTWISE, UNARY, close, on_values, spelling, torch_backend


def samples(op: Op, n: int = 7) -> list[tuple[float, ...]]:
    """Points spread over the row's domain, every operand, away from kinks at 0."""
    lo, hi = op.domain
    points = [lo + (hi - lo) * (k + 0.5) / n for k in range(n)]
    points = [x + 0.01 if any(abs(x - k) < 1e-3 for k in op.kinks) else x for x in points]
    if op.arity == 1:
        return [(x,) for x in points]
    return [(x, y) for x, y in zip(points, reversed(points), strict=True)]


def symbolic(op: Op) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    symbols = sp.symbols(f"a:{op.arity}", real=True)
    c = None if op.constant is None else sp.Float(op.constant)
    return spelling(op, op.sympy, {"sp": sp})(*symbols, c=c), symbols


def ours(op: Op, xs: tuple[float, ...]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = on_values(op)(*leaves, c=op.constant)
    out.backward()
    return out.data, [float(v.grad) for v in leaves]


def without_deltas(expr: sp.Expr) -> sp.Expr:
    """Derivatives of Abs away from 0: sympy's DiracDelta terms are 0 there."""
    return expr.replace(sp.DiracDelta, lambda *args: sp.Integer(0))


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_row_against_sympy_and_finite_differences(op: Op) -> None:
    expr, symbols = symbolic(op)
    for xs in samples(op):
        at = dict(zip(symbols, xs, strict=True))
        value, grads = ours(op, xs)
        assert close(value, float(expr.subs(at)), rel=1e-12, abs_=1e-12), (op.name, xs)
        for i, (sym, g) in enumerate(zip(symbols, grads, strict=True)):
            exact = float(without_deltas(sp.diff(expr, sym)).subs(at))
            assert close(g, exact, rel=1e-10, abs_=1e-12), (op.name, xs, i)
            h, up, down = 1e-6, list(xs), list(xs)
            up[i] += h
            down[i] -= h
            numerical = (ours(op, tuple(up))[0] - ours(op, tuple(down))[0]) / (2 * h)
            assert close(g, numerical, rel=1e-5, abs_=1e-6), (op.name, xs, i)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_row_against_torch(op: Op) -> None:
    torch = pytest.importorskip("torch")
    theirs = torch_backend().ops[op.name]
    for xs in samples(op):
        value, grads = ours(op, xs)
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        ref = theirs(*ts, c=op.constant)
        ref.backward()
        assert close(value, ref.item(), rel=1e-12, abs_=1e-14), (op.name, xs)
        for g, t in zip(grads, ts, strict=True):
            assert close(g, t.grad.item(), rel=1e-11, abs_=1e-14), (op.name, xs)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_rule_on_values_gives_sympys_second_derivatives(op: Op) -> None:
    expr, symbols = symbolic(op)
    f = on_values(op)
    hessian = autograd.hessian(lambda *vs: f(*vs, c=op.constant))
    for xs in samples(op):
        at = dict(zip(symbols, xs, strict=True))
        for row, si in zip(hessian(*xs), symbols, strict=True):
            for h, sj in zip(row, symbols, strict=True):
                exact = float(without_deltas(sp.diff(expr, si, sj)).subs(at))
                assert close(float(h), exact, rel=1e-9, abs_=1e-10), (op.name, xs)


def _code(template: str, xs: tuple[float, ...], out: float, c: float | None) -> float:
    text = template.format(*(f"({x!r})" for x in xs), out=f"({out!r})", c=f"({c!r})")
    return float(eval(text, {"math": math}))


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_rows_code_spelling_computes_its_forward_and_partials(op: Op) -> None:
    for xs in samples(op):
        args = (*xs, op.constant) if op.constant is not None else xs
        out = op.forward(*args)
        assert close(_code(op.code, xs, out, op.constant), out, rel=1e-13, abs_=1e-15)
        rule = op.rule(op.constant) if op.constant is not None else op.rule
        local = rule(1.0, out, *xs)
        for spelled, partial in zip(op.partials, local, strict=True):
            assert close(_code(spelled, xs, out, op.constant), partial, rel=1e-12, abs_=1e-15)


@pytest.mark.parametrize("op", [OPS["sum"], OPS["dot"]], ids=lambda op: op.name)
def test_the_fused_rows_forward_and_rule_against_sympy(op: Op) -> None:
    values = [0.3, -1.2, 2.0, 0.7, -0.4]  # dot: (w0, w1, x0, x1, b); sum: five terms
    symbols = sp.symbols("p:5", real=True)
    n = 2
    ws, xs, b = symbols[:n], symbols[n : 2 * n], symbols[-1]
    expr = b + sum(w * x for w, x in zip(ws, xs, strict=True)) if op.name == "dot" else sum(symbols)
    at = dict(zip(symbols, values, strict=True))
    out = op.forward(*values)
    assert close(out, float(expr.subs(at)), rel=1e-14)
    local = op.rule(2.0, out, *values)
    for sym, partial in zip(symbols, local, strict=True):
        assert close(partial, 2.0 * float(sp.diff(expr, sym).subs(at)), rel=1e-14)


def test_every_row_is_in_every_oracle() -> None:
    """The random programs (tests/programs.py), sympy and PyTorch all cover the whole table."""
    elementwise = {op.name for op in OPS.values() if op.arity > 0}
    assert elementwise <= set(UNARY) | set(BINARY)
    for op in OPS.values():
        assert op.sympy and op.torch and op.code and op.partials and op.label
    assert {op.name for op in OPS.values() if op.arity == 0} == {"sum", "dot"}
    assert "tan" in elementwise


@pytest.mark.parametrize("op", FUNCTIONS, ids=lambda op: op.name)
def test_each_function_row_is_a_method_and_an_autograd_function(op: Op) -> None:
    x = 0.5 * (op.domain[0] + op.domain[1]) + 0.1
    node = getattr(Value(x), op.name)()
    assert node._op == op.label and node.data == op.forward(x)
    assert getattr(Value, op.name).__doc__.startswith(op.doc)
    function: Callable[[Any], Any] = getattr(autograd, op.name)
    assert function(x) == op.forward(x) and type(function(x)) is float
    node = function(Value(x))
    assert isinstance(node, Value) and node._op == op.label
    assert op.name in autograd.__all__


def test_the_functions_on_numbers_or_values_work_inside_grad_as_jnp_does() -> None:
    # JAX's cookbook: grad(lambda x, y: x * y + jnp.exp(y)); d/dx = y, d/dy = x + e^y.
    f = lambda x, y: x * y + autograd.exp(y)  # noqa: E731
    assert autograd.grad(f)(2.0, 0.0) == 0.0
    assert autograd.grad(f, argnums=1)(2.0, 0.5) == pytest.approx(2.0 + math.exp(0.5), rel=1e-15)
    assert f(2.0, 0.5) == 1.0 + math.exp(0.5)  # plain numbers: a float, no graph
    assert autograd.grad(lambda t: autograd.tan(t))(0.3) == pytest.approx(1 / math.cos(0.3) ** 2)


def test_domain_errors_name_what_they_were_given() -> None:
    with pytest.raises(DomainError, match=r"log: operand must be > 0, got -1\.0$"):
        autograd.log(-1.0)
    with pytest.raises(DomainError, match=r"got Value\(data=-1\.0, grad=0\.0\)$"):
        autograd.log(Value(-1.0))
    with pytest.raises(DomainError, match=r"sqrt: operand must be >= 0, got -4\.0$"):
        autograd.sqrt(-4)
    with pytest.raises(TypeError, match="tan expects Values or real numbers, got str"):
        autograd.tan("1")  # type: ignore[call-overload]


def test_tan_at_infinity_and_nan_is_nan_as_sin_and_cos() -> None:
    for x in (math.inf, -math.inf, math.nan):
        assert math.isnan(Value(x).tan().data) and math.isnan(autograd.tan(x))
