"""Notebook 02 (build it yourself): its folded solutions pass their checks, and its checks
catch the bugs a learner writes.

The committed notebook's answer cells are stubs (methods that raise NotImplementedError), each
followed by a check cell (notebooks/teach.py's ``check_expressions``, or ``check``). Here the
cells run in plain Python, with teach.py loaded from its file as tests/test_teach.py does:
the stubs say "not answered yet"; every folded solution, run in place of its answer cell in
order, makes its check say right (also with ``_prev`` written as a set, as micrograd does);
and each bug injected into a solution (a text substitution, asserted to have happened) makes
the check of its exercise raise AssertionError naming the exercise and the expression, not
pass, and not a raw error.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02_build_it_yourself.ipynb"
_spec = importlib.util.spec_from_file_location("teach", ROOT / "notebooks" / "teach.py")
assert _spec is not None and _spec.loader is not None
teach = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teach)

ANSWER = re.compile(r"\A# Exercise (\d+)\b")
SOLUTION = re.compile(r"<summary>\s*<b>Solution (\d+)</b>\s*</summary>(.*?)</details>", re.S)
PYTHON_BLOCK = re.compile(r"^[ \t]*```python\n(.*?)^[ \t]*```", re.S | re.M)


class Cells:
    """The notebook's cells that matter here: the imports, each exercise's answer (a stub),
    its check, its folded solution, and the demo cells that use the learner's Value."""

    def __init__(self) -> None:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        self.imports = code[0]
        self.answers: dict[int, str] = {}
        self.checks: dict[int, str] = {}
        for i, source in enumerate(code):
            if found := ANSWER.match(source):
                self.answers[int(found[1])] = source
                self.checks[int(found[1])] = code[i + 1]
        self.solutions: dict[int, str] = {}
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                for number, body in SOLUTION.findall(cell.source):
                    (block,) = PYTHON_BLOCK.findall(body)
                    self.solutions[int(number)] = textwrap.dedent(block)
        self.naive_demo = next(s for s in code if "def naive_backward" in s)
        self.training = next(s for s in code if "def train(" in s)


@functools.cache
def cells() -> Cells:
    return Cells()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh namespace in which the notebook's import cell has run (its ``from teach import``
    finds the teach module loaded above); ``run(source)`` executes a cell there and returns
    what it printed."""
    monkeypatch.setitem(sys.modules, "teach", teach)
    namespace: dict[str, Any] = {"__name__": "notebook_02"}

    def run_cell(source: str) -> str:
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(source, "<cell>", "exec"), namespace)
        return printed.getvalue()

    run_cell(cells().imports)
    return run_cell


def test_every_exercise_has_a_stub_a_check_and_one_folded_solution() -> None:
    c = cells()
    assert sorted(c.answers) == sorted(c.checks) == sorted(c.solutions) == list(range(1, 9))
    for n in range(1, 8):  # the code exercises start as stubs; 8 is a number, left TODO
        assert f'raise NotImplementedError("your turn (exercise {n})' in c.answers[n]
        assert "check_expressions(Value" in c.checks[n]
    assert "= TODO" in c.answers[8] and "check(" in c.checks[8]


def test_the_stubs_are_not_answered_yet_and_the_demos_wait_for_them(run) -> None:  # type: ignore[no-untyped-def]
    c = cells()
    for n in sorted(c.answers):
        run(c.answers[n])
        said = run(c.checks[n])
        assert f"[ ] exercise {n}" in said and "not answered yet" in said, said
        if n < 8:  # it names the stub to finish first: exercise 1's, the first one met
            assert 'the stub that says "your turn (exercise 1)' in said, said
    assert "waits for exercises 1 and 2" in run(c.naive_demo)
    assert "your Value: waits for exercises 1 to 5" in run(c.training)


def solved(
    run,  # type: ignore[no-untyped-def]
    upto: int,
    bugs: dict[int, list[tuple[str, str]]] | None = None,
    check: bool = True,
) -> dict[int, str]:
    """Run solutions 1..``upto`` in order, each with its ``bugs`` substituted in (asserting
    that each substitution happened), and with ``check`` each check cell after its solution;
    returns what the checks printed."""
    said = {}
    for n in range(1, upto + 1):
        source = cells().solutions[n]
        for old, new in (bugs or {}).get(n, []):
            assert old in source, f"solution {n} holds no {old!r}"
            source = source.replace(old, new)
        run(source)
        if check:
            said[n] = run(cells().checks[n])
    return said


def naive_walk_numbers(printed: str) -> tuple[float, float, float]:
    """The naive-order demo's three numbers: the right slope, the naive walk on the
    library's nodes, the naive walk on the learner's."""
    found = [float(x) for x in re.findall(r"dc/da by .*?:\s+(-?[\d.]+)", printed)]
    assert len(found) == 3, printed
    return found[0], found[1], found[2]


@pytest.mark.parametrize("prev", ["tuple", "set"])
def test_the_reference_solutions_pass_every_check_with_prev_a_tuple_or_a_set(
    run,  # type: ignore[no-untyped-def]
    prev: str,
) -> None:
    bugs = {1: [("tuple(_children)", f"{prev}(_children)")]}
    for n, said in solved(run, 8, bugs).items():
        assert f"[x] exercise {n}" in said and "is right" in said, said
    right, library, yours = naive_walk_numbers(run(cells().naive_demo))
    assert library == yours > right  # the naive walk overshoots on a set as on a tuple
    printed = run(cells().training)
    gap = re.search(r"largest difference .*: (\S+)\n", printed)
    assert gap is not None and float(gap[1]) < 1e-12, printed


NAIVE = """def backward(self):
    self.grad = 1.0

    def visit(node):
        node._backward()
        for child in node._prev:
            visit(child)

    visit(self)
