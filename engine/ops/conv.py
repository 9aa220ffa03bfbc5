"""Convolution and pooling over 1 or 2 spatial dims, each one node as PyTorch shows it.

All of them read the input through *windows*: for each kernel position (i, j) the strided
view ``x[:, :, i*dilation : ... : stride, j*dilation : ... : stride]`` of the padded
input, one view per kernel position (a loop over the kernel, never over pixels or the
batch), stacked into an array shaped (N, C, kh, kw, OH, OW). That is im2col: a
convolution is then one matmul of the weight with the windows, a max pool a max over the
kernel dims, an average pool a sum. The backward adds each position's gradient back
into the padded input through the same views (``fold``, the adjoint of taking windows).

A 1-D op runs as the 2-D one on inputs viewed with a height of 1 (the same numbers); its
node keeps the 1-D shapes. In the words, ``unfold(a, ...)`` is the windows of ``a`` and
``fold(windows, a_shape, ...)`` adds windows back into an array shaped like ``a`` (see
rules.py); ``split(x, dim, G)`` splits dim into the G groups of a grouped convolution.
"""

from __future__ import annotations

from ..autograd import Function
from ..dtypes import int64
from ..dtypes import of_array as _engine_dtype

__all__ = ["AdaptiveAvgPool2D", "AvgPool2D", "Convolution", "MaxPool2D"]


