"""MLP.to_torch / MLP.from_torch (nn.pytorch) against PyTorch itself, and the guide page.

PyTorch is the oracle: outputs and gradients of the converted module are PyTorch's own
computation, compared with the engine's. Where PyTorch is not installed the tests that need it
skip (CI installs it and runs with VALUEGRAD_NO_SKIPS=1); the import-isolation and the
missing-PyTorch tests run everywhere, in a subprocess.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import random
import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import nn
from nn.module import ACTIVATIONS

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "guide" / "pytorch.md"
TOL = 1e-12


@pytest.fixture(scope="module")
def torch() -> Any:
    return pytest.importorskip("torch", reason="make torch (pip install -e '.[torch]')")


def bits(x: float) -> bytes:
    """The float's 8 bytes: equal bits, not just ==, (0.0 and -0.0 differ here)."""
    return struct.pack("<d", x)


def close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(b))


def model(activation: str, output_activation: str, fused: bool, nouts=(5, 4, 3), seed=0):
    """An MLP on 3 inputs with random weights and biases (an MLP's biases start at 0)."""
    rng = random.Random(seed)
    m = nn.MLP(
        3,
        list(nouts),
        activation=activation,
        output_activation=output_activation,
        rng=rng,
        fused=fused,
    )
    for layer in m.layers:
        for neuron in layer.neurons:
            neuron.b.data = rng.uniform(-1, 1)
    return m


def outputs(m: nn.MLP, x: list[float]) -> list[float]:
    out = m(x)
    return [v.data for v in out] if isinstance(out, list) else [out.data]


COMBOS = list(itertools.product(ACTIVATIONS, ACTIVATIONS))


# ---------------------------------------------------------------------------------------------
# to_torch: the same function, PyTorch's names and shapes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize(("activation", "output_activation"), COMBOS)
@pytest.mark.parametrize("nouts", [(5, 4, 3), (6, 1)], ids=["3 outputs", "1 output"])
def test_outputs_match(torch, activation, output_activation, fused, nouts) -> None:
    m = model(activation, output_activation, fused, nouts)
    net = m.to_torch()
    rng = random.Random(1)
    xs = [[rng.uniform(-3, 3) for _ in range(3)] for _ in range(25)]
    ref = net(torch.tensor(xs, dtype=torch.float64)).tolist()
    for x, row in zip(xs, ref, strict=True):
        ours = outputs(m, x)
        assert len(ours) == len(row) == nouts[-1]
        assert all(close(a, b) for a, b in zip(ours, row)), (x, ours, row)


def test_modules_names_shapes_and_values(torch) -> None:
    m = model("relu", "linear", True, (4, 4, 2))
    net = m.to_torch()
    assert [type(child).__name__ for child in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    state = net.state_dict()
    shapes = {name: tuple(t.shape) for name, t in state.items()}
    assert shapes == {
        "0.weight": (4, 3),
        "0.bias": (4,),
        "2.weight": (4, 4),
        "2.bias": (4,),
        "4.weight": (2, 4),
        "4.bias": (2,),
    }
    assert all(t.dtype == torch.float64 for t in state.values())
    for k, j in enumerate((0, 2, 4)):  # row i of the k-th Linear is neuron i of layer k
        for i, neuron in enumerate(m.layers[k].neurons):
            assert [bits(w) for w in state[f"{j}.weight"][i].tolist()] == [
                bits(w.data) for w in neuron.w
            ]
            assert bits(state[f"{j}.bias"][i].item()) == bits(neuron.b.data)
    assert all(p.requires_grad for p in net.parameters())


@pytest.mark.parametrize(
    ("activation", "output_activation", "kinds"),
    [
        ("linear", "linear", ["Linear", "Linear", "Linear"]),
        ("tanh", "sigmoid", ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]),
        ("sigmoid", "relu", ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear", "ReLU"]),
    ],
)
def test_activation_modules(torch, activation, output_activation, kinds) -> None:
    net = model(activation, output_activation, True).to_torch()
    assert [type(child).__name__ for child in net] == kinds
    linear_at = [i for i, kind in enumerate(kinds) if kind == "Linear"]
    assert sorted({name.split(".")[0] for name in net.state_dict()}) == [str(i) for i in linear_at]


def test_the_copy_is_independent_and_draws_no_random_numbers(torch) -> None:
    m = model("tanh", "linear", True)
    before = torch.get_rng_state()
    net = m.to_torch()
    assert torch.equal(torch.get_rng_state(), before)
    with torch.no_grad():
        net[0].weight.add_(1.0)
    assert m.state_dict() == model("tanh", "linear", True).state_dict()


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize(
    ("activation", "output_activation"),
    [("relu", "linear"), ("tanh", "sigmoid"), ("sigmoid", "tanh"), ("linear", "relu")],
)
def test_gradients_match(torch, activation, output_activation, fused) -> None:
    """The same loss (mean squared error over a batch, 3 outputs) on both; every .grad."""
    m = model(activation, output_activation, fused)
    net = m.to_torch()
    rng = random.Random(2)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(8)]
    ts = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(8)]
    preds = [p for x in xs for p in m(x)]  # type: ignore[union-attr]
    nn.mse(preds, [t for row in ts for t in row]).backward()
    loss = torch.nn.functional.mse_loss(
        net(torch.tensor(xs, dtype=torch.float64)), torch.tensor(ts, dtype=torch.float64)
    )
    loss.backward()
    grads = {name: p.grad for name, p in net.named_parameters()}
    for k, j in enumerate(i for i, child in enumerate(net) if type(child) is torch.nn.Linear):
        for i, neuron in enumerate(m.layers[k].neurons):
            for w, g in zip(neuron.w, grads[f"{j}.weight"][i].tolist(), strict=True):
                assert close(w.grad, g), (k, i, w.grad, g)
            assert close(neuron.b.grad, grads[f"{j}.bias"][i].item())
    assert any(p.grad != 0 for p in m.parameters())  # a real comparison, not 0 against 0


