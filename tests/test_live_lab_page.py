"""nn.LiveLab's page in headless Chromium, with a fake anywidget model and a real kernel side.

The widget's ES module (``LiveLab._esm``) is imported from a blob URL and rendered with a tiny
fake model (get / set / on / off / send / save_changes) whose state is a real LiveLab's synced
traits: every message the page sends is handed to ``lab.receive`` and every trait that changed
is pushed back to the page, as a kernel would. The checks: the controls send the right
messages, frames are drawn and acknowledged, the page's texts are the kernel's (the
arithmetic, the loss readout's exact value), the heat maps are the kernel's bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import nn
from nn.losses import classification_loss
from tests.browser import watch

CONTROLS = [
    "lr",
    "optimizer",
    "batch-size",
    "momentum",
    "activation",
    "hidden",
    "dataset",
    "noise",
    "val-fraction",
]
ACTIONS = [
    "play",
    "train-step",
    "reset",
    "backward-step",
    "backward-back",
    "backward-all",
    "backward-clear",
    "zoom-in",
    "zoom-out",
    "zoom-fit",
    "predict",
]
#: The traits the page reads (the rest are anywidget's and ipywidgets' own).
TRAITS = ("setup", "controls", "frame", "graph_layout", "verdict", "error", "running")

PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>%s</style></head><body>
<div id="host"></div>
<script type="application/json" id="esm">%s</script>
<script type="application/json" id="state">%s</script>
<script type="module">
class FakeModel {
  constructor(state) { this.state = state; this.handlers = {}; this.sent = []; }
  get(key) { return this.state[key]; }
  set(key, value) { this.state[key] = value; }
  save_changes() {}
  on(event, callback) { (this.handlers[event] = this.handlers[event] || []).push(callback); }
  off(event, callback) {
    this.handlers[event] = (this.handlers[event] || []).filter((c) => c !== callback);
  }
  send(message) { this.sent.push(JSON.parse(JSON.stringify(message))); }
  update(key, value) {  // the kernel changed a trait
    this.state[key] = value;
    (this.handlers["change:" + key] || []).forEach((c) => c());
  }
}
const source = JSON.parse(document.getElementById("esm").textContent);
const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
const widget = (await import(url)).default;
window.model = new FakeModel(JSON.parse(document.getElementById("state").textContent));
widget.render({ model: window.model, el: document.getElementById("host") });
window.rendered = true;
</script></body></html>"""


def _json_in_html(value: object) -> str:
    return json.dumps(value).replace("</", "<\\/")


class Kernel:
    """The real LiveLab on the other side of the fake model: messages in, changed traits out."""

    def __init__(self, page: Any, lab: nn.LiveLab) -> None:
        self.page, self.lab = page, lab
        self.known = {k: getattr(lab, k) for k in TRAITS}
        self.received: list[dict[str, Any]] = []

    def pump(self) -> list[dict[str, Any]]:
        """Deliver the page's messages to the lab, then the lab's changed traits to the page."""
        messages: list[dict[str, Any]] = self.page.evaluate("window.model.sent.splice(0)")
        for message in messages:
            self.lab.receive(message)
        self.received += messages
        for key in TRAITS:
            value = getattr(self.lab, key)
            if value is not self.known[key]:  # the kernel sets a new object, as ipywidgets sees
                self.known[key] = value
                self.page.evaluate("([k, v]) => window.model.update(k, v)", [key, value])
        return messages


def _open(browser: Any, tmp_path: Any, lab: nn.LiveLab) -> tuple[Any, list[str]]:
    """A new page rendering the widget with ``lab``'s state; the problems it reports."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = watch(page)
    state = {k: getattr(lab, k) for k in TRAITS}
    html = PAGE % (lab._css, _json_in_html(lab._esm), _json_in_html(state))
    path = tmp_path / "live.html"
    path.write_text(html, encoding="utf-8")
    page.goto(path.as_uri())
    page.wait_for_function("window.rendered === true")
    return page, problems


@pytest.fixture
def live(browser, tmp_path) -> Any:  # type: ignore[no-untyped-def]
    lab = nn.LiveLab(hidden="6,5", grid=8)  # small: quick to lay out and draw
    page, problems = _open(browser, tmp_path, lab)
    yield Kernel(page, lab)
    page.close()
    assert problems == []


def _type(kernel: Kernel, selector: str, text: str) -> None:
    """Type ``text`` into an input and press Enter: its change event, as a learner's."""
    kernel.page.fill(selector, text)
    kernel.page.press(selector, "Enter")


