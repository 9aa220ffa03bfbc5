"""The app as a person uses it: keys pressed at 80x24 and 160x48, the screen and state read."""

import html
import re
import textwrap

import pytest

from nnbench.tui.app import NnbenchApp
from nnbench.tui.graph import GraphScreen, NodeList
from nnbench.tui.inspector import InspectorScreen
from nnbench.tui.widgets import ErrorPanel, HelpScreen, OpenScreen

from .pilot import content, press, started

SIZES = [(80, 24), (160, 48)]


def screen_text(app) -> str:
    """Every line of text on the screen, from the app's own screenshot."""
    svg = app.export_screenshot()
    rows: dict[float, list] = {}
    for m in re.finditer(r'<text[^>]*?x="([\d.]+)"[^>]*?y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        text = html.unescape(re.sub("<[^>]+>", "", m.group(3))).replace("\xa0", " ")
        rows.setdefault(float(m.group(2)), []).append((float(m.group(1)), text))
    return "\n".join("".join(t for _, t in sorted(rows[y])) for y in sorted(rows))


@pytest.mark.parametrize("size", SIZES)
async def test_breadcrumbs_tells_the_seed_story_step_by_step(size):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        await press(pilot, "2")
        assert isinstance(app.screen, GraphScreen)
        await press(pilot, "n")
        details = content(app, "#details-text")
        assert "y = add(a, b)" in details and "AddBackward0" in details
        assert "out y () = 5" in details  # named as the sample's code names it
        await press(pilot, "n")
        assert "out z () = 20" in content(app, "#details-text")
        assert "MulBackward0" in content(app, "#details-text")
        assert "forward 2/2" in content(app, "#graph-status")
        await press(pilot, "n")
        details = content(app, "#details-text")
        assert "grad_x = grad * y = 1 * 5 = 5" in details  # dz/dx = 5
        assert "grad_y = grad * x = 1 * 4 = 4" in details  # dz/dy = 4
        assert "PyTorch check: max |engine - torch| of the gradients = 0" in details
        await press(pilot, "b")
        tensors = app.session.experiment.tensors
        assert [tensors[k].grad.item() for k in "abx"] == [4.0, 4.0, 5.0]
        assert "backward 5/5" in content(app, "#graph-status")
        await press(pilot, "p", "p")
        assert app.stepper.position == app.stepper.total - 2
        assert "breadcrumbs · cpu" in app.sub_title
        details = content(app, "#details-text")  # back on d y: AddBackward0 sends 4 to a and b
        assert "grad_a = grad = 4" in details and "grad_b = grad = 4" in details
        assert "AddBackward0" in screen_text(app)


async def test_the_drawing_shows_boxes_when_wide_and_on_v_when_narrow():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(160, 48)) as pilot:
        await started(pilot)
        await press(pilot, "2", "f")
        drawing = content(app, "#drawing-text")
        assert "z = mul = 20" in drawing and "y ──┴▶│ MulBackward0" in drawing
        assert app.screen.query_one("#graph-drawing").display
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2")
        assert not app.screen.query_one("#graph-drawing").display
        await press(pilot, "v")
        assert app.screen.query_one("#graph-drawing").display
        assert not app.screen.query_one("#node-list").display


