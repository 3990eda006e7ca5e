"""What a backward pass checks before it writes ``.grad``, and the lock writers take.

Every writer of gradients (``Value.backward()``, a compiled call) takes
:data:`gradient_lock`, reads each leaf's earlier gradient through :func:`grad_before` (which
refuses a gradient that is not a number and a node that is not this engine's) and, before
it writes, may ask :func:`check_not_stale` whether the graph's leaves changed since the
graph last ran backward. Each refusal happens before any ``.grad`` is written.
"""

from __future__ import annotations

import numbers
import operator
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from autograd.graph import Node

if TYPE_CHECKING:
    from autograd.engine import Value
    from autograd.ops import Grad


class StaleGraphError(RuntimeError):
    """``backward()`` on a graph whose leaves' data changed since the graph last ran it."""


gradient_lock = threading.RLock()
"""Taken by every writer of gradients (``backward()``, a compiled call): they write ``.grad`` of
nodes that other threads' graphs may share (parameters, inputs), so they take turns and each
one's gradients are added exactly. It costs one uncontended acquire per call."""


def grad_before(leaf: Value) -> Grad:
    """A leaf's gradient before a pass: ``None`` (PyTorch's "no gradient yet") counts as 0.

    Refuses, before any gradient is written, a gradient that is not a number or a Value,
    and a leaf that is not a Value at all (an object with ``.data`` handed to
    :func:`autograd.dot`, such as another library's Value).
    """
    refuse_foreign((leaf,))
    g = leaf.grad
    if g is None:
        return 0.0
    if type(g) is float or (isinstance(g, (Node, numbers.Real)) and not isinstance(g, bool)):
        return g
    raise TypeError(
        f"backward: a leaf holds grad {g!r} of type {type(g).__name__}; a gradient must be "
        "a number, a Value or None (nothing was changed)"
    )


def refuse_foreign(nodes: Iterable[object]) -> None:
    """TypeError if any of ``nodes`` is not a Value (another library's object in the graph)."""
    for node in nodes:
        if not isinstance(node, Node):
            kind = type(node)
            raise TypeError(
                f"backward: the graph holds a {kind.__module__}.{kind.__qualname__} object, "
                "not an autograd.Value (an object with .data passed to autograd.dot?), so no "
                "gradient can be written to it; nothing was changed"
            )


# For each root that ran backward (and lives): its leaves and their data at that pass. Kept
# here, not on the Value, so that the nodes that are never a root carry nothing for it.
_last_pass: weakref.WeakKeyDictionary[Value, tuple[tuple[Value, ...], list[float]]] = (
    weakref.WeakKeyDictionary()
)
_data_of = operator.attrgetter("data")


def check_not_stale(root: Value, leaves: set[Value]) -> tuple[Value, ...]:
    """Refuse to run backward again on a graph whose leaves' data changed since its last run.

    The graph's nodes hold values computed from the leaves' data at the time of the forward
    pass; after ``x.data = ...`` or an optimizer step they no longer match, and a backward
    pass would mix old and new values (PyTorch refuses such a pass with its version
    counters). Each backward remembers the root's leaves and their data; this cheap check
    catches the usual trap, ``backward()``, ``step()``, ``backward()`` on the old graph. A
    change made between the forward pass and the *first* backward is caught only by
    :func:`autograd.detect_anomaly`. Returns the leaves, as a tuple. (Call it holding
    :data:`gradient_lock`.)
    """
    seen = _last_pass.get(root)
    if seen is not None:
        nodes, data = seen
        if all(map(operator.eq, map(_data_of, nodes), data)):
            return nodes  # the graph is unchanged (and so are its leaves)
        for node, before in zip(nodes, data):
            now = node.data
            if now != before and not (now != now and before != before):  # NaN equals NaN
                raise StaleGraphError(
                    f"backward: {_describe(node)} had data {before!r} when this graph last "
                    f"ran backward and has {now!r} now (changed by .data = ... or an "
                    "optimizer step), so the graph's values are stale; run the forward "
                    "pass again to build a new graph"
                )
    nodes = tuple(leaves)
    if root._prev:  # a leaf is its own graph: nothing of it can go stale
        _last_pass[root] = (nodes, list(map(_data_of, nodes)))
    return nodes


def _describe(node: Value) -> str:
    return f"the leaf {node.label!r}" if node.label else f"a leaf {node!r}"
