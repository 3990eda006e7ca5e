"""The lab: one self-contained HTML page of a real training run, to replay and backprop by hand.

    rec = nn.LabRecorder(model)                  # before training: records the parameters
    history = nn.fit(model, X, y, ..., callbacks=[rec])
    lab = nn.Lab(model, X, y, history, rec, loss="hinge")   # loss: required, as trained
    lab.write("lab.html")                        # or, in Jupyter, just `lab`

The page replays the run (play / pause / step / scrub): the loss curves and the decision
boundary move with it. Clicking a data point shows that sample's computation graph, one node
per neuron, at the current step (inputs of other than 2 features have no plane to draw a
boundary on: the page shows :func:`nn.metrics.boundary_note` in its place, and a button per
pickable point); "step" walks backward node by node with the chain rule's
arithmetic of each step written out. Every number on the page was computed here, by the
engine: the page's JavaScript (``lab.js``, a plain file of this package) only displays.

Why here, in ``nn``: the page needs a model, a loss and a training run, which ``autograd``
knows nothing of (``autograd`` never imports ``nn``); it uses ``autograd`` only to build
graphs and to lay them out with Graphviz (either backend), once per distinct graph.

Size, and the work of building it. A frame is one recorded step: its decision boundary
(``grid**2`` bytes) and, for every pickable point, the folded graph's numbers (as text) and
the text of every backward step, one line per parameter and per path between neurons. The
page holds at most ``max_frames`` frames (spread over the run, first and last kept) and
``max_points`` pickable points; the data is gzip-compressed (the browser inflates it with
``DecompressionStream``), with the texts grouped by step so that gzip finds their likeness.
:func:`estimate_bytes` gives the size from the model's size alone, roughly

    bytes ~ 30 KB + 50 * (parameters + edges)
            + frames * (grid**2 + points * (4 * (parameters + edges) + 25 * boxes))

(micrograd's 2-16-16-1 demo of ``make demo``, 40 frames x 16 points: 1.62 MB). Before
anything is built, frames (then points) are dropped evenly until the estimate fits
``max_bytes``, and the page says so; only what the page ships is built, so time and memory
grow with ``max_bytes``, not with ``max_frames * max_points``. :class:`ValueError` if even
2 x 2 do not fit, or if the model has more than ``max_parameters`` parameters (checked at
once); the graph's layout keeps autograd's limits (``max_edges``, a 30 s timeout), so a model
of more than 800 edges between neurons is refused (:class:`autograd.viz.GraphTooLargeError`,
a ``ValueError``).

Every number on the page is formatted here (4 significant digits, or ``repr`` for the exact
value on hover), every colour chosen here: fills are autograd's gradient colours
(:func:`autograd.viz.grad_colour`) on the scale of the whole graph, classes get
:func:`class_colours` (any number of them).
"""

from __future__ import annotations

import base64
import colorsys
import math
import os
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import autograd
from autograd.extend import Widget, css_colour, decode_payload, encode_payload
from autograd.viz import (
    BACKENDS,
    DEFAULT_MAX_EDGES,
    DEFAULT_TIMEOUT,
    GraphDrawing,
    GraphTooLargeError,
)
from nn._validate import class_index, positive_int, shorten
from nn.lab._graph import (
    SampleGraph,
    draw_sample,
    fmt,
    folded_digraph,
    hardest_sample,
    node_colours,
    sample_graph,
)
from nn.metrics import LOSSES, boundary_note, predicted_class
from nn.module import MLP
from nn.train import History

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PARAMETERS",
    "Lab",
    "LabRecorder",
    "class_colours",
    "draw_sample",
    "estimate_bytes",
    "hardest_sample",
    "sample_graph",
]

DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_FRAMES = 40
DEFAULT_MAX_POINTS = 16
DEFAULT_GRID = 32
DEFAULT_MAX_PARAMETERS = 2_000
_ATTEMPTS = 8  # rounds of thinning before giving up
# The size estimate (see the module docstring), compressed bytes; measured, see estimate_bytes.
_BYTES_FIXED = 10_000
_BYTES_PER_EDGE = 50  # the layout's SVG
_BYTES_PER_DATA_POINT = 60
_BYTES_PER_STEP = 40
_BYTES_PER_FRAME = 200
_BYTES_PER_SAMPLE = 50
_BYTES_PER_LINE = 4
_BYTES_PER_NODE = 25


