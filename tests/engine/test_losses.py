"""The losses of issue 12 against PyTorch: modules, reductions, weights, edge values and
errors (the op table checks values, gradients and float64 gradcheck)."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(4, 3)).astype(np.float32) * 3
TARGET = RNG.uniform(size=(4, 3)).astype(np.float32)
OTHER = RNG.normal(size=(4, 3)).astype(np.float32)


def _both(array):
    return ne.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)


def _check(ours, theirs, x, tx, target, tol=1e-5):
    out = ours(x, ne.tensor(target))
    reference = theirs(tx, torch.tensor(target))
    np.testing.assert_allclose(out.detach().numpy(), reference.detach().numpy(), rtol=tol, atol=tol)
    assert out.grad_fn.grad_name == type(reference.grad_fn).__name__
    out.sum().backward()
    reference.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


WEIGHT = np.array([0.5, 2.0, 1.0], np.float32)
MODULES = [
    ("BCEWithLogitsLoss", {}),
    ("BCEWithLogitsLoss", {"reduction": "sum"}),
    ("BCEWithLogitsLoss", {"reduction": "none", "pos_weight": WEIGHT}),
    ("BCEWithLogitsLoss", {"weight": WEIGHT, "pos_weight": WEIGHT[::-1].copy()}),
    ("L1Loss", {}),
    ("L1Loss", {"reduction": "none"}),
    ("SmoothL1Loss", {"beta": 0.5}),
    ("SmoothL1Loss", {"beta": 0.0, "reduction": "sum"}),
    ("HuberLoss", {"delta": 0.7}),
    ("HuberLoss", {"reduction": "none"}),
]


@pytest.mark.parametrize(("name", "kwargs"), MODULES, ids=[f"{n}{k}" for n, k in MODULES])
def test_loss_modules_match_torch(name, kwargs):
    ours_kw = {k: ne.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs_kw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    ours, theirs = getattr(nn, name)(**ours_kw), getattr(torch.nn, name)(**theirs_kw)
    assert repr(ours) == repr(theirs)
    assert list(dict(ours.state_dict())) == list(theirs.state_dict())
    x, tx = _both(LOGITS)
    target = TARGET if name.startswith("BCE") else OTHER
    _check(ours, theirs, x, tx, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_loss_with_weight_and_saturated_probabilities(reduction):
    p = np.array([[0.0, 0.3, 1.0], [0.9, 1e-30, 0.5]], np.float32)
    y = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.5]], np.float32)
    x, tx = _both(p)
    ours = nn.BCELoss(weight=ne.tensor(WEIGHT), reduction=reduction)
    theirs = torch.nn.BCELoss(weight=torch.tensor(WEIGHT), reduction=reduction)
    _check(ours, theirs, x, tx, y, tol=1e-4)  # each log is clamped to -100, as in PyTorch


def test_nll_loss_weight_and_ignore_index_as_torch():
    logp = torch.tensor(LOGITS).log_softmax(1).numpy()
    target = [0, 2, 1, 2]
    for kwargs in ({}, {"ignore_index": 2}, {"reduction": "sum"}, {"reduction": "none"}):
        x, tx = _both(logp)
        ours = nn.NLLLoss(weight=ne.tensor(WEIGHT), **kwargs)
        theirs = torch.nn.NLLLoss(weight=torch.tensor(WEIGHT), **kwargs)
        out = ours(x, ne.tensor(target))
        reference = theirs(tx, torch.tensor(target))
        np.testing.assert_allclose(out.detach().numpy(), reference.detach().numpy(), rtol=1e-5)
        out.sum().backward()
        reference.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-7)
    assert list(nn.NLLLoss(weight=ne.ones(3)).state_dict()) == ["weight"]
    one = nn.functional.nll_loss(ne.tensor(logp[0]), ne.tensor(1), weight=ne.tensor(WEIGHT))
    assert float(one) == pytest.approx(float(-logp[0, 1]))


def test_loss_errors_name_the_loss_the_values_and_a_fix():
    F = nn.functional
    with pytest.raises(RuntimeError, match=r"binary_cross_entropy.*between 0 and 1.*with_logits"):
        F.binary_cross_entropy(ne.tensor([0.5, 1.5]), ne.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits.*\(4, 1\).*\(4,\)"):
        F.binary_cross_entropy_with_logits(ne.ones(4, 1), ne.ones(4))
    with pytest.raises(ValueError):
        torch.nn.functional.binary_cross_entropy_with_logits(torch.ones(4, 1), torch.ones(4))
    with pytest.raises(IndexError, match=r"nll_loss: target 5.*0\.\.2"):
        F.nll_loss(ne.zeros(2, 3), ne.tensor([0, 5]), weight=ne.ones(3))
    with pytest.raises(RuntimeError, match="weight tensor should be defined"):
        F.nll_loss(ne.zeros(2, 3), ne.tensor([0, 1]), weight=ne.ones(4))
    with pytest.raises(ValueError, match="reduction"):
        F.huber_loss(ne.ones(2), ne.ones(2), reduction="avg")
    with pytest.raises(RuntimeError, match="delta"):
        F.huber_loss(ne.ones(2), ne.ones(2), delta=0.0)
    with pytest.warns(UserWarning, match="l1_loss.*target size"):
        F.l1_loss(ne.ones(3, 1), ne.ones(3))


def test_huber_loss_weight_as_torch():
    x, tx = _both(LOGITS)
    weight = np.broadcast_to(WEIGHT, LOGITS.shape).copy()
    out = nn.functional.huber_loss(x, ne.tensor(OTHER), weight=ne.tensor(weight))
    reference = torch.nn.functional.huber_loss(tx, torch.tensor(OTHER), weight=torch.tensor(weight))
    np.testing.assert_allclose(float(out), float(reference), rtol=1e-5)
    with pytest.raises(ValueError, match="same size"):
        nn.functional.huber_loss(x, ne.tensor(OTHER), weight=ne.tensor(WEIGHT))
