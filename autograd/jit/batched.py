"""NumPy: the per-example program run across the batch at once.

Every node is a ``(batch,)`` array (a node that reads no input, a number broadcast over the
batch); a *group* is a ``(batch, m)`` matrix: a layer of dots of parameters on the same
inputs (one matrix product), or one unary row applied to every column of a group. Each
row's float spelling is rewritten for arrays (``a if t else b`` as ``np.where``). Results
agree with the engine within 1e-12 relative (sums over the batch run in NumPy's order, so a
gradient that cancels to about 0 has no relative accuracy).
"""

from __future__ import annotations

import ast
import math
import re
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from autograd.jit.emit import Emitter, chained, fused, indent, literal, terms
from autograd.jit.groups import Group, find_groups, in_order
from autograd.jit.program import run

if TYPE_CHECKING:
    from autograd.jit.kinds import Variant
    from autograd.jit.trace import Graph


def numpy_module() -> types.ModuleType:
    """NumPy, or an ImportError that says how to install it."""
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "compile mode 'numpy' needs NumPy: pip install numpy (valuegrad's compile extra)"
        ) from None
    return numpy


class _ForArrays(ast.NodeTransformer):
    """``a if t else b`` as ``np.where(t, a, b)``, ``math.f`` as ``np.f``, max/min/abs
    elementwise."""

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


