"""The Open dialog, the help and the Inspector as a learner meets them (issue 13): typing
and completing a path, a path that fails, the help's way out, the tree's cursor, values
that scroll, sizes, and the torch hint."""

import textwrap

import pytest
from textual.widgets import OptionList, Tree

import nnbench.engine as ne
from nnbench.engine.formatting import number
from nnbench.tui.app import NnbenchApp
from nnbench.tui.inspector import InspectorScreen, ValuesView
from nnbench.tui.session import literal
from nnbench.tui.widgets import ErrorPanel, HelpScreen, OpenScreen, PathInput, path_matches

from .pilot import content, press, until
from .test_app import screen_text
from .test_app_faults import NO_VAL

SIZES = [(80, 24), (160, 48)]
RAISES = "def experiment():\n    return 1 / 0\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder with an experiment in a subfolder and two files sharing a start."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "small_spirals.py").write_text(textwrap.dedent(NO_VAL))
    (tmp_path / "net_a.py").write_text(textwrap.dedent(NO_VAL))
    (tmp_path / "net_b.py").write_text(textwrap.dedent(NO_VAL))
    (tmp_path / ".hidden.py").write_text("")
    return tmp_path


async def opened(pilot):
    app = pilot.app
    await until(pilot, lambda: app.state == "ready")
    await pilot.press("o")
    await until(pilot, lambda: isinstance(app.screen, OpenScreen))
    return app.screen


def said(app) -> str:
    return content(app, "#open-said") if app.screen.query_one("#open-said").display else ""


# ---------------------------------------------------------------------- the Open dialog
@pytest.mark.parametrize("size", SIZES)
async def test_a_path_typed_key_by_key_completes_with_tab_and_opens(folder, size):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        dialog = await opened(pilot)
        field = dialog.query_one(PathInput)
        assert app.focused is field
        await pilot.press("e", "x", "p")
        assert field.value == "exp"
        await press(pilot, "tab")  # the one match, a folder
        assert field.value == "experiments/" and app.focused is field
        await press(pilot, "tab")  # the one file in it
        assert field.value == "experiments/small_spirals.py"
        assert "experiments/small_spirals.py" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: app.session.name == "no_val" and app.state == "ready")
        assert not isinstance(app.screen, OpenScreen)


async def test_tab_completes_what_the_matches_share_then_goes_through_them(folder):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        field = (await opened(pilot)).query_one(PathInput)
        await pilot.press("n")
        await press(pilot, "tab")
        assert field.value == "net_"
        assert "2 matches: net_a.py  net_b.py" in said(app)
        assert "2 matches: net_a.py  net_b.py" in screen_text(app)
        await press(pilot, "tab")
        assert field.value == "net_a.py" and "1 of 2" in said(app)
        await press(pilot, "tab")
        assert field.value == "net_b.py"
        await press(pilot, "tab")
        assert field.value == "net_a.py"
        await press(pilot, *["backspace"] * 4, "x", "tab")
        assert field.value == "net_x" and "starts with 'net_x'" in said(app)


def test_path_matches_lists_files_and_folders_as_a_shell_does(folder):
    assert path_matches("") == ["experiments/", "net_a.py", "net_b.py"]  # no dot files
    assert path_matches(".h") == [".hidden.py"]
    assert path_matches("experiments/s") == ["experiments/small_spirals.py"]
    assert path_matches(str(folder / "net")) == [str(folder / "net_a.py"), str(folder / "net_b.py")]
    assert path_matches("nothing/here") == []


@pytest.mark.parametrize("size", SIZES)
async def test_a_missing_path_keeps_the_dialog_and_the_experiment_open(folder, size):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        await opened(pilot)
        stepper = app.stepper
        await pilot.press(*"nope.py")
        await press(pilot, "enter")
        assert isinstance(app.screen, OpenScreen)
        assert "no such file: nope.py" in " ".join(screen_text(app).split())
        assert app.session.name == "breadcrumbs" and app.session.error is None
        await press(pilot, "x")  # typing again clears what was said about nope.py
        assert said(app) == ""
        await press(pilot, "escape")
        assert isinstance(app.screen, InspectorScreen) and app.state == "ready"
        assert app.stepper is stepper and "tensors: a" in content(app, "#tensor-summary")