# ---------------------------------------------------------------------------------------------
# from_torch: the same parameters, bit for bit, and the architecture
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
@pytest.mark.parametrize(("activation", "output_activation"), COMBOS)
def test_round_trip_is_exact(torch, activation, output_activation, fused) -> None:
    m = model(activation, output_activation, fused)
    back = nn.MLP.from_torch(m.to_torch(), fused=fused)
    assert back.architecture() == m.architecture()
    assert back.state_dict().keys() == m.state_dict().keys()
    for (name, p), (_, q) in zip(m.named_parameters(), back.named_parameters(), strict=True):
        assert bits(p.data) == bits(q.data), name
    assert all(n.fused is fused for layer in back.layers for n in layer.neurons)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_torch_made_module_converts_exactly(torch, dtype) -> None:
    torch.manual_seed(0)  # PyTorch's own initialisation: numbers this library never made
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3), torch.nn.Tanh()
    ).to(getattr(torch, dtype))
    back = nn.MLP.from_torch(net)
    assert back.architecture() == {
        "nin": 4,
        "nouts": [6, 3],
        "activation": "tanh",
        "output_activation": "tanh",
    }
    for k, j in enumerate((0, 2)):
        weight, bias = net[j].weight, net[j].bias
        for i, neuron in enumerate(back.layers[k].neurons):
            for m, w in enumerate(neuron.w):
                # float(t.item()) of a float32 is the float32's value: exact in a float64
                assert bits(w.data) == bits(float(weight[i, m].item()))
            assert bits(neuron.b.data) == bits(float(bias[i].item()))
    if dtype == "float32":  # the round trip to float64 and back to float32 changes nothing
        again = back.to_torch().float()
        assert all(torch.equal(again.state_dict()[k], v) for k, v in net.state_dict().items())
    x = [0.5, -1.0, 2.0, 0.25]
    ref = net.double()(torch.tensor([x], dtype=torch.float64))[0].tolist()
    assert all(close(a, b) for a, b in zip(outputs(back, x), ref, strict=True))


def test_identity_and_a_missing_activation_mean_linear(torch) -> None:
    torch.manual_seed(1)
    L, Id = torch.nn.Linear, torch.nn.Identity
    plain = torch.nn.Sequential(L(2, 3), L(3, 3), L(3, 1)).double()
    with_identity = torch.nn.Sequential(Id(), plain[0], Id(), plain[1], Id(), Id(), plain[2], Id())
    for net in (plain, with_identity):
        back = nn.MLP.from_torch(net)
        assert back.architecture() == {
            "nin": 2,
            "nouts": [3, 3, 1],
            "activation": "linear",
            "output_activation": "linear",
        }
        assert back.state_dict() == nn.MLP.from_torch(plain).state_dict()
        x = [0.7, -0.2]
        assert close(outputs(back, x)[0], net(torch.tensor([x], dtype=torch.float64)).item())
    # An Identity between a layer and its activation changes nothing either.
    relu = torch.nn.Sequential(plain[0], Id(), torch.nn.ReLU(), plain[1], torch.nn.ReLU())
    assert nn.MLP.from_torch(relu).architecture()["activation"] == "relu"
    assert nn.MLP.from_torch(relu).architecture()["output_activation"] == "relu"


