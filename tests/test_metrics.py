"""nn.metrics against plain-float formulas: the losses by name, the predicted class, accuracy."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import MLP, accuracy, predict
from nn.losses import LOSSES, classification_loss
from nn.metrics import predicted_class

finite = st.floats(-30, 30, allow_nan=False)


def reference_loss(loss: str, outputs: list, labels: list[int]) -> float:
    """The mean loss from its textbook formula, on floats (math, not the engine)."""
    terms = []
    for o, c in zip(outputs, labels, strict=True):
        if loss == "cross_entropy":
            z = o if isinstance(o, list) else [o]
            top = max(z)
            terms.append(top + math.log(sum(math.exp(v - top) for v in z)) - z[c])
            continue
        t = 2 * c - 1
        if loss == "hinge":
            terms.append(max(0.0, 1.0 - t * o))
        elif loss == "mse":
            terms.append((o - t) ** 2)
        else:  # bce on the logit: -[c log sigmoid(o) + (1 - c) log(1 - sigmoid(o))]
            terms.append(max(o, 0.0) - o * c + math.log1p(math.exp(-abs(o))))
    return sum(terms) / len(terms)


@settings(max_examples=60, deadline=None)
@given(
    loss=st.sampled_from(["hinge", "bce", "mse"]),
    pairs=st.lists(st.tuples(finite, st.integers(0, 1)), min_size=1, max_size=8),
)
def test_one_output_losses_match_their_formulas(loss: str, pairs: list) -> None:
    scores, labels = [s for s, _ in pairs], [c for _, c in pairs]
    got = classification_loss(loss, [Value(s) for s in scores], labels).data
    assert math.isclose(got, reference_loss(loss, scores, labels), rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 4),
    rows=st.lists(
        st.tuples(st.lists(finite, min_size=4, max_size=4), st.integers(0, 3)),
        min_size=1,
        max_size=6,
    ),
)
def test_cross_entropy_matches_log_softmax(k: int, rows: list) -> None:
    logits = [z[:k] for z, _ in rows]
    labels = [c % k for _, c in rows]
    got = classification_loss("cross_entropy", [[Value(v) for v in z] for z in logits], labels)
    assert math.isclose(
        got.data, reference_loss("cross_entropy", logits, labels), rel_tol=1e-9, abs_tol=1e-12
    )


def test_unknown_loss_and_several_outputs_are_errors() -> None:
    with pytest.raises(ValueError, match="classification_loss: unknown loss 'hinj'"):
        classification_loss("hinj", [Value(1.0)], [1])
    with pytest.raises(ValueError, match="needs a model with one output, got 2"):
        classification_loss("hinge", [[Value(1.0), Value(2.0)]], [1])
    assert set(LOSSES) == {"hinge", "bce", "mse", "cross_entropy"}


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
