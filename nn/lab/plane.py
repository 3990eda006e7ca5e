"""The model over the input plane: the decision boundary's grid and each neuron's heat map.

Both labs draw the model's output over a grid of the plane of two inputs (the data's box,
10% wider): the static page once per recorded frame, the live widget once per frame it sends.
Each cell is one forward pass through the engine without a graph, and every number becomes one
byte (:func:`level`, or the class), base64 for the page.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence

import autograd
from autograd import Value
from nn.metrics import predicted_class
from nn.module import MLP


def plane_bounds(points: Sequence[Sequence[float]]) -> list[float]:
    """``[x0, x1, y0, y1]``: the box of the points, 10% wider on each side."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    padx, pady = 0.1 * (max(xs) - min(xs) or 1.0), 0.1 * (max(ys) - min(ys) or 1.0)
    return [min(xs) - padx, max(xs) + padx, min(ys) - pady, max(ys) + pady]


def level(x: float) -> int:
    """A number as one byte: 127.5 + 127.5 tanh(x) (0 at -inf, 255 at +inf, 128 near 0)."""
    t = math.tanh(x) if math.isfinite(x) else math.copysign(1.0, x)
    return min(255, max(0, round(127.5 + 127.5 * t)))


def plane_pass(
    model: MLP, bounds: Sequence[float], n: int, *, neurons: bool = True
) -> tuple[str, dict[str, str]]:
    """The model over an ``n`` x ``n`` grid of the input plane (top row first), base64, one
    byte a cell: the output's :func:`level` (or its class, with one output per class), and,
    with ``neurons``, each neuron's output's :func:`level`, by name (``L1.n0``): the hidden
    ones, and the outputs too when there are several (else an empty dict); one forward pass
    per cell, without a graph."""
    x0, x1, y0, y1 = bounds
    out_cells = bytearray()
    several = len(model.layers[-1].neurons) > 1
    shown = (model.layers if several else model.layers[:-1]) if neurons else []
    cells = [[bytearray() for _ in layer.neurons] for layer in shown]
    with autograd.no_grad():
        for r in range(n):
            yy = y1 - (r + 0.5) * (y1 - y0) / n
            for c in range(n):
                acts: list[Value] = [Value(x0 + (c + 0.5) * (x1 - x0) / n), Value(yy)]
                for li, layer in enumerate(model.layers):
                    acts = layer.outputs(acts)
                    if li < len(shown):
                        for j, a in enumerate(acts):
                            cells[li][j].append(level(a.data))
                out_cells.append(predicted_class(acts) if several else level(acts[0].data))
    heat_maps = {
        f"L{li}.n{j}": _b64(c)
        for li, layer in enumerate(cells, start=1)
        for j, c in enumerate(layer)
    }
    return _b64(out_cells), heat_maps


def _b64(cells: bytearray) -> str:
    return base64.b64encode(bytes(cells)).decode("ascii")
