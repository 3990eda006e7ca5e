"""The notebooks' exercise convention, read from a notebook (tests/test_notebooks.py for every
notebook, tests/test_build_it_yourself.py for notebook 02's checks).

An answer cell is a code cell whose first line is ``# Exercise N``; the next code cell checks
it (notebooks/teach.py's ``check``, its code folded); ``Solution N`` is folded in
``<details><summary><b>Solution N</b></summary> ... </details>``, in a markdown cell or in the
Markdown a cell displays, and holds exactly one python block: the code that, in place of the
answer cell, makes the check say right.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

ANSWER = re.compile(r"\A# Exercise (\d+)\b")
SOLUTION = re.compile(r"<summary>\s*<b>Solution (\d+)</b>\s*</summary>(.*?)</details>", re.S)
PYTHON_BLOCK = re.compile(r"^[ \t]*```python\n(.*?)^[ \t]*```", re.S | re.M)


def answers_and_checks(nb: Any) -> dict[int, tuple[int, int]]:
    """Each exercise's number -> (its answer cell's index, its check cell's index)."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    found: dict[int, tuple[int, int]] = {}
    for k, i in enumerate(code):
        answer = ANSWER.match(nb.cells[i].source.lstrip())
        if answer and k + 1 < len(code):
            found[int(answer[1])] = (i, code[k + 1])
    return found


def solutions(nb: Any) -> dict[int, str]:
    """Each folded solution's code by its number, from markdown cells and the Markdown that
    code cells display (a solution whose prose holds numbers computed in the run)."""
    texts = [c.source for c in nb.cells if c.cell_type == "markdown"] + [
        str(out.get("data", {}).get("text/markdown", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for out in c.outputs
    ]
    found: dict[int, str] = {}
    for text in texts:
        for number, body in SOLUTION.findall(text):
            blocks = PYTHON_BLOCK.findall(body)
            assert len(blocks) == 1, f"Solution {number} holds {len(blocks)} python blocks, not 1"
            found[int(number)] = textwrap.dedent(blocks[0])
    return found
