"""The kinds of examples of :func:`autograd.compile_mean`, and one program per structure.

An example's *kind* is what may change its graph besides its numbers: its static value (a
class label) and its number of inputs. One program is traced per kind; kinds whose programs
have the same structure (they differ only in a constant, the label written into the loss)
share their code, the differing constants passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from autograd.engine import Value
from autograd.jit.trace import Graph, refuse_result

#: One example's kind: its static value's key (see :func:`static_key`) and its number of inputs.
Kind = tuple[object, int]
#: The types whose equal values are the same value: a static value of these is its own key.
_SAME_WHEN_EQUAL = {int, str, bool, type(None)}


def static_key(static: object, where: str = "compile_mean") -> object:
    """A static value as a key that tells apart what Python's ``==`` may not: its type
    (``1`` is not ``True``), a float by its bits (``0.0`` is not ``-0.0``; NaN is NaN),
    tuples item by item, any other value also by its ``repr`` (a dataclass holding ``-0.0``).
    Static values must be hashable, as ``jax.jit``'s static arguments."""
    kind = type(static)
    if isinstance(static, float):  # NumPy's float64 too
        return (kind, float(static).hex())
    if kind is tuple:
        return (kind, tuple(static_key(part, where) for part in static))  # type: ignore[attr-defined]
    if kind.__hash__ is object.__hash__:  # by identity: a change to it would go unseen
        raise TypeError(
            f"{where}: static values must be compared by value (numbers, strings, tuples, "
            f"frozen dataclasses), got {kind.__name__} {_shown(static)}, which is hashed by "
            "identity: a change to it would replay the program traced before the change"
        )
    if kind in _SAME_WHEN_EQUAL:
        return (kind, static)
    # Another type's equal values may differ (a frozen dataclass of 0.0 and of -0.0): its repr
    # tells them apart.
    return (kind, static, repr(static))


def _shown(value: object) -> str:
    """``repr(value)``, cut short; a placeholder where ``repr`` itself fails."""
    try:
        return f"{value!r:.60}"
    except Exception:
        return f"<{type(value).__name__} object>"


def kinds_of(statics: Sequence[object], rows: Sequence[Sequence[float]]) -> list[Kind]:
    """Each example's kind; a TypeError naming compile_mean for an unhashable static value."""
    if set(map(type, statics)) <= _SAME_WHEN_EQUAL:  # the usual labels: no key to build
        return list(zip(zip(map(type, statics), statics), map(len, rows)))
    kinds = list(zip(map(static_key, statics), map(len, rows)))
    for static, kind in zip(statics, kinds):
        try:
            hash(kind)
        except TypeError:
            raise TypeError(
                "compile_mean: static values must be hashable (as jax.jit's static arguments), "
                f"got {type(static).__name__} {_shown(static)}"
            ) from None
    return kinds


@dataclass
class Variant:
    """The traced program of one kind of example."""

    graph: Graph
    width: int  # the example's number of inputs
    inputs: dict[int, int]  # node index -> position in the example's inputs
    #: the constants whose values differ between the kinds sharing this graph's structure
    constants: list[int] = field(default_factory=list)

    def signature(self) -> tuple[object, ...]:
        """The graph's structure: everything but the values of its constants."""
        graph = self.graph

        def kind(i: int) -> object:
            if i in self.inputs:
                return ("x", self.inputs[i])
            leaf = graph.leaf(i)
            return ("c",) if leaf is None else ("p", id(leaf))

        nodes = tuple(
            kind(i) if node.op is None else (node.op.name, node.parents, node.c)
            for i, node in enumerate(graph.nodes)
        )
        return nodes, tuple(graph.guards), graph.root, tuple(graph.aux), self.width


def merge(variants: dict[Kind, Variant]) -> tuple[list[Variant], dict[Kind, Any]]:
    """Variants of the same structure merged (their differing constants become inputs of the
    code): the distinct programs, and for each kind ``(program index, its constants)``."""
    by_signature: dict[tuple[object, ...], list[Kind]] = {}
    for kind, variant in variants.items():
        by_signature.setdefault(variant.signature(), []).append(kind)
    programs: list[Variant] = []
    keys: dict[Kind, Any] = {}
    for s, same in enumerate(by_signature.values()):
        first = variants[same[0]]
        constants = [
            i
            for i, node in enumerate(first.graph.nodes)
            if node.op is None
            and i not in first.inputs
            and first.graph.leaf(i) is None  # a constant (a parameter is read, whatever it holds)
            and len({variants[k].graph.nodes[i].data.hex() for k in same}) > 1
        ]
        programs.append(Variant(first.graph, first.width, first.inputs, constants))
        for k in same:
            keys[k] = (s, tuple(variants[k].graph.nodes[i].data for i in constants))
    return programs, keys


def split(result: object) -> tuple[Value, list[Value]]:
    """An example's result as its loss and its auxiliary outputs (refusing anything else)."""
    aux: list[object] = []
    if isinstance(result, tuple) and len(result) == 2:
        result, extra = result
        aux = [extra] if isinstance(extra, Value) else list(extra)
    refuse_result(result, "compile_mean")
    for a in aux:
        refuse_result(a, "compile_mean (an auxiliary output)")
    return result, aux  # type: ignore[return-value]


def as_floats(inputs: Sequence[Sequence[float]]) -> list[Sequence[float]]:
    """The examples as sequences of floats, each number as ``Value(number)`` takes it (read
    once: they may be iterators); lists or tuples of floats as they are."""
    rows = list(inputs)
    if set(map(type, rows)) <= {list, tuple} and set(map(type, chain.from_iterable(rows))) <= {
        float
    }:
        return rows
    return [[v if type(v) is float else Value(v).data for v in x] for x in rows]
