"""Small helpers for the notebooks' exercises: answers that check themselves.

    from teach import TODO, check

    answer = TODO                     # the learner replaces TODO with an answer
    check("best h for sin", answer, expected=1e-5, rel=0.5, hint="look at the table")

:func:`check` prints one line saying what is right, or raises ``AssertionError`` saying what
is wrong (and a hint); an answer still equal to :data:`TODO` prints "not answered yet"
without raising, so the committed notebooks run clean with the exercises unanswered.
:func:`check_expressions` checks a home-made ``Value`` class against ``autograd.Value``
(values and gradients, small expressions told in words and random ones) for notebook 02,
where the learner writes the engine; a method still a stub (``raise NotImplementedError``)
is "not answered yet" there. No PyTorch needed.
"""

from __future__ import annotations

import functools
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


# A home-made Value against autograd.Value (notebook 02, "build it yourself"). The learner's
# methods start as stubs that raise NotImplementedError: a check that meets one says "not
# answered yet" (through check, with TODO) and names the stub, so the notebook runs clean.


class _Stub(Exception):
    """A method of the learner's Value still raises NotImplementedError."""


class _Probe:
    """One small expression, told in words: ``text`` (``"c = 2 - a"``), the inputs' values,
    ``build(*leaves) -> root``, the operations it needs, and a note on what it tests."""

    def __init__(
        self,
        needs: tuple[str, ...],
        text: str,
        inputs: dict[str, float],
        build: Callable[..., Any],
        note: str = "",
    ) -> None:
        self.needs, self.text, self.inputs, self.build, self.note = needs, text, inputs, build, note

    def slope(self, leaf: str) -> str:
        """``the slope of 2 - a in a`` for one line, ``the slope of c in a`` for more."""
        body = self.text[len("c = ") :] if ";" not in self.text else "c"
        return f"the slope of {body} in {leaf}"


_TWICE = "{} is used twice: its grad must collect both uses"
_SCALE = "d's own gradient is not 1 here: what d passes on must be scaled by it"
_PATHS = "a and b each reach c by two paths: their grads must collect both"
_A, _AB = {"a": 3.0}, {"a": 3.0, "b": -2.0}
_PROBES = (
    _Probe(("add",), "c = a + b", _AB, lambda a, b: a + b),
    _Probe(("add",), "c = a + 2", _A, lambda a: a + 2),
    _Probe(("add",), "c = 2 + a", _A, lambda a: 2 + a),
    _Probe(("add",), "c = a + a", _A, lambda a: a + a, _TWICE.format("a")),
    _Probe(("add",), "c = (a + b) + (b + a)", _AB, lambda a, b: (a + b) + (b + a), _PATHS),
    _Probe(("add",), "d = a + b; c = d + d", _AB, lambda a, b: (lambda d: d + d)(a + b), _SCALE),
    _Probe(("mul",), "c = a * b", _AB, lambda a, b: a * b),
    _Probe(("mul",), "c = a * 2", _A, lambda a: a * 2),
    _Probe(("mul",), "c = 2 * a", _A, lambda a: 2 * a),
    _Probe(("mul",), "c = a * a", _A, lambda a: a * a, _TWICE.format("a")),
    _Probe(("mul", "add"), "c = a * b + b * a", _AB, lambda a, b: a * b + b * a, _PATHS),
    _Probe(("mul",), "d = a * b; c = d * 3", _AB, lambda a, b: (a * b) * 3, _SCALE),
    _Probe(("tanh",), "c = a.tanh()", {"a": 0.8}, lambda a: a.tanh()),
    _Probe(("tanh",), "c = a.tanh()", {"a": -1.5}, lambda a: a.tanh()),
    _Probe(
        ("tanh", "add"), "c = a.tanh() + a", {"a": 0.8}, lambda a: a.tanh() + a, _TWICE.format("a")
    ),
    _Probe(("tanh", "mul"), "d = a.tanh(); c = d * 3", {"a": 0.8}, lambda a: a.tanh() * 3, _SCALE),
    _Probe(("neg",), "c = -a", _A, lambda a: -a),
    _Probe(("neg", "mul"), "d = -a; c = d * 3", _A, lambda a: (-a) * 3, _SCALE),
    _Probe(("sub",), "c = a - b", _AB, lambda a, b: a - b),
    _Probe(("sub",), "c = a - 2", _A, lambda a: a - 2),
    _Probe(("sub",), "c = 2 - a", _A, lambda a: 2 - a),
    _Probe(("sub",), "c = a - a", _A, lambda a: a - a, _TWICE.format("a")),
    _Probe(("sub", "mul"), "d = 2 - a; c = d * 3", _A, lambda a: (2 - a) * 3, _SCALE),
    _Probe(("pow",), "c = a ** 2", _A, lambda a: a**2),
    _Probe(("pow",), "c = a ** 3", _A, lambda a: a**3),
    _Probe(("pow",), "c = a ** -1", _A, lambda a: a**-1),
    _Probe(("pow",), "c = a ** 0.5", _A, lambda a: a**0.5),
    _Probe(("pow", "add"), "c = a ** 2 + a", _A, lambda a: a**2 + a, _TWICE.format("a")),
    _Probe(("pow", "mul"), "d = a ** 2; c = d * 3", _A, lambda a: a**2 * 3, _SCALE),
    _Probe(("exp",), "c = a.exp()", {"a": 0.5}, lambda a: a.exp()),
    _Probe(("exp",), "c = a.exp()", {"a": -1.2}, lambda a: a.exp()),
    _Probe(
        ("exp", "add"), "c = a.exp() + a", {"a": 0.5}, lambda a: a.exp() + a, _TWICE.format("a")
    ),
    _Probe(("exp", "mul"), "d = a.exp(); c = d * 3", {"a": 0.5}, lambda a: a.exp() * 3, _SCALE),
    _Probe(("relu",), "c = a.relu()", {"a": 1.5}, lambda a: a.relu()),
    _Probe(("relu",), "c = a.relu()", {"a": -1.5}, lambda a: a.relu()),
    _Probe(
        ("relu", "add"), "c = a.relu() + a", {"a": 1.5}, lambda a: a.relu() + a, _TWICE.format("a")
    ),
    _Probe(("relu", "mul"), "d = a.relu(); c = d * 3", {"a": 1.5}, lambda a: a.relu() * 3, _SCALE),
)
# Graphs that only a right order gets right, whether _prev is a tuple or a set: they test
# backward() itself (a naive recursion overshoots on them).
_ORDER_PROBES = (
    _Probe(
        ("add",),
        "b = a + a; c = b + b",
        _A,
        lambda a: (lambda b: b + b)(a + a),
        "each node must pass its gradient on once, after every node that uses it has added "
        "its share",
    ),
    _Probe(
        ("add", "mul"),
        "b = a * 2; c = (b + 1) + (b + 2)",
        _A,
        lambda a: (lambda b: (b + 1) + (b + 2))(a * 2),
        "b is reached by two paths: it must pass its gradient on once, after both have added "
        "their share",
    ),
)


