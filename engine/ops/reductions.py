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
            if a.ndim == 0:  # prod(0) of a 0-d tensor: the product of its one element
                self.dim = self.dims = dim = None
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


# ----------------------------------------------------------------------------- scans, amax, norms
# cumsum, logsumexp and the rest have no function in the backends' shared list; _fn gives
# numpy's on the numpy backend and torch's of the same meaning on the torch one.
def _fn(xp, numpy_name: str, torch_name: str | None = None):
    import numpy as np

    if xp.name == "numpy":
        return getattr(np, numpy_name)
    return getattr(xp.torch, torch_name or numpy_name)


def _cumsum(xp, a, dim):
    return _fn(xp, "cumsum")(a, dim)


def _reverse_cumsum(xp, a, dim):
    """Sum of a[j] over j >= i along dim: cumsum's backward."""
    return xp.flip(_cumsum(xp, xp.flip(a, dim), dim), dim)


def _expanded(node, x):
    """A reduction's output (or gradient) broadcast back over the input's shape."""
    return node.xp.broadcast_to(keep_dims(node, x), tuple(node.input_shape))


class Cumsum(Function):
    """cumsum(dim): running sums along dim; each input adds to every later output."""

    op, grad_name = "cumsum", "CumsumBackward0"
    rules = ("flip(cumsum(flip(grad, dim), dim), dim)",)
    torch = "a.cumsum(dim)"

    def forward(self, a, dim):
        self.dim = dim
        if a.ndim == 0:
            return self.xp.copy(a)
        return _cumsum(self.xp, a, dim)

    def backward(self, grad):
        if grad.ndim == 0:
            return (grad,)
        return (_reverse_cumsum(self.xp, grad, self.dim),)

    def named_values(self):
        return {"dim": self.dim}


class Cumprod(Function):
    """cumprod(dim): running products along dim. Its backward sums, for each input, the
    later gradients times the products without that input: computed without dividing
    where a has zeros, so exact there (as PyTorch's); the words divide, as the maths does."""

    op, grad_name = "cumprod", "CumprodBackward0"
    rules = ("flip(cumsum(flip(grad * y, dim), dim), dim) / a",)
    torch = "a.cumprod(dim)"

    def forward(self, a, dim):
        self.dim = dim
        out = self.xp.copy(a) if a.ndim == 0 else self.xp.cumprod(a, dim)
        self.save(a, out)
        return out

    def backward(self, grad):
        xp, (a, out) = self.xp, self.saved
        if a.ndim == 0:
            return (grad,)
        if bool(_fn(xp, "all")(a != 0)):  # no zeros: the later gradients over a
            return (_reverse_cumsum(xp, grad * out, self.dim) / a,)
        return (_cumprod_grad_with_zeros(xp, a, grad, self.dim),)

    def named_values(self):
        return {"a": self.saved[0], "y": self.saved[1], "dim": self.dim} if self.saved else {}


def _cumprod_grad_with_zeros(xp, a, grad, dim):
    """grad_a[i] = sum over j >= i of grad[j] * prod(a[k] for k <= j, k != i), exactly:
    an (n, n) table per slice, fine for the sizes a learner inspects."""
    n = a.shape[dim]
    order = [d for d in range(a.ndim) if d != dim] + [dim]
    back = [0] * a.ndim
    for i, d in enumerate(order):
        back[d] = i
    a_last = xp.permute(a, tuple(order))  # (..., n)
    g_last = xp.permute(grad, tuple(order))
    lead = tuple(a_last.shape[:-1])
    eye = xp.eye(n, n, _engine_dtype(a)) != 0
    table = xp.broadcast_to(xp.reshape(a_last, (*lead, 1, n)), (*lead, n, n))  # [i, k] = a[k]
    table = xp.where(eye, xp.ones((), _engine_dtype(a)), table)  # a[i] left out of row i
    products = xp.cumprod(table, len(lead) + 1)  # [i, j] = prod over k <= j, k != i
    later = _fn(xp, "triu")(xp.ones((n, n), _engine_dtype(a)))  # [i, j] = 1 where j >= i
    g = xp.reshape(g_last, (*lead, 1, n))
    out = xp.sum(products * later * g, axis=len(lead) + 1)
    return xp.permute(out, tuple(back))