def test_one_layer_gets_the_default_hidden_activation(torch) -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid())
    assert nn.MLP.from_torch(net).architecture() == {
        "nin": 2,
        "nouts": [3],
        "activation": "relu",
        "output_activation": "sigmoid",
    }


def test_from_torch_leaves_the_global_random_state(torch) -> None:
    net = model("relu", "linear", True).to_torch()
    random.seed(5)
    expected = random.random()
    random.seed(5)
    nn.MLP.from_torch(net)
    assert random.random() == expected


def test_from_torch_of_a_subclass_returns_the_subclass(torch) -> None:
    class Mine(nn.MLP):
        pass

    assert type(Mine.from_torch(model("relu", "linear", True).to_torch())) is Mine


# ---------------------------------------------------------------------------------------------
# from_torch: what it refuses, and how it says so
# ---------------------------------------------------------------------------------------------


def _refusals(torch: Any) -> list[tuple[object, type[Exception], str]]:
    L, R, T = torch.nn.Linear, torch.nn.ReLU, torch.nn.Tanh
    Seq = torch.nn.Sequential

    class MyLinear(torch.nn.Linear):  # type: ignore[misc]
        pass

    nan = L(2, 3)
    with torch.no_grad():
        nan.weight[1, 0] = float("nan")
    inf = L(2, 3)
    with torch.no_grad():
        inf.bias[2] = float("-inf")
    lin = "Linear(in_features=2, out_features=3, bias=True)"
    one_bias = L(2, 3)  # PyTorch runs it, adding the one bias to all 3 outputs
    one_bias.bias = torch.nn.Parameter(torch.zeros(1))
    wide = L(2, 3)  # PyTorch runs it too: 4 outputs, past the next Linear's 3 inputs
    wide.weight = torch.nn.Parameter(torch.zeros(4, 2))
    wide.bias = torch.nn.Parameter(torch.zeros(4))
    return [
        (
            Seq(L(2, 3), torch.nn.Dropout(0.5), L(3, 1)),
            TypeError,
            "from_torch: module 1 is Dropout(p=0.5, inplace=False): only Linear, ReLU, Tanh, "
            "Sigmoid and Identity are supported",
        ),
        (
            Seq(L(2, 3), R(), Seq(L(3, 1))),
            TypeError,
            "from_torch: module 2 is Sequential( (0): Linear(in_features=3, out_features=1, "
            "bias=True) ): only Linear, ReLU, Tanh, Sigmoid and Identity are supported",
        ),
        (
            Seq(MyLinear(2, 1)),
            TypeError,
            "from_torch: module 0 is MyLinear(in_features=2, out_features=1, bias=True): only "
            "Linear, ReLU, Tanh, Sigmoid and Identity are supported",
        ),
        (
            Seq(L(2, 3, bias=False)),
            ValueError,
            "from_torch: module 0 is Linear(in_features=2, out_features=3, bias=False): a "
            "Linear without bias; every MLP neuron has a bias",
        ),
        (
            Seq(L(2, 3), R(), L(4, 1)),
            ValueError,
            "from_torch: module 2 is Linear(in_features=4, out_features=1, bias=True): it "
            "takes 4 inputs, but module 0 gives 3",
        ),
        (
            Seq(L(2, 3), R(), T(), L(3, 1)),
            ValueError,
            "from_torch: module 2 is Tanh(), a second activation after module 1's ReLU(): an "
            "MLP layer has one activation",
        ),
        (
            Seq(R(), L(2, 1)),
            ValueError,
            "from_torch: module 0 is ReLU(): an activation before the first Linear; an MLP "
            "starts with a Linear layer",
        ),
        (
            Seq(L(2, 3), R(), L(3, 3), T(), L(3, 1)),
            ValueError,
            "from_torch: module 3 is Tanh(), but module 1 is ReLU(): an MLP's hidden layers "
            "share one activation",
        ),
        (
            Seq(L(2, 3), R(), L(3, 3), L(3, 1)),
            ValueError,
            "from_torch: module 2 (a Linear) has no activation after it, but module 1 is "
            "ReLU(): an MLP's hidden layers share one activation",
        ),
        (
            Seq(),
            ValueError,
            "from_torch: the Sequential is empty: an MLP has at least one layer",
        ),
        (
            Seq(torch.nn.Identity()),
            ValueError,
            "from_torch: the Sequential has no Linear layer: an MLP has at least one layer",
        ),
        (
            L(2, 1),
            TypeError,
            "from_torch: expected a torch.nn.Sequential of Linear layers and activations, got "
            "a Linear",
        ),
        (
            [L(2, 1)],
            TypeError,
            "from_torch: expected a torch.nn.Sequential of Linear layers and activations, got "
            "a list",
        ),
        (
            Seq(L(3, 2), R(), nan),
            ValueError,
            f"from_torch: module 2 is {lin}: weight[1, 0] is nan; an MLP's parameters are "
            "finite numbers",
        ),
        (
            Seq(inf),
            ValueError,
            f"from_torch: module 0 is {lin}: bias[2] is -inf; an MLP's parameters are finite "
            "numbers",
        ),
        (
            Seq(L(4, 2), R(), one_bias),
            ValueError,
            f"from_torch: module 2 is {lin}: its bias has shape (1,), not (3,) (in_features=2, "
            "out_features=3); was the parameter replaced?",
        ),
        (
            Seq(wide, R(), L(3, 1)),
            ValueError,
            f"from_torch: module 0 is {lin}: its weight has shape (4, 2), not (3, 2) "
            "(in_features=2, out_features=3); was the parameter replaced?",
        ),
        (
            Seq(L(2, 1, dtype=torch.complex64)),
            ValueError,
            "from_torch: module 0 is Linear(in_features=2, out_features=1, bias=True): its "
            "weight is torch.complex64, not real floating point",
        ),
    ]


