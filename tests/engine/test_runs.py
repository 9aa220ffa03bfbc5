"""Run folders: each run writes its own folder, latest points at the newest, names are checked."""

import errno
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine.workbench import runs, training
from nnbench.engine.workbench.experiment import load_experiment
from nnbench.engine.workbench.training import StepReport, Trainer


def _train(tmp_path, epochs=1, **options):
    experiment = options.pop("experiment", None) or load_experiment("linear_regression")
    trainer = Trainer(experiment, runs_dir=tmp_path, **options)
    reports = list(trainer.run(epochs))
    trainer.save_checkpoint()
    return trainer, reports


def test_a_second_run_never_touches_the_first(tmp_path):
    first, _ = _train(tmp_path, epochs=3)
    before = {p.name: p.read_bytes() for p in first.run_dir.iterdir()}
    second, _ = _train(tmp_path, epochs=1)
    assert first.run_dir != second.run_dir
    assert {p.name: p.read_bytes() for p in first.run_dir.iterdir()} == before
    assert runs.latest_run(tmp_path, "linear_regression").path == second.run_dir
    assert [r.path for r in runs.list_runs(tmp_path, "linear_regression")] == [
        first.run_dir,
        second.run_dir,
    ]


def test_metrics_and_checkpoint_agree_in_each_run(tmp_path):
    for epochs in (2, 1):
        trainer, reports = _train(tmp_path, epochs=epochs)
        lines = trainer.run_dir.joinpath("metrics.jsonl").read_text().splitlines()
        steps = [json.loads(line)["step"] for line in lines if '"step"' in line]
        assert ne.load(trainer.run_dir / "checkpoint.safetensors")["step"] == max(steps)
        assert max(steps) == sum(isinstance(r, StepReport) for r in reports)


def test_run_json_records_the_experiment_settings_and_parent(tmp_path):
    first, _ = _train(tmp_path, epochs=1)
    first.run_record.finish("done", first.step)
    experiment = first.experiment
    second = Trainer(experiment, runs_dir=tmp_path, parent=first.run_record, step=first.step)
    list(second.run(1))
    info = second.run_record.info()
    assert info["experiment"] == "linear_regression" and info["run"] == second.run_dir.name
    assert info["settings"]["epochs"] == 1 and info["settings"]["start_step"] == first.step
    assert info["parent"] == str(first.run_dir)
    assert second.step == 2 * first.step  # a continued run keeps counting
    assert first.run_record.info()["status"] == "done"


def test_two_runs_in_the_same_second_get_their_own_folders(tmp_path):
    made = [runs.new_run(tmp_path, "x") for _ in range(5)]
    assert len({r.path for r in made}) == 5
    assert runs.latest_run(tmp_path, "x") == made[-1]


def test_latest_without_symbolic_links_is_a_file(tmp_path, monkeypatch):
    def no_symlinks(*args):
        raise OSError("symbolic links are not allowed here")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    run = runs.new_run(tmp_path, "x")
    assert (tmp_path / "x" / "latest").read_text().strip() == run.id
    assert runs.latest_run(tmp_path, "x") == run


@pytest.mark.parametrize("name", ["a/b", "../../x", "..", "", ".hidden", "a b", "x" * 101, 3])
def test_names_that_are_not_one_folder_are_refused(name, tmp_path):
    with pytest.raises(ValueError, match="cannot name a run folder"):
        runs.new_run(tmp_path, name)
    assert list(tmp_path.iterdir()) == []


def test_an_experiment_with_a_path_for_a_name_is_refused():
    from nnbench.engine import nn

    with pytest.raises(ValueError, match="'../../x' cannot name a run folder"):
        ne.Experiment(name="../../x", model=nn.Linear(1, 1), loss_fn=nn.MSELoss())


# ---------------------------------------------------------------------- rolling checkpoints
def _step_lines(run_dir):
    lines = run_dir.joinpath("metrics.jsonl").read_text().splitlines()
    return [json.loads(line)["step"] for line in lines if '"kind": "step"' in line]


