"""The bridge to PyTorch: an :class:`~nn.MLP` as a ``torch.nn.Sequential``, and back.

:meth:`nn.MLP.to_torch` and :meth:`nn.MLP.from_torch` are the way in; they call
:func:`to_torch` and :func:`from_torch` here. PyTorch is optional (the ``torch``
extra): ``import nn`` never imports it. These two functions import it when they
are called, and without it raise ``ImportError`` saying how to install it.

**The mapping.** Layer k of the MLP, with its neurons i = 0 .. nout-1 over nin inputs, becomes
a ``torch.nn.Linear(nin, nout)`` followed by its activation module (``relu`` -> ``ReLU``,
``tanh`` -> ``Tanh``, ``sigmoid`` -> ``Sigmoid``, ``linear`` -> no module). If that Linear
sits at index j of the Sequential, then (row i of the weight matrix is neuron i's weights)::

    layers.k.neurons.i.w      <->  j.weight[i]      (weight has shape (nout, nin))
    layers.k.neurons.i.w.m    <->  j.weight[i, m]
    layers.k.neurons.i.b      <->  j.bias[i]        (bias has shape (nout,))

Both compute layer by layer ``act(W x + b)``, i.e. neuron i gives act(b_i + sum_m W_im x_m):
the same function, the same parameters. The numbers are float64 on both sides, so
``to_torch`` copies every parameter exactly and ``from_torch`` reads a float64 or float32
(or float16/bfloat16) module exactly (each of those floats is a float64). Outputs agree to
rounding (within 1e-12), not bit for bit: PyTorch sums the products in its own order.

**What from_torch accepts**: a ``torch.nn.Sequential`` of ``Linear`` (with a bias), ``ReLU``,
``Tanh``, ``Sigmoid`` and ``Identity`` modules, exactly those classes (a subclass may compute
something else), in the order of an MLP:

* a Linear starts each layer; the activation module right after it is that layer's
  activation; a Linear with **no activation after it has the ``linear`` activation**;
* an **Identity computes nothing and is skipped wherever it stands**, so ``Linear, Identity``
  is a linear layer, the same as ``Linear`` alone;
* every hidden layer has the same activation (an MLP has one hidden activation), which may
  differ from the last layer's (``output_activation``). A one-layer Sequential has no hidden
  layer, so its MLP gets :class:`~nn.MLP`'s default hidden activation, ``relu``, which
  computes nothing there;
* each Linear takes as many inputs as the one before gives; its weight and bias have the
  shapes ``(out_features, in_features)`` and ``(out_features,)`` (a parameter replaced by one
  of another shape is refused, naming both shapes); the parameters are finite real numbers;
* the Sequential's class computes what a Sequential does: a subclass that overrides
  ``forward`` (a residual block, say) or ``__call__`` is refused, naming the class (a
  subclass that only adds a name or an ``__init__`` is fine);
* no module (nor the Sequential) has a forward hook (the old ``weight_norm`` is one): a hook
  changes what the module computes, and the MLP would silently differ. A parametrization
  (``torch.nn.utils.parametrizations.weight_norm``) is read as the weight it computes.

Anything else is a ``TypeError`` (not a Sequential, an unsupported module) or a
``ValueError`` (the rest), naming the module by its index in the Sequential, e.g.
``from_torch: module 1 is Dropout(p=0.5, inplace=False): only Linear, ReLU, Tanh, Sigmoid
and Identity are supported``.
"""

from __future__ import annotations

import importlib
import random
from typing import Any

from nn._validate import QUOTE_LIMIT
from nn.module import MLP

#: The torch.nn module class of each activation (``linear`` has none: no module).
TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def _torch(op: str) -> Any:
    """The ``torch`` package, imported now; ImportError saying how to install it if it fails.

    Imported by name, as ``Any``: mypy checks this module the same way with or without
    PyTorch installed, and never reads PyTorch's own sources.
    """
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(
            f"{op} needs PyTorch, which could not be imported ({exc}): install it with "
            "pip install torch==2.13.0 (valuegrad's torch extra; in a clone: pip install -e "
            "'.[torch]'). Prefer a CPU build: a bare "
            "`pip install torch` can pull a CUDA build of several GB, which this never uses"
        ) from exc


