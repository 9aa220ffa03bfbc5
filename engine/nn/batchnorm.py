"""Batch norm layers: per-channel statistics of the batch in training, running ones in eval."""

from __future__ import annotations

from .. import autograd
from ..creation import ones, tensor, zeros
from ..dtypes import int64
from ..trace import untraced
from . import functional as F
from .layers import _check_sizes
from .module import Module, Parameter


class _BatchNorm(Module):
    ranks: tuple = (2, 3)

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        bias=True,
    ):
        super().__init__()
        _check_sizes(type(self).__name__, num_features=num_features)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats, self.use_bias = affine, track_running_stats, bias
        n = (num_features,)
        if affine:
            self.weight = Parameter(ones(n, device=device, dtype=dtype))
            self.bias = Parameter(zeros(n, device=device, dtype=dtype)) if bias else None
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(n, device=device, dtype=dtype))
            self.register_buffer("running_var", ones(n, device=device, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64, device=device))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with autograd.no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1.0)
                self.num_batches_tracked.zero_()

    def forward(self, x):
        if not hasattr(x, "ndim") or x.ndim not in self.ranks:
            got = (
                f"{x.ndim}D input of shape {tuple(x.shape)}"
                if hasattr(x, "ndim")
                else type(x).__name__
            )
            wanted = " or ".join(f"{r}D" for r in self.ranks)
            raise F.ShapeError(
                f"{F.module_name(self)}: expected {wanted} input (got {got}); {self._hint}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with autograd.no_grad(), untraced():  # bookkeeping, not a step of the graph
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # a cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked.item())
        batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            batch_stats,
            factor,
            self.eps,
            _where_=self,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.use_bias and self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Over (N, C) or (N, C, L): one mean and variance per feature C."""

    ranks = (2, 3)
    _hint = "BatchNorm1d takes (N, C) or (N, C, L); for images (N, C, H, W) use BatchNorm2d"


class BatchNorm2d(_BatchNorm):
    """Over (N, C, H, W): one mean and variance per channel C."""

    ranks = (4,)
    _hint = "BatchNorm2d takes (N, C, H, W); for (N, C) or (N, C, L) use BatchNorm1d"
