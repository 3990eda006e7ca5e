"""Random differentiable programs, run by several backends (this engine, sympy, PyTorch).

The backends are read from the table of primitives (``autograd.ops.OPS``) and each row's
sympy and PyTorch spellings (``tests/oracles.py``), so a newly registered op is drawn into
programs and checked against every oracle with no change here.

A program is a list of steps over a growing list of nodes: the first nodes are the inputs,
each step appends one node computed from earlier ones (so later steps reuse, i.e. share,
earlier subexpressions), and the output is the sum of all nodes. The same program is
evaluated with each backend; their values and gradients must agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.extend import OPS, Op
from tests.oracles import ROWS, oracle

#: The primitives a program draws from: every row of autograd.ops but the n-ary ones.
ELEMENTWISE = [op for op in OPS if op.arity > 0]


def spelling(op: Op, text: str, namespace: dict[str, Any]) -> Callable[..., Any]:
    """A row's oracle spelling (``"sp.tan(a)"``, ``"a / b"``) as a function of a, b and c."""
    return eval(f"lambda a, b=None, c=None: {text}", namespace)


def on_values(op: Op) -> Callable[..., Any]:
    """The row as this engine's users write it: ``a.tan()``, ``a.leaky_relu(c)``, ``a / b``."""
    if hasattr(Value, op.name):
        method = getattr(Value, op.name)
        return lambda a, b=None, c=None: method(a) if c is None else method(a, c)
    return spelling(op, oracle(op).torch, {})  # an operator: a + b, -a, abs(a), a ** c...


@dataclass(frozen=True)
class Backend:
    """How one library spells every primitive (by the row's name), and the fused ops."""

    ops: dict[str, Callable[..., Any]]
    dot: Callable[[list, list, Any], Any]  # b + w0*x0 + w1*x1 + ...
    sum: Callable[[list], Any]

    def apply(self, op: Op, *operands: Any) -> Any:
        return self.ops[op.name](*operands, c=oracle(op).constant)


VALUE = Backend({op.name: on_values(op) for op in ELEMENTWISE}, autograd.dot, autograd.sum)


def _dot(ws: list, xs: list, b: Any) -> Any:
    total = b
    for w, x in zip(ws, xs, strict=True):
        total = total + w * x
    return total


def _sum(terms: list) -> Any:
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def sympy_backend() -> Backend:
    import sympy as sp

    return Backend(
        {op.name: spelling(op, oracle(op).sympy, {"sp": sp}) for op in ELEMENTWISE}, _dot, _sum
    )


def torch_backend() -> Backend:
    import torch

    return Backend(
        {op.name: spelling(op, oracle(op).torch, {"torch": torch}) for op in ELEMENTWISE},
        _dot,
        _sum,
    )


def into_domain(m: Backend, op: Op, a: Any) -> Any:
    """``a`` (any real) mapped into the row's domain with the backend's own operations."""
    lo, hi = oracle(op).domain
    if lo <= -2.0 and hi >= 2.0:  # the inputs' range: no mapping needed
        return a
    if lo > 0:
        return lo + a * a  # (lo, inf): log, sqrt, the operands of / and **
    return m.apply(ROWS["tanh"], a) * min(-lo, hi)  # a bounded interval around 0: tan


# Every operation is defined on its whole input range (operands are mapped into each row's
# domain), and there is one per row of autograd.ops, so every primitive gets exercised.
UNARY: dict[str, Callable[[Backend, Any], Any]] = {
    op.name: (lambda m, a, op=op: m.apply(op, into_domain(m, op, a)))
    for op in ELEMENTWISE
    if op.arity == 1
}
UNARY["exp_tanh"] = lambda m, a: m.apply(ROWS["exp"], m.apply(ROWS["tanh"], a))
BINARY: dict[str, Callable[[Backend, Any, Any], Any]] = {
    op.name: (lambda m, a, b, op=op: m.apply(op, into_domain(m, op, a), into_domain(m, op, b)))
    for op in ELEMENTWISE
    if op.arity == 2
}
BINARY["rdiv"] = lambda m, a, b: (1 + b * b) / (2 + m.apply(ROWS["sin"], a))
UNARY["square"] = lambda m, a: a**2
# The fused n-ary operations, on three nodes.
FUSED: dict[str, Callable[[Backend, Any, Any, Any], Any]] = {
    "dot": lambda m, a, b, c: m.dot([a, b], [c, a], b),
    "sum": lambda m, a, b, c: m.sum([a, b, c, a]),
}
# A plain number c on one side of a binary operation.
CONST_LEFT: dict[str, Callable[[Backend, float, Any], Any]] = {
    "add": lambda m, c, a: c + a,
    "sub": lambda m, c, a: c - a,
    "mul": lambda m, c, a: c * a,
    "div": lambda m, c, a: c / (1 + a * a),
    "pow": lambda m, c, a: (1 + c * c) ** m.apply(ROWS["tanh"], a),
}
CONST_RIGHT: dict[str, Callable[[Backend, Any, float], Any]] = {
    "add": lambda m, a, c: a + c,
    "sub": lambda m, a, c: a - c,
    "mul": lambda m, a, c: a * c,
    "div": lambda m, a, c: a / (1 + c * c),
    "pow": lambda m, a, c: (1 + a * a) ** c,
}


@dataclass(frozen=True)
class Program:
    inputs: tuple[float, ...]
    steps: tuple[tuple, ...]

    def run(self, m: Backend, xs: list[Any]) -> Any:
        """Evaluate with backend ``m`` on input nodes ``xs``; returns the output node."""
        nodes = list(xs)
        for step in self.steps:
            kind, name, *args = step
            if kind == "unary":
                nodes.append(UNARY[name](m, nodes[args[0]]))
            elif kind == "binary":
                nodes.append(BINARY[name](m, nodes[args[0]], nodes[args[1]]))
            elif kind == "fused":
                nodes.append(FUSED[name](m, *(nodes[i] for i in args)))
            elif kind == "const_left":
                c, i = args
                nodes.append(CONST_LEFT[name](m, c, nodes[i]))
            else:
                i, c = args
                nodes.append(CONST_RIGHT[name](m, nodes[i], c))
        out = nodes[0]
        for node in nodes[1:]:
            out = out + node
        return out


# No subnormal inputs: halving 5e-324 underflows to 0.0, where |t| has its kink, so the
# engine (and PyTorch, identically) differentiates a different point than sympy's exact one.
_floats = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def programs(draw: st.DrawFn, max_inputs: int = 3, max_steps: int = 10) -> Program:
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = tuple(draw(_floats) for _ in range(n_inputs))
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        n = n_inputs + k
        index = st.integers(0, n - 1)
        kind = draw(st.sampled_from(["unary", "binary", "fused", "const_left", "const_right"]))
        if kind == "unary":
            steps.append((kind, draw(st.sampled_from(sorted(UNARY))), draw(index)))
        elif kind == "binary":
            steps.append((kind, draw(st.sampled_from(sorted(BINARY))), draw(index), draw(index)))
        elif kind == "fused":
            name = draw(st.sampled_from(sorted(FUSED)))
            steps.append((kind, name, draw(index), draw(index), draw(index)))
        elif kind == "const_left":
            steps.append(
                (kind, draw(st.sampled_from(sorted(CONST_LEFT))), draw(_floats), draw(index))
            )
        else:
            steps.append(
                (kind, draw(st.sampled_from(sorted(CONST_RIGHT))), draw(index), draw(_floats))
            )
    return Program(inputs, tuple(steps))


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
