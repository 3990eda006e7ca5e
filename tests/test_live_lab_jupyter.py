"""nn.LiveLab in real notebook front ends: a JupyterLab server on localhost, headless Chromium.

One server for the module (tests/jupyter.py: ``python -m jupyterlab``, which serves Notebook 7
too), one page per front end. A notebook whose cell makes a small lab and shows it is opened
and run by the front end itself; the learner's actions are real clicks and keystrokes on the
widget's DOM hooks (live.js: ``data-control``, ``data-action``, ``data-readout``, the root's
``data-seq`` and ``data-step``), and every check compares what the page shows with the kernel's
own truth, read by running Python in the notebook's kernel (a second client of it): the lab's
``history``, ``lr``, ``picked`` and weights, and the engine's numbers recomputed there
independently of the lab (the picked point's loss built and backpropagated with ``Value``).
No timing is asserted; waits have timeouts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests import jupyter

#: The notebook's one cell: a small lab (32 training points, 2-4-3-1, an 8x8 grid), shown.
CELL = 'import nn\nlab = nn.LiveLab(seed=0, hidden="4,3", grid=8, n_samples=40)\nlab'

#: Kernel code: the picked point's loss built and backpropagated by the engine, outside the
#: lab: ``_ref`` holds its loss, each neuron's output gradient and each weight's gradient as
#: the page formats numbers (fmt: 4 significant digits), and the lab's own step texts.
ENGINE = """
from autograd import Value
from nn.lab.graph import fmt
from nn.losses import classification_loss
_i = lab.picked
_layout = lab._frames.layout(lab.frame["layout"])  # the graph's layout: its backward order
_x, _c = lab.setup["X"][_i], lab.setup["y"][_i]
_acts, _outputs = [Value(v) for v in _x], {}
for _li, _layer in enumerate(lab.model.layers, start=1):
    _acts = _layer.outputs(_acts)
    _outputs.update((f"L{_li}.n{_j}", _a) for _j, _a in enumerate(_acts))
_loss = classification_loss("hinge", [_acts[0]], [_c])
lab.model.zero_grad()
_loss.backward()
_ref = {
    "index": _i,
    "heading": f"Point {_i} (x = ({fmt(_x[0])}, {fmt(_x[1])}), class {_c}): "
    f"its own loss {fmt(_loss.data)}",
    "loss": _loss.data,
    "grads": {k: fmt(v.grad) for k, v in _outputs.items()},
    "weights": {k: fmt(w.grad) for k, w in lab._session.weights().items()},
    "order": [_layout["names"][j] for j in _layout["order"]],
    "texts": lab.frame["graph"]["texts"],
}
lab.model.zero_grad()
"""


@dataclass
class Live:
    """A front end's page with the lab shown, and its kernel."""

    opened: jupyter.NotebookPage
    kernel: jupyter.Kernel
    #: How many errors the page had reported before the lab's cell ran (Notebook 7.6 reports
    #: one of its own at start, with any notebook: its shortcuts' settings).
    errors_before: int = 0

    @property
    def errors(self) -> list[str]:
        """What the page reported since the lab's cell ran: uncaught errors, console errors,
        failed requests."""
        return self.opened.errors[self.errors_before :]

    @property
    def page(self) -> Any:
        return self.opened.page

    def attribute(self, name: str) -> str:
        return jupyter.root_attribute(self.page, name)

    def text(self, readout: str) -> str:
        return self.page.text_content(f"[data-readout={readout}]") or ""

    def synced(self) -> dict[str, Any]:
        """Wait until the page has drawn the kernel's last frame (training paused); the
        kernel's lab as it stands: steps, the last loss, lr, picked, the frame's seq."""
        truth: dict[str, Any] = self.kernel.evaluate(
            "{'steps': len(lab.history), 'loss': repr(lab.history['loss'][-1]) if len(lab.history)"
            " else '', 'lr': lab.lr, 'picked': lab.picked, 'seq': lab.frame['seq'],"
            " 'running': lab.running}"
        )
        assert not truth["running"]
        self.page.wait_for_function(
            "(seq) => +document.querySelector('.vg-live').getAttribute('data-seq') === seq",
            arg=truth["seq"],
        )
        return truth

    def click(self, selector: str) -> None:
        """A real mouse click on the element ``selector``, where it is on top."""
        jupyter.click_on_top(self.page, selector)

    def enter(self, selector: str, text: str, expression: str, value: object) -> None:
        """Type ``text`` into the input ``selector`` and press Enter, as a learner does; wait
        until ``expression`` is ``value`` in the kernel (the page sent it, the lab took it)."""
        self.page.fill(selector, text)
        self.page.press(selector, "Enter")
        jupyter.wait_until(
            lambda: self.kernel.evaluate(expression) == value,
            f"{expression} == {value!r} in the kernel after typing {text!r} and Enter",
            timeout=20,
        )

    def engine(self) -> dict[str, Any]:
        """The engine's numbers for the picked point, computed in the kernel (:data:`ENGINE`)."""
        reference: dict[str, Any] = self.kernel.evaluate("_ref", setup=ENGINE)
        return reference


