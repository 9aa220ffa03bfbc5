"""Nothing lost, nothing crashes (issue 9, the app): every action that replaces a run asks
first, new runs are new, val_data is optional, user code that raises anything (or never
returns) leaves the app up, and failed saves say so and keep the run going."""

import asyncio
import errno
import json
import tempfile
import textwrap

import pytest
from textual.widgets import Label, Static

import nnbench.engine as ne
from nnbench.engine import checkpoint
from nnbench.engine.workbench.training import StepReport, Trainer
from nnbench.tui import live
from nnbench.tui.app import NnbenchApp
from nnbench.tui.training import ConfirmQuit, NewRun, TrainingScreen
from nnbench.tui.widgets import ErrorPanel, OpenScreen

from .pilot import content, messages, until
from .test_app import screen_text


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ goes here


async def training(pilot, epochs=None) -> TrainingScreen:
    app = pilot.app
    await until(pilot, lambda: app.state != "loading")
    if epochs is not None:
        app.session.experiment.epochs = epochs
    await pilot.press("4")
    await pilot.pause()
    return app.screen


async def mid_run(pilot) -> TrainingScreen:
    """digits_mlp running, more than 20 steps in (the first epoch's end, step 23, saves)."""
    screen = await training(pilot, epochs=10_000)
    await pilot.press("space")
    await until(pilot, lambda: screen.run.trainer.step > 20)
    return screen


def question_text(app) -> str:
    """The open dialog's words, unwrapped."""
    return " ".join(str(label.content) for label in app.screen.query(Label))


def no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


# ---------------------------------------------------------------------- 1. ask before replacing
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_reload_mid_run_asks_pauses_and_cancel_keeps_the_run(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        screen = await mid_run(pilot)
        experiment = app.session.experiment
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        run = screen.run
        assert run.state == "paused"
        at = run.trainer.step
        await asyncio.sleep(0.3)
        assert run.trainer.step == at  # paused while the question is open
        # the first epoch's end saved a checkpoint; the question counts the steps since
        assert app.screen.steps == at - run.last_saved_step == run.unsaved_steps
        assert run.last_saved_step == 23
        assert f"step {at}/" in str(screen.query_one("#train-status", Static).content)
        text = screen_text(app)
        assert f"The run has {at - 23} step(s) not saved" in text
        assert f"(paused at step {at})" in question_text(app)  # as the status line shows
        assert "s save, then reload" in text and "n cancel" in text
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmQuit))
        await asyncio.sleep(0.2)
        assert app.session.experiment is experiment and screen.run is run
        assert run.state == "paused" and run.trainer.step == at  # cancel: as it was
        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("d")
        await until(pilot, lambda: app.session.experiment is not experiment)
        await until(pilot, lambda: app.state == "ready")
        assert screen.run is None and run.state == "stopped"
        fresh = ne.load_experiment("digits_mlp").model[0].weight.tolist()
        assert app.session.experiment.model[0].weight.tolist() == fresh


async def test_open_mid_run_saves_to_the_runs_folder_then_opens(tmp_path):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await mid_run(pilot)
        run = screen.run
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OpenScreen))
        await pilot.press("down", "enter")  # the first sample: attention
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        assert run.state == "paused" and app.screen.doing == "open attention"
        steps = app.screen.steps
        await pilot.press("s")
        await until(pilot, lambda: app.session.name == "attention" and app.state == "ready")
        saved = ne.load(run.trainer.run_dir / "checkpoint.safetensors")
        assert saved["step"] == steps + 23 == run.trainer.step  # 23: the first epoch's save
        assert run.trainer.run_dir.resolve().parent == tmp_path / "runs" / "digits_mlp"


async def test_a_saved_paused_run_reloads_without_asking():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 2)
        await pilot.press("c")
        await until(pilot, lambda: not screen.run.unsaved)
        experiment = app.session.experiment
        await pilot.press("R")
        await until(pilot, lambda: app.session.experiment is not experiment)
        assert not isinstance(app.screen, ConfirmQuit)


# ---------------------------------------------------------------------- 2. new runs are new
def first_loss_of_a_fresh_experiment() -> float:
    fresh = ne.load_experiment("digits_mlp")
    return fresh.loss(next(iter(fresh.train_loader))).item()


async def finished_run(pilot) -> TrainingScreen:
    screen = await training(pilot, epochs=1)  # 23 steps
    await pilot.press("space")
    await until(pilot, lambda: screen.run is not None and screen.run.state == "done")
    return screen


async def test_a_new_run_after_a_finished_one_starts_from_a_fresh_experiment():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await finished_run(pilot)
        old = screen.run
        assert old.trainer.step == 23 and old.losses[0] == first_loss_of_a_fresh_experiment()
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewRun))
        assert "continue from step 23" in screen_text(app)
        await pilot.press("f")  # saved at the end: no question, a fresh experiment()
        await until(pilot, lambda: screen.run not in (None, old) and screen.run.trainer.step == 1)
        run = screen.run
        assert run.experiment is not old.experiment
        assert run.losses == [first_loss_of_a_fresh_experiment()]
        optimizer = run.experiment.optimizer
        assert [s["step"] for s in optimizer.state.values()] == [1, 1, 1, 1]  # fresh Adam
        assert run.trainer.run_dir != old.trainer.run_dir
        assert json.loads((run.trainer.run_dir / "run.json").read_text())["parent"] is None


