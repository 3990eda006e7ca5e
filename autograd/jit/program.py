"""``compile(fn)``: one program, traced from ``fn()`` and replayed as straight-line Python.

A call runs in this order, so that a failed call leaves every ``.grad`` as it was: the
program computes the loss and every gradient into locals (raising nothing it has not
checked: a guard that no longer holds returns None, and any error sends the call to the
engine, which raises it naming the operands); only then are the gradients checked
(``None`` counts as 0, a non-number is refused) and written, ``.grad = before + this
pass's``, as ``backward()`` writes them.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from autograd.engine import Value
from autograd.extend import (
    Grad,
    anomaly_detector,
    grad_before,
    gradient_lock,
    is_grad_enabled,
    read_out,
    topological_order,
)
from autograd.jit.arguments import Call
from autograd.jit.emit import Emitter, indent
from autograd.jit.trace import Graph, build, refuse_made_before, refuse_result, trace

Mode = Literal["python", "numpy", "interpret"]


class CompileMismatch(AssertionError):
    """``check=True`` found the compiled program and the engine disagreeing: ``fn`` broke the
    precondition (it branches on raw floats, or its graph depends on data it reads)."""


def engine_call(fn: Callable[[], Value], where: str) -> float:
    """What a compiled call stands for, on the engine: ``loss = fn(); loss.backward()``
    (forward only under ``no_grad``); returns the loss's value."""
    loss = fn()
    refuse_result(loss, where)
    if is_grad_enabled():
        loss.backward()
    return loss.data


def run(program: Callable[..., Any], *args: Any) -> Any:
    """``program(*args)``, None for any error (the caller then asks the engine).

    Called from this small frame: called straight from a method, a generated function with
    thousands of locals ran 20-40x slower on CPython 3.11 in our measurements.
    """
    try:
        return program(*args)
    except Exception:
        return None


def write_grads(leaves: Sequence[Value], grads: Sequence[float]) -> None:
    """``leaf.grad = before + this pass's gradient``, as ``backward()`` ends, holding the lock
    every writer of gradients takes; every ``before`` is checked first, so a refused gradient
    leaves all of them as they were."""
    with gradient_lock:
        for leaf in leaves:  # a plain loop: all() of a generator is slower here
            if type(leaf.grad) not in _PLAIN:  # None, a Value, or one to refuse
                _write_checked(leaves, grads)
                return
        for leaf, g in zip(leaves, grads):  # the usual case
            leaf.grad += g


#: Gradients a compiled call adds to as they are: a float, or an int (micrograd's zero_grad
#: writes ``p.grad = 0``), which ``grad_before`` also returns as it is.
_PLAIN = (float, int)


def _write_checked(leaves: Sequence[Value], grads: Sequence[float]) -> None:
    """``write_grads`` where some ``.grad`` is not a float: each checked (the engine's
    :func:`grad_before`) before any is written."""
    befores = [grad_before(leaf) for leaf in leaves]
    for leaf, before, g in zip(leaves, befores, grads):
        leaf.grad = before + g


def restoring(nodes: Iterable[Value], to: Grad | None = None) -> Callable[[], None]:
    """A function that puts back the ``.grad`` the nodes have now, or sets it ``to`` a value
    (in the nodes still alive: it holds them weakly, so that a trace's constants may die
    before its parameters are told)."""
    saved = [(weakref.ref(node), node.grad if to is None else to) for node in nodes]

    def restore() -> None:
        for ref, g in saved:
            node = ref()
            if node is not None:
                node.grad = g

    return restore


