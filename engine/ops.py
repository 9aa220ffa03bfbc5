"""Every op's forward value and local derivative, side by side, one small class per op.

Where each Tensor method lives (the method a learner calls -> the class here):

    a + b, add         Add          a.exp()            Exp          a.sum(dim)        Sum
    a - b, sub, rsub   Sub          a.log()            Log          a.mean(dim)       Mean
    a * b, mul         Mul          a.sin(), a.cos()   Sin, Cos     a.max(), a.min()  Max, Min
    a / b, div         Div          a.sqrt()           Sqrt         a.max(dim), min   MaxDim, MinDim
    -a, neg            Neg          a.abs()            Abs          a.prod(dim)       Prod
    a ** b, pow        Pow          a.tanh()           Tanh         a.topk(k)         TopK
    maximum(a, b)      Maximum      a.sigmoid()        Sigmoid      a.softmax(dim)    Softmax
    a @ b, matmul, mm  MatMul       a.relu()           Relu         a.log_softmax()   LogSoftmax
    where(c, a, b)     Where        a.clamp(min, max)  Clamp        a.argmax()        ArgMax
    a.masked_fill()    MaskedFill   a.to(dtype)        ToCopy       a.argmin()        ArgMin
    a.clone()          Clone        a.to(device)       ToDevice     ==, !=, <, ...    Eq, Ne, Lt...
    reshape, view      Reshape      a.permute, a.T     Permute      ~a, &, |, ^       LogicalNot...
    flatten            Reshape      a.transpose()      Transpose    cat(tensors)      Cat
    a.squeeze()        Squeeze      a.expand(shape)    Expand       stack(tensors)    Stack
    a.unsqueeze()      Unsqueeze    a[key], a[1:]      Index        a.gather(d, i)    Gather
    F.gelu(a)          Gelu         F.nll_loss(...)    NllLoss      a.var(), a.std()  Var, Std
    a.t()              T            nn.Embedding       Embedding    nn.LayerNorm      LayerNorm
    F.mse_loss(a, b)   MseLoss      a.isnan(), isinf   IsNan, IsInf a.sort(), median  Sort, Median

nn.Linear (F.linear) is Addmm on rows (MatMul without a bias), after T for W.t(), with the
views PyTorch puts around other inputs (Reshape, UnsafeView, SqueezeDims); a.square() is
a * a. The fused ops (Addmm, Embedding, LayerNorm, Var, Std, MseLoss) also give their
``parts``.

``forward`` works on backend arrays (``self.xp`` is the backend: numpy, or torch used as
plain arrays) and hands to ``self.save`` what ``backward`` needs; ``backward`` returns
one gradient per input, shaped like the output. Then the engine sums each gradient back
to its input's shape where the forward broadcast it: that is broadcasting's backward,
``sum_to_shape`` in rules.py (``Expand`` is the op whose rule is that sum and nothing
else). ``rules`` are the same derivatives in words, which the Graph pane shows with the
numbers and tests evaluate against the code; ``torch`` is the op in PyTorch's words,
which the Graph pane's per-node check runs. Checks of the operands happen before these
run (in tensor.py and checks.py), so the rules stay pure maths.
"""

from __future__ import annotations

import math

import numpy as np

from .autograd import Function
from .dtypes import int64, uint8
from .dtypes import of_array as _engine_dtype
from .rules import sum_to_shape


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    op, grad_name = "add", "AddBackward0"
    rules = ("grad", "grad")
    torch = "a + b"

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    op, grad_name = "sub", "SubBackward0"
    rules = ("grad", "-grad")
    torch = "a - b"

    def forward(self, a, b):
        if not hasattr(a, "shape"):
            self.grad_name = "RsubBackward1"
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    op, grad_name = "mul", "MulBackward0"
    rules = ("grad * b", "grad * a")
    torch = "a * b"

    def forward(self, a, b):
        self.save(a if hasattr(b, "shape") else None, b)  # a is read only for b's gradient
        return a * b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Function):
    op, grad_name = "div", "DivBackward0"
    rules = ("grad / b", "-grad * a / b**2")
    torch = "a / b"

    def forward(self, a, b):
        self.save(a if hasattr(b, "shape") else None, b)  # a is read only for b's gradient
        return a / b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad / b if needs_a else None), (-grad * a / (b * b) if needs_b else None)


