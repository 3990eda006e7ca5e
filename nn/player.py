"""A small self-contained player of precomputed frames, indexed by sliders (no kernel needed).

A notebook computes every frame a control can ask for, up front, and :class:`Player` ships
them in one widget of autograd's page base (:class:`autograd.extend.Widget`) with its script
inline (``nn/player.js``; no CDN, no network). A notebook helper, not part of ``nn``'s public
API: notebooks import it as ``from nn.player import Control, Player, axes_box, png``. It
displays in Jupyter through ``_repr_html_`` and keeps working in nbviewer, an HTML export or
a file written with ``Player.write``, where no kernel runs.

Each control is a slider over a list of values (a ``Control`` with ``play=True`` also gets a
play button that steps through its values: an animation). A frame is chosen by one index per
control and holds any of

* ``image``: a picture (a ``data:`` URI, e.g. from :func:`png`) that replaces the background;
* ``lines``: series drawn as SVG over the background, in data coordinates mapped through the
  ``axes`` box (see :func:`axes_box`): ``{"xy": [[x, y], ...], "color": "#1f77b4",
  "width": 2, "dash": "4 3", "markers": "none" | "all" | "last" | "ends", "radius": 4,
  "label": "shown in the legend"}`` (a dashed line's legend swatch is dashed the same way);
* ``text``: a caption under the picture (plain text).

Text of any kind (captions, labels, names) is shown as written: the page's data is JSON
escaped for its ``<script>`` element (:func:`autograd.extend.script_json`). A colour must be
one a page can show without fetching anything (:func:`autograd.extend.css_colour`: ``#hex``,
``rgb()``/``hsl()`` of numbers, a keyword), and a picture a ``data:`` URI; anything else is a
``ValueError`` naming the frame and the field, so the page never makes a request.

>>> p = Player([Control("lr", [0.1, 0.2])], {(0,): {"text": "a"}, (1,): {"text": "b"}})
>>> p.frame_count
2
>>> "nn-player" in p._repr_html_()
True
"""

from __future__ import annotations

import base64
import io
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from autograd.extend import ShownAsWidget, Widget, css_colour, encode_payload
from nn._validate import shorten

__all__ = ["Control", "Player", "axes_box", "png"]


@dataclass(frozen=True)
class Control:
    """A slider named ``name`` over ``values`` (shown as ``format(value, fmt)`` or str)."""

    name: str
    values: Sequence[Any]
    fmt: str = ""
    start: int = 0
    play: bool = False

    def labels(self) -> list[str]:
        return [format(v, self.fmt) if self.fmt else str(v) for v in self.values]


class Player(ShownAsWidget):
    """Frames keyed by a tuple of control indices, shown with one slider per control.

    ``frames`` maps ``(i0, i1, ...)`` (one index per control, in order) to a frame dict (see
    the module docstring); every combination must be present. ``background`` is a picture
    shown under every frame's lines (a ``data:`` URI), ``axes`` the box of its plot area and
    data limits (:func:`axes_box`), ``interval`` the play button's milliseconds per frame.
    """

    def __init__(
        self,
        controls: Sequence[Control],
        frames: Mapping[tuple[int, ...], Mapping[str, Any]],
        *,
        background: str | None = None,
        axes: Mapping[str, Any] | None = None,
        width: int = 720,
        title: str = "",
        interval: int = 120,
    ) -> None:
        self.controls = list(controls)
        if not self.controls:
            raise ValueError("Player: give at least one Control")
        for c in self.controls:
            if not c.values:
                raise ValueError(f"Player: control {c.name!r} has no values")
            if not 0 <= c.start < len(c.values):
                raise ValueError(f"Player: control {c.name!r} starts outside its values")
        shape = [len(c.values) for c in self.controls]
        wanted = set(itertools.product(*(range(n) for n in shape)))
        given = {tuple(k) for k in frames}
        if given != wanted:
            missing = sorted(wanted - given)[:3]
            extra = sorted(given - wanted)[:3]
            raise ValueError(f"Player: frames must cover {shape}: missing {missing}, extra {extra}")
        if any("lines" in f for f in frames.values()) and axes is None:
            raise ValueError("Player: frames with lines need axes= (see nn.player.axes_box)")
        if background is not None:
            _picture(background, "Player: background")
        for key, frame in frames.items():
            _check_frame(tuple(key), frame)
        self.frames = {tuple(k): dict(v) for k, v in frames.items()}
        self.background, self.axes = background, dict(axes) if axes else None
        self.width, self.title, self.interval = int(width), title, int(interval)

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    def data(self) -> dict[str, Any]:
        """What the page reads: the controls and the frames in row-major order."""
        order = sorted(self.frames)
        return {
            "title": self.title,
            "width": self.width,
            "interval": self.interval,
            "background": self.background,
            "axes": self.axes,
            "controls": [
                {"name": c.name, "labels": c.labels(), "start": c.start, "play": c.play}
                for c in self.controls
            ],
            "frames": [self.frames[k] for k in order],
        }

    def widget(self) -> Widget:
        """The player as a widget of autograd's page base: its data as plain JSON."""
        return Widget(
            kind="nn-player",
            payload=encode_payload(self.data()),
            script=resources.files("nn").joinpath("player.js").read_text(encoding="utf-8"),
            build="NNPlayer.build",
            name="player",
            fallback=(
                "<p>(an interactive player: it needs JavaScript; a viewer that runs no "
                "scripts shows only this line)</p>"
            ),
        )

    def page_title(self) -> str:
        return self.title or "player"

    def __repr__(self) -> str:
        names = ", ".join(f"{c.name} ({len(c.values)})" for c in self.controls)
        return f"<Player of {self.frame_count} frames: {names}>"


def _check_frame(key: tuple[int, ...], frame: Mapping[str, Any]) -> None:
    """ValueError, naming the frame and the field, for a picture that is not a ``data:`` URI
    or a line colour that is not a checked CSS colour: the page would fetch a URL."""
    where = f"Player: frames[{key}]"
    if "image" in frame:
        _picture(frame["image"], f"{where}['image']")
    for i, line in enumerate(frame.get("lines", ())):
        if "color" in line:
            css_colour(line["color"], f"{where}['lines'][{i}]['color']")


def _picture(uri: object, argument: str) -> None:
    """ValueError unless ``uri`` is a ``data:`` URI (a picture in the page, nothing to fetch)."""
    if not (isinstance(uri, str) and uri.startswith("data:")):
        raise ValueError(
            f"{argument} must be a data: URI (e.g. from nn.player.png), got {shorten(uri)}: "
            "the page is self-contained and fetches nothing"
        )


def png(fig: Any, dpi: int = 100) -> str:
    """A matplotlib figure as a ``data:image/png;base64`` URI (the figure is left open)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def axes_box(ax: Any, dpi: int = 100) -> dict[str, Any]:
    """Where ``ax``'s plot area sits in its figure (fractions from the top left) and its data
    limits: what the player needs to draw lines in data coordinates over :func:`png` of the
    figure saved at ``dpi``. Call it after the figure's layout is final (after
    ``tight_layout``), and do not save with ``bbox_inches="tight"``, which moves the box."""
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    return {
        "pixels": [round(width * dpi), round(height * dpi)],
        "left": box.x0,
        "top": 1.0 - box.y1,
        "width": box.width,
        "height": box.height,
        "xlim": list(ax.get_xlim()),
        "ylim": list(ax.get_ylim()),
        "ylog": ax.get_yscale() == "log",
    }
