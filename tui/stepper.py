"""One step of an experiment, walked node by node: the model behind the Graph pane.

Headless (no Textual): the step is traced and named once (``NamedStep``, the builder
``nnbench graph`` uses too); this replays its forward one op per step, then runs
``backward_steps`` one node per step. Stepping back only moves the position; everything
already computed is kept, so the screen can show any earlier moment exactly as it was.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from nnbench.engine import autograd
from nnbench.engine.errors import AutogradError
from nnbench.engine.formatting import value
from nnbench.engine.tensor import Tensor
from nnbench.engine.workbench.graph import NamedStep, has_parts, part_names, parts_experiment


@dataclass
class Row:
    """One line of the node list: a forward op or a backward node."""

    phase: str  # "forward" or "backward"
    index: int  # position in its phase
    label: str  # r1 = mul(x, r0)
    grad_fn: str
    module: str | None
    shape: tuple | None


_generations = itertools.count(1)


class Stepper(NamedStep):
    """A NamedStep walked one node at a time, forward then backward (``anomaly=True``:
    see NamedStep). ``generation`` tells it from every other trace of this process (a
    cache keyed on it cannot mistake a new graph for an old one, as ``id()`` can).

    ``outside`` is for the parts of a fused node: their leaves that are not leaves of the
    step (name -> what receives their gradient in it, ``TBackward0``), and those that are
    (name -> ``None``)."""

    def __init__(
        self, experiment, batch, anomaly=False, gradient=None, prefix: str = "r", outside=None
    ):
        super().__init__(experiment, batch, anomaly, gradient, prefix)
        self.generation = next(_generations)
        self.outside: dict[str, str | None] = outside or {}
        self._replay = self.trace.replay()
        self.forward_done: list = []
        self.backward_order = autograd.graph_order(self.loss) if self._has_backward() else []
        self._backward = None
        self.backward_done: list = []
        self.position = 0
        self.rows = self._rows()

    def _has_backward(self) -> bool:
        """A loss to start from: a tensor, a scalar or given its gradient (the parts of a
        fused node whose backward has not run yet have none)."""
        loss = self.loss
        return isinstance(loss, Tensor) and (self.gradient is not None or loss.numel() == 1)

    # ------------------------------------------------------------------ sizes and rows
    @property
    def forward_total(self) -> int:
        return len(self.records)

    @property
    def total(self) -> int:
        return len(self.records) + len(self.backward_order)

    def _rows(self) -> list[Row]:
        rows = []
        for record in self.records:
            inputs, output = self.labels(record)
            module = self.module_of(record)
            rows.append(
                Row(
                    "forward",
                    record.index,
                    f"{output} = {record.op}({', '.join(inputs)})",
                    record.grad_name or "(no grad)",
                    module,
                    tuple(record.output.shape),
                )
            )
        by_node = self.by_node
        for i, node in enumerate(self.backward_order):
            if node.name() == "AccumulateGrad":
                name = self.name_of(node.variable)
                if name in self.outside:  # the parts hand it on: the step goes on there
                    rows.append(Row("backward", i, f"out to {name}", self._receiver(name),
                                    None, None))  # fmt: skip
                    continue
                label = f"{name}.grad"
                module = None
            else:
                record = by_node.get(id(node))
                label = f"d {self.labels(record)[1]}" if record is not None else node.name()
                module = rows[record.index].module if record is not None else None
            rows.append(Row("backward", i, label, node.name(), module, None))
        return rows

    def _receiver(self, name: str) -> str:
        """What takes the gradient the parts send to ``name`` on, in the step's graph."""
        receiver = self.outside[name]
        return f"then {receiver}" if receiver else f"then {name}.grad (a leaf)"

    def words(self, step) -> str:
        node = step.node
        if node.name() != "AccumulateGrad" or self.name_of(node.variable) not in self.outside:
            return super().words(step)
        name = self.name_of(node.variable)
        sign = "+=" if step.accumulated and step.accumulated[0] else "="
        receiver = self.outside[name]
        where = (
            f"{name} is the output of {receiver}: the step's backward goes on there"
            if receiver
            else f"{name} is a leaf: the step's AccumulateGrad adds this to {name}.grad"
        )
        return f"grad_{name} {sign} grad = {value(step.grad_output)}\n({where})"

    def entry_name(self, record) -> str:
        """The op's output as the Inspector lists it: ``y add``, ``r3 t``."""
        return f"{self.labels(record)[1]} {record.op}"

    # ------------------------------------------------------------------ moving
    @property
    def phase(self) -> str:
        if self.position < self.forward_total:
            return "forward"
        return "backward" if self.position < self.total else "done"

    stopped: str | None = None  # why the backward could not go on (an in-place change)

    def step(self) -> bool:
        """One node on; False at the end."""
        if self.position >= self.total:
            return False
        if self.stopped and self.position >= self.forward_total + len(self.backward_done):
            return False  # the backward cannot go past the node that failed
        if self.position < self.forward_total:
            if self.position >= len(self.forward_done):
                self.forward_done.append(next(self._replay))
        else:
            index = self.position - self.forward_total
            if index >= len(self.backward_done) and not self._advance_backward():
                return False
        self.position += 1
        return True

    def _advance_backward(self) -> bool:
        if self._backward is None:
            self.experiment.zero_grad()  # the grads shown are this batch's alone
            self._backward = autograd.backward_steps(self.loss, self.gradient, retain_graph=True)
        try:
            if self.anomaly is not None:
                with self.anomaly:
                    self.backward_done.append(next(self._backward))
            else:
                self.backward_done.append(next(self._backward))
        except AutogradError as error:
            if not self.weights_changed():  # the forward changed a saved tensor itself
                self.stopped = str(error)
            raise
        except StopIteration:
            self.backward_order = self.backward_order[: len(self.backward_done)]
            self.rows = self.rows[: self.forward_total + len(self.backward_done)]
            return False
        return True

    def back(self) -> bool:
        if self.position == 0:
            return False
        self.position -= 1
        return True

    def run_forward(self) -> None:
        while self.position < self.forward_total and self.step():
            pass
        while self.position > self.forward_total:
            self.back()

    def run_backward(self) -> None:
        while self.step():
            pass

    # ------------------------------------------------------------------ what is on screen
    def item(self, row_index: int):
        """(row, record or None, computed step or None) for a row of the list."""
        row = self.rows[row_index]
        if row.phase == "forward":
            done = row.index < len(self.forward_done) and row_index < self.position
            return row, self.records[row.index], self.forward_done[row.index] if done else None
        done = row.index < len(self.backward_done) and row_index < self.position
        return row, None, self.backward_done[row.index] if done else None

    # ------------------------------------------------------------------ fused nodes
    def node_of(self, row_index: int):
        """The graph node a row of the list is about (forward rows: the op's node)."""
        row = self.rows[row_index]
        if row.phase == "forward":
            return self.records[row.index].node
        return self.backward_order[row.index]

    def parts_of_row(self, row_index: int) -> bool:
        """Whether the row's node is a fused one that opens into parts."""
        record = self.record_of(self.node_of(row_index))
        return record is not None and has_parts(record.function)

    def parts(self, row_index: int) -> Stepper | None:
        """The row's fused node opened into its primitive parts, as a Stepper of their own
        (None for a node that is one op). Its inputs are the values this step gave the
        node; its backward starts from the gradient that reached the node, once this
        step's backward has (until then the parts have a forward only)."""
        node = self.node_of(row_index)
        record = self.record_of(node)
        if record is None or not has_parts(record.function):
            return None
        done = record.index < len(self.forward_done)
        arrays = self.forward_done[record.index].inputs if done else None
        shown = self.backward_done[: max(0, self.position - self.forward_total)]
        grad = next((s.grad_output for s in shown if s.node is node), None)
        gradient = None if grad is None else record.output.grad_tensor(grad)
        experiment = parts_experiment(self, record, arrays)
        outside = {
            name: x.grad_fn.name() if x.grad_fn is not None else None
            for x, name in zip(record.inputs, part_names(self, record))
            if isinstance(x, Tensor) and x.requires_grad
        }
        return Stepper(
            experiment, (), gradient=gradient, prefix=f"{self.labels(record)[1]}.", outside=outside
        )
