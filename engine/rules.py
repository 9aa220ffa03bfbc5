"""The words of the backward rules: what they may say, and how they are read.

Every op in engine/ops states its backward rule in words, one per input (``"grad * b"``),
beside the code that computes it. The words are Python expressions over ``grad`` (the
gradient arriving at the op's output), the op's named values (its inputs ``a``, ``b``,
its output under a maths name such as ``y``, and settings such as ``dim``) and the
vocabulary below, so they can be evaluated and checked against what the code computed
(``tests/engine/test_rules.py`` does, on every sample of the op table). The Graph pane
shows the same words with the numbers put in.

Broadcasting's backward lives here too: :func:`sum_to_shape`. When the forward
broadcast an input (``a`` of shape (3, 1) plus ``b`` of shape (3, 4)), the rule's
gradient has the output's shape, and the engine sums it back to the input's shape after
every rule, so no rule repeats it. The stepper then shows the rule wrapped in it:
``grad_a = sum_to_shape(grad, (3, 1))``.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np

from .backends import NUMPY  # the words are read on numpy, whatever the ops ran on


# ---------------------------------------------------------------------- broadcasting
@functools.lru_cache(maxsize=4096)
def _summed_axes(grad_shape: tuple, shape: tuple) -> tuple[int, ...]:
    lead = len(grad_shape) - len(shape)
    axes = list(range(lead))
    axes += [lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1]
    return tuple(axes)


def sum_to_shape(xp, grad, shape):
    """Broadcasting's backward: sum ``grad`` over the dims the forward broadcast.

    Dims the input did not have (leading ones) and dims where it had size 1 are summed,
    so each input element gets the sum of the gradients of every output it was copied to.
    """
    if grad.shape == shape:
        return grad
    axes = _summed_axes(tuple(grad.shape), tuple(shape))
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return xp.reshape(grad, shape)


# ---------------------------------------------------------------------- the vocabulary
class ViewPath(tuple):
    """How a view was made from its base: ((op class, settings), ...), read left to right.

    An in-place change through a view writes into its base; ``inside`` and ``outside`` in
    the words are the region of an array that the view covers, and everything else.
    """

    def region(self, array, xp):
        """The part of ``array`` (shaped like the base) that the view covers, as a view."""
        for function, params in self:
            node = object.__new__(function)
            node.xp = xp
            array = node.forward(array, **params)
        return array

    def __str__(self) -> str:
        parts = [f"{function.op}({_settings(params)})" for function, params in self]
        return ".".join(parts) or "all"


def _settings(params: dict) -> str:
    shown = {k: v for k, v in params.items() if k not in ("advanced", "name")}
    return ", ".join(f"{k}={v!r}" for k, v in shown.items())


def _outside(x, view):
    out = np.array(x, copy=True)
    view.region(out, NUMPY)[...] = 0
    return out


def _index_put(x, key, value):
    out = np.array(x, copy=True)
    out[key] = value
    return out


# numpy versions of the functions the words use; the ops compute the same on any backend.
def _expand_to(x, shape, dims=None):
    """A reduction's gradient copied back over the reduced dims (reinserted if dropped)."""
    x = np.asarray(x)
    if dims is not None and x.ndim < len(shape):
        x = np.expand_dims(x, tuple(dims))
    return np.broadcast_to(x, tuple(shape))


def _scatter_add(shape, dim, index, source):
    """zeros(shape) with source added at index along dim (repeated indices add up)."""
    index, source = np.asarray(index), np.asarray(source)
    if index.ndim < len(shape):  # a reduction that dropped dim: put it back
        index = np.expand_dims(index, dim)
    if source.ndim < len(shape):
        source = np.expand_dims(source, dim)
    out = np.zeros(tuple(shape), dtype=source.dtype)
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    np.add.at(out, tuple(grid), source)
    return out


def _index_add(shape, key, source):
    """zeros(shape) with source added at the positions a[key] read (repeats add up)."""
    source = np.asarray(source)
    out = np.zeros(tuple(shape), dtype=source.dtype)
    np.add.at(out, key, source)
    return out


def _narrow(x, dim, start, length):
    return np.take(np.asarray(x), range(start, start + length), axis=dim)


def _mv(matrix, vector):
    """matrix @ vector for stacks of matrices and of vectors."""
    return (np.asarray(matrix) @ np.asarray(vector)[..., None])[..., 0]


