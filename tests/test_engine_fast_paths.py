"""The engine's fast paths against its slow ones: the same nodes, the same gradients, bit for bit.

``make_node`` fills a node slot by slot when nothing listens (not through ``Value()``), and
``backward()`` adds the gradients of ``+``, ``sum``, ``identity`` and ``*`` nodes in place
instead of calling their rules. Each is checked here against what it
replaces: nodes against ``make_node``'s, gradients against a chain rule that calls every
node's rule (re-typed below, as the engine's loop was before), bit for bit, on random
programs over every row of the table; and the work they spare is counted (calls made), not
timed.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import CodeType, FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, no_grad
from autograd import engine as engine_module
from autograd import graph as graph_module
from autograd.extend import OPS, make_node, topological_order, trace_hook
from autograd.ops import ADD, DIV, IDENTITY, MUL, SUB, SUM
from tests.programs import VALUE, programs


def bits(x: float) -> bytes:
    """The float's bytes: equal exactly when the floats are the same (signed zeros apart)."""
    return struct.pack("<d", x)


def by_calling_every_rule(root: Value, seed: float = 1.0) -> dict[Value, float]:
    """d root / d leaf for every leaf, each node's rule called (the engine's loop before its
    fast paths): in reverse topological order, ``0.0 + g * dnode/dparent`` summed in turn."""
    grads: dict[Value, float] = {root: seed}
    for node in reversed(topological_order(root)):
        g = grads[node]
        local = node._vjp(g, node.data, *[p.data for p in node._prev])
        for p, gp in zip(node._prev, local, strict=True):
            grads[p] = grads.get(p, 0.0) + gp
    return {node: g for node, g in grads.items() if not node._prev}


# -- backward: the rules done in place are the table's --------------------------------------


def test_the_rules_done_in_place_are_read_off_the_table() -> None:
    """Which rules backward applies in place is read off the rows' partial spellings."""
    assert {ADD.rule, SUM.rule, IDENTITY.rule} == set(graph_module._PASSING)
    assert graph_module._PRODUCT is MUL.rule


class Doubling:
    """A rule that is an object, equal to its kind and so not hashable: d/da = d/db = 2."""

    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Doubling)

    def __call__(self, g: float, out: float, a: float, b: float) -> tuple[float, float]:
        return 2.0 * g, 2.0 * g


def test_a_rule_of_ones_own_need_not_be_hashable() -> None:
    x, y = Value(1.0), Value(2.0)
    out = make_node(2.0 * (x.data + y.data), (x, y), "double", Doubling())
    (out * out).backward()  # d(out^2)/dx = 2 out * 2
    assert (x.grad, y.grad) == (24.0, 24.0)


@settings(max_examples=200, deadline=None)
@given(g=st.floats(allow_nan=False), a=st.floats(allow_nan=False), b=st.floats(allow_nan=False))
def test_each_rule_done_in_place_gives_what_calling_it_gives(g: float, a: float, b: float) -> None:
    for op in OPS:  # every partial is 1: g itself, to each parent, at each arity
        if op.rule in graph_module._PASSING:
            for parents in [(a, b, a)[:n] for n in ([op.arity] if op.arity else [1, 2, 3])]:
                local = op.rule(g, 0.5, *parents)  # out is not read
                assert list(map(bits, local)) == [bits(g)] * len(parents)
    assert list(map(bits, MUL.rule(g, a * b, a, b))) == [bits(g * b), bits(g * a)]


@settings(max_examples=150, deadline=None)
@given(program=programs(max_inputs=4, max_steps=14), earlier=st.floats(-3.0, 3.0))
def test_backward_is_the_rules_called_one_by_one_bit_for_bit(program, earlier: float) -> None:
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    if not out._prev:
        return
    expected = by_calling_every_rule(out, seed=0.5)
    for leaf in expected:
        leaf.grad = earlier
    out.backward(0.5)
    for leaf, g in expected.items():
        assert bits(leaf.grad) == bits(earlier + g) or (math.isnan(leaf.grad) and math.isnan(g))


def test_a_sum_chain_graph_with_shared_inputs_gets_the_rules_gradients_bit_for_bit() -> None:
    """The shape of microgpt's graph: ``sum(w * x for ...)`` rows over shared inputs, a
    softmax and a log, with a node used twice (``x * x``, ``x + x``) and the fused ops."""
    import random

    rng = random.Random(7)
    ws = [[Value(rng.gauss(0, 0.5)) for _ in range(6)] for _ in range(5)]
    xs = [Value(rng.gauss(0, 1)) for _ in range(6)]
    hidden = [sum(w * x for w, x in zip(row, xs)) for row in ws]
    hidden = [h * h + h + h for h in hidden] + [autograd.dot(ws[0], xs), autograd.sum(xs)]
    top = max(h.data for h in hidden)
    exps = [(h - top).exp() for h in hidden]
    total = sum(exps)
    variable = make_node(xs[0].data, (xs[0],), IDENTITY.label, IDENTITY.rule)
    loss = -(exps[2] / total).log() + variable * xs[1]
    expected = by_calling_every_rule(loss)
    loss.backward()
    assert {leaf: bits(leaf.grad) for leaf in expected} == {
        leaf: bits(0.0 + g) for leaf, g in expected.items()
    }