class Neg(Function):
    op, grad_name = "neg", "NegBackward0"
    rules = ("-grad",)
    torch = "-a"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """a ** b for a tensor and a scalar exponent, a scalar base, or two tensors.

    Where b == 0 the gradient to a is 0, and where a == 0 (with b >= 0) the gradient to b
    is 0 rather than 0 * log(0) = NaN: PyTorch's choices, which the words spell out.
    """

    op, grad_name = "pow", "PowBackward0"
    rules = (
        "where(b == 0, 0, grad * b * a**(b - 1))",
        "where((a == 0) & (b >= 0), 0, grad * a**b * log(a))",
    )
    torch = "a ** b"

    def forward(self, a, b):
        a_is_tensor, b_is_tensor = hasattr(a, "shape"), hasattr(b, "shape")
        if not a_is_tensor:
            self.grad_name = "PowBackward2"
        elif b_is_tensor:
            self.grad_name = "PowBackward1"
        out = a**b
        self.save(a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        xp = self.xp
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_b = None
        if needs_a:
            if hasattr(b, "shape"):
                grad_a = xp.where(b == 0, 0.0, grad * b * a ** (b - 1))
            else:
                grad_a = grad * 0.0 if b == 0 else grad * b * a ** (b - 1)
        if needs_b:
            if hasattr(a, "shape"):
                grad_b = xp.where((a == 0) & (b >= 0), 0.0, grad * out * xp.log(a))
            else:
                grad_b = grad * out * _log_scalar(a)
                if a == 0:
                    grad_b = xp.where(b >= 0, 0.0, grad_b)
        return grad_a, grad_b

    def named_values(self):
        a, b, out = self.saved or (None, None, None)
        return {"a": a, "b": b, "a**b": out}


def _log_scalar(value):
    if value == 0:
        return -math.inf
    return math.log(value) if value > 0 else math.nan


class Maximum(Function):
    """The larger of a and b; at a tie each side gets half. A NaN on either side sends
    the whole gradient to both, as PyTorch does (no comparison with NaN holds)."""

    op, grad_name = "maximum", "MaximumBackward0"
    rules = (
        "where(a < b, 0, where(a == b, grad / 2, grad))",
        "where(b < a, 0, where(a == b, grad / 2, grad))",
    )
    torch = "torch.maximum(a, b)"

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad * 0.5, grad)
        return xp.where(a < b, 0.0, shared), xp.where(b < a, 0.0, shared)


# ----------------------------------------------------------------------------- elementwise
class Exp(Function):
    op, grad_name = "exp", "ExpBackward0"
    rules = ("grad * exp(a)",)
    torch = "a.exp()"

    def forward(self, a):
        out = self.xp.exp(a)
        self.save(out)
        return out

    def backward(self, grad):
        return (grad * self.saved[0],)

    def named_values(self):
        return {"exp(a)": self.saved[0]} if self.saved else {}


class Sin(Function):
    op, grad_name = "sin", "SinBackward0"
    rules = ("grad * cos(a)",)
    torch = "a.sin()"

    def forward(self, a):
        self.save(a)
        return self.xp.sin(a)

    def backward(self, grad):
        return (grad * self.xp.cos(self.saved[0]),)


class Cos(Function):
    op, grad_name = "cos", "CosBackward0"
    rules = ("-grad * sin(a)",)
    torch = "a.cos()"

    def forward(self, a):
        self.save(a)
        return self.xp.cos(a)

    def backward(self, grad):
        return (-grad * self.xp.sin(self.saved[0]),)


class Log(Function):
    op, grad_name = "log", "LogBackward0"
    rules = ("grad / a",)
    torch = "a.log()"

    def forward(self, a):
        self.save(a)
        return self.xp.log(a)

    def backward(self, grad):
        return (grad / self.saved[0],)


class Sqrt(Function):
    """sqrt(a); for std (``zero_at_zero``) a 0 output sends 0 back, as PyTorch's std does."""

    op, grad_name = "sqrt", "SqrtBackward0"
    rules = ("grad / (2 * sqrt(a))",)
    torch = "a.sqrt()"
    zero_at_zero = False

    def forward(self, a, zero_at_zero=False):
        out = self.xp.sqrt(a)
        self.save(out)
        if zero_at_zero:  # a constant input's std: the gradient is 0, not inf * 0 = NaN
            self.zero_at_zero = True
            self.rules = ("where(sqrt(a) == 0, 0, grad / (2 * sqrt(a)))",)
        return out

    def backward(self, grad):
        out = self.saved[0]
        if self.zero_at_zero:
            return (self.xp.where(out == 0, 0.0, grad / (2 * out)),)
        return (grad / (2 * out),)

    def named_values(self):
        return {"sqrt(a)": self.saved[0]} if self.saved else {}


class Abs(Function):
    op, grad_name = "abs", "AbsBackward0"
    rules = ("grad * sign(a)",)
    torch = "a.abs()"

    def forward(self, a):
        self.save(a)
        return self.xp.abs(a)

    def backward(self, grad):
        a, xp = self.saved[0], self.xp
        return (grad * xp.where(xp.isnan(a), 0.0, xp.sign(a)),)  # sign(NaN) is 0 in PyTorch


