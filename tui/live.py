"""A training run the dashboard can play, pause, step, stop, save and move (no Textual).

The run's loop executes in a worker thread: it pulls one report at a time from the
engine's own ``Trainer.run()`` (the same loop as ``nnbench train``). Only that thread
changes the run. The UI sends it commands through a queue (play, pause, step, stop, pace,
settings, watchpoints), which it takes between two steps, and draws only from the
immutable ``Snapshot`` the worker posts after each command and, while training, every
POST_EVERY seconds (the UI keeps the histories in a ``RunView``). Every step, checkpoint,
device move and snapshot holds ``lock``, so no snapshot shows half a step.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import itertools
import math
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnbench.engine import autograd
from nnbench.engine.creation import tensor
from nnbench.engine.formatting import statistics, to_numpy
from nnbench.engine.tensor import Tensor
from nnbench.engine.workbench.experiment import user_error
from nnbench.engine.workbench.training import (
    EpochReport,
    StepReport,
    Trainer,
    Watch,
    Watchpoint,
    WatchpointReport,
    describe_os_error,
)

# The app's watchpoints where the experiment sets none: a NaN pauses before its update; a
# large gradient or dead units are said and the run goes on, so a learner sees divergence.
WATCH = Watch(
    nan=Watchpoint(True, None, "pause"),
    grad_norm=Watchpoint(True, 1e3, "continue"),
    dead_relu=Watchpoint(True, 0.9, "continue"),
)
POST_EVERY = 0.05  # seconds between snapshots while the run steps
STATS_EVERY = 10  # steps between per-layer statistics
AUTOSAVE_EVERY = 30.0  # seconds between automatic checkpoints (at an epoch's end)
BOUNDARY_EVERY = 20  # steps between computations of a 2-D decision boundary


USER_THREAD = "nnbench-user-code"  # the name of every thread that runs the user's code


def start_user_thread(target, *args) -> threading.Thread:
    """Run the user's code (loading, training) in a daemon thread nobody joins: whatever
    it does (``while True: pass``, ``time.sleep(1000)``), quitting never waits for it.
    Textual's thread workers run in asyncio's executor, whose threads are joined at exit."""
    thread = threading.Thread(target=target, args=args, name=USER_THREAD, daemon=True)
    thread.start()
    return thread


async def in_user_thread(fn, *args, interrupt: bool = False):
    """``await`` fn(*args) run in a user thread: its value, or what it raised (anything).
    With ``interrupt``, cancelling the await (a newer load, quitting) also stops the thread
    where it runs Python code (see ``interrupt_thread``)."""
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(value, error):
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(value)

    def target():
        try:
            value, error = None, None
            try:
                value = fn(*args)
            except Exception as raised:  # carried to the awaiting side, which decides
                error = raised
            except BaseException as raised:  # never into asyncio, where it would stop the loop
                error = UserCodeExit(raised)
            if threading.get_ident() in _interrupted:
                return  # abandoned: nobody waits, and what it raised is our own doing
            try:
                loop.call_soon_threadsafe(settle, value, error)
            except RuntimeError:  # the app has closed its loop: nobody is waiting any more
                pass
        except UserThreadCancelled:  # arrived after the user's code: nothing to say
            pass
        finally:
            _interrupted.discard(threading.get_ident())

    thread = start_user_thread(target)
    try:
        return await future
    except asyncio.CancelledError:
        if interrupt:
            interrupt_thread(thread)
        raise


class UserThreadCancelled(BaseException):
    """Raised inside an abandoned user thread to stop it (never shown to the user)."""


_interrupted: set[int] = set()  # idents of user threads told to stop


def interrupt_thread(thread: threading.Thread) -> None:
    """Stop an abandoned user thread: raise UserThreadCancelled in it at its next bytecode
    (a C-level call, such as time.sleep, finishes first). Its own code swallows it."""
    if thread.ident is None or not thread.is_alive():
        return
    _interrupted.add(thread.ident)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(UserThreadCancelled)
    )


class UserCodeExit(Exception):
    """sys.exit() or KeyboardInterrupt raised by the user's code in a user thread."""

    def __init__(self, raised: BaseException):
        super().__init__(f"{type(raised).__name__}: {raised}")
        self.raised = raised