def test_a_rolling_checkpoint_at_every_epoch_end(tmp_path):
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path,
                      checkpoint_every=0)  # fmt: skip
    epochs = 0
    for report in trainer.run(3):
        if isinstance(report, training.EpochReport):
            epochs += 1
            state = ne.load(trainer.run_dir / "checkpoint.safetensors")
            assert (state["step"], state["epoch"]) == (report.step, epochs)
            assert state["step"] in _step_lines(trainer.run_dir)
        elif report.step == 1:
            assert not (trainer.run_dir / "checkpoint.safetensors").exists()  # 0: epoch ends only
    assert epochs == 3


def test_a_rolling_checkpoint_every_few_seconds_matches_a_metrics_line(tmp_path):
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path,
                      checkpoint_every=1e-9)  # fmt: skip
    for report in trainer.run(1):
        if isinstance(report, StepReport):
            state = ne.load(trainer.run_dir / "checkpoint.safetensors")
            assert state["step"] == report.step == _step_lines(trainer.run_dir)[-1]
            steps = {int(s["step"]) for s in state["optimizer"]["state"].values()}
            assert steps == {report.step}


def test_without_checkpoint_every_nothing_is_saved_during_the_run(tmp_path):
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path)
    list(trainer.run(2))
    assert not (trainer.run_dir / "checkpoint.safetensors").exists()


def _diverging(tmp_path):
    """SGD with a huge learning rate: the weights overflow to Inf within a few steps."""
    experiment = load_experiment("linear_regression:nn")
    experiment.optimizer = ne.optim.SGD(experiment.model.parameters(), lr=1e30)
    return Trainer(experiment, runs_dir=tmp_path, checkpoint_every=1e-9,
                   watch=training.Watch(nan=False))  # fmt: skip


def test_a_rolling_checkpoint_is_never_of_non_finite_weights(tmp_path):
    trainer = _diverging(tmp_path)
    with np.errstate(all="ignore"):
        list(trainer.run(2))
    assert not trainer.weights_finite()
    state = ne.load(trainer.run_dir / "checkpoint.safetensors")
    assert 0 < state["step"] < trainer.step
    assert all(np.isfinite(w.detach().numpy()).all() for w in state["weights"].values())


def test_a_failing_rolling_save_keeps_training(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ne.checkpoint, "save", full)
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path,
                      checkpoint_every=1e-9)  # fmt: skip
    assert sum(isinstance(r, StepReport) for r in trainer.run(2)) == trainer.step > 0
    assert trainer.checkpoint_error.errno == errno.ENOSPC


def test_a_failing_save_falls_back_to_the_temporary_folder(tmp_path, monkeypatch):
    real_save = ne.checkpoint.save
    runs_dir, spare = tmp_path / "runs", tmp_path / "spare"
    spare.mkdir()

    def no_space_in_runs(obj, path):
        if runs_dir in Path(path).parents:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, path)

    monkeypatch.setattr(ne.checkpoint, "save", no_space_in_runs)
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=runs_dir)
    list(trainer.run(1))
    path, error = trainer.save_with_fallback()
    assert error.errno == errno.ENOSPC and path.parent == spare
    assert ne.load(path)["step"] == trainer.step
    assert trainer.last_checkpoint == (trainer.step, path)


# ---------------------------------------------------------------------- stopping between steps
def test_stop_requested_ends_the_run_at_a_step_boundary(tmp_path):
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path)

    def stop_at_three(batch, loss):
        if trainer.step == 2:  # called before the step is counted: this is step 3
            trainer.stop_requested = True

    trainer.step_callbacks.append(stop_at_three)
    reports = list(trainer.run(5))
    assert [r.step for r in reports] == [1, 2, 3] and trainer.step == 3
    state = trainer.checkpoint_state()
    assert {int(s["step"]) for s in state["optimizer"]["state"].values()} == {3}
    assert _step_lines(trainer.run_dir) == [1, 2, 3]
    assert trainer._metrics is None  # closed


