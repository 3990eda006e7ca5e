"""THE TABLE: every primitive operation of the engine, one row each. Add an op here.

Each row (:class:`Op`) holds, side by side, everything the library knows about one primitive:

* ``forward``: its value in floats, with the domain policy below;
* ``rule``: its local-gradient rule ``rule(g, out, *parents) -> (g * dout/dparent, ...)``,
  a vector-Jacobian product. It is called with floats (first order, the fast path) and with
  ``Value`` objects (``create_graph=True``: the gradient is a graph, differentiable again),
  so it is written with operations both support, and functions through ``_math``;
* ``label``: the ``_op`` a node records (what pictures and messages show);
* ``derivative``: the local derivative in words, as a page of the chain rule shows it;
* ``code``: its spelling as a Python expression in floats, ``{0}``, ``{1}``... for the
  operands, ``{out}`` for the result and ``{c}`` for a constant (each substituted in
  parentheses), and one spelling per partial derivative (for code
  generation; where a domain policy applies, generated code calls ``forward`` instead);
* ``with_constant``: the op takes a number besides its parents (``x ** c``,
  ``leaky_relu``): its forward takes it last and its rule first (``rule(c, g, out, a)``);
  a node's rule is :meth:`Op.bind` ``(c)``, a :class:`BoundRule` that names its row;
* ``refuses``: its forward raises :class:`OutOfDomain` for some operands (``log``, ``/``...),
  so the compiler replays every such node the traced program made, to raise the same error.

How the tests check each row (sympy, PyTorch, the domain they sample) is in
``tests/oracles.py``, keyed by the row's name: not shipped with the library.

Numerical conventions (IEEE 754, as in PyTorch):

* An input outside an operation's domain raises: ``log`` of x <= 0 and ``sqrt`` of x < 0
  raise :class:`DomainError`; division by zero and ``0 ** negative`` raise
  ``ZeroDivisionError``; a negative base to a non-integer power raises :class:`DomainError`
  (never a complex number). A forward raises :class:`OutOfDomain`, which says which of
  those to raise and with what message: the caller names the operands it was given.
* Overflow is never an error: ``exp(1000)``, ``10.0 ** 400`` and ``1e308 * 10`` all give
  ``inf`` (with the right sign). NaN and infinity flow through like in IEEE arithmetic;
  ``sin``, ``cos`` and ``tan`` of +-inf are NaN.
* Where a derivative is infinite at a point of the domain (``sqrt`` at 0, ``x ** 0.5`` at 0)
  the first-order gradient is ``inf``; higher-order gradients there are not defined and
  raise :class:`DomainError`.
* At a kink the derivative is the one-sided value PyTorch uses: ``relu'(0) = 0``,
  ``abs'(0) = 0``, ``leaky_relu'(0) = slope``.

Ops with a constant (``x ** c``, ``c ** x``, ``leaky_relu(x, c)``) take it as their last
forward argument and as the first argument of their ``rule``; ``op.bind(c)`` is a node's rule.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Union

if TYPE_CHECKING:
    from autograd.engine import Value

Grad = Union[float, "Value"]
"""A gradient: a float (first order) or a Value (a graph, for higher order)."""


Rule = Callable[..., tuple[Grad, ...]]
"""A local-gradient rule: ``rule(g, out, *parents) -> (g * dout/dparent for each parent)``,
all of them floats, or all Values (the rule then builds a graph). Arity is the op's."""


class DomainError(ValueError):
    """An operand lies outside an operation's real domain (``log(-1)``, ``sqrt(-1)``...)."""


class OutOfDomain(Exception):
    """Raised by a forward: the error to raise, once the caller names the operands.

    ``message`` may hold ``{0}``, ``{1}``... for the operands (formatted with ``!r``), so
    ``Value(-1.0).log()`` says ``got Value(data=-1.0, grad=0.0)`` and ``autograd.log(-1.0)``
    says ``got -1.0``.
    """

    def __init__(self, error: type[ArithmeticError | ValueError], message: str) -> None:
        super().__init__(message)
        self.error, self.message = error, message

    def naming(self, *operands: object) -> ArithmeticError | ValueError:
        """The error to raise, its message naming the operands (their ``repr``)."""
        return self.error(self.message.format(*map(repr, operands)))


def as_float(x: object, where: str) -> float:
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


