"""The engine: a scalar ``Value`` that remembers how it was computed, and backpropagation.

Every arithmetic operation on ``Value`` objects records a node in a graph: the result keeps
its parents (``_prev``), the name of the operation (``_op``) and a *local-gradient rule*
(``_vjp``). ``backward()`` walks the graph from the output back to the inputs and applies
the chain rule,

    dL/dparent += dL/dout * dout/dparent,

visiting every node only after all the nodes that use it (reverse topological order).

What is where: each operation's value and rule are rows of one table, :mod:`autograd.ops`;
this module turns the rows into ``Value`` methods (``_unary``, ``_binary``) and holds
:func:`make_node` and ``Value.backward``. The graph walk (topological order, the chain rule
in floats or node by node) is :mod:`autograd.graph`; whether operations record, and the
anomaly and trace hooks, :mod:`autograd.grad_mode`; what a pass refuses before it writes
``.grad`` (stale graphs, foreign nodes) and the lock writers take, :mod:`autograd.guards`;
the fused ``sum``/``dot`` and the transforms, :mod:`autograd.functional`.

A rule ``rule(g, out, *parents)`` returns ``g * d(out)/d(parent)`` for each parent; the same
rule is called with floats (the fast, first-order path) and with ``Value`` objects
(``create_graph=True``: the gradient is itself a graph, differentiable again). Rules are
shared by all nodes; the few with a constant (``x ** 3``, ``leaky_relu``) bind that number
only. No node refers back to itself, so graphs hold no reference cycles and are freed by
reference counting the moment the last reference goes. The numerical conventions (domain
errors, IEEE infinities and NaN) are stated once, in :mod:`autograd.ops`.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
from collections.abc import Callable, Iterable
from typing import Union

from autograd import ops
from autograd.grad_mode import (
    OPEN_TRACERS,
    RECORDING,
    Mode,
    current_mode,
    enable_grad,
    tell_compared,
    tell_differentiated,
)
from autograd.graph import (
    Node,
    accumulate_gradients,
    backward_pass,
    gc_paused,
    local_gradients,
    topological_order,
)
from autograd.guards import check_not_stale, grad_before, gradient_lock, refuse_foreign
from autograd.ops import Grad, Op, OutOfDomain, Rule, as_float

Number = Union[int, float]
Operand = Union["Value", int, float]
"""An operand of arithmetic with Values: a Value, or a number (made a constant leaf)."""

_new_value = object.__new__  # a Value with its slots unset, for make_node to fill


def make_node(data: float, parents: tuple[Value, ...], op: str, vjp: Rule) -> Value:
    """The result of an operation: a graph node, or a plain leaf under ``no_grad``.

    ``data`` is its value, ``parents`` the Values it was computed from, ``op`` its label and
    ``vjp`` its local-gradient rule (see :data:`~autograd.extend.Rule`).

    Every node is made here, so the usual case, recording with no detector and no tracer
    listening, costs one read of the mode and one identity test, and the node is filled slot
    by slot: ``Value(...)``
    would run ``__init__`` from C, about doubling the cost of a node. As ``Value()`` does, a
    number that is not a float (an int ``.data`` set by hand) is converted and any iterable
    of parents made a tuple.
    """
    mode = current_mode()
    if mode is RECORDING:
        out = _new_value(Value)
        out.data = data if type(data) is float else as_float(data, "make_node")
        out.grad = 0.0
        out.label = ""
        out._prev = parents if type(parents) is tuple else tuple(parents)
        out._op = op
        out._vjp = vjp
        return out
    return _made_listened(mode, data, parents, op, vjp)


def _made_listened(
    mode: Mode, data: float, parents: tuple[Value, ...], op: str, vjp: Rule
) -> Value:
    """:func:`make_node` under ``no_grad`` or with a detector or a tracer listening."""
    if not mode.enabled:
        leaf = Value(data)
        if mode.tracer is not None:
            mode.tracer.made(leaf, False)
        return leaf
    out = Value(data, parents, op)
    out._vjp = vjp
    if mode.detector is not None:
        mode.detector.created(out)
    if mode.tracer is not None:
        mode.tracer.made(out, True)
    return out


def _lift(x: object, where: str) -> Value | None:
    """``x`` as a Value (numbers become constant leaves), or None if it is not a real number."""
    if isinstance(x, Value):
        return x
    kind = type(x)
    if kind is float:
        return Value(x)  # type: ignore[arg-type]
    if kind is int or isinstance(x, numbers.Real):
        return Value(as_float(x, where))
    return None


#: How to make a new operation here, for the messages to micrograd's way of doing it.
_CUSTOM_OP_EXAMPLE = (
    "make a new operation with autograd.custom_op, e.g.\n"
    "    softsign = autograd.custom_op('softsign', lambda x: x / (1 + abs(x)), "
    "lambda x: 1 / (1 + abs(x)) ** 2)\n"
    "and call softsign(x); or add a row to autograd.ops"
)


def _no_rule(g: Grad, out: Grad, /, *parents: Grad) -> tuple[Grad, ...]:
    raise TypeError(
        "this node has parents but no local-gradient rule, so backward() cannot pass a "
        "gradient through it (micrograd's `out._backward = ...` closures are not used here); "
        + _CUSTOM_OP_EXAMPLE
    )


def as_value(x: object, where: str) -> Value:
    """``x`` as a Value (a number becomes a constant leaf), or a TypeError naming ``where``."""
    v = _lift(x, where)
    if v is None:
        raise TypeError(f"{where} expects Values or real numbers, got {type(x).__name__} {x!r}")
    return v


def _unary(op: Op) -> Callable[[Value], Value]:
    """The method ``a.<op>()``: a node with one parent, computed by the row."""
    forward, rule, label = op.forward, op.rule, op.label

    def method(self: Value) -> Value:
        try:
            return make_node(forward(self.data), (self,), label, rule)
        except OutOfDomain as error:
            raise error.naming(self) from None

    method.__name__, method.__qualname__ = op.name, f"Value.{op.name}"
    method.__doc__ = op.doc + "."
    return method


def _binary(op: Op, name: str, reflected: bool = False) -> Callable[[Value, Operand], Value]:
    """The dunder ``name``: ``a <op> b`` (or, ``reflected``, ``b <op> a`` for a number b)."""
    forward, rule, label = op.forward, op.rule, op.label

    def method(self: Value, other: Operand) -> Value:
        o = other if type(other) is Value else _lift(other, label)
        if o is None:
            return NotImplemented  # type: ignore[no-any-return]
        try:
            return make_node(forward(self.data, o.data), (self, o), label, rule)
        except OutOfDomain as error:
            raise error.naming(self, o) from None

    def reflected_method(self: Value, other: Operand) -> Value:
        o = _lift(other, label)  # a number: Python tried other.__op__(self) first
        if o is None:
            return NotImplemented  # type: ignore[no-any-return]
        try:
            return make_node(forward(o.data, self.data), (o, self), label, rule)
        except OutOfDomain as error:
            raise error.naming(o, self) from None

    chosen = reflected_method if reflected else method
    chosen.__name__, chosen.__qualname__ = name, f"Value.{name}"
    chosen.__doc__ = op.doc + "."
    return chosen


def _with_constant(op: Op, a: Value, c: float, shown: object) -> Value:
    """A node of an op with a number constant ``c`` (``x ** c``, ``leaky_relu``)."""
    try:
        data = op.forward(a.data, c)
    except OutOfDomain as error:
        raise error.naming(a) from None
    return make_node(data, (a,), op.label.format(c=shown), op.bind(c))


_pow = _binary(ops.POW, "__pow__")  # a ** b for a Value b


def _compared(x: object, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    return as_float(x, f"Value {where}")


def _told(a: Value, b: Operand, op: str, outcome: bool) -> bool:
    """``outcome``, after telling the open tracers that ``a op b`` decided it."""
    return tell_compared(a, b if isinstance(b, Value) else float(b), op, outcome)


def _step(node: Value) -> None:
    """One node's step of the chain rule, in floats, into its parents' ``.grad``."""
    g = float(grad_before(node))  # None counts as 0, as in backward()
    for p, gp in zip(node._prev, local_gradients(node, g), strict=True):
        p.grad = grad_before(p) + gp


class Value(Node):
    """A scalar in a computation graph: its value, its gradient and how it was made.

    ``Value(data, label="")`` makes a leaf (an input or a parameter). Arithmetic with
    Values and plain numbers, on either side, makes new nodes. Drop-in compatible with
    ``micrograd.engine.Value``.
    """

    __slots__ = {  # noqa: RUF023 -- the order the attributes are read in
        "data": "The value, a float.",
        "grad": (
            "d(output)/d(this node) after ``output.backward()``: a float (for a leaf, a Value "
            "after ``backward(create_graph=True)``); 0.0 before, and ``None`` counts as 0."
        ),
        "label": "A name for pictures and messages ('' if none).",
        "_prev": "The parent nodes, a tuple (empty for a leaf).",
        "_op": "The operation's label ('' for a leaf), as pictures show it.",
        "_vjp": "The local-gradient rule (see :data:`~autograd.extend.Rule`).",
        "__weakref__": "Weak references (compiled programs hold parameters weakly).",
    }

    def __init__(
        self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        self.data: float = data if type(data) is float else as_float(data, "Value()")
        self.grad: Grad = 0.0
        self.label: str = label
        self._prev: tuple[Value, ...] = _children if type(_children) is tuple else tuple(_children)
        self._op = _op
        self._vjp: Rule = _no_rule

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __float__(self) -> float:
        return self.data

    def __bool__(self) -> bool:
        """``if x:`` tests the value, as PyTorch and JAX do: False exactly when ``data == 0``."""
        outcome = self.data != 0.0
        return _told(self, 0.0, "!=", outcome) if OPEN_TRACERS else outcome

    # -- arithmetic, from the table ----------------------------------------------------------

    __add__, __radd__ = _binary(ops.ADD, "__add__"), _binary(ops.ADD, "__radd__", True)
    __sub__, __rsub__ = _binary(ops.SUB, "__sub__"), _binary(ops.SUB, "__rsub__", True)
    __mul__, __rmul__ = _binary(ops.MUL, "__mul__"), _binary(ops.MUL, "__rmul__", True)
    __truediv__, __rtruediv__ = (
        _binary(ops.DIV, "__truediv__"),
        _binary(ops.DIV, "__rtruediv__", True),
    )
    __neg__ = _unary(ops.NEG)
    __abs__ = _unary(ops.ABS)

    def __pow__(self, other: Operand) -> Value:
        """a ** b for a number or a Value b (see :mod:`autograd.ops` for the domain).

        A number exponent is a constant of the node (micrograd's ``**2``); a Value exponent
        is a second parent and gets the gradient a^b log a.
        """
        if isinstance(other, Value):
            return _pow(self, other)
        constant = _lift(other, "**")
        if constant is None:
            return NotImplemented
        return _with_constant(ops.POW_CONST, self, constant.data, other)

    def __rpow__(self, other: Operand) -> Value:
        """c ** a for a number c: a node with one parent, a; c is a constant of it."""
        constant = _lift(other, "**")
        if constant is None:
            return NotImplemented
        return _with_constant(ops.RPOW_CONST, self, constant.data, other)

    # -- comparisons: by value, for branching (== stays identity: Values are graph nodes) --

    def __lt__(self, other: Operand) -> bool:
        outcome = self.data < _compared(other, "<")
        return _told(self, other, "<", outcome) if OPEN_TRACERS else outcome

    def __le__(self, other: Operand) -> bool:
        outcome = self.data <= _compared(other, "<=")
        return _told(self, other, "<=", outcome) if OPEN_TRACERS else outcome

    def __gt__(self, other: Operand) -> bool:
        outcome = self.data > _compared(other, ">")
        return _told(self, other, ">", outcome) if OPEN_TRACERS else outcome

    def __ge__(self, other: Operand) -> bool:
        outcome = self.data >= _compared(other, ">=")
        return _told(self, other, ">=", outcome) if OPEN_TRACERS else outcome

    # -- functions, from the table: one line per row -----------------------------------------

    exp = _unary(ops.EXP)
    log = _unary(ops.LOG)
    sqrt = _unary(ops.SQRT)
    tanh = _unary(ops.TANH)
    sigmoid = _unary(ops.SIGMOID)
    relu = _unary(ops.RELU)
    softplus = _unary(ops.SOFTPLUS)
    sin = _unary(ops.SIN)
    cos = _unary(ops.COS)
    tan = _unary(ops.TAN)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """a if a > 0 else negative_slope * a."""
        slope = as_float(negative_slope, "leaky_relu(negative_slope)")
        return _with_constant(ops.LEAKY_RELU, self, slope, slope)

    # -- micrograd's lecture: one node's step of backpropagation ------------------------------

    @property
    def _backward(self) -> Callable[[], None]:
        """``node._backward()`` adds this node's share of the chain rule to its parents' grads.

        As in micrograd's lecture: with ``o.grad`` set, ``o._backward()`` does
        ``parent.grad += o.grad * do/dparent`` for each parent (a leaf does nothing). The step
        is computed by the node's rule, not stored as a closure, so it makes no cycle.
        """
        return functools.partial(_step, self)

    @_backward.setter
    def _backward(self, fn: object) -> None:
        raise TypeError(
            "Value._backward cannot be assigned: this engine keeps each operation's local "
            "derivative as a rule (no closure over the node, so no reference cycle); "
            + _CUSTOM_OP_EXAMPLE
        )

    # -- backpropagation ----------------------------------------------------------------

    def backward(self, grad: Operand = 1.0, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        ``grad`` seeds d(output)/d(self) (1.0 by default). As in PyTorch, leaf gradients
        *accumulate* across calls until they are zeroed, so calling ``backward()`` twice
        doubles them. Unlike PyTorch, interior nodes keep their gradient for inspection,
        and it is recomputed (not accumulated) on every call, so nothing is counted twice.
        The graph is kept: ``backward()`` may be called again.

        With ``create_graph=True`` leaf gradients are Values with graphs of their own, so
        they can be differentiated again; interior nodes then keep the float value of
        their gradient. As in PyTorch, a leaf holding a differentiable gradient forms a
        reference cycle with it: prefer :func:`autograd.gradients` for higher derivatives.

        Under :func:`autograd.detect_anomaly` every local gradient is checked on the way.
        """
        tell_differentiated("backward()", recorded=False)  # it writes .grad, even with a graph
        with gradient_lock:
            if create_graph or current_mode().detector is not None:
                self._backward_recorded(grad, create_graph)
            else:
                self._backward_floats(grad)

    def _backward_floats(self, grad: Operand) -> None:
        """First-order backward in floats, straight into ``.grad`` (the fast path)."""
        seed = float(grad) if isinstance(grad, Value) else as_float(grad, "backward(grad)")
        if not self._prev:
            self.grad = grad_before(self) + seed
            return
        leaf_set: set[Value] = set()
        order = topological_order(self, leaf_set=leaf_set)
        leaves = check_not_stale(self, leaf_set)
        stored = [leaf.grad for leaf in leaves]
        earlier = stored
        if set(map(type, stored)) != {float} or set(map(type, leaves)) != {Value}:
            earlier = [grad_before(leaf) for leaf in leaves]  # check each (None counts as 0)
        # Every node's .grad collects this pass's gradient from 0; a leaf's earlier value is
        # added back once at the end, so two calls give exactly twice one call, and restored
        # (None included) if the pass fails.
        for leaf in leaves:
            leaf.grad = 0.0
        try:
            with gc_paused():  # backward makes no cycles; sparing the GC's sweeps is safe
                accumulate_gradients(order, seed)
        except BaseException as error:
            for leaf, before in zip(leaves, stored, strict=True):
                leaf.grad = before
            if isinstance(error, AttributeError):
                refuse_foreign(order)
            raise
        for leaf, before in zip(leaves, earlier):
            leaf.grad = before + leaf.grad

    def _backward_recorded(self, grad: Operand, create_graph: bool) -> None:
        """Backward through the node-by-node pass: for ``create_graph`` and anomaly mode."""
        # Compute everything first, so that an error leaves every .grad as it was.
        results = list(backward_pass(self, grad, create_graph=create_graph))
        leaves = check_not_stale(self, {node for node, _ in results if not node._prev})
        for leaf in leaves:
            grad_before(leaf)  # refuses a foreign object or a bad .grad before writing any
        with enable_grad() if create_graph else contextlib.nullcontext():
            for node, g in results:
                if node._prev:
                    node.grad = float(g)
                else:
                    node.grad = grad_before(node) + g  # recorded: it stays differentiable
