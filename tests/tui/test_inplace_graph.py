"""In-place ops in the Graph pane: a node each, named by the version they make."""

import pytest

from nnbench.engine.workbench.experiment import load_experiment
from nnbench.tui.app import NnbenchApp
from nnbench.tui.stepper import Stepper

from .pilot import content, messages, press, started

MANUAL_GRADIENT = """
import nnbench.engine as ne
from nnbench.engine import Experiment

def experiment():
    logits = ne.tensor([[1.0, 2.0, 0.5], [0.3, 0.1, 2.0]], requires_grad=True)
    targets = ne.tensor([1, 2])

    def forward(batch):
        d = logits.softmax(1).clone()
        d[range(2), targets] -= 1
        d /= 2
        return (d * d).sum()

    return Experiment(name="manual", forward=forward, tensors={"logits": logits}, example_batch=())
"""


def _stepper(tmp_path):
    path = tmp_path / "manual.py"
    path.write_text(MANUAL_GRADIENT)
    experiment = load_experiment(str(path))
    return Stepper(experiment, experiment.example_batch)


def test_each_in_place_op_is_a_row_named_by_the_version_it_makes(tmp_path):
    stepper = _stepper(tmp_path)
    labels = [row.label for row in stepper.rows[: stepper.forward_total]]
    assert labels[1:6] == [
        "r1 = clone(r0)",
        "r2 = getitem(r1)",
        "r3 = sub_(r2, 1)",
        "r4 = index_put_(r1, r3)",
        "d = div_(r4, 2)",  # the code's d: the tensor it holds at the end, as div_ left it
    ]
    backward = [row.label for row in stepper.rows[stepper.forward_total :]]
    assert backward[2:5] == ["d d", "d r4", "d r3"]
    assert [row.grad_fn for row in stepper.rows[3:6]] == [
        "SubBackward0",
        "IndexPutBackward0",
        "DivBackward0",
    ]


def test_the_replay_shows_each_version_as_it_was_made(tmp_path):
    stepper = _stepper(tmp_path)
    stepper.run_forward()
    clone, picked = stepper.forward_done[1].output, stepper.forward_done[2].output
    softmax = stepper.forward_done[0].output
    assert (clone == softmax).all()  # before the -= 1 changed it
    assert [round(float(v), 4) for v in picked] == [0.6285, 0.7506]
    stepper.run_backward()
    assert stepper.experiment.tensors["logits"].grad is not None


BROKEN = """
import nnbench.engine as ne
from nnbench.engine import Experiment

def experiment():
    w = ne.tensor([[1.0, 2.0], [0.5, -1.0], [0.1, 0.3]], requires_grad=True)

    def forward(batch):
        y = (w * 2).exp()
        y += 1  # exp saved its output for the backward: this changes it
        return y.sum()

    return Experiment(name="broken", forward=forward, tensors={"w": w}, example_batch=())
"""


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_an_in_place_mistake_in_the_forward_stops_the_backward_and_says_why(tmp_path, size):
    """Found by a new user: the pane took it for training and traced again, for ever."""
    path = tmp_path / "broken.py"
    path.write_text(BROKEN)
    app = NnbenchApp(str(path))
    async with app.run_test(size=size, notifications=True) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "b")
        stepper = app.stepper
        assert stepper.stopped and "ExpBackward0 saved its output" in stepper.stopped
        assert "the backward stops after this node" in content(app, "#details-text")
        assert "Graph traced again" not in messages(app)
        position = stepper.position
        await press(pilot, "n")
        assert app.stepper is stepper and stepper.position == position  # it stays there
