"""The command line: train an MLP on a toy data set and write its pictures.

    python -m nn                 # micrograd's demo: moons, MLP 2-16-16-1, hinge + L2, 100 GD steps
    python -m nn --batch-size 10 --update momentum --lr 0.1 --steps 300
    python -m nn --help          # every option

Writes into ``--out`` (default ``out/``): ``loss.png`` (the loss curve), ``decision_boundary.png``
(the model's regions with the data), ``graph.svg`` (the computation graph of one sample's
loss) and ``history.json`` (every step's metrics); with ``--save``, the trained model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence

import autograd
import nn
from autograd import GraphTooLargeError, GraphvizUnavailableError, Value, render_svg
from autograd._files import write_text_atomic
from nn.data import make_blobs, make_circles, make_moons, make_spirals, make_xor, split
from nn.module import MLP, Module
from nn.optim import GD, SGD, Adam, Constant, CosineDecay, LinearDecay, Optimizer, StepDecay
from nn.serialize import StateError
from nn.train import LOSSES, EarlyStopping, History, TrainingDiverged, fit, predict

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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description=(
            "Train a multi-layer perceptron on a toy 2-D data set with gradient descent and "
            "write its loss curve, decision boundary and computation graph. The defaults "
            "reproduce micrograd's demo."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset", choices=sorted(DATASETS), default="moons", help="the toy data set"
    )
    data.add_argument("--samples", type=_positive_int, default=100, help="number of points")
    data.add_argument(
        "--noise",
        type=_non_negative_float,
        default=0.1,
        help="Gaussian noise (std) added to the points",
    )
    data.add_argument(
        "--classes", type=_positive_int, default=2, help="classes, for spirals and blobs"
    )
    data.add_argument(
        "--val-fraction",
        type=_fraction,
        default=0.0,
        help="share of the points held out for validation",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--hidden", type=_sizes, default=[16, 16], help="hidden layer sizes, comma-separated"
    )
    model.add_argument(
        "--activation",
        choices=["relu", "tanh", "sigmoid"],
        default="relu",
        help="hidden activation",
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
        default=None,
        help="loss (default: hinge for 2 classes, cross_entropy for more)",
    )
    train.add_argument("--alpha", type=_non_negative_float, default=1e-4, help="L2 penalty weight")
    train.add_argument("--steps", type=_positive_int, default=100, help="number of updates")
    train.add_argument(
        "--batch-size",
        type=_positive_int,
        default=None,
        help="mini-batch size (SGD); default: the whole data set (GD)",
    )
    train.add_argument(
        "--update", choices=UPDATES, default="plain", help="how a gradient becomes a step"
    )
    train.add_argument(
        "--momentum",
        type=_non_negative_float,
        default=0.9,
        help="momentum for --update momentum/nesterov",
    )
    train.add_argument("--lr", type=_positive_float, default=1.0, help="(initial) learning rate")
    train.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="linear",
        help="learning-rate schedule; linear: lr * (1 - 0.9 k/steps), micrograd's",
    )
    train.add_argument(
        "--early-stopping",
        type=_positive_int,
        default=None,
        metavar="PATIENCE",
        help="stop when the validation loss has not improved for this many steps",
    )
    train.add_argument(
        "--seed", type=int, default=1337, help="seed for data, weights and shuffling"
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bar")

    files = p.add_argument_group("files")
    files.add_argument("--out", default="out", help="folder for the pictures and the history")
    files.add_argument("--save", metavar="PATH", help="save the trained model (JSON)")
    files.add_argument(
        "--load", metavar="PATH", help="start from a saved model (same --hidden and --activation)"
    )
    files.add_argument(
        "--evaluate", action="store_true", help="with --load: only evaluate, do not train"
    )
    files.add_argument(
        "--graph-backend",
        choices=["auto", "dot", "wasm"],
        default="auto",
        help="renderer for graph.svg",
    )
    return p


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
    random.seed(args.seed)  # micrograd's demo draws its weights from the global generator
    outputs = args.classes if loss == "cross_entropy" else 1
    model = MLP(2, [*args.hidden, outputs], activation=args.activation, fused=not args.elementwise)
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
                callbacks=[EarlyStopping(patience=args.early_stopping)]
                if args.early_stopping
                else (),
                progress=not args.no_progress,
            )
        )
        _report(model, X, y, X_val, y_val, history)
        written = _write_outputs(args, model, X, y, history)
        if args.save:
            nn.save(model, args.save)
            written.append(args.save)
    except TrainingDiverged as exc:
        print(f"error: training diverged: {exc}", file=sys.stderr)
        return 1
    except (StateError, OSError, ImportError, GraphvizUnavailableError, GraphTooLargeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("wrote " + ", ".join(written))
    return 0


def _checked_loss(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The loss to use; a usage error (exit 2) for options that do not fit together."""
    if args.evaluate and not args.load:
        parser.error("--evaluate needs --load PATH")
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
    args: argparse.Namespace, model: Module, X: list, y: list, history: History | None
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
    score = model([Value(v, label=f"x{i}") for i, v in enumerate(X[0])])
    drawing_of = score if isinstance(score, Value) else autograd.sum(score)
    drawing_of.label = "score" if isinstance(score, Value) else "sum of scores"
    render_svg(
        drawing_of,
        path,
        params=model.parameters(),
        backend=args.graph_backend,
        max_nodes=GRAPH_MAX_NODES,
        caption=f"the forward pass of one sample, x = {X[0]}",
    )
    written.append(path)
    return written


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must lie in [0, 1), got {text}")
    return value


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated layer sizes like 16,16, got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


if __name__ == "__main__":
    sys.exit(main())
