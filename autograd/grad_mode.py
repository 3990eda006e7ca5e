"""Whether operations record a graph, and who is told what they do (as PyTorch's grad_mode).

:func:`no_grad`, :func:`enable_grad` and :func:`set_grad_enabled` set the *recording mode*:
while it is off, an operation's result is a plain leaf with no parents. The mode lives in a
``contextvars.ContextVar``, so each thread and each asyncio task has its own; as decorators
the three cover generator and coroutine functions too (the mode holds each time the
generator runs, not only while it is being created).

The same mode carries two listeners, installed for a block: an anomaly detector
(:func:`anomaly_hook`, :mod:`autograd.anomaly`), shown every node and every local gradient,
and a tracer (:func:`trace_hook`, :mod:`autograd.jit`), told every comparison of a Value and
every node made. Outside such blocks they cost one identity test per node.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from autograd.engine import Value
    from autograd.ops import Grad


class AnomalyHook(Protocol):
    """What an anomaly detector gets told (see :mod:`autograd.anomaly`)."""

    def created(self, out: Value, /) -> None:
        """Called for every node made while recording, right after it is made."""

    def check_gradients(self, node: Value, g: Grad, local: tuple[Grad, ...], /) -> None:
        """Called in the backward pass at ``node``, with its gradient ``g`` and what it
        passes to its parents, ``local`` (``g * d node / d parent`` for each)."""


class TraceHook(Protocol):
    """What a tracer gets told (see :mod:`autograd.jit`): what the graph alone does not say.

    ``compared``: a comparison of a Value decided a bool (``a < b`` is ``outcome``; ``bool(a)``
    is ``a != 0``), which Python code may branch on; told also of comparisons made in other
    threads while the trace is open (they may decide the traced program, and an extra guard
    is never wrong). ``made``: a node was made in the traced context, ``recorded`` (a graph
    node) or not (a leaf, under ``no_grad``). ``differentiated``: a backward pass ran in it.
    """

    def compared(self, a: Value, op: str, b: Value | float, outcome: bool, /) -> None:
        """``a op b`` was ``outcome``: ``op`` is ``"<"``, ``"<="``, ``">"``, ``">="``, ``"!="``."""

    def made(self, out: Value, recorded: bool, /) -> None:
        """``out`` was made by an operation: a graph node if ``recorded``, else a leaf."""

    def differentiated(self, what: str, recorded: bool, /) -> None:
        """A backward pass ran: ``what``; ``recorded`` if it built a graph of the gradient
        (else it read numbers out of the graph, which a replay would not do again)."""


@dataclass(frozen=True)
class Mode:
    """How operations record: whether they make graph nodes, who checks each node, and who
    traces the program (a comparison or a constant op tells it)."""

    enabled: bool
    detector: AnomalyHook | None = None
    tracer: TraceHook | None = None


#: The usual mode, with no listener: :func:`autograd.extend.make_node` tests for it first.
RECORDING = Mode(True)
_NOT_RECORDING = Mode(False)
_mode: contextvars.ContextVar[Mode] = contextvars.ContextVar("autograd_mode", default=RECORDING)

current_mode = _mode.get
"""The mode of this thread or task (read once per node made)."""


def _set_mode(
    enabled: bool, detector: AnomalyHook | None, tracer: TraceHook | None = None
) -> contextvars.Token[Mode]:
    if detector is None and tracer is None:
        return _mode.set(RECORDING if enabled else _NOT_RECORDING)
    return _mode.set(Mode(enabled, detector, tracer))


class set_grad_enabled:  # a class, used as a function and as a context manager (as PyTorch's)
    """Turn recording on or off: as a function call, for the rest of this thread or task;
    as a context manager or decorator, within it (as ``torch.set_grad_enabled``).

    ``set_grad_enabled(False)`` takes effect at once; used in a ``with`` statement, the
    mode before it is restored when the block ends. As a decorator it also covers generator
    and coroutine functions: the mode holds each time the generator or coroutine runs, not
    only while it is being created (the mistake of a plain ``contextlib`` decorator).
    """

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):  # "no" or None would be a silent guess, as in PyTorch
            raise TypeError(
                f"set_grad_enabled: mode must be a bool, got {type(mode).__name__} {mode!r}"
            )
        self._enabled = mode
        # Set at once (the function form); the with form undoes this on exit.
        self._called: contextvars.Token[Mode] | None = _set_mode(self._enabled, *_listeners())
        # The tokens to undo belong to this object (so a block kept open across a generator's
        # yield undoes its own), one stack per thread (so one object may be entered by
        # several threads at once).
        self._entered = threading.local()

    def __enter__(self) -> None:
        stack: list[contextvars.Token[Mode]] = self._entered.__dict__.setdefault("stack", [])
        stack.append(_set_mode(self._enabled, *_listeners()))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._entered.stack.pop())
        self._undo_call()  # the first block also undoes the call's setting

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        self._undo_call()  # a decorator sets nothing until fn runs
        return _decorated(fn, self._enabled)

    def _undo_call(self) -> None:
        """Undo what the call set, in the thread or task that made it; made in another one
        (the object entered elsewhere), its setting stays there, as PyTorch's does."""
        called, self._called = self._called, None
        if called is not None:
            with contextlib.suppress(ValueError):  # "created in a different Context"
                _mode.reset(called)


