"""Reductions along dims: sum, mean, max/min, median, sort, prod, topk, softmax."""

from __future__ import annotations

from ..autograd import Function
from ..dtypes import of_array as _engine_dtype
from ..dtypes import uint8


# ----------------------------------------------------------------------------- reductions
class Sum(Function):
    op, grad_name = "sum", "SumBackward0"
    rules = ("expand_to(grad, a_shape, dims)",)
    torch = "a.sum(dims, keepdim)"

    def forward(self, a, dims=None, keepdim=False):
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if dims is not None:
            self.grad_name = "SumBackward1"
        return self.xp.sum(a, axis=dims, keepdims=keepdim)

    def backward(self, grad):
        return (self.xp.broadcast_to(keep_dims(self, grad), self.input_shape),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "dims": self.dims}


class Mean(Function):
    op, grad_name = "mean", "MeanBackward0"
    rules = ("expand_to(grad, a_shape, dims) / n",)
    torch = "a.mean(dims, keepdim)"

    def forward(self, a, dims=None, keepdim=False):
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if dims is not None:
            self.grad_name = "MeanBackward1"
        out = self.xp.sum(a, axis=dims, keepdims=keepdim)
        self.count = reduced_count(a.shape, dims)
        return out / self.count if self.count else out * float("nan")

    def backward(self, grad):
        grad = keep_dims(self, grad) / max(self.count, 1)
        return (self.xp.broadcast_to(grad, self.input_shape),)

    def named_values(self):
        return {"n": self.count, "a_shape": tuple(self.input_shape), "dims": self.dims}


def reduced_count(shape, dims) -> int:
    """How many elements a reduction over ``dims`` (None: all of them) takes together."""
    n = 1
    for d in range(len(shape)) if dims is None else dims:
        n *= shape[d]
    return n


def keep_dims(node, grad):
    """Reinsert the reduced dims as size 1, so the gradient broadcasts to the input."""
    if node.keepdim or node.dims is None:
        return grad
    shape = list(node.input_shape)
    for d in node.dims:
        shape[d] = 1
    return node.xp.reshape(grad, tuple(shape))


class Max(Function):
    """max() over all elements; ties share the gradient equally (so do NaNs, as in PyTorch)."""

    op, grad_name = "max", "MaxBackward1"
    rules = ("where(a == max, grad / count(a == max), 0)",)
    torch = "a.max()"

    def forward(self, a):
        out = self.pick(a)
        self.save(a, out)
        return out

    def pick(self, a):
        return self.xp.max(a)

    def backward(self, grad):
        hits = self.hits()
        return (grad * hits / int(self.xp.sum(hits)),)

    def hits(self):
        """Where a equals its max (where a is NaN, when the max is NaN)."""
        a, out = self.saved
        return self.xp.isnan(a) if bool(out != out) else a == out

    def named_values(self):
        return {f"a == {self.op}": self.hits()} if self.saved else {}


class Min(Max):
    op, grad_name = "min", "MinBackward1"
    rules = ("where(a == min, grad / count(a == min), 0)",)
    torch = "a.min()"

    def pick(self, a):
        return self.xp.min(a)


class Median(Max):
    """median() over all elements: the lower middle value (NaN if any is NaN); ties share
    the gradient, as in PyTorch."""

    op, grad_name = "median", "MedianBackward0"
    rules = ("where(a == median, grad / count(a == median), 0)",)
    torch = "a.median()"

    def pick(self, a):
        flat = self.xp.reshape(a, (-1,))
        return self.xp.take_along_axis(flat, _lower_median_index(self.xp, flat, 0), 0)[0]


