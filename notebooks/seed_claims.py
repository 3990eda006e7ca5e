"""Helpers for notebook 09, "The seed's claims on a real network".

The notebook trains micrograd's MLP 2-16-16-1 (ReLU, hinge loss, L2 1e-4) on two moons many
times, over many seeds, and reads every run's weights afterwards. This module holds the
parts that are not the story:

* :class:`Net`: one model with ``nn.fit``'s objective compiled once (``autograd.compile_mean``,
  NumPy mode), so that many runs from the same starting weights share one trace; each run is
  an ``nn.Trainer`` run (the batches exactly as ``nn.fit`` draws them).
* :func:`scores`: the model's outputs for every recorded set of weights at once, in NumPy (the
  same arithmetic as the engine's forward pass; the notebook checks it against the engine).
* :func:`hinge` and :func:`accuracy` of those outputs, :func:`mean_se` for error bars,
  :func:`spearman` for rank correlations.

Nothing here writes a file.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

import autograd
import nn
from autograd import Value
from nn.losses import classification_loss
from nn.metrics import single_output
from nn.schedules import LinearDecay

#: The hidden layers of micrograd's network.
HIDDEN = (16, 16)
#: The L2 weight of micrograd's demo.
ALPHA = 1e-4


@dataclass
class Task:
    """A training set and a held-out set of the same two moons, as lists and NumPy arrays."""

    X: list[list[float]]
    y: list[int]
    X_test: list[list[float]]
    y_test: list[int]

    @property
    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(X, y, X_test, y_test)`` as float and int arrays."""
        return (
            np.array(self.X, dtype=float),
            np.array(self.y),
            np.array(self.X_test, dtype=float),
            np.array(self.y_test),
        )


def moons_task(seed: int, n: int = 100, noise: float = 0.1, held_out: float = 0.3) -> Task:
    """Notebook 06's data: ``make_moons(n, noise, seed=1337)``, split with ``seed`` into a
    training set and a held-out share ``held_out`` (30 of 100 points by default)."""
    X, y = nn.make_moons(n, noise=noise, seed=1337)
    X_train, y_train, X_test, y_test = nn.split(X, y, val_fraction=held_out, seed=seed)
    return Task(X_train, y_train, X_test, y_test)


@dataclass
class Run:
    """One training run: the weights before the first step and after every step, row by row
    (``weights[k]`` is what step ``k`` starts from), and the learning rate of each step."""

    weights: np.ndarray
    lrs: list[float]
    diverged: bool = False

    @property
    def steps(self) -> np.ndarray:
        """The size of every step, ``|w[k+1] - w[k]|`` (Euclidean, over all 337 weights)."""
        return np.linalg.norm(np.diff(self.weights, axis=0), axis=1)

    @property
    def to_final(self) -> np.ndarray:
        """Each step's distance to the final weights, ``|w[k] - w[last]|``, for k < last."""
        return np.linalg.norm(self.weights[:-1] - self.weights[-1], axis=1)


class Net:
    """An MLP 2-16-16-1 drawn with ``random.seed(seed)`` (as notebook 06 does), with
    ``nn.fit``'s hinge + L2 objective compiled once for it.

    :meth:`train` runs an optimizer from the starting weights and records the weights after
    every step; runs never share state except the starting weights.
    """

    def __init__(self, seed: int, alpha: float = ALPHA) -> None:
        random.seed(seed)
        self.model = nn.MLP(2, [*HIDDEN, 1])
        self.params = self.model.parameters()
        self.start = self.model.state_dict()
        model, params = self.model, self.params

        def example(xs: list[Value], label: int) -> tuple[Value, Value]:
            output = single_output(model(xs))
            return classification_loss("hinge", [output], [label]), output

        self.compiled = autograd.compile_mean(
            example, extra=lambda: nn.l2(params, alpha), mode="numpy"
        )

    def objective(self, batch: Sequence[tuple[Sequence[float], int]]) -> float:
        """The batch's mean hinge loss + L2; adds its gradient into the parameters' ``.grad``."""
        value, _ = self.compiled([x for x, _ in batch], [label for _, label in batch])
        return value

    def train(
        self,
        task: Task,
        *,
        lr: float,
        steps: int,
        batch_size: int | None = None,
        decay: bool = True,
        seed: int = 0,
        make_optimizer: Callable[[list[Value], float], nn.Optimizer] | None = None,
    ) -> Run:
        """Train from the starting weights: ``steps`` updates of plain gradient descent (or
        ``make_optimizer(params, lr)``) on full batches (``batch_size=None``) or shuffled
        mini-batches, the learning rate ``lr`` falling linearly to ``lr / 10`` over the run
        (micrograd's schedule, ``decay=True``) or constant. A run whose loss stops being
        finite ends there (``diverged``)."""
        self.model.load_state_dict(self.start)
        for p in self.params:
            p.grad = 0.0
        optimizer = (make_optimizer or nn.GD)(self.params, lr)
        params = self.params
        rows = [[p.data for p in params]]

        def record(history: nn.History) -> None:
            rows.append([p.data for p in params])

        trainer = nn.Trainer(
            self.objective,
            optimizer,
            schedule=LinearDecay(lr, 0.9 * lr, steps) if decay else None,
            callbacks=[record],
            progress=False,
            backward=False,
        )
        diverged = False
        try:
            history = trainer.run(
                list(zip(task.X, task.y)), steps=steps, batch_size=batch_size, seed=seed
            )
        except nn.TrainingDiverged as error:
            history, diverged = error.history, True
        weights = np.array(rows)
        if not np.all(np.isfinite(weights)):
            diverged = True
        return Run(weights, [float(v) for v in history["lr"]], diverged)


