"""Every op's forward value and local derivative, side by side, one small class per op.

``forward`` works on backend arrays (``self.xp`` is the backend) and saves what
``backward`` needs; ``backward`` returns one gradient per input, shaped like the
output; the autograd engine sums broadcast gradients back to each input's shape.
``rules`` are the same derivatives in words, which the Graph pane shows with numbers.
Validation happens before these run (see tensor.py), so the rules stay pure maths.
"""

from __future__ import annotations

from .autograd import Function


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    op, grad_name = "add", "AddBackward0"
    rules = ("grad", "grad")

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    op, grad_name = "sub", "SubBackward0"
    rules = ("grad", "-grad")

    def forward(self, a, b):
        if not hasattr(a, "shape"):
            self.grad_name = "RsubBackward1"
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    op, grad_name = "mul", "MulBackward0"
    rules = ("grad * b", "grad * a")
    saves = (0, 1)

    def forward(self, a, b):
        self.save(a, b)
        return a * b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Function):
    op, grad_name = "div", "DivBackward0"
    rules = ("grad / b", "-grad * a / b**2")
    saves = (0, 1)

    def forward(self, a, b):
        self.save(a, b)
        return a / b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad / b if needs_a else None), (-grad * a / (b * b) if needs_b else None)


class Neg(Function):
    op, grad_name = "neg", "NegBackward0"
    rules = ("-grad",)

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """a ** b for a tensor and a scalar exponent, a scalar base, or two tensors."""

    op, grad_name = "pow", "PowBackward0"
    rules = ("grad * b * a**(b-1)", "grad * a**b * log(a)")
    saves = (0, 1)
    saves_output = True

    def forward(self, a, b):
        a_is_tensor, b_is_tensor = hasattr(a, "shape"), hasattr(b, "shape")
        self.grad_name = (
            ("PowBackward1" if b_is_tensor else "PowBackward0") if a_is_tensor else ("PowBackward2")
        )
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
            # PyTorch's rule: 0 where a == 0 and b >= 0 (not 0 * log 0 = NaN)
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
    import math

    if value == 0:
        return -math.inf
    return math.log(value) if value > 0 else math.nan


class Maximum(Function):
    op, grad_name = "maximum", "MaximumBackward0"
    rules = ("grad where not a < b (half at ties)", "grad where not b < a (half at ties)")
    saves = (0, 1)

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.maximum(a, b)

    def backward(self, grad):
        # PyTorch's rule: a NaN on either side sends the whole gradient to both
        a, b = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad * 0.5, grad)
        return xp.where(a < b, 0.0, shared), xp.where(b < a, 0.0, shared)


# ----------------------------------------------------------------------------- elementwise
class Exp(Function):
    op, grad_name = "exp", "ExpBackward0"
    rules = ("grad * exp(a)",)
    saves_output = True

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
    saves = (0,)

    def forward(self, a):
        self.save(a)
        return self.xp.sin(a)

    def backward(self, grad):
        return (grad * self.xp.cos(self.saved[0]),)


class Cos(Function):
    op, grad_name = "cos", "CosBackward0"
    rules = ("-grad * sin(a)",)
    saves = (0,)

    def forward(self, a):
        self.save(a)
        return self.xp.cos(a)

    def backward(self, grad):
        return (-grad * self.xp.sin(self.saved[0]),)


class Log(Function):
    op, grad_name = "log", "LogBackward0"
    rules = ("grad / a",)
    saves = (0,)

    def forward(self, a):
        self.save(a)
        return self.xp.log(a)

    def backward(self, grad):
        return (grad / self.saved[0],)


class Sqrt(Function):
    """sqrt(a); for std (``zero_at_zero``) a 0 output sends 0 back, as PyTorch's std does."""

    op, grad_name = "sqrt", "SqrtBackward0"
    rules = ("grad / (2 * sqrt(a))",)
    saves_output = True
    zero_at_zero = False

    def forward(self, a, zero_at_zero=False):
        out = self.xp.sqrt(a)
        self.save(out)
        if zero_at_zero:
            self.zero_at_zero = True
            self.rules = ("grad / (2 * sqrt(a)), 0 where sqrt(a) = 0 (a constant input)",)
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
    saves = (0,)

    def forward(self, a):
        self.save(a)
        return self.xp.abs(a)

    def backward(self, grad):
        a, xp = self.saved[0], self.xp
        return (grad * xp.where(xp.isnan(a), 0.0, xp.sign(a)),)  # sign(NaN) is 0 in PyTorch


