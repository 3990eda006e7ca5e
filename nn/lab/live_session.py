"""The live lab's training session: data, model, optimizer and controls, one step at a time.

No widget here (``anywidget`` is optional): :class:`LiveSession` is what :class:`nn.LiveLab`
drives from its thread and its messages, and what a test drives directly. It trains with
:func:`nn.train.classification_objective` (``fit``'s objective) and :class:`nn.Trainer`, one
step per :meth:`LiveSession.train_step`, into one :class:`nn.History` that grows across steps.

The controls, by the name the page gives them (``batch-size``) and their meaning:

* ``lr``: the learning rate, a finite number >= 0 (kept by the optimizer: Adam keeps its moments);
* ``optimizer``: ``gd`` (full batch: the whole training set every step), ``sgd`` (mini-batches of
  ``batch-size``, each step's drawn afresh: that many distinct points at random), ``momentum``
  (the same with momentum ``momentum``: a batch size of at least the training set's is GD with
  momentum) or ``adam`` (mini-batches, :class:`nn.Adam`); a new optimizer starts with fresh
  state, as does a new ``momentum`` (a new batch size keeps it);
* ``activation`` and ``hidden`` (the hidden layers' sizes, ``"16,16"``; ``""`` for none): a
  new model with a fresh initialisation, and training starts again (the history is cleared);
* ``dataset`` (``moons``, ``circles``, ``xor``, ``spirals``, ``blobs``, and ``yours`` when data
  was given), ``noise`` (the standard deviation of the Gaussian noise on each coordinate; the
  blobs' spread; not applied to your data) and ``val-fraction`` (the share held out for
  validation, in [0, 0.9]): new data, the history cleared, the model kept.

Every check runs before anything changes: a refused value leaves the session as it was.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from autograd import Value
from autograd.viz import DEFAULT_MAX_EDGES
from nn._validate import (
    FRACTION,
    NON_NEGATIVE,
    Range,
    class_index,
    number,
    positive_int,
    shorten,
)
from nn.datasets import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.losses import Loss, loss_named
from nn.module import ACTIVATIONS, MLP
from nn.optim import GD, SGD, Adam, Optimizer
from nn.train import History, Trainer, TrainingDiverged, classification_objective

#: The data sets the lab makes, by name (``yours``: the data given to the lab).
DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
#: The name of the data given to the lab.
YOURS = "yours"
#: The optimizers, by their name in the lab.
OPTIMIZERS = ("gd", "sgd", "momentum", "adam")
#: The control names (as the page's ``data-control``) and the settings they change.
CONTROLS = {
    "lr": "lr",
    "optimizer": "optimizer",
    "batch-size": "batch_size",
    "momentum": "momentum",
    "activation": "activation",
    "hidden": "hidden",
    "dataset": "dataset",
    "noise": "noise",
    "val-fraction": "val_fraction",
}
#: The widest hidden layer and the most hidden layers the lab draws.
MAX_WIDTH, MAX_LAYERS = 32, 4
#: The most weights between neurons: a point's graph keeps room for the loss's few edges.
MAX_EDGES = DEFAULT_MAX_EDGES - 20
NOISE = Range(0.0, 2.0)
VAL_FRACTION = Range(0.0, 0.9)


@dataclass(frozen=True)
class Settings:
    """The values of the lab's controls (see the module docstring for each one's meaning)."""

    #: The learning rate.
    lr: float = 0.1
    #: One of :data:`OPTIMIZERS`.
    optimizer: str = "gd"
    #: The mini-batch size of ``sgd``, ``momentum`` and ``adam``.
    batch_size: int = 10
    #: The momentum coefficient of the ``momentum`` optimizer, in [0, 1).
    momentum: float = 0.9
    #: The hidden layers' activation, a key of nn.module's ``ACTIVATIONS``.
    activation: str = "relu"
    #: The sizes of the hidden layers.
    hidden: tuple[int, ...] = (16, 16)
    #: One of :data:`DATASETS`, or :data:`YOURS`.
    dataset: str = "moons"
    #: The standard deviation of the noise added to each coordinate of a made data set.
    noise: float = 0.1
    #: The share of the data held out for validation.
    val_fraction: float = 0.2


def check_setting(settings: Settings, name: str, value: object, yours: bool) -> Any:
    """``value`` for the setting ``name`` (an attribute of :class:`Settings`), checked and
    normalised; ``ValueError`` naming the control and what it takes."""
    op = "LiveLab"
    if name == "lr":
        return number(op, "lr", value, NON_NEGATIVE)
    if name == "momentum":
        return number(op, "momentum", value, FRACTION)
    if name == "noise":
        return number(op, "noise", value, NOISE)
    if name == "val_fraction":
        return number(op, "val_fraction", value, VAL_FRACTION)
    if name == "batch_size":
        return positive_int(op, "batch_size", value)
    if name == "hidden":
        return hidden_sizes(value)
    choices = {
        "optimizer": OPTIMIZERS,
        "activation": tuple(ACTIVATIONS),
        "dataset": (*DATASETS, YOURS) if yours else DATASETS,
    }.get(name)
    if choices is None:
        raise ValueError(
            f"{op}: no control named {shorten(name)}: the controls are {', '.join(CONTROLS)}"
        )
    if value not in choices:
        why = " (yours: only when the lab was given data)" if value == YOURS else ""
        raise ValueError(
            f"{op}: {name} must be one of {', '.join(choices)}, got {shorten(value)}{why}"
        )
    return value


def hidden_sizes(value: object) -> tuple[int, ...]:
    """The hidden layers' sizes from a list of ints or a text such as ``"16,16"``."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")] if value.strip() else []
        if not all(p.isdigit() for p in parts):
            raise ValueError(
                f"LiveLab: hidden must be layer sizes separated by commas, such as '16,16', "
                f"got {shorten(value)}"
            )
        value = [int(p) for p in parts]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"LiveLab: hidden must be a list of layer sizes, got {shorten(value)}")
    sizes = tuple(positive_int("LiveLab", f"hidden[{i}]", n) for i, n in enumerate(value))
    if len(sizes) > MAX_LAYERS or any(n > MAX_WIDTH for n in sizes):
        raise ValueError(
            f"LiveLab: hidden takes at most {MAX_LAYERS} layers of at most {MAX_WIDTH} neurons "
            f"(the lab draws each neuron), got {shorten(value)}"
        )
    return sizes


