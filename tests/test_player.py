"""nn.player: the frame player driven in a real headless Chromium (as tests/test_lab.py).

A player with two controls (one with a play button) over a background figure: moving a
slider shows the frame of those indices, lines land where matplotlib puts the same data
points, the play button animates, and the page makes no network request and logs no error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autograd.extend import script_json
from nn.player import Control, Player, axes_box, png
from tests.browser import watch


@contextmanager
def opened(browser: Any, player: Player, folder: Path) -> Iterator[tuple[Any, list[str]]]:
    """``player`` written into ``folder`` and open in a new page, with the page's problems
    (console errors, requests that leave the page) as they are recorded."""
    page = browser.new_page()
    try:
        problems = watch(page)
        page.goto(player.write(folder / "player.html").as_uri())
        yield page, problems
    finally:
        page.close()


LRS = [0.1, 0.2, 0.3]
STEPS = [0, 1, 2, 3]


def frame(i: int, k: int) -> dict:
    return {
        "lines": [
            {
                "xy": [[0, 0], [1 + i, k]],
                "color": "#d62728",
                "label": f"lr {LRS[i]}",
                "markers": "last",
            }
        ],
        "text": f"lr {LRS[i]}, step {k}",
    }


@pytest.fixture(scope="module")
def player():
    plt = pytest.importorskip("matplotlib.pyplot")
    import matplotlib

    matplotlib.use("Agg")
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.set_xlim(0, 4)
    ax.set_ylim(0, 3)
    fig.tight_layout()
    box = axes_box(ax, dpi=100)
    # where matplotlib itself draws the point (3, 2), in pixels from the top left
    x, y = ax.transData.transform((3, 2))
    expected = (x / fig.dpi * 100, box["pixels"][1] - y / fig.dpi * 100)
    background = png(fig, dpi=100)
    plt.close(fig)
    frames = {(i, k): frame(i, k) for i in range(len(LRS)) for k in range(len(STEPS))}
    p = Player(
        [Control("learning rate", LRS), Control("step", STEPS, play=True)],
        frames,
        background=background,
        axes=box,
        title="test player",
        interval=50,
    )
    return p, expected


def test_the_player_checks_its_frames():
    with pytest.raises(ValueError, match="missing"):
        Player([Control("a", [1, 2])], {(0,): {"text": "x"}})
    with pytest.raises(ValueError, match="axes"):
        Player([Control("a", [1])], {(0,): {"lines": []}})
    assert not hasattr(nn, "Player") and "Player" not in nn.__all__  # a notebook helper
    # a frame's text cannot close the script element that carries the data
    fragment = Player([Control("a", [1])], {(0,): {"text": "</script>"}})._repr_html_()
    assert fragment.count("</script>") == 2  # the data's and the code's own


def test_the_player_runs_in_chromium_without_a_kernel(browser, player, tmp_path):
    p, expected = player
    path = p.write(tmp_path / "player.html")
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    try:
        problems = watch(page)
        page.goto(path.as_uri())
        root = page.locator(".nn-player")
        root.wait_for()
        assert root.get_attribute("data-frame") == "0"
        assert page.locator(".nn-player-text").inner_text() == "lr 0.1, step 0"

        # lr slider to index 1, step slider to index 2: frame 1 * 4 + 2
        for name, value in (("learning rate", 1), ("step", 2)):
            page.eval_on_selector(
                f"input[data-control='{name}']",
                "(s, v) => { s.value = v; s.dispatchEvent(new Event('input')); }",
                value,
            )
        assert root.get_attribute("data-frame") == "6"
        assert page.locator(".nn-player-text").inner_text() == "lr 0.2, step 2"
        # the line ends at data (2, 2)... and frame (2, 2) at (3, 2): where matplotlib puts it
        page.eval_on_selector(
            "input[data-control='learning rate']",
            "s => { s.value = 2; s.dispatchEvent(new Event('input')); }",
        )
        points = page.locator("polyline").get_attribute("points").split()
        x, y = map(float, points[-1].split(","))
        assert abs(x - expected[0]) < 1.0 and abs(y - expected[1]) < 1.0, (x, y, expected)
        assert page.locator("circle").count() == 1  # markers="last"

        # play steps through the step control and wraps around; pause stops it
        page.click("button[data-play='step']")
        page.wait_for_function(
            "() => document.querySelector('.nn-player').getAttribute('data-frame') === '9'",
            timeout=5000,
        )
        page.click("button[data-play='step']")
        assert problems == []
    finally:
        page.close()


#: Text that, unescaped in the JSON of a <script> element, takes the page down: "<!--" then
#: "<script" make the HTML parser swallow the next "</script>", and the player's script with it.
HOSTILE = "<!--<script>"


def test_a_caption_that_opens_a_comment_and_a_script_leaves_the_player_working(
    browser, tmp_path
) -> None:
    frames = {
        (0,): {"text": HOSTILE},
        (1,): {"text": "</script><script>window.injected = 1</script>\u2028&amp;"},
    }
    p = Player([Control(HOSTILE, [HOSTILE, "b"])], frames, title=HOSTILE)
    with opened(browser, p, tmp_path) as (page, problems):
        root = page.locator(".nn-player")
        assert root.get_attribute("data-mounted") == "1"  # the player's script ran
        assert page.locator(".nn-player-text").inner_text() == HOSTILE  # shown as written
        page.eval_on_selector(
            "input[type=range]", "s => { s.value = 1; s.dispatchEvent(new Event('input')); }"
        )
        assert root.get_attribute("data-frame") == "1"
        text = page.locator(".nn-player-text").text_content()
        assert text == frames[(1,)]["text"]
        assert page.evaluate("window.injected") is None
        assert problems == []


@pytest.mark.parametrize(
    "colour",
    [
        "red; background: url(http://127.0.0.1:9/pwned.png)",
        "url(http://127.0.0.1:9/pwned.png)",
        "var(--x)",
        "rgb(1, 2, url(x))",
        "#12345",
        "",
        None,
    ],
)
def test_a_line_colour_that_is_not_a_checked_css_colour_is_refused(colour) -> None:
    frame = {"lines": [{"xy": [[0, 0], [1, 1]], "color": "#d62728"}, {"xy": [], "color": colour}]}
    with pytest.raises(ValueError) as info:
        Player([Control("a", [1])], {(0,): frame}, axes=BOX)
    assert str(info.value).startswith(
        "Player: frames[(0,)]['lines'][1]['color'] must be a CSS colour (#rgb, #rrggbb"
    )


def test_pictures_that_are_not_data_uris_are_refused() -> None:
    url = "http://127.0.0.1:9/pwned.png"
    with pytest.raises(ValueError, match=r"^Player: background must be a data: URI"):
        Player([Control("a", [1])], {(0,): {}}, background=url)
    with pytest.raises(ValueError, match=r"^Player: frames\[\(0,\)\]\['image'\] must be a data"):
        Player([Control("a", [1])], {(0,): {"image": url}})


#: An axes box for lines drawn in a page without a background picture.
BOX = {"pixels": [100, 100], "left": 0, "top": 0, "width": 1, "height": 1, "xlim": [0, 1],
       "ylim": [0, 1], "ylog": False}  # fmt: skip


def test_checked_colours_of_every_form_are_drawn_and_fetch_nothing(browser, tmp_path) -> None:
    colours = ["#d62728", "#f00", "#ff000080", "rgb(31, 119, 180)", "hsl(120 50% 40% / 0.5)",
               "steelblue"]  # fmt: skip
    lines = [{"xy": [[0, 0], [1, 1]], "color": c, "label": c} for c in colours]
    p = Player([Control("a", [1])], {(0,): {"lines": lines}}, axes=BOX)
    with opened(browser, p, tmp_path) as (page, problems):
        strokes = page.eval_on_selector_all(
            "polyline", "ls => ls.map(l => getComputedStyle(l).stroke)"
        )
        swatches = page.eval_on_selector_all(
            "span > span", "ss => ss.map(s => getComputedStyle(s).backgroundColor)"
        )
        assert strokes == swatches == [
            "rgb(214, 39, 40)", "rgb(255, 0, 0)", "rgba(255, 0, 0, 0.5)", "rgb(31, 119, 180)",
            "rgba(51, 153, 51, 0.5)", "rgb(70, 130, 180)",
        ]  # fmt: skip
        assert problems == []  # no request but file: and data:, no error


def test_a_dashed_line_has_a_dashed_legend_swatch_and_a_solid_one_a_solid_swatch(
    browser, tmp_path
) -> None:
    lines = [
        {"xy": [[0, 0], [1, 1]], "color": "#1f77b4", "label": "solid"},
        {"xy": [[0, 1], [1, 0]], "color": "#d62728", "dash": "6 4", "label": "dashed"},
    ]
    p = Player([Control("a", [1])], {(0,): {"lines": lines}}, axes=BOX)
    with opened(browser, p, tmp_path) as (page, problems):
        solid = page.eval_on_selector_all(
            "span > span", "ss => ss.map(s => getComputedStyle(s).backgroundColor)"
        )
        dashed = page.eval_on_selector_all(
            "span > svg > line",
            "ls => ls.map(l => [getComputedStyle(l).stroke, l.getAttribute('stroke-dasharray'),"
            " l.parentNode.parentNode.textContent])",
        )
        assert solid == ["rgb(31, 119, 180)"]
        assert dashed == [["rgb(214, 39, 40)", "6 4", "dashed"]]
        assert problems == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
)


@given(JSON_VALUES)
def test_script_json_is_the_same_value_with_nothing_html_reads_in_a_script(data) -> None:
    text = script_json(data)
    assert json.loads(text) == data
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