class StepInFlight(RuntimeError):
    """The run's lock stayed taken: a training step is still running in the user's code."""


@contextlib.contextmanager
def held(lock, timeout: float = 0.25):
    """``with lock`` for the UI thread, which must never wait long: a step stuck in the
    user's code (a sleep, an endless loop) would otherwise freeze the app for good."""
    if not lock.acquire(timeout=timeout):
        raise StepInFlight(
            "a training step is still running in your code; try again when it returns "
            "(x stops the run after that step)"
        )
    try:
        yield
    finally:
        lock.release()


def user_threads_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == USER_THREAD and t.is_alive()]


class Twin:
    """A torch.nn copy of the model, trained on the same batches beside the engine's run."""

    OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop")  # the same names in torch.optim

    def __init__(self, experiment):
        import torch

        model, loss_fn, optimizer = experiment.model, experiment.loss_fn, experiment.optimizer
        name = type(optimizer).__name__ if optimizer is not None else None
        missing = twin_refusal(model, loss_fn, name, self.OPTIMIZERS)
        if missing:
            raise ValueError(f"the PyTorch twin cannot train beside {experiment.name}: {missing}")
        self.torch = torch
        self.threads: int | None = None
        self.model = model.to_torch()
        self.loss_fn = loss_fn.to_torch()
        group = {k: v for k, v in optimizer.param_groups[0].items()
                 if k not in ("params", "initial_lr")}  # fmt: skip
        self.optimizer = getattr(torch.optim, name)(self.model.parameters(), **group)
        self.losses: list[float] = []
        self.max_difference = 0.0

    def begin(self) -> None:
        """One torch thread while the twin trains (call it in the thread that trains): its
        ops are small, and torch's idle workers would spin and slow the engine's numpy
        work between them. OpenMP keeps the setting per thread, so ``close`` must run in
        the same thread."""
        self.threads = self.torch.get_num_threads()
        self.torch.set_num_threads(1)

    def close(self) -> None:
        """Give torch back the threads it had."""
        if self.threads is not None:
            self.torch.set_num_threads(self.threads)
            self.threads = None

    def step(self, batch, engine_loss: float) -> None:
        torch = self.torch
        inputs, target = (torch.from_numpy(np.array(to_numpy(t.array))) for t in batch)
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(inputs), target)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        self.max_difference = max(self.max_difference, abs(loss.item() - engine_loss))


@dataclass(frozen=True)
class Snapshot:
    """What a run looks like after a step or a command, posted by its worker to the UI.

    The histories (``steps``, ``losses``, ``val``, ``twin_losses``, ``hits``) hold only what
    is new since the previous snapshot: the UI appends them to its own lists (RunView).
    Nothing in a snapshot is changed after it is posted."""

    run: int  # the run's serial: a snapshot of an older run is ignored
    state: str
    alive: bool  # the worker still takes commands
    step: int
    epoch: int
    total_steps: int
    epochs: int
    acked: int = 0  # the number of the last command done
    steps: tuple = ()
    losses: tuple = ()
    val: tuple = ()  # (step, loss, accuracy)
    twin_losses: tuple = ()
    hits: tuple = ()  # WatchpointReports
    twin_difference: float | None = None
    loss: float | None = None  # the last step's
    lr: float | None = None
    batch_size: int | None = None
    samples_per_step: float = 0.0
    eta: float | None = None  # seconds, only while running
    pace: float | None = None
    throughput: tuple = ()  # (device, steps/s)
    waiting: WatchpointReport | None = None  # a paused watchpoint's step, not yet applied
    watch: Watch | None = None
    layers: tuple = ()  # (name, grad norm, update ratio)
    activations: tuple = ()  # (module, mean, std, dead share)
    boundary: dict | None = None
    fit: dict | None = None  # a 1-D regression's data and fitted line
    parameters: tuple = ()  # (name, value) of parameters with one element (regressions)
    saved_step: int = 0
    last_checkpoint: Path | None = None
    save_error: str | None = None
    save_note: str | None = None
    folder_error: str | None = None
    error: object = None
    run_dir: Path | None = None

    @property
    def unsaved_steps(self) -> int:
        return self.step - self.saved_step

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def then(self, newer: Snapshot) -> Snapshot:
        """One snapshot for two in a row (``newer`` after this one): the newer's figures,
        both's histories. The UI uses it to coalesce snapshots it has not drawn yet."""
        joined = {k: getattr(self, k) + getattr(newer, k) for k in HISTORIES}
        return dataclasses.replace(newer, **joined)


