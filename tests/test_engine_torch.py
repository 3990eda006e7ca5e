"""The operators with a number on either side against PyTorch (float64).

Each row of the table is checked against PyTorch once, in tests/test_ops.py."""

from __future__ import annotations

import pytest
import torch

from autograd import Value
from tests.programs import close
from tests.test_engine import WITH_A_NUMBER

SAMPLES = [i / 10 for i in range(11)]


#: The same functions in PyTorch.
THEIRS = {
    "square": lambda x: x**2,
    "inverse": lambda x: x**-1,
    "pow_half": lambda x: x**0.5,
    "radd": lambda x: 1.5 + x,
    "rsub": lambda x: 1.5 - x,
    "rmul": lambda x: 1.5 * x,
    "rdiv": lambda x: 1.5 / x,
}


@pytest.mark.parametrize("name", sorted(WITH_A_NUMBER))
@pytest.mark.parametrize("u", SAMPLES)
def test_an_operator_with_a_number_against_torch(name: str, u: float) -> None:
    op, _, (lo, hi) = WITH_A_NUMBER[name]
    x = lo + (hi - lo) * u
    v = Value(x)
    out = op(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = THEIRS[name](t)
    ref.backward()
    assert close(out.data, ref.item(), rel=1e-12, abs_=1e-14)
    assert close(v.grad, t.grad.item(), rel=1e-11, abs_=1e-14)
