"""Numbers as a learner reads them: tensor reprs (as PyTorch prints them) and backward
rules with their values."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np

from .dtypes import DType
from .errors import shape_str
from .rules import rename, substitute, usable_names

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


def gradient_size(x) -> str:
    """How big a gradient is, which its plain mean hides (it is about 0 for many):
    ``norm 0.4312, mean |g| 0.005123``, over the finite values, NaN and Inf counted."""
    array = to_numpy(x)
    if array.dtype.kind not in "fiub" or array.size == 0:
        return "norm 0, mean |g| 0" if array.size == 0 else ""
    values = array.astype(np.float64)
    finite = values[np.isfinite(values)]
    norm = float(np.sqrt(np.sum(finite * finite))) if finite.size else math.nan
    mean = float(np.abs(finite).mean()) if finite.size else math.nan
    bad = ""
    if finite.size != values.size:
        nan, inf = int(np.isnan(values).sum()), int(np.isinf(values).sum())
        bad = "".join(f", {n} {kind}" for n, kind in ((nan, "NaN"), (inf, "Inf")) if n)
    return f"norm {number(norm)}, mean |g| {number(mean)}{bad}"


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


def rule_lines(step, with_numbers: bool, names: dict[str, str] | None = None) -> list[str]:
    """One line per input that received a gradient, e.g. ``grad_a = grad * b = 1 * 4 = 4``.

    Where the forward broadcast an input, the rule is shown inside broadcasting's
    backward: ``grad_a = sum_to_shape(grad, (3, 1)) = ...``. ``names`` maps the op's own
    names to a graph's (``{"a": "x", "b": "r0"}``: ``grad_x = grad * r0 = 1 * 5 = 5``;
    ``{"leaf": "x"}`` for AccumulateGrad); those that would read ambiguously are left out.
    """
    node = step.node
    if node.name() == "AccumulateGrad":
        sign = "+=" if step.accumulated and step.accumulated[0] else "="
        leaf = usable_names({"leaf": names["leaf"]}, []) if names and "leaf" in names else {}
        text = f"{leaf.get('leaf', 'leaf')}.grad {sign} grad"
        return [text + (f" = {value(step.grad_output)}" if with_numbers else "")]
    rules = [node.rules[i] if i < len(node.rules) else "?" for i in range(len(step.grad_inputs))]
    names = usable_names(names, [*rules, *step.values]) if names else {}
    values = {"grad": step.grad_output}
    for key, v in step.values.items():
        key = rename(key, names)
        if not _is_number(key):  # a number put in for a scalar input reads as itself
            values[key] = v
    lines = []
    for i, sent in enumerate(step.grad_inputs):
        if sent is None:
            continue
        rule = rename(rules[i], names)  # tests hold every op to words
        if step.reduced[i] is not None:
            rule = f"sum_to_shape({rule}, {shape_str(tuple(sent.shape))})"
        sign = "+=" if step.accumulated[i] else "="
        name = node.input_name(i)
        line = f"grad_{names.get(name, name)} {sign} {rule}"
        if with_numbers:
            substituted = substitute(rule, values, lambda name, v: value(v))
            result = value(sent)
            if substituted not in (rule, result):
                line += f" = {substituted}"
            line += f" = {result}"
        if step.reduced[i] is not None:
            line += f"  (broadcast: summed from {shape_str(step.reduced[i])})"
        lines.append(line)
    return lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ repr, as PyTorch prints
# The rules are PyTorch 2.13's (torch/_tensor_str.py), written out here for numpy arrays,
# so that what a learner sees matches the tutorial string for string.

DEFAULT_OPTIONS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
PROFILES = {
    "default": DEFAULT_OPTIONS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
PRINT_OPTIONS = {**DEFAULT_OPTIONS, "sci_mode": None}
DEFAULT_DTYPES = ("float32", "int64", "bool")  # the dtypes whose repr leaves dtype= out


def set_printoptions(
    precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None
) -> None:
    """As ``torch.set_printoptions``: digits after the point, how many elements a tensor
    may have before it is summarised with ``...``, the rows kept at each edge, the line
    width, and scientific notation (True, False, or None: chosen per tensor). As in
    PyTorch, every call sets ``sci_mode``, so leaving it out goes back to choosing."""
    if profile is not None:
        if profile not in PROFILES:
            raise ValueError(
                f"set_printoptions(profile={profile!r}): unknown profile; "
                f"use one of {', '.join(map(repr, PROFILES))}"
            )
        PRINT_OPTIONS.update(PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    PRINT_OPTIONS.update({k: v for k, v in given.items() if v is not None})
    PRINT_OPTIONS["sci_mode"] = sci_mode


def get_printoptions() -> dict:
    """The current options, as keywords ``set_printoptions`` takes back."""
    return dict(PRINT_OPTIONS)


@contextmanager
def printoptions(**options):
    """Print options for a ``with`` block only (``torch._tensor_str.printoptions``)."""
    old = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        set_printoptions(**old)


class NumberFormat:
    """How every number of one tensor is written (torch's ``_Formatter``): one notation
    and one width for all the values shown, so that the columns line up."""

    def __init__(self, shown: np.ndarray, precision: int, sci_mode: bool | None):
        self.precision = precision
        self.floating = shown.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = max([1, *(len(str(v)) for v in shown.tolist())])
            return
        nonzero = shown[np.isfinite(shown) & (shown != 0)]
        if nonzero.size == 0:  # only zeros, NaN and Inf: nothing to choose a notation by
            return
        self.int_mode = bool((nonzero == np.ceil(nonzero)).all())
        self.sci_mode = scientific(np.abs(nonzero.astype(np.float64)), sci_mode)
        self.width = max(len(self.bare(v)) for v in nonzero.tolist())

    def bare(self, v) -> str:
        """One value without padding: 1., 0.0900, 1.0000e-08, nan, True, 3."""
        if not self.floating:
            return str(v)
        if self.sci_mode:
            return f"{v:.{self.precision}e}"
        if self.int_mode:  # the point says it is a float; nan and inf get none
            return f"{v:.0f}" + ("." if math.isfinite(v) else "")
        return f"{v:.{self.precision}f}"

    def __call__(self, v) -> str:
        return self.bare(v).rjust(self.width)


def scientific(magnitudes: np.ndarray, choice: bool | None) -> bool:
    """torch's choice: scientific when the values span more than 1000x, or any is above
    1e8 or below 1e-4 (nonzero finite values only), unless sci_mode says otherwise."""
    if choice is not None:
        return bool(choice)
    low, high = magnitudes.min(), magnitudes.max()
    return bool(high / low > 1000.0 or high > 1.0e8 or low < 1.0e-4)


def edge_rows(n: int, edge: int, summarize: bool) -> list:
    """The indices printed along one dimension; None stands for the ``...`` between the
    first and last ``edge`` of a summarised tensor."""
    if summarize and n > 2 * edge:
        return [*range(edge), None, *range(n - edge, n)]
    return list(range(n))


def shown_values(array: np.ndarray, edge: int) -> np.ndarray:
    """The values a summarised print shows, flat (torch's ``get_summarized_data``): the
    format is fitted to these, never to the hidden middle."""
    if array.ndim == 0:
        return array.reshape(1)
    if not edge:  # edgeitems=0 shows no values at all
        return np.empty(0, array.dtype)
    if array.ndim == 1:
        if len(array) <= 2 * edge:
            return array
        return np.concatenate((array[:edge], array[-edge:]))
    rows = [i for i in edge_rows(len(array), edge, True) if i is not None]
    return np.concatenate([shown_values(array[i], edge) for i in rows])


def vector_text(array, indent: int, summarize: bool, fmt: NumberFormat) -> str:
    """One row, wrapped to the line width with as many values per line as fit."""
    edge, width = PRINT_OPTIONS["edgeitems"], PRINT_OPTIONS["linewidth"]
    if summarize and not edge:
        items = ["..."]
    elif summarize and len(array) > 2 * edge:
        head, tail = array[:edge].tolist(), array[-edge:].tolist()
        items = [*map(fmt, head), " ...", *map(fmt, tail)]
    else:
        items = [fmt(v) for v in array.tolist()]
    per_line = max(1, math.floor((width - indent) / (fmt.width + 2)))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def nested_text(array, indent: int, summarize: bool, fmt: NumberFormat) -> str:
    """Brackets within brackets: each deeper row indented one more, and blank lines
    between the blocks of a 3-d or deeper tensor (one fewer than its dims less one)."""
    if array.ndim == 0:
        return fmt(array.item())
    if array.ndim == 1:
        return vector_text(array, indent, summarize, fmt)
    rows = edge_rows(len(array), PRINT_OPTIONS["edgeitems"], summarize)
    parts = [
        "..." if i is None else nested_text(array[i], indent + 1, summarize, fmt) for i in rows
    ]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def values_text(array: np.ndarray, indent: int) -> str:
    summarize = array.size > PRINT_OPTIONS["threshold"]
    shown = shown_values(array, PRINT_OPTIONS["edgeitems"]) if summarize else array.ravel()
    fmt = NumberFormat(shown, PRINT_OPTIONS["precision"], PRINT_OPTIONS["sci_mode"])
    return nested_text(array, indent, summarize, fmt)


def suffixes(tensor, array: np.ndarray) -> list[str]:
    """What follows the values, in torch's order: device, size, dtype, then autograd."""
    found = []
    if tensor.device.type != "cpu":  # torch:cpu prints as cpu does
        found.append(f"device='{tensor.device}'")
    dtype = tensor.dtype.name
    if array.size == 0:  # nothing to read the dtype from, so only float32 goes unsaid
        found += [f"size={tuple(array.shape)}"] if array.ndim != 1 else []
        found += [f"dtype=torch.{dtype}"] if dtype != "float32" else []
    else:
        found += [] if PRINT_OPTIONS["edgeitems"] else [f"size={tuple(array.shape)}"]
        found += [f"dtype=torch.{dtype}"] if dtype not in DEFAULT_DTYPES else []
    if tensor.grad_fn is not None:
        found.append(f"grad_fn=<{tensor.grad_fn.name()}>")
    elif tensor.requires_grad:
        found.append("requires_grad=True")
    return found


def with_suffixes(text: str, found: list[str], indent: int) -> str:
    """Each suffix after ``, `` or, where the line would pass the width, on a new line."""
    # torch counts the last line two longer than it is; counted the same, lines break
    # where torch breaks them.
    last = len(text) - text.rfind("\n") + 1
    parts = [text]
    for suffix in found:
        if last + len(suffix) + 2 > PRINT_OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last += len(suffix) + 2
    return "".join(parts) + ")"


def tensor_repr(tensor) -> str:
    """``repr(t)`` and ``str(t)``: what ``print`` shows for the same tensor in PyTorch."""
    array = to_numpy(tensor.array)
    prefix = "tensor("
    body = values_text(array, len(prefix)) if array.size else "[]"
    return with_suffixes(prefix + body, suffixes(tensor, array), len(prefix))