# ---------------------------------------------------------------------- NaN gradients
def _sqrt_at_zero():
    """sqrt at 0: the loss is finite (0), its gradient 0 * inf = NaN (the third batch)."""
    from nnbench.engine.data import DataLoader, TensorDataset

    x = ne.tensor([[1.0], [4.0], [0.0], [9.0]])
    w = ne.tensor([1.0], requires_grad=True)
    return ne.Experiment(
        name="sqrt_at_zero",
        forward=lambda batch: (batch[0] * w).sqrt().sum(),
        tensors={"w": w},
        optimizer=ne.optim.SGD([w], lr=0.01),
        train_loader=DataLoader(TensorDataset(x), batch_size=1),
    ), w


def test_a_nan_gradient_with_a_finite_loss_pauses_before_the_update(tmp_path):
    experiment, w = _sqrt_at_zero()
    trainer = Trainer(experiment, runs_dir=tmp_path)
    with np.errstate(all="ignore"):
        reports = trainer.run(1)
        seen = []
        for report in reports:  # as nnbench train does: stop at a paused watchpoint
            seen.append(report)
            if isinstance(report, training.WatchpointReport):
                reports.close()
    hits = [r for r in seen if isinstance(r, training.WatchpointReport)]
    assert [h.step for h in hits] == [3] and hits[0].batch[0].item() == 0.0
    assert "gradient of w has NaN or Inf" in hits[0].cause and hits[0].loss == 0.0
    assert hits[0].kind == "nan" and hits[0].action == "pause"
    assert np.isfinite(w.detach().numpy()).all() and trainer.step == 2


@pytest.mark.parametrize("action, steps, finite", [("skip", 3, True), ("continue", 4, False),
                                                   ("pause", 4, False)])  # fmt: skip
def test_what_a_watchpoint_does_when_the_run_goes_on(tmp_path, action, steps, finite):
    """skip: the batch is dropped; continue: applied; pause: applied when asked for more."""
    experiment, w = _sqrt_at_zero()
    watch = training.Watch(nan=training.Watchpoint(True, None, action))
    trainer = Trainer(experiment, runs_dir=tmp_path, watch=watch)
    with np.errstate(all="ignore"):
        reports = list(trainer.run(1))
    hits = [r for r in reports if isinstance(r, training.WatchpointReport)]
    assert (hits[0].step, hits[0].action) == (3, action)  # then NaN weights fire again
    assert trainer.step == steps
    assert np.isfinite(w.detach().numpy()).all() == finite
    lines = [json.loads(line) for line in trainer.run_record.metrics_path.read_text().splitlines()]
    assert {r["action"] for r in lines if r["kind"] == "watchpoint"} == {action}


def test_a_gradient_norm_watchpoint_names_the_largest_gradient(tmp_path):
    from nnbench.engine.data import DataLoader, TensorDataset

    ne.manual_seed(0)
    model = ne.nn.Sequential(ne.nn.Linear(2, 4), ne.nn.ReLU(), ne.nn.Linear(4, 1))
    x, y = ne.randn(8, 2) * 100, ne.randn(8, 1) * 100
    experiment = ne.Experiment(
        name="big", model=model, loss_fn=ne.nn.MSELoss(),
        optimizer=ne.optim.SGD(model.parameters(), lr=1e-9),
        train_loader=DataLoader(TensorDataset(x, y), batch_size=8), task="regression",
    )  # fmt: skip
    watch = training.Watch(grad_norm=training.Watchpoint(True, 1.0, "continue"))
    trainer = Trainer(experiment, runs_dir=tmp_path, watch=watch)
    reports = list(trainer.run(2))
    hits = [r for r in reports if isinstance(r, training.WatchpointReport)]
    assert len(hits) == 2 and trainer.step == 2  # applied both times
    norms = trainer.grad_norms()
    largest = max(norms, key=norms.get)
    assert (
        f"the largest is {largest}'s" in hits[-1].cause
        and "above the watchpoint's 1" in hits[-1].cause
    )


