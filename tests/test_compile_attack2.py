"""Third adversarial review of autograd.jit: each test is a program on which compile or
compile_mean gave another answer than the engine (a silent wrong answer), left state behind
after a failed call, or failed with an unclear error. Each states the correct behaviour: the
engine's result (``loss = fn(); loss.backward()``, or for ``compile_mean``
``(autograd.sum(terms) * (1 / n) + extra()).backward()``), or a clear TypeError/ValueError
naming compile raised before any ``.grad`` is written (where the docs say compile refuses).
"""

from __future__ import annotations

import pickle
import random
from collections.abc import Callable, Sequence

import pytest

import autograd
from autograd import Value, compile, compile_mean, custom_op
from nn import MLP
from nn.train import TrainingDiverged, fit


def bits(x: object) -> str:
    return float(x).hex()  # type: ignore[arg-type]


def clear_refusal(error: BaseException) -> bool:
    """A TypeError/ValueError whose message names compile (the contract's other answer)."""
    return isinstance(error, (TypeError, ValueError)) and "compile" in str(error)


def engine_mean(
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


def double_rule(x: Value) -> Value:
    return Value(2.0)


#: an operation outside autograd.ops: compile refuses a graph that holds one
double = custom_op("double", lambda x: x * 2.0, double_rule)


# -- a compiled function called inside a compiled function ---------------------------------


def test_a_compiled_function_called_inside_fn_is_replayed_or_refused() -> None:
    """``inner()`` adds d(u*u)/du into u.grad on every call (and its result is a float the
    outer graph uses as a constant). Once ``inner`` is traced, ``compile(outer)`` sees no
    backward pass inside (a replay calls no engine code) and writes a program that never
    calls ``inner``: u.grad is not added again, and u's new value never reaches the loss."""

    def make() -> tuple[Value, Value, Callable[[], Value]]:
        u, v = Value(0.5), Value(2.0)
        inner = compile(lambda: u * u)
        inner()  # traced before the outer function is
        u.grad = 0.0

        def outer() -> Value:
            return v * inner()

        return u, v, outer

    u, v, outer = make()
    u2, v2, reference = make()
    f = compile(outer)
    for data in (0.5, 0.5, 0.75):
        u.data = u2.data = data
        loss = reference()
        loss.backward()
        before = (u.grad, v.grad)
        try:
            got = f()
        except Exception as error:
            assert clear_refusal(error), error
            assert (u.grad, v.grad) == before  # compiled, untraced inner: u.grad written
            return
        # third call: engine loss 1.125, u.grad 3.0; compiled loss 0.5, u.grad 1.0
        assert [bits(got), bits(u.grad), bits(v.grad)] == [
            bits(loss.data),
            bits(u2.grad),
            bits(v2.grad),
        ]


def test_a_compiled_function_called_inside_compile_means_example_is_replayed() -> None:
    u, s = Value(0.5), Value(3.0)
    inner = compile(lambda: u * u)
    inner()
    f = compile_mean(lambda xs: xs[0] * s * inner(), mode="python")
    rows = [[1.0], [2.0]]
    u.grad = s.grad = 0.0
    # the engine calls inner() once per example (u.grad 2.0); the replay never did (0.0):
    # a compiled call inside a traced function is refused, before anything is written
    with pytest.raises(TypeError, match=r"compile: the function ran a compiled function"):
        f(rows)
    assert (u.grad, s.grad) == (0.0, 0.0)


# -- compile_mean: a guard that flips into a branch compile refuses --------------------------


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_a_guard_flip_into_a_custom_op_raises_before_writing_any_gradient(mode: str) -> None:
    """The flipped example runs on the engine (which writes w.grad), then is traced again;
    the trace refuses the custom op, raising after the gradients were written. Every call
    of that batch then raises again and adds its gradients again."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    w = Value(1.0)

    def example(xs: list[Value]) -> Value:
        h = xs[0] * w
        if h > 0:
            return h * h
        return double(h)

    f = compile_mean(example, mode=mode)
    f([[1.0], [2.0]])
    w.grad = 0.0
    try:
        f([[1.0], [-2.0]])
    except Exception as error:
        assert clear_refusal(error), error
        assert w.grad == 0.0  # compiled: -1.0, the engine's gradient of the refused call
    else:
        want = w.grad
        w.grad = 0.0
        engine_mean(example, [[1.0], [-2.0]])
        assert bits(want) == bits(w.grad)


def test_a_guard_flip_in_extra_into_a_refused_branch_raises_before_writing() -> None:
    w = Value(1.0)

    def extra() -> Value:
        if w > 0:
            return w * w
        return double(w)

    f = compile_mean(lambda xs: xs[0] * w, extra=extra, mode="python")
    f([[1.0]])
    w.data, w.grad = -1.0, 0.0
    with pytest.raises(TypeError, match="compile"):
        f([[1.0]])
    assert w.grad == 0.0  # compiled: 3.0 written by the engine before the refusal


def test_a_guard_flip_into_a_no_grad_value_raises_before_writing() -> None:
    v = Value(2.0)

    def example(xs: list[Value]) -> Value:
        h = xs[0] * v
        if h > 0:
            return h * h
        with autograd.no_grad():
            k = v * 3.0
        return h * k

    f = compile_mean(example, mode="python")
    f([[1.0]])
    v.grad = 0.0
    with pytest.raises(TypeError, match="compile"):
        f([[-1.0]])
    assert v.grad == 0.0  # compiled: -6.0


# -- compile_mean in python mode: the engine's order of addition -----------------------------


def test_extra_that_returns_a_parameter_adds_its_gradient_in_the_engines_order() -> None:
    """The engine's backward reaches a leaf that is a direct operand of the last ``+`` at
    its first step, before the examples' gradients; the program adds it after them."""
    w = Value(0.1)
    rows = [[0.7], [0.3], [0.2]]
    f = compile_mean(lambda xs: w * xs[0], extra=lambda: w, mode="python")
    got = f(rows)[0]
    got_grad = w.grad
    w.grad = 0.0
    want = engine_mean(lambda xs: w * xs[0], rows, extra=lambda: w)
    # engine w.grad 1.4000000000000001, compiled 1.4
    assert [bits(got), bits(got_grad)] == [bits(want), bits(w.grad)]


def test_a_batch_mixing_leaf_losses_and_node_losses_adds_in_the_engines_order() -> None:
    """autograd.sum adds into a leaf term at its own step, before any term's graph; the
    looped program adds each example's gradient in the batch's order."""
    w = Value(0.1)

    def example(xs: list[Value], kind: str) -> Value:
        return w if kind == "leaf" else w * xs[0]

    rows, statics = [[0.22], [0.83], [0.93]], ["mul", "mul", "leaf"]
    f = compile_mean(example, mode="python")
    got = f(rows, statics)[0]
    got_grad = w.grad
    w.grad = 0.0
    want = engine_mean(example, rows, statics)
    # engine w.grad 0.6833333333333332, compiled 0.6833333333333333
    assert [bits(got), bits(got_grad)] == [bits(want), bits(w.grad)]


# -- static values told apart by repr --------------------------------------------------------


class Config:
    """A static value with object's repr (its address): a mutable setting of the loss."""

    def __init__(self, scale: float) -> None:
        self.scale = scale


def test_a_static_object_changed_between_calls_is_not_replayed_with_its_old_graph() -> None:
    w = Value(1.0)

    def example(xs: list[Value], config: Config) -> Value:
        return xs[0] * w * config.scale

    config = Config(2.0)
    f = compile_mean(example, mode="python")
    # it replayed the program traced with 2.0 after config.scale = 3.0 (compiled 2.0, engine
    # 3.0); a static value hashed by identity is refused: a change to it would go unseen
    with pytest.raises(TypeError, match=r"compile_mean: static values must be compared by value"):
        f([[1.0]], [config])
    assert w.grad == 0.0


def test_numpy_arrays_as_static_values_whose_reprs_are_summarized_get_their_own_program() -> None:
    np = pytest.importorskip("numpy")
    w = Value(1.0)

    def example(xs: list[Value], mask: object) -> Value:
        return xs[0] * w * float(mask.sum())  # type: ignore[attr-defined]

    a, b = np.zeros(3000), np.zeros(3000)
    b[1500] = 1.0  # repr(a) == repr(b): numpy prints '...' in the middle
    f = compile_mean(example, mode="python")
    # they shared a program (compiled 0.0, engine 1.0); an array is no key: refused
    for mask in (a, b):
        with pytest.raises(TypeError, match=r"compile_mean: static values must be hashable"):
            f([[1.0]], [mask])
    assert w.grad == 0.0


class NoRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def test_a_static_value_whose_repr_raises_gets_the_engines_answer_or_a_clear_error() -> None:
    w = Value(1.0)
    f = compile_mean(lambda xs, s: xs[0] * w, mode="python")
    try:
        got = f([[2.0]], [NoRepr()])[0]
    except Exception as error:  # compiled: RuntimeError('no repr') from the kind's key
        assert clear_refusal(error), repr(error)
        assert w.grad == 0.0
    else:
        assert (got, w.grad) == (2.0, 2.0)


# -- a node made while tracing and kept by fn for the next calls ------------------------------


def test_a_node_fn_caches_on_its_first_call_is_refused_or_replayed_as_the_engine() -> None:
    """On the second call the cached node was computed before fn was called: the engine
    reuses its old value, the replay recomputes it (compile refuses such a node when it
    was made before the first call, not when it was made during the trace)."""

    def make() -> tuple[Value, Callable[[], Value]]:
        w = Value(0.5)
        cache: list[Value] = []

        def fn() -> Value:
            if not cache:
                cache.append(w * w)
            return cache[0] * 2.0

        return w, fn

    w, fn = make()
    f = compile(fn)
    # the replay recomputed the cached node (loss 1.62 where the engine reused 0.5): a node
    # the function keeps is refused at its first call, every .grad as it was
    with pytest.raises(TypeError, match=r"compile: the function keeps Value"):
        f()
    assert w.grad == 0.0


# -- a refused call leaves what fn's own backward pass wrote --------------------------------


def test_a_refused_backward_pass_inside_fn_leaves_no_gradient_written() -> None:
    w, v = Value(0.5), Value(2.0)

    def fn() -> Value:
        inner = w * w
        inner.backward()  # refused by compile: a backward pass in floats inside fn
        return v * 3.0

    with pytest.raises(TypeError, match="compile"):
        compile(fn)()
    assert (w.grad, v.grad) == (0.0, 0.0)  # compiled: w.grad 1.0 left by the refused call


# -- nn.fit(compile=...) against compile=False ------------------------------------------------


def test_fit_compiled_leaves_the_engines_gradients_when_training_diverges() -> None:
    rng = random.Random(1)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(13)]
    y = [int(a * b > 0) for a, b in X]
    grads = []
    for mode in (False, "python"):
        model = MLP(2, [4, 1], rng=random.Random(0))
        with pytest.raises(TrainingDiverged):
            fit(model, X, y, loss="mse", lr=1e3, steps=50, progress=False, compile=mode)
        grads.append([bits(p.grad) for p in model.parameters()])
    # the engine checks the loss before zero_grad and backward (the last finite step's
    # gradients stay); the compiled objective has already zeroed and written the new ones
    assert grads[0] == grads[1]


# -- pickling ---------------------------------------------------------------------------------

W_PICKLE = Value(0.5)


def square() -> Value:
    return W_PICKLE * W_PICKLE


def test_a_traced_compiled_function_pickles_like_an_untraced_one_or_refuses_clearly() -> None:
    f = compile(square)
    pickle.loads(pickle.dumps(f))  # untraced: it pickles
    f()
    try:
        g = pickle.loads(pickle.dumps(f))
    except Exception as error:  # compiled: PicklingError about a function 'step'
        assert clear_refusal(error), repr(error)
    else:
        W_PICKLE.grad = 0.0
        assert g() == 0.25 and W_PICKLE.grad == 1.0
