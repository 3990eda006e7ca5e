"""The reference workload, micrograd's demo, in every form the benchmark compares.

Two moons (100 points, noise 0.1), an MLP 2-16-16-1 (ReLU, linear output, 337 parameters),
hinge loss + 1e-4 L2, full-batch gradient descent with lr = 1.0 - 0.9 k/100. Each ``*_steps``
function trains a freshly initialised model (micrograd's weights: ``random.seed(1337)``) for
``steps`` steps and returns the loss at every step, so all forms can be checked against each
other before their times are compared.

* :func:`floor_steps`: the same forward and backward written by hand on plain floats, with no
  graph at all: the floor for any pure-Python engine.
* :func:`user_loop_steps`: the demo notebook's own loop (:func:`demo_loop`) with the imports
  swapped to this library, plus one documented line (``with gc_paused():``, from
  ``autograd.extend``); fused neurons by default, micrograd's elementwise graph with
  ``fused=False``.
* :func:`trainer_steps`: the library's own trainer, :func:`nn.fit`.
* :func:`micrograd_steps`: micrograd 0.1.0 itself, when installed.
* :func:`tight_floor_steps`: the floor again, written as tight as plain Python goes (``sum``
  and ``map`` over the weights instead of index loops): the same arithmetic, fewer bytecodes.
* :func:`compiled_steps`: the trainer with ``compile="python"`` or ``"numpy"`` (tracing
  and code generation included in its time).
* :func:`torch_steps`: PyTorch batched tensors, float64, one thread, when installed.
* :func:`jax_steps`: the same batched arithmetic in JAX, float64, the whole training step
  (forward, gradient, update) one ``jax.jit`` program on the CPU, when JAX is installed.

Every function takes the hidden width and the number of points (``sizes``, ``n``) for the
scaling table; the defaults are the reference workload.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import random
import time
from collections.abc import Callable
from typing import Any

import autograd
import nn
from autograd.extend import gc_paused
from nn.schedules import LinearDecay
from nn.train import Callback

ALPHA = 1e-4
SEED = 1337
SIZES = [16, 16, 1]


def data(n: int = 100) -> tuple[list[list[float]], list[int]]:
    """The demo's points and labels in -1/+1, as the notebook's ``y = y*2 - 1``."""
    X, y = nn.make_moons(n, noise=0.1, seed=SEED)
    return X, [2 * t - 1 for t in y]


def sizes_of(hidden: int) -> list[int]:
    """MLP 2-H-H-1."""
    return [hidden, hidden, 1]


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100


def demo_loop(value: type, mlp: type, steps: int, *, pause_gc: bool = False) -> list[float]:
    """micrograd's demo notebook loop, with the library's ``Value`` and ``MLP`` classes.

    ``pause_gc`` adds the one line this library documents for speed: each step runs inside
    ``with gc_paused():`` (from ``autograd.extend``).
    """
    X, y = data()
    random.seed(SEED)
    model = mlp(2, SIZES)
    losses = []
    for k in range(steps):
        with gc_paused() if pause_gc else contextlib.nullcontext():
            inputs = [list(map(value, xrow)) for xrow in X]
            scores = list(map(model, inputs))
            losses_k = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
            data_loss = sum(losses_k) * (1.0 / len(losses_k))
            reg_loss = ALPHA * sum(p * p for p in model.parameters())
            total_loss = data_loss + reg_loss
            model.zero_grad()
            total_loss.backward()
            for p in model.parameters():
                p.data -= learning_rate(k) * p.grad
        losses.append(total_loss.data)
    return losses


def user_loop_steps(steps: int, *, fused: bool = True, pause_gc: bool = True) -> list[float]:
    """The demo loop with the imports swapped (``from autograd import Value``, ``from nn
    import MLP``) and, unless ``pause_gc=False``, the ``gc_paused`` line."""
    return demo_loop(
        autograd.Value, functools.partial(nn.MLP, fused=fused), steps, pause_gc=pause_gc
    )


def trainer_steps(
    steps: int,
    sizes: list[int] = SIZES,
    n: int = 100,
    compile: bool | str = False,
    callbacks: list[Callback] | None = None,
) -> list[float]:
    """The library's trainer: ``nn.fit`` with GD and micrograd's schedule (fused neurons)."""
    X, y = data(n)
    random.seed(SEED)
    model = nn.MLP(2, sizes)
    history = nn.fit(
        model,
        X,
        [(t + 1) // 2 for t in y],
        loss="hinge",
        alpha=ALPHA,
        steps=steps,
        optimizer=nn.GD(model.parameters(), lr=1.0),
        schedule=LinearDecay(1.0, 0.9, 100),
        progress=False,
        compile=compile,
        callbacks=callbacks or (),
    )
    return history["loss"]


def compiled_steps(
    steps: int, mode: str = "python", sizes: list[int] = SIZES, n: int = 100
) -> list[float]:
    """The trainer with ``compile=mode``: traced at the first step, replayed after."""
    return trainer_steps(steps, sizes, n, compile=mode)


def micrograd_steps(steps: int) -> list[float]:
    """micrograd 0.1.0 running its own demo loop."""
    from micrograd.engine import Value
    from micrograd.nn import MLP

    return demo_loop(Value, MLP, steps)


def initial_layers(sizes: list[int]) -> list[list[tuple[list[float], float]]]:
    """micrograd's initial weights as ``[(weights, bias) per neuron]`` per layer."""
    random.seed(SEED)
    model = nn.MLP(2, sizes)  # only to draw micrograd's initial weights
    return [
        [([w.data for w in neuron.w], neuron.b.data) for neuron in layer.neurons]
        for layer in model.layers
    ]


