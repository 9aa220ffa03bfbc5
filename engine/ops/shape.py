"""Shape and views: reshape, permute, transpose, expand, squeeze, indexing, gather, cat, stack."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..dtypes import int64
from ..dtypes import of_array as _engine_dtype
from ..rules import sum_to_shape
from .reductions import narrow, reduced_count, scatter_grad


# ----------------------------------------------------------------------------- shape and views
class Reshape(Function):
    op, grad_name = "reshape", "ViewBackward0"
    rules = ("reshape(grad, a_shape)",)
    torch = "a.reshape(shape)"

    def forward(self, a, shape):
        self.input_shape = a.shape
        return self.xp.reshape(a, shape)

    def backward(self, grad):
        return (self.xp.reshape(grad, self.input_shape),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape)}


class Permute(Function):
    op, grad_name = "permute", "PermuteBackward0"
    rules = ("permute(grad, inverse)",)
    torch = "a.permute(dims)"

    def forward(self, a, dims):
        self.dims = dims
        return self.xp.permute(a, dims)

    def backward(self, grad):
        return (self.xp.permute(grad, self.inverse()),)

    def inverse(self) -> tuple:
        """The permutation that puts the dims back in order."""
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return tuple(inverse)

    def named_values(self):
        return {"inverse": self.inverse()}


class Transpose(Permute):
    """a.transpose(d0, d1) and a.t(): a permutation that swaps two dims (a.T, which
    reverses them all, is a Permute, as in PyTorch)."""

    op, grad_name = "transpose", "TransposeBackward0"


class Expand(Function):
    """a broadcast to a bigger shape without copying: its backward is broadcasting's."""

    op, grad_name = "expand", "ExpandBackward0"
    rules = ("sum_to_shape(grad, a_shape)",)
    torch = "a.expand(shape)"

    def forward(self, a, shape):
        self.input_shape = a.shape
        return self.xp.broadcast_to(a, shape)

    def backward(self, grad):
        return (sum_to_shape(self.xp, grad, self.input_shape),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape)}


class Tril(Function):
    """a with the elements above diagonal ``diagonal`` of its last two dims set to 0; the
    gradient passes where the value was kept (``mask``)."""

    op, grad_name = "tril", "TrilBackward0"
    rules = ("grad * mask",)
    torch = "a.tril(diagonal)"
    upper = False

    def forward(self, a, diagonal=0):
        rows, cols = a.shape[-2:]
        keep = np.tri(rows, cols, diagonal, dtype=bool)
        if self.upper:
            keep = ~np.tri(rows, cols, diagonal - 1, dtype=bool)
        self.mask = self.xp.from_numpy(keep)
        return self.xp.where(self.mask, a, _zero(a))

    def backward(self, grad):
        return (self.xp.where(self.mask, grad, 0.0),)

    def named_values(self):
        return {"mask": self.mask}


class Triu(Tril):
    """a with the elements below diagonal ``diagonal`` of its last two dims set to 0."""

    op, grad_name = "triu", "TriuBackward0"
    torch = "a.triu(diagonal)"
    upper = True


def _zero(a):
    """0 of a's kind, so where() keeps a's dtype (bool stays bool)."""
    return False if a.dtype == bool or str(a.dtype) == "torch.bool" else 0


class Squeeze(Function):
    op, grad_name = "squeeze", "SqueezeBackward0"
    rules = ("reshape(grad, a_shape)",)
    torch = "a.reshape(shape)"

    def forward(self, a, shape, dim=None):
        self.input_shape = a.shape
        if dim is not None:
            self.grad_name = "SqueezeBackward1"
        return self.xp.reshape(a, shape)

    def backward(self, grad):
        return (self.xp.reshape(grad, self.input_shape),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape)}


class Unsqueeze(Squeeze):
    op, grad_name = "unsqueeze", "UnsqueezeBackward0"


class Index(Function):
    """a[key]; backward puts the gradient back where the elements came from.

    Named as PyTorch names it: SliceBackward0 (slices), SelectBackward0 (an int among the
    index), UnsqueezeBackward0 (only None) or IndexBackward0 (index tensors and masks).
    """

    op, grad_name = "getitem", "IndexBackward0"
    rules = ("index_add(a_shape, key, grad)",)
    torch = "a[key]"

    def forward(self, a, key, advanced=False, name="IndexBackward0"):
        self.input_shape, self.key, self.advanced, self.grad_name = a.shape, key, advanced, name
        return a[key]

    def backward(self, grad):
        xp, shape = self.xp, tuple(self.input_shape)
        if not self.advanced:
            out = xp.zeros(shape, _engine_dtype(grad))
            out[self.key] = grad
            return (out,)
        numel = reduced_count(shape, None)
        positions = xp.reshape(xp.arange(0, numel, 1, int64), shape)[self.key]
        flat = xp.index_add_flat(numel, _engine_dtype(grad), positions, grad)
        return (xp.reshape(flat, shape),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "key": self.key}


class Gather(Function):
    op, grad_name = "gather", "GatherBackward0"
    rules = ("scatter_add(a_shape, dim, index, grad)",)
    torch = "a.gather(dim, index)"

    def forward(self, a, dim, index):
        self.input_shape, self.dim, self.index = a.shape, dim, index
        return self.xp.take_along_axis(a, index, dim)

    def backward(self, grad):
        return (scatter_grad(self, grad, self.index),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "dim": self.dim, "index": self.index}


class Cat(Function):
    op, grad_name = "cat", "CatBackward0"
    torch = "torch.cat(inputs, dim)"

    def forward(self, *arrays, dim):
        self.dim, self.sizes = dim, [x.shape[dim] for x in arrays]
        starts = [sum(self.sizes[:i]) for i in range(len(arrays))]
        self.rules = tuple(
            f"narrow(grad, dim, {start}, {size})" for start, size in zip(starts, self.sizes)
        )
        return self.xp.concatenate(arrays, dim)

    def backward(self, grad):
        grads, start = [], 0
        for size in self.sizes:
            grads.append(narrow(self.xp, grad, self.dim, start, size))
            start += size
        return tuple(grads)

    def named_values(self):
        return {"dim": self.dim}


class Stack(Function):
    op, grad_name = "stack", "StackBackward0"
    torch = "torch.stack(inputs, dim)"

    def forward(self, *arrays, dim):
        self.dim, self.count = dim, len(arrays)
        self.rules = tuple(f"select(grad, dim, {i})" for i in range(len(arrays)))
        return self.xp.stack(arrays, dim)

    def backward(self, grad):
        key = [slice(None)] * grad.ndim
        grads = []
        for i in range(self.count):
            key[self.dim] = i
            grads.append(grad[tuple(key)])
        return tuple(grads)

    def named_values(self):
        return {"dim": self.dim}