class Amax(Function):
    """amax(dims): the largest value over dims; ties share the gradient equally."""

    op, grad_name = "amax", "AmaxBackward0"
    rules = ("where(a == amax, expand_to(grad, a_shape, dims) / ties, 0)",)
    torch = "a.amax(tuple(range(a.ndim)) if dims is None else dims, keepdim)"

    def forward(self, a, dims=None, keepdim=False):
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if 0 in a.shape:  # numpy's max has no empty reduction; nothing to pick
            shape = [1 if dims is None or d in dims else n for d, n in enumerate(a.shape)]
            out = self.xp.zeros(tuple(shape), _engine_dtype(a))
            out = out if keepdim else self.xp.reshape(out, _dropped(a.shape, dims))
        else:
            out = self.pick(a, dims, keepdim)
        self.save(a, out)
        return out

    def pick(self, a, dims, keepdim):
        return self.xp.max(a, axis=dims, keepdims=keepdim)

    def hits_and_ties(self):
        a, out = self.saved
        xp = self.xp
        hits = a == _expanded(self, out)
        ties = xp.sum(xp.astype(hits, _engine_dtype(a)), axis=self.dims, keepdims=True)
        return hits, xp.broadcast_to(ties, tuple(self.input_shape))

    def backward(self, grad):
        hits, ties = self.hits_and_ties()
        grad = _expanded(self, grad)
        return (self.xp.where(hits, grad / ties, self.xp.zeros((), _engine_dtype(grad))),)

    def named_values(self):
        if not self.saved:
            return {}
        hits, ties = self.hits_and_ties()
        return {
            "a": self.saved[0],
            f"a == {self.op}": hits,
            "ties": ties,
            "a_shape": tuple(self.input_shape),
            "dims": self.dims,
        }


class Amin(Amax):
    op, grad_name = "amin", "AminBackward0"
    rules = ("where(a == amin, expand_to(grad, a_shape, dims) / ties, 0)",)
    torch = "a.amin(tuple(range(a.ndim)) if dims is None else dims, keepdim)"

    def pick(self, a, dims, keepdim):
        return self.xp.min(a, axis=dims, keepdims=keepdim)


def _dropped(shape, dims) -> tuple:
    return tuple(n for d, n in enumerate(shape) if dims is not None and d not in dims)


class LogSumExp(Function):
    """log(sum(exp(a))) over dims, shifted by the max so exp never overflows; its
    gradient is the softmax over those dims."""

    op, grad_name = "logsumexp", "LogsumexpBackward0"
    rules = ("expand_to(grad, a_shape, dims) * exp(a - expand_to(y, a_shape, dims))",)
    torch = "a.logsumexp(tuple(range(a.ndim)) if dims is None else dims, keepdim)"

    def forward(self, a, dims=None, keepdim=False):
        xp = self.xp
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        dtype = _engine_dtype(a)
        if 0 in a.shape:
            kept = [1 if dims is None or d in dims else n for d, n in enumerate(a.shape)]
            shift = xp.zeros(tuple(kept), dtype)
        else:
            shift = xp.max(a, axis=dims, keepdims=True)
            shift = xp.where(xp.isfinite(shift), shift, xp.zeros((), dtype))
        out = xp.log(xp.sum(xp.exp(a - shift), axis=dims, keepdims=True)) + shift
        if not keepdim:
            out = xp.reshape(out, _dropped(a.shape, dims))
        self.save(a, out)
        return out

    def backward(self, grad):
        a, out = self.saved
        return (_expanded(self, grad) * self.xp.exp(a - _expanded(self, out)),)

    def named_values(self):
        if not self.saved:
            return {}
        a_shape = tuple(self.input_shape)
        return {"a": self.saved[0], "y": self.saved[1], "a_shape": a_shape, "dims": self.dims}


