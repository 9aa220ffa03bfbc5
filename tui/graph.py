"""Pane 2, the Graph: one step of the experiment, forward then backward, node by node.

Everything shown comes from the Stepper (the engine's trace replay and backward_steps);
this module only lays it out. The node list renders only the lines on screen, so a
graph of 10,000 nodes opens and steps as fast as one of ten. A fused node (addmm,
layer_norm, std, ...) opens with ``e`` into its primitive parts, a Stepper of their own
that the same list and details show until ``e`` or ``escape`` closes it.
"""

from __future__ import annotations

import asyncio
import bisect
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
from nnbench.engine.formatting import gradient_size, value
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
        self.starts: list[int] = []
        self.grouped = False

    def set_stepper(self, stepper, grouped: bool) -> None:
        self.stepper, self.grouped = stepper, grouped
        self.spans = spans_for(stepper.rows, grouped) if stepper else []
        self.starts = [span.start for span in self.spans]
        self.virtual_size = Size(self.size.width, len(self.spans))
        self.refresh()

    def span_of(self, row_index: int) -> int:
        """The line holding a row (a binary search: a step must not cost a scan)."""
        return max(0, bisect.bisect_right(self.starts, row_index) - 1)

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


@dataclass(frozen=True)
class CheckRequest:
    """One node's PyTorch check, with everything it reads taken on the UI thread: the
    thread that runs it touches no stepper. ``key`` is (the stepper's generation, the row)."""

    key: tuple
    phase: str
    function: type
    params: dict
    inputs: tuple
    output: object = None  # forward: what the engine computed
    grad_output: object = None  # backward: the gradient that arrived, and what it sent
    grad_inputs: tuple = ()
    needs: tuple = ()


def check_request(stepper, row_index: int, done) -> CheckRequest | str:
    """What the check of a computed row needs; or, where there is nothing to run, what
    to say instead."""
    key = (stepper.generation, row_index)
    if stepper.rows[row_index].phase == "forward":
        record = done.record
        return CheckRequest(
            key, "forward", record.function, dict(record.params), tuple(done.inputs), done.output
        )
    record = stepper.record_of(done.node)
    if record is None:  # AccumulateGrad: it stores what arrives, nothing to check
        name = stepper.name_of(done.node.variable)
        if name in stepper.outside:
            return f"PyTorch check: nothing to compute here; the parts hand this on to {name}"
        return "PyTorch check: nothing to compute here; AccumulateGrad stores the gradient"
    inputs = stepper.forward_done[record.index].inputs  # as the op saw them (in-place ops)
    return CheckRequest(
        key, "backward", record.function, dict(record.params), tuple(inputs),
        grad_output=done.grad_output, grad_inputs=tuple(done.grad_inputs),
        needs=tuple(done.node.needs_input_grad),
    )  # fmt: skip


def run_check(request: CheckRequest) -> str:
    """The check itself, in a user thread (the first one imports torch: seconds)."""
    from nnbench.engine.workbench import oracle

    try:
        if request.phase == "forward":
            what = "output"
            diff = oracle.forward_difference(
                request.function, request.params, request.inputs, request.output
            )
        else:
            what = "gradients"
            diff = oracle.backward_difference(
                request.function, request.params, request.inputs, request.grad_output,
                request.grad_inputs, request.needs,
            )  # fmt: skip
    except ImportError:
        return "PyTorch check: torch is not installed"
    except Exception as error:  # an oracle failure is reported, never fatal
        return f"PyTorch check failed: {type(error).__name__}: {error}"
    if diff is None:
        return "PyTorch check: not available for this node"
    return f"PyTorch check: max |engine - torch| of the {what} = {diff:.3g}"


class Drawing(Static):
    """The drawing, laid out for the width it has (again whenever that changes)."""

    def __init__(self, **kwargs):
        super().__init__("", markup=False, **kwargs)
        self.stepper = None

    def show(self, stepper) -> None:
        self.stepper = stepper
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self.stepper is not None:
            width = self.content_size.width or self.parent.content_size.width
            self.update(draw(self.stepper, width or 40))