HISTORIES = ("steps", "losses", "val", "twin_losses", "hits")
ACTIVE = ("running", "paused", "watchpoint", "ready")


class RunView:
    """The UI thread's picture of a run, built only from its snapshots."""

    def __init__(self, serial: int, parent: RunView | None = None):
        self.serial = serial
        self.latest: Snapshot | None = None
        self.steps: list[int] = list(parent.steps) if parent else []
        self.losses: list[float] = list(parent.losses) if parent else []
        self.val: list[tuple] = list(parent.val) if parent else []
        self.twin_losses: list[float] = []
        self.hits: list[WatchpointReport] = []
        self.fired: dict[str, int] = {}  # watchpoint kind -> times fired

    def take(self, snapshot: Snapshot) -> bool:
        if snapshot.run != self.serial:
            return False
        self.latest = snapshot
        self.steps += snapshot.steps
        self.losses += snapshot.losses
        self.val += snapshot.val
        self.twin_losses += snapshot.twin_losses
        self.hits += snapshot.hits
        for hit in snapshot.hits:
            self.fired[hit.kind] = self.fired.get(hit.kind, 0) + 1
        return True

    def __getattr__(self, name):  # the latest snapshot's figures: view.state, view.step...
        latest = self.__dict__.get("latest")
        if latest is None:
            raise AttributeError(f"the run has posted no snapshot yet (asked for {name})")
        return getattr(latest, name)

    @property
    def hit(self) -> WatchpointReport | None:
        return self.hits[-1] if self.hits else None


_serials = itertools.count(1)


def twin_refusal(model, loss_fn, optimizer: str | None, known) -> str:
    """Why the twin cannot be made, in words ("" when it can)."""
    from nnbench.engine import nn

    if model is None:
        return "it has no nn model (its forward is hand-written); the twin copies an nn.Module"
    if not isinstance(loss_fn, nn.Module):
        return "its loss is a function, not an nn loss module such as nn.CrossEntropyLoss()"
    if optimizer not in known:
        what = f"its optimizer is {optimizer}" if optimizer else "it has no optimizer"
        return f"{what}; the twin knows {', '.join(known)}"
    from nnbench.engine.nn.utils import torch_twin_missing

    missing = torch_twin_missing(model) + torch_twin_missing(loss_fn)
    if missing:
        return f"torch.nn has no twin of {', '.join(missing)} (a module of your own)"
    return ""


