"""The code autograd.compile writes: labels (spelled like ops, like Python's identifiers,
with newlines and quotes, not strings) never change what it computes or inject into it, and
long chains compile or are refused before any ``.grad`` is written.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import (
    Value,
    compile,
    compile_mean,
)
from tests.compiled import (
    MODES,
    bits,
    check_compile,
    check_mean,
    clear_refusal,
    compiled_run,
    engine_bits,
    engine_loss,
    engine_mean_loss,
)


def test_labels_that_the_generated_code_uses_itself_do_not_clash() -> None:
    xs = [Value(v, label=name) for v, name in zip([0.5, -1.5, 2.0], ["B", "g_x", "seed"])]

    def fn(vs: list[Value]) -> Value:
        out = vs[0] * vs[1] + vs[2].sigmoid()
        out.label = "total"
        return out

    data = [x.data for x in xs]
    assert compiled_run(fn, [data]) == [engine_bits(fn, data)]
    # compile_mean's code uses B, C, k, x, total...: nodes labelled so are renamed
    w = Value(0.3, label="pv")

    def example(inputs: list[Value], label: int) -> Value:
        (a,) = inputs
        b = w * a
        b.label = "B"
        k = (b * label).tanh()
        k.label = "k"
        return k

    results = []
    for mode in ("interpret", "python", "numpy"):
        w.grad = 0.0
        loss, _ = compile_mean(example, mode=mode)([[1.0], [2.0], [-1.0]], [1, -1, 1])  # type: ignore[arg-type]
        results.append((loss, w.grad))
    assert results[1] == results[0]
    assert math.isclose(results[2][0], results[0][0], rel_tol=1e-12)
    assert math.isclose(results[2][1], results[0][1], rel_tol=1e-12)  # type: ignore[arg-type]


def test_a_long_chain_of_nested_sums_compiles_or_is_refused_before_writing() -> None:
    def make() -> tuple[Value, Callable[[], Value]]:
        w = Value(0.5)

        def fn() -> Value:
            total = w * 1.0
            for _ in range(250):  # a running total: total = sum([total, term])
                total = autograd.sum([total, w])
            return total * w

        return w, fn

    mine, fn = make()
    theirs, reference = make()
    want = engine_loss(reference)
    f = compile(fn)
    for _ in range(2):
        mine.grad = 0.0
        try:
            got = f()
        except Exception as error:  # SyntaxError: too many nested parentheses
            assert clear_refusal(error), type(error).__name__
            assert mine.grad == 0.0  # it was 251.0: backward ran before the code failed
            continue
        assert [bits(got), bits(mine.grad)] == [bits(want), bits(theirs.grad)]


def test_a_long_chain_of_nested_sums_in_compile_mean() -> None:
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        total = xs[0] * w
        for _ in range(250):
            total = autograd.sum([total, w])
        return total * w

    f = compile_mean(example)
    try:
        got, _ = f([[1.0]])
    except Exception as error:  # SyntaxError, and on every later call
        assert clear_refusal(error), type(error).__name__
        return
    got_grad = w.grad
    w.grad = 0.0
    assert [bits(got), bits(got_grad)] == [bits(engine_mean_loss(example, [[1.0]])), bits(w.grad)]


@pytest.mark.parametrize("label", [3, 1.5, {"k": 1}])
def test_a_label_that_is_not_a_string_compiles(label: object) -> None:
    w, x = Value(0.5, label=label), Value(2.0)  # type: ignore[arg-type]
    v, y = Value(0.5, label=label), Value(2.0)  # type: ignore[arg-type]
    want = engine_loss(lambda: (v * y).tanh())  # the engine takes any label
    f = compile(lambda: (w * x).tanh())
    try:
        got = f()  # TypeError: 'int' object is not subscriptable, after w.grad was written
    except Exception as error:
        assert clear_refusal(error), error
        assert w.grad == 0.0
        return
    assert [bits(got), bits(w.grad)] == [bits(want), bits(v.grad)]


def test_a_node_label_that_is_not_a_string_compiles_in_compile_mean() -> None:
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        y = xs[0] * w
        y.label = 7  # type: ignore[assignment]
        return y.tanh()

    got, _ = compile_mean(example)([[1.0]])  # TypeError: 'int' object is not subscriptable
    got_grad = w.grad
    w.grad = 0.0
    assert [bits(got), bits(got_grad)] == [bits(engine_mean_loss(example, [[1.0]])), bits(w.grad)]


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "exp", "sin", "log"])
def test_a_label_named_like_an_op_does_not_replace_its_rule(op: str) -> None:
    """A node labelled "tanh" replaced tanh's rule for the whole program: grad 0.5, not 0.940."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        x = Value(0.5, label="x")

        def fn() -> Value:
            sq = x**2
            sq.label = op
            return getattr(sq, op)()  # type: ignore[no-any-return]

        return [x], fn

    check_compile(make, [[0.5], [0.5], [0.8]])


