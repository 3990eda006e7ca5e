"""The lab page (nn.lab), driven in a real headless Chromium, checked against the engine.

A tiny real run (an MLP 2-3-3-1 on 30 moons points, 12 GD steps, a validation split) keeps
these tests to seconds. The expected numbers are computed here, from the engine, with this
file's own code: parameters snapshotted by this file's own callback, the sample's loss built
and backpropagated with ``Value.backward`` (not with the page builder's ``backward_steps``).

Browser: Debian's ``chromium`` driven by Playwright for Python (its wheel ships the driver;
no browser download). Playwright over Selenium: one pip package and no chromedriver to keep in
step with the browser, console messages and page errors as events, and screenshots on failure.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
from pathlib import Path

import pytest

import nn
from autograd import Value
from nn.lab import Lab, LabRecorder, sample_graph, spread
from nn.losses import classification_loss
from tests.browser import watch

SIZES = [3, 3, 1]
STEPS = 12


# --------------------------------------------------------------------------------------------
# A small real run, and the engine's own numbers for it
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    X, y = nn.make_moons(40, noise=0.1, seed=3)
    X, y, Xv, yv = nn.split(X, y, val_fraction=0.25, seed=3)
    random.seed(5)
    model = nn.MLP(2, SIZES)
    params = model.parameters()
    mine = [[p.data for p in params]]  # this file's own record: parameters before each step
    recorder = LabRecorder(model)
    history = nn.fit(
        model,
        X,
        y,
        loss="hinge",
        steps=STEPS,
        optimizer=nn.GD(params, lr=0.5),
        val=(Xv, yv),
        progress=False,
        callbacks=[recorder, lambda h: mine.append([p.data for p in params])],
    )
    lab = Lab(
        model,
        X,
        y,
        history,
        recorder,
        loss="hinge",
        val=(Xv, yv),
        max_frames=6,
        max_points=5,
        grid=12,
    )
    path = lab.write(tmp_path_factory.mktemp("lab") / "lab.html")
    return {
        "X": X,
        "y": y,
        "val": (Xv, yv),
        "history": history,
        "snapshots": mine,
        "lab": lab,
        "path": path,
    }


def engine_reference(snapshot: list[float], x: list[float], label: int) -> dict:
    """The sample's hinge loss at the given parameters, after ``backward()``: every number."""
    model = nn.MLP(2, SIZES)
    for p, v in zip(model.parameters(), snapshot, strict=True):
        p.data = v
    acts = [[Value(v) for v in x]]
    for layer in model.layers:
        acts.append(layer.outputs(acts[-1]))
    loss = classification_loss("hinge", [acts[-1][0]], [label])
    model.zero_grad()
    loss.backward()
    return {"model": model, "acts": acts, "loss": loss}


def z_name(layer: int, j: int) -> str:
    """A neuron's weighted sum as the page names it: ``L1.n0.z`` if it has an activation (its
    box shows z), the neuron itself for the linear output layer."""
    return f"L{layer}.n{j}.z" if layer < len(SIZES) else f"L{layer}.n{j}"


def fmt(x: float) -> str:
    """4 significant digits, and 0 for a zero of either sign (as the page writes numbers)."""
    return f"{x + 0.0:.4g}"


# --------------------------------------------------------------------------------------------
# The browser
# --------------------------------------------------------------------------------------------


@pytest.fixture
def page(browser, run, tmp_path):
    """The lab page, loaded from disk; console errors and non-file requests are collected."""
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    pg = context.new_page()
    pg.problems = watch(pg)
    pg.goto(Path(run["path"]).as_uri())
    pg.wait_for_selector(".vg-lab[data-ready]", timeout=10_000)
    pg.shot = tmp_path / "failure.png"
    yield pg
    context.close()


@contextlib.contextmanager
def screenshot_on_failure(pg):
    """On a failed assertion, save a screenshot into pytest's tmp dir and say where."""
    try:
        yield
    except BaseException:
        pg.screenshot(path=str(pg.shot), full_page=True)
        print(f"screenshot of the failing page: {pg.shot}")
        raise


def current_node(pg) -> str | None:
    loc = pg.locator(".vg-node.vg-current")
    return loc.get_attribute("data-name") if loc.count() else None


def picked_point(pg) -> int:
    return int(pg.locator("[data-readout=point]").get_attribute("data-index"))


def shown_step(pg) -> int:
    return int(pg.locator("[data-readout=step]").get_attribute("data-step"))


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def test_page_loads_with_no_console_error_and_no_network(page, run):
    with screenshot_on_failure(page):
        layouts = run["lab"].data()["layouts"]  # hinge: one folded graph for every sample
        names = layouts[0]["names"]
        neurons = {f"L{i}.n{j}" for i, size in enumerate(SIZES, start=1) for j in range(size)}
        assert len(layouts) == 1 and {"x0", "x1", "loss"} | neurons <= set(names)
        assert page.locator(".vg-node").count() == len(names)
        assert page.locator("canvas").count() == 1
        page.locator("[data-action=backward-step]").click()
        assert page.problems == []