@pytest.mark.parametrize("size", SIZES)
async def test_a_file_that_fails_to_load_keeps_the_open_experiment(folder, size):
    (folder / "broken.py").write_text(RAISES)
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        await opened(pilot)
        stepper = app.stepper
        await pilot.press(*"broken.py", "enter")
        await until(pilot, lambda: isinstance(app.screen, OpenScreen) and said(app))
        shown = " ".join(screen_text(app).split())
        assert "Could not open it: breadcrumbs is still open" in shown
        assert "ZeroDivisionError: division by zero" in shown and "line 2" in shown
        assert app.screen.query_one(PathInput).value == "broken.py"  # kept, to fix
        assert app.session.name == "breadcrumbs" and app.session.error is None
        assert app.state == "ready" and app.stepper is stepper
        await press(pilot, "escape")
        assert not app.screen.query_one(ErrorPanel).display
        assert "breadcrumbs · cpu · ready" in screen_text(app)


async def test_R_on_a_file_broken_since_it_opened_still_shows_the_error_screen(folder):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await opened(pilot)
        await pilot.press(*"net_a.py", "enter")
        await until(pilot, lambda: app.session.name == "no_val" and app.state == "ready")
        (folder / "net_a.py").write_text(RAISES)
        await pilot.press("R")
        await until(pilot, lambda: app.state == "error")
        assert app.screen.query_one(ErrorPanel).display
        assert "ZeroDivisionError" in content(app, "#error-text")


async def test_down_goes_to_the_first_sample_and_an_empty_enter_says_what_to_do():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await opened(pilot)
        await press(pilot, "enter")
        assert isinstance(app.screen, OpenScreen) and "press down" in said(app)
        samples = dialog.query_one(OptionList)
        await press(pilot, "down")
        assert app.focused is samples and samples.highlighted == 0  # attention, the first
        await press(pilot, "up")  # from the first sample back to the path
        assert app.focused is dialog.query_one(PathInput)
        await press(pilot, "down", "down", "enter")
        await until(pilot, lambda: app.session.name == "breadcrumbs" and app.state == "ready")
        assert not isinstance(app.screen, OpenScreen)


