"""Array backends: the few dozen array functions the ops are written against.

Two implementations: numpy (device ``cpu``) and torch tensors used as plain arrays,
with torch's own autograd never involved (devices ``cpu`` and ``cuda``). Each op is
written once: it uses Python operators on arrays (``a * b``) and ``xp.fn(...)`` for the
rest, where ``xp`` is one of the backends below. torch is imported only when a torch
backend is first asked for.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Protocol

import numpy as np

from . import dtypes
from .errors import CudaUnavailableError, DeviceError


class Device:
    """Where a tensor lives: ``cpu`` or ``cuda:N``, and which backend holds its arrays."""

    __slots__ = ("type", "index", "backend_name", "_backend")

    def __init__(self, type: str, index: int | None, backend_name: str):
        self.type = type
        self.index = index
        self.backend_name = backend_name
        self._backend = None

    @property
    def backend(self) -> ArrayBackend:
        if self._backend is None:
            if self.backend_name == "numpy":
                self._backend = NUMPY
            elif self.type == "cuda" and self.index is None:
                return device(self).backend  # ne.device("cuda"): the current CUDA device's
            else:
                if self.type == "cuda":  # a device made by ne.device(...) is checked on use
                    _require_cuda(self.index)
                self._backend = TorchBackend(self)
        return self._backend

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (
            f", index={self.index})" if self.index is not None else ")"
        )

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            return str(self) == other or self.type == other
        return self is other

    __hash__ = object.__hash__

    @property
    def torch(self):
        import torch

        return torch.device(str(self))


_DEVICES: dict[tuple, Device] = {}
_cpu_backend = ["numpy"]


def _interned(type: str, index: int | None, backend_name: str) -> Device:
    key = (type, index, backend_name)
    found = _DEVICES.get(key)
    if found is None:
        found = _DEVICES[key] = Device(type, index, backend_name)
    return found


def device(spec="cpu") -> Device:
    """The device a tensor is put on: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"torch:cpu"``,
    ``"numpy"``, a Device or a ``torch.device``.

    ``"cpu"`` means the default CPU backend (numpy unless :func:`set_cpu_backend` chose
    torch); ``"torch:cpu"`` and ``"numpy"`` name a backend explicitly. ``"cuda"`` is the
    current CUDA device, which must exist (a DeviceError says why not). What users call
    ``ne.device(...)`` is :func:`new_device`, which places nothing and so checks nothing.
    """
    if isinstance(spec, Device) and (spec.type != "cuda" or spec._backend is not None):
        return spec  # a CPU device, or a CUDA one already in use: nothing to check
    if spec == "cpu":  # what creation asks for unless told otherwise: at once
        return _interned("cpu", None, _cpu_backend[0])
    kind, index, backend_name = _spelling(spec)
    if kind == "cuda":
        index = _require_cuda(index)
    return _interned(kind, index, backend_name)


def new_device(type="cpu", index: int | None = None) -> Device:
    """``ne.device(...)``: a device as ``torch.device`` makes one, from ``"cuda"``,
    ``"cuda:1"``, ``("cuda", 1)``, ``type=, index=``, an int (a CUDA index) or a
    torch.device. As in PyTorch it can be made where no GPU exists, and ``"cuda"`` keeps
    no index; the engine's DeviceError comes when a tensor is first put there."""
    spec = type
    if isinstance(spec, int) and not isinstance(spec, bool) and index is None:
        spec, index = "cuda", spec  # torch.device(1) is the accelerator's device 1
    kind, found, backend_name = _spelling(spec)
    if index is not None:
        found = _explicit_index(spec, kind, found, index)
    return _interned(kind, found, backend_name)


def _spelling(spec) -> tuple[str, int | None, str]:
    """(type, index, backend) that a device's spelling names; DeviceError for others."""
    if isinstance(spec, Device):
        return spec.type, spec.index, spec.backend_name
    text = str(spec).strip().lower()  # a torch.device reads as "cuda:0", "cpu", ...
    if text in ("cpu", ""):
        return "cpu", None, _cpu_backend[0]
    if text == "numpy":
        return "cpu", None, "numpy"
    if text == "torch:cpu":
        return "cpu", None, "torch"
    head, colon, tail = text.partition(":")
    if head == "cuda" and (not colon or tail.isdigit()):  # isdigit refuses "-1" and "x"
        return "cuda", int(tail) if colon else None, "torch"
    raise DeviceError(f"unknown device {spec!r}: use 'cpu', 'cuda' or 'cuda:N'")


