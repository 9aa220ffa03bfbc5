"""The Graph pane under real use: after training, at every width, in the graph's own
names, the same order every trace, gradients by their size, fused nodes opened in the
backward, the PyTorch check of the right graph, and a step that stays cheap."""

import threading
import time

import numpy as np
import pytest

from nnbench.engine import no_grad
from nnbench.engine.errors import shape_str
from nnbench.engine.workbench import oracle
from nnbench.tui import graph as graph_pane
from nnbench.tui.app import NnbenchApp
from nnbench.tui.graph import GraphScreen
from nnbench.tui.stepper import Stepper

from .pilot import content, press, started, until

SIZES = [(80, 24), (160, 48)]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a training run writes runs/ here


def current_loss(app) -> float:
    """The loss of the step's batch with the weights as they are now."""
    with no_grad():
        return float(app.session.experiment.loss(app.stepper.batch).item())


# ---------------------------------------------------------------------- 1. after training
@pytest.mark.parametrize("size", SIZES)
async def test_after_training_the_pane_traces_again_before_it_shows_a_step(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2", "f")
        before = app.stepper
        assert f"loss {before.loss.item():.4g}" in content(app, "#graph-status")
        await press(pilot, "4", "n")  # one training step in the Training pane
        training = app.screen
        await until(pilot, lambda: training.run.trainer.step == 1 and training.run.settled())
        await press(pilot, "2")
        stepper = app.stepper
        assert stepper is not before and stepper.position == 0  # traced again at once
        assert stepper.batch is before.batch
        note = content(app, "#graph-note")
        assert note.startswith("Traced again with the current weights") and "\n" not in note
        assert app.screen.query_one("#graph-note").display
        await press(pilot, "f")
        status = content(app, "#graph-status")
        assert f"loss {current_loss(app):.4g}" in status  # the loss of the weights now
        assert f"loss {before.loss.item():.4g}" not in status
        assert not app.screen.query_one("#graph-note").display  # the next step clears it


async def test_weights_changed_under_the_pane_are_traced_again_before_the_next_step():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2", "n", "n")
        before = app.stepper
        experiment = app.session.experiment
        experiment.loss(before.batch).backward()
        experiment.optimizer.step()  # what a training step does to the weights
        await press(pilot, "f")
        stepper = app.stepper
        assert stepper is not before and stepper.position == stepper.forward_total
        assert "Traced again with the current weights" in content(app, "#graph-note")
        # every value on screen comes from one set of weights: the replay's last output
        # is the trace's loss, and both are the loss of the weights now
        replayed = float(np.asarray(stepper.forward_done[-1].output))
        assert replayed == pytest.approx(float(stepper.loss.item()), rel=1e-6)
        assert replayed == pytest.approx(current_loss(app), rel=1e-5)


# ---------------------------------------------------------------------- 2. the drawing
def drawn_lines(app) -> tuple[list[str], int]:
    drawing = app.screen.query_one("#drawing-text")
    return str(drawing.content).splitlines(), drawing.content_size.width


@pytest.mark.parametrize("sample", ["digits_mlp", "spirals"])
@pytest.mark.parametrize("columns", [80, 120, 140, 160])
async def test_the_drawing_fits_its_width_and_never_cuts_a_box(sample, columns):
    app = NnbenchApp(sample)
    async with app.run_test(size=(columns, 40)) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "n", "n")
        if columns < 120:
            await press(pilot, "v")
        assert app.screen.query_one("#graph-drawing").display
        await pilot.pause()
        lines, width = drawn_lines(app)
        assert width > 0 and lines
        for line in lines:
            assert len(line) <= width, (width, line)
            if "┌" in line:
                assert line.endswith("┐"), line
            elif "└" in line:
                assert line.endswith("┘"), line
            elif "│" in line:
                assert line.endswith("│") and line.count("│") == 2, line
        drawing = "\n".join(lines)
        stepper = app.stepper
        for record in stepper.records:  # every shape (or value) whole, by its own op
            output = stepper.labels(record)[1]
            made = stepper.forward_done[record.index].output
            shown = shape_str(made.shape) if made.size > 6 else graph_pane.value(made)
            assert f"{output} = {record.op} = {shown} " in drawing or (
                f"{output} = {record.op} " in drawing and f" = {shown} " in drawing
            )
        for name in ("0.weight", "input", "target"):
            assert name in drawing


