"""The expected answers of notebook 10's exercises, computed here, out of the learner's sight.

    import gpt_checks

    check("exercise 1, ...", answer, expected=gpt_checks.softmax_gradient([0.5, -1.0, 0.2], 2, 0))

Each function computes what its exercise asks for in a way of its own (the engine's backward
pass, a table of shapes), so a check cell shows how an answer is checked but not the answer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, backward_steps, no_grad


def softmax_gradient(scores: Sequence[float], i: int, j: int) -> float:
    """d a_i / d s_j for the weights ``a = softmax(scores)``, from the engine.

    Builds ``a_i = exp(s_i) / sum_k exp(s_k)`` from ``Value`` leaves and runs the backward
    pass from ``a_i``: the gradient it gives the score ``s_j`` (0 if ``a_i`` does not depend on
    it, which never happens for a softmax). Raises ``IndexError`` for an ``i`` or ``j`` out of
    range.
    """
    s = [Value(float(x)) for x in scores]
    exps = [x.exp() for x in s]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    a_i = exps[i] / total
    return float(dict(backward_steps(a_i)).get(s[j], 0.0))


def parameter_count(n_embd: int, vocab_size: int, block_size: int, widen: int = 4) -> int:
    """The number of parameters of notebook 10's one-layer GPT (no biases) of width ``n_embd``.

    Counted from the shapes of its matrices, (rows, columns) each: the token and position
    embeddings, the four attention projections, the MLP that widens ``widen`` times and
    narrows back, and the lm head.
    """
    shapes = {
        "wte": (vocab_size, n_embd),
        "wpe": (block_size, n_embd),
        "wq": (n_embd, n_embd),
        "wk": (n_embd, n_embd),
        "wv": (n_embd, n_embd),
        "wo": (n_embd, n_embd),
        "fc1": (widen * n_embd, n_embd),
        "fc2": (n_embd, widen * n_embd),
        "lm_head": (vocab_size, n_embd),
    }
    return sum(rows * cols for rows, cols in shapes.values())


def likeliest_probability(
    model: Callable[..., Sequence[Any]], params: Any, bos: int, temperature: float
) -> float:
    """The probability the likeliest first token gets at ``temperature``.

    Runs ``model(params, bos, 0, [], [])`` (the GPT on the start token at position 0, with an
    empty cache) under ``no_grad`` and takes the largest softmax probability of its logits
    divided by ``temperature``, computed in floats from the largest logit down (no overflow).
    Raises ``ValueError`` for a temperature that is not positive.
    """
    if not temperature > 0:
        raise ValueError(f"likeliest_probability: temperature must be > 0, got {temperature!r}")
    with no_grad():
        logits = [float(z.data) / temperature for z in model(params, bos, 0, [], [])]
    top = max(logits)
    return 1.0 / math.fsum(math.exp(z - top) for z in logits)
