"""Differential fuzzing of the compiled path: every compiled call is the engine's, or refused.

Hypothesis writes small programs (a few parameters, up to ~15 steps) from every row of the
table of primitives (:data:`autograd.extend.OPS`), with data at the kinks, labelled nodes,
constants from closures, higher-order gradients, Python branches on comparisons (some made
in a worker thread), ``no_grad`` and leaf or constant losses (per-example losses of small
MLPs for :func:`autograd.compile_mean` are ``tests/test_compile_mean_fuzz.py``). Each program
is built twice, on two identical sets of leaves: :func:`autograd.compile` (or
``compile_mean``) runs one, the engine the other. Each compiled function is called several
times, the parameters' ``.data`` changed between calls (so branches and kinks flip) and
their ``.grad`` set before some calls (the gradients accumulate, as with ``backward()``).
Every call must either

* equal the engine: ``loss = fn(); loss.backward(); loss.data`` (under ``no_grad``:
  ``fn().data``, and no gradient written), or for ``compile_mean`` what its docstring says,
  ``autograd.sum(terms) * (1 / n) + extra()``; in Python mode bit for bit (the loss, the
  auxiliary outputs and every leaf's ``.grad`` after the call, by ``float.hex``: NaN equals
  NaN, the sign of zero counts), in NumPy mode within 1e-12 relative (1e-12 absolute near
  zero); or
* raise a clear error and write nothing (every ``.grad`` as it was before the call): a
  ``TypeError``/``ValueError`` whose message mentions compile, or exactly the exception (type
  and message) the engine raises for that call. An ``AssertionError``, an internal
  ``NameError``, ``IndexError``, "too many values to unpack" or a NumPy shape error is a bug.

The number of examples follows the Hypothesis profile (tests/conftest.py): ``ci`` (the
default) keeps a passing run of the whole file well under a minute (a failing one also
shrinks what it found, which takes longer); for a long run::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_compile_fuzz.py   # or: make fuzz
"""

from __future__ import annotations

import contextlib
import keyword
import math
import operator
import random
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd.extend import OPS

# --------------------------------------------------------------------------------------------
# The budget: examples per test, from the active Hypothesis profile
# --------------------------------------------------------------------------------------------

#: The profile's number of examples (``ci``: 60, ``fuzz``: 3000).
EXAMPLES = settings.default.max_examples


def budget(share: float = 1.0) -> settings:
    """Settings for a test that gets ``share`` of the profile's examples (at least 10)."""
    return settings(max_examples=max(10, int(EXAMPLES * share)), deadline=None)


# --------------------------------------------------------------------------------------------
# Comparing results: bit for bit (Python mode), within 1e-12 (NumPy mode)
# --------------------------------------------------------------------------------------------


def same_bits(a: object, b: object) -> bool:
    """Equal floats by their bits (NaN equals NaN, 0.0 is not -0.0), elementwise in
    sequences; anything else (None) equal and of the same type."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() or (a != a and b != b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(same_bits, a, b))
    return type(a) is type(b) and a == b


def within_1e12(a: object, b: object) -> bool:
    """Floats within 1e-12 relative (1e-12 absolute near zero; NaN equals NaN), elementwise
    in sequences; anything else as :func:`same_bits`."""
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(map(within_1e12, a, b))
    return same_bits(a, b)


EQUALITY: dict[str, Callable[[object, object], bool]] = {
    "python": same_bits,
    "numpy": within_1e12,
}


def clear_refusal(error: Exception, engine_error: Exception | None) -> bool:
    """Whether a compiled call's error is one the contract allows: exactly the engine's error
    for the call, or a TypeError/ValueError that says it comes from compile."""
    if isinstance(error, AssertionError):
        return False
    if type(error) is type(engine_error) and str(error) == str(engine_error):
        return True
    return isinstance(error, (TypeError, ValueError)) and "compile" in str(error).lower()


# --------------------------------------------------------------------------------------------
# The harness: two identical sets of leaves, a compiled side and an engine side
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call, and how the leaves are set before it (the same on both sides)."""

    data: tuple[float, ...] | None  # the varying leaves' new .data; None: as they are
    grads: tuple[float | None, ...] | None  # every leaf's .grad; None: as left by the last call
    no_grad: bool = False  # the call is made inside ``with autograd.no_grad():``
    batch: tuple[tuple[float, ...], ...] = ()  # compile_mean: the examples' inputs
    statics: tuple[Any, ...] | None = None  # compile_mean: their static values


