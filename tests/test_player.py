"""nn.player: the frame player driven in a real headless Chromium (as tests/test_lab.py).

A player with two controls (one with a play button) over a background figure: moving a
slider shows the frame of those indices, lines land where matplotlib puts the same data
points, the play button animates, and the page makes no network request and logs no error.
"""

from __future__ import annotations

import pytest

import nn
from nn.player import Control, Player, axes_box, png
from tests.browser import watch

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
    assert nn.Player is Player
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
