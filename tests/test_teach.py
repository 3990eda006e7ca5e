"""notebooks/teach.py's check: the exercises' one mechanism, against the answers it judges.

It says "not answered yet" to TODO, "is right" to a right answer, and raises AssertionError to
a wrong one without telling the expected value (that is the folded solution's job); a test
that cannot take the answer gives the same kind of error, naming the exercise.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "teach", Path(__file__).resolve().parent.parent / "notebooks" / "teach.py"
)
assert _spec is not None and _spec.loader is not None
teach = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(teach)


def test_todo_is_not_answered_and_does_not_raise(capsys: pytest.CaptureFixture[str]) -> None:
    assert not teach.check("exercise 1", teach.TODO, expected=0.5)
    assert "[ ] exercise 1: not answered yet" in capsys.readouterr().out


def test_a_right_answer_is_right_within_the_tolerance(capsys: pytest.CaptureFixture[str]) -> None:
    assert teach.check("exercise 1", 0.5000001, expected=0.5, rel=1e-3)
    assert teach.check("exercise 2", [1, 2.0], expected=[1.0, 2.0])
    assert teach.check("exercise 3", 7, test=lambda n: n % 7 == 0)
    np = pytest.importorskip("numpy")  # what np.sum and np.mean return is right too
    assert teach.check("exercise 4", np.int64(144), expected=144)
    assert teach.check("exercise 4", np.float32(0.0795), expected=0.0795, rel=1e-6)
    assert teach.check("exercise 4", np.array([1.5, -0.25]), expected=[1.5, -0.25])
    out = capsys.readouterr().out
    assert "[x] exercise 1: 0.5000001 is right." in out and "[x] exercise 3: 7 is right." in out


@pytest.mark.parametrize(
    "answer, options",
    [
        (0.123456789, {"expected": 0.987654321}),
        ([1.0, 2.5], {"expected": [1.0, 3.75]}),
        ([None, "2"], {"expected": [1.0, 2.0]}),  # not numbers: wrong, not a raw TypeError
        (True, {"expected": 1.0}),  # a bool is no number
        ("1.0", {"expected": 1.0}),
        ("tanh", {"expected": "relu"}),
        (8, {"test": lambda n: n % 7 == 0}),
    ],
)
def test_a_wrong_answer_raises_with_the_hint_but_not_the_answer(answer, options) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError) as raised:
        teach.check("exercise 4", answer, hint="look at the table", **options)
    message = str(raised.value)
    assert message.startswith(f"exercise 4: {answer!r} is not right.")
    assert message.endswith("Hint: look at the table")
    expected = options.get("expected")
    if expected is not None:
        for shown in expected if isinstance(expected, list) else [expected]:
            assert repr(shown) not in message.replace(repr(answer), "")


def test_a_test_that_cannot_take_the_answer_names_the_exercise() -> None:
    with pytest.raises(
        AssertionError,
        match=r"^exercise 5: 'abc' could not be checked "
        r"\(ValueError: could not convert string to float: 'abc'\)\. Hint: a number",
    ):
        teach.check("exercise 5", "abc", test=lambda a: float(a) > 0, hint="a number")
    with pytest.raises(AssertionError, match=r"^exercise 5: None could not be checked \(TypeError"):
        teach.check("exercise 5", None, test=lambda a: a + 1 > 0)


def test_a_check_at_the_end_of_a_cell_shows_nothing_more() -> None:
    """IPython shows a cell's last value as ``Out[n]``; a check's result shows nothing (its line
    is printed already), unanswered or right, so no stray ``Out: False`` follows a check."""
    from IPython.core.interactiveshell import InteractiveShell

    formatter = InteractiveShell.instance().display_formatter
    for verdict in (
        teach.check("exercise 5", teach.TODO, expected=1.0),
        teach.check("exercise 5", 1.0, expected=1.0),
    ):
        assert formatter.format(verdict) == ({}, {})
    assert formatter.format(False) != ({}, {})  # what a plain bool would show


def test_unanswered_says_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    """``unanswered`` replaces the TODO wording, for an answer that is a stub; the default
    stays "replace TODO"."""
    assert not teach.check(
        "exercise 3", teach.TODO, unanswered="finish the stub of exercise 1 first"
    )
    assert not teach.check("exercise 4", teach.TODO, expected=1.0)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[ ] exercise 3: not answered yet (finish the stub of exercise 1 first).",
        "[ ] exercise 4: not answered yet (replace TODO with your answer and re-run).",
    ]


def test_a_wrong_answer_leaves_one_short_frame_of_teach_for_ipython_to_show() -> None:
    """IPython hides a frame whose locals hold ``__tracebackhide__`` (all but the last): a
    wrong answer's traceback holds the learner's cell and check's last line, not teach's
    insides. Every teach frame on the way sets it."""
    try:
        teach.check("exercise 6", 2.0, expected=3.0, hint="look again")
    except AssertionError as error:
        frames = []
        tb = error.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
    teach_frames = [f for f in frames if f.f_code.co_filename == teach.__file__]
    assert [f.f_code.co_name for f in teach_frames] == ["check"]
    assert all(f.f_locals.get("__tracebackhide__") for f in teach_frames)
