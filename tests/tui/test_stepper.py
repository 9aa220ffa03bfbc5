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


def test_tensors_made_inside_the_forward_are_constants_in_the_graph_and_the_pane():
    import nnbench.engine as ne
    from nnbench.engine import Experiment

    w = ne.tensor([1.0, 2.0], requires_grad=True)
    experiment = Experiment(
        name="scaled", forward=lambda batch: (w * ne.tensor([3.0, 4.0])).sum(),
        tensors={"w": w}, example_batch=(),
    )  # fmt: skip
    assert step_graph(experiment).nodes[0].inputs == ["w", "const0"]
    assert Stepper(experiment, ()).rows[0].label == "r0 = mul(w, const0)"


def test_a_fused_node_opens_into_a_stepper_of_its_parts():
    experiment = load_experiment("digits_mlp")
    stepper = Stepper(experiment, experiment.example_batch)
    assert stepper.rows[1].label == "r1 = addmm(0.bias, input, r0)"
    before = stepper.parts(1)  # opened in the forward: no gradient has reached it yet
    assert [row.label for row in before.rows] == [
        "r1.0 = matmul(input, r0)",
        "r1.1 = add(r1.0, 0.bias)",
    ]
    stepper.run_backward()
    assert not stepper.parts_of_row(2)  # relu is one op
    assert stepper.parts(2) is None
    parts = stepper.parts(1)
    assert [row.label for row in parts.rows][2:] == [
        "d r1.1",
        "out to 0.bias",
        "d r1.0",
        "out to r0",
    ]
    parts.run_backward()
    fused = next(s for s in stepper.backward_done if s.node is stepper.records[1].node)
    sent = {parts.name_of(s.node.variable): s.grad_output for s in parts.backward_done[-3::2]}
    assert abs(sent["0.bias"] - fused.grad_inputs[0]).max() < 1e-6
    assert abs(sent["r0"] - fused.grad_inputs[2]).max() < 1e-6
    assert experiment.model[0].bias.grad is not None  # the model's own grads stay as they were
    assert stepper.position == stepper.total


def test_every_trace_of_a_model_walks_its_backward_in_the_same_order():
    """A leaf's AccumulateGrad is made once, by the first trace: later traces used to
    put every leaf at the end of the backward."""
    experiment = load_experiment("digits_mlp")
    first = Stepper(experiment, experiment.example_batch)
    batches = iter(experiment.train_loader)
    for _ in range(2):
        again = Stepper(experiment, next(batches))
        assert [row.label for row in again.rows] == [row.label for row in first.rows]
