"""A player for backprop: play, pause and step through ``backward()`` node by node.

:func:`backward_player` draws every frame of :func:`autograd.backward_frames` once, in Python,
and packs the SVGs into one self-contained piece of HTML with a small script
(``autograd/player.js``, no dependencies, no network): buttons for first / previous / play /
next / last, a slider, a speed choice, the arrow keys and the space bar, a readout naming the
node of the step and its gradient, and a switch between "fit to width" and "actual size"
(scrollable). It displays inline in Jupyter (``_repr_html_``) and keeps working in the saved
notebook without a kernel (nbviewer, the exported HTML); :meth:`BackwardPlayer.write` saves
it as a page of its own.

>>> from autograd import Value, backward_player
>>> a = Value(3.0, label="a")
>>> b = a * a
>>> b.label = "b"
>>> player = backward_player(b + b)   # doctest: +SKIP
>>> len(player.frames)                # doctest: +SKIP
3

The frames are rendered with :func:`autograd.draw_graph`'s options (``params=``,
``rankdir=``, ``groups=``, ``legend=``, ``backend=``...), so the same colours and shapes mean
the same things. A viewer that runs no scripts (GitHub's) shows the last frame, with every
gradient final.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.engine import Value
from autograd.extend import script_json, write_text_atomic
from autograd.viz import HIGHLIGHT_COLOUR, backward_frames, fit_to_container, format_number

__all__ = ["BackwardPlayer", "backward_player"]


def _name(node: Value) -> str:
    """How the readout names a node: its label, else its operation, else its data."""
    if node.label:
        return str(node.label)
    if node._op:
        return f"({node._op})"
    return f"unlabelled leaf (data {format_number(float(node.data))})"


class BackwardPlayer:
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
        self._payload: str | None = None

    def __repr__(self) -> str:
        return f"<BackwardPlayer of {len(self.frames)} steps>"

    @property
    def payload(self) -> str:
        """The frames as gzip-compressed, base64-encoded JSON (what the script decodes): its
        letters need no escaping in the page's ``<script>`` element."""
        if self._payload is None:
            data = {
                "title": self.title,
                "interval": self.interval,
                "highlight": HIGHLIGHT_COLOUR,
                "frames": self.frames,
            }
            raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
            self._payload = base64.b64encode(gzip.compress(raw, 9, mtime=0)).decode("ascii")
        return self._payload

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the player inline (it needs no kernel)."""
        # The id comes from the data: re-running a notebook does not change its output.
        uid = "vg-bp-" + hashlib.sha1(self.payload.encode("ascii")).hexdigest()[:12]
        js = resources.files("autograd").joinpath("player.js").read_text(encoding="utf-8")
        last = self.frames[-1]
        return (
            f"<div class='vg-bp' id='{uid}'>"
            f"<p class='vg-bp-static'>Backprop player: it needs JavaScript. Without it, this "
            f"is the last of its {len(self.frames)} steps.</p>{last['svg']}\n"
            f"<script type='application/x-valuegrad-frames'>{self.payload}</script></div>\n"
            f"<script>{js}\nValuegradPlayer.mountId({script_json(uid)});</script>"
        )

    def html(self) -> str:
        """A complete HTML page holding the player."""
        return (
            "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>{html.escape(self.title or 'backprop')}</title></head>"
            f"<body>{self._repr_html_()}</body></html>\n"
        )

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`html` to ``path`` atomically; return the path."""
        return write_text_atomic(path, self.html())


def backward_player(
    root: Value, *, title: str = "", interval: int = 700, **options: Any
) -> BackwardPlayer:
    """A :class:`BackwardPlayer` of backprop from ``root``, one frame per step.

    ``options`` go to :func:`autograd.draw_graph` (e.g. ``params=``, ``rankdir="TB"``,
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
