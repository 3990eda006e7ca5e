"""Adversarial review of autograd.jit: each test is a program on which the first version of
the package gave another answer than the engine (a silent wrong answer), left state behind
after a failed call, or failed with an internal error. Every test states the correct
behaviour: the engine's result (``loss = fn(); loss.backward()``, or the mean of the
examples' losses), or a clear TypeError/ValueError naming compile raised before any
``.grad`` is written.
"""

from __future__ import annotations

import collections
import copy
import math
import random
import sys
import threading
from collections.abc import Callable, Sequence

import pytest

import autograd
from autograd import CompileMismatch, DomainError, Value, compile, compile_mean


def bits(x: object) -> str:
    return float(x).hex()  # type: ignore[arg-type]


def engine(fn: Callable[[], Value]) -> float:
    loss = fn()
    loss.backward()
    return loss.data


def engine_mean(example: Callable[..., Value], rows: Sequence[Sequence[float]]) -> float:
    terms = [example([Value(v) for v in row]) for row in rows]
    loss = autograd.sum(terms) * (1.0 / len(terms))
    loss.backward()
    return loss.data


def clear_refusal(error: BaseException) -> bool:
    """A TypeError/ValueError whose message names compile (the contract's other answer)."""
    return isinstance(error, (TypeError, ValueError)) and "compile" in str(error)


# -- concurrency: compiled calls take turns with the engine's passes (gradient_lock) ---------------


def test_concurrent_compiled_calls_add_every_gradient_like_backward() -> None:
    ws = [Value(0.1 * i) for i in range(50)]
    x = Value(1.0)
    f = compile(lambda: autograd.dot(ws, [x] * 50, 0.0))
    f()
    for w in ws:
        w.grad = 0.0
    calls, threads = 300, 4

    def work() -> None:
        for _ in range(calls):
            f()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old)
    # backward() from 4 threads gives exactly 1200.0 (passes take turns); the compiled
    # calls' read-add-write of .grad races and loses updates
    assert {w.grad for w in ws} == {float(calls * threads)}


def test_concurrent_calls_while_another_thread_retraces_raise_no_internal_error() -> None:
    w, a = Value(1.0), Value(2.0)
    bs = [Value(0.1 * i) for i in range(6)]

    def fn() -> Value:
        if w > 0:
            return w * a
        return autograd.dot(bs, bs, w)

    f = compile(fn)
    errors: collections.Counter[str] = collections.Counter()

    def work(k: int) -> None:
        for _ in range(6000):
            w.data = 1.0 if k % 2 else -1.0
            try:
                f()
            except Exception as error:  # IndexError: tuple index out of range
                errors[f"{type(error).__name__}: {error}"] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors


# -- what fn does besides building the loss is not replayed ----------------------------------


def make_backward_inside() -> tuple[list[Value], Callable[[], Value]]:
    w, x = Value(0.5), Value(2.0)

    def fn() -> Value:
        penalty = (w * x).tanh()
        penalty.backward()  # gradient accumulation inside the step
        return w * w

    return [w, x], fn


def test_a_backward_call_inside_fn_is_replayed_or_refused() -> None:
    mine, fn = make_backward_inside()
    theirs, reference = make_backward_inside()
    f = compile(fn)
    for data in ([0.5, 2.0], [0.7, 1.0]):
        for leaves in (mine, theirs):
            for leaf, v in zip(leaves, data):
                leaf.data, leaf.grad = v, 0.0
        want = engine(reference)
        try:
            got = f()
        except Exception as error:
            assert clear_refusal(error), error
            return
        # second call: engine x.grad 0.444..., compiled 0.0 (the inner backward is skipped)
        assert list(map(bits, [got, *(p.grad for p in mine)])) == list(
            map(bits, [want, *(p.grad for p in theirs)])
        )


def make_float_gradient_inside() -> tuple[list[Value], Callable[[], Value]]:
    w = Value(0.5)

    def fn() -> Value:
        y = (w * 3.0).tanh()
        (g,) = autograd.gradients(y, [w])  # a float: d y / d w at this call's w
        return y + g * w

    return [w], fn