def test_step_moves_the_highlight_and_the_arithmetic_matches_the_engine(page, run):
    with screenshot_on_failure(page):
        point = picked_point(page)
        step = shown_step(page)
        ref = engine_reference(run["snapshots"][step], run["X"][point], run["y"][point])
        assert current_node(page) is None
        seen, neurons_checked = [], 0
        total = int(re.search(r"of (\d+)", page.locator("[data-readout=backward]").inner_text())[1])
        for _ in range(total):
            page.locator("[data-action=backward-step]").click()
            name = current_node(page)
            assert name is not None and name not in seen  # the highlight moved to a new node
            seen.append(name)
            assert page.locator(".vg-node.vg-current").count() == 1
            text = page.locator("[data-readout=arithmetic]").inner_text()
            reached = page.locator(".vg-node:not(.vg-pending)").count()
            assert reached == len(seen)  # nodes not yet reached are marked pending
            match = re.fullmatch(r"L(\d+)\.n(\d+)", name)
            if not match:
                continue
            layer, j = int(match[1]), int(match[2])
            neuron = ref["model"].layers[layer - 1].neurons[j]
            z_grad = neuron.b.grad  # d loss / d b = d loss / d z: the engine's number
            lines = text.splitlines()
            z = z_name(layer, j)  # the text names only what the page shows
            for i, w in enumerate(neuron.w):
                source = f"x{i}" if layer == 1 else f"L{layer - 1}.n{i}"
                x_i = ref["acts"][layer - 1][i].data
                line = f"{name}.w{i}.grad += {source}.data * {z}.grad = {fmt(x_i)} * {fmt(z_grad)}"
                assert f"{line} = {fmt(w.grad)}" in lines, (name, line, text)
            assert f"{name}.b.grad += {z}.grad = {fmt(z_grad)}" in lines
            if layer < len(SIZES):  # a ReLU: z.grad = its output's grad * ReLU'(z)
                out = ref["acts"][layer][j]
                relu = f"{z}.grad = {name}.grad * ReLU'({z}) = {fmt(out.grad)} * "
                relu += f"{fmt(1.0 if out.data > 0 else 0.0)} = {fmt(z_grad)}   ({z} = "
                assert any(t.startswith(relu) for t in lines), (relu, text)
                for k, user in enumerate(ref["model"].layers[layer].neurons):  # paths onward
                    term = (
                        f"  L{layer + 1}.n{k}.w{j} * {z_name(layer + 1, k)}.grad = "
                        f"{fmt(user.w[j].data)} * {fmt(user.b.grad)} = "
                        f"{fmt(user.b.grad * user.w[j].data)}"
                    )
                    assert term in lines, (name, term, text)
                assert f"  = {fmt(ref['acts'][layer][j].grad)}" in lines
            # hover title: the exact grad of the neuron's output, as the engine has it
            title = page.locator(".vg-node.vg-current title").text_content()
            grad = float(re.search(r"grad = ([^;,]+)", title)[1])
            assert grad == ref["acts"][layer][j].grad
            neurons_checked += 1
        assert neurons_checked == sum(SIZES)
        assert seen[0] == "loss" and set(seen) >= {"x0", "x1"}
        page.locator("[data-action=backward-back]").click()
        assert current_node(page) == seen[-2]  # and back one step


def test_scrubbing_to_a_step_shows_that_steps_loss(page, run):
    history = run["history"]
    frames = spread(len(history) + 1, 6)  # the models before each step, and after the last
    with screenshot_on_failure(page):
        for f in (len(frames) - 2, 2, 0):
            page.locator(".vg-scrub").fill(str(f))
            k = frames[f]
            assert shown_step(page) == k
            readout = page.locator("[data-readout=loss]")
            record = history.records[k]
            # Shown as Python formats it (4 significant digits, accuracy in percent) ...
            assert readout.inner_text() == (
                f"step {k}: loss {record['loss']:.4g}, validation loss "
                f"{record['val_loss']:.4g}, batch accuracy {record['accuracy']:.1%}"
            )
            # ... and exactly on hover (its title): the floats of the run, bit for bit.
            exact = readout.get_attribute("title")
            assert float(re.search(r"step \d+: loss ([^,]+)", exact)[1]) == record["loss"]
            assert float(re.search(r"validation loss ([^,]+)", exact)[1]) == record["val_loss"]
            assert float(re.search(r"batch accuracy ([^,]+)", exact)[1]) == record["accuracy"]
            assert float(readout.get_attribute("data-exact")) == record["loss"]


def test_clicking_a_data_point_switches_the_graph(page, run):
    with screenshot_on_failure(page):
        before = picked_point(page)
        pickable = run["lab"].data()["pickable"]
        other = next(i for i in pickable if i != before)
        page.locator(f"circle[data-index='{other}']").click()
        assert picked_point(page) == other
        assert (
            page.locator(f"circle[data-index='{other}']").get_attribute("class").count("vg-picked")
        )
        ref = engine_reference(run["snapshots"][shown_step(page)], run["X"][other], run["y"][other])
        title = page.locator(".vg-node[data-name='x0'] title").text_content()
        assert float(re.search(r"data = ([^,]+)", title)[1]) == run["X"][other][0]
        title = page.locator(".vg-node[data-name='loss'] title").text_content()
        assert float(re.search(r"data = ([^,]+)", title)[1]) == ref["loss"].data


