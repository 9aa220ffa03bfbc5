"""Batch norm: one node, PyTorch's native_batch_norm (NativeBatchNormBackward0)."""

from __future__ import annotations

import math

from ..autograd import Function

__all__ = ["BatchNorm"]


class BatchNorm(Function):
    """(a - mean) / sqrt(var + eps) per channel (dim 1), then * weight + bias.

    In training the mean and the (biased) variance are the batch's, over every dim but
    the channels (``dims``); in eval they are the running statistics, constants to the
    gradient. ``xhat`` in the words is the normalised input, ``rstd`` 1 / sqrt(var + eps),
    ``wc`` the weight shaped to broadcast over a channel (1 without a weight). The op also
    hands back the batch's mean and unbiased variance, which F.batch_norm folds into the
    running statistics (out of the graph, as PyTorch does).
    """

    op, grad_name = "batch_norm", "NativeBatchNormBackward0"
    inputs = ("a", "weight", "bias", "running_mean", "running_var")
    extra_outputs = 2
    training_rules = (
        "rstd * (grad * wc - mean(grad * wc, dims) - xhat * mean(grad * wc * xhat, dims))",
        "(grad * xhat).sum(dims)",
        "grad.sum(dims)",
    )
    rules = training_rules
    eval_rules = ("grad * wc * rstd", "(grad * xhat).sum(dims)", "grad.sum(dims)")
    torch = (  # the running statistics are constants to the gradient: detached
        "F.batch_norm(a, None if running_mean is None else running_mean.detach(), "
        "None if running_var is None else running_var.detach(), weight, bias, training, "
        "momentum, eps)"
    )

    def forward(
        self, a, weight, bias, running_mean, running_var, training=True, momentum=0.1, eps=1e-5
    ):
        xp = self.xp
        self.dims = dims = (0, *range(2, a.ndim))
        channels = (1, a.shape[1]) + (1,) * (a.ndim - 2)
        self.count = n = math.prod(a.shape) // max(a.shape[1], 1)
        self.training = training
        if training:
            mean = xp.sum(a, axis=dims, keepdims=True) / n
            centered = a - mean
            var = xp.sum(centered * centered, axis=dims, keepdims=True) / n
            unbiased = var * (n / (n - 1)) if n > 1 else var * float("nan")
            self.rules = self.training_rules
        else:
            mean = xp.reshape(running_mean, channels)
            var = xp.reshape(running_var, channels)
            centered = a - mean
            unbiased = var
            self.rules = self.eval_rules
        rstd = 1 / xp.sqrt(var + eps)
        xhat = centered * rstd
        wc = None if weight is None else xp.reshape(weight, channels)
        out = xhat if wc is None else xhat * wc
        if bias is not None:
            out = out + xp.reshape(bias, channels)
        self.channels = channels
        self.save(a, weight, bias, xhat, rstd)  # not wc, a view of weight: weight is watched
        return out, xp.reshape(mean, (a.shape[1],)), xp.reshape(unbiased, (a.shape[1],))

    def backward(self, grad):
        xp = self.xp
        _, weight, _, xhat, rstd = self.saved
        wc = None if weight is None else xp.reshape(weight, self.channels)
        needs_a, needs_weight, needs_bias = self.needs_input_grad[:3]
        dims = self.dims
        grad_a = None
        if needs_a:
            g = grad if wc is None else grad * wc
            if self.training:
                n = self.count
                mean_g = xp.sum(g, axis=dims, keepdims=True) / n
                mean_gx = xp.sum(g * xhat, axis=dims, keepdims=True) / n
                grad_a = rstd * (g - mean_g - xhat * mean_gx)
            else:
                grad_a = g * rstd
        grad_weight = xp.sum(grad * xhat, axis=dims) if needs_weight else None
        grad_bias = xp.sum(grad, axis=dims) if needs_bias else None
        return grad_a, grad_weight, grad_bias, None, None

    def named_values(self):
        if not self.saved:
            return {}
        _, weight, _, xhat, rstd = self.saved
        wc = None if weight is None else self.xp.reshape(weight, self.channels)
        return {"xhat": xhat, "rstd": rstd, "wc": 1 if wc is None else wc, "dims": self.dims}
