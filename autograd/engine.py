"""The engine: a scalar ``Value`` that remembers how it was computed, and backpropagation.

Every arithmetic operation on ``Value`` objects records a node in a graph: the result keeps
its parents (``_prev``), the name of the operation (``_op``) and a *local-gradient rule*
(``_vjp``). ``backward()`` walks the graph from the output back to the inputs and applies
the chain rule,

    dL/dparent += dL/dout * dout/dparent,

visiting every node only after all the nodes that use it (reverse topological order).

What each operation computes and its rule are rows of one table, :mod:`autograd.ops`; this
module turns the rows into ``Value`` methods (``_unary``, ``_binary``) and runs the rules. A
rule ``rule(g, out, *parents)`` returns ``g * d(out)/d(parent)`` for each parent; the same
rule is called with floats (the fast, first-order path) and with ``Value`` objects
(``create_graph=True``: the gradient is itself a graph, differentiable again). Rules are
shared by all nodes; the few with a constant (``x ** 3``, ``leaky_relu``) close over that
number only. No node refers back to itself, so graphs hold no reference cycles and are freed
by reference counting the moment the last reference goes. The numerical conventions (domain
errors, IEEE infinities and NaN) are stated once, in :mod:`autograd.ops`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gc
import inspect
import math
import numbers
import operator
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, Union, cast

from autograd import ops
from autograd.ops import DomainError as DomainError
from autograd.ops import Grad, Op, OutOfDomain, Rule, RuleOf

Number = Union[int, float]
Operand = Union["Value", int, float]
"""An operand of arithmetic with Values: a Value, or a number (made a constant leaf)."""


class AnomalyHook(Protocol):
    """What an anomaly detector gets told (see :mod:`autograd.anomaly`)."""

    def created(self, out: Value, /) -> None:
        """Called for every node made while recording, right after it is made."""

    def check_gradients(self, node: Value, g: Grad, local: tuple[Grad, ...], /) -> None:
        """Called in the backward pass at ``node``, with its gradient ``g`` and what it
        passes to its parents, ``local`` (``g * d node / d parent`` for each)."""


class TraceHook(Protocol):
    """What a tracer gets told (see :mod:`autograd.jit`): what the graph alone does not say.

    ``compared``: a comparison of a Value decided a bool (``a < b`` is ``outcome``; ``bool(a)``
    is ``a != 0``), which Python code may branch on; told also of comparisons made in other
    threads while the trace is open (they may decide the traced program, and an extra guard
    is never wrong). ``made``: a node was made in the traced context, ``recorded`` (a graph
    node) or not (a leaf, under ``no_grad``). ``differentiated``: a backward pass ran in it.
    """

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool, /) -> None:
        """``a op b`` was ``outcome``: ``op`` is ``"<"``, ``"<="``, ``">"``, ``">="``, ``"!="``."""

    def made(self, out: Value, recorded: bool, /) -> None:
        """``out`` was made by an operation: a graph node if ``recorded``, else a leaf."""

    def differentiated(self, what: str, recorded: bool, /) -> None:
        """A backward pass ran: ``what``; ``recorded`` if it built a graph of the gradient
        (else it read numbers out of the graph, which a replay would not do again)."""


@dataclass(frozen=True)
class _Mode:
    """How operations record: whether they make graph nodes, who checks each node, and who
    traces the program (a comparison or a constant op tells it)."""

    enabled: bool
    detector: AnomalyHook | None = None
    tracer: TraceHook | None = None


_RECORDING, _NOT_RECORDING = _Mode(True), _Mode(False)
# Read once per node; per thread and per asyncio task (a ContextVar).
_mode: contextvars.ContextVar[_Mode] = contextvars.ContextVar("autograd_mode", default=_RECORDING)


def _set_mode(
    enabled: bool, detector: AnomalyHook | None, tracer: TraceHook | None = None
) -> contextvars.Token[_Mode]:
    if detector is None and tracer is None:
        return _mode.set(_RECORDING if enabled else _NOT_RECORDING)
    return _mode.set(_Mode(enabled, detector, tracer))


class StaleGraphError(RuntimeError):
    """``backward()`` on a graph whose leaves' data changed since the graph last ran it."""