@dataclass
class Side:
    """One of the twins: its leaves (whose ``.grad`` is compared), those whose ``.data`` each
    call sets, and how to make a call (returning a tuple: the loss, then anything else)."""

    leaves: list[Value]
    varying: list[Value]
    call: Callable[[Call], tuple[Any, ...]]
    source: Callable[[], str] = lambda: ""


@dataclass
class Outcome:
    """What a call did: its result or its error, and every leaf's ``.grad`` after it."""

    result: tuple[Any, ...] | None
    error: Exception | None
    grads: list[Any] = field(default_factory=list)


def attempt(side: Side, call: Call) -> Outcome:
    """Make the call on one side (under ``no_grad`` if the call says so)."""
    mode = autograd.no_grad() if call.no_grad else contextlib.nullcontext()
    try:
        with mode:
            result, error = side.call(call), None
    except Exception as caught:  # every error is judged, none is let through
        result, error = None, caught
    return Outcome(result, error, [leaf.grad for leaf in side.leaves])


def prepare(compiled: Side, engine: Side, call: Call) -> None:
    """Set both sides' leaves as the call says; the compiled side's gradients start where the
    engine's are (they differ only after a call the compiled side refused)."""
    for side in (compiled, engine):
        if call.data is not None:
            for leaf, x in zip(side.varying, call.data, strict=True):
                leaf.data = x
        if call.grads is not None:
            for leaf, g in zip(side.leaves, call.grads, strict=True):
                leaf.grad = g
    for mine, theirs in zip(compiled.leaves, engine.leaves, strict=True):
        mine.grad = theirs.grad


def judge(
    k: int, compiled: Outcome, engine: Outcome, before: list[Any], equal: Callable, source: str
) -> None:
    """The contract for one call (each failure on a line of its own: Hypothesis reports
    distinct failures of one test separately)."""
    where = f"call {k}: compiled {compiled.error or compiled.result!r}, engine "
    where += f"{engine.error or engine.result!r}\n--- generated source ---\n{source[:4000]}"
    if compiled.error is not None:
        assert clear_refusal(compiled.error, engine.error), f"an unclear error: {where}"
        assert same_bits(compiled.grads, before), (
            f"gradients written before the error: {compiled.grads} (were {before}); {where}"
        )
        return
    assert engine.error is None, f"the engine raises, the compiled call returned: {where}"
    assert compiled.result is not None and engine.result is not None
    assert equal(compiled.result[0], engine.result[0]), f"the loss differs: {where}"
    assert equal(compiled.result[1:], engine.result[1:]), f"the aux outputs differ: {where}"
    assert equal(compiled.grads, engine.grads), (
        f"the gradients differ: compiled {compiled.grads}, engine {engine.grads}; {where}"
    )


def run_twins(compiled: Side, engine: Side, calls: Sequence[Call], equal: Callable) -> None:
    """Make every call on both sides and judge each compiled call by the engine's."""
    for k, call in enumerate(calls):
        prepare(compiled, engine, call)
        before = [leaf.grad for leaf in compiled.leaves]
        got, expected = attempt(compiled, call), attempt(engine, call)
        judge(k, got, expected, before, equal, compiled.source())


def engine_call(fn: Callable[[], Value]) -> Callable[[Call], tuple[Any, ...]]:
    """The engine's reference for ``compile(fn)()``: ``loss = fn(); loss.backward()`` and
    ``loss.data``; under ``no_grad``, ``fn().data`` (no gradient is written)."""

    def call(_: Call) -> tuple[Any, ...]:
        loss = fn()
        if autograd.is_grad_enabled():
            loss.backward()
        return (loss.data,)

    return call


