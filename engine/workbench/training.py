"""The training loop shared by ``nnbench train`` and the app's dashboard.

``Trainer.run()`` is a generator: each ``next()`` does one step (zero_grad, forward,
backward, update: the three-line mantra) and yields a :class:`StepReport`; after each
epoch it evaluates and yields an :class:`EpochReport`. Where a watchpoint fires (a NaN
or Inf loss or gradient, a gradient norm above its threshold, too many dead ReLU units) a
:class:`WatchpointReport` is yielded, naming the step, the cause and what the watchpoint
does (see :class:`Watchpoint`): ``pause`` yields before the update, which is applied when
the caller asks for more; ``skip`` drops the batch (no update); ``continue`` applies the
update and goes on. Each trainer writes
into a run folder of its own (``runs/<name>/<run-id>/``, see :mod:`.runs`): metrics go to
its ``metrics.jsonl`` as they happen, one JSON object per line, flushed.

Two promises hold whatever happens to the process (kill -9 included):

* With ``checkpoint_every`` set, the run's ``checkpoint.safetensors`` is rewritten (atomically) at
  every epoch's end and every that many seconds, always between two steps and only when
  the weights are finite; the metrics are flushed first, so its step is always one that
  ``metrics.jsonl`` records.
* ``stop_requested`` (set it from a signal handler) ends ``run()`` at the next step
  boundary, never inside ``optimizer.step()``: every optimizer state then holds the same
  step count as the trainer.

And a full disk never ends a run: a rolling checkpoint that cannot be written, or a
metrics line, is a warning (once, through ``on_warning`` and ``warnings``) and training
goes on; ``metrics.jsonl`` never keeps half a line, and holds strict JSON (a NaN loss is
written as null, see :func:`.runs.to_json`).
"""

from __future__ import annotations

import errno
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .. import autograd, checkpoint
from ..formatting import to_numpy
from . import runs
from .experiment import Experiment
from .watch import ACTIONS, THRESHOLDS, WATCHPOINTS, Watch, Watchpoint  # noqa: F401


@dataclass
class StepReport:
    step: int
    epoch: int
    loss: float
    lr: float | None
    samples: int
    elapsed: float
    total_steps: int
    steps_per_second: float
    samples_per_second: float

    @property
    def eta(self) -> float:
        if not self.steps_per_second:
            return math.inf
        return (self.total_steps - self.step) / self.steps_per_second


@dataclass
class EpochReport:
    epoch: int
    step: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None


@dataclass
class WatchpointReport:
    """A watchpoint fired: which step, which watchpoint (``kind``), why, and the batch.
    ``step`` is the step attempted. With ``action`` pause its update waits until the next
    ``next()``; with skip it is never applied (the trainer's count stays one below); with
    continue it is applied when the caller asks for more."""

    step: int
    epoch: int
    cause: str
    loss: float
    batch: object = None
    kind: str = "nan"
    action: str = "pause"

    def as_record(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "cause": self.cause, "loss": self.loss,
                "watchpoint": self.kind, "action": self.action}  # fmt: skip


@dataclass
class LayerStats:
    """One parameter after an update: its gradient norm and ||update|| / ||weight||."""

    grad_norm: float
    update_ratio: float


