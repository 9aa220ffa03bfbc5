"""Pieces the panes share: tensor summaries and value views, the error panel, dialogs."""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import BLACK
from textual.color import Color as TextualColor
from textual.containers import Vertical, VerticalScroll
from textual.filter import LineFilter
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from nnbench.engine.errors import shape_str
from nnbench.engine.formatting import number, statistics, to_numpy

from .glyphs import to_ascii

RAMP = " .:-=+*#%@"


def uses_color(app) -> bool:
    """False where colours are few or unwanted: NO_COLOR, or a 16-colour terminal."""
    from textual import constants

    if getattr(app, "no_color", False) or constants.COLOR_SYSTEM == "standard":
        return False
    system = getattr(getattr(app, "console", None), "color_system", None)
    return system not in ("standard", "windows")


def uses_ascii(app) -> bool:
    """True where only ASCII may be drawn (--ascii, or a terminal without UTF-8)."""
    return bool(getattr(app, "ascii", False))


# How much of its cell each block character fills with its foreground colour.
FILLS = {"█": 1.0, "▀": 0.5, "▄": 0.5, "▌": 0.5, "▐": 0.5, "▚": 0.5, "▞": 0.5,
         "░": 0.25, "▒": 0.5, "▓": 0.75, "▔": 0.125, "▕": 0.125,
         **{c: (i + 1) / 8 for i, c in enumerate("▁▂▃▄▅▆▇")},
         **{c: (i + 1) / 8 for i, c in enumerate("▏▎▍▌▋▊▉")},
         **{c: 0.25 for c in "▖▗▘▝"}, **{c: 0.75 for c in "▙▛▜▟"}}  # fmt: skip


class AsciiFilter(LineFilter):
    """The app's last step where only ASCII may be written: every character on screen,
    Textual's own (borders, scroll bars, tree guides, the header's icon) and the panes',
    becomes ASCII of the same width. A coloured block becomes a space in the colour that
    covers most of its cell (half blocks: both colours mixed), so pictures keep their
    colours, one sample per cell."""

    def apply(self, segments: list[Segment], background) -> list[Segment]:
        out = []
        for text, style, control in segments:
            if control or text.isascii():
                out.append(Segment(text, style, control))
            else:
                out.extend(_ascii_segments(text, style))
        return out


def _ascii_segments(text: str, style: Style | None) -> list[Segment]:
    shown = style or Style()
    fg, bg = (shown.bgcolor, shown.color) if shown.reverse else (shown.color, shown.bgcolor)
    if fg is None or not any(c in FILLS for c in text):
        return [_same_width(text, style)]
    segments = []
    for char in text:
        fill = FILLS.get(char)
        if fill is None:
            segments.append(_same_width(char, style))
            continue
        if fill == 0.5 and bg is not None:
            mixed = TextualColor.from_rich_color(bg).blend(TextualColor.from_rich_color(fg), 0.5)
            color = mixed.rich_color
        else:
            color = fg if fill > 0.5 or (fill == 0.5 and bg is None) else bg
        segments.append(Segment(" ", shown + Style(bgcolor=color, reverse=False)))
    return segments


def _same_width(text: str, style: Style | None) -> Segment:
    plain, width = to_ascii(text), cell_len(text)
    return Segment(plain[:width].ljust(width), style)


class StyledSegments(LineFilter):
    """Every segment with a style: Textual's NO_COLOR filter fails on one without (a
    ScrollView's ``Strip.blank(width)`` past its last line), and the app with it."""

    def apply(self, segments: list[Segment], background) -> list[Segment]:
        if all(style is not None or control for _, style, control in segments):
            return segments
        return [Segment(t, s if s is not None or c else Style(), c) for t, s, c in segments]


ASCII_FILTER = AsciiFilter()  # one of each: strips cache what a filter made of them
STYLED_FILTER = StyledSegments()


def app_filters(app, filters: list) -> list:
    """Textual's line filters and ours: under NO_COLOR styled segments first; ASCII last."""
    if getattr(app, "no_color", False):
        filters = [STYLED_FILTER, *filters]
    return [*filters, ASCII_FILTER] if uses_ascii(app) else filters


def dimmed(color: str, keep: float) -> str:
    """``color`` ('#rrggbb') darkened toward black: each channel keeps ``keep`` (0..1) of
    itself, so the hue stays and the picture under a dimmed cell stays readable."""
    return BLACK.blend(TextualColor.parse(color), keep).hex


