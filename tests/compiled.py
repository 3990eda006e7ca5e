"""Helpers of the compile tests: the engine as the reference, and how to compare with it.

The reference is the plain engine (``loss = fn(); loss.backward()``, or the mean of the
examples' losses plus ``extra()``) run on identical copies of the parameters (same ``.data``,
same starting ``.grad``): compared bit for bit (``float.hex``) in python mode and within 1e-12
in numpy mode. Where the compiled call cannot give the engine's answer, the one other correct
behaviour is a clear error (a TypeError or ValueError whose message names compile) raised
before any ``.grad`` is written.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import autograd
from autograd import (
    Value,
    compile,
    compile_mean,
    no_grad,
)
from autograd.jit import Compiled

MODES = ["python", "numpy"]


Make = Callable[[], tuple[list[Value], Callable[[], Value]]]


MakeMean = Callable[[], tuple[list[Value], Callable[..., Any], Callable[[], Value] | None]]


def bits(x: object) -> str:
    return float(x).hex()  # type: ignore[arg-type]


def assert_same(got: Sequence[float], want: Sequence[float], mode: str = "python") -> None:
    """Bit for bit (python mode), within 1e-12 (numpy mode)."""
    assert len(got) == len(want)
    if mode == "numpy":
        for a, b in zip(got, want):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (list(got), list(want))
    else:
        assert list(map(bits, got)) == list(map(bits, want)), (list(got), list(want))


def grads(params: Sequence[Value]) -> list[float]:
    return [p.grad for p in params]  # type: ignore[misc]


START = 0.25


def recording(enabled: bool) -> contextlib.AbstractContextManager[None]:
    return contextlib.nullcontext() if enabled else no_grad()


def engine_call(fn: Callable[[], Value]) -> float:
    loss = fn()
    loss.backward()
    return loss.data


def check_compile(
    make: Make, datas: Sequence[Sequence[float]], enabled: Sequence[bool] = ()
) -> Compiled:
    """compile(fn) on one copy of the parameters, the engine on another, call by call: the
    parameters set to each of ``datas`` (gradients zeroed), under no_grad where ``enabled``
    says False. Every loss and gradient must be the engine's, bit for bit."""
    mine, fn = make()
    theirs, reference = make()
    f = compile(fn)
    for k, data in enumerate(datas):
        for leaves in (mine, theirs):
            for leaf, v in zip(leaves, data):
                leaf.data, leaf.grad = v, START
        grad_on = enabled[k] if k < len(enabled) else True
        with recording(grad_on):
            want = engine_call(reference)
        with recording(grad_on):
            got = f()
        assert_same([got, *grads(mine)], [want, *grads(theirs)])
    return f


def engine_mean_and_aux(
    example: Callable[..., Any], batch: Sequence[Sequence[float]], extra: Callable[[], Value] | None
) -> tuple[float, list[tuple[float, ...]]]:
    """The engine: ``sum(terms) * (1 / n) + extra()``, then backward (what compile_mean does);
    the loss and each example's auxiliary outputs."""
    terms, aux = [], []
    for x in batch:
        result = example([Value(v) for v in x])
        term, extras = result if isinstance(result, tuple) else (result, [])
        terms.append(term)
        aux.append(tuple(v.data for v in ([extras] if isinstance(extras, Value) else extras)))
    loss = autograd.sum(terms) * (1.0 / len(terms))
    if extra is not None:
        loss = loss + extra()
    loss.backward()
    return loss.data, aux


def check_mean(
    make: MakeMean,
    batches: Sequence[Sequence[Sequence[float]]],
    mode: str,
    enabled: Sequence[bool] = (),
) -> None:
    """compile_mean on one copy of the parameters, the engine on another, call by call."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    mine, example, extra = make()
    theirs, reference, reference_extra = make()
    f = compile_mean(example, extra=extra, mode=mode)  # type: ignore[arg-type]
    for k, batch in enumerate(batches):
        for p in (*mine, *theirs):
            p.grad = START
        grad_on = enabled[k] if k < len(enabled) else True
        with recording(grad_on):
            want, want_aux = engine_mean_and_aux(reference, batch, reference_extra)
        with recording(grad_on):
            got, got_aux = f(batch)
        assert_same([got, *grads(mine)], [want, *grads(theirs)], mode)
        assert [len(a) for a in got_aux] == [len(a) for a in want_aux]
        assert_same([v for a in got_aux for v in a], [v for a in want_aux for v in a], mode)


def engine_bits(fn: Callable[[list[Value]], Value], data: list[float]) -> tuple[str, list[str]]:
    """The interpreted engine's loss and gradients (as bits) on fresh leaves."""
    leaves = [Value(v) for v in data]
    loss = fn(leaves)
    loss.backward()
    return bits(loss.data), [bits(x.grad) for x in leaves]  # type: ignore[arg-type]


def compiled_run(
    fn: Callable[[list[Value]], Value], datas: list[list[float]]
) -> list[tuple[str, list[str]]]:
    """The compiled function on leaves set to each of ``datas`` in turn (the first call
    traces, the others replay), gradients zeroed before each call."""
    leaves = [Value(v) for v in datas[0]]
    f = compile(lambda: fn(leaves))
    out = []
    for data in datas:
        for leaf, v in zip(leaves, data):
            leaf.data, leaf.grad = v, 0.0
        loss = f()
        out.append((bits(loss), [bits(x.grad) for x in leaves]))  # type: ignore[arg-type]
    assert f.retraces == 0, f.source
    return out


def engine_loss(fn: Callable[[], Value]) -> float:
    loss = fn()
    loss.backward()
    return loss.data


def clear_refusal(error: BaseException) -> bool:
    """A TypeError/ValueError whose message names compile (the contract's other answer)."""
    return isinstance(error, (TypeError, ValueError)) and "compile" in str(error)


def engine_mean_loss(
    example: Callable[..., Value],
    rows: Sequence[Sequence[float]],
    statics: Sequence[object] | None = None,
    extra: Callable[[], Value] | None = None,
) -> float:
    statics = statics if statics is not None else [()] * len(rows)
    terms = []
    for row, s in zip(rows, statics):
        xs = [Value(v) for v in row]
        terms.append(example(xs, *s) if isinstance(s, tuple) else example(xs, s))
    loss = autograd.sum(terms) * (1.0 / len(terms))
    if extra is not None:
        loss = loss + extra()
    loss.backward()
    return loss.data
