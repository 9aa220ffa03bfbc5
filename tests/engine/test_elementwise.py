# ruff: noqa: E501 - a table of cases, one per line
"""The elementwise maths of pointwise.py against PyTorch 2.13: what the op table can't say.

Integer and bool inputs (which dtype comes out), scalars on either side, 0-d operands,
broadcasting, gradients at the edges (clamp's bounds crossing, fmod's jumps), grad_fn
names, in-place forms, and the errors, each with PyTorch's exception class and a message
that names the op and says what to do. Cases are ``(name, fn, pattern)`` as in
against_torch.py: ``fn(m, d)`` runs on ``torch`` and on the engine.
"""

import math

import pytest

import nnbench.engine as ne

from .against_torch import check_case

torch = pytest.importorskip("torch")

NAN, INF = math.nan, math.inf
FLOAT_OPS = [
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "asinh",
    "acosh",
    "atanh",
    "rsqrt",
    "log2",
    "log10",
    "log1p",
    "exp2",
    "expm1",
    "erf",
]


def _t(m, d, data, **kw):
    return m.tensor(data, device=d, **kw)


def _i(m, d):
    return _t(m, d, [-7, 3, 5, 0])


def _j(m, d):
    return _t(m, d, [2, -2, 3, 4])


def _grads(fn, *values):
    """fn(m, *leaves) -> out; the case returns [out, each leaf's grad], weighted."""

    def case(m, d):
        leaves = [_t(m, d, v, requires_grad=True) for v in values]
        out = fn(m, *leaves)
        weights = _t(m, d, [0.5 + 0.25 * k for k in range(out.numel())]).reshape(out.shape)
        (out * weights).sum().backward()
        return [out.detach(), *(leaf.grad for leaf in leaves)]

    return case


def _names(*fns):
    def case(m, d):
        x = _t(m, d, [0.3, 1.4], requires_grad=True)
        y = _t(m, d, [0.7, 1.5], requires_grad=True)
        return [fn(m, x, y).grad_fn.name() for fn in fns]

    return case


