"""Making tensors: from data, filled, ranges, and random (one seedable stream, the same
numbers on every backend)."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .backends import Device
from .backends import device as parse_device
from .tensor import Tensor, _shape_args

_generator = [np.random.default_rng(0)]


def manual_seed(seed: int) -> None:
    """Seed the engine's random numbers (the same stream on every backend)."""
    _generator[0] = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    return _generator[0]


def _creation_device(device) -> Device:
    return parse_device("cpu" if device is None else device)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor from a number, a (nested) list, a numpy array or a Tensor."""
    target = _creation_device(device)
    if isinstance(data, Tensor):
        data = data.device.backend.to_numpy(data.array)
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        data = data.detach().cpu().numpy()
    array = np.array(data)
    if array.dtype == object:
        raise TypeError(f"tensor: could not make a tensor from {type(data).__name__}")
    if dtype is not None:
        kind = dtypes.from_any(dtype)
    elif isinstance(data, np.ndarray):
        kind = dtypes.from_any(array.dtype)  # numpy data keeps its dtype, as in PyTorch
    else:
        kind = _default_dtype(array)
    out = Tensor._make(target.backend.from_numpy(array.astype(kind.numpy)), target)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _default_dtype(array: np.ndarray) -> dtypes.DType:
    """Python data: floats become float32, ints int64, bools bool (PyTorch's defaults)."""
    if array.dtype.kind == "f":
        return dtypes.float32
    if array.dtype.kind == "b":
        return dtypes.bool_
    if array.dtype.kind in "iu":
        return dtypes.int64
    raise TypeError(f"tensor: unsupported data of numpy dtype {array.dtype}")


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (numpy backend), keeping its dtype."""
    kind = dtypes.from_any(array.dtype)
    if kind.numpy != array.dtype:
        array = array.astype(kind.numpy)
    device = parse_device("numpy")
    return Tensor._make(array, device)


def _filled(fill, shape, dtype, device, requires_grad) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    out = Tensor._make(fill(target.backend, _shape_args(shape), kind), target)
    return out.requires_grad_(True) if requires_grad else out


def zeros(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(lambda xp, s, d: xp.zeros(s, d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(lambda xp, s, d: xp.ones(s, d), shape, dtype, device, requires_grad)


def full(shape, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.from_any(type(fill_value)) if not isinstance(fill_value, float) else None
    return _filled(
        lambda xp, s, d: xp.full(s, fill_value, d), (shape,), dtype, device, requires_grad
    )


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def full_like(t: Tensor, fill_value, dtype=None, device=None) -> Tensor:
    return full(tuple(t.shape), fill_value, dtype=dtype or t.dtype, device=device or t.device)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.float32 if is_float else dtypes.int64
    target = _creation_device(device)
    kind = dtypes.from_any(dtype)
    out = Tensor._make(target.backend.arange(start, end, step, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    out = Tensor._make(target.backend.eye(n, m if m is not None else n, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def _random(sample, shape, dtype, device, requires_grad) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    values = sample(_generator[0], _shape_args(shape)).astype(kind.numpy)
    out = Tensor._make(target.backend.from_numpy(values), target)
    return out.requires_grad_(True) if requires_grad else out


def randn(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random(lambda g, s: g.standard_normal(s), shape, dtype, device, requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random(lambda g, s: g.random(s), shape, dtype, device, requires_grad)


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    kind = dtype if dtype is not None else dtypes.int64
    return _random(lambda g, s: g.integers(low, high, s), (size,), kind, device, False)


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def rand_like(t: Tensor, dtype=None, device=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device)


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    x = a.device.backend.to_numpy(a.array)
    y = b.device.backend.to_numpy(b.array) if isinstance(b, Tensor) else np.asarray(b)
    return bool(np.allclose(x, y, rtol=rtol, atol=atol))
