"""Buffers and constants in the Graph pane and ``nnbench graph``: BatchNorm's counter is no
step of the graph (as in torch), one forward updates the buffers once, constants show
"(no grad)" and every view names a tensor alike: a buffer by its name, others const0..."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from nnbench.engine.workbench.experiment import load_experiment
from nnbench.engine.workbench.graph import step_graph, to_text
from nnbench.tui.app import NnbenchApp
from nnbench.tui.graph import NodeList
from nnbench.tui.stepper import Stepper

from .pilot import content, press, started

BATCH_NORM = """
import numpy as np
import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * 4 * 4, 3)
        self.register_buffer("mask", ne.ones(4, 4, dtype=ne.bool).triu(1))

    def forward(self, x):
        h = self.bn(self.conv(x)).relu()
        h = h.masked_fill(self.mask, 0.0)
        lower = ne.ones(4, 4, dtype=ne.bool).tril(-1)  # made in the forward: a constant
        h = h.masked_fill(lower, 0.0) * ne.tensor(np.full((4, 4), 2.0, np.float32))
        return self.fc(h.flatten(1))


def experiment():
    ne.manual_seed(0)
    model = Net()
    x = ne.tensor(np.random.default_rng(0).normal(size=(4, 1, 4, 4)).astype(np.float32))
    y = ne.tensor([0, 1, 2, 1])
    return Experiment(name="bn", model=model, loss_fn=nn.CrossEntropyLoss(),
                      optimizer=optim.SGD(model.parameters(), lr=0.1), example_batch=(x, y))
"""


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "bn.py"
    file.write_text(BATCH_NORM)
    return file


def _torch_running_stats(experiment):
    """running_mean, running_var and the count after one training forward in torch."""
    model = experiment.model
    twin = torch.nn.BatchNorm2d(2)
    conv = model.conv.to_torch()
    x = torch.tensor(experiment.example_batch[0].numpy())
    with torch.no_grad():
        twin(conv(x))
    return twin.running_mean.numpy(), twin.running_var.numpy(), int(twin.num_batches_tracked)


def _assert_one_update(experiment):
    bn = experiment.model.bn
    mean, var, count = _torch_running_stats(experiment)
    assert int(bn.num_batches_tracked.item()) == count == 1
    np.testing.assert_allclose(bn.running_mean.numpy(), mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn.running_var.numpy(), var, rtol=1e-5, atol=1e-7)


def test_nnbench_graph_shows_no_counter_step_and_names_buffers(path):
    out = subprocess.run(
        [sys.executable, "-m", "nnbench.tui.cli", "graph", str(path)],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    forward = out.stdout.split("loss =")[0]
    assert "add_" not in forward and "tensor()" not in forward
    assert "batch_norm(r0, bn.weight, bn.bias, bn.running_mean, bn.running_var) [bn]" in forward
    assert "masked_fill(r2, mask, 0)" in forward
    tril = next(line for line in forward.splitlines() if "= tril(" in line)
    assert "(no grad)" in tril and "TrilBackward0" not in tril
    assert "mul(r5, const1)" in forward  # the tensor made in the forward


def test_one_step_graph_updates_the_buffers_once_as_torch(path):
    experiment = load_experiment(str(path))
    graph = step_graph(experiment)  # a forward and its replay
    _assert_one_update(experiment)
    assert [n.op for n in graph.nodes].count("add_") == 0
    assert "bn.running_mean" in to_text(graph)


def test_the_pane_names_tensors_as_nnbench_graph_does(path):
    experiment = load_experiment(str(path))
    graph = step_graph(load_experiment(str(path)))
    stepper = Stepper(experiment, experiment.example_batch)
    forward = stepper.rows[: stepper.forward_total]
    assert [row.label for row in forward] == [
        f"{node.output} = {node.op}({', '.join(node.inputs)})" for node in graph.nodes
    ]
    assert [row.grad_fn for row in forward] == [node.grad_fn or "(no grad)" for node in graph.nodes]
    stepper.run_forward()  # the replay updates nothing
    _assert_one_update(experiment)
    batch_norm = next(s for s in stepper.forward_done if s.record.op == "batch_norm")
    made = stepper.records[batch_norm.record.index].output
    assert np.allclose(batch_norm.output, made.detach().numpy())
    # the running statistics as the op read them: before this forward folded its batch in
    assert batch_norm.inputs[3].tolist() == [0.0, 0.0] and batch_norm.inputs[4].tolist() == [1, 1]


COUNTER = """
import nnbench.engine as ne
from nnbench.engine import Experiment, nn


class Counting(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", ne.zeros(()))

    def forward(self, x):
        with ne.no_grad():
            self.calls += 1
        return x * self.calls


def experiment():
    w = ne.tensor([1.0, 2.0], requires_grad=True)
    model = Counting()
    return Experiment(name="count", forward=lambda batch: model(w).sum(), tensors={"w": w},
                      example_batch=(), model=model)
"""


def test_a_replayed_in_place_op_starts_from_the_value_the_forward_found(tmp_path):
    file = tmp_path / "count.py"
    file.write_text(COUNTER)
    experiment = load_experiment(str(file))
    stepper = Stepper(experiment, ())
    assert stepper.rows[0].label == "r0 = add_(calls, 1)" and stepper.rows[0].grad_fn == "(no grad)"
    stepper.run_forward()
    assert float(stepper.forward_done[0].output) == 1.0  # as after torch's one forward, not 2
    assert experiment.model.calls.item() == 1.0
    assert stepper.forward_done[1].output.tolist() == [1.0, 2.0]


def _node_lines(app) -> list[str]:
    node_list = app.screen.query_one(NodeList)
    return [node_list.render_line(y).text.rstrip() for y in range(node_list.size.height)]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_graph_pane_shows_buffers_by_name_and_constants_without_grad(path, size):
    app = NnbenchApp(str(path))
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2", "f")
        lines = [line for line in _node_lines(app) if line]
        text = "\n".join(lines)
        width = app.screen.query_one(NodeList).size.width
        assert "F r0 = convolution(input, conv.weigh" in lines[0]
        assert "F r1 = batch_norm(r0, bn.weight, bn.bias, bn.running"[: width - 4] in lines[1]
        assert "add_" not in text and "tensor(" not in text
        tril = next(line for line in lines if "= tril(" in line)
        assert "(no grad)" in tril and "Backward" not in tril
        assert "masked_fill(r2, mask, 0)" in text
        assert int(app.stepper.experiment.model.bn.num_batches_tracked.item()) == 1
        await press(pilot, *["up"] * (app.stepper.forward_total - 2))  # onto batch_norm
        details = content(app, "#details-text")
        assert details.startswith("r1 = batch_norm(r0, bn.weight, bn.bias, bn.running_mean, ")
        assert "in  bn.running_var (2,) = [1, 1]" in details  # as the op read it
        assert "NativeBatchNormBackward0" in details
