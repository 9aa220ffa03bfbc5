"""The nnbench app: four panes, one Textual mode each, around one Session."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from .graph import GraphScreen
from .inspector import InspectorScreen
from .optimizers import OptimizersScreen
from .session import DEFAULT_EXPERIMENT, Session
from .stepper import Stepper
from .training import ConfirmQuit, TrainingScreen
from .widgets import HelpScreen, OpenScreen

PANES = {
    "inspector": ("1", "Inspector", InspectorScreen),
    "graph": ("2", "Graph", GraphScreen),
    "optimizers": ("3", "Optimizers", OptimizersScreen),
    "training": ("4", "Training", TrainingScreen),
}


class Loaded(Message):
    """An experiment finished loading (or failed to) in the loader thread."""

    def __init__(self, ok: bool, note: str = ""):
        super().__init__()
        self.ok, self.note = ok, note


class NnbenchApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "nnbench"
    MODES = {name: pane[2] for name, pane in PANES.items()}
    DEFAULT_MODE = "inspector"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        *(
            Binding(
                key,
                f"switch_mode('{name}')",
                label,
                show=False,
                id=name,
                tooltip=f"Show the {label} pane",
            )
            for name, (key, label, _) in PANES.items()
        ),  # the tab line under the header shows these
        Binding("d", "toggle_device", "Device", id="device", tooltip="Move it all: cpu <-> cuda"),
        Binding("o", "open", "Open", id="open", tooltip="Open a sample or an experiment file"),
        Binding("R", "reload", "Reload", id="reload", tooltip="Reload the experiment from disk"),
        Binding("question_mark", "help", "Help", id="help", tooltip="Every key, pane by pane"),
        Binding("q", "quit", "Quit", id="quit", tooltip="Quit nnbench"),
    ]

    def __init__(self, spec: str = DEFAULT_EXPERIMENT, startup_probe: float | None = None):
        super().__init__()
        self.session = Session(spec)
        self.stepper: Stepper | None = None
        self.panes: list[Screen] = []
        self.state = "loading"
        self.startup_probe = startup_probe

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        self.update_header()
        if self.startup_probe is not None:
            self.call_after_refresh(self._report_first_paint)
        self.load(self.session.spec)

    def _report_first_paint(self) -> None:
        elapsed = time.time() - self.startup_probe
        self.exit(result=elapsed)

    def register_pane(self, pane: Screen) -> None:
        if pane not in self.panes:
            self.panes.append(pane)

    # ------------------------------------------------------------------ the experiment
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self, spec: str) -> None:
        ok = self.session.load(spec)
        self.post_message(Loaded(ok))

    def on_loaded(self, message: Loaded) -> None:
        session = self.session
        self.stepper = None
        if message.ok:
            self.state = "ready"
            self.new_stepper()
        else:
            self.state = "error"
            self.notify(
                session.error.summary, title="The experiment failed", severity="error", markup=False
            )
        self.experiment_changed()

    def after_reload(self) -> None:
        """The session loaded afresh (by a pane): new stepper, every pane told."""
        self.state = "ready" if self.session.error is None else "error"
        self.stepper = None
        self.new_stepper()
        self.experiment_changed()

    def new_stepper(self, new_batch: bool = False, batch=None, anomaly: bool = False) -> None:
        experiment = self.session.experiment
        if experiment is None:
            self.stepper = None
            return
        if batch is None:
            batch = self.session.next_batch() if new_batch else experiment.example_batch
        try:
            with self.run_lock():
                self.stepper = Stepper(experiment, batch, anomaly=anomaly)
        except Exception as error:  # the user's forward failed: show it like a load error
            from pathlib import Path

            from nnbench.engine.experiment import user_error

            self.session.error = user_error(
                Path(experiment.source), error, during="running its forward"
            )
            self.session.experiment = None
            self.stepper = None
            self.state = "error"

    def experiment_changed(self) -> None:
        self.update_header()
        for pane in self.panes:
            pane.experiment_changed()

    def update_header(self) -> None:
        session = self.session
        state = self.state
        run = self.training_run()
        if run is not None and run.state not in ("stopped",):
            state = f"training {run.state}"  # the counts are on the pane's own status line
        elif self.stepper is not None and state == "ready":
            s = self.stepper
            if 0 < s.position < s.total:
                state = f"{s.phase} {s.position}/{s.total}"
        self.sub_title = f"{session.name} · {session.device} · {state}"

    def run_lock(self):
        """The live training run's lock while one is active (so a pane that touches the
        model waits for the step in flight), else a lock nobody else holds."""
        run = self.training_run()
        if run is not None and run.active:
            return run.lock
        return contextlib.nullcontext()

    def training_run(self):
        pane = next((p for p in self.panes if isinstance(p, TrainingScreen)), None)
        return pane.run if pane is not None else None

    def open_anomaly(self, batch) -> None:
        """The Graph pane on this batch, with anomaly detection on."""
        self.new_stepper(batch=batch, anomaly=True)
        self.switch_mode("graph")
        for pane in self.panes:
            if isinstance(pane, GraphScreen):
                pane.experiment_changed()
        found = self.stepper.anomaly.forward if self.stepper is not None else None
        if found is None:
            self.notify("No NaN or Inf in this batch's forward with the current weights.")

    # ------------------------------------------------------------------ actions
    def action_reload(self) -> None:
        self.state = "loading"
        self.update_header()
        self.load(self.session.spec)

    def action_open(self) -> None:
        from nnbench.engine.experiment import sample_names, sample_summary

        samples = [(name, sample_summary(name)) for name in sample_names()]

        def chosen(spec: str | None) -> None:
            if spec:
                self.state = "loading"
                self.load(spec)

        self.push_screen(OpenScreen(samples), chosen)

    def action_toggle_device(self) -> None:
        run = self.training_run()
        if run is not None and run.active:
            with run.lock:  # between two steps; the run goes on on the new device
                moved, message = self.session.toggle_device()
        else:
            moved, message = self.session.toggle_device()
        self.notify(
            message, title="Device", severity="information" if moved else "warning", markup=False
        )
        if moved:
            self.stepper = None
            self.new_stepper()
            self.experiment_changed()

    async def action_quit(self) -> None:
        run = self.training_run()
        if run is None or not run.active or not run.unsaved:
            self.exit()
            return

        def answered(answer: str) -> None:
            if answer == "save":
                run.save()
            if answer in ("save", "quit"):
                run.stop()
                self.exit()

        self.push_screen(ConfirmQuit(run.trainer.step - run.last_saved_step), answered)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_sections()))

    def inspect(self, key: str | None) -> None:
        self.switch_mode("inspector")
        pane = next((p for p in self.panes if isinstance(p, InspectorScreen)), None)
        if pane is not None:
            pane.rebuild()
            if key is None or not pane.select(key):
                self.notify("That node's tensor is not computed yet: step to it first.")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for name, (key, label, _) in PANES.items():
            yield SystemCommand(
                f"{label} pane", f"Show the {label} pane ({key})",
                lambda name=name: self.switch_mode(name),
            )  # fmt: skip
        yield SystemCommand(
            "Toggle device", "Move everything cpu <-> cuda (d)", self.action_toggle_device
        )
        yield SystemCommand("Open experiment", "A sample or a file (o)", self.action_open)
        yield SystemCommand("Reload experiment", "Run the file again (R)", self.action_reload)
        yield SystemCommand("Help", "Every key, pane by pane (?)", self.action_help)
        yield from super().get_system_commands(screen)


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    names = {"question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]"}

    def keys(bindings):
        return [
            (names.get(b.key, b.key).replace(",", " / "), b.tooltip or b.description)
            for b in bindings
        ]

    return [
        ("Everywhere", keys(NnbenchApp.BINDINGS) + [("ctrl+p", "command palette")]),
        ("Graph pane (2)", keys(GraphScreen.BINDINGS)),
        ("Optimizers pane (3)", keys(OptimizersScreen.BINDINGS)),
        ("Training pane (4)", keys(TrainingScreen.BINDINGS)),
        (
            "Inspector pane (1)",
            [("up / down", "choose a tensor"), ("enter", "open or close a section")],
        ),
    ]


def configure_terminal(color: str, no_mouse: bool) -> dict:
    """Settings that must be in place before Textual starts."""
    systems = {"auto": None, "16": "standard", "256": "256", "truecolor": "truecolor"}
    if systems[color] is not None:
        os.environ["TEXTUAL_COLOR_SYSTEM"] = systems[color]
    return {"mouse": not no_mouse}
