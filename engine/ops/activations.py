"""Activations PyTorch shows as one node each: softplus, silu, leaky_relu, elu, hardtanh
(relu6 is hardtanh(0, 6), as in PyTorch)."""

from __future__ import annotations

from ..autograd import Function


class Softplus(Function):
    """log(1 + exp(beta * a)) / beta, and a itself where beta * a > threshold."""

    op, grad_name = "softplus", "SoftplusBackward0"
    rules = ("where(beta * a > threshold, grad, grad / (1 + exp(-beta * a)))",)
    torch = "F.softplus(a, beta=beta, threshold=threshold)"

    def forward(self, a, beta=1.0, threshold=20.0):
        xp = self.xp
        self.save(a)
        self.beta, self.threshold = beta, threshold
        z = a * beta
        # max(z, 0) + log(1 + exp(-|z|)): no overflow for a large z
        soft = (xp.maximum(z, 0) + xp.log(1 + xp.exp(-xp.abs(z)))) / beta
        return xp.where(z > threshold, a, soft)

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        z = a * self.beta
        return (xp.where(z > self.threshold, grad, grad * xp.sigmoid(z)),)

    def named_values(self):
        a = self.saved[0] if self.saved else None
        return {"a": a, "beta": self.beta, "threshold": self.threshold}


class Silu(Function):
    """a * sigmoid(a); in the words ``s`` is sigmoid(a)."""

    op, grad_name = "silu", "SiluBackward0"
    rules = ("grad * s * (1 + a * (1 - s))",)
    torch = "F.silu(a)"

    def forward(self, a):
        self.save(a)
        return a * self.xp.sigmoid(a)

    def backward(self, grad):
        a = self.saved[0]
        s = self.xp.sigmoid(a)
        return (grad * s * (1 + a * (1 - s)),)

    def named_values(self):
        return {"a": self.saved[0], "s": self.xp.sigmoid(self.saved[0])} if self.saved else {}


class LeakyRelu(Function):
    op, grad_name = "leaky_relu", "LeakyReluBackward0"
    rules = ("where(a > 0, grad, grad * negative_slope)",)
    torch = "F.leaky_relu(a, negative_slope)"

    def forward(self, a, negative_slope=0.01):
        self.save(a)
        self.negative_slope = negative_slope
        return self.xp.where(a > 0, a, a * negative_slope)

    def backward(self, grad):
        return (self.xp.where(self.saved[0] > 0, grad, grad * self.negative_slope),)

    def named_values(self):
        a = self.saved[0] if self.saved else None
        return {"a": a, "negative_slope": self.negative_slope}


class Elu(Function):
    """a where a > 0, else alpha * (exp(a) - 1)."""

    op, grad_name = "elu", "EluBackward0"
    rules = ("where(a > 0, grad, grad * alpha * exp(a))",)
    torch = "F.elu(a, alpha)"

    def forward(self, a, alpha=1.0):
        xp = self.xp
        self.save(a)
        self.alpha = alpha
        return xp.where(a > 0, a, alpha * (xp.exp(xp.minimum(a, 0)) - 1))

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        return (xp.where(a > 0, grad, grad * self.alpha * xp.exp(xp.minimum(a, 0))),)

    def named_values(self):
        return {"a": self.saved[0] if self.saved else None, "alpha": self.alpha}


class Hardtanh(Function):
    """a clamped to [min_val, max_val]; the gradient is 0 at and beyond the ends."""

    op, grad_name = "hardtanh", "HardtanhBackward0"
    rules = ("grad * ((a > min_val) & (a < max_val))",)
    torch = "F.hardtanh(a, min_val, max_val)"

    def forward(self, a, min_val=-1.0, max_val=1.0):
        self.save(a)
        self.min_val, self.max_val = min_val, max_val
        return self.xp.clip(a, min_val, max_val)

    def backward(self, grad):
        a = self.saved[0]
        return (self.xp.where((a > self.min_val) & (a < self.max_val), grad, 0.0),)

    def named_values(self):
        a = self.saved[0] if self.saved else None
        return {"a": a, "min_val": self.min_val, "max_val": self.max_val}
