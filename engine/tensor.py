"""The Tensor: an array on a device, plus what autograd needs (grad, grad_fn, version).

Methods check their operands (shapes, dims, dtypes, devices) and then call one op from
ops.py through ``Function.apply``; errors are raised here, before any computation. The
free functions that are ops (matmul, cat, stack, where, gather) live here too; the
creation functions (tensor, zeros, randn, ...) are in creation.py.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

from . import autograd, dtypes
from . import ops as O
from .autograd import STATE
from .backends import Device
from .backends import device as parse_device
from .errors import (
    ArgumentError,
    AutogradError,
    DeviceError,
    DimError,
    DTypeError,
    IndexRangeError,
    IndexTypeError,
    ShapeError,
    UnsupportedDTypeError,
    broadcast_message,
    describe,
    device_name,
    dim_error,
    shape_str,
)


class Size(tuple):
    """A shape: a tuple (``t.shape == (2, 3)`` holds) with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ne.Size({list(self)})"


class Tensor:
    """An n-dimensional array that can record the ops applied to it for autograd.

    ``t.array`` is the backend array behind it (a numpy ndarray, or a torch tensor on
    the torch backend); ``t.data`` is, as in PyTorch, a Tensor sharing that array but
    outside autograd.
    """

    __slots__ = (
        "array",
        "device",
        "requires_grad",
        "grad",
        "grad_fn",
        "_vc",
        "_accumulator",
        "__weakref__",
    )
    __array_ufunc__ = None  # numpy defers to our reflected operators
    __array_priority__ = 1000

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        from .creation import tensor

        made = tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        self.array, self.device = made.array, made.device
        self.requires_grad, self.grad, self.grad_fn = made.requires_grad, None, None
        self._vc, self._accumulator = [0], None

    @classmethod
    def _make(cls, array, device: Device, requires_grad: bool = False) -> Tensor:
        if isinstance(array, np.generic):  # numpy turns 0-d results into scalars
            array = np.asarray(array)
        t = object.__new__(cls)
        t.array = array
        t.device = device
        t.requires_grad = requires_grad
        t.grad = None
        t.grad_fn = None
        t._vc = [0]
        t._accumulator = None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.of_array(self.array)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        return Tensor._make(self.array, self.device, False)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError("t.data = ... takes a Tensor; use ne.tensor(...) to make one")
        self.array, self.device = value.array, value.device

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    @property
    def nbytes(self) -> int:
        return self.numel() * self.dtype.itemsize

    def element_size(self) -> int:
        return self.dtype.itemsize

    def size(self, dim=None):
        if dim is None:
            return self.shape
        return self.shape[_dim("size", self, dim)]

    def numel(self) -> int:
        n = 1
        for s in self.array.shape:
            n *= s
        return n

    def dim(self) -> int:
        return self.array.ndim

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_contiguous(self) -> bool:
        return self.device.backend.is_contiguous(self.array)

    def contiguous(self) -> Tensor:
        return self

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from .formatting import tensor_repr

        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self.numel() == 1 and spec:
            return format(self.item(), spec)
        return repr(self)

    # ------------------------------------------------------------------ conversion
    def item(self):
        if self.numel() != 1:
            raise ShapeError(
                f"item: only a tensor with one element can become a Python number, but this "
                f"one has shape {shape_str(self.shape)}; index it or reduce it first"
            )
        return self.device.backend.item(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point:
            raise TypeError("only integer tensors of a single element can be an index")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise ShapeError(
                f"bool: the truth value of a tensor with {self.numel()} elements is "
                "ambiguous; use .any() or .all()"
            )
        return bool(self.item())

    def tolist(self):
        return self.device.backend.tolist(self.array)

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise AutogradError(
                "numpy: can't call numpy() on a tensor that requires grad; use t.detach().numpy()"
            )
        return self.device.backend.to_numpy(self.array)

    def detach(self) -> Tensor:
        out = Tensor._make(self.array, self.device, False)
        out._vc = self._vc  # an alias: in-place edits through it count as edits to self
        return out

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not requires_grad and self.grad_fn is not None:
            raise AutogradError(
                "requires_grad_: only leaves can stop requiring grad; use t.detach()"
            )
        if requires_grad and not self.dtype.is_floating_point:
            raise DTypeError(
                f"requires_grad_: only floating point tensors can require gradients, but "
                f"this one is {self.dtype.name}; convert it first with .float()"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        if not self.requires_grad:
            raise AutogradError("retain_grad: this tensor does not require grad")
        if self.grad_fn is not None:
            import weakref

            self.grad_fn._retained = weakref.ref(self)

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        autograd.backward(self, gradient, retain_graph)

    def to(self, *args, **kwargs) -> Tensor:
        target_device, target_dtype = _to_arguments(args, kwargs)
        out = self
        if target_dtype is not None and target_dtype is not self.dtype:
            out = O.ToCopy.apply(out, dtype=target_dtype)
        if target_device is not None and target_device is not out.device:
            out = _move(out, target_device)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(f"cuda:{index}")

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def clone(self) -> Tensor:
        return O.Clone.apply(self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _binary(O.Add, "add", self, other)

    def __radd__(self, other):
        return _binary(O.Add, "add", self, other, reverse=True)

    def __sub__(self, other):
        _no_bool_sub(self, other)
        return _binary(O.Sub, "sub", self, other)

    def __rsub__(self, other):
        _no_bool_sub(self, other)
        return _binary(O.Sub, "sub", self, other, reverse=True)

    def __mul__(self, other):
        return _binary(O.Mul, "mul", self, other)

    def __rmul__(self, other):
        return _binary(O.Mul, "mul", self, other, reverse=True)

    def __truediv__(self, other):
        return _binary(O.Div, "div", self, other)

    def __rtruediv__(self, other):
        return _binary(O.Div, "div", self, other, reverse=True)

    def __pow__(self, other):
        return _binary(O.Pow, "pow", self, other)

    def __rpow__(self, other):
        return _binary(O.Pow, "pow", self, other, reverse=True)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(_like(other, self), self)

    def __neg__(self):
        if self.dtype is dtypes.bool_:
            raise DTypeError(
                f"neg: negation, the - operator, on a bool tensor is not supported "
                f"({describe('self', self)}); to invert a mask use ~t or t.logical_not()"
            )
        return O.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    matmul = __matmul__
    neg = __neg__

    def mm(self, other):
        return matmul(self, other)

    def dot(self, other):
        return matmul(self, other)

    def square(self):
        return self * self

    # comparisons (bool results, no gradient)
    def __eq__(self, other):
        return _compare("eq", self, other)

    def __ne__(self, other):
        return _compare("ne", self, other)

    def __lt__(self, other):
        return _compare("lt", self, other)

    def __le__(self, other):
        return _compare("le", self, other)

    def __gt__(self, other):
        return _compare("gt", self, other)

    def __ge__(self, other):
        return _compare("ge", self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self):
        _need_bool("logical_not", self)
        return O.Logical.apply(self, kind="not")

    def __and__(self, other):
        return _logical("and", self, other)

    def __or__(self, other):
        return _logical("or", self, other)

    def __xor__(self, other):
        return _logical("xor", self, other)

    def logical_not(self):
        return ~self

    def any(self):
        xp = self.device.backend
        return Tensor._make(xp.asarray(xp.any(self.array), dtypes.bool_), self.device)

    def all(self):
        return ~((~self.bool()).any())

    # ------------------------------------------------------------------ elementwise
    def exp(self):
        return O.Exp.apply(_floating("exp", self))

    def log(self):
        return O.Log.apply(_floating("log", self))

    def sin(self):
        return O.Sin.apply(_floating("sin", self))

    def cos(self):
        return O.Cos.apply(_floating("cos", self))

    def sqrt(self):
        return O.Sqrt.apply(_floating("sqrt", self))

    def abs(self):
        if self.dtype is dtypes.bool_:
            raise UnsupportedDTypeError(
                f"abs: not implemented for {describe('self', self)}; a bool is never "
                "negative, so use t itself, or t.long().abs()"
            )
        return O.Abs.apply(self)

    def tanh(self):
        return O.Tanh.apply(_floating("tanh", self))

    def sigmoid(self):
        return O.Sigmoid.apply(_floating("sigmoid", self))

    def relu(self):
        if self.dtype is dtypes.bool_:
            raise DTypeError(
                f"relu: boolean inputs are not supported ({describe('self', self)}); "
                "convert first: t.float().relu()"
            )
        return O.Relu.apply(self)

    def clamp(self, min=None, max=None):
        if min is None and max is None:
            raise ArgumentError(
                f"clamp: at least one of min= and max= must not be None "
                f"({describe('self', self)}); e.g. t.clamp(min=0)"
            )
        return O.Clamp.apply(self, low=min, high=max)

    clip = clamp

    def masked_fill(self, mask, value):
        mask = _like(mask, self)
        if mask.dtype is not dtypes.bool_:
            raise DTypeError(
                f"masked_fill: the mask must be a bool tensor, but it is {mask.dtype.name}; "
                "build it with a comparison such as x > 0"
            )
        if _broadcast_shape(mask.shape, self.shape) != tuple(self.shape):
            raise ShapeError(
                broadcast_message(
                    "masked_fill (the mask must broadcast to self's shape)",
                    [tuple(self.shape), tuple(mask.shape)],
                    ["self", "mask"],
                )
            )
        if isinstance(value, Tensor):
            value = value.item()
        return O.MaskedFill.apply(self, mask, value)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False):
        return O.Sum.apply(_sum_dtype(self), dims=_dims("sum", self, dim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False):
        if not self.dtype.is_floating_point:
            raise DTypeError(
                f"mean: needs a floating point tensor, but got {self.dtype.name}; "
                "call .float() first"
            )
        return O.Mean.apply(self, dims=_dims("mean", self, dim), keepdim=keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True, correction=None):
        if correction is None:
            correction = 1 if unbiased else 0
        dims = _dims("var", self, dim)
        n = O._count(self.shape, dims)
        centered = self - self.mean(dim, keepdim=True)
        return (centered * centered).sum(dim, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, keepdim=False, unbiased=True, correction=None):
        # a constant input's std has gradient 0, as in PyTorch, not sqrt's inf * 0 = NaN
        return O.Sqrt.apply(self.var(dim, keepdim, unbiased, correction), zero_at_zero=True)

    def max(self, dim=None, keepdim=False):
        return _extreme("max", self, dim, keepdim, largest=True)

    def min(self, dim=None, keepdim=False):
        return _extreme("min", self, dim, keepdim, largest=False)

    def argmax(self, dim=None, keepdim=False):
        return _arg_extreme("argmax", self, dim, keepdim, largest=True)

    def argmin(self, dim=None, keepdim=False):
        return _arg_extreme("argmin", self, dim, keepdim, largest=False)

    def prod(self, dim=None, keepdim=False):
        if dim is not None:
            dim = _dim("prod", self, dim)
        return O.Prod.apply(_sum_dtype(self), dim=dim, keepdim=keepdim)

    def softmax(self, dim):
        _need_floating("softmax", self)
        return O.Softmax.apply(self, dim=_dim("softmax", self, dim))

    def log_softmax(self, dim):
        _need_floating("log_softmax", self)
        return O.LogSoftmax.apply(self, dim=_dim("log_softmax", self, dim))

    def topk(self, k, dim=-1, largest=True, sorted=True):
        dim = _dim("topk", self, dim)
        size = self.shape[dim] if self.ndim else 1
        if not 0 <= k <= size:
            raise ShapeError(
                f"topk: k={k} is out of range for {describe('self', self)} along dim "
                f"{dim} (size {size}); k must be between 0 and {size}"
            )
        source = self if self.ndim else self.reshape(1)
        values, indices = O.TopK.apply(source, k=k, dim=dim if self.ndim else 0, largest=largest)
        if not self.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return values, indices

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _infer_shape("reshape", self, _shape_args(shape))
        return _view_of(self, O.Reshape.apply(self, shape=shape))

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dim("flatten", self, start_dim), _dim("flatten", self, end_dim)
        if start > end:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        merged = 1
        for n in shape[start : end + 1]:
            merged *= n
        return self.reshape(*shape[:start], merged, *shape[end + 1 :])

    def squeeze(self, dim=None):
        shape = tuple(self.shape)
        if dim is None:
            new = tuple(n for n in shape if n != 1)
            return _view_of(self, O.Squeeze.apply(self, shape=new))
        d = _dim("squeeze", self, dim)
        new = shape[:d] + shape[d + 1 :] if self.ndim and shape[d] == 1 else shape
        return _view_of(self, O.Squeeze.apply(self, shape=new, name="SqueezeBackward1"))

    def unsqueeze(self, dim):
        d = _dim("unsqueeze", self, dim, extra=1)
        shape = tuple(self.shape)
        new = shape[:d] + (1,) + shape[d:]
        return _view_of(self, O.Squeeze.apply(self, shape=new, name="UnsqueezeBackward0"))

    def transpose(self, dim0, dim1):
        d0, d1 = _dim("transpose", self, dim0), _dim("transpose", self, dim1)
        order = list(range(self.ndim))
        if order:  # a 0-d tensor takes dims 0 and -1 and stays as it is, as in PyTorch
            order[d0], order[d1] = order[d1], order[d0]
        return _view_of(self, O.Permute.apply(self, dims=tuple(order), name="TransposeBackward0"))

    def t(self):
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with <= 2 dims, but got {self.ndim}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def permute(self, *dims):
        dims = tuple(_dim("permute", self, d) for d in _shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(
                f"permute: dims {dims} must be a reordering of 0..{self.ndim - 1} for "
                f"{describe('self', self)}"
            )
        return _view_of(self, O.Permute.apply(self, dims=dims))

    def expand(self, *sizes):
        sizes = _shape_args(sizes)
        shape = tuple(self.shape)
        if len(sizes) < len(shape):
            raise ShapeError(
                f"expand: the new shape {shape_str(sizes)} has fewer dims than "
                f"{describe('self', self)}"
            )
        lead = len(sizes) - len(shape)
        target = list(sizes)
        for i, want in enumerate(sizes):
            if want < -1 or (want == -1 and i < lead):
                where = "a new leading dim" if i < lead else "a size"
                raise ShapeError(
                    f"expand: {where} of {want} in {shape_str(sizes)} is not allowed for "
                    f"{describe('self', self)}: sizes are 0 or more, and -1 (keep the size) "
                    "only for dims self already has"
                )
        for i, n in enumerate(shape):
            want = sizes[lead + i]
            if want == -1:
                target[lead + i] = n
            elif n != 1 and want != n:
                raise ShapeError(
                    f"expand: {describe('self', self)} cannot expand to {shape_str(sizes)}: "
                    f"dim {i} has size {n}, and only size-1 dims can be expanded"
                )
        return _view_of(self, O.Expand.apply(self, shape=tuple(target)))

    def expand_as(self, other):
        return self.expand(*other.shape)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        key, advanced, name = _index_key(self, key)
        out = O.Index.apply(self, key=key, advanced=advanced, name=name)
        return out if advanced else _view_of(self, out)

    def __setitem__(self, key, value):
        key, _, _ = _index_key(self, key)
        if isinstance(value, Tensor):
            value = _same_device("__setitem__", "value", value, self)
            target = tuple(self.array[key].shape)
            if _broadcast_shape(tuple(value.shape), target) != target:
                raise ShapeError(
                    broadcast_message(
                        f"__setitem__ (the value must broadcast to the indexed part, shape "
                        f"{shape_str(target)}, of {describe('self', self)})",
                        [target, tuple(value.shape)],
                        ["target", "value"],
                    )
                )
            value = value.array
        elif not isinstance(value, numbers.Number) or isinstance(value, complex):
            raise TypeError(
                f"__setitem__: can't assign a {type(value).__name__} to {describe('self', self)}; "
                "assign a number or a tensor, e.g. t[...] = ne.tensor(values)"
            )
        elif isinstance(value, float) and not self.dtype.is_floating_point and value != value:
            raise ArgumentError(
                f"__setitem__: {value} cannot be stored in {describe('self', self)} (an "
                "integer tensor has no NaN or Inf); convert it first with t.float()"
            )
        _check_inplace("__setitem__", self)
        self.array[key] = value

    def gather(self, dim, index):
        return gather(self, dim, index)

    # ------------------------------------------------------------------ in place
    def _assign(self, op: str, new_array) -> Tensor:
        if tuple(new_array.shape) != tuple(self.array.shape):
            raise ShapeError(
                f"{op}: the result has shape {shape_str(tuple(new_array.shape))} but an "
                f"in-place op must keep {describe('self', self)}'s shape"
            )
        self.array[...] = new_array
        return self

    def _inplace(self, op: str, cls, other) -> Tensor:
        _check_inplace(op, self)
        if isinstance(other, Tensor):
            other = other.array
        elif not isinstance(other, numbers.Number):
            other = _like(other, self).array
        with autograd.no_grad():
            result = cls.apply(Tensor._make(self.array, self.device), other)
        return self._assign(op, result.array)

    def add_(self, other, alpha=1):
        return self._inplace("add_", O.Add, other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return self._inplace("sub_", O.Sub, other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self._inplace("mul_", O.Mul, other)

    def div_(self, other):
        return self._inplace("div_", O.Div, other)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        _check_inplace("fill_", self)
        self.array[...] = value
        return self

    def copy_(self, source) -> Tensor:
        _check_inplace("copy_", self)
        source = _like(source, self)
        if source.device is not self.device:
            source = source.to(self.device)
        self.array[...] = source.array
        return self

    def clamp_(self, min=None, max=None) -> Tensor:
        _check_inplace("clamp_", self)
        self.array[...] = self.device.backend.clip(self.array, min, max)
        return self


# ---------------------------------------------------------------------- helpers
def _check_inplace(op: str, t: Tensor) -> None:
    if t.requires_grad and STATE.grad_enabled:
        if t.grad_fn is None:
            raise AutogradError(
                f"{op}: a leaf tensor that requires grad ({describe('leaf', t)}) is being "
                "used in an in-place operation. Autograd would lose track of its value. "
                "Wrap the update in `with ne.no_grad():` (as an optimizer does), or use "
                "an out-of-place op."
            )
        raise AutogradError(
            f"{op}: nnbench does not record in-place ops on tensors inside a graph "
            f"({describe('self', t)}, made by {t.grad_fn.name()}). Use the out-of-place "
            "form instead, e.g. y = y + 1 rather than y += 1."
        )
    t._vc[0] += 1


def _view_of(base: Tensor, out: Tensor) -> Tensor:
    out._vc = base._vc  # views share their base's version counter, as in PyTorch
    return out


def _like(value, reference: Tensor) -> Tensor:
    """A Python number, list or numpy array as a tensor on reference's device."""
    if isinstance(value, Tensor):
        return value
    from .creation import from_numpy, tensor

    if isinstance(value, np.ndarray):
        return from_numpy(value).to(reference.device)
    return tensor(value, device=reference.device)


@functools.lru_cache(maxsize=4096)
def _broadcast_shape(a: tuple, b: tuple):
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


def _check_broadcast(op: str, shapes: list, operands: list, roles: list) -> tuple:
    result = shapes[0]
    for shape in shapes[1:]:
        result = _broadcast_shape(result, shape)
        if result is None:
            message = broadcast_message(op, shapes, roles)
            details = "\n".join(describe(r, t) for r, t in zip(roles, operands))
            raise ShapeError(message + "\nOperands:\n" + details)
    return result


def _binary(cls, op: str, a: Tensor, b, reverse: bool = False) -> Tensor:
    if isinstance(b, Tensor):
        if a.array.shape != b.array.shape:
            left, right = (b, a) if reverse else (a, b)
            _check_broadcast(op, [tuple(left.shape), tuple(right.shape)], [left, right], ["a", "b"])
        if a.array.dtype != b.array.dtype or (cls is O.Div and a.dtype.category < 2):
            a, b = _promote_pair(cls, a, b)
    elif isinstance(b, numbers.Number) and not isinstance(b, complex):
        result = dtypes.promote_scalar(a.dtype, b)
        if cls is O.Div and result.category < 2:
            result = dtypes.float32
        if result is not a.dtype:
            a = a.to(result)
        if isinstance(b, np.generic):
            b = b.item()
        if result.category == 1 and isinstance(b, int):
            b = _fit_int(op, result, b, wrap=cls is not O.Pow)
            if cls is O.Pow and b < 0 and not reverse:
                raise ArgumentError(
                    f"pow: integers to negative integer powers are not allowed "
                    f"({describe('a', a)}, exponent {b}); use a float tensor: t.float() ** {b}"
                )
    elif isinstance(b, np.ndarray):
        return _binary(cls, op, a, _like(b, a), reverse)
    else:
        _bad_operand(op, a, b)
    return cls.apply(b, a) if reverse else cls.apply(a, b)


def _no_bool_sub(a: Tensor, b) -> None:
    if a.dtype is dtypes.bool_ and (
        isinstance(b, bool) or (isinstance(b, Tensor) and b.dtype is dtypes.bool_)
    ):
        raise DTypeError(
            f"sub: subtraction, the - operator, with two bools is not supported "
            f"({describe('a', a)}); use a ^ b (or logical_xor) for masks, or convert "
            "first: a.long() - b.long()"
        )


def _bad_operand(op: str, a: Tensor, b):
    hint = ""
    if isinstance(b, (list, tuple)):
        hint = f"; make it a tensor first: ne.tensor({b!r:.30})"
    raise TypeError(
        f"{op}: unsupported operand type(s): Tensor ({describe('a', a)}) and "
        f"{type(b).__name__}{hint}"
    )


def _fit_int(op: str, dtype: dtypes.DType, value: int, wrap: bool = True) -> int:
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


def _promote_pair(cls, a: Tensor, b: Tensor):
    da, db = a.dtype, b.dtype
    if a.ndim == 0 and b.ndim and da.category <= db.category:
        result = db
    elif b.ndim == 0 and a.ndim and db.category <= da.category:
        result = da
    else:
        result = dtypes.promote(da, db)
    if cls is O.Div and result.category < 2:
        result = dtypes.float32
    return a.to(result), b.to(result)


def _compare(kind: str, a: Tensor, b) -> Tensor:
    if not isinstance(b, Tensor):
        if b is None or not isinstance(b, (numbers.Number, list, tuple, np.ndarray)):
            return NotImplemented if kind in ("eq", "ne") else _unsupported(kind, b)
        b = _like(b, a) if not isinstance(b, numbers.Number) else b
        if a.dtype.category == 1 and isinstance(b, int) and not isinstance(b, bool):
            b = _fit_int(kind, a.dtype, b)
    if isinstance(b, Tensor):
        if a.array.shape != b.array.shape:
            _check_broadcast(kind, [tuple(a.shape), tuple(b.shape)], [a, b], ["a", "b"])
        if a.array.dtype != b.array.dtype:
            result = dtypes.promote(a.dtype, b.dtype)
            a, b = a.to(result), b.to(result)
    return O.Compare.apply(a, b, kind=kind)


def _unsupported(kind, value):
    raise TypeError(f"{kind}: cannot compare a tensor with {type(value).__name__}")


def _need_bool(op: str, t: Tensor) -> None:
    if t.dtype is not dtypes.bool_:
        raise DTypeError(f"{op}: needs a bool tensor, but got {describe('self', t)}")


def _logical(kind: str, a: Tensor, b) -> Tensor:
    b = _like(b, a)
    _need_bool(f"logical_{kind}", a)
    _need_bool(f"logical_{kind}", b)
    if a.array.shape != b.array.shape:
        _check_broadcast(f"logical_{kind}", [tuple(a.shape), tuple(b.shape)], [a, b], ["a", "b"])
    return O.Logical.apply(a, b, kind=kind)


def _need_floating(op: str, t: Tensor) -> None:
    if not t.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: not implemented for {describe('self', t)} (PyTorch has no integer "
            f"{op} either); convert first: t.float().{op}(dim)"
        )


def _floating(op: str, t: Tensor) -> Tensor:
    return t if t.dtype.is_floating_point else t.to(dtypes.float32)


def _sum_dtype(t: Tensor) -> Tensor:
    return t.to(dtypes.int64) if t.dtype is dtypes.bool_ else t


def _dim(op: str, t: Tensor, dim, extra: int = 0) -> int:
    """A dim as a non-negative int, or an error naming the valid range."""
    ndim = t.ndim + extra
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, not {type(dim).__name__} ({dim!r})")
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if not low <= dim <= high:
        raise dim_error(op, "self", t, dim, extra)
    return int(dim) % max(ndim, 1)


def _dims(op: str, t: Tensor, dim):
    """None (all dims) or a sorted tuple of distinct non-negative dims."""
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        dims = tuple(sorted(_dim(op, t, d) for d in dim))
        if len(set(dims)) != len(dims):
            raise ShapeError(f"{op}: dim {tuple(dim)} names a dimension twice")
        return dims if dims and t.ndim else None  # dim=() reduces everything, as in PyTorch
    d = _dim(op, t, dim)
    return (d,) if t.ndim else None


def _extreme(op: str, t: Tensor, dim, keepdim: bool, largest: bool):
    if dim is None:
        if t.numel() == 0:
            raise ShapeError(
                f"{op}: {describe('self', t)} is empty, so it has no {op}imum; "
                "pass dim= for a reduction over a non-empty dim"
            )
        return O.Extreme.apply(t, largest=largest)
    d = _dim(op, t, dim)
    if t.ndim == 0:
        from .creation import zeros

        return t.clone(), zeros((), dtype=dtypes.int64, device=t.device)
    if t.shape[d] == 0:
        raise DimError(
            f"{op}: cannot reduce over dim {dim} of size 0 ({describe('self', t)}); "
            "an empty dim has no extreme value, so reduce over a non-empty dim"
        )
    return O.ExtremeDim.apply(t, dim=d, keepdim=keepdim, largest=largest)


def _arg_extreme(op: str, t: Tensor, dim, keepdim: bool, largest: bool):
    if t.numel() == 0:
        raise DimError(
            f"{op}: {describe('self', t)} is empty, so it has no {op[3:]}imum to point "
            "at; check the tensor's shape before reducing it"
        )
    if dim is not None:
        dim = _dim(op, t, dim)
        if t.ndim == 0:
            dim = None
    return O.ArgExtreme.apply(t, dim=dim, keepdim=keepdim, largest=largest)


def _shape_args(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    out = []
    for n in args:
        if isinstance(n, Tensor):
            n = int(n.item())
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"a shape takes ints, not {type(n).__name__} ({n!r})")
        out.append(int(n))
    return tuple(out)


def _infer_shape(op: str, t: Tensor, shape: tuple) -> tuple:
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


def _to_arguments(args, kwargs):
    target_device = kwargs.pop("device", None)
    target_dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise TypeError(f"to: unexpected arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            target_device, target_dtype = arg.device, arg.dtype
        elif isinstance(arg, (Device,)) or (
            isinstance(arg, str) and arg.split(":")[0].lower() in ("cpu", "cuda", "numpy", "torch")
        ):
            target_device = arg
        elif type(arg).__name__ == "device":  # a torch.device
            target_device = str(arg)
        elif isinstance(arg, str) and not _names_dtype(arg):
            target_device = arg  # neither a device we know nor a dtype: parsing says so
        else:
            target_dtype = arg
    if target_device is not None:
        target_device = parse_device(target_device)
    if target_dtype is not None:
        target_dtype = dtypes.from_any(target_dtype)
    return target_device, target_dtype


def _names_dtype(text: str) -> bool:
    name = text.removeprefix("torch.").removeprefix("ne.")
    return name in dtypes._BY_NAME or any(k in name for k in ("float", "int", "complex"))


def _move(t: Tensor, target: Device) -> Tensor:
    """Copy to another device; in a graph, gradients flow back across the move."""
    source = t.device
    if source.backend_name == "torch" and target.backend_name == "torch":
        array = t.array.to(target.backend.torch_device)
    else:
        array = target.backend.from_numpy(np.array(source.backend.to_numpy(t.array)))
    if not (t.requires_grad and STATE.grad_enabled):
        return Tensor._make(array, target, False)
    out = Tensor._make(array, target, True)
    node = _DeviceMove()
    node.xp, node.source = target.backend, source
    node._link((t,), out)
    return out


class _DeviceMove(autograd.Function):
    op, grad_name = "to", "ToCopyBackward0"
    rules = ("grad, moved back to the input's device",)

    def backward(self, grad):
        back = self.source.backend
        if self.xp.name == "torch" and back.name == "torch":
            return (grad.to(back.torch_device),)
        return (back.from_numpy(np.array(self.xp.to_numpy(grad))),)


def _index_key(t: Tensor, key):
    """Check an index against t's shape and turn it into a key for the backend array."""
    if not isinstance(key, tuple):
        key = (key,)
    key = tuple(_index_list(t, k) if isinstance(k, (list, tuple)) else k for k in key)
    if sum(k is Ellipsis for k in key) > 1:
        key = _expand_ellipses(t, key)
    shape = tuple(t.shape)
    used = sum(_dims_indexed(k) for k in key)
    if used > len(shape):
        raise IndexError(
            f"getitem: too many indices for {describe('self', t)}: {used} given, {len(shape)} dims"
        )
    out, kinds, dim = [], set(), 0
    for k in key:
        if k is None:
            out.append(None)
            kinds.add("none")
        elif k is Ellipsis:
            out.append(k)
            dim += len(shape) - used
        elif isinstance(k, (bool, np.bool_)):  # like None, a new dim (of size 1 or 0)
            out.append(bool(k))
            kinds.add("advanced")
        elif isinstance(k, (int, np.integer)):
            size = shape[dim]
            if not -size <= k < size:
                raise IndexRangeError(
                    f"getitem: index {k} is out of bounds for dim {dim} with size {size} "
                    f"({describe('self', t)}); valid indices are {-size}..{size - 1}"
                )
            out.append(int(k))
            kinds.add("int")
            dim += 1
        elif isinstance(k, slice):
            if k.step is not None and k.step <= 0:
                raise ValueError(
                    f"getitem: slice step must be positive, got {k.step}; to reverse a dim "
                    "use a flipped index tensor, e.g. t[ne.arange(n - 1, -1, -1)]"
                )
            out.append(k)
            kinds.add("slice")
            dim += 1
        elif isinstance(k, (Tensor, np.ndarray)):
            index = k if isinstance(k, Tensor) else _like(k, t)
            if index.device is not t.device:
                index = index.to(t.device)
            out.append(_check_index_tensor(t, index, dim))
            kinds.add("advanced")
            dim += max(index.ndim, 1) if index.dtype is dtypes.bool_ else 1
        else:
            raise IndexTypeError(
                f"getitem: {type(k).__name__} ({k!r:.30}) is not a valid index for "
                f"{describe('self', t)}: use ints, slices (:), ..., None, lists of ints or "
                "bools, or int64 / bool tensors"
            )
    advanced = "advanced" in kinds
    if advanced:
        name = "IndexBackward0"
    elif "int" in kinds:
        name = "SelectBackward0"
    elif kinds == {"none"}:
        name = "UnsqueezeBackward0"
    else:
        name = "SliceBackward0"
    return tuple(out), advanced, name


def _dims_indexed(k) -> int:
    """How many of self's dims an index uses up."""
    if k is None or k is Ellipsis or isinstance(k, (bool, np.bool_)):
        return 0
    if isinstance(k, Tensor) and k.dtype is dtypes.bool_:
        return max(k.ndim, 1)
    if isinstance(k, np.ndarray) and k.dtype == np.bool_:
        return max(k.ndim, 1)
    return 1


def _index_list(t: Tensor, k) -> Tensor:
    """A list index as an index tensor, or an IndexError that says what is wrong with it."""
    from .creation import tensor

    if not k:
        return tensor([], dtype=dtypes.int64, device=t.device)
    try:
        return tensor(k, device=t.device)
    except (ValueError, TypeError) as error:
        reason = str(error).removeprefix("tensor: ").split(": nested lists")[0]
        raise IndexError(
            f"getitem: the index list {k!r:.40} cannot index {describe('self', t)}: "
            f"{reason}. An index list must be rectangular ints or bools, e.g. t[[0, 2]]; "
            "to pick elements by row and column, give one list per dim: t[[0, 1], [2, 0]]"
        ) from None


def _expand_ellipses(t: Tensor, key: tuple) -> tuple:
    """PyTorch's reading of several ...: each skips the dims the other indices leave."""
    free = max(t.ndim - sum(_dims_indexed(k) for k in key), 0)
    out = []
    for k in key:
        out.extend([slice(None)] * free if k is Ellipsis else [k])
    every = slice(None)
    while sum(_dims_indexed(k) for k in out) > t.ndim and isinstance(out[-1], slice):
        if out[-1] != every:
            break
        out.pop()  # a trailing ':' past the last dim changes nothing
    return tuple(out)


def _check_index_tensor(t: Tensor, index: Tensor, dim: int):
    shape = tuple(t.shape)
    if index.dtype is dtypes.bool_:
        span = shape[dim : dim + index.ndim]
        if tuple(index.shape) != span:
            raise IndexError(
                f"getitem: the mask of shape {shape_str(tuple(index.shape))} does not match "
                f"dims {dim}..{dim + index.ndim - 1} of {describe('self', t)}, which have "
                f"shape {shape_str(span)}"
            )
        return index.array
    if index.dtype.category == 1 and index.dtype is not dtypes.uint8:
        index = index.to(dtypes.int64)
    if index.dtype is not dtypes.int64:
        raise IndexError(
            f"getitem: index tensors must be int64 or bool, not {index.dtype.name}; use idx.long()"
        )
    size = shape[dim]
    if index.numel():
        xp = t.device.backend
        low, high = int(xp.min(index.array)), int(xp.max(index.array))
        if low < -size or high >= size:
            bad = high if high >= size else low
            raise IndexRangeError(
                f"getitem: index {bad} is out of bounds for dim {dim} with size {size} "
                f"({describe('self', t)}); valid indices are {-size}..{size - 1}"
            )
    return index.array


# ---------------------------------------------------------------------- free functions
def matmul(a: Tensor, b) -> Tensor:
    b = _like(b, a)
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
        if _broadcast_shape(batch_a, batch_b) is None:
            raise ShapeError(
                broadcast_message("matmul (batch dims)", [batch_a, batch_b], ["a", "b"])
            )
    if a.array.dtype != b.array.dtype:
        if not (a.dtype.is_floating_point and b.dtype.is_floating_point):
            raise DTypeError(
                f"matmul: expected both operands to have the same dtype, but got "
                f"{describe('a', a)} and {describe('b', b)}; convert with .float()"
            )
        result = dtypes.promote(a.dtype, b.dtype)
        a, b = a.to(result), b.to(result)
    return O.MatMul.apply(a, b)


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = _tensor_list("cat", tensors)
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(
                f"cat: tensor {i} is 0-d (shape ()), and a 0-d tensor cannot be "
                "concatenated: it has no dim to join along. Use ne.stack(tensors) to make "
                "a 1-d tensor of them, or give each a dim first with t.reshape(1)"
            )
    d = _dim("cat", first, dim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != first.ndim or any(
            t.shape[k] != first.shape[k] for k in range(first.ndim) if k != d
        ):
            raise ShapeError(
                f"cat: sizes must match except in dim {d}, but tensor 0 has shape "
                f"{shape_str(first.shape)} and tensor {i} has shape {shape_str(t.shape)}"
            )
    return O.Cat.apply(*_one_dtype(tensors), dim=d)


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = _tensor_list("stack", tensors)
    first = tensors[0]
    d = _dim("stack", first, dim, extra=1)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != tuple(first.shape):
            raise ShapeError(
                f"stack: all tensors must have the same shape, but tensor 0 has shape "
                f"{shape_str(first.shape)} and tensor {i} has shape {shape_str(t.shape)}"
            )
    return O.Stack.apply(*_one_dtype(tensors), dim=d)


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


def where(condition: Tensor, a, b) -> Tensor:
    if not isinstance(condition, Tensor):
        raise TypeError("where: the condition must be a bool tensor")
    _need_bool("where", condition)
    reference = condition
    a = _like(a, reference) if not isinstance(a, numbers.Number) else a
    b = _like(b, reference) if not isinstance(b, numbers.Number) else b
    operands = [("condition", condition), ("a", a), ("b", b)]
    tensors = [(r, t) for r, t in operands if isinstance(t, Tensor)]
    _check_broadcast(
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
        from .creation import full

        dtype = dtypes.float32 if isinstance(a, float) or isinstance(b, float) else dtypes.int64
        a = full((), a, dtype=dtype, device=condition.device)
    return O.Where.apply(condition, a, b)


def maximum(a: Tensor, b) -> Tensor:
    return _binary(O.Maximum, "maximum", a, b)


def gather(t: Tensor, dim: int, index: Tensor) -> Tensor:
    d = _dim("gather", t, dim)
    if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
        got = index.dtype.name if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(f"gather: index must be an int64 tensor, got {got}; use index.long()")
    index = _same_device("gather", "index", index, t)
    # PyTorch reads a 0-d self or index here as 1-d of size 1
    if (t.ndim == 0 or index.ndim == 0) and max(index.ndim, 1) == max(t.ndim, 1):
        flat = gather(t.reshape(t.shape or (1,)), d, index.reshape(index.shape or (1,)))
        return flat.reshape(index.shape)
    if index.ndim != t.ndim:
        raise ShapeError(
            f"gather: index must have as many dims as self: {describe('self', t)}, "
            f"{describe('index', index)}"
        )
    for k in range(t.ndim):
        if k != d and index.shape[k] > t.shape[k]:
            raise ShapeError(
                f"gather: index size {index.shape[k]} exceeds self's size {t.shape[k]} in "
                f"dim {k} ({describe('self', t)}, {describe('index', index)})"
            )
    if index.numel():
        xp = t.device.backend
        low, high = int(xp.min(index.array)), int(xp.max(index.array))
        if low < 0 or high >= t.shape[d]:
            bad = high if high >= t.shape[d] else low
            raise IndexRangeError(
                f"gather: index {bad} is out of range for dim {d} of size {t.shape[d]} "
                f"({describe('self', t)}); indices must be in 0..{t.shape[d] - 1}"
            )
    return O.Gather.apply(t, dim=d, index=index.to(dtypes.int64).array)


def _same_device(op: str, role: str, other: Tensor, t: Tensor) -> Tensor:
    """other on t's device: moved between the two CPU backends, an error across devices."""
    if other.device is t.device:
        return other
    if other.device.type != t.device.type:
        raise DeviceError(
            f"{op}: {role} is on {device_name(other.device)} but self is on "
            f"{device_name(t.device)}; move it first with {role}.to(self.device)"
        )
    return other.to(t.device)


autograd.Tensor = Tensor
