"""Writing the code: a traced graph as lines of straight-line Python.

Every identifier in generated code is made here from a counter or from the table's own op
names: a parameter is ``p3`` and its gradient ``gp3``, a node ``v17`` and its gradient
``gv17``, an example's inputs ``x0, x1...``, a rule with a constant ``rule4``. Nothing the
user wrote becomes code: a label goes into a comment, as ``ascii()`` spells it (quoted, every
line break and non-ASCII character escaped).

Every line comes from the op's row in :mod:`autograd.ops`: the row's float ``forward`` and
local-gradient ``rule`` are called by the generated code exactly as the engine calls them
(so domain errors, IEEE results and the branches of kinks are decided at run time, as in
the engine), and the row's ``code`` spelling is shown beside each line for the reader. Rows
whose forward is a Python operator (``+``, ``*``...) and whose partials are plain (``1.0``,
an operand) are written inline. The fused ``sum`` and ``dot`` are written out term by term in
the engine's order of addition.
"""

from __future__ import annotations

import builtins
import functools
import math
import operator
import re
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd.engine import Value
from autograd.extend import Op
from autograd.jit.trace import Graph

_PLAIN_PARTIAL = re.compile(r"-?1\.0|\{\d\}")

#: Terms per line of a long sum: Python's compiler recurses once per ``+`` of a line.
CHUNK = 64
#: How deep expressions written into one line may nest (Python's parser stops at 200).
NESTING = 32


@functools.cache  # asked for every node of every program
def inline(op: Op) -> bool:
    """A row written inline: its forward is a Python operator, its partials plain."""
    return isinstance(op.forward, types.BuiltinFunctionType) and all(
        _PLAIN_PARTIAL.fullmatch(p) for p in op.partials
    )


def literal(x: float) -> str:
    """A float as Python source (``inf``, ``nan`` and negatives in parentheses)."""
    text = repr(x)
    return f"({text})" if text[0] == "-" or not math.isfinite(x) else text


def comment(label: object) -> str:
    """A label as a comment's text: ``ascii`` escapes line breaks and non-ASCII characters
    (a label that is not a string, which the engine allows, as ``str`` spells it)."""
    text = label if isinstance(label, str) else str(label)
    return f" {text[:40]!a}" if text else ""


def fused(op: Op) -> bool:
    return op.name in ("sum", "dot")


def terms(op: Op, args: Sequence[str]) -> list[str]:
    """The terms of a fused ``sum`` or ``dot`` node, in the engine's order of addition."""
    if op.name == "sum":
        return list(args)
    n = len(args) // 2
    return [args[-1], *(f"{w} * {x}" for w, x in zip(args[:n], args[n:-1]))]


def chained(name: str, parts: list[str], note: str) -> list[str]:
    """``name = t0 + t1 + ...`` left to right, over several lines when it is long."""
    lines = [f"{name} = {' + '.join(parts[:CHUNK])}  # {note}"]
    for k in range(CHUNK, len(parts), CHUNK):
        lines.append(f"{name} = {' + '.join([name, *parts[k : k + CHUNK]])}")
    return lines


def indent(lines: Iterable[str], depth: int) -> list[str]:
    return ["    " * depth + line for line in lines]


