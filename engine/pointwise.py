"""The elementwise maths beyond + - * /: the operand checks the Tensor methods run before
their op (dtype promotion, scalars on either side, broadcasting, integer division by
zero) and the free functions, ``ne.tan(t)``, ``ne.remainder(a, b)``, ``ne.lerp(...)``.

PyTorch's dtype rules, which these follow:
  - tan, asin, ..., erf, rsqrt, log2, exp2, atan2: an integer or bool input is computed in
    float32 (``ne.tensor([1, 2]).tan()`` is float32);
  - floor, ceil, round, trunc, sign keep an integer dtype (sign keeps bool too);
  - fmod, remainder (%), floor_divide (//), div(rounding_mode=...) on integers stay
    integers, with Python's floor semantics for % and //; dividing integers by 0 raises;
  - &, |, ^, ~, <<, >> are bitwise on integer tensors and logical on bool ones (&, |, ^,
    ~); on floats they raise, as in PyTorch.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import dtypes
from . import ops as O
from .checks import bad_operand, check_broadcast, fit_int, floating, promote_pair
from .convert import as_array, is_engine_tensor
from .errors import ArgumentError, DTypeError, UnsupportedDTypeError, describe

ROUNDING_MODES = (None, "trunc", "floor")


# This module sits below tensor.py: a check returns a plan, (op class, operands, settings),
# which the Tensor method runs with apply() (Tensor._run); tensors are told apart by
# is_engine_tensor, and numbers or arrays become tensors like their partner (_like).
def _plan(function, *operands, **params):
    return function, operands, params


def _like(value, reference):
    if is_engine_tensor(value):
        return value
    device = reference.device
    return type(reference).wrap(device.backend.from_numpy(as_array(value)), device)


# ---------------------------------------------------------------------- operand checks
def unary(cls, t):
    """A float op of one tensor (tan, erf...): integers and bools computed in float32."""
    return _plan(cls, floating(cls.op, t))


def step(cls, t, **params):
    """floor, ceil, round, trunc: integers as they are; bools are not rounded in PyTorch."""
    if t.dtype is dtypes.bool_:
        raise UnsupportedDTypeError(
            f"{cls.op}: not implemented for {describe('self', t)} (nor in PyTorch); a bool "
            f"is already whole: convert first if a number is wanted, t.long().{cls.op}()"
        )
    return _plan(cls, t, **params)


def round_(t, decimals):
    if decimals is not None and not t.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"round: decimals= is not implemented for {describe('self', t)} (nor in "
            "PyTorch); integers are already round: t.round() keeps them, or use "
            f"t.float().round(decimals={decimals})"
        )
    if decimals is not None and not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, not {type(decimals).__name__}")
    return step(O.Round, t, decimals=None if decimals is None else int(decimals))


def frac_checked(t):
    if not t.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"frac: not implemented for {describe('self', t)} (nor in PyTorch): an integer's "
            "fractional part is 0; for floats use t.float().frac()"
        )
    return _plan(O.Frac, t)


def operands(op: str, a, b, *, true_division=False, floats_only=False):
    """(a, b) promoted to PyTorch's result dtype; b a tensor (broadcastable with a) or a
    Python number, which stays a number."""
    if isinstance(b, (np.ndarray, list, tuple)) and not is_engine_tensor(b):
        b = _like(b, a)
    if is_engine_tensor(b):
        if a.array.shape != b.array.shape:
            check_broadcast(op, [tuple(a.shape), tuple(b.shape)], [a, b], ["self", "other"])
        if a.array.dtype != b.array.dtype or (true_division and a.dtype.category < 2):
            a, b = promote_pair(a, b, true_division=true_division)
    elif isinstance(b, numbers.Number) and not isinstance(b, complex):
        if isinstance(b, np.generic):
            b = b.item()
        result = dtypes.promote_scalar(a.dtype, b)
        if true_division and result.category < 2:
            result = dtypes.float32
        if result is not a.dtype:
            a = a.to(result)
        if result.category == 1 and isinstance(b, int):
            b = fit_int(op, result, int(b))
        elif result.category == 2:
            b = float(b)
    else:
        bad_operand(op, a, b)
    if floats_only and not a.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: not implemented for integer or bool tensors ({describe('self', a)}), nor "
            f"in PyTorch; convert first: a.float()"
        )
    return a, b


def _no_zero_divisor(op: str, a, b) -> None:
    """Integer division by 0 raises in PyTorch (RuntimeError: ZeroDivisionError)."""
    if a.dtype.category == 2:
        return
    tensor = is_engine_tensor(b)
    if (b.numel() and b.device.backend.any(b.array == 0)) if tensor else b == 0:
        raise ArgumentError(
            f"{op}: ZeroDivisionError: integer division by zero ({describe('self', a)}, "
            f"the divisor has a 0); PyTorch raises too. Divide floats to get inf/nan "
            "(a.float()), or keep the zeros out: b.clamp(min=1)"
        )


def divide_like(cls, op: str, a, b, reverse=False, **params):
    """fmod, remainder, floor_divide, div with a rounding mode: a op b (b op a: reverse)."""
    a, b = operands(op, a, b)
    if a.dtype is dtypes.bool_ and (not is_engine_tensor(b) or b.dtype is dtypes.bool_):
        raise UnsupportedDTypeError(
            f"{op}: not implemented for bool tensors ({describe('self', a)}), nor in "
            "PyTorch; convert first: a.long()"
        )
    if reverse:
        _no_zero_divisor(op, a, a)
        return _plan(cls, b, a, **params)
    _no_zero_divisor(op, a, b)
    return _plan(cls, a, b, **params)


def rounding_mode(op: str, mode) -> None:
    if mode not in ROUNDING_MODES:
        raise ArgumentError(
            f"{op}: rounding_mode must be None, 'trunc' or 'floor', but got {mode!r} "
            "(PyTorch's choices: None divides exactly, 'trunc' rounds toward 0, 'floor' down)"
        )


def div(a, b, mode):
    """div(a, b, rounding_mode="trunc" or "floor"); None is a / b, which the method does."""
    rounding_mode("div", mode)
    return divide_like(O.DivRounding, "div", a, b, rounding_mode=mode)


def float_pair(cls, a, b, reverse=False):
    """atan2, hypot: two tensors, promoted; atan2 computes integers in float32."""
    if not is_engine_tensor(b):
        raise TypeError(
            f"{cls.op}(): argument 'other' must be a Tensor, not {type(b).__name__} (as in "
            f"PyTorch); make it one: ne.{cls.op}(a, ne.tensor({b!r}))"
        )
    a, b = operands(cls.op, a, b, true_division=cls is O.Atan2, floats_only=cls is O.Hypot)
    return _plan(cls, b, a) if reverse else _plan(cls, a, b)


def lerp_checked(a, end, weight):
    if not is_engine_tensor(end):
        raise TypeError(
            f"lerp(): argument 'end' must be a Tensor, not {type(end).__name__}; "
            f"make it one: a.lerp(ne.full_like(a, {end!r}), weight)"
        )
    tensors = [("self", a), ("end", end)]
    if is_engine_tensor(weight):
        tensors.append(("weight", weight))
    for role, t in tensors:
        if t.dtype is not a.dtype:
            raise DTypeError(
                f"lerp: expected dtype {a.dtype.name} for `{role}` but got dtype {t.dtype.name} "
                f"({describe(role, t)}); PyTorch does not promote here: convert it, "
                f"{role}.to({a.dtype.name})"
            )
    if not a.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"lerp: not implemented for {describe('self', a)}, nor in PyTorch; convert "
            "first: a.float().lerp(end.float(), weight)"
        )
    shapes = [tuple(t.shape) for _, t in tensors]
    if len(set(shapes)) > 1:
        check_broadcast("lerp", shapes, [t for _, t in tensors], [r for r, _ in tensors])
    if is_engine_tensor(weight):
        return _plan(O.Lerp, a, end, weight)
    if not isinstance(weight, numbers.Number) or isinstance(weight, complex):
        bad_operand("lerp", a, weight)
    return _plan(O.Lerp, a, end, float(weight))


def clamp_tensors(t, low, high):
    """clamp with tensor bounds (a bound may be None, not a number: PyTorch's rule)."""
    for role, bound in (("min", low), ("max", high)):
        if bound is not None and not is_engine_tensor(bound):
            raise TypeError(
                f"clamp: min and max must both be tensors or both be numbers, but {role} is "
                f"{type(bound).__name__} and the other a tensor (as in PyTorch); make it "
                f"one: ne.tensor({bound!r})"
            )
    named = [("self", t)] + [(r, b) for r, b in (("min", low), ("max", high)) if b is not None]
    shapes = [tuple(x.shape) for _, x in named]
    if len(set(shapes)) > 1:
        check_broadcast("clamp", shapes, [x for _, x in named], [r for r, _ in named])
    result = result_type([x for _, x in named])
    t, low, high = (None if x is None else x.to(result) for x in (t, low, high))
    return _plan(O.ClampTensor, t, low, high)


def result_type(tensors) -> dtypes.DType:
    """PyTorch's result dtype of several tensors: the 0-d ones count only where their kind
    (bool < int < float) is above the dimensioned ones'."""
    dimensioned = _promoted([x.dtype for x in tensors if x.ndim])
    zero_d = _promoted([x.dtype for x in tensors if not x.ndim])
    if dimensioned is None:
        return zero_d
    if zero_d is None or zero_d.category <= dimensioned.category:
        return dimensioned
    return zero_d


def _promoted(kinds):
    result = None
    for d in kinds:
        result = d if result is None else dtypes.promote(result, d)
    return result


# ---------------------------------------------------------------------- bitwise and logical
def _integer_operands(op: str, a, b):
    a, b = operands(op, a, b)
    if a.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: not implemented for float tensors ({describe('self', a)}), nor in "
            f"PyTorch: bitwise ops take integer or bool tensors; for masks compare first "
            f"(a > 0), for whole numbers convert: a.long()"
        )
    return a, b


