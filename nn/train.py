"""Training loops: full-batch gradient descent (GD) and mini-batch stochastic gradient descent.

The difference between GD and SGD lies in the *data* each step sees, not in the update:

* **GD** (``batch_size=None``): every step computes the loss on the whole data set, so the
  gradient is the true gradient and the path is deterministic.
* **SGD** (``batch_size=k``): every step computes it on k examples drawn without replacement
  from a seeded shuffle of the data (a new shuffle every epoch, by :func:`nn.datasets.batches`);
  ``batch_size=1`` is classic SGD. The gradient is a noisy estimate of the true one.

How a gradient becomes a step (plain, momentum, Nesterov, Adam...) is the optimizer's business
(:mod:`nn.optim`), and it combines freely with either kind of batching.

:class:`Trainer` runs any objective over any list of examples; :func:`fit` is the common case
of a classifier on ``(X, y)`` with a named loss, L2 regularisation and accuracy.
"""

from __future__ import annotations

import importlib.util
import math
import random
import sys
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Union

import autograd
from autograd import Value
from autograd.extend import gc_paused
from nn._validate import NON_NEGATIVE, number, positive_int, shorten
from nn.datasets import batches
from nn.flat import FlatRun, FlatUpdate
from nn.losses import Loss, classification_loss, l2, loss_named
from nn.metrics import accuracy, single_output
from nn.module import Module
from nn.optim import GD, SGD, Optimizer
from nn.schedules import Constant, CosineDecay, LinearDecay, LRScheduler, Schedule, StepDecay

