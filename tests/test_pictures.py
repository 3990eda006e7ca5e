"""Pictures that teach: layer boxes, named parameters, an honest legend, SVG that fits its page.

Covers the drawing options added for the lab (``draw_graph(groups=)``, the legend of what is
drawn, ``GraphDrawing._repr_svg_`` scaled to its container) and ``nn.lab.draw_sample``: one
sample's graph with gradients from that sample alone, one box per neuron or in full.
"""

from __future__ import annotations

import random
import re
import shutil

import pytest

import nn
from autograd import Value, draw_graph
from nn.lab import draw_sample, hardest_sample, sample_graph
from nn.metrics import classification_loss

graphviz = pytest.importorskip("graphviz", reason="pip install 'valuegrad[viz]'")
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
