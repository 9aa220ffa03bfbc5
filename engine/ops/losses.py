"""Losses PyTorch shows as one node: binary cross-entropy (on probabilities and on logits),
smooth L1, Huber, and nll_loss with class weights. (L1 is composed: (a - b).abs().mean(),
as in PyTorch.)"""

from __future__ import annotations

from ..autograd import Function
from ..dtypes import int64
from ..dtypes import of_array as _engine_dtype
from .nn import NllLoss
from .reductions import reduced_count

_EPSILON = 1e-12  # PyTorch's floor on p * (1 - p) in binary_cross_entropy's backward


class _Reduced:
    """The mean, sum or each of a loss's elements, and the gradient's scale for it."""

    def reduce(self, losses, reduction):
        self.reduction = reduction
        self.count = reduced_count(losses.shape, None)
        if reduction == "none":
            return losses
        total = self.xp.sum(losses)
        return total / self.count if reduction == "mean" else total

    def scale(self, grad):
        return grad / self.count if self.reduction == "mean" else grad

    def divided(self, rule: str) -> str:
        return rule + " / n" if self.reduction == "mean" else rule


class BinaryCrossEntropy(_Reduced, Function):
    """-w * (y * log(p) + (1 - y) * log(1 - p)), each log at least -100 as in PyTorch."""

    op, grad_name = "binary_cross_entropy", "BinaryCrossEntropyBackward0"
    inputs = ("p", "y", "w")
    rules = (
        "grad * w * (p - y) / where((1 - p) * p < 1e-12, 1e-12, (1 - p) * p) / n",
        "grad * w * (where(log(1 - p) < -100, -100, log(1 - p)) "
        "- where(log(p) < -100, -100, log(p))) / n",
        "0",
    )
    torch = "F.binary_cross_entropy(p, y, weight=w, reduction=reduction)"

    def forward(self, p, y, w=None, reduction="mean"):
        xp = self.xp
        log_p = xp.maximum(xp.log(p), -100.0)
        log_q = xp.maximum(xp.log(1 - p), -100.0)
        losses = -(y * log_p + (1 - y) * log_q)
        if w is not None:
            losses = losses * w
        self.save(p, y, w)
        out = self.reduce(losses, reduction)
        self.rules = (
            self.divided("grad * w * (p - y) / where((1 - p) * p < 1e-12, 1e-12, (1 - p) * p)"),
            self.divided(
                "grad * w * (where(log(1 - p) < -100, -100, log(1 - p)) "
                "- where(log(p) < -100, -100, log(p)))"
            ),
            "0",
        )
        return out

    def backward(self, grad):
        xp = self.xp
        p, y, w = self.saved
        grad = self.scale(grad)
        if w is not None:
            grad = grad * w
        needs_p, needs_y = self.needs_input_grad[:2]
        grad_p = grad_y = None
        if needs_p:
            grad_p = grad * (p - y) / xp.maximum((1 - p) * p, _EPSILON)
        if needs_y:
            log_p = xp.maximum(xp.log(p), -100.0)
            log_q = xp.maximum(xp.log(1 - p), -100.0)
            grad_y = grad * (log_q - log_p)
        return grad_p, grad_y, None

    def named_values(self):
        if not self.saved:
            return {}
        p, y, w = self.saved
        return {"p": p, "y": y, "w": 1 if w is None else w, "n": self.count}


class BinaryCrossEntropyWithLogits(_Reduced, Function):
    """binary_cross_entropy(sigmoid(x), y) computed stably from the logits x, with
    pos_weight (``pw``) weighting the positive term as in PyTorch; ``s`` is sigmoid(x)."""

    op, grad_name = "binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0"
    inputs = ("x", "y", "w", "pw")
    rules = (
        "grad * w * (s * (pw * y + 1 - y) - pw * y) / n",
        "grad * w * (pw * log(1 + exp(-x)) - log(1 + exp(x))) / n",
        "0",
        "0",
    )
    torch = "F.binary_cross_entropy_with_logits(x, y, weight=w, pos_weight=pw, reduction=reduction)"

    def forward(self, x, y, w=None, pw=None, reduction="mean"):
        xp = self.xp
        # softplus(-x) = -log(sigmoid(x)), stably: max(-x, 0) + log(1 + exp(-|x|))
        soft_neg = xp.maximum(-x, 0) + xp.log(1 + xp.exp(-xp.abs(x)))
        if pw is None:
            losses = (1 - y) * x + soft_neg
        else:
            losses = (1 - y) * x + (1 + (pw - 1) * y) * soft_neg
        if w is not None:
            losses = losses * w
        self.save(x, y, w, pw)
        out = self.reduce(losses, reduction)
        self.rules = (
            self.divided("grad * w * (s * (pw * y + 1 - y) - pw * y)"),
            self.divided("grad * w * (pw * log(1 + exp(-x)) - log(1 + exp(x)))"),
            "0",
            "0",
        )
        return out

    def backward(self, grad):
        xp = self.xp
        x, y, w, pw = self.saved
        grad = self.scale(grad)
        if w is not None:
            grad = grad * w
        pw_ = 1 if pw is None else pw
        needs_x, needs_y = self.needs_input_grad[:2]
        grad_x = grad_y = None
        if needs_x:
            s = xp.sigmoid(x)
            grad_x = grad * (s * (pw_ * y + 1 - y) - pw_ * y)
        if needs_y:
            soft_neg = xp.maximum(-x, 0) + xp.log(1 + xp.exp(-xp.abs(x)))
            grad_y = grad * (pw_ * soft_neg - (soft_neg + x))  # softplus(x) = softplus(-x) + x
        return grad_x, grad_y, None, None

    def named_values(self):
        if not self.saved:
            return {}
        x, y, w, pw = self.saved
        return {
            "x": x,
            "y": y,
            "w": 1 if w is None else w,
            "pw": 1 if pw is None else pw,
            "s": self.xp.sigmoid(x),
            "n": self.count,
        }


