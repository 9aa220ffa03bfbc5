"""nn.MultiheadAttention with PyTorch's parameters (in_proj_weight, in_proj_bias, out_proj),
initialisation and masks, composed from linear, matmul, masked_fill and softmax so the
Graph pane shows each step."""

from __future__ import annotations

import math

from .. import dtypes
from ..creation import zeros
from ..errors import ShapeError, describe
from . import functional as F
from . import init
from .layers import Linear
from .module import Module, Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """PyTorch's name for MultiheadAttention's out_proj: a Linear."""


class MultiheadAttention(Module):
    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim=None,
        vdim=None,
        batch_first: bool = False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} "
                f"and num_heads={num_heads} instead"
            )
        if embed_dim % num_heads:
            raise AssertionError(
                f"embed_dim must be divisible by num_heads (embed_dim={embed_dim}, "
                f"num_heads={num_heads}); e.g. num_heads={_divisor(embed_dim, num_heads)}"
            )
        if (
            add_bias_kv
            or add_zero_attn
            or kdim not in (None, embed_dim)
            or vdim
            not in (
                None,
                embed_dim,
            )
        ):
            raise NotImplementedError(
                "MultiheadAttention: add_bias_kv, add_zero_attn and kdim/vdim other than "
                "embed_dim are not supported by nnbench"
            )
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = self.vdim = embed_dim
        self._qkv_same_embed_dim = True
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.in_proj_weight = Parameter(zeros((3 * embed_dim, embed_dim), device=device))
        self.in_proj_bias = Parameter(zeros((3 * embed_dim,), device=device)) if bias else None
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias, device)
        self.bias_k = self.bias_v = None
        self.add_zero_attn = False
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)

    def forward(
        self,
        query,
        key,
        value,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        if is_causal and attn_mask is None:
            raise RuntimeError(
                "MultiheadAttention: Need attn_mask if specifying the is_causal hint; pass "
                "attn_mask=ne.ones(L, L).triu(1).bool() (True = not allowed)"
            )
        batched = query.ndim == 3
        if query.ndim not in (2, 3):
            raise ShapeError(
                f"MultiheadAttention: query should be unbatched 2D or batched 3D tensor but "
                f"received {query.ndim}-D query tensor ({describe('query', query)})"
            )
        if batched and self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        length, batch, embed = query.shape
        if embed != self.embed_dim:
            raise ShapeError(
                f"MultiheadAttention: was expecting embedding dimension of {self.embed_dim}, "
                f"but got {embed} ({describe('query', query)})"
            )
        source = key.shape[0]
        heads, head_dim = self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        e = self.embed_dim
        parts = [
            F.linear(x, w[i * e : (i + 1) * e], None if b is None else b[i * e : (i + 1) * e])
            for i, x in enumerate((query, key, value))
        ]
        q, k, v = (
            p.reshape(n, batch * heads, head_dim).transpose(0, 1)
            for p, n in zip(parts, (length, source, source))
        )
        scores = (q * (1 / math.sqrt(head_dim))) @ k.transpose(-2, -1)  # (N*H, L, S)
        scores = scores.reshape(batch, heads, length, source)
        if attn_mask is not None:
            mask = (
                attn_mask
                if attn_mask.ndim == 2
                else attn_mask.reshape(batch, heads, length, source)
            )
            scores = _masked(scores, mask)
        if key_padding_mask is not None:
            scores = _masked(scores, key_padding_mask.reshape(batch, 1, 1, source))
        weights = scores.softmax(-1)
        if self.dropout and self.training:
            weights = F.dropout(weights, self.dropout, True)
        out = weights.reshape(batch * heads, length, source) @ v  # (N*H, L, head_dim)
        out = out.transpose(0, 1).reshape(length * batch, e)
        out = self.out_proj(out).reshape(length, batch, e)
        if not batched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
        return out, weights

    def extra_repr(self) -> str:
        return ""


def _masked(scores, mask):
    """A bool mask's True positions are not attended (-inf); a float mask is added."""
    if mask.dtype is dtypes.bool_:
        return scores.masked_fill(mask, float("-inf"))
    return scores + mask


def _divisor(embed_dim: int, num_heads: int) -> int:
    return max(h for h in range(1, num_heads + 1) if embed_dim % h == 0)
