"""A training run the dashboard can play, pause, step, stop, save and move (no Textual).

The run's loop executes in a worker thread: it pulls one report at a time from the
engine's own ``Trainer.run()`` (the same loop as ``nnbench train``) and keeps what the
dashboard shows in plain attributes; the UI reads them on its own clocks (the Training
pane's REDRAW and REPLOT). Every step, device move and checkpoint holds ``lock``, so the
UI never sees or makes a half-done step.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import math
import threading
import time
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
    WatchpointReport,
    describe_os_error,
)

WATCH = Watch(nan=True, grad_norm=1e3, dead_share=0.9)
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

        from nnbench.engine import nn

        model, loss_fn, optimizer = experiment.model, experiment.loss_fn, experiment.optimizer
        name = type(optimizer).__name__ if optimizer is not None else None
        if model is None or not isinstance(loss_fn, nn.Module) or name not in self.OPTIMIZERS:
            raise ValueError(
                "the PyTorch twin needs an nn model, an nn loss module and one of the optimizers "
                f"{', '.join(self.OPTIMIZERS)}; {experiment.name} has "
                f"{type(model).__name__ if model is not None else 'no model'} and {name}"
            )
        self.torch = torch
        # One thread: the twin's ops are small, and torch's idle worker threads would
        # otherwise spin and slow the engine's numpy work that runs between them.
        torch.set_num_threads(1)
        self.model = model.to_torch()
        self.loss_fn = loss_fn.to_torch()
        group = {k: v for k, v in optimizer.param_groups[0].items()
                 if k not in ("params", "initial_lr")}  # fmt: skip
        self.optimizer = getattr(torch.optim, name)(self.model.parameters(), **group)
        self.losses: list[float] = []
        self.max_difference = 0.0

    def step(self, batch, engine_loss: float) -> None:
        torch = self.torch
        inputs, target = (torch.from_numpy(np.array(to_numpy(t.array))) for t in batch)
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(inputs), target)
        loss.backward()
        self.optimizer.step()
        self.losses.append(loss.item())
        self.max_difference = max(self.max_difference, abs(loss.item() - engine_loss))


class LiveRun:
    def __init__(
        self,
        session,
        runs_dir="runs",
        epochs: int | None = None,
        twin: bool = False,
        parent: LiveRun | None = None,
    ):
        """A run of the session's experiment. With ``parent`` it continues that run from its
        current weights and optimizer state: the steps keep counting and its run.json names
        the parent run."""
        self.session = session
        experiment = session.experiment
        self.experiment = experiment
        earlier = parent.trainer if parent is not None else None
        self.trainer = Trainer(
            experiment, runs_dir=runs_dir, watch=WATCH, stats_every=STATS_EVERY,
            parent=earlier.run_record if earlier else None,
            step=earlier.step if earlier else 0, epoch=earlier.epoch if earlier else 0,
        )  # fmt: skip
        self.start_step = self.trainer.step
        runs_for = epochs or experiment.epochs
        self.epochs = self.trainer.epoch + runs_for  # the epoch counter's end, on screen
        self.total_steps = self.start_step + runs_for * self.trainer.steps_per_epoch()
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.state = "ready"  # ready, running, paused, watchpoint, done, stopped, failed
        self.single_steps = 0
        self.stop_requested = False
        self.end_status = "stopped"
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.val: list[tuple[int, float, float | None]] = []  # (step, loss, accuracy)
        self.last_step: StepReport | None = None
        self.hit: WatchpointReport | None = None
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
        self.boundary_size = (40, 12)  # cells; the pane sets it to what it has room for
        self.twin = Twin(experiment) if twin else None
        if self.twin is not None:
            self.trainer.step_callbacks.append(self.twin.step)
        if parent is not None:  # the plot goes on where the parent's ended
            self.steps, self.losses, self.val = (
                list(parent.steps),
                list(parent.losses),
                list(parent.val),
            )
        self._runs_for = runs_for
        self._reports = self.trainer.run(runs_for)

    # ------------------------------------------------------------------ commands (UI thread)
    def play(self) -> None:
        if self.state in ("ready", "paused", "watchpoint"):
            self.state = "running"
            self.wake.set()

    def pause(self) -> None:
        if self.state == "running":
            self.state = "paused"

    def hold(self) -> None:
        """Pause and drop single steps still to come: nothing starts after this returns
        (a step already in flight finishes; ``settled`` says when)."""
        self.single_steps = 0
        if self.state in ("running", "ready"):
            self.state = "paused"

    def settled(self) -> bool:
        """True when no step is in flight (the lock is free); never blocks."""
        if not self.lock.acquire(blocking=False):
            return False
        self.lock.release()
        return True

    def step_once(self) -> None:
        if self.state in ("ready", "paused", "watchpoint"):
            self.state = "paused"
            self.single_steps += 1
            self.wake.set()

    def stop(self, status: str = "stopped") -> None:
        """End after the step in flight; run.json records ``status`` (stopped, interrupted)."""
        self.end_status = status
        self.stop_requested = True
        self.wake.set()

    def end(self, status: str) -> None:
        """Stop, and record ``status`` in run.json now, even while a step is stuck in the
        user's code (best effort); nothing rewrites it after."""
        self.stop(status)
        self._finish(status)

    def abandon(self) -> None:
        """Stop with the unsaved steps discarded."""
        self.end("abandoned")

    @property
    def active(self) -> bool:
        return self.state in ("running", "paused", "watchpoint", "ready")

    @property
    def unsaved(self) -> bool:
        # a failed step raised before its update: the steps before it are whole and savable
        return self.trainer.step > self.last_saved_step

    @property
    def unsaved_steps(self) -> int:
        return self.trainer.step - self.last_saved_step

    def save(self) -> Path:
        """An atomic checkpoint of the weights and optimizer state, between two steps: in
        the run's folder, or where that cannot be written, in the temporary or home folder
        (``save_note`` then says why; the previous such file is removed). Raises the run
        folder's OSError only if no place would take it."""
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
            return path

    # ------------------------------------------------------------------ the loop (worker thread)
    def loop(self, cancelled=lambda: False) -> None:
        self._make_folder()
        try:
            while not cancelled():
                if self.stop_requested:
                    self.state = "stopped"
                    self._close()
                    return
                if not self._wanted():
                    self.wake.wait(0.05)
                    self.wake.clear()
                    continue
                if not self._advance():
                    self.state = "done"
                    self._finish("done")
                    return
        # BaseException: sys.exit() or a KeyboardInterrupt raised by the user's model is
        # the user's code failing, not a reason to take the app down
        except UserThreadCancelled:
            return  # the app is quitting and stopped this thread: how it ended is recorded
        except BaseException as error:
            if threading.get_ident() in _interrupted:
                return  # the user's code turned our stop into its own error: not theirs
            self.state = "failed"
            self.error = user_error(Path(self.experiment.source), error, during="training")
            self._finish("failed")

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

    def _close(self) -> None:
        with self.lock:
            self._reports.close()
        self._finish(self.end_status)

    def _finish(self, status: str) -> None:
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
            if not self._wanted():
                return True  # paused (or stopped) while this thread waited for the lock
            try:
                report = next(self._reports)
            except StopIteration:
                self._save_if_good()
                return False
            self._take(report)
        seconds = time.perf_counter() - started
        if isinstance(report, StepReport):
            record = self.speed.setdefault(device, [0, 0.0])
            record[0] += 1
            record[1] += seconds
        return True

    def _take(self, report) -> None:
        if isinstance(report, StepReport):
            self.last_step = report
            self.steps.append(report.step)
            self.losses.append(report.loss)
            if self.single_steps:
                self.single_steps -= 1
            if report.step % BOUNDARY_EVERY == 0 or report.step == 1:
                self.boundary = decision_boundary(self.experiment, *self.boundary_size)
        elif isinstance(report, EpochReport):
            if report.val_loss is not None:  # an experiment without val_data has none
                self.val.append((report.step, report.val_loss, report.val_accuracy))
            since = self.last_saved_at
            if since is None or time.perf_counter() - since > AUTOSAVE_EVERY:
                self._save_if_good()
        elif isinstance(report, WatchpointReport):
            self.hit = report
            self.state = "watchpoint"
            self.single_steps = 0

    def _save_if_good(self) -> None:
        """A checkpoint at the first epoch's end, then at epoch ends at most every
        AUTOSAVE_EVERY seconds, and at the end of the run; only of finite weights: a
        diverged run never overwrites the last good one."""
        self.last_saved_at = time.perf_counter()  # a failed save waits its turn too
        weights = self.experiment.named_tensors().values()
        if all(np.isfinite(to_numpy(t.array)).all() for t in weights):
            try:
                self.save()
            except Exception as error:  # a full disk must not end the run: say it, go on
                self.save_error = f"{type(error).__name__}: {error}"

    # ------------------------------------------------------------------ what the UI shows
    def resize_boundary(self, columns: int, rows: int) -> None:
        """Recompute the decision boundary for a new size (between two steps)."""
        # called from the UI: never wait for a step in flight (it may be stuck in user code)
        if (columns, rows) == self.boundary_size or not self.lock.acquire(blocking=False):
            return
        try:
            self.boundary_size = (columns, rows)
            self.boundary = decision_boundary(self.experiment, columns, rows)
        except Exception:  # the user's model: the loop reports its failures
            self.boundary = None
        finally:
            self.lock.release()

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