"""

# (name, the solution's number, its substitutions, what the check's message must name); the
# check of that solution's exercise must catch the bug.
BUGS = [
    ("a leaf's grad starts at None", 1, [("self.grad = 0.0", "self.grad = None")], "grad is None"),
    ("_prev forgets the inputs", 1, [("tuple(_children)", "()")], "_prev"),
    ("a leaf's _backward is None", 1, [("lambda: None", "None")], "_backward()"),
    ("+ assigns to self", 2, [("self.grad += 1.0 *", "self.grad = 1.0 *")], "(b + a)"),
    ("+ assigns to other", 2, [("other.grad += 1.0 *", "other.grad = 1.0 *")], "a + a"),
    ("+ forgets out.grad", 2, [("self.grad += 1.0 * out.grad", "self.grad += 1.0")], "d + d"),
    ("+ wraps no number", 2, [("other = other if", "other = other\n    _ = 0 if")], "+ 2"),
    ("* assigns to self", 2, [("self.grad += other.data", "self.grad = other.data")], "b * a"),
    ("* assigns to other", 2, [("other.grad += self.data", "other.grad = self.data")], "a * a"),
    ("* swaps the slopes", 2, [("self.grad += other.data", "self.grad += self.data")], "a * b"),
    ("* forgets out.grad", 2, [("other.grad += self.data * out.grad", "other.grad += 1")], "a * b"),
    ("tanh's slope of the input", 3, [("(1 - t**2)", "(1 - self.data**2)")], "a.tanh()"),
    ("tanh assigns", 3, [("self.grad += (1", "self.grad = (1")], "a.tanh() + a"),
    ("tanh forgets out.grad", 3, [("(1 - t**2) * out.grad", "(1 - t**2)")], "d * 3"),
    ("backward visits a node twice", 4, [("if v not in visited:", "if True:")], "b + b"),
    ("backward goes inputs first", 4, [("in reversed(topo)", "in topo")], "c.backward()"),
    ("backward forgets the seed", 4, [("self.grad = 1.0", "self.grad = 0.0")], "c.backward()"),
    (
        "backward is the naive walk",
        4,
        [(cells().solutions[4].split("\n\n\nValue")[0], NAIVE)],
        "b = a + a; c = b + b",
    ),
    (
        "__rsub__ returns self - other",
        5,
        [("return other + (-self)", "return self - other")],
        "2 - a",
    ),
    (
        "__rsub__ calls itself",
        5,
        [("return other + (-self)", "return other - self")],
        "RecursionError",
    ),
    (
        "__rsub__ cuts the graph",
        5,
        [("return other + (-self)", "return Value(other - self.data)")],
        "2 - a",
    ),
    (
        "__rsub__ negates the sum",
        5,
        [("return other + (-self)", "return -(other + self)")],
        "2 - a",
    ),
    ("__sub__ adds", 5, [("return self + (-other)", "return self + other")], "a - b"),
    ("__neg__ keeps the sign", 5, [("return self * -1", "return self * 1")], "-a"),
    ("__pow__'s slope", 5, [("k * self.data ** (k - 1)", "k * self.data**k")], "a ** 2"),
    ("__pow__ assigns", 5, [("self.grad += k", "self.grad = k")], "a ** 2 + a"),
    ("exp assigns", 6, [("self.grad += out.data", "self.grad = out.data")], "a.exp() + a"),
    ("exp's slope of the input", 6, [("self.grad += out.data", "self.grad += self.data")], "exp"),
    ("relu assigns", 7, [("self.grad += (out", "self.grad = (out")], "a.relu() + a"),
    ("relu passes all through", 7, [("(out.data > 0) * out.grad", "out.grad")], "a = -1.5"),
]


@pytest.mark.parametrize(
    "number, bug, names",
    [(n, subs, names) for _, n, subs, names in BUGS],
    ids=[name for name, *_ in BUGS],
)
def test_the_check_catches_the_bug_and_says_where(
    run,  # type: ignore[no-untyped-def]
    number: int,
    bug: list[tuple[str, str]],
    names: str,
) -> None:
    solved(run, number, {number: bug}, check=False)
    with pytest.raises(AssertionError) as raised:
        run(cells().checks[number])
    message = str(raised.value)
    assert message.startswith(f"exercise {number}, "), message
    assert names in message, message
    assert "def " not in message and "+=" not in message  # no solution code in the message


def test_the_naive_walk_fails_exercise_4_with_prev_a_set_too(run) -> None:  # type: ignore[no-untyped-def]
    """With ``_prev`` a set, ``b = a + a; c = b + b`` lists ``b`` once and the naive walk gets
    it right; the graph with two paths to ``b`` still catches it."""
    naive = [(cells().solutions[4].split("\n\n\nValue")[0], NAIVE)]
    solved(run, 4, {1: [("tuple(_children)", "set(_children)")], 4: naive}, check=False)
    with pytest.raises(AssertionError, match=r"b = a \* 2; c = \(b \+ 1\) \+ \(b \+ 2\)"):
        run(cells().checks[4])


@pytest.mark.parametrize(
    "answer, right", [("3.0", True), ("3.0000000001", True), ("6.0", False), ("1", False)]
)
def test_exercise_8_takes_the_right_number_only(run, answer: str, right: bool) -> None:  # type: ignore[no-untyped-def]
    run(f"grad_if_assigned = {answer}")
    if right:
        assert "[x] exercise 8" in run(cells().checks[8])
    else:
        with pytest.raises(AssertionError, match=r"^exercise 8, .* is not right\."):
            run(cells().checks[8])
