"""Pictures of training, drawn with matplotlib's Agg backend (no screen)."""

from __future__ import annotations

import random

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from nn import MLP, make_moons  # noqa: E402
from nn.metrics import predict  # noqa: E402
from nn.plots import decision_boundary, loss_curves, trajectory  # noqa: E402
from nn.train import History, fit  # noqa: E402


def test_loss_curves_draw_one_labelled_line_per_run() -> None:
    runs = {
        "GD": History("GD", [{"step": k, "loss": 1.0 / (k + 1)} for k in range(5)]),
        "SGD": History("SGD", [{"step": k, "loss": 2.0 / (k + 1)} for k in range(7)]),
    }
    ax = loss_curves(runs)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["GD (last 0.2)", "SGD (last 0.2857)"]
    assert list(lines[1].get_xdata()) == list(range(7))
    assert list(lines[0].get_ydata()) == [1.0 / (k + 1) for k in range(5)]
    assert ax.get_yscale() == "log"


def test_loss_curves_with_validation_add_the_validation_loss_where_recorded() -> None:
    """``validation=True``: each run's val_loss too (dashed, at the steps that validated, as
    with validate_every); a run that never validated gets no empty line in the legend."""
    validated = History(
        "GD",
        [
            {"step": k, "loss": 1.0 / (k + 1), **({"val_loss": 3.0 - k} if k % 2 else {})}
            for k in range(5)
        ],
    )
    plain = History("SGD", [{"step": k, "loss": 2.0} for k in range(3)])
    ax = loss_curves({"a": validated, "b": plain}, validation=True)
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == [
        "a: training (last 0.2)",
        "a: validation (last 0)",
        "b: training (last 2)",
    ]
    val = lines["a: validation (last 0)"]
    assert list(val.get_xdata()) == [1, 3] and list(val.get_ydata()) == [2.0, 0.0]
    assert (
        val.get_linestyle() == "--"
        and val.get_color() == lines["a: training (last 0.2)"].get_color()
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(lines)


def test_decision_boundary_colours_the_plane_by_the_models_prediction() -> None:
    X, y = make_moons(40, noise=0.1, seed=0)
    random.seed(0)
    model = MLP(2, [8, 8, 1])
    fit(model, X, y, lr=0.5, steps=20, progress=False)
    ax = decision_boundary(model, X, y, resolution=20)
    points = ax.collections[-2:]  # one scatter per class, drawn last
    assert [p.get_label() for p in points] == ["class 0", "class 1"]
    assert sum(len(p.get_offsets()) for p in points) == len(X)
    assert len(points[1].get_offsets()) == sum(y)
    # the classes in the lab's colours (purple, green: red and blue are the gradient's sign)
    from matplotlib.colors import to_hex

    assert [to_hex(p.get_facecolor()[0]) for p in points] == ["#762a83", "#1b7837"]
    with pytest.raises(ValueError, match="needs 2-D inputs, these have 3 features"):
        decision_boundary(model, [[0.0, 1.0, 2.0]], [0])
    with pytest.raises(ValueError, match="needs 2-D inputs, these have 1 feature "):
        decision_boundary(model, [[0.0]], [0])
    with pytest.raises(ValueError, match=r"the inputs differ in length: \[2, 3\]"):
        decision_boundary(model, [[0.0, 1.0], [0.0, 1.0, 2.0]], [0, 1])
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x0", "x1")
    named = decision_boundary(model, X, y, resolution=5, feature_names=["petal cm", "sepal cm"])
    assert (named.get_xlabel(), named.get_ylabel()) == ("petal cm", "sepal cm")
    with pytest.raises(ValueError, match="feature_names must be 2 names, one per input, got"):
        decision_boundary(model, X, y, resolution=5, feature_names=["only one"])
    predictions = [predict(model, x) for x in X]  # the class is the sign of the score
    assert predictions == [int(model(x).data > 0) for x in X] and set(predictions) == {0, 1}


def test_trajectory_in_one_and_two_dimensions_marks_start_and_end() -> None:
    ax = trajectory(lambda t: (t * t - 1) ** 2, {"GD": [1.5, 1.2, 1.0]}, xlim=(-2, 2))
    path = next(line for line in ax.get_lines() if line.get_label() == "GD")
    assert list(path.get_xdata()) == [1.5, 1.2, 1.0]
    assert list(path.get_ydata()) == [(t * t - 1) ** 2 for t in (1.5, 1.2, 1.0)]
    ax = trajectory(
        lambda a, b: a * a + 3 * b * b,
        {"momentum": [(1, 1), (0.5, -0.2), (0, 0)]},
        xlim=(-1, 1),
        ylim=(-1, 1),
        resolution=15,
    )
    path = next(line for line in ax.get_lines() if line.get_label() == "momentum")
    assert list(path.get_ydata()) == [1, -0.2, 0]
    assert ax.collections  # the contour lines
