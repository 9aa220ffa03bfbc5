"""The Training pane at 80x24: live runs, pause and resume, checkpoints, watchpoints, the
PyTorch twin, a device move mid-run, failures in the user's code, and quitting."""

import asyncio
import json
import textwrap

import numpy as np
import pytest
from textual.widgets import Static

import nnbench.engine as ne
from nnbench.tui.app import NnbenchApp
from nnbench.tui.graph import GraphScreen
from nnbench.tui.training import ConfirmQuit, TrainingScreen

from .pilot import content, until


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ goes here


async def training_pane(pilot, epochs=None) -> TrainingScreen:
    """Pane 4; ``epochs`` makes a run long enough to catch it mid-flight (digits trains
    its default 20 epochs in a fraction of a second)."""
    await pilot.app.workers.wait_for_complete()
    if epochs is not None:
        pilot.app.session.experiment.epochs = epochs
    await pilot.press("4")
    await pilot.pause()
    assert isinstance(pilot.app.screen, TrainingScreen)
    return pilot.app.screen


async def test_digits_trains_pauses_resumes_and_saves_a_checkpoint_that_reloads(tmp_path):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=10_000)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > 30)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "paused")
        await asyncio.sleep(0.2)
        paused_at = screen.run.trainer.step
        await asyncio.sleep(0.3)
        assert screen.run.trainer.step == paused_at  # paused means paused
        await pilot.press("n")
        await until(pilot, lambda: screen.run.trainer.step == paused_at + 1)
        screen.redraw(force=True)
        status = content(app, "#train-status")
        assert f"step {paused_at + 1}/230000" in status and "loss" in status and "steps/s" in status
        assert "train" in content(app, "#train-plot")
        assert "upd/weight" in content(app, "#train-layers")
        metrics = tmp_path / "runs" / "digits_mlp" / "latest" / "metrics.jsonl"
        lines = metrics.read_text().splitlines()
        assert sum(json.loads(line)["kind"] == "step" for line in lines) == paused_at + 1
        await pilot.press("c")
        await pilot.pause()
        path = tmp_path / "runs" / "digits_mlp" / "latest" / "checkpoint.safetensors"
        state = ne.load(path)
        assert state["step"] == paused_at + 1
        model = app.session.experiment.model
        fresh = ne.load_experiment("digits_mlp").model
        fresh.load_state_dict(state["weights"])
        assert fresh[0].weight.tolist() == model[0].weight.tolist()
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > paused_at + 20)
        await pilot.press("x")
        await until(pilot, lambda: screen.run.state == "stopped")
        await pilot.press("1")  # the Inspector now shows Adam's state
        await pilot.pause()
        inspector = app.screen
        assert inspector.select("optimizer/0.weight exp_avg")
        summary = content(app, "#tensor-summary")
        assert (
            "shape (128, 64)" in summary
            and "optimizer.state[model[0].weight]['exp_avg']" in summary
        )


async def test_spirals_draws_its_decision_boundary():
    app = NnbenchApp("spirals")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=10_000)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > 45)
        await pilot.press("space", "v")
        await until(pilot, lambda: screen.run.boundary is not None)
        screen.redraw(force=True)
        boundary = content(app, "#train-boundary")
        assert "▀" in boundary and "decision boundary" in boundary
        assert screen.run.boundary["classes"].shape[1] > 10


NAN_EXPERIMENT = """
import numpy as np
import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

def experiment():
    ne.manual_seed(0)
    x, y = datasets.spirals(n=300, seed=0)
    values = x.numpy().copy()
    values[40, 1] = float("nan")  # one bad sample, in the second batch
    x = ne.tensor(values)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    return Experiment(
        name="nan_data", model=model, loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-2),
        train_loader=DataLoader(TensorDataset(x, y), batch_size=32), epochs=2,
    )
"""


async def test_a_nan_stops_the_run_keeps_the_checkpoint_and_the_graph_finds_the_op(tmp_path):
    path = tmp_path / "nan_data.py"
    path.write_text(textwrap.dedent(NAN_EXPERIMENT))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await training_pane(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.run.trainer.step == 1)
        await pilot.press("c")
        await pilot.pause()
        checkpoint = tmp_path / "runs" / "nan_data" / "latest" / "checkpoint.safetensors"
        saved = checkpoint.read_bytes()
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "watchpoint")
        hit = screen.run.hit
        assert hit.step == 2 and "NaN" in hit.cause
        weights = [p.detach().numpy() for p in app.session.experiment.model.parameters()]
        assert all(np.isfinite(w).all() for w in weights)  # the bad step was not applied
        assert (
            tmp_path / "runs" / "nan_data" / "latest" / "checkpoint.safetensors"
        ).read_bytes() == saved
        screen.redraw(force=True)
        await pilot.pause()
        assert "watchpoint at step 2" in content(app, "#train-status")
        assert any("Watchpoint" in (n.title or "") for n in app._notifications)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, GraphScreen)
        status = content(app, "#graph-status")
        assert "first NaN/Inf: r1 addmm" in status
        assert app.stepper.position == 2  # the forward ran up to that op
        assert "nan" in content(app, "#details-text").lower()


