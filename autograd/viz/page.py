"""The one page base: every HTML page and notebook widget the library writes is built here.

Three widgets are built on it (autograd's :class:`~autograd.viz.BackwardPlayer`, nn's slider
player and the lab). Each gives its data, its script and its style; this module does the rest:

* the payload: the data as JSON in a ``<script type="application/json">`` element, escaped
  for it (:func:`script_json`), optionally gzip-compressed and base64-encoded
  (:func:`encode_payload`; :func:`read_payload` reads it back from a page);
* the decoder on the page's side (``page.js``): ``ValuegradPage.mountId(id, build, name)``
  finds the first element of that id not yet mounted (a notebook may show one widget twice),
  decodes its payload (inflating it with the browser's ``DecompressionStream``), calls
  ``build(element, data)`` and marks the element ``data-ready``, or shows why it could not;
* a unique id from the payload itself (:attr:`Widget.uid`): re-running a notebook does not
  change its output;
* escaping for every context: :func:`script_json` for ``<script>``, :func:`css_colour` for a
  style or an SVG attribute, ``html.escape`` for HTML text and attributes (titles, notes);
* the page around it and writing it atomically (:meth:`Widget.page`, :meth:`Widget.write`),
  and the three ways to show a widget, given by :class:`ShownAsWidget` to what it shows.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import os
import re
import reprlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from autograd.files import write_text_atomic

#: What JSON may hold that HTML reads inside a ``<script>`` element: ``</script>`` ends it,
#: ``<!--`` then ``<script`` make the parser swallow the next ``</script>`` (and the page's
#: own script with it); U+2028 and U+2029 end lines in older JavaScript. JSON's own escapes
#: keep the value the same.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?(?:%|deg)?"
#: The colours :func:`css_colour` accepts: hex, rgb()/rgba()/hsl()/hsla() of numbers (commas,
#: spaces or a slash between them), and keywords (letters only). Nothing else can reach a
#: style: no ``;``, no ``url(``, no ``var(``, no quotes.
_COLOUR = re.compile(
    r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})"
    rf"|(?:rgba?|hsla?)\(\s*{_NUMBER}(?:(?:\s*[,/]\s*|\s+){_NUMBER}){{2,3}}\s*\)"
    r"|[a-zA-Z]+",
    re.ASCII,
)


def script_json(data: object) -> str:
    """``data`` as JSON that may sit inside an HTML ``<script>`` element as it is.

    Compact JSON with ``<``, ``>`` and ``&`` written ``\\u003c``, ``\\u003e``, ``\\u0026``
    (and U+2028, U+2029 as escapes too): the same value for ``JSON.parse`` or JavaScript,
    but no string in it can end the element (``</script>``) or open a comment and a script
    (``<!--<script>``) that would swallow the page's own script. NaN and infinities are a
    ValueError: JSON has none.
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


def css_colour(value: object, argument: str) -> str:
    """``value`` if it is a CSS colour of a form that can be checked, else a ValueError naming
    ``argument``.

    Accepted: ``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa``; ``rgb()``, ``rgba()``,
    ``hsl()``, ``hsla()`` of numbers (``rgb(31, 119, 180)``, ``hsl(120 50% 40% / 0.5)``);
    a keyword of letters (``steelblue``, ``transparent``). Refused: anything else, e.g.
    ``red; background: url(...)`` or ``url(...)``, with which a page would fetch a URL.
    """
    if isinstance(value, str) and _COLOUR.fullmatch(value):
        return value
    raise ValueError(
        f"{argument} must be a CSS colour (#rgb, #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla() "
        f"of numbers, or a colour keyword such as red), got {reprlib.repr(value)}"
    )


#: Marks the payload's element inside a widget (the decoder reads the first one it holds).
_PAYLOAD_TAG = "<script type='application/json' data-vg-payload>"


