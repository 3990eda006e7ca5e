"""Higher-order gradients and the functional API against sympy and known results."""

from __future__ import annotations

import math
import pickle

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import (
    DomainError,
    GradcheckError,
    Value,
    custom_op,
    grad,
    gradcheck,
    gradients,
    hessian,
    no_grad,
    value_and_grad,
)
from tests.programs import close
from tests.test_engine import WITH_A_NUMBER, X


@pytest.mark.parametrize("name", sorted(WITH_A_NUMBER))
@settings(max_examples=15, deadline=None)
@given(u=st.floats(0.01, 0.99))
def test_second_and_third_derivatives_of_the_operators_with_a_number(name: str, u: float) -> None:
    op, symbolic, (lo, hi) = WITH_A_NUMBER[name]
    x = lo + (hi - lo) * u
    expr = symbolic(X)
    d1 = grad(op)
    d2 = grad(d1)
    d3 = grad(d2)
    for derivative, order in ((d1, 1), (d2, 2), (d3, 3)):
        expected = float(sp.diff(expr, X, order).subs(X, x))
        assert close(derivative(x), expected, rel=1e-9, abs_=1e-10), order


def test_rosenbrock_hessian_at_its_minimum() -> None:
    def rosenbrock(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    assert hessian(rosenbrock)(1.0, 1.0) == [[802.0, -400.0], [-400.0, 200.0]]
    assert grad(rosenbrock, (0, 1))(1.0, 1.0) == (0.0, 0.0)


@settings(max_examples=30, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            st.lists(st.lists(st.integers(-5, 5), min_size=n, max_size=n), min_size=n, max_size=n),
            st.lists(st.floats(-3, 3), min_size=n, max_size=n),
        )
    )
)
def test_the_hessian_of_a_quadratic_form_is_its_symmetric_part(case) -> None:
    a, point = case
    n = len(point)

    def quadratic(*x):
        return autograd.sum(a[i][j] * x[i] * x[j] for i in range(n) for j in range(n))

    h = hessian(quadratic)(*point)
    assert h == [[float(a[i][j] + a[j][i]) for j in range(n)] for i in range(n)]


@settings(max_examples=50, deadline=None)
@given(st.floats(-10, 10))
def test_second_derivative_of_sin_is_minus_sin(x: float) -> None:
    assert close(grad(grad(Value.sin))(x), -math.sin(x), rel=1e-12, abs_=1e-15)


def test_nested_transforms_differentiate_only_their_own_argument() -> None:
    # d/dx [d/dy (x*y) at y = x] = d/dx x = 1; confusing the two variables would give 2.
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0


def test_value_and_grad_and_argnums() -> None:
    def f(x, y, z):
        return x * y + z.exp()

    value, (dx, dz) = value_and_grad(f, argnums=(0, -1))(2.0, 3.0, 0.0)
    assert (value, dx, dz) == (7.0, 3.0, 1.0)
    assert grad(lambda x: 5.0)(1.0) == 0.0  # a constant function
    with pytest.raises(ValueError, match="argnums 3 is out of range for 3 arguments"):
        grad(f, 3)(1.0, 2.0, 3.0)
    with pytest.raises(TypeError, match="must be real numbers, got str"):
        grad(f)("1", 2.0, 3.0)


def test_gradients_leaves_grad_untouched_and_handles_unused_inputs() -> None:
    x, y, unused = Value(2.0), Value(3.0), Value(4.0)
    out = x * y + x
    assert gradients(out, [x, y, unused]) == (4.0, 2.0, 0.0)
    assert (x.grad, y.grad, out.grad) == (0.0, 0.0, 0.0)
    assert gradients(out, x, grad_output=2.0) == (8.0,)
    with pytest.raises(TypeError, match="inputs must be Values, got float"):
        gradients(out, [1.0])


def test_create_graph_gives_differentiable_gradients_like_pytorch() -> None:
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    (dx,) = gradients(x.grad, [x])
    assert dx == 12.0  # d/dx 3x^2 = 6x
    x.grad.backward()  # accumulates into x.grad as PyTorch does: 12 + 12
    assert float(x.grad) == 24.0


