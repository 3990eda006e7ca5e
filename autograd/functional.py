"""Gradients as functions: PyTorch's ``autograd.grad`` and JAX's transforms, on scalars.

Two families, as in the libraries users know:

* :func:`gradients` is PyTorch's ``torch.autograd.grad``: d(output)/d(inputs) for Values
  you already have, without touching ``.grad``.
* :func:`grad`, :func:`value_and_grad`, :func:`hessian` are JAX's transforms: they turn a
  plain Python function of numbers into the function that computes its derivative, and they
  compose: ``grad(grad(f))`` is f''.

Plus :func:`gradcheck`, which compares analytic gradients with finite differences,
:func:`custom_op`, which makes a new differentiable operation from a forward function and
its partial derivatives (first and higher order alike), and the primitives as functions of
a number or a Value (:func:`exp`, :func:`log`, :func:`tan`, :func:`leaky_relu`...), as
``jnp.exp`` in JAX, and the fused n-ary operations :func:`sum` and :func:`dot` (one node for
a whole sum or a neuron's pre-activation).
"""

from __future__ import annotations

import contextvars
import functools
import numbers
import pickle
import reprlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union, overload

from autograd import ops
from autograd.engine import Value
from autograd.extend import (
    Grad,
    Op,
    Operand,
    OutOfDomain,
    as_value,
    backward_pass,
    make_node,
)
from autograd.grad_mode import enable_grad, no_grad
from autograd.ops import as_float

ArgNums = Union[int, Sequence[int]]

# How many transforms are running the function they differentiate. Inside one (depth > 0),
# another transform must return Values with graphs, since the outer one differentiates them,
# whether it passed them as arguments or the function closes over them (as JAX's levels).
# Outside any, a transform returns Values with graphs when it is given Values (see _evaluate).
_transform_depth: contextvars.ContextVar[int] = contextvars.ContextVar(
    "autograd_transform_depth", default=0
)


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree (raised by :func:`gradcheck`)."""


# --------------------------------------------------------------------------------------------
# PyTorch style: gradients of Values
# --------------------------------------------------------------------------------------------


def gradients(
    output: Value,
    inputs: Value | Sequence[Value],
    grad_output: Operand = 1.0,
    *,
    create_graph: bool = False,
) -> tuple[Grad, ...]:
    """d(output)/d(input) for each input, as a tuple; ``.grad`` is left untouched.

    Like ``torch.autograd.grad``: ``grad_output`` seeds d(output)/d(output), and with
    ``create_graph=True`` the gradients are Values with graphs of their own, so they can be
    differentiated again. Unlike PyTorch, an input the output does not depend on gets 0.0
    (as in JAX) instead of an error.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    wanted = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for x in wanted:
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs must be Values, got {type(x).__name__} {x!r}")
    targets = set(wanted)
    found: dict[Value, Grad] = {}
    for node, g in backward_pass(output, grad_output, create_graph=create_graph):
        if node in targets:
            found[node] = g
    return tuple(found.get(x, 0.0) for x in wanted)


# --------------------------------------------------------------------------------------------
# JAX style: transforms of functions
# --------------------------------------------------------------------------------------------


