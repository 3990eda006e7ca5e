"""Export the notebooks as HTML pages that read right offline: the math as MathML, no script
fetched from anywhere.

    python notebooks/export.py out/notebooks                 # every notebook
    python notebooks/export.py out/notebooks 04_*.ipynb      # some of them

``make notebooks-html`` runs the first form. nbconvert's own HTML export leaves every formula as
TeX source for MathJax, which it loads from a CDN: offline, a learner reads ``$\\frac{dL}{da}$``.
Here each ``$...$`` and ``$$...$$`` of a markdown cell (and of the Markdown a cell displays, such
as a folded solution) becomes MathML (latex2mathml), which browsers draw themselves; the page
loads no MathJax, RequireJS, Mermaid or widget manager. The players are self-contained and
work as in Jupyter; a live widget (notebook 08's lab) needs a kernel: the page shows its
text form.
A code cell tagged ``hide-input`` (a conclusion computed in code) shows its output only.
The committed outputs are exported as they are: run ``make notebooks`` first to refresh them.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
from jinja2 import DictLoader
from latex2mathml.converter import convert
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

HERE = Path(__file__).resolve().parent

# nbconvert's JupyterLab look, without the scripts it would fetch from the network.
OFFLINE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""

# Code (fenced blocks, then inline spans) is left as it is; math is looked for elsewhere.
CODE = re.compile(r"(```.*?```|~~~.*?~~~|`[^`\n]*`)", re.S)
# $$...$$ (display) or $...$ (inline, within one paragraph); a dollar escaped as \$ is text.
MATH = re.compile(
    r"(?<![\\$])\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)((?:[^$\n]|\n(?!\s*\n))+?)(?<![\s\\])\$"
)


def mathml(markdown: str, where: str = "markdown") -> str:
    """``markdown`` with each formula written as MathML instead of TeX.

    ``$$tex$$`` becomes a block ``<math>``, ``$tex$`` an inline one; code spans, fenced code and
    escaped dollars (``\\$``) stay as they are. A formula latex2mathml cannot read is a
    ``ValueError`` naming ``where`` and the formula (so is a command it would copy as text),
    never TeX left silently on the page.
    """

    def formula(match: re.Match[str]) -> str:
        display, tex = ("block", match[1]) if match[1] is not None else ("inline", match[2])
        try:
            written = str(convert(tex.strip(), display=display))
        except Exception as error:
            raise ValueError(
                f"{where}: cannot write ${tex}$ as MathML ({type(error).__name__}: {error})"
            ) from None
        unknown = re.search(r">[^<]*(\\[A-Za-z]+)", written)  # a command it passed on as text
        if unknown:
            raise ValueError(f"{where}: cannot write ${tex}$ as MathML ({unknown[1]} unknown)")
        return written

    parts = CODE.split(markdown)
    # split() with one group: text at even indices, code at odd ones
    return "".join(part if i % 2 else MATH.sub(formula, part) for i, part in enumerate(parts))


WIDGET = "application/vnd.jupyter.widget-view+json"


def with_mathml(nb: Any, name: str) -> Any:
    """The notebook ``nb`` (changed in place) with its markdown cells' and Markdown outputs'
    formulas as MathML (see :func:`mathml`), and each widget shown as its text form (a page
    without a kernel cannot run a widget; nbconvert would leave its output empty)."""
    for i, cell in enumerate(nb.cells):
        where = f"{name}, cell {i}"
        if cell.cell_type == "markdown":
            cell.source = mathml(cell.source, where)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = mathml(data["text/markdown"], where)
            if WIDGET in data and data.get("text/plain"):
                del data[WIDGET]
                data["text/plain"] += "\n(a live widget: it runs in Jupyter with a kernel)"
    return nb


def exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the JupyterLab look, the offline template and the
    ``hide-input`` tag honoured."""
    html = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"offline.html.j2": OFFLINE_TEMPLATE})],
        template_file="offline.html.j2",
    )
    html.register_preprocessor(
        TagRemovePreprocessor(remove_input_tags={"hide-input"}, enabled=True), enabled=True
    )
    return html


# nbconvert gives each heading an anchor by parsing and re-writing it with ElementTree, which
# writes the MathML inside with a namespace prefix (<ns0:math>) that HTML does not know.
PREFIXED = re.compile(r'\s+xmlns:ns\d+="[^"]*"|(?<=<)ns\d+:|(?<=</)ns\d+:')


def export(path: Path, folder: Path) -> Path:
    """Write the notebook at ``path`` as ``folder/<name>.html``; return that path."""
    nb = with_mathml(nbformat.read(path, as_version=4), path.name)
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    body = PREFIXED.sub("", body)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}.html"
    target.write_text(body, encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="where the .html files go")
    parser.add_argument("names", nargs="*", help="notebook files (default: all in this folder)")
    args = parser.parse_args(argv)
    names = args.names or sorted(p.name for p in HERE.glob("[0-9][0-9]_*.ipynb"))
    for name in names:
        print(export(HERE / Path(name).name, args.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