class LiveRun:
    """A run of the session's experiment, stepped by its own worker thread (``loop``).

    Only the worker changes the run: the UI sends commands (``send``), which the worker
    takes between two steps, and reads what the worker posts (``publish`` gets a Snapshot
    after every command and, while the run goes, every POST_EVERY seconds). ``lock`` is
    held through each step, each checkpoint and each snapshot."""

    def __init__(
        self,
        session,
        runs_dir="runs",
        epochs: int | None = None,
        twin: bool = False,
        parent: LiveRun | None = None,
        publish=lambda snapshot: None,
        watch: Watch | None = None,
    ):
        """With ``parent`` it continues that run from its current weights and optimizer
        state: the steps keep counting and its run.json names the parent run."""
        self.serial = next(_serials)
        self.session = session
        self.publish = publish
        experiment = session.experiment
        self.experiment = experiment
        earlier = parent.trainer if parent is not None else None
        watch = watch or (parent.trainer.watch if parent else None) or experiment.watch or WATCH
        self.trainer = Trainer(
            experiment, runs_dir=runs_dir, watch=watch, stats_every=STATS_EVERY,
            parent=earlier.run_record if earlier else None,
            step=earlier.step if earlier else 0, epoch=earlier.epoch if earlier else 0,
        )  # fmt: skip
        self.start_step, self.start_epoch = self.trainer.step, self.trainer.epoch
        self.pending_batch_size: int | None = None  # set at the end of the epoch
        self._runs_for = epochs or experiment.epochs
        self.epochs = self.trainer.epoch + self._runs_for  # the epoch counter's end
        self.total_steps = self.start_step + self._runs_for * self.trainer.steps_per_epoch()
        self.lock = threading.RLock()
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self._numbers = itertools.count(1)
        self._finish_lock = threading.Lock()
        # the worker's state: nothing else writes these
        self.state = "ready"  # ready, running, paused, watchpoint, done, stopped, failed
        self.single_steps = 0
        self.pace: float | None = parent.pace if parent is not None else None
        self.stop_requested = False
        self.end_status = "stopped"
        self.steps: list[int] = list(parent.steps) if parent is not None else []
        self.losses: list[float] = list(parent.losses) if parent is not None else []
        self.val: list[tuple] = list(parent.val) if parent is not None else []
        self.hits: list[WatchpointReport] = []
        self.waiting: WatchpointReport | None = None
        self.last_step: StepReport | None = None
        self.error = None
        self.save_error: str | None = None  # the last checkpoint that could not be written
        self.save_note: str | None = None  # where checkpoints go while the run folder refuses
        self.folder_error: str | None = None  # why the run folder could not be made
        self.ended = False  # run.json says how the run ended; nothing rewrites that
        self.last_saved_step = parent.last_saved_step if parent is not None else 0
        self.last_checkpoint: Path | None = None
        self.last_saved_at: float | None = None  # None: the first epoch's end saves
        self.speed: dict[str, list[float]] = {}  # device -> [steps, seconds]
        self.boundary = None
        self.fit = None
        self.boundary_size = (40, 12)  # cells; the pane asks for what it has room for
        self.twin = Twin(experiment) if twin else None
        if self.twin is not None:
            self.trainer.step_callbacks.append(self.twin.step)
        self._sent = {k: len(getattr(self, k)) for k in ("steps", "losses", "val", "hits")}
        self._sent["twin_losses"] = 0
        self._acked = 0
        self._posted_at = 0.0
        self._rows = ((), ())
        self._rows_step = -1
        self._next_step_at = 0.0
        self._reports = self.trainer.run(self._runs_for)

    # ------------------------------------------------------------------ commands (any thread)
    def send(self, command: str, *args) -> int:
        """Ask the worker for ``command`` (play, pause, hold, step, stop, pace, watch,
        settings, boundary); returns its number, which snapshots acknowledge (``acked``)."""
        number = next(self._numbers)
        self.commands.put((number, command, args))
        return number

    def play(self) -> int:
        return self.send("play")

    def pause(self) -> int:
        return self.send("pause")

    def hold(self) -> int:
        """Pause and drop single steps still to come (a step in flight finishes)."""
        return self.send("hold")

    def step_once(self) -> int:
        return self.send("step")

    def stop(self, status: str = "stopped") -> int:
        """End after the step in flight; run.json records ``status`` (stopped, interrupted)."""
        return self.send("stop", status)

    def end(self, status: str) -> None:
        """Stop, and record ``status`` in run.json now, even while a step is stuck in the
        user's code (best effort); nothing rewrites it after."""
        self.stop(status)
        self._finish(status)

    def abandon(self) -> None:
        """Stop with the unsaved steps discarded."""
        self.end("abandoned")

    def settled(self) -> bool:
        """True when no step is in flight (the lock is free); never blocks."""
        if not self.lock.acquire(blocking=False):
            return False
        self.lock.release()
        return True

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def unsaved(self) -> bool:
        # a failed step raised before its update: the steps before it are whole and savable
        return self.trainer.step > self.last_saved_step

    @property
    def unsaved_steps(self) -> int:
        return self.trainer.step - self.last_saved_step

    @property
    def hit(self) -> WatchpointReport | None:
        return self.hits[-1] if self.hits else None

    def save(self) -> Path:
        """An atomic checkpoint of the weights and optimizer state, between two steps (call
        it from a thread of its own: it waits for the step in flight): in the run's folder,
        or where that cannot be written, in the temporary or home folder (``save_note``
        then says why; the previous such file is removed). Raises the run folder's OSError
        only if no place would take it."""
        with self.lock:
            path, error = self.trainer.save_with_fallback()
            if path is None:
                raise error
            if self.save_note is not None and self.last_checkpoint not in (None, path):
                with contextlib.suppress(OSError):  # a rolling fallback: one file, not many
                    self.last_checkpoint.unlink()
            self.save_note = None
            if error is not None:
                self.save_note = (
                    f"could not write the run folder ({describe_os_error(error)}); "
                    f"the checkpoint went to {path}"
                )
            self.last_saved_step = self.trainer.step
            self.last_checkpoint = path
            self.last_saved_at = time.perf_counter()
            self.save_error = None
            self._post()
            return path

    def checkpoint(self) -> tuple[Path, str | None]:
        """``save()``, and where the checkpoint went elsewhere, why (for the UI to say)."""
        with self.lock:
            return self.save(), self.save_note

    # ------------------------------------------------------------------ the loop (worker thread)
    def loop(self) -> None:
        self._make_folder()
        if self.twin is not None:
            self.twin.begin()
        try:
            with self.lock:
                self._post()
            while True:
                self._obey(self._wait())
                if self.stop_requested:
                    self._close("stopped")
                    return
                ready = self._wanted() and time.perf_counter() >= self._next_step_at
                if ready and not self._advance():
                    self._close("done")
                    return
        # BaseException: sys.exit() or a KeyboardInterrupt raised by the user's model is
        # the user's code failing, not a reason to take the app down
        except UserThreadCancelled:
            return  # the app is quitting and stopped this thread: how it ended is recorded
        except BaseException as error:
            if threading.get_ident() in _interrupted:
                return  # the user's code turned our stop into its own error: not theirs
            self.error = user_error(Path(self.experiment.source), error, during="training")
            self._close("failed")
        finally:
            if self.twin is not None:
                self.twin.close()

    def _wait(self) -> float | None:
        """How long to wait for a command before the next step (0: step now)."""
        if not self._wanted():
            return 0.25
        return max(0.0, self._next_step_at - time.perf_counter())

    def _obey(self, timeout: float) -> None:
        """Take the commands that have come (waiting up to ``timeout`` for the first)."""
        try:
            first = self.commands.get(timeout=timeout) if timeout else self.commands.get_nowait()
        except queue.Empty:
            return
        taken = [first]
        with contextlib.suppress(queue.Empty):
            while True:
                taken.append(self.commands.get_nowait())
        with self.lock:
            for number, command, args in taken:
                getattr(self, f"_do_{command}")(*args)
                self._acked = number
            self._post()

    def _do_play(self) -> None:
        if self.state in ("ready", "paused", "watchpoint"):
            self.state = "running"
            self.waiting = None

    def _do_pause(self) -> None:
        if self.state == "running":
            self.state = "paused"

    def _do_hold(self) -> None:
        self.single_steps = 0
        if self.state in ("running", "ready"):
            self.state = "paused"

    def _do_step(self) -> None:
        if self.state in ("ready", "paused", "watchpoint"):
            self.state = "paused"
            self.waiting = None
            self.single_steps += 1

    def _do_stop(self, status: str) -> None:
        self.end_status = status
        self.stop_requested = True

    def _do_pace(self, pace: float | None) -> None:
        self.pace = pace
        self._next_step_at = 0.0

    def _do_watch(self, watch: Watch) -> None:
        self.trainer.watch = watch

    def _do_settings(self, changes: dict) -> None:
        apply_settings(self, changes)

    def _do_boundary(self, columns: int, rows: int) -> None:
        if (columns, rows) != self.boundary_size:
            self.boundary_size = (columns, rows)
            self._update_boundary()

    def _make_folder(self) -> None:
        """The run's folder, before the first step: where it cannot be written (a read-only
        folder, a full disk) the run trains anyway, without metrics, and says why."""
        try:
            self.trainer.ensure_run(self._runs_for)
        except OSError as error:
            self.trainer.write_metrics = False
            self.folder_error = (
                f"cannot create the run folder under {self.trainer.runs_dir} "
                f"({describe_os_error(error)}); training goes on without metrics"
            )

    def _wanted(self) -> bool:
        return not self.stop_requested and (self.state == "running" or self.single_steps > 0)

    def _close(self, how: str) -> None:
        with self.lock:
            if how == "done":
                self._save_if_good()
                self.end_status = "done"
            self._reports.close()  # the trainer's hooks and metrics file go with it
            self.state = {"done": "done", "failed": "failed"}.get(how, "stopped")
            self._finish(self.end_status if how == "stopped" else how)
            self._post()

    def _finish(self, status: str) -> None:
        with self._finish_lock:
            record = self.trainer.run_record
            if record is not None and not self.ended:
                self.ended = True
                try:
                    record.finish(status, self.trainer.step)
                except (OSError, ValueError):
                    pass  # run.json is a record of the run, not the run: never fail over it

    def _advance(self) -> bool:
        device = str(self.session.device)
        started = time.perf_counter()
        with self.lock:
            try:
                report = next(self._reports)
            except StopIteration:
                return False
            self._take(report)
            seconds = time.perf_counter() - started
            if isinstance(report, StepReport):
                record = self.speed.setdefault(device, [0, 0.0])
                record[0] += 1
                record[1] += seconds
                if self.pace:
                    self._next_step_at = started + 1.0 / self.pace
            if not self._wanted() or started - self._posted_at >= POST_EVERY:
                self._post()
        return True

    def _take(self, report) -> None:
        if isinstance(report, StepReport):
            self.last_step = report
            self.steps.append(report.step)
            self.losses.append(report.loss)
            if self.single_steps:
                self.single_steps -= 1
            if report.step % BOUNDARY_EVERY == 0 or report.step == 1:
                self._update_boundary()
        elif isinstance(report, EpochReport):
            if self.pending_batch_size is not None:  # between two epochs: the loader is idle
                per_epoch = self.trainer.steps_per_epoch()
                self.experiment.train_loader.batch_size = self.pending_batch_size
                self.pending_batch_size = None
                self.recount(self.epochs, per_epoch)
            if report.val_loss is not None:  # an experiment without val_data has none
                self.val.append((report.step, report.val_loss, report.val_accuracy))
            since = self.last_saved_at
            if since is None or time.perf_counter() - since > AUTOSAVE_EVERY:
                self._save_if_good()
        elif isinstance(report, WatchpointReport):
            self.hits.append(report)
            if report.action == "pause":  # the update waits: the next step applies it
                self.state = "watchpoint"
                self.waiting = report
                self.single_steps = 0

    def _save_if_good(self) -> None:
        """A checkpoint at the first epoch's end, then at epoch ends at most every
        AUTOSAVE_EVERY seconds, and at the end of the run; only of finite weights: a
        diverged run never overwrites the last good one."""
        self.last_saved_at = time.perf_counter()  # a failed save waits its turn too
        if self.trainer.weights_finite():
            try:
                self.save()
            except Exception as error:  # a full disk must not end the run: say it, go on
                self.save_error = f"{type(error).__name__}: {error}"

    def _update_boundary(self) -> None:
        """The decision boundary (2-D classifiers) and the fitted line (1-D regressions)."""
        from .runsettings import fitted_line

        try:
            self.boundary = decision_boundary(self.experiment, *self.boundary_size)
            self.fit = fitted_line(self.experiment)
        except Exception:  # the user's model: the loop reports its failures
            self.boundary = self.fit = None

    def recount(self, old_epochs: int, old_per_epoch: int) -> None:
        """The run's last step, after a change of epochs or batch size: the steps left in
        the epoch under way, then the later epochs at the new size."""
        trainer = self.trainer
        left = self.total_steps - trainer.step - max(old_epochs - trainer.epoch, 0) * old_per_epoch
        later = max(self.epochs - trainer.epoch, 0) * trainer.steps_per_epoch()
        self.total_steps = trainer.step + max(left, 0) + later

    # ------------------------------------------------------------------ snapshots
    def _post(self) -> None:
        """Post a snapshot (the caller holds the lock)."""
        self._posted_at = time.perf_counter()
        new = {}
        for name, sent in self._sent.items():
            if name == "twin_losses":
                history = self.twin.losses if self.twin is not None else []
            else:
                history = getattr(self, name)
            new[name] = tuple(history[sent:])
            self._sent[name] = len(history)
        self.publish(self.snapshot(**new))

    def snapshot(self, **new) -> Snapshot:
        report, trainer = self.last_step, self.trainer
        return Snapshot(
            run=self.serial, state=self.state, alive=self.active and not self.stop_requested,
            step=trainer.step, epoch=trainer.epoch, total_steps=self.total_steps,
            epochs=self.epochs, acked=self._acked, **new,
            twin_difference=self.twin.max_difference if self.twin is not None else None,
            loss=report.loss if report else None, lr=trainer.lr,
            batch_size=getattr(self.experiment.train_loader, "batch_size", None),
            samples_per_step=report.samples / max(report.step - self.start_step, 1)
            if report else 0.0,
            eta=self._eta(), pace=self.pace, throughput=tuple(self.throughput().items()),
            waiting=self.waiting, watch=trainer.watch, layers=self._rows_now()[0],
            activations=self._rows[1], boundary=self.boundary, fit=self.fit,
            parameters=self._scalars(), saved_step=self.last_saved_step,
            last_checkpoint=self.last_checkpoint, save_error=self.save_error,
            save_note=self.save_note, folder_error=self.folder_error, error=self.error,
            run_dir=trainer.run_dir,
        )  # fmt: skip

    def _eta(self) -> float | None:
        """Seconds to the end at the speed the steps take (and the pace), while running."""
        if self.state != "running":
            return None
        steps, seconds = self.speed.get(str(self.session.device), (0, 0.0))
        rate = steps / seconds if seconds else 0.0
        if self.pace:
            rate = min(rate, self.pace) if rate else self.pace
        return (self.total_steps - self.trainer.step) / rate if rate else None

    def _rows_now(self) -> tuple:
        """Per-layer and activation rows, recomputed when the statistics change."""
        step = self.trainer.step
        if step != self._rows_step and (step % STATS_EVERY == 0 or not self._wanted()):
            self._rows_step = step
            self._rows = (tuple(self.layer_rows()), tuple(self.activation_rows()))
        return self._rows

    def _scalars(self) -> tuple:
        if self.experiment.truth is None:
            return ()
        named = self.experiment.named_tensors()
        return tuple(
            (name, float(to_numpy(named[name].array).reshape(-1)[0]))
            for name in self.experiment.truth
            if name in named and named[name].numel() == 1
        )

    # ------------------------------------------------------------------ figures (worker)
    def throughput(self) -> dict[str, float]:
        return {d: steps / seconds for d, (steps, seconds) in self.speed.items() if seconds}

    def layer_rows(self) -> list[tuple[str, float, float]]:
        return [(n, s.grad_norm, s.update_ratio) for n, s in self.trainer.layer_stats.items()]

    def activation_rows(self) -> list[tuple[str, float, float, float | None]]:
        """(module, mean, std, dead share for ReLUs) from the last forward."""
        from nnbench.engine.nn import ReLU

        rows = []
        modules = dict(self.experiment.model.named_modules()) if self.experiment.model else {}
        for name, out in list(self.session.activations.items()):
            s = statistics(out.array)
            if "mean" not in s:
                continue
            dead = None
            if isinstance(modules.get(name), ReLU):
                data = to_numpy(out.array)
                dead = float((data == 0).all(axis=0).mean()) if data.ndim >= 2 else None
            rows.append((name, s["mean"], s["std"], dead))
        return rows