# ---------------------------------------------------------------------- numbers
def tensor_summary(t, title: str, expression: str = "", literal: str | None = None) -> Text:
    """Shape, dtype, device, autograd fields, sizes and statistics, one per line."""
    s = statistics(t.array)
    grad_fn = t.grad_fn.name() if t.grad_fn is not None else "None"
    lines = [
        (title, "bold"),
        (f"shape {shape_str(tuple(t.shape))}   dtype {t.dtype.name}   device {t.device}", ""),
        (f"requires_grad {t.requires_grad}   is_leaf {t.is_leaf}   grad_fn {grad_fn}", ""),
        (f"numel {t.numel():,}   bytes {t.nbytes:,}", ""),
    ]
    if "min" in s:
        lines.append(
            (
                f"min {number(s['min'])}   max {number(s['max'])}   mean {number(s['mean'])}"
                f"   std {number(s['std'])}",
                "",
            )
        )
    if s["numel"]:
        warn = "bold red" if s.get("nan") or s.get("inf") else ""
        lines.append(
            (
                f"NaN {s.get('nan', 0)}   Inf {s.get('inf', 0)}   "
                f"zeros {100 * s.get('zeros', 0):.1f}%",
                warn,
            )
        )
    if t.grad is not None:
        g = statistics(t.grad.array)
        if "min" in g:
            lines.append(
                (
                    f"grad: min {number(g['min'])}  max {number(g['max'])}  "
                    f"mean {number(g['mean'])}  std {number(g['std'])}",
                    "",
                )
            )
    else:
        lines.append(("grad: None", "dim"))
    if expression:
        lines.append((f"torch: {expression}", "italic"))
    if literal:
        lines.append((f"       {literal}", "italic"))
    text = Text(no_wrap=False)
    for content, style in lines:
        text.append(content + "\n", style=style or None)
    return text


def value_view(array, width: int, height: int, color: bool) -> Text:
    """A table for small tensors, a half-block heatmap for 2-D, a histogram otherwise."""
    data = to_numpy(array)
    if data.size == 0:
        return Text("(empty)")
    if data.dtype.kind == "b":
        data = data.astype(np.int64)
    if data.size <= 64 and data.ndim <= 2:
        return table(data)
    if data.ndim == 2:
        return heatmap(data.astype(np.float64), width, height, color)
    return histogram(data.astype(np.float64).ravel(), width, height)


def table(data: np.ndarray) -> Text:
    rows = data.reshape(1, -1) if data.ndim < 2 else data
    cells = [[number(v) for v in row] for row in rows.tolist()]
    width = max(len(c) for row in cells for c in row)
    text = Text()
    for row in cells:
        text.append(" ".join(c.rjust(width) for c in row) + "\n")
    return text


def _diverging(value: float) -> Color:
    """-1 blue, 0 near black, +1 red."""
    v = max(-1.0, min(1.0, value))
    if v >= 0:
        return Color.from_rgb(40 + 215 * v, 40 + 60 * v, 40)
    return Color.from_rgb(40, 40 + 60 * -v, 40 + 215 * -v)