def encode_payload(data: object, *, compress: bool = False) -> str:
    """``data`` as the text of a widget's payload element (:func:`script_json`, safe there).

    ``compress=True`` ships ``{"gzip": base64(gzip(JSON))}``: a tenth of the size for large
    pages of repeated text (the decoder inflates it); otherwise ``{"json": data}``.
    """
    if not compress:
        return script_json({"json": data})
    text = json.dumps(data, separators=(",", ":"), allow_nan=False)
    packed = base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0))
    return script_json({"gzip": packed.decode("ascii")})


def decode_payload(payload: str) -> Any:
    """The data of :func:`encode_payload`'s text, as the page's decoder reads it."""
    envelope = json.loads(payload)
    if "gzip" in envelope:
        return json.loads(gzip.decompress(base64.b64decode(envelope["gzip"])))
    return envelope["json"]


def read_payload(page: str) -> Any:
    """The data of the first widget in ``page`` (an HTML page or fragment written here), as
    the page's decoder reads it; a ValueError if ``page`` holds no widget's payload."""
    start = page.find(_PAYLOAD_TAG)
    end = page.find("</script>", start)
    if start < 0 or end < 0:
        raise ValueError("read_payload: the page holds no widget's payload (no data-vg-payload)")
    return decode_payload(page[start + len(_PAYLOAD_TAG) : end])


@dataclass(frozen=True)
class Widget:
    """A self-contained widget: a ``<div>`` holding its payload, then its script; no network.

    ``kind`` is the element's class and the prefix of its id (``"vg-lab"``); ``payload`` the
    text of :func:`encode_payload`; ``script`` the widget's JavaScript, which defines
    ``build`` (a global function, e.g. ``"ValuegradLab.build"``, called as
    ``build(element, data)``); ``name`` names the widget in the message shown if it cannot
    start; ``fallback`` the HTML shown until the script runs (or where no script runs,
    already escaped); ``style`` CSS put before the element.
    """

    kind: str
    payload: str
    script: str
    build: str
    name: str
    fallback: str
    style: str = ""

    @property
    def uid(self) -> str:
        """The element's id, from the payload: the same data gives the same id."""
        return f"{self.kind}-" + hashlib.sha1(self.payload.encode("utf-8")).hexdigest()[:12]

    def fragment(self) -> str:
        """The widget as HTML to place in a page or a notebook's output (``_repr_html_``)."""
        style = f"<style>{self.style}</style>\n" if self.style else ""
        page_js = resources.files("autograd.viz").joinpath("page.js").read_text(encoding="utf-8")
        uid, name = script_json(self.uid), script_json(self.name)
        mount = f"ValuegradPage.mountId({uid}, {self.build}, {name});"
        return (
            f"{style}<div class='{self.kind}' id='{self.uid}'>{self.fallback}\n"
            f"{_PAYLOAD_TAG}{self.payload}</script></div>\n"
            f"<script>{page_js}\n{self.script}\n{mount}</script>"
        )

    def page(self, title: str) -> str:
        """A whole HTML document holding the widget, titled ``title`` (escaped)."""
        return (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title></head><body>\n"
            f"{self.fragment()}\n</body></html>\n"
        )

    def write(self, path: str | os.PathLike[str], title: str) -> Path:
        """Write :meth:`page` to ``path`` atomically; return the path."""
        return write_text_atomic(path, self.page(title))


class ShownAsWidget(ABC):
    """What shows itself as a :class:`Widget`: inline in Jupyter, as a page, as a file.

    A subclass gives :meth:`widget` and :meth:`page_title`; the three ways to show it follow.
    """

    @abstractmethod
    def widget(self) -> Widget:
        """The widget that shows this."""

    @abstractmethod
    def page_title(self) -> str:
        """The title of the page that holds it alone."""

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the widget inline (it needs no kernel to run)."""
        return self.widget().fragment()

    def html(self) -> str:
        """A whole HTML page holding the widget, its script, style and data inline."""
        return self.widget().page(self.page_title())

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`html` to ``path`` atomically; return the path."""
        return self.widget().write(path, self.page_title())
