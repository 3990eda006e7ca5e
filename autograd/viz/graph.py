"""Drawing the graph behind a ``Value``: :func:`draw_graph` and its :class:`GraphDrawing`.

One record per Value (label, data, grad), one small oval per operation, edges from inputs to
outputs, laid out by Graphviz with either backend (:mod:`autograd.viz.backends`). Labels use
Graphviz's record syntax with every special character escaped (:func:`graph_label`), so any
text shows as written; every SVG is parsed as XML before it is returned or written.

Drawing is bounded: graphs of more than ``max_nodes`` nodes or ``max_edges`` edges are
refused before any layout (:class:`GraphTooLargeError`), counted in one walk that stops as
soon as a limit is passed; a render that takes longer than ``timeout`` seconds is stopped
(:class:`~autograd.viz.errors.RenderTimeoutError`); Ctrl-C stops a render at once.

What the picture encodes:

* fill colour: the gradient's sign and size, red for positive and blue for negative, the
  strongest colour for the largest ``|grad|`` in the drawing;
* shape: square corners for computed nodes, rounded for leaves (inputs and constants),
  rounded with a bold border for parameters (the ``params=`` argument);
* a thick orange border: ``highlight=`` nodes (the current step of backprop);
* a dashed border and ``grad ?``: nodes whose gradient is not final yet (when drawing with
  ``grads=``, as :func:`autograd.viz.backward_frames` does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.engine import Value
from autograd.files import write_text_atomic
from autograd.viz.backends import BACKENDS, DEFAULT_TIMEOUT, import_graphviz, render
from autograd.viz.errors import GraphTooLargeError
from autograd.viz.style import (
    HIGHLIGHT_COLOUR,
    PENDING_COLOUR,
    format_number,
    grad_colour,
    grad_scale,
    graph_label,
)

if TYPE_CHECKING:
    import graphviz

#: The largest graph drawn, in nodes: a larger one is refused (GraphTooLargeError).
DEFAULT_MAX_NODES = 500
# The worst layouts are dense graphs of long edges (every node using all earlier ones):
# in dot, 228 edges took 0.3 s, 493 edges 1.3 s, 858 edges 18 s, 1,323 edges 53 s (on 2
# shared cores). One sample's hinge loss through the command line's default 2-16-16-1 MLP
# has 752 edges and renders in 0.15 s: the limit has to let it through.
#: The largest graph drawn, in edges: a larger one is refused (GraphTooLargeError).
DEFAULT_MAX_EDGES = 800
# Caps Graphviz's network-simplex passes at this many iterations per node. Graphs of long
# edges (a node reused far downstream) otherwise take minutes at a few hundred nodes: a
# random 300-node DAG took 24 s in dot's x-placement, 1 s capped; ordinary graphs converge
# well within the cap and look the same.
_NSLIMIT = "2"

Highlight = Value | Iterable[Value] | None


class GraphDrawing:
    """A drawn computation graph: a ``graphviz.Digraph`` and the backend that renders it.

    The one return type of :func:`draw_graph`, whichever backend is installed. It shows
    itself inline as SVG in Jupyter (``_repr_svg_``) with either backend, whereas a bare
    ``Digraph`` displays only when the system ``dot`` exists. ``digraph`` is the
    ``graphviz.Digraph`` itself, for its DOT ``source`` or anything else graphviz offers.
    ``values``, ``nodes`` and ``edges`` are the graph's size as counted by :func:`draw_graph`;
    ``timeout`` is the time limit of each render in seconds (``None``: no limit).
    """

    def __init__(
        self,
        digraph: graphviz.Digraph,
        backend: str,
        values: int,
        *,
        nodes: int,
        edges: int,
        timeout: float | None,
    ) -> None:
        self.digraph = digraph
        self.backend = backend
        self.values = values
        self.nodes = nodes
        self.edges = edges
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<GraphDrawing of {self.values} Values, backend={self.backend!r}>"

    @property
    def source(self) -> str:
        """The DOT source of the drawing."""
        return str(self.digraph.source)

    def svg(self) -> str:
        """Render the drawing to an SVG document with this drawing's backend.

        The SVG is parsed as XML before it is returned: :class:`RenderError` if Graphviz
        fails or its output is not well-formed. A render stops with
        :class:`~autograd.viz.errors.RenderTimeoutError` after ``timeout`` seconds, and at once
        on Ctrl-C.
        """
        return render(
            self.source,
            self.backend,
            self.timeout,
            engine=self.digraph.engine,  # the layout engine the Digraph names (dot unless changed)
            what=f"the graph ({self.nodes} nodes, {self.edges} edges)",
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`svg` to ``path`` atomically; return the path.

        The SVG goes to a temporary file in the same directory, which then replaces ``path``
        in one step: a reader sees the old file or the new one, never half of one. Nothing is
        written when rendering fails (a :class:`RenderError`).
        """
        return write_text_atomic(path, self.svg())

    def _repr_svg_(self) -> str:
        """Jupyter's rich display: the drawing as inline SVG, scaled to fit the page's width."""
        return fit_to_container(self.svg())


