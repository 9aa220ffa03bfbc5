"""Python data as numpy arrays, with PyTorch's dtype rules: what ``ne.tensor(data)`` reads.

Numbers, nested lists (which may hold one-element tensors), numpy arrays (which keep
their dtype), engine tensors and torch tensors become one numpy array of an engine
dtype; ragged or odd data gets PyTorch's error, the place, and a fix.
"""

from __future__ import annotations

import numpy as np

from . import dtypes
from .errors import ArgumentError, DTypeError, shape_str


def is_engine_tensor(value) -> bool:
    """An nnbench tensor (this module sits below tensor.py, so it asks, not imports)."""
    return hasattr(value, "array") and hasattr(value, "grad_fn")


def as_array(data, dtype=None) -> np.ndarray:
    """data as a numpy array of an engine dtype (``dtype``, or the one PyTorch would pick)."""
    kind = dtypes.from_any(dtype) if dtype is not None else None
    if is_engine_tensor(data):
        array, found = data.device.backend.to_numpy(data.array), data.dtype
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        array = _torch_to_numpy(data)
        found = dtypes.from_any(array.dtype)
    elif isinstance(data, (np.ndarray, np.generic)):  # numpy keeps its dtype, as in PyTorch
        array, found = np.asarray(data), dtypes.from_any(data.dtype)
    else:
        array, found = _from_python(data, kind)
    kind = kind or found
    return np.asarray(array).astype(kind.numpy)


def numpy_array(array: np.ndarray) -> np.ndarray:
    """A numpy array as it is, or converted where its dtype is not an engine dtype."""
    kind = dtypes.from_any(array.dtype)
    return array if kind.numpy == array.dtype else array.astype(kind.numpy)


def _torch_to_numpy(t) -> np.ndarray:
    try:
        return t.detach().cpu().numpy()
    except TypeError:  # bfloat16 and friends, which numpy cannot hold
        raise dtypes.unsupported(t.dtype) from None


def _from_python(data, kind):
    """A numpy array and PyTorch's dtype for Python data (numbers and nested lists)."""
    if not _holds_tensors(data):
        try:
            array = np.array(data)
        except (ValueError, OverflowError, RuntimeError, TypeError):
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


def _holds_tensors(data) -> bool:
    """Whether data[0][0]... is a tensor, where a list of tensors shows it at little cost
    (numpy would read them through __array__, past the checks and dtype rules below)."""
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return type(data) not in (float, int, bool) and is_engine_tensor(data)


def _unwrap(data, tensor_dtypes: list, numbers: list):
    """Nested lists with each one-element tensor replaced by its number (as PyTorch does).

    The tensors' dtypes go into ``tensor_dtypes``, the other leaves into ``numbers``: the
    result's dtype is theirs promoted together.
    """
    if isinstance(data, (list, tuple)):
        return [_unwrap(x, tensor_dtypes, numbers) for x in data]
    if is_engine_tensor(data):
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