# ---------------------------------------------------------------------- 3. names
@pytest.mark.parametrize("size", SIZES)
async def test_the_rules_use_the_graphs_names_and_the_codes_own(size):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2", "f")
        labels = [row.label for row in app.stepper.rows]
        assert labels[:3] == ["y = add(a, b)", "z = mul(x, y)", "d z"]
        await press(pilot, "n")
        details = content(app, "#details-text")
        assert "grad_x = grad * y = 1 * 5 = 5" in details
        assert "grad_y = grad * x = 1 * 4 = 4" in details
        assert "grad_a" not in details and "grad * b" not in details
        await press(pilot, "n")
        assert "x.grad = grad = 5" in content(app, "#details-text")
        await press(pilot, "up", "up", "enter")  # z = mul: the Inspector calls it z too
        assert app.screen.selected_key == "graph/z mul"


NAMES = """
import nnbench.engine as ne
from nnbench.engine import Experiment

def experiment():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    b = ne.tensor([3.0, 4.0], requires_grad=True)

    def double(t):
        out = t * 2
        return out

    def forward(batch):
        both = double(a) + double(b)  # out names two tensors: neither is called out
        swapped = b * a  # mul's own a is the graph's b
        y = swapped.exp()
        p = y.softmax(0)  # softmax's words call its output y: here that is p
        r0 = p * both  # reads as another op's name: not used
        s = r0.sum()
        return s

    return Experiment(name="names", forward=forward, tensors={"a": a, "b": b}, example_batch=())
"""


def test_names_the_code_gives_are_used_only_where_they_cannot_mislead(tmp_path):
    from nnbench.engine.workbench.experiment import load_experiment

    path = tmp_path / "names.py"
    path.write_text(NAMES)
    stepper = Stepper(load_experiment(str(path)), ())
    labels = [row.label for row in stepper.rows[: stepper.forward_total]]
    assert labels == [
        "r0 = mul(a, 2)",
        "r1 = mul(b, 2)",
        "both = add(r0, r1)",
        "swapped = mul(b, a)",
        "y = exp(swapped)",
        "p = softmax(y)",
        "r6 = mul(p, both)",
        "s = sum(r6)",
    ]
    stepper.run_backward()
    words = {stepper.rows[stepper.forward_total + s.index].label: stepper.words(s)
             for s in stepper.backward_done}  # fmt: skip
    assert "grad_b = grad * a = " in words["d swapped"]  # swapped at once, never mixed
    assert "grad_a = grad * b = " in words["d swapped"]
    assert "grad_a += grad * 2 = " in words["d r0"]  # a number reads as itself
    assert "grad_swapped = grad * exp(swapped) = " in words["d y"]
    assert words["d p"].startswith("grad_y = p * (grad - sum(grad * p, dim)) = ")
    assert "grad_p = grad * both = " in words["d r6"]


# ---------------------------------------------------------------------- 4. order
async def test_a_new_batch_keeps_the_backward_order():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2")
        first = [row.label for row in app.stepper.rows]
        assert first[7:11] == ["d r6", "d r5", "d r4", "2.bias.grad"]
        for _ in range(3):
            await press(pilot, "r")
            assert [row.label for row in app.stepper.rows] == first


# ---------------------------------------------------------------------- 5. gradient sizes
@pytest.mark.parametrize("size", SIZES)
async def test_a_gradient_shows_its_norm_and_mean_absolute_value(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "n", "n", "n")  # d r4: the last layer's addmm
        step = app.stepper.backward_done[2]
        incoming = np.asarray(step.grad_output, dtype=np.float64)
        details = content(app, "#details-text")
        norm, mean = np.sqrt((incoming**2).sum()), np.abs(incoming).mean()
        assert f"norm {norm:.4g}, mean |g| {mean:.4g}" in details
        sent = np.asarray(step.grad_inputs[2], dtype=np.float64)  # to r3, the weight's t
        assert (
            f"sent to r3: (128, 10) norm {np.sqrt((sent**2).sum()):.4g}, "
            f"mean |g| {np.abs(sent).mean():.4g}"
        ) in details


