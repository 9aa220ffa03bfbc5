"""The free functions that are ops but not Tensor methods: ``cat``, ``stack``, ``where``;
and the ones that are both, as PyTorch has them (``ne.matmul(a, b)`` is ``a.matmul(b)``)."""

from __future__ import annotations

import functools
import numbers

from . import dtypes
from . import ops as O
from .checks import check_broadcast, checked_dim, need_bool
from .errors import ArgumentError, ShapeError, describe, shape_str
from .tensor import Tensor, apply, tensor_like


def matmul(a: Tensor, b) -> Tensor:
    return a.matmul(b)


def maximum(a: Tensor, b) -> Tensor:
    return a.maximum(b)


def minimum(a: Tensor, b) -> Tensor:
    return a.minimum(b)


def gather(t: Tensor, dim: int, index: Tensor) -> Tensor:
    return t.gather(dim, index)


def cat(tensors, dim: int = 0, *, axis=None) -> Tensor:
    dim = dim if axis is None else axis
    tensors = _tensor_list("cat", tensors)
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(
                f"cat: tensor {i} is 0-d (shape ()), and a 0-d tensor cannot be "
                "concatenated: it has no dim to join along. Use ne.stack(tensors) to make "
                "a 1-d tensor of them, or give each a dim first with t.reshape(1)"
            )
    d = checked_dim("cat", first, dim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            t.shape[k] != first.shape[k] for k in range(first.ndim) if k != d
        ):
            raise ShapeError(
                f"cat: sizes must match except in dim {d}, but tensor 0 has shape "
                f"{shape_str(first.shape)} and tensor {i} has shape {shape_str(t.shape)}"
            )
    return apply(O.Cat, *_one_dtype(tensors), dim=d)


def stack(tensors, dim: int = 0, *, axis=None) -> Tensor:
    dim = dim if axis is None else axis
    tensors = _tensor_list("stack", tensors)
    first = tensors[0]
    d = checked_dim("stack", first, dim, extra=1)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != tuple(first.shape):
            raise ShapeError(
                f"stack: all tensors must have the same shape, but tensor 0 has shape "
                f"{shape_str(first.shape)} and tensor {i} has shape {shape_str(t.shape)}"
            )
    return apply(O.Stack, *_one_dtype(tensors), dim=d)


def _tensor_list(op: str, tensors) -> list:
    """cat's and stack's argument: a non-empty list or tuple of tensors."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        what = describe("a tensor", tensors) if isinstance(tensors, Tensor) else "a"
        raise TypeError(
            f"{op}: expects a list or tuple of tensors, but got {what} "
            f"{type(tensors).__name__}; pass them in a list: ne.{op}([a, b])"
        )
    if not tensors:
        raise ArgumentError(f"{op}: expected a non-empty list of tensors, but got an empty one")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{op}: expected a Tensor as element {i}, but got {type(t).__name__} "
                f"({t!r:.30}); make it one first with ne.tensor(...)"
            )
    return list(tensors)


def _one_dtype(tensors: list) -> list:
    """Tensors of mixed dtypes, promoted to one as PyTorch does (visible ToCopy nodes)."""
    result = functools.reduce(dtypes.promote, (t.dtype for t in tensors))
    return [t if t.dtype is result else t.to(result) for t in tensors]


def where(condition: Tensor, a=None, b=None) -> Tensor:
    if not isinstance(condition, Tensor):
        raise TypeError("where: the condition must be a bool tensor")
    if a is None and b is None:  # where(condition) is condition.nonzero(as_tuple=True)
        return condition.nonzero(as_tuple=True)
    need_bool("where", condition)
    reference = condition
    a = tensor_like(a, reference) if not isinstance(a, numbers.Number) else a
    b = tensor_like(b, reference) if not isinstance(b, numbers.Number) else b
    operands = [("condition", condition), ("a", a), ("b", b)]
    tensors = [(r, t) for r, t in operands if isinstance(t, Tensor)]
    check_broadcast(
        "where",
        [tuple(t.shape) for _, t in tensors],
        [t for _, t in tensors],
        [r for r, _ in tensors],
    )
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype is not b.dtype:
        result = dtypes.promote(a.dtype, b.dtype)
        a, b = a.to(result), b.to(result)
    elif isinstance(a, Tensor) != isinstance(b, Tensor):
        t, s = (a, b) if isinstance(a, Tensor) else (b, a)
        result = dtypes.promote_scalar(t.dtype, s)
        if result is not t.dtype:
            a = a.to(result) if isinstance(a, Tensor) else a
            b = b.to(result) if isinstance(b, Tensor) else b
    elif not isinstance(a, Tensor):
        dtype = dtypes.float32 if isinstance(a, float) or isinstance(b, float) else dtypes.int64
        xp = condition.device.backend
        a = Tensor.wrap(xp.full((), a, dtype), condition.device)
    return apply(O.Where, condition, a, b)


def where_method(self, condition, other):
    """a.where(c, b) is torch.where(c, a, b); set on Tensor here, as tensor.py cannot
    import this module (a cycle)."""
    return where(condition, self, other)


Tensor.where = where_method
