"""Pictures that teach: layer boxes, named parameters, an honest legend, SVG that fits its page.

Covers the drawing options added for the lab (``draw_graph(groups=)``, the legend of what is
drawn, ``GraphDrawing._repr_svg_`` scaled to its container) and ``nn.lab.draw_sample``: one
sample's graph with gradients from that sample alone, one box per neuron or in full.
"""

from __future__ import annotations

import json
import math
import random
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd.viz
import nn
from autograd import Value
from autograd.viz import backends as viz_backends
from autograd.viz import draw_graph
from nn.lab import draw_sample, hardest_sample, sample_graph
from nn.losses import classification_loss

graphviz = pytest.importorskip("graphviz", reason="the viz extra: pip install -e '.[viz]'")
pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def neuron() -> tuple[Value, list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    return o, [w1, w2, b]


def caption_lines(svg: str) -> list[str]:
    """The graph's own label lines (caption and legend): the texts outside any node."""
    graph_label = svg[: svg.index('class="node"')] if 'class="node"' in svg else svg
    return [t.replace("&#45;", "-") for t in re.findall(r">([^<]+)</text>", graph_label)]


def test_the_legend_lists_only_what_the_picture_contains() -> None:
    o, params = neuron()
    key = " ".join(caption_lines(draw_graph(o, params=params, legend=True).svg()))
    assert "bold rounded: parameter" in key and "red = positive grad" in key
    assert "orange border" not in key and "grad ?" not in key  # no highlight, all final
    key = " ".join(caption_lines(draw_graph(o, legend=True).svg()))
    assert "parameter" not in key and "square: computed" in key  # no params=: no bold boxes
    key = " ".join(caption_lines(draw_graph(o, grads={o: 1.0}, highlight=o, legend=True).svg()))
    assert "orange border: current step" in key and "grad ?" in key
    assert "blue" not in key  # the only gradient shown is +1


def test_groups_draw_a_labelled_box_per_group() -> None:
    o, (w1, w2, b) = neuron()
    drawing = draw_graph(o, groups={w1: "layer 1", w2: "layer 1", b: "bias"})
    assert drawing.source.count("subgraph cluster_") == 2
    svg = drawing.svg()
    assert svg.count('class="cluster"') == 2 and "layer 1" in svg and ">bias<" in svg


def test_jupyter_svg_scales_to_its_container_and_keeps_the_viewbox() -> None:
    o, _ = neuron()
    drawing = draw_graph(o)
    natural = re.search(r'<svg width="([0-9.]+)pt"', drawing.svg())[1]
    shown = drawing._repr_svg_()
    tag = shown[shown.index("<svg") : shown.index(">", shown.index("<svg"))]
    assert 'width="100%"' in tag and f"max-width: {natural}pt" in tag and "viewBox" in tag
    assert "height=" not in tag.replace("height: auto", "")


@pytest.fixture
def trained():
    X, y = nn.make_moons(30, noise=0.1, seed=2)
    random.seed(2)
    model = nn.MLP(2, [4, 4, 1])
    nn.fit(model, X, y, steps=5, lr=0.5, progress=False)
    return model, X, y


def test_the_hardest_sample_has_the_largest_loss(trained) -> None:
    model, X, y = trained
    i, loss = hardest_sample(model, X, y, "hinge")
    losses = [classification_loss("hinge", [model(x)], [c]).data for x, c in zip(X, y, strict=True)]
    assert loss == max(losses) == losses[i] and loss > 0


def test_full_view_names_parameters_by_layer_with_this_samples_gradients(trained) -> None:
    model, X, y = trained
    i, _ = hardest_sample(model, X, y, "hinge")
    for p in model.parameters():
        p.grad = 123.0  # stale gradients must not show
    labels = [p.label for p in model.parameters()]
    svg = draw_sample(model, X[i], y[i], view="full").svg()
    assert all(p.grad == 0.0 for p in model.parameters())  # zeroed again afterwards
    assert [p.label for p in model.parameters()] == labels  # labels restored
    assert ">grad 123<" not in svg
    assert svg.count('class="cluster"') == 3  # one box per layer
    # the engine's gradient of L1.n0.w1 for this sample alone, in the picture
    reference = nn.MLP(2, [4, 4, 1])
    for p, q in zip(reference.parameters(), model.parameters(), strict=True):
        p.data = q.data
    classification_loss("hinge", [reference(X[i])], [y[i]]).backward()
    w = reference.layers[0].neurons[0].w[1]
    assert re.search(
        rf">L1\.n0\.w1<.*?>data {w.data:.4g}<.*?>grad {w.grad:.4g}<".replace("-", "&#45;"),
        svg,
        re.S,
    )


def test_neurons_view_is_one_box_per_neuron(trained) -> None:
    model, X, y = trained
    i, _ = hardest_sample(model, X, y, "hinge")
    svg = draw_sample(model, X[i], y[i]).svg()
    g = sample_graph(model, X[i], y[i], "hinge")
    kinds = [n.kind for n in g.nodes]
    assert kinds.count("neuron") == 9 and kinds.count("input") == 2
    assert svg.count('class="node"') == len(g.nodes) < 20
    assert "L2.n3 ReLU" in svg and "L3.n0 linear" in svg
    assert "t1 = 1 &#45; t0" in svg  # the hinge's margin, with its constant shown


# --------------------------------------------------------------------------------------------
# draw_sample escapes and colours as autograd.viz does (one implementation, not a copy)
# --------------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
BACKENDS = ["dot"] + (["wasm"] if viz_backends._has_wasm() else [])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "caption", ["x &lt; y", "&#7;", "&#xD800;", "\nfirst line empty", "a & b <c> {d|e} \\N"]
)
def test_draw_sample_shows_a_hostile_caption_as_written(caption, backend) -> None:
    random.seed(1)
    model = nn.MLP(2, [3, 1])
    svg = draw_sample(
        model, [0.5, -1.0], 1, loss="hinge", caption=caption, legend=False, backend=backend
    ).svg()
    graph = ET.fromstring(svg).find(SVG + "g")  # the graph's own texts: its label
    shown = [t.text for t in graph.findall(SVG + "text") if t.text.strip()]
    assert shown == [line for line in caption.split("\n") if line]