def draw_graph(
    root: Value,
    *,
    rankdir: str = "LR",
    params: Iterable[Value] = (),
    grads: Mapping[Value, float] | None = None,
    highlight: Highlight = None,
    caption: str | None = None,
    legend: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_edges: int = DEFAULT_MAX_EDGES,
    backend: str = "auto",
    timeout: float | None = DEFAULT_TIMEOUT,
    groups: Mapping[Value, str] | None = None,
) -> GraphDrawing:
    """Draw the computation graph that ``root`` depends on (``root`` included).

    ``rankdir`` is ``"LR"`` (inputs on the left) or ``"TB"`` (inputs on top). ``params``
    are the parameters among the leaves, drawn with a bold border. ``grads`` maps nodes to
    their final gradients (as :func:`autograd.backward_steps` yields them): nodes in it
    show that gradient, the others are drawn as pending; without it every node shows its
    ``.grad``. ``highlight`` (a Value or several) gets a thick orange border. ``caption``
    is printed under the graph, followed by a key to the colours and shapes if ``legend``.

    The graph may have at most ``max_nodes`` drawn nodes, counting one per Value and one
    per operation (a Value with parents), and at most ``max_edges`` edges (one from each
    operation to its result, one from each parent to the operation); a larger one raises
    :class:`GraphTooLargeError` before any layout is attempted. ``backend`` is ``"auto"``,
    ``"dot"`` or ``"wasm"``; it is checked for installation when the drawing is rendered.
    Rendering stops with :class:`~autograd.viz.errors.RenderTimeoutError` after ``timeout``
    seconds (``None``: no limit). ``groups`` maps Values to a group name: each group is drawn
    in a labelled box (a Graphviz cluster), with the operations that compute its Values, e.g.
    one box per layer of a network.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if backend not in BACKENDS:
        raise ValueError(f"draw_graph: backend must be one of {BACKENDS}, got {backend!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"draw_graph: timeout must be a positive number or None, got {timeout!r}")
    values, nodes, edges = _graph_size(root, max_nodes, max_edges)
    graphviz = import_graphviz()

    parameters = set(params)
    marked = {highlight} if isinstance(highlight, Value) else set(highlight or ())
    shown = {v: float(v.grad) for v in values} if grads is None else grads
    scale = grad_scale(shown.values())
    ids = {v: f"v{i}" for i, v in enumerate(values)}

    dot = graphviz.Digraph(
        graph_attr={
            "rankdir": rankdir,
            "fontname": "Helvetica",
            "labelloc": "b",
            "nslimit": _NSLIMIT,
            "nslimit1": _NSLIMIT,
        },
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    key = _legend(values, shown, parameters, marked) if legend else ""
    lines = ([caption] if caption is not None else []) + ([key] if key else [])
    if lines:
        dot.attr(label=graph_label("\n".join(lines)))
    clusters: dict[str, Any] = {}
    for v in values:
        vid = ids[v]
        grad = shown.get(v)
        box = dot
        if groups is not None and v in groups:
            name = str(groups[v])
            if name not in clusters:
                clusters[name] = graphviz.Digraph(name=f"cluster_{len(clusters)}")
                clusters[name].attr(label=graph_label(name), style="rounded", color="#bbbbbb")
            box = clusters[name]
        box.node(vid, **_value_attrs(v, grad, scale, v in parameters, v in marked))
        if v._prev:
            box.node(
                vid + "op",
                label=graph_label(v._op),
                shape="ellipse",
                fontsize="10",
                margin="0.02",
                width="0",
                height="0",
            )
            dot.edge(vid + "op", vid)
            for p in v._prev:
                dot.edge(ids[p], vid + "op")
    for cluster in clusters.values():
        dot.subgraph(cluster)
    return GraphDrawing(dot, backend, len(values), nodes=nodes, edges=edges, timeout=timeout)


# --------------------------------------------------------------------------------------------
# Graph, labels, colours
# --------------------------------------------------------------------------------------------


def _graph_size(root: Value, max_nodes: int, max_edges: int) -> tuple[list[Value], int, int]:
    """Every Value ``root`` depends on (breadth first), the drawn nodes and the edges.

    GraphTooLargeError as soon as the count passes ``max_nodes`` or ``max_edges``: the walk
    stops there, so a graph of a million nodes is refused after reading about ``max_nodes``
    of them. Iterative, so graphs a million nodes deep need no recursion.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph expects a Value, got {type(root).__name__} {root!r}")
    values = [root]
    seen = {root}
    operations = edges = 0
    for v in values:  # the list grows while it is walked
        parents = v._prev
        if parents:
            operations += 1
            edges += 1 + len(parents)  # operation -> result, each parent -> operation
        for p in parents:
            if p not in seen:
                seen.add(p)
                values.append(p)
        nodes = len(values) + operations
        if nodes > max_nodes or edges > max_edges:
            name, limit = (
                ("max_nodes", max_nodes) if nodes > max_nodes else ("max_edges", max_edges)
            )
            raise GraphTooLargeError(
                f"the graph has too many {name[4:]} to draw, more than {name}={limit} (the "
                f"count stopped at {nodes} nodes, {len(values)} Values and {operations} "
                f"operations, and {edges} edges). Draw a smaller graph, e.g. the forward pass "
                "of one sample instead of the loss over a whole batch, or raise "
                f"{name}= (layout time grows quickly with size)."
            )
    return values, len(values) + operations, edges