CASES = [
    # dtypes: integers and bools computed in float32 by the float ops
    ("float_ops_of_ints", lambda m, d: [getattr(_i(m, d), n)() for n in FLOAT_OPS], None),
    ("float_ops_of_bools", lambda m, d: [getattr(_i(m, d) > 0, n)() for n in FLOAT_OPS], None),
    (
        "float_ops_of_float64",
        lambda m, d: [getattr(_i(m, d).double() / 9, n)() for n in FLOAT_OPS],
        None,
    ),
    ("free_functions", lambda m, d: [getattr(m, n)(_i(m, d) / 9) for n in FLOAT_OPS], None),
    (
        "arc_aliases",
        lambda m, d: [m.arcsin(_i(m, d) / 9), _i(m, d).arctanh(), m.arctan2(_i(m, d), _j(m, d))],
        None,
    ),
    # rounding keeps integer dtypes (sign keeps bool and uint8 too)
    (
        "steps_of_ints",
        lambda m, d: [
            _i(m, d).floor(),
            m.ceil(_i(m, d)),
            _i(m, d).round(),
            m.trunc(_i(m, d)),
            _i(m, d).sign(),
            m.fix(_i(m, d)),
        ],
        None,
    ),
    ("steps_of_int32", lambda m, d: [_i(m, d).int().floor(), _i(m, d).int().sign()], None),
    (
        "sign_of_bool_uint8",
        lambda m, d: [(_i(m, d) > 0).sign(), _t(m, d, [0, 2], dtype=m.uint8).sign()],
        None,
    ),
    ("sign_nan_and_minus_zero", lambda m, d: m.sign(_t(m, d, [NAN, -0.0, -2.5, 3.0])), None),
    ("round_half_to_even", lambda m, d: _t(m, d, [-0.5, 0.5, 1.5, 2.5, -2.5]).round(), None),
    (
        "round_decimals",
        lambda m, d: [
            _t(m, d, [1.234, 15.5, 25.0]).round(decimals=-1),
            m.round(_t(m, d, [1.25, 2.5, -0.125]), decimals=1),
            _t(m, d, [1.2345]).round(decimals=3),
        ],
        None,
    ),
    ("frac", lambda m, d: _t(m, d, [-1.5, 1.25, 2.0, -0.0]).frac(), None),
    (
        "floor_of_bool",
        lambda m, d: (_i(m, d) > 0).floor(),
        r"floor: not implemented for .*bool.*t\.long\(\)",
    ),
    ("round_of_bool", lambda m, d: m.round(_i(m, d) > 0), r"round: not implemented for .*bool"),
    (
        "frac_of_int",
        lambda m, d: _i(m, d).frac(),
        r"frac: not implemented for .*int64.*t\.float\(\)",
    ),
    (
        "round_decimals_of_int",
        lambda m, d: _i(m, d).round(decimals=1),
        r"round: decimals= .*int64.*float\(\)",
    ),
    # % and //: Python's floor semantics on integers, floats when a float comes in
    (
        "mod_ints",
        lambda m, d: [
            _i(m, d) % _j(m, d),
            _i(m, d) % 3,
            _i(m, d) % -3,
            5 % _j(m, d),
            m.remainder(_i(m, d), _j(m, d)),
        ],
        None,
    ),
    (
        "floordiv_ints",
        lambda m, d: [
            _i(m, d) // _j(m, d),
            _i(m, d) // 2,
            3 // _j(m, d),
            m.floor_divide(_i(m, d), -2),
        ],
        None,
    ),
    (
        "mod_floordiv_mixed",
        lambda m, d: [
            _i(m, d) % 2.5,
            _i(m, d) // 2.5,
            3.5 // _j(m, d),
            7.5 % _j(m, d),
            _i(m, d).int() // 2.5,
        ],
        None,
    ),
    (
        "mod_floats",
        lambda m, d: [
            _t(m, d, [-5.5, 5.5, 2.0]) % _t(m, d, [2.0, -2.0, 0.5]),
            _t(m, d, [-5.5, 5.5]) // 2.0,
        ],
        None,
    ),
    (
        "float_by_zero",
        lambda m, d: [
            _t(m, d, [-5.0, 5.0]) // 0.0,
            _t(m, d, [5.0, -1.0]) % 0.0,
            m.fmod(_t(m, d, [5.0]), _t(m, d, [0.0])),
        ],
        None,
    ),
    ("remainder_scalar_first", lambda m, d: m.remainder(3, _j(m, d)), None),
    (
        "mod_0d",
        lambda m, d: [
            _t(m, d, 7) % _j(m, d),
            _t(m, d, 2.5) % _j(m, d),
            _j(m, d) // _t(m, d, 2.0),
            _t(m, d, -7) // 2,
        ],
        None,
    ),
    (
        "mod_broadcast",
        lambda m, d: m.arange(6, device=d).reshape(2, 3) % _t(m, d, [[2], [4]]),
        None,
    ),
    (
        "mod_by_int_zero",
        lambda m, d: _i(m, d) % _t(m, d, [1, 0, 1, 1]),
        r"remainder: ZeroDivisionError.*\.float\(\)",
    ),
    ("floordiv_by_int_zero", lambda m, d: _i(m, d) // 0, r"floor_divide: ZeroDivisionError"),
    ("rmod_by_int_zero", lambda m, d: 5 % _i(m, d), r"remainder: ZeroDivisionError"),
    ("fmod_by_int_zero", lambda m, d: m.fmod(_i(m, d), 0), r"fmod: ZeroDivisionError"),
    (
        "mod_bools",
        lambda m, d: (_i(m, d) > 0) % (_j(m, d) > 0),
        r"remainder: not implemented for bool.*long\(\)",
    ),
    (
        "floordiv_bools",
        lambda m, d: (_i(m, d) > 0) // (_j(m, d) > 0),
        r"floor_divide: not implemented for bool",
    ),
    (
        "mod_broadcast_error",
        lambda m, d: _t(m, d, [1.0, 2.0]) % _t(m, d, [1.0, 2.0, 3.0]),
        r"remainder",
    ),
    ("mod_by_string", lambda m, d: _t(m, d, [1.0]) % "2", r"remainder"),
    # fmod: the sign of the dividend, C's fmod
    (
        "fmod",
        lambda m, d: [
            m.fmod(_i(m, d), _j(m, d)),
            _i(m, d).fmod(3),
            m.fmod(_i(m, d), 2.5),
            _t(m, d, [-5.5, 5.5]).fmod(-2.0),
        ],
        None,
    ),
    # div with a rounding mode
    (
        "div_rounding_ints",
        lambda m, d: [m.div(_i(m, d), _j(m, d), rounding_mode=r) for r in ("trunc", "floor", None)],
        None,
    ),
    (
        "div_rounding_floats",
        lambda m, d: [
            _t(m, d, [-7.5, 7.5, 1.0]).div(_t(m, d, [2.0, -2.0, 3.0]), rounding_mode=r)
            for r in ("trunc", "floor", None)
        ],
        None,
    ),
    (
        "div_rounding_scalar",
        lambda m, d: [
            _i(m, d).div(2, rounding_mode="trunc"),
            _i(m, d).div(2.5, rounding_mode="floor"),
            m.div(_i(m, d), -2, rounding_mode="floor"),
        ],
        None,
    ),
    (
        "div_rounding_typo",
        lambda m, d: m.div(_i(m, d), _j(m, d), rounding_mode="flor"),
        r"div: rounding_mode must be None, 'trunc' or 'floor', but got 'flor'",
    ),
    (
        "div_rounding_by_int_zero",
        lambda m, d: _i(m, d).div(0, rounding_mode="trunc"),
        r"div: ZeroDivisionError",
    ),
    ("divide_alias", lambda m, d: _i(m, d).divide(_j(m, d), rounding_mode="trunc"), None),
    # atan2, hypot, lerp
    (
        "atan2_dtypes",
        lambda m, d: [
            m.atan2(_i(m, d), _j(m, d)),
            _t(m, d, [0.0, 1.0]).atan2(_t(m, d, [0.0, -1.0], dtype=m.float64)),
            m.atan2(_t(m, d, 1.0), _j(m, d)),
        ],
        None,
    ),
    (
        "atan2_scalar",
        lambda m, d: m.atan2(_t(m, d, [1.0]), 1.0),
        r"atan2\(\): argument 'other' must be a Tensor, not float.*ne\.tensor",
    ),
    (
        "hypot",
        lambda m, d: [
            m.hypot(_t(m, d, [3.0, 0.0]), _t(m, d, [4.0, 0.0])),
            _t(m, d, [3.0]).hypot(_t(m, d, [[4.0], [1.0]], dtype=m.float64)),
        ],
        None,
    ),
    (
        "hypot_of_ints",
        lambda m, d: m.hypot(_i(m, d), _j(m, d)),
        r"hypot: not implemented for integer or bool.*float\(\)",
    ),
    (
        "hypot_scalar",
        lambda m, d: m.hypot(_t(m, d, [1.0]), 1.0),
        r"hypot\(\): argument 'other' must be a Tensor",
    ),
    (
        "lerp",
        lambda m, d: [
            m.lerp(_t(m, d, [0.0, 1.0]), _t(m, d, [10.0, -1.0]), 0.3),
            _t(m, d, [0.0]).lerp(_t(m, d, [10.0]), 0.8),
            m.lerp(m.zeros(3, 1, device=d), m.ones(3, device=d), _t(m, d, 0.5)),
        ],
        None,
    ),
    (
        "lerp_weight_tensor",
        lambda m, d: m.lerp(
            m.zeros(2, 1, device=d), _t(m, d, [1.0, 4.0]), _t(m, d, [[0.25], [0.75]])
        ),
        None,
    ),
    (
        "lerp_dtypes",
        lambda m, d: m.lerp(m.zeros(3, device=d), m.ones(3, dtype=m.float64, device=d), 0.5),
        r"lerp: expected dtype float32 for `end` but got dtype float64.*end\.to\(float32\)",
    ),
    (
        "lerp_weight_dtype",
        lambda m, d: _t(m, d, [1.0]).lerp(_t(m, d, [2.0]), _t(m, d, [0.5], dtype=m.float64)),
        r"lerp: expected dtype float32 for `weight`",
    ),
    (
        "lerp_ints",
        lambda m, d: m.lerp(_i(m, d), _j(m, d), 0.5),
        r"lerp: not implemented for .*int64",
    ),
    (
        "lerp_scalar_end",
        lambda m, d: m.lerp(_t(m, d, [1.0]), 2.0, 0.5),
        r"lerp\(\): argument 'end' must be a Tensor",
    ),
    # clamp with tensor bounds
    (
        "clamp_tensors",
        lambda m, d: [
            m.clamp(
                _t(m, d, [0.0, 1.0, 2.0, 3.0]),
                _t(m, d, [0.5, 0.5, 2.5, 3.0]),
                _t(m, d, [0.2, 2.0, 2.8, 3.0]),
            ),
            _t(m, d, [0.0, 5.0]).clamp(min=_t(m, d, 1.0)),
            _t(m, d, [0.0, 5.0]).clamp(max=_t(m, d, [[1.0], [6.0]])),
        ],
        None,
    ),
    (
        "clamp_tensor_dtypes",
        lambda m, d: [
            m.clamp(_i(m, d), _t(m, d, [2.5])),
            _i(m, d).clamp(_j(m, d), _j(m, d) + 1),
            m.clamp(_i(m, d), _t(m, d, 0.5)),
        ],
        None,
    ),
    (
        "clamp_tensor_and_number",
        lambda m, d: _t(m, d, [1.0]).clamp(0.1, _t(m, d, [2.0])),
        r"clamp: min and max must both be tensors or both be numbers",
    ),
    (
        "clamp_tensor_broadcast_error",
        lambda m, d: m.clamp(_t(m, d, [1.0, 2.0]), _t(m, d, [1.0, 2.0, 3.0])),
        r"clamp",
    ),
    # bitwise on integers, logical on bools
    (
        "bitwise_ints",
        lambda m, d: [
            _i(m, d) & _j(m, d),
            _i(m, d) | _j(m, d),
            _i(m, d) ^ _j(m, d),
            ~_i(m, d),
            _i(m, d) & 6,
            6 | _i(m, d),
            3 ^ _i(m, d),
        ],
        None,
    ),
    (
        "bitwise_functions",
        lambda m, d: [
            m.bitwise_and(_i(m, d), _j(m, d)),
            m.bitwise_or(3, _j(m, d)),
            _i(m, d).bitwise_xor(1),
            m.bitwise_not(_i(m, d)),
            m.bitwise_not(_i(m, d) > 0),
        ],
        None,
    ),
    (
        "bitwise_bools",
        lambda m, d: [
            (_i(m, d) > 0) & (_j(m, d) > 0),
            (_i(m, d) > 0) | True,
            ~(_i(m, d) > 0),
            (_i(m, d) > 0) ^ (_j(m, d) > 0),
        ],
        None,
    ),
    (
        "bitwise_bool_with_int",
        lambda m, d: [
            (_i(m, d) > 0) & 1,
            _i(m, d) & True,
            (_i(m, d) > 0) | _j(m, d),
            _i(m, d).int() & (_j(m, d) > 0),
        ],
        None,
    ),
    (
        "bitwise_mixed_ints",
        lambda m, d: [
            _i(m, d).int() & _j(m, d),
            _t(m, d, [1, 2], dtype=m.uint8) | _t(m, d, [-1, 4], dtype=m.int8),
        ],
        None,
    ),
    (
        "shifts",
        lambda m, d: [
            _i(m, d) << 1,
            _i(m, d) >> 1,
            1 << _j(m, d).abs(),
            64 >> _j(m, d).abs(),
            m.bitwise_left_shift(_i(m, d), 2),
            m.bitwise_right_shift(2, _j(m, d).abs()),
        ],
        None,
    ),
    (
        "shifts_out_of_range",
        lambda m, d: [
            _t(m, d, [-8, 8, 1]) >> _t(m, d, [-1, 70, 1]),
            _t(m, d, [-8, 8, 1]) << _t(m, d, [-1, 70, 63]),
            _t(m, d, [200], dtype=m.uint8) >> _t(m, d, [9], dtype=m.uint8),
            _i(m, d) << -1,
            _i(m, d) >> 64,
        ],
        None,
    ),
    (
        "shifts_dtypes",
        lambda m, d: [
            (_i(m, d) > 0) << 1,
            _t(m, d, [1, 2], dtype=m.int8) >> _t(m, d, [1, 2]),
            _t(m, d, [1, 2], dtype=m.int16) << 3,
        ],
        None,
    ),
    (
        "shift_of_float",
        lambda m, d: _t(m, d, [1.0]) << 1,
        r"bitwise_left_shift: not implemented for float.*long\(\)",
    ),
    (
        "shift_by_float",
        lambda m, d: _t(m, d, [3]).bitwise_left_shift(1.5),
        r"bitwise_left_shift: not implemented for float",
    ),
    (
        "and_of_floats",
        lambda m, d: _t(m, d, [3.0]) & 1,
        r"bitwise_and: not implemented for float.*\(a > 0\)",
    ),
    ("invert_float", lambda m, d: ~_t(m, d, [1.0]), r"bitwise_not.*integer and bool.*~\(t > 0\)"),
    # logical_* of any dtype: nonzero is True
    (
        "logical_functions",
        lambda m, d: [
            m.logical_and(_i(m, d), _j(m, d) - 2),
            _i(m, d).logical_or(_t(m, d, [0.0, 0.0, NAN, 0.0])),
            m.logical_xor(_i(m, d), _j(m, d).float()),
            m.logical_not(_i(m, d)),
            _t(m, d, [0.0, NAN]).logical_not(),
            (_i(m, d) > 0).logical_and(_j(m, d) > 0),
        ],
        None,
    ),
    (
        "logical_broadcast",
        lambda m, d: m.logical_or(_t(m, d, [[0], [1]]), _t(m, d, [0.0, 2.0])),
        None,
    ),
    (
        "logical_and_number",
        lambda m, d: m.logical_and(_t(m, d, [1.0, 0.0]), 1),
        r"logical_and\(\): argument 'other' must be a Tensor, not int",
    ),
    # isclose / allclose; isnan & co on integers
    (
        "isclose",
        lambda m, d: [
            m.isclose(
                _t(m, d, [1.0, NAN, INF, -INF, 1.0]), _t(m, d, [1.0 + 1e-6, NAN, INF, INF, 1.1])
            ),
            _t(m, d, [1.0, NAN]).isclose(_t(m, d, [1.0, NAN]), equal_nan=True),
            m.isclose(_t(m, d, [1.0, 2.0]), _t(m, d, [1.05, 2.5]), rtol=0.0, atol=0.1),
        ],
        None,
    ),
    (
        "isclose_ints_bools",
        lambda m, d: [
            m.isclose(_t(m, d, [1, 2]), _t(m, d, [1, 3])),
            m.isclose(_i(m, d) > 0, _j(m, d) > 0),
            m.isclose(_t(m, d, [100, 101]), _t(m, d, [100, 102]), rtol=0.01),
        ],
        None,
    ),
    (
        "isclose_broadcast",
        lambda m, d: m.isclose(_t(m, d, [[1.0], [2.0]]), _t(m, d, [1.0, 2.0, 3.0])),
        None,
    ),
    (
        "isclose_dtypes",
        lambda m, d: m.isclose(_i(m, d), _j(m, d).float()),
        r"isclose: int64 did not match float32.*b\.to\(int64\)",
    ),
    (
        "isclose_rtol",
        lambda m, d: m.isclose(_t(m, d, [1.0]), _t(m, d, [1.0]), rtol=-1),
        r"isclose: rtol must be greater than or equal to zero, but got -1",
    ),
    (
        "allclose",
        lambda m, d: [
            m.allclose(_t(m, d, [1.0, 2.0]), _t(m, d, [1.0, 2.0 + 1e-6])),
            m.allclose(_t(m, d, [1.0, NAN]), _t(m, d, [1.0, NAN])),
            m.allclose(_t(m, d, [1.0, NAN]), _t(m, d, [1.0, NAN]), equal_nan=True),
            _t(m, d, [[1.0], [1.0]]).allclose(_t(m, d, [1.0, 1.1]), atol=0.2),
        ],
        None,
    ),
    (
        "allclose_dtypes",
        lambda m, d: m.allclose(_t(m, d, [1, 2]), _t(m, d, [1.0, 3.0])),
        r"isclose: int64 did not match float32",
    ),
    (
        "predicates_of_ints",
        lambda m, d: [
            _i(m, d).isnan(),
            m.isinf(_i(m, d)),
            _i(m, d).isfinite(),
            m.isfinite(_i(m, d) > 0),
        ],
        None,
    ),
    # gradients at the edges, against PyTorch's
    (
        "grad_clamp_crossing_bounds",
        _grads(
            lambda m, a, lo, hi: m.clamp(a, lo, hi),
            [0.0, 1.0, 2.0, 3.0, 3.0],
            [0.5, 0.5, 2.5, 3.0, 3.5],
            [0.2, 2.0, 2.8, 3.0, 3.5],
        ),
        None,
    ),
    (
        "grad_clamp_min_tensor",
        _grads(lambda m, a, lo: a.clamp(min=lo), [0.0, 1.0, 2.0], [0.5, 1.0, 1.5]),
        None,
    ),
    (
        "grad_clamp_max_broadcast",
        _grads(lambda m, a, hi: m.clamp(a, max=hi), [[0.0, 1.0], [2.0, 3.0]], [1.0, 2.5]),
        None,
    ),
    (
        "grad_clamp_scalar_and_0d_bound",
        _grads(lambda m, a, lo: a.clamp(min=lo), [0.0, 1.0, 2.0], 1.5),
        None,
    ),
    (
        "grad_fmod_remainder",
        _grads(
            lambda m, a, b: m.fmod(a, b) + a % b * 2,
            [-5.5, 5.5, 2.0, -0.25],
            [2.0, -2.0, 0.75, 1.0],
        ),
        None,
    ),
    (
        "grad_fmod_remainder_scalar",
        _grads(lambda m, a: a.fmod(-1.5) + a.remainder(1.5) * 3, [-5.5, 5.5, 2.0]),
        None,
    ),
    (
        "grad_lerp_tensor_weight",
        _grads(
            lambda m, a, b, w: m.lerp(a, b, w), [0.0, 1.0, 2.0], [1.0, -1.0, 4.0], [0.25, 0.5, 1.5]
        ),
        None,
    ),
    (
        "grad_lerp_broadcast",
        _grads(lambda m, a, b, w: a.lerp(b, w), [[0.0], [1.0]], [1.0, -1.0, 4.0], 0.25),
        None,
    ),
    (
        "grad_atan2_hypot",
        _grads(lambda m, a, b: m.atan2(a, b) + m.hypot(a, b), [1.0, -2.0, 0.5], [-1.0, 0.5, 3.0]),
        None,
    ),
    (
        "grad_steps_are_zero",
        _grads(
            lambda m, a: (
                a.floor() + a.ceil() + a.round() + a.trunc() + a.sign() + a.round(decimals=1)
            ),
            [-1.5, 0.0, 0.25, 2.5],
        ),
        None,
    ),
    ("grad_frac", _grads(lambda m, a: a.frac() * a, [-1.5, 0.25, 2.75]), None),
    (
        "grad_div_rounding",
        _grads(
            lambda m, a, b: (
                m.div(a, b, rounding_mode="floor") + a.div(b, rounding_mode="trunc") + a
            ),
            [-7.5, 1.0],
            [2.0, 0.0],
        ),
        None,
    ),
    (
        "grad_float_ops",
        _grads(
            lambda m, a: sum(getattr(a, n)() for n in FLOAT_OPS if n not in ("acosh",)),
            [0.25, -0.5],
        ),
        None,
    ),
    (
        "grad_acosh_rsqrt_log",
        _grads(lambda m, a: a.acosh() + a.rsqrt() + a.log2() + a.log10() + a.log1p(), [1.5, 2.5]),
        None,
    ),
    (
        "grad_float64",
        _grads(lambda m, a: (a.double().tan() + a.double().erf()).float(), [0.25, -0.5]),
        None,
    ),
    (
        "grad_rmod_not_implemented",
        _grads(lambda m, a: 3.0 % a, [2.0, 1.25]),
        r"derivative for aten::remainder is not implemented.*detach",
    ),
    (
        "grad_floordiv_not_implemented",
        _grads(lambda m, a: a // 1.5, [2.0, -1.25]),
        r"derivative for aten::floor_divide is not implemented",
    ),
    # odds and ends: scalars first, mixed bools, empty and 0-d operands
    (
        "fmod_scalar_first",
        lambda m, d: m.fmod(3, _j(m, d)),
        r"fmod\(\): argument 'input' must be a Tensor, not int",
    ),
    (
        "shift_two_bools",
        lambda m, d: _t(m, d, [True]) << _t(m, d, [True]),
        r"bitwise_left_shift: not implemented for two bools.*long\(\)",
    ),
    (
        "isclose_number",
        lambda m, d: m.isclose(_t(m, d, [1.0]), 1.0),
        r"isclose\(\): argument 'other' must be a Tensor, not float",
    ),
    (
        "div_bools_rounding",
        lambda m, d: m.div(_t(m, d, [True]), _t(m, d, [True]), rounding_mode="trunc"),
        r"div: not implemented for bool",
    ),
    (
        "mixed_bools_and_ints",
        lambda m, d: [
            _t(m, d, [True, False]) % 2,
            _t(m, d, [True, False]) // 2,
            _t(m, d, [3]) % _t(m, d, [True]),
            True ^ _t(m, d, [True, False]),
            ~_t(m, d, [1], dtype=m.uint8),
        ],
        None,
    ),
    (
        "empty_and_0d",
        lambda m, d: [
            m.ones(0, device=d).sign(),
            m.ones(0, dtype=m.int64, device=d) % m.ones(0, dtype=m.int64, device=d),
            _t(m, d, [1, 2]) << _t(m, d, 3),
            m.lerp(_t(m, d, 0.0), _t(m, d, [1.0, 2.0]), 0.5),
            _t(m, d, [1, 5]).clamp(_t(m, d, 2), _t(m, d, 4)),
        ],
        None,
    ),
    (
        "int8_sign_float_logical_not",
        lambda m, d: [
            _t(m, d, [-3, 0, 4], dtype=m.int8).sign(),
            _t(m, d, [0.0, 2.0]).logical_not(),
            2.5 % _t(m, d, [2]),
        ],
        None,
    ),
    # grad_fn names, as PyTorch prints them
    (
        "names_unary",
        _names(
            *(
                lambda m, x, y, n=n: getattr(x, n)()
                for n in FLOAT_OPS + ["floor", "ceil", "round", "trunc", "frac", "sign"]
            )
        ),
        None,
    ),
    (
        "names_binary",
        _names(
            lambda m, x, y: x.round(decimals=1),
            lambda m, x, y: m.atan2(x, y),
            lambda m, x, y: m.fmod(x, y),
            lambda m, x, y: m.fmod(x, 2.0),
            lambda m, x, y: x % y,
            lambda m, x, y: x % 2.0,
            lambda m, x, y: 2.0 % x,
            lambda m, x, y: x // y,
            lambda m, x, y: m.div(x, y, rounding_mode="trunc"),
            lambda m, x, y: m.div(x, 2, rounding_mode="floor"),
            lambda m, x, y: m.lerp(x, y, 0.3),
            lambda m, x, y: m.lerp(x, y, x),
            lambda m, x, y: m.hypot(x, y),
            lambda m, x, y: m.clamp(x, y, y + 1),
            lambda m, x, y: x.clamp(max=y),
        ),
        None,
    ),
]


@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_elementwise_against_torch(name, fn, pattern, device):
    check_case(fn, pattern, device)


def test_in_place_forms(device):
    def fn(m, d):
        a = _t(m, d, [-1.5, 0.25, 2.5, -0.75])
        i = _i(m, d)
        b = _t(m, d, [1.0, 2.0, 3.0, 4.0])
        return [
            a.clone().floor_(),
            a.clone().ceil_(),
            a.clone().trunc_(),
            a.clone().round_(),
            a.clone().round_(decimals=1),
            a.clone().sign_(),
            a.clone().lerp_(b, 0.25),
            a.clone().clamp_(_t(m, d, 0.0), b),
            i.clone().floor_(),
            i.clone().sign_(),
        ]

    check_case(fn, None, device)


def test_in_place_through_a_graph_keeps_gradients(device):
    def fn(m, d):
        x = _t(m, d, [0.5, 1.5, -2.0], requires_grad=True)
        target = _t(m, d, [1.0, 1.0, 1.0])
        y = x * 2
        y.lerp_(target, 0.25)
        z = y * 1
        z.clamp_(min=_t(m, d, [0.0, 0.0, 0.0]))
        z.sum().backward()
        return [z.detach(), x.grad, z.grad_fn.name()]

    check_case(fn, None, device)


def test_in_place_that_would_change_the_dtype_is_refused(device):
    def fn(m, d):
        return _i(m, d).clamp_(_t(m, d, [0.5]), _t(m, d, [1.5]))

    check_case(fn, r"clamp_.*float32 can't be cast .*int64", device)


def test_floor_divide_node_prints_as_torch_and_the_result_requires_grad():
    x = ne.tensor([2.0, 3.0], requires_grad=True)
    y = x // 1.5
    assert y.requires_grad and y.grad_fn.name() == "torch::autograd::NotImplemented"
    assert (2.0 % x).grad_fn.name() == "torch::autograd::NotImplemented"


def test_the_free_functions_are_exported():
    for name in [*FLOAT_OPS, "floor", "ceil", "round", "trunc", "frac", "sign", "fmod"]:
        assert callable(getattr(ne, name)), name
    for name in ("remainder", "floor_divide", "atan2", "hypot", "lerp", "isclose", "fix"):
        assert callable(getattr(ne, name)), name
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not"):
        assert callable(getattr(ne, name)), name
    for name in ("bitwise_left_shift", "bitwise_right_shift", "logical_and", "logical_or"):
        assert callable(getattr(ne, name)), name
    assert callable(ne.logical_xor) and callable(ne.logical_not)
