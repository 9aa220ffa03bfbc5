"""Run folders: each run writes its own folder, latest points at the newest, names are checked."""

import json
import os

import pytest

import nnbench.engine as ne
from nnbench.engine import runs
from nnbench.engine.experiment import load_experiment
from nnbench.engine.training import StepReport, Trainer


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
        assert ne.load(trainer.run_dir / "checkpoint.npz")["step"] == max(steps)
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
