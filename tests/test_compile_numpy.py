"""autograd.compile_mean in numpy mode: within 1e-12 of the engine, or the engine's error
(an auxiliary output, a guard), whatever the loss reads.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import autograd
from autograd import (
    DomainError,
    Value,
    compile_mean,
)
from nn import MLP
from tests.compiled import (
    MODES,
    check_mean,
    engine_mean_loss,
)


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
    assert math.isclose(got, engine_mean_loss(example, rows), rel_tol=1e-12)
    assert all(
        math.isclose(a, p.grad, rel_tol=1e-12, abs_tol=1e-12)  # type: ignore[arg-type]
        for a, p in zip(want, [p for w in wa + wb for p in w])
    )
    # the generated code reads M0_1 before it is assigned (UnboundLocalError), so every
    # call runs on the engine instead
    f(rows)
    assert f.fallbacks == 0


def test_numpy_arrays_as_static_values_whose_reprs_are_summarized_get_their_own_program() -> None:
    np = pytest.importorskip("numpy")
    w = Value(1.0)

    def example(xs: list[Value], mask: object) -> Value:
        return xs[0] * w * float(mask.sum())  # type: ignore[attr-defined]

    a, b = np.zeros(3000), np.zeros(3000)
    b[1500] = 1.0  # repr(a) == repr(b): numpy prints '...' in the middle
    f = compile_mean(example, mode="python")
    # they shared a program (compiled 0.0, engine 1.0); an array is no key: refused
    for mask in (a, b):
        with pytest.raises(TypeError, match=r"compile_mean: static values must be hashable"):
            f([[1.0]], [mask])
    assert w.grad == 0.0


LOSSES_ON_THE_OUTPUT: dict[str, Callable[[Value], Value]] = {
    "model(xs)": lambda out: out,
    "model(xs) ** 2": lambda out: out**2,
    "model(xs).sigmoid()": lambda out: out.sigmoid(),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("loss", [*LOSSES_ON_THE_OUTPUT, "model(xs) * model(xs)"])
def test_the_models_output_as_the_loss_gets_its_gradients(mode: str, loss: str) -> None:
    """numpy mode gave all-zero gradients when the loss was the model's output or an op on it."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        random.seed(3)
        model = MLP(2, [3, 1], activation="tanh")

        def example(xs: list[Value]) -> Value:
            if loss == "model(xs) * model(xs)":
                return model(xs) * model(xs)  # type: ignore[operator]
            return LOSSES_ON_THE_OUTPUT[loss](model(xs))  # type: ignore[arg-type]

        return model.parameters(), example, None

    batch = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    check_mean(make, [batch, batch[:2]], mode)


@pytest.mark.parametrize("mode", MODES)
def test_a_loss_that_ignores_the_inputs_is_not_divided_by_the_batch(mode: str) -> None:
    """numpy mode divided a loss that does not depend on the inputs by the batch: 1.0, not 4.0."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        w = Value(2.0, label="w")
        return [w], lambda xs: w * w, None

    check_mean(make, [[[1.0]] * 4, [[1.0]] * 4, [[2.0]] * 3], mode)
