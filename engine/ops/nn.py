"""The ops behind nn: gelu, nll_loss, and the fused nodes PyTorch shows as one
(addmm, embedding, layer_norm, var, std, mse_loss)."""

from __future__ import annotations

from ..autograd import Function
from ..dtypes import int64
from ..dtypes import of_array as _engine_dtype
from .elementwise import Sqrt
from .reductions import keep_dims, reduced_count
from .shape import Reshape, Squeeze, Transpose


# ----------------------------------------------------------------------------- fused for nn
class Gelu(Function):
    """a * Phi(a), exactly (with erf) or with PyTorch's tanh approximation."""

    op, grad_name = "gelu", "GeluBackward0"
    rules = ("grad * (Phi(a) + a * phi(a))",)
    torch = "F.gelu(a, approximate=approximate)"

    def forward(self, a, approximate="none"):
        self.save(a)
        self.approximate = approximate
        xp = self.xp
        if approximate == "tanh":
            self.rules = (
                "grad * (0.5 * (1 + t) + 0.5 * a * (1 - t**2) * k * (1 + 3 * 0.044715 * a**2))",
            )
            return 0.5 * a * (1 + xp.tanh(_tanh_inner(a)))
        return 0.5 * a * (1 + xp.erf(a * _SQRT_HALF))

    def backward(self, grad):
        xp, a = self.xp, self.saved[0]
        if self.approximate == "tanh":
            t = xp.tanh(_tanh_inner(a))
            slope = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (grad * (0.5 * (1 + t) + 0.5 * a * (1 - t * t) * slope),)
        cdf = 0.5 * (1 + xp.erf(a * _SQRT_HALF))
        pdf = xp.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return (grad * (cdf + a * pdf),)

    def named_values(self):
        if not self.saved:
            return {}
        a = self.saved[0]
        if self.approximate != "tanh":
            return {"a": a}
        return {"a": a, "t": self.xp.tanh(_tanh_inner(a)), "k": _SQRT_2_OVER_PI}


def _tanh_inner(a):
    return _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)


_SQRT_HALF = 0.7071067811865476
_SQRT_2_OVER_PI = 0.7978845608028654
_INV_SQRT_2PI = 0.3989422804014327


class NllLoss(Function):
    """-logp[target], averaged over the targets that are not ignore_index (or summed).

    ``onehot`` in the words is the targets' classes, one-hot, with the rows of ignored
    targets all 0; ``n`` counts the targets that are not ignored (at least 1: with every
    target ignored the gradient is 0, as in PyTorch, while the mean loss is NaN).
    """

    op, grad_name = "nll_loss", "NllLossBackward0"
    inputs = ("logp", "target")
    rules = ("-grad * onehot / n",)
    torch = "F.nll_loss(logp, target, ignore_index=ignore_index, reduction=reduction)"

    def forward(self, logp, target, ignore_index=-100, reduction="mean"):
        xp = self.xp
        single = logp.ndim == 1
        if single:
            logp, target = logp[None, :], xp.reshape(target, (1,))
        valid = target != ignore_index
        safe = xp.where(valid, target, 0)
        rows = xp.arange(0, logp.shape[0], 1, int64)
        picked = -logp[rows, safe] * valid
        self.shape, self.rows, self.safe, self.valid = logp.shape, rows, safe, valid
        self.single, self.reduction = single, reduction
        self.count = int(xp.sum(valid))
        if reduction == "none":
            self.rules = ("-grad * onehot" if single else "-grad[:, None] * onehot",)
            return picked[0] if single else picked
        if reduction == "sum":
            self.rules = ("-grad * onehot",)
        total = xp.sum(picked)
        return total / self.count if reduction == "mean" else total

    def backward(self, grad):
        xp = self.xp
        if self.reduction == "none":
            per_row = xp.reshape(grad, (-1,)) * self.valid
        else:
            scale = grad / max(self.count, 1) if self.reduction == "mean" else grad
            per_row = scale * self.valid
        out = xp.zeros(tuple(self.shape), _engine_dtype(grad))
        out[self.rows, self.safe] = -per_row
        return (out[0] if self.single else out), None

    def named_values(self):
        onehot = self.xp.zeros(tuple(self.shape), int64)
        onehot[self.rows, self.safe] = self.xp.astype(self.valid, int64)
        return {"n": max(self.count, 1), "onehot": onehot[0] if self.single else onehot}


