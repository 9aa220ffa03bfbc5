"""The Tensor: an array on a device, plus what autograd needs (grad, grad_fn, version).

Each method checks its operands (checks.py, indexing.py) and then calls one op of engine/ops
through :func:`apply`, which runs the op's forward on the arrays and links the result
into the graph. Errors are raised before any computation. The free functions that are
not methods (``cat``, ``stack``, ``where``) are in functions.py; making tensors
(``tensor``, ``zeros``, ``randn``, ...) is in creation.py.
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings

import numpy as np

from . import autograd, dtypes, return_types
from . import ops as O
from . import pointwise as _pw
from .autograd import STATE, VersionCounter
from .backends import Device
from .backends import device as parse_device
from .checks import (
    bad_operand,
    broadcast_shape,
    check_broadcast,
    check_gather,
    check_matmul,
    checked_dim,
    checked_dims,
    fit_int,
    floating,
    infer_shape,
    names_dtype,
    need_floating,
    no_bool_sub,
    promote_pair,
    shape_args,
    sum_dtype,
)
from .convert import as_array
from .errors import (
    ArgumentError,
    AutogradError,
    DeviceError,
    DimError,
    DTypeError,
    IndexRangeError,
    ShapeError,
    UnsupportedDTypeError,
    broadcast_message,
    describe,
    device_name,
    shape_str,
)
from .formatting import tensor_repr
from .indexing import index_key
from .rules import ViewPath


class Size(tuple):
    """A shape: a tuple (``t.shape == (2, 3)`` holds) with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"  # as PyTorch prints it: learners compare the two