class Tanh(Function):
    op, grad_name = "tanh", "TanhBackward0"
    rules = ("grad * (1 - tanh(a)**2)",)
    torch = "a.tanh()"

    def forward(self, a):
        out = self.xp.tanh(a)
        self.save(out)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return (grad * (1 - out * out),)

    def named_values(self):
        return {"tanh(a)": self.saved[0]} if self.saved else {}


class Sigmoid(Function):
    op, grad_name = "sigmoid", "SigmoidBackward0"
    rules = ("grad * s * (1 - s)",)
    torch = "a.sigmoid()"

    def forward(self, a):
        out = self.xp.sigmoid(a)
        self.save(out)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return (grad * out * (1 - out),)

    def named_values(self):
        return {"s": self.saved[0]} if self.saved else {}


class Relu(Function):
    op, grad_name = "relu", "ReluBackward0"
    rules = ("where(relu(a) <= 0, 0, grad)",)  # a NaN input passes its gradient, as in PyTorch
    torch = "a.relu()"

    def forward(self, a):
        out = self.xp.relu(a)
        self.save(out)
        return out

    def backward(self, grad):
        # PyTorch zeroes where out <= 0, so a NaN input passes its gradient through
        return (self.xp.where(self.saved[0] <= 0, 0.0, grad),)

    def named_values(self):
        return {"relu(a)": self.saved[0]} if self.saved else {}


class Clamp(Function):
    op, grad_name = "clamp", "ClampBackward1"
    rules = ("grad * ((a >= min) & (a <= max))",)
    torch = "a.clamp(low, high)"

    def forward(self, a, low=None, high=None):
        self.save(a)
        self.low, self.high = low, high
        if high is None:
            self.rules = ("grad * (a >= min)",)
        elif low is None:
            self.rules = ("grad * (a <= max)",)
        return self.xp.clip(a, low, high)

    def backward(self, grad):
        a = self.saved[0]
        keep = True
        if self.low is not None:
            keep = a >= self.low
        if self.high is not None:
            keep = keep & (a <= self.high)
        return (grad * keep,)

    def named_values(self):
        return {"a": self.saved[0] if self.saved else None, "min": self.low, "max": self.high}


class Where(Function):
    op, grad_name = "where", "WhereBackward0"
    inputs = ("condition", "a", "b")
    rules = ("", "where(condition, grad, 0)", "where(condition, 0, grad)")
    torch = "torch.where(condition, a, b)"

    def forward(self, condition, a, b):
        self.save(condition)
        return self.xp.where(condition, a, b)

    def backward(self, grad):
        xp, condition = self.xp, self.saved[0]
        return None, xp.where(condition, grad, 0.0), xp.where(condition, 0.0, grad)


class MaskedFill(Function):
    op, grad_name = "masked_fill", "MaskedFillBackward0"
    inputs = ("a", "mask", "value")
    rules = ("where(mask, 0, grad)",)
    torch = "a.masked_fill(mask, value)"

    def forward(self, a, mask, value):
        self.save(mask)
        return self.xp.where(mask, value, a)

    def backward(self, grad):
        return self.xp.where(self.saved[0], 0.0, grad), None

    def named_values(self):
        return {"mask": self.saved[0]} if self.saved else {}


class ToCopy(Function):
    """A change of dtype; its gradient goes back in the input's dtype."""

    op, grad_name = "to", "ToCopyBackward0"
    rules = ("cast(grad, input_dtype)",)
    torch = "a.to(dtype)"

    def forward(self, a, dtype):
        self.input_dtype = _engine_dtype(a)
        return self.xp.astype(a, dtype)

    def backward(self, grad):
        return (self.xp.astype(grad, self.input_dtype),)

    def named_values(self):
        return {"input_dtype": self.input_dtype}


class ToDevice(Function):
    """A move to another device (tensor.py makes this node: its input and output live on
    different backends); the gradient moves back."""

    op, grad_name = "to", "ToCopyBackward0"
    rules = ("grad",)

    def backward(self, grad):
        back = self.source.backend
        if self.xp.name == "torch" and back.name == "torch":
            return (grad.to(back.torch_device),)
        return (back.from_numpy(np.array(self.xp.to_numpy(grad))),)


class Clone(Function):
    op, grad_name = "clone", "CloneBackward0"
    rules = ("grad",)
    torch = "a.clone()"

    def forward(self, a):
        return self.xp.copy(a)

    def backward(self, grad):
        return (grad,)


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
        return (self.xp.broadcast_to(_keep_dims(self, grad), self.input_shape),)

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
        grad = _keep_dims(self, grad) / max(self.count, 1)
        return (self.xp.broadcast_to(grad, self.input_shape),)

    def named_values(self):
        return {"n": self.count, "a_shape": tuple(self.input_shape), "dims": self.dims}