class PickAlongDim(Function):
    """Values picked along dim at an index the op chooses: (values, indices), with the
    gradient going back to the picked places. max(dim), min(dim), median(dim),
    kthvalue and mode differ only in the index they choose (``choose``)."""

    rules = ("scatter_add(a_shape, dim, index, grad)",)
    extra_outputs = 1

    def forward(self, a, dim, keepdim=False, **choice):
        xp = self.xp
        index = self.choose(a, dim, **choice)  # dim kept, size 1
        values = xp.take_along_axis(a, index, dim)
        self.input_shape, self.dim, self.index = a.shape, dim, index
        if not keepdim:
            values, index = _drop_dim(xp, values, dim), _drop_dim(xp, index, dim)
        return values, index

    def choose(self, a, dim, **choice):
        raise NotImplementedError

    def backward(self, grad):
        shape = list(self.input_shape)
        shape[self.dim] = 1
        grad = self.xp.reshape(grad, tuple(shape))
        return (scatter_grad(self, grad, self.index),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "dim": self.dim, "index": self.index}


class MaxDim(PickAlongDim):
    """max(dim): the first largest value along dim (NaN counts as the largest)."""

    op, grad_name = "max", "MaxBackward0"
    torch = "a.max(dim, keepdim).values"

    def choose(self, a, dim):
        return self.xp.argmax(a, axis=dim, keepdims=True)


class MinDim(PickAlongDim):
    op, grad_name = "min", "MinBackward0"
    torch = "a.min(dim, keepdim).values"

    def choose(self, a, dim):
        return self.xp.argmin(a, axis=dim, keepdims=True)


class MedianDim(PickAlongDim):
    """median(dim): the lower of the two middle values for an even count; a NaN wins."""

    op, grad_name = "median", "MedianBackward1"
    torch = "a.median(dim, keepdim).values"

    def choose(self, a, dim):
        return _lower_median_index(self.xp, a, dim)


class KthValue(PickAlongDim):
    """kthvalue(k, dim): the k-th smallest value along dim (k counts from 1)."""

    op, grad_name = "kthvalue", "KthvalueBackward0"
    torch = "a.kthvalue(k, dim, keepdim).values"

    def forward(self, a, k, dim, keepdim=False):
        return super().forward(a, dim, keepdim, k=k)

    def choose(self, a, dim, k):
        _, order = self.xp.sort(a, dim, False)
        return narrow(self.xp, order, dim, k - 1, 1)


class Mode(PickAlongDim):
    """mode(dim): the most frequent value along dim (the smallest of equally frequent
    ones), at the last place it occurs."""

    op, grad_name = "mode", "ModeBackward0"
    torch = "a.mode(dim, keepdim).values"

    def choose(self, a, dim):
        return self.xp.mode_index(a, dim)


