"""What a new user met driving the real app (issue 9, second round): a failed run's steps,
saves that fall back, stuck loads, the Open dialog, checkpoints, cleared panes, run.json."""

import asyncio
import json
import tempfile
import textwrap
import threading

import pytest
from textual.widgets import Input

import nnbench.engine as ne
from nnbench.engine import checkpoint
from nnbench.tui.app import NnbenchApp
from nnbench.tui.live import USER_THREAD
from nnbench.tui.training import ConfirmQuit, NewRun
from nnbench.tui.widgets import OpenScreen

from .pilot import content, until
from .test_app_faults import NO_VAL, STEP_RAISES, messages, question_text, training


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ goes here
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the fallback folder


def run_info(run) -> dict:
    return json.loads((run.trainer.run_dir / "run.json").read_text())


# ---------------------------------------------------------------------- a failed run
async def failed_run(pilot, tmp_path):
    screen = await training(pilot)
    await pilot.press("space")
    await until(pilot, lambda: screen.run.state == "failed")
    screen.redraw(force=True)
    await pilot.pause()
    return screen


def raising_file(tmp_path, after=20):
    path = tmp_path / "step_raises.py"
    source = textwrap.dedent(STEP_RAISES).replace("RAISE", "raise ValueError('mine')")
    path.write_text(
        source.replace("calls[0] > 3", f"calls[0] > {after}").replace("epochs=5", "epochs=50")
    )
    return path


async def test_q_after_a_failed_step_asks_and_save_keeps_the_steps(tmp_path):
    app = NnbenchApp(str(raising_file(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await failed_run(pilot, tmp_path)
        run = screen.run
        assert run.trainer.step == 19  # the 20th forward (the Graph pane made the first) raised
        assert "train" in content(app, "#train-plot")  # the loss plot stays
        assert screen.query_one("#train-plot").region.height > 0
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        assert "The run has 16 step(s) not saved" in question_text(app)  # 3: epoch 1's save
        assert "(failed at step 19)" in question_text(app)
        await pilot.press("s")
        await pilot.pause()
    assert not app.is_running
    assert ne.load(run.trainer.run_dir / "checkpoint.safetensors")["step"] == 19


async def test_space_after_a_failed_step_offers_a_new_run_or_to_continue(tmp_path):
    app = NnbenchApp(str(raising_file(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await failed_run(pilot, tmp_path)
        await pilot.press("space")
        await until(pilot, lambda: isinstance(app.screen, NewRun))
        assert "The run is failed at step 19" in question_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert screen.run.state == "failed"


# ---------------------------------------------------------------------- saves fall back
def refuse_the_runs_folder(monkeypatch, tmp_path):
    real = checkpoint.save

    def save(obj, path):
        if str(tmp_path / "runs") in str(path) or str(path).startswith("runs"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(obj, path)

    monkeypatch.setattr(checkpoint, "save", save)


async def test_c_in_an_unwritable_run_folder_saves_elsewhere_and_names_the_file(
    tmp_path, monkeypatch
):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await training(pilot)
        await pilot.press("n", "n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 3)
        refuse_the_runs_folder(monkeypatch, tmp_path)
        await pilot.press("c")
        await until(pilot, lambda: not screen.run.unsaved)
        run = screen.run
        fallback = (
            tmp_path / "tmp" / f"nnbench-digits_mlp-{run.trainer.run_record.id}-step3.safetensors"
        )
        assert ne.load(fallback)["step"] == 3
        told = messages(app)
        assert f"Saved {fallback}" in told and "permission denied" in told
        assert "Checkpoint not saved" not in told
        await pilot.press("n")  # a later save replaces the fallback file, never piles them up
        await until(pilot, lambda: run.trainer.step == 4)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("s")
        await pilot.pause()
    assert not app.is_running
    assert not fallback.exists()
    assert ne.load(fallback.with_name(fallback.name.replace("step3", "step4")))["step"] == 4


# ---------------------------------------------------------------------- a stuck load, superseded
async def test_a_superseded_endless_load_stops_its_thread(tmp_path):
    path = tmp_path / "endless.py"
    path.write_text("while True:\n    pass\n")
    app = NnbenchApp(str(path))
    earlier = set(threading.enumerate())  # an earlier test's thread may still be ending
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await asyncio.sleep(0.3)  # well into the endless loop
        stuck = [
            t
            for t in threading.enumerate()
            if t.name == USER_THREAD and t.is_alive() and t not in earlier
        ]
        assert len(stuck) == 1
        path.write_text(textwrap.dedent(NO_VAL))
        await pilot.press("R")
        await until(pilot, lambda: app.state == "ready")
        stuck[0].join(1.0)
        assert not stuck[0].is_alive()
        await asyncio.sleep(0.2)
        assert app.state == "ready" and app.session.error is None
        assert "failed" not in messages(app)  # the stop is ours, not the user's error


# ---------------------------------------------------------------------- the Open dialog
async def test_a_typed_path_and_enter_opens_that_path(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(NO_VAL))
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, OpenScreen))
        assert isinstance(app.focused, Input)
        await pilot.press(*str(path), "enter")
        await until(pilot, lambda: app.session.name == "no_val" and app.state == "ready")


# ---------------------------------------------------------------------- after R
async def test_reload_clears_the_old_runs_plot_and_tables():
    app = NnbenchApp("spirals")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await training(pilot)
        await pilot.press(*["n"] * 3)
        await until(pilot, lambda: screen.run.trainer.step == 3)
        screen.redraw(force=True)
        await pilot.pause()
        assert "train" in content(app, "#train-plot")
        await pilot.press("c")
        await until(pilot, lambda: not screen.run.unsaved)
        experiment = app.session.experiment
        await pilot.press("R")
        await until(
            pilot, lambda: app.session.experiment is not experiment and app.state == "ready"
        )
        screen.redraw(force=True)
        await pilot.pause()
        assert "press space to start training" in content(app, "#train-status")
        for region in ("#train-plot", "#train-layers", "#train-boundary"):
            assert content(app, region) == ""


# ---------------------------------------------------------------------- run.json, the question
async def test_discarding_a_run_records_it_as_abandoned():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 2)
        run = screen.run
        assert run_info(run)["status"] == "running"
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        await pilot.press("d")
        await pilot.pause()
    assert run_info(run)["status"] == "abandoned"


async def test_the_question_says_stopped_for_a_stopped_run():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 2)
        await pilot.press("x")
        await until(pilot, lambda: screen.run.state == "stopped")
        await pilot.press("ctrl+q")  # ctrl+q asks as q does
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        assert "(stopped at step 2)" in question_text(app)
        assert "paused" not in question_text(app)
        await pilot.press("n")
