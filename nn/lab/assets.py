"""The lab pages' scripts and styles: plain files of this package, joined as text (no build step).

The static page's script is ``draw.js`` (the drawing both labs share: ``VgDraw``) then
``lab.js``; the live widget's ES module is ``draw.js`` then ``live.js``. Joining is
concatenation in the order given, one file after another on its own lines.
"""

from __future__ import annotations

from importlib import resources


def script(*names: str) -> str:
    """The JavaScript files ``names`` of :mod:`nn.lab`, joined in this order."""
    return _joined(names, ".js")


def style(*names: str) -> str:
    """The CSS files ``names`` of :mod:`nn.lab`, joined in this order."""
    return _joined(names, ".css")


def _joined(names: tuple[str, ...], suffix: str) -> str:
    if not names:
        raise ValueError(f"nn.lab.assets: name at least one {suffix} file to join")
    for name in names:
        if not name.endswith(suffix) or "/" in name or "\\" in name:
            raise ValueError(
                f"nn.lab.assets: {name!r} is not a {suffix} file of nn/lab (give its bare name, "
                f"e.g. 'draw{suffix}')"
            )
    folder = resources.files("nn.lab")
    return "\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in names)
