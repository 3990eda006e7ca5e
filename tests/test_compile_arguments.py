"""``autograd.compile`` with arguments: static ones pick the program, the others are passed in.

The reference is the engine: ``loss = fn(*args); loss.backward()`` on a twin set of leaves,
every number passed in lifted to a ``Value``. Every compiled call must give the same loss and
leave every ``.grad`` the same, bit for bit (``float.hex``), or raise what the engine raises
and write nothing. A differential fuzzer (Hypothesis) draws programs from every row of the
table (``tests/programs.py``), a table of leaves the calls pass rows of (repeats included: one
leaf in several places), numbers, a closure parameter that may also be passed in, and calls
of several lengths; examples per test follow the Hypothesis profile (``make fuzz`` for long).
"""

from __future__ import annotations

import dataclasses
import fractions
import math
import pickle
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value
from tests.compiled import assert_same, bits
from tests.programs import VALUE, Program, programs

# --------------------------------------------------------------------------------------------
# A small model: a table of rows, a closure parameter, a loss over the rows a call passes in
# --------------------------------------------------------------------------------------------


def table(k: int = 4, width: int = 3) -> list[list[Value]]:
    return [
        [Value(0.1 * (i + 2 * j) - 0.35, label=f"t{i}{j}") for j in range(width)] for i in range(k)
    ]


def model() -> tuple[list[list[Value]], Value, Callable[..., Value]]:
    rows, b = table(), Value(0.5, label="b")

    def loss(n: int, passed: Sequence[Sequence[Value]], targets: Sequence[float]) -> Value:
        total: Any = 0
        for r, t in zip(passed, targets):
            s = sum(w * w for w in r) + b * t
            total = total + (s - t).tanh() ** 2
        return total * (1.0 / n)

    return rows, b, loss


def leaves_of(rows: list[list[Value]], b: Value) -> list[Value]:
    return [*(v for row in rows for v in row), b]


def engine(fn: Callable[..., Value], *args: Any) -> float:
    loss = fn(*args)
    loss.backward()
    return loss.data


def lifted(numbers: Sequence[float]) -> list[Value]:
    return [Value(x) for x in numbers]


CALLS = [[0, 1, 2], [3, 3, 1], [2, 0, 2], [1, 1, 1], [3, 2]]


def test_calls_that_pass_different_rows_share_one_program_per_length_and_equal_the_engine() -> None:
    rows, b, loss = model()
    twin_rows, twin_b, twin_loss = model()
    f = autograd.compile(loss, static_argnums=0)
    for tokens in CALLS * 2:
        targets = [0.5 * t - 0.2 for t in tokens]
        got = f(len(tokens), [rows[t] for t in tokens], targets)
        want = engine(twin_loss, len(tokens), [twin_rows[t] for t in tokens], lifted(targets))
        assert_same(
            [got, *(v.grad for v in leaves_of(rows, b))],
            [want, *(v.grad for v in leaves_of(twin_rows, twin_b))],
        )  # type: ignore[misc]
    assert f.traces == 2 and f.fallbacks == 0  # lengths 3 and 2: one program each
    assert f.source.count("def step(P, A, S, X, G)") == 2


def test_a_leaf_passed_in_several_places_gets_its_terms_added_in_the_engines_order() -> None:
    """[3, 3, 1] after [0, 1, 2]: one program, traced where every place held its own leaf."""
    rows, b, loss = model()
    twin_rows, twin_b, twin_loss = model()
    f = autograd.compile(loss, static_argnums=0, check=True)  # check: the engine, every call
    for tokens in ([0, 1, 2], [3, 3, 3], [1, 3, 1]):
        for leaves in (leaves_of(rows, b), leaves_of(twin_rows, twin_b)):
            for j, leaf in enumerate(leaves):  # gradients accumulate, as backward()'s; an int
                leaf.grad = 3 if j % 2 else 0.125  # as micrograd's zero_grad writes
        got = f(3, [rows[t] for t in tokens], [1.0, -1.0, 0.5])
        want = engine(twin_loss, 3, [twin_rows[t] for t in tokens], lifted([1.0, -1.0, 0.5]))
        assert bits(got) == bits(want)
        assert [bits(v.grad) for v in leaves_of(rows, b)] == [
            bits(v.grad) for v in leaves_of(twin_rows, twin_b)
        ]
    assert f.traces == 1


