"""Arithmetic: + - * / neg, pow and maximum, with broadcasting."""

from __future__ import annotations

import math

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