class _GradMode(set_grad_enabled):
    """:func:`no_grad` / :func:`enable_grad`: a block or decorator; nothing set when made."""

    def __init__(self, mode: bool) -> None:
        self._enabled, self._called = mode, None
        self._entered = threading.local()


def _listeners() -> tuple[AnomalyHook | None, TraceHook | None]:
    mode = _mode.get()
    return mode.detector, mode.tracer


def _decorated(fn: Callable[..., Any], enabled: bool) -> Callable[..., Any]:
    """``fn`` run in the mode ``enabled``: each step of a generator, each await of a coroutine."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            gen = fn(*args, **kwargs)
            resume: Callable[[Any], Any] = gen.send
            received: Any = None
            while True:
                try:
                    with _GradMode(enabled):
                        sent = resume(received)
                except StopIteration as stop:
                    return stop.value
                try:
                    received = yield sent
                    resume = gen.send
                except GeneratorExit:
                    with _GradMode(enabled):  # its blocks close in the mode, then ours
                        gen.close()
                    raise
                except BaseException as error:  # thrown in: pass it on, in the mode
                    received, resume = error, gen.throw

        return generator
    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def async_generator(*args: Any, **kwargs: Any) -> Any:
            agen = fn(*args, **kwargs)
            resume: Callable[[Any], Any] = agen.asend
            received: Any = None
            while True:
                try:
                    with _GradMode(enabled):
                        sent = await resume(received)
                except StopAsyncIteration:
                    return
                try:
                    received = yield sent
                    resume = agen.asend
                except GeneratorExit:
                    with _GradMode(enabled):  # its blocks close in the mode, then ours
                        await agen.aclose()
                    raise
                except BaseException as error:  # thrown in: pass it on, in the mode
                    received, resume = error, agen.athrow

        return async_generator
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coroutine(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(enabled):
                return await fn(*args, **kwargs)

        return coroutine

    @functools.wraps(fn)
    def function(*args: Any, **kwargs: Any) -> Any:
        with _GradMode(enabled):
            return fn(*args, **kwargs)

    return function


def no_grad() -> set_grad_enabled:
    """Context manager (and decorator) in which operations record no graph.

    Results computed inside are leaves: they have no parents and ``backward()`` stops at
    them. Per thread and per asyncio task; as a decorator it covers functions, generator
    functions and coroutine functions alike (as ``torch.no_grad``).
    """
    return _GradMode(False)


def enable_grad() -> set_grad_enabled:
    """Context manager (and decorator) that turns recording back on, e.g. inside ``no_grad``."""
    return _GradMode(True)


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph (False inside :func:`no_grad`)."""
    return _mode.get().enabled


@contextlib.contextmanager
def anomaly_hook(detector: AnomalyHook) -> Iterator[None]:
    """Within the block, every node made while recording is shown to ``detector``.

    Recording stays as it was: ``no_grad()`` inside the block records (and checks) nothing,
    and ``enable_grad()`` inside that records with the detector again.
    """
    mode = _mode.get()
    token = _set_mode(mode.enabled, detector, mode.tracer)
    try:
        yield
    finally:
        _mode.reset(token)


def anomaly_detector() -> AnomalyHook | None:
    """The detector :func:`anomaly_hook` installed here, or None (anomaly mode is off)."""
    return _mode.get().detector


@contextlib.contextmanager
def trace_hook(tracer: TraceHook) -> Iterator[None]:
    """Within the block, every comparison of a Value made in this context or in a thread with
    no tracer of its own, and every node made in this context, is told to ``tracer``
    (nothing is told, and nothing costs, outside such a block)."""
    mode = _mode.get()
    token = _set_mode(mode.enabled, mode.detector, tracer)
    with _tracing_lock:
        OPEN_TRACERS.append(tracer)
    try:
        yield
    finally:
        _mode.reset(token)
        with _tracing_lock:  # by identity: a tracer may compare equal to another
            del OPEN_TRACERS[next(i for i, t in enumerate(OPEN_TRACERS) if t is tracer)]


#: The tracers of the trace_hook blocks open in any thread: while there is none, a comparison
#: reads this one list and nothing else (the hook costs nothing when no program is being
#: traced). A comparison in a thread with no tracer of its own is told to all of them.
OPEN_TRACERS: list[TraceHook] = []
_tracing_lock = threading.Lock()


def tell_compared(a: Value, b: Value | float, op: str, outcome: bool) -> bool:
    """``outcome``, after telling the tracers that ``a op b`` decided it: this context's, or
    (a thread with none of its own, such as a worker a traced function started) every open one."""
    tracer = _mode.get().tracer
    with _tracing_lock:
        tracers = [tracer] if tracer is not None else list(OPEN_TRACERS)
    for t in tracers:
        t.compared(a, op, b, outcome)
    return outcome


def tell_differentiated(what: str, recorded: bool) -> None:
    """Tell this context's tracer, if any, that a backward pass ran (see TraceHook)."""
    tracer = _mode.get().tracer
    if tracer is not None:
        tracer.differentiated(what, recorded)


def read_out(what: str) -> None:
    """Tell this context's tracer, if any, that ``what`` reads numbers out of graphs as a
    backward pass in floats does (a compiled call): no traced program could replay it."""
    tell_differentiated(what, recorded=False)
