"""Fault injection: `nnbench train` killed (-9) or interrupted (SIGINT, SIGTERM) at random
moments never leaves a checkpoint that is unreadable, out of step with its metrics, or
half an optimizer step.

Each case starts a real `nnbench train` process on a tiny experiment whose steps spend a
good share of their time inside Adam's step() (many small parameters), waits until it
trains, then signals it after a random delay. Several run at once.
"""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import nnbench.engine as ne

RUNS = 30  # per kind of fault
AT_ONCE = 4

EXPERIMENT = '''
"""Many small parameters: a good share of each step is spent inside Adam's step()."""

import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset


def experiment():
    ne.manual_seed(0)
    x, y = ne.randn(512, 8), ne.randn(512, 1)
    layers = []
    for _ in range(12):
        layers += [nn.Linear(8, 8), nn.Tanh()]
    model = nn.Sequential(*layers, nn.Linear(8, 1))
    return Experiment(
        name="faulty",
        model=model,
        loss_fn=nn.MSELoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-3),
        train_loader=DataLoader(TensorDataset(x, y), batch_size=16),
        epochs=1000,
    )
'''


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "faulty.py"
    path.write_text(textwrap.dedent(EXPERIMENT))
    return path


def _train_then(experiment_file, runs_dir, fault: int, delay: float):
    """Start `nnbench train`, wait until it trains, wait `delay`, send `fault`."""
    process = subprocess.Popen(
        [sys.executable, "-m", "nnbench.tui.cli", "train", str(experiment_file),
         "--runs", str(runs_dir), "--checkpoint-every", "0.02", "--plain"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    first = process.stdout.readline()  # printed once the signal handlers are in place
    assert first.startswith("training faulty"), first + process.stderr.read()
    time.sleep(delay)
    process.send_signal(fault)
    out, err = process.communicate(timeout=60)
    return process.returncode, first + out, err


def _newest_checkpoint(runs_dir):
    """The latest run's checkpoint (None if it has none yet) and its metrics' step lines."""
    run = runs_dir / "faulty" / "latest"
    assert (run / "run.json").exists()
    lines = (run / "metrics.jsonl").read_text().splitlines()
    complete = [json.loads(line) for line in lines if line.endswith("}")]
    steps = {r["step"] for r in complete if r["kind"] == "step"}
    path = run / "checkpoint.safetensors"
    return (ne.load(path) if path.exists() else None), steps


def _consistent(state) -> bool:
    """Every optimizer state took exactly the checkpoint's number of steps."""
    adam = state["optimizer"]["state"]
    return len(adam) == 13 * 2 and {int(s["step"]) for s in adam.values()} == {state["step"]}


def _many(job, cases):
    with ThreadPoolExecutor(AT_ONCE) as pool:
        return list(pool.map(job, cases))


def test_kill_9_at_random_moments_leaves_a_checkpoint_that_loads_and_matches(
    experiment_file, tmp_path
):
    rng = random.Random(9)
    cases = [(tmp_path / f"k{i}", rng.uniform(0.05, 0.4)) for i in range(RUNS)]
    results = _many(
        lambda case: _train_then(experiment_file, case[0], signal.SIGKILL, case[1]), cases
    )
    saved = 0
    for (runs_dir, delay), (code, out, err) in zip(cases, results):
        assert code == -signal.SIGKILL, (delay, out, err)
        state, steps = _newest_checkpoint(runs_dir)
        if state is None:
            continue
        saved += 1
        assert state["step"] in steps, (delay, state["step"], max(steps))
        assert _consistent(state)
        assert runs_dir.joinpath("faulty", "latest", "run.json").exists()
    # training ran at least 50 ms with a save every 20 ms: nearly every run has one
    assert saved >= RUNS * 2 // 3, saved


@pytest.mark.parametrize(
    "fault, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
def test_a_signal_at_a_random_moment_saves_one_consistent_step(
    fault, code, experiment_file, tmp_path
):
    rng = random.Random(int(fault))
    count = RUNS if fault == signal.SIGINT else 6
    cases = [(tmp_path / f"s{i}", rng.uniform(0.0, 0.3)) for i in range(count)]
    results = _many(lambda case: _train_then(experiment_file, case[0], fault, case[1]), cases)
    for (runs_dir, delay), (exit_code, out, err) in zip(cases, results):
        assert exit_code == code, (delay, out, err)
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and f"stopped by {fault.name} at step" in lines[0], err
        state, steps = _newest_checkpoint(runs_dir)
        step = int(lines[0].split(" at step ")[1].split(";")[0])
        assert state["step"] == step and step in steps
        assert _consistent(state), {s["step"] for s in state["optimizer"]["state"].values()}
        info = json.loads(runs_dir.joinpath("faulty", "latest", "run.json").read_text())
        assert (info["status"], info["steps"]) == ("interrupted", step)


# ---------------------------------------------------------------------- a disk that fills up
@pytest.fixture
def small_disk(tmp_path):
    """A 400 KiB tmpfs (root only; skipped where mounting is not permitted)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    tried = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
                           capture_output=True, text=True)  # fmt: skip
    if tried.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {tried.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_disk_that_fills_mid_run_warns_trains_on_and_keeps_the_weights(small_disk, tmp_path):
    """The old failure: rolling saves failed silently, then a metrics write killed the run
    as "the experiment failed", run.json said "running", a .run.json.<hex> file stayed
    and metrics.jsonl ended mid-line."""
    spare = tmp_path / "spare"
    spare.mkdir()
    out = subprocess.run(
        [sys.executable, "-m", "nnbench.tui.cli", "train", "ffn_block", "--epochs", "20",
         "--checkpoint-every", "1", "--runs", str(small_disk), "--plain"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(spare)},
    )  # fmt: skip
    err = out.stderr
    assert out.returncode == 1 and "Traceback" not in err and "failed while" not in err, err
    warnings = [line for line in err.splitlines() if "warning:" in line]
    assert sum("could not save the checkpoint of step" in w for w in warnings) == 1, err
    assert "training goes on; the newest checkpoint is" in warnings[0]
    assert sum("metrics.jsonl" in w and "training goes on" in w for w in warnings) == 1, err
    saved = list(spare.glob("nnbench-ffn_block-*.safetensors"))
    assert len(saved) == 1 and f"are in {saved[0]} instead" in err
    state = ne.load(saved[0])
    assert state["step"] == int(out.stdout.split(" steps")[0].rsplit(" ", 1)[1])  # every step
    run = small_disk / "ffn_block" / "latest"
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []
    text = (run / "metrics.jsonl").read_text()
    assert text.endswith("\n")
    for line in text.splitlines():
        json.loads(line, parse_constant=lambda name: pytest.fail(f"not strict JSON: {name}"))
    info = json.loads((run / "run.json").read_text())
    assert info["status"] == "done" or "could not record how the run ended" in err