def test_a_first_order_gradient_taken_inside_fn_is_not_frozen() -> None:
    mine, fn = make_float_gradient_inside()
    theirs, reference = make_float_gradient_inside()
    f = compile(fn)
    for data in (0.5, 0.9):
        for leaf in (*mine, *theirs):
            leaf.data, leaf.grad = data, 0.0
        want = engine(reference)
        try:
            got = f()
        except Exception as error:  # refusing it, as values made under no_grad are, is fine
            assert clear_refusal(error), error
            assert mine[0].grad == 0.0
            return
        # w = 0.9: engine 1.0393..., compiled 1.4789... (the first call's gradient, frozen)
        assert [bits(got), bits(mine[0].grad)] == [bits(want), bits(theirs[0].grad)]


# -- the program computes only what the loss depends on; the engine raises elsewhere ---------


def test_a_domain_error_the_loss_does_not_depend_on_is_still_raised() -> None:
    w = Value(1.0)
    f = compile(lambda: autograd.grad(lambda t: t.log())(w))  # d log(t)/dt = 1/t
    assert f() == 1.0
    w.data, w.grad = -1.0, 0.0
    with pytest.raises(DomainError):  # the engine: log of -1.0 while evaluating the function
        engine(lambda: autograd.grad(lambda t: t.log())(w))
    w.grad = 0.0
    with pytest.raises(DomainError):  # compiled: returns -1.0 and writes w.grad
        f()
    assert w.grad == 0.0


# -- errors while writing the code: after backward() already wrote .grad ----------------------


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
    want = engine(reference)
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
    assert [bits(got), bits(got_grad)] == [bits(engine_mean(example, [[1.0]])), bits(w.grad)]


@pytest.mark.parametrize("label", [3, 1.5, {"k": 1}])
def test_a_label_that_is_not_a_string_compiles(label: object) -> None:
    w, x = Value(0.5, label=label), Value(2.0)  # type: ignore[arg-type]
    v, y = Value(0.5, label=label), Value(2.0)  # type: ignore[arg-type]
    want = engine(lambda: (v * y).tanh())  # the engine takes any label
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
    assert [bits(got), bits(got_grad)] == [bits(engine_mean(example, [[1.0]])), bits(w.grad)]


# -- a failed call must change no .grad ------------------------------------------------------


def test_check_mode_leaves_no_gradient_behind_when_it_finds_a_mismatch() -> None:
    w, v, x = Value(1.0), Value(2.0), Value(3.0)

    def fn() -> Value:
        return w * x if w.data > 0 else v * x  # a branch on .data: what check=True is for

    f = compile(fn, check=True)
    f()
    w.data = -1.0
    for p in (w, v, x):
        p.grad = 0.0
    with pytest.raises(CompileMismatch):  # "nothing was written", says its message
        f()
    assert [w.grad, v.grad, x.grad] == [0.0, 0.0, 0.0]  # v.grad is 3.0


def test_a_refused_node_made_before_fn_keeps_its_gradient() -> None:
    w, x = Value(1.5), Value(2.0)
    w2 = w * w
    f = compile(lambda: w2 * x)
    with pytest.raises(TypeError, match="compile"):
        f()
    assert [w.grad, x.grad, w2.grad] == [0.0, 0.0, 0.0]  # w2.grad is 2.0


# -- compile_mean ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_rows_given_as_iterators_give_the_engines_answer_when_a_guard_flips(mode: str) -> None:
    if mode == "numpy":
        pytest.importorskip("numpy")
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        return autograd.sum([x * w if x * w > 0 else x * 0.0 for x in xs])

    f = compile_mean(example, mode=mode)
    f([map(float, row) for row in [[1.0, 2.0]]])  # type: ignore[misc]
    w.grad = 0.0
    # the guard on -1.0 * w flips: the call falls back to the engine, which is handed the
    # iterators the compiled call already consumed: loss 0.0 and w.grad 0.0
    got, _ = f([map(float, row) for row in [[-1.0, 2.0]]])  # type: ignore[misc]
    assert (got, w.grad) == (1.0, 2.0)


