"""Bad experiment files and command-line misuse: the exit code and the one line that says
what is wrong (and never a traceback from nnbench itself)."""

import textwrap

import pytest

from nnbench.tui import cli

# ---------------------------------------------------------------------- usage: exit code 2
USAGE = {
    "--epochs 0": (["train", "spirals", "--epochs", "0"], "--epochs must be at least 1, got 0"),
    "--epochs huge": (
        ["train", "spirals", "--epochs", "99999999999999999999"],
        "--epochs must be at most 1,000,000,000",
    ),
    "--epochs -3": (["train", "spirals", "--epochs", "-3"], "must be at least 1, got -3"),
    "--epochs x": (["train", "spirals", "--epochs", "x"], "expected a whole number, got 'x'"),
    "--checkpoint-every -1": (
        ["train", "spirals", "--checkpoint-every", "-1"],
        "--checkpoint-every must be a finite number of seconds >= 0",
    ),
    "--checkpoint-every nan": (["train", "spirals", "--checkpoint-every", "nan"], "finite"),
    "train without experiment": (["train"], "required: experiment"),
    "train --device tpu": (["train", "spirals", "--device", "tpu"], "tpu"),
    "train --device gpu": (
        ["train", "spirals", "--device", "gpu"],
        "--device must be one of cpu (numpy), torch:cpu (torch on the CPU), cuda or cuda:N",
    ),
    "train --device CUDA": (["train", "spirals", "--device", "CUDA"], "lower case"),
    "train ''": (["train", ""], "the experiment is empty"),
    "train --runs ''": (["train", "spirals", "--runs", ""], "--runs must name a folder"),
    "train a typo": (["train", "spirls"], "named 'spirls' (did you mean spirals?)"),
    "a typo of a command": (["tran", "spirals"], "did you mean train?"),
    "an unknown bare word": (["bogus"], "no command, sample or file named 'bogus'"),
    "race --steps 0": (["race", "bowl", "--steps", "0"], "--steps must be at least 1, got 0"),
    "race --steps -5": (["race", "bowl", "--steps", "-5"], "must be at least 1, got -5"),
    "race --lr Z=1": (["race", "bowl", "--lr", "Z=1"], "no optimizer has the letter Z; use S"),
    "race --lr =1": (["race", "bowl", "--lr", "=1"], "expected LETTER=VALUE"),
    "race --lr S": (["race", "bowl", "--lr", "S"], "expected LETTER=VALUE"),
    "race --lr S=-1": (["race", "bowl", "--lr", "S=-1"], "S=-1: the learning rate must be finite"),
    "race --lr S=nan": (["race", "bowl", "--lr", "S=nan"], "S=nan: the learning rate must be"),
    "race --lr S=inf": (["race", "bowl", "--lr", "S=inf"], "must be finite and above 0"),
    "race --lr S=fast": (["race", "bowl", "--lr", "S=fast"], "must be a number, e.g. S=0.01"),
    "race everest": (["race", "everest"], "invalid choice: 'everest'"),
    "graph --format x": (["graph", "spirals", "--format", "x"], "invalid choice: 'x'"),
    "check --op nope": (["check", "--op", "nope"], "unknown op(s) nope (nnbench check --list"),
    "check --op sofmax": (["check", "--op", "sofmax"], "sofmax; did you mean softmax"),
    "an unknown option": (["train", "spirals", "--fast"], "unrecognized arguments: --fast"),
}