def reduced_count(shape, dims) -> int:
    """How many elements a reduction over ``dims`` (None: all of them) takes together."""
    n = 1
    for d in range(len(shape)) if dims is None else dims:
        n *= shape[d]
    return n


def _keep_dims(node, grad):
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
        return (_scatter(self, grad, self.index),)

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
        return (_scatter(self, grad, self.index),)

    def named_values(self):
        return {"a_shape": tuple(self.input_shape), "dim": self.dim, "index": self.index}


def _drop_dim(xp, array, dim):
    shape = list(array.shape)
    del shape[dim]
    return xp.reshape(array, tuple(shape))


def _scatter(node, grad, index):
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
        return ((grad if self.dim is None else _keep_dims(self, grad)) * others,)

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


# ----------------------------------------------------------------------------- linear algebra
class MatMul(Function):
    """a @ b with numpy's rules: 1-D operands are promoted, batch dims broadcast.

    The rule depends on the operands' dims, as PyTorch's node name does: matrices (Mm),
    stacks of matrices (Bmm), two vectors (Dot), a matrix and a vector (Mv) or the other
    way round; ``outer`` and ``mv`` are the vector products, stacked where needed.
    """

    op, grad_name = "matmul", "MmBackward0"
    rules = ("grad @ b.T", "a.T @ grad")
    torch = "a @ b"

    def forward(self, a, b):
        self.save(a, b)
        self.grad_name, self.rules = _matmul_kind(a.ndim, b.ndim)
        return self.xp.matmul(a, b)

    def backward(self, grad):
        xp = self.xp
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:  # restore the dims that 1-D operands lost, b's first
            grad = grad[..., None]
        if a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if needs_a:
            grad_a = xp.matmul(grad, xp.matrix_transpose(b2))
            if a.ndim == 1:
                grad_a = grad_a[..., 0, :]
        if needs_b:
            if b.ndim == 2 and grad.ndim == 2 and xp.is_transposed(b):
                # b is a .T view (Linear's W.T): build its gradient in W's own layout
                grad_b = xp.matrix_transpose(xp.matmul(xp.matrix_transpose(grad), a2))
            else:
                grad_b = xp.matmul(xp.matrix_transpose(a2), grad)
            if b.ndim == 1:
                grad_b = grad_b[..., 0]
        return grad_a, grad_b


def _matmul_kind(a_ndim: int, b_ndim: int) -> tuple[str, tuple[str, str]]:
    """PyTorch's node name for a @ b, and the rules for those dims."""
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0", ("grad * b", "grad * a")
    batched = a_ndim > 2 or b_ndim > 2
    name = "BmmBackward0" if batched else ("MvBackward0" if b_ndim == 1 else "MmBackward0")
    if b_ndim == 1:
        return name, ("outer(grad, b)", "mv(a.mT, grad)")
    if a_ndim == 1:
        return name, ("mv(b, grad)", "outer(a, grad)")
    if batched:
        return name, ("grad @ b.mT", "a.mT @ grad")
    return name, ("grad @ b.T", "a.T @ grad")


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
        return (_scatter(self, grad, self.index),)

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


# ----------------------------------------------------------------------------- writing
# In-place ops (a.add_(b), a[key] = v) run the ops above with the result written into a
# (tensor.py's apply(..., into=a)); these are the ops that only write.
class Fill(Function):
    """a.fill_(value): every element becomes value, so nothing flows back to a."""

    op, grad_name = "fill", "FillBackward0"
    rules = ("0 * grad",)
    torch = "a.clone().fill_(value)"

    def forward(self, a, value):
        return self.xp.full(tuple(a.shape), value, _engine_dtype(a))

    def backward(self, grad):
        return (grad * 0,)


class Zero(Fill):
    """a.zero_()."""

    op, grad_name = "zero", "ZeroBackward0"
    torch = "a.clone().zero_()"

    def forward(self, a):
        return self.xp.zeros(tuple(a.shape), _engine_dtype(a))


class Copy(Function):
    """a.copy_(src): src, broadcast to a's shape in a's dtype, replaces a."""

    op, grad_name = "copy", "CopyBackwards"
    inputs = ("a", "src")
    rules = ("0 * grad", "cast(grad, src_dtype)")
    torch = "a.clone().copy_(src)"

    def forward(self, a, src):
        self.src_dtype = _engine_dtype(src)
        return self.xp.copy(self.xp.broadcast_to(self.xp.astype(src, _engine_dtype(a)), a.shape))

    def backward(self, grad):
        return grad * 0, self.xp.astype(grad, self.src_dtype)

    def named_values(self):
        return {"src_dtype": self.src_dtype}


