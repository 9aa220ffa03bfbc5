"""Pane 4, the Training dashboard: a live run of the experiment, watched closely.

The run itself (tui/live.py) steps in a thread worker through the engine's Trainer;
this pane only reads it and draws: every REDRAW seconds the status line (progress,
throughput per device), and at most every REPLOT seconds the loss plot (plotext),
per-layer gradient norms and update/weight ratios, activation statistics, and for 2-D
data the decision boundary.
"""

from __future__ import annotations

import time

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Label, Static

from nnbench.engine.formatting import number

from .live import STATS_EVERY, LiveRun, Twin, in_user_thread, ratio_verdict, start_user_thread
from .plots import line_plot, loss_series
from .text import duration
from .widgets import RAMP, ErrorPanel, PaneTabs, dimmed, half_blocks, uses_ascii, uses_color

REDRAW = 0.5  # seconds between redraws of the status line
REPLOT = 1.0  # seconds between redraws of the plot and the tables
CLASS_COLORS = ["#e45756", "#4c78a8", "#54a24b", "#f58518", "#b279a2", "#9d755d", "#72b7b2",
                "#eeca3b", "#ff9da6", "#bab0ac"]  # fmt: skip


class TrainingScreen(Screen):
    BINDINGS = [
        Binding("space", "play", "Start/pause", tooltip="Start or pause training; once a run "
                "has ended: a new run (fresh weights) or continue from its last step"),
        Binding("n", "step", "Step", tooltip="Run one training step"),
        Binding("x", "stop", "Stop", tooltip="Stop the run (then space: new run or continue)"),
        Binding("c", "checkpoint", "Save", tooltip="Save a checkpoint (atomic)"),
        Binding("l", "log_scale", "Log", tooltip="Log scale for the loss axis"),
        Binding("w", "twin", "Twin", tooltip="Train a torch.nn twin beside the engine's run"),
        Binding("a", "anomaly", "Find NaN", tooltip="Open the watchpoint's batch in the Graph "
                "pane with anomaly detection on"),
        Binding("v", "view", "View", tooltip="Switch layers / decision boundary at 80 columns"),
    ]  # fmt: skip

    def __init__(self):
        super().__init__()
        self.run: LiveRun | None = None
        self.log_scale = False
        self.boundary_view = False
        self._plotted = (0, 0.0)
        self._told = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("training")
        with Vertical(id="training-body", classes="pane-body"):
            yield Static("Press space to start training.", id="train-status", markup=False)
            with Container(id="train-columns"):
                yield Static("", id="train-plot", markup=False)
                with Vertical(id="train-side"):
                    yield Static("", id="train-layers", markup=False)
                    yield Static("", id="train-boundary", markup=False)
        yield ErrorPanel(id="error-panel", classes="error-panel")
        yield Footer()

    def on_mount(self) -> None:
        import plotext  # noqa: F401 - now, not in the middle of a run's first second

        self.app.register_pane(self)
        self.set_interval(REDRAW, self.redraw)
        self.experiment_changed()

    def on_unmount(self) -> None:
        self.end_run()  # the app is closing: the run's daemon thread stops after its step

    # ------------------------------------------------------------------ the run
    def experiment_changed(self) -> None:
        if self.run is not None and self.run.experiment is self.app.session.experiment:
            return  # a device move: the run (going or ended) is still this experiment's
        self.end_run()
        self.run = None
        for region in ("#train-plot", "#train-layers", "#train-boundary"):
            self.query_one(region, Static).update("")  # the old run's figures go with it
        if ErrorPanel.swap(self, "#training-body"):
            self.redraw(force=True)

    def end_run(self) -> None:
        if self.run is not None:
            self.run.stop()

    def new_run(self, twin: bool = False, parent: LiveRun | None = None) -> bool:
        session = self.app.session
        experiment = session.experiment
        if self.app.state == "loading":
            self.notify("The experiment is still loading.", severity="warning")
            return False
        if experiment is None or not experiment.trainable:
            self.notify("This experiment has nothing to train (no data or no optimizer).",
                        severity="warning")  # fmt: skip
            return False
        try:
            run = LiveRun(session, twin=twin, parent=parent)
        except Exception as error:  # no torch for the twin, a loader without len(), ...
            self.notify(f"{type(error).__name__}: {error}", title="Could not start the run",
                        severity="warning", markup=False)  # fmt: skip
            return False
        self.run = run
        self._plotted, self._told = (0, 0.0), ""
        start_user_thread(run.loop)  # a daemon thread: a stuck step never holds up quitting
        return True

    def start(self, then: str, twin: bool = False) -> None:
        """Begin training (``then`` is "play" or "step"). The first run trains the weights
        as loaded; once a run has ended, ask: a fresh run, or continue from here."""
        run = self.run
        if run is not None and run.trainer.step > 0 and not run.active:  # done, stopped, failed

            def chosen(answer: str | None) -> None:
                if answer == "fresh":
                    self.fresh_run(then)
                elif answer == "continue" and self.new_run(parent=run):
                    self._go(then)

            self.app.push_screen(NewRun(run.trainer.step, run.state), chosen)
        elif run is not None and not run.active:  # ended before its first step: start again
            self.fresh_run(then)
        elif self.new_run(twin=twin):
            self._go(then)

    def fresh_run(self, then: str, twin: bool = False) -> None:
        """A new run on a fresh experiment(): the file runs again (in a user thread)."""
        doing = "restart the run with a twin" if twin else "start a new run"

        def loaded() -> None:
            if self.new_run(twin=twin):
                self._go(then)

        self.app.confirm_then(doing, lambda: self.app.start_load(self.app.session.spec, loaded))

    def _go(self, then: str) -> None:
        if then == "step":
            self.run.step_once()
        else:
            self.run.play()
        self.redraw(force=True)

    # ------------------------------------------------------------------ actions
    def action_play(self) -> None:
        if self.run is not None and self.run.active:
            if self.run.state == "running":
                self.run.pause()
            else:
                self.run.play()
            self.redraw(force=True)
            return
        self.start("play")

    def action_step(self) -> None:
        if self.run is not None and self.run.active:
            self.run.step_once()
            return
        self.start("step")

    def action_stop(self) -> None:
        if self.run is not None and self.run.active:
            self.run.stop()
            self.notify("Stopped. Press space for a new run or to continue this one.")

    @work(group="save")
    async def action_checkpoint(self) -> None:
        run = self.run
        if run is None or run.trainer.step == 0:
            self.notify("Nothing trained yet to save.", severity="warning")
            return
        try:
            path = await in_user_thread(run.save)  # waits for the step in flight, off the UI
        except Exception as error:  # no folder at all would take it: the run goes on
            self.notify(f"{type(error).__name__}: {error}. The run goes on.",
                        title="Checkpoint not saved", severity="error", timeout=15,
                        markup=False)  # fmt: skip
            return
        notify_saved(self, run, path)

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.redraw(force=True)

    def action_view(self) -> None:
        self.boundary_view = not self.boundary_view
        self.redraw(force=True)

    def action_twin(self) -> None:
        if self.run is not None and self.run.twin is not None:
            self.notify("The twin is already training beside this run.")
            return
        if self.run is None or self.run.trainer.step == 0:  # the weights are as loaded
            self.end_run()
            if self.new_run(twin=True):
                self._twin_started(restarted=False)
            return

        def loaded() -> None:  # the twin starts from the same initial weights
            if self.new_run(twin=True):
                self._twin_started(restarted=True)

        self.app.confirm_then(
            "restart the run with a twin",
            lambda: self.app.start_load(self.app.session.spec, loaded),
        )

    def _twin_started(self, restarted: bool) -> None:
        message = "A torch.nn twin trains on the same batches from the same initial weights."
        if restarted:
            message += " The run restarted from step 0 so both start alike."
        self.notify(message, title="PyTorch twin")
        self.run.play()

    def action_anomaly(self) -> None:
        if self.run is None or self.run.hit is None:
            self.notify("No watchpoint has fired in this run.")
            return
        self.app.open_anomaly(self.run.hit.batch)

    # ------------------------------------------------------------------ drawing
    def redraw(self, force: bool = False) -> None:
        try:
            hidden = self.app.screen is not self
        except ScreenStackError:  # the app is closing and its screens are gone
            return
        if self.app.session.error is not None or (hidden and not force):
            return  # hidden: nothing to draw (the run goes on in its worker)
        run = self.run
        # fixed-size regions: repaint them, no layout pass (this runs every REDRAW seconds)
        self.query_one("#train-status", Static).update(self.status_text(), layout=False)
        if run is None:
            return
        self._tell(run)
        self.app.update_header()
        if run.state == "failed":
            self.query_one(ErrorPanel).display = True
            self.query_one(ErrorPanel).show(run.error)
        wide = self.size.width >= 120
        boundary = self.query_one("#train-boundary", Static)
        layers = self.query_one("#train-layers", Static)
        show_boundary = run.boundary is not None and (wide or self.boundary_view)
        boundary.display = show_boundary
        layers.display = wide or not show_boundary
        now = time.perf_counter()
        if not force and (len(run.losses) == self._plotted[0] or now - self._plotted[1] < REPLOT):
            return  # the plot and the tables change slowly: once every REPLOT seconds is plenty
        self._plotted = (len(run.losses), now)
        if layers.display:
            layers.update(self.layers_text(), layout=False)
        if show_boundary:
            if boundary.size.width > 10 and boundary.size.height > 4:
                run.resize_boundary(boundary.size.width, boundary.size.height - 1)
            boundary.update(self.boundary_text(), layout=False)
        self.query_one("#train-plot", Static).update(self.plot_text(), layout=False)

    def _tell(self, run: LiveRun) -> None:
        """One notification per change of state that needs a person's attention."""
        note = run.save_note.split(";")[0] if run.save_note else ""  # once, not every save
        key = f"{run.state}:{run.hit.step if run.hit else ''}:{run.save_error}:{note}"
        key += f":{run.folder_error}"
        if key == self._told:
            return
        self._told = key
        if run.folder_error is not None:
            self.notify(run.folder_error, title="No run folder", severity="error", timeout=15,
                        markup=False)  # fmt: skip
        if run.save_note is not None:
            self.notify(run.save_note, title="Checkpoint saved elsewhere", severity="warning",
                        timeout=15, markup=False)  # fmt: skip
        if run.save_error is not None:
            self.notify(f"{run.save_error}. The run goes on without it.",
                        title="Checkpoint not saved", severity="error", timeout=15,
                        markup=False)  # fmt: skip
        if run.state == "watchpoint":
            message = (
                f"Step {run.hit.step}: {run.hit.cause}. Press a to find the op in the Graph pane."
            )
            self.notify(
                message, title="Watchpoint: paused", severity="warning", timeout=10, markup=False
            )
        elif run.state == "done":
            where = f"checkpoint {run.last_checkpoint}" if run.last_checkpoint else "not saved"
            self.notify(f"Training finished; {where}", title="Done", markup=False)
        elif run.state == "failed":
            self.notify(run.error.summary, title="Training failed", severity="error", markup=False)

    def status_text(self) -> Text:
        run = self.run
        text = Text(no_wrap=True, overflow="ellipsis")
        if run is None:
            name = self.app.session.name
            text.append(f"{name}: press space to start training, n for one step", style="bold")
            return text
        step = run.trainer.step
        share = step / max(run.total_steps, 1)
        bar = "█" * int(20 * share) + "░" * (20 - int(20 * share))
        text.append(f"{run.state:<10}", style="bold red" if run.state in ("watchpoint", "failed")
                    else "bold")  # fmt: skip
        text.append(f" {bar} step {step}/{run.total_steps}  epoch {run.trainer.epoch}/{run.epochs}")
        report = run.last_step
        if report is not None:
            text.append(f"  ETA {duration(report.eta)}\n")
            text.append(f"loss {number(report.loss)}  lr {number(report.lr or 0)}")
        else:
            text.append("\n")
        if run.val:
            _, val_loss, accuracy = run.val[-1]
            text.append(f"  val {number(val_loss)}")
            if accuracy is not None:
                text.append(f"  acc {100 * accuracy:.1f}%")
        for device, speed in run.throughput().items():
            samples = (
                speed * (run.last_step.samples / max(run.last_step.step, 1)) if run.last_step else 0
            )
            text.append(f"  {device}: {speed:,.0f} steps/s {samples:,.0f} samples/s")
        if run.twin is not None:
            text.append(f"\ntorch twin: max |engine - torch| loss {run.twin.max_difference:.2e}",
                        style="italic")  # fmt: skip
        if run.hit is not None:
            text.append(f"\nwatchpoint at step {run.hit.step}: {run.hit.cause} (a: find the op)",
                        style="bold red")  # fmt: skip
        return text

    def plot_text(self) -> Text:
        run = self.run
        plot = self.query_one("#train-plot", Static)
        twin = run.twin.losses if run.twin is not None else None
        series = loss_series(run.steps, run.losses, run.val, twin)
        color = uses_color(self.app)
        title = "loss" + (" (log)" if self.log_scale else "")
        width, height = max(30, plot.size.width), max(8, plot.size.height)
        built = line_plot(series, title, width, height, color, self.log_scale, xlabel="",
                          ascii=uses_ascii(self.app))  # fmt: skip
        text = Text.from_ansi(built) if color else Text(built)
        text.no_wrap, text.overflow = True, "crop"
        return text

    def layers_text(self) -> Text:
        run = self.run
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{'parameter':<14}{'grad norm':>11}{'upd/weight':>12}  rule\n", style="bold")
        for name, norm, ratio in run.layer_rows():
            verdict = ratio_verdict(ratio)
            style = None if verdict.startswith("ok") else "yellow"
            text.append(
                f"{name:<14}{number(norm):>11}{number(ratio):>12}  {verdict}\n", style=style
            )
        if not run.layer_rows():
            text.append(f"(per-layer numbers every {STATS_EVERY} steps)\n", style="dim")
        text.append(f"{'activation':<14}{'mean':>11}{'std':>12}  dead\n", style="bold")
        for name, mean, std, dead in run.activation_rows():
            dead_text = "" if dead is None else f"{100 * dead:.0f}%"
            style = "red" if dead is not None and dead > 0.5 else None
            text.append(
                f"{name:<14}{number(mean):>11}{number(std):>12}  {dead_text}\n", style=style
            )
        return text

    def boundary_text(self) -> Text:
        data = self.run.boundary
        classes, confidence = data["classes"], data["confidence"]
        points = _point_cells(data, classes.shape[0] // 2, classes.shape[1])
        if uses_color(self.app):
            text = _boundary_in_colour(classes, confidence, points)
        else:
            text = _boundary_in_characters(classes, points)
        text.append("decision boundary (points: training data)", style="dim")
        return text


def _boundary_in_colour(classes, confidence, points: dict) -> Text:
    """Each class in its colour, dimmed where the model is unsure; the training points in
    their class's colour on the region they sit in."""
    colors = [
        [_shade(label, sure) for label, sure in zip(labels, sures)]
        for labels, sures in zip(classes, confidence)
    ]
    marks = {}
    for (row, column), label in points.items():
        point = CLASS_COLORS[label % len(CLASS_COLORS)]
        marks[(row, column)] = ("•", point, colors[2 * row + 1][column])
    return half_blocks(colors, marks)


def _boundary_in_characters(classes, points: dict) -> Text:
    """Few colours: a character per class (the top sample of each cell), each point as
    its class's digit, so a point on the wrong side shows."""
    text = Text(no_wrap=True, overflow="crop")
    for row, line in enumerate(classes[0::2]):
        for column, label in enumerate(line):
            char = RAMP[2 + int(label) % (len(RAMP) - 2)]
            point = points.get((row, column))
            text.append(char if point is None else str(point % 10))
        text.append("\n")
    return text


def _point_cells(data, rows: int, columns: int) -> dict:
    low, high = data["low"], data["high"]
    cells = {}
    for (x, y), label in zip(data["points"], data["labels"]):
        column = int((x - low[0]) / (high[0] - low[0]) * (columns - 1))
        row = int((high[1] - y) / (high[1] - low[1]) * (rows - 1))
        if 0 <= row < rows and 0 <= column < columns:
            cells[(row, column)] = int(label)
    return cells


def _shade(label: int, confidence: float) -> str:
    """The class's colour, dimmed where the model is unsure."""
    base = CLASS_COLORS[int(label) % len(CLASS_COLORS)]
    return dimmed(base, 0.25 + 0.35 * float(np.clip(confidence, 0, 1)))


def notify_saved(where, run: LiveRun, path) -> None:
    """Saved: the file it went to, and why elsewhere where the run folder refused it."""
    if run.save_note is not None:
        where.notify(f"Saved {path}: {run.save_note}", title="Checkpoint saved elsewhere",
                     severity="warning", timeout=15, markup=False)  # fmt: skip
    else:
        where.notify(f"Saved {path}", title="Checkpoint", markup=False)


class ConfirmQuit(ModalScreen[str]):
    """Quit, reload, open or a new run while the run has steps not saved yet: save first,
    discard them, or cancel (the run stays paused)."""

    BINDINGS = [
        Binding("s", "answer('save')", "Save", tooltip="Save a checkpoint, then go on"),
        Binding("y,d", "answer('discard')", "Discard", tooltip="Go on without saving"),
        Binding("n,escape", "answer('stay')", "Cancel", tooltip="Do nothing; the run stays paused"),
    ]

    def __init__(self, steps: int, doing: str = "quit", can_save: bool = True,
                 state: str = "paused", at: int | None = None):  # fmt: skip
        super().__init__()
        self.steps, self.doing, self.can_save = steps, doing, can_save
        self.state, self.at = state, at  # the run's state and step, as the pane shows them

    def compose(self) -> ComposeResult:
        where = f" at step {self.at}" if self.at is not None else ""
        with Vertical(id="confirm-box"):
            yield Label(
                f"The run has {self.steps} step(s) not saved in a checkpoint "
                f"({self.state}{where}). To {self.doing} discards them.",
                markup=False,
            )
            if not self.can_save:
                yield Label(
                    "A step is still running in your code, so nothing can be saved until it "
                    "returns.",
                    markup=False,
                )
            save = f"s save, then {self.doing}   " if self.can_save else ""
            yield Label(f"{save}d {self.doing} without saving   n cancel", markup=False)

    def action_answer(self, answer: str) -> None:
        if answer == "save" and not self.can_save:
            self.notify("A step is still running in your code: it cannot be saved now.")
            return
        self.dismiss(answer)


class NewRun(ModalScreen[str]):
    """space after a run ended: a new run from a fresh experiment(), or go on from here."""

    BINDINGS = [
        Binding("f", "answer('fresh')", "New run", tooltip="Fresh weights from experiment()"),
        Binding("c", "answer('continue')", "Continue", tooltip="Keep these weights, keep counting"),
        Binding("escape,n", "answer('stay')", "Cancel", tooltip="Do nothing"),
    ]

    def __init__(self, step: int, state: str):
        super().__init__()
        self.step, self.state = step, state

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(f"The run is {self.state} at step {self.step}.", markup=False)
            yield Label(
                "f new run: fresh weights and optimizer (the file runs again)", markup=False
            )
            yield Label(f"c continue from step {self.step} (a new run, its parent named)",
                        markup=False)  # fmt: skip
            yield Label("escape cancel", markup=False)

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)


__all__ = ["TrainingScreen", "ConfirmQuit", "NewRun", "Twin", "notify_saved"]
