"""autograd.compile and compile_mean: the engine's results, bit for bit, from generated code.

The reference is always the interpreted engine itself (``loss = fn(); loss.backward()``) on
separate, identical leaves; floats are compared by their bits (``float.hex``).
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings

import autograd
from autograd import CompileMismatch, DomainError, Value, compile, compile_mean, detect_anomaly
from autograd.extend import OPS
from nn import GD, MLP, fit, make_moons
from nn.cli import main
from nn.losses import classification_loss, l2
from nn.schedules import LinearDecay
from tests.oracles import ROWS
from tests.programs import BINARY, FUSED, UNARY, VALUE, Program, programs


def bits(x: float) -> str:
    return float(x).hex()


def engine(fn: Callable[[list[Value]], Value], data: list[float]) -> tuple[str, list[str]]:
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


# -- every registered op, and random programs -------------------------------------------------


def one_op_programs() -> list[tuple[str, Program]]:
    """A program per entry of tests/programs.py (so per row of autograd.ops, via the table)."""
    cases = [(f"unary {n}", Program((0.7,), (("unary", n, 0),))) for n in UNARY]
    cases += [(f"binary {n}", Program((0.7, -1.3), (("binary", n, 0, 1),))) for n in BINARY]
    cases += [(f"fused {n}", Program((0.7, -1.3), (("fused", n, 0, 1, 0),))) for n in FUSED]
    return cases


def test_the_programs_cover_every_row_of_the_table() -> None:
    covered = {name.split()[1] for name, _ in one_op_programs()}
    assert {op.name for op in OPS} <= covered


@pytest.mark.parametrize(("name", "program"), one_op_programs(), ids=lambda x: str(x)[:20])
def test_every_op_compiles_to_the_engines_bits(name: str, program: Program) -> None:
    datas = [list(program.inputs), [v * -0.6 + 0.25 for v in program.inputs], [0.0] * 2]
    datas = [d[: len(program.inputs)] for d in datas]

    def fn(xs: list[Value]) -> Value:
        return program.run(VALUE, xs)

    assert compiled_run(fn, datas) == [engine(fn, d) for d in datas], name


@settings(max_examples=60, deadline=None)
@given(programs(), programs())
def test_random_programs_compile_to_the_engines_bits(program: Program, other: Program) -> None:
    # Replayed on new data (other's inputs, padded): still the engine's bits.
    n = len(program.inputs)
    moved = [*other.inputs, 0.5, -0.25, 1.5][:n]
    datas = [list(program.inputs), moved]

    def fn(xs: list[Value]) -> Value:
        return program.run(VALUE, xs)

    assert compiled_run(fn, datas) == [engine(fn, d) for d in datas]


# -- the reference workload -------------------------------------------------------------------


def demo_fit(compile_mode: object, steps: int = 5, **kwargs: object) -> tuple[object, list]:
    X, y = make_moons(100, noise=0.1, seed=1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    history = fit(
        model,
        X,
        y,
        loss=kwargs.pop("loss", "hinge"),  # type: ignore[arg-type]
        alpha=1e-4,
        steps=steps,
        optimizer=GD(model.parameters(), lr=1.0),
        schedule=LinearDecay(1.0, 0.9, 100),
        progress=False,
        compile=compile_mode,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize("loss", ["hinge", "bce", "mse"])
def test_fit_compiled_in_python_is_the_engine_bit_for_bit(loss: str) -> None:
    reference, weights = demo_fit(False, loss=loss)
    history, compiled_weights = demo_fit("python", loss=loss)
    assert history.records == reference.records  # type: ignore[attr-defined]
    assert list(map(bits, compiled_weights)) == list(map(bits, weights))


def test_fit_compiled_with_minibatches_of_every_size() -> None:
    # 100 examples in batches of 30: the last batch of each epoch has 10 (another n).
    reference, weights = demo_fit(False, steps=8, batch_size=30)
    history, compiled_weights = demo_fit("python", steps=8, batch_size=30)
    assert history.records == reference.records  # type: ignore[attr-defined]
    assert compiled_weights == weights


def test_fit_compiled_in_numpy_is_within_1e12() -> None:
    pytest.importorskip("numpy")
    reference, weights = demo_fit(False, steps=10)
    history, compiled_weights = demo_fit("numpy", steps=10)
    for a, b in zip(history["loss"], reference["loss"], strict=True):  # type: ignore[index]
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)
    assert history["accuracy"] == reference["accuracy"]  # type: ignore[index]
    for a, b in zip(compiled_weights, weights, strict=True):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def test_fit_refuses_what_it_cannot_compile() -> None:
    X, y = make_moons(10, noise=0.1, seed=1)
    with pytest.raises(ValueError, match="'cross_entropy' cannot be compiled"):
        fit(MLP(2, [2]), X, y, loss="cross_entropy", steps=1, progress=False, compile="python")
    with pytest.raises(ValueError, match="compile must be False, 'python' or 'numpy'"):
        demo_fit("fast")


# -- compile(fn): accumulation, source, guards, fallbacks ------------------------------------


def neuron() -> tuple[list[Value], Callable[[], Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.88, label="b")

    def fn() -> Value:
        n = x1 * w1 + x2 * w2 + b
        n.label = "n"
        o = n.tanh()
        o.label = "o"
        return o

    return [x1, x2, w1, w2, b], fn


def test_gradients_accumulate_like_backward() -> None:
    leaves, fn = neuron()
    f = compile(fn)
    for _ in range(3):
        f()
    compiled = [x.grad for x in leaves]
    leaves, fn = neuron()
    for _ in range(3):
        fn().backward()
    assert compiled == [x.grad for x in leaves]
    assert compiled[2] == 3 * compiled[2] / 3 != 0.0


def test_the_source_reads_like_the_chain_rule_and_runs() -> None:
    leaves, fn = neuron()
    f = compile(fn)
    assert f.source == ""
    loss = f()
    source = f.source
    assert "fwd_tanh(" in source and "# tanh 'o': math.tanh(" in source
    assert "# add 'n'" in source and "1.0 - v" in source and "gp1 += " in source
    # one line per op in the forward pass: 2 mul, 2 add, 1 tanh
    forward = source.split("# forward")[1].split("# backward")[0].strip().splitlines()
    assert len(forward) == 5
    # runnable: the text alone, with the rows' functions, gives the engine's numbers
    namespace = {"data": lambda p: p.data, "fwd_tanh": ROWS["tanh"].forward}
    namespace["vjp_tanh"] = ROWS["tanh"].rule
    exec(source, namespace)
    legend = dict(re.findall(r"p(\d+) = '(\w+)'", source))  # P, as the text's legend reads it
    by_name = {v.label: v for v in leaves}
    order = [by_name[legend[str(j)]] for j in range(len(leaves))]
    value, grads = namespace["step"](order)
    assert value == loss == math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.88)
    fresh, fn = neuron()
    fn().backward()
    by_label = {v.label: v.grad for v in fresh}
    assert list(grads) == [by_label[v.label] for v in order]


def test_a_branch_that_flips_mid_training_is_retraced_and_stays_exact() -> None:
    def train(compiled: bool) -> tuple[list[float], int]:
        w, v = Value(1.0), Value(0.5)

        def fn() -> Value:
            if w > 0.3:  # a Python branch on a comparison of Values
                return (w * w + v).tanh()
            return (v - w).relu() + w * 0.1

        f = compile(fn) if compiled else None
        losses = []
        for _ in range(12):
            w.grad = v.grad = 0.0
            if f is None:
                loss = fn()
                loss.backward()
                losses.append(loss.data)
            else:
                losses.append(f())
            w.data -= 0.3 * w.grad  # type: ignore[operator]
            v.data -= 0.3 * v.grad  # type: ignore[operator]
        return losses, 0 if f is None else f.retraces

    reference, _ = train(False)
    losses, retraces = train(True)
    assert list(map(bits, losses)) == list(map(bits, reference))
    assert retraces == 1  # w crossed 0.3 once


def test_check_mode_catches_a_graph_that_depends_on_data_it_reads() -> None:
    w = Value(1.0)
    samples = [1.0, 2.0]

    def fn() -> Value:
        return autograd.sum(w * s for s in samples)

    f = compile(fn, check=True)
    assert f() == 3.0 and f() == 3.0
    samples.append(3.0)  # a different number of samples: a precondition of compile(fn)
    with pytest.raises(CompileMismatch, match="no longer builds the graph"):
        f()


def test_anomaly_mode_and_interpret_mode_run_the_engine() -> None:
    calls = []
    w = Value(2.0)

    def fn() -> Value:
        calls.append(1)
        return w * w

    f = compile(fn)
    f()
    f()
    assert len(calls) == 1  # traced once, replayed once
    with detect_anomaly():
        assert f() == 4.0
    assert len(calls) == 2
    g = compile(fn, mode="interpret")
    g()
    g()
    assert len(calls) == 4


def test_a_domain_error_on_replay_is_the_engines_error() -> None:
    x = Value(2.0)
    f = compile(lambda: x.log())
    f()
    x.data = -1.0
    with pytest.raises(DomainError, match=r"log: operand must be > 0, got Value\(data=-1.0"):
        f()


def test_an_operation_outside_the_table_is_refused_by_name() -> None:
    cube = autograd.custom_op("cube", lambda x: x * x * x, lambda x: 3 * x * x)
    x = Value(2.0)
    with pytest.raises(TypeError, match=r"'cube'.*not an operation of autograd\.ops"):
        compile(lambda: cube(x))()
    with pytest.raises(ValueError, match="mode must be"):
        compile(lambda: x, mode="numpy")


# -- compile_mean: a per-example program ------------------------------------------------------


def mean_model(mode: str) -> tuple[list[float], list, list[Value]]:
    random.seed(7)
    model = MLP(2, [4, 3, 1], activation="tanh")
    params = model.parameters()
    X, y = make_moons(24, noise=0.2, seed=3)

    def example(xs: list[Value], label: int) -> tuple[Value, Value]:
        out = model(xs)
        return classification_loss("bce", [out], [label]), out  # type: ignore[list-item]

    f = compile_mean(example, extra=lambda: l2(params, 1e-3), mode=mode)  # type: ignore[arg-type]
    losses, auxes = [], []
    for step in range(4):
        batch = slice(0, 24 - 5 * step)  # a different number of examples every step
        for p in params:
            p.grad = 0.0
        loss, aux = f(X[batch], y[batch])
        losses.append(loss)
        auxes.append(aux)
        for p in params:
            p.data -= 0.5 * p.grad  # type: ignore[operator]
    return losses, auxes, params


def test_compile_mean_in_python_is_the_engine_bit_for_bit() -> None:
    reference = mean_model("interpret")
    compiled = mean_model("python")
    assert list(map(bits, compiled[0])) == list(map(bits, reference[0]))
    assert compiled[1] == reference[1]
    assert [p.data for p in compiled[2]] == [p.data for p in reference[2]]


def test_compile_mean_in_numpy_is_within_1e12() -> None:
    pytest.importorskip("numpy")
    reference = mean_model("interpret")
    compiled = mean_model("numpy")
    for a, b in zip(compiled[0], reference[0], strict=True):
        assert math.isclose(a, b, rel_tol=1e-12)
    for a, b in zip(compiled[2], reference[2], strict=True):
        assert math.isclose(a.data, b.data, rel_tol=1e-12, abs_tol=1e-15)
    for a_step, b_step in zip(compiled[1], reference[1], strict=True):
        for (a,), (b,) in zip(a_step, b_step, strict=True):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_compile_mean_guards_a_branch_per_example(mode: str) -> None:
    if mode == "numpy":
        pytest.importorskip("numpy")
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        (x,) = xs
        return w * x if x > 0 else (w * x).exp()

    def reference(data: list[float]) -> tuple[float, float]:
        w.grad = 0.0
        loss = autograd.sum(w * x if x > 0 else (w * x).exp() for x in map(Value, data))
        loss = loss * (1.0 / len(data))
        loss.backward()
        return loss.data, w.grad  # type: ignore[return-value]

    f = compile_mean(example, mode=mode)  # type: ignore[arg-type]
    for data in ([1.0, 2.0], [3.0, -1.0], [-2.0, -3.0]):
        expected = reference(data)
        w.grad = 0.0
        loss, _ = f([[v] for v in data])
        assert math.isclose(loss, expected[0], rel_tol=1e-12)
        assert math.isclose(w.grad, expected[1], rel_tol=1e-12)  # type: ignore[arg-type]
    assert f.fallbacks >= 1 and f.retraces >= 1


# -- the command line -------------------------------------------------------------------------


def test_cli_compile_python_writes_the_engines_history(tmp_path, capsys) -> None:
    pytest.importorskip("matplotlib")
    histories = {}
    for mode in ("none", "python", "numpy"):
        out = tmp_path / mode
        args = ["--out", str(out), "--steps", "6", "--no-progress", "--no-lab"]
        assert main([*args, "--compile", mode]) == 0
        histories[mode] = json.loads((out / "history.json").read_text())["records"]
    assert histories["python"] == histories["none"]
    for a, b in zip(histories["numpy"], histories["none"], strict=True):
        assert math.isclose(a["loss"], b["loss"], rel_tol=1e-12)
    with pytest.raises(SystemExit):
        main(
            ["--out", str(tmp_path), "--dataset", "blobs", "--classes", "3", "--compile", "python"]
        )
    assert "cross_entropy cannot be compiled" in capsys.readouterr().err


def test_long_sums_and_dots_keep_the_engines_order_and_bits() -> None:
    # 3,000 terms: written over many lines (one line would overflow Python's compiler)
    data = [math.sin(k) * 3.0 for k in range(3000)]

    def fn(xs: list[Value]) -> Value:
        squares = autograd.sum(x * x for x in xs)
        return squares + autograd.dot(xs[:1500], xs[1500:], xs[0]).tanh()

    moved = [v * 0.5 - 0.1 for v in data]
    assert compiled_run(fn, [data, moved]) == [engine(fn, data), engine(fn, moved)]


def test_labels_that_the_generated_code_uses_itself_do_not_clash() -> None:
    xs = [Value(v, label=name) for v, name in zip([0.5, -1.5, 2.0], ["B", "g_x", "seed"])]

    def fn(vs: list[Value]) -> Value:
        out = vs[0] * vs[1] + vs[2].sigmoid()
        out.label = "total"
        return out

    data = [x.data for x in xs]
    assert compiled_run(fn, [data]) == [engine(fn, data)]
    # compile_mean's code uses B, C, k, x, total...: nodes labelled so are renamed
    w = Value(0.3, label="pv")

    def example(inputs: list[Value], label: int) -> Value:
        (a,) = inputs
        b = w * a
        b.label = "B"
        k = (b * label).tanh()
        k.label = "k"
        return k

    results = []
    for mode in ("interpret", "python", "numpy"):
        w.grad = 0.0
        loss, _ = compile_mean(example, mode=mode)([[1.0], [2.0], [-1.0]], [1, -1, 1])  # type: ignore[arg-type]
        results.append((loss, w.grad))
    assert results[1] == results[0]
    assert math.isclose(results[2][0], results[0][0], rel_tol=1e-12)
    assert math.isclose(results[2][1], results[0][1], rel_tol=1e-12)  # type: ignore[arg-type]


def test_the_compile_guide_shows_the_source_its_example_prints(capsys) -> None:
    import builtins
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "guide" / "compile.md"
    text = page.read_text(encoding="utf-8")
    section = text[text.index("# Compile: trace once") :]
    example, printed = re.findall(r"```python\n(.*?)```", section, re.S)[:2]
    exec(builtins.compile(example, str(page), "exec"), {"__name__": "docs"})
    assert capsys.readouterr().out.rstrip("\n") == printed.rstrip("\n")


def test_values_computed_under_no_grad_inside_fn_are_refused_before_anything_is_written() -> None:
    """A target computed under no_grad inside fn depends on the parameters: a replay would
    freeze it. compile refuses it by name, and the call leaves .grad as it was."""
    w, x = Value(0.5), Value(2.0)

    def fn() -> Value:
        with autograd.no_grad():
            target = (w * x).tanh()  # a leaf whose value the next call would recompute
        return (w * x - target) ** 2

    w.grad = 0.25
    with pytest.raises(TypeError, match=r"compile: .*under no_grad\(\).*freeze"):
        compile(fn)()
    assert w.grad == 0.25 and x.grad == 0.0


def test_a_node_computed_before_fn_is_refused_and_the_gradients_are_restored() -> None:
    """w2 = w * w made outside fn: the engine reuses its old value while a replay would
    recompute it; the first call is refused by name, every .grad as it was."""
    w, x = Value(3.0), Value(2.0)
    w2 = w * w
    w.grad = x.grad = None
    with pytest.raises(TypeError, match=r"computed before it was called"):
        compile(lambda: w2 * x)()
    assert w.grad is None and x.grad is None
    with pytest.raises(TypeError, match=r"computed before it was called"):
        compile_mean(lambda xs: w2 * xs[0])([[1.0]])
    assert w.grad is None


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


def test_a_program_that_fails_runs_the_engine_and_keeps_the_program() -> None:
    """A domain error on replay is the engine's error, naming the operand; the traced program
    stays and serves the next call."""
    w = Value(2.0)
    f = compile(lambda: w.log())
    assert f() == math.log(2.0)
    w.data, w.grad = -1.0, 0.5
    with pytest.raises(autograd.DomainError, match=r"log: operand must be > 0, got Value"):
        f()
    assert w.grad == 0.5
    w.data = 4.0
    assert f() == math.log(4.0) and w.grad == 0.5 + 0.25 and f.retraces == 0


@pytest.mark.parametrize("mode", ["python", "numpy"])
def test_a_guard_of_extra_that_flips_retraces_extra_and_an_error_retraces_nothing(
    mode: str,
) -> None:
    """extra() branching on a parameter: a flip runs that call on the engine and retraces
    extra(); a call that overflows or meets a domain error is the engine's, and traces
    nothing (the programs stay)."""
    w = Value(0.5)

    def example(xs: list[Value]) -> Value:
        return (w * xs[0]).exp()

    def extra() -> Value:
        return w * w if w > 0 else w * -3.0

    def engine(inputs: list[list[float]]) -> tuple[float, float]:
        w.grad = 0.0
        loss = autograd.sum(example([Value(v) for v in x]) for x in inputs) * (1.0 / len(inputs))
        loss = loss + extra()
        loss.backward()
        return loss.data, w.grad

    f = compile_mean(example, extra=extra, mode=mode)
    inputs = [[1.0], [2.0], [-1.0]]
    # at 400 the loss overflows to inf: IEEE in Python; NumPy hands a non-finite loss to the
    # engine (which would name a domain error), without tracing anything again
    overflow = 2 if mode == "python" else 3
    steps = (
        (0.5, 0),
        (0.25, 0),
        (-0.5, 1),
        (-0.25, 1),
        (0.5, 2),
        (400.0, overflow),
        (0.6, overflow),
    )
    for data, fallbacks in steps:
        w.data, w.grad = data, 0.0
        got = f(inputs)[0], w.grad
        want = engine(inputs)
        if mode == "python":
            assert got == want
        else:
            assert got == pytest.approx(want, rel=1e-12)
        assert f.fallbacks == fallbacks, data
    assert f.retraces == 0  # the examples' program was never traced again


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


def test_a_kind_traced_in_a_call_that_failed_is_replayed_in_the_next() -> None:
    """Found by the long fuzz profile: a batch of a new kind of 3 inputs (traced) and one of 4
    (the model refuses it) fails as the engine does; the next batch of 3 is exact."""
    random.seed(0)
    model = MLP(3, [1])

    def example(xs: list[Value], tag: str) -> Value:
        out = model(xs)
        assert isinstance(out, Value)
        return out

    f = compile_mean(example)
    f([[0.0, 0.0, 0.0]], ["b"])
    with pytest.raises(ValueError, match="expects 3 inputs, got 4"):
        f([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]], ["a", "a"])
    for v in model.parameters():
        v.grad = 0.0
    assert f([[1.0, 2.0, 3.0]], ["a"])[0] == model([1.0, 2.0, 3.0]).data  # type: ignore[union-attr]
