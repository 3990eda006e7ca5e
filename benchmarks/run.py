"""The performance table: every form of the reference workload side by side, in one process.

    python benchmarks/run.py                 # the table, the extra measurements, the targets
    python benchmarks/run.py --steps 20 --repeats 1 --micrograd-steps 3   # a quick look

Times are medians over ``--repeats`` rounds; in each round every workload trains a fresh
model for ``--steps`` steps (micrograd, about a second a step, for ``--micrograd-steps``:
its first steps are cheaper, before its uncollected cycles pile up), one after the other, so
all of them see the same machine state. Before timing, the workloads' losses
are checked against each other: the floor and the engine must agree.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autograd
from autograd import Value
from autograd.extend import topological_order
from benchmarks import workload

FLOOR = "floor: hand-written floats, no graph"
TRAINER = "valuegrad trainer (nn.fit), fused neurons"
FUSED = "demo loop, fused neurons"
ELEMENTWISE = "demo loop, elementwise graph"
MICROGRAD = "micrograd 0.1.0, demo loop"


def has_micrograd() -> bool:
    try:
        import micrograd  # noqa: F401
    except ImportError:
        return False
    return True


def check_agreement(steps: int) -> None:
    """The floor, the trainer and both demo loops give the same losses (to rounding)."""
    reference = workload.floor_steps(steps)
    for name in (TRAINER, FUSED, ELEMENTWISE):
        losses = workload.WORKLOADS[name](steps)
        worst = max(abs(a - b) / abs(b) for a, b in zip(losses, reference, strict=True))
        if worst > 1e-9:
            raise SystemExit(f"{name} disagrees with the floor: relative difference {worst:.2g}")
    if has_micrograd():
        n = min(steps, 2)  # micrograd is slow: its first steps only
        mg = workload.micrograd_steps(n)
        if max(abs(a - b) / abs(b) for a, b in zip(mg, reference[:n], strict=True)) > 1e-12:
            raise SystemExit("micrograd's losses disagree with the floor")


def time_workloads(steps: int, micrograd_steps: int, repeats: int) -> dict[str, float]:
    """Median seconds per step of each workload."""
    names = [name for name in workload.WORKLOADS if name != MICROGRAD or has_micrograd()]
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            n = micrograd_steps if name == MICROGRAD else steps
            start = time.perf_counter()
            workload.WORKLOADS[name](n)
            samples[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(times) for name, times in samples.items()}


def chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5)
    y = x
    with autograd.gc_paused():
        for _ in range(n):
            y = -y
    return x, y


def chain_backward(sizes: list[int]) -> list[tuple[int, float]]:
    """Seconds for backward() through chains of each size (linear time: constant s/node)."""
    results = []
    for n in sizes:
        x, y = chain(n)
        start = time.perf_counter()
        y.backward()
        results.append((n, time.perf_counter() - start))
        assert x.grad == (-1.0) ** n
        del x, y
    return results


def chain_memory(n: int) -> tuple[int, int]:
    """(bytes the graph of an n-node chain holds, extra peak bytes while backward runs)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x, y = chain(n)
    graph = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.reset_peak()
    ready = tracemalloc.get_traced_memory()[0]
    y.backward()
    peak = tracemalloc.get_traced_memory()[1] - ready
    tracemalloc.stop()
    del x, y
    return graph, peak


def demo_graph(fused: bool) -> Value:
    """One step's loss graph of the demo, elementwise or fused."""
    import random

    import nn

    X, y = workload.data()
    random.seed(workload.SEED)
    model = nn.MLP(2, workload.SIZES, fused=fused)
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    total = sum(losses) * (1.0 / len(losses)) + workload.ALPHA * sum(
        p * p for p in model.parameters()
    )
    return total


def bytes_per_node() -> tuple[int, float, float]:
    """Nodes of one elementwise demo step, and bytes per node after forward and after backward."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    with autograd.gc_paused():
        total = demo_graph(fused=False)
    forward = tracemalloc.get_traced_memory()[0] - before
    total.backward()
    backward = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = len(topological_order(total, include_leaves=True))
    return nodes, forward / nodes, backward / nodes


def nodes_per_second(seconds_per_step: float) -> tuple[int, float]:
    total = demo_graph(fused=False)
    nodes = len(topological_order(total, include_leaves=True))
    return nodes, nodes / seconds_per_step


def machine() -> str:
    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="steps per timed run")
    parser.add_argument("--micrograd-steps", type=int, default=10, help="steps of micrograd")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (median)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="deepest chain")
    args = parser.parse_args(argv)

    print(machine())
    check_agreement(min(args.steps, 10))
    per_step = time_workloads(args.steps, args.micrograd_steps, args.repeats)
    floor = per_step[FLOOR]
    mg = per_step.get(MICROGRAD)
    print()
    print("| workload: micrograd's demo | ms/step | x floor | micrograd / this |")
    print("|---|---:|---:|---:|")
    for name, seconds in per_step.items():
        speedup = f"{mg / seconds:.1f}" if mg and name != MICROGRAD else ""
        print(f"| {name} | {seconds * 1e3:.2f} | {seconds / floor:.1f} | {speedup} |")

    sizes = [args.chain // 4, args.chain // 2, args.chain]
    timings = chain_backward(sizes)
    graph, peak = chain_memory(args.chain)
    nodes, fwd_bytes, bwd_bytes = bytes_per_node()
    step_nodes, rate = nodes_per_second(per_step[ELEMENTWISE])
    print()
    print("| measurement | value |")
    print("|---|---:|")
    for n, seconds in timings:
        per_node = seconds / n * 1e9
        print(f"| backward of a {n:,}-node chain | {seconds:.3f} s ({per_node:.0f} ns/node) |")
    print(
        f"| {args.chain:,}-node chain: graph size / extra peak in backward | "
        f"{graph / 2**20:.0f} MiB / {peak / 2**20:.0f} MiB ({peak / graph:.2f}x) |"
    )
    print(
        f"| bytes per elementwise graph node ({nodes:,} nodes), after forward / backward | "
        f"{fwd_bytes:.0f} / {bwd_bytes:.0f} |"
    )
    print(
        f"| nodes/s, forward + backward + update (elementwise, {step_nodes:,} nodes/step) | "
        f"{rate:,.0f} |"
    )

    per_node = [seconds / n for n, seconds in timings]
    targets: list[tuple[str, bool]] = [
        ("trainer, fused neurons <= 5x the floor", per_step[TRAINER] <= 5 * floor),
        ("demo loop, elementwise <= 30x the floor", per_step[ELEMENTWISE] <= 30 * floor),
        ("bytes per elementwise node <= 400", bwd_bytes <= 400),
        (
            "chain backward linear (s/node at the largest <= 1.5x the smallest)",
            per_node[-1] <= 1.5 * per_node[0],
        ),
        ("chain backward memory within 2x of the graph", peak <= 2 * graph),
    ]
    if mg:
        targets += [
            ("demo loop, fused >= 40x faster than micrograd", mg / per_step[FUSED] >= 40),
            (
                "demo loop, elementwise >= 10x faster than micrograd",
                mg / per_step[ELEMENTWISE] >= 10,
            ),
        ]
    print()
    for text, met in targets:
        print(f"- [{'x' if met else ' '}] {text}")
    return 0 if all(met for _, met in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