class VectorNorm(Function):
    """linalg.vector_norm(a, ord, dims): (sum |a|^p)^(1/p), with p = inf the largest |a|
    (ties share the gradient), p = 0 the count of non-zeros. Where the norm is 0 the
    gradient is 0, as in PyTorch."""

    op, grad_name = "vector_norm", "LinalgVectorNormBackward0"
    rules = ("where(n == 0, 0, expand_to(grad, a_shape, dims) * a / n)",)
    torch = "torch.linalg.vector_norm(a, p, dims, keepdim)"
    _WORDS = {
        2: "where(n == 0, 0, expand_to(grad, a_shape, dims) * a / n)",
        1: "expand_to(grad, a_shape, dims) * sign(a)",
        0: "0 * a",
        "inf": "expand_to(grad, a_shape, dims) * sign(a) * where(abs(a) == n, 1, 0) / ties",
        "p": "where(n == 0, 0, expand_to(grad, a_shape, dims) * a * abs(a) ** (p - 2) "
        "/ n ** (p - 1))",
    }

    def forward(self, a, p=2, dims=None, keepdim=False):
        xp = self.xp
        self.input_shape, self.dims, self.keepdim, self.p = a.shape, dims, keepdim, p
        kind = p if p in (0, 1, 2) else "inf" if p in (_INF, -_INF) else "p"
        self.kind = kind
        self.rules = (self._WORDS[kind],)
        size = xp.abs(a)
        if kind == 2:
            out = xp.sqrt(xp.sum(a * a, axis=dims, keepdims=keepdim))
        elif kind == 1:
            out = xp.sum(size, axis=dims, keepdims=keepdim)
        elif kind == 0:
            out = xp.sum(xp.astype(a != 0, _engine_dtype(a)), axis=dims, keepdims=keepdim)
        elif kind == "inf":
            pick = xp.max if p > 0 else xp.min
            out = pick(size, axis=dims, keepdims=keepdim)
        else:
            out = xp.sum(size**p, axis=dims, keepdims=keepdim) ** (1.0 / p)
        self.save(a, out)
        return out

    def backward(self, grad):
        xp, (a, out) = self.xp, self.saved
        grad = _expanded(self, grad)
        zero = xp.zeros((), _engine_dtype(a))
        if self.kind == 1:
            return (grad * xp.sign(a),)
        if self.kind == 0:
            return (grad * zero,)
        n = _expanded(self, out)
        if self.kind == "inf":
            hits, ties = self._hits_and_ties()
            return (xp.where(hits, grad * xp.sign(a) / ties, zero),)
        if self.kind == 2:
            return (xp.where(n == 0, zero, grad * a / xp.where(n == 0, zero + 1, n)),)
        p = self.p
        safe = xp.where(n == 0, zero + 1, n)
        return (xp.where(n == 0, zero, grad * a * xp.abs(a) ** (p - 2) / safe ** (p - 1)),)

    def _hits_and_ties(self):
        xp, (a, out) = self.xp, self.saved
        hits = xp.abs(a) == _expanded(self, out)
        ties = xp.sum(xp.astype(hits, _engine_dtype(a)), axis=self.dims, keepdims=True)
        return hits, xp.broadcast_to(ties, tuple(self.input_shape))

    def named_values(self):
        if not self.saved:
            return {}
        values = {"a": self.saved[0], "n": _expanded(self, self.saved[1]), "p": self.p}
        if self.kind == "inf":
            values["ties"] = self._hits_and_ties()[1]
        return {**values, "a_shape": tuple(self.input_shape), "dims": self.dims}


_INF = float("inf")
