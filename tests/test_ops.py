"""The table of primitives (``autograd.ops``), row by row, against every oracle, once each.

Every test here iterates ``OPS``, so a row is checked by all of them the moment it is
registered (with its entry in ``tests/oracles.py``): its forward and its rule against sympy's
exact value and derivatives and against finite differences, against PyTorch (float64), its
rule on Values (higher order) against sympy's second and third derivatives, and its code
spellings against its own forward and rule. This is the one place each oracle checks each
op; other files test what the engine does with the ops. ``tan`` was added as one row (plus its
one-line method and function), and is tested by exactly these loops.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

import autograd
from autograd import DomainError, Value
from autograd.extend import OPS, Op, OutOfDomain
from tests.oracles import ORACLES, ROWS, oracle
from tests.programs import BINARY, ELEMENTWISE, UNARY, close, on_values, spelling, torch_backend


def samples(op: Op, n: int = 7) -> list[tuple[float, ...]]:
    """Points spread over the row's domain, every operand, away from kinks at 0."""
    lo, hi = oracle(op).domain
    points = [lo + (hi - lo) * (k + 0.5) / n for k in range(n)]
    points = [x + 0.01 if any(abs(x - k) < 1e-3 for k in oracle(op).kinks) else x for x in points]
    if op.arity == 1:
        return [(x,) for x in points]
    return [(x, y) for x, y in zip(points, reversed(points), strict=True)]


def symbolic(op: Op) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    symbols = sp.symbols(f"a:{op.arity}", real=True)
    constant = oracle(op).constant
    c = None if constant is None else sp.Float(constant)
    return spelling(op, oracle(op).sympy, {"sp": sp})(*symbols, c=c), symbols


def ours(op: Op, xs: tuple[float, ...]) -> tuple[float, list[float]]:
    leaves = [Value(x) for x in xs]
    out = on_values(op)(*leaves, c=oracle(op).constant)
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
    import torch

    theirs = torch_backend().ops[op.name]
    for xs in samples(op):
        value, grads = ours(op, xs)
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        ref = theirs(*ts, c=oracle(op).constant)
        ref.backward()
        assert close(value, ref.item(), rel=1e-12, abs_=1e-14), (op.name, xs)
        for g, t in zip(grads, ts, strict=True):
            assert close(g, t.grad.item(), rel=1e-11, abs_=1e-14), (op.name, xs)


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_rule_on_values_gives_sympys_second_and_third_derivatives(op: Op) -> None:
    expr, symbols = symbolic(op)
    f = on_values(op)
    c = oracle(op).constant
    hessian = autograd.hessian(lambda *vs: f(*vs, c=c))
    # A third derivative: d/da0 of d2/da0 da_last (d3/da^3 for a unary row).
    third = autograd.grad(
        lambda *vs: autograd.grad(autograd.grad(lambda *ws: f(*ws, c=c), 0), len(vs) - 1)(*vs)
    )
    for xs in samples(op):
        at = dict(zip(symbols, xs, strict=True))
        for row, si in zip(hessian(*xs), symbols, strict=True):
            for h, sj in zip(row, symbols, strict=True):
                exact = float(without_deltas(sp.diff(expr, si, sj)).subs(at))
                assert close(float(h), exact, rel=1e-9, abs_=1e-10), (op.name, xs)
        exact = float(without_deltas(sp.diff(expr, symbols[0], symbols[0], symbols[-1])).subs(at))
        assert close(float(third(*xs)), exact, rel=1e-8, abs_=1e-9), (op.name, xs)


def _code(template: str, xs: tuple[float, ...], out: float, c: float | None) -> float:
    text = template.format(*(f"({x!r})" for x in xs), out=f"({out!r})", c=f"({c!r})")
    return float(eval(text, {"math": math}))


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
def test_each_rows_code_spelling_computes_its_forward_and_partials(op: Op) -> None:
    c = oracle(op).constant
    assert op.with_constant == (c is not None)
    for xs in samples(op):
        out = op.forward(*xs, c) if op.with_constant else op.forward(*xs)
        assert close(_code(op.code, xs, out, c), out, rel=1e-13, abs_=1e-15)
        rule = op.bind(c) if c is not None else op.rule
        local = rule(1.0, out, *xs)
        for spelled, partial in zip(op.partials, local, strict=True):
            assert close(_code(spelled, xs, out, c), partial, rel=1e-12, abs_=1e-15)


@pytest.mark.parametrize("op", [ROWS["sum"], ROWS["dot"]], ids=lambda op: op.name)
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


def test_every_row_has_its_oracle_entry_and_every_entry_is_a_row() -> None:
    """tests/oracles.py names exactly the rows of OPS (an explicit tuple, one row per name)."""
    names = [op.name for op in OPS]
    assert len(names) == len(set(names)) and set(names) == set(ORACLES)
    assert all(isinstance(op, Op) for op in OPS)


def test_every_row_is_in_every_oracle() -> None:
    """The random programs (tests/programs.py), sympy and PyTorch all cover the whole table."""
    elementwise = {op.name for op in OPS if op.arity > 0}
    assert elementwise <= set(UNARY) | set(BINARY)
    for op in OPS:
        assert oracle(op).sympy and oracle(op).torch and op.code and op.partials and op.label
    assert {op.name for op in OPS if op.arity == 0} == {"sum", "dot"}
    assert "tan" in elementwise


