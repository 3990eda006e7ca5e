"""autograd.viz.backward_player: the frames match the engine, and the page plays them in Chromium.

The browser is Debian's ``chromium`` driven by Playwright, as in tests/test_lab.py; the page is
loaded from disk and must make no network request.
"""

from __future__ import annotations

import random
import re

import pytest

import nn
from autograd import Value, backward_steps
from autograd.viz import BackwardPlayer, backward_player
from autograd.viz.page import read_payload
from tests.browser import watch


def neuron():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o, [w1, w2, b]


def test_frames_follow_backward_steps_and_leave_grad_alone():
    o, params = neuron()
    player = backward_player(o, params=params)
    steps = list(backward_steps(o))
    assert len(player.frames) == len(steps)
    for frame, (node, grad) in zip(player.frames, steps):
        assert frame["grad"] == f"{grad:.4g}"
        assert frame["node"] == (node.label or f"({node._op})")
        assert frame["svg"].startswith("<svg") and 'width="100%"' in frame["svg"]
    assert all(p.grad == 0 for p in params)
    data = read_payload(player.html())
    assert data["frames"] == player.frames
    assert repr(player) == f"<BackwardPlayer of {len(steps)} steps>"


def test_names_of_unlabelled_nodes_are_never_blank():
    a = Value(3.0)
    player = backward_player(a * 2.0)
    assert [f["node"] for f in player.frames] == [
        "(*)",
        "unlabelled leaf (data 3)",
        "unlabelled leaf (data 2)",
    ]


def test_html_is_deterministic_and_refuses_nothing_to_play():
    o, _ = neuron()
    assert backward_player(o).html() == backward_player(o).html()
    with pytest.raises(ValueError, match="no frames"):
        BackwardPlayer([])


def open_page(browser, tmp_path, body):
    doc = tmp_path / "page.html"
    doc.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
    pg = browser.new_page(viewport={"width": 1000, "height": 800})
    pg.problems = watch(pg)
    pg.goto(doc.as_uri())
    return pg


def readout(player):
    return player.locator(".vg-bp-readout").inner_text()


def test_stepping_through_the_2_2_1_network_node_by_node(browser, tmp_path):
    model = nn.MLP(2, [2, 1], activation="tanh", fused=False, rng=random.Random(0))
    x = [Value(1.0, label="x0"), Value(-0.5, label="x1")]
    loss = (model(x) - 1.0) ** 2
    loss.label = "loss"
    steps = list(backward_steps(loss))
    player = backward_player(loss, params=model.parameters(), rankdir="TB", title="2-2-1")
    pg = open_page(browser, tmp_path, player._repr_html_())
    pg.wait_for_selector(".vg-bp[data-ready]", timeout=10_000)
    bp = pg.locator(".vg-bp")
    n = len(steps)
    assert readout(bp) == f"step 0 of {n - 1}: loss, grad = {steps[0][1]:.4g}"
    for k in range(1, n):
        bp.locator(".vg-bp-next").click()
        assert bp.get_attribute("data-step") == str(k)
        assert readout(bp).endswith(f"grad = {steps[k][1]:.4g}")
        # exactly the nodes visited so far show a final gradient
        assert bp.locator("svg text", has_text=re.compile(r"^grad \?$")).count() == n - 1 - k
    bp.locator(".vg-bp-next").click()  # past the end: stays on the last step
    assert bp.get_attribute("data-step") == str(n - 1)
    bp.locator(".vg-bp-prev").click()
    assert bp.get_attribute("data-step") == str(n - 2)
    bp.locator(".vg-bp-first").click()
    assert bp.get_attribute("data-step") == "0"
    bp.locator(".vg-bp-last").click()
    assert bp.get_attribute("data-step") == str(n - 1)
    # the keys: arrows, Home / End, space plays
    bp.focus()
    pg.keyboard.press("Home")
    pg.keyboard.press("ArrowRight")
    pg.keyboard.press("ArrowRight")
    assert bp.get_attribute("data-step") == "2"
    pg.keyboard.press("ArrowLeft")
    assert bp.get_attribute("data-step") == "1"
    # actual size: the drawing keeps its natural width and the view scrolls
    bp.locator(".vg-bp-fit").click()
    natural = pg.evaluate("document.querySelector('.vg-bp-view svg').getBoundingClientRect().width")
    assert "fit to width" in bp.locator(".vg-bp-fit").inner_text()
    bp.locator(".vg-bp-fit").click()
    fitted = pg.evaluate("document.querySelector('.vg-bp-view svg').getBoundingClientRect().width")
    assert fitted <= natural
    assert pg.problems == []
    pg.close()


def test_play_runs_to_the_end_and_two_players_share_a_page(browser, tmp_path):
    o, params = neuron()
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    c = b + b
    c.label = "c"
    first = backward_player(o, params=params, interval=20)
    second = backward_player(c, interval=20)
    pg = open_page(browser, tmp_path, first._repr_html_() + "<hr>" + second._repr_html_())
    pg.wait_for_function("document.querySelectorAll('.vg-bp[data-ready]').length === 2")
    one, two = pg.locator(".vg-bp").nth(0), pg.locator(".vg-bp").nth(1)
    one.locator(".vg-bp-play").click()
    pg.wait_for_function(
        f"document.querySelectorAll('.vg-bp')[0].dataset.step === '{len(first.frames) - 1}'",
        timeout=5_000,
    )
    pg.wait_for_function("!document.querySelectorAll('.vg-bp')[0].innerText.includes('pause')")
    assert "play" in one.locator(".vg-bp-play").inner_text()
    assert two.get_attribute("data-step") == "0"  # the other player did not move
    assert readout(two) == "step 0 of 2: c, grad = 1"
    assert pg.problems == []
    pg.close()
