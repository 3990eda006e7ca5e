"""microgpt as a benchmark workload: the GPT learners train on a scalar ``Value``, two engines.

    python benchmarks/microgpt.py              # 20 steps of each engine, side by side
    python benchmarks/microgpt.py --steps 100  # more steps, steadier medians
    python benchmarks/microgpt.py --no-dot     # only the two engines on microgpt's own graph

Karpathy's microgpt (2026) is re-typed here once, :class:`MicroGPT`, parameterized by the
``Value`` class it builds its parameters from, so the same code runs on ``autograd.Value`` and
on microgpt's own engine (:mod:`benchmarks.microgpt_engine`): names from notebook 10's
``make_names``, a character tokenizer with a BOS token, 16 wide, 4 heads, 1 layer, block 16,
RMSNorm, attention over a KV cache, a ReLU MLP, an lm head, softmax cross-entropy averaged
over a name's positions, Adam (0.85, 0.99, 1e-8) with lr 0.01 decaying linearly to 0, one
name per step, weights drawn from a seeded Gaussian (std 0.08). The linear layers are plain
``sum(w * x for ...)`` chains, as in microgpt, so both engines build the same graph; the row
"valuegrad + dot" swaps them for ``autograd.dot`` (one node per neuron) and nothing else.

Every engine trains its own model on the same names, in one process: at each step each engine
runs one step (the order rotating from step to step), timed in parts: forward (the loss's
graph), backward, the Adam update, and freeing the graph: dropping the last reference to the
loss, then a collection of the garbage collector's young generations. (microgpt's own
backward leaves its topological order in a reference cycle, its recursive closure, so its
graph goes only when the collector runs: collecting here charges that to its own engine, where
alone it would land in its next forward pass, not in the next engine's.) The tables give
medians over the steps, and the ratios own / engine are medians of the per-step ratios (both
engines on the same name, moments apart). Two tables: the garbage collector as Python starts
it (as microgpt runs), then paused during forward, backward and update (what
``autograd.extend.gc_paused`` does). Nodes are every Value the loss depends on (leaves
included), counted outside the timed parts.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(
    1, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "notebooks")
)

from names import make_names

import autograd
from benchmarks import microgpt_engine

Scalar = Any
"""A Value of either engine (the algorithm only uses their arithmetic and ``.data``)."""
Matrix = list[list[Scalar]]

OWN = "own (microgpt's engine)"
VALUEGRAD = "valuegrad (autograd.Value)"
DOT = "valuegrad + dot"


@dataclass(frozen=True)
class Config:
    """microgpt's sizes and training settings (its defaults)."""

    n_embd: int = 16
    n_head: int = 4
    n_layer: int = 1
    block_size: int = 16
    n_names: int = 1000
    std: float = 0.08
    seed: int = 42
    learning_rate: float = 0.01
    beta1: float = 0.85
    beta2: float = 0.99
    eps: float = 1e-8