def _explicit_index(spec, kind: str, found: int | None, index) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise DeviceError(
            f"device: index must be an int >= 0, but got index={index!r} for {spec!r}; "
            "e.g. ne.device('cuda', 0)"
        )
    if found is not None:
        raise DeviceError(
            f"device: {spec!r} already names index {found}, and index={index} was passed "
            f"too; give the index once: ne.device('cuda', {index}) or ne.device('cuda:{index}')"
        )
    if kind != "cuda":
        raise DeviceError(
            f"device: only CUDA devices have an index here, but got ({spec!r}, {index}); "
            f"use ne.device({spec!r})"
        )
    return index


def cuda_status() -> tuple[bool, str]:
    """(available, why not): whether CUDA can be used here, and the reason when it can't."""
    try:
        import torch
    except ImportError:
        return False, "torch is not installed, and the engine's CUDA backend is torch"
    if not torch.cuda.is_available():
        return False, (
            f"torch.cuda.is_available() is False (torch {torch.__version__}, "
            f"built for CUDA {torch.version.cuda or 'none: a CPU-only build'})"
        )
    return True, ""


def _require_cuda(index: int | None) -> int:
    """The CUDA device index to use (``None``: the current one), or DeviceError why not."""
    available, why = cuda_status()
    if not available:
        name = "cuda" if index is None else f"cuda:{index}"
        raise CudaUnavailableError(f"cannot use device '{name}': {why}. Stay on 'cpu'.")
    import torch

    if index is None:
        return torch.cuda.current_device()
    if index >= torch.cuda.device_count():
        raise DeviceError(
            f"cannot use device 'cuda:{index}': only {torch.cuda.device_count()} CUDA "
            f"device(s), numbered from 0; use 'cuda:0' .. 'cuda:{torch.cuda.device_count() - 1}'"
        )
    return index


def set_cpu_backend(name: str) -> None:
    """Choose which backend ``"cpu"`` means from now on: ``"numpy"`` or ``"torch"``."""
    if name not in ("numpy", "torch"):
        raise ValueError(f"cpu backend must be 'numpy' or 'torch', not {name!r}")
    _cpu_backend[0] = name


def cpu_backend() -> str:
    return _cpu_backend[0]