def _root(kernel: Kernel, name: str) -> str:
    value = kernel.page.get_attribute(".vg-live", name)
    assert value is not None, name
    return value


def test_the_first_frame_is_drawn_and_acknowledged(live) -> None:  # type: ignore[no-untyped-def]
    assert _root(live, "data-frames-drawn") == "1" and _root(live, "data-seq") == "1"
    assert live.pump() == [{"type": "ack", "seq": 1}]
    for name in CONTROLS:
        value = live.page.input_value(f"[data-control={name}]")
        assert value == live.lab.controls[name], name
    for action in ACTIONS:
        assert live.page.locator(f"[data-action={action}]").count() == 1, action
    assert live.page.locator("circle[data-index].vg-pickable").count() == 80


def test_a_training_step_draws_the_kernels_loss(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    live.page.click("[data-action=train-step]")
    assert live.pump() == [{"type": "step"}]
    assert len(live.lab.history) == 1
    loss = live.page.locator("[data-readout=loss]")
    assert loss.get_attribute("data-exact") == repr(live.lab.history["loss"][-1])
    assert _root(live, "data-step") == "1" and _root(live, "data-frames-drawn") == "2"
    assert live.page.get_attribute("[data-readout=step]", "data-step") == "1"
    assert live.pump() == [{"type": "ack", "seq": live.lab.frame["seq"]}]
    # The chart's curve has a point per step (its loss, before its update); no replay marker
    # (the static page's), which unplaced stood at the chart's left edge.
    curve = live.page.get_attribute(".vg-loss polyline.vg-train", "points") or ""
    assert len(curve.split()) == len(live.lab.history)
    assert live.page.locator(".vg-loss .vg-marker").count() == 0


def test_the_controls_send_their_values_and_the_kernel_answers(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    _type(live, "[data-control=lr]", "0.05")
    assert live.pump() == [{"type": "control", "name": "lr", "value": "0.05"}]
    assert live.lab.lr == 0.05
    assert live.page.get_attribute(".vg-live", "data-latency-ms") is not None
    live.page.select_option("[data-control=optimizer]", "adam")
    live.page.select_option("[data-control=activation]", "tanh")
    live.page.select_option("[data-control=dataset]", "circles")
    typed = [("batch-size", "8"), ("momentum", "0.5"), ("hidden", "4,3"), ("noise", "0.2")]
    for name, value in [*typed, ("val-fraction", "0.3")]:
        _type(live, f"[data-control={name}]", value)
    sent = [m for m in live.pump() if m["type"] == "control"]
    assert [(m["name"], m["value"]) for m in sent] == [
        ("optimizer", "adam"),
        ("activation", "tanh"),
        ("dataset", "circles"),
        ("batch-size", "8"),
        ("momentum", "0.5"),
        ("hidden", "4,3"),
        ("noise", "0.2"),
        ("val-fraction", "0.3"),
    ]
    lab = live.lab
    assert (lab.optimizer, lab.activation, lab.dataset) == ("adam", "tanh", "circles")
    assert lab.batch_size == 8
    assert (lab.momentum, lab.hidden, lab.noise, lab.val_fraction) == (0.5, (4, 3), 0.2, 0.3)
    assert lab.error == "" and live.page.is_hidden("[data-readout=error]")
    assert live.page.locator("canvas[data-neuron]").count() == 4 + 3 + 1
    assert live.page.locator("[data-weight]").count() == 2 * 4 + 4 * 3 + 3 + 4 + 3 + 1


def test_a_bad_value_is_shown_in_the_error_readout(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    _type(live, "[data-control=lr]", "fast")
    live.pump()
    assert live.lab.error.startswith("lr: ")
    assert live.page.text_content("[data-readout=error]") == live.lab.error
    assert live.page.input_value("[data-control=lr]") == "0.1"  # the kernel's value again


def test_heat_maps_are_the_kernels_bytes_in_the_kernels_colours(live) -> None:  # type: ignore[no-untyped-def]
    setup, frame = live.lab.setup, live.lab.frame
    for name in ("L1.n0", "L2.n4"):
        cells = base64.b64decode(frame["neurons"][name])
        pixels = live.page.evaluate(
            "(name) => Array.from(document.querySelector(`canvas[data-neuron='${name}']`)"
            ".getContext('2d').getImageData(0, 0, 8, 8).data)",
            name,
        )
        for i in (0, 27, 63):
            assert pixels[4 * i : 4 * i + 3] == setup["levels"][cells[i]], (name, i)


def _arithmetic(kernel: Kernel) -> str:
    return kernel.page.text_content("[data-readout=arithmetic]") or ""


def test_clicking_a_point_shows_its_graph_and_backward_steps_the_kernels_texts(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    live.page.dispatch_event("circle[data-index='5']", "click")
    assert {"type": "pick", "index": 5} in live.pump()
    graph = live.lab.frame["graph"]
    assert graph["index"] == 5 and graph["point"] in live.page.text_content("[data-readout=point]")
    for k in range(3):
        live.page.click("[data-action=backward-step]")
        assert _arithmetic(live) == graph["texts"][k]
    live.page.click("[data-action=backward-back]")
    assert _arithmetic(live) == graph["texts"][1]
    assert live.page.locator("[data-name='L1.n0']").count() == 1


def test_setting_a_weight_recomputes_the_arithmetic_in_the_kernel(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    live.page.dispatch_event("[data-weight='L1.n0.w1']", "click")
    weight = live.page.locator("[data-control=weight]")
    assert weight.get_attribute("data-weight-name") == "L1.n0.w1"
    assert weight.input_value() == repr(live.lab.model.layers[0].neurons[0].w[1].data)
    layout = live.lab.graph_layout
    step = layout["order"].index(layout["names"].index("L1.n0"))  # L1.n0's own backward step
    for _ in range(step + 1):
        live.page.click("[data-action=backward-step]")
    before = _arithmetic(live)
    assert before == live.lab.frame["graph"]["texts"][step]
    _type(live, "[data-control=weight]", "0.5")
    assert live.pump() == [{"type": "set_weight", "name": "L1.n0.w1", "value": "0.5"}]
    assert live.lab.model.layers[0].neurons[0].w[1].data == 0.5
    assert _arithmetic(live) == live.lab.frame["graph"]["texts"][step] != before
    assert live.page.get_attribute("[data-weight='L1.n0.w1']", "data-value") == "0.5"


def test_predict_then_reveal_asks_the_kernel(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    live.page.click("[data-action=predict]")
    live.page.click("[data-action=backward-step]")
    assert live.page.is_visible("[data-control=guess]")
    assert _arithmetic(live) != live.lab.frame["graph"]["texts"][0]  # not shown before the guess
    live.page.fill("[data-control=guess]", "1")
    live.page.click("[data-action=check]")
    assert live.pump()[-1] == {"type": "guess", "step": 0, "value": "1"}
    assert live.page.text_content("[data-readout=verdict]") == live.lab.verdict["text"]
    assert live.lab.verdict["correct"] is True
    assert _arithmetic(live) == live.lab.frame["graph"]["texts"][0]  # revealed
    live.page.click("[data-action=backward-step]")
    live.page.fill("[data-control=guess]", "12345")
    live.page.click("[data-action=check]")
    live.pump()
    assert live.lab.verdict["correct"] is False and live.lab.verdict["step"] == 1
    assert live.page.get_attribute("[data-readout=verdict]", "data-correct") == "false"


def test_play_and_pause_send_their_messages(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    live.page.click("[data-action=play]")
    assert live.pump() == [{"type": "play"}] and live.lab.running
    for _ in range(10_000):  # frames come as the page acknowledges them
        live.pump()
        if int(_root(live, "data-frames-drawn")) >= 3:
            break
    assert {"type": "ack", "seq": 2} in live.received
    assert "pause" in (live.page.text_content("[data-action=play]") or "")
    live.page.click("[data-action=play]")
    assert live.pump()[-1] == {"type": "pause"} and not live.lab.running
    live.pump()
    exact = live.page.get_attribute("[data-readout=loss]", "data-exact")
    assert exact == repr(live.lab.history["loss"][-1])
    assert _root(live, "data-seq") == str(live.lab.frame["seq"])


def test_a_point_of_loss_zero_says_why_and_offers_the_largest(live) -> None:  # type: ignore[no-untyped-def]
    live.lab.lr = 0.5
    live.lab.train(30)
    live.pump()
    lab = live.lab
    losses = [
        classification_loss("hinge", [lab.model(x)], [c]).data
        for x, c in zip(lab.setup["X"], lab.setup["y"])
    ]
    zero = losses.index(0.0)
    lab.pick(zero)
    live.pump()
    assert live.page.text_content(".vg-live-why").startswith(live.lab.frame["graph"]["why"])
    suggested = live.lab.frame["graph"]["suggest"]
    live.page.click("[data-action=pick-suggested]")
    assert live.pump()[-1] == {"type": "pick", "index": suggested}
    assert suggested == losses.index(max(losses)) == live.lab.picked
    assert live.page.is_hidden(".vg-live-why")


def test_dragging_a_bias_sets_it_as_the_mouse_moves(live) -> None:  # type: ignore[no-untyped-def]
    live.pump()
    bias = live.lab.model.layers[1].neurons[2].b
    start = bias.data
    box = live.page.locator("[data-weight='L2.n2.b']").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    live.page.mouse.move(x, y)
    live.page.mouse.down()
    live.page.mouse.move(x, y - 30, steps=10)  # up 30 px in 10 moves of 3: + 0.03 each
    live.page.mouse.up()
    # One change in flight: the first move's value; the latest waits for its frame.
    sent = [m for m in live.pump() if m["type"] == "set_weight"]
    assert [m["name"] for m in sent] == ["L2.n2.b"]
    assert sent[0]["value"] == pytest.approx(start + 0.03, abs=1e-9)
    assert bias.data == sent[0]["value"]
    sent = [m for m in live.pump() if m["type"] == "set_weight"]  # sent once it was drawn
    assert [m["name"] for m in sent] == ["L2.n2.b"]
    assert sent[0]["value"] == pytest.approx(start + 0.3, abs=1e-9)
    assert bias.data == sent[0]["value"]
    assert [m for m in live.pump() if m["type"] == "set_weight"] == []
    weight = live.page.locator("[data-control=weight]")
    assert weight.get_attribute("data-weight-name") == "L2.n2.b"
    assert weight.input_value() == repr(bias.data)


def test_inputs_that_are_not_2d_get_a_button_a_point(browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    X = [[float(i), float(i % 3), float(i % 5)] for i in range(12)]
    y = [i % 2 for i in range(12)]
    lab = nn.LiveLab(None, X, y, hidden="3", val_fraction=0.0)
    page, problems = _open(browser, tmp_path, lab)
    kernel = Kernel(page, lab)
    assert lab.setup["grid"] is None and lab.frame["grid"] is None
    assert page.text_content(".vg-live-why") == lab.setup["boundary_note"]
    assert page.locator("canvas[data-neuron]").count() == 0
    page.click("button[data-index='4']")
    assert {"type": "pick", "index": 4} in kernel.pump()
    assert lab.picked == 4 and page.locator("[data-name='x2']").count() == 1
    page.close()
    assert problems == []
