"""micrograd's ``nn`` idioms, run unchanged against ``nn``, with micrograd 0.1.0 as the oracle.

Each idiom is written once, as a function of the library (its ``Value`` and its ``nn``
classes), exactly as micrograd's README, lecture and demo notebook spell it; the test runs the
same source with micrograd and with this library and compares the numbers.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import micrograd.engine
import micrograd.nn
import numpy as np
import pytest

import autograd
import nn
from tests.programs import close

MICROGRAD = SimpleNamespace(
    Value=micrograd.engine.Value,
    Neuron=micrograd.nn.Neuron,
    Layer=micrograd.nn.Layer,
    MLP=micrograd.nn.MLP,
)
VALUEGRAD = SimpleNamespace(Value=autograd.Value, Neuron=nn.Neuron, Layer=nn.Layer, MLP=nn.MLP)
LIBRARIES = {"micrograd": MICROGRAD, "valuegrad": VALUEGRAD}


def build(lib: SimpleNamespace, seed: int) -> dict:
    """Building modules as the README and the lecture do, and reading them back."""
    random.seed(seed)
    n = lib.Neuron(2)
    layer = lib.Layer(2, 3)
    model = lib.MLP(3, [4, 4, 1])
    x = [2.0, 3.0]
    return {
        "neuron": n(x).data,
        "layer": [o.data for o in layer(x)],
        "model": model([2.0, 3.0, -1.0]).data,
        "count": len(model.parameters()),
        "params": [p.data for p in model.parameters()],
        "repr": repr(model),
        "linear": repr(lib.Neuron(2, nonlin=False)),
    }


def test_building_modules_matches_micrograd() -> None:
    for seed in (0, 1337):
        ours, theirs = build(VALUEGRAD, seed), build(MICROGRAD, seed)
        assert ours == theirs  # bitwise: the same weights, the same forward values
        assert ours["count"] == 41  # 3*4+4 + 4*4+4 + 4*1+1


@pytest.mark.parametrize("sizes", [[1], [16, 16, 1], [5, 3, 2], [2, 7, 7, 4]])
def test_parameter_count_and_order_match_micrograd(sizes: list[int]) -> None:
    random.seed(3)
    ours = nn.MLP(2, sizes)
    random.seed(3)
    theirs = micrograd.nn.MLP(2, sizes)
    assert len(ours.parameters()) == len(theirs.parameters())
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]


def lecture_loop(lib: SimpleNamespace, steps: int, *, use_zero_grad: bool) -> list[float]:
    """The lecture's training loop (squared error on four examples, ``p.data += -lr * p.grad``)."""
    random.seed(42)
    n = lib.MLP(3, [4, 4, 1])
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        ypred = [n(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred))  # verbatim: plain zip
        if use_zero_grad:
            n.zero_grad()
        else:
            for p in n.parameters():
                p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    return losses


@pytest.mark.parametrize("use_zero_grad", [True, False])
def test_the_lecture_loop_matches_micrograd(use_zero_grad: bool) -> None:
    ours = lecture_loop(VALUEGRAD, 20, use_zero_grad=use_zero_grad)
    theirs = lecture_loop(MICROGRAD, 20, use_zero_grad=use_zero_grad)
    assert ours[0] == theirs[0]
    assert len(ours) == len(theirs) == 20
    for a, b in zip(ours, theirs, strict=True):
        assert close(a, b, rel=1e-12, abs_=1e-15)
    assert ours[-1] < ours[0]  # it learns (same as micrograd, checked above)


def demo_notebook(lib: SimpleNamespace, steps: int) -> tuple[str, int, list[tuple[float, float]]]:
    """micrograd's demo.ipynb, cell by cell (sklearn's moons replaced by nn's, numpy arrays)."""
    X, y = nn.make_moons(n_samples=100, noise=0.1, seed=1337)
    X, y = np.array(X), np.array(y)
    y = y * 2 - 1  # make y be -1 or 1
    Value = lib.Value
    random.seed(1337)
    model = lib.MLP(2, [16, 16, 1])  # 2-layer neural network
    shown, count = str(model), len(model.parameters())

    def loss(batch_size=None):
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]

        # forward the model to get scores
        scores = list(map(model, inputs))

        # svm "max-margin" loss
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]  # verbatim
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))  # noqa: UP034 (verbatim)
        total_loss = data_loss + reg_loss

        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]  # verbatim
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        # forward
        total_loss, acc = loss()

        # backward
        model.zero_grad()
        total_loss.backward()

        # update (sgd)
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad

        history.append((total_loss.data, acc))
    return shown, count, history


def test_the_demo_notebook_runs_unchanged_and_matches_micrograd() -> None:
    ours = demo_notebook(VALUEGRAD, 3)
    theirs = demo_notebook(MICROGRAD, 3)
    assert ours[:2] == theirs[:2]  # print(model), number of parameters (337)
    assert ours[1] == 337
    assert ours[2][0] == theirs[2][0]  # the first loss and accuracy bit for bit
    for (loss, acc), (ref_loss, ref_acc) in zip(ours[2], theirs[2], strict=True):
        assert close(loss, ref_loss, rel=1e-12, abs_=0.0)
        assert acc == ref_acc
