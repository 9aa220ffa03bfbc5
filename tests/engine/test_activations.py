"""The activations of issue 12 and tril/triu against PyTorch: keywords, modules, printing,
edge values and errors (the op table checks values, gradients and float64 gradcheck)."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn

X = np.array([[-30.0, -2.0, -0.5, 0.0], [0.5, 2.0, 7.0, 30.0]], np.float32)

CASES = [
    ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}),
    ("silu", {}),
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.3}),
    ("elu", {}),
    ("elu", {"alpha": 0.5}),
    ("hardtanh", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 6.5}),
    ("relu6", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=[f"{n}{k}" for n, k in CASES])
def test_functional_values_grads_and_grad_fn(name, kwargs, device):
    x = ne.tensor(X, device=device, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    out = getattr(nn.functional, name)(x, **kwargs)
    reference = getattr(torch.nn.functional, name)(tx, **kwargs)
    np.testing.assert_allclose(out.detach().cpu().numpy(), reference.detach().numpy(), 1e-6, 1e-6)
    assert out.grad_fn.grad_name == type(reference.grad_fn).__name__
    out.sum().backward()
    reference.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), tx.grad.numpy(), 1e-6, 1e-6)


MODULES = [
    ("SiLU", ()),
    ("LeakyReLU", (0.2,)),
    ("ELU", (0.7,)),
    ("Softplus", (2.0, 10.0)),
    ("Hardtanh", (-0.5, 0.5)),
    ("ReLU6", ()),
    ("Tanh", ()),
    ("Sigmoid", ()),
    ("LeakyReLU", ()),
    ("ELU", ()),
    ("Softplus", ()),
    ("Hardtanh", ()),
]


@pytest.mark.parametrize(("name", "args"), MODULES, ids=[f"{n}{a}" for n, a in MODULES])
def test_modules_print_and_compute_as_torch(name, args):
    ours, theirs = getattr(nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    out = ours(ne.tensor(X))
    np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(X)).numpy(), 1e-6, 1e-6)


def test_inplace_flags_print_as_torch():
    for name in ("SiLU", "ReLU6"):
        assert repr(getattr(nn, name)(inplace=True)) == repr(getattr(torch.nn, name)(inplace=True))
    assert repr(nn.ELU(inplace=True)) == repr(torch.nn.ELU(inplace=True))


def test_activations_refuse_integer_input_and_bad_bounds():
    with pytest.raises(RuntimeError, match=r"silu.*x\.float\(\)"):
        nn.functional.silu(ne.tensor([1, 2]))
    with pytest.raises(ValueError, match="min_val"):
        nn.functional.hardtanh(ne.ones(2), 1.0, -1.0)


def test_softplus_is_stable_far_from_zero():
    """max(z, 0) + log(1 + exp(-|z|)): no overflow below the threshold (PyTorch's
    log1p(exp(z)) gives inf for z = 100 in float32, where the engine gives 200)."""
    x = ne.tensor([-200.0, 15.0, 200.0], requires_grad=True)
    out = nn.functional.softplus(x, beta=0.5, threshold=500.0)
    assert np.isfinite(out.detach().numpy()).all()
    np.testing.assert_allclose(out.detach().numpy(), [0.0, 15.001106, 200.0], rtol=1e-6, atol=1e-30)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.99944717, 1.0], rtol=1e-6, atol=1e-30)


TRIANGLES = [
    ((3, 4), 0),
    ((4, 3), 1),
    ((2, 3, 3), -1),
    ((2, 1, 2, 5), 2),
    ((3, 3), -5),
    ((0, 2), 0),
]


@pytest.mark.parametrize(("shape", "diagonal"), TRIANGLES, ids=[str(t) for t in TRIANGLES])
@pytest.mark.parametrize("name", ["tril", "triu"])
def test_tril_triu_as_torch(name, shape, diagonal, device):
    values = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    x = ne.tensor(values, device=device, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out = getattr(x, name)(diagonal)
    reference = getattr(tx, name)(diagonal)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), reference.detach().numpy())
    assert out.grad_fn.grad_name == type(reference.grad_fn).__name__
    g = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    (out * ne.tensor(g, device=device)).sum().backward()
    (reference * torch.tensor(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(
        getattr(ne, name)(x, diagonal=diagonal).detach().cpu().numpy(),
        getattr(torch, name)(tx, diagonal=diagonal).detach().numpy(),
    )


def test_tril_keeps_the_dtype_and_checks_its_input():
    for values in ([[1, 2], [3, 4]], [[True, True], [True, True]]):
        ours, theirs = ne.tensor(values).tril(), torch.tensor(values).tril()
        assert ours.tolist() == theirs.tolist() and ours.dtype.name == str(theirs.dtype)[6:]
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        ne.ones(3).tril()
    with pytest.raises(TypeError, match="diagonal"):
        ne.ones(3, 3).triu(1.5)