def test_a_parameter_also_passed_in_runs_that_call_on_the_engine() -> None:
    rows, b, loss = model()
    twin_rows, twin_b, twin_loss = model()
    f = autograd.compile(loss, static_argnums=0)
    f(1, [rows[0]], [0.5])
    engine(twin_loss, 1, [twin_rows[0]], lifted([0.5]))
    got = f(1, [[b, b, rows[1][0]]], [0.5])  # b is the closure's parameter too
    want = engine(twin_loss, 1, [[twin_b, twin_b, twin_rows[1][0]]], lifted([0.5]))
    assert bits(got) == bits(want) and bits(b.grad) == bits(twin_b.grad)  # type: ignore[arg-type]
    assert f.fallbacks == 1


def test_a_leaf_that_does_not_reach_the_loss_is_not_written() -> None:
    w, unused = Value(2.0), Value(3.0)
    unused.grad = -0.0
    f = autograd.compile(lambda a, b: a * a)
    assert f(w, unused) == 4.0 and w.grad == 4.0
    assert math.copysign(1.0, unused.grad) == -1.0  # type: ignore[arg-type]  # untouched


def test_a_guard_that_flips_runs_on_the_engine_and_traces_that_key_again() -> None:
    w = Value(1.0)

    def fn(n: int, x: Value) -> Value:
        return x * w if x > 0 else x * x * n

    f = autograd.compile(fn, static_argnums=0)
    a = Value(2.0)
    assert f(3, a) == 2.0 and (a.grad, w.grad) == (1.0, 2.0)
    a.data, a.grad, w.grad = -2.0, 0.0, 0.0
    assert f(3, a) == 12.0 and (a.grad, w.grad) == (-12.0, 0.0)  # the engine's branch
    assert f(3, a) == 12.0 and a.grad == -24.0
    assert f.fallbacks == 1 and f.traces == 2


def test_under_no_grad_a_call_computes_the_loss_and_writes_nothing() -> None:
    rows, b, loss = model()
    f = autograd.compile(loss, static_argnums=0)
    with autograd.no_grad():
        value = f(2, [rows[0], rows[1]], [0.5, 1.0])  # no program yet: the engine
    assert all(v.grad == 0.0 for v in leaves_of(rows, b)) and f.traces == 0
    f(2, [rows[0], rows[1]], [0.5, 1.0])
    for v in leaves_of(rows, b):
        v.grad = 0.0
    with autograd.no_grad():
        assert bits(f(2, [rows[0], rows[1]], [0.5, 1.0])) == bits(value)  # the program
    assert all(v.grad == 0.0 for v in leaves_of(rows, b))


def test_static_values_are_told_apart_by_type_and_bits() -> None:
    x = Value(2.0)
    f = autograd.compile(lambda k, v: v * k, static_argnums=[0])
    assert f(1, x) == 2.0 and f(True, x) == 2.0 and f(1.0, x) == 2.0 and f(-0.0, x) == -0.0
    assert f.traces == 4 and x.grad == 1.0 + 1.0 + 1.0 - 0.0


