"""Tracing: run a program once on the engine and write its graph down as plain data.

A :class:`Graph` holds no Value but the leaves that outlive the trace (weak references):
nodes are numbered parents first, each with its row of :mod:`autograd.ops`, its parents'
numbers, its constant (``x ** c``) and its rule. Besides the graph, the trace keeps what the
graph alone does not say: every comparison of a Value that decided a bool (a *guard*, checked
on every replay). What a trace cannot replay is refused here, before any code is written.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value
from autograd.extend import OPS, BoundRule, Op, Rule, topological_order, trace_hook

#: A guard: node ``a`` compared with node ``b`` (an int) or a number, and the traced outcome.
Guard = tuple[int, str, "int | float", bool]


@dataclass(eq=False)  # one tracer is one trace: compared (and removed) by identity
class Tracer:
    """Told every comparison of a Value and every node made while tracing (a TraceHook)."""

    comparisons: list[tuple[Value, str, Value | float, bool]] = field(default_factory=list)
    #: the comparisons told from threads that ran before the trace began (a thread that may
    #: have nothing to do with it), by their position in ``comparisons``; one told from a
    #: thread started since is the traced function's worker's, and guards the program
    elsewhere: set[int] = field(default_factory=set)
    thread: int = field(default_factory=threading.get_ident)
    threads_before: frozenset[int | None] = field(
        default_factory=lambda: frozenset(t.ident for t in threading.enumerate())
    )
    #: the nodes made in the traced context, kept alive until the graph is built
    made_here: list[Value] = field(default_factory=list)
    #: nodes made under no_grad in the traced context: their values would be frozen
    detached: int = 0
    #: what read numbers out of a graph in the traced context (a backward pass in floats)
    read_outs: list[str] = field(default_factory=list)
    #: whether the traced function took a gradient with a graph (then under no_grad, where
    #: the engine would find no graph to differentiate, calls run on the engine)
    differentiates: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool, /) -> None:
        with self.lock:  # worker threads may tell too
            here = threading.get_ident()
            if here != self.thread and here in self.threads_before:
                self.elsewhere.add(len(self.comparisons))
            self.comparisons.append((a, op, b, outcome))

    def made(self, out: Value, recorded: bool, /) -> None:
        if recorded:
            self.made_here.append(out)
        else:
            self.detached += 1

    def differentiated(self, what: str, recorded: bool, /) -> None:
        if recorded:
            self.differentiates = True
        else:  # refused at once, before the pass writes anything (and again if fn catches it)
            self.read_outs.append(what)
            _refuse_untraceable(self)


def trace(fn: Callable[[], Any]) -> tuple[Any, Tracer]:
    """``fn()`` run on the engine with a tracer listening: its result and the tracer."""
    tracer = Tracer()
    with trace_hook(tracer):
        return fn(), tracer


@dataclass
class Node:
    """One node of a traced graph, with no reference to the Value it was."""

    op: Op | None  # None for a leaf
    parents: tuple[int, ...]
    label: str
    data: float
    c: float | None = None  # the row's constant (x ** c, leaky_relu)
    rule: Rule | None = None


@dataclass
class Graph:
    """A traced program: its nodes (parents first), the engine's backward order, the guards,
    the output and the auxiliary outputs, and the leaves that outlive the trace."""

    nodes: list[Node]
    backward: list[int]  # interior nodes in the engine's backward order (output first)
    guards: list[Guard]
    root: int
    aux: list[int]
    leaves: dict[int, weakref.ref[Value]]  # leaf index -> the leaf, while it lives
    #: the leaves the output depends on: those backward() writes a gradient to
    reached: frozenset[int] = frozenset()
    #: interior nodes the traced context did not make (see :func:`refuse_made_before`)
    foreign: list[weakref.ref[Value]] = field(default_factory=list)
    #: interior nodes the traced context made (see :func:`refuse_made_before`)
    made: list[weakref.ref[Value]] = field(default_factory=list)
    #: the program takes a gradient with a graph (under no_grad the engine finds none)
    differentiates: bool = False

    def leaf(self, i: int) -> Value | None:
        """The Value of leaf ``i`` if it outlived the trace (a parameter), else None."""
        ref = self.leaves.get(i)
        return None if ref is None else ref()


#: A row by its rule (a node of a row with a constant has a BoundRule, which names its row).
_BY_RULE: dict[object, Op] = {op.rule: op for op in OPS if not op.with_constant}


def _row(node: Value) -> tuple[Op | None, float | None]:
    """The node's row and constant, read off its rule (None for an op outside the table)."""
    rule = node._vjp
    if isinstance(rule, BoundRule):
        return rule.op, rule.c
    return _BY_RULE.get(rule), None


def _refuses(node: Value) -> bool:
    """Whether the node's row refuses some operands (``Op.refuses``: log, sqrt, /, **)."""
    op = _row(node)[0]
    return op is not None and op.refuses