@pytest.mark.skipif(not viz_backends._has_wasm(), reason="needs the WebAssembly backend")
def test_draw_sample_caption_with_a_blank_first_line_in_a_fresh_process() -> None:
    """The caption that trapped the WebAssembly build (a blank first line, a long one after,
    the legend): the first render of a fresh process, as the trap depends on its state."""
    code = """
        import json, random
        import nn
        from nn.lab import draw_sample
        random.seed(1)
        model = nn.MLP(2, [3, 1])
        print(json.dumps([
            draw_sample(model, [0.5, -1.0], 1, loss="hinge", caption="\\n" + "c" * 200,
                        backend=b).svg()
            for b in ("wasm", "dot")
        ]))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    for svg in json.loads(done.stdout):
        graph = ET.fromstring(svg).find(SVG + "g")
        shown = [t.text for t in graph.findall(SVG + "text") if t.text.strip()]
        assert shown[0] == "c" * 200 and "one box per neuron" in shown[1]


def test_draw_sample_of_a_model_with_infinite_gradients() -> None:
    """A diverged model's picture: inf gradients are full colour, the finite ones scaled."""
    model = nn.MLP(2, [2, 2, 1])
    for layer in model.layers:
        for n in layer.neurons:
            for w in n.w:
                w.data = 1e300
            n.b.data = 0.0
    g = sample_graph(model, [1.0, 1.0], 0, "hinge")
    assert math.inf in g.grads  # the engine's own gradients overflow
    svg = ET.fromstring(draw_sample(model, [1.0, 1.0], 0, loss="hinge", legend=False).svg())
    fills = {
        node.get("id"): node.find(SVG + "polygon").get("fill")
        for node in svg.iter(SVG + "g")
        if node.get("class") == "node"
    }
    for i, grad in enumerate(g.grads):
        if math.isinf(grad):
            assert fills[f"n{i}"] == ("#ef8a62" if grad > 0 else "#67a9cf")  # full red / blue
        elif grad == 0:
            assert fills[f"n{i}"] == "white"


# --------------------------------------------------------------------------------------------
# draw_sample's neurons view keeps draw_graph's size limits
# --------------------------------------------------------------------------------------------


def test_the_neurons_view_of_wide_data_is_refused_before_its_graph_is_built(monkeypatch) -> None:
    """One sample of 2,000 features through 16, 16, 1 neurons: 32,272 weights, one edge each,
    past max_edges=3000. Refused from the layers' sizes, before the graph is built (building
    it took 25 s, laying it out minutes)."""
    built = []
    monkeypatch.setattr(nn.lab.drawing, "sample_graph", lambda *args: built.append(args))
    model = nn.MLP(2000, [16, 16, 1], rng=random.Random(0))
    with pytest.raises(autograd.viz.GraphTooLargeError) as info:
        draw_sample(model, [0.0] * 2000, 1, max_nodes=2500, max_edges=3000)
    assert built == []
    weights = 2000 * 16 + 16 * 16 + 16 * 1
    assert f"at least 2,033 boxes and {weights:,} edges" in str(info.value)
    assert "more than max_edges=3000:" in str(info.value)  # 2,033 boxes are within 2500


def test_the_neurons_view_counts_the_loss_in_its_limits() -> None:
    """The limits are the graph's exact size, the loss's boxes and edges included, as
    sample_graph (the graph the view draws) counts them."""
    model = nn.MLP(2, [3, 1], rng=random.Random(0))
    g = sample_graph(model, [0.5, -1.0], 1, "hinge")
    boxes, edges = len(g.nodes), len(g.edges)
    assert boxes > 2 + 3 + 1 and edges > 2 * 3 + 3 * 1  # the loss adds some of each
    drawing = draw_sample(model, [0.5, -1.0], 1, max_nodes=boxes, max_edges=edges)
    assert (drawing.nodes, drawing.edges) == (boxes, edges)
    with pytest.raises(autograd.viz.GraphTooLargeError, match=f"more than max_edges={edges - 1}:"):
        draw_sample(model, [0.5, -1.0], 1, max_nodes=boxes, max_edges=edges - 1)
    with pytest.raises(autograd.viz.GraphTooLargeError, match=f"more than max_nodes={boxes - 1}:"):
        draw_sample(model, [0.5, -1.0], 1, max_nodes=boxes - 1, max_edges=edges)
