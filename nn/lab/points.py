"""The points a lab page lets the learner pick, and the page's word when one passes no gradient.

After training most points are classified with room to spare: under the hinge loss, a point
whose margin is past 1 has loss 0 and its graph's every gradient is 0, so a backward step
reads ``... * 0 = 0``. The pickable points therefore include the ones with the largest loss
under the trained model (:func:`pickable_points`), and a point with nothing flowing back
says why (:func:`zero_gradient_note`).
"""

from __future__ import annotations

from collections.abc import Sequence

import autograd
from nn.lab.budget import spread
from nn.lab.graph import SampleGraph, fmt
from nn.losses import classification_loss
from nn.module import MLP

#: At most this many points are scored to find the largest losses (spread over the data).
MAX_SCORED = 2_000


def sample_losses(
    model: MLP, X: Sequence[Sequence[float]], y: Sequence[int], loss: str
) -> dict[int, float]:
    """Each point's own ``loss`` under ``model`` (the engine's, without recording a graph), by
    index: every point, or :data:`MAX_SCORED` of them spread evenly over a larger data set."""
    with autograd.no_grad():
        return {
            i: classification_loss(loss, [model(list(X[i]))], [y[i]]).data
            for i in spread(len(X), MAX_SCORED)
        }


def pickable_points(losses: dict[int, float], candidates: Sequence[int], k: int) -> list[int]:
    """``k`` of the ``candidates`` (all if there are no more), in order: the first and the
    last, up to ``k // 2`` of the largest positive ``losses`` (ties by index), then more spread
    evenly. Thinning a list this chose keeps its first and last and its largest losses."""
    if len(candidates) <= k:
        return list(candidates)
    worst = sorted((i for i in candidates if losses.get(i, 0.0) > 0), key=lambda i: (-losses[i], i))
    order = [candidates[0], candidates[-1], *worst[: k // 2]]
    order += [candidates[j] for j in spread(len(candidates), k)] + list(candidates)
    chosen = set(list(dict.fromkeys(order))[:k])
    return [i for i in candidates if i in chosen]


#: What to do instead, on the static page: only the ringed points have recorded graphs.
PICK_ANOTHER = "Pick a ringed point near the boundary (or another step) to see gradient flow."


def zero_gradient_note(
    g: SampleGraph, loss: str, label: int, pick: str = PICK_ANOTHER
) -> str | None:
    """Why no gradient reaches any neuron of this sample's graph (so no weight learns from it
    at this step), in words for the page, ending with ``pick`` (what to do instead); None if
    some gradient does.

    Hinge, loss 0: the margin ``t * s`` (``t = 2 label - 1``, ``s`` the score) is at least 1,
    where ``max(0, 1 - t s)`` is flat. Any loss of 0 otherwise: nothing to decrease. A loss
    above 0: every path back to the neurons crosses an activation whose derivative is 0 here
    (a ReLU that is off).
    """
    neurons = [i for i, n in enumerate(g.nodes) if n.kind == "neuron"]
    if not neurons or any(g.grads[i] != 0 for i in neurons):
        return None
    if g.loss == 0 and loss == "hinge":
        output = max(neurons, key=lambda i: g.nodes[i].layer)
        name, score = g.nodes[output].name, g.values[output]
        sign = 2 * label - 1
        return (
            f"This point's hinge loss is 0: its margin, the label's sign ({sign:+d} for class "
            f"{label}) times the score {name}, is {fmt(sign * score)}, past 1, where "
            "max(0, 1 - margin) is flat: the loss's gradient is 0 and nothing flows back "
            f"(every grad below is 0). {pick}"
        )
    if g.loss == 0:
        return (
            f"This point's {loss} loss is 0: there is nothing to decrease, the loss's gradient "
            f"is 0 and nothing flows back: every grad below is 0. {pick}"
        )
    return (
        f"This point's {loss} loss is {fmt(g.loss)}, but no gradient reaches any neuron: every "
        "path back crosses an activation whose derivative is 0 here (a ReLU that is off, its "
        f"z <= 0), so no weight learns from this point at this step. {pick}"
    )