class IndexPut(Function):
    """a[key] = value with an index tensor or a mask in key (PyTorch's index_put_)."""

    op, grad_name = "index_put", "IndexPutBackward0"
    inputs = ("a", "value")
    rules = ("index_put(grad, key, 0)", "grad[key]")
    torch = "setitem(a, key, value)"

    def forward(self, a, value, key):
        self.key = key
        out = self.xp.copy(a)
        out[key] = value
        return out

    def backward(self, grad):
        grad_a = self.xp.copy(grad)
        grad_a[self.key] = 0
        return grad_a, grad[self.key]

    def named_values(self):
        return {"key": self.key}


class CopySlices(Function):
    """An in-place change through a view, seen from the view's base: the region the view
    covers is replaced by the view's new value. Its backward splits the gradient: the
    region goes to the new value (and on through the op that changed it), the rest to
    the base as it was."""

    op, grad_name = "copy_slices", "CopySlices"
    inputs = ("base", "value")
    rules = ("outside(grad, view)", "inside(grad, view)")
    torch = "copy_slices(base, view, value)"

    def forward(self, base, value, view):
        self.view = view
        out = self.xp.copy(base)
        view.region(out, self.xp)[...] = value
        return out

    def backward(self, grad):
        grad_base = self.xp.copy(grad)
        self.view.region(grad_base, self.xp)[...] = 0
        return grad_base, self.xp.copy(self.view.region(grad, self.xp))

    def named_values(self):
        return {"view": self.view}


# ----------------------------------------------------------------------------- no gradient
class Compare(Function):
    """==, !=, <, <=, >, >=: bool results, no gradient (one subclass each, below)."""

    differentiable = False

    def forward(self, a, b):
        return self.compare(a, b)


class Eq(Compare):
    op, torch = "eq", "a == b"

    def compare(self, a, b):
        return a == b


class Ne(Compare):
    op, torch = "ne", "a != b"

    def compare(self, a, b):
        return a != b


class Lt(Compare):
    op, torch = "lt", "a < b"

    def compare(self, a, b):
        return a < b


class Le(Compare):
    op, torch = "le", "a <= b"

    def compare(self, a, b):
        return a <= b


class Gt(Compare):
    op, torch = "gt", "a > b"

    def compare(self, a, b):
        return a > b


class Ge(Compare):
    op, torch = "ge", "a >= b"

    def compare(self, a, b):
        return a >= b


class ArgMax(Function):
    op = "argmax"
    torch = "a.argmax(dim, keepdim)"
    differentiable = False

    def forward(self, a, dim=None, keepdim=False):
        xp = self.xp
        if dim is None:
            out = self.pick(xp.reshape(a, (-1,)), None, False)
            return xp.reshape(out, (1,) * a.ndim) if keepdim else out
        return self.pick(a, dim, keepdim)

    def pick(self, a, dim, keepdim):
        return self.xp.argmax(a, axis=dim, keepdims=keepdim)


class ArgMin(ArgMax):
    op = "argmin"
    torch = "a.argmin(dim, keepdim)"

    def pick(self, a, dim, keepdim):
        return self.xp.argmin(a, axis=dim, keepdims=keepdim)


class LogicalNot(Function):
    op, torch = "logical_not", "a.logical_not()"
    differentiable = False

    def forward(self, a):
        return self.xp.logical_not(a)


class LogicalAnd(Function):
    op, torch = "logical_and", "a & b"
    differentiable = False

    def forward(self, a, b):
        return a & b


class LogicalOr(Function):
    op, torch = "logical_or", "a | b"
    differentiable = False

    def forward(self, a, b):
        return a | b


class LogicalXor(Function):
    op, torch = "logical_xor", "a ^ b"
    differentiable = False

    def forward(self, a, b):
        return a ^ b


# ----------------------------------------------------------------------------- fused for nn
class Gelu(Function):
    """a * Phi(a), exactly (with erf) or with PyTorch's tanh approximation."""

    op, grad_name = "gelu", "GeluBackward0"
    rules = ("grad * (Phi(a) + a * phi(a))",)
    torch = "F.gelu(a, approximate=approximate)"

    def forward(self, a, approximate="none"):
        self.save(a)
        self.approximate = approximate
        xp = self.xp
        if approximate == "tanh":
            self.rules = (
                "grad * (0.5 * (1 + t) + 0.5 * a * (1 - t**2) * k * (1 + 3 * 0.044715 * a**2))",
            )
            return 0.5 * a * (1 + xp.tanh(_tanh_inner(a)))
        return 0.5 * a * (1 + xp.erf(a * _SQRT_HALF))

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        if self.approximate == "tanh":
            t = xp.tanh(_tanh_inner(a))
            slope = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope),)
        cdf = 0.5 * (1 + xp.erf(a * _SQRT_HALF))
        pdf = xp.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return (grad * (cdf + a * pdf),)

    def named_values(self):
        if not self.saved:
            return {}
        a = self.saved[0]
        if self.approximate != "tanh":
            return {"a": a}
        return {"a": a, "t": self.xp.tanh(_tanh_inner(a)), "k": _SQRT_2_OVER_PI}


