"""The performance table: every form of the reference workload side by side, in one process.

    python benchmarks/run.py                 # the table, the extra measurements, the targets
    python benchmarks/run.py --steps 20 --repeats 1 --micrograd-steps 3   # a quick look
    python benchmarks/run.py --scaling       # also MLP 2-H-H-1, H x N (a few minutes more)

Times are medians over ``--repeats`` rounds; in each round every workload trains a fresh
model for ``--steps`` steps (micrograd, about a second a step, for ``--micrograd-steps``:
its first steps are cheaper, before its uncollected cycles pile up), one after the other, so
all of them see the same machine state. Before timing, the workloads' losses
are checked against each other: the floor and the engine must agree. PyTorch's and JAX's
rows (JAX: the whole step one ``jax.jit`` program, f64, one XLA thread) are there when the
library is installed, else a one-line note says how to add them.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# One thread for NumPy's BLAS, as for PyTorch (read when NumPy loads): with its threads on a
# shared 2-core machine, (1000 x 32) @ (32 x 32) products took 20x longer.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import autograd
import nn
from autograd import Value
from autograd.extend import gc_paused, topological_order
from benchmarks import workload
from nn.losses import classification_loss, l2

FLOOR = "floor: hand-written floats, no graph"
TRAINER = "valuegrad trainer (nn.fit), fused neurons"
FUSED = "demo loop, fused neurons"
ELEMENTWISE = "demo loop, elementwise graph"
MICROGRAD = "micrograd 0.1.0, demo loop"
TIGHT = "floor, tight: sum/map over floats"
PYTHON = "trainer, compile='python' (tracing included)"
NUMPY = "trainer, compile='numpy' (tracing included)"
TORCH = "PyTorch batched, f64, 1 thread"
JAX = "JAX jit, f64, 1 thread"


def has_micrograd() -> bool:
    try:
        import micrograd  # noqa: F401
    except ImportError:
        return False
    return True


def check_agreement(steps: int) -> None:
    """The floor, the trainer and both demo loops give the same losses (to rounding)."""
    reference = workload.floor_steps(steps)
    names = [TRAINER, FUSED, ELEMENTWISE, TIGHT, PYTHON, NUMPY]
    names += [name for name in (TORCH, JAX) if name in workload.WORKLOADS]
    for name in names:
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
    """Median seconds per step of each workload. JAX's row times the compiled step: it is
    compiled for these shapes first (its compile time is printed apart)."""
    names = [name for name in workload.WORKLOADS if name != MICROGRAD or has_micrograd()]
    if JAX in names:
        workload.jax_steps(1)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            n = micrograd_steps if name == MICROGRAD else steps
            gc.collect()  # each starts with no garbage of the others (the gc rows count it)
            start = time.perf_counter()
            workload.WORKLOADS[name](n)
            samples[name].append((time.perf_counter() - start) / n)
    return {name: statistics.median(times) for name, times in samples.items()}


def compiled_agreement(steps: int) -> tuple[bool, float]:
    """Whether compile='python' gives the interpreted trainer's losses bit for bit at every
    step, and the largest relative difference of compile='numpy''s."""
    reference = workload.trainer_steps(steps)
    python = workload.compiled_steps(steps, "python")
    numpy = workload.compiled_steps(steps, "numpy")
    worst = max(abs(a - b) / abs(b) for a, b in zip(numpy, reference, strict=True))
    return python == reference, worst


