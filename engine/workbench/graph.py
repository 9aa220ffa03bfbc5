"""One training step as a graph a person can read: named nodes, forward then backward.

:class:`NamedStep` traces one batch's forward (``ne.trace``) and names what a person
knows (``0.weight``, ``input``, ``r3``, module ``fc1``): the one builder of a named step.
``step_graph(experiment)`` walks its backward (``backward_steps``) at once, adds
summaries, and renders the result as text, JSON or Graphviz dot for ``nnbench graph``;
the Graph pane's Stepper (tui/stepper.py) is a NamedStep walked one node at a time.
``parts_experiment`` opens a fused node (AddmmBackward0, NativeLayerNormBackward0, ...):
its primitive parts as an experiment of their own, which a NamedStep names and steps.
This module never recomputes any maths itself.
"""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field

from .. import autograd
from ..errors import shape_str
from ..formatting import rule_lines, statistics, to_numpy, value
from ..tensor import Tensor
from ..trace import Trace


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
    """Names for the tensors a person knows: parameters, loose tensors, the buffers of the
    model (``bn.running_mean``, ``mask``) and of the loss (``loss.weight``), input and
    target."""
    from ..nn import Module

    names = {id(t): name for name, t in experiment.named_tensors().items()}
    if isinstance(experiment.model, Module):
        for name, t in experiment.model.named_buffers():
            names.setdefault(id(t), name)
    if isinstance(experiment.loss_fn, Module):
        for name, t in experiment.loss_fn.named_buffers():
            names.setdefault(id(t), f"loss.{name}")
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


class NamedStep:
    """One batch's forward, traced, with a name for every tensor a person knows:
    parameters and loose tensors by their names, the batch as ``input`` and ``target``,
    each op's output by the name the experiment's own code gives it (``y = a + b`` names
    it ``y``; see ``_output_names``), else as ``r<index>``; and each op's module by its path.

    ``anomaly=True`` traces under ``detect_anomaly``: ``anomaly_index`` is then the first
    op whose output held NaN or Inf (None if none did). ``gradient`` is the gradient the
    backward starts from (None: the loss is a scalar); ``prefix`` starts the outputs' names
    (``r1.`` names the parts of r1 ``r1.0``, ``r1.1``, ...)."""

    def __init__(self, experiment, batch, anomaly=False, gradient=None, prefix: str = "r"):
        self.experiment, self.batch = experiment, batch
        self.gradient, self.prefix = gradient, prefix
        self.weights = weights_of(experiment)  # to tell later whether training changed them
        if experiment.model is not None:
            experiment.model.train()
        self.anomaly = autograd.detect_anomaly(check_nan=False) if anomaly else None
        self.trace = self._trace()
        self.records = self.trace.records
        self.loss = self.trace.output
        self.by_node = {id(r.node): r for r in self.records}
        self.known = tensor_names(experiment, batch)  # the tensors a person named
        self.modules = module_names(experiment)
        self.names = dict(self.known)  # and each tensor's latest name
        self._name_constants()
        self.outputs = self._output_names(self.trace.found())  # each op's output's name
        for record in self.records:
            self.names[id(record.output)] = self.outputs[record.index]
        self._labels = None
        self.anomaly_index = self._first_anomaly()

    def _trace(self) -> NamingTrace:
        recorder = NamingTrace(code_files(self.experiment))
        if self.anomaly is None:
            return recorder.run(self.experiment.loss, self.batch)
        with self.anomaly, warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # the NaN it is there to find
            return recorder.run(self.experiment.loss, self.batch)

    def _output_names(self, found) -> list[str]:
        """``r<index>``, or the name the code gave the op's output: a name held by one
        tensor only, the op the last to make that tensor (an in-place op keeps it), and
        no name a person already knows (``x``) or that reads as another op's (``r3``)."""
        last = {id(r.output): r.index for r in self.records}
        holders: dict[str, set] = {}
        for name, tensor in found:
            if id(tensor) in last:
                holders.setdefault(name, set()).add(id(tensor))
        generated = re.compile(rf"({re.escape(self.prefix)}|const)\d+")
        taken = set(self.known.values())
        given: dict[int, str] = {}
        for name, ids in holders.items():
            if len(ids) == 1 and name not in taken and not generated.fullmatch(name):
                given.setdefault(ids.pop(), name)
        return [
            given.get(id(r.output), f"{self.prefix}{r.index}")
            if last[id(r.output)] == r.index
            else f"{self.prefix}{r.index}"
            for r in self.records
        ]

    def _first_anomaly(self) -> int | None:
        found = self.anomaly.forward_node if self.anomaly is not None else None
        if found is None:
            return None
        return next((r.index for r in self.records if r.node is found), None)

    def _name_constants(self) -> None:
        """Tensors the forward made itself (a mask, positions) get names too, const0,
        const1, ... in the order the ops use them: every view of the step (the Graph pane,
        ``nnbench graph``'s text, JSON and dot) names each edge the same way."""
        made = {id(record.output) for record in self.records}
        constants = 0
        for record in self.records:
            for x in record.inputs:
                key = id(x)
                if isinstance(x, Tensor) and key not in self.known and key not in made:
                    self.names[key] = self.known[key] = f"const{constants}"
                    constants += 1

    def name_of(self, x) -> str:
        """A tensor's name (its shape, ``tensor(2,)``, if it has none), a scalar's value."""
        if isinstance(x, Tensor):
            return self.names.get(id(x), f"tensor{shape_str(tuple(x.shape))}")
        return value(x)

    def weights_changed(self) -> bool:
        """Whether the experiment's tensors (its weights) are not those this step was
        traced with any more: changed in place (an optimizer step, ``load_state_dict``: the
        version counters say), given new arrays, or other tensors altogether. An in-place
        op inside the forward changes no weight."""
        now = weights_of(self.experiment)
        return len(now) != len(self.weights) or any(
            a[0] != b[0] or a[1] is not b[1] or a[2] != b[2] or a[3] is not b[3]
            for a, b in zip(now, self.weights)
        )

    def record_of(self, node):
        """The forward op whose node this is (None for AccumulateGrad)."""
        return self.by_node.get(id(node))

    def words(self, step) -> str:
        """A backward step's rule with the numbers, in this graph's names (``grad_x =
        grad * y = 1 * 5 = 5`` where the op's own words say ``grad_a = grad * b``)."""
        return "\n".join(rule_lines(step, True, self.rule_names(step.node, step.values)))

    def rule_names(self, node, values=None) -> dict[str, str]:
        """The op's own names for its inputs -> this graph's (numbers for plain numbers),
        and for its output where its words name it (softmax's ``y``): ``values`` are the
        node's named values, the output among them found by identity."""
        if node.name() == "AccumulateGrad":
            leaf = node.variable
            return {"leaf": self.names[id(leaf)]} if id(leaf) in self.names else {}
        record = self.record_of(node)
        if record is None:
            return {}
        names = {}
        for i, (x, label) in enumerate(zip(record.inputs, self.labels(record)[0])):
            if isinstance(x, Tensor):
                names[node.input_name(i)] = label
            elif isinstance(x, (int, float)) and not isinstance(x, bool):
                names[node.input_name(i)] = _literal(x)
        output = record.output.array
        for key, v in (values or {}).items():
            if v is output and key.isidentifier() and key not in names:
                names[key] = self.labels(record)[1]
        return names

    def labels(self, record) -> tuple[list[str], str]:
        """(the inputs' names, the output's name) as they were when the op ran: an in-place
        op's output is the tensor it changed, under a new name (``r7 = sub_(r6, 1)``)."""
        if self._labels is None:
            self._labels = self._all_labels()
        return self._labels[record.index]

    def _all_labels(self) -> list:
        current, labels = dict(self.known), []
        for record in self.records:
            inputs = [self._name_in(current, x) for x in record.inputs]
            current[id(record.output)] = output = self.outputs[record.index]
            labels.append((inputs, output))
        return labels

    @staticmethod
    def _name_in(names: dict, x) -> str:
        if isinstance(x, Tensor):
            return names.get(id(x), f"tensor{shape_str(tuple(x.shape))}")
        return value(x)

    def module_of(self, record) -> str | None:
        return self.modules.get(id(record.module)) if record.module is not None else None