def _open(browser: Any, server: jupyter.Server, name: str, front_end: str) -> Iterator[Live]:
    server.write_notebook(name, [CELL])
    opened = jupyter.open_notebook(browser, server, name, front_end)
    try:
        live = Live(opened, server.kernel(name))
        try:
            live.errors_before = len(live.opened.errors)
            jupyter.run_all(live.page)
            jupyter.wait_for_widget(live.page)
            yield live
        finally:
            live.kernel.close()
    finally:
        opened.page.close()


@pytest.fixture(scope="module")
def server() -> Iterator[jupyter.Server]:
    pytest.importorskip("jupyterlab", reason="JupyterLab is in the test extra")
    pytest.importorskip("notebook", reason="Notebook 7 is in the test extra")
    with jupyter.running() as s:
        yield s


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    """The lab in JupyterLab."""
    yield from _open(browser, server, "live_lab.ipynb", "lab")


@pytest.fixture(scope="module")
def notebook(browser, server) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    """The lab in Notebook 7 (its own notebook, so its own kernel)."""
    yield from _open(browser, server, "live_notebook.ipynb", "notebook")


def test_a_typed_learning_rate_and_play_train_in_the_kernel_as_the_page_shows(lab) -> None:  # type: ignore[no-untyped-def]
    start = lab.synced()
    assert start["lr"] == 0.1 and lab.page.input_value("[data-control=lr]") == "0.1"
    lab.enter("[data-control=lr]", "0.05", "lab.lr", 0.05)
    lab.page.click("[data-action=play]")
    lab.page.wait_for_function(
        "(n) => +document.querySelector('.vg-live').getAttribute('data-step') >= n",
        arg=start["steps"] + 5,
    )
    lab.page.wait_for_selector("[data-action=play]:has-text('pause')")  # the kernel says: running
    lab.page.click("[data-action=play]")
    jupyter.wait_until(lambda: not lab.kernel.evaluate("lab.running"), "the kernel to pause")
    truth = lab.synced()
    assert truth["steps"] >= start["steps"] + 5
    assert lab.page.get_attribute("[data-readout=loss]", "data-exact") == truth["loss"]
    assert lab.page.get_attribute("[data-readout=step]", "data-step") == str(truth["steps"])
    assert lab.attribute("data-step") == str(truth["steps"])
    assert truth["lr"] == 0.05 and lab.page.input_value("[data-control=lr]") == "0.05"
    lrs = lab.kernel.evaluate("lab.history['lr']")
    assert lrs[start["steps"] :] == [0.05] * (truth["steps"] - start["steps"])
    assert int(lab.attribute("data-frames-drawn")) >= 3  # frames drawn while playing


def test_clicking_a_point_picks_it_in_the_kernel(lab) -> None:  # type: ignore[no-untyped-def]
    before = lab.synced()["picked"]
    index = 3 if before != 3 else 4
    lab.click(f"circle.vg-pickable[data-index='{index}']")
    jupyter.wait_until(lambda: lab.kernel.evaluate("lab.picked") == index, f"lab.picked == {index}")
    lab.synced()
    reference = lab.engine()
    assert reference["index"] == index
    assert lab.text("point").startswith(reference["heading"] + ", one box per neuron")
    assert lab.page.locator("circle.vg-picked").count() == 1
    assert lab.page.get_attribute("circle.vg-picked", "data-index") == str(index)


def _pick_largest_loss(lab: Live) -> None:
    """Click the training point of the largest loss (the engine's), so that gradients flow."""
    losses = lab.kernel.evaluate(
        "[classification_loss('hinge', [lab.model(x)], [c]).data"
        " for x, c in zip(lab.setup['X'], lab.setup['y'])]",
        setup="from nn.losses import classification_loss",
    )
    index = losses.index(max(losses))
    assert losses[index] > 0
    if lab.kernel.evaluate("lab.picked") != index:
        lab.click(f"circle.vg-pickable[data-index='{index}']")
        jupyter.wait_until(lambda: lab.kernel.evaluate("lab.picked") == index, "the pick")
    lab.synced()


