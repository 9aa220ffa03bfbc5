"""The nnbench app: four panes, one Textual mode each, around one Session."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from .graph import GraphScreen
from .inspector import HELP_KEYS as INSPECTOR_KEYS
from .inspector import InspectorScreen
from .live import StepInFlight, held, in_user_thread, interrupt_thread, user_threads_alive
from .messages import ExperimentChanged, Loaded, RunUpdate, StepperChanged, Traced
from .optimizers import OptimizersScreen
from .session import DEFAULT_EXPERIMENT, Loading, Session
from .stepper import Stepper
from .training import ConfirmQuit, TrainingScreen, notify_saved
from .widgets import OPEN_KEYS, HelpScreen, OpenScreen, app_filters, failed_open, uses_color

PANES = {
    "inspector": ("1", "Inspector", InspectorScreen),
    "graph": ("2", "Graph", GraphScreen),
    "optimizers": ("3", "Optimizers", OptimizersScreen),
    "training": ("4", "Training", TrainingScreen),
}


SETTLE_WAIT = 0.5  # seconds a question waits for the training step in flight
QUIT_WAIT = 0.3  # seconds the process waits for the user's threads before it exits anyway
SIGNAL_WAIT = 3.0  # seconds SIGTERM/SIGHUP/SIGINT wait for the step in flight before exiting
SIGNALS = {"SIGTERM": 143, "SIGHUP": 129, "SIGINT": 130}  # exit codes, as nnbench train's
HANGUP = SIGNALS["SIGHUP"]
EXIT_GRACE = 3.0  # seconds a signalled app may take to restore the terminal and exit


TRACE_WAIT = 10.0  # seconds a trace waits for the training step in flight


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

    def __init__(
        self,
        spec: str = DEFAULT_EXPERIMENT,
        startup_probe: float | None = None,
        handle_signals: bool = False,
        ascii: bool = False,
    ):
        """``handle_signals`` (the real command, not tests): SIGTERM, SIGHUP and SIGINT
        save the run's unsaved steps and exit 143 / 129 / 130 through Textual's own exit,
        which restores the terminal. ``ascii``: draw only ASCII characters (the -ascii
        class picks ASCII borders; a line filter turns whatever else is drawn to ASCII)."""
        super().__init__()
        self.ascii = ascii
        if ascii:
            self.add_class("-ascii")
        if not uses_color(self) and not self.no_color:
            self.theme = "ansi-dark"  # 16 colours: the terminal's own, which it draws legibly
        self.handle_signals = handle_signals
        self.signalled: int | None = None  # the exit code of the first signal received
        self.session = Session(spec)
        self.stepper: Stepper | None = None
        self._traces = 0  # the newest trace asked for: an older one that ends late is dropped
        self.panes: list[Screen] = []
        self.state = "loading"
        self.startup_probe = startup_probe

    # ------------------------------------------------------------------ start-up
    def on_mount(self) -> None:
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            for name, code in SIGNALS.items():
                number = getattr(signal, name, None)
                if number is not None:
                    loop.add_signal_handler(number, self.on_signal, code)
        self.update_header()
        if self.startup_probe is not None:
            self.call_after_refresh(self._report_first_paint)
        self.load(self.session.spec)

    def _report_first_paint(self) -> None:
        elapsed = time.time() - self.startup_probe
        self.exit(result=elapsed)

    def get_line_filters(self):
        return app_filters(self, super().get_line_filters())

    def get_key_display(self, binding: Binding) -> str:
        shown = super().get_key_display(binding)
        if self.ascii and not shown.isascii():  # ⏎, ↑: the key's name instead
            modifiers, key = binding.parse_key()
            shown = "+".join([*modifiers, key])
        return shown

    def register_pane(self, pane: Screen) -> None:
        if pane not in self.panes:
            self.panes.append(pane)

    # ------------------------------------------------------------------ the experiment
    def start_load(
        self, spec: str, then: Callable[[], None] | None = None, keep: bool = False
    ) -> None:
        """Load ``spec`` in place of the open experiment; ``then`` runs once it is open.
        ``keep``: a load that fails leaves a working experiment open (see ``on_loaded``)."""
        self.state = "loading"
        self.update_header()
        self.load(spec, then, keep)

    @work(exclusive=True, group="load")
    async def load(
        self, spec: str, then: Callable[[], None] | None = None, keep: bool = False
    ) -> None:
        # the user's file runs in a daemon thread: an endless one never holds up quitting,
        # and a newer load (exclusive) makes this one's result go unused
        loading = await in_user_thread(self._build, spec, interrupt=True)
        self.post_message(Loaded(loading, then, keep))

    def _build(self, spec: str) -> Loading:
        """The experiment and the Graph pane's trace of its example batch (user thread)."""
        from .session import _source

        loading = self.session.build(spec)
        experiment = loading.experiment
        if experiment is not None:
            try:
                loading.stepper = Stepper(experiment, experiment.example_batch)
            except BaseException as error:  # the user's forward failed: show it like a load error
                from nnbench.engine.workbench.experiment import user_error

                loading.error = user_error(_source(spec), error, during="running its forward")
                loading.experiment = None
        return loading

    def on_loaded(self, message: Loaded) -> None:
        """Install what was loaded. A file opened with o that fails does not replace a
        working experiment: the Open dialog comes back with the path and why it failed.
        R (and the first load) always install, so a broken file shows its error screen."""
        session, loading = self.session, message.loading
        working = session.error is None and session.experiment is not None
        if message.keep and loading.error is not None and working:
            self.state = "ready"
            self.update_header()
            self.open_again(loading.spec, failed_open(loading.error, session.name))
            return
        session.install(loading)
        self.stepper = loading.stepper
        if session.error is None:
            self.state = "ready"
        else:
            self.state = "error"
            self.notify(
                session.error.summary, title="The experiment failed", severity="error", markup=False
            )
        self.experiment_changed()
        if session.error is None and message.then is not None:
            message.then()

    def new_stepper(
        self, new_batch: bool = False, batch=None, anomaly: bool = False, then=None
    ) -> None:
        """Trace the experiment's forward again for the Graph pane, in a user thread (a
        large forward takes a while) between two training steps; the pane hears of it
        (StepperChanged) when it is ready, and ``then`` runs."""
        experiment = self.session.experiment
        if experiment is None:
            self.stepper = None
            return
        if batch is None:
            batch = self.session.next_batch() if new_batch else experiment.example_batch
        self._traces += 1
        self.trace(self._traces, experiment, batch, anomaly, then)

    @work(exclusive=True, group="trace")
    async def trace(self, serial: int, experiment, batch, anomaly: bool, then) -> None:
        run = self.session.run

        def traced():
            lock = run.lock if run is not None else contextlib.nullcontext()
            if run is not None and not run.lock.acquire(timeout=TRACE_WAIT):
                raise StepInFlight("a training step is still running in your code; the graph "
                                   "was not traced again (r tries again)")  # fmt: skip
            try:
                return Stepper(experiment, batch, anomaly=anomaly)
            finally:
                if run is not None:
                    run.lock.release()
            del lock

        try:
            stepper = await in_user_thread(traced, interrupt=True)
        except BaseException as error:  # the user's forward failed, or a step is stuck
            self.post_message(Traced(serial, None, error, then))
            return
        self.post_message(Traced(serial, stepper, None, then))

    def on_traced(self, message: Traced) -> None:
        if message.serial != self._traces or self.session.experiment is None:
            return  # a newer trace was asked for, or the experiment went
        error = message.error
        if isinstance(error, StepInFlight):
            self.notify(str(error), title="Training step in flight", severity="warning")
            return
        if error is not None:  # the user's forward failed: show it like a load error
            from pathlib import Path

            from nnbench.engine.workbench.experiment import user_error

            self.session.error = user_error(
                Path(self.session.experiment.source), error, during="running its forward"
            )
            self.session.experiment = None
            self.stepper = None
            self.state = "error"
            self.experiment_changed()
            return
        self.stepper = message.stepper
        graph = self.pane(GraphScreen)  # runs ``then`` once it shows the new trace
        for pane in self.panes:
            pane.post_message(StepperChanged(message.then if pane is graph else None))
        if graph is None and message.then is not None:
            message.then(message.stepper)

    def experiment_changed(self) -> None:
        """Tell the panes: another experiment, a reload, a device move."""
        self.update_header()
        for pane in self.panes:
            pane.post_message(ExperimentChanged())

    # ------------------------------------------------------------------ the run
    def post_snapshot(self, snapshot) -> None:
        """The run's worker calls this (from its thread) with each snapshot."""
        self.post_message(RunUpdate(snapshot))

    def adopt_run(self, run, view) -> None:
        self.session.adopt(run, view)
        self.update_header()

    def on_run_update(self, message: RunUpdate) -> None:
        view = self.session.view
        if view is None or not view.take(message.snapshot):
            return  # a snapshot of a run that has been replaced
        self.update_header()
        pane = self.pane(TrainingScreen)
        if pane is not None and pane.is_mounted:
            pane.on_run_update(message)

    def pane(self, kind):
        return next((p for p in self.panes if isinstance(p, kind)), None)

    def update_header(self) -> None:
        from . import pace

        session = self.session
        state = self.state
        view = session.view
        if view is not None and view.latest is not None and view.state != "stopped":
            # the counts are on the pane's own status line
            state = f"training {view.state} · {pace.label(view.pace)}"
        elif self.stepper is not None and state == "ready":
            s = self.stepper
            if 0 < s.position < s.total:
                state = f"{s.phase} {s.position}/{s.total}"
        self.sub_title = f"{session.name} · {session.device} · {state}"

    def run_lock(self):
        """The live training run's lock (so a pane that touches the model waits, briefly,
        for the step in flight), else a lock nobody else holds."""
        run = self.session.run
        if run is not None:
            return held(run.lock)  # StepInFlight if a step is stuck in the user's code
        return contextlib.nullcontext()

    def training_run(self):
        return self.session.run

    def open_anomaly(self, hit) -> None:
        """The Graph pane on the batch that fired a watchpoint, with anomaly detection on,
        and what the watchpoint found (a large or NaN gradient names its parameter)."""

        def traced(stepper) -> None:
            self.switch_mode("graph")
            found = stepper.anomaly.forward if stepper is not None else None
            if found is None:
                self.notify(
                    f"No NaN or Inf in this batch's forward with the current weights. The "
                    f"watchpoint at step {hit.step} said: {hit.cause}.",
                    title=f"Watchpoint {hit.kind}", timeout=15, markup=False,
                )  # fmt: skip

        self.new_stepper(batch=hit.batch, anomaly=True, then=traced)

    # ------------------------------------------------------------------ actions
    def action_reload(self) -> None:
        self.confirm_then("reload", lambda: self.start_load(self.session.spec))

    def action_open(self, typed: str = "", said: str = "") -> None:
        from nnbench.engine.workbench.experiment import sample_names, sample_summary

        samples = [(name, sample_summary(name)) for name in sample_names()]

        def chosen(spec: str | None) -> None:
            if spec:
                self.confirm_then(f"open {spec}", lambda: self.start_load(spec, keep=True))

        self.push_screen(OpenScreen(samples, typed, said), chosen)

    def open_again(self, typed: str, said: str) -> None:
        """The Open dialog once more, with the path that failed and why."""
        if any(isinstance(screen, OpenScreen) for screen in self.screen_stack):
            self.notify(said, title="Not opened", severity="error", timeout=15, markup=False)
            return
        self.action_open(typed, said)

    @work(exclusive=True, group="device")
    async def action_toggle_device(self) -> None:
        """Between two steps, in a user thread (moving a model takes a while); a run goes
        on on the new device."""
        run = self.session.run

        def move():
            if run is not None and not run.lock.acquire(timeout=TRACE_WAIT):
                return False, (
                    "a training step is still running in your code; try again when it "
                    "returns (x stops the run after that step)"
                )
            try:
                return self.session.toggle_device()
            finally:
                if run is not None:
                    run.lock.release()

        moved, message = await in_user_thread(move)
        self.notify(
            message, title="Device", severity="information" if moved else "warning", markup=False
        )
        if moved:
            self.stepper = None
            self.new_stepper()
            self.experiment_changed()

    def action_quit(self) -> None:
        self.confirm_then("quit", self.exit)

    # ------------------------------------------------------------------ unsaved steps
    def confirm_then(self, doing: str, proceed: Callable[[], None]) -> None:
        """Do what replaces the run (quit, reload, open, a new run), asking first (save /
        discard / cancel) while the run has steps not saved in a checkpoint."""
        if any(isinstance(screen, ConfirmQuit) for screen in self.screen_stack):
            return  # one question at a time
        run, view = self.session.run, self.session.view
        if run is None or view is None or view.latest is None:
            if run is not None:
                run.stop()
            proceed()
            return
        self.run_worker(self._ask(run, view, doing, proceed), group="ask", exclusive=True)

    async def _settle(self, run, view, wait: float) -> bool:
        """Hold the run and wait (up to ``wait`` seconds) until its worker says it has
        stopped stepping; True if it has (then ``view`` shows the count to ask about)."""
        asked = run.hold()  # pause first, then wait for the step in flight
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            latest = view.latest
            if not latest.alive or (latest.acked >= asked and run.settled()):
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # the snapshot that acknowledged it is taken
        return run.settled() and (view.latest.acked >= asked or not view.latest.alive)

    async def _ask(self, run, view, doing: str, proceed: Callable[[], None]) -> None:
        settled = await self._settle(run, view, SETTLE_WAIT)
        latest = view.latest
        if latest.unsaved_steps <= 0:  # nothing to lose (a stuck step is not saved anyway)
            run.stop()
            proceed()
            return
        self.refresh_training()  # the status line shows the count the question names
        state = "paused" if latest.state in ("running", "ready") else latest.state
        question = ConfirmQuit(latest.unsaved_steps, doing, settled, state, latest.step)
        answer = await self.push_screen_wait(question)
        if answer == "stay":
            return  # the run stays paused
        if answer == "discard":
            run.abandon()
        else:
            try:
                path, note = await in_user_thread(run.checkpoint)
            except Exception as error:
                self.notify(
                    f"Could not save the checkpoint: {type(error).__name__}: {error}. "
                    f"Did not {doing}; the run is paused.",
                    title="Not saved", severity="error", timeout=15, markup=False,
                )  # fmt: skip
                return
            notify_saved(self, note, path)
            run.stop()
        proceed()

    # ------------------------------------------------------------------ signals
    def on_signal(self, code: int) -> None:
        """A signal from outside (the loop runs this on its thread): nobody can be asked,
        so the run's unsaved steps are saved, then the app exits with ``code``. A second
        signal exits at once (the last checkpoint stays)."""
        if self.signalled is not None:
            self.exit(return_code=self.signalled)
            return
        self.signalled = code
        self.run_worker(self._save_and_exit(code), group="signal", exclusive=True)

    async def _save_and_exit(self, code: int) -> None:
        run, view = self.session.run, self.session.view
        if run is not None and view is not None and view.latest is not None:
            # the step in flight finishes; none starts after it
            settled = await self._settle(run, view, SIGNAL_WAIT)
            if settled and view.latest.unsaved_steps > 0:
                with contextlib.suppress(Exception):  # exits anyway; the last one stays
                    await in_user_thread(run.save)
            if view.latest.active:
                run.end("interrupted")
        if code == HANGUP:
            # The terminal is gone: there is nothing to restore, and Textual's shutdown can
            # block for ever writing to it (its writer thread dies on the closed terminal).
            os._exit(code)
        self.exit(return_code=code)
        exit_later(code, EXIT_GRACE)  # whatever shutdown meets, the process ends

    def refresh_training(self) -> None:
        pane = self.pane(TrainingScreen)
        if pane is not None and pane.is_mounted:
            pane.redraw(force=True)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_sections()))

    def inspect(self, key: str | None) -> None:
        self.switch_mode("inspector")
        pane = self.pane(InspectorScreen)
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
    names = {"question_mark": "?", "left_square_bracket": "[", "right_square_bracket": "]",
             "minus": "-", "plus": "+", "equals_sign": "="}  # fmt: skip

    def keys(bindings):
        return [
            (" / ".join(names.get(k, k) for k in b.key.split(",")), b.tooltip or b.description)
            for b in bindings
        ]

    return [
        ("Everywhere", keys(NnbenchApp.BINDINGS) + [("ctrl+p", "command palette")]),
        ("Inspector pane (1)", INSPECTOR_KEYS),
        ("Graph pane (2)", keys(GraphScreen.BINDINGS)),
        ("Optimizers pane (3)", keys(OptimizersScreen.BINDINGS)),
        ("Training pane (4)", keys(TrainingScreen.BINDINGS)),
        ("Open dialog (o)", OPEN_KEYS),
    ]


def exit_later(code: int, seconds: float) -> None:
    """End the process with ``code`` after ``seconds`` unless it has ended by then."""
    timer = threading.Timer(seconds, os._exit, args=(code,))
    timer.daemon = True
    timer.start()


def exit_status(app: App) -> int:
    """The process's exit code: 1 if the app crashed (Textual has printed the traceback
    once the terminal was restored), else 0. Where the user's code still runs in a thread
    (an endless file, a step stuck in a sleep) the process ends now instead of waiting."""
    code = app.return_code or 0
    for thread in user_threads_alive():
        interrupt_thread(thread)  # an endless loop in the user's code stops now
    deadline = time.monotonic() + QUIT_WAIT
    for thread in user_threads_alive():
        thread.join(max(0.0, deadline - time.monotonic()))
    if user_threads_alive():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code