class Tanh(Function):
    op, grad_name = "tanh", "TanhBackward0"
    rules = ("grad * (1 - tanh(a)**2)",)
    saves_output = True

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
    saves_output = True

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
    rules = ("grad * (a > 0)",)
    saves_output = True

    def forward(self, a):
        out = self.xp.relu(a)
        self.save(out)
        return out

    def backward(self, grad):
        # PyTorch zeroes where out <= 0, so a NaN input passes its gradient through
        return (self.xp.where(self.saved[0] <= 0, 0.0, grad),)

    def named_values(self):
        return {"a > 0": self.saved[0] > 0} if self.saved else {}


class Clamp(Function):
    op, grad_name = "clamp", "ClampBackward1"
    rules = ("grad where min <= a <= max, else 0",)
    saves = (0,)

    def forward(self, a, low=None, high=None):
        self.save(a)
        self.low, self.high = low, high
        return self.xp.clip(a, low, high)

    def backward(self, grad):
        a = self.saved[0]
        keep = True
        if self.low is not None:
            keep = a >= self.low
        if self.high is not None:
            keep = keep & (a <= self.high)
        return (grad * keep,)


class Where(Function):
    op, grad_name = "where", "WhereBackward0"
    rules = ("", "grad where condition", "grad where not condition")

    def forward(self, condition, a, b):
        self.condition = condition
        return self.xp.where(condition, a, b)

    def backward(self, grad):
        xp, condition = self.xp, self.condition
        return None, xp.where(condition, grad, 0.0), xp.where(condition, 0.0, grad)


class MaskedFill(Function):
    op, grad_name = "masked_fill", "MaskedFillBackward0"
    rules = ("grad where not mask, else 0",)

    def forward(self, a, mask, value):
        self.mask = mask
        return self.xp.where(mask, value, a)

    def backward(self, grad):
        return self.xp.where(self.mask, 0.0, grad), None


class ToCopy(Function):
    """A change of dtype; its gradient goes back in the input's dtype."""

    op, grad_name = "to", "ToCopyBackward0"
    rules = ("grad (cast back to the input's dtype)",)

    def forward(self, a, dtype):
        self.input_dtype = _engine_dtype(a)
        return self.xp.astype(a, dtype)

    def backward(self, grad):
        return (self.xp.astype(grad, self.input_dtype),)


class Clone(Function):
    op, grad_name = "clone", "CloneBackward0"
    rules = ("grad",)

    def forward(self, a):
        return self.xp.copy(a)

    def backward(self, grad):
        return (grad,)


# ----------------------------------------------------------------------------- reductions
class Sum(Function):
    op, grad_name = "sum", "SumBackward0"
    rules = ("grad, broadcast back over the summed dims",)

    def forward(self, a, dims=None, keepdim=False):
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if dims is not None:
            self.grad_name = "SumBackward1"
        return self.xp.sum(a, axis=dims, keepdims=keepdim)

    def backward(self, grad):
        return (self.xp.broadcast_to(_keep_dims(self, grad), self.input_shape),)


class Mean(Function):
    op, grad_name = "mean", "MeanBackward0"
    rules = ("grad / n, broadcast back over the averaged dims",)

    def forward(self, a, dims=None, keepdim=False):
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        if dims is not None:
            self.grad_name = "MeanBackward1"
        out = self.xp.sum(a, axis=dims, keepdims=keepdim)
        self.count = _count(a.shape, dims)
        return out / self.count if self.count else out * float("nan")

    def backward(self, grad):
        grad = _keep_dims(self, grad) / max(self.count, 1)
        return (self.xp.broadcast_to(grad, self.input_shape),)

    def named_values(self):
        return {"n": self.count}


def _count(shape, dims) -> int:
    count = 1
    for d in range(len(shape)) if dims is None else dims:
        count *= shape[d]
    return count


def _keep_dims(node, grad):
    """Reinsert the reduced dims as size 1, so the gradient broadcasts to the input."""
    if node.keepdim or node.dims is None:
        return grad
    shape = list(node.input_shape)
    for d in node.dims:
        shape[d] = 1
    return node.xp.reshape(grad, tuple(shape))


class Extreme(Function):
    """max() or min() over all elements; ties share the gradient equally."""

    op, grad_name = "max", "MaxBackward1"
    rules = ("grad / (number of maxima) where a equals the max, else 0",)

    def forward(self, a, largest=True):
        if not largest:
            self.op, self.grad_name = "min", "MinBackward1"
        out = self.xp.max(a) if largest else self.xp.min(a)
        self.save(a, out)
        return out

    def backward(self, grad):
        # a NaN max: the gradient is shared by the NaNs, as in PyTorch
        a, out = self.saved
        hits = self.xp.isnan(a) if bool(out != out) else a == out
        return (grad * hits / int(self.xp.sum(hits)),)