# fits one line at 80 columns; a step never mixes the old weights with the new
RETRACED = "Traced again with the current weights: training changed them."


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
        self.oracle_cache: dict = {}  # (stepper generation, row) -> the check's text
        self._checking: asyncio.Future | None = None  # the check running in its thread
        self.parts = None  # the chosen fused node's parts, while they are open
        self.parts_of = ""  # which node they belong to, for the status line
        self.outer_cursor = 0  # where the cursor was in the step's own list
        self.note = ""  # one line under the status: why the step was traced again

    def compose(self) -> ComposeResult:
        yield Header()
        yield PaneTabs("graph")
        with Vertical(id="graph-body", classes="pane-body"):
            yield Static("", id="graph-status", markup=False)
            yield Static("", id="graph-note", markup=False)
            with Horizontal(id="graph-columns"):
                yield NodeList(id="node-list")
                with VerticalScroll(id="graph-drawing"):
                    yield Drawing(id="drawing-text")
                with VerticalScroll(id="node-details"):
                    yield Static("", id="details-text", markup=False)
        yield ErrorPanel(id="error-panel", classes="error-panel")
        yield Footer(show_command_palette=False)  # the tabs show ctrl+p; room for every key

    def on_mount(self) -> None:
        self.app.register_pane(self)
        self.experiment_changed()

    def on_experiment_changed(self, _message) -> None:
        self.experiment_changed()

    def on_stepper_changed(self, message) -> None:
        self.experiment_changed()
        if message.then is not None:
            message.then(self.app.stepper)

    def on_screen_resume(self) -> None:
        # back from the Training pane, say: the weights may have moved under the trace
        if self._ready():
            self.retrace_if_stale()

    # ------------------------------------------------------------------ state
    @property
    def stepper(self):
        """What the pane shows: the open parts of a fused node, else the step itself."""
        return self.parts if self.parts is not None else self.app.stepper

    def experiment_changed(self) -> None:
        self.parts = None
        self.set_note("")
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

    def stale(self) -> bool:
        """Whether the experiment's weights are not the ones the step was traced with
        (training changed them), or the experiment is another one."""
        stepper, experiment = self.app.stepper, self.app.session.experiment
        if stepper is None or experiment is None:
            return False
        return stepper.experiment is not experiment or stepper.weights_changed()

    def retrace_if_stale(self, then=None) -> bool:
        """Trace the step again, on its batch, if it is stale: True if a trace was asked
        for (it is made in a worker; ``then`` runs on the new trace). Every value then
        shown comes from the current weights."""
        if not self.stale():
            return False
        stepper, experiment = self.app.stepper, self.app.session.experiment
        same = stepper.experiment is experiment

        def traced(_stepper) -> None:
            if same:
                self.set_note(RETRACED)
            if then is not None:
                then()

        self.query_one("#graph-status", Static).update("Tracing again with the current weights…")
        batch = stepper.batch if same else None
        self.app.new_stepper(batch=batch, anomaly=stepper.anomaly is not None, then=traced)
        return True

    def set_note(self, note: str) -> None:
        if note == self.note:
            return  # every step clears it: no refresh (and no layout) when it is clear
        self.note = note
        widget = self.query_one("#graph-note", Static)
        widget.update(note)
        widget.display = bool(note)

    def redraw(self, follow: bool = True) -> None:
        stepper = self.stepper
        if stepper is None:
            return
        node_list = self.query_one(NodeList)
        if follow:
            node_list.cursor = node_list.span_of(max(0, stepper.position - 1))
        else:
            node_list.refresh()
        # one line of fixed height: no layout pass needed (a step pays for one, the details')
        self.query_one("#graph-status", Static).update(self.status_text(), layout=False)
        wide = self.size.width >= 120
        can_draw = stepper.forward_total <= DRAW_AT_MOST
        show_drawing = can_draw and (wide or self.drawing)
        self.query_one("#graph-drawing").display = show_drawing
        self.query_one("#node-list").display = wide or not show_drawing
        if show_drawing:
            self.query_one(Drawing).show(stepper)
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
        if done is not None:
            text.append(f"\n{self.check_text(stepper, row_index, done)}", style="italic")
        return text

    def check_text(self, stepper, row_index: int, done) -> str:
        """The row's PyTorch check: known, or asked for now (it arrives as OracleResult)."""
        key = (stepper.generation, row_index)
        checked = self.oracle_cache.get(key)
        if checked is None:
            request = check_request(stepper, row_index, done)
            if isinstance(request, str):
                checked = self.oracle_cache[key] = request
            else:
                checked = self.oracle_cache[key] = "checking against PyTorch…"
                self.check_against_torch(request)
        return checked

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
                text.append(f"in  {record.function.input_name(i)}: {name}\n")
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
        text.append(f"  {gradient_size(done.grad_output)}\n", style="cyan")
        text.append(self.stepper.words(done) + "\n")
        record = self.stepper.record_of(done.node)
        if record is None:
            return
        names = self.stepper.labels(record)[0]
        for name, sent in zip(names, done.grad_inputs):
            if sent is not None:
                size = f"{shape_str(tuple(sent.shape))} {gradient_size(sent)}"
                text.append(f"  sent to {name}: {size}\n", style="cyan")

    # a description of its own: Textual would otherwise repr the request, arrays and all
    @work(exclusive=True, group="oracle", exit_on_error=False, description="PyTorch check")
    async def check_against_torch(self, request: CheckRequest) -> None:
        """One check at a time, in a daemon thread (not a Textual thread worker: importing
        torch takes seconds, and quitting must not wait for it). A newer request replaces
        this one while it waits; a check already running finishes, and its answer is kept
        for its own node."""
        while self._checking is not None and not self._checking.done():
            await asyncio.wait({self._checking})
        running = asyncio.ensure_future(in_user_thread(run_check, request))
        running.add_done_callback(lambda done: self._checked(request.key, done))
        self._checking = running
        await asyncio.wait({running})

    def _checked(self, key, done: asyncio.Future) -> None:
        if done.cancelled():
            return
        error = done.exception()
        text = done.result() if error is None else f"PyTorch check failed: {error}"
        self.post_message(OracleResult(key, text))

    def on_oracle_result(self, message: OracleResult) -> None:
        self.oracle_cache[message.key] = message.text
        stepper = self.stepper
        shown = stepper is not None and bool(stepper.rows)
        if shown and message.key == (stepper.generation, self.selected_row()):
            self.query_one("#details-text", Static).update(self.details_text())

    # ------------------------------------------------------------------ actions
    def _ready(self) -> bool:
        return self.app.session.error is None and self.stepper is not None

    # stepping runs the user's model and writes .grad: never in the middle of a training
    # step running in the Training pane's worker (app.run_lock)
    def _advance(self, move, tries: int = 0) -> None:
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
        stale = False
        try:
            with self.app.run_lock():
                stale = self.stale()  # then trace first: never old values with new weights
                if not stale:
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
            # a tensor the step saved changed, though no weight did: trace it again
            self.app.new_stepper(batch=self.stepper.batch)
            self.experiment_changed()
            self.set_note("Traced again: a tensor this step saved was changed since it was traced.")
            return
        if stale:
            if tries < 2:  # the key runs on the new trace
                self.retrace_if_stale(then=lambda: self._advance(move, tries + 1))
            return
        if tries == 0:  # a key run on a new trace keeps the note that says so
            self.set_note("")
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
            key = f"graph/{self.stepper.entry_name(record)}" if done is not None else None
        else:
            node = self.stepper.backward_order[row.index]
            if node.name() == "AccumulateGrad":
                key = f"gradients/{self.stepper.name_of(node.variable)}"
            else:  # the tensor whose gradient this node computes
                record = self.stepper.record_of(node)
                key = f"graph/{self.stepper.entry_name(record)}" if record is not None else None
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


