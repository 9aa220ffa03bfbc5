"""The real nnbench command in a real terminal (tmux, 80x24): keys in, screen out."""

import os
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
    session = Tmux("nnbench", f"nnbench-test-{os.getpid()}")
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
    screen = tmux.wait_for("out r1 () = 20")
    assert "MulBackward0" in screen
    tmux.keys("n")
    screen = tmux.wait_for("grad_a = grad * b = 1 * 5 = 5")
    assert "grad_b = grad * a = 1 * 4 = 4" in screen
    tmux.keys("b", "1")
    tmux.wait_for("gradients")
    tmux.keys("q")
    deadline = time.time() + 10
    while (
        time.time() < deadline
        and tmux.run("has-session", "-t", tmux.name, check=False).returncode == 0
    ):
        time.sleep(0.1)
    assert tmux.run("has-session", "-t", tmux.name, check=False).returncode != 0, "q did not quit"


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