@dataclass(frozen=True)
class Op:
    """One primitive: see the module docstring for each field."""

    #: The op's name: ``Value.<name>`` and ``autograd.<name>`` where it is a function.
    name: str
    #: How many parents its nodes have; 0 for the n-ary fused ops (``sum``, ``dot``).
    arity: int
    #: Its value in floats, with the domain policy (raises :class:`OutOfDomain`).
    forward: Callable[..., float]
    #: Its local-gradient rule ``rule(g, out, *parents)``; ``rule(c, g, out, a)`` for an op
    #: with a constant, bound per node by :meth:`bind`.
    rule: Rule
    #: The ``_op`` its nodes record, as pictures and messages show it.
    label: str
    #: What it computes, in a line (the method's docstring).
    doc: str
    #: Its local derivative in words, as a page of the chain rule shows it.
    derivative: str
    #: Its spelling as a Python expression in floats (``{0}``, ``{out}``, ``{c}``).
    code: str
    #: The spelling of each partial derivative, in the same placeholders.
    partials: tuple[str, ...]
    #: It takes a number besides its parents (``x ** c``, ``leaky_relu``).
    with_constant: bool = False
    #: Its forward raises :class:`OutOfDomain` for some operands (``log``, ``/``, ``**``...).
    refuses: bool = False
    #: The class of its nodes' rules (an op with a constant): a BoundRule that names this row.
    _bound: type[BoundRule] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.with_constant:
            bound = type(f"{self.name}_rule", (BoundRule,), {"op": self, "__slots__": ()})
            object.__setattr__(self, "_bound", bound)

    def bind(self, c: float) -> BoundRule:
        """The rule of a node ``op(a; c)`` of an op with a constant."""
        if self._bound is None:
            raise TypeError(f"Op.bind: {self.name} takes no constant")
        return self._bound(self.rule, c)


