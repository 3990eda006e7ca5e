"""microgpt's own scalar engine, re-typed: the baseline that ``benchmarks/microgpt.py`` times.

Karpathy's microgpt (2026) trains a GPT on a ``Value`` of about thirty lines: each node keeps
its value, its gradient, the nodes it was computed from (``_children``) and the local
derivative with respect to each (``_local_grads``), computed in the forward pass. Backward
builds a topological order with a recursive depth-first walk and runs the chain rule over it
in reverse. Nothing here is tuned: it is the engine learners bring, so the benchmark's ratio
"own / valuegrad" says what swapping in ``autograd.Value`` buys them.

    >>> from benchmarks.microgpt_engine import Value
    >>> x = Value(3.0)
    >>> y = x * x + 2 * x
    >>> y.backward()
    >>> x.grad
    8.0
"""

from __future__ import annotations

import math
from typing import Union

Operand = Union["Value", int, float]
"""An operand of arithmetic with Values: a Value, or a number (wrapped as a new leaf)."""


class Value:
    """A scalar that remembers its children and its local derivatives with respect to them."""

    __slots__ = ("_children", "_local_grads", "data", "grad")

    def __init__(
        self,
        data: float,
        children: tuple[Value, ...] = (),
        local_grads: tuple[float, ...] = (),
    ) -> None:
        self.data = data
        self.grad: float = 0
        self._children = children
        self._local_grads = local_grads

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __add__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1, 1))

    def __mul__(self, other: Operand) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), (other.data, self.data))

    def __pow__(self, other: float) -> Value:
        """``self ** other`` for a number exponent (microgpt needs no Value exponent)."""
        return Value(self.data**other, (self,), (other * self.data ** (other - 1),))

    def log(self) -> Value:
        """The natural logarithm."""
        return Value(math.log(self.data), (self,), (1 / self.data,))

    def exp(self) -> Value:
        """e to the power ``self``."""
        return Value(math.exp(self.data), (self,), (math.exp(self.data),))

    def relu(self) -> Value:
        """``max(0, self)``, with derivative 1 where positive and 0 elsewhere."""
        return Value(max(0, self.data), (self,), (float(self.data > 0),))

    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other: Operand) -> Value:
        return self + other

    def __sub__(self, other: Operand) -> Value:
        return self + (-other)

    def __rsub__(self, other: Operand) -> Value:
        return other + (-self)

    def __rmul__(self, other: Operand) -> Value:
        return self * other

    def __truediv__(self, other: Operand) -> Value:
        return self * other**-1

    def __rtruediv__(self, other: Operand) -> Value:
        return other * self**-1

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on (accumulating into leaves).

        A recursive depth-first walk lists the nodes children first; the chain rule then runs
        over the list in reverse, each node adding ``local_grad * grad`` to its children.
        """
        topo: list[Value] = []
        visited: set[Value] = set()

        def build_topo(v: Value) -> None:
            if v not in visited:
                visited.add(v)
                for child in v._children:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1
        for v in reversed(topo):
            for child, local_grad in zip(v._children, v._local_grads):
                child.grad += local_grad * v.grad