@dataclass
class Emitter:
    """Writes graphs into functions that share the parameters and one namespace."""

    namespace: dict[str, Any] = field(default_factory=dict)
    params: list[Value] = field(default_factory=list)
    _param_index: dict[int, int] = field(default_factory=dict)  # id(leaf) -> its number
    _objects: dict[tuple[str, str], str] = field(default_factory=dict)  # (row, c) -> name

    def parameter(self, leaf: Value) -> str:
        """The name of a parameter (a leaf that outlives the trace), numbered on first use."""
        j = self._param_index.get(id(leaf))
        if j is None:
            j = self._param_index[id(leaf)] = len(self.params)
            self.params.append(leaf)
        return f"p{j}"

    def index(self, leaf: Value) -> int:
        return self._param_index[id(leaf)]

    def function(self, op: Op, what: str, fn: object, constant: float | None) -> str:
        """The namespace name of a row's forward or rule (one with a constant: numbered)."""
        if constant is None:
            name = f"{what}_{op.name}"
        else:  # one name for the rules of one row and constant
            name = self._objects.setdefault((op.name, repr(constant)), f"rule{len(self._objects)}")
        self.namespace[name] = fn
        return name

    def bind(self, graph: Graph, given: dict[int, str]) -> list[str | None]:
        """Each node's name: ``given`` (inputs), a parameter's, ``v<i>``, or None for a
        constant leaf (written as its literal)."""
        out: list[str | None] = []
        for i, node in enumerate(graph.nodes):
            if i in given:
                out.append(given[i])
            elif node.op is None:
                leaf = graph.leaf(i)
                out.append(None if leaf is None else self.parameter(leaf))
            else:
                out.append(f"v{i}")
        return out

    @staticmethod
    def ref(graph: Graph, names: Sequence[str | None], i: int) -> str:
        name = names[i]
        return literal(graph.nodes[i].data) if name is None else name

    @staticmethod
    def spelled(op: Op, args: Sequence[str], out: str | None, c: float | None) -> str:
        if fused(op):
            return op.name
        return op.code.format(*args, out=out, c="c" if c is None else literal(c))

    def forward(self, graph: Graph, names: list[str | None]) -> list[str]:
        """A line per node; a term of a sum that nothing else reads (the backward pass
        neither) is written into the sum's line: the same operations in the same order."""
        lines = []
        exprs: dict[int, str] = {}
        depth: dict[int, int] = {}  # how deep an inlined expression nests: Python allows 200
        single = _single_use(graph)
        for i, node in enumerate(graph.nodes):
            op = node.op
            if op is None:
                continue
            args = [exprs.get(p) or self.ref(graph, names, p) for p in node.parents]
            note = f"{op.name}{comment(node.label)}"
            depth[i] = 1 + max((depth.get(p, 0) for p in node.parents), default=0)
            inlined = i in single and depth[i] < NESTING
            if not inlined:
                depth[i] = 0
            if fused(op):
                parts = terms(op, args)
                if inlined and len(parts) <= CHUNK:
                    exprs[i] = f"({' + '.join(parts)})"
                else:
                    lines += chained(f"v{i}", parts, note)
                continue
            spelled = self.spelled(op, args, f"v{i}", node.c)
            if inline(op):
                expr = spelled
            else:
                fn = self.function(op, "fwd", op.forward, None)
                c = "" if node.c is None else f", {literal(node.c)}"
                expr = f"{fn}({', '.join(args)}{c})"
                note += f": {spelled}"
            if inlined:
                exprs[i] = f"({expr})"
            else:
                lines.append(f"v{i} = {expr}  # {note}")
        return lines

    def guards(self, graph: Graph, names: list[str | None], fail: str) -> list[str]:
        """``if <the comparison no longer decides as traced>: return <fail>``, each guard."""
        lines = []
        for a, op, b, outcome in graph.guards:
            right = self.ref(graph, names, b) if isinstance(b, int) else literal(b)
            test = f"{self.ref(graph, names, a)} {op} {right}"
            lines += [f"if {'not ' if outcome else ''}{test}:  # traced: {outcome}", f"    {fail}"]
        return lines

    def backward(
        self,
        graph: Graph,
        names: list[str | None],
        seed: str,
        given: Iterable[int] = (),
        seed_leaf: bool = True,
        into: dict[int, str] | None = None,
    ) -> list[str]:
        """The chain rule in the engine's order, into ``g<name>`` accumulators (a parameter's
        from 0.0, as ``backward()`` adds into ``.grad``); a loss that is a parameter gets the
        seed, unless ``seed_leaf`` is false (the caller adds it where the engine does). The
        gradient of a leaf in ``into`` is added to the expression given there instead (a
        leaf passed in: ``G[s3]``, its place chosen at run time), also in the engine's order.

        An interior node's gradient starts at its first contribution, where the engine
        starts from 0.0: they differ only in the sign of a zero, which no rule reads and
        which vanishes in the parameters' sums (0.0 + -0.0 is 0.0), so every float the
        caller sees is the engine's.
        """
        nodes, skip, into = graph.nodes, set(given), into or {}
        seen: set[int] = set()
        root = graph.root
        lines = [] if nodes[root].op is None else [f"gv{root} = {seed}"]
        if nodes[root].op is None and seed_leaf:  # a leaf loss: its gradient is the seed
            if root in into:
                lines.append(f"{into[root]} += {seed}")
            elif names[root] is not None and root not in skip:
                lines.append(f"g{names[root]} += {seed}")

        def first(p: int) -> bool:
            """Whether ``g<p>`` is assigned (not added to) by this contribution."""
            if p in skip or names[p] is None or nodes[p].op is None or p in seen:
                return False
            seen.add(p)
            return True

        def add(p: int, expr: str) -> None:
            if p in into:
                lines.append(f"{into[p]} += {expr}")
                return
            if p in skip or names[p] is None:
                return  # an input's or a constant's gradient is not kept
            lines.append(f"g{names[p]} {'=' if first(p) else '+='} {expr}")

        for i in graph.backward:
            node, g = nodes[i], f"gv{i}"
            op = node.op
            assert op is not None  # the backward order holds interior nodes only
            args = [self.ref(graph, names, p) for p in node.parents]
            if op.name == "sum":
                for p in node.parents:
                    add(p, g)
            elif op.name == "dot":
                n = len(args) // 2
                for w, x in zip(node.parents[:n], node.parents[n:-1]):
                    add(w, f"{g} * {self.ref(graph, names, x)}")
                    add(x, f"{g} * {self.ref(graph, names, w)}")
                add(node.parents[-1], g)
            elif inline(op):
                for p, partial in zip(node.parents, op.partials):
                    if partial == "1.0":
                        add(p, g)
                    elif partial == "-1.0":
                        add(p, f"-{g}")
                    else:
                        add(p, f"{g} * {partial.format(*args)}")
            else:
                line, unpacked = self._rule_call(graph, names, i, args, first)
                lines.append(line)
                for p, d in zip(node.parents, unpacked):
                    if d is not None:
                        add(p, d)
        return lines

    def _rule_call(
        self,
        graph: Graph,
        names: list[str | None],
        i: int,
        args: list[str],
        first: Callable[[int], bool],
    ) -> tuple[str, list[str | None]]:
        """``d0, d1, = vjp(g, out, a, b)``: the row's rule called as the engine calls it. A
        parent's first gradient is unpacked straight into its accumulator; the others are
        returned (``d<k>``, None where unpacked straight) for the caller to add."""
        node = graph.nodes[i]
        assert node.op is not None and node.rule is not None
        rule = self.function(node.op, "vjp", node.rule, node.c)
        once = [node.parents.count(p) == 1 for p in node.parents]
        direct = [one and first(p) for p, one in zip(node.parents, once)]
        ds = [
            f"g{names[p]}" if straight else f"d{k}"
            for k, (p, straight) in enumerate(zip(node.parents, direct))
        ]
        unpacked = [None if straight else d for d, straight in zip(ds, direct)]
        c = literal(0.0 if node.c is None else node.c)
        partials = ", ".join(
            f"d/d{a}: {p.format(*args, out=f'v{i}', c=c)}" for a, p in zip(args, node.op.partials)
        )
        line = f"{', '.join(ds)}, = {rule}(gv{i}, v{i}, {', '.join(args)})  # {partials}"
        return line, unpacked

    def build(self, source: str, name: str) -> Callable[..., Any]:
        """Compile ``source`` and return its function ``name``."""
        self.namespace.update(inf=math.inf, nan=math.nan, math=math, data=_data)
        exec(builtins.compile(source, f"<autograd.compile {name}>", "exec"), self.namespace)
        return self.namespace[name]  # type: ignore[no-any-return]

    def read(self) -> str:
        """The line reading every parameter's data into ``p0, p1, ...``."""
        names = "".join(f"p{j}, " for j in range(len(self.params)))
        return f"{names}= map(data, P)" if names else "pass"

    def legend(self) -> str:
        """A comment naming the first parameters by their labels."""
        labels = [(j, comment(p.label)) for j, p in enumerate(self.params[:8])]
        shown = [f"p{j} ={text}" for j, text in labels if text]
        more = ", ..." if len(self.params) > 8 else ""
        return f"# {', '.join(shown)}{more}" if shown else "# parameters: no labels"

    def zero(self) -> str:
        """The line setting every parameter's gradient accumulator to 0.0."""
        if not self.params:
            return "pass"
        return f"{' = '.join(f'gp{j}' for j in range(len(self.params)))} = 0.0"

    def grad_names(self) -> str:
        """Every parameter's gradient accumulator, ``gp0, gp1, ...,`` (a target or a tuple)."""
        return "".join(f"gp{j}, " for j in range(len(self.params)))

    def grads(self) -> str:
        """The tuple of every parameter's gradient accumulator."""
        return f"({self.grad_names()})"


#: ``data(p)`` is ``p.data``: the generated code reads the parameters with it (C speed).
_data = operator.attrgetter("data")


def _single_use(graph: Graph) -> set[int]:
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
        if op.name == "sum":
            continue
        if op.name == "dot":
            needed.update(node.parents[:-1])
        elif inline(op):
            needed.update(node.parents[int(p[1])] for p in op.partials if p.startswith("{"))
        else:
            needed.update((i, *node.parents))
    return {
        i
        for i, node in enumerate(graph.nodes)
        if node.op is not None and uses[i] == 1 and i not in needed and i in in_sum
    }
