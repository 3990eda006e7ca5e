"""Issue 13, found again by a review of its fixes: shared mechanisms, not one caller's checks.

Each test failed before its fix. The labels check lives in ``classification_loss`` itself, which
``fit``, the lab and the pictures all use; the command line checks what it can before training.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autograd import Value
from nn import MLP, EarlyStopping, fit, make_moons
from nn.__main__ import main
from nn.metrics import accuracy, classification_loss


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


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


def test_loading_a_multiclass_model_names_the_data_set_not_a_flag_never_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m3.json"
    common = ["--no-progress", "--no-lab", "--samples", "30", "--steps", "2"]
    code, _, _ = run_cli(
        capsys, "--out", str(tmp_path / "a"), *common, "--dataset", "blobs", "--classes", "3",
        "--save", str(path),
    )  # fmt: skip
    assert code == 0
    code, _, err = run_cli(
        capsys, "--out", str(tmp_path / "b"), *common, "--load", str(path), "--evaluate"
    )
    assert code == 1
    assert "has 3 classes, but --dataset moons has 2" in err and "--classes" not in err
    code, out, _ = run_cli(
        capsys, "--out", str(tmp_path / "c"), *common, "--load", str(path), "--evaluate",
        "--dataset", "blobs",
    )  # fmt: skip
    assert code == 0 and "final:" in out


def test_options_that_cannot_work_are_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "--out", "/dev/null/x", "--no-progress", "--steps", "1")
    assert code == 1 and "Not a directory" in err and "trained" not in out
    with pytest.raises(SystemExit) as stop:
        main(["--out", str(tmp_path), "--classes", "1", "--dataset", "blobs"])
    assert stop.value.code == 2
    assert "--classes 1: a classifier needs at least 2 classes" in capsys.readouterr().err


def test_the_full_elementwise_graph_of_the_default_demo_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("graphviz")
    code, _, err = run_cli(
        capsys, "--out", str(tmp_path), "--no-progress", "--no-lab", "--steps", "1",
        "--graph", "full", "--elementwise",
    )  # fmt: skip
    assert code == 0 and "graph.svg not written" not in err, err
    assert (tmp_path / "graph.svg").stat().st_size > 0


def test_metrics_refuse_bools_numpys_too_and_take_integral_labels() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(ValueError, match=r"label np\.True_ at index 0"):
        classification_loss("hinge", [Value(1.0)], [np.True_])
    with pytest.raises(ValueError, match="label True is not a class index"):
        accuracy([Value(1.0)], [True])
    assert accuracy([Value(1.0), Value(-1.0)], [np.int64(1), 0.0]) == 1.0
