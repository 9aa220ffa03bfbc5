"""PyTorch as the oracle for one recorded op: the same inputs through torch, compared.

The Graph pane asks, for the node on screen, how far the engine's output (forward) and
the gradients it sent (backward) are from what PyTorch computes for the very same
inputs. Each op class states itself in PyTorch's words (``Mul.torch == "a * b"``, over
its input names and its settings), so there is no second table of ops here: the check
evaluates those words with torch tensors. torch is imported on first use, in the worker
that asks.
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np

from ..dtypes import DType
from ..formatting import to_numpy
from ..rules import ViewPath


def supported(function) -> bool:
    """Whether the op says how PyTorch computes it (ops without gradients included)."""
    return function.torch is not None


@functools.cache
def _compiled(expression: str):
    return compile(expression, f"<{expression}>", "eval")


@functools.cache
def defaults(function) -> dict:
    """The op's settings that a call may leave out, with their default values."""
    signature = inspect.signature(function.forward)
    return {
        name: p.default
        for name, p in signature.parameters.items()
        if p.default is not inspect.Parameter.empty
    }


_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(?!\s*=[^=])")


def torch_spelling(function, params: dict, labels: list[str]) -> str:
    """The op's PyTorch words with its inputs' labels and its settings written in:
    ``"a.t()"`` becomes ``"r0.t()"``, ``"F.softmax(a, dim)"`` becomes ``"F.softmax(r1, 1)"``."""
    names = {function.input_name(i): label for i, label in enumerate(labels)}
    names["inputs"] = "[" + ", ".join(labels) + "]"
    for key, value in {**defaults(function), **params}.items():
        if value is None or isinstance(value, (bool, int, float, str, tuple)):
            names.setdefault(key, repr(value))
    return _NAME.sub(lambda m: names.get(m.group(1), m.group(1)), function.torch)


def torch_output(function, params: dict, torch_inputs: list):
    """What PyTorch computes for this op on these (torch) inputs and settings."""
    import torch
    import torch.nn.functional as F

    names = {function.input_name(i): x for i, x in enumerate(torch_inputs)}
    settings = {k: _as_torch(v, False) for k, v in {**defaults(function), **params}.items()}
    namespace = {"inputs": list(torch_inputs), **settings, **names}
    helpers = {"torch": torch, "F": F, "setitem": _setitem, "copy_slices": _copy_slices}
    return eval(_compiled(function.torch), helpers, namespace)  # noqa: S307


def _setitem(a, key, value):
    """a[key] = value, out of place: what index_put_ computes."""
    out = a.clone()
    out[key] = value
    return out


def _copy_slices(base, view, value):
    """base with the region a view covers replaced by value: each step of the view's path
    is run by its own op's PyTorch words, so the region is a torch view of the copy."""
    out = base.clone()
    region = out
    for function, params in view:
        region = torch_output(function, params, [region])
    region.copy_(value)
    return out


def _as_torch(value, requires_grad: bool):
    """An engine array (numpy or torch backend) as a CPU torch tensor; settings as torch
    takes them (a dtype as torch's dtype, an index key element by element)."""
    import torch

    if isinstance(value, DType):
        return value.torch
    if isinstance(value, ViewPath):  # its steps are run by their ops' own torch words
        return value
    if isinstance(value, np.generic):  # a 0-d result numpy gave as a scalar
        value = np.asarray(value)
    if isinstance(value, tuple):
        return tuple(_as_torch(v, False) for v in value)
    if value is None or isinstance(value, (int, float, bool, str, slice, type(Ellipsis))):
        return value
    if isinstance(value, list):
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
    expected = torch_output(function, params, [_as_torch(x, False) for x in inputs])
    return _max_difference(output, expected)


def backward_difference(
    function, params: dict, inputs, grad_output, grads, needs=None
) -> float | None:
    """max |engine - torch| over the gradients one node sent to its inputs.

    ``needs[i]`` says whether input i wanted a gradient (the node's needs_input_grad): one
    that wanted it and got none counts as an infinite difference.
    """
    import torch

    if not supported(function) or not function.differentiable:
        return None
    needs = needs or [g is not None for g in grads]
    if any(need and g is None for need, g in zip(needs, grads)):
        return float("inf")
    # only the inputs that wanted a gradient: PyTorch refuses one for a loss's weight
    torch_inputs = [_as_torch(x, need) for x, need in zip(inputs, needs)]
    out = torch_output(function, params, torch_inputs)
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