def same(a: object, b: object) -> bool:
    """Bitwise equality of two floats (NaN equals NaN, 0.0 is not -0.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() or (a != a and b != b)
    return a == b


def reached_leaves(graph: Graph) -> list[Value]:
    """The leaves alive after the trace that its output depends on (backward writes them)."""
    leaves = (graph.leaf(i) for i in sorted(graph.reached))
    return [leaf for leaf in leaves if leaf is not None]


def written_by_backward(graph: Graph) -> list[Value]:
    """What the engine's backward pass of a trace writes that may outlive it: the leaves it
    reaches, and the interior nodes (refused if they outlive it, but written first)."""
    interior = (ref() for ref in (*graph.foreign, *graph.made))
    return [*reached_leaves(graph), *(node for node in interior if node is not None)]


@dataclass(frozen=True)
class Program:
    """A generated program and what a call reads and writes: swapped whole on a retrace, so
    that a call running in another thread meanwhile reads one consistent program."""

    step: Callable[..., Any]
    params: list[Value]
    written: list[int]  # the parameters whose .grad a call writes (the leaves fn reaches)
    source: str
    differentiates: bool  # fn takes a gradient inside: under no_grad, the engine answers
    #: the places of the leaves passed in that the output depends on (see arguments.py)
    reached_places: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        leaves = [self.params[j] for j in self.written]
        object.__setattr__(self, "written_leaves", leaves)
        # where the written are all the parameters, in order, the gradients need no picking
        object.__setattr__(self, "picks", self.written != list(range(len(self.params))))
        object.__setattr__(self, "param_ids", frozenset(map(id, self.params)))

    written_leaves: list[Value] = field(init=False)
    picks: bool = field(init=False)
    param_ids: frozenset[int] = field(init=False)


class Compiled:
    """``fn`` compiled: calling it does ``loss = fn(); loss.backward(); return loss.data``.

    ``source`` is the generated Python; ``retraces`` counts the traces after the first. A
    copy (``copy.copy``, ``copy.deepcopy``) is a new, untraced ``compile`` of the same ``fn``.
    """

    def __init__(
        self,
        fn: Callable[..., Value],
        mode: Mode,
        check: bool,
        static_argnums: int | Iterable[int] = (),
        max_nodes: int = 100_000,
    ) -> None:
        if mode not in ("python", "interpret"):
            raise ValueError(
                f"compile: mode must be 'python' or 'interpret', got {mode!r} (NumPy runs "
                "a per-example program across a batch: autograd.compile_mean(..., "
                "mode='numpy'))"
            )
        if not callable(fn):
            raise TypeError(f"compile: fn must be callable, got {type(fn).__name__}")
        #: The function compiled: it builds the loss from the parameters.
        self.fn = fn
        #: ``"python"`` (replay generated code) or ``"interpret"`` (run the engine each call).
        self.mode = mode
        #: Whether every call is also run on the engine and compared (``CompileMismatch``).
        self.check = check
        #: The positions of the static arguments (see :mod:`autograd.jit.arguments`).
        self.static_argnums = _argnums(static_argnums, fn)
        if type(max_nodes) is not int or max_nodes < 1:
            raise ValueError(f"compile: max_nodes must be a positive int, got {max_nodes!r:.60}")
        #: The longest graph written down as code: a longer one runs on the engine (writing
        #: code takes time and memory in proportion to the graph, ~0.1 ms and ~7 kB a node).
        self.max_nodes = max_nodes
        #: How many times ``fn`` was traced again after the first trace (a guard flipped).
        self.retraces = -1
        #: How many programs were traced for calls with arguments (one per static value and
        #: layout of what is passed in, and again when a guard flips), and how many calls
        #: ran on the engine instead of a program (a graph longer than ``max_nodes``; with
        #: arguments also: a guard failed, an error, a parameter passed in too).
        self.traces = self.fallbacks = 0
        self._program: Program | None = None
        self._programs: dict[tuple[object, ...], Program] = {}
        self._too_long: set[tuple[object, ...]] = set()  # keys whose graph passed max_nodes
        self._traced: set[tuple[object, ...]] = set()  # keys traced once at least
        #: keys whose program takes a gradient inside: its key adds which places share a leaf
        self._by_pattern: set[tuple[object, ...]] = set()

    def __copy__(self) -> Compiled:
        return Compiled(self.fn, self.mode, self.check, self.static_argnums, self.max_nodes)

    def __reduce__(self) -> tuple[type[Compiled], tuple[Any, ...]]:
        # pickled untraced, as a copy
        return Compiled, (self.fn, self.mode, self.check, self.static_argnums, self.max_nodes)

    def __deepcopy__(self, memo: dict[int, Any]) -> Compiled:
        return self.__copy__()

    @property
    def source(self) -> str:
        """The generated code (empty until the first call traces ``fn``); with arguments,
        the programs' codes, in the order they were traced."""
        programs = [] if self._program is None else [self._program]
        return "\n\n".join(program.source for program in [*programs, *self._programs.values()])

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        read_out("a compiled function")  # refused inside another compiled function's trace
        if kwargs:
            raise TypeError(
                f"compile: arguments are passed by position, got keyword {next(iter(kwargs))!r}"
            )
        if args or self.static_argnums:
            return self._call_with(Call.of(args, self.static_argnums))
        too_long = () in self._too_long
        if self.mode == "interpret" or anomaly_detector() is not None or too_long:
            self.fallbacks += too_long
            return engine_call(self.fn, "compile")
        program = self._program
        if not is_grad_enabled() and (program is None or program.differentiates):
            return engine_call(self.fn, "compile")  # forward only: nothing traced or written
        result = None if program is None else run(program.step, program.params)
        if not is_grad_enabled():
            return float(result[0]) if result is not None else engine_call(self.fn, "compile")
        if program is None or result is None:  # untraced, a guard failed, or an error
            return self._retrace()
        loss, grads = result
        if self.check:
            ours = {id(program.params[j]): grads[j] for j in program.written}
            self._check(self.fn, loss, ours)
        picked = [grads[j] for j in program.written] if program.picks else grads
        write_grads(program.written_leaves, picked)
        return float(loss)

    def _retrace(self) -> float:
        """This call on the engine, its graph becoming the program (the old one is kept if
        anything fails, and every ``.grad`` put back as it was)."""
        loss, tracer = trace(self.fn)
        refuse_result(loss, "compile")
        graph = build(loss, tracer)
        restore = restoring(written_by_backward(graph))
        loss.backward()
        data: float = loss.data
        del loss, tracer  # so that the constants die: a leaf that outlives them is a parameter
        if len(graph.nodes) > self.max_nodes:
            self._too_long.add(())  # this call was the engine's: so will the next ones be
            return data
        try:
            refuse_made_before(graph)
            self._program = generate(graph)
        except BaseException:
            restore()
            raise
        self.retraces += 1
        return data

    def _call_with(self, call: Call) -> float:
        """A call with arguments: the program of its key (traced on first use), run on the
        leaves and numbers it passes in."""

        def fn() -> Value:
            return self.fn(*call.on_engine())

        if self.mode == "interpret" or anomaly_detector() is not None:
            return engine_call(fn, "compile")
        places, distinct = call.accumulators()
        key = call.key
        if key in self._by_pattern:  # fn differentiates: which places share a leaf matters
            key = (key, tuple(places))
        if key in self._too_long or not call.floats:
            self.fallbacks += 1  # too long to write down, or an int .data (the engine rounds
            return engine_call(fn, "compile")  # each node's, a program would not)
        program = self._programs.get(key)
        if not is_grad_enabled() and (program is None or program.differentiates):
            return engine_call(fn, "compile")  # forward only: nothing traced or written
        if program is None:
            program = self._trace_with(call, merged=key is not call.key)
            if program is not None and program.differentiates and key is call.key:
                self._by_pattern.add(key)  # a gradient inside sees one leaf in two places
                key = (key, tuple(places))
                if len(distinct) < len(places):
                    program = self._trace_with(call, merged=True)
            if program is None:  # longer than max_nodes: this key runs on the engine
                self._too_long.add(key)
                self.fallbacks += 1
                return engine_call(fn, "compile")
            self._programs[key] = program
        result = None
        aliased = not program.param_ids.isdisjoint(map(id, distinct))  # a leaf, two names
        if not aliased:
            accumulators = [0.0] * len(distinct)
            args = (program.params, call.leaves, places, call.numbers, accumulators)
            result = run(program.step, *args)
        if result is None:  # a parameter passed in, a guard failed, or an error: this call
            self.fallbacks += 1  # on the engine (which raises any error, naming it) ...
            if not aliased:
                self._programs.pop(key, None)  # ... and the next traces the key again
            return engine_call(fn, "compile")
        if not is_grad_enabled():
            return float(result[0])
        reached = sorted({places[j] for j in program.reached_places})
        leaves = [distinct[k] for k in reached]
        grads = [accumulators[k] for k in reached]
        if self.check:
            ours = {id(program.params[j]): result[1][j] for j in program.written}
            self._check(fn, result[0], ours, leaves, grads)
        picked = [result[1][j] for j in program.written] if program.picks else result[1]
        write_grads([*program.written_leaves, *leaves], [*picked, *grads])
        return float(result[0])

    def _trace_with(self, call: Call, merged: bool) -> Program | None:
        """The program of ``call``'s key, or None if its graph is longer than ``max_nodes``.

        ``fn`` is traced on stand-ins: a fresh leaf for each place a Value is passed in, so
        that one leaf passed twice is two leaves of the graph and the program serves any
        pattern of repeats (``merged``: one stand-in per distinct leaf, for a program of one
        pattern), and a fresh input per number. Nothing is written: the program answers."""
        own: dict[int, Value] = {}
        stand_ins = [
            own.setdefault(id(leaf), Value(leaf.data, label=leaf.label))
            if merged
            else Value(leaf.data, label=leaf.label)
            for leaf in call.leaves
        ]
        inputs = [Value(x) for x in call.numbers]
        args = call.arguments(stand_ins, inputs)
        loss, tracer = trace(functools.partial(self.fn, *args))
        refuse_result(loss, "compile")
        graph = build(loss, tracer)
        del loss, tracer
        self.retraces += 1 if call.key in self._traced else int(self.retraces < 0)
        self._traced.add(call.key)
        self.traces += 1
        if len(graph.nodes) > self.max_nodes:
            return None
        # merged, a stand-in is in several places: its first (written last) is kept
        place = {id(v): j for j, v in reversed(list(enumerate(stand_ins)))}
        number = {id(v): j for j, v in enumerate(inputs)}
        places: dict[int, int] = {}
        numbers: dict[int, int] = {}
        for i, ref in list(graph.leaves.items()):
            j = id(ref())
            if j in place or j in number:
                (places if j in place else numbers)[i] = place.get(j, number.get(j, -1))
                del graph.leaves[i]  # not a parameter: each call passes its own
        passed = [weakref.ref(v) for v in (*stand_ins, *inputs)]
        del args, stand_ins, inputs, own
        if any(ref() is not None for ref in passed):
            raise TypeError(
                "compile: the function keeps a Value passed in to it (in a cache, a list, an "
                "attribute), which a later call would use again; a program reads each call's "
                "own. Keep its number (.data), or use mode='interpret'"
            )
        refuse_made_before(graph)
        return generate(graph, places, numbers, arguments=True)

    def _check(
        self,
        fn: Callable[[], Value],
        value: float,
        ours: dict[int, float],
        passed: Sequence[Value] = (),
        passed_grads: Sequence[float] = (),
    ) -> None:
        """``check=True``: the engine's answer for this call must be the program's, bit for
        bit, on the same leaves (``ours``: a parameter's id -> its gradient; the leaves
        ``passed`` in, with their gradients); whatever the engine wrote is put back."""
        loss = fn()
        refuse_result(loss, "compile")
        nodes = topological_order(loss, include_leaves=True)
        restore = restoring(nodes)
        leaves = [weakref.ref(node) for node in nodes if not node._prev]
        restoring(nodes, to=0.0)()
        try:
            loss.backward()
            wanted = [(ref, ref().grad) for ref in leaves]  # type: ignore[union-attr]
        finally:
            restore()
        expected = loss.data
        del loss, nodes  # what outlives them is what the engine treats as parameters
        engine = {id(ref()): g for ref, g in wanted if ref() is not None}
        ours = {**ours, **{id(leaf): g for leaf, g in zip(passed, passed_grads)}}
        if (
            not same(float(value), expected)
            or engine.keys() != ours.keys()
            or not all(same(g, engine[k]) for k, g in ours.items())
        ):
            raise CompileMismatch(
                f"compile(check=True): the compiled program gives loss {value!r} and the "
                f"engine {expected!r} (or their gradients differ): fn() no longer builds the "
                "graph it was traced with (a branch on .data, or data read into the graph); "
                "nothing was written"
            )


