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
from functools import cache

import numpy as np
from rich.color import Color
from rich.style import Style
from rich.text import Span, Text

from nnbench.engine.errors import shape_str
from nnbench.engine.formatting import number

from .widgets import RAMP

VIEWS = ("picture", "numbers", "whole", "histogram")
SMALL = 64  # a tensor of at most this many values (and at most 2 dims) fits as a table
SAMPLE = 2048  # values looked at to choose a column width for the numbers
LEVELS = 32  # shades of each colour: a picture of thousands of cells shares a few styles


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


def extent(data: np.ndarray, view: str, width: int, height: int, color: bool, cell: int) -> Extent:
    """How much of ``data`` the ``view`` shows in ``width`` x ``height`` characters."""
    width, height = max(8, width), max(2, height)
    if data.size <= SMALL and data.ndim <= 2 or view in ("whole", "histogram"):
        return Extent()  # all of it fits
    if view == "picture":
        matrix_rows, matrix_cols = as_rows(data).shape
        per_line = 2 if color else 1
        return Extent(
            rows=matrix_rows, cols=matrix_cols,
            shown_rows=(height - 1) * per_line, shown_cols=width,  # the legend: a line
            row_step=per_line, col_step=4,
        )  # fmt: skip
    if data.ndim <= 1:
        label_width = len(f"[{data.size - 1}]") + 1
        per_line = max(1, (width - label_width) // (cell + 1))
        return Extent(rows=math.ceil(data.size / per_line), shown_rows=height)
    matrix = as_rows(data)
    label_width = len(_row_label(data.shape[:-1], matrix.shape[0] - 1)) + 1
    return Extent(
        rows=matrix.shape[0], cols=matrix.shape[1],
        shown_rows=height - 1, shown_cols=max(1, (width - label_width) // (cell + 1)),
    )  # fmt: skip


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
    cell = cell or cell_width(data)
    shown = extent(data, view, width, height, color, cell)
    row, col = shown.clamp(row, col)
    if data.size <= SMALL and data.ndim <= 2:
        return table(data), shown
    if view == "numbers":
        return numbers(data, row, col, shown, cell), shown
    matrix = as_rows(data).astype(np.float64)
    if view == "picture":
        return picture(matrix, row, col, shown, color), shown
    if view == "whole":
        return whole(matrix, width, height, color), shown
    return histogram(data.astype(np.float64).ravel(), width, height), shown


def picture(matrix: np.ndarray, row: int, col: int, shown: Extent, color: bool) -> Text:
    """One element per column; in colour two rows per line (blue below zero, red above),
    else one row per line in a character ramp of |value|. The scale is the whole tensor's,
    so a colour means the same value wherever the window stands."""
    matrix = np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0)
    scale = float(np.abs(matrix).max()) or 1.0
    window = matrix[row : row + shown.shown_rows, col : col + shown.shown_cols] / scale
    return _paint(window, scale, color)


def whole(matrix: np.ndarray, width: int, height: int, color: bool) -> Text:
    """The picture pooled to fit: each cell the mean of its block of the tensor."""
    matrix = np.nan_to_num(matrix, nan=0.0, posinf=0.0, neginf=0.0)
    scale = float(np.abs(matrix).max()) or 1.0
    pooled = _pool(matrix, (height - 1) * (2 if color else 1), width) / scale
    return _paint(pooled, scale, color)


def _pool(matrix: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Average-pool a matrix down to at most rows x cols (blocks of near-equal size)."""
    r_edges = np.linspace(0, matrix.shape[0], min(rows, matrix.shape[0]) + 1).astype(int)
    c_edges = np.linspace(0, matrix.shape[1], min(cols, matrix.shape[1]) + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(matrix, r_edges[:-1], axis=0), c_edges[:-1], axis=1)
    return sums / np.outer(np.diff(r_edges), np.diff(c_edges))


def _paint(scaled: np.ndarray, scale: float, color: bool) -> Text:
    """A matrix of values in -1..1: half blocks in colour, or the ramp, then the legend."""
    if not color:
        top = len(RAMP) - 1
        ramp = (np.minimum(np.abs(scaled), 1.0) * top).astype(int)
        lines = ["".join(RAMP[i] for i in r) for r in ramp.tolist()]
        text = Text("\n".join(lines) + "\n", no_wrap=True, overflow="crop")
        text.append(f"ramp '{RAMP}' = |value| from 0 to {number(scale)}")
        return text
    levels = np.rint(np.clip(scaled, -1.0, 1.0) * LEVELS).astype(int).tolist()
    if len(levels) % 2:
        levels.append([None] * len(levels[0]))  # an odd last row: no bottom half
    width = len(levels[0]) + 1
    spans = []
    for line, (tops, bottoms) in enumerate(zip(levels[0::2], levels[1::2])):
        start = line * width
        spans.extend(
            Span(start + i, start + i + 1, _style(t, b))
            for i, (t, b) in enumerate(zip(tops, bottoms))
        )
    plain = ("▀" * (width - 1) + "\n") * (len(levels) // 2)
    text = Text(plain, spans=spans, no_wrap=True, overflow="crop")
    text.append(f"blue -{number(scale)} .. red +{number(scale)}")
    return text


@cache
def _shade(level: int) -> Color:
    """-LEVELS blue, 0 near black, +LEVELS red."""
    v = level / LEVELS
    if v >= 0:
        return Color.from_rgb(40 + 215 * v, 40 + 60 * v, 40)
    return Color.from_rgb(40, 40 + 60 * -v, 40 + 215 * -v)


@cache
def _style(top: int, bottom: int | None) -> Style:
    return Style(color=_shade(top), bgcolor=None if bottom is None else _shade(bottom))


def numbers(data: np.ndarray, row: int, col: int, shown: Extent, cell: int) -> Text:
    """The values with their indices: a 1-d tensor wraps into lines that each start with
    the index of their first value; otherwise a header of column indices, and each row
    labelled with its index in the leading dims."""
    text = Text(no_wrap=True, overflow="crop")
    if data.ndim <= 1:
        flat = data.ravel()
        label_width = len(f"[{flat.size - 1}]") + 1
        per_line = math.ceil(flat.size / shown.rows)
        for line in range(row, min(shown.rows, row + shown.shown_rows)):
            start = line * per_line
            text.append(f"[{start}]".ljust(label_width), style="dim")
            chunk = flat[start : start + per_line].tolist()
            text.append(" ".join(number(v).rjust(cell) for v in chunk) + "\n")
        return text
    matrix, leading = as_rows(data), data.shape[:-1]
    label_width = len(_row_label(leading, matrix.shape[0] - 1)) + 1
    columns = range(col, min(matrix.shape[1], col + shown.shown_cols))
    header = " " * label_width + " ".join(f"[{c}]".rjust(cell) for c in columns)
    text.append(header + "\n", style="dim")
    for r in range(row, min(matrix.shape[0], row + shown.shown_rows)):
        text.append(_row_label(leading, r).ljust(label_width), style="dim")
        text.append(" ".join(number(matrix[r, c]).rjust(cell) for c in columns) + "\n")
    return text


def table(data: np.ndarray) -> Text:
    """A small tensor, all of it: one line per row (a 0-d or 1-d tensor is one line)."""
    rows = data.reshape(1, -1) if data.ndim < 2 else data
    cells = [[number(v) for v in row] for row in rows.tolist()]
    width = max(len(c) for row in cells for c in row)
    text = Text()
    for row in cells:
        text.append(" ".join(c.rjust(width) for c in row) + "\n")
    return text


def histogram(values: np.ndarray, width: int, height: int) -> Text:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return Text("(no finite values)")
    bins = max(2, min(12, height))
    counts, edges = np.histogram(finite, bins=bins)
    label_width = max(len(f"{number(e)}") for e in edges) + 1
    bar_room = max(4, width - 2 * label_width - 12)
    most = counts.max() or 1
    text = Text()
    for count, low, high in zip(counts, edges[:-1], edges[1:]):
        bar = "█" * int(round(count / most * bar_room))
        text.append(f"{number(low):>{label_width}}..{number(high):<{label_width}} {bar} {count}\n")
    return text


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
