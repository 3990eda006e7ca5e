"""Small helpers for the notebooks' exercises: answers that check themselves.

    from teach import TODO, check

    answer = TODO                     # the learner replaces TODO with an answer
    check("best h for sin", answer, expected=1e-5, rel=0.5, hint="look at the table")

:func:`check` prints one line saying what is right, or raises ``AssertionError`` saying what
is wrong (and a hint); an answer still equal to :data:`TODO` prints "not answered yet"
without raising, so the committed notebooks run clean with the exercises unanswered.
:func:`check_expressions` compares a home-made ``Value`` class with ``autograd.Value`` on
random expressions (values and gradients), for notebook 02. No PyTorch needed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any


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


def _close(a: float, b: float, rel: float, abs_: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def check(
    what: str,
    answer: Any,
    expected: Any = None,
    *,
    test: Callable[[Any], bool] | None = None,
    rel: float = 1e-9,
    abs_: float = 0.0,
    hint: str = "",
) -> Verdict:
    """Check ``answer`` for the exercise ``what``; the result is true when it is right.

    Right means: ``test(answer)`` is true when ``test`` is given, else ``answer`` equals
    ``expected`` (numbers within ``rel``/``abs_``, sequences element by element). Prints a
    line when right or not answered (``answer is TODO``: a false result); raises
    ``AssertionError`` with ``hint`` when wrong, never the expected value (that is the folded
    solution's to tell), and also when ``test`` cannot take the answer (a wrong type, say):
    the message names the exercise and what failed, not a bare ``TypeError``.
    """
    if answer is TODO:
        print(f"[ ] {what}: not answered yet (replace TODO with your answer and re-run).")
        return Verdict(False)
    if test is not None:
        try:
            ok = bool(test(answer))
        except Exception as error:
            raise AssertionError(
                f"{what}: {answer!r} could not be checked ({type(error).__name__}: {error})."
                + (f" Hint: {hint}" if hint else "")
            ) from None
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        ok = isinstance(answer, (int, float)) and _close(float(answer), expected, rel, abs_)
    elif isinstance(expected, Sequence) and not isinstance(expected, str):
        ok = (
            isinstance(answer, Sequence)
            and len(answer) == len(expected)
            and all(
                _close(float(a), float(e), rel, abs_) if isinstance(e, (int, float)) else a == e
                for a, e in zip(answer, expected)
            )
        )
    else:
        ok = answer == expected
    if not ok:
        raise AssertionError(
            f"{what}: {answer!r} is not right." + (f" Hint: {hint}" if hint else "")
        )
    shown = repr(answer)
    shown = shown if len(shown) <= 80 else shown[:60] + " ... " + shown[-15:]
    print(f"[x] {what}: {shown} is right.")
    return Verdict(True)


def random_expression(V: Callable[[float], Any], rng: random.Random, ops: Sequence[str], n: int):
    """Build a random expression from ``V`` (a Value class): its leaves and its root.

    Three leaves in [-2, 2]; ``n`` operations, each applied to one or two earlier nodes
    (picked at random, so nodes are reused). ``ops`` names what ``V`` supports among "add",
    "mul", "tanh", "neg", "sub", "pow2" (``a**2``), "exp" (``a.tanh().exp()``) and "relu".
    Feeding two classes the same ``rng`` state builds the same expression.
    """
    leaves = [V(rng.uniform(-2.0, 2.0)) for _ in range(3)]
    nodes = list(leaves)
    for _ in range(n):
        op = rng.choice(list(ops))
        a, b = rng.choice(nodes), rng.choice(nodes)
        if op == "add":
            out = a + b
        elif op == "mul":
            out = a * b
        elif op == "sub":
            out = a - b
        elif op == "neg":
            out = -a
        elif op == "tanh":
            out = a.tanh()
        elif op == "pow2":
            out = a**2
        elif op == "exp":
            out = a.tanh().exp()  # exp of a tanh: the numbers stay small
        elif op == "relu":
            out = a.relu()
        else:
            raise ValueError(f"unknown op {op!r}")
        nodes.append(out)
    return leaves, nodes[-1]


def check_expressions(
    Mine: Callable[[float], Any],
    ops: Sequence[str] = ("add", "mul"),
    *,
    grads: bool = True,
    trials: int = 200,
    size: int = 8,
    seed: int = 0,
    tol: float = 1e-9,
) -> Verdict:
    """Compare the class ``Mine`` with ``autograd.Value`` on ``trials`` random expressions.

    Each expression is built twice from the same random choices: once from ``Mine``, once
    from ``autograd.Value``. The roots' ``data`` must agree and, with ``grads``, the leaves'
    ``grad`` after ``root.backward()`` (relative tolerance ``tol``). Raises
    ``AssertionError`` on the first difference, printing the expression's size and the two
    numbers; prints a summary line when all agree.
    """
    from autograd import Value

    for t in range(trials):
        state = random.Random(seed * 100_003 + t).getstate()
        n = 1 + t % size
        rng = random.Random()
        rng.setstate(state)
        my_leaves, my_root = random_expression(Mine, rng, ops, n)
        rng.setstate(state)
        ref_leaves, ref_root = random_expression(Value, rng, ops, n)
        if not _close(my_root.data, ref_root.data, tol, 1e-12):
            raise AssertionError(
                f"trial {t} ({n} operations from {list(ops)}): your value {my_root.data!r}, "
                f"autograd.Value's {ref_root.data!r}"
            )
        if not grads:
            continue
        my_root.backward()
        ref_root.backward()
        for i, (mine, ref) in enumerate(zip(my_leaves, ref_leaves)):
            if not _close(mine.grad, ref.grad, tol, 1e-12):
                raise AssertionError(
                    f"trial {t} ({n} operations from {list(ops)}): leaf {i}'s grad is "
                    f"{mine.grad!r}, autograd.Value says {ref.grad!r}"
                )
    what = "values and gradients" if grads else "values"
    print(f"[x] {trials} random expressions of {', '.join(ops)}: {what} match autograd.Value.")
    return Verdict(True)