def test_a_backward_failing_after_in_place_nodes_leaves_every_gradient_as_it_was() -> None:
    x, w = Value(2.0), Value(3.0)
    broken = Value(1.0, (x,), "op")  # made by hand, without a rule: fails when reached
    x.grad, w.grad = 0.25, None
    chain = broken
    for _ in range(5):
        chain = chain * w + x  # in-place + and * nodes, run before the broken one
    with pytest.raises(TypeError, match="no local-gradient rule"):
        chain.backward()
    assert x.grad == 0.25 and w.grad is None


# -- forward: the operators make make_node's nodes ------------------------------------------


def slots(v: Value) -> tuple[Any, ...]:
    return (bits(v.data), bits(v.grad), v.label, v._prev, v._op, v._vjp)


@pytest.mark.parametrize(
    "name", ["__add__", "__sub__", "__mul__", "__truediv__", "__radd__", "__rsub__", "__rmul__"]
)
def test_an_operator_makes_the_node_make_node_makes(name: str) -> None:
    a, b = Value(1.5), Value(-0.375)
    row = {"add": ADD, "sub": SUB, "mul": MUL, "truediv": DIV}[name.strip("_").lstrip("r")]
    if name.startswith("__r"):
        out = getattr(a, name)(2.5)  # 2.5 <op> a
        (const,) = (p for p in out._prev if p is not a)
        operands: tuple[Value, ...] = (const, a)
    else:
        out = getattr(a, name)(b)
        operands = (a, b)
    expected = make_node(row.forward(*(v.data for v in operands)), operands, row.label, row.rule)
    by_init = Value(out.data, operands, row.label)  # as make_node made nodes before
    by_init._vjp = row.rule
    assert slots(out) == slots(expected) == slots(by_init)


def test_an_integer_data_set_by_hand_still_makes_a_float_node() -> None:
    a, b = Value(1.0), Value(2.0)
    a.data = 3  # type: ignore[assignment]
    b.data = 4  # type: ignore[assignment]
    for out in (a + b, a * b, a - b, 2 * a):
        assert type(out.data) is float


class CountingTracer:
    """A tracer that counts what it is told."""

    def __init__(self) -> None:
        self.nodes: list[tuple[Value, bool]] = []

    def compared(self, a: Value, op: str, b: object, outcome: bool) -> None:
        pass

    def made(self, out: Value, recorded: bool) -> None:
        self.nodes.append((out, recorded))

    def differentiated(self, what: str, recorded: bool) -> None:
        pass


def test_listeners_are_told_of_every_node_the_operators_make() -> None:
    tracer = CountingTracer()
    a, b = Value(1.0), Value(2.0)
    with trace_hook(tracer):  # type: ignore[arg-type]
        nodes = [a + b, a * b, a - b, a / b, 1.0 + a, 2.0 * b, a.exp()]
        with no_grad():
            leaf = a * b
    assert tracer.nodes == [*((n, True) for n in nodes), (leaf, False)]
    assert leaf._prev == ()
    with autograd.detect_anomaly(), pytest.raises(autograd.AnomalyError, match="produced inf"):
        Value(1e308) * 10.0


# -- the work spared, counted -----------------------------------------------------------------


@contextmanager
def calls_to(*codes: CodeType) -> Iterator[dict[CodeType, int]]:
    """Count the Python calls of each code object within the block (sys.setprofile)."""
    counts = dict.fromkeys(codes, 0)

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in counts:
            counts[frame.f_code] += 1

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield counts
    finally:
        sys.setprofile(previous)


def test_a_sum_chain_makes_every_node_in_make_node_and_calls_no_rule_of_plus_or_times() -> None:
    ws, xs = [Value(0.5 + i) for i in range(8)], [Value(1.0 - i) for i in range(8)]
    make, add, mul = engine_module.make_node.__code__, ADD.rule.__code__, MUL.rule.__code__
    div = DIV.rule.__code__
    with calls_to(make, add, mul, div) as counts:
        total = ws[0] * xs[0]
        for w, x in zip(ws[1:], xs[1:]):
            total = total + w * x  # 8 *, 7 +
        loss = total / xs[2]
        loss.backward()
    assert counts == {make: 16, add: 0, mul: 0, div: 1}  # the / node's rule alone is called
    with calls_to(make) as counts:
        2.0 * ws[0]  # a number on the left
        with no_grad():
            ws[0] * xs[0]  # another mode
    assert counts[make] == 2
