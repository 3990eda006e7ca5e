"""The command line: train an MLP on a toy data set (or your CSV file) and write its pictures.

Options in, :func:`nn.write_run` out: this module parses the options and turns what
:func:`nn.write_run` raises into a message and an exit code; the run itself is
:mod:`nn.run`'s, callable from Python with the same names.

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

It says what it is doing as it goes (training, drawing, writing the lab page: the slow part),
then lists the files written and, when it wrote the lab page, ``open out/lab.html in a
browser``.

Exit codes: 2 for a usage error (options that are malformed or do not fit together), 1 for a
run that cannot be done or fails (a bad model file, a file that does not match the options,
a diverging run), each with one line ``error: ...``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence

from autograd.viz import GraphvizUnavailableError
from nn import _validate
from nn.csv import DEFAULT_MAX_BYTES
from nn.losses import LOSSES
from nn.run import (
    ACTIVATIONS,
    COMPILE_MODES,
    DATA_LR,
    DATASETS,
    DEFAULT_ACTIVATION,
    DEFAULT_CLASSES,
    DEFAULT_DATASET,
    DEFAULT_HIDDEN,
    DEFAULT_NOISE,
    DEFAULT_SAMPLES,
    DEMO_LR,
    GRAPH_BACKENDS,
    GRAPH_VIEWS,
    SCHEDULES,
    UPDATES,
    CannotRun,
    OptionError,
    write_run,
)
from nn.train import TrainingDiverged


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
        "(default: detected among , ; tab |, else ',')",
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
        choices=ACTIVATIONS,
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
        choices=COMPILE_MODES,
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
        choices=GRAPH_VIEWS,
        default="neurons",
        help="graph.svg: one box per neuron (readable) or every node of the engine's graph "
        "(default: %(default)s)",
    )
    files.add_argument(
        "--no-lab", action="store_true", help="do not write lab.html (the interactive page)"
    )
    files.add_argument(
        "--graph-backend",
        choices=GRAPH_BACKENDS,
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
    options = vars(args)  # each option's dest is write_run's keyword of the same name
    options["progress"] = not options.pop("no_progress")
    options["lab"] = not options.pop("no_lab")
    if args.delimiter == "\\t":
        options["delimiter"] = "\t"  # what a shell passes for '\t'
    # An index: a file without a header has no names. 18 digits at most (int() refuses
    # thousands with its own advice); a longer number is no column's index, read as a name.
    if args.target is not None and re.fullmatch(r"-?\d{1,18}", args.target, re.ASCII):
        options["target"] = int(args.target)
    try:
        written = write_run(**options)
    except OptionError as exc:
        parser.error(str(exc))
    except TrainingDiverged as exc:
        print(f"error: training diverged: {exc}", file=sys.stderr)
        return 1
    except (ValueError, OSError, CannotRun, ImportError, GraphvizUnavailableError) as exc:
        # StateError and load_csv's are ValueErrors
        print(f"error: {_as_options(str(exc))}", file=sys.stderr)
        return 1
    print("wrote " + "\n      ".join(written))
    lab = os.path.join(args.out, "lab.html")
    if lab in written:
        print(f"open {lab} in a browser: the run's lab page")
    return 0


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


def _as_options(message: str) -> str:
    """:func:`nn.load_csv`'s message with its keywords spelled as the options that set them."""
    if not message.startswith("load_csv: "):
        return message
    for python, option in _OPTION_SPELLINGS:
        message = re.sub(python, option, message)
    return message


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
