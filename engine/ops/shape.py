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


# ----------------------------------------------------------------------------- shaping and indexing
# Ops that move elements around (flip, roll, diagonal, unfold, repeat, index_select, ...).
# Their words share one rule: the output is a gather of a's elements at ``positions`` (the
# forward run on the numbers 0..numel-1 on numpy), so the gradient adds grad back there.
_GATHER_RULE = "reshape(index_add((numel,), positions, reshape(grad, (-1,))), a_shape)"


def _on_numpy(value):
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


class Moving:
    """An op whose output elements are copies of a's elements (the gather words above)."""

    rules = (_GATHER_RULE,)

    def named_values(self):
        import numpy as np

        from ..backends import NUMPY

        shape = tuple(self.input_shape)
        numel = reduced_count(shape, None)
        replay = object.__new__(type(self))
        replay.xp = NUMPY
        params = {k: _on_numpy(v) for k, v in self.params.items()}
        positions = replay.forward(np.arange(numel, dtype=np.int64).reshape(shape), **params)
        return {"numel": numel, "positions": np.asarray(positions).reshape(-1), "a_shape": shape}


def _torch_like(xp) -> bool:
    return xp.name == "torch"


class Flip(Moving, Function):
    op, grad_name = "flip", "FlipBackward0"
    torch = "a.flip(dims)"

    def forward(self, a, dims):
        self.input_shape, self.params = a.shape, {"dims": dims}
        if _torch_like(self.xp):
            return self.xp.torch.flip(a, dims)
        import numpy as np

        return np.flip(a, dims).copy()  # a copy, as in PyTorch

    def backward(self, grad):
        return (self.forward(grad, self.params["dims"]),)


class Roll(Moving, Function):
    """a.roll(shifts, dims); without dims the flattened tensor rolls, shape kept."""

    op, grad_name = "roll", "RollBackward0"
    torch = "a.roll(shifts, dims)"

    def forward(self, a, shifts, dims=None):
        self.input_shape, self.params = a.shape, {"shifts": shifts, "dims": dims}
        if _torch_like(self.xp):
            return self.xp.torch.roll(a, shifts, () if dims is None else dims)
        import numpy as np

        if dims is None:
            return np.roll(a, shifts[0])
        return np.roll(a, shifts, axis=dims)

    def backward(self, grad):
        back = tuple(-s for s in self.params["shifts"])
        dims = self.params["dims"]
        return (self.forward(grad, back, dims),)


def _diagonal_view(xp, a, offset, dim1, dim2):
    """a.diagonal(offset, dim1, dim2) as a writable view on either backend."""
    if _torch_like(xp):
        return a.diagonal(offset, dim1, dim2)
    import numpy as np

    view = np.diagonal(a, offset, dim1, dim2)
    if a.flags.writeable:
        view.flags.writeable = True  # numpy gives it read-only; PyTorch's is writable
    return view


class Diagonal(Moving, Function):
    """a.diagonal(offset, dim1, dim2): a view, the diagonal as the last dim. torch.diag of
    a matrix is the same, copied (PyTorch names its node DiagonalBackward0_copy)."""

    op, grad_name = "diagonal", "DiagonalBackward0"
    torch = "a.diagonal(offset, dim1, dim2)"

    def forward(self, a, offset=0, dim1=0, dim2=1, copy=False):
        self.input_shape = a.shape
        self.params = {"offset": offset, "dim1": dim1, "dim2": dim2, "copy": copy}
        out = _diagonal_view(self.xp, a, offset, dim1, dim2)
        if copy:
            self.grad_name = "DiagonalBackward0_copy"
            return self.xp.copy(out)
        return out

    def backward(self, grad):
        p = self.params
        out = self.xp.zeros(tuple(self.input_shape), _engine_dtype(grad))
        _diagonal_view(self.xp, out, p["offset"], p["dim1"], p["dim2"])[...] = grad
        return (out,)


class DiagEmbed(Moving, Function):
    """torch.diag(v, diagonal): a square matrix with v on that diagonal, zeros elsewhere."""

    op, grad_name = "diag", "DiagEmbedBackward0"
    rules = ("grad.diagonal(diagonal)",)
    torch = "torch.diag(a, diagonal)"

    def forward(self, a, diagonal=0):
        self.diagonal = diagonal
        n = a.shape[0] + abs(diagonal)
        out = self.xp.zeros((n, n), _engine_dtype(a))
        _diagonal_view(self.xp, out, diagonal, 0, 1)[...] = a
        return out

    def backward(self, grad):
        return (self.xp.copy(_diagonal_view(self.xp, grad, self.diagonal, 0, 1)),)

    def named_values(self):
        return {"diagonal": self.diagonal}


def _windows(xp, a, dim, size, step):
    """a.unfold(dim, size, step): the windows along dim, each as a new last dim (a view)."""
    if _torch_like(xp):
        return a.unfold(dim, size, step)
    import numpy as np

    if a.ndim == 0:
        return np.lib.stride_tricks.as_strided(a, (1,), (a.itemsize,))
    count = (a.shape[dim] - size) // step + 1
    shape = (*a.shape[:dim], count, *a.shape[dim + 1 :], size)
    strides = list(a.strides)
    strides[dim] *= step
    strides.append(a.strides[dim])
    return np.lib.stride_tricks.as_strided(a, shape, tuple(strides), writeable=a.flags.writeable)