def _tanh_inner(a):
    return _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)


_SQRT_HALF = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT_2PI = 0.3989422804014327


class NllLoss(Function):
    """-logp[target], averaged over the targets that are not ignore_index (or summed).

    ``onehot`` in the words is the targets' classes, one-hot, with the rows of ignored
    targets all 0; ``n`` counts the targets that are not ignored (at least 1: with every
    target ignored the gradient is 0, as in PyTorch, while the mean loss is NaN).
    """

    op, grad_name = "nll_loss", "NllLossBackward0"
    inputs = ("logp", "target")
    rules = ("-grad * onehot / n",)
    torch = "F.nll_loss(logp, target, ignore_index=ignore_index, reduction=reduction)"

    def forward(self, logp, target, ignore_index=-100, reduction="mean"):
        xp = self.xp
        single = logp.ndim == 1
        if single:
            logp, target = logp[None, :], xp.reshape(target, (1,))
        valid = target != ignore_index
        safe = xp.where(valid, target, 0)
        rows = xp.arange(0, logp.shape[0], 1, int64)
        picked = -logp[rows, safe] * valid
        self.shape, self.rows, self.safe, self.valid = logp.shape, rows, safe, valid
        self.single, self.reduction = single, reduction
        self.count = int(xp.sum(valid))
        if reduction == "none":
            self.rules = ("-grad * onehot" if single else "-grad[:, None] * onehot",)
            return picked[0] if single else picked
        if reduction == "sum":
            self.rules = ("-grad * onehot",)
        total = xp.sum(picked)
        return total / self.count if reduction == "mean" else total

    def backward(self, grad):
        xp = self.xp
        if self.reduction == "none":
            per_row = xp.reshape(grad, (-1,)) * self.valid
        else:
            scale = grad / max(self.count, 1) if self.reduction == "mean" else grad
            per_row = scale * self.valid
        out = xp.zeros(tuple(self.shape), _engine_dtype(grad))
        out[self.rows, self.safe] = -per_row
        return (out[0] if self.single else out), None

    def named_values(self):
        onehot = self.xp.zeros(tuple(self.shape), int64)
        onehot[self.rows, self.safe] = self.xp.astype(self.valid, int64)
        return {"n": max(self.count, 1), "onehot": onehot[0] if self.single else onehot}


# ----------------------------------------------------------------------------- fused nodes
# One node where PyTorch shows one: nn.Linear is AddmmBackward0, not permute + matmul + add.
# Each class's ``parts`` is the same computation in the engine's primitive ops, on tensors,
# given the node's inputs and settings: the Graph pane runs it so a learner can open the
# node and step through what it fuses. ``apply`` is tensor.apply, for a primitive that no
# Tensor method reaches (std's sqrt, which sends 0 back where the std is 0).
class T(Transpose):
    """a.t(): a matrix transposed (a vector or a 0-d tensor comes back as it is)."""

    op, grad_name = "t", "TBackward0"
    rules = ("grad.T",)
    torch = "a.t()"

    def named_values(self):
        return {}


class Addmm(Function):
    """b + x @ w in one node: nn.Linear on rows, with w = W.t() ([in_features,
    out_features]); b is summed back to its shape by the engine, as broadcasting's
    backward."""

    op, grad_name = "addmm", "AddmmBackward0"
    inputs = ("b", "x", "w")
    rules = ("grad", "grad @ w.T", "x.T @ grad")
    torch = "torch.addmm(b, x, w)"

    def forward(self, b, x, w):
        self.save(x, w)
        out = self.xp.matmul(x, w)
        out += b  # into the fresh product: no second output array
        return out

    def backward(self, grad):
        xp = self.xp
        x, w = self.saved
        needs_b, needs_x, needs_w = self.needs_input_grad
        grad_x = xp.matmul(grad, xp.matrix_transpose(w)) if needs_x else None
        grad_w = None
        if needs_w and xp.is_transposed(w):  # w is W.t(): build its gradient in W's layout
            grad_w = xp.matrix_transpose(xp.matmul(xp.matrix_transpose(grad), x))
        elif needs_w:
            grad_w = xp.matmul(xp.matrix_transpose(x), grad)
        return (grad if needs_b else None), grad_x, grad_w

    def named_values(self):
        return {"x": self.saved[0], "w": self.saved[1]} if self.saved else {}

    @staticmethod
    def parts(apply, b, x, w):
        return x @ w + b


