"""Random differentiable programs, run by several backends (this engine, sympy, PyTorch).

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


@dataclass(frozen=True)
class Backend:
    """How one library spells the primitive functions."""

    sin: Callable[[Any], Any]
    cos: Callable[[Any], Any]
    tanh: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sigmoid: Callable[[Any], Any]
    softplus: Callable[[Any], Any]
    abs: Callable[[Any], Any]
    relu: Callable[[Any], Any]
    leaky_relu: Callable[[Any], Any]  # negative slope 0.1
    dot: Callable[[list, list, Any], Any]  # b + w0*x0 + w1*x1 + ...
    sum: Callable[[list], Any]


VALUE = Backend(
    sin=Value.sin,
    cos=Value.cos,
    tanh=Value.tanh,
    exp=Value.exp,
    log=Value.log,
    sqrt=Value.sqrt,
    sigmoid=Value.sigmoid,
    softplus=Value.softplus,
    abs=abs,
    relu=Value.relu,
    leaky_relu=lambda a: a.leaky_relu(0.1),
    dot=autograd.dot,
    sum=autograd.sum,
)


def _dot(ws: list, xs: list, b: Any) -> Any:
    total = b
    for w, x in zip(ws, xs):
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
        sin=sp.sin,
        cos=sp.cos,
        tanh=sp.tanh,
        exp=sp.exp,
        log=sp.log,
        sqrt=sp.sqrt,
        sigmoid=lambda a: 1 / (1 + sp.exp(-a)),
        softplus=lambda a: sp.log(1 + sp.exp(a)),
        abs=sp.Abs,
        # Piecewise, not Max: at the kink its derivative is the one-sided value this engine
        # and PyTorch use (relu'(0) = 0, leaky_relu'(0) = 0.1); sympy's Heaviside(0) is 1/2.
        relu=lambda a: sp.Piecewise((a, a > 0), (0, True)),
        leaky_relu=lambda a: sp.Piecewise((a, a > 0), (sp.Rational(1, 10) * a, True)),
        dot=_dot,
        sum=_sum,
    )


def torch_backend() -> Backend:
    import torch

    return Backend(
        sin=torch.sin,
        cos=torch.cos,
        tanh=torch.tanh,
        exp=torch.exp,
        log=torch.log,
        sqrt=torch.sqrt,
        sigmoid=torch.sigmoid,
        softplus=torch.nn.functional.softplus,
        abs=torch.abs,
        relu=torch.relu,
        leaky_relu=lambda a: torch.nn.functional.leaky_relu(a, 0.1),
        dot=_dot,
        sum=_sum,
    )


# Every operation is defined on its whole input range (domains are made safe by 1 + a*a),
# and each one is built from the engine's primitives, so all primitives get exercised.
UNARY: dict[str, Callable[[Backend, Any], Any]] = {
    "neg": lambda m, a: -a,
    "sin": lambda m, a: m.sin(a),
    "cos": lambda m, a: m.cos(a),
    "tanh": lambda m, a: m.tanh(a),
    "sigmoid": lambda m, a: m.sigmoid(a),
    "softplus": lambda m, a: m.softplus(a),
    "exp_tanh": lambda m, a: m.exp(m.tanh(a)),
    "log1p_sq": lambda m, a: m.log(1 + a * a),
    "sqrt1p_sq": lambda m, a: m.sqrt(1 + a * a),
    "square": lambda m, a: a**2,
    "cube": lambda m, a: a**3,
    "abs": lambda m, a: m.abs(a),
    "relu": lambda m, a: m.relu(a),
    "leaky_relu": lambda m, a: m.leaky_relu(a),
}
BINARY: dict[str, Callable[[Backend, Any, Any], Any]] = {
    "add": lambda m, a, b: a + b,
    "sub": lambda m, a, b: a - b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / (1 + b * b),
    "rdiv": lambda m, a, b: (1 + b * b) / (2 + m.sin(a)),
    "pow": lambda m, a, b: (1 + a * a) ** m.tanh(b),
}
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
    "pow": lambda m, c, a: (1 + c * c) ** m.tanh(a),
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
