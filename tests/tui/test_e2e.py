"""The real nnbench command in a real terminal (tmux, 80x24): keys in, screen out."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, name: str, socket: str):
        self.name, self.socket = name, socket

    def run(self, *args, check=True):
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name, check=False).stdout

    def keys(self, *keys):
        for key in keys:
            self.run("send-keys", "-t", self.name, key)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")


@pytest.fixture
def tmux(tmp_path):
    session = Tmux("nnbench", f"nnbench-test-{os.getpid()}-{tmp_path.name}")
    yield session
    session.run("kill-server", check=False)


def test_nnbench_in_tmux_steps_the_seed_story_and_quits(tmux, tmp_path):
    command = (
        f"cd {tmp_path} && TERM=xterm-256color {sys.executable} -m nnbench.tui.cli breadcrumbs"
    )
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24", command)
    tmux.wait_for("tensors")
    screen = tmux.wait_for("1 Inspector")
    assert "breadcrumbs" in screen
    tmux.keys("2")
    tmux.wait_for("forward 0/2")
    tmux.keys("n", "n")
    screen = tmux.wait_for("out z () = 20")
    assert "MulBackward0" in screen
    tmux.keys("n")
    screen = tmux.wait_for("grad_x = grad * y = 1 * 5 = 5")
    assert "grad_y = grad * x = 1 * 4 = 4" in screen
    tmux.keys("b", "1")
    tmux.wait_for("gradients")
    tmux.keys("q")  # at once, though the PyTorch check may still be importing torch
    assert _gone_after(tmux, 10.0) < 1.5


def test_a_missing_cuda_is_explained_on_screen(tmux, tmp_path):
    import nnbench.engine as ne

    if ne.cuda_status()[0]:
        pytest.skip("CUDA is available here")
    command = f"cd {tmp_path} && TERM=xterm-256color {sys.executable} -m nnbench.tui.cli digits_mlp"
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24", command)
    tmux.wait_for("0.weight")
    tmux.keys("d")
    tmux.wait_for("CUDA is not available")
    assert "digits_mlp · cpu" in tmux.screen()


def _gone_after(tmux, timeout: float) -> float:
    """Seconds until the tmux session (the command) ended; fails after ``timeout``."""
    start = time.time()
    while tmux.run("has-session", "-t", tmux.name, check=False).returncode == 0:
        assert time.time() - start < timeout, f"still running; the screen shows:\n{tmux.screen()}"
        time.sleep(0.02)
    return time.time() - start


def _start(tmux, tmp_path, args: str, then: str = ""):
    command = (
        f"cd {tmp_path} && TERM=xterm-256color {sys.executable} {args}; echo $? > {tmp_path}/rc"
        + then
    )
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24", command)


ENDLESS = {"busy loop": "while True:\n    pass\n", "sleep": "import time\ntime.sleep(1000)\n"}


@pytest.mark.parametrize("case", ENDLESS)
def test_q_while_an_endless_file_loads_quits_within_a_second(tmux, tmp_path, case):
    (tmp_path / "slow.py").write_text(ENDLESS[case])
    _start(tmux, tmp_path, "-m nnbench.tui.cli slow.py")
    tmux.wait_for("slow.py · cpu · loading")
    time.sleep(0.5)  # well into the user's endless code
    tmux.keys("q")
    assert _gone_after(tmux, 2.0) < 1.5
    assert (tmp_path / "rc").read_text().strip() == "0"


STUCK_STEP = """
import time
import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

calls = [0]

def experiment():
    x, y = ne.randn(64, 2), ne.randint(0, 2, (64,))
    model = nn.Linear(2, 2)

    def forward(batch):
        calls[0] += 1
        if calls[0] > 1:  # the first call traces the Graph pane's batch; a step sticks
            time.sleep(1000)
        return nn.functional.cross_entropy(model(batch[0]), batch[1])

    return Experiment(name="stuck", model=model, forward=forward,
                      optimizer=optim.SGD(model.parameters(), lr=0.1),
                      train_loader=DataLoader(TensorDataset(x, y), batch_size=32))
"""


def test_q_while_a_training_step_is_stuck_in_user_code_quits_within_a_second(tmux, tmp_path):
    (tmp_path / "stuck.py").write_text(STUCK_STEP)
    _start(tmux, tmp_path, "-m nnbench.tui.cli stuck.py")
    tmux.wait_for("stuck · cpu · ready")
    tmux.keys("4", "space")
    tmux.wait_for("training running")
    time.sleep(0.5)
    tmux.keys("2", "f")  # the Graph pane waits for the step in flight: not forever
    tmux.wait_for("Training step in flight")
    tmux.keys("d")
    time.sleep(0.5)
    tmux.keys("q")
    assert _gone_after(tmux, 2.0) < 1.5
    assert (tmp_path / "rc").read_text().strip() == "0"


CRASH = """
import sys
from nnbench.tui import cli
from nnbench.tui.app import NnbenchApp

def crash(self):
    raise RuntimeError("the app itself broke")

