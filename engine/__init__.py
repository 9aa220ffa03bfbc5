"""nnbench's engine: tensors, reverse-mode autograd, and array backends.

    import nnbench.engine as ne
    a = ne.tensor(2.0, requires_grad=True)

The names and semantics follow PyTorch, so tutorial code runs with its imports changed
(``import nnbench.engine as torch``, ``from nnbench.engine.utils.data import DataLoader``).
torch itself is imported only when a torch backend (``"cuda"``, ``"torch:cpu"``), the
PyTorch oracle or an ``ne.cuda`` function is used.
"""

import warnings as _warnings

from . import autograd, dtypes, linalg, return_types
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .backends import Device, cpu_backend, cuda_status, set_cpu_backend
from .backends import new_device as device  # torch.device: made without a GPU, checked on use
from .creation import (
    Generator,
    allclose,
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    manual_seed,
    multinomial,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dtypes import DType, float16, float32, float64, int8, int16, int32, int64, uint8
from .dtypes import bool_ as bool  # noqa: A001 - torch's name for it
from .errors import AnomalyError, AutogradError, DeviceError, DTypeError, EngineError, ShapeError
from .formatting import get_printoptions, set_printoptions
from .functions import cat, gather, matmul, maximum, minimum, stack, where
from .pointwise import (  # noqa: A004 - PyTorch's names (round)
    acos,
    acosh,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_left_shift,
    bitwise_not,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    cosh,
    erf,
    exp2,
    expm1,
    fix,
    floor,
    floor_divide,
    fmod,
    frac,
    hypot,
    isclose,
    lerp,
    log1p,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    remainder,
    round,
    rsqrt,
    sign,
    sinh,
    tan,
    trunc,
)
from .reduce import all, amax, amin, any, count_nonzero, cumprod, cumsum, logsumexp, norm
from .shaping import (
    bmm,
    chunk,
    diag,
    diagonal,
    einsum,
    flip,
    fliplr,
    flipud,
    ger,
    index_add,
    index_select,
    masked_select,
    meshgrid,
    moveaxis,
    movedim,
    narrow,
    outer,
    repeat_interleave,
    roll,
    scatter,
    scatter_add,
    split,
    swapaxes,
    swapdims,
    take_along_dim,
    tensor_split,
    tile,
    unbind,
    unflatten,
)
from .tensor import Size, Tensor
from .trace import Trace, trace

float = float32  # noqa: A001
double = float64
long = int64
half = float16
short = int16
int = int32  # noqa: A001 - torch.int is int32, as here

# numpy warns on overflow or 0/0 in our ops; PyTorch does not, and NaN is found with
# detect_anomaly() instead.
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"nnbench\.engine\..*")


