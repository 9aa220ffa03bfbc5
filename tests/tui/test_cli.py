"""The nnbench command as a user runs it."""

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
    assert [line.split()[0] for line in out.stdout.splitlines()][:2] == [
        "breadcrumbs",
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
    assert (tmp_path / "spirals" / "latest" / "checkpoint.npz").exists()


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
