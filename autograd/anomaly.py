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
  operation, its inputs and the line of user code where its node was created;
* **stale graphs**: a node whose inputs' ``.data`` changed after it was made (``x.data = 3``
  or an optimizer step between the forward pass and ``backward()``) raises in backward,
  naming the node, the input and both values, since its gradient would mix old and new
  values. Checked for nodes made inside the same ``detect_anomaly()`` block as the
  backward: each block records the nodes made in it (a graph built outside is not checked).

"The line of user code" is the innermost frame outside ``autograd`` and the libraries built
on it, so a node made inside ``nn.MLP`` names the line that called it. A library declares
itself in its package metadata, as valuegrad does for ``nn`` in ``pyproject.toml``::

    [project.entry-points."autograd.libraries"]
    nn = "nn"

Values made outside the block have no recorded line; the error says so.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import linecache
import math
import sys
import types
import weakref
from collections.abc import Iterator, Sequence

from autograd.engine import Value
from autograd.extend import Grad, anomaly_hook


class AnomalyError(FloatingPointError):
    """An operation produced NaN or infinity (in forward or backward) from finite numbers."""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: raise :class:`AnomalyError` at the first non-finite value or gradient.

    Works per thread and per asyncio task (a ``contextvars`` setting, like ``no_grad``).
    Inside :func:`autograd.no_grad` nothing is recorded and so nothing is checked.
    """
    with anomaly_hook(_Detector()):
        yield


class _Detector:
    """Remembers where each node was created and from what, and checks values and gradients."""

    def __init__(self) -> None:
        # node -> ((file, line, function), the parents' data when the node was made)
        self._records: weakref.WeakKeyDictionary[
            Value, tuple[tuple[str, int, str], tuple[float, ...]]
        ] = weakref.WeakKeyDictionary()

    def created(self, out: Value) -> None:
        """Called for every node made inside the block, right after it is made."""
        inputs = tuple(p.data for p in out._prev)
        self._records[out] = (_user_frame(), inputs)
        if not math.isfinite(out.data) and all(math.isfinite(x) for x in inputs):
            raise AnomalyError(
                f"{out._op} produced {out.data} from finite inputs {_values(out._prev)}, "
                f"at {self._where(out)}"
            )

    def check_gradients(self, node: Value, g: Grad, local: Sequence[Grad]) -> None:
        """Called in backward with each node's incoming gradient and its local gradients."""
        self._check_inputs_unchanged(node)
        if not math.isfinite(float(g)):
            return  # already non-finite upstream: that node was reported
        for i, gp in enumerate(local):
            if not math.isfinite(float(gp)):
                raise AnomalyError(
                    f"backward of {node._op}: the gradient for its input {i} is {float(gp)} "
                    f"(incoming gradient {float(g)}); its inputs are {_values(node._prev)} "
                    f"and its result {node.data}; the node was created at {self._where(node)}"
                )

    def _check_inputs_unchanged(self, node: Value) -> None:
        record = self._records.get(node)
        if record is None:
            return
        for i, (p, before) in enumerate(zip(node._prev, record[1])):
            now = p.data
            if now != before and not (now != now and before != before):  # NaN equals NaN
                raise AnomalyError(
                    f"backward of {node._op}: its input {i} had data {before!r} when the node "
                    f"was made and has {now!r} now (changed by .data = ... or an optimizer "
                    f"step), so the graph is stale; the node was created at "
                    f"{self._where(node)}. Run the forward pass again after changing data."
                )

    def _where(self, node: Value) -> str:
        record = self._records.get(node)
        if record is None:
            return "an unknown place (it was made outside detect_anomaly())"
        filename, lineno, function = record[0]
        code = linecache.getline(filename, lineno).strip()
        return f"{filename}:{lineno} in {function}" + (f": {code}" if code else "")


def _user_frame() -> tuple[str, int, str]:
    """(file, line, function) of the innermost caller outside this distribution's packages."""
    frame: types.FrameType | None = sys._getframe(2)
    library = _library_packages()
    while frame is not None and _module_package(frame) in library:
        frame = frame.f_back
    if frame is None:
        return ("<unknown>", 0, "?")
    return (frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name)


def _module_package(frame: types.FrameType) -> str:
    return str(frame.f_globals.get("__name__", "")).partition(".")[0]


#: The entry-point group in which a library built on autograd names its top-level package.
LIBRARIES_GROUP = "autograd.libraries"


@functools.cache
def _library_packages() -> frozenset[str]:
    """The top-level packages that are not user code: ``autograd`` and those the installed
    distributions declare in the ``autograd.libraries`` entry-point group (``nn``).

    Read from package metadata (any build backend writes entry points, for wheels and
    editable installs alike), so ``autograd`` needs no knowledge of the packages built on it;
    run from a source tree without being installed, only ``autograd`` itself.
    """
    own = __name__.partition(".")[0]
    declared = importlib.metadata.entry_points(group=LIBRARIES_GROUP)
    # An entry's module, whether written `pkg`, `pkg.sub` or `pkg.sub:attr`: its top package.
    return frozenset(entry.module.partition(".")[0] for entry in declared) | {own}


def _values(nodes: Sequence[Value]) -> str:
    return repr(tuple(p.data for p in nodes))
