"""One training step as a graph a person can read: named nodes, forward then backward.

``step_graph(experiment)`` traces the example batch's forward (``ne.trace``) and walks
its backward (``backward_steps``); it adds names (``0.weight``, ``input``, ``r3``) and
summaries, and renders the result as text, JSON or Graphviz dot. The Graph pane uses
the same two engine APIs; this module never recomputes any maths itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from .. import autograd
from ..errors import shape_str
from ..formatting import statistics, to_numpy, value
from ..tensor import Tensor
from ..trace import trace


@dataclass
class GraphNode:
    index: int
    op: str
    grad_fn: str | None
    module: str | None
    inputs: list[str]
    output: str
    shape: tuple
    summary: dict
    grad: dict | None = None
    rule: str = ""


@dataclass
class StepGraph:
    name: str
    nodes: list[GraphNode]
    leaves: dict[str, dict]
    loss: float | None
    backward: list[dict] = field(default_factory=list)


def summarize(array) -> dict:
    """Shape, dtype, a short value, and the statistics of formatting.statistics."""
    data = to_numpy(array)
    out = {"shape": list(data.shape), "dtype": str(data.dtype), "value": value(data)}
    out.update(statistics(data))
    return out


def tensor_names(experiment, batch) -> dict[int, str]:
    """Names for the tensors a person knows: parameters, loose tensors, input and target."""
    names = {id(t): name for name, t in experiment.named_tensors().items()}
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        names.setdefault(id(batch[0]), "input")
        names.setdefault(id(batch[1]), "target")
    return names


def module_names(experiment) -> dict[int, str]:
    """Module paths as in named_modules() ('0', 'fc1.act'); the loss module is 'loss'."""
    from ..nn import Module

    names = {}
    if isinstance(experiment.loss_fn, Module):
        names[id(experiment.loss_fn)] = "loss"
    if experiment.model is not None:
        for name, module in experiment.model.named_modules():
            names[id(module)] = name or "model"
    return names


def missing_batch(experiment) -> str | None:
    """Why the graph cannot be stepped through, or None: a model needs a batch to run on
    (a forward(batch) function may ignore it, as breadcrumbs does)."""
    if experiment.example_batch is None and experiment.forward is None:
        return (
            f"{experiment.name} has no example batch to step through (no example_batch and "
            "no train_loader); add example_batch=(inputs, targets) to its Experiment(...)"
        )
    return None


def step_graph(experiment, batch=None) -> StepGraph:
    """Forward and backward of one batch (the example batch by default), named."""
    batch = experiment.example_batch if batch is None else batch
    missing = missing_batch(experiment) if batch is None else None
    if missing:
        raise ValueError(missing)
    if experiment.model is not None:
        experiment.model.train()
    recorded = trace(experiment.loss, batch)
    loss = recorded.output
    names = tensor_names(experiment, batch)
    modules = module_names(experiment)
    for record in recorded:
        names[id(record.output)] = f"r{record.index}"
    constants = 0
    nodes = []
    for record in recorded:
        inputs = []
        for x in record.inputs:
            if isinstance(x, Tensor):
                if id(x) not in names:
                    names[id(x)] = f"const{constants}"
                    constants += 1
                inputs.append(names[id(x)])
            else:
                inputs.append(value(x))
        nodes.append(
            GraphNode(
                record.index,
                record.op,
                record.grad_name,
                modules.get(id(record.module)) if record.module is not None else None,
                inputs,
                names[id(record.output)],
                tuple(record.output.shape),
                summarize(record.output.array),
            )
        )
    leaves = {
        name: summarize(t.array)
        for name, t in experiment.named_tensors().items()
        if isinstance(t, Tensor)
    }
    graph = StepGraph(experiment.name, nodes, leaves, _loss_value(loss))
    if isinstance(loss, Tensor) and loss.requires_grad:
        _add_backward(graph, recorded, loss, names)
    return graph


def _loss_value(loss) -> float | None:
    if isinstance(loss, Tensor) and loss.numel() == 1:
        return float(loss.item())
    return None


def _add_backward(graph: StepGraph, recorded, loss: Tensor, names: dict) -> None:
    by_node = {id(r.node): graph.nodes[r.index] for r in recorded}
    experiment_leaves = {}
    for step in autograd.backward_steps(loss, retain_graph=False):
        node = step.node
        if node.name() == "AccumulateGrad":
            leaf = node.variable
            name = names.get(id(leaf), "leaf")
            experiment_leaves[name] = summarize(step.grad_output)
            graph.backward.append({"node": "AccumulateGrad", "leaf": name, "rule": step.words})
            continue
        target = by_node.get(id(node))
        words = step.words
        if target is not None:
            target.grad = summarize(step.grad_output)
            target.rule = words
        graph.backward.append(
            {
                "node": node.name(),
                "forward": target.output if target is not None else None,
                "rule": words,
            }
        )
    for name, grad in experiment_leaves.items():
        if name in graph.leaves:
            graph.leaves[name]["grad"] = grad


# ---------------------------------------------------------------------- rendering
def to_text(graph: StepGraph) -> str:
    lines = [f"{graph.name}: forward ({len(graph.nodes)} ops)"]
    for node in graph.nodes:
        where = f" [{node.module}]" if node.module else ""
        grad = f"  grad {node.grad['value']}" if node.grad else ""
        lines.append(
            f"  {node.output} = {node.op}({', '.join(node.inputs)}){where}  "
            f"{node.grad_fn or '(no grad)'}  {shape_str(node.shape)}  {node.summary['value']}"
            f"{grad}"
        )
    if graph.loss is not None:
        lines.append(f"loss = {graph.loss:.6g}")
    if graph.backward:
        lines.append(f"backward ({len(graph.backward)} nodes)")
        for entry in graph.backward:
            label = entry.get("forward") or entry.get("leaf")
            rule = entry["rule"].replace("\n", "\n      ")
            lines.append(f"  {entry['node']} ({label})\n      {rule}")
    if graph.leaves:
        lines.append("leaves")
        for name, info in graph.leaves.items():
            grad = info.get("grad", {}).get("value", "None")
            lines.append(
                f"  {name} {shape_str(tuple(info['shape']))} = {info['value']}  grad {grad}"
            )
    return "\n".join(lines)


def to_json(graph: StepGraph) -> str:
    return json.dumps(
        {
            "name": graph.name,
            "loss": graph.loss,
            "nodes": [node.__dict__ | {"shape": list(node.shape)} for node in graph.nodes],
            "backward": graph.backward,
            "leaves": graph.leaves,
        },
        indent=2,
    )


def to_dot(graph: StepGraph) -> str:
    lines = [f'digraph "{graph.name}" {{', "  rankdir=LR;", "  node [shape=box, fontname=mono];"]
    for name, info in graph.leaves.items():
        lines.append(
            f'  "{name}" [shape=ellipse, label="{name}\\n{shape_str(tuple(info["shape"]))}"];'
        )
    for node in graph.nodes:
        label = f"{node.op}\\n{node.grad_fn or ''}\\n{shape_str(node.shape)}"
        lines.append(f'  "{node.output}" [label="{label}"];')
        for source in node.inputs:
            if (
                source.startswith(("r", "const"))
                or source in graph.leaves
                or source
                in (
                    "input",
                    "target",
                )
            ):
                lines.append(f'  "{source}" -> "{node.output}";')
    lines.append("}")
    return "\n".join(lines)
