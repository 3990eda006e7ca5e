"""A scalar autograd engine: ``Value`` records a computation graph, ``backward()`` runs it back.

>>> from autograd import Value
>>> x = Value(3.0)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0
"""

from autograd.anomaly import AnomalyError, detect_anomaly
from autograd.engine import (
    DomainError,
    StaleGraphError,
    Value,
    backward_steps,
    dot,
    enable_grad,
    gc_paused,
    is_grad_enabled,
    no_grad,
    sum,
)
from autograd.functional import (
    GradcheckError,
    cos,
    custom_op,
    exp,
    grad,
    gradcheck,
    gradients,
    hessian,
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
from autograd.jit import CompileMismatch, compile, compile_mean

__all__ = [
    "AnomalyError",
    "CompileMismatch",
    "DomainError",
    "GradcheckError",
    "StaleGraphError",
    "Value",
    "backward_steps",
    "compile",
    "compile_mean",
    "cos",
    "custom_op",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "exp",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_grad_enabled",
    "log",
    "no_grad",
    "relu",
    "sigmoid",
    "sin",
    "softplus",
    "sqrt",
    "sum",
    "tan",
    "tanh",
    "value_and_grad",
]
# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]),
# nn re-exports this same object, and docs/changelog.md has a section for each.
__version__ = "0.2.0"
