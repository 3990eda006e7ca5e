"""Write the guide's example pictures to docs/assets/: micrograd's neuron after backward,
and the same neuron halfway through stepping backprop (docs/guide/drawing.md shows them).

    python docs/make_example.py [--backend auto|dot|wasm] [--out FOLDER]

The pictures are committed, so the docs build needs no Graphviz; tests/test_docs.py checks
that they show what this script draws today.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from autograd import Value, backward_steps
from autograd.viz import draw_graph

ASSETS = Path(__file__).resolve().parent / "assets"


def neuron() -> tuple[Value, list[Value]]:
    """tanh(x1*w1 + x2*w2 + b), micrograd's example; returns the output and the parameters."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [w1, w2, b]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto", choices=("auto", "dot", "wasm"))
    parser.add_argument("--out", type=Path, default=ASSETS, help="folder (default docs/assets)")
    args = parser.parse_args()
    backend, out = args.backend, args.out

    o, params = neuron()
    o.backward()
    done = draw_graph(
        o,
        params=params,
        backend=backend,
        caption="o = tanh(x1*w1 + x2*w2 + b) after o.backward()",
        legend=True,
    ).save(out / "neuron.svg")
    print(f"wrote {done}")

    o, params = neuron()
    steps = list(itertools.islice(backward_steps(o), 4))
    done = draw_graph(
        o,
        params=params,
        backend=backend,
        grads=dict(steps),
        highlight=steps[-1][0],
        caption="backward_steps(o): the fourth step",
    ).save(out / "neuron_step.svg")
    print(f"wrote {done}")


if __name__ == "__main__":
    main()