class Unfold(Moving, Function):
    """Tensor.unfold(dim, size, step): windows of size elements, step apart, as a view."""

    op, grad_name = "unfold", "UnfoldBackward0"
    torch = "a.unfold(dim, size, step)"

    def forward(self, a, dim, size, step):
        self.input_shape, self.params = a.shape, {"dim": dim, "size": size, "step": step}
        return _windows(self.xp, a, dim, size, step)

    def backward(self, grad):
        dim, size, step = self.params["dim"], self.params["size"], self.params["step"]
        shape = tuple(self.input_shape)
        out = self.xp.zeros(shape, _engine_dtype(grad))
        if not shape:
            return (self.xp.reshape(grad, ()),)
        count = grad.shape[dim]
        for j in range(size):  # the j-th element of every window
            key = [slice(None)] * len(shape)
            key[dim] = slice(j, j + step * (count - 1) + 1, step)
            out[tuple(key)] += grad[..., j]
        return (out,)


class Repeat(Moving, Function):
    """a.repeat(*sizes) and a.tile(sizes): copies of a side by side along each dim."""

    op, grad_name = "repeat", "RepeatBackward0"
    torch = "a.repeat(repeats)"

    def forward(self, a, repeats):
        self.input_shape, self.params = a.shape, {"repeats": repeats}
        if _torch_like(self.xp):
            return a.repeat(repeats)
        import numpy as np

        return np.tile(a, repeats)

    def backward(self, grad):
        repeats = self.params["repeats"]
        shape = (1,) * (len(repeats) - len(self.input_shape)) + tuple(self.input_shape)
        split = []
        for r, n in zip(repeats, shape):
            split += [r, n]
        summed = self.xp.sum(
            self.xp.reshape(grad, tuple(split)), axis=tuple(range(0, len(split), 2))
        )
        return (self.xp.reshape(summed, tuple(self.input_shape)),)


class IndexSelect(Moving, Function):
    op, grad_name = "index_select", "IndexSelectBackward0"
    torch = "a.index_select(dim, index)"

    def forward(self, a, dim, index):
        self.input_shape, self.params = a.shape, {"dim": dim, "index": index}
        if _torch_like(self.xp):
            return self.xp.torch.index_select(a, dim, index)
        import numpy as np

        return np.take(a, index, axis=dim)

    def backward(self, grad):
        dim, index = self.params["dim"], self.params["index"]
        shape = tuple(self.input_shape)
        if _torch_like(self.xp):
            out = self.xp.zeros(shape, _engine_dtype(grad))
            return (out.index_add_(dim, index, grad),)
        import numpy as np

        out = np.zeros(shape, grad.dtype)
        key = (slice(None),) * dim + (index,)
        np.add.at(out, key, grad)
        return (out,)


class MaskedSelect(Moving, Function):
    """a.masked_select(mask): the elements where the (broadcast) mask is True, as 1-d."""

    op, grad_name = "masked_select", "MaskedSelectBackward0"
    torch = "a.masked_select(mask)"

    def forward(self, a, mask):
        self.input_shape, self.params = a.shape, {"mask": mask}
        shape = tuple(_broadcast_shapes(tuple(a.shape), tuple(mask.shape)))
        self.shape = shape
        return self.xp.broadcast_to(a, shape)[self.xp.broadcast_to(mask, shape)]

    def backward(self, grad):
        out = self.xp.zeros(self.shape, _engine_dtype(grad))
        out[self.xp.broadcast_to(self.params["mask"], self.shape)] = grad
        return (out,)  # summed back to a's shape by the engine where the mask broadcast it


def _broadcast_shapes(a: tuple, b: tuple) -> tuple:
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def _scatter_key(xp, index, dim):
    """The index, as a key, of the places scatter writes: index along dim, the rest as is."""
    if _torch_like(xp):
        torch = xp.torch
        grid = list(torch.meshgrid(*[torch.arange(n) for n in index.shape], indexing="ij"))
    else:
        import numpy as np

        grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
    grid[dim] = index
    return tuple(grid)


def _part(source, index):
    """source cut down to index's shape (scatter reads only that corner of src)."""
    return source[tuple(slice(n) for n in index.shape)]


