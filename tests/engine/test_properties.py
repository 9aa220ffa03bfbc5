"""Property tests: broadcasting and reductions agree with numpy and PyTorch on any shapes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbench.engine as ne

SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    elements = st.floats(-10, 10, width=32)
    a = draw(hnp.arrays(np.float32, shapes.input_shapes[0], elements=elements))
    b = draw(hnp.arrays(np.float32, shapes.input_shapes[1], elements=elements))
    return a, b


@SETTINGS
@given(broadcastable_pair(), st.sampled_from(["add", "sub", "mul", "maximum"]))
def test_broadcasting_matches_numpy_and_pytorch_values_and_gradients(pair, op):
    a_np, b_np = pair
    fns = {
        "add": lambda m, a, b: a + b,
        "sub": lambda m, a, b: a - b,
        "mul": lambda m, a, b: a * b,
        "maximum": lambda m, a, b: m.maximum(a, b),
    }
    a, b = (ne.tensor(v, requires_grad=True) for v in (a_np, b_np))
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (a_np, b_np))
    out, reference = fns[op](ne, a, b), fns[op](torch, ta, tb)
    expected = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum}
    np.testing.assert_array_equal(
        out.numpy() if not out.requires_grad else out.detach().numpy(), expected[op](a_np, b_np)
    )
    out.sum().backward()
    reference.sum().backward()
    assert a.grad.shape == a_np.shape and b.grad.shape == b_np.shape
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), atol=1e-5, rtol=1e-5)


@st.composite
def array_and_dims(draw):
    array = draw(
        hnp.arrays(
            np.float32,
            hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
            elements=st.floats(-10, 10, width=32),
        )
    )
    dims = draw(st.lists(st.integers(0, array.ndim - 1), unique=True, min_size=1))
    keepdim = draw(st.booleans())
    return array, tuple(dims), keepdim


@SETTINGS
@given(array_and_dims(), st.sampled_from(["sum", "mean"]))
def test_reductions_match_numpy_and_pytorch(case, op):
    array, dims, keepdim = case
    x = ne.tensor(array, requires_grad=True)
    t = torch.tensor(array, requires_grad=True)
    out = getattr(x, op)(dim=dims, keepdim=keepdim)
    reference = getattr(t, op)(dim=dims, keepdim=keepdim)
    expected = getattr(np, op)(array, axis=dims, keepdims=keepdim)
    assert out.shape == tuple(reference.shape) == expected.shape
    np.testing.assert_allclose(out.detach().numpy(), expected, atol=1e-5, rtol=1e-5)
    out.sum().backward()
    reference.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-6)


@SETTINGS
@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.floats(-50, 50, width=32),
    ),
    st.sampled_from(["max", "min"]),
)
def test_max_min_with_dim_match_pytorch(array, op):
    dim = array.ndim - 1
    values, indices = getattr(ne.tensor(array), op)(dim=dim)
    t_values, t_indices = getattr(torch.tensor(array), op)(dim=dim)
    np.testing.assert_array_equal(values.numpy(), t_values.numpy())
    np.testing.assert_array_equal(
        np.take_along_axis(array, indices.numpy()[..., None], dim)[..., 0], t_values.numpy()
    )


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
def test_softmax_rows_sum_to_one_for_huge_inputs(shape):
    x = ne.tensor(np.random.default_rng(0).uniform(-1e4, 1e4, size=shape).astype(np.float32))
    p = x.softmax(-1).numpy()
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(-1), 1.0, atol=1e-6)
