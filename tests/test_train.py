"""The trainer: GD vs SGD measured over seeded runs, divergence, callbacks, history, fit()."""

from __future__ import annotations

import io
import itertools
import math
import os
import random
import struct
import subprocess
import sys
import time

import pytest

from autograd import Value
from nn import (
    GD,
    MLP,
    SGD,
    Adam,
    EarlyStopping,
    History,
    Trainer,
    TrainingDiverged,
    fit,
    make_moons,
    predict,
)
from nn.datasets import batches
from nn.schedules import LinearDecay
from tests.micrograd_demo import moons, valuegrad_run


def weights(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


# -- two valleys -------------------------------------------------------------------------------
# One parameter t and a data set of ten numbers c_i = +-4. Example i's loss is
#     l_i(t) = (t^2 - 1)^2 + 0.3 t + c_i t,
# so the full-batch loss (the c_i average to 0) is the tilted double well (t^2 - 1)^2 + 0.3 t:
# a shallow valley near t = +0.96 and a deeper one near t = -1.04. One example's gradient
# is the true gradient plus c_i: the noise of a mini-batch.
VALLEY_DATA = [4.0, -4.0] * 5
START = 1.5  # on the slope of the shallow valley


def valley_loss(batch: list[float], t: Value) -> Value:
    return sum(((t * t - 1) ** 2 + 0.3 * t + c * t for c in batch), Value(0.0)) * (1 / len(batch))


def run_valleys(
    batch_size: int | None, seed: int, *, momentum: float = 0.0, start: float = START
) -> float:
    t = Value(start)
    optimizer = SGD([t], lr=0.1, momentum=momentum) if momentum else GD([t], lr=0.1)
    trainer = Trainer(
        lambda batch: valley_loss(batch, t),
        optimizer,
        schedule=LinearDecay(0.1, 0.09, 300),
        progress=False,
    )
    trainer.run(VALLEY_DATA, steps=300, batch_size=batch_size, seed=seed)
    return t.data


SEEDS = range(40)


def test_full_batch_gd_settles_in_the_nearer_shallow_valley_every_time() -> None:
    ends = {round(run_valleys(None, seed), 12) for seed in SEEDS}
    assert len(ends) == 1  # no randomness at all: the seed plays no part
    (end,) = ends
    assert 0.9 < end < 1.0


def test_sgd_noise_carries_most_runs_into_the_deeper_valley() -> None:
    ends = [run_valleys(1, seed) for seed in SEEDS]
    deep = sum(end < 0 for end in ends) / len(ends)
    assert deep >= 0.5, deep  # measured: about 0.75 over 200 seeds
    assert all(abs(abs(end) - 1) < 0.25 for end in ends)  # and each run ends in a valley


def test_sgd_can_also_leave_the_deep_valley_it_does_not_know_which_is_best() -> None:
    # Started in the deep valley, the same noise throws some runs out of it (fewer, since
    # its walls are higher): SGD has no knowledge of where the best point is.
    ends = [run_valleys(1, seed, start=-1.5) for seed in SEEDS]
    stayed = sum(end < 0 for end in ends) / len(ends)
    left_shallow = sum(run_valleys(1, seed) > 0 for seed in SEEDS) / len(SEEDS)
    assert stayed > 1 - left_shallow  # the deep valley holds its runs better


def test_momentum_rolls_full_batch_gd_over_the_hill_into_the_deeper_valley() -> None:
    assert run_valleys(None, 0, momentum=0.9) < 0
    assert run_valleys(None, 0, momentum=0.5) > 0  # too little velocity to get over


# -- the trainer's mechanics -------------------------------------------------------------------


def sgd_batches(seed: int) -> tuple[History, list[list[int]]]:
    """Three epochs of SGD over 0..9 in batches of 4, and the batches the objective saw."""
    seen: list[list[int]] = []
    w = Value(1.0)

    def objective(batch):
        seen.append(list(batch))
        return w * len(batch)

    history = Trainer(objective, GD([w], lr=0.0), progress=False).run(
        list(range(10)), epochs=3, batch_size=4, seed=seed
    )
    return history, seen


def test_each_sgd_epoch_covers_the_data_once_in_a_seeded_order() -> None:
    history, seen = sgd_batches(seed=7)
    assert len(history) == 9 and [len(b) for b in seen] == [4, 4, 2] * 3
    epochs = [list(itertools.chain(*seen[i : i + 3])) for i in (0, 3, 6)]
    assert all(sorted(e) == list(range(10)) for e in epochs)
    assert epochs[0] != epochs[1]  # reshuffled every epoch
    assert history.method.startswith("SGD: mini-batches of 4 of 10 examples")
    assert sgd_batches(seed=7)[1] == seen  # the same seed, the same order
    assert sgd_batches(seed=8)[1] != seen


def test_sgd_batches_are_nn_data_batches_epoch_after_epoch() -> None:
    """The trainer's batches are nn.datasets.batches' with one generator for the whole run: one
    shuffle of the indices per epoch, cut in order (the notebooks' and README's numbers)."""
    _, seen = sgd_batches(seed=7)
    rng = random.Random(7)
    assert seen == [b for _ in range(3) for b in batches(list(range(10)), None, 4, rng=rng)]
    rng, expected = random.Random(7), []
    for _ in range(3):  # the rule written out: shuffle 0..n-1, then consecutive chunks
        order = list(range(10))
        rng.shuffle(order)
        expected += [order[i : i + 4] for i in range(0, 10, 4)]
    assert seen == expected


def test_gd_sees_the_whole_data_set_every_step() -> None:
    sizes = []
    w = Value(1.0)
    history = Trainer(
        lambda b: sizes.append(len(b)) or w * 1.0, GD([w], lr=0.1), progress=False
    ).run(list(range(7)), steps=4)
    assert sizes == [7, 7, 7, 7]
    assert history.method == "GD: full batch, all 7 examples every step"


def test_a_diverging_loss_stops_with_the_step_and_keeps_the_history() -> None:
    w = Value(1.0)
    trainer = Trainer(lambda batch: w * w, GD([w], lr=10.0), progress=False)
    with pytest.raises(TrainingDiverged, match=r"the loss became inf at step (\d+)") as info:
        trainer.run([0], steps=1000)
    error = info.value
    assert len(error.history) == error.step > 0
    assert all(math.isfinite(r["loss"]) for r in error.history.records)
    assert error.history["step"] == list(range(error.step))


def test_callbacks_see_the_history_and_can_stop_training() -> None:
    w = Value(3.0)
    calls = []

    def stop_at_five(history: History) -> bool:
        calls.append(len(history))
        return history.last["step"] == 5

    history = Trainer(
        lambda b: w * w, GD([w], lr=0.1), callbacks=[stop_at_five], progress=False
    ).run([0], steps=100)
    assert calls == [1, 2, 3, 4, 5, 6] and len(history) == 6


def test_early_stopping_waits_for_patience_steps_without_improvement() -> None:
    w = Value(0.0)
    losses = iter([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 3.0, 3.0, 2.0])

    def validate():
        return {"val_loss": next(losses)}

    stop = EarlyStopping(monitor="val_loss", patience=3)
    history = Trainer(
        lambda b: w * 1.0, GD([w], lr=0.0), validate=validate, callbacks=[stop], progress=False
    ).run([0], steps=9)
    assert history["val_loss"] == [5.0, 4.0, 3.0, 3.5, 3.2, 3.1]  # 3 steps without beating 3.0
    assert "did not improve" in history.stopped


def test_early_stopping_stops_on_a_plateau_and_can_maximise() -> None:
    plateau = History("GD", [{"step": k, "val_loss": 0.0} for k in range(6)])
    assert EarlyStopping(patience=5)(plateau)  # stuck at its best: no improvement
    rising = History("GD", [{"step": k, "val_accuracy": k / 10} for k in range(8)])
    assert not EarlyStopping("val_accuracy", patience=3, mode="max")(rising)
    rising.records += [{"step": 8, "val_accuracy": 0.7}] * 3
    assert EarlyStopping("val_accuracy", patience=3, mode="max")(rising)
    with pytest.raises(ValueError, match="mode must be 'min' or 'max'"):
        EarlyStopping(mode="up")


def test_schedule_sets_each_steps_learning_rate() -> None:
    w = Value(1.0)
    history = Trainer(
        lambda b: w * 1.0, GD([w], lr=1.0), schedule=LinearDecay(1.0, 0.9, 100), progress=False
    ).run([0], steps=3)
    assert history["lr"] == [1.0, 1.0 - 0.9 / 100, 1.0 - 0.9 * 2 / 100]
    assert w.data == 1.0 - sum(history["lr"])


# Three steps with the bar on, in a fresh interpreter whose stderr is a terminal or a file.
_THREE_STEPS = (
    "from autograd import Value; from nn.optim import GD; from nn.train import Trainer; "
    "w = Value(1.0); Trainer(lambda b: w * w, GD([w], lr=0.1), progress={}).run([0], steps=3)"
)


def _stderr_of_three_steps(progress: bool, terminal: bool) -> bytes:
    """What a fresh interpreter training three steps writes to a pseudo-terminal or a file."""
    command = [sys.executable, "-c", _THREE_STEPS.format(progress)]
    if not terminal:
        return subprocess.run(command, capture_output=True, check=True).stderr
    pty = pytest.importorskip("pty")  # POSIX only, as are the next two
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    leader, follower = pty.openpty()
    pytest.importorskip("tty").setraw(follower)  # no newline translation: the bytes as written
    # 24 rows of 80 columns: a new pseudo-terminal has 0 columns, where tqdm draws nothing
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    try:
        subprocess.run(command, stdout=follower, stderr=follower, check=True)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # Linux: EIO once the follower side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(leader)


def test_progress_bar_shows_on_a_terminal_and_not_in_a_redirected_file() -> None:
    pytest.importorskip("tqdm")
    on_terminal = _stderr_of_three_steps(progress=True, terminal=True)
    assert b"3/3" in on_terminal and b"\r" in on_terminal  # tqdm redraws its line on "\r"
    redirected = _stderr_of_three_steps(progress=True, terminal=False)
    assert redirected == b""  # tqdm saw no terminal: no bar, and no line of carriage returns
    assert _stderr_of_three_steps(progress=False, terminal=True) == b""


def _kernel_bar_text(monkeypatch, optimizer_class: type, steps: int) -> str:
    """What the bar of ``steps`` steps writes in a Jupyter kernel without ipywidgets, as an
    executed notebook stores it: every write to the kernel's stderr kept, carriage returns
    and all. The kernel is faked: a stream of ipykernel's module, ipywidgets unimportable
    (``sys.modules[name] = None``), and tqdm's clock reading 50 ms later each time it is read
    (a fit of a few seconds, counted in clock readings, not measured)."""
    tqdm_std = pytest.importorskip("tqdm.std")
    stream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    clock = itertools.count(time.time(), 0.05)  # from now: tqdm's monitor thread sees no stall
    monkeypatch.setattr(tqdm_std, "time", lambda: next(clock))
    monkeypatch.setattr(tqdm_std.tqdm, "monitor_interval", 0)  # and none is started for it
    w = Value(1.0)
    Trainer(lambda b: w * w, optimizer_class([w], lr=0.01), progress=True).run([0], steps=steps)
    return stream.getvalue()


def test_in_a_kernel_without_ipywidgets_the_text_bar_leaves_two_lines(monkeypatch) -> None:
    """nbclient stores each redraw of the text bar: ~40 lines for a fit of a few seconds at
    tqdm's 0.1 s. Redrawn every 10 s there, it leaves its first and its last state."""
    text = _kernel_bar_text(monkeypatch, GD, steps=60)
    lines = [line for line in text.replace("\r", "\n").splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("GD:   0%") and lines[-1].startswith("GD: 100%")
    assert "60/60" in lines[-1] and "loss=" in lines[-1]


def test_the_bar_names_an_update_that_is_not_gradient_descents(monkeypatch) -> None:
    """GD and SGD name how batches are drawn (their update is the same); Adam's bar says
    Adam, not GD."""
    assert _kernel_bar_text(monkeypatch, Adam, steps=2).lstrip("\r").startswith("Adam: ")
    assert _kernel_bar_text(monkeypatch, SGD, steps=2).lstrip("\r").startswith("GD: ")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 1, "epochs": 1}, "exactly one of steps= or epochs="),
        ({}, "exactly one of steps= or epochs="),
        ({"steps": 0}, "steps must be a positive int"),
        ({"steps": 1, "batch_size": 0}, "batch_size must be a positive int"),
    ],
)
def test_run_rejects_bad_arguments(kwargs, message) -> None:
    w = Value(1.0)
    with pytest.raises(ValueError, match=message):
        Trainer(lambda b: w * 1.0, GD([w], lr=0.1), progress=False).run([0], **kwargs)