# ----------------------------------------------------------------------------- fused nodes
# One node where PyTorch shows one: nn.Linear is AddmmBackward0, not permute + matmul + add.
# Each class's ``parts`` is the same computation in the engine's primitive ops, on tensors,
# given the node's inputs and settings: the Graph pane runs it so a learner can open the
# node and step through what it fuses. ``apply`` is tensor.apply, for a primitive that no
# Tensor method reaches (std's sqrt, which sends 0 back where the std is 0).
class T(Transpose):
    """a.t(): a matrix transposed (a vector or a 0-d tensor comes back as it is)."""

    op, grad_name = "t", "TBackward0"
    rules = ("grad.T",)
    torch = "a.t()"

    def named_values(self):
        return {}


class Addmm(Function):
    """b + x @ w in one node: nn.Linear on rows, with w = W.t() ([in_features,
    out_features]); b is summed back to its shape by the engine, as broadcasting's
    backward."""

    op, grad_name = "addmm", "AddmmBackward0"
    inputs = ("b", "x", "w")
    rules = ("grad", "grad @ w.T", "x.T @ grad")
    torch = "torch.addmm(b, x, w)"

    def forward(self, b, x, w):
        self.save(x, w)
        out = self.xp.matmul(x, w)
        out += b  # into the fresh product: no second output array
        return out

    def backward(self, grad):
        xp = self.xp
        x, w = self.saved
        needs_b, needs_x, needs_w = self.needs_input_grad
        grad_x = xp.matmul(grad, xp.matrix_transpose(w)) if needs_x else None
        grad_w = None
        if needs_w and xp.is_transposed(w):  # w is W.t(): build its gradient in W's layout
            grad_w = xp.matrix_transpose(xp.matmul(xp.matrix_transpose(grad), x))
        elif needs_w:
            grad_w = xp.matmul(xp.matrix_transpose(x), grad)
        return (grad if needs_b else None), grad_x, grad_w

    def named_values(self):
        return {"x": self.saved[0], "w": self.saved[1]} if self.saved else {}

    @staticmethod
    def parts(apply, b, x, w):
        return x @ w + b


class Embedding(Function):
    """weight[indices]: rows of an embedding table; each row's gradient is added into the
    row it came from (a row picked twice gets both)."""

    op, grad_name = "embedding", "EmbeddingBackward0"
    inputs = ("weight", "indices")
    rules = ("index_add(weight_shape, indices, grad)",)
    torch = "F.embedding(indices, weight, padding_idx=padding_idx)"

    def forward(self, weight, indices, padding_idx=None):
        xp = self.xp
        self.weight_shape, self.padding_idx = weight.shape, padding_idx
        if padding_idx is not None:  # that row is padding: it gets no gradient
            self.rules = (
                "index_add(weight_shape, indices, grad * (indices != padding_idx)[..., None])",
            )
        self.save(indices)
        # through a flat index, so a 0-d index copies its row too (numpy would view it)
        rows = weight[xp.reshape(indices, (-1,))]
        return xp.reshape(rows, (*indices.shape, weight.shape[1]))

    def backward(self, grad):
        xp = self.xp
        count, width = self.weight_shape
        columns = xp.arange(0, width, 1, int64)
        positions = xp.reshape(self.saved[0], (-1, 1)) * width + columns
        summed = xp.index_add_flat(count * width, _engine_dtype(grad), positions, grad)
        summed = xp.reshape(summed, (count, width))
        if self.padding_idx is not None:
            summed[self.padding_idx] = 0
        return summed, None

    def named_values(self):
        if not self.saved:
            return {}
        values = {"weight_shape": tuple(self.weight_shape), "indices": self.saved[0]}
        return {**values, "padding_idx": self.padding_idx}

    @staticmethod
    def parts(apply, weight, indices, padding_idx=None):
        if padding_idx is None:
            return weight[indices]
        keep = (indices != padding_idx).unsqueeze(-1).float()  # padding rows get no gradient
        return weight[indices] * keep + weight.detach()[indices] * (1 - keep)