def floor_steps(steps: int, sizes: list[int] = SIZES, n: int = 100) -> list[float]:
    """The demo by hand on floats: forward, backward and update with no graph.

    Layers are ``[(weights, bias) per neuron]`` with the weights micrograd draws; sums run
    in micrograd's order (``b + w0*x0 + w1*x1 + ...``), so the losses match the engine's. It
    does the engine's work and no less: no shortcut for samples whose gradient is zero.
    """
    X, y = data(n)
    layers = initial_layers(sizes)
    last = len(layers) - 1
    losses = []
    for k in range(steps):
        grads = [[([0.0] * len(w), [0.0]) for w, _ in layer] for layer in layers]
        data_loss = 0.0
        # The per-sample loops below use plain zip: zip(..., strict=True) costs ~0.5 us more
        # per call (keyword parsing), ~3,800 calls a step, ~2 ms on a ~6 ms floor. Their
        # lengths are equal by construction (a layer's weights and its input).
        for x, target in zip(X, y, strict=True):
            # forward, keeping each layer's input and pre-activation
            inputs, pre = [], []
            h = x
            for i, layer in enumerate(layers):
                a = []
                for w, b in layer:
                    s = b
                    for wj, hj in zip(w, h):  # plain zip: see the note above the loop
                        s += wj * hj
                    a.append(s)
                inputs.append(h)
                pre.append(a)
                h = a if i == last else [0.0 if v < 0 else v for v in a]
            margin = 1.0 - target * h[0]
            data_loss += 0.0 if margin < 0 else margin
            # backward: delta = dL/d(pre-activation), from the last layer to the first. Like
            # the engine, it runs for every sample, also when relu'(margin) = 0 makes it all 0.
            delta = [-target / n if margin > 0 else 0.0]
            for i in range(last, -1, -1):
                h_in, d_in = inputs[i], [0.0] * len(inputs[i])
                for (w, _), (gw, gb), d in zip(layers[i], grads[i], delta):
                    gb[0] += d
                    for j, hj in enumerate(h_in):
                        gw[j] += d * hj
                        d_in[j] += d * w[j]
                if i:
                    delta = [dj if a > 0 else 0.0 for dj, a in zip(d_in, pre[i - 1])]
        reg = 0.0
        for layer in layers:
            for w, b in layer:
                for wj in w:
                    reg += wj * wj
                reg += b * b
        losses.append(data_loss * (1.0 / n) + ALPHA * reg)
        lr = learning_rate(k)
        for layer, layer_grads in zip(layers, grads, strict=True):
            for j, ((w, b), (gw, gb)) in enumerate(zip(layer, layer_grads, strict=True)):
                new_w = [wj - lr * (g + 2 * ALPHA * wj) for wj, g in zip(w, gw, strict=True)]
                layer[j] = (new_w, b - lr * (gb[0] + 2 * ALPHA * b))
    return losses


