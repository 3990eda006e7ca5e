"""A player for backprop: play, pause and step through ``backward()`` node by node.

:func:`backward_player` draws every frame of :func:`backward_frames` once, in Python, and
packs the SVGs into one self-contained widget of the page base (:mod:`autograd.viz.page`) with
a small script (``player.js`` beside this file, no dependencies, no network): buttons for
first / previous / play / next / last, a slider, a speed choice, the arrow keys and the space
bar, a readout naming the node of the step and its gradient, and a switch between "fit to
width" and "actual size" (scrollable). It displays inline in Jupyter (``_repr_html_``) and
keeps working in the saved notebook without a kernel (nbviewer, the exported HTML);
``BackwardPlayer.write()`` saves it as a page of its own.

>>> from autograd import Value
>>> from autograd.viz import backward_player
>>> a = Value(3.0, label="a")
>>> b = a * a
>>> b.label = "b"
>>> player = backward_player(b + b)   # doctest: +SKIP
>>> len(player.frames)                # doctest: +SKIP
3

The frames are rendered with :func:`draw_graph`'s options (``params=``,
``rankdir=``, ``groups=``, ``legend=``, ``backend=``...), so the same colours and shapes mean
the same things. A viewer that runs no scripts (GitHub's) shows the last frame, with every
gradient final.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

from autograd.engine import Value
from autograd.viz.frames import backward_frames
from autograd.viz.graph import fit_to_container
from autograd.viz.page import ShownAsWidget, Widget, encode_payload
from autograd.viz.style import HIGHLIGHT_COLOUR, format_number


def _name(node: Value) -> str:
    """How the readout names a node: its label, else its operation, else its data."""
    if node.label:
        return str(node.label)
    if node._op:
        return f"({node._op})"
    return f"unlabelled leaf (data {format_number(float(node.data))})"


class BackwardPlayer(ShownAsWidget):
    """Precomputed frames of backprop and the HTML that plays them.

    ``frames`` is a list of dicts, one per step of :func:`autograd.backward_steps`:
    ``{"node": name, "grad": text, "svg": drawing}``; ``title`` heads the player.
    ``interval`` is the default time between frames when playing, in milliseconds.
    """

    def __init__(self, frames: list[dict[str, str]], *, title: str = "", interval: int = 700):
        if not frames:
            raise ValueError("BackwardPlayer: no frames")
        if not interval > 0:
            raise ValueError(f"BackwardPlayer: interval must be positive, got {interval!r}")
        self.frames = frames
        self.title = title
        self.interval = int(interval)
        self._widget: Widget | None = None

    def __repr__(self) -> str:
        return f"<BackwardPlayer of {len(self.frames)} steps>"

    def widget(self) -> Widget:
        """The player as a widget of the page base (built on first use): its payload is the
        frames as gzip-compressed JSON."""
        if self._widget is None:
            data = {
                "title": self.title,
                "interval": self.interval,
                "highlight": HIGHLIGHT_COLOUR,
                "frames": self.frames,
            }
            last = self.frames[-1]
            self._widget = Widget(
                kind="vg-bp",
                payload=encode_payload(data, compress=True),
                script=resources.files("autograd.viz").joinpath("player.js").read_text("utf-8"),
                build="ValuegradPlayer.build",
                name="backprop player",
                fallback=(
                    "<p class='vg-bp-static'>Backprop player: it needs JavaScript. Without it, "
                    f"this is the last of its {len(self.frames)} steps.</p>{last['svg']}"
                ),
            )
        return self._widget

    def page_title(self) -> str:
        return self.title or "backprop"


def backward_player(
    root: Value, *, title: str = "", interval: int = 700, **options: Any
) -> BackwardPlayer:
    """A :class:`BackwardPlayer` of backprop from ``root``, one frame per step.

    ``options`` go to :func:`draw_graph` (e.g. ``params=``, ``rankdir="TB"``,
    ``groups=``); every frame is rendered now, so the player needs no kernel later.
    ``.grad`` is not touched. The graph's size limits of ``draw_graph`` apply.
    """
    frames = []
    for node, grad, drawing in backward_frames(root, **options):
        frames.append(
            {
                "node": _name(node),
                "grad": format_number(float(grad)),
                "svg": _compact(fit_to_container(drawing.svg())),
            }
        )
    return BackwardPlayer(frames, title=title, interval=interval)


def _compact(svg: str) -> str:
    """The ``<svg>`` element alone, without Graphviz's comments and the XML prologue."""
    svg = re.sub(r"<!--.*?-->", "", svg[svg.find("<svg") :], flags=re.S)
    return re.sub(r">\s+<", "><", svg).strip()
