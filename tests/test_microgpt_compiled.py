"""microgpt compiled (benchmarks/microgpt_compiled.py): one program per name length, the
tokens' rows passed in; its losses are microgpt's (its own engine) within 1e-12 and, step by
step, the interpreted engine's bit for bit."""

from __future__ import annotations

import pytest

import autograd
from benchmarks import microgpt, microgpt_engine
from benchmarks.microgpt_compiled import CompiledGPT

#: A small microgpt, so that the test takes about a second: 8 wide, 2 heads, block 8.
SMALL = microgpt.Config(n_embd=8, n_head=2, block_size=8, n_names=6)


@pytest.mark.parametrize("with_dot", [False, True])
def test_compiled_microgpt_is_microgpt_to_rounding_and_the_engine_bit_for_bit(
    with_dot: bool,
) -> None:
    steps = 6
    dot = autograd.dot if with_dot else None
    own = microgpt.MicroGPT(microgpt_engine.Value, SMALL, steps)
    compiled_model = CompiledGPT(autograd.Value, SMALL, steps, dot)
    engine_model = CompiledGPT(autograd.Value, SMALL, steps, dot)
    compiled = autograd.compile(compiled_model.step_loss, static_argnums=0)
    lengths = set()
    for step in range(steps):
        args = compiled_model.arguments(step)
        lengths.add(args[0])
        got = compiled(*args)
        want = engine_model.step_loss(*engine_model.arguments(step))
        want.backward()
        reference = own.loss(step)
        reference.backward()
        assert got.hex() == want.data.hex(), step
        assert abs(got - reference.data) <= 1e-12, step
        assert [float(p.grad).hex() for p in compiled_model.params] == [  # type: ignore[union-attr]
            float(p.grad).hex()
            for p in engine_model.params  # type: ignore[union-attr]
        ]
        assert max(abs(p.grad - q.grad) for p, q in zip(own.params, compiled_model.params)) <= 1e-12  # type: ignore[operator]
        for model in (own, compiled_model, engine_model):
            model.update(step)
    assert compiled.traces == len(lengths) < steps and compiled.fallbacks == 0
