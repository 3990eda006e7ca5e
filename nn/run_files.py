"""The files of a finished run (:func:`nn.write_run`'s): the report it prints, the loss
curve and history, the decision boundary, the graph of the hardest sample, the lab page.

Each writer takes the run's pieces as plain arguments and returns the paths it wrote; a
picture that cannot be drawn (no Graphviz, a graph too large) is a warning on stderr, not a
lost run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

import autograd
from autograd.extend import write_text_atomic
from autograd.viz import GraphTooLargeError, GraphvizUnavailableError, RenderError
from nn.lab import Lab, LabRecorder, draw_sample, hardest_sample
from nn.metrics import accuracy, boundary_note
from nn.module import MLP, Module
from nn.train import History

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Inputs (rows of floats) and class labels, as the data sets make them.
Data = Sequence[Sequence[float]]
Labels = Sequence[int]
# One sample through micrograd's 2-16-16-1 MLP is ~470 nodes fused, ~2,000 elementwise.
GRAPH_MAX_NODES = 2500
# ... and edges: a sample's graph is sparse (about 1.2 edges per node), so it lays out quickly.
GRAPH_MAX_EDGES = 3000


def _accuracy(model: Module, X: Data, y: Labels) -> float:
    with autograd.no_grad():
        return accuracy([model(list(x)) for x in X], y)


def report(
    model: Module,
    X: Data,
    y: Labels,
    X_val: Data,
    y_val: Labels,
    history: History | None,
) -> None:
    """Print how the run trained (the update and the batches: ``History.method``), its last
    step and the final accuracies."""
    if history is not None:
        last = history.last
        print(history.method)
        if history.stopped:
            print(history.stopped)
        print(
            f"step {last['step']}: loss {last['loss']:.6f}, batch accuracy {last['accuracy']:.1%}"
        )
        print(f"trained {len(history)} steps in {history.seconds:.2f} s")
    line = f"final: train accuracy {_accuracy(model, X, y):.1%}"
    if X_val:
        line += f", validation accuracy {_accuracy(model, X_val, y_val):.1%}"
    print(line)


def write_history(out: str, history: History, source: dict[str, object]) -> list[str]:
    """loss.png (the training loss and, with a validation split, the validation loss, on a
    log scale) and history.json; returns their paths."""
    plots = _plots()
    loss_png = os.path.join(out, "loss.png")
    name = history.method.split(":")[0]
    _save_figure(plots.loss_curves({name: history}, validation=True), loss_png)
    history_json = os.path.join(out, "history.json")
    record = {"method": history.method, "data": source, "records": history.records}
    write_text_atomic(history_json, json.dumps(record, indent=1))
    return [loss_png, history_json]


def _plots() -> ModuleType:
    """:mod:`nn.plots` on matplotlib's Agg backend (files, no window); ImportError without
    matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    from nn import plots

    return plots


def _save_figure(ax: Axes, path: str) -> None:
    """Write the figure of ``ax`` as a PNG and close it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    figure = ax.get_figure()
    if not isinstance(figure, Figure):  # nn.plots draws on a figure of its own
        raise TypeError(f"cannot save {path}: the plot has no figure of its own")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def write_pictures(
    out: str,
    model: MLP,
    X: Data,
    y: Labels,
    history: History | None,
    loss: str,
    backend: str,
    view: str,
    feature_names: Sequence[str] | None,
) -> list[str]:
    """decision_boundary.png (2-D inputs only; its axes named ``feature_names``, else x0
    and x1) and graph.svg; returns the paths written."""
    plots = _plots()
    written = []
    note = boundary_note(len(X[0]))
    if note:
        print(f"decision_boundary.png not written: {note}")
    else:
        path = os.path.join(out, "decision_boundary.png")
        _save_figure(plots.decision_boundary(model, X, y, feature_names=feature_names), path)
        written.append(path)
    path = os.path.join(out, "graph.svg")
    try:
        when = "of the loaded model" if history is None else "after training"
        _draw_hardest_sample(model, X, y, loss, path, backend, view, when)
        written.append(path)
    except GraphvizUnavailableError as exc:
        if backend != "auto":
            raise
        print(f"warning: graph.svg not written: {exc}", file=sys.stderr)
    except (GraphTooLargeError, RenderError) as exc:
        print(
            f"warning: graph.svg not written: {exc} (with smaller --hidden layers it fits)",
            file=sys.stderr,
        )
    return written


def _draw_hardest_sample(
    model: MLP, X: Data, y: Labels, loss: str, path: str, backend: str, view: str, when: str
) -> None:
    """graph.svg: the sample with the largest loss, so that gradient flows in the picture;
    ``when`` says of which model (``after training``, ``of the loaded model``)."""
    i, value = hardest_sample(model, X, y, loss)
    why = (
        f"the largest loss {when}, so its gradient is not zero"
        if value > 0
        else "every sample's loss is 0, so no gradient flows in any picture"
    )
    print(f"graph.svg: sample {i} (class {y[i]}), {loss} loss {value:.4g}: {why}")
    shown = ", ".join(f"{v:.4g}" for v in X[i])
    drawing = draw_sample(
        model,
        X[i],
        y[i],
        loss=loss,
        view=view,
        backend=backend,
        max_nodes=GRAPH_MAX_NODES,
        max_edges=GRAPH_MAX_EDGES,
        caption=f"sample {i}'s {loss} loss after backward from it alone: x = ({shown}), "
        f"class {y[i]} ({why})",
    )
    write_text_atomic(path, drawing.svg())


def write_lab_page(
    out: str,
    model: MLP,
    X: Data,
    y: Labels,
    val: tuple[Data, Labels] | None,
    history: History,
    recorder: LabRecorder,
    loss: str,
    backend: str,
    feature_names: Sequence[str] | None,
) -> list[str]:
    """lab.html: the interactive page of the run (see nn.lab); [] with a warning if too large.

    The slowest file of a run (seconds to tens of seconds: every recorded step's boundary and
    each pickable point's backward steps are computed here): a line says so before, and one
    its size, time and notes after."""
    path = os.path.join(out, "lab.html")
    print(
        f"writing the lab page {path} (the slow part: it computes every recorded step's "
        "boundary and backward steps) ...",
        flush=True,
    )
    start = time.perf_counter()
    try:
        lab = Lab(
            model,
            X,
            y,
            history,
            recorder,
            loss=loss,
            val=val,
            backend=backend,
            feature_names=feature_names,
        )
        lab.write(path)
    except (GraphvizUnavailableError, GraphTooLargeError, RenderError, ValueError) as exc:
        if isinstance(exc, GraphvizUnavailableError) and backend != "auto":
            raise
        print(f"warning: lab.html not written: {exc}", file=sys.stderr)
        return []
    seconds = time.perf_counter() - start
    print(f"lab.html: {os.path.getsize(path):,} bytes in {seconds:.1f} s; " + "; ".join(lab.notes))
    return [path]
