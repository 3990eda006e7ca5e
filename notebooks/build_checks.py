"""Notebook 02's checks: a home-made ``Value`` class (the learner writes the engine) against
``autograd.Value``.

    from build_checks import check_expressions

    check_expressions(Value, ("add", "mul"))   # values and gradients, told in words and random

:func:`check_expressions` runs small expressions told in words (``c = 2 - a``, ``a + a``, ...)
and random ones, built from the learner's class and from ``autograd.Value``, and compares
the values and the gradients. The learner's methods start as stubs that raise
``NotImplementedError``: a check that meets one says "not answered yet" (through
:func:`teach.check`, with ``TODO``) and names the stub, so the notebook runs clean.
:func:`grad_if_mul_assigns` computes, out of sight, the answer of the notebook's last
exercise. No PyTorch needed. Frames set ``__tracebackhide__``, as in ``teach.py``.
"""

from __future__ import annotations

import contextlib
import functools
import math
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from expressions import ORDER_PROBES, PROBES, Probe, random_expression
from teach import TODO, Verdict, check, close


class _Stub(Exception):
    """A method of the learner's Value still raises NotImplementedError."""


def _backprop(root: Any) -> None:
    """Backprop in a right order with the learner's own ``_backward``s: set ``root.grad = 1``,
    then call each node's ``_backward`` after every node that uses it (reverse topological
    order; ``_prev`` may be a tuple, a list or a set)."""
    __tracebackhide__ = True
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


_PLAIN_NUMBER = re.compile(r"'(int|float)' object has no attribute '(\w+)'")


