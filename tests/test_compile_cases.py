"""autograd.compile and compile_mean: one test per reported defect (a silent wrong answer or
a crash), each stating the correct behaviour.

The reference is the plain engine (``loss = fn(); loss.backward()``, or the mean of the
examples' losses plus ``extra()``) run on identical copies of the parameters (same ``.data``,
same starting ``.grad``): compared bit for bit (``float.hex``) in python mode and within 1e-12
in numpy mode. Where the compiled call cannot give the engine's answer, the one other correct
behaviour is a clear error (a TypeError or ValueError whose message names compile) raised
before any ``.grad`` is written.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import pickle
import random
import threading
import tokenize
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import autograd
from autograd import CompileMismatch, DomainError, Value, compile, compile_mean, no_grad
from autograd.jit import Compiled
from nn import GD, MLP, Module, fit, make_moons

MODES = ["python", "numpy"]

#: A program for compile(): fresh parameters and the function that builds the loss from them.
Make = Callable[[], tuple[list[Value], Callable[[], Value]]]
#: A program for compile_mean(): fresh parameters, the per-example loss and extra (or None).
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


#: Every parameter's .grad before a call, in both copies (a call adds into it, as backward()).
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


def engine_mean(
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
            want, want_aux = engine_mean(reference, batch, reference_extra)
        with recording(grad_on):
            got, got_aux = f(batch)
        assert_same([got, *grads(mine)], [want, *grads(theirs)], mode)
        assert [len(a) for a in got_aux] == [len(a) for a in want_aux]
        assert_same([v for a in got_aux for v in a], [v for a in want_aux for v in a], mode)


# -- 1. a label spelled like an op -------------------------------------------------------------


@pytest.mark.parametrize("op", ["tanh", "sigmoid", "exp", "sin", "log"])
def test_a_label_named_like_an_op_does_not_replace_its_rule(op: str) -> None:
    """A node labelled "tanh" replaced tanh's rule for the whole program: grad 0.5, not 0.940."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        x = Value(0.5, label="x")

        def fn() -> Value:
            sq = x**2
            sq.label = op
            return getattr(sq, op)()  # type: ignore[no-any-return]

        return [x], fn

    check_compile(make, [[0.5], [0.5], [0.8]])


@pytest.mark.parametrize("mode", MODES)
def test_a_label_named_like_an_op_does_not_replace_its_rule_in_compile_mean(mode: str) -> None:
    """compile_mean: a node labelled "tanh" replaced tanh's rule (python: grad 4.25, not 1.31)."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        w = Value(0.5, label="w")

        def example(xs: list[Value]) -> Value:
            sq = (w * xs[0]) ** 2
            sq.label = "tanh"
            return sq.tanh()

        return [w], example, None

    check_mean(make, [[[1.0], [2.0]], [[1.0], [2.0]], [[-0.5], [1.5], [0.25]]], mode)


# -- 2. labels and Python's identifiers -------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [("µ", "μ"), ("ﬁ", "fi")])
def test_labels_python_reads_as_one_identifier_stay_two_variables(first: str, second: str) -> None:
    """Labels one identifier under NFKC ("µ"/"μ", "ﬁ"/"fi") were one variable: loss 8, not 5."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        a, b = Value(2.0, label=first), Value(1.0, label=second)
        return [a, b], lambda: a * a + b * b

    check_compile(make, [[2.0, 1.0], [2.0, 1.0], [3.0, -0.5]])