def _fit(data: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Average-pool a matrix down to at most rows x cols."""
    r_index = np.linspace(0, data.shape[0], min(rows, data.shape[0]) + 1).astype(int)
    c_index = np.linspace(0, data.shape[1], min(cols, data.shape[1]) + 1).astype(int)
    out = np.empty((len(r_index) - 1, len(c_index) - 1))
    for i in range(len(r_index) - 1):
        block = data[r_index[i] : r_index[i + 1]]
        for j in range(len(c_index) - 1):
            out[i, j] = np.nanmean(block[:, c_index[j] : c_index[j + 1]])
    return out


def heatmap(data: np.ndarray, width: int, height: int, color: bool) -> Text:
    """Two samples per character cell in colour (half_blocks), blue below zero and red
    above; without colour, a character ramp of |value|."""
    data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    scale = float(np.abs(data).max()) or 1.0
    text = Text()
    if not color:
        fitted = _fit(data, height, width)
        for row in fitted:
            for v in row:
                text.append(RAMP[min(len(RAMP) - 1, int(abs(v) / scale * (len(RAMP) - 1)))])
            text.append("\n")
        text.append(f"ramp '{RAMP}' = |value| from 0 to {number(scale)}")
        return text
    fitted = _fit(data, 2 * height, width) / scale
    colors = [[_diverging(v) for v in row] for row in fitted]
    if len(colors) % 2:
        colors.append([None] * fitted.shape[1])  # an odd last row: no bottom half
    text = half_blocks(colors)
    text.append(f"blue -{number(scale)} .. red +{number(scale)}  ({shape_str(data.shape)})")
    return text


def half_blocks(colors: list, marks: dict | None = None) -> Text:
    """A picture with two samples per character cell: each cell is '▀', its foreground
    the top sample (``colors[2 * row]``), its background the bottom one (``colors[2 * row
    + 1]``; None leaves the terminal's). ``marks`` maps a cell (row, column) to (char,
    colour, background), drawn there in bold instead: a point on top of the picture."""
    marks = marks or {}
    text = Text(no_wrap=True, overflow="crop")
    for row, (tops, bottoms) in enumerate(zip(colors[0::2], colors[1::2])):
        for column, (top, bottom) in enumerate(zip(tops, bottoms)):
            mark = marks.get((row, column))
            if mark is None:
                text.append("▀", Style(color=top, bgcolor=bottom))
            else:
                char, fg, bg = mark
                text.append(char, Style(color=fg, bgcolor=bg, bold=True))
        text.append("\n")
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


# ---------------------------------------------------------------------- pane tabs
PANE_LABELS = [("inspector", "1 Inspector"), ("graph", "2 Graph"),
               ("optimizers", "3 Optimizers"), ("training", "4 Training")]  # fmt: skip


class PaneTabs(Static):
    """The four panes and their keys, the shown one highlighted; ? for help on the right."""

    DEFAULT_CSS = """
    PaneTabs { height: 1; background: $panel; padding: 0 1; }
    """

    def __init__(self, current: str):
        text = Text()
        for name, label in PANE_LABELS:
            style = "bold reverse" if name == current else "dim"
            text.append(f" {label} ", style=style)
            text.append(" ")
        text.append("  ? help  ctrl+p commands", style="dim")
        super().__init__(text, markup=False)  # drawn with the pane's first frame
        self.current = current


# ---------------------------------------------------------------------- error panel
class ErrorPanel(VerticalScroll):
    """The user's traceback when their experiment fails; the app stays up."""

    @staticmethod
    def swap(screen, body_selector: str) -> bool:
        """Show the pane's body, or its error panel when the experiment failed; True if ok."""
        error = screen.app.session.error
        panel = screen.query_one(ErrorPanel)
        panel.display = error is not None
        screen.query_one(body_selector).display = error is None
        if error is not None:
            panel.show(error)
        return error is None

    def compose(self) -> ComposeResult:
        yield Static(id="error-text", markup=False)

    def show(self, error) -> None:
        text = Text(error.format() + "\n\n", style="")
        text.append(
            "Fix the file and press R to reload, or o to open another experiment.", style="bold"
        )
        self.query_one("#error-text", Static).update(text)


# ---------------------------------------------------------------------- dialogs
class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", tooltip="Close the help"),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        text = Text()
        for title, keys in self.sections:
            text.append(f"{title}\n", style="bold")
            for key, description in keys:
                text.append(f"  {key:<14} {description}\n")
            text.append("\n")
        text.append("escape closes this help", style="dim")
        with VerticalScroll(id="help-box"):
            yield Static(text, markup=False, id="help-text")


class OpenScreen(ModalScreen[str | None]):
    """Pick a sample, or type a path to an experiment file."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", tooltip="Close without opening")]

    def __init__(self, samples: list[tuple[str, str]]):
        super().__init__()
        self.samples = samples

    def compose(self) -> ComposeResult:
        with Vertical(id="open-box"):
            yield Label("Open an experiment: choose a sample, or type a path and press enter")
            yield Input(placeholder="path/to/experiment.py", id="open-path")
            yield OptionList(
                *(Option(f"{name}  {summary}", id=name) for name, summary in self.samples),
                id="open-samples",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()  # typing a path needs no Tab first
        self.query_one(OptionList).highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """enter: the typed path, or with nothing typed the highlighted sample."""
        typed = event.value.strip()
        samples = self.query_one(OptionList)
        if typed:
            self.dismiss(typed)
        elif samples.highlighted is not None:
            self.dismiss(samples.get_option_at_index(samples.highlighted).id)

    def on_key(self, event) -> None:
        """down in the path field goes on to the samples below it (so does tab)."""
        if event.key == "down" and self.focused is self.query_one(Input):
            samples = self.query_one(OptionList)
            samples.focus()
            samples.action_cursor_down()
            event.stop()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)
