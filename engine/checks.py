"""Operand checks: dims, shapes, broadcasting and dtypes, with errors that explain.

Tensor methods (tensor.py) and the free functions (functions.py) run these before they
call an op, so an op's forward only ever sees operands that make sense.
"""

from __future__ import annotations

import functools

import numpy as np

from . import dtypes
from .errors import (
    ArgumentError,
    DTypeError,
    IndexRangeError,
    ShapeError,
    UnsupportedDTypeError,
    broadcast_message,
    describe,
    dim_error,
    shape_str,
)


@functools.lru_cache(maxsize=4096)
def broadcast_shape(a: tuple, b: tuple):
    """The broadcast shape of a and b, or None where they clash."""
    ndim = max(len(a), len(b))
    a = (1,) * (ndim - len(a)) + tuple(a)
    b = (1,) * (ndim - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(out)


def check_broadcast(op: str, shapes: list, operands: list, roles: list) -> tuple:
    result = shapes[0]
    for shape in shapes[1:]:
        result = broadcast_shape(result, shape)
        if result is None:
            message = broadcast_message(op, shapes, roles)
            details = "\n".join(describe(r, t) for r, t in zip(roles, operands))
            raise ShapeError(message + "\nOperands:\n" + details)
    return result


def fit_int(op: str, dtype: dtypes.DType, value: int, wrap: bool = True) -> int:
    """A Python int in an integer tensor's op: wrapped to the dtype, as PyTorch does."""
    bits = dtype.itemsize * 8
    low, high = (0, 2**bits) if dtype is dtypes.uint8 else (-(2 ** (bits - 1)), 2 ** (bits - 1))
    if low <= value < high:
        return value
    if not wrap or not -(2**63) <= value < 2**64:
        raise ArgumentError(
            f"{op}: the value {value} cannot be converted to {dtype.name} without overflow "
            f"({dtype.name} holds {low} .. {high - 1}); convert the tensor first, e.g. "
            "t.double()"
        )
    return (value - low) % 2**bits + low


def promote_pair(a, b, true_division: bool = False):
    da, db = a.dtype, b.dtype
    if a.ndim == 0 and b.ndim and da.category <= db.category:
        result = db
    elif b.ndim == 0 and a.ndim and db.category <= da.category:
        result = da
    else:
        result = dtypes.promote(da, db)
    if true_division and result.category < 2:
        result = dtypes.float32
    return a.to(result), b.to(result)


def no_bool_sub(a, b) -> None:
    if a.dtype is dtypes.bool_ and (
        isinstance(b, bool) or getattr(b, "dtype", None) is dtypes.bool_
    ):
        raise DTypeError(
            f"sub: subtraction, the - operator, with two bools is not supported "
            f"({describe('a', a)}); use a ^ b (or logical_xor) for masks, or convert "
            "first: a.long() - b.long()"
        )


def bad_operand(op: str, a, b):
    hint = ""
    if isinstance(b, (list, tuple)):
        hint = f"; make it a tensor first: ne.tensor({b!r:.30})"
    raise TypeError(
        f"{op}: unsupported operand type(s) ({describe('a', a)}) and {type(b).__name__}{hint}"
    )


def need_bool(op: str, t) -> None:
    if t.dtype is not dtypes.bool_:
        raise DTypeError(f"{op}: needs a bool tensor, but got {describe('self', t)}")


def need_floating(op: str, t) -> None:
    if not t.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: not implemented for {describe('self', t)} (PyTorch has no integer "
            f"{op} either); convert first: t.float().{op}(dim)"
        )


def floating(op: str, t):
    return t if t.dtype.is_floating_point else t.to(dtypes.float32)


def sum_dtype(t):
    return t.to(dtypes.int64) if t.dtype is dtypes.bool_ else t


def checked_dim(op: str, t, dim, extra: int = 0) -> int:
    """A dim as a non-negative int, or an error naming the valid range."""
    ndim = t.ndim + extra
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, not {type(dim).__name__} ({dim!r})")
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise dim_error(op, "self", t, dim, extra)
    return int(dim) % max(ndim, 1)


def checked_dims(op: str, t, dim):
    """None (all dims) or a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted(checked_dim(op, t, d) for d in dim))
        if len(set(dims)) != len(dims):
            raise ShapeError(f"{op}: dim {tuple(dim)} names a dimension twice")
        return dims if dims and t.ndim else None  # dim=() reduces everything, as in PyTorch
    d = checked_dim(op, t, dim)
    return (d,) if t.ndim else None


def shape_args(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for n in args:
        if hasattr(n, "numel"):  # a one-element tensor
            n = int(n.item())
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"a shape takes ints, not {type(n).__name__} ({n!r})")
        out.append(int(n))
    return tuple(out)


def infer_shape(op: str, t, shape: tuple) -> tuple:
    numel = t.numel()
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in shape):
        raise ShapeError(
            f"{op}: invalid shape {shape_str(shape)}: at most one -1, no other negative sizes"
        )
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0 or numel % known:
            raise ShapeError(
                f"{op}: shape {shape_str(shape)} is invalid for {describe('self', t)} "
                f"({numel} elements): {numel} is not divisible by {known}"
            )
        shape = tuple(numel // known if n == -1 else n for n in shape)
    elif known != numel:
        raise ShapeError(
            f"{op}: shape {shape_str(shape)} has {known} elements but {describe('self', t)} "
            f"has {numel}; the number of elements must stay the same"
        )
    return shape


def names_dtype(text: str) -> bool:
    name = text.removeprefix("torch.").removeprefix("ne.")
    return name in dtypes.BY_NAME or any(k in name for k in ("float", "int", "complex"))


def check_matmul(a, b) -> None:
    """a @ b: both at least 1-d, inner dims equal, batch dims broadcastable, floats mixed
    only with floats."""
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            "matmul: both operands need at least 1 dimension, but got "
            f"{describe('a', a)} and {describe('b', b)}; use * to multiply by a scalar"
        )
    inner_a = a.shape[-1]
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if inner_a != inner_b:
        b_dim = "first" if b.ndim == 1 else "second-to-last"
        raise ShapeError(
            f"matmul: the inner dimensions differ: a's last dim is {inner_a} and b's {b_dim} "
            f"dim is {inner_b} (a is {shape_str(a.shape)}, b is {shape_str(b.shape)}).\n"
            f"{describe('a', a)}\n{describe('b', b)}\n"
            f"Rule: (..., n, k) @ (..., k, m) -> (..., n, m). Hint: did you mean a @ b.T, "
            "or is one operand transposed?"
        )
    if a.ndim > 2 and b.ndim > 2:
        batch_a, batch_b = tuple(a.shape[:-2]), tuple(b.shape[:-2])
        if broadcast_shape(batch_a, batch_b) is None:
            raise ShapeError(
                broadcast_message("matmul (batch dims)", [batch_a, batch_b], ["a", "b"])
            )
    if a.array.dtype != b.array.dtype and not (
        a.dtype.is_floating_point and b.dtype.is_floating_point
    ):
        raise DTypeError(
            f"matmul: expected both operands to have the same dtype, but got "
            f"{describe('a', a)} and {describe('b', b)}; convert with .float()"
        )


def check_gather(t, dim: int, index) -> None:
    """t.gather(dim, index): index has t's dims, fits t outside dim, and stays in range."""
    if index.ndim != t.ndim:
        raise ShapeError(
            f"gather: index must have as many dims as self: {describe('self', t)}, "
            f"{describe('index', index)}"
        )
    for k in range(t.ndim):
        if k != dim and index.shape[k] > t.shape[k]:
            raise ShapeError(
                f"gather: index size {index.shape[k]} exceeds self's size {t.shape[k]} in "
                f"dim {k} ({describe('self', t)}, {describe('index', index)})"
            )
    if index.numel():
        xp = t.device.backend
        low, high = int(xp.min(index.array)), int(xp.max(index.array))
        if low < 0 or high >= t.shape[dim]:
            bad = high if high >= t.shape[dim] else low
            raise IndexRangeError(
                f"gather: index {bad} is out of range for dim {dim} of size {t.shape[dim]} "
                f"({describe('self', t)}); indices must be in 0..{t.shape[dim] - 1}"
            )