class Embedding(Function):
    """weight[indices]: rows of an embedding table; each row's gradient is added into the
    row it came from (a row picked twice gets both)."""

    op, grad_name = "embedding", "EmbeddingBackward0"
    inputs = ("weight", "indices")
    rules = ("index_add(weight_shape, indices, grad)",)
    torch = "F.embedding(indices, weight, padding_idx=padding_idx)"

    def forward(self, weight, indices, padding_idx=None):
        xp = self.xp
        self.weight_shape, self.padding_idx = weight.shape, padding_idx
        if padding_idx is not None:  # that row is padding: it gets no gradient
            self.rules = (
                "index_add(weight_shape, indices, grad * (indices != padding_idx)[..., None])",
            )
        self.save(indices)
        # through a flat index, so a 0-d index copies its row too (numpy would view it)
        rows = weight[xp.reshape(indices, (-1,))]
        return xp.reshape(rows, (*indices.shape, weight.shape[1]))

    def backward(self, grad):
        xp = self.xp
        count, width = self.weight_shape
        columns = xp.arange(0, width, 1, int64)
        positions = xp.reshape(self.saved[0], (-1, 1)) * width + columns
        summed = xp.index_add_flat(count * width, _engine_dtype(grad), positions, grad)
        summed = xp.reshape(summed, (count, width))
        if self.padding_idx is not None:
            summed[self.padding_idx] = 0
        return summed, None

    def named_values(self):
        if not self.saved:
            return {}
        values = {"weight_shape": tuple(self.weight_shape), "indices": self.saved[0]}
        return {**values, "padding_idx": self.padding_idx}

    @staticmethod
    def parts(apply, weight, indices, padding_idx=None):
        if padding_idx is None:
            return weight[indices]
        keep = (indices != padding_idx).unsqueeze(-1).float()  # padding rows get no gradient
        return weight[indices] * keep + weight.detach()[indices] * (1 - keep)


class LayerNorm(Function):
    """(a - mean) / sqrt(var + eps) over the last dims, then * weight + bias, in one node
    (PyTorch's native_layer_norm). In the words, ``xhat`` is the normalised input and
    ``rstd`` is 1 / sqrt(var + eps)."""

    op, grad_name = "layer_norm", "NativeLayerNormBackward0"
    inputs = ("a", "weight", "bias")
    rules = (
        "rstd * (grad * weight - mean(grad * weight, dims) "
        "- xhat * mean(grad * weight * xhat, dims))",
        "grad * xhat",
        "grad",
    )
    unscaled = ("rstd * (grad - mean(grad, dims) - xhat * mean(grad * xhat, dims))",)
    torch = "F.layer_norm(a, normalized_shape, weight, bias, eps)"

    def forward(self, a, weight, bias, normalized_shape, eps=1e-5):
        xp = self.xp
        self.dims = dims = tuple(range(a.ndim - len(normalized_shape), a.ndim))
        self.count = n = reduced_count(a.shape, dims)
        centered = a - xp.sum(a, axis=dims, keepdims=True) / n
        rstd = 1 / xp.sqrt(xp.sum(centered * centered, axis=dims, keepdims=True) / n + eps)
        xhat = centered * rstd
        self.save(a, weight, bias, xhat, rstd)  # a, weight and bias watched, as in PyTorch
        if weight is None:
            self.rules = self.unscaled
            return xhat if bias is None else xhat + bias
        return xhat * weight if bias is None else xhat * weight + bias

    def backward(self, grad):
        xp = self.xp
        _, weight, _, xhat, rstd = self.saved
        needs_a, needs_weight, needs_bias = self.needs_input_grad
        grad_a = None
        if needs_a:
            g = grad if weight is None else grad * weight
            dims, n = self.dims, self.count
            mean_g = xp.sum(g, axis=dims, keepdims=True) / n
            mean_gx = xp.sum(g * xhat, axis=dims, keepdims=True) / n
            grad_a = rstd * (g - mean_g - xhat * mean_gx)
        grad_weight = grad * xhat if needs_weight else None
        return grad_a, grad_weight, (grad if needs_bias else None)

    def named_values(self):
        if not self.saved:
            return {}
        _, weight, _, xhat, rstd = self.saved
        return {"xhat": xhat, "rstd": rstd, "weight": weight, "dims": self.dims}

    @staticmethod
    def parts(apply, a, weight, bias, normalized_shape, eps=1e-5):
        dims = tuple(range(a.ndim - len(normalized_shape), a.ndim))
        centered = a - a.mean(dims, keepdim=True)
        variance = (centered * centered).mean(dims, keepdim=True)
        out = centered / (variance + eps).sqrt()
        if weight is not None:
            out = out * weight
        return out if bias is None else out + bias


