"""nn.fit(compile=...) and the command line's --compile: the engine's history, bit for bit in
python mode; what fit cannot compile is refused; diverging training leaves the engine's
gradients.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable

import pytest

from autograd import (
    Value,
)
from nn import GD, MLP, Module, fit, make_moons
from nn.cli import main
from nn.schedules import LinearDecay
from nn.train import TrainingDiverged
from tests.compiled import (
    MODES,
    assert_same,
    bits,
)


def demo_fit(compile_mode: object, steps: int = 5, **kwargs: object) -> tuple[object, list]:
    X, y = make_moons(100, noise=0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(
        model,
        X,
        y,
        loss=kwargs.pop("loss", "hinge"),  # type: ignore[arg-type]
        alpha=1e-4,
        steps=steps,
        optimizer=GD(model.parameters(), lr=1.0),
        schedule=LinearDecay(1.0, 0.9, 100),
        progress=False,
        compile=compile_mode,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse"])
def test_fit_compiled_in_python_is_the_engine_bit_for_bit(loss: str) -> None:
    reference, weights = demo_fit(False, loss=loss)
    history, compiled_weights = demo_fit("python", loss=loss)
    assert history.records == reference.records  # type: ignore[attr-defined]
    assert list(map(bits, compiled_weights)) == list(map(bits, weights))


def test_fit_compiled_with_minibatches_of_every_size() -> None:
    # 100 examples in batches of 30: the last batch of each epoch has 10 (another n).
    reference, weights = demo_fit(False, steps=8, batch_size=30)
    history, compiled_weights = demo_fit("python", steps=8, batch_size=30)
    assert history.records == reference.records  # type: ignore[attr-defined]
    assert compiled_weights == weights


def test_fit_compiled_in_numpy_is_within_1e12() -> None:
    pytest.importorskip("numpy")
    reference, weights = demo_fit(False, steps=10)
    history, compiled_weights = demo_fit("numpy", steps=10)
    for a, b in zip(history["loss"], reference["loss"], strict=True):  # type: ignore[index]
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    assert history["accuracy"] == reference["accuracy"]  # type: ignore[index]
    for a, b in zip(compiled_weights, weights, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_fit_refuses_what_it_cannot_compile() -> None:
    X, y = make_moons(10, noise=0.1, seed=1)
    with pytest.raises(ValueError, match="'cross_entropy' cannot be compiled"):
        fit(MLP(2, [2]), X, y, loss="cross_entropy", steps=1, progress=False, compile="python")
    with pytest.raises(ValueError, match="compile must be False, 'python' or 'numpy'"):
        demo_fit("fast")


def test_cli_compile_python_writes_the_engines_history(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    histories = {}
    for mode in ("none", "python", "numpy"):
        out = tmp_path / mode
        args = ["--out", str(out), "--steps", "6", "--no-progress", "--no-lab"]
        assert main([*args, "--compile", mode]) == 0
        histories[mode] = json.loads((out / "history.json").read_text())["records"]
    assert histories["python"] == histories["none"]
    for a, b in zip(histories["numpy"], histories["none"], strict=True):
        assert math.isclose(a["loss"], b["loss"], rel_tol=1e-12)
    with pytest.raises(SystemExit):
        main(
            ["--out", str(tmp_path), "--dataset", "blobs", "--classes", "3", "--compile", "python"]
        )
    assert "cross_entropy cannot be compiled" in capsys.readouterr().err


def test_fit_compiled_leaves_the_engines_gradients_when_training_diverges() -> None:
    rng = random.Random(1)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(13)]
    y = [int(a * b > 0) for a, b in X]
    grads = []
    for mode in (False, "python"):
        model = MLP(2, [4, 1], rng=random.Random(0))
        with pytest.raises(TrainingDiverged):
            fit(model, X, y, loss="mse", lr=1e3, steps=50, progress=False, compile=mode)
        grads.append([bits(p.grad) for p in model.parameters()])
    # the engine checks the loss before zero_grad and backward (the last finite step's
    # gradients stay); the compiled objective has already zeroed and written the new ones
    assert grads[0] == grads[1]


class ConstantFeature(Module):
    """An MLP fed the inputs and a constant 1.0."""

    def __init__(self) -> None:
        self.mlp = MLP(3, [3, 1])

    def _children(self):  # type: ignore[no-untyped-def]
        yield "mlp", self.mlp

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.mlp([*x, Value(1.0)])


class AuxiliaryNeuron(Module):
    """An MLP and a neuron it computes and reads nothing of (its weights are in the L2)."""

    def __init__(self, computed: bool) -> None:
        self.mlp, self.aux, self.computed = MLP(2, [3, 1]), MLP(2, [1]), computed

    def _children(self):  # type: ignore[no-untyped-def]
        yield "mlp", self.mlp
        yield "aux", self.aux

    def forward(self, x):  # type: ignore[no-untyped-def]
        if self.computed:
            self.aux(x)
        return self.mlp(x)


MODELS: dict[str, Callable[[], Module]] = {
    "constant feature": ConstantFeature,
    "auxiliary neuron computed": lambda: AuxiliaryNeuron(True),
    "unused parameters": lambda: AuxiliaryNeuron(False),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", MODELS)
def test_fit_compiles_models_with_constant_features_and_unused_parameters(
    mode: str, model: str
) -> None:
    """fit(compile=...) crashed on a constant feature or parameters only the L2 penalty reads."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    X, y = make_moons(12, noise=0.1, seed=1)
    runs = []
    for compiled in (False, mode):
        random.seed(5)
        m = MODELS[model]()
        history = fit(
            m,
            X,
            y,
            steps=3,
            alpha=1e-2,
            optimizer=GD(m.parameters(), lr=0.5),
            progress=False,
            compile=compiled,  # type: ignore[arg-type]
        )
        runs.append((history["loss"], [p.data for p in m.parameters()]))  # type: ignore[index]
    (losses, weights), (reference_losses, reference_weights) = runs[1], runs[0]
    assert_same(losses, reference_losses, mode)
    assert_same(weights, reference_weights, mode)