SETTINGS = ("lr", "epochs", "batch_size")


def check_settings(experiment, changes: dict) -> dict:
    """The run settings a learner may edit (lr, epochs, batch_size), checked as torch.optim
    and DataLoader check them; returns them as numbers. Raises ValueError naming the
    setting, its value and what it takes."""
    checked = {}
    for name, value in changes.items():
        if name not in SETTINGS:
            raise ValueError(f"{name} is not a run setting; the settings are {', '.join(SETTINGS)}")
        if name == "lr":
            if experiment.optimizer is None:
                raise ValueError("lr: this experiment's update is hand-written: change lr in its "
                                 "file (R reloads it)")  # fmt: skip
            number = _number(name, value, float)
            if not number >= 0:
                raise ValueError(f"Invalid learning rate: {number} (lr must be >= 0)")
        else:
            number = _number(name, value, int)
            if number < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value}")
            if name == "batch_size" and not hasattr(experiment.train_loader, "dataset"):
                raise ValueError(
                    "batch_size: this experiment's train_loader is not a DataLoader, so its "
                    "batch size cannot be changed here"
                )
        checked[name] = number
    return checked


def _number(name: str, value, kind):
    try:
        number = kind(value)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise ValueError(f"{name} must be {what}, got {value!r}") from None
    if kind is int and isinstance(value, float) and value != number:
        raise ValueError(f"{name} must be a whole number, got {value}")
    if kind is float and not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value}")
    return number