def trace_and_compile_seconds(mode: str) -> float:
    """Seconds to trace the per-example program and generate and compile its code: the
    first call of fit's compiled objective, less a second (replayed) call."""
    X, y = workload.data()
    random.seed(workload.SEED)
    model = nn.MLP(2, workload.SIZES)
    params = model.parameters()
    labels = [(t + 1) // 2 for t in y]

    def example(xs: list[Value], label: int) -> tuple[Value, Value]:
        out = model(xs)
        assert isinstance(out, Value)
        return classification_loss("hinge", [out], [label]), out

    f = autograd.compile_mean(
        example,  # type: ignore[arg-type]
        extra=lambda: l2(params, workload.ALPHA),
        mode=mode,  # type: ignore[arg-type]
    )
    start = time.perf_counter()
    f(X, labels)
    first = time.perf_counter() - start
    start = time.perf_counter()
    f(X, labels)
    return first - (time.perf_counter() - start)


def peak_bytes(run: Callable[[], object]) -> int:
    """Peak bytes traced while ``run()`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def missing_notes() -> list[str]:
    """One line for each optional library whose rows the tables leave out."""
    notes = []
    if not workload.has_torch():
        notes.append("(PyTorch is not installed: its column is skipped; `make torch` installs it)")
    if not workload.has_jax():
        notes.append(workload.JAX_MISSING)
    return notes


def scaling_forms() -> dict[str, Callable[[int, list[int], int], list[float]]]:
    """The scaling table's uncompiled columns: ``run(steps, sizes, n) -> losses``; PyTorch's
    and JAX's only when installed."""
    forms: dict[str, Callable[[int, list[int], int], list[float]]] = {
        "floor": workload.floor_steps,
        "tight floor": workload.tight_floor_steps,
        "interpreted": workload.trainer_steps,
    }
    if workload.has_torch():
        forms["PyTorch"] = workload.torch_steps
    if workload.has_jax():
        forms["JAX jit"] = workload.jax_steps
    return forms


class Stamps(list[float]):
    """A trainer callback that notes the time after every step; it reads no weights, so
    ``fit(compile="numpy")`` keeps them in its arrays (``reads_model = False``)."""

    reads_model = False

    def __call__(self, history: object) -> None:
        self.append(time.perf_counter())


def scaling(steps: int) -> list[tuple[int, int, dict[str, float]]]:
    """Seconds per step of MLP 2-H-H-1 on N points, per form. The compiled forms: the median
    of their steps after the first (the trainer's, stamped by a callback), and the first
    step (making the data and the model, tracing, the code, one step) apart. The others run
    once for one step and once for ``steps``: a step is the difference over ``steps - 1``
    (making the data and the model cancels). JAX's first step (tracing and XLA compilation,
    its caches cleared first) is apart too."""
    forms = scaling_forms()
    if "PyTorch" in forms:
        workload.torch_steps(2)  # its first call in a process warms PyTorch up
    rows = []
    for hidden in (8, 16, 32, 64):
        for n in (100, 1000):
            sizes = workload.sizes_of(hidden)
            times = {}
            for name, run in forms.items():
                if name == "JAX jit":  # compiled for this shape first, its time apart
                    gc.collect()
                    times["JAX jit first step"] = workload.jax_first_step_seconds(sizes, n)
                first = timed_run(run, 1, sizes, n)
                whole = timed_run(run, steps, sizes, n)
                times[name] = (whole - first) / (steps - 1)
            for mode in ("python", "numpy"):
                gc.collect()
                stamps = Stamps([time.perf_counter()])
                workload.trainer_steps(steps, sizes, n, mode, [stamps])
                times[mode] = statistics.median(b - a for a, b in itertools.pairwise(stamps[1:]))
                times[f"{mode} first step"] = stamps[1] - stamps[0]
            rows.append((hidden, n, times))
            print(f"  H={hidden} N={n} done", file=sys.stderr)
    return rows


def timed_run(run: Callable[..., object], *args: object) -> float:
    """Seconds for ``run(*args)``, the collector's garbage cleared first."""
    gc.collect()
    start = time.perf_counter()
    run(*args)
    return time.perf_counter() - start


def chain(n: int) -> tuple[Value, Value]:
    x = Value(0.5)
    y = x
    with gc_paused():
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
    with gc_paused():
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
    parser.add_argument(
        "--scaling", action="store_true", help="also the H x N table of MLP 2-H-H-1 (minutes)"
    )
    parser.add_argument("--scaling-steps", type=int, default=6, help="steps per scaling cell")
    args = parser.parse_args(argv)

    print(machine())
    for note in missing_notes():
        print(note)
    check_agreement(min(args.steps, 10))
    bitwise, numpy_worst = compiled_agreement(args.steps)
    per_step = time_workloads(args.steps, args.micrograd_steps, args.repeats)
    floor, tight = per_step[FLOOR], per_step[TIGHT]
    mg = per_step.get(MICROGRAD)
    print()
    print("| workload: micrograd's demo | ms/step | x floor | x tight floor | micrograd / this |")
    print("|---|---:|---:|---:|---:|")
    for name, seconds in per_step.items():
        speedup = f"{mg / seconds:.1f}" if mg and name != MICROGRAD else ""
        print(
            f"| {name} | {seconds * 1e3:.2f} | {seconds / floor:.2f} | {seconds / tight:.2f} "
            f"| {speedup} |"
        )
    compile_seconds = trace_and_compile_seconds("python")
    numpy_seconds = trace_and_compile_seconds("numpy")
    interpreted_peak = peak_bytes(lambda: workload.trainer_steps(3))
    python_peak = peak_bytes(lambda: workload.compiled_steps(3, "python"))
    print()
    print("| compile | value |")
    print("|---|---:|")
    print(f"| trace + generate + compile, python / numpy | {compile_seconds:.3f} s / "
          f"{numpy_seconds:.3f} s |")  # fmt: skip
    print(
        f"| peak memory over 3 steps: interpreted / compile='python' | "
        f"{interpreted_peak / 2**20:.1f} MiB / {python_peak / 2**20:.1f} MiB "
        f"({python_peak / interpreted_peak:.2f}x) |"
    )
    print(
        f"| compile='python' losses bitwise equal to the engine's, {args.steps} steps | {bitwise} |"
    )
    print(
        f"| compile='numpy' largest relative loss difference, {args.steps} steps | "
        f"{numpy_worst:.1e} |"
    )
    replay = {
        name: per_step[name] - seconds / args.steps
        for name, seconds in ((PYTHON, compile_seconds), (NUMPY, numpy_seconds))
    }
    for name, seconds in replay.items():
        print(f"| {name.split(' (')[0]}, replay only (no tracing) | {seconds * 1e3:.2f} ms/step |")
    if JAX in per_step:
        print(
            f"| JAX jit: trace + XLA compile of the step (its row replays the compiled step) | "
            f"{workload.jax_compile_seconds():.3f} s |"
        )
        if TORCH in per_step:
            ratio = per_step[JAX] / per_step[TORCH]
            print(f"| JAX jit / PyTorch batched, ms per step | {ratio:.2f}x |")

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
        (
            f"trainer, fused neurons <= 2.5x the floor ({per_step[TRAINER] / floor:.2f}x)",
            per_step[TRAINER] <= 2.5 * floor,
        ),
        ("demo loop, elementwise <= 30x the floor", per_step[ELEMENTWISE] <= 30 * floor),
        ("bytes per elementwise node <= 400", bwd_bytes <= 400),
        (
            "chain backward linear (s/node at the largest <= 1.5x the smallest)",
            per_node[-1] <= 1.5 * per_node[0],
        ),
        ("chain backward memory within 2x of the graph", peak <= 2 * graph),
    ]
    targets += [
        (
            f"compile='python', tracing included, <= 0.85x the tight floor "
            f"({per_step[PYTHON] / tight:.2f}x; {per_step[PYTHON] / floor:.2f}x the floor)",
            per_step[PYTHON] <= 0.85 * tight,
        ),
        (f"compile='python' losses bitwise equal at all {args.steps} steps", bitwise),
        (f"trace + compile <= 0.3 s ({compile_seconds:.3f} s)", compile_seconds <= 0.3),
        (
            f"compile='python' peak memory <= 2x the interpreted trainer's "
            f"({python_peak / interpreted_peak:.2f}x)",
            python_peak <= 2 * interpreted_peak,
        ),
        (f"compile='numpy' losses within 1e-12 relative ({numpy_worst:.1e})", numpy_worst <= 1e-12),
    ]
    if TORCH in per_step:
        ratio = per_step[NUMPY] / per_step[TORCH]
        targets.append((f"compile='numpy' <= 1.0x PyTorch batched ({ratio:.2f}x)", ratio <= 1.0))
    if args.scaling:
        rows = scaling(args.scaling_steps)
        names = list(rows[0][2])
        print()
        print(
            f"| MLP 2-H-H-1, ms/step ({args.scaling_steps} steps: a run of them less a run of "
            "1; compiled: the median step after the first, the first apart) | "
            + " | ".join(names)
            + " |"
        )
        print("|---|" + "---:|" * len(names))
        for hidden, n, times in rows:
            cells = " | ".join(f"{times[name] * 1e3:.2f}" for name in names)
            print(f"| H={hidden}, N={n} | {cells} |")
        if "PyTorch" in names and "JAX jit" in names:
            ratios = [times["JAX jit"] / times["PyTorch"] for _, _, times in rows]
            print(f"\nJAX jit / PyTorch, ms per step: {min(ratios):.2f}x to {max(ratios):.2f}x")
        if "PyTorch" in names:
            worst = max(times["numpy"] / times["PyTorch"] for _, _, times in rows)
            targets.append(
                (
                    f"numpy (replayed steps) <= 1.5x PyTorch at every size (worst {worst:.2f}x)",
                    worst <= 1.5,
                )
            )
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
