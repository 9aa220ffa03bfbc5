"""In-place ops in the Graph pane: a node each, named by the version they make."""

from nnbench.engine.workbench.experiment import load_experiment
from nnbench.tui.stepper import Stepper

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
        "r5 = div_(r4, 2)",
    ]
    backward = [row.label for row in stepper.rows[stepper.forward_total :]]
    assert backward[2:5] == ["d r5", "d r4", "d r3"]
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