def _backprop(root: Any) -> None:
    """Backprop in a right order with the learner's own ``_backward``s: set ``root.grad = 1``,
    then call each node's ``_backward`` after every node that uses it (reverse topological
    order; ``_prev`` may be a tuple, a list or a set)."""
    order: list[Any] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node._prev if id(p) not in seen)
    root.grad = 1.0
    for node in reversed(order):
        node._backward()


def _mine(what: str, doing: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run the learner's code ``fn(*args)``: a stub's NotImplementedError becomes
    :class:`_Stub`, any other error an ``AssertionError`` that says what was being done (not
    a raw traceback)."""
    try:
        return fn(*args)
    except NotImplementedError as stub:
        raise _Stub(str(stub) or "a method raises NotImplementedError") from None
    except Exception as error:
        raise AssertionError(f"{what}: {doing} raised {type(error).__name__}: {error}") from None


def _check_basics(Mine: Callable[..., Any], what: str) -> None:
    """A leaf holds its number, grad 0, no inputs and a ``_backward`` that does nothing; a
    Value made from inputs keeps them in ``_prev`` (a tuple, a list or a set)."""
    a = _mine(what, "Value(2.0)", lambda: Mine(2.0))
    problems = []
    if getattr(a, "data", None) != 2.0:
        problems.append(f"Value(2.0).data is {getattr(a, 'data', 'missing')!r}; it should be 2.0")
    if getattr(a, "grad", None) != 0:
        problems.append(
            f"Value(2.0).grad is {getattr(a, 'grad', 'missing')!r}; it should start at 0"
        )
    prev = _mine(what, "reading Value(2.0)._prev", lambda: list(a._prev))
    if prev:
        problems.append(f"Value(2.0)._prev holds {prev!r}; a leaf was made from nothing")
    before = getattr(a, "grad", None)
    _mine(what, "a leaf's _backward()", lambda: a._backward())
    if getattr(a, "grad", None) != before:
        problems.append("calling a leaf's _backward() changed its grad; it should do nothing")
    x, y = Mine(1.0), Mine(-1.0)
    made = _mine(what, "Value(0.0, (x, y), '+')", lambda: Mine(0.0, (x, y), "+"))
    kept = _mine(what, "reading its _prev", lambda: {id(p) for p in made._prev})
    if kept != {id(x), id(y)}:
        problems.append("Value(0.0, (x, y), '+')._prev should hold x and y, nothing else")
    if problems:
        raise AssertionError(f"{what}: " + "; ".join(problems) + ".")


def _case(
    what: str,
    said: str,
    build: Callable[[Any], tuple[list[Any], Any]],
    names: tuple[list[str], str],
    slope: Callable[[str], str],
    note: str,
    classes: tuple[Callable[..., Any], Callable[..., Any]],
    options: tuple[float, bool, bool],
) -> None:
    """Build one expression from the learner's class and from autograd.Value (``classes``;
    ``build(V)`` returns its inputs and its root; ``names`` are the inputs' names and the
    root's) and compare: the root's value, then (``options``: ``tol, grads, backward``) each
    input's grad after backprop. Raises AssertionError saying which number differs, and how."""
    (Mine, Ref), (leaf_names, root), (tol, grads, backward) = classes, names, options
    mine_leaves, mine = _mine(what, said, build, Mine)
    ref_leaves, ref = build(Ref)
    if not hasattr(mine, "data"):
        raise AssertionError(f"{what}: {said} gave {mine!r}, not a Value.")
    if not _close(mine.data, ref.data, tol, 1e-12):
        raise AssertionError(
            f"{what}: {said}: your {root}.data is {mine.data!r}; it should be {ref.data!r}."
        )
    if not grads:
        return
    if backward:
        said += f", then {root}.backward()"
        _mine(what, said, mine.backward)
    else:
        said += f", then backprop from {root} ({root}.grad = 1, then each node's _backward)"
        _mine(what, said, _backprop, mine)
    ref.backward()
    for name, m, r in zip(leaf_names, mine_leaves, ref_leaves):
        if not _close(m.grad, r.grad, tol, 1e-12):
            raise AssertionError(
                f"{what}: {said}: your {name}.grad is {m.grad!r}; it should be "
                f"{slope(name)}, {r.grad!r}" + (f" ({note})" if note else "") + "."
            )


_ORDER = (
    "in a right order your _backward's give the right slope, so the fault is in backward(): "
    "it must call each node's _backward once, after every node that uses it"
)


def _probe_build(p: _Probe, V: Callable[..., Any]) -> tuple[list[Any], Any]:
    leaves = [V(v) for v in p.inputs.values()]
    return leaves, p.build(*leaves)


def _random_build(
    V: Callable[..., Any], rng: random.Random, state: Any, ops: Sequence[str], n: int
) -> tuple[list[Any], Any]:
    rng.setstate(state)
    return random_expression(V, rng, ops, n)


def random_expression(
    V: Callable[[float], Any],
    rng: random.Random,
    ops: Sequence[str],
    n: int,
    lines: list[str] | None = None,
) -> tuple[list[Any], Any]:
    """Build a random expression from ``V`` (a Value class): its leaves and its root.

    Three leaves in [-2, 2]; ``n`` operations, each applied to one or two earlier nodes
    (picked at random, so nodes are reused). ``ops`` names what ``V`` supports among "add"
    (``a + b``, ``a + k``, ``k + a`` for a constant ``k``), "mul" (likewise), "sub" (likewise,
    so ``k - a`` needs ``__rsub__``), "neg", "tanh", "pow" (``a**2``), "exp"
    (``a.tanh().exp()``) and "relu". Feeding two classes the same ``rng`` state builds the
    same expression. ``lines``, if given, receives it as text (``"x3 = 0.5 - x1"``).
    """
    leaves = [V(rng.uniform(-2.0, 2.0)) for _ in range(3)]
    nodes = list(leaves)
    said = [f"x{i} = {leaf.data!r}" for i, leaf in enumerate(leaves)]
    for _ in range(n):
        op = rng.choice(list(ops))
        i, j = rng.randrange(len(nodes)), rng.randrange(len(nodes))
        a, b = nodes[i], nodes[j]
        k, form = round(rng.uniform(-2.0, 2.0), 2), rng.randrange(3)
        if op in ("add", "mul", "sub"):
            sign = {"add": "+", "mul": "*", "sub": "-"}[op]
            if form == 0:
                out, text = _binary(sign, a, b), f"x{i} {sign} x{j}"
            elif form == 1:
                out, text = _binary(sign, a, k), f"x{i} {sign} {k}"
            else:
                out, text = _binary(sign, k, a), f"{k} {sign} x{i}"
        elif op == "neg":
            out, text = -a, f"-x{i}"
        elif op == "tanh":
            out, text = a.tanh(), f"x{i}.tanh()"
        elif op == "pow":
            out, text = a**2, f"x{i} ** 2"
        elif op == "exp":
            out, text = a.tanh().exp(), f"x{i}.tanh().exp()"  # the numbers stay small
        elif op == "relu":
            out, text = a.relu(), f"x{i}.relu()"
        else:
            raise ValueError(f"unknown op {op!r}")
        said.append(f"x{len(nodes)} = {text}")
        nodes.append(out)
    if lines is not None:
        lines.extend(said)
    return leaves, nodes[-1]


def _binary(sign: str, a: Any, b: Any) -> Any:
    return a + b if sign == "+" else a * b if sign == "*" else a - b


def check_expressions(
    Mine: Callable[..., Any],
    ops: Sequence[str] = ("add", "mul"),
    *,
    what: str = "your Value",
    grads: bool = True,
    backward: bool = True,
    trials: int = 200,
    size: int = 8,
    seed: int = 0,
    tol: float = 1e-9,
) -> Verdict:
    """Check the home-made class ``Mine`` against ``autograd.Value``, for the exercise ``what``.

    First the basics (a leaf's ``data``, ``grad`` 0, empty ``_prev``, a ``_backward`` that
    does nothing; ``_prev`` may be a tuple or a set); then, for each operation in ``ops`` (see
    :func:`random_expression`), small expressions told in words (``c = 2 - a``, ``c = a * a``:
    an input used twice, ``d = a * b; c = d * 3``: a gradient other than 1 arriving); with
    ``backward`` and "add", graphs that only a right visiting order gets right; then
    ``trials`` random expressions. Each is built from ``Mine`` and from ``autograd.Value``:
    the values must agree and, with ``grads``, the inputs' ``grad`` after backprop (relative
    tolerance ``tol``). Backprop is ``root.backward()`` with ``backward``; without, this
    function walks the graph in a right order and calls each node's ``_backward`` (for a
    ``Value`` that has no ``backward()`` yet).

    Prints ``[x] ... is right`` when all agree. Raises ``AssertionError`` on the first
    difference, saying which expression, which input, your number and what it should be, or
    what raised. A method that still raises ``NotImplementedError`` (a stub) makes the check
    say "not answered yet", as :func:`check` does for ``TODO``, and name the stub.
    """
    from autograd import Value

    classes = (Mine, Value)

    def case(said: str, build: Callable, names: tuple, slope: Callable, note: str) -> None:
        if not (backward and grads):
            _case(what, said, build, names, slope, note, classes, (tol, grads, False))
            return
        try:  # the learner's backward()
            _case(what, said, build, names, slope, note, classes, (tol, True, True))
        except AssertionError as wrong:
            try:  # the learner's _backward's, called in a right order
                _case(what, said, build, names, slope, note, classes, (tol, True, False))
            except AssertionError:
                raise wrong from None  # a _backward (or a value) is wrong
            order = note if note in {p.note for p in _ORDER_PROBES} else _ORDER
            _case(what, said, build, names, slope, order, classes, (tol, True, True))
            raise  # the order is wrong (the line above raised again, saying so)

    probes: list[_Probe] = []
    tried = 0
    rng = random.Random(seed)  # its state is set before each random expression
    try:
        _check_basics(Mine, what)
        probes = [p for p in _ORDER_PROBES if backward and grads and set(p.needs) <= set(ops)]
        probes += [p for p in _PROBES if p.needs[0] in ops and set(p.needs) <= set(ops)]
        for p in probes:
            said = p.text + " with " + ", ".join(f"{k} = {v}" for k, v in p.inputs.items())
            build = functools.partial(_probe_build, p)
            case(said, build, (list(p.inputs), "c"), p.slope, p.note)
        for t in range(trials if ops else 0):
            state, n, lines = random.Random(seed * 100_003 + t).getstate(), 1 + t % size, []
            rng.setstate(state)
            try:
                _, ref = random_expression(Value, rng, ops, n, lines)
            except (OverflowError, ZeroDivisionError):
                continue  # numbers beyond a float's range: no test of the learner's code
            if not math.isfinite(ref.data):
                continue
            root = lines[-1].split(" = ")[0]
            said = "the random expression " + "; ".join(lines)
            build = functools.partial(_random_build, rng=rng, state=state, ops=ops, n=n)
            slope = functools.partial("the slope of {} in {}".format, root)
            case(said, build, (["x0", "x1", "x2"], root), slope, "")
            tried += 1
    except _Stub as stub:
        verdict = check(what, TODO)
        print(f'    (the TODO here: the stub that says "{stub}")')
        return verdict
    done = f"{len(probes)} small expressions" + (
        f" and {tried} random ones of {', '.join(ops)}" if tried else ""
    )
    if not ops:
        done = "a leaf holds its number, grad 0 and no inputs; a Value made from x and y keeps both"
    else:
        done += " give autograd.Value's " + ("values and gradients" if grads else "values")
    print(f"[x] {what}: your Value is right ({done}).")
    return Verdict(True)
