"""The Training pane under real use: watchpoints that let a learner watch divergence,
pace keys, editing the run, earlier runs laid over the plot, the regression view, and the
small things a new user met (lr of a hand-written update, breadcrumbs, the twin's refusal)."""

import json
import textwrap

import pytest

from nnbench.tui.app import NnbenchApp
from nnbench.tui.runsettings import HistoryScreen, RunSettingsScreen, WatchScreen
from nnbench.tui.training import TrainingScreen

from .pilot import content, messages, until


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


DIVERGING = """
import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

def experiment():
    ne.manual_seed(0)
    x = ne.randn(64, 1)
    model = nn.Linear(1, 1)
    return Experiment(name="diverging", model=model, loss_fn=nn.MSELoss(), task="regression",
        optimizer=optim.SGD(model.parameters(), lr=5),
        train_loader=DataLoader(TensorDataset(x, 2 * x + 1), batch_size=16), epochs=2)
"""


async def pane(pilot, epochs=None) -> TrainingScreen:
    app = pilot.app
    await until(pilot, lambda: app.state != "loading")
    if epochs is not None:
        app.session.experiment.epochs = epochs
    await pilot.press("4")
    await pilot.pause()
    return app.screen


def diverging(tmp_path) -> str:
    path = tmp_path / "diverging.py"
    path.write_text(textwrap.dedent(DIVERGING))
    return str(path)


async def test_a_diverging_run_is_watched_not_trapped(tmp_path):
    """SGD at lr 5: the gradient-norm watchpoint says so once, and the run goes on (the
    plot follows every step) instead of skipping the same batch on every space."""
    app = NnbenchApp(diverging(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await pane(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "done")
        view = screen.view
        assert view.step == 8 and len(view.losses) == 8 and view.losses[-1] > view.losses[0]
        assert view.fired["grad_norm"] >= 5
        toasts = [n for n in app._notifications if "Watchpoint" in (n.title or "")]
        assert len(toasts) == 1 and "the largest is" in toasts[0].message
        screen.redraw(force=True)
        assert "grad_norm fired" in content(app, "#train-status")


async def test_a_pausing_watchpoint_set_in_the_dialog_waits_and_space_applies_it(tmp_path):
    app = NnbenchApp(diverging(tmp_path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await pane(pilot)
        await pilot.press("W")
        await until(pilot, lambda: isinstance(app.screen, WatchScreen))
        field = app.screen.query_one("#form-grad_norm")
        field.value = "on, 10, explode"
        field.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, WatchScreen)  # a wrong action: the dialog says so
        assert "the action is one of pause, skip, continue" in str(
            app.screen.query_one("#form-error").content
        )
        field.value = "on, 10, pause"
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen))
        assert app.session.watch.grad_norm.threshold == 10
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "watchpoint")
        at = screen.view.step
        assert "paused before its update, space applies it" in content(app, "#train-status")
        await pilot.press("space")
        await until(pilot, lambda: screen.view.step > at)
        await pilot.press("a")
        await until(pilot, lambda: "the largest is" in messages(app))


async def test_pace_keys_slow_the_run_and_show_in_the_header():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pane(pilot, epochs=1000)
        await pilot.press("minus", "minus", "minus", "minus")  # full -> 100 -> 20 -> 5 -> 1
        assert app.session.pace == 1
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "running")
        assert "1 step/s" in app.sub_title
        await pilot.pause(1.2)
        assert screen.view.step <= 3  # at full speed: hundreds
        await pilot.press("plus", "plus", "plus", "plus")
        assert app.session.pace is None
        await until(pilot, lambda: screen.view.step > 50)
        assert "full speed" in app.sub_title