class ExtremeDim(Function):
    """max(dim) or min(dim): (values, indices); the gradient goes to the chosen index."""

    op, grad_name = "max", "MaxBackward0"
    rules = ("grad at the index of the max along dim, else 0",)
    extra_outputs = 1

    def forward(self, a, dim, keepdim=False, largest=True):
        xp = self.xp
        if not largest:
            self.op, self.grad_name = "min", "MinBackward0"
        pick = xp.argmax if largest else xp.argmin
        index = pick(a, axis=dim, keepdims=True)
        values = xp.take_along_axis(a, index, dim)
        self.input_shape, self.dim, self.dtype, self.index = a.shape, dim, a.dtype, index
        if not keepdim:
            values, index = _drop_dim(xp, values, dim), _drop_dim(xp, index, dim)
        return values, index

    def backward(self, grad):
        shape = list(self.input_shape)
        shape[self.dim] = 1
        grad = self.xp.reshape(grad, tuple(shape))
        return (_scatter(self, grad, self.index),)


def _drop_dim(xp, array, dim):
    shape = list(array.shape)
    del shape[dim]
    return xp.reshape(array, tuple(shape))


def _scatter(node, grad, index):
    dtype = _engine_dtype(grad)
    return node.xp.scatter_add(tuple(node.input_shape), dtype, node.dim, index, grad)


def _engine_dtype(array):
    from .dtypes import of_array

    return of_array(array)


class Prod(Function):
    op, grad_name = "prod", "ProdBackward0"
    rules = ("grad * (product of the other elements)",)
    saves = (0,)

    def forward(self, a, dim=None, keepdim=False):
        self.save(a)
        self.dim, self.keepdim, self.input_shape = dim, keepdim, a.shape
        self.dims = None if dim is None else (dim,)
        if dim is not None:
            self.grad_name = "ProdBackward1"
        return self.xp.prod(a, axis=dim, keepdims=keepdim)

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        if self.dim is None:
            others = _exclusive_product(xp, xp.reshape(a, (-1,)), 0)
            return (grad * xp.reshape(others, a.shape),)
        others = _exclusive_product(xp, a, self.dim)
        return (_keep_dims(self, grad) * others,)


def _exclusive_product(xp, a, dim):
    """Product of all elements along dim except each one itself, exact even with zeros."""
    n = a.shape[dim]
    ones_shape = list(a.shape)
    ones_shape[dim] = 1
    ones = xp.ones(tuple(ones_shape), _engine_dtype(a))
    before = xp.cumprod(xp.concatenate([ones, _narrow(xp, a, dim, 0, n - 1)], dim), dim)
    flipped = xp.flip(a, dim)
    after = xp.cumprod(xp.concatenate([ones, _narrow(xp, flipped, dim, 0, n - 1)], dim), dim)
    return before * xp.flip(after, dim)


def _narrow(xp, a, dim, start, length):
    key = [slice(None)] * a.ndim
    key[dim] = slice(start, start + length)
    return a[tuple(key)]


class TopK(Function):
    op, grad_name = "topk", "TopkBackward0"
    rules = ("grad at the chosen indices, else 0",)
    extra_outputs = 1

    def forward(self, a, k, dim, largest=True):
        values, index = self.xp.topk(a, k, dim, largest)
        self.input_shape, self.dim, self.index = a.shape, dim, index
        return values, index

    def backward(self, grad):
        return (_scatter(self, grad, self.index),)


class Softmax(Function):
    """exp(a - max) / sum(exp(a - max)): shifting by the max keeps exp from overflowing."""

    op, grad_name = "softmax", "SoftmaxBackward0"
    rules = ("y * (grad - sum(grad * y, dim))",)
    saves_output = True

    def forward(self, a, dim):
        xp = self.xp
        self.dim = dim
        if 0 in a.shape:  # nothing to normalise (numpy's max has no empty reduction)
            self.save(xp.copy(a))
            return xp.copy(a)
        e = xp.exp(a - xp.max(a, axis=dim, keepdims=True))
        out = e / xp.sum(e, axis=dim, keepdims=True)
        self.save(out)
        self.dim = dim
        return out

    def backward(self, grad):
        y = self.saved[0]
        return (y * (grad - self.xp.sum(grad * y, axis=self.dim, keepdims=True)),)

    def named_values(self):
        return {"y": self.saved[0]} if self.saved else {}


