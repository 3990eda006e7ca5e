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

#: One example's kind: its static value (its type, and its repr unless two values of the type
#: are equal only when they are the same) and its number of inputs.
Kind = tuple[type, object, int]
_TOLD_BY_VALUE = {int, str, bool, type(None)}


def kinds_of(statics: Sequence[object], rows: Sequence[Sequence[float]]) -> list[Kind]:
    """Each example's kind. A static value is told by its type and value where two values of
    the type are equal only when they are the same (ints, strings), else by its type and
    ``repr``: ``1`` and ``True``, ``0.0`` and ``-0.0`` are equal in Python but may build
    different graphs."""
    types = list(map(type, statics))
    told = statics if set(types) <= _TOLD_BY_VALUE else map(repr, statics)
    return list(zip(types, told, map(len, rows)))


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
