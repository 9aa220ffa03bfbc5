"""Reductions, scans and norms as free functions (``ne.cumsum(t, 0)`` is ``t.cumsum(0)``),
and the operand checks of the Tensor methods of the same names (tensor.py calls these)."""

from __future__ import annotations

from . import dtypes
from . import ops as O
from .checks import checked_dim, checked_dims, floating
from .errors import DimError, UnsupportedDTypeError, describe
from .tensor import Tensor, apply


# ---------------------------------------------------------------------- checks for the methods
def scan(function, t: Tensor, dim, dtype) -> Tensor:
    """cumsum / cumprod: dim is required; ints and bools add up as int64, as in PyTorch."""
    op = function.op
    if dim is None:
        raise TypeError(
            f'{op}() missing 1 required positional argument: "dim" ({describe("self", t)}); '
            f"e.g. t.{op}(0) or t.{op}(dim=-1)"
        )
    d = checked_dim(op, t, dim)
    if dtype is not None:
        t = t.to(dtype)
    elif not t.dtype.is_floating_point:
        t = t.to(dtypes.int64)
    return apply(function, t, dim=d)


def logsumexp(t: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """torch.logsumexp(t, dim, keepdim): dim is required, as in PyTorch."""
    if dim is None:
        raise TypeError(
            f'logsumexp() missing 1 required positional argument: "dim" '
            f"({describe('self', t)}); e.g. t.logsumexp(-1), or t.logsumexp(tuple(range(t.ndim)))"
            " over every dim"
        )
    dims = checked_dims("logsumexp", t, dim)
    return apply(O.LogSumExp, floating("logsumexp", t), dims=dims, keepdim=keepdim)


def extreme(function, t: Tensor, dim, keepdim: bool) -> Tensor:
    """amax / amin over dims (() or None: all of them); a reduced dim must not be empty."""
    op = function.op
    dims = checked_dims(op, t, dim)
    for d in range(t.ndim) if dims is None else dims:
        if t.shape[d] == 0:
            raise DimError(
                f"{op}(): expected reduction dim {d} to have non-zero size "
                f"({describe('self', t)}); an empty dim has no {op[1:]}imum, so reduce over "
                "non-empty dims only"
            )
    return apply(function, t, dims=dims, keepdim=keepdim)


def count_nonzero(t: Tensor, dim=None) -> Tensor:
    """torch.count_nonzero(t, dim): how many elements are not 0 (int64, no gradient)."""
    dims = checked_dims("count_nonzero", t, dim)
    return apply(O.Sum, (t != 0).to(dtypes.int64), dims=dims, keepdim=False)


def like_self(t: Tensor, dtype, device) -> dict:
    """new_zeros & co: self's dtype and device unless told otherwise."""
    return {"dtype": t.dtype if dtype is None else dtype, "device": device or t.device}


_LEGACY = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}
_BY_LEGACY = {v: k for k, v in _LEGACY.items()}


def legacy_type(t: Tensor, dtype):
    """t.type(): 'torch.FloatTensor'; t.type(ne.float64) or t.type('torch.DoubleTensor'):
    t converted (a tensor of that type already is returned as it is, as in PyTorch)."""
    prefix = "torch.cuda." if t.device.type == "cuda" else "torch."
    if dtype is None:
        return prefix + _LEGACY[t.dtype.name]
    device = None
    if isinstance(dtype, str):
        name = dtype.removeprefix("torch.")
        if name.startswith("cuda."):
            name, device = name.removeprefix("cuda."), "cuda"
        if name not in _BY_LEGACY:
            raise ValueError(
                f"type: invalid type {dtype!r}; the engine's tensor types are "
                + ", ".join("torch." + v for v in _LEGACY.values())
            )
        dtype = _BY_LEGACY[name]
    target = dtypes.from_any(dtype)
    if device is not None and t.device.type != "cuda":
        t = t.to(device)
    return t if target is t.dtype else t.to(target)


def need_norm_floating(op: str, t: Tensor) -> None:
    if not t.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: expected a floating point tensor as input, but got {describe('self', t)}; "
            f"convert first: t.float(), or pass dtype=ne.float32"
        )


# ---------------------------------------------------------------------- free functions
def cumsum(t: Tensor, dim=None, *, dtype=None, axis=None) -> Tensor:
    return t.cumsum(dim, dtype=dtype, axis=axis)


def cumprod(t: Tensor, dim=None, *, dtype=None, axis=None) -> Tensor:
    return t.cumprod(dim, dtype=dtype, axis=axis)


def amax(t: Tensor, dim=(), keepdim=False, *, axis=None) -> Tensor:
    return t.amax(dim, keepdim, axis=axis)


def amin(t: Tensor, dim=(), keepdim=False, *, axis=None) -> Tensor:
    return t.amin(dim, keepdim, axis=axis)


def norm(t: Tensor, p="fro", dim=None, keepdim=False, out=None, dtype=None) -> Tensor:
    return t.norm(p, dim, keepdim, dtype)


def any(t: Tensor, dim=None, keepdim=False, *, axis=None) -> Tensor:  # noqa: A001
    return t.any(dim, keepdim, axis=axis)


def all(t: Tensor, dim=None, keepdim=False, *, axis=None) -> Tensor:  # noqa: A001
    return t.all(dim, keepdim, axis=axis)


# Tensor's methods for these ops, set on Tensor here: tensor.py cannot import this module
# (it imports tensor.py), and this keeps each method beside the function it calls.


def cumsum_method(self, dim=None, *, dtype=None, axis=None):
    return scan(O.Cumsum, self, dim if axis is None else axis, dtype)


def cumprod_method(self, dim=None, *, dtype=None, axis=None):
    return scan(O.Cumprod, self, dim if axis is None else axis, dtype)


def logsumexp_method(self, dim=None, keepdim=False, *, axis=None):
    return logsumexp(self, dim if axis is None else axis, keepdim)


def amax_method(self, dim=(), keepdim=False, *, axis=None):
    return extreme(O.Amax, self, dim if axis is None else axis, keepdim)


def amin_method(self, dim=(), keepdim=False, *, axis=None):
    return extreme(O.Amin, self, dim if axis is None else axis, keepdim)


def count_nonzero_method(self, dim=None, *, axis=None):
    return count_nonzero(self, dim if axis is None else axis)


def type_method(self, dtype=None, non_blocking=False):
    """No argument: torch's legacy name ('torch.FloatTensor'); a dtype or such a
    name: this tensor converted to it."""
    return legacy_type(self, dtype)


Tensor.cumsum = cumsum_method
Tensor.cumprod = cumprod_method
Tensor.logsumexp = logsumexp_method
Tensor.amax = amax_method
Tensor.amin = amin_method
Tensor.count_nonzero = count_nonzero_method
Tensor.type = type_method
