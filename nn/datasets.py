"""Toy data sets in pure Python, train/validation splits and mini-batches.

Every generator returns ``(X, y)``: ``X`` a list of points (each a list of floats), ``y`` a
list of int class labels (0, 1, ...); :func:`nn.load_csv` returns the same from a file.
Randomness comes from a ``random.Random``: pass
``seed`` (an int; the same seed gives the same data on every run) or ``rng`` (an instance
you own), not both. With neither, the data differ from run to run.

The shapes follow scikit-learn's ``make_moons``/``make_circles``/``make_blobs``; the noise
is drawn with Python's ``random``, so the points are not numpy's, only their distribution.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import TypeVar, overload

from nn._validate import FRACTION, NON_NEGATIVE, UNIT, number, positive_int

Points = list[list[float]]
Labels = list[int]
T = TypeVar("T")


def _rng(seed: int | None, rng: random.Random | None) -> random.Random:
    if rng is not None and seed is not None:
        raise ValueError("pass either seed or rng, not both")
    return rng if rng is not None else random.Random(seed)


def _linspace(start: float, stop: float, n: int, *, endpoint: bool = True) -> list[float]:
    """n evenly spaced numbers from start to stop (stop included if ``endpoint``), as numpy."""
    divisions = n - 1 if endpoint else n
    if divisions <= 0:
        return [start] * n
    step = (stop - start) / divisions
    points = [start + i * step for i in range(n)]
    if endpoint:
        points[-1] = stop
    return points


def _finish(
    op: str, points: Points, labels: Labels, noise: float, rng: random.Random
) -> tuple[Points, Labels]:
    """Shuffle the examples, then add N(0, noise^2) to every coordinate (noise finite, >= 0)."""
    noise = number(op, "noise", noise, NON_NEGATIVE)
    order = list(range(len(points)))
    rng.shuffle(order)
    X = [[c + rng.gauss(0.0, noise) if noise else c for c in points[i]] for i in order]
    return X, [labels[i] for i in order]


def make_moons(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    With t over ``linspace(0, pi)``: the outer moon (label 0, n//2 points) is
    (cos t, sin t), the inner moon (label 1, the rest) is (1 - cos t, 1 - sin t - 0.5).
    The points are shuffled, then N(0, noise^2) is added to each coordinate.
    """
    positive_int("make_moons", "n_samples", n_samples)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    inner = [[1.0 - math.cos(t), 1.0 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    return _finish("make_moons", outer + inner, [0] * n_out + [1] * n_in, noise, _rng(seed, rng))


def make_circles(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    factor: float = 0.8,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Two concentric circles, as scikit-learn's ``make_circles``.

    Outer circle (label 0, n//2 points): (cos t, sin t); inner (label 1): factor * (cos t,
    sin t), with t over ``linspace(0, 2 pi)`` without the endpoint. Shuffled, plus noise.
    """
    positive_int("make_circles", "n_samples", n_samples)
    number("make_circles", "factor", factor, FRACTION)
    n_out = n_samples // 2
    n_in = n_samples - n_out

    def circle(n: int, radius: float) -> Points:
        return [
            [radius * math.cos(t), radius * math.sin(t)]
            for t in _linspace(0.0, 2 * math.pi, n, endpoint=False)
        ]

    return _finish(
        "make_circles",
        circle(n_out, 1.0) + circle(n_in, factor),
        [0] * n_out + [1] * n_in,
        noise,
        _rng(seed, rng),
    )


def make_xor(
    n_samples: int = 100,
    *,
    noise: float = 0.0,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Points uniform in [-1, 1]^2, label 1 where the coordinates differ in sign (x*y < 0).

    Labels come from the clean point; then N(0, noise^2) is added to each coordinate.
    """
    positive_int("make_xor", "n_samples", n_samples)
    r = _rng(seed, rng)
    points = [[r.uniform(-1.0, 1.0), r.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    return _finish("make_xor", points, [int(x * y < 0) for x, y in points], noise, r)


def make_spirals(
    n_samples: int = 100,
    *,
    n_classes: int = 2,
    noise: float = 0.0,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Interleaved spiral arms, one per class (the CS231n spiral).

    Class c gets about n/n_classes points with radius r over ``linspace(0, 1)`` and angle
    theta = 4c + 4r (radians), at (r sin theta, r cos theta); shuffled, plus noise.
    """
    positive_int("make_spirals", "n_samples", n_samples)
    positive_int("make_spirals", "n_classes", n_classes)
    points: Points = []
    labels: Labels = []
    for c in range(n_classes):
        n = n_samples // n_classes + (c < n_samples % n_classes)
        for r in _linspace(0.0, 1.0, n):
            theta = 4.0 * c + 4.0 * r
            points.append([r * math.sin(theta), r * math.cos(theta)])
            labels.append(c)
    return _finish("make_spirals", points, labels, noise, _rng(seed, rng))


def make_blobs(
    n_samples: int = 100,
    *,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 1.0,
    n_features: int = 2,
    box: tuple[float, float] = (-10.0, 10.0),
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[Points, Labels]:
    """Gaussian blobs, as scikit-learn's ``make_blobs``: label c around center c.

    ``centers`` is a list of points, or a count of centers drawn uniformly from ``box`` in
    each of ``n_features`` coordinates. Points are spread as evenly as possible over the
    centers, each coordinate N(center, std^2); shuffled.
    """
    positive_int("make_blobs", "n_samples", n_samples)
    number("make_blobs", "std", std, NON_NEGATIVE)
    r = _rng(seed, rng)
    if isinstance(centers, int):
        positive_int("make_blobs", "centers", centers)
        positive_int("make_blobs", "n_features", n_features)
        centers = [[r.uniform(*box) for _ in range(n_features)] for _ in range(centers)]
    k = len(centers)
    if k == 0:
        raise ValueError("make_blobs: centers is empty")
    points, labels = [], []
    for c, center in enumerate(centers):
        for _ in range(n_samples // k + (c < n_samples % k)):
            points.append([float(x) for x in center])
            labels.append(c)
    return _finish("make_blobs", points, labels, std, r)


def split(
    X: Sequence[T],
    y: Sequence[int],
    *,
    val_fraction: float = 0.2,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> tuple[list[T], list[int], list[T], list[int]]:
    """Shuffle and split into ``(X_train, y_train, X_val, y_val)``.

    The validation part has round(val_fraction * n) examples, the training part the rest.
    """
    if len(X) != len(y):
        raise ValueError(f"split: {len(X)} inputs but {len(y)} labels")
    val_fraction = number("split", "val_fraction", val_fraction, UNIT)
    order = list(range(len(X)))
    _rng(seed, rng).shuffle(order)
    n_val = round(val_fraction * len(X))
    val, train = order[:n_val], order[n_val:]
    return [X[i] for i in train], [y[i] for i in train], [X[i] for i in val], [y[i] for i in val]


@overload
def batches(
    X: Sequence[T],
    y: Sequence[int],
    batch_size: int,
    *,
    shuffle: bool = ...,
    drop_last: bool = ...,
    seed: int | None = ...,
    rng: random.Random | None = ...,
) -> Iterator[tuple[list[T], list[int]]]: ...


@overload
def batches(
    X: Sequence[T],
    y: None,
    batch_size: int,
    *,
    shuffle: bool = ...,
    drop_last: bool = ...,
    seed: int | None = ...,
    rng: random.Random | None = ...,
) -> Iterator[list[T]]: ...


def batches(
    X: Sequence[T],
    y: Sequence[int] | None,
    batch_size: int,
    *,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Iterator[tuple[list[T], list[int]]] | Iterator[list[T]]:
    """Mini-batches ``(X_b, y_b)`` of ``batch_size`` examples covering the data once (an epoch).

    The order is one shuffle of the indices 0..n-1 with the seeded generator (unless
    ``shuffle=False``), cut into consecutive chunks; the last, smaller chunk is kept unless
    ``drop_last``. Pass the same ``rng`` every epoch to get a new order each time that is still
    reproducible: :class:`nn.Trainer` does exactly that for ``batch_size=k``.

    With ``y=None``, ``X`` is a list of whole examples (anything, as the trainer takes them)
    and each batch is just the list ``X_b``.
    """
    if y is not None and len(X) != len(y):
        raise ValueError(f"batches: {len(X)} inputs but {len(y)} labels")
    positive_int("batches", "batch_size", batch_size)
    order = list(range(len(X)))
    if shuffle:
        _rng(seed, rng).shuffle(order)
    stop = len(order) - len(order) % batch_size if drop_last else len(order)
    for start in range(0, stop, batch_size):
        chunk = order[start : start + batch_size]
        if y is None:
            yield [X[i] for i in chunk]
        else:
            yield [X[i] for i in chunk], [y[i] for i in chunk]