class Var(Function):
    """sum((a - mean)**2) / (n - correction) over dims, in one node."""

    op, grad_name = "var", "VarBackward0"
    rules = ("expand_to(grad, a_shape, dims) * 2 * (a - mean(a, dims)) / (n - correction)",)
    torch = "a.var(dims, correction=correction, keepdim=keepdim)"

    def forward(self, a, dims=None, correction=1, keepdim=False):
        xp = self.xp
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        n = reduced_count(a.shape, dims)
        self.divisor = max(n - correction, 0)  # 0 gives inf or NaN, as in PyTorch
        centered = a - xp.sum(a, axis=dims, keepdims=True) / n
        self.save(a, centered)  # a for the version check, as in PyTorch
        return xp.sum(centered * centered, axis=dims, keepdims=keepdim) / self.divisor

    def backward(self, grad):
        return (_keep_dims(self, grad) * self.saved[1] * 2 / self.divisor,)

    def named_values(self):
        if not self.saved:
            return {}
        values = {"a": self.saved[0], "a_shape": tuple(self.input_shape), "dims": self.dims}
        return {**values, "n - correction": self.divisor}

    @staticmethod
    def parts(apply, a, dims=None, correction=1, keepdim=False):
        centered = a - a.mean(dims, keepdim=True)
        divisor = max(reduced_count(a.shape, dims) - correction, 0)
        return (centered * centered).sum(dims, keepdim=keepdim) / divisor


class Std(Var):
    """sqrt(var) in one node; where the std is 0 (a constant input) the gradient is 0, as
    in PyTorch, not inf * 0 = NaN."""

    op, grad_name = "std", "StdBackward0"
    rules = (
        "expand_to(where(std == 0, 0, grad / std), a_shape, dims) * (a - mean(a, dims)) "
        "/ (n - correction)",
    )
    torch = "a.std(dims, correction=correction, keepdim=keepdim)"

    def forward(self, a, dims=None, correction=1, keepdim=False):
        out = self.xp.sqrt(super().forward(a, dims, correction, keepdim))
        self.save(*self.saved, out)
        return out

    def backward(self, grad):
        _, centered, out = self.saved
        scaled = self.xp.where(out == 0, 0.0, grad / out)
        return (_keep_dims(self, scaled) * centered / self.divisor,)

    def named_values(self):
        return {**super().named_values(), "std": self.saved[2]} if self.saved else {}

    @staticmethod
    def parts(apply, a, dims=None, correction=1, keepdim=False):
        return apply(Sqrt, Var.parts(apply, a, dims, correction, keepdim), zero_at_zero=True)


class UnsafeView(Reshape):
    """The reshape back to the batch's shape after nn.Linear's matmul, as PyTorch names it."""

    op, grad_name = "reshape", "UnsafeViewBackward0"


class SqueezeDims(Squeeze):
    """The squeeze that drops the row nn.Linear (no bias) gave a 1-D input, as PyTorch
    names it (squeeze over a list of dims)."""

    op, grad_name = "squeeze", "SqueezeBackward4"


class MseLoss(Function):
    """mean((a - b)**2) (or the sum, or each), in one node as PyTorch has it."""

    op, grad_name = "mse_loss", "MseLossBackward0"
    rules = ("grad * 2 * (a - b) / n", "-grad * 2 * (a - b) / n")
    torch = "F.mse_loss(a, b, reduction=reduction)"

    def forward(self, a, b, reduction="mean"):
        xp = self.xp
        difference = a - b
        self.save(a, b)
        self.reduction = reduction
        squared = difference * difference
        self.count = reduced_count(squared.shape, None)
        if reduction == "none":
            return squared
        total = xp.sum(squared)
        return total / self.count if reduction == "mean" else total

    def backward(self, grad):
        a, b = self.saved
        scale = 2 / self.count if self.reduction == "mean" else 2
        grad_a = grad * scale * (a - b)
        return grad_a, -grad_a

    def named_values(self):
        a, b = self.saved or (None, None)
        return {"a": a, "b": b, "n": self.count if self.reduction == "mean" else 1}

    @staticmethod
    def parts(apply, a, b, reduction="mean"):
        squared = (a - b) * (a - b)
        if reduction == "none":
            return squared
        return squared.mean() if reduction == "mean" else squared.sum()


# ----------------------------------------------------------------------------- predicates
class IsNan(Function):
    """a.isnan(), a.isinf(), a.isfinite(): bool results, no gradient."""

    op, torch = "isnan", "a.isnan()"
    differentiable = False

    def forward(self, a):
        return self.xp.isnan(a)


class IsInf(IsNan):
    op, torch = "isinf", "a.isinf()"

    def forward(self, a):
        return self.xp.isinf(a)


class IsFinite(IsNan):
    op, torch = "isfinite", "a.isfinite()"

    def forward(self, a):
        return self.xp.isfinite(a)