def test_refusals(torch) -> None:
    for module, kind, message in _refusals(torch):
        with pytest.raises(kind) as info:
            nn.MLP.from_torch(module)
        assert str(info.value) == message


def test_a_sequential_subclass_that_overrides_forward_is_refused_naming_its_class(torch) -> None:
    """A residual block is a Sequential whose forward adds its input: read as its modules, the
    MLP would silently compute something else. A subclass that only names the class is the
    same computation, and is read."""

    class Residual(torch.nn.Sequential):  # type: ignore[misc]
        def forward(self, x: Any) -> Any:
            return x + super().forward(x)

    class Named(torch.nn.Sequential):  # type: ignore[misc]
        pass

    linear = torch.nn.Linear(2, 2, dtype=torch.float64)
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
    block = Residual(linear)
    assert not torch.allclose(block(x), torch.nn.Sequential(linear)(x))  # the premise
    with pytest.raises(TypeError) as info:
        nn.MLP.from_torch(block)
    assert str(info.value).startswith(
        f"from_torch: the Sequential is a {__name__}.{Residual.__qualname__}, which overrides "
        "forward: it may compute something other than its modules one after the other"
    )
    model = nn.MLP.from_torch(Named(linear))
    for got, want in zip(model([0.3, -0.7]), Named(linear)(x)[0].tolist(), strict=True):
        assert got.data == pytest.approx(want, abs=TOL)


def test_modules_with_hooks_are_refused_and_parametrizations_read_as_computed(torch) -> None:
    """A forward hook changes what a Linear computes, so reading only its class and parameters
    would give an MLP that silently differs: refused, naming the module. A parametrization's
    ``.weight`` is the weight the module uses: read as such, the outputs agree."""
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)

    def hooked() -> object:
        linear = torch.nn.Linear(2, 1, dtype=torch.float64)
        linear.register_forward_hook(lambda module, inputs, output: 10 * output)
        return linear

    def old_weight_norm() -> object:  # a pre-hook that rewrites .weight at each call
        linear = torch.nn.Linear(2, 3, dtype=torch.float64)
        with pytest.warns(FutureWarning):
            torch.nn.utils.weight_norm(linear)
        with torch.no_grad():
            linear.weight_g.mul_(2)  # .weight is stale until the next call
        return linear

    for make in (hooked, old_weight_norm):
        module = make()
        sequential = torch.nn.Sequential(module)
        plain = torch.nn.Linear(2, module.out_features, dtype=torch.float64)
        plain.load_state_dict({"weight": module.weight.detach(), "bias": module.bias.detach()})
        # The premise: the module's output is not what its weight and bias alone give.
        assert not torch.allclose(sequential(x), plain(x))
        with pytest.raises(ValueError) as info:
            nn.MLP.from_torch(sequential)
        assert str(info.value).startswith("from_torch: module 0 is Linear(")
        assert "it has forward hooks" in str(info.value)
    normed = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(2, 3, dtype=torch.float64))
    with torch.no_grad():
        normed.parametrizations.weight.original0.mul_(2)
    model = nn.MLP.from_torch(torch.nn.Sequential(normed))
    for got, want in zip(model([0.3, -0.7]), normed(x)[0].tolist(), strict=True):
        assert got.data == pytest.approx(want, abs=1e-12)
    outer = torch.nn.Sequential(torch.nn.Linear(2, 1))
    outer.register_forward_pre_hook(lambda module, inputs: (2 * inputs[0],))
    with pytest.raises(ValueError, match=r"^from_torch: the Sequential: it has forward hooks"):
        nn.MLP.from_torch(outer)
    with (
        pytest.warns(UserWarning, match="zero-element"),  # PyTorch's, making Linear(2, 0)
        pytest.raises(ValueError, match="at least one input and one output"),
    ):
        nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 0)))
    with pytest.raises(ValueError, match="on the meta device"):
        nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3, device="meta")))


