"""The recording mode (autograd.grad_mode): no_grad, enable_grad, set_grad_enabled.

Per thread and per asyncio task; as decorators they cover functions, generator functions,
coroutine functions and async generator functions, each step in the mode.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

import autograd
from autograd import Value, enable_grad, is_grad_enabled, no_grad, set_grad_enabled


def test_no_grad_records_no_graph() -> None:
    x = Value(2.0)
    with no_grad():
        assert not autograd.is_grad_enabled()
        y = x * x + 1
        with autograd.enable_grad():
            z = x * x
    assert autograd.is_grad_enabled()
    assert y._prev == () and y._op == "" and y.data == 5.0
    assert len(z._prev) == 2
    y.backward()
    assert x.grad == 0.0


def test_no_grad_works_as_a_decorator_and_is_per_thread() -> None:
    @no_grad()
    def square(v: Value) -> Value:
        return v * v

    assert square(Value(3.0))._prev == ()
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(autograd.is_grad_enabled()))
        thread.start()
        thread.join()
        seen.append(contextvars.copy_context().run(autograd.is_grad_enabled))
    assert seen == [True, False]  # a new thread starts with recording on


def test_no_grad_decorates_generator_functions_for_every_step() -> None:
    @no_grad()
    def doubled(values: list[Value]):
        total = 0
        for v in values:
            received = yield v * 2
            total += received or 0
        return total

    x = Value(1.0)
    gen = doubled([x, x])
    first = next(gen)
    second = gen.send(5)
    assert first._prev == () and second._prev == ()  # recorded nothing
    assert (x * 2)._prev[0] is x  # outside the generator: recording again
    with pytest.raises(StopIteration) as stop:
        gen.send(7)
    assert stop.value.value == 12


def test_no_grad_decorates_coroutine_functions() -> None:
    @no_grad()
    async def doubled(v: Value) -> Value:
        await asyncio.sleep(0)
        return v * 2

    x = Value(1.0)
    assert asyncio.run(doubled(x))._prev == ()
    assert (x * 2)._prev[0] is x


def test_one_no_grad_object_entered_by_several_threads_at_once() -> None:
    shared = no_grad()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        try:
            with shared:
                barrier.wait(timeout=10)  # all four inside at the same time
                assert not autograd.is_grad_enabled()
            assert autograd.is_grad_enabled()
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []


def test_no_grad_decorates_async_generator_functions() -> None:
    @no_grad()
    async def doubled(values: list[Value]):
        for v in values:
            await asyncio.sleep(0)
            yield v * 2

    async def collect(x: Value) -> list[Value]:
        return [y async for y in doubled([x, x])]

    x = Value(1.0)
    assert [y._prev for y in asyncio.run(collect(x))] == [(), ()]
    assert (x * 2)._prev[0] is x


def test_a_no_grad_generator_that_keeps_a_block_open_across_yield_leaves_the_caller_alone() -> None:
    @no_grad()
    def gen():
        with autograd.enable_grad():
            yield autograd.is_grad_enabled()
            yield autograd.is_grad_enabled()

    g = gen()
    assert next(g) is True  # inside: the body's enable_grad
    assert autograd.is_grad_enabled()  # the caller: recording, as before the call
    with no_grad():
        next(g)  # (the body's mode on resuming is the decorator's, as with torch.no_grad)
        assert not autograd.is_grad_enabled()  # the caller's own no_grad block holds
    assert autograd.is_grad_enabled()
    g.close()  # the body's block closes inside the decorator's mode: the caller's stays
    assert autograd.is_grad_enabled()


# -- set_grad_enabled: a function and a context manager, as torch.set_grad_enabled ------------


def test_set_grad_enabled_as_a_function_sets_the_mode_until_set_again() -> None:
    def run() -> list[bool]:
        seen = [is_grad_enabled()]
        set_grad_enabled(False)
        seen.append(is_grad_enabled())
        assert Value(2.0) * 3 is not None and (Value(2.0) * 3)._prev == ()
        set_grad_enabled(True)
        seen.append(is_grad_enabled())
        assert len((Value(2.0) * 3)._prev) == 2
        return seen

    # in a context of its own, so that a failure leaves this test's mode alone
    assert contextvars.copy_context().run(run) == [True, False, True]
    assert is_grad_enabled()


def test_set_grad_enabled_as_a_context_manager_restores_the_mode_before_it() -> None:
    x = Value(3.0)
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        y = x * x
        with set_grad_enabled(True):
            z = x * x
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert y._prev == () and len(z._prev) == 2
    with no_grad():
        with set_grad_enabled(True):
            assert is_grad_enabled()
        assert not is_grad_enabled()
    with pytest.raises(RuntimeError), set_grad_enabled(False):
        raise RuntimeError("boom")
    assert is_grad_enabled()  # restored on error too


def test_set_grad_enabled_as_a_decorator_sets_nothing_until_called() -> None:
    @set_grad_enabled(False)
    def square(v: Value) -> Value:
        return v * v

    assert is_grad_enabled()  # decorating did not switch recording off
    assert square(Value(3.0))._prev == ()
    assert is_grad_enabled()

    @set_grad_enabled(False)
    def doubled(values: list[Value]):
        for v in values:
            yield v * 2

    steps = list(doubled([Value(1.0), Value(2.0)]))
    assert all(s._prev == () for s in steps) and is_grad_enabled()


def test_set_grad_enabled_is_per_thread_and_per_task() -> None:
    seen: list[bool] = []
    with set_grad_enabled(False):
        thread = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        thread.start()
        thread.join()

        async def task() -> bool:
            with set_grad_enabled(True):
                await asyncio.sleep(0)
                return is_grad_enabled()

        seen.append(asyncio.run(task()))
        seen.append(is_grad_enabled())
    assert seen == [True, True, False]  # a new thread records; the task's block was its own


def test_set_grad_enabled_keeps_an_anomaly_detector_listening() -> None:
    with autograd.detect_anomaly(), set_grad_enabled(False):
        Value(1000.0).exp()  # not recorded, so not checked
        with set_grad_enabled(True), pytest.raises(autograd.AnomalyError):
            Value(1000.0).exp()


def test_enable_grad_is_set_grad_enabled_true() -> None:
    with no_grad(), enable_grad():
        assert is_grad_enabled()


@pytest.mark.parametrize("mode", ["no", None, 0, 1.0, []])
def test_set_grad_enabled_takes_only_a_bool(mode: object) -> None:
    """As PyTorch's: "no" would turn recording on, None off; a TypeError names the call."""
    before = autograd.is_grad_enabled()
    with pytest.raises(TypeError, match="set_grad_enabled: mode must be a bool, got"):
        autograd.set_grad_enabled(mode)  # type: ignore[arg-type]
    assert autograd.is_grad_enabled() == before


def test_set_grad_enabled_made_in_one_thread_may_be_entered_in_another() -> None:
    """The call's setting stays in the thread that made it (as in PyTorch); the block in the
    worker records nothing inside and restores the worker's mode, with no error."""
    seen: list[object] = []

    def worker(cm: autograd.set_grad_enabled) -> None:
        try:
            with cm:
                seen.append(autograd.is_grad_enabled())
            seen.append(autograd.is_grad_enabled())
        except Exception as error:  # pragma: no cover - the failure this test is about
            seen.append(error)

    cm = autograd.set_grad_enabled(False)
    try:
        thread = threading.Thread(target=worker, args=(cm,))
        thread.start()
        thread.join()
        assert seen == [False, True]
        assert autograd.is_grad_enabled() is False  # the call's setting, in this thread
    finally:
        autograd.set_grad_enabled(True)
