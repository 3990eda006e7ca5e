"""notebooks/export.py: the notebooks as HTML pages that read right offline, math as MathML.

The formulas are found in the markdown (not in code), each written by latex2mathml; the page
is opened in Chromium with no network, where every formula must be drawn as math and no TeX
source, MathJax or other script may be asked for.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytest.importorskip("nbconvert")
pytest.importorskip("latex2mathml")
import nbformat
from latex2mathml.converter import convert

from tests.browser import watch

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
_spec = importlib.util.spec_from_file_location("notebooks_export", NOTEBOOKS / "export.py")
assert _spec is not None and _spec.loader is not None
export = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export)


def test_inline_and_display_formulas_become_mathml() -> None:
    text = "The slope $\\frac{dL}{da}$ and\n\n$$L = (a b + c) f$$\n"
    assert export.mathml(text) == (
        "The slope "
        + convert("\\frac{dL}{da}", display="inline")
        + " and\n\n"
        + convert("L = (a b + c) f", display="block")
        + "\n"
    )


def test_a_formula_across_a_line_break_is_one_formula() -> None:
    assert export.mathml("is $\\left(\\frac{1}{2}\n\\right)^2$.") == (
        "is " + convert("\\left(\\frac{1}{2}\n\\right)^2") + "."
    )


@pytest.mark.parametrize(
    "text",
    [
        "in code: `x = $a$` stays",
        "a block:\n```python\nprint('$a$', '$b$')\n```\n",
        "it costs \\$5 and \\$6",
        "a paragraph with $\n\nand another with $",  # a blank line ends an inline formula
    ],
)
def test_code_escaped_dollars_and_lone_dollars_are_left_as_they_are(text: str) -> None:
    assert export.mathml(text) == text


@pytest.mark.parametrize(
    "tex, why", [("x^", "MissingSuperScript"), ("\\frax{1}{2}", "\\\\frax unknown")]
)
def test_a_formula_that_cannot_be_converted_names_where_it_is(tex: str, why: str) -> None:
    with pytest.raises(ValueError, match=rf"04_x\.ipynb, cell 3: cannot write .*{why}"):
        export.mathml(f"bad: ${tex}$", "04_x.ipynb, cell 3")


def dollars_outside_code(markdown: str) -> list[str]:
    """The lines that still hold a ``$`` outside code spans and blocks (escaped ones aside)."""
    text = re.sub(r"```.*?```|`[^`\n]*`|\\\$", "", markdown, flags=re.S)
    return [line for line in text.splitlines() if "$" in line]


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_every_formula_of_every_notebook_is_converted(path: Path) -> None:
    nb = export.with_mathml(nbformat.read(path, as_version=4), path.name)
    for i, cell in enumerate(nb.cells):
        texts = [cell.source] if cell.cell_type == "markdown" else []
        texts += [out.get("data", {}).get("text/markdown", "") for out in cell.get("outputs", [])]
        for text in texts:
            assert dollars_outside_code(text) == [], f"{path.name}, cell {i}"


def test_the_page_draws_its_math_offline_and_hides_tagged_inputs(browser, tmp_path: Path) -> None:
    """A notebook with math in a markdown cell and in a displayed Markdown output, and a
    conclusion cell tagged hide-input: offline in Chromium, every formula is MathML that takes
    up room on the page, no TeX shows, nothing is fetched, and the hidden cell shows only
    its output."""
    v4 = nbformat.v4
    hidden = v4.new_code_cell("show_the_conclusion_secretly()", metadata={"tags": ["hide-input"]})
    hidden.outputs = [
        v4.new_output("display_data", data={"text/markdown": "So $x^2$ grows.", "text/plain": ""})
    ]
    shown = v4.new_code_cell("print('visible code')")
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("# T of $x_i$\n\nA slope $\\frac{dL}{da}$:\n\n$$y = x^2$$"),
            hidden,
            shown,
        ]
    )
    path = tmp_path / "09_math.ipynb"
    nbformat.write(nb, path)
    page_path = export.export(path, tmp_path / "html")
    page = browser.new_page()
    try:
        problems = watch(page)
        page.goto(page_path.as_uri())
        assert page.locator("math").count() == 4
        assert page.locator("h1 math msub").count() == 1  # a heading's math is MathML too
        assert page.locator("math[display='block']").count() == 1
        for box in page.eval_on_selector_all(
            "math", "ms => ms.map(m => m.getBoundingClientRect().height)"
        ):
            assert box > 5  # drawn as math, not an unknown element of no size
        text = page.inner_text("body")
        assert "$" not in text and "\\frac" not in text and "So" in text and "grows" in text
        assert "show_the_conclusion_secretly" not in text and "visible code" in text
        assert problems == []
    finally:
        page.close()


def test_a_widget_shows_its_text_form_on_the_page(tmp_path: Path) -> None:
    """A live widget needs a kernel: the page shows what its repr says, not an empty output."""
    v4 = nbformat.v4
    cell = v4.new_code_cell("lab = nn.LiveLab()\nlab")
    widget = {"model_id": "abc", "version_major": 2, "version_minor": 0}
    shown = "<LiveLab: MLP 2-16-16-1, 0 steps>"
    cell.outputs = [
        v4.new_output(
            "execute_result",
            data={"application/vnd.jupyter.widget-view+json": widget, "text/plain": shown},
            execution_count=1,
        )
    ]
    path = tmp_path / "08_lab.ipynb"
    nbformat.write(v4.new_notebook(cells=[cell]), path)
    page = export.export(path, tmp_path / "html").read_text(encoding="utf-8")
    assert "&lt;LiveLab: MLP 2-16-16-1, 0 steps&gt;" in page
    assert "it runs in Jupyter with a kernel" in page


def test_a_real_notebook_exports_with_nothing_fetched_and_no_tex_shown(browser, tmp_path) -> None:
    path = NOTEBOOKS / "01_derivatives_and_the_chain_rule.ipynb"
    page_path = export.export(path, tmp_path)
    page = browser.new_page()
    try:
        problems = watch(page)
        page.goto(page_path.as_uri())
        assert page.locator("math").count() >= 10
        # what the markdown cells and the Markdown outputs show (code may hold TeX as text)
        text = "\n".join(
            page.eval_on_selector_all(".jp-RenderedMarkdown", "es => es.map(e => e.innerText)")
        )
        assert "derivative" in text and "$" not in text
        assert not re.search(r"\\(frac|cdot|partial|approx)\b", text)
        assert problems == []
    finally:
        page.close()