class LogSoftmax(Function):
    """a - max - log(sum(exp(a - max))), fused so it never takes the log of 0."""

    op, grad_name = "log_softmax", "LogSoftmaxBackward0"
    rules = ("grad - exp(y) * sum(grad, dim)",)
    saves_output = True

    def forward(self, a, dim):
        xp = self.xp
        self.dim = dim
        if 0 in a.shape:  # nothing to normalise (numpy's max has no empty reduction)
            self.save(xp.copy(a))
            return xp.copy(a)
        shifted = a - xp.max(a, axis=dim, keepdims=True)
        out = shifted - xp.log(xp.sum(xp.exp(shifted), axis=dim, keepdims=True))
        self.save(out)
        self.dim = dim
        return out

    def backward(self, grad):
        xp, y = self.xp, self.saved[0]
        return (grad - xp.exp(y) * xp.sum(grad, axis=self.dim, keepdims=True),)

    def named_values(self):
        return {"y": self.saved[0]} if self.saved else {}


# ----------------------------------------------------------------------------- linear algebra
class MatMul(Function):
    """a @ b with numpy's rules: 1-D operands are promoted, batch dims broadcast."""

    op, grad_name = "matmul", "MmBackward0"
    rules = ("grad @ b.T", "a.T @ grad")
    saves = (0, 1)

    def forward(self, a, b):
        self.save(a, b)
        self.grad_name = _matmul_name(a.ndim, b.ndim)
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


def _matmul_name(a_ndim, b_ndim) -> str:
    if a_ndim == 1 and b_ndim == 1:
        return "DotBackward0"
    if a_ndim == 2 and b_ndim == 1:
        return "MvBackward0"
    if a_ndim <= 2 and b_ndim == 2:
        return "MmBackward0"
    return "BmmBackward0"


# ----------------------------------------------------------------------------- shape and views
class Reshape(Function):
    op, grad_name = "reshape", "ViewBackward0"
    rules = ("grad reshaped back to a's shape",)

    def forward(self, a, shape):
        self.input_shape = a.shape
        return self.xp.reshape(a, shape)

    def backward(self, grad):
        return (self.xp.reshape(grad, self.input_shape),)


class Permute(Function):
    op, grad_name = "permute", "PermuteBackward0"
    rules = ("grad with its dims put back in order",)

    def forward(self, a, dims, name="PermuteBackward0"):
        self.dims, self.grad_name = dims, name
        if name == "TransposeBackward0":
            self.op = "transpose"
        return self.xp.permute(a, dims)

    def backward(self, grad):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return (self.xp.permute(grad, tuple(inverse)),)


class Expand(Function):
    op, grad_name = "expand", "ExpandBackward0"
    rules = ("grad summed over the expanded dims",)

    def forward(self, a, shape):
        return self.xp.broadcast_to(a, shape)

    def backward(self, grad):
        return (grad,)  # the engine sums it back to the input's shape


class Squeeze(Function):
    op, grad_name = "squeeze", "SqueezeBackward0"
    rules = ("grad reshaped back to a's shape",)

    def forward(self, a, shape, name="SqueezeBackward0"):
        self.input_shape, self.grad_name = a.shape, name
        if name == "UnsqueezeBackward0":
            self.op = "unsqueeze"
        return self.xp.reshape(a, shape)

    def backward(self, grad):
        return (self.xp.reshape(grad, self.input_shape),)


class Index(Function):
    """a[key]; backward puts the gradient back where the elements came from."""

    op, grad_name = "getitem", "IndexBackward0"
    rules = ("grad placed back at the indexed positions (repeats add up)",)

    def forward(self, a, key, advanced=False, name="IndexBackward0"):
        self.input_shape, self.key, self.advanced, self.grad_name = a.shape, key, advanced, name
        self.dtype = _engine_dtype(a)
        return a[key]

    def backward(self, grad):
        xp, shape = self.xp, tuple(self.input_shape)
        if not self.advanced:
            out = xp.zeros(shape, _engine_dtype(grad))
            out[self.key] = grad
            return (out,)
        numel = _count(shape, None)
        positions = xp.reshape(xp.arange(0, numel, 1, _int64()), shape)[self.key]
        flat = xp.index_add_flat(numel, _engine_dtype(grad), positions, grad)
        return (xp.reshape(flat, shape),)


def _int64():
    from .dtypes import int64

    return int64


class Gather(Function):
    op, grad_name = "gather", "GatherBackward0"
    rules = ("grad added back at the gathered positions",)

    def forward(self, a, dim, index):
        self.input_shape, self.dim, self.index = a.shape, dim, index
        return self.xp.take_along_axis(a, index, dim)

    def backward(self, grad):
        return (_scatter(self, grad, self.index),)


