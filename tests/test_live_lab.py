"""nn.LiveLab on the kernel's side, without a browser or a kernel (anywidget works without a
front end): every number its traits hold is checked against the engine computed independently
(Value.backward on a sample's loss, the model's forward on the grid), the controls are checked
and refused cleanly, the training thread starts, sends frames as the page acknowledges them, and
stops (counting steps and frames, never timing them)."""

from __future__ import annotations

import base64
import math
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

import autograd
import nn
from autograd import Value
from nn.lab.graph import fmt
from nn.lab.plane import level
from nn.losses import classification_loss


def _wait(condition: Callable[[], bool], what: str) -> None:
    """Wait for ``condition`` (a guard against hanging, not a timing assertion)."""
    done = threading.Event()
    for _ in range(2000):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"waited 20 s for {what}")


def _cells(b64: str) -> list[int]:
    return list(base64.b64decode(b64))


@pytest.fixture
def lab() -> nn.LiveLab:
    return nn.LiveLab(grid=6)


def _state(lab: nn.LiveLab) -> dict[str, object]:
    return dict(lab.model.state_dict())


def test_the_default_lab_is_micrograds_network_on_moons_with_a_validation_split() -> None:
    lab = nn.LiveLab(grid=6)
    assert isinstance(lab, nn.LiveLab) and lab.model.nouts == [16, 16, 1] and lab.model.nin == 2
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    X_train, y_train, X_val, y_val = nn.split(X, y, val_fraction=0.2, seed=0)
    assert lab.setup["X"] == X_train and lab.setup["y"] == y_train
    assert lab.setup["Xval"] == X_val and lab.setup["yval"] == y_val
    assert lab.controls == {
        "lr": "0.1",
        "optimizer": "gd",
        "batch-size": "10",
        "momentum": "0.9",
        "activation": "relu",
        "hidden": "16,16",
        "dataset": "moons",
        "noise": "0.1",
        "val-fraction": "0.2",
        "version": 1,
    }
    assert (lab.lr, lab.optimizer, lab.hidden, lab.dataset) == (0.1, "gd", (16, 16), "moons")
    assert lab.frame["seq"] == 1 and lab.frame["step"] == 0 and lab.frame["loss"] is None
    assert len(lab.history) == 0 and not lab.running and lab.error == ""
    assert repr(lab) == (
        "<LiveLab: MLP 2-16-16-1, hinge loss on moons, 0 steps, gradient descent, full batch of "
        "80 training points, lr 0.1>"
    )