def test_create_graph_under_no_grad_still_records_the_gradient_like_pytorch() -> None:
    x = Value(2.0)
    y = x**3
    with no_grad():
        (g,) = gradients(y, [x], create_graph=True)
        y.backward(create_graph=True)
    assert g.data == 12.0 and gradients(g, [x]) == (12.0,)  # 6x, through g's graph
    assert gradients(x.grad, [x]) == (12.0,)


def test_transforms_differentiate_under_no_grad_like_torch_func() -> None:
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert value_and_grad(lambda x: x * x)(3.0) == (9.0, 6.0)
        assert hessian(lambda x, y: x * x * y)(3.0, 2.0) == [[4.0, 6.0], [6.0, 0.0]]
        assert Value(1.0)._prev == () and (Value(1.0) * 2)._prev == ()  # still off outside


def test_higher_order_through_an_infinite_derivative_is_an_error() -> None:
    assert grad(Value.sqrt)(0.0) == math.inf  # first order: the limit
    with pytest.raises(DomainError, match="sqrt: its derivative is infinite at"):
        grad(grad(Value.sqrt))(0.0)
    with pytest.raises(DomainError, match=r"\*\*: its derivative is infinite at \(0.0, 0.5\)"):
        grad(grad(lambda x: x**0.5))(0.0)
    x, n = Value(0.0), Value(0.0)
    (x**n).backward(create_graph=True)  # 0 ** n at n = 0: flat in x, as PyTorch
    assert (float(x.grad), float(n.grad)) == (0.0, 0.0)


def test_first_order_gradients_are_floats() -> None:
    x = Value(2.0)
    (x * x).backward()
    assert type(x.grad) is float
    assert type(grad(Value.exp)(0.0)) is float


def test_gradcheck_passes_a_right_op_and_names_the_input_a_wrong_one_gets_wrong() -> None:
    softsign = custom_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
    wrong = custom_op("wrong_mul", lambda x, y: x * y, lambda x, y: y, lambda x, y: 2 * x)
    assert gradcheck(softsign, 0.7)
    assert gradcheck(lambda x, y: softsign(x * y), -1.3, 0.4)
    with pytest.raises(GradcheckError, match=r"input 1 \(= 3.0\): analytic 4.0, numerical 2.0"):
        gradcheck(wrong, 2.0, 3.0)
    assert gradcheck(wrong, 2.0, 3.0, raise_exception=False) is False


def test_custom_ops_have_higher_order_gradients() -> None:
    softsign = custom_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
    expr = X / (1 + X)  # softsign for x > 0
    for x in (0.3, 1.0, 4.0):
        assert close(grad(softsign)(x), float(sp.diff(expr, X).subs(X, x)), rel=1e-12)
        assert close(grad(grad(softsign))(x), float(sp.diff(expr, X, 2).subs(X, x)), rel=1e-12)
    node = softsign(Value(1.0))
    assert node._op == "softsign" and len(node._prev) == 1


