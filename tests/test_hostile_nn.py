"""Issue 13, the ``nn`` half: no silent wrong answers. One test per hostile input.

Each test checks real behaviour against an independent reference (a formula, mpmath, a
measurement, the training run's own report) and failed on the code before the fix.
"""

from __future__ import annotations

import errno
import json
import math
import os
import random
import tempfile
import time
import tracemalloc
from pathlib import Path

import pytest

from autograd import Value
from nn import (
    GD,
    MLP,
    SGD,
    Adam,
    CosineDecay,
    EarlyStopping,
    Layer,
    LinearDecay,
    LRScheduler,
    Neuron,
    StateError,
    StepDecay,
    Trainer,
    bce_with_logits,
    cross_entropy,
    fit,
    hinge,
    l2,
    load,
    make_moons,
    save,
)
from nn.__main__ import main


def weights(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- 1. labels the loss cannot take ------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, labels, shown",
    [
        ("mse", [-1, 1, 1, -1], "-1"),  # trained on targets -3/+1 before
        ("mse", [0, 2, 1, 0], "2"),  # target 3 before
        ("hinge", [0, 1, 2, 1], "2"),  # the old message said "got 3"
        ("bce", [0, 0.5, 1, 1], "0.5"),  # the old message said "got 0.0" for the hinge
        ("hinge", [0, True, 1, 0], "True"),  # a bool is not a class label
        ("cross_entropy", [0, 1, 3, 2], "3"),  # a model with 3 outputs: classes 0, 1, 2
    ],
)
def test_fit_refuses_labels_the_loss_cannot_take_before_training(loss, labels, shown) -> None:
    X = [[0.1, 0.2], [0.3, -0.1], [-0.5, 0.4], [0.2, 0.2]]
    model = MLP(2, [4, 3 if loss == "cross_entropy" else 1], rng=random.Random(0))
    before = weights(model)
    with pytest.raises(ValueError) as info:
        fit(model, X, labels, loss=loss, steps=3, progress=False)
    index = [repr(label) for label in labels].index(shown)
    assert f"label {shown} at index {index}" in str(info.value)
    assert f"loss={loss!r}" in str(info.value)
    assert weights(model) == before  # refused before the first step


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


# -- 2. validation data of different lengths -------------------------------------------------


def test_fit_refuses_validation_data_of_different_lengths() -> None:
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], rng=random.Random(0))
    before = weights(model)
    with pytest.raises(ValueError, match="fit: 5 val inputs but 4 val labels"):
        fit(model, X, y, val=(X[:5], y[:4]), steps=2, progress=False)
    with pytest.raises(ValueError, match="fit: 20 inputs but 19 labels"):
        fit(model, X, y[:19], steps=2, progress=False)
    with pytest.raises(ValueError, match="fit: no val data"):
        fit(model, X, y, val=([], []), steps=2, progress=False)
    assert weights(model) == before


# -- 3. schedules ------------------------------------------------------------------------------


def test_schedules_never_give_a_negative_rate_and_refuse_zero_steps() -> None:
    # LinearDecay(0.1, 0.3, 20): lr_k = 0.1 - 0.3 k / 20 < 0 from k = 7 on (0.1 / 0.015 = 6.7)
    with pytest.raises(ValueError, match=r"LinearDecay: drop must be <= start=0.1, got 0.3"):
        LinearDecay(0.1, 0.3, 20)
    for make, name in [
        (lambda: LinearDecay(1, 0.9, 0), "LinearDecay: steps"),
        (lambda: CosineDecay(1, 0), "CosineDecay: steps"),
        (lambda: StepDecay(1, every=0), "StepDecay: every"),
        (lambda: StepDecay(1, every=2, gamma=-0.5), "StepDecay: gamma"),
        (lambda: CosineDecay(1, 10, lr_min=-0.1), "CosineDecay: lr_min"),
        (lambda: LinearDecay(math.inf, 0, 10), "LinearDecay: start"),
    ]:
        with pytest.raises(ValueError, match=name):
            make()
    # a decay to exactly 0 is fine, and every rate on the way is >= 0
    schedule = LinearDecay(0.3, 0.3, 7)
    assert all(schedule(k) >= 0 for k in range(20)) and schedule(7) == 0
    # a hand-written schedule goes through the optimizer's own check of lr
    p = Value(1.0)
    opt = GD([p], lr=0.5)
    scheduler = LRScheduler(opt, lambda k: 0.1 - 0.02 * k)
    for _ in range(5):
        scheduler.step()  # k = 5: 0.1 - 0.1 = 0, allowed
    with pytest.raises(ValueError, match=r"LRScheduler: step 6 .* lr must be a finite number >= 0"):
        scheduler.step()
    assert opt.lr == 0.1 - 0.02 * 5  # the last rate accepted, not the refused one
    with pytest.raises(ValueError, match="got nan"):
        LRScheduler(GD([p], lr=0.5), lambda k: math.nan)


