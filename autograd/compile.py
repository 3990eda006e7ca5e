"""Compile: trace a scalar program once, replay it as straight-line Python (or NumPy).

The interpreted engine pays, every step, for one object per operation, a topological sort
and a node-by-node backward pass. But a training step builds the *same* graph every time;
only the numbers change. :func:`compile` runs ``fn()`` once with the engine (the *trace*),
then writes the graph down as a Python function, one line per node: the forward pass, the
chain rule from the output back to the leaves (the engine's ``backward()``, in its order,
so every float is the same, bit for bit), and the gradients added to the leaves' ``.grad``.
Later calls run that function on the leaves' current ``.data``: no node is made.

Every line comes from the op's row in :mod:`autograd.ops`: the row's float ``forward`` and
local-gradient ``rule`` are called by the generated code, exactly as the engine calls them
(so domain errors and IEEE results are the engine's), and the row's ``code`` spelling is
shown beside each line for the reader; rows whose forward is a Python operator (``+``,
``*``...) and whose partial derivatives are plain (``1.0``, an operand) are written inline.
The fused rows ``sum`` and ``dot`` are written out term by term in the engine's order.

What is a parameter, what a constant: a leaf still alive once the traced graph is dropped
(held by a model, a list, a closure) is a parameter: its ``.data`` is read on every call
and its ``.grad`` receives the gradient. A leaf that dies with the graph (a number ``fn``
lifted, ``Value(2.0)`` made inside ``fn``) is a constant, written into the code.

**Guards** (what could make a call's graph differ from the traced one):

* a Python branch on a comparison of Values (``if a < b``, ``max`` of Values): every
  comparison made while tracing is recorded (through :func:`autograd.extend.trace_hook`)
  and checked on every replay; if one flips, that call runs on the engine (the result is
  exact) and its graph becomes the new program (a *re-trace*, counted in ``retraces``);
* the number of samples, for :func:`compile_mean`: the batch is an argument of the program,
  which loops over it (any size, checked by construction);
* a branch on raw floats (``if x.data > 0``, ``max(z.data ...)``, a list built from data, a
  number of samples fixed inside ``fn``): not visible to a tracer. It is a precondition of
  :func:`compile`: ``fn`` builds the same graph (the same ops on the same leaves, with the
  same constants) every call. ``check=True`` verifies it on every call by running the engine
  too and comparing every bit (a debug mode, twice the cost): :class:`CompileMismatch`.

Under :func:`autograd.detect_anomaly`, or with ``mode="interpret"``, calls run on the engine.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
import types
import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from autograd.engine import Value
from autograd.engine import sum as value_sum
from autograd.extend import (
    OPS,
    Op,
    OutOfDomain,
    Rule,
    anomaly_detector,
    topological_order,
    trace_hook,
)

__all__ = ["CompileMismatch", "Compiled", "CompiledMean", "compile", "compile_mean"]

Mode = Literal["python", "numpy", "interpret"]
#: What a per-example loss returns: its loss, or its loss and auxiliary outputs to report.
ExampleResult = Union[Value, tuple[Value, Union[Value, Sequence[Value]]]]


class CompileMismatch(AssertionError):
    """``check=True`` found the compiled program and the engine disagreeing: ``fn`` broke the
    precondition (it branches on raw floats, or its graph depends on data it reads)."""


# --------------------------------------------------------------------------------------------
# Tracing: run the program once on the engine, recording what the graph alone does not say
# --------------------------------------------------------------------------------------------


@dataclass
class _Tracer:
    """Told every comparison of a Value and every constant of an op (a TraceHook)."""

    comparisons: list[tuple[Value, str, Value | float, bool]] = field(default_factory=list)
    constants: dict[Value, float] = field(default_factory=dict)

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool, /) -> None:
        self.comparisons.append((a, op, b, outcome))

    def constant(self, out: Value, op: Op, c: float, /) -> None:
        self.constants[out] = c


#: A row by its rule (the rows without a constant share one rule object among their nodes).
_BY_RULE: dict[object, Op] = {op.rule: op for op in OPS.values() if op.constant is None}
#: A row with a constant by its label's pattern (its node's label has the constant in it).
_BY_LABEL: list[tuple[re.Pattern[str], Op]] = [
    (re.compile(re.escape(op.label).replace(r"\{c\}", ".+") + "$"), op)
    for op in OPS.values()
    if op.constant is not None
]


@dataclass
class _Node:
    """One node of a traced graph, with no reference to the Value it was."""

    op: Op | None  # None for a leaf
    parents: tuple[int, ...]
    label: str
    data: float
    c: float | None = None  # the row's constant
    rule: Rule | None = None


@dataclass
class _Graph:
    """A traced program: nodes (parents first), what backward visits, guards, the output."""

    nodes: list[_Node]
    backward: list[int]  # interior nodes in the engine's backward order (output first)
    guards: list[tuple[int, str, int | float, bool]]
    root: int
    aux: list[int]
    leaves: dict[int, weakref.ref[Value]]  # leaf index -> the leaf, while it lives


def _row_of(node: Value, tracer: _Tracer) -> tuple[Op, float | None]:
    op = _BY_RULE.get(node._vjp)
    if op is not None:
        return op, None
    if node in tracer.constants:
        for pattern, row in _BY_LABEL:
            if pattern.match(node._op):
                return row, tracer.constants[node]
    raise TypeError(
        f"compile: the node {node._op!r} ({node!r}) is not an operation of autograd.ops "
        "(autograd.custom_op or make_node with a rule of its own?), so no code can be "
        "written for it; use compile(fn, mode='interpret'), or add a row to autograd.ops"
    )


def _graph(root: Value, tracer: _Tracer, aux: Sequence[Value]) -> _Graph:
    """The traced graph of ``root`` (and of every compared or auxiliary Value) as indices."""
    if not isinstance(root, Value):
        raise TypeError(f"compile: the function must return a Value, got {type(root).__name__}")
    extra = [v for a, _, b, _ in tracer.comparisons for v in (a, b) if isinstance(v, Value)]
    index: dict[Value, int] = {}
    nodes: list[_Node] = []
    leaves: dict[int, weakref.ref[Value]] = {}
    for top in (root, *aux, *extra):
        for v in topological_order(top, include_leaves=True):
            if v in index:
                continue
            index[v] = len(nodes)
            if v._prev:
                op, c = _row_of(v, tracer)
                parents = tuple(index[p] for p in v._prev)
                nodes.append(_Node(op, parents, v.label, v.data, c, v._vjp))
            else:
                leaves[len(nodes)] = weakref.ref(v)
                nodes.append(_Node(None, (), v.label, v.data))
    guards = [
        (index[a], op, index[b] if isinstance(b, Value) else b, outcome)
        for a, op, b, outcome in tracer.comparisons
    ]
    order = [index[v] for v in reversed(topological_order(root))]  # backward()'s own order
    return _Graph(nodes, order, guards, index[root], [index[v] for v in aux], leaves)


# --------------------------------------------------------------------------------------------
# Writing the code
# --------------------------------------------------------------------------------------------

_PLAIN_PARTIAL = re.compile(r"-?1\.0|\{\d\}")


def _inline(op: Op) -> bool:
    """A row written inline: its forward is a Python operator, its partials plain."""
    return isinstance(op.forward, types.BuiltinFunctionType) and all(
        _PLAIN_PARTIAL.fullmatch(p) for p in op.partials
    )


def _literal(x: float) -> str:
    text = repr(x)
    return f"({text})" if text[0] == "-" or not math.isfinite(x) else text


class _Names:
    """Unique Python names for nodes, from their labels where they have them."""

    #: The names generated code uses for itself (a node labelled so gets a number instead).
    RESERVED = re.compile(
        r"(g_|G_|W_|M\d|fwd_|vjp_|d\d|"
        r"(P|X|C|B|G|c|x|i|j|k|seed|keys|batch|total|aux|index|groups|pv|gv|ok|dX|loss|step|"
        r"extra|data|math|np|inf|nan)$)"
    )

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def new(self, label: str, fallback: str) -> str:
        base = re.sub(r"\W", "_", label)
        if (
            not base.isidentifier()
            or keyword.iskeyword(base)
            or hasattr(builtins, base)
            or self.RESERVED.match(base)
        ):
            base = fallback
        name, k = base, 1
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name


@dataclass
class _Emitter:
    """Writes the lines of graphs into one function (shared names, parameters, namespace)."""

    names: _Names = field(default_factory=_Names)
    namespace: dict[str, Any] = field(default_factory=dict)
    params: list[Value] = field(default_factory=list)
    param_names: dict[Value, str] = field(default_factory=dict)

    def parameter(self, leaf: Value) -> str:
        if leaf not in self.param_names:
            self.param_names[leaf] = self.names.new(leaf.label, f"p{len(self.params)}")
            self.params.append(leaf)
        return self.param_names[leaf]

    def bind(self, graph: _Graph, inputs: dict[int, str]) -> list[str | None]:
        """Each node's name (None for a constant, written as its literal) and its leaves'
        roles: inputs (by index), parameters (alive), constants (dead)."""
        out: list[str | None] = []
        for i, node in enumerate(graph.nodes):
            if i in inputs:
                out.append(inputs[i])
            elif node.op is None:
                leaf = graph.leaves[i]()
                out.append(None if leaf is None else self.parameter(leaf))
            else:
                out.append(self.names.new(node.label, f"v{i}"))
        return out

    def forward(self, graph: _Graph, names: list[str | None]) -> list[str]:
        """A line per node; but a term of a sum that nothing else reads (the backward pass
        neither) is written into the sum's line, as ``0.0 + (p0 * p0) + (p1 * p1)``: the
        same operations in the same order, in fewer lines (less to compile)."""
        lines = []
        inlined = _single_use(graph)
        exprs: dict[int, str] = {}
        for i, node in enumerate(graph.nodes):
            op = node.op
            if op is None:
                continue
            args = [exprs.get(p) or self.ref(graph, names, p) for p in node.parents]
            spelled = self.spelled(op, args, names[i], node.c)
            if op.name in ("sum", "dot"):
                terms = _terms(op, args)
                if i in inlined and len(terms) <= _CHUNK:
                    exprs[i] = f"({' + '.join(terms)})"
                else:
                    lines += _chained(f"{names[i]}", terms, op.name)
                continue
            if _inline(op):
                expr = spelled
            else:
                fn = f"fwd_{op.name}"
                self.namespace[fn] = op.forward
                expr = f"{fn}({', '.join(args)}{'' if node.c is None else ', ' + _literal(node.c)})"
            if i in inlined:
                exprs[i] = f"({expr})"
                continue
            comment = op.name
            if spelled != expr:
                comment += f": {spelled}"
            lines.append(f"{names[i]} = {expr}  # {comment}")
        return lines

    @staticmethod
    def spelled(op: Op, args: list[str], out: str | None, c: float | None) -> str:
        if op.name in ("sum", "dot"):
            return op.name
        return op.code.format(*args, out=out, c="c" if c is None else _literal(c))

    @staticmethod
    def ref(graph: _Graph, names: list[str | None], i: int) -> str:
        name = names[i]
        return _literal(graph.nodes[i].data) if name is None else name

    def guards(self, graph: _Graph, names: list[str | None], fail: str) -> list[str]:
        lines = []
        for a, op, b, outcome in graph.guards:
            right = self.ref(graph, names, b) if isinstance(b, int) else _literal(b)
            test = f"{self.ref(graph, names, a)} {op} {right}"
            lines.append(f"if {'not ' if outcome else ''}{test}:  # traced: {outcome}")
            lines.append(f"    return {fail}")
        return lines

    def backward(
        self, graph: _Graph, names: list[str | None], seed: str, inputs: Iterable[int] = ()
    ) -> list[str]:
        """The chain rule in the engine's order; parameters' gradients are added into
        ``g_<name>`` accumulators (from 0.0, as ``backward()`` adds into ``.grad``).

        An interior node's gradient starts at its first contribution, where the engine
        starts from 0.0: they differ only in the sign of a zero, which no rule reads and
        which vanishes in the parameters' sums (0.0 + -0.0 is 0.0), so every float the
        caller sees is the engine's.
        """
        nodes, skip = graph.nodes, set(inputs)
        seen: set[int] = set()
        lines = [f"g_{names[graph.root]} = {seed}"]

        def first(p: int) -> bool:
            """Whether ``g_<p>`` is assigned (not added to) by this contribution."""
            if p in skip or names[p] is None or nodes[p].op is None or p in seen:
                return False
            seen.add(p)
            return True

        def add(p: int, expr: str) -> None:
            if p in skip or names[p] is None:
                return  # an input's or a constant's gradient is not kept
            was_first = first(p)
            lines.append(f"g_{names[p]} {'=' if was_first else '+='} {expr}")

        for i in graph.backward:
            node, g = nodes[i], f"g_{names[i]}"
            op = node.op
            assert op is not None
            args = [self.ref(graph, names, p) for p in node.parents]
            if op.name == "sum" and len(args) > 2:
                for p in node.parents:
                    add(p, g)
            elif op.name == "dot" and len(args) > 2:
                n = len(args) // 2
                for w, x in zip(node.parents[:n], node.parents[n:-1]):
                    add(w, f"{g} * {self.ref(graph, names, x)}")
                    add(x, f"{g} * {self.ref(graph, names, w)}")
                add(node.parents[-1], g)
            elif _inline(op):
                for p, partial in zip(node.parents, op.partials):
                    if partial == "1.0":
                        add(p, g)
                    elif partial == "-1.0":
                        add(p, f"-{g}")
                    else:
                        add(p, f"{g} * {partial.format(*args)}")
            else:
                rule = f"vjp_{op.name}" if node.c is None else f"vjp_{names[i]}"
                self.namespace[rule] = node.rule
                # a parent's first gradient is unpacked straight into g_<parent>
                once = [node.parents.count(p) == 1 for p in node.parents]
                direct = [one and first(p) for p, one in zip(node.parents, once)]
                ds = [
                    f"g_{names[p]}" if straight else f"d{k}"
                    for k, (p, straight) in enumerate(zip(node.parents, direct))
                ]
                partials = ", ".join(
                    f"d/d{a}: {p.format(*args, out=names[i], c=_literal(node.c or 0.0))}"
                    for a, p in zip(args, op.partials)
                )
                call = f"{rule}({g}, {names[i]}, {', '.join(args)})"
                lines.append(f"{', '.join(ds)}, = {call}  # {partials}")
                for p, d, straight in zip(node.parents, ds, direct):
                    if not straight:
                        add(p, d)
        return lines

    def build(self, source: str, name: str) -> Callable[..., Any]:
        self.namespace.update(inf=math.inf, nan=math.nan, math=math, data=_data)
        exec(builtins.compile(source, f"<autograd.compile {name}>", "exec"), self.namespace)
        return self.namespace[name]  # type: ignore[no-any-return]


#: Terms per line of a long sum: Python's compiler recurses once per ``+`` of a line.
_CHUNK = 64


def _terms(op: Op, args: list[str]) -> list[str]:
    """The terms of a fused ``sum`` or ``dot`` node, in the engine's order of addition."""
    if op.name == "sum":
        return args
    n = len(args) // 2
    return [args[-1], *(f"{w} * {x}" for w, x in zip(args[:n], args[n:-1]))]