def test_equal_static_values_of_other_types_get_their_own_program() -> None:
    w = Value(0.5)

    def example(xs: list[Value], label: object) -> Value:
        target = 3.0 if label is True else 1.0
        return (xs[0] * w - target) ** 2

    f = compile_mean(example)
    got, _ = f([[1.0], [1.0]], [1, True])  # True == 1 and hash(True) == hash(1)
    got_grad = w.grad
    w.grad = 0.0
    terms = [example([Value(1.0)], s) for s in (1, True)]
    loss = autograd.sum(terms) * 0.5
    loss.backward()
    assert (got, got_grad) == (loss.data, w.grad)  # (0.25, -1.0) against (3.25, -3.0)


def test_numpy_mode_raises_the_engines_error_in_an_auxiliary_output() -> None:
    pytest.importorskip("numpy")
    w = Value(0.5)

    def example(xs: list[Value]) -> tuple[Value, Value]:
        y = xs[0] * w
        return y * y, (y - 1.0).log()

    f = compile_mean(example, mode="numpy")
    f([[3.0]])
    w.grad = 0.0
    with pytest.raises(DomainError):  # the engine and python mode: log of -0.5
        f([[3.0], [1.0]])  # numpy: returns the aux (nan,) and writes w.grad
    assert w.grad == 0.0


def test_numpy_mode_raises_the_engines_error_in_a_guard() -> None:
    pytest.importorskip("numpy")
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        y = xs[0] * w
        if (y - 1.0).sqrt() > 0.5:
            return y * y
        return y

    f = compile_mean(example, mode="numpy")
    f([[2.0]])
    w.grad = 0.0
    with pytest.raises(DomainError):  # sqrt of -0.5; numpy: nan > 0.5 is False, the guard holds
        f([[1.0]])
    assert w.grad == 0.0


def test_numpy_mode_replays_layers_whose_dots_interleave() -> None:
    pytest.importorskip("numpy")
    rng = random.Random(0)
    wa = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(2)]
    wb = [[Value(rng.uniform(-1, 1)) for _ in range(3)] for _ in range(2)]

    def example(xs: list[Value]) -> Value:  # two small towers, one on each half of the inputs
        a0 = autograd.dot(wa[0][:2], xs[:2], wa[0][2])
        b0 = autograd.dot(wb[0][:2], xs[2:], wb[0][2])
        b1 = autograd.dot(wb[1][:2], xs[2:], wb[1][2])
        a1 = autograd.dot(wa[1][:2], xs[:2], wa[1][2])
        return a1 + (b1 + (b0 + a0.tanh()))

    rows = [[rng.uniform(-1, 1) for _ in range(4)] for _ in range(5)]
    f = compile_mean(example, mode="numpy")
    got, _ = f(rows)
    want = [p.grad for w in wa + wb for p in w]
    for w in wa + wb:
        for p in w:
            p.grad = 0.0
    assert math.isclose(got, engine_mean(example, rows), rel_tol=1e-12)
    assert all(
        math.isclose(a, p.grad, rel_tol=1e-12, abs_tol=1e-12)  # type: ignore[arg-type]
        for a, p in zip(want, [p for w in wa + wb for p in w])
    )
    # the generated code reads M0_1 before it is assigned (UnboundLocalError), so every
    # call runs on the engine instead
    f(rows)
    assert f.fallbacks == 0


# -- copying a compiled function ---------------------------------------------------------------


def test_a_deep_copy_of_a_compiled_function_writes_the_gradients_fn_reaches() -> None:
    w, x = Value(0.5), Value(2.0)
    f = compile(lambda: (w * x).tanh())
    f()
    w.grad = 0.0
    g = copy.deepcopy(f)
    try:
        g()
    except Exception as error:
        assert clear_refusal(error), error
        return
    # fn() reads and differentiates w; the copy writes into copies of w and x (w.grad 0.0)
    v, y = Value(0.5), Value(2.0)
    engine(lambda: (v * y).tanh())
    assert bits(w.grad) == bits(v.grad)
