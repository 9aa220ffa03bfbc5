"""Arithmetic: + - * / neg, pow, maximum and minimum, with broadcasting."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function


# ----------------------------------------------------------------------------- arithmetic
class Add(Function):
    op, grad_name = "add", "AddBackward0"
    rules = ("grad", "grad")
    torch = "a + b"

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    op, grad_name = "sub", "SubBackward0"
    rules = ("grad", "-grad")
    torch = "a - b"

    def forward(self, a, b):
        if not hasattr(a, "shape"):
            self.grad_name = "RsubBackward1"
        return a - b

    def backward(self, grad):
        return grad, -grad


class Mul(Function):
    op, grad_name = "mul", "MulBackward0"
    rules = ("grad * b", "grad * a")
    torch = "a * b"

    def forward(self, a, b):
        self.save(a if hasattr(b, "shape") else None, b)  # a is read only for b's gradient
        return a * b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad * b if needs_a else None), (grad * a if needs_b else None)


class Div(Function):
    op, grad_name = "div", "DivBackward0"
    rules = ("grad / b", "-grad * a / b**2")
    torch = "a / b"

    def forward(self, a, b):
        self.save(a if hasattr(b, "shape") else None, b)  # a is read only for b's gradient
        return a / b

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad / b if needs_a else None), (-grad * a / (b * b) if needs_b else None)


class Neg(Function):
    op, grad_name = "neg", "NegBackward0"
    rules = ("-grad",)
    torch = "-a"

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)


class Pow(Function):
    """a ** b for a tensor and a scalar exponent, a scalar base, or two tensors.

    Where b == 0 the gradient to a is 0, and where a == 0 (with b >= 0) the gradient to b
    is 0 rather than 0 * log(0) = NaN: PyTorch's choices, which the words spell out.
    """

    op, grad_name = "pow", "PowBackward0"
    rules = (
        "where(b == 0, 0, grad * b * a**(b - 1))",
        "where((a == 0) & (b >= 0), 0, grad * a**b * log(a))",
    )
    torch = "a ** b"

    def forward(self, a, b):
        a_is_tensor, b_is_tensor = hasattr(a, "shape"), hasattr(b, "shape")
        if not a_is_tensor:
            self.grad_name = "PowBackward2"
        elif b_is_tensor:
            self.grad_name = "PowBackward1"
        out = a**b
        self.save(a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        xp = self.xp
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_b = None
        if needs_a:
            if hasattr(b, "shape"):
                grad_a = xp.where(b == 0, 0.0, grad * b * a ** (b - 1))
            else:
                grad_a = grad * 0.0 if b == 0 else grad * b * a ** (b - 1)
        if needs_b:
            if hasattr(a, "shape"):
                grad_b = xp.where((a == 0) & (b >= 0), 0.0, grad * out * xp.log(a))
            else:
                grad_b = grad * out * _log_scalar(a)
                if a == 0:
                    grad_b = xp.where(b >= 0, 0.0, grad_b)
        return grad_a, grad_b

    def named_values(self):
        a, b, out = self.saved or (None, None, None)
        return {"a": a, "b": b, "a**b": out}


def _log_scalar(value):
    if value == 0:
        return -math.inf
    return math.log(value) if value > 0 else math.nan


class Maximum(Function):
    """The larger of a and b; at a tie each side gets half. A NaN on either side sends
    the whole gradient to both, as PyTorch does (no comparison with NaN holds)."""

    op, grad_name = "maximum", "MaximumBackward0"
    rules = (
        "where(a < b, 0, where(a == b, grad / 2, grad))",
        "where(b < a, 0, where(a == b, grad / 2, grad))",
    )
    torch = "torch.maximum(a, b)"

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.maximum(a, b)

    def backward(self, grad):
        a, b = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad * 0.5, grad)
        return xp.where(a < b, 0.0, shared), xp.where(b < a, 0.0, shared)


class Minimum(Function):
    """The smaller of a and b; at a tie each side gets half, and a NaN on either side
    sends the whole gradient to both, as PyTorch does (its own node, MinimumBackward0)."""

    op, grad_name = "minimum", "MinimumBackward0"
    rules = (
        "where(a > b, 0, where(a == b, grad / 2, grad))",
        "where(b > a, 0, where(a == b, grad / 2, grad))",
    )
    torch = "torch.minimum(a, b)"

    def forward(self, a, b):
        self.save(a, b)
        return self.xp.minimum(a, b)

    def backward(self, grad):
        a, b = self.saved
        xp = self.xp
        shared = xp.where(a == b, grad * 0.5, grad)
        return xp.where(a > b, 0.0, shared), xp.where(b > a, 0.0, shared)


# ----------------------------------------------------------------------------- more arithmetic
def _torch_or(xp, numpy_fn, torch_name: str):
    return numpy_fn if xp.name == "numpy" else getattr(xp.torch, torch_name)


def _trunc_divide(xp, a, b):
    """a / b rounded toward zero; integers stay integers (numpy's // rounds down)."""
    if xp.name != "numpy":
        return xp.torch.div(a, b, rounding_mode="trunc")
    if np.asarray(a).dtype.kind in "biu" and np.asarray(b).dtype.kind in "biu":
        down = np.floor_divide(a, b)
        return np.where((down < 0) & (down * b != a), down + 1, down)
    return np.trunc(np.true_divide(a, b))


def _floor_divide(xp, a, b):
    if xp.name != "numpy":
        return xp.torch.div(a, b, rounding_mode="floor")
    return np.floor_divide(a, b)


class Atan2(Function):
    op, grad_name = "atan2", "Atan2Backward0"
    rules = ("grad * b / (a**2 + b**2)", "-grad * a / (a**2 + b**2)")
    torch = "torch.atan2(a, b)"

    def forward(self, a, b):
        self.save(a, b)
        return _torch_or(self.xp, np.arctan2, "atan2")(a, b)

    def backward(self, grad):
        a, b = self.saved
        scale = grad / (a * a + b * b)
        return scale * b, -scale * a


class Hypot(Function):
    op, grad_name = "hypot", "HypotBackward0"
    rules = ("grad * a / hypot(a, b)", "grad * b / hypot(a, b)")
    torch = "torch.hypot(a, b)"

    def forward(self, a, b):
        out = _torch_or(self.xp, np.hypot, "hypot")(a, b)
        self.save(a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        return grad * a / out, grad * b / out

    def named_values(self):
        a, b, out = self.saved or (None, None, None)
        return {"a": a, "b": b, "hypot(a, b)": out}


class Fmod(Function):
    """a - trunc(a / b) * b: the remainder with a's sign (C's fmod); b may be a number."""

    op, grad_name = "fmod", "FmodBackward1"
    rules = ("grad", "-grad * trunc(a / b)")
    torch = "torch.fmod(a, b)"

    def forward(self, a, b):
        if not hasattr(b, "shape"):
            self.grad_name = "FmodBackward0"
        self.save(a, b)
        return _torch_or(self.xp, np.fmod, "fmod")(a, b)

    def backward(self, grad):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        grad_b = -grad * _trunc_divide(self.xp, a, b) if needs_b else None
        return (grad if needs_a else None), grad_b

    def named_values(self):
        a, b = self.saved or (None, None)
        values = {"a": a, "b": b}
        if self.saved:
            values["trunc(a / b)"] = _trunc_divide(self.xp, a, b)
        return values


class Remainder(Function):
    """a - floor(a / b) * b: the remainder with b's sign (Python's %); either side may be a
    number. With a number on the left PyTorch has no derivative (its node is
    NotImplemented), and neither has this one."""

    op, grad_name = "remainder", "RemainderBackward1"
    rules = ("grad", "-grad * (a // b)")
    torch = "torch.remainder(a, b)"

    def forward(self, a, b):
        if not hasattr(a, "shape"):
            self.grad_name = "torch::autograd::NotImplemented"
        elif not hasattr(b, "shape"):
            self.grad_name = "RemainderBackward0"
        self.save(a, b)
        return _torch_or(self.xp, np.remainder, "remainder")(a, b)

    def backward(self, grad):
        a, b = self.saved
        if not hasattr(a, "shape"):
            raise _not_implemented("remainder")
        needs_a, needs_b = self.needs_input_grad
        grad_b = -grad * _floor_divide(self.xp, a, b) if needs_b else None
        return (grad if needs_a else None), grad_b


def _not_implemented(op: str):
    from ..errors import AutogradError

    return AutogradError(
        f"the derivative for aten::{op} is not implemented (PyTorch has none either); "
        "detach the input (x.detach()) where no gradient is wanted, or write the op from "
        "ops that have one, e.g. a - b * (a / b).floor()"
    )


class FloorDivide(Function):
    """a // b, rounded down (Python's //). PyTorch gives it no derivative: the output
    requires grad, but its node (NotImplemented) raises when the backward reaches it."""

    op, grad_name = "floor_divide", "torch::autograd::NotImplemented"
    rules = ("",)
    torch = "torch.floor_divide(a, b)"

    def forward(self, a, b):
        return _floor_divide(self.xp, a, b)

    def backward(self, grad):
        raise _not_implemented("floor_divide")


class DivRounding(Function):
    """div(a, b, rounding_mode="trunc" or "floor"): a step function of a and b, so both
    gradients are 0 (PyTorch's DivBackward2)."""

    op, grad_name = "div", "DivBackward2"
    rules = ("0 * grad", "0 * grad")
    torch = "torch.div(a, b, rounding_mode=rounding_mode)"

    def forward(self, a, b, rounding_mode="trunc"):
        if rounding_mode == "floor":
            return _floor_divide(self.xp, a, b)
        return _trunc_divide(self.xp, a, b)

    def backward(self, grad):
        zero = grad * 0.0
        zero = self.xp.where(zero != zero, 0.0, zero)  # 0, also where grad is inf or NaN
        return zero, zero


class Lerp(Function):
    """a + weight * (b - a), computed as PyTorch does (from b's side when |weight| >= 0.5);
    weight a number (LerpBackward0) or a tensor (LerpBackward1, with a gradient too)."""

    op, grad_name = "lerp", "LerpBackward1"
    inputs = ("a", "b", "weight")
    rules = ("grad * (1 - weight)", "grad * weight", "grad * (b - a)")
    torch = "torch.lerp(a, b, weight)"

    def forward(self, a, b, weight):
        xp = self.xp
        self.save(a, b, weight)
        if not hasattr(weight, "shape"):
            self.grad_name = "LerpBackward0"
            if xp.name != "numpy":
                return xp.torch.lerp(a, b, weight)
            return a + weight * (b - a) if abs(weight) < 0.5 else b - (b - a) * (1 - weight)
        if xp.name != "numpy":
            return xp.torch.lerp(*xp.torch.broadcast_tensors(a, b, weight))
        return np.where(np.abs(weight) < 0.5, a + weight * (b - a), b - (b - a) * (1 - weight))

    def backward(self, grad):
        a, b, weight = self.saved
        needs = self.needs_input_grad
        return (
            grad * (1 - weight) if needs[0] else None,
            grad * weight if needs[1] else None,
            grad * (b - a) if len(needs) > 2 and needs[2] else None,
        )