class SmoothL1Loss(_Reduced, Function):
    """0.5 * d**2 / beta where |d| < beta, else |d| - 0.5 * beta, for d = a - b."""

    op, grad_name = "smooth_l1_loss", "SmoothL1LossBackward0"
    rules = (
        "grad * where(a - b < -beta, -1, where(a - b > beta, 1, (a - b) / beta)) / n",
        "-grad * where(a - b < -beta, -1, where(a - b > beta, 1, (a - b) / beta)) / n",
    )
    torch = "F.smooth_l1_loss(a, b, reduction=reduction, beta=beta)"

    def forward(self, a, b, reduction="mean", beta=1.0):
        xp = self.xp
        d = a - b
        self.save(a, b)
        self.beta = beta
        size = xp.abs(d)
        if beta == 0:
            losses = size
            slope = "where(a - b > 0, 1, where(a - b < 0, -1, 0))"
        else:
            losses = xp.where(size < beta, 0.5 * d * d / beta, size - 0.5 * beta)
            slope = "where(a - b < -beta, -1, where(a - b > beta, 1, (a - b) / beta))"
        out = self.reduce(losses, reduction)
        self.rules = (self.divided(f"grad * {slope}"), self.divided(f"-grad * {slope}"))
        return out

    def slope(self, d):
        if self.beta == 0:
            return self.xp.sign(d)
        return self.xp.clip(d / self.beta, -1.0, 1.0)

    def backward(self, grad):
        a, b = self.saved
        grad_a = self.scale(grad) * self.slope(a - b)
        return grad_a, -grad_a

    def named_values(self):
        a, b = self.saved or (None, None)
        return {"a": a, "b": b, "beta": self.beta, "n": self.count}


class HuberLoss(SmoothL1Loss):
    """0.5 * d**2 where |d| < delta, else delta * (|d| - 0.5 * delta): smooth L1 * beta."""

    op, grad_name = "huber_loss", "HuberLossBackward0"
    rules = (
        "grad * where(a - b < -delta, -delta, where(a - b > delta, delta, a - b)) / n",
        "-grad * where(a - b < -delta, -delta, where(a - b > delta, delta, a - b)) / n",
    )
    torch = "F.huber_loss(a, b, reduction=reduction, delta=delta)"

    def forward(self, a, b, reduction="mean", delta=1.0):
        xp = self.xp
        d = a - b
        self.save(a, b)
        self.beta = self.delta = delta
        size = xp.abs(d)
        losses = xp.where(size < delta, 0.5 * d * d, delta * (size - 0.5 * delta))
        out = self.reduce(losses, reduction)
        slope = "where(a - b < -delta, -delta, where(a - b > delta, delta, a - b))"
        self.rules = (self.divided(f"grad * {slope}"), self.divided(f"-grad * {slope}"))
        return out

    def slope(self, d):
        return self.xp.clip(d, -self.delta, self.delta)

    def named_values(self):
        a, b = self.saved or (None, None)
        return {"a": a, "b": b, "delta": self.delta, "n": self.count}


class NllLossWeighted(NllLoss):
    """nll_loss with a weight per class (``w``): -w[target] * logp[target], and the mean
    divides by the summed weights of the targets that are not ignored (``W``), as in
    PyTorch; ``wonehot`` is the one-hot targets scaled by their class weights."""

    inputs = ("logp", "target", "w")
    rules = ("-grad * wonehot / W", "0", "0")
    torch = "F.nll_loss(logp, target, weight=w, ignore_index=ignore_index, reduction=reduction)"

    def forward(self, logp, target, w, ignore_index=-100, reduction="mean"):
        xp = self.xp
        single = logp.ndim == 1
        if single:
            logp, target = logp[None, :], xp.reshape(target, (1,))
        valid = target != ignore_index
        safe = xp.where(valid, target, 0)
        rows = xp.arange(0, logp.shape[0], 1, int64)
        weights = w[safe] * valid
        picked = -logp[rows, safe] * weights
        self.shape, self.rows, self.safe, self.valid = logp.shape, rows, safe, valid
        self.single, self.reduction, self.weights = single, reduction, weights
        self.total = xp.sum(weights)
        self.count = int(xp.sum(valid))
        if reduction == "none":
            self.rules = ("-grad * wonehot" if single else "-grad[:, None] * wonehot", "0", "0")
            return picked[0] if single else picked
        if reduction == "sum":
            self.rules = ("-grad * wonehot", "0", "0")
        total = xp.sum(picked)
        return total / self.total if reduction == "mean" else total

    def backward(self, grad):
        xp = self.xp
        if self.reduction == "none":
            per_row = xp.reshape(grad, (-1,)) * self.weights
        elif self.reduction == "mean":
            per_row = grad * self.weights / self.total
        else:
            per_row = grad * self.weights
        out = xp.zeros(tuple(self.shape), _engine_dtype(grad))
        out[self.rows, self.safe] = -per_row
        return (out[0] if self.single else out), None, None

    def named_values(self):
        wonehot = self.xp.zeros(tuple(self.shape), _engine_dtype(self.weights))
        wonehot[self.rows, self.safe] = self.weights
        return {"W": self.total, "wonehot": wonehot[0] if self.single else wonehot}