def test_nested_tuples_and_lists_are_passed_in_and_their_layout_is_the_key() -> None:
    p, q = Value(1.5), Value(-2.0)
    f = autograd.compile(lambda pair, xs: pair[0] * xs[0] + pair[1] * xs[1][0])
    assert f((p, q), [2.0, [3.0]]) == 1.5 * 2.0 + -2.0 * 3.0
    assert f([p, q], (2.0, (3.0,))) == 1.5 * 2.0 + -2.0 * 3.0  # another layout: another program
    assert f.traces == 2 and (p.grad, q.grad) == (4.0, 6.0)


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda f, v: f(v * 2.0, 1), TypeError, "not a leaf"),
        (lambda f, v: f({"x": v}, 1), TypeError, "argument 0 must be a Value, a number"),
        (lambda f, v: f(True), TypeError, "argument 0 must be a Value, a number"),
        (lambda f, v: f(v, [1]), TypeError, "static argument 1 must be hashable"),
        (lambda f, v: f(v, object()), TypeError, "compared by value"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument_and_write_nothing(
    call: Callable[[Any, Value], Any], error: type[Exception], words: str
) -> None:
    v = Value(3.0)
    f = autograd.compile(lambda x, k=None: x * x, static_argnums=1)
    with pytest.raises(error, match=words):
        call(f, v)
    assert v.grad == 0.0


def test_static_argnums_must_be_positions() -> None:
    with pytest.raises(TypeError, match="static_argnums must be ints"):
        autograd.compile(lambda: Value(1.0), static_argnums=["a"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="positions"):
        autograd.compile(lambda: Value(1.0), static_argnums=-1)
    with pytest.raises(ValueError, match="names argument 2, but the function takes 2 posit"):
        autograd.compile(lambda n, xs: xs[0] * n, static_argnums=2)
    autograd.compile(lambda *args: args[0], static_argnums=5)  # *args: any position


def test_a_copy_keeps_the_static_arguments_and_no_program() -> None:
    f = autograd.compile(lambda n, x: x * n, static_argnums=0)
    x = Value(2.0)
    f(3, x)
    g = pickle.loads(pickle.dumps(autograd.compile(_times, static_argnums=(0,))))
    assert g.static_argnums == frozenset({0}) and g.traces == 0 and g(2, x) == 4.0


def _times(n: int, x: Value) -> Value:
    return x * n


# --------------------------------------------------------------------------------------------
# The differential fuzzer
# --------------------------------------------------------------------------------------------

#: How a call builds the program's inputs: ("row", table row) or ("number", value) or
#: ("closure",) for the closure's own parameter (passed in as well: that call runs on the engine).
Place = tuple[Any, ...]

_data = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def calls(draw: st.DrawFn) -> tuple[Program, int, list[list[Place]], list[list[float]]]:
    program = draw(programs(max_inputs=4, max_steps=8))
    width = len(program.inputs)
    k = draw(st.integers(1, 3))  # rows in the table
    leaf = st.one_of(st.tuples(st.just("row"), st.integers(0, k - 1)), st.just(("closure",)))
    number = st.tuples(st.just("number"), _data)
    # the layout (a Value or a number in each place) stays from call to call: one program
    layout = [draw(st.sampled_from([leaf, number])) for _ in range(width)]

    def one_call() -> list[Place]:
        return [draw(kind) for kind in layout]

    n_calls = draw(st.integers(1, 4))
    datas = [[draw(_data) for _ in range(k + 1)] for _ in range(n_calls)]
    return program, k, [one_call() for _ in range(n_calls)], datas


def build(program: Program, k: int) -> tuple[list[Value], Callable[..., Value]]:
    """A table of ``k`` leaves and a closure parameter (the last), and the program's loss:
    its inputs are the places passed in, plus the closure parameter times the first."""
    leaves = [Value(0.0, label=f"t{i}") for i in range(k + 1)]
    closure = leaves[-1]

    def fn(places: list[Any]) -> Value:
        out = program.run(VALUE, list(places))
        return out + closure * places[0]

    return leaves, fn


def arguments(places: list[Place], leaves: list[Value], lift: bool) -> list[Any]:
    out: list[Any] = []
    for p in places:
        if p[0] == "row":
            out.append(leaves[p[1]])
        elif p[0] == "closure":
            out.append(leaves[-1])
        else:
            out.append(Value(p[1]) if lift else p[1])
    return out


@given(calls())
def test_every_compiled_call_with_arguments_is_the_engines_bit_for_bit(
    case: tuple[Program, int, list[list[Place]], list[list[float]]],
) -> None:
    program, k, places, datas = case
    mine, fn = build(program, k)
    theirs, reference = build(program, k)
    f = autograd.compile(fn)
    for call, data in zip(places, datas):
        for leaves in (mine, theirs):
            for leaf, v in zip(leaves, data):
                leaf.data, leaf.grad = v, 0.25
        try:
            want: float | BaseException = engine(reference, arguments(call, theirs, lift=True))
        except (ArithmeticError, ValueError) as error:  # a domain error: the engine's
            want = error
        before = [bits(v.grad) for v in mine]
        if isinstance(want, BaseException):
            with pytest.raises(type(want)) as raised:
                f(arguments(call, mine, lift=False))
            assert str(raised.value) == str(want)
            assert [bits(v.grad) for v in mine] == before  # nothing written
            continue
        got = f(arguments(call, mine, lift=False))
        assert_same([got, *(v.grad for v in mine)], [want, *(v.grad for v in theirs)])  # type: ignore[misc]


@pytest.mark.parametrize("with_arguments", [False, True])
def test_a_graph_longer_than_max_nodes_is_not_written_down_and_runs_on_the_engine(
    with_arguments: bool,
) -> None:
    """Writing code costs time and memory per node: past max_nodes, calls are the engine's."""
    ws, twins = [Value(0.1 * k) for k in range(30)], [Value(0.1 * k) for k in range(30)]

    def make(leaves: list[Value]) -> Callable[..., Value]:
        def fn(x: Value | None = None) -> Value:
            out = x if x is not None else leaves[0]
            for w in leaves:
                out = (out * w).tanh()
            return out

        return fn

    x, twin_x = Value(0.7), Value(0.7)
    f = autograd.compile(make(ws), max_nodes=40)  # 30 tanh, 30 mul, 30 + 1 leaves: > 40
    for _ in range(3):
        got = f(x) if with_arguments else f()
        want = engine(make(twins), twin_x) if with_arguments else engine(make(twins))
        assert_same(
            [got, x.grad, *(w.grad for w in ws)], [want, twin_x.grad, *(w.grad for w in twins)]
        )  # type: ignore[misc]
    assert f.source == "" and f.fallbacks == (3 if with_arguments else 2)
    assert autograd.compile(make(ws), max_nodes=200)() == autograd.compile(make(ws))()
    with pytest.raises(ValueError, match="max_nodes must be a positive int"):
        autograd.compile(make(ws), max_nodes=0)


def test_a_loss_that_is_a_leaf_passed_in_or_a_function_of_numbers_only() -> None:
    a, w = Value(2.0), Value(1.5)
    f = autograd.compile(lambda x: x)
    assert (f(a), a.grad, f(a), a.grad) == (2.0, 1.0, 2.0, 2.0)  # the seed, added each call
    g = autograd.compile(lambda x: w * x)
    assert (g(3.0), w.grad, g(4), w.grad, g.traces) == (4.5, 3.0, 6.0, 7.0, 1)
    h = autograd.compile(lambda x: Value(2.0) * 3)  # a constant loss: nothing written
    assert (h(a), a.grad) == (6.0, 2.0)


# --------------------------------------------------------------------------------------------
# What a review found (each was a wrong answer or a silent slowdown before its fix)
# --------------------------------------------------------------------------------------------


def test_a_subclass_of_value_passed_in_is_refused_naming_compile() -> None:
    class Leaky(Value):
        def relu(self) -> Value:
            return self.leaky_relu(0.1)

    a = Leaky(-0.3)
    with pytest.raises(TypeError, match="compile: argument 0 passes in a Leaky, a subclass"):
        autograd.compile(lambda x: x.relu() * 3)(a)
    assert a.grad == 0.0


def test_a_gradient_inside_fn_sees_one_leaf_in_two_places_as_the_engine_does() -> None:
    """gradients(..., [a, b]) with a is b differs from two leaves: such programs are keyed
    by which places share a leaf too."""

    def fn(a: Value, b: Value) -> Value:
        ga, gb = autograd.gradients(a * a * b, [a, b], create_graph=True)
        return ga * gb  # type: ignore[operator]

    f = autograd.compile(fn)
    x, y, twin_x, twin_y = Value(0.3), Value(-0.7), Value(0.3), Value(-0.7)
    for first, second, twins in ((x, y, (twin_x, twin_y)), (x, x, (twin_x, twin_x))):
        got, want = f(first, second), engine(fn, *twins)
        assert bits(got) == bits(want) and bits(x.grad) == bits(twin_x.grad)  # type: ignore[arg-type]
    assert f.traces == 2 and f.fallbacks == 0


def test_a_function_that_keeps_a_value_passed_in_is_refused() -> None:
    cache: list[Value] = []

    def fn(a: Value) -> Value:
        if not cache:
            cache.append(a)
        return cache[0] * a

    p = Value(0.3)
    with pytest.raises(TypeError, match="keeps a Value passed in"):
        autograd.compile(fn)(p)
    assert p.grad == 0.0


def test_static_values_equal_in_python_but_not_in_bits_pick_their_own_programs() -> None:
    @dataclasses.dataclass(frozen=True)
    class Scale:
        by: float

    a, twin = Value(1.0), Value(1.0)
    f = autograd.compile(lambda s, x: x * s.by, static_argnums=0)
    g = autograd.compile(lambda s, x: x * s, static_argnums=0)
    assert bits(f(Scale(0.0), a)) == bits(0.0) and bits(f(Scale(-0.0), a)) == bits(-0.0)
    assert bits(g(np.float64(0.0), a)) == bits(0.0) and bits(g(np.float64(-0.0), a)) == bits(-0.0)
    assert f.traces == g.traces == 2
    assert bits(engine(lambda x: x * -0.0, twin)) == bits(-0.0)


def test_a_leaf_passed_in_holding_an_int_runs_on_the_engine_which_rounds_every_node() -> None:
    def leaves() -> list[Value]:
        out = [Value(0.0) for _ in range(3)]
        out[0].data, out[1].data, out[2].data = 2**53, 1, 1  # type: ignore[assignment]
        return out

    def fn(a: Value, b: Value, c: Value) -> Value:
        return (a + b) + c

    f = autograd.compile(fn)
    assert bits(f(*leaves())) == bits(engine(fn, *leaves())) == bits(2.0**53)
    assert f.fallbacks == 1


def test_a_call_that_passes_in_nothing_runs_its_program() -> None:
    w = Value(0.5)
    f = autograd.compile(lambda n: (w * n).tanh(), static_argnums=0)
    g = autograd.compile(lambda n, xs: w * w, static_argnums=0)
    for _ in range(3):
        f(3)
        g(2, [])
    assert (f.traces, f.fallbacks, g.traces, g.fallbacks) == (1, 0, 1, 0)
    assert f.retraces == g.retraces == 0


def test_numbers_are_any_real_number_and_keywords_are_refused_naming_compile() -> None:
    w, twin = Value(0.5), Value(0.5)
    f = autograd.compile(lambda a, b, c: w * a + w * b + w * c)
    got = f(np.int64(3), np.float32(0.1), fractions.Fraction(1, 3))
    want = engine(
        lambda: (
            twin * Value(np.int64(3))
            + twin * Value(np.float32(0.1))
            + twin * Value(fractions.Fraction(1, 3))
        )
    )  # type: ignore[arg-type]
    assert bits(got) == bits(want) and bits(w.grad) == bits(twin.grad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compile: arguments are passed by position"):
        f(1.0, 2.0, c=3.0)


def test_a_key_past_max_nodes_leaves_calls_without_arguments_compiled() -> None:
    w = Value(0.5)

    def fn(xs: Sequence[Value] = ()) -> Value:
        out = w * w
        for x in xs:
            out = out * x
        return out

    f = autograd.compile(fn, max_nodes=20)
    f(), f(), f([Value(1.0) for _ in range(30)]), f()
    assert f.fallbacks == 1 and f.source.count("def step(P)") == 1
