"""The engine: a scalar ``Value`` that remembers how it was computed, and backpropagation.

Every arithmetic operation on ``Value`` objects records a node in a graph: the result keeps
its parents (``_prev``), the name of the operation (``_op``) and a *local-gradient rule*
(``_vjp``). ``backward()`` walks the graph from the output back to the inputs and applies
the chain rule,

    dL/dparent += dL/dout * dout/dparent,

visiting every node only after all the nodes that use it (reverse topological order).

A local-gradient rule is a vector-Jacobian product: ``rule(g, out, *parents)`` returns, for
each parent, ``g * d(out)/d(parent)``. The same rule is called with floats (the fast,
first-order path) and with ``Value`` objects (``create_graph=True``: the gradient is itself a
graph, so it can be differentiated again). Most rules are module-level functions shared by
all nodes; the few with a constant (``x ** 3``, ``leaky_relu``) close over that number only.
No node refers back to itself, so graphs hold no reference cycles and are freed by reference
counting the moment the last reference goes.

Numerical conventions (IEEE 754, as in PyTorch):

* An input outside an operation's domain raises: ``log`` of x <= 0 and ``sqrt`` of x < 0
  raise :class:`DomainError`; division by zero and ``0 ** negative`` raise
  ``ZeroDivisionError``; a negative base to a non-integer power raises :class:`DomainError`
  (never a complex number).
* Overflow is never an error: ``exp(1000)``, ``10.0 ** 400`` and ``1e308 * 10`` all give
  ``inf`` (with the right sign). NaN and infinity flow through like in IEEE arithmetic.
* Where a derivative is infinite at a point of the domain (``sqrt`` at 0, ``x ** 0.5`` at 0)
  the first-order gradient is ``inf``; higher-order gradients there are not defined and
  raise :class:`DomainError`.
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
from typing import Any, Union

Number = Union[int, float]
Operand = Union["Value", int, float]
Grad = Union[float, "Value"]
#: A local-gradient rule: ``rule(g, out, *parents) -> (g * dout/dparent for each parent)``.
Vjp = Callable[..., tuple]

# How operations record, read once per node: False (no_grad), True (record), or an anomaly
# detector (record, and let it check every node: see autograd.anomaly).
_recording: contextvars.ContextVar[Any] = contextvars.ContextVar("autograd_recording", default=True)
# The active anomaly detector, kept apart so that enable_grad() inside no_grad() inside
# detect_anomaly() records with the detector again.
_anomaly: contextvars.ContextVar[Any] = contextvars.ContextVar("autograd_anomaly", default=None)


class DomainError(ValueError):
    """An operand lies outside an operation's real domain (``log(-1)``, ``sqrt(-1)``...)."""


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
        self._tokens: list[contextvars.Token[Any]] = []

    def __enter__(self) -> None:
        mode = (_anomaly.get() or True) if self._enabled else False
        self._tokens.append(_recording.set(mode))

    def __exit__(self, *exc: object) -> None:
        _recording.reset(self._tokens.pop())

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
                        gen.close()
                        raise
                    except BaseException as error:  # thrown in: pass it on, in the mode
                        received, resume = error, gen.throw

            return generator
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
    return _recording.get() is not False


def _node(data: float, parents: tuple[Value, ...], op: str, vjp: Vjp) -> Value:
    """The result of an operation: a graph node, or a plain leaf under ``no_grad``."""
    mode = _recording.get()
    if mode is False:
        return Value(data)
    out = Value(data, parents, op)
    out._vjp = vjp
    if mode is not True:  # an anomaly detector
        mode.created(out)
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


# --------------------------------------------------------------------------------------------
# Local-gradient rules. Each is called with floats (first order) or Values (create_graph);
# the few helpers below pick math.* or the Value method accordingly.
# --------------------------------------------------------------------------------------------


def _sin(x: Grad) -> Grad:
    return x.sin() if isinstance(x, Value) else _sin_float(x)


def _cos(x: Grad) -> Grad:
    return x.cos() if isinstance(x, Value) else _cos_float(x)


def _log(x: Grad) -> Grad:
    return x.log() if isinstance(x, Value) else math.log(x)


def _sigmoid(x: Grad) -> Grad:
    return x.sigmoid() if isinstance(x, Value) else _sigmoid_float(x)


def _no_rule(g: Grad, out: Grad, *parents: Grad) -> tuple:
    raise TypeError(
        "this node has parents but no local-gradient rule, so backward() cannot pass a "
        "gradient through it; make new operations with autograd.custom_op"
    )