def compiled_call(fn: Callable[[], Value]) -> tuple[Callable[[Call], tuple[Any, ...]], Callable]:
    """``compile(fn)`` as a side's call, and its source (for failure messages)."""
    f = autograd.compile(fn)
    return (lambda _: (f(),)), (lambda: f.source)


# --------------------------------------------------------------------------------------------
# Data: kinks, signed zeros, the exponents' special bases
# --------------------------------------------------------------------------------------------

#: Points where rules branch (relu, abs, leaky_relu, sqrt, ** at 0) and simple values.
KINKS = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0]
#: Values IEEE arithmetic treats specially (drawn in the ops test only).
EXTREMES = [math.inf, -math.inf, math.nan, 1e308, -1e308, 5e-324, 710.0, -745.0]

data_values = st.one_of(
    st.sampled_from(KINKS),
    st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False, allow_subnormal=False),
)
extreme_values = st.one_of(data_values, st.sampled_from(EXTREMES))
GRAD_POOL = [0.0, -0.0, None, 1.0, -2.5]
grad_values = st.one_of(
    st.sampled_from(GRAD_POOL),
    st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False),
)
#: Numbers written into programs: operands of binary ops, constants of rows.
NUMBERS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0]
#: The rows with a constant, with the constants drawn for each (exponents 0, 0.5, 2, -1, 3
#: on bases at 0; bases 0, 1 and negative for c ** x; slopes 0 and negative).
CONSTANTS: dict[str, list[float]] = {
    "pow_const": [0.0, 0.5, 2.0, -1.0, 3.0, 1.0, -2.0, 1.5],
    "rpow_const": [0.0, 0.5, 1.0, 2.0, 2.5, -2.0],
    "leaky_relu": [0.01, 0.1, 0.0, -0.5, 2.0],
}


#: Leaves beyond which their values come from one drawn seed (a model's parameters): a tuple
#: of 20 floats is slow to shrink, an integer is not.
FEW = 4


def spread(seed: int, n: int, pool: Sequence[float | None]) -> tuple[float | None, ...]:
    """``n`` values from ``seed``: half from ``pool`` (kinks, signed zeros), half in [-3, 3]."""
    rng = random.Random(seed)
    return tuple(
        rng.choice(pool) if rng.random() < 0.5 else rng.uniform(-3.0, 3.0) for _ in range(n)
    )


def several(n: int, values: st.SearchStrategy[Any], pool: Sequence[Any]) -> st.SearchStrategy:
    """``n`` values: each drawn for a few leaves, from a seed (:func:`spread`) for many."""
    if n <= FEW:
        return st.tuples(*[values] * n)
    return st.integers(0, 2**32 - 1).map(lambda seed: spread(seed, n, pool))


@st.composite
def call_plans(
    draw: st.DrawFn,
    n_varying: int,
    n_leaves: int,
    values: st.SearchStrategy[float] = data_values,
    no_grad: bool = False,
    batches: st.SearchStrategy[tuple[tuple, tuple | None]] | None = None,
) -> list[Call]:
    """2 to 5 calls: new data or not, gradients set or accumulated, under ``no_grad`` or not
    (only when ``no_grad``; the first call included), and for compile_mean a batch."""
    plans = []
    for k in range(draw(st.integers(2, 5))):
        data = draw(st.none() | several(n_varying, values, KINKS)) if k else None
        grads = draw(st.none() | several(n_leaves, grad_values, GRAD_POOL))
        batch, statics = draw(batches) if batches is not None else ((), None)
        quiet = no_grad and draw(st.booleans())
        plans.append(Call(data, grads, quiet, batch, statics))
    return plans


# --------------------------------------------------------------------------------------------
# Labels: what the generated code might take for its own names
# --------------------------------------------------------------------------------------------


