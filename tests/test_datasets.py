"""Datasets checked against the geometry they promise; splits and batches against counting."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.datasets import batches


def test_moons_without_noise_lie_on_scikit_learns_half_circles() -> None:
    X, y = make_moons(11, seed=0)
    assert y.count(0) == 5 and y.count(1) == 6
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # (cos t, sin t), t in [0, pi]
            assert math.isclose(a * a + b * b, 1.0) and b >= 0
        else:  # (1 - cos t, 1 - sin t - 0.5)
            assert math.isclose((1 - a) ** 2 + (0.5 - b) ** 2, 1.0) and b <= 0.5 + 1e-12
    outer_t = sorted(math.atan2(b, a) for (a, b), label in zip(X, y, strict=True) if label == 0)
    assert outer_t == pytest.approx([i * math.pi / 4 for i in range(5)], abs=1e-12)


def test_moons_noise_has_the_requested_spread() -> None:
    clean, labels = make_moons(2000, seed=1)
    noisy, noisy_labels = make_moons(2000, noise=0.1, seed=1)
    assert noisy_labels == labels  # the same shuffle; noise comes after it
    deltas = [n - c for p, q in zip(noisy, clean, strict=True) for n, c in zip(p, q, strict=True)]
    mean = sum(deltas) / len(deltas)
    std = math.sqrt(sum((d - mean) ** 2 for d in deltas) / len(deltas))
    assert abs(mean) < 0.01 and 0.095 < std < 0.105


@pytest.mark.parametrize("make", [make_moons, make_circles, make_xor, make_spirals, make_blobs])
def test_a_seed_gives_the_same_data_and_rng_works_like_a_seed(make) -> None:
    kwargs = {} if make is make_blobs else {"noise": 0.1}
    first = make(50, seed=3, **kwargs)
    assert first == make(50, seed=3, **kwargs)
    assert first == make(50, rng=random.Random(3), **kwargs)
    assert first != make(50, seed=4, **kwargs)
    X, y = first
    assert len(X) == len(y) == 50 and all(len(p) == 2 for p in X)
    assert all(type(c) is float for p in X for c in p) and all(type(t) is int for t in y)
    with pytest.raises(ValueError, match="either seed or rng"):
        make(5, seed=1, rng=random.Random(1))


def test_circles_radii() -> None:
    X, y = make_circles(20, factor=0.5, seed=0)
    for (a, b), label in zip(X, y, strict=True):
        assert math.isclose(math.hypot(a, b), 1.0 if label == 0 else 0.5)


def test_xor_labels_mark_differing_signs() -> None:
    X, y = make_xor(200, seed=2)
    assert all(label == (a * b < 0) for (a, b), label in zip(X, y, strict=True))
    assert 60 < sum(y) < 140


def test_spiral_arms_follow_their_angle() -> None:
    X, y = make_spirals(30, n_classes=3, seed=0)
    assert [y.count(c) for c in range(3)] == [10, 10, 10]
    for (a, b), c in zip(X, y, strict=True):
        r = math.hypot(a, b)
        expected = (a, b) if r == 0 else (r * math.sin(4 * c + 4 * r), r * math.cos(4 * c + 4 * r))
        assert (a, b) == pytest.approx(expected, abs=1e-12)


def test_blobs_gather_around_their_centers() -> None:
    centers = [[0.0, 0.0], [10.0, 10.0]]
    X, y = make_blobs(400, centers=centers, std=0.5, seed=0)
    for c, center in enumerate(centers):
        points = [p for p, label in zip(X, y, strict=True) if label == c]
        assert len(points) == 200
        mean = [sum(p[i] for p in points) / len(points) for i in range(2)]
        assert mean == pytest.approx(center, abs=0.1)
    X3, y3 = make_blobs(30, centers=3, n_features=4, seed=1)
    assert sorted(set(y3)) == [0, 1, 2] and all(len(p) == 4 for p in X3)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(0, 40), fraction=st.floats(0, 1), seed=st.integers(0, 99))
def test_split_is_a_partition(n: int, fraction: float, seed: int) -> None:
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    X_train, y_train, X_val, y_val = split(X, y, val_fraction=fraction, seed=seed)
    assert len(y_val) == round(fraction * n)
    assert sorted(y_train + y_val) == y
    assert all(x == [float(t)] for x, t in zip(X_train + X_val, y_train + y_val, strict=True))


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 30), size=st.integers(1, 8), drop_last=st.booleans(), seed=st.integers(0, 99)
)
def test_batches_cover_the_data_once(n: int, size: int, drop_last: bool, seed: int) -> None:
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    out = list(batches(X, y, size, drop_last=drop_last, seed=seed))
    assert out == list(batches(X, y, size, drop_last=drop_last, seed=seed))
    seen = [t for _, yb in out for t in yb]
    assert len(seen) == len(set(seen))
    assert len(seen) == (n - n % size if drop_last else n)
    assert all(len(yb) == size for _, yb in out[:-1])
    assert all(x == [float(t)] for xb, yb in out for x, t in zip(xb, yb, strict=True))


def test_batches_without_shuffle_keep_the_order() -> None:
    out = list(batches([[0.0], [1.0], [2.0]], [0, 1, 2], 2, shuffle=False))
    assert out == [([[0.0], [1.0]], [0, 1]), ([[2.0]], [2])]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 20), size=st.integers(1, 6), drop_last=st.booleans(), seed=st.integers())
def test_batches_without_labels_are_lists_of_examples(
    n: int, size: int, drop_last: bool, seed: int
) -> None:
    examples = [(f"x{i}", i) for i in range(n)]
    X, y = [x for x, _ in examples], [t for _, t in examples]
    with_labels = batches(X, y, size, drop_last=drop_last, seed=seed)
    without = batches(examples, None, size, drop_last=drop_last, seed=seed)
    expected = [list(zip(xb, yb, strict=True)) for xb, yb in with_labels]
    assert list(without) == expected


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_moons(0), "n_samples must be a positive int"),
        (
            lambda: make_moons(10, noise=-1),
            "make_moons: noise must be a finite number >= 0, got -1",
        ),
        (lambda: make_circles(10, factor=1.5), "make_circles: factor must be a finite number in"),
        (lambda: split([[1.0]], [], val_fraction=0.5), "1 inputs but 0 labels"),
        (lambda: list(batches([[1.0]], [1], 0)), "batch_size must be a positive int"),
    ],
)
def test_bad_arguments_are_errors(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
