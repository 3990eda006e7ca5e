"""Every notebook in notebooks/ runs top to bottom in a fresh kernel, fast and without errors.

Each runs in a temporary working directory (nothing is written into the repository) with
notebooks/run.py's executor, the one ``make notebooks`` uses.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.exercises import answers_and_checks, solutions

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_run", NOTEBOOKS / "run.py")
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)

# Seconds one cell may run before it counts as hung (a notebook runs in 3-20 s on an idle
# 2-core machine, its longest cell under 10 s; all ten together in about 2 minutes).
BUDGET = 30


# Notebooks whose exercises check themselves: each answer cell is followed by a check cell
# (notebooks/teach.py's check, or an assert) and a solution folded in <details>.
SELF_CHECKING = ("01_", "02_", "03_", "04_", "05_", "06_", "07_", "08_", "09_", "10_")


def test_the_notebooks_are_all_there() -> None:
    assert len(run.notebooks()) == 10


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


def with_solutions_after(nb):
    """``nb`` with, appended at its end, each exercise's folded solution and its check cell
    again: run, the committed notebook runs first as it is (exercises unanswered), then every
    solution must satisfy its check. Returns the notebook and the number of exercises."""
    import nbformat

    pairs = answers_and_checks(nb)
    folded = solutions(nb)
    assert sorted(folded) == sorted(pairs), "every exercise has one folded solution"
    extended = nbformat.from_dict(nb)
    for number, (_, check_cell) in sorted(pairs.items()):
        source = nb.cells[check_cell].source
        assert "check" in source, f"exercise {number}: no check follows its answer"
        extended.cells += [
            nbformat.v4.new_code_cell(folded[number]),
            nbformat.v4.new_code_cell(source),
        ]
    return extended, len(pairs)


@pytest.mark.parametrize(
    "path", [p for p in run.notebooks() if p.name.startswith(SELF_CHECKING)], ids=lambda p: p.stem
)
def test_a_check_keeps_its_code_folded_and_shows_no_value(path: Path) -> None:
    """A check's code computes the answer it compares with: it is folded (JupyterLab hides the
    input, the exported page drops it), as a solution is, so reading it is opening it. And it
    shows no ``Out[n]`` under its line (no stray ``False`` for an unanswered check)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    pairs = answers_and_checks(nb)
    assert pairs
    for answer, check_cell in pairs.values():
        cell = nb.cells[check_cell]
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"cell {check_cell}"
        assert "hide-input" in cell.metadata.get("tags", []), f"cell {check_cell}"
        assert not nb.cells[answer].metadata.get("jupyter", {}).get("source_hidden")
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        assert results == [], f"cell {check_cell} shows {results[0]['data']}"


@pytest.mark.parametrize("path", run.notebooks(), ids=lambda p: p.stem)
def test_notebook_runs_without_errors_and_its_solutions_pass_their_checks(
    path: Path, tmp_path: Path
) -> None:
    """The committed notebook runs top to bottom; then, in the same kernel, each folded
    solution in place of its answer makes its check say right (a solution that does not is a
    wrong solution, or a check that rejects a right answer)."""
    import nbformat

    nb, exercises_count = with_solutions_after(nbformat.read(path, as_version=4))
    if path.name.startswith(SELF_CHECKING):
        assert exercises_count >= 1
    source = tmp_path / "with-solutions" / path.name
    source.parent.mkdir()
    nbformat.write(nb, source)
    # raises on the first failing cell, or on a cell still running after BUDGET seconds (a
    # guard against a hang, not a measurement: how long a notebook takes is no unit test's
    # business on a shared machine)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    ran = run.execute(source, cwd=cwd, timeout=BUDGET)
    assert run.problems(ran) == []
    assert list(cwd.iterdir()) == []  # no files left behind
    for k in range(exercises_count):
        check_cell = ran.cells[len(ran.cells) - 2 * exercises_count + 2 * k + 1]
        said = "".join(out.get("text", "") for out in check_cell.outputs)
        assert "[x]" in said and "not answered yet" not in said, (check_cell.source[:80], said)


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


def test_a_kernel_started_by_run_py_warns_nothing_and_shows_the_training_bar(
    tmp_path: Path, capfd
) -> None:
    """The kernel's own stderr (inherited: the terminal of ``make notebooks``) stays quiet:
    no "[IPKernelApp] WARNING | Kernel is running over TCP without encryption" (run.py uses
    Unix sockets); and ``fit(progress=True)`` shows its bar in the notebook, whose stderr is no
    terminal (nn.train does not let tqdm's terminal check hide it there)."""
    import nbformat

    pytest.importorskip("tqdm")
    path = tmp_path / "bar.ipynb"
    code = "import nn\nX, y = nn.make_moons(20)\nh = nn.fit(nn.MLP(2, [4, 1]), X, y, steps=3)"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    capfd.readouterr()
    nb = run.execute(path, timeout=BUDGET)
    assert "IPKernelApp" not in capfd.readouterr().err
    outputs = nb.cells[0].outputs
    # no warning in the cell (tqdm.auto's "TqdmWarning: IProgress not found" was one)
    assert not any("Warning" in out.get("text", "") for out in outputs), outputs
    if importlib.util.find_spec("ipywidgets") is not None:  # tqdm.notebook's widget
        assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    else:  # the text bar, redrawn by its carriage returns
        shown = "".join(out.get("text", "") for out in outputs)
        assert "3/3" in shown  # the bar's last state: all three steps


# Wall times as programs print them: "0.06 s", "12 ms", "3.1 seconds", tqdm's "1517.48it/s".
TIMING = re.compile(
    r"\d\s*(?:[mµun]s|s|secs?|seconds?|min|minutes?)\b|\d\s*it/s|\d\s*s/it", re.IGNORECASE
)


def test_the_timing_pattern_finds_what_the_cli_and_tqdm_print() -> None:
    for text in ("trained 5 steps in 0.06 s", "3/3 [00:00<00:00, 1517.48it/s]", "took 12 ms"):
        assert TIMING.search(text), text
    for text in ("step 99: loss 0.016340", "34 of 100 samples", "469 drawn nodes", "5 steps"):
        assert not TIMING.search(text), text


@pytest.mark.parametrize("path", run.notebooks(), ids=lambda p: p.stem)
def test_committed_outputs_hold_no_wall_times(path: Path) -> None:
    """What a learner reads (printed text, reprs, markdown) holds nothing that changes with the
    machine's speed, so re-running the notebooks (make notebooks) leaves the files as they are."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            for text in (
                out.get("text", ""),
                data.get("text/plain", ""),
                data.get("text/markdown", ""),
            ):
                found = TIMING.search(text)
                assert not found, f"cell {i}: {text[max(0, found.start() - 60) : found.end()]!r}"
