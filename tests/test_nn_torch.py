"""Losses and optimizers against PyTorch (float64), where PyTorch is installed (``make torch``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from nn import SGD, Adam, AdamW, bce_with_logits, cross_entropy, mse
from tests.programs import close

torch = pytest.importorskip("torch")
F = torch.nn.functional

logit = st.floats(-30, 30)


def tensor(xs: list[float]):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


def check(loss: Value, inputs: list[Value], ref, ref_leaf, abs_: float = 1e-15) -> None:
    loss.backward()
    ref.backward()
    assert close(loss.data, ref.item(), rel=1e-12, abs_=abs_)
    for v, g in zip(inputs, ref_leaf.grad.flatten().tolist(), strict=True):
        assert close(v.grad, g, rel=1e-11, abs_=1e-15)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(logit, st.floats(-5, 5)), min_size=1, max_size=6))
def test_mse(pairs: list[tuple[float, float]]) -> None:
    ps, ts = [Value(p) for p, _ in pairs], [t for _, t in pairs]
    ref_p = tensor([p for p, _ in pairs])
    check(mse(ps, ts), ps, F.mse_loss(ref_p, torch.tensor(ts, dtype=torch.float64)), ref_p)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(logit, st.floats(0, 1)), min_size=1, max_size=6))
def test_bce_with_logits(pairs: list[tuple[float, float]]) -> None:
    zs, ys = [Value(z) for z, _ in pairs], [y for _, y in pairs]
    ref_z = tensor([z for z, _ in pairs])
    ref = F.binary_cross_entropy_with_logits(ref_z, torch.tensor(ys, dtype=torch.float64))
    # PyTorch computes log(exp(-m) + exp(-z-m)) + m, which loses ~1e-16 * |z| absolute to
    # cancellation where the loss is tiny; softplus's log1p does not.
    check(bce_with_logits(zs, ys), zs, ref, ref_z, abs_=1e-14)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(2, 4), st.data())
def test_cross_entropy(n: int, k: int, data) -> None:
    rows = [data.draw(st.lists(logit, min_size=k, max_size=k)) for _ in range(n)]
    targets = [data.draw(st.integers(0, k - 1)) for _ in range(n)]
    zs = [[Value(z) for z in row] for row in rows]
    ref_z = tensor(rows)
    ref = F.cross_entropy(ref_z, torch.tensor(targets))
    check(cross_entropy(zs, targets), [z for row in zs for z in row], ref, ref_z)


OPTIMIZERS = {
    "sgd momentum": (
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.9),
    ),
    "sgd nesterov wd": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
        lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1),
    ),
    "sgd dampening": (
        lambda ps: SGD(ps, lr=0.1, momentum=0.5, dampening=0.3),
        lambda ts: torch.optim.SGD(ts, lr=0.1, momentum=0.5, dampening=0.3),
    ),
    "adam": (
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.05),
        lambda ts: torch.optim.Adam(ts, lr=0.01, weight_decay=0.05),
    ),
    "adamw": (
        lambda ps: AdamW(ps, lr=0.01, betas=(0.8, 0.99)),
        lambda ts: torch.optim.AdamW(ts, lr=0.01, betas=(0.8, 0.99)),
    ),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@settings(max_examples=10, deadline=None)
@given(
    start=st.lists(st.floats(-3, 3), min_size=3, max_size=3),
    grads=st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=1, max_size=6),
)
def test_optimizer_steps_match_torch(
    name: str, start: list[float], grads: list[list[float]]
) -> None:
    ours_type, torch_type = OPTIMIZERS[name]
    ps = [Value(x) for x in start]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    ours, theirs = ours_type(ps), torch_type(ts)
    for gs in grads:
        for p, t, g in zip(ps, ts, gs, strict=True):
            p.grad = g
            t.grad = torch.tensor(g, dtype=torch.float64)
        ours.step()
        theirs.step()
        for p, t in zip(ps, ts, strict=True):
            assert close(p.data, t.item(), rel=1e-12, abs_=1e-14)