def apply_settings(run: LiveRun, changes: dict) -> None:
    """Change a live run's settings between two steps (the worker calls it) and record the
    change in the run's metrics. A new batch size waits for the end of the epoch (the
    loader is halfway through this one); a new number of epochs moves the run's end."""
    experiment, trainer = run.experiment, run.trainer
    if "lr" in changes:
        for group in experiment.optimizer.param_groups:
            group["lr"] = changes["lr"]
    if "batch_size" in changes:
        run.pending_batch_size = changes["batch_size"]
    if "epochs" in changes:  # the epoch under way always finishes
        old = run.epochs
        run.epochs = trainer.end_epoch = max(run.start_epoch + changes["epochs"], trainer.epoch)
        if trainer.epoch == run.start_epoch:  # not begun: the loop starts with the new count
            run._reports.close()
            run._runs_for = changes["epochs"]
            run._reports = trainer.run(run._runs_for)
        run.recount(old, trainer.steps_per_epoch())
    trainer.record({"kind": "settings", "step": trainer.step, **changes})


def decision_boundary(experiment, columns: int, rows: int):
    """For a 2-D classifier: predicted class and confidence on a grid, and the points."""
    batch = experiment.example_batch
    model = experiment.model
    if model is None or experiment.task != "classification" or not isinstance(batch, (tuple, list)):
        return None
    inputs = batch[0]
    if not isinstance(inputs, Tensor) or inputs.ndim != 2 or inputs.shape[1] != 2:
        return None
    points, labels = _training_points(experiment)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.1 * (high - low + 1e-9)
    low, high = low - pad, high + pad
    xs = np.linspace(low[0], high[0], columns)
    ys = np.linspace(high[1], low[1], 2 * rows)
    gx, gy = np.meshgrid(xs, ys)
    grid = tensor(np.c_[gx.ravel(), gy.ravel()].astype(np.float32), device=inputs.device)
    model.eval()
    try:
        with autograd.no_grad():
            probabilities = to_numpy(model(grid).softmax(-1).array)
    finally:
        model.train()
    classes = probabilities.argmax(-1).reshape(2 * rows, columns)
    confidence = probabilities.max(-1).reshape(2 * rows, columns)
    return {"classes": classes, "confidence": confidence, "points": points, "labels": labels,
            "low": low, "high": high}  # fmt: skip


def _training_points(experiment):
    dataset = getattr(experiment.train_loader, "dataset", None)
    while dataset is not None and not hasattr(dataset, "tensors"):
        dataset = getattr(dataset, "dataset", None)
    if dataset is None:
        x, y = experiment.example_batch
    else:
        x, y = dataset.tensors[:2]
    return to_numpy(x.array), to_numpy(y.array)


def ratio_verdict(ratio: float) -> str:
    """The ~1e-3 rule of thumb for ||update|| / ||weight||."""
    if not math.isfinite(ratio):
        return "!"
    if ratio > 1e-2:
        return "high"
    if ratio < 1e-4:
        return "low"
    return "ok ~1e-3"