class LabRecorder:
    """A training callback that records every parameter's value before every step.

    Create it *before* training (it records the starting values then), one per run, and pass
    it in ``callbacks=`` to :func:`nn.fit` or :class:`nn.Trainer`, first (a callback that stops
    training skips those after it); after training,
    ``snapshots[k]`` holds the parameters with which step ``k`` computed its loss (and
    ``snapshots[-1]`` the trained ones). Memory: ``(steps + 1) * parameters`` floats.
    """

    def __init__(self, model: MLP) -> None:
        self.params = model.parameters()
        self.snapshots: list[list[float]] = [[p.data for p in self.params]]

    def __call__(self, history: History) -> bool:
        self.snapshots.append([p.data for p in self.params])
        return False


class Lab:
    """The lab page of one training run; ``write(path)`` saves it, Jupyter displays it inline.

    ``model`` is the trained MLP, ``(X, y)`` its training data (as many numbers per input as
    the model takes; the decision boundary only for 2, a note otherwise; class labels as
    integers of any type, e.g. numpy's, converted to ``int``), ``history`` and ``recorder``
    from the run (see :class:`LabRecorder`: one new recorder per run; a recorder of another
    model or run is refused), ``loss`` the loss it was trained with, as :func:`nn.fit` names
    it: a required keyword (the history does not record it). ``val`` optional held-out data
    ``(X_val, y_val)``, drawn hollow. Limits, each a positive int: ``max_frames`` and
    ``max_points`` (at least 2) recorded steps and pickable points, ``grid`` cells per side of
    the decision boundary, ``max_bytes`` for the page (thinned to fit before building, see
    the module docstring), ``max_parameters`` above which the model is refused. ``backend``
    lays the graph out (``"auto"``, ``"dot"``, ``"wasm"``, as autograd's drawing).
    ``ValueError`` names the argument that is wrong.
    """

    def __init__(
        self,
        model: MLP,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        history: History,
        recorder: LabRecorder,
        *,
        loss: str,
        val: tuple[Sequence[Sequence[float]], Sequence[int]] | None = None,
        title: str = "valuegrad lab",
        max_frames: int = DEFAULT_MAX_FRAMES,
        max_points: int = DEFAULT_MAX_POINTS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        grid: int = DEFAULT_GRID,
        max_parameters: int = DEFAULT_MAX_PARAMETERS,
        backend: str = "auto",
    ) -> None:
        if not isinstance(model, MLP):
            raise TypeError(f"Lab: the lab shows MLPs, got {type(model).__name__}")
        if loss not in LOSSES:
            raise ValueError(
                f"Lab: unknown loss {shorten(loss)}: give the loss the run was trained with, "
                f"one of {', '.join(LOSSES)}"
            )
        if backend not in BACKENDS:
            raise ValueError(f"Lab: backend must be one of {BACKENDS}, got {shorten(backend)}")
        for name, value, least in (
            ("max_frames", max_frames, 2),
            ("max_points", max_points, 2),
            ("grid", grid, 1),
            ("max_bytes", max_bytes, 1),
            ("max_parameters", max_parameters, 1),
        ):
            positive_int("Lab", name, value)
            if value < least:
                raise ValueError(f"Lab: {name} must be at least {least}, got {value}")
        if len(history) == 0:
            raise ValueError("Lab: the history is empty; train at least one step")
        _check_recorder(model, history, recorder)
        count = len(recorder.params)
        if count > max_parameters:
            raise ValueError(
                f"Lab: the model has {count:,} parameters, more than max_parameters="
                f"{max_parameters:,}: its page would hold one line of arithmetic per parameter "
                "per point and step, and its graph could not be laid out; use a smaller model "
                "(or raise max_parameters)"
            )
        self.model = model
        classes = max(2, len(model.layers[-1].neurons))
        features = len(model.layers[0].neurons[0].w)
        self.X = _inputs(X, "X", features)
        self.y = _labels(y, len(self.X), "y", classes)
        self.history, self.recorder, self.loss = history, recorder, loss
        self.val = None if val is None else _val(val, classes, features)
        #: Why the page has no decision boundary (inputs not 2-D), or None: it has one.
        self.boundary_note = boundary_note(features)
        self.title = title
        self.max_frames, self.max_points, self.max_bytes = max_frames, max_points, max_bytes
        self.max_parameters = max_parameters
        self.grid, self.backend = grid, backend
        self._payload: str | None = None
        self.notes: list[str] = []

    # -- public ----------------------------------------------------------------------------

    def __repr__(self) -> str:
        sizes = [len(self.model.layers[0].neurons[0].w)]
        sizes += [len(layer.neurons) for layer in self.model.layers]
        return (
            f"<Lab of MLP {'-'.join(map(str, sizes))}, {self.loss} loss, "
            f"{len(self.history)} steps, {len(self.X)} points>"
        )

    def html(self) -> str:
        """The whole page: one HTML document with its script, style and data inline."""
        return self._widget(self.payload).page(self.title)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` atomically; return the path."""
        return self._widget(self.payload).write(path, self.title)

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the same widget inline (it needs no kernel to run)."""
        return self._widget(self.payload).fragment()

    @property
    def payload(self) -> str:
        """The page's data as the text of its payload element (gzip-compressed, built on first
        use; see :func:`autograd.extend.encode_payload`)."""
        if self._payload is None:
            self._payload = self._build()
        return self._payload

    def data(self) -> dict[str, Any]:
        """The page's data as Python objects (what the page decodes)."""
        data: dict[str, Any] = decode_payload(self.payload)
        return data

    # -- building ----------------------------------------------------------------------------

    def _widget(self, payload: str) -> Widget:
        return Widget(
            kind="vg-lab",
            payload=payload,
            script=_asset("lab.js"),
            build="ValuegradLab.build",
            name="lab",
            fallback=(
                "<p class='vg-loading'>Loading the lab... (it needs JavaScript: a notebook "
                "viewer that does not run scripts, such as GitHub's, shows only this line)</p>"
            ),
            style=_asset("lab.css"),
        )

    def _build(self) -> str:
        """Choose what fits ``max_bytes`` from the model's size first, then build only that.

        The work and memory are bounded by the page's size: the number of (frame, point)
        graphs built is chosen up front from :func:`estimate_bytes`; each is reduced to its
        numbers (as text) and step texts at once (the engine graph is not kept); each distinct
        graph is laid out once, within the edge and time limits of autograd's drawing.
        """
        steps = len(self.history)
        frames = spread(steps, self.max_frames)
        points = spread(len(self.X), self.max_points)
        self.notes = [
            f"{len(frames)} of {steps} training steps recorded (spread evenly; the first "
            "and last always kept)",
            f"{len(points)} of {len(self.X)} training points can be picked "
            + ("(ringed)" if self.boundary_note is None else "(the buttons)"),
        ]
        probe = sample_graph(self.model, self.X[0], self.y[0], self.loss)  # the structure
        _check_edges(len(probe.edges))
        size = len(self.recorder.params) + len(probe.edges)
        nodes = len(probe.nodes)
        del probe
        base = len(self._widget("").page(self.title).encode("utf-8"))  # the page around the data
        frames, points = self._fit(frames, points, size, nodes, base)
        built, layouts = self._frames(frames, points)
        data = self._static(points)
        payload = ""
        for _ in range(_ATTEMPTS):  # the estimate was low: thin what is built, no rebuilding
            data["frames"] = [self._frame_data(k, built, points) for k in frames]
            data["texts"] = _by_step([built[k][1][i]["text"] for k in frames for i in points])
            data["layouts"] = layouts
            data["notes"] = self.notes
            data["default_point"] = _default_point(frames, points, built)
            payload = _encode(data)
            size_now = len(payload) + base
            if size_now <= self.max_bytes:
                return payload
            if len(frames) > 2:
                keep = max(2, int(len(frames) * self.max_bytes / size_now * 0.9))
                frames = [frames[i] for i in spread(len(frames), keep)]
                self._thinned(f"{len(frames)} frames", size_now)
            elif len(points) > 2:
                keep = max(2, int(len(points) * self.max_bytes / size_now * 0.9))
                points = [points[i] for i in spread(len(points), keep)]
                data = self._static(points)
                self._thinned(f"{len(points)} pickable points", size_now)
            else:
                break
        raise ValueError(
            f"Lab: the page needs {len(payload) + base:,} bytes even with 2 frames and "
            f"2 points, more than max_bytes={self.max_bytes:,}; "
            + self._largest_part(self._estimate_parts(2, 2, size, nodes), size)
        )

    def _thinned(self, what: str, size: int, *, estimated: bool = False) -> None:
        about = "estimated at" if estimated else "it was"
        self.notes.append(
            f"thinned to {what} to keep the page under {self.max_bytes:,} bytes ({about} {size:,})"
        )

    def _fit(
        self, frames: list[int], points: list[int], size: int, nodes: int, base: int
    ) -> tuple[list[int], list[int]]:
        """The frames and points whose estimated page fits ``max_bytes``, before building."""

        def estimate(f: int, p: int) -> int:
            return base + sum(self._estimate_parts(f, p, size, nodes).values())

        full = estimate(len(frames), len(points))
        if full <= self.max_bytes:
            return frames, points
        if estimate(2, 2) > self.max_bytes:
            raise ValueError(
                f"Lab: the page would need about {estimate(2, 2):,} bytes even with 2 frames "
                f"and 2 points, more than max_bytes={self.max_bytes:,}; "
                + self._largest_part(self._estimate_parts(2, 2, size, nodes), size)
            )
        f = len(frames)
        while f > 2 and estimate(f, len(points)) > self.max_bytes:
            f = max(2, min(f - 1, int(f * self.max_bytes / estimate(f, len(points)))))
        if f < len(frames):
            frames = [frames[i] for i in spread(len(frames), f)]
            self._thinned(f"{len(frames)} frames", full, estimated=True)
        p = len(points)
        while p > 2 and estimate(len(frames), p) > self.max_bytes:
            p = max(2, min(p - 1, int(p * self.max_bytes / estimate(len(frames), p))))
        if p < len(points):
            points = [points[i] for i in spread(len(points), p)]
            self._thinned(f"{len(points)} pickable points", full, estimated=True)
        return frames, points

    def _estimate_parts(self, frames: int, points: int, size: int, nodes: int) -> dict[str, int]:
        return _estimate_parts(
            frames,
            points,
            size=size,
            nodes=nodes,
            grid=0 if self.boundary_note else self.grid,
            data_points=len(self.X) + self._val_count(),
            steps=len(self.history),
            features=len(self.X[0]),
        )

    def _largest_part(self, parts: dict[str, int], size: int) -> str:
        """What makes the page too large (the largest part of its estimate), and what to do."""
        del parts["rest"]
        part = max(parts, key=parts.__getitem__)
        about = f"about {parts[part]:,} bytes"
        if part == "data":
            features = len(self.X[0])
            return (
                f"most of it is the {len(self.X) + self._val_count():,} data points of "
                f"{features} number{'s' if features != 1 else ''} ({about}: the page lists "
                "every one): train on a sample of the data, or raise max_bytes"
            )
        if part == "grid":
            return (
                f"most of it is the decision boundary's grid (grid={self.grid}, {about}): use "
                "a smaller grid, or raise max_bytes"
            )
        if part == "steps":
            return (
                f"most of it is the history of {len(self.history):,} steps ({about}): train "
                "fewer steps, or raise max_bytes"
            )
        return (
            f"most of it is the model's graph ({size:,} parameters and edges, {about}): use a "
            "smaller model, or raise max_bytes"
        )

    def _val_count(self) -> int:
        return len(self.val[0]) if self.val else 0

    def _frames(
        self, frames: list[int], points: list[int]
    ) -> tuple[dict[int, tuple[str, dict[int, dict[str, Any]]]], list[dict[str, Any]]]:
        """Per recorded step: the boundary grid and every pickable point's numbers and texts;
        and the layouts, one per distinct graph structure."""
        params = self.recorder.params
        final = [p.data for p in params]
        out = {}
        layouts: dict[tuple[Any, ...], int] = {}
        laid: list[dict[str, Any]] = []
        try:
            for k in frames:
                for p, v in zip(params, self.recorder.snapshots[k]):
                    p.data = v
                samples = {}
                for i in points:
                    g = sample_graph(self.model, self.X[i], self.y[i], self.loss)
                    if g.signature not in layouts:
                        layouts[g.signature] = len(laid)
                        laid.append(_layout(g, self.backend))
                    samples[i] = _sample_data(g, layouts[g.signature])
                out[k] = ("" if self.boundary_note else self._grid(), samples)
        finally:
            for p, v in zip(params, final):
                p.data = v
        return out, laid

    def _grid(self) -> str:
        """The model's output on a grid, one byte a cell, base64: tanh(score) or the class."""
        x0, x1, y0, y1 = self._bounds()
        n = self.grid
        cells = bytearray()
        with autograd.no_grad():
            for r in range(n):
                yy = y1 - (r + 0.5) * (y1 - y0) / n  # top row first
                for c in range(n):
                    xx = x0 + (c + 0.5) * (x1 - x0) / n
                    out = self.model([xx, yy])
                    if isinstance(out, list):
                        cells.append(predicted_class(out))
                    else:
                        s = out.data
                        t = math.tanh(s) if math.isfinite(s) else math.copysign(1.0, s)
                        cells.append(min(255, max(0, round(127.5 + 127.5 * t))))
        return base64.b64encode(bytes(cells)).decode("ascii")

    def _bounds(self) -> tuple[float, float, float, float]:
        xs = [x[0] for x in self.X] + [x[0] for x in (self.val[0] if self.val else [])]
        ys = [x[1] for x in self.X] + [x[1] for x in (self.val[0] if self.val else [])]
        padx = 0.1 * (max(xs) - min(xs) or 1.0)
        pady = 0.1 * (max(ys) - min(ys) or 1.0)
        return min(xs) - padx, max(xs) + padx, min(ys) - pady, max(ys) + pady

    def _static(self, points: list[int]) -> dict[str, Any]:
        """What does not change from frame to frame: the run, the data, the grid's frame.

        Every number the page shows is here as text, formatted by Python (:func:`fmt`, or
        ``repr`` for the exact value on hover); the floats that remain only place things on
        the plane of the boundary (none without one: ``grid`` is then None and
        ``boundary_note`` says why).
        """
        h = self.history
        plane = self.boundary_note is None
        model = self.model
        sizes = [len(model.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in model.layers]
        has_val = any(v is not None for v in h["val_loss"])
        curves = {"loss": h["loss"], "val_loss": h["val_loss"] if has_val else None}
        finite = [v for c in curves.values() for v in c or [] if v is not None and math.isfinite(v)]
        top = max([*finite, 1e-12])
        classes = max(2, len(model.layers[-1].neurons))
        points_rgb, area_rgb = class_colours(classes)
        return {
            "title": self.title,
            "run": f"MLP {'-'.join(map(str, sizes))}, {self.loss} loss, {h.method}",
            "loss": self.loss,
            "history": {
                "step": h["step"],
                "loss": _plotted(h["loss"]),
                "val_loss": _plotted(h["val_loss"]) if has_val else None,
                "top": top,
                "text": {  # shown: 4 significant digits, accuracy in percent
                    "loss": _shown(h["loss"], fmt),
                    "val_loss": _shown(h["val_loss"], fmt) if has_val else None,
                    "accuracy": _shown(h["accuracy"], "{:.1%}".format),
                    "top": fmt(top),
                },
                "exact": {  # on hover: the values themselves
                    "loss": _exacts(h["loss"]),
                    "val_loss": _exacts(h["val_loss"]) if has_val else None,
                    "accuracy": _exacts(h["accuracy"]),
                },
            },
            "X": self.X if plane else [],
            "y": self.y,
            "Xtext": ["(" + ", ".join(_exact(v) for v in x) + ")" for x in self.X],
            "Xfmt": [", ".join(fmt(v) for v in x) for x in self.X],
            "Xval": self.val[0] if self.val and plane else [],
            "yval": self.val[1] if self.val and plane else [],
            "pickable": points,
            "class_colours": [css_colour(_hex(c), "a class colour") for c in points_rgb],
            "grid": (
                {
                    "n": self.grid,
                    "bounds": list(self._bounds()),
                    "multiclass": self._multiclass(),
                    "palette": _grid_palette(self._multiclass(), area_rgb),
                }
                if plane
                else None
            ),
            "boundary_note": self.boundary_note,
        }

    def _multiclass(self) -> bool:
        return len(self.model.layers[-1].neurons) > 1

    def _frame_data(
        self,
        k: int,
        built: dict[int, tuple[str, dict[int, dict[str, Any]]]],
        points: list[int],
    ) -> dict[str, Any]:
        grid, samples = built[k]
        shown = [
            {key: v for key, v in samples[i].items() if key not in _NOT_SHIPPED} for i in points
        ]
        return {"step": k, "grid": grid, "samples": shown}


# ------------------------------------------------------------------------------------------


def _check_recorder(model: MLP, history: History, recorder: LabRecorder) -> None:
    """ValueError unless ``recorder`` recorded this model through exactly this run."""
    if not isinstance(recorder, LabRecorder):
        raise TypeError(f"Lab: recorder must be a LabRecorder, got {type(recorder).__name__}")
    params = model.parameters()
    if len(recorder.params) != len(params) or any(
        a is not b for a, b in zip(recorder.params, params)
    ):
        raise ValueError(
            "Lab: the recorder recorded another model's parameters, not this model's; "
            "create LabRecorder(model) for the model that is trained and shown"
        )
    expected = len(history) + 1  # the starting values, then one snapshot per step
    if len(recorder.snapshots) != expected:
        raise ValueError(
            f"Lab: the recorder holds {len(recorder.snapshots)} snapshots but this history of "
            f"{len(history)} steps needs {expected} (the starting values and one per step): "
            "the recorder is not this run's. Create a new LabRecorder right before each "
            "training run and pass it in callbacks= (first, before a callback that may stop "
            "training)"
        )


def _inputs(
    X: Sequence[Sequence[float]], name: str, features: int, *, empty: bool = False
) -> list[list[float]]:
    """The inputs as lists of ``features`` finite floats (as many as the model takes);
    ValueError naming the first bad one."""
    out = []
    for i, x in enumerate(X):
        try:
            row = [float(v) for v in x] if not isinstance(x, (str, bytes)) else None
        except (TypeError, ValueError, OverflowError):
            row = None
        if row is None or any(isinstance(v, bool) for v in x):
            raise ValueError(f"Lab: {name}[{i}] must be a list of numbers, got {shorten(x)}")
        if len(row) != features:
            raise ValueError(
                f"Lab: {name}[{i}] has {len(row)} numbers, but the model takes {features} inputs"
            )
        if not all(math.isfinite(v) for v in row):
            raise ValueError(f"Lab: {name}[{i}] must be finite, got {shorten(x)}")
        out.append(row)
    if not out and not empty:
        raise ValueError(f"Lab: {name} is empty")
    return out


def _labels(y: Sequence[int], n: int, name: str, classes: int) -> list[int]:
    """The labels as int class indices (numpy ints and 1.0 welcome; bools and 0.5 not)."""
    labels = []
    for i, label in enumerate(y):
        c = class_index(label)
        if c is None or not 0 <= c < classes:
            raise ValueError(
                f"Lab: {name}[{i}] must be a class index, an integer in 0..{classes - 1}, "
                f"got {shorten(label)}"
            )
        labels.append(c)
    if len(labels) != n:
        raise ValueError(f"Lab: {name} has {len(labels)} labels for {n} inputs")
    return labels


def _val(val: Any, classes: int, features: int) -> tuple[list[list[float]], list[int]]:
    if not isinstance(val, (tuple, list)) or len(val) != 2:
        raise ValueError("Lab: val must be a pair (X_val, y_val)")
    X = _inputs(val[0], "val X", features, empty=True)
    return X, _labels(val[1], len(X), "val y", classes)


def estimate_bytes(
    frames: int,
    points: int,
    *,
    size: int,
    nodes: int,
    grid: int,
    data_points: int,
    steps: int,
    features: int = 2,
) -> int:
    """The page's data (compressed, base64), estimated before anything is built.

    ``size`` is the model's parameters plus the folded graph's edges (one line of arithmetic
    each per frame and point, and the layout's edges), ``nodes`` the folded graph's boxes
    (their numbers and colours per frame and point), ``grid**2`` cells per frame (0: no
    boundary), ``data_points`` training and validation points of ``features`` numbers each
    (their texts grow with it) and ``steps`` history records listed once. Measured on MLPs
    2-3-1 to 2-24-24-1 (2 to 40 frames, 2 to 16 points), it errs high, by up to 60% for the
    smallest: a page may be thinned more than needed, never built
    much larger than ``max_bytes`` before it is thinned.
    """
    parts = _estimate_parts(
        frames,
        points,
        size=size,
        nodes=nodes,
        grid=grid,
        data_points=data_points,
        steps=steps,
        features=features,
    )
    return sum(parts.values())


def _estimate_parts(
    frames: int,
    points: int,
    *,
    size: int,
    nodes: int,
    grid: int,
    data_points: int,
    steps: int,
    features: int,
) -> dict[str, int]:
    """:func:`estimate_bytes` by what costs it: the model's graph, the data points, the
    boundary grid, the history's steps and the rest (the page's frame)."""
    per_sample = _BYTES_PER_LINE * size + _BYTES_PER_NODE * nodes + _BYTES_PER_SAMPLE
    per_point = _BYTES_PER_DATA_POINT * max(features, 2) // 2  # measured for 2 numbers
    return {
        "graph": _BYTES_PER_EDGE * size + frames * points * per_sample,
        "data": per_point * data_points,
        "grid": frames * grid * grid,
        "steps": _BYTES_PER_STEP * steps,
        "rest": _BYTES_FIXED + frames * _BYTES_PER_FRAME,
    }


def _check_edges(edges: int) -> None:
    """GraphTooLargeError (a ValueError) if the folded graph is too large to lay out."""
    if edges > DEFAULT_MAX_EDGES:
        raise GraphTooLargeError(
            f"Lab: one sample's graph has {edges:,} edges between neurons, more than autograd's "
            f"drawing lays out (max_edges={DEFAULT_MAX_EDGES}); use a model with fewer or "
            "narrower layers"
        )


def _layout(g: SampleGraph, backend: str) -> dict[str, Any]:
    """The folded graph laid out by Graphviz as SVG, with placeholder numbers to fill in.

    Within autograd's limits: at most ``DEFAULT_MAX_EDGES`` edges and ``DEFAULT_TIMEOUT``
    seconds (:class:`autograd.viz.RenderError` past it).
    """
    _check_edges(len(g.edges))
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
_NOT_SHIPPED = ("loss_value", "text")


def _sample_data(g: SampleGraph, layout: int) -> dict[str, Any]:
    """One sample at one step as the page shows it: every number as text, every fill colour.

    ``v``/``g`` the boxes' data and grad (:func:`fmt`), ``vx``/``gx``/``z`` their exact values
    for hover (``repr``), ``c`` the fills (autograd's gradient colours over the whole graph).
    The engine graph is not kept: this is all the page needs of it.
    """
    return {
        "layout": layout,
        "loss": fmt(g.loss),
        "lossx": _exact(g.loss),
        "v": [fmt(x) for x in g.values],
        "g": [fmt(x) for x in g.grads],
        "vx": [_exact(x) for x in g.values],
        "gx": [_exact(x) for x in g.grads],
        "z": [None if e is None else [_exact(e[0]), _exact(e[1])] for e in g.extra],
        "c": node_colours(g.grads),
        "loss_value": g.loss,
        "text": ["\n".join(lines) for _, lines in g.steps],
    }


def _exact(x: float) -> str:
    """The exact value, as Python writes it (the shortest text that reads back the same)."""
    return repr(float(x))


def _exacts(xs: Sequence[float | None]) -> list[str | None]:
    return _shown(xs, _exact)


def _shown(xs: Sequence[float | None], write: Callable[[float], str]) -> list[str | None]:
    """Each value written by ``write``; None (no value at that step) stays None."""
    return [None if x is None else write(x) for x in xs]


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


def _plotted(xs: Sequence[float | None]) -> list[float | None]:
    """A curve's points: None where there is no finite value to plot (JSON has no inf)."""
    return [x if _finite(x) else None for x in xs]


# Today's colours for up to 5 classes (points dark, regions light); more: a ramp of hues.
_POINT_RGB = [(33, 102, 172), (178, 24, 43), (27, 120, 55), (118, 42, 131), (184, 134, 11)]
_AREA_RGB = [(103, 169, 207), (239, 138, 98), (120, 190, 120), (200, 160, 220), (230, 200, 90)]


def class_colours(k: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """``k`` distinct colours for the classes: (points' colours, decision regions' colours).

    Up to 5 classes: blue, red, green, purple, gold (2 classes: blue and red, as autograd's
    negative and positive). More: ``k`` hues evenly spaced around the colour wheel from blue.
    """
    if k <= len(_POINT_RGB):
        return _POINT_RGB[:k], _AREA_RGB[:k]

    def ramp(lightness: float, saturation: float) -> list[tuple[int, int, int]]:
        out = []
        for i in range(k):
            r, g, b = colorsys.hls_to_rgb((0.58 + i / k) % 1.0, lightness, saturation)
            out.append((round(255 * r), round(255 * g), round(255 * b)))
        return out

    return ramp(0.35, 0.7), ramp(0.72, 0.6)


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _mix(rgb: tuple[int, int, int], strength: float) -> list[int]:
    """``rgb`` mixed with white: 0 white, 1 the colour itself."""
    return [round(255 + (c - 255) * strength) for c in rgb]


def _grid_palette(multiclass: bool, area: list[tuple[int, int, int]]) -> list[list[int]]:
    """The colour of each byte value of the boundary grid, as [r, g, b]: the page only looks up.

    Multiclass: byte = predicted class, its region's colour, light. One output: byte =
    127.5 + 127.5 tanh(score), blue (negative, class 0) to red (positive, class 1), paler near 0.
    """
    if multiclass:
        return [_mix(c, 0.45) for c in area]
    out = []
    for v in range(256):
        t = (v - 127.5) / 127.5
        out.append(_mix(area[1] if t > 0 else area[0], 0.15 + 0.5 * abs(t)))
    return out


def spread(n: int, k: int) -> list[int]:
    """At most ``k`` indices of ``range(n)``, evenly spread, first and last included."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def _by_step(texts: list[list[str]]) -> list[list[str | None]]:
    """Texts of every (frame, point) regrouped by backward step: ``out[s][frame * points + p]``.

    The same step of every frame and point is written alike, so neighbours compress well:
    gzip finds repeats only within 32 KB, and one point's texts at one step are ~40 KB.
    """
    steps = max(len(t) for t in texts)
    return [[t[s] if s < len(t) else None for t in texts] for s in range(steps)]


def _default_point(
    frames: list[int], points: list[int], built: dict[int, tuple[str, dict[int, dict[str, Any]]]]
) -> int:
    """The pickable point to show first: the largest loss at the last recorded step, so that
    gradient flows in its graph (a point with loss 0, e.g. beyond the hinge's margin, has
    no gradient anywhere); failing that, at the first step."""
    for k in (frames[-1], frames[0]):
        losses = [built[k][1][i]["loss_value"] for i in points]
        if max(losses) > 0:
            return losses.index(max(losses))
    return 0


def _encode(data: dict[str, Any]) -> str:
    return encode_payload(data, compress=True)


def _asset(name: str) -> str:
    return resources.files("nn.lab").joinpath(name).read_text(encoding="utf-8")
