"""Execute the notebooks in this folder top to bottom, each in a fresh kernel.

    python notebooks/run.py                 # every notebook, outputs written back in place
    python notebooks/run.py 05_*.ipynb      # some of them
    python notebooks/run.py --check         # execute, write nothing (what the tests do)

``make notebooks`` runs the first form. Each notebook gets a new "python3" kernel (from
ipykernel, installed by the ``notebooks`` extra) with this folder as its working directory
and this checkout's packages (and this folder, for ``teach.py``) first on its path.
A cell that raises stops the run with the error. Outputs keep no execution timings, so
re-running an unchanged notebook changes only what its code prints or draws.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CELL_TIMEOUT = 120  # seconds; a cell running longer is an error


def kernel_config(folder: str) -> Config:
    """The kernel and this script talk over Unix domain sockets in ``folder`` (a private
    temporary folder) rather than over jupyter_client's default TCP ports on localhost, which
    any local process may connect to and which ipykernel 7 warns about at every start
    ("[IPKernelApp] WARNING | Kernel is running over TCP without encryption"). The socket path
    is absolute: the kernel runs in the notebook's folder, this script wherever it was started.
    ZeroMQ has no ipc transport on Windows, where the default (TCP) stays."""
    if os.name != "posix":
        return Config()
    return Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(folder, "kernel")}})


def notebooks() -> list[Path]:
    """The notebooks of this folder in reading order (01_..., 02_..., ...)."""
    return sorted(HERE.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, cwd: Path | None = None, timeout: int = CELL_TIMEOUT):
    """Run the notebook at ``path`` in a fresh kernel; return the executed notebook.

    Raises nbclient's ``CellExecutionError`` on the first cell that fails.
    """
    nb = nbformat.read(path, as_version=4)
    # The kernel imports this checkout's autograd and nn, installed or not, and this
    # folder's helpers (teach.py) from any working directory.
    path_list = [str(ROOT), str(HERE), *filter(None, [os.environ.get("PYTHONPATH")])]
    with tempfile.TemporaryDirectory(prefix="valuegrad-kernel-") as sockets:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            config=kernel_config(sockets),
            resources={"metadata": {"path": str(cwd or path.parent)}},
        )
        client.execute(env={**os.environ, "PYTHONPATH": os.pathsep.join(path_list)})
    coalesce_streams(nb)
    return nb


def coalesce_streams(nb) -> None:
    """Merge each cell's consecutive stdout (or stderr) outputs into one, as Jupyter shows
    them: how the kernel happened to chunk the text must not change the file."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (
                out.output_type == "stream"
                and last is not None
                and last.output_type == "stream"
                and last.name == out.name
            ):
                last.text += out.text
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged


def problems(nb) -> list[str]:
    """Error outputs and stderr text in an executed notebook (there should be none)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i}: stderr: {out.text.strip()[:200]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebook files (default: all in this folder)")
    parser.add_argument("--check", action="store_true", help="execute but do not write")
    args = parser.parse_args(argv)
    paths = [HERE / Path(n).name for n in args.names] if args.names else notebooks()
    status = 0
    for path in paths:
        start = time.perf_counter()
        nb = execute(path)
        seconds = time.perf_counter() - start
        found = problems(nb)
        if found:
            status = 1
            print(f"{path.name}: {len(found)} problem(s)", *found, sep="\n  ")
        elif not args.check:
            nbformat.write(nb, path)
        print(f"{path.name}: {seconds:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
