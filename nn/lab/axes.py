"""The ticks of the lab's charts, chosen and written in Python: the page's script only places them.

A tick is ``[value, text]``: the float places it, the text (:func:`nn.lab.graph.fmt`, 4
significant digits) is what the page shows. :func:`linear_ticks` for the decision boundary's
axes and the loss chart's steps, :func:`log_scale` for the loss (one tick a decade).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from nn.lab.graph import fmt

#: At most this many ticks on an axis (decades too: every second one past it, and so on).
MAX_TICKS = 6


def linear_ticks(
    lo: float, hi: float, *, count: int = 5, integers: bool = False
) -> list[list[Any]]:
    """Ticks at round values in ``[lo, hi]``: multiples of 1, 2 or 5 times a power of ten,
    spaced so that about ``count`` fit; with ``integers``, multiples of at least 1."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [[lo, fmt(lo)]] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, count)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integers:
        step = max(1.0, round(step))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9 * step:
        value = k * step
        ticks.append([value, fmt(round(value, 12))])
        k += 1
    return ticks


def log_scale(values: Iterable[float | None]) -> dict[str, Any]:
    """A log axis for positive ``values``: whole decades ``lo`` to ``hi`` (``lo < hi``) around
    the finite positive ones, and a tick a decade (every second one past :data:`MAX_TICKS`
    decades, and so on). With no positive value, the decade 0.1 to 1."""
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    if not positive:
        low, high = -1, 0
    else:
        low = math.floor(math.log10(min(positive)))
        high = math.ceil(math.log10(max(positive)))
        high = max(high, low + 1)
    every = math.ceil((high - low) / MAX_TICKS)
    ticks = [[10.0**e, fmt(10.0**e)] for e in range(low, high + 1) if (e - low) % every == 0]
    return {"lo": 10.0**low, "hi": 10.0**high, "ticks": ticks}