@pytest.mark.parametrize("mode", MODES)
def test_a_label_named_like_an_op_does_not_replace_its_rule_in_compile_mean(mode: str) -> None:
    """compile_mean: a node labelled "tanh" replaced tanh's rule (python: grad 4.25, not 1.31)."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        w = Value(0.5, label="w")

        def example(xs: list[Value]) -> Value:
            sq = (w * xs[0]) ** 2
            sq.label = "tanh"
            return sq.tanh()

        return [w], example, None

    check_mean(make, [[[1.0], [2.0]], [[1.0], [2.0]], [[-0.5], [1.5], [0.25]]], mode)


@pytest.mark.parametrize(("first", "second"), [("µ", "μ"), ("ﬁ", "fi")])
def test_labels_python_reads_as_one_identifier_stay_two_variables(first: str, second: str) -> None:
    """Labels one identifier under NFKC ("µ"/"μ", "ﬁ"/"fi") were one variable: loss 8, not 5."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        a, b = Value(2.0, label=first), Value(1.0, label=second)
        return [a, b], lambda: a * a + b * b

    check_compile(make, [[2.0, 1.0], [2.0, 1.0], [3.0, -0.5]])


def test_a_node_label_that_reads_as_a_gradient_accumulator_does_not_overwrite_it() -> None:
    """A node labelled a fullwidth "g_w" (NFKC: g_w) overwrote w's gradient: 0.0, not 36.0."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        w = Value(2.0, label="w")

        def fn() -> Value:
            n = w * 3.0
            n.label = "\N{FULLWIDTH LATIN SMALL LETTER G}_w"
            return n * n

        return [w], fn

    check_compile(make, [[2.0], [2.0], [-1.0]])


def italic(word: str) -> str:
    """``word`` in mathematical italic letters, which NFKC (so Python) reads as ``word``."""
    case = {True: "CAPITAL", False: "SMALL"}
    return "".join(
        unicodedata.lookup(f"MATHEMATICAL ITALIC {case[c.isupper()]} {c.upper()}") for c in word
    )


STYLED = [italic(word) for word in ("x", "X", "P", "B", "k", "total")]


@pytest.mark.parametrize("mode", MODES)
def test_parameter_labels_that_normalize_to_the_codes_own_names_compile_mean(mode: str) -> None:
    """A parameter labelled an italic "x" crashed compile_mean; italic X, P, B, total: numpy."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        params = [Value(0.1 * (k + 1), label=label) for k, label in enumerate(STYLED)]

        def example(xs: list[Value]) -> Value:
            return autograd.sum((p * xs[0]).tanh() for p in params)

        return params, example, None

    check_mean(make, [[[1.0], [2.0]], [[1.0], [2.0]], [[0.5], [-1.0], [3.0]]], mode)


INJECTIONS = ['w"\nimport os\r#', "b'\r\nraise SystemExit('injected')", 'c"""\\', "\r"]


def test_labels_with_newlines_and_quotes_do_not_break_or_inject_into_the_code() -> None:
    """A label holding a newline, "\\r" or quotes must not break or inject into the code."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        params = [Value(0.5 * (k + 1), label=label) for k, label in enumerate(INJECTIONS)]

        def fn() -> Value:
            terms = []
            for p, label in zip(params, INJECTIONS):
                t = (p * p).tanh()
                t.label = label
                terms.append(t)
            out = autograd.sum(terms)
            out.label = INJECTIONS[0]
            return out

        return params, fn

    f = check_compile(make, [[0.5, 1.0, 1.5, 2.0], [0.5, 1.0, 1.5, 2.0], [-1.0, 0.0, 2.0, 3.0]])
    source = f.source
    ast.parse(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    code = {t.string for t in tokens if t.type == tokenize.NAME}
    assert not code & {"import", "os", "raise", "SystemExit"}, source
    assert not any(t.type == tokenize.STRING and "injected" in t.string for t in tokens), source
