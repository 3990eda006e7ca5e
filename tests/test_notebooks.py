"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, fast and without errors.

Each runs in a temporary working directory (nothing is written into the repository) with
notebooks/run.py's executor, the one ``make notebooks`` uses.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_run", NOTEBOOKS / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

# Seconds a notebook may take, kernel start included: each runs in 2-6 s on a 2-core machine.
BUDGET = 30


def test_the_notebooks_are_all_there() -> None:
    assert len(run.notebooks()) == 6


@pytest.mark.parametrize("path", run.notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path: Path, tmp_path: Path) -> None:
    start = time.perf_counter()
    nb = run.execute(path, cwd=tmp_path, timeout=BUDGET)  # raises on the first failing cell
    seconds = time.perf_counter() - start
    assert run.problems(nb) == []
    assert seconds < BUDGET, f"{path.name} took {seconds:.1f} s"
    assert list(tmp_path.iterdir()) == []  # no files left behind


@pytest.mark.parametrize("path", run.notebooks(), ids=lambda p: p.stem)
def test_committed_outputs_have_no_errors_and_open_with_learning_goals(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and "What you will learn" in nb.cells[0].source
    assert "Exercises" in nb.cells[-1].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run `make notebooks`"
    assert run.problems(nb) == []
