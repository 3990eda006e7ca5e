"""Learning-rate schedules (nn.schedules): the rates they give, and the ones they refuse."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import GD
from nn.schedules import Constant, CosineDecay, LinearDecay, LRScheduler, StepDecay


def test_linear_decay_is_micrograds_schedule_bit_for_bit() -> None:
    schedule = LinearDecay(1.0, 0.9, 100)
    assert [schedule(k) for k in range(100)] == [1.0 - 0.9 * k / 100 for k in range(100)]
    assert schedule(100) == schedule(500) == 1.0 - 0.9


def test_step_cosine_and_constant_schedules() -> None:
    assert [StepDecay(1.0, every=2, gamma=0.5)(k) for k in range(5)] == [1, 1, 0.5, 0.5, 0.25]
    cosine = CosineDecay(1.0, steps=4, lr_min=0.2)
    assert [cosine(k) for k in (0, 2, 4, 9)] == pytest.approx([1.0, 0.6, 0.2, 0.2], rel=1e-15)
    assert Constant(0.3)(7) == 0.3


def test_scheduler_sets_the_learning_rate_of_each_step() -> None:
    opt = GD([Value(1.0)], lr=5.0)
    scheduler = LRScheduler(opt, LinearDecay(1.0, 0.9, 100))
    seen = []
    for _ in range(3):
        seen.append(opt.lr)
        opt.step()
        scheduler.step()
    assert seen == [1.0, 1.0 - 0.9 / 100, 1.0 - 0.9 * 2 / 100]


def test_schedules_never_give_a_negative_rate_and_refuse_zero_steps() -> None:
    # LinearDecay(0.1, 0.3, 20): lr_k = 0.1 - 0.3 k / 20 < 0 from k = 7 on (0.1 / 0.015 = 6.7)
    with pytest.raises(ValueError, match=r"LinearDecay: drop must be <= start=0.1, got 0.3"):
        LinearDecay(0.1, 0.3, 20)
    for make, name in [
        (lambda: LinearDecay(1, 0.9, 0), "LinearDecay: steps"),
        (lambda: CosineDecay(1, 0), "CosineDecay: steps"),
        (lambda: StepDecay(1, every=0), "StepDecay: every"),
        (lambda: StepDecay(1, every=2, gamma=-0.5), "StepDecay: gamma"),
        (lambda: CosineDecay(1, 10, lr_min=-0.1), "CosineDecay: lr_min"),
        (lambda: LinearDecay(math.inf, 0, 10), "LinearDecay: start"),
    ]:
        with pytest.raises(ValueError, match=name):
            make()
    # a decay to exactly 0 is fine, and every rate on the way is >= 0
    schedule = LinearDecay(0.3, 0.3, 7)
    assert all(schedule(k) >= 0 for k in range(20)) and schedule(7) == 0
    # a hand-written schedule goes through the optimizer's own check of lr
    p = Value(1.0)
    opt = GD([p], lr=0.5)
    scheduler = LRScheduler(opt, lambda k: 0.1 - 0.02 * k)
    for _ in range(5):
        scheduler.step()  # k = 5: 0.1 - 0.1 = 0, allowed
    with pytest.raises(ValueError, match=r"LRScheduler: step 6 .* lr must be a finite number >= 0"):
        scheduler.step()
    assert opt.lr == 0.1 - 0.02 * 5  # the last rate accepted, not the refused one
    with pytest.raises(ValueError, match="got nan"):
        LRScheduler(GD([p], lr=0.5), lambda k: math.nan)
