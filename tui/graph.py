"""Pane 2, the Graph: one step of the experiment, forward then backward, node by node.

Everything shown comes from the Stepper (the engine's trace replay and backward_steps);
this module only lays it out. The node list renders only the lines on screen, so a
graph of 10,000 nodes opens and steps as fast as one of ten. A fused node (addmm,
layer_norm, std, ...) opens with ``e`` into its primitive parts, a Stepper of their own
that the same list and details show until ``e`` or ``escape`` closes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, Header, Static

from nnbench.engine.errors import AutogradError, shape_str
from nnbench.engine.formatting import value
from nnbench.engine.tensor import Tensor

from .live import StepInFlight, in_user_thread
from .widgets import ErrorPanel, PaneTabs

GROUP_AUTOMATICALLY_ABOVE = 200  # nodes; larger graphs open grouped by module
DRAW_AT_MOST = 40  # forward ops; larger graphs are shown as the list only


@dataclass
class Span:
    """A line of the list: one node, or a run of consecutive nodes of one module."""

    start: int
    end: int  # exclusive
    label: str


GROUP_AT_MOST = 100  # nodes on one line of the grouped list


def spans_for(rows, grouped: bool) -> list[Span]:
    """Lines of the list: one per node, or one per run of a module's consecutive nodes.

    Ops run by the model itself (or by no module) join the group before them, so a
    block's few ops stay together; a line never holds more than GROUP_AT_MOST nodes.
    """
    if not grouped:
        return [Span(i, i + 1, "") for i in range(len(rows))]
    spans: list[Span] = []
    for i, row in enumerate(rows):
        label = row.module if row.module not in (None, "model") else None
        last = spans[-1] if spans else None
        joins = (
            last is not None
            and rows[last.start].phase == row.phase
            and (label is None or label == last.label)
            and last.end - last.start < GROUP_AT_MOST
        )
        if joins:
            last.end = i + 1
        else:
            spans.append(Span(i, i + 1, label or "ops"))
    return spans


class NodeList(ScrollView, can_focus=False):
    """The step's nodes in execution order, forward then backward (Line API)."""

    cursor = reactive(0, always_update=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stepper = None
        self.spans: list[Span] = []
        self.grouped = False

    def set_stepper(self, stepper, grouped: bool) -> None:
        self.stepper, self.grouped = stepper, grouped
        self.spans = spans_for(stepper.rows, grouped) if stepper else []
        self.virtual_size = Size(self.size.width, len(self.spans))
        self.refresh()

    def span_of(self, row_index: int) -> int:
        for i, span in enumerate(self.spans):
            if span.start <= row_index < span.end:
                return i
        return max(0, len(self.spans) - 1)

    def watch_cursor(self, cursor: int) -> None:
        top = self.scroll_offset.y
        height = max(1, self.size.height)
        if cursor < top:
            self.scroll_to(y=cursor, animate=False)
        elif cursor >= top + height:
            self.scroll_to(y=cursor - height + 1, animate=False)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.size.width
        if self.stepper is None or index >= len(self.spans):
            return Strip.blank(width)
        span = self.spans[index]
        stepper = self.stepper
        rows = stepper.rows
        first = rows[span.start]
        done = span.end <= stepper.position
        current = span.start < stepper.position <= span.end if stepper.position else False
        arrow = "▶" if index == self.cursor else " "
        mark = "●" if current else ("✓" if done else "·")
        if span.end - span.start > 1:
            ops = span.end - span.start
            last = rows[span.end - 1]
            text = (
                f"{arrow}{mark} [{span.label}] {ops} {first.phase} ops: "
                f"{first.label} .. {last.label}"
            )
        else:
            phase = "F" if first.phase == "forward" else "B"
            where = f" [{first.module}]" if first.module else ""
            text = f"{arrow}{mark} {phase} {first.label}  {first.grad_fn}{where}"
        style = Style(bold=index == self.cursor, dim=not done and not current)
        if index == self.cursor:
            style += Style(reverse=True)
        return Strip([Segment(text[:width].ljust(width), style)], width)


class OracleResult(Message):
    def __init__(self, key, text: str):
        super().__init__()
        self.key, self.text = key, text


class GraphScreen(Screen):
    BINDINGS = [
        Binding("n,right", "step", "Step", tooltip="Run one node: forward first, then backward"),
        Binding("p,left", "back", "Back", tooltip="Step one node back"),
        Binding("f", "forward", "Fwd", tooltip="Run the forward to its end"),
        Binding("b", "backward", "Bwd", tooltip="Run the backward to its end"),
        Binding("r", "restart", "Batch", tooltip="Take a new batch and start over"),
        Binding(
            "up", "cursor(-1)", "Up", show=False, priority=True, tooltip="Choose the node above"
        ),
        Binding(
            "down", "cursor(1)", "Down", show=False, priority=True, tooltip="Choose the node below"
        ),
        Binding("enter", "inspect", "Inspect", tooltip="Open the chosen tensor in the Inspector"),
        Binding("g", "group", "Group", tooltip="Group nodes by module, or ungroup"),
        Binding("v", "view", "Draw", tooltip="Switch between the node list and the drawing"),
        Binding(
            "e",
            "parts",
            "Parts",
            tooltip="Open the chosen fused node (addmm, layer_norm, std, ...) to step through "
            "its parts; e or escape closes them",
        ),
        Binding("escape", "close_parts", "Close parts", show=False, tooltip="Close the parts"),
    ]

    def __init__(self):
        super().__init__()
        self.grouped = False
        self.drawing = False
        self.oracle_cache: dict = {}
        self.parts = None  # the chosen fused node's parts, while they are open
        self.parts_of = ""  # which node they belong to, for the status line
        self.outer_cursor = 0  # where the cursor was in the step's own list

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("graph")
        with Vertical(id="graph-body", classes="pane-body"):
            yield Static("", id="graph-status", markup=False)
            with Horizontal(id="graph-columns"):
                yield NodeList(id="node-list")
                with VerticalScroll(id="graph-drawing"):
                    yield Static("", id="drawing-text", markup=False)
                with VerticalScroll(id="node-details"):
                    yield Static("", id="details-text", markup=False)
        yield ErrorPanel(id="error-panel", classes="error-panel")
        yield Footer(show_command_palette=False)  # the tabs show ctrl+p; room for every key

    def on_mount(self) -> None:
        self.app.register_pane(self)
        self.experiment_changed()

    def on_experiment_changed(self, _message) -> None:
        self.experiment_changed()

    def on_stepper_changed(self, _message) -> None:
        self.experiment_changed()

    # ------------------------------------------------------------------ state
    @property
    def stepper(self):
        """What the pane shows: the open parts of a fused node, else the step itself."""
        return self.parts if self.parts is not None else self.app.stepper

    def experiment_changed(self) -> None:
        self.parts = None
        if not ErrorPanel.swap(self, "#graph-body"):
            return
        if self.app.session.experiment is None:
            self.query_one("#graph-status", Static).update("Loading…")
            return
        if self.stepper is None:  # traced in a worker: StepperChanged brings it here
            self.query_one("#graph-status", Static).update("Tracing the forward…")
            self.app.new_stepper()
            return
        self.oracle_cache = {}
        self.grouped = len(self.stepper.rows) > GROUP_AUTOMATICALLY_ABOVE
        if self.stepper.anomaly_index is not None and self.stepper.position == 0:
            while self.stepper.position <= self.stepper.anomaly_index and self.stepper.step():
                pass  # run the forward up to the first op that made NaN or Inf
        self.query_one(NodeList).set_stepper(self.stepper, self.grouped)
        self.redraw()

    def redraw(self, follow: bool = True) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        node_list = self.query_one(NodeList)
        if follow:
            node_list.cursor = node_list.span_of(max(0, stepper.position - 1))
        else:
            node_list.refresh()
        self.query_one("#graph-status", Static).update(self.status_text())
        wide = self.size.width >= 120
        can_draw = stepper.forward_total <= DRAW_AT_MOST
        show_drawing = can_draw and (wide or self.drawing)
        self.query_one("#graph-drawing").display = show_drawing
        self.query_one("#node-list").display = wide or not show_drawing
        if show_drawing:
            self.query_one("#drawing-text", Static).update(draw(stepper))
        self.query_one("#details-text", Static).update(self.details_text())
        self.app.update_header()

    def status_text(self) -> Text:
        s = self.stepper
        done_forward = min(s.position, s.forward_total)
        done_backward = max(0, s.position - s.forward_total)
        text = Text()
        if self.parts is not None:  # first, so a narrow screen never cuts it off
            text.append(f"parts of {self.parts_of}", style="bold reverse")
            text.append(" (e/esc closes) ", style="dim")
        text.append(f"{s.phase:<9}", style="bold")
        text.append(
            f" forward {done_forward}/{s.forward_total}  backward {done_backward}/"
            f"{len(s.backward_order)}"
        )
        if isinstance(s.loss, Tensor) and s.loss.numel() == 1 and s.position >= s.forward_total:
            text.append(f"   loss {value(s.loss.array)}")
        if self.grouped:
            text.append("   grouped by module (g)", style="dim")
        found = s.anomaly.forward if s.anomaly is not None else None
        if found is not None:
            file, line = found.location
            text.append(
                f"   first NaN/Inf: r{s.anomaly_index} {found.op} ({found.nan} NaN, {found.inf} "
                f"Inf) at {file.rsplit('/', 1)[-1]}:{line}",
                style="bold red",
            )
        elif s.anomaly is not None:
            text.append("   anomaly detection on: no NaN or Inf in this forward", style="dim")
        return text

    # ------------------------------------------------------------------ details
    def selected_row(self) -> int:
        node_list = self.query_one(NodeList)
        if not node_list.spans:
            return 0
        span = node_list.spans[min(node_list.cursor, len(node_list.spans) - 1)]
        # in a group, the node just run if it is inside, else the group's first
        inside = span.start < self.stepper.position <= span.end
        return self.stepper.position - 1 if inside else span.start

    def details_text(self) -> Text:
        stepper = self.stepper
        if not stepper.rows:
            return Text("This experiment's forward records no ops.")
        row_index = self.selected_row()
        row, record, done = stepper.item(row_index)
        text = Text()
        if stepper.stopped and row_index >= stepper.position - 1:  # at the end of what ran
            text.append(f"the backward stops after this node: {stepper.stopped}\n\n", style="red")
        if row.phase == "forward":
            self._forward_details(text, row, record, done)
        else:
            self._backward_details(text, row, done)
        if self.parts is None and stepper.parts_of_row(row_index):
            text.append(f"one fused node ({row.grad_fn}): e opens its parts\n", style="cyan")
        elif self.parts is not None and not stepper.backward_order:
            text.append(
                "the parts' backward opens once this node's backward has run: close them "
                "(e), run the backward (b), then open them again\n",
                style="cyan",
            )
        key = (id(stepper), row_index)
        if done is not None:
            checked = self.oracle_cache.get(key)
            if checked is None:
                self.oracle_cache[key] = "checking against PyTorch…"
                self.check_against_torch(key, stepper, row.phase, row.index)
                checked = self.oracle_cache[key]
            text.append(f"\n{checked}", style="italic")
        return text

    def _forward_details(self, text: Text, row, record, done) -> None:
        text.append(f"{row.label}\n", style="bold")
        module = f"   module {row.module}" if row.module else ""
        text.append(f"op {record.op}   grad_fn {row.grad_fn}{module}\n")
        out_shape = tuple(record.output.shape)
        names, output = self.stepper.labels(record)
        for i, (x, name) in enumerate(zip(record.inputs, names)):
            if isinstance(x, Tensor):
                shape = tuple(x.shape)
                seen = done.inputs[i] if done is not None else x.array  # before an in-place op
                text.append(f"in  {name} {shape_str(shape)} = {value(seen)}\n")
                if record.op in _BROADCASTING and shape != out_shape:
                    text.append(
                        f"    broadcast: {shape_str(shape)} -> {shape_str(out_shape)}; the "
                        "backward sums the gradient back\n",
                        style="yellow",
                    )
            else:
                text.append(f"in  {'abc'[i] if i < 3 else i}: {name}\n")
        if done is None:
            text.append("out not computed yet: press n to run this op\n", style="dim")
        else:
            text.append(f"out {output} {shape_str(out_shape)} = {value(done.output)}\n")

    def _backward_details(self, text: Text, row, done) -> None:
        text.append(f"backward: {row.label}   {row.grad_fn}\n", style="bold")
        if done is None:
            text.append("not run yet: press n (or b to run the whole backward)\n", style="dim")
            return
        text.append(f"incoming grad = {value(done.grad_output)}\n")
        text.append(done.words + "\n")

    @work(group="oracle", exit_on_error=False)
    async def check_against_torch(self, key, stepper, phase: str, index: int) -> None:
        # a daemon thread, not a Textual thread worker: importing torch takes seconds, and
        # quitting must not wait for it (asyncio joins its executor's threads at exit)
        await in_user_thread(self._check_against_torch, key, stepper, phase, index)

    def _check_against_torch(self, key, stepper, phase: str, index: int) -> None:
        from nnbench.engine.workbench import oracle

        try:
            if phase == "forward":
                step = stepper.forward_done[index]
                record = step.record
                diff = oracle.forward_difference(
                    record.function, record.params, step.inputs, step.output
                )
                what = "output"
            else:
                step = stepper.backward_done[index]
                diff, what = None, "gradients"
                record = stepper.record_of(step.node)
                if record is None:  # AccumulateGrad: it stores what arrives, nothing to check
                    self.post_message(
                        OracleResult(
                            key,
                            "PyTorch check: nothing to compute here; "
                            "AccumulateGrad stores the gradient",
                        )
                    )
                    return
                else:
                    # the inputs as the op saw them (an in-place op may have changed them since)
                    inputs = stepper.forward_done[record.index].inputs
                    diff = oracle.backward_difference(
                        record.function, record.params, inputs, step.grad_output,
                        step.grad_inputs, step.node.needs_input_grad,
                    )  # fmt: skip
            text = (
                "PyTorch check: not available for this node"
                if diff is None
                else f"PyTorch check: max |engine - torch| of the {what} = {diff:.3g}"
            )
        except ImportError:
            text = "PyTorch check: torch is not installed"
        except Exception as error:  # an oracle failure is reported, never fatal
            text = f"PyTorch check failed: {type(error).__name__}: {error}"
        self.post_message(OracleResult(key, text))

    def on_oracle_result(self, message: OracleResult) -> None:
        self.oracle_cache[message.key] = message.text
        self.query_one("#details-text", Static).update(self.details_text())

    # ------------------------------------------------------------------ actions
    def _ready(self) -> bool:
        return self.app.session.error is None and self.stepper is not None

    # stepping runs the user's model and writes .grad: never in the middle of a training
    # step running in the Training pane's worker (app.run_lock)
    def _advance(self, move) -> None:
        if not self._ready():
            return
        if self.parts is not None:  # the parts run on copies: the model is not touched
            move()
            self.redraw()
            return
        run, view = self.app.session.run, self.app.session.view
        if run is not None and view is not None and view.latest and view.state == "running":
            run.pause()  # step a still model: weights moving under the graph would mislead
            self.notify(
                "Training is paused while you step the graph; space in the Training pane "
                "resumes it.",
                title="Training paused",
                markup=False,
            )
        try:
            with self.app.run_lock():
                move()
        except StepInFlight as busy:
            self.notify(str(busy), title="Training step in flight", severity="warning")
            return
        except AutogradError as error:
            if "modified by an inplace operation" not in str(error):
                raise
            if self.stepper.stopped:  # the forward itself changed a saved tensor
                self.notify(
                    str(error), title="The backward stops here", severity="error", markup=False
                )
                self.redraw()
                return
            # training changed the weights since this step was traced: its saved values are
            # stale, so trace the same batch again with the new ones
            self.app.new_stepper(batch=self.stepper.batch)
            self.experiment_changed()
            self.notify(
                "The weights changed since this step was traced (training updated them), so "
                "it was traced again with the current weights. Step again.",
                title="Graph traced again",
                markup=False,
            )
            return
        self.redraw()

    def action_step(self) -> None:
        self._advance(lambda: self.stepper.step())

    def action_back(self) -> None:
        if self._ready() and self.stepper.back():
            self.redraw()

    def action_forward(self) -> None:
        self._advance(lambda: self.stepper.run_forward())

    def action_backward(self) -> None:
        self._advance(lambda: self.stepper.run_backward())

    def action_restart(self) -> None:
        if self.app.session.experiment is not None:
            self.parts = None
            self.app.new_stepper(new_batch=True)
            self.experiment_changed()

    def action_cursor(self, delta: int) -> None:
        node_list = self.query_one(NodeList)
        if node_list.spans:
            node_list.cursor = max(0, min(len(node_list.spans) - 1, node_list.cursor + delta))
            self.query_one("#details-text", Static).update(self.details_text())

    def action_group(self) -> None:
        if self._ready():
            self.grouped = not self.grouped
            self.query_one(NodeList).set_stepper(self.stepper, self.grouped)
            self.redraw()

    def action_view(self) -> None:
        self.drawing = not self.drawing
        if self._ready():
            self.redraw(follow=False)

    def action_inspect(self) -> None:
        if not self._ready() or not self.stepper.rows:
            return
        if self.parts is not None:
            self.notify(
                "The parts are copies, not the model's tensors: close them (e) and press "
                "enter on the node to open its tensors in the Inspector.",
                title="Parts are open",
                markup=False,
            )
            return
        row, record, done = self.stepper.item(self.selected_row())
        if row.phase == "forward":
            key = f"graph/r{record.index} {record.op}" if done is not None else None
        else:
            node = self.stepper.backward_order[row.index]
            if node.name() == "AccumulateGrad":
                key = f"gradients/{self.stepper.name_of(node.variable)}"
            else:  # the tensor whose gradient this node computes
                record = self.stepper.record_of(node)
                key = f"graph/r{record.index} {record.op}" if record is not None else None
        self.app.inspect(key)

    def action_parts(self) -> None:
        if self.parts is not None:
            self.action_close_parts()
            return
        if not self._ready() or not self.stepper.rows:
            return
        stepper = self.stepper
        row_index = self.selected_row()
        parts = stepper.parts(row_index)
        if parts is None:
            row = stepper.rows[row_index]
            self.notify(
                f"{row.label} ({row.grad_fn}) is one op of its own. e opens a fused node "
                "(addmm, layer_norm, embedding, var, std) into the ops it stands for.",
                title="Nothing to open",
                markup=False,
            )
            return
        record = stepper.record_of(stepper.node_of(row_index))
        self.parts_of = f"{stepper.labels(record)[1]} {record.op}"
        self.outer_cursor = self.query_one(NodeList).cursor
        self.parts = parts
        self.query_one(NodeList).set_stepper(parts, False)
        self.query_one(NodeList).cursor = 0
        self.redraw(follow=False)

    def action_close_parts(self) -> None:
        if self.parts is None:
            return
        self.parts = None
        node_list = self.query_one(NodeList)
        node_list.set_stepper(self.stepper, self.grouped)
        node_list.cursor = min(self.outer_cursor, max(0, len(node_list.spans) - 1))
        self.redraw(follow=False)

    def on_resize(self) -> None:
        if self._ready():
            self.redraw(follow=False)


_BROADCASTING = {"add", "sub", "mul", "div", "pow", "maximum", "where", "masked_fill"}


def _short(array) -> str:
    """The numbers of a small array, the shape of a big one: what fits in a box."""
    size = 1
    for n in array.shape:
        size *= n
    return value(array) if size <= 6 else shape_str(tuple(array.shape))


def draw(stepper) -> Text:
    """Boxes and arrows, one box per forward op, its inputs arriving from the left."""
    text = Text(no_wrap=True, overflow="crop")
    done = min(stepper.position, stepper.forward_total)
    grads = {}
    for step in stepper.backward_done[: max(0, stepper.position - stepper.forward_total)]:
        grads[id(step.node)] = step.grad_output
    names_width = max(
        (len(name) for r in stepper.records for name in stepper.labels(r)[0]), default=1
    )
    for record in stepper.records:
        names, output = stepper.labels(record)
        computed = record.index < done
        result = _short(stepper.forward_done[record.index].output) if computed else "?"
        lines = [
            f" {output} = {record.op} = {result}",
            f" {record.grad_name or '(no grad)'}",
        ]
        if id(record.node) in grads:
            lines.append(f" grad {_short(grads[id(record.node)])}")
        lines += [""] * (len(names) - len(lines))
        inner = max(len(line) for line in lines) + 1
        style = Style(bold=computed, dim=not computed)
        pad = " " * (names_width + 5)
        text.append(f"{pad}┌{'─' * inner}┐\n", style=style)
        for i, line in enumerate(lines):
            if i < len(names):
                if len(names) == 1:
                    joint = "───▶"
                elif i == 0:
                    joint = "──┐ "
                elif i < len(names) - 1:
                    joint = "──┤ "
                else:
                    joint = "──┴▶"
                left = f"{names[i]:>{names_width}} {joint}"
            else:
                left = pad
            text.append(f"{left}│{line:<{inner}}│\n", style=style)
        text.append(f"{pad}└{'─' * inner}┘\n", style=style)
    return text
