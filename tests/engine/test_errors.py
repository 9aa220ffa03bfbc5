"""Bad input: each case with the error type it raises and what its message must say.

Every message names the op, the operands' shapes (and dtypes and devices), the rule,
and a way out; the text is the same on each backend.
"""

import pytest

import nnbench.engine as ne
from nnbench.engine import AutogradError, DeviceError, DTypeError, ShapeError


def _t(*shape, device="numpy", **kw):
    return ne.ones(*shape, device=device, **kw)


ERROR_CASES = [
    (
        "matmul_inner",
        lambda d: _t(2, 5, device=d) @ _t(3, 7, device=d),
        ShapeError,
        r"matmul: the inner dimensions differ: a's last dim is 5 and b's second-to-last "
        r"dim is 3 \(a is \(2, 5\), b is \(3, 7\)\)(.|\n)*a: shape \(2, 5\), float32"
        r"(.|\n)*Hint",
    ),
    (
        "matmul_vector",
        lambda d: _t(3, 4, device=d) @ _t(5, device=d),
        ShapeError,
        r"a's last dim is 4 and b's first dim is 5",
    ),
    (
        "matmul_scalar",
        lambda d: _t(device=d) @ _t(3, device=d),
        ShapeError,
        r"matmul: both operands need at least 1 dimension(.|\n)*use \*",
    ),
    (
        "matmul_batch",
        lambda d: _t(2, 3, 4, device=d) @ _t(5, 4, 2, device=d),
        ShapeError,
        r"matmul \(batch dims\): shapes \(2,\) and \(5,\) cannot be broadcast",
    ),
    (
        "add_broadcast",
        lambda d: _t(3, 4, device=d) + _t(5, device=d),
        ShapeError,
        r"add: shapes \(3, 4\) and \(5,\) cannot be broadcast together\.\n"
        r"Aligned from the right.*\n  a    3   4\n  b        5\n           \^\n"
        r"dimension -1 \(counting from the right\) has sizes 4 vs 5",
    ),
    (
        "mul_broadcast_middle",
        lambda d: _t(2, 3, 4, device=d) * _t(5, 1, device=d),
        ShapeError,
        r"mul: shapes \(2, 3, 4\) and \(5, 1\)(.|\n)*dimension -2 .* sizes 3 vs 5",
    ),
    (
        "where_broadcast",
        lambda d: ne.where(_t(3, device=d) > 0, _t(3, device=d), _t(4, device=d)),
        ShapeError,
        r"where: shapes \(3,\) and \(3,\) and \(4,\)",
    ),
    (
        "sum_dim",
        lambda d: _t(3, 4, device=d).sum(dim=2),
        ShapeError,
        r"sum: dim 2 is out of range for self: shape \(3, 4\).*dim in \[-2, 1\]",
    ),
    (
        "sum_dim_twice",
        lambda d: _t(3, 4, device=d).sum(dim=(1, -1)),
        ShapeError,
        r"sum: dim \(1, -1\) names a dimension twice",
    ),
    (
        "softmax_dim",
        lambda d: _t(3, device=d).softmax(1),
        ShapeError,
        r"softmax: dim 1 is out of range",
    ),
    (
        "reshape_count",
        lambda d: _t(2, 3, device=d).reshape(4, 2),
        ShapeError,
        r"reshape: shape \(4, 2\) has 8 elements but self: shape \(2, 3\).* has 6",
    ),
    (
        "reshape_infer",
        lambda d: _t(2, 3, device=d).reshape(-1, 4),
        ShapeError,
        r"reshape: shape \(-1, 4\) is invalid .* 6 is not divisible by 4",
    ),
    (
        "permute",
        lambda d: _t(2, 3, device=d).permute(0, 0),
        ShapeError,
        r"permute: dims \(0, 0\) must be a reordering of 0\.\.1",
    ),
    (
        "expand",
        lambda d: _t(2, 3, device=d).expand(4, 3),
        ShapeError,
        r"expand: .*cannot expand to \(4, 3\): dim 0 has size 2",
    ),
    (
        "index_bounds",
        lambda d: _t(3, device=d)[5],
        IndexError,
        r"getitem: index 5 is out of bounds for dim 0 with size 3.*-3\.\.2",
    ),
    (
        "index_too_many",
        lambda d: _t(3, device=d)[0, 1],
        IndexError,
        r"too many indices .* 2 given, 1 dims",
    ),
    (
        "index_tensor_bounds",
        lambda d: _t(3, device=d)[ne.tensor([0, 3], device=d)],
        IndexError,
        r"index 3 is out of bounds for dim 0 with size 3",
    ),
    (
        "index_float",
        lambda d: _t(3, device=d)[ne.tensor([0.0], device=d)],
        IndexError,
        r"index tensors must be int64 or bool, not float32",
    ),
    (
        "mask_shape",
        lambda d: _t(3, 4, device=d)[ne.ones(4, dtype=ne.bool, device=d)],
        IndexError,
        r"the mask of shape \(4,\) does not match dims 0\.\.0 .* shape \(3,\)",
    ),
    (
        "negative_step",
        lambda d: _t(3, device=d)[::-1],
        ValueError,
        r"slice step must be positive, got -1",
    ),
    (
        "gather_range",
        lambda d: _t(3, 4, device=d).gather(1, ne.tensor([[4]], device=d)),
        IndexError,
        r"gather: index 4 is out of range for dim 1 of size 4",
    ),
    (
        "gather_dtype",
        lambda d: _t(3, device=d).gather(0, ne.tensor([1.0], device=d)),
        DTypeError,
        r"gather: index must be an int64 tensor, got float32.*long\(\)",
    ),
    (
        "gather_ndim",
        lambda d: _t(3, 4, device=d).gather(1, ne.tensor([1], device=d)),
        ShapeError,
        r"gather: index must have as many dims as self",
    ),
    (
        "cat_shapes",
        lambda d: ne.cat([_t(2, 3, device=d), _t(2, 4, device=d)]),
        ShapeError,
        r"cat: sizes must match except in dim 0, but tensor 0 has shape \(2, 3\) and "
        r"tensor 1 has shape \(2, 4\)",
    ),
    (
        "stack_shapes",
        lambda d: ne.stack([_t(2, device=d), _t(3, device=d)]),
        ShapeError,
        r"stack: all tensors must have the same shape",
    ),
    ("topk_k", lambda d: _t(3, device=d).topk(4), ShapeError, r"topk: k=4 is out of range"),
    ("max_empty", lambda d: _t(0, device=d).max(), ShapeError, r"max: .*\(0,\).* is empty"),
    (
        "item_many",
        lambda d: _t(2, device=d).item(),
        ShapeError,
        r"item: only a tensor with one element",
    ),
    ("bool_many", lambda d: bool(_t(2, device=d)), ShapeError, r"ambiguous; use \.any\(\)"),
    (
        "masked_fill_dtype",
        lambda d: _t(3, device=d).masked_fill(_t(3, device=d), 0.0),
        DTypeError,
        r"masked_fill: the mask must be a bool tensor, but it is float32",
    ),
    (
        "masked_fill_shape",
        lambda d: _t(3, device=d).masked_fill(ne.ones(2, 3, dtype=ne.bool, device=d), 0.0),
        ShapeError,
        r"masked_fill \(the mask must broadcast to self's shape\)",
    ),
    (
        "requires_grad_int",
        lambda d: ne.tensor([1, 2], device=d, requires_grad=True),
        DTypeError,
        r"only floating point tensors can require gradients, but this one is int64",
    ),
    ("unknown_device", lambda d: _t(3, device=d).to("tpu"), DeviceError, r"unknown device 'tpu'"),
    ("bad_device", lambda d: ne.device("cuda:x"), DeviceError, r"unknown device 'cuda:x'"),
    (
        "unknown_dtype",
        lambda d: ne.zeros(3, dtype="complex64", device=d),
        TypeError,
        r"dtype complex64 is not supported.*float16, float32, float64, uint8, int8, int16, "
        r"int32, int64 and bool",
    ),
    (
        "backward_twice",
        lambda d: [y.backward() for y in [(_t(2, device=d, requires_grad=True) ** 2).sum()] * 2],
        AutogradError,
        r"second time",
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "error", "pattern"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_bad_input_raises_a_clear_error(name, make, error, pattern, device):
    with pytest.raises(error, match=pattern):
        make(device)


@pytest.mark.parametrize("case", ERROR_CASES[:6], ids=[c[0] for c in ERROR_CASES[:6]])
def test_the_message_is_the_same_on_every_backend(case):
    _, make, error, _ = case
    messages = []
    for device in ("numpy", "torch:cpu"):
        with pytest.raises(error) as caught:
            make(device)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_device_mismatch_names_both_backends():
    with pytest.raises(DeviceError, match=r"same device(.|\n)*numpy backend(.|\n)*torch backend"):
        _t(3) + _t(3, device="torch:cpu")


def test_cuda_without_cuda_says_why():
    if ne.cuda_status()[0]:
        pytest.skip("CUDA is available here")
    with pytest.raises(DeviceError, match=r"torch.cuda.is_available\(\) is False.*Stay on 'cpu'"):
        _t(3).to("cuda")


def test_errors_come_before_any_computation(monkeypatch):
    import nnbench.engine.ops as ops

    def boom(*args, **kwargs):
        raise AssertionError("the op ran")

    monkeypatch.setattr(ops.MatMul, "forward", boom)
    with pytest.raises(ShapeError):
        _t(2, 5) @ _t(3, 7)


def test_cuda_without_torch_says_torch_is_missing(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    available, why = ne.cuda_status()
    assert not available and "torch is not installed" in why
    with pytest.raises(DeviceError, match="torch is not installed"):
        _t(3).to("cuda")


@pytest.mark.parametrize("name", ["bfloat16", "complex64"])
def test_dtypes_the_engine_lacks_say_why(name):
    import nnbench.engine as engine

    with pytest.raises(AttributeError, match=f"no {name}: .*The dtypes are float16"):
        getattr(engine, name)
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        engine.no_such_name  # noqa: B018
