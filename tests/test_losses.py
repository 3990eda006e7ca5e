"""Losses against hand-computed values, the textbook formulas and micrograd's demo code."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd.engine import Value as MicroValue

from autograd import Value
from nn import bce_with_logits, cross_entropy, hinge, l2, mse
from tests.programs import close

finite = st.floats(-20, 20)


def test_mse_by_hand() -> None:
    p = [Value(1.0), Value(3.0)]
    loss = mse(p, [0.0, 1.0])  # ((1-0)^2 + (3-1)^2) / 2
    loss.backward()
    assert loss.data == 2.5
    assert [v.grad for v in p] == [1.0, 2.0]  # 2 (p - t) / n


def test_hinge_by_hand() -> None:
    s = [Value(0.5), Value(-2.0), Value(3.0)]
    loss = hinge(s, [1, 1, -1])  # (0.5 + 3 + 4) / 3
    loss.backward()
    assert close(loss.data, 7.5 / 3, rel=1e-15)
    assert [v.grad for v in s] == [-1 / 3, -1 / 3, 1 / 3]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(finite, st.sampled_from([-1, 1])), min_size=1, max_size=10))
def test_hinge_is_micrograds_demo_loss_bit_for_bit(pairs: list[tuple[float, int]]) -> None:
    scores, labels = [s for s, _ in pairs], [y for _, y in pairs]
    losses = [(1 + -yi * MicroValue(si)).relu() for yi, si in zip(labels, scores, strict=True)]
    reference = sum(losses) * (1.0 / len(losses))
    assert hinge(scores, labels).data == reference.data


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(finite, st.floats(0, 1)), min_size=1, max_size=6))
def test_bce_with_logits_is_the_textbook_formula(pairs: list[tuple[float, float]]) -> None:
    with localcontext() as ctx:
        ctx.prec = 40
        check_bce(pairs)


def check_bce(pairs: list[tuple[float, float]]) -> None:
    zs = [Value(z) for z, _ in pairs]
    ys = [y for _, y in pairs]
    loss = bce_with_logits(zs, ys)
    loss.backward()
    n = len(pairs)

    def sigmoid(z: float) -> Decimal:  # 40 significant digits: no cancellation in 1 - s
        return 1 / (1 + Decimal(-z).exp())

    expected = float(
        sum(
            -(Decimal(y) * sigmoid(z).ln() + (1 - Decimal(y)) * (1 - sigmoid(z)).ln())
            for z, y in pairs
        )
        / n
    )
    assert close(loss.data, expected, rel=1e-9, abs_=1e-9)
    for z, y in zip(zs, ys, strict=True):
        assert close(z.grad, float((sigmoid(z.data) - Decimal(y)) / n), rel=1e-9, abs_=1e-12)


def test_bce_with_logits_is_stable_for_huge_logits() -> None:
    z = [Value(1000.0), Value(-1000.0)]
    loss = bce_with_logits(z, [0.0, 1.0])  # both badly wrong: 1000 each
    loss.backward()
    assert loss.data == 1000.0
    assert [v.grad for v in z] == [0.5, -0.5]


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=1, max_size=5), st.data())
def test_cross_entropy_is_minus_log_softmax(row: list[float], data) -> None:
    c = data.draw(st.integers(0, len(row) - 1))
    zs = [Value(z) for z in row]
    loss = cross_entropy([zs], [c])
    loss.backward()
    total = sum(math.exp(z) for z in row)
    assert close(loss.data, -math.log(math.exp(row[c]) / total), rel=1e-9, abs_=1e-12)
    for j, z in enumerate(zs):
        assert close(z.grad, math.exp(row[j]) / total - (j == c), rel=1e-9, abs_=1e-12)


def test_cross_entropy_is_stable_for_huge_logits_and_averages() -> None:
    loss = cross_entropy([[1000.0, 0.0], [0.0, 0.0]], [1, 0])  # (1000 + log 2) / 2
    assert close(loss.data, (1000.0 + math.log(2)) / 2, rel=1e-15)


def test_l2_by_hand() -> None:
    ps = [Value(1.0), Value(-2.0)]
    reg = l2(ps, 0.5)
    reg.backward()
    assert reg.data == 2.5
    assert [p.grad for p in ps] == [1.0, -2.0]  # 2 alpha p


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: mse([1.0, 2.0], [1.0]), "mse: 2 predictions but 1 targets"),
        (lambda: mse([], []), "mse: no predictions"),
        (lambda: hinge([1.0], [0]), "hinge: labels must be -1 or \\+1, got 0 at index 0"),
        (lambda: bce_with_logits([1.0], [2.0]), "targets must lie in \\[0, 1\\], got 2.0"),
        (lambda: cross_entropy([[1.0, 2.0]], [2]), "target 2 of example 0 is not a class index"),
        (lambda: cross_entropy([[]], [0]), "example 0 has no logits"),
        (lambda: cross_entropy([], []), "cross_entropy: no predictions"),
    ],
)
def test_bad_input_is_a_clear_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