async def test_continuing_keeps_the_weights_counts_on_and_names_the_parent():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await finished_run(pilot)
        old = screen.run
        weights = app.session.experiment.model[0].weight.tolist()
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, NewRun))
        await pilot.press("c")
        await until(pilot, lambda: screen.run is not old and screen.run.state == "done")
        run = screen.run
        assert run.experiment is old.experiment
        assert run.trainer.step == 46 and run.trainer.epoch == 2
        assert run.steps == list(range(1, 47))  # the plot goes on where it was
        fresh = ne.load_experiment("digits_mlp")  # two epochs in one go, headless
        reports = Trainer(fresh, write_metrics=False).run(2)
        assert run.losses == [r.loss for r in reports if isinstance(r, StepReport)]
        adam = app.session.experiment.optimizer.state.values()
        assert [s["step"] for s in adam] == [46] * 4
        info = json.loads((run.trainer.run_dir / "run.json").read_text())
        assert info["parent"] == str(old.trainer.run_dir)
        assert info["settings"]["start_step"] == 23
        assert ne.load(run.trainer.run_dir / "checkpoint.safetensors")["step"] == 46
        assert weights != app.session.experiment.model[0].weight.tolist()
        screen.redraw(force=True)
        assert "step 46/46  epoch 2/2" in content(app, "#train-status")


async def test_escape_at_the_new_run_question_keeps_the_finished_run():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await finished_run(pilot)
        old = screen.run
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, NewRun))
        await pilot.press("escape")
        await pilot.pause()
        assert screen.run is old and old.state == "done"


# ---------------------------------------------------------------------- 3. val_data is optional
NO_VAL = """
import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

def experiment():
    ne.manual_seed(0)
    x, y = datasets.spirals(n=96, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    return Experiment(name="no_val", model=model, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=optim.Adam(model.parameters(), lr=1e-2),
                      train_loader=DataLoader(TensorDataset(x, y), batch_size=32), epochs=3)
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_an_experiment_without_val_data_trains_past_its_epochs(tmp_path, size):
    path = tmp_path / "no_val.py"
    path.write_text(textwrap.dedent(NO_VAL))
    app = NnbenchApp(str(path))
    async with app.run_test(size=size, notifications=True) as pilot:
        screen = await training(pilot)
        for epoch in (1, 2, 3):  # draw after each epoch's end
            await pilot.press(*["n"] * 3)
            await until(pilot, lambda e=epoch: screen.run.trainer.step == 3 * e)
            screen.redraw(force=True)
            await pilot.pause()
            status = content(app, "#train-status")
            assert f"step {3 * epoch}/9" in status and "val" not in status
        await pilot.press("n")
        await until(pilot, lambda: screen.run.state == "done")
        screen.redraw(force=True)
        await pilot.pause()
        assert app.is_running and screen.run.error is None
        assert "train" in content(app, "#train-plot") and "val" not in content(app, "#train-plot")
        assert "Training finished" in messages(app)


# -------------------------------------------------------------------- 4. whatever user code raises
RAISES_AT_IMPORT = {
    "sys.exit": ("import sys\nsys.exit(3)\n", "SystemExit: the file called sys.exit(3)"),
    "KeyboardInterrupt": ("raise KeyboardInterrupt('mine')\n", "KeyboardInterrupt: mine"),
    "argparse": (
        "import argparse\nparser = argparse.ArgumentParser()\nparser.add_argument('--lr')\n"
        "args = parser.parse_args(['--nope'])\n",
        "SystemExit: the file called sys.exit(2)",
    ),
    "in experiment()": (
        "import sys\ndef experiment():\n    sys.exit('bye')\n",
        "SystemExit: the file called sys.exit('bye')",
    ),
}


@pytest.mark.parametrize("case", RAISES_AT_IMPORT)
async def test_anything_raised_at_load_shows_on_the_error_screen(tmp_path, case):
    source, shown = RAISES_AT_IMPORT[case]
    path = tmp_path / "raises.py"
    path.write_text(source)
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state == "error")
        assert app.is_running and app.screen.query_one(ErrorPanel).display
        assert shown in content(app, "#error-text")
        assert str(path) in content(app, "#error-text")
        for key in ("2", "n", "f", "3", "4", "space", "n", "c", "x", "w", "a", "v", "l", "1", "d"):
            await pilot.press(key)  # every key while the error shows: still up
        await pilot.pause()
        assert app.is_running
        path.write_text(textwrap.dedent(NO_VAL))
        await pilot.press("R")
        await until(pilot, lambda: app.state == "ready")
        assert app.session.name == "no_val"


STEP_RAISES = """
import sys
import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