class Trainer:
    def __init__(
        self,
        experiment: Experiment,
        runs_dir="runs",
        write_metrics: bool = True,
        watch: Watch | None = None,
        stats_every: int = 0,
        parent: runs.Run | None = None,
        step: int = 0,
        epoch: int = 0,
        checkpoint_every: float | None = None,
    ):
        """``parent``, ``step`` and ``epoch`` continue an earlier run: its weights are the
        experiment's current ones, and the new run records where it came from.
        ``checkpoint_every`` (seconds) keeps a rolling checkpoint during ``run()``: at each
        epoch's end and every that many seconds (0: at epoch ends only; None: never)."""
        self.experiment = experiment
        self.runs_dir = Path(runs_dir)
        self.run_record: runs.Run | None = None  # made when the run starts
        self.parent = parent
        self.write_metrics = write_metrics
        self.watch = watch or experiment.watch or Watch()
        self.stats_every = stats_every  # per-layer statistics every this many steps (0: never)
        self.layer_stats: dict[str, LayerStats] = {}
        self.step_callbacks: list = []  # called as fn(batch, loss) after every applied step
        self.step = step
        self.epoch = epoch
        self.end_epoch = epoch
        self._metrics = None
        self._pending: list[dict] = []  # lines recorded before metrics.jsonl was open
        self.checkpoint_every = checkpoint_every
        self.stop_requested = False  # ends run() at the next step boundary
        self.last_checkpoint: tuple[int, Path] | None = None  # (step, path) of the newest
        self.checkpoint_error: OSError | None = None  # the last rolling save that failed
        self.metrics_error: OSError | None = None  # why metrics.jsonl stopped, if it did
        self.metrics_step = 0  # the last step that metrics.jsonl records
        self.warnings: list[str] = []  # what went wrong without stopping the run
        self.on_warning = None  # called with each warning as it happens
        self._saved_at = time.monotonic()
        self._relu_outputs: dict = {}
        self._hooks: list = []  # forward hooks, added by run() and removed when it ends

    # ------------------------------------------------------------------ steps
    def steps_per_epoch(self) -> int:
        return len(self.experiment.train_loader)

    def train_step(self, batch) -> tuple[float, str | None]:
        """zero_grad, loss, backward, update. Returns (loss, None), or (loss, cause) when a
        watchpoint fired, in which case the update was not applied."""
        loss, fired = self.forward_backward(batch)
        if fired is not None:
            return loss.item(), fired[1]
        self.apply_update(batch, loss.item())
        return loss.item(), None

    def forward_backward(self, batch):
        """zero_grad, loss, backward, then the watchpoints: (loss, None) or (loss, (kind,
        cause)) for the first that fired. A NaN or Inf loss fires before the backward
        (``apply_update`` runs it then)."""
        exp = self.experiment
        exp.zero_grad()
        loss = exp.loss(batch)
        value = loss.item()
        if self.watch.nan.on and not math.isfinite(value):
            return loss, ("nan", f"the loss is {value} (NaN or Inf)")
        loss.backward()
        # dead units change slowly: they are checked with the other statistics
        checks = self.stats_every == 0 or (self.step + 1) % self.stats_every == 0
        fired = self._check_gradients(value) or (self._check_dead_units() if checks else None)
        return loss, fired

    def apply_update(self, batch, value: float, loss=None) -> None:
        """The update of a step whose backward has run (``loss``: run it first)."""
        if loss is not None:
            loss.backward()
        track = self.stats_every and (self.step + 1) % self.stats_every == 0
        before = self._weights() if track else None
        self.experiment.step()
        if track:
            self._record_layer_stats(before)
        for callback in self.step_callbacks:
            callback(batch, value)

    def run(self, epochs: int | None = None):
        exp = self.experiment
        if not exp.trainable:
            raise ValueError(
                f"{exp.name} has no training data or no optimizer/update, so there is nothing "
                "to train; open it in the app to step through its graph"
            )
        epochs = exp.epochs if epochs is None else epochs
        total = self.step + epochs * self.steps_per_epoch()
        start, first_step, samples = time.perf_counter(), self.step, 0
        per_batch = exp.scheduler is not None and exp.steps_scheduler_per_batch
        self._open_metrics(epochs)
        self._saved_at = time.monotonic()
        if self.watch.dead_relu.on and not self._hooks:
            self._watch_relus()
        self.end_epoch = self.epoch + epochs  # a live run may move it (more or fewer epochs)
        try:
            while self.epoch < self.end_epoch:
                if self.stop_requested:
                    return
                self.epoch += 1
                if exp.model is not None:
                    exp.model.train()
                losses = []
                for batch in exp.train_loader:
                    if self.stop_requested:  # between two steps, never inside one
                        return
                    tensor, fired = self.forward_backward(batch)
                    loss = tensor.item()
                    if fired is not None:
                        kind, cause = fired
                        action = getattr(self.watch, kind).action
                        hit = WatchpointReport(
                            self.step + 1, self.epoch, cause, loss, batch, kind, action
                        )
                        self._write({"kind": "watchpoint", **hit.as_record()})
                        yield hit
                        if action == "skip" or self.stop_requested:
                            # not applied, so the step does not count: the checkpoint's
                            # step stays equal to every optimizer state's step
                            continue
                    backward_pending = (
                        fired is not None and fired[0] == "nan" and not math.isfinite(loss)
                    )
                    self.apply_update(batch, loss, tensor if backward_pending else None)
                    self.step += 1
                    losses.append(loss)
                    samples += _batch_size(batch)
                    elapsed = time.perf_counter() - start
                    report = StepReport(
                        self.step, self.epoch, loss, self.lr, samples, elapsed, total,
                        (self.step - first_step) / elapsed if elapsed else 0.0,
                        samples / elapsed if elapsed else 0.0,
                    )  # fmt: skip
                    if exp.scheduler is not None and per_batch:  # after the update it made
                        exp.scheduler.step()
                    self._write({"kind": "step", **asdict(report)})
                    self._rolling_checkpoint(epoch_end=False)
                    yield report
                if exp.scheduler is not None and not per_batch:
                    exp.scheduler.step()
                report = self.evaluate_epoch(sum(losses) / max(len(losses), 1))
                self._write({"kind": "epoch", **asdict(report)})
                self._rolling_checkpoint(epoch_end=True)
                yield report
        finally:
            self._close_metrics()
            self.close()

    @property
    def lr(self) -> float | None:
        """The optimizer's learning rate, or the one a hand-written update declares."""
        optimizer = self.experiment.optimizer
        if optimizer is not None:
            return optimizer.param_groups[0]["lr"]
        return self.experiment.lr

    # ------------------------------------------------------------------ watchpoints and stats
    def grad_norm(self) -> float:
        total = 0.0
        for p in self.experiment.parameters():
            if p.grad is not None:
                total += p.device.backend.sum_of_squares(p.grad.array)
        return math.sqrt(total)

    def _check_gradients(self, loss: float) -> tuple[str, str] | None:
        """After the backward: a NaN or Inf gradient (a finite loss can have one, e.g. sqrt
        or a norm at 0), or a norm above the threshold, with the parameter to blame.
        One sum of squares per parameter."""
        nan, limit = self.watch.nan, self.watch.grad_norm
        if not nan.on and not limit.on:
            return None
        norms = self.grad_norms()
        norm = math.sqrt(sum(n * n for n in norms.values()))
        if nan.on and not math.isfinite(norm):
            bad = self._non_finite_gradient()
            if bad is not None:
                return (
                    "nan",
                    f"the gradient of {bad} has NaN or Inf values (the loss was {loss:.6g})",
                )
        if limit.on and (not math.isfinite(norm) or norm > limit.threshold):
            name = max(norms, key=lambda n: norms[n] if math.isfinite(norms[n]) else math.inf)
            return "grad_norm", (
                f"the gradient norm is {norm:.4g}, above the watchpoint's {limit.threshold:g}; "
                f"the largest is {name}'s ({norms[name]:.4g})"
            )
        return None

    def grad_norms(self) -> dict[str, float]:
        """Each named tensor's gradient norm (those with a gradient)."""
        norms = {}
        for name, t in self.experiment.named_tensors().items():
            if t.grad is not None:
                norms[name] = math.sqrt(t.device.backend.sum_of_squares(t.grad.array))
        return norms

    def _non_finite_gradient(self) -> str | None:
        """The first parameter whose gradient holds a NaN or Inf (None: the sum of squares
        only overflowed, every value is finite)."""
        for name, t in self.experiment.named_tensors().items():
            if t.grad is not None and not np.isfinite(to_numpy(t.grad.array)).all():
                return name
        return None

    def _watch_relus(self) -> None:
        from ..nn import ReLU

        model = self.experiment.model
        if model is None:
            return
        for name, module in model.named_modules():
            if isinstance(module, ReLU):

                def keep(module, inputs, output, name=name):
                    self._relu_outputs[name] = output

                self._hooks.append(module.register_forward_hook(keep))

    def close(self) -> None:
        """Remove the forward hooks this trainer added to the model (run() ends it too)."""
        for handle in self._hooks:
            handle.remove()
        self._hooks.clear()
        self._relu_outputs.clear()

    def dead_shares(self) -> dict[str, float]:
        """For each ReLU: the share of its units that are zero for every sample."""
        shares = {}
        for name, out in self._relu_outputs.items():
            data = out.device.backend.to_numpy(out.array)
            if data.ndim >= 2 and data.shape[0]:
                shares[name] = float((data == 0).all(axis=0).mean())
        return shares

    def _check_dead_units(self) -> tuple[str, str] | None:
        limit = self.watch.dead_relu
        if not limit.on:
            return None
        for name, share in self.dead_shares().items():
            if share > limit.threshold:
                return "dead_relu", (
                    f"{100 * share:.0f}% of the units of ReLU {name} are dead "
                    f"(limit {100 * limit.threshold:.0f}%)"
                )
        return None

    def _weights(self) -> dict:
        named = self.experiment.named_tensors()
        return {n: t.device.backend.copy(t.array) for n, t in named.items() if t.requires_grad}

    def _record_layer_stats(self, before: dict) -> None:
        stats = {}
        for name, t in self.experiment.named_tensors().items():
            if name not in before or t.grad is None:
                continue
            xp = t.device.backend
            weight = math.sqrt(xp.sum_of_squares(t.array)) or 1.0
            stats[name] = LayerStats(
                math.sqrt(xp.sum_of_squares(t.grad.array)),
                math.sqrt(xp.sum_of_squares(t.array - before[name])) / weight,
            )
        self.layer_stats = stats

    # ------------------------------------------------------------------ evaluation
    def evaluate_epoch(self, train_loss: float) -> EpochReport:
        val_loss, accuracy = self.evaluate()
        return EpochReport(self.epoch, self.step, train_loss, val_loss, accuracy)

    def evaluate(self) -> tuple[float | None, float | None]:
        exp = self.experiment
        if exp.val_data is None:
            return None, None
        if exp.model is not None:
            exp.model.eval()
        try:
            with autograd.no_grad():
                loss = exp.loss(exp.val_data).item()
                accuracy = None
                if exp.task == "classification" and exp.model is not None:
                    inputs, target = exp.val_data
                    accuracy = accuracy_of(exp.model(inputs), target, exp.loss_fn)
        finally:
            if exp.model is not None:
                exp.model.train()
        return loss, accuracy

    # ------------------------------------------------------------------ files
    def checkpoint_state(self) -> dict:
        exp = self.experiment
        weights = exp.model.state_dict() if exp.model is not None else dict(exp.tensors)
        state = {"weights": dict(weights), "step": self.step, "epoch": self.epoch}
        if exp.optimizer is not None:
            state["optimizer"] = exp.optimizer.state_dict()
        return state

    def save_checkpoint(self, path=None) -> Path:
        """An atomic checkpoint: by default the run folder's, replacing the previous one."""
        if path is None:
            path = self.ensure_run().checkpoint_path
        saved = checkpoint.save(self.checkpoint_state(), path)
        self.last_checkpoint = (self.step, Path(saved))
        return saved

    def weights_finite(self) -> bool:
        tensors = self.experiment.named_tensors().values()
        return all(np.isfinite(to_numpy(t.array)).all() for t in tensors)

    def _rolling_checkpoint(self, epoch_end: bool) -> None:
        """The run's checkpoint at an epoch's end and every ``checkpoint_every`` seconds, of
        finite weights only; a failed save is kept in ``checkpoint_error`` and training goes
        on (the next save may work, and the final one falls back elsewhere)."""
        every = self.checkpoint_every
        if every is None or self.run_record is None:
            return
        if not epoch_end and (every <= 0 or time.monotonic() - self._saved_at < every):
            return
        self._saved_at = time.monotonic()
        if not self.weights_finite():
            return
        try:
            self.save_checkpoint()
        except OSError as error:
            if self.checkpoint_error is None:  # once: the next failures say nothing new
                self._warn(
                    f"could not save the checkpoint of step {self.step} "
                    f"({describe_os_error(error)}); training goes on; {self.newest_checkpoint()}"
                )
            self.checkpoint_error = error

    def newest_checkpoint(self) -> str:
        """Where the newest checkpoint is, in words."""
        if self.last_checkpoint is None:
            return "no checkpoint was saved"
        step, path = self.last_checkpoint
        return f"the newest checkpoint is {path} (step {step})"

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        if self.on_warning is not None:
            self.on_warning(text)

    def save_with_fallback(self) -> tuple[Path | None, OSError | None]:
        """The run's checkpoint; where that cannot be written (a read-only folder, a full
        disk) the same file in the system's temporary folder or the home folder instead.
        Returns (where it went, the error that sent it elsewhere): (None, error) only if
        no place would take it."""
        try:
            return self.save_checkpoint(), None
        except OSError as error:
            first = error
        name = f"nnbench-{self.experiment.name}-{self.run_record.id if self.run_record else 'run'}"
        for folder in _fallback_folders():
            try:
                return self.save_checkpoint(folder / f"{name}-step{self.step}.safetensors"), first
            except OSError:
                continue
        return None, first

    @property
    def run_dir(self) -> Path | None:
        return self.run_record.path if self.run_record is not None else None

    def ensure_run(self, epochs: int | None = None) -> runs.Run:
        """This trainer's run folder, made on first use (one trainer, one run)."""
        if self.run_record is None:
            self.run_record = runs.new_run(
                self.runs_dir, self.experiment.name, self.settings(epochs), self.parent
            )
        return self.run_record

    def settings(self, epochs: int | None) -> dict:
        exp = self.experiment
        optimizer = exp.optimizer
        loader = exp.train_loader
        return {
            "epochs": epochs if epochs is not None else exp.epochs,
            "device": device_label(exp.device),
            "optimizer": type(optimizer).__name__ if optimizer is not None else None,
            "lr": self.lr,
            "batch_size": getattr(loader, "batch_size", None),
            "start_step": self.step,
            "source": exp.source,
        }

    def _open_metrics(self, epochs: int) -> None:
        if self.write_metrics and self._metrics is None:
            path = self.ensure_run(epochs).metrics_path
            try:  # appending: a continued trainer keeps its own run's file
                self._metrics = MetricsFile(path)
            except OSError as error:
                self._metrics_failed(error, path)
                return
            for line in self._pending:
                self._write(line)
            self._pending.clear()

    def record(self, line: dict) -> None:
        """A line of its own in metrics.jsonl (e.g. a change of the run's settings); before
        the run has begun it waits for the file to open."""
        if self._metrics is None and self.write_metrics:
            self._pending.append(line)
        else:
            self._write(line)

    def _write(self, record: dict) -> None:
        """One line of metrics. A line that cannot be written (a full disk) stops the
        metrics, not the run: the file is cut back to its last whole line, one warning."""
        if self._metrics is None:
            return
        try:
            self._metrics.write(runs.to_json(record) + "\n")
        except OSError as error:
            self._metrics_failed(error, self._metrics.path)
            return
        if "step" in record:
            self.metrics_step = record["step"]

    def _metrics_failed(self, error: OSError, path) -> None:
        self.metrics_error = error
        self.write_metrics = False
        self._close_metrics()
        self._warn(
            f"could not write {path} ({describe_os_error(error)}); it stops at step "
            f"{self.metrics_step}, training goes on"
        )

    def _close_metrics(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None


class MetricsFile:
    """An append-only JSON-lines file whose lines are whole: each goes out in one write
    (unbuffered, so nothing waits in a buffer for a later flush), and a write that fails
    midway is cut back to the last whole line, so a reader never meets half a line."""

    def __init__(self, path):
        self.path = Path(path)
        self.file = open(self.path, "ab", buffering=0)  # noqa: SIM115 - open across steps
        self.size = self.file.seek(0, os.SEEK_END)  # the end of the last whole line
        if self.size:
            self.size = _after_last_newline(self.path, self.size)
            self._cut()  # half a line left by a process killed mid-write

    def write(self, line: str) -> None:
        data = line.encode()
        try:
            done = 0
            while done < len(data):  # a raw write may take only part of the bytes
                written = self.file.write(data[done:])
                if not written:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                done += written
        except BaseException:
            self._cut()
            raise
        self.size += len(data)

    def _cut(self) -> None:
        try:
            os.ftruncate(self.file.fileno(), self.size)
        except OSError:  # nothing more can be done; readers skip a line without its newline
            pass

    def close(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass


def _fallback_folders() -> list[Path]:
    folders = [Path(tempfile.gettempdir())]
    try:
        folders.append(Path.home())
    except RuntimeError:  # no home folder known
        pass
    return folders


def _after_last_newline(path: Path, size: int) -> int:
    """The length of the file up to and including its last newline (0 if it has none)."""
    with open(path, "rb") as f:
        end = size
        while end > 0:
            start = max(0, end - 65536)
            f.seek(start)
            found = f.read(end - start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0


def device_label(device) -> str:
    """'cpu', 'torch:cpu' or 'cuda:0': the device as the user names it (a torch backend on
    the CPU is not the default 'cpu')."""
    if device is None:
        return "cpu"
    if device.type == "cpu" and device.backend_name == "torch":
        return "torch:cpu"
    return str(device)


def describe_os_error(error: OSError) -> str:
    """'No space left on device' rather than '[Errno 28] No space left on device: ...'."""
    if isinstance(error.__cause__, OSError):  # a save that explained itself: the short cause
        error = error.__cause__
    text = error.strerror or str(error) or type(error).__name__
    if error.errno == errno.ENOSPC:
        return "the disk is full"
    return text[0].lower() + text[1:] if text else text


def accuracy_of(output, target, loss_fn=None) -> float | None:
    """The share of right predictions. Several outputs per sample: the argmax is the class
    (against class indices, or the argmax of class probabilities of the output's shape).
    One (output (N,) or (N, 1): a binary classifier): a logit, class 1 where it is above 0,
    or a probability above 0.5 where ``loss_fn`` is BCELoss / F.binary_cross_entropy;
    targets are rounded to 0 or 1 (0.5 and above is 1). None where the target cannot be
    compared (another number of samples)."""
    if output.ndim == 0:
        return None
    if output.ndim > 1 and output.shape[-1] != 1:
        predicted = output.argmax(dim=-1)
        if tuple(target.shape) == tuple(output.shape) and target.dtype.is_floating_point:
            target = target.argmax(dim=-1)  # class probabilities: the likeliest class
        if tuple(predicted.shape) != tuple(target.shape):
            return None
        return (predicted == target).float().mean().item()
    if output.numel() != target.numel() or not output.numel():
        return None
    predicted = output.reshape(-1) > _binary_threshold(loss_fn)
    truth = target.reshape(-1).double() >= 0.5
    return (predicted == truth).float().mean().item()


def _binary_threshold(loss_fn) -> float:
    """0.5 for a loss of probabilities (BCELoss), else 0: the output is a logit."""
    from ..nn import BCELoss
    from ..nn.functional import binary_cross_entropy

    return 0.5 if isinstance(loss_fn, BCELoss) or loss_fn is binary_cross_entropy else 0.0


def _batch_size(batch) -> int:
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    return first.shape[0] if getattr(first, "ndim", 0) else 1