def _lower_median_index(xp, a, dim):
    _, order = xp.sort(a, dim, False)
    index = narrow(xp, order, dim, (a.shape[dim] - 1) // 2, 1)
    if _engine_dtype(a).is_floating_point:  # a NaN along dim makes the median NaN
        nan = xp.isnan(a)
        first_nan = xp.argmax(xp.astype(nan, uint8), axis=dim, keepdims=True)  # torch: no bool
        has_nan = xp.take_along_axis(nan, first_nan, dim)
        index = xp.where(has_nan, first_nan, index)
    return index


class Sort(Function):
    """sort(dim, descending): (values, indices), stable; each value's gradient goes back to
    the place it came from."""

    op, grad_name = "sort", "SortBackward0"
    rules = ("scatter_add(a_shape, dim, index, grad)",)
    torch = "a.sort(dim, descending).values"
    extra_outputs = 1

    def forward(self, a, dim, descending=False):
        values, index = self.xp.sort(a, dim, descending)
        self.input_shape, self.dim, self.index = a.shape, dim, index
        return values, index

    def backward(self, grad):
        return (scatter_grad(self, grad, self.index),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "dim": self.dim, "index": self.index}


def _drop_dim(xp, array, dim):
    shape = list(array.shape)
    del shape[dim]
    return xp.reshape(array, tuple(shape))


def scatter_grad(node, grad, index):
    dtype = _engine_dtype(grad)
    return node.xp.scatter_add(tuple(node.input_shape), dtype, node.dim, index, grad)


class Prod(Function):
    """The product; its backward multiplies the other elements. The words say ``prod / a``
    for that product, the value shown is computed without dividing, so exact with zeros."""

    op, grad_name = "prod", "ProdBackward0"
    rules = ("expand_to(grad, a_shape, dims) * (prod / a)",)
    torch = "a.prod() if dim is None else a.prod(dim, keepdim)"

    def forward(self, a, dim=None, keepdim=False):
        self.dim, self.keepdim, self.input_shape = dim, keepdim, a.shape
        self.dims = None if dim is None else (dim,)
        if dim is not None:
            self.grad_name = "ProdBackward1"
        out = self.xp.prod(a, axis=dim, keepdims=keepdim)
        self.save(a, out)
        return out

    def backward(self, grad):
        others = self.others()
        return ((grad if self.dim is None else keep_dims(self, grad)) * others,)

    def others(self):
        """For each element of a, the product of all the others it was multiplied with."""
        xp, a = self.xp, self.saved[0]
        if self.dim is None:
            return xp.reshape(_exclusive_product(xp, xp.reshape(a, (-1,)), 0), a.shape)
        return _exclusive_product(xp, a, self.dim)

    def named_values(self):
        if not self.saved:
            return {}
        return {"prod / a": self.others(), "a_shape": tuple(self.input_shape), "dims": self.dims}


def _exclusive_product(xp, a, dim):
    """Product of all elements along dim except each one itself, exact even with zeros."""
    n = a.shape[dim]
    ones_shape = list(a.shape)
    ones_shape[dim] = 1
    ones = xp.ones(tuple(ones_shape), _engine_dtype(a))
    before = xp.cumprod(xp.concatenate([ones, narrow(xp, a, dim, 0, n - 1)], dim), dim)
    flipped = xp.flip(a, dim)
    after = xp.cumprod(xp.concatenate([ones, narrow(xp, flipped, dim, 0, n - 1)], dim), dim)
    return before * xp.flip(after, dim)


def narrow(xp, a, dim, start, length):
    """a[..., start:start + length, ...] along dim."""
    key = [slice(None)] * a.ndim
    key[dim] = slice(start, start + length)
    return a[tuple(key)]


class TopK(Sort):
    """topk(k, dim): the first k of a sort, largest first unless largest=False."""

    op, grad_name = "topk", "TopkBackward0"
    torch = "a.topk(k, dim, largest).values"

    def forward(self, a, k, dim, largest=True):
        values, index = self.xp.topk(a, k, dim, largest)
        self.input_shape, self.dim, self.index = a.shape, dim, index
        return values, index


class Softmax(Function):
    """exp(a - max) / sum(exp(a - max)): shifting by the max keeps exp from overflowing."""

    op, grad_name = "softmax", "SoftmaxBackward0"
    rules = ("y * (grad - sum(grad * y, dim))",)
    torch = "a.softmax(dim)"

    def forward(self, a, dim):
        xp = self.xp
        self.dim = dim
        if 0 in a.shape:  # nothing to normalise (numpy's max has no empty reduction)
            out = xp.copy(a)
        else:
            e = xp.exp(a - xp.max(a, axis=dim, keepdims=True))
            out = e / xp.sum(e, axis=dim, keepdims=True)
        self.save(out)
        return out

    def backward(self, grad):
        y = self.saved[0]
        return (y * (grad - self.xp.sum(grad * y, axis=self.dim, keepdims=True)),)

    def named_values(self):
        return {"y": self.saved[0], "dim": self.dim} if self.saved else {}


class LogSoftmax(Function):
    """a - max - log(sum(exp(a - max))), fused so it never takes the log of 0."""

    op, grad_name = "log_softmax", "LogSoftmaxBackward0"
    rules = ("grad - exp(y) * sum(grad, dim)",)
    torch = "a.log_softmax(dim)"

    def forward(self, a, dim):
        xp = self.xp
        self.dim = dim
        if 0 in a.shape:  # nothing to normalise (numpy's max has no empty reduction)
            out = xp.copy(a)
        else:
            shifted = a - xp.max(a, axis=dim, keepdims=True)
            out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        self.save(out)
        return out

    def backward(self, grad):
        xp, y = self.xp, self.saved[0]
        return (grad - xp.exp(y) * xp.sum(grad, axis=self.dim, keepdims=True),)

    def named_values(self):
        return {"y": self.saved[0], "dim": self.dim} if self.saved else {}