def tight_floor_steps(steps: int, sizes: list[int] = SIZES, n: int = 100) -> list[float]:
    """:func:`floor_steps` as tight as plain Python goes: every inner loop runs in C.

    Forward, ``sum(map(mul, w, h), b)`` adds ``b + w0*h0 + w1*h1 + ...`` in micrograd's
    order. Backward, each sample's delta goes back through ``sum(map(mul, delta, column))``
    and each weight's gradient is one ``sum(map(mul, deltas_j, inputs_k))`` over the
    samples (in their order, as the engine adds them). The same work, no shortcut for zero
    gradients; fewer bytecodes.
    """
    X, y = data(n)
    layers = initial_layers(sizes)
    mul = operator.mul
    last = len(layers) - 1
    losses = []
    for k in range(steps):
        columns = [list(zip(*(w for w, _ in layer))) for layer in layers]  # W transposed
        ins: list[list[list[float]]] = [[] for _ in layers]  # per layer: each sample's input
        deltas: list[list[list[float]]] = [[] for _ in layers]  # and its delta
        data_loss = 0.0
        for x, target in zip(X, y):
            pre = []
            h = x
            for i, layer in enumerate(layers):
                ins[i].append(h)
                a = [sum(map(mul, w, h), b) for w, b in layer]
                pre.append(a)
                h = a if i == last else [0.0 if v < 0 else v for v in a]
            margin = 1.0 - target * h[0]
            data_loss += 0.0 if margin < 0 else margin
            delta = [-target / n if margin > 0 else 0.0]
            for i in range(last, -1, -1):
                deltas[i].append(delta)
                if i:
                    delta = [
                        sum(map(mul, delta, column)) if a > 0 else 0.0
                        for column, a in zip(columns[i], pre[i - 1])
                    ]
        reg = sum(sum(map(mul, w, w), b * b) for layer in layers for w, b in layer)
        losses.append(data_loss * (1.0 / n) + ALPHA * reg)
        lr = learning_rate(k)
        for i, layer in enumerate(layers):
            d_by_neuron = list(zip(*deltas[i]))
            h_by_input = list(zip(*ins[i]))
            for j, (w, b) in enumerate(layer):
                dj = d_by_neuron[j]
                gw = [sum(map(mul, dj, hk)) for hk in h_by_input]
                new_w = [wj - lr * (g + 2 * ALPHA * wj) for wj, g in zip(w, gw)]
                layer[j] = (new_w, b - lr * (sum(dj) + 2 * ALPHA * b))
    return losses


