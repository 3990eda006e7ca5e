"""One policy for every part of nn (nn._validate): bools are never numbers, hyperparameters
are finite and in range, and each refusal names the operation and the parameter."""

from __future__ import annotations

import math

import pytest

from autograd import Value
from nn import (
    GD,
    MLP,
    SGD,
    Adam,
    EarlyStopping,
    Layer,
    Neuron,
    fit,
    hinge,
    l2,
)
from nn.schedules import LinearDecay


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Neuron(True), "Neuron: nin must be a positive integer, got True"),
        (lambda: Layer(2, True), "Layer: nout must be a positive integer, got True"),
        (lambda: MLP(2, [4, True]), "MLP: nouts[1] must be a positive integer, got True"),
        (lambda: GD([Value(1.0)], lr=math.inf), "GD: lr must be a finite number >= 0, got inf"),
        (lambda: GD([Value(1.0)], lr=True), "GD: lr must be a finite number >= 0, got True"),
        (
            lambda: SGD([Value(1.0)], lr=0.1, momentum=math.inf),
            "SGD: momentum must be a finite number in [0, 1), got inf",
        ),
        (lambda: Adam([Value(1.0)], eps=math.inf), "Adam: eps must be a finite number >= 0"),
        (lambda: Adam([Value(1.0)], betas=(True, 0.9)), "Adam: beta1 must be a finite number"),
        (lambda: l2([Value(1.0)], -1.0), "l2: alpha must be a finite number >= 0, got -1.0"),
        (
            lambda: fit(MLP(2, [1]), [[0, 0]], [0], alpha=math.inf, steps=1, progress=False),
            "fit: alpha must be a finite number >= 0, got inf",
        ),
        (lambda: hinge([1.0], [True]), "hinge: labels must be -1 or +1, got True"),
        (lambda: EarlyStopping(patience=True), "EarlyStopping: patience must be a positive"),
        (lambda: LinearDecay(1.0, 0.5, True), "LinearDecay: steps must be a positive integer"),
    ],
)
def test_one_policy_for_bools_and_non_finite_hyperparameters(make, message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert message in str(info.value)