def _chained(name: str, terms: list[str], comment: str) -> list[str]:
    """``name = t0 + t1 + ...`` left to right, over several lines when it is long."""
    lines = [f"{name} = {' + '.join(terms[:_CHUNK])}  # {comment}"]
    for k in range(_CHUNK, len(terms), _CHUNK):
        lines.append(f"{name} = {' + '.join([name, *terms[k : k + _CHUNK]])}")
    return lines


def _single_use(graph: _Graph) -> set[int]:
    """The terms of sums that only their sum reads (the backward pass never does)."""
    uses = [0] * len(graph.nodes)
    in_sum: set[int] = set()
    for node in graph.nodes:
        for p in node.parents:
            uses[p] += 1
        if node.op is not None and node.op.name == "sum":
            in_sum.update(node.parents)
    for a, _, b, _ in graph.guards:
        uses[a] += 2
        if isinstance(b, int):
            uses[b] += 2
    for i in (graph.root, *graph.aux):
        uses[i] += 2
    needed: set[int] = set()
    for i in graph.backward:
        node = graph.nodes[i]
        op = node.op
        assert op is not None
        if op.name == "sum" and len(node.parents) > 2:
            continue
        if op.name == "dot" and len(node.parents) > 2:
            needed.update(node.parents[:-1])
        elif _inline(op):
            needed.update(node.parents[int(p[1])] for p in op.partials if p.startswith("{"))
        else:
            needed.update((i, *node.parents))
    return {
        i
        for i, node in enumerate(graph.nodes)
        if node.op is not None and uses[i] == 1 and i not in needed and i in in_sum
    }


