"""The Graph pane's Stepper is the NamedStep that nnbench graph builds, walked node by node."""

from nnbench.engine.workbench.experiment import load_experiment
from nnbench.engine.workbench.graph import NamedStep, step_graph
from nnbench.tui.stepper import Stepper


def test_the_pane_and_nnbench_graph_name_a_step_alike():
    experiment = load_experiment("digits_mlp")
    graph = step_graph(experiment)
    stepper = Stepper(experiment, experiment.example_batch)
    assert isinstance(stepper, NamedStep)
    forward = stepper.rows[: stepper.forward_total]
    assert [row.label for row in forward] == [
        f"{node.output} = {node.op}({', '.join(node.inputs)})" for node in graph.nodes
    ]
    assert [row.module for row in forward] == [node.module for node in graph.nodes]


def test_tensors_made_inside_the_forward_are_constants_in_the_graph_and_shapes_in_the_pane():
    import nnbench.engine as ne
    from nnbench.engine import Experiment

    w = ne.tensor([1.0, 2.0], requires_grad=True)
    experiment = Experiment(
        name="scaled", forward=lambda batch: (w * ne.tensor([3.0, 4.0])).sum(),
        tensors={"w": w}, example_batch=(),
    )  # fmt: skip
    assert step_graph(experiment).nodes[0].inputs == ["w", "const0"]
    assert Stepper(experiment, ()).rows[0].label == "r0 = mul(w, tensor(2,))"
