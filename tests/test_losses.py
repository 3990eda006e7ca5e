"""Losses against hand-computed values, the textbook formulas and micrograd's demo code."""

from __future__ import annotations

import math
import random
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd.engine import Value as MicroValue

from autograd import Value
from nn import (
    MLP,
    bce_with_logits,
    cross_entropy,
    fit,
    hinge,
    l2,
    mse,
)
from nn.losses import LOSSES, classification_loss, default_loss, loss_named
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


def test_cross_entropy_takes_integral_class_indices_and_refuses_bools() -> None:
    np = pytest.importorskip("numpy")
    logits = [[0.5, -1.0, 2.0]]
    reference = math.log(sum(math.exp(z) for z in logits[0])) - logits[0][0]  # -log softmax_0
    for c in (0, np.int64(0), 0.0, np.float64(0.0)):
        assert cross_entropy(logits, [c]).data == pytest.approx(reference, rel=1e-15)
    for bad in (True, False, 0.5, "0"):
        with pytest.raises(ValueError, match="is not a class index"):
            cross_entropy(logits, [bad])
    with pytest.raises(ValueError, match="a bool is not a class"):
        cross_entropy(logits, [False])
    # and fit takes them too: the same first loss as with plain ints
    X, y = [[0.1, 0.2], [0.3, -0.1]], [0, 2]
    losses = []
    for labels in (y, [np.int64(v) for v in y], [float(v) for v in y]):
        model = MLP(2, [3], rng=random.Random(1))
        history = fit(model, X, labels, loss="cross_entropy", alpha=0, steps=1, progress=False)
        losses.append(history["loss"][0])
    assert losses[0] == losses[1] == losses[2]


@pytest.mark.parametrize("target", [0.0, 1.0, 0.3])
@pytest.mark.parametrize("z", [-50.0, -35.0, -30.0, -20.0, 0.0, 20.0, 30.0, 35.0, 50.0])
def test_bce_with_logits_is_exact_for_confident_predictions(z: float, target: float) -> None:
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(60):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(z)))
        t = mpmath.mpf(target)
        exact_loss = -(t * mpmath.log(s) + (1 - t) * mpmath.log(1 - s))
        exact_grad = s - t  # d/dz
    x = Value(z)
    loss = bce_with_logits([x], [target])
    loss.backward()
    assert loss.data == pytest.approx(float(exact_loss), rel=1e-15, abs=0)
    assert x.grad == pytest.approx(float(exact_grad), rel=1e-15, abs=0)


@pytest.mark.parametrize(
    "loss, label, shown",
    [("mse", -1, "-1"), ("hinge", 2, "2"), ("bce", 0.5, "0.5"), ("hinge", True, "True")],
)
def test_classification_loss_refuses_labels_its_loss_cannot_take(
    loss: str, label: object, shown: str
) -> None:
    with pytest.raises(ValueError, match=rf"label {shown} at index 1: loss='{loss}' takes"):
        classification_loss(loss, [Value(0.5), Value(-0.5)], [0, label])  # type: ignore[list-item]


def test_classification_loss_refuses_an_unknown_loss_instead_of_using_mse() -> None:
    with pytest.raises(ValueError, match="unknown loss 'hinj'"):
        classification_loss("hinj", [Value(0.5)], [1])


def test_the_table_holds_one_row_per_loss_and_the_callers_read_it() -> None:
    """Each row says what its model outputs, which labels it takes and whether it compiles:
    the facts fit, the command line and the lab read instead of testing the loss's name."""
    assert list(LOSSES) == ["hinge", "bce", "mse", "cross_entropy"]
    per_class = [name for name, row in LOSSES.items() if row.per_class]
    assert per_class == ["cross_entropy"]
    assert [LOSSES["hinge"].outputs(2), LOSSES["cross_entropy"].outputs(5)] == [1, 5]
    assert [name for name, row in LOSSES.items() if row.cannot_compile] == ["cross_entropy"]
    assert default_loss(2).name == "hinge" and default_loss(3).name == "cross_entropy"
    # every row's function on outputs and labels is its loss function on the mapped targets
    scores, labels = [Value(0.5), Value(-2.0)], [1, 0]
    assert LOSSES["hinge"].of(list(scores), labels).data == hinge(scores, [1, -1]).data
    assert LOSSES["mse"].of(list(scores), labels).data == mse(scores, [1.0, -1.0]).data
    assert LOSSES["bce"].of(list(scores), labels).data == bce_with_logits(scores, labels).data
    logits = [[Value(0.5), Value(1.0), Value(-1.0)]]
    assert LOSSES["cross_entropy"].of(list(logits), [2]).data == cross_entropy(logits, [2]).data
    with pytest.raises(ValueError, match=r"fit: val label 3 at index 1: loss='cross_entropy' "):
        LOSSES["cross_entropy"].labels("fit", [0, 3], 3, "val ")
    with pytest.raises(ValueError, match="unknown loss 'l1': choose from hinge, bce, mse"):
        loss_named("l1", "fit")
    with pytest.raises(ValueError, match="fit: loss='cross_entropy' cannot be compiled: it shifts"):
        fit(MLP(2, [3]), [[0.0, 1.0]], [2], loss="cross_entropy", steps=1, compile="python")


# -- classification_loss: the losses by name, against their textbook formulas on floats -------

finite_scores = st.floats(-30, 30, allow_nan=False)


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
    pairs=st.lists(st.tuples(finite_scores, st.integers(0, 1)), min_size=1, max_size=8),
)
def test_one_output_losses_match_their_formulas(loss: str, pairs: list) -> None:
    scores, labels = [s for s, _ in pairs], [c for _, c in pairs]
    got = classification_loss(loss, [Value(s) for s in scores], labels).data
    assert math.isclose(got, reference_loss(loss, scores, labels), rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    k=st.integers(2, 4),
    rows=st.lists(
        st.tuples(st.lists(finite_scores, min_size=4, max_size=4), st.integers(0, 3)),
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
