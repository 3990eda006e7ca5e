"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, fast and without errors.

Each runs in a temporary working directory (nothing is written into the repository) with
notebooks/run.py's executor, the one ``make notebooks`` uses.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_run", NOTEBOOKS / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

# Seconds a notebook may take, kernel start included: each runs in 2-6 s on a 2-core machine
# (issue 17: all seven together in under 2 minutes).
BUDGET = 30


# Notebooks whose exercises check themselves: each answer cell is followed by a check cell
# (notebooks/teach.py's check, or an assert) and a solution folded in <details>.
SELF_CHECKING = ("01_", "02_", "03_", "04_", "05_", "06_", "07_")


def test_the_notebooks_are_all_there() -> None:
    assert len(run.notebooks()) == 7


def exercises(nb) -> list:
    """The cells from the last heading naming the Exercises to the end: no section follows."""
    markdown = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    named = [i for i in markdown if re.search(r"^#+ .*Exercises", nb.cells[i].source, re.M)]
    assert named, "no Exercises heading"
    cells = nb.cells[named[-1] :]
    later = [
        c for c in cells[1:] if c.cell_type == "markdown" and re.search(r"^#{1,2} ", c.source, re.M)
    ]
    assert not later, f"a section follows the exercises: {later[0].source[:60]!r}"
    return cells


def checks_itself(cells) -> bool:
    """A code cell checks an answer, and a solution is folded (in markdown or an output)."""
    code = [c.source for c in cells if c.cell_type == "code"]
    folded = [c.source for c in cells if c.cell_type == "markdown"] + [
        str(out.get("data", {}).get("text/markdown", ""))
        for c in cells
        if c.cell_type == "code"
        for out in c.outputs
    ]
    return any(re.search(r"\bcheck(_expressions)?\(|\bassert\b", s) for s in code) and any(
        "<details>" in s for s in folded
    )


@pytest.mark.parametrize(
    "path", [p for p in run.notebooks() if p.name.startswith(SELF_CHECKING)], ids=lambda p: p.stem
)
def test_exercises_check_themselves_and_are_left_unanswered(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = exercises(nb)
    assert checks_itself(cells)
    text = "".join(out.get("text", "") for c in cells if c.cell_type == "code" for out in c.outputs)
    assert "not answered yet" in text, "the saved notebook leaves the exercises to the learner"
    assert "is right" not in text


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
    cells = exercises(nb)
    # a section of exercises: either all in its heading cell, or with cells that check them
    assert len(cells) == 1 or checks_itself(cells)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count is not None for c in code), "run `make notebooks`"
    assert run.problems(nb) == []
