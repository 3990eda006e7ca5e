"""``compile(fn)``: one program, traced from ``fn()`` and replayed as straight-line Python.

A call runs in this order, so that a failed call leaves every ``.grad`` as it was: the
program computes the loss and every gradient into locals (raising nothing it has not
checked: a guard that no longer holds returns None, and any error sends the call to the
engine, which raises it naming the operands); only then are the gradients checked
(``None`` counts as 0, a non-number is refused) and written, ``.grad = before + this
pass's``, as ``backward()`` writes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from autograd.engine import Value
from autograd.extend import anomaly_detector, grad_before, is_grad_enabled
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
    """``leaf.grad = before + this pass's gradient``, as ``backward()`` ends; every ``before``
    is checked first, so a refused gradient leaves all of them as they were."""
    befores = [leaf.grad for leaf in leaves]
    if set(map(type, befores)) - {float}:  # None, an int, a Value, or one to refuse
        befores = [grad_before(leaf) for leaf in leaves]
    for leaf, before, g in zip(leaves, befores, grads):
        leaf.grad = before + g


def restoring(leaves: Sequence[Value]) -> Callable[[], None]:
    """A function that puts back the ``.grad`` the leaves have now."""
    saved = [leaf.grad for leaf in leaves]

    def restore() -> None:
        for leaf, g in zip(leaves, saved):
            leaf.grad = g

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
        if not callable(fn):
            raise TypeError(f"compile: fn must be callable, got {type(fn).__name__}")
        self.fn, self.mode, self.check = fn, mode, check
        self.retraces = -1
        self._program: Callable[..., Any] | None = None
        self._params: list[Value] = []
        self._written: list[int] = []  # the parameters whose .grad a call writes
        self._written_leaves: list[Value] = []
        self._source = ""

    @property
    def source(self) -> str:
        """The generated code (empty until the first call traces ``fn``)."""
        return self._source

    def __call__(self) -> float:
        if self.mode == "interpret" or anomaly_detector() is not None:
            return engine_call(self.fn, "compile")
        result = None if self._program is None else run(self._program, self._params)
        if not is_grad_enabled():  # forward only: no gradient written, no program traced
            return float(result[0]) if result is not None else engine_call(self.fn, "compile")
        if result is None:  # not traced yet, a guard failed, or an error: the engine
            return self._retrace()
        if self.check:
            self._check(result)
        loss, grads = result
        write_grads(self._written_leaves, [grads[j] for j in self._written])
        return float(loss)

    def _retrace(self) -> float:
        """This call on the engine, its graph becoming the program (kept until it succeeds)."""
        loss, tracer = trace(self.fn)
        refuse_result(loss, "compile")
        graph = build(loss, tracer)
        restore = restoring(reached_leaves(graph))
        loss.backward()
        data: float = loss.data
        del loss, tracer  # so that the constants die: a leaf that outlives them is a parameter
        try:
            refuse_made_before(graph)
        except TypeError:
            restore()
            raise
        del restore  # it holds the leaves: let the constants die before the parameters are told
        self._generate(graph)
        self.retraces += 1
        return data

    def _generate(self, graph: Graph) -> None:
        emitter = Emitter()
        names = emitter.bind(graph, {})
        forward = emitter.forward(graph, names) + emitter.guards(graph, names, "return None")
        backward = emitter.backward(graph, names, "1.0")
        loss = emitter.ref(graph, names, graph.root)
        lines = [
            f"def step(P):  # P: the {len(emitter.params)} parameters",
            *indent([emitter.legend(), emitter.read(), "# forward", *forward], 1),
            *indent(["# backward: the chain rule, output first", emitter.zero(), *backward], 1),
            f"    return {loss}, {emitter.grads()}",
        ]
        self._source = "\n".join(lines) + "\n"
        self._program = emitter.build(self._source, "step")
        self._params = emitter.params
        self._written = sorted(emitter.index(leaf) for leaf in reached_leaves(graph))
        self._written_leaves = [self._params[j] for j in self._written]

    def _check(self, result: tuple[float, Sequence[float]]) -> None:
        """``check=True``: the engine's answer for this call must be the program's, bit for bit."""
        written = self._written_leaves
        restore = restoring(written)
        for leaf in written:
            leaf.grad = 0.0
        try:
            expected = engine_call(self.fn, "compile")
            wanted = [leaf.grad for leaf in written]
        finally:
            restore()
        loss, grads = result
        if not same(float(loss), expected) or not all(
            same(grads[j], g) for j, g in zip(self._written, wanted)
        ):
            raise CompileMismatch(
                f"compile(check=True): the compiled program gives loss {loss!r} and the "
                f"engine {expected!r} (or their gradients differ): fn() no longer builds the "
                "graph it was traced with (a branch on .data, or data read into the graph); "
                "nothing was written"
            )


def compile(fn: Callable[[], Value], *, mode: Mode = "python", check: bool = False) -> Compiled:
    """``fn`` (no arguments, builds a loss from parameters) as generated straight-line code.

    The result, called with no arguments, does what ``loss = fn(); loss.backward(); return
    loss.data`` does, bit for bit, by replaying the code written from the first call's graph
    (see :mod:`autograd.jit` for the guards and the precondition ``check=True`` verifies).
    Under ``no_grad`` a call computes the loss only. ``mode="interpret"`` runs the engine
    every call. A whole data set in ``fn`` is unrolled into the code: for a mean over
    examples, :func:`compile_mean` loops instead.
    """
    return Compiled(fn, mode, check)