def test_keyboard_space_plays_and_arrows_step(page, run):
    with screenshot_on_failure(page):
        page.locator(".vg-lab h2").click()  # focus the lab
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert "backward step 2 of" in page.locator("[data-readout=backward]").inner_text()
        page.keyboard.press("ArrowLeft")
        assert "backward step 1 of" in page.locator("[data-readout=backward]").inner_text()
        page.keyboard.press("Shift+ArrowRight")
        assert shown_step(page) == spread(len(run["history"]) + 1, 6)[1]
        page.keyboard.press(" ")
        assert "pause" in page.locator("[data-action=play]").inner_text()
        page.keyboard.press(" ")
        assert "play" in page.locator("[data-action=play]").inner_text()
        assert page.problems == []


def test_two_labs_in_one_document_as_in_a_notebook(browser, run, tmp_path):
    """``_repr_html_`` is self-contained: two of them in one page both run, ids do not clash."""
    lab = run["lab"]
    doc = tmp_path / "notebook.html"
    doc.write_text(f"<html><body>{lab._repr_html_()}<hr>{lab._repr_html_()}</body></html>")
    pg = browser.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: m.type == "error" and errors.append(m.text))
    pg.goto(doc.as_uri())
    pg.wait_for_function("document.querySelectorAll('.vg-lab[data-ready]').length === 2")
    pg.locator("[data-action=backward-step]").nth(1).click()
    assert pg.locator(".vg-lab").nth(1).locator(".vg-node.vg-current").count() == 1
    assert pg.locator(".vg-lab").nth(0).locator(".vg-node.vg-current").count() == 0
    assert errors == []
    pg.close()


# --------------------------------------------------------------------------------------------
# Without a browser: recording, thinning, the size cap
# --------------------------------------------------------------------------------------------


def test_spread_keeps_first_and_last():
    assert spread(5, 10) == [0, 1, 2, 3, 4]
    picked = spread(100, 7)
    assert picked[0] == 0 and picked[-1] == 99 and len(picked) == 7


def test_recorder_holds_the_parameters_each_step_started_from(run):
    rec = run["lab"].recorder
    assert rec.snapshots == run["snapshots"]
    assert len(rec.snapshots) == STEPS + 1


def test_the_page_is_self_contained(run):
    text = Path(run["path"]).read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text


def test_the_size_cap_thins_frames_and_says_so(run):
    lab, X, y = run["lab"], run["X"], run["y"]
    full = len(lab.html())
    small = Lab(
        lab.model,
        X,
        y,
        lab.history,
        lab.recorder,
        loss="hinge",
        max_frames=6,
        max_points=5,
        grid=12,
        max_bytes=full - 4_000,
    )
    assert len(small.html()) <= full - 4_000
    data = small.data()
    assert len(data["frames"]) < 6
    assert any("thinned" in note for note in data["notes"])
    assert data["frames"][0]["step"] == 0 and data["frames"][-1]["step"] == STEPS


def test_a_cap_too_small_for_two_frames_is_an_error(run):
    lab = run["lab"]
    with pytest.raises(ValueError, match="max_bytes"):
        Lab(
            lab.model, run["X"], run["y"], lab.history, lab.recorder, loss="hinge", max_bytes=1000
        ).html()


def test_fused_and_elementwise_neurons_give_the_same_page_text():
    """micrograd's chain of * and + and the fused dot are the same numbers, so the same steps."""
    graphs = []
    for fused in (True, False):
        random.seed(7)
        model = nn.MLP(2, [3, 2, 1], fused=fused)
        graphs.append(sample_graph(model, [0.3, -1.2], 1, "hinge"))
    fused, elementwise = graphs
    assert fused.signature == elementwise.signature
    assert fused.values == elementwise.values and fused.grads == elementwise.grads
    assert fused.steps == elementwise.steps


def test_cross_entropy_lays_out_one_graph_per_target_class():
    X, y = nn.make_blobs(24, centers=3, std=0.5, seed=1)
    random.seed(1)
    model = nn.MLP(2, [3, 3])
    recorder = LabRecorder(model)
    history = nn.fit(
        model, X, y, loss="cross_entropy", steps=3, progress=False, callbacks=[recorder]
    )
    lab = Lab(model, X, y, history, recorder, loss="cross_entropy", max_points=6, grid=8)
    data = lab.data()
    classes = {y[i] for i in data["pickable"]}
    assert len(data["layouts"]) == len(classes) > 1
    for sample, i in zip(data["frames"][0]["samples"], data["pickable"], strict=True):
        same = [j for j in data["pickable"] if y[j] == y[i]]
        first = data["frames"][0]["samples"][data["pickable"].index(same[0])]
        assert sample["layout"] == first["layout"]


def test_the_page_is_the_same_every_time_it_is_written(run):
    """No random ids or timestamps: re-running a notebook or the demo changes nothing."""
    lab = run["lab"]
    again = Lab(
        lab.model,
        run["X"],
        run["y"],
        lab.history,
        lab.recorder,
        loss="hinge",
        val=lab.val,
        max_frames=6,
        max_points=5,
        grid=12,
    )
    assert again.html() == lab.html() and again._repr_html_() == lab._repr_html_()


# --------------------------------------------------------------------------------------------
# What Lab accepts: this run's recorder, labels of any integer type, a named loss, sane limits
# --------------------------------------------------------------------------------------------