def _padded(xp, grad, shape):
    """grad (index-shaped) put in the corner of zeros shaped like src."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    out = xp.zeros(tuple(shape), _engine_dtype(grad))
    out[tuple(slice(n) for n in grad.shape)] = grad
    return out


class Scatter(Function):
    """a.scatter(dim, index, src): a copy of a with src's elements written at index."""

    op, grad_name = "scatter", "ScatterBackward0"
    inputs = ("a", "src")
    rules = ("index_put(grad, key, 0)", "index_put(0 * src, corner, grad[key])")
    torch = "a.scatter(dim, index, src)"

    def forward(self, a, src, dim, index):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        out = self.xp.copy(a)
        out[_scatter_key(self.xp, index, dim)] = _part(src, index)
        return out

    def backward(self, grad):
        key = _scatter_key(self.xp, self.index, self.dim)
        grad_a = self.xp.copy(grad)
        grad_a[key] = 0
        return grad_a, _padded(self.xp, grad[key], self.src_shape)

    def named_values(self):
        import numpy as np

        from ..backends import NUMPY

        index = _on_numpy(self.index)
        return {
            "key": _scatter_key(NUMPY, index, self.dim),
            "corner": tuple(slice(n) for n in index.shape),
            "src": np.zeros(tuple(self.src_shape)),
        }


class ScatterValue(Function):
    """a.scatter(dim, index, value): a copy of a with value written at index."""

    op, grad_name = "scatter", "ScatterBackward1"
    rules = ("index_put(grad, key, 0)",)
    torch = "a.scatter(dim, index, value)"

    def forward(self, a, dim, index, value):
        self.dim, self.index = dim, index
        out = self.xp.copy(a)
        out[_scatter_key(self.xp, index, dim)] = value
        return out

    def backward(self, grad):
        grad_a = self.xp.copy(grad)
        grad_a[_scatter_key(self.xp, self.index, self.dim)] = 0
        return (grad_a,)

    def named_values(self):
        from ..backends import NUMPY

        return {"key": _scatter_key(NUMPY, _on_numpy(self.index), self.dim)}


class ScatterAdd(Function):
    """a.scatter_add(dim, index, src): a plus src's elements added at index (repeats add)."""

    op, grad_name = "scatter_add", "ScatterAddBackward0"
    inputs = ("a", "src")
    rules = ("grad", "index_put(0 * src, corner, grad[key])")
    torch = "a.scatter_add(dim, index, src)"

    def forward(self, a, src, dim, index):
        self.dim, self.index, self.src_shape = dim, index, src.shape
        added = self.xp.scatter_add(tuple(a.shape), _engine_dtype(a), dim, index, _part(src, index))
        return a + added

    def backward(self, grad):
        key = _scatter_key(self.xp, self.index, self.dim)
        return grad, _padded(self.xp, grad[key], self.src_shape)

    named_values = Scatter.named_values


class IndexAdd(Function):
    """a.index_add(dim, index, source, alpha=1): source's slices added at index along dim."""

    op, grad_name = "index_add", "IndexAddBackward0"
    inputs = ("a", "source")
    rules = ("grad", "grad[key] * alpha")
    torch = "a.index_add(dim, index, source, alpha=alpha)"

    def forward(self, a, source, dim, index, alpha=1):
        self.dim, self.index, self.alpha = dim, index, alpha
        if a.ndim == 0:
            return a + self.xp.sum(source) * alpha
        if _torch_like(self.xp):
            return a.index_add(dim, index, source, alpha=alpha)
        import numpy as np

        out = a.copy()
        np.add.at(out, (slice(None),) * dim + (index,), source * alpha if alpha != 1 else source)
        return out

    def backward(self, grad):
        if grad.ndim == 0:
            return grad, self.xp.reshape(grad * self.alpha, (1,) * self.index.ndim)
        picked = grad[(slice(None),) * self.dim + (self.index,)]
        return grad, picked * self.alpha if self.alpha != 1 else picked

    def named_values(self):
        key = (slice(None),) * self.dim + (_on_numpy(self.index),)
        return {"key": key if self.index.ndim else (), "alpha": self.alpha}


class ConstantPadNd(Function):
    """F.pad(a, pad, value=v): value around a, pairs of (before, after) from the last dim
    on; a negative amount crops instead."""

    op, grad_name = "pad", "ConstantPadNdBackward0"
    rules = ("index_put(zeros_a, inner, grad[outer])",)
    torch = "F.pad(a, pad, value=value)"

    def forward(self, a, pad, value=0):
        shape = list(a.shape)
        inner, outer, out_shape = [slice(None)] * a.ndim, [slice(None)] * a.ndim, list(shape)
        for i in range(len(pad) // 2):
            d = a.ndim - 1 - i
            before, after = pad[2 * i], pad[2 * i + 1]
            out_shape[d] = shape[d] + before + after
            inner[d] = slice(max(-before, 0), shape[d] - max(-after, 0))
            outer[d] = slice(max(before, 0), out_shape[d] - max(after, 0))
        self.input_shape, self.inner, self.outer = a.shape, tuple(inner), tuple(outer)
        out = self.xp.full(tuple(out_shape), value, _engine_dtype(a))
        out[self.outer] = a[self.inner]
        return out

    def backward(self, grad):
        out = self.xp.zeros(tuple(self.input_shape), _engine_dtype(grad))
        out[self.inner] = grad[self.outer]
        return (out,)

    def named_values(self):
        import numpy as np

        return {
            "zeros_a": np.zeros(tuple(self.input_shape)),
            "inner": self.inner,
            "outer": self.outer,
        }