# -- 4. the command line remembers the architecture -------------------------------------------


def test_cli_load_rebuilds_the_saved_architecture(tmp_path: Path, capsys) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "m.json"
    common = ["--no-progress", "--graph-backend", "auto", "--samples", "40"]
    code, out, _ = run_cli(
        capsys, "--out", str(tmp_path / "a"), *common, "--activation", "tanh",
        "--hidden", "8,4", "--steps", "30", "--save", str(path),
    )  # fmt: skip
    assert code == 0
    trained = out.split("final: ")[1].splitlines()[0]
    # no flags: the file says what the model is, and evaluates as trained
    code, out, _ = run_cli(
        capsys, "--out", str(tmp_path / "b"), *common, "--load", str(path), "--evaluate"
    )
    assert code == 0 and out.split("final: ")[1].splitlines()[0] == trained
    # flags that contradict the file: one line, exit 1
    for flags, message in [
        (["--activation", "relu"], "--activation relu does not match"),
        (["--hidden", "16,16"], "--hidden 16,16 does not match"),
        (["--loss", "cross_entropy"], "--loss cross_entropy does not match"),
    ]:
        code, out, err = run_cli(
            capsys, "--out", str(tmp_path / "c"), *common, "--load", str(path), "--evaluate",
            *flags,
        )  # fmt: skip
        assert code == 1 and err.startswith("error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err
    # the library refuses it too: a tanh file into a ReLU model of the same shape
    relu = MLP(2, [8, 4, 1])
    with pytest.raises(StateError, match="activation='tanh'"):
        load(relu, path)
    # an older file without the architecture still loads with the flags
    payload = json.loads(path.read_text())
    del payload["architecture"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(payload))
    code, out, _ = run_cli(
        capsys, "--out", str(tmp_path / "d"), *common, "--load", str(old), "--evaluate",
        "--activation", "tanh", "--hidden", "8,4",
    )  # fmt: skip
    assert code == 0 and out.split("final: ")[1].splitlines()[0] == trained
    # a hostile architecture is refused, never built
    for architecture, message in [
        ({**payload["state"]}, "'architecture': expected the keys"),
        ({"nin": True, "nouts": [8, 4, 1], "activation": "tanh", "output_activation": "linear"},
         "'architecture.nin': expected a positive int, got True"),
        ({"nin": 2, "nouts": [10**9, 1], "activation": "tanh", "output_activation": "linear"},
         "does not match the state"),
        ({"nin": 2, "nouts": [8, 4, 1], "activation": "__import__", "output_activation": "linear"},
         "'architecture.activation': expected one of"),
    ]:  # fmt: skip
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({**payload, "architecture": architecture}))
        code, _, err = run_cli(capsys, "--out", str(tmp_path / "e"), "--load", str(bad))
        assert code == 1 and message in err and len(err) < 400


# -- 5. bce_with_logits to full precision -------------------------------------------------------


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


# -- 6. early stopping on a key that is never recorded -----------------------------------------


@pytest.mark.parametrize(
    "monitor, with_val, message",
    [
        ("val_loss", False, "monitor 'val_loss' is not recorded; the history records "
         "['accuracy', 'loss', 'lr', 'step']; validation metrics need validation data"),
        ("val_los", True, "monitor 'val_los' is not recorded; the history records "
         "['accuracy', 'loss', 'lr', 'step', 'val_accuracy', 'val_loss']"),
    ],
)  # fmt: skip
def test_early_stopping_refuses_a_monitor_that_is_never_recorded(
    monitor: str, with_val: bool, message: str
) -> None:
    X, y = make_moons(20, noise=0.1, seed=0)
    steps = []

    def count(history) -> None:
        steps.append(len(history))

    with pytest.raises(ValueError) as info:
        fit(
            MLP(2, [4, 1], rng=random.Random(0)), X, y, steps=50, progress=False,
            val=(X, y) if with_val else None, callbacks=[count, EarlyStopping(monitor=monitor)],
        )  # fmt: skip
    assert message in str(info.value)
    assert steps == []  # fit checks before the first step: no weight has changed
    # with validate_every, the check waits for the first validation
    w = Value(1.0)
    trainer = Trainer(
        lambda batch: w * w,
        GD([w], lr=0.1),
        validate=lambda: {"val_loss": w.data**2},
        validate_every=3,
        callbacks=[EarlyStopping(patience=100)],
        progress=False,
    )
    assert len(trainer.run([0], steps=10)) == 10


