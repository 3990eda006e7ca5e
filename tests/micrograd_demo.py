"""micrograd's demo notebook (moons, MLP 2-16-16-1, hinge + L2, full-batch GD), run twice:
once with micrograd 0.1.0 exactly as the notebook writes it, once with this library."""

from __future__ import annotations

import random
from collections.abc import Sequence

from nn import GD, MLP, hinge, l2, make_moons
from nn.schedules import LinearDecay, LRScheduler

ALPHA = 1e-4


def moons(
    n: int = 100, noise: float = 0.1, seed: int = 1337
) -> tuple[list[list[float]], list[int]]:
    """The demo's data, labels mapped to -1/+1 (``y = y*2 - 1``)."""
    X, y = make_moons(n, noise=noise, seed=seed)
    return X, [2 * t - 1 for t in y]


def micrograd_run(
    X: Sequence[Sequence[float]], y: Sequence[int], sizes: list[int], steps: int, seed: int
) -> list[tuple[float, float]]:
    """(loss, accuracy) at every step, computed by micrograd as its notebook does."""
    from micrograd.engine import Value
    from micrograd.nn import MLP as MicroMLP

    random.seed(seed)
    model = MicroMLP(len(X[0]), sizes)
    history = []
    for k in range(steps):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = ALPHA * sum((p * p for p in model.parameters()))  # noqa: UP034 (verbatim)
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        history.append((total_loss.data, sum(accuracy) / len(accuracy)))
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    return history


def valuegrad_run(
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    sizes: list[int],
    steps: int,
    seed: int,
    *,
    fused: bool = True,
) -> list[tuple[float, float]]:
    """The same training with nn: MLP, hinge, l2, GD and a linear-decay schedule."""
    random.seed(seed)
    model = MLP(len(X[0]), sizes, fused=fused)
    optimizer = GD(model.parameters(), lr=1.0)
    scheduler = LRScheduler(optimizer, LinearDecay(1.0, 0.9, 100))
    history = []
    for _ in range(steps):
        scores = [model(x) for x in X]
        loss = hinge(scores, y) + l2(model.parameters(), ALPHA)
        correct = sum((yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True))
        history.append((loss.data, correct / len(y)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return history