def made_data(dataset: str, n: int, noise: float, seed: int) -> tuple[list[list[float]], list[int]]:
    """``n`` points of a made data set: two classes, the same points for the same seed (a new
    noise moves each point from where it was)."""
    if dataset == "moons":
        return make_moons(n, noise=noise, seed=seed)
    if dataset == "circles":
        return make_circles(n, noise=noise, factor=0.5, seed=seed)
    if dataset == "xor":
        return make_xor(n, noise=noise, seed=seed)
    if dataset == "spirals":
        return make_spirals(n, noise=noise, seed=seed)
    return make_blobs(n, centers=[[-1.0, -1.0], [1.0, 1.0]], std=noise, seed=seed)


@dataclass
class Data:
    """The lab's data, split: the training part (``X``, ``y``) and the validation part."""

    X: list[list[float]]
    y: list[int]
    X_val: list[list[float]] = field(default_factory=list)
    y_val: list[int] = field(default_factory=list)


class LiveSession:
    """One model trained step by step on the lab's data with the lab's settings.

    ``model`` (an :class:`nn.MLP`, or None for a new one of ``settings.hidden``), ``data``
    (``(X, y)``, or None for ``settings.dataset``), ``loss`` as :func:`nn.fit` names it,
    ``alpha`` its L2 weight, ``n_samples`` the size of a made data set, ``seed`` every draw
    (data, split, initialisation, batches).
    """

    def __init__(
        self,
        model: MLP | None,
        data: tuple[Sequence[Sequence[float]], Sequence[object]] | None,
        *,
        loss: str,
        settings: Settings,
        alpha: float = 0.0,
        n_samples: int = 100,
        seed: int = 0,
    ) -> None:
        self.row: Loss = loss_named(loss, "LiveLab")
        self.alpha = number("LiveLab", "alpha", alpha, NON_NEGATIVE)
        self.n_samples = positive_int("LiveLab", "n_samples", n_samples)
        self.seed = seed
        self.rng = random.Random(seed)
        self.yours = None if data is None else _your_data(data)
        if model is not None and not isinstance(model, MLP):
            raise TypeError(f"LiveLab: the lab trains MLPs, got {type(model).__name__}")
        if model is not None:
            settings = replace(
                settings, hidden=tuple(model.nouts[:-1]), activation=model.activation
            )
        if self.yours is not None:
            settings = replace(settings, dataset=YOURS)
        yours = self.yours is not None
        checked = {
            name: check_setting(settings, name, getattr(settings, name), yours)
            for name in CONTROLS.values()
        }
        self.settings = replace(settings, **checked)
        X, y = self._all_data(self.settings)
        self.model = model if model is not None else self._new_model(self.settings, len(X[0]), y)
        self._check_fit(self.model, X, y)
        self.data = self._split(X, y, self.settings)
        self.start = self.model.state_dict()
        self.history = History(self.method())
        self.optimizer = self._new_optimizer()

    # -- changing --------------------------------------------------------------------------

    def change(self, name: str, value: object) -> None:
        """Set the setting ``name`` (checked first; see the module docstring for its effect)."""
        checked = check_setting(self.settings, name, value, self.yours is not None)
        settings = replace(self.settings, **{name: checked})
        rebuilt = name in ("hidden", "activation", "dataset", "noise", "val_fraction")
        if rebuilt:
            X, y = self._all_data(settings)
            model = self.model
            if name in ("hidden", "activation") or model.nin != len(X[0]):
                model = self._new_model(settings, len(X[0]), y)
            self._check_fit(model, X, y)
            self.data = self._split(X, y, settings)  # nothing can fail past this line
            if model is not self.model:
                self.model, self.start = model, model.state_dict()
            self.history = History("")
        self.settings = settings
        if name == "lr":
            self.optimizer.lr = checked
        elif rebuilt or name in ("optimizer", "momentum"):
            self.optimizer = self._new_optimizer()
        self.history.method = self.method()

    def reset(self) -> None:
        """Back to the starting weights (as built or given), a fresh optimizer, no history."""
        self.model.load_state_dict(self.start)
        self.optimizer = self._new_optimizer()
        self.history = History(self.method())

    def weights(self) -> dict[str, Value]:
        """The model's parameters by their name in the lab: ``L1.n0.w1``, ``L1.n0.b``."""
        named: dict[str, Value] = {}
        for li, layer in enumerate(self.model.layers, start=1):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    named[f"L{li}.n{j}.w{i}"] = w
                named[f"L{li}.n{j}.b"] = neuron.b
        return named

    def set_weight(self, name: object, value: object) -> None:
        """Set one parameter's value (a finite number); ValueError naming an unknown weight."""
        weights = self.weights()
        if not isinstance(name, str) or name not in weights:
            names = list(weights)
            raise ValueError(
                f"LiveLab.set_weight: no weight named {shorten(name)}; this model's are "
                f"{names[0]} ... {names[-1]} (L<layer>.n<neuron>.w<input> or .b)"
            )
        weights[name].data = number("LiveLab.set_weight", name, value)

    # -- training --------------------------------------------------------------------------

    def train_step(self) -> dict[str, float]:
        """One training step with the current settings; its record, appended to the history.

        :class:`nn.TrainingDiverged` (naming this step) when the loss is not finite: the
        parameters are those that gave it, the history holds every step before.
        """
        objective, validate = classification_objective(
            self.model,
            self.row.name,
            self.alpha,
            (self.data.X_val, self.data.y_val) if self.data.X_val else None,
        )
        trainer = Trainer(objective, self.optimizer, validate=validate, progress=False)
        k = len(self.history)
        full = self.settings.optimizer == "gd" or self.settings.batch_size >= len(self.data.X)
        try:
            run = trainer.run(
                list(zip(self.data.X, self.data.y)),
                steps=1,
                batch_size=None if full else self.settings.batch_size,
                seed=self.rng.getrandbits(32),
            )
        except TrainingDiverged as e:
            raise TrainingDiverged(
                f"LiveLab: the loss became {e.history.last.get('loss', 'not finite')} at step "
                f"{k} (lr {self.settings.lr:g}); lower the learning rate, or reset",
                step=k,
                history=self.history,
            ) from None
        record = {**run.records[0], "step": k}
        self.history.records.append(record)
        self.history.validate_every = 1 if validate is not None else None
        return record

    def method(self) -> str:
        """How the batches are drawn and the step is taken, in words."""
        s, n = self.settings, len(self.data.X)
        batch = (
            "full batch"
            if s.optimizer == "gd" or s.batch_size >= n
            else f"batches of {s.batch_size}"
        )
        update = {
            "gd": "gradient descent",
            "sgd": "SGD",
            "momentum": f"SGD with momentum {s.momentum:g}",
            "adam": "Adam",
        }[s.optimizer]
        return f"{update}, {batch} of {n} training points, lr {s.lr:g}"

    # -- building --------------------------------------------------------------------------

    def _all_data(self, s: Settings) -> tuple[list[list[float]], list[int]]:
        if s.dataset == YOURS and self.yours is not None:
            return self.yours
        return made_data(s.dataset, self.n_samples, s.noise, self.seed)

    def _split(self, X: list[list[float]], y: list[int], s: Settings) -> Data:
        X_train, y_train, X_val, y_val = split(X, y, val_fraction=s.val_fraction, seed=self.seed)
        if not X_train:
            raise ValueError(f"LiveLab: val_fraction {s.val_fraction:g} leaves no training data")
        return Data(X_train, y_train, X_val, y_val)

    def _new_model(self, s: Settings, nin: int, y: list[int]) -> MLP:
        outputs = self.row.outputs(max(2, max(y) + 1))
        return MLP(
            nin, [*s.hidden, outputs], activation=s.activation, rng=random.Random(self.rng.random())
        )

    def _check_fit(self, model: MLP, X: list[list[float]], y: list[int]) -> None:
        """ValueError unless the model takes these inputs and the loss these labels, and its
        graph has few enough edges between neurons to be laid out (autograd's limit)."""
        sizes = [model.nin, *model.nouts]
        edges = sum(a * b for a, b in itertools.pairwise(sizes))
        if edges > MAX_EDGES:
            raise ValueError(
                f"LiveLab: a {'-'.join(map(str, sizes))} network has {edges} weights between "
                f"neurons, more than the {MAX_EDGES} a point's graph can show (autograd's "
                "drawing lays out at most DEFAULT_MAX_EDGES edges, the loss's included): use "
                "fewer or narrower layers"
            )
        if model.nin != len(X[0]):
            raise ValueError(
                f"LiveLab: the model takes {model.nin} inputs, the data has {len(X[0])} features"
            )
        self.row.labels("LiveLab", y, len(model.layers[-1].neurons))

    def _new_optimizer(self) -> Optimizer:
        s, params = self.settings, self.model.parameters()
        if s.optimizer == "gd":
            return GD(params, s.lr)
        if s.optimizer == "adam":
            return Adam(params, s.lr)
        return SGD(params, s.lr, momentum=s.momentum if s.optimizer == "momentum" else 0.0)