def _method(name):
    def function(t, *args, **kwargs):
        return getattr(t, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"ne.{name}(t, ...) is t.{name}(...)"
    return function


exp, log, sqrt, abs, tanh, sigmoid, relu, clamp, sin, cos = (  # noqa: A001
    _method(n)
    for n in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu", "clamp", "sin", "cos")
)
argmax, argmin, softmax, log_softmax, topk = (
    _method(n) for n in ("argmax", "argmin", "softmax", "log_softmax", "topk")
)
sort, argsort, msort, median, kthvalue, mode = (
    _method(n) for n in ("sort", "argsort", "msort", "median", "kthvalue", "mode")
)
tril, triu = (_method(n) for n in ("tril", "triu"))
isnan, isinf, isfinite, equal, unique, bincount, nonzero, argwhere = (
    _method(n)
    for n in ("isnan", "isinf", "isfinite", "equal", "unique", "bincount", "nonzero", "argwhere")
)
mm, dot, square = (_method(n) for n in ("mm", "dot", "square"))
neg, reciprocal, pow, true_divide, clip = (  # noqa: A001 - PyTorch's names
    _method(n) for n in ("neg", "reciprocal", "pow", "true_divide", "clip")
)
eq, ne, lt, le, gt, ge = (_method(n) for n in ("eq", "ne", "lt", "le", "gt", "ge"))
broadcast_to = _method("expand")
concat = concatenate = cat


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def get_default_dtype():
    """float32: the engine's default, as PyTorch's (the engine has no set_default_dtype)."""
    return float32


def mv(matrix, vector):
    """A matrix times a vector (torch.mv): matmul, held to those two shapes."""
    if matrix.ndim != 2 or vector.ndim != 1:
        raise ShapeError(
            f"mv: needs a 2-D matrix and a 1-D vector, got shapes {tuple(matrix.shape)} and "
            f"{tuple(vector.shape)}; use matmul (or @) for other shapes"
        )
    return matmul(matrix, vector)


def atleast_1d(t):
    return t.reshape(1) if t.ndim == 0 else t


def atleast_2d(t):
    return t.reshape(1, -1) if t.ndim < 2 else t


def hstack(tensors):
    """Join along dim 1 (dim 0 for vectors), as torch.hstack."""
    tensors = [atleast_1d(t) for t in tensors]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """Join along dim 0, vectors first made rows, as torch.vstack."""
    return cat([atleast_2d(t) for t in tensors], 0)


def add(a, b, *, alpha=1):
    return a + (b if alpha == 1 else b * alpha) if isinstance(a, Tensor) else tensor(a) + b


def sub(a, b, *, alpha=1):
    return a - (b if alpha == 1 else b * alpha) if isinstance(a, Tensor) else tensor(a) - b


def mul(a, b):
    return a * b if isinstance(a, Tensor) else b * a


def div(a, b, *, rounding_mode=None):
    a = a if isinstance(a, Tensor) else tensor(a)
    return a / b if rounding_mode is None else a.div(b, rounding_mode=rounding_mode)


def max(t, *args, **kwargs):  # noqa: A001 - PyTorch's name
    """ne.max(t), ne.max(t, dim) as t.max(...); ne.max(a, b) is ne.maximum(a, b)."""
    if args and isinstance(args[0], Tensor):
        return maximum(t, args[0])
    return t.max(*args, **kwargs)


def min(t, *args, **kwargs):  # noqa: A001 - PyTorch's name
    """ne.min(t), ne.min(t, dim) as t.min(...); ne.min(a, b) is the elementwise minimum."""
    if args and isinstance(args[0], Tensor):
        return minimum(t, args[0])
    return t.min(*args, **kwargs)


sum, mean, prod, var, std, reshape, flatten = (  # noqa: A001
    _method(n) for n in ("sum", "mean", "prod", "var", "std", "reshape", "flatten")
)
squeeze, unsqueeze, transpose, permute, masked_fill, clone, numel = (
    _method(n)
    for n in ("squeeze", "unsqueeze", "transpose", "permute", "masked_fill", "clone", "numel")
)

__version__ = "0.1.0"

# built on the tensor API above; cuda and utils hold torch.cuda's and torch.utils.data's names
from . import accelerator, cuda, data, datasets, nn, optim, utils  # noqa: E402
from .checkpoint import CheckpointError, CheckpointWarning, load, save  # noqa: E402

# An experiment file's contract is a workbench service, not part of the library: it is
# loaded on first use, so `import nnbench.engine` never imports the workbench.
_WORKBENCH = {"Experiment", "ExperimentError", "load_experiment"}

_NOT_HERE = {
    "bfloat16": "numpy, which the engine computes with, has no bfloat16; use ne.float16 or "
    "ne.float32",
    "complex64": "the engine has no complex numbers",
    "complex128": "the engine has no complex numbers",
    "cfloat": "the engine has no complex numbers",
    "cdouble": "the engine has no complex numbers",
}


def __getattr__(name: str):
    if name in _WORKBENCH:
        from .workbench import experiment

        return getattr(experiment, name)
    # PyTorch code names these dtypes; say why they are missing rather than just that they are
    if name in _NOT_HERE:
        raise AttributeError(
            f"nnbench.engine has no {name}: {_NOT_HERE[name]}. The dtypes are {dtypes.SUPPORTED}"
        )
    raise AttributeError(f"module 'nnbench.engine' has no attribute {name!r}")