def test_custom_op_checks_its_arity() -> None:
    softsign = custom_op("softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
    with pytest.raises(TypeError, match="softsign: takes 1 argument"):
        softsign(1.0, 2.0)
    with pytest.raises(TypeError, match="give one derivative per input"):
        custom_op("nothing", lambda x: x)


def test_inner_transforms_keep_the_graph_of_closed_over_and_undifferentiated_values() -> None:
    # d/dx [d/dy x*y] = d/dx x = 1, with x reaching the inner function by closure
    assert grad(lambda x: grad(lambda y: x * y)(1.0))(3.0) == 1.0
    # d/dy [d/dx x^y] at y = 0 is 1/x: the inner grad gets y as an argument it keeps fixed
    assert close(grad(grad(lambda x, y: x**y, 0), 1)(2.0, 0.0), 0.5, rel=1e-15)


def test_fused_ops_have_second_derivatives() -> None:
    def f(w, x, b):  # b + w*x + x*w + b*b  (dot, then sum)
        return autograd.sum([autograd.dot([w, x], [x, w], b), b * b])

    assert hessian(f)(1.5, -2.0, 0.5) == [[0.0, 2.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 2.0]]


def test_mixed_second_derivative_of_a_power_at_exponent_zero() -> None:
    # d/db d/da a^b = a^(b-1) (1 + b log a), 0.5 at a = 2, b = 0. (PyTorch 2.13 gives 0 here.)
    assert grad(grad(lambda a, b: a**b, 0), 1)(2.0, 0.0) == 0.5


def test_transforms_of_value_arguments_return_values_with_graphs_like_create_graph() -> None:
    # f = x^3 sin x: f' and f'' from sympy, the reference
    expr = X**3 * sp.sin(X)
    at = 0.7
    d1, d2 = (float(sp.diff(expr, X, n).subs(X, at)) for n in (1, 2))

    def f(x: Value) -> Value:
        return x**3 * x.sin()

    p = Value(at)
    slope = grad(f)(p)
    assert isinstance(slope, Value) and close(slope.data, d1, rel=1e-12)
    slope.backward()  # differentiates f' with respect to p: f''
    assert close(float(p.grad), d2, rel=1e-12)
    assert gradcheck(grad(f), at)  # f'' analytic against central differences of f'
    q = Value(at)
    value, dx = value_and_grad(f)(q)
    assert isinstance(value, Value) and close(value.data, float(expr.subs(X, at)), rel=1e-12)
    (dvalue,), (ddx,) = gradients(value, [q]), gradients(dx, [q])
    assert close(dvalue, d1, rel=1e-12) and close(ddx, d2, rel=1e-12)
    # a derivative that does not depend on the argument is a Value too (a constant)
    assert isinstance(grad(lambda x: 3 * x)(Value(1.0)), Value)
    assert isinstance(grad(lambda x: 5.0)(Value(1.0)), Value)
    # floats in, floats out, as before
    assert type(grad(f)(at)) is float and type(value_and_grad(f)(at)[0]) is float


def test_transforms_pass_keyword_arguments_through() -> None:
    assert grad(lambda x, s=1.0: s * x)(2.0, s=3.0) == 3.0
    assert value_and_grad(lambda x, s=1.0: s * x * x)(2.0, s=3.0) == (12.0, 12.0)
    assert hessian(lambda x, y, s=1.0: s * x * y)(2.0, 5.0, s=3.0) == [[0.0, 3.0], [3.0, 0.0]]
    s = Value(3.0)  # a Value keyword: the derivative s is a Value, differentiable in s
    ds = grad(lambda x, s: s * x * x)(2.0, s=s)
    assert isinstance(ds, Value) and ds.data == 12.0
    assert gradients(ds, [s]) == (4.0,)  # d/ds (2 s x) at x = 2


def test_a_function_that_returns_neither_a_value_nor_a_number_is_a_type_error() -> None:
    with pytest.raises(
        TypeError,
        match=r"^grad: the function must return a Value or a real "
        r"number, got bool True$",
    ):
        grad(lambda x: x > 0)(1.0)
    with pytest.raises(TypeError, match=r"^value_and_grad: .* got str 'x'$"):
        value_and_grad(lambda x: "x")(1.0)
    with pytest.raises(TypeError, match=r"^hessian: .* got list \[1, 2\]$"):
        hessian(lambda x: [1, 2])(1.0)


def _softsign(x: Value) -> Value:
    return x / (1 + abs(x))


def _softsign_slope(x: Value) -> Value:
    return 1 / (1 + abs(x)) ** 2


# Made of module-level functions, so pickle can find them by name.
SOFTSIGN = custom_op("softsign", _softsign, _softsign_slope)


def test_a_graph_with_a_custom_op_pickles_when_its_functions_do() -> None:
    expr = 3 * X / (1 + 3 * X) + X**2  # softsign(3x) + x^2 for x > 0, the reference
    x = Value(0.5)
    copy_x, copy_y = pickle.loads(pickle.dumps((x, SOFTSIGN(x * 3) + x * x)))
    copy_y.backward()
    assert close(copy_y.data, float(expr.subs(X, 0.5)), rel=1e-15)
    assert close(float(copy_x.grad), float(sp.diff(expr, X).subs(X, 0.5)), rel=1e-12)
    again = pickle.loads(pickle.dumps(SOFTSIGN))  # the operation itself, higher orders too
    softsign = X / (1 + X)
    assert close(grad(grad(again))(0.5), float(sp.diff(softsign, X, 2).subs(X, 0.5)), rel=1e-12)


def test_pickling_a_custom_op_of_lambdas_names_the_op_and_says_why() -> None:
    cube = custom_op("cube", lambda x: x * x * x, lambda x: 3 * x * x)
    graph = cube(Value(2.0)) + 1
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(graph)
    lambda_name = "test_pickling_a_custom_op_of_lambdas_names_the_op_and_says_why.<locals>.<lambda>"
    assert str(info.value).startswith(
        f"custom_op 'cube': its forward ({lambda_name}) cannot be pickled ("
    )
    assert "define its functions with def at a module's top level" in str(info.value)
    good_forward = custom_op("cube", _softsign, lambda x: 3 * x * x)
    with pytest.raises(pickle.PicklingError) as info:
        pickle.dumps(good_forward)
    assert str(info.value).startswith(f"custom_op 'cube': its derivative 0 ({lambda_name})")


# -- the fused n-ary operations: autograd.sum and autograd.dot --------------------------------


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=1, max_size=6), st.floats(-3, 3))
def test_fused_dot_and_sum_against_sympy(values: list[float], bias: float) -> None:
    n = len(values)
    ws = [Value(0.5 * (i + 1) - 1.0) for i in range(n)]
    xs = [Value(v) for v in values]
    b = Value(bias)
    out = autograd.sum([autograd.dot(ws, xs, b).tanh(), *xs], start=ws[0])
    out.backward()

    sw, sx, sb = sp.symbols(f"w:{n}"), sp.symbols(f"x:{n}"), sp.Symbol("b")
    expr = sp.tanh(sb + sum(w * x for w, x in zip(sw, sx, strict=True))) + sum(sx) + sw[0]
    at = {
        **dict(zip(sw, [w.data for w in ws], strict=True)),
        **dict(zip(sx, values, strict=True)),
        sb: bias,
    }
    assert close(out.data, float(expr.subs(at)), rel=1e-12)
    for sym, node in [*zip(sw, ws, strict=True), *zip(sx, xs, strict=True), (sb, b)]:
        assert close(node.grad, float(sp.diff(expr, sym).subs(at)), rel=1e-10, abs_=1e-12)


