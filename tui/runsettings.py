"""The Training pane's dialogs and figures: the run's settings, its watchpoints, earlier
runs of the experiment, and the fitted line of a 1-D regression."""

from __future__ import annotations

import json
import math

import numpy as np
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from nnbench.engine.formatting import number, to_numpy
from nnbench.engine.workbench import runs
from nnbench.engine.workbench.training import ACTIONS, WATCHPOINTS, Watch, Watchpoint

from .live import SETTINGS, check_settings


class FormScreen(ModalScreen):
    """A few labelled inputs; enter checks them all and closes with the result, or shows
    what is wrong and stays open; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without changing")]

    def __init__(self, title: str, fields: list[tuple[str, str, str]], hint: str):
        super().__init__()
        self.title_text, self.fields, self.hint = title, fields, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Label(self.title_text, classes="form-title", markup=False)
            for name, label, value in self.fields:
                yield Label(label, markup=False)
                yield Input(value=value, id=f"form-{name}")
            yield Label("", id="form-error", markup=False)
            yield Label(self.hint, classes="hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        values = {name: self.query_one(f"#form-{name}", Input).value for name, _, _ in self.fields}
        try:
            result = self.check(values)
        except (ValueError, TypeError) as error:
            self.query_one("#form-error", Label).update(f"! {error}")
            return
        self.dismiss(result)

    def check(self, values: dict):
        raise NotImplementedError

    def action_cancel(self) -> None:
        self.dismiss(None)


class RunSettingsScreen(FormScreen):
    """lr, epochs and batch size, checked as torch.optim and DataLoader check them."""

    def __init__(self, experiment, current: dict):
        fields = [
            ("lr", "learning rate (lr)", _shown(current["lr"])),
            ("epochs", "epochs (of this run)", _shown(current["epochs"])),
            ("batch_size", "batch size (from the next epoch)", _shown(current["batch_size"])),
        ]
        super().__init__(
            "Edit the run", fields, "enter applies (recorded in metrics.jsonl); escape cancels"
        )
        self.experiment, self.current = experiment, current

    def check(self, values: dict) -> dict:
        changed = {
            name: text.strip()
            for name, text in values.items()
            if name in SETTINGS and text.strip() != _shown(self.current[name])
        }
        return check_settings(self.experiment, changed)


def _shown(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


class WatchScreen(FormScreen):
    """Each watchpoint as `on|off, threshold, action`."""

    def __init__(self, watch: Watch):
        fields = [
            (kind, f"{kind}: {what}" + (f"; threshold: {means}" if means else ""),
             _watch_text(getattr(watch, kind)))
            for kind, (what, means) in WATCHPOINTS.items()
        ]  # fmt: skip
        actions = "; ".join(f"{name}: {words}" for name, words in ACTIONS.items())
        super().__init__(
            "Watchpoints (on|off, threshold, action)",
            fields,
            f"{actions}. enter applies; escape cancels",
        )
        self.watch = watch

    def check(self, values: dict) -> Watch:
        return Watch(**{kind: parse_watchpoint(kind, text) for kind, text in values.items()})


def _watch_text(point: Watchpoint) -> str:
    parts = ["on" if point.on else "off"]
    if point.threshold is not None:
        parts.append(f"{point.threshold:g}")
    return ", ".join([*parts, point.action])


def parse_watchpoint(kind: str, text: str) -> Watchpoint:
    """'on, 1000, continue' (the threshold is left out for nan)."""
    words = [w for w in text.replace(",", " ").split() if w]
    if not words or words[0] not in ("on", "off"):
        raise ValueError(f"{kind}: start with on or off, e.g. 'on, 1000, pause'; got {text!r}")
    on, rest = words[0] == "on", words[1:]
    threshold = None
    if WATCHPOINTS[kind][1] is not None:
        if not rest:
            raise ValueError(f"{kind}: give a threshold ({WATCHPOINTS[kind][1]})")
        try:
            threshold = float(rest[0])
        except ValueError:
            raise ValueError(f"{kind}: the threshold must be a number, got {rest[0]!r}") from None
        if not math.isfinite(threshold) or threshold <= 0:
            raise ValueError(f"{kind}: the threshold must be a number > 0, got {rest[0]}")
        if kind == "dead_relu" and threshold > 1:
            raise ValueError(f"dead_relu: the threshold is a share in (0, 1], got {rest[0]}")
        rest = rest[1:]
    action = rest[0] if rest else "pause"
    if action not in ACTIONS or len(rest) > 1:
        raise ValueError(
            f"{kind}: the action is one of {', '.join(ACTIONS)}, got {' '.join(rest)!r}"
        )
    return Watchpoint(on, threshold, action)


class HistoryScreen(ModalScreen):
    """This experiment's runs, newest first: choose one to lay its loss curve over."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without changing")]

    def __init__(self, runs_dir, name: str, current=None):
        super().__init__()
        self.runs_dir, self.experiment_name, self.current = runs_dir, name, current

    def compose(self) -> ComposeResult:
        options = [Option("none: no earlier run on the plot", id="none")]
        for run in reversed(runs.list_runs(self.runs_dir, self.experiment_name)):
            if self.current is not None and run.path == self.current:
                continue
            options.append(Option(describe_run(run), id=str(run.path)))
        with Vertical(id="history-box"):
            title = f"Runs of {self.experiment_name} in {self.runs_dir} (newest first)"
            yield Label(title, markup=False)
            if len(options) == 1:
                yield Label("(no earlier runs yet)", classes="hint")
            yield OptionList(*options, id="history-list")
            yield Label("enter lays the run's loss over the plot; escape cancels", classes="hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from pathlib import Path

        chosen = event.option.id
        self.dismiss("none" if chosen == "none" else Path(chosen))

    def action_cancel(self) -> None:
        self.dismiss(None)


def describe_run(run: runs.Run) -> str:
    try:
        info = run.info()
    except (OSError, ValueError):
        return f"{run.id}  (no run.json)"
    settings = info.get("settings") or {}
    parts = [run.id, str(info.get("status", "?"))]
    if info.get("steps") is not None:
        parts.append(f"{info['steps']} steps")
    if settings.get("optimizer"):
        parts.append(f"{settings['optimizer']} lr {number(settings.get('lr'))}")
    if info.get("parent"):
        parts.append(f"from {info['parent']}")
    return "  ".join(parts)


def earlier_curve(run_dir) -> tuple[str, list, list] | None:
    """(run id, steps, losses) from a run's metrics.jsonl; None if it cannot be read."""
    run = runs.Run(run_dir)
    steps, losses = [], []
    try:
        with open(run.metrics_path) as lines:
            for line in lines:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue  # a half line left by a killed process
                if record.get("kind") == "step" and record.get("loss") is not None:
                    steps.append(record["step"])
                    losses.append(record["loss"])
    except OSError:
        return None
    return run.id, steps, losses


def regression(experiment) -> dict | None:
    """For a 1-D regression with known true parameters: the data and the truth (the
    fitted line comes with each snapshot)."""
    if experiment is None or experiment.task != "regression" or not experiment.truth:
        return None
    batch = experiment.example_batch
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        return None
    x, y = batch
    if getattr(x, "ndim", 0) != 2 or x.shape[1] != 1 or y.numel() != x.shape[0]:
        return None
    return {"truth": experiment.truth}


def fit_plot(fit: dict | None, width: int, rows: int) -> str:
    """The data as '.', the fitted line as '*', in ASCII."""
    line = fit.get("line") if fit else None
    if line is None:
        return "(the fitted line comes after the first step)"
    points_x, points_y = fit["x"], fit["y"]
    grid_x, grid_y = line
    ys = np.concatenate([points_y, grid_y])
    ys = ys[np.isfinite(ys)]
    if ys.size == 0:
        return "(the fit is not finite)"
    low, high = float(ys.min()), float(ys.max())
    high = high if high > low else low + 1.0
    x_low, x_high = float(grid_x.min()), float(grid_x.max())
    x_high = x_high if x_high > x_low else x_low + 1.0
    cells = [[" "] * width for _ in range(rows)]

    def put(x, y, char):
        if not (np.isfinite(x) and np.isfinite(y)):
            return
        column = int((x - x_low) / (x_high - x_low) * (width - 1))
        row = int((high - y) / (high - low) * (rows - 1))
        if 0 <= row < rows and 0 <= column < width:
            cells[row][column] = char

    for x, y in zip(points_x, points_y):
        put(x, y, ".")
    for x, y in zip(grid_x, grid_y):
        put(x, y, "*")
    lines = ["".join(row) for row in cells]
    lines.append(f"fit * over the data . (y {number(low)} .. {number(high)})")
    return "\n".join(lines)


def fitted_line(experiment, columns: int = 60):
    """The data and the model's line over it, for a 1-D regression (worker thread)."""
    from nnbench.engine import autograd
    from nnbench.engine.creation import tensor

    predict = experiment.predict or experiment.model
    if predict is None or regression(experiment) is None:
        return None
    x, y = experiment.example_batch
    data_x, data_y = to_numpy(x.array).reshape(-1), to_numpy(y.array).reshape(-1)
    grid = np.linspace(data_x.min(), data_x.max(), columns).astype(np.float32)
    with autograd.no_grad():
        line = to_numpy(predict(tensor(grid.reshape(-1, 1), device=x.device)).array)
    return {"x": data_x, "y": data_y, "line": (grid, line.reshape(-1))}
