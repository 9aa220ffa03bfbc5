"""The training loop shared by ``nnbench train`` and the app's dashboard.

``Trainer.run()`` is a generator: each ``next()`` does one step (zero_grad, forward,
backward, update: the three-line mantra) and yields a :class:`StepReport`; after each
epoch it evaluates and yields an :class:`EpochReport`. Where a watchpoint fires (a NaN
or Inf loss, an exploding gradient, too many dead ReLU units) the step's update is not
applied and a :class:`WatchpointReport` is yielded instead, naming the step and the
cause; the loop carries on with the next batch when asked for more. Each trainer writes
into a run folder of its own (``runs/<name>/<run-id>/``, see :mod:`.runs`): metrics go to
its ``metrics.jsonl`` as they happen, one JSON object per line, flushed.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import autograd, checkpoint, runs
from .experiment import Experiment


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
    """The run stopped itself: which step, why, and the batch that did it."""

    step: int
    epoch: int
    cause: str
    loss: float
    batch: object = None

    def as_record(self) -> dict:
        return {"step": self.step, "epoch": self.epoch, "cause": self.cause, "loss": self.loss}


@dataclass
class Watch:
    """What stops a run: a non-finite loss; a total gradient norm above ``grad_norm``; a
    share of dead ReLU units (zero for every sample of the batch) above ``dead_share``."""

    nan: bool = True
    grad_norm: float | None = None
    dead_share: float | None = None


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
    ):
        """``parent``, ``step`` and ``epoch`` continue an earlier run: its weights are the
        experiment's current ones, and the new run records where it came from."""
        self.experiment = experiment
        self.runs_dir = Path(runs_dir)
        self.run_record: runs.Run | None = None  # made when the run starts
        self.parent = parent
        self.write_metrics = write_metrics
        self.watch = watch if watch is not None else Watch()
        self.stats_every = stats_every  # per-layer statistics every this many steps (0: never)
        self.layer_stats: dict[str, LayerStats] = {}
        self.step_callbacks: list = []  # called as fn(batch, loss) after every applied step
        self.step = step
        self.epoch = epoch
        self._metrics = None
        self._relu_outputs: dict = {}
        if self.watch.dead_share is not None:
            self._watch_relus()

    # ------------------------------------------------------------------ steps
    def steps_per_epoch(self) -> int:
        return len(self.experiment.train_loader)

    def train_step(self, batch) -> tuple[float, str | None]:
        """zero_grad, loss, backward, update. Returns (loss, None), or (loss, cause) when a
        watchpoint fired, in which case the update was not applied."""
        exp = self.experiment
        exp.zero_grad()
        loss = exp.loss(batch)
        value = loss.item()
        if self.watch.nan and not math.isfinite(value):
            return value, f"the loss is {value} (NaN or Inf)"
        loss.backward()
        track = self.stats_every and (self.step + 1) % self.stats_every == 0
        # dead units change slowly: they are checked with the other statistics
        cause = self._check_gradients() or (
            self._check_dead_units() if track or not self.stats_every else None
        )
        if cause is not None:
            return value, cause
        before = self._weights() if track else None
        exp.step()
        if track:
            self._record_layer_stats(before)
        for callback in self.step_callbacks:
            callback(batch, value)
        return value, None

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
        self._open_metrics(epochs)
        try:
            for _ in range(epochs):
                self.epoch += 1
                if exp.model is not None:
                    exp.model.train()
                losses = []
                for batch in exp.train_loader:
                    loss, cause = self.train_step(batch)
                    self.step += 1
                    if cause is not None:
                        hit = WatchpointReport(self.step, self.epoch, cause, loss, batch)
                        self._write({"kind": "watchpoint", **hit.as_record()})
                        yield hit
                        continue
                    losses.append(loss)
                    samples += _batch_size(batch)
                    elapsed = time.perf_counter() - start
                    report = StepReport(
                        self.step, self.epoch, loss, self.lr, samples, elapsed, total,
                        (self.step - first_step) / elapsed if elapsed else 0.0,
                        samples / elapsed if elapsed else 0.0,
                    )  # fmt: skip
                    self._write({"kind": "step", **asdict(report)})
                    yield report
                if exp.scheduler is not None:
                    exp.scheduler.step()
                report = self.evaluate_epoch(sum(losses) / max(len(losses), 1))
                self._write({"kind": "epoch", **asdict(report)})
                yield report
        finally:
            self._close_metrics()

    @property
    def lr(self) -> float | None:
        optimizer = self.experiment.optimizer
        return optimizer.param_groups[0]["lr"] if optimizer is not None else None

    # ------------------------------------------------------------------ watchpoints and stats
    def grad_norm(self) -> float:
        total = 0.0
        for p in self.experiment.parameters():
            if p.grad is not None:
                total += p.device.backend.sum_of_squares(p.grad.array)
        return math.sqrt(total)

    def _check_gradients(self) -> str | None:
        limit = self.watch.grad_norm
        if limit is None:
            return None
        norm = self.grad_norm()
        if not math.isfinite(norm) or norm > limit:
            return f"the gradient norm is {norm:.4g}, above the watchpoint's {limit:g}"
        return None

    def _watch_relus(self) -> None:
        from .nn import ReLU

        model = self.experiment.model
        if model is None:
            return
        for name, module in model.named_modules():
            if isinstance(module, ReLU):

                def keep(module, inputs, output, name=name):
                    self._relu_outputs[name] = output

                module.register_forward_hook(keep)

    def dead_shares(self) -> dict[str, float]:
        """For each ReLU: the share of its units that are zero for every sample."""
        shares = {}
        for name, out in self._relu_outputs.items():
            data = out.device.backend.to_numpy(out.array)
            if data.ndim >= 2 and data.shape[0]:
                shares[name] = float((data == 0).all(axis=0).mean())
        return shares

    def _check_dead_units(self) -> str | None:
        limit = self.watch.dead_share
        if limit is None:
            return None
        for name, share in self.dead_shares().items():
            if share > limit:
                return (
                    f"{100 * share:.0f}% of the units of ReLU {name} are dead "
                    f"(limit {100 * limit:.0f}%)"
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
                    predicted = exp.model(inputs).argmax(dim=-1)
                    accuracy = (predicted == target).float().mean().item()
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
        return checkpoint.save(self.checkpoint_state(), path)

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
            "device": str(exp.device) if exp.device is not None else "cpu",
            "optimizer": type(optimizer).__name__ if optimizer is not None else None,
            "lr": self.lr,
            "batch_size": getattr(loader, "batch_size", None),
            "start_step": self.step,
            "source": exp.source,
        }

    def _open_metrics(self, epochs: int) -> None:
        if self.write_metrics and self._metrics is None:
            path = self.ensure_run(epochs).metrics_path
            # appending: a continued trainer keeps its own run's file; open across steps
            self._metrics = open(path, "a", buffering=1)  # noqa: SIM115

    def _write(self, record: dict) -> None:
        if self._metrics is not None:
            self._metrics.write(json.dumps(record) + "\n")
            self._metrics.flush()

    def _close_metrics(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None


def _batch_size(batch) -> int:
    first = batch[0] if isinstance(batch, (tuple, list)) else batch
    return first.shape[0] if getattr(first, "ndim", 0) else 1
