"""Making tensors: from data, filled, ranges, and random (one seedable stream, the same
numbers on every backend)."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .backends import Device
from .backends import device as parse_device
from .checks import shape_args
from .convert import as_array, numpy_array
from .errors import ArgumentError, shape_str
from .tensor import Tensor

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
    out = Tensor.wrap(target.backend.from_numpy(as_array(data, dtype)), target)
    if requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (numpy backend), keeping its dtype."""
    return Tensor.wrap(numpy_array(array), parse_device("numpy"))


def _sizes(op: str, shape) -> tuple:
    """A creation shape: ints, none negative (numpy's own error names neither op nor size)."""
    sizes = shape_args(shape)
    if any(n < 0 for n in sizes):
        raise ArgumentError(
            f"{op}: trying to create a tensor with a negative size: shape "
            f"{shape_str(sizes)}; every size must be 0 or more"
        )
    return sizes


def _filled(fill, shape, dtype, device, requires_grad, op="zeros") -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    out = Tensor.wrap(fill(target.backend, _sizes(op, shape), kind), target)
    return out.requires_grad_(True) if requires_grad else out


def zeros(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(lambda xp, s, d: xp.zeros(s, d), shape, dtype, device, requires_grad)


def ones(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _filled(lambda xp, s, d: xp.ones(s, d), shape, dtype, device, requires_grad, "ones")


def full(shape, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.from_any(type(fill_value)) if not isinstance(fill_value, float) else None
    return _filled(
        lambda xp, s, d: xp.full(s, fill_value, d), (shape,), dtype, device, requires_grad, "full"
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
    _check_range(start, end, step)
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.float32 if is_float else dtypes.int64
    target = _creation_device(device)
    kind = dtypes.from_any(dtype)
    out = Tensor.wrap(target.backend.arange(start, end, step, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def _check_range(start, end, step) -> None:
    """PyTorch's checks (numpy divides by zero, or quietly returns an empty range)."""
    import math

    values = [float(v) for v in (start, end, step)]
    if not all(math.isfinite(v) for v in values):
        raise ArgumentError(
            f"arange: unsupported range {start} -> {end} (step {step}): start, end and step "
            "must be finite numbers"
        )
    if values[2] == 0:
        raise ArgumentError(
            f"arange: step must be nonzero, got arange({start}, {end}, {step}); use step=1 "
            "(the default) or any other non-zero step"
        )
    if (values[1] - values[0]) * values[2] < 0:
        raise ArgumentError(
            f"arange: upper bound and lower bound inconsistent with step sign: from {start} "
            f"to {end} with step {step} never arrives. Use a "
            f"{'negative' if values[2] > 0 else 'positive'} step, or swap start and end"
        )


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    _sizes("eye", (n, m if m is not None else n))
    out = Tensor.wrap(target.backend.eye(n, m if m is not None else n, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def _random(sample, shape, dtype, device, requires_grad, op="randn") -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    values = sample(_generator[0], _sizes(op, shape)).astype(kind.numpy)
    out = Tensor.wrap(target.backend.from_numpy(values), target)
    return out.requires_grad_(True) if requires_grad else out


def randn(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random(lambda g, s: g.standard_normal(s), shape, dtype, device, requires_grad)


def rand(*shape, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _random(lambda g, s: g.random(s), shape, dtype, device, requires_grad, "rand")


def randint(low, high=None, size=(), dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    if low >= high:
        raise ArgumentError(
            f"randint: low must be less than high, but got low={low}, high={high}; the "
            "numbers are drawn from low .. high - 1"
        )
    kind = dtype if dtype is not None else dtypes.int64
    return _random(lambda g, s: g.integers(low, high, s), (size,), kind, device, False, "randint")


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
