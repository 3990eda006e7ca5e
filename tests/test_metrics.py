"""nn.metrics against plain-float formulas: the predicted class, accuracy, predict."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, accuracy, predict
from nn.losses import classification_loss
from nn.metrics import predicted_class

finite = st.floats(-30, 30, allow_nan=False)


@pytest.mark.parametrize(
    "score, expected", [(-1.0, 0), (-0.0, 0), (0.0, 0), (5e-324, 1), (2.5, 1), (math.inf, 1)]
)
def test_the_class_of_a_score_is_its_sign(score: float, expected: int) -> None:
    assert predicted_class(Value(score)) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-3, 3).map(float), min_size=1, max_size=6))
def test_the_class_of_logits_is_the_first_largest(logits: list[float]) -> None:
    assert predicted_class([Value(v) for v in logits]) == logits.index(max(logits))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(finite, st.integers(0, 1)), min_size=1, max_size=10))
def test_accuracy_counts_the_hits(pairs: list) -> None:
    hits = sum((s > 0) == bool(c) for s, c in pairs)
    got = accuracy([Value(s) for s, _ in pairs], [c for _, c in pairs])
    assert got == hits / len(pairs)


def test_accuracy_refuses_mismatched_or_empty_inputs() -> None:
    with pytest.raises(ValueError, match="accuracy: 2 outputs but 1 labels"):
        accuracy([Value(1.0), Value(-1.0)], [1])
    with pytest.raises(ValueError, match="accuracy: no outputs and no labels"):
        accuracy([], [])


def test_predict_is_the_class_of_the_model_output() -> None:
    model = MLP(2, [4, 3], rng=random.Random(3))
    for x in ([0.5, -1.0], [2.0, 0.25], [-1.5, -0.5]):
        logits = [o.data for o in model(x)]
        p = predict(model, x)
        assert p == logits.index(max(logits))


def test_metrics_refuse_bools_numpys_too_and_take_integral_labels() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(ValueError, match=r"label np\.True_ at index 0"):
        classification_loss("hinge", [Value(1.0)], [np.True_])
    with pytest.raises(ValueError, match="label True is not a class index"):
        accuracy([Value(1.0)], [True])
    assert accuracy([Value(1.0), Value(-1.0)], [np.int64(1), 0.0]) == 1.0