# --------------------------------------------------------------------------------------------
# Recording: no_grad and the node constructor
# --------------------------------------------------------------------------------------------


class _GradMode:
    """A context manager and decorator that sets whether operations record a graph.

    As a decorator it also covers generator and coroutine functions: the mode holds each
    time the generator or coroutine runs, not only while it is being created (the mistake
    of a plain ``contextlib`` decorator, which would leave a ``@no_grad()`` generator
    recording). The flag lives in a ``contextvars.ContextVar``, so threads and asyncio
    tasks each see their own setting.
    """

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        # The tokens to undo belong to this object (so a block kept open across a generator's
        # yield undoes its own), one stack per thread (so one ``no_grad()`` object may be
        # entered by several threads at once).
        self._entered = threading.local()

    def __enter__(self) -> None:
        stack: list[contextvars.Token[_Mode]] = self._entered.__dict__.setdefault("stack", [])
        mode = _mode.get()
        stack.append(_set_mode(self._enabled, mode.detector, mode.tracer))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._entered.stack.pop())

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        enabled = self._enabled
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                gen = fn(*args, **kwargs)
                resume: Callable[[Any], Any] = gen.send
                received: Any = None
                while True:
                    try:
                        with _GradMode(enabled):
                            sent = resume(received)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        received = yield sent
                        resume = gen.send
                    except GeneratorExit:
                        with _GradMode(enabled):  # its blocks close in the mode, then ours
                            gen.close()
                        raise
                    except BaseException as error:  # thrown in: pass it on, in the mode
                        received, resume = error, gen.throw

            return generator
        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def async_generator(*args: Any, **kwargs: Any) -> Any:
                agen = fn(*args, **kwargs)
                resume: Callable[[Any], Any] = agen.asend
                received: Any = None
                while True:
                    try:
                        with _GradMode(enabled):
                            sent = await resume(received)
                    except StopAsyncIteration:
                        return
                    try:
                        received = yield sent
                        resume = agen.asend
                    except GeneratorExit:
                        with _GradMode(enabled):  # its blocks close in the mode, then ours
                            await agen.aclose()
                        raise
                    except BaseException as error:  # thrown in: pass it on, in the mode
                        received, resume = error, agen.athrow

            return async_generator
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with _GradMode(enabled):
                    return await fn(*args, **kwargs)

            return coroutine

        @functools.wraps(fn)
        def function(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(enabled):
                return fn(*args, **kwargs)

        return function


def no_grad() -> _GradMode:
    """Context manager (and decorator) in which operations record no graph.

    Results computed inside are leaves: they have no parents and ``backward()`` stops at
    them. Per thread and per asyncio task; as a decorator it covers functions, generator
    functions and coroutine functions alike (as ``torch.no_grad``).
    """
    return _GradMode(False)


def enable_grad() -> _GradMode:
    """Context manager (and decorator) that turns recording back on, e.g. inside ``no_grad``."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph (False inside :func:`no_grad`)."""
    return _mode.get().enabled


@contextlib.contextmanager
def anomaly_hook(detector: AnomalyHook) -> Iterator[None]:
    """Within the block, every node made while recording is shown to ``detector``.

    Recording stays as it was: ``no_grad()`` inside the block records (and checks) nothing,
    and ``enable_grad()`` inside that records with the detector again.
    """
    mode = _mode.get()
    token = _set_mode(mode.enabled, detector, mode.tracer)
    try:
        yield
    finally:
        _mode.reset(token)


def anomaly_detector() -> AnomalyHook | None:
    """The detector :func:`anomaly_hook` installed here, or None (anomaly mode is off)."""
    return _mode.get().detector


@contextlib.contextmanager
def trace_hook(tracer: TraceHook) -> Iterator[None]:
    """Within the block, every comparison of a Value made in this context or in a thread with
    no tracer of its own, and every node made in this context, is told to ``tracer``
    (nothing is told, and nothing costs, outside such a block)."""
    mode = _mode.get()
    token = _set_mode(mode.enabled, mode.detector, tracer)
    with _tracing_lock:
        _open_tracers.append(tracer)
    try:
        yield
    finally:
        _mode.reset(token)
        with _tracing_lock:  # by identity: a tracer may compare equal to another
            del _open_tracers[next(i for i, t in enumerate(_open_tracers) if t is tracer)]


# The tracers of the trace_hook blocks open in any thread: while there is none, a comparison
# reads this one global and nothing else (the hook costs nothing when no program is being
# traced). A comparison in a thread with no tracer of its own is told to all of them.
_open_tracers: list[TraceHook] = []
_tracing_lock = threading.Lock()


def make_node(data: float, parents: tuple[Value, ...], op: str, vjp: Rule) -> Value:
    """The result of an operation: a graph node, or a plain leaf under ``no_grad``.

    ``data`` is its value, ``parents`` the Values it was computed from, ``op`` its label and
    ``vjp`` its local-gradient rule (see :data:`~autograd.extend.Rule`).
    """
    mode = _mode.get()
    if mode is _RECORDING:
        out = Value(data, parents, op)
        out._vjp = vjp
        return out
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


def _as_float(x: object, where: str) -> float:
    """``x`` as a float, or a TypeError that says what ``where`` was given instead.

    An integer beyond the float range (``10 ** 400``) is an OverflowError naming ``where``.
    """
    kind = type(x)
    if kind is float:
        return x  # type: ignore[return-value]
    if kind is int or isinstance(x, numbers.Real):
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            digits = int(abs(int(x)).bit_length() * math.log10(2)) + 1  # type: ignore[call-overload]
            raise OverflowError(
                f"{where}: an integer of about {digits} digits is beyond the range of a float "
                "(about 1.8e308)"
            ) from None
    raise TypeError(f"{where} expects a real number, got {kind.__name__} {x!r}")


def _lift(x: object, where: str) -> Value | None:
    """``x`` as a Value (numbers become constant leaves), or None if it is not a real number."""
    if isinstance(x, Value):
        return x
    kind = type(x)
    if kind is float:
        return Value(x)  # type: ignore[arg-type]
    if kind is int or isinstance(x, numbers.Real):
        return Value(_as_float(x, where))
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


# --------------------------------------------------------------------------------------------
# Value methods from the rows of autograd.ops
# --------------------------------------------------------------------------------------------


def _unary(op: Op) -> Callable[[Value], Value]:
    """The method ``a.<op>()``: a node with one parent, computed by the row."""
    forward, rule, label = op.forward, cast(Rule, op.rule), op.label

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
    forward, rule, label = op.forward, cast(Rule, op.rule), op.label

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
    return make_node(data, (a,), op.label.format(c=shown), cast(RuleOf, op.rule)(c))


# --------------------------------------------------------------------------------------------
# Value
# --------------------------------------------------------------------------------------------


class Value:
    """A scalar in a computation graph: its value, its gradient and how it was made.

    ``Value(data, label="")`` makes a leaf (an input or a parameter). Arithmetic with
    Values and plain numbers, on either side, makes new nodes. Attributes:

    * ``data``: the value, a float.
    * ``grad``: d(output)/d(this node) after ``output.backward()``, a float (for a leaf, a
      Value after ``backward(create_graph=True)``); 0.0 before.
    * ``label``: a name for pictures and messages.
    * ``_prev``: the parent nodes (a tuple); ``_op``: the operation's name ('' for a leaf).

    Drop-in compatible with ``micrograd.engine.Value``.
    """

    __slots__ = ("__weakref__", "_op", "_prev", "_seen", "_vjp", "data", "grad", "label")

    def __init__(
        self, data: Number, _children: Iterable[Value] = (), _op: str = "", label: str = ""
    ) -> None:
        self.data: float = data if type(data) is float else _as_float(data, "Value()")
        self.grad: Grad = 0.0
        self.label = label
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
        return _told(self, 0.0, "!=", outcome) if _open_tracers else outcome

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
        return _told(self, other, "<", outcome) if _open_tracers else outcome

    def __le__(self, other: Operand) -> bool:
        outcome = self.data <= _compared(other, "<=")
        return _told(self, other, "<=", outcome) if _open_tracers else outcome

    def __gt__(self, other: Operand) -> bool:
        outcome = self.data > _compared(other, ">")
        return _told(self, other, ">", outcome) if _open_tracers else outcome

    def __ge__(self, other: Operand) -> bool:
        outcome = self.data >= _compared(other, ">=")
        return _told(self, other, ">=", outcome) if _open_tracers else outcome

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
        slope = _as_float(negative_slope, "leaky_relu(negative_slope)")
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
        _differentiated("backward()", recorded=False)  # it writes .grad, even with a graph
        with gradient_lock:
            if create_graph or _mode.get().detector is not None:
                self._backward_recorded(grad, create_graph)
            else:
                self._backward_floats(grad)

    def _backward_floats(self, grad: Operand) -> None:
        """First-order backward in floats, straight into ``.grad`` (the fast path)."""
        seed = float(grad) if isinstance(grad, Value) else _as_float(grad, "backward(grad)")
        if not self._prev:
            self.grad = grad_before(self) + seed
            return
        leaf_set: set[Value] = set()
        order = topological_order(self, leaf_set=leaf_set)
        leaves = _check_not_stale(self, leaf_set)
        stored = list(map(_grad_of, leaves))
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
                _accumulate_gradients(order, seed)
        except BaseException as error:
            for leaf, before in zip(leaves, stored, strict=True):
                leaf.grad = before
            if isinstance(error, AttributeError):
                _refuse_foreign(order)
            raise
        for leaf, before in zip(leaves, earlier):
            leaf.grad = before + leaf.grad

    def _backward_recorded(self, grad: Operand, create_graph: bool) -> None:
        """Backward through the node-by-node pass: for ``create_graph`` and anomaly mode."""
        # Compute everything first, so that an error leaves every .grad as it was.
        results = list(backward_pass(self, grad, create_graph=create_graph))
        leaves = _check_not_stale(self, {node for node, _ in results if not node._prev})
        for leaf in leaves:
            grad_before(leaf)  # refuses a foreign object or a bad .grad before writing any
        with enable_grad() if create_graph else contextlib.nullcontext():
            for node, g in results:
                if node._prev:
                    node.grad = float(g)
                else:
                    node.grad = grad_before(node) + g  # recorded: it stays differentiable


gradient_lock = threading.RLock()
"""Taken by every writer of gradients (``backward()``, a compiled call): they write ``.grad`` of
nodes that other threads' graphs may share (parameters, inputs), so they take turns and each
one's gradients are added exactly. It costs one uncontended acquire per call."""


def grad_before(leaf: Value) -> Grad:
    """A leaf's gradient before a pass: ``None`` (PyTorch's "no gradient yet") counts as 0.

    Refuses, before any gradient is written, a gradient that is not a number or a Value,
    and a leaf that is not a Value at all (an object with ``.data`` handed to
    :func:`autograd.dot`, such as another library's Value).
    """
    _refuse_foreign((leaf,))
    g = leaf.grad
    if g is None:
        return 0.0
    if type(g) is float or (isinstance(g, (Value, numbers.Real)) and not isinstance(g, bool)):
        return g
    raise TypeError(
        f"backward: a leaf holds grad {g!r} of type {type(g).__name__}; a gradient must be "
        "a number, a Value or None (nothing was changed)"
    )


def _refuse_foreign(nodes: Iterable[object]) -> None:
    """TypeError if any of ``nodes`` is not a Value (another library's object in the graph)."""
    for node in nodes:
        if not isinstance(node, Value):
            kind = type(node)
            raise TypeError(
                f"backward: the graph holds a {kind.__module__}.{kind.__qualname__} object, "
                "not an autograd.Value (an object with .data passed to autograd.dot?), so no "
                "gradient can be written to it; nothing was changed"
            )


def _check_not_stale(root: Value, leaves: set[Value]) -> tuple[Value, ...]:
    """Refuse to run backward again on a graph whose leaves' data changed since its last run.

    The graph's nodes hold values computed from the leaves' data at the time of the forward
    pass; after ``x.data = ...`` or an optimizer step they no longer match, and a backward
    pass would mix old and new values (PyTorch refuses such a pass with its version
    counters). The root remembers the leaves' data at each backward; this cheap check
    catches the usual trap, ``backward()``, ``step()``, ``backward()`` on the old graph. A
    change made between the forward pass and the *first* backward is caught only by
    :func:`autograd.detect_anomaly`.
    """
    seen: tuple[tuple[Value, ...], list[float]] | None = getattr(root, "_seen", None)
    if seen is not None:
        nodes, data = seen
        if all(map(operator.eq, map(_data_of, nodes), data)):
            return nodes  # the graph is unchanged (and so are its leaves)
        for node, before in zip(nodes, data):
            now = node.data
            if now != before and not (now != now and before != before):  # NaN equals NaN
                raise StaleGraphError(
                    f"backward: {_describe(node)} had data {before!r} when this graph last "
                    f"ran backward and has {now!r} now (changed by .data = ... or an "
                    "optimizer step), so the graph's values are stale; run the forward "
                    "pass again to build a new graph"
                )
    nodes = tuple(leaves)
    root._seen = (nodes, list(map(_data_of, nodes)))  # type: ignore[attr-defined]
    return nodes


def _describe(node: Value) -> str:
    return f"the leaf {node.label!r}" if node.label else f"a leaf {node!r}"


_data_of = operator.attrgetter("data")
_grad_of = operator.attrgetter("grad")


def _accumulate_gradients(order: list[Value], seed: float) -> None:
    """The first-order chain rule over ``order`` (interior nodes, parents first), in floats.

    Each node's ``.grad`` must start at 0; the root's is set to ``seed``. Visiting nodes in
    reverse order, each node's rule gets its complete gradient and the parents' values and
    adds ``g * dout/dparent`` into every parent's ``.grad``.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = seed
    for node in reversed(order):
        parents = node._prev
        if len(parents) == 2:
            a, b = parents
            ga, gb = node._vjp(node.grad, node.data, a.data, b.data)
            a.grad += ga
            b.grad += gb
        elif len(parents) == 1:
            (a,) = parents
            (ga,) = node._vjp(node.grad, node.data, a.data)
            a.grad += ga
        elif node._vjp is _dot_rule:
            # Every neuron is a dot node: accumulating its 2n + 1 gradients in place (the
            # same math as ops.DOT.rule) skips three temporary sequences and makes first-order
            # training ~30% faster.
            g = node.grad
            n = len(parents) // 2
            for w, x in zip(parents[:n], parents[n:-1]):
                w.grad += g * x.data
                x.grad += g * w.data
            parents[-1].grad += g
        else:
            local = node._vjp(node.grad, node.data, *[p.data for p in parents])
            for p, gp in zip(parents, local):
                p.grad += gp


# --------------------------------------------------------------------------------------------
# The power with a Value exponent, comparisons, one step by hand, the fused n-ary operations
# --------------------------------------------------------------------------------------------

_dot_rule, _sum_rule = cast(Rule, ops.DOT.rule), cast(Rule, ops.SUM.rule)


_pow = _binary(ops.POW, "__pow__")  # a ** b for a Value b


def _compared(x: object, where: str) -> float:
    if isinstance(x, Value):
        return x.data
    return _as_float(x, f"Value {where}")


def local_gradients(node: Value, g: float = 1.0) -> tuple[float, ...]:
    """``g * d node / d parent`` for each of ``node``'s parents, by the node's own rule, in floats.

    With ``g = 1`` these are the local derivatives; a leaf has none. What a picture or a
    page of the chain rule shows for one step (``nn.lab``), with the engine's numbers.
    """
    parents = node._prev
    if not parents:
        return ()
    return tuple(map(float, node._vjp(g, node.data, *[p.data for p in parents])))


def _differentiated(what: str, recorded: bool) -> None:
    """Tell this context's tracer, if any, that a backward pass ran (see TraceHook)."""
    tracer = _mode.get().tracer
    if tracer is not None:
        tracer.differentiated(what, recorded)


def read_out(what: str) -> None:
    """Tell this context's tracer, if any, that ``what`` reads numbers out of graphs as a
    backward pass in floats does (a compiled call): no traced program could replay it."""
    _differentiated(what, recorded=False)


def _told(a: Value, b: Operand, op: str, outcome: bool) -> bool:
    """``outcome``, after telling the tracers that ``a op b`` decided it: this context's, or
    (a thread with none of its own, such as a worker a traced function started) every open one."""
    tracer = _mode.get().tracer
    right = b if isinstance(b, Value) else float(b)
    with _tracing_lock:
        tracers = [tracer] if tracer is not None else list(_open_tracers)
    for t in tracers:
        t.compared(a, op, right, outcome)
    return outcome


def _step(node: Value) -> None:
    """One node's step of the chain rule, in floats, into its parents' ``.grad``."""
    g = float(grad_before(node))  # None counts as 0, as in backward()
    for p, gp in zip(node._prev, local_gradients(node, g), strict=True):
        p.grad = grad_before(p) + gp


def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + v0 + v1 + ...`` as one graph node (left to right, like the builtin ``sum``).

    One node with n parents instead of n binary ``+`` nodes: the same value, the same
    gradients (1 for every term), less graph.
    """
    terms = [as_value(v, "autograd.sum") for v in values]
    first = as_value(start, "autograd.sum(start)")
    total = first.data
    for t in terms:
        total += t.data
    return make_node(total, (first, *terms), "sum", _sum_rule)


def dot(weights: Iterable[Operand], inputs: Iterable[Operand], bias: Operand = 0.0) -> Value:
    """``bias + w0*x0 + w1*x1 + ...`` as one graph node: a neuron's pre-activation.

    The sum runs left to right in exactly micrograd's order, so the value is bitwise the one
    micrograd's chain of ``*`` and ``+`` nodes gives. The node has ``2n + 1`` parents
    ``(w_0..w_{n-1}, x_0..x_{n-1}, bias)``; d/dw_i = x_i, d/dx_i = w_i, d/dbias = 1.
    """
    ws, xs = list(weights), list(inputs)
    if len(ws) != len(xs):
        raise ValueError(f"autograd.dot: {len(ws)} weights but {len(xs)} inputs")
    try:  # The common case, all Values: no per-element checks, which would double the cost.
        total = bias.data  # type: ignore[union-attr]
        for w, x in zip(ws, xs):
            total += w.data * x.data  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # numbers among them: lift them to Values
        ws = [as_value(w, "autograd.dot(weights)") for w in ws]
        xs = [as_value(x, "autograd.dot(inputs)") for x in xs]
        bias = as_value(bias, "autograd.dot(bias)")
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data  # type: ignore[union-attr]
    return make_node(total, (*ws, *xs, bias), "dot", _dot_rule)  # type: ignore[arg-type]


def as_value(x: object, where: str) -> Value:
    """``x`` as a Value (a number becomes a constant leaf), or a TypeError naming ``where``."""
    v = _lift(x, where)
    if v is None:
        raise TypeError(f"{where} expects Values or real numbers, got {type(x).__name__} {x!r}")
    return v


# --------------------------------------------------------------------------------------------
# Graph traversal
# --------------------------------------------------------------------------------------------


def topological_order(
    root: Value, *, include_leaves: bool = False, leaf_set: set[Value] | None = None
) -> list[Value]:
    """The nodes ``root`` depends on (itself included), each after all of its parents.

    Iterative depth-first search, so a graph a million nodes deep needs no recursion. A node
    is pushed, expanded (its parents pushed above a ``None`` marker) and, when the marker
    comes back up, appended: by then all its parents are. Leaves are left out of the order
    unless ``include_leaves`` is true (they propagate nothing, and skipping them spares the stack
    work on every edge from a parameter or an input: the work in this loop is per edge, so
    keep it small); ``leaf_set``, if given, collects them instead.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[Value | None] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: the node below it has all its parents in order
            order.append(stack.pop())  # type: ignore[arg-type]
        elif node not in visited:
            visited.add(node)
            stack.append(node)
            stack.append(None)
            for p in node._prev:
                if include_leaves or p._prev:
                    if p not in visited:
                        stack.append(p)
                elif leaf_set is not None:
                    leaf_set.add(p)
    return order


def backward_steps(root: Value, grad: Operand = 1.0) -> Iterator[tuple[Value, float]]:
    """Step through backpropagation: yield ``(node, d root/d node)`` in the order it runs.

    Starts at ``root`` and visits every node it depends on, leaves included, each one only
    after every node that uses it, so the gradient yielded with a node is complete. Nothing
    is written to ``.grad``. For an MLP of fused neurons (one node per neuron) this shows
    the last layer's gradients finished before the layer to its left is touched; with
    elementwise neurons the order interleaves the layers' ``*`` and ``+`` nodes.
    """
    return cast(Iterator[tuple[Value, float]], backward_pass(root, grad, create_graph=False))


def backward_pass(
    root: Value, seed: Operand, *, create_graph: bool
) -> Iterator[tuple[Value, Grad]]:
    """The chain rule, node by node: yields each node with its complete gradient.

    With ``create_graph`` the local-gradient rules get Values and build a graph of the
    gradient, recorded even under ``no_grad`` (as PyTorch does); otherwise they get floats
    (a Value seed is taken by its value). An active anomaly detector checks each node's
    local gradients. (``Value.backward`` has its own float loop that writes straight into
    ``.grad``: about four times faster than this dictionary.)
    """
    _differentiated("a first-order gradient (gradients, grad of numbers)", create_graph)
    if not (create_graph and isinstance(seed, Value)):
        seed = float(seed) if isinstance(seed, Value) else _as_float(seed, "backward(grad)")
    detector = _mode.get().detector
    grads: dict[Value, Grad] = {root: seed}
    for node in reversed(topological_order(root, include_leaves=True)):
        g = grads[node]
        yield node, g
        parents = node._prev
        if not parents:
            continue
        if create_graph:
            with enable_grad():  # not across the yield: a generator shares its caller's context
                _propagate(node, g, node._vjp(g, node, *parents), grads, detector)
        else:
            local = node._vjp(g, node.data, *[p.data for p in parents])
            _propagate(node, g, local, grads, detector)


def _propagate(
    node: Value,
    g: Grad,
    local: tuple[Grad, ...],
    grads: dict[Value, Grad],
    detector: AnomalyHook | None,
) -> None:
    """Add a node's local gradients to its parents' (after the anomaly check, if any)."""
    if detector is not None:
        detector.check_gradients(node, g, local)
    for p, gp in zip(node._prev, local, strict=True):
        grads[p] = grads[p] + gp if p in grads else gp


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block; restore its state on exit.

    Graphs of this engine have no reference cycles, so reference counting frees them and
    the cyclic collector has nothing to find in them, yet CPython runs it again and again
    while a big graph is being built, each time walking the whole live graph. Wrapping a
    training step in ``with autograd.gc_paused():`` skips that work (several times faster
    for large elementwise graphs). Nothing is leaked: cyclic garbage your own code makes
    inside the block is collected by the first collection after it, as usual. The
    collector is switched back on even if the block raises; if it was already off, it
    stays off. It is process-wide, like ``gc.disable()`` itself.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
