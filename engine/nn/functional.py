"""nn.functional: activations, losses and layers as functions, composed from tensor ops.

Where PyTorch shows one node, so does the engine: ``linear`` is ops.Addmm (or a matmul,
with the views PyTorch puts around it), ``layer_norm`` ops.LayerNorm, ``embedding``
ops.Embedding, ``gelu`` and ``nll_loss`` ops of their own; the Graph pane opens each into
its primitive parts. The rest are a line or a few of ops a learner already knows, so their
gradients come for free and the Graph pane shows them as those ops.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np

from .. import dtypes
from .. import ops as O
from ..autograd import STATE
from ..checks import broadcast_shape, promote_pair
from ..creation import generator, tensor
from ..errors import (
    ArgumentError,
    DTypeError,
    EngineError,
    ShapeError,
    broadcast_message,
    describe,
    shape_str,
    user_stacklevel,
)
from ..tensor import Tensor, _in_place, apply
from .module import module_name


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    return x.relu_() if inplace else x.relu()


def relu_(x: Tensor) -> Tensor:
    return x.relu_()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    return x.softmax(_softmax_dim("softmax", x, dim))


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    return x.log_softmax(_softmax_dim("log_softmax", x, dim))


def _softmax_dim(op: str, x: Tensor, dim):
    """PyTorch's implicit dim, warning as it does: 0 for 0-, 1- and 3-d input, else 1."""
    if dim is not None:
        return dim
    implicit = 0 if x.ndim in (0, 1, 3) else 1
    warnings.warn(
        f"Implicit dimension choice for {op} has been deprecated (it picked dim={implicit} "
        f"for {describe('input', x)}). Change the call to include dim=X as an argument.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )
    return implicit


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', not {approximate!r}")
    return apply(O.Gelu, x, approximate=approximate)


# ---------------------------------------------------------------- convolution, pooling, batch norm
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return checked_conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    return checked_conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _tuple(op: str, name: str, value, spatial: int, low: int = 0) -> tuple:
    """An int or a tuple of ``spatial`` ints, as PyTorch takes kernel_size, stride, ..."""
    values = (value,) * spatial if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != spatial or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values
    ):
        raise ArgumentError(
            f"{op}: {name} must be an int or a tuple of {spatial} ints, but got {value!r}"
        )
    if any(v < low for v in values):
        raise ArgumentError(f"{op}: {name} must be >= {low} in every dim, but got {value!r}")
    return tuple(int(v) for v in values)