def _outer(x, y):
    """outer products for stacks of vectors: x[..., i] * y[..., j]."""
    return np.asarray(x)[..., :, None] * np.asarray(y)[..., None, :]


def _normal_cdf(x):
    return 0.5 * (1 + _erf(np.asarray(x) / math.sqrt(2)))


_erf = np.vectorize(math.erf, otypes=[float])


# windows, for convolution and pooling: (N, C, *kernel_size, *out) arrays of what each
# kernel position reads from the (zero-)padded input at each output position.
def _conv_geometry(shape, kernel_size, stride, padding, dilation, out=None):
    spatial = len(shape) - 2
    pads = [(p, p) if isinstance(p, (int, np.integer)) else tuple(p) for p in padding]
    if out is None:
        out = [
            (shape[2 + i] + sum(pads[i]) - dilation[i] * (kernel_size[i] - 1) - 1) // stride[i] + 1
            for i in range(spatial)
        ]
    reach = [
        (out[i] - 1) * stride[i] + dilation[i] * (kernel_size[i] - 1) + 1 for i in range(spatial)
    ]
    pads = [(lo, max(hi, reach[i] - shape[2 + i] - lo)) for i, (lo, hi) in enumerate(pads)]
    positions = list(np.ndindex(*kernel_size))
    reads = [
        tuple(
            slice(k[i] * dilation[i], k[i] * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
            for i in range(spatial)
        )
        for k in positions
    ]
    return pads, tuple(out), positions, reads


def _unfold(x, kernel_size, stride, padding, dilation):
    """The windows of x: (N, C, *kernel_size, *out)."""
    x = np.asarray(x)
    pads, out, positions, reads = _conv_geometry(x.shape, kernel_size, stride, padding, dilation)
    source = np.pad(x, [(0, 0), (0, 0), *pads])
    windows = np.zeros((*x.shape[:2], *kernel_size, *out), x.dtype)
    for k, read in zip(positions, reads):
        windows[(slice(None), slice(None), *k)] = source[(slice(None), slice(None), *read)]
    return windows


def _fold(windows, shape, kernel_size, stride, padding, dilation):
    """The adjoint of unfold: each window's values added back where they were read, into
    zeros(shape). Windows of a grouped convolution (N, G, C / G, ...) are joined first."""
    windows = np.asarray(windows)
    spatial = len(shape) - 2
    if windows.ndim == 2 + 2 * spatial + 1:
        windows = windows.reshape(windows.shape[0], -1, *windows.shape[3:])
    out = windows.shape[-spatial:]
    windows = np.broadcast_to(windows, (*shape[:2], *kernel_size, *out))
    pads, _, positions, reads = _conv_geometry(shape, kernel_size, stride, padding, dilation, out)
    total = np.zeros((*shape[:2], *(shape[2 + i] + sum(pads[i]) for i in range(spatial))))
    for k, read in zip(positions, reads):
        total[(slice(None), slice(None), *read)] += windows[(slice(None), slice(None), *k)]
    inside = tuple(slice(lo, lo + shape[2 + i]) for i, (lo, _) in enumerate(pads))
    return total[(slice(None), slice(None), *inside)].astype(windows.dtype)


def _split(x, dim, groups):
    """x with dim split into (groups, size / groups): the groups of a grouped conv."""
    x = np.asarray(x)
    return x.reshape(*x.shape[:dim], groups, -1, *x.shape[dim + 1 :])


VOCABULARY = {
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "sign": lambda x: np.where(np.isnan(x), 0.0, np.sign(x)),  # sign(NaN) is 0, as in PyTorch
    "erf": _erf,
    "pi": math.pi,
    "where": np.where,
    "sum": lambda x, dim: np.sum(x, axis=dim, keepdims=True),
    "mean": lambda x, dims: np.mean(x, axis=dims, keepdims=True),  # None: over everything
    "count": np.count_nonzero,
    "reshape": lambda x, shape: np.reshape(x, tuple(shape)),
    "permute": lambda x, dims: np.transpose(x, tuple(dims)),
    "cast": lambda x, dtype: np.asarray(x).astype(dtype.numpy),
    "expand_to": _expand_to,
    "sum_to_shape": lambda x, shape: sum_to_shape(np, np.asarray(x), tuple(shape)),
    "scatter_add": _scatter_add,
    "index_add": _index_add,
    "narrow": _narrow,
    "select": lambda x, dim, i: np.take(x, i, axis=dim),
    "outer": _outer,
    "mv": _mv,
    "inside": lambda x, view: view.region(np.asarray(x), NUMPY),
    "outside": _outside,
    "index_put": _index_put,
    "Phi": _normal_cdf,  # the standard normal's cumulative distribution
    "unfold": _unfold,
    "fold": _fold,
    "split": _split,
    "einsum": np.einsum,
    "phi": lambda x: np.exp(-0.5 * np.asarray(x) ** 2) / math.sqrt(2 * math.pi),
}


# scans and norms: cumsum's backward is a cumsum run backwards (flip, cumsum, flip)
VOCABULARY.update(
    {
        "cumsum": lambda x, dim: np.cumsum(x, axis=dim) if np.ndim(x) else np.asarray(x),
        "flip": lambda x, dim: np.flip(x, axis=dim) if np.ndim(x) else np.asarray(x),
        "abs": np.abs,
    }
)


# ---------------------------------------------------------------------- reading the words
def substitute(rule: str, values: dict, render) -> str:
    """The rule with each named value replaced by ``render(name, value)``.

    Names may be identifiers (``b``) or short expressions the op keeps a value for
    (``exp(a)``, ``a > 0``); the longest match wins, and a name is never matched inside
    a longer word.
    """
    names = sorted(values, key=len, reverse=True)
    if not names:
        return rule
    pattern = re.compile("|".join(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_(])" for n in names))
    return pattern.sub(lambda m: render(m.group(0), values[m.group(0)]), rule)


def evaluate(rule: str, values: dict) -> np.ndarray:
    """The value of a rule's words, computed on numpy from ``values`` (grad included)."""
    bound = {}

    def bind(name, value):
        placeholder = f"_v{len(bound)}"
        bound[placeholder] = _host(value)
        return placeholder

    expression = substitute(rule, values, bind)
    with np.errstate(all="ignore"):  # where() computes both branches, as the ops do
        return np.asarray(eval(expression, {"__builtins__": {}}, {**VOCABULARY, **bound}))  # noqa: S307


def _host(value):
    """A backend array (numpy or torch) as numpy; anything else as it is."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    if isinstance(value, tuple) and not isinstance(value, ViewPath):
        return tuple(_host(v) for v in value)
    return value


# ---------------------------------------------------------------------- the graph's names
# The words call an op's inputs by the op's own names (``a``, ``b``); a graph calls them by
# what they are (``x``, ``0.weight``, ``r0``). ``rename`` puts the graph's names into the
# words, where that cannot make two things read alike.
_QUOTED = re.compile(r"('[^']*'|\"[^\"]*\")")
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.]*|-?\d+(\.\d+)?(e-?\d+)?")
_RESERVED = {"grad", "leaf", "True", "False", "None", *VOCABULARY}


def identifiers(text: str) -> set[str]:
    """The names a rule's words use, outside quoted strings (einsum's subscripts)."""
    found: set[str] = set()
    for i, part in enumerate(_QUOTED.split(text)):
        if i % 2 == 0:
            found.update(_IDENTIFIER.findall(part))
    return found


def usable_names(names: dict[str, str], words) -> dict[str, str]:
    """The part of ``names`` (the op's name -> the graph's) that the words can take: each
    graph name plain (``r0``, ``0.weight``, ``2.5``), none of them the same, and none a
    word the rules use for something else (``grad``, ``sum``, the op's other values)."""
    names = dict(names)
    used = set().union(*(identifiers(w) for w in words)) | _RESERVED
    while True:
        taken = used - set(names)
        shown = list(names.values())
        bad = [
            mine
            for mine, theirs in names.items()
            if not _PLAIN_NAME.fullmatch(theirs) or theirs in taken or shown.count(theirs) > 1
        ]
        if not bad:
            return names
        for mine in bad:
            del names[mine]


def rename(text: str, names: dict[str, str]) -> str:
    """``text`` with each of the op's names replaced by the graph's, all at once (so
    ``a`` -> ``b`` and ``b`` -> ``a`` swap), never inside a longer word or a quoted string."""
    if not names:
        return text
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9_.])(?:{alternatives})(?![A-Za-z0-9_])")
    parts = _QUOTED.split(text)
    for i in range(0, len(parts), 2):
        parts[i] = pattern.sub(lambda m: names[m.group(0)], parts[i])
    return "".join(parts)