def test_a_node_label_that_reads_as_a_gradient_accumulator_does_not_overwrite_it() -> None:
    """A node labelled a fullwidth "g_w" (NFKC: g_w) overwrote w's gradient: 0.0, not 36.0."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        w = Value(2.0, label="w")

        def fn() -> Value:
            n = w * 3.0
            n.label = "\N{FULLWIDTH LATIN SMALL LETTER G}_w"
            return n * n

        return [w], fn

    check_compile(make, [[2.0], [2.0], [-1.0]])


def italic(word: str) -> str:
    """``word`` in mathematical italic letters, which NFKC (so Python) reads as ``word``."""
    case = {True: "CAPITAL", False: "SMALL"}
    return "".join(
        unicodedata.lookup(f"MATHEMATICAL ITALIC {case[c.isupper()]} {c.upper()}") for c in word
    )


#: Parameter labels that NFKC turns into names compile_mean's code uses itself.
STYLED = [italic(word) for word in ("x", "X", "P", "B", "k", "total")]


@pytest.mark.parametrize("mode", MODES)
def test_parameter_labels_that_normalize_to_the_codes_own_names_compile_mean(mode: str) -> None:
    """A parameter labelled an italic "x" crashed compile_mean; italic X, P, B, total: numpy."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        params = [Value(0.1 * (k + 1), label=label) for k, label in enumerate(STYLED)]

        def example(xs: list[Value]) -> Value:
            return autograd.sum((p * xs[0]).tanh() for p in params)

        return params, example, None

    check_mean(make, [[[1.0], [2.0]], [[1.0], [2.0]], [[0.5], [-1.0], [3.0]]], mode)


INJECTIONS = ['w"\nimport os\r#', "b'\r\nraise SystemExit('injected')", 'c"""\\', "\r"]


def test_labels_with_newlines_and_quotes_do_not_break_or_inject_into_the_code() -> None:
    """A label holding a newline, "\\r" or quotes must not break or inject into the code."""

    def make() -> tuple[list[Value], Callable[[], Value]]:
        params = [Value(0.5 * (k + 1), label=label) for k, label in enumerate(INJECTIONS)]

        def fn() -> Value:
            terms = []
            for p, label in zip(params, INJECTIONS):
                t = (p * p).tanh()
                t.label = label
                terms.append(t)
            out = autograd.sum(terms)
            out.label = INJECTIONS[0]
            return out

        return params, fn

    f = check_compile(make, [[0.5, 1.0, 1.5, 2.0], [0.5, 1.0, 1.5, 2.0], [-1.0, 0.0, 2.0, 3.0]])
    source = f.source
    ast.parse(source)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    code = {t.string for t in tokens if t.type == tokenize.NAME}
    assert not code & {"import", "os", "raise", "SystemExit"}, source
    assert not any(t.type == tokenize.STRING and "injected" in t.string for t in tokens), source


# -- 3. a gradient taken inside the compiled function ----------------------------------------


def leaky_penalty() -> tuple[list[Value], Callable[[], Value]]:
    w = Value(1.0, label="w")

    def fn() -> Value:
        x = Value(2.0)
        y = (w * x).leaky_relu(0.1)
        (dx,) = autograd.gradients(y, [x], create_graph=True)  # leaky_relu's rule branches
        return y + dx * dx  # type: ignore[operator]

    return [w], fn


def power_and_its_exponent_gradient() -> tuple[list[Value], Callable[[], Value]]:
    a = Value(0.0, label="a")

    def fn() -> Value:
        b = Value(3.0)
        y = a**b
        (db,) = autograd.gradients(y, [b], create_graph=True)  # 0 at a == 0, a^b log a else
        return y + db  # type: ignore[operator]

    return [a], fn


@pytest.mark.parametrize(
    ("make", "datas"),
    [(leaky_penalty, [[1.0], [-1.0], [0.5]]), (power_and_its_exponent_gradient, [[0.0], [2.0]])],
    ids=["leaky_relu penalty", "a**b and d/db"],
)
def test_a_gradient_taken_inside_the_program_follows_its_rules_branches(
    make: Make, datas: list[list[float]]
) -> None:
    """A gradient inside fn replayed its rule's traced branch: 0.8, not -0.19; 8.0, not 13.55."""
    check_compile(make, datas)


# -- 4. no_grad --------------------------------------------------------------------------------


def neuron() -> tuple[list[Value], Callable[[], Value]]:
    w, b = Value(1.5, label="w"), Value(-0.5, label="b")
    return [w, b], lambda: (w * w + b).tanh()


