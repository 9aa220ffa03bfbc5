"""Numbers as a learner reads them: tensor reprs and backward rules with their values."""

from __future__ import annotations

import re

import numpy as np

from .dtypes import DType
from .errors import shape_str
from .rules import substitute

SMALL = 6  # arrays with at most this many elements are shown in full


def to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


def number(x) -> str:
    """One number, short: 20, 0.5, -1.25e-05, nan."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    text = f"{float(x):.4g}"
    return text


def value(x) -> str:
    """A value in a rule: the number itself, a short list, or a summary of a big array."""
    if x is None or isinstance(x, str):
        return str(x)
    if isinstance(x, tuple):  # a shape, dims, or an index key
        return "(" + ", ".join(value(k) for k in x) + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, slice):
        parts = (x.start, x.stop) if x.step is None else (x.start, x.stop, x.step)
        return ":".join("" if v is None else str(v) for v in parts)
    if x is Ellipsis:
        return "..."
    if isinstance(x, DType):
        return x.name
    if isinstance(x, (int, float, bool, np.generic)) and not hasattr(x, "ndim"):
        return number(x)
    array = to_numpy(x)
    if array.ndim == 0:
        return number(array.item())
    if array.size <= SMALL:
        return _nested(array.tolist())
    if array.dtype == np.bool_:
        return f"<{shape_str(array.shape)} bool, {int(array.sum())} true>"
    finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
    mean = number(finite.mean()) if finite.size else "nan"
    bad = ""
    if array.dtype.kind == "f" and finite.size != array.size:
        nan, inf = int(np.isnan(array).sum()), int(np.isinf(array).sum())
        bad = "".join(f", {n} {kind}" for n, kind in ((nan, "NaN"), (inf, "Inf")) if n)
    return f"<{shape_str(array.shape)} mean {mean}{bad}>"


def _nested(items) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(i) for i in items) + "]"
    return number(items)


def statistics(array) -> dict:
    """numel, and for numbers min/max/mean/std over the finite values, NaN and Inf counts
    and the share of exact zeros (dead ReLUs show up there)."""
    data = to_numpy(array)
    out = {"numel": int(data.size)}
    if data.size == 0 or data.dtype.kind not in "fiub":
        return out
    values = data.astype(np.float64)
    finite = values[np.isfinite(values)]
    out["nan"] = int(np.isnan(values).sum())
    out["inf"] = int(np.isinf(values).sum())
    out["zeros"] = float((values == 0).mean())
    if finite.size:
        out.update(
            min=float(finite.min()),
            max=float(finite.max()),
            mean=float(finite.mean()),
            std=float(finite.std()),
        )
    return out


def rule_lines(step, with_numbers: bool) -> list[str]:
    """One line per input that received a gradient, e.g. ``grad_a = grad * b = 1 * 4 = 4``.

    Where the forward broadcast an input, the rule is shown inside broadcasting's
    backward: ``grad_a = sum_to_shape(grad, (3, 1)) = ...``.
    """
    node = step.node
    if node.name() == "AccumulateGrad":
        sign = "+=" if step.accumulated and step.accumulated[0] else "="
        text = f"leaf.grad {sign} grad"
        return [text + (f" = {value(step.grad_output)}" if with_numbers else "")]
    lines = []
    for i, sent in enumerate(step.grad_inputs):
        if sent is None:
            continue
        rule = node.rules[i] if i < len(node.rules) else "?"  # tests hold every op to words
        if step.reduced[i] is not None:
            rule = f"sum_to_shape({rule}, {shape_str(tuple(sent.shape))})"
        sign = "+=" if step.accumulated[i] else "="
        line = f"grad_{node.input_name(i)} {sign} {rule}"
        if with_numbers:
            values = {"grad": step.grad_output, **step.values}
            substituted = substitute(rule, values, lambda name, v: value(v))
            result = value(sent)
            if substituted not in (rule, result):
                line += f" = {substituted}"
            line += f" = {result}"
        if step.reduced[i] is not None:
            line += f"  (broadcast: summed from {shape_str(step.reduced[i])})"
        lines.append(line)
    return lines


def tensor_repr(tensor) -> str:
    array = to_numpy(tensor.array)
    options = {"precision": 4, "separator": ", ", "suppress_small": False}
    if array.size > 1000:
        options["threshold"] = 1000
        options["edgeitems"] = 3
    body = np.array2string(array, prefix="tensor(", **options)
    if array.dtype.kind == "f" and array.size:
        body = re.sub(r"(?<![\d.e])(-?\d+)\.(?![\d])", r"\1.", body)
    extras = []
    default_dtypes = ("float32", "int64", "bool")
    if tensor.dtype.name not in default_dtypes or array.size == 0:
        extras.append(f"dtype={tensor.dtype}")
    if tensor.device.type != "cpu":
        extras.append(f"device='{tensor.device}'")
    if tensor.grad_fn is not None:
        extras.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        extras.append("requires_grad=True")
    if array.size == 0:
        body = f"[], size={shape_str(array.shape)}" if array.ndim > 1 else "[]"
    return "tensor(" + ", ".join([body, *extras]) + ")"