def _legend(
    values: list[Value], shown: Mapping[Value, float], params: set[Value], marked: set[Value]
) -> str:
    """The key to the colours and shapes, listing only those the picture contains."""
    grads = [shown[v] for v in values if v in shown]
    fills = [("red = positive grad", any(g > 0 for g in grads))]
    fills += [("blue = negative grad", any(g < 0 for g in grads))]
    fills += [("white = zero grad", any(g == 0 for g in grads))]
    shapes = [("rounded: input or constant", any(not v._prev and v not in params for v in values))]
    shapes += [("bold rounded: parameter", any(v in params for v in values))]
    shapes += [("square: computed", any(v._prev for v in values))]
    marks = [("orange border: current step", bool(marked))]
    marks += [("dashed, grad ?: gradient not final yet", len(grads) < len(values))]
    lines = []
    if any(g > 0 or g < 0 for g in grads):
        colours = ", ".join(t for t, on in fills if on)
        lines.append(f"fill: {colours}; stronger = larger |grad|")
    for group in (shapes, marks):
        if any(on for _, on in group):
            lines.append("; ".join(t for t, on in group if on))
    return "\n".join(lines)


def fit_to_container(svg: str) -> str:
    """The SVG scaled down to its container's width (never up): no clipping in notebooks.

    Graphviz writes a fixed size in points; this keeps the ``viewBox`` and turns the size into
    ``width="100%"`` with the natural width as ``max-width``, so a wide graph shrinks to fit
    (zoom in with the browser) and a small one stays as drawn.
    """
    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        return svg
    tag = svg[start:end]
    width = re.search(r'\swidth="([0-9.]+)pt"', tag)
    if width is None or "viewBox" not in tag:
        return svg
    tag = re.sub(r'\s(width|height)="[^"]*"', "", tag)
    tag += f' width="100%" style="max-width: {width.group(1)}pt; height: auto"'
    return svg[:start] + tag + svg[end:]


def _value_attrs(
    v: Value, grad: float | None, scale: float, is_param: bool, is_marked: bool
) -> dict[str, str]:
    """Graphviz attributes of a Value's record; ``grad`` None means not final yet."""
    fields = [graph_label(v.label)] if v.label else []
    fields.append(graph_label(f"data {format_number(v.data)}"))
    fields.append(graph_label("grad " + ("?" if grad is None else format_number(grad))))
    styles = ["filled"] + (["dashed"] if grad is None else [])
    attrs = {
        "label": "{" + "|".join(fields) + "}",
        "shape": "record" if v._prev else "Mrecord",
        "style": ",".join(styles),
        "fillcolor": "white" if grad is None else grad_colour(grad, scale),
    }
    if grad is None:
        attrs["fontcolor"] = attrs["color"] = PENDING_COLOUR
    if is_param:
        attrs["penwidth"] = "2.5"
    if is_marked:
        attrs["color"] = HIGHLIGHT_COLOUR
        attrs["penwidth"] = "4"
    return attrs