def test_watch_settings_are_checked():
    with pytest.raises(ValueError, match="action must be one of pause, skip, continue"):
        training.Watchpoint(True, 1.0, "explode")
    with pytest.raises(ValueError, match="threshold must be a number > 0"):
        training.Watchpoint(True, -1.0)
    with pytest.raises(ValueError, match="unknown watchpoint"):
        training.Watch.of({"gradnorm": 3})
    with pytest.raises(ValueError, match=r"share in \(0, 1\]"):
        training.Watch(dead_relu=5)
    watch = training.Watch.of({"grad_norm": {"threshold": 10, "action": "skip"}})
    assert watch.grad_norm == training.Watchpoint(True, 10, "skip") and watch.nan.on


def test_a_finished_trainer_leaves_no_hooks_on_the_model(tmp_path):
    from nnbench.engine.data import DataLoader, TensorDataset

    model = ne.nn.Sequential(ne.nn.Linear(2, 4), ne.nn.ReLU(), ne.nn.Linear(4, 2))
    experiment = ne.Experiment(
        name="hooks", model=model, loss_fn=ne.nn.CrossEntropyLoss(),
        optimizer=ne.optim.SGD(model.parameters(), lr=0.1),
        train_loader=DataLoader(TensorDataset(ne.randn(8, 2), ne.randint(0, 2, (8,))), 4),
    )  # fmt: skip
    for _ in range(3):
        trainer = Trainer(experiment, runs_dir=tmp_path, watch=training.Watch(dead_relu=0.99))
        list(trainer.run(1))
    assert model[1]._forward_hooks == []


# ---------------------------------------------------------------------- a full disk
class _FillsUp:
    """A file whose disk fills after ``room`` bytes: the write that crosses the limit puts
    what fits on disk, then raises ENOSPC (as a real write of a full disk does)."""

    def __init__(self, real, room: int):
        self.real, self.room = real, room

    def write(self, data):
        if len(data) > self.room:
            self.real.write(data[: self.room])
            self.real.flush()
            self.room = 0
            raise OSError(errno.ENOSPC, "No space left on device")
        self.room -= len(data)
        return self.real.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.real.close()

    def __getattr__(self, name):
        return getattr(self.real, name)


def _strict(line: str):
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(line, parse_constant=refuse)


def test_a_full_disk_stops_the_metrics_cleanly_and_training_goes_on(tmp_path, monkeypatch):
    from nnbench.engine.workbench import training

    def open_full(path, *args, **kwargs):
        return _FillsUp(open(path, *args, **kwargs), room=3000)

    monkeypatch.setattr(training, "open", open_full, raising=False)
    trainer = Trainer(load_experiment("linear_regression:nn"), runs_dir=tmp_path)
    seen = []
    trainer.on_warning = seen.append
    reports = list(trainer.run(3))
    assert trainer.step == 30 and sum(isinstance(r, StepReport) for r in reports) == 30
    assert trainer.metrics_error.errno == errno.ENOSPC
    assert len(seen) == 1 and "the disk is full" in seen[0] and "training goes on" in seen[0]
    text = trainer.run_dir.joinpath("metrics.jsonl").read_text()
    assert text.endswith("\n") and len(text) < 3000  # cut back to its last whole line
    records = [_strict(line) for line in text.splitlines()]
    assert records[-1]["step"] == trainer.metrics_step < trainer.step


def test_metrics_keep_whole_lines_after_a_kill_mid_line(tmp_path):
    from nnbench.engine.workbench.training import MetricsFile

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2, "lo')  # a process killed mid-write
    metrics = MetricsFile(path)
    metrics.write('{"step": 3}\n')
    metrics.close()
    assert [_strict(line)["step"] for line in path.read_text().splitlines()] == [1, 3]