class LayerNorm(Function):
    """(a - mean) / sqrt(var + eps) over the last dims, then * weight + bias, in one node
    (PyTorch's native_layer_norm). In the words, ``xhat`` is the normalised input and
    ``rstd`` is 1 / sqrt(var + eps)."""

    op, grad_name = "layer_norm", "NativeLayerNormBackward0"
    inputs = ("a", "weight", "bias")
    rules = (
        "rstd * (grad * weight - mean(grad * weight, dims) "
        "- xhat * mean(grad * weight * xhat, dims))",
        "grad * xhat",
        "grad",
    )
    unscaled = ("rstd * (grad - mean(grad, dims) - xhat * mean(grad * xhat, dims))",)
    torch = "F.layer_norm(a, normalized_shape, weight, bias, eps)"

    def forward(self, a, weight, bias, normalized_shape, eps=1e-5):
        xp = self.xp
        self.dims = dims = tuple(range(a.ndim - len(normalized_shape), a.ndim))
        self.count = n = reduced_count(a.shape, dims)
        centered = a - xp.sum(a, axis=dims, keepdims=True) / n
        rstd = 1 / xp.sqrt(xp.sum(centered * centered, axis=dims, keepdims=True) / n + eps)
        xhat = centered * rstd
        self.save(a, weight, bias, xhat, rstd)  # a, weight and bias watched, as in PyTorch
        if weight is None:
            self.rules = self.unscaled
            return xhat if bias is None else xhat + bias
        return xhat * weight if bias is None else xhat * weight + bias

    def backward(self, grad):
        xp = self.xp
        _, weight, _, xhat, rstd = self.saved
        needs_a, needs_weight, needs_bias = self.needs_input_grad
        grad_a = None
        if needs_a:
            g = grad if weight is None else grad * weight
            dims, n = self.dims, self.count
            mean_g = xp.sum(g, axis=dims, keepdims=True) / n
            mean_gx = xp.sum(g * xhat, axis=dims, keepdims=True) / n
            grad_a = rstd * (g - mean_g - xhat * mean_gx)
        grad_weight = grad * xhat if needs_weight else None
        return grad_a, grad_weight, (grad if needs_bias else None)

    def named_values(self):
        if not self.saved:
            return {}
        _, weight, _, xhat, rstd = self.saved
        return {"xhat": xhat, "rstd": rstd, "weight": weight, "dims": self.dims}

    @staticmethod
    def parts(apply, a, weight, bias, normalized_shape, eps=1e-5):
        dims = tuple(range(a.ndim - len(normalized_shape), a.ndim))
        centered = a - a.mean(dims, keepdim=True)
        variance = (centered * centered).mean(dims, keepdim=True)
        out = centered / (variance + eps).sqrt()
        if weight is not None:
            out = out * weight
        return out if bias is None else out + bias


