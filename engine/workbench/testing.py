"""The PyTorch oracle: every op, its sample inputs, and the comparison with PyTorch.

``OPS`` is a table in the spirit of PyTorch's OpInfo. Each entry's function takes the
library as its first argument (``nnbench.engine`` or ``torch``) and is written once,
since the engine shares PyTorch's names: ``lambda m, a, b: m.where(a > b, a, b)``.

``compare(op, sample, device)`` runs a sample through both and reports the largest
forward and gradient differences; ``gradcheck`` checks the engine's gradients against
float64 central differences. ``nnbench check`` and the test suite both use them.
torch is imported inside the functions that need it, never at import time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..formatting import to_numpy

# Tolerances, stated once: float32 against PyTorch, and float64 finite differences.
FORWARD_TOL = (1e-6, 1e-3)  # (atol, rtol)
GRAD_TOL = (1e-4, 1e-3)
NODE_TOL = 1e-4  # the per-node check's largest |engine - torch| (float32, inputs of size ~1)
SOFTMAX_TOL = (1e-7, 1e-3)
GRADCHECK_EPS = 1e-6
GRADCHECK_TOL = (1e-5, 1e-3)


@dataclass
class Sample:
    """Inputs for one call: arrays (float ones require grad), and how to view them first."""

    arrays: tuple
    view: str | None = None  # "T" or "step": pass a non-contiguous view of each input
    label: str = ""

    def describe(self) -> str:
        shapes = " ".join(str(tuple(a.shape)) for a in self.arrays)
        return self.label or (shapes + (f" .{self.view}" if self.view else ""))


@dataclass
class OpInfo:
    name: str
    fn: Callable  # fn(lib, *tensors) -> tensor or (tensor, ...)
    shapes: list  # list of tuples of shapes, one tuple per sample
    domain: tuple = (-2.0, 2.0)
    kinks: tuple = ()  # values inputs must stay away from (where the derivative jumps)
    differentiable: bool = True
    tol: tuple = FORWARD_TOL
    views: bool = True  # also try non-contiguous views of the inputs
    extra: list = field(default_factory=list)  # hand-made Samples (edge values: NaN, 0)
    gradcheck: bool = True  # False where finite differences cannot judge (a NaN loss, padding)

    def samples(self, seed: int = 0) -> list[Sample]:
        rng = np.random.default_rng(seed)
        out = [Sample(tuple(self._array(rng, s) for s in shapes)) for shapes in self.shapes]
        if self.views:
            for shapes in self.shapes:
                if all(len(s) == 2 for s in shapes):
                    flipped = tuple(self._array(rng, (s[1], s[0])) for s in shapes)
                    out.append(Sample(flipped, view="T"))
                    doubled = tuple(self._array(rng, (2 * s[0], s[1])) for s in shapes)
                    out.append(Sample(doubled, view="step"))
                    break
        return out + list(self.extra)

    def _array(self, rng, shape) -> np.ndarray:
        low, high = self.domain
        values = rng.uniform(low, high, size=shape)
        for _ in range(100):  # push values off the kinks, so derivatives are defined
            near = np.zeros(values.shape, bool)
            for k in self.kinks:
                near |= np.abs(values - k) < 0.05
            if not near.any():
                break
            values[near] = rng.uniform(low, high, size=int(near.sum()))
        return values


def _idx(m, like, data):
    return m.tensor(data, device=like.device)


def _stats(m, like, value):
    """A running mean or variance for batch_norm: one value per channel of ``like``."""
    return m.full((like.shape[1],), value, dtype=like.dtype, device=like.device)


def _constant(m, like, data):
    """Constant weights (no gradient: PyTorch's losses refuse one) in like's dtype."""
    return m.tensor(data, device=like.device, dtype=like.dtype)


NAN = float("nan")


def _edge(*arrays) -> Sample:
    """A hand-made sample at values the random ones avoid (NaN, zeros)."""
    values = tuple(np.array(a, dtype=np.float64) for a in arrays)
    return Sample(values, label="edge " + " ".join(str(list(a)) for a in arrays))


def _unary(name, fn, **kw):
    shapes = [((),), ((0,),), ((1, 0, 3),), ((3, 4),), ((2, 3, 4),)]
    return OpInfo(name, fn, kw.pop("shapes", shapes), **kw)


_BINARY_SHAPES = [
    ((), ()),
    ((3, 4), (3, 4)),
    ((0,), (0,)),
    ((1, 0, 3), (1, 0, 3)),
    ((2, 1), (2,)),
    ((1, 3, 2), (3, 2)),
    ((3, 1, 2), (1, 3, 2)),
    ((), (3,)),
    ((0,), (1,)),
]


def _binary(name, fn, **kw):
    return OpInfo(name, fn, kw.pop("shapes", _BINARY_SHAPES), **kw)


_REDUCE_SHAPES = [((),), ((4,),), ((3, 4),), ((2, 3, 4),), ((1, 0, 3),), ((0,),)]
_NONEMPTY = [((),), ((4,),), ((3, 4),), ((2, 3, 4),)]
_DIM_SHAPES = [((3, 4),), ((2, 3, 4),), ((1, 0, 3),)]

OPS: list[OpInfo] = [
    # elementwise
    _unary("neg", lambda m, a: -a),
    _unary("exp", lambda m, a: a.exp()),
    _unary("log", lambda m, a: a.log(), domain=(0.1, 3.0)),
    _unary("sin", lambda m, a: a.sin(), domain=(-4.0, 4.0)),
    _unary("cos", lambda m, a: m.cos(a), domain=(-4.0, 4.0)),
    _unary("sqrt", lambda m, a: a.sqrt(), domain=(0.1, 3.0)),
    _unary("abs", lambda m, a: a.abs(), kinks=(0.0,), extra=[_edge([-1.0, NAN, 0.5])]),
    _unary("tanh", lambda m, a: a.tanh()),
    _unary("sigmoid", lambda m, a: a.sigmoid(), domain=(-6.0, 6.0)),
    _unary("relu", lambda m, a: a.relu(), kinks=(0.0,), extra=[_edge([-1.0, NAN, 0.5])]),
    _unary("clamp", lambda m, a: a.clamp(min=-0.5, max=0.5), kinks=(-0.5, 0.5)),
    _unary("clamp_min", lambda m, a: a.clamp(min=0.25), kinks=(0.25,)),
    _unary("pow_2", lambda m, a: a**2),
    _unary("pow_3", lambda m, a: a**3),
    _unary("pow_half", lambda m, a: a**0.5, domain=(0.1, 3.0)),
    _unary("pow_neg1", lambda m, a: a**-1, domain=(0.2, 3.0)),
    _unary("square", lambda m, a: a.square()),
    _unary("clone", lambda m, a: a.clone()),
    _unary("to_float64", lambda m, a: a.double() * 3),
    _unary("add_scalar", lambda m, a: a + 2.5),
    _unary("radd_scalar", lambda m, a: 2.5 + a),
    _unary("rsub_scalar", lambda m, a: 1.5 - a),
    _unary("mul_scalar", lambda m, a: a * -3.0),
    _unary("div_scalar", lambda m, a: a / 4.0),
    _unary("rdiv_scalar", lambda m, a: 2.0 / a, domain=(0.2, 3.0)),
    _unary("rpow_scalar", lambda m, a: 2.0**a),
    _unary(
        "softmax",
        lambda m, a: a.softmax(-1),
        tol=SOFTMAX_TOL,
        shapes=[((4,),), ((3, 4),), ((2, 3, 4),), ((1, 0, 3),)],
    ),
    _unary(
        "softmax_dim0",
        lambda m, a: a.softmax(0),
        tol=SOFTMAX_TOL,
        shapes=[((4,),), ((3, 4),), ((2, 3, 4),)],
    ),
    _unary(
        "log_softmax",
        lambda m, a: a.log_softmax(-1),
        tol=SOFTMAX_TOL,
        shapes=[((4,),), ((3, 4),), ((2, 3, 4),), ((1, 0, 3),)],
    ),
    _unary(
        "log_softmax_dim1",
        lambda m, a: a.log_softmax(1),
        tol=SOFTMAX_TOL,
        shapes=[((3, 4),), ((2, 3, 4),)],
    ),
    # arithmetic with broadcasting
    _binary("add", lambda m, a, b: a + b),
    _binary("sub", lambda m, a, b: a - b),
    _binary("mul", lambda m, a, b: a * b),
    _binary("div", lambda m, a, b: a / b, domain=(0.2, 2.0)),
    _binary(
        "pow",
        lambda m, a, b: a**b,
        domain=(0.2, 2.0),
        extra=[_edge([0.0, 0.0, 2.0, 1.5], [0.0, 2.0, 0.0, 1.0])],
    ),
    _binary("maximum", lambda m, a, b: m.maximum(a, b)),
    # minimum and reciprocal, their own nodes as in PyTorch: ties split the gradient in
    # half, a NaN sends it to both sides
    _binary(
        "minimum",
        lambda m, a, b: m.minimum(a, b),
        extra=[_edge([1.0, 2.0, NAN, 0.5, -1.0], [1.0, 3.0, 1.0, NAN, -2.0])],
    ),
    _binary("minimum_method", lambda m, a, b: a.minimum(b) * 2, shapes=[((3, 4), (4,))]),
    _unary("reciprocal", lambda m, a: a.reciprocal(), domain=(0.2, 3.0)),
    _unary("reciprocal_negative", lambda m, a: m.reciprocal(a), domain=(-3.0, -0.2)),
    _binary("where", lambda m, a, b: m.where(a > b, a, b)),
    _binary("eq", lambda m, a, b: a == b, differentiable=False),
    _binary("lt", lambda m, a, b: a < b, differentiable=False),
    _binary("ge", lambda m, a, b: a >= b, differentiable=False),
    _binary("le_ne_gt", lambda m, a, b: (a <= b) | (a != b) | (a > b), differentiable=False),
    _binary("logical_xor", lambda m, a, b: (a > 0) ^ (b > 0), differentiable=False),
    _unary(
        "isnan_isinf_isfinite",
        lambda m, a: (a.log().isnan() | (1 / (a * 0)).isinf()) & a.isfinite(),
        differentiable=False,
        extra=[_edge([NAN, 0.0, 1.0, -1.0])],
    ),
    _binary("logical", lambda m, a, b: ~((a > 0) & (b < 0)) | (a > b), differentiable=False),
    # more elementwise maths (pointwise.py): float inputs here; integer and bool dtypes,
    # scalars on the left and the errors are in tests/engine/test_elementwise.py
    _unary("tan", lambda m, a: a.tan(), domain=(-1.2, 1.2)),
    _unary("asin", lambda m, a: m.asin(a), domain=(-0.9, 0.9)),
    _unary("acos", lambda m, a: a.acos(), domain=(-0.9, 0.9)),
    _unary("atan", lambda m, a: m.atan(a)),
    _unary("sinh", lambda m, a: a.sinh()),
    _unary("cosh", lambda m, a: m.cosh(a)),
    _unary("asinh", lambda m, a: a.asinh()),
    _unary("acosh", lambda m, a: m.acosh(a), domain=(1.2, 3.0)),
    _unary("atanh", lambda m, a: a.atanh(), domain=(-0.9, 0.9)),
    _unary("rsqrt", lambda m, a: m.rsqrt(a), domain=(0.2, 3.0)),
    _unary("log2", lambda m, a: a.log2(), domain=(0.1, 3.0)),
    _unary("log10", lambda m, a: m.log10(a), domain=(0.1, 3.0)),
    _unary("log1p", lambda m, a: a.log1p(), domain=(-0.8, 3.0)),
    _unary("exp2", lambda m, a: m.exp2(a)),
    _unary("expm1", lambda m, a: a.expm1()),
    _unary("erf", lambda m, a: m.erf(a)),
    _unary("floor", lambda m, a: a.floor(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    _unary("ceil", lambda m, a: m.ceil(a), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    _unary("trunc", lambda m, a: a.trunc(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    _unary("round", lambda m, a: m.round(a), kinks=(-1.5, -0.5, 0.5, 1.5)),
    _unary(
        "round_decimals",
        lambda m, a: (a * 0.1).round(decimals=1),
        kinks=(-1.5, -0.5, 0.5, 1.5),
    ),
    _unary("frac", lambda m, a: a.frac(), kinks=(-2.0, -1.0, 0.0, 1.0, 2.0)),
    _unary("sign", lambda m, a: m.sign(a), kinks=(0.0,), extra=[_edge([-1.0, NAN, 0.0, 2.0])]),
    _unary("fmod_scalar", lambda m, a: a.fmod(1.5), kinks=(-1.5, 0.0, 1.5)),
    _unary("remainder_scalar", lambda m, a: a % 1.5, kinks=(-1.5, 0.0, 1.5)),
    _unary(
        "rmod_scalar",
        lambda m, a: 2.0 % a,
        domain=(0.55, 1.9),
        kinks=(0.667, 1.0),
        differentiable=False,
    ),
    _binary("fmod", lambda m, a, b: m.fmod(a - 1, b), domain=(0.3, 2.0)),
    _binary("remainder", lambda m, a, b: m.remainder(a - 1, b), domain=(0.3, 2.0)),
    _binary("div_trunc", lambda m, a, b: m.div(a - 1, b, rounding_mode="trunc"), domain=(0.3, 2.0)),
    _binary("div_floor", lambda m, a, b: (a - 1).div(b, rounding_mode="floor"), domain=(0.3, 2.0)),
    _binary("atan2", lambda m, a, b: m.atan2(a, b), domain=(0.2, 2.0)),
    _binary("atan2_signs", lambda m, a, b: (a - 1.1).atan2(b - 1.1), domain=(0.2, 2.0)),
    _binary("hypot", lambda m, a, b: m.hypot(a - 1.1, b), domain=(0.2, 2.0)),
    _binary("lerp_scalar", lambda m, a, b: m.lerp(a, b, 0.3)),
    _binary("lerp_scalar_high", lambda m, a, b: a.lerp(b, 0.8)),
    OpInfo(
        "lerp_tensor",
        lambda m, a, b, w: m.lerp(a, b, w),
        [((), (), ()), ((3, 4), (3, 4), (3, 4)), ((2, 1), (2,), (1,)), ((0,), (0,), (1,))],
    ),
    OpInfo(
        "clamp_tensors",
        lambda m, a, low, high: m.clamp(a, low - 0.5, high + 0.5),
        # bounds broadcast to a's shape: PyTorch's backward fails where they widen it
        [((), (), ()), ((3, 4), (3, 4), (3, 4)), ((3, 2), (2,), (1,)), ((0,), (0,), (1,))],
    ),
    _binary("clamp_min_tensor", lambda m, a, b: a.clamp(min=b)),
    _binary("clamp_max_tensor", lambda m, a, b: m.clamp(a, max=b)),
    _binary(
        "bitwise",
        lambda m, a, b: (
            (((a * 4).long() & (b * 4).long()) | ~(a * 3).long()) ^ (((b * 5).long() << 2) >> 1)
        ),
        differentiable=False,
    ),
    _binary(
        "logical_functions",
        lambda m, a, b: (
            m.logical_and(a, b.round())
            | m.logical_or(a.round(), b).logical_xor(a) ^ m.logical_not(b.round().long())
        ),
        differentiable=False,
    ),
    _binary(
        "isclose",
        lambda m, a, b: m.isclose(a, a + b * 1e-5) ^ a.isclose(b, atol=0.5),
        differentiable=False,
    ),
    # reductions
    OpInfo("sum", lambda m, a: a.sum(), _REDUCE_SHAPES),
    OpInfo("sum_dim", lambda m, a: a.sum(dim=1), _DIM_SHAPES),
    OpInfo("sum_dims_keepdim", lambda m, a: a.sum(dim=(0, -1), keepdim=True), _DIM_SHAPES),
    OpInfo("mean", lambda m, a: a.mean(), _NONEMPTY),
    OpInfo("mean_dim", lambda m, a: a.mean(dim=-1, keepdim=True), _DIM_SHAPES[:2]),
    OpInfo("var", lambda m, a: a.var(), [((4,),), ((3, 4),)]),
    OpInfo("var_dim", lambda m, a: a.var(dim=0), _DIM_SHAPES[:2]),
    OpInfo("std_dim", lambda m, a: a.std(dim=1, keepdim=True), _DIM_SHAPES[:2]),
    OpInfo("std", lambda m, a: a.std(), [((4,),), ((3, 4),)], extra=[_edge([2.0, 2.0, 2.0])]),
    OpInfo("var_dims_correction0", lambda m, a: a.var(dim=(0, -1), correction=0), _DIM_SHAPES[:2]),
    OpInfo("var_all_keepdim", lambda m, a: a.var(keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpInfo(
        "std_unbiased_false", lambda m, a: a.std(0, keepdim=True, unbiased=False), _DIM_SHAPES[:2]
    ),
    OpInfo("std_correction2", lambda m, a: a.std(dim=-1, correction=2), [((3, 4),)]),
    OpInfo("max", lambda m, a: a.max(), _NONEMPTY, extra=[_edge([1.0, NAN, 3.0, NAN])]),
    OpInfo("max_dim", lambda m, a: a.max(dim=1), _DIM_SHAPES[:2]),
    OpInfo("min_dim_keepdim", lambda m, a: a.min(dim=0, keepdim=True), _DIM_SHAPES[:2]),
    OpInfo("min", lambda m, a: a.min(), _NONEMPTY),
    OpInfo(
        "prod",
        lambda m, a: a.prod(),
        [((4,),), ((3, 4),)],
        extra=[_edge([2.0, 0.0, 3.0]), _edge([0.0, 0.0, 3.0])],
    ),
    OpInfo("prod_dim", lambda m, a: a.prod(dim=1), _DIM_SHAPES[:2]),
    OpInfo("argmax", lambda m, a: a.argmax(dim=1), _DIM_SHAPES[:2], differentiable=False),
    OpInfo("argmin", lambda m, a: a.argmin(), _NONEMPTY, differentiable=False),
    OpInfo("topk", lambda m, a: a.topk(2, dim=-1), [((4,),), ((3, 4),), ((2, 3, 4),)]),
    OpInfo("topk_smallest", lambda m, a: a.topk(3, dim=0, largest=False), [((3, 4),)]),
    OpInfo("sort", lambda m, a: a.sort(), [((4,),), ((3, 4),), ((2, 3, 4),), ((0,),)]),
    OpInfo(
        "sort_descending_dim0",
        lambda m, a: a.sort(dim=0, descending=True),
        [((3, 4),)],
        extra=[_edge([[1.0, NAN], [NAN, 2.0], [3.0, 2.0]])],
    ),
    OpInfo("argsort", lambda m, a: a.argsort(dim=1), [((3, 4),)], differentiable=False),
    OpInfo(
        "median",
        lambda m, a: a.median(),
        [((5,),), ((4,),), ((3, 4),)],
        extra=[_edge([1.0, 2.0, 2.0, 3.0]), _edge([1.0, NAN, 0.0])],
    ),
    OpInfo(
        "median_dim",
        lambda m, a: a.median(dim=1),
        [((3, 4),), ((2, 5, 3),)],
        extra=[_edge([[2.0, 1.0, 2.0, 3.0, 1.0], [1.0, NAN, 0.0, 4.0, 5.0]])],
    ),
    OpInfo("kthvalue", lambda m, a: a.kthvalue(2, dim=1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    OpInfo(
        "mode",
        lambda m, a: a.mode(dim=-1),
        [((3, 4),)],
        extra=[_edge([[2.0, 1.0, 2.0, 3.0, 1.0], [5.0, 5.0, 4.0, 4.0, 3.0]])],
    ),
    # reductions, scans and norms (issue 12)
    OpInfo(
        "cumsum", lambda m, a: a.cumsum(-1), [((),), ((4,),), ((3, 4),), ((2, 3, 4),), ((1, 0, 3),)]
    ),
    OpInfo("cumsum_dim0", lambda m, a: m.cumsum(a, dim=0), [((3, 4),), ((0,),)]),
    OpInfo("cumprod", lambda m, a: a.cumprod(1), [((3, 4),), ((2, 3, 4),), ((1, 0, 3),)]),
    OpInfo("cumprod_0d", lambda m, a: m.cumprod(a, 0), [((),), ((5,),)], views=False),
    OpInfo(
        "logsumexp", lambda m, a: a.logsumexp(-1), [((4,),), ((3, 4),), ((2, 3, 4),), ((1, 0, 3),)]
    ),
    OpInfo(
        "logsumexp_dims_keepdim", lambda m, a: m.logsumexp(a, (0, 2), keepdim=True), [((2, 3, 4),)]
    ),
    OpInfo(
        "logsumexp_stable",
        lambda m, a: a.logsumexp(1),
        [((3, 4),)],
        extra=[_edge([[1000.0, 1000.0, -1000.0], [-1000.0, -1001.0, -2000.0]])],
    ),
    OpInfo("logsumexp_0d", lambda m, a: a.logsumexp(0), [((),)], views=False),
    OpInfo("amax", lambda m, a: a.amax(), _NONEMPTY, extra=[_edge([1.0, 3.0, 3.0, 2.0])]),
    OpInfo(
        "amax_dims",
        lambda m, a: a.amax((0, -1)),
        [((3, 4),), ((2, 3, 4),)],
        extra=[_edge([[1.0, 3.0], [3.0, 2.0]])],
    ),
    OpInfo(
        "amin_dim_keepdim",
        lambda m, a: m.amin(a, 1, keepdim=True),
        [((3, 4),), ((2, 3, 4),), ((0, 3),)],
        extra=[_edge([[1.0, 1.0, 2.0], [0.5, 3.0, 0.5]])],
    ),
    OpInfo("norm", lambda m, a: a.norm(), _REDUCE_SHAPES, extra=[_edge([0.0, 0.0])]),
    OpInfo("norm_dim_keepdim", lambda m, a: a.norm(dim=1, keepdim=True), _DIM_SHAPES),
    OpInfo("norm_p1", lambda m, a: m.norm(a, p=1, dim=0), _DIM_SHAPES[:2], kinks=(0.0,)),
    OpInfo(
        "norm_inf",
        lambda m, a: a.norm(p=float("inf"), dim=-1),
        [((3, 4),), ((4,),)],
        kinks=(0.0,),
        extra=[_edge([1.0, -3.0, 3.0, 2.0])],
    ),
    OpInfo("norm_fro_dims", lambda m, a: a.norm(p="fro", dim=(0, 1)), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("norm_p3", lambda m, a: a.norm(p=3), [((3, 4),)], kinks=(0.0,)),
    OpInfo("linalg_vector_norm", lambda m, a: m.linalg.vector_norm(a, 2, dim=(-1,)), [((3, 4),)]),
    OpInfo(
        "linalg_vector_norm_neg_inf",
        lambda m, a: m.linalg.vector_norm(a, float("-inf")),
        [((3, 4),)],
        kinks=(0.0,),
    ),
    OpInfo("linalg_norm", lambda m, a: m.linalg.norm(a), [((3, 4),), ((2, 3, 4),), ((0,),)]),
    OpInfo("linalg_norm_ord1", lambda m, a: m.linalg.norm(a, 1), [((3, 4),)], kinks=(0.0,)),
    OpInfo(
        "linalg_matrix_norm_inf",
        lambda m, a: m.linalg.matrix_norm(a, float("inf"), keepdim=True),
        [((3, 4),), ((2, 3, 4),)],
        kinks=(0.0,),
    ),
    OpInfo(
        "count_nonzero",
        lambda m, a: m.count_nonzero(a.relu(), dim=1),
        _DIM_SHAPES,
        differentiable=False,
    ),
    OpInfo(
        "count_nonzero_all",
        lambda m, a: (a > 0).count_nonzero(),
        _REDUCE_SHAPES,
        differentiable=False,
    ),
    OpInfo(
        "prod_zeros",
        lambda m, a: a.prod(dim=1),
        [((3, 4),)],
        extra=[_edge([[2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0]])],
    ),
    OpInfo("prod_0d_dim", lambda m, a: a.prod(-1), [((),)], views=False),
    OpInfo("sum_dtype", lambda m, a: a.sum(dim=0, dtype=m.float64), _DIM_SHAPES[:2]),
    OpInfo("mean_dtype", lambda m, a: m.mean(a, dtype=m.float64), _NONEMPTY),
    # linear algebra
    OpInfo(
        "matmul",
        lambda m, a, b: a @ b,
        [
            ((3, 4), (4, 5)),
            ((4,), (4,)),
            ((3, 4), (4,)),
            ((4,), (4, 5)),
            ((2, 3, 4), (4, 5)),
            ((2, 3, 4), (2, 4, 5)),
            ((1, 3, 4), (2, 4, 5)),
            ((2, 1, 3, 4), (3, 4, 2)),
            ((4,), (2, 4, 5)),
            ((0, 4), (4, 5)),
            ((3, 0), (0, 5)),
        ],
        views=False,
        extra=[],
    ),
    # shape and views
    OpInfo("reshape", lambda m, a: a.reshape(4, -1), [((2, 6),), ((8,),), ((2, 2, 3),)]),
    OpInfo("view_flat", lambda m, a: a.view(-1), [((),), ((3, 4),), ((1, 0, 3),)], views=False),
    OpInfo("flatten", lambda m, a: a.flatten(1), [((2, 3, 4),), ((1, 0, 3),)]),
    OpInfo("squeeze", lambda m, a: a.squeeze(), [((1, 3, 1),), ((3, 4),), ((),)]),
    OpInfo("squeeze_dim", lambda m, a: a.squeeze(0), [((1, 3, 1),), ((3, 4),)]),
    OpInfo("unsqueeze", lambda m, a: a.unsqueeze(-1), [((),), ((3, 4),), ((0,),)]),
    OpInfo("transpose", lambda m, a: a.transpose(0, -1), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("permute", lambda m, a: a.permute(2, 0, 1), [((2, 3, 4),), ((1, 0, 3),)]),
    OpInfo("T", lambda m, a: a.T, [((3, 4),), ((2, 5),)]),
    OpInfo("t", lambda m, a: a.t(), [((3, 4),), ((4,),), ((),)]),
    OpInfo("expand", lambda m, a: a.expand(2, 3, 4), [((3, 1),), ((1, 4),), ((4,),), ((),)]),
    OpInfo("getitem_int", lambda m, a: a[1], [((3, 4),), ((2, 3, 4),)]),
    OpInfo("getitem_slice", lambda m, a: a[1:, ::2], [((3, 4),), ((2, 3, 4),)]),
    OpInfo("getitem_none_ellipsis", lambda m, a: a[None, ..., 0], [((3, 4),), ((2, 3, 4),)]),
    OpInfo("getitem_negative", lambda m, a: a[-1, -2:], [((3, 4),)]),
    OpInfo("getitem_mask", lambda m, a: a[a > 0], [((3, 4),), ((5,),), ((0,),)]),
    OpInfo(
        "getitem_index_repeats",
        lambda m, a: a[_idx(m, a, [0, 2, 0, 0])],
        [((3, 4),), ((3,),)],
    ),
    OpInfo(
        "getitem_index_2d",
        lambda m, a: a[_idx(m, a, [[0, 1], [1, 1]]), 1:],
        [((3, 4),), ((2, 3, 4),)],
    ),
    OpInfo(
        "getitem_two_indices",
        lambda m, a: a[_idx(m, a, [0, 2, 2]), _idx(m, a, [1, 1, 3])],
        [((3, 4),)],
    ),
    OpInfo(
        "gather",
        lambda m, a: a.gather(1, _idx(m, a, [[0, 0], [2, 1], [3, 3]])),
        [((3, 4),)],
    ),
    OpInfo(
        "gather_dim0",
        lambda m, a: a.gather(0, _idx(m, a, [[0, 1, 2, 0], [2, 2, 2, 2]])),
        [((3, 4),)],
    ),
    OpInfo("cat", lambda m, a, b: m.cat([a, b, a], dim=0), [((2, 3), (4, 3)), ((0, 3), (2, 3))]),
    OpInfo("cat_dim1", lambda m, a, b: m.cat([a, b], dim=-1), [((2, 3), (2, 1))]),
    OpInfo("stack", lambda m, a, b: m.stack([a, b], dim=1), [((2, 3), (2, 3)), ((0,), (0,))]),
    OpInfo("stack_scalars", lambda m, a, b: m.stack([a, b, a]), [((), ())], views=False),
    OpInfo(
        "masked_fill",
        lambda m, a, b: a.masked_fill(b > 0, -1.5),
        [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 3), (1, 3))],
    ),
    OpInfo("where_scalar", lambda m, a: m.where(a > 0, a, 0.0), [((3, 4),), ((),)]),
    # shaping and indexing (engine/shaping.py)
    OpInfo("flip", lambda m, a: a.flip(0, -1), [((3, 4),), ((2, 3, 4),), ((0, 3),)]),
    OpInfo("flip_0d", lambda m, a: m.flip(a, ()), [((),)], views=False),
    OpInfo("roll", lambda m, a: a.roll((1, -2), (0, 1)), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("roll_flat", lambda m, a: a.roll(5), [((3, 4),), ((),), ((0,),)]),
    OpInfo("diagonal", lambda m, a: a.diagonal(), [((3, 4),), ((4, 3),), ((2, 3, 4),)]),
    OpInfo("diagonal_offset", lambda m, a: a.diagonal(1, -1, 0), [((3, 4, 5),), ((3, 4),)]),
    OpInfo("diag_matrix", lambda m, a: m.diag(a, -1), [((3, 4),), ((4, 4),)]),
    OpInfo("diag_vector", lambda m, a: m.diag(a, 2), [((3,),), ((0,),)], views=False),
    OpInfo("unfold", lambda m, a: a.unfold(1, 2, 2), [((3, 5),), ((3, 4),), ((2, 4, 3),)]),
    OpInfo("unfold_overlap", lambda m, a: a.unfold(0, 3, 1), [((4, 2),), ((5,),)]),
    OpInfo("unflatten", lambda m, a: a.unflatten(1, (2, -1)), [((3, 4),), ((2, 6, 1),)]),
    OpInfo("repeat", lambda m, a: a.repeat(2, 1, 3), [((3, 4),), ((4,),), ((),), ((0, 2),)]),
    OpInfo("tile", lambda m, a: a.tile((2,)), [((3, 4),), ((),)]),
    OpInfo("repeat_interleave", lambda m, a: a.repeat_interleave(2, dim=1), [((3, 4),)]),
    OpInfo("repeat_interleave_flat", lambda m, a: a.repeat_interleave(3), [((2, 2),), ((),)]),
    OpInfo(
        "repeat_interleave_tensor",
        lambda m, a: a.repeat_interleave(_idx(m, a, [1, 0, 2]), dim=0),
        [((3, 4),), ((3,),)],
    ),
    OpInfo("chunk", lambda m, a: m.cat(a.chunk(3, 1), 1), [((3, 5),), ((2, 6),)]),
    OpInfo("split", lambda m, a: m.stack(a.split(2)[:2], 0), [((5, 2),)]),
    OpInfo("split_sizes", lambda m, a: a.split([1, 3], 1)[1], [((3, 4),)]),
    OpInfo("tensor_split", lambda m, a: m.cat(a.tensor_split(3), 0), [((7, 2),)]),
    OpInfo("tensor_split_indices", lambda m, a: a.tensor_split([1, 5], 1)[1], [((2, 7),)]),
    OpInfo("unbind", lambda m, a: a.unbind(1)[2] * 2, [((3, 4),), ((2, 3, 4),)]),
    OpInfo("narrow", lambda m, a: a.narrow(1, -3, 2), [((3, 4),), ((2, 3, 4),)]),
    OpInfo("movedim", lambda m, a: a.movedim((0, 1), (2, 0)), [((2, 3, 4),)]),
    OpInfo("moveaxis", lambda m, a: m.moveaxis(a, 0, -1), [((2, 3, 4),), ((3, 4),)]),
    OpInfo("swapaxes", lambda m, a: m.swapaxes(a, 0, 2), [((2, 3, 4),)]),
    OpInfo("swapdims", lambda m, a: a.swapdims(0, 1), [((3, 4),)]),
    OpInfo(
        "view_as", lambda m, a, b: a.view_as(b), [((3, 4), (4, 3)), ((2, 6), (12,))], views=False
    ),
    OpInfo(
        "meshgrid_ij",
        lambda m, a, b: m.stack(m.meshgrid(a, b, indexing="ij")),
        [((3,), (4,)), ((), (2,))],
    ),
    OpInfo(
        "meshgrid_xy",
        lambda m, a, b, c: m.stack(m.meshgrid(a, b, c, indexing="xy")).sum(0),
        [((3,), (4,), (2,))],
    ),
    OpInfo(
        "masked_select",
        lambda m, a, b: a.masked_select(b > 0),
        [((3, 4), (4,)), ((3, 4), (3, 4)), ((0,), (0,))],
    ),
    OpInfo(
        "masked_fill_0d_value",
        lambda m, a: a.masked_fill(a > 0, m.tensor(2.0, device=a.device)),
        [((3, 4),), ((),)],
    ),
    OpInfo(
        "scatter",
        lambda m, a, b: a.scatter(0, _idx(m, a, [[0, 1, 2], [2, 0, 1]]), b),
        [((3, 4), (2, 3)), ((3, 3), (2, 3))],
    ),
    OpInfo(
        "scatter_value",
        lambda m, a: a.scatter(1, _idx(m, a, [[0], [3], [1]]), 1.5),
        [((3, 4),)],
    ),
    OpInfo(
        "scatter_add",
        lambda m, a, b: a.scatter_add(0, _idx(m, a, [[0, 0, 2], [0, 0, 1]]), b),
        [((3, 4), (2, 3)), ((3, 3), (2, 3))],
    ),
    OpInfo(
        "index_select",
        lambda m, a: a.index_select(1, _idx(m, a, [2, 0, 2])),
        [((3, 4),), ((2, 3, 4),)],
    ),
    OpInfo(
        "index_select_dim0",
        lambda m, a: m.index_select(a, 0, _idx(m, a, [1, 2, 1])),
        [((3, 4),), ((3,),)],
    ),
    OpInfo(
        "index_add",
        lambda m, a, b: a.index_add(0, _idx(m, a, [0, 2, 0]), b, alpha=2),
        [((3, 4), (3, 4))],
    ),
    OpInfo(
        "take_along_dim",
        lambda m, a: m.take_along_dim(a, _idx(m, a, [[0, 2]]), 1),
        [((3, 4),)],
    ),
    OpInfo(
        "take_along_dim_flat",
        lambda m, a: a.take_along_dim(_idx(m, a, [0, 5, 5])),
        [((3, 4),), ((2, 3, 4),)],
        views=False,  # torch 2.13's take_along_dim without dim fails on non-contiguous input
    ),
    OpInfo("outer", lambda m, a, b: m.outer(a, b), [((3,), (4,)), ((0,), (2,))]),
    OpInfo("bmm", lambda m, a, b: m.bmm(a, b), [((2, 3, 4), (2, 4, 5)), ((1, 0, 2), (1, 2, 3))]),
    OpInfo("einsum_matmul", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [((3, 4), (4, 5))]),
    OpInfo("einsum_trace", lambda m, a: m.einsum("ii", a), [((3, 3),)]),
    OpInfo("einsum_diagonal", lambda m, a: m.einsum("ii->i", a), [((3, 3),)]),
    OpInfo(
        "einsum_ellipsis",
        lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b),
        [((2, 3, 4), (2, 4, 5)), ((3, 4), (4, 2))],
        views=False,
    ),
    OpInfo(
        "einsum_three",
        lambda m, a, b, c: m.einsum("ab,bc,cd->ad", a, b, c),
        [((2, 3), (3, 4), (4, 2))],
        views=False,
    ),
    OpInfo("einsum_repeated", lambda m, a, b: m.einsum("iij,jk", a, b), [((3, 3, 4), (4, 2))]),
    OpInfo("einsum_sum_out", lambda m, a: m.einsum("ijk->j", a), [((2, 3, 4),), ((2, 0, 4),)]),
    OpInfo("pad", lambda m, a: m.nn.functional.pad(a, (1, 2)), [((3, 4),), ((4,),), ((0, 2),)]),
    OpInfo(
        "pad_crop",
        lambda m, a: m.nn.functional.pad(a, (-1, 2, 1, -2), value=0.5),
        [((3, 4),), ((2, 3, 4),)],
    ),
    OpInfo("pad_3d", lambda m, a: m.nn.functional.pad(a, (1, 1, 0, 1, 2, 0)), [((2, 3, 4),)]),
    # nn.functional
    # convolution, pooling, batch norm (F is m.nn.functional)
    OpInfo(
        "conv2d",
        lambda m, a, w, b: m.nn.functional.conv2d(a, w, b),
        [((2, 3, 6, 5), (4, 3, 3, 3), (4,))],
    ),
    OpInfo(
        "conv2d_no_bias_padding",
        lambda m, a, w: m.nn.functional.conv2d(a, w, padding=1),
        [((1, 2, 5, 5), (3, 2, 3, 2)), ((2, 4, 4), (3, 2, 3, 3))],
    ),
    OpInfo(
        "conv2d_stride_dilation_groups",
        lambda m, a, w, b: m.nn.functional.conv2d(
            a, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2
        ),
        [((2, 4, 7, 6), (6, 2, 3, 2), (6,))],
    ),
    OpInfo(
        "conv2d_same_even",
        lambda m, a, w: m.nn.functional.conv2d(a, w, padding="same"),
        [((1, 2, 5, 4), (3, 2, 2, 2))],
    ),
    OpInfo(
        "conv1d",
        lambda m, a, w, b: m.nn.functional.conv1d(a, w, b, stride=2, padding=1),
        [((2, 3, 9), (4, 3, 3), (4,))],
    ),
    OpInfo(
        "conv1d_dilation_groups_valid",
        lambda m, a, w: m.nn.functional.conv1d(a, w, padding="valid", dilation=2, groups=3),
        [((2, 3, 9), (6, 1, 2))],
    ),
    OpInfo(
        "max_pool2d", lambda m, a: m.nn.functional.max_pool2d(a, 2), [((2, 3, 6, 4),), ((3, 5, 5),)]
    ),
    OpInfo(
        "max_pool2d_stride_padding_dilation",
        lambda m, a: m.nn.functional.max_pool2d(
            a, (3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2)
        ),
        [((2, 2, 7, 6),)],
    ),
    OpInfo(
        "max_pool2d_ceil_mode",
        lambda m, a: m.nn.functional.max_pool2d(a, 3, 2, padding=1, ceil_mode=True),
        [((1, 2, 6, 7),)],
    ),
    OpInfo("max_pool1d", lambda m, a: m.nn.functional.max_pool1d(a, 3, 2, 1), [((2, 3, 8),)]),
    OpInfo(
        "avg_pool2d", lambda m, a: m.nn.functional.avg_pool2d(a, 2), [((2, 3, 6, 4),), ((3, 5, 5),)]
    ),
    OpInfo(
        "avg_pool2d_padding_ceil",
        lambda m, a: m.nn.functional.avg_pool2d(a, 3, 2, 1, ceil_mode=True),
        [((1, 2, 6, 7),)],
    ),
    OpInfo(
        "avg_pool2d_exclude_pad",
        lambda m, a: m.nn.functional.avg_pool2d(a, (3, 2), (2, 1), (1, 1), count_include_pad=False),
        [((1, 2, 6, 5),)],
    ),
    OpInfo("avg_pool1d", lambda m, a: m.nn.functional.avg_pool1d(a, 3, 2, 1), [((2, 3, 8),)]),
    OpInfo(
        "adaptive_avg_pool2d",
        lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, (3, 2)),
        [((2, 3, 7, 5),), ((3, 4, 4),)],
    ),
    OpInfo(
        "adaptive_avg_pool2d_1",
        lambda m, a: m.nn.functional.adaptive_avg_pool2d(a, 1),
        [((2, 3, 4, 5),)],
    ),
    OpInfo(
        "batch_norm_train",
        lambda m, a, w, b: m.nn.functional.batch_norm(
            a, _stats(m, a, 0), _stats(m, a, 1), w, b, training=True
        ),
        [((4, 3, 2, 2), (3,), (3,)), ((5, 3), (3,), (3,))],
    ),
    OpInfo(
        "batch_norm_train_no_affine",
        lambda m, a: m.nn.functional.batch_norm(a, None, None, training=True, momentum=0.2),
        [((3, 2, 4),)],
    ),
    OpInfo(
        "batch_norm_eval",
        lambda m, a, w, b: m.nn.functional.batch_norm(a, _stats(m, a, 0.5), _stats(m, a, 2), w, b),
        [((4, 3, 2, 2), (3,), (3,))],
    ),
    _unary("gelu", lambda m, a: m.nn.functional.gelu(a), domain=(-4.0, 4.0)),
    _unary("gelu_tanh", lambda m, a: m.nn.functional.gelu(a, approximate="tanh")),
    OpInfo(
        "nll_loss",
        lambda m, a: m.nn.functional.nll_loss(a.log_softmax(1), _idx(m, a, [0, 3, 1])),
        [((3, 4),)],
        tol=SOFTMAX_TOL,
    ),
    OpInfo(
        "nll_loss_all_ignored",
        lambda m, a: m.nn.functional.nll_loss(a.log_softmax(1), _idx(m, a, [2, 2]), ignore_index=2),
        [((2, 4),)],
        tol=SOFTMAX_TOL,
        gradcheck=False,
    ),
    OpInfo(
        "cross_entropy_smoothing",
        lambda m, a: m.nn.functional.cross_entropy(
            a, _idx(m, a, [0, 3, 1]), label_smoothing=0.1, ignore_index=3
        ),
        [((3, 4),)],
    ),
    OpInfo(
        "cross_entropy_none",
        lambda m, a: m.nn.functional.cross_entropy(a, _idx(m, a, [2, 0]), reduction="none"),
        [((2, 4),)],
    ),
    OpInfo("layer_norm", lambda m, a: m.nn.functional.layer_norm(a, (4,)), [((3, 4),)]),
    OpInfo(
        "linear",
        lambda m, a, w, b: m.nn.functional.linear(a, w, b),
        [((3, 4), (5, 4), (5,)), ((2, 3, 4), (5, 4), (5,))],
        views=False,
    ),
    OpInfo(
        "linear_no_bias",
        lambda m, a, w: m.nn.functional.linear(a, w),
        [((3, 4), (5, 4)), ((4,), (5, 4)), ((2, 3, 4), (5, 4))],
        views=False,
    ),
    OpInfo(
        "linear_1d",
        lambda m, a, w, b: m.nn.functional.linear(a, w, b),
        [((4,), (5, 4), (5,))],
        views=False,
    ),
    OpInfo(
        "linear_row_bias",
        lambda m, a, w, b: m.nn.functional.linear(a, w, b),
        [((3, 4), (5, 4), (3, 5))],
        views=False,
    ),
    OpInfo(
        "linear_noncontiguous",
        lambda m, a, w, b: m.nn.functional.linear(a.transpose(0, 1), w, b),
        [((3, 2, 4), (5, 4), (5,))],
        views=False,
    ),
    OpInfo(
        "linear_noncontiguous_no_bias",
        lambda m, a, w: m.nn.functional.linear(a.transpose(0, 1), w),
        [((3, 2, 4), (5, 4))],
        views=False,
    ),
    OpInfo(
        "embedding",
        lambda m, w: m.nn.functional.embedding(_idx(m, w, [[0, 2], [2, 2]]), w),
        [((3, 4),)],
    ),
    OpInfo(
        "embedding_padding_idx",
        lambda m, w: m.nn.functional.embedding(_idx(m, w, [[0, 2], [2, 1]]), w, padding_idx=2),
        [((3, 4),)],
        gradcheck=False,  # the padding row's gradient is 0 by definition, not the slope
    ),
    OpInfo(
        "embedding_0d_index",
        lambda m, w: m.nn.functional.embedding(_idx(m, w, 1), w),
        [((3, 4),)],
        views=False,
    ),
    OpInfo(
        "layer_norm_affine",
        lambda m, a, w, b: m.nn.functional.layer_norm(a, (4,), w, b),
        [((3, 4), (4,), (4,)), ((0, 4), (4,), (4,))],
    ),
    OpInfo(
        "layer_norm_2d_shape",
        lambda m, a, w, b: m.nn.functional.layer_norm(a, (3, 4), w, b, eps=1e-3),
        [((2, 3, 4), (3, 4), (3, 4))],
    ),
    OpInfo(
        "layer_norm_weight_only",
        lambda m, a, w: m.nn.functional.layer_norm(a, (4,), w),
        [((3, 4), (4,))],
    ),
    OpInfo("mse_loss", lambda m, a, b: m.nn.functional.mse_loss(a, b), [((3, 4), (3, 4))]),
    # issue 12: activations, tril/triu, losses, attention
    _unary("softplus", lambda m, a: m.nn.functional.softplus(a), domain=(-4.0, 4.0)),
    _unary(
        "softplus_beta",
        lambda m, a: m.nn.functional.softplus(a, beta=2.0, threshold=3.0),
        domain=(-3.0, 3.0),
        kinks=(1.5,),
    ),
    _unary("silu", lambda m, a: m.nn.functional.silu(a), domain=(-4.0, 4.0)),
    _unary("leaky_relu", lambda m, a: m.nn.functional.leaky_relu(a, 0.2), kinks=(0.0,)),
    _unary("elu", lambda m, a: m.nn.functional.elu(a, alpha=0.7), kinks=(0.0,)),
    _unary(
        "hardtanh",
        lambda m, a: m.nn.functional.hardtanh(a, -0.5, 1.0),
        kinks=(-0.5, 1.0),
    ),
    _unary("relu6", lambda m, a: m.nn.functional.relu6(a), domain=(-2.0, 8.0), kinks=(0.0, 6.0)),
    OpInfo("tril", lambda m, a: a.tril(), [((3, 4),), ((2, 3, 4),), ((4, 3),), ((0, 3),)]),
    OpInfo("tril_diagonal", lambda m, a: m.tril(a, diagonal=-1), [((3, 4),), ((2, 2, 3, 3),)]),
    OpInfo("triu", lambda m, a: a.triu(), [((3, 4),), ((2, 3, 4),), ((1, 0, 3),)]),
    OpInfo("triu_diagonal", lambda m, a: a.triu(diagonal=2), [((3, 4),), ((2, 4, 3),)]),
    OpInfo(
        "binary_cross_entropy",
        lambda m, a, b: m.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
        [((3, 4), (3, 4)), ((), ()), ((5,), (5,))],
    ),
    OpInfo(
        "binary_cross_entropy_weight_sum",
        lambda m, a, b: m.nn.functional.binary_cross_entropy(
            a.sigmoid(), b.sigmoid(), weight=_constant(m, a, [0.5, 1.0, 2.0, 1.5]), reduction="sum"
        ),
        [((3, 4), (3, 4))],
        views=False,
    ),
    OpInfo(
        "binary_cross_entropy_none",
        lambda m, a, b: m.nn.functional.binary_cross_entropy(
            a.sigmoid(), b.sigmoid(), reduction="none"
        ),
        [((3, 4), (3, 4))],
    ),
    OpInfo(
        "bce_with_logits",
        lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid()),
        [((3, 4), (3, 4)), ((), ()), ((0,), (0,))],
        domain=(-4.0, 4.0),
    ),
    OpInfo(
        "bce_with_logits_weights",
        lambda m, a, b: m.nn.functional.binary_cross_entropy_with_logits(
            a,
            b.sigmoid(),
            weight=_constant(m, a, [[0.5], [1.0], [2.0]]),
            pos_weight=_constant(m, a, [3.0, 1.0, 0.5, 2.0]),
            reduction="none",
        ),
        [((3, 4), (3, 4))],
        views=False,
    ),
    OpInfo("l1_loss", lambda m, a, b: m.nn.functional.l1_loss(a, b), [((3, 4), (3, 4))]),
    OpInfo(
        "l1_loss_sum",
        lambda m, a, b: m.nn.functional.l1_loss(a, b, reduction="sum"),
        [((3, 4), (3, 4))],
    ),
    OpInfo(
        "smooth_l1_loss",
        lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b, beta=0.5),
        [((3, 4), (3, 4)), ((), ())],
    ),
    OpInfo(
        "smooth_l1_loss_none",
        lambda m, a, b: m.nn.functional.smooth_l1_loss(a, b, reduction="none"),
        [((3, 4), (3, 4))],
    ),
    OpInfo(
        "huber_loss",
        lambda m, a, b: m.nn.functional.huber_loss(a, b, delta=0.5),
        [((3, 4), (3, 4)), ((), ())],
    ),
    OpInfo(
        "huber_loss_sum",
        lambda m, a, b: m.nn.functional.huber_loss(a, b, reduction="sum", delta=2.0),
        [((3, 4), (3, 4))],
    ),
    OpInfo(
        "nll_loss_weight",
        lambda m, a: m.nn.functional.nll_loss(
            a.log_softmax(1), _idx(m, a, [0, 3, 1]), weight=_constant(m, a, [0.5, 1.0, 2.0, 1.5])
        ),
        [((3, 4),)],
        tol=SOFTMAX_TOL,
        views=False,
    ),
    OpInfo(
        "nll_loss_weight_ignore_none",
        lambda m, a: m.nn.functional.nll_loss(
            a.log_softmax(1),
            _idx(m, a, [0, 3, 1]),
            weight=_constant(m, a, [0.5, 1.0, 2.0, 1.5]),
            ignore_index=3,
            reduction="none",
        ),
        [((3, 4),)],
        tol=SOFTMAX_TOL,
        views=False,
    ),
    OpInfo(
        "scaled_dot_product_attention",
        lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(q, k, v),
        [((2, 3, 4), (2, 5, 4), (2, 5, 3)), ((2, 2, 3, 4), (2, 2, 3, 4), (2, 2, 3, 4))],
        tol=SOFTMAX_TOL,
        views=False,
    ),
    OpInfo(
        "scaled_dot_product_attention_causal",
        lambda m, q, k, v: m.nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=True, scale=0.3
        ),
        [((2, 4, 4), (2, 4, 4), (2, 4, 2))],
        tol=SOFTMAX_TOL,
        views=False,
    ),
    OpInfo(
        "scaled_dot_product_attention_float_mask",
        lambda m, q, k, v, mask: m.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=mask
        ),
        [((2, 3, 4), (2, 5, 4), (2, 5, 3), (3, 5))],
        tol=SOFTMAX_TOL,
        views=False,
    ),
    # in place, on tensors inside a graph (a * 1 is a non-leaf copy of the leaf a)
    OpInfo(
        "add_", lambda m, a, b: (a * 1).add_(b, alpha=2), _BINARY_SHAPES[1:2] + [((3, 4), (4,))]
    ),
    OpInfo(
        "mul_saves_the_old_self", lambda m, a, b: _changed((a * 1), "mul_", b), [((3, 4), (3, 4))]
    ),
    OpInfo("div_scalar_", lambda m, a: _changed(a + 1, "div_", 4.0).sum(0), [((3, 4),)]),
    OpInfo("clamp_", lambda m, a: (a * 1).clamp_(min=-0.5), [((3, 4),)], kinks=(-0.5,)),
    OpInfo("zero_", lambda m, a, b: (a * 1).zero_() + a * b, [((3, 4), (3, 4))]),
    OpInfo("copy_", lambda m, a, b: (a * 1).copy_(b) * a, [((3, 4), (4,)), ((3, 4), (3, 4))]),
    OpInfo(
        "masked_fill_",
        lambda m, a, b: (a * 1).masked_fill_(b > 0, 2.0),
        [((3, 4), (3, 4))],
        views=False,
    ),
    OpInfo(
        "setitem_slice", lambda m, a, b: _set(a * 1, (slice(1, None),), b * 3), [((3, 4), (2, 4))]
    ),
    OpInfo("setitem_int_number", lambda m, a: _set(a * 1, (0, 1), 5.0), [((3, 4),)]),
    OpInfo(
        "setitem_index",
        lambda m, a, b: _set(a * 1, (_idx(m, a, [2, 0]),), b),
        [((3, 4), (2, 4)), ((3, 4), (4,))],
        views=False,
    ),
    OpInfo("inplace_through_a_view", lambda m, a, b: _through_view(a * 1, b), [((3, 4), (4,))]),
    OpInfo(
        "manual_softmax_gradient",  # the lesson that checks autograd against a hand-made one
        lambda m, a: _softmax_minus_onehot(m, a),
        [((4, 3),)],
        tol=SOFTMAX_TOL,
        views=False,
    ),
]


def _changed(t, method: str, other):
    getattr(t, method)(other)
    return t


def _set(t, key, value):
    t[key] = value
    return t


def _through_view(c, b):
    row = c[1]  # a view: changing it changes c
    row.mul_(b)
    row += 1
    return c


def _softmax_minus_onehot(m, logits):
    d = logits.softmax(1).clone()
    d[range(4), _idx(m, logits, [0, 2, 1, 0])] -= 1
    d /= 4
    return d


OPS_BY_NAME = {op.name: op for op in OPS}


# ---------------------------------------------------------------------- running
def _engine_inputs(sample: Sample, device, dtype="float32"):
    import nnbench.engine as ne

    tensors = []
    for array in sample.arrays:
        t = ne.tensor(array.astype(dtype), device=device, requires_grad=True)
        tensors.append(t)
    return tensors, [_view(t, sample.view) for t in tensors]


def _torch_inputs(sample: Sample, dtype="float32"):
    import torch

    tensors = [torch.tensor(a.astype(dtype), requires_grad=True) for a in sample.arrays]
    return tensors, [_view(t, sample.view) for t in tensors]


def _view(t, view):
    if view == "T":
        return t.T
    if view == "step":
        return t[::2]
    return t


def _outputs(result) -> tuple:
    return tuple(result) if isinstance(result, tuple) else (result,)


def _np(value) -> np.ndarray:
    if hasattr(value, "array"):  # an engine tensor
        return value.detach().device.backend.to_numpy(value.array)
    return value.detach().cpu().numpy()


def _weights(shape, seed=1) -> np.ndarray:
    """A fixed random upstream gradient, so no gradient is checked only through sums."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, size=shape)


@dataclass
class Comparison:
    op: str
    sample: str
    forward_error: float
    grad_error: float
    passed: bool
    message: str = ""


def _max_error(x: np.ndarray, y: np.ndarray, tol) -> tuple[float, bool, str]:
    if x.shape != y.shape:
        return float("inf"), False, f"shape {x.shape} vs torch {y.shape}"
    if x.dtype != y.dtype:
        return float("inf"), False, f"dtype {x.dtype} vs torch {y.dtype}"
    if x.size == 0:
        return 0.0, True, ""
    if x.dtype.kind in "biu":
        ok = bool(np.array_equal(x, y))
        return (0.0 if ok else float(np.max(np.abs(x.astype(float) - y)))), ok, ""
    same_nan = np.isnan(x) == np.isnan(y)
    xf, yf = np.nan_to_num(x.astype(np.float64)), np.nan_to_num(y.astype(np.float64))
    error = float(np.max(np.abs(xf - yf)))
    ok = bool(same_nan.all() and np.allclose(xf, yf, atol=tol[0], rtol=tol[1]))
    return error, ok, ""


def compare(op: OpInfo, sample: Sample, device="cpu") -> Comparison:
    """Run one sample through the engine on ``device`` and through PyTorch; compare all."""
    import torch

    import nnbench.engine as ne

    leaves, inputs = _engine_inputs(sample, device)
    torch_leaves, torch_inputs = _torch_inputs(sample)
    ours = _outputs(op.fn(ne, *inputs))
    theirs = _outputs(op.fn(torch, *torch_inputs))
    forward_error, passed, message = 0.0, True, ""
    for o, t in zip(ours, theirs):
        error, ok, why = _max_error(_np(o), _np(t), op.tol)
        forward_error = max(forward_error, error)
        passed, message = passed and ok, message or why
    grad_error = 0.0
    if op.differentiable and passed:
        weights = _weights(tuple(theirs[0].shape))
        (ours[0] * ne.tensor(weights.astype("float32"), device=device)).sum().backward()
        (theirs[0] * torch.tensor(weights.astype("float32"))).sum().backward()
        for mine, reference in zip(leaves, torch_leaves):
            if reference.grad is None:
                continue
            if mine.grad is None:
                passed, message = False, "the engine produced no gradient"
                break
            error, ok, why = _max_error(_np(mine.grad), _np(reference.grad), GRAD_TOL)
            grad_error = max(grad_error, error)
            passed, message = passed and ok, message or why
    return Comparison(op.name, sample.describe(), forward_error, grad_error, passed, message)


def gradcheck(fn: Callable, arrays, device="cpu", view=None) -> tuple[bool, float, str]:
    """Compare the engine's gradients with float64 central differences.

    Returns (passed, largest error, description of the worst element).
    """
    import nnbench.engine as ne

    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    sample = Sample(tuple(arrays), view=view)
    leaves, inputs = _engine_inputs(sample, device, dtype="float64")
    out = _outputs(fn(ne, *inputs))[0]
    weights = _weights(tuple(out.shape))
    (out * ne.tensor(weights, device=device)).sum().backward()

    def objective(values):
        _, views = _engine_inputs(Sample(tuple(values), view=view), device, dtype="float64")
        with ne.no_grad():
            result = _outputs(fn(ne, *views))[0]
        return float((_np(result) * weights).sum())

    worst, where = 0.0, ""
    atol, rtol = GRADCHECK_TOL
    passed = True
    for i, array in enumerate(arrays):
        analytic = np.zeros(array.shape) if leaves[i].grad is None else _np(leaves[i].grad)
        for position in np.ndindex(array.shape):
            values = [a.copy() for a in arrays]
            values[i][position] += GRADCHECK_EPS
            up = objective(values)
            values[i][position] -= 2 * GRADCHECK_EPS
            down = objective(values)
            numeric = (up - down) / (2 * GRADCHECK_EPS)
            error = abs(analytic[position] - numeric)
            if error > worst:
                worst = error
                where = (
                    f"input {i} at {position}: engine {analytic[position]:.6g}, "
                    f"numeric {numeric:.6g}"
                )
            if error > atol + rtol * abs(numeric):
                passed = False
    return passed, worst, where


def functions_run(samples_per_op: int = 2) -> set:
    """The op classes that the table's samples run (the table's coverage of engine/ops)."""
    import nnbench.engine as ne

    seen = set()
    for op in OPS:
        for sample in op.samples()[:samples_per_op]:
            with ne.trace() as recorded:
                _, inputs = _engine_inputs(sample, "numpy")
                op.fn(ne, *inputs)
            seen.update(record.function for record in recorded)
    return seen


def _weighted_loss(out, device):
    import nnbench.engine as ne

    weights = _weights(tuple(out.shape)).astype(out.dtype.name)
    return (out * ne.tensor(weights, device=device)).sum()


def check_rules(op: OpInfo, sample: Sample, device="cpu") -> list[str]:
    """Each backward node's rule words, evaluated with its named values, against the
    gradient its code sent; one line per input where they disagree (none: all agree)."""
    import nnbench.engine as ne
    from nnbench.engine import autograd, rules

    _, inputs = _engine_inputs(sample, device)
    out = _outputs(op.fn(ne, *inputs))[0]
    problems = []
    for step in autograd.backward_steps(_weighted_loss(out, device)):
        if isinstance(step.node, autograd.Function):
            problems += _rule_problems(step, rules)
    return problems


def _rule_problems(step, rules) -> list[str]:
    node, problems = step.node, []
    for i, sent in enumerate(step.grad_inputs):
        if sent is None:
            continue
        where = f"{node.name()} grad_{node.input_name(i)}"
        rule = node.rules[i] if i < len(node.rules) else ""
        if not rule:
            problems.append(f"{where}: no rule in words")
            continue
        try:
            said = rules.evaluate(rule, {"grad": step.grad_output, **step.values})
            said = rules.sum_to_shape(np, said, tuple(sent.shape))
        except Exception as error:
            problems.append(f"{where} = {rule}: cannot be evaluated ({error})")
            continue
        computed = to_numpy(sent)
        if said.shape != computed.shape or not np.allclose(said, computed, *GRAD_TOL[::-1]):
            worst = np.max(np.abs(said - computed)) if said.shape == computed.shape else "shape"
            problems.append(f"{where} = {rule}: the words give {worst} away from the code")
    return problems


def check_nodes(op: OpInfo, sample: Sample, device="cpu") -> list[tuple[str, str, float | None]]:
    """The Graph pane's per-node PyTorch check on one sample: (op class, "forward" or
    "backward", max |engine - torch|, None where the op is not checked) for every node."""
    import nnbench.engine as ne
    from nnbench.engine import autograd

    from . import oracle

    _, inputs = _engine_inputs(sample, device)
    with ne.trace() as recorded:
        out = _outputs(op.fn(ne, *inputs))[0]
    results, replayed = [], {}
    for step in recorded.replay():  # the values the Graph pane checks: the replay's own
        record = step.record
        replayed[record.node] = step.inputs  # as they were (an in-place op changes them later)
        difference = oracle.forward_difference(
            record.function, record.params, step.inputs, step.output
        )
        results.append((record.function.__name__, "forward", difference))
    if not (op.differentiable and out.requires_grad):
        return results
    by_node = {record.node: record for record in recorded}
    for step in autograd.backward_steps(_weighted_loss(out, device)):
        record = by_node.get(step.node)
        if record is not None:
            arrays = replayed[step.node]
            difference = oracle.backward_difference(
                record.function,
                record.params,
                arrays,
                step.grad_output,
                step.grad_inputs,
                step.node.needs_input_grad,
            )
            results.append((record.function.__name__, "backward", difference))
    return results


def check_all(device="cpu", ops=None) -> list[Comparison]:
    """Every op on every sample against PyTorch: what ``nnbench check`` prints."""
    results = []
    for op in OPS if ops is None else ops:
        for sample in op.samples():
            try:
                results.append(compare(op, sample, device))
            except Exception as error:  # a crash is a failed check, reported, not raised
                first_line = f"{type(error).__name__}: {error}".splitlines()[0]
                results.append(
                    Comparison(op.name, sample.describe(), math.nan, math.nan, False, first_line)
                )
    return results


def format_table(results: list[Comparison], per_sample: bool = False, device="cpu") -> str:
    """One row per op (or per sample): the largest forward and gradient errors."""
    rows = []
    if per_sample:
        for r in results:
            rows.append(
                (f"{r.op} {r.sample}", 1, r.forward_error, r.grad_error, r.passed, r.message)
            )
    else:
        by_op: dict[str, list[Comparison]] = {}
        for r in results:
            by_op.setdefault(r.op, []).append(r)
        for name, group in by_op.items():
            failed = [r for r in group if not r.passed]
            rows.append(
                (
                    name,
                    len(group),
                    max(r.forward_error for r in group),
                    max(r.grad_error for r in group),
                    not failed,
                    failed[0].sample + ": " + failed[0].message if failed else "",
                )
            )
    width = max(len(row[0]) for row in rows) if rows else 10
    lines = [
        f"nnbench check: the engine on {device} against PyTorch "
        f"(forward atol {FORWARD_TOL[0]:g} rtol {FORWARD_TOL[1]:g}, "
        f"gradients atol {GRAD_TOL[0]:g} rtol {GRAD_TOL[1]:g})",
        f"{'op':<{width}}  samples  forward max err  grad max err  result",
    ]
    for name, count, forward, grad, passed, message in rows:
        verdict = "pass" if passed else f"FAIL {message}"
        lines.append(f"{name:<{width}}  {count:>7}  {forward:>15.3g}  {grad:>12.3g}  {verdict}")
    failed = sum(1 for row in rows if not row[4])
    lines.append(f"{len(rows) - failed} passed, {failed} failed")
    return "\n".join(lines)
