"""Pane 3, the Optimizers: SGD, Momentum, Nesterov, RMSprop, Adam and AdamW racing on a
2-D loss surface, each step computed by the engine's own optim classes (playground.py).
"""

from __future__ import annotations

import math

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Input, Label, Static

from nnbench.engine.workbench import playground as P

from .text import TABLE_HEADER, parse_settings, settings_text, state_text, table_row
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
PLAY_INTERVAL = 0.1  # seconds between steps while playing


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


def race_table(race: P.Race, chosen: int, color: bool = True) -> Text:
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
    text.append(f"\n{racer.kind.name}: {settings_text(racer.optimizer)}\n", style="italic")
    text.append(state_text(racer))
    return text


class SettingsScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without changing")]

    def __init__(self, title: str, current: str):
        super().__init__()
        self.title_text, self.current = title, current

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box"):
            yield Label(self.title_text)
            yield Input(value=self.current, id="settings-input")
            yield Label("enter applies (e.g. momentum=0.5 or betas=(0.9, 0.99)); escape cancels",
                        classes="hint")  # fmt: skip

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OptimizersScreen(Screen):
    BINDINGS = [
        Binding("space", "play", "Play/pause", tooltip="Race at a steady pace, or pause"),
        Binding("n", "step", "Step", tooltip="One step for every optimizer"),
        Binding("r", "reset", "Reset", tooltip="Back to the start point"),
        Binding("s", "surface", "Surface", tooltip="Next loss surface"),
        Binding("up", "choose(-1)", "Up", show=False, priority=True,
                tooltip="Choose the optimizer above"),
        Binding("down", "choose(1)", "Down", show=False, priority=True,
                tooltip="Choose the optimizer below"),
        Binding("left_square_bracket", "lr(0.5)", "lr/2",
                tooltip="Halve the chosen one's learning rate"),
        Binding("right_square_bracket", "lr(2)", "lr*2",
                tooltip="Double the chosen one's learning rate"),
        Binding("t", "toggle", "On/off", tooltip="Switch the chosen optimizer on or off"),
        Binding("e", "edit", "Edit", tooltip="Set the chosen one's momentum, betas, lr, ..."),
    ]  # fmt: skip

    def __init__(self):
        super().__init__()
        self.race = P.Race(P.SURFACES[0])
        self.surface_index = 0
        self.chosen = 0
        self.timer = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("optimizers")
        yield Static("", id="race-status", markup=False)
        with Container(id="race-body"):
            yield SurfaceView(id="surface")
            yield Static("", id="race-table", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.app.register_pane(self)
        self.timer = self.set_interval(PLAY_INTERVAL, self.tick, pause=True)
        self.call_after_refresh(self.redraw)

    def experiment_changed(self) -> None:
        pass  # the playground does not depend on the experiment

    def redraw(self) -> None:
        surface = self.race.surface
        state = "playing" if self.is_playing else "paused"
        status = Text(f"{surface.title}", style="bold")
        status.append(f"   step {self.race.steps}   {state}")
        self.query_one("#race-status", Static).update(status)
        self.query_one(SurfaceView).show(self.race, self.chosen)
        table = race_table(self.race, self.chosen, uses_color(self.app))
        self.query_one("#race-table", Static).update(table)

    def on_resize(self) -> None:
        self.call_after_refresh(self.redraw)

    # ------------------------------------------------------------------ actions
    is_playing = False

    def action_play(self) -> None:
        self.is_playing = not self.is_playing
        if self.is_playing:
            self.timer.resume()
        else:
            self.timer.pause()
        self.redraw()

    def tick(self) -> None:
        self.race.step()
        if all(r.stopped or not r.enabled for r in self.race.racers):
            self.is_playing = False
            self.timer.pause()
        self.redraw()

    def action_step(self) -> None:
        self.race.step()
        self.redraw()

    def action_reset(self) -> None:
        self.race.reset()
        self.redraw()

    def action_surface(self) -> None:
        enabled = [r.enabled for r in self.race.racers]
        self.surface_index = (self.surface_index + 1) % len(P.SURFACES)
        self.race = P.Race(P.SURFACES[self.surface_index])
        for racer, on in zip(self.race.racers, enabled):
            racer.enabled = on
        self.redraw()

    def action_choose(self, delta: int) -> None:
        self.chosen = (self.chosen + delta) % len(self.race.racers)
        self.redraw()

    def action_lr(self, factor: float) -> None:
        racer = self.race.racers[self.chosen]
        self.race.set_lr(self.chosen, racer.lr * factor)
        self.redraw()

    def action_toggle(self) -> None:
        racer = self.race.racers[self.chosen]
        racer.enabled = not racer.enabled
        self.redraw()

    def action_edit(self) -> None:
        racer = self.race.racers[self.chosen]

        def apply(text: str | None) -> None:
            if text is None:
                return
            try:
                self.race.set_settings(self.chosen, parse_settings(text))
            except ValueError as error:
                self.notify(
                    str(error), title="Settings not changed", severity="error", markup=False
                )
            self.redraw()

        title = f"{racer.kind.name} settings"
        self.app.push_screen(SettingsScreen(title, settings_text(racer.optimizer)), apply)
