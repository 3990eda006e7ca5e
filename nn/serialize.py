"""Save and load the state of modules and optimizers as JSON: atomic writes, validated reads.

A file holds one JSON object::

    {"format": "valuegrad", "version": 1, "kind": "MLP", "state": {...}}

where ``state`` is what the object's ``state_dict()`` returns (plain lists, floats, ints and
strings). Reading never runs code (no pickle, no eval) and trusts nothing: a file that is too
big, not UTF-8, not JSON, nested too deeply, holds ``NaN``/``Infinity`` tokens, numbers that
overflow a float, values of the wrong type or shape, or the state of another kind of object
raises :class:`StateError` naming the problem, and the object is left exactly as it was
(``load_state_dict`` checks everything before it writes anything).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from autograd._files import write_text_atomic

FORMAT = "valuegrad"
VERSION = 1
#: Files larger than this are refused before they are parsed.
MAX_BYTES = 64 * 1024 * 1024


class StateError(ValueError):
    """A state dict or a saved file that cannot be loaded; the message names key and problem."""


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


S = TypeVar("S", bound=Stateful)


def check_number(value: object, key: str) -> float:
    """``value`` as a float if it is a finite real number (not a bool), else StateError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise StateError(f"{key!r}: expected a number, got {type(value).__name__}")
    try:
        x = float(value)
    except OverflowError:
        raise StateError(f"{key!r}: number too large for a float") from None
    if not math.isfinite(x):
        raise StateError(f"{key!r}: expected a finite number, got {value!r}")
    return x


def check_numbers(value: object, length: int, key: str) -> list[float]:
    """``value`` as a list of ``length`` finite floats, else StateError naming ``key``."""
    if not isinstance(value, list) or len(value) != length:
        got = f"a list of length {len(value)}" if isinstance(value, list) else type(value).__name__
        raise StateError(f"{key!r}: expected a list of {length} numbers, got {got}")
    return [check_number(v, f"{key}.{i}") for i, v in enumerate(value)]


def save(obj: Stateful, path: str | os.PathLike[str]) -> None:
    """Write ``obj.state_dict()`` to ``path`` as JSON, atomically.

    The text goes to a temporary file in the same directory, is flushed and fsync'ed, and
    then replaces ``path`` in one ``os.replace``: a reader sees the old file or the new one,
    never half of one, even if the process dies mid-write.
    """
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "kind": type(obj).__name__,
        "state": obj.state_dict(),
    }
    try:
        text = json.dumps(payload, allow_nan=False)
    except ValueError:
        raise StateError(
            f"save: the state of {type(obj).__name__} holds NaN or infinity, "
            "which a state file may not contain"
        ) from None
    write_text_atomic(path, text)


def load(obj: S, path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> S:
    """Read a file written by :func:`save` into ``obj`` (via ``load_state_dict``); return ``obj``.

    Raises :class:`StateError` (a ``ValueError``) for any bad file, with ``obj`` unchanged.
    """
    where = os.fspath(path)
    with open(where, "rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise StateError(f"load: {where} is larger than the limit of {max_bytes} bytes")
    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except RecursionError:
        raise StateError(f"load: {where} is nested too deeply") from None
    except StateError as e:
        raise StateError(f"load: {where}: {e}") from None
    except ValueError as e:  # not UTF-8, not JSON (e.g. truncated), an integer too long
        raise StateError(f"load: {where} is not a valid state file: {e}") from None
    state = _unwrap(payload, type(obj).__name__, where)
    obj.load_state_dict(state)
    return obj


def _reject_constant(token: str) -> None:
    raise StateError(f"the token {token} is not allowed (only finite numbers)")


def _unwrap(payload: object, kind: str, where: str) -> Mapping[str, Any]:
    """The ``state`` of a parsed file, after checking its header."""
    if not isinstance(payload, dict):
        raise StateError(f"load: {where}: expected a JSON object, got {type(payload).__name__}")
    if payload.get("format") != FORMAT or payload.get("version") != VERSION:
        raise StateError(
            f"load: {where}: not a {FORMAT} state file of version {VERSION} "
            f"(format {payload.get('format')!r}, version {payload.get('version')!r})"
        )
    if payload.get("kind") != kind:
        raise StateError(
            f"load: {where} holds the state of a {payload.get('kind')!r}, not of a {kind!r}"
        )
    state = payload.get("state")
    if not isinstance(state, dict):
        raise StateError(f"load: {where}: 'state' must be an object, got {type(state).__name__}")
    return state