# ----------------------------------------------------------------------------- windows
def out_size(size, kernel, stride, pad_lo, pad_hi, dilation, ceil_mode=False):
    """Output length along one dim, as PyTorch computes it (ceil_mode: the last window
    may hang over the end, but must start inside the input or its left padding)."""
    span = size + pad_lo + pad_hi - dilation * (kernel - 1) - 1
    if ceil_mode:
        count = -(-span // stride) + 1
        if (count - 1) * stride >= size + pad_lo:
            count -= 1
        return count
    return span // stride + 1


def padded(xp, x, padding, value=0.0):
    """x with ``padding`` ((top, bottom), (left, right)) of ``value`` around its last two dims."""
    if not any(lo or hi for lo, hi in padding):
        return x
    (top, bottom), (left, right) = padding
    *lead, h, w = x.shape
    out = xp.full((*lead, h + top + bottom, w + left + right), value, _engine_dtype(x))
    out[..., top : top + h, left : left + w] = x
    return out


def _slices(kernel, stride, dilation, size):
    """The (rows, cols) slice of the padded input that each kernel position reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, size
    return [
        (
            slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
            slice(j * dw, j * dw + sw * (ow - 1) + 1, sw),
        )
        for i in range(kh)
        for j in range(kw)
    ]


def windows(xp, x, kernel, stride, dilation, size):
    """The windows of a padded (N, C, H, W) array: (N, C, kh * kw, OH, OW)."""
    views = [x[:, :, rows, cols] for rows, cols in _slices(kernel, stride, dilation, size)]
    return xp.stack(views, 2)


def fold(xp, cols, shape, kernel, stride, dilation, size, padding):
    """The adjoint of ``windows``: each window's values added back where they were read,
    into an array of the input's (unpadded) ``shape``."""
    (top, bottom), (left, right) = padding
    n, c, h, w = shape
    out = xp.zeros((n, c, h + top + bottom, w + left + right), _engine_dtype(cols))
    for k, (rows, columns) in enumerate(_slices(kernel, stride, dilation, size)):
        out[:, :, rows, columns] += cols[:, :, k]
    return out[:, :, top : top + h, left : left + w]


def _as_2d(x, xp, spatial):
    """An (N, C, L) array viewed as (N, C, 1, L), so a 1-D op runs as the 2-D one."""
    return x if spatial == 2 else xp.reshape(x, (*x.shape[:-1], 1, x.shape[-1]))


def _pairs(settings, spatial):
    """1-D settings as 2-D ones: a height of 1 with kernel 1, stride 1, no padding."""
    kernel, stride, padding, dilation = settings
    if spatial == 2:
        return kernel, stride, padding, dilation
    return (1, *kernel), (1, *stride), ((0, 0), *padding), (1, *dilation)


def _torch_pad(padding) -> tuple:
    """((top, bottom), (left, right)) in F.pad's order: (left, right, top, bottom)."""
    return tuple(v for pair in reversed(padding) for v in pair)


class _Windowed:
    """A mixin, not an op: what the ops here share (the settings, the 2-D view of a
    1-D input, the names)."""

    def setup(self, a, kernel, stride, padding, dilation, ceil_mode=False):
        xp = self.xp
        self.spatial = spatial = a.ndim - 2
        self.a_shape = tuple(a.shape)
        a2 = _as_2d(a, xp, spatial)
        k, s, p, d = _pairs((kernel, stride, padding, dilation), spatial)
        size = tuple(
            out_size(a2.shape[2 + i], k[i], s[i], *p[i], d[i], ceil_mode) for i in range(2)
        )
        # with ceil_mode the last window may reach past the padding: pad that far too
        reach = [(size[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(2)]
        extra = [max(reach[i] - (a2.shape[2 + i] + p[i][0] + p[i][1]), 0) for i in range(2)]
        self.reach_padding = tuple((p[i][0], p[i][1] + extra[i]) for i in range(2))
        self.geometry = (k, s, d, size)
        self.settings = {
            "kernel_size": tuple(kernel),
            "stride": tuple(stride),
            "padding": tuple(padding),
            "dilation": tuple(dilation),
        }
        return a2, size

    def out_shape(self, n, c, size):
        return (n, c, *size) if self.spatial == 2 else (n, c, size[1])

    def fold_back(self, cols, shape2):
        xp = self.xp
        grad = fold(xp, cols, shape2, *self.geometry, self.reach_padding)
        return xp.reshape(grad, self.a_shape)


# ----------------------------------------------------------------------------- conv
class Convolution(_Windowed, Function):
    """Cross-correlation of ``a`` (N, C, *spatial) with ``w`` (O, C / groups, *kernel),
    plus the bias ``b`` (O,) per output channel: F.conv1d, F.conv2d and nn.Conv1d/2d.

    Forward: windows of the padded input, one matmul per group. Backward: the input's
    gradient is the transposed convolution (each output's gradient times the weight,
    folded back where its window read), the weight's the windows times the gradient
    summed over the batch and positions, the bias's the gradient summed likewise.
    """

    op, grad_name = "convolution", "ConvolutionBackward0"
    inputs = ("a", "w", "b")
    torch = (
        "F.conv2d(F.pad(a, pad), w, b, stride, 0, dilation, groups) if a.ndim == 4 "
        "else F.conv1d(F.pad(a, pad), w, b, stride, 0, dilation, groups)"
    )

    def forward(self, a, w, b, stride, padding, dilation, groups=1, pad=()):
        xp = self.xp
        kernel = tuple(w.shape[2:])
        a2, size = self.setup(a, kernel, stride, padding, dilation)
        n, c = a2.shape[:2]
        out_channels = w.shape[0]
        self.groups = groups
        cols = windows(xp, padded(xp, a2, self.reach_padding), *self.geometry)
        cols = xp.reshape(cols, (n, groups, -1, size[0] * size[1]))  # (N, G, C/G * K, L)
        w_mat = xp.reshape(w, (groups, out_channels // groups, -1))  # (G, O/G, C/G * K)
        out = xp.reshape(xp.matmul(w_mat, cols), self.out_shape(n, out_channels, size))
        if b is not None:
            out += xp.reshape(b, (out_channels,) + (1,) * self.spatial)
        self.save(a, w, cols)
        self.w_shape, self.shape2 = tuple(w.shape), tuple(a2.shape)
        self.rules = _conv_rules(self.spatial, b is not None)
        return out

    def backward(self, grad):
        xp = self.xp
        _, w, cols = self.saved
        needs_a, needs_w, needs_b = self.needs_input_grad
        n, groups, out_channels = self.shape2[0], self.groups, self.w_shape[0]
        g = xp.reshape(grad, (n, groups, out_channels // groups, -1))  # (N, G, O/G, L)
        grad_a = grad_w = grad_b = None
        if needs_a:
            w_mat = xp.reshape(w, (groups, out_channels // groups, -1))
            grad_cols = xp.matmul(xp.matrix_transpose(w_mat), g)  # (N, G, C/G * K, L)
            k, _, _, size = self.geometry
            grad_cols = xp.reshape(grad_cols, (n, self.shape2[1], k[0] * k[1], *size))
            grad_a = self.fold_back(grad_cols, self.shape2)
        if needs_w:
            per_sample = xp.matmul(g, xp.matrix_transpose(cols))  # (N, G, O/G, C/G * K)
            grad_w = xp.reshape(xp.sum(per_sample, axis=0), self.w_shape)
        if needs_b:
            grad_b = xp.sum(grad, axis=(0, *range(2, grad.ndim)))
        return grad_a, grad_w, grad_b

    def named_values(self):
        if not self.saved:
            return {}
        a, w, _ = self.saved
        return {
            "a": a,
            "w": w,
            "a_shape": self.a_shape,
            "w_shape": self.w_shape,
            "G": self.groups,
            **self.settings,
        }


def _conv_rules(spatial: int, bias: bool) -> tuple:
    k, p = ("kl", "pq") if spatial == 2 else ("k", "p")
    over = "(0, 2, 3)" if spatial == 2 else "(0, 2)"
    window = "kernel_size, stride, padding, dilation"
    rules = (
        f"fold(einsum('goc{k},ngo{p}->ngc{k}{p}', split(w, 0, G), split(grad, 1, G)), "
        f"a_shape, {window})",
        f"einsum('ngo{p},ngc{k}{p}->goc{k}', split(grad, 1, G), "
        f"split(unfold(a, {window}), 1, G)).reshape(w_shape)",
    )
    return (*rules, f"grad.sum({over})") if bias else rules


Convolution.rules = _conv_rules(2, True)  # the words of a 2-D convolution with a bias


# ----------------------------------------------------------------------------- pooling
class MaxPool2D(_Windowed, Function):
    """The largest value in each window (the first of equal ones; NaN wins, as in
    PyTorch); the gradient goes to that one element. ``is_max`` in the words marks it
    in each window; the indices (flat positions in each input plane) come out too."""

    op, grad_name = "max_pool2d", "MaxPool2DWithIndicesBackward0"
    extra_outputs = 1
    rules = (
        "fold(is_max * grad[:, :, None, None], a_shape, kernel_size, stride, padding, dilation)",
    )
    torch = "F.max_pool2d(a, kernel_size, stride, padding, dilation, ceil_mode)"

    def forward(self, a, kernel_size, stride, padding, dilation, ceil_mode=False):
        xp = self.xp
        pairs = tuple((p, p) for p in padding)
        a2, size = self.setup(a, kernel_size, stride, pairs, dilation, ceil_mode)
        source = padded(xp, a2, self.reach_padding, float("-inf"))
        cols = windows(xp, source, *self.geometry)  # (N, C, K, OH, OW)
        nan = xp.isnan(cols)
        if xp.any(nan):  # NaN is the max, as in PyTorch
            which = xp.argmax(xp.astype(nan, int64), axis=2, keepdims=True)
        else:
            which = xp.argmax(cols, axis=2, keepdims=True)
        out = xp.take_along_axis(cols, which, 2)[:, :, 0]
        self.which, self.shape2 = which, tuple(a2.shape)
        self.save(a)
        return out, self._indices(which[:, :, 0], a2.shape[-1])

    def _indices(self, which, width):
        """Flat positions (row * W + col) in each input plane, as PyTorch returns them."""
        xp = self.xp
        (_, kw), (sh, sw), (dh, dw), (oh, ow) = self.geometry
        (top, _), (left, _) = self.reach_padding
        rows = xp.reshape(xp.arange(0, oh, 1, int64) * sh - top, (oh, 1))
        cols = xp.reshape(xp.arange(0, ow, 1, int64) * sw - left, (1, ow))
        return (rows + (which // kw) * dh) * width + cols + (which % kw) * dw

    def _is_max(self):
        k = self.geometry[0]
        positions = self.xp.arange(0, k[0] * k[1], 1, int64)
        return self.xp.reshape(positions, (1, 1, -1, 1, 1)) == self.which

    def backward(self, grad):
        xp = self.xp
        n, c = self.shape2[:2]
        grad2 = xp.reshape(grad, (n, c, 1, *self.geometry[3]))
        cols = xp.where(self._is_max(), grad2, xp.zeros((), _engine_dtype(grad)))
        return (self.fold_back(cols, self.shape2),)

    def named_values(self):
        if not self.saved:
            return {}
        k, _, _, size = self.geometry
        is_max = self.xp.reshape(self._is_max(), (*self.shape2[:2], *k, *size))
        return {"a_shape": self.a_shape, "is_max": is_max, **self.settings}


class AvgPool2D(_Windowed, Function):
    """The mean of each window: its sum over ``divisor``, the window's size (clipped
    where ceil_mode lets it hang past the padding), or with count_include_pad=False
    the number of its elements inside the input. Each element of a window gets
    grad / divisor."""

    op, grad_name = "avg_pool2d", "AvgPool2DBackward0"
    rules = (
        "fold((grad / divisor)[:, :, None, None], a_shape, kernel_size, stride, padding, dilation)",
    )
    torch = "F.avg_pool2d(a, kernel_size, stride, padding, ceil_mode, count_include_pad)"

    def forward(self, a, kernel_size, stride, padding, ceil_mode=False, count_include_pad=True):
        xp = self.xp
        pairs = tuple((p, p) for p in padding)
        a2, size = self.setup(a, kernel_size, stride, pairs, (1, 1), ceil_mode)
        cols = windows(xp, padded(xp, a2, self.reach_padding), *self.geometry)
        self.divisor = self._divisor(a2, pairs, count_include_pad)
        self.shape2 = tuple(a2.shape)
        self.save()
        return xp.sum(cols, axis=2) / self.divisor

    def _divisor(self, a2, pairs, count_include_pad):
        """How many elements each window averages: a plane of ones pooled (ones over the
        input, and over the padding too with count_include_pad; never past the padding)."""
        xp = self.xp
        (top, bottom), (left, right) = self.reach_padding
        (pt, pb), (pl, pr) = pairs
        h, w = a2.shape[2:]
        mask = xp.zeros((1, 1, h + top + bottom, w + left + right), _engine_dtype(a2))
        if count_include_pad:
            mask[:, :, : h + pt + pb, : w + pl + pr] = 1
        else:
            mask[:, :, top : top + h, left : left + w] = 1
        return xp.sum(windows(xp, mask, *self.geometry), axis=2)[0, 0]

    def backward(self, grad):
        xp = self.xp
        k, _, _, size = self.geometry
        n, c = self.shape2[:2]
        share = xp.reshape(grad, (n, c, 1, *size)) / self.divisor
        cols = xp.broadcast_to(share, (n, c, k[0] * k[1], *size))
        return (self.fold_back(cols, self.shape2),)

    def named_values(self):
        return {"a_shape": self.a_shape, "divisor": self.divisor, **self.settings}


class AdaptiveAvgPool2D(Function):
    """Each output (i, j) the mean of rows floor(i * H / OH) to ceil((i + 1) * H / OH)
    and the columns likewise: ``Ph @ a @ Pw.T``, where the rows of the pooling matrices
    Ph (OH, H) and Pw (OW, W) hold 1 / (the window's length) over each window."""

    op, grad_name = "adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0"
    rules = ("Ph.T @ grad @ Pw",)
    torch = "F.adaptive_avg_pool2d(a, output_size)"

    def forward(self, a, output_size):
        xp = self.xp
        dtype = _engine_dtype(a)
        self.ph = _pooling_matrix(xp, a.shape[-2], output_size[0], dtype)
        self.pw = _pooling_matrix(xp, a.shape[-1], output_size[1], dtype)
        self.save()
        return xp.matmul(xp.matmul(self.ph, a), xp.matrix_transpose(self.pw))

    def backward(self, grad):
        xp = self.xp
        return (xp.matmul(xp.matmul(xp.matrix_transpose(self.ph), grad), self.pw),)

    def named_values(self):
        return {"Ph": self.ph, "Pw": self.pw}


def _pooling_matrix(xp, size, count, dtype):
    """(count, size): row i is 1 / length over floor(i * size / count) .. ceil(...)."""
    out = xp.zeros((count, size), dtype)
    for i in range(count):  # one row per output position along the dim, not per pixel
        start, end = (i * size) // count, -(-((i + 1) * size) // count)
        out[i, start:end] = 1.0 / (end - start)
    return out