class Tensor:
    """An n-dimensional array that can record the ops applied to it for autograd.

    ``t.array`` is the backend array behind it (a numpy ndarray, or a torch tensor on
    the torch backend); ``t.data`` is, as in PyTorch, a Tensor sharing that array but
    outside autograd. Methods that take ``dim`` also take numpy's name for it, ``axis``,
    where PyTorch's do.
    """

    __slots__ = (
        "array",
        "device",
        "requires_grad",
        "_grad",
        "grad_fn",
        "version_counter",
        "accumulator",
        "view_info",
        "__weakref__",
    )
    # numpy's operators defer to ours (`ndarray + t` is a tensor); numpy's functions read
    # the values through __array__ and hand back a tensor through __array_wrap__.
    __array_priority__ = 1000

    def __init__(self, *args, size=None, data=None, dtype=None, device=None, requires_grad=False):
        """torch.Tensor's forms: ``Tensor(data)`` (float32, but a tensor keeps its dtype and
        memory, and a float32 numpy array its memory, as in torch), ``Tensor(2, 3)`` or
        ``Tensor(size=(2, 3))`` (zeros: torch leaves the memory uninitialised) and
        ``Tensor()`` (shape (0,)). ``dtype=`` and ``requires_grad=`` are the engine's own."""
        if len(args) == 1 and type(args[0]) is list and size is None and data is None:
            shape, data = None, args[0]  # Tensor([...]), the usual form, read at once
        else:
            shape, data = Tensor._legacy_arguments(args, size, data)
        source = data if isinstance(data, Tensor) else None
        if device is None and source is not None:
            device = source.device  # Tensor(t) stays where t is, as in torch
        target = parse_device("cpu" if device is None else device)
        kind = dtypes.from_any(dtype) if dtype is not None else None
        self.version_counter = VersionCounter()
        if shape is not None:
            self.array = target.backend.zeros(shape, kind or dtypes.float32)
        elif source is not None and kind in (None, source.dtype) and target is source.device:
            self.array, self.version_counter = source.array, source.version_counter
        elif isinstance(data, np.ndarray) and data.dtype == (kind or dtypes.float32).numpy:
            shared = data.flags.writeable  # torch.Tensor(array) shares a float32 array
            self.array = target.backend.from_numpy(data if shared else data.copy())
        else:
            # a tensor keeps its dtype, torch's too
            tensor_data = source is not None or (type(data) is not list and hasattr(data, "detach"))
            self.array = target.backend.from_numpy(
                as_array(data, kind or (None if tensor_data else dtypes.float32))
            )
        self.device, self.requires_grad, self._grad, self.grad_fn = target, False, None, None
        self.accumulator, self.view_info = None, None
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _legacy_arguments(args: tuple, size, data) -> tuple:
        """(shape, None) or (None, data), read as torch.Tensor reads its arguments."""
        if (data is not None and (args or size is not None)) or (size is not None and args):
            raise TypeError(
                "Tensor: pass the data or the size once, e.g. Tensor([1, 2]), Tensor(2, 3) or "
                "Tensor(size=(2, 3))"
            )
        if data is not None:
            return None, data
        if size is not None:
            return Tensor._legacy_shape(size if isinstance(size, (tuple, list)) else (size,))
        if not args:
            return (0,), None
        one = args[0]
        if len(args) == 1 and isinstance(one, tuple) and type(one).__name__ == "Size":
            return Tensor._legacy_shape(one)  # ne.Size or torch.Size: a shape; a tuple is data
        if len(args) == 1 and (isinstance(one, bool) or not isinstance(one, (int, np.integer))):
            if isinstance(one, (numbers.Number, str, bytes, type(None))):
                raise TypeError(
                    f"Tensor: data must be a sequence, got {type(one).__name__} ({one!r}); "
                    f"use ne.tensor({one!r}) for a 0-d tensor, or Tensor([{one!r}])"
                )
            return None, one
        return Tensor._legacy_shape(args)

    @staticmethod
    def _legacy_shape(sizes) -> tuple:
        bad = [n for n in sizes if isinstance(n, bool) or not isinstance(n, (int, np.integer))]
        if bad:
            raise TypeError(
                f"Tensor: a size takes ints, but got {bad[0]!r} in {tuple(sizes)}; to pass "
                "data, give one sequence, e.g. Tensor([1, 2])"
            )
        if any(n < 0 for n in sizes):
            raise ArgumentError(
                f"Tensor: trying to create a tensor with a negative size: shape "
                f"{shape_str(tuple(sizes))}; every size must be 0 or more"
            )
        return tuple(int(n) for n in sizes), None

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        """``np.asarray(t)``: the values, sharing memory where numpy's arguments allow (as
        torch's ``t.numpy()``), copied for ``copy=True`` or another dtype."""
        if self.requires_grad:
            raise AutogradError(
                f"numpy: can't call numpy() on a tensor that requires grad "
                f"({describe('self', self)}), which np.asarray(t) and numpy's functions do; "
                "use t.detach() first, e.g. np.asarray(t.detach())"
            )
        if self.device.type != "cpu":
            raise TypeError(
                f"numpy: can't convert a {self.device} tensor to numpy "
                f"({describe('self', self)}); copy it to the CPU first: np.asarray(t.cpu())"
            )
        array = self.device.backend.to_numpy(self.array)
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError(
                    f"numpy: a {self.dtype.name} tensor as {np.dtype(dtype)} needs a copy, "
                    "but copy=False was asked; pass copy=None (np.asarray) to allow it"
                )
            return array.astype(dtype)
        return array.copy() if copy else array

    def __array_wrap__(self, array, context=None, return_scalar=False) -> Tensor:
        """What numpy's functions return for a tensor (``np.exp(t)``): a tensor, as with
        torch, on the CPU (a 0-d one where numpy would give a scalar)."""
        target = self.device if self.device.type == "cpu" else parse_device("cpu")
        return Tensor.wrap(target.backend.from_numpy(as_array(np.asarray(array))), target)

    @classmethod
    def wrap(cls, array, device: Device, requires_grad: bool = False) -> Tensor:
        """A tensor around a backend array (not copied), on ``device``."""
        if isinstance(array, np.generic):  # numpy turns 0-d results into scalars
            array = np.asarray(array)
        t = object.__new__(cls)
        t.array = array
        t.device = device
        t.requires_grad = requires_grad
        t._grad = None
        t.grad_fn = None
        t.version_counter = VersionCounter()
        t.accumulator = None
        t.view_info = None
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
        return Tensor.wrap(self.array, self.device, False)

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

    def size(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        if dim is None:
            return self.shape
        return self.shape[checked_dim("size", self, dim)]

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
        return tensor_repr(self)

    def __format__(self, spec: str) -> str:
        if self.ndim == 0:  # f"loss {loss}" prints the number, as with torch
            return format(self.item(), spec)
        if spec:
            raise TypeError(
                f"unsupported format string {spec!r} for a tensor of shape "
                f"{shape_str(self.shape)}: only a 0-d tensor formats as a number; use "
                f"t.item() or index one element first"
            )
        return str(self)

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
        out = Tensor.wrap(self.array, self.device, False)
        out.version_counter = self.version_counter  # in-place edits through it count for self
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
            self.grad_fn.retain(self)

    def register_hook(self, hook) -> autograd.RemovableHandle:
        """Call ``hook(grad)`` with the gradient that reaches this tensor in backward; what it
        returns (a tensor) replaces that gradient, None keeps it."""
        if not self.requires_grad:
            raise AutogradError(
                "register_hook: cannot register a hook on a tensor that doesn't require "
                f"gradient ({describe('tensor', self)}); call .requires_grad_() first"
            )
        node = self.grad_fn if self.grad_fn is not None else self.grad_accumulator()

        def run(array):
            changed = hook(self.grad_tensor(array))
            return None if changed is None else changed.array

        return autograd.RemovableHandle(node, run)

    @property
    def retains_grad(self) -> bool:
        node = self.grad_fn
        return node is not None and node.retained is not None and node.retained() is self

    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        autograd.backward(self, gradient, retain_graph)

    # ------------------------------------------------------------------ for autograd
    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view sharing its memory) has seen."""
        return self.version_counter.value

    def grad_accumulator(self) -> autograd.AccumulateGrad:
        """The node through which gradients reach this leaf (made on first use)."""
        if self.accumulator is None:
            self.accumulator = autograd.AccumulateGrad(self)
        return self.accumulator

    def grad_tensor(self, array, owned: bool = False) -> Tensor:
        """A gradient array as a tensor for this one: its device, no grad of its own.

        The array is copied unless ``owned`` (nothing else holds it).
        """
        if not owned:
            array = self.device.backend.copy(array)
        return Tensor.wrap(array, self.device, False)

    def accumulate_grad(self, array, owned: bool = False) -> None:
        """``.grad = array`` the first time, ``.grad += array`` after (what AccumulateGrad does)."""
        if self._grad is None:
            self._grad = self.grad_tensor(array, owned)
        else:
            self._grad.array = self._grad.array + array

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward() left here (leaves, and tensors that retain_grad())."""
        if self._grad is None and self.grad_fn is not None and not self.retains_grad:
            if _read_by_nnbench():  # its own displays ask every tensor; only a person is told
                return None
            warnings.warn(
                "the .grad of a tensor that is not a leaf is being read, and backward() never "
                f"fills it ({describe('self', self)}, made by {self.grad_fn.name()}). Read "
                "the leaf's .grad instead (a `w = w - lr * w.grad` update makes w a new "
                "tensor: do it in place under no_grad), or call t.retain_grad() before the "
                "backward",
                UserWarning,
                stacklevel=2,
            )
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value

    def to(self, *args, **kwargs) -> Tensor:
        target_device, target_dtype = _to_arguments(args, kwargs)
        out = self
        if target_dtype is not None and target_dtype is not self.dtype:
            out = apply(O.ToCopy, out, dtype=target_dtype)
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

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        return self.to(dtypes.uint8)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    def clone(self) -> Tensor:
        return apply(O.Clone, self)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _binary(O.Add, "add", self, other)

    def __radd__(self, other):
        return _binary(O.Add, "add", self, other, reverse=True)

    def __sub__(self, other):
        no_bool_sub(self, other)
        return _binary(O.Sub, "sub", self, other)

    def __rsub__(self, other):
        no_bool_sub(self, other)
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

    def matmul(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(tensor_like(other, self), self)

    def __neg__(self):
        if self.dtype is dtypes.bool_:
            raise DTypeError(
                f"neg: negation, the - operator, on a bool tensor is not supported "
                f"({describe('self', self)}); to invert a mask use ~t or t.logical_not()"
            )
        return apply(O.Neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    add = __add__
    sub = __sub__
    mul = __mul__
    pow = __pow__
    __matmul__ = matmul
    neg = __neg__

    def mm(self, other):
        other = tensor_like(other, self)
        for role, t in (("self", self), ("mat2", other)):
            if t.ndim != 2:
                raise ShapeError(
                    f"mm: {role} must be a matrix, but it is {describe(role, t)}; mm takes "
                    "two 2-d tensors (use @ or matmul for vectors and batches)"
                )
        return _matmul(self, other)

    def dot(self, other):
        other = tensor_like(other, self)
        if self.ndim != 1 or other.ndim != 1:
            raise ShapeError(
                f"dot: 1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors "
                f"({describe('self', self)}, {describe('other', other)}); use @ for matrices"
            )
        return _matmul(self, other)

    def isnan(self):
        return apply(O.IsNan, self)

    def isinf(self):
        return apply(O.IsInf, self)

    def isfinite(self):
        return apply(O.IsFinite, self)

    def equal(self, other) -> bool:
        """True if other has the same shape and the same values (torch.equal)."""
        other = tensor_like(other, self)
        return tuple(self.shape) == tuple(other.shape) and bool((self == other).all())

    def nelement(self) -> int:
        return self.numel()

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        return _unique(self, return_inverse, return_counts, dim)

    def bincount(self, weights=None, minlength=0):
        return _bincount(self, weights, minlength)

    def nonzero(self, *, as_tuple=False):
        xp = self.device.backend
        values = xp.to_numpy(self.array)
        if values.ndim == 0:  # as torch: one row of no coordinates if the value is nonzero
            count = int(bool(values))
            if as_tuple:
                return (Tensor.wrap(xp.from_numpy(np.zeros(count, np.int64)), self.device),)
            return Tensor.wrap(xp.from_numpy(np.zeros((count, 0), np.int64)), self.device)
        where = np.nonzero(values)
        if as_tuple:
            return tuple(Tensor.wrap(xp.from_numpy(w.astype(np.int64)), self.device) for w in where)
        found = np.stack(where, axis=1) if where else np.zeros((0, 0), np.int64)
        return Tensor.wrap(xp.from_numpy(found.astype(np.int64)), self.device)

    argwhere = nonzero

    def maximum(self, other):
        return _binary(O.Maximum, "maximum", self, other)

    def minimum(self, other):
        return _binary(O.Minimum, "minimum", self, other)

    def square(self):
        return self * self

    # more of torch's method spellings
    def reciprocal(self):
        return self._run(_pw.unary(O.Reciprocal, self))

    def true_divide(self, other):
        return self / other

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """The last two dims swapped (a batch of matrices, each transposed)."""
        return self.transpose(-2, -1)

    # comparisons (bool results, no gradient)
    def __eq__(self, other):
        return _compare(O.Eq, self, other)

    def __ne__(self, other):
        return _compare(O.Ne, self, other)

    def __lt__(self, other):
        return _compare(O.Lt, self, other)

    def __le__(self, other):
        return _compare(O.Le, self, other)

    def __gt__(self, other):
        return _compare(O.Gt, self, other)

    def __ge__(self, other):
        return _compare(O.Ge, self, other)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def __invert__(self):  # logical on bool, bitwise on integers (pointwise.py)
        return self._run(_pw.invert(self))

    def __and__(self, other):
        return self._run(_pw.bitwise(O.BitwiseAnd, O.LogicalAnd, self, other))

    def __or__(self, other):
        return self._run(_pw.bitwise(O.BitwiseOr, O.LogicalOr, self, other))

    def __xor__(self, other):
        return self._run(_pw.bitwise(O.BitwiseXor, O.LogicalXor, self, other))

    def logical_not(self):  # any dtype: nonzero is True
        return apply(O.LogicalNot, _pw.truth(self))

    def any(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        if dim is None:
            xp = self.device.backend
            return Tensor.wrap(xp.asarray(xp.any(self.array), dtypes.bool_), self.device)
        return self.bool().long().sum(dim, keepdim) > 0

    def all(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return ~((~self.bool()).any(dim, keepdim))

    # ------------------------------------------------------------------ elementwise
    def exp(self):
        return apply(O.Exp, floating("exp", self))

    def log(self):
        return apply(O.Log, floating("log", self))

    def sin(self):
        return apply(O.Sin, floating("sin", self))

    def cos(self):
        return apply(O.Cos, floating("cos", self))

    def sqrt(self):
        return apply(O.Sqrt, floating("sqrt", self))

    def abs(self):
        if self.dtype is dtypes.bool_:
            raise UnsupportedDTypeError(
                f"abs: not implemented for {describe('self', self)}; a bool is never "
                "negative, so use t itself, or t.long().abs()"
            )
        return apply(O.Abs, self)

    def tanh(self):
        return apply(O.Tanh, floating("tanh", self))

    def sigmoid(self):
        return apply(O.Sigmoid, floating("sigmoid", self))

    def relu(self):
        if self.dtype is dtypes.bool_:
            raise DTypeError(
                f"relu: boolean inputs are not supported ({describe('self', self)}); "
                "convert first: t.float().relu()"
            )
        return apply(O.Relu, self)

    def clamp(self, min=None, max=None):
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return self._run(_pw.clamp_tensors(self, min, max))
        _clamp_bounds("clamp", self, min, max)
        return apply(O.Clamp, self, low=min, high=max)

    clip = clamp

    def masked_fill(self, mask, value):
        mask, value = _masked_fill_args("masked_fill", self, mask, value)
        return apply(O.MaskedFill, self, mask, value)

    # elementwise maths beyond the basics: operand checks in pointwise.py, ops in engine/ops
    def _run(self, plan, into=None):
        """Run a plan of pointwise.py, (op class, operands, settings), as apply() does."""
        function, operands, params = plan
        return apply(function, *operands, into=into, **params)

    def tan(self):
        return self._run(_pw.unary(O.Tan, self))

    def asin(self):
        return self._run(_pw.unary(O.Asin, self))

    def acos(self):
        return self._run(_pw.unary(O.Acos, self))

    def atan(self):
        return self._run(_pw.unary(O.Atan, self))

    def sinh(self):
        return self._run(_pw.unary(O.Sinh, self))

    def cosh(self):
        return self._run(_pw.unary(O.Cosh, self))

    def asinh(self):
        return self._run(_pw.unary(O.Asinh, self))

    def acosh(self):
        return self._run(_pw.unary(O.Acosh, self))

    def atanh(self):
        return self._run(_pw.unary(O.Atanh, self))

    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

    def rsqrt(self):
        return self._run(_pw.unary(O.Rsqrt, self))

    def log2(self):
        return self._run(_pw.unary(O.Log2, self))

    def log10(self):
        return self._run(_pw.unary(O.Log10, self))

    def log1p(self):
        return self._run(_pw.unary(O.Log1p, self))

    def exp2(self):
        return self._run(_pw.unary(O.Exp2, self))

    def expm1(self):
        return self._run(_pw.unary(O.Expm1, self))

    def erf(self):
        return self._run(_pw.unary(O.Erf, self))

    def floor(self):
        return self._run(_pw.step(O.Floor, self))

    def ceil(self):
        return self._run(_pw.step(O.Ceil, self))

    def trunc(self):
        return self._run(_pw.step(O.Trunc, self))

    fix = trunc

    def round(self, *, decimals=None):
        return self._run(_pw.round_(self, decimals))

    def frac(self):
        return self._run(_pw.frac_checked(self))

    def sign(self):
        return apply(O.Sign, self)

    def fmod(self, other):
        return self._run(_pw.divide_like(O.Fmod, "fmod", self, other))

    def remainder(self, other):
        return self._run(_pw.divide_like(O.Remainder, "remainder", self, other))

    def __rmod__(self, other):
        return self._run(_pw.divide_like(O.Remainder, "remainder", self, other, reverse=True))

    def floor_divide(self, other):
        return self._run(_pw.divide_like(O.FloorDivide, "floor_divide", self, other))

    def __rfloordiv__(self, other):
        return self._run(_pw.divide_like(O.FloorDivide, "floor_divide", self, other, reverse=True))

    __mod__, __floordiv__ = remainder, floor_divide

    def div(self, other, *, rounding_mode=None):  # a / b, or rounded: "trunc", "floor"
        if rounding_mode is None:
            return self / other
        return self._run(_pw.div(self, other, rounding_mode))

    divide = div

    def atan2(self, other):
        return self._run(_pw.float_pair(O.Atan2, self, other))

    arctan2 = atan2

    def hypot(self, other):
        return self._run(_pw.float_pair(O.Hypot, self, other))

    def lerp(self, end, weight):
        return self._run(_pw.lerp_checked(self, end, weight))

    def bitwise_and(self, other):
        return self._run(_pw.bitwise(O.BitwiseAnd, O.LogicalAnd, self, other))

    def bitwise_or(self, other):
        return self._run(_pw.bitwise(O.BitwiseOr, O.LogicalOr, self, other))

    def bitwise_xor(self, other):
        return self._run(_pw.bitwise(O.BitwiseXor, O.LogicalXor, self, other))

    def __rand__(self, other):
        return self._run(_pw.bitwise(O.BitwiseAnd, O.LogicalAnd, self, other, reverse=True))

    def __ror__(self, other):
        return self._run(_pw.bitwise(O.BitwiseOr, O.LogicalOr, self, other, reverse=True))

    def __rxor__(self, other):
        return self._run(_pw.bitwise(O.BitwiseXor, O.LogicalXor, self, other, reverse=True))

    def bitwise_not(self):
        return self._run(_pw.invert(self))

    def bitwise_left_shift(self, other):
        return self._run(_pw.shift(O.LeftShift, self, other))

    def bitwise_right_shift(self, other):
        return self._run(_pw.shift(O.RightShift, self, other))

    def __rlshift__(self, other):
        return self._run(_pw.shift(O.LeftShift, self, other, reverse=True))

    def __rrshift__(self, other):
        return self._run(_pw.shift(O.RightShift, self, other, reverse=True))

    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift

    def logical_and(self, other):
        return self._run(_pw.logical(O.LogicalAnd, self, other))

    def logical_or(self, other):
        return self._run(_pw.logical(O.LogicalOr, self, other))

    def logical_xor(self, other):
        return self._run(_pw.logical(O.LogicalXor, self, other))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return self._run(_pw.isclose_checked(self, other, rtol, atol, equal_nan))

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _pw.allclose(self, other, rtol, atol, equal_nan)

    # in place, where learners use them (t.floor_(), t.round_(), t.lerp_(target, 0.1))
    def floor_(self) -> Tensor:
        return _in_place(self, "floor_", lambda: self._run(_pw.step(O.Floor, self), into=self))

    def ceil_(self) -> Tensor:
        return _in_place(self, "ceil_", lambda: self._run(_pw.step(O.Ceil, self), into=self))

    def trunc_(self) -> Tensor:
        return _in_place(self, "trunc_", lambda: self._run(_pw.step(O.Trunc, self), into=self))

    def round_(self, *, decimals=None) -> Tensor:
        return _in_place(self, "round_", lambda: self._run(_pw.round_(self, decimals), into=self))

    def sign_(self) -> Tensor:
        return _in_place(self, "sign_", lambda: apply(O.Sign, self, into=self))

    def lerp_(self, end, weight) -> Tensor:
        return _in_place(
            self, "lerp_", lambda: self._run(_pw.lerp_checked(self, end, weight), into=self)
        )

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        dim = dim if axis is None else axis
        if dtype is not None:  # summed in that dtype, and given in it (int32 too)
            return self.to(dtype).sum(dim, keepdim).to(dtype)
        dims = checked_dims("sum", self, dim)
        return apply(O.Sum, sum_dtype(self), dims=dims, keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        dim = dim if axis is None else axis
        t = self if dtype is None else self.to(dtype)
        if not t.dtype.is_floating_point:
            raise DTypeError(
                f"mean: could not infer the output dtype: needs a floating point tensor, but "
                f"got {describe('self', t)}; call .float() first, or pass dtype=ne.float32"
            )
        return apply(O.Mean, t, dims=checked_dims("mean", self, dim), keepdim=keepdim)

    def var(self, dim=None, keepdim=False, unbiased=True, correction=None):
        need_floating("var", self)
        correction = (1 if unbiased else 0) if correction is None else correction
        dims = checked_dims("var", self, dim)
        return apply(O.Var, self, dims=dims, correction=correction, keepdim=keepdim)

    def std(self, dim=None, keepdim=False, unbiased=True, correction=None):
        need_floating("std", self)
        correction = (1 if unbiased else 0) if correction is None else correction
        dims = checked_dims("std", self, dim)
        return apply(O.Std, self, dims=dims, correction=correction, keepdim=keepdim)

    def max(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _extreme(O.Max, O.MaxDim, self, dim, keepdim)

    def min(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _extreme(O.Min, O.MinDim, self, dim, keepdim)

    def median(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _extreme(O.Median, O.MedianDim, self, dim, keepdim)

    def kthvalue(self, k, dim=-1, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        d = checked_dim("kthvalue", self, dim)
        size = self.shape[d] if self.ndim else 1
        if not isinstance(k, int) or not 1 <= k <= size:
            raise IndexRangeError(
                f"kthvalue: k={k!r} is out of range for {describe('self', self)} along dim "
                f"{dim} (size {size}); k counts from 1, so it must be in 1..{size}"
            )
        return _pick_along(O.KthValue, self, dim, keepdim, k=k)

    def mode(self, dim=-1, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _pick_along(O.Mode, self, dim, keepdim)

    def sort(self, dim=-1, descending=False, stable=False, *, axis=None):
        dim = dim if axis is None else axis
        d = checked_dim("sort", self, dim)
        if self.ndim == 0:
            index = self.device.backend.zeros((), dtypes.int64)
            return return_types.sort(self.clone(), Tensor.wrap(index, self.device))
        return return_types.sort(*apply(O.Sort, self, dim=d, descending=bool(descending)))

    def argsort(self, dim=-1, descending=False, stable=False, *, axis=None):
        dim = dim if axis is None else axis
        return self.sort(dim, descending, stable).indices

    def msort(self):
        return self.sort(0).values

    def argmax(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _arg_extreme(O.ArgMax, self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False, *, axis=None):
        dim = dim if axis is None else axis
        return _arg_extreme(O.ArgMin, self, dim, keepdim)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None):
        dim = dim if axis is None else axis
        t = sum_dtype(self) if dtype is None else self.to(dtype)
        if dim is not None:
            dim = checked_dim("prod", self, dim)
        return apply(O.Prod, t, dim=dim, keepdim=keepdim)

    def softmax(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        need_floating("softmax", self)
        return apply(O.Softmax, self, dim=checked_dim("softmax", self, dim))

    def log_softmax(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        need_floating("log_softmax", self)
        return apply(O.LogSoftmax, self, dim=checked_dim("log_softmax", self, dim))

    def topk(self, k, dim=-1, largest=True, sorted=True, *, axis=None):
        dim = dim if axis is None else axis
        dim = checked_dim("topk", self, dim)
        size = self.shape[dim] if self.ndim else 1
        if not 0 <= k <= size:
            raise ShapeError(
                f"topk: k={k} is out of range for {describe('self', self)} along dim "
                f"{dim} (size {size}); k must be between 0 and {size}"
            )
        source = self if self.ndim else self.reshape(1)
        values, indices = apply(O.TopK, source, k=k, dim=dim if self.ndim else 0, largest=largest)
        if not self.ndim:
            values, indices = values.reshape(()), indices.reshape(())
        return return_types.topk(values, indices)

    # reductions, scans and norms (issue 12); new_* and type() make tensors like self
    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = infer_shape("reshape", self, shape_args(shape))
        return _view(self, O.Reshape, shape=shape)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = checked_dim("flatten", self, start_dim), checked_dim("flatten", self, end_dim)
        if start > end:
            raise ShapeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        shape = self.shape
        merged = 1
        for n in shape[start : end + 1]:
            merged *= n
        return self.reshape(*shape[:start], merged, *shape[end + 1 :])

    def squeeze(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        shape = tuple(self.shape)
        if dim is None:
            new = tuple(n for n in shape if n != 1)
            return _view(self, O.Squeeze, shape=new)
        if isinstance(dim, (tuple, list)):  # several dims at once, each dropped if of size 1
            dims = {checked_dim("squeeze", self, d) for d in dim}
            new = tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1))
            return _view(self, O.Squeeze, shape=new)
        d = checked_dim("squeeze", self, dim)
        new = shape[:d] + shape[d + 1 :] if self.ndim and shape[d] == 1 else shape
        return _view(self, O.Squeeze, shape=new, dim=d)

    def unsqueeze(self, dim=None, *, axis=None):
        dim = dim if axis is None else axis
        d = checked_dim("unsqueeze", self, dim, extra=1)
        shape = tuple(self.shape)
        new = shape[:d] + (1,) + shape[d:]
        return _view(self, O.Unsqueeze, shape=new)

    def transpose(self, dim0, dim1):
        d0, d1 = checked_dim("transpose", self, dim0), checked_dim("transpose", self, dim1)
        order = list(range(self.ndim))
        if order:  # a 0-d tensor takes dims 0 and -1 and stays as it is, as in PyTorch
            order[d0], order[d1] = order[d1], order[d0]
        return _view(self, O.Transpose, dims=tuple(order))

    def t(self):
        if self.ndim > 2:
            raise ShapeError(
                f"t: expects a tensor with <= 2 dims, but got {self.ndim} "
                f"({describe('self', self)}); for the last two dims use x.transpose(-2, -1)"
            )
        dims = (1, 0) if self.ndim == 2 else tuple(range(self.ndim))
        return _view(self, O.T, dims=dims)  # a node even for 0-d and 1-d

    def permute(self, *dims):
        dims = tuple(checked_dim("permute", self, d) for d in shape_args(dims))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(
                f"permute: dims {dims} must be a reordering of 0..{self.ndim - 1} for "
                f"{describe('self', self)}"
            )
        return _view(self, O.Permute, dims=dims)

    def expand(self, *sizes):
        sizes = shape_args(sizes)
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
        return _view(self, O.Expand, shape=tuple(target))

    def expand_as(self, other):
        return self.expand(*other.shape)

    def tril(self, diagonal=0):
        return apply(O.Tril, _triangle_operand("tril", self, diagonal), diagonal=int(diagonal))

    def triu(self, diagonal=0):
        return apply(O.Triu, _triangle_operand("triu", self, diagonal), diagonal=int(diagonal))

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        key, advanced, name = index_key(self, key)
        if advanced:  # an index tensor or mask gathers a copy
            return apply(O.Index, self, key=key, advanced=True, name=name)
        return _view(self, O.Index, key=key, advanced=False, name=name)

    def __setitem__(self, key, value):
        _check_in_place("__setitem__", self)
        key, advanced, name = index_key(self, key)
        if isinstance(value, Tensor):
            value = _same_device("__setitem__", "value", value, self)
            target = tuple(self.array[key].shape)
            if broadcast_shape(tuple(value.shape), target) != target:
                raise ShapeError(
                    broadcast_message(
                        f"__setitem__ (the value must broadcast to the indexed part, shape "
                        f"{shape_str(target)}, of {describe('self', self)})",
                        [target, tuple(value.shape)],
                        ["target", "value"],
                    )
                )
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
        if advanced:  # PyTorch's index_put_
            if isinstance(value, Tensor) and value.dtype is not self.dtype:
                value = value.to(self.dtype)
            _in_place(
                self, "__setitem__", lambda: apply(O.IndexPut, self, value, key=key, into=self)
            )
            return
        # a basic index is a view: the value is written through it, as PyTorch does
        part = _view(self, O.Index, key=key, advanced=False, name=name)
        if isinstance(value, Tensor):
            part.copy_(value)
        else:
            part.fill_(value)

    def gather(self, dim=None, index=None, *, axis=None):
        dim = dim if axis is None else axis
        return _gather(self, dim, index)

    # shaping and indexing: most of these methods are set on Tensor by engine/shaping.py,
    # beside the functions they call (shaping.py imports this module)

    def swapaxes(self, axis0, axis1):
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def view_as(self, other):
        return self.view(*other.shape)

    # ------------------------------------------------------------------ in place
    def add_(self, other, alpha=1):
        other = other if alpha == 1 else other * alpha
        return _in_place(self, "add_", lambda: _binary(O.Add, "add", self, other, into=self))

    def sub_(self, other, alpha=1):
        other = other if alpha == 1 else other * alpha
        return _in_place(self, "sub_", lambda: _binary(O.Sub, "sub", self, other, into=self))

    def mul_(self, other):
        return _in_place(self, "mul_", lambda: _binary(O.Mul, "mul", self, other, into=self))

    def div_(self, other):
        return _in_place(self, "div_", lambda: _binary(O.Div, "div", self, other, into=self))

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def zero_(self) -> Tensor:
        return _in_place(self, "zero_", lambda: apply(O.Zero, self, into=self))

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor):
            value = value.item()
        return _in_place(self, "fill_", lambda: apply(O.Fill, self, value=value, into=self))

    def copy_(self, source) -> Tensor:
        source = tensor_like(source, self)
        if source.device is not self.device:
            source = source.to(self.device)
        if broadcast_shape(tuple(source.shape), tuple(self.shape)) != tuple(self.shape):
            raise ShapeError(
                f"copy_: the source, {describe('src', source)}, must broadcast to "
                f"{describe('self', self)}"
            )
        return _in_place(self, "copy_", lambda: apply(O.Copy, self, source, into=self))

    def clamp_(self, min=None, max=None) -> Tensor:
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            compute = lambda: self._run(_pw.clamp_tensors(self, min, max), into=self)  # noqa: E731
            return _in_place(self, "clamp_", compute)
        _clamp_bounds("clamp_", self, min, max)
        return _in_place(self, "clamp_", lambda: apply(O.Clamp, self, low=min, high=max, into=self))

    def masked_fill_(self, mask, value) -> Tensor:
        mask, value = _masked_fill_args("masked_fill_", self, mask, value)
        return _in_place(
            self, "masked_fill_", lambda: apply(O.MaskedFill, self, mask, value, into=self)
        )

    def relu_(self) -> Tensor:
        if self.dtype is dtypes.bool_:
            raise DTypeError(
                f"relu_: boolean inputs are not supported ({describe('self', self)}); "
                "convert first: t = t.float(); t.relu_()"
            )
        return _in_place(self, "relu_", lambda: apply(O.Relu, self, into=self))


_NNBENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # engine/ and tui/


def _read_by_nnbench() -> bool:
    """Whether the code reading a tensor's attribute is nnbench's own (not the user's)."""
    caller = sys._getframe(2).f_code.co_filename
    return os.path.abspath(caller).startswith(
        tuple(os.path.join(_NNBENCH, part) + os.sep for part in ("engine", "tui"))
    )


# ---------------------------------------------------------------------- applying an op
def apply(function: type[O.Function], *operands, into=None, write=True, **params):
    """Run one op: its forward on the operands' arrays, its node linked into the graph.

    Operands are tensors or plain values (Python numbers, index arrays); params are the
    op's settings (``dim=1``). Returns the output tensor (a tuple for ops with extra
    outputs, such as ``max(dim)``'s indices). ``into=t`` makes it an in-place op: the
    result is written into t, which becomes the node's output (``write=False``: t already
    holds the values, as a view of a changed base does).
    """
    node = object.__new__(function)
    arrays, tensors = [], []
    device = None
    requires_grad = False
    for x in operands:
        if isinstance(x, Tensor):
            if device is None:
                device = x.device
            elif x.device is not device:
                raise _device_mismatch(function, operands)
            if x.view_info is not None and x.view_info.version != x.version_counter.value:
                _refresh_view(x)  # its base changed in place since its grad_fn was made
            arrays.append(x.array)
            tensors.append(x)
            requires_grad = requires_grad or x.requires_grad
        else:
            arrays.append(x)
            tensors.append(None)
    node.xp = xp = device.backend
    result = node.forward(*arrays, **params)
    extras = ()
    if function.extra_outputs:
        result, *extras = result
    needs_grad = requires_grad and STATE.grad_enabled and function.differentiable
    if into is None:
        out = Tensor.wrap(result, device, needs_grad)
        if needs_grad:
            node.link(tensors, out, result)
    else:
        out = _into(into, node, result, tensors, needs_grad, write)
    if extras:
        extras = tuple(Tensor.wrap(e, device, False) for e in extras)
    if STATE.tracer is not None:
        STATE.tracer.record(function, node, operands, params, out, extras)
    if STATE.anomaly is not None:
        shapes = [tuple(x.shape) for x in tensors if x is not None]
        STATE.anomaly.check_forward(function, node, shapes, out, xp)
    return (out, *extras) if extras else out


def _into(t: Tensor, node, result, tensors, needs_grad: bool, write: bool) -> Tensor:
    """Make t the output of an in-place op: write the result into it, then link the node."""
    if write:
        if node.saved:  # keep the values the backward reads from being overwritten
            xp = node.xp
            node.saved = tuple(xp.copy(s) if s is t.array else s for s in node.saved)
        node.op = f"{node.op}_"
        if STATE.tracer is not None:  # the replay starts from t's values before this write
            STATE.tracer.before_write(t)
        _store(t, node.op, result)
    if needs_grad:
        t.requires_grad = True
        node.link(tensors, t, result)
    return t


def _store(t: Tensor, op: str, array) -> None:
    """t's values replaced by an op's result, in place (its views see it), version + 1."""
    if tuple(array.shape) != tuple(t.array.shape):
        raise ShapeError(
            f"{op}: the result has shape {shape_str(tuple(array.shape))} but an in-place "
            f"op must keep {describe('self', t)}'s shape; use the out-of-place form, "
            "e.g. t = t + x, which may broadcast"
        )
    result = dtypes.of_array(array)
    if result.category > t.dtype.category:
        raise DTypeError(
            f"{op}: result type {result.name} can't be cast to the desired output type "
            f"{t.dtype.name} of {describe('self', t)}; convert first (t = t.float()) or "
            "use the out-of-place form, t = t + x"
        )
    try:
        t.array[...] = array
    except (ValueError, RuntimeError) as error:  # an expanded view is read-only
        raise ShapeError(
            f"{op}: {describe('self', t)} is an expanded view, where several elements "
            "share one place in memory, so it cannot be written in place; .clone() it "
            "first"
        ) from error
    t.version_counter.bump()


def _device_mismatch(function, operands) -> DeviceError:
    lines = [
        f"{function.op}: expected all tensors on the same device, but got:",
        *(
            f"  {describe(function.input_name(i), x)} ({x.device.backend_name} backend)"
            for i, x in enumerate(operands)
            if isinstance(x, Tensor)
        ),
        "Hint: move them together first, e.g. b = b.to(a.device).",
    ]
    return DeviceError("\n".join(lines))


# ---------------------------------------------------------------------- helpers of the methods
def _clamp_bounds(op: str, t: Tensor, low, high) -> None:
    if low is None and high is None:
        raise ArgumentError(
            f"{op}: at least one of min= and max= must not be None "
            f"({describe('self', t)}); e.g. t.clamp(min=0)"
        )


def _masked_fill_args(op: str, t: Tensor, mask, value):
    """masked_fill's mask (a bool tensor broadcasting to t) and value (a number)."""
    mask = tensor_like(mask, t)
    if mask.dtype is not dtypes.bool_:
        raise DTypeError(
            f"{op}: the mask must be a bool tensor, but it is {mask.dtype.name}; "
            "build it with a comparison such as x > 0"
        )
    if broadcast_shape(mask.shape, t.shape) != tuple(t.shape):
        raise ShapeError(
            broadcast_message(
                f"{op} (the mask must broadcast to self's shape)",
                [tuple(t.shape), tuple(mask.shape)],
                ["self", "mask"],
            )
        )
    return mask, (value.item() if isinstance(value, Tensor) else value)


def _in_place(t: Tensor, op: str, compute) -> Tensor:
    """An in-place change of t, as PyTorch records one: ``compute`` applies the op with
    ``into=t``; through a view, the view's base records the change too (CopySlices)."""
    _check_in_place(op, t)
    compute()
    if t.view_info is not None and t.requires_grad and STATE.grad_enabled:
        t.view_info.version = t.version_counter.value  # its grad_fn is the op just recorded
        base = t.view_info.base
        apply(O.CopySlices, base, t, view=t.view_info.path, into=base, write=False)
    return t


def _check_in_place(op: str, t: Tensor) -> None:
    if not STATE.grad_enabled:
        return
    if t.requires_grad and t.grad_fn is None:
        raise AutogradError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place "
            f"operation ({describe('leaf', t)}). Autograd would lose track of its value. "
            "Wrap the update in `with ne.no_grad():` (as an optimizer does), or use "
            "an out-of-place op."
        )
    base = t.view_info.base if t.view_info is not None else None
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise AutogradError(
            f"{op}: a view of a leaf Variable that requires grad is being used in an "
            f"in-place operation ({describe('leaf', base)}), which would change the leaf. Wrap "
            "it in `with ne.no_grad():`, or change a copy: c = leaf.clone()"
        )


class View:
    """What makes a tensor a view: its base (the tensor that owns the memory), how it was
    made from it, and the base's version when its grad_fn was last made."""

    __slots__ = ("base", "path", "version")

    def __init__(self, base, path, version):
        self.base, self.path, self.version = base, path, version


def _view(t: Tensor, function, **params) -> Tensor:
    """One view op on t: the result shares t's memory and version counter (as in PyTorch)
    and remembers its base, so that an in-place change through it reaches the base."""
    out = apply(function, t, **params)
    if not t.device.backend.shares_memory(out.array, t.array):
        return out  # a reshape that had to copy: not a view
    out.version_counter = t.version_counter
    base, path = (t.view_info.base, t.view_info.path) if t.view_info is not None else (t, ())
    out.view_info = View(base, ViewPath((*path, (function, params))), t.version_counter.value)
    return out


def _refresh_view(view: Tensor) -> None:
    """A view whose base was changed in place since its grad_fn was made: make the
    grad_fn again from the base, so its gradient goes through the change (PyTorch does
    the same, lazily, as here: on the view's next use)."""
    info = view.view_info
    info.version = view.version_counter.value
    if not info.base.requires_grad:
        return
    t = info.base
    for function, params in info.path[:-1]:
        t = apply(function, t, **params)
    function, params = info.path[-1]
    apply(function, t, into=view, write=False, **params)


def tensor_like(value, reference: Tensor) -> Tensor:
    """A Python number, list or numpy array as a tensor on reference's device (a tensor
    is returned as it is)."""
    if isinstance(value, Tensor):
        return value
    device = reference.device
    return Tensor.wrap(device.backend.from_numpy(as_array(value)), device)


_COMMUTATIVE = (O.Add, O.Mul)


def _binary(cls, op: str, a: Tensor, b, reverse: bool = False, into=None) -> Tensor:
    if isinstance(b, Tensor):
        if a.array.shape != b.array.shape:
            left, right = (b, a) if reverse else (a, b)
            check_broadcast(op, [tuple(left.shape), tuple(right.shape)], [left, right], ["a", "b"])
        if a.array.dtype != b.array.dtype or (cls is O.Div and a.dtype.category < 2):
            a, b = promote_pair(a, b, true_division=cls is O.Div)
    elif isinstance(b, numbers.Number) and not isinstance(b, complex):
        result = dtypes.promote_scalar(a.dtype, b)
        if cls is O.Div and result.category < 2:
            result = dtypes.float32
        if result is not a.dtype:
            a = a.to(result)
        if isinstance(b, np.generic):
            b = b.item()
        if result.category == 1 and isinstance(b, int):
            b = fit_int(op, result, b, wrap=cls is not O.Pow)
            if cls is O.Pow and b < 0 and not reverse:
                raise ArgumentError(
                    f"pow: integers to negative integer powers are not allowed "
                    f"({describe('a', a)}, exponent {b}); use a float tensor: t.float() ** {b}"
                )
    elif isinstance(b, np.ndarray):
        return _binary(cls, op, a, tensor_like(b, a), reverse, into)
    else:
        bad_operand(op, a, b)
    if reverse:  # 2 * t is t * 2 for PyTorch too: the tensor stays the node's first input
        return apply(cls, a, b) if cls in _COMMUTATIVE else apply(cls, b, a)
    return apply(cls, a, b) if into is None else apply(cls, a, b, into=into)


def _compare(cls, a: Tensor, b) -> Tensor:
    kind = cls.op
    if not isinstance(b, Tensor):
        if b is None or not isinstance(b, (numbers.Number, list, tuple, np.ndarray)):
            return NotImplemented if kind in ("eq", "ne") else _unsupported(kind, b)
        b = tensor_like(b, a) if not isinstance(b, numbers.Number) else b
        if a.dtype.category == 1 and isinstance(b, int) and not isinstance(b, bool):
            b = fit_int(kind, a.dtype, b)
    if isinstance(b, Tensor):
        if a.array.shape != b.array.shape:
            check_broadcast(kind, [tuple(a.shape), tuple(b.shape)], [a, b], ["a", "b"])
        if a.array.dtype != b.array.dtype:
            result = dtypes.promote(a.dtype, b.dtype)
            a, b = a.to(result), b.to(result)
    return apply(cls, a, b)


def _unsupported(kind, value):
    raise TypeError(f"{kind}: cannot compare a tensor with {type(value).__name__}")


def _extreme(over_all, over_dim, t: Tensor, dim, keepdim: bool, **choice):
    """max() / min() / median(): over every element, or a named (values, indices) along dim."""
    op = over_all.op
    if dim is None:
        if t.numel() == 0:
            raise ShapeError(
                f"{op}: {describe('self', t)} is empty, so it has no {op} value; "
                "pass dim= for a reduction over a non-empty dim"
            )
        return apply(over_all, t)
    return _pick_along(over_dim, t, dim, keepdim, **choice)


def _pick_along(function, t: Tensor, dim, keepdim: bool, **choice):
    """(values, indices) along dim, as the named tuple PyTorch returns for the op."""
    op = function.op
    named = getattr(return_types, op)
    d = checked_dim(op, t, dim)
    if t.ndim == 0:  # a 0-d tensor is its own max, median, mode, ... at index 0
        index = t.device.backend.zeros((), dtypes.int64)
        return named(t.clone(), Tensor.wrap(index, t.device))
    if t.shape[d] == 0:
        raise DimError(
            f"{op}: cannot reduce over dim {dim} of size 0 ({describe('self', t)}); "
            "an empty dim has no such value, so reduce over a non-empty dim"
        )
    return named(*apply(function, t, dim=d, keepdim=keepdim, **choice))


def _arg_extreme(cls, t: Tensor, dim, keepdim: bool):
    op = cls.op
    if t.numel() == 0:
        raise DimError(
            f"{op}: {describe('self', t)} is empty, so it has no {op[3:]}imum to point "
            "at; check the tensor's shape before reducing it"
        )
    if dim is not None:
        dim = checked_dim(op, t, dim)
        if t.ndim == 0:
            dim = None
    return apply(cls, t, dim=dim, keepdim=keepdim)


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
        elif isinstance(arg, str) and not names_dtype(arg):
            target_device = arg  # neither a device we know nor a dtype: parsing says so
        else:
            target_dtype = arg
    if target_device is not None:
        target_device = parse_device(target_device)
    if target_dtype is not None:
        target_dtype = dtypes.from_any(target_dtype)
    return target_device, target_dtype


def _move(t: Tensor, target: Device) -> Tensor:
    """Copy to another device; in a graph, gradients flow back across the move."""
    source = t.device
    if source.backend_name == "torch" and target.backend_name == "torch":
        array = t.array.to(target.backend.torch_device)
    else:
        array = target.backend.from_numpy(np.array(source.backend.to_numpy(t.array)))
    if not (t.requires_grad and STATE.grad_enabled):
        return Tensor.wrap(array, target, False)
    out = Tensor.wrap(array, target, True)
    node = O.ToDevice()
    node.xp, node.source = target.backend, source
    node.link([t], out, array)
    return out


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


def _matmul(a: Tensor, b) -> Tensor:
    b = tensor_like(b, a)
    check_matmul(a, b)
    if a.array.dtype != b.array.dtype:
        result = dtypes.promote(a.dtype, b.dtype)
        a, b = a.to(result), b.to(result)
    return apply(O.MatMul, a, b)


def _unique(t: Tensor, return_inverse: bool, return_counts: bool, dim):
    """torch.unique: the sorted distinct values (rows, with dim), and optionally where each
    element went and how many there were. No gradient, as in PyTorch."""
    if dim is not None:
        dim = checked_dim("unique", t, dim)
    xp = t.device.backend
    values, inverse, counts = np.unique(
        xp.to_numpy(t.array), return_inverse=True, return_counts=True, axis=dim
    )
    if dim is None:
        inverse = inverse.reshape(tuple(t.shape))
    out = [Tensor.wrap(xp.from_numpy(values), t.device)]
    if return_inverse:
        out.append(Tensor.wrap(xp.from_numpy(inverse.astype(np.int64)), t.device))
    if return_counts:
        out.append(Tensor.wrap(xp.from_numpy(counts.astype(np.int64)), t.device))
    return out[0] if len(out) == 1 else tuple(out)


def _bincount(t: Tensor, weights, minlength: int):
    xp = t.device.backend
    if t.ndim != 1 or t.dtype.category != 1 or (t.numel() and int(xp.min(t.array)) < 0):
        raise ArgumentError(
            f"bincount: needs a 1-d tensor of non-negative ints, but got "
            f"{describe('self', t)}; e.g. labels.long() with labels >= 0"
        )
    w = None if weights is None else xp.to_numpy(tensor_like(weights, t).array)
    counts = np.bincount(xp.to_numpy(t.array), weights=w, minlength=minlength)
    kind = np.int64 if w is None else (w.dtype if w.dtype.kind == "f" else np.float64)
    return Tensor.wrap(xp.from_numpy(counts.astype(kind)), t.device)


def _gather(t: Tensor, dim: int, index: Tensor) -> Tensor:
    d = checked_dim("gather", t, dim)
    if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
        got = index.dtype.name if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(f"gather: index must be an int64 tensor, got {got}; use index.long()")
    index = _same_device("gather", "index", index, t)
    # PyTorch reads a 0-d self or index here as 1-d of size 1
    if (t.ndim == 0 or index.ndim == 0) and max(index.ndim, 1) == max(t.ndim, 1):
        flat = _gather(t.reshape(t.shape or (1,)), d, index.reshape(index.shape or (1,)))
        return flat.reshape(index.shape)
    check_gather(t, d, index)
    return apply(O.Gather, t, dim=d, index=index.to(dtypes.int64).array)


def _triangle_operand(op: str, t: Tensor, diagonal) -> Tensor:
    """tril/triu's checks: a matrix or a batch of them, and an int diagonal."""
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(
            f"{op}(): argument 'diagonal' must be int, not {type(diagonal).__name__}; "
            f"e.g. t.{op}(diagonal=1)"
        )
    if t.ndim < 2:
        raise ShapeError(
            f"{op}: input tensor must have at least 2 dimensions, but got {describe('self', t)}; "
            f"make it a matrix first, e.g. t.reshape(1, -1).{op}()"
        )
    return t