def small_run(steps: int = 5, loss: str = "hinge", recorder=None, model=None, seed: int = 4):
    """A tiny real run: 16 moons points, an MLP 2-3-1, ``steps`` GD steps."""
    X, y = nn.make_moons(16, noise=0.1, seed=seed)
    if model is None:
        random.seed(seed)
        model = nn.MLP(2, [3, 1])
    recorder = LabRecorder(model) if recorder is None else recorder
    history = nn.fit(
        model, X, y, loss=loss, steps=steps, lr=0.3, progress=False, callbacks=[recorder]
    )
    return model, X, y, history, recorder


def point_loss(snapshot: list[float], x: list[float], label: int, loss: str) -> float:
    """The engine's loss of one sample at the given parameters (this file's own computation)."""
    model = nn.MLP(2, [3, 1])
    for p, v in zip(model.parameters(), snapshot):
        p.data = v
    return classification_loss(loss, [model(x)], [label]).data


def test_a_recorder_used_for_two_runs_is_refused():
    model, X, y, _, rec = small_run()
    start_of_run_2 = [p.data for p in model.parameters()]
    _, _, _, h2, _ = small_run(recorder=rec, model=model)  # the same recorder, again
    with pytest.raises(ValueError, match=r"11 snapshots.*needs 6.*new LabRecorder"):
        Lab(model, X, y, h2, rec, loss="hinge", max_points=3, max_frames=2, grid=4)
    # a new recorder per run: step 0 of the page is run 2's step 0, as the engine computes it
    for p, v in zip(model.parameters(), start_of_run_2):
        p.data = v
    model, X, y, h3, fresh = small_run(model=model)
    lab = Lab(model, X, y, h3, fresh, loss="hinge", max_points=3, max_frames=2, grid=4)
    data = lab.data()
    for i, sample in zip(data["pickable"], data["frames"][0]["samples"]):
        assert float(sample["lossx"]) == point_loss(start_of_run_2, X[i], y[i], "hinge")


def test_a_recorder_of_another_model_is_refused():
    model, X, y, history, _ = small_run()
    _, _, _, _, other = small_run(seed=9)  # as many snapshots, another model's parameters
    assert len(other.snapshots) == len(history) + 1
    with pytest.raises(ValueError, match="another model"):
        Lab(model, X, y, history, other, loss="hinge")


def test_numpy_labels_and_inputs_are_accepted():
    np = pytest.importorskip("numpy")
    model, X, y, history, rec = small_run()
    lab = Lab(
        model,
        np.array(X),
        list(np.array(y)),
        history,
        rec,
        loss="hinge",
        val=(np.array(X[:4]), list(np.array(y[:4]))),
        max_frames=2,
        max_points=2,
        grid=4,
    )
    data = json.loads(json.dumps(lab.data()))  # the page's data is plain JSON
    assert data["y"] == y and data["yval"] == y[:4]
    assert all(type(c) is int for c in data["y"] + data["yval"])
    assert data["X"] == [[float(a), float(b)] for a, b in X]


@pytest.mark.parametrize("labels", [[True] * 16, [0.5] * 16, ["1"] * 16, [2] * 16, [-1] * 16])
def test_labels_that_are_not_class_indices_are_refused(labels):
    model, X, _, history, rec = small_run()
    with pytest.raises(ValueError, match=r"Lab: y\[0\] must be a class index"):
        Lab(model, X, labels, history, rec, loss="hinge")


def test_the_loss_is_required_and_must_be_known():
    model, X, y, history, rec = small_run(loss="bce")
    with pytest.raises(TypeError, match="loss"):
        Lab(model, X, y, history, rec)  # no default: a hinge page of a bce run was wrong
    with pytest.raises(ValueError, match=r"unknown loss 'hing'.*hinge, bce"):
        Lab(model, X, y, history, rec, loss="hing")
    lab = Lab(model, X, y, history, rec, loss="bce", max_frames=2, max_points=2, grid=4)
    data = lab.data()
    i = data["pickable"][0]
    expected = point_loss(rec.snapshots[0], X[i], y[i], "bce")
    assert float(data["frames"][0]["samples"][0]["lossx"]) == expected


@pytest.mark.parametrize(
    "name, value",
    [
        ("grid", 0),
        ("grid", True),
        ("max_frames", 2.5),
        ("max_frames", 1),
        ("max_points", True),
        ("max_bytes", 0),
        ("max_bytes", 1e6),
        ("max_parameters", -5),
    ],
)
def test_numeric_arguments_are_checked_by_name(name, value):
    model, X, y, history, rec = small_run()
    with pytest.raises(ValueError, match=f"Lab: {name} must be"):
        Lab(model, X, y, history, rec, loss="hinge", **{name: value})


# --------------------------------------------------------------------------------------------
# Building is bounded by max_bytes, max_parameters and the drawing's limits
# --------------------------------------------------------------------------------------------


def test_a_model_over_max_parameters_is_refused_at_once():
    X, y = nn.make_moons(8, noise=0.1, seed=1)
    random.seed(1)
    model = nn.MLP(2, [100, 100, 1])  # 10,501 parameters: the CLI case that ran for minutes
    rec = LabRecorder(model)
    history = nn.fit(model, X, y, loss="hinge", steps=1, progress=False, callbacks=[rec])
    with pytest.raises(ValueError, match=r"10,501 parameters, more than max_parameters=2,000"):
        Lab(model, X, y, history, rec, loss="hinge")


