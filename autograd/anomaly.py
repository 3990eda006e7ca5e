"""Anomaly detection: stop at the first NaN or infinity an operation produces, and say where.

    >>> from autograd import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     y = Value(800.0).exp() * 0.0
    Traceback (most recent call last):
    ...
    autograd.anomaly.AnomalyError: exp produced inf from finite inputs ...

Like ``torch.autograd.detect_anomaly``, it is a debugging mode: slower (every node records
the line of code that made it, and every value and local gradient is checked), and meant to
be switched on while hunting a NaN. Inside the block:

* **forward**: an operation whose inputs are all finite but whose result is not (``exp`` of
  a large number, ``inf - inf`` cannot happen without an earlier infinity) raises;
* **backward** (``backward()``, :func:`autograd.gradients` and the transforms): a local
  gradient that is not finite although the incoming gradient is raises, naming the
  operation, its inputs and the line of user code where its node was created.

Values made outside the block have no recorded line; the error says so.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
import weakref
from collections.abc import Iterator, Sequence

from autograd import engine
from autograd.engine import Grad, Value

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class AnomalyError(FloatingPointError):
    """An operation produced NaN or infinity (in forward or backward) from finite numbers."""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: raise :class:`AnomalyError` at the first non-finite value or gradient.

    Works per thread and per asyncio task (a ``contextvars`` setting, like ``no_grad``).
    Inside :func:`autograd.no_grad` nothing is recorded and so nothing is checked.
    """
    detector = _Detector()
    anomaly_token = engine._anomaly.set(detector)
    recording_token = engine._recording.set(detector if engine.is_grad_enabled() else False)
    try:
        yield
    finally:
        engine._recording.reset(recording_token)
        engine._anomaly.reset(anomaly_token)


class _Detector:
    """Remembers where each node was created and checks values and local gradients."""

    def __init__(self) -> None:
        self._sites: weakref.WeakKeyDictionary[Value, tuple[str, int, str]] = (
            weakref.WeakKeyDictionary()
        )

    def created(self, out: Value) -> None:
        """Called for every node made inside the block, right after it is made."""
        self._sites[out] = _user_frame()
        if not math.isfinite(out.data) and all(math.isfinite(p.data) for p in out._prev):
            raise AnomalyError(
                f"{out._op} produced {out.data} from finite inputs {_values(out._prev)}, "
                f"at {self._where(out)}"
            )

    def check_gradients(self, node: Value, g: Grad, local: Sequence[Grad]) -> None:
        """Called in backward with each node's incoming gradient and its local gradients."""
        if not math.isfinite(float(g)):
            return  # already non-finite upstream: that node was reported
        for i, gp in enumerate(local):
            if not math.isfinite(float(gp)):
                raise AnomalyError(
                    f"backward of {node._op}: the gradient for its input {i} is {float(gp)} "
                    f"(incoming gradient {float(g)}); its inputs are {_values(node._prev)} "
                    f"and its result {node.data}; the node was created at {self._where(node)}"
                )

    def _where(self, node: Value) -> str:
        site = self._sites.get(node)
        if site is None:
            return "an unknown place (it was made outside detect_anomaly())"
        filename, lineno, function = site
        code = linecache.getline(filename, lineno).strip()
        return f"{filename}:{lineno} in {function}" + (f": {code}" if code else "")


def _user_frame() -> tuple[str, int, str]:
    """(file, line, function) of the innermost caller outside this package."""
    frame = sys._getframe(2)
    while frame is not None and _in_package(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0, "?")
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def _in_package(filename: str) -> bool:
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR


def _values(nodes: Sequence[Value]) -> str:
    return "(" + ", ".join(repr(p.data) for p in nodes) + ")"