# ---------------------------------------------------------------------- 6. parts in the backward
@pytest.mark.parametrize("size", SIZES)
async def test_the_parts_of_a_backward_node_say_where_their_gradients_go(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "b", "up", "up", "up")  # d r1, AddmmBackward0
        await press(pilot, "e", "b")
        parts = app.screen.parts
        labels = [row.label for row in parts.rows]
        assert "r0.grad" not in labels and "0.bias.grad" not in labels
        assert labels[-3:] == ["out to 0.bias", "d r1.0", "out to r0"]
        assert [row.grad_fn for row in parts.rows][-1] == "then TBackward0"
        assert "then 0.bias.grad (a leaf)" in [row.grad_fn for row in parts.rows]
        details = content(app, "#details-text")  # the last row: what goes on to r0
        assert "r0 is the output of TBackward0" in details and "r0.grad" not in details
        assert "the parts hand this on to r0" in details
        await press(pilot, "up", "up")
        assert "0.bias is a leaf" in content(app, "#details-text")


# ---------------------------------------------------------------------- 7. the PyTorch check
def slow_check(monkeypatch, gate=None):
    """forward_difference made slow and telling: it returns the sum of its inputs' first
    values (which graph and node it was asked about) and counts how many run at once."""
    running, seen = [0], [0]
    lock = threading.Lock()

    def difference(function, params, inputs, output):
        with lock:
            running[0] += 1
            seen[0] = max(seen[0], running[0])
        try:
            if gate is not None:
                gate.wait(10)
            else:
                time.sleep(0.15)
            return float(sum(np.asarray(x).sum() for x in inputs if hasattr(x, "shape")))
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(oracle, "forward_difference", difference)
    return seen


def expected_check(stepper, row: int) -> str:
    inputs = stepper.forward_done[row].inputs
    total = float(sum(np.asarray(x).sum() for x in inputs if hasattr(x, "shape")))
    return f"max |engine - torch| of the output = {total:.3g}"


async def test_fast_keys_run_one_check_at_a_time_and_show_the_chosen_nodes(monkeypatch):
    gate = threading.Event()
    most_at_once = slow_check(monkeypatch, gate)
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("2", "n", "n", "n", "n", "n")  # while the first check still runs
        await pilot.pause()
        gate.set()
        await until(pilot, lambda: "checking" not in content(app, "#details-text"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert most_at_once[0] == 1
        assert expected_check(app.stepper, 4) in content(app, "#details-text")


async def test_a_check_in_flight_across_r_never_shows_on_the_new_graph(monkeypatch):
    """CPython gives a new object the address of one just freed, so a cache keyed by id()
    takes a new graph for the old one; that address is made the same here for every
    stepper, so the test does not depend on the allocator's luck."""
    real_id = id
    monkeypatch.setattr(
        graph_pane, "id", lambda x: 1 if isinstance(x, Stepper) else real_id(x), raising=False
    )
    gate = threading.Event()
    slow_check(monkeypatch, gate)
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await pilot.press("2", "n", "n")  # r1 = addmm of the first batch: its check waits
        await pilot.pause()
        old = app.stepper
        await pilot.press("r")  # a new batch, while that check is in flight
        await pilot.pause()
        assert app.stepper is not old
        gate.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await press(pilot, "n", "n")  # r1 of the new batch
        await until(pilot, lambda: "checking" not in content(app, "#details-text"))
        details = content(app, "#details-text")
        assert expected_check(app.stepper, 1) in details
        assert expected_check(old, 1) not in details


# ---------------------------------------------------------------------- 8. a big graph
async def test_stepping_10000_nodes_one_line_each_stays_on_the_node(tmp_path):
    """The latency itself is measured by benchmarks/graph_keys.py; here: the cursor
    follows each step by a search, in a list of one line per node."""
    path = tmp_path / "chain.py"
    path.write_text(
        "import nnbench.engine as ne\n"
        "from nnbench.engine import Experiment\n\n"
        "def experiment():\n"
        "    x = ne.randn(8, 4, requires_grad=True)\n\n"
        "    def forward(batch):\n"
        "        h = x\n"
        "        for _ in range(2500):\n"
        "            h = (h * 1.0001).tanh()\n"
        "        return h.sum()\n\n"
        "    return Experiment(name='chain', forward=forward, tensors={'x': x}, example_batch=())\n"
    )
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2", "g")
        screen = app.screen
        assert isinstance(screen, GraphScreen) and not screen.grouped
        await press(pilot, "f", "n", "n")
        node_list = screen.query_one(graph_pane.NodeList)
        assert len(node_list.spans) == len(app.stepper.rows) > 10_000
        assert node_list.cursor == app.stepper.position - 1 == 5002
        assert "backward" in content(app, "#graph-status")
