"""The command line: train an MLP on a toy data set (or your CSV file) and write its pictures.

    python -m nn                 # micrograd's demo: moons, MLP 2-16-16-1, hinge + L2, 100 GD steps
    python -m nn --batch-size 10 --update momentum --lr 0.1 --steps 300
    python -m nn --data points.csv --target label   # your data: see nn.load_csv
    python -m nn --help          # every option

Writes into ``--out`` (default ``out/``): ``loss.png`` (the loss curve), ``decision_boundary.png``
(the model's regions with the data; for 2-D inputs only, else a note is printed),
``graph.svg`` (the computation graph of one sample's loss), ``history.json`` (every step's
metrics and where the data came from) and ``lab.html`` (the interactive page of the
run, see :mod:`nn.lab`; ``--no-lab`` skips it); with ``--save``, the trained model and its
architecture, so that ``--load`` rebuilds it without repeating ``--hidden`` or ``--activation``.

With ``--data FILE.csv`` (instead of ``--dataset``) the network's input size is the file's
number of feature columns and its classes are the file's labels (:func:`nn.load_csv`); a
``--loss``, ``--classes`` or model (``--load``) that contradicts the data is an error.

Exit codes: 2 for a usage error (options that are malformed or do not fit together), 1 for a
run that cannot be done or fails (a bad model file, a file that does not match the options,
sizes that cannot fit in memory, a diverging run), each with one line ``error: ...``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import autograd
import nn
from autograd.extend import write_text_atomic
from autograd.viz import GraphTooLargeError, GraphvizUnavailableError, RenderError
from nn import _validate
from nn.data import (
    DEFAULT_MAX_BYTES,
    CsvData,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    read_csv,
    split,
)
from nn.lab import Lab, LabRecorder, draw_sample, hardest_sample
from nn.metrics import LOSSES, accuracy, boundary_note
from nn.module import MLP, Architecture, Module
from nn.optim import (
    GD,
    SGD,
    Adam,
    Constant,
    CosineDecay,
    LinearDecay,
    Optimizer,
    Schedule,
    StepDecay,
)
from nn.serialize import StateError, saved_architecture
from nn.train import EarlyStopping, History, TrainingDiverged, fit

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Inputs (rows of floats) and class labels, as the data sets make them.
Data = Sequence[Sequence[float]]
Labels = Sequence[int]

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
UPDATES = ("plain", "momentum", "nesterov", "adam")
# One sample through micrograd's 2-16-16-1 MLP is ~470 nodes fused, ~2,000 elementwise.
GRAPH_MAX_NODES = 2500
# ... and edges: a sample's graph is sparse (about 1.2 edges per node), so it lays out quickly.
GRAPH_MAX_EDGES = 3000
SCHEDULES = ("linear", "constant", "step", "cosine")
#: What a run writes into --out (each file when it applies: no lab with --no-lab...).
OUTPUT_FILES = ("loss.png", "history.json", "decision_boundary.png", "graph.svg", "lab.html")
#: Used when a flag is not given (the flags that a saved architecture can also decide).
DEFAULT_HIDDEN = [16, 16]
DEFAULT_ACTIVATION = "relu"
DEFAULT_CLASSES = 2
DEFAULT_DATASET = "moons"
DEFAULT_SAMPLES = 100
DEFAULT_NOISE = 0.1
#: The learning rate when --lr is not given: micrograd's demo's, and a smaller one for a CSV
#: of unknown scale (docs/guide/your-data.md shows 1.0 blowing up on docs/guide/blobs.csv).
DEMO_LR = 1.0
DATA_LR = 0.1

# Memory a run needs, measured with tracemalloc (peak of one training step, rounded up):
#: bytes per elementwise graph node (micrograd's * and +, activations, loss terms): 246
#: measured for 12.5 million of them (3,000 points of 100 features, 16,16 hidden, 10 classes)
NODE_BYTES = 256
#: bytes per fused neuron: its dot and activation nodes, without their inputs
FUSED_NEURON_BYTES = 400
#: bytes per input of a fused dot node (its share of the node's input and gradient lists)
FUSED_INPUT_BYTES = 24
#: bytes per parameter that live all run: the Value, its L2 node, optimizer buffers
PARAMETER_BYTES = 500
#: bytes per data point (its list of 2 floats, its label, the train/validation split)
SAMPLE_BYTES = 400
#: A recorded parameter value: a float object and the list's pointer to it.
RECORDED_VALUE_BYTES = 32
#: bytes per data point for each feature beyond the 2 above (a float and its pointer), and
#: per point of a batch for each input lifted to a Value (a leaf of the step's graph)
FEATURE_BYTES = 32
INPUT_BYTES = 200
#: The memory limit where the free memory cannot be read (not Linux): 8 GiB.
FALLBACK_MEMORY_LIMIT = 8 * 2**30


class CannotRun(Exception):
    """The options cannot run: a file that does not match them, sizes that do not fit."""


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``prog`` is the name shown in usage lines."""
    p = argparse.ArgumentParser(
        prog=prog or _program_name(),
        description=(
            "Train a multi-layer perceptron with gradient descent on a toy 2-D data set, or on "
            "your own CSV file with --data, and write its loss curve, computation graph, "
            "history and lab page (and, for 2-D inputs, its decision boundary). The defaults "
            "reproduce micrograd's demo."
        ),
    )
    data = p.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument(  # no default here: argparse could not tell --dataset moons from it
        "--dataset",
        choices=sorted(DATASETS),
        help=f"the toy data set (default: {DEFAULT_DATASET})",
    )
    source.add_argument(
        "--data",
        metavar="FILE.csv",
        help="your own data instead: numeric feature columns and a label column of classes "
        "0..K-1, the last or --target's; a header row is optional (see nn.load_csv)",
    )
    data.add_argument(
        "--target",
        metavar="NAME",
        help="with --data: the label column, by header name or by 0-based index (a whole "
        "number, negative from the end; default: the last column)",
    )
    data.add_argument(
        "--delimiter",
        help="with --data: the character between cells; \\t (the two characters) is a tab "
        "(default: ',')",
    )
    data.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        help="with --data: the first row is a header (--header) or data (--no-header) "
        "(default: detected, see nn.load_csv)",
    )
    data.add_argument(
        "--max-bytes",
        type=positive_int,
        help=f"with --data: refuse a larger file before reading it (default: {DEFAULT_MAX_BYTES})",
    )
    data.add_argument(
        "--samples",
        type=positive_int,
        help=f"number of points of --dataset (default: {DEFAULT_SAMPLES})",
    )
    data.add_argument(
        "--noise",
        type=number_in(_validate.NON_NEGATIVE),
        help=f"std of the Gaussian noise added to --dataset's points (default: {DEFAULT_NOISE})",
    )
    data.add_argument(
        "--classes",
        type=positive_int,
        help=f"number of classes, for spirals and blobs (default: {DEFAULT_CLASSES}, or the "
        "loaded model's); with --data, at least the file's (default: the file's)",
    )
    data.add_argument(
        "--val-fraction",
        type=number_in(_validate.FRACTION),
        default=0.0,
        help="share of the points held out for validation (default: none)",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--hidden",
        type=layer_sizes,
        help="hidden layer sizes, comma-separated (default: "
        f"{','.join(map(str, DEFAULT_HIDDEN))}, or the loaded model's)",
    )
    model.add_argument(
        "--activation",
        choices=["relu", "tanh", "sigmoid"],
        help=f"activation of the hidden layers (default: {DEFAULT_ACTIVATION}, or the loaded "
        "model's)",
    )
    model.add_argument(
        "--elementwise",
        action="store_true",
        help="build micrograd's elementwise graph instead of fused neurons",
    )

    train = p.add_argument_group("training")
    train.add_argument(
        "--loss",
        choices=LOSSES,
        help="the loss (default: hinge for 2 classes, cross_entropy for more)",
    )
    train.add_argument(
        "--alpha",
        type=number_in(_validate.NON_NEGATIVE),
        default=1e-4,
        help="weight of the L2 penalty (default: %(default)s)",
    )
    train.add_argument(
        "--steps", type=positive_int, default=100, help="number of updates (default: %(default)s)"
    )
    train.add_argument(
        "--batch-size",
        type=positive_int,
        help="mini-batch size: SGD (default: the whole data set every step: GD)",
    )
    train.add_argument(
        "--update",
        choices=UPDATES,
        default="plain",
        help="how a gradient becomes a step (default: %(default)s)",
    )
    train.add_argument(
        "--momentum",
        type=number_in(_validate.FRACTION),
        default=0.9,
        help="momentum in [0, 1) for --update momentum or nesterov (default: %(default)s)",
    )
    train.add_argument(
        "--lr",
        type=number_in(_validate.NON_NEGATIVE),
        default=None,
        help=f"(initial) learning rate (default: {DEMO_LR}, micrograd's demo's; {DATA_LR} "
        "with --data, whose scale is unknown: 1.0 often overshoots there)",
    )
    train.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="linear",
        help="learning-rate schedule; linear is micrograd's lr * (1 - 0.9 k/steps) "
        "(default: %(default)s)",
    )
    train.add_argument(
        "--early-stopping",
        type=positive_int,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for PATIENCE steps",
    )
    train.add_argument(
        "--seed",
        type=int,
        default=1337,
        help="seed for the data, the weights and the shuffling (default: %(default)s)",
    )
    train.add_argument(
        "--compile",
        choices=("none", "python", "numpy"),
        help="run each step as a compiled program (autograd.compile_mean): python gives the "
        "engine's results bit for bit, several times faster; numpy (needs NumPy) runs the "
        "batch as arrays, within 1e-12; none runs the engine (default: python, or none "
        "for cross_entropy, which cannot be compiled)",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")

    files = p.add_argument_group("files")
    files.add_argument(
        "--out",
        default="out",
        help="folder for the pictures and the history (default: %(default)s)",
    )
    files.add_argument("--save", metavar="PATH", help="save the trained model as JSON")
    files.add_argument(
        "--load",
        metavar="PATH",
        help="start from a saved model; its architecture comes from the file (older files: "
        "give the same --hidden and --activation)",
    )
    files.add_argument(
        "--evaluate", action="store_true", help="with --load: only evaluate the model, do not train"
    )
    files.add_argument(
        "--graph",
        choices=["neurons", "full"],
        default="neurons",
        help="graph.svg: one box per neuron (readable) or every node of the engine's graph "
        "(default: %(default)s)",
    )
    files.add_argument(
        "--no-lab", action="store_true", help="do not write lab.html (the interactive page)"
    )
    files.add_argument(
        "--graph-backend",
        choices=["auto", "dot", "wasm"],
        default="auto",
        help="renderer for graph.svg; auto: dot if installed, else WebAssembly "
        "(default: %(default)s)",
    )
    return p


def _program_name() -> str:
    name = os.path.basename(sys.argv[0])
    return "python -m nn" if name in ("__main__.py", "") else name


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2: usage error, 1: failure)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_options(parser, args)
    try:
        # a CSV first: its sizes decide the model (its reading is bounded by --max-bytes)
        data = _load_data(args) if args.data else None
        saved = saved_architecture(args.load) if args.load else None
        output_activation = _resolve_architecture(args, saved, data)
    except (ValueError, OSError, CannotRun) as exc:  # StateError and load_csv's are ValueErrors
        print(f"error: {exc}", file=sys.stderr)
        return 1
    inputs = len(data[0][0]) if data else 2
    loss = _checked_loss(parser, args, data)
    try:
        _check_memory(args, loss, inputs)
        os.makedirs(args.out, exist_ok=True)  # before training: a bad --out costs no run
    except (CannotRun, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    X, y = data or DATASETS[args.dataset](args.samples, args.noise, args.classes, args.seed)
    X_val: list[list[float]] = []
    y_val: list[int] = []
    if args.val_fraction:
        X, y, X_val, y_val = split(X, y, val_fraction=args.val_fraction, seed=args.seed)
        if not X or not X_val:
            parser.error(
                f"--val-fraction {args.val_fraction} of {args.samples} samples leaves "
                f"{len(X)} for training and {len(X_val)} for validation; both need at least 1"
            )
    random.seed(args.seed)  # micrograd's demo draws its weights from the global generator
    outputs = args.classes if loss == "cross_entropy" else 1
    model = MLP(
        inputs,
        [*args.hidden, outputs],
        activation=args.activation,
        output_activation=output_activation,
        fused=not args.elementwise,
    )
    try:
        if args.load:
            nn.load(model, args.load)
        # after loading: the recorder starts from the weights training starts from
        recorder = None if args.no_lab or args.evaluate else LabRecorder(model)
        history = (
            None
            if args.evaluate
            else fit(
                model,
                X,
                y,
                loss=loss,
                optimizer=_optimizer(args, model),
                schedule=_schedule(args),
                alpha=args.alpha,
                steps=args.steps,
                batch_size=args.batch_size,
                seed=args.seed,
                val=(X_val, y_val) if X_val else None,
                # the recorder first: a callback that stops training skips those after it
                callbacks=([recorder] if recorder else [])
                + ([EarlyStopping(patience=args.early_stopping)] if args.early_stopping else []),
                progress=not args.no_progress,
                compile=False if args.compile == "none" else args.compile,
            )
        )
        _report(model, X, y, X_val, y_val, history)
        written = []
        if args.save:  # first: a picture that cannot be drawn must not cost the model
            nn.save(model, args.save)
            written.append(args.save)
        written += _write_outputs(args, model, X, y, history, loss)
        if recorder is not None and history is not None:
            written += _write_lab(args, model, X, y, X_val, y_val, history, recorder, loss)
    except TrainingDiverged as exc:
        print(f"error: training diverged: {exc}", file=sys.stderr)
        return 1
    except (StateError, OSError, ImportError, GraphvizUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(written))
    return 0


def _check_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for options that do not fit together, before any file is read;
    fills in the defaults that depend on other options (``--lr``)."""
    if args.lr is None:
        args.lr = DATA_LR if args.data else DEMO_LR
    if args.evaluate and not args.load:
        parser.error("--evaluate needs --load PATH")
    folder = os.path.dirname(os.path.abspath(args.save)) if args.save else None
    if folder and not os.path.isdir(folder) and folder != os.path.abspath(args.out):
        parser.error(f"--save {args.save}: the folder {os.path.dirname(args.save)} does not exist")
    if args.save:
        _check_save_target(parser, args)
    if args.update == "nesterov" and args.momentum == 0:
        parser.error("--update nesterov needs --momentum > 0")
    if args.early_stopping and not args.val_fraction:
        parser.error("--early-stopping needs a validation split (--val-fraction)")
    if args.classes is not None and args.classes < 2:
        parser.error(f"--classes {args.classes}: a classifier needs at least 2 classes")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        parser.error(f"--out {args.out}: exists and is not a folder")
    if args.data is None:
        for flag, value in (
            ("--target", args.target),
            ("--delimiter", args.delimiter),
            ("--header", args.header),
            ("--max-bytes", args.max_bytes),
        ):
            if value is not None:
                parser.error(f"{flag} applies to --data FILE.csv")
        args.dataset = args.dataset or DEFAULT_DATASET
        args.samples = args.samples or DEFAULT_SAMPLES
        args.noise = DEFAULT_NOISE if args.noise is None else args.noise
        return
    for flag, value in (("--samples", args.samples), ("--noise", args.noise)):
        if value is not None:
            parser.error(f"{flag} applies to --dataset; --data {args.data} has its own rows")
    if args.delimiter == "\\t":
        args.delimiter = "\t"  # what a shell passes for '\t'
    if args.delimiter is not None and len(args.delimiter) != 1:
        parser.error(
            f"--delimiter must be one character, got {args.delimiter!r} (a tab: \\t, or "
            "$'\\t' in bash)"
        )


def _check_save_target(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """A usage error if ``--save`` names the data the run reads (``--data``) or a file it
    writes into ``--out``: the model would replace the data, or an output the model. (The
    model of ``--load`` may be saved over: it is read before training and written after.)"""
    others = [(f"--data {args.data}", args.data)]
    for name in OUTPUT_FILES:
        path = os.path.join(args.out, name)
        others.append((f"{path}, which the run writes into --out", path))
    for what, path in others:
        if path is not None and _same_file(args.save, path):
            parser.error(f"--save {args.save} is the same file as {what}; save the model elsewhere")


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file: ``os.path.samefile`` where both exist (hard links
    too), else equal paths once symlinks and ``..`` are resolved."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


#: load_csv's keywords in its messages, and the options that set them here.
_OPTION_SPELLINGS = (
    (r"header=True or header=False", "--header or --no-header"),
    (r"\bheader=True\b", "--header"),
    (r"\bheader=False\b", "--no-header"),
    (r"\b(delimiter|classes|target)=(?=\s)", r"--\1"),
    (r"\b(delimiter|classes|target)=", r"--\1 "),
    (r"\bmax_bytes=", "--max-bytes "),
    (r"\bmax_bytes\b", "--max-bytes"),
)


def _load_data(args: argparse.Namespace) -> tuple[list[list[float]], list[int]]:
    """``--data``: the file through :func:`nn.data.read_csv` (read once); ``args.samples``
    becomes its rows, ``args.csv`` what :func:`_data_source` records of the reading."""
    target: str | int | None = args.target
    # An index: a file without a header has no names. 18 digits at most (int() refuses
    # thousands with its own advice); a longer number is no column's index, read as a name.
    if args.target is not None and re.fullmatch(r"-?\d{1,18}", args.target, re.ASCII):
        target = int(args.target)
    try:
        args.csv = read_csv(
            args.data,
            target,
            header=args.header,
            delimiter=args.delimiter or ",",
            classes=args.classes,
            max_bytes=args.max_bytes or DEFAULT_MAX_BYTES,
        )
    except ValueError as exc:  # its hints name the options as this command line spells them
        message = str(exc)
        for python, option in _OPTION_SPELLINGS:
            message = re.sub(python, option, message)
        raise ValueError(message) from exc
    args.samples = len(args.csv.X)
    return args.csv.X, args.csv.y


def _data_source(args: argparse.Namespace, inputs: int) -> dict[str, object]:
    """Where the run's data came from, for history.json: the toy set and its options, or the
    CSV file (as given, the SHA-256 of the bytes parsed) and how it was read: enough to read
    it again the same way. Both with the seed and the validation split."""
    split_and_seed = {"val_fraction": args.val_fraction, "seed": args.seed}
    if args.data is None:
        return {
            "dataset": args.dataset,
            "samples": args.samples,
            "noise": args.noise,
            "classes": args.classes,
            **split_and_seed,
        }
    csv: CsvData = args.csv
    return {
        "csv": args.data,
        "sha256": csv.sha256,
        "delimiter": csv.delimiter,
        "header": csv.names is not None,
        "header_detected": csv.header_detected,
        "columns": csv.names,
        "target": {
            "index": csv.target,
            "name": csv.names[csv.target] if csv.names is not None else None,
        },
        "rows": args.samples,
        "features": inputs,
        "classes": args.classes,
        **split_and_seed,
    }


def _resolve_architecture(
    args: argparse.Namespace, saved: Architecture | None, data: tuple[Data, Labels] | None
) -> str:
    """Fill in ``--hidden``, ``--activation``, ``--classes`` (and ``--loss`` where only one
    fits) from the loaded model's architecture, the CSV's labels, or the defaults; return the
    output activation. A flag given explicitly, or the CSV, must agree with the model file,
    else :class:`CannotRun`."""
    inputs = len(data[0][0]) if data else 2
    data_classes = max(data[1]) + 1 if data else None
    if saved is None:  # no --load, or an older file: the flags say what the model is
        args.hidden = args.hidden or DEFAULT_HIDDEN
        args.activation = args.activation or DEFAULT_ACTIVATION
        args.classes = args.classes or data_classes or DEFAULT_CLASSES
        return "linear"
    *hidden, outputs = saved["nouts"]
    in_file = f"the model in {args.load} has"
    if saved["nin"] != inputs:
        columns = f"{inputs} feature column{'s' if inputs != 1 else ''}"
        has = f"{args.data} has {columns}" if data else "the data sets here have 2"
        raise CannotRun(f"{in_file} {saved['nin']} inputs; {has}")
    if args.hidden is not None and args.hidden != hidden:
        raise CannotRun(
            f"--hidden {_sizes(args.hidden)} does not match: {in_file} {_sizes(hidden)}"
        )
    if args.activation is not None and args.activation != saved["activation"]:
        raise CannotRun(
            f"--activation {args.activation} does not match: {in_file} {saved['activation']}"
        )
    classes = outputs if outputs > 1 else 2
    if args.classes is not None and args.classes != classes:
        raise CannotRun(f"--classes {args.classes} does not match: {in_file} {classes} classes")
    if data_classes is not None and data_classes > classes:
        raise CannotRun(
            f"{in_file} {classes} classes, but {args.data} has labels up to {data_classes - 1}"
        )
    if data is None and classes != 2 and args.dataset not in ("spirals", "blobs"):
        raise CannotRun(
            f"{in_file} {classes} classes, but --dataset {args.dataset} has 2; pass --dataset "
            "spirals or blobs (the data set it was trained on)"
        )
    if args.loss is not None and (args.loss == "cross_entropy") != (outputs > 1):
        raise CannotRun(
            f"--loss {args.loss} does not match: {in_file} {outputs} output"
            f"{'s' if outputs > 1 else ''} (cross_entropy needs one per class, the other losses 1)"
        )
    args.hidden, args.activation, args.classes = hidden, saved["activation"], classes
    if outputs > 1:
        args.loss = "cross_entropy"
    return saved["output_activation"]


def _sizes(sizes: list[int]) -> str:
    return ",".join(map(str, sizes)) or "no hidden layers"


def estimated_bytes(args: argparse.Namespace, loss: str, inputs: int = 2) -> int:
    """The memory a run of these options needs, from the measured costs above.

    The graph of one step over a batch of b points of ``inputs`` numbers: per point, its
    inputs lifted to Values, and every fused neuron costs ``FUSED_NEURON_BYTES`` plus
    ``FUSED_INPUT_BYTES`` per input, every elementwise one (micrograd's graph) 2 n + 2 nodes
    for n inputs; cross_entropy adds its softmax, ``4 k + 4`` nodes for k classes. Then the
    parameters and the data (its features beyond 2 each).
    """
    outputs = args.classes if loss == "cross_entropy" else 1
    sizes = [inputs, *args.hidden, outputs]
    layers = list(itertools.pairwise(sizes))
    if args.elementwise:
        per_point = sum((2 * n + 2) * m for n, m in layers) * NODE_BYTES
    else:
        per_point = sum((FUSED_NEURON_BYTES + FUSED_INPUT_BYTES * (n + 1)) * m for n, m in layers)
    per_point += INPUT_BYTES * inputs
    if loss == "cross_entropy":  # the softmax: 4 nodes per logit (shift, exp, ...), then 4 more
        per_point += (4 * outputs + 4) * NODE_BYTES
    per_sample = SAMPLE_BYTES + FEATURE_BYTES * max(0, inputs - 2)
    train = args.samples - int(args.samples * args.val_fraction)
    batch = 0 if args.evaluate else min(args.batch_size or train, train)
    parameters = sum((n + 1) * m for n, m in layers)
    # the lab's recorder keeps every parameter's value before every step
    recorded = 0 if args.no_lab or args.evaluate else (args.steps + 1) * parameters
    return int(
        batch * per_point
        + parameters * PARAMETER_BYTES
        + args.samples * per_sample
        + recorded * RECORDED_VALUE_BYTES
    )


def memory_limit() -> int:
    """The memory available to a run: MemAvailable of /proc/meminfo (Linux), else 8 GiB."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return FALLBACK_MEMORY_LIMIT


def _check_memory(args: argparse.Namespace, loss: str, inputs: int) -> None:
    """:class:`CannotRun` when the run would need more memory than there is, before it starts."""
    need, limit = estimated_bytes(args, loss, inputs), memory_limit()
    if need > limit:
        data = (
            f"{args.samples} rows of {inputs} features" if args.data else f"{args.samples} samples"
        )
        fewer = "fewer rows of --data" if args.data else "fewer --samples"
        raise CannotRun(
            f"this run would need about {_gib(need)} of memory ({data}, "
            f"hidden layers {_sizes(args.hidden)}), more than the {_gib(limit)} available; "
            f"use {fewer}, smaller --hidden layers or a --batch-size"
        )


def _gib(n: int) -> str:
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


def _checked_loss(
    parser: argparse.ArgumentParser, args: argparse.Namespace, data: tuple[Data, Labels] | None
) -> str:
    """The loss to use; a usage error (exit 2) for options that do not fit together (or do
    not fit the data of ``--data``)."""
    if data is None and args.classes != 2 and args.dataset not in ("spirals", "blobs"):
        parser.error(f"--classes applies to spirals and blobs; {args.dataset} has 2 classes")
    loss = args.loss or ("hinge" if args.classes == 2 else "cross_entropy")
    if loss != "cross_entropy" and args.classes != 2:
        if data is not None and max(data[1]) + 1 == args.classes:
            parser.error(
                f"--loss {loss} needs 2 classes, but {args.data} has {args.classes} (labels 0 "
                f"to {args.classes - 1}); use --loss cross_entropy"
            )
        parser.error(f"--loss {loss} needs 2 classes; use --loss cross_entropy for {args.classes}")
    if args.compile is None:
        args.compile = "none" if loss == "cross_entropy" else "python"
    elif args.compile != "none" and loss == "cross_entropy":
        parser.error(
            f"--compile {args.compile}: cross_entropy cannot be compiled (it shifts the logits "
            "by their max, read from the data); use --compile none"
        )
    return loss


def _optimizer(args: argparse.Namespace, model: Module) -> Optimizer:
    params = model.parameters()
    if args.update == "plain":
        return GD(params, lr=args.lr)
    if args.update == "adam":
        return Adam(params, lr=args.lr)
    return SGD(params, lr=args.lr, momentum=args.momentum, nesterov=args.update == "nesterov")


def _schedule(args: argparse.Namespace) -> Schedule:
    if args.schedule == "linear":
        return LinearDecay(args.lr, 0.9 * args.lr, args.steps)
    if args.schedule == "step":
        return StepDecay(args.lr, every=max(1, args.steps // 3))
    if args.schedule == "cosine":
        return CosineDecay(args.lr, args.steps)
    return Constant(args.lr)


def _accuracy(model: Module, X: Data, y: Labels) -> float:
    with autograd.no_grad():
        return accuracy([model(list(x)) for x in X], y)


def _save(ax: Axes, path: str) -> None:
    """Write the figure of ``ax`` as a PNG and close it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    figure = ax.get_figure()
    if not isinstance(figure, Figure):  # nn.plots draws on a figure of its own
        raise TypeError(f"cannot save {path}: the plot has no figure of its own")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def _report(
    model: Module, X: Data, y: Labels, X_val: Data, y_val: Labels, history: History | None
) -> None:
    if history is not None:
        last = history.last
        print(history.method)
        if history.stopped:
            print(history.stopped)
        print(
            f"step {last['step']}: loss {last['loss']:.6f}, batch accuracy {last['accuracy']:.1%}"
        )
        print(f"trained {len(history)} steps in {history.seconds:.2f} s")
    line = f"final: train accuracy {_accuracy(model, X, y):.1%}"
    if X_val:
        line += f", validation accuracy {_accuracy(model, X_val, y_val):.1%}"
    print(line)


def _write_outputs(
    args: argparse.Namespace, model: MLP, X: Data, y: Labels, history: History | None, loss: str
) -> list[str]:
    """Write the pictures and the history into ``args.out``; returns the paths written."""
    os.makedirs(args.out, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    from nn import plots

    written = []
    if history is not None:
        path = os.path.join(args.out, "loss.png")
        _save(plots.loss_curves({history.method.split(":")[0]: history}), path)
        written.append(path)
        path = os.path.join(args.out, "history.json")
        record = {
            "method": history.method,
            "data": _data_source(args, len(X[0])),
            "records": history.records,
        }
        write_text_atomic(path, json.dumps(record, indent=1))
        written.append(path)
    note = boundary_note(len(X[0]))
    if note:
        print(f"decision_boundary.png not written: {note}")
    else:
        path = os.path.join(args.out, "decision_boundary.png")
        _save(plots.decision_boundary(model, X, y), path)
        written.append(path)
    path = os.path.join(args.out, "graph.svg")
    try:
        when = "of the loaded model" if history is None else "after training"
        _draw_hardest_sample(model, X, y, loss, path, args.graph_backend, args.graph, when)
        written.append(path)
    except GraphvizUnavailableError as exc:
        if args.graph_backend != "auto":
            raise
        print(f"warning: graph.svg not written: {exc}", file=sys.stderr)
    except (GraphTooLargeError, RenderError) as exc:
        print(
            f"warning: graph.svg not written: {exc} (with smaller --hidden layers it fits)",
            file=sys.stderr,
        )
    return written


def _draw_hardest_sample(
    model: MLP, X: Data, y: Labels, loss: str, path: str, backend: str, view: str, when: str
) -> None:
    """graph.svg: the sample with the largest loss, so that gradient flows in the picture;
    ``when`` says of which model (``after training``, ``of the loaded model``)."""
    i, value = hardest_sample(model, X, y, loss)
    why = (
        f"the largest loss {when}, so its gradient is not zero"
        if value > 0
        else "every sample's loss is 0, so no gradient flows in any picture"
    )
    print(f"graph.svg: sample {i} (class {y[i]}), {loss} loss {value:.4g}: {why}")
    shown = ", ".join(f"{v:.4g}" for v in X[i])
    drawing = draw_sample(
        model,
        X[i],
        y[i],
        loss=loss,
        view=view,
        backend=backend,
        max_nodes=GRAPH_MAX_NODES,
        max_edges=GRAPH_MAX_EDGES,
        caption=f"sample {i}'s {loss} loss after backward from it alone: x = ({shown}), "
        f"class {y[i]} ({why})",
    )
    write_text_atomic(path, drawing.svg())


def _write_lab(
    args: argparse.Namespace,
    model: MLP,
    X: Data,
    y: Labels,
    X_val: Data,
    y_val: Labels,
    history: History,
    recorder: LabRecorder,
    loss: str,
) -> list[str]:
    """lab.html: the interactive page of the run (see nn.lab); [] with a warning if too large."""
    path = os.path.join(args.out, "lab.html")
    try:
        lab = Lab(
            model,
            X,
            y,
            history,
            recorder,
            loss=loss,
            val=(X_val, y_val) if X_val else None,
            backend=args.graph_backend,
        )
        lab.write(path)
    except (GraphvizUnavailableError, GraphTooLargeError, RenderError, ValueError) as exc:
        if isinstance(exc, GraphvizUnavailableError) and args.graph_backend != "auto":
            raise
        print(f"warning: lab.html not written: {exc}", file=sys.stderr)
        return []
    print(f"lab.html: {os.path.getsize(path):,} bytes; " + "; ".join(lab.notes))
    return [path]


# Argument types: each turns the text into a value or says what was expected. Ranges and the
# finiteness policy are nn._validate's, as for the API and the loader.


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def number_in(allowed: _validate.Range) -> Callable[[str], float]:
    """An argument type: a finite number in ``allowed``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if _validate.finite_in(value, allowed) is None:
            raise argparse.ArgumentTypeError(f"must be a finite number {allowed}, got {text}")
        return value

    parse.__name__ = "number"  # what argparse calls the type in its messages
    return parse


def layer_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"expected positive layer sizes separated by commas, like 16,16; got {text!r}"
        )
    return sizes


if __name__ == "__main__":
    sys.exit(main())
