"""Anomaly mode: the first NaN or infinity made from finite numbers stops with its op and line."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
from autograd import AnomalyError, Value, detect_anomaly, gradients, no_grad

ROOT = Path(__file__).resolve().parents[1]


def test_forward_overflow_names_the_op_its_input_and_the_line() -> None:
    x = Value(1000.0)
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        x.exp()  # the line the message quotes
    message = str(info.value)
    assert message.startswith("exp produced inf from finite inputs (1000.0,), at ")
    assert "test_anomaly.py:" in message and "x.exp()  # the line the message quotes" in message


def test_infinite_inputs_are_not_reported_again() -> None:
    with detect_anomaly():
        y = Value(math.inf) * 2.0 + 1.0  # not produced here: it came in
    assert y.data == math.inf


def test_backward_reports_the_op_whose_local_gradient_is_infinite() -> None:
    x = Value(0.0)
    with detect_anomaly():
        root = x.sqrt()  # d sqrt(x)/dx is infinite at 0
        out = root * 3.0
        with pytest.raises(AnomalyError) as info:
            out.backward()
        with pytest.raises(AnomalyError, match="backward of sqrt"):
            gradients(out, [x])
    message = str(info.value)
    assert message.startswith("backward of sqrt: the gradient for its input 0 is inf")
    assert "(incoming gradient 3.0)" in message and "root = x.sqrt()" in message


def test_without_the_block_nothing_is_checked_and_backward_gives_inf() -> None:
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf
    assert Value(1000.0).exp().data == math.inf


def test_nodes_made_before_the_block_have_no_line() -> None:
    x = Value(0.0)
    out = x.sqrt()
    with detect_anomaly(), pytest.raises(AnomalyError, match="made outside detect_anomaly"):
        out.backward()


def test_no_grad_inside_records_and_checks_nothing_and_enable_grad_restores_checks() -> None:
    with detect_anomaly():
        with no_grad():
            assert not autograd.is_grad_enabled()
            assert Value(1000.0).exp().data == math.inf  # not recorded, not checked
            with autograd.enable_grad(), pytest.raises(AnomalyError):
                Value(1000.0).exp()
        assert autograd.is_grad_enabled()
    assert Value(1000.0).exp().data == math.inf  # the block is over


def test_a_finite_run_gives_the_same_gradients_as_without_the_block() -> None:
    def loss(a: Value, b: Value) -> Value:
        return ((a * b).tanh() + a.exp() / (1 + b * b)).log()

    a, b = Value(0.3), Value(-1.2)
    loss(a, b).backward()
    expected = (a.grad, b.grad)
    c, d = Value(0.3), Value(-1.2)
    with detect_anomaly():
        loss(c, d).backward()
    assert (c.grad, d.grad) == expected


def test_a_library_declared_in_the_entry_point_group_is_not_the_users_code(tmp_path) -> None:
    """A third-party library built on autograd declares its package in the
    ``autograd.libraries`` entry-point group (any form: ``pkg``, ``pkg.sub:attr``); anomaly
    mode then names the line that called it, not the library's own line. Without the
    declaration it names the library's line (the check can fail)."""
    package = tmp_path / "mylib"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import autograd\n\ndef api(x):\n    return autograd.Value(x) * 1e308\n"
    )
    script = (
        "import autograd, mylib\n"
        "with autograd.detect_anomaly():\n"
        "    try: mylib.api(1e308)\n"
        "    except autograd.AnomalyError as error: print(error)\n"
    )

    def anomaly_line(entry_points: str | None) -> str:
        info = tmp_path / "mylib-1.0.dist-info"
        if info.exists():
            shutil.rmtree(info)
        if entry_points is not None:
            info.mkdir()
            (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mylib\nVersion: 1.0\n")
            (info / "entry_points.txt").write_text(entry_points)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
        run = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        assert "produced inf" in run.stdout, run
        return run.stdout

    assert "<string>:3 in <module>" in anomaly_line("[autograd.libraries]\nmylib = mylib:api\n")
    assert "<string>:3 in <module>" in anomaly_line("[autograd.libraries]\nx = mylib.core\n")
    assert "mylib/__init__.py:4 in api" in anomaly_line(None)


def test_anomaly_mode_catches_data_changed_before_the_first_backward() -> None:
    x = Value(2.0)
    with detect_anomaly():
        y = x.exp() * x  # the line the message names
        x.data = 3.0
        with pytest.raises(AnomalyError) as info:
            y.backward()
    message = str(info.value)
    assert "had data 2.0 when the node was made and has 3.0 now" in message
    assert "y = x.exp() * x  # the line the message names" in message
    assert x.grad == 0.0


def test_anomaly_mode_names_the_users_line_for_a_node_made_inside_nn() -> None:
    from nn import Neuron

    neuron = Neuron(2, activation="linear")
    for p in neuron.parameters():
        p.data = 1.0
    with detect_anomaly(), pytest.raises(AnomalyError) as info:
        neuron([1e308, 1e308])  # the neuron's dot overflows: this line is named
    message = str(info.value)
    assert "test_anomaly.py:" in message
    assert "neuron([1e308, 1e308])  # the neuron's dot overflows" in message
    assert "nn/module.py" not in message


def test_the_errors_guide_anomaly_example_is_the_message_the_code_prints() -> None:
    text = " ".join((ROOT / "docs" / "guide" / "errors.md").read_text(encoding="utf-8").split())
    quoted = re.search(r"`(backward of sqrt: [^`]*)`", text)
    assert quoted is not None
    x = Value(0.0)
    with detect_anomaly():
        r = x.sqrt()
        out = r * 3.0
        with pytest.raises(AnomalyError) as info:
            out.backward()
    actual = str(info.value)
    expected_prefix = quoted.group(1).split("; the node was created at")[0]
    assert actual.startswith(expected_prefix)
