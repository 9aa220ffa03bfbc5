"""Checkpoints: atomic, no code on load, clear errors, never half-loaded."""

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import nn, optim


def _trained():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    nn.functional.cross_entropy(model(ne.randn(5, 4)), ne.tensor([0, 1, 1, 0, 1])).backward()
    opt.step()
    return model, opt


def test_model_and_optimizer_round_trip(tmp_path):
    model, opt = _trained()
    path = ne.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 1},
        tmp_path / "run" / "ckpt.npz",
    )
    loaded = ne.load(path)
    assert loaded["step"] == 1
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    fresh.load_state_dict(loaded["model"])
    assert fresh[0].weight.tolist() == model[0].weight.tolist()
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(loaded["optimizer"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    assert (
        fresh_opt.state[fresh[0].weight]["exp_avg"].tolist()
        == opt.state[model[0].weight]["exp_avg"].tolist()
    )


def test_file_has_normal_permissions_and_no_temporary_is_left(tmp_path):
    path = ne.save({"w": ne.ones(3)}, tmp_path / "c.npz")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([object()], dtype=object))
    with pytest.raises(ne.CheckpointError, match="truncated or corrupt|not an nnbench"):
        ne.load(path)


@pytest.mark.parametrize("cut", [10, 200, -40])
def test_truncated_file_gives_a_clear_error(tmp_path, cut):
    path = ne.save({"w": ne.randn(100, 10)}, tmp_path / "c.npz")
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(ne.CheckpointError, match=r"truncated or corrupt.*nothing was loaded"):
        ne.load(path)


def test_corrupt_bytes_are_caught(tmp_path):
    path = ne.save({"w": ne.randn(1000)}, tmp_path / "c.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ne.CheckpointError):
        ne.load(path)


def test_nan_weights_warn(tmp_path):
    path = ne.save({"w": ne.tensor([1.0, float("nan")])}, tmp_path / "c.npz")
    with pytest.warns(ne.CheckpointWarning, match="NaN or Inf"):
        ne.load(path)


def test_unknown_objects_are_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function"):
        ne.save({"f": lambda: 1}, tmp_path / "c.npz")
    assert not any(tmp_path.iterdir())


WRITER = textwrap.dedent(
    """
    import sys
    import nnbench.engine as ne
    path = sys.argv[1]
    step = 0
    print("ready", flush=True)
    while True:
        step += 1
        ne.save({"step": step, "a": ne.full((300, 1000), float(step)),
                 "b": ne.full((1000,), float(step))}, path)
    """
)


def test_killing_the_writer_mid_save_never_breaks_the_checkpoint(tmp_path):
    path = tmp_path / "ckpt.npz"
    ne.save({"step": 0, "a": ne.zeros(300, 1000), "b": ne.zeros(1000)}, path)
    rng = np.random.default_rng(0)
    steps = set()
    for _ in range(25):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        writer.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        loaded = ne.load(path)
        step = loaded["step"]
        assert loaded["a"].min().item() == loaded["a"].max().item() == step
        assert loaded["b"][0].item() == step
        steps.add(step)
    assert len(steps) > 2  # the writer really was interrupted at different points
    ne.save(loaded, path)
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # killed writers' leftovers go
