"""Pane 3, the Optimizers: SGD, Momentum, Nesterov, RMSprop, Adam and AdamW racing on a
2-D loss surface, each step computed by the engine's own optim classes (playground.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, Static

from nnbench.engine.formatting import number
from nnbench.engine.workbench import playground as P

from . import pace
from .text import TABLE_HEADER, parse_settings, settings_text, state_lines, table_row
from .widgets import RAMP, PaneTabs, dimmed, half_blocks, uses_color

RACER_COLORS = {
    "S": ("#f0f0f0", "bright_white"),
    "M": ("#ffd75f", "yellow"),
    "N": ("#ff8700", "bright_red"),
    "R": ("#5fd7ff", "cyan"),
    "A": ("#ff5fd7", "magenta"),
    "W": ("#87ff5f", "green"),
}
# a perceptually ordered palette (viridis), dark to bright, for the contour bands
BANDS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
         "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"]  # fmt: skip
RACE_PACE = 20  # steps a second when the pane opens
FRAME = 0.1  # seconds between redraws while playing, however fast the race goes
FULL_SPEED_TICK = 0.005  # seconds between bursts of steps at full speed, for keys and redraws
STEP_BUDGET = 0.02  # seconds of steps a tick may take (or one step): keys wait no longer
KEEP = 2000  # points of each path kept (the surface draws the last 400): an endless race
LR_KEYS = Binding.Group("lr")


def band_values(grid: np.ndarray, log_scale: bool) -> np.ndarray:
    """Each sample's band, 0..len(BANDS)-1 (log scale where the range is huge)."""
    values = np.nan_to_num(grid, nan=np.inf, posinf=np.nanmax(grid[np.isfinite(grid)]))
    if log_scale:
        values = np.log10(values - values.min() + 1e-3)
    low, high = values.min(), values.max()
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    return np.minimum((scaled * len(BANDS)).astype(int), len(BANDS) - 1)


class SurfaceView(Static):
    """The surface as contour bands (two samples per character cell), paths on top."""

    def __init__(self, **kwargs):
        super().__init__(markup=False, **kwargs)
        self.race: P.Race | None = None
        self.chosen = 0
        self._cache: dict = {}

    def show(self, race: P.Race, chosen: int) -> None:
        self.race, self.chosen = race, chosen
        self.update(self.render_surface())

    def background(self, columns: int, rows: int, color: bool):
        """Band numbers per cell (top and bottom half), cached per surface and size."""
        key = (self.race.surface.name, columns, rows, color)
        if key not in self._cache:
            samples = 2 * rows if color else rows
            bands = band_values(self.race.grid(columns, samples), self.race.surface.log_scale)
            self._cache = {key: bands}  # one size at a time is all a pane needs
        return self._cache[key]

    def to_cell(self, x: float, y: float, columns: int, samples: int):
        x_min, x_max, y_min, y_max = self.race.surface.window
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        column = round((x - x_min) / (x_max - x_min) * (columns - 1))
        row = round((y_max - y) / (y_max - y_min) * (samples - 1))
        if 0 <= column < columns and 0 <= row < samples:
            return row, column
        return None

    def render_surface(self) -> Text:
        columns, rows = max(10, self.size.width), max(4, self.size.height - 1)
        color = uses_color(self.app)
        bands = self.background(columns, rows, color)
        marks = self.marks(columns, bands.shape[0], color)
        text = self._in_colour(bands, marks) if color else self._in_characters(bands, marks)
        for racer in self.race.racers:
            if racer.enabled:
                label = f"{racer.kind.letter} {racer.kind.name}"
                label += f" ({racer.stopped})  " if racer.stopped else "  "
                text.append(label, style=RACER_COLORS[racer.kind.letter][1] if color else None)
        return text

    def marks(self, columns: int, samples: int, color: bool) -> dict:
        """Which racer's path or current point is in each cell (the chosen one on top)."""
        marks: dict = {}
        order = [r for i, r in enumerate(self.race.racers) if i != self.chosen]
        order.append(self.race.racers[self.chosen])
        for racer in order:
            if not racer.enabled:
                continue
            for x, y in racer.path[-400:]:
                cell = self.to_cell(x, y, columns, samples)
                if cell is not None:
                    row = cell[0] // 2 if color else cell[0]
                    marks[(row, cell[1])] = (racer, "•")
            cell = self.to_cell(*racer.position, columns, samples)
            if cell is not None:
                row = cell[0] // 2 if color else cell[0]
                marks[(row, cell[1])] = (racer, racer.kind.letter)
        return marks

    def _in_colour(self, bands, marks: dict) -> Text:
        colors = np.array(BANDS)[bands].tolist()
        shown = {}
        for (row, column), (racer, char) in marks.items():
            # the current point on black, the path on a darkened band: both stand out, and
            # the surface under the path stays readable
            bottom = colors[2 * row + 1][column]
            bg = "#000000" if char != "•" else dimmed(bottom, 0.4)
            shown[(row, column)] = (char, RACER_COLORS[racer.kind.letter][0], bg)
        return half_blocks(colors, shown)

    def _in_characters(self, bands, marks: dict) -> Text:
        """Few colours: one sample per cell, a character ramp; the racers in bold."""
        text = Text(no_wrap=True, overflow="crop")
        for row, line in enumerate(bands):
            for column, band in enumerate(line):
                mark = marks.get((row, column))
                if mark is None:
                    text.append(RAMP[int(band * (len(RAMP) - 1) / (len(BANDS) - 1))])
                else:
                    racer, char = mark  # a path in the racer's small letter: s m n r a w
                    text.append(char if char != "•" else racer.kind.letter.lower(), style="bold")
            text.append("\n")
        return text


