"""Time rendering ~300-node computation graphs to SVG with each backend (median of repeats).

    python benchmarks/render.py [--repeats 5]

Two graphs: one sample through a 3-6-5-1 tanh MLP built from + and * (a typical picture),
and a random DAG of exactly 300 nodes whose nodes are reused far downstream (long edges, the
hard case for Graphviz's layout). Nodes are drawn nodes: one per Value plus one per operation,
as draw_graph counts them. Each time is draw_graph(...).svg() (build the graph + render); the first
WebAssembly render of a process also compiles graphviz.wasm, reported on its own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from autograd import Value
from autograd.viz import draw_graph


def mlp_sample(sizes: tuple[int, ...] = (3, 6, 5, 1), seed: int = 0) -> Value:
    """The output of a tanh MLP on one sample, neuron by neuron as in micrograd."""
    rng = random.Random(seed)
    layer = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(sizes[0])]
    for width in sizes[1:]:
        outputs = []
        for _ in range(width):
            act = Value(rng.uniform(-1, 1), label="b")
            for x in layer:
                act = act + Value(rng.uniform(-1, 1), label="w") * x
            outputs.append(act.tanh())
        layer = outputs
    return layer[0]


def random_dag(nodes: int = 300, leaves: int = 20, seed: int = 0) -> Value:
    """A random DAG of + and * with exactly ``nodes`` drawn nodes, all reachable from it."""
    if (nodes - leaves) % 2 or nodes <= leaves:
        raise ValueError("nodes - leaves must be positive and even (each op draws 2 nodes)")
    rng = random.Random(seed)
    inputs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(leaves)]
    # each op takes the newest node and an input not used yet, later a random earlier result
    root, results = inputs[0], [inputs[0]]
    for i in range(1, (nodes - leaves) // 2 + 1):
        other = inputs[i] if i < leaves else rng.choice(results[:-1])
        root = root * other if rng.random() < 0.5 else root + other
        results.append(root)
    return root


def median_seconds(root: Value, backend: str, repeats: int) -> float:
    """Median wall time of ``draw_graph(root, backend=backend).svg()`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        draw_graph(root, backend=backend).svg()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats

    start = time.perf_counter()
    draw_graph(Value(0.0), backend="wasm").svg()
    startup = time.perf_counter() - start
    print(f"median of {repeats} renders, seconds")
    print(f"{'graph':<28} {'nodes':>5} {'dot':>7} {'wasm':>7}")
    for name, root in (
        ("MLP 3-6-5-1, one sample", mlp_sample()),
        ("random DAG, long edges", random_dag()),
    ):
        root.backward()
        nodes = draw_graph(root).svg().count('class="node"')
        dot, wasm = (median_seconds(root, b, repeats) for b in ("dot", "wasm"))
        print(f"{name:<28} {nodes:>5} {dot:>7.3f} {wasm:>7.3f}")
    print(f"(wasm start-up, once per process: {startup:.3f} s)")


if __name__ == "__main__":
    main()