def weights_of(experiment) -> list:
    """What the experiment's weights are now: each named tensor, its version and array
    (held, so that a new array can never be taken for the old one)."""
    return [
        (name, t, t._version, t.array)
        for name, t in experiment.named_tensors().items()
        if isinstance(t, Tensor)
    ]


def _literal(x) -> str:
    """A plain number as the words show it: exactly where that is short (1.0001)."""
    text = repr(x)
    return text if len(text) <= 8 else value(x)


# ---------------------------------------------------------------------- the code's names
def code_files(experiment) -> set[str]:
    """The files of the experiment's own code: its file, and where its forward, its loss
    function and its modules' forward methods were written, the engine's own left out."""
    from ..nn import Module

    engine = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    functions = [experiment.forward, experiment.loss_fn]
    for owner in (experiment.model, experiment.loss_fn):
        if isinstance(owner, Module):
            functions += [type(m).forward for m in owner.modules()]
    files = {experiment.source} if experiment.source else set()
    for fn in functions:
        code = getattr(fn, "__code__", None)
        if code is not None:
            files.add(code.co_filename)
    return {f for f in files if not os.path.abspath(f).startswith(engine)}


class NamingTrace(Trace):
    """A trace that also keeps the frame of the experiment's own code (a function written
    in one of ``files``) that made each op; once the forward has returned, their
    ``f_locals`` are the names that code gave its tensors (``found``)."""

    def __init__(self, files: set[str]):
        super().__init__()
        self.files = files
        self.frames: dict[int, object] = {}
        self.top = None  # the caller's frame: the walk up from an op stops there

    def run(self, fn, *args):
        self.top = sys._getframe(1)
        try:
            with self:
                self.output = fn(*args)
        finally:
            self.top = None
        return self

    def record(self, *args):
        super().record(*args)
        if not self.files:
            return
        frame = sys._getframe(1)
        while frame is not None and frame is not self.top:
            if frame.f_code.co_filename in self.files:
                self.frames.setdefault(id(frame), frame)
                return
            frame = frame.f_back

    def found(self) -> list[tuple[str, Tensor]]:
        """(name, tensor) for each tensor held by a local of those frames, as they ended."""
        found = [
            (name, x)
            for frame in self.frames.values()
            for name, x in frame.f_locals.items()
            if isinstance(x, Tensor) and not name.startswith("_")
        ]
        self.frames = {}  # the frames hold every local of the user's code: let them go
        return found


