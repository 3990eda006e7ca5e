"""The live lab's frames: what the page draws of a session at one moment, every number as text.

A frame is built in the kernel from the engine's numbers and sent whole: the training step,
the loss curves (:func:`chart`), the decision boundary and every hidden neuron's output over
the input plane (:func:`plane_pass`, one forward pass without a graph), the weights
(:func:`weights_data`) and the picked point's folded graph with its backward steps
(:func:`point_graph`). The page only looks numbers up and draws them.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from typing import Any

from autograd import Value
from autograd.extend import css_colour
from autograd.viz import grad_colour, grad_scale
from nn._validate import positive_int
from nn.lab.axes import linear_ticks
from nn.lab.budget import spread
from nn.lab.colours import class_colours, grid_palette, hex_colour, key
from nn.lab.content import NOT_SHIPPED, exact, history_data, layout, sample_data
from nn.lab.drawing import hardest_sample
from nn.lab.graph import SampleGraph, fmt, sample_graph
from nn.lab.live_session import DATASETS, OPTIMIZERS, YOURS, LiveSession
from nn.lab.plane import plane_bounds, plane_pass
from nn.lab.points import zero_gradient_note
from nn.metrics import boundary_note
from nn.module import ACTIVATIONS, MLP
from nn.train import History

#: What to do instead, in the live lab: any point can be picked.
PICK_ANOTHER_LIVE = "Pick a point near the boundary to see gradient flow."
#: Cells per side of the boundary's grid and of each neuron's heat map.
GRID = 20
#: The most points of a loss curve a frame holds (evenly spread; the first and last exact).
MAX_CURVE = 400
#: A guessed gradient is right within this relative tolerance of the engine's (or absolute,
#: near zero): the page shows 4 significant digits, and a guess worked from them is close.
REL_TOL, ABS_TOL = 0.01, 1e-4

#: The layouts of the graphs drawn so far, by the graph's structure: (id, layout).
Layouts = dict[tuple[Any, ...], tuple[int, dict[str, Any]]]


def chart(history: History, max_points: int = MAX_CURVE) -> dict[str, Any]:
    """The loss chart's data (:func:`nn.lab.content.history_data`) of at most ``max_points``
    steps, spread evenly, the first and last kept exactly; the step axis's ticks are placed
    where their steps fall among the kept ones."""
    keep = spread(len(history), max_points) if len(history) else []
    data = history_data(History(history.method, [history.records[i] for i in keep]))
    if len(keep) < len(history):
        ends = [*keep, len(history)]  # index j of the curve is step ends[j]

        def place(step: float) -> float:
            j = min(bisect.bisect_right(ends, step), len(ends) - 1)
            before, after = ends[j - 1], ends[j]
            return j - 1 + (step - before) / (after - before)

        ticks = linear_ticks(0, len(history), integers=True)
        data["scale"]["steps"] = [[place(step), text] for step, text in ticks]
    return data


def sign_palette() -> list[list[int]]:
    """The colour of each :func:`level` byte in a neuron's heat map, as [r, g, b]: the
    weights' colours, autograd's red for positive outputs and blue for negative ones,
    white at 0 (a ReLU neuron that is off)."""
    colours = [grad_colour((v - 127.5) / 127.5, 1.0) for v in range(256)]
    return [[255, 255, 255] if c == "white" else _rgb(c) for c in colours]


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]


def weights_data(weights: dict[str, Value]) -> dict[str, Any]:
    """Every weight by name: its value as text (4 digits and exact), and how its edge is
    drawn: coloured by sign (autograd's red positive, blue negative) and as wide as its size
    (1 to 5 px, the largest ``|w|`` widest)."""
    values = [w.data for w in weights.values()]
    scale = grad_scale(values)
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0) or 1.0
    return {
        "names": list(weights),
        "text": [fmt(v) for v in values],
        "exact": [exact(v) for v in values],
        "colour": [css_colour(grad_colour(v, scale), "a weight's colour") for v in values],
        "width": [
            round(1.0 + 4.0 * min(1.0, abs(v) / largest), 2) if math.isfinite(v) else 5.0
            for v in values
        ],
    }


def point_graph(
    model: MLP, x: Sequence[float], label: int, index: int, loss: str, layouts: Layouts
) -> tuple[SampleGraph, dict[str, Any]]:
    """Training point ``index``'s folded graph (:func:`nn.lab.graph.sample_graph`) and what the
    page shows of it: the numbers as text (:func:`nn.lab.content.sample_data`), the text of
    each backward step, which layout it takes (laid out once per structure, kept in
    ``layouts``); ``why`` and ``suggest`` None (see :meth:`FrameBuilder.graph`)."""
    g = sample_graph(model, x, label, loss)
    if g.signature not in layouts:
        layouts[g.signature] = (len(layouts), layout(g, "auto"))
    data = sample_data(g, layouts[g.signature][0])
    shown_data = {k: v for k, v in data.items() if k not in NOT_SHIPPED}
    return g, {
        "index": index,
        "label": label,
        "point": "(" + ", ".join(fmt(v) for v in x) + ")",
        "pointx": "(" + ", ".join(exact(v) for v in x) + ")",
        "sample": shown_data,
        "texts": data["text"],
        "why": None,
        "suggest": None,
    }


def verdict(g: SampleGraph, step: int, guess: float) -> dict[str, Any]:
    """Whether ``guess`` is the gradient that backward step ``step`` (0: the loss) gives its
    node, by the engine's number: right within ``REL_TOL`` relative (``ABS_TOL`` near 0)."""
    node_index = g.steps[step][0]
    name = g.nodes[node_index].name
    value = g.grads[node_index]
    right = math.isclose(guess, value, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    within = f"within {REL_TOL:.0%} (or {ABS_TOL:g})"
    text = (
        f"Right: {name}.grad = {fmt(value)}; your {fmt(guess)} is {within}."
        if right
        else f"Not quite: {name}.grad = {fmt(value)}; your {fmt(guess)} is off by "
        f"{fmt(guess - value)} (right means {within})."
    )
    return {
        "step": step,
        "node": name,
        "correct": right,
        "guess": exact(guess),
        "exact": exact(value),
        "text": text,
    }


class FrameBuilder:
    """The frames of one lab: what it draws of its session, keeping what it can reuse.

    ``features`` names the inputs on the plane's axes, ``grid`` is the cells per side of the
    plane. It keeps every graph structure's layout (``layouts``) and the last plane drawn,
    which a frame reuses when no weight changed (a pick, a guess).
    """

    def __init__(self, features: Sequence[str], grid: int) -> None:
        self.features = list(features)
        self.grid = positive_int("LiveLab", "grid", grid)
        self.layouts: Layouts = {}
        self._plane: tuple[Any, tuple[str | None, dict[str, str]]] = (None, (None, {}))

    def layout(self, layout_id: int) -> dict[str, Any]:
        """The layout of that id (as :func:`point_graph` gave it)."""
        return next(lay for i, lay in self.layouts.values() if i == layout_id)

    def setup(self, session: LiveSession) -> dict[str, Any]:
        """The session's :func:`setup_data`."""
        return setup_data(session, self.features, self.grid)

    def graph(self, session: LiveSession, index: int) -> tuple[SampleGraph, dict[str, Any]]:
        """Training point ``index``'s :func:`point_graph`; when no gradient reaches its
        neurons, why (``why``: :func:`nn.lab.points.zero_gradient_note`) and the point of the
        largest loss (``suggest``; None if that is 0 too, or this one)."""
        data, loss = session.data, session.row.name
        g, graph = point_graph(
            session.model, data.X[index], data.y[index], index, loss, self.layouts
        )
        note = zero_gradient_note(g, loss, data.y[index], PICK_ANOTHER_LIVE)
        if note is not None:
            best, best_loss = hardest_sample(session.model, data.X, data.y, loss)
            graph["why"] = note
            if best_loss > 0 and best != index:
                graph["why"] += f" The largest loss is point {best}'s ({fmt(best_loss)})."
                graph["suggest"] = best
        return g, graph

    def frame(self, session: LiveSession, index: int, bounds: list[float] | None) -> dict[str, Any]:
        """The frame of this moment, ``index`` picked, the plane in ``bounds`` (None: none):
        ``step``, ``method``, ``loss``, ``history``, ``grid``, ``neurons``, ``weights``,
        ``graph`` and ``layout``, the id of the graph's layout (see :mod:`nn.lab.live`)."""
        model = session.model
        drawn_for = (model, tuple(p.data for p in model.parameters()), bounds)
        if self._plane[0] != drawn_for:
            plane = plane_pass(model, bounds, self.grid) if bounds else (None, {})
            self._plane = (drawn_for, plane)
        grid, neurons = self._plane[1]
        g, graph = self.graph(session, index)
        last = session.history.last.get("loss")
        return {
            "step": len(session.history),
            "method": session.history.method,
            "loss": None if last is None else {"text": fmt(last), "exact": exact(last)},
            "history": chart(session.history),
            "grid": grid,
            "neurons": neurons,
            "weights": weights_data(session.weights()),
            "graph": graph,
            "layout": self.layouts[g.signature][0],
        }


def setup_data(session: LiveSession, features: Sequence[str], n: int) -> dict[str, Any]:
    """What changes only with the data or the model: the points, the plane's grid, the
    classes' colours, the network's neurons and edges, the choices of the controls."""
    data, model = session.data, session.model
    plane = boundary_note(model.nin) is None
    multiclass = len(model.layers[-1].neurons) > 1
    classes = max(2, len(model.layers[-1].neurons), max(data.y + data.y_val) + 1)
    points_rgb, area_rgb = class_colours(classes)
    names = [[f"x{i}" for i in range(model.nin)]]
    names += [
        [f"L{li}.n{j}" for j in range(len(layer.neurons))]
        for li, layer in enumerate(model.layers, start=1)
    ]
    edges = [
        [source, target, f"{target}.w{i}"]
        for before, layer in itertools.pairwise(names)
        for target in layer
        for i, source in enumerate(before)
    ]
    features = list(features) if len(features) == model.nin else names[0]
    bounds = plane_bounds(data.X + data.X_val) if plane else []
    return {
        "features": features,
        "X": data.X if plane else [],
        "y": data.y,
        "Xval": data.X_val if plane else [],
        "yval": data.y_val if plane else [],
        "Xtext": [", ".join(f"{f} = {exact(v)}" for f, v in zip(features, x)) for x in data.X],
        "Xfmt": [", ".join(f"{f} = {fmt(v)}" for f, v in zip(features, x)) for x in data.X],
        "pickable": list(range(len(data.X))),
        "colours": [css_colour(hex_colour(c), "a class colour") for c in points_rgb],
        "grid": (
            {
                "n": n,
                "bounds": bounds,
                "multiclass": multiclass,
                "palette": grid_palette(multiclass, area_rgb),
            }
            if plane
            else None
        ),
        "axes": (
            {
                "x": {"name": features[0], "ticks": linear_ticks(bounds[0], bounds[1])},
                "y": {"name": features[1], "ticks": linear_ticks(bounds[2], bounds[3])},
            }
            if plane
            else None
        ),
        "key": key(points_rgb, area_rgb, plane),
        "levels": sign_palette(),
        "boundary_note": boundary_note(model.nin),
        "network": {"layers": names, "edges": edges},
        "run": f"MLP {'-'.join(str(len(layer)) for layer in names)}, {session.row.name} loss",
        "options": {
            "optimizer": list(OPTIMIZERS),
            "activation": list(ACTIVATIONS),
            "dataset": [*DATASETS, YOURS] if session.yours is not None else list(DATASETS),
        },
    }