def test_a_graph_with_too_many_edges_is_refused_before_layout(monkeypatch):
    X, y = nn.make_moons(8, noise=0.1, seed=1)
    random.seed(1)
    model = nn.MLP(2, [30, 30, 1])  # 1,051 parameters, but ~1,000 edges between neurons
    rec = LabRecorder(model)
    history = nn.fit(model, X, y, loss="hinge", steps=1, progress=False, callbacks=[rec])
    edges = len(sample_graph(model, X[0], y[0], "hinge").edges)
    assert edges > 800
    with pytest.raises(ValueError, match=rf"{edges:,} edges.*max_edges=800"):
        Lab(model, X, y, history, rec, loss="hinge", max_frames=2, max_points=2).html()


def test_the_work_is_chosen_from_max_bytes_before_building(monkeypatch):
    """No graph is built that the page does not ship: the thinning happens up front."""
    import nn.lab.page as lab_module

    model, X, y, history, rec = small_run(steps=30)
    built = []
    real = lab_module.sample_graph

    def counting(*args, **kwargs):
        built.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(lab_module, "sample_graph", counting)
    limit = 60_000
    lab = Lab(
        model, X, y, history, rec, loss="hinge", max_frames=30, max_points=16, max_bytes=limit
    )
    page = lab.html()
    data = lab.data()
    assert len(page.encode()) <= limit
    assert any(note.startswith("thinned to") for note in data["notes"])
    assert 2 <= len(data["frames"]) < 30
    # exactly the graphs shipped (not 30 x 16 = 480): the corners measured first are shipped
    assert len(built) == len(data["frames"]) * len(data["pickable"])


def test_the_layout_has_a_finite_time_limit(monkeypatch):
    import nn.lab.content as lab_module
    from autograd.viz import DEFAULT_TIMEOUT

    timeouts = []
    real = lab_module.GraphDrawing

    def recording(*args, **kwargs):
        timeouts.append(kwargs["timeout"])
        return real(*args, **kwargs)

    monkeypatch.setattr(lab_module, "GraphDrawing", recording)
    model, X, y, history, rec = small_run()
    Lab(model, X, y, history, rec, loss="hinge", max_frames=2, max_points=2, grid=4).html()
    assert timeouts and all(t == DEFAULT_TIMEOUT for t in timeouts)


# --------------------------------------------------------------------------------------------
# In the browser: numbers as Python writes them, colours as autograd draws them, any k classes
# --------------------------------------------------------------------------------------------


def open_lab(browser, lab, tmp_path):
    path = lab.write(tmp_path / "lab.html")
    pg = browser.new_page(viewport={"width": 1300, "height": 1000})
    pg.problems = []
    pg.shot = tmp_path / "failure.png"
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))
    pg.goto(path.as_uri())
    pg.wait_for_selector(".vg-lab[data-ready]", timeout=10_000)
    return pg


def test_boxes_show_the_engines_numbers_as_python_formats_them(browser, tmp_path):
    """Inputs of 1e4 and 1e-5: the sizes where JavaScript's and Python's 4 digits differ
    (12350 vs 1.235e+04, 0.00002100 vs 2.1e-05). Boxes, hover and colours all from Python."""
    from autograd.viz import grad_colour, grad_scale

    X, y = nn.make_moons(12, noise=0.1, seed=2)
    X = [[12345.678 * a, 3e-05 * b] for a, b in X]
    random.seed(2)
    model = nn.MLP(2, [3, 1])
    start = [p.data for p in model.parameters()]
    rec = LabRecorder(model)
    history = nn.fit(model, X, y, loss="hinge", steps=2, lr=1e-9, progress=False, callbacks=[rec])
    lab = Lab(model, X, y, history, rec, loss="hinge", max_frames=2, max_points=4, grid=4)
    pg = open_lab(browser, lab, tmp_path)
    i = picked_point(pg)
    reference = nn.MLP(2, [3, 1])  # the engine, by this file's own code, at step 0
    for p, v in zip(reference.parameters(), start):
        p.data = v
    xs = [Value(v) for v in X[i]]
    hidden = reference.layers[0].outputs(xs)
    out = reference.layers[1].outputs(hidden)
    classification_loss("hinge", [out[0]], [y[i]]).backward()
    expected = {f"x{k}": v for k, v in enumerate(xs)}
    expected.update({f"L1.n{j}": h for j, h in enumerate(hidden)})
    expected["L2.n0"] = out[0]
    with screenshot_on_failure(pg):
        pg.locator("[data-action=backward-all]").click()  # backward done: every box has its grad
        grads = {}
        for node in pg.locator(".vg-node").all():
            title = node.locator("title").text_content()
            grads[node.get_attribute("data-name")] = float(re.search(r"grad = ([^;,]+)", title)[1])
        scale = grad_scale(grads.values())
        for name, v in expected.items():
            node = pg.locator(f".vg-node[data-name='{name}']")
            texts = [t.text_content() for t in node.locator("text").all()]
            assert texts[1:3] == [f"data {fmt(v.data)}", f"grad {fmt(v.grad)}"], name
            title = node.locator("title").text_content()
            assert f"data = {v.data!r}, grad = {v.grad!r}" in title, (name, title)
            fill = node.locator("polygon").first.get_attribute("fill")
            assert fill == grad_colour(v.grad, scale), name
        assert any("e+04" in t for t in [fmt(x) for x, _ in X])  # the case is the hard one
        assert pg.problems == []
    pg.close()


