"""nn.init: fill a tensor in place, under no_grad, from the engine's random stream."""

from __future__ import annotations

import math
import warnings

from .. import autograd
from ..creation import generator, tensor
from ..tensor import Tensor


def _fans(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dims, got {t.ndim}")
    receptive = 1
    for n in t.shape[2:]:
        receptive *= n
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values) -> Tensor:
    with autograd.no_grad():
        t.copy_(tensor(values, dtype=t.dtype, device=t.device))
    return t


def calculate_gain(nonlinearity: str, param=None) -> float:
    if nonlinearity in ("linear", "sigmoid", "conv1d", "conv2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    return _fill(t, generator().uniform(a, b, tuple(t.shape)))


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    return _fill(t, generator().normal(mean, std, tuple(t.shape)))


def zeros_(t: Tensor) -> Tensor:
    with autograd.no_grad():
        return t.fill_(0.0)


def ones_(t: Tensor) -> Tensor:
    with autograd.no_grad():
        return t.fill_(1.0)


def _zero_element(t: Tensor) -> bool:
    """PyTorch's kaiming_* skip a tensor with no elements (a Linear(0, 3) weight), warning."""
    if 0 in tuple(t.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)
        return True
    return False


def kaiming_uniform_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity="leaky_relu"):
    if _zero_element(t):
        return t
    fan_in, fan_out = _fans(t)
    gain = calculate_gain(nonlinearity, a)
    bound = gain * math.sqrt(3.0 / (fan_in if mode == "fan_in" else fan_out))
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a: float = 0.0, mode: str = "fan_in", nonlinearity="leaky_relu"):
    if _zero_element(t):
        return t
    fan_in, fan_out = _fans(t)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    return normal_(t, 0.0, std)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
