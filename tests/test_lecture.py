"""What a learner brings from micrograd: its tests' idioms and its lecture's, run on this engine.

The idioms come from micrograd's ``test/test_engine.py`` (test_sanity_check, test_more_ops)
and from Karpathy's lecture "The spelled-out intro to neural networks and backpropagation:
building micrograd" and its notebook (``label=``, ``o.grad = 1.0; o._backward()`` node by
node, the recursive ``build_topo``, ``a.data += 0.01 * a.grad``, ``trace``/``draw_dot`` over
``_prev``, ``_op``, ``data``, ``grad`` and ``label``). The code below is written for these
tests in the same idioms, not copied. References: micrograd 0.1.0 itself (installed with the
test extras), PyTorch float64 where installed, closed-form derivatives.
"""

from __future__ import annotations

import math
import re

import micrograd.engine
import pytest

import autograd
from autograd import Value


def sanity_check(V: type) -> tuple[object, object]:
    """micrograd's test_sanity_check expression, on Values of class V; returns (x, y)."""
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(V: type) -> tuple[object, object, object]:
    """micrograd's test_more_ops expression (in-place +=, unary -, / both ways); (a, b, g)."""
    a = V(-4.0)
    b = V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return a, b, g


def test_micrograds_own_tests_give_micrograds_numbers() -> None:
    ours, theirs = sanity_check(Value), sanity_check(micrograd.engine.Value)
    assert ours[1].data == theirs[1].data and ours[0].grad == theirs[0].grad  # type: ignore[attr-defined]
    (a, b, g), (ma, mb, mg) = more_ops(Value), more_ops(micrograd.engine.Value)
    # micrograd spells a - b as a + (-b) and f / 2 as f * 2**-1: equal up to rounding.
    assert g.data == pytest.approx(mg.data, rel=1e-13)  # type: ignore[attr-defined]
    assert a.grad == pytest.approx(ma.grad, rel=1e-13)  # type: ignore[attr-defined]
    assert b.grad == pytest.approx(mb.grad, rel=1e-13)  # type: ignore[attr-defined]


def test_micrograds_own_tests_against_pytorch_as_they_are_written() -> None:
    torch = pytest.importorskip("torch")

    class Tensor:  # micrograd's test builds the same expression on double tensors
        def __new__(cls, x: float) -> object:
            return torch.tensor([x], dtype=torch.float64, requires_grad=True)

    x, y = sanity_check(Value)
    tx, ty = sanity_check(Tensor)
    assert y.data == ty.data.item() and x.grad == tx.grad.item()  # type: ignore[attr-defined]
    a, b, g = more_ops(Value)
    ta, tb, tg = more_ops(Tensor)
    tol = 1e-6  # micrograd's own tolerance; we are much closer
    assert abs(g.data - tg.data.item()) < tol  # type: ignore[attr-defined]
    assert abs(a.grad - ta.grad.item()) < tol and abs(b.grad - tb.grad.item()) < tol  # type: ignore[attr-defined]


# -- the lecture ------------------------------------------------------------------------------


def lecture_neuron() -> dict[str, Value]:
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), every node labelled."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)}


def build_topo(root: Value) -> list[Value]:
    """The lecture's recursive topological sort over ``_prev``."""
    topo: list[Value] = []
    visited: set[Value] = set()

    def build(v: Value) -> None:
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build(child)
            topo.append(v)

    build(root)
    return topo


def expected_neuron_grads() -> dict[str, float]:
    """Closed form: do/dn = 1 - tanh(n)^2, then the chain rule through + and *."""
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    dn = 1 - math.tanh(n) ** 2
    return {"o": 1.0, "n": dn, "b": dn, "x1*w1 + x2*w2": dn, "x1*w1": dn, "x2*w2": dn,
            "x1": -3.0 * dn, "w1": 2.0 * dn, "x2": 1.0 * dn, "w2": 0.0 * dn}  # fmt: skip


def test_stepping_backward_by_hand_node_by_node_as_in_the_lecture() -> None:
    nodes = lecture_neuron()
    o = nodes["o"]
    o.grad = 1.0
    o._backward()  # the lecture's first manual step: n.grad = 1 - o.data**2
    assert nodes["n"].grad == 1 - o.data**2
    nodes["n"]._backward()
    nodes["x1*w1 + x2*w2"]._backward()
    nodes["x2*w2"]._backward()
    nodes["x1*w1"]._backward()
    nodes["x1"]._backward()  # a leaf: nothing to pass on
    for name, g in expected_neuron_grads().items():
        assert nodes[name].grad == pytest.approx(g, rel=1e-15, abs=1e-15), name
    assert gc_cycles_after(lambda: lecture_neuron()["o"]._backward()) == 0


