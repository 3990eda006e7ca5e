"""Backprop in pictures: one drawing per step of :func:`autograd.backward_steps`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from autograd.engine import Value
from autograd.graph import backward_steps
from autograd.viz.graph import GraphDrawing, draw_graph


def backward_frames(root: Value, **options: Any) -> Iterator[tuple[Value, float, GraphDrawing]]:
    """Step through backprop with pictures: yield ``(node, grad, drawing)`` per step.

    Follows :func:`autograd.backward_steps`: each node comes with its final gradient and a
    drawing in which it is highlighted, the nodes done so far show their gradients and the
    rest are pending. ``.grad`` is not touched. ``options`` go to
    :func:`autograd.viz.draw_graph`.
    """
    done: dict[Value, float] = {}
    for node, grad in backward_steps(root):
        done[node] = grad
        yield node, grad, draw_graph(root, grads=done, highlight=node, **options)