class ArrayBackend(Protocol):
    """What every backend provides; ops call only these (``xp.fn``) and Python operators.

    ``x`` is the backend's own array type (numpy ndarray or torch tensor); dtypes are
    the engine's :class:`~.dtypes.DType`. The CUDA path never runs in CI, so a test holds
    both backends to this list and every ``xp.name`` the engine calls to it.
    """

    name: str
    device: Device

    # elementwise maths
    def exp(self, x): ...
    def log(self, x): ...
    def sin(self, x): ...
    def cos(self, x): ...
    def sqrt(self, x): ...
    def tanh(self, x): ...
    def abs(self, x): ...
    def sign(self, x): ...
    def relu(self, x): ...
    def erf(self, x): ...
    def sigmoid(self, x): ...
    def maximum(self, a, b): ...
    def minimum(self, a, b): ...
    def clip(self, x, low, high): ...
    def where(self, condition, a, b): ...
    def matmul(self, a, b): ...
    def isnan(self, x): ...
    def isinf(self, x): ...
    def isfinite(self, x): ...
    def logical_not(self, x): ...

    # in place, into buffers the optimizers keep
    def subtract(self, a, b, out): ...
    def multiply(self, a, b, out): ...
    def divide(self, a, b, out): ...
    def sqrt_into(self, a, out): ...
    def maximum_into(self, a, b, out): ...

    # making arrays
    def asarray(self, data, dtype: dtypes.DType): ...
    def from_numpy(self, array: np.ndarray): ...
    def to_numpy(self, array) -> np.ndarray: ...
    def zeros(self, shape, dtype: dtypes.DType): ...
    def ones(self, shape, dtype: dtypes.DType): ...
    def full(self, shape, value, dtype: dtypes.DType): ...
    def arange(self, start, end, step, dtype: dtypes.DType): ...
    def eye(self, n, m, dtype: dtypes.DType): ...
    def astype(self, x, dtype: dtypes.DType): ...
    def copy(self, x): ...
    def randn(self, generator, shape, dtype: dtypes.DType): ...

    # reductions (axis None means all)
    def sum(self, x, axis=None, keepdims=False): ...
    def prod(self, x, axis=None, keepdims=False): ...
    def max(self, x, axis=None, keepdims=False): ...
    def min(self, x, axis=None, keepdims=False): ...
    def argmax(self, x, axis=None, keepdims=False): ...
    def argmin(self, x, axis=None, keepdims=False): ...
    def cumprod(self, x, axis): ...
    def topk(self, x, k, axis, largest): ...
    def sort(self, x, axis, descending): ...
    def mode_index(self, x, axis): ...

    # shapes and indexing
    def reshape(self, x, shape): ...
    def permute(self, x, axes): ...
    def matrix_transpose(self, x): ...
    def flip(self, x, axis): ...
    def broadcast_to(self, x, shape): ...
    def concatenate(self, arrays, axis): ...
    def stack(self, arrays, axis): ...
    def take_along_axis(self, x, index, axis): ...
    def scatter_add(self, shape, dtype: dtypes.DType, axis, index, src): ...
    def index_add_flat(self, numel, dtype: dtypes.DType, positions, values): ...

    # answers as Python values
    def any(self, x) -> bool: ...
    def count_nonzero(self, x) -> int: ...
    def sum_of_squares(self, x) -> float: ...
    def item(self, x): ...
    def tolist(self, x): ...

    # memory layout
    def is_contiguous(self, x) -> bool: ...
    def owns(self, x) -> bool: ...
    def is_transposed(self, x) -> bool: ...
    def shares_memory(self, a, b) -> bool: ...


