"""What a classifier's outputs mean: the class it predicts, its accuracy (its loss: nn.losses).

One place for what the trainer (:func:`nn.fit`), the pictures (:mod:`nn.plots`), the command
line and the lab (:mod:`nn.lab`) all read off a model's output. A model has either

* **one output**, a score s: the predicted class is 1 if s > 0 else 0 (micrograd's demo,
  labels 0/1 seen as -1/+1 by the hinge and mse losses, as 0/1 by binary cross-entropy); or
* **k outputs**, one logit per class: the predicted class is argmax_c z_c (the first one on a
  tie), and the loss is softmax cross-entropy (the rows of :data:`nn.losses.LOSSES` say which
  loss takes which).

The accuracy of outputs o_1..o_n on labels t_1..t_n is (1/n) * #{i : class(o_i) = t_i}.
"""

from __future__ import annotations

from collections.abc import Sequence

import autograd
from autograd import Value
from nn._validate import class_index, shorten
from nn.module import Module

Output = Value | list[Value]


def single_output(output: Output) -> Value:
    """``output`` if it is one score; else ``ValueError``: the loss needs one output."""
    if isinstance(output, list):
        raise ValueError(
            f"fit: this loss needs a model with one output, got {len(output)}; "
            "use loss='cross_entropy' for one output per class"
        )
    return output


def predicted_class(output: Output) -> int:
    """The class of one output: 1 if the score is > 0 else 0, or the index of the largest
    logit (the first of equal ones)."""
    if isinstance(output, list):
        return max(range(len(output)), key=lambda i: output[i].data)
    return int(output.data > 0)


def accuracy(outputs: Sequence[Output], labels: Sequence[int]) -> float:
    """The fraction of outputs whose :func:`predicted_class` is their label (as many of each)."""
    if len(outputs) != len(labels):
        raise ValueError(f"accuracy: {len(outputs)} outputs but {len(labels)} labels")
    if not labels:
        raise ValueError("accuracy: no outputs and no labels: the accuracy of nothing is undefined")
    indices = [class_index(label) for label in labels]
    if None in indices:
        bad = labels[indices.index(None)]
        raise ValueError(f"accuracy: label {shorten(bad)} is not a class index (a bool is not)")
    hits = sum(predicted_class(o) == c for o, c in zip(outputs, indices, strict=True))
    return hits / len(labels)


def boundary_note(features: int) -> str | None:
    """Why there is no decision boundary for inputs of ``features`` numbers; None for 2.

    A decision boundary colours the plane of the two inputs by the class the model predicts
    at each point of it; inputs of 3 numbers (or 1) have no such plane to colour. One rule
    for every picture: :func:`nn.plots.decision_boundary` raises this note as its
    ``ValueError``, the lab page shows it in place of its boundary panel, the command line
    prints it instead of writing ``decision_boundary.png``.
    """
    if features == 2:
        return None
    return (
        f"no decision boundary: it needs 2-D inputs, these have {features} feature"
        f"{'' if features == 1 else 's'} (the loss curves, the graph and backward still show "
        "the run)"
    )


def predict(model: Module, x: Sequence[float]) -> int:
    """The class the model assigns to one input (its :func:`predicted_class`), no graph kept."""
    with autograd.no_grad():
        return predicted_class(model(list(x)))
