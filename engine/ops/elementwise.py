"""Elementwise maths of one tensor (exp, log, sin...), clamp, where, masked_fill and copies."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..dtypes import of_array as _engine_dtype


# ----------------------------------------------------------------------------- elementwise
class Exp(Function):
    op, grad_name = "exp", "ExpBackward0"
    rules = ("grad * exp(a)",)
    torch = "a.exp()"

    def forward(self, a):
        out = self.xp.exp(a)
        self.save(out)
        return out

    def backward(self, grad):
        return (grad * self.saved[0],)

    def named_values(self):
        return {"exp(a)": self.saved[0]} if self.saved else {}


class Sin(Function):
    op, grad_name = "sin", "SinBackward0"
    rules = ("grad * cos(a)",)
    torch = "a.sin()"

    def forward(self, a):
        self.save(a)
        return self.xp.sin(a)

    def backward(self, grad):
        return (grad * self.xp.cos(self.saved[0]),)


class Cos(Function):
    op, grad_name = "cos", "CosBackward0"
    rules = ("-grad * sin(a)",)
    torch = "a.cos()"

    def forward(self, a):
        self.save(a)
        return self.xp.cos(a)

    def backward(self, grad):
        return (-grad * self.xp.sin(self.saved[0]),)


class Log(Function):
    op, grad_name = "log", "LogBackward0"
    rules = ("grad / a",)
    torch = "a.log()"

    def forward(self, a):
        self.save(a)
        return self.xp.log(a)

    def backward(self, grad):
        return (grad / self.saved[0],)


class Sqrt(Function):
    """sqrt(a); for std (``zero_at_zero``) a 0 output sends 0 back, as PyTorch's std does."""

    op, grad_name = "sqrt", "SqrtBackward0"
    rules = ("grad / (2 * sqrt(a))",)
    torch = "a.sqrt()"
    zero_at_zero = False

    def forward(self, a, zero_at_zero=False):
        out = self.xp.sqrt(a)
        self.save(out)
        if zero_at_zero:  # a constant input's std: the gradient is 0, not inf * 0 = NaN
            self.zero_at_zero = True
            self.rules = ("where(sqrt(a) == 0, 0, grad / (2 * sqrt(a)))",)
        return out

    def backward(self, grad):
        out = self.saved[0]
        if self.zero_at_zero:
            return (self.xp.where(out == 0, 0.0, grad / (2 * out)),)
        return (grad / (2 * out),)

    def named_values(self):
        return {"sqrt(a)": self.saved[0]} if self.saved else {}


class Abs(Function):
    op, grad_name = "abs", "AbsBackward0"
    rules = ("grad * sign(a)",)
    torch = "a.abs()"

    def forward(self, a):
        self.save(a)
        return self.xp.abs(a)

    def backward(self, grad):
        a, xp = self.saved[0], self.xp
        return (grad * xp.where(xp.isnan(a), 0.0, xp.sign(a)),)  # sign(NaN) is 0 in PyTorch


class Tanh(Function):
    op, grad_name = "tanh", "TanhBackward0"
    rules = ("grad * (1 - tanh(a)**2)",)
    torch = "a.tanh()"

    def forward(self, a):
        out = self.xp.tanh(a)
        self.save(out)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return (grad * (1 - out * out),)

    def named_values(self):
        return {"tanh(a)": self.saved[0]} if self.saved else {}


class Sigmoid(Function):
    op, grad_name = "sigmoid", "SigmoidBackward0"
    rules = ("grad * s * (1 - s)",)
    torch = "a.sigmoid()"

    def forward(self, a):
        out = self.xp.sigmoid(a)
        self.save(out)
        return out

    def backward(self, grad):
        out = self.saved[0]
        return (grad * out * (1 - out),)

    def named_values(self):
        return {"s": self.saved[0]} if self.saved else {}


class Relu(Function):
    op, grad_name = "relu", "ReluBackward0"
    rules = ("where(relu(a) <= 0, 0, grad)",)  # a NaN input passes its gradient, as in PyTorch
    torch = "a.relu()"

    def forward(self, a):
        out = self.xp.relu(a)
        self.save(out)
        return out

    def backward(self, grad):
        # PyTorch zeroes where out <= 0, so a NaN input passes its gradient through
        return (self.xp.where(self.saved[0] <= 0, 0.0, grad),)

    def named_values(self):
        return {"relu(a)": self.saved[0]} if self.saved else {}


class Clamp(Function):
    op, grad_name = "clamp", "ClampBackward1"
    rules = ("grad * ((a >= min) & (a <= max))",)
    torch = "a.clamp(low, high)"

    def forward(self, a, low=None, high=None):
        self.save(a)
        self.low, self.high = low, high
        if high is None:
            self.rules = ("grad * (a >= min)",)
        elif low is None:
            self.rules = ("grad * (a <= max)",)
        return self.xp.clip(a, low, high)

    def backward(self, grad):
        a = self.saved[0]
        keep = True
        if self.low is not None:
            keep = a >= self.low
        if self.high is not None:
            keep = keep & (a <= self.high)
        return (grad * keep,)

    def named_values(self):
        return {"a": self.saved[0] if self.saved else None, "min": self.low, "max": self.high}


class Where(Function):
    op, grad_name = "where", "WhereBackward0"
    inputs = ("condition", "a", "b")
    rules = ("", "where(condition, grad, 0)", "where(condition, 0, grad)")
    torch = "torch.where(condition, a, b)"

    def forward(self, condition, a, b):
        self.save(condition)
        return self.xp.where(condition, a, b)

    def backward(self, grad):
        xp, condition = self.xp, self.saved[0]
        return None, xp.where(condition, grad, 0.0), xp.where(condition, 0.0, grad)


class MaskedFill(Function):
    op, grad_name = "masked_fill", "MaskedFillBackward0"
    inputs = ("a", "mask", "value")
    rules = ("where(mask, 0, grad)",)
    torch = "a.masked_fill(mask, value)"

    def forward(self, a, mask, value):
        self.save(mask)
        return self.xp.where(mask, value, a)

    def backward(self, grad):
        return self.xp.where(self.saved[0], 0.0, grad), None

    def named_values(self):
        return {"mask": self.saved[0]} if self.saved else {}


class ToCopy(Function):
    """A change of dtype; its gradient goes back in the input's dtype."""

    op, grad_name = "to", "ToCopyBackward0"
    rules = ("cast(grad, input_dtype)",)
    torch = "a.to(dtype)"

    def forward(self, a, dtype):
        self.input_dtype = _engine_dtype(a)
        return self.xp.astype(a, dtype)

    def backward(self, grad):
        return (self.xp.astype(grad, self.input_dtype),)

    def named_values(self):
        return {"input_dtype": self.input_dtype}


class ToDevice(Function):
    """A move to another device (tensor.py makes this node: its input and output live on
    different backends); the gradient moves back."""

    op, grad_name = "to", "ToCopyBackward0"
    rules = ("grad",)

    def backward(self, grad):
        back = self.source.backend
        if self.xp.name == "torch" and back.name == "torch":
            return (grad.to(back.torch_device),)
        return (back.from_numpy(np.array(self.xp.to_numpy(grad))),)


class Clone(Function):
    op, grad_name = "clone", "CloneBackward0"
    rules = ("grad",)
    torch = "a.clone()"

    def forward(self, a):
        return self.xp.copy(a)

    def backward(self, grad):
        return (grad,)
