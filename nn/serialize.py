"""Save and load the state of modules and optimizers as JSON: atomic writes, validated reads.

A file holds one JSON object::

    {"format": "valuegrad", "version": 1, "kind": "MLP", "state": {...},
     "architecture": {"nin": 2, "nouts": [16, 16, 1], "activation": "relu",
                      "output_activation": "linear"}}

where ``state`` is what the object's ``state_dict()`` returns (plain lists, floats, ints and
strings) and ``architecture``, written for an :class:`~nn.MLP` only, what ``MLP(...)`` needs to
rebuild the model (:func:`load_model`). Files without it (older ones) still load into a model
built by hand; a file whose architecture differs from the model's is refused.

Reading never runs code (no pickle, no eval) and trusts nothing: a file that is too big, not
UTF-8, not JSON, nested too deeply, holds ``NaN``/``Infinity`` tokens, numbers that overflow a
float, values of the wrong type, range or shape, or the state of another kind of object
raises :class:`StateError` naming the problem, and the object is left exactly as it was
(``load_state_dict`` checks everything before it writes anything).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from autograd.extend import write_text_atomic
from nn._validate import StateError, shorten
from nn.module import MLP, Architecture, check_architecture

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "StateError",
    "load",
    "load_model",
    "save",
    "saved_architecture",
]

#: The ``"format"`` a state file names: files of another format are refused.
FORMAT = "valuegrad"
#: The ``"version"`` of the state files this module writes and reads.
VERSION = 1
#: Files larger than this are refused before they are parsed.
MAX_BYTES = 64 * 1024 * 1024


class Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


S = TypeVar("S", bound=Stateful)


def save(obj: Stateful, path: str | os.PathLike[str]) -> None:
    """Write ``obj.state_dict()`` to ``path`` as JSON, atomically; an MLP's architecture too.

    The text goes to a temporary file in the same directory, is flushed and fsync'ed, and
    then replaces ``path`` in one ``os.replace``: a reader sees the old file or the new one,
    never half of one, even if the process dies mid-write.
    """
    payload: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "kind": type(obj).__name__,
        "state": obj.state_dict(),
    }
    if isinstance(obj, MLP):
        payload["architecture"] = obj.architecture()
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

    If the file records an architecture, it must be ``obj``'s. Raises :class:`StateError`
    (a ``ValueError``) for any bad file, with ``obj`` unchanged.
    """
    where, payload, size = _read(path, max_bytes)
    state = _unwrap(payload, type(obj).__name__, where)
    if isinstance(obj, MLP):
        saved = _architecture(payload, state, size, where)
        if saved is not None and saved != obj.architecture():
            raise StateError(
                f"load: {where} holds {_describe(saved)}, not the {_describe(obj.architecture())} "
                "it is loaded into"
            )
    obj.load_state_dict(state)
    return obj


def saved_architecture(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES
) -> Architecture | None:
    """The checked architecture of the MLP saved in ``path``; None for files that lack one."""
    where, payload, size = _read(path, max_bytes)
    return _architecture(payload, _unwrap(payload, "MLP", where), size, where)


def load_model(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> MLP:
    """Rebuild the MLP saved in ``path`` from its recorded architecture and load its weights."""
    architecture = saved_architecture(path, max_bytes=max_bytes)
    if architecture is None:
        raise StateError(
            f"load_model: {os.fspath(path)} does not record the model's architecture (an older "
            "file): build the MLP with the sizes it was trained with and use nn.load(model, path)"
        )
    return load(MLP(**architecture), path, max_bytes=max_bytes)


def _read(path: str | os.PathLike[str], max_bytes: int) -> tuple[str, object, int]:
    """``(path as text, parsed JSON, size in bytes)``; StateError for what is not JSON."""
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
        raise StateError(f"load: {where} is not a valid state file: {shorten(str(e))}") from None
    return where, payload, len(raw)


def _reject_constant(token: str) -> None:
    raise StateError(f"the token {token} is not allowed (only finite numbers)")


def _unwrap(payload: object, kind: str, where: str) -> Mapping[str, Any]:
    """The ``state`` of a parsed file, after checking its header."""
    if not isinstance(payload, dict):
        raise StateError(f"load: {where}: expected a JSON object, got {type(payload).__name__}")
    version = payload.get("version")
    if payload.get("format") != FORMAT or type(version) is not int or version != VERSION:
        raise StateError(
            f"load: {where}: not a {FORMAT} state file of version {VERSION} "
            f"(format {shorten(payload.get('format'))}, version {shorten(version)})"
        )
    if payload.get("kind") != kind:
        raise StateError(
            f"load: {where} holds the state of a {shorten(payload.get('kind'))}, not of a {kind!r}"
        )
    state = payload.get("state")
    if not isinstance(state, dict):
        raise StateError(f"load: {where}: 'state' must be an object, got {type(state).__name__}")
    return state


def _architecture(
    payload: object, state: Mapping[str, Any], size: int, where: str
) -> Architecture | None:
    """The file's checked ``architecture`` (None if absent), small enough for its ``state``.

    A hostile file must not make us build a huge model before its weights are checked: the
    architecture must have one ``w`` and one ``b`` per neuron in ``state``, and no more
    parameters than the file has bytes for (each number takes at least a digit and a comma).
    """
    if not isinstance(payload, Mapping) or "architecture" not in payload:
        return None  # (a payload that is not an object was refused by _unwrap already)
    try:
        architecture = check_architecture(payload["architecture"])
    except StateError as e:
        raise StateError(f"load: {where}: {e}") from None
    neurons = sum(architecture["nouts"])
    sizes = [architecture["nin"], *architecture["nouts"]]
    parameters = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    if 2 * neurons != len(state) or 2 * parameters > size:
        raise StateError(
            f"load: {where}: the architecture ({_describe(architecture)}, {parameters} "
            f"parameters) does not match the state's {len(state)} tensors in {size} bytes"
        )
    return architecture


def _describe(architecture: Architecture) -> str:
    """``MLP(2, [16, 16, 1], activation='relu', output_activation='linear')``."""
    return (
        f"MLP({architecture['nin']}, {architecture['nouts']}, "
        f"activation={architecture['activation']!r}, "
        f"output_activation={architecture['output_activation']!r})"
    )