def test_the_boundary_and_every_hidden_neurons_heat_map_are_the_models_forward(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(3)
    x0, x1, y0, y1 = lab.setup["grid"]["bounds"]
    n = lab.setup["grid"]["n"]
    grid = _cells(lab.frame["grid"])
    heat = {name: _cells(b64) for name, b64 in lab.frame["neurons"].items()}
    assert sorted(heat) == sorted(f"L{li}.n{j}" for li in (1, 2) for j in range(16))
    layers = lab.model.layers
    for r in range(n):
        for c in range(n):
            point = [x0 + (c + 0.5) * (x1 - x0) / n, y1 - (r + 0.5) * (y1 - y0) / n]
            score = lab.model(point)
            assert isinstance(score, Value)
            assert grid[r * n + c] == round(127.5 + 127.5 * math.tanh(score.data))
            first = [neuron(point).data for neuron in layers[0].neurons]
            second = [neuron(first).data for neuron in layers[1].neurons]
            for j in range(16):
                assert heat[f"L1.n{j}"][r * n + c] == level(first[j])
                assert heat[f"L2.n{j}"][r * n + c] == level(second[j])


def _engine_graph(lab: nn.LiveLab, index: int) -> tuple[Value, dict[str, Value]]:
    """Point ``index``'s loss built and backpropagated by the engine, and its neurons' outputs."""
    model = lab.model
    x, label = lab.setup["X"][index], lab.setup["y"][index]
    acts = [Value(v) for v in x]
    neurons: dict[str, Value] = {}
    for li, layer in enumerate(model.layers, start=1):
        acts = layer.outputs(acts)
        neurons.update((f"L{li}.n{j}", a) for j, a in enumerate(acts))
    loss = classification_loss("hinge", [acts[0]], [label])
    model.zero_grad()
    loss.backward()
    return loss, neurons


def _check_graph_against_the_engine(lab: nn.LiveLab) -> None:
    graph = lab.frame["graph"]
    index = graph["index"]
    loss, neurons = _engine_graph(lab, index)
    names = lab.graph_layout["names"]
    sample = graph["sample"]
    assert sample["layout"] == lab.graph_layout["id"]
    assert sample["lossx"] == repr(loss.data)
    for name, out in neurons.items():
        i = names.index(name)
        assert sample["vx"][i] == repr(out.data), name
        assert sample["gx"][i] == repr(out.grad), name
    # each neuron's backward step writes its weights' gradients as the engine has them
    texts = dict(zip([names[i] for i in lab.graph_layout["order"]], graph["texts"]))
    weights = lab._session.weights()
    for name in ("L1.n0", "L2.n5", "L3.n0"):
        w1 = weights[f"{name}.w1"]
        line = texts[name].split(f"{name}.w1.grad += ")[1].split("\n")[0]
        assert line.endswith(f"= {fmt(w1.grad)}")
        line = texts[name].split(f"{name}.b.grad += ")[1].split("\n")[0]
        assert line.endswith(f"= {fmt(weights[f'{name}.b'].grad)}")
    lab.model.zero_grad()


def test_the_picked_points_graph_is_the_engines_backward_on_its_loss(lab) -> None:  # type: ignore[no-untyped-def]
    losses = [
        classification_loss("hinge", [lab.model(x)], [c]).data
        for x, c in zip(lab.setup["X"], lab.setup["y"])
    ]
    assert lab.picked == losses.index(max(losses))  # at first, the point of the largest loss
    lab.train(2)  # the picked point stays picked
    assert lab.picked == losses.index(max(losses))
    _check_graph_against_the_engine(lab)
    lab.pick(7)
    assert lab.picked == 7 and lab.frame["graph"]["index"] == 7
    assert lab.frame["graph"]["point"] == "(" + ", ".join(fmt(v) for v in lab.setup["X"][7]) + ")"
    _check_graph_against_the_engine(lab)
    with pytest.raises(ValueError, match="pick: index must be an int from 0 to 79"):
        lab.pick(80)


def test_a_point_of_loss_zero_says_why_and_which_to_pick() -> None:
    lab = nn.LiveLab(grid=2, lr=0.5)
    lab.train(30)
    X, y = lab.setup["X"], lab.setup["y"]
    losses = [classification_loss("hinge", [lab.model(x)], [c]).data for x, c in zip(X, y)]
    zero = losses.index(0.0)
    lab.pick(zero)
    why = lab.frame["graph"]["why"]
    best = losses.index(max(losses))
    assert why.startswith("This point's hinge loss is 0")  # nn.lab.points' note
    assert "ringed" not in why  # the static page's advice: here every point can be picked
    assert why.endswith(f" The largest loss is point {best}'s ({fmt(max(losses))}).")
    assert lab.frame["graph"]["suggest"] == best
    lab.pick(best)
    assert lab.frame["graph"]["why"] is None and lab.frame["graph"]["suggest"] is None


def test_the_weights_and_the_loss_readout_are_the_engines(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(4)
    weights = lab.frame["weights"]
    params = lab._session.weights()
    assert weights["names"] == list(params) and weights["names"][:3] == [
        "L1.n0.w0",
        "L1.n0.w1",
        "L1.n0.b",
    ]
    assert weights["exact"] == [repr(p.data) for p in params.values()]
    assert weights["text"] == [fmt(p.data) for p in params.values()]
    assert lab.frame["loss"] == {
        "text": fmt(lab.history["loss"][-1]),
        "exact": repr(lab.history["loss"][-1]),
    }
    assert lab.frame["history"]["exact"]["loss"] == [repr(v) for v in lab.history["loss"]]
    assert lab.frame["history"]["exact"]["val_loss"] == [repr(v) for v in lab.history["val_loss"]]


def test_a_training_step_is_gradient_descent_on_fits_objective(lab) -> None:  # type: ignore[no-untyped-def]
    start = lab.model.state_dict()
    twin = nn.MLP(2, [16, 16, 1])
    twin.load_state_dict(start)
    X, y = lab.setup["X"], lab.setup["y"]
    loss = classification_loss("hinge", [twin([Value(v) for v in x]) for x in X], y)
    loss.backward()
    lab.train(1)
    assert lab.history["loss"] == [loss.data]
    with autograd.no_grad():  # validation: after the step
        val = classification_loss(
            "hinge", [lab.model(x) for x in lab.setup["Xval"]], lab.setup["yval"]
        )
    assert lab.history["val_loss"] == [val.data]
    for p, q in zip(lab.model.parameters(), twin.parameters()):
        assert p.data == q.data - 0.1 * q.grad


def test_history_grows_with_train_and_restarts_on_reset(lab) -> None:  # type: ignore[no-untyped-def]
    start = _state(lab)
    lab.train(3)
    assert lab.history["step"] == [0, 1, 2] and lab.frame["step"] == 3
    lab.train(2)
    assert lab.history["step"] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        lab.train(0)
    lab.reset()
    assert len(lab.history) == 0 and _state(lab) == start and lab.frame["step"] == 0


def test_set_weight_changes_the_parameter_and_the_graph_as_the_engine_says(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(2)
    version = lab.controls["version"]
    before = lab.frame["graph"]["sample"]["gx"]
    lab.set_weight("L1.n0.w1", 0.5)
    assert lab.model.layers[0].neurons[0].w[1].data == 0.5
    assert lab.controls["version"] == lab.frame["version"] == version + 1
    assert lab.frame["weights"]["exact"][1] == "0.5"
    _check_graph_against_the_engine(lab)
    assert lab.frame["graph"]["sample"]["gx"] != before
    lab.receive({"type": "set_weight", "name": "L3.n0.b", "value": "-0.25"})
    assert lab.model.layers[2].neurons[0].b.data == -0.25 and lab.error == ""
    lab.receive({"type": "set_weight", "name": "L9.n0.w0", "value": "1"})
    assert "no weight named 'L9.n0.w0'" in lab.error
    lab.receive({"type": "set_weight", "name": "L1.n0.w0", "value": "nan"})
    assert "the weight must be a finite number" in lab.error


@pytest.mark.parametrize(
    ("control", "value", "message"),
    [
        ("lr", "fast", "lr: the lr must be a number, got 'fast'"),
        ("lr", "-1", "LiveLab: lr must be a finite number >= 0, got -1.0"),
        ("optimizer", "rmsprop", "LiveLab: optimizer must be one of gd, sgd, momentum, adam"),
        ("batch-size", "0", "LiveLab: batch_size must be a positive integer, got 0"),
        ("momentum", "1", "LiveLab: momentum must be a finite number in [0, 1)"),
        ("activation", "gelu", "LiveLab: activation must be one of"),
        ("hidden", "16,x", "LiveLab: hidden must be layer sizes separated by commas"),
        ("hidden", "64", "LiveLab: hidden takes at most 4 layers of at most 32 neurons"),
        ("hidden", "32,32", "LiveLab: a 2-32-32-1 network has 1120 weights between neurons"),
        ("dataset", "yours", "(yours: only when the lab was given data)"),
        ("noise", "3", "LiveLab: noise must be a finite number in [0, 2]"),
        ("val-fraction", "1", "LiveLab: val_fraction must be a finite number in [0, 0.9]"),
        ("speed", "1", "no control named 'speed'"),
    ],
)
def test_a_bad_control_from_the_page_is_shown_and_changes_nothing(
    lab,
    control: str,
    value: str,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    lab.train(1)
    model, state, controls, frame = lab.model, _state(lab), lab.controls, lab.frame
    lab.receive({"type": "control", "name": control, "value": value})
    assert message.replace("the lr", "lr") in lab.error
    assert lab.error.startswith(f"{control}: ")
    assert lab.model is model and _state(lab) == state and lab.controls == controls
    assert lab.frame == frame and len(lab.history) == 1


def test_a_bad_control_from_python_raises_naming_it(lab) -> None:  # type: ignore[no-untyped-def]
    state = _state(lab)
    for name, value, match in [
        ("lr", float("inf"), "LiveLab: lr must be a finite number >= 0"),
        ("optimizer", "GD", "LiveLab: optimizer must be one of"),
        ("batch_size", True, "LiveLab: batch_size must be a positive integer"),
        ("hidden", [16, 0], r"LiveLab: hidden\[1\] must be a positive integer"),
    ]:
        with pytest.raises(ValueError, match=match):
            setattr(lab, name, value)
    assert _state(lab) == state and lab.controls["version"] == 1


def test_good_controls_take_effect(lab) -> None:  # type: ignore[no-untyped-def]
    lab.receive({"type": "control", "name": "lr", "value": "0.05"})
    assert lab.lr == 0.05 and lab._session.optimizer.lr == 0.05 and lab.controls["lr"] == "0.05"
    assert lab.frame["version"] == lab.controls["version"] == 2
    lab.receive({"type": "control", "name": "optimizer", "value": "adam"})
    lab.receive({"type": "control", "name": "batch-size", "value": "8"})
    assert isinstance(lab._session.optimizer, nn.Adam) and lab.batch_size == 8
    lab.train(1)
    assert lab.history.method == "Adam, batches of 8 of 80 training points, lr 0.05"
    adam = lab._session.optimizer
    lab.batch_size = 4
    lab.lr = 0.02
    assert lab._session.optimizer is adam and adam.lr == 0.02  # its moments kept
    lab.optimizer = "momentum"
    lab.momentum = 0.5
    assert isinstance(lab._session.optimizer, nn.SGD) and lab._session.optimizer.momentum == 0.5
    lab.optimizer = "gd"
    assert isinstance(lab._session.optimizer, nn.GD)
    assert lab.error == "" and lab.frame["method"].startswith("gradient descent, full batch")


def test_hidden_and_activation_rebuild_the_model_and_restart(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(2)
    old = lab.model
    lab.hidden = "4,3"
    assert lab.model is not old and lab.model.nouts == [4, 3, 1] and len(lab.history) == 0
    assert lab.setup["network"]["layers"][1:] == [
        [f"L1.n{j}" for j in range(4)],
        [f"L2.n{j}" for j in range(3)],
        ["L3.n0"],
    ]
    assert ["x1", "L1.n2", "L1.n2.w1"] in lab.setup["network"]["edges"]
    assert sorted(lab.frame["neurons"]) == sorted(
        [f"L1.n{j}" for j in range(4)] + [f"L2.n{j}" for j in range(3)]
    )
    _check_graph_against_the_engine_small(lab)
    rebuilt = lab.model
    lab.receive({"type": "control", "name": "activation", "value": "tanh"})
    assert lab.model is not rebuilt and lab.model.activation == "tanh" and lab.activation == "tanh"
    assert lab.model.layers[-1].neurons[0].activation == "linear"
    lab.train(1)
    lab.reset()  # back to the rebuilt model's starting weights
    assert lab.model.activation == "tanh" and len(lab.history) == 0


def _check_graph_against_the_engine_small(lab: nn.LiveLab) -> None:
    _loss, neurons = _engine_graph(lab, lab.picked)
    names = lab.graph_layout["names"]
    for name, out in neurons.items():
        assert lab.frame["graph"]["sample"]["gx"][names.index(name)] == repr(out.grad)
    lab.model.zero_grad()


def test_data_controls_make_new_data_and_keep_the_model(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(1)
    model, state = lab.model, _state(lab)
    lab.dataset = "circles"
    X, y = nn.make_circles(100, noise=0.1, factor=0.5, seed=0)
    assert lab.setup["X"] == nn.split(X, y, val_fraction=0.2, seed=0)[0]
    assert lab.model is model and _state(lab) == state and len(lab.history) == 0
    lab.noise = 0.0
    assert (
        lab.setup["X"][0]
        == nn.split(*nn.make_circles(100, factor=0.5, seed=0), val_fraction=0.2, seed=0)[0][0]
    )
    lab.val_fraction = 0.0
    assert lab.setup["Xval"] == [] and len(lab.setup["X"]) == 100
    lab.train(1)
    assert lab.history["val_loss"] == [None] and lab.frame["history"]["val_loss"] is None
    for name in ("xor", "spirals", "blobs"):
        lab.dataset = name
        assert lab.setup["y"] and set(lab.setup["y"]) == {0, 1}


def test_your_data_and_model(lab) -> None:  # type: ignore[no-untyped-def]
    X, y = nn.make_xor(30, seed=3)
    model = nn.MLP(2, [3, 1], activation="tanh")
    mine = nn.LiveLab(model, X, y, grid=2, features=("height", "weight"), val_fraction=0.0)
    assert mine.model is model and mine.hidden == (3,) and mine.activation == "tanh"
    assert mine.dataset == "yours" and mine.setup["features"] == ["height", "weight"]
    assert mine.setup["options"]["dataset"][-1] == "yours"
    assert sorted(map(tuple, mine.setup["X"])) == sorted(map(tuple, X))
    mine.dataset = "moons"
    mine.dataset = "yours"
    assert sorted(map(tuple, mine.setup["X"])) == sorted(map(tuple, X))
    with pytest.raises(ValueError, match="y\\[0\\] must be a class index"):
        nn.LiveLab(None, X, [-1, *y[1:]])
    with pytest.raises(ValueError, match="give both X and y"):
        nn.LiveLab(None, X)
    with pytest.raises(ValueError, match="takes the class labels 0 and 1"):
        nn.LiveLab(None, X, [2, *y[1:]])
    with pytest.raises(TypeError, match="the lab trains MLPs"):
        nn.LiveLab(nn.Neuron(2))  # type: ignore[arg-type]


def test_several_classes_with_cross_entropy() -> None:
    X, y = nn.make_blobs(60, centers=[[-1.0, 0.0], [1.0, 0.0], [0.0, 1.5]], std=0.3, seed=2)
    lab = nn.LiveLab(None, X, y, loss="cross_entropy", hidden=[4], grid=4, val_fraction=0.0)
    assert lab.model.nouts == [4, 3] and lab.setup["grid"]["multiclass"] is True
    lab.train(3)
    x0, x1, y0, y1 = lab.setup["grid"]["bounds"]
    for k, cell in enumerate(_cells(lab.frame["grid"])):
        point = [x0 + (k % 4 + 0.5) * (x1 - x0) / 4, y1 - (k // 4 + 0.5) * (y1 - y0) / 4]
        logits = lab.model(point)
        assert isinstance(logits, list)
        scores = [v.data for v in logits]
        assert cell == scores.index(max(scores))
        assert _cells(lab.frame["neurons"]["L2.n1"])[k] == level(scores[1])
    assert sorted(lab.frame["neurons"]) == [
        *(f"L1.n{j}" for j in range(4)),
        "L2.n0",
        "L2.n1",
        "L2.n2",
    ]
    lab.receive({"type": "guess", "step": 0, "value": "1"})
    assert lab.verdict["correct"] and lab.error == ""


def test_a_guess_is_checked_against_the_engine(lab) -> None:  # type: ignore[no-untyped-def]
    lab.train(2)
    order = lab.graph_layout["order"]
    names = lab.graph_layout["names"]
    _loss, neurons = _engine_graph(lab, lab.picked)
    step = next(k for k, i in enumerate(order) if names[i] == "L3.n0")
    exact = neurons["L3.n0"].grad
    lab.receive({"type": "guess", "step": step, "value": repr(exact * 1.005)})
    assert lab.verdict["correct"] is True and lab.verdict["node"] == "L3.n0"
    assert lab.verdict["exact"] == repr(exact)
    assert (
        lab.verdict["text"]
        == f"Right: L3.n0.grad = {fmt(exact)}; your {fmt(exact * 1.005)} is within 1% (or 0.0001)."
    )
    lab.receive({"type": "guess", "step": step, "value": str(exact + 1)})
    assert lab.verdict["correct"] is False and "off by 1" in lab.verdict["text"]
    lab.receive({"type": "guess", "step": 0, "value": "1"})
    assert lab.verdict["node"] == "loss" and lab.verdict["correct"]
    lab.receive({"type": "guess", "step": 999, "value": "1"})
    assert "step must be an int from 0 to" in lab.error
    lab.model.zero_grad()


def test_unknown_and_malformed_messages_are_shown(lab) -> None:  # type: ignore[no-untyped-def]
    lab.receive({"type": "dance"})
    assert lab.error == "dance: LiveLab: unknown message type 'dance'"
    lab.receive({"type": "pick"})
    assert lab.error == "pick: the message has no 'index': {'type': 'pick'}"
    lab.receive({"type": "pick", "index": 3})
    assert lab.error == "" and lab.picked == 3


def test_play_trains_in_a_thread_and_pause_stops_it(lab) -> None:  # type: ignore[no-untyped-def]
    lab.receive({"type": "play"})
    assert lab.running
    _wait(lambda: len(lab.history) >= 3, "three steps")
    lab.pick(5)  # the kernel is free: the lock lets the message in between steps
    _wait(lambda: lab.frame["graph"]["index"] == 5, "the picked point's frame")
    lab.receive({"type": "pause"})
    steps = len(lab.history)
    assert not lab.running and lab._thread is None
    assert lab.frame["step"] == steps and lab.frame["running"] is False  # the last step drawn
    assert lab.history["step"] == list(range(steps))
    lab.play()
    _wait(lambda: len(lab.history) >= steps + 2, "two more steps")
    lab.train(1)  # pauses first
    assert not lab.running and lab.history["step"] == list(range(len(lab.history)))


def test_closing_the_widget_stops_the_thread(lab) -> None:  # type: ignore[no-untyped-def]
    lab.play()
    _wait(lambda: len(lab.history) >= 1, "a step")
    lab.close()
    assert not lab.running and lab._thread is None


def test_frames_wait_for_the_pages_acknowledgement() -> None:
    lab = nn.LiveLab(grid=2, fallback=1e9)
    seq = lab.frame["seq"]
    lab.play()
    _wait(lambda: len(lab.history) >= 5, "five steps")
    assert lab.frame["seq"] == seq  # no acknowledgement, no frame: training went on
    lab.receive({"type": "ack", "seq": seq})
    _wait(lambda: lab.frame["seq"] == seq + 1, "the next frame")
    drawn = len(lab.history)
    _wait(lambda: len(lab.history) >= drawn + 5, "five more steps")
    assert lab.frame["seq"] == seq + 1
    lab.lr = 0.2  # a change: its frame goes with the next step, acknowledged or not
    _wait(lambda: lab.frame["seq"] == seq + 2, "the changed setting's frame")
    assert lab.frame["version"] == lab.controls["version"]
    lab.pause()
    assert lab.frame["seq"] == seq + 3 and lab.frame["step"] == len(lab.history)


def test_a_diverging_run_stops_and_says_so() -> None:
    lab = nn.LiveLab(grid=2, loss="mse", lr=1e150)
    with pytest.raises(nn.TrainingDiverged, match="LiveLab: the loss became"):
        lab.train(20)
    assert lab.frame["step"] == len(lab.history)
    lab.receive({"type": "step"})  # from the page: shown, not raised
    assert lab.error.startswith("step: LiveLab: the loss became")
    lab.play()
    _wait(lambda: not lab.running, "the thread to stop")
    assert "LiveLab: the loss became" in lab.error and "lower the learning rate" in lab.error
    assert all(math.isfinite(w) for w in lab.frame["weights"]["width"])


def test_import_nn_works_without_anywidget_and_livelab_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['anywidget'] = None\n"
        "import nn\n"
        "try:\n    nn.LiveLab\nexcept ImportError as e:\n    print(e)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'valuegrad[lab]'" in done.stdout and "anywidget" in done.stdout


def test_the_synced_traits_leave_every_ipywidget_trait_alone() -> None:
    # A trait named like one of DOMWidget's (``layout`` is its Layout widget) would be read by
    # the front end as that one: JupyterLab then fails to render the widget.
    import ipywidgets

    own = set(nn.LiveLab.class_own_traits(sync=True))
    assert own == {"setup", "controls", "frame", "graph_layout", "verdict", "error", "running"}
    assert not own & set(ipywidgets.DOMWidget.class_traits())
