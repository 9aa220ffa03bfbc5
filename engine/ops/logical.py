"""Ops with no gradient: comparisons, argmax/argmin, logical ops and predicates."""

from __future__ import annotations

from ..autograd import Function


# ----------------------------------------------------------------------------- no gradient
class Compare(Function):
    """==, !=, <, <=, >, >=: bool results, no gradient (one subclass each, below)."""

    differentiable = False

    def forward(self, a, b):
        return self.compare(a, b)


class Eq(Compare):
    op, torch = "eq", "a == b"

    def compare(self, a, b):
        return a == b


class Ne(Compare):
    op, torch = "ne", "a != b"

    def compare(self, a, b):
        return a != b


class Lt(Compare):
    op, torch = "lt", "a < b"

    def compare(self, a, b):
        return a < b


class Le(Compare):
    op, torch = "le", "a <= b"

    def compare(self, a, b):
        return a <= b


class Gt(Compare):
    op, torch = "gt", "a > b"

    def compare(self, a, b):
        return a > b


class Ge(Compare):
    op, torch = "ge", "a >= b"

    def compare(self, a, b):
        return a >= b


class ArgMax(Function):
    op = "argmax"
    torch = "a.argmax(dim, keepdim)"
    differentiable = False

    def forward(self, a, dim=None, keepdim=False):
        xp = self.xp
        if dim is None:
            out = self.pick(xp.reshape(a, (-1,)), None, False)
            return xp.reshape(out, (1,) * a.ndim) if keepdim else out
        return self.pick(a, dim, keepdim)

    def pick(self, a, dim, keepdim):
        return self.xp.argmax(a, axis=dim, keepdims=keepdim)


class ArgMin(ArgMax):
    op = "argmin"
    torch = "a.argmin(dim, keepdim)"

    def pick(self, a, dim, keepdim):
        return self.xp.argmin(a, axis=dim, keepdims=keepdim)


class LogicalNot(Function):
    op, torch = "logical_not", "a.logical_not()"
    differentiable = False

    def forward(self, a):
        return self.xp.logical_not(a)


class LogicalAnd(Function):
    op, torch = "logical_and", "a & b"
    differentiable = False

    def forward(self, a, b):
        return a & b


class LogicalOr(Function):
    op, torch = "logical_or", "a | b"
    differentiable = False

    def forward(self, a, b):
        return a | b


class LogicalXor(Function):
    op, torch = "logical_xor", "a ^ b"
    differentiable = False

    def forward(self, a, b):
        return a ^ b


# ----------------------------------------------------------------------------- predicates
class IsNan(Function):
    """a.isnan(), a.isinf(), a.isfinite(): bool results, no gradient."""

    op, torch = "isnan", "a.isnan()"
    differentiable = False

    def forward(self, a):
        return self.xp.isnan(a)


class IsInf(IsNan):
    op, torch = "isinf", "a.isinf()"

    def forward(self, a):
        return self.xp.isinf(a)


class IsFinite(IsNan):
    op, torch = "isfinite", "a.isfinite()"

    def forward(self, a):
        return self.xp.isfinite(a)


# ----------------------------------------------------------------------------- bitwise
class BitwiseAnd(Function):
    """&, |, ^, ~ on integer tensors (on bool ones they are LogicalAnd...); no gradient."""

    op, torch = "bitwise_and", "a & b"
    differentiable = False

    def forward(self, a, b):
        return a & b


class BitwiseOr(BitwiseAnd):
    op, torch = "bitwise_or", "a | b"

    def forward(self, a, b):
        return a | b


class BitwiseXor(BitwiseAnd):
    op, torch = "bitwise_xor", "a ^ b"

    def forward(self, a, b):
        return a ^ b


class BitwiseNot(BitwiseAnd):
    op, torch = "bitwise_not", "~a"

    def forward(self, a):
        return ~a


def _bits(x) -> int:
    return 8 * x.dtype.itemsize


class LeftShift(BitwiseAnd):
    """a << b. A shift by a negative count or by the dtype's width or more gives 0, as in
    PyTorch (numpy leaves those to the CPU)."""

    op, torch = "bitwise_left_shift", "a << b"

    def forward(self, a, b):
        bits = _bits(a)
        if not hasattr(b, "shape"):
            return a * 0 if not 0 <= b < bits else a << b
        xp = self.xp
        inside = (b >= 0) & (b < bits)
        return xp.where(inside, a << xp.where(inside, b, 0), 0)


class RightShift(BitwiseAnd):
    """a >> b, keeping the sign; a count that is negative or the width or more shifts by
    width - 1 (all sign bits; 0 for uint8), as in PyTorch."""

    op, torch = "bitwise_right_shift", "a >> b"

    def forward(self, a, b):
        bits = _bits(a)
        unsigned = str(a.dtype).endswith("uint8")  # numpy "uint8", torch "torch.uint8"
        if not hasattr(b, "shape"):
            if 0 <= b < bits:
                return a >> b
            return a * 0 if unsigned else a >> (bits - 1)
        xp = self.xp
        inside = (b >= 0) & (b < bits)
        out = a >> xp.where(inside, b, bits - 1)
        return xp.where(inside, out, 0) if unsigned else out


class IsClose(Function):
    """|a - b| <= atol + rtol * |b| elementwise (or a == b, for infinities; NaN == NaN only
    with equal_nan), as torch.isclose; integers are compared as floats."""

    op = "isclose"
    torch = "torch.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)"
    differentiable = False

    def forward(self, a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
        xp = self.xp
        close = a == b
        if equal_nan:
            close = close | (xp.isnan(a) & xp.isnan(b))
        if rtol == 0 and atol == 0:
            return close
        if a.dtype == b.dtype and not _is_float(a):
            a, b = a * 1.0, b * 1.0  # PyTorch compares integers in its default float dtype
        error = xp.abs(a - b)
        return close | (xp.isfinite(error) & (error <= atol + xp.abs(rtol * b)))


def _is_float(x) -> bool:
    dtype = x.dtype
    return getattr(dtype, "is_floating_point", None) or getattr(dtype, "kind", "") == "f"