def bitwise(cls, logical_cls, a, b, reverse=False):
    """&, |, ^: logical on two bools, bitwise on integers (a bool with an int is int)."""
    if isinstance(b, (np.ndarray, list, tuple)):
        b = _like(b, a)
    if a.dtype is dtypes.bool_ and (
        isinstance(b, bool) or (is_engine_tensor(b) and b.dtype is dtypes.bool_)
    ):
        b = _like(b, a)
        if a.array.shape != b.array.shape:
            check_broadcast(cls.op, [tuple(a.shape), tuple(b.shape)], [a, b], ["self", "other"])
        return _plan(logical_cls, a, b)
    a, b = _integer_operands(cls.op, a, b)
    if not is_engine_tensor(b):
        b = _like(np.asarray(b, dtype=a.dtype.numpy), a)
    return _plan(cls, b, a) if reverse else _plan(cls, a, b)


def shift(cls, a, b, reverse=False):
    a, b = _integer_operands(cls.op, a, b)
    if a.dtype is dtypes.bool_:  # both bools (a bool and an int shift as int64)
        raise UnsupportedDTypeError(
            f"{cls.op}: not implemented for two bools ({describe('self', a)}), nor in "
            "PyTorch; convert first: a.long()"
        )
    if reverse:
        b = _like(np.asarray(b, dtype=a.dtype.numpy), a)
        return _plan(cls, b, a)
    if isinstance(b, bool):
        b = int(b)
    return _plan(cls, a, b)


