"""The graph walk: topological order and the chain rule over it (as minitorch's autodiff.py).

A node is anything with ``_prev`` (its parents, a tuple), ``_vjp`` (its local-gradient rule,
see :data:`~autograd.extend.Rule`), ``data`` and ``grad``; :class:`Node` is the base class of
:class:`autograd.Value` that says so. The walk visits a node only after every node that uses
it (reverse topological order), so each node's gradient is complete when its rule passes it
on:

    dL/dparent += dL/dnode * dnode/dparent.

:func:`accumulate_gradients` is that loop in floats, straight into ``.grad`` (what
``Value.backward()`` runs); :func:`backward_pass` is the same chain rule node by node,
yielding each gradient (higher order, anomaly mode, :func:`autograd.gradients`).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from autograd import ops
from autograd.grad_mode import AnomalyHook, current_mode, enable_grad, tell_differentiated
from autograd.ops import Grad, as_float

if TYPE_CHECKING:
    from autograd.engine import Operand, Value


class Node:
    """A node of a graph: the base class of :class:`autograd.Value`.

    It holds no data of its own; it names what the walk reads of a node (``_prev``,
    ``_vjp``, ``data``, ``grad``), so that this module and :mod:`autograd.guards` tell a node
    of this engine from another library's object without importing the engine.
    """

    __slots__ = ()


_dot_rule = ops.DOT.rule
#: The rules whose every partial derivative is 1 (``+``, ``sum``, ``identity``), read off the
#: table's spellings: such a node passes its gradient unchanged to each parent. (A tuple, not
#: a set: ``rule in`` it asks nothing of a rule but ``==``, and ``+`` is found first.)
_PASSING = tuple(op.rule for op in ops.OPS if set(op.partials) == {"1.0"})
#: The rule whose partials are each the other operand (``*``): ``a * b`` passes ``g * b`` to
#: ``a`` and ``g * a`` to ``b``.
_PRODUCT = next(op.rule for op in ops.OPS if op.partials == ("{1}", "{0}"))


def topological_order(
    root: Value, *, include_leaves: bool = False, leaf_set: set[Value] | None = None
) -> list[Value]:
    """The nodes ``root`` depends on (itself included), each after all of its parents.

    Iterative depth-first search, so a graph a million nodes deep needs no recursion. A node
    is pushed, expanded (its parents pushed above a ``None`` marker) and, when the marker
    comes back up, appended: by then all its parents are. Leaves are left out of the order
    unless ``include_leaves`` is true (they propagate nothing, and skipping them spares the stack
    work on every edge from a parameter or an input: the work in this loop is per edge, so
    keep it small); ``leaf_set``, if given, collects them instead.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: the node below it has all its parents in order
            order.append(stack.pop())  # type: ignore[arg-type]
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            for p in node._prev:
                if include_leaves or p._prev:
                    if p not in visited:
                        stack.append(p)
                elif leaf_set is not None:
                    leaf_set.add(p)
    return order