@pytest.mark.parametrize("argv, message", USAGE.values(), ids=USAGE.keys())
def test_usage_errors_exit_2_with_one_line_that_says_what_is_allowed(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    # one line, no usage block: what is wrong, what is allowed, where to read more
    assert err.count("\n") == 1 and err.startswith("nnbench"), err


def test_a_folder_is_never_an_experiment_and_never_hides_a_sample(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spirals").mkdir()  # what `nnbench train spirals --runs .` leaves
    (tmp_path / "digits_mlp").mkdir()
    (tmp_path / "somefolder").mkdir()
    assert cli.main(["train", "spirals", "--epochs", "1", "--runs", "runs"]) == 0
    assert cli.main(["graph", "digits_mlp"]) == 0
    capsys.readouterr()
    for argv in (["train", "somefolder"], ["graph", "./somefolder"], ["somefolder"]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is a folder, not an experiment" in err


def test_the_app_without_a_terminal_is_a_usage_error_not_a_hang(tmp_path):
    import subprocess
    import sys

    for stdin in (subprocess.DEVNULL, None):
        out = subprocess.run(
            [sys.executable, "-m", "nnbench.tui.cli", "spirals"],
            stdin=stdin, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert out.returncode == 2 and out.stdout == "", out.stdout[-300:]
        assert out.stderr.count("\n") == 1 and "the app needs a terminal" in out.stderr
        assert "nnbench train spirals" in out.stderr


# ---------------------------------------------------------------------- bad files: exit code 1
MODEL = """
import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

def data(n=8):
    return DataLoader(TensorDataset(ne.randn(n, 2), ne.randn(n, 1)), batch_size=4)
"""
FILES = {
    "syntax error": ("def experiment(:\n", "SyntaxError"),
    "no experiment()": ("x = 1\n", "defines no function experiment()"),
    "experiment() returns None": ("def experiment():\n    pass\n", "returned NoneType"),
    "sys.exit() at import": ("import sys\nsys.exit(2)\n", "SystemExit: the file called sys.exit"),
    "argparse at import": (
        "import argparse\nargparse.ArgumentParser().parse_args(['-x'])\n",
        "argparse exits on bad arguments",
    ),
    "an exception in experiment()": ("def experiment():\n    return nope\n", "NameError"),
    "a name that is a path": (
        MODEL + "def experiment():\n    m = nn.Linear(2, 1)\n"
        "    return Experiment(name='a/b', model=m, loss_fn=nn.MSELoss())\n",
        "cannot name a run folder",
    ),
    "an empty train loader": (
        MODEL + "def experiment():\n    m = nn.Linear(2, 1)\n"
        "    return Experiment(name='e', model=m, loss_fn=nn.MSELoss(),\n"
        "        optimizer=optim.SGD(m.parameters(), lr=0.1), train_loader=data(0))\n",
        "train_loader yields no batches",
    ),
    "a loss_fn returning a float": (
        MODEL + "def experiment():\n    m = nn.Linear(2, 1)\n"
        "    return Experiment(name='f', model=m, loss_fn=lambda o, y: 1.0,\n"
        "        optimizer=optim.SGD(m.parameters(), lr=0.1), train_loader=data())\n",
        "loss_fn returned float, not a Tensor",
    ),
    "a forward that fails mid-run": (
        MODEL + "def experiment():\n    w = ne.randn(2, 1, requires_grad=True)\n"
        "    def forward(batch):\n        return (batch[0] @ w @ w).sum()\n"
        "    return Experiment(name='g', forward=forward, tensors={'w': w},\n"
        "        optimizer=optim.SGD([w], lr=0.1), train_loader=data())\n",
        "in forward",
    ),
    "a NaN gradient with a finite loss": (
        MODEL + "def experiment():\n    w = ne.zeros(2, 1, requires_grad=True)\n"
        "    def forward(batch):\n        return (batch[0].abs() @ w).sqrt().sum()\n"
        "    return Experiment(name='h', forward=forward, tensors={'w': w},\n"
        "        optimizer=optim.SGD([w], lr=0.1), train_loader=data())\n",
        "the gradient of w has NaN or Inf values",
    ),
    "a model that is not a model": (
        MODEL + "def experiment():\n"
        "    return Experiment(name='i', model='mlp', loss_fn=nn.MSELoss())\n",
        "model must be an nn.Module",
    ),
    "a loss_fn that is not a function": (
        MODEL + "def experiment():\n"
        "    return Experiment(name='j', model=nn.Linear(2, 1), loss_fn='mse')\n",
        "loss_fn must be callable",
    ),
    "epochs that is not a whole number": (
        MODEL + "def experiment():\n    m = nn.Linear(2, 1)\n"
        "    return Experiment(name='k', model=m, loss_fn=nn.MSELoss(), epochs=0)\n",
        "epochs must be a whole number >= 1",
    ),
    "a required variant": ("def experiment(size):\n    pass\n", "needs a variant"),
}


@pytest.mark.parametrize("body, message", FILES.values(), ids=FILES.keys())
def test_a_bad_experiment_file_exits_1_and_says_why(body, message, tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text(textwrap.dedent(body))
    assert cli.main(["train", str(path), "--runs", str(tmp_path / "runs")]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err and "nnbench/engine" not in err


def test_files_that_are_not_there_or_not_python(tmp_path, capsys):
    assert cli.main(["train", str(tmp_path / "missing.py")]) == 1
    assert "no such file" in capsys.readouterr().err
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    assert cli.main(["train", str(binary)]) == 1
    assert "Could not load" in capsys.readouterr().err
    assert cli.main(["graph", str(tmp_path)]) == 2  # a folder: bad usage
    assert "is a folder, not an experiment" in capsys.readouterr().err


def test_a_variant_the_sample_does_not_have(capsys):
    assert cli.main(["train", "digits_mlp:foo"]) == 1
    assert "digits_mlp has no variants" in capsys.readouterr().err


def test_graph_without_an_example_batch_says_what_to_add(tmp_path, capsys):
    path = tmp_path / "nobatch.py"
    path.write_text(
        MODEL + "def experiment():\n"
        "    return Experiment(name='n', model=nn.Linear(2, 1), loss_fn=nn.MSELoss())\n"
    )
    assert cli.main(["graph", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "add example_batch=(inputs, targets)" in err


def test_a_keyboard_interrupt_while_loading_is_one_line(tmp_path, capsys):
    path = tmp_path / "slow.py"
    path.write_text("raise KeyboardInterrupt\n")
    assert cli.main(["train", str(path)]) == 130
    assert capsys.readouterr().err == "nnbench train: interrupted\n"