def fullwidth(name: str) -> str:
    """``name`` in fullwidth letters (``g_w`` becomes U+FF47 ``_w``): NFKC, which Python
    applies to identifiers, makes it ``name`` again."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in name)


#: Names the generated code uses (or might): its arguments, loop variables, accumulators,
#: helpers, modules, and the fallback names of nodes.
GENERATED_NAMES = [
    *("P", "X", "C", "B", "G", "c", "x", "i", "j", "k", "seed", "keys", "batch", "total"),
    *("aux", "index", "groups", "pv", "gv", "ok", "dX", "loss", "step", "extra", "data"),
    *("math", "np", "inf", "nan", "x0", "x1", "c0", "v0", "v1", "v3", "p0", "p1", "d0"),
    *("d1", "g_w", "g_p0", "g_v3", "G_M0_0", "W_M0_0", "M0_0", "fwd_tanh", "vjp_mul"),
    *("vjp_tanh", "w", "b", "o", "n", "_", "__builtins__", "__class__"),
]
BUILTIN_NAMES = ["sum", "print", "abs", "max", "min", "float", "len", "zip", "map", "range"]
#: Pairs of distinct strings that are one identifier after NFKC.
NFKC_PAIRS = [
    ("\N{MICRO SIGN}", "\N{GREEK SMALL LETTER MU}"),
    ("\N{LATIN SMALL LIGATURE FI}", "fi"),
    ("\N{FULLWIDTH LATIN SMALL LETTER G}_w", "g_w"),
    ("\N{MATHEMATICAL ITALIC SMALL X}", "x"),
    ("\N{OHM SIGN}", "\N{GREEK CAPITAL LETTER OMEGA}"),
    ("\N{KELVIN SIGN}", "K"),
    *((fullwidth(name), name) for name in ("w", "v3", "x0", "p0", "data", "np", "inf", "b")),
]
#: Labels that are not identifiers at all, or that would break a line or a string.
AWKWARD_LABELS = [
    *("", " ", "a\nb", "\n", "line\r", "sep\u2028x", "tab\t", "#", "# comment", "'", '"'),
    *(
        "'''",
        "a'b\"c",
        "\\",
        "back\\slash",
        "1x",
        "a b",
        "x.y",
        "\x00",
        "\N{LATIN SMALL LETTER E WITH ACUTE}",
        "\N{BLACK-LETTER CAPITAL H}",
        "x\N{SUPERSCRIPT TWO}",
    ),
]
SPECIAL_LABELS = [
    *sorted(op.name for op in OPS),
    *sorted({op.label for op in OPS}),
    *keyword.kwlist,
    *keyword.softkwlist,
    *BUILTIN_NAMES,
    *GENERATED_NAMES,
    *(fullwidth(name) for name in GENERATED_NAMES),
    *(name for pair in NFKC_PAIRS for name in pair),
    *AWKWARD_LABELS,
]
labels = st.one_of(st.sampled_from(SPECIAL_LABELS), st.text(max_size=6))


# --------------------------------------------------------------------------------------------
# Programs for compile(fn): every row of the table, branches, gradients, threads
# --------------------------------------------------------------------------------------------

#: The rows of one Value and no constant: ``-a``, ``abs(a)``, ``a.tanh()``...
UNARY = [op.name for op in OPS if op.arity == 1 and not op.with_constant]
#: The binary rows, as Python spells them (a number on one side makes pow_const/rpow_const).
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def unary(name: str, a: Value, spelling: str = "method") -> Value:
    """The row ``name`` applied to ``a``: as an operator, a method, or autograd's function."""
    if name == "neg":
        return -a
    if name == "abs":
        return abs(a)
    if spelling == "function":
        return getattr(autograd, name)(a)  # type: ignore[no-any-return]
    return getattr(a, name)()  # type: ignore[no-any-return]


def with_constant(name: str, a: Value, c: float) -> Value:
    """A row with a number constant: ``a ** c``, ``c ** a``, ``a.leaky_relu(c)``."""
    if name == "pow_const":
        return a**c
    if name == "rpow_const":
        return c**a
    return a.leaky_relu(c)


#: Rows whose rules branch on their operands (a kink, a singular point), for gradients of
#: gradients: a Value exponent's ``a ** b`` besides these.
KINKED = ["relu", "abs", "leaky_relu", "pow_const", "rpow_const", "sqrt", "pow"]