class MicroGPT:
    """microgpt's model and optimizer, built from ``value`` (the ``Value`` class to use).

    ``steps`` is the length of the run (the learning rate decays linearly to 0 over it);
    ``dot``, if given (``autograd.dot``), computes each linear layer's neurons in place of the
    ``sum(w * x ...)`` chains. A step is :meth:`loss` (the forward pass, one name),
    ``loss.backward()`` and :meth:`update` (Adam, then the gradients zeroed).
    """

    def __init__(
        self,
        value: Callable[[float], Scalar],
        config: Config = Config(),  # frozen: sharing the default is safe
        steps: int = 1000,
        dot: Callable[[Sequence[Scalar], Sequence[Scalar]], Scalar] | None = None,
    ) -> None:
        self.config, self.steps, self.dot = config, steps, dot
        rng = random.Random(config.seed)
        self.docs = make_names(config.n_names, seed=0)
        rng.shuffle(self.docs)
        self.chars = sorted(set("".join(self.docs)))
        self.bos = len(self.chars)
        self.vocab_size = len(self.chars) + 1
        self.head_dim = config.n_embd // config.n_head

        def matrix(nout: int, nin: int) -> Matrix:
            return [[value(rng.gauss(0, config.std)) for _ in range(nin)] for _ in range(nout)]

        e = config.n_embd
        self.state: dict[str, Matrix] = {
            "wte": matrix(self.vocab_size, e),
            "wpe": matrix(config.block_size, e),
            "lm_head": matrix(self.vocab_size, e),
        }
        for i in range(config.n_layer):
            for name, (nout, nin) in {
                "attn_wq": (e, e),
                "attn_wk": (e, e),
                "attn_wv": (e, e),
                "attn_wo": (e, e),
                "mlp_fc1": (4 * e, e),
                "mlp_fc2": (e, 4 * e),
            }.items():
                self.state[f"layer{i}.{name}"] = matrix(nout, nin)
        self.params = [p for mat in self.state.values() for row in mat for p in row]
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def tokens(self, doc: str) -> list[int]:
        """``doc`` as token ids, between two BOS tokens."""
        return [self.bos] + [self.chars.index(ch) for ch in doc] + [self.bos]

    # -- the model ---------------------------------------------------------------------------

    def linear(self, x: Sequence[Scalar], w: Matrix) -> list[Scalar]:
        if self.dot is not None:
            return [self.dot(row, x) for row in w]
        return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]

    @staticmethod
    def softmax(logits: Sequence[Scalar]) -> list[Scalar]:
        top = max(val.data for val in logits)
        exps = [(val - top).exp() for val in logits]
        total = sum(exps)
        return [e / total for e in exps]

    @staticmethod
    def rmsnorm(x: Sequence[Scalar]) -> list[Scalar]:
        ms = sum(xi * xi for xi in x) / len(x)
        scale = (ms + 1e-5) ** -0.5
        return [xi * scale for xi in x]

    def gpt(
        self, embedding: Sequence[Scalar], pos: int, keys: list[list[Any]], values: list[list[Any]]
    ) -> list[Scalar]:
        """The logits of the token after the one at ``pos`` (its row of ``wte``, ``embedding``);
        appends to the KV cache."""
        sd, hd = self.state, self.head_dim
        x = [t + p for t, p in zip(embedding, sd["wpe"][pos])]
        x = self.rmsnorm(x)
        for li in range(self.config.n_layer):
            residual = x
            x = self.rmsnorm(x)
            q = self.linear(x, sd[f"layer{li}.attn_wq"])
            k = self.linear(x, sd[f"layer{li}.attn_wk"])
            v = self.linear(x, sd[f"layer{li}.attn_wv"])
            keys[li].append(k)
            values[li].append(v)
            x_attn: list[Scalar] = []
            for h in range(self.config.n_head):
                hs = h * hd
                q_h = q[hs : hs + hd]
                k_h = [ki[hs : hs + hd] for ki in keys[li]]
                v_h = [vi[hs : hs + hd] for vi in values[li]]
                attn_logits = [
                    sum(q_h[j] * k_h[t][j] for j in range(hd)) / hd**0.5 for t in range(len(k_h))
                ]
                weights = self.softmax(attn_logits)
                x_attn.extend(
                    sum(weights[t] * v_h[t][j] for t in range(len(v_h))) for j in range(hd)
                )
            x = self.linear(x_attn, sd[f"layer{li}.attn_wo"])
            x = [a + b for a, b in zip(x, residual)]
            residual = x
            x = self.rmsnorm(x)
            x = [xi.relu() for xi in self.linear(x, sd[f"layer{li}.mlp_fc1"])]
            x = self.linear(x, sd[f"layer{li}.mlp_fc2"])
            x = [a + b for a, b in zip(x, residual)]
        return self.linear(x, sd["lm_head"])

    def loss(self, step: int) -> Scalar:
        """The forward pass of ``step``: the mean cross-entropy over its name's positions."""
        tokens = self.tokens(self.docs[step % len(self.docs)])
        n = min(self.config.block_size, len(tokens) - 1)
        keys: list[list[Any]] = [[] for _ in range(self.config.n_layer)]
        values: list[list[Any]] = [[] for _ in range(self.config.n_layer)]
        losses = []
        for pos in range(n):
            probs = self.softmax(self.gpt(self.state["wte"][tokens[pos]], pos, keys, values))
            losses.append(-probs[tokens[pos + 1]].log())
        return (1 / n) * sum(losses)

    def update(self, step: int) -> None:
        """Adam with the linearly decaying learning rate, then every gradient set to 0."""
        c = self.config
        lr = c.learning_rate * (1 - step / self.steps)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            m[i] = c.beta1 * m[i] + (1 - c.beta1) * p.grad
            v[i] = c.beta2 * v[i] + (1 - c.beta2) * p.grad**2
            m_hat = m[i] / (1 - c.beta1 ** (step + 1))
            v_hat = v[i] / (1 - c.beta2 ** (step + 1))
            p.data -= lr * m_hat / (v_hat**0.5 + c.eps)
            p.grad = 0


def engines(with_dot: bool = True) -> dict[str, tuple[Callable[[float], Scalar], Any]]:
    """Each engine's name, its Value class and its ``dot`` (None: microgpt's sum chains)."""
    table: dict[str, tuple[Callable[[float], Scalar], Any]] = {
        OWN: (microgpt_engine.Value, None),
        VALUEGRAD: (autograd.Value, None),
    }
    if with_dot:
        table[DOT] = (autograd.Value, autograd.dot)
    return table


def count_nodes(root: Scalar) -> int:
    """Every Value ``root`` depends on, itself and the leaves included (either engine)."""
    attr = "_children" if isinstance(root, microgpt_engine.Value) else "_prev"
    seen = {id(root)}
    stack = [root]
    while stack:
        for child in getattr(stack.pop(), attr):
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


PARTS = ("forward", "backward", "update", "free")


