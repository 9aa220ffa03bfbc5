"""Making tensors: from data, filled, ranges, and random (one seedable stream, the same
numbers on every backend)."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .backends import Device
from .backends import device as parse_device
from .errors import ArgumentError, DTypeError, shape_str
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
    kind = dtypes.from_any(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        array, found = data.device.backend.to_numpy(data.array), data.dtype
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        array, found = _torch_to_numpy(data), None
        found = dtypes.from_any(array.dtype)
    elif isinstance(data, np.ndarray):
        array, found = data, dtypes.from_any(data.dtype)  # numpy keeps its dtype, as in PyTorch
    else:
        array, found = _from_python(data, kind)
    kind = kind or found
    out = Tensor._make(target.backend.from_numpy(np.asarray(array).astype(kind.numpy)), target)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _torch_to_numpy(t) -> np.ndarray:
    try:
        return t.detach().cpu().numpy()
    except TypeError:  # bfloat16 and friends, which numpy cannot hold
        raise dtypes.unsupported(t.dtype) from None


def _from_python(data, kind):
    """A numpy array and PyTorch's dtype for Python data (numbers and nested lists)."""
    try:
        array = np.array(data)
    except (ValueError, OverflowError):
        array = np.array(None)  # ragged or odd: the slow path below says what is wrong
    if array.dtype != object and array.dtype.kind != "u":
        return array, _default_dtype(array)
    tensor_dtypes, numbers = [], []
    data = _unwrap(data, tensor_dtypes, numbers)
    _check_rectangular(data)
    _check_numbers(data, kind)
    wide = kind is not None and kind.is_floating_point
    array = np.array(data, dtype=np.float64 if wide else None)
    if kind is not None:
        return array, kind
    found = _default_dtype(np.array(numbers)) if numbers or not tensor_dtypes else None
    for d in tensor_dtypes:
        found = d if found is None else dtypes.promote(found, d)
    return array, found


def _unwrap(data, tensor_dtypes: list, numbers: list):
    """Nested lists with each one-element tensor replaced by its number (as PyTorch does).

    The tensors' dtypes go into ``tensor_dtypes``, the other leaves into ``numbers``: the
    result's dtype is theirs promoted together.
    """
    if isinstance(data, (list, tuple)):
        return [_unwrap(x, tensor_dtypes, numbers) for x in data]
    if isinstance(data, Tensor):
        if data.numel() != 1:
            raise ArgumentError(
                f"tensor: a list element is a tensor of shape {shape_str(data.shape)}; only "
                "one-element tensors can be elements of the data. To join tensors, use "
                "ne.stack(list_of_tensors) or ne.cat(list_of_tensors)"
            )
        tensor_dtypes.append(data.dtype)
        return data.item()
    if isinstance(data, (bool, int, float, np.number, np.bool_)):
        numbers.append(data)
    return data


def _check_rectangular(data) -> None:
    """Ragged nested lists: PyTorch's message, the place, and how to fix it."""
    shape, x = [], data
    while isinstance(x, list):
        shape.append(len(x))
        if not x:
            break
        x = x[0]

    def clash(x, dim, where):
        if dim == len(shape):
            return (dim, where, None, len(x)) if isinstance(x, list) else None
        if not isinstance(x, list):
            return dim, where, shape[dim], None
        if len(x) != shape[dim]:
            return dim, where, shape[dim], len(x)
        for i, y in enumerate(x):
            found = clash(y, dim + 1, where + [i])
            if found:
                return found
        return None

    found = clash(data, 0, [])
    if found is not None:
        dim, where, want, got = found
        place = "data" + "".join(f"[{i}]" for i in where)
        expected = "a number" if want is None else f"a sequence of length {want}"
        got_text = "a number" if got is None else f"length {got}"
        raise ArgumentError(
            f"tensor: expected {expected} at dim {dim} (got {got_text} at {place}): nested "
            "lists must be rectangular, every row the same length, like [[1, 2], [3, 4]]. "
            "Pad the short rows, or make one tensor per row"
        )


def _check_numbers(data, kind) -> None:
    """Each leaf must be a bool, int or float, and an int must fit int64 (as in PyTorch)."""
    for x in _leaves(data):
        if isinstance(x, (bool, np.bool_, float, np.floating)):
            continue
        if isinstance(x, (int, np.integer)):
            if not -(2**63) <= x < 2**63 and not (kind is not None and kind.is_floating_point):
                raise ArgumentError(
                    f"tensor: {x} does not fit in int64 (Overflow when unpacking long long); "
                    f"int64 holds -2**63 .. 2**63 - 1. For large numbers pass "
                    "dtype=ne.float64"
                )
            continue
        if isinstance(x, complex):
            raise dtypes.unsupported("complex")
        raise DTypeError(
            f"tensor: could not infer a dtype for {type(x).__name__} ({x!r:.40}); the data "
            "must be numbers, (nested) lists of numbers, a numpy array or a tensor"
        )


def _leaves(data):
    if isinstance(data, list):
        for x in data:
            yield from _leaves(x)
    else:
        yield data


def _default_dtype(array: np.ndarray) -> dtypes.DType:
    """Python data: floats become float32, ints int64, bools bool (PyTorch's defaults)."""
    if array.dtype.kind == "f":
        return dtypes.float32
    if array.dtype.kind == "b":
        return dtypes.bool_
    if array.dtype.kind in "iu":
        return dtypes.int64
    if array.dtype.kind == "c":
        raise dtypes.unsupported("complex")
    raise DTypeError(
        f"tensor: could not infer a dtype from data of numpy dtype {array.dtype}; the data "
        "must be numbers, (nested) lists of numbers, a numpy array or a tensor"
    )


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (numpy backend), keeping its dtype."""
    kind = dtypes.from_any(array.dtype)
    if kind.numpy != array.dtype:
        array = array.astype(kind.numpy)
    device = parse_device("numpy")
    return Tensor._make(array, device)


def _sizes(op: str, shape) -> tuple:
    """A creation shape: ints, none negative (numpy's own error names neither op nor size)."""
    sizes = _shape_args(shape)
    if any(n < 0 for n in sizes):
        raise ArgumentError(
            f"{op}: trying to create a tensor with a negative size: shape "
            f"{shape_str(sizes)}; every size must be 0 or more"
        )
    return sizes


def _filled(fill, shape, dtype, device, requires_grad, op="zeros") -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    out = Tensor._make(fill(target.backend, _sizes(op, shape), kind), target)
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
    out = Tensor._make(target.backend.arange(start, end, step, kind), target)
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
    out = Tensor._make(target.backend.eye(n, m if m is not None else n, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def _random(sample, shape, dtype, device, requires_grad, op="randn") -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    values = sample(_generator[0], _sizes(op, shape)).astype(kind.numpy)
    out = Tensor._make(target.backend.from_numpy(values), target)
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