def kinked(name: str, a: Value, c: float) -> Value:
    """A row of KINKED (but pow) on ``a``, with the constant ``c`` where it has one."""
    return with_constant(name, a, c) if name in CONSTANTS else unary(name, a)


def as_node(x: object) -> Value:
    """A Value, a number made one (a constant made inside ``fn``)."""
    return x if isinstance(x, Value) else Value(float(x))  # type: ignore[arg-type]


def in_worker(how: str, decide: Callable[[], bool]) -> bool:
    """``decide()`` run in another thread: a ``threading.Thread`` or an executor's."""
    box: list[bool] = []
    if how == "thread":
        worker = threading.Thread(target=lambda: box.append(decide()))
        worker.start()
        worker.join()
        return box[0]
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(decide).result()


class Step(NamedTuple):
    """One step of a program: appends a node computed from earlier ones (by index).

    Operands are ``("node", i)``, ``("number", c)`` (a number the closure holds) or
    ``("inner", c)`` (``Value(c)`` made inside ``fn``).
    """

    kind: str
    args: tuple[Any, ...]
    label: str | None = None


@dataclass(frozen=True)
class Program:
    """Parameters (their starting data and labels), Values made outside ``fn`` that are not
    parameters (held by its closure; never changed), the steps, and what ``fn`` returns:
    ``("all",)`` the ``autograd.sum`` of every node, ``("node", i)`` one of them (a leaf
    loss when it is a parameter), ``("inner", c)`` a constant made inside."""

    params: tuple[float, ...]
    labels: tuple[str, ...]
    closure: tuple[float, ...]
    steps: tuple[Step, ...]
    root: tuple[Any, ...]


def operand(nodes: list[Value], spec: tuple[str, Any]) -> Any:
    kind, x = spec
    if kind == "node":
        return nodes[x]
    return x if kind == "number" else Value(x)


def decide(test: tuple[Any, ...], nodes: list[Value]) -> bool:
    """A branch's condition: a comparison (in this thread or another), or ``bool(node)``."""
    kind = test[0]
    if kind == "compare":
        _, op, a, b = test
        return COMPARISONS[op](operand(nodes, a), operand(nodes, b))
    if kind == "thread":
        _, how, op, a, b = test
        return in_worker(how, lambda: COMPARISONS[op](operand(nodes, a), operand(nodes, b)))
    # `if x:` -- bool(Value) is being changed to mean x.data != 0 (as PyTorch); the engine
    # is the reference either way, and the data are often 0 here, so the branch flips.
    return bool(nodes[test[1]])


def act(action: tuple[str, int], nodes: list[Value]) -> Value:
    """One arm of a branch: a node as it is, or a unary row of it."""
    name, src = action
    return nodes[src] if name == "identity" else unary(name, nodes[src])


def run_step(step: Step, nodes: list[Value]) -> Value:
    """The node a step appends."""
    kind, args = step.kind, step.args
    if kind == "unary":
        name, src, spelling = args
        return unary(name, nodes[src], spelling)
    if kind == "constant":
        name, src, c = args
        return with_constant(name, nodes[src], c)
    if kind == "binary":
        name, a, b = args
        return as_node(BINARY[name](operand(nodes, a), operand(nodes, b)))
    if kind == "sum":
        terms, start = args
        return autograd.sum([operand(nodes, t) for t in terms], operand(nodes, start))
    if kind == "dot":
        ws, xs, bias = args
        return autograd.dot(
            [operand(nodes, w) for w in ws], [operand(nodes, x) for x in xs], operand(nodes, bias)
        )
    if kind == "branch":
        test, then, otherwise = args
        return act(then, nodes) if decide(test, nodes) else act(otherwise, nodes)
    if kind == "pick":
        pick, a, b = args
        return as_node((max if pick == "max" else min)(operand(nodes, a), operand(nodes, b)))
    if kind == "loop":
        src, times, name = args
        x = nodes[src]
        for _ in range(times):
            x = unary(name, x)
        return x
    if kind == "grad":  # a gradient with a graph, used in the loss (a gradient penalty)
        y, x = args
        (g,) = autograd.gradients(nodes[y], [nodes[x]], create_graph=True)
        return as_node(g)
    if kind == "penalty":  # the same through a kinked row, or a ** b (d/db too)
        name, c, a, b, wrt = args
        y = nodes[a] ** nodes[b] if name == "pow" else kinked(name, nodes[a], c)
        (g,) = autograd.gradients(y * nodes[b], [nodes[wrt]], create_graph=True)
        return as_node(g)
    if kind == "transform":  # JAX style: autograd.grad of a function, at a node
        name, src = args
        return as_node(autograd.grad(lambda t: unary(name, t) * t)(nodes[src]))
    raise AssertionError(f"unknown step {kind}")


