"""fit(compile="numpy") with parameters, gradients and optimizer state as flat arrays.

The reference is the engine (``compile=False``): losses, records, final weights and
gradients, and the optimizer's state equal within 1e-12 relative; and the per-parameter
NumPy path (the same program, the optimizer's own ``_update``; a subclass of a built-in
optimizer takes it), bit for bit. Work is counted, not timed: after the first step (which
traces) no per-parameter ``_update`` runs and nothing is written back until code may look.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

np = pytest.importorskip("numpy")

import nn  # noqa: E402
from autograd import Value, compile_mean  # noqa: E402
from nn import MLP, EarlyStopping, fit, make_moons  # noqa: E402
from nn.flat import FlatUpdate  # noqa: E402
from nn.optim import Optimizer  # noqa: E402
from nn.schedules import StepDecay  # noqa: E402
from tests.compiled import bits  # noqa: E402

OPTIMIZERS: dict[str, Callable[[list[Value]], Optimizer]] = {
    "GD": lambda ps: nn.GD(ps, lr=0.5),
    "SGD momentum, weight decay": lambda ps: nn.SGD(
        ps, lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-3
    ),
    "SGD Nesterov": lambda ps: nn.SGD(ps, lr=0.1, momentum=0.8, nesterov=True),
    "Adam, weight decay": lambda ps: nn.Adam(ps, lr=0.01, weight_decay=1e-3),
    "AdamW": lambda ps: nn.AdamW(ps, lr=0.01),
}


def train(
    mode: object, make: Callable[[list[Value]], Optimizer], steps: int = 8, **kwargs: Any
) -> tuple[Any, list[Value], Optimizer]:
    X, y = make_moons(40, noise=0.1, seed=3)
    random.seed(1337)
    model = MLP(2, [6, 6, 1])
    optimizer = make(model.parameters())
    history = fit(
        model,
        X,
        y,
        alpha=1e-4,
        steps=steps,
        optimizer=optimizer,
        progress=False,
        compile=mode,  # type: ignore[arg-type]
        **kwargs,
    )
    return history, model.parameters(), optimizer


#: Adam divides by sqrt(v): a gradient that cancels to about 0 (no relative accuracy in
#: NumPy's order of summation) still moves its parameter by about lr, so Adam's runs agree
#: with the engine's within 1e-9 (losses 2.5e-12 here; weights 7e-12 apart, lr 0.01), as
#: the per-parameter NumPy path's did: against that path the flat steps agree bit for bit.
ADAM_TOLERANCE = 1e-9


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel * 1e-2)


def assert_close_runs(got: tuple[Any, ...], want: tuple[Any, ...], rel: float = 1e-12) -> None:
    """Records (losses within ``rel``, the rest equal), weights, gradients, optimizer state."""
    (h1, p1, o1), (h2, p2, o2) = got, want
    rel = ADAM_TOLERANCE if isinstance(o1, nn.Adam) else rel

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel * 1e-2)

    assert len(h1) == len(h2) and h1.stopped == h2.stopped
    for r1, r2 in zip(h1.records, h2.records, strict=True):
        assert r1.keys() == r2.keys()
        assert all(close(r1[k], r2[k]) for k in r1), (r1, r2)
        assert {k: r1[k] for k in ("step", "lr", "accuracy")} == {
            k: r2[k] for k in ("step", "lr", "accuracy")
        }
    assert all(close(a.data, b.data) for a, b in zip(p1, p2, strict=True))
    assert all(close(a.grad, b.grad) for a, b in zip(p1, p2, strict=True))
    s1, s2 = o1.state_dict(), o2.state_dict()
    assert (s1["step"], s1["hyper"]) == (s2["step"], s2["hyper"])
    for name, values in s1["buffers"].items():
        assert all(close(a, b) for a, b in zip(values, s2["buffers"][name], strict=True))


class Stop(Exception):
    """Raised to stop a run in the middle (as a user's Ctrl-C would)."""


@pytest.fixture
def updates(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of the per-parameter updates, flat updates and write-backs."""
    counts = {"_update": 0, "flat step": 0, "write back": 0}

    def counted(cls: type, name: str, key: str) -> None:
        original = getattr(cls, name)

        def wrapper(*args: Any) -> Any:
            counts[key] += 1
            return original(*args)

        monkeypatch.setattr(cls, name, wrapper)

    for cls in (nn.GD, nn.SGD, nn.Adam):
        counted(cls, "_update", "_update")
    counted(FlatUpdate, "apply", "flat step")
    original = FlatUpdate.write_back

    def write_back(self: FlatUpdate) -> None:
        counts["write back"] += self.ahead  # only the ones that write
        original(self)

    monkeypatch.setattr(FlatUpdate, "write_back", write_back)
    return counts


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [None, 16])
def test_flat_steps_are_the_engines(
    name: str, batch_size: int | None, updates: dict[str, int]
) -> None:
    reference = train(False, OPTIMIZERS[name], batch_size=batch_size)
    updates["_update"] = 0
    flat = train("numpy", OPTIMIZERS[name], batch_size=batch_size)
    assert_close_runs(flat, reference)
    n = len(flat[1])
    # the first step traces and runs the usual way; the 7 others on the arrays, written
    # back once, at the end
    assert updates == {"_update": n, "flat step": 7, "write back": 1}


@pytest.mark.parametrize("name", ["GD", "SGD momentum, weight decay", "Adam, weight decay"])
def test_flat_steps_are_the_per_parameter_numpy_path_bit_for_bit(
    name: str, updates: dict[str, int]
) -> None:
    make = OPTIMIZERS[name]

    def subclassed(ps: list[Value]) -> Optimizer:
        optimizer = make(ps)
        optimizer.__class__ = type("Mine", (type(optimizer),), {})  # may change _update
        return optimizer

    assert FlatUpdate.of(subclassed([Value(1.0)])) is None
    h1, p1, o1 = train("numpy", make, batch_size=16)
    assert updates["flat step"] == 7
    h2, p2, o2 = train("numpy", subclassed, batch_size=16)
    assert updates["flat step"] == 7  # the subclass: every step per parameter
    assert h1.records == h2.records
    assert [bits(p.data) for p in p1] == [bits(p.data) for p in p2]
    assert [bits(p.grad) for p in p1] == [bits(p.grad) for p in p2]
    assert o1.state_dict() == o2.state_dict()


def test_a_callback_and_a_schedule_of_its_own_see_the_current_weights(
    updates: dict[str, int],
) -> None:
    seen: dict[object, list[Any]] = {}

    def run(mode: object) -> tuple[Any, ...]:
        log = seen.setdefault(mode, [])
        params: list[Value] = []

        def callback(history: Any) -> None:
            state = optimizer[0].state_dict()
            log.append(([p.data for p in params], [p.grad for p in params], state))

        def schedule(k: int) -> float:
            log.append(sum(p.data for p in params))  # a schedule that reads the weights
            return 0.01 / (1 + k)

        optimizer: list[Optimizer] = []

        def make(ps: list[Value]) -> Optimizer:
            params.extend(ps)
            optimizer.append(nn.Adam(ps, lr=0.01))
            return optimizer[0]

        return train(mode, make, callbacks=[callback], schedule=schedule)

    reference = run(False)
    flat = run("numpy")
    assert_close_runs(flat, reference)
    assert updates["flat step"] == 7 and updates["write back"] == 7
    near = functools.partial(close, rel=ADAM_TOLERANCE)
    for got, want in zip(seen["numpy"], seen[False], strict=True):
        if isinstance(got, float):
            assert near(got, want)
            continue
        assert all(near(a, b) for a, b in zip(got[0] + got[1], want[0] + want[1]))
        assert got[2]["step"] == want[2]["step"]
        for name in ("m", "v"):
            assert all(map(near, got[2]["buffers"][name], want[2]["buffers"][name]))


def test_a_callback_that_changes_the_weights_is_seen_by_the_next_step() -> None:
    def shrink(params: list[Value]) -> Callable[[Any], None]:
        def callback(history: Any) -> None:
            for p in params:
                p.data *= 0.5

        return callback

    def run(mode: object) -> tuple[Any, ...]:
        params: list[Value] = []

        def make(ps: list[Value]) -> Optimizer:
            params.extend(ps)
            return nn.SGD(ps, lr=0.1, momentum=0.9)

        return train(mode, make, callbacks=[shrink(params)])

    assert_close_runs(run("numpy"), run(False))


def test_validation_reads_the_weights_written_back(updates: dict[str, int]) -> None:
    X, y = make_moons(20, noise=0.1, seed=5)
    reference = train(False, OPTIMIZERS["GD"], val=(X, y))
    updates.update({"flat step": 0, "write back": 0})
    flat = train("numpy", OPTIMIZERS["GD"], val=(X, y))
    assert_close_runs(flat, reference)  # val_loss and val_accuracy included
    # fit validates after every step: the arrays are written back before each
    assert (updates["flat step"], updates["write back"]) == (7, 7)


def test_early_stopping_and_a_built_in_schedule_write_back_only_at_the_end(
    updates: dict[str, int],
) -> None:
    kwargs = {
        "callbacks": [EarlyStopping("accuracy", patience=2, mode="max")],
        "schedule": StepDecay(0.5, every=3),
    }
    reference = train(False, OPTIMIZERS["GD"], steps=30, **kwargs)
    updates.update({"flat step": 0, "write back": 0})
    flat = train("numpy", OPTIMIZERS["GD"], steps=30, **kwargs)
    assert_close_runs(flat, reference)
    steps = len(flat[0])
    assert flat[0].stopped is not None and steps < 30
    assert (updates["flat step"], updates["write back"]) == (steps - 1, 1)


def test_an_exception_mid_run_leaves_the_values_and_the_state_written_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reference = train(False, OPTIMIZERS["Adam, weight decay"], steps=6)
    calls = []

    def update(self: object, record: object) -> None:
        calls.append(record)
        if len(calls) == 6:
            raise Stop

    monkeypatch.setattr(nn.train._ProgressBar, "update", update)
    params: list[Value] = []
    optimizer: list[Optimizer] = []

    def make(ps: list[Value]) -> Optimizer:
        params.extend(ps)
        optimizer.append(OPTIMIZERS["Adam, weight decay"](ps))
        return optimizer[0]

    with pytest.raises(Stop):
        train("numpy", make, steps=20)
    _, want, want_optimizer = reference
    near = functools.partial(close, rel=ADAM_TOLERANCE)
    assert all(near(a.data, b.data) for a, b in zip(params, want, strict=True))
    assert all(near(a.grad, b.grad) for a, b in zip(params, want, strict=True))  # type: ignore[arg-type]
    state, want_state = optimizer[0].state_dict(), want_optimizer.state_dict()
    assert state["step"] == want_state["step"] == 6
    for name in ("m", "v"):
        assert all(map(near, state["buffers"][name], want_state["buffers"][name]))


def test_an_optimizer_of_some_parameters_runs_the_usual_way(updates: dict[str, int]) -> None:
    def some(ps: list[Value]) -> Optimizer:
        return nn.SGD(ps[: len(ps) // 2], lr=0.1, momentum=0.9)

    reference = train(False, some)
    flat = train("numpy", some)
    assert updates["flat step"] == 0  # the others' gradients pile up in .grad, as the engine's
    (h1, p1, _), (h2, p2, _) = flat, reference
    assert all(map(close, h1["loss"], h2["loss"]))
    assert all(close(a.data, b.data) and close(a.grad, b.grad) for a, b in zip(p1, p2))


def test_run_flat_reads_the_array_and_writes_nothing() -> None:
    random.seed(2)
    model = MLP(2, [3, 1])
    params = model.parameters()
    f = compile_mean(lambda xs, t: (t - model(xs)) ** 2, mode="numpy")
    X, y = [[0.5, -1.0], [2.0, 0.25], [-1.5, 1.0]], [1.0, -1.0, 0.5]
    assert f.flat_batch(X, y) is None  # nothing traced yet
    f(X, y)
    batch = f.flat_batch(X, y)
    assert batch is not None
    order = params[::-1]  # any order of the parameters
    pv = np.array([p.data + 0.125 for p in order])
    for p in params:
        p.grad = 7.0
    result = f.run_flat(batch, pv, order)
    assert result is not None
    assert all(p.grad == 7.0 for p in params)  # nothing written
    loss, g, _ = result
    for p, v in zip(order, pv.tolist()):
        p.data, p.grad = v, 0.0
    want, _ = f(X, y)
    assert close(loss, want)
    assert all(close(a, p.grad) for a, p in zip(g.tolist(), order))  # type: ignore[arg-type]
    assert f.run_flat(batch, pv, order[1:]) is None  # a parameter it reads is missing


def test_a_new_kind_of_example_mid_run_is_traced_and_the_arrays_go_on(
    updates: dict[str, int],
) -> None:
    # batches of 1: the first examples are of one class, a later one of the other (a new
    # program, generated again): that step runs the usual way, the next ones on the arrays
    reference = train(False, OPTIMIZERS["SGD Nesterov"], steps=12, batch_size=1)
    updates.update({"flat step": 0, "write back": 0})
    flat = train("numpy", OPTIMIZERS["SGD Nesterov"], steps=12, batch_size=1)
    assert_close_runs(flat, reference)
    # the first step and a later one ran the usual way (written back before it, and at the end)
    assert 0 < updates["flat step"] < 11 and updates["write back"] >= 2


def test_a_callback_that_says_it_reads_no_weights_leaves_them_in_the_arrays(
    updates: dict[str, int],
) -> None:
    seen: list[int] = []

    class Count:
        reads_model = False  # it reads the history only

        def __call__(self, history: Any) -> None:
            seen.append(len(history))

    reference = train(False, OPTIMIZERS["GD"], callbacks=[Count()])
    updates.update({"flat step": 0, "write back": 0})
    flat = train("numpy", OPTIMIZERS["GD"], callbacks=[Count()])
    assert_close_runs(flat, reference)
    assert seen == [*range(1, 9)] * 2  # called after every step, in both runs
    assert (updates["flat step"], updates["write back"]) == (7, 1)  # at the end only