def _spatial_input(op: str, x, spatial: int, where) -> tuple[Tensor, bool]:
    """The input as a batch (N, C, *spatial) and whether it was one unbatched sample."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{_where(where)}: the input must be a Tensor, got {type(x).__name__}")
    if x.ndim == spatial + 1:
        return x.unsqueeze(0), True
    if x.ndim != spatial + 2:
        layout = "(N, C, L)" if spatial == 1 else "(N, C, H, W)"
        fix = "x.reshape(len(x), 1, 8, 8)" if spatial == 2 else "x.unsqueeze(1)"
        raise ShapeError(
            f"{_where(where)}: expected a {spatial + 2}-D input {layout} (or {spatial + 1}-D "
            f"without the batch dim), but got {describe('input', x)}. Reshape it, e.g. "
            f"{fix} for one channel of 8x8 images."
        )
    return x, False


def _where(where) -> str:
    return where if isinstance(where, str) else module_name(where)


def checked_conv(x, weight, bias, stride, padding, dilation, groups, spatial, where) -> Tensor:
    """conv1d/conv2d, whose errors name ``where``: the function, or the layer that ran it."""
    op = f"conv{spatial}d"
    x, unbatched = _spatial_input(op, x, spatial, where)
    if weight.ndim != spatial + 2:
        raise ShapeError(
            f"{_where(where)}: the weight must be {spatial + 2}-D (out_channels, in_channels "
            f"/ groups, *kernel_size), but got {describe('weight', weight)}"
        )
    stride = _tuple(op, "stride", stride, spatial, 1)
    dilation = _tuple(op, "dilation", dilation, spatial, 1)
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ArgumentError(f"{_where(where)}: groups must be an int >= 1, got {groups!r}")
    channels, out_channels = x.shape[1], weight.shape[0]
    if channels != weight.shape[1] * groups or out_channels % groups:
        raise ShapeError(
            f"{_where(where)}: the input has {channels} channels but the weight expects "
            f"{weight.shape[1] * groups} ({describe('input', x)}, {describe('weight', weight)}, "
            f"groups={groups}; the weight is (out_channels, in_channels / groups, "
            f"*kernel_size)). Give the input {weight.shape[1] * groups} channels (dim 1), or "
            f"make the layer's in_channels {channels}."
            + (
                f" out_channels={out_channels} must be divisible by groups."
                if out_channels % groups
                else ""
            )
        )
    kernel = tuple(weight.shape[2:])
    pairs = _conv_padding(where, padding, kernel, stride, dilation, spatial)
    sizes = [x.shape[2 + i] + sum(pairs[i]) for i in range(spatial)]
    spans = [dilation[i] * (kernel[i] - 1) + 1 for i in range(spatial)]
    if any(s < k for s, k in zip(sizes, spans)):
        raise ShapeError(
            f"{_where(where)}: the padded input is {' x '.join(map(str, sizes))} per channel but "
            f"the kernel spans {' x '.join(map(str, spans))} ({describe('input', x)}, "
            f"kernel_size={kernel}, dilation={dilation}); the kernel can't be greater than the "
            "input: pad the input (padding=...) or use a smaller kernel."
        )
    for role, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype is not x.dtype:
            raise DTypeError(
                f"{_where(where)}: the input and the {role} must have the same dtype, but got "
                f"{describe('input', x)} and {describe(role, t)}; convert the input "
                f"(x.to({t.dtype!r})) or the model (model.to(x.dtype))"
            )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeError(
            f"{_where(where)}: the bias must have one value per output channel, shape "
            f"({out_channels},), but got {describe('bias', bias)}"
        )
    pad = tuple(v for pair in reversed(pairs) for v in pair)  # F.pad's order, for the check
    out = apply(
        O.Convolution,
        x,
        weight,
        bias,
        stride=stride,
        padding=pairs,
        dilation=dilation,
        groups=groups,
        pad=pad,
    )
    return out.squeeze(0) if unbatched else out


def _conv_padding(where, padding, kernel, stride, dilation, spatial) -> tuple:
    """padding as ((before, after), ...) per spatial dim; 'same' pads the extra one of an
    even kernel after, as PyTorch does; 'valid' is no padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * spatial
        if padding != "same":
            raise ArgumentError(
                f"{_where(where)}: invalid padding string {padding!r}; use 'same', 'valid', an "
                "int or a tuple of ints"
            )
        if any(s != 1 for s in stride):
            raise ArgumentError(
                f"{_where(where)}: padding='same' is not supported for strided convolutions "
                f"(stride={stride}); use stride=1 or give the padding as numbers"
            )
        total = [dilation[i] * (kernel[i] - 1) for i in range(spatial)]
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple((p, p) for p in _tuple(f"conv{spatial}d", "padding", padding, spatial))


def _pool_settings(op, x, kernel_size, stride, padding, dilation, where):
    kernel = _tuple(op, "kernel_size", kernel_size, 2, 1)
    stride = kernel if stride is None or stride == [] else _tuple(op, "stride", stride, 2, 1)
    padding = _tuple(op, "padding", padding, 2)
    dilation = _tuple(op, "dilation", dilation, 2, 1)
    for i in range(2):
        if padding[i] * 2 > kernel[i]:
            raise ArgumentError(
                f"{_where(where)}: padding should be at most half of the kernel size, but got "
                f"padding={padding} and kernel_size={kernel}; use padding <= kernel_size // 2"
            )
    return kernel, stride, padding, dilation


def _check_pool_size(where, x, kernel, stride, padding, dilation, ceil_mode):
    size = [
        O.conv.out_size(
            x.shape[2 + i], kernel[i], stride[i], padding[i], padding[i], dilation[i], ceil_mode
        )
        for i in range(2)
    ]
    if min(size) < 1:
        raise ShapeError(
            f"{_where(where)}: {describe('input', x)} gives an output of "
            f"{size[0]} x {size[1]} per channel with kernel_size={kernel}, stride={stride}, "
            f"padding={padding}: output size is too small. Use a smaller kernel or a larger input."
        )


def max_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
    _where_=None,
):
    where = _where_ or "max_pool2d"
    x, unbatched = _spatial_input("max_pool2d", input, 2, where)
    kernel, stride, padding, dilation = _pool_settings(
        "max_pool2d", x, kernel_size, stride, padding, dilation, where
    )
    _check_pool_size(where, x, kernel, stride, padding, dilation, ceil_mode)
    out, indices = apply(
        O.MaxPool2D,
        x,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=bool(ceil_mode),
    )
    if unbatched:
        out, indices = out.squeeze(0), indices.squeeze(0)
    return (out, indices) if return_indices else out


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
    _where_=None,
):
    where = _where_ or "avg_pool2d"
    if divisor_override is not None:
        raise ArgumentError(f"{_where(where)}: divisor_override is not supported here")
    x, unbatched = _spatial_input("avg_pool2d", input, 2, where)
    kernel, stride, padding, _ = _pool_settings(
        "avg_pool2d", x, kernel_size, stride, padding, 1, where
    )
    _check_pool_size(where, x, kernel, stride, padding, (1, 1), ceil_mode)
    out = apply(
        O.AvgPool2D,
        x,
        kernel_size=kernel,
        stride=stride,
        padding=padding,
        ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad),
    )
    return out.squeeze(0) if unbatched else out


