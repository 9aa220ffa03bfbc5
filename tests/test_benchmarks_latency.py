"""benchmarks/latency.py and startup.py run end to end against the real `nnbench` in a
pseudo-terminal and leave nothing behind (a smoke test: no figure is judged)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="the harness uses a Linux pty and /proc"),
]


def load_latency():
    spec = importlib.util.spec_from_file_location("latency", BENCHMARKS / "latency.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(tmp_path: Path, script: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the apps' working folders go here
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900,
    )  # fmt: skip


def still_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"nnbench" in f.read()
    except OSError:
        return False


def test_latency_times_every_case_and_ends_every_app(tmp_path):
    done = run(
        tmp_path, "latency.py", "--rounds", "1", "--starts", "1", "--size", "100x30", "--json"
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert sorted(results["cases"]) == sorted(load_latency().CASES)
    for case, figures in results["cases"].items():
        assert figures["n"] >= 1, case
        assert 0 < figures["median_ms"] <= figures["p95_ms"] <= figures["max_ms"], case
    assert results["size"] == "100x30"
    assert {"cpu", "cores", "python", "textual", "numpy", "torch"} <= set(results["machine"])
    assert len(results["pids"]) == 3  # digits_mlp, long_spirals, deep_graph
    assert not [pid for pid in results["pids"] if still_running(pid)]
    assert not list(tmp_path.glob("nnbench-latency-*")), "a working folder was left behind"


def test_latency_table_names_what_it_timed(tmp_path):
    done = run(tmp_path, "latency.py", "--only", "start", "--starts", "1")
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert "| what is timed | median | p95 | max | n |" in table
    assert "process start to the first full frame of digits_mlp" in table
    assert "first 2 after start to the Graph pane shown" in table
    assert "Machine: " in table and "textual " in table and "Command: `" in table
    assert "while a run trains" not in table  # --only start times nothing else


def test_startup_reports_first_frame_and_help(tmp_path):
    done = run(tmp_path, "startup.py", "--runs", "1")
    assert done.returncode == 0, done.stderr
    assert "nnbench digits_mlp: first full frame (experiment loaded) after " in done.stdout
    assert "nnbench --help: " in done.stdout
    assert not list(tmp_path.glob("nnbench-latency-*"))


@pytest.mark.parametrize(
    "args, words",
    [
        (["--size", "40x10"], "size '40x10': give COLUMNSxROWS, at least 80x24"),
        (["--only", "nothing"], "--only 'nothing': choose from start, idle, training, deep"),
        (["--rounds", "0"], "--rounds 0: give at least 1"),
    ],
)
def test_latency_refuses_bad_options(tmp_path, args, words):
    done = run(tmp_path, "latency.py", *args)
    assert done.returncode == 2
    assert words in done.stderr
