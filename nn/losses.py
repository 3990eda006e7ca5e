"""Loss functions, and the table of the losses a classifier trains with by name.

Each function reduces predictions and targets to one ``Value`` to call backward on.

Every loss over n examples is a mean, computed as micrograd's demo computes it,
``(l_0 + l_1 + ... + l_{n-1}) * (1/n)`` (summed left to right, times the reciprocal), so that
the hinge loss of micrograd's demo is reproduced bit for bit. Predictions may be Values or
numbers, targets numbers (never bools). Mismatched lengths, empty input and targets a loss
cannot take raise ``ValueError`` naming the loss.

:data:`LOSSES` is one row per loss that :func:`nn.fit`, ``--loss``, the lab and the pictures
know by name (:class:`Loss`: its function on model outputs and class labels, the labels it
takes, whether it can be compiled); :func:`classification_loss` composes a model's outputs
and labels into that loss, the one composition every caller shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import autograd
from autograd import Value
from autograd.extend import Operand
from nn._validate import NON_NEGATIVE, class_index, is_real, number, shorten
from nn.metrics import Output, single_output


def _mean(terms: list[Value]) -> Value:
    """(t_0 + ... + t_{n-1}) * (1/n), one fused sum node."""
    return autograd.sum(terms) * (1.0 / len(terms))


def _pairs(name: str, predictions: Sequence[object], targets: Sequence[object]) -> None:
    if len(predictions) != len(targets):
        raise ValueError(f"{name}: {len(predictions)} predictions but {len(targets)} targets")
    if not predictions:
        raise ValueError(f"{name}: no predictions (empty input)")


def _value(x: Operand) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _refuse(name: str, what: str, target: object, i: int) -> ValueError:
    return ValueError(f"{name}: {what}, got {shorten(target)} at index {i}")


def mse(predictions: Sequence[Operand], targets: Sequence[float]) -> Value:
    """Mean squared error: (1/n) sum_i (p_i - t_i)^2."""
    _pairs("mse", predictions, targets)
    for i, t in enumerate(targets):
        if not is_real(t):
            raise _refuse("mse", "targets must be real numbers (not bools)", t, i)
    diffs = [_value(p) - t for p, t in zip(predictions, targets)]
    return _mean([d * d for d in diffs])


def hinge(scores: Sequence[Operand], labels: Sequence[int]) -> Value:
    """SVM max-margin loss: (1/n) sum_i max(0, 1 - y_i s_i) for labels y_i in {-1, +1}.

    micrograd's demo loss, ``(1 + -y*s).relu()`` averaged; ``1 - y*s`` is bitwise the same
    number. Labels 0/1 are a mistake here (use ``2*y - 1``) and raise ``ValueError``, as do
    bools.
    """
    _pairs("hinge", scores, labels)
    for i, y in enumerate(labels):
        if not is_real(y) or y not in (-1, 1):
            raise _refuse("hinge", "labels must be -1 or +1", y, i)
    return _mean([(1.0 - y * _value(s)).relu() for s, y in zip(scores, labels)])


def bce_with_logits(logits: Sequence[Operand], targets: Sequence[float]) -> Value:
    """Binary cross-entropy on logits z with targets y in [0, 1], averaged over examples.

    Per example: -[y log s(z) + (1-y) log(1 - s(z))] with s the sigmoid. Since
    -log s(z) = softplus(-z) and -log(1 - s(z)) = softplus(z), this is

        y softplus(-z) + (1 - y) softplus(z),

    a sum of non-negative terms: no cancellation (``softplus(z) - z*y`` loses every digit for
    a confident correct z, e.g. 0 instead of 6.3e-16 at z = 35, y = 1). A term whose weight is
    0 is left out, so targets 0 and 1 cost one softplus. The engine's ``softplus`` never
    overflows nor takes the log of 0 and its derivative is the stable sigmoid, so
    d/dz = (1 - y) s(z) - y s(-z) = s(z) - y holds to full relative precision as well.
    """
    _pairs("bce_with_logits", logits, targets)
    for i, y in enumerate(targets):
        if not (is_real(y) and 0.0 <= y <= 1.0):
            raise _refuse("bce_with_logits", "targets must lie in [0, 1]", y, i)
    return _mean([_bce_term(_value(z), float(y)) for z, y in zip(logits, targets)])


def _bce_term(z: Value, y: float) -> Value:
    """y softplus(-z) + (1 - y) softplus(z), without the terms of weight 0 or factors of 1."""
    if y == 1.0:
        return (-z).softplus()
    if y == 0.0:
        return z.softplus()
    return y * (-z).softplus() + (1.0 - y) * z.softplus()


def cross_entropy(logits: Sequence[Sequence[Operand]], targets: Sequence[int]) -> Value:
    """Softmax cross-entropy: for each example's logits z and class c, averaged,

        -log softmax(z)_c = log(sum_j exp(z_j - m)) - (z_c - m),   m = max_j z_j.

    Subtracting the max keeps every exp() <= 1 (no overflow); m is taken as a constant
    (a float, not a graph node), which changes no gradient since softmax(z - m) = softmax(z).
    d/dz_j = softmax(z)_j - [j == c].

    A class c is an integral number: ``1``, ``numpy.int64(1)`` or ``1.0``; not ``True``.
    """
    _pairs("cross_entropy", logits, targets)
    terms = []
    for i, (row, target) in enumerate(zip(logits, targets)):
        zs = [_value(z) for z in row]
        if not zs:
            raise ValueError(f"cross_entropy: example {i} has no logits")
        c = class_index(target)
        if c is None or not 0 <= c < len(zs):
            why = " (a bool is not a class)" if isinstance(target, bool) else ""
            raise ValueError(
                f"cross_entropy: target {shorten(target)} of example {i} is not a class index "
                f"in [0, {len(zs)}){why}"
            )
        m = max(z.data for z in zs)
        terms.append(autograd.sum((z - m).exp() for z in zs).log() - (zs[c] - m))
    return _mean(terms)


def l2(parameters: Iterable[Value], alpha: float) -> Value:
    """L2 regularisation: alpha * sum_p p^2 (micrograd's ``alpha * sum(p*p for p in ...)``).

    ``alpha`` must be a finite number >= 0 (a negative one would reward large weights).
    """
    alpha = number("l2", "alpha", alpha, NON_NEGATIVE)
    return alpha * autograd.sum(p * p for p in parameters)


@dataclass(frozen=True)
class Loss:
    """One row of :data:`LOSSES`: a loss a classifier trains with, known by ``name``.

    ``per_class``: the model has one output per class (k logits for k classes), else one score
    s for two classes (class 1 if s > 0). ``of`` maps the outputs (scores, or lists of logits)
    and checked class indices to the mean loss. ``cannot_compile`` says why
    :func:`autograd.compile_mean` cannot trace it (None: it can).
    """

    name: str
    per_class: bool
    of: Callable[[list[Output], list[int]], Value]
    cannot_compile: str | None = None

    def outputs(self, classes: int) -> int:
        """The model's number of outputs for ``classes`` classes."""
        return classes if self.per_class else 1

    def classes(self, outputs: int) -> int:
        """The number of classes a model of ``outputs`` outputs tells apart with this loss."""
        return outputs if self.per_class else 2

    def labels(self, op: str, labels: Sequence[object], outputs: int, which: str = "") -> list[int]:
        """``labels`` as class indices: integral numbers (``1``, ``numpy.int64(1)``, ``1.0``;
        never a bool) from 0 to :meth:`classes` - 1; else ``ValueError`` naming ``op``, the
        label, its index and what the loss takes (``which``: ``""`` or ``"val "``)."""
        classes = self.classes(outputs)
        takes = f"0 to {classes - 1} (the model has {outputs} outputs)" if self.per_class else ""
        checked = []
        for i, label in enumerate(labels):
            c = class_index(label)
            if c is None or not 0 <= c < classes:
                why = "; a bool is not a class label" if isinstance(label, bool) else ""
                raise ValueError(
                    f"{op}: {which}label {shorten(label)} at index {i}: loss={self.name!r} takes "
                    f"the class labels {takes or '0 and 1'}{why}"
                )
            checked.append(c)
        return checked


def _signs(labels: list[int]) -> list[int]:
    """Class labels 0/1 as the targets -1/+1 of the margin losses."""
    return [2 * label - 1 for label in labels]


def _scores(outputs: list[Output]) -> list[Value]:
    return [single_output(o) for o in outputs]


def _logits(outputs: list[Output]) -> list[list[Value]]:
    return [o if isinstance(o, list) else [o] for o in outputs]


#: The losses :func:`classification_loss` (and so :func:`nn.fit`, the CLI, the lab) know by name.
LOSSES: dict[str, Loss] = {
    row.name: row
    for row in (
        Loss("hinge", False, lambda o, c: hinge(_scores(o), _signs(c))),
        Loss("bce", False, lambda o, c: bce_with_logits(_scores(o), c)),
        Loss("mse", False, lambda o, c: mse(_scores(o), _signs(c))),
        Loss(
            "cross_entropy",
            True,
            lambda o, c: cross_entropy(_logits(o), c),
            cannot_compile="it shifts the logits by their max, a number read from the data that "
            "a trace would freeze",
        ),
    )
}


def loss_named(name: object, op: str) -> Loss:
    """The row of :data:`LOSSES` called ``name``; else ``ValueError`` naming ``op``."""
    row = LOSSES.get(name) if isinstance(name, str) else None
    if row is None:
        raise ValueError(f"{op}: unknown loss {shorten(name)}: choose from {', '.join(LOSSES)}")
    return row


def default_loss(classes: int) -> Loss:
    """The loss a classifier of ``classes`` classes trains with unless told: micrograd's hinge
    for two, cross-entropy (one output per class) for more."""
    return LOSSES["hinge" if classes == 2 else "cross_entropy"]


def classification_loss(loss: str, outputs: Sequence[Output], labels: Sequence[object]) -> Value:
    """The mean loss named ``loss`` (a row of :data:`LOSSES`) of model outputs for class labels.

    * ``hinge``: mean_i max(0, 1 - t_i s_i) with t_i = 2 label_i - 1 in {-1, +1};
    * ``bce``: binary cross-entropy of the logit s_i for the label 0/1;
    * ``mse``: mean_i (s_i - t_i)^2 with t_i in {-1, +1} (class 1 if s > 0);
    * ``cross_entropy``: mean_i -log softmax(z_i)[label_i], one logit per class.

    The first three need one output per example (``ValueError`` otherwise). Labels are checked
    by the row (:meth:`Loss.labels`): a label the loss cannot take is a ValueError naming it
    as given (never a silent target such as -3 for a label -1, whoever calls: ``fit``, the
    lab, the pictures).
    """
    row = loss_named(loss, "classification_loss")
    outputs = list(outputs)
    first = outputs[0] if outputs else None
    width = len(first) if isinstance(first, list) and row.per_class else 1
    return row.of(outputs, row.labels("classification_loss", labels, width))