def test_six_classes_get_six_colours(browser, tmp_path):
    X, y = nn.make_blobs(36, centers=6, std=0.3, seed=3)
    random.seed(3)
    model = nn.MLP(2, [4, 6])
    rec = LabRecorder(model)
    history = nn.fit(
        model, X, y, loss="cross_entropy", steps=60, lr=0.5, progress=False, callbacks=[rec]
    )
    lab = Lab(model, X, y, history, rec, loss="cross_entropy", max_frames=2, max_points=2, grid=24)
    pg = open_lab(browser, lab, tmp_path)
    with screenshot_on_failure(pg):
        fills = {}
        for c in range(6):
            fill = pg.locator(f"circle.vg-pt.vg-c{c}").first.evaluate(
                "e => getComputedStyle(e).fill"
            )
            fills[c] = fill
        assert len(set(fills.values())) == 6, fills  # no class shares another's colour
        assert "rgb(0, 0, 0)" not in fills.values()
        # the boundary of the last frame, the trained model: the class it predicts in each cell
        pg.locator(".vg-scrub").fill("1")
        x0, x1, y0, y1 = lab.data()["grid"]["bounds"]
        n = 24
        classes = []
        for r in range(n):
            for c in range(n):
                out = model([x0 + (c + 0.5) * (x1 - x0) / n, y1 - (r + 0.5) * (y1 - y0) / n])
                classes.append(max(range(6), key=lambda k: out[k].data))
        pixels = pg.evaluate(
            "() => Array.from(document.querySelector('.vg-boundary canvas').getContext('2d')"
            ".getImageData(0, 0, 24, 24).data)"
        )
        colour_of = {}
        for cell, k in enumerate(classes):
            rgb = tuple(pixels[4 * cell : 4 * cell + 3])
            assert colour_of.setdefault(k, rgb) == rgb  # one colour per class
        assert len(set(colour_of.values())) == len(colour_of) >= 5, colour_of  # distinct
        assert {0, 5} <= colour_of.keys()  # the pair that shared blue
        assert pg.problems == []
    pg.close()


def test_class_colours_cannot_be_read_as_gradient_signs(page):
    """The graph's fills are red (grad > 0) and blue (grad < 0): the classes are neither."""
    import colorsys

    from autograd.viz import grad_colour

    def hue(css: str) -> float:
        if css.startswith("#"):
            rgb = [int(css[i : i + 2], 16) for i in (1, 3, 5)]
        else:
            rgb = [int(v) for v in re.findall(r"\d+", css)[:3]]
        return 360 * colorsys.rgb_to_hsv(*(v / 255 for v in rgb))[0]

    signs = [hue(grad_colour(1.0, 1.0)), hue(grad_colour(-1.0, 1.0))]
    with screenshot_on_failure(page):
        for c in (0, 1):
            fill = page.locator(f"circle.vg-pt.vg-c{c}").first.evaluate(
                "e => getComputedStyle(e).fill"
            )
            for sign in signs:
                apart = abs(hue(fill) - sign) % 360
                assert min(apart, 360 - apart) > 60, (c, fill, sign)
        key = page.locator(".vg-key").inner_text()
        assert all(t in key for t in ("class 0", "class 1", "grad > 0", "grad < 0"))


# --------------------------------------------------------------------------------------------
# A new user's trial (issue 24): what the page got wrong, each checked
# --------------------------------------------------------------------------------------------


def trained_losses(run) -> list[float]:
    """Each training point's own hinge loss under the trained model (this file's snapshot)."""
    return [
        engine_reference(run["snapshots"][-1], x, c)["loss"].data
        for x, c in zip(run["X"], run["y"], strict=True)
    ]


def test_the_last_frame_is_the_trained_model(page, run):
    """After the last update, not before it: its losses are the trained model's."""
    data = run["lab"].data()
    last = data["frames"][-1]
    assert last["step"] == STEPS and "the trained model" in last["label"]
    losses = trained_losses(run)
    for i, sample in zip(data["pickable"], last["samples"], strict=True):
        assert float(sample["lossx"]) == losses[i]
    with screenshot_on_failure(page):
        page.locator(".vg-scrub").fill(str(len(data["frames"]) - 1))
        assert shown_step(page) == STEPS
        readout = page.locator("[data-readout=loss]")
        mean = sum(losses) / len(losses)  # the data loss over all training points
        assert float(readout.get_attribute("data-exact")) == pytest.approx(mean, rel=1e-12)
        assert "the trained model" in readout.inner_text()
        i = picked_point(page)
        title = page.locator(".vg-node[data-name='loss'] title").text_content()
        assert float(re.search(r"data = ([^,]+)", title)[1]) == losses[i]


def test_the_pickable_points_hold_the_largest_losses_and_the_default_has_one(run):
    data = run["lab"].data()
    losses = trained_losses(run)
    positive = sorted((i for i, v in enumerate(losses) if v > 0), key=lambda i: -losses[i])
    assert len(positive) >= 2 and losses.count(0.0) > len(losses) // 2  # mostly 0, as in the trial
    assert set(positive[:2]) <= set(data["pickable"])  # max_points=5: the 2 largest
    default = data["pickable"][data["default_point"]]
    assert losses[default] == max(losses[i] for i in data["pickable"]) > 0


