"""Modules against micrograd 0.1.0: the same seed gives the same weights, outputs and training."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from micrograd.engine import Value as MicroValue
from micrograd.nn import MLP as MicroMLP
from micrograd.nn import Layer as MicroLayer
from micrograd.nn import Neuron as MicroNeuron

from autograd import Value
from nn import MLP, Layer, Neuron
from tests.micrograd_demo import micrograd_run, moons, valuegrad_run
from tests.programs import close

# micrograd feeds a 1-wide layer's single Value on as if it were a list, so its hidden layers
# need at least 2 neurons
sizes = st.builds(
    lambda hidden, last: [*hidden, last], st.lists(st.integers(2, 5), max_size=2), st.integers(1, 3)
)
point = st.lists(st.floats(-3, 3), min_size=3, max_size=3)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), nin=st.integers(1, 3), nouts=sizes, x=point, fused=st.booleans())
def test_same_seed_same_weights_and_outputs_as_micrograd(
    seed: int, nin: int, nouts: list[int], x: list[float], fused: bool
) -> None:
    random.seed(seed)
    ours = MLP(nin, nouts, fused=fused)
    random.seed(seed)
    theirs = MicroMLP(nin, nouts)
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]

    out = ours(x[:nin])
    ref = theirs([MicroValue(v) for v in x[:nin]])
    outs, refs = (out, ref) if isinstance(out, list) else ([out], [ref])
    assert [o.data for o in outs] == [r.data for r in refs]  # bit for bit
    sum(outs).backward()
    sum(refs).backward()
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert close(p.grad, q.grad, rel=1e-12, abs_=1e-300)


def demo_run(steps: int, n: int) -> tuple:
    """micrograd's demo on its first n points for ``steps`` steps: data and its history."""
    X, y = moons()
    X, y = X[:n], y[:n]
    return X, y, micrograd_run(X, y, [16, 16, 1], steps, seed=1337)


@pytest.fixture(scope="module")
def demo_start() -> tuple:
    """The first 3 steps on a third of the data (keeps micrograd's side under a second)."""
    return demo_run(3, 30)


@pytest.fixture(scope="module")
def demo_full() -> tuple:
    """All 100 steps on all 100 points, as the notebook (about a minute for micrograd)."""
    return demo_run(100, 100)


History = list[tuple[float, float]]


def assert_same_history(ours: History, theirs: History) -> None:
    assert len(ours) == len(theirs)
    assert ours[0] == theirs[0]  # the first loss and accuracy bit for bit
    for (loss, acc), (ref_loss, ref_acc) in zip(ours, theirs, strict=True):
        assert close(loss, ref_loss, rel=1e-12, abs_=0.0)
        assert acc == ref_acc


@pytest.mark.parametrize("fused", [True, False])
def test_micrograd_demo_first_steps_match(demo_start: tuple, fused: bool) -> None:
    X, y, theirs = demo_start
    assert_same_history(valuegrad_run(X, y, [16, 16, 1], 3, seed=1337, fused=fused), theirs)


@pytest.mark.slow
@pytest.mark.parametrize("fused", [True, False])
def test_micrograd_demo_all_100_steps_match(demo_full: tuple, fused: bool) -> None:
    X, y, theirs = demo_full
    assert_same_history(valuegrad_run(X, y, [16, 16, 1], 100, seed=1337, fused=fused), theirs)


def test_parameter_names_and_order() -> None:
    model = MLP(2, [3, 1])
    names = [name for name, _ in model.named_parameters()]
    assert names[:4] == [
        "layers.0.neurons.0.w.0",
        "layers.0.neurons.0.w.1",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0",
    ]
    assert names[-1] == "layers.1.neurons.0.b"
    assert len(names) == len(set(names)) == 3 * 3 + 4
    assert [p for _, p in model.named_parameters()] == model.parameters()
    neuron = model.layers[1].neurons[0]
    assert model.parameters()[-4:] == [*neuron.w, neuron.b]


def test_layers_use_relu_and_the_output_is_linear() -> None:
    model = MLP(2, [4, 4, 1])
    assert [n.activation for layer in model.layers for n in layer.neurons[:1]] == [
        "relu",
        "relu",
        "linear",
    ]
    assert repr(model.layers[2]) == "Layer of [LinearNeuron(4)]"


def test_a_one_neuron_layer_returns_a_value_and_wider_layers_a_list() -> None:
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)
    out = Layer(2, 3)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3
    assert isinstance(MLP(2, [1, 2])([0.5, 0.5]), list)  # a 1-wide hidden layer feeds on