def _pool1d(pool, op, input, kernel_size, stride, padding, **kw):
    """A 1-D pool as PyTorch runs it: the 2-D one on the input unsqueezed to a height of 1."""
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        got = describe("input", input) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"{op}: expected a 2-D or 3-D input (N, C, L), but got {got}")
    single = lambda v, name: (1, _tuple(op, name, v, 1)[0])  # noqa: E731
    stride = None if stride is None or stride == [] else single(stride, "stride")
    padding = (0, _tuple(op, "padding", padding, 1)[0])
    out = pool(input.unsqueeze(-2), single(kernel_size, "kernel_size"), stride, padding, **kw)
    if isinstance(out, tuple):
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def max_pool1d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    dilation = (1, _tuple("max_pool1d", "dilation", dilation, 1)[0])
    return _pool1d(
        max_pool2d,
        "max_pool1d",
        input,
        kernel_size,
        stride,
        padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
        return_indices=return_indices,
        _where_="max_pool1d",
    )


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _pool1d(
        avg_pool2d,
        "avg_pool1d",
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        _where_="avg_pool1d",
    )


def adaptive_avg_pool2d(input, output_size, _where_=None) -> Tensor:
    """The mean over adaptive windows; a 1 x 1 output is x.mean((-1, -2), keepdim=True), as
    PyTorch computes it."""
    where = _where_ or "adaptive_avg_pool2d"
    x, unbatched = _spatial_input("adaptive_avg_pool2d", input, 2, where)
    sizes = (
        (output_size, output_size)
        if isinstance(output_size, numbers.Integral)
        else tuple(output_size)
    )
    if len(sizes) != 2:
        raise ArgumentError(
            f"{_where(where)}: output_size must be 2 (an int or (H, W)), got {output_size!r}"
        )
    sizes = tuple(x.shape[2 + i] if s is None else int(s) for i, s in enumerate(sizes))
    if sizes == (1, 1):
        out = x.mean((-1, -2), keepdim=True)
    else:
        out = apply(O.AdaptiveAvgPool2D, x, output_size=sizes)
    return out.squeeze(0) if unbatched else out


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
    _where_=None,
) -> Tensor:
    """(x - mean) / sqrt(var + eps) * weight + bias per channel (dim 1). In training the
    batch's statistics, folded into running_mean/running_var (when given) in place:
    new = (1 - momentum) * old + momentum * batch, with the unbiased variance."""
    where = _where_ or "batch_norm"
    if not isinstance(input, Tensor) or input.ndim < 2:
        got = describe("input", input) if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(
            f"{_where(where)}: expected an input (N, C, ...) of 2 or more dims, got {got}"
        )
    channels = input.shape[1]
    for role, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (channels,):
            raise ShapeError(
                f"{_where(where)}: {role} should contain {channels} elements (one per channel "
                f"of {describe('input', input)}), not {t.numel()}; the layer's num_features "
                f"must be the input's dim 1"
            )
    if training and math.prod(input.shape) // max(channels, 1) <= 1:
        raise ShapeError(
            f"{_where(where)}: expected more than 1 value per channel when training, got "
            f"{describe('input', input)}; use a batch of 2 or more, or model.eval()"
        )
    if not training and (running_mean is None or running_var is None):
        raise ArgumentError(
            f"{_where(where)}: running_mean and running_var are needed when not training"
        )
    out, mean, var = apply(
        O.BatchNorm,
        input,
        weight,
        bias,
        running_mean,
        running_var,
        training=bool(training),
        momentum=momentum,
        eps=eps,
    )
    if training:
        tracer = STATE.tracer
        for buffer, batch in ((running_mean, mean), (running_var, var)):
            if buffer is not None:  # out of the graph, in place, as PyTorch updates them
                if tracer is not None:  # a replay shows the values the op read
                    tracer.before_write(buffer)
                buffer.array *= 1 - momentum
                buffer.array += momentum * batch.array
                buffer.version_counter.bump()
    return out


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W.T + b, with W of shape [out_features, in_features]."""
    return checked_linear(x, weight, bias, "linear")


def checked_linear(x: Tensor, weight: Tensor, bias, where) -> Tensor:
    """linear, whose errors name ``where``: the op's name, or the Linear layer that ran it
    (named only when an error is raised, so the hot path builds no string)."""
    if not isinstance(where, str) and not (
        isinstance(x, Tensor) and x.shape[-1:] == weight.shape[1:] and x.dtype is weight.dtype
    ):
        where = module_name(where)
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{where}: the input must be a Tensor, but got {type(x).__name__}; make one "
            "with ne.tensor(...)"
        )
    if x.shape[-1:] != weight.shape[1:]:
        got = f"{x.shape[-1]} features per sample" if x.ndim else "a 0-d tensor"
        raise ShapeError(
            f"{where}: the input's last dim must equal in_features: {describe('input', x)}, "
            f"{describe('weight', weight)} (weight is [out_features, in_features]). "
            f"Hint: the layer expects {weight.shape[1]} features per sample but got {got}; "
            "reshape the input, e.g. x.reshape(len(x), -1), or change in_features."
        )
    if x.dtype is not weight.dtype:
        raise DTypeError(
            f"{where}: the input and the weight must have the same dtype, but got "
            f"{describe('input', x)} and {describe('weight', weight)}. Convert the input "
            f"(x.to({weight.dtype!r}), e.g. x.float()) or the model (model.to(x.dtype))."
        )
    if bias is not None and isinstance(bias, Tensor) and bias.dtype is not weight.dtype:
        where = where if isinstance(where, str) else module_name(where)
        raise DTypeError(
            f"{where}: the bias must have the weight's dtype, but got {describe('bias', bias)} "
            f"and {describe('weight', weight)}. Convert it: bias.to({weight.dtype!r})."
        )
    if weight.ndim != 2:  # a 1-D weight: one output per sample, a plain matmul
        out = x @ weight.T
        return out if bias is None else out + bias
    return _linear(x, weight, bias)


def _linear(x: Tensor, weight: Tensor, bias) -> Tensor:
    """x @ W.t() + b node for node as PyTorch builds it: addmm on a matrix of rows (a
    contiguous batch viewed as rows and viewed back), mm without a bias; otherwise a
    matmul on the rows, reshaped back, plus the bias."""
    features = weight.shape[0]
    if x.ndim == 2:
        if bias is None:
            return apply(O.MatMul, x, weight.t())
        if _adds_to(bias, (x.shape[0], features)):
            return apply(O.Addmm, bias, x, weight.t())
        return apply(O.MatMul, x, weight.t()) + bias
    shape = (*x.shape[:-1], features)
    one_per_feature = bias is not None and bias.ndim <= 1 and _adds_to(bias, (1, features))
    if one_per_feature and x.is_contiguous():
        return apply(O.Addmm, bias, _rows(x), weight.t()).reshape(shape)
    transposed = weight.t()
    if x.ndim == 1:
        product = apply(O.MatMul, x.unsqueeze(0), transposed)
        out = apply(O.SqueezeDims, product, shape=shape)
    else:
        out = apply(O.UnsafeView, apply(O.MatMul, _rows(x), transposed), shape=shape)
    return out if bias is None else out + bias


def _adds_to(bias, shape: tuple) -> bool:
    """Whether addmm can add this bias to an output of this shape (else: out + bias,
    which raises the broadcasting error if it cannot be added at all)."""
    if not isinstance(bias, Tensor):
        return False
    have = tuple(bias.array.shape)
    return have == shape[-1:] or broadcast_shape(have, shape) == shape


def _rows(x: Tensor) -> Tensor:
    """x as a matrix of rows: a view, or (not contiguous) a copy viewed, as PyTorch does."""
    count = math.prod(x.shape[:-1])
    if x.is_contiguous():
        return x.reshape(count, x.shape[-1])
    return apply(O.UnsafeView, x.clone(), shape=(count, x.shape[-1]))


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)
    (``inplace``: x.mul_(mask), as PyTorch's)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x.mul_(0.0) if inplace else x * 0.0
    keep = generator().random(tuple(x.shape)) >= p
    mask = tensor(keep.astype(x.dtype.numpy) / (1 - p), device=x.device, dtype=x.dtype)
    return x.mul_(mask) if inplace else x * mask


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """F.pad: value (0 by default) around input, ``pad`` = (before, after) pairs from the
    last dim backwards; a negative amount crops. Only mode="constant" is supported."""
    pad = tuple(int(p) for p in pad)
    if mode != "constant":
        raise NotImplementedError(
            f"pad: mode={mode!r} is not supported by the engine, only 'constant'; pad with a "
            "value, or build the border with ne.cat and flips"
        )
    if len(pad) % 2:
        raise ShapeError(f"pad: the padding {pad} must have an even length ((before, after) pairs)")
    if len(pad) // 2 > input.ndim:
        raise ShapeError(
            f"pad: the padding {pad} pads {len(pad) // 2} dims but {describe('input', input)} "
            f"has only {input.ndim}; give at most {2 * input.ndim} numbers"
        )
    for i in range(len(pad) // 2):
        d = input.ndim - 1 - i
        size = input.shape[d] + pad[2 * i] + pad[2 * i + 1]
        if size < 0:
            raise ShapeError(
                f"pad: padding ({pad[2 * i]}, {pad[2 * i + 1]}) of dim {d} of "
                f"{describe('input', input)} leaves size {size}; crop by at most the size"
            )
    value = 0 if value is None else (value.item() if isinstance(value, Tensor) else value)
    return apply(O.ConstantPadNd, input, pad=pad, value=value)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:
    normalized_shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, numbers.Integral)
        else tuple(normalized_shape)
    )
    count = len(normalized_shape)
    if tuple(x.shape[x.ndim - count :]) != normalized_shape:
        raise ShapeError(
            f"layer_norm: the input's last dims must be normalized_shape "
            f"{shape_str(normalized_shape)}, but got {describe('input', x)}"
        )
    for role, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise ShapeError(
                f"layer_norm: {role} must have normalized_shape {shape_str(normalized_shape)}, "
                f"but got {describe(role, t)}; make it ne.ones({normalized_shape}) (weight) or "
                f"ne.zeros({normalized_shape}) (bias)"
            )
        if t is not None and t.dtype is not x.dtype:
            raise DTypeError(
                f"layer_norm: {role} must have the input's dtype, but got {describe(role, t)} "
                f"and {describe('input', x)}; convert it with {role}.to({x.dtype!r})"
            )
    return apply(O.LayerNorm, x, weight, bias, normalized_shape=normalized_shape, eps=eps)


def embedding(indices: Tensor, weight: Tensor, padding_idx=None) -> Tensor:
    if not isinstance(indices, Tensor) or indices.dtype.category != 1:
        got = indices.dtype.name if isinstance(indices, Tensor) else type(indices).__name__
        raise DTypeError(f"embedding: indices must be an int64 tensor, got {got}; use .long()")
    if weight.ndim != 2:
        raise ShapeError(
            f"embedding: the weight must be 2-D, [num_embeddings, embedding_dim], but got "
            f"{describe('weight', weight)}; reshape it, e.g. weight.reshape(len(weight), -1)"
        )
    rows = weight.shape[0]
    bad = _first_outside(indices, 0, rows)
    if bad is not None:
        position, value = bad
        raise IndexError(
            f"embedding: index {value} at position {position} of {describe('indices', indices)} "
            f"is out of range for a weight of {rows} rows (num_embeddings={rows}); indices "
            f"must be in 0..{rows - 1}. Make num_embeddings larger than the largest index."
        )
    if padding_idx is not None:
        padding_idx = padding_row("embedding", padding_idx, rows)
    return apply(O.Embedding, weight, indices, padding_idx=padding_idx)


def padding_row(op: str, padding_idx, rows: int) -> int:
    """padding_idx as a row number (negative counts from the end, as in PyTorch)."""
    if not -rows <= padding_idx < rows:
        raise ArgumentError(
            f"{op}: padding_idx={padding_idx} must be within the {rows} rows of the weight "
            f"(-{rows}..{rows - 1})"
        )
    return padding_idx % rows


def _first_outside(t: Tensor, low: int, high: int):
    """(flat position, value) of the first element of t outside [low, high), or None."""
    values = t.device.backend.to_numpy(t.array).reshape(-1)
    bad = (values < low) | (values >= high)
    if not bad.any():
        return None
    position = int(bad.nonzero()[0][0])
    return position, int(values[position])


def one_hot(indices: Tensor, num_classes: int = -1) -> Tensor:
    if not isinstance(indices, Tensor) or indices.dtype is not dtypes.int64:
        got = describe("indices", indices) if isinstance(indices, Tensor) else type(indices)
        raise DTypeError(
            f"one_hot is only applicable to an index tensor of type int64, but got {got}; "
            "convert class ids with .long()"
        )
    if num_classes == -1:
        if indices.numel() == 0:
            raise EngineError(
                "one_hot: can not infer the total number of classes from an empty tensor; "
                "pass num_classes="
            )
        num_classes = int(indices.max().item()) + 1
    bad = _first_outside(indices, 0, max(num_classes, 0))
    if bad is not None:
        position, value = bad
        rule = "non-negative" if value < 0 else f"smaller than num_classes={num_classes}"
        raise EngineError(
            f"one_hot: class values must be {rule}, but got {value} at position {position} of "
            f"{describe('indices', indices)}. Pass num_classes larger than the largest class "
            "id (or -1 to infer it), and check the labels for negative values."
        )
    classes = tensor(list(range(num_classes)), device=indices.device)
    return (indices.unsqueeze(-1) == classes).long()


def _check_target(op: str, logits: Tensor, target, ignore_index: int) -> Tensor:
    """Class-index targets: int64, one per sample, each in 0..C-1 (or ignore_index)."""
    if not isinstance(target, Tensor):
        raise DTypeError(f"{op}: target must be a tensor of class indices")
    if logits.ndim not in (1, 2):
        raise ShapeError(
            f"{op}: expects input of shape (N, C) or (C,), got {describe('input', logits)}. "
            "Hint: for a sequence, flatten it: input.reshape(-1, C), target.reshape(-1)."
        )
    if target.dtype is not dtypes.int64:
        probabilities = (
            "; class probabilities as a target need a float target of the input's shape "
            + shape_str(tuple(logits.shape))
            if op == "cross_entropy"
            else ""
        )
        raise DTypeError(
            f"{op}: target must hold class indices as int64, but it is {target.dtype.name} "
            f"({describe('target', target)}) for {describe('input', logits)}. Use "
            f"target.long(){probabilities}."
        )
    expected = tuple(logits.shape[:1]) if logits.ndim == 2 else ()
    if tuple(target.shape) != expected:
        raise ShapeError(
            f"{op}: target must have shape {shape_str(expected)}, one class index per sample, "
            f"but got {describe('target', target)} for {describe('input', logits)}"
        )
    classes = logits.shape[-1]
    values = target.device.backend.to_numpy(target.array).reshape(-1)
    bad = (values != ignore_index) & ((values < 0) | (values >= classes))
    if bad.any():
        position = int(bad.nonzero()[0][0])
        raise IndexError(
            f"{op}: target {int(values[position])} at position {position} is out of range "
            f"for {classes} classes; targets must be in 0..{classes - 1}"
            + (f" (or ignore_index={ignore_index})" if ignore_index != -100 else "")
        )
    return target


def nll_loss(
    logp,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    _check_reduction("nll_loss", reduction)
    _check_target("nll_loss", logp, target, ignore_index)
    if weight is not None:
        return _weighted_nll("nll_loss", logp, target, weight, ignore_index, reduction)
    return apply(O.NllLoss, logp, target, ignore_index=ignore_index, reduction=reduction)


def cross_entropy(
    logits, target, ignore_index: int = -100, reduction: str = "mean", label_smoothing=0.0
) -> Tensor:
    """nll_loss(log_softmax(logits)), with optional label smoothing as in PyTorch; a float
    target of the input's shape holds class probabilities, as PyTorch allows."""
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if _is_probabilities(logits, target):
        if ignore_index != -100:
            raise EngineError(
                f"cross_entropy: ignore_index={ignore_index} is not supported for a floating "
                "point target (class probabilities); give the ignored samples zero weight"
            )
        return _soft_cross_entropy(logits, target, reduction, label_smoothing)
    _check_target("cross_entropy", logits, target, ignore_index)
    logp = logits.log_softmax(-1)
    loss = apply(O.NllLoss, logp, target, ignore_index=ignore_index, reduction=reduction)
    if not label_smoothing:
        return loss
    valid = (target != ignore_index).to(logp.dtype)
    uniform = -logp.sum(-1) * valid / logits.shape[-1]
    if reduction == "mean":
        uniform = uniform.sum() / valid.sum()
    elif reduction == "sum":
        uniform = uniform.sum()
    return loss * (1 - label_smoothing) + uniform * label_smoothing