# ---------------------------------------------------------------------------------------------
# PyTorch stays optional
# ---------------------------------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_import_nn_never_imports_torch() -> None:
    run = _python(
        "import sys, autograd, nn, nn.pytorch\n"
        "nn.MLP(2, [3, 1])\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok')"
    )
    assert run.returncode == 0 and run.stdout == "ok\n", run.stderr


def test_without_torch_the_error_says_how_to_install_it() -> None:
    run = _python(
        "import sys\n"
        "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "import nn\n"
        "for call in (lambda: nn.MLP(2, [1]).to_torch(), lambda: nn.MLP.from_torch(None)):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["to_torch", "from_torch"]
    for line in lines:
        assert "needs PyTorch" in line
        assert "pip install -e '.[torch]'" in line
        assert "pip install torch==2.13.0" in line
        assert "CUDA" in line


def test_the_extra_pins_the_version_the_message_names() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^torch = \["torch==2\.13\.0"\]$', text, re.MULTILINE)
    assert "-e '.[torch]'" in (ROOT / "Makefile").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The guide page: its code runs and prints what the page says
# ---------------------------------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def test_the_guide_page_prints_what_it_says(torch) -> None:
    text = PAGE.read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2), m.end()) for m in FENCE.finditer(text)]
    assert sum(lang == "python" for lang, _, _ in blocks) >= 5
    namespace: dict[str, object] = {"__name__": "guide"}
    printed: list[str] = []
    for n, (lang, code, end) in enumerate(blocks):
        if lang != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{PAGE.name} block {n}", "exec"), namespace)
        shown = blocks[n + 1] if n + 1 < len(blocks) else None
        if out.getvalue():  # what a block prints is shown right after it, as it prints it
            assert shown is not None and shown[0] == "text", f"block {n}'s output is not shown"
            assert text[end : end + 2] == "\n\n" and out.getvalue() == shown[1], code
            printed.append(out.getvalue())
    # Every decimal number in the prose is one the code prints (or sets): none typed by hand.
    prose = FENCE.sub("", text)
    code_and_output = "".join(code for _, code, _ in blocks)
    for number in re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", prose):
        assert number in code_and_output, f"{number} in the page's prose is not computed"
    assert any("0.2239" in out for out in printed)  # the number the prose quotes


def test_weight_decay_is_the_l2_penalty_the_page_says(torch) -> None:
    """The page: SGD(weight_decay=2e-4) steps as the explicit penalty 1e-4 * sum(p^2) does."""
    nets = [model("relu", "linear", True, (4, 1)).to_torch() for _ in range(2)]
    start = [p.detach().clone() for p in nets[0].parameters()]
    x = torch.tensor([[0.3, -0.5, 1.0], [1.2, 0.1, -0.7]], dtype=torch.float64)
    explicit = torch.optim.SGD(nets[0].parameters(), lr=0.1)
    decay = torch.optim.SGD(nets[1].parameters(), lr=0.1, weight_decay=2e-4)
    penalty = 1e-4 * sum((p * p).sum() for p in nets[0].parameters())
    (nets[0](x).sum() + penalty).backward()
    nets[1](x).sum().backward()
    explicit.step()
    decay.step()
    for a, b, s in zip(nets[0].parameters(), nets[1].parameters(), start, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-15)
        assert not torch.equal(a, s)  # the step moved every parameter
