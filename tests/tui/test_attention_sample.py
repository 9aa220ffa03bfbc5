"""The attention sample: a causal self-attention block on the Alice text, whose steps the
Graph pane shows grouped by module at 80x24, and which trains live with its loss going down."""

import numpy as np
import pytest

from nnbench.engine.workbench.experiment import load_experiment, sample_names
from nnbench.engine.workbench.graph import step_graph
from nnbench.engine.workbench.training import EpochReport, StepReport, Trainer
from nnbench.tui.app import NnbenchApp
from nnbench.tui.graph import GraphScreen, NodeList

from .pilot import content, press, started, until


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # runs/ goes here


def test_the_attention_sample_is_listed_and_its_graph_shows_the_masked_softmax():
    assert "attention" in sample_names()
    graph = step_graph(load_experiment("attention"))
    inside = [node.op for node in graph.nodes if node.module == "attention"]
    # q @ k^T, / sqrt(dim), ~mask, masked_fill, softmax, weights @ v: step by step
    assert inside == ["transpose", "matmul", "div", "logical_not", "masked_fill", "softmax",
                      "matmul"]  # fmt: skip
    assert {"attention.query", "attention.key", "attention.value", "embed", "head"} <= {
        node.module for node in graph.nodes
    }


def test_the_attention_sample_trains(tmp_path):
    experiment = load_experiment("attention")
    reports = list(Trainer(experiment, runs_dir=tmp_path).run(2))
    first = next(r for r in reports if isinstance(r, StepReport))
    final = [r for r in reports if isinstance(r, EpochReport)][-1]
    assert final.train_loss < first.loss - 0.5
    assert final.val_accuracy > 0.15  # well above chance (1 / vocabulary)


async def test_the_attention_sample_steps_grouped_by_module_and_trains_live_at_80x24():
    app = NnbenchApp("attention")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2")
        screen = app.screen
        assert isinstance(screen, GraphScreen)
        if not screen.grouped:
            await press(pilot, "g")
        assert screen.grouped and "grouped by module" in content(app, "#graph-status")
        labels = [span.label for span in screen.query_one(NodeList).spans]
        assert "attention" in labels and "attention.query" in labels
        await press(pilot, "f")
        assert app.stepper.position == app.stepper.forward_total
        await press(pilot, "b")
        assert app.stepper.phase == "done"
        await press(pilot, "4")
        run_screen = app.screen
        app.session.experiment.epochs = 10_000
        await pilot.press("space")
        await until(pilot, lambda: run_screen.run.trainer.step > 60, timeout=60)
        await pilot.press("space")
        losses = list(run_screen.run.losses)
        assert all(np.isfinite(losses))
        assert np.mean(losses[-10:]) < np.mean(losses[:10])
