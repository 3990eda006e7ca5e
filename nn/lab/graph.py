"""One sample's loss through an MLP, folded to one node per neuron, with backprop's arithmetic.

The engine's graph of one sample is hundreds of nodes (every weight is a leaf); a learner's
screen holds a few dozen. :func:`sample_graph` builds the sample's loss with the engine, runs
:func:`autograd.backward_steps` on it and *folds* it: one display node per input, one per
neuron (its ``dot`` or chain of ``*``/``+`` and its activation, weights and bias folded in),
one per operation of the loss. Every number it returns is one the engine computed: node
values are ``.data``, gradients come from ``backward_steps``, and each term of the chain rule
is the engine's own local-gradient rule (``autograd.extend.local_gradients``) applied to the
engine's numbers.

The *structure* of the folded graph (its nodes and edges) is the same for every step of a
run and every sample with the same loss branch: ReLU and hinge change values, not the graph
(``relu`` always makes a node). Cross-entropy picks the target's logit, so its structure
depends on the label; ``SampleGraph.signature`` tells structures apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, backward_steps
from autograd.extend import OPS, local_gradients
from nn.losses import classification_loss
from nn.module import MLP

#: What the local rule of each operation is, for the step text (the numbers are the engine's):
#: the ``derivative`` of its row in autograd's table, by the label its nodes carry.
RULES = {op.label: op.derivative for op in OPS if not op.with_constant}
#: The label of an activation's node, by the activation's name (``relu`` -> ``ReLU``).
_ACTIVATION_OPS = {op.name: op.label for op in OPS if op.name in ("relu", "tanh", "sigmoid")}


def fmt(x: float) -> str:
    """A number as the step text shows it: 4 significant digits (hover shows it exactly).

    A zero shows as 0 whatever its sign (``-0.0 + 0.0`` is ``0.0``): IEEE's signed zero,
    e.g. ``0.0 * -0.5``, would otherwise print ``-0``, which teaches nothing.
    """
    return f"{x + 0.0:.4g}"


@dataclass
class DisplayNode:
    """A node of the folded graph: an input, a neuron, or one operation of the loss."""

    name: str  # "x0", "L1.n3", "loss", "t2"
    kind: str  # "input", "neuron", "op"
    label: str  # the first line of its box: the name, and the op for loss operations
    layer: int  # 0 inputs, 1.. layers, len(layers)+1 the loss
    output: Value  # the engine node whose data and grad the box shows
    members: list[Value] = field(default_factory=list)  # engine nodes folded into it
    picture_label: str = ""  # the label in a static picture: constants by value


@dataclass
class SampleGraph:
    """One sample's folded graph at one set of parameter values, after backward.

    ``values[i]`` and ``grads[i]`` are display node i's data and gradient; ``extra[i]`` the
    pre-activation ``z`` and its gradient for a neuron with an activation (else None);
    ``constants[i]`` the values of the constants a loss operation's label names ``c`` (or
    ``c0``, ``c1``... if several; :func:`constant_names`), in order, else empty; ``steps``
    lists the display nodes in the order backward completes them, with the lines of
    arithmetic of each step.
    """

    nodes: list[DisplayNode]
    edges: list[tuple[int, int]]
    values: list[float]
    grads: list[float]
    extra: list[tuple[float, float] | None]
    constants: list[list[float]]
    steps: list[tuple[int, list[str]]]
    loss: float
    signature: tuple[Any, ...]


#: Per consumer node: its local derivatives and the gradients it passes (see _contribution).
_RuleCache = dict[Value, tuple[tuple[float, ...], tuple[float, ...]]]


def sample_graph(model: MLP, x: Sequence[float], label: int, loss: str) -> SampleGraph:
    """Build ``loss`` of one sample ``(x, label)`` with the engine and fold it (see module doc).

    The parameters' ``.grad`` are not touched: gradients come from ``backward_steps``.
    """
    if not isinstance(model, MLP):
        raise TypeError(f"the lab draws MLPs, got {type(model).__name__}")
    inputs = [Value(float(v)) for v in x]
    nodes = [DisplayNode(f"x{i}", "input", f"x{i}", 0, v, [v]) for i, v in enumerate(inputs)]
    param_names: dict[Value, str] = {}
    acts: list[Value] = inputs
    for li, layer in enumerate(model.layers, start=1):
        outs = layer.outputs(acts)
        feeding = set(acts)
        for j, (neuron, out) in enumerate(zip(layer.neurons, outs)):
            name = f"L{li}.n{j}"
            for i, w in enumerate(neuron.w):
                param_names[w] = f"{name}.w{i}"
            param_names[neuron.b] = f"{name}.b"
            act = _ACTIVATION_OPS.get(neuron.activation)
            label_text = f"{name} {act}" if act else f"{name} linear"
            nodes.append(DisplayNode(name, "neuron", label_text, li, out, members(out, feeding)))
        acts = outs
    output = acts[0] if len(acts) == 1 else acts
    root = classification_loss(loss, [output], [label])

    group: dict[Value, int] = {}
    for i, node in enumerate(nodes):
        for m in node.members:
            group[m] = i
    # Every other computed node is an operation of the loss, shown as its own node.
    order = list(backward_steps(root))
    grads: dict[Value, float] = dict(order)
    loss_layer = len(model.layers) + 1
    count = 0
    for v, _ in reversed(order):  # forward order: inputs of the loss first
        if v._prev and v not in group:
            name = "loss" if v is root else f"t{count}"
            count += v is not root
            group[v] = len(nodes)
            nodes.append(DisplayNode(name, "op", "", loss_layer, v, [v]))
            nodes[-1].label = f"{name} = {_expression(v, group, nodes, constants=False)}"
            nodes[-1].picture_label = f"{name} = {_expression(v, group, nodes, constants=True)}"

    edges = sorted(
        {
            (group[p], group[c])
            for c in group
            for p in c._prev
            if p in group and group[p] != group[c]
        }
    )
    consumers: dict[Value, list[Value]] = {}
    for c in grads:
        for p in c._prev:
            consumers.setdefault(p, [])
            if c not in consumers[p]:
                consumers[p].append(c)

    steps: list[tuple[int, list[str]]] = []
    cache: _RuleCache = {}
    seen: set[int] = set()
    for v, _ in order:
        index = group.get(v)
        if index is None or index in seen:
            continue
        i = index
        seen.add(i)
        lines = _step_lines(nodes[i], root, grads, consumers, group, nodes, param_names, cache)
        steps.append((i, lines))

    extra: list[tuple[float, float] | None] = []
    for node in nodes:
        z = _pre_activation(node)
        extra.append((z.data, grads[z]) if z is not None else None)
    signature = (
        tuple((n.kind, n.label) for n in nodes),
        tuple(edges),
        tuple(i for i, _ in steps),
    )
    return SampleGraph(
        nodes=nodes,
        edges=edges,
        values=[n.output.data for n in nodes],
        grads=[grads[n.output] for n in nodes],
        extra=extra,
        constants=[
            [p.data for p in n.output._prev if p not in group] if n.kind == "op" else []
            for n in nodes
        ],
        steps=steps,
        loss=root.data,
        signature=signature,
    )


def _expression(
    v: Value, group: dict[Value, int], nodes: list[DisplayNode], *, constants: bool
) -> str:
    """How a loss operation computes its value: ``t1 = 1 - t0``, ``t2 = ReLU(t1)``.

    Operands are display names; constants show their value, or their name (``c``, or ``c0``,
    ``c1``... if several: :func:`constant_names`) if not ``constants`` (the page lays a graph
    out once, and a constant such as cross-entropy's max logit changes from step to step: the
    box shows each name's value below, ``SampleGraph.constants``).
    """
    args = [
        fmt(p.data) if constants and p not in group else name
        for p, name in zip(v._prev, _operand_names(v, group, nodes))
    ]
    if v._op in ("+", "-", "*", "/", "**") and len(args) == 2:
        return f"{args[0]} {v._op} {args[1]}"
    return f"{v._op}({', '.join(args)})"


def _operand_names(v: Value, group: dict[Value, int], nodes: list[DisplayNode]) -> list[str]:
    """The names of ``v``'s operands as the page shows them: a box's name, or a constant's
    (:func:`constant_names`)."""
    constants = iter(constant_names(sum(p not in group for p in v._prev)))
    return [nodes[group[p]].name if p in group else next(constants) for p in v._prev]


def constant_names(count: int) -> list[str]:
    """The names of an operation's ``count`` constants: ``c`` alone, else ``c0``, ``c1``..."""
    return ["c"] if count == 1 else [f"c{i}" for i in range(count)]


def members(out: Value, inputs: set[Value]) -> list[Value]:
    """The engine nodes of one neuron: from its output back to its inputs, params excluded."""
    members, stack = [], [out]
    while stack:
        v = stack.pop()
        if v in inputs or not v._prev or v in members:
            continue
        members.append(v)
        stack.extend(v._prev)
    return members


def _pre_activation(node: DisplayNode) -> Value | None:
    """A neuron's z (the input of its activation), or None if it has no activation."""
    out = node.output
    if node.kind == "neuron" and out._op in _ACTIVATION_OPS.values():
        return out._prev[0]
    return None


def _contribution(
    consumer: Value, g: float, parent: Value, cache: _RuleCache
) -> tuple[float, float]:
    """(local derivative, gradient passed) from ``consumer`` to ``parent``: the engine's rule.

    The consumer's local-gradient rule runs on the engine's numbers, once with the incoming
    gradient 1 (the local derivative) and once with its real gradient ``g`` (what it passes);
    a parent that appears twice among the consumer's inputs gets the sum. ``cache`` keeps
    each consumer's rule results (a dot node has many parents): one dict per sample graph.
    """
    if consumer not in cache:
        cache[consumer] = (local_gradients(consumer, 1.0), local_gradients(consumer, g))
    local_all, passed_all = cache[consumer]
    local = passed = 0.0
    for p, lo, pa in zip(consumer._prev, local_all, passed_all):
        if p is parent:
            local += float(lo)
            passed += float(pa)
    return local, passed


def _step_lines(
    node: DisplayNode,
    root: Value,
    grads: dict[Value, float],
    consumers: dict[Value, list[Value]],
    group: dict[Value, int],
    nodes: list[DisplayNode],
    param_names: dict[Value, str],
    cache: _RuleCache,
) -> list[str]:
    """The chain-rule arithmetic of one backward step, every number from the engine."""
    out = node.output
    g = grads[out]
    lines = []
    if out is root:
        lines.append("loss.grad = 1  (d loss / d loss: backward starts here)")
    else:
        terms = []
        for c in consumers.get(out, []):
            local, passed = _contribution(c, grads[c], out, cache)
            where = nodes[group[c]]
            if where.kind == "neuron":  # the local derivative is the weight on this input
                what = _z_name(where)
                factor = _weight_name(c, out, param_names) or f"d {what}/d {node.name}"
                what += ".grad"
            else:
                factor, what = f"d {where.name}/d {node.name}", f"{where.name}.grad"
            terms.append(f"  {factor} * {what} = {fmt(local)} * {fmt(grads[c])} = {fmt(passed)}")
        paths = len(terms)
        head = "the sum over " + (f"{paths} paths" if paths != 1 else "1 path")
        lines.append(f"{node.name}.grad = {head} (local derivative * grad where it leads):")
        lines.extend(terms)
        lines.append(f"  = {fmt(g)}")
    z = _pre_activation(node)
    zname = _z_name(node)
    if z is not None:
        local, passed = _contribution(out, g, z, cache)
        rule = _named_rule(out._op, [zname]).split(" =")[0]  # ReLU'(L1.n0.z)
        lines.append(
            f"{zname}.grad = {node.name}.grad * {rule} = {fmt(g)} * {fmt(local)} "
            f"= {fmt(passed)}   ({zname} = {fmt(z.data)})"
        )
    if node.kind == "neuron":
        lines.append(f"{node.name}'s own weights and bias (in its box), each used once here:")
        own = []  # (order, line): w0, w1, ..., b whatever order the graph holds them in
        for m in node.members:
            for p in dict.fromkeys(m._prev):
                if p in param_names:
                    local, passed = _contribution(m, grads[m], p, cache)
                    name = param_names[p]  # L1.n0.w3 or L1.n0.b: the neuron's own
                    own_name = name.rsplit(".", 1)[1]
                    if own_name == "b":
                        own.append((math.inf, f"{name}.grad += {zname}.grad = {fmt(passed)}"))
                    else:
                        source = _source_name(m, p, group, nodes)
                        line = (
                            f"{name}.grad += {source}.data * {zname}.grad = {fmt(local)} * "
                            f"{fmt(grads[m])} = {fmt(passed)}"
                        )
                        own.append((int(own_name[1:]), line))
        lines.extend(line for _, line in sorted(own))
    elif node.kind == "op":
        lines.append(f"{node.name} = {_expression(out, group, nodes, constants=True)}")
        if out._op in RULES:
            names = _operand_names(out, group, nodes)
            lines.append(f"rule of {out._op}: {_named_rule(out._op, names)}")
    return lines


def _named_rule(op: str, names: list[str]) -> str:
    """The local rule of ``op`` (:data:`RULES`) in the names the page shows: its generic
    operands ``a`` and ``z`` (the first) and ``b`` (the second) become ``names``."""
    by_letter = {"a": names[0], "z": names[0], "b": names[-1]}

    def named(m: re.Match[str]) -> str:
        return m[1] + (" " if m[1] else "") + by_letter[m[2]]

    return re.sub(r"(?<![A-Za-z_.])(d?)([abz])(?![A-Za-z_0-9])", named, RULES[op])


def _z_name(node: DisplayNode) -> str:
    """What the text calls a neuron's weighted sum ``z``: ``L1.n0.z`` if the neuron has an
    activation (its box shows z), else the neuron itself (a linear neuron's output is z)."""
    return f"{node.name}.z" if _pre_activation(node) is not None else node.name


def _weight_name(consumer: Value, x: Value, param_names: dict[Value, str]) -> str | None:
    """The name of the weight that multiplies input ``x`` in ``consumer`` (a dot or a ``*``)."""
    prev = consumer._prev
    if consumer._op == "dot":
        n = len(prev) // 2
        if x in prev[n : 2 * n]:
            return param_names.get(prev[list(prev[n : 2 * n]).index(x)])
    elif consumer._op == "*" and len(prev) == 2:
        return param_names.get(prev[1] if prev[0] is x else prev[0])
    return None


def _source_name(m: Value, w: Value, group: dict[Value, int], nodes: list[DisplayNode]) -> str:
    """The display name of the input that multiplies weight ``w`` in node ``m``."""
    prev = m._prev
    if m._op == "dot":
        n = len(prev) // 2
        x = prev[n + prev.index(w)]
    else:  # an elementwise w * x
        x = prev[1] if prev[0] is w else prev[0]
    i = group.get(x)
    return nodes[i].name if i is not None else "x"
