"""microgpt compiled: one program per name length, the tokens' rows passed in.

    python benchmarks/microgpt_compiled.py                  # 1,000 steps compiled
    python benchmarks/microgpt_compiled.py --steps 100 --interpreted 20

microgpt's graph changes from name to name in three ways, and ``autograd.compile`` needs a
program that stays the same, so the step is typed for it (:class:`CompiledGPT`):

* **which rows of ``wte``** a name reads: the rows are passed in (``compile``'s arguments),
  so names of one length share one program (``static_argnums``: the length);
* **which probability** the loss reads (``probs[target]``, a node chosen by the next token):
  the target is passed in as one-hot numbers, ``-log(sum(o * p))``: the same value (a sum of
  zeros and ``1.0 * p``), and gradients that differ only in the sign of zero terms;
* **the softmax's shift** (``max(val.data ...)``, a number read from the logits' data, which
  a replay cannot follow): left out. Softmax does not change with a shift; the shift only
  keeps ``exp`` from overflowing, which logits of this size (|logit| < 10) never come near.

So the losses are microgpt's to rounding (a test checks 1e-12), and bit for bit those of the
same step on the interpreted engine (``mode="interpret"``): the second model, trained side by
side for ``--interpreted`` steps, is the reference. The total time of the compiled run
includes every trace (one per name length) and the Adam updates.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd
from benchmarks.microgpt import Config, MicroGPT, Scalar


class CompiledGPT(MicroGPT):
    """microgpt with its step as a function of what changes between names (see above)."""

    @staticmethod
    def softmax(logits: Sequence[Scalar]) -> list[Scalar]:
        exps = [val.exp() for val in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def step_loss(
        self, n: int, embeddings: Sequence[Sequence[Scalar]], targets: Sequence[Sequence[float]]
    ) -> Scalar:
        """The mean cross-entropy over ``n`` positions: ``embeddings[pos]`` is the row of the
        token at ``pos``, ``targets[pos]`` the next token one-hot."""
        keys: list[list[Any]] = [[] for _ in range(self.config.n_layer)]
        values: list[list[Any]] = [[] for _ in range(self.config.n_layer)]
        losses = []
        for pos in range(n):
            probs = self.softmax(self.gpt(embeddings[pos], pos, keys, values))
            losses.append(-sum(o * p for o, p in zip(targets[pos], probs)).log())
        return (1 / n) * sum(losses)

    def arguments(self, step: int) -> tuple[int, list[list[Scalar]], list[list[float]]]:
        """``step_loss``'s arguments for the name of ``step``."""
        tokens = self.tokens(self.docs[step % len(self.docs)])
        n = min(self.config.block_size, len(tokens) - 1)
        rows = [self.state["wte"][t] for t in tokens[:n]]
        targets = [[float(v == t) for v in range(self.vocab_size)] for t in tokens[1 : n + 1]]
        return n, rows, targets


def run(steps: int, interpreted: int, dot: bool) -> dict[str, Any]:
    """``steps`` compiled steps (timed whole, traces included) and the first ``interpreted``
    steps of a second model on the engine, the same function (timed per step)."""
    config = Config()
    dot_fn = autograd.dot if dot else None
    compiled_model = CompiledGPT(autograd.Value, config, steps, dot_fn)
    engine_model = CompiledGPT(autograd.Value, config, steps, dot_fn)
    compiled = autograd.compile(compiled_model.step_loss, static_argnums=0)
    engine = autograd.compile(engine_model.step_loss, static_argnums=0, mode="interpret")
    losses: list[float] = []
    first_traces: list[float] = []
    clock = time.perf_counter
    gc.collect()
    start = clock()
    for step in range(steps):
        traces = compiled.traces
        t0 = clock()
        losses.append(compiled(*compiled_model.arguments(step)))
        if compiled.traces > traces:
            first_traces.append(clock() - t0)
        compiled_model.update(step)
    total = clock() - start
    engine_losses, engine_times = [], []
    for step in range(interpreted):
        t0 = clock()
        engine_losses.append(engine(*engine_model.arguments(step)))
        engine_model.update(step)
        engine_times.append(clock() - t0)
    return {
        "total": total,
        "traces": compiled.traces,
        "fallbacks": compiled.fallbacks,
        "trace_calls": first_traces,
        "losses": losses,
        "engine_losses": engine_losses,
        "engine_step": statistics.median(engine_times) if engine_times else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="compiled training steps")
    parser.add_argument(
        "--interpreted", type=int, default=30, help="steps of the engine, the reference"
    )
    parser.add_argument("--dot", action="store_true", help="autograd.dot in the linear layers")
    args = parser.parse_args(argv)
    r = run(args.steps, args.interpreted, args.dot)
    n = len(r["engine_losses"])
    same = all(a.hex() == b.hex() for a, b in zip(r["losses"], r["engine_losses"]))
    traced = sum(r["trace_calls"])
    print(
        f"microgpt compiled{' (dot)' if args.dot else ''}: {args.steps} steps in "
        f"{r['total']:.1f} s ({r['total'] / args.steps * 1e3:.1f} ms a step), of which "
        f"{r['traces']} calls that traced a program took {traced:.1f} s; "
        f"{r['fallbacks']} calls ran on the engine"
    )
    print(
        f"interpreted engine, the same function: {r['engine_step'] * 1e3:.1f} ms a step "
        f"(median of {n}), {args.steps} steps ~{r['engine_step'] * args.steps:.0f} s; "
        f"compiled / interpreted per {args.steps} steps: "
        f"{r['total'] / (r['engine_step'] * args.steps):.2f}x"
    )
    print(f"losses of the first {n} steps bit for bit the engine's: {same}")
    print(f"loss: first {r['losses'][0]:.6f}, last {r['losses'][-1]:.6f}")
    return 0 if same and r["fallbacks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
