"""autograd.compile and threads: compiled calls take turns with the engine's passes
(gradient_lock), and what worker threads make or compare while a trace is open is replayed
and guarded.
"""

from __future__ import annotations

import collections
import math
import random
import sys
import threading
import time
from collections.abc import Callable

import autograd
from autograd import (
    Value,
    compile,
)
from tests.compiled import (
    check_compile,
)


def race(work: Callable[..., None], arguments: list[tuple[object, ...]]) -> None:
    """``work(*args)`` in one thread per ``args``, all at once, switching threads as often as
    the interpreter can (so that interleavings a slower switch would hide happen)."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work, args=args) for args in arguments]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    finally:
        sys.setswitchinterval(old)


def test_nodes_a_worker_thread_makes_while_tracing_are_replayed_and_guarded() -> None:
    """A node made (and compared) in a worker thread during the trace dies with the trace:
    it is replayed, not refused, and the comparison guards the program."""
    import threading

    w = Value(1.0)

    def fn() -> Value:
        box: list[bool] = []
        worker = threading.Thread(target=lambda: box.append(w * 2.0 > 0))
        worker.start()
        worker.join()
        return w * 3.0 if box[0] else w * w

    f = compile(fn)
    for data in (1.0, 0.5, -2.0, -1.0, 4.0):
        w.data, w.grad = data, 0.0
        got = (f(), w.grad)
        w.grad = 0.0
        loss = fn()
        loss.backward()
        assert got == (loss.data, w.grad)
    assert f.retraces == 2  # the branch flipped twice


def test_a_worker_threads_comparison_of_a_value_the_program_does_not_read_still_guards() -> None:
    """Found by the long fuzz profile: fn returns p or q by the sign of q, compared in a
    thread fn starts; the program (a leaf loss, p) never reads q, yet q decides it."""
    import threading

    p, q = Value(0.0), Value(-math.inf)

    def fn() -> Value:
        box: list[bool] = []
        worker = threading.Thread(target=lambda: box.append(q < 0.0))
        worker.start()
        worker.join()
        return p if box[0] else q

    f = compile(fn)
    f()
    q.data = p.grad = q.grad = 0.0
    assert f() == 0.0 and (p.grad, q.grad) == (0.0, 1.0)  # the engine's: q is the loss now


def test_concurrent_compiled_calls_add_every_gradient_like_backward() -> None:
    ws = [Value(0.1 * i) for i in range(50)]
    x = Value(1.0)
    f = compile(lambda: autograd.dot(ws, [x] * 50, 0.0))
    f()
    for w in ws:
        w.grad = 0.0
    calls, threads = 300, 4

    def work() -> None:
        for _ in range(calls):
            f()

    race(work, [()] * threads)
    # backward() from 4 threads gives exactly 1200.0 (passes take turns); the compiled
    # calls' read-add-write of .grad races and loses updates
    assert {w.grad for w in ws} == {float(calls * threads)}


def test_concurrent_calls_while_another_thread_retraces_raise_no_internal_error() -> None:
    w, a = Value(1.0), Value(2.0)
    bs = [Value(0.1 * i) for i in range(6)]

    def fn() -> Value:
        if w > 0:
            return w * a
        return autograd.dot(bs, bs, w)

    f = compile(fn)
    errors: collections.Counter[str] = collections.Counter()

    def work(k: int) -> None:
        for _ in range(6000):
            w.data = 1.0 if k % 2 else -1.0
            try:
                f()
            except Exception as error:  # IndexError: tuple index out of range
                errors[f"{type(error).__name__}: {error}"] += 1

    race(work, [(k,) for k in range(4)])
    assert not errors


def test_a_comparison_made_in_a_worker_thread_while_tracing_is_guarded() -> None:
    """A comparison made in a worker thread while tracing was not guarded: 4.0, not 6.0."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        w = Value(1.0, label="w")

        def fn() -> Value:
            decided: list[bool] = []
            worker = threading.Thread(target=lambda: decided.append(w > 0.0))
            worker.start()
            worker.join()
            return w * w if decided[0] else -w * 3.0

        return [w], fn

    check_compile(make, [[1.0], [-2.0], [1.0], [-0.5]])


def test_threads_calling_with_arguments_whose_guards_flip_get_the_engines_answers() -> None:
    """Other threads' comparisons of their own nodes (which share a parameter with the
    program) were taken as the program's guards, and their live nodes refused it. (A thread
    started while a trace runs counts as the traced function's worker: its comparisons guard
    the program, so the threads here all start first.)"""
    b = Value(0.5)

    def fn(n: int, x: Value) -> Value:
        s = b * x
        if s > 0:
            time.sleep(0.0005)  # holds s while another thread traces
        for _ in range(n):
            s = s * 0.9 + x
        return s

    f = autograd.compile(fn, static_argnums=0)
    errors: list[BaseException] = []
    wrong: list[tuple[float, float]] = []

    ready = threading.Barrier(4)  # every thread runs before any trace: none is fn's worker

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        ready.wait()
        for _ in range(60):
            n, x = rng.randrange(20), rng.choice([0.3, -0.3])
            try:
                got = f(n, Value(x))
            except BaseException as error:
                errors.append(error)
                continue
            want = fn(n, Value(x)).data
            if got.hex() != want.hex():
                wrong.append((got, want))

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []
