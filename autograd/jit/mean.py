"""``compile_mean(example_loss)``: a per-example program, looped (python) or batched (numpy).

One program is traced per *kind* of example: its static value (a class label) and its
number of inputs. Programs that differ only in constants (the label written into the loss)
share their code, the constants passed in. ``extra()`` (a penalty over the parameters) is a
function of its own that continues the gradients' sums where the examples' stop, in the
engine's order.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, Union

from autograd.engine import Value
from autograd.extend import anomaly_detector, is_grad_enabled, read_out
from autograd.functional import sum as value_sum
from autograd.jit.batched import (
    Batched,
    Prepared,
    aux_rows,
    generate_numpy,
    l2_penalty,
    numpy_module,
    prepare,
    run_numpy,
)
from autograd.jit.emit import Emitter
from autograd.jit.kinds import Kind, Variant, as_floats, kinds_of, merge, split
from autograd.jit.looped import generate_extra, generate_python
from autograd.jit.program import Mode, reached_leaves, run, write_grads
from autograd.jit.trace import Graph, build, refuse_made_before, refuse_result, trace

#: What a per-example loss returns: its loss, or its loss and auxiliary outputs to report.
ExampleResult = Union[Value, tuple[Value, Union[Value, Sequence[Value]]]]
#: Where a guard of ``extra()`` failed (a guard of the examples names the example's index).
EXTRA = -1
#: A NumPy call's result: the loss, the gradients (an array) and the aux columns by program.
NumpyResult = tuple[float, Any, list[tuple[list[int], list[Any]]]]


@dataclass(frozen=True)
class FlatBatch:
    """A batch made ready once for :meth:`CompiledMean.run_flat` (its inputs as arrays)."""

    generation: int  # the programs it was made for
    n: int
    prepared: Prepared
    programs: frozenset[int]


class CompiledMean:
    """``mean_i example_loss(inputs_i, *static_i) + extra()``, compiled (:func:`compile_mean`).

    A copy (``copy.copy``, ``copy.deepcopy``) is a new, untraced one of the same functions.
    """

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
        #: Whether the program runs across the batch in NumPy (``mode="numpy"``).
        self.numpy = mode == "numpy"
        if self.numpy:
            numpy_module()  # fails early without NumPy
        #: The per-example loss: ``example_loss(inputs, *static)``.
        self.example_loss = example_loss
        #: The term added once to the mean (a penalty on the parameters), or None.
        self.extra = extra
        #: ``"python"``, ``"numpy"`` or ``"interpret"`` (the engine on every call).
        self.mode = mode
        #: How many kinds of examples were traced again after their first trace.
        self.retraces = 0
        #: How many calls ran on the engine instead of a program (a guard failed, NumPy saw
        #: a value that is not finite...).
        self.fallbacks = 0
        self._variants: dict[Kind, Variant] = {}
        self._differentiates = False  # a program takes a gradient inside (see Graph)
        self._lock = threading.RLock()
        self._extra: Graph | None = None
        self._program: Callable[..., Any] | None = None
        self._extra_program: Callable[..., Any] | None = None
        self._params: list[Value] = []
        self._keys: dict[Kind, Any] = {}
        self._reached: dict[int, set[int]] = {}  # program index -> parameters it writes
        self._written_by: dict[frozenset[int], tuple[list[Value], list[int] | None]] = {}
        self._extra_reached: set[int] = set()
        self._source = ""
        self._programs: list[Variant] = []
        self._penalty: Callable[[Any, Any], float] | None = None  # extra() in NumPy arrays
        self._generation = 0  # counts the generated programs (a FlatBatch names its own)
        self._places_cache: tuple[Any, ...] | None = None

    def __copy__(self) -> CompiledMean:
        return CompiledMean(self.example_loss, self.extra, self.mode)

    def __reduce__(self) -> tuple[type[CompiledMean], tuple[Any, ...]]:
        return CompiledMean, (self.example_loss, self.extra, self.mode)  # pickled untraced

    def __deepcopy__(self, memo: dict[int, Any]) -> CompiledMean:
        return self.__copy__()

    @property
    def source(self) -> str:
        """The generated code (empty until a call traces the per-example program)."""
        return self._source

    def __call__(
        self, inputs: Sequence[Sequence[float]], static: Sequence[object] | None = None
    ) -> tuple[float, list[tuple[float, ...]]]:
        """The loss on examples ``inputs[i]`` (lists of numbers) with ``static[i]`` (passed as
        ``example_loss(xs, *static[i])`` when a tuple, else as one argument); the gradient
        is added into the parameters' ``.grad`` (not under ``no_grad``). Also returns each
        example's auxiliary outputs (their values). Calls of one compiled function from
        several threads take turns."""
        read_out("a compiled function")  # refused inside another compiled function's trace
        n = len(inputs)
        if n == 0:
            raise ValueError("compile_mean: no examples")
        statics: Sequence[object] = static if static is not None else [()] * n
        if len(statics) != n:
            raise ValueError(f"compile_mean: {n} examples but {len(statics)} static values")
        if self.mode == "interpret" or anomaly_detector() is not None:
            return self._engine(inputs, statics)
        rows = as_floats(inputs)  # read once: the inputs may be iterators
        # A static value's kind is told by its type and repr: 1 and True, 0.0 and -0.0 are
        # equal (one hash) but may build different graphs.
        kinds = kinds_of(statics, rows)
        with self._lock:
            keys = None if self._program is None else list(map(self._keys.get, kinds))
            if keys is None or None in keys:  # a new kind of example, or no program yet
                if not is_grad_enabled():
                    return self._engine(rows, statics)  # forward only: nothing is traced
                new = [kind for kind in dict.fromkeys(kinds) if kind not in self._variants]
                for kind in new:  # in the batch's order: the engine's error is the first's
                    i = kinds.index(kind)
                    self._trace(rows[i], kind, statics[i])
                self._generate()
                keys = list(map(self._keys.__getitem__, kinds))
            elif not is_grad_enabled() and self._differentiates:
                return self._engine(rows, statics)  # the engine has no graph to differentiate
            return self._replay(rows, statics, kinds, keys)

    def _replay(
        self,
        rows: list[Sequence[float]],
        statics: Sequence[object],
        kinds: list[Kind],
        keys: list[Any],
    ) -> tuple[float, list[tuple[float, ...]]]:
        assert self._program is not None
        result: Any
        if self.numpy:
            np = numpy_module()
            pv = np.fromiter(map(attrgetter("data"), self._params), float, len(self._params))
            result = self._numpy(pv, run(prepare, rows, keys, self._programs), len(rows))
            if result is not None and result[0] is not None:
                result = (result[0], result[1].tolist(), aux_rows(result[2], len(rows)))
        else:
            result = run(self._program, self._params, rows, keys, 1.0 / len(rows))
            if result is not None and result[0] is not None and self._extra_program is not None:
                loss, grads, aux = result
                extra = run(self._extra_program, self._params, grads)
                if extra is None or extra[0] is None:  # an error, or a guard of extra() failed
                    result = None if extra is None else (None, EXTRA, None)
                else:
                    result = (loss + extra[0], extra[1], aux)
        if result is None or result[0] is None:  # an error, or a guard failed: the engine
            failed = None if result is None else result[1]
            return self._fallback(rows, statics, kinds, failed)
        loss, grads, aux = result
        if is_grad_enabled():
            leaves, written = self._written(frozenset(map(itemgetter(0), keys)))
            write_grads(leaves, grads if written is None else [grads[j] for j in written])
        return float(loss), aux

    def _numpy(self, pv: Any, prepared: Prepared | None, n: int) -> NumpyResult | Any | None:
        """The NumPy program and ``extra()`` on parameter values ``pv`` (program order): a
        :data:`NumpyResult`, ``(None, failed, None)`` for a failed guard, or None."""
        if prepared is None or self._program is None:
            return None
        result = run_numpy(self._program, pv, prepared, 1.0 / n)
        if result is None or result[0] is None:
            return result
        loss, gw, parts = result
        if self._penalty is not None:
            np = numpy_module()
            with np.errstate(all="ignore"):
                return loss + self._penalty(pv, gw), gw, parts
        if self._extra_program is None:
            return result
        extra = run(self._extra_program, pv.tolist(), gw.tolist())
        if extra is None or extra[0] is None:  # an error, or a guard of extra() failed
            return None if extra is None else (None, EXTRA, None)
        return loss + extra[0], numpy_module().array(extra[1], dtype=float), parts

    def flat_batch(
        self, inputs: Sequence[Sequence[float]], static: Sequence[object] | None = None
    ) -> FlatBatch | None:
        """The batch made ready for :meth:`run_flat` (NumPy mode), or None where only a call
        can run it: no program yet, a kind of example not traced, no gradient to take."""
        n = len(inputs)
        statics: Sequence[object] = static if static is not None else [()] * n
        if not self.numpy or n == 0 or len(statics) != n:
            return None
        if not is_grad_enabled() or anomaly_detector() is not None:
            return None
        rows = as_floats(inputs)
        kinds = kinds_of(statics, rows)
        with self._lock:
            if self._program is None:
                return None
            keys = list(map(self._keys.get, kinds))
            if None in keys:
                return None
            prepared = run(prepare, rows, keys, self._programs)
            if prepared is None:
                return None
            programs = frozenset(key[0] for key in keys if key is not None)
            return FlatBatch(self._generation, n, prepared, programs)

    def run_flat(self, batch: FlatBatch, pv: Any, order: Sequence[Value]) -> NumpyResult | None:
        """A call on parameter values given as an array ``pv``, in the order of the
        parameters ``order``, instead of read from the Values; it writes nothing. Returns
        the loss, the gradient as an array in that order (``0.0 + g``, as ``.grad`` holds
        after ``zero_grad`` and a call; 0.0 where the call writes none) and the aux columns
        by program: ``(places in the batch, columns)``. None where a call must answer: the
        batch was made for older programs, a parameter of the programs is not in ``order``,
        a guard failed, an error, a value that is not finite."""
        read_out("a compiled function")
        if not is_grad_enabled() or anomaly_detector() is not None:
            return None
        np = numpy_module()
        with self._lock:
            if batch.generation != self._generation:
                return None
            places = self._places(order, batch.programs)
            if places is None:
                return None
            gather, scatter_from, scatter_to = places
            result = self._numpy(pv if gather is None else pv[gather], batch.prepared, batch.n)
        if result is None or result[0] is None:
            return None
        loss, gw, parts = result
        if not (math.isfinite(loss) and np.isfinite(gw).all()):
            return None
        if scatter_from is None:
            return loss, gw + 0.0, parts
        g = np.zeros(len(order))
        g[scatter_to] += gw[scatter_from]
        return loss, g, parts

    def _places(self, order: Sequence[Value], programs: frozenset[int]) -> tuple[Any, ...] | None:
        """Where the programs' parameters are in ``order``: (the gather of their values, or
        None for the same order; the gradients written and their places in ``order``, or
        None, None for all in the same order); None if one is not in ``order``."""
        cached = self._places_cache
        if cached is not None and cached[:4] == (self._generation, programs, len(order), id(order)):
            return cached[5]  # type: ignore[no-any-return]
        np = numpy_module()
        positions = {id(p): i for i, p in enumerate(order)}
        at = [positions.get(id(p)) for p in self._params]
        places: tuple[Any, ...] | None = None
        if None not in at:
            same = at == list(range(len(order)))
            _, written = self._written(programs)
            src = list(range(len(at))) if written is None else written
            dst = [at[j] for j in src]
            places = (
                None if same else np.array(at),
                None if same and written is None else np.array(src, dtype=int),
                np.array(dst, dtype=int),
            )
        self._places_cache = (self._generation, programs, len(order), id(order), order, places)
        return places

    def _written(self, programs: frozenset[int]) -> tuple[list[Value], list[int] | None]:
        """The parameters a call of these programs writes (those the engine's graph reaches),
        and their places among the gradients (None: all of them, in order)."""
        found = self._written_by.get(programs)
        if found is None:
            reached = sorted(self._extra_reached.union(*(self._reached[k] for k in programs)))
            every = reached == list(range(len(self._params)))
            leaves = [self._params[j] for j in reached]
            found = self._written_by[programs] = (leaves, None if every else reached)
        return found

    def _args(self, xs: list[Value], key: object) -> tuple[Any, ...]:
        return (xs, *key) if isinstance(key, tuple) else (xs, key)

    def _engine(
        self, inputs: Sequence[Sequence[float]], statics: Sequence[object]
    ) -> tuple[float, list[tuple[float, ...]]]:
        """The engine: ``sum(terms) * (1/n) + extra()``, backward, as the trainer does."""
        terms, aux = [], []
        for x, key in zip(inputs, statics):
            term, extras = split(self.example_loss(*self._args([Value(v) for v in x], key)))
            terms.append(term)
            aux.append(tuple(v.data for v in extras))
        loss = value_sum(terms) * (1.0 / len(terms))
        if self.extra is not None:
            extra = self.extra()
            refuse_result(extra, "compile_mean (extra)")
            loss = loss + extra
        if is_grad_enabled():
            loss.backward()
        return loss.data, aux

    def _fallback(
        self,
        rows: list[Sequence[float]],
        statics: Sequence[object],
        kinds: list[Kind],
        failed: int | None,
    ) -> tuple[float, list[tuple[float, ...]]]:
        """This call on the engine (which raises any error, naming the operands), after an
        error (``failed`` None) or a guard that failed at example ``failed`` (or in extra(),
        ``EXTRA``); with gradients on, that program is traced again first (a trace writes
        nothing: if the new branch is refused, no ``.grad`` has changed)."""
        self.fallbacks += 1
        if failed is not None and is_grad_enabled():
            if failed == EXTRA:
                self._extra = None
            else:
                self._trace(rows[failed], kinds[failed], statics[failed])
            self._generate()
        return self._engine(rows, statics)

    def _trace(self, x: Sequence[float], kind: Kind, static: object) -> None:
        if kind in self._variants:
            self.retraces += 1
        xs = [Value(v) for v in x]
        result, tracer = trace(lambda: self.example_loss(*self._args(xs, static)))
        term, aux = split(result)
        graph = build(term, tracer, aux)
        positions = {id(v): j for j, v in enumerate(xs)}
        inputs = {
            i: positions[id(ref())] for i, ref in graph.leaves.items() if id(ref()) in positions
        }
        del result, term, aux, tracer
        for i in inputs:  # an input is not a parameter: the examples' list lets it go
            graph.leaves.pop(i)
        refuse_made_before(graph)
        self._variants[kind] = Variant(graph, len(x), inputs)
        self._program = None  # generated again before the next replay

    def _generate(self) -> None:
        if self.extra is not None and self._extra is None:
            loss, tracer = trace(self.extra)
            refuse_result(loss, "compile_mean (extra)")
            self._extra = build(loss, tracer)
            del loss, tracer
            refuse_made_before(self._extra)
        programs, self._keys = merge(self._variants)
        self._programs = programs
        self._generation += 1
        emitter = Emitter()
        # Every function knows every parameter; NumPy's layers take theirs first, side by side.
        batched = [Batched(emitter, v, k) for k, v in enumerate(programs)] if self.numpy else []
        for variant in programs:
            emitter.bind(variant.graph, {})
        if self._extra is not None:
            emitter.bind(self._extra, {})
        if self.numpy:
            for program in batched:
                program.bind()
            self._source, self._program = generate_numpy(emitter, batched)
        else:
            self._source, self._program = generate_python(emitter, programs, self._extra)
        self._reached = {
            k: {emitter.index(leaf) for leaf in reached_leaves(v.graph)}
            for k, v in enumerate(programs)
        }
        self._extra_program, self._extra_reached, self._penalty = None, set(), None
        if self._extra is not None:
            self._penalty = l2_penalty(emitter, self._extra) if self.numpy else None
            if self._penalty is None:
                source, self._extra_program = generate_extra(
                    emitter, self._extra, from_values=not self.numpy
                )
            else:
                source = "# extra(): an L2 penalty c * sum(p * p), in arrays (l2_penalty)"
            self._source += "\n\n" + source
            self._extra_reached = {emitter.index(leaf) for leaf in reached_leaves(self._extra)}
        self._params = emitter.params
        self._written_by = {}
        graphs = [v.graph for v in programs] + ([] if self._extra is None else [self._extra])
        self._differentiates = any(graph.differentiates for graph in graphs)


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
    distinct static value (told apart by type and ``repr``: ``1`` is not ``True``) and number
    of inputs. The result, called as
    ``f(inputs, static)``, does what

        loss = autograd.sum(terms) * (1 / n) + extra(); loss.backward()

    does (the terms ``example_loss(xs_i, *static_i)``): in ``mode="python"`` bit for bit,
    looping over the examples in generated code (one program whatever the batch size); in
    ``mode="numpy"`` across the batch as arrays (within 1e-12 relative), layers as matrix
    products. Comparisons are guarded as in :func:`~autograd.jit.compile`; in NumPy mode a
    guard must hold for the whole batch, else the call runs on the engine. Under ``no_grad`` a call
    computes the loss only.
    """
    return CompiledMean(example_loss, extra, mode)
