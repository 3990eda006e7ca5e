"""The checks every part of ``nn`` shares: one policy for numbers, sizes, labels and messages.

Policy:

* **bools are never numbers**: ``True`` is refused wherever ``nn`` expects a size, a count, a
  class label or a hyperparameter, although Python counts it as the int 1;
* **hyperparameters are finite and in range**: the same :class:`Range` is checked by the
  API (constructors, :func:`nn.fit`), the command line and the loader of saved states;
* **a message quotes at most** :data:`QUOTE_LIMIT` **characters** of anything it was given
  (:func:`shorten`), so a 5 MB key makes a one-line error, not a 5 MB one.

Checks raise ``ValueError`` naming the operation and the parameter, e.g.
``SGD: momentum must be a finite number in [0, 1), got inf``; the checks of saved states raise
:class:`StateError` (a ``ValueError``) naming the key.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass

#: The most characters of a value or key that an error message quotes.
QUOTE_LIMIT = 80


class StateError(ValueError):
    """A state dict or a saved file that cannot be loaded; the message names key and problem."""


def shorten(value: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis if longer."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # never copy a huge string whole
    try:
        text = repr(value)
    except ValueError:  # an int of more digits than Python converts to text
        return f"<{type(value).__name__} too large to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_real(value: object) -> bool:
    """A real number that is not a bool (ints, floats, numpy scalars, fractions...)."""
    if type(value) in (float, int):  # the common case, without the slower ABC check
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Range:
    """An interval of allowed values: ``[low, high]``, each end open if asked, both finite-valued.

    ``str(Range(0, 1, high_open=True))`` is ``'in [0, 1)'``; a missing end is infinite.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, x: float) -> bool:
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return not (self.high is not None and (x >= self.high if self.high_open else x > self.high))

    def __str__(self) -> str:
        if self.high is None:
            return "> " + _num(self.low) if self.low_open else ">= " + _num(self.low)
        left = ("(" if self.low_open else "[") + _num(self.low)
        return f"in {left}, {_num(self.high)}{')' if self.high_open else ']'}"


def _num(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


#: The ranges of the hyperparameters, one definition for the API, the CLI and the loader.
NON_NEGATIVE = Range(0.0)  # lr, weight decay, eps, L2 alpha, gamma, min_delta
FRACTION = Range(0.0, 1.0, high_open=True)  # momentum, betas
UNIT = Range(0.0, 1.0)  # dampening
ANY = Range()

#: The largest step count a state may hold: every count below 2**53 is exact in a float,
#: and beyond it ``beta ** step`` would stop being meaningful.
MAX_STEP = 2**53


def finite_in(value: object, allowed: Range = ANY) -> float | None:
    """``value`` as a float if it is a finite real number (not a bool) in ``allowed``, else None."""
    if not is_real(value):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return x if math.isfinite(x) and x in allowed else None


def number(op: str, name: str, value: object, allowed: Range = ANY) -> float:
    """``value`` as a float if it is a finite real number (not a bool) in ``allowed``.

    Else ``ValueError: {op}: {name} must be a finite number {allowed}, got {value}``.
    """
    x = finite_in(value, allowed)
    if x is not None:
        return x
    where = "" if allowed == ANY else f" {allowed}"
    raise ValueError(f"{op}: {name} must be a finite number{where}, got {shorten(value)}")


def positive_int(op: str, name: str, value: object) -> int:
    """``value`` if it is an int >= 1 (not a bool), else ValueError naming ``op`` and ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive integer, got {shorten(value)}")
    return value


def class_index(value: object) -> int | None:
    """``value`` as an int if it is an integral number (0, ``numpy.int64(0)``, 0.0), else None.

    Bools are not class indices (policy above), nor are 0.5, NaN or strings.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return operator.index(value)
    if isinstance(value, numbers.Real):
        x = float(value)
        return int(x) if x.is_integer() else None
    return None


def state_number(value: object, key: str, allowed: Range = ANY) -> float:
    """A number read from a saved state: a finite float in ``allowed``, else StateError naming
    ``key``."""
    if not is_real(value):
        raise StateError(f"{shorten(key)}: expected a number, got {type(value).__name__}")
    try:
        x = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise StateError(f"{shorten(key)}: number too large for a float") from None
    if not math.isfinite(x) or x not in allowed:
        where = "" if allowed == ANY else f" {allowed}"
        raise StateError(f"{shorten(key)}: expected a finite number{where}, got {shorten(value)}")
    return x


def state_numbers(value: object, length: int, key: str) -> list[float]:
    """``value`` as a list of ``length`` finite floats, else StateError naming ``key``."""
    if not isinstance(value, list) or len(value) != length:
        got = f"a list of length {len(value)}" if isinstance(value, list) else type(value).__name__
        raise StateError(f"{shorten(key)}: expected a list of {length} numbers, got {got}")
    return [state_number(v, f"{key}.{i}") for i, v in enumerate(value)]


def first(names: list[str], shown: int = 3) -> str:
    """At most ``shown`` names, each shortened, and how many more: messages stay one line."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"[{', '.join(shorten(n) for n in names[:shown])}]{more}"