def _is_probabilities(logits, target) -> bool:
    return (
        isinstance(target, Tensor)
        and isinstance(logits, Tensor)
        and target.dtype.is_floating_point
        and tuple(target.shape) == tuple(logits.shape)
    )


def _soft_cross_entropy(logits, target, reduction: str, label_smoothing: float) -> Tensor:
    """-sum(p * log_softmax(logits)) per sample; the mean divides by the batch size."""
    if logits.ndim not in (1, 2):
        raise ShapeError(
            f"cross_entropy: expects input of shape (N, C) or (C,), got {describe('input', logits)}"
        )
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / logits.shape[-1]
    loss = -(logits.log_softmax(-1) * target).sum(-1)
    if reduction == "none":
        return loss
    return loss.mean() if reduction == "mean" else loss.sum()


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    _check_reduction("mse_loss", reduction)
    if tuple(input.shape) != tuple(target.shape):
        # PyTorch warns and broadcasts; so do we, with the likely bug spelled out.
        warnings.warn(
            f"mse_loss: input and target shapes differ ({describe('input', input)}; "
            f"{describe('target', target)}), so they broadcast against each other, which is "
            "rarely what you want: (N, 1) and (N,) give an (N, N) loss. Reshape the target, "
            "e.g. target.reshape(input.shape).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        raise ShapeError(
            broadcast_message(
                "mse_loss", [tuple(input.shape), tuple(target.shape)], ["input", "target"]
            )
        ) from None
    if input.dtype is not target.dtype:
        input, target = promote_pair(input, target)
    return apply(O.MseLoss, input, target, reduction=reduction)