class Var(Function):
    """sum((a - mean)**2) / (n - correction) over dims, in one node."""

    op, grad_name = "var", "VarBackward0"
    rules = ("expand_to(grad, a_shape, dims) * 2 * (a - mean(a, dims)) / (n - correction)",)
    torch = "a.var(dims, correction=correction, keepdim=keepdim)"

    def forward(self, a, dims=None, correction=1, keepdim=False):
        xp = self.xp
        self.input_shape, self.dims, self.keepdim = a.shape, dims, keepdim
        n = reduced_count(a.shape, dims)
        self.divisor = max(n - correction, 0)  # 0 gives inf or NaN, as in PyTorch
        centered = a - xp.sum(a, axis=dims, keepdims=True) / n
        self.save(a, centered)  # a for the version check, as in PyTorch
        return xp.sum(centered * centered, axis=dims, keepdims=keepdim) / self.divisor

    def backward(self, grad):
        return (keep_dims(self, grad) * self.saved[1] * 2 / self.divisor,)

    def named_values(self):
        if not self.saved:
            return {}
        values = {"a": self.saved[0], "a_shape": tuple(self.input_shape), "dims": self.dims}
        return {**values, "n - correction": self.divisor}

    @staticmethod
    def parts(apply, a, dims=None, correction=1, keepdim=False):
        centered = a - a.mean(dims, keepdim=True)
        divisor = max(reduced_count(a.shape, dims) - correction, 0)
        return (centered * centered).sum(dims, keepdim=keepdim) / divisor


class Std(Var):
    """sqrt(var) in one node; where the std is 0 (a constant input) the gradient is 0, as
    in PyTorch, not inf * 0 = NaN."""

    op, grad_name = "std", "StdBackward0"
    rules = (
        "expand_to(where(std == 0, 0, grad / std), a_shape, dims) * (a - mean(a, dims)) "
        "/ (n - correction)",
    )
    torch = "a.std(dims, correction=correction, keepdim=keepdim)"

    def forward(self, a, dims=None, correction=1, keepdim=False):
        out = self.xp.sqrt(super().forward(a, dims, correction, keepdim))
        self.save(*self.saved, out)
        return out

    def backward(self, grad):
        _, centered, out = self.saved
        scaled = self.xp.where(out == 0, 0.0, grad / out)
        return (keep_dims(self, scaled) * centered / self.divisor,)

    def named_values(self):
        return {**super().named_values(), "std": self.saved[2]} if self.saved else {}

    @staticmethod
    def parts(apply, a, dims=None, correction=1, keepdim=False):
        return apply(Sqrt, Var.parts(apply, a, dims, correction, keepdim), zero_at_zero=True)


class UnsafeView(Reshape):
    """The reshape back to the batch's shape after nn.Linear's matmul, as PyTorch names it."""

    op, grad_name = "reshape", "UnsafeViewBackward0"


class SqueezeDims(Squeeze):
    """The squeeze that drops the row nn.Linear (no bias) gave a 1-D input, as PyTorch
    names it (squeeze over a list of dims)."""

    op, grad_name = "squeeze", "SqueezeBackward4"


class MseLoss(Function):
    """mean((a - b)**2) (or the sum, or each), in one node as PyTorch has it."""

    op, grad_name = "mse_loss", "MseLossBackward0"
    rules = ("grad * 2 * (a - b) / n", "-grad * 2 * (a - b) / n")
    torch = "F.mse_loss(a, b, reduction=reduction)"

    def forward(self, a, b, reduction="mean"):
        xp = self.xp
        difference = a - b
        self.save(a, b)
        self.reduction = reduction
        squared = difference * difference
        self.count = reduced_count(squared.shape, None)
        if reduction == "none":
            return squared
        total = xp.sum(squared)
        return total / self.count if reduction == "mean" else total

    def backward(self, grad):
        a, b = self.saved
        scale = 2 / self.count if self.reduction == "mean" else 2
        grad_a = grad * scale * (a - b)
        return grad_a, -grad_a

    def named_values(self):
        a, b = self.saved or (None, None)
        return {"a": a, "b": b, "n": self.count if self.reduction == "mean" else 1}

    @staticmethod
    def parts(apply, a, b, reduction="mean"):
        squared = (a - b) * (a - b)
        if reduction == "none":
            return squared
        return squared.mean() if reduction == "mean" else squared.sum()
