"""Training on flat arrays: ``fit(compile="numpy")`` without per-parameter Python work.

:class:`FlatUpdate` is a built-in optimizer's update on NumPy arrays (one entry per
parameter); :class:`FlatRun` is one training step of ``fit(compile="numpy")`` on them: the
compiled NumPy program on the parameter array, then the update. The trainer
(:mod:`nn.train`) writes the arrays back to the model whenever user code could look.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from autograd import Value
from nn.optim import GD, SGD, Adam, AdamW, Optimizer

#: A batch of examples: (inputs, label) pairs.
Batch = Sequence[tuple[Sequence[float], int]]


class FlatUpdate:
    """A built-in optimizer's update on flat NumPy arrays (``fit(compile="numpy")``).

    The parameters' values ``p``, the step's gradients ``g`` and the buffers are arrays with
    one entry per parameter, in ``optimizer.params`` order. :meth:`apply` applies the
    optimizer's own formulas elementwise, each operation in ``_update``'s order, so every
    float is the per-parameter update's, bit for bit (t: the step count, after it grows)::

        GD:    p <- p - lr g
        SGD:   g <- g + wd p;  b <- g (first step), mu b + (1 - d) g (after);
               g <- g + mu b (Nesterov) or b;  p <- p - lr g
        Adam:  g <- g + wd p (AdamW instead: p <- p (1 - lr wd));  m <- b1 m + (1 - b1) g;
               v <- b2 v + (1 - b2) g g;  p <- p - lr/(1 - b1^t) m / (sqrt(v)/sqrt(1 - b2^t) + eps)

    The hyperparameters (``lr`` as a schedule sets it) and the step count stay the
    optimizer's, read or counted there every step. :meth:`read` takes the values from the
    Values and the buffers from ``optimizer.buffers``; :meth:`write_back` puts ``p``, ``g``
    and the buffers there (what ``state_dict()`` shows). Only the exact classes GD, SGD,
    Adam and AdamW: a subclass may change ``_update`` (:meth:`of` returns None).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        import numpy

        self.np: Any = numpy
        self.optimizer = optimizer
        self.params = optimizer.params
        self.p: Any = None
        self.g: Any = None
        #: Each buffer as an array, or None while no entry is created.
        self.buffers: dict[str, Any] = {}
        #: Whether the arrays are ahead of the Values and the optimizer (after a step).
        self.ahead = False

    @staticmethod
    def of(optimizer: Optimizer) -> FlatUpdate | None:
        """The flat form of ``optimizer``, or None: not one of the built-in classes, a
        parameter listed twice, or no NumPy."""
        if type(optimizer) not in (GD, SGD, Adam, AdamW):
            return None
        if len(set(map(id, optimizer.params))) != len(optimizer.params):
            return None
        try:
            return FlatUpdate(optimizer)
        except ImportError:
            return None

    def read(self) -> bool:
        """Take ``p`` from the Values' ``.data`` and the buffers from the optimizer; False
        where a buffer cannot be one array (SGD's momentum created for some entries only)."""
        np, n = self.np, len(self.params)
        buffers: dict[str, Any] = {}
        for name, entries in self.optimizer.buffers.items():
            if all(e is None for e in entries):
                buffers[name] = None
            elif isinstance(self.optimizer, Adam):  # Adam counts None as 0.0
                buffers[name] = np.array([0.0 if e is None else e for e in entries], dtype=float)
            elif None in entries:
                return False
            else:
                buffers[name] = np.array(entries, dtype=float)
        self.p = np.fromiter(map(_data, self.params), float, n)
        self.g, self.buffers, self.ahead = None, buffers, False
        return True

    def apply(self, g: Any) -> None:
        """One update with gradients ``g`` (an array, kept as the parameters' ``.grad``)."""
        opt, p, lr = self.optimizer, self.p, self.optimizer._lr
        buffers = dict(self.buffers)
        if isinstance(opt, SGD):
            d = g + opt.weight_decay * p if opt.weight_decay else g
            if opt.momentum:
                buf = buffers.get("momentum")
                buf = d.copy() if buf is None else opt.momentum * buf + (1.0 - opt.dampening) * d
                buffers["momentum"] = buf
                d = d + opt.momentum * buf if opt.nesterov else buf
            p = p - lr * d
        elif isinstance(opt, Adam):
            d = g
            if opt.weight_decay:
                if isinstance(opt, AdamW):
                    p = p * (1.0 - lr * opt.weight_decay)
                else:
                    d = d + opt.weight_decay * p
            m = 0.0 if buffers["m"] is None else buffers["m"]
            v = 0.0 if buffers["v"] is None else buffers["v"]
            m = opt.beta1 * m + (1.0 - opt.beta1) * d
            v = opt.beta2 * v + (1.0 - opt.beta2) * d * d
            buffers["m"], buffers["v"] = m, v
            t = opt.steps + 1
            step_size = lr / (1.0 - opt.beta1**t)
            denom = self.np.sqrt(v) / math.sqrt(1.0 - opt.beta2**t) + opt.eps
            p = p - step_size * m / denom
        else:  # GD
            p = p - lr * g
        # all computed: now the state moves at once
        self.p, self.g, self.buffers, self.ahead = p, g, buffers, True
        opt.steps += 1

    def write_back(self) -> None:
        """Put ``p`` into the Values' ``.data``, ``g`` into their ``.grad`` and the buffers
        into the optimizer's (lists of floats, as the per-parameter updates leave them), if
        the arrays are ahead; the next step must :meth:`read` them again."""
        if not self.ahead:
            return
        self.ahead = False
        # map() of the slots' setters: a loop in C (any() runs it: each call returns None)
        any(map(_set_data, self.params, self.p.tolist()))
        if self.g is not None:
            any(map(_set_grad, self.params, self.g.tolist()))
        for name, values in self.buffers.items():
            if values is not None:
                self.optimizer.buffers[name] = values.tolist()


