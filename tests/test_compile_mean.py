"""autograd.compile_mean: a per-example program, equal to the engine's mean of the examples'
losses plus ``extra()``: guards per example, examples of another width, static values,
parameters the loss does not read, the engine's order of addition.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import (
    Value,
    compile_mean,
)
from nn import MLP, make_moons
from nn.losses import classification_loss, l2
from tests.compiled import (
    MODES,
    START,
    MakeMean,
    assert_same,
    bits,
    check_mean,
    clear_refusal,
    engine_mean_and_aux,
    engine_mean_loss,
    grads,
)


def mean_model(mode: str) -> tuple[list[float], list, list[Value]]:
    random.seed(7)
    model = MLP(2, [4, 3, 1], activation="tanh")
    params = model.parameters()
    X, y = make_moons(24, noise=0.2, seed=3)

    def example(xs: list[Value], label: int) -> tuple[Value, Value]:
        out = model(xs)
        return classification_loss("bce", [out], [label]), out  # type: ignore[list-item]

    f = compile_mean(example, extra=lambda: l2(params, 1e-3), mode=mode)  # type: ignore[arg-type]
    losses, auxes = [], []
    for step in range(4):
        batch = slice(0, 24 - 5 * step)  # a different number of examples every step
        for p in params:
            p.grad = 0.0
        loss, aux = f(X[batch], y[batch])
        losses.append(loss)
        auxes.append(aux)
        for p in params:
            p.data -= 0.5 * p.grad  # type: ignore[operator]
    return losses, auxes, params


def test_compile_mean_in_python_is_the_engine_bit_for_bit() -> None:
    reference = mean_model("interpret")
    compiled = mean_model("python")
    assert list(map(bits, compiled[0])) == list(map(bits, reference[0]))
    assert compiled[1] == reference[1]
    assert [p.data for p in compiled[2]] == [p.data for p in reference[2]]


def test_compile_mean_in_numpy_is_within_1e12() -> None:
    pytest.importorskip("numpy")
    reference = mean_model("interpret")
    compiled = mean_model("numpy")
    for a, b in zip(compiled[0], reference[0], strict=True):
        assert math.isclose(a, b, rel_tol=1e-12)
    for a, b in zip(compiled[2], reference[2], strict=True):
        assert math.isclose(a.data, b.data, rel_tol=1e-12, abs_tol=1e-15)
    for a_step, b_step in zip(compiled[1], reference[1], strict=True):
        for (a,), (b,) in zip(a_step, b_step, strict=True):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_compile_mean_guards_a_branch_per_example(mode: str) -> None:
    if mode == "numpy":
        pytest.importorskip("numpy")
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        (x,) = xs
        return w * x if x > 0 else (w * x).exp()

    def reference(data: list[float]) -> tuple[float, float]:
        w.grad = 0.0
        loss = autograd.sum(w * x if x > 0 else (w * x).exp() for x in map(Value, data))
        loss = loss * (1.0 / len(data))
        loss.backward()
        return loss.data, w.grad  # type: ignore[return-value]

    f = compile_mean(example, mode=mode)  # type: ignore[arg-type]
    for data in ([1.0, 2.0], [3.0, -1.0], [-2.0, -3.0]):
        expected = reference(data)
        w.grad = 0.0
        loss, _ = f([[v] for v in data])
        assert math.isclose(loss, expected[0], rel_tol=1e-12)
        assert math.isclose(w.grad, expected[1], rel_tol=1e-12)  # type: ignore[arg-type]
    assert f.fallbacks >= 1 and f.retraces >= 1


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_a_guard_of_extra_that_flips_retraces_extra_and_an_error_retraces_nothing(
    mode: str,
) -> None:
    """extra() branching on a parameter: a flip runs that call on the engine and retraces
    extra(); a call that overflows or meets a domain error is the engine's, and traces
    nothing (the programs stay)."""
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        return (w * xs[0]).exp()

    def extra() -> Value:
        return w * w if w > 0 else w * -3.0

    def engine_bits(inputs: list[list[float]]) -> tuple[float, float]:
        w.grad = 0.0
        loss = autograd.sum(example([Value(v) for v in x]) for x in inputs) * (1.0 / len(inputs))
        loss = loss + extra()
        loss.backward()
        return loss.data, w.grad

    f = compile_mean(example, extra=extra, mode=mode)
    inputs = [[1.0], [2.0], [-1.0]]
    # at 400 the loss overflows to inf: IEEE in Python; NumPy hands a non-finite loss to the
    # engine (which would name a domain error), without tracing anything again
    overflow = 2 if mode == "python" else 3
    steps = (
        (0.5, 0),
        (0.25, 0),
        (-0.5, 1),
        (-0.25, 1),
        (0.5, 2),
        (400.0, overflow),
        (0.6, overflow),
    )
    for data, fallbacks in steps:
        w.data, w.grad = data, 0.0
        got = f(inputs)[0], w.grad
        want = engine_bits(inputs)
        if mode == "python":
            assert got == want
        else:
            assert got == pytest.approx(want, rel=1e-12)
        assert f.fallbacks == fallbacks, data
    assert f.retraces == 0  # the examples' program was never traced again


def test_a_kind_traced_in_a_call_that_failed_is_replayed_in_the_next() -> None:
    """Found by the long fuzz profile: a batch of a new kind of 3 inputs (traced) and one of 4
    (the model refuses it) fails as the engine does; the next batch of 3 is exact."""
    random.seed(0)
    model = MLP(3, [1])

    def example(xs: list[Value], tag: str) -> Value:
        out = model(xs)
        assert isinstance(out, Value)
        return out

    f = compile_mean(example)
    f([[0.0, 0.0, 0.0]], ["b"])
    with pytest.raises(ValueError, match="expects 3 inputs, got 4"):
        f([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], ["a", "a"])
    for v in model.parameters():
        v.grad = 0.0
    assert f([[1.0, 2.0, 3.0]], ["a"])[0] == model([1.0, 2.0, 3.0]).data  # type: ignore[union-attr]


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


def test_extra_that_returns_a_parameter_adds_its_gradient_in_the_engines_order() -> None:
    """The engine's backward reaches a leaf that is a direct operand of the last ``+`` at
    its first step, before the examples' gradients; the program adds it after them."""
    w = Value(0.1)
    rows = [[0.7], [0.3], [0.2]]
    f = compile_mean(lambda xs: w * xs[0], extra=lambda: w, mode="python")
    got = f(rows)[0]
    got_grad = w.grad
    w.grad = 0.0
    want = engine_mean_loss(lambda xs: w * xs[0], rows, extra=lambda: w)
    # engine w.grad 1.4000000000000001, compiled 1.4
    assert [bits(got), bits(got_grad)] == [bits(want), bits(w.grad)]