def test_a_row_refuses_operands_exactly_when_its_forward_raises_out_of_domain() -> None:
    """``Op.refuses`` (the rows whose nodes a compiled program replays even when unused, and
    checks for NaN in NumPy mode) is exactly the rows whose forward raises OutOfDomain."""
    probes = [0.0, -0.0, -1.0, -0.5, 0.5, 1.0, 2.0, math.inf, -math.inf, math.nan]
    refusing = set()
    for op in OPS:
        arity = op.arity or 3  # sum and dot: 3 operands (a dot of one weight, one input, a bias)
        constants = probes if op.with_constant else [None]
        for operands in itertools.product(probes, repeat=arity):
            for c in constants:
                try:
                    op.forward(*operands) if c is None else op.forward(*operands, c)
                except OutOfDomain:
                    refusing.add(op.name)
    assert refusing == {op.name for op in OPS if op.refuses}


def test_a_node_of_an_op_with_a_constant_names_its_row_and_pickles() -> None:
    """The rule of ``x ** 3`` is a BoundRule naming its row and constant (what the compiler
    reads), and pickles by the row's name."""
    import pickle

    from autograd.extend import BoundRule

    for node, row, c in (
        (Value(2.0) ** 3, "pow_const", 3.0),
        (2.5 ** Value(1.0), "rpow_const", 2.5),
        (Value(-1.0).leaky_relu(0.2), "leaky_relu", 0.2),
    ):
        rule = node._vjp
        assert isinstance(rule, BoundRule) and rule.op is ROWS[row] and rule.c == c
        again = pickle.loads(pickle.dumps(rule))
        assert again.op is rule.op and again.c == c
        assert again(1.0, node.data, -1.0) == rule(1.0, node.data, -1.0)


# The functions of one Value without a constant (Python spells neg and abs ``-a``, ``abs(a)``;
# identity is the node a transform makes of a Value argument): ``Value.<name>()`` and
# ``autograd.<name>(x)`` for each.
FUNCTIONS = [
    op
    for op in OPS
    if op.arity == 1 and not op.with_constant and op.name not in ("identity", "neg", "abs")
]


@pytest.mark.parametrize("op", FUNCTIONS, ids=lambda op: op.name)
def test_each_function_row_is_a_method_and_an_autograd_function(op: Op) -> None:
    x = 0.5 * (oracle(op).domain[0] + oracle(op).domain[1]) + 0.1
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


# -- IEEE edge values: +-inf, NaN, -0.0 through every op ------------------------------------

ENGINE_PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "engine.md"
INF, NAN = math.inf, math.nan
SPECIAL = (INF, -INF, NAN, -0.0, 0.0)
ORDINARY = (1.0, -1.0, 2.5)


def _at_special_values(op: Op) -> tuple[Callable[[Value], Value], Callable[..., Callable]]:
    ours = on_values(op)
    return (
        lambda x: ours(x, c=oracle(op).constant),
        lambda t: lambda a: spelling(op, oracle(op).torch, {"torch": t})(a, c=oracle(op).constant),
    )


#: Every op of the engine, as (our spelling, PyTorch's spelling given the torch module): each
#: unary row of autograd.ops by name, and the powers with a number whose edges differ.
SPECIAL_UNARY: dict[str, tuple[Callable[[Value], Value], Callable[..., Callable]]] = {
    op.name: _at_special_values(op) for op in ELEMENTWISE if op.arity == 1
} | {
    "x**2": (lambda x: x**2, lambda t: lambda a: a**2),
    "x**0.5": (lambda x: x**0.5, lambda t: lambda a: a**0.5),
    "x**-1": (lambda x: x**-1, lambda t: lambda a: a**-1),
    "x**0": (lambda x: x**0, lambda t: lambda a: a**0),
}
#: Each binary row of autograd.ops, by its label.
SPECIAL_BINARY: dict[str, Callable[[object, object], object]] = {
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
    for name, (ours, _) in SPECIAL_UNARY.items():
        for x in SPECIAL:
            yield name, (x,), ours
    for name, op in SPECIAL_BINARY.items():
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
            assert math.isnan(autograd.grad(lambda v, op=op: getattr(v, op)())(x))


def test_special_values_agree_with_pytorch_float64_except_the_documented_differences() -> None:
    import torch

    def theirs(f: Callable, *xs: float) -> tuple[float, ...]:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = f(*ts)
        out.backward()
        return (out.item(), *(t.grad.item() for t in ts))

    differing = set()
    for name, xs, f in _cases():
        reference = theirs(SPECIAL_UNARY[name][1](torch) if name in SPECIAL_UNARY else f, *xs)
        result = _ours(f, *xs)
        if result is None:  # refused by the domain policy: PyTorch must have no finite answer
            assert not all(math.isfinite(r) for r in reference), (name, xs, reference)
            continue
        key = (name, xs[0]) if name in SPECIAL_UNARY else (f"{xs[0]} {name} {xs[1]}", "b")
        for i, (a, b) in enumerate(zip(result, reference, strict=True)):
            if not _same(a, b, signed_zero=i == 0):
                differing.add(key if name in SPECIAL_UNARY else (key[0], "ab"[i - 1]))
    documented = set(DIFFERENCES)
    assert differing - documented == set(), "undocumented differences from PyTorch"
    assert documented - differing == set(), "documented differences that are not real"


def test_the_engine_guide_lists_the_same_differences_from_pytorch() -> None:
    text = ENGINE_PAGE.read_text(encoding="utf-8")
    for explanation in DIFFERENCES.values():
        assert explanation in text, explanation