def generate(
    graph: Graph,
    places: dict[int, int] | None = None,
    numbers: dict[int, int] | None = None,
    arguments: bool = False,
) -> Program:
    """The program of one traced graph: forward, guards, the chain rule, the gradients.

    ``places`` and ``numbers`` (node -> its place in the call) are the leaves and the
    numbers a call passes in (see :mod:`autograd.jit.arguments`): a program of a call with
    ``arguments`` takes ``(P, A, S, X, G)``, reads a leaf's value from ``A`` and adds its
    gradient into ``G[S[place]]``, its leaf's accumulator (one per distinct leaf, in the
    engine's order)."""
    places, numbers = places or {}, numbers or {}
    emitter = Emitter()
    given = {i: f"a{j}" for i, j in places.items()} | {i: f"x{j}" for i, j in numbers.items()}
    names = emitter.bind(graph, given)
    forward = emitter.forward(graph, names) + emitter.guards(graph, names, "return None")
    into = {i: f"G[s{j}]" for i, j in places.items()}
    backward = emitter.backward(graph, names, "1.0", given=given, into=into)
    loss = emitter.ref(graph, names, graph.root)
    if arguments:
        head = (
            f"def step(P, A, S, X, G):  # P: the {len(emitter.params)} parameters; A: the "
            "leaves passed in, S: the place of each one's gradient in G; X: the numbers"
        )
        read = [
            *(f"a{j} = A[{j}].data" for j in sorted(places.values())),
            *(f"s{j} = S[{j}]" for j in sorted(places.values())),
            *(f"x{j} = X[{j}]" for j in sorted(numbers.values())),
        ]
    else:
        head, read = f"def step(P):  # P: the {len(emitter.params)} parameters", []
    lines = [
        head,
        *indent([emitter.legend(), emitter.read(), *read, "# forward", *forward], 1),
        *indent(["# backward: the chain rule, output first", emitter.zero(), *backward], 1),
        f"    return {loss}, {emitter.grads()}",
    ]
    source = "\n".join(lines) + "\n"
    written = sorted(emitter.index(leaf) for leaf in reached_leaves(graph))
    step = emitter.build(source, "step")
    reached = tuple(sorted(j for i, j in places.items() if i in graph.reached))
    return Program(step, emitter.params, written, source, graph.differentiates, reached)


