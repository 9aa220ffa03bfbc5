"""Errors that say which op failed, on what operands, by which rule, and how to fix it.

The messages are built from shapes, dtypes and device names only, so the text is the
same on every backend.
"""

from __future__ import annotations

import os
import sys

_ENGINE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class EngineError(RuntimeError):
    """Base class of the engine's own errors (a RuntimeError, as in PyTorch)."""


class ShapeError(EngineError, ValueError):
    """Operands whose shapes do not fit the op."""


class DTypeError(EngineError, TypeError):
    """Operands whose dtypes do not fit the op."""


class DimError(ShapeError, IndexError):
    """A dim that is out of range, or a reduction over an empty dim (IndexError in PyTorch)."""


class IndexRangeError(EngineError, IndexError):
    """An index value outside the size of the dim it indexes."""


class IndexTypeError(EngineError, IndexError, TypeError):
    """A value that cannot index at all: PyTorch raises IndexError for some (a float) and
    TypeError for others (a string), so this is both."""


class ArgumentError(EngineError, ValueError):
    """An argument the op cannot take: a zero step, ragged data, an integer that overflows."""


class UnsupportedDTypeError(DTypeError, NotImplementedError):
    """An op that PyTorch does not implement for this dtype (softmax of ints, abs of bools)."""


class DeviceError(EngineError):
    """A device that is unknown, unavailable, or differs between operands."""


class CudaUnavailableError(DeviceError, AssertionError):
    """CUDA asked for where there is none: an AssertionError too, as PyTorch's CPU build
    raises ("Torch not compiled with CUDA enabled")."""


class AutogradError(EngineError):
    """A misuse of autograd: backward twice, non-scalar backward, in-place on saved tensors."""


class AnomalyError(AutogradError):
    """detect_anomaly() found NaN or Inf in a backward node's gradients."""


def user_stacklevel() -> int:
    """The ``stacklevel`` for a ``warnings.warn`` in the function that calls this one that
    points at the first line outside the engine: the user's own call, however many engine
    frames (nn.Module.__call__, forward, F.softmax, ...) lie between."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_ENGINE):
        frame, level = frame.f_back, level + 1
    return level


def shape_str(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def describe(role: str, tensor) -> str:
    """'a: shape (2, 5), float32, cpu' for a tensor operand, or its value for a scalar."""
    if not hasattr(tensor, "shape"):
        return f"{role}: Python scalar {tensor!r}"
    return f"{role}: shape {shape_str(tensor.shape)}, {tensor.dtype.name}, {tensor.device}"


def broadcast_message(op: str, shapes: list[tuple], roles: list[str]) -> str:
    """Explain why shapes do not broadcast: align them from the right and mark the clash."""
    ndim = max(len(s) for s in shapes)
    padded = [(None,) * (ndim - len(s)) + tuple(s) for s in shapes]
    clash = None
    for dim in range(ndim):
        sizes = {p[dim] for p in padded if p[dim] not in (None, 1)}
        if len(sizes) > 1:
            clash = dim
            break
    width = max(4, *(len(str(n)) for s in shapes for n in s)) if any(shapes) else 4
    role_width = max(len(r) for r in roles)
    lines = [
        f"{op}: shapes {' and '.join(shape_str(s) for s in shapes)} cannot be broadcast together.",
        "Aligned from the right (sizes in a column must be equal, or 1, or missing):",
    ]
    for role, row in zip(roles, padded):
        cells = "".join(("" if n is None else str(n)).rjust(width) for n in row)
        lines.append(f"  {role.ljust(role_width)} {cells}")
    if clash is not None:
        marker = " " * (role_width + 3 + clash * width) + "^".rjust(width)
        lines.append(marker)
        sizes = [p[clash] for p in padded]
        dim_from_right = clash - ndim
        lines.append(
            f"dimension {dim_from_right} (counting from the right) has sizes "
            + " vs ".join(str(n) for n in sizes if n is not None)
            + "."
        )
    lines.append(
        "Hint: reshape or unsqueeze one operand so the clashing sizes match or become 1, "
        "e.g. b.unsqueeze(-1) or b.reshape(...)."
    )
    return "\n".join(lines)


def device_name(device) -> str:
    """'cpu (numpy)', 'torch:cpu' or 'cuda:0': the backend named where 'cpu' is ambiguous."""
    if device.type == "cpu":
        return "cpu (numpy)" if device.backend_name == "numpy" else "torch:cpu"
    return str(device)


def dim_error(op: str, role: str, tensor, dim, extra: int = 0) -> DimError:
    """A dim out of range; ``extra`` is 1 for ops that add a dim (unsqueeze, stack)."""
    ndim = len(tensor.shape)
    span = max(ndim + extra, 1)
    valid = f"[{-span}, {span - 1}]" + (" (a 0-d tensor)" if not ndim else "")
    takes = f"{op} on a {ndim}-d tensor takes" if extra else f"a {ndim}-d tensor takes"
    return DimError(
        f"{op}: dim {dim} is out of range for {describe(role, tensor)}; {takes} dim in {valid}."
    )
