"""The training loop shared by ``nnbench train`` and the app's dashboard.

``Trainer.run()`` is a generator: each ``next()`` does one step (zero_grad, forward,
backward, update: the three-line mantra) and yields a :class:`StepReport`; after each
epoch it evaluates and yields an :class:`EpochReport`. Metrics go to
``runs/<name>/metrics.jsonl`` as they happen, one JSON object per line, flushed.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import autograd, checkpoint
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


class Trainer:
    def __init__(self, experiment: Experiment, runs_dir="runs", write_metrics: bool = True):
        self.experiment = experiment
        self.run_dir = Path(runs_dir) / experiment.name
        self.write_metrics = write_metrics
        self.step = 0
        self.epoch = 0
        self._metrics = None
        self._started = False

    # ------------------------------------------------------------------ steps
    def steps_per_epoch(self) -> int:
        return len(self.experiment.train_loader)

    def train_step(self, batch) -> float:
        """zero_grad, loss, backward, update; the loss as a Python float."""
        exp = self.experiment
        exp.zero_grad()
        loss = exp.loss(batch)
        loss.backward()
        exp.step()
        return loss.item()

    def run(self, epochs: int | None = None):
        exp = self.experiment
        if not exp.trainable:
            raise ValueError(
                f"{exp.name} has no training data or no optimizer/update, so there is nothing "
                "to train; open it in the app to step through its graph"
            )
        epochs = exp.epochs if epochs is None else epochs
        total = epochs * self.steps_per_epoch()
        start, samples = time.perf_counter(), 0
        self._open_metrics()
        try:
            for _ in range(epochs):
                self.epoch += 1
                if exp.model is not None:
                    exp.model.train()
                losses = []
                for batch in exp.train_loader:
                    loss = self.train_step(batch)
                    self.step += 1
                    losses.append(loss)
                    samples += _batch_size(batch)
                    elapsed = time.perf_counter() - start
                    report = StepReport(
                        self.step, self.epoch, loss, self.lr, samples, elapsed, total,
                        self.step / elapsed if elapsed else 0.0,
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
        path = Path(path) if path is not None else self.run_dir / "checkpoint.npz"
        return checkpoint.save(self.checkpoint_state(), path)

    def _open_metrics(self) -> None:
        if self.write_metrics and self._metrics is None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            mode = "a" if self._started else "w"  # a new trainer starts a new file
            self._metrics = open(self.run_dir / "metrics.jsonl", mode, buffering=1)  # noqa: SIM115 - open across steps, closed in _close_metrics
            self._started = True

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
