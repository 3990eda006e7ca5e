"""Optimizers and schedules against updates worked out by hand from PyTorch's documented rules."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import (
    GD,
    MLP,
    SGD,
    Adam,
    AdamW,
    Optimizer,
    StateError,
    load,
    save,
)


def run(
    optimizer_type: type[Optimizer], grads: list[float], p0: float = 1.0, **options: object
) -> list[float]:
    """The parameter after each step of an optimizer fed the given gradients."""
    p = Value(p0)
    opt = optimizer_type([p], **options)
    trace = []
    for g in grads:
        p.grad = g
        opt.step()
        trace.append(p.data)
    return trace


def test_gd_is_micrograds_update_bit_for_bit() -> None:
    assert run(GD, [0.3, -0.2], lr=0.7) == [1.0 - 0.7 * 0.3, (1.0 - 0.7 * 0.3) - 0.7 * -0.2]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=5), st.floats(0, 2))
def test_sgd_without_momentum_is_gd(grads: list[float], lr: float) -> None:
    assert run(SGD, grads, lr=lr) == run(GD, grads, lr=lr)


def test_sgd_momentum_by_hand() -> None:
    # b1 = g1 = 1; p = 1 - 0.1*1 = 0.9;  b2 = 0.9*1 + 2 = 2.9; p = 0.9 - 0.29 = 0.61
    assert run(SGD, [1.0, 2.0], lr=0.1, momentum=0.9) == pytest.approx([0.9, 0.61], rel=1e-15)


def test_sgd_dampening_by_hand() -> None:
    # b1 = g1 = 1 (no dampening on the first step); b2 = 0.9 + 0.5*2 = 1.9; p = 0.9 - 0.19
    assert run(SGD, [1.0, 2.0], lr=0.1, momentum=0.9, dampening=0.5) == pytest.approx(
        [0.9, 0.71], rel=1e-15
    )


def test_sgd_nesterov_by_hand() -> None:
    # b1 = 1, step g + 0.9 b1 = 1.9 -> p = 0.81;  b2 = 0.9 + 2 = 2.9, step 2 + 2.61 = 4.61
    assert run(SGD, [1.0, 2.0], lr=0.1, momentum=0.9, nesterov=True) == pytest.approx(
        [0.81, 0.81 - 0.461], rel=1e-15
    )


def test_sgd_weight_decay_by_hand() -> None:
    # g = 1 + 0.5 * 1 = 1.5 -> p = 1 - 0.15
    assert run(SGD, [1.0], lr=0.1, weight_decay=0.5) == pytest.approx([0.85], rel=1e-15)


def test_adams_first_step_moves_each_parameter_by_lr() -> None:
    # m = (1-b1) g, v = (1-b2) g^2; after bias correction m/sqrt(v) = sign(g) (eps aside)
    assert run(Adam, [5.0], lr=0.01, eps=0.0) == pytest.approx([0.99], rel=1e-15)
    assert run(Adam, [-1e-3], lr=0.01, eps=0.0) == pytest.approx([1.01], rel=1e-15)


def test_adam_second_step_by_hand() -> None:
    b1, b2, lr, g1, g2 = 0.9, 0.999, 0.1, 1.0, 3.0
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    trace = run(Adam, [g1, g2], lr=lr, eps=1e-3)
    p1 = 1.0 - lr * 1.0 / (1.0 + 1e-3)  # first step: m/(1-b1) = g1, sqrt(v/(1-b2)) = |g1|
    p2 = p1 - lr * (m / (1 - b1**2)) / (math.sqrt(v / (1 - b2**2)) + 1e-3)
    assert trace == pytest.approx([p1, p2], rel=1e-14)


def test_adam_weight_decay_enters_the_gradient_and_adamw_shrinks_the_parameter() -> None:
    # Adam, g = 0: g + wd p = 0.5, a first step of exactly lr; AdamW: p (1 - lr wd), g = 0
    assert run(Adam, [0.0], lr=0.1, weight_decay=0.5, eps=0.0) == pytest.approx([0.9], rel=1e-15)
    assert run(AdamW, [0.0], lr=0.1, weight_decay=0.5) == pytest.approx([0.95], rel=1e-15)


def test_zero_grad() -> None:
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    GD(ps, lr=0.1).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: GD([], lr=0.1), "empty list of parameters"),
        (lambda: GD([Value(1.0)], lr=-1), "GD: lr must be a finite number >= 0, got -1"),
        (lambda: SGD([Value(1.0)], lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
        (
            lambda: Adam([Value(1.0)], betas=(0.9, 1.0)),
            "Adam: beta2 must be a finite number in \\[0, 1\\), got 1.0",
        ),
    ],
)
def test_bad_options_are_errors(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


# -- state -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.05, weight_decay=0.1),
        lambda ps: AdamW(ps, lr=0.05),
    ],
)
def test_resuming_from_a_state_dict_continues_exactly(make) -> None:
    grads = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.1], [1.5, 0.3]]

    def train(ps: list[Value], opt: Optimizer, steps: list[list[float]]) -> None:
        for gs in steps:
            for p, g in zip(ps, gs, strict=True):
                p.grad = g
            opt.step()

    ps = [Value(1.0), Value(-2.0)]
    opt = make(ps)
    train(ps, opt, grads)
    uninterrupted = [p.data for p in ps]

    ps = [Value(1.0), Value(-2.0)]
    first = make(ps)
    train(ps, first, grads[:2])
    state = first.state_dict()
    resumed = make(ps)
    resumed.load_state_dict(state)
    train(ps, resumed, grads[2:])
    assert [p.data for p in ps] == uninterrupted
    assert resumed.state_dict()["step"] == 4


def test_a_bad_optimizer_state_is_refused_and_changes_nothing() -> None:
    opt = SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    before = opt.state_dict()
    good = {"step": 3, "hyper": dict(before["hyper"]), "buffers": {"momentum": [0.5, 0.25]}}
    bad_cases = {
        "'step'": {**good, "step": -1},
        "hyper.lr": {**good, "hyper": {**good["hyper"], "lr": "fast"}},
        "'hyper'": {**good, "hyper": {"lr": 0.1}},
        "buffers.momentum.1": {**good, "buffers": {"momentum": [0.5, math.nan]}},
        "'buffers.momentum'": {**good, "buffers": {"momentum": [0.5]}},
        "expected the keys": {"step": 3},
    }
    for key, state in bad_cases.items():
        with pytest.raises(StateError, match=key):
            opt.load_state_dict(state)
        assert opt.state_dict() == before
    opt.load_state_dict(good)
    assert opt.state_dict() == good


def test_a_state_with_out_of_range_hyperparameters_is_refused_and_changes_nothing() -> None:
    from nn import StateError

    p = Value(1.0)
    adam = Adam([p], lr=0.1)
    state = adam.state_dict()
    state["hyper"].update(beta1=1.0, lr=-5.0)
    with pytest.raises(StateError, match=r"'hyper': .*must"):
        adam.load_state_dict(state)
    assert (adam.lr, adam.beta1) == (0.1, 0.9)
    plain = SGD([p], lr=0.1, momentum=0.9, nesterov=True).state_dict()
    plain["hyper"]["momentum"] = 0.0
    with pytest.raises(StateError, match="Nesterov momentum needs momentum > 0"):
        SGD([p], lr=0.1, momentum=0.9, nesterov=True).load_state_dict(plain)


def test_nesterov_is_part_of_the_state() -> None:
    p = Value(1.0)
    state = SGD([p], lr=0.1, momentum=0.9, nesterov=True).state_dict()
    assert state["hyper"]["nesterov"] is True
    other = SGD([p], lr=0.1, momentum=0.9)
    other.load_state_dict(state)
    assert other.nesterov is True
    state["hyper"]["nesterov"] = 1
    with pytest.raises(Exception, match="expected true or false"):
        other.load_state_dict(state)


def test_optimizer_states_are_validated_by_value_and_errors_quote_little(tmp_path: Path) -> None:
    p = Value(1.0)
    adam = Adam([p], lr=0.01)
    p.grad = 0.5
    adam.step()
    good = adam.state_dict()
    for state, message in [
        ({**good, "buffers": {"m": [0.1], "v": [-1.0]}}, "'buffers.v.0': expected a finite"),
        ({**good, "step": 10**400}, "'step': expected an int in [0, 2**53]"),
        ({**good, "step": True}, "'step': expected an int"),
        ({**good, "step": 10**5000}, "got <int too large to show>"),
        ({**good, "hyper": {**good["hyper"], "eps": math.inf}}, "'hyper.eps': expected a finite"),
    ]:  # fmt: skip
        with pytest.raises(StateError) as info:
            adam.load_state_dict(state)
        assert message in str(info.value) and len(str(info.value)) < 200
        assert adam.state_dict() == good
    sgd = SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(StateError, match="SGD: momentum must be a finite number in \\[0, 1\\)"):
        sgd.load_state_dict({**sgd.state_dict(), "hyper": {**sgd.state_dict()["hyper"],
                                                           "momentum": 1.5}})  # fmt: skip
    # "version": true is not version 1
    path = tmp_path / "adam.json"
    save(adam, path)
    payload = json.loads(path.read_text())
    path.write_text(json.dumps({**payload, "version": True}))
    with pytest.raises(StateError, match="version True"):
        load(Adam([p]), path)
    # a 5 MB key: the message quotes at most ~80 characters of it
    huge = "k" * 5_000_000
    for target, state in [
        (Adam([p]), {**good, "hyper": {**good["hyper"], huge: 1.0}}),
        (MLP(2, [1]), {**MLP(2, [1]).state_dict(), huge: 1.0}),
    ]:
        with pytest.raises(StateError) as info:
            target.load_state_dict(state)
        assert len(str(info.value)) < 400 and "…" in str(info.value)
    payload = {**payload, "kind": huge}
    path.write_text(json.dumps(payload))
    with pytest.raises(StateError) as info:
        load(Adam([p]), path)
    assert len(str(info.value)) < 400