def _mine(what: str, doing: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run the learner's code ``fn(*args)``: a stub's NotImplementedError becomes
    :class:`_Stub`, any other error an ``AssertionError`` that says what was being done (not
    a raw traceback), with a hint where the error says a plain number was taken for a Value
    (``'int' object has no attribute 'data'``)."""
    __tracebackhide__ = True
    try:
        return fn(*args)
    except NotImplementedError as stub:
        raise _Stub(str(stub) or "a method raises NotImplementedError") from None
    except Exception as error:
        hint = ""
        if isinstance(error, AttributeError) and _PLAIN_NUMBER.search(str(error)):
            hint = (
                " Hint: a plain number (the 2 in a + 2 or in 2 * a) is not a Value: it has no "
                ".data, .grad or _prev. Wrap plain numbers as Value before you use them, and "
                "keep the wrapped Value among the inputs."
            )
        raise AssertionError(
            f"{what}: {doing} raised {type(error).__name__}: {str(error).rstrip('.')}.{hint}"
        ) from None


def _check_basics(Mine: Callable[..., Any], what: str) -> None:
    """A leaf holds its number, grad 0, no inputs and a ``_backward`` that does nothing; a
    Value made from inputs keeps them in ``_prev`` (a tuple, a list or a set). The number is
    2.5, not a whole one, so that ``int(data)`` does not pass."""
    __tracebackhide__ = True
    a = _mine(what, "Value(2.5)", lambda: Mine(2.5))
    problems = []
    if getattr(a, "data", None) != 2.5:
        problems.append(f"Value(2.5).data is {getattr(a, 'data', 'missing')!r}; it should be 2.5")
    if getattr(a, "grad", None) != 0:
        problems.append(
            f"Value(2.5).grad is {getattr(a, 'grad', 'missing')!r}; it should start at 0"
        )
    prev = _mine(what, "reading Value(2.5)._prev", lambda: list(a._prev))
    if prev:
        problems.append(f"Value(2.5)._prev holds {prev!r}; a leaf was made from nothing")
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


def _graph(root: Any) -> list[Any]:
    """Every node that ``root`` depends on (``root`` included), each once, walking ``_prev``."""
    nodes, seen, stack = [], {id(root)}, [root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        for p in node._prev:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return nodes


def _plain_input(root: Any, Mine: Callable[..., Any]) -> Any:
    """The first input (an element of a ``_prev``) in ``root``'s graph that is not a ``Mine``
    (a plain number kept as an input, say), or None when every one is."""
    nodes, seen = [root], {id(root)}
    while nodes:
        for p in nodes.pop()._prev:
            if not isinstance(p, Mine):  # type: ignore[arg-type]
                return p
            if id(p) not in seen:
                seen.add(id(p))
                nodes.append(p)
    return None


def _seeded_backward(what: str, said: str, mine: Any, root: str) -> None:
    """Call the learner's ``mine.backward()``, watching the gradient the root holds when its
    own ``_backward`` runs (the first to run, in a right order): it must be 1, set before
    anything is passed on. Raises AssertionError saying so when it is not."""
    __tracebackhide__ = True
    held: list[Any] = []
    inner = getattr(mine, "_backward", None)

    def watched() -> None:
        held.append(getattr(mine, "grad", None))
        if inner is not None:
            inner()

    with contextlib.suppress(AttributeError):  # a class that does not let it be set
        mine._backward = watched
    _mine(what, said, mine.backward)
    if held and held[0] == 1:
        return
    if held:
        found = f"when {root}'s own _backward ran, {root}.grad was {held[0]!r}"
    elif getattr(mine, "grad", None) != 1:
        found = f"{root}.grad is {getattr(mine, 'grad', None)!r} afterwards"
    else:
        return  # seeded, but its _backward never ran: the grads below say what is wrong
    raise AssertionError(
        f"{what}: {said}: {found}. The root's gradient (d{root}/d{root}) must be 1 before "
        "anything is passed on: set it first, then call the _backward's."
    )


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
    root's) and compare: the root's value, then (``options``: ``tol, grads, backward``) that
    every input kept in a ``_prev`` is a Value, the root's seed (with ``backward``) and each
    input's grad after backprop. Raises AssertionError saying which number differs, and how."""
    __tracebackhide__ = True
    (Mine, Ref), (leaf_names, root), (tol, grads, backward) = classes, names, options
    mine_leaves, mine = _mine(what, said, build, Mine)
    ref_leaves, ref = build(Ref)
    if not hasattr(mine, "data"):
        raise AssertionError(f"{what}: {said} gave {mine!r}, not a Value.")
    if not close(mine.data, ref.data, tol, 1e-12):
        raise AssertionError(
            f"{what}: {said}: your {root}.data is {mine.data!r}; it should be {ref.data!r}."
        )
    if not grads:
        return
    plain = _mine(what, f"{said}: reading the _prev's", _plain_input, mine, Mine)
    if plain is not None:
        raise AssertionError(
            f"{what}: {said}: a node's _prev holds {plain!r}, a plain "
            f"{type(plain).__name__}, not a Value; backprop walks _prev and needs a grad and "
            "a _backward there. Hint: wrap plain numbers as Value, and keep the wrapped Value "
            "among the inputs."
        )
    if backward:
        said += f", then {root}.backward()"
        _seeded_backward(what, said, mine, root)
    else:
        said += f", then backprop from {root} ({root}.grad = 1, then each node's _backward)"
        _mine(what, said, _backprop, mine)
    ref.backward()
    for name, m, r in zip(leaf_names, mine_leaves, ref_leaves):
        if not close(m.grad, r.grad, tol, 1e-12):
            raise AssertionError(
                f"{what}: {said}: your {name}.grad is {m.grad!r}; it should be "
                f"{slope(name)}, {r.grad!r}" + (f" ({note})" if note else "") + "."
            )


_AFRESH = (
    "backward() must start afresh at each call: a topo list or visited set kept from one "
    "call to the next, at module level or as a default argument such as topo=[], walks the "
    "first graph again; training builds a new graph on the same weights at every step"
)
_AGAIN = (
    "a second backward() on the same graph must give what the first gave: does your "
    "backward() leave a mark on the nodes (visited or not) that outlasts the call?"
)


def _shared_leaves(V: Callable[..., Any]) -> tuple[list[Any], Any]:
    """c = a * b, c.backward(); a.grad = b.grad = 0; e = a + b, e.backward(): as training does,
    a new graph on the same leaves, their grads zeroed in between."""
    a, b = V(3.0), V(-2.0)
    c = a * b
    c.backward()
    a.grad = b.grad = 0.0
    e = a + b
    e.backward()
    return [a, b], e


def _same_graph_twice(V: Callable[..., Any]) -> tuple[list[Any], Any]:
    """c = a * b + a, c.backward(); every node's grad = 0; c.backward() again."""
    a, b = V(3.0), V(-2.0)
    c = a * b + a
    c.backward()
    for node in _graph(c):
        node.grad = 0.0
    c.backward()
    return [a, b], c


def _check_fresh_calls(what: str, classes: tuple[Callable[..., Any], ...], tol: float) -> None:
    """backward() called more than once, as training calls it: on two graphs that share their
    leaves (zeroed in between), and twice on one graph (every node zeroed in between). A
    backward() that keeps state from one call to the next (a module-level ``topo``, a default
    argument ``visited=set()``, a mark left on the nodes) passes every single-graph probe."""
    __tracebackhide__ = True
    Mine, Ref = classes
    said_ab = " with a = 3.0, b = -2.0"
    for build, said, root, note in (
        (
            _shared_leaves,
            "c = a * b, c.backward(); then a.grad = b.grad = 0 (as a training step zeroes its "
            "weights) and e = a + b, e.backward()" + said_ab,
            "e",
            _AFRESH,
        ),
        (
            _same_graph_twice,
            "c = a * b + a, c.backward(); then every node's grad = 0 and c.backward() again"
            + said_ab,
            "c",
            _AGAIN,
        ),
    ):
        mine_leaves, _ = _mine(what, said, build, Mine)
        ref_leaves, _ = build(Ref)
        for name, m, r in zip("ab", mine_leaves, ref_leaves):
            if not close(m.grad, r.grad, tol, 1e-12):
                raise AssertionError(
                    f"{what}: {said}: your {name}.grad is {m.grad!r}; it should be the slope "
                    f"of {root} in {name}, {r.grad!r} ({note})."
                )


_ORDER = (
    "in a right order your _backward's give the right slope, so the fault is in backward(): "
    "it must call each node's _backward once, after every node that uses it"
)


def _probe_build(p: Probe, V: Callable[..., Any]) -> tuple[list[Any], Any]:
    leaves = [V(v) for v in p.inputs.values()]
    return leaves, p.build(*leaves)


def _random_build(
    V: Callable[..., Any], rng: random.Random, state: Any, ops: Sequence[str], n: int
) -> tuple[list[Any], Any]:
    rng.setstate(state)
    return random_expression(V, rng, ops, n)


# The methods each operation needs, for the check that the class has them all: a cell that
# re-defines ``class Value`` makes a new class without the methods attached to the old one.
_METHODS = {
    "add": ("__add__", "__radd__"),
    "mul": ("__mul__", "__rmul__"),
    "sub": ("__sub__", "__rsub__"),
    "neg": ("__neg__",),
    "tanh": ("tanh",),
    "pow": ("__pow__",),
    "exp": ("tanh", "exp"),
    "relu": ("relu",),
}


def _missing(Mine: Callable[..., Any], ops: Sequence[str], backward: bool) -> list[str]:
    """The methods that ``ops`` (and ``backward()``) need and ``Mine`` lacks, in order."""
    needed = [m for op in ops for m in _METHODS.get(op, ())] + (["backward"] if backward else [])
    return [m for m in dict.fromkeys(needed) if not callable(getattr(Mine, m, None))]


def _unanswered(what: str, stub: str) -> str:
    """What a check says to do while a stub is met: ``stub`` is its NotImplementedError's
    message (the notebook's stubs say ``your turn (exercise 3): write tanh``)."""
    own = re.match(r"exercise (\d+)\b", what)
    met = re.search(r"\(exercise (\d+)\)(?::\s*(.+))?", stub)
    if met is None:
        return f'a method still raises NotImplementedError("{stub}")'
    if own is None or own[1] != met[1]:
        return f"finish the stub of exercise {met[1]} first"
    if met[2]:
        return f"{met[2].rstrip('.')} in place of its stub, and re-run"
    return "replace the stub with your code and re-run"


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

    First that ``Mine`` has the methods ``ops`` need (a re-run ``class Value`` cell makes a
    new class without the methods attached later: the message says so); then the basics (a
    leaf's ``data``, ``grad`` 0, empty ``_prev``, a ``_backward`` that does nothing; ``_prev``
    may be a tuple or a set); then, for each operation in ``ops`` (see
    :func:`random_expression`), small expressions told in words (``c = 2 - a``, ``c = a * a``:
    an input used twice, ``d = a * b; c = d * 3``: a gradient other than 1 arriving); with
    ``backward`` and "add", graphs that only a right visiting order gets right, the root's
    seed, and ``backward()`` called twice (on two graphs sharing their leaves, and on one
    graph again: it must keep no state between calls); then ``trials`` random expressions.
    Each is built from ``Mine`` and from ``autograd.Value``: the values must agree and, with
    ``grads``, the inputs' ``grad`` after backprop (relative tolerance ``tol``), and every
    input kept in a ``_prev`` must be a Value. Backprop is ``root.backward()`` with
    ``backward``; without, this function walks the graph in a right order and calls each
    node's ``_backward`` (for a ``Value`` that has no ``backward()`` yet).

    Prints ``[x] ... is right`` when all agree. Raises ``AssertionError`` on the first
    difference, saying which expression, which input, your number and what it should be, or
    what raised. A method that still raises ``NotImplementedError`` (a stub) makes the check
    say "not answered yet", as :func:`check` does for ``TODO``, and which stub to finish.
    """
    __tracebackhide__ = True
    try:
        return _check_expressions(Mine, ops, what, (grads, backward), (trials, size, seed), tol)
    except AssertionError as wrong:  # raised afresh here: the traceback shows this line only
        raise AssertionError(str(wrong)) from None


def _check_expressions(
    Mine: Callable[..., Any],
    ops: Sequence[str],
    what: str,
    modes: tuple[bool, bool],
    sizes: tuple[int, int, int],
    tol: float,
) -> Verdict:
    """:func:`check_expressions`'s work (``modes``: ``grads, backward``; ``sizes``:
    ``trials, size, seed``)."""
    __tracebackhide__ = True
    from autograd import Value

    (grads, backward), (trials, size, seed) = modes, sizes
    classes = (Mine, Value)
    missing = _missing(Mine, ops, bool(ops) and backward and grads)
    if missing:
        raise AssertionError(
            f"{what}: your Value has no {', '.join(missing)}. Hint: run the answer cells in "
            "order. Running the cell with `class Value:` again makes a new class, without "
            "the methods the later cells attached to the old one: after it, run the answer "
            "cells that follow it again, up to this one."
        )

    def case(said: str, build: Callable, names: tuple, slope: Callable, note: str) -> None:
        __tracebackhide__ = True
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
            order = note if note in {p.note for p in ORDER_PROBES} else _ORDER
            _case(what, said, build, names, slope, order, classes, (tol, True, True))
            raise  # the order is wrong (the line above raised again, saying so)

    probes: list[Probe] = []
    tried = 0
    rng = random.Random(seed)  # its state is set before each random expression
    try:
        _check_basics(Mine, what)
        probes = [p for p in ORDER_PROBES if backward and grads and set(p.needs) <= set(ops)]
        probes += [p for p in PROBES if p.needs[0] in ops and set(p.needs) <= set(ops)]
        for p in probes:
            said = p.text + " with " + ", ".join(f"{k} = {v}" for k, v in p.inputs.items())
            build = functools.partial(_probe_build, p)
            case(said, build, (list(p.inputs), "c"), p.slope, p.note)
        if backward and grads and {"add", "mul"} <= set(ops):
            _check_fresh_calls(what, classes, tol)
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
        return check(what, TODO, unanswered=_unanswered(what, str(stub)))
    done = f"{len(probes)} small expressions"
    if backward and grads and {"add", "mul"} <= set(ops):
        done += ", backward() twice on one graph and on two sharing their inputs,"
    done += f" and {tried} random ones of {', '.join(ops)}" if tried else ""
    if not ops:
        done = "a leaf holds its number, grad 0 and no inputs; a Value made from x and y keeps both"
    else:
        done += " give autograd.Value's " + ("values and gradients" if grads else "values")
    print(f"[x] {what}: your Value is right ({done}).")
    return Verdict(True)


def grad_if_mul_assigns(a: float) -> float:
    """``a.grad`` after ``c = a * a`` and ``c.backward()`` with a ``__mul__`` whose
    ``_backward`` assigns (``=``) where it should add (``+=``): run here, out of the learner's
    sight, as the expected value of notebook 02's exercise 8 (which asks for a prediction)."""

    class Assigning:  # just enough of a Value for c = a * a, with "=" where "+=" belongs
        def __init__(self, data: float) -> None:
            self.data, self.grad = data, 0.0
            self._backward: Callable[[], None] = lambda: None

        def __mul__(self, other: Assigning) -> Assigning:
            out = Assigning(self.data * other.data)

            def _backward() -> None:
                self.grad = other.data * out.grad
                other.grad = self.data * out.grad

            out._backward = _backward
            return out

    leaf = Assigning(a)
    root = leaf * leaf
    root.grad = 1.0
    root._backward()
    return leaf.grad