def test_a_point_that_passes_no_gradient_says_why(page, run):
    data = run["lab"].data()
    zero = [
        (f, j)
        for f, frame in enumerate(data["frames"])
        for j, sample in enumerate(frame["samples"])
        if float(sample["lossx"]) == 0
    ]
    assert zero, "the run has no point of loss 0 to check"
    f, j = zero[-1]
    i = data["pickable"][j]
    with screenshot_on_failure(page):
        note = page.locator(".vg-zero-note")
        assert not note.is_visible()  # the default point: loss above 0
        page.locator(".vg-scrub").fill(str(f))
        page.locator(f"circle[data-index='{i}']").click()
        assert note.is_visible()
        text = note.inner_text()
        # the margin, from the engine: (2 * class - 1) * score, past 1
        model = engine_reference(run["snapshots"][data["frames"][f]["step"]], run["X"][i], 0)
        margin = (2 * run["y"][i] - 1) * model["acts"][-1][0].data
        assert margin >= 1
        assert f"is {fmt(margin)}, past 1" in text and "Pick a ringed point" in text
        page.locator("[data-action=backward-all]").click()
        for name in ("L1.n0", "L2.n0", "L3.n0"):  # and indeed nothing flowed back
            title = page.locator(f".vg-node[data-name='{name}'] title").text_content()
            assert float(re.search(r"grad = ([^;,]+)", title)[1]) == 0


def test_zoom_scales_the_graph_and_fit_fills_the_width(page):
    def width() -> float:
        return page.locator(".vg-graph svg").bounding_box()["width"]

    with screenshot_on_failure(page):
        box = page.locator(".vg-graph").bounding_box()["width"]
        fitted = width()
        page.locator("[data-action=zoom-in]").click()
        assert width() == pytest.approx(fitted * 1.25, abs=2)
        page.locator("[data-action=zoom-in]").click()
        page.locator("[data-action=zoom-out]").click()
        page.locator("[data-action=zoom-out]").click()
        page.locator("[data-action=zoom-out]").click()
        assert width() == pytest.approx(fitted / 1.25, abs=2)
        page.locator("[data-action=zoom-fit]").click()
        assert width() == fitted
        # fitted: the graph fills the width (up to twice its size), its text readable
        natural = page.evaluate(
            "() => document.querySelector('.vg-graph svg').viewBox.baseVal.width * 4 / 3"
        )
        assert fitted == pytest.approx(min(box - 2, 2 * natural), abs=2)
        text = page.locator(".vg-node[data-name='L1.n0'] text").first.bounding_box()
        assert text["height"] >= 11


def test_on_a_1280x800_screen_the_graph_starts_above_the_fold(browser, run):
    pg = browser.new_page(viewport={"width": 1280, "height": 800})
    pg.goto(Path(run["path"]).as_uri())
    pg.wait_for_selector(".vg-lab[data-ready]", timeout=10_000)
    arithmetic = pg.locator("[data-readout=arithmetic]").bounding_box()
    assert arithmetic["y"] + arithmetic["height"] <= 800  # the backward text: all of it
    assert pg.locator(".vg-graph svg").bounding_box()["y"] + 250 <= 800  # 250 px of graph
    pg.close()


def test_buttons_say_what_they_do_and_the_keys_help_names_them(page):
    buttons = {
        b.get_attribute("data-action"): b.inner_text() for b in page.locator("[data-action]").all()
    }
    assert buttons["train-step"] == "train step \u25b6"
    assert buttons["backward-step"] == "backward step \u25b6"
    assert buttons["backward-clear"] == "undo backward"
    texts = list(buttons.values())
    assert len(set(texts)) == len(texts)  # no two buttons read alike
    help_text = page.locator(".vg-help").inner_text()
    for name in ("train step", "backward step", "undo backward", "zoom in / out / fit"):
        assert name in help_text
    with screenshot_on_failure(page):
        page.locator(".vg-lab h2").click()
        page.keyboard.press("End")
        steps = int(re.search(r"of (\d+)", page.locator("[data-readout=backward]").inner_text())[1])
        assert (
            f"backward step {steps} of {steps}"
            in page.locator("[data-readout=backward]").inner_text()
        )
        page.keyboard.press("Home")
        assert current_node(page) is None


def test_every_constant_of_the_loss_is_shown_with_its_value(page, run):
    with screenshot_on_failure(page):
        i = picked_point(page)
        sign = 2 * run["y"][i] - 1  # hinge: t0 = c * score with c the label's sign, t1 = 1 - t0
        expected = {"t0": f"c = {sign}", "t1": "c = 1", "t3": "c = 0", "loss": "c = 1"}
        for name, constant in expected.items():
            texts = [
                t.text_content() for t in page.locator(f".vg-node[data-name='{name}'] text").all()
            ]
            assert re.search(r"\bc\b", texts[0]) and texts[-1] == constant, (name, texts)
        page.locator("[data-action=backward-all]").click()  # the text writes it by value too
        text = page.locator("[data-readout=arithmetic]").inner_text()
        assert "t0 = c * L3.n0" not in text


