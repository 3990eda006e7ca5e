"""The engine against PyTorch (float64), where PyTorch is installed (``make torch``)."""

from __future__ import annotations

import pytest

from autograd import Value
from autograd.extend import OPS
from tests.programs import close, torch_backend
from tests.test_engine import BINARY_OPS, UNARY_OPS, kink_free

torch = pytest.importorskip("torch")

SAMPLES = [i / 10 for i in range(11)]


def torch_unary(name: str):
    """PyTorch's spelling: the row's own (autograd.ops) or, for the extras, the same lambda."""
    if name in OPS:
        spelled = torch_backend().ops[name]
        return lambda x: spelled(x, c=OPS[name].constant)
    return {
        "square": lambda x: x**2,
        "inverse": lambda x: x**-1,
        "pow_half": lambda x: x**0.5,
        "radd": lambda x: 1.5 + x,
        "rsub": lambda x: 1.5 - x,
        "rmul": lambda x: 1.5 * x,
        "rdiv": lambda x: 1.5 / x,
    }[name]


@pytest.mark.parametrize("name", sorted(UNARY_OPS))
@pytest.mark.parametrize("u", SAMPLES)
def test_unary_op_against_torch(name: str, u: float) -> None:
    op, _, (lo, hi) = UNARY_OPS[name]
    x = lo + (hi - lo) * u
    if not kink_free(name, x):
        x += 0.01
    v = Value(x)
    out = op(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = torch_unary(name)(t)
    ref.backward()
    assert close(out.data, ref.item(), rel=1e-12, abs_=1e-14)
    assert close(v.grad, t.grad.item(), rel=1e-11, abs_=1e-14)


@pytest.mark.parametrize("name", sorted(BINARY_OPS))
@pytest.mark.parametrize("u", SAMPLES)
def test_binary_op_against_torch(name: str, u: float) -> None:
    op, (alo, ahi), (blo, bhi) = BINARY_OPS[name]
    x, y = alo + (ahi - alo) * u, blo + (bhi - blo) * (1 - u)
    a, b = Value(x), Value(y)
    out = op(a, b)
    out.backward()
    ta = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    ref = op(ta, tb)
    ref.backward()
    assert close(out.data, ref.item(), rel=1e-12, abs_=1e-14)
    assert close(a.grad, ta.grad.item(), rel=1e-11, abs_=1e-14)
    assert close(b.grad, tb.grad.item(), rel=1e-11, abs_=1e-14)
