"""The benchmark's workloads compute the same thing, so its ratios compare like with like.

(No timing here: speed is measured by ``python benchmarks/run.py``, never by a unit test.)
"""

from __future__ import annotations

import math

import pytest

from benchmarks import workload


def test_the_float_floor_and_every_engine_form_give_the_same_losses() -> None:
    floor = workload.floor_steps(4)
    assert floor[0] == workload.trainer_steps(1)[0]  # the first loss, bit for bit
    for name, run in workload.WORKLOADS.items():
        if name.startswith("micrograd"):
            continue
        losses = run(4)
        assert len(losses) == len(floor) == 4, name
        for a, b in zip(losses, floor, strict=True):
            assert math.isclose(a, b, rel_tol=1e-12), name


def test_the_floor_matches_micrograd_itself() -> None:
    pytest.importorskip("micrograd")
    assert workload.micrograd_steps(2) == pytest.approx(workload.floor_steps(2), rel=1e-12)


@pytest.mark.parametrize("steps", [1, 3])
def test_the_table_checks_agreement_before_it_times(steps: int) -> None:
    """run.py's own check (every engine form against the floor, micrograd's first steps too)
    passes, whatever the number of steps asked for."""
    from benchmarks import run

    run.check_agreement(steps)  # raises SystemExit on a disagreement


def test_the_compiled_trainer_is_the_trainer_bit_for_bit_and_the_tight_floor_the_floor() -> None:
    assert workload.compiled_steps(3, "python") == workload.trainer_steps(3)
    assert workload.tight_floor_steps(3) == workload.floor_steps(3)


def test_the_scaling_forms_agree_at_another_size() -> None:
    sizes = workload.sizes_of(8)
    reference = workload.floor_steps(2, sizes, 30)
    forms = [workload.tight_floor_steps, workload.trainer_steps]
    forms += [lambda s, sz, n: workload.compiled_steps(s, "numpy", sz, n)]
    if workload.has_torch():
        forms.append(workload.torch_steps)
    for run in forms:
        for a, b in zip(run(2, sizes, 30), reference, strict=True):
            assert math.isclose(a, b, rel_tol=1e-12)