# -- 7. states that load but break later -------------------------------------------------------


def test_optimizer_states_are_validated_by_value_and_errors_quote_little(tmp_path: Path) -> None:
    p = Value(1.0)
    adam = Adam([p], lr=0.01)
    p.grad = 0.5
    adam.step()
    good = adam.state_dict()
    for state, message in [
        ({**good, "buffers": {"m": [0.1], "v": [-1.0]}}, "'buffers.v.0': expected a finite"),
        ({**good, "step": 10**400}, "'step': expected an int in [0, 2**53]"),
        ({**good, "step": True}, "'step': expected an int"),
        ({**good, "step": 10**5000}, "got <int too large to show>"),
        ({**good, "hyper": {**good["hyper"], "eps": math.inf}}, "'hyper.eps': expected a finite"),
    ]:  # fmt: skip
        with pytest.raises(StateError) as info:
            adam.load_state_dict(state)
        assert message in str(info.value) and len(str(info.value)) < 200
        assert adam.state_dict() == good
    sgd = SGD([p], lr=0.1, momentum=0.9)
    with pytest.raises(StateError, match="SGD: momentum must be a finite number in \\[0, 1\\)"):
        sgd.load_state_dict({**sgd.state_dict(), "hyper": {**sgd.state_dict()["hyper"],
                                                           "momentum": 1.5}})  # fmt: skip
    # "version": true is not version 1
    path = tmp_path / "adam.json"
    save(adam, path)
    payload = json.loads(path.read_text())
    path.write_text(json.dumps({**payload, "version": True}))
    with pytest.raises(StateError, match="version True"):
        load(Adam([p]), path)
    # a 5 MB key: the message quotes at most ~80 characters of it
    huge = "k" * 5_000_000
    for target, state in [
        (Adam([p]), {**good, "hyper": {**good["hyper"], huge: 1.0}}),
        (MLP(2, [1]), {**MLP(2, [1]).state_dict(), huge: 1.0}),
    ]:
        with pytest.raises(StateError) as info:
            target.load_state_dict(state)
        assert len(str(info.value)) < 400 and "…" in str(info.value)
    payload = {**payload, "kind": huge}
    path.write_text(json.dumps(payload))
    with pytest.raises(StateError) as info:
        load(Adam([p]), path)
    assert len(str(info.value)) < 400


# -- 8. sizes that cannot fit ------------------------------------------------------------------


def test_cli_refuses_sizes_that_cannot_fit_in_memory_up_front(tmp_path: Path, capsys) -> None:
    from nn.__main__ import build_parser, estimated_bytes, memory_limit

    for flags in (["--hidden", "10000,10000"], ["--samples", "100000000"]):
        start = time.perf_counter()
        code, _, err = run_cli(capsys, "--out", str(tmp_path), "--no-progress", *flags)
        assert time.perf_counter() - start < 5
        assert code == 1 and err.startswith("error: this run would need about ")
        assert " available; use fewer --samples" in err and err.count("\n") == 1
        need = float(err.split("about ")[1].split(" GiB")[0])
        assert need * 2**30 > memory_limit()
    # the estimate is an upper bound of what one training step really allocates, within 3x
    for flags in (["--hidden", "32,32"], ["--hidden", "8", "--elementwise"]):
        args = build_parser().parse_args(["--samples", "60", "--steps", "1", *flags])
        X, y = make_moons(60, noise=0.1, seed=0)
        tracemalloc.start()
        model = MLP(2, [*args.hidden, 1], fused=not args.elementwise)
        fit(model, X, y, steps=1, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= estimated_bytes(args, "hinge") <= 3 * peak


# -- 9. failed saves name the target ----------------------------------------------------------


def test_a_failed_save_names_the_target_not_the_temporary_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "m.json"
    model = MLP(2, [2, 1], rng=random.Random(0))
    real_mkstemp = tempfile.mkstemp

    def read_only_folder(*args, **kwargs):  # what mkstemp raises in a folder we cannot write
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        os.unlink(name)
        raise PermissionError(errno.EACCES, "Permission denied", name)

    monkeypatch.setattr(tempfile, "mkstemp", read_only_folder)
    with pytest.raises(PermissionError) as info:
        save(model, target)
    assert info.value.errno == errno.EACCES and info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and str(target) in str(info.value)
    monkeypatch.undo()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError) as info:
        save(model, target)
    assert info.value.errno == errno.ENOSPC and str(target) in str(info.value)
    assert os.listdir(tmp_path) == []  # the temporary file is gone


# -- 10. one policy for bools and for hyperparameters ------------------------------------------


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
