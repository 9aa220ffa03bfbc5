"""The nnbench command as a user runs it."""

import errno
import json
import re
import subprocess
import sys

import pytest

from nnbench.tui import cli


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "nnbench.tui.cli", *args], capture_output=True, text=True
    )


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("nnbench ")
    out = run("--help")
    assert out.returncode == 0 and "nnbench check" in out.stdout


def test_check_prints_a_row_per_op_and_passes(capsys):
    assert cli.main(["check", "--op", "mul", "--op", "matmul", "--op", "softmax"]) == 0
    text = capsys.readouterr().out
    assert "forward max err" in text
    rows = [line for line in text.splitlines() if line.split()[:1] in (["mul"], ["matmul"])]
    assert len(rows) == 2 and all(line.endswith("pass") for line in rows)
    assert text.rstrip().endswith("3 passed, 0 failed")


def test_check_fails_with_exit_code_1_when_an_op_is_wrong(monkeypatch, capsys):
    from nnbench.engine import ops

    monkeypatch.setattr(ops.Mul, "backward", lambda self, grad: (grad, grad))
    assert cli.main(["check", "--op", "mul"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_check_on_the_torch_backend(capsys):
    assert cli.main(["check", "--device", "torch:cpu", "--op", "gather"]) == 0


@pytest.mark.parametrize("argv", [["check", "--op", "nope"], ["check", "--device", "tpu"]])
def test_bad_usage_exits_2(argv, capsys):
    assert cli.main(argv) == 2


@pytest.mark.slow
def test_the_whole_check_passes():
    out = run("check")
    assert out.returncode == 0, out.stdout[-2000:]
    assert " 0 failed" in out.stdout


def test_samples_lists_every_sample():
    out = run("samples")
    assert out.returncode == 0
    assert [line.split()[0] for line in out.stdout.splitlines()][:4] == [
        "attention",
        "breadcrumbs",
        "cnn_digits",
        "digits_mlp",
    ]


def test_graph_prints_the_seed_story():
    out = run("graph", "breadcrumbs")
    assert out.returncode == 0 and "MulBackward0" in out.stdout and "loss = 20" in out.stdout
    out = run("graph", "breadcrumbs", "--format", "json")
    assert out.returncode == 0 and '"loss": 20.0' in out.stdout


def test_train_writes_metrics_a_checkpoint_and_a_plot(tmp_path):
    out = run("train", "spirals", "--epochs", "2", "--runs", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "epoch 2/2" in out.stdout and "loss per step" in out.stdout
    assert "\x1b[" not in out.stdout  # piped output has no colour codes
    assert (tmp_path / "spirals" / "latest" / "metrics.jsonl").exists()
    assert (tmp_path / "spirals" / "latest" / "checkpoint.safetensors").exists()


def test_train_on_a_broken_file_shows_the_users_traceback(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def experiment():\n    return undefined_name\n")
    out = run("train", str(path))
    assert out.returncode == 1
    assert f'File "{path}", line 2, in experiment' in out.stderr
    assert "NameError" in out.stderr


def test_train_without_mnist_exits_1_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBENCH_MNIST", str(tmp_path))
    out = run("train", "mnist_mlp")
    assert out.returncode == 1 and "NNBENCH_MNIST" in out.stderr


def test_train_cuda_without_cuda_is_bad_usage():
    import nnbench.engine as ne

    if ne.cuda_status()[0]:
        pytest.skip("CUDA is available here")
    out = run("train", "spirals", "--device", "cuda")
    assert out.returncode == 2 and "torch.cuda.is_available() is False" in out.stderr


def test_check_cuda_without_cuda_is_bad_usage(capsys):
    """ne.device('cuda') is made without a GPU, as torch.device is; the check still says
    at once that there is none."""
    import nnbench.engine as ne

    if ne.cuda_status()[0]:
        pytest.skip("CUDA is available here")
    assert cli.main(["check", "--device", "cuda", "--op", "mul"]) == 2
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err


def test_bench_quick_prints_every_ratio():
    out = run("bench", "--quick", "--rounds", "1", "--memory-steps", "0")
    assert out.returncode == 0
    for name in ("seed MLP step", "wide MLP step", "64x128 add", "1024^2 matmul"):
        assert name in out.stdout


def test_race_prints_the_table_and_marks_divergence():
    out = run("race", "rosenbrock", "--steps", "50", "--lr", "S=1.0")
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Rosenbrock") and "after 50 steps" in lines[0]
    assert "diverged" in lines[2] or "NaN" in lines[2]
    assert "loss per step on rosenbrock" in out.stdout


def test_race_rejects_unknown_surfaces():
    out = run("race", "everest")
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_output_cut_short_by_a_pipe_is_not_an_error():
    command = f"{sys.executable} -m nnbench.tui.cli graph digits_mlp | head -1"
    out = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 0 and "BrokenPipeError" not in out.stderr
    assert out.stdout.startswith("digits_mlp: forward")


# ---------------------------------------------------------------------- the command line itself
@pytest.mark.parametrize(
    "argv, opened",
    [
        (["train.py"], "train.py"),
        (["./train"], "./train"),
        (["--color", "16", "graph.py"], "graph.py"),
        ([], "digits_mlp"),
        (["sub/race"], "sub/race"),
    ],
)
def test_a_path_opens_the_app_even_when_named_like_a_command(argv, opened, monkeypatch):
    seen = []
    monkeypatch.setattr(cli, "run_app", lambda args: seen.append(args.experiment) or 0)
    assert cli.main(argv) == 0 and seen == [opened]


def test_help_imports_neither_the_engine_nor_rich():
    code = (
        "import sys; from nnbench.tui import cli; cli.build_parser().format_help(); "
        "print([m for m in ('nnbench.engine', 'rich', 'textual', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


# ---------------------------------------------------------------------- train: output that fails
def _checkpoint_of_latest(runs_dir, name="spirals"):
    import nnbench.engine as ne

    run = runs_dir / name / "latest"
    return ne.load(run / "checkpoint.safetensors"), json.loads((run / "run.json").read_text())


def test_train_piped_into_head_keeps_training_and_saves(tmp_path):
    command = (f"{sys.executable} -m nnbench.tui.cli train spirals --epochs 3 "
               f"--runs {tmp_path} | head -1")  # fmt: skip
    out = subprocess.run(["bash", "-c", f"set -o pipefail; {command}"], capture_output=True,
                         text=True)  # fmt: skip
    assert out.returncode == 0 and out.stdout.startswith("training spirals")
    assert "failed" not in out.stderr and "Traceback" not in out.stderr
    state, info = _checkpoint_of_latest(tmp_path)
    assert state["step"] == 45 and (info["status"], info["steps"]) == ("done", 45)


def test_train_into_a_full_disk_says_so_in_one_line_and_keeps_the_run(tmp_path):
    with open("/dev/full", "w") as full:
        out = subprocess.run(
            [sys.executable, "-m", "nnbench.tui.cli", "train", "spirals", "--epochs", "2",
             "--runs", str(tmp_path)], stdout=full, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "the disk is full" in out.stderr
    assert "training went on" in out.stderr and "(step 30)" in out.stderr
    assert _checkpoint_of_latest(tmp_path)[0]["step"] == 30


def test_graph_into_a_full_disk_is_one_line():
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "nnbench.tui.cli", "graph", "breadcrumbs"],
                             stdout=full, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert (
        out.returncode == 1
        and out.stderr == "nnbench: could not write the output: the disk is full\n"
    )


def test_a_runs_folder_that_cannot_be_made_says_to_pass_runs(tmp_path, monkeypatch, capsys):
    from pathlib import Path

    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if tmp_path in self.absolute().parents:
            raise PermissionError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "mkdir", read_only)
    assert cli.main(["train", "linear_regression"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pass --runs DIR" in err and "read-only" in err


def _failing_saves(monkeypatch, fails):
    import nnbench.engine as ne

    real_save = ne.checkpoint.save

    def save(obj, path):
        if fails(path):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(obj, path)

    monkeypatch.setattr(ne.checkpoint, "save", save)


def test_a_final_save_that_fails_goes_to_the_temporary_folder(tmp_path, monkeypatch, capsys):
    import tempfile

    import nnbench.engine as ne

    runs_dir, spare = tmp_path / "runs", tmp_path / "spare"
    spare.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spare))
    _failing_saves(monkeypatch, lambda path: runs_dir in path.parents)
    assert cli.main(["train", "linear_regression", "--runs", str(runs_dir)]) == 1
    warning, err = capsys.readouterr().err.splitlines()
    # the first failed rolling save warns once (not at every epoch); the final one falls back
    assert warning.startswith("nnbench train: warning: could not save the checkpoint of step 10")
    assert "training goes on; no checkpoint was saved" in warning
    assert "the disk is full" in err
    saved = list(spare.glob("nnbench-linear_regression-*-step*.safetensors"))
    assert len(saved) == 1 and str(saved[0]) in err
    assert ne.load(saved[0])["step"] == int(saved[0].stem.rsplit("step", 1)[1]) > 0


def test_a_final_save_that_fails_everywhere_says_so(tmp_path, monkeypatch, capsys):
    _failing_saves(monkeypatch, lambda path: True)
    argv = ["train", "linear_regression", "--epochs", "1", "--runs", str(tmp_path)]
    assert cli.main(argv) == 1
    warning, err = capsys.readouterr().err.splitlines()
    assert "warning: could not save the checkpoint of step 10 (the disk is full)" in warning
    assert "could not save the checkpoint of step 10 anywhere" in err


# ---------------------------------------------------------------------- train: stopping
def test_a_keyboard_interrupt_inside_optimizer_step_never_saves_a_half_step(
    tmp_path, monkeypatch, capsys
):
    """The old failure: Adam's steps [11, 10, 10, 10] in a checkpoint of step 10. Now a
    KeyboardInterrupt that lands inside step() (a second Ctrl-C) saves nothing of that
    step; the checkpoint on disk is the last rolling one, consistent."""
    from nnbench.engine.optim import Adam

    real_update, calls = Adam._update, []

    def update(self, p, grad, state, group):
        calls.append(1)
        if len(calls) == 4 * 29 + 2:  # step 30 (in epoch 2), its second parameter
            raise KeyboardInterrupt
        return real_update(self, p, grad, state, group)

    monkeypatch.setattr(Adam, "_update", update)
    argv = ["train", "digits_mlp", "--runs", str(tmp_path), "--checkpoint-every", "0"]
    assert cli.main([*argv, "--epochs", "2"]) == 130
    err = capsys.readouterr().err
    assert "interrupted during step 30: quit without saving it" in err
    state, info = _checkpoint_of_latest(tmp_path, "digits_mlp")
    assert info["status"] == "interrupted"
    assert 0 < state["step"] < 30  # the end of epoch 1
    assert {int(s["step"]) for s in state["optimizer"]["state"].values()} == {state["step"]}


def test_sigint_while_loading_or_racing_is_one_line(tmp_path):
    import signal
    import time

    slow = tmp_path / "slow.py"
    ready = tmp_path / "ready"
    slow.write_text(f"import pathlib, time\npathlib.Path({str(ready)!r}).touch()\ntime.sleep(30)\n")
    for argv in (["train", str(slow)], ["race", "rosenbrock", "--steps", "100000000"]):
        process = subprocess.Popen(
            [sys.executable, "-m", "nnbench.tui.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 10
        while argv[0] == "train" and not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.8 if argv[0] == "race" else 0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 130 and err == f"nnbench {argv[0]}: interrupted\n", err


def test_train_on_a_terminal_draws_richs_bar_and_plain_lines_otherwise(tmp_path, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    for plain in ([], ["--plain"]):
        screen = Terminal()
        monkeypatch.setattr(sys, "stdout", screen)
        argv = ["train", "spirals", "--epochs", "2", "--runs", str(tmp_path), *plain]
        assert cli.main(argv) == 0
        text = screen.getvalue()
        assert "epoch 2/2" in text and "step 30/30" in text and "loss per step" in text
        assert ("━" in text) == (not plain)  # rich's bar


# ---------------------------------------------------------------------- train: what it prints
def test_samples_lists_the_variants():
    out = run("samples")
    line = next(x for x in out.stdout.splitlines() if x.startswith("linear_regression "))
    assert "linear_regression:scratch, linear_regression:nn" in line


def test_huge_and_tiny_losses_print_compactly_and_the_eta_has_hours():
    from nnbench.engine.workbench.training import EpochReport, StepReport
    from nnbench.tui import commands
    from nnbench.tui.text import duration

    step = StepReport(3, 1, 7.0211870256659431424e19, 0.1, 96, 1.0, 10**6, 23.15, 740.0)
    text = commands.step_line(step)
    assert "loss 7.021e+19" in text and "ETA 11:59:56" in text  # (10**6 - 3) / 23.15 s
    epoch = EpochReport(1, 3, 1.0610756700359659520e19, 3.2e-07, None)
    assert commands.epoch_line(epoch, 2) == "epoch 1/2  train loss 1.061e+19  val loss 3.2e-07"
    assert commands.number(0.12345) == "0.1235" and commands.number(float("nan")) == "nan"
    assert duration(59 * 60 + 59) == "59:59" and duration(3600) == "1:00:00"
    plot = commands.loss_plot(list(range(1, 41)), [1.5**i * 1e12 for i in range(40)], [],
                              color=False)  # fmt: skip
    assert "e+" in plot and not re.search(r"\d{7}", plot)  # no 70211870256659431424.0


def test_train_on_the_torch_backend_says_torch_cpu(tmp_path):
    out = run("train", "spirals", "--epochs", "1", "--device", "torch:cpu", "--runs", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("training spirals on torch:cpu for 1 epoch(s)")
    _, info = _checkpoint_of_latest(tmp_path)
    assert info["settings"]["device"] == "torch:cpu"
    assert "torch:cpu" in run("train", "--help").stdout


def test_check_list_names_every_op():
    out = run("check", "--list")
    assert out.returncode == 0 and {"softmax", "matmul", "gather"} <= set(out.stdout.split())


# ---------------------------------------------------------------------- train: a second Ctrl-C
def test_a_second_ctrl_c_outside_a_step_records_the_run_and_leaves_no_bar(
    tmp_path, monkeypatch, capsys
):
    """The old failure: a second Ctrl-C after the loop (closing the bar, before the final
    save) escaped as a bare 'nnbench train: interrupted', left run.json "running" and the
    bar's refresh thread redrawing a stale bar after the message."""
    import io
    import time

    from nnbench.tui import commands

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    def second_ctrl_c(trainer, signals):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "_final_save", second_ctrl_c)
    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    argv = ["train", "spirals", "--epochs", "2", "--runs", str(tmp_path), "--checkpoint-every", "0"]
    assert cli.main(argv) == 130
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted at step 30" in err
    assert "the newest checkpoint is" in err and "(step 30)" in err
    state, info = _checkpoint_of_latest(tmp_path)
    assert (info["status"], info["steps"]) == ("interrupted", 30) and "ended" in info
    drawn = screen.getvalue()
    time.sleep(0.3)  # rich's refresh thread would redraw the bar ten times a second
    assert screen.getvalue() == drawn


def test_only_one_ctrl_c_is_raised_the_later_ones_never_cut_the_cleanup():
    import signal

    from nnbench.tui import commands

    class Trainer:
        stop_requested = False

    signals = commands.StopOnSignals(Trainer())
    signals._handle(signal.SIGINT, None)  # the first asks to stop after this step
    assert Trainer.stop_requested or signals.trainer.stop_requested
    with pytest.raises(KeyboardInterrupt):
        signals._handle(signal.SIGINT, None)  # the second quits
    signals._handle(signal.SIGINT, None)  # the third lands in the cleanup: nothing raised
    signals._handle(signal.SIGINT, None)
