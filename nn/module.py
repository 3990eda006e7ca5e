"""Modules: ``Neuron``, ``Layer`` and ``MLP``, micrograd-compatible, with names for parameters.

A neuron computes ``act(b + w_0 x_0 + ... + w_{n-1} x_{n-1})``. A layer is a list of neurons
that all see the same input; an MLP is a chain of layers.

Parameter names (PyTorch-style, dotted paths of attribute names and list indices):

* a *tensor* is a neuron's weight list ``w`` or its bias ``b``: ``layers.0.neurons.3.w`` and
  ``layers.0.neurons.3.b``. :meth:`Module.state_dict` maps these names to a list of floats
  (``w``) or a float (``b``);
* a *parameter* is one scalar ``Value``: the weights are numbered, ``layers.0.neurons.3.w.1``;
  the bias keeps its tensor name. :meth:`Module.named_parameters` lists these.

Both list each neuron's weights then its bias, neuron by neuron, layer by layer: micrograd's
order for ``parameters()``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import Any, TypedDict

import autograd
from autograd import Value
from autograd.extend import Operand
from nn._validate import StateError, first, positive_int, shorten, state_number, state_numbers

Tensor = Value | list[Value]
#: A source of random numbers: the ``random`` module itself (micrograd's global state) or a
#: ``random.Random`` instance.
RandomSource = random.Random | ModuleType

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}
#: How ``repr`` names a neuron of each activation: micrograd's ``ReLUNeuron``/``LinearNeuron``.
_REPR_NAMES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}


def _activation(op: str, nonlin: bool | None, activation: str | None) -> str:
    """The activation's name from micrograd's ``nonlin`` and/or this library's ``activation``.

    ``nonlin=True`` is ``'relu'``, ``nonlin=False`` is ``'linear'`` (micrograd's meaning); with
    neither given, ``'relu'``. Giving both is fine when they agree, a ``ValueError`` otherwise.
    """
    if nonlin is not None:
        if not isinstance(nonlin, bool):
            raise ValueError(
                f"{op}: nonlin must be True (ReLU) or False (linear), got {shorten(nonlin)}"
            )
        implied = "relu" if nonlin else "linear"
        if activation is not None and activation != implied:
            raise ValueError(
                f"{op}: nonlin={nonlin} means activation={implied!r}, but activation="
                f"{shorten(activation)} was given: pass one of them"
            )
        return implied
    if activation is None:
        return "relu"
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(
            f"{op}: unknown activation {shorten(activation)}: choose from {sorted(ACTIVATIONS)}"
        )
    return activation


def _uniform_bound(init: str, fan_in: int, fan_out: int) -> float:
    """The a of the weight distribution U(-a, a) for an initialisation scheme.

    * ``uniform``: a = 1 (micrograd);
    * ``xavier`` (Glorot uniform): a = sqrt(6 / (fan_in + fan_out)), for tanh/sigmoid;
    * ``he`` (Kaiming uniform): a = sqrt(6 / fan_in), for ReLU.
    """
    if init == "uniform":
        return 1.0
    if init == "xavier":
        return math.sqrt(6.0 / (fan_in + fan_out))
    if init == "he":
        return math.sqrt(6.0 / fan_in)
    raise ValueError(f"unknown init {init!r}: choose 'uniform', 'xavier' or 'he'")


class Architecture(TypedDict):
    """What ``MLP(**architecture)`` needs to rebuild a model (weights aside)."""

    nin: int
    nouts: list[int]
    activation: str
    output_activation: str


def check_architecture(value: object) -> Architecture:
    """``value`` if it is a valid :class:`Architecture` (as read from a file), else StateError.

    Exactly the four keys; ``nin`` and every size a positive int (not a bool), at least one
    layer; both activations names from ``ACTIVATIONS``.
    """
    keys = set(Architecture.__annotations__)
    if not isinstance(value, dict) or set(value) != keys:
        got = first(sorted(map(str, value))) if isinstance(value, dict) else type(value).__name__
        raise StateError(f"'architecture': expected the keys {sorted(keys)}, got {got}")
    nin, nouts = value["nin"], value["nouts"]
    if isinstance(nin, bool) or not isinstance(nin, int) or nin < 1:
        raise StateError(f"'architecture.nin': expected a positive int, got {shorten(nin)}")
    if not isinstance(nouts, list) or not nouts:
        raise StateError(f"'architecture.nouts': expected a list of sizes, got {shorten(nouts)}")
    for i, n in enumerate(nouts):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise StateError(f"'architecture.nouts.{i}': expected a positive int, got {shorten(n)}")
    for key in ("activation", "output_activation"):
        if not isinstance(value[key], str) or value[key] not in ACTIVATIONS:
            raise StateError(
                f"'architecture.{key}': expected one of {sorted(ACTIVATIONS)}, "
                f"got {shorten(value[key])}"
            )
    return Architecture(
        nin=nin,
        nouts=list(nouts),
        activation=value["activation"],
        output_activation=value["output_activation"],
    )


class Module:
    """Something with parameters that maps inputs to outputs.

    Subclasses define :meth:`forward` and name their own tensors (``_own_tensors``) and
    sub-modules (``_children``); everything else (``parameters``, ``named_parameters``,
    ``zero_grad``, ``state_dict``, ``load_state_dict``) follows from those.
    """

    def forward(self, x: Sequence[Operand]) -> Value | list[Value]:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        return self.forward(x)

    def _own_tensors(self) -> Iterator[tuple[str, Tensor]]:
        return iter(())

    def _children(self) -> Iterator[tuple[str, Module]]:
        return iter(())

    def named_tensors(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """``(name, tensor)`` for every weight list and bias, in parameter order."""
        for name, tensor in self._own_tensors():
            yield prefix + name, tensor
        for name, child in self._children():
            yield from child.named_tensors(f"{prefix}{name}.")

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(name, parameter)`` for every scalar parameter, e.g. ``layers.0.neurons.3.w.1``."""
        named = []
        for name, tensor in self.named_tensors():
            if isinstance(tensor, Value):
                named.append((name, tensor))
            else:
                named.extend((f"{name}.{i}", p) for i, p in enumerate(tensor))
        return named

    def parameters(self) -> list[Value]:
        """Every parameter, in micrograd's order (each neuron's weights, then its bias)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to 0 (gradients accumulate until then)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, float | list[float]]:
        """Tensor name -> its value: a list of floats (weights) or a float (bias)."""
        return {
            name: t.data if isinstance(t, Value) else [p.data for p in t]
            for name, t in self.named_tensors()
        }

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Copy values from ``state`` (as :meth:`state_dict` makes) into the parameters.

        Everything is checked first: the exact set of names, each value's type and length,
        finite real numbers only. On any problem :class:`nn.StateError` names it and no
        parameter has been changed.
        """
        if not isinstance(state, Mapping):
            raise StateError(f"load_state_dict: expected a mapping, got {type(state).__name__}")
        tensors = dict(self.named_tensors())
        missing = [name for name in tensors if name not in state]
        unexpected = [name for name in state if name not in tensors]
        if missing or unexpected:
            raise StateError(
                f"load_state_dict: state does not match {type(self).__name__} "
                f"({len(tensors)} tensors; the state has {len(state)}): "
                f"missing {first(missing)}, unexpected {first(unexpected)}"
            )
        updates: list[tuple[Value, float]] = []
        for name, tensor in tensors.items():
            if isinstance(tensor, Value):
                updates.append((tensor, state_number(state[name], name)))
            else:
                updates.extend(zip(tensor, state_numbers(state[name], len(tensor), name)))
        for p, v in updates:
            p.data = v


class Neuron(Module):
    """``act(b + sum_i w_i x_i)`` with weights ``w`` (a list of Values) and a bias ``b``.

    * ``activation``: ``'relu'`` (default, as micrograd), ``'tanh'``, ``'sigmoid'``, ``'linear'``.
    * ``nonlin``: micrograd's spelling, ``Neuron(nin, nonlin=False)``: True is ``'relu'``,
      False ``'linear'``; an ``activation`` that disagrees with it is a ``ValueError``.
    * ``init``: weights drawn from U(-a, a) with a given by ``'uniform'`` (a = 1, micrograd),
      ``'xavier'`` or ``'he'`` (see ``_uniform_bound``; ``fan_out`` is the size of the
      layer the neuron sits in). The bias starts at 0.
    * ``rng``: a ``random.Random`` to draw from; by default the ``random`` module's global
      state, so ``random.seed(s)`` gives exactly micrograd's weights.
    * ``fused``: build ``b + w.x`` as one :func:`autograd.dot` node (default), or, if False,
      as micrograd's chain of ``*`` and ``+`` nodes (for teaching and pictures). The forward
      value is bitwise the same either way.
    """

    def __init__(
        self,
        nin: int,
        nonlin: bool | None = None,
        *,
        activation: str | None = None,
        init: str = "uniform",
        rng: random.Random | None = None,
        fused: bool = True,
        fan_out: int = 1,
    ) -> None:
        positive_int("Neuron", "nin", nin)
        positive_int("Neuron", "fan_out", fan_out)
        activation = _activation("Neuron", nonlin, activation)
        bound = _uniform_bound(init, nin, fan_out)
        source: RandomSource = random if rng is None else rng
        self.w = [Value(source.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation
        self.fused = fused
        self._act = ACTIVATIONS[activation]

    def _own_tensors(self) -> Iterator[tuple[str, Tensor]]:
        yield "w", self.w
        yield "b", self.b

    def forward(self, x: Sequence[Operand]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expects {len(self.w)} inputs, got {len(x)}")
        if self.fused:
            z = autograd.dot(self.w, x, self.b)
        else:
            z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z if self._act is None else self._act(z)

    def __call__(self, x: Sequence[Operand]) -> Value:  # one output: a Value, never a list
        return self.forward(x)

    def __repr__(self) -> str:
        return f"{_REPR_NAMES[self.activation]}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all see the same input; options (``nonlin`` too) as for
    :class:`Neuron`.

    Calling it returns a list of ``nout`` Values, or a single Value when ``nout == 1``
    (as micrograd does).
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        *,
        nonlin: bool | None = None,
        activation: str | None = None,
        init: str = "uniform",
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        positive_int("Layer", "nin", nin)
        positive_int("Layer", "nout", nout)
        activation = _activation("Layer", nonlin, activation)
        self.neurons = [
            Neuron(nin, activation=activation, init=init, rng=rng, fused=fused, fan_out=nout)
            for _ in range(nout)
        ]

    def _children(self) -> Iterator[tuple[str, Module]]:
        for i, neuron in enumerate(self.neurons):
            yield f"neurons.{i}", neuron

    def outputs(self, x: Sequence[Operand]) -> list[Value]:
        """The output of every neuron, as a list even when ``nout == 1``."""
        # Numbers become Values once here, not once per neuron: one input node each, shared
        # by every neuron as in micrograd's graph, and the fused dot's fast path.
        values = [xi if isinstance(xi, Value) else Value(xi) for xi in x]
        return [n(values) for n in self.neurons]

    def forward(self, x: Sequence[Operand]) -> Value | list[Value]:
        out = self.outputs(x)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron: ``MLP(2, [16, 16, 1])`` maps 2 inputs to 1 output.

    Hidden layers use ``activation`` (ReLU by default), the last layer ``output_activation``
    (linear by default): micrograd's network. ``init``, ``rng`` and ``fused`` are passed to
    every neuron; with the defaults and the same ``random.seed`` the weights are micrograd's.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        *,
        activation: str = "relu",
        output_activation: str = "linear",
        init: str = "uniform",
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP: nouts must list at least one layer size, got {shorten(nouts)}")
        positive_int("MLP", "nin", nin)
        for i, n in enumerate(nouts):
            positive_int("MLP", f"nouts[{i}]", n)
        for key, name in (("activation", activation), ("output_activation", output_activation)):
            if not isinstance(name, str) or name not in ACTIVATIONS:
                raise ValueError(
                    f"MLP: unknown {key} {shorten(name)}: choose from {sorted(ACTIVATIONS)}"
                )
        self.nin = nin
        self.nouts = list(nouts)
        self.activation = activation
        self.output_activation = output_activation
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation=output_activation if i == last else activation,
                init=init,
                rng=rng,
                fused=fused,
            )
            for i in range(len(nouts))
        ]

    def architecture(self) -> Architecture:
        """What ``MLP(**model.architecture())`` needs to rebuild this model (weights aside)."""
        return Architecture(
            nin=self.nin,
            nouts=list(self.nouts),
            activation=self.activation,
            output_activation=self.output_activation,
        )

    def to_torch(self) -> Any:
        """This model as a float64 ``torch.nn.Sequential`` of ``Linear`` layers and activations.

        Needs PyTorch (the ``torch`` extra). ``layers.k.neurons.i.w`` becomes
        row i of the k-th Linear's ``weight``, its ``b`` entry i of the ``bias``; see
        :func:`nn.pytorch.to_torch`.
        """
        from nn.pytorch import to_torch  # imported on use: nn.pytorch builds on this module

        return to_torch(self)

    @classmethod
    def from_torch(cls, module: object, *, fused: bool = True) -> MLP:
        """The MLP that computes what ``module``, a ``torch.nn.Sequential``, computes.

        The same parameters, exactly; the architecture read off the order of its ``Linear``,
        ``ReLU``, ``Tanh``, ``Sigmoid`` and ``Identity`` modules (anything else: an error
        naming the module). See :func:`nn.pytorch.from_torch` for the rules.
        """
        from nn.pytorch import from_torch

        return from_torch(module, cls, fused=fused)

    def _children(self) -> Iterator[tuple[str, Module]]:
        for i, layer in enumerate(self.layers):
            yield f"layers.{i}", layer

    def forward(self, x: Sequence[Operand]) -> Value | list[Value]:
        out = self.layers[0].outputs(x)
        for layer in self.layers[1:]:
            out = layer.outputs(out)
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
