"""nn.utils: clipping gradients, as torch.nn.utils does; which layers have no torch twin."""

from __future__ import annotations

import math

from ..autograd import no_grad
from ..creation import tensor
from ..errors import EngineError
from ..interop import torch_twins_missing
from ..tensor import Tensor


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite=False, foreach=None
) -> Tensor:
    """Scale every gradient by max_norm / total_norm where the total norm (of all the
    gradients together, as one vector) is above max_norm; returns the total norm."""
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    with no_grad():
        if math.isinf(norm_type):
            norms = [g.abs().max() for g in grads if g.numel()]
            total = norms[0] if len(norms) == 1 else _stack_max(norms)
        else:
            norms = [(g.abs() ** norm_type).sum() for g in grads]
            total = sum(norms[1:], norms[0]) ** (1.0 / norm_type)
        value = float(total)
        if error_if_nonfinite and not math.isfinite(value):
            raise EngineError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                f"non-finite ({value}), so it cannot be clipped. Set error_if_nonfinite=False "
                "to clip anyway, or look for the NaN/inf (ne.autograd.detect_anomaly())."
            )
        coef = float(max_norm) / (value + 1e-6)
        if coef < 1:
            for g in grads:
                g.mul_(coef)
    return total


def _stack_max(norms):
    from ..functions import stack

    return stack(norms).max()


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def torch_twin_missing(model) -> list[str]:
    """The modules of ``model`` that ``model.to_torch()`` has no torch.nn twin for, as
    ``"path (Class)"``, e.g. ``["2 (MyBlock)"]`` or ``["model (Net)"]`` for a model class
    of one's own; [] when the whole model has a twin. Ask before building a twin, to
    refuse early with a message that names them."""
    return torch_twins_missing(model)
