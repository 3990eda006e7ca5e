"""One training run and its bundle of files, from Python: :func:`write_run` (the command line's
work, which ``python -m nn`` only parses options for).

    nn.write_run("out", dataset="spirals", classes=3, hidden=[16, 16], steps=200)

trains an MLP on a toy data set (or a CSV file, ``data="points.csv"``) and writes into the
folder: ``loss.png`` (the loss curve), ``decision_boundary.png`` (the model's regions with the
data; for 2-D inputs only, else a note is printed), ``graph.svg`` (the computation graph of
the sample with the largest loss), ``history.json`` (every step's metrics and where the data
came from) and ``lab.html`` (the interactive page of the run, see :mod:`nn.lab`;
``lab=False`` skips it); with ``save=PATH``, the trained model and its architecture, so that
``load=PATH`` rebuilds it without repeating ``hidden`` or ``activation``.

Each keyword is the command line's option of the same name (``--batch-size`` is
``batch_size``), with the same default, and the messages name the options as the command line
spells them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence

from nn._validate import FRACTION, NON_NEGATIVE, Range, finite_in, shorten
from nn.csv import DEFAULT_MAX_BYTES, CsvData, read_csv
from nn.datasets import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.lab import LabRecorder
from nn.losses import LOSSES, Loss, default_loss
from nn.module import MLP, Architecture, Module
from nn.optim import GD, SGD, Adam, Optimizer
from nn.run_files import report, write_history, write_lab_page, write_pictures
from nn.schedules import Constant, CosineDecay, LinearDecay, Schedule, StepDecay
from nn.serialize import load as load_state
from nn.serialize import save as save_state
from nn.serialize import saved_architecture
from nn.train import EarlyStopping, fit

DATASETS = {
    "moons": lambda n, noise, classes, seed: make_moons(n, noise=noise, seed=seed),
    "circles": lambda n, noise, classes, seed: make_circles(n, noise=noise, seed=seed),
    "xor": lambda n, noise, classes, seed: make_xor(n, noise=noise, seed=seed),
    "spirals": lambda n, noise, classes, seed: make_spirals(
        n, n_classes=classes, noise=noise, seed=seed
    ),
    "blobs": lambda n, noise, classes, seed: make_blobs(
        n, centers=classes, std=max(noise, 1e-9), seed=seed
    ),
}
#: The data sets of more than 2 classes (the others have 2).
MULTICLASS_DATASETS = ("spirals", "blobs")
UPDATES = ("plain", "momentum", "nesterov", "adam")
SCHEDULES = ("linear", "constant", "step", "cosine")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
GRAPH_VIEWS = ("neurons", "full")
GRAPH_BACKENDS = ("auto", "dot", "wasm")
COMPILE_MODES = ("none", "python", "numpy")
#: What a run writes into ``out`` (each file when it applies: no lab with ``lab=False``...).
OUTPUT_FILES = ("loss.png", "history.json", "decision_boundary.png", "graph.svg", "lab.html")
#: Used when an option is not given (the options that a saved architecture can also decide).
DEFAULT_HIDDEN = [16, 16]
DEFAULT_ACTIVATION = "relu"
DEFAULT_CLASSES = 2
DEFAULT_DATASET = "moons"
DEFAULT_SAMPLES = 100
DEFAULT_NOISE = 0.1
#: The learning rate when ``lr`` is not given: micrograd's demo's, and a smaller one for a CSV
#: of unknown scale (docs/guide/your-data.md shows 1.0 blowing up on docs/guide/blobs.csv).
DEMO_LR = 1.0
DATA_LR = 0.1


class OptionError(ValueError):
    """Options that are malformed or do not fit together (the command line's usage error)."""


class CannotRun(Exception):
    """The options cannot run: a file that does not match them, a model of other sizes."""


def write_run(
    out: str = "out",
    *,
    dataset: str | None = None,
    data: str | None = None,
    target: str | int | None = None,
    delimiter: str | None = None,
    header: bool | None = None,
    max_bytes: int | None = None,
    samples: int | None = None,
    noise: float | None = None,
    classes: int | None = None,
    val_fraction: float = 0.0,
    hidden: Sequence[int] | None = None,
    activation: str | None = None,
    elementwise: bool = False,
    loss: str | None = None,
    alpha: float = 1e-4,
    steps: int = 100,
    batch_size: int | None = None,
    update: str = "plain",
    momentum: float = 0.9,
    lr: float | None = None,
    schedule: str = "linear",
    early_stopping: int | None = None,
    seed: int = 1337,
    compile: str | None = None,
    progress: bool = True,
    save: str | None = None,
    load: str | None = None,
    evaluate: bool = False,
    graph: str = "neurons",
    lab: bool = True,
    graph_backend: str = "auto",
) -> list[str]:
    """Train (or with ``evaluate``, only evaluate the model of ``load``) and write the run's
    files into ``out`` (see the module docstring); return the paths written, in order.

    Prints what the command line prints: on stdout what it is doing as it goes (``training
    ...``, ``drawing the pictures ...``, ``writing the lab page ...``: the slow part, timed),
    the run's report (how it trained: the update and the batches) and the notes; the files
    that could not be drawn as warnings on stderr. With a CSV file of a header, the decision
    boundary's axes and the lab's are its feature columns' names.

    Raises :class:`OptionError`, naming the option, for a value its parser would refuse
    (``steps=0``, ``lr=-1``, ``hidden="16"``) or options that do not fit together (before
    anything is read or written, or as soon as the data tell), :class:`CannotRun` for a
    model file that does not fit the options or the data, ``ValueError`` for a CSV file that
    cannot be read (:func:`nn.load_csv`'s message) or a model file
    (:class:`nn.StateError`), :class:`nn.TrainingDiverged`, ``OSError``.
    """
    _check_values(
        positive_ints={
            "--max-bytes": max_bytes,
            "--samples": samples,
            "--classes": classes,
            "--steps": steps,
            "--batch-size": batch_size,
            "--early-stopping": early_stopping,
        },
        numbers={
            "--noise": (noise, NON_NEGATIVE),
            "--val-fraction": (val_fraction, FRACTION),
            "--alpha": (alpha, NON_NEGATIVE),
            "--momentum": (momentum, FRACTION),
            "--lr": (lr, NON_NEGATIVE),
        },
        flags={
            "--elementwise": elementwise,
            "--evaluate": evaluate,
            "lab": lab,
            "progress": progress,
        },
        flags_or_none={"--header": header},
        hidden=hidden,
        seed=seed,
    )
    if dataset is not None and data is not None:
        raise OptionError(f"--dataset {dataset} and --data {data}: give one source of data")
    lr = lr if lr is not None else DATA_LR if data else DEMO_LR
    _check_choices(dataset, activation, loss, update, schedule, graph, graph_backend, compile)
    _check_options(
        out, data, save, load, evaluate, update, momentum, early_stopping, val_fraction, classes
    )
    if data is None:
        _check_dataset_options(target, delimiter, header, max_bytes)
        dataset = dataset or DEFAULT_DATASET
        samples = DEFAULT_SAMPLES if samples is None else samples
        noise = DEFAULT_NOISE if noise is None else noise
    else:
        _check_data_options(data, samples, noise, delimiter)
    # a CSV first: its sizes decide the model (its reading is bounded by max_bytes)
    csv = (
        read_csv(
            data,
            target,
            header=header,
            delimiter=delimiter,
            classes=classes,
            max_bytes=max_bytes or DEFAULT_MAX_BYTES,
        )
        if data
        else None
    )
    inputs = len(csv.X[0]) if csv else 2
    data_classes = max(csv.y) + 1 if csv else None
    saved = saved_architecture(load) if load else None
    if saved is None:  # no load, or an older file: the options say what the model is
        hidden = list(DEFAULT_HIDDEN if hidden is None else hidden)
        activation = activation or DEFAULT_ACTIVATION
        classes = classes or data_classes or DEFAULT_CLASSES
        output_activation = "linear"
    else:
        hidden, activation, classes, loss = _fit_saved(
            saved, load, inputs, data, data_classes, dataset, hidden, activation, classes, loss
        )
        output_activation = saved["output_activation"]
    row = _checked_loss(loss, classes, dataset, data, data_classes)
    compile = _checked_compile(compile, row)
    os.makedirs(out, exist_ok=True)  # before training: a bad out costs no run
    if csv:
        X, y = csv.X, csv.y
        samples = len(X)
    else:
        assert dataset is not None and samples is not None and noise is not None
        X, y = DATASETS[dataset](samples, noise, classes, seed)
    X_val: list[list[float]] = []
    y_val: list[int] = []
    if val_fraction:
        X, y, X_val, y_val = split(X, y, val_fraction=val_fraction, seed=seed)
        if not X or not X_val:
            raise OptionError(
                f"--val-fraction {val_fraction} of {samples} samples leaves "
                f"{len(X)} for training and {len(X_val)} for validation; both need at least 1"
            )
    random.seed(seed)  # micrograd's demo draws its weights from the global generator
    model = MLP(
        inputs,
        [*hidden, row.outputs(classes)],
        activation=activation,
        output_activation=output_activation,
        fused=not elementwise,
    )
    if load:
        load_state(model, load)
    # after loading: the recorder starts from the weights training starts from
    recorder = None if not lab or evaluate else LabRecorder(model)
    if not evaluate:
        what = _what_trains(model, row.name, len(X), len(X_val), data or dataset, steps)
        print(f"training {what} ...", flush=True)
    history = (
        None
        if evaluate
        else fit(
            model,
            X,
            y,
            loss=row.name,
            optimizer=_optimizer(update, model, lr, momentum),
            schedule=_schedule(schedule, lr, steps),
            alpha=alpha,
            steps=steps,
            batch_size=batch_size,
            seed=seed,
            val=(X_val, y_val) if X_val else None,
            # the recorder first: a callback that stops training skips those after it
            callbacks=([recorder] if recorder else [])
            + ([EarlyStopping(patience=early_stopping)] if early_stopping is not None else []),
            progress=progress,
            compile=False if compile == "none" else compile,
        )
    )
    report(model, X, y, X_val, y_val, history)
    written = []
    if save:  # first: a picture that cannot be drawn must not cost the model
        save_state(model, save)
        written.append(save)
    print(f"drawing the pictures into {out} ...", flush=True)
    names = csv.feature_names if csv else None
    if history is not None:
        source = _data_source(csv, data, dataset, samples, noise, classes, val_fraction, seed)
        written += write_history(out, history, source)
    written += write_pictures(out, model, X, y, history, row.name, graph_backend, graph, names)
    if recorder is not None and history is not None:
        val = (X_val, y_val) if X_val else None
        written += write_lab_page(
            out, model, X, y, val, history, recorder, row.name, graph_backend, names
        )
    return written


def _what_trains(
    model: MLP, loss: str, points: int, held_out: int, source: str | None, steps: int
) -> str:
    """``an MLP 2-16-16-1 (hinge loss) on 100 points of moons for 100 steps``, and how many
    points are held out for validation."""
    sizes = "-".join(str(n) for n in [model.nin, *model.nouts])
    val = f" ({held_out} held out for validation)" if held_out else ""
    return f"an MLP {sizes} ({loss} loss) on {points} points of {source}{val} for {steps} steps"


def _check_values(
    *,
    positive_ints: dict[str, object],
    numbers: dict[str, tuple[object, Range]],
    flags: dict[str, object],
    flags_or_none: dict[str, object],
    hidden: object,
    seed: object,
) -> None:
    """:class:`OptionError` naming the option of a value the command line's parser would
    refuse (a Python caller passes values, not text): before anything is read or written."""
    for option, value in positive_ints.items():
        if value is not None and (not _is_int(value) or value < 1):  # type: ignore[operator]
            raise OptionError(f"{option} must be a positive integer, got {shorten(value)}")
    for option, (value, allowed) in numbers.items():
        if value is not None and (isinstance(value, bool) or finite_in(value, allowed) is None):
            raise OptionError(f"{option} must be a finite number {allowed}, got {shorten(value)}")
    for option, value in {**flags, **flags_or_none}.items():
        if not isinstance(value, bool) and not (option in flags_or_none and value is None):
            raise OptionError(f"{option} must be True or False, got {shorten(value)}")
    if hidden is not None and (
        isinstance(hidden, (str, bytes))
        or not isinstance(hidden, Sequence)
        or not all(_is_int(size) and size >= 1 for size in hidden)
    ):
        raise OptionError(f"--hidden must be a list of positive layer sizes, got {shorten(hidden)}")
    if not _is_int(seed):
        raise OptionError(f"--seed must be a whole number, got {shorten(seed)}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_choices(
    dataset: str | None,
    activation: str | None,
    loss: str | None,
    update: str,
    schedule: str,
    graph: str,
    graph_backend: str,
    compile: str | None,
) -> None:
    """:class:`OptionError` for a name that is none of its option's choices."""
    for option, value, choices in (
        ("--dataset", dataset, DATASETS),
        ("--activation", activation, ACTIVATIONS),
        ("--loss", loss, LOSSES),
        ("--update", update, UPDATES),
        ("--schedule", schedule, SCHEDULES),
        ("--graph", graph, GRAPH_VIEWS),
        ("--graph-backend", graph_backend, GRAPH_BACKENDS),
        ("--compile", compile, COMPILE_MODES),
    ):
        if value is not None and value not in choices:
            raise OptionError(f"{option} {value!r}: choose from {', '.join(choices)}")


def _check_options(
    out: str,
    data: str | None,
    save: str | None,
    load: str | None,
    evaluate: bool,
    update: str,
    momentum: float,
    early_stopping: int | None,
    val_fraction: float,
    classes: int | None,
) -> None:
    """:class:`OptionError` for options that do not fit together, before any file is read."""
    if evaluate and not load:
        raise OptionError("--evaluate needs --load PATH")
    folder = os.path.dirname(os.path.abspath(save)) if save else None
    if save and folder and not os.path.isdir(folder) and folder != os.path.abspath(out):
        raise OptionError(f"--save {save}: the folder {os.path.dirname(save)} does not exist")
    if save:
        _check_save_target(save, data, out)
    if update == "nesterov" and momentum == 0:
        raise OptionError("--update nesterov needs --momentum > 0")
    if early_stopping and not val_fraction:
        raise OptionError("--early-stopping needs a validation split (--val-fraction)")
    if classes is not None and classes < 2:
        raise OptionError(f"--classes {classes}: a classifier needs at least 2 classes")
    if os.path.exists(out) and not os.path.isdir(out):
        raise OptionError(f"--out {out}: exists and is not a folder")


def _check_dataset_options(
    target: str | int | None, delimiter: str | None, header: bool | None, max_bytes: int | None
) -> None:
    """:class:`OptionError` for an option of ``--data`` given with a toy data set."""
    for option, value in (
        ("--target", target),
        ("--delimiter", delimiter),
        ("--header", header),
        ("--max-bytes", max_bytes),
    ):
        if value is not None:
            raise OptionError(f"{option} applies to --data FILE.csv")


def _check_data_options(
    data: str, samples: int | None, noise: float | None, delimiter: str | None
) -> None:
    """:class:`OptionError` for an option of the toy data sets given with ``--data``, or a
    delimiter of more than one character."""
    for option, value in (("--samples", samples), ("--noise", noise)):
        if value is not None:
            raise OptionError(f"{option} applies to --dataset; --data {data} has its own rows")
    if delimiter is not None and len(delimiter) != 1:
        raise OptionError(
            f"--delimiter must be one character, got {delimiter!r} (a tab: \\t, or $'\\t' in bash)"
        )


def _check_save_target(save: str, data: str | None, out: str) -> None:
    """:class:`OptionError` if ``save`` names the data the run reads or a file it writes into
    ``out``: the model would replace the data, or an output the model. (The model of ``load``
    may be saved over: it is read before training and written after.)"""
    others: list[tuple[str, str | None]] = [(f"--data {data}", data)]
    for name in OUTPUT_FILES:
        output = os.path.join(out, name)
        others.append((f"{output}, which the run writes into --out", output))
    for what, path in others:
        if path is not None and _same_file(save, path):
            raise OptionError(f"--save {save} is the same file as {what}; save the model elsewhere")


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: ``os.path.samefile`` where both exist (hard links
    too), else equal paths once symlinks and ``..`` are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _fit_saved(
    saved: Architecture,
    load: str | None,
    inputs: int,
    data: str | None,
    data_classes: int | None,
    dataset: str | None,
    hidden: Sequence[int] | None,
    activation: str | None,
    classes: int | None,
    loss: str | None,
) -> tuple[list[int], str, int, str | None]:
    """``(hidden, activation, classes, loss)`` of the loaded model's architecture; an option
    given explicitly, or the CSV, must agree with the model file, else :class:`CannotRun`.
    The loss is the per-class one for a model of several outputs (the only one that fits)."""
    *saved_hidden, outputs = saved["nouts"]
    in_file = f"the model in {load} has"
    if saved["nin"] != inputs:
        columns = f"{inputs} feature column{'s' if inputs != 1 else ''}"
        has = f"{data} has {columns}" if data else "the data sets here have 2"
        raise CannotRun(f"{in_file} {saved['nin']} inputs; {has}")
    if hidden is not None and list(hidden) != saved_hidden:
        raise CannotRun(
            f"--hidden {_sizes(hidden)} does not match: {in_file} {_sizes(saved_hidden)}"
        )
    if activation is not None and activation != saved["activation"]:
        raise CannotRun(
            f"--activation {activation} does not match: {in_file} {saved['activation']}"
        )
    saved_classes = outputs if outputs > 1 else 2
    if classes is not None and classes != saved_classes:
        raise CannotRun(f"--classes {classes} does not match: {in_file} {saved_classes} classes")
    if data_classes is not None and data_classes > saved_classes:
        raise CannotRun(
            f"{in_file} {saved_classes} classes, but {data} has labels up to {data_classes - 1}"
        )
    if data is None and saved_classes != 2 and dataset not in MULTICLASS_DATASETS:
        raise CannotRun(
            f"{in_file} {saved_classes} classes, but --dataset {dataset} has 2; pass --dataset "
            f"{' or '.join(MULTICLASS_DATASETS)} (the data set it was trained on)"
        )
    if loss is not None and LOSSES[loss].per_class != (outputs > 1):
        wants = "one output per class" if LOSSES[loss].per_class else "one output"
        raise CannotRun(
            f"--loss {loss} does not match: {in_file} {outputs} output"
            f"{'s' if outputs > 1 else ''} ({loss} needs {wants})"
        )
    if outputs > 1 and loss is None:
        loss = default_loss(saved_classes).name
    return saved_hidden, saved["activation"], saved_classes, loss


def _sizes(sizes: Sequence[int]) -> str:
    return ",".join(map(str, sizes)) or "no hidden layers"


def _checked_loss(
    loss: str | None,
    classes: int,
    dataset: str | None,
    data: str | None,
    data_classes: int | None,
) -> Loss:
    """The loss's row; :class:`OptionError` where it, ``classes`` and the data do not fit."""
    if data is None and classes != 2 and dataset not in MULTICLASS_DATASETS:
        raise OptionError(f"--classes applies to spirals and blobs; {dataset} has 2 classes")
    row = LOSSES[loss] if loss else default_loss(classes)
    if row.classes(classes) != classes:
        per_class = default_loss(classes).name
        if data_classes == classes:
            raise OptionError(
                f"--loss {row.name} needs 2 classes, but {data} has {classes} (labels 0 "
                f"to {classes - 1}); use --loss {per_class}"
            )
        raise OptionError(
            f"--loss {row.name} needs 2 classes; use --loss {per_class} for {classes}"
        )
    return row


def _checked_compile(compile: str | None, row: Loss) -> str:
    """The compile mode: python unless the loss cannot be compiled (then none); an
    :class:`OptionError` for a mode the loss cannot take."""
    if compile is None:
        return "none" if row.cannot_compile else "python"
    if compile != "none" and row.cannot_compile:
        raise OptionError(
            f"--compile {compile}: {row.name} cannot be compiled ({row.cannot_compile}); use "
            "--compile none"
        )
    return compile


def _optimizer(update: str, model: Module, lr: float, momentum: float) -> Optimizer:
    params = model.parameters()
    if update == "plain":
        return GD(params, lr=lr)
    if update == "adam":
        return Adam(params, lr=lr)
    return SGD(params, lr=lr, momentum=momentum, nesterov=update == "nesterov")


def _schedule(schedule: str, lr: float, steps: int) -> Schedule:
    if schedule == "linear":
        return LinearDecay(lr, 0.9 * lr, steps)
    if schedule == "step":
        return StepDecay(lr, every=max(1, steps // 3))
    if schedule == "cosine":
        return CosineDecay(lr, steps)
    return Constant(lr)


def _data_source(
    csv: CsvData | None,
    data: str | None,
    dataset: str | None,
    samples: int,
    noise: float | None,
    classes: int,
    val_fraction: float,
    seed: int,
) -> dict[str, object]:
    """Where the run's data came from, for history.json: the toy set and its options, or the
    CSV file (as given, the SHA-256 of the bytes parsed) and how it was read: enough to read
    it again the same way. Both with the seed and the validation split."""
    split_and_seed = {"val_fraction": val_fraction, "seed": seed}
    if csv is None:
        return {
            "dataset": dataset,
            "samples": samples,
            "noise": noise,
            "classes": classes,
            **split_and_seed,
        }
    return {
        "csv": data,
        "sha256": csv.sha256,
        "delimiter": csv.delimiter,
        "header": csv.names is not None,
        "header_detected": csv.header_detected,
        "columns": csv.names,
        "target": {
            "index": csv.target,
            "name": csv.names[csv.target] if csv.names is not None else None,
        },
        "rows": samples,
        "features": len(csv.X[0]),
        "classes": classes,
        **split_and_seed,
    }
