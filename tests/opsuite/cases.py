"""The op suite's cases, written in plain PyTorch from PyTorch's documented behaviour.

Each case takes a namespace ``t`` (``t.torch``, ``t.nn``, ``t.F``, ``t.optim``, ``t.data``) and
returns a result: a tensor, a tuple/list of them, a number, a bool, a dtype or None, or it
raises (cases marked ``error=True``: the engine must raise the same built-in class). Inputs
come from numpy with fixed seeds; torch's RNG is used only by cases that test RNG properties.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

CATEGORIES = [
    "elementwise",
    "reductions",
    "shape_indexing",
    "creation_dtype",
    "nn_layers",
    "losses",
    "optim",
    "autograd",
]


@dataclass
class Case:
    name: str
    category: str
    fn: Callable
    rtol: float = 1e-4
    atol: float = 1e-5
    error: bool = False


CASES: list[Case] = []
_NAMES: set[str] = set()


def add(category: str, name: str, fn: Callable, **kw) -> None:
    assert category in CATEGORIES, category
    assert name not in _NAMES, f"duplicate case {name}"
    _NAMES.add(name)
    CASES.append(Case(name, category, fn, **kw))


def case(category: str, **kw):
    def deco(fn):
        add(category, fn.__name__.removeprefix("c_"), fn, **kw)
        return fn

    return deco


# ---- inputs from numpy ----------------------------------------------------------------


def A(*shape, seed=0, lo=-2.0, hi=2.0, dtype=np.float32):
    """Uniform floats in [lo, hi)."""
    return np.asarray(np.random.default_rng(seed).uniform(lo, hi, size=shape), dtype=dtype)


def I(*shape, seed=0, lo=-5, hi=6, dtype=np.int64):  # noqa: E743
    return np.asarray(np.random.default_rng(seed).integers(lo, hi, size=shape), dtype=dtype)


def B(*shape, seed=0):
    return np.asarray(np.random.default_rng(seed).random(shape) > 0.5)


def T(t, a, grad=False):
    return t.torch.tensor(a, requires_grad=grad)


def backward_weighted(t, out, seed=99):
    """out.backward() on a fixed weighted sum, so every element's gradient counts."""
    w = T(t, A(*tuple(out.shape), seed=seed, lo=0.5, hi=1.5))
    (out * w).sum().backward()


def fwd_grad(t, fn, *arrays):
    """fn on leaves made from arrays; returns (out, grad of each leaf)."""
    leaves = [T(t, a, True) for a in arrays]
    out = fn(*leaves)
    backward_weighted(t, out)
    return (out.detach(), *[leaf.grad for leaf in leaves])


def set_params(t, module, seed=0, scale=0.5):
    """Copy deterministic numpy values into every parameter (seeded by its name), so both
    sides hold the same."""
    with t.torch.no_grad():
        for name, p in module.named_parameters():
            s = seed + zlib.crc32(name.encode())
            p.copy_(T(t, A(*tuple(p.shape), seed=s, lo=-scale, hi=scale)))
    return module


# =======================================================================================
# elementwise
# =======================================================================================

# (name, function of (t, x), domain lo, hi, has a Tensor method of the same name)
_UNARY = [
    ("tan", lambda t, x: t.torch.tan(x), -1.2, 1.2, True),
    ("asin", lambda t, x: t.torch.asin(x), -0.9, 0.9, True),
    ("acos", lambda t, x: t.torch.acos(x), -0.9, 0.9, True),
    ("atan", lambda t, x: t.torch.atan(x), -3, 3, True),
    ("sinh", lambda t, x: t.torch.sinh(x), -2, 2, True),
    ("cosh", lambda t, x: t.torch.cosh(x), -2, 2, True),
    ("asinh", lambda t, x: t.torch.asinh(x), -3, 3, True),
    ("acosh", lambda t, x: t.torch.acosh(x), 1.1, 4, True),
    ("atanh", lambda t, x: t.torch.atanh(x), -0.9, 0.9, True),
    ("rsqrt", lambda t, x: t.torch.rsqrt(x), 0.2, 4, True),
    ("log2", lambda t, x: t.torch.log2(x), 0.2, 4, True),
    ("log10", lambda t, x: t.torch.log10(x), 0.2, 4, True),
    ("log1p", lambda t, x: t.torch.log1p(x), -0.5, 3, True),
    ("exp2", lambda t, x: t.torch.exp2(x), -2, 2, True),
    ("expm1", lambda t, x: t.torch.expm1(x), -2, 2, True),
    ("floor", lambda t, x: t.torch.floor(x), -3, 3, True),
    ("ceil", lambda t, x: t.torch.ceil(x), -3, 3, True),
    ("round", lambda t, x: t.torch.round(x), -3, 3, True),
    ("trunc", lambda t, x: t.torch.trunc(x), -3, 3, True),
    ("frac", lambda t, x: t.torch.frac(x), -3, 3, True),
    ("sign", lambda t, x: t.torch.sign(x), -3, 3, True),
    ("erf", lambda t, x: t.torch.erf(x), -2, 2, True),
    ("sqrt", lambda t, x: t.torch.sqrt(x), 0.2, 4, True),
    ("exp", lambda t, x: t.torch.exp(x), -2, 2, True),
    ("log", lambda t, x: t.torch.log(x), 0.2, 4, True),
    ("sin", lambda t, x: t.torch.sin(x), -3, 3, True),
    ("cos", lambda t, x: t.torch.cos(x), -3, 3, True),
    ("tanh", lambda t, x: t.torch.tanh(x), -2, 2, True),
    ("sigmoid", lambda t, x: t.torch.sigmoid(x), -3, 3, True),
    ("abs", lambda t, x: t.torch.abs(x), -3, 3, True),
    ("neg", lambda t, x: t.torch.neg(x), -3, 3, True),
    ("reciprocal", lambda t, x: t.torch.reciprocal(x), 0.3, 3, True),
    ("square", lambda t, x: t.torch.square(x), -3, 3, True),
    ("relu", lambda t, x: t.torch.relu(x), -3, 3, True),
    ("softplus", lambda t, x: t.F.softplus(x), -3, 3, False),
    ("softplus_beta", lambda t, x: t.F.softplus(x, beta=2.0, threshold=5.0), -4, 4, False),
    ("silu", lambda t, x: t.F.silu(x), -3, 3, False),
    ("leaky_relu", lambda t, x: t.F.leaky_relu(x), -3, 3, False),
    ("leaky_relu_slope", lambda t, x: t.F.leaky_relu(x, negative_slope=0.2), -3, 3, False),
    ("elu", lambda t, x: t.F.elu(x), -3, 3, False),
    ("elu_alpha", lambda t, x: t.F.elu(x, alpha=0.5), -3, 3, False),
    ("hardtanh", lambda t, x: t.F.hardtanh(x), -3, 3, False),
    ("hardtanh_bounds", lambda t, x: t.F.hardtanh(x, min_val=-0.5, max_val=2.0), -3, 3, False),
    ("gelu", lambda t, x: t.F.gelu(x), -3, 3, False),
    ("gelu_tanh", lambda t, x: t.F.gelu(x, approximate="tanh"), -3, 3, False),
    ("F_relu", lambda t, x: t.F.relu(x), -3, 3, False),
    ("F_sigmoid", lambda t, x: t.F.sigmoid(x), -3, 3, False),
    ("F_tanh", lambda t, x: t.F.tanh(x), -3, 3, False),
    ("round_decimals", lambda t, x: t.torch.round(x, decimals=2), -3, 3, False),
    ("clamp_scalar", lambda t, x: t.torch.clamp(x, -1.0, 1.5), -3, 3, False),
    ("clamp_min_only", lambda t, x: t.torch.clamp(x, min=0.5), -3, 3, False),
    ("clamp_max_only", lambda t, x: x.clamp(max=-0.5), -3, 3, False),
    ("clip", lambda t, x: t.torch.clip(x, -1, 1), -3, 3, False),
    ("pow_scalar", lambda t, x: x**3, -2, 2, False),
    ("pow_half", lambda t, x: t.torch.pow(x, 0.5), 0.2, 3, False),
    ("rpow", lambda t, x: 2.0**x, -2, 2, False),
    ("rsub", lambda t, x: 1 - x, -2, 2, False),
    ("rdiv", lambda t, x: 1 / x, 0.3, 3, False),
]


def _unary_cases():
    for name, f, lo, hi, method in _UNARY:

        def grad_case(t, f=f, lo=lo, hi=hi):
            return fwd_grad(t, lambda x: f(t, x), A(3, 4, seed=1, lo=lo, hi=hi))

        add("elementwise", f"{name}_grad", grad_case)

        def f64_case(t, f=f, lo=lo, hi=hi):
            return f(t, T(t, A(5, seed=2, lo=lo, hi=hi, dtype=np.float64)))

        add("elementwise", f"{name}_f64", f64_case, rtol=1e-7, atol=1e-9)
        if method:

            def method_case(t, name=name, lo=lo, hi=hi):
                x = T(t, A(2, 3, seed=3, lo=lo, hi=hi))
                return getattr(x, name)()

            add("elementwise", f"{name}_method", method_case)


_unary_cases()


def _zero_d_and_empty():
    for name in ["exp", "tan", "floor", "sign", "log1p", "atan", "expm1", "frac"]:
        add(
            "elementwise",
            f"{name}_0d",
            lambda t, name=name: getattr(t.torch, name)(T(t, np.float32(0.3))),
        )
        add(
            "elementwise",
            f"{name}_empty",
            lambda t, name=name: getattr(t.torch, name)(T(t, np.zeros((0, 3), np.float32))),
        )


_zero_d_and_empty()

# integer inputs to float functions promote to float32; to integer-preserving ones stay int64
for _name in ["sqrt", "exp", "sin", "log1p", "tanh", "sigmoid", "erf", "atan", "exp2", "rsqrt"]:
    add(
        "elementwise",
        f"{_name}_int_promotes",
        lambda t, n=_name: getattr(t.torch, n)(T(t, I(5, lo=1, hi=6))),
    )
for _name in ["abs", "neg", "sign", "floor", "ceil", "trunc", "round", "square"]:
    add("elementwise", f"{_name}_int_keeps", lambda t, n=_name: getattr(t.torch, n)(T(t, I(5))))

# binary: (name, f(t, a, b), a domain, b domain)
_BINARY = [
    ("add", lambda t, a, b: a + b, (-2, 2), (-2, 2)),
    ("sub", lambda t, a, b: a - b, (-2, 2), (-2, 2)),
    ("mul", lambda t, a, b: a * b, (-2, 2), (-2, 2)),
    ("div", lambda t, a, b: a / b, (-2, 2), (0.5, 2)),
    ("pow", lambda t, a, b: a**b, (0.5, 2), (-1.5, 1.5)),
    ("atan2", lambda t, a, b: t.torch.atan2(a, b), (-2, 2), (0.3, 2)),
    ("hypot", lambda t, a, b: t.torch.hypot(a, b), (0.3, 2), (-2, -0.3)),
    ("fmod", lambda t, a, b: t.torch.fmod(a, b), (-5, 5), (0.7, 1.9)),
    ("remainder", lambda t, a, b: t.torch.remainder(a, b), (-5, 5), (0.7, 1.9)),
    ("mod_op", lambda t, a, b: a % b, (-5, 5), (-1.9, -0.7)),
    ("maximum", lambda t, a, b: t.torch.maximum(a, b), (-2, 2), (-2, 2)),
    ("minimum", lambda t, a, b: t.torch.minimum(a, b), (-2, 2), (-2, 2)),
    ("lerp_scalar", lambda t, a, b: t.torch.lerp(a, b, 0.3), (-2, 2), (-2, 2)),
    ("add_alpha", lambda t, a, b: t.torch.add(a, b, alpha=2.5), (-2, 2), (-2, 2)),
    ("sub_alpha", lambda t, a, b: t.torch.sub(a, b, alpha=0.5), (-2, 2), (-2, 2)),
    ("div_true", lambda t, a, b: t.torch.div(a, b), (-2, 2), (0.5, 2)),
    ("mul_method", lambda t, a, b: a.mul(b), (-2, 2), (-2, 2)),
    ("true_divide", lambda t, a, b: t.torch.true_divide(a, b), (-2, 2), (0.5, 2)),
]


def _binary_cases():
    for name, f, da, db in _BINARY:

        def grad_case(t, f=f, da=da, db=db):
            return fwd_grad(
                t,
                lambda a, b: f(t, a, b),
                A(3, 4, seed=4, lo=da[0], hi=da[1]),
                A(3, 4, seed=5, lo=db[0], hi=db[1]),
            )

        add("elementwise", f"{name}_grad", grad_case)

        def bcast_case(t, f=f, da=da, db=db):
            return fwd_grad(
                t,
                lambda a, b: f(t, a, b),
                A(2, 1, 4, seed=6, lo=da[0], hi=da[1]),
                A(3, 1, seed=7, lo=db[0], hi=db[1]),
            )

        add("elementwise", f"{name}_broadcast_grad", bcast_case)


_binary_cases()


@case("elementwise")
def c_lerp_tensor_weight(t):
    return fwd_grad(
        t,
        lambda a, b, w: t.torch.lerp(a, b, w),
        A(4, seed=1),
        A(4, seed=2),
        A(4, seed=3, lo=0, hi=1),
    )


@case("elementwise")
def c_clamp_tensor_bounds(t):
    x = A(3, 4, seed=1, lo=-3, hi=3)
    lo, hi = A(3, 4, seed=2, lo=-1.5, hi=-0.2), A(4, seed=3, lo=0.2, hi=1.5)
    return fwd_grad(t, lambda x: t.torch.clamp(x, min=T(t, lo), max=T(t, hi)), x)


@case("elementwise")
def c_clamp_int(t):
    return t.torch.clamp(T(t, I(6)), -2, 3)


@case("elementwise")
def c_clamp_int_float_bound(t):
    return t.torch.clamp(T(t, I(6)), min=-1.5)


@case("elementwise")
def c_floor_divide_float(t):
    return t.torch.floor_divide(T(t, A(6, seed=1, lo=-5, hi=5)), T(t, A(6, seed=2, lo=0.5, hi=2)))


@case("elementwise")
def c_floordiv_op_int(t):
    return T(t, np.array([7, -7, 7, -7, 0])) // T(t, np.array([2, 2, -2, -2, 3]))


@case("elementwise")
def c_floordiv_op_scalar(t):
    return T(t, np.array([7, -7, 5])) // 2


@case("elementwise")
def c_floordiv_float_scalar(t):
    return T(t, np.array([7.5, -7.5, 0.5], np.float32)) // 2


@case("elementwise")
def c_mod_int_negative(t):
    return T(t, np.array([7, -7, 7, -7])) % T(t, np.array([3, 3, -3, -3]))


@case("elementwise")
def c_mod_int_scalar(t):
    return T(t, np.array([7, -7, 4])) % 3


@case("elementwise")
def c_fmod_int(t):
    return t.torch.fmod(T(t, np.array([7, -7, 7, -7])), T(t, np.array([3, 3, -3, -3])))


@case("elementwise")
def c_remainder_scalar(t):
    return t.torch.remainder(T(t, A(5, seed=1, lo=-4, hi=4)), 1.5)


@case("elementwise")
def c_fmod_scalar(t):
    return t.torch.fmod(T(t, A(5, seed=1, lo=-4, hi=4)), 1.5)


for _mode in ["trunc", "floor"]:
    add(
        "elementwise",
        f"div_rounding_{_mode}_float",
        lambda t, m=_mode: t.torch.div(
            T(t, A(6, seed=1, lo=-5, hi=5)), T(t, A(6, seed=2, lo=0.5, hi=2)), rounding_mode=m
        ),
    )
    add(
        "elementwise",
        f"div_rounding_{_mode}_int",
        lambda t, m=_mode: t.torch.div(
            T(t, np.array([7, -7, 7, -7])), T(t, np.array([2, 2, -2, -2])), rounding_mode=m
        ),
    )
    add(
        "elementwise",
        f"div_rounding_{_mode}_method",
        lambda t, m=_mode: T(t, np.array([7, -7, 9])).div(2, rounding_mode=m),
    )
add(
    "elementwise",
    "div_rounding_none",
    lambda t: t.torch.div(T(t, np.array([7, -7])), 2, rounding_mode=None),
)
add(
    "elementwise",
    "div_rounding_bad",
    error=True,
    fn=lambda t: t.torch.div(T(t, A(3)), 2.0, rounding_mode="ceil"),
)


