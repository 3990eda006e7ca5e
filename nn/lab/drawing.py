"""Pictures of one sample's graph: the folded graph as Graphviz (for the lab page and
:func:`draw_sample`), its fills, and the sample worth drawing (:func:`hardest_sample`)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import autograd
from autograd import Value
from autograd.viz import (
    GraphDrawing,
    GraphTooLargeError,
    draw_graph,
    grad_colour,
    grad_scale,
    graph_label,
)
from nn.lab.graph import SampleGraph, constant_names, fmt, members, sample_graph
from nn.losses import classification_loss
from nn.module import MLP


def folded_digraph(
    g: SampleGraph, *, values: bool = True, caption: str | None = None, legend: bool = False
) -> Any:
    """The folded graph as a ``graphviz.Digraph``: one box per input, neuron and loss step,
    in one cluster per layer (inputs left, loss right).

    With ``values`` the boxes show the data and gradient and are coloured by the gradient (as
    :func:`autograd.viz.draw_graph`); without, they hold placeholders for the lab page to fill
    in: data, grad, and a neuron's pre-activation ``z`` and its grad, or the values of a loss
    operation's constants.
    Every label goes through :func:`autograd.viz.graph_label` and every fill through
    :func:`autograd.viz.grad_colour`: the same escaping and colours as autograd's drawings.
    """
    import graphviz

    dot = graphviz.Digraph(
        graph_attr={
            "rankdir": "LR",
            "fontname": "Helvetica",
            "nodesep": "0.08",
            "ranksep": "0.9" if values else "0.45",  # the page: compact, it can zoom
            "splines": "line",
            "labelloc": "b",
            "ordering": "out",
            "mclimit": "0.01",  # little crossing minimisation: neurons stay in index order
            "outputorder": "edgesfirst",  # boxes drawn over the edges
        },
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box", "style": "filled"},
        edge_attr={"arrowsize": "0.5", "color": "#b0b0b0"},
    )
    colours = node_colours(g.grads)
    last = max(n.layer for n in g.nodes)
    for layer in sorted({n.layer for n in g.nodes}):
        title = "inputs" if layer == 0 else "loss" if layer == last else f"layer {layer}"
        with dot.subgraph(name=f"cluster_{layer}") as sub:
            sub.attr(label=graph_label(title), style="rounded", color="#cccccc", fontsize="11")
            for i, n in enumerate(g.nodes):
                if n.layer != layer:
                    continue
                if values:
                    head = n.picture_label or n.label
                    text = f"{head}\ndata {fmt(g.values[i])}\ngrad {fmt(g.grads[i])}"
                    fill = colours[i]
                else:  # the page fills in the numbers: placeholders as wide as most
                    text, fill = f"{n.label}\ndata -0.0000\ngrad -0.0000", "white"
                    if g.extra[i] is not None:
                        text += "\nz -0.0000, z.grad -0.0000"
                    if g.constants[i]:
                        names = constant_names(len(g.constants[i]))
                        text += "\n" + ", ".join(f"{c} = -0.0000" for c in names)
                sub.node(f"n{i}", label=graph_label(text), id=f"n{i}", fillcolor=fill)
    for a, b in g.edges:
        dot.edge(f"n{a}", f"n{b}", id=f"e{a}_{b}")
    lines = [caption] if caption is not None else []
    if legend:
        signs = [("red = positive grad", any(x > 0 for x in g.grads))]
        signs += [("blue = negative grad", any(x < 0 for x in g.grads))]
        signs += [("white = zero grad", any(x == 0 for x in g.grads))]
        lines.append(
            "one box per neuron (L2.n3: layer 2, neuron 3), its weights and bias folded in; "
            "data = its output, grad = d loss / d output"
        )
        lines.append("fill: " + ", ".join(t for t, on in signs if on))
    if lines:
        dot.attr(label=graph_label("\n".join(lines)))
    return dot


def node_colours(grads: Sequence[float]) -> list[str]:
    """The fill of each box for these gradients: autograd's colours, scaled to the largest
    finite ``|grad|`` (infinite gradients are full colour, NaN white)."""
    scale = grad_scale(grads)
    return [grad_colour(x, scale) for x in grads]


def draw_sample(
    model: MLP,
    x: Sequence[float],
    label: int,
    *,
    loss: str = "hinge",
    view: str = "neurons",
    caption: str | None = None,
    legend: bool = True,
    backend: str = "auto",
    max_nodes: int = 2500,
    max_edges: int = 3000,
    timeout: float | None = 30.0,
) -> GraphDrawing:
    """The graph of one sample's loss after backward, with gradients from that sample alone.

    ``view="neurons"`` (the default, readable) draws one box per neuron (weights folded in),
    grouped by layer; ``view="full"`` draws every node of the engine's graph, parameters
    labelled ``L1.n3.w0`` / ``L1.n3.b`` and grouped in one box per layer. The model's
    ``.grad`` are zeroed before and after (``view="full"`` runs ``backward()``), and the
    parameters' labels are restored. Either view is refused with
    :class:`autograd.viz.GraphTooLargeError` past ``max_nodes`` or ``max_edges`` before any
    layout; the neurons view counts the boxes and edges its layers alone make (one box per
    input and per neuron, one edge per weight) before it builds anything.
    """
    if view == "neurons":
        sizes = [model.nin, *model.nouts]
        _check_folded_size(
            sum(sizes), sum(a * b for a, b in itertools.pairwise(sizes)), max_nodes, max_edges
        )
        g = sample_graph(model, x, label, loss)
        _check_folded_size(len(g.nodes), len(g.edges), max_nodes, max_edges)  # with the loss's
        return GraphDrawing(
            folded_digraph(g, caption=caption, legend=legend),
            backend,
            len(g.nodes),
            nodes=len(g.nodes),
            edges=len(g.edges),
            timeout=timeout,
        )
    if view != "full":
        raise ValueError(f"draw_sample: view must be 'neurons' or 'full', got {view!r}")
    acts: list[Value] = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)]
    groups: dict[Value, str] = {}
    for li, layer in enumerate(model.layers, start=1):
        outs = layer.outputs(acts)
        for out in outs:  # the neuron's own nodes (dot or * and +, activation) in its layer
            groups.update((m, f"layer {li}") for m in members(out, set(acts)))
        acts = outs
    sample_loss = classification_loss(loss, [acts[0] if len(acts) == 1 else acts], [label])
    sample_loss.label = "loss"
    saved = [(p, p.label) for p in model.parameters()]
    for li, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.label = f"L{li}.n{j}.w{i}"
                groups[w] = f"layer {li}"
            neuron.b.label = f"L{li}.n{j}.b"
            groups[neuron.b] = f"layer {li}"
    model.zero_grad()
    try:
        sample_loss.backward()
        return draw_graph(
            sample_loss,
            params=model.parameters(),
            caption=caption,
            legend=legend,
            backend=backend,
            max_nodes=max_nodes,
            max_edges=max_edges,
            timeout=timeout,
            groups=groups,
        )
    finally:
        model.zero_grad()
        for p, old in saved:
            p.label = old


def _check_folded_size(boxes: int, edges: int, max_nodes: int, max_edges: int) -> None:
    """GraphTooLargeError if a folded graph of ``boxes`` and ``edges`` (or one at least that
    large) exceeds ``max_nodes`` or ``max_edges``: draw_graph's limits, for the neurons view."""
    exceeded = [
        f"{name}={limit}"
        for name, size, limit in (("max_nodes", boxes, max_nodes), ("max_edges", edges, max_edges))
        if size > limit
    ]
    if exceeded:
        raise GraphTooLargeError(
            f"draw_sample: the sample's graph has at least {boxes:,} boxes and {edges:,} edges "
            "(a box per input and per neuron, an edge per weight, then the loss's), more than "
            f"{' and '.join(exceeded)}: draw a model with fewer inputs or narrower layers, or "
            "raise the limits (layout time grows quickly with size)"
        )


def hardest_sample(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], loss: str
) -> tuple[int, float]:
    """The index of the sample with the largest loss under ``model``, and that loss.

    The sample to draw: one whose loss is not zero passes gradient back through the network
    (a hinge loss of 0, a point beyond the margin, has gradient 0 everywhere).
    """
    with autograd.no_grad():
        losses = [classification_loss(loss, [model(list(x))], [c]).data for x, c in zip(X, y)]
    best = max(range(len(losses)), key=lambda i: losses[i])
    return best, losses[best]