class Cat(Function):
    op, grad_name = "cat", "CatBackward0"
    rules = ("the slice of grad that came from this input",)

    def forward(self, *arrays, dim):
        self.dim, self.sizes = dim, [x.shape[dim] for x in arrays]
        return self.xp.concatenate(arrays, dim)

    def backward(self, grad):
        grads, start = [], 0
        for size in self.sizes:
            grads.append(_narrow(self.xp, grad, self.dim, start, size))
            start += size
        return tuple(grads)


class Stack(Function):
    op, grad_name = "stack", "StackBackward0"
    rules = ("grad at this input's position along dim",)

    def forward(self, *arrays, dim):
        self.dim, self.count = dim, len(arrays)
        return self.xp.stack(arrays, dim)

    def backward(self, grad):
        key = [slice(None)] * grad.ndim
        grads = []
        for i in range(self.count):
            key[self.dim] = i
            grads.append(grad[tuple(key)])
        return tuple(grads)


# ----------------------------------------------------------------------------- no gradient
class Compare(Function):
    """==, !=, <, <=, >, >=: bool results, no gradient."""

    op, grad_name = "compare", "CompareBackward"
    differentiable = False
    _ops = {
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
        "lt": lambda a, b: a < b,
        "le": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "ge": lambda a, b: a >= b,
    }

    def forward(self, a, b, kind):
        self.op = kind
        return self._ops[kind](a, b)


class ArgExtreme(Function):
    op, grad_name = "argmax", "ArgmaxBackward"
    differentiable = False

    def forward(self, a, dim=None, keepdim=False, largest=True):
        xp = self.xp
        if not largest:
            self.op = "argmin"
        pick = xp.argmax if largest else xp.argmin
        if dim is None:
            out = pick(xp.reshape(a, (-1,)))
            return xp.reshape(out, (1,) * a.ndim) if keepdim else out
        return pick(a, axis=dim, keepdims=keepdim)


class Logical(Function):
    op, grad_name = "logical", "LogicalBackward"
    differentiable = False

    def forward(self, a, b=None, kind="not"):
        self.op = f"logical_{kind}"
        if kind == "not":
            return self.xp.logical_not(a)
        return (a & b) if kind == "and" else (a | b) if kind == "or" else (a ^ b)


# ----------------------------------------------------------------------------- fused for nn
class Gelu(Function):
    """x * Phi(x), exactly (with erf) or with PyTorch's tanh approximation."""

    op, grad_name = "gelu", "GeluBackward0"
    rules = ("grad * (Phi(a) + a * phi(a))",)
    saves = (0,)

    def forward(self, a, approximate="none"):
        self.save(a)
        self.approximate = approximate
        xp = self.xp
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
            return 0.5 * a * (1 + xp.tanh(inner))
        return 0.5 * a * (1 + xp.erf(a * _SQRT_HALF))

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        if self.approximate == "tanh":
            t = xp.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
            slope = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope),)
        cdf = 0.5 * (1 + xp.erf(a * _SQRT_HALF))
        pdf = xp.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return (grad * (cdf + a * pdf),)


_SQRT_HALF = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT_2PI = 0.3989422804014327


class NllLoss(Function):
    """-logp[target], averaged over the targets that are not ignore_index (or summed)."""

    op, grad_name = "nll_loss", "NllLossBackward0"
    rules = ("-grad / n at each target's class, 0 elsewhere",)

    def forward(self, logp, target, ignore_index=-100, reduction="mean"):
        xp = self.xp
        single = logp.ndim == 1
        if single:
            logp, target = logp[None, :], xp.reshape(target, (1,))
        valid = target != ignore_index
        safe = xp.where(valid, target, 0)
        rows = xp.arange(0, logp.shape[0], 1, _int64())
        picked = -logp[rows, safe] * valid
        self.shape, self.rows, self.safe, self.valid = logp.shape, rows, safe, valid
        self.single, self.reduction = single, reduction
        self.count = int(xp.sum(valid))
        if reduction == "none":
            return picked[0] if single else picked
        total = xp.sum(picked)
        return total / self.count if reduction == "mean" else total

    def backward(self, grad):
        xp = self.xp
        if self.reduction == "none":
            per_row = xp.reshape(grad, (-1,)) * self.valid
        else:
            scale = grad / self.count if self.reduction == "mean" else grad
            per_row = scale * self.valid
        out = xp.zeros(tuple(self.shape), _engine_dtype(grad))
        out[self.rows, self.safe] = -per_row
        return (out[0] if self.single else out), None

    def named_values(self):
        return {"n": self.count}