@pytest.mark.parametrize(
    "activation, f",
    [
        ("relu", lambda z: max(z, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_activation(activation: str, f) -> None:
    n = Neuron(2, activation=activation, rng=random.Random(0))
    n.b.data = 0.25
    x = [0.7, -1.3]
    z = 0.25 + n.w[0].data * x[0] + n.w[1].data * x[1]
    assert close(n(x).data, f(z), rel=1e-15, abs_=0.0)


def test_fused_neuron_is_one_dot_node_and_elementwise_is_micrograds_chain() -> None:
    n = Neuron(3, activation="linear", rng=random.Random(1))
    assert n([1.0, 2.0, 3.0])._op == "dot"
    assert len(n([1.0, 2.0, 3.0])._prev) == 7
    n.fused = False
    z = n([1.0, 2.0, 3.0])
    ops = []
    while z._op == "+":
        left, right = z._prev
        ops.append(right._op)
        z = left
    assert ops == ["*", "*", "*"] and z is n.b


@pytest.mark.parametrize(
    "init, bound", [("uniform", 1.0), ("xavier", math.sqrt(6 / (8 + 4))), ("he", math.sqrt(6 / 8))]
)
def test_init_draws_from_the_stated_range(init: str, bound: float) -> None:
    layer = Layer(8, 4, init=init, rng=random.Random(3))
    weights = [w.data for n in layer.neurons for w in n.w]
    assert all(-bound <= w <= bound for w in weights)
    assert max(abs(w) for w in weights) > 0.7 * bound  # spread over the range, not squeezed
    assert all(n.b.data == 0.0 for n in layer.neurons)


def test_an_explicit_rng_is_reproducible_and_leaves_the_global_state_alone() -> None:
    random.seed(5)
    before = random.getstate()
    a = MLP(2, [4, 1], rng=random.Random(9))
    assert random.getstate() == before
    b = MLP(2, [4, 1], rng=random.Random(9))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]


def test_inputs_may_be_values_and_receive_gradients() -> None:
    n = Neuron(2, activation="linear", rng=random.Random(2))
    x = [Value(1.0), 2.0]
    n(x).backward()
    assert x[0].grad == n.w[0].data
    assert n.w[1].grad == 2.0 and n.b.grad == 1.0


def test_zero_grad() -> None:
    model = MLP(2, [3, 1])
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@settings(max_examples=30, deadline=None)
@given(nin=st.integers(1, 4), nouts=st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_repr_is_micrograds(nin: int, nouts: list[int]) -> None:
    assert repr(MLP(nin, nouts)) == repr(MicroMLP(nin, nouts))
    assert str(MLP(nin, nouts).layers[0]) == str(MicroMLP(nin, nouts).layers[0])


def test_repr_names_the_other_activations_alike() -> None:
    model = MLP(2, [3, 2], activation="tanh", output_activation="sigmoid")
    assert repr(model) == (
        "MLP of [Layer of [TanhNeuron(2), TanhNeuron(2), TanhNeuron(2)], "
        "Layer of [SigmoidNeuron(3), SigmoidNeuron(3)]]"
    )


@pytest.mark.parametrize("nonlin", [True, False])
def test_micrograds_nonlin_keyword(nonlin: bool) -> None:
    x = [0.3, -2.0, 1.1]
    sums = []
    for seed in range(5):
        random.seed(seed)
        ours = Neuron(3, nonlin=nonlin)
        random.seed(seed)
        theirs = MicroNeuron(3, nonlin=nonlin)
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        assert ours(x).data == theirs([MicroValue(v) for v in x]).data
        assert repr(ours) == repr(theirs)
        sums.append(ours.b.data + sum(w.data * v for w, v in zip(ours.w, x, strict=True)))
    assert min(sums) < 0 < max(sums)  # both signs seen: ReLU and linear differ on some
    assert Neuron(3, nonlin=nonlin).activation == ("relu" if nonlin else "linear")
    assert Neuron(3, nonlin).activation == ("relu" if nonlin else "linear")  # positional too
    assert repr(Layer(3, 2, nonlin=nonlin)) == repr(MicroLayer(3, 2, nonlin=nonlin))
    assert Neuron(3, nonlin=nonlin, activation="relu" if nonlin else "linear").activation == (
        "relu" if nonlin else "linear"
    )  # both spellings, agreeing: fine


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: Neuron(2, nonlin=False, activation="tanh"),
            "Neuron: nonlin=False means activation='linear', but activation='tanh' was given",
        ),
        (
            lambda: Layer(2, 2, nonlin=True, activation="linear"),
            "Layer: nonlin=True means activation='relu', but activation='linear' was given",
        ),
        (lambda: Neuron(2, nonlin=0), r"Neuron: nonlin must be True \(ReLU\) or False"),
        (lambda: Neuron(2, nonlin="yes"), r"Neuron: nonlin must be True \(ReLU\) or False"),
        (lambda: MLP(2, [2, 1], activation=None), "MLP: unknown activation None"),
        (lambda: MLP(2, [1], output_activation="gelu"), "MLP: unknown output_activation 'gelu'"),
    ],
)
def test_conflicting_or_malformed_nonlin_is_an_error(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("fused", [True, False])
def test_wrong_input_length_is_an_error(fused: bool) -> None:
    with pytest.raises(ValueError, match="Neuron: expects 2 inputs, got 3"):
        Neuron(2, fused=fused)([1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Neuron(2, activation="gelu"), "unknown activation 'gelu'"),
        (lambda: Neuron(2, init="zeros"), "unknown init 'zeros'"),
        (lambda: Neuron(0), "nin must be a positive int"),
        (lambda: Layer(2, 0), "nout must be a positive int"),
        (lambda: MLP(2, []), "at least one layer"),
    ],
)
def test_bad_construction_is_an_error(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
