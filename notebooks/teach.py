"""Small helpers for the notebooks' exercises: answers that check themselves.

    from teach import TODO, check

    answer = TODO                     # the learner replaces TODO with an answer
    check("best h for sin", answer, expected=1e-5, rel=0.5, hint="look at the table")

:func:`check` prints one line saying what is right, or raises ``AssertionError`` saying what
is wrong (and a hint); an answer still equal to :data:`TODO` prints "not answered yet"
without raising, so the committed notebooks run clean with the exercises unanswered.
Notebook 02's checks of a home-made ``Value`` class are in ``build_checks.py``.

Its frames set ``__tracebackhide__``: IPython then shows a wrong answer's message under a
short traceback (the learner's cell and one line of this module), not this module's insides.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

try:  # NumPy's bool is no number either, where NumPy is installed
    from numpy import bool_ as numpy_bool
except ImportError:  # pragma: no cover - the notebooks extra brings NumPy
    numpy_bool = bool


class _Todo:
    def __repr__(self) -> str:
        return "TODO"


TODO: Any = _Todo()
"""The placeholder of an unanswered exercise."""


class Verdict:
    """What :func:`check` found: true when the answer is right, false when not answered yet.

    It displays nothing in a notebook (the check has printed its line already), so a check at
    the end of a cell leaves no stray ``Out: False`` under it; ``if check(...):`` still works.
    """

    def __init__(self, right: bool) -> None:
        self.right = right

    def __bool__(self) -> bool:
        return self.right

    def __repr__(self) -> str:
        return f"Verdict(right={self.right})"

    def _ipython_display_(self) -> None:
        """IPython calls this instead of showing the repr: show nothing."""


def close(a: float, b: float, rel: float, abs_: float) -> bool:
    """Whether a and b agree within rel (relative) or abs_ (absolute)."""
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _is_number(x: Any) -> bool:
    """A real number, plain or NumPy's (``np.float32(0.5)``, ``np.int64(3)``), not a bool."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, numpy_bool))


def _as_list(x: Any) -> list[Any] | None:
    """A sequence or a 1-D NumPy array as a list; None for anything else (a string, say)."""
    if isinstance(x, str):
        return None
    if isinstance(x, Sequence):
        return list(x)
    if getattr(x, "ndim", None) == 1 and hasattr(x, "tolist"):  # a NumPy array
        return list(x.tolist())
    return None


def check(
    what: str,
    answer: Any,
    expected: Any = None,
    *,
    test: Callable[[Any], bool] | None = None,
    rel: float = 1e-9,
    abs_: float = 0.0,
    hint: str = "",
    unanswered: str = "replace TODO with your answer and re-run",
) -> Verdict:
    """Check ``answer`` for the exercise ``what``; the result is true when it is right.

    Right means: ``test(answer)`` is true when ``test`` is given, else ``answer`` equals
    ``expected`` (numbers within ``rel``/``abs_``, plain or NumPy's; sequences and 1-D arrays
    element by element). Prints a
    line when right or not answered (``answer is TODO``: a false result); raises
    ``AssertionError`` with ``hint`` when wrong, never the expected value (that is the folded
    solution's to tell), and also when ``test`` cannot take the answer (a wrong type, say):
    the message names the exercise and what failed, not a bare ``TypeError``.
    ``unanswered`` says what to do when ``answer is TODO``, in the line
    ``[ ] {what}: not answered yet ({unanswered}).`` (for an answer that is a stub, say).
    """
    __tracebackhide__ = True  # IPython: show the learner's cell, not this frame's insides
    if answer is TODO:
        print(f"[ ] {what}: not answered yet ({unanswered}).")
        return Verdict(False)
    failed = "is not right."
    if test is not None:
        try:
            ok = bool(test(answer))
        except Exception as error:  # the message names the exercise: no bare TypeError
            ok, failed = False, f"could not be checked ({type(error).__name__}: {error})."
    elif _is_number(expected):
        ok = _is_number(answer) and close(float(answer), expected, rel, abs_)
    elif isinstance(expected, Sequence) and not isinstance(expected, str):
        answers = _as_list(answer)
        ok = (
            answers is not None
            and len(answers) == len(expected)
            and all(
                _is_number(a) and close(float(a), float(e), rel, abs_) if _is_number(e) else a == e
                for a, e in zip(answers, expected)
            )
        )
    else:
        ok = answer == expected
    if not ok:  # one short line, the last of the traceback IPython shows
        raise AssertionError(f"{what}: {answer!r} {failed}" + (f" Hint: {hint}" if hint else ""))
    shown = repr(answer)
    shown = shown if len(shown) <= 80 else shown[:60] + " ... " + shown[-15:]
    print(f"[x] {what}: {shown} is right.")
    return Verdict(True)