def _check_reduction(op: str, reduction: str) -> None:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


# ---------------------------------------------------------------------- issue 12: activations,
# losses and attention (one block: softplus ... scaled_dot_product_attention)
def _floating_input(op: str, x) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' must be a Tensor, not {type(x).__name__}; "
            "make one with ne.tensor(...)"
        )
    if not x.dtype.is_floating_point:
        raise DTypeError(
            f"{op}: not implemented for {describe('input', x)}; convert first: x.float()"
        )
    return x


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return apply(O.Softplus, _floating_input("softplus", input), beta=beta, threshold=threshold)


def _in_place_activation(op: str, function, input, inplace_name=None, **params):
    """An activation written into its input, as PyTorch's F.xxx(..., inplace=True): with
    the autograd rules of every in-place op (a leaf that requires grad refuses; a view's
    base records the change). ``inplace_name`` is PyTorch's node name for the in-place
    form where it differs (EluBackward1: computed from the result)."""
    x = _floating_input(op, input)

    def compute():
        out = apply(function, x, into=x, **params)
        if inplace_name is not None and out.grad_fn is not None:
            out.grad_fn.grad_name = inplace_name
        return out

    return _in_place(x, f"{op}_", compute)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place_activation("silu", O.Silu, input)
    return apply(O.Silu, _floating_input("silu", input))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place_activation(
            "leaky_relu", O.LeakyRelu, input, "LeakyReluBackward1", negative_slope=negative_slope
        )
    x = _floating_input("leaky_relu", input)
    return apply(O.LeakyRelu, x, negative_slope=negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place_activation("elu", O.Elu, input, "EluBackward1", alpha=alpha)
    return apply(O.Elu, _floating_input("elu", input), alpha=alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, True)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val cannot be greater than max_val (got min_val={min_val}, "
            f"max_val={max_val}); swap them"
        )
    if inplace:
        return _in_place_activation("hardtanh", O.Hardtanh, input, min_val=min_val, max_val=max_val)
    return apply(O.Hardtanh, _floating_input("hardtanh", input), min_val=min_val, max_val=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _in_place_activation("relu6", O.Hardtanh, input, min_val=0.0, max_val=6.0)
    return apply(O.Hardtanh, _floating_input("relu6", input), min_val=0.0, max_val=6.0)


def _same_shape(op: str, input, target) -> None:
    for role, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {role} must be a Tensor, not {type(t).__name__}")
    shape, wanted = tuple(target.shape), tuple(input.shape)
    if shape != wanted:
        raise ValueError(
            f"{op}: Target size {shape_str(shape)} must be the same as input size "
            f"{shape_str(wanted)} ({describe('input', input)}, {describe('target', target)}); "
            f"{_same_shape_fix(shape, wanted)}"
        )


def _same_shape_fix(shape: tuple, wanted: tuple) -> str:
    """What makes a target fit an input of another shape: labels (N,) against one logit
    per sample (N, 1) is the usual case."""
    if len(wanted) == 2 and wanted[1] == 1 and shape == wanted[:1]:
        return (
            "one output per sample (N, 1) against labels (N,): give the target a dim, "
            "target.float().unsqueeze(1), or drop the input's, input.squeeze(1)"
        )
    if math.prod(shape) == math.prod(wanted):
        return "reshape the target to the input's shape: target.reshape(input.shape)"
    return (
        "give one target per input element: the model's output and the labels must have "
        "the same shape"
    )


def _broadcast_weight(op: str, role: str, weight, shape) -> None:
    if weight is None:
        return
    try:
        np.broadcast_shapes(tuple(weight.shape), tuple(shape))
    except ValueError:
        raise ShapeError(
            f"{op}: {describe(role, weight)} does not broadcast to the input's shape "
            f"{shape_str(tuple(shape))}; give one weight per element or per class (last dim)"
        ) from None


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight=None, size_average=None, reduce=None, reduction="mean"
) -> Tensor:
    op = "binary_cross_entropy"
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    _floating_input(op, input)
    values = input.device.backend.to_numpy(input.array)
    bad = (values < 0) | (values > 1) | np.isnan(values)
    if bad.any():
        position = int(np.flatnonzero(bad.reshape(-1))[0])
        raise RuntimeError(
            f"{op}: all elements of input should be between 0 and 1 (probabilities), but got "
            f"{values.reshape(-1)[position].item()!r} at position {position} of "
            f"{describe('input', input)}. "
            "Pass probabilities (x.sigmoid()), or use F.binary_cross_entropy_with_logits / "
            "nn.BCEWithLogitsLoss on the raw scores, which is also more stable."
        )
    _broadcast_weight(op, "weight", weight, input.shape)
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return apply(O.BinaryCrossEntropy, input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
) -> Tensor:
    op = "binary_cross_entropy_with_logits"
    _check_reduction(op, reduction)
    _same_shape(op, input, target)
    _floating_input(op, input)
    _broadcast_weight(op, "weight", weight, input.shape)
    _broadcast_weight(op, "pos_weight", pos_weight, input.shape)
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    return apply(
        O.BinaryCrossEntropyWithLogits, input, target, weight, pos_weight, reduction=reduction
    )


def _pointwise_pair(op: str, input, target, reduction):
    _check_reduction(op, reduction)
    for role, t in (("input", input), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {role} must be a Tensor, not {type(t).__name__}")
    if tuple(input.shape) != tuple(target.shape):
        warnings.warn(
            f"{op}: Using a target size ({shape_str(tuple(target.shape))}) that is different "
            f"to the input size ({shape_str(tuple(input.shape))}). This will likely lead to "
            "incorrect results due to broadcasting. Please ensure they have the same size "
            "(e.g. target.reshape(input.shape)).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        raise ShapeError(
            broadcast_message(op, [tuple(input.shape), tuple(target.shape)], ["input", "target"])
        ) from None
    if input.dtype is not target.dtype:
        input, target = promote_pair(input, target)
    return input, target


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean") -> Tensor:
    """|input - target|, composed as PyTorch composes it (Sub, Abs, Mean)."""
    input, target = _pointwise_pair("l1_loss", input, target, reduction)
    losses = (input - target).abs()
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction="mean", beta: float = 1.0
) -> Tensor:
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta ({beta})")
    if beta == 0:  # PyTorch computes l1_loss then (Sub, Abs, Mean)
        return l1_loss(input, target, reduction=reduction)
    input, target = _pointwise_pair("smooth_l1_loss", input, target, reduction)
    return apply(O.SmoothL1Loss, input, target, reduction=reduction, beta=beta)


def huber_loss(input, target, reduction="mean", delta: float = 1.0, weight=None) -> Tensor:
    if delta <= 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta ({delta}); use a "
            "delta > 0, or F.l1_loss"
        )
    input, target = _pointwise_pair("huber_loss", input, target, reduction)
    if weight is None:
        return apply(O.HuberLoss, input, target, reduction=reduction, delta=delta)
    if not isinstance(weight, Tensor) or tuple(weight.shape) != tuple(input.shape):
        got = describe("weight", weight) if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(
            f"huber_loss: Weights and input must have the same size: {got}, "
            f"{describe('input', input)}; expand it, e.g. weight.expand_as(input)"
        )
    losses = apply(O.HuberLoss, input, target, reduction="none", delta=delta) * weight
    if reduction == "none":
        return losses
    return losses.mean() if reduction == "mean" else losses.sum()