class NumpyBackend:
    """numpy arrays on the CPU."""

    name = "numpy"
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    sqrt = staticmethod(np.sqrt)
    tanh = staticmethod(np.tanh)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    maximum = staticmethod(np.maximum)
    minimum = staticmethod(np.minimum)
    where = staticmethod(np.where)
    matmul = staticmethod(np.matmul)
    isnan = staticmethod(np.isnan)
    isinf = staticmethod(np.isinf)
    # with out=: in-place arithmetic into buffers the optimizers keep
    subtract = staticmethod(np.subtract)
    multiply = staticmethod(np.multiply)
    divide = staticmethod(np.divide)
    sqrt_into = staticmethod(np.sqrt)

    @staticmethod
    def maximum_into(a, b, out):
        return np.maximum(a, b, out=out)

    isfinite = staticmethod(np.isfinite)
    logical_not = staticmethod(np.logical_not)

    def __init__(self):
        self.device = _interned("cpu", None, "numpy")

    def asarray(self, data, dtype: dtypes.DType):
        return np.asarray(data, dtype=dtype.numpy)

    def from_numpy(self, array: np.ndarray):
        return array

    def to_numpy(self, array) -> np.ndarray:
        return array

    def zeros(self, shape, dtype: dtypes.DType):
        return np.zeros(shape, dtype.numpy)

    def ones(self, shape, dtype: dtypes.DType):
        return np.ones(shape, dtype.numpy)

    def full(self, shape, value, dtype: dtypes.DType):
        return np.full(shape, value, dtype.numpy)

    def arange(self, start, end, step, dtype: dtypes.DType):
        return np.arange(start, end, step, dtype=dtype.numpy)

    def eye(self, n, m, dtype: dtypes.DType):
        return np.eye(n, m, dtype=dtype.numpy)

    def astype(self, x, dtype: dtypes.DType):
        return x.astype(dtype.numpy)

    def copy(self, x):
        return x.copy()

    def matrix_transpose(self, x):
        return np.swapaxes(x, -1, -2)

    def cumprod(self, x, axis):
        return np.multiply.accumulate(x, axis=axis)

    def flip(self, x, axis):
        return np.flip(x, axis=axis)

    def relu(self, x):
        return np.maximum(x, 0)

    def erf(self, x):
        """erf from Numerical Recipes' erfc fit (relative error < 1.2e-7), in float64."""
        z = np.abs(x).astype(np.float64)
        t = 1.0 / (1.0 + 0.5 * z)
        poly = _ERFC_FIT[-1]
        for c in reversed(_ERFC_FIT[:-1]):
            poly = c + t * poly
        erfc = t * np.exp(-z * z - 1.26551223 + t * poly)
        return (np.sign(x) * (1.0 - erfc)).astype(x.dtype)

    def sigmoid(self, x):
        # exp of a negative number only, so neither branch overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + e), e / (1 + e))

    def clip(self, x, low, high):
        return np.clip(x, low, high)

    # The reductions call the ufuncs themselves rather than np.sum & co: numpy's overflow
    # warnings then come from this module, where the engine's warning filter mutes them,
    # and not from numpy's own fromnumeric.py, where they would reach the user.
    def sum(self, x, axis=None, keepdims=False):
        return np.add.reduce(x, axis=axis, dtype=_reduce_dtype(x), keepdims=keepdims)

    def prod(self, x, axis=None, keepdims=False):
        return np.multiply.reduce(x, axis=axis, dtype=_reduce_dtype(x), keepdims=keepdims)

    def max(self, x, axis=None, keepdims=False):
        return np.maximum.reduce(x, axis=axis, keepdims=keepdims)

    def min(self, x, axis=None, keepdims=False):
        return np.minimum.reduce(x, axis=axis, keepdims=keepdims)

    def argmax(self, x, axis=None, keepdims=False):
        return np.argmax(x, axis=axis, keepdims=keepdims)

    def argmin(self, x, axis=None, keepdims=False):
        return np.argmin(x, axis=axis, keepdims=keepdims)

    def reshape(self, x, shape):
        return np.reshape(x, shape)

    def permute(self, x, axes):
        return np.transpose(x, axes)

    def broadcast_to(self, x, shape):
        return np.broadcast_to(x, shape)

    def concatenate(self, arrays, axis):
        return np.concatenate(arrays, axis=axis)

    def stack(self, arrays, axis):
        return np.stack(arrays, axis=axis)

    def take_along_axis(self, x, index, axis):
        return np.take_along_axis(x, index, axis=axis)

    def scatter_add(self, shape, dtype, axis, index, src):
        out = np.zeros(shape, dtype.numpy)
        grid = list(np.ogrid[tuple(slice(n) for n in index.shape)])
        grid[axis] = index
        np.add.at(out, tuple(grid), src)
        return out

    def index_add_flat(self, numel, dtype, positions, values):
        out = np.zeros(numel, dtype.numpy)
        np.add.at(out, positions.reshape(-1), values.reshape(-1))
        return out

    def topk(self, x, k, axis, largest):
        values, index = self.sort(x, axis, largest)
        return np.take(values, np.arange(k), axis=axis), np.take(index, np.arange(k), axis=axis)

    def sort(self, x, axis, descending):
        """(values, indices), stable (ties keep their order); NaN counts as the largest."""
        if not descending:
            keys = x
        elif x.dtype.kind == "f":
            keys = -x
        else:  # ~ reverses the order of ints and bools exactly, where -x can overflow
            keys = ~x
        order = np.argsort(keys, axis=axis, kind="stable")
        if descending and x.dtype.kind == "f" and np.isnan(x).any():
            # argsort puts NaN last; descending, PyTorch puts it first
            nan_last = np.isnan(np.take_along_axis(x, order, axis=axis))
            order = np.take_along_axis(order, np.argsort(~nan_last, axis, kind="stable"), axis)
        return np.take_along_axis(x, order, axis=axis), order

    def mode_index(self, x, axis):
        """Where the most frequent value sits along axis (the smallest of equally frequent
        ones, at its last place, as PyTorch picks), with axis kept as size 1."""
        moved = np.moveaxis(x, axis, -1)
        rows = moved.reshape(-1, moved.shape[-1]) if moved.size else moved.reshape(0, 1)
        picks = np.zeros(rows.shape[0], dtype=np.int64)
        for r, row in enumerate(rows):
            values, counts = np.unique(row, return_counts=True)
            mode = values[np.argmax(counts)]  # unique sorts, so the first maximum is smallest
            picks[r] = np.flatnonzero(row == mode)[-1]
        return np.expand_dims(picks.reshape(moved.shape[:-1]), axis)

    def any(self, x) -> bool:
        return bool(np.any(x))

    def count_nonzero(self, x) -> int:
        return int(np.count_nonzero(x))

    def sum_of_squares(self, x) -> float:
        return float(np.vdot(x, x))

    def item(self, x):
        return x.item()

    def tolist(self, x):
        return x.tolist()

    def is_contiguous(self, x) -> bool:
        return x.flags.c_contiguous

    def owns(self, x) -> bool:
        """A contiguous array that is no view of another (safe to keep as a .grad)."""
        return x.base is None and x.flags.c_contiguous and x.flags.writeable

    def is_transposed(self, x) -> bool:
        """A 2-D array laid out column-major (a .T view), where x.T @ y is cheaper."""
        return x.ndim == 2 and x.strides[0] < x.strides[1]

    def shares_memory(self, a, b) -> bool:
        return bool(np.may_share_memory(a, b))

    def randn(self, generator, shape, dtype):
        return generator.standard_normal(shape, dtype=np.float64).astype(dtype.numpy)