class BoundRule(functools.partial[tuple[Grad, ...]]):
    """The rule of one node of an op with a constant: the row's rule with ``c`` bound first.

    It names its row (``op``: each such row has its own subclass) and constant (``c``),
    which the compiler reads; it pickles as the row's name and the constant.
    """

    #: The row this rule belongs to (a class attribute of the row's own subclass).
    op: ClassVar[Op]

    @property
    def c(self) -> float:
        """The constant (the exponent of ``x ** c``, the slope of ``leaky_relu``)."""
        return float(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return _bound_rule, (self.op.name, self.c)


def _bound_rule(name: str, c: float) -> BoundRule:
    return next(op for op in OPS if op.name == name).bind(c)


# --------------------------------------------------------------------------------------------
# Helpers of the rules: math on floats, the Value method on Values
# --------------------------------------------------------------------------------------------


def _math(name: str, on_floats: Callable[[float], float]) -> Callable[[Grad], Grad]:
    def f(x: Grad) -> Grad:
        return on_floats(x) if isinstance(x, float) else getattr(x, name)()

    return f


def _periodic(f: Callable[[float], float]) -> Callable[[float], float]:
    """``f`` with NaN at +-inf (IEEE 754 and PyTorch; ``math.sin`` raises ValueError there)."""

    def g(x: float) -> float:
        return f(x) if math.isfinite(x) else math.nan

    return g


def _sigmoid_float(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for either sign of x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus_float(x: float) -> float:
    """log(1 + e^x) as max(x, 0) + log1p(e^-|x|): never overflows."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _exp_float(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log_float(x: float) -> float:
    if not x > 0:
        if x != x:  # NaN propagates
            return x
        raise OutOfDomain(DomainError, "log: operand must be > 0, got {0}")
    return math.log(x)


def _sqrt_float(x: float) -> float:
    if x < 0:
        raise OutOfDomain(DomainError, "sqrt: operand must be >= 0, got {0}")
    return math.sqrt(x)


def _div_float(a: float, b: float) -> float:
    if b == 0.0:
        raise OutOfDomain(ZeroDivisionError, "/: division by zero ({0} / {1})")
    return a / b


def _pow_float(base: float, exponent: float) -> float:
    """base ** exponent over the reals; see the module docstring for the error policy."""
    if base == 0.0 and exponent < 0:
        raise OutOfDomain(ZeroDivisionError, f"**: 0 raised to the negative power {exponent!r}")
    is_integer = exponent == exponent and math.isfinite(exponent) and exponent.is_integer()
    if base < 0 and not is_integer and math.isfinite(exponent):
        raise OutOfDomain(
            DomainError,
            f"**: negative base {base!r} to the non-integer power {exponent!r} has no real value",
        )
    try:
        return float(base**exponent)
    except OverflowError:
        negative = base < 0 and is_integer and exponent % 2 == 1
        return -math.inf if negative else math.inf


_sin, _cos, _tan = _periodic(math.sin), _periodic(math.cos), _periodic(math.tan)
_sin_of, _cos_of = _math("sin", _sin), _math("cos", _cos)
_log_of, _sigmoid_of = _math("log", math.log), _math("sigmoid", _sigmoid_float)


def _no_higher_order_at_singularity(op: str, *operands: Grad) -> None:
    """Raise if a gradient graph is being built through an infinite derivative."""
    if not all(isinstance(x, float) for x in operands):
        raise DomainError(
            f"{op}: its derivative is infinite at {tuple(float(x) for x in operands)}, so "
            "higher-order gradients there are not defined"
        )


def _is_zero(x: Grad) -> bool:
    """``x == 0``, asked of a Value by comparisons (``==`` is identity for Values), so that a
    compiled program tracing a higher-order gradient records the branch as a guard."""
    if type(x) is float:
        return x == 0.0
    return x <= 0.0 and x >= 0.0


# A rule that branches on its operands asks the operands themselves (``a > 0``, not
# ``float(a) > 0``): on Values, the comparison is what autograd.compile guards.


def _pow_derivative(a: Grad, b: Grad) -> Grad:
    """d(a^b)/da = b a^(b-1); at a == 0: 0 for b == 0 (as PyTorch), +-inf for b < 1."""
    if _is_zero(a) and b < 1.0:
        if _is_zero(b):
            return 0.0
        _no_higher_order_at_singularity("**", a, b)
        return math.copysign(math.inf, b)
    if isinstance(b, float) and b == 0.0:  # a fixed exponent 0: a^0 is flat
        return 0.0
    if isinstance(a, float) and isinstance(b, float):
        return b * _pow_float(a, b - 1.0)
    return b * a ** (b - 1.0)


def _pow_exponent_gradient(g: Grad, out: Grad, a: Grad) -> Grad:
    # d(a^b)/db = a^b log a; 0 at a == 0 (where b >= 0), undefined (NaN) for a < 0, as PyTorch.
    if a > 0:
        return g * out * _log_of(a)
    return 0.0 if _is_zero(a) else math.nan


def _sqrt_rule(g: Grad, out: Grad, a: Grad) -> tuple[Grad, ...]:
    if not _is_zero(out):
        return (g * 0.5 / out,)
    _no_higher_order_at_singularity("sqrt", out)
    return (g * math.inf,)


def _pow_const_vjp(c: float, g: Grad, out: Grad, a: Grad) -> tuple[Grad, ...]:
    return (g * _pow_derivative(a, c),)  # d(a^c) = c a^(c-1) da


def _rpow_const_vjp(c: float, g: Grad, out: Grad, a: Grad) -> tuple[Grad, ...]:
    return (_pow_exponent_gradient(g, out, c),)  # d(c^a) = c^a log c da


def _leaky_relu_vjp(slope: float, g: Grad, out: Grad, a: Grad) -> tuple[Grad, ...]:
    return (g if a > 0 else g * slope,)


def _sum_float(*terms: float) -> float:
    total = 0.0
    for t in terms:
        total += t
    return total


def _dot_float(*parents: float) -> float:
    """``b + w0*x0 + w1*x1 + ...`` of ``(w_0..w_{n-1}, x_0..x_{n-1}, b)``, left to right."""
    n = len(parents) // 2
    total = parents[-1]
    for w, x in zip(parents[:n], parents[n:-1], strict=True):
        total += w * x
    return total


def _dot_rule(g: Grad, out: Grad, *parents: Grad) -> tuple[Grad, ...]:
    # d/dw_i = x_i, d/dx_i = w_i, d/db = 1.
    n = len(parents) // 2
    return (*[g * x for x in parents[n:-1]], *[g * w for w in parents[:n]], g)


# --------------------------------------------------------------------------------------------
# The rows. rule(g, out, a[, b]) -> (g * dout/da[, g * dout/db])
# --------------------------------------------------------------------------------------------

# One row per primitive. Read across: the forward in floats, the rule (its derivative as a
# vector-Jacobian product), what pictures call it, the derivative in words, the code
# spellings (value, then one per partial), and the oracles' spellings.
# fmt: off
ADD = Op("add", 2, forward=operator.add, rule=lambda g, out, a, b: (g, g), label="+",
         doc="a + b", derivative="d(a+b)/da = d(a+b)/db = 1",
         code="{0} + {1}", partials=("1.0", "1.0"))
SUB = Op("sub", 2, forward=operator.sub, rule=lambda g, out, a, b: (g, -g), label="-",
         doc="a - b", derivative="d(a-b)/da = 1, d(a-b)/db = -1",
         code="{0} - {1}", partials=("1.0", "-1.0"))
MUL = Op("mul", 2, forward=operator.mul, rule=lambda g, out, a, b: (g * b, g * a), label="*",
         doc="a * b", derivative="d(a*b)/da = b, d(a*b)/db = a",
         code="{0} * {1}", partials=("{1}", "{0}"))
DIV = Op("div", 2, forward=_div_float, rule=lambda g, out, a, b: (g / b, -g * out / b),
         label="/", doc="a / b; ZeroDivisionError if b == 0",
         derivative="d(a/b)/da = 1/b, d(a/b)/db = -a/b^2",
         code="{0} / {1}", partials=("1.0 / {1}", "-{out} / {1}"), refuses=True)
POW = Op("pow", 2, forward=_pow_float,
         rule=lambda g, out, a, b: (g * _pow_derivative(a, b), _pow_exponent_gradient(g, out, a)),
         label="**", doc="a ** b for a Value b", refuses=True,
         derivative="d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a",
         code="{0} ** {1}", partials=("{1} * {0} ** ({1} - 1.0)", "{out} * math.log({0})"))
POW_CONST = Op("pow_const", 1, forward=_pow_float, rule=_pow_const_vjp, label="**{c}",
               doc="a ** c for a number c", derivative="d(a^c)/da = c a^(c-1)",
               code="{0} ** {c}", partials=("{c} * {0} ** ({c} - 1.0)",), with_constant=True,
               refuses=True)
RPOW_CONST = Op("rpow_const", 1, forward=lambda x, c: _pow_float(c, x),
                rule=_rpow_const_vjp, label="{c}**", doc="c ** a for a number c",
                derivative="d(c^a)/da = c^a log c",
                code="{c} ** {0}", partials=("{out} * math.log({c})",), with_constant=True,
                refuses=True)
IDENTITY = Op("identity", 1, forward=operator.pos, rule=lambda g, out, a: (g,), label="arg",
              doc="a, as a new node: a transform's variable (autograd.grad of a Value)",
              derivative="d a/da = 1", code="+{0}", partials=("1.0",))
NEG = Op("neg", 1, forward=operator.neg, rule=lambda g, out, a: (-g,), label="neg",
         doc="-a", derivative="d(-a)/da = -1",
         code="-{0}", partials=("-1.0",))
ABS = Op("abs", 1, forward=abs, rule=lambda g, out, a: (g if a > 0 else -g if a < 0 else 0.0,),
         label="abs", doc="``|a|``", derivative="d|a|/da = sign(a), 0 at a = 0",
         code="abs({0})", partials=("(1.0 if {0} > 0 else -1.0 if {0} < 0 else 0.0)",))
EXP = Op("exp", 1, forward=_exp_float, rule=lambda g, out, a: (g * out,), label="exp",
         doc="e^a (inf on overflow)", derivative="d exp(a)/da = exp(a)",
         code="math.exp({0})", partials=("{out}",))
LOG = Op("log", 1, forward=_log_float, rule=lambda g, out, a: (g / a,), label="log",
         doc="Natural logarithm; DomainError unless a > 0", derivative="d log(a)/da = 1/a",
         code="math.log({0})", partials=("1.0 / {0}",), refuses=True)
SQRT = Op("sqrt", 1, forward=_sqrt_float, rule=_sqrt_rule, label="sqrt",
          doc="Square root; DomainError if a < 0", derivative="d sqrt(a)/da = 1/(2 sqrt(a))",
          code="math.sqrt({0})", partials=("0.5 / {out}",), refuses=True)
TANH = Op("tanh", 1, forward=math.tanh, rule=lambda g, out, a: (g * (1.0 - out * out),),
          label="tanh", doc="Hyperbolic tangent", derivative="tanh'(z) = 1 - tanh(z)^2",
          code="math.tanh({0})", partials=("1.0 - {out} * {out}",))
SIGMOID = Op("sigmoid", 1, forward=_sigmoid_float,
             rule=lambda g, out, a: (g * out * (1.0 - out),), label="sigmoid",
             doc="Logistic function 1 / (1 + e^-a), stable for large ``|a|``",
             derivative="sigmoid'(z) = s(z) (1 - s(z))",
             code="1.0 / (1.0 + math.exp(-{0}))", partials=("{out} * (1.0 - {out})",))
RELU = Op("relu", 1, forward=lambda x: 0.0 if x < 0 else x,
          rule=lambda g, out, a: (g if a > 0 else 0.0,), label="ReLU",
          doc="max(a, 0), with derivative 0 at a == 0 (as micrograd and PyTorch)",
          derivative="ReLU'(z) = 1 if z > 0 else 0",
          code="(0.0 if {0} < 0 else {0})", partials=("(1.0 if {0} > 0 else 0.0)",))
LEAKY_RELU = Op("leaky_relu", 1, forward=lambda x, c: x if x > 0 else c * x,
                rule=_leaky_relu_vjp, label="leaky_relu", doc="a if a > 0 else negative_slope * a",
                derivative="leaky_relu'(z) = 1 if z > 0 else c", with_constant=True,
                code="({0} if {0} > 0 else {c} * {0})", partials=("(1.0 if {0} > 0 else {c})",))
SOFTPLUS = Op("softplus", 1, forward=_softplus_float, rule=lambda g, out, a: (g * _sigmoid_of(a),),
              label="softplus", derivative="d softplus(a)/da = sigmoid(a)",
              doc="log(1 + e^a), computed as ``max(a, 0) + log1p(e^-|a|)`` so it never overflows",
              code="max({0}, 0.0) + math.log1p(math.exp(-abs({0})))",
              partials=("1.0 / (1.0 + math.exp(-{0}))",))
SIN = Op("sin", 1, forward=_sin, rule=lambda g, out, a: (g * _cos_of(a),), label="sin",
         doc="Sine (NaN at +-inf)", derivative="d sin(a)/da = cos(a)",
         code="math.sin({0})", partials=("math.cos({0})",))
COS = Op("cos", 1, forward=_cos, rule=lambda g, out, a: (-g * _sin_of(a),), label="cos",
         doc="Cosine (NaN at +-inf)", derivative="d cos(a)/da = -sin(a)",
         code="math.cos({0})", partials=("-math.sin({0})",))
TAN = Op("tan", 1, forward=_tan, rule=lambda g, out, a: (g * (1.0 + out * out),), label="tan",
         doc="Tangent (NaN at +-inf)", derivative="d tan(a)/da = 1 + tan(a)^2",
         code="math.tan({0})", partials=("1.0 + {out} * {out}",))
SUM = Op("sum", 0, forward=_sum_float, rule=lambda g, out, *terms: (g,) * len(terms),
         label="sum", doc="start + v0 + v1 + ... as one node", derivative="d(sum)/d(term) = 1",
         code="sum", partials=("1.0",))
DOT = Op("dot", 0, forward=_dot_float, rule=_dot_rule, label="dot",
         doc="bias + w0*x0 + w1*x1 + ... as one node",
         derivative="d(b + w.x)/dw_i = x_i, /dx_i = w_i, /db = 1",
         code="dot", partials=("{x_i}", "{w_i}", "1.0"))
# fmt: on

OPS: tuple[Op, ...] = (
    ADD, SUB, MUL, DIV, POW, POW_CONST, RPOW_CONST, IDENTITY, NEG, ABS, EXP, LOG, SQRT, TANH,
    SIGMOID, RELU, LEAKY_RELU, SOFTPLUS, SIN, COS, TAN, SUM, DOT,
)  # fmt: skip
"""Every primitive (:class:`Op`), in the order of this module. A new row goes here too, and
into ``tests/oracles.py`` (a test checks both lists name the same ops)."""
for _op in OPS:  # pickle finds a row's rule at the row (``ADD.rule``)
    if not _op.with_constant:
        _op.rule.__module__, _op.rule.__qualname__ = __name__, f"{_op.name.upper()}.rule"
