"""State dicts and files: round trips, and every kind of bad file refused with the model intact."""

from __future__ import annotations

import errno
import json
import os
import random
import tempfile
from pathlib import Path

import pytest

from nn import (
    MLP,
    SGD,
    Adam,
    StateError,
    load,
    save,
)
from nn.serialize import FORMAT, VERSION


def model() -> MLP:
    return MLP(2, [3, 1], rng=random.Random(0))


def values(m: MLP) -> list[float]:
    return [p.data for p in m.parameters()]


def test_state_dict_uses_tensor_names_and_plain_values() -> None:
    m = model()
    state = m.state_dict()
    assert list(state) == [
        "layers.0.neurons.0.w",
        "layers.0.neurons.0.b",
        "layers.0.neurons.1.w",
        "layers.0.neurons.1.b",
        "layers.0.neurons.2.w",
        "layers.0.neurons.2.b",
        "layers.1.neurons.0.w",
        "layers.1.neurons.0.b",
    ]
    assert state["layers.1.neurons.0.w"] == [w.data for w in m.layers[1].neurons[0].w]
    assert state["layers.0.neurons.0.b"] == 0.0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    source = model()
    for i, p in enumerate(source.parameters()):
        p.data = 0.1 * i - 0.7 + 1e-17 * i  # bits beyond a short repr survive
    path = tmp_path / "model.json"
    save(source, path)
    target = MLP(2, [3, 1], rng=random.Random(1))
    assert load(target, path) is target
    assert values(target) == values(source)
    assert [f for f in os.listdir(tmp_path)] == ["model.json"]  # no temporary file left
    assert json.loads(path.read_text())["kind"] == "MLP"


def test_saving_again_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    m = model()
    save(m, path)
    m.parameters()[0].data = 42.0
    save(m, path)
    assert load(model(), path).parameters()[0].data == 42.0


def test_a_model_holding_nan_is_not_saved_and_the_old_file_survives(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    m = model()
    save(m, path)
    before = path.read_bytes()
    m.parameters()[0].data = float("nan")
    with pytest.raises(StateError, match="NaN or infinity"):
        save(m, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.json"]


def wrap(state: object, kind: str = "MLP") -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "kind": kind, "state": state})


def good_state() -> dict:
    return model().state_dict()


W = "layers.1.neurons.0.w"
B = "layers.1.neurons.0.b"

BAD_FILES = {
    "truncated": (lambda: wrap(good_state())[:-20], "not a valid state file"),
    "not json": (lambda: "hello", "not a valid state file"),
    "not utf-8": (lambda: b"\xff\xfe{}", "not a valid state file"),
    "NaN token": (lambda: wrap(good_state()).replace("0.0", "NaN", 1), "token NaN"),
    "Infinity token": (
        lambda: wrap(good_state()).replace("0.0", "-Infinity", 1),
        "token -Infinity",
    ),
    "huge float": (
        lambda: wrap({**good_state(), B: 0}).replace(f'"{B}": 0', f'"{B}": 1e999'),
        f"'{B}': expected a finite number",
    ),
    "huge int": (lambda: wrap({**good_state(), B: 10**400}), f"'{B}': number too large"),
    "too many digits": (
        lambda: wrap({**good_state(), B: 0}).replace(f'"{B}": 0', f'"{B}": 1{"0" * 5000}'),
        "not a valid state file",
    ),
    "deep nesting": (lambda: "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "string weight": (
        lambda: wrap({**good_state(), W: ["1", 2.0, 3.0]}),
        f"'{W}.0': expected a number, got str",
    ),
    "bool bias": (lambda: wrap({**good_state(), B: True}), f"'{B}': expected a number, got bool"),
    "short weights": (
        lambda: wrap({**good_state(), W: [1.0, 2.0]}),
        f"'{W}': expected a list of 3 numbers, got a list of length 2",
    ),
    "bias as list": (lambda: wrap({**good_state(), B: [0.0]}), f"'{B}': expected a number"),
    "missing key": (
        lambda: wrap({k: v for k, v in good_state().items() if k != B}),
        f"missing \\['{B}'\\]",
    ),
    "unexpected key": (
        lambda: wrap({**good_state(), "layers.2.neurons.0.b": 0.0}),
        "unexpected \\['layers.2.neurons.0.b'\\]",
    ),
    "another shape": (lambda: wrap(MLP(2, [4, 1]).state_dict()), "layers.0.neurons.3"),
    "another kind": (lambda: wrap(good_state(), kind="SGD"), "state of a 'SGD', not of a 'MLP'"),
    "not an object": (lambda: "[1, 2]", "expected a JSON object, got list"),
    "no header": (lambda: json.dumps(good_state()), "not a valuegrad state file"),
    "state not an object": (lambda: wrap([1.0]), "'state' must be an object"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_and_the_model_is_untouched(tmp_path: Path, case: str) -> None:
    make, message = BAD_FILES[case]
    content = make()
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    m = MLP(2, [3, 1], rng=random.Random(7))
    before = values(m)
    with pytest.raises(StateError, match=message):
        load(m, path)
    assert values(m) == before


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    save(model(), path)
    with pytest.raises(StateError, match="larger than the limit of 100 bytes"):
        load(model(), path, max_bytes=100)


def test_optimizer_state_round_trip(tmp_path: Path) -> None:
    m = model()
    opt = Adam(m.parameters(), lr=0.01)
    m([1.0, 2.0]).backward()
    opt.step()
    path = tmp_path / "adam.json"
    save(opt, path)
    restored = load(Adam(m.parameters()), path)
    assert restored.state_dict() == opt.state_dict()
    with pytest.raises(StateError, match="state of a 'Adam', not of a 'SGD'"):
        load(SGD(m.parameters(), lr=0.1), path)


def test_a_failed_save_names_the_target_not_the_temporary_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "m.json"
    model = MLP(2, [2, 1], rng=random.Random(0))
    real_mkstemp = tempfile.mkstemp

    def read_only_folder(*args, **kwargs):  # what mkstemp raises in a folder we cannot write
        fd, name = real_mkstemp(*args, **kwargs)
        os.close(fd)
        os.unlink(name)
        raise PermissionError(errno.EACCES, "Permission denied", name)

    monkeypatch.setattr(tempfile, "mkstemp", read_only_folder)
    with pytest.raises(PermissionError) as info:
        save(model, target)
    assert info.value.errno == errno.EACCES and info.value.filename == str(target)
    assert ".tmp" not in str(info.value) and str(target) in str(info.value)
    monkeypatch.undo()

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError) as info:
        save(model, target)
    assert info.value.errno == errno.ENOSPC and str(target) in str(info.value)
    assert os.listdir(tmp_path) == []  # the temporary file is gone
