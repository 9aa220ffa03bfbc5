"""The cnn_digits sample in the app at 80x24: the Graph pane steps through its
convolutions, pooling and their words, and the Training pane trains it live."""

from nnbench.tui.app import NnbenchApp

from .pilot import content, press, started, until
from .test_app import screen_text
from .test_training import training_pane


async def test_the_graph_pane_steps_through_the_conv_at_80x24():
    app = NnbenchApp("cnn_digits")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        text = screen_text(app)
        assert "cnn_digits" in text and "0.weight (16, 1, 3, 3)" in text
        assert "input (64, 1, 8, 8)" in text
        await press(pilot, "2", "n")
        details = content(app, "#details-text")
        assert "r0 = convolution(input, 0.weight, 0.bias)" in details
        assert "ConvolutionBackward0" in details and "out r0 (64, 16, 8, 8)" in details
        assert "PyTorch check: max |engine - torch| of the output" in details
        await press(pilot, "n", "n")
        assert "max_pool2d" in content(app, "#details-text")
        await press(pilot, "b")
        names = [r.grad_fn for r in app.stepper.rows]
        assert names.count("ConvolutionBackward0") == 4  # forward and backward, two convs
        assert names.count("MaxPool2DWithIndicesBackward0") == 4
        await press(pilot, "up", "up")  # d r0: the first conv's backward (past 0.bias)
        details = content(app, "#details-text")
        assert "backward: d r0   ConvolutionBackward0" in details
        assert "grad_0.weight = einsum(" in details and "unfold(input, kernel_size" in details
        assert "grad_0.bias = grad.sum((0, 2, 3))" in details
        assert "PyTorch check: max |engine - torch| of the gradients" in details
        assert "FAIL" not in screen_text(app)


async def test_the_training_pane_trains_the_cnn_live(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = NnbenchApp("cnn_digits")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await training_pane(pilot, epochs=10_000)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.trainer.step > 25, timeout=60)
        await pilot.press("space")
        await until(pilot, lambda: screen.run.state == "paused")
        screen.redraw(force=True)
        status = content(app, "#train-status")
        assert "loss" in status and "steps/s" in status
        assert "upd/weight" in content(app, "#train-layers")
