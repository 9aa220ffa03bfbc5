"""Pieces the panes share: the tensor summary, the half-block renderer, the colour dimmer,
the tab line, the error panel, and the dialogs (help, Open)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import BLACK
from textual.color import Color as TextualColor
from textual.containers import Vertical, VerticalScroll
from textual.filter import LineFilter
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from nnbench.engine.errors import shape_str
from nnbench.engine.formatting import number, statistics
from nnbench.engine.workbench.experiment import ExperimentError, resolve

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
HELP_WIDTH = 50  # the description column of the help; the box is 76 wide


class HelpScreen(ModalScreen[None]):
    """Every key, pane by pane. How to close it and scroll it sits on the box's border,
    so it shows however little of the list fits."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", tooltip="Close the help"),
        Binding("up", "scroll(-1)", "Up", show=False),
        Binding("down", "scroll(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "to_end(False)", "Top", show=False),
        Binding("end", "to_end(True)", "Bottom", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        box = VerticalScroll(id="help-box")
        box.border_title = "nnbench keys · escape closes"
        box.border_subtitle = "up/down pgup/pgdn home/end scroll"
        with box:
            yield Static(help_text(self.sections), markup=False, id="help-text")

    def action_scroll(self, lines: int) -> None:
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=lines, animate=False)

    def action_page(self, pages: int) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        box.scroll_relative(y=pages * max(1, box.scrollable_content_region.height - 1),
                            animate=False)  # fmt: skip

    def action_to_end(self, bottom: bool) -> None:
        box = self.query_one("#help-box", VerticalScroll)
        box.scroll_to(y=box.max_scroll_y if bottom else 0, animate=False)


def help_text(sections: list[tuple[str, list[tuple[str, str]]]]) -> Text:
    """Each section's title, then its keys, a description wrapped beside each key."""
    text = Text()
    for title, keys in sections:
        text.append(f"{title}\n", style="bold")
        for key, description in keys:
            lines = textwrap.wrap(description, HELP_WIDTH) or [""]
            text.append(f"  {key:<16} {lines[0]}\n")
            for line in lines[1:]:
                text.append(f"  {'':<16} {line}\n")
        text.append("\n")
    text.append("escape, q or ? closes this help", style="dim")
    return text


OPEN_KEYS = [
    ("type", "A path to an experiment file, or a sample's name"),
    ("tab", "Complete the path: what the matches share, then each match in turn"),
    ("enter", "Open it; a path that is missing or fails keeps what is open"),
    ("down / up", "Move to the samples and back"),
    ("escape", "Close without opening"),
]


def path_matches(typed: str) -> list[str]:
    """The files and folders ``typed`` can be completed to, spelled as typed (a leading
    ~ stays), folders ending in '/'; hidden names only when ``typed`` names a dot."""
    folder, _, start = typed.rpartition("/")
    prefix = f"{folder}/" if folder or typed.startswith("/") else ""
    if typed == "~":
        return ["~/"]
    where = Path(prefix or ".").expanduser()
    try:
        names = sorted(os.listdir(where))
    except OSError:
        return []
    out = []
    for name in names:
        if not name.startswith(start) or name == "__pycache__":
            continue
        if name.startswith(".") and not start.startswith("."):
            continue
        out.append(prefix + name + ("/" if (where / name).is_dir() else ""))
    return out


def _last_part(path: str) -> str:
    """'samples/spirals.py' -> 'spirals.py', 'samples/data/' -> 'data/'."""
    return path.rstrip("/").rpartition("/")[2] + ("/" if path.endswith("/") else "")


class PathInput(Input):
    """The Open dialog's path field: tab completes files and folders as a shell does."""

    BINDINGS = [Binding("tab", "complete", "Complete", show=False)]

    class Completed(Message):
        """Tab was pressed: ``said`` is what the dialog shows about the matches."""

        def __init__(self, said: str, found: bool):
            super().__init__()
            self.said, self.found = said, found

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.cycle: list[str] = []  # the matches tab goes through once nothing is shared
        self.completed = self.value  # the value last set for the user (tab, or a path kept
        # after a failed open): typing anything else clears what the dialog said about it

    def action_complete(self) -> None:
        typed = self.value
        if typed in self.cycle:
            self.take(self.cycle[(self.cycle.index(typed) + 1) % len(self.cycle)])
            return
        matches = path_matches(typed)
        self.cycle = []
        if not matches:
            folder, _, start = typed.rpartition("/")
            said = f"no file or folder in {folder or '.'}/ starts with {start!r}"
            self.post_message(self.Completed(said, False))
            return
        shared = os.path.commonprefix(matches)
        if len(matches) > 1 and len(shared) == len(typed):
            self.cycle = matches  # nothing more is shared: tab goes through them
            self.take(matches[0])
            return
        self.set_path(shared)
        said = ""
        if len(matches) > 1:
            names = "  ".join(_last_part(m) for m in matches[:20])
            more = f" and {len(matches) - 20} more" if len(matches) > 20 else ""
            said = f"{len(matches)} matches: {names}{more}"
        self.post_message(self.Completed(said, True))

    def take(self, match: str) -> None:
        """One of the matches tab goes through, and which of them it is."""
        self.set_path(match)
        place = f"{self.cycle.index(match) + 1} of {len(self.cycle)}"
        self.post_message(self.Completed(f"{place}: {_last_part(match)} (tab: the next)", True))

    def set_path(self, path: str) -> None:
        self.completed = path
        self.value = path
        self.cursor_position = len(path)


class OpenScreen(ModalScreen[str | None]):
    """Type a path (tab completes it) or choose a sample. A path that does not name an
    experiment keeps the dialog open with the reason; so does reopening it with ``said``
    after a load that failed, the path kept for fixing."""

    BINDINGS = [Binding("escape", "dismiss_none", "Cancel", tooltip="Close without opening")]

    def __init__(self, samples: list[tuple[str, str]], typed: str = "", said: str = ""):
        super().__init__()
        self.samples = samples
        self.typed, self.said = typed, said

    def compose(self) -> ComposeResult:
        box = Vertical(id="open-box")
        box.border_title = "Open an experiment"
        box.border_subtitle = "escape closes"
        with box:
            yield Label("Type a path (tab completes) and press enter, or down for a sample.")
            yield PathInput(value=self.typed, placeholder="path/to/experiment.py", id="open-path")
            yield Static("", id="open-said", markup=False)
            yield OptionList(
                *(Option(f"{name}  {summary}", id=name) for name, summary in self.samples),
                id="open-samples",
            )

    def on_mount(self) -> None:
        self.query_one(PathInput).focus()  # typing a path needs nothing pressed first
        self.query_one(OptionList).highlighted = None  # none chosen until down moves there
        self.say(self.said, error=bool(self.said))

    def say(self, said: str, error: bool = False) -> None:
        line = self.query_one("#open-said", Static)
        line.update(said)
        line.display = bool(said)
        line.set_class(error, "-error")

    def on_path_input_completed(self, event: PathInput.Completed) -> None:
        self.say(event.said, error=not event.found)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value != self.query_one(PathInput).completed:
            self.say("")  # what was said was about another path

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """enter: the typed path, if it names an experiment; else why not, and stay."""
        typed = event.value.strip()
        if not typed:
            self.say("Type a path first, or press down to choose a sample.", error=True)
            return
        problem = not_an_experiment(typed)
        if problem:
            self.say(problem, error=True)
            return
        self.dismiss(typed)

    def on_key(self, event) -> None:
        """down in the path field goes on to the samples below it; up from the first
        sample comes back."""
        samples = self.query_one(OptionList)
        if event.key == "down" and self.focused is self.query_one(PathInput):
            samples.focus()
            if samples.highlighted is None:
                samples.highlighted = 0
            event.stop()
        elif event.key == "up" and self.focused is samples and samples.highlighted in (0, None):
            self.query_one(PathInput).focus()
            event.stop()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


def not_an_experiment(spec: str) -> str:
    """Why ``spec`` names no experiment (no such file, a folder, no such sample), or ''."""
    try:
        resolve(spec)
    except ExperimentError as error:
        return f"{error.summary}" + (f"\nHint: {error.hint}" if error.hint else "")
    return ""


def failed_open(error, kept: str) -> str:
    """What the Open dialog says after ``error`` stopped an experiment from opening: the
    user's last line and what went wrong, and that ``kept`` is still open."""
    lines = [f"Could not open it: {kept} is still open."]
    if error.frames:
        filename, lineno, function, text = error.frames[-1]
        lines.append(f'  File "{filename}", line {lineno}, in {function}')
        if text:
            lines.append(f"    {text.strip()}")
    lines.append(error.summary)
    if error.hint:
        lines.append(f"Hint: {error.hint}")
    return "\n".join(lines)
