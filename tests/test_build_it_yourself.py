"""Notebook 02 (build it yourself): its folded solutions pass their checks, and its checks
catch the bugs a learner writes.

The committed notebook's answer cells are stubs (methods that raise NotImplementedError), each
followed by a check cell (notebooks/build_checks.py's ``check_expressions``, or teach.py's
``check``). Here the cells run in plain Python, with those modules loaded from their files:
the stubs say "not answered yet" and which stub to finish first; every folded solution, run
in place of its answer cell in order, makes its check say right (also with ``_prev`` written
as a set, as micrograd does); each bug injected into a solution (a text substitution,
asserted to have happened) makes the check of its exercise raise AssertionError naming the
exercise and the expression, not pass, and not a raw error; a backward() that keeps state
between calls also stops step 6's training with a hint; and re-running exercise 1's cell
(a new class without the methods attached later) gives hints, not raw errors.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.exercises import answers_and_checks, solutions

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "02_build_it_yourself.ipynb"


def _load(name: str) -> Any:
    """The module notebooks/<name>.py, registered under its name (the next ones import it)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "notebooks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


teach, expressions, build_checks = (_load(n) for n in ("teach", "expressions", "build_checks"))


class Cells:
    """The notebook's cells that matter here: the imports, each exercise's answer (a stub),
    its check, its folded solution, and the demo cells that use the learner's Value."""

    def __init__(self) -> None:
        nb = nbformat.read(NOTEBOOK, as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code"]
        self.imports = code[0]
        pairs = answers_and_checks(nb)
        self.answers = {n: nb.cells[answer].source for n, (answer, _) in pairs.items()}
        self.checks = {n: nb.cells[check].source for n, (_, check) in pairs.items()}
        self.solutions = solutions(nb)
        self.naive_demo = next(s for s in code if "def naive_backward" in s)
        self.training = next(s for s in code if "def train(" in s)


@functools.cache
def cells() -> Cells:
    return Cells()


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A fresh namespace in which the notebook's import cell has run (its imports find the
    modules loaded above); ``run(source)`` executes a cell there and returns what it
    printed."""
    for module in (teach, expressions, build_checks):
        monkeypatch.setitem(sys.modules, module.__name__, module)
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
        assert said.startswith(f"[ ] exercise {n}, ") and "TODO here" not in said, said
        if n == 1:  # its own stub: what to write in its place
            assert said.endswith(
                ": not answered yet (write Value.__init__ in place of its stub, and re-run).\n"
            ), said
        elif n < 8:  # a stub met before its own: exercise 1's
            assert said.endswith(": not answered yet (finish the stub of exercise 1 first).\n")
        else:  # a number, left TODO
            assert said.endswith(": not answered yet (replace TODO with your answer and re-run).\n")
    assert "waits for exercises 1 and 2" in run(c.naive_demo)
    assert "your Value: waits for exercises 1 to 5" in run(c.training)


def test_with_exercise_1_done_the_stubs_name_exercise_2(run) -> None:  # type: ignore[no-untyped-def]
    c = cells()
    run(c.solutions[1])
    for n in range(2, 8):
        run(c.answers[n])
        said = run(c.checks[n])
        if n == 2:
            assert said.endswith(
                "not answered yet (write __add__ in place of its stub, and re-run).\n"
            )
        else:
            assert said.endswith("not answered yet (finish the stub of exercise 2 first).\n"), said


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

# backward()s that keep state from one call to the next: they pass every probe on a single
# graph, and training on them goes wrong (loss 7.73 -> 4.0 against 0.008).
MODULE_LEVEL = [
    (
        "def backward(self):\n    topo, visited = [], set()\n",
        "topo, visited = [], set()\n\n\ndef backward(self):\n",
    )
]
DEFAULT_ARGS = """def build_topo(v, topo=[], visited=set()):
    if v not in visited:
        visited.add(v)
        for child in v._prev:
            build_topo(child, topo, visited)
        topo.append(v)
    return topo


def backward(self):
    topo = build_topo(self)
    self.grad = 1.0
    for node in reversed(topo):
        node._backward()