# ---------------------------------------------------------------------- help
@pytest.mark.parametrize("size", SIZES)
async def test_the_help_says_how_to_close_it_and_scrolls(size):
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await press(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "escape closes" in text and "up/down pgup/pgdn home/end scroll" in text
        box = app.screen.query_one("#help-box")
        if size == (80, 24):
            assert box.max_scroll_y > 0  # more keys than fit
            await press(pilot, "down")
            assert box.scroll_y == 1
            await press(pilot, "pagedown")
            assert box.scroll_y > 10
            await press(pilot, "end")
            assert box.scroll_y == box.max_scroll_y
            assert "Open dialog (o)" in screen_text(app) and "escape closes" in screen_text(app)
            await press(pilot, "pageup", "home")
            assert box.scroll_y == 0
        assert "Inspector pane (1)" in text
        await press(pilot, "escape")
        assert not isinstance(app.screen, HelpScreen)


# ---------------------------------------------------------------------- the Inspector
@pytest.mark.parametrize("size", SIZES)
async def test_the_tree_cursor_starts_on_the_tensor_shown(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await pilot.pause()
        tree = app.screen.query_one(Tree)
        assert app.screen.selected_key == "parameters/0.weight"
        assert tree.cursor_node is not None and tree.cursor_node.data == "parameters/0.weight"
        await press(pilot, "down")  # the next tensor, not the first section
        assert tree.cursor_node.data == app.screen.selected_key == "parameters/0.bias"


async def test_enter_in_the_graph_moves_the_inspector_cursor_to_that_tensor():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await press(pilot, "2", "n", "n", "n", "n")  # the backward's x.grad
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, InspectorScreen) and screen.selected_key == "gradients/x"
        assert screen.query_one(Tree).cursor_node.data == "gradients/x"
        assert "gradients: x" in content(app, "#tensor-summary")
        await press(pilot, "2", "up", "enter")  # d r1, the mul's output
        assert app.screen.query_one(Tree).cursor_node.data == app.screen.selected_key


def values_text(app) -> str:
    return content(app, "#tensor-values")


@pytest.mark.parametrize("size", SIZES)
async def test_the_values_of_a_128x64_weight_scroll_to_every_value(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await pilot.pause()
        weight = app.session.experiment.model[0].weight.detach().numpy()
        text = values_text(app)
        assert "values (picture, 1:1) (128, 64)" in text and "rows 0-" in text
        assert "tab, arrows: scroll" in screen_text(app)
        await press(pilot, "tab")
        view = app.screen.query_one(ValuesView)
        assert app.focused is view and "arrows pgup pgdn home end: scroll" in values_text(app)
        await press(pilot, "down")
        assert "rows 2-" in values_text(app)  # one line of half blocks: two rows
        await press(pilot, "v")  # the numbers themselves
        assert "values (numbers)" in values_text(app)
        assert number(weight[2, 0]) in values_text(app) and "[2]" in values_text(app)
        await press(pilot, "end")
        assert "[127]" in values_text(app) and number(weight[127, 0]) in values_text(app)
        for _ in range(64):
            await pilot.press("right")
        await pilot.pause()
        assert "[63]" in values_text(app) and number(weight[127, 63]) in values_text(app)
        assert "of 128" in screen_text(app) and "of 64" in screen_text(app)
        await press(pilot, "home")
        assert "rows 0-" in values_text(app) and "columns 0-" in values_text(app)
        await press(pilot, "pagedown")
        assert "rows 0-" not in values_text(app)
        await press(pilot, "tab")  # back to the tree: up and down choose tensors again
        await press(pilot, "down")
        assert app.screen.selected_key == "parameters/0.bias"


async def test_a_tensor_of_four_dims_shows_rows_along_its_last_dim():
    app = NnbenchApp("cnn_digits")
    async with app.run_test(size=(160, 48)) as pilot:
        await until(pilot, lambda: app.state == "ready")
        screen = app.screen
        key = next(k for k, e in screen.entries.items() if e.tensor.ndim == 4)
        screen.select(key)
        await press(pilot, "v")
        text = values_text(app)
        assert "rows along the last dim of" in text and "[0, 0, 0]" in text


@pytest.mark.parametrize("size", SIZES)
async def test_sizes_print_in_one_pair_of_parentheses(size):
    app = NnbenchApp("digits_mlp")
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await pilot.pause()
        for _ in range(4):  # picture, numbers, whole, histogram
            assert "((" not in screen_text(app) and "))" not in screen_text(app)
            assert "(128, 64)" in screen_text(app)
            await press(pilot, "v")


async def test_the_torch_hint_says_requires_grad_for_a_leaf_that_requires_it():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state == "ready")
        await pilot.pause()
        assert "torch.tensor(2.0, requires_grad=True)" in screen_text(app)
        await press(pilot, "2", "n", "n", "n", "n", "enter")  # x.grad: no grad of its own
        assert "torch.tensor(5.0)" in content(app, "#tensor-summary")
        assert "requires_grad=True" not in content(app, "#tensor-summary")


def test_literal_writes_what_torch_would_take_back():
    leaf = ne.tensor([0.1, 0.2], requires_grad=True)
    assert literal(leaf) == "torch.tensor([0.1, 0.2], requires_grad=True)"
    assert literal(leaf * 2) == "torch.tensor([0.2, 0.4])"  # not a leaf
    assert literal(ne.tensor([1, 2], dtype=ne.int32)) == "torch.tensor([1, 2], dtype=torch.int32)"
    nan = ne.tensor([float("nan"), float("-inf")], dtype=ne.float64, requires_grad=True)
    assert literal(nan) == (
        "torch.tensor([float('nan'), -float('inf')], dtype=torch.float64, requires_grad=True)"
    )
    assert literal(ne.zeros(9)) is None
