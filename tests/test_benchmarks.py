"""The benchmark's workloads compute the same thing, so its ratios compare like with like.

(No timing here: speed is measured by ``python benchmarks/run.py``, never by a unit test.)
"""

from __future__ import annotations

import math
import os
import sys

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
    if workload.has_jax():
        forms.append(workload.jax_steps)
    for run in forms:
        for a, b in zip(run(2, sizes, 30), reference, strict=True):
            assert math.isclose(a, b, rel_tol=1e-12)


# -- JAX's row: an optional dependency, in the tables when installed, a note when not ----------


def test_jax_jit_trains_like_the_floor_and_joins_every_table() -> None:
    """With JAX installed, its jitted step (forward, gradient and update, float64) gives the
    floor's losses within 1e-12 at the reference size and at another one, as PyTorch's row
    does; its row is in the main table, the agreement check and the scaling table, with no
    note printed; and the compile-time measurements the table prints run."""
    jax = pytest.importorskip("jax")
    from benchmarks import run

    floor = workload.floor_steps(4)
    losses = workload.jax_steps(4)
    assert len(losses) == 4
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(losses, floor, strict=True))
    sizes = workload.sizes_of(8)
    other = workload.jax_steps(3, sizes, 30)
    reference = workload.floor_steps(3, sizes, 30)
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(other, reference, strict=True))
    assert jax.config.jax_enable_x64
    assert "xla_cpu_multi_thread_eigen" in os.environ["XLA_FLAGS"]
    assert workload.WORKLOADS[run.JAX] is workload.jax_steps
    assert run.scaling_forms()["JAX jit"] is workload.jax_steps
    assert workload.JAX_MISSING not in run.missing_notes()
    assert math.isfinite(workload.jax_compile_seconds(sizes, 30))
    assert math.isfinite(workload.jax_first_step_seconds(sizes, 30))


def test_without_jax_its_rows_are_left_out_with_a_one_line_note(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With ``import jax`` failing (simulated, so this runs whether JAX is installed or not),
    the tables are built without its row and column, the agreement check runs on the rest,
    and the benchmark prints the one-line note before anything is measured."""
    from benchmarks import run

    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` raises ImportError
    assert not workload.has_jax()
    table = workload.build_workloads()
    assert run.JAX not in table
    assert {run.FLOOR, run.TRAINER, run.NUMPY} <= set(table)
    assert "JAX jit" not in run.scaling_forms()
    assert workload.JAX_MISSING in run.missing_notes()

    monkeypatch.setattr(workload, "WORKLOADS", table)
    monkeypatch.setattr(run, "has_micrograd", lambda: False)  # seconds, not minutes
    run.check_agreement(1)  # no KeyError for the missing row

    class Measuring(Exception):
        """Raised where main starts measuring: what it printed before is the preamble."""

    def stop(steps: int) -> None:
        raise Measuring

    monkeypatch.setattr(run, "check_agreement", stop)
    with pytest.raises(Measuring):
        run.main(["--steps", "2"])
    printed = capsys.readouterr().out.splitlines()
    assert printed.count(workload.JAX_MISSING) == 1
    assert not any("JAX jit" in line for line in printed)


# -- microgpt (benchmarks/microgpt.py): the same algorithm on two engines ------------------------


#: A small microgpt, so that a test takes well under a second: 8 wide, 2 heads, block 8, 3 names.
SMALL_MICROGPT = {"n_embd": 8, "n_head": 2, "block_size": 8, "n_names": 3}


@pytest.mark.parametrize("with_dot", [False, True])
def test_microgpt_on_valuegrad_gives_its_own_engines_losses_and_gradients(with_dot: bool) -> None:
    """microgpt re-typed once runs on autograd.Value (with microgpt's sum chains, or with
    autograd.dot in the linear layers) and on microgpt's own engine: two steps' losses and
    every parameter's gradient after the first backward agree within 1e-12."""
    import autograd
    from benchmarks import microgpt, microgpt_engine

    config = microgpt.Config(**SMALL_MICROGPT)
    own = microgpt.MicroGPT(microgpt_engine.Value, config, steps=2)
    ours = microgpt.MicroGPT(
        autograd.Value, config, steps=2, dot=autograd.dot if with_dot else None
    )
    assert isinstance(ours.params[0], autograd.Value)
    assert isinstance(own.params[0], microgpt_engine.Value)
    assert [p.data for p in own.params] == [p.data for p in ours.params]  # the same init
    for step in range(2):
        a, b = own.loss(step), ours.loss(step)
        assert math.isfinite(a.data)
        assert abs(a.data - b.data) <= 1e-12, step
        a.backward()
        b.backward()
        if step == 0:
            grads = [(p.grad, q.grad) for p, q in zip(own.params, ours.params, strict=True)]
            assert sum(g != 0 for g, _ in grads) > len(grads) // 4  # most of the model is reached
            assert max(abs(g - h) for g, h in grads) <= 1e-12
        own.update(step)
        ours.update(step)
    assert max(abs(p.data - q.data) for p, q in zip(own.params, ours.params)) <= 1e-12


def test_microgpts_own_engine_differentiates_like_the_chain_rule() -> None:
    """The re-typed engine's backward on a small expression (every op microgpt uses) gives
    the derivatives worked out by hand."""
    from benchmarks.microgpt_engine import Value

    x, y = Value(0.5), Value(-2.0)
    z = (x * y + 3).exp() / (1 - x) + (x**2).log() - y.relu() * 2 - (-x)
    z.backward()
    # z = exp(xy + 3) / (1 - x) + 2 log x - 0 + x
    e = math.exp(0.5 * -2.0 + 3)
    assert math.isclose(z.data, e / 0.5 + math.log(0.25) + 0.5, rel_tol=1e-14)
    assert math.isclose(x.grad, -2.0 * e / 0.5 + e / 0.25 + 2 / 0.5 + 1, rel_tol=1e-14)
    assert math.isclose(y.grad, 0.5 * e / 0.5, rel_tol=1e-14)


def test_the_microgpt_table_measures_equal_losses_and_restores_the_collector() -> None:
    """measure() (what the command line prints) trains every engine on the same names with
    equal losses, counts each step's nodes, and leaves the garbage collector as it was."""
    import gc

    from benchmarks import microgpt

    result = microgpt.measure(2, True, microgpt.Config(**SMALL_MICROGPT), collector=False)
    assert gc.isenabled()
    losses = result["losses"]
    assert set(losses) == {microgpt.OWN, microgpt.VALUEGRAD, microgpt.DOT}
    for name in losses:
        assert len(losses[name]) == 2
        assert max(abs(a - b) for a, b in zip(losses[name], losses[microgpt.OWN])) <= 1e-12
        assert set(map(len, result["times"][name].values())) == {2}
    nodes = result["nodes"]
    assert nodes[microgpt.DOT][0] < nodes[microgpt.VALUEGRAD][0]  # one node per neuron
