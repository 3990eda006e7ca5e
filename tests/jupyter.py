"""A real Jupyter server on localhost for the live lab's browser tests and benchmark.

Not a test module: tests/test_live_lab_jupyter.py and benchmarks/live_lab.py use it.

* :func:`start` starts ``python -m jupyterlab`` (this interpreter's: the venv's) on 127.0.0.1
  on a free port, in a new temporary root directory, with a random token, no browser and
  nothing fetched from the network (no news, no update check, the read-only extension
  manager), and waits until ``/api/status`` answers. Its Jupyter directories (config, data,
  runtime, IPython's) are in the temporary directory too, so nothing of the user's applies,
  and its ``python3`` kernel is this interpreter (a kernelspec there, first on JUPYTER_PATH).
  The same server serves both front ends: JupyterLab at ``/lab/tree/NAME`` and Notebook 7 at
  ``/notebooks/NAME`` (the ``notebook`` package's server extension, loaded with the rest).
  :meth:`Server.stop` shuts it down through its API, which shuts its kernels down.
* :meth:`Server.write_notebook` writes a notebook of code cells (nbformat) into the root;
  :func:`open_notebook` opens it in a Playwright page, :func:`run_all` runs its cells (the
  front end's own "Run All" command) and :func:`wait_for_widget` waits for the live lab's root
  element to draw its first frame.
* :meth:`Server.kernel` connects a second client to the notebook's own kernel (its
  connection file, over ZeroMQ, as ``jupyter console --existing`` does): :meth:`Kernel.run`
  executes code in the same namespace the notebook's cells ran in and returns what it
  printed, :meth:`Kernel.evaluate` the value of an expression (through JSON). That is how a
  test reads the kernel's truth (``lab.history``, the engine's numbers) beside the page.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

#: The repository: first on the kernel's path, so it imports this checkout's ``nn``.
REPO = Path(__file__).resolve().parent.parent
#: How long a server, a kernel or a page may take to come up (a guard against hanging).
START_TIMEOUT = 90.0
#: The front ends the server serves: the URL of a notebook in each.
FRONT_ENDS = {"lab": "/lab/tree/{name}", "notebook": "/notebooks/{name}"}
#: The line prefix :meth:`Kernel.evaluate` prints its JSON after.
_MARK = "@valuegrad-json@ "

T = TypeVar("T")


def wait_until(condition: Callable[[], T], what: str, timeout: float = 60.0) -> T:
    """Poll ``condition`` until it returns something true, and return that; AssertionError
    naming ``what`` after ``timeout`` seconds (a guard against hanging, not a timing check)."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}")
        pause.wait(0.05)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class KernelError(AssertionError):
    """Code run in the kernel raised: the kernel's traceback."""


class Kernel:
    """A second client of a running kernel (its connection file): runs code in its namespace."""

    def __init__(self, connection_file: Path) -> None:
        from jupyter_client import BlockingKernelClient

        self.client = BlockingKernelClient()
        self.client.load_connection_file(str(connection_file))
        self.client.start_channels()
        self.client.wait_for_ready(timeout=START_TIMEOUT)
        self.pid = int(self.evaluate("__import__('os').getpid()"))

    def run(self, code: str, timeout: float = 60.0) -> str:
        """Execute ``code`` in the kernel; what it printed to stdout. KernelError (with the
        kernel's traceback) if it raised."""
        printed: list[str] = []
        errors: list[str] = []

        def output(message: dict[str, Any]) -> None:
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "stream" and content["name"] == "stdout":
                printed.append(content["text"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))

        reply = self.client.execute_interactive(
            code, store_history=False, allow_stdin=False, output_hook=output, timeout=timeout
        )
        if reply["content"]["status"] != "ok" or errors:
            raise KernelError(f"in the kernel:\n{code}\n" + "\n".join(errors))
        return "".join(printed)

    def evaluate(self, expression: str, setup: str = "") -> Any:
        """The value of ``expression`` in the kernel (JSON: floats exactly, as ``repr``),
        after running ``setup`` there."""
        code = f"{setup}\nimport json as _vg_json\nprint({_MARK!r} + _vg_json.dumps({expression}))"
        lines = [line for line in self.run(code).split("\n") if line.startswith(_MARK)]
        if not lines:
            raise KernelError(f"the kernel printed no value for {expression!r}")
        return json.loads(lines[-1][len(_MARK) :])

    def close(self) -> None:
        """Disconnect (the kernel keeps running: the server owns it)."""
        self.client.stop_channels()


