"""The Tensor API: creation, dtypes, attributes, conversion, devices and in-place ops."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne


def test_default_dtypes_follow_pytorch(device):
    assert ne.tensor([1.0, 2.0], device=device).dtype is ne.float32
    assert ne.tensor([1, 2], device=device).dtype is ne.int64
    assert ne.tensor([True], device=device).dtype is ne.bool
    assert ne.tensor(np.zeros(2), device=device).dtype is ne.float64  # numpy keeps its dtype
    assert ne.zeros(2, 3, device=device).dtype is ne.float32
    assert ne.arange(5, device=device).dtype is ne.int64
    assert ne.arange(0, 1, 0.25, device=device).dtype is ne.float32
    assert str(ne.float32).endswith("float32") and str(ne.int64).endswith("int64")


def test_creation_functions_take_shapes_as_varargs_or_tuples(device):
    assert ne.zeros(2, 3, device=device).shape == (2, 3)
    assert ne.ones((2, 3), device=device).shape == (2, 3)
    assert ne.full((2,), 7.0, device=device).tolist() == [7.0, 7.0]
    assert ne.eye(2, device=device).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert ne.randn(4, 5, device=device).shape == (4, 5)
    assert 0 <= ne.rand(100, device=device).min().item() < 1
    r = ne.randint(0, 3, (50,), device=device)
    assert r.dtype is ne.int64 and set(r.tolist()) <= {0, 1, 2}
    x = ne.randn(3, device=device)
    assert ne.zeros_like(x).shape == (3,) and ne.ones_like(x).tolist() == [1.0] * 3
    assert ne.randn_like(x, dtype=ne.float64).dtype is ne.float64


def test_manual_seed_gives_the_same_numbers_on_every_backend():
    ne.manual_seed(7)
    a = ne.randn(5).tolist()
    ne.manual_seed(7)
    b = ne.randn(5, device="torch:cpu").tolist()
    assert a == b


def test_attributes(device):
    x = ne.ones(2, 3, device=device, requires_grad=True)
    assert x.shape == (2, 3) and isinstance(x.shape, tuple) and x.shape.numel() == 6
    assert x.ndim == 2 and x.dim() == 2 and x.numel() == 6 and x.size(1) == 3
    assert x.size() == (2, 3) and x.T.shape == (3, 2)
    assert str(x.device) == "cpu" and x.requires_grad and x.is_leaf and x.grad is None
    assert x.nbytes == 24 and x.element_size() == 4
    assert isinstance(x.data, ne.Tensor) and not x.data.requires_grad


def test_conversion(device):
    x = ne.tensor([[1.5, 2.0]], device=device)
    assert x.tolist() == [[1.5, 2.0]]
    assert isinstance(x.numpy(), np.ndarray)
    assert x[0, 0].item() == 1.5 and float(x[0, 1]) == 2.0
    assert x.long().tolist() == [[1, 2]] and x.long().float().dtype is ne.float32
    assert x.double().dtype is ne.float64 and x.to(ne.float64).dtype is ne.float64
    assert x.to("float64").dtype is ne.float64
    assert x.clone().tolist() == x.tolist()
    assert x.detach().tolist() == x.tolist()
    y = ne.from_numpy(np.arange(3.0))
    assert y.dtype is ne.float64 and y.tolist() == [0.0, 1.0, 2.0]


def test_repr_looks_like_pytorch():
    assert repr(ne.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(ne.tensor(2.0, requires_grad=True)) == "tensor(2., requires_grad=True)"
    assert repr(ne.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ne.tensor([1.0], dtype=ne.float64)) == "tensor([1.], dtype=torch.float64)"
    assert repr(ne.tensor([0.09, 0.2447])) == "tensor([0.0900, 0.2447])"  # more: test_repr.py


def test_moving_between_backends_keeps_values_and_gradients():
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("torch:cpu")
    assert y.device.backend_name == "torch" and y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0] and x.grad.device is x.device
    back = ne.ones(2, device="torch:cpu").to("numpy")
    assert isinstance(back.array, np.ndarray)


def test_cpu_backend_can_be_switched():
    try:
        ne.set_cpu_backend("torch")
        x = ne.ones(2)
        assert isinstance(x.array, torch.Tensor) and str(x.device) == "cpu"
    finally:
        ne.set_cpu_backend("numpy")
    assert isinstance(ne.ones(2).array, np.ndarray)


def test_operators_take_python_scalars_on_either_side(device):
    x = ne.tensor([1.0, 2.0], device=device)
    assert (2 * x).tolist() == [2.0, 4.0] and (x * 2).tolist() == [2.0, 4.0]
    assert (1 - x).tolist() == [0.0, -1.0] and (x - 1).tolist() == [0.0, 1.0]
    assert (2 / x).tolist() == [2.0, 1.0] and (2**x).tolist() == [2.0, 4.0]
    assert (x**2).dtype is ne.float32 and (x * 2.5).dtype is ne.float32
    assert (-x).tolist() == [-1.0, -2.0] and abs(-x).tolist() == [1.0, 2.0]
    assert (np.float32(2) * x).tolist() == [2.0, 4.0]


def test_type_promotion_follows_pytorch(device):
    i = ne.tensor([1, 2], device=device)
    assert (i + 1).dtype is ne.int64
    assert (i * 1.5).dtype is ne.float32
    assert (i / 2).dtype is ne.float32 and (i / 2).tolist() == [0.5, 1.0]
    f64 = ne.tensor([1.0], dtype=ne.float64, device=device)
    assert (f64 + ne.tensor([1.0], device=device)).dtype is ne.float64
    assert (ne.tensor([1.0], device=device) + i[:1]).dtype is ne.float32
    assert (
        ne.ones(3, device=device) * ne.tensor(2.0, dtype=ne.float64, device=device)
    ).dtype is ne.float32  # a 0-d tensor does not promote a dimensioned one of its kind


def test_comparisons_give_bool_tensors(device):
    x = ne.tensor([1.0, 2.0, 3.0], device=device)
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == ne.tensor([1.0, 0.0, 3.0], device=device)).tolist() == [True, False, True]
    assert (x <= 2).dtype is ne.bool
    assert ((x > 1) & (x < 3)).tolist() == [False, True, False]
    assert (~(x > 1)).tolist() == [True, False, False]


def test_reductions_with_dim_and_keepdim(device):
    x = ne.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    assert x.sum().item() == 21.0
    assert x.sum(dim=0).tolist() == [5.0, 7.0, 9.0]
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert x.mean(dim=(0, 1)).item() == 3.5
    assert x.max().item() == 6.0 and x.min(dim=0)[0].tolist() == [1.0, 2.0, 3.0]
    assert x.argmax().item() == 5 and x.argmax(dim=1).tolist() == [2, 2]
    assert x.prod(dim=1).tolist() == [6.0, 120.0]
    np.testing.assert_allclose(x.var(dim=1).numpy(), [1.0, 1.0])
    np.testing.assert_allclose(x.std().item(), np.std(x.numpy(), ddof=1), rtol=1e-6)
    values, indices = x.topk(2)
    assert values.tolist() == [[3.0, 2.0], [6.0, 5.0]] and indices.tolist() == [[2, 1], [2, 1]]


def test_indexing_kinds(device):
    x = ne.arange(24, device=device).reshape(2, 3, 4)
    assert x[1].shape == (3, 4) and x[1, 2, 3].item() == 23
    assert x[:, 1:].shape == (2, 2, 4) and x[..., ::2].shape == (2, 3, 2)
    assert x[None, 0].shape == (1, 3, 4)
    assert x[x > 20].tolist() == [21, 22, 23]
    assert x[ne.tensor([1, 0], device=device)].shape == (2, 3, 4)
    assert x[0, [0, 2]].tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    assert x[1, -1, -1].item() == 23


def test_setitem_on_a_tensor_that_needs_no_grad(device):
    x = ne.zeros(2, 3, device=device)
    x[0, 1] = 5.0
    x[1] = ne.tensor([1.0, 2.0, 3.0], device=device)
    x[x > 2] = -1.0
    assert x.tolist() == [[0.0, -1.0, 0.0], [1.0, 2.0, -1.0]]


def test_in_place_ops_bump_the_version_and_keep_aliases(device):
    x = ne.ones(4, device=device)
    view = x[1:3]
    x.mul_(3)
    assert view.tolist() == [3.0, 3.0]
    assert x._version == 1 and view.version_counter is x.version_counter
    x.zero_()
    assert x.tolist() == [0.0] * 4
    x.fill_(2.0).add_(ne.ones(4, device=device), alpha=0.5)
    assert x.tolist() == [2.5] * 4
    with pytest.raises(ne.ShapeError, match="in-place op must keep"):
        ne.ones(3, device=device).add_(ne.ones(2, 3, device=device))


def test_free_functions(device):
    a = ne.tensor([[1.0, -2.0]], device=device)
    assert ne.exp(ne.zeros(1, device=device)).tolist() == [1.0]
    assert ne.relu(a).tolist() == [[1.0, 0.0]] and ne.abs(a).tolist() == [[1.0, 2.0]]
    assert ne.clamp(a, min=0).tolist() == [[1.0, 0.0]]
    assert ne.maximum(a, ne.zeros(1, 2, device=device)).tolist() == [[1.0, 0.0]]
    assert ne.cat([a, a]).shape == (2, 2) and ne.stack([a, a]).shape == (2, 1, 2)
    assert ne.where(a > 0, a, 0.0).tolist() == [[1.0, 0.0]]
    assert ne.matmul(a, a.T).item() == 5.0
    assert ne.argmax(a).item() == 0
    assert ne.allclose(a, a + 1e-9)


def test_shape_methods(device):
    x = ne.arange(6, device=device).float()
    assert x.view(2, 3).shape == (2, 3) and x.reshape(-1, 2).shape == (3, 2)
    assert x.reshape(1, 6, 1).squeeze().shape == (6,) and x.unsqueeze(0).shape == (1, 6)
    assert x.reshape(2, 3).transpose(0, 1).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert x.reshape(1, 2, 3).permute(2, 0, 1).shape == (3, 1, 2)
    assert x.reshape(2, 3, 1).flatten().shape == (6,)
    assert x.reshape(1, 6).expand(3, 6).shape == (3, 6)
    assert x.reshape(2, 3).expand(4, -1, -1).shape == (4, 2, 3)


def test_no_grad_works_as_a_decorator_and_is_thread_local():
    import threading

    seen = []

    def worker():
        seen.append(ne.is_grad_enabled())

    with ne.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == [True]


@pytest.mark.cuda
def test_cuda_round_trip():
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cuda")
    assert str(y.device) == "cuda:0" and y.is_cuda
    (y * y).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert ne.randn(64, 128, device="cuda").matmul(ne.randn(128, 4, device="cuda")).shape == (64, 4)


def test_any_and_all(device):
    x = ne.tensor([0.0, 2.0], device=device)
    assert (x > 1).any().item() is True and (x > 1).all().item() is False
    assert (x >= 0).all().item() is True
    assert (x > 1).any().device is x.device


@pytest.mark.parametrize("value", [np.float64(0.4), np.int32(3), np.float16(1), np.bool_(True)])
def test_a_numpy_scalar_keeps_its_dtype_as_in_pytorch(value):
    import torch

    assert ne.tensor(value).dtype.name == str(torch.tensor(value).dtype).removeprefix("torch.")


INDEX_KEYS = [
    "[1:]", "[1]", "[1, 2:]", "[1:, 2]", "[None, ..., 0]", "[0, None]", "[:, 1]", "[1, :]",
    "[:]", "[..., 1:]", "[::2]", "[...]", "[:, :]", "[1:, None]", "[None, 1:]", "[-1]",
    "[[0, 2]]", "[x > 0]",
]  # fmt: skip


@pytest.mark.parametrize("key", INDEX_KEYS)
def test_indexing_names_its_node_as_pytorch_does(key):
    """The name is that of the last step that does something: x[1, 2:] is a slice."""
    import torch

    names = []
    for x in (ne.randn(3, 4, requires_grad=True), torch.randn(3, 4, requires_grad=True)):
        node = eval(f"x{key}", {"x": x}).grad_fn  # noqa: S307 - the keys above
        names.append(node.name())  # torch names its nodes the same way
    assert names[0] == names[1]


AXIS_CALLS = [
    "x.sum(axis=1)", "x.mean(axis=1)", "x.max(axis=1)", "x.min(axis=0)", "x.argmax(axis=1)",
    "x.argmin(axis=1)", "x.prod(axis=1)", "x.squeeze(axis=0)", "x.unsqueeze(axis=0)",
    "m.cat([x, x], axis=1)", "m.stack([x, x], axis=1)", "x.softmax(axis=1)",
    "x.log_softmax(axis=1)", "x.topk(2, axis=1)", "x.sort(axis=0)", "x.median(axis=1)",
    "x.kthvalue(2, axis=1)", "x.mode(axis=1)", "x.size(axis=0)", "(x > 0).any(axis=1)",
    "(x > 0).all(axis=0)", "(x > 0).any(1, keepdim=True)", "m.sum(x, axis=1)", "m.max(x, axis=1)",
    "x.gather(axis=1, index=m.zeros(3, 1, dtype=m.int64))",
]  # fmt: skip


@pytest.mark.parametrize("call", AXIS_CALLS)
def test_axis_is_a_name_for_dim_where_pytorch_takes_it(call):
    import torch

    results = []
    for m in (ne, torch):
        x = m.tensor(np.arange(12.0).reshape(3, 4) % 5 - 2.0)
        result = eval(call, {"m": m, "x": x})  # noqa: S307 - the calls above
        parts = result if isinstance(result, tuple) else (result,)
        results.append([np.asarray(p if isinstance(p, int) else p.tolist()) for p in parts])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