def _grad_short(array) -> str:
    """A gradient in a box: its numbers if it has few, else its norm (its mean is ~0)."""
    size = 1
    for n in array.shape:
        size *= n
    return value(array) if size <= 6 else gradient_size(array).split(",")[0]


def _fit(text: str, width: int) -> str:
    """``text`` in at most ``width`` columns: cut short with "…", never wrapped."""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…" if width > 0 else ""


def draw(stepper, width: int = 200) -> Text:
    """Boxes and arrows, one box per forward op, in at most ``width`` columns: its inputs
    arrive from the left where there is room, else from a line above it. A box's first
    line goes on two (``r1 = addmm`` / ``= (64, 128)``) where it is too long, and what is
    still too long is cut short with "…": a box is never wrapped, which would put one
    op's numbers beside another's name."""
    done = min(stepper.position, stepper.forward_total)
    grads = {}
    for step in stepper.backward_done[: max(0, stepper.position - stepper.forward_total)]:
        grads[id(step.node)] = step.grad_output
    boxes = [_box(stepper, record, record.index < done, grads) for record in stepper.records]
    longest = max((len(name) for names, *_ in boxes for name in names), default=1)
    narrowest = max((len(line) + 1 for _, _, split, _ in boxes for line in split), default=1)
    text = Text(no_wrap=True, overflow="crop")
    beside = longest + 7 + narrowest <= width  # name, space, 4 of arrow, the box's borders
    for names, whole, split, computed in boxes:
        style = Style(bold=computed, dim=not computed)
        room = width - longest - 7 if beside else width - 2
        lines = whole if max(len(line) for line in whole) < room else split
        if beside:
            _beside(text, names, lines, longest, room, style)
        else:
            _below(text, names, lines, width, style)
    return text


def _box(stepper, record, computed: bool, grads: dict):
    """(input names, the box's lines, the same with the first line split, computed)."""
    names, output = stepper.labels(record)
    result = _short(stepper.forward_done[record.index].output) if computed else "?"
    rest = [f" {record.grad_name or '(no grad)'}"]
    if id(record.node) in grads:
        rest.append(f" grad {_grad_short(grads[id(record.node)])}")
    whole = [f" {output} = {record.op} = {result}", *rest]
    split = [f" {output} = {record.op}", f" = {result}", *rest]
    return names, whole, split, computed


def _beside(text: Text, names, lines, names_width: int, room: int, style) -> None:
    """A box with its inputs' names to its left, each with its arrow."""
    lines = lines + [""] * (len(names) - len(lines))
    inner = min(room, max(len(line) for line in lines) + 1)
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
        text.append(f"{left}│{_fit(line, inner):<{inner}}│\n", style=style)
    text.append(f"{pad}└{'─' * inner}┘\n", style=style)


def _below(text: Text, names, lines, width: int, style) -> None:
    """A box under a line of its inputs' names, an arrow from them into its top."""
    inner = max(1, min(width - 2, max(len(line) for line in lines) + 1))
    if names:
        text.append(_fit(f"  {', '.join(names)}", width) + "\n", style=style)
        text.append(f"┌─{'▼' if inner > 1 else ''}{'─' * (inner - 2)}┐\n", style=style)
    else:
        text.append(f"┌{'─' * inner}┐\n", style=style)
    for line in lines:
        text.append(f"│{_fit(line, inner):<{inner}}│\n", style=style)
    text.append(f"└{'─' * inner}┘\n", style=style)
