"""ne.linalg, as torch.linalg: vector_norm, matrix_norm and norm (the 2-norm and the
other p-norms are one op, VectorNorm, which PyTorch also shows as one node)."""

from __future__ import annotations

import math
import numbers

from . import ops as O
from .checks import checked_dim, checked_dims
from .errors import ArgumentError, DimError, describe
from .reduce import need_norm_floating
from .tensor import Tensor, apply

_INF = math.inf


def vector_norm(x: Tensor, ord=2, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over dim (None: every element); ord inf / -inf: the largest /
    smallest |x|; ord 0: how many are not 0."""
    op = "linalg.vector_norm"
    if isinstance(ord, bool) or not isinstance(ord, numbers.Real):
        raise ArgumentError(
            f"{op}: ord must be a number (2, 1, inf, ...), got {ord!r}; for 'fro' or 'nuc' "
            "use ne.linalg.matrix_norm"
        )
    if dtype is not None:
        x = x.to(dtype)
    need_norm_floating(op, x)
    dims = checked_dims(op, x, dim)
    if ord in (_INF, -_INF):
        for d in range(x.ndim) if dims is None else dims:
            if x.shape[d] == 0:
                raise DimError(
                    f"{op}: cannot compute the {ord} norm over dim {d} of size 0 "
                    f"({describe('x', x)}): an empty dim has no largest |x|; use ord=2, or "
                    "reduce over non-empty dims"
                )
    p = float(ord) if ord in (_INF, -_INF) or ord != int(ord) else int(ord)
    return apply(O.VectorNorm, x, p=p, dims=dims, keepdim=keepdim)


def matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None) -> Tensor:
    """'fro' (the 2-norm of all entries), 1 / -1 (largest / smallest column sum of |A|),
    inf / -inf (row sums). 2, -2 and 'nuc' need singular values, which the engine lacks."""
    op = "linalg.matrix_norm"
    if dtype is not None:
        A = A.to(dtype)
    need_norm_floating(op, A)
    if A.ndim < 2:
        raise DimError(
            f"{op}: the input tensor A must have at least 2 dimensions, but got "
            f"{describe('A', A)}; for a vector use ne.linalg.vector_norm"
        )
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ArgumentError(f"{op}: dim must be a 2-tuple of ints (rows, columns), got {dim!r}")
    d0, d1 = (checked_dim(op, A, d) for d in dim)
    if d0 == d1:
        raise ArgumentError(f"{op}: dims must be different, got {tuple(dim)}")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in (1, -1, _INF, -_INF):
        summed, other = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(summed, keepdim=keepdim)
        if not keepdim and other > summed:
            other -= 1
        pick = sums.amax if ord > 0 else sums.amin
        return pick(other, keepdim=keepdim)
    raise NotImplementedError(
        f"{op}: ord={ord!r} is not supported by the engine ({describe('A', A)}): it needs "
        "singular values (svd). Supported: 'fro', 1, -1, inf, -inf"
    )


def norm(A: Tensor, ord=None, dim=None, keepdim=False, *, dtype=None) -> Tensor:
    """torch.linalg.norm: a vector norm when dim is an int or A is 1-d (or ord and dim are
    both None: the 2-norm of all entries), a matrix norm when dim is a 2-tuple or A 2-d."""
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.ndim != 2:
            raise DimError(
                f"linalg.norm: with ord={ord!r} and dim=None, A must be 1-d or 2-d, but got "
                f"{describe('A', A)}; pass dim= to say which dims to reduce"
            )
        dim = (0, 1)
    return matrix_norm(A, "fro" if ord is None else ord, tuple(dim), keepdim, dtype=dtype)


def torch_norm(t: Tensor, p="fro", dim=None, keepdim=False, dtype=None) -> Tensor:
    """torch.norm / Tensor.norm: p='fro' is the 2-norm over dim (None: all), a number p the
    vector p-norm over dim; 'nuc' needs singular values, which the engine lacks."""
    if p == "fro" or p is None:
        p = 2
    if p == "nuc":
        raise NotImplementedError(
            f"norm: p='nuc' needs singular values (svd), which the engine does not have "
            f"({describe('self', t)}); use p='fro' or a number"
        )
    if isinstance(p, str):
        raise ArgumentError(f"norm: p must be 'fro', 'nuc' or a number, got {p!r}")
    return vector_norm(t, p, dim, keepdim, dtype=dtype)


# Tensor's methods for these ops, set on Tensor here: tensor.py cannot import this module
# (it imports tensor.py), and this keeps each method beside the function it calls.


def norm_method(self, p="fro", dim=None, keepdim=False, dtype=None):
    return torch_norm(self, p, dim, keepdim, dtype)


Tensor.norm = norm_method
