"""Pane 4, the Training dashboard: a live run of the experiment, watched closely.

The run itself (tui/live.py) steps in a worker thread through the engine's Trainer and
belongs to the session (``session.run``); this pane sends it commands and draws only from
the snapshots it posts (``session.view``): on each snapshot the status line (progress,
pace, throughput per device, watchpoints), and at most every REPLOT seconds the loss plot
(with an earlier run's curve laid over it, ``h``), per-layer gradient norms and
update/weight ratios, activation statistics, and for 2-D data the decision boundary, for
1-D regressions the fitted line and the parameters against the truth.
"""

from __future__ import annotations

import time

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult, ScreenStackError
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.css.query import NoMatches
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Header, Label, Static

from nnbench.engine.formatting import number

from . import pace as P
from .live import (
    STATS_EVERY,
    LiveRun,
    RunView,
    Twin,
    in_user_thread,
    ratio_verdict,
    start_user_thread,
)
from .messages import RunUpdate
from .plots import Series, line_plot, loss_series
from .runsettings import HistoryScreen, RunSettingsScreen, WatchScreen, earlier_curve, regression
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
        *P.bindings("training"),
        Binding("e", "settings", "Edit", tooltip="Edit the run: lr, epochs, batch size"),
        Binding("W", "watchpoints", "Watch", tooltip="Watchpoints: on/off, threshold, and "
                "what they do (pause before the update, skip the batch, or go on)"),
        Binding("h", "history", "Runs", tooltip="This experiment's runs: lay an earlier "
                "run's loss curve over this one"),
        Binding("l", "log_scale", "Log", tooltip="Log scale for the loss axis"),
        Binding("w", "twin", "Twin", tooltip="Train a torch.nn twin beside the engine's run"),
        Binding("a", "anomaly", "Find NaN", tooltip="Open the watchpoint's batch in the Graph "
                "pane with anomaly detection on, and say which gradient was large or NaN"),
        Binding("v", "view", "View", tooltip="Switch layers / decision boundary or fit at 80 "
                "columns"),
    ]  # fmt: skip

    def __init__(self):
        super().__init__()
        self.log_scale = False
        self.boundary_view = False
        self.overlay = None  # (run id, steps, losses) of an earlier run, laid over the plot
        self._plotted = (0, 0.0)
        self._told: set[str] = set()

    @property
    def run(self) -> LiveRun | None:
        """The session's run, for sending it commands (what it shows comes from ``view``)."""
        return self.app.session.run

    @property
    def view(self) -> RunView | None:
        view = self.app.session.view
        return view if view is not None and view.latest is not None else None

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

    def on_screen_resume(self) -> None:
        self.redraw(force=True)

    # ------------------------------------------------------------------ the run
    def on_experiment_changed(self, _message) -> None:
        self.experiment_changed()

    def experiment_changed(self) -> None:
        if self.app.session.run is None:
            self.overlay = None
            for region in ("#train-plot", "#train-layers", "#train-boundary"):
                self.query_one(region, Static).update("")  # the old run's figures go with it
        if ErrorPanel.swap(self, "#training-body"):
            self.redraw(force=True)

    def on_run_update(self, message: RunUpdate) -> None:
        """A snapshot arrived (the app has taken it into the view): say what changed."""
        view = self.view
        if view is None:
            return
        self.tell(view)
        self.redraw()

    async def new_run(self, twin: bool = False, parent: LiveRun | None = None) -> bool:
        """A run of the session's experiment, made off the UI thread (a twin converts the
        model to torch; the run folder is made), then started in its worker."""
        session = self.app.session
        experiment = session.experiment
        if self.app.state == "loading":
            self.notify("The experiment is still loading.", severity="warning")
            return False
        if experiment is None or not experiment.trainable:
            self.notify(untrainable(experiment), severity="warning", markup=False)
            return False
        publish = self.app.post_snapshot
        try:
            run = await in_user_thread(
                lambda: LiveRun(session, twin=twin, parent=parent, publish=publish,
                                epochs=session.epochs, watch=session.watch)
            )  # fmt: skip
        except Exception as error:  # no torch for the twin, a loader without len(), ...
            self.notify(f"{error}", title="Could not start the run",
                        severity="warning", markup=False)  # fmt: skip
            return False
        if session.experiment is not experiment:
            return False  # another experiment was opened meanwhile
        self.app.adopt_run(run, RunView(run.serial, session.view if parent else None))
        self._plotted, self._told = (0, 0.0), set()
        if session.pace is not None:
            run.send("pace", session.pace)
        start_user_thread(run.loop)  # a daemon thread: a stuck step never holds up quitting
        return True

    @work(group="start", exclusive=True)
    async def start(self, then: str, twin: bool = False) -> None:
        """Begin training (``then`` is "play" or "step"). The first run trains the weights
        as loaded; once a run has ended, ask: a fresh run, or continue from here."""
        run, view = self.run, self.view
        if run is not None and view is not None and view.step > 0 and not view.active:

            def chosen(answer: str | None) -> None:
                if answer == "fresh":
                    self.fresh_run(then)
                elif answer == "continue":
                    self.continue_run(run, then)

            self.app.push_screen(NewRun(view.step, view.state), chosen)
        elif run is not None and view is not None and not view.active:
            self.fresh_run(then)  # ended before its first step: start again
        elif await self.new_run(twin=twin):
            self._go(then)

    @work(group="start", exclusive=True)
    async def continue_run(self, parent: LiveRun, then: str) -> None:
        if await self.new_run(parent=parent):
            self._go(then)

    def fresh_run(self, then: str, twin: bool = False) -> None:
        """A new run on a fresh experiment(): the file runs again (in a user thread)."""
        doing = "restart the run with a twin" if twin else "start a new run"

        def loaded() -> None:
            self.start_new(then, twin)

        self.app.confirm_then(doing, lambda: self.app.start_load(self.app.session.spec, loaded))

    @work(group="start", exclusive=True)
    async def start_new(self, then: str, twin: bool) -> None:
        if await self.new_run(twin=twin):
            if twin:
                self._twin_started(restarted=True)
            self._go(then)

    def _go(self, then: str) -> None:
        if then == "step":
            self.run.step_once()
        elif then == "play":
            self.run.play()

    # ------------------------------------------------------------------ actions
    def action_play(self) -> None:
        view = self.view
        if self.run is not None and view is not None and view.active:
            if view.state == "running":
                self.run.pause()
            else:
                self.run.play()
            return
        self.start("play")

    def action_step(self) -> None:
        view = self.view
        if self.run is not None and view is not None and view.active:
            self.run.step_once()
            return
        self.start("step")

    def action_stop(self) -> None:
        view = self.view
        if self.run is not None and view is not None and view.active:
            self.run.stop()
            self.notify("Stopped. Press space for a new run or to continue this one.")

    def action_slower(self) -> None:
        self._pace(P.slower(self.app.session.pace))

    def action_faster(self) -> None:
        self._pace(P.faster(self.app.session.pace))

    def _pace(self, pace) -> None:
        self.app.session.pace = pace
        if self.run is not None:
            self.run.send("pace", pace)
        self.app.update_header()
        self.redraw(force=True)

    @work(group="save")
    async def action_checkpoint(self) -> None:
        run, view = self.run, self.view
        if run is None or view is None or view.step == 0:
            self.notify("Nothing trained yet to save.", severity="warning")
            return
        try:
            path, note = await in_user_thread(run.checkpoint)  # waits for the step in flight
        except Exception as error:  # no folder at all would take it: the run goes on
            self.notify(f"{type(error).__name__}: {error}. The run goes on.",
                        title="Checkpoint not saved", severity="error", timeout=15,
                        markup=False)  # fmt: skip
            return
        notify_saved(self, note, path)

    def action_settings(self) -> None:
        experiment = self.app.session.experiment
        if experiment is None or not experiment.trainable:
            self.notify(untrainable(experiment), severity="warning", markup=False)
            return
        view = self.view
        current = current_settings(experiment, view, self.app.session.epochs)

        def chosen(changes: dict | None) -> None:
            if changes:
                self.change_settings(changes)

        self.app.push_screen(RunSettingsScreen(experiment, current), chosen)

    def change_settings(self, changes: dict) -> None:
        """A live run changes between two steps (and records it); else the next run uses
        them."""
        session, view = self.app.session, self.view
        words = ", ".join(f"{k} {v:g}" for k, v in changes.items())
        if self.run is not None and view is not None and view.alive:
            self.run.send("settings", changes)
            note = " (from the next epoch)" if "batch_size" in changes else ""
            self.notify(f"The run goes on with {words}{note}; metrics.jsonl records it.",
                        title="Run settings", markup=False)  # fmt: skip
            return
        experiment = session.experiment
        if "lr" in changes:
            for group in experiment.optimizer.param_groups:
                group["lr"] = changes["lr"]
        if "batch_size" in changes:
            experiment.train_loader.batch_size = changes["batch_size"]
        if "epochs" in changes:
            session.epochs = changes["epochs"]
        self.notify(f"The next run uses {words}.", title="Run settings", markup=False)
        self.redraw(force=True)

    def action_watchpoints(self) -> None:
        session = self.app.session
        view = self.view
        current = view.watch if view is not None else session.current_watch()

        def chosen(watch) -> None:
            if watch is None:
                return
            session.watch = watch
            if self.run is not None and view is not None and view.alive:
                self.run.send("watch", watch)
            self.notify("Watchpoints set for this run and the next.", title="Watchpoints")

        self.app.push_screen(WatchScreen(current), chosen)

    def action_history(self) -> None:
        session = self.app.session
        experiment = session.experiment
        if experiment is None:
            return
        current = self.view.run_dir if self.view is not None else None

        def chosen(run_dir) -> None:
            if run_dir == "none":
                self.overlay = None
                self.redraw(force=True)
            elif run_dir is not None:
                self.load_overlay(run_dir)

        self.app.push_screen(HistoryScreen(session.runs_dir, experiment.name, current), chosen)

    @work(group="overlay", exclusive=True, thread=True)
    def load_overlay(self, run_dir) -> None:
        curve = earlier_curve(run_dir)  # reads metrics.jsonl: off the event loop
        self.app.call_from_thread(self._overlaid, curve)

    def _overlaid(self, curve) -> None:
        if curve is None or not curve[1]:
            self.notify("That run has no losses recorded.", severity="warning")
            return
        self.overlay = curve
        self.redraw(force=True)

    def action_log_scale(self) -> None:
        self.log_scale = not self.log_scale
        self.redraw(force=True)

    def action_view(self) -> None:
        self.boundary_view = not self.boundary_view
        self.redraw(force=True)

    def action_twin(self) -> None:
        if self.view is not None and self.run is not None and self.run.twin is not None:
            self.notify("The twin is already training beside this run.")
            return
        experiment = self.app.session.experiment
        refusal = twin_refusal_for(experiment)
        if refusal:
            self.notify(refusal, title="No twin", severity="warning", markup=False)
            return
        if self.view is None or self.view.step == 0:  # the weights are as loaded
            self.start_twin()
            return
        self.fresh_run("play", twin=True)  # the twin starts from the same initial weights

    @work(group="start", exclusive=True)
    async def start_twin(self) -> None:
        if self.run is not None:
            self.run.stop()
        if await self.new_run(twin=True):
            self._twin_started(restarted=False)
            self.run.play()

    def _twin_started(self, restarted: bool) -> None:
        message = "A torch.nn twin trains on the same batches from the same initial weights."
        if restarted:
            message += " The run restarted from step 0 so both start alike."
        self.notify(message, title="PyTorch twin")

    def action_anomaly(self) -> None:
        view = self.view
        if view is None or view.hit is None:
            self.notify("No watchpoint has fired in this run.")
            return
        self.app.open_anomaly(view.hit)

    # ------------------------------------------------------------------ drawing
    def redraw(self, force: bool = False) -> None:
        try:
            self._redraw(force)
        except (ScreenStackError, NoMatches):  # the app is closing: its widgets are going
            pass

    def _redraw(self, force: bool) -> None:
        hidden = self.app.screen is not self
        if self.app.session.error is not None or (hidden and not force) or not self.children:
            return  # hidden (the run goes on in its worker), or closing
        view = self.view
        # fixed-size regions: repaint them, no layout pass
        self.query_one("#train-status", Static).update(self.status_text(), layout=False)
        if view is None:
            return
        if view.state == "failed":
            self.query_one(ErrorPanel).display = True
            self.query_one(ErrorPanel).show(view.error)
        wide = self.size.width >= 120
        boundary = self.query_one("#train-boundary", Static)
        layers = self.query_one("#train-layers", Static)
        fit = regression(self.app.session.experiment) if view.parameters else None
        side = view.boundary is not None or fit is not None
        show_side = side and (wide or self.boundary_view)
        boundary.display = show_side
        layers.display = wide or not show_side
        now = time.perf_counter()
        if not force and (len(view.losses) == self._plotted[0] or now - self._plotted[1] < REPLOT):
            return  # the plot and the tables change slowly: once every REPLOT seconds is plenty
        self._plotted = (len(view.losses), now)
        if layers.display:
            layers.update(self.layers_text(), layout=False)
        if show_side:
            size = boundary.size
            if view.boundary is not None:
                if size.width > 10 and size.height > 4 and self.run is not None:
                    self.run.send("boundary", size.width, size.height - 1)
                boundary.update(self.boundary_text(), layout=False)
            else:
                boundary.update(fit_text(fit, view, size.width, size.height), layout=False)
        self.query_one("#train-plot", Static).update(self.plot_text(), layout=False)

    def tell(self, view: RunView) -> None:
        """One notification per thing that needs a person's attention: each watchpoint the
        first time it fires in a run, a pause, the end, a failed or redirected save."""
        latest = view.latest
        things = {
            "folder": (latest.folder_error, "No run folder", "error"),
            "note": (latest.save_note, "Checkpoint saved elsewhere", "warning"),
            "save": (latest.save_error and f"{latest.save_error}. The run goes on without it.",
                     "Checkpoint not saved", "error"),
        }  # fmt: skip
        for key, (text, title, severity) in things.items():
            told = f"{key}:{text.split(';')[0] if text else ''}"
            if text and told not in self._told:
                self._told.add(told)
                self.notify(text, title=title, severity=severity, timeout=15, markup=False)
        for hit in latest.hits:
            key = f"watch:{hit.kind}"
            if hit.action == "pause":
                key += f":{hit.step}"  # each pause is news: the run waits for the learner
            if key in self._told:
                continue
            self._told.add(key)
            what = {"pause": "paused before its update", "skip": "the batch was skipped",
                    "continue": "the update was applied"}[hit.action]  # fmt: skip
            more = "" if hit.action == "pause" else " (said once; W sets watchpoints)"
            self.notify(f"Step {hit.step}: {hit.cause}; {what}{more}. a finds it in the Graph.",
                        title=f"Watchpoint {hit.kind}", severity="warning", timeout=10,
                        markup=False)  # fmt: skip
        end = f"end:{latest.state}"
        if latest.state in ("done", "failed") and end not in self._told:
            self._told.add(end)
            if latest.state == "done":
                saved = latest.last_checkpoint
                where = f"checkpoint {saved}" if saved else "not saved"
                self.notify(f"Training finished; {where}", title="Done", markup=False)
            else:
                self.notify(latest.error.summary, title="Training failed", severity="error",
                            markup=False)  # fmt: skip

    def status_text(self) -> Text:
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        session = self.app.session
        if view is None:
            experiment = session.experiment
            if experiment is not None and not experiment.trainable:
                text.append(untrainable(experiment), style="bold")
                return text
            text.append(f"{session.name}: press space to start training, n for one step",
                        style="bold")  # fmt: skip
            text.append(f"\npace {P.label(session.pace)} (- / +)", style="dim")
            return text
        step = view.step
        share = step / max(view.total_steps, 1)
        bar = "█" * int(20 * share) + "░" * (20 - int(20 * share))
        alarm = view.state in ("watchpoint", "failed")
        text.append(f"{view.state:<10}", style="bold red" if alarm else "bold")
        text.append(f" {bar} step {step}/{view.total_steps}  epoch {view.epoch}/{view.epochs}")
        text.append(f"  {P.label(view.pace)}")
        if view.eta is not None:
            text.append(f"  ETA {duration(view.eta)}")
        text.append("\n")
        if view.loss is not None:
            text.append(f"loss {number(view.loss)}")
        text.append(f"  lr {number(view.lr) if view.lr is not None else '-'}")
        if view.val:
            _, val_loss, accuracy = view.val[-1]
            text.append(f"  val {number(val_loss)}")
            if accuracy is not None:
                text.append(f"  acc {100 * accuracy:.1f}%")
        for device, speed in view.throughput:
            text.append(f"  {device}: {speed:,.0f} steps/s "
                        f"{speed * view.samples_per_step:,.0f} samples/s")  # fmt: skip
        if view.twin_difference is not None:
            text.append(f"\ntorch twin: max |engine - torch| loss {view.twin_difference:.2e}",
                        style="italic")  # fmt: skip
        if view.hit is not None:
            counts = ", ".join(f"{kind} fired {n}x" for kind, n in view.fired.items())
            hit = view.hit
            waits = "; paused before its update, space applies it" if view.waiting else ""
            text.append(f"\nwatchpoint at step {hit.step}: {hit.cause}{waits} ({counts}; "
                        "a: find it)", style="bold red")  # fmt: skip
        return text

    def plot_text(self) -> Text:
        view = self.view
        plot = self.query_one("#train-plot", Static)
        series = loss_series(view.steps, view.losses, view.val, view.twin_losses)
        if self.overlay is not None:
            name, steps, losses = self.overlay
            series.append(Series(f"run {name}", steps, losses, "+", "+", 14))
        color = uses_color(self.app)
        title = "loss" + (" (log)" if self.log_scale else "")
        width, height = max(30, plot.size.width), max(8, plot.size.height)
        built = line_plot(series, title, width, height, color, self.log_scale, xlabel="",
                          ascii=uses_ascii(self.app))  # fmt: skip
        text = Text.from_ansi(built) if color else Text(built)
        text.no_wrap, text.overflow = True, "crop"
        return text

    def layers_text(self) -> Text:
        view = self.view
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{'parameter':<14}{'grad norm':>11}{'upd/weight':>12}  rule\n", style="bold")
        for name, norm, ratio in view.layers:
            verdict = ratio_verdict(ratio)
            style = None if verdict.startswith("ok") else "yellow"
            text.append(
                f"{name:<14}{number(norm):>11}{number(ratio):>12}  {verdict}\n", style=style
            )
        if not view.layers:
            text.append(f"(per-layer numbers every {STATS_EVERY} steps)\n", style="dim")
        text.append(f"{'activation':<14}{'mean':>11}{'std':>12}  dead\n", style="bold")
        for name, mean, std, dead in view.activations:
            dead_text = "" if dead is None else f"{100 * dead:.0f}%"
            style = "red" if dead is not None and dead > 0.5 else None
            text.append(
                f"{name:<14}{number(mean):>11}{number(std):>12}  {dead_text}\n", style=style
            )
        return text

    def boundary_text(self) -> Text:
        data = self.view.boundary
        classes, confidence = data["classes"], data["confidence"]
        points = _point_cells(data, classes.shape[0] // 2, classes.shape[1])
        if uses_color(self.app):
            text = _boundary_in_colour(classes, confidence, points)
        else:
            text = _boundary_in_characters(classes, points)
        text.append("decision boundary (points: training data)", style="dim")
        return text


def untrainable(experiment) -> str:
    name = experiment.name if experiment is not None else "this experiment"
    return (
        f"{name} has nothing to train (no training data, or no optimizer or update): "
        "step through its graph in the Graph pane (2)"
    )


def twin_refusal_for(experiment) -> str:
    from .live import twin_refusal

    if experiment is None:
        return "no experiment is open"
    name = type(experiment.optimizer).__name__ if experiment.optimizer is not None else None
    why = twin_refusal(experiment.model, experiment.loss_fn, name, Twin.OPTIMIZERS)
    return f"The PyTorch twin cannot train beside {experiment.name}: {why}" if why else ""


def current_settings(experiment, view, epochs: int | None) -> dict:
    """The settings the edit dialog starts from: the run's, or the next run's."""
    lr = view.lr if view is not None else None
    if lr is None and experiment.optimizer is not None:
        lr = experiment.optimizer.param_groups[0]["lr"]
    return {
        "lr": lr if lr is not None else experiment.lr,
        "epochs": (view.epochs - 0) if view is not None else (epochs or experiment.epochs),
        "batch_size": getattr(experiment.train_loader, "batch_size", None),
    }


def fit_text(fit, view, width: int, height: int) -> Text:
    """The fitted line over the data, and each parameter against its true value."""
    from .runsettings import fit_plot

    text = Text(no_wrap=True, overflow="crop")
    truth = fit["truth"]
    text.append(f"{'parameter':<12}{'now':>10}{'truth':>10}\n", style="bold")
    for name, value in view.parameters:
        text.append(f"{name:<12}{number(value):>10}{number(truth[name]):>10}\n")
    rows = max(4, height - len(view.parameters) - 2)
    text.append(fit_plot(view.fit, max(20, width), rows))
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


def notify_saved(where, note: str | None, path) -> None:
    """Saved: the file it went to, and why elsewhere where the run folder refused it."""
    if note is not None:
        where.notify(f"Saved {path}: {note}", title="Checkpoint saved elsewhere",
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