def test_a_batch_mixing_leaf_losses_and_node_losses_adds_in_the_engines_order() -> None:
    """autograd.sum adds into a leaf term at its own step, before any term's graph; the
    looped program adds each example's gradient in the batch's order."""
    w = Value(0.1)

    def example(xs: list[Value], kind: str) -> Value:
        return w if kind == "leaf" else w * xs[0]

    rows, statics = [[0.22], [0.83], [0.93]], ["mul", "mul", "leaf"]
    f = compile_mean(example, mode="python")
    got = f(rows, statics)[0]
    got_grad = w.grad
    w.grad = 0.0
    want = engine_mean_loss(example, rows, statics)
    # engine w.grad 0.6833333333333332, compiled 0.6833333333333333
    assert [bits(got), bits(got_grad)] == [bits(want), bits(w.grad)]


class Config:
    """A static value with object's repr (its address): a mutable setting of the loss."""

    def __init__(self, scale: float) -> None:
        self.scale = scale


def test_a_static_object_changed_between_calls_is_not_replayed_with_its_old_graph() -> None:
    w = Value(1.0)

    def example(xs: list[Value], config: Config) -> Value:
        return xs[0] * w * config.scale

    config = Config(2.0)
    f = compile_mean(example, mode="python")
    # it replayed the program traced with 2.0 after config.scale = 3.0 (compiled 2.0, engine
    # 3.0); a static value hashed by identity is refused: a change to it would go unseen
    with pytest.raises(TypeError, match=r"compile_mean: static values must be compared by value"):
        f([[1.0]], [config])
    assert w.grad == 0.0


class NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_static_value_whose_repr_raises_gets_the_engines_answer_or_a_clear_error() -> None:
    w = Value(1.0)
    f = compile_mean(lambda xs, s: xs[0] * w, mode="python")
    try:
        got = f([[2.0]], [NoRepr()])[0]
    except Exception as error:  # compiled: RuntimeError('no repr') from the kind's key
        assert clear_refusal(error), repr(error)
        assert w.grad == 0.0
    else:
        assert (got, w.grad) == (2.0, 2.0)


def mean_neuron() -> tuple[list[Value], Callable[..., Any], Callable[[], Value]]:
    p, q = Value(0.5, label="p"), Value(-0.25, label="q")
    return [p, q], lambda xs: (p * xs[0] + q).tanh(), lambda: q * q * 0.01