@case("elementwise")
def c_int_true_div_is_float(t):
    return T(t, np.array([1, 2, 3])) / T(t, np.array([2, 2, 2]))


@case("elementwise")
def c_int_div_scalar_is_float(t):
    return T(t, np.array([1, 2, 3])) / 2


@case("elementwise")
def c_int_plus_int(t):
    return T(t, I(4, seed=1)) + T(t, I(4, seed=2))


@case("elementwise")
def c_int_times_float_scalar(t):
    return T(t, I(4)) * 2.5


@case("elementwise")
def c_int_plus_int_scalar(t):
    return T(t, I(4)) + 3


@case("elementwise")
def c_int_plus_float_tensor(t):
    return T(t, I(4)) + T(t, A(4))


@case("elementwise")
def c_f32_plus_f64(t):
    return T(t, A(4)) + T(t, A(4, dtype=np.float64))


@case("elementwise")
def c_f32_plus_0d_f64(t):
    return T(t, A(4)) + T(t, np.float64(1.5))


@case("elementwise")
def c_int_plus_0d_float(t):
    return T(t, I(4)) + T(t, np.float64(1.5))


@case("elementwise")
def c_bool_plus_bool(t):
    return T(t, B(5, seed=1)) + T(t, B(5, seed=2))


@case("elementwise")
def c_bool_plus_int(t):
    return T(t, B(5)) + 1


@case("elementwise")
def c_bool_times_float(t):
    return T(t, B(5)) * T(t, A(5))


@case("elementwise")
def c_int_pow_int(t):
    return T(t, np.array([1, 2, 3, 4])) ** 2


@case("elementwise")
def c_int_pow_float(t):
    return T(t, np.array([1, 2, 3, 4])) ** 0.5


@case("elementwise")
def c_int_pow_negative_error(t):
    return T(t, np.array([1, 2, 3])) ** -1


CASES[-1].error = True


@case("elementwise")
def c_scalar_pow_int_tensor(t):
    return 2 ** T(t, np.array([0, 1, 2, 3]))


@case("elementwise")
def c_int_neg(t):
    return -T(t, I(5))


@case("elementwise")
def c_bool_neg_error(t):
    return -T(t, B(5))


CASES[-1].error = True


@case("elementwise")
def c_bool_sub_error(t):
    return T(t, B(3)) - T(t, B(3, seed=1))


CASES[-1].error = True


@case("elementwise")
def c_add_shape_mismatch_error(t):
    return T(t, A(3)) + T(t, A(4))


CASES[-1].error = True


@case("elementwise")
def c_broadcast_3d(t):
    return T(t, A(2, 1, 3)) * T(t, A(4, 1, seed=1)) - T(t, A(3, seed=2))


@case("elementwise")
def c_empty_broadcast(t):
    return T(t, A(0, 3)) + T(t, A(3))


@case("elementwise")
def c_0d_arith(t):
    x = T(t, np.float32(2.0))
    return x * 3 + x**2 - 1 / x


# comparisons
for _op, _f in [
    ("eq", lambda a, b: a == b),
    ("ne", lambda a, b: a != b),
    ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b),
    ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b),
]:
    add(
        "elementwise",
        f"cmp_{_op}_op",
        lambda t, f=_f: f(T(t, I(6, seed=1, lo=0, hi=3)), T(t, I(6, seed=2, lo=0, hi=3))),
    )
    add(
        "elementwise",
        f"cmp_{_op}_fn_scalar",
        lambda t, op=_op: getattr(t.torch, op)(T(t, A(6, seed=1)), 0.5),
    )
    add(
        "elementwise",
        f"cmp_{_op}_int_float",
        lambda t, f=_f: f(T(t, I(6, lo=0, hi=3)), T(t, A(6, seed=3, lo=0, hi=3))),
    )


def _special():
    return np.array([0.0, 1.0, -np.inf, np.inf, np.nan, -2.5], np.float32)


for _name in ["isnan", "isinf", "isfinite"]:
    add("elementwise", f"{_name}", lambda t, n=_name: getattr(t.torch, n)(T(t, _special())))
    add("elementwise", f"{_name}_method", lambda t, n=_name: getattr(T(t, _special()), n)())
    add("elementwise", f"{_name}_int", lambda t, n=_name: getattr(t.torch, n)(T(t, I(4))))


@case("elementwise")
def c_isclose(t):
    a = np.array([1.0, 1.0001, 2.0, np.nan, 1e-9], np.float32)
    b = np.array([1.0, 1.0, 2.1, np.nan, 0.0], np.float32)
    return t.torch.isclose(T(t, a), T(t, b))


@case("elementwise")
def c_isclose_tols_equal_nan(t):
    a = np.array([1.0, 1.05, np.nan], np.float32)
    b = np.array([1.0, 1.0, np.nan], np.float32)
    return t.torch.isclose(T(t, a), T(t, b), rtol=0.1, atol=0.0, equal_nan=True)


@case("elementwise")
def c_allclose_true(t):
    return t.torch.allclose(T(t, A(5)), T(t, A(5)) + 1e-7)


@case("elementwise")
def c_allclose_false(t):
    return t.torch.allclose(T(t, A(5)), T(t, A(5)) + 1e-2)


@case("elementwise")
def c_allclose_atol(t):
    return t.torch.allclose(T(t, A(5)), T(t, A(5)) + 1e-2, atol=0.1)


@case("elementwise")
def c_equal(t):
    return (t.torch.equal(T(t, A(3)), T(t, A(3))), t.torch.equal(T(t, A(3)), T(t, A(4))))


for _name in ["logical_and", "logical_or", "logical_xor"]:
    add(
        "elementwise",
        f"{_name}_bool",
        lambda t, n=_name: getattr(t.torch, n)(T(t, B(6, seed=1)), T(t, B(6, seed=2))),
    )
    add(
        "elementwise",
        f"{_name}_float",
        lambda t, n=_name: getattr(t.torch, n)(
            T(t, np.array([0.0, 1.5, 0.0, -2.0], np.float32)),
            T(t, np.array([0.0, 0.0, 3.0, 1.0], np.float32)),
        ),
    )
add("elementwise", "logical_not_bool", lambda t: t.torch.logical_not(T(t, B(6))))
add("elementwise", "logical_not_int", lambda t: t.torch.logical_not(T(t, I(6, lo=-1, hi=2))))

_INT_OPS = [
    ("and_op", lambda a, b: a & b),
    ("or_op", lambda a, b: a | b),
    ("xor_op", lambda a, b: a ^ b),
    ("lshift_op", lambda a, b: a << b),
    ("rshift_op", lambda a, b: a >> b),
]
for _name, _f in _INT_OPS:
    add(
        "elementwise",
        f"bitwise_{_name}_int",
        lambda t, f=_f: f(T(t, I(6, seed=1, lo=0, hi=64)), T(t, I(6, seed=2, lo=0, hi=4))),
    )
for _name, _f in _INT_OPS[:3]:
    add(
        "elementwise",
        f"bitwise_{_name}_bool",
        lambda t, f=_f: f(T(t, B(6, seed=1)), T(t, B(6, seed=2))),
    )
for _name in [
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "bitwise_left_shift",
    "bitwise_right_shift",
]:
    add(
        "elementwise",
        f"{_name}_fn",
        lambda t, n=_name: getattr(t.torch, n)(
            T(t, I(6, seed=3, lo=-20, hi=64)), T(t, I(6, seed=4, lo=0, hi=3))
        ),
    )
add("elementwise", "bitwise_not_int", lambda t: ~T(t, I(6, lo=-4, hi=9)))
add("elementwise", "bitwise_not_bool", lambda t: ~T(t, B(6)))
add("elementwise", "bitwise_not_fn", lambda t: t.torch.bitwise_not(T(t, I(6))))
add("elementwise", "bitwise_and_scalar", lambda t: T(t, I(6, lo=0, hi=32)) & 5)
add("elementwise", "rshift_scalar", lambda t: T(t, I(6, lo=-32, hi=32)) >> 1)
add(
    "elementwise",
    "bitwise_and_float_error",
    error=True,
    fn=lambda t: T(t, A(3)) & T(t, A(3, seed=1)),
)
add("elementwise", "invert_float_error", error=True, fn=lambda t: ~T(t, A(3)))


@case("elementwise")
def c_where_three_arg_grad(t):
    cond = B(3, 4, seed=5)
    return fwd_grad(t, lambda a, b: t.torch.where(T(t, cond), a, b), A(3, 4), A(4, seed=1))


@case("elementwise")
def c_where_scalar(t):
    x = T(t, A(6))
    return t.torch.where(x > 0, x, 0.0)


@case("elementwise")
def c_where_int_scalars(t):
    return t.torch.where(T(t, B(5)), 1, 0)


@case("elementwise")
def c_where_method(t):
    x = T(t, A(5))
    return x.where(x > 0, T(t, A(5, seed=3)))


@case("elementwise")
def c_addcmul_addcdiv(t):
    a, b, c = T(t, A(4)), T(t, A(4, seed=1)), T(t, A(4, seed=2, lo=0.5, hi=2))
    return (t.torch.addcmul(a, b, c, value=0.5), t.torch.addcdiv(a, b, c, value=2.0))


@case("elementwise")
def c_nan_to_num(t):
    return t.torch.nan_to_num(T(t, _special()), nan=0.0, posinf=9.0, neginf=-9.0)


@case("elementwise")
def c_inplace_ops(t):
    x = T(t, A(4))
    x.add_(1).mul_(2).sub_(T(t, A(4, seed=1))).div_(4)
    x.clamp_(-0.5, 0.5)
    return x


@case("elementwise")
def c_inplace_int_add_float_error(t):
    x = T(t, I(4))
    x.add_(1.5)
    return x


CASES[-1].error = True


@case("elementwise")
def c_iadd_operator(t):
    x = T(t, A(4))
    y = x
    x += 1
    x *= 3
    return (x, y is x)


@case("elementwise")
def c_sigmoid_extreme(t):
    return t.torch.sigmoid(T(t, np.array([-100.0, -20.0, 0.0, 20.0, 100.0], np.float32)))


@case("elementwise")
def c_softplus_large(t):
    return t.F.softplus(T(t, np.array([-50.0, 0.0, 25.0, 100.0], np.float32)))


@case("elementwise")
def c_log_zero_neg(t):
    return t.torch.log(T(t, np.array([0.0, -1.0, 1.0], np.float32)))


@case("elementwise")
def c_div_by_zero(t):
    return T(t, np.array([1.0, -1.0, 0.0], np.float32)) / 0.0


@case("elementwise")
def c_int_floordiv_by_zero_error(t):
    return T(t, np.array([1, 2])) // 0


CASES[-1].error = True


@case("elementwise")
def c_round_half_even(t):
    return t.torch.round(T(t, np.array([0.5, 1.5, 2.5, -0.5, -1.5], np.float32)))


@case("elementwise")
def c_round_decimals_negative(t):
    return t.torch.round(T(t, np.array([1234.5, -567.0, 49.0], np.float32)), decimals=-2)


@case("elementwise")
def c_sign_zero(t):
    return t.torch.sign(T(t, np.array([-0.0, 0.0, 3.0, -2.0], np.float32)))


# =======================================================================================
# reductions and scans
# =======================================================================================

R = "reductions"
_X = (3, 4, 5)