def accumulate_gradients(order: list[Value], seed: float) -> None:
    """The first-order chain rule over ``order`` (interior nodes, parents first), in floats.

    Each node's ``.grad`` is set to 0 and the root's (the last) to ``seed``. Visiting nodes in
    reverse order, each node's rule gets its complete gradient and the parents' values and
    adds ``g * dout/dparent`` into every parent's ``.grad`` (leaves' included: the caller
    zeroes them first and adds back what they held).

    The rules the table spells with partials 1 (``+``, ``sum``: ``g`` to each parent) and
    "the other operand" (``*``: ``g * b`` to ``a``, ``g * a`` to ``b``), and ``dot``, are
    applied in place instead of called: the same float operations in the same order.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = seed
    passing, product = _PASSING, _PRODUCT
    for node in reversed(order):
        rule, parents, g = node._vjp, node._prev, node.grad
        # The rules of most nodes (a sum chain is + and *, a neuron a dot) are done here in
        # place: the same float operations as calling them, so the same gradients bit for bit,
        # without a call and a tuple of results per node (a third of this loop's time).
        if len(parents) == 2:
            a, b = parents
            if rule is product:  # d(a*b)/da = b, d(a*b)/db = a
                a.grad += g * b.data
                b.grad += g * a.data
            elif rule in passing:  # d(a+b)/da = d(a+b)/db = 1
                a.grad += g
                b.grad += g
            else:
                ga, gb = rule(g, node.data, a.data, b.data)
                a.grad += ga
                b.grad += gb
        elif len(parents) == 1:
            (a,) = parents
            (ga,) = rule(g, node.data, a.data)
            a.grad += ga
        elif rule is _dot_rule:  # d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1
            n = len(parents) // 2
            for w, x in zip(parents[:n], parents[n:-1]):
                w.grad += g * x.data
                x.grad += g * w.data
            parents[-1].grad += g
        elif rule in passing:  # sum: d/dterm = 1
            for p in parents:
                p.grad += g
        else:
            local = rule(g, node.data, *[p.data for p in parents])
            for p, gp in zip(parents, local):
                p.grad += gp


def local_gradients(node: Value, g: float = 1.0) -> tuple[float, ...]:
    """``g * d node / d parent`` for each of ``node``'s parents, by the node's own rule, in floats.

    With ``g = 1`` these are the local derivatives; a leaf has none. What a picture or a
    page of the chain rule shows for one step (``nn.lab``), with the engine's numbers.
    """
    parents = node._prev
    if not parents:
        return ()
    return tuple(map(float, node._vjp(g, node.data, *[p.data for p in parents])))


def backward_steps(root: Value, grad: Operand = 1.0) -> Iterator[tuple[Value, float]]:
    """Step through backpropagation: yield ``(node, d root/d node)`` in the order it runs.

    Starts at ``root`` and visits every node it depends on, leaves included, each one only
    after every node that uses it, so the gradient yielded with a node is complete. Nothing
    is written to ``.grad``. For one sample through an MLP of fused neurons (one node per
    neuron) this shows the last layer's gradients finished before the layer to its left is
    touched; with elementwise neurons the order interleaves the layers' ``*`` and ``+`` nodes,
    and so does a loss summed over several samples: one sample's first layer can come before
    another's last (notebook 03 measures it).
    """
    return cast("Iterator[tuple[Value, float]]", backward_pass(root, grad, create_graph=False))


def backward_pass(
    root: Value, seed: Operand, *, create_graph: bool
) -> Iterator[tuple[Value, Grad]]:
    """The chain rule, node by node: yields each node with its complete gradient.

    With ``create_graph`` the local-gradient rules get Values and build a graph of the
    gradient, recorded even under ``no_grad`` (as PyTorch does); otherwise they get floats
    (a Value seed is taken by its value). An active anomaly detector checks each node's
    local gradients. (``Value.backward`` runs :func:`accumulate_gradients` instead, which
    writes straight into ``.grad``: about four times faster than this dictionary.)
    """
    tell_differentiated("a first-order gradient (gradients, grad of numbers)", create_graph)
    if not (create_graph and isinstance(seed, Node)):
        seed = float(seed) if isinstance(seed, Node) else as_float(seed, "backward(grad)")
    detector = current_mode().detector
    grads: dict[Value, Grad] = {root: seed}
    for node in reversed(topological_order(root, include_leaves=True)):
        g = grads[node]
        yield node, g
        parents = node._prev
        if not parents:
            continue
        if create_graph:
            with enable_grad():  # not across the yield: a generator shares its caller's context
                _propagate(node, g, node._vjp(g, node, *parents), grads, detector)
        else:
            local = node._vjp(g, node.data, *[p.data for p in parents])
            _propagate(node, g, local, grads, detector)


def _propagate(
    node: Value,
    g: Grad,
    local: tuple[Grad, ...],
    grads: dict[Value, Grad],
    detector: AnomalyHook | None,
) -> None:
    """Add a node's local gradients to its parents' (after the anomaly check, if any)."""
    if detector is not None:
        detector.check_gradients(node, g, local)
    for p, gp in zip(node._prev, local, strict=True):
        grads[p] = grads[p] + gp if p in grads else gp


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block; restore its state on exit.

    Graphs of this engine have no reference cycles, so reference counting frees them and
    the cyclic collector has nothing to find in them, yet CPython runs it again and again
    while a big graph is being built, each time walking the whole live graph. Wrapping a
    training step in ``with gc_paused():`` (from :mod:`autograd.extend`) skips that work
    (several times faster for large elementwise graphs). Nothing is leaked: cyclic garbage
    your own code makes inside the block is collected by the first collection after it, as
    usual. The collector is switched back on even if the block raises; if it was already
    off, it stays off. It is process-wide, like ``gc.disable()`` itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
