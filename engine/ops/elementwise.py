"""Elementwise maths of one tensor (exp, log, sin...), clamp, where, masked_fill and copies."""

from __future__ import annotations

import math

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


# ----------------------------------------------------------------------------- more maths
# The backends share numpy's names for exp, log, sin...; the ops below reach the rest
# through _fn: numpy's function on the numpy backend, torch's of the same meaning on torch.
def _fn(xp, numpy_fn, torch_name: str):
    return numpy_fn if xp.name == "numpy" else getattr(xp.torch, torch_name)


def _zeros(xp, grad):
    """A zero gradient shaped like grad (0 * grad would turn an inf or NaN grad into NaN)."""
    return xp.zeros(tuple(grad.shape), _engine_dtype(grad))


class _Unary(Function):
    """One input, a numpy function and a torch function of the same meaning (`numpy`,
    `torch_name`), saving the input (or the output, where `saves_output`)."""

    numpy = staticmethod(np.negative)
    torch_name = ""
    saves_output = False

    def forward(self, a):
        out = _fn(self.xp, self.numpy, self.torch_name)(a)
        self.save(out if self.saves_output else a)
        return out


class Tan(_Unary):
    op, grad_name = "tan", "TanBackward0"
    rules = ("grad * (1 + tan(a)**2)",)
    torch = "a.tan()"
    numpy, torch_name, saves_output = staticmethod(np.tan), "tan", True

    def backward(self, grad):
        out = self.saved[0]
        return (grad * (1 + out * out),)

    def named_values(self):
        return {"tan(a)": self.saved[0]} if self.saved else {}


class Asin(_Unary):
    op, grad_name = "asin", "AsinBackward0"
    rules = ("grad / sqrt(1 - a**2)",)
    torch = "a.asin()"
    numpy, torch_name = staticmethod(np.arcsin), "asin"

    def backward(self, grad):
        a = self.saved[0]
        return (grad / self.xp.sqrt(1 - a * a),)


class Acos(_Unary):
    op, grad_name = "acos", "AcosBackward0"
    rules = ("-grad / sqrt(1 - a**2)",)
    torch = "a.acos()"
    numpy, torch_name = staticmethod(np.arccos), "acos"

    def backward(self, grad):
        a = self.saved[0]
        return (-grad / self.xp.sqrt(1 - a * a),)


class Atan(_Unary):
    op, grad_name = "atan", "AtanBackward0"
    rules = ("grad / (1 + a**2)",)
    torch = "a.atan()"
    numpy, torch_name = staticmethod(np.arctan), "atan"

    def backward(self, grad):
        a = self.saved[0]
        return (grad / (1 + a * a),)


class Sinh(_Unary):
    op, grad_name = "sinh", "SinhBackward0"
    rules = ("grad * cosh(a)",)
    torch = "a.sinh()"
    numpy, torch_name = staticmethod(np.sinh), "sinh"

    def backward(self, grad):
        return (grad * _fn(self.xp, np.cosh, "cosh")(self.saved[0]),)

    def named_values(self):
        return {"cosh(a)": _fn(self.xp, np.cosh, "cosh")(self.saved[0])} if self.saved else {}


class Cosh(_Unary):
    op, grad_name = "cosh", "CoshBackward0"
    rules = ("grad * sinh(a)",)
    torch = "a.cosh()"
    numpy, torch_name = staticmethod(np.cosh), "cosh"

    def backward(self, grad):
        return (grad * _fn(self.xp, np.sinh, "sinh")(self.saved[0]),)

    def named_values(self):
        return {"sinh(a)": _fn(self.xp, np.sinh, "sinh")(self.saved[0])} if self.saved else {}


class Asinh(_Unary):
    op, grad_name = "asinh", "AsinhBackward0"
    rules = ("grad / sqrt(a**2 + 1)",)
    torch = "a.asinh()"
    numpy, torch_name = staticmethod(np.arcsinh), "asinh"

    def backward(self, grad):
        a = self.saved[0]
        return (grad / self.xp.sqrt(a * a + 1),)


