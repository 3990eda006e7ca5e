"""Python: the per-example program looped over the batch, and ``extra()`` after it.

One function reads the parameters, loops over the examples (each runs the forward, the
guards and the backward of its kind's program, in the engine's order) and returns the mean
loss, every parameter's gradient and the auxiliary outputs; ``extra()`` is a function of its
own that takes the gradients' sums so far and continues them, as the engine's backward pass
reaches it after the examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from autograd.jit.emit import Emitter, indent
from autograd.jit.trace import Graph

if TYPE_CHECKING:
    from autograd.jit.kinds import Variant


def generate_python(
    emitter: Emitter, programs: list[Variant], extra: Graph | None
) -> tuple[str, Callable[..., Any]]:
    """One function: read the parameters, loop over the examples (each runs its program's
    forward, guards and backward), then return the mean loss, the gradients and the aux.

    The engine's backward pass starts at ``sum(terms) * (1/n) + extra()``: the gradient of a
    loss that is a parameter itself (``extra()``'s, then the examples', in order) is added
    there, before any example's graph; so it is here, before the loop."""
    first = []
    if extra is not None and (name := _parameter_loss(emitter, extra)) is not None:
        first.append(f"g{name} += 1.0  # extra() is a parameter")
    leaf_losses = [
        (k, name)
        for k, variant in enumerate(programs)
        if (name := _parameter_loss(emitter, variant.graph)) is not None
    ]
    if leaf_losses:
        first.append("for k, _ in keys:  # the examples whose loss is a parameter")
        first += indent(
            [
                line
                for j, (k, name) in enumerate(leaf_losses)
                for line in (f"{'if' if j == 0 else 'elif'} k == {k}:", f"    g{name} += seed")
            ],
            1,
        )
    loop: list[str] = []
    for k, variant in enumerate(programs):
        graph = variant.graph
        xnames = [f"x{j}" for j in range(variant.width)]
        cnames = [f"c{j}" for j in range(len(variant.constants))]
        given = {i: xnames[j] for i, j in variant.inputs.items()}
        given.update(zip(variant.constants, cnames))
        names = emitter.bind(graph, given)
        body = [f"{', '.join(xnames)}, = x" if xnames else "pass"]
        if cnames:
            body.append(f"{', '.join(cnames)}, = c  # this example's constants")
        body += emitter.forward(graph, names)
        body += emitter.guards(graph, names, "return None, i, None")
        body.append(f"total += {emitter.ref(graph, names, graph.root)}")
        aux = "".join(f"{emitter.ref(graph, names, a)}, " for a in graph.aux)
        body.append(f"aux.append(({aux}))")
        body += emitter.backward(graph, names, "seed", given, seed_leaf=False)
        loop += [f"{'if' if k == 0 else 'elif'} k == {k}:", *indent(body, 1)]
    lines = [
        "def step(P, batch, keys, seed):  # keys: (program, constants); seed: 1 / len(batch)",
        f"    {emitter.read()}",
        f"    {emitter.zero()}",
        *indent(first, 1),
        "    total, aux = 0.0, []",
        "    for i, (x, (k, c)) in enumerate(zip(batch, keys)):",
        *indent(loop, 2),
        f"    return total * seed, {emitter.grads()}, aux",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "step")


def generate_extra(
    emitter: Emitter, graph: Graph, *, from_values: bool = True
) -> tuple[str, Callable[..., Any]]:
    """``extra()`` as a function of its own (compiled apart: a smaller peak of memory), which
    takes the gradients' sums so far and continues them. ``P``: the parameters (Values), or
    with ``from_values=False`` their values (floats, in the same order)."""
    names = emitter.bind(graph, {})
    body = emitter.forward(graph, names) + emitter.guards(graph, names, "return None, None")
    body += emitter.backward(graph, names, "1.0", seed_leaf=False)  # added in step
    lines = [
        "def extra(P, G):  # G: the gradients' sums so far",
        f"    {emitter.read() if from_values else _read_floats(emitter)}",
        f"    {emitter.grad_names() or '_'} = G",
        *indent(body, 1),
        f"    return {emitter.ref(graph, names, graph.root)}, {emitter.grads()}",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "extra")


def _read_floats(emitter: Emitter) -> str:
    """The line reading the parameters' values ``p0, p1, ...`` from a list of floats ``P``."""
    names = "".join(f"p{j}, " for j in range(len(emitter.params)))
    return f"{names}= P" if names else "pass"


def _parameter_loss(emitter: Emitter, graph: Graph) -> str | None:
    """The name of the parameter that is the graph's loss itself, if it is one."""
    if graph.nodes[graph.root].op is not None:
        return None
    leaf = graph.leaf(graph.root)  # None for a constant, and for an input (not a parameter)
    return None if leaf is None else emitter.parameter(leaf)