@pytest.mark.parametrize("size", SIZES)
async def test_digits_forward_backward_and_inspector(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        text = screen_text(app)
        assert "digits_mlp" in text and "parameters" in text
        summary = content(app, "#tensor-summary")
        assert "shape (128, 64)" in summary and "dtype float32" in summary
        assert "requires_grad True" in summary and "torch: model[0].weight" in summary
        await press(pilot, "2", "f")
        assert "forward 7/7" in content(app, "#graph-status")  # t, addmm, relu, t, addmm, loss
        await press(pilot, "b")
        stepper = app.stepper
        assert stepper.phase == "done"
        assert [r.grad_fn for r in stepper.rows][-1] == "AccumulateGrad"
        await press(pilot, "enter")  # the last row: AccumulateGrad into 0.weight
        assert isinstance(app.screen, InspectorScreen)
        assert app.screen.selected_key == "gradients/0.weight"
        assert "shape (128, 64)" in content(app, "#tensor-summary")
        await press(pilot, "2", "up", "enter")  # d r0: the gradient of the transposed weight
        assert app.screen.selected_key == "graph/r0 t"
        await press(pilot, "3")
        assert "Ill-conditioned bowl" in screen_text(app)
        await press(pilot, "4")
        assert "Training" in screen_text(app)


async def test_new_batch_restarts_with_other_data():
    app = NnbenchApp("digits_mlp")
    async with app.run_test() as pilot:
        await started(pilot)
        await press(pilot, "2", "f")
        first = app.stepper.batch
        await press(pilot, "r")
        assert app.stepper.position == 0 and app.stepper.batch is not first
        await press(pilot, "r")
        assert app.stepper.batch[1].tolist() != first[1].tolist()


async def test_inspector_shows_activations_grads_and_optimizer_state():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(160, 48)) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "b", "1")
        screen = app.screen
        sections = {key.split("/")[0] for key in screen.entries}
        assert {"parameters", "gradients", "batch", "activations", "graph"} <= sections
        assert screen.select("activations/1")
        summary = content(app, "#tensor-summary")
        assert "shape (64, 128)" in summary and "zeros" in summary
        assert "torch: model[:2](x)" in summary
        assert screen.select("parameters/0.weight")
        assert "▀" in content(app, "#tensor-values")  # a half-block heatmap of a 2-D tensor


async def test_device_toggle_without_cuda_says_why_and_stays_on_cpu():
    import nnbench.engine as ne

    if ne.cuda_status()[0]:
        pytest.skip("CUDA is available here")
    app = NnbenchApp("digits_mlp")
    async with app.run_test(notifications=True) as pilot:
        await started(pilot)
        await press(pilot, "d")
        assert app.session.device == "cpu"
        messages = [n.message for n in app._notifications]
        assert any(
            "CUDA is not available" in m and "is_available() is False" in m for m in messages
        )


async def test_device_toggle_moves_everything_with_torch_standing_in_for_cuda():
    app = NnbenchApp("digits_mlp")
    async with app.run_test() as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "b")
        app.session.accelerator = "torch:cpu"
        await press(pilot, "d")
        experiment = app.session.experiment
        assert app.session.device == "torch:cpu"
        assert all(p.device.backend_name == "torch" for p in experiment.parameters())
        assert "digits_mlp · torch:cpu" in app.sub_title
        await press(pilot, "f", "b")
        assert app.stepper.phase == "done"
        assert experiment.model[0].weight.grad.device.backend_name == "torch"
        await press(pilot, "d")
        assert app.session.device == "cpu"


async def test_a_broken_experiment_shows_its_traceback_and_reloads_when_fixed(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text("def experiment():\n    return undefined_name\n")
    app = NnbenchApp(str(path))
    async with app.run_test() as pilot:
        await started(pilot)
        panel = app.screen.query_one(ErrorPanel)
        assert panel.display
        shown = content(app, "#error-text")
        assert f'File "{path}", line 2, in experiment' in shown and "NameError" in shown
        assert "press R" in shown
        await press(pilot, "2")
        assert app.screen.query_one(ErrorPanel).display
        path.write_text(
            textwrap.dedent(
                """
                import nnbench.engine as ne
                from nnbench.engine import Experiment

                def experiment():
                    w = ne.tensor(3.0, requires_grad=True)
                    return Experiment(name="mine", forward=lambda b: w * w, tensors={"w": w},
                                      example_batch=())
                """
            )
        )
        await press(pilot, "R")
        assert app.session.error is None and app.session.name == "mine"
        assert not app.screen.query_one(ErrorPanel).display
        await press(pilot, "b")
        assert app.session.experiment.tensors["w"].grad.item() == 6.0


async def test_a_forward_that_fails_shows_the_users_line(tmp_path):
    path = tmp_path / "bad_forward.py"
    path.write_text(
        textwrap.dedent(
            """
            import nnbench.engine as ne
            from nnbench.engine import Experiment

            def experiment():
                w = ne.ones(2, 5, requires_grad=True)
                def forward(batch):
                    return (w @ ne.ones(3, 7)).sum()
                return Experiment(name="bad", forward=forward, tensors={"w": w}, example_batch=())
            """
        )
    )
    app = NnbenchApp(str(path))
    async with app.run_test() as pilot:
        await started(pilot)
        shown = content(app, "#error-text")
        assert "line 8, in forward" in shown and "inner dimensions differ" in shown


async def test_help_lists_every_key_and_closes():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(content(app, "#help-text").split())  # descriptions wrap beside keys
        for needed in (
            "Graph pane",
            "n / right",
            "cpu <-> cuda",
            "ctrl+p",
            "Reload the experiment",
            "Open the chosen fused node (addmm, layer_norm, std, ...) to step through its parts",
        ):
            assert needed in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_open_a_sample_from_the_dialog():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "o")
        assert isinstance(app.screen, OpenScreen)
        await press(pilot, "down", "down", "down", "down", "enter")  # attention, ..., digits_mlp
        assert app.session.name == "digits_mlp"
        assert not isinstance(app.screen, OpenScreen)