def _reduce_dtype(x):
    """Sums and products of small ints and bools are int64, as in PyTorch (and np.sum)."""
    return np.int64 if x.dtype.kind in "biu" else None


_ERFC_FIT = (
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)
NUMPY = NumpyBackend()


class TorchBackend:
    """torch tensors used as plain arrays (never requiring grad), on CPU or CUDA."""

    name = "torch"

    def __init__(self, device: Device):
        import torch

        self.torch = torch
        self.device = device
        self.torch_device = torch.device(str(device))
        for fn in (
            "exp",
            "log",
            "sin",
            "cos",
            "sqrt",
            "tanh",
            "abs",
            "sign",
            "sigmoid",
            "relu",
            "erf",
            "isnan",
            "isinf",
            "isfinite",
            "logical_not",
        ):
            setattr(self, fn, getattr(torch, fn))
        self.matmul = torch.matmul

    def subtract(self, a, b, out):
        return self.torch.sub(a, b, out=out)

    def multiply(self, a, b, out):
        return self.torch.mul(a, b, out=out)

    def divide(self, a, b, out):
        return self.torch.div(a, b, out=out)

    def sqrt_into(self, a, out):
        return self.torch.sqrt(a, out=out)

    def maximum_into(self, a, b, out):
        return self.torch.maximum(a, b, out=out)

    def maximum(self, a, b):
        return self.torch.maximum(*self._tensors(a, b))

    def minimum(self, a, b):
        return self.torch.minimum(*self._tensors(a, b))

    def _tensors(self, a, b):
        torch = self.torch
        if not isinstance(a, torch.Tensor):
            a = torch.tensor(a, dtype=b.dtype, device=self.torch_device)
        if not isinstance(b, torch.Tensor):
            b = torch.tensor(b, dtype=a.dtype, device=self.torch_device)
        return a, b

    def where(self, condition, a, b):
        torch = self.torch
        if not isinstance(a, torch.Tensor):
            a = torch.tensor(a, device=self.torch_device)
        if not isinstance(b, torch.Tensor):
            b = torch.tensor(b, device=self.torch_device)
        return torch.where(condition, a, b)

    def asarray(self, data, dtype: dtypes.DType):
        if isinstance(data, self.torch.Tensor):
            return data.to(device=self.torch_device, dtype=dtype.torch)
        return self.torch.as_tensor(np.asarray(data, dtype=dtype.numpy), device=self.torch_device)

    def from_numpy(self, array: np.ndarray):
        array = np.asarray(array)
        if not (array.flags.writeable and array.flags.c_contiguous):
            array = array.copy()  # np.ascontiguousarray would turn 0-d into 1-d
        return self.torch.from_numpy(array).to(self.torch_device)

    def to_numpy(self, array) -> np.ndarray:
        return array.detach().cpu().numpy()

    def zeros(self, shape, dtype: dtypes.DType):
        return self.torch.zeros(shape, dtype=dtype.torch, device=self.torch_device)

    def ones(self, shape, dtype: dtypes.DType):
        return self.torch.ones(shape, dtype=dtype.torch, device=self.torch_device)

    def full(self, shape, value, dtype: dtypes.DType):
        return self.torch.full(shape, value, dtype=dtype.torch, device=self.torch_device)

    def arange(self, start, end, step, dtype: dtypes.DType):
        return self.torch.arange(start, end, step, dtype=dtype.torch, device=self.torch_device)

    def eye(self, n, m, dtype: dtypes.DType):
        return self.torch.eye(n, m, dtype=dtype.torch, device=self.torch_device)

    def astype(self, x, dtype: dtypes.DType):
        return x.to(dtype.torch)

    def copy(self, x):
        return x.clone()

    def clip(self, x, low, high):
        return self.torch.clamp(x, low, high)

    def matrix_transpose(self, x):
        return x.transpose(-1, -2)

    def cumprod(self, x, axis):
        return self.torch.cumprod(x, dim=axis)

    def flip(self, x, axis):
        return self.torch.flip(x, dims=(axis,))

    def _reduce(self, fn, x, axis, keepdims):
        if axis is None:
            out = fn(x)
            return out.reshape((1,) * x.ndim) if keepdims else out
        return fn(x, dim=axis, keepdim=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.sum, x, axis, keepdims)

    def prod(self, x, axis=None, keepdims=False):
        if isinstance(axis, tuple):
            for a in sorted(axis, reverse=True):
                x = self.torch.prod(x, dim=a, keepdim=keepdims)
            return x
        return self._reduce(self.torch.prod, x, axis, keepdims)

    def max(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.amax, x, axis, keepdims)

    def min(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.amin, x, axis, keepdims)

    def argmax(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.argmax, x, axis, keepdims)

    def argmin(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.argmin, x, axis, keepdims)

    def reshape(self, x, shape):
        return x.reshape(shape)

    def permute(self, x, axes):
        return x.permute(axes)

    def broadcast_to(self, x, shape):
        return x.expand(shape)

    def concatenate(self, arrays, axis):
        return self.torch.cat(arrays, dim=axis)

    def stack(self, arrays, axis):
        return self.torch.stack(arrays, dim=axis)

    def take_along_axis(self, x, index, axis):
        return self.torch.gather(x, axis, index)

    def scatter_add(self, shape, dtype, axis, index, src):
        out = self.zeros(shape, dtype)
        return out.scatter_add_(axis, index, src)

    def index_add_flat(self, numel, dtype, positions, values):
        out = self.zeros(numel, dtype)
        return out.index_add_(0, positions.reshape(-1), values.reshape(-1))

    def topk(self, x, k, axis, largest):
        values, index = self.sort(x, axis, largest)
        return values.narrow(axis, 0, k), index.narrow(axis, 0, k)

    def sort(self, x, axis, descending):
        # stable, so ties resolve the same way as on the numpy backend
        return self.torch.sort(x, dim=axis, descending=descending, stable=True)

    def mode_index(self, x, axis):
        return self.torch.mode(x, dim=axis, keepdim=True).indices

    def any(self, x) -> bool:
        return bool(x.any())

    def count_nonzero(self, x) -> int:
        return int(self.torch.count_nonzero(x))

    def sum_of_squares(self, x) -> float:
        return float((x * x).sum())

    def item(self, x):
        return x.item()

    def tolist(self, x):
        return x.tolist()

    def is_contiguous(self, x) -> bool:
        return x.is_contiguous()

    def owns(self, x) -> bool:
        return x._base is None and x.is_contiguous()

    def is_transposed(self, x) -> bool:
        return x.ndim == 2 and x.stride(0) < x.stride(1)

    def shares_memory(self, a, b) -> bool:
        if not (a.numel() and b.numel()):
            return False
        return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()

    def randn(self, generator, shape, dtype):
        return self.from_numpy(NUMPY.randn(generator, shape, dtype))


# torch.backends.mps and torch.backends.cudnn, as tutorials ask them before choosing a
# device: the engine never runs on Apple's GPUs, and its CUDA path reads none of cudnn's
# switches (they are kept so that setting them works).
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = SimpleNamespace(
    benchmark=False, deterministic=False, enabled=True, is_available=lambda: cuda_status()[0]
)