def _vjp_add(g: Grad, out: Grad, a: Grad, b: Grad) -> tuple:  # d(a+b) = da + db
    return g, g


def _vjp_sub(g: Grad, out: Grad, a: Grad, b: Grad) -> tuple:  # d(a-b) = da - db
    return g, -g


def _vjp_mul(g: Grad, out: Grad, a: Grad, b: Grad) -> tuple:  # d(ab) = b da + a db
    return g * b, g * a


def _vjp_div(g: Grad, out: Grad, a: Grad, b: Grad) -> tuple:  # d(a/b) = da/b - (a/b) db/b
    return g / b, -g * out / b


def _vjp_neg(g: Grad, out: Grad, a: Grad) -> tuple:  # d(-a) = -da
    return (-g,)


def _vjp_pow(g: Grad, out: Grad, a: Grad, b: Grad) -> tuple:  # d(a^b) = b a^(b-1) da + ...
    return g * _pow_derivative(a, b), _pow_exponent_gradient(g, out, a)


def _pow_exponent_gradient(g: Grad, out: Grad, a: Grad) -> Grad:
    # d(a^b)/db = a^b log a; 0 at a == 0 (where b >= 0), undefined (NaN) for a < 0, as PyTorch.
    base = float(a)
    if base > 0:
        return g * out * _log(a)
    return 0.0 if base == 0 else math.nan


def _vjp_exp(g: Grad, out: Grad, a: Grad) -> tuple:  # d e^a = e^a da
    return (g * out,)


def _vjp_log(g: Grad, out: Grad, a: Grad) -> tuple:  # d log a = da / a
    return (g / a,)


def _vjp_sqrt(g: Grad, out: Grad, a: Grad) -> tuple:  # d sqrt(a) = da / (2 sqrt(a))
    if float(out) != 0.0:
        return (g * 0.5 / out,)
    _no_higher_order_at_singularity("sqrt", out)
    return (g * math.inf,)


def _vjp_tanh(g: Grad, out: Grad, a: Grad) -> tuple:  # d tanh a = (1 - tanh^2 a) da
    return (g * (1.0 - out * out),)


def _vjp_sigmoid(g: Grad, out: Grad, a: Grad) -> tuple:  # d s(a) = s(a) (1 - s(a)) da
    return (g * out * (1.0 - out),)


def _vjp_relu(g: Grad, out: Grad, a: Grad) -> tuple:  # step function, 0 at a == 0
    return (g if float(a) > 0 else 0.0,)


def _vjp_softplus(g: Grad, out: Grad, a: Grad) -> tuple:  # d log(1 + e^a) = sigmoid(a) da
    return (g * _sigmoid(a),)


def _vjp_sin(g: Grad, out: Grad, a: Grad) -> tuple:  # d sin a = cos a da
    return (g * _cos(a),)


def _vjp_cos(g: Grad, out: Grad, a: Grad) -> tuple:  # d cos a = -sin a da
    return (-g * _sin(a),)


def _vjp_abs(g: Grad, out: Grad, a: Grad) -> tuple:  # sign(a), 0 at a == 0
    x = float(a)
    return (g if x > 0 else -g if x < 0 else 0.0,)


def _vjp_sum(g: Grad, out: Grad, *terms: Grad) -> tuple:  # d(sum t_i)/dt_i = 1
    return (g,) * len(terms)


def _vjp_dot(g: Grad, out: Grad, *parents: Grad) -> tuple:
    # out = b + sum_i w_i x_i with parents (w_0..w_{n-1}, x_0..x_{n-1}, b):
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1.
    n = len(parents) // 2
    return (*[g * x for x in parents[n:-1]], *[g * w for w in parents[:n]], g)


# --------------------------------------------------------------------------------------------
# Forward helpers with the numerical conventions of the module docstring
# --------------------------------------------------------------------------------------------