def build(program: Program) -> tuple[list[Value], list[Value], Callable[[], Value]]:
    """Fresh leaves for the program: (every leaf, the parameters, ``fn``)."""
    params = [Value(x, label=name) for x, name in zip(program.params, program.labels)]
    held = [Value(c, label="held") for c in program.closure]

    def fn() -> Value:
        nodes = [*params, *held]
        for step in program.steps:
            node = run_step(step, nodes)
            if step.label is not None:
                node.label = step.label
            nodes.append(node)
        kind, *rest = program.root
        if kind == "all":
            return autograd.sum(nodes)
        if kind == "node":
            return nodes[rest[0] % len(nodes)]
        return Value(rest[0])

    return [*params, *held], params, fn


@dataclass(frozen=True)
class Features:
    """What a test's programs may use beyond the table's rows."""

    labels: bool = False
    closure: bool = False
    branches: bool = False
    threads: bool = False
    higher_order: bool = False
    transforms: bool = False
    no_grad: bool = False
    extremes: bool = False
    roots: bool = False  # the loss may be any node (a leaf, a constant), not the sum of all


@st.composite
def operands(draw: st.DrawFn, n: int, numbers: bool = True) -> tuple[str, Any]:
    """An operand: mostly an earlier node, sometimes a number or a ``Value`` made in ``fn``."""
    kinds = ["node", "node", "number", "inner"] if numbers else ["node"]
    kind = draw(st.sampled_from(kinds))
    if kind == "node":
        return kind, draw(st.integers(0, n - 1))
    return kind, draw(st.sampled_from(NUMBERS))


@st.composite
def steps(draw: st.DrawFn, n: int, features: Features) -> Step:
    """A step over ``n`` earlier nodes, of a kind the features allow."""
    kinds = ["unary", "unary", "constant", "binary", "binary", "sum", "dot"]
    if features.branches:
        kinds += ["branch", "branch", "pick", "loop"]
    if features.higher_order:
        kinds += ["grad", "penalty", "penalty"]
    if features.transforms:
        kinds += ["transform"]
    kind = draw(st.sampled_from(kinds))
    node = st.integers(0, n - 1)
    if kind == "unary":
        spelling = draw(st.sampled_from(["method", "function"]))
        name = draw(st.sampled_from(UNARY))
        args: tuple[Any, ...] = (name, draw(node), spelling if hasattr(autograd, name) else "")
    elif kind == "constant":
        name = draw(st.sampled_from(sorted(CONSTANTS)))
        args = (name, draw(node), draw(st.sampled_from(CONSTANTS[name])))
    elif kind == "binary":
        a, b = draw(operands(n)), draw(operands(n))
        if a[0] != "node" and b[0] != "node":
            a = ("node", draw(node))
        args = (draw(st.sampled_from(sorted(BINARY))), a, b)
    elif kind == "sum":
        args = (tuple(draw(st.lists(operands(n), max_size=4))), draw(operands(n)))
    elif kind == "dot":
        width = draw(st.integers(1, 3))
        ws = tuple(draw(operands(n)) for _ in range(width))
        args = (ws, tuple(draw(operands(n)) for _ in range(width)), draw(operands(n)))
    elif kind == "branch":
        args = (draw(conditions(n, features)), draw(actions(n)), draw(actions(n)))
    elif kind == "pick":
        args = (draw(st.sampled_from(["max", "min"])), ("node", draw(node)), draw(operands(n)))
    elif kind == "loop":
        args = (draw(node), draw(st.integers(0, 2)), draw(st.sampled_from(UNARY)))
    elif kind == "grad":
        args = (draw(node), draw(node))
    elif kind == "penalty":
        name = draw(st.sampled_from(KINKED))
        c = draw(st.sampled_from(CONSTANTS.get(name, [0.0])))
        a, b = draw(node), draw(node)
        args = (name, c, a, b, draw(st.sampled_from([a, b, draw(node)])))
    else:
        args = (draw(st.sampled_from(UNARY)), draw(node))
    label = draw(st.none() | labels) if features.labels else None
    return Step(kind, args, label)


