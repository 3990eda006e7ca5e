"""Pictures of training (matplotlib: the optional ``plots`` extra).

* :func:`loss_curves`: several runs' loss (or any recorded metric) on one axes, with the
  validation curves if asked;
* :func:`decision_boundary`: a 2-D classifier's regions with the data on top, the axes named
  after the features;
* :func:`trajectory`: optimiser paths over a 2-D loss surface (contours), or over a 1-D
  loss curve: the ball rolling downhill.

Each function draws into ``ax`` (a new figure's axes by default) and returns the axes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import autograd
from nn._validate import shorten
from nn.lab.colours import class_colours, hex_colour
from nn.metrics import boundary_note, predicted_class, single_output
from nn.module import Module
from nn.train import History

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "nn.plots needs matplotlib: pip install matplotlib (valuegrad's plots extra)"
        ) from None
    return plt


def _axes(ax: Axes | None, size: tuple[float, float] = (6.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    _, ax = _pyplot().subplots(figsize=size)
    return ax


def loss_curves(
    histories: Mapping[str, History],
    *,
    key: str = "loss",
    validation: bool = False,
    ax: Axes | None = None,
    log: bool = True,
    title: str | None = None,
) -> Axes:
    """One line per run: ``key`` (default the training loss) against the step.

    With ``validation``, also ``"val_" + key`` where a run recorded it (a dashed line of the
    run's colour, at the steps that validated); the legend then says which is which. The
    training loss :func:`nn.fit` records includes the L2 penalty, the validation loss not.
    """
    ax = _axes(ax)
    for (name, history), color in zip(histories.items(), _cycle(COLORS)):
        curves = (
            [(key, f"{name}: training", "-"), (f"val_{key}", f"{name}: validation", "--")]
            if validation
            else [(key, name, "-")]
        )
        for column, label, style in curves:
            points = [(r["step"], r[column]) for r in history.records if column in r]
            if column != key and not points:
                continue  # a run without validation data: no empty line in the legend
            if points:
                label = f"{label} (last {points[-1][1]:.4g})"
            ax.plot(
                [s for s, _ in points],
                [v for _, v in points],
                style,
                label=label,
                color=color,
                lw=1.5,
            )
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(key.replace("_", " "))
    ax.set_title(title or f"{key.replace('_', ' ')} per step")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    return ax


def decision_boundary(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    ax: Axes | None = None,
    resolution: int = 80,
    margin: float = 0.5,
    title: str | None = None,
    feature_names: Sequence[str] | None = None,
) -> Axes:
    """The classes a 2-input model assigns over the plane, with the data points on top.

    The axes are named ``feature_names`` (e.g. a CSV file's header, see
    :attr:`nn.csv.CsvData.feature_names`), by default ``x0`` and ``x1``.

    ``ValueError`` for inputs that are not all 2-D: the note of :func:`nn.metrics.boundary_note`
    (no plane to colour), or that they differ in length.
    """
    lengths = sorted({len(x) for x in X})
    if len(lengths) > 1:
        raise ValueError(f"decision_boundary: the inputs differ in length: {lengths[:5]}")
    note = boundary_note(lengths[0]) if lengths else "there are no inputs"
    if note:
        raise ValueError(f"decision_boundary: {note}")
    x_name, y_name = _feature_names(feature_names)
    ax = _axes(ax, (5.5, 5.0))
    xs, ys = [p[0] for p in X], [p[1] for p in X]
    gx = _grid(min(xs) - margin, max(xs) + margin, resolution)
    gy = _grid(min(ys) - margin, max(ys) + margin, resolution)
    with autograd.no_grad():
        outputs = [[model([a, b]) for a in gx] for b in gy]
    if isinstance(outputs[0][0], list):  # one output per class: colour by the largest
        n_classes = len(outputs[0][0])
        surface = [[float(predicted_class(o)) for o in row] for row in outputs]
        levels = [c - 0.5 for c in range(n_classes + 1)]
    else:  # one score: class 1 where it is positive; the boundary is the score's 0 contour
        n_classes = 2
        surface = [[single_output(o).data for o in row] for row in outputs]
        low = min(min(row) for row in surface)
        high = max(max(row) for row in surface)
        levels = [min(low, -1e-9), 0.0, max(high, 1e-9)]
        ax.contour(gx, gy, surface, levels=[0.0], colors="k", linewidths=1.0)
    # the lab's class colours (nn.lab.colours: purple, green, ...; never red or blue)
    points_rgb, areas_rgb = class_colours(max(n_classes, max(y) + 1))
    palette = [hex_colour(rgb) for rgb in points_rgb]
    areas = [hex_colour(rgb) for rgb in areas_rgb[:n_classes]]
    ax.contourf(gx, gy, surface, levels=levels, colors=areas, alpha=0.6)
    for c, colour in enumerate(palette):
        members = [i for i, label in enumerate(y) if label == c]
        ax.scatter(
            [xs[i] for i in members],
            [ys[i] for i in members],
            color=colour,
            s=22,
            edgecolors="k",
            linewidths=0.5,
            label=f"class {c}",
        )
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.legend(loc="best", fontsize="small")
    ax.set_title(title or "decision boundary")
    ax.set_aspect("equal", adjustable="box")
    return ax


def _feature_names(names: Sequence[str] | None) -> tuple[str, str]:
    """The two axes' names: ``names``, or ``x0`` and ``x1``; ValueError for other than 2."""
    if names is None:
        return "x0", "x1"
    if isinstance(names, str) or len(names) != 2 or not all(isinstance(n, str) for n in names):
        raise ValueError(
            f"decision_boundary: feature_names must be 2 names, one per input, got {shorten(names)}"
        )
    return names[0], names[1]


def trajectory(
    f: Callable[..., float],
    paths: Mapping[str, Sequence[Sequence[float]]],
    *,
    xlim: tuple[float, float],
    ylim: tuple[float, float] | None = None,
    ax: Axes | None = None,
    resolution: int = 120,
    levels: int = 30,
    title: str | None = None,
) -> Axes:
    """Optimiser paths over a loss: contours of f(x, y) with ``ylim``, else the curve f(x).

    ``paths`` maps a name to the points visited, ``[(x, y), ...]`` in 2-D or ``[x, ...]`` /
    ``[(x,), ...]`` in 1-D. The start is marked with a circle, the end with a star.
    """
    ax = _axes(ax)
    gx = _grid(*xlim, resolution)
    if ylim is None:
        ax.plot(gx, [f(a) for a in gx], color="0.3", lw=1.5, label="loss")
        for (name, path), color in zip(paths.items(), _cycle(COLORS)):
            px = [p[0] if isinstance(p, Sequence) else p for p in path]
            py = [f(a) for a in px]
            _draw_path(ax, px, py, name, color)
        ax.set_xlabel("parameter")
        ax.set_ylabel("loss")
    else:
        gy = _grid(*ylim, resolution)
        surface = [[f(a, b) for a in gx] for b in gy]
        ax.contour(gx, gy, surface, levels=levels, cmap="viridis", linewidths=0.8)
        for (name, path), color in zip(paths.items(), _cycle(COLORS)):
            _draw_path(ax, [p[0] for p in path], [p[1] for p in path], name, color)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    ax.set_title(title or "optimiser trajectories")
    ax.legend()
    return ax


def _draw_path(ax: Axes, px: list[float], py: list[float], name: str, color: str) -> None:
    ax.plot(px, py, "-", color=color, lw=1.2, alpha=0.8, label=name)
    ax.plot(px[0], py[0], "o", color=color, ms=7)
    ax.plot(px[-1], py[-1], "*", color=color, ms=13, markeredgecolor="k")


def _grid(lo: float, hi: float, n: int) -> list[float]:
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def _cycle(items: Sequence[str]) -> Iterator[str]:
    while True:
        yield from items