def _argnums(argnums: ArgNums, n_args: int, where: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -n_args <= i < n_args:
            raise ValueError(f"{where}: argnums {i} is out of range for {n_args} arguments")
    return tuple(i % n_args for i in nums)


def _variables(
    args: tuple[Any, ...], nums: tuple[int, ...], where: str
) -> tuple[list[Any], list[Value]]:
    """The call's arguments with the differentiated ones turned into fresh graph nodes.

    A number becomes a leaf. A Value (we are inside an outer transform) becomes a new node
    depending on it, so the outer transform sees the dependence, while this one
    differentiates with respect to the argument alone and not to uses of the same Value the
    function may close over.
    """
    call_args = list(args)
    made: dict[int, Value] = {}
    for i in dict.fromkeys(nums):  # each position once: argnums=(0, 0) differentiates x twice
        a = args[i]
        if isinstance(a, Value):
            made[i] = make_node(a.data, (a,), ops.IDENTITY.label, _identity_rule)
        else:
            made[i] = Value(_number(a, where))
        call_args[i] = made[i]
    return call_args, [made[i] for i in nums]


_identity_rule = ops.IDENTITY.rule


def _number(x: object, where: str) -> float:
    try:
        return as_value(x, where).data
    except TypeError:
        raise TypeError(
            f"{where}: arguments to differentiate must be real numbers, got "
            f"{type(x).__name__} {x!r}"
        ) from None


def _evaluate(
    f: Callable[..., Operand],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    argnums: ArgNums,
    where: str,
) -> tuple[Value, list[Value], bool, bool]:
    """Run ``f`` on graph variables; returns (output, variables, graph, single).

    ``graph`` says whether the derivatives must be Values with graphs of their own: inside
    another transform (which differentiates them), or when the caller passed Values (as
    positional or keyword arguments), so that the derivative can be differentiated again
    with respect to them (``grad(f)(p).backward()`` puts f''(p) in ``p.grad``), as PyTorch's
    ``create_graph=True``. Keyword arguments are passed through, not differentiated. As
    ``torch.func.grad``, a transform records ``f`` even under ``no_grad``.
    """
    nums = _argnums(argnums, len(args), where)
    graph = _transform_depth.get() > 0 or any(
        isinstance(a, Value) for a in (*args, *kwargs.values())
    )
    token = _transform_depth.set(_transform_depth.get() + 1)
    try:
        with enable_grad():  # a transform differentiates f even when called under no_grad
            call_args, variables = _variables(args, nums, where)
            out = f(*call_args, **kwargs)
    finally:
        _transform_depth.reset(token)
    return _result(out, where), variables, graph, isinstance(argnums, int)


def _result(out: object, where: str) -> Value:
    """``f``'s result as a Value: a real number is a constant (its derivative is 0).

    Anything else is a TypeError naming the transform: a bool (``x > 0`` returned by
    mistake) would otherwise pass as the number 0 or 1, with derivative 0.
    """
    if isinstance(out, Value):
        return out
    if isinstance(out, bool) or not isinstance(out, numbers.Real):
        raise TypeError(
            f"{where}: the function must return a Value or a real number, got "
            f"{type(out).__name__} {reprlib.repr(out)}"
        )
    return as_value(out, f"{where}: the function's result")


def _derivative(
    out: Value, variables: list[Value], graph: bool, single: bool
) -> Grad | tuple[Grad, ...]:
    """d(out)/d(each variable): floats, or Values (constants where there is no graph) when
    ``graph`` (see :func:`_evaluate`)."""
    grads = gradients(out, variables, create_graph=graph)
    if graph:
        grads = tuple(g if isinstance(g, Value) else Value(g) for g in grads)
    return grads[0] if single else grads


def value_and_grad(f: Callable[..., Operand], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The function ``x -> (f(x), f'(x))``, like ``jax.value_and_grad``.

    ``f`` takes numbers and returns one number, computed with Value operations (``x * x``,
    ``x.sin()``...); a result that is not a Value or a real number (a bool) is a TypeError.
    ``argnums`` picks the positional argument(s) to differentiate: an int gives one
    derivative, a sequence gives a tuple; keyword arguments are passed to ``f`` as they are.
    Called with floats, the result is floats. Called with Values, or inside another
    transform, it is Values with graphs of their own (as PyTorch's ``create_graph=True``):
    that is what makes ``grad(grad(f))`` the second derivative, and ``grad(f)(p).backward()``
    put f''(p) in ``p.grad``.
    """

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple[Operand, Grad | tuple[Grad, ...]]:
        out, variables, graph, single = _evaluate(f, args, kwargs, argnums, "value_and_grad")
        derivative = _derivative(out, variables, graph, single)
        return (out if graph else out.data), derivative

    return value_and_grad_f


def grad(f: Callable[..., Operand], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The function ``x -> f'(x)``, like ``jax.grad``; see :func:`value_and_grad`.

    >>> cube = lambda x: x * x * x
    >>> grad(cube)(2.0), grad(grad(cube))(2.0), grad(grad(grad(cube)))(2.0)
    (12.0, 12.0, 6.0)
    """

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Grad | tuple[Grad, ...]:
        out, variables, graph, single = _evaluate(f, args, kwargs, argnums, "grad")
        return _derivative(out, variables, graph, single)

    return grad_f


def hessian(f: Callable[..., Operand], argnums: ArgNums | None = None) -> Callable[..., Any]:
    """The function returning the matrix of second derivatives ``H[i][j] = d2f/dxi dxj``.

    With ``argnums=None`` every positional argument is differentiated; keyword arguments are
    passed through. The result is a list of rows (floats, or Values when given Values or
    nested in another transform). Cost: one backward pass per row, so it is meant for
    functions of a few variables.
    """

    def hessian_f(*args: Any, **kwargs: Any) -> list[list[Grad]]:
        nums = tuple(range(len(args))) if argnums is None else argnums
        out, variables, graph, _ = _evaluate(f, args, kwargs, nums, "hessian")
        first = gradients(out, variables, create_graph=True)
        return [
            list(gradients(g, variables, create_graph=graph))
            if isinstance(g, Value)
            else [0.0] * len(variables)
            for g in first
        ]

    return hessian_f


# --------------------------------------------------------------------------------------------
# Checking gradients, and making new operations
# --------------------------------------------------------------------------------------------


def gradcheck(
    f: Callable[..., Value],
    *inputs: float,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare f's analytic gradient with central finite differences at ``inputs``.

    For each input i the numerical derivative is (f(x + eps e_i) - f(x - eps e_i)) / 2 eps;
    it must match the analytic one within ``atol + rtol * |numerical|``. On a mismatch,
    raises :class:`GradcheckError` naming each input that disagrees, both values and the
    difference (or returns False with ``raise_exception=False``), as ``torch.autograd.gradcheck``.
    """
    point = [_number(x, "gradcheck") for x in inputs]
    leaves = [Value(x) for x in point]
    with enable_grad():  # as the transforms: check f even when called under no_grad
        analytic = gradients(_call(f, leaves), leaves)

    def at(shifted: list[float]) -> float:
        with no_grad():
            return _call(f, [Value(x) for x in shifted]).data

    problems = []
    for i, x in enumerate(point):
        up, down = list(point), list(point)
        up[i], down[i] = x + eps, x - eps
        numerical = (at(up) - at(down)) / (2 * eps)
        a = float(analytic[i])
        if not abs(a - numerical) <= atol + rtol * abs(numerical):
            problems.append(
                f"input {i} (= {x!r}): analytic {a!r}, numerical {numerical!r}, "
                f"difference {abs(a - numerical):.3g}"
            )
    if problems and raise_exception:
        raise GradcheckError("gradcheck failed:\n  " + "\n  ".join(problems))
    return not problems


def _call(f: Callable[..., Value], args: list[Value]) -> Value:
    out = f(*args)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def custom_op(
    name: str, forward: Callable[..., Operand], *derivatives: Callable[..., Operand]
) -> CustomOp:
    """Make a new operation from its forward function and one partial derivative per input.

    Both are written with Value operations and receive Values: ``forward`` runs without
    recording; ``derivatives[i](*inputs)`` is d(out)/d(input i) and is recorded when a graph
    of the gradient is being built, so the new operation supports higher-order gradients
    like the built-in ones. A derivative must therefore return a Value when given Values: a
    plain number (``math.cos(x.data)``, or a constant ``3.0``) is refused with a TypeError
    when a higher-order gradient needs it, since its own derivative would silently be 0;
    return a constant as ``Value(3.0)``. For example, ``softsign(x) = x / (1 + |x|)``:

    >>> softsign = custom_op(
    ...     "softsign",
    ...     lambda x: x / (1 + abs(x)),
    ...     lambda x: 1 / (1 + abs(x)) ** 2,
    ... )
    >>> x = Value(1.0)
    >>> softsign(x).backward()
    >>> x.grad
    0.25

    The operation (a :class:`CustomOp`) and the graphs made with it pickle when ``forward``
    and the derivatives do: functions defined with ``def`` at a module's top level, not
    lambdas (those are refused with a ``PicklingError`` naming the operation).
    """
    return CustomOp(name, forward, *derivatives)


class CustomOp:
    """An operation made by :func:`custom_op`: call it on Values or numbers to make a node.

    It holds ``name``, ``forward`` and ``derivatives`` (one per input) and nothing else, and
    its :meth:`rule` is the local-gradient rule of the nodes it makes: a graph that uses it
    pickles by reference to these functions (a closure would not pickle at all).
    """

    def __init__(
        self, name: str, forward: Callable[..., Operand], *derivatives: Callable[..., Operand]
    ) -> None:
        if not derivatives:
            raise TypeError(f"custom_op {name!r}: give one derivative per input, got none")
        self.name = name
        self.forward = forward
        self.derivatives = derivatives
        self.__name__ = self.__qualname__ = name
        self.__doc__ = f"The custom operation {name!r} (made by autograd.functional.custom_op)."

    def __call__(self, *args: Operand) -> Value:
        if len(args) != len(self.derivatives):
            raise TypeError(
                f"{self.name}: takes {len(self.derivatives)} argument(s), got {len(args)}"
            )
        parents = tuple(as_value(a, self.name) for a in args)
        with no_grad():
            value = self.forward(*[Value(p.data) for p in parents])
        return make_node(float(value), parents, self.name, self.rule)

    def rule(self, g: Grad, out: Grad, *xs: Grad) -> tuple[Grad, ...]:
        """The nodes' local-gradient rule: ``g`` times each partial derivative at ``xs``.

        In floats for a first-order gradient; recorded (each derivative given Values, and
        required to return one) when the gradient's own graph is being built.
        """
        partials: list[Grad]
        if isinstance(g, Value) or isinstance(xs[0], Value):
            partials = [self._recorded(d(*xs), i) for i, d in enumerate(self.derivatives)]
        else:
            with no_grad():
                numbers = [float(x) for x in xs]
                partials = [float(d(*map(Value, numbers))) for d in self.derivatives]
        return tuple(g * p for p in partials)

    def _recorded(self, partial: object, i: int) -> Value:
        # A derivative that returns a plain number when given Values (math.cos(x.data))
        # is right at first order but has no graph, so its own derivative would be 0.
        if isinstance(partial, Value):
            return partial
        raise TypeError(
            f"custom_op {self.name!r}: derivative {i} returned {type(partial).__name__} "
            f"{partial!r} when given Values, so a gradient of this gradient would be "
            "silently 0; write it with Value operations (x.cos(), not math.cos(x.data)), "
            "or return a constant c as autograd.Value(c)"
        )

    def __reduce__(self) -> tuple[type[CustomOp], tuple[Any, ...]]:
        """Pickled as its name and functions; a PicklingError naming the operation and the
        function that cannot be pickled (a lambda, a nested function) and why."""
        roles = [("forward", self.forward)]
        roles += [(f"derivative {i}", d) for i, d in enumerate(self.derivatives)]
        for role, function in roles:
            try:
                pickle.dumps(function)
            except (pickle.PicklingError, AttributeError, TypeError) as error:
                shown = getattr(function, "__qualname__", None) or reprlib.repr(function)
                raise pickle.PicklingError(
                    f"custom_op {self.name!r}: its {role} ({shown}) cannot be pickled "
                    f"({error}), so neither can the operation nor a graph that uses it; define "
                    "its functions with def at a module's top level (pickle finds them by "
                    "name: a lambda or a nested function has none it can find)"
                ) from error
        return (CustomOp, (self.name, self.forward, *self.derivatives))

    def __repr__(self) -> str:
        return f"<autograd.custom_op {self.name!r}>"


# --------------------------------------------------------------------------------------------
# exp, log, ... on numbers or Values (as jnp.exp in JAX): one line per row of autograd.ops
# --------------------------------------------------------------------------------------------


class Elementwise:
    """A primitive of :mod:`autograd.ops` as a function: a float for a number, a node for a Value.

    ``autograd.exp(2.0)`` is the float ``e^2`` (same domain policy and messages as the
    method); ``autograd.exp(x)`` for a Value ``x`` is ``x.exp()``, a graph node. So a function
    written with them works on numbers and inside :func:`grad` alike.
    """

    def __init__(self, op: Op) -> None:
        self.op = op
        self.__name__ = self.__qualname__ = op.name
        self.__doc__ = f"{op.doc}: a float for a number, a graph node for a Value."

    def __reduce__(self) -> str:
        return self.__name__  # pickled by name: autograd.functional.<name>

    @overload
    def __call__(self, x: Value) -> Value: ...

    @overload
    def __call__(self, x: float) -> float: ...

    def __call__(self, x: Operand) -> Operand:
        if isinstance(x, Value):
            return getattr(x, self.op.name)()  # type: ignore[no-any-return]
        number = as_value(x, self.op.name).data
        try:
            return self.op.forward(number)
        except OutOfDomain as error:
            raise error.naming(number) from None

    def __repr__(self) -> str:
        return f"<autograd.{self.op.name}>"


exp = Elementwise(ops.EXP)
log = Elementwise(ops.LOG)
sqrt = Elementwise(ops.SQRT)
tanh = Elementwise(ops.TANH)
sigmoid = Elementwise(ops.SIGMOID)
relu = Elementwise(ops.RELU)
softplus = Elementwise(ops.SOFTPLUS)
sin = Elementwise(ops.SIN)
cos = Elementwise(ops.COS)
tan = Elementwise(ops.TAN)


@overload
def leaky_relu(x: Value, negative_slope: float = 0.01) -> Value: ...


@overload
def leaky_relu(x: float, negative_slope: float = 0.01) -> float: ...


def leaky_relu(x: Operand, negative_slope: float = 0.01) -> Operand:
    """a if a > 0 else negative_slope * a: a float for a number, a graph node for a Value
    (``x.leaky_relu(negative_slope)``), as ``torch.nn.functional.leaky_relu``."""
    if isinstance(x, Value):
        return x.leaky_relu(negative_slope)
    number = as_value(x, "leaky_relu").data
    return ops.LEAKY_RELU.forward(number, as_float(negative_slope, "leaky_relu(negative_slope)"))


# --------------------------------------------------------------------------------------------
# The fused n-ary operations: one node for a whole sum, one for a neuron's pre-activation
# --------------------------------------------------------------------------------------------

_sum_rule, _dot_rule = ops.SUM.rule, ops.DOT.rule


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
    bias = as_value(bias, "autograd.dot(bias)")  # one operand: the default 0.0 is a number
    try:  # The common case, all Values: no per-element checks, which would double the cost.
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data  # type: ignore[union-attr]
    except (AttributeError, TypeError):  # numbers among them: lift them to Values
        ws = [as_value(w, "autograd.dot(weights)") for w in ws]
        xs = [as_value(x, "autograd.dot(inputs)") for x in xs]
        total = bias.data
        for w, x in zip(ws, xs):
            total += w.data * x.data  # type: ignore[union-attr]
    return make_node(total, (*ws, *xs, bias), "dot", _dot_rule)  # type: ignore[arg-type]