# -- fit ---------------------------------------------------------------------------------------


def test_fit_reproduces_micrograds_demo_step_by_step() -> None:
    X, y = make_moons(100, noise=0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(model, X, y, lr=1.0, schedule=LinearDecay(1.0, 0.9, 100), steps=3, progress=False)
    X_pm, y_pm = moons()
    expected = valuegrad_run(X_pm, y_pm, [16, 16, 1], 3, 1337)  # checked against micrograd
    assert [(r["loss"], r["accuracy"]) for r in history.records] == expected


def test_fit_with_validation_and_each_loss() -> None:
    X, y = make_moons(60, noise=0.1, seed=3)
    for loss in ("hinge", "bce", "mse"):
        random.seed(0)
        model = MLP(2, [8, 1])
        history = fit(
            model,
            X[:40],
            y[:40],
            loss=loss,
            lr=0.05,
            steps=30,
            batch_size=10,
            val=(X[40:], y[40:]),
            progress=False,
        )
        first, last = history.records[0], history.records[-1]
        assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "step"} <= set(last)
        assert last["val_loss"] < first["val_loss"], loss
    random.seed(0)
    model = MLP(2, [8, 3])
    X3, y3 = [[0.0, 1.0], [1.0, 0.0], [-1.0, -1.0]] * 4, [0, 1, 2] * 4
    history = fit(model, X3, y3, loss="cross_entropy", lr=0.1, steps=40, progress=False)
    assert history.last["accuracy"] == 1.0
    assert [predict(model, x) for x in X3] == y3