#: An objective maps a batch of examples to the loss, optionally with float metrics. An
#: objective that computes its own gradient (``Trainer(..., backward=False)``) returns the
#: loss as a float.
Objective = Callable[
    [Sequence[Any]], Union[Value, float, tuple[Union[Value, float], Mapping[str, float]]]
]
#: How :func:`fit` runs each step: the engine (False), or a compiled program
#: (:func:`autograd.compile_mean`) in Python or across the batch in NumPy.
CompileMode = Union[bool, str]


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite. ``step`` says when; ``history`` holds every step before."""

    def __init__(self, message: str, step: int, history: History) -> None:
        super().__init__(message)
        self.step = step
        self.history = history


@dataclass
class History:
    """One record per step: ``{"step", "loss", "lr", ...metrics, ...validation metrics}``.

    ``history["loss"]`` is the list of one column (``None`` where a step has no such entry).
    ``method`` says which update ran on which batches; ``stopped`` why training ended early;
    ``validate_every`` how often the records hold validation metrics (None: never).
    """

    #: The update and how batches were drawn, in one line: ``GD: full batch, ...``,
    #: ``SGD: mini-batches of 8 ...``, ``SGD with momentum 0.9: ...``, ``Adam: full batch, ...``.
    method: str
    #: One dict per step: ``step``, ``loss``, ``lr``, the metrics and validation metrics.
    records: list[dict[str, float]] = field(default_factory=list)
    #: Why training ended early (early stopping's reason), or None.
    stopped: str | None = None
    #: Wall-clock seconds the training took.
    seconds: float = 0.0
    #: How often records hold validation metrics, in steps (None: never).
    validate_every: int | None = None

    def __getitem__(self, key: str) -> list[float | None]:
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def last(self) -> dict[str, float]:
        """The most recent record (empty before the first step)."""
        return self.records[-1] if self.records else {}


class Callback(Protocol):
    """Called after every step with the history so far; return True to stop training. (With
    ``fit(compile="numpy")`` the model is written back from its arrays before each call,
    unless the callback has an attribute ``reads_model`` that is False.)"""

    def __call__(self, history: History) -> bool | None: ...


@dataclass
class EarlyStopping:
    """Stop when ``monitor`` has not improved by more than ``min_delta`` in its last
    ``patience`` recorded values (one per step, or per validation with ``validate_every``).

    ``mode`` is ``"min"`` for losses and ``"max"`` for accuracies. A plateau (a loss stuck
    at its best, e.g. a hinge loss at 0) is no improvement and stops training.

    A ``monitor`` that is never recorded (misspelled, or ``val_loss`` without validation data)
    raises ``ValueError`` at the first record that holds every metric training records (the
    first step, or the first validation with ``validate_every``), naming the keys there are.
    """

    #: The recorded metric watched (a key of the history's records).
    monitor: str = "val_loss"
    #: How many recorded values without improvement stop training.
    patience: int = 10
    #: An improvement must be larger than this to count.
    min_delta: float = 0.0
    #: ``"min"`` for losses, ``"max"`` for accuracies.
    mode: str = "min"

    def __post_init__(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {self.mode!r}")
        positive_int("EarlyStopping", "patience", self.patience)
        number("EarlyStopping", "min_delta", self.min_delta, NON_NEGATIVE)
        if not isinstance(self.monitor, str):
            raise ValueError(f"EarlyStopping: monitor must be a str, got {shorten(self.monitor)}")

    def check_recorded(self, keys: Collection[str]) -> None:
        """ValueError unless ``monitor`` is among the ``keys`` a history records."""
        if self.monitor in keys:
            return
        hint = (
            "; validation metrics need validation data, e.g. fit(..., val=(X_val, y_val))"
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in keys)
            else ""
        )
        raise ValueError(
            f"EarlyStopping: monitor {shorten(self.monitor)} is not recorded; the history "
            f"records {sorted(keys)}{hint}"
        )

    def __call__(self, history: History) -> bool:
        if len(history) == (history.validate_every or 1):
            self.check_recorded(history.last)
        sign = 1.0 if self.mode == "min" else -1.0
        values = [sign * v for v in history[self.monitor] if v is not None]
        if len(values) <= self.patience:
            return False
        best_before = min(values[: -self.patience])
        recent = min(values[-self.patience :])
        if recent >= best_before - self.min_delta:
            history.stopped = (
                f"early stopping: {self.monitor} did not improve by more than "
                f"{self.min_delta} in {self.patience} steps"
            )
            return True
        return False


class Trainer:
    """Minimise ``objective`` by updating the optimizer's parameters, batch by batch.

    ``objective(batch)`` returns the loss on a list of examples (a Value), optionally with
    float metrics to record: ``(loss, {"accuracy": ...})``.

    * ``schedule``: a callable k -> learning rate (see :mod:`nn.schedules`), applied every step.
    * ``validate``: a callable returning float metrics (e.g. ``{"val_loss": ...}``), run
      every ``validate_every`` steps and after the last one, without recording a graph.
    * ``callbacks``: see :class:`Callback`; :class:`EarlyStopping` is one.
    * ``progress``: show a tqdm bar when tqdm is installed, on a terminal or in a Jupyter
      notebook; none when stderr goes to a file or a pipe.
    * ``backward``: False for an objective that adds its loss's gradient into the
      parameters' ``.grad`` itself and returns the loss as a float (a compiled one, see
      :func:`autograd.compile_mean`); the trainer zeroes the gradients before calling it.

    Each step runs with the cyclic garbage collector paused (:func:`autograd.extend.gc_paused`):
    graphs have no cycles, and sparing the collector its sweeps makes steps much faster.
    """

    def __init__(
        self,
        objective: Objective,
        optimizer: Optimizer,
        *,
        schedule: Schedule | None = None,
        validate: Callable[[], Mapping[str, float]] | None = None,
        validate_every: int = 1,
        callbacks: Sequence[Callback] = (),
        progress: bool = True,
        backward: bool = True,
    ) -> None:
        self.objective = objective
        self.backward = backward
        self.optimizer = optimizer
        self.schedule = schedule
        self.validate = validate
        self.validate_every = positive_int("Trainer", "validate_every", validate_every)
        self.callbacks = list(callbacks)
        self.progress = progress
        self._flat: FlatRun | None = None  # fit(compile="numpy")'s steps on flat arrays

    def run(
        self,
        data: Sequence[Any],
        *,
        steps: int | None = None,
        epochs: int | None = None,
        batch_size: int | None = None,
        seed: int | None = 0,
    ) -> History:
        """Train for ``steps`` updates or ``epochs`` passes over ``data``; return the history.

        ``batch_size=None`` is full-batch GD, ``batch_size=k`` mini-batch SGD (see the module
        docstring); ``seed`` fixes the shuffling. Raises :class:`TrainingDiverged` when the
        loss stops being finite.
        """
        if not data:
            raise ValueError("Trainer.run: no data")
        if batch_size is not None:
            positive_int("Trainer.run", "batch_size", batch_size)
            batch_size = min(batch_size, len(data))
        per_epoch = 1 if batch_size is None else math.ceil(len(data) / batch_size)
        total = _step_count(steps, epochs, per_epoch)
        history = History(
            _describe(self.optimizer, len(data), batch_size, seed),
            validate_every=None if self.validate is None else self.validate_every,
        )
        scheduler = LRScheduler(self.optimizer, self.schedule) if self.schedule else None
        stream = _endless_batches(data, batch_size, random.Random(seed))
        # flat arrays (fit, numpy) are written back before code that may read the model
        nothing: Callable[[], None] = lambda: None  # noqa: E731
        sync = self._flat.sync if self._flat is not None else nothing
        sync_schedule = sync if self.schedule and _reads_model(self.schedule) else nothing
        sync_callbacks = sync if any(map(_reads_model, self.callbacks)) else nothing
        start = time.perf_counter()
        try:
            label = history.method.split(":")[0]
            with _ProgressBar(total, label, self.progress) as bar:
                for k in range(total):
                    with gc_paused():
                        record = self._step(k, next(stream), history)
                    if scheduler is not None:
                        sync_schedule()
                        scheduler.step()
                    if self.validate is not None and (
                        (k + 1) % self.validate_every == 0 or k + 1 == total
                    ):
                        sync()
                        with autograd.no_grad():
                            record.update(self.validate())
                    history.records.append(record)
                    bar.update(record)
                    sync_callbacks()
                    if any(callback(history) for callback in self.callbacks):
                        break
        finally:
            sync()  # at the end, and if anything raised
            history.seconds = time.perf_counter() - start
        return history

    def _step(self, k: int, batch: Sequence[Any], history: History) -> dict[str, float]:
        if self._flat is not None:
            done = self._flat.step(batch)
            if done is not None:
                return {"step": k, "loss": done[0], "lr": self.optimizer.lr, **done[1]}
        if not self.backward:  # the objective writes the gradients itself (compiled)
            before = [p.grad for p in self.optimizer.params]
            self.optimizer.zero_grad()
        result = self.objective(batch)
        loss, metrics = result if isinstance(result, tuple) else (result, {})
        value = loss.data if isinstance(loss, Value) else loss
        if not math.isfinite(value):
            if not self.backward:  # as the engine's path, which stops before backward()
                for p, g in zip(self.optimizer.params, before):
                    p.grad = g
            raise TrainingDiverged(
                f"the loss became {value} at step {k} (lr {self.optimizer.lr:g}); the "
                f"history keeps the {k} steps before. Check the learning rate and the data.",
                step=k,
                history=history,
            )
        lr = self.optimizer.lr
        if self.backward:
            assert isinstance(loss, Value), "an objective with backward=True returns a Value"
            self.optimizer.zero_grad()
            loss.backward()
        self.optimizer.step()
        return {"step": k, "loss": value, "lr": lr, **metrics}


def fit(
    model: Module,
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    *,
    loss: str = "hinge",
    optimizer: Optimizer | None = None,
    lr: float = 0.1,
    schedule: Schedule | None = None,
    alpha: float = 1e-4,
    steps: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    seed: int | None = 0,
    val: tuple[Sequence[Sequence[float]], Sequence[int]] | None = None,
    callbacks: Sequence[Callback] = (),
    progress: bool = True,
    compile: CompileMode = False,
) -> History:
    """Train a classifier on inputs ``X`` and integer class labels ``y``; return the history.

    ``loss``: ``"hinge"`` (micrograd's, labels 0/1 mapped to -1/+1, one output),
    ``"bce"`` (binary cross-entropy on the logit, one output), ``"mse"`` (on -1/+1, one output)
    or ``"cross_entropy"`` (one output per class). ``alpha`` weighs an L2 penalty
    ``alpha * sum(p^2)`` (micrograd's demo: 1e-4). ``optimizer`` defaults to ``GD(lr)``.
    Every step records ``loss`` and ``accuracy`` on its batch; with ``val=(X_val, y_val)``
    also ``val_loss`` and ``val_accuracy``. Batching and stopping are :meth:`Trainer.run`'s.

    Everything is checked before the first step: as many labels as inputs (in ``val`` too),
    ``alpha`` finite and >= 0, and every label a class the loss can take, an integral number
    (``1``, ``numpy.int64(1)``, ``1.0``; never a bool): 0 or 1 for the one-output losses, 0 to
    k-1 for ``cross_entropy`` on a model with k outputs. Else ``ValueError`` naming the label.

    ``compile``: False runs every step on the engine. ``"python"`` (or True) traces one
    example's loss once per label and replays it as generated Python looped over the batch
    (:func:`autograd.compile_mean`): the same losses, history and updates, bit for bit, about
    ten times faster. ``"numpy"`` runs that program across the batch as NumPy arrays
    (NumPy: the ``compile`` extra): within 1e-12 relative with GD and SGD (Adam divides by a
    gradient's running size, and a gradient that cancels to about 0 has no relative accuracy
    in NumPy's order of summation: within 1e-9 here), faster than PyTorch. With GD, SGD, Adam
    or AdamW the parameters, gradients and optimizer state stay in flat arrays between steps,
    written back to the model before validation, before a callback or schedule other than the
    library's (unless it has ``reads_model = False``), and when the run ends or raises.
    ``cross_entropy`` cannot be compiled (its max shift is read from the logits' data, which
    a trace would freeze): it raises ``ValueError``.
    """
    row = loss_named(loss, "fit")
    alpha = number("fit", "alpha", alpha, NON_NEGATIVE)
    y = _checked_labels(model, X, y, row, "")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise ValueError("fit: val must be a pair (X_val, y_val)")
        val = (val[0], _checked_labels(model, val[0], val[1], row, "val "))
    recorded = {"step", "loss", "lr", "accuracy"} | ({"val_loss", "val_accuracy"} if val else set())
    for callback in callbacks:
        if isinstance(callback, EarlyStopping):  # before the first step changes any weight
            callback.check_recorded(recorded)
    mode = _compile_mode(compile, row)
    optimizer = optimizer if optimizer is not None else GD(model.parameters(), lr=lr)
    objective, validate = classification_objective(model, loss, alpha, val)
    compiled = None if mode is None else _compiled_objective(model, loss, alpha, mode)
    trainer = Trainer(
        objective if compiled is None else compiled[0],
        optimizer,
        schedule=schedule,
        validate=validate,
        callbacks=callbacks,
        progress=progress,
        backward=mode is None,
    )
    if compiled is not None and mode == "numpy" and (update := FlatUpdate.of(optimizer)):
        trainer._flat = FlatRun(compiled[1], update)
    return trainer.run(
        list(zip(X, y)), steps=steps, epochs=epochs, batch_size=batch_size, seed=seed
    )


#: Labelled examples as :func:`fit` trains on them: ``(x, class label)`` pairs.
Examples = Sequence[tuple[Sequence[float], int]]


def classification_objective(
    model: Module,
    loss: str,
    alpha: float,
    val: tuple[Sequence[Sequence[float]], Sequence[int]] | None = None,
) -> tuple[Objective, Callable[[], dict[str, float]] | None]:
    """:func:`fit`'s objective on the engine, and its validation (None without ``val``).

    The objective maps a batch of ``(x, label)`` pairs to the mean ``loss`` of the model's
    outputs plus ``alpha * sum(p^2)`` over the parameters (no term if ``alpha`` is 0), with
    the batch's accuracy: ``(loss, {"accuracy": ...})``. The validation returns
    ``{"val_loss", "val_accuracy"}`` on ``val``. Labels are not checked here (``fit`` does).
    """
    params = model.parameters()

    def evaluate(batch: Examples) -> tuple[Value, float]:
        xs = [[Value(v) for v in x] for x, _ in batch]  # lift once, not once per neuron
        labels = [label for _, label in batch]
        outputs = [model(x) for x in xs]
        return classification_loss(loss, outputs, labels), accuracy(outputs, labels)

    def objective(batch: Examples) -> tuple[Value, dict[str, float]]:
        data_loss, batch_accuracy = evaluate(batch)
        total = data_loss + l2(params, alpha) if alpha else data_loss
        return total, {"accuracy": batch_accuracy}

    if val is None:
        return objective, None
    val_batch = list(zip(*val))

    def validate() -> dict[str, float]:
        val_loss, val_accuracy = evaluate(val_batch)
        return {"val_loss": val_loss.data, "val_accuracy": val_accuracy}

    return objective, validate


def _compile_mode(compile: CompileMode, loss: Loss) -> str | None:
    """The mode of :func:`autograd.compile_mean` for ``fit(compile=...)``, or None."""
    if compile is False or compile in ("none", None):
        return None
    mode = "python" if compile is True else compile
    if mode not in ("python", "numpy"):
        raise ValueError(f"fit: compile must be False, 'python' or 'numpy', got {shorten(compile)}")
    if loss.cannot_compile:
        raise ValueError(
            f"fit: loss={loss.name!r} cannot be compiled: {loss.cannot_compile}; use compile=False"
        )
    return mode


def _compiled_objective(model: Module, loss: str, alpha: float, mode: str) -> tuple[Objective, Any]:
    """fit's objective as one compiled per-example program (also returned): each example's
    loss (traced once per label) averaged, plus the L2 penalty; the output as an aux."""

    def example(xs: list[Value], label: int) -> tuple[Value, Value]:
        output = single_output(model(xs))
        return classification_loss(loss, [output], [label]), output

    params = model.parameters()
    penalty = (lambda: l2(params, alpha)) if alpha else None
    compiled = autograd.compile_mean(example, extra=penalty, mode=mode)  # type: ignore[arg-type]

    def objective(batch: Sequence[tuple[Sequence[float], int]]) -> tuple[float, dict[str, float]]:
        labels = [label for _, label in batch]
        value, aux = compiled([x for x, _ in batch], labels)
        outputs = [Value(out) for (out,) in aux]
        return value, {"accuracy": accuracy(outputs, labels)}

    return objective, compiled


def _reads_model(code: object) -> bool:
    """Whether code the trainer calls may read the model: anything it does not know, unless
    it says otherwise (``reads_model = False``)."""
    known = (EarlyStopping, Constant, LinearDecay, StepDecay, CosineDecay)
    return type(code) not in known and getattr(code, "reads_model", True) is not False


def _checked_labels(
    model: Module, X: Sequence[Sequence[float]], y: Sequence[object], loss: Loss, which: str
) -> list[int]:
    """The labels ``y`` of inputs ``X`` as ints, after checking them against ``loss`` and the
    model's number of outputs (from one forward pass); ``which`` is ``""`` or ``"val "``."""
    if len(X) != len(y):
        raise ValueError(f"fit: {len(X)} {which}inputs but {len(y)} {which}labels")
    if len(X) == 0:  # not `not X`: numpy arrays are welcome
        raise ValueError(f"fit: no {which}data")
    with autograd.no_grad():
        output = model(list(X[0]))
    outputs = len(output) if isinstance(output, list) else 1
    if not loss.per_class:
        single_output(output)
    return loss.labels("fit", y, outputs, which)


def _step_count(steps: int | None, epochs: int | None, per_epoch: int) -> int:
    if (steps is None) == (epochs is None):
        raise ValueError("give exactly one of steps= or epochs=")
    if steps is not None:
        return positive_int("Trainer.run", "steps", steps)
    return positive_int("Trainer.run", "epochs", epochs) * per_epoch


def _describe(optimizer: Optimizer, n: int, batch_size: int | None, seed: int | None) -> str:
    """The update and the batches in one line (``History.method``): the batching's name, GD
    (full batch) or SGD (mini-batches), for their shared plain update, qualified by momentum;
    another optimizer's class name (``Adam``) in its place."""
    kind = "GD" if batch_size is None else "SGD"
    if isinstance(optimizer, SGD) and optimizer.momentum:
        rule = "Nesterov momentum" if optimizer.nesterov else "momentum"
        kind += f" with {rule} {optimizer.momentum:g}"
    elif not isinstance(optimizer, (GD, SGD)):
        kind = type(optimizer).__name__
    if batch_size is None:
        return f"{kind}: full batch, all {n} examples every step"
    return (
        f"{kind}: mini-batches of {batch_size} of {n} examples, reshuffled every epoch "
        f"(seed {seed})"
    )


def _endless_batches(
    data: Sequence[Any], batch_size: int | None, rng: random.Random
) -> Iterator[list[Any]]:
    """The whole data set every time, or :func:`nn.datasets.batches` epoch after epoch (one
    shuffle of ``rng`` per epoch)."""
    if batch_size is None:
        whole = list(data)
        while True:
            yield whole
    while True:
        yield from batches(data, None, batch_size, rng=rng)


def _in_a_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (its stderr is ipykernel's stream)."""
    return type(sys.stderr).__module__.startswith("ipykernel.")


#: Seconds between two redraws of the text bar in a Jupyter kernel without ipywidgets. There
#: each redraw is a carriage return that a live notebook collapses but a notebook executed by
#: nbclient stores as it is (read back, one line per redraw): tqdm's default 0.1 s left ~40
#: lines for a fit of a few seconds; this leaves 2 (the first and the last) plus one per
#: 10 s of training.
KERNEL_TEXT_BAR_INTERVAL = 10.0


def _new_bar(total: int, label: str) -> Any:
    """A tqdm bar where one can be seen, else None; ImportError without tqdm.

    In a Jupyter kernel: tqdm.notebook's widget when ipywidgets is installed, else the text
    bar (``disable=False``: the kernel's stderr is no terminal), redrawn at most every
    :data:`KERNEL_TEXT_BAR_INTERVAL` seconds. Elsewhere the text bar with ``disable=None``:
    tqdm draws it only when stderr is a terminal (redirected to a file or a pipe, each redraw
    would pile up on one line of carriage returns).
    """
    in_a_kernel = _in_a_kernel()
    redraws: dict[str, float] = {}
    if in_a_kernel and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm as bar
    else:
        from tqdm.std import tqdm as bar

        if in_a_kernel:
            redraws["mininterval"] = KERNEL_TEXT_BAR_INTERVAL
    disable = False if in_a_kernel else None
    return bar(total=total, desc=label, leave=True, disable=disable, **redraws)


class _ProgressBar:
    """A tqdm bar showing the latest loss and accuracy, or nothing (no tqdm, or turned off)."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self._bar = None
        if enabled:
            try:
                self._bar = _new_bar(total, label)
            except ImportError:
                if _in_a_kernel() or sys.stderr.isatty():  # where a bar would have shown
                    warnings.warn("progress bar needs tqdm: pip install tqdm", stacklevel=3)

    def __enter__(self) -> _ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, record: Mapping[str, float]) -> None:
        if self._bar is not None:
            shown = {k: f"{v:.4g}" for k, v in record.items() if k not in ("step", "lr")}
            self._bar.set_postfix(shown, refresh=False)
            self._bar.update(1)