def gc_cycles_after(f: object) -> int:
    import gc

    gc.collect()
    gc.disable()
    try:
        f()  # type: ignore[operator]
        return gc.collect()
    finally:
        gc.enable()


def test_backward_over_the_lectures_build_topo_matches_backward() -> None:
    by_hand = lecture_neuron()
    by_hand["o"].grad = 1.0
    for node in reversed(build_topo(by_hand["o"])):
        node._backward()
    automatic = lecture_neuron()
    automatic["o"].backward()
    for name, node in by_hand.items():
        assert node.grad == automatic[name].grad, name
    assert [v.label for v in build_topo(by_hand["o"])][-1] == "o"


def test_a_node_used_twice_accumulates_as_the_lecture_fixes_it() -> None:
    a = Value(3.0, label="a")
    b = a + a  # the lecture's bug: a gradient set with = instead of += loses one path
    b.backward()
    assert a.grad == 2.0
    c = Value(3.0)
    d = c + c
    d.grad = 1.0
    d._backward()
    d._backward()  # stepping twice adds twice, as micrograd's += does
    assert c.grad == 4.0


def test_nudging_the_leaves_along_the_gradient_as_in_the_lecture() -> None:
    def forward(V: type, values: dict[str, float]) -> tuple[dict[str, object], object]:
        leaves = {k: V(v) for k, v in values.items()}
        e = leaves["a"] * leaves["b"]
        d = e + leaves["c"]
        L = d * leaves["f"]
        return leaves, L

    start = {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}
    for V in (Value, micrograd.engine.Value):
        leaves, L = forward(V, start)
        L.backward()  # type: ignore[attr-defined]
        for leaf in leaves.values():
            leaf.data += 0.01 * leaf.grad  # type: ignore[attr-defined]
        nudged = forward(V, {k: v.data for k, v in leaves.items()})[1]  # type: ignore[attr-defined]
        if V is Value:
            ours = (L.data, nudged.data)  # type: ignore[attr-defined]
        else:
            theirs = (L.data, nudged.data)  # type: ignore[attr-defined]
    assert ours == theirs and ours[1] > ours[0]  # the lecture's -8.0 -> about -7.29


# -- the lecture's drawing ------------------------------------------------------------------


def trace(root: object) -> tuple[set[object], set[tuple[object, object]]]:
    """The lecture's trace: every node and every (child, parent) edge, through ``_prev``."""
    nodes: set[object] = set()
    edges: set[tuple[object, object]] = set()

    def build(v: object) -> None:
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:  # type: ignore[attr-defined]
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root: object):  # type: ignore[no-untyped-def]
    """The lecture's draw_dot: a record per Value (label | data | grad), a node per op."""
    from graphviz import Digraph

    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        # the lecture's own %-format
        label = "{ %s | data %.4f | grad %.4f }" % (n.label, n.data, n.grad)  # type: ignore[attr-defined]  # noqa: UP031
        dot.node(name=uid, label=label, shape="record")
        if n._op:  # type: ignore[attr-defined]
            dot.node(name=uid + n._op, label=n._op)  # type: ignore[attr-defined]
            dot.edge(uid + n._op, uid)  # type: ignore[attr-defined]
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)  # type: ignore[attr-defined]
    return dot


def test_the_lectures_draw_dot_draws_our_values() -> None:
    nodes = lecture_neuron()
    nodes["o"].backward()
    source = draw_dot(nodes["o"]).source
    records = re.findall(r'label="\{ ([^|]*) \| data (\S+) \| grad (\S+) \}"', source)
    assert sorted(label.strip() for label, _, _ in records) == sorted(nodes)
    expected = expected_neuron_grads()
    for label, data, grad in records:
        node = nodes[label.strip()]
        assert (float(data), float(grad)) == (round(node.data, 4), round(expected[node.label], 4))
    ops = re.findall(r'label="?([^"\s\]]+)"?\]', source)
    assert sorted(op for op in ops if not op.startswith("{")) == ["*", "*", "+", "+", "tanh"]