def _distinct(*shape, seed=0):
    """Distinct floats (no ties), for sort/median/max indices."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n).reshape(shape) * 0.25 - 3).astype(np.float32)


# (name, f(t, x)) all differentiable, on a (3, 4, 5) float input
_RED = [
    ("sum_all", lambda t, x: x.sum()),
    ("sum_dim", lambda t, x: x.sum(1)),
    ("sum_dim_kw", lambda t, x: t.torch.sum(x, dim=-1)),
    ("sum_keepdim", lambda t, x: x.sum(dim=0, keepdim=True)),
    ("sum_dim_tuple", lambda t, x: x.sum(dim=(0, 2))),
    ("sum_axis_alias", lambda t, x: x.sum(axis=1)),
    ("mean_all", lambda t, x: x.mean()),
    ("mean_dim", lambda t, x: x.mean(dim=-2)),
    ("mean_keepdim_tuple", lambda t, x: t.torch.mean(x, (1, 2), keepdim=True)),
    ("prod_all", lambda t, x: x.prod()),
    ("prod_dim", lambda t, x: t.torch.prod(x, dim=1)),
    ("prod_keepdim", lambda t, x: x.prod(-1, keepdim=True)),
    ("cumsum", lambda t, x: t.torch.cumsum(x, dim=1)),
    ("cumsum_neg", lambda t, x: x.cumsum(-1)),
    ("cumprod", lambda t, x: t.torch.cumprod(x, dim=2)),
    ("logsumexp", lambda t, x: t.torch.logsumexp(x, dim=1)),
    ("logsumexp_keepdim", lambda t, x: x.logsumexp(-1, keepdim=True)),
    ("norm_all", lambda t, x: x.norm()),
    ("norm_p1_dim", lambda t, x: t.torch.norm(x, p=1, dim=1)),
    ("norm_dim_keepdim", lambda t, x: x.norm(dim=-1, keepdim=True)),
    ("linalg_norm_vec", lambda t, x: t.torch.linalg.norm(x, dim=-1)),
    ("linalg_vector_norm_ord3", lambda t, x: t.torch.linalg.vector_norm(x, ord=3, dim=0)),
    ("linalg_norm_fro", lambda t, x: t.torch.linalg.norm(x, dim=(1, 2))),
    ("linalg_norm_inf", lambda t, x: t.torch.linalg.norm(x, ord=float("inf"), dim=-1)),
    ("amax_dim", lambda t, x: t.torch.amax(x, dim=1)),
    ("amax_tuple", lambda t, x: x.amax(dim=(0, 2))),
    ("amin_dim_keepdim", lambda t, x: t.torch.amin(x, dim=-1, keepdim=True)),
    ("max_all", lambda t, x: x.max()),
    ("min_all", lambda t, x: t.torch.min(x)),
    ("max_dim_values", lambda t, x: x.max(dim=1).values),
    ("min_dim_values", lambda t, x: t.torch.min(x, 2)[0]),
    ("var_default", lambda t, x: x.var()),
    ("var_dim", lambda t, x: t.torch.var(x, dim=1)),
    ("var_correction0", lambda t, x: t.torch.var(x, dim=-1, correction=0)),
    ("var_unbiased_false", lambda t, x: x.var(1, unbiased=False)),
    ("std_default", lambda t, x: x.std()),
    ("std_dim_keepdim", lambda t, x: t.torch.std(x, dim=0, keepdim=True)),
    ("std_correction2", lambda t, x: x.std(dim=2, correction=2)),
    ("median_all", lambda t, x: x.median()),
    ("median_dim_values", lambda t, x: t.torch.median(x, dim=1).values),
    ("softmax_dim1", lambda t, x: t.torch.softmax(x, dim=1)),
    ("softmax_method", lambda t, x: x.softmax(-1)),
    ("F_softmax", lambda t, x: t.F.softmax(x, dim=0)),
    ("log_softmax", lambda t, x: t.F.log_softmax(x, dim=-1)),
    ("log_softmax_method", lambda t, x: x.log_softmax(dim=1)),
    ("sort_values", lambda t, x: t.torch.sort(x, dim=1).values),
    ("sort_desc_values", lambda t, x: x.sort(descending=True)[0]),
    ("topk_values", lambda t, x: t.torch.topk(x, 2, dim=-1).values),
    ("cummax_values", lambda t, x: t.torch.cummax(x, dim=1).values),
]
for _name, _f in _RED:
    add(R, _name, lambda t, f=_f: fwd_grad(t, lambda x: f(t, x), _distinct(*_X, seed=1) / 3))

# (name, f(t, x)) forward-only, each with an int64 or bool or special input
_RED_FWD = [
    ("sum_int_dtype", lambda t: t.torch.sum(T(t, I(3, 4)), dim=0)),
    ("sum_bool_is_int64", lambda t: T(t, B(3, 4)).sum()),
    ("sum_dtype_kw", lambda t: t.torch.sum(T(t, I(3, 4)), dtype=t.torch.float64)),
    ("sum_empty", lambda t: T(t, A(0, 3)).sum()),
    ("sum_empty_dim", lambda t: T(t, A(0, 3)).sum(0)),
    ("mean_empty_nan", lambda t: T(t, A(0)).mean()),
    ("sum_0d", lambda t: T(t, np.float32(2.5)).sum()),
    ("sum_0d_dim0", lambda t: T(t, np.float32(2.5)).sum(0)),
    ("prod_0d_dim0", lambda t: t.torch.prod(T(t, np.float32(2.5)), dim=0)),
    ("prod_0d_dim_neg1_keepdim", lambda t: T(t, np.float32(2.5)).prod(-1, keepdim=True)),
    ("prod_int", lambda t: T(t, I(2, 3, lo=1, hi=4)).prod(1)),
    ("prod_bool", lambda t: T(t, B(4)).prod()),
    ("cumsum_int", lambda t: t.torch.cumsum(T(t, I(5)), dim=0)),
    ("cumsum_bool", lambda t: T(t, B(5)).cumsum(0)),
    ("cumprod_int", lambda t: T(t, I(5, lo=1, hi=3)).cumprod(dim=0)),
    ("cumsum_0d", lambda t: T(t, np.float32(3.0)).cumsum(0)),
    ("mean_int_error", lambda t: T(t, I(4)).mean()),
    ("mean_dtype_kw", lambda t: T(t, I(4)).mean(dtype=t.torch.float32)),
    ("max_int", lambda t: T(t, I(3, 4)).max()),
    ("max_dim_tuple", lambda t: tuple(T(t, _distinct(3, 4)).max(dim=1))),
    ("max_dim_keepdim_idx", lambda t: T(t, _distinct(3, 4)).max(1, keepdim=True).indices),
    ("min_dim_tuple", lambda t: tuple(t.torch.min(T(t, _distinct(3, 4)), dim=0))),
    ("max_binary", lambda t: t.torch.max(T(t, A(4)), T(t, A(4, seed=1)))),
    ("max_empty_error", lambda t: T(t, A(0)).max()),
    ("argmax_all", lambda t: T(t, _distinct(3, 4)).argmax()),
    ("argmax_dim", lambda t: t.torch.argmax(T(t, _distinct(3, 4)), dim=1)),
    ("argmax_keepdim", lambda t: T(t, _distinct(3, 4)).argmax(dim=0, keepdim=True)),
    ("argmin_dim_neg", lambda t: t.torch.argmin(T(t, _distinct(3, 4)), dim=-1)),
    ("argmax_ties_first", lambda t: T(t, np.array([1.0, 3.0, 3.0, 0.0], np.float32)).argmax()),
    ("amax_int", lambda t: T(t, I(3, 4)).amax(1)),
    ("any_all", lambda t: (T(t, B(3, 4)).any(), T(t, B(3, 4)).all())),
    ("any_dim", lambda t: t.torch.any(T(t, B(3, 4, seed=2)), dim=1)),
    ("all_dim_keepdim", lambda t: t.torch.all(T(t, B(3, 4, seed=3)), dim=0, keepdim=True)),
    ("any_float", lambda t: T(t, np.array([0.0, 0.0, 2.0], np.float32)).any()),
    ("all_int_dim", lambda t: T(t, I(3, 4, lo=0, hi=3)).all(dim=-1)),
    ("all_empty", lambda t: T(t, np.zeros(0, bool)).all()),
    ("count_nonzero", lambda t: t.torch.count_nonzero(T(t, I(3, 4, lo=0, hi=2)))),
    ("count_nonzero_dim", lambda t: t.torch.count_nonzero(T(t, I(3, 4, lo=0, hi=2)), dim=1)),
    ("count_nonzero_tuple", lambda t: T(t, A(3, 4).round()).count_nonzero(dim=(0, 1))),
    ("median_even_lower", lambda t: T(t, np.array([4.0, 1.0, 3.0, 2.0], np.float32)).median()),
    ("median_dim_tuple", lambda t: tuple(T(t, _distinct(3, 5)).median(dim=-1))),
    ("median_int", lambda t: T(t, np.array([5, 1, 4, 2, 3])).median()),
    ("argsort", lambda t: t.torch.argsort(T(t, _distinct(3, 5)), dim=1)),
    ("argsort_desc", lambda t: T(t, _distinct(3, 5)).argsort(dim=0, descending=True)),
    ("argsort_default_dim", lambda t: T(t, _distinct(2, 4)).argsort()),
    ("sort_tuple", lambda t: tuple(t.torch.sort(T(t, _distinct(3, 5)), dim=0))),
    ("sort_desc_indices", lambda t: T(t, _distinct(6)).sort(descending=True).indices),
    ("sort_int", lambda t: tuple(T(t, np.array([3, 1, 2, 9, -4])).sort())),
    ("sort_stable", lambda t: t.torch.sort(T(t, np.array([2, 1, 2, 1, 0])), stable=True)[1]),
    ("topk_indices", lambda t: t.torch.topk(T(t, _distinct(8)), 3).indices),
    ("topk_smallest", lambda t: tuple(T(t, _distinct(8)).topk(2, largest=False))),
    ("unique", lambda t: t.torch.unique(T(t, np.array([3, 1, 2, 3, 1, 5])))),
    ("unique_float", lambda t: t.torch.unique(T(t, np.array([0.5, -1.0, 0.5, 2.0], np.float32)))),
    (
        "unique_inverse",
        lambda t: t.torch.unique(T(t, np.array([3, 1, 2, 3, 1])), return_inverse=True),
    ),
    (
        "unique_counts",
        lambda t: t.torch.unique(T(t, np.array([3, 1, 2, 3, 1])), return_counts=True),
    ),
    (
        "unique_both",
        lambda t: T(t, np.array([[1, 2], [2, 1]])).unique(return_inverse=True, return_counts=True),
    ),
    ("unique_dim0", lambda t: t.torch.unique(T(t, np.array([[1, 2], [3, 4], [1, 2]])), dim=0)),
    ("sum_dim_out_of_range", lambda t: T(t, A(3, 4)).sum(dim=2)),
    ("argmax_dim_out_of_range", lambda t: T(t, A(3, 4)).argmax(dim=-3)),
    ("cumsum_dim_out_of_range", lambda t: T(t, A(3)).cumsum(1)),
    ("var_single_element", lambda t: T(t, A(1)).var()),
    ("std_correction0_0d", lambda t: T(t, np.float32(1.0)).std(correction=0)),
    (
        "logsumexp_inf",
        lambda t: t.torch.logsumexp(
            T(t, np.array([[-np.inf, -np.inf], [0.0, -np.inf]], np.float32)), dim=1
        ),
    ),
    ("logsumexp_large", lambda t: T(t, np.array([1000.0, 1000.0], np.float32)).logsumexp(0)),
    ("softmax_large", lambda t: T(t, np.array([1000.0, 0.0, -1000.0], np.float32)).softmax(0)),
    ("norm_int_error", lambda t: T(t, I(4)).norm()),
    ("cummin_tuple", lambda t: tuple(t.torch.cummin(T(t, _distinct(6)), dim=0))),
    ("diff", lambda t: t.torch.diff(T(t, _distinct(3, 5)), dim=-1)),
    ("trace", lambda t: t.torch.trace(T(t, A(4, 4)))),
    ("dot", lambda t: t.torch.dot(T(t, A(5)), T(t, A(5, seed=1)))),
    ("numel_sum_mean", lambda t: (T(t, A(3, 4)).numel(), T(t, A(3, 4)).sum().item())),
]
_ERR = {
    "mean_int_error",
    "max_empty_error",
    "sum_dim_out_of_range",
    "argmax_dim_out_of_range",
    "cumsum_dim_out_of_range",
    "norm_int_error",
}
for _name, _f in _RED_FWD:
    add(R, _name, _f, error=_name in _ERR)


@case(R)
def c_max_dim_grad(t):
    x = T(t, _distinct(3, 4), True)
    v, i = x.max(dim=1)
    backward_weighted(t, v)
    return v, i, x.grad


@case(R)
def c_median_grad(t):
    x = T(t, _distinct(5), True)
    x.median().backward()
    return x.grad


@case(R)
def c_prod_grad_with_zero(t):
    return fwd_grad(
        t, lambda x: x.prod(dim=1), np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0]], np.float32)
    )


@case(R)
def c_amax_ties_grad(t):
    return fwd_grad(t, lambda x: x.amax(dim=1), np.array([[1.0, 3.0, 3.0]], np.float32))


@case(R)
def c_var_f64(t):
    return T(t, A(4, 5, dtype=np.float64)).var(dim=1)


@case(R, rtol=1e-4, atol=1e-4)
def c_sum_large(t):
    return T(t, A(1000, 100, seed=3)).sum(dim=0)


# =======================================================================================
# shape and indexing
# =======================================================================================

S = "shape_indexing"

# differentiable shape ops on a (2, 3, 4) input: (name, f(t, x))
_SHAPE = [
    ("view", lambda t, x: x.view(6, 4)),
    ("view_neg1", lambda t, x: x.view(-1)),
    ("view_tuple", lambda t, x: x.view((4, -1))),
    ("reshape", lambda t, x: x.reshape(4, 6)),
    ("reshape_fn", lambda t, x: t.torch.reshape(x, (-1, 2))),
    ("permute", lambda t, x: x.permute(2, 0, 1)),
    ("permute_tuple_neg", lambda t, x: x.permute((-1, 1, 0))),
    ("torch_permute", lambda t, x: t.torch.permute(x, (1, 2, 0))),
    ("transpose", lambda t, x: x.transpose(0, 2)),
    ("transpose_neg", lambda t, x: t.torch.transpose(x, -1, -2)),
    ("mT", lambda t, x: x.mT),
    ("swapaxes", lambda t, x: t.torch.swapaxes(x, 0, 1)),
    ("swapaxes_method", lambda t, x: x.swapaxes(1, 2)),
    ("movedim", lambda t, x: t.torch.movedim(x, 0, -1)),
    ("movedim_tuple", lambda t, x: x.movedim((0, 1), (2, 0))),
    ("unsqueeze", lambda t, x: x.unsqueeze(1)),
    ("unsqueeze_neg", lambda t, x: t.torch.unsqueeze(x, -1)),
    ("squeeze_dim", lambda t, x: x.unsqueeze(0).squeeze(0)),
    ("flatten", lambda t, x: x.flatten()),
    ("flatten_start", lambda t, x: t.torch.flatten(x, start_dim=1)),
    ("flatten_range", lambda t, x: x.flatten(0, 1)),
    ("unflatten", lambda t, x: x.unflatten(2, (2, 2))),
    ("unflatten_neg1", lambda t, x: t.torch.unflatten(x, -1, (-1, 2))),
    ("expand", lambda t, x: x[:, :1].expand(2, 5, 4)),
    ("expand_neg1", lambda t, x: x.unsqueeze(0).expand(3, -1, -1, -1)),
    ("expand_as", lambda t, x: x[:1].expand_as(x)),
    ("broadcast_to", lambda t, x: t.torch.broadcast_to(x[0], (5, 3, 4))),
    ("flip", lambda t, x: t.torch.flip(x, dims=(0, 2))),
    ("flip_method", lambda t, x: x.flip(-1)),
    ("fliplr", lambda t, x: t.torch.fliplr(x[0])),
    ("roll", lambda t, x: t.torch.roll(x, 1, dims=2)),
    ("roll_tuple", lambda t, x: x.roll(shifts=(1, -1), dims=(0, 1))),
    ("roll_flat", lambda t, x: t.torch.roll(x, 5)),
    ("tril", lambda t, x: t.torch.tril(x)),
    ("tril_k", lambda t, x: x.tril(diagonal=1)),
    ("triu", lambda t, x: t.torch.triu(x, -1)),
    ("triu_method", lambda t, x: x.triu()),
    ("diagonal", lambda t, x: t.torch.diagonal(x[0])),
    ("diagonal_offset", lambda t, x: x.diagonal(offset=1, dim1=1, dim2=2)),
    ("diagonal_neg", lambda t, x: t.torch.diagonal(x, -1, 0, 2)),
    ("diag_matrix_to_vec", lambda t, x: t.torch.diag(x[1])),
    ("diag_vec_to_matrix", lambda t, x: t.torch.diag(x[0, 0])),
    ("diag_offset", lambda t, x: t.torch.diag(x[0, 0], 1)),
    ("unfold", lambda t, x: x.unfold(2, 2, 1)),
    ("unfold_step", lambda t, x: x.unfold(-1, 2, 2)),
    ("repeat", lambda t, x: x.repeat(2, 1, 1)),
    ("repeat_more_dims", lambda t, x: x.repeat(2, 1, 2, 1)),
    ("repeat_interleave", lambda t, x: t.torch.repeat_interleave(x, 2, dim=1)),
    ("repeat_interleave_flat", lambda t, x: x.repeat_interleave(2)),
    (
        "repeat_interleave_tensor",
        lambda t, x: x.repeat_interleave(T(t, np.array([1, 0, 2])), dim=1),
    ),
    ("tile", lambda t, x: t.torch.tile(x, (2,))),
    ("tile_method", lambda t, x: x.tile((1, 2, 1))),
    ("narrow", lambda t, x: t.torch.narrow(x, 2, 1, 2)),
    ("narrow_method", lambda t, x: x.narrow(-2, 0, 2)),
    ("cat", lambda t, x: t.torch.cat([x, x * 2], dim=1)),
    ("cat_default_dim", lambda t, x: t.torch.cat((x, x))),
    ("cat_neg_dim", lambda t, x: t.torch.cat([x, x[..., :1]], dim=-1)),
    ("concat", lambda t, x: t.torch.concat([x, x], 2)),
    ("stack", lambda t, x: t.torch.stack([x, -x], dim=1)),
    ("stack_neg", lambda t, x: t.torch.stack((x, x), dim=-1)),
    ("hstack", lambda t, x: t.torch.hstack([x[0], x[1]])),
    ("vstack", lambda t, x: t.torch.vstack([x[0], x[1]])),
    ("chunk0", lambda t, x: t.torch.chunk(x, 2, dim=2)[0]),
    ("chunk_uneven_last", lambda t, x: x.chunk(2, dim=1)[-1]),
    ("split_size", lambda t, x: t.torch.split(x, 3, dim=2)[1]),
    ("split_sections", lambda t, x: x.split([1, 3], dim=-1)[1]),
    ("unbind", lambda t, x: t.torch.unbind(x, dim=1)[2]),
    ("index_int", lambda t, x: x[1]),
    ("index_neg", lambda t, x: x[-1, -2]),
    ("index_slice_step", lambda t, x: x[:, ::2, 1:]),
    ("index_neg_slice", lambda t, x: x[..., -3:-1]),
    ("index_none", lambda t, x: x[:, None, 1]),
    ("index_ellipsis", lambda t, x: x[..., 0]),
    ("index_list", lambda t, x: x[[1, 0, 1]]),
    ("index_int_tensor", lambda t, x: x[:, T(t, np.array([2, 0]))]),
    ("index_two_tensors", lambda t, x: x[T(t, np.array([0, 1])), T(t, np.array([2, 0]))]),
    ("index_bool_mask", lambda t, x: x[T(t, B(2, 3, 4, seed=8))]),
    ("index_bool_rows", lambda t, x: x[:, T(t, np.array([True, False, True]))]),
    ("index_mask_from_cmp", lambda t, x: x[x > 0]),
    ("masked_select", lambda t, x: t.torch.masked_select(x, T(t, B(3, 4, seed=9)))),
    ("masked_fill", lambda t, x: x.masked_fill(T(t, B(3, 4, seed=9)), 0.5)),
    ("masked_fill_fn", lambda t, x: t.torch.masked_fill(x, T(t, B(4, seed=2)), -1.0)),
    ("index_select", lambda t, x: t.torch.index_select(x, 2, T(t, np.array([3, 0, 3])))),
    ("index_select_method", lambda t, x: x.index_select(0, T(t, np.array([1])))),
    ("gather", lambda t, x: t.torch.gather(x, 2, T(t, I(2, 3, 2, lo=0, hi=4)))),
    ("gather_method", lambda t, x: x.gather(1, T(t, I(2, 1, 4, lo=0, hi=3)))),
    ("take_along_dim", lambda t, x: t.torch.take_along_dim(x, T(t, I(2, 3, 1, lo=0, hi=4)), dim=2)),
    ("take_along_dim_argsort", lambda t, x: t.torch.take_along_dim(x, x.argsort(dim=1), dim=1)),
    (
        "scatter",
        lambda t, x: t.torch.zeros(2, 5, 4).scatter(
            1, T(t, np.array([[[0, 1, 2, 3], [4, 0, 1, 2], [3, 4, 0, 1]]] * 2)), x
        ),
    ),
    (
        "scatter_add",
        lambda t, x: t.torch.zeros(2, 2, 4).scatter_add(1, T(t, I(2, 3, 4, lo=0, hi=2)), x),
    ),
    (
        "scatter_add_fn",
        lambda t, x: t.torch.scatter_add(t.torch.ones(2, 3, 2), 2, T(t, I(2, 3, 4, lo=0, hi=2)), x),
    ),
    (
        "index_add",
        lambda t, x: t.torch.zeros(2, 3, 2).index_add(2, T(t, np.array([0, 1, 0, 1])), x),
    ),
    ("clone_then_setitem", lambda t, x: _setitem(x)),
    ("contiguous_after_t", lambda t, x: x.transpose(0, 1).contiguous().view(-1)),
    ("split_then_cat", lambda t, x: t.torch.cat(x.split(1, dim=0)[::-1], dim=0)),
    ("where_on_view", lambda t, x: t.torch.where(x[0] > 0, x[0], x[1])),
    ("T_2d", lambda t, x: x[0].T),
    ("t_2d", lambda t, x: x[1].t()),
    ("outer", lambda t, x: t.torch.outer(x[0, 0], x[1, 1])),
    ("einsum_ij_jk", lambda t, x: t.torch.einsum("ij,jk->ik", x[0], x[1].T)),
    ("einsum_batch", lambda t, x: t.torch.einsum("bij,bkj->bik", x, x)),
    ("einsum_trace", lambda t, x: t.torch.einsum("ii", x[0, :, :3])),
    ("einsum_sum_dim", lambda t, x: t.torch.einsum("bij->j", x)),
    ("einsum_outer", lambda t, x: t.torch.einsum("i,j->ij", x[0, 0], x[1, 0])),
    ("einsum_list_operands", lambda t, x: t.torch.einsum("ij,ij->i", [x[0], x[1]])),
    ("einsum_ellipsis", lambda t, x: t.torch.einsum("...ij->...ji", x)),
    ("matmul_2d", lambda t, x: x[0] @ x[1].T),
    ("matmul_batched", lambda t, x: x @ x.transpose(1, 2)),
    ("matmul_broadcast", lambda t, x: x @ x[0].T),
    ("matmul_1d_1d", lambda t, x: x[0, 0] @ x[1, 0]),
    ("matmul_2d_1d", lambda t, x: t.torch.matmul(x[0], x[1, 0])),
    ("matmul_1d_2d", lambda t, x: x[0, :, 0] @ x[1]),
    ("matmul_1d_3d", lambda t, x: t.torch.matmul(x[0, 0, :3], x)),
    ("mm", lambda t, x: t.torch.mm(x[0], x[1].t())),
    ("bmm", lambda t, x: t.torch.bmm(x, x.transpose(1, 2))),
    ("bmm_method", lambda t, x: x.bmm(x.mT)),
    ("mv", lambda t, x: t.torch.mv(x[0], x[1, 0])),
    ("F_pad_last", lambda t, x: t.F.pad(x, (1, 2))),
    ("F_pad_two_dims", lambda t, x: t.F.pad(x, (1, 0, 0, 2))),
    ("F_pad_value", lambda t, x: t.F.pad(x, (1, 1), value=3.0)),
    ("F_pad_three_dims", lambda t, x: t.F.pad(x, (0, 1, 1, 0, 1, 1))),
    ("F_pad_negative", lambda t, x: t.F.pad(x, (-1, 0))),
    ("F_pad_reflect", lambda t, x: t.F.pad(x, (2, 1), mode="reflect")),
    ("F_pad_replicate", lambda t, x: t.F.pad(x, (1, 2), mode="replicate")),
    ("squeeze_all", lambda t, x: x[:, :1, None].squeeze()),
    ("squeeze_tuple", lambda t, x: x[:1, :1].squeeze((0, 1))),
    ("squeeze_noop", lambda t, x: x.squeeze(1)),
]


def _setitem(x):
    y = x.clone()
    y[0, 1] = 0.0
    y[:, :, 0] = y[:, :, 1] * 2
    return y


for _name, _f in _SHAPE:
    add(S, _name, lambda t, f=_f: fwd_grad(t, lambda x: f(t, x), A(2, 3, 4, seed=11)))


def _shape_of(x):
    return tuple(x.shape)


_SHAPE_FWD = [
    ("shape_is_tuple", lambda t: (_shape_of(T(t, A(2, 3))), T(t, A(2, 3)).shape == (2, 3))),
    ("size_dim", lambda t: (T(t, A(2, 3)).size(1), T(t, A(2, 3)).size(-2), T(t, A(2, 3)).dim())),
    ("size_tuple", lambda t: tuple(T(t, A(2, 3)).size())),
    ("ndim_0d", lambda t: (T(t, np.float32(1)).ndim, _shape_of(T(t, np.float32(1))))),
    ("chunk_count", lambda t: len(T(t, A(7)).chunk(3))),
    ("chunk_all", lambda t: t.torch.chunk(T(t, A(7)), 3)),
    ("chunk_fewer", lambda t: T(t, A(5)).chunk(4)),
    ("split_all", lambda t: t.torch.split(T(t, A(7)), 3)),
    ("split_sections_all", lambda t: T(t, A(3, 6)).split([2, 1, 3], dim=1)),
    ("split_sections_bad", lambda t: T(t, A(6)).split([2, 2])),
    ("tensor_split", lambda t: t.torch.tensor_split(T(t, A(7)), 3)),
    ("unbind_all", lambda t: T(t, A(3, 2)).unbind()),
    ("meshgrid_ij", lambda t: t.torch.meshgrid(T(t, A(3)), T(t, A(2, seed=1)), indexing="ij")),
    ("meshgrid_xy", lambda t: t.torch.meshgrid(T(t, A(3)), T(t, A(2, seed=1)), indexing="xy")),
    ("meshgrid_list", lambda t: t.torch.meshgrid([T(t, I(2)), T(t, I(3))], indexing="ij")),
    ("nonzero", lambda t: t.torch.nonzero(T(t, I(3, 4, lo=0, hi=2)))),
    ("nonzero_method", lambda t: T(t, B(5)).nonzero()),
    ("nonzero_as_tuple", lambda t: t.torch.nonzero(T(t, I(3, 4, lo=0, hi=2)), as_tuple=True)),
    ("nonzero_empty", lambda t: t.torch.nonzero(T(t, np.zeros((2, 3), np.float32)))),
    ("nonzero_0d", lambda t: t.torch.nonzero(T(t, np.float32(1.0)))),
    ("argwhere", lambda t: t.torch.argwhere(T(t, I(3, 4, lo=0, hi=2)))),
    ("argwhere_method", lambda t: T(t, A(2, 3)).argwhere()),
    ("where_one_arg", lambda t: t.torch.where(T(t, B(3, 4, seed=4)))),
    ("where_one_arg_float", lambda t: t.torch.where(T(t, np.array([0.0, 1.0, 2.0], np.float32)))),
    ("int_index_int_tensor", lambda t: T(t, I(5))[T(t, np.array([4, 0, 0]))]),
    ("bool_index_int", lambda t: T(t, I(5))[T(t, I(5)) > 0]),
    ("index_2d_tensor", lambda t: T(t, A(5))[T(t, np.array([[0, 1], [4, 3]]))]),
    ("index_0d_tensor", lambda t: T(t, A(5))[T(t, np.array(2))]),
    ("index_to_0d_item", lambda t: T(t, A(3, 4))[1, 2].item()),
    ("setitem_mask", lambda t: _set_mask(t)),
    ("setitem_tensor_index", lambda t: _set_index(t)),
    ("setitem_broadcast", lambda t: _set_bcast(t)),
    ("setitem_int_tensor_float_value", lambda t: _set_int(t)),
    ("index_out_of_range", lambda t: T(t, A(3))[3]),
    ("index_neg_out_of_range", lambda t: T(t, A(3, 2))[:, -3]),
    ("index_tensor_out_of_range", lambda t: T(t, A(3))[T(t, np.array([0, 5]))]),
    ("too_many_indices", lambda t: T(t, A(3))[0, 0]),
    ("view_bad_size", lambda t: T(t, A(2, 3)).view(4, 2)),
    ("view_two_neg1", lambda t: T(t, A(2, 3)).view(-1, -1)),
    ("view_non_contiguous", lambda t: T(t, A(2, 3)).t().view(6)),
    ("reshape_non_contiguous_ok", lambda t: T(t, A(2, 3)).t().reshape(6)),
    ("is_contiguous", lambda t: (T(t, A(2, 3)).is_contiguous(), T(t, A(2, 3)).t().is_contiguous())),
    ("cat_shape_mismatch", lambda t: t.torch.cat([T(t, A(2, 3)), T(t, A(2, 4))], dim=0)),
    ("cat_dim_error", lambda t: t.torch.cat([T(t, A(2, 3)), T(t, A(2, 3))], dim=2)),
    ("stack_shape_mismatch", lambda t: t.torch.stack([T(t, A(2)), T(t, A(3))])),
    ("cat_int_float_promotes", lambda t: t.torch.cat([T(t, I(2)), T(t, A(2))])),
    ("cat_empty_1d", lambda t: t.torch.cat([T(t, A(0)), T(t, A(3))])),
    ("stack_0d", lambda t: t.torch.stack([T(t, np.float32(1)), T(t, np.float32(2))])),
    ("permute_bad", lambda t: T(t, A(2, 3)).permute(0, 0)),
    ("transpose_dim_error", lambda t: T(t, A(2, 3)).transpose(0, 2)),
    ("unsqueeze_dim_error", lambda t: T(t, A(2, 3)).unsqueeze(4)),
    ("squeeze_dim_error", lambda t: T(t, A(2, 3)).squeeze(3)),
    ("matmul_mismatch", lambda t: T(t, A(2, 3)) @ T(t, A(2, 3))),
    ("matmul_0d_error", lambda t: t.torch.matmul(T(t, np.float32(1)), T(t, A(3)))),
    ("mm_3d_error", lambda t: t.torch.mm(T(t, A(2, 2, 2)), T(t, A(2, 2)))),
    ("bmm_2d_error", lambda t: t.torch.bmm(T(t, A(2, 2)), T(t, A(2, 2)))),
    ("matmul_int", lambda t: T(t, I(2, 3)) @ T(t, I(3, 2))),
    ("matmul_f64", lambda t: T(t, A(2, 3, dtype=np.float64)) @ T(t, A(3, 2, dtype=np.float64))),
    ("matmul_int_float_error", lambda t: T(t, I(2, 3)) @ T(t, A(3, 2))),
    ("expand_bad", lambda t: T(t, A(2, 3)).expand(3, 3)),
    ("flip_int", lambda t: T(t, I(2, 3)).flip(0)),
    ("tril_bool", lambda t: T(t, np.ones((3, 3), bool)).tril()),
    ("triu_int_k", lambda t: t.torch.triu(T(t, I(3, 4)), diagonal=2)),
    ("roll_int", lambda t: T(t, I(5)).roll(-2)),
    ("diag_int", lambda t: t.torch.diag(T(t, I(3)))),
    ("repeat_interleave_int_only", lambda t: t.torch.repeat_interleave(T(t, np.array([2, 0, 1])))),
    ("masked_fill_int", lambda t: T(t, I(5)).masked_fill(T(t, B(5)), 7)),
    ("masked_fill_0d_value", lambda t: T(t, A(5)).masked_fill(T(t, B(5)), T(t, np.float32(9)))),
    ("masked_fill_bcast_mask", lambda t: T(t, A(2, 3)).masked_fill(T(t, B(3)), 0.0)),
    ("masked_fill_inplace", lambda t: _mf_inplace(t)),
    ("masked_select_bcast", lambda t: t.torch.masked_select(T(t, A(2, 3)), T(t, B(3)))),
    (
        "scatter_value",
        lambda t: t.torch.zeros(3, 3).scatter(1, T(t, np.array([[0], [2], [1]])), 1.0),
    ),
    (
        "scatter_reduce_add_kw",
        lambda t: T(t, np.zeros(4, np.float32)).scatter_add(
            0, T(t, np.array([0, 1, 0, 3])), T(t, A(4))
        ),
    ),
    ("scatter_inplace", lambda t: _scatter_inplace(t)),
    (
        "one_hot",
        lambda t: t.F.one_hot(T(t, np.array([0, 2, 1]))),
    ),
    ("one_hot_classes", lambda t: t.F.one_hot(T(t, np.array([0, 2])), num_classes=4)),
    ("gather_out_of_range", lambda t: T(t, A(2, 3)).gather(1, T(t, np.array([[3], [0]])))),
    ("index_select_float_index_error", lambda t: T(t, A(3)).index_select(0, T(t, A(2)))),
    ("narrow_out_of_range", lambda t: T(t, A(4)).narrow(0, 3, 2)),
    ("unflatten_bad", lambda t: T(t, A(2, 6)).unflatten(1, (4, 2))),
    ("unfold_int", lambda t: T(t, np.arange(6)).unfold(0, 3, 2)),
    (
        "take_along_dim_no_dim",
        lambda t: t.torch.take_along_dim(T(t, A(2, 3)), T(t, np.array([5, 0]))),
    ),
    ("outer_int", lambda t: t.torch.outer(T(t, I(3)), T(t, I(2)))),
    ("einsum_int", lambda t: t.torch.einsum("ij->j", T(t, I(2, 3)))),
    ("empty_view", lambda t: T(t, A(0, 4)).view(2, 0, 2).shape),
    ("empty_index", lambda t: T(t, A(3, 4))[T(t, np.zeros(0, np.int64))]),
    ("empty_permute", lambda t: T(t, A(0, 2, 3)).permute(2, 0, 1)),
    ("clone_independent", lambda t: _clone_indep(t)),
    ("view_shares_storage", lambda t: _view_shares(t)),
    ("swapdims", lambda t: t.torch.swapdims(T(t, A(2, 3)), 0, 1)),
    ("atleast_2d", lambda t: t.torch.atleast_2d(T(t, A(3)))),
    ("tolist", lambda t: T(t, I(2, 2)).tolist()),
    ("tolist_float", lambda t: T(t, np.array([0.5, 1.25], np.float32)).tolist()),
    ("numpy_roundtrip", lambda t: T(t, A(2, 3)).numpy().sum().item()),
    ("iteration", lambda t: [row.sum() for row in T(t, A(3, 2))]),
    ("len", lambda t: len(T(t, A(4, 2)))),
]
_SERR = {
    "split_sections_bad",
    "index_out_of_range",
    "index_neg_out_of_range",
    "index_tensor_out_of_range",
    "too_many_indices",
    "view_bad_size",
    "view_two_neg1",
    "view_non_contiguous",
    "cat_shape_mismatch",
    "cat_dim_error",
    "stack_shape_mismatch",
    "permute_bad",
    "transpose_dim_error",
    "unsqueeze_dim_error",
    "squeeze_dim_error",
    "matmul_mismatch",
    "matmul_0d_error",
    "mm_3d_error",
    "bmm_2d_error",
    "matmul_int_float_error",
    "expand_bad",
    "gather_out_of_range",
    "index_select_float_index_error",
    "narrow_out_of_range",
    "unflatten_bad",
}
for _name, _f in _SHAPE_FWD:
    add(S, _name, _f, error=_name in _SERR)
assert not _SERR - _NAMES


def _set_mask(t):
    x = T(t, A(3, 4))
    x[x < 0] = 0.0
    return x


def _set_index(t):
    x = T(t, np.zeros((4, 2), np.float32))
    x[T(t, np.array([0, 2]))] = T(t, A(2, 2))
    return x


def _set_bcast(t):
    x = T(t, np.zeros((3, 4), np.float32))
    x[1:] = T(t, A(4))
    x[:, -1] = 5
    return x


def _set_int(t):
    x = T(t, I(4))
    x[0] = 2.7
    return x


def _mf_inplace(t):
    x = T(t, A(5))
    x.masked_fill_(T(t, B(5)), -2.0)
    return x


def _scatter_inplace(t):
    x = t.torch.zeros(2, 4)
    x.scatter_(1, T(t, np.array([[1, 3], [0, 0]])), T(t, A(2, 2)))
    return x


def _clone_indep(t):
    x = T(t, A(3))
    y = x.clone()
    y[0] = 100.0
    return x


def _view_shares(t):
    x = T(t, A(2, 3))
    v = x.view(-1)
    v[0] = 100.0
    x[1, 2] = -5.0
    return x, v


# =======================================================================================
# creation and dtypes
# =======================================================================================

C = "creation_dtype"


def _props(x):
    return (tuple(x.shape), x.dtype)


_CREATE = [
    ("tensor_int_list", lambda t: t.torch.tensor([1, 2, 3])),
    ("tensor_float_list", lambda t: t.torch.tensor([1.0, 2.5])),
    ("tensor_mixed_list", lambda t: t.torch.tensor([1, 2.5])),
    ("tensor_bool_list", lambda t: t.torch.tensor([True, False])),
    ("tensor_nested", lambda t: t.torch.tensor([[1, 2], [3, 4]])),
    ("tensor_scalar", lambda t: t.torch.tensor(3.5)),
    ("tensor_int_scalar", lambda t: t.torch.tensor(7)),
    ("tensor_dtype_kw", lambda t: t.torch.tensor([1, 2], dtype=t.torch.float32)),
    ("tensor_from_f64_numpy", lambda t: t.torch.tensor(A(3, dtype=np.float64))),
    ("tensor_from_int32_numpy", lambda t: t.torch.tensor(I(3, dtype=np.int32))),
    ("tensor_empty_list", lambda t: t.torch.tensor([])),
    ("tensor_ragged_error", lambda t: t.torch.tensor([[1, 2], [3]])),
    ("from_numpy", lambda t: t.torch.from_numpy(A(2, 2))),
    ("as_tensor", lambda t: t.torch.as_tensor([1.0, 2.0])),
    ("zeros", lambda t: t.torch.zeros(2, 3)),
    ("zeros_tuple", lambda t: t.torch.zeros((2, 3), dtype=t.torch.int64)),
    ("zeros_0d", lambda t: t.torch.zeros(())),
    ("ones", lambda t: t.torch.ones(3)),
    ("ones_bool", lambda t: t.torch.ones(2, dtype=t.torch.bool)),
    ("full_int", lambda t: t.torch.full((2, 2), 3)),
    ("full_float", lambda t: t.torch.full((2,), 1.5)),
    ("full_bool", lambda t: t.torch.full((2,), True)),
    ("full_dtype", lambda t: t.torch.full((2,), 2, dtype=t.torch.float64)),
    ("empty_shape", lambda t: _props(t.torch.empty(2, 0, 3))),
    ("empty_like_shape", lambda t: _props(t.torch.empty_like(T(t, I(2, 3))))),
    ("zeros_like", lambda t: t.torch.zeros_like(T(t, A(2, 3)))),
    ("zeros_like_int", lambda t: t.torch.zeros_like(T(t, I(3)))),
    ("ones_like_dtype", lambda t: t.torch.ones_like(T(t, I(3)), dtype=t.torch.float32)),
    ("full_like", lambda t: t.torch.full_like(T(t, A(2, 2)), 7.0)),
    ("full_like_int_truncates", lambda t: t.torch.full_like(T(t, I(3)), 2.7)),
    ("full_like_dtype", lambda t: t.torch.full_like(T(t, I(3)), 2.5, dtype=t.torch.float64)),
    ("arange_int", lambda t: t.torch.arange(5)),
    ("arange_start_end", lambda t: t.torch.arange(2, 9, 3)),
    ("arange_float_step", lambda t: t.torch.arange(0, 1, 0.25)),
    ("arange_float_end", lambda t: t.torch.arange(3.0)),
    ("arange_negative_step", lambda t: t.torch.arange(5, 0, -2)),
    ("arange_dtype", lambda t: t.torch.arange(4, dtype=t.torch.float32)),
    ("arange_empty", lambda t: t.torch.arange(3, 3)),
    ("linspace", lambda t: t.torch.linspace(0, 1, 5)),
    ("linspace_neg", lambda t: t.torch.linspace(-2, 3, steps=7)),
    ("linspace_one", lambda t: t.torch.linspace(2, 3, 1)),
    ("linspace_int_args", lambda t: t.torch.linspace(0, 10, 3)),
    ("logspace", lambda t: t.torch.logspace(0, 2, 3)),
    ("eye", lambda t: t.torch.eye(3)),
    ("eye_rect", lambda t: t.torch.eye(2, 4)),
    ("eye_dtype", lambda t: t.torch.eye(2, dtype=t.torch.int64)),
    ("dot_int", lambda t: T(t, I(3)).int()),
    ("method_long", lambda t: T(t, A(4, lo=-3, hi=3)).long()),
    ("method_int", lambda t: T(t, A(4, lo=-3, hi=3)).int()),
    ("method_float", lambda t: T(t, I(4)).float()),
    ("method_double", lambda t: T(t, A(4)).double()),
    ("method_half", lambda t: T(t, A(4)).half()),
    ("method_bool", lambda t: T(t, np.array([0.0, 0.5, -1.0], np.float32)).bool()),
    ("bool_to_float", lambda t: T(t, B(4)).float()),
    ("type_dtype", lambda t: T(t, A(3)).type(t.torch.float64)),
    ("type_int", lambda t: T(t, A(3, lo=-3, hi=3)).type(t.torch.int64)),
    ("to_dtype", lambda t: T(t, I(3)).to(t.torch.float32)),
    ("to_dtype_kw", lambda t: T(t, I(3)).to(dtype=t.torch.float64)),
    ("to_device_cpu", lambda t: T(t, A(3)).to("cpu")),
    ("to_other_tensor", lambda t: T(t, I(3)).to(T(t, A(1, dtype=np.float64)))),
    ("float_to_int_truncates", lambda t: T(t, np.array([-1.7, 1.7, 2.5], np.float32)).long()),
    ("half_arith", lambda t: T(t, A(4)).half() * 2 + 1),
    ("dtype_attrs", lambda t: (T(t, A(2)).dtype, T(t, I(2)).dtype, T(t, B(2)).dtype)),
    ("dtype_eq", lambda t: T(t, A(2)).dtype == t.torch.float32),
    (
        "is_floating_point",
        lambda t: (T(t, A(2)).is_floating_point(), T(t, I(2)).is_floating_point()),
    ),
    ("torch_is_tensor", lambda t: (t.torch.is_tensor(T(t, A(2))), t.torch.is_tensor([1.0]))),
    ("get_default_dtype", lambda t: t.torch.get_default_dtype()),
    (
        "dtype_names",
        lambda t: (
            t.torch.float32,
            t.torch.float64,
            t.torch.int64,
            t.torch.bool,
            t.torch.float,
            t.torch.long,
            t.torch.double,
            t.torch.int32,
        ),
    ),
    (
        "float_alias_equal",
        lambda t: (t.torch.float == t.torch.float32, t.torch.long == t.torch.int64),
    ),
    ("item_float", lambda t: T(t, np.float32(2.5)).item()),
    ("item_int", lambda t: T(t, np.int64(3)).item()),
    ("item_bool", lambda t: T(t, np.bool_(True)).item()),
    ("item_one_element", lambda t: T(t, A(1, 1)).item()),
    ("item_multi_error", lambda t: T(t, A(2)).item()),
    ("float_of_tensor", lambda t: float(T(t, np.float32(2.5)))),
    ("int_of_tensor", lambda t: int(T(t, np.float32(2.5)))),
    ("bool_of_tensor", lambda t: bool(T(t, np.float32(0.0)))),
    ("bool_multi_error", lambda t: bool(T(t, A(2)))),
    (
        "numel_element_size",
        lambda t: (T(t, A(2, 3)).numel(), T(t, A(2)).element_size(), T(t, I(2)).element_size()),
    ),
    ("clone_dtype", lambda t: T(t, I(3)).clone()),
    ("new_zeros", lambda t: T(t, I(3)).new_zeros(2)),
    ("new_ones", lambda t: T(t, A(3)).new_ones((2, 2))),
    ("new_full", lambda t: T(t, A(3)).new_full((2,), 4.0)),
    ("new_tensor", lambda t: T(t, A(3, dtype=np.float64)).new_tensor([1, 2])),
    ("tril_indices_like", lambda t: t.torch.tril(t.torch.ones(3, 3))),
    ("zeros_negative_error", lambda t: t.torch.zeros(-1)),
    ("arange_zero_step_error", lambda t: t.torch.arange(0, 3, 0)),
    ("rand_props", lambda t: (_props(t.torch.rand(3, 4)), _props(t.torch.rand((2,))))),
    ("rand_range", lambda t: bool(((t.torch.rand(1000) >= 0) & (t.torch.rand(1000) < 1)).all())),
    ("randn_props", lambda t: _props(t.torch.randn(2, 5))),
    ("randn_dtype", lambda t: _props(t.torch.randn(3, dtype=t.torch.float64))),
    ("randint_props", lambda t: _props(t.torch.randint(0, 10, (3, 4)))),
    ("randint_high_only", lambda t: _props(t.torch.randint(5, (6,)))),
    ("randint_range", lambda t: _randint_range(t)),
    ("randint_dtype", lambda t: _props(t.torch.randint(0, 3, (2,), dtype=t.torch.float32))),
    ("randperm", lambda t: t.torch.randperm(6).sort().values),
    ("randperm_dtype", lambda t: _props(t.torch.randperm(4))),
    ("rand_like", lambda t: _props(t.torch.rand_like(T(t, A(2, 3, dtype=np.float64))))),
    ("randn_like", lambda t: _props(t.torch.randn_like(T(t, A(4))))),
    ("normal_tensor_mean", lambda t: _props(t.torch.normal(T(t, A(3)), 1.0))),
    ("normal_scalars_size", lambda t: _props(t.torch.normal(0.0, 1.0, size=(2, 3)))),
    ("normal_tensor_both", lambda t: _props(t.torch.normal(T(t, A(4)), T(t, A(4, lo=0.1, hi=1))))),
    ("normal_zero_std", lambda t: t.torch.normal(T(t, A(4)), 0.0)),
    ("normal_inplace_props", lambda t: _props(t.torch.empty(3, 2).normal_(0, 1))),
    ("uniform_inplace_range", lambda t: _uniform_range(t)),
    ("multinomial_props", lambda t: _props(t.torch.multinomial(T(t, A(5, lo=0.1, hi=1)), 3))),
    (
        "multinomial_2d",
        lambda t: _props(t.torch.multinomial(T(t, A(2, 5, lo=0.1, hi=1)), 4, replacement=True)),
    ),
    ("multinomial_no_replacement_unique", lambda t: _multinomial_unique(t)),
    (
        "multinomial_one_hot",
        lambda t: t.torch.multinomial(
            T(t, np.array([0.0, 0.0, 1.0, 0.0], np.float32)), 3, replacement=True
        ),
    ),
    ("multinomial_too_many_error", lambda t: t.torch.multinomial(T(t, A(3, lo=0.1, hi=1)), 5)),
    ("bernoulli_props", lambda t: _bernoulli(t)),
    ("manual_seed_repeat", lambda t: _seed_repeat(t, lambda: t.torch.randn(5))),
    ("manual_seed_repeat_rand", lambda t: _seed_repeat(t, lambda: t.torch.rand(2, 2))),
    ("manual_seed_repeat_randint", lambda t: _seed_repeat(t, lambda: t.torch.randint(0, 9, (6,)))),
    (
        "manual_seed_repeat_multinomial",
        lambda t: _seed_repeat(t, lambda: t.torch.multinomial(t.torch.ones(10), 4)),
    ),
    ("manual_seed_repeat_linear", lambda t: _seed_repeat(t, lambda: t.nn.Linear(3, 2).weight)),
    ("seed_differs", lambda t: _seed_differs(t)),
    ("dropout_train_zeros_or_scaled", lambda t: _dropout_values(t)),
    ("randn_moments", lambda t: _randn_moments(t)),
]
_CERR = {
    "tensor_ragged_error",
    "item_multi_error",
    "bool_multi_error",
    "zeros_negative_error",
    "arange_zero_step_error",
    "multinomial_too_many_error",
}
for _name, _f in _CREATE:
    add(C, _name, _f, error=_name in _CERR)
assert not _CERR - _NAMES


def _randint_range(t):
    x = t.torch.randint(-3, 4, (2000,))
    return (int(x.min()), int(x.max()), x.dtype)


def _uniform_range(t):
    x = t.torch.empty(1000).uniform_(2.0, 3.0)
    return bool((x >= 2).all() and (x < 3).all())


def _multinomial_unique(t):
    s = t.torch.multinomial(T(t, A(6, lo=0.1, hi=1)), 6)
    return s.sort().values


def _bernoulli(t):
    x = t.torch.bernoulli(T(t, A(100, lo=0, hi=1)))
    return (x.dtype, bool(((x == 0) | (x == 1)).all()))


def _seed_repeat(t, make):
    t.torch.manual_seed(123)
    a = make().detach().clone()
    t.torch.manual_seed(123)
    b = make().detach().clone()
    return t.torch.equal(a, b)


def _seed_differs(t):
    t.torch.manual_seed(1)
    a = t.torch.rand(8)
    b = t.torch.rand(8)
    return t.torch.equal(a, b)


def _dropout_values(t):
    x = t.torch.ones(1000)
    y = t.F.dropout(x, p=0.5, training=True)
    ok = bool(((y == 0) | (y == 2)).all())
    frac = float((y == 0).float().mean())
    return ok, 0.35 < frac < 0.65, t.F.dropout(x, p=0.5, training=False).sum().item()


def _randn_moments(t):
    x = t.torch.randn(20000)
    return abs(float(x.mean())) < 0.05, abs(float(x.std()) - 1) < 0.05


# =======================================================================================
# nn layers
# =======================================================================================

N = "nn_layers"


def _module_grads(t, module, *inputs, seed=0):
    """Forward a module on inputs from numpy; returns (out, input grads, param grads by name)."""
    set_params(t, module, seed)
    leaves = [T(t, a, a.dtype.kind == "f") for a in inputs]
    out = module(*leaves)
    backward_weighted(t, out)
    pg = {n: p.grad for n, p in module.named_parameters()}
    return out.detach(), [leaf.grad for leaf in leaves if leaf.dtype.is_floating_point], pg


_LAYERS = [
    ("Linear", lambda t: t.nn.Linear(4, 3), (2, 4)),
    ("Linear_no_bias", lambda t: t.nn.Linear(4, 3, bias=False), (2, 4)),
    ("Linear_3d_input", lambda t: t.nn.Linear(4, 2), (2, 3, 4)),
    ("Linear_1d_input", lambda t: t.nn.Linear(4, 2), (4,)),
    (
        "Sequential",
        lambda t: t.nn.Sequential(t.nn.Linear(4, 5), t.nn.ReLU(), t.nn.Linear(5, 2)),
        (3, 4),
    ),
    (
        "Sequential_acts",
        lambda t: t.nn.Sequential(
            t.nn.Linear(4, 4),
            t.nn.Tanh(),
            t.nn.Linear(4, 4),
            t.nn.Sigmoid(),
            t.nn.Linear(4, 4),
            t.nn.LeakyReLU(0.1),
            t.nn.Linear(4, 4),
            t.nn.SiLU(),
            t.nn.GELU(),
        ),
        (3, 4),
    ),
    ("Conv1d", lambda t: t.nn.Conv1d(2, 3, 3), (2, 2, 8)),
    ("Conv1d_stride_pad", lambda t: t.nn.Conv1d(2, 4, 3, stride=2, padding=1), (2, 2, 9)),
    ("Conv1d_no_bias_dilation", lambda t: t.nn.Conv1d(1, 2, 2, dilation=2, bias=False), (1, 1, 7)),
    ("Conv2d", lambda t: t.nn.Conv2d(2, 3, 3), (2, 2, 6, 6)),
    (
        "Conv2d_stride_pad",
        lambda t: t.nn.Conv2d(3, 4, kernel_size=3, stride=2, padding=1),
        (2, 3, 7, 7),
    ),
    ("Conv2d_rect_kernel", lambda t: t.nn.Conv2d(1, 2, (2, 3), padding=(1, 0)), (1, 1, 5, 6)),
    ("Conv2d_no_bias", lambda t: t.nn.Conv2d(2, 2, 1, bias=False), (1, 2, 3, 3)),
    ("Conv2d_pad_same", lambda t: t.nn.Conv2d(2, 2, 3, padding="same"), (1, 2, 5, 5)),
    ("Conv2d_groups", lambda t: t.nn.Conv2d(4, 4, 3, groups=2), (1, 4, 5, 5)),
    ("Conv2d_unbatched", lambda t: t.nn.Conv2d(2, 3, 3), (2, 5, 5)),
    ("MaxPool2d", lambda t: t.nn.MaxPool2d(2), (2, 3, 6, 6)),
    ("MaxPool2d_stride", lambda t: t.nn.MaxPool2d(3, stride=2), (1, 2, 7, 7)),
    ("MaxPool2d_padding", lambda t: t.nn.MaxPool2d(2, stride=2, padding=1), (1, 1, 5, 5)),
    ("AvgPool2d", lambda t: t.nn.AvgPool2d(2), (2, 3, 6, 6)),
    ("AvgPool2d_stride", lambda t: t.nn.AvgPool2d(kernel_size=3, stride=1), (1, 2, 5, 5)),
    ("AdaptiveAvgPool2d_1", lambda t: t.nn.AdaptiveAvgPool2d((1, 1)), (2, 3, 5, 5)),
    ("AdaptiveAvgPool2d_2", lambda t: t.nn.AdaptiveAvgPool2d(2), (2, 3, 4, 6)),
    ("MaxPool1d", lambda t: t.nn.MaxPool1d(2), (2, 3, 8)),
    ("AvgPool1d", lambda t: t.nn.AvgPool1d(3, stride=2), (2, 3, 9)),
    ("Tanh", lambda t: t.nn.Tanh(), (3, 4)),
    ("Sigmoid", lambda t: t.nn.Sigmoid(), (3, 4)),
    ("ReLU", lambda t: t.nn.ReLU(), (3, 4)),
    ("LeakyReLU", lambda t: t.nn.LeakyReLU(negative_slope=0.3), (3, 4)),
    ("SiLU", lambda t: t.nn.SiLU(), (3, 4)),
    ("GELU", lambda t: t.nn.GELU(), (3, 4)),
    ("ELU", lambda t: t.nn.ELU(), (3, 4)),
    ("Softplus", lambda t: t.nn.Softplus(), (3, 4)),
    ("Hardtanh", lambda t: t.nn.Hardtanh(-0.5, 0.5), (3, 4)),
    ("Softmax", lambda t: t.nn.Softmax(dim=-1), (3, 4)),
    ("LogSoftmax", lambda t: t.nn.LogSoftmax(dim=1), (3, 4)),
    ("Identity", lambda t: t.nn.Identity(), (3, 4)),
    ("Flatten", lambda t: t.nn.Flatten(), (2, 3, 4)),
    ("Flatten_dims", lambda t: t.nn.Flatten(0, 1), (2, 3, 4)),
    ("Unflatten", lambda t: t.nn.Unflatten(1, (2, 6)), (2, 12)),
    ("LayerNorm", lambda t: t.nn.LayerNorm(4), (3, 4)),
    ("LayerNorm_2d", lambda t: t.nn.LayerNorm((3, 4)), (2, 3, 4)),
    ("LayerNorm_no_affine", lambda t: t.nn.LayerNorm(4, elementwise_affine=False), (2, 4)),
    ("BatchNorm1d_train", lambda t: t.nn.BatchNorm1d(3), (5, 3)),
    ("BatchNorm1d_train_3d", lambda t: t.nn.BatchNorm1d(3), (4, 3, 5)),
    ("BatchNorm2d_train", lambda t: t.nn.BatchNorm2d(2), (3, 2, 4, 4)),
    ("Dropout_eval", lambda t: t.nn.Dropout(0.5).eval(), (3, 4)),
    ("Dropout_p0", lambda t: t.nn.Dropout(0.0), (3, 4)),
]
for _name, _make, _shape in _LAYERS:
    add(N, _name, lambda t, m=_make, s=_shape: _module_grads(t, m(t), A(*s, seed=21)))


@case(N)
def c_Embedding(t):
    emb = set_params(t, t.nn.Embedding(5, 3))
    out = emb(T(t, np.array([[0, 4], [4, 2]])))
    backward_weighted(t, out)
    return out, emb.weight.grad


@case(N)
def c_Embedding_padding_idx(t):
    emb = t.nn.Embedding(4, 2, padding_idx=0)
    return emb(T(t, np.array([0, 0]))), emb.weight[0]


def _bn_stats(t, bn, shape, steps=2):
    set_params(t, bn, 3)
    for i in range(steps):
        bn(T(t, A(*shape, seed=30 + i)))
    return bn.running_mean, bn.running_var, bn.num_batches_tracked


@case(N)
def c_BatchNorm1d_running_stats(t):
    return _bn_stats(t, t.nn.BatchNorm1d(3), (6, 3))


@case(N)
def c_BatchNorm2d_running_stats(t):
    return _bn_stats(t, t.nn.BatchNorm2d(2), (3, 2, 3, 3))


@case(N)
def c_BatchNorm1d_momentum(t):
    return _bn_stats(t, t.nn.BatchNorm1d(3, momentum=0.5), (4, 3))


@case(N)
def c_BatchNorm1d_eval(t):
    bn = t.nn.BatchNorm1d(3)
    _bn_stats(t, bn, (6, 3))
    bn.eval()
    return _module_grads(t, bn, A(4, 3, seed=40), seed=3)


@case(N)
def c_BatchNorm2d_eval(t):
    bn = t.nn.BatchNorm2d(2)
    _bn_stats(t, bn, (3, 2, 3, 3))
    bn.eval()
    return _module_grads(t, bn, A(2, 2, 3, 3, seed=41), seed=3)


@case(N)
def c_BatchNorm_eval_no_update(t):
    bn = t.nn.BatchNorm1d(3).eval()
    bn(T(t, A(4, 3)))
    return bn.running_mean, bn.running_var


@case(N)
def c_BatchNorm2d_state_dict_keys(t):
    return list(t.nn.BatchNorm2d(2).state_dict().keys())


@case(N)
def c_BatchNorm1d_no_affine(t):
    return _module_grads(t, t.nn.BatchNorm1d(3, affine=False), A(5, 3))


@case(N)
def c_BatchNorm1d_batch1_error(t):
    return t.nn.BatchNorm1d(3)(T(t, A(1, 3)))


CASES[-1].error = True


@case(N)
def c_train_eval_flags(t):
    m = t.nn.Sequential(t.nn.Linear(2, 2), t.nn.Dropout())
    a = (m.training, m[1].training)
    m.eval()
    b = (m.training, m[1].training)
    m.train()
    return a, b, m[1].training


@case(N)
def c_ModuleList(t):
    ml = t.nn.ModuleList([t.nn.Linear(3, 3) for _ in range(3)])
    ml.append(t.nn.Linear(3, 1))
    set_params(t, ml)
    x = T(t, A(2, 3))
    for layer in ml:
        x = t.torch.tanh(layer(x))
    return x, len(ml), len(list(ml.parameters())), [n for n, _ in ml.named_parameters()]


@case(N)
def c_ModuleList_in_module(t):
    class Net(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = t.nn.ModuleList([t.nn.Linear(2, 2), t.nn.Linear(2, 2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    net = set_params(t, Net())
    return net(T(t, A(3, 2))), list(net.state_dict().keys()), net.layers[-1].weight


@case(N)
def c_ModuleDict(t):
    md = t.nn.ModuleDict({"enc": t.nn.Linear(3, 2), "dec": t.nn.Linear(2, 3)})
    set_params(t, md)
    x = md["dec"](md["enc"](T(t, A(2, 3))))
    return x, list(md.keys()), "enc" in md, len(md), sorted(n for n, _ in md.named_parameters())


@case(N)
def c_ModuleDict_items(t):
    md = t.nn.ModuleDict({"a": t.nn.ReLU(), "b": t.nn.Tanh()})
    md["c"] = t.nn.Sigmoid()
    x = T(t, A(4))
    return [m(x) for _, m in md.items()], list(md)


@case(N)
def c_custom_module(t):
    class MLP(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = t.nn.Linear(4, 8)
            self.fc2 = t.nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(t.F.relu(self.fc1(x)))

    m = set_params(t, MLP())
    return _module_grads(t, m, A(5, 4))


@case(N)
def c_parameters_count(t):
    m = t.nn.Sequential(t.nn.Linear(4, 8), t.nn.ReLU(), t.nn.Linear(8, 3))
    return sum(p.numel() for p in m.parameters()), [n for n, _ in m.named_parameters()]


@case(N)
def c_state_dict_roundtrip(t):
    a = set_params(t, t.nn.Linear(3, 2))
    b = t.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    return b.weight, b.bias, list(a.state_dict().keys())


@case(N)
def c_load_state_dict_numpy(t):
    m = t.nn.Linear(3, 2)
    m.load_state_dict({"weight": T(t, A(2, 3)), "bias": T(t, A(2, seed=1))})
    return m(T(t, A(4, 3, seed=2)))


@case(N)
def c_load_state_dict_missing_key_error(t):
    t.nn.Linear(3, 2).load_state_dict({"weight": T(t, A(2, 3))})


CASES[-1].error = True


@case(N)
def c_weight_data_assign(t):
    m = t.nn.Linear(3, 2)
    m.weight.data = T(t, A(2, 3))
    m.bias.data.fill_(0.5)
    return m(T(t, A(2, 3, seed=4))), m.weight.requires_grad


@case(N)
def c_parameter_is_leaf(t):
    m = t.nn.Linear(2, 2)
    return (
        m.weight.requires_grad,
        m.weight.is_leaf,
        m.weight.grad,
        isinstance(m.weight, t.nn.Parameter),
    )


@case(N)
def c_nn_Parameter_registers(t):
    class M(t.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = t.nn.Parameter(T(t, A(3)))

        def forward(self, x):
            return x * self.scale

    m = M()
    out = m(T(t, A(3, seed=1)))
    out.sum().backward()
    return out, m.scale.grad, [n for n, _ in m.named_parameters()]


@case(N)
def c_module_zero_grad(t):
    m = t.nn.Linear(2, 2)
    m(T(t, A(1, 2))).sum().backward()
    m.zero_grad()
    return m.weight.grad, m.bias.grad


@case(N)
def c_linear_wrong_input_error(t):
    return t.nn.Linear(3, 2)(T(t, A(2, 4)))


CASES[-1].error = True


@case(N)
def c_conv2d_wrong_channels_error(t):
    return t.nn.Conv2d(3, 2, 3)(T(t, A(1, 2, 5, 5)))


CASES[-1].error = True


@case(N)
def c_F_linear(t):
    return fwd_grad(t, lambda x, w, b: t.F.linear(x, w, b), A(3, 4), A(2, 4, seed=1), A(2, seed=2))


@case(N)
def c_F_conv2d(t):
    return fwd_grad(
        t, lambda x, w: t.F.conv2d(x, w, stride=1, padding=1), A(1, 2, 4, 4), A(3, 2, 3, 3, seed=1)
    )


@case(N)
def c_F_conv1d(t):
    return fwd_grad(
        t,
        lambda x, w, b: t.F.conv1d(x, w, b, padding=2),
        A(2, 1, 6),
        A(2, 1, 3, seed=1),
        A(2, seed=2),
    )


@case(N)
def c_F_max_pool2d(t):
    return fwd_grad(t, lambda x: t.F.max_pool2d(x, 2), _distinct(1, 2, 4, 4))


@case(N)
def c_F_avg_pool2d(t):
    return fwd_grad(t, lambda x: t.F.avg_pool2d(x, kernel_size=2, stride=1), A(1, 2, 4, 4))


@case(N)
def c_F_adaptive_avg_pool2d(t):
    return fwd_grad(t, lambda x: t.F.adaptive_avg_pool2d(x, 1), A(2, 2, 3, 3))


@case(N)
def c_F_batch_norm_train(t):
    rm, rv = T(t, np.zeros(3, np.float32)), T(t, np.ones(3, np.float32))
    out = fwd_grad(t, lambda x: t.F.batch_norm(x, rm, rv, training=True), A(4, 3))
    return out, rm, rv


@case(N)
def c_F_layer_norm(t):
    return fwd_grad(
        t, lambda x, w, b: t.F.layer_norm(x, (4,), w, b), A(3, 4), A(4, seed=1), A(4, seed=2)
    )


@case(N)
def c_F_dropout_eval(t):
    return t.F.dropout(T(t, A(3, 3)), 0.5, training=False)


@case(N)
def c_F_normalize(t):
    return fwd_grad(t, lambda x: t.F.normalize(x, dim=1), A(3, 4))


@case(N)
def c_F_cosine_similarity(t):
    return fwd_grad(t, lambda a, b: t.F.cosine_similarity(a, b, dim=-1), A(3, 4), A(3, 4, seed=1))


@case(N)
def c_F_embedding(t):
    return t.F.embedding(T(t, np.array([1, 0, 1])), T(t, A(3, 2)))


def _sdpa(t, **kw):
    q, k, v = A(2, 3, 4, seed=1), A(2, 5, 4, seed=2), A(2, 5, 4, seed=3)
    return fwd_grad(t, lambda q, k, v: t.F.scaled_dot_product_attention(q, k, v, **kw), q, k, v)


add(N, "sdpa_plain", lambda t: _sdpa(t))
add(N, "sdpa_scale", lambda t: _sdpa(t, scale=0.3))
add(N, "sdpa_bool_mask", lambda t: _sdpa(t, attn_mask=T(t, np.tril(np.ones((3, 5), bool), 2))))
add(N, "sdpa_float_mask", lambda t: _sdpa(t, attn_mask=T(t, A(3, 5, seed=7))))


@case(N)
def c_sdpa_is_causal(t):
    q, k, v = A(2, 4, 3, seed=1), A(2, 4, 3, seed=2), A(2, 4, 3, seed=3)
    return fwd_grad(
        t, lambda q, k, v: t.F.scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v
    )


@case(N)
def c_sdpa_4d_heads(t):
    q, k, v = A(1, 2, 3, 4, seed=1), A(1, 2, 3, 4, seed=2), A(1, 2, 3, 4, seed=3)
    return t.F.scaled_dot_product_attention(T(t, q), T(t, k), T(t, v), is_causal=True)


@case(N)
def c_sdpa_bcast_mask(t):
    q = T(t, A(2, 2, 3, 4, seed=1))
    mask = T(t, np.array([[True, True, False]]))
    return t.F.scaled_dot_product_attention(q, q, q, attn_mask=mask)


def _mha(t, **kw):
    mha = set_params(t, t.nn.MultiheadAttention(4, 2, batch_first=True, **kw))
    q = T(t, A(2, 3, 4, seed=1), True)
    kv = T(t, A(2, 5, 4, seed=2), True)
    return mha, q, kv


@case(N)
def c_MultiheadAttention_batch_first(t):
    mha, q, kv = _mha(t)
    out, w = mha(q, kv, kv)
    backward_weighted(t, out)
    return out, w, q.grad, kv.grad, mha.in_proj_weight.grad, mha.out_proj.bias.grad


@case(N)
def c_MultiheadAttention_self(t):
    mha, q, _ = _mha(t)
    out, w = mha(q, q, q, need_weights=False)
    return out, w


@case(N)
def c_MultiheadAttention_per_head_weights(t):
    mha, q, kv = _mha(t)
    return mha(q, kv, kv, average_attn_weights=False)[1]


@case(N)
def c_MultiheadAttention_causal_mask(t):
    mha, q, _ = _mha(t)
    mask = T(t, np.triu(np.ones((3, 3), bool), 1))
    return mha(q, q, q, attn_mask=mask)


@case(N)
def c_MultiheadAttention_key_padding(t):
    mha, q, kv = _mha(t)
    kpm = T(t, np.array([[False] * 4 + [True], [False] * 5]))
    return mha(q, kv, kv, key_padding_mask=kpm)


@case(N)
def c_MultiheadAttention_param_names(t):
    mha = t.nn.MultiheadAttention(4, 2, batch_first=True)
    return [(n, tuple(p.shape)) for n, p in mha.named_parameters()]


@case(N)
def c_MultiheadAttention_seq_first(t):
    mha = set_params(t, t.nn.MultiheadAttention(4, 1))
    x = T(t, A(3, 2, 4))
    return mha(x, x, x)


@case(N)
def c_clip_grad_norm(t):
    m = set_params(t, t.nn.Linear(4, 3))
    (m(T(t, A(5, 4))) ** 2).sum().backward()
    total = t.nn.utils.clip_grad_norm_(m.parameters(), max_norm=0.5)
    return total, m.weight.grad, m.bias.grad


@case(N)
def c_clip_grad_norm_no_clip(t):
    m = set_params(t, t.nn.Linear(4, 3))
    m(T(t, A(5, 4))).sum().backward()
    total = t.nn.utils.clip_grad_norm_(m.parameters(), 1000.0)
    return total, m.weight.grad


@case(N)
def c_clip_grad_norm_inf(t):
    m = set_params(t, t.nn.Linear(4, 3))
    m(T(t, A(5, 4))).sum().backward()
    total = t.nn.utils.clip_grad_norm_(list(m.parameters()), 0.1, norm_type=float("inf"))
    return total, m.weight.grad


@case(N)
def c_clip_grad_value(t):
    m = set_params(t, t.nn.Linear(4, 3))
    m(T(t, A(5, 4))).sum().backward()
    t.nn.utils.clip_grad_value_(m.parameters(), 0.5)
    return m.weight.grad, m.bias.grad


@case(N)
def c_init_constant_zeros(t):
    m = t.nn.Linear(3, 2)
    t.nn.init.constant_(m.weight, 0.5)
    t.nn.init.zeros_(m.bias)
    return m.weight, m.bias


@case(N)
def c_init_shapes(t):
    w = t.torch.empty(3, 4)
    t.nn.init.xavier_uniform_(w)
    t.nn.init.kaiming_normal_(w)
    return _props(w)


@case(N)
def c_linear_init_range(t):
    m = t.nn.Linear(16, 4)
    bound = 1 / math.sqrt(16)
    return bool((m.weight.abs() <= bound).all()), bool((m.bias.abs() <= bound).all())


@case(N)
def c_conv_weight_shape(t):
    return (
        tuple(t.nn.Conv2d(3, 8, 5).weight.shape),
        tuple(t.nn.Conv1d(2, 4, 3).weight.shape),
        tuple(t.nn.Conv2d(3, 8, 5).bias.shape),
    )


# =======================================================================================
# losses
# =======================================================================================

L = "losses"
_LOGITS = A(4, 5, seed=51)
_TARGET = np.array([1, 0, 4, 2])
_PROB = A(4, 3, seed=52, lo=0.05, hi=0.95)
_BIN = (A(4, 3, seed=53, lo=0, hi=1) > 0.5).astype(np.float32)
_REG_A, _REG_B = A(4, 3, seed=54, lo=-3, hi=3), A(4, 3, seed=55, lo=-3, hi=3)


def _loss_grad(t, loss_fn, x, target):
    xt = T(t, x, True)
    loss = loss_fn(xt, T(t, target))
    if loss.dim() == 0:
        loss.backward()
    else:
        backward_weighted(t, loss)
    return loss.detach(), xt.grad


_LOSSES = [
    ("CrossEntropyLoss", lambda t: t.nn.CrossEntropyLoss(), _LOGITS, _TARGET),
    ("CrossEntropyLoss_sum", lambda t: t.nn.CrossEntropyLoss(reduction="sum"), _LOGITS, _TARGET),
    ("CrossEntropyLoss_none", lambda t: t.nn.CrossEntropyLoss(reduction="none"), _LOGITS, _TARGET),
    (
        "CrossEntropyLoss_weight",
        lambda t: t.nn.CrossEntropyLoss(weight=T(t, A(5, lo=0.5, hi=2))),
        _LOGITS,
        _TARGET,
    ),
    (
        "CrossEntropyLoss_ignore_index",
        lambda t: t.nn.CrossEntropyLoss(ignore_index=4),
        _LOGITS,
        _TARGET,
    ),
    (
        "CrossEntropyLoss_label_smoothing",
        lambda t: t.nn.CrossEntropyLoss(label_smoothing=0.1),
        _LOGITS,
        _TARGET,
    ),
    (
        "CrossEntropyLoss_probs",
        lambda t: t.nn.CrossEntropyLoss(),
        _LOGITS,
        (np.exp(A(4, 5, seed=56)) / np.exp(A(4, 5, seed=56)).sum(1, keepdims=True)).astype(
            np.float32
        ),
    ),
    (
        "CrossEntropyLoss_3d",
        lambda t: t.nn.CrossEntropyLoss(),
        A(2, 5, 3, seed=57),
        np.array([[0, 4, 1], [2, 2, 3]]),
    ),
    ("CrossEntropyLoss_unbatched", lambda t: t.nn.CrossEntropyLoss(), A(5, seed=58), np.array(3)),
    (
        "NLLLoss",
        lambda t: lambda x, y: t.nn.NLLLoss()(t.F.log_softmax(x, dim=1), y),
        _LOGITS,
        _TARGET,
    ),
    ("NLLLoss_raw", lambda t: t.nn.NLLLoss(), _LOGITS, _TARGET),
    ("NLLLoss_sum", lambda t: t.nn.NLLLoss(reduction="sum"), _LOGITS, _TARGET),
    ("NLLLoss_weight", lambda t: t.nn.NLLLoss(weight=T(t, A(5, lo=0.5, hi=2))), _LOGITS, _TARGET),
    ("NLLLoss_none", lambda t: t.nn.NLLLoss(reduction="none"), _LOGITS, _TARGET),
    ("BCELoss", lambda t: t.nn.BCELoss(), _PROB, _BIN),
    ("BCELoss_sum", lambda t: t.nn.BCELoss(reduction="sum"), _PROB, _BIN),
    ("BCELoss_weight", lambda t: t.nn.BCELoss(weight=T(t, A(3, lo=0.5, hi=2))), _PROB, _BIN),
    ("BCELoss_soft_target", lambda t: t.nn.BCELoss(), _PROB, A(4, 3, seed=59, lo=0, hi=1)),
    (
        "BCELoss_edges",
        lambda t: t.nn.BCELoss(reduction="none"),
        np.array([0.0, 1.0, 0.5, 1e-9], np.float32),
        np.array([0.0, 1.0, 1.0, 1.0], np.float32),
    ),
    ("BCEWithLogitsLoss", lambda t: t.nn.BCEWithLogitsLoss(), _REG_A, _BIN),
    (
        "BCEWithLogitsLoss_pos_weight",
        lambda t: t.nn.BCEWithLogitsLoss(pos_weight=T(t, A(3, lo=0.5, hi=3))),
        _REG_A,
        _BIN,
    ),
    ("BCEWithLogitsLoss_none", lambda t: t.nn.BCEWithLogitsLoss(reduction="none"), _REG_A, _BIN),
    (
        "BCEWithLogitsLoss_large",
        lambda t: t.nn.BCEWithLogitsLoss(),
        np.array([100.0, -100.0, 50.0], np.float32),
        np.array([0.0, 1.0, 1.0], np.float32),
    ),
    ("MSELoss", lambda t: t.nn.MSELoss(), _REG_A, _REG_B),
    ("MSELoss_sum", lambda t: t.nn.MSELoss(reduction="sum"), _REG_A, _REG_B),
    ("MSELoss_none", lambda t: t.nn.MSELoss(reduction="none"), _REG_A, _REG_B),
    ("L1Loss", lambda t: t.nn.L1Loss(), _REG_A, _REG_B),
    ("L1Loss_sum", lambda t: t.nn.L1Loss(reduction="sum"), _REG_A, _REG_B),
    ("SmoothL1Loss", lambda t: t.nn.SmoothL1Loss(), _REG_A, _REG_B),
    ("SmoothL1Loss_beta", lambda t: t.nn.SmoothL1Loss(beta=2.0), _REG_A, _REG_B),
    ("SmoothL1Loss_none", lambda t: t.nn.SmoothL1Loss(reduction="none", beta=0.5), _REG_A, _REG_B),
    ("HuberLoss", lambda t: t.nn.HuberLoss(), _REG_A, _REG_B),
    ("HuberLoss_delta", lambda t: t.nn.HuberLoss(delta=2.0), _REG_A, _REG_B),
    ("HuberLoss_sum", lambda t: t.nn.HuberLoss(reduction="sum", delta=0.5), _REG_A, _REG_B),
    (
        "KLDivLoss",
        lambda t: t.nn.KLDivLoss(reduction="batchmean"),
        np.log(_PROB),
        _PROB[::-1].copy(),
    ),
    ("F_cross_entropy", lambda t: t.F.cross_entropy, _LOGITS, _TARGET),
    (
        "F_cross_entropy_kw",
        lambda t: lambda x, y: t.F.cross_entropy(x, y, reduction="sum", label_smoothing=0.2),
        _LOGITS,
        _TARGET,
    ),
    ("F_nll_loss", lambda t: t.F.nll_loss, _LOGITS, _TARGET),
    ("F_mse_loss", lambda t: t.F.mse_loss, _REG_A, _REG_B),
    ("F_l1_loss", lambda t: t.F.l1_loss, _REG_A, _REG_B),
    ("F_smooth_l1_loss", lambda t: lambda x, y: t.F.smooth_l1_loss(x, y, beta=0.7), _REG_A, _REG_B),
    ("F_huber_loss", lambda t: lambda x, y: t.F.huber_loss(x, y, delta=1.5), _REG_A, _REG_B),
    ("F_binary_cross_entropy", lambda t: t.F.binary_cross_entropy, _PROB, _BIN),
    ("F_bce_with_logits", lambda t: t.F.binary_cross_entropy_with_logits, _REG_A, _BIN),
    (
        "F_bce_with_logits_pos_weight",
        lambda t: (
            lambda x, y: t.F.binary_cross_entropy_with_logits(
                x, y, pos_weight=T(t, A(3, lo=1, hi=2))
            )
        ),
        _REG_A,
        _BIN,
    ),
    ("MSELoss_f64", lambda t: t.nn.MSELoss(), _REG_A.astype(np.float64), _REG_B.astype(np.float64)),
    (
        "CrossEntropyLoss_f64",
        lambda t: t.nn.CrossEntropyLoss(),
        _LOGITS.astype(np.float64),
        _TARGET,
    ),
]
for _name, _make, _x, _y in _LOSSES:
    add(L, _name, lambda t, m=_make, x=_x, y=_y: _loss_grad(t, m(t), x, y))

_LOSS_ERR = [
    (
        "CrossEntropyLoss_target_out_of_range",
        lambda t: t.nn.CrossEntropyLoss()(T(t, _LOGITS), T(t, np.array([1, 0, 5, 2]))),
    ),
    (
        "CrossEntropyLoss_float_class_target_error",
        lambda t: t.nn.CrossEntropyLoss()(T(t, _LOGITS), T(t, _TARGET.astype(np.float32))),
    ),
    (
        "CrossEntropyLoss_batch_mismatch",
        lambda t: t.nn.CrossEntropyLoss()(T(t, _LOGITS), T(t, np.array([1, 0, 2]))),
    ),
    (
        "NLLLoss_negative_target",
        lambda t: t.F.nll_loss(T(t, _LOGITS), T(t, np.array([1, -2, 0, 0]))),
    ),
    (
        "BCELoss_out_of_range",
        lambda t: t.nn.BCELoss()(
            T(t, np.array([1.5, 0.5], np.float32)), T(t, np.array([1.0, 0.0], np.float32))
        ),
    ),
    ("BCELoss_shape_mismatch", lambda t: t.F.binary_cross_entropy(T(t, _PROB), T(t, _BIN[:, :2]))),
    (
        "BCEWithLogits_shape_mismatch",
        lambda t: t.F.binary_cross_entropy_with_logits(T(t, _REG_A), T(t, _BIN[:2])),
    ),
    ("MSELoss_bad_broadcast", lambda t: t.F.mse_loss(T(t, A(3, 2)), T(t, A(4, 2)))),
    (
        "CrossEntropyLoss_bad_reduction",
        lambda t: t.F.cross_entropy(T(t, _LOGITS), T(t, _TARGET), reduction="avg"),
    ),
]
for _name, _f in _LOSS_ERR:
    add(L, _name, _f, error=True)


@case(L)
def c_loss_returns_0d(t):
    loss = t.nn.MSELoss()(T(t, _REG_A), T(t, _REG_B))
    return tuple(loss.shape), loss.dtype, loss.requires_grad


@case(L)
def c_loss_item_float(t):
    return t.nn.CrossEntropyLoss()(T(t, _LOGITS), T(t, _TARGET)).item()


@case(L)
def c_classifier_training_loss(t):
    model = set_params(t, t.nn.Sequential(t.nn.Linear(5, 6), t.nn.ReLU(), t.nn.Linear(6, 5)))
    opt = t.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = t.F.cross_entropy(model(T(t, _LOGITS)), T(t, _TARGET))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


# =======================================================================================
# optim
# =======================================================================================

O = "optim"


def _train(t, make_opt, steps=3, sched=None, seed=0):
    """A small regression model trained a few steps; returns final params and the losses."""
    model = set_params(t, t.nn.Linear(3, 2), seed)
    opt = make_opt(model.parameters())
    s = sched(opt) if sched else None
    x, y = T(t, A(6, 3, seed=61)), T(t, A(6, 2, seed=62))
    losses, lrs = [], []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if s is not None:
            lrs.append(opt.param_groups[0]["lr"])
            s.step()
    return model.weight, model.bias, losses, lrs


_OPTS = [
    ("SGD", lambda t: lambda p: t.optim.SGD(p, lr=0.1)),
    ("SGD_momentum", lambda t: lambda p: t.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("SGD_nesterov", lambda t: lambda p: t.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD_weight_decay", lambda t: lambda p: t.optim.SGD(p, lr=0.1, weight_decay=0.1)),
    ("SGD_dampening", lambda t: lambda p: t.optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.5)),
    ("Adam", lambda t: lambda p: t.optim.Adam(p, lr=0.01)),
    ("Adam_betas", lambda t: lambda p: t.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam_weight_decay", lambda t: lambda p: t.optim.Adam(p, lr=0.01, weight_decay=0.1)),
    ("Adam_amsgrad", lambda t: lambda p: t.optim.Adam(p, lr=0.01, amsgrad=True)),
    ("AdamW", lambda t: lambda p: t.optim.AdamW(p, lr=0.01)),
    ("AdamW_wd", lambda t: lambda p: t.optim.AdamW(p, lr=0.01, weight_decay=0.5)),
    ("RMSprop", lambda t: lambda p: t.optim.RMSprop(p, lr=0.01)),
    ("RMSprop_momentum", lambda t: lambda p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5)),
    ("Adagrad", lambda t: lambda p: t.optim.Adagrad(p, lr=0.1)),
    (
        "Adagrad_lr_decay",
        lambda t: lambda p: t.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.1),
    ),
    (
        "Adagrad_init_acc",
        lambda t: lambda p: t.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.5),
    ),
]
for _name, _mk in _OPTS:
    add(O, _name, lambda t, mk=_mk: _train(t, mk(t)))

_SCHEDS = [
    ("StepLR", lambda t: lambda o: t.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5)),
    ("CosineAnnealingLR", lambda t: lambda o: t.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4)),
    ("LambdaLR", lambda t: lambda o: t.optim.lr_scheduler.LambdaLR(o, lambda e: 0.9**e)),
    (
        "LambdaLR_warmup",
        lambda t: (
            lambda o: t.optim.lr_scheduler.LambdaLR(o, lr_lambda=lambda e: min(1.0, (e + 1) / 3))
        ),
    ),
    (
        "OneCycleLR",
        lambda t: lambda o: t.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=6),
    ),
    (
        "OneCycleLR_linear",
        lambda t: (
            lambda o: t.optim.lr_scheduler.OneCycleLR(
                o, max_lr=0.2, total_steps=6, anneal_strategy="linear", pct_start=0.5
            )
        ),
    ),
    (
        "OneCycleLR_epochs",
        lambda t: (
            lambda o: t.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=2, steps_per_epoch=3)
        ),
    ),
]
for _name, _mk in _SCHEDS:
    add(
        O,
        f"{_name}_SGD",
        lambda t, mk=_mk: _train(
            t, lambda p: t.optim.SGD(p, lr=0.1, momentum=0.9), steps=6, sched=mk(t)
        ),
    )
add(
    O,
    "OneCycleLR_Adam",
    lambda t: _train(
        t,
        lambda p: t.optim.Adam(p, lr=0.01),
        steps=5,
        sched=lambda o: t.optim.lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=5),
    ),
)


@case(O)
def c_scheduler_get_last_lr(t):
    opt = t.optim.SGD([t.nn.Parameter(T(t, A(2)))], lr=1.0)
    s = t.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 / (e + 1))
    out = [s.get_last_lr()]
    for _ in range(3):
        opt.step()
        s.step()
        out.append(s.get_last_lr())
    return out


@case(O)
def c_OneCycleLR_lrs(t):
    opt = t.optim.SGD([t.nn.Parameter(T(t, A(2)))], lr=0.1, momentum=0.9)
    s = t.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    lrs, moms = [], []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        s.step()
    return lrs, moms


@case(O)
def c_OneCycleLR_too_many_steps_error(t):
    opt = t.optim.SGD([t.nn.Parameter(T(t, A(2)))], lr=0.1)
    s = t.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=2)
    for _ in range(4):
        opt.step()
        s.step()


CASES[-1].error = True


@case(O)
def c_zero_grad_set_to_none(t):
    p = t.nn.Parameter(T(t, A(3)))
    opt = t.optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad()
    a = p.grad
    (p * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    return a, p.grad


@case(O)
def c_param_groups(t):
    a, b = t.nn.Parameter(T(t, A(2))), t.nn.Parameter(T(t, A(2, seed=1)))
    opt = t.optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    ((a**2).sum() + (b**2).sum()).backward()
    opt.step()
    return a, b, [g["lr"] for g in opt.param_groups]


@case(O)
def c_lr_edit_in_param_group(t):
    p = t.nn.Parameter(T(t, A(3)))
    opt = t.optim.SGD([p], lr=0.1)
    for g in opt.param_groups:
        g["lr"] = 0.5
    p.sum().backward()
    opt.step()
    return p


@case(O)
def c_step_skips_none_grad(t):
    a, b = t.nn.Parameter(T(t, A(2))), t.nn.Parameter(T(t, A(2, seed=1)))
    opt = t.optim.Adam([a, b], lr=0.1)
    a.sum().backward()
    opt.step()
    return a, b, b.grad


@case(O)
def c_grad_accumulates_without_zero(t):
    p = t.nn.Parameter(T(t, A(3)))
    opt = t.optim.SGD([p], lr=0.1)
    for _ in range(2):
        (p**2).sum().backward()
    g = p.grad.clone()
    opt.step()
    return g, p


@case(O)
def c_optimizer_state_dict_keys(t):
    p = t.nn.Parameter(T(t, A(3)))
    opt = t.optim.Adam([p], lr=0.1)
    p.sum().backward()
    opt.step()
    sd = opt.state_dict()
    return sorted(sd.keys()), sorted(sd["state"][0].keys())


@case(O)
def c_optimizer_empty_params_error(t):
    return t.optim.SGD([], lr=0.1)


CASES[-1].error = True


@case(O)
def c_optimizer_negative_lr_error(t):
    return t.optim.Adam([t.nn.Parameter(T(t, A(2)))], lr=-1.0)


CASES[-1].error = True


@case(O)
def c_adam_many_steps(t):
    return _train(t, lambda p: t.optim.Adam(p, lr=0.02), steps=25)


@case(O)
def c_clip_then_step(t):
    model = set_params(t, t.nn.Linear(3, 2))
    opt = t.optim.SGD(model.parameters(), lr=0.1)
    (model(T(t, A(4, 3))) ** 2).sum().backward()
    n = t.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
    opt.step()
    return n, model.weight, model.bias


@case(O)
def c_dataloader_training(t):
    X, Y = T(t, A(8, 3, seed=71)), T(t, A(8, 1, seed=72))
    ds = t.data.TensorDataset(X, Y)
    dl = t.data.DataLoader(ds, batch_size=3, shuffle=False)
    model = set_params(t, t.nn.Linear(3, 1))
    opt = t.optim.SGD(model.parameters(), lr=0.1)
    sizes = []
    for xb, yb in dl:
        opt.zero_grad()
        t.F.mse_loss(model(xb), yb).backward()
        opt.step()
        sizes.append(len(xb))
    return model.weight, sizes, len(ds), len(dl), ds[2]


@case(O)
def c_dataloader_drop_last(t):
    ds = t.data.TensorDataset(T(t, A(7, 2)))
    return [b[0].shape[0] for b in t.data.DataLoader(ds, batch_size=3, drop_last=True)]


# =======================================================================================
# autograd
# =======================================================================================

G = "autograd"


@case(G)
def c_chain_rule(t):
    x = T(t, A(4), True)
    y = t.torch.tanh(x * 2 + 1).exp().sum()
    y.backward()
    return y, x.grad


@case(G)
def c_reused_variable(t):
    x = T(t, A(3), True)
    (x * x + x * 3 - x / 2).sum().backward()
    return x.grad


@case(G)
def c_grad_accumulates(t):
    x = T(t, A(3), True)
    (x * 2).sum().backward()
    (x**2).sum().backward()
    return x.grad


@case(G)
def c_grad_zero_manual(t):
    x = T(t, A(3), True)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 3).sum().backward()
    return x.grad


@case(G)
def c_grad_none_before_backward(t):
    return T(t, A(3), True).grad


@case(G)
def c_backward_with_gradient(t):
    x = T(t, A(3), True)
    y = x**2
    y.backward(T(t, np.array([1.0, 0.5, 2.0], np.float32)))
    return x.grad


@case(G)
def c_backward_gradient_kw(t):
    x = T(t, A(2, 2), True)
    (x * 3).backward(gradient=t.torch.ones(2, 2))
    return x.grad


@case(G)
def c_backward_non_scalar_error(t):
    (T(t, A(3), True) * 2).backward()


CASES[-1].error = True


@case(G)
def c_backward_no_grad_error(t):
    T(t, A(3)).sum().backward()


CASES[-1].error = True


@case(G)
def c_backward_twice_error(t):
    x = T(t, A(3), True)
    y = (x.exp() * x).sum()
    y.backward()
    y.backward()


CASES[-1].error = True


@case(G)
def c_retain_graph(t):
    x = T(t, A(3), True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@case(G)
def c_no_grad(t):
    x = T(t, A(3), True)
    with t.torch.no_grad():
        y = x * 2
    return y.requires_grad, y.grad_fn is None, y


@case(G)
def c_no_grad_decorator(t):
    @t.torch.no_grad()
    def f(x):
        return x * 2

    return f(T(t, A(3), True)).requires_grad


@case(G)
def c_enable_grad_inside_no_grad(t):
    x = T(t, A(3), True)
    with t.torch.no_grad(), t.torch.enable_grad():
        y = x * 2
    return y.requires_grad


@case(G)
def c_set_grad_enabled(t):
    x = T(t, A(3), True)
    with t.torch.set_grad_enabled(False):
        a = x * 2
    with t.torch.set_grad_enabled(True):
        b = x * 2
    return a.requires_grad, b.requires_grad, t.torch.is_grad_enabled()


@case(G)
def c_is_grad_enabled_in_no_grad(t):
    with t.torch.no_grad():
        return t.torch.is_grad_enabled()


@case(G)
def c_inference_mode(t):
    x = T(t, A(3), True)
    with t.torch.inference_mode():
        y = x * 2
    return y.requires_grad


@case(G)
def c_detach(t):
    x = T(t, A(3), True)
    y = x * 2
    d = y.detach()
    z = (y * d).sum()
    z.backward()
    return d.requires_grad, x.grad, d.is_leaf


@case(G)
def c_detach_shares_data(t):
    x = T(t, A(3), True)
    d = x.detach()
    d[0] = 10.0
    return x


@case(G)
def c_requires_grad_propagation(t):
    a, b = T(t, A(2), True), T(t, A(2))
    return (a + b).requires_grad, (b * 2).requires_grad, b.requires_grad


@case(G)
def c_requires_grad_inplace(t):
    x = T(t, A(3))
    x.requires_grad_()
    (x * x).sum().backward()
    return x.requires_grad, x.grad


@case(G)
def c_requires_grad_attr_set(t):
    x = T(t, A(3))
    x.requires_grad = True
    (x**3).sum().backward()
    return x.grad


@case(G)
def c_int_requires_grad_error(t):
    return t.torch.tensor([1, 2], requires_grad=True)


CASES[-1].error = True


@case(G)
def c_is_leaf(t):
    x = T(t, A(3), True)
    y = x * 2
    return x.is_leaf, y.is_leaf, T(t, A(3)).is_leaf, x.grad_fn is None


@case(G)
def c_grad_fn_names(t):
    x = T(t, A(2, 2), True)
    return (
        (x * 2).grad_fn.name(),
        (x + 1).grad_fn.name(),
        x.sum().grad_fn.name(),
        (x @ x).grad_fn.name(),
        x.exp().grad_fn.name(),
        x.view(4).grad_fn.name(),
    )


@case(G)
def c_grad_fn_repr(t):
    x = T(t, A(3), True)
    return repr((x * 2).grad_fn).split(" ")[0], repr(t.torch.tanh(x).grad_fn).split(" ")[0]


@case(G)
def c_non_leaf_grad_none(t):
    x = T(t, A(3), True)
    y = x * 2
    y.sum().backward()
    return y.grad, x.grad


@case(G)
def c_retain_grad(t):
    x = T(t, A(3), True)
    y = x * 2
    y.retain_grad()
    (y**2).sum().backward()
    return y.grad, x.grad


@case(G)
def c_autograd_grad(t):
    x = T(t, A(3), True)
    (g,) = t.torch.autograd.grad((x**3).sum(), x)
    return g, x.grad


@case(G)
def c_autograd_grad_two_inputs(t):
    a, b = T(t, A(3), True), T(t, A(3, seed=1), True)
    return t.torch.autograd.grad((a * b.exp()).sum(), [a, b])


@case(G)
def c_autograd_grad_create_graph(t):
    x = T(t, A(3), True)
    (g,) = t.torch.autograd.grad((x**3).sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


@case(G)
def c_double_backward_tanh(t):
    x = T(t, A(4), True)
    (g,) = t.torch.autograd.grad(t.torch.tanh(x).sum(), x, create_graph=True)
    (gg,) = t.torch.autograd.grad(g.sum(), x)
    return gg


@case(G)
def c_inplace_leaf_error(t):
    x = T(t, A(3), True)
    x.add_(1)


CASES[-1].error = True


@case(G)
def c_inplace_leaf_no_grad_ok(t):
    x = T(t, A(3), True)
    with t.torch.no_grad():
        x.mul_(2)
    return x, x.requires_grad


@case(G)
def c_inplace_non_leaf(t):
    x = T(t, A(3), True)
    y = x * 2
    y.add_(1)
    y[0] = 0.0
    (y * y).sum().backward()
    return x.grad


@case(G)
def c_inplace_saved_tensor_error(t):
    x = T(t, A(3), True)
    y = x.exp()
    z = y * y
    y.add_(1)
    z.sum().backward()


CASES[-1].error = True


@case(G)
def c_sigmoid_saved_output_inplace_error(t):
    x = T(t, A(3), True)
    y = t.torch.sigmoid(x)
    y.mul_(2)
    y.sum().backward()


CASES[-1].error = True


@case(G)
def c_grad_through_index(t):
    return fwd_grad(t, lambda x: x[T(t, np.array([0, 0, 2]))] * 2, A(4))


@case(G)
def c_grad_through_setitem(t):
    x = T(t, A(4), True)
    y = t.torch.zeros(6)
    y[1:5] = x * 3
    y[2] = 0.0
    backward_weighted(t, y)
    return x.grad


@case(G)
def c_grad_broadcast_reduce(t):
    return fwd_grad(t, lambda a, b: a * b + b, A(3, 1, 4), A(2, 1))


@case(G)
def c_grad_expand(t):
    return fwd_grad(t, lambda a: a.expand(3, 4) * 2, A(1, 4))


@case(G)
def c_grad_split_used_partly(t):
    return fwd_grad(t, lambda a: a.split(2)[1] * 3, A(5))


@case(G)
def c_grad_chunk_cat(t):
    return fwd_grad(t, lambda a: t.torch.cat([c * (i + 1) for i, c in enumerate(a.chunk(3))]), A(6))


@case(G)
def c_grad_stack_unbind(t):
    return fwd_grad(t, lambda a: t.torch.stack(a.unbind(1)[::-1]), A(3, 2))


@case(G)
def c_grad_abs_at_zero(t):
    return fwd_grad(t, lambda a: a.abs(), np.array([-1.0, 0.0, 2.0], np.float32))


@case(G)
def c_grad_relu_at_zero(t):
    return fwd_grad(t, lambda a: t.torch.relu(a), np.array([-1.0, 0.0, 2.0], np.float32))


@case(G)
def c_grad_sqrt_at_zero(t):
    return fwd_grad(t, lambda a: a.sqrt(), np.array([0.0, 4.0], np.float32))


@case(G)
def c_grad_max_all_ties(t):
    return fwd_grad(t, lambda a: a.max(), np.array([1.0, 3.0, 3.0], np.float32))


@case(G)
def c_grad_clamp_at_bound(t):
    return fwd_grad(t, lambda a: a.clamp(0.0, 1.0), np.array([0.0, 0.5, 1.0, 2.0], np.float32))


@case(G)
def c_grad_where_nan_branch(t):
    return fwd_grad(t, lambda a: t.torch.where(a > 0, a, a * 0), A(4))


@case(G)
def c_grad_f64(t):
    return fwd_grad(
        t, lambda a, b: (a @ b).tanh(), A(2, 3, dtype=np.float64), A(3, 2, seed=1, dtype=np.float64)
    )


@case(G)
def c_grad_dtype_matches_input(t):
    x = T(t, A(3, dtype=np.float64), True)
    (x * T(t, A(3))).sum().backward()
    return x.grad.dtype, (x * T(t, A(3))).dtype


@case(G)
def c_grad_mixed_dtype_leaves(t):
    a, b = T(t, A(3), True), T(t, A(3, seed=1, dtype=np.float64), True)
    (a * b).sum().backward()
    return a.grad, b.grad


@case(G)
def c_grad_int_times_float(t):
    a = T(t, A(3), True)
    (a * T(t, I(3))).sum().backward()
    return a.grad


@case(G)
def c_grad_0d(t):
    return fwd_grad(t, lambda a: a * a * 3, np.float32(1.5))


@case(G)
def c_grad_empty(t):
    x = T(t, A(0, 3), True)
    x.sum().backward()
    return x.grad


@case(G)
def c_grad_softmax_ce_manual(t):
    return fwd_grad(
        t, lambda z: -(z.log_softmax(-1)[T(t, np.arange(4)), T(t, _TARGET)]).mean(), _LOGITS
    )


@case(G)
def c_grad_mlp_manual(t):
    x = T(t, A(5, 4))
    w1, b1, w2 = A(4, 6, seed=1), A(6, seed=2), A(6, 2, seed=3)
    return fwd_grad(t, lambda w1, b1, w2: ((x @ w1 + b1).relu() @ w2).sigmoid(), w1, b1, w2)


@case(G)
def c_grad_norm(t):
    return fwd_grad(t, lambda a: a.norm(dim=1), A(3, 4))


@case(G)
def c_grad_cumsum_cumprod(t):
    return fwd_grad(t, lambda a: a.cumsum(0) + a.cumprod(0), A(5, lo=0.5, hi=1.5))


@case(G)
def c_grad_pow_tensor_exponent(t):
    return fwd_grad(t, lambda a, b: a**b, A(4, lo=0.5, hi=2), A(4, seed=1))


@case(G)
def c_grad_masked_fill(t):
    return fwd_grad(t, lambda a: a.masked_fill(T(t, B(3, 4)), 0.0), A(3, 4))


@case(G)
def c_grad_scatter_src(t):
    return fwd_grad(
        t,
        lambda s: t.torch.zeros(3, 3).scatter_add(0, T(t, np.array([[0, 1, 2], [0, 0, 0]])), s),
        A(2, 3),
    )


@case(G)
def c_grad_einsum(t):
    return fwd_grad(
        t, lambda a, b: t.torch.einsum("bij,bjk->bik", a, b), A(2, 3, 4), A(2, 4, 2, seed=1)
    )


@case(G)
def c_grad_conv_pool_chain(t):
    conv = set_params(t, t.nn.Conv2d(1, 2, 3, padding=1))
    pool = t.nn.MaxPool2d(2)
    x = T(t, A(1, 1, 4, 4), True)
    out = pool(t.torch.relu(conv(x))).flatten().sum()
    out.backward()
    return out, x.grad, conv.weight.grad


@case(G)
def c_torch_autograd_backward(t):
    x = T(t, A(3), True)
    t.torch.autograd.backward([(x * 2).sum()])
    return x.grad


@case(G)
def c_hook(t):
    x = T(t, A(3), True)
    seen = []
    x.register_hook(lambda g: seen.append(g.clone()))
    (x * 3).sum().backward()
    return seen


@case(G)
def c_hook_modifies(t):
    x = T(t, A(3), True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    return x.grad


@case(G)
def c_clone_keeps_graph(t):
    return fwd_grad(t, lambda a: a.clone() * 3, A(3))


@case(G)
def c_detach_stops_grad(t):
    return fwd_grad(t, lambda a: a * a.detach(), A(3))


@case(G)
def c_item_from_graph(t):
    x = T(t, A(3), True)
    return (x * 2).sum().item()


@case(G)
def c_numpy_requires_grad_error(t):
    return T(t, A(3), True).numpy()


CASES[-1].error = True


@case(G)
def c_data_attr(t):
    x = T(t, A(3), True)
    return x.data.requires_grad, x.data


@case(G)
def c_requires_grad_false_param_skipped(t):
    m = set_params(t, t.nn.Linear(3, 1))
    m.bias.requires_grad_(False)
    m(T(t, A(2, 3))).sum().backward()
    return m.weight.grad, m.bias.grad
