"""The lab page's data, piece by piece: every number as text, the layout, the step texts.

Every number on the page is formatted here (4 significant digits, or ``repr`` for the exact
value on hover): the page's script never formats or computes one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import autograd
from autograd.viz import DEFAULT_MAX_EDGES, DEFAULT_TIMEOUT, GraphDrawing, GraphTooLargeError
from nn.lab.axes import linear_ticks, log_scale
from nn.lab.drawing import folded_digraph, node_colours
from nn.lab.graph import SampleGraph, constant_names, fmt
from nn.losses import classification_loss
from nn.metrics import accuracy
from nn.module import MLP
from nn.train import History

#: Built per (frame, point): its grid and its sample data, by frame, then point.
Built = dict[int, tuple[str, dict[int, dict[str, Any]]]]


def check_edges(edges: int) -> None:
    """GraphTooLargeError (a ValueError) if the folded graph is too large to lay out."""
    if edges > DEFAULT_MAX_EDGES:
        raise GraphTooLargeError(
            f"Lab: one sample's graph has {edges:,} edges between neurons, more than autograd's "
            f"drawing lays out (max_edges={DEFAULT_MAX_EDGES}); use a model with fewer or "
            "narrower layers"
        )


def layout(g: SampleGraph, backend: str) -> dict[str, Any]:
    """The folded graph laid out by Graphviz as SVG, with placeholder numbers to fill in.

    Within autograd's limits: at most ``DEFAULT_MAX_EDGES`` edges and ``DEFAULT_TIMEOUT``
    seconds (:class:`autograd.viz.RenderError` past it).
    """
    check_edges(len(g.edges))
    count = len(g.nodes)
    drawing = GraphDrawing(
        folded_digraph(g, values=False),
        backend,
        count,
        nodes=count,
        edges=len(g.edges),
        timeout=DEFAULT_TIMEOUT,
    )
    svg = drawing.svg()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    return {
        "svg": svg,
        "names": [n.name for n in g.nodes],
        "kinds": [n.kind for n in g.nodes],
        "order": [i for i, _ in g.steps],
        "edges": g.edges,
    }


#: What a sample keeps that the page does not get: its float loss, its texts (shipped by step).
NOT_SHIPPED = ("loss_value", "text")


def sample_data(g: SampleGraph, layout: int, note: str | None = None) -> dict[str, Any]:
    """One sample at one step as the page shows it: every number as text, every fill colour.

    ``v``/``g`` the boxes' data and grad (:func:`fmt`), ``zt`` a neuron's pre-activation z and
    its grad (:func:`fmt`; None without an activation), ``k`` the text of a loss operation's
    constants (``c = 1``; None without), ``vx``/``gx``/``z`` the exact values for hover
    (``repr``), ``c`` the fills (autograd's gradient colours over the whole graph), ``note``
    why nothing flows back, if so (:func:`nn.lab.points.zero_gradient_note`, given as ``note``).
    The engine graph is not kept: this is all the page needs of it.
    """
    return {
        "layout": layout,
        "loss": fmt(g.loss),
        "lossx": exact(g.loss),
        "v": [fmt(x) for x in g.values],
        "g": [fmt(x) for x in g.grads],
        "vx": [exact(x) for x in g.values],
        "gx": [exact(x) for x in g.grads],
        "z": [None if e is None else [exact(e[0]), exact(e[1])] for e in g.extra],
        "zt": [None if e is None else [fmt(e[0]), fmt(e[1])] for e in g.extra],
        "k": [constants_text(c) for c in g.constants],
        "note": note,
        "c": node_colours(g.grads),
        "loss_value": g.loss,
        "text": ["\n".join(lines) for _, lines in g.steps],
    }


def constants_text(values: Sequence[float]) -> str | None:
    """``c = 1`` (or ``c0 = 0, c1 = 1``): a loss operation's constants by the names its label
    gives them (:func:`nn.lab.graph.constant_names`); None for none."""
    if not values:
        return None
    return ", ".join(f"{c} = {fmt(v)}" for c, v in zip(constant_names(len(values)), values))


def exact(x: float) -> str:
    """The exact value, as Python writes it (the shortest text that reads back the same)."""
    return repr(float(x))


def exacts(xs: Sequence[float | None]) -> list[str | None]:
    """Each value exactly (:func:`exact`); None stays None."""
    return shown(xs, exact)


def shown(xs: Sequence[float | None], write: Callable[[float], str]) -> list[str | None]:
    """Each value written by ``write``; None (no value at that step) stays None."""
    return [None if x is None else write(x) for x in xs]


def finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def plotted(xs: Sequence[float | None]) -> list[float | None]:
    """A curve's points: None where there is no finite value to plot (JSON has no inf)."""
    return [x if finite(x) else None for x in xs]


def history_data(history: History) -> dict[str, Any]:
    """The loss chart's data and the step readouts' texts, from a run's history.

    ``step``, ``loss`` and ``val_loss`` (None without validation) place the curves (None where
    a step has no finite value); ``scale`` the log axis (:func:`nn.lab.axes.log_scale`, with
    ``steps``: the step axis's ticks, from 0 to ``len(history)``, the steps done: step ``k``'s
    loss was computed before update ``k``); ``text`` every value as shown (:func:`fmt`,
    accuracy in percent) and ``exact`` as Python writes it (``repr``, for hover).
    """
    has_val = any(v is not None for v in history["val_loss"])
    val = history["val_loss"] if has_val else None
    scale = log_scale([*history["loss"], *(val or [])])
    scale["steps"] = linear_ticks(0, len(history), integers=True)
    return {
        "step": history["step"],
        "loss": plotted(history["loss"]),
        "val_loss": plotted(val) if val else None,
        "scale": scale,
        "text": {  # shown: 4 significant digits, accuracy in percent
            "loss": shown(history["loss"], fmt),
            "val_loss": shown(val, fmt) if val else None,
            "accuracy": shown(history["accuracy"], "{:.1%}".format),
        },
        "exact": {  # on hover: the values themselves
            "loss": exacts(history["loss"]),
            "val_loss": exacts(val) if val else None,
            "accuracy": exacts(history["accuracy"]),
        },
    }


def trained_readout(
    model: MLP,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    val: tuple[Sequence[Sequence[float]], Sequence[int]] | None,
    loss: str,
) -> dict[str, str]:
    """The loss readout of the trained model (the last frame, after the last step): its mean
    ``loss`` on all of ``X`` (without the L2 term that training may add), accuracy, and on
    ``val``. ``text`` as shown, ``title`` exactly, ``lossx`` the training loss's ``repr``.

    The history records each step's loss before its update, so it has no record of these.
    """
    with autograd.no_grad():
        outputs = [model(list(x)) for x in X]
        train = classification_loss(loss, outputs, y).data
        train_accuracy = accuracy(outputs, y)
        if val is not None and len(val[0]):
            val_outputs = [model(list(x)) for x in val[0]]
            val_loss: float | None = classification_loss(loss, val_outputs, val[1]).data
        else:
            val_loss = None
    parts = [("loss", train, f" (all {len(X)} training points)")]
    if val_loss is not None:
        parts.append(("validation loss", val_loss, ""))
    text = ", ".join(f"{what} {fmt(v)}{where}" for what, v, where in parts)
    title = ", ".join(f"{what} {exact(v)}{where}" for what, v, where in parts)
    return {
        "text": f"the trained model: {text}, accuracy {train_accuracy:.1%}",
        "title": f"the trained model: {title}, accuracy {exact(train_accuracy)}",
        "lossx": exact(train),
    }


def by_step(texts: list[list[str]]) -> list[list[str | None]]:
    """Texts of every (frame, point) regrouped by backward step: ``out[s][frame * points + p]``.

    The same step of every frame and point is written alike, so neighbours compress well:
    gzip finds repeats only within 32 KB, and one point's texts at one step are ~40 KB.
    """
    steps = max((len(t) for t in texts), default=0)
    return [[t[s] if s < len(t) else None for t in texts] for s in range(steps)]


def default_point(frames: list[int], points: list[int], built: Built) -> int:
    """The pickable point to show first: the largest loss at the last recorded step, so that
    gradient flows in its graph (a point with loss 0, e.g. beyond the hinge's margin, has
    no gradient anywhere); failing that, at the first step."""
    for k in (frames[-1], frames[0]):
        losses = [built[k][1][i]["loss_value"] for i in points]
        if max(losses) > 0:
            return losses.index(max(losses))
    return 0