def to_torch(model: MLP) -> Any:
    """``model`` as a ``torch.nn.Sequential`` of float64 ``Linear`` layers and activations.

    The parameters are copied (the two models share nothing): layer k's neuron i gives row i
    of the k-th Linear's ``weight`` and entry i of its ``bias`` (see the module docstring).
    The new module's parameters require gradients, as every PyTorch parameter does; building
    it draws no random numbers (``torch.nn.utils.skip_init``), so PyTorch's global random
    state is left as it was.
    """
    torch = _torch("to_torch")
    sizes = [model.nin, *model.nouts]
    last = len(model.layers) - 1
    modules = []
    for k, layer in enumerate(model.layers):
        linear = torch.nn.utils.skip_init(
            torch.nn.Linear, sizes[k], sizes[k + 1], dtype=torch.float64
        )
        with torch.no_grad():
            weight = [[w.data for w in neuron.w] for neuron in layer.neurons]
            linear.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            bias = [neuron.b.data for neuron in layer.neurons]
            linear.bias.copy_(torch.tensor(bias, dtype=torch.float64))
        modules.append(linear)
        activation = model.output_activation if k == last else model.activation
        if activation in TORCH_ACTIVATIONS:
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


class _Layer:
    """One Linear of the Sequential being read, at ``index``, and its activation module."""

    def __init__(self, index: int, linear: Any) -> None:
        self.index = index
        self.linear = linear
        self.activation = "linear"
        self.activation_at: tuple[int, Any] | None = None  # (index, module), if any

    def describe_activation(self) -> str:
        """``module 3 is Tanh()``, or ``module 2 (a Linear) has no activation after it``."""
        if self.activation_at is None:
            return f"module {self.index} (a Linear) has no activation after it"
        index, module = self.activation_at
        return f"module {index} is {_name(module)}"


def _name(module: object) -> str:
    """A module as its repr on one line, cut to QUOTE_LIMIT characters:
    ``Linear(in_features=2, out_features=3, bias=True)``."""
    text = " ".join(repr(module).split())
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


def from_torch(module: object, cls: type[MLP] = MLP, *, fused: bool = True) -> MLP:
    """The MLP (of class ``cls``) that computes what the Sequential ``module`` computes.

    Reads the architecture (``nin``, ``nouts``, ``activation``, ``output_activation``) off the
    order of the modules and copies every parameter exactly; the rules for what is accepted,
    and the errors for the rest, are in the module docstring. ``fused`` is passed to the
    neurons (see :class:`~nn.Neuron`). The global ``random`` state is left as it was.
    """
    torch = _torch("from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(
            "from_torch: expected a torch.nn.Sequential of Linear layers and activations, got "
            f"a {type(module).__name__}"
        )
    _check_plain("the Sequential", module)
    _check_sequential_class(torch, module)
    activations = {getattr(torch.nn, name): act for act, name in TORCH_ACTIVATIONS.items()}
    layers: list[_Layer] = []
    for index, child in enumerate(module):
        _check_plain(f"module {index} is {_name(child)}", child)
        kind = type(child)
        if torch.nn.utils.parametrize.is_parametrized(child):
            kind = kind.__bases__[0]  # ParametrizedLinear is made as a subclass of Linear
        if kind is torch.nn.Identity:
            continue
        if kind is torch.nn.Linear:
            _check_linear(torch, index, child, layers[-1] if layers else None)
            layers.append(_Layer(index, child))
        elif kind in activations:
            if not layers:
                raise ValueError(
                    f"from_torch: module {index} is {_name(child)}: an activation before "
                    "the first Linear; an MLP starts with a Linear layer"
                )
            layer = layers[-1]
            if layer.activation_at is not None:
                before, first = layer.activation_at
                raise ValueError(
                    f"from_torch: module {index} is {_name(child)}, a second activation after "
                    f"module {before}'s {_name(first)}: an MLP layer has one activation"
                )
            layer.activation, layer.activation_at = activations[kind], (index, child)
        else:
            raise TypeError(
                f"from_torch: module {index} is {_name(child)}: only Linear, ReLU, Tanh, "
                "Sigmoid and Identity are supported"
            )
    if not layers:
        what = "is empty" if len(module) == 0 else "has no Linear layer"
        raise ValueError(f"from_torch: the Sequential {what}: an MLP has at least one layer")
    hidden = layers[:-1]
    for layer in hidden[1:]:
        if layer.activation != hidden[0].activation:
            raise ValueError(
                f"from_torch: {layer.describe_activation()}, but "
                f"{hidden[0].describe_activation()}: an MLP's hidden layers share one "
                "activation"
            )
    state: dict[str, float | list[float]] = {}
    for k, layer in enumerate(layers):
        weight = layer.linear.weight.detach().cpu().double().tolist()
        bias = layer.linear.bias.detach().cpu().double().tolist()
        for i, (row, b) in enumerate(zip(weight, bias, strict=True)):
            state[f"layers.{k}.neurons.{i}.w"] = row
            state[f"layers.{k}.neurons.{i}.b"] = b
    model = cls(
        layers[0].linear.weight.shape[1],
        [layer.linear.weight.shape[0] for layer in layers],
        activation=hidden[0].activation if hidden else "relu",
        output_activation=layers[-1].activation,
        # The initial weights are overwritten: draw them from a private generator, so that
        # reading a model does not move the global random state.
        rng=random.Random(0),
        fused=fused,
    )
    model.load_state_dict(state)
    return model