def test_a_compiled_call_under_no_grad_writes_no_gradient() -> None:
    """Compiled calls ignored no_grad (added into .grad); a first call under it: AssertionError."""
    data = [1.5, -0.5]
    check_compile(neuron, [data, data, data, data], enabled=[True, False, True, False])
    check_compile(neuron, [data, [0.5, 0.25], data], enabled=[False, True, True])


def mean_neuron() -> tuple[list[Value], Callable[..., Any], Callable[[], Value]]:
    p, q = Value(0.5, label="p"), Value(-0.25, label="q")
    return [p, q], lambda xs: (p * xs[0] + q).tanh(), lambda: q * q * 0.01


@pytest.mark.parametrize("mode", MODES)
def test_a_compiled_mean_under_no_grad_writes_no_gradient_and_does_not_break(mode: str) -> None:
    """A first call under no_grad broke compile_mean for good (AssertionError; half the loss)."""
    batch = [[1.0], [2.0]]
    check_mean(mean_neuron, [batch, batch, [[0.5], [-1.0], [3.0]]], mode, [False, True, True])
    check_mean(mean_neuron, [batch, batch, batch], mode, [True, False, True])


# -- 5. numpy: the model's output as the loss ---------------------------------------------------


LOSSES_ON_THE_OUTPUT: dict[str, Callable[[Value], Value]] = {
    "model(xs)": lambda out: out,
    "model(xs) ** 2": lambda out: out**2,
    "model(xs).sigmoid()": lambda out: out.sigmoid(),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("loss", [*LOSSES_ON_THE_OUTPUT, "model(xs) * model(xs)"])
def test_the_models_output_as_the_loss_gets_its_gradients(mode: str, loss: str) -> None:
    """numpy mode gave all-zero gradients when the loss was the model's output or an op on it."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        random.seed(3)
        model = MLP(2, [3, 1], activation="tanh")

        def example(xs: list[Value]) -> Value:
            if loss == "model(xs) * model(xs)":
                return model(xs) * model(xs)  # type: ignore[operator]
            return LOSSES_ON_THE_OUTPUT[loss](model(xs))  # type: ignore[arg-type]

        return model.parameters(), example, None

    batch = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    check_mean(make, [batch, batch[:2]], mode)


# -- 6. numpy: a loss that does not depend on the inputs ---------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_loss_that_ignores_the_inputs_is_not_divided_by_the_batch(mode: str) -> None:
    """numpy mode divided a loss that does not depend on the inputs by the batch: 1.0, not 4.0."""

    def make() -> tuple[list[Value], Callable[..., Any], None]:
        w = Value(2.0, label="w")
        return [w], lambda xs: w * w, None

    check_mean(make, [[[1.0]] * 4, [[1.0]] * 4, [[2.0]] * 3], mode)


# -- 7. a comparison in another thread ---------------------------------------------------------


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


# -- 8. examples of another width than the traced one ------------------------------------------


def summed(model: list[Value]) -> Callable[..., Value]:
    (w,) = model
    return lambda xs: (w * autograd.sum(xs)).tanh()


def first_input(model: list[Value]) -> Callable[..., Value]:
    (w,) = model
    return lambda xs: (w * xs[0]).tanh()


WIDTH_EXAMPLES = {"sum(xs)": summed, "xs[0]": first_input, "MLP(2, ...)": None}
SHAPES = {
    "wider": [[1.0, 2.0, 3.0], [0.5, -0.5, 4.0]],
    "mixed": [[1.0, 2.0], [0.5, -0.5, 4.0]],
    "narrower": [[1.0], [0.5]],
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("example", WIDTH_EXAMPLES)
@pytest.mark.parametrize("shape", SHAPES)
def test_examples_of_another_width_are_never_read_silently(
    mode: str, example: str, shape: str
) -> None:
    """Wider examples than traced: numpy read the first columns silently (0.684, not 0.991)."""
    if mode == "numpy":
        pytest.importorskip("numpy")

    def make() -> tuple[list[Value], Callable[..., Value]]:
        if WIDTH_EXAMPLES[example] is None:
            random.seed(0)
            model = MLP(2, [3, 1])
            return model.parameters(), lambda xs: model(xs) ** 2  # type: ignore[operator]
        params = [Value(0.5, label="w")]
        return params, WIDTH_EXAMPLES[example](params)  # type: ignore[misc]

    mine, fn = make()
    theirs, reference = make()
    f = compile_mean(fn, mode=mode)  # type: ignore[arg-type]
    f([[1.0, 2.0], [0.5, -0.5]])  # traced on examples of width 2
    batch = SHAPES[shape]
    for p in (*mine, *theirs):
        p.grad = START
    try:
        want: float | None = engine_mean(reference, batch, None)[0]
        expected: Exception | None = None
    except Exception as error:  # the engine refuses this width too
        want, expected = None, error
    try:
        got, _ = f(batch)
    except Exception as error:
        assert grads(mine) == [START] * len(mine), "an error after writing .grad"
        if expected is not None and type(error) is type(expected):
            return
        assert isinstance(error, (TypeError, ValueError)), repr(error)
        assert "compile" in str(error), f"not a clear compile error: {error!r}"
        return
    assert expected is None, f"compiled gave {got} where the engine raises {expected!r}"
    assert_same([got, *grads(mine)], [want, *grads(theirs)], mode)  # type: ignore[list-item]


# -- 9. a leaf as the loss; a bad .grad; check=True --------------------------------------------


def leaf_itself() -> tuple[list[Value], Callable[[], Value]]:
    p = Value(2.0, label="p")
    return [p], lambda: p


def branch_returning_its_input() -> tuple[list[Value], Callable[[], Value]]:
    q = Value(3.0, label="q")
    return [q], lambda: q if q > 0 else q * 2.0


def loop_running_zero_times() -> tuple[list[Value], Callable[[], Value]]:
    r = Value(3.0, label="r")

    def fn() -> Value:
        out = r
        for _ in range(0):
            out = out * 2.0
        return out

    return [r], fn


@pytest.mark.parametrize(
    ("make", "datas"),
    [
        (leaf_itself, [[2.0], [2.0], [-1.0]]),
        (branch_returning_its_input, [[3.0], [3.0], [-1.0], [3.0]]),
        (loop_running_zero_times, [[3.0], [3.0]]),
    ],
    ids=["lambda: p", "branch returning its input", "zero-trip loop"],
)
def test_a_loss_that_is_a_leaf_adds_one_to_its_grad_like_backward(
    make: Make, datas: list[list[float]]
) -> None:
    """A leaf as the loss: bare AssertionError after adding into .grad (a retry doubled it)."""
    check_compile(make, datas)
    # and twice without zeroing: 2.0, as two p.backward() calls give
    (p,), fn = make()
    f = compile(fn)
    for _ in range(2):
        assert f() == p.data
    assert p.grad == 2.0


@pytest.mark.parametrize("target", ["compile", "python", "numpy"])
@pytest.mark.parametrize("bad", [0, 1])
def test_a_gradient_that_is_not_a_number_is_refused_before_any_is_written(
    target: str, bad: int
) -> None:
    """A non-number .grad on one parameter failed after the other gradients were written."""
    if target == "numpy":
        pytest.importorskip("numpy")
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    if target == "compile":
        f = compile(lambda: a * b)

        def call() -> object:
            return f()
    else:
        g = compile_mean(lambda xs: a * b * xs[0], mode=target)  # type: ignore[arg-type]

        def call() -> object:
            return g([[1.0], [2.0]])

    call()  # traced (and compiled) with good gradients
    a.grad, b.grad = 0.5, 0.5
    [a, b][bad].grad = "x"  # type: ignore[assignment]
    before = [a.grad, b.grad]
    with pytest.raises(TypeError, match="grad"):
        call()
    assert [a.grad, b.grad] == before
    # the engine: the same refusal, nothing changed
    with pytest.raises(TypeError, match="grad 'x'"):
        (a * b).backward()
    assert [a.grad, b.grad] == before


def test_check_mode_raises_the_engines_errors_never_the_internal_out_of_domain() -> None:
    """check=True leaked the internal OutOfDomain ("log: operand must be > 0, got {0}")."""
    # a guarded branch: at x = -1 the engine takes x * 1.0; the traced log(x) must not leak
    x, twin = Value(2.0), Value(2.0)
    f = compile(lambda: x.log() if x > 0 else x * 1.0, check=True)
    f()
    x.data = twin.data = -1.0
    x.grad = twin.grad = 0.0
    got = f()
    loss = twin.log() if twin > 0 else twin * 1.0
    loss.backward()
    assert_same([got, x.grad], [loss.data, twin.grad])  # type: ignore[list-item]
    # a branch on .data (the precondition broken): the engine's answer or CompileMismatch
    y = Value(2.0)
    g = compile(lambda: y.log() if y.data > 0 else y * 1.0, check=True)
    g()
    y.data, y.grad = -1.0, 0.0
    try:
        assert g() == -1.0 and y.grad == 1.0
    except CompileMismatch:
        assert y.grad == 0.0
    # the engine raises: its error, naming the operands
    z = Value(2.0)
    h = compile(lambda: 1.0 / (z - 1.0), check=True)
    h()
    z.data = 1.0
    with pytest.raises(ZeroDivisionError, match=r"division by zero \(Value\(data=1.0"):
        h()
    w = Value(2.0)
    k = compile(lambda: w.log(), check=True)
    k()
    w.data = -1.0
    with pytest.raises(DomainError, match=r"got Value\(data=-1.0"):
        k()


# -- 10. parameters and nodes the examples' loss does not read ---------------------------------


def extra_over_an_unused_parameter() -> tuple[list[Value], Callable[..., Any], Callable[[], Value]]:
    w, u = Value(0.5, label="w"), Value(-1.5, label="u")
    return [w, u], lambda xs: (w * xs[0]).tanh(), lambda: u * u * 0.1


def constant_feature_into_the_model() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model = MLP(3, [3, 1])
    return (
        model.parameters(),
        lambda xs: (model([*xs, Value(1.0)]) - 1.0) ** 2,  # type: ignore[operator]
        None,
    )


def constant_feature_into_the_first_layer() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model = MLP(3, [3, 1])

    def example(xs: list[Value]) -> Value:
        hidden = model.layers[0]([*xs, Value(1.0)])
        return (model.layers[1](hidden) - 1.0) ** 2  # type: ignore[arg-type, operator]

    return model.parameters(), example, None


def an_auxiliary_neuron_read_by_nothing() -> tuple[list[Value], Callable[..., Any], None]:
    random.seed(1)
    model, aux = MLP(2, [2, 1]), MLP(2, [1])

    def example(xs: list[Value]) -> tuple[Value, Value]:
        return (model(xs) - 1.0) ** 2, aux(xs)  # type: ignore[operator, return-value]

    return model.parameters() + aux.parameters(), example, None


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "make",
    [
        extra_over_an_unused_parameter,
        constant_feature_into_the_model,
        constant_feature_into_the_first_layer,
        an_auxiliary_neuron_read_by_nothing,
    ],
    ids=["extra over an unused parameter", "constant feature", "layers[0] fed a constant", "aux"],
)
def test_parameters_and_nodes_outside_the_examples_loss_compile(mode: str, make: MakeMean) -> None:
    """extra() over an unused parameter, a constant feature, an unread neuron: internal errors."""
    batch = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]
    check_mean(make, [batch, batch[1:], batch], mode)


class ConstantFeature(Module):
    """An MLP fed the inputs and a constant 1.0."""

    def __init__(self) -> None:
        self.mlp = MLP(3, [3, 1])

    def _children(self):  # type: ignore[no-untyped-def]
        yield "mlp", self.mlp

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.mlp([*x, Value(1.0)])


class AuxiliaryNeuron(Module):
    """An MLP and a neuron it computes and reads nothing of (its weights are in the L2)."""

    def __init__(self, computed: bool) -> None:
        self.mlp, self.aux, self.computed = MLP(2, [3, 1]), MLP(2, [1]), computed

    def _children(self):  # type: ignore[no-untyped-def]
        yield "mlp", self.mlp
        yield "aux", self.aux

    def forward(self, x):  # type: ignore[no-untyped-def]
        if self.computed:
            self.aux(x)
        return self.mlp(x)


MODELS: dict[str, Callable[[], Module]] = {
    "constant feature": ConstantFeature,
    "auxiliary neuron computed": lambda: AuxiliaryNeuron(True),
    "unused parameters": lambda: AuxiliaryNeuron(False),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("model", MODELS)
def test_fit_compiles_models_with_constant_features_and_unused_parameters(
    mode: str, model: str
) -> None:
    """fit(compile=...) crashed on a constant feature or parameters only the L2 penalty reads."""
    if mode == "numpy":
        pytest.importorskip("numpy")
    X, y = make_moons(12, noise=0.1, seed=1)
    runs = []
    for compiled in (False, mode):
        random.seed(5)
        m = MODELS[model]()
        history = fit(
            m,
            X,
            y,
            steps=3,
            alpha=1e-2,
            optimizer=GD(m.parameters(), lr=0.5),
            progress=False,
            compile=compiled,  # type: ignore[arg-type]
        )
        runs.append((history["loss"], [p.data for p in m.parameters()]))  # type: ignore[index]
    (losses, weights), (reference_losses, reference_weights) = runs[1], runs[0]
    assert_same(losses, reference_losses, mode)
    assert_same(weights, reference_weights, mode)


# -- 11. pickling a graph ----------------------------------------------------------------------


GRAPHS: dict[str, Callable[[Value], Value]] = {
    "x ** 2": lambda x: x**2,
    "2 ** x": lambda x: 2**x,
    "x.leaky_relu(0.1)": lambda x: x.leaky_relu(0.1),
    "all three": lambda x: (x**2 * 2**x).leaky_relu(0.1) + x.leaky_relu(0.1),
}


@pytest.mark.parametrize("graph", GRAPHS)
@pytest.mark.parametrize("data", [-0.7, 1.3])
def test_a_pickled_graph_gives_the_same_gradients(graph: str, data: float) -> None:
    """pickle.dumps of a graph with x**2, 2**x or x.leaky_relu(0.1) failed (a local rule)."""
    x = Value(data, label="x")
    y = GRAPHS[graph](x)
    x2, y2 = pickle.loads(pickle.dumps((x, y)))
    y.backward()
    y2.backward()
    assert_same([y2.data, x2.grad], [y.data, x.grad])  # type: ignore[list-item]


# -- 12. bool(Value) ---------------------------------------------------------------------------


def test_bool_of_a_value_is_the_truth_of_its_data() -> None:
    """bool(Value(0.0)) was True, so `if x:` took the wrong branch; by value, like PyTorch/JAX."""
    assert bool(Value(0.0)) is False
    assert bool(Value(-0.0)) is False
    assert bool(Value(2.0)) is True
    assert bool(Value(-3.0)) is True
    assert bool(Value(math.nan)) is True
    assert bool(Value(1.0) - 1.0) is False


def test_an_if_on_a_value_is_a_guarded_branch_under_compile() -> None:
    """`if x:` on a Value under compile is a guarded branch: when it flips, still the engine."""
    w, twin = Value(1.0, label="w"), Value(1.0, label="w")

    def program(v: Value, by_value: bool) -> Value:
        d = v - 1.0
        taken = d.data != 0.0 if by_value else d  # the reference branches on the float
        return v * v if taken else v * 3.0

    f = compile(lambda: program(w, False))
    for data in (1.0, 2.0, 1.0, 0.5, 1.0):
        w.data = twin.data = data
        w.grad = twin.grad = 0.0
        got = f()
        loss = program(twin, True)
        loss.backward()
        assert_same([got, w.grad], [loss.data, twin.grad])  # type: ignore[list-item]
