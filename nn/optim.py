"""Optimizers and learning-rate schedules.

An optimizer holds a list of parameters (``Value``s) and, on ``step()``, reads each ``.grad``
and writes ``.data``. The update rules are PyTorch's (``torch.optim``), with g the gradient
and p the parameter.

``GD`` and ``SGD`` without momentum apply the *same* update, p <- p - lr g. The names tell
how the gradient was computed, which is the trainer's business, not the optimizer's: gradient
descent follows the gradient of the loss over the whole training set (full batch, as
micrograd's demo does), stochastic gradient descent follows gradients of mini-batches drawn
afresh every step. ``SGD`` adds the options that matter in that noisy setting: momentum,
Nesterov momentum and weight decay.

Schedules are small callables ``k -> lr`` (k = 0, 1, ... is the step number);
:class:`LRScheduler` applies one to an optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autograd import Value
from nn.serialize import StateError, check_number

Schedule = Callable[[int], float]


def _non_negative(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0):
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


class Optimizer:
    """The common part: parameters, ``lr``, ``zero_grad``, the step count and the state.

    Subclasses name their hyperparameters (``_HYPER``) and per-parameter buffers
    (``_BUFFERS``), check them in :meth:`_check` (run by the constructor and by
    :meth:`load_state_dict` alike), and define :meth:`_update`, the new value of one parameter.
    State dicts are plain JSON-able data::

        {"step": k, "hyper": {"lr": ..., ...}, "buffers": {name: [float or None, ...]}}

    with one buffer entry per parameter, in parameter order (``None``: not created yet).
    """

    _HYPER: tuple[str, ...] = ("lr",)
    _BUFFERS: tuple[str, ...] = ()

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        self.params = list(parameters)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        self.lr = _non_negative("lr", lr)
        self.steps = 0
        self.buffers: dict[str, list[float | None]] = {
            name: [None] * len(self.params) for name in self._BUFFERS
        }

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its current gradient."""
        self.steps += 1
        for i, p in enumerate(self.params):
            p.data = self._update(i, p.data, float(p.grad))

    def _update(self, i: int, p: float, g: float) -> float:
        raise NotImplementedError

    def _check(self) -> None:
        """Raise ValueError if a hyperparameter is out of range."""
        _non_negative("lr", self.lr)

    def state_dict(self) -> dict[str, Any]:
        """Step count, hyperparameters and buffers as plain JSON-able data."""
        return {
            "step": self.steps,
            "hyper": {name: getattr(self, name) for name in self._HYPER},
            "buffers": {name: list(values) for name, values in self.buffers.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; checks everything before changing anything.

        Raises :class:`nn.StateError` naming the offending key.
        """
        if not isinstance(state, Mapping) or set(state) != {"step", "hyper", "buffers"}:
            raise StateError(
                f"{type(self).__name__}.load_state_dict: expected the keys "
                "'step', 'hyper' and 'buffers'"
            )
        steps = state["step"]
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise StateError(f"'step': expected an int >= 0, got {steps!r}")
        hyper = _exact_keys(state["hyper"], self._HYPER, "hyper")
        values = {name: self._hyper_value(name, hyper[name]) for name in self._HYPER}
        buffers = _exact_keys(state["buffers"], self._BUFFERS, "buffers")
        n = len(self.params)
        loaded = {}
        for name in self._BUFFERS:
            entries = buffers[name]
            if not isinstance(entries, list) or len(entries) != n:
                raise StateError(f"'buffers.{name}': expected a list of {n} entries")
            loaded[name] = [
                None if v is None else check_number(v, f"buffers.{name}.{i}")
                for i, v in enumerate(entries)
            ]
        before = {name: getattr(self, name) for name in self._HYPER}
        for name, value in values.items():
            setattr(self, name, value)
        try:
            self._check()
        except ValueError as exc:
            for name, value in before.items():
                setattr(self, name, value)
            raise StateError(f"'hyper': {exc}") from None
        self.steps = steps
        self.buffers = loaded

    def _hyper_value(self, name: str, value: object) -> Any:
        """A hyperparameter read from a state dict: a finite number."""
        return check_number(value, f"hyper.{name}")


def _exact_keys(value: object, names: tuple[str, ...], key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or set(value) != set(names):
        got = sorted(value) if isinstance(value, Mapping) else type(value).__name__
        raise StateError(f"{key!r}: expected the keys {sorted(names)}, got {got}")
    return value


class GD(Optimizer):
    """Gradient descent: p <- p - lr g (micrograd's ``p.data -= lr * p.grad``)."""

    def _update(self, i: int, p: float, g: float) -> float:
        return p - self.lr * g


class SGD(Optimizer):
    """Stochastic gradient descent with PyTorch's momentum, Nesterov and weight decay.

    With weight decay wd, momentum mu and dampening d, at step t (buffer b):

        g <- g + wd p
        b <- g                      at t = 1
        b <- mu b + (1 - d) g       after
        g <- g + mu b   (Nesterov)  or   g <- b
        p <- p - lr g

    Without momentum and weight decay this is exactly :class:`GD`'s update.
    """

    _HYPER = ("lr", "momentum", "dampening", "weight_decay", "nesterov")
    _BUFFERS = ("momentum",)

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        self.momentum = _non_negative("momentum", momentum)
        self.dampening = _non_negative("dampening", dampening)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self.nesterov = bool(nesterov)
        self._check()

    def _check(self) -> None:
        super()._check()
        for name in ("momentum", "dampening", "weight_decay"):
            _non_negative(name, getattr(self, name))
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening 0")

    def _hyper_value(self, name: str, value: object) -> Any:
        if name != "nesterov":
            return super()._hyper_value(name, value)
        if not isinstance(value, bool):
            raise StateError(f"'hyper.nesterov': expected true or false, got {value!r}")
        return value

    def _update(self, i: int, p: float, g: float) -> float:
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = self.buffers["momentum"][i]
            buf = g if buf is None else self.momentum * buf + (1.0 - self.dampening) * g
            self.buffers["momentum"][i] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return p - self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) as in PyTorch, with bias correction and L2 weight decay.

    At step t, with moments m, v (0 before the first step) and weight decay wd (default 0):

        g <- g + wd p                                   (L2 penalty in the gradient)
        m <- b1 m + (1 - b1) g
        v <- b2 v + (1 - b2) g^2
        p <- p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
    """

    _HYPER = ("lr", "beta1", "beta2", "eps", "weight_decay")
    _BUFFERS = ("m", "v")
    _DEFAULT_WEIGHT_DECAY = 0.0

    def __init__(
        self,
        parameters: Iterable[Value],
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
    ) -> None:
        super().__init__(parameters, lr)
        if weight_decay is None:
            weight_decay = self._DEFAULT_WEIGHT_DECAY
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = _non_negative("eps", eps)
        self.weight_decay = _non_negative("weight_decay", weight_decay)
        self._check()

    def _check(self) -> None:
        super()._check()
        for name in ("beta1", "beta2"):
            beta = getattr(self, name)
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{type(self).__name__}: {name} must lie in [0, 1), got {beta!r}")
        _non_negative("eps", self.eps)
        _non_negative("weight_decay", self.weight_decay)

    def _decay(self, p: float, g: float) -> tuple[float, float]:
        """Weight decay as an L2 term in the gradient: (p, g + wd p)."""
        return p, g + self.weight_decay * p

    def _update(self, i: int, p: float, g: float) -> float:
        if self.weight_decay:
            p, g = self._decay(p, g)
        m = self.buffers["m"][i] or 0.0
        v = self.buffers["v"][i] or 0.0
        m = self.beta1 * m + (1.0 - self.beta1) * g
        v = self.beta2 * v + (1.0 - self.beta2) * g * g
        self.buffers["m"][i], self.buffers["v"][i] = m, v
        t = self.steps
        step_size = self.lr / (1.0 - self.beta1**t)
        denom = math.sqrt(v) / math.sqrt(1.0 - self.beta2**t) + self.eps
        return p - step_size * m / denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as PyTorch's ``AdamW``.

    The decay shrinks the parameter instead of entering the gradient:
    p <- p (1 - lr wd) before Adam's update with the plain gradient. Default wd = 0.01.
    """

    _DEFAULT_WEIGHT_DECAY = 1e-2

    def _decay(self, p: float, g: float) -> tuple[float, float]:
        """Decoupled weight decay: (p (1 - lr wd), g)."""
        return p * (1.0 - self.lr * self.weight_decay), g


# --------------------------------------------------------------------------------------------
# Learning-rate schedules: callables k -> lr
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant:
    """lr_k = lr."""

    lr: float

    def __call__(self, k: int) -> float:
        return self.lr


@dataclass(frozen=True)
class LinearDecay:
    """lr_k = start - drop * k / steps for k < steps, then start - drop.

    micrograd's demo is ``LinearDecay(1.0, 0.9, 100)``: lr = 1.0 - 0.9*k/100, bit for bit.
    """

    start: float
    drop: float
    steps: int

    def __call__(self, k: int) -> float:
        return self.start - self.drop * min(k, self.steps) / self.steps


@dataclass(frozen=True)
class StepDecay:
    """lr_k = lr * gamma ** (k // every): multiply by gamma every ``every`` steps."""

    lr: float
    every: int
    gamma: float = 0.1

    def __call__(self, k: int) -> float:
        return self.lr * self.gamma ** (k // self.every)


@dataclass(frozen=True)
class CosineDecay:
    """lr_k = lr_min + (lr - lr_min) (1 + cos(pi k / steps)) / 2, then lr_min (no restarts)."""

    lr: float
    steps: int
    lr_min: float = 0.0

    def __call__(self, k: int) -> float:
        k = min(k, self.steps)
        cosine = math.cos(math.pi * k / self.steps)
        return self.lr_min + (self.lr - self.lr_min) * (1.0 + cosine) / 2


class LRScheduler:
    """Sets ``optimizer.lr = schedule(k)``: k = 0 on creation, k + 1 on every :meth:`step`.

    As in PyTorch, call ``scheduler.step()`` after ``optimizer.step()``, so optimizer step k
    (counting from 0) runs with ``schedule(k)``.
    """

    def __init__(self, optimizer: Optimizer, schedule: Schedule) -> None:
        self.optimizer = optimizer
        self.schedule = schedule
        self.k = 0
        optimizer.lr = schedule(0)

    def step(self) -> None:
        self.k += 1
        self.optimizer.lr = self.schedule(self.k)