@pytest.mark.parametrize("mode", MODES)
def test_a_compiled_mean_under_no_grad_writes_no_gradient_and_does_not_break(mode: str) -> None:
    """A first call under no_grad broke compile_mean for good (AssertionError; half the loss)."""
    batch = [[1.0], [2.0]]
    check_mean(mean_neuron, [batch, batch, [[0.5], [-1.0], [3.0]]], mode, [False, True, True])
    check_mean(mean_neuron, [batch, batch, batch], mode, [True, False, True])


def summed(model: list[Value]) -> Callable[..., Value]:
    (w,) = model
    return lambda xs: (w * autograd.sum(xs)).tanh()


def first_input(model: list[Value]) -> Callable[..., Value]:
    (w,) = model
    return lambda xs: (w * xs[0]).tanh()


WIDTH_EXAMPLES = {"sum(xs)": summed, "xs[0]": first_input, "MLP(2, ...)": None}


SHAPES = {
    "wider": [[1.0, 2.0, 3.0], [0.5, -0.5, 4.0]],
    "mixed": [[1.0, 2.0], [0.5, -0.5, 4.0]],
    "narrower": [[1.0], [0.5]],
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("example", WIDTH_EXAMPLES)
@pytest.mark.parametrize("shape", SHAPES)
def test_examples_of_another_width_are_never_read_silently(
    mode: str, example: str, shape: str
) -> None:
    """Wider examples than traced: numpy read the first columns silently (0.684, not 0.991)."""
    if mode == "numpy":
        pytest.importorskip("numpy")

    def make() -> tuple[list[Value], Callable[..., Value]]:
        if WIDTH_EXAMPLES[example] is None:
            random.seed(0)
            model = MLP(2, [3, 1])
            return model.parameters(), lambda xs: model(xs) ** 2  # type: ignore[operator]
        params = [Value(0.5, label="w")]
        return params, WIDTH_EXAMPLES[example](params)  # type: ignore[misc]

    mine, fn = make()
    theirs, reference = make()
    f = compile_mean(fn, mode=mode)  # type: ignore[arg-type]
    f([[1.0, 2.0], [0.5, -0.5]])  # traced on examples of width 2
    batch = SHAPES[shape]
    for p in (*mine, *theirs):
        p.grad = START
    try:
        want: float | None = engine_mean_and_aux(reference, batch, None)[0]
        expected: Exception | None = None
    except Exception as error:  # the engine refuses this width too
        want, expected = None, error
    try:
        got, _ = f(batch)
    except Exception as error:
        assert grads(mine) == [START] * len(mine), "an error after writing .grad"
        if expected is not None and type(error) is type(expected):
            return
        assert isinstance(error, (TypeError, ValueError)), repr(error)
        assert "compile" in str(error), f"not a clear compile error: {error!r}"
        return
    assert expected is None, f"compiled gave {got} where the engine raises {expected!r}"
    assert_same([got, *grads(mine)], [want, *grads(theirs)], mode)  # type: ignore[list-item]


def extra_over_an_unused_parameter() -> tuple[list[Value], Callable[..., Any], Callable[[], Value]]:
    w, u = Value(0.5, label="w"), Value(-1.5, label="u")
    return [w, u], lambda xs: (w * xs[0]).tanh(), lambda: u * u * 0.1


def constant_feature_into_the_model() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model = MLP(3, [3, 1])
    return (
        model.parameters(),
        lambda xs: (model([*xs, Value(1.0)]) - 1.0) ** 2,  # type: ignore[operator]
        None,
    )


def constant_feature_into_the_first_layer() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model = MLP(3, [3, 1])

    def example(xs: list[Value]) -> Value:
        hidden = model.layers[0]([*xs, Value(1.0)])
        return (model.layers[1](hidden) - 1.0) ** 2  # type: ignore[arg-type, operator]

    return model.parameters(), example, None


def an_auxiliary_neuron_read_by_nothing() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model, aux = MLP(2, [2, 1]), MLP(2, [1])

    def example(xs: list[Value]) -> tuple[Value, Value]:
        return (model(xs) - 1.0) ** 2, aux(xs)  # type: ignore[operator, return-value]

    return model.parameters() + aux.parameters(), example, None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "make",
    [
        extra_over_an_unused_parameter,
        constant_feature_into_the_model,
        constant_feature_into_the_first_layer,
        an_auxiliary_neuron_read_by_nothing,
    ],
    ids=["extra over an unused parameter", "constant feature", "layers[0] fed a constant", "aux"],
)
def test_parameters_and_nodes_outside_the_examples_loss_compile(mode: str, make: MakeMean) -> None:
    """extra() over an unused parameter, a constant feature, an unread neuron: internal errors."""
    batch = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    check_mean(make, [batch, batch[1:], batch], mode)
