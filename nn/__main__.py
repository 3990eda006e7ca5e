"""The command line: train an MLP on a toy data set and write its pictures.

    python -m nn                 # micrograd's demo: moons, MLP 2-16-16-1, hinge + L2, 100 GD steps
    python -m nn --batch-size 10 --update momentum --lr 0.1 --steps 300
    python -m nn --help          # every option

Writes into ``--out`` (default ``out/``): ``loss.png`` (the loss curve), ``decision_boundary.png``
(the model's regions with the data), ``graph.svg`` (the computation graph of one sample's
loss), ``history.json`` (every step's metrics) and ``lab.html`` (the interactive page of the
run, see :mod:`nn.lab`; ``--no-lab`` skips it); with ``--save``, the trained model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from collections.abc import Sequence

import nn
from autograd import GraphTooLargeError, GraphvizUnavailableError
from autograd._files import write_text_atomic
from nn.data import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.lab import Lab, LabRecorder, draw_sample, hardest_sample
from nn.module import MLP, Module
from nn.optim import GD, SGD, Adam, Constant, CosineDecay, LinearDecay, Optimizer, StepDecay
from nn.serialize import StateError
from nn.train import (
    LOSSES,
    EarlyStopping,
    History,
    TrainingDiverged,
    fit,
    predict,
)

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
SCHEDULES = ("linear", "constant", "step", "cosine")


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; ``prog`` is the name shown in usage lines."""
    p = argparse.ArgumentParser(
        prog=prog or _program_name(),
        description=(
            "Train a multi-layer perceptron on a toy 2-D data set with gradient descent and "
            "write its loss curve, decision boundary and computation graph. The defaults "
            "reproduce micrograd's demo."
        ),
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=sorted(DATASETS),
        default="moons",
        help="the toy data set (default: %(default)s)",
    )
    data.add_argument(
        "--samples", type=positive_int, default=100, help="number of points (default: %(default)s)"
    )
    data.add_argument(
        "--noise",
        type=non_negative_number,
        default=0.1,
        help="std of the Gaussian noise added to the points (default: %(default)s)",
    )
    data.add_argument(
        "--classes",
        type=positive_int,
        default=2,
        help="number of classes, for spirals and blobs (default: %(default)s)",
    )
    data.add_argument(
        "--val-fraction",
        type=fraction,
        default=0.0,
        help="share of the points held out for validation (default: none)",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--hidden",
        type=layer_sizes,
        default="16,16",
        help="hidden layer sizes, comma-separated (default: %(default)s)",
    )
    model.add_argument(
        "--activation",
        choices=["relu", "tanh", "sigmoid"],
        default="relu",
        help="activation of the hidden layers (default: %(default)s)",
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
        type=non_negative_number,
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
        type=fraction,
        default=0.9,
        help="momentum in [0, 1) for --update momentum or nesterov (default: %(default)s)",
    )
    train.add_argument(
        "--lr",
        type=positive_number,
        default=1.0,
        help="(initial) learning rate (default: %(default)s)",
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
        help="start from a saved model (give the same --hidden and --activation)",
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
    loss = _checked_loss(parser, args)
    X, y = DATASETS[args.dataset](args.samples, args.noise, args.classes, args.seed)
    X_val: list = []
    y_val: list = []
    if args.val_fraction:
        X, y, X_val, y_val = split(X, y, val_fraction=args.val_fraction, seed=args.seed)
        if not X or not X_val:
            parser.error(
                f"--val-fraction {args.val_fraction} of {args.samples} samples leaves "
                f"{len(X)} for training and {len(X_val)} for validation; both need at least 1"
            )
    random.seed(args.seed)  # micrograd's demo draws its weights from the global generator
    outputs = args.classes if loss == "cross_entropy" else 1
    model = MLP(2, [*args.hidden, outputs], activation=args.activation, fused=not args.elementwise)
    recorder = None if args.no_lab or args.evaluate else LabRecorder(model)
    try:
        if args.load:
            nn.load(model, args.load)
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


def _checked_loss(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The loss to use; a usage error (exit 2) for options that do not fit together."""
    if args.evaluate and not args.load:
        parser.error("--evaluate needs --load PATH")
    if args.save and not os.path.isdir(os.path.dirname(os.path.abspath(args.save))):
        parser.error(f"--save {args.save}: the folder {os.path.dirname(args.save)} does not exist")
    if args.update == "nesterov" and args.momentum == 0:
        parser.error("--update nesterov needs --momentum > 0")
    if args.early_stopping and not args.val_fraction:
        parser.error("--early-stopping needs a validation split (--val-fraction)")
    if args.classes != 2 and args.dataset not in ("spirals", "blobs"):
        parser.error(f"--classes applies to spirals and blobs; {args.dataset} has 2 classes")
    loss = args.loss or ("hinge" if args.classes == 2 else "cross_entropy")
    if loss != "cross_entropy" and args.classes != 2:
        parser.error(f"--loss {loss} needs 2 classes; use --loss cross_entropy for {args.classes}")
    return loss


def _optimizer(args: argparse.Namespace, model: Module) -> Optimizer:
    params = model.parameters()
    if args.update == "plain":
        return GD(params, lr=args.lr)
    if args.update == "adam":
        return Adam(params, lr=args.lr)
    return SGD(params, lr=args.lr, momentum=args.momentum, nesterov=args.update == "nesterov")


def _schedule(args: argparse.Namespace):
    if args.schedule == "linear":
        return LinearDecay(args.lr, 0.9 * args.lr, args.steps)
    if args.schedule == "step":
        return StepDecay(args.lr, every=max(1, args.steps // 3))
    if args.schedule == "cosine":
        return CosineDecay(args.lr, args.steps)
    return Constant(args.lr)


def _accuracy(model: Module, X: list, y: list) -> float:
    return sum(predict(model, x) == label for x, label in zip(X, y)) / len(y)


def _report(
    model: Module, X: list, y: list, X_val: list, y_val: list, history: History | None
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
    args: argparse.Namespace, model: Module, X: list, y: list, history: History | None, loss: str
) -> list[str]:
    """Write the pictures and the history into ``args.out``; returns the paths written."""
    os.makedirs(args.out, exist_ok=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nn import plots

    written = []
    if history is not None:
        path = os.path.join(args.out, "loss.png")
        ax = plots.loss_curves({history.method.split(":")[0]: history})
        ax.figure.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
        written.append(path)
        path = os.path.join(args.out, "history.json")
        record = {"method": history.method, "records": history.records}
        write_text_atomic(path, json.dumps(record, indent=1))
        written.append(path)
    path = os.path.join(args.out, "decision_boundary.png")
    ax = plots.decision_boundary(model, X, y)
    ax.figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    written.append(path)
    path = os.path.join(args.out, "graph.svg")
    try:
        _draw_hardest_sample(model, X, y, loss, path, args.graph_backend, args.graph)
        written.append(path)
    except GraphvizUnavailableError as exc:
        if args.graph_backend != "auto":
            raise
        print(f"warning: graph.svg not written: {exc}", file=sys.stderr)
    except GraphTooLargeError:
        print(
            f"warning: graph.svg not written: one sample's graph has more than "
            f"{GRAPH_MAX_NODES} nodes; use smaller --hidden layers to draw it",
            file=sys.stderr,
        )
    return written


def _draw_hardest_sample(
    model: Module, X: list, y: list, loss: str, path: str, backend: str, view: str
) -> None:
    """graph.svg: the sample with the largest loss, so that gradient flows in the picture."""
    i, value = hardest_sample(model, X, y, loss)
    why = (
        "the largest loss after training, so its gradient is not zero"
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
        caption=f"sample {i}'s {loss} loss after backward from it alone: x = ({shown}), "
        f"class {y[i]} ({why})",
    )
    write_text_atomic(path, drawing.svg())


def _write_lab(
    args: argparse.Namespace,
    model: Module,
    X: list,
    y: list,
    X_val: list,
    y_val: list,
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
    except (GraphvizUnavailableError, ValueError, TypeError) as exc:
        if isinstance(exc, GraphvizUnavailableError) and args.graph_backend != "auto":
            raise
        print(f"warning: lab.html not written: {exc}", file=sys.stderr)
        return []
    print(f"lab.html: {os.path.getsize(path):,} bytes; " + "; ".join(lab.notes))
    return [path]


# Argument types: each turns the text into a value or says what was expected.


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_number(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def non_negative_number(text: str) -> float:
    value = _number(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def fraction(text: str) -> float:
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


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