@st.composite
def conditions(draw: st.DrawFn, n: int, features: Features) -> tuple[Any, ...]:
    """A branch's condition: ``a < b`` and the like (a number on either side), ``bool(a)``,
    or with ``threads`` a comparison made in a worker thread."""
    node = ("node", draw(st.integers(0, n - 1)))
    op = draw(st.sampled_from(sorted(COMPARISONS)))
    other = draw(operands(n))
    a, b = draw(st.sampled_from([(node, other), (other, node)]))
    kind = draw(st.sampled_from(["thread"] if features.threads else ["compare", "bool"]))
    if kind == "thread":
        return kind, draw(st.sampled_from(["thread", "executor"])), op, a, b
    if kind == "bool":
        return kind, node[1]
    return kind, op, a, b


@st.composite
def actions(draw: st.DrawFn, n: int) -> tuple[str, int]:
    return draw(st.sampled_from(["identity", *UNARY])), draw(st.integers(0, n - 1))


@st.composite
def programs(draw: st.DrawFn, features: Features) -> Program:
    """A program of 1-3 parameters, 0-2 held Values (``closure``) and 0-12 steps."""
    n_params = draw(st.integers(1, 3))
    values = extreme_values if features.extremes else data_values
    params = tuple(draw(values) for _ in range(n_params))
    names = [draw(labels) if features.labels else "" for _ in range(n_params)]
    closure = (
        tuple(draw(st.lists(st.sampled_from(NUMBERS), max_size=2))) if features.closure else ()
    )
    program_steps = []
    for k in range(draw(st.integers(0, 12))):
        program_steps.append(draw(steps(n_params + len(closure) + k, features)))
    if features.labels and draw(st.booleans()):  # two labels that NFKC makes one name
        first, second = draw(st.sampled_from(NFKC_PAIRS))
        names[0] = first
        if n_params > 1:
            names[-1] = second
        elif program_steps:
            program_steps[-1] = program_steps[-1]._replace(label=second)
    root: tuple[Any, ...] = ("all",)
    if features.roots:
        root = draw(
            st.sampled_from([("all",), ("node", -1)])
            | st.tuples(st.just("node"), st.integers(0, 20))
            | st.tuples(st.just("inner"), st.sampled_from(NUMBERS))
        )
    return Program(params, tuple(names), closure, tuple(program_steps), root)


@dataclass(frozen=True)
class Scenario:
    """A program and the calls made to its compiled function."""

    program: Program
    calls: list[Call]


@st.composite
def scenarios(draw: st.DrawFn, features: Features) -> Scenario:
    program = draw(programs(features))
    n_leaves = len(program.params) + len(program.closure)
    values = extreme_values if features.extremes else data_values
    plans = draw(call_plans(len(program.params), n_leaves, values, features.no_grad))
    return Scenario(program, plans)


def check_program(scenario: Scenario) -> None:
    """The program compiled on one set of leaves, run by the engine on another."""
    leaves, params, fn = build(scenario.program)
    call, source = compiled_call(fn)
    compiled = Side(leaves, params, call, source)
    ref_leaves, ref_params, ref_fn = build(scenario.program)
    engine = Side(ref_leaves, ref_params, engine_call(ref_fn))
    run_twins(compiled, engine, scenario.calls, same_bits)


