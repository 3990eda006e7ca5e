"""A scalar autograd engine: ``Value`` records a computation graph, ``backward()`` runs it back.

>>> from autograd import Value
>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

:func:`~autograd.jit.compile` and :func:`~autograd.functional.sum` are importable
(``from autograd import compile, sum``, ``autograd.compile(fn)``, ``autograd.sum(values)``)
but are not in ``__all__``, so ``from autograd import *`` does not shadow the builtins
``compile`` and ``sum``. What code built on the engine may use beyond these names is
:mod:`autograd.extend`.
"""

from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import Value
from autograd.functional import (
    GradcheckError,
    cos,
    custom_op,
    dot,
    exp,
    grad,
    gradcheck,
    gradients,
    hessian,
    leaky_relu,
    log,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    tan,
    tanh,
    value_and_grad,
)
from autograd.functional import (
    sum as sum,  # not in __all__: import * keeps the builtin
)
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd.graph import backward_steps
from autograd.guards import StaleGraphError
from autograd.jit import CompileMismatch, compile_mean
from autograd.jit import compile as compile  # not in __all__: import * keeps the builtin
from autograd.ops import DomainError

__all__ = [
    "AnomalyError",
    "CompileMismatch",
    "DomainError",
    "GradcheckError",
    "StaleGraphError",
    "Value",
    "backward_steps",
    "compile_mean",
    "cos",
    "custom_op",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "exp",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "no_grad",
    "relu",
    "set_grad_enabled",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "tan",
    "tanh",
    "value_and_grad",
]
# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]),
# nn re-exports this same object, and docs/changelog.md has a section for each.
__version__ = "0.2.0"