def unpack(weights: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows of flat parameters (``model.parameters()`` order: each neuron's weights, then its
    bias, neuron by neuron, layer by layer) as ``(W, b)`` per layer, ``W`` of shape
    ``(runs, outputs, inputs)``."""
    weights = np.atleast_2d(weights)
    layers, at = [], 0
    for fan_in, fan_out in zip((2, *HIDDEN), (*HIDDEN, 1)):
        block = weights[:, at : at + fan_out * (fan_in + 1)].reshape(-1, fan_out, fan_in + 1)
        layers.append((block[:, :, :fan_in], block[:, :, fan_in]))
        at += fan_out * (fan_in + 1)
    if at != weights.shape[1]:
        raise ValueError(f"unpack: {weights.shape[1]} parameters, expected {at}")
    return layers


def scores(weights: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The network's output for every row of ``weights`` and every point of ``X``: an array
    of shape ``(rows, points)``; ReLU hidden layers, a linear output, as ``nn.MLP``."""
    h = np.broadcast_to(np.asarray(X, dtype=float), (np.atleast_2d(weights).shape[0], *X.shape))
    layers = unpack(weights)
    for i, (W, b) in enumerate(layers):
        h = h @ W.transpose(0, 2, 1) + b[:, None, :]  # (rows, points, outputs)
        if i < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h[:, :, 0]


def hinge(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The mean hinge loss ``max(0, 1 - (2y - 1) s)`` of each row of scores ``s``."""
    return np.maximum(0.0, 1.0 - (2 * np.asarray(y) - 1) * s).mean(axis=-1)


def accuracy(s: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The share of points of each row of scores ``s`` on the right side (score > 0 is 1)."""
    return ((s > 0).astype(int) == np.asarray(y)).mean(axis=-1)


def mean_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """The mean and its standard error (sample standard deviation / sqrt(n))."""
    a = np.asarray(values, dtype=float)
    if a.size < 2:
        raise ValueError("mean_se: need at least two values")
    return float(a.mean()), float(a.std(ddof=1) / math.sqrt(a.size))


def spearman(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Spearman's rank correlation (ties share their mean rank)."""

    def ranks(x: np.ndarray) -> np.ndarray:
        # the k-th smallest distinct value, taken c times, holds ranks end - c + 1 .. end
        _, where, counts = np.unique(x, return_inverse=True, return_counts=True)
        ends = np.cumsum(counts).astype(float)
        return (ends - (counts - 1) / 2)[where.reshape(-1)]

    return float(np.corrcoef(ranks(np.asarray(a, float)), ranks(np.asarray(b, float)))[0, 1])


@dataclass
class Summary:
    """What the notebook keeps of a run: per-snapshot losses, the final scores, the steps.

    ``train_hinge[k]`` and ``test_hinge[k]`` are the mean hinge losses (without the L2 term)
    on the training and held-out points of the weights step ``k`` starts from (the last entry:
    the trained model); ``collapsed`` is true when the trained model gives every training
    point the same score (every path through the ReLUs dead, or all-equal outputs).
    """

    train_hinge: np.ndarray
    test_hinge: np.ndarray
    train_accuracy: float
    test_accuracy: float
    steps: np.ndarray
    to_final: np.ndarray
    lrs: np.ndarray
    collapsed: bool
    diverged: bool
    final: np.ndarray


def summarize(run: Run, task: Task) -> Summary:
    """The losses of every snapshot of ``run`` on ``task``'s two sets, and its step sizes."""
    X, y, X_test, y_test = task.arrays
    train, test = scores(run.weights, X), scores(run.weights, X_test)
    return Summary(
        train_hinge=hinge(train, y),
        test_hinge=hinge(test, y_test),
        train_accuracy=float(accuracy(train[-1], y)),
        test_accuracy=float(accuracy(test[-1], y_test)),
        steps=run.steps,
        to_final=run.to_final,
        lrs=np.array(run.lrs),
        collapsed=bool(np.ptp(train[-1]) < 1e-9),
        diverged=run.diverged,
        final=run.weights[-1],
    )


def active_units(weights: np.ndarray, X: np.ndarray) -> np.ndarray:
    """How many ReLUs of each hidden layer are on (output > 0) for at least one point of
    ``X``: an int array of shape ``(rows, hidden layers)``, one row per row of ``weights``."""
    h = np.broadcast_to(np.asarray(X, dtype=float), (np.atleast_2d(weights).shape[0], *X.shape))
    counts = []
    for W, b in unpack(weights)[:-1]:
        h = np.maximum(h @ W.transpose(0, 2, 1) + b[:, None, :], 0.0)
        counts.append((h > 0).any(axis=1).sum(axis=1))
    return np.stack(counts, axis=1)
