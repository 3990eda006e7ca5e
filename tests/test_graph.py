"""The graph walk (autograd.graph): topological order, the stepped chain rule, gc_paused."""

from __future__ import annotations

import gc
import math
import weakref

import pytest
from hypothesis import assume, given, settings

import autograd
from autograd import Value
from autograd.extend import gc_paused
from tests.programs import VALUE, close, programs


def test_a_million_node_chain_needs_no_recursion() -> None:
    x = Value(0.5)
    y = x
    was_enabled = gc.isenabled()
    gc.disable()  # building is not what this test measures
    try:
        for _ in range(1_000_000):
            y = -y
    finally:
        if was_enabled:
            gc.enable()
    y.backward()
    assert x.grad == 1.0  # (-1) ** 1_000_000
    assert y.data == 0.5


def test_graphs_are_freed_by_reference_counting_alone() -> None:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = Value(0.3)
        hidden = (x * 2.0).tanh()
        mixed = autograd.dot([hidden, x], [x, hidden], 1.0).sigmoid() ** 2
        out = mixed.leaky_relu() + hidden
        out.backward()
        refs = [weakref.ref(node) for node in (hidden, mixed, out)]
        del hidden, mixed, out
        assert [r() for r in refs] == [None, None, None]
        assert x.grad != 0.0
    finally:
        if was_enabled:
            gc.enable()


def test_backward_restores_the_garbage_collector_state() -> None:
    out = Value(1.0) * 2.0
    assert gc.isenabled()
    out.backward()
    assert gc.isenabled()
    gc.disable()
    try:
        out.backward()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_gc_paused_restores_the_collector_even_on_error_and_collects_later() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        garbage = weakref.ref(Cycle())  # unreachable cyclic garbage made in the block
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.collect()
    assert garbage() is None  # nothing made while paused is leaked
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a collector the user switched off stays off
    finally:
        gc.enable()


@settings(max_examples=50, deadline=None)
@given(programs())
def test_backward_steps_visit_users_first_and_report_backwards_gradients(program) -> None:
    xs = [Value(x) for x in program.inputs]
    out = program.run(VALUE, xs)
    assume(math.isfinite(out.data) and abs(out.data) < 1e6)
    steps = list(autograd.backward_steps(out))
    out.backward()

    position = {node: i for i, (node, _) in enumerate(steps)}
    assert steps[0][0] is out and len(position) == len(steps)
    for node, grad in steps:
        for parent in node._prev:  # every node comes before its parents
            assert position[parent] > position[node]
        assert close(grad, node.grad, rel=1e-12, abs_=0.0)
    assert {id(x) for x in xs} <= {id(node) for node in position}