def _indent(lines: Iterable[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]


def _accumulators(emitter: _Emitter) -> tuple[str, str]:
    """The lines reading the parameters' data and zeroing their gradients' accumulators."""
    names = [emitter.param_names[p] for p in emitter.params]
    if not names:
        return "pass", "pass"
    return f"{', '.join(names)}, = map(data, P)", f"{' = '.join(f'g_{n}' for n in names)} = 0.0"


def _grads(emitter: _Emitter) -> str:
    return "(" + "".join(f"g_{emitter.param_names[p]}, " for p in emitter.params) + ")"


def _write_grads(params: Sequence[Value], grads: Sequence[float]) -> None:
    """``leaf.grad = before + this pass's gradient`` (``backward()``'s last step)."""
    for p, g in zip(params, grads):
        before = p.grad
        p.grad = (0.0 if before is None else before) + g


def _trace(fn: Callable[[], Any]) -> tuple[Any, _Tracer]:
    tracer = _Tracer()
    with trace_hook(tracer):
        return fn(), tracer


def _interpreted(fn: Callable[[], Value]) -> float:
    loss = fn()
    loss.backward()
    return loss.data


# --------------------------------------------------------------------------------------------
# compile(fn)
# --------------------------------------------------------------------------------------------


class Compiled:
    """``fn`` compiled: calling it does ``loss = fn(); loss.backward(); return loss.data``.

    ``source`` is the generated Python; ``retraces`` counts the traces after the first.
    """

    def __init__(self, fn: Callable[[], Value], mode: Mode, check: bool) -> None:
        if mode not in ("python", "interpret"):
            raise ValueError(
                f"compile: mode must be 'python' or 'interpret', got {mode!r} (NumPy runs "
                "a per-example program across a batch: autograd.compile_mean(..., "
                "mode='numpy'))"
            )
        self.fn, self.mode, self.check = fn, mode, check
        self.retraces = -1
        self._program: Callable[..., Any] | None = None
        self._params: list[Value] = []
        self._source = ""

    @property
    def source(self) -> str:
        """The generated code (empty until the first call traces ``fn``)."""
        return self._source

    def __call__(self) -> float:
        if self.mode == "interpret" or anomaly_detector() is not None:
            return _interpreted(self.fn)
        if self._program is None:
            return self._retrace()
        if self.check:
            return self._checked()
        try:
            result = _run(self._program, self._params)
        except OutOfDomain:
            return self._retrace()  # the engine raises the error, naming the operands
        if result is None:  # a guard failed: the graph changed
            return self._retrace()
        loss, grads = result
        _write_grads(self._params, grads)
        return float(loss)

    def _retrace(self) -> float:
        self.retraces += 1
        self._program = None
        loss, tracer = _trace(self.fn)
        loss.backward()
        graph = _graph(loss, tracer, ())
        data: float = loss.data
        del loss, tracer  # so that the constants die: see the module docstring
        emitter = _Emitter()
        names = emitter.bind(graph, {})
        forward = emitter.forward(graph, names) + emitter.guards(graph, names, "None")
        backward = emitter.backward(graph, names, "1.0")
        read, zero = _accumulators(emitter)
        lines = [
            f"def step(P):  # P: the {len(emitter.params)} parameters",
            *_indent([read, "# forward", *forward], 1),
            *_indent(["# backward: the chain rule, output first", zero, *backward], 1),
            f"    return {names[graph.root]}, {_grads(emitter)}",
        ]
        self._source = "\n".join(lines) + "\n"
        self._program = emitter.build(self._source, "step")
        self._params = emitter.params
        return data

    def _checked(self) -> float:
        before = [p.grad for p in self._params]
        expected = _interpreted(self.fn)
        wanted = [p.grad for p in self._params]
        for p, g in zip(self._params, before):
            p.grad = g
        assert self._program is not None
        result = _run(self._program, self._params)
        if result is None:
            return self._retrace_after_check(before)
        loss, grads = result
        _write_grads(self._params, grads)
        got = [p.grad for p in self._params]
        if not _same(loss, expected) or not all(map(_same, got, wanted)):
            raise CompileMismatch(
                f"compile(check=True): the compiled program gives loss {loss!r} and the "
                f"engine {expected!r} (or their gradients differ): fn() no longer builds the "
                "graph it was traced with (a branch on .data, or data read into the graph)"
            )
        return float(loss)

    def _retrace_after_check(self, before: list[Any]) -> float:
        for p, g in zip(self._params, before):
            p.grad = g
        return self._retrace()


def _run(program: Callable[..., Any], *args: Any) -> Any:
    """``program(*args)``. (Called straight from a method, a generated function with
    thousands of locals ran 20-40x slower on CPython 3.11 in our measurements; called from
    this small frame it does not.)"""
    return program(*args)


def _data(p: Value) -> float:
    return p.data


def _same(a: object, b: object) -> bool:
    """Bitwise equality of two floats (NaN equals NaN, 0.0 is not -0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() or (a != a and b != b)
    return a == b


def compile(fn: Callable[[], Value], *, mode: Mode = "python", check: bool = False) -> Compiled:
    """``fn`` (no arguments, builds a loss from parameters) as generated straight-line code.

    The result, called with no arguments, does what ``loss = fn(); loss.backward(); return
    loss.data`` does, bit for bit, by replaying the code written from the first call's graph
    (see the module docstring for the guards and the precondition ``check=True`` verifies).
    ``mode="interpret"`` runs the engine every call. A whole data set in ``fn`` is unrolled
    into the code: for a mean over examples, :func:`compile_mean` loops instead.
    """
    return Compiled(fn, mode, check)


# --------------------------------------------------------------------------------------------
# compile_mean(example_loss): a per-example program, looped (python) or batched (numpy)
# --------------------------------------------------------------------------------------------


@dataclass
class _Variant:
    """The traced program of one static key."""

    graph: _Graph
    inputs: dict[int, int]  # node index -> position in the example's inputs
    # the constants whose values differ between the keys sharing this graph's structure
    constants: list[int] = field(default_factory=list)

    def signature(self) -> tuple[object, ...]:
        """The graph's structure: everything but the values of its constants."""
        graph = self.graph

        def kind(i: int) -> object:
            if i in self.inputs:
                return ("x", self.inputs[i])
            leaf = graph.leaves[i]()
            return ("c",) if leaf is None else ("p", id(leaf))

        nodes = tuple(
            kind(i) if node.op is None else (node.op.name, node.parents, node.c)
            for i, node in enumerate(graph.nodes)
        )
        return nodes, tuple(graph.guards), graph.root, tuple(graph.aux)


def _structures(variants: dict[Hashable, _Variant]) -> tuple[list[_Variant], dict[Hashable, Any]]:
    """Variants of the same structure merged (their differing constants become inputs of the
    code): the distinct programs, and for each key ``(program index, its constants)``."""
    by_signature: dict[tuple[object, ...], list[Hashable]] = {}
    for key, variant in variants.items():
        by_signature.setdefault(variant.signature(), []).append(key)
    programs: list[_Variant] = []
    keys: dict[Hashable, Any] = {}
    for s, same in enumerate(by_signature.values()):
        first = variants[same[0]]
        constants = [
            i
            for i, node in enumerate(first.graph.nodes)
            if node.op is None
            and i not in first.inputs
            and len({variants[k].graph.nodes[i].data for k in same}) > 1
        ]
        programs.append(_Variant(first.graph, first.inputs, constants))
        for k in same:
            keys[k] = (s, tuple(variants[k].graph.nodes[i].data for i in constants))
    return programs, keys


class CompiledMean:
    """``mean_i example_loss(inputs_i, *static_i) + extra()``, compiled (:func:`compile_mean`)."""

    def __init__(
        self,
        example_loss: Callable[..., ExampleResult],
        extra: Callable[[], Value] | None,
        mode: Mode,
    ) -> None:
        if mode not in ("python", "numpy", "interpret"):
            raise ValueError(
                f"compile_mean: mode must be 'python', 'numpy' or 'interpret', got {mode!r}"
            )
        if mode == "numpy":
            _numpy()  # fails early without NumPy
        self.example_loss, self.extra, self.mode = example_loss, extra, mode
        self.retraces = 0
        self.fallbacks = 0
        self._variants: dict[Hashable, _Variant] = {}
        self._extra: _Graph | None = None
        self._program: Callable[..., Any] | None = None
        self._extra_program: Callable[..., Any] | None = None
        self._params: list[Value] = []
        self._source = ""

    @property
    def source(self) -> str:
        """The generated code (empty until a call traces the per-example program)."""
        return self._source

    def __call__(
        self, inputs: Sequence[Sequence[float]], static: Sequence[Hashable] | None = None
    ) -> tuple[float, list[tuple[float, ...]]]:
        """The loss on examples ``inputs[i]`` (lists of numbers) with ``static[i]`` (a
        hashable: passed as ``example_loss(xs, *static[i])`` when a tuple, else as one
        argument); the gradient is added into the parameters' ``.grad``. Also returns each
        example's auxiliary outputs (their values)."""
        n = len(inputs)
        if n == 0:
            raise ValueError("compile_mean: no examples")
        statics: Sequence[Hashable] = static if static is not None else [()] * n
        if len(statics) != n:
            raise ValueError(f"compile_mean: {n} examples but {len(statics)} static values")
        if self.mode == "interpret" or anomaly_detector() is not None:
            return self._interpreted(inputs, statics)
        new = [k for k in dict.fromkeys(statics) if k not in self._variants]
        for key in new:
            i = statics.index(key)
            self._trace(inputs[i], key)
        if new or self._program is None:
            self._generate()
        assert self._program is not None
        keys = [self._keys[k] for k in statics]
        if self.mode == "numpy":
            return self._numpy_call(inputs, statics, keys)
        try:
            result = _run(self._program, self._params, inputs, keys, 1.0 / n)
            if result[0] is not None:
                result = self._with_extra(*result)
        except OutOfDomain:
            result = None  # the engine raises the error, naming the operands
        if result is None or result[0] is None:
            return self._fallback(inputs, statics, None if result is None else result[1])
        loss, grads, aux = result
        _write_grads(self._params, grads)
        return float(loss), aux

    def _with_extra(
        self, loss: float, grads: Sequence[float], aux: Any
    ) -> tuple[float | None, Any, Any]:
        """``extra()``'s program, continuing the gradients' sums where the examples' stop."""
        if self._extra_program is None:
            return loss, grads, aux
        padded = [*grads, *[0.0] * (len(self._params) - len(grads))]
        result = _run(self._extra_program, self._params, padded)
        if result is None:  # a guard of extra() failed
            return None, None, None
        value, grads = result
        return loss + value, grads, aux

    def _numpy_call(
        self, inputs: Sequence[Sequence[float]], statics: Sequence[Hashable], keys: list[Any]
    ) -> tuple[float, list[tuple[float, ...]]]:
        np = _numpy()
        assert self._program is not None
        with np.errstate(all="ignore"):
            loss, grads, parts = _run(self._program, self._params, inputs, keys, 1.0 / len(inputs))
            if loss is not None:
                loss, grads, parts = self._with_extra(loss, grads, parts)
                if loss is None:
                    return self._fallback(inputs, statics, None)
        if loss is None:
            return self._fallback(inputs, statics, grads)
        if not (math.isfinite(loss) and all(map(math.isfinite, grads))):
            # a domain error or an overflow: the engine says which (or gives the IEEE value)
            return self._fallback(inputs, statics, None)
        aux: list[tuple[float, ...]] = [()] * len(inputs)
        for index, columns in parts:
            for j, row in zip(index, zip(*(c.tolist() for c in columns))):
                aux[j] = row
        _write_grads(self._params, grads)
        return float(loss), aux

    def _args(self, xs: list[Value], key: Hashable) -> tuple[Any, ...]:
        return (xs, *key) if isinstance(key, tuple) else (xs, key)

    def _interpreted(
        self, inputs: Sequence[Sequence[float]], statics: Sequence[Hashable]
    ) -> tuple[float, list[tuple[float, ...]]]:
        """The engine: ``sum(terms) * (1/n) + extra()``, backward, as the trainer does."""
        terms, aux = [], []
        for x, key in zip(inputs, statics):
            term, extras = _split(self.example_loss(*self._args([Value(v) for v in x], key)))
            terms.append(term)
            aux.append(tuple(v.data for v in extras))
        loss = value_sum(terms) * (1.0 / len(terms))
        if self.extra is not None:
            loss = loss + self.extra()
        loss.backward()
        return loss.data, aux

    def _fallback(
        self, inputs: Sequence[Sequence[float]], statics: Sequence[Hashable], failed: int | None
    ) -> tuple[float, list[tuple[float, ...]]]:
        """A guard failed at example ``failed`` (None: in ``extra`` or a domain error): this
        call runs on the engine, and the example's program is traced again from it."""
        self.fallbacks += 1
        result = self._interpreted(inputs, statics)
        if failed is not None:
            self._trace(inputs[failed], statics[failed])
        else:
            self._extra = None
        self._program = None
        return result

    def _trace(self, x: Sequence[float], key: Hashable) -> None:
        if key in self._variants:
            self.retraces += 1
        xs = [Value(v) for v in x]
        result, tracer = _trace(lambda: self.example_loss(*self._args(xs, key)))
        term, aux = _split(result)
        graph = _graph(term, tracer, aux)
        positions = {id(v): j for j, v in enumerate(xs)}
        inputs = {
            i: positions[id(ref())]
            for i, ref in graph.leaves.items()
            if ref() is not None and id(ref()) in positions
        }
        self._variants[key] = _Variant(graph, inputs)

    def _generate(self) -> None:
        if self.extra is not None and self._extra is None:
            loss, tracer = _trace(self.extra)
            self._extra = _graph(loss, tracer, ())
            del loss, tracer
        programs, self._keys = _structures(self._variants)
        emitter = _Emitter()
        if self.mode == "numpy":
            self._source, self._program = _generate_numpy(emitter, programs)
        else:
            self._source, self._program = _generate_python(emitter, programs)
        self._extra_program = None
        if self._extra is not None:
            source, self._extra_program = _generate_extra(emitter, self._extra)
            self._source += "\n\n" + source
        self._params = emitter.params


def _split(result: ExampleResult) -> tuple[Value, list[Value]]:
    if isinstance(result, tuple):
        term, aux = result
        return term, [aux] if isinstance(aux, Value) else list(aux)
    return result, []


def _generate_python(emitter: _Emitter, programs: list[_Variant]) -> tuple[str, Callable[..., Any]]:
    """One function: read the parameters, loop over the examples (each runs its program's
    forward, guards and backward), then return the mean loss, the gradients and the aux."""
    loop: list[str] = []
    for k, variant in enumerate(programs):
        graph = variant.graph
        width = 1 + max(variant.inputs.values(), default=-1)
        xnames = [emitter.names.new("", f"x{j}") for j in range(width)]
        cnames = [emitter.names.new("", f"c{j}") for j in range(len(variant.constants))]
        given = {i: xnames[j] for i, j in variant.inputs.items()}
        given.update(zip(variant.constants, cnames))
        names = emitter.bind(graph, given)
        body = [f"{', '.join(xnames)}, = x" if xnames else "pass"]
        if cnames:
            body.append(f"{', '.join(cnames)}, = c  # this example's constants")
        body += emitter.forward(graph, names) + emitter.guards(graph, names, "None, i, None")
        body.append(f"total += {names[graph.root]}")
        aux = "".join(f"{emitter.ref(graph, names, a)}, " for a in graph.aux)
        body.append(f"aux.append(({aux}))")
        body += emitter.backward(graph, names, "seed", given)
        loop += [f"{'if' if k == 0 else 'elif'} k == {k}:", *_indent(body, 1)]
    read, zero = _accumulators(emitter)
    lines = [
        "def step(P, batch, keys, seed):  # keys: (program, constants); seed: 1 / len(batch)",
        f"    {read}",
        f"    {zero}",
        "    total, aux = 0.0, []",
        "    for i, (x, (k, c)) in enumerate(zip(batch, keys)):",
        *_indent(loop, 2),
        f"    return total * seed, {_grads(emitter)}, aux",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "step")


def _generate_extra(emitter: _Emitter, graph: _Graph) -> tuple[str, Callable[..., Any]]:
    """``extra()`` as a function of its own (compiled apart: a smaller peak of memory), which
    takes the gradients' sums so far and continues them."""
    names = emitter.bind(graph, {})
    body = emitter.forward(graph, names) + emitter.guards(graph, names, "None")
    body += emitter.backward(graph, names, "1.0")
    read, _ = _accumulators(emitter)
    lines = [
        "def extra(P, G):  # G: the gradients' sums so far",
        f"    {read}",
        f"    {_grads(emitter)[1:-1] or '_'} = G",
        *_indent(body, 1),
        f"    return {names[graph.root]}, {_grads(emitter)}",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "extra")


def compile_mean(
    example_loss: Callable[..., ExampleResult],
    *,
    extra: Callable[[], Value] | None = None,
    mode: Mode = "python",
) -> CompiledMean:
    """The mean of a per-example loss over a batch, plus ``extra()``, compiled.

    ``example_loss(xs, *static)`` builds one example's loss from its inputs ``xs`` (a list
    of Values, one per number) and the parameters it closes over; it may also return
    auxiliary outputs, ``(loss, outputs)``, whose values each call reports. ``static`` is
    whatever else decides the example's graph (a class label): one program is traced per
    distinct static value. The result, called as ``f(inputs, static)``, does what

        loss = autograd.sum(terms) * (1 / n) + extra(); loss.backward()

    does (the terms ``example_loss(xs_i, *static_i)``): in ``mode="python"`` bit for bit,
    looping over the examples in generated code (one program whatever the batch size); in
    ``mode="numpy"`` across the batch as arrays (within 1e-12 relative), layers as matrix
    products. Comparisons are guarded as in :func:`compile`; in NumPy mode a guard must hold
    for the whole batch, else the call runs on the engine.
    """
    return CompiledMean(example_loss, extra, mode)


# --------------------------------------------------------------------------------------------
# NumPy: the per-example program across the batch
# --------------------------------------------------------------------------------------------


def _numpy() -> types.ModuleType:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile mode 'numpy' needs NumPy: pip install numpy (valuegrad's compile extra)"
        ) from None
    return numpy


def _numpy_expression(code: str) -> str:
    """A row's float spelling rewritten for NumPy arrays (``a if t else b`` as
    ``np.where(t, a, b)``, ``math.f`` as ``np.f``, ``max``/``abs`` elementwise)."""

    class Rewrite(ast.NodeTransformer):
        def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
            self.generic_visit(node)
            where = ast.Attribute(ast.Name("np", ast.Load()), "where", ast.Load())
            return ast.Call(where, [node.test, node.body, node.orelse], [])

        def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
            self.generic_visit(node)
            if isinstance(node.value, ast.Name) and node.value.id == "math":
                return ast.Attribute(ast.Name("np", ast.Load()), node.attr, ast.Load())
            return node

        def visit_Name(self, node: ast.Name) -> ast.AST:
            renamed = {"max": "maximum", "abs": "abs", "min": "minimum"}.get(node.id)
            if renamed is None:
                return node
            return ast.Attribute(ast.Name("np", ast.Load()), renamed, ast.Load())

    tree = Rewrite().visit(ast.parse(code, mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


@dataclass
class _Group:
    """Nodes computed together as one (batch x m) matrix: a layer of dots sharing their
    inputs, or one unary row applied to every column of a matrix."""

    members: list[int]  # column order
    name: str = ""


def _groups(graph: _Graph, inputs: dict[int, int]) -> list[_Group]:
    """Layers (dots of parameters on the same inputs), then unary rows over whole layers."""
    nodes = graph.nodes

    def parameter(i: int) -> bool:
        return i in graph.leaves and graph.leaves[i]() is not None and i not in inputs

    layers: dict[tuple[int, ...], list[int]] = {}
    for i, node in enumerate(nodes):
        if node.op is not None and node.op.name == "dot" and len(node.parents) >= 3:
            n = len(node.parents) // 2
            weights = (*node.parents[:n], node.parents[-1])
            if all(map(parameter, weights)):
                layers.setdefault(node.parents[n:-1], []).append(i)
    groups = [_Group(sorted(m, reverse=True)) for x, m in layers.items() if len(x) > 1]
    member = {i: (g, j) for g in groups for j, i in enumerate(g.members)}
    changed = True
    while changed:
        changed = False
        found: dict[tuple[str, float | None, int], list[int]] = {}
        for i, node in enumerate(nodes):
            op = node.op
            if op is None or op.arity != 1 or i in member or node.parents[0] not in member:
                continue
            found.setdefault((op.name, node.c, id(member[node.parents[0]][0])), []).append(i)
        for candidates in found.values():
            parent = member[nodes[candidates[0]].parents[0]][0]
            by_column = sorted(candidates, key=lambda i: member[nodes[i].parents[0]][1])
            if [member[nodes[i].parents[0]][1] for i in by_column] == list(
                range(len(parent.members))
            ):
                group = _Group(by_column)
                groups.append(group)
                member.update({i: (group, j) for j, i in enumerate(by_column)})
                changed = True
    return sorted(groups, key=lambda g: max(g.members))


class _Batched:
    """The NumPy code of one variant: every node a (batch,) array, a group a matrix."""

    def __init__(self, emitter: _Emitter, variant: _Variant, k: int) -> None:
        self.emitter, self.variant, self.graph = emitter, variant, variant.graph
        self.nodes = nodes = self.graph.nodes
        self.groups = _groups(self.graph, variant.inputs)
        # A layer's parameters, neuron by neuron (weights, bias), side by side in P.
        for g in self.groups:
            if nodes[g.members[0]].op.name == "dot":  # type: ignore[union-attr]
                for i in g.members:
                    for p in self.layer_parameters(i):
                        emitter.parameter(self.graph.leaves[p]())  # type: ignore[arg-type]
        self.position = {id(p): j for j, p in enumerate(emitter.params)}
        self.given = {**dict.fromkeys(variant.inputs, ""), **dict.fromkeys(variant.constants, "")}
        self.names = emitter.bind(self.graph, self.given)
        self.where: dict[int, str] = {i: f"X[:, {j}]" for i, j in variant.inputs.items()}
        self.where.update({i: f"C[:, {j}]" for j, i in enumerate(variant.constants)})
        for gi, g in enumerate(self.groups):
            g.name = f"M{k}_{gi}"
            self.where.update({i: f"{g.name}[:, {j}]" for j, i in enumerate(g.members)})
        self.grouped = {i for g in self.groups for i in g.members}
        for i, name in enumerate(self.names):
            if i not in self.where and name is not None:
                self.where[i] = name
        self.bwd: list[str] = []
        self.seen: set[int] = set()
        self.layers: dict[str, tuple[str, int, bool, str]] = {}

    def layer_parameters(self, i: int) -> tuple[int, ...]:
        parents = self.nodes[i].parents
        n = len(parents) // 2
        return (*parents[:n], parents[-1])

    def ref(self, i: int) -> str:
        return self.where[i] if i in self.where else _literal(self.nodes[i].data)

    def matrix(self, cols: Sequence[int]) -> str:
        """The (batch x len(cols)) matrix of these nodes' values."""
        for g in self.groups:
            if list(cols) == g.members:
                return g.name
        inputs = self.variant.inputs
        if all(i in inputs for i in cols):
            picked = [inputs[i] for i in cols]
            return "X" if picked == list(range(len(picked))) else f"X[:, {picked}]"
        return f"np.column_stack([{', '.join(map(self.ref, cols))}])"

    def units(self) -> list[_Group | int]:
        """Groups and single nodes in an order where each comes after what it reads."""
        pending = [
            i for i, node in enumerate(self.nodes) if node.op is not None and i not in self.grouped
        ]
        units: list[_Group | int] = []
        for g in self.groups:
            while pending and pending[0] < min(g.members):
                units.append(pending.pop(0))
            units.append(g)
        return units + pending

    def spelled(self, i: int, args: list[str], out: str | None) -> str:
        node = self.nodes[i]
        assert node.op is not None
        return _numpy_expression(_Emitter.spelled(node.op, args, out, node.c))

    def forward(self, unit: _Group | int) -> list[str]:
        if isinstance(unit, _Group):
            first = unit.members[0]
            if self.nodes[first].op.name != "dot":  # type: ignore[union-attr]
                parent = self.ref(self.nodes[first].parents[0]).split("[")[0]
                return [f"{unit.name} = {self.spelled(first, [parent], None)}  # every column"]
            n = len(self.nodes[first].parents) // 2
            leaves = self.graph.leaves
            block = [
                self.position[id(leaves[p]())]
                for i in unit.members
                for p in self.layer_parameters(i)
            ]
            start, size = block[0], len(block)
            contiguous = block == list(range(start, start + size))
            at = f"{start}:{start + size}" if contiguous else str(block)
            x = self.matrix(self.nodes[first].parents[n:-1])
            self.layers[unit.name] = (at, n, len(set(block)) == size, x)
            W = f"W_{unit.name}"
            return [
                f"{W} = pv[{at}].reshape({len(unit.members)}, {n + 1})",
                f"{unit.name} = {x} @ {W}[:, :{n}].T + {W}[:, {n}]  # a layer of dots",
            ]
        node, args = self.nodes[unit], [self.ref(p) for p in self.nodes[unit].parents]
        assert node.op is not None
        comment = node.op.name
        if node.op.name in ("sum", "dot"):
            return _chained(self.where[unit], _terms(node.op, args), comment)
        return [f"{self.where[unit]} = {self.spelled(unit, args, None)}  # {comment}"]

    def guards(self) -> list[str]:
        lines = []
        for a, op, b, outcome in self.graph.guards:
            right = self.ref(b) if isinstance(b, int) else _literal(b)
            test = f"({self.ref(a)} {op} {right})"
            lines.append(f"ok = np.broadcast_to({test if outcome else '~' + test}, (B,))")
            lines += ["if not ok.all():", "    return None, index[int(np.argmin(ok))], None"]
        return lines

    def add(self, p: int, expr: str) -> None:
        """Add ``expr`` to node p's gradient (summed over the batch for a parameter)."""
        if p in self.given or self.names[p] is None:
            return
        if self.nodes[p].op is None:
            self.bwd.append(f"g_{self.names[p]} += float(np.sum({expr}))")
        elif p in self.grouped:
            self.bwd.append(f"G_{self.where[p]} += {expr}")
        elif p in self.seen:
            self.bwd.append(f"g_{self.names[p]} += {expr}")
        else:
            self.seen.add(p)
            self.bwd.append(f"g_{self.names[p]} = 0.0 + {expr}")

    def backward(self, unit: _Group | int) -> None:
        if isinstance(unit, _Group):
            first = self.nodes[unit.members[0]]
            G = f"G_{unit.name}"
            if first.op.name != "dot":  # type: ignore[union-attr]
                parent = self.ref(first.parents[0]).split("[")[0]
                partial = self.spelled_partial(unit.members[0], 0, [parent], unit.name)
                self.bwd.append(f"G_{parent} += {G} * ({partial})")
                return
            at, n, distinct, x = self.layers[unit.name]
            dW = f"np.concatenate([{G}.T @ {x}, {G}.sum(0)[:, None]], axis=1).ravel()"
            # a parameter used twice in the layer needs np.add.at to get both
            self.bwd.append(f"gv[{at}] += {dW}" if distinct else f"np.add.at(gv, {at}, {dW})")
            cols = first.parents[n:-1]
            if all(c in self.variant.inputs for c in cols):
                return
            target = self.matrix(cols)
            if target in {g.name for g in self.groups}:
                self.bwd.append(f"G_{target} += {G} @ W_{unit.name}[:, :{n}]")
                return
            self.bwd.append(f"dX = {G} @ W_{unit.name}[:, :{n}]")
            for j, c in enumerate(cols):
                self.add(c, f"dX[:, {j}]")
            return
        node = self.nodes[unit]
        assert node.op is not None
        if unit not in self.seen and unit != self.graph.root:
            return  # no gradient reaches it (a node only a guard or an output reads)
        g = f"G_{self.where[unit]}" if unit in self.grouped else f"g_{self.names[unit]}"
        args = [self.ref(p) for p in node.parents]
        if node.op.name == "sum":
            for p in node.parents:
                self.add(p, g)
        elif node.op.name == "dot":
            n = len(args) // 2
            for wi, xi in zip(node.parents[:n], node.parents[n:-1]):
                self.add(wi, f"{g} * {self.ref(xi)}")
                self.add(xi, f"{g} * {self.ref(wi)}")
            self.add(node.parents[-1], g)
        else:
            for k, p in enumerate(node.parents):
                self.add(p, f"{g} * ({self.spelled_partial(unit, k, args, self.where[unit])})")

    def spelled_partial(self, i: int, k: int, args: list[str], out: str) -> str:
        node = self.nodes[i]
        assert node.op is not None
        c = _literal(node.c or 0.0)
        return _numpy_expression(node.op.partials[k].format(*args, out=out, c=c))

    def lines(self, k: int) -> list[str]:
        units = self.units()
        body = [
            "X = np.asarray([batch[j] for j in index], dtype=float).reshape(len(index), -1)",
            "B = len(index)",
        ]
        if self.variant.constants:
            body.append("C = np.array([keys[j][1] for j in index])  # the examples' constants")
        for unit in units:
            body += self.forward(unit)
        body += self.guards()
        body.append(f"total += float(np.sum({self.ref(self.graph.root)}))")
        aux = ", ".join(f"np.broadcast_to({self.ref(a)}, (B,))" for a in self.graph.aux)
        body.append(f"aux.append((index, [{aux}]))")
        body += [f"G_{g.name} = np.zeros((B, {len(g.members)}))" for g in self.groups]
        if self.graph.root not in self.grouped:
            body.append(f"g_{self.names[self.graph.root]} = np.full(B, seed)")
        for unit in reversed(units):
            self.backward(unit)
        return [f"index = groups.get({k})", "if index is not None:", *_indent(body + self.bwd, 1)]


def _generate_numpy(emitter: _Emitter, programs: list[_Variant]) -> tuple[str, Callable[..., Any]]:
    """One function: each program's examples as a batch (arrays), layers as matrix products;
    returns the mean loss, the gradients (summed over the batch) and the aux."""
    emitter.namespace["np"] = _numpy()
    blocks: list[str] = []
    for k, variant in enumerate(programs):
        blocks += _Batched(emitter, variant, k).lines(k)
    read, zero = _accumulators(emitter)
    lines = [
        "def step(P, batch, keys, seed):  # keys: (program, constants); seed: 1 / len(batch)",
        "    groups = {}",
        "    for j, (k, _) in enumerate(keys):",
        "        groups.setdefault(k, []).append(j)",
        "    pv = np.array([p.data for p in P])",
        f"    {read}",
        f"    {zero}",
        "    gv = np.zeros(len(P))",
        "    total, aux = 0.0, []",
        *_indent(blocks, 1),
        f"    return total * seed, (gv + np.array({_grads(emitter)})).tolist(), aux",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "step")