def test_the_arithmetic_names_only_what_the_page_shows(page):
    """No ``a.grad`` or bare ``z``: every name is a box, a box's z (shown in it), or one of
    a box's own weights and bias (which the step's text introduces)."""
    with screenshot_on_failure(page):
        boxes = {n.get_attribute("data-name") for n in page.locator(".vg-node").all()}
        total = int(re.search(r"of (\d+)", page.locator("[data-readout=backward]").inner_text())[1])
        named = set()
        for _ in range(total):
            page.locator("[data-action=backward-step]").click()
            text = page.locator("[data-readout=arithmetic]").inner_text()
            named |= set(
                re.findall(r"(?<![\w.])([A-Za-z][\w]*(?:\.[A-Za-z]\w*)*)\.(?:grad|data)\b", text)
            )
            assert not re.search(r"(?<![\w.])[az]\.grad|\(z\)", text), text
        for name in named:
            base = re.sub(r"\.(z|w\d+|b)$", "", name)
            assert base in boxes, name
            if name.endswith(".z"):  # the box shows its z and z.grad
                shown = page.locator(f".vg-node[data-name='{base}'] text").all_text_contents()
                assert any(t.startswith("z ") and "z.grad" in t for t in shown), (name, shown)
        assert {"L1.n0.z", "L1.n0.w0", "L1.n0.b"} <= named


def test_the_loss_chart_is_logarithmic_with_train_and_validation(page, run):
    with screenshot_on_failure(page):
        ticks = page.locator("svg.vg-loss text.vg-tick").all_text_contents()
        assert {"0.1", "1"} <= set(ticks)
        assert page.locator("svg.vg-loss polyline.vg-train").count() >= 1
        assert page.locator("svg.vg-loss polyline.vg-val").count() >= 1
        decades = page.evaluate(
            """() => Array.from(document.querySelectorAll('svg.vg-loss text.vg-tick'))
                 .filter(t => t.getAttribute('text-anchor') === 'end' && !isNaN(+t.textContent))
                 .map(t => [+t.textContent, +t.getAttribute('y')])"""
        )
        (v0, y0), (v1, y1) = decades[0], decades[1]
        points = page.locator("svg.vg-loss polyline.vg-train").first.get_attribute("points")
        first = [float(v) for v in points.split()[0].split(",")]
        loss = run["history"]["loss"][0]
        # y of a loss is linear in log10(loss): the decade ticks are its scale (3 px: text baseline)
        expected = (
            y0
            + 0
            + (math.log10(loss) - math.log10(v0)) / (math.log10(v1) - math.log10(v0)) * (y1 - y0)
        )
        assert first[1] == pytest.approx(expected - 3, abs=0.2)


def test_the_boundary_has_axes_named_by_the_features_and_escaped(browser, tmp_path):
    model, X, y, history, rec = small_run()
    names = ["petal <b>length</b>", "width & 'depth'"]
    lab = Lab(
        model,
        X,
        y,
        history,
        rec,
        loss="hinge",
        max_frames=2,
        max_points=2,
        grid=4,
        feature_names=names,
    )
    pg = open_lab(browser, lab, tmp_path)
    with screenshot_on_failure(pg):
        axis_names = pg.locator(".vg-boundary text.vg-axis-name").all_text_contents()
        assert axis_names == names
        assert pg.locator(".vg-lab b").count() == 0  # text, not markup
        ticks = pg.locator(".vg-boundary text.vg-tick").all_text_contents()
        assert len(ticks) >= 4 and all(re.fullmatch(r"-?[\d.]+", t) for t in ticks)
        i = picked_point(pg)
        point = pg.locator("[data-readout=point]").inner_text()
        assert f"{names[0]} = {fmt(X[i][0])}, {names[1]} = {fmt(X[i][1])}" in point
        assert pg.problems == []
    pg.close()


@pytest.mark.parametrize(
    "names, message",
    [
        (["a"], "feature_names has 1 names, but the model takes 2"),
        ("ab", "feature_names must be a list of strings"),
        (["a", ""], r"feature_names\[1\] must be a non-empty string"),
        (["a", 3], r"feature_names\[1\] must be a non-empty string, got 3"),
    ],
)
def test_feature_names_are_checked(names, message):
    model, X, y, history, rec = small_run()
    with pytest.raises(ValueError, match=message):
        Lab(model, X, y, history, rec, loss="hinge", feature_names=names)


def test_thinning_the_points_keeps_the_largest_loss():
    """A page thinned to fewer points still holds the point of largest loss after training."""
    model, X, y, history, rec = small_run(steps=30, seed=6)  # even thinning would drop it
    losses = [classification_loss("hinge", [model(x)], [c]).data for x, c in zip(X, y)]
    worst = max(range(len(X)), key=lambda i: losses[i])
    assert losses[worst] > 0
    args = dict(loss="hinge", max_frames=2, max_points=8, grid=4)
    full = Lab(model, X, y, history, rec, **args)
    assert worst in full.data()["pickable"]
    small = Lab(model, X, y, history, rec, **args, max_bytes=len(full.html()) - 1_500)
    data = small.data()
    assert len(data["pickable"]) < 8 and any("pickable points" in n for n in data["notes"])
    assert worst in data["pickable"]
    assert data["pickable"][data["default_point"]] == worst