"""
SEED = "    self.grad = 1.0\n    for node in reversed(topo):\n        node._backward()\n"
KEEPS_STATE = {
    "module level": MODULE_LEVEL,
    "default arguments": [(cells().solutions[4].split("\n\n\nValue")[0], DEFAULT_ARGS)],
}

# (name, the solution's number, its substitutions, what the check's message must name); the
# check of that solution's exercise must catch the bug.
BUGS = [
    ("a leaf's grad starts at None", 1, [("self.grad = 0.0", "self.grad = None")], "grad is None"),
    ("a leaf's data made an int", 1, [("self.data = data", "self.data = int(data)")], "data is 2;"),
    ("_prev forgets the inputs", 1, [("tuple(_children)", "()")], "_prev"),
    ("a leaf's _backward is None", 1, [("lambda: None", "None")], "_backward()"),
    ("+ assigns to self", 2, [("self.grad += 1.0 *", "self.grad = 1.0 *")], "(b + a)"),
    ("+ assigns to other", 2, [("other.grad += 1.0 *", "other.grad = 1.0 *")], "a + a"),
    ("+ forgets out.grad", 2, [("self.grad += 1.0 * out.grad", "self.grad += 1.0")], "d + d"),
    (
        "+ wraps no number",
        2,
        [("other = other if", "other = other\n    _ = 0 if")],
        "c = a + 2 with a = 3.0 raised AttributeError: 'int' object has no attribute 'data'. "
        "Hint: a plain number",
    ),
    (
        "+ keeps the plain number in _prev",
        2,
        [
            (
                "other = other if isinstance(other, Value) else Value(other)\n"
                '    out = Value(self.data + other.data, (self, other), "+")',
                "wrapped = other if isinstance(other, Value) else Value(other)\n"
                '    out = Value(self.data + wrapped.data, (self, other), "+")',
            ),
            ("other.grad += 1.0 * out.grad", "wrapped.grad += 1.0 * out.grad"),
        ],
        "c = a + 2 with a = 3.0: a node's _prev holds 2, a plain int, not a Value",
    ),
    ("* assigns to self", 2, [("self.grad += other.data", "self.grad = other.data")], "b * a"),
    ("* assigns to other", 2, [("other.grad += self.data", "other.grad = self.data")], "a * a"),
    ("* swaps the slopes", 2, [("self.grad += other.data", "self.grad += self.data")], "a * b"),
    ("* forgets out.grad", 2, [("other.grad += self.data * out.grad", "other.grad += 1")], "a * b"),
    ("tanh's slope of the input", 3, [("(1 - t**2)", "(1 - self.data**2)")], "a.tanh()"),
    ("tanh assigns", 3, [("self.grad += (1", "self.grad = (1")], "a.tanh() + a"),
    ("tanh forgets out.grad", 3, [("(1 - t**2) * out.grad", "(1 - t**2)")], "d * 3"),
    ("backward visits a node twice", 4, [("if v not in visited:", "if True:")], "b + b"),
    ("backward goes inputs first", 4, [("in reversed(topo)", "in topo")], "c.backward()"),
    (
        "backward forgets the seed",
        4,
        [("self.grad = 1.0", "self.grad = 0.0")],
        "c.grad was 0.0. The root's gradient (dc/dc) must be 1 before anything is passed on",
    ),
    (
        "backward seeds after the loop",
        4,
        [(SEED, SEED[len("    self.grad = 1.0\n") :] + "    self.grad = 1.0\n")],
        "must be 1 before anything is passed on",
    ),
    (
        "backward keeps topo and visited at module level",
        4,
        KEEPS_STATE["module level"],
        "e = a + b, e.backward() with a = 3.0, b = -2.0: your a.grad is -1.0; it should be the "
        "slope of e in a, 1.0 (backward() must start afresh at each call",
    ),
    (
        "backward keeps topo and visited as default arguments",
        4,
        KEEPS_STATE["default arguments"],
        "your a.grad is -1.0; it should be the slope of e in a, 1.0 (backward() must start afresh",
    ),
    (
        "backward marks the nodes it visited",
        4,
        [
            (
                "if v not in visited:\n            visited.add(v)",
                'if not getattr(v, "seen", 0):\n            v.seen = 1',
            )
        ],
        "c.backward() again with a = 3.0, b = -2.0: your a.grad is 0.0",
    ),
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


@pytest.mark.parametrize("where", sorted(KEEPS_STATE))
def test_step_6_stops_with_a_hint_on_a_backward_that_keeps_state(run, where: str) -> None:  # type: ignore[no-untyped-def]
    """Such a backward() trains wrong (the gap between the two runs' losses is about 8), and
    the training cell says so with a hint instead of printing the gap and going on."""
    solved(run, 5, {4: KEEPS_STATE[where]}, check=False)
    with pytest.raises(AssertionError) as raised:
        run(cells().training)
    message = str(raised.value)
    assert message.startswith("step 6: your Value's losses differ from autograd.Value's by up to")
    assert "Hint: " in message and "default argument" in message


def test_a_class_value_made_anew_gets_hints_not_raw_errors(run) -> None:  # type: ignore[no-untyped-def]
    """Running exercise 1's cell again after the others makes a new class without +, *, ...:
    the checks say so and how to recover, the naive-walk demo says it stopped (no raw
    TypeError), step 6 stops with a hint; running the answer cells again mends it."""
    c = cells()
    solved(run, 7, check=False)
    run(c.solutions[1])
    for n in range(2, 8):
        with pytest.raises(AssertionError) as raised:
            run(c.checks[n])
        message = str(raised.value)
        assert message.startswith(f"exercise {n}, ") and "your Value has no __add__" in message
        assert "`class Value:` again makes a new class" in message, message
    printed = run(c.naive_demo)
    assert "the naive walk on your Value stopped with TypeError" in printed, printed
    with pytest.raises(AssertionError, match=r"^step 6: training on your Value stopped .* Hint"):
        run(c.training)
    for n in range(2, 8):
        run(c.solutions[n])
    assert "[x] exercise 7" in run(c.checks[7])


def test_exercise_8s_check_runs_no_experiment_in_sight() -> None:
    """Exercise 8 asks to predict what assigning in __mul__'s _backward gives: its check cell
    must not run that experiment where the learner reads it (build_checks.py does, out of sight)."""
    check_cell = cells().checks[8]
    assert "grad_if_mul_assigns(3.0)" in check_cell
    assert "_backward" not in check_cell and "class " not in check_cell


def test_a_wrong_answer_leaves_one_frame_of_teach_for_ipython_to_show(run) -> None:  # type: ignore[no-untyped-def]
    """IPython shows the last frame of a traceback and hides every other frame whose locals
    hold ``__tracebackhide__``: check_expressions raises afresh from its own frame, so a
    wrong answer shows the learner's cell and one line of build_checks.py, not its insides."""
    solved(run, 4, {4: [("self.grad = 1.0", "self.grad = 0.0")]}, check=False)
    with pytest.raises(AssertionError) as raised:
        run(cells().checks[4])
    frames = [entry.frame for entry in raised.traceback]
    mine = [f for f in frames if f.code.path == Path(build_checks.__file__)]
    assert [f.code.name for f in mine] == ["check_expressions"]
    assert all(f.f_locals.get("__tracebackhide__") for f in mine)
