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