def has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_steps(steps: int, sizes: list[int] = SIZES, n: int = 100) -> list[float]:
    """PyTorch batched: the same model, weights, loss and updates as (n x 2) @ W.T tensors,
    float64, one thread (``torch.set_num_threads(1)``)."""
    import torch

    torch.set_num_threads(1)
    X, y = data(n)
    Xt = torch.tensor(X, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.float64)
    params = []
    for layer in initial_layers(sizes):
        params.append(torch.tensor([w for w, _ in layer], dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor([b for _, b in layer], dtype=torch.float64, requires_grad=True))
    losses = []
    for k in range(steps):
        h = Xt
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        loss = torch.relu(1.0 - yt * h[:, 0]).mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        lr = learning_rate(k)
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        losses.append(loss.item())
    return losses


#: Printed by the benchmark when JAX cannot be imported and its rows are left out.
JAX_MISSING = "JAX not installed: pip install jax to add its row"
#: XLA's CPU flag for single-threaded Eigen kernels, added to ``XLA_FLAGS`` before JAX starts.
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"


def has_jax() -> bool:
    try:
        import jax  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def jax_step() -> Any:
    """The jitted training step ``step(params, X, y, lr) -> (new params, loss)``: forward,
    ``jax.value_and_grad`` and the SGD update in one XLA program, float64.

    Built once per process, so JAX's cache shares its compiled programs across runs of the
    same shapes (one per ``sizes`` and ``n``): the first call at a shape pays tracing and
    compilation, the next ones replay. Before JAX's CPU backend starts, ``XLA_FLAGS`` gets
    :data:`XLA_ONE_THREAD` (one thread, as for PyTorch and NumPy; had another import started
    the backend already, the flag comes too late and is ignored). XLA runs each step on a
    worker thread while Python waits: at the scaling table's largest size, with the flag or
    without, all threads' CPU time stayed under the wall time (one core). ``jax_enable_x64``
    is switched on for the whole process.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_ONE_THREAD}".strip()
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def loss_of(params: tuple[Any, ...], X: Any, y: Any) -> Any:
        h = X
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i + 2 < len(params):
                h = jax.nn.relu(h)  # derivative 0 at 0, as the engine's relu
        data_loss = jax.nn.relu(1.0 - y * h[:, 0]).mean()
        return data_loss + ALPHA * sum(jnp.sum(p * p) for p in params)

    def step(params: tuple[Any, ...], X: Any, y: Any, lr: Any) -> tuple[tuple[Any, ...], Any]:
        loss, grads = jax.value_and_grad(loss_of)(params, X, y)
        return tuple(p - lr * g for p, g in zip(params, grads, strict=True)), loss

    return jax.jit(step)


def jax_params(sizes: list[int]) -> tuple[Any, ...]:
    """micrograd's initial weights as JAX float64 arrays ``(W1, b1, W2, b2, ...)``."""
    jax_step()  # float64 on (and the thread flag) before the first array is made
    params = []
    for layer in initial_layers(sizes):
        params.append(jax_array([w for w, _ in layer]))
        params.append(jax_array([b for _, b in layer]))
    return tuple(params)


def jax_array(values: list[Any]) -> Any:
    """A float64 JAX array of nested lists of floats, through NumPy (a JAX dependency): from
    a list, ``jnp.asarray`` checks every element and took 1.5 ms for the 1000 x 2 points."""
    import jax.numpy as jnp
    import numpy as np

    return jnp.asarray(np.asarray(values, dtype=np.float64))


def jax_steps(steps: int, sizes: list[int] = SIZES, n: int = 100) -> list[float]:
    """JAX jit: :func:`torch_steps`'s arithmetic as one jitted step (:func:`jax_step`), float64,
    one XLA thread; each step's loss is read back as a float, as ``loss.item()`` there."""
    step = jax_step()
    params = jax_params(sizes)
    X, y = data(n)
    Xj, yj = jax_array(X), jax_array(y)
    losses = []
    for k in range(steps):
        params, loss = step(params, Xj, yj, learning_rate(k))
        losses.append(float(loss))
    return losses


def jax_compile_seconds(sizes: list[int] = SIZES, n: int = 100) -> float:
    """Seconds to trace, lower and compile :func:`jax_step` for these shapes afresh: JAX's
    caches cleared first (``jax.clear_caches()``), then ``lower(...).compile()`` alone."""
    import jax

    step = jax_step()
    X, y = data(n)
    args = (jax_params(sizes), jax_array(X), jax_array(y), 1.0)
    jax.clear_caches()
    start = time.perf_counter()
    step.lower(*args).compile()
    return time.perf_counter() - start


def jax_first_step_seconds(sizes: list[int] = SIZES, n: int = 100) -> float:
    """Seconds of a one-step :func:`jax_steps` run with JAX's caches cleared first: tracing,
    XLA compilation and one step (the scaling table's first-step column)."""
    import jax

    jax_step()
    jax.clear_caches()
    start = time.perf_counter()
    jax_steps(1, sizes, n)
    return time.perf_counter() - start


def build_workloads() -> dict[str, Callable[[int], list[float]]]:
    """Every form of the reference workload by its row's name; PyTorch's and JAX's rows only
    when their library imports (the benchmark prints a note for each left out)."""
    workloads: dict[str, Callable[[int], list[float]]] = {
        "floor: hand-written floats, no graph": floor_steps,
        "valuegrad trainer (nn.fit), fused neurons": trainer_steps,
        "demo loop, fused neurons": user_loop_steps,
        "demo loop, elementwise graph": lambda steps: user_loop_steps(steps, fused=False),
        "demo loop, fused, without gc_paused": lambda steps: user_loop_steps(steps, pause_gc=False),
        "demo loop, elementwise, without gc_paused": lambda steps: user_loop_steps(
            steps, fused=False, pause_gc=False
        ),
        "micrograd 0.1.0, demo loop": micrograd_steps,
        "floor, tight: sum/map over floats": tight_floor_steps,
        "trainer, compile='python' (tracing included)": compiled_steps,
        "trainer, compile='numpy' (tracing included)": lambda steps: compiled_steps(steps, "numpy"),
    }
    if has_torch():
        workloads["PyTorch batched, f64, 1 thread"] = torch_steps
    if has_jax():
        workloads["JAX jit, f64, 1 thread"] = jax_steps
    return workloads


WORKLOADS = build_workloads()