class Server:
    """A Jupyter server started by :func:`start`: its URL, token, root and process."""

    def __init__(self, home: Path, port: int, token: str, process: subprocess.Popen[bytes]) -> None:
        self.home, self.port, self.token, self.process = home, port, token, process
        self.url = f"http://127.0.0.1:{port}"
        self.root = home / "root"
        self.runtime = home / "runtime"
        self.log = home / "server.log"
        self.kernel_pids: set[int] = set()

    def api(self, path: str, method: str = "GET", body: object = None) -> Any:
        """A request to the server's REST API, authenticated by the token; its JSON (None
        for an empty answer)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
        return json.loads(text) if text.strip() else None

    def page_url(self, name: str, front_end: str = "lab") -> str:
        """The URL that opens notebook ``name`` in ``front_end`` ("lab" or "notebook")."""
        return self.url + FRONT_ENDS[front_end].format(name=name) + f"?token={self.token}"

    def write_notebook(self, name: str, cells: Sequence[str]) -> Path:
        """A notebook of code cells ``cells`` at ``name`` in the root, for the python3 kernel."""
        import nbformat

        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        path = self.root / name
        nbformat.write(nb, str(path))
        return path

    def kernel_id(self, name: str) -> str | None:
        """The id of the kernel of notebook ``name``'s session, or None while it has none."""
        for session in self.api("/api/sessions"):
            if session.get("path") == name and session.get("kernel"):
                return str(session["kernel"]["id"])
        return None

    def kernel(self, name: str) -> Kernel:
        """A client of notebook ``name``'s own kernel (the front end must have started it)."""
        kernel_id = wait_until(lambda: self.kernel_id(name), f"a kernel for {name}")
        connection = self.runtime / f"kernel-{kernel_id}.json"
        wait_until(connection.exists, f"the connection file {connection}")
        kernel = Kernel(connection)
        self.kernel_pids.add(kernel.pid)
        return kernel

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's log."""
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the server down (its API shuts its kernels down), then make sure: the server
        and the kernels it ran for :meth:`kernel` are ended (by their process ids), and the
        temporary directory is removed."""
        if self.process.poll() is None:
            with suppress(OSError):
                self.api("/api/shutdown", method="POST")
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        for pid in self.kernel_pids:  # shut down with the server, or now
            _end(pid)
        shutil.rmtree(self.home, ignore_errors=True)


def _end(pid: int) -> None:
    """End process ``pid`` if it still runs and is still a kernel (its command line names
    ipykernel: a process id can be reused): SIGTERM, then SIGKILL after 5 s."""
    with suppress(OSError):
        if b"ipykernel" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return
    deadline = time.monotonic() + 5.0
    sig = signal.SIGTERM
    while _alive(pid):
        if time.monotonic() > deadline:
            sig = signal.SIGKILL
        with suppress(ProcessLookupError):
            os.kill(pid, sig)
        threading.Event().wait(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (ended, not yet reaped by its parent) counts as ended
    with suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _directories(home: Path) -> dict[str, str]:
    """The server's own Jupyter directories in ``home`` (as environment variables), with a
    python3 kernelspec that runs this interpreter and settings that keep the page quiet."""
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "JUPYTER_PATH": home / "share",
        "IPYTHONDIR": home / "ipython",
    }
    for path in [*dirs.values(), home / "root"]:
        path.mkdir(parents=True, exist_ok=True)
    spec = home / "share" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (valuegrad tests)",
                "language": "python",
            }
        )
    )
    # JupyterLab's notification settings: no news, no update check (nothing to ask about).
    settings = home / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True})
    )
    return {k: str(v) for k, v in dirs.items()}


def start(app: str = "jupyterlab") -> Server:
    """Start a Jupyter server (``python -m jupyterlab``, or ``python -m notebook``) on
    127.0.0.1 in a new temporary directory; return once ``/api/status`` answers."""
    if app not in ("jupyterlab", "notebook"):
        raise ValueError(f"app must be 'jupyterlab' or 'notebook', got {app!r}")
    home = Path(tempfile.mkdtemp(prefix="valuegrad-jupyter-"))
    env = {**os.environ, **_directories(home)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    port, token = free_port(), secrets.token_hex(16)
    options = [
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={home / 'root'}",
        "--ServerApp.allow_root=True",  # CI runs as root
        # Nothing from the network: no news feed, no update check, no PyPI look-ups.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        # window.jupyterapp: the page's own commands (run all cells), as Galata uses them.
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", app, *options],
        cwd=home,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(home, port, token, process)

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(
                f"the Jupyter server exited ({process.returncode}):\n" + server.log_tail()
            )
        try:
            return "started" in server.api("/api/status")
        except (OSError, ValueError):
            return False

    try:
        wait_until(answers, "the Jupyter server's /api/status", START_TIMEOUT)
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running(app: str = "jupyterlab") -> Iterator[Server]:
    """:func:`start`, stopped on leaving the block."""
    server = start(app)
    try:
        yield server
    finally:
        server.stop()


# -- the page ------------------------------------------------------------------------------


#: Whether the page's current notebook is connected to its kernel, which is idle, and the
#: front end can run its cells.
KERNEL_IDLE = """() => {
  const app = window.jupyterapp, widget = app && app.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return !!(kernel && context.isReady && kernel.connectionStatus === "connected"
    && kernel.status === "idle" && app.commands.isEnabled("notebook:run-all-cells"));
}"""


class NotebookPage:
    """A notebook open in a front end: the Playwright page, and what it reported from the
    start: ``errors`` (uncaught errors with their stacks, console errors, failed requests)
    and ``away`` (requests to anywhere but the server: none should be made)."""

    def __init__(self, page: Any, server: Server) -> None:
        self.page = page
        self.errors: list[str] = []
        self.away: list[str] = []
        ours = (server.url, server.url.replace("http:", "ws:"), "data:", "blob:")
        page.on("pageerror", lambda e: self.errors.append(f"{e}\n{e.stack}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"),
        )
        page.on("request", lambda r: r.url.startswith(ours) or self.away.append(r.url))
        page.on("websocket", lambda w: w.url.startswith(ours) or self.away.append(w.url))


def open_notebook(
    browser: Any, server: Server, name: str, front_end: str = "lab", width: int = 1400
) -> NotebookPage:
    """A new page with notebook ``name`` open in ``front_end`` ("lab" or "notebook"), once
    its kernel is connected and idle and the front end can run its cells."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(START_TIMEOUT * 1000)
    opened = NotebookPage(page, server)
    page.goto(server.page_url(name, front_end))
    page.wait_for_selector(".jp-Notebook")
    page.wait_for_function(KERNEL_IDLE)
    return opened


