"""One step of an experiment, walked node by node: the model behind the Graph pane.

Headless (no Textual): the step is traced and named once (``NamedStep``, the builder
``nnbench graph`` uses too); this replays its forward one op per step, then runs
``backward_steps`` one node per step. Stepping back only moves the position; everything
already computed is kept, so the screen can show any earlier moment exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnbench.engine import autograd
from nnbench.engine.tensor import Tensor
from nnbench.engine.workbench.graph import NamedStep


@dataclass
class Row:
    """One line of the node list: a forward op or a backward node."""

    phase: str  # "forward" or "backward"
    index: int  # position in its phase
    label: str  # r1 = mul(x, r0)
    grad_fn: str
    module: str | None
    shape: tuple | None


class Stepper(NamedStep):
    """A NamedStep walked one node at a time, forward then backward (``anomaly=True``:
    see NamedStep)."""

    def __init__(self, experiment, batch, anomaly: bool = False):
        super().__init__(experiment, batch, anomaly)
        self._replay = self.trace.replay()
        self.forward_done: list = []
        self.backward_order = (
            autograd.graph_order(self.loss) if isinstance(self.loss, Tensor) else []
        )
        self._backward = None
        self.backward_done: list = []
        self.position = 0
        self.rows = self._rows()

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
            inputs = ", ".join(self.name_of(x) for x in record.inputs)
            module = self.module_of(record)
            rows.append(
                Row(
                    "forward",
                    record.index,
                    f"r{record.index} = {record.op}({inputs})",
                    record.grad_name or "(no grad)",
                    module,
                    tuple(record.output.shape),
                )
            )
        by_node = {id(r.node): r for r in self.records}
        for i, node in enumerate(self.backward_order):
            if node.name() == "AccumulateGrad":
                label = f"{self.name_of(node.variable)}.grad"
                module = None
            else:
                record = by_node.get(id(node))
                label = f"d r{record.index}" if record is not None else node.name()
                module = rows[record.index].module if record is not None else None
            rows.append(Row("backward", i, label, node.name(), module, None))
        return rows

    # ------------------------------------------------------------------ moving
    @property
    def phase(self) -> str:
        if self.position < self.forward_total:
            return "forward"
        return "backward" if self.position < self.total else "done"

    def step(self) -> bool:
        """One node on; False at the end."""
        if self.position >= self.total:
            return False
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
            self._backward = autograd.backward_steps(self.loss, retain_graph=True)
        try:
            if self.anomaly is not None:
                with self.anomaly:
                    self.backward_done.append(next(self._backward))
            else:
                self.backward_done.append(next(self._backward))
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

    def record_of(self, node):
        for record in self.records:
            if record.node is node:
                return record
        return None