def _check_step(text: str, name: str, k: int, reference: dict[str, Any]) -> None:
    """Backward step ``k``'s text (node ``name``) against the engine's numbers."""
    assert text == reference["texts"][k], name  # the kernel's text, drawn unchanged
    lines = text.split("\n")
    if name == "loss":
        assert lines[0].startswith("loss.grad = 1 ")
    if name not in reference["grads"]:
        return
    assert f"  = {reference['grads'][name]}" in lines, name  # the neuron's own gradient
    own = [w for w in reference["weights"] if w.rsplit(".", 1)[0] == name]
    assert len(own) >= 2, name
    for w in own:  # each of its weights' gradient, at the end of its line
        line = next(line for line in lines if line.startswith(f"{w}.grad += "))
        assert line.endswith(f"= {reference['weights'][w]}"), line


def test_stepping_backward_shows_the_engines_chain_rule_node_by_node(lab) -> None:  # type: ignore[no-untyped-def]
    _pick_largest_loss(lab)
    reference = lab.engine()
    lab.page.click("[data-action=backward-clear]")
    order = reference["order"]
    neurons = 0
    for k, name in enumerate(order):
        lab.page.click("[data-action=backward-step]")
        assert lab.text("backward") == f"backward step {k + 1} of {len(order)}: {name}"
        _check_step(lab.text("arithmetic"), name, k, reference)
        neurons += name in reference["grads"]
    assert neurons == len(reference["grads"]) == 4 + 3 + 1 and order[0] == "loss"
    assert lab.page.is_disabled("[data-action=backward-step]")
    lab.page.click("[data-action=backward-back]")
    assert lab.text("arithmetic") == reference["texts"][len(order) - 2]


def test_a_weight_set_in_the_page_is_the_kernels_and_the_engine_recomputes(lab) -> None:  # type: ignore[no-untyped-def]
    _pick_largest_loss(lab)
    before = lab.engine()
    step = before["order"].index("L1.n0")
    lab.page.click("[data-action=backward-clear]")
    for _ in range(step + 1):
        lab.page.click("[data-action=backward-step]")
    shown = lab.text("arithmetic")
    _check_step(shown, "L1.n0", step, before)
    lab.click("[data-weight='L1.n0.w1']")  # the edge from x1 into L1.n0
    weight = lab.page.locator("[data-control=weight]")
    assert weight.get_attribute("data-weight-name") == "L1.n0.w1"
    value = lab.kernel.evaluate("lab.model.layers[0].neurons[0].w[1].data")
    assert weight.input_value() == repr(value)
    new = "0.75" if value != 0.75 else "-0.75"
    lab.enter("[data-control=weight]", new, "lab.model.layers[0].neurons[0].w[1].data", float(new))
    lab.synced()
    after = lab.engine()
    assert lab.page.get_attribute("[data-weight='L1.n0.w1']", "data-value") == new
    assert lab.text("backward").endswith(": L1.n0")  # still at the same backward step
    _check_step(lab.text("arithmetic"), "L1.n0", step, after)
    assert lab.text("arithmetic") != shown  # the chain rule's terms changed
    assert lab.text("point").startswith(after["heading"])  # the point's loss, recomputed
    assert lab.attribute("data-latency-ms")  # the change's frame was drawn


def test_a_training_step_in_notebook_7_is_the_kernels(notebook) -> None:  # type: ignore[no-untyped-def]
    start = notebook.synced()
    assert start["steps"] == 0 and notebook.text("loss") == "not trained yet"
    notebook.page.click("[data-action=train-step]")
    jupyter.wait_until(
        lambda: notebook.kernel.evaluate("len(lab.history)") == start["steps"] + 1,
        "one more step in the kernel",
    )
    truth = notebook.synced()
    assert truth["steps"] == start["steps"] + 1
    assert notebook.page.get_attribute("[data-readout=loss]", "data-exact") == truth["loss"]
    assert notebook.attribute("data-step") == str(truth["steps"])


def test_the_pages_raised_no_errors_and_asked_nothing_beyond_localhost(lab, notebook) -> None:  # type: ignore[no-untyped-def]
    assert lab.opened.away == [] and notebook.opened.away == []
    assert lab.opened.errors == []  # JupyterLab: none at all, from the start
    assert lab.errors == [] and notebook.errors == []