class Acosh(_Unary):
    op, grad_name = "acosh", "AcoshBackward0"
    rules = ("grad / sqrt(a**2 - 1)",)
    torch = "a.acosh()"
    numpy, torch_name = staticmethod(np.arccosh), "acosh"

    def backward(self, grad):
        a = self.saved[0]
        return (grad / self.xp.sqrt(a * a - 1),)


class Atanh(_Unary):
    op, grad_name = "atanh", "AtanhBackward0"
    rules = ("grad / (1 - a**2)",)
    torch = "a.atanh()"
    numpy, torch_name = staticmethod(np.arctanh), "atanh"

    def backward(self, grad):
        a = self.saved[0]
        return (grad / (1 - a * a),)


def _rsqrt(a):
    return 1 / np.sqrt(a)


class Rsqrt(_Unary):
    op, grad_name = "rsqrt", "RsqrtBackward0"
    rules = ("-grad * rsqrt(a)**3 / 2",)
    torch = "a.rsqrt()"
    numpy, torch_name, saves_output = staticmethod(_rsqrt), "rsqrt", True

    def backward(self, grad):
        out = self.saved[0]
        return (-0.5 * grad * out * out * out,)

    def named_values(self):
        return {"rsqrt(a)": self.saved[0]} if self.saved else {}


class Reciprocal(_Unary):
    """1 / a, one node as in PyTorch (ReciprocalBackward0, from the saved output)."""

    op, grad_name = "reciprocal", "ReciprocalBackward0"
    rules = ("-grad * reciprocal(a)**2",)
    torch = "a.reciprocal()"
    numpy, torch_name, saves_output = staticmethod(np.reciprocal), "reciprocal", True

    def backward(self, grad):
        out = self.saved[0]
        return (-grad * out * out,)

    def named_values(self):
        return {"reciprocal(a)": self.saved[0]} if self.saved else {}


class Log2(_Unary):
    op, grad_name = "log2", "Log2Backward0"
    rules = ("grad / (a * log(2))",)
    torch = "a.log2()"
    numpy, torch_name = staticmethod(np.log2), "log2"

    def backward(self, grad):
        return (grad / (self.saved[0] * math.log(2)),)


class Log10(_Unary):
    op, grad_name = "log10", "Log10Backward0"
    rules = ("grad / (a * log(10))",)
    torch = "a.log10()"
    numpy, torch_name = staticmethod(np.log10), "log10"

    def backward(self, grad):
        return (grad / (self.saved[0] * math.log(10)),)


class Log1p(_Unary):
    op, grad_name = "log1p", "Log1PBackward0"
    rules = ("grad / (1 + a)",)
    torch = "a.log1p()"
    numpy, torch_name = staticmethod(np.log1p), "log1p"

    def backward(self, grad):
        return (grad / (1 + self.saved[0]),)


class Exp2(_Unary):
    op, grad_name = "exp2", "Exp2Backward0"
    rules = ("grad * exp2(a) * log(2)",)
    torch = "a.exp2()"
    numpy, torch_name, saves_output = staticmethod(np.exp2), "exp2", True

    def backward(self, grad):
        return (grad * self.saved[0] * math.log(2),)

    def named_values(self):
        return {"exp2(a)": self.saved[0]} if self.saved else {}


class Expm1(_Unary):
    op, grad_name = "expm1", "Expm1Backward0"
    rules = ("grad * (expm1(a) + 1)",)
    torch = "a.expm1()"
    numpy, torch_name, saves_output = staticmethod(np.expm1), "expm1", True

    def backward(self, grad):
        return (grad * (self.saved[0] + 1),)

    def named_values(self):
        return {"expm1(a)": self.saved[0]} if self.saved else {}


class Erf(Function):
    op, grad_name = "erf", "ErfBackward0"
    rules = ("grad * 2 / sqrt(pi) * exp(-a**2)",)
    torch = "a.erf()"

    def forward(self, a):
        self.save(a)
        return self.xp.erf(a)

    def backward(self, grad):
        a = self.saved[0]
        return (grad * (2 / math.sqrt(math.pi)) * self.xp.exp(-a * a),)


class Frac(_Unary):
    op, grad_name = "frac", "FracBackward0"
    rules = ("grad",)
    torch = "a.frac()"

    def forward(self, a):
        return a - _fn(self.xp, np.trunc, "trunc")(a)

    def backward(self, grad):
        return (grad,)