def invert(t):
    if t.dtype is dtypes.bool_:
        return _plan(O.LogicalNot, t)
    if t.dtype.is_floating_point:
        raise DTypeError(
            f"~ (bitwise_not) is only implemented on integer and bool tensors, not "
            f"{describe('self', t)} (as in PyTorch); for a mask use ~(t > 0) or t == 0"
        )
    return _plan(O.BitwiseNot, t)


def logical(cls, a, b):
    """logical_and/or/xor of any dtypes: nonzero is True; the result is bool."""
    if not is_engine_tensor(b):
        raise TypeError(
            f"{cls.op}(): argument 'other' must be a Tensor, not {type(b).__name__} (as in "
            f"PyTorch); make it one: ne.tensor({b!r})"
        )
    if a.array.shape != b.array.shape:
        check_broadcast(cls.op, [tuple(a.shape), tuple(b.shape)], [a, b], ["self", "other"])
    return _plan(cls, truth(a), truth(b))


def truth(t):
    return t if t.dtype is dtypes.bool_ else t != 0


def isclose_checked(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    if not is_engine_tensor(b):
        raise TypeError(
            f"isclose(): argument 'other' must be a Tensor, not {type(b).__name__} (as in "
            f"PyTorch); make it one: ne.full_like(a, {b!r})"
        )
    if a.dtype is not b.dtype:
        raise DTypeError(
            f"isclose: {a.dtype.name} did not match {b.dtype.name} ({describe('self', a)}, "
            f"{describe('other', b)}); PyTorch wants one dtype: convert one, "
            f"b.to({a.dtype.name})"
        )
    for name, value in (("rtol", rtol), ("atol", atol)):
        if value < 0:
            raise ArgumentError(
                f"isclose: {name} must be greater than or equal to zero, but got {value}"
            )
    if a.array.shape != b.array.shape:
        check_broadcast("isclose", [tuple(a.shape), tuple(b.shape)], [a, b], ["self", "other"])
    return _plan(O.IsClose, a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    """Whether every element of a is close to b's (torch.allclose): isclose, then all."""
    if not is_engine_tensor(b):  # a number or an array (the engine's older allclose took them)
        b = _like(b, a).to(a.dtype)
    return bool(a.isclose(b, rtol, atol, equal_nan).all())


# ---------------------------------------------------------------------- free functions
def _method(name):
    def function(t, *args, **kwargs):
        return getattr(t, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"ne.{name}(t, ...) is t.{name}(...)"
    return function


tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh = (
    _method(n) for n in ("tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh")
)
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
rsqrt, log2, log10, log1p, exp2, expm1, erf = (
    _method(n) for n in ("rsqrt", "log2", "log10", "log1p", "exp2", "expm1", "erf")
)
floor, ceil, round, trunc, frac, sign = (  # noqa: A001 - PyTorch's names
    _method(n) for n in ("floor", "ceil", "round", "trunc", "frac", "sign")
)
fix = trunc
atan2, hypot, lerp = (_method(n) for n in ("atan2", "hypot", "lerp"))
arctan2 = atan2
bitwise_not, logical_not, isclose = (_method(n) for n in ("bitwise_not", "logical_not", "isclose"))
logical_and, logical_or, logical_xor = (
    _method(n) for n in ("logical_and", "logical_or", "logical_xor")
)


def fmod(a, b):
    if not is_engine_tensor(a):
        raise TypeError(
            f"fmod(): argument 'input' must be a Tensor, not {type(a).__name__} (as in "
            f"PyTorch); make it one: ne.fmod(ne.tensor({a!r}), b)"
        )
    return a.fmod(b)


def remainder(a, b):
    return a.remainder(b) if is_engine_tensor(a) else b.__rmod__(a)


def floor_divide(a, b):
    return a.floor_divide(b) if is_engine_tensor(a) else b.__rfloordiv__(a)


def bitwise_and(a, b):
    return a.bitwise_and(b) if is_engine_tensor(a) else b.__rand__(a)


def bitwise_or(a, b):
    return a.bitwise_or(b) if is_engine_tensor(a) else b.__ror__(a)


def bitwise_xor(a, b):
    return a.bitwise_xor(b) if is_engine_tensor(a) else b.__rxor__(a)


def bitwise_left_shift(a, b):
    return a.bitwise_left_shift(b) if is_engine_tensor(a) else b.__rlshift__(a)


def bitwise_right_shift(a, b):
    return a.bitwise_right_shift(b) if is_engine_tensor(a) else b.__rrshift__(a)