def race_table(race: P.Race, chosen: int, width: int, color: bool = True) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"  {TABLE_HEADER}\n", style="bold")
    for i, racer in enumerate(race.racers):
        # without colours the letter tells them apart (greyed colours may not read)
        hue = RACER_COLORS[racer.kind.letter][1] if color else None
        style = Style(color=hue, bold=i == chosen)
        if not racer.enabled:
            style = Style(dim=True)
        if racer.stopped:
            style += Style(color="red" if color else None, bold=True)
        pointer = "▶ " if i == chosen else "  "
        text.append(pointer + table_row(racer) + "\n", style=style)
    racer = race.racers[chosen]
    text.append(f"{racer.kind.name}: {settings_text(racer.optimizer)}\n", style="italic")
    text.append("\n".join(state_lines(racer, width)))
    return text


def status_line(title: str, state: str, width: int) -> Text:
    """The surface's title on the left, cut to leave room for the race's state on the right
    (the state matters more than the formula's tail)."""
    room = max(width - len(state) - 2, 0)
    if len(title) > room:
        title = title[: max(room - 1, 0)] + "…" if room else ""
    text = Text(title, style="bold")
    text.append(" " * max(width - len(title) - len(state), 1) + state)
    return text


class SettingsScreen(ModalScreen[bool]):
    """Edit one optimizer's settings; ``apply(text)`` raises ValueError for settings it
    refuses, and the dialog stays open with the reason under the field."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without changing")]

    def __init__(self, title: str, current: str, apply: Callable[[str], None]):
        super().__init__()
        self.title_text, self.current, self.apply = title, current, apply

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box"):
            yield Label(self.title_text)
            yield Input(value=self.current, id="settings-input")
            yield Label("", id="settings-error", markup=False)
            yield Label("enter applies (e.g. momentum=0.5 or betas=(0.9, 0.99)); escape cancels",
                        classes="hint")  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#settings-error", Label).display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        error = self.query_one("#settings-error", Label)
        try:
            self.apply(event.value)
        except ValueError as refused:
            error.update(f"Not applied: {refused}")
            error.display = True
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class OptimizersScreen(Screen):
    BINDINGS = [
        Binding("space", "play", "Play", tooltip="Race at the pace shown, or pause"),
        Binding("n", "step", "Step", tooltip="One step for every optimizer"),
        Binding("r", "reset", "Reset",
                tooltip="Back to the start point (settings and on/off stay as set)"),
        Binding("s", "surface", "Surface",
                tooltip="Next loss surface (settings and on/off stay as set)"),
        Binding("up", "choose(-1)", "Up", show=False, priority=True,
                tooltip="Choose the optimizer above"),
        Binding("down", "choose(1)", "Down", show=False, priority=True,
                tooltip="Choose the optimizer below"),
        Binding("left_square_bracket", "lr(0.5)", "lr/2", group=LR_KEYS,
                tooltip="Halve the chosen one's learning rate"),
        Binding("right_square_bracket", "lr(2)", "lr*2", group=LR_KEYS,
                tooltip="Double the chosen one's learning rate"),
        Binding("t", "toggle", "On/off", tooltip="Switch the chosen optimizer off or on"),
        Binding("e", "edit", "Edit", tooltip="Set the chosen one's lr, momentum, betas, ..."),
        *pace.bindings("the race"),
    ]  # fmt: skip

    def __init__(self):
        super().__init__()
        self.race = P.Race(P.SURFACES[0], keep=KEEP)
        self.surface_index = 0
        self.chosen = 0
        self.pace: int | None = RACE_PACE
        self.is_playing = False  # what the learner asked for; the timer also waits while hidden
        self.shown = False
        self.timer = None
        self.clock = (0.0, 0)  # (when, race.steps) the pace counts from
        self.drawn = 0.0  # when the screen was last redrawn
        self.measured = (0.0, 0)  # (when, race.steps) the rate is measured from
        self.rate: float | None = None  # steps a second reached, once measured

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("optimizers")
        yield Static("", id="race-status", markup=False)
        with Container(id="race-body"):
            yield SurfaceView(id="surface")
            yield Static("", id="race-table", markup=False)
        yield Footer(show_command_palette=False)  # the tabs show ctrl+p; room for every key

    def on_mount(self) -> None:
        self.app.register_pane(self)
        self.call_after_refresh(self.redraw)

    def redraw(self) -> None:
        self.drawn = time.monotonic()
        state = "playing" if self.is_playing else "paused"
        state = f"step {self.race.steps} · {state} · {self.pace_text()}"
        line = self.query_one("#race-status", Static)
        line.update(status_line(self.race.surface.title, state, line.content_size.width))
        self.query_one(SurfaceView).show(self.race, self.chosen)
        table = self.query_one("#race-table", Static)
        table.update(
            race_table(self.race, self.chosen, table.content_size.width, uses_color(self.app))
        )

    def pace_text(self) -> str:
        """The pace, and what the machine reaches where that is less ("full speed: 40/s")."""
        text, rate = pace.label(self.pace), self.rate
        if self.is_playing and rate is not None:
            if self.pace is None:
                return f"{text}: {rate:.0f}/s"
            if rate < 0.8 * self.pace:
                return f"{text} (reaching {rate:.0f})"
        return text

    def on_resize(self) -> None:
        self.call_after_refresh(self.redraw)

    # ------------------------------------------------------------------ the clock
    def on_screen_suspend(self) -> None:
        """Hidden (another pane, or a dialog on top): the race waits, costing nothing."""
        self.shown = False
        self._run_timer()

    def on_screen_resume(self) -> None:
        self.shown = True
        self._run_timer()

    def _run_timer(self) -> None:
        """A timer runs only while the race plays and is shown, ticking at its pace; the
        steps due are counted from the clock (timers drift), and the screen is redrawn at
        most every FRAME however fast the race goes."""
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        if self.is_playing and self.shown:
            self.clock = self.measured = (time.monotonic(), self.race.steps)
            self.rate = None
            interval = FULL_SPEED_TICK if self.pace is None else 1 / self.pace
            self.timer = self.set_interval(interval, self.tick)

    def tick(self) -> None:
        now = time.monotonic()
        due, done = self._due(now), 0
        while (due is None or done < due) and not self._finished():
            self.race.step()
            done += 1
            if time.monotonic() - now >= STEP_BUDGET:
                break  # the machine is slower than the pace: keys come first
        self._measure(now)
        if self._finished():
            self.is_playing = False
            self._run_timer()
        if not self.is_playing or now - self.drawn >= FRAME:
            self.redraw()

    def _due(self, now: float) -> int | None:
        """Steps the pace asks for by now (None: as many as fit, at full speed)."""
        if self.pace is None:
            return None
        since, at = self.clock
        due = int((now - since) * self.pace) - (self.race.steps - at)
        if due > self.pace * FRAME + 1:  # fell behind (a busy machine): no catching up
            self.clock, due = (now, self.race.steps), 1
        return due

    def _measure(self, now: float) -> None:
        """The steps a second the race really made over the last second or so."""
        since, at = self.measured
        if now - since >= 1.0:
            self.rate = (self.race.steps - at) / (now - since)
            self.measured = (now, self.race.steps)

    def _finished(self) -> bool:
        return all(r.stopped or not r.enabled for r in self.race.racers)

    # ------------------------------------------------------------------ actions
    def action_play(self) -> None:
        self.is_playing = not self.is_playing
        self._run_timer()
        self.redraw()

    def action_slower(self) -> None:
        self.pace = pace.slower(self.pace)
        self._run_timer()
        self.redraw()

    def action_faster(self) -> None:
        self.pace = pace.faster(self.pace)
        self._run_timer()
        self.redraw()

    def action_step(self) -> None:
        self.race.step()
        self.redraw()

    def action_reset(self) -> None:
        self.race.reset()
        self._run_timer()
        self.redraw()

    def action_surface(self) -> None:
        self.surface_index = (self.surface_index + 1) % len(P.SURFACES)
        self.race = self.race.on(P.SURFACES[self.surface_index])
        self._run_timer()
        self.redraw()

    def action_choose(self, delta: int) -> None:
        self.chosen = (self.chosen + delta) % len(self.race.racers)
        self.redraw()

    def action_lr(self, factor: float) -> None:
        racer = self.race.racers[self.chosen]
        before = racer.lr
        if self.race.scale_lr(self.chosen, factor) == before:
            low, high = P.LR_KEYS_RANGE
            self.notify(
                f"{racer.kind.name}'s lr stays {number(before)}: [ and ] keep it within "
                f"{number(low)}..{number(high)}; press e to type any lr >= 0",
                title="Learning rate",
                markup=False,
            )
        self.redraw()

    def action_toggle(self) -> None:
        racer = self.race.racers[self.chosen]
        racer.enabled = not racer.enabled
        self.redraw()

    def action_edit(self) -> None:
        racer, index = self.race.racers[self.chosen], self.chosen

        def apply(text: str) -> None:
            self.race.set_settings(index, parse_settings(text))  # ValueError: the dialog says
            self.redraw()

        title = f"{racer.kind.name} settings"
        self.app.push_screen(SettingsScreen(title, settings_text(racer.optimizer), apply))