async def test_the_torch_twin_trains_beside_the_engine_within_1e_4():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=3)  # 69 steps: float32 drift stays small
        await pilot.press("w")
        await until(pilot, lambda: screen.run.state == "done")
        twin = screen.run.twin
        assert len(twin.losses) == 69
        engine = screen.run.losses[: len(twin.losses)]
        assert np.max(np.abs(np.array(engine) - np.array(twin.losses))) < 1e-4
        assert twin.max_difference < 1e-4
        screen.redraw(force=True)
        assert "torch twin" in content(app, "#train-plot")
        assert "max |engine - torch| loss" in content(app, "#train-status")


async def test_the_twin_restarts_a_run_from_step_0():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot)
        await pilot.press("n", "n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 3)
        await pilot.press("w")  # it replaces the run, whose 3 steps are not saved: it asks
        await until(pilot, lambda: isinstance(app.screen, ConfirmQuit))
        assert app.screen.steps == 3
        await pilot.press("d")
        await until(pilot, lambda: screen.run.twin is not None and screen.run.trainer.step > 5)
        assert len(screen.run.twin.losses) == len(screen.run.losses)


async def test_the_device_moves_mid_run_and_training_goes_on():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=10_000)
        app.session.accelerator = "torch:cpu"  # stands in for cuda here
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > 20)
        await pilot.press("d")
        moved_at = screen.run.trainer.step
        await until(pilot, lambda: screen.run.trainer.step > moved_at + 20)
        assert app.session.device == "torch:cpu"
        model = app.session.experiment.model
        assert model[0].weight.device.backend_name == "torch"
        assert screen.run.state == "running"
        assert set(screen.run.throughput()) == {"cpu", "torch:cpu"}
        screen.redraw(force=True)
        assert "torch:cpu:" in content(app, "#train-status")
        await pilot.press("x")


FAILING = """
import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

calls = [0]

def experiment():
    x, y = datasets.spirals(n=300, seed=0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(batch):
        calls[0] += 1
        if calls[0] > 5:
            raise RuntimeError("my model broke at call " + str(calls[0]))
        inputs, target = batch
        return nn.functional.cross_entropy(model(inputs), target)

    return Experiment(name="failing", model=model, forward=forward,
                      optimizer=optim.SGD(model.parameters(), lr=0.1),
                      train_loader=DataLoader(TensorDataset(x, y), batch_size=32),
                      example_batch=(x[:4], y[:4]))
"""


async def test_a_failure_in_the_users_code_stops_the_run_and_shows_the_traceback(tmp_path):
    path = tmp_path / "failing.py"
    path.write_text(textwrap.dedent(FAILING))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "failed")
        screen.redraw(force=True)
        shown = str(screen.query_one("#error-text", Static).content)
        assert f'File "{path}", line 15, in forward' in shown
        assert "failed while training" in shown
        assert "my model broke" in shown
        await pilot.press("1")
        assert app.is_running


async def test_quitting_an_unsaved_run_asks_first(tmp_path):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot)
        await pilot.press("n", "n")
        await until(pilot, lambda: screen.run.trainer.step == 2)
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, ConfirmQuit)
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("s")
        await pilot.pause()
    assert (
        ne.load(tmp_path / "runs" / "digits_mlp" / "latest" / "checkpoint.safetensors")["step"] == 2
    )


async def test_a_saved_run_quits_at_once():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot)
        await pilot.press("n")
        await until(pilot, lambda: screen.run.trainer.step == 1)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running


async def test_stepping_the_graph_pauses_training_and_traces_the_current_weights():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=10_000)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > 20)
        await pilot.press("2", "f")  # the trace predates the training steps: traced again
        await until(pilot, lambda: screen.run.state == "paused")
        await pilot.pause()
        stepper = app.stepper
        assert stepper.position == stepper.forward_total
        replayed = float(np.asarray(stepper.forward_done[-1].output))
        assert replayed == pytest.approx(float(stepper.loss.item()), rel=1e-6)  # one set of weights
        await pilot.press("b")
        await pilot.pause()
        assert app.stepper is stepper and app.stepper.phase == "done"
        paused_at = screen.run.trainer.step
        await pilot.press("4", "space")
        await until(pilot, lambda: screen.run.trainer.step > paused_at + 20)
        assert screen.run.state == "running" and screen.run.error is None
        assert all(np.isfinite(loss) for loss in screen.run.losses)
        await pilot.press("x")
