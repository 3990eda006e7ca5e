"""Differential fuzzing of ``nn.flat.FlatUpdate`` (``fit(compile="numpy")``'s optimizer step
on flat arrays) against the optimizers' own per-parameter ``step()``: Hypothesis draws the
optimizer, its hyperparameters (momentum, dampening, Nesterov, weight decay, betas, eps),
the parameters, a few steps of gradients (zeros, negative zeros and large values included)
and a learning rate changed between steps, as a schedule does. After every step the flat
arrays, written back, must equal the Values and ``state_dict()`` of the per-parameter run,
bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value
from nn.flat import FlatUpdate
from nn.optim import GD, SGD, Adam, AdamW, Optimizer

_floats = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
_rates = st.floats(1e-4, 1.0)


@st.composite
def optimizers(draw: st.DrawFn) -> tuple[type[Optimizer], dict[str, Any]]:
    kind = draw(st.sampled_from([GD, SGD, Adam, AdamW]))
    if kind is SGD:
        momentum = draw(st.sampled_from([0.0, 0.5, 0.9]))
        hyper = {
            "momentum": momentum,
            "dampening": draw(st.sampled_from([0.0, 0.1])),
            "nesterov": momentum > 0 and draw(st.booleans()),
            "weight_decay": draw(st.sampled_from([0.0, 1e-3])),
        }
        if hyper["nesterov"]:
            hyper["dampening"] = 0.0
        return kind, hyper
    if kind in (Adam, AdamW):
        return kind, {
            "betas": (draw(st.sampled_from([0.85, 0.9])), draw(st.sampled_from([0.99, 0.999]))),
            "eps": draw(st.sampled_from([1e-8, 1e-3])),
            "weight_decay": draw(st.sampled_from([0.0, 1e-2])),
        }
    return kind, {}


def bits(xs: list[Any]) -> list[str]:
    return [float(x).hex() for x in xs]


@given(
    optimizers(),
    st.lists(_floats, min_size=1, max_size=6),
    st.data(),
)
def test_flat_steps_equal_the_per_parameter_steps_bit_for_bit(
    optimizer: tuple[type[Optimizer], dict[str, Any]], start: list[float], data: st.DataObject
) -> None:
    kind, hyper = optimizer
    mine, theirs = [Value(x) for x in start], [Value(x) for x in start]
    lr = data.draw(_rates)
    reference = kind(theirs, lr=lr, **hyper)
    opt = kind(mine, lr=lr, **hyper)
    flat = FlatUpdate.of(opt)
    assert flat is not None and flat.read()
    gradient = st.one_of(_floats, st.sampled_from([0.0, -0.0, 1e-300]))
    for _ in range(data.draw(st.integers(1, 4))):
        g = data.draw(st.lists(gradient, min_size=len(start), max_size=len(start)))
        lr = data.draw(st.one_of(st.none(), _rates))  # a schedule may set it between steps
        if lr is not None:
            reference.lr = opt.lr = lr
        for v, gi in zip(theirs, g):
            v.grad = gi
        reference.step()
        flat.apply(np.array(g, dtype=float))
        if data.draw(st.booleans()):  # written back (a callback reads the model), or not
            assert_same(flat, mine, theirs, opt, reference)
            assert flat.read()  # the next step starts from the Values again
    assert_same(flat, mine, theirs, opt, reference)


def assert_same(
    flat: FlatUpdate,
    mine: list[Value],
    theirs: list[Value],
    opt: Optimizer,
    reference: Optimizer,
) -> None:
    flat.write_back()
    assert bits([v.data for v in mine]) == bits([v.data for v in theirs])
    assert bits([v.grad for v in mine]) == bits([v.grad for v in theirs])
    assert opt.steps == reference.steps
    state, want = opt.state_dict(), reference.state_dict()
    assert state["hyper"] == want["hyper"] and state["step"] == want["step"]
    assert state["buffers"].keys() == want["buffers"].keys()
    for name, entries in want["buffers"].items():  # None: a buffer not made yet
        assert [None if x is None else float(x).hex() for x in state["buffers"][name]] == [
            None if x is None else float(x).hex() for x in entries
        ], name
