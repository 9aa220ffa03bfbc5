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