def test_the_same_drawing_of_micrograds_values_has_the_same_shape_for_plus_times_relu() -> None:
    def build(V: type) -> object:
        a, b = V(2.0), V(-3.0)
        return (a * b + a).relu() * b + 1

    ours, theirs = trace(build(Value)), trace(build(micrograd.engine.Value))
    assert (len(ours[0]), len(ours[1])) == (len(theirs[0]), len(theirs[1]))
    assert sorted(n._op for n in ours[0]) == sorted(n._op for n in theirs[0])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "expression, ours, micrograds",
    [
        (lambda a, b: a - b, 1, 2),  # micrograd: a + (b * -1)
        (lambda a, b: -a, 1, 1),  # micrograd: a * -1 (its constant -1 is a leaf)
        (lambda a, b: a / b, 1, 2),  # micrograd: a * b**-1
    ],
)
def test_sub_neg_and_div_are_one_node_each_where_micrograd_makes_more(
    expression, ours: int, micrograds: int
) -> None:
    def computed(V: type) -> list[str]:
        nodes, _ = trace(expression(V(3.0), V(2.0)))
        return sorted(n._op for n in nodes if n._op)  # type: ignore[attr-defined]

    assert len(computed(Value)) == ours and len(computed(micrograd.engine.Value)) == micrograds
    assert computed(Value) != computed(micrograd.engine.Value)  # the documented difference


# -- micrograd's way of adding an operation ---------------------------------------------------


def test_micrograds_closure_backward_is_refused_with_the_custom_op_line() -> None:
    x = Value(0.5)
    out = Value(math.tan(x.data), (x,), "tan")  # micrograd's way, step 1: works

    def _backward() -> None:
        x.grad += (1 + out.data**2) * out.grad

    with pytest.raises(TypeError, match=r"autograd\.custom_op") as info:
        out._backward = _backward  # step 2: refused
    line = next(t for t in str(info.value).splitlines() if "custom_op(" in t).strip()
    namespace: dict[str, object] = {"autograd": autograd}
    exec(line, namespace)  # the line the message shows makes a working op
    y = Value(0.5)
    namespace["softsign"](y).backward()  # type: ignore[operator]
    assert y.grad == pytest.approx(1 / 1.5**2, rel=1e-14)  # d/dx x/(1+|x|) = 1/(1+|x|)^2
    with pytest.raises(TypeError, match="custom_op"):
        out.backward()  # the hand-made node has no rule: the same advice


# -- comparisons and hashing ------------------------------------------------------------------


def test_comparisons_are_by_value_and_equality_is_identity() -> None:
    pairs = [(1.0, 2.0), (2.0, 1.0), (1.5, 1.5), (-0.0, 0.0), (math.inf, 1.0)]
    for x, y in pairs:
        for a, b in ((Value(x), Value(y)), (Value(x), y), (x, Value(y))):
            assert (a < b, a <= b, a > b, a >= b) == (x < y, x <= y, x > y, x >= y)  # type: ignore[operator]
    a = Value(1.0)
    assert a == a and Value(1.0) != Value(1.0)  # graph nodes: two Values are two nodes
    assert len({a, Value(1.0), a}) == 2
    assert max([Value(3.0), Value(-1.0), Value(7.0)], key=float).data == 7.0
    assert sorted([Value(3.0), Value(-1.0)])[0].data == -1.0


def test_a_function_may_branch_on_a_value_inside_grad() -> None:
    def f(x: Value) -> Value:
        return x * x if x > 0 else -x  # as in JAX and minitorch tests

    assert autograd.grad(f)(3.0) == 6.0
    assert autograd.grad(f)(-2.0) == -1.0


def test_comparing_with_a_non_number_names_the_comparison() -> None:
    with pytest.raises(TypeError, match="Value < expects a real number, got str"):
        _ = Value(1.0) < "2"  # type: ignore[operator]


def test_stepping_a_node_whose_grad_is_none_counts_it_as_zero() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    c.grad = None  # type: ignore[assignment]  # PyTorch's "no gradient yet"
    a.grad = None  # type: ignore[assignment]
    c._backward()
    assert (a.grad, b.grad) == (0.0, 0.0)
    c.grad = 1.0
    c._backward()
    assert (a.grad, b.grad) == (3.0, 2.0)  # d(ab)/da = b, d(ab)/db = a
