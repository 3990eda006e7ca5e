"""The lab page: :class:`Lab` turns a recorded training run into one self-contained page.

Its data is built by :mod:`nn.lab.content` (numbers as text), :mod:`nn.lab.graph` (one
sample's folded graph) and :mod:`nn.lab.colours`, within the size that :mod:`nn.lab.budget`
measures; the page itself is a widget of autograd's page base (payload, decoder, escaping,
writing: :class:`autograd.extend.Widget`) with the script ``lab.js`` and the style ``lab.css``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd.extend import ShownAsWidget, Widget, css_colour, decode_payload, encode_payload
from autograd.viz import BACKENDS
from nn._validate import class_index, positive_int, shorten
from nn.lab.assets import script, style
from nn.lab.axes import linear_ticks
from nn.lab.budget import ATTEMPTS, Budget, grid_text, spread
from nn.lab.colours import class_colours, grid_palette, hex_colour, key
from nn.lab.content import (
    NOT_SHIPPED,
    Built,
    by_step,
    default_point,
    exact,
    history_data,
    layout,
    sample_data,
    trained_readout,
)
from nn.lab.graph import fmt, sample_graph
from nn.lab.plane import plane_bounds, plane_pass
from nn.lab.points import pickable_points, sample_losses, zero_gradient_note
from nn.lab.recorder import LabRecorder, check_recorder
from nn.losses import LOSSES
from nn.metrics import boundary_note
from nn.module import MLP
from nn.train import History

#: The lab page's default size limit, in bytes: it is thinned to fit (``max_bytes``).
DEFAULT_MAX_BYTES = 5_000_000
DEFAULT_MAX_FRAMES = 40
DEFAULT_MAX_POINTS = 16
DEFAULT_GRID = 32
#: The default largest model a lab shows (``max_parameters``): one line per parameter.
DEFAULT_MAX_PARAMETERS = 2_000
#: The keys of the page's data that list the data points.
_DATA = ("X", "y", "Xtext", "Xfmt", "Xval", "yval")


class Lab(ShownAsWidget):
    """The lab page of one training run; ``write(path)`` saves it, Jupyter displays it inline.

    ``model`` is the trained MLP, ``(X, y)`` its training data (as many numbers per input as
    the model takes; the decision boundary only for 2, a note otherwise; class labels as
    integers of any type, e.g. numpy's, converted to ``int``), ``history`` and ``recorder``
    from the run (see :class:`LabRecorder`: one new recorder per run; a recorder of another
    model or run is refused), ``loss`` the loss it was trained with, as :func:`nn.fit` names
    it: a required keyword (the history does not record it). ``val`` optional held-out data
    ``(X_val, y_val)``, drawn hollow. Limits, each a positive int: ``max_frames`` and
    ``max_points`` (at least 2) recorded models (the model before each step, and the trained
    one after the last: always the last frame) and pickable points (half of them the points
    of largest loss under the trained model, see :mod:`nn.lab.points`), ``grid`` cells per side of
    the decision boundary, ``max_bytes`` for the page (thinned to fit before building, see
    the module docstring), ``max_parameters`` above which the model is refused. ``backend``
    lays the graph out (``"auto"``, ``"dot"``, ``"wasm"``, as autograd's drawing).
    ``feature_names`` names the inputs (one non-empty string each, e.g. a CSV's columns; default
    ``x0``, ``x1``, ...): the boundary's axes and the points' texts use them.
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
        feature_names: Sequence[str] | None = None,
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
        check_recorder(model, history, recorder)
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
        #: The inputs' names (a CSV's columns): the boundary's axes and the points' texts.
        self.feature_names = _feature_names(feature_names, features)
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

    def widget(self) -> Widget:
        """The page as a widget of autograd's page base (its data built on first use)."""
        return self._widget(self.payload)

    def page_title(self) -> str:
        return self.title

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
            script=script("draw.js", "lab.js"),
            build="ValuegradLab.build",
            name="lab",
            fallback=(
                "<p class='vg-loading'>Loading the lab... (it needs JavaScript: a notebook "
                "viewer that does not run scripts, such as GitHub's, shows only this line)</p>"
            ),
            style=style("draw.css", "lab.css"),
        )

    def _build(self) -> str:
        """Measure, choose what fits ``max_bytes``, build only that (see :mod:`nn.lab.budget`).

        The work and memory are bounded by the page's size: each (frame, point) graph built is
        shipped; each is reduced to its numbers (as text) and step texts at once (the engine
        graph is not kept); each distinct graph is laid out once, within the edge and time
        limits of autograd's drawing.
        """
        steps = len(self.history)
        frames = spread(steps + 1, self.max_frames)  # the models before each step, and after
        losses = sample_losses(self.model, self.X, self.y, self.loss)  # under the trained model
        points = pickable_points(losses, range(len(self.X)), self.max_points)
        static = self._static(points)
        budget = Budget(
            max_bytes=self.max_bytes,
            shell=len(self._widget("").page(self.title).encode("utf-8")),
            parts={
                "data": _size({k: static[k] for k in _DATA}),
                "steps": _size(static["history"]),
                "rest": _size({k: v for k, v in static.items() if k not in (*_DATA, "history")}),
            },
            grid=0 if self.boundary_note else grid_text(self.grid),
            describe=self._describe,
            thin_points=lambda kept, k: pickable_points(losses, kept, k),
        )
        budget.before_building()
        corners = (sorted({frames[0], frames[-1]}), sorted({points[0], points[-1]}))
        built: Built = {}
        layouts: list[dict[str, Any]] = []
        signatures: dict[tuple[Any, ...], int] = {}
        self._frames(*corners, built, layouts, signatures)
        shell = budget.shell
        size = shell + len(self._encoded(static, built, layouts, *corners))
        if size > self.max_bytes and len(corners[0]) * len(corners[1]) == 4:
            budget.refuse(size, self._parts(self._data_of(static, built, layouts, *corners)))
        # what the corners' frames add to the page: their grids, and per sample the rest
        added = size - shell - len(self._encoded(static, built, layouts, [], []))
        grids = [_size(built[k][0]) for k in corners[0]]
        samples = len(corners[0]) * len(corners[1])
        budget.measured(
            (len(corners[0]), len(corners[1])),
            size,
            sample=max(1, added - sum(grids)) // samples,
            grid=max(grids),
        )
        frames, points = budget.choose(frames, points)
        self.notes = [
            f"{len(frames)} of the {steps + 1} models of the run recorded (before each of its "
            f"{steps} steps, and after the last; spread evenly, the first and last always kept)",
            f"{len(points)} of {len(self.X)} training points can be picked "
            + ("(ringed)" if self.boundary_note is None else "(the buttons)")
            + ": those of the largest loss under the trained model, and more spread evenly",
        ]
        self._frames(frames, points, built, layouts, signatures)
        for _ in range(ATTEMPTS):  # the estimate was low: thin what is built, no rebuilding
            self.notes[2:] = budget.notes
            payload = self._encoded(self._static(points), built, layouts, frames, points)
            size = len(payload) + shell
            if size <= self.max_bytes:
                return payload
            thinned = budget.thin(frames, points, size)
            if thinned is None:
                break
            frames, points = thinned
        data = self._data_of(self._static(points), built, layouts, frames, points)
        budget.refuse(size, self._parts(data))

    def _encoded(self, *parts: Any) -> str:
        """The payload of :meth:`_data_of` these parts."""
        return encode_payload(self._data_of(*parts), compress=True)

    def _data_of(
        self,
        static: dict[str, Any],
        built: Built,
        layouts: list[dict[str, Any]],
        frames: list[int],
        points: list[int],
    ) -> dict[str, Any]:
        """The page's data with these frames and points (all built)."""
        data = dict(static)
        data["pickable"] = points
        data["frames"] = [self._frame_data(k, built, points) for k in frames]
        data["texts"] = by_step([built[k][1][i]["text"] for k in frames for i in points])
        data["layouts"] = layouts
        data["notes"] = self.notes
        data["default_point"] = default_point(frames, points, built) if frames else 0
        return data

    @staticmethod
    def _parts(data: dict[str, Any]) -> dict[str, int]:
        """The encoded size of each part of a page's data: what makes it too large."""
        frames = data["frames"]
        return {
            "data": _size({k: data[k] for k in _DATA}),
            "steps": _size(data["history"]),
            "grid": _size([f["grid"] for f in frames]),
            "graph": _size([data["layouts"], [f["samples"] for f in frames], data["texts"]]),
        }

    def _describe(self, part: str, size: int) -> str:
        """What makes the page too large (``part``, about ``size`` bytes), and what to do."""
        about = f"about {size:,} bytes"
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
            f"most of it is the model's graph ({len(self.recorder.params):,} parameters, "
            f"{about}): use a smaller model, or raise max_bytes"
        )

    def _val_count(self) -> int:
        return len(self.val[0]) if self.val else 0

    def _frames(
        self,
        frames: list[int],
        points: list[int],
        built: Built,
        layouts: list[dict[str, Any]],
        signatures: dict[tuple[Any, ...], int],
    ) -> None:
        """Add to ``built`` what it lacks of these frames and points: per recorded step, the
        boundary grid and every point's numbers and texts; and to ``layouts`` one layout per
        distinct graph structure (``signatures`` gives each one's index)."""
        params = self.recorder.params
        final = [p.data for p in params]
        try:
            for k in frames:
                missing = [i for i in points if i not in built.get(k, ("", {}))[1]]
                if not missing:
                    continue
                for p, v in zip(params, self.recorder.snapshots[k]):
                    p.data = v
                if k not in built:
                    built[k] = ("" if self.boundary_note else self._grid(), {})
                samples = built[k][1]
                for i in missing:
                    g = sample_graph(self.model, self.X[i], self.y[i], self.loss)
                    if g.signature not in signatures:
                        signatures[g.signature] = len(layouts)
                        layouts.append(layout(g, self.backend))
                    note = zero_gradient_note(g, self.loss, self.y[i])
                    samples[i] = sample_data(g, signatures[g.signature], note)
        finally:
            for p, v in zip(params, final):
                p.data = v

    def _grid(self) -> str:
        """The model's output on the plane's grid (:func:`nn.lab.plane.plane_pass`), base64."""
        return plane_pass(self.model, self._bounds(), self.grid, neurons=False)[0]

    def _bounds(self) -> list[float]:
        return plane_bounds(self.X + (self.val[0] if self.val else []))

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
        classes = max(2, len(model.layers[-1].neurons))
        points_rgb, area_rgb = class_colours(classes)
        return {
            "title": self.title,
            "run": f"MLP {'-'.join(map(str, sizes))}, {self.loss} loss, {h.method}",
            "loss": self.loss,
            "history": history_data(h),
            "X": self.X if plane else [],
            "y": self.y,
            "Xtext": [self._point_text(x, exact) for x in self.X],
            "Xfmt": [self._point_text(x, fmt) for x in self.X],
            "Xval": self.val[0] if self.val and plane else [],
            "yval": self.val[1] if self.val and plane else [],
            "pickable": points,
            "class_colours": [css_colour(hex_colour(c), "a class colour") for c in points_rgb],
            "grid": (
                {
                    "n": self.grid,
                    "bounds": list(self._bounds()),
                    "multiclass": self._multiclass(),
                    "palette": grid_palette(self._multiclass(), area_rgb),
                }
                if plane
                else None
            ),
            "axes": self._axes() if plane else None,
            "key": key(points_rgb, area_rgb, plane),
            "boundary_note": self.boundary_note,
        }

    def _point_text(self, x: Sequence[float], write: Callable[[float], str]) -> str:
        """``x0 = 0.5, x1 = -1.2``: a point's inputs by name, each written by ``write``."""
        return ", ".join(f"{name} = {write(v)}" for name, v in zip(self.feature_names, x))

    def _axes(self) -> dict[str, Any]:
        """The boundary's axes: the features' names and ticks at round values (Python's text)."""
        x0, x1, y0, y1 = self._bounds()
        return {
            "x": {"name": self.feature_names[0], "ticks": linear_ticks(x0, x1)},
            "y": {"name": self.feature_names[1], "ticks": linear_ticks(y0, y1)},
        }

    def _multiclass(self) -> bool:
        return len(self.model.layers[-1].neurons) > 1

    def _frame_data(
        self,
        k: int,
        built: Built,
        points: list[int],
    ) -> dict[str, Any]:
        grid, samples = built[k]
        kept = [{key: v for key, v in samples[i].items() if key not in NOT_SHIPPED} for i in points]
        steps = len(self.history)
        if k < steps:
            label, readout = f"training step {k} of {steps}", None
            when = f"at {label}"
        else:
            label = when = f"after the last step ({steps} of {steps}, the trained model)"
            readout = self._trained_readout()
        return {
            "step": k,
            "label": label,
            "when": when,
            "readout": readout,
            "grid": grid,
            "samples": kept,
        }

    def _trained_readout(self) -> dict[str, str]:
        """The loss readout of the last frame: the trained model's losses (the history records
        each step's loss before its update, so none after the last)."""
        return trained_readout(self.model, self.X, self.y, self.val, self.loss)


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


def _feature_names(names: Sequence[str] | None, features: int) -> list[str]:
    """The inputs' names: ``features`` non-empty strings (default ``x0``, ``x1``, ...)."""
    if names is None:
        return [f"x{i}" for i in range(features)]
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence):
        raise ValueError(f"Lab: feature_names must be a list of strings, got {shorten(names)}")
    if len(names) != features:
        raise ValueError(
            f"Lab: feature_names has {len(names)} names, but the model takes {features} inputs"
        )
    for i, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"Lab: feature_names[{i}] must be a non-empty string, got {shorten(name)}"
            )
    return [name.strip() for name in names]


def _size(part: object) -> int:
    """The characters ``part`` takes in a payload of its own, compressed."""
    return len(encode_payload(part, compress=True))
