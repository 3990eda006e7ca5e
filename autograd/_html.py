"""Data placed into the HTML pages the library writes by hand, escaped for where it goes.

Three writers build pages as text (:mod:`autograd.player`, :mod:`nn.player`, :mod:`nn.lab`).
Every value they place inside a ``<script>`` element goes through :func:`script_json`, and
every colour that reaches a style or an attribute through :func:`css_colour`. (Their large
payloads are base64, whose letters need no escaping anywhere; page titles and text go through
``html.escape`` or the browser's ``textContent``.)
"""

from __future__ import annotations

import json
import re
import reprlib

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