NnbenchApp.action_help = crash  # an unhandled exception in the app, on ?
sys.exit(cli.main(["breadcrumbs"]))
"""


def test_an_app_that_crashes_exits_1_with_its_traceback_after_the_terminal(tmux, tmp_path):
    (tmp_path / "crash.py").write_text(CRASH)
    _start(tmux, tmp_path, "crash.py", then="; sleep 60")  # the pane stays to be read
    tmux.wait_for("breadcrumbs · cpu · ready")
    tmux.keys("?")
    deadline = time.time() + 10
    while not (tmp_path / "rc").exists() or not (tmp_path / "rc").read_text():
        assert time.time() < deadline, f"still running:\n{tmux.screen()}"
        time.sleep(0.05)
    assert (tmp_path / "rc").read_text().strip() == "1"
    printed = tmux.run("capture-pane", "-p", "-S", "-200", "-t", tmux.name).stdout
    assert "RuntimeError" in printed and "the app itself broke" in printed
    assert "1 Inspector" not in printed  # printed after the app's screen was put away


LONG_RUN = """
from nnbench.samples.digits_mlp import experiment as digits

def experiment():
    made = digits()
    made.epochs = 10_000  # still training when the signal comes
    return made
"""


def _app_pid(tmux) -> int:
    """The nnbench process: the child of the pane's shell."""
    shell = tmux.run("display", "-p", "-t", tmux.name, "#{pane_pid}").stdout.strip()
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", shell], capture_output=True, text=True)
    return int(children.stdout.split()[0])


def _wait_for_step(tmux, least: int, timeout: float = 60.0) -> None:
    """Until the dashboard's progress line shows at least that step (a busy machine trains
    slower, so a fixed sleep would stop the run at a different place)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = re.findall(r"step (\d+)/\d+", tmux.screen())
        if found and int(found[-1]) >= least:
            return
        time.sleep(0.05)
    raise AssertionError(f"step {least} never showed; the screen shows:\n{tmux.screen()}")


def _exit_code(tmp_path, timeout: float = 10.0) -> str:
    deadline = time.time() + timeout
    while not (tmp_path / "rc").exists() or not (tmp_path / "rc").read_text():
        assert time.time() < deadline, "the app did not exit"
        time.sleep(0.05)
    return (tmp_path / "rc").read_text().strip()


@pytest.mark.parametrize("name, code", [("SIGTERM", 143), ("SIGHUP", 129), ("SIGINT", 130)])
def test_a_signal_mid_run_saves_records_the_run_and_restores_the_terminal(
    tmux, tmp_path, name, code
):
    import json
    import signal

    import nnbench.engine as ne

    (tmp_path / "long.py").write_text(LONG_RUN)
    _start(tmux, tmp_path, "-m nnbench.tui.cli long.py", then="; sleep 60")
    tmux.wait_for("digits_mlp · cpu · ready")
    tmux.keys("4", "space")
    tmux.wait_for("training running")
    _wait_for_step(tmux, 26)  # past the first epoch's checkpoint (step 23), however loaded
    os.kill(_app_pid(tmux), getattr(signal, name))
    assert _exit_code(tmp_path) == str(code)
    [info_path] = [
        p
        for p in (tmp_path / "runs" / "digits_mlp").glob("*/run.json")
        if p.parent.name != "latest"
    ]
    info = json.loads(info_path.read_text())
    assert info["status"] == "interrupted"
    saved = ne.load(info_path.parent / "checkpoint.safetensors")
    assert saved["step"] == info["steps"] > 23  # the last step, not the epoch's checkpoint
    if name != "SIGHUP":  # a hang-up means the terminal is gone: nothing to restore
        modes = tmux.run("display", "-p", "-t", tmux.name, "#{alternate_on} #{mouse_any_flag}")
        assert modes.stdout.split() == ["0", "0"]  # the terminal is as it was


def test_closing_the_terminal_mid_run_saves_and_the_process_ends(tmux, tmp_path):
    """A real hang-up: the terminal closes under the app (tmux's server goes away)."""
    import json

    import nnbench.engine as ne

    (tmp_path / "long.py").write_text(LONG_RUN)
    _start(tmux, tmp_path, "-m nnbench.tui.cli long.py", then="; sleep 60")
    tmux.wait_for("digits_mlp · cpu · ready")
    tmux.keys("4", "space")
    tmux.wait_for("training running")
    time.sleep(1.5)
    _hang_up(tmux)
    [info_path] = [
        p
        for p in (tmp_path / "runs" / "digits_mlp").glob("*/run.json")
        if p.parent.name != "latest"
    ]
    info = json.loads(info_path.read_text())
    assert info["status"] == "interrupted"
    assert ne.load(info_path.parent / "checkpoint.safetensors")["step"] == info["steps"] > 23


def test_closing_the_terminal_of_an_idle_app_ends_the_process(tmux, tmp_path):
    # the app is the pane's own process (a session leader), as in an ssh session
    command = f"cd {tmp_path} && exec {sys.executable} -m nnbench.tui.cli digits_mlp"
    tmux.run("new-session", "-d", "-s", tmux.name, "-x", "80", "-y", "24", command)
    tmux.wait_for("digits_mlp · cpu · ready")
    tmux.keys("d")  # a notification on screen, as when a learner walks away
    tmux.wait_for("CUDA is not available")
    pane = tmux.run("display", "-p", "-t", tmux.name, "#{pane_pid}").stdout.strip()
    _hang_up(tmux, int(pane))


def _hang_up(tmux, pid: int | None = None, within: float = 8.0) -> None:
    pid = pid or _app_pid(tmux)
    tmux.run("kill-server", check=False)
    deadline = time.time() + within
    while _alive(pid):
        if time.time() > deadline:
            os.kill(pid, 9)
            raise AssertionError("the app outlived its terminal")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return bool(state.stdout.strip()) and not state.stdout.strip().startswith("Z")
