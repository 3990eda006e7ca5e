"""Differential fuzzing of autograd.compile_mean: every compiled call is the engine's, or refused.

Hypothesis writes per-example losses of small MLPs (heads on the output, labels, static
values, auxiliary outputs, constant features, an ``extra()`` over any parameter, examples of
the wrong width, calls under ``no_grad``) and runs each twice, compiled and on the engine, as
``tests/test_compile_fuzz.py`` does for :func:`autograd.compile` (whose docstring states the
contract: equal bit for bit in Python mode, within 1e-12 in NumPy mode, or a clear error with
nothing written). For a long run::

    HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_compile_mean_fuzz.py   # or: make fuzz
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value
from nn import MLP, Neuron

# --------------------------------------------------------------------------------------------
# The budget: examples per test, from the active Hypothesis profile
# --------------------------------------------------------------------------------------------
from tests.test_compile_fuzz import (
    EQUALITY,
    NFKC_PAIRS,
    NUMBERS,
    Call,
    Side,
    budget,
    call_plans,
    data_values,
    labels,
    run_twins,
)

# --------------------------------------------------------------------------------------------
# compile_mean: per-example losses of small MLPs, in both modes
# --------------------------------------------------------------------------------------------

#: Heads that ignore the static values, and heads that read them: ``label`` or
#: ``(label, weight)``.
PLAIN_HEADS = ["output", "square", "sigmoid", "relu", "independent", "constant"]
LABEL_HEADS = ["squared_error", "hinge", "label_branch", "weighted"]
#: What an example may report besides its loss.
AUX_KINDS = ["output", "hidden", "spare", "input", "parameter", "constant", "loss"]
#: What ``extra=`` may be.
EXTRAS = ["l2", "model_l2", "unused", "spare", "constant"]


@dataclass(frozen=True)
class MeanProgram:
    """A per-example loss: an MLP of ``nin`` (plus appended constant features) inputs, a
    1-neuron last layer, a head, auxiliary outputs, maybe a spare neuron (read by nothing
    unless reported) and an ``extra``.

    ``reads``: ``"all"`` feeds ``xs`` to the model (a wrong width is the model's error);
    ``"last"`` feeds the first ``nin - 1`` columns and the *last* (a wider example's last
    column is another one).
    """

    nin: int
    sizes: tuple[int, ...]
    activation: str
    output_activation: str
    head: str
    reads: str = "all"
    features: tuple[float, ...] = ()
    held_feature: bool = False
    aux: tuple[str, ...] = ()
    spare: bool = False
    extra: str | None = None
    labels: tuple[str, ...] = ()  # the parameters' labels (in turn), then the nodes'
    seed: int = 0


@dataclass
class MeanModel:
    """A built MeanProgram: its leaves (the parameters, the held feature) and its functions."""

    leaves: list[Value]
    varying: list[Value]
    example: Callable[..., Any]
    extra: Callable[[], Value] | None


def head(kind: str, out: Value, static: tuple[Any, ...], unused: Value) -> Value:
    """The example's loss from the model's output (and the static values)."""
    if kind == "output":
        return out
    if kind == "square":
        return out**2
    if kind == "sigmoid":
        return out.sigmoid()
    if kind == "relu":
        return out.relu()
    if kind == "independent":
        return (unused * unused).tanh()
    if kind == "constant":
        return Value(2.0)
    label = static[0]
    if kind == "squared_error":
        return (out - label) ** 2
    if kind == "hinge":
        return (1 - label * out).relu()
    if kind == "label_branch":
        return (1 - out).relu() if label > 0 else out.exp() * 0.5
    return static[1] * (out - label) ** 2  # weighted


def build_mean(spec: MeanProgram) -> MeanModel:
    """Fresh parameters (from the spec's seed) and the example and extra functions."""
    rng = random.Random(spec.seed)
    width = spec.nin + len(spec.features) + spec.held_feature
    model = MLP(
        width,
        [*spec.sizes, 1],
        activation=spec.activation,
        output_activation=spec.output_activation,
        rng=rng,
    )
    spare = Neuron(width, activation="tanh", rng=rng)
    unused = Value(rng.uniform(-1.0, 1.0), label="unused")
    held = Value(0.75, label="held")  # a feature made outside, not a parameter
    params = [*model.parameters(), *spare.parameters(), unused]
    for p, name in zip(params, itertools.cycle(spec.labels)):
        p.label = name

    def example(xs: list[Value], *static: Any) -> Any:
        columns = list(xs) if spec.reads == "all" else [*xs[: spec.nin - 1], xs[-1]]
        inputs = [*columns, *spec.features, *([held] if spec.held_feature else [])]
        hidden = model.layers[0].outputs(inputs)
        out = hidden
        for layer in model.layers[1:]:
            out = layer.outputs(out)
        spare_out = spare(inputs) if spec.spare else Value(0.0)
        loss = head(spec.head, out[0], static, unused)
        reported = {
            "output": out[0],
            "hidden": hidden[-1],
            "spare": spare_out,
            "input": xs[0] if xs else Value(0.0),
            "parameter": unused,
            "constant": Value(1.5),
            "loss": loss,
        }
        for node, name in zip((out[0], hidden[-1], loss, spare_out), reversed(spec.labels)):
            node.label = name
        return (loss, [reported[kind] for kind in spec.aux]) if spec.aux else loss

    extras: dict[str | None, Callable[[], Value] | None] = {
        None: None,
        "l2": lambda: autograd.sum(p * p for p in params) * 1e-3,
        "model_l2": lambda: 1e-3 * autograd.sum(p * p for p in model.parameters()),
        "unused": lambda: (unused * 2.0).tanh(),
        "spare": lambda: autograd.sum(p * p for p in spare.parameters()),
        "constant": lambda: Value(0.5),
    }
    return MeanModel([*params, held], params, example, extras[spec.extra])


def engine_mean(model: MeanModel) -> Callable[[Call], tuple[Any, ...]]:
    """The engine's reference for a compile_mean call (its docstring): the terms
    ``example_loss(xs_i, *static_i)``, ``autograd.sum(terms) * (1 / n) + extra()``,
    ``backward()`` (not under ``no_grad``); the loss and each example's aux values."""

    def call(plan: Call) -> tuple[Any, ...]:
        statics = plan.statics if plan.statics is not None else [()] * len(plan.batch)
        terms, aux = [], []
        for xs, key in zip(plan.batch, statics, strict=True):
            inputs = [Value(v) for v in xs]
            args = (inputs, *key) if isinstance(key, tuple) else (inputs, key)
            result = model.example(*args)
            term, extras = result if isinstance(result, tuple) else (result, [])
            terms.append(term)
            extras = [extras] if isinstance(extras, Value) else list(extras)
            aux.append(tuple(v.data for v in extras))
        loss = autograd.sum(terms) * (1.0 / len(terms))
        if model.extra is not None:
            loss = loss + model.extra()
        if autograd.is_grad_enabled():
            loss.backward()
        return loss.data, aux

    return call


def compiled_mean(model: MeanModel, mode: str) -> tuple[Callable, Callable]:
    """``compile_mean`` as a side's call (the batch as lists, the statics or None)."""
    f = autograd.compile_mean(model.example, extra=model.extra, mode=mode)  # type: ignore[arg-type]

    def call(plan: Call) -> tuple[Any, ...]:
        statics = None if plan.statics is None else list(plan.statics)
        loss, aux = f([list(xs) for xs in plan.batch], statics)
        return loss, aux

    return call, lambda: f.source


@dataclass(frozen=True)
class MeanScenario:
    program: MeanProgram
    calls: list[Call]


def statics_for(head_kind: str) -> st.SearchStrategy[Any]:
    """One example's static value: a label, ``(label, weight)``, or for a head that ignores
    it a tag (each tag another, identical, program) or nothing."""
    if head_kind == "weighted":
        return st.tuples(st.sampled_from([-1, 1, 0, 2]), st.sampled_from([0.5, 1.0, 2.0]))
    if head_kind in LABEL_HEADS:
        return st.sampled_from([-1, 1, 0, 2])
    return st.sampled_from(["a", "b", ()])


@st.composite
def batches(
    draw: st.DrawFn, spec: MeanProgram, wrong_width: bool
) -> tuple[tuple[tuple[float, ...], ...], tuple | None]:
    """1-4 examples of ``nin`` numbers (with ``wrong_width``, some one narrower or wider),
    and their static values (None for a head that reads none, sometimes)."""
    n = draw(st.integers(1, 4))
    widths = [spec.nin] * n
    if wrong_width:
        widths = [draw(st.sampled_from([spec.nin, spec.nin + 1, spec.nin - 1])) for _ in widths]
    batch = tuple(tuple(draw(data_values) for _ in range(w)) for w in widths)
    if spec.head not in LABEL_HEADS and draw(st.booleans()):
        return batch, None
    return batch, tuple(draw(statics_for(spec.head)) for _ in range(n))


@st.composite
def mean_scenarios(
    draw: st.DrawFn,
    heads: Sequence[str] = tuple(PLAIN_HEADS + LABEL_HEADS),
    aux: bool = False,
    features: bool = False,
    extras: Sequence[str | None] = (None,),
    wrong_width: bool = False,
    labelled: bool = False,
    no_grad: bool = False,
) -> MeanScenario:
    """A per-example program (with the parts the flags allow) and calls with batches."""
    depth = draw(st.integers(0, 2))
    spec = MeanProgram(
        nin=draw(st.integers(1, 3)),
        sizes=tuple(draw(st.integers(1, 3)) for _ in range(depth)),
        activation=draw(st.sampled_from(["relu", "tanh", "sigmoid", "linear"])),
        output_activation=draw(st.sampled_from(["linear", "tanh", "relu", "sigmoid"])),
        head=draw(st.sampled_from(list(heads))),
        reads=draw(st.sampled_from(["all", "last"])) if wrong_width else "all",
        features=tuple(draw(st.lists(st.sampled_from(NUMBERS), max_size=2))) if features else (),
        held_feature=draw(st.booleans()) if features else False,
        aux=tuple(draw(st.lists(st.sampled_from(AUX_KINDS), max_size=3))) if aux else (),
        spare=draw(st.booleans()) if aux else False,
        extra=draw(st.sampled_from(list(extras))),
        labels=tuple(draw(st.lists(labels, min_size=1, max_size=6))) if labelled else (),
        seed=draw(st.integers(0, 2**16)),
    )
    if labelled and draw(st.booleans()):  # two labels that NFKC makes one name
        spec = dataclasses.replace(spec, labels=(*draw(st.sampled_from(NFKC_PAIRS)), *spec.labels))
    model = build_mean(spec)
    examples = batches(spec, wrong_width)
    plans = draw(
        call_plans(len(model.varying), len(model.leaves), no_grad=no_grad, batches=examples)
    )
    return MeanScenario(spec, plans)


def check_mean(scenario: MeanScenario, mode: str) -> None:
    """The per-example program compiled (``mode``) on one model, the engine on its twin."""
    mine, theirs = build_mean(scenario.program), build_mean(scenario.program)
    call, source = compiled_mean(mine, mode)
    compiled = Side(mine.leaves, mine.varying, call, source)
    engine = Side(theirs.leaves, theirs.varying, engine_mean(theirs))
    run_twins(compiled, engine, scenario.calls, EQUALITY[mode])


MODES = ["python", "numpy"]


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios())
def test_compile_mean_heads_and_static_labels(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios(heads=("output", "square", "hinge"), aux=True, features=True))
def test_compile_mean_aux_outputs_and_constant_features(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios(heads=("output", "square", "hinge"), extras=EXTRAS))
def test_compile_mean_extra_over_any_parameter(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios(LABEL_HEADS, extras=(None, "model_l2"), labelled=True))
def test_compile_mean_labels_never_change_the_program(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios(LABEL_HEADS, extras=(None, "model_l2"), no_grad=True))
def test_compile_mean_calls_under_no_grad(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)


@pytest.mark.parametrize("mode", MODES)
@budget(0.5)
@given(scenario=mean_scenarios(heads=("output", "square", "hinge"), wrong_width=True))
def test_compile_mean_examples_of_the_wrong_width(mode: str, scenario: MeanScenario) -> None:
    check_mean(scenario, mode)