def test_fused_dot_sums_in_micrograds_order() -> None:
    ws = [Value(w) for w in (0.1, 0.7, -0.3, 1e-17)]
    xs = [Value(x) for x in (0.3, 0.2, 0.9, 1.0)]
    b = Value(1.0)
    elementwise = b
    for w, x in zip(ws, xs, strict=True):
        elementwise = elementwise + w * x
    assert autograd.dot(ws, xs, b).data == elementwise.data  # bit for bit


def test_fused_dot_of_values_with_the_default_bias_checks_no_operand_but_the_bias(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default bias is the number 0.0: it alone is lifted to a Value, and the Values
    of weights and inputs go through unchecked (lifting each one doubled a dot's cost)."""
    import autograd.functional as functional

    lifted: list[object] = []
    as_value = functional.as_value
    monkeypatch.setattr(
        functional, "as_value", lambda x, where: lifted.append(x) or as_value(x, where)
    )
    ws, xs = [Value(0.5), Value(-2.0)], [Value(3.0), Value(0.25)]
    out = autograd.dot(ws, xs)
    assert lifted == [0.0]
    assert out.data == 0.0 + 0.5 * 3.0 + -2.0 * 0.25
    out.backward()
    assert [w.grad for w in ws] == [3.0, 0.25] and [x.grad for x in xs] == [0.5, -2.0]
    autograd.dot([0.5, ws[1]], xs)  # a number among them: every operand is checked
    assert len(lifted) == 1 + 1 + 4


def test_fused_dot_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        autograd.dot([1.0, 2.0], [1.0, 2.0, 3.0])


# -- bad input ------------------------------------------------------------------------------


def test_repeated_argnums_give_each_position_its_gradient() -> None:
    assert grad(lambda x: x * x, argnums=(0, 0))(3.0) == (6.0, 6.0)
    assert grad(lambda x, y: x * y, argnums=(0, -2))(3.0, 2.0) == (2.0, 2.0)
    value, grads = value_and_grad(lambda x, y: x * y * y, argnums=(1, 0, 1))(3.0, 2.0)
    assert value == 12.0 and grads == (12.0, 4.0, 12.0)
    # d2(x^3)/dx2 = 6x everywhere in the matrix
    assert hessian(lambda x: x * x * x, argnums=(0, 0))(2.0) == [[12.0, 12.0], [12.0, 12.0]]


def test_a_float_only_derivative_is_refused_where_it_would_give_a_wrong_second_derivative() -> None:
    bad_sin = custom_op("bad_sin", lambda x: x.sin(), lambda x: math.cos(x.data))
    assert gradcheck(bad_sin, 0.5)  # first order is right
    with pytest.raises(TypeError, match=r"derivative 0 returned float .* when given Values"):
        grad(grad(bad_sin))(0.5)
    good_sin = custom_op("good_sin", lambda x: x.sin(), lambda x: x.cos())
    assert grad(grad(good_sin))(0.5) == pytest.approx(-math.sin(0.5))
    line = custom_op("line", lambda x: 3 * x, lambda x: Value(3.0))  # a constant, as told
    assert grad(grad(line))(0.5) == 0.0


def test_gradcheck_under_no_grad_checks_the_function() -> None:
    with no_grad():
        assert gradcheck(lambda x: x * x * x, 1.0)


# -- leaky_relu as a function (as torch.nn.functional.leaky_relu) ------------------------------


@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
@pytest.mark.parametrize("x", [-2.5, -0.3, 0.4, 3.0])
def test_leaky_relu_function_against_finite_differences_and_torch(x: float, slope: float) -> None:
    import torch

    assert autograd.leaky_relu(x, slope) == (x if x > 0 else slope * x)
    assert type(autograd.leaky_relu(x, slope)) is float
    v = Value(x)
    out = autograd.leaky_relu(v, slope)
    assert out._op == "leaky_relu" and out._prev == (v,)
    out.backward()
    h = 1e-6
    numerical = (autograd.leaky_relu(x + h, slope) - autograd.leaky_relu(x - h, slope)) / (2 * h)
    assert close(v.grad, numerical, rel=1e-6, abs_=1e-9)
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.leaky_relu(t, slope)
    ref.backward()
    assert close(out.data, ref.item(), rel=1e-15, abs_=0.0)
    assert close(v.grad, t.grad.item(), rel=1e-15, abs_=0.0)
    assert grad(lambda a: autograd.leaky_relu(a, slope))(x) == v.grad


def test_leaky_relu_function_default_slope_and_bad_input() -> None:
    assert autograd.leaky_relu(-1.0) == -0.01 == Value(-1.0).leaky_relu().data
    with pytest.raises(TypeError, match="leaky_relu expects Values or real numbers, got str"):
        autograd.leaky_relu("1")  # type: ignore[call-overload]
    with pytest.raises(TypeError, match=r"leaky_relu\(negative_slope\) expects a real number"):
        autograd.leaky_relu(1.0, "0.1")  # type: ignore[arg-type]
    assert pickle.loads(pickle.dumps(autograd.leaky_relu)) is autograd.leaky_relu