def test_mse_trains_on_plus_minus_one_so_its_accuracy_and_predict_agree() -> None:

    X, y = make_moons(40, noise=0.1, seed=5)
    random.seed(1)
    model = MLP(2, [8, 8, 1])
    history = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=Adam(model.parameters(), lr=0.02),
        steps=150,
        progress=False,
    )
    assert history.last["accuracy"] >= 0.95
    assert sum(predict(model, x) == t for x, t in zip(X, y, strict=True)) / len(y) >= 0.95


def test_fit_rejects_bad_input() -> None:
    model = MLP(2, [4, 1])
    with pytest.raises(ValueError, match="fit: 2 inputs but 1 labels"):
        fit(model, [[0.0, 0.0], [1.0, 1.0]], [0], steps=1, progress=False)
    with pytest.raises(ValueError, match="unknown loss 'l1'"):
        fit(model, [[0.0, 0.0]], [0], loss="l1", steps=1, progress=False)
    with pytest.raises(ValueError, match="needs a model with one output"):
        fit(MLP(2, [4, 3]), [[0.0, 0.0]], [0], loss="hinge", steps=1, progress=False)


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


def test_fit_takes_numpy_arrays_as_before() -> None:
    np = pytest.importorskip("numpy")
    X, y = make_moons(20, noise=0.1, seed=0)
    lists = fit(MLP(2, [4, 1], rng=random.Random(0)), X, y, steps=3, progress=False)
    arrays = fit(
        MLP(2, [4, 1], rng=random.Random(0)), np.array(X), np.array(y), steps=3, progress=False
    )
    assert arrays["loss"] == lists["loss"]


def test_a_misspelled_monitor_is_refused_before_any_weight_changes() -> None:
    X, y = make_moons(20, noise=0.1, seed=0)
    model = MLP(2, [4, 1], rng=random.Random(0))
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match="monitor 'val_los' is not recorded"):
        fit(model, X, y, steps=5, progress=False, callbacks=[EarlyStopping(monitor="val_los")])
    assert [p.data for p in model.parameters()] == before