def run_all(page: Any) -> None:
    """Run every cell of the page's notebook with the front end's own "Run All" command
    (started, not awaited: wait for what the cells show)."""
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_for_widget(page: Any, selector: str = ".vg-live") -> Any:
    """Wait until the live lab's root element is in a cell's output and has drawn its first
    frame; its locator."""
    page.wait_for_function(
        "(s) => { const r = document.querySelector(s);"
        " return r !== null && +r.getAttribute('data-frames-drawn') >= 1; }",
        arg=selector,
    )
    return page.locator(selector)


def root_attribute(page: Any, name: str, selector: str = ".vg-live") -> str:
    """An attribute of the live lab's root element (data-seq, data-step, ...)."""
    value = page.get_attribute(selector, name)
    if value is None:
        raise AssertionError(f"the lab's root has no {name}")
    return str(value)


#: Page code: a point inside the element ``selector`` (scrolled into view) where it is the
#: topmost element, nearest its middle, so that a real mouse click there reaches it (a
#: point among others, an edge among crossing edges); null if there is none.
_ON_TOP = """(selector) => {
  const target = document.querySelector(selector);
  if (!target) return null;
  target.scrollIntoView({ block: "center", inline: "center" });
  const r = target.getBoundingClientRect(), points = [];
  for (let i = 0; i <= 10; i++)
    for (let j = 0; j <= 10; j++)
      points.push([r.left + (r.width * i) / 10, r.top + (r.height * j) / 10]);
  const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
  points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
  for (const [x, y] of points) {
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === target || target.contains(hit))) return [x, y];
  }
  return null;
}"""


def click_on_top(page: Any, selector: str) -> None:
    """A real mouse click on the element ``selector``, at a point where it is on top."""
    point = page.evaluate(_ON_TOP, selector)
    if point is None:
        raise AssertionError(f"no point of {selector} is on top to click")
    page.mouse.click(*point)
