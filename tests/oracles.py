"""How the tests check each primitive of ``autograd.ops``, keyed by the row's name.

The library's rows hold what it runs; what only the tests read lives here: each op's spelling
for the oracles (``a``, ``b`` the operands, ``c`` the constant; ``sp`` and ``torch`` the
modules), the interval the tests sample (every operand), the constant they use for an op
that takes one, and the points where it has no derivative (kept away from when comparing
with finite differences). ``tests/test_ops.py`` checks that every row has an entry here and
that every entry is a row.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograd.extend import OPS, Op


@dataclass(frozen=True)
class Oracle:
    """One op as the oracles spell it, and where the tests sample it."""

    sympy: str
    torch: str
    domain: tuple[float, float] = (-3.0, 3.0)
    constant: float | None = None
    kinks: tuple[float, ...] = ()


# fmt: off
ORACLES: dict[str, Oracle] = {
    "add": Oracle("a + b", "a + b"),
    "sub": Oracle("a - b", "a - b"),
    "mul": Oracle("a * b", "a * b"),
    "div": Oracle("a / b", "a / b", domain=(0.2, 4.0)),
    "pow": Oracle("a ** b", "a ** b", domain=(0.2, 4.0)),
    "pow_const": Oracle("a ** c", "a ** c", constant=3.0),
    "rpow_const": Oracle("c ** a", "c ** a", constant=2.5),
    "identity": Oracle("a", "a"),
    "neg": Oracle("-a", "-a"),
    "abs": Oracle("sp.Abs(a)", "abs(a)", kinks=(0.0,)),
    "exp": Oracle("sp.exp(a)", "torch.exp(a)"),
    "log": Oracle("sp.log(a)", "torch.log(a)", domain=(0.2, 4.0)),
    "sqrt": Oracle("sp.sqrt(a)", "torch.sqrt(a)", domain=(0.2, 4.0)),
    "tanh": Oracle("sp.tanh(a)", "torch.tanh(a)"),
    "sigmoid": Oracle("1 / (1 + sp.exp(-a))", "torch.sigmoid(a)"),
    "relu": Oracle("sp.Piecewise((a, a > 0), (0, True))", "torch.relu(a)", kinks=(0.0,)),
    "leaky_relu": Oracle("sp.Piecewise((a, a > 0), (c * a, True))",
                         "torch.nn.functional.leaky_relu(a, c)", constant=0.1, kinks=(0.0,)),
    "softplus": Oracle("sp.log(1 + sp.exp(a))", "torch.nn.functional.softplus(a)"),
    "sin": Oracle("sp.sin(a)", "torch.sin(a)"),
    "cos": Oracle("sp.cos(a)", "torch.cos(a)"),
    "tan": Oracle("sp.tan(a)", "torch.tan(a)", domain=(-1.2, 1.2)),
    "sum": Oracle("sum", "sum"),
    "dot": Oracle("dot", "dot"),
}
# fmt: on


#: The rows of the table by name.
ROWS: dict[str, Op] = {op.name: op for op in OPS}


def oracle(op: Op) -> Oracle:
    """The row's entry (a KeyError names a row with none: add it above)."""
    return ORACLES[op.name]
