"""How a drawing writes text and colours: labels that show as written, gradient fills, numbers.

Code that builds its own ``graphviz.Digraph`` (``nn.lab`` does) uses :func:`graph_label` for
every label and :func:`grad_colour` (with :func:`grad_scale`) for every fill, so that its
pictures escape and colour exactly as :func:`autograd.viz.draw_graph`'s. Numbers are shown
with 4 significant digits (:func:`format_number`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# Light enough that black text stays readable on the strongest fill.
_RED = (239, 138, 98)
_BLUE = (103, 169, 207)
#: The orange of a highlighted node (the current step of backward), in pictures and players.
HIGHLIGHT_COLOUR = "#e66100"
PENDING_COLOUR = "#7f7f7f"


def grad_scale(grads: Iterable[float]) -> float:
    """The ``scale`` of :func:`grad_colour` for a drawing: the largest finite ``|grad|``, or 0.

    Infinite and NaN gradients do not count: one infinite gradient would otherwise make
    every finite one white.
    """
    return max((abs(g) for g in grads if math.isfinite(g)), default=0.0)


def grad_colour(grad: float, scale: float) -> str:
    """The fill colour :func:`draw_graph` gives a gradient: ``"white"`` for 0 or NaN, else a
    ``#rrggbb`` from light to full red (positive) or blue (negative) at ``|grad| >= scale``
    (an infinite gradient, or any nonzero one when ``scale`` is 0, is full). See
    :func:`grad_scale` for ``scale``.
    """
    if math.isnan(grad) or grad == 0.0:
        return "white"
    finite = math.isfinite(scale) and scale > 0.0
    strength = 1.0 if math.isinf(grad) or not finite else min(abs(grad) / scale, 1.0)
    base = _RED if grad > 0 else _BLUE
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def format_number(x: float) -> str:
    """``x`` with 4 significant digits: 0.5, -1.235, 1.235e+06, inf, nan."""
    return f"{x:.4g}"


_RECORD_SPECIALS = frozenset('{}|<>" \\')


def graph_label(text: str) -> str:
    """``text`` as the inside of a Graphviz label (a record field, a node's ``label=``, a
    caption) that shows it as written, with any backend.

    Record specials, quotes, spaces and backslashes get a backslash; ``&`` becomes ``&amp;``
    (Graphviz reads entities such as ``&lt;`` or ``&#7;`` in every label, and writes what
    they stand for into the SVG, even characters XML cannot carry); a newline becomes a
    line break; characters that XML cannot carry or that have no glyph (controls, lone
    surrogates, U+FFFE/U+FFFF) show as their Python escape, e.g. ``\\x07``.

    A blank first line (empty, or spaces, which a record drops) followed by more lines gets
    a no-break space: the WebAssembly build traps ("out of bounds table access") on a label
    whose first line is empty and a later line long, e.g. an empty caption with the legend.
    """
    text = str(text)
    first, newline, _ = text.partition("\n")
    if newline and not first.strip(" "):
        text = "\xa0" + text
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "&":
            out.append("&amp;")
        elif ch in _RECORD_SPECIALS:
            out.append("\\" + ch)
        elif (
            ch < " " or "\x7f" <= ch <= "\x9f" or "\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff"
        ):
            out.append(ascii(ch)[1:-1].replace("\\", "\\\\"))
        else:
            out.append(ch)
    return "".join(out)