def test_the_programs_draw_every_row_of_the_table() -> None:
    drawn = {*UNARY, *CONSTANTS, *BINARY, "sum", "dot"}
    assert {op.name for op in OPS} <= drawn, {op.name for op in OPS} - drawn


@budget()
@given(scenarios(Features(extremes=True)))
def test_every_op_at_kinks_signed_zeros_and_special_bases(scenario: Scenario) -> None:
    check_program(scenario)


@budget()
@given(scenarios(Features(labels=True)))
def test_labels_never_change_the_program(scenario: Scenario) -> None:
    check_program(scenario)


@budget(0.5)
@given(scenarios(Features(closure=True)))
def test_constants_from_closures_and_from_inside(scenario: Scenario) -> None:
    check_program(scenario)


@budget()
@given(scenarios(Features(branches=True)))
def test_python_branches_on_comparisons(scenario: Scenario) -> None:
    check_program(scenario)


@budget(0.5)
@given(scenarios(Features(branches=True, threads=True)))
def test_a_comparison_made_in_a_worker_thread(scenario: Scenario) -> None:
    check_program(scenario)


@budget()
@given(scenarios(Features(higher_order=True)))
def test_higher_order_gradients_inside_the_loss(scenario: Scenario) -> None:
    check_program(scenario)


@budget(0.5)
@given(scenarios(Features(transforms=True)))
def test_grad_transforms_inside_the_loss(scenario: Scenario) -> None:
    check_program(scenario)


@budget()
@given(scenarios(Features(roots=True)))
def test_any_node_as_the_loss(scenario: Scenario) -> None:
    # a parameter, a Value held by the closure, a constant, a node some steps do not reach
    check_program(scenario)


@budget()
@given(scenarios(Features(no_grad=True)))
def test_calls_under_no_grad(scenario: Scenario) -> None:
    check_program(scenario)


EVERYTHING = Features(*[True] * len(fields(Features)))


@budget()
@given(scenarios(EVERYTHING))
def test_everything_at_once(scenario: Scenario) -> None:
    check_program(scenario)


# -- leaf and constant losses -----------------------------------------------------------------


def _loop(x: Value, times: int) -> Value:
    for _ in range(times):
        x = x * 2.0
    return x


#: Losses that are a leaf or a constant, from parameters p, q and a Value h held by the
#: closure (made outside, not a parameter).
LEAF_LOSSES: dict[str, Callable[[Value, Value, Value], Callable[[], Value]]] = {
    "the parameter itself": lambda p, q, h: lambda: p,
    "a held Value itself": lambda p, q, h: lambda: h,
    "a branch returning its input": lambda p, q, h: lambda: p if p > q else q * 2.0,
    "max of two parameters": lambda p, q, h: lambda: max(p, q),
    "a loop running zero times": lambda p, q, h: lambda: _loop(p, 0),
    "a constant made inside": lambda p, q, h: lambda: Value(3.0),
    "a constant not depending on any parameter": lambda p, q, h: lambda: Value(2.0) * 3.0 + 1,
    "an empty sum": lambda p, q, h: lambda: autograd.sum([]),
    "a number lifted by an op": lambda p, q, h: lambda: 2.0 ** Value(0.5),
    "a parameter times zero": lambda p, q, h: lambda: p * 0.0,
    "a parameter minus itself": lambda p, q, h: lambda: p - p,
}


@pytest.mark.parametrize("name", sorted(LEAF_LOSSES))
@budget(0.2)
@given(plans=call_plans(2, 3))
def test_leaf_and_constant_losses(name: str, plans: list[Call]) -> None:
    def side(compiled: bool) -> Side:
        p, q, h = Value(0.5, label="p"), Value(-1.0, label="q"), Value(3.0, label="h")
        fn = LEAF_LOSSES[name](p, q, h)
        if compiled:
            call, source = compiled_call(fn)
            return Side([p, q, h], [p, q], call, source)
        return Side([p, q, h], [p, q], engine_call(fn))

    run_twins(side(True), side(False), plans, same_bits)