def has_parts(function) -> bool:
    """Whether an op is a fused node that opens into primitive parts (ops.Addmm, ...)."""
    return hasattr(function, "parts")


def parts_experiment(step: NamedStep, record, arrays=None):
    """The primitive ops one fused node of ``step`` stands for, as an experiment: the
    node's inputs as fresh leaves named as ``step`` names them (``0.bias``, ``input``,
    ``r0``; ``arrays`` are their values, the record's own by default), its forward the
    op's ``parts`` with the node's settings. The leaves are copies, so stepping through
    the parts never touches the model."""
    from ..tensor import apply
    from .experiment import Experiment

    arrays = [_array_of(x) for x in record.inputs] if arrays is None else arrays
    leaves, named = {}, {}
    for x, array, name in zip(record.inputs, arrays, part_names(step, record)):
        if isinstance(x, Tensor) and id(x) not in leaves:
            copy = Tensor.wrap(x.device.backend.copy(array), x.device, x.requires_grad)
            leaves[id(x)] = named[name] = copy
    inputs = [leaves.get(id(x), x) for x in record.inputs]

    def forward(batch):
        return record.function.parts(apply, *inputs, **record.params)

    return Experiment(name="parts", forward=forward, tensors=named, example_batch=())


def part_names(step: NamedStep, record) -> list:
    """The names the parts give the node's tensor inputs (None for other inputs): the
    step's own, else the op's name for the input (``weight``), each name once."""
    names, taken = [], {}
    labels = step.labels(record)[0]
    for i, x in enumerate(record.inputs):
        if not isinstance(x, Tensor):
            names.append(None)
            continue
        known = id(x) in step.names
        name = labels[i] if known else record.function.input_name(i)
        if taken.setdefault(name, id(x)) != id(x):
            name = f"{name}{i}"
        names.append(name)
    return names


def _array_of(x):
    return x.array if isinstance(x, Tensor) else x


def step_graph(experiment, batch=None) -> StepGraph:
    """Forward and backward of one batch (the example batch by default), named."""
    batch = experiment.example_batch if batch is None else batch
    missing = missing_batch(experiment) if batch is None else None
    if missing:
        raise ValueError(missing)
    step = NamedStep(experiment, batch)
    # the values each op made, from the replay: a tensor an in-place op changed later
    # holds only its last value
    made = [replayed.output for replayed in step.trace.replay()]
    nodes = [
        GraphNode(
            record.index,
            record.op,
            record.grad_name,
            step.module_of(record),
            *step.labels(record),
            tuple(record.output.shape),
            summarize(made[record.index]),
        )
        for record in step.records
    ]
    leaves = {
        name: summarize(t.array)
        for name, t in experiment.named_tensors().items()
        if isinstance(t, Tensor)
    }
    graph = StepGraph(experiment.name, nodes, leaves, _loss_value(step.loss))
    if isinstance(step.loss, Tensor) and step.loss.requires_grad:
        _add_backward(graph, step)
    return graph

    step = NamedStep(experiment, batch)


def _loss_value(loss) -> float | None:
    if isinstance(loss, Tensor) and loss.numel() == 1:
        return float(loss.item())
    return None


def _add_backward(graph: StepGraph, named: NamedStep) -> None:
    by_node = {id(r.node): graph.nodes[r.index] for r in named.records}
    experiment_leaves = {}
    for step in autograd.backward_steps(named.loss, retain_graph=False):
        node = step.node
        if node.name() == "AccumulateGrad":
            leaf = node.variable
            name = named.names.get(id(leaf), "leaf")
            experiment_leaves[name] = summarize(step.grad_output)
            graph.backward.append(
                {"node": "AccumulateGrad", "leaf": name, "rule": named.words(step)}
            )
            continue
        target = by_node.get(id(node))
        words = named.words(step)
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
    outputs = {node.output for node in graph.nodes}
    for name, info in graph.leaves.items():
        lines.append(
            f'  "{name}" [shape=ellipse, label="{name}\\n{shape_str(tuple(info["shape"]))}"];'
        )
    for node in graph.nodes:
        label = f"{node.op}\\n{node.grad_fn or ''}\\n{shape_str(node.shape)}"
        lines.append(f'  "{node.output}" [label="{label}"];')
        for source in node.inputs:
            known = source in outputs or source in graph.leaves or source in ("input", "target")
            if known or source.startswith("const"):
                lines.append(f'  "{source}" -> "{node.output}";')
    lines.append("}")
    return "\n".join(lines)