def _sigmoid_float(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for either sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _sin_float(x: float) -> float:
    """sin x; NaN at +-inf (IEEE 754 and PyTorch; ``math.sin`` raises ValueError there)."""
    return math.sin(x) if math.isfinite(x) else math.nan


def _cos_float(x: float) -> float:
    """cos x; NaN at +-inf, as :func:`_sin_float`."""
    return math.cos(x) if math.isfinite(x) else math.nan


def _exp_float(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _pow_float(base: float, exponent: float, op: str) -> float:
    """base ** exponent over the reals; see the module docstring for the error policy."""
    if base == 0.0 and exponent < 0:
        raise ZeroDivisionError(f"{op}: 0 raised to the negative power {exponent!r}")
    is_integer = exponent == exponent and math.isfinite(exponent) and exponent.is_integer()
    if base < 0 and not is_integer and math.isfinite(exponent):
        raise DomainError(
            f"{op}: negative base {base!r} to the non-integer power {exponent!r} has no real value"
        )
    try:
        return base**exponent
    except OverflowError:
        negative = base < 0 and is_integer and exponent % 2 == 1
        return -math.inf if negative else math.inf


def _pow_derivative(a: Grad, b: Grad) -> Grad:
    """d(a^b)/da = b a^(b-1); at a == 0: 0 for b == 0 (as PyTorch), +-inf for b < 1."""
    exponent = float(b)
    if float(a) == 0.0 and exponent < 1.0:
        if exponent == 0.0:
            return 0.0
        _no_higher_order_at_singularity("**", a, b)
        return math.copysign(math.inf, exponent)
    if not isinstance(b, Value) and exponent == 0.0:  # a fixed exponent 0: a^0 is flat
        return 0.0
    if isinstance(a, Value) or isinstance(b, Value):
        return b * a ** (b - 1.0)
    return b * _pow_float(a, b - 1.0, "**")


def _no_higher_order_at_singularity(op: str, *operands: Grad) -> None:
    """Raise if a gradient graph is being built through an infinite derivative."""
    if any(isinstance(x, Value) for x in operands):
        raise DomainError(
            f"{op}: its derivative is infinite at {tuple(float(x) for x in operands)}, so "
            "higher-order gradients there are not defined"
        )


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
        self._vjp: Vjp = _no_rule

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __float__(self) -> float:
        return self.data

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Operand) -> Value:
        """a + b."""
        o = _lift(other, "+")
        if o is None:
            return NotImplemented
        return _node(self.data + o.data, (self, o), "+", _vjp_add)

    def __radd__(self, other: Operand) -> Value:
        o = _lift(other, "+")
        if o is None:
            return NotImplemented
        return _node(o.data + self.data, (o, self), "+", _vjp_add)

    def __sub__(self, other: Operand) -> Value:
        """a - b."""
        o = _lift(other, "-")
        if o is None:
            return NotImplemented
        return _node(self.data - o.data, (self, o), "-", _vjp_sub)

    def __rsub__(self, other: Operand) -> Value:
        o = _lift(other, "-")
        if o is None:
            return NotImplemented
        return _node(o.data - self.data, (o, self), "-", _vjp_sub)

    def __mul__(self, other: Operand) -> Value:
        """a * b."""
        o = _lift(other, "*")
        if o is None:
            return NotImplemented
        return _node(self.data * o.data, (self, o), "*", _vjp_mul)

    def __rmul__(self, other: Operand) -> Value:
        o = _lift(other, "*")
        if o is None:
            return NotImplemented
        return _node(o.data * self.data, (o, self), "*", _vjp_mul)

    def __truediv__(self, other: Operand) -> Value:
        """a / b; ZeroDivisionError if b == 0."""
        o = _lift(other, "/")
        if o is None:
            return NotImplemented
        return _divide(self, o)

    def __rtruediv__(self, other: Operand) -> Value:
        o = _lift(other, "/")
        if o is None:
            return NotImplemented
        return _divide(o, self)

    def __pow__(self, other: Operand) -> Value:
        """a ** b for a number or a Value b (see the module docstring for the domain).

        A number exponent is a constant of the node (micrograd's ``**2``); a Value exponent
        is a second parent and gets the gradient a^b log a.
        """
        if isinstance(other, Value):
            return _power(self, other)
        constant = _lift(other, "**")
        if constant is None:
            return NotImplemented
        c = constant.data

        def vjp(g: Grad, out: Grad, a: Grad) -> tuple:  # d(a^c) = c a^(c-1) da
            return (g * _pow_derivative(a, c),)

        return _node(_pow_float(self.data, c, "**"), (self,), f"**{other}", vjp)

    def __rpow__(self, other: Operand) -> Value:
        """c ** a for a number c: a node with one parent, a; c is a constant of it."""
        constant = _lift(other, "**")
        if constant is None:
            return NotImplemented
        c = constant.data

        def vjp(g: Grad, out: Grad, a: Grad) -> tuple:  # d(c^a) = c^a log c da
            return (_pow_exponent_gradient(g, out, c),)

        return _node(_pow_float(c, self.data, "**"), (self,), f"{other}**", vjp)

    def __neg__(self) -> Value:
        """-a."""
        return _node(-self.data, (self,), "neg", _vjp_neg)

    def __abs__(self) -> Value:
        """|a|; its derivative is sign(a), taken as 0 at a == 0."""
        return _node(abs(self.data), (self,), "abs", _vjp_abs)

    # -- functions ----------------------------------------------------------------------

    def exp(self) -> Value:
        """e^a (``inf`` on overflow)."""
        return _node(_exp_float(self.data), (self,), "exp", _vjp_exp)

    def log(self) -> Value:
        """Natural logarithm; DomainError unless a > 0."""
        x = self.data
        if not x > 0:
            if x != x:  # NaN propagates
                return _node(x, (self,), "log", _vjp_log)
            raise DomainError(f"log: operand must be > 0, got {self!r}")
        return _node(math.log(x), (self,), "log", _vjp_log)

    def sqrt(self) -> Value:
        """Square root; DomainError if a < 0."""
        x = self.data
        if x < 0:
            raise DomainError(f"sqrt: operand must be >= 0, got {self!r}")
        return _node(math.sqrt(x), (self,), "sqrt", _vjp_sqrt)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _node(math.tanh(self.data), (self,), "tanh", _vjp_tanh)

    def sigmoid(self) -> Value:
        """Logistic function 1 / (1 + e^-a), stable for large |a|."""
        return _node(_sigmoid_float(self.data), (self,), "sigmoid", _vjp_sigmoid)

    def relu(self) -> Value:
        """max(a, 0), with derivative 0 at a == 0 (as micrograd and PyTorch)."""
        x = self.data
        return _node(0.0 if x < 0 else x, (self,), "ReLU", _vjp_relu)

    def leaky_relu(self, negative_slope: float = 0.01) -> Value:
        """a if a > 0 else negative_slope * a."""
        slope = _as_float(negative_slope, "leaky_relu(negative_slope)")

        def vjp(g: Grad, out: Grad, a: Grad) -> tuple:
            return (g if float(a) > 0 else g * slope,)

        x = self.data
        return _node(x if x > 0 else slope * x, (self,), "leaky_relu", vjp)

    def softplus(self) -> Value:
        """log(1 + e^a), computed as max(a, 0) + log1p(e^-|a|) so it never overflows."""
        x = self.data
        return _node(
            max(x, 0.0) + math.log1p(math.exp(-abs(x))), (self,), "softplus", _vjp_softplus
        )

    def sin(self) -> Value:
        """Sine."""
        return _node(_sin_float(self.data), (self,), "sin", _vjp_sin)

    def cos(self) -> Value:
        """Cosine."""
        return _node(_cos_float(self.data), (self,), "cos", _vjp_cos)

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
        with _backward_lock:
            if create_graph or _anomaly.get() is not None:
                self._backward_recorded(grad, create_graph)
            else:
                self._backward_floats(grad)

    def _backward_floats(self, grad: Operand) -> None:
        """First-order backward in floats, straight into ``.grad`` (the fast path)."""
        seed = float(grad) if isinstance(grad, Value) else _as_float(grad, "backward(grad)")
        if not self._prev:
            self.grad = _grad_before(self) + seed
            return
        leaf_set: set[Value] = set()
        order = _topological_order(self, leaf_set=leaf_set)
        leaves = _check_not_stale(self, leaf_set)
        earlier = list(map(_grad_of, leaves))
        if set(map(type, earlier)) != {float} or set(map(type, leaves)) != {Value}:
            earlier = [_grad_before(leaf) for leaf in leaves]  # check each (None counts as 0)
        # Every node's .grad collects this pass's gradient from 0; a leaf's earlier value is
        # added back once at the end, so two calls give exactly twice one call, and restored
        # if the pass fails.
        for leaf in leaves:
            leaf.grad = 0.0
        try:
            with gc_paused():  # backward makes no cycles; sparing the GC's sweeps is safe
                _accumulate_gradients(order, seed)
        except BaseException as error:
            for leaf, grad_before in zip(leaves, earlier):
                leaf.grad = grad_before
            if isinstance(error, AttributeError):
                _refuse_foreign(order)
            raise
        for leaf, grad_before in zip(leaves, earlier):
            leaf.grad = grad_before + leaf.grad

    def _backward_recorded(self, grad: Operand, create_graph: bool) -> None:
        """Backward through the node-by-node pass: for ``create_graph`` and anomaly mode."""
        # Compute everything first, so that an error leaves every .grad as it was.
        results = list(_backward_pass(self, grad, create_graph=create_graph))
        leaves = _check_not_stale(self, {node for node, _ in results if not node._prev})
        for leaf in leaves:
            _grad_before(leaf)  # refuses a foreign object or a bad .grad before writing any
        with enable_grad() if create_graph else contextlib.nullcontext():
            for node, g in results:
                if node._prev:
                    node.grad = float(g)
                else:
                    node.grad = _grad_before(node) + g  # recorded: it stays differentiable


# backward() writes .grad of nodes that other threads' graphs may share (parameters, inputs),
# so passes take turns: each one's gradients are added exactly. Under the GIL threads never
# ran backward in parallel anyway; this costs one uncontended acquire per call.
_backward_lock = threading.RLock()


def _grad_before(leaf: Value) -> Grad:
    """A leaf's gradient before a pass: ``None`` (PyTorch's "no gradient yet") counts as 0.

    Refuses, before any gradient is written, a gradient that is not a number or a Value,
    and a leaf that is not a Value at all (an object with ``.data`` handed to
    :func:`autograd.dot`, such as another library's Value).
    """
    _refuse_foreign((leaf,))
    g = leaf.grad
    if g is None:
        return 0.0
    if type(g) is float or isinstance(g, (Value, numbers.Real)) and not isinstance(g, bool):
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
    seen = getattr(root, "_seen", None)
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
    root._seen = (nodes, list(map(_data_of, nodes)))
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
        elif node._vjp is _vjp_dot:
            # Every neuron is a dot node: accumulating its 2n + 1 gradients in place (the
            # same math as _vjp_dot) skips three temporary sequences and makes first-order
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
# Binary operations with domain checks, and the fused n-ary operations
# --------------------------------------------------------------------------------------------


def _divide(a: Value, b: Value) -> Value:
    if b.data == 0.0:
        raise ZeroDivisionError(f"/: division by zero ({a!r} / {b!r})")
    return _node(a.data / b.data, (a, b), "/", _vjp_div)


def _power(a: Value, b: Value) -> Value:
    return _node(_pow_float(a.data, b.data, "**"), (a, b), "**", _vjp_pow)


def sum(values: Iterable[Operand], start: Operand = 0.0) -> Value:
    """``start + v0 + v1 + ...`` as one graph node (left to right, like the builtin ``sum``).

    One node with n parents instead of n binary ``+`` nodes: the same value, the same
    gradients (1 for every term), less graph.
    """
    terms = [_checked(v, "autograd.sum") for v in values]
    first = _checked(start, "autograd.sum(start)")
    total = first.data
    for t in terms:
        total += t.data
    return _node(total, (first, *terms), "sum", _vjp_sum)


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
        ws = [_checked(w, "autograd.dot(weights)") for w in ws]
        xs = [_checked(x, "autograd.dot(inputs)") for x in xs]
        bias = _checked(bias, "autograd.dot(bias)")
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data
    return _node(total, (*ws, *xs, bias), "dot", _vjp_dot)  # type: ignore[arg-type]


def _checked(x: object, where: str) -> Value:
    v = _lift(x, where)
    if v is None:
        raise TypeError(f"{where} expects Values or real numbers, got {type(x).__name__} {x!r}")
    return v


# --------------------------------------------------------------------------------------------
# Graph traversal
# --------------------------------------------------------------------------------------------


def _topological_order(
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
    return _backward_pass(root, grad, create_graph=False)


def _backward_pass(
    root: Value, seed: Operand, *, create_graph: bool
) -> Iterator[tuple[Value, Grad]]:
    """The chain rule, node by node: yields each node with its complete gradient.

    With ``create_graph`` the local-gradient rules get Values and build a graph of the
    gradient, recorded even under ``no_grad`` (as PyTorch does); otherwise they get floats
    (a Value seed is taken by its value). An active anomaly detector checks each node's
    local gradients. (``Value.backward`` has its own float loop that writes straight into
    ``.grad``: about four times faster than this dictionary.)
    """
    if not (create_graph and isinstance(seed, Value)):
        seed = float(seed) if isinstance(seed, Value) else _as_float(seed, "backward(grad)")
    detector = _anomaly.get()
    grads: dict[Value, Grad] = {root: seed}
    for node in reversed(_topological_order(root, include_leaves=True)):
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


def _propagate(node: Value, g: Grad, local: tuple, grads: dict[Value, Grad], detector: Any) -> None:
    """Add a node's local gradients to its parents' (after the anomaly check, if any)."""
    if detector is not None:
        detector.check_gradients(node, g, local)
    for p, gp in zip(node._prev, local):
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
