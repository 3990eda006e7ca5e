"""Resource guards: memory stays bounded across steps and calls, and nothing hangs."""

from __future__ import annotations

import gc
import os
import random
import tracemalloc

import pytest

import autograd
from autograd import Value
from autograd.extend import gc_paused
from nn import GD, MLP, Trainer, hinge, l2, make_moons


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_backward_calls_on_one_graph_hold_no_memory() -> None:
    x, w = Value(0.5), Value(-1.5)
    out = ((x * w).tanh() + (x - w).exp().log() + autograd.dot([x, w], [w, x], 1.0)).relu()
    out.backward()
    gc.collect()
    tracemalloc.start()
    # Warm up first: CPython keeps up to 80 freed list objects for reuse, and tracemalloc
    # counts them as new the first time around (~5 KB, bounded). Anything a call kept (the
    # root's record of its leaves' data is made once, at the first backward, and reused)
    # would grow with the 10,000 calls measured after.
    for _ in range(1_000):
        out.backward()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(10_000):
        out.backward()
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 4096, grown  # a few floats, not one allocation per call


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads RSS from /proc")
def test_rss_stays_flat_over_a_thousand_training_steps() -> None:
    X, y = make_moons(20, noise=0.1, seed=0)
    labels = [2 * t - 1 for t in y]
    random.seed(0)
    model = MLP(2, [8, 1])
    params = model.parameters()
    rss = {}

    def objective(batch):
        return hinge([model(x) for x, _ in batch], [t for _, t in batch]) + l2(params, 1e-4)

    def measure(history) -> None:
        if len(history) in (200, 1000):
            gc.collect()
            rss[len(history)] = rss_bytes()

    Trainer(objective, GD(params, lr=0.05), callbacks=[measure], progress=False).run(
        list(zip(X, labels, strict=True)), steps=1000
    )
    # The history's 800 new records take ~0.2 MiB; a graph leaked per step, ~60 MiB.
    assert rss[1000] - rss[200] < 2 * 2**20, (rss[1000] - rss[200]) / 2**20


@pytest.mark.slow
def test_a_ten_million_node_chain_backpropagates_in_bounded_memory() -> None:
    x = Value(0.5)
    y = x
    with gc_paused():
        for _ in range(10_000_000):
            y = -y
    before = rss_bytes()
    y.backward()
    assert x.grad == 1.0
    assert rss_bytes() - before < 1.5 * before  # backward's own memory is below the graph's
