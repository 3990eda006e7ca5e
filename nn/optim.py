"""Optimizers: what turns a gradient into a step (learning-rate schedules: :mod:`nn.schedules`).

An optimizer holds a list of parameters (``Value``s) and, on ``step()``, reads each ``.grad``
and writes ``.data``. The update rules are PyTorch's (``torch.optim``), with g the gradient
and p the parameter.

``GD`` and ``SGD`` without momentum apply the *same* update, p <- p - lr g. The names tell
how the gradient was computed, which is the trainer's business, not the optimizer's: gradient
descent follows the gradient of the loss over the whole training set (full batch, as
micrograd's demo does), stochastic gradient descent follows gradients of mini-batches drawn
afresh every step. ``SGD`` adds the options that matter in that noisy setting: momentum,
Nesterov momentum and weight decay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from autograd import Value
from nn._validate import (
    FRACTION,
    MAX_STEP,
    NON_NEGATIVE,
    UNIT,
    Range,
    StateError,
    first,
    number,
    shorten,
    state_number,
)


class Optimizer:
    """The common part: parameters, ``lr``, ``zero_grad``, the step count and the state.

    Subclasses give the range of each numeric hyperparameter (``_HYPER``), name their
    per-parameter buffers (``_BUFFERS``) with the range of their entries, check what ranges
    cannot say in ``_check`` (run by the constructor and by :meth:`load_state_dict`
    alike), and define ``_update``, the new value of one parameter. Every hyperparameter
    is a finite number in its range, ``lr`` >= 0 included, whoever sets it (the constructor,
    a user, :class:`nn.schedules.LRScheduler`, a loaded state). State dicts are plain
    JSON-able data::

        {"step": k, "hyper": {"lr": ..., ...}, "buffers": {name: [float or None, ...]}}

    with one buffer entry per parameter, in parameter order (``None``: not created yet), and
    0 <= k <= :data:`nn._validate.MAX_STEP`.
    """

    _HYPER: ClassVar[dict[str, Range]] = {"lr": NON_NEGATIVE}
    _BUFFERS: ClassVar[dict[str, Range]] = {}

    def __init__(self, parameters: Iterable[Value], lr: float) -> None:
        self.params = list(parameters)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        self.lr = lr
        self.steps = 0
        self.buffers: dict[str, list[float | None]] = {
            name: [None] * len(self.params) for name in self._BUFFERS
        }

    @property
    def lr(self) -> float:
        """The learning rate: setting it checks that it is a finite number >= 0.

        ``_update`` reads ``_lr``: the check runs once per setting, not once per parameter.
        """
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = number(type(self).__name__, "lr", value, self._HYPER["lr"])

    def _set_hyper(self, values: Mapping[str, Any]) -> None:
        """Check every hyperparameter in ``values``, then set them all (or none)."""
        op = type(self).__name__
        checked = {
            name: number(op, name, value, self._HYPER[name]) if name in self._HYPER else value
            for name, value in values.items()
        }
        self._check(checked)
        for name, value in checked.items():
            setattr(self, name, value)

    def _check(self, hyper: Mapping[str, Any]) -> None:
        """Raise ValueError if hyperparameters (each in its range) do not fit together."""

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

    def _hyper_names(self) -> tuple[str, ...]:
        return tuple(self._HYPER)

    def state_dict(self) -> dict[str, Any]:
        """Step count, hyperparameters and buffers as plain JSON-able data."""
        return {
            "step": self.steps,
            "hyper": {name: getattr(self, name) for name in self._hyper_names()},
            "buffers": {name: list(values) for name, values in self.buffers.items()},
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; checks everything before changing anything.

        Hyperparameters get the constructor's checks, buffer entries their ranges (e.g.
        Adam's second moments are >= 0), the step count must be an int in [0, 2**53].
        Raises :class:`nn.StateError` naming the offending key.
        """
        op = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, Mapping) or set(state) != {"step", "hyper", "buffers"}:
            raise StateError(f"{op}: expected the keys 'step', 'hyper' and 'buffers'")
        steps = state["step"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_STEP:
            raise StateError(f"'step': expected an int in [0, 2**53], got {shorten(steps)}")
        names = self._hyper_names()
        hyper = _exact_keys(state["hyper"], names, "hyper")
        values = {name: self._hyper_value(name, hyper[name]) for name in names}
        buffers = _exact_keys(state["buffers"], tuple(self._BUFFERS), "buffers")
        n = len(self.params)
        loaded = {}
        for name, allowed in self._BUFFERS.items():
            entries = buffers[name]
            if not isinstance(entries, list) or len(entries) != n:
                raise StateError(f"'buffers.{name}': expected a list of {n} entries")
            loaded[name] = [
                None if v is None else state_number(v, f"buffers.{name}.{i}", allowed)
                for i, v in enumerate(entries)
            ]
        try:
            self._set_hyper(values)
        except ValueError as exc:
            raise StateError(f"'hyper': {exc}") from None
        self.steps = steps
        self.buffers = loaded

    def _hyper_value(self, name: str, value: object) -> Any:
        """A hyperparameter read from a state dict: a finite number (its range comes next)."""
        return state_number(value, f"hyper.{name}")


def _exact_keys(value: object, names: tuple[str, ...], key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise StateError(f"{key!r}: expected an object, got {type(value).__name__}")
    if set(value) != set(names):
        missing = [name for name in names if name not in value]
        unexpected = [str(name) for name in value if name not in names]
        raise StateError(
            f"{key!r}: expected the keys {sorted(names)}: "
            f"missing {first(missing)}, unexpected {first(unexpected)}"
        )
    return value


class GD(Optimizer):
    """Gradient descent: p <- p - lr g (micrograd's ``p.data -= lr * p.grad``)."""

    def _update(self, i: int, p: float, g: float) -> float:
        return p - self._lr * g


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

    _HYPER: ClassVar[dict[str, Range]] = {
        "lr": NON_NEGATIVE,
        "momentum": FRACTION,
        "dampening": UNIT,
        "weight_decay": NON_NEGATIVE,
    }
    _BUFFERS: ClassVar[dict[str, Range]] = {"momentum": Range()}
    # set (checked) by _set_hyper
    #: The momentum coefficient mu in [0, 1) (0: none).
    momentum: float
    #: The dampening d in [0, 1]: the buffer takes (1 - d) of each new gradient.
    dampening: float
    #: The L2 coefficient wd: wd * p is added to each gradient (0: none).
    weight_decay: float
    #: Nesterov's momentum: step along g + mu * b instead of b.
    nesterov: bool

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
        self._set_hyper(
            {
                "momentum": momentum,
                "dampening": dampening,
                "weight_decay": weight_decay,
                "nesterov": bool(nesterov),
            }
        )

    def _hyper_names(self) -> tuple[str, ...]:
        return (*self._HYPER, "nesterov")

    def _check(self, hyper: Mapping[str, Any]) -> None:
        if hyper["nesterov"] and (hyper["momentum"] == 0.0 or hyper["dampening"] != 0.0):
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
        return p - self._lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) as in PyTorch, with bias correction and L2 weight decay.

    At step t, with moments m, v (0 before the first step) and weight decay wd (default 0):

        g <- g + wd p                                   (L2 penalty in the gradient)
        m <- b1 m + (1 - b1) g
        v <- b2 v + (1 - b2) g^2
        p <- p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
    """

    _HYPER: ClassVar[dict[str, Range]] = {
        "lr": NON_NEGATIVE,
        "beta1": FRACTION,
        "beta2": FRACTION,
        "eps": NON_NEGATIVE,
        "weight_decay": NON_NEGATIVE,
    }
    _BUFFERS: ClassVar[dict[str, Range]] = {"m": Range(), "v": NON_NEGATIVE}  # v: mean of squares
    _DEFAULT_WEIGHT_DECAY = 0.0
    # set (checked) by _set_hyper
    #: The decay rate b1 in [0, 1) of the mean of the gradients m.
    beta1: float
    #: The decay rate b2 in [0, 1) of the mean of their squares v.
    beta2: float
    #: eps >= 0, added to sqrt(v) so a step never divides by zero.
    eps: float
    #: The L2 coefficient wd (Adam: added to the gradient; AdamW: decoupled, p shrinks by lr * wd).
    weight_decay: float

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
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{type(self).__name__}: betas must be a pair, got {shorten(betas)}")
        beta1, beta2 = betas
        self._set_hyper({"beta1": beta1, "beta2": beta2, "eps": eps, "weight_decay": weight_decay})

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
        step_size = self._lr / (1.0 - self.beta1**t)
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
        return p * (1.0 - self._lr * self.weight_decay), g