async def test_the_run_is_edited_from_a_dialog_that_checks_what_it_takes():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await pane(pilot, epochs=1000)
        await pilot.press("n")
        await until(pilot, lambda: screen.view.step == 1)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, RunSettingsScreen))
        lr = app.screen.query_one("#form-lr")
        lr.value = "-1"
        lr.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "Invalid learning rate: -1.0" in str(app.screen.query_one("#form-error").content)
        lr.value = "0.25"
        app.screen.query_one("#form-epochs").value = "2"
        await pilot.press("enter")
        await until(pilot, lambda: screen.view.lr == 0.25 and screen.view.total_steps == 46)
        assert app.session.experiment.optimizer.param_groups[0]["lr"] == 0.25
        lines = (screen.view.run_dir / "metrics.jsonl").read_text().splitlines()
        settings = [json.loads(x) for x in lines if '"settings"' in x]
        assert settings == [{"kind": "settings", "step": 1, "lr": 0.25, "epochs": 2}]


async def test_an_earlier_run_is_laid_over_the_plot():
    app = NnbenchApp("linear_regression")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await pane(pilot, epochs=2)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "done")
        first = screen.view.run_dir.name
        await pilot.press("space")  # ended: a new run or continue
        await pilot.pause()
        await pilot.press("c")
        await until(pilot, lambda: screen.view.run_dir.name != first)
        await until(pilot, lambda: screen.view.state == "done")
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.overlay is not None)
        assert screen.overlay[0] == first and len(screen.overlay[1]) == 20
        screen.redraw(force=True)
        assert f"run {first}" in content(app, "#train-plot")


async def test_a_regression_shows_its_fit_and_parameters_against_the_truth():
    app = NnbenchApp("linear_regression")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await pane(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "done")
        screen.redraw(force=True)
        await pilot.pause()
        side = content(app, "#train-boundary")
        assert "truth" in side and "fit * over the data" in side
        assert "lr 0.1" in content(app, "#train-status")  # the hand-written update's lr
    app = NnbenchApp("linear_regression")
    async with app.run_test(size=(80, 24)) as pilot:  # narrow: v switches to it
        screen = await pane(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.view.step == 1)
        await pilot.press("v")
        assert "truth" in content(app, "#train-boundary")


async def test_breadcrumbs_says_there_is_nothing_to_train_before_space():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pane(pilot)
        assert "nothing to train" in content(app, "#train-status")
        assert "press space" not in content(app, "#train-status")


async def test_the_twin_refusal_says_what_is_missing():
    app = NnbenchApp("linear_regression")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pane(pilot)
        await pilot.press("w")
        await pilot.pause()
        assert "has no nn model" in messages(app) and "None" not in messages(app)


async def test_stepping_by_hand_shows_no_eta():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pane(pilot, epochs=100)
        await pilot.press("n")
        await until(pilot, lambda: screen.view.step == 1)
        screen.redraw(force=True)
        assert "ETA" not in content(app, "#train-status")


async def test_the_run_belongs_to_the_session_and_goes_with_its_experiment():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pane(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.view.step == 1)
        assert app.session.run is screen.run and app.training_run() is app.session.run
        app.session.run.stop()
        app.start_load("breadcrumbs")
        await until(pilot, lambda: app.session.name == "breadcrumbs" and app.state == "ready")
        assert app.session.run is None and app.session.view is None


OWN_MODULE = """
import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

class Mine(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, x):
        return self.fc(x) * 2

def experiment():
    x, y = ne.randn(32, 2), ne.randint(0, 2, (32,))
    model = nn.Sequential(Mine(), nn.ReLU())
    return Experiment(name="mine", model=model, loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.SGD(model.parameters(), lr=0.1),
        train_loader=DataLoader(TensorDataset(x, y), batch_size=8))
"""


async def test_a_finished_run_stays_when_the_twin_cannot_copy_a_module(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(textwrap.dedent(OWN_MODULE))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await pane(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.view.state == "done")
        run = app.session.run
        await pilot.press("w")
        await pilot.pause()
        assert "no twin of 0 (Mine)" in messages(app)
        assert app.session.run is run and screen.view.state == "done"  # nothing was lost
