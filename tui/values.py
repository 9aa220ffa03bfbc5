"""A tensor's values as the Inspector shows them: a window onto them that the learner
scrolls, in one of four views.

- picture: one element per character column and two rows per line (half blocks), so a
  128x64 weight is every one of its 8,192 values, a screen at a time;
- numbers: the values themselves, with their indices;
- whole: the picture pooled down to fit the pane (each cell the mean of a block);
- histogram: how the values spread.

Tensors of more than two dims are shown as rows of their last dim (the leading dims
flattened, each row labelled with its index); a 1-d tensor wraps like torch prints it.
No Textual here: the pane hands a size and a position and gets text back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text

from nnbench.engine.errors import shape_str
from nnbench.engine.formatting import number

from .widgets import RAMP, _diverging, half_blocks, heatmap, histogram, table

VIEWS = ("picture", "numbers", "whole", "histogram")
SMALL = 64  # a tensor of at most this many values (and at most 2 dims) fits as a table
SAMPLE = 2048  # values looked at to choose a column width for the numbers


def views_for(data: np.ndarray) -> list[str]:
    """The views that say something about this tensor, the one shown first at the front."""
    if data.size <= SMALL and data.ndim <= 2:
        return ["numbers"]
    if data.ndim >= 2:
        return ["picture", "numbers", "whole", "histogram"]
    return ["histogram", "numbers"]


@dataclass(frozen=True)
class Extent:
    """How much there is and how much one screen shows, in the tensor's rows and columns;
    ``row_step`` / ``col_step``: how far one press of an arrow moves."""

    rows: int = 1
    cols: int = 1
    shown_rows: int = 1
    shown_cols: int = 1
    row_step: int = 1
    col_step: int = 1

    @property
    def scrolls(self) -> bool:
        return self.rows > self.shown_rows or self.cols > self.shown_cols

    def clamp(self, row: int, col: int) -> tuple[int, int]:
        row = min(max(0, row), max(0, self.rows - self.shown_rows))
        col = min(max(0, col), max(0, self.cols - self.shown_cols))
        return row, col

    def where(self, row: int, col: int) -> str:
        """'rows 0-15 of 128 · columns 0-43 of 64' (only what does not fit is named)."""
        parts = []
        if self.rows > self.shown_rows:
            parts.append(f"rows {row}-{min(self.rows, row + self.shown_rows) - 1} of {self.rows}")
        if self.cols > self.shown_cols:
            parts.append(
                f"columns {col}-{min(self.cols, col + self.shown_cols) - 1} of {self.cols}"
            )
        return " · ".join(parts) if parts else "all shown"


def as_rows(data: np.ndarray) -> np.ndarray:
    """The tensor as a matrix whose rows run along its last dim."""
    if data.ndim == 0:
        return data.reshape(1, 1)
    if data.ndim == 1:
        return data.reshape(1, -1)
    return data.reshape(-1, data.shape[-1])


def cell_width(data: np.ndarray) -> int:
    """The width of one number column: the widest of the extremes and a spread sample."""
    flat = data.ravel()
    if flat.size == 0:
        return 1
    sample = flat[:: max(1, flat.size // SAMPLE)][:SAMPLE]
    finite = flat[np.isfinite(flat)] if flat.dtype.kind == "f" else flat
    extremes = [finite.min(), finite.max()] if finite.size else []
    return max(len(number(v)) for v in [*sample.tolist(), *extremes])


def render(
    data: np.ndarray,
    view: str,
    row: int,
    col: int,
    width: int,
    height: int,
    color: bool,
    cell: int | None = None,
) -> tuple[Text, Extent]:
    """The ``view`` of ``data`` from (row, col) in ``width`` x ``height`` characters, and
    its extent (row and col clamped to it first)."""
    width, height = max(8, width), max(2, height)
    if data.size == 0:
        return Text("(empty)"), Extent()
    if data.dtype.kind == "b":
        data = data.astype(np.int64)
    if view == "numbers" and data.size <= SMALL and data.ndim <= 2:
        return table(data), Extent()
    if view == "numbers":
        return numbers(data, row, col, width, height, cell or cell_width(data))
    if view == "picture":
        return picture(as_rows(data).astype(np.float64), row, col, width, height, color)
    if view == "whole":
        return heatmap(as_rows(data).astype(np.float64), width, height - 1, color), Extent()
    return histogram(data.astype(np.float64).ravel(), width, height), Extent()


def picture(
    matrix: np.ndarray, row: int, col: int, width: int, height: int, color: bool
) -> tuple[Text, Extent]:
    """One element per column; in colour two rows per line (blue below zero, red above),
    else one row per line in a character ramp of |value|. The scale is the whole tensor's,
    so a colour means the same value wherever the window stands."""
    matrix = np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0)
    scale = float(np.abs(matrix).max()) or 1.0
    per_line = 2 if color else 1
    lines = height - 1  # the last line is the legend
    extent = Extent(
        rows=matrix.shape[0], cols=matrix.shape[1],
        shown_rows=lines * per_line, shown_cols=width,
        row_step=per_line, col_step=4,
    )  # fmt: skip
    row, col = extent.clamp(row, col)
    window = matrix[row : row + extent.shown_rows, col : col + width] / scale
    if color:
        colors = [[_diverging(v) for v in r] for r in window]
        if len(colors) % 2:
            colors.append([None] * window.shape[1])  # an odd last row: no bottom half
        text = half_blocks(colors)
        text.append(f"blue -{number(scale)} .. red +{number(scale)}")
        return text, extent
    text = Text(no_wrap=True, overflow="crop")
    top = len(RAMP) - 1
    for r in window:
        text.append("".join(RAMP[min(top, int(abs(v) * top))] for v in r) + "\n")
    text.append(f"ramp '{RAMP}' = |value| from 0 to {number(scale)}")
    return text, extent


def numbers(
    data: np.ndarray, row: int, col: int, width: int, height: int, cell: int
) -> tuple[Text, Extent]:
    """The values with their indices: a 1-d tensor wraps into lines that each start with
    the index of their first value; otherwise a header of column indices, and each row
    labelled with its index in the leading dims."""
    if data.ndim <= 1:
        return _wrapped(data.ravel(), row, width, height, cell)
    matrix = as_rows(data)
    leading = data.shape[:-1]
    label_width = len(_row_label(leading, matrix.shape[0] - 1)) + 1
    extent = Extent(
        rows=matrix.shape[0], cols=matrix.shape[1],
        shown_rows=height - 1, shown_cols=max(1, (width - label_width) // (cell + 1)),
    )  # fmt: skip
    row, col = extent.clamp(row, col)
    columns = range(col, min(matrix.shape[1], col + extent.shown_cols))
    text = Text(no_wrap=True, overflow="crop")
    header = " " * label_width + " ".join(f"[{c}]".rjust(cell) for c in columns)
    text.append(header + "\n", style="dim")
    for r in range(row, min(matrix.shape[0], row + extent.shown_rows)):
        text.append(_row_label(leading, r).ljust(label_width), style="dim")
        text.append(" ".join(number(matrix[r, c]).rjust(cell) for c in columns) + "\n")
    return text, extent


def _wrapped(flat: np.ndarray, row: int, width: int, height: int, cell: int):
    label_width = len(f"[{flat.size - 1}]") + 1
    per_line = max(1, (width - label_width) // (cell + 1))
    lines = math.ceil(flat.size / per_line)
    extent = Extent(rows=lines, cols=1, shown_rows=height, shown_cols=1)
    row, _ = extent.clamp(row, 0)
    text = Text(no_wrap=True, overflow="crop")
    for line in range(row, min(lines, row + height)):
        start = line * per_line
        text.append(f"[{start}]".ljust(label_width), style="dim")
        chunk = flat[start : start + per_line].tolist()
        text.append(" ".join(number(v).rjust(cell) for v in chunk) + "\n")
    return text, extent


def _row_label(leading: tuple, index: int) -> str:
    """Row ``index`` of the flattened leading dims as its index: '[3]' or '[0, 2, 5]'."""
    if len(leading) == 1:
        return f"[{index}]"
    return "[" + ", ".join(str(i) for i in np.unravel_index(index, leading)) + "]"


def title(data: np.ndarray, view: str) -> str:
    """The line over the values: which view, of what shape."""
    if len(views_for(data)) == 1:
        return "values"  # a small tensor, all of it in one table
    name = {"picture": "picture, 1:1", "whole": "whole picture"}.get(view, view)
    if data.ndim > 2 and view in ("picture", "numbers"):
        return f"values ({name}), rows along the last dim of {shape_str(data.shape)}"
    return f"values ({name}) {shape_str(data.shape)}"
