"""Learning-rate schedules: small callables ``k -> lr`` (k = 0, 1, ... is the step number).

:class:`LRScheduler` applies one to an optimizer, as PyTorch's ``torch.optim.lr_scheduler``
does; :func:`nn.fit` and :class:`nn.Trainer` take one as ``schedule=``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from nn._validate import NON_NEGATIVE, number, positive_int
from nn.optim import Optimizer

#: A schedule: the learning rate of step k (counting from 0).
Schedule = Callable[[int], float]


# Every schedule checks its arguments once, on construction: all are finite, learning rates
# and factors >= 0, step counts positive ints, and no schedule can reach a negative rate.


@dataclass(frozen=True)
class Constant:
    """lr_k = lr."""

    #: The learning rate at every step.
    lr: float

    def __post_init__(self) -> None:
        number("Constant", "lr", self.lr, NON_NEGATIVE)

    def __call__(self, k: int) -> float:
        return self.lr


@dataclass(frozen=True)
class LinearDecay:
    """lr_k = start - drop * k / steps for k < steps, then start - drop; needs drop <= start.

    micrograd's demo is ``LinearDecay(1.0, 0.9, 100)``: lr = 1.0 - 0.9*k/100, bit for bit.
    """

    #: The learning rate at step 0.
    start: float
    #: How much it falls in all (at most ``start``).
    drop: float
    #: The steps over which it falls; it stays at ``start - drop`` after.
    steps: int

    def __post_init__(self) -> None:
        start = number("LinearDecay", "start", self.start, NON_NEGATIVE)
        drop = number("LinearDecay", "drop", self.drop)
        positive_int("LinearDecay", "steps", self.steps)
        if drop > start:
            raise ValueError(
                f"LinearDecay: drop must be <= start={start:g}, got {drop:g}: the learning rate "
                f"would end at {start - drop:g} < 0 (gradient ascent)"
            )

    def __call__(self, k: int) -> float:
        # max(): drop * steps / steps may round above drop; lr never goes below 0.
        return max(self.start - self.drop * min(k, self.steps) / self.steps, 0.0)


@dataclass(frozen=True)
class StepDecay:
    """lr_k = lr * gamma ** (k // every): multiply by gamma every ``every`` steps."""

    #: The learning rate at step 0.
    lr: float
    #: The number of steps between two multiplications by ``gamma``.
    every: int
    #: The factor applied every ``every`` steps.
    gamma: float = 0.1

    def __post_init__(self) -> None:
        number("StepDecay", "lr", self.lr, NON_NEGATIVE)
        positive_int("StepDecay", "every", self.every)
        number("StepDecay", "gamma", self.gamma, NON_NEGATIVE)

    def __call__(self, k: int) -> float:
        return self.lr * self.gamma ** (k // self.every)


@dataclass(frozen=True)
class CosineDecay:
    """lr_k = lr_min + (lr - lr_min) (1 + cos(pi k / steps)) / 2, then lr_min (no restarts)."""

    #: The learning rate at step 0.
    lr: float
    #: The steps of the half cosine; ``lr_min`` after them.
    steps: int
    #: The learning rate it ends at.
    lr_min: float = 0.0

    def __post_init__(self) -> None:
        number("CosineDecay", "lr", self.lr, NON_NEGATIVE)
        positive_int("CosineDecay", "steps", self.steps)
        number("CosineDecay", "lr_min", self.lr_min, NON_NEGATIVE)

    def __call__(self, k: int) -> float:
        k = min(k, self.steps)
        cosine = math.cos(math.pi * k / self.steps)
        return self.lr_min + (self.lr - self.lr_min) * (1.0 + cosine) / 2


class LRScheduler:
    """Sets ``optimizer.lr = schedule(k)``: k = 0 on creation, k + 1 on every ``step()``.

    As in PyTorch, call ``scheduler.step()`` after ``optimizer.step()``, so optimizer step k
    (counting from 0) runs with ``schedule(k)``. The optimizer checks every rate it is given:
    a schedule (e.g. a hand-written one) that returns a negative or non-finite rate raises
    ``ValueError`` naming the step, and the optimizer keeps its previous rate.
    """

    def __init__(self, optimizer: Optimizer, schedule: Schedule) -> None:
        self.optimizer = optimizer
        self.schedule = schedule
        self.k = 0
        self._apply()

    def step(self) -> None:
        self.k += 1
        self._apply()

    def _apply(self) -> None:
        try:
            self.optimizer.lr = self.schedule(self.k)
        except ValueError as exc:
            raise ValueError(f"LRScheduler: step {self.k} of {self.schedule!r}: {exc}") from None