def measure(
    steps: int,
    with_dot: bool,
    config: Config = Config(),
    collector: bool = True,
) -> dict[str, Any]:
    """Train one model per engine side by side; each step's times, node counts and losses.

    ``collector`` False pauses the garbage collector during forward, backward and update
    (as ``autograd.extend.gc_paused`` does); the free part collects in both cases.
    """
    table = engines(with_dot)
    models = {name: MicroGPT(value, config, steps, dot) for name, (value, dot) in table.items()}
    times: dict[str, dict[str, list[float]]] = {n: {p: [] for p in PARTS} for n in table}
    nodes: dict[str, list[int]] = {n: [] for n in table}
    losses: dict[str, list[float]] = {n: [] for n in table}
    names = list(table)
    clock = time.perf_counter
    was_enabled = gc.isenabled()
    try:
        for step in range(steps):
            shift = step % len(names)
            for name in names[shift:] + names[:shift]:
                model = models[name]
                gc.collect(1)  # every engine starts its step with the young generations empty
                if not collector:
                    gc.disable()
                t0 = clock()
                loss = model.loss(step)
                t1 = clock()
                loss.backward()
                t2 = clock()
                model.update(step)
                t3 = clock()
                if was_enabled:
                    gc.enable()
                losses[name].append(loss.data)
                nodes[name].append(count_nodes(loss))  # not timed
                t4 = clock()
                del loss  # the graph goes: its last reference was the loss ...
                gc.collect(1)  # ... or, in a cycle (own: backward's recursive closure), here
                t5 = clock()
                for part, seconds in zip(PARTS, (t1 - t0, t2 - t1, t3 - t2, t5 - t4)):
                    times[name][part].append(seconds)
    finally:
        if was_enabled:
            gc.enable()
    return {"times": times, "nodes": nodes, "losses": losses}


def print_tables(result: dict[str, Any], title: str) -> None:
    """The per-engine table and the ratios own / valuegrad of one :func:`measure`."""
    times, nodes = result["times"], result["nodes"]

    def total(name: str) -> list[float]:
        return [sum(parts) for parts in zip(*(times[name][p] for p in PARTS))]

    print()
    print(f"{title}: medians over the steps, ms")
    print()
    print("| engine | forward | backward | update | free | step | nodes/step | backward ns/node |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in times:
        med = {p: statistics.median(times[name][p]) * 1e3 for p in PARTS}
        per_node = statistics.median(
            b / n * 1e9 for b, n in zip(times[name]["backward"], nodes[name])
        )
        print(
            f"| {name} | "
            + " | ".join(f"{med[p]:.1f}" for p in PARTS)
            + f" | {statistics.median(total(name)) * 1e3:.1f} | "
            f"{statistics.mean(nodes[name]):,.0f} | {per_node:.0f} |"
        )
    print()
    print("| own / engine (median of per-step ratios) | forward | backward | step |")
    print("|---|---:|---:|---:|")
    for name in times:
        if name == OWN:
            continue
        cells = [
            statistics.median(a / b for a, b in zip(times[OWN][part], times[name][part]))
            for part in ("forward", "backward")
        ]
        cells.append(statistics.median(a / b for a, b in zip(total(OWN), total(name))))
        print(f"| {name} | " + " | ".join(f"{c:.2f}x" for c in cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="training steps per engine")
    parser.add_argument("--no-dot", action="store_true", help="leave out 'valuegrad + dot'")
    parser.add_argument("--show", type=int, default=5, help="losses of the first steps to print")
    args = parser.parse_args(argv)
    config = Config()
    model = MicroGPT(microgpt_engine.Value, config, args.steps)
    print(
        f"microgpt: {len(model.params):,} parameters (vocab {model.vocab_size}, n_embd "
        f"{config.n_embd}, {config.n_head} heads, {config.n_layer} layer, block "
        f"{config.block_size}), {args.steps} steps, one name a step; Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores"
    )
    runs = {
        "garbage collector on (as Python starts)": measure(args.steps, not args.no_dot, config),
        "garbage collector paused in forward, backward and update": measure(
            args.steps, not args.no_dot, config, collector=False
        ),
    }
    for title, result in runs.items():
        print_tables(result, title)

    print()
    losses = next(iter(runs.values()))["losses"]
    shown = min(args.show, args.steps)
    for name in losses:
        print(
            f"losses, first {shown} steps, {name}: "
            + ", ".join(f"{x:.15f}" for x in losses[name][:shown])
        )
    worst = 0.0
    for name in losses:
        if name == OWN:
            continue
        diff = max(
            abs(a - b)
            for result in runs.values()
            for a, b in zip(result["losses"][OWN], result["losses"][name])
        )
        worst = max(worst, diff)
        print(f"largest |loss difference| own vs {name}, {args.steps} steps: {diff:.1e}")
    return 0 if worst <= 1e-12 and all(map(math.isfinite, losses[OWN])) else 1


if __name__ == "__main__":
    sys.exit(main())