def _your_data(
    data: tuple[Sequence[Sequence[float]], Sequence[object]],
) -> tuple[list[list[float]], list[int]]:
    """The data given to the lab as lists of finite floats and int class labels (numpy's
    welcome); ValueError naming the first bad one."""
    X, y = data
    if len(X) != len(y) or len(X) < 2:
        raise ValueError(
            f"LiveLab: X and y must hold as many inputs as labels, at least 2; got {len(X)} "
            f"inputs and {len(y)} labels"
        )
    rows: list[list[float]] = []
    for i, x in enumerate(X):
        row = [number("LiveLab", f"X[{i}][{j}]", v) for j, v in enumerate(x)]
        if not row or (rows and len(row) != len(rows[0])):
            raise ValueError(f"LiveLab: X[{i}] must have as many numbers as X[0], got {shorten(x)}")
        rows.append(row)
    labels = []
    for i, label in enumerate(y):
        c = class_index(label)
        if c is None or c < 0:
            raise ValueError(f"LiveLab: y[{i}] must be a class index >= 0, got {shorten(label)}")
        labels.append(c)
    return rows, labels


class TurnLock:
    """The lock that guards a session's model between its training thread and everything
    else (picks, weights set, controls). Between two steps the thread lets in whoever waits:
    :meth:`thread_turn` (the thread's) waits until no one is waiting for :meth:`turn`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._waiting = 0
        self._changed = threading.Condition()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the lock; the thread lets this caller in before its next step."""
        with self._changed:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._changed:
                self._waiting -= 1
                self._changed.notify_all()
        try:
            yield
        finally:
            self._lock.release()

    @contextmanager
    def thread_turn(self) -> Iterator[None]:
        """Hold the lock once no one waits for it (the training thread's turn)."""
        with self._changed:
            self._changed.wait_for(lambda: self._waiting == 0)
        with self._lock:
            yield