def _row_of(node: Value) -> tuple[Op, float | None]:
    op, c = _row(node)
    if op is not None:
        return op, c
    raise TypeError(
        f"compile: the node {node._op!r} ({node!r}) is not an operation of autograd.ops "
        "(autograd.custom_op, or make_node with a rule of its own), so no code can be "
        "written for it; use mode='interpret', or add a row to autograd.ops"
    )


def _refuse_untraceable(tracer: Tracer) -> None:
    """What the traced function did that no replay would do again."""
    if tracer.detached:
        raise TypeError(
            f"compile: the function computed {tracer.detached} value(s) under no_grad() while "
            "it was traced; a replay would freeze them as constants although they depend on "
            "the parameters. Compute them outside the function, or use mode='interpret'"
        )
    if tracer.read_outs:
        raise TypeError(
            f"compile: the function ran {tracer.read_outs[0]} while it was traced: numbers "
            "read out of a graph (gradients returned as floats, or written into .grad) would "
            "be frozen or not written again on replay. Inside the function take gradients "
            "with autograd.grad(f)(x) on Values or autograd.gradients(..., create_graph=True); "
            "or use mode='interpret'"
        )


def refuse_result(result: object, where: str) -> None:
    """TypeError unless ``result`` is a Value (what a traced function must return)."""
    if not isinstance(result, Value):
        raise TypeError(
            f"{where}: the function must return a Value, got {type(result).__name__} {result!r:.60}"
        )


def build(root: Value, tracer: Tracer, aux: Sequence[Value] = ()) -> Graph:
    """The traced graph of ``root`` (and of every compared or auxiliary Value) as numbers.

    Refuses, with a TypeError naming it, what a replay could not reproduce: a node of an
    operation outside the table, values computed under ``no_grad`` inside the traced function
    (they would be frozen into the program) and backward passes in floats run inside it; see
    also :func:`refuse_made_before`. Nodes of rows that refuse some operands (``Op.refuses``)
    that the function made but does not use are replayed too, so that their domain errors
    are raised.
    """
    made_here = set(map(id, tracer.made_here))
    index: dict[Value, int] = {}
    nodes: list[Node] = []
    leaves: dict[int, weakref.ref[Value]] = {}
    foreign: list[weakref.ref[Value]] = []
    made: list[weakref.ref[Value]] = []

    def add(top: Value) -> None:
        """Number ``top`` and what it depends on (a walk only where a parent is new: a
        compared node, or one made for nothing, usually reads numbered nodes only)."""
        if top in index:
            return
        if all(p in index for p in top._prev):
            number(top)
            return
        for v in topological_order(top, include_leaves=True):
            if v not in index:
                number(v)

    def number(v: Value) -> None:
        index[v] = len(nodes)
        if v._prev:
            # made before, or by a worker thread; or made here (it must die with the call)
            (made if id(v) in made_here else foreign).append(weakref.ref(v))
            op, c = _row_of(v)
            parents = tuple(index[p] for p in v._prev)
            nodes.append(Node(op, parents, v.label, v.data, c, v._vjp))
        else:
            leaves[len(nodes)] = weakref.ref(v)
            nodes.append(Node(None, (), v.label, v.data))

    for top in (root, *aux):
        add(top)
    guards: list[Guard] = []
    for k, (a, op, b, outcome) in enumerate(tracer.comparisons):
        compared = [v for v in (a, b) if isinstance(v, Value)]
        if k in tracer.elsewhere and not all(v in index or id(v) in made_here for v in compared):
            continue  # an older thread's comparison of Values the traced function did not make
        for v in compared:
            add(v)
        guards.append((index[a], op, index[b] if isinstance(b, Value) else b, outcome))
    _refuse_untraceable(tracer)
    for v in tracer.made_here:  # an op that can refuse its operands, computed for nothing
        if v not in index and _refuses(v):
            add(v)  # replayed too, so that the engine's error is raised as the engine does
    reached: set[Value] = set()
    order = [index[v] for v in reversed(topological_order(root, leaf_set=reached)) if v._prev]
    if not root._prev:
        reached.add(root)
    return Graph(
        nodes, order, guards, index[root], [index[v] for v in aux], leaves,
        frozenset(index[v] for v in reached), foreign, made, tracer.differentiates,
    )  # fmt: skip


def refuse_made_before(graph: Graph) -> None:
    """Refuse a graph with an interior node that outlives the trace: one made before it (the
    function uses a node it did not make), or one the function made and keeps (in a cache, a
    list, an attribute), which a later call may use again. The engine would reuse such a
    node's old value where a replay recomputes it. Call it once the trace's Values are
    dropped."""
    kinds = (
        (graph.foreign, "uses {}, computed before it was called", "Compute it in the function"),
        (graph.made, "keeps {}, a node it made (a cache, a list...)", "Keep its number (.data)"),
    )
    for refs, what, instead in kinds:
        alive = next((v for v in (ref() for ref in refs) if v is not None), None)
        if alive is not None:
            node = f"Value(data={alive.data!r}) (operation {alive._op!r}, label {alive.label!r})"
            raise TypeError(
                f"compile: the function {what.format(node)}; the engine would reuse that "
                f"node's old value where a compiled program recomputes it. {instead}, or use "
                "mode='interpret'"
            )
