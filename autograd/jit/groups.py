"""Which nodes NumPy computes together, and in what order.

A *group* is a ``(batch x m)`` matrix of nodes computed at once: a layer of dots of
parameters on the same inputs (one matrix product), or one unary row applied to every
column of a group (``relu`` of a layer). What is not in a group is a single node, a
``(batch,)`` array.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autograd.jit.trace import Node

if TYPE_CHECKING:
    from autograd.jit.kinds import Variant


@dataclass
class Group:
    """Nodes computed together as one (batch x m) matrix."""

    members: list[int]  # column order
    name: str = ""


def find_groups(variant: Variant) -> list[Group]:
    """Layers (dots of parameters on the same inputs), then unary rows over whole groups."""
    graph = variant.graph
    nodes = graph.nodes
    layers: dict[tuple[int, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        if node.op is not None and node.op.name == "dot" and len(node.parents) >= 3:
            n = len(node.parents) // 2
            weights = (*node.parents[:n], node.parents[-1])
            if all(graph.leaf(w) is not None for w in weights):
                layers.setdefault(node.parents[n:-1], []).append(i)
    groups = [Group(sorted(m, reverse=True)) for x, m in layers.items() if len(x) > 1]
    member = {i: (g, j) for g in groups for j, i in enumerate(g.members)}
    changed = True
    while changed:
        changed = False
        found: dict[tuple[str, float | None, int], list[int]] = {}
        for i, node in enumerate(nodes):
            op = node.op
            if op is None or op.arity != 1 or i in member or node.parents[0] not in member:
                continue
            found.setdefault((op.name, node.c, id(member[node.parents[0]][0])), []).append(i)
        for candidates in found.values():
            parent = member[nodes[candidates[0]].parents[0]][0]
            by_column = sorted(candidates, key=lambda i: member[nodes[i].parents[0]][1])
            columns = [member[nodes[i].parents[0]][1] for i in by_column]
            if columns == list(range(len(parent.members))):
                group = Group(by_column)
                groups.append(group)
                member.update({i: (group, j) for j, i in enumerate(by_column)})
                changed = True
    return sorted(groups, key=lambda g: max(g.members))


def in_order(nodes: Sequence[Node], groups: list[Group]) -> list[Group | int]:
    """The groups and the single nodes in an order where each comes after what it reads: the
    nodes' order, a unit placed once all it reads is (Kahn's algorithm, by first member).
    A unit is numbered by its node, a group by -1 - its place in ``groups``."""
    unit_of = {i: -1 - k for k, g in enumerate(groups) for i in g.members}
    singles = [i for i, n in enumerate(nodes) if n.op is not None and i not in unit_of]
    units = [-1 - k for k in range(len(groups))] + singles
    waiting: dict[int, set[int]] = {}  # a unit -> the units it reads not placed yet
    readers: dict[int, list[int]] = {}
    for u in units:
        members = groups[-1 - u].members if u < 0 else [u]
        reads = {
            unit_of.get(p, p) for m in members for p in nodes[m].parents if nodes[p].op is not None
        } - {u}
        waiting[u] = reads
        for r in reads:
            readers.setdefault(r, []).append(u)

    def first(u: int) -> int:
        return min(groups[-1 - u].members) if u < 0 else u

    ready = [(first(u), u) for u in units if not waiting[u]]
    heapq.heapify(ready)
    order: list[Group | int] = []
    while ready:
        _, u = heapq.heappop(ready)
        order.append(groups[-1 - u] if u < 0 else u)
        for reader in readers.get(u, []):
            waiting[reader].discard(u)
            if not waiting[reader]:
                heapq.heappush(ready, (first(reader), reader))
    return order