class _Step(_Unary):
    """floor, ceil, round, trunc, sign: steps, so the gradient is 0 everywhere (PyTorch's
    choice at the jumps too). An integer input comes back as it is, in its dtype."""

    rules = ("0 * grad",)

    def forward(self, a):
        if not _engine_dtype(a).is_floating_point:
            return self.xp.copy(a)
        return _fn(self.xp, self.numpy, self.torch_name)(a)

    def backward(self, grad):
        return (_zeros(self.xp, grad),)


class Floor(_Step):
    op, grad_name = "floor", "FloorBackward0"
    torch = "a.floor()"
    numpy, torch_name = staticmethod(np.floor), "floor"


class Ceil(_Step):
    op, grad_name = "ceil", "CeilBackward0"
    torch = "a.ceil()"
    numpy, torch_name = staticmethod(np.ceil), "ceil"


class Trunc(_Step):
    op, grad_name = "trunc", "TruncBackward0"
    torch = "a.trunc()"
    numpy, torch_name = staticmethod(np.trunc), "trunc"


class Round(_Step):
    """Half to even (2.5 -> 2), as PyTorch; ``decimals`` rounds to 10**-decimals the way
    PyTorch does (a * 10**d rounded, then divided), and makes the node RoundBackward1."""

    op, grad_name = "round", "RoundBackward0"
    torch = "a.round() if decimals is None else a.round(decimals=decimals)"
    numpy, torch_name = staticmethod(np.rint), "round"

    def forward(self, a, decimals=None):
        if decimals is None:
            return super().forward(a)
        self.grad_name = "RoundBackward1"
        if self.xp.name != "numpy":
            return self.xp.torch.round(a, decimals=decimals)
        scale = 10.0 ** abs(decimals)
        if decimals >= 0:
            return (np.rint(a * scale) / scale).astype(a.dtype)
        return (np.rint(a / scale) * scale).astype(a.dtype)


class Sign(_Step):
    """-1, 0 or 1 (0 for NaN, as PyTorch); a bool tensor stays as it is."""

    op, grad_name = "sign", "SignBackward0"
    torch = "a.sign()"

    def forward(self, a):
        xp = self.xp
        if _engine_dtype(a).is_floating_point:
            return xp.where(xp.isnan(a), 0.0, xp.sign(a))
        return xp.copy(a) if _engine_dtype(a).category == 0 else xp.sign(a)


class ClampTensor(Function):
    """clamp with tensor bounds: min(max(a, min), max), broadcast. The gradient goes to a
    inside [min, max], to min where a is below it (and min < max), to max where a is above
    it or max < min (max wins then): PyTorch's split, ties to a."""

    op, grad_name = "clamp", "ClampBackward0"
    inputs = ("a", "min", "max")
    rules = (
        "where((a >= min) & (a <= max), grad, 0)",
        "where((a < min) & (min < max), grad, 0)",
        "where((a > max) | (max < min), grad, 0)",
    )
    torch = "torch.clamp(a, min, max)"

    def forward(self, a, low, high):
        xp = self.xp
        self.save(a, low, high)
        if high is None:
            self.rules = ("where(a >= min, grad, 0)", "where(a < min, grad, 0)", "")
            return xp.maximum(a, low)
        if low is None:
            self.rules = ("where(a <= max, grad, 0)", "", "where(a > max, grad, 0)")
            return xp.minimum(a, high)
        return xp.minimum(xp.maximum(a, low), high)

    def backward(self, grad):
        a, low, high = self.saved
        xp = self.xp
        if high is None:
            above = a >= low
            return xp.where(above, grad, 0.0), xp.where(above, 0.0, grad), None
        if low is None:
            below = a <= high
            return xp.where(below, grad, 0.0), None, xp.where(below, 0.0, grad)
        inside = (a >= low) & (a <= high)
        to_low = (a < low) & (low < high)
        to_high = (a > high) | (high < low)
        return (
            xp.where(inside, grad, 0.0),
            xp.where(to_low, grad, 0.0),
            xp.where(to_high, grad, 0.0),
        )