_data = attrgetter("data")
_set_data: Callable[[Value, float], None] = vars(Value)["data"].__set__  # the slot's setter
_set_grad: Callable[[Value, float], None] = vars(Value)["grad"].__set__


class FlatRun:
    """``fit(compile="numpy")``'s steps on flat arrays: the NumPy program on the parameters'
    array (``run_flat``; a batch's arrays made once), then :class:`FlatUpdate`: no
    Python work per parameter. ``sync`` writes the arrays back: the trainer calls it
    before code that may read the model (validation, a schedule or callback it does not
    know), at the end and on an exception. A step the arrays cannot take (the first, which
    traces; a new kind of example; a failed guard; a value not finite) is written back and
    runs the usual way (:meth:`step` returns None); the next one reads the Values again."""

    def __init__(self, compiled: Any, update: FlatUpdate) -> None:  # a CompiledMean
        self.compiled, self.update, self.sync = compiled, update, update.write_back
        self._ready: tuple[object, Any, Any] | None = None  # (batch, FlatBatch, labels)

    def step(self, batch: Batch) -> tuple[float, dict[str, float]] | None:
        """One step on the arrays: the loss and the batch's accuracy, or None."""
        np, update, ready = self.update.np, self.update, self._ready
        if ready is None or ready[0] is not batch:
            labels = [label for _, label in batch]
            made = self.compiled.flat_batch([x for x, _ in batch], labels)
            ready = self._ready = None if made is None else (batch, made, np.array(labels))
        result = None
        if ready is not None and (update.ahead or update.read()):
            result = self.compiled.run_flat(ready[1], update.p, update.params)
        if ready is None or result is None:
            self._ready = None  # perhaps made for older programs
            self.sync()
            return None
        loss, g, parts = result
        update.apply(g)
        predicted = np.empty(len(ready[2]), dtype=bool)  # predicted_class: 1 if score > 0
        for index, (out, *_) in parts:
            predicted[index] = out > 0
        return loss, {"accuracy": int(np.count_nonzero(predicted == ready[2])) / len(ready[2])}
