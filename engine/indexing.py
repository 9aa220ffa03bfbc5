"""What ``t[key]`` means: a Python index checked against t's shape, as a backend key.

Ints, slices, None, ``...``, bools, lists and index tensors (int64 or bool masks) are
checked here, with errors that name the dim, its size and the valid range; the result
is a key the backend array understands, and PyTorch's name for the node it makes.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes
from .convert import as_array, is_engine_tensor
from .errors import IndexRangeError, IndexTypeError, describe, shape_str


def index_key(t, key):
    """(backend key, advanced?, PyTorch's node name) for ``t[key]``."""
    single = not isinstance(key, tuple)
    if single:
        key = (key,)
    key = tuple(_index_list(t, list(k)) if isinstance(k, (list, tuple, range)) else k for k in key)
    if sum(k is Ellipsis for k in key) > 1:
        key = _expand_ellipses(t, key)
    shape = tuple(t.shape)
    used = sum(_dims_indexed(k) for k in key)
    if used > len(shape):
        raise IndexError(
            f"getitem: too many indices for {describe('self', t)}: {used} given, {len(shape)} dims"
        )
    out, kinds, dim = [], set(), 0
    for k in key:
        if k is None:
            out.append(None)
            kinds.add("none")
        elif k is Ellipsis:
            out.append(k)
            dim += len(shape) - used
        elif isinstance(k, (bool, np.bool_)):  # like None, a new dim (of size 1 or 0)
            out.append(bool(k))
            kinds.add("advanced")
        elif isinstance(k, (int, np.integer)):
            out.append(_checked_int(t, k, dim))
            kinds.add("int")
            dim += 1
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError(
                    f"getitem: slice step must be positive, got {k.step}; to reverse a dim "
                    "use a flipped index tensor, e.g. t[ne.arange(n - 1, -1, -1)]"
                )
            out.append(k)
            kinds.add("slice")
            dim += 1
        elif isinstance(k, np.ndarray) or is_engine_tensor(k):
            array, dtype = _index_array(t, k)
            out.append(_check_index_array(t, array, dtype, dim))
            kinds.add("advanced")
            dim += max(array.ndim, 1) if dtype is dtypes.bool_ else 1
        else:
            raise IndexTypeError(
                f"getitem: {type(k).__name__} ({k!r:.30}) is not a valid index for "
                f"{describe('self', t)}: use ints, slices (:), ..., None, lists of ints or "
                "bools, or int64 / bool tensors"
            )
    advanced = "advanced" in kinds
    name = "IndexBackward0" if advanced else _basic_node_name(out, single)
    if not advanced and Ellipsis not in out:
        out.append(Ellipsis)  # numpy then gives a 0-d view, not a copied scalar, for x[0, 1]
    return tuple(out), advanced, name


_EVERYTHING = slice(None)


def _basic_node_name(key: list, single: bool) -> str:
    """PyTorch's name: that of the last step that does something (x[1, 2:] is a slice
    after a select); x[:] is a slice, x[:, :] and x[...] an alias."""
    if single and key[0] == _EVERYTHING:
        return "SliceBackward0"
    name = "AliasBackward0"
    for k in key:
        if k is None:
            name = "UnsqueezeBackward0"
        elif isinstance(k, int):
            name = "SelectBackward0"
        elif isinstance(k, slice) and k != _EVERYTHING:
            name = "SliceBackward0"
    return name


def _checked_int(t, k, dim: int) -> int:
    size = t.shape[dim]
    if not -size <= k < size:
        raise IndexRangeError(
            f"getitem: index {k} is out of bounds for dim {dim} with size {size} "
            f"({describe('self', t)}); valid indices are {-size}..{size - 1}"
        )
    return int(k)


def _dims_indexed(k) -> int:
    """How many of self's dims an index uses up."""
    if k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)):
        return 0
    if is_engine_tensor(k) and k.dtype is dtypes.bool_:
        return max(k.ndim, 1)
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return max(k.ndim, 1)
    return 1


def _index_list(t, k) -> np.ndarray:
    """A list index as an array, or an IndexError that says what is wrong with it."""
    if not k:
        return np.zeros(0, dtype=np.int64)
    try:
        return as_array(k)
    except (ValueError, TypeError) as error:
        reason = str(error).removeprefix("tensor: ").split(": nested lists")[0]
        raise IndexError(
            f"getitem: the index list {k!r:.40} cannot index {describe('self', t)}: "
            f"{reason}. An index list must be rectangular ints or bools, e.g. t[[0, 2]]; "
            "to pick elements by row and column, give one list per dim: t[[0, 1], [2, 0]]"
        ) from None


def _expand_ellipses(t, key: tuple) -> tuple:
    """PyTorch's reading of several ...: each skips the dims the other indices leave."""
    free = max(t.ndim - sum(_dims_indexed(k) for k in key), 0)
    out = []
    for k in key:
        out.extend([slice(None)] * free if k is Ellipsis else [k])
    every = slice(None)
    while sum(_dims_indexed(k) for k in out) > t.ndim and isinstance(out[-1], slice):
        if out[-1] != every:
            break
        out.pop()  # a trailing ':' past the last dim changes nothing
    return tuple(out)


def _index_array(t, k):
    """An index tensor or numpy array as (an array on t's backend, its dtype)."""
    if is_engine_tensor(k):
        if k.device is not t.device:
            k = k.to(t.device)
        return k.array, k.dtype
    array = as_array(k)
    return t.device.backend.from_numpy(array), dtypes.from_any(array.dtype)


def _check_index_array(t, array, dtype, dim: int):
    shape = tuple(t.shape)
    xp = t.device.backend
    if dtype is dtypes.bool_:
        span = shape[dim : dim + array.ndim]
        if tuple(array.shape) != span:
            raise IndexError(
                f"getitem: the mask of shape {shape_str(tuple(array.shape))} does not match "
                f"dims {dim}..{dim + array.ndim - 1} of {describe('self', t)}, which have "
                f"shape {shape_str(span)}"
            )
        return array
    if dtype.category == 1 and dtype not in (dtypes.uint8, dtypes.int64):
        array, dtype = xp.astype(array, dtypes.int64), dtypes.int64
    if dtype is not dtypes.int64:
        raise IndexError(
            f"getitem: index tensors must be int64 or bool, not {dtype.name}; use idx.long()"
        )
    size = shape[dim]
    if math.prod(array.shape):  # a non-empty index: check its range
        low, high = int(xp.min(array)), int(xp.max(array))
        if low < -size or high >= size:
            bad = high if high >= size else low
            raise IndexRangeError(
                f"getitem: index {bad} is out of bounds for dim {dim} with size {size} "
                f"({describe('self', t)}); valid indices are {-size}..{size - 1}"
            )
    return array