def test_run_json_that_cannot_be_written_never_raises_nor_leaves_a_temporary_file(
    tmp_path, monkeypatch
):
    run = runs.new_run(tmp_path, "full")
    real_open = open

    def full(path, *args, **kwargs):
        return _FillsUp(real_open(path, *args, **kwargs), room=10)

    monkeypatch.setattr(runs, "open", full, raising=False)
    error = run.finish("done", 7)
    assert error is not None and error.errno == errno.ENOSPC
    assert sorted(p.name for p in run.path.iterdir()) == ["run.json"]
    assert run.info()["status"] == "running"  # the old file, whole
    monkeypatch.undo()
    assert run.finish("done", 7) is None and run.info()["status"] == "done"


def test_metrics_and_run_json_are_strict_json_even_with_a_nan_loss(tmp_path):
    from nnbench.engine import Experiment, optim
    from nnbench.engine.data import DataLoader, TensorDataset

    w = ne.ones(2, 1, requires_grad=True)

    def forward(batch):
        x, _ = batch
        return (x @ w).sum() * float("nan")

    experiment = Experiment(
        name="nan_loss", forward=forward, tensors={"w": w},
        optimizer=optim.SGD([w], lr=float("inf")),
        train_loader=DataLoader(TensorDataset(ne.randn(4, 2), ne.randn(4, 1)), batch_size=2),
    )  # fmt: skip
    trainer = Trainer(experiment, runs_dir=tmp_path)
    reports = list(trainer.run(1))
    assert reports[0].cause.startswith("the loss is nan")
    lines = trainer.run_dir.joinpath("metrics.jsonl").read_text().splitlines()
    records = [_strict(line) for line in lines]
    hit = records[0]
    assert hit["kind"] == "watchpoint" and hit["loss"] is None
    assert hit["non_finite"] == {"loss": "nan"}
    _strict(trainer.run_dir.joinpath("run.json").read_text())  # lr inf becomes null
    assert trainer.run_record.info()["settings"]["non_finite"] == {"lr": "inf"}


def test_run_json_records_the_torch_backend_as_torch_cpu(tmp_path):
    experiment = load_experiment("linear_regression:nn").to("torch:cpu")
    trainer = Trainer(experiment, runs_dir=tmp_path)
    assert trainer.ensure_run(1).info()["settings"]["device"] == "torch:cpu"


def test_a_skipped_step_does_not_count_so_the_checkpoint_matches_the_optimizer(tmp_path):
    """A skipping watchpoint's update is not applied: Adam's step and the trainer's step
    stay equal, and the checkpoint's step is a step line of the metrics."""
    from nnbench.engine import Experiment, optim
    from nnbench.engine.data import DataLoader, TensorDataset

    x = ne.randn(8, 2)
    x[4:6] = float("nan")  # the third batch of two makes a NaN loss
    model = ne.nn.Linear(2, 1)
    experiment = Experiment(
        name="skip", model=model, loss_fn=ne.nn.MSELoss(), task="regression",
        optimizer=optim.Adam(model.parameters(), lr=0.01),
        train_loader=DataLoader(TensorDataset(x, ne.randn(8, 1)), batch_size=2),
    )  # fmt: skip
    skip = training.Watch(nan=training.Watchpoint(True, None, "skip"))
    trainer = Trainer(experiment, runs_dir=tmp_path, watch=skip)
    reports = list(trainer.run(1))
    hit = [r for r in reports if not isinstance(r, StepReport)][0]
    assert hit.step == 3 and "nan" in hit.cause
    steps = [r.step for r in reports if isinstance(r, StepReport)]
    assert steps == [1, 2, 3] and trainer.step == 3
    state = ne.load(trainer.save_checkpoint())
    assert {int(s["step"]) for s in state["optimizer"]["state"].values()} == {state["step"]} == {3}
    assert state["step"] in _step_lines(trainer.run_dir)