def _class_weight(op: str, weight, logp):
    classes = logp.shape[-1] if logp.ndim else 0
    if not isinstance(weight, Tensor) or tuple(weight.shape) != (classes,):
        got = describe("weight", weight) if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(
            f"{op}: weight tensor should be defined either for all {classes} classes or no "
            f"classes but got {got}; pass one weight per class, e.g. ne.ones({classes})"
        )
    return weight if weight.dtype is logp.dtype else weight.to(logp.dtype)


def _weighted_nll(op, logp, target, weight, ignore_index, reduction) -> Tensor:
    weight = _class_weight(op, weight, logp)
    return apply(
        O.NllLossWeighted,
        logp,
        target,
        weight,
        ignore_index=ignore_index,
        reduction=reduction,
    )


def scaled_dot_product_attention(
    query,
    key,
    value,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale=None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(q @ k^T * scale + mask) @ v, composed from matmul, masked_fill and softmax
    so the Graph pane shows each step (PyTorch fuses it into one kernel)."""
    op = "scaled_dot_product_attention"
    for role, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or t.ndim < 2:
            got = describe(role, t) if isinstance(t, Tensor) else type(t).__name__
            raise ShapeError(f"{op}: {role} must be a tensor of shape (..., L, E), got {got}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            f"{op}: query (..., L, E), key (..., S, E) and value (..., S, Ev) must agree, but got "
            f"{describe('query', query)}, {describe('key', key)}, {describe('value', value)}; "
            "query and key need the same last dim, key and value the same length S"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            f"{op}: _scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True; pass one or the other"
        )
    length, source = query.shape[-2], key.shape[-2]
    factor = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * factor
    if is_causal:
        causal = tensor(np.ones((length, source), bool), device=query.device).tril()
        scores = scores.masked_fill(~causal, float("-inf"))
    elif attn_mask is not None:
        if attn_mask.dtype is dtypes.bool_:
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    weights = scores.softmax(-1)
    if dropout_p:
        weights = dropout(weights, dropout_p, True)
    return weights @ value