def for_arrays(code: str) -> str:
    """A row's float spelling rewritten for NumPy arrays."""
    tree = _ForArrays().visit(ast.parse(code, mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


class Batched:
    """The NumPy code of one program: forward by units, guards, backward in reverse."""

    def __init__(self, emitter: Emitter, variant: Variant, k: int) -> None:
        self.emitter, self.variant, self.graph = emitter, variant, variant.graph
        self.nodes = self.graph.nodes
        self.groups = find_groups(variant)
        # A layer's parameters, neuron by neuron (weights, bias), side by side in P.
        for g in self.groups:
            if self.is_layer(g):
                for i in g.members:
                    for p in self.layer_parameters(i):
                        emitter.parameter(self.graph.leaf(p))  # type: ignore[arg-type]
        self.k = k
        self.given = {**dict.fromkeys(variant.inputs, ""), **dict.fromkeys(variant.constants, "")}
        self.grouped = {i for g in self.groups for i in g.members}
        # the nodes whose value is a (batch,) array: those that read an input or a constant
        self.varies = set(self.given)
        for i, node in enumerate(self.nodes):
            if i in self.grouped or any(p in self.varies for p in node.parents):
                self.varies.add(i)
        self.where: dict[int, str] = {i: f"X[:, {j}]" for i, j in variant.inputs.items()}
        self.where.update({i: f"C[:, {j}]" for j, i in enumerate(variant.constants)})
        for gi, g in enumerate(self.groups):
            g.name = f"M{k}_{gi}"
            self.where.update({i: f"{g.name}[:, {j}]" for j, i in enumerate(g.members)})
        self.bwd: list[str] = []
        self.seen: set[int] = set()
        self.layers: dict[str, tuple[str, int, bool, str]] = {}
        self.names: list[str | None] = []

    def bind(self) -> None:
        """Name the nodes (after every program registered its layers' parameters)."""
        self.names = self.emitter.bind(self.graph, self.given)
        for i, name in enumerate(self.names):
            if i not in self.where and name is not None:
                self.where[i] = name

    def is_layer(self, g: Group) -> bool:
        return self.nodes[g.members[0]].op.name == "dot"  # type: ignore[union-attr]

    def layer_parameters(self, i: int) -> tuple[int, ...]:
        parents = self.nodes[i].parents
        n = len(parents) // 2
        return (*parents[:n], parents[-1])

    def ref(self, i: int) -> str:
        return self.where[i] if i in self.where else literal(self.nodes[i].data)

    def column(self, i: int) -> str:
        """Node i's values as a (batch,) array (a number broadcast, where it reads no input)."""
        return self.ref(i) if i in self.varies else f"np.broadcast_to({self.ref(i)}, (B,))"

    def matrix(self, cols: Sequence[int]) -> str:
        """The (batch x len(cols)) matrix of these nodes' values."""
        for g in self.groups:
            if list(cols) == g.members:
                return g.name
        inputs = self.variant.inputs
        if all(i in inputs for i in cols):
            picked = [inputs[i] for i in cols]
            return "X" if picked == list(range(self.variant.width)) else f"X[:, {picked}]"
        return f"np.column_stack([{', '.join(map(self.column, cols))}])"

    def units(self) -> list[Group | int]:
        """Groups and single nodes in an order where each comes after what it reads."""
        return in_order(self.nodes, self.groups)

    def spelled(self, i: int, args: list[str], out: str | None) -> str:
        node = self.nodes[i]
        assert node.op is not None
        return for_arrays(Emitter.spelled(node.op, args, out, node.c))

    def partial(self, i: int, k: int, args: list[str], out: str) -> str:
        """A local derivative for arrays; a step's ``np.where(t, 1.0, 0.0)`` as the bools
        ``t`` (a gradient times True or False is the same float: one pass less)."""
        node = self.nodes[i]
        assert node.op is not None
        c = literal(0.0 if node.c is None else node.c)
        code = for_arrays(node.op.partials[k].format(*args, out=out, c=c))
        tree = ast.parse(code, mode="eval").body
        if (
            isinstance(tree, ast.Call)
            and ast.unparse(tree.func) == "np.where"
            and [ast.unparse(a) for a in tree.args[1:]] == ["1.0", "0.0"]
        ):
            return ast.unparse(tree.args[0])
        return code

    def forward(self, unit: Group | int) -> list[str]:
        if isinstance(unit, Group):
            first = unit.members[0]
            if not self.is_layer(unit):
                parent = self.ref(self.nodes[first].parents[0]).split("[")[0]
                line = f"{unit.name} = {self.spelled(first, [parent], None)}  # every column"
                return [line, *self.checked(first, unit.name)]
            n = len(self.nodes[first].parents) // 2
            block = [
                self.emitter.index(self.graph.leaf(p))  # type: ignore[arg-type]
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
                f"{unit.name} = {x} @ {W}[:, :{n}].T  # a layer of dots",
                f"{unit.name} += {W}[:, {n}]  # their biases (in place: one array less)",
            ]
        node, args = self.nodes[unit], [self.ref(p) for p in self.nodes[unit].parents]
        assert node.op is not None
        if fused(node.op):
            return chained(self.where[unit], terms(node.op, args), node.op.name)
        line = f"{self.where[unit]} = {self.spelled(unit, args, None)}  # {node.op.name}"
        return [line, *self.checked(unit, self.where[unit])]

    def checked(self, i: int, value: str) -> list[str]:
        """After a row that refuses some operands (``Op.refuses``): NumPy gives NaN or an
        infinity where the engine may raise, so a value that is not finite hands the call to
        the engine (which raises, naming the operands, or gives the same IEEE value)."""
        op = self.nodes[i].op
        if op is None or not op.refuses:
            return []
        return [f"if not np.isfinite({value}).all():", "    raise FloatingPointError"]

    def guards(self) -> list[str]:
        lines = []
        for a, op, b, outcome in self.graph.guards:
            right = self.ref(b) if isinstance(b, int) else literal(b)
            test = f"({self.ref(a)} {op} {right})"
            held = test if outcome else f"np.logical_not{test}"  # not ~: a bool's ~True is -2
            lines.append(f"ok = np.broadcast_to({held}, (B,))")
            lines += ["if not ok.all():", "    return None, index[int(np.argmin(ok))], None"]
        return lines

    def add(self, p: int, expr: str) -> None:
        """Add ``expr`` to node p's gradient (summed over the batch for a parameter)."""
        name = self.names[p]
        if p in self.given or name is None:
            return
        if self.nodes[p].op is None:
            self.bwd.append(f"g{name} += float(np.sum(np.broadcast_to({expr}, (B,))))")
        elif p in self.grouped:
            self.bwd.append(f"G_{self.where[p]} += {expr}")
        elif p in self.seen:
            self.bwd.append(f"g{name} = g{name} + {expr}")
        else:
            self.seen.add(p)
            self.bwd.append(f"g{name} = 0.0 + {expr}")

    def backward(self, unit: Group | int) -> None:
        if isinstance(unit, Group):
            self.backward_group(unit)
            return
        node = self.nodes[unit]
        assert node.op is not None
        if unit not in self.seen:
            return  # no gradient reaches it (a node only a guard or an output reads)
        g = f"g{self.names[unit]}"
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
                self.add(p, f"{g} * ({self.partial(unit, k, args, self.where[unit])})")

    def backward_group(self, unit: Group) -> None:
        first = self.nodes[unit.members[0]]
        G = f"G_{unit.name}"
        if not self.is_layer(unit):
            parent = self.ref(first.parents[0]).split("[")[0]
            partial = self.partial(unit.members[0], 0, [parent], unit.name)
            self.bwd.append(f"G_{parent} += {G} * ({partial})")
            return
        at, n, distinct, x = self.layers[unit.name]
        dW = f"np.concatenate([{G}.T @ {x}, {G}.sum(0)[:, None]], axis=1).ravel()"
        # a parameter used twice in the layer needs np.add.at to get both
        self.bwd.append(f"gw[{at}] += {dW}" if distinct else f"np.add.at(gw, {at}, {dW})")
        cols = first.parents[n:-1]
        target = self.matrix(cols)
        if target in {g.name for g in self.groups}:
            # one neuron: an outer product, as a broadcast product (the same floats, faster)
            product = "*" if len(unit.members) == 1 else "@"
            self.bwd.append(f"G_{target} += {G} {product} W_{unit.name}[:, :{n}]")
            return
        if all(c in self.given or self.names[c] is None for c in cols):
            return  # inputs and constants: no gradient kept
        self.bwd.append(f"dX = {G} @ W_{unit.name}[:, :{n}]")
        for j, c in enumerate(cols):
            self.add(c, f"dX[:, {j}]")

    def seed(self) -> list[str]:
        """The output's gradient: ``seed`` for every example, wherever the output lives."""
        root, name = self.graph.root, self.names[self.graph.root]
        if root in self.grouped:
            return [f"G_{self.where[root]} += seed"]
        if self.nodes[root].op is not None:
            self.seen.add(root)
            return [f"g{name} = np.full(B, seed)"]
        if root in self.given or name is None:
            return []  # an input or a constant: no gradient kept
        return [f"g{name} += float(np.sum(np.full(B, seed)))"]  # a parameter

    def lines(self) -> list[str]:
        units = self.units()
        body = [f"index, X, C = prepared[{self.k}]", "B = len(index)"]
        for unit in units:
            body += self.forward(unit)
        body += self.guards()
        body.append(f"total += float(np.sum({self.column(self.graph.root)}))")
        aux = ", ".join(self.column(a) for a in self.graph.aux)
        body.append(f"aux.append((index, [{aux}]))")
        seed = self.seed()
        for unit in reversed(units):
            self.backward(unit)
        body += [f"G_{name} = np.full((B, {m}), 0.0)" for name, m in self.first_writes(seed)]
        body += seed
        return [f"if {self.k} in prepared:", *indent(body + self.bwd, 1)]

    def first_writes(self, seed: list[str]) -> list[tuple[str, int]]:
        """A group's gradient starts as the array its first whole addition makes: ``G = e``,
        ``G += 0.0`` (the bits of ``0.0 + e``) in place of ``G = np.zeros(...)``, ``G += e``:
        each large array allocated is pages the system maps again (a 1000 x 64 one took
        0.26 ms). Returns the groups that still need zeros (seeded, first written a column
        at a time, or never), with their widths."""
        zeros = []
        for g in self.groups:
            G = f"G_{g.name}"
            if any(re.search(rf"\b{G}\b", line) for line in seed):
                zeros.append((g.name, len(g.members)))
                continue
            first = next((j for j, line in enumerate(self.bwd) if G in line.split("#")[0]), None)
            line = "" if first is None else self.bwd[first]
            expr = line.removeprefix(f"{G} += ")
            fresh = line.startswith(f"{G} += ") and isinstance(
                ast.parse(expr, mode="eval").body, ast.BinOp
            )  # an operation's result: an array of its own, never a view of another
            if first is not None and fresh and not re.search(rf"\b{G}\b", expr):
                self.bwd[first : first + 1] = [f"{G} = {expr}", f"{G} += 0.0  # 0.0 + the first"]
            else:
                zeros.append((g.name, len(g.members)))
        return zeros


#: A batch as the NumPy programs read it: program -> (its examples' places in the batch,
#: their inputs as a (batch x width) matrix, their constants as one or None).
Prepared = dict[int, tuple[list[int], Any, Any]]


def prepare(
    rows: Sequence[Sequence[float]],
    keys: Sequence[tuple[int, tuple[float, ...]]],
    programs: Sequence[Variant],
) -> Prepared:
    """The batch split by program (``keys[j]``: example j's program and constants), each
    part's inputs and constants as arrays: once per batch, whatever the parameters."""
    np = numpy_module()
    groups: dict[int, list[int]] = {}
    for j, (k, _) in enumerate(keys):
        groups.setdefault(k, []).append(j)
    prepared: Prepared = {}
    for k, index in groups.items():
        X = np.asarray([rows[j] for j in index], dtype=float).reshape(len(index), programs[k].width)
        C = np.array([keys[j][1] for j in index]) if programs[k].constants else None
        prepared[k] = (index, X, C)
    return prepared


def generate_numpy(emitter: Emitter, programs: list[Batched]) -> tuple[str, Callable[..., Any]]:
    """One function of the parameters' values ``pv`` (an array, in the emitter's order) and a
    :data:`Prepared` batch: each program's examples as arrays, layers as matrix products;
    returns the mean loss, the gradients (an array, summed over the batch) and the aux."""
    emitter.namespace["np"] = numpy_module()
    blocks: list[str] = []
    for program in programs:
        blocks += program.lines()
    # The parameters read one by one: those used outside the layers (which read pv and add
    # into gw), found by their names in the code (names this module made: p<j>, gp<j>).
    used = sorted({int(j) for j in re.findall(r"\bg?p(\d+)\b", "\n".join(blocks))})
    scalars = ["pl = pv.tolist()", *(f"p{j} = pl[{j}]" for j in used)] if used else []
    if used:
        scalars.append(f"{' = '.join(f'gp{j}' for j in used)} = 0.0")
    lines = [
        "def step(pv, prepared, seed):  # prepared: see batched.prepare; seed: 1 / len(batch)",
        *indent(scalars, 1),
        "    gw = np.zeros(len(pv))",
        "    total, aux = 0.0, []",
        *indent(blocks, 1),
        *([f"    gw[{used}] += ({''.join(f'gp{j}, ' for j in used)})"] if used else []),
        "    return total * seed, gw, aux",
    ]
    source = "\n".join(lines) + "\n"
    return source, emitter.build(source, "step")


def l2_penalty(emitter: Emitter, graph: Graph) -> Callable[[Any, Any], float] | None:
    """``extra()`` as array operations when it is an L2 penalty, ``c * sum(p * p)`` over
    distinct parameters (``nn.losses.l2``, what ``fit`` adds), else None.

    ``penalty(pv, gw)`` returns ``c * sum(pv[i]**2)`` (NumPy's summation order: within
    1e-12 relative of the engine's) and adds ``(c * p) + (c * p)`` into each ``gw[i]``
    in the engine's order (the rule of ``p * p`` gives each parent ``g * p``), bit for bit
    the generated Python's."""
    nodes = graph.nodes
    root = nodes[graph.root]
    if root.op is None or root.op.name != "mul" or len(root.parents) != 2:
        return None
    consts = [i for i in root.parents if nodes[i].op is None and graph.leaf(i) is None]
    sums = [i for i in root.parents if getattr(nodes[i].op, "name", None) == "sum"]
    if len(consts) != 1 or len(sums) != 1:
        return None
    c = nodes[consts[0]].data
    leaves: list[int] = []
    for t in nodes[sums[0]].parents:
        term = nodes[t]
        if term.op is None and graph.leaf(t) is None and term.data == 0.0:
            continue  # the sum's start, 0.0
        if term.op is None or term.op.name != "mul" or term.parents[0] != term.parents[1]:
            return None
        leaf = graph.leaf(term.parents[0])
        if leaf is None or nodes[term.parents[0]].op is not None:
            return None
        leaves.append(emitter.index(leaf))
    if not leaves or len(set(leaves)) != len(leaves):
        return None
    np = numpy_module()
    at = slice(None) if leaves == list(range(len(emitter.params))) else np.array(leaves)
    g = 1.0 * c  # the sum's gradient: the root's (1.0) times c

    def penalty(pv: Any, gw: Any) -> float:
        q = pv[at]
        gq = g * q
        gw[at] += gq  # one parent of p * p
        gw[at] += gq  # the other
        return c * float(np.sum(q * q))

    return penalty


def run_numpy(program: Callable[..., Any], *args: Any) -> Any:
    """The NumPy program's result (the gradients an array, the aux by program), or None
    where the engine must answer: an error, or a loss or gradient that is not finite (a
    domain error, or an overflow: the engine says which, or gives the IEEE value)."""
    np = numpy_module()
    with np.errstate(all="ignore"):
        result = run(program, *args)
    if result is None or result[0] is None:
        return result
    if not (math.isfinite(result[0]) and np.isfinite(result[1]).all()):
        return None
    return result


def aux_rows(parts: list[tuple[list[int], list[Any]]], n: int) -> list[tuple[float, ...]]:
    """Each example's auxiliary outputs in its place, from the programs' columns."""
    aux: list[tuple[float, ...]] = [()] * n
    for index, columns in parts:
        for j, row in zip(index, zip(*(c.tolist() for c in columns))):
            aux[j] = row
    return aux