def _argnums(static_argnums: int | Iterable[int], fn: Callable[..., Value]) -> frozenset[int]:
    """``static_argnums`` as a set of non-negative positions that ``fn`` takes (a TypeError
    or ValueError, as ``jax.jit`` checks them against the function's signature)."""
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    if not all(type(i) is int for i in nums):
        raise TypeError(f"compile: static_argnums must be ints, got {nums!r:.60}")
    if any(i < 0 for i in nums):
        raise ValueError(f"compile: static_argnums must be positions (>= 0), got {nums!r:.60}")
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return frozenset(nums)
    if all(p.kind is not p.VAR_POSITIONAL for p in parameters):
        taken = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in parameters)
        beyond = [i for i in nums if i >= taken]
        if beyond:
            raise ValueError(
                f"compile: static_argnums names argument {beyond[0]}, but the function takes "
                f"{taken} positional argument(s)"
            )
    return frozenset(nums)


def compile(
    fn: Callable[..., Value],
    *,
    mode: Mode = "python",
    check: bool = False,
    static_argnums: int | Iterable[int] = (),
    max_nodes: int = 100_000,
) -> Compiled:
    """``fn`` (builds a loss from parameters) as generated straight-line code.

    The result, called as ``fn`` is, does what ``loss = fn(*args); loss.backward(); return
    loss.data`` does, bit for bit, by replaying the code written from the first call's graph
    (see :mod:`autograd.jit` for the guards and the precondition ``check=True`` verifies).
    Under ``no_grad`` a call computes the loss only. ``mode="interpret"`` runs the engine
    every call. A whole data set in ``fn`` is unrolled into the code: for a mean over
    examples, :func:`compile_mean` loops instead.

    Arguments (:mod:`autograd.jit.arguments`): those at ``static_argnums`` choose the program
    (one is traced per distinct value, as ``jax.jit``'s); the others are passed in (leaves,
    numbers, lists and tuples of them), so that calls which differ only in *which* leaves
    or numbers they pass share one program: ``step(n, rows)`` with ``rows`` the embedding
    rows of ``n`` tokens is one program per ``n``.

    Writing the code takes time and memory in proportion to the graph: a graph of more than
    ``max_nodes`` nodes is not written down, and its calls run on the engine.
    """
    return Compiled(fn, mode, check, static_argnums, max_nodes)
