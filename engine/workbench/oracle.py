"""PyTorch as the oracle for one recorded op: the same inputs through torch, compared.

The Graph pane asks, for the node on screen, how far the engine's output (forward) and
the gradients it sent (backward) are from what PyTorch computes for the very same
inputs. torch is imported on first use, in the worker that asks.
"""

from __future__ import annotations

import numpy as np

from .. import ops as O
from ..formatting import to_numpy


def _torch_key(key):
    import torch

    def convert(k):
        if isinstance(k, np.ndarray):
            return torch.from_numpy(k)
        if hasattr(k, "detach"):
            return k.cpu()
        return k

    return tuple(convert(k) for k in key)


def _forward_rules():
    import torch
    import torch.nn.functional as F

    def reduce(fn):
        return lambda p, a: (
            fn(a, dim=p["dims"], keepdim=p["keepdim"]) if p.get("dims") is not None else fn(a)
        )

    def extreme_dim(p, a):
        fn = torch.max if p.get("largest", True) else torch.min
        out = fn(a, dim=p["dim"], keepdim=p.get("keepdim", False))
        return out.values

    return {
        O.Add: lambda p, a, b: a + b,
        O.Sub: lambda p, a, b: a - b,
        O.Mul: lambda p, a, b: a * b,
        O.Div: lambda p, a, b: a / b,
        O.Neg: lambda p, a: -a,
        O.Pow: lambda p, a, b: a**b,
        O.Maximum: lambda p, a, b: torch.maximum(a, b),
        O.Exp: lambda p, a: a.exp(),
        O.Log: lambda p, a: a.log(),
        O.Sin: lambda p, a: a.sin(),
        O.Cos: lambda p, a: a.cos(),
        O.Sqrt: lambda p, a: a.sqrt(),
        O.Abs: lambda p, a: a.abs(),
        O.Tanh: lambda p, a: a.tanh(),
        O.Sigmoid: lambda p, a: a.sigmoid(),
        O.Relu: lambda p, a: a.relu(),
        O.Clamp: lambda p, a: a.clamp(p.get("low"), p.get("high")),
        O.Where: lambda p, c, a, b: torch.where(c, a, b),
        O.MaskedFill: lambda p, a, mask, value: a.masked_fill(mask, value),
        O.ToCopy: lambda p, a: a.to(p["dtype"].torch),
        O.Clone: lambda p, a: a.clone(),
        O.Sum: reduce(torch.sum),
        O.Mean: reduce(torch.mean),
        O.Extreme: lambda p, a: a.max() if p.get("largest", True) else a.min(),
        O.ExtremeDim: extreme_dim,
        O.Prod: lambda p, a: a.prod() if p.get("dim") is None else a.prod(p["dim"], p["keepdim"]),
        O.TopK: lambda p, a: torch.topk(a, p["k"], p["dim"], p.get("largest", True)).values,
        O.Softmax: lambda p, a: a.softmax(p["dim"]),
        O.LogSoftmax: lambda p, a: a.log_softmax(p["dim"]),
        O.MatMul: lambda p, a, b: a @ b,
        O.Reshape: lambda p, a: a.reshape(p["shape"]),
        O.Permute: lambda p, a: a.permute(p["dims"]),
        O.Expand: lambda p, a: a.expand(p["shape"]),
        O.Squeeze: lambda p, a: a.reshape(p["shape"]),
        O.Index: lambda p, a: a[_torch_key(p["key"])],
        O.Gather: lambda p, a: a.gather(p["dim"], _torch_key((p["index"],))[0]),
        O.Cat: lambda p, *xs: torch.cat(xs, p["dim"]),
        O.Stack: lambda p, *xs: torch.stack(xs, p["dim"]),
        O.Gelu: lambda p, a: F.gelu(a, approximate=p.get("approximate", "none")),
        O.NllLoss: lambda p, a, t: F.nll_loss(
            a, t, ignore_index=p.get("ignore_index", -100), reduction=p.get("reduction", "mean")
        ),
    }  # fmt: skip


_RULES: dict | None = None


def supported(function) -> bool:
    global _RULES
    if _RULES is None:
        _RULES = _forward_rules()
    return function in _RULES


def _as_torch(value, requires_grad: bool):
    import torch

    if isinstance(value, (int, float, bool)) or value is None:
        return value
    array = np.array(to_numpy(value))
    t = torch.from_numpy(array)
    if requires_grad and t.is_floating_point():
        t.requires_grad_(True)
    return t


def forward_difference(function, params: dict, inputs, output) -> float | None:
    """max |engine - torch| of one op's output, for the same input values."""
    if not supported(function):
        return None
    torch_inputs = [_as_torch(x, False) for x in inputs]
    expected = _RULES[function](params, *torch_inputs)
    return _max_difference(output, expected)


def backward_difference(function, params: dict, inputs, grad_output, grads) -> float | None:
    """max |engine - torch| over the gradients one node sent to its inputs."""
    import torch

    if not supported(function):
        return None
    torch_inputs = [_as_torch(x, True) for x in inputs]
    out = _RULES[function](params, *torch_inputs)
    wanted = [
        (t, g)
        for t, g in zip(torch_inputs, grads)
        if g is not None and hasattr(t, "requires_grad") and t.requires_grad
    ]
    if not wanted or not out.requires_grad:
        return None
    expected = torch.autograd.grad(
        out, [t for t, _ in wanted], _as_torch(grad_output, False), allow_unused=True
    )
    worst = 0.0
    for (_, mine), reference in zip(wanted, expected):
        if reference is not None:
            worst = max(worst, _max_difference(mine, reference))
    return worst


def _max_difference(mine, reference) -> float:
    a = np.asarray(to_numpy(mine), dtype=np.float64)
    b = reference.detach().cpu().numpy().astype(np.float64)
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    # NaN against NaN and Inf against the same Inf agree (Inf - Inf would read as NaN)
    agree = (np.isnan(a) & np.isnan(b)) | (a == b)
    difference = np.abs(np.where(agree, 0.0, a - b))
    return float(np.nan_to_num(difference, nan=np.inf, posinf=np.inf).max())