calls = [0]

def experiment():
    x, y = datasets.spirals(n=96, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(batch):
        calls[0] += 1
        if calls[0] > 3:
            RAISE
        return nn.functional.cross_entropy(model(batch[0]), batch[1])

    return Experiment(name="step_raises", model=model, forward=forward,
                      optimizer=optim.SGD(model.parameters(), lr=0.1),
                      train_loader=DataLoader(TensorDataset(x, y), batch_size=32), epochs=5)
"""


@pytest.mark.parametrize(
    "raise_, shown",
    [("raise KeyboardInterrupt('in my step')", "KeyboardInterrupt: in my step"),
     ("sys.exit(4)", "SystemExit: 4")],
)  # fmt: skip
async def test_anything_raised_in_a_step_shows_and_the_app_stays_up(tmp_path, raise_, shown):
    path = tmp_path / "step_raises.py"
    path.write_text(textwrap.dedent(STEP_RAISES).replace("RAISE", raise_))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "failed")
        screen.redraw(force=True)
        await pilot.pause()
        text = content(app, "#error-text")
        assert shown in text and "failed while training" in text and "line 16" in text
        for key in ("space", "n", "x", "c", "2", "4", "R"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running


# ---------------------------------------------------------------------- 7. saves that fail
async def test_a_failing_manual_save_says_why_and_the_run_goes_on(monkeypatch):
    monkeypatch.setattr(checkpoint, "save", no_space)
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await mid_run(pilot)
        await pilot.press("c")
        await until(pilot, lambda: "No space left on device" in messages(app))
        at = screen.run.trainer.step
        await until(pilot, lambda: screen.run.trainer.step > at + 20)
        assert screen.run.state == "running" and screen.run.unsaved
        assert "Checkpoint not saved" in messages(app)
        await pilot.press("x")


async def test_failing_automatic_checkpoints_say_why_and_the_run_finishes(monkeypatch):
    monkeypatch.setattr(checkpoint, "save", no_space)
    monkeypatch.setattr(live, "AUTOSAVE_EVERY", 0.0)  # at every epoch's end
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await training(pilot, epochs=2)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "done")
        screen.redraw(force=True)
        await pilot.pause()
        assert screen.run.trainer.step == 46 and screen.run.error is None
        assert "No space left on device" in messages(app)
        assert "Training finished; not saved" in messages(app)
        assert screen.run.unsaved  # so q still asks


async def test_a_save_that_fails_in_the_question_does_not_quit_and_says_why(monkeypatch):
    monkeypatch.setattr(checkpoint, "save", no_space)
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await mid_run(pilot)
        experiment = app.session.experiment
        for key, doing in (("q", "quit"), ("R", "reload")):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
            await pilot.press("s")
            await until(pilot, lambda d=doing: f"Did not {d}" in messages(app))
            assert app.is_running and not isinstance(app.screen, ConfirmQuit)
            assert app.session.experiment is experiment and screen.run.state == "paused"
        assert "No space left on device" in messages(app)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("d")
        await pilot.pause()
    assert not app.is_running


async def test_an_unwritable_runs_folder_trains_anyway_and_says_so(tmp_path, monkeypatch):
    (tmp_path / "runs").write_text("a file where the runs folder should be")
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the fallback folder
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await training(pilot, epochs=1)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "done")
        screen.redraw(force=True)
        await pilot.pause()
        assert screen.run.trainer.step == 23 and screen.run.error is None
        told = messages(app)
        assert "cannot create the run folder under runs (not a directory)" in told
        assert "Checkpoint not saved" not in told
        fallback = tmp_path / "tmp" / "nnbench-digits_mlp-run-step23.safetensors"
        assert f"the checkpoint went to {fallback}" in told  # the file, named
        assert ne.load(fallback)["step"] == 23


# ---------------------------------------------------------------------- 8. the natural next thing
async def test_a_device_move_mid_run_does_not_ask_and_the_run_goes_on():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await mid_run(pilot)
        app.session.accelerator = "torch:cpu"
        run = screen.run
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmQuit)
        at = run.trainer.step
        await until(pilot, lambda: run.trainer.step > at + 10)
        assert screen.run is run and run.state == "running"
        await pilot.press("x")
        await until(pilot, lambda: run.state == "stopped")
        await pilot.press("d")  # back to cpu: the ended run is still this experiment's
        await pilot.pause()
        assert screen.run is run


async def test_a_second_reload_while_the_first_loads_wins(tmp_path):
    slow = tmp_path / "slow.py"
    slow.write_text("import time\ntime.sleep(1.0)\n" + textwrap.dedent(NO_VAL))
    app = NnbenchApp(str(slow))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OpenScreen))
        await pilot.press("down", "enter")  # the first sample (attention), while slow.py loads
        await until(pilot, lambda: app.session.name == "attention")
        await asyncio.sleep(1.5)  # slow.py finishes now; its result must not replace it
        await pilot.pause()
        assert app.session.name == "attention" and app.state == "ready"
