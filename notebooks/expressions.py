"""The expressions notebook 02's checks build from the learner's ``Value`` and from
``autograd.Value``: small ones told in words (:data:`PROBES`, :data:`ORDER_PROBES`: ``c = 2 - a``,
``a + a``, a node reached by two paths), each with what it tests, and random ones
(:func:`random_expression`) that use nodes more than once.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any


class Probe:
    """One small expression, told in words: ``text`` (``"c = 2 - a"``), the inputs' values,
    ``build(*leaves) -> root``, the operations it needs, and a note on what it tests."""

    def __init__(
        self,
        needs: tuple[str, ...],
        text: str,
        inputs: dict[str, float],
        build: Callable[..., Any],
        note: str = "",
    ) -> None:
        self.needs, self.text, self.inputs, self.build, self.note = needs, text, inputs, build, note

    def slope(self, leaf: str) -> str:
        """``the slope of 2 - a in a`` for one line, ``the slope of c in a`` for more."""
        body = self.text[len("c = ") :] if ";" not in self.text else "c"
        return f"the slope of {body} in {leaf}"


_TWICE = "{} is used twice: its grad must collect both uses"
_SCALE = "d's own gradient is not 1 here: what d passes on must be scaled by it"
_PATHS = "a and b each reach c by two paths: their grads must collect both"
_A, _AB = {"a": 3.0}, {"a": 3.0, "b": -2.0}
PROBES = (
    Probe(("add",), "c = a + b", _AB, lambda a, b: a + b),
    Probe(("add",), "c = a + 2", _A, lambda a: a + 2),
    Probe(("add",), "c = 2 + a", _A, lambda a: 2 + a),
    Probe(("add",), "c = a + a", _A, lambda a: a + a, _TWICE.format("a")),
    Probe(("add",), "c = (a + b) + (b + a)", _AB, lambda a, b: (a + b) + (b + a), _PATHS),
    Probe(("add",), "d = a + b; c = d + d", _AB, lambda a, b: (lambda d: d + d)(a + b), _SCALE),
    Probe(("mul",), "c = a * b", _AB, lambda a, b: a * b),
    Probe(("mul",), "c = a * 2", _A, lambda a: a * 2),
    Probe(("mul",), "c = 2 * a", _A, lambda a: 2 * a),
    Probe(("mul",), "c = a * a", _A, lambda a: a * a, _TWICE.format("a")),
    Probe(("mul", "add"), "c = a * b + b * a", _AB, lambda a, b: a * b + b * a, _PATHS),
    Probe(("mul",), "d = a * b; c = d * 3", _AB, lambda a, b: (a * b) * 3, _SCALE),
    Probe(("tanh",), "c = a.tanh()", {"a": 0.8}, lambda a: a.tanh()),
    Probe(("tanh",), "c = a.tanh()", {"a": -1.5}, lambda a: a.tanh()),
    Probe(
        ("tanh", "add"), "c = a.tanh() + a", {"a": 0.8}, lambda a: a.tanh() + a, _TWICE.format("a")
    ),
    Probe(("tanh", "mul"), "d = a.tanh(); c = d * 3", {"a": 0.8}, lambda a: a.tanh() * 3, _SCALE),
    Probe(("neg",), "c = -a", _A, lambda a: -a),
    Probe(("neg", "mul"), "d = -a; c = d * 3", _A, lambda a: (-a) * 3, _SCALE),
    Probe(("sub",), "c = a - b", _AB, lambda a, b: a - b),
    Probe(("sub",), "c = a - 2", _A, lambda a: a - 2),
    Probe(("sub",), "c = 2 - a", _A, lambda a: 2 - a),
    Probe(("sub",), "c = a - a", _A, lambda a: a - a, _TWICE.format("a")),
    Probe(("sub", "mul"), "d = 2 - a; c = d * 3", _A, lambda a: (2 - a) * 3, _SCALE),
    Probe(("pow",), "c = a ** 2", _A, lambda a: a**2),
    Probe(("pow",), "c = a ** 3", _A, lambda a: a**3),
    Probe(("pow",), "c = a ** -1", _A, lambda a: a**-1),
    Probe(("pow",), "c = a ** 0.5", _A, lambda a: a**0.5),
    Probe(("pow", "add"), "c = a ** 2 + a", _A, lambda a: a**2 + a, _TWICE.format("a")),
    Probe(("pow", "mul"), "d = a ** 2; c = d * 3", _A, lambda a: a**2 * 3, _SCALE),
    Probe(("exp",), "c = a.exp()", {"a": 0.5}, lambda a: a.exp()),
    Probe(("exp",), "c = a.exp()", {"a": -1.2}, lambda a: a.exp()),
    Probe(("exp", "add"), "c = a.exp() + a", {"a": 0.5}, lambda a: a.exp() + a, _TWICE.format("a")),
    Probe(("exp", "mul"), "d = a.exp(); c = d * 3", {"a": 0.5}, lambda a: a.exp() * 3, _SCALE),
    Probe(("relu",), "c = a.relu()", {"a": 1.5}, lambda a: a.relu()),
    Probe(("relu",), "c = a.relu()", {"a": -1.5}, lambda a: a.relu()),
    Probe(
        ("relu", "add"), "c = a.relu() + a", {"a": 1.5}, lambda a: a.relu() + a, _TWICE.format("a")
    ),
    Probe(("relu", "mul"), "d = a.relu(); c = d * 3", {"a": 1.5}, lambda a: a.relu() * 3, _SCALE),
)
# Graphs that only a right order gets right, whether _prev is a tuple or a set: they test
# backward() itself (a naive recursion overshoots on them).
ORDER_PROBES = (
    Probe(
        ("add",),
        "b = a + a; c = b + b",
        _A,
        lambda a: (lambda b: b + b)(a + a),
        "each node must pass its gradient on once, after every node that uses it has added "
        "its share",
    ),
    Probe(
        ("add", "mul"),
        "b = a * 2; c = (b + 1) + (b + 2)",
        _A,
        lambda a: (lambda b: (b + 1) + (b + 2))(a * 2),
        "b is reached by two paths: it must pass its gradient on once, after both have added "
        "their share",
    ),
)


def random_expression(
    V: Callable[[float], Any],
    rng: random.Random,
    ops: Sequence[str],
    n: int,
    lines: list[str] | None = None,
) -> tuple[list[Any], Any]:
    """Build a random expression from ``V`` (a Value class): its leaves and its root.

    Three leaves in [-2, 2]; ``n`` operations, each applied to one or two earlier nodes
    (picked at random, so nodes are reused). ``ops`` names what ``V`` supports among "add"
    (``a + b``, ``a + k``, ``k + a`` for a constant ``k``), "mul" (likewise), "sub" (likewise,
    so ``k - a`` needs ``__rsub__``), "neg", "tanh", "pow" (``a**2``), "exp"
    (``a.tanh().exp()``) and "relu". Feeding two classes the same ``rng`` state builds the
    same expression. ``lines``, if given, receives it as text (``"x3 = 0.5 - x1"``).
    """
    leaves = [V(rng.uniform(-2.0, 2.0)) for _ in range(3)]
    nodes = list(leaves)
    said = [f"x{i} = {leaf.data!r}" for i, leaf in enumerate(leaves)]
    for _ in range(n):
        op = rng.choice(list(ops))
        i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
        a, b = nodes[i], nodes[j]
        k, form = round(rng.uniform(-2.0, 2.0), 2), rng.randrange(3)
        if op in ("add", "mul", "sub"):
            sign = {"add": "+", "mul": "*", "sub": "-"}[op]
            if form == 0:
                out, text = binary(sign, a, b), f"x{i} {sign} x{j}"
            elif form == 1:
                out, text = binary(sign, a, k), f"x{i} {sign} {k}"
            else:
                out, text = binary(sign, k, a), f"{k} {sign} x{i}"
        elif op == "neg":
            out, text = -a, f"-x{i}"
        elif op == "tanh":
            out, text = a.tanh(), f"x{i}.tanh()"
        elif op == "pow":
            out, text = a**2, f"x{i} ** 2"
        elif op == "exp":
            out, text = a.tanh().exp(), f"x{i}.tanh().exp()"  # the numbers stay small
        elif op == "relu":
            out, text = a.relu(), f"x{i}.relu()"
        else:
            raise ValueError(f"unknown op {op!r}")
        said.append(f"x{len(nodes)} = {text}")
        nodes.append(out)
    if lines is not None:
        lines.extend(said)
    return leaves, nodes[-1]


def binary(sign: str, a: Any, b: Any) -> Any:
    return a + b if sign == "+" else a * b if sign == "*" else a - b