def _check_plain(where: str, module: Any) -> None:
    """ValueError if ``module`` computes more than its class says: a forward hook or pre-hook
    (the old ``torch.nn.utils.weight_norm`` is one, which rewrites the weight at each call) may
    change its output, and the MLP would silently compute something else. (A parametrization,
    as ``torch.nn.utils.parametrizations.weight_norm``, is fine: reading ``.weight`` computes
    the weight the module uses.)"""
    if module._forward_hooks or module._forward_pre_hooks:
        raise ValueError(
            f"from_torch: {where}: it has forward hooks (its own, or the old "
            "torch.nn.utils.weight_norm's), which an MLP cannot carry over: remove them first "
            "(for weight norm, torch.nn.utils.remove_weight_norm)"
        )


def _check_sequential_class(torch: Any, module: Any) -> None:
    """TypeError if the class of the Sequential ``module`` computes anything but its modules in
    order: a subclass that overrides ``forward`` or ``__call__`` (a residual block adds its
    input), which the MLP would silently not do."""
    kind = type(module)
    for method in ("forward", "__call__"):
        if getattr(kind, method) is not getattr(torch.nn.Sequential, method):
            raise TypeError(
                f"from_torch: the Sequential is a {kind.__module__}.{kind.__qualname__}, which "
                f"overrides {method}: it may compute something other than its modules one "
                "after the other (a residual block adds its input), and an MLP cannot; pass a "
                "torch.nn.Sequential of the same modules if that is what it computes"
            )


def _check_linear(torch: Any, index: int, linear: Any, before: _Layer | None) -> None:
    """ValueError unless ``linear`` (module ``index``) can be an MLP layer after ``before``:
    it has a bias, parameters of the shapes its sizes say, real floating-point and finite,
    and as many inputs as ``before`` has outputs."""
    where = f"from_torch: module {index} is {_name(linear)}"
    if linear.bias is None:
        raise ValueError(f"{where}: a Linear without bias; every MLP neuron has a bias")
    if linear.in_features < 1 or linear.out_features < 1:
        raise ValueError(f"{where}: an MLP layer has at least one input and one output")
    expected = {
        "weight": (linear.out_features, linear.in_features),
        "bias": (linear.out_features,),
    }
    for name, shape in expected.items():
        actual = tuple(getattr(linear, name).shape)
        if actual != shape:
            raise ValueError(
                f"{where}: its {name} has shape {actual}, not {shape} (in_features="
                f"{linear.in_features}, out_features={linear.out_features}); was the parameter "
                "replaced?"
            )
    if linear.weight.is_meta:
        raise ValueError(f"{where}: its parameters are on the meta device and hold no numbers")
    for name in ("weight", "bias"):
        tensor = getattr(linear, name).detach()
        if tensor.is_complex() or not tensor.is_floating_point():
            raise ValueError(f"{where}: its {name} is {tensor.dtype}, not real floating point")
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            at = ", ".join(str(i) for i in (~finite).nonzero()[0].tolist())
            value = tensor[tuple((~finite).nonzero()[0].tolist())].item()
            raise ValueError(
                f"{where}: {name}[{at}] is {value}; an MLP's parameters are finite numbers"
            )
    if before is not None:
        takes, given = linear.weight.shape[1], before.linear.weight.shape[0]
        if takes != given:
            raise ValueError(
                f"{where}: it takes {takes} inputs, but module {before.index} gives {given}"
            )