async def test_open_a_path_typed_in_the_dialog(tmp_path):
    path = tmp_path / "typed.py"
    path.write_text(
        "import nnbench.engine as ne\nfrom nnbench.engine import Experiment\n"
        "def experiment():\n    w = ne.ones(1, requires_grad=True)\n"
        "    return Experiment(name='typed', forward=lambda b: w.sum(), tensors={'w': w}, "
        "example_batch=())\n"
    )
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        await started(pilot)
        await press(pilot, "o")  # the path field has the focus: type at once
        await pilot.press(*str(path))
        await press(pilot, "enter")
        assert app.session.name == "typed"


async def test_command_palette_lists_the_apps_actions():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        await started(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for needed in ("Graph pane", "Toggle device", "Open experiment", "Reload experiment"):
            assert needed in titles
        await press(pilot, "ctrl+p")
        assert type(app.screen).__name__ == "CommandPalette"
        await pilot.press(*"Graph pane")
        await press(pilot, "enter")
        assert isinstance(app.screen, GraphScreen)


async def test_a_pane_keeps_its_state_while_another_is_shown():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        await started(pilot)
        await press(pilot, "2", "n", "n", "n", "1", "2")
        assert app.stepper.position == 3
        assert "backward" in content(app, "#graph-status")


async def test_a_10000_node_graph_opens_grouped_and_steps(tmp_path):
    path = tmp_path / "deep.py"
    path.write_text(
        textwrap.dedent(
            """
            import nnbench.engine as ne
            from nnbench.engine import Experiment, nn

            class Deep(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.blocks = nn.ModuleList([nn.Tanh() for _ in range(2500)])

                def forward(self, x):
                    for block in self.blocks:
                        x = block(x) * 1.0001
                    return x

            def experiment():
                model = Deep()
                x = ne.randn(4, requires_grad=True)
                return Experiment(name="deep", model=model, forward=lambda b: model(x).sum(),
                                  tensors={"x": x}, example_batch=())
            """
        )
    )
    app = NnbenchApp(str(path))
    async with app.run_test() as pilot:
        await started(pilot)
        await press(pilot, "2")
        screen = app.screen
        assert len(app.stepper.rows) > 10_000
        assert screen.grouped and len(screen.query_one(NodeList).spans) < len(app.stepper.rows)
        await press(pilot, "n", "n", "f")
        assert app.stepper.position == app.stepper.forward_total
        await press(pilot, "g")
        assert not screen.grouped
        await press(pilot, "n")
        assert app.stepper.position == app.stepper.forward_total + 1


async def test_q_quits():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        await started(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_sixteen_colours_get_a_character_ramp(monkeypatch):
    from textual import constants

    monkeypatch.setattr(constants, "COLOR_SYSTEM", "standard")
    app = NnbenchApp("digits_mlp")
    async with app.run_test() as pilot:
        await started(pilot)
        values = content(app, "#tensor-values")
        assert "ramp ' .:-=+*#%@'" in values and "▀" not in values


async def test_no_color_draws_tensors_with_a_character_ramp(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = NnbenchApp("digits_mlp")
    async with app.run_test() as pilot:
        await started(pilot)
        assert app.no_color
        assert "ramp ' .:-=+*#%@'" in content(app, "#tensor-values")


def test_terminal_options(monkeypatch):
    from nnbench.tui.cli import configure_terminal

    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "auto")  # restored (unset) after the test
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM")
    assert configure_terminal("16", no_mouse=True) == {"mouse": False}
    import os

    assert os.environ["TEXTUAL_COLOR_SYSTEM"] == "standard"
    assert configure_terminal("auto", no_mouse=False) == {"mouse": True}


@pytest.mark.parametrize("size", SIZES)
async def test_a_fused_node_opens_into_its_parts_and_closes_again(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size, notifications=True) as pilot:
        await started(pilot)
        await press(pilot, "2", "f", "b")
        screen = app.screen
        assert "e Parts" in screen_text(app)  # the key is in the footer
        await press(pilot, "up", "up", "up")  # d r1, the first layer's AddmmBackward0
        assert "one fused node (AddmmBackward0): e opens its parts" in content(app, "#details-text")
        await press(pilot, "e")
        status = content(app, "#graph-status")
        assert "parts of r1 addmm" in status and "forward 0/2  backward 0/4" in status
        assert "(e/esc closes)" in status
        text = screen_text(app)
        assert "r1.0 = matmul(input, r0)" in text and "r1.1 = add(r1.0, 0.bias)" in text
        await press(pilot, "n")
        details = content(app, "#details-text")
        assert "r1.0 = matmul(input, r0)" in details and "MmBackward0" in details
        assert "out r1.0 (64, 128) = " in details
        assert "PyTorch check: max |engine - torch| of the output" in details
        await press(pilot, "f", "n")  # the parts' first backward node: the add
        details = content(app, "#details-text")
        assert "backward: d r1.1   AddBackward0" in details
        assert "grad_0.bias = sum_to_shape(grad, (128,)) = " in details
        await press(pilot, "b", "up")  # d r1.0: the matmul's rule with its numbers
        assert "backward 4/4" in content(app, "#graph-status")
        details = content(app, "#details-text")
        assert "grad_r0 = input.T @ grad = <(64, 64) mean" in details
        assert "PyTorch check: max |engine - torch| of the gradients" in details
        node = app.stepper.records[1].node  # r1's AddmmBackward0
        fused = next(step for step in app.stepper.backward_done if step.node is node)
        sent = screen.parts.backward_done[-1].grad_output  # what reached the parts' r0
        assert abs(sent - fused.grad_inputs[2]).max() < 1e-6  # the one node sent the same
        await press(pilot, "enter")  # the parts are copies: the Inspector stays shut
        assert isinstance(app.screen, GraphScreen)
        assert any("Parts are open" in (n.title or "") for n in app._notifications)
        await press(pilot, "escape")
        assert screen.parts is None
        assert content(app, "#graph-status").startswith("done      forward 7/7  backward 11/11")
        assert "backward: d r1   AddmmBackward0" in content(app, "#details-text")
        await press(pilot, "e", "e")  # the same key closes them too
        assert screen.parts is None
        await press(pilot, "up", "e")  # d r2, a relu: one op of its own
        assert screen.parts is None
        assert any("Nothing to open" in (n.title or "") for n in app._notifications)


async def test_parts_opened_in_the_forward_have_no_backward_yet():
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "2", "n", "n", "e")  # r1 = addmm, just run
        assert "parts of r1 addmm" in content(app, "#graph-status")
        assert "backward 0/0" in content(app, "#graph-status")
        assert "the parts' backward opens once this node's backward has run" in content(
            app, "#details-text"
        )
        await press(pilot, "f", "b")
        assert app.screen.parts.position == 2  # the forward only
        await press(pilot, "escape", "n")
        assert app.stepper.position == 3  # the step goes on where it was
