"""Process start to the first painted frame of `nnbench`, in a real pseudo-terminal.

    python benchmarks/startup.py [--runs 10] [--experiment digits_mlp]

The app is started with NNBENCH_STARTUP_PROBE set to the launch time; after its first
frame is painted it exits and reports how long that took. Also times `nnbench --help`.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time


def first_paint(experiment: str, columns: int = 80, rows: int = 24) -> float:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    handle, report = tempfile.mkstemp(suffix=".txt")
    os.close(handle)
    env = dict(
        os.environ,
        TERM="xterm-256color",
        NNBENCH_STARTUP_REPORT=report,
        NNBENCH_STARTUP_PROBE=repr(time.time()),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "nnbench.tui.cli", experiment],
        stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    while process.poll() is None:  # drain the terminal so the app never blocks on output
        ready, _, _ = select.select([master], [], [], 0.05)
        if ready:
            try:
                os.read(master, 65536)
            except OSError:
                break
    os.close(master)
    with open(report) as f:
        text = f.read().strip()
    os.unlink(report)
    if not text:
        raise RuntimeError("nnbench exited without reporting its first paint")
    return float(text)


def help_time() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nnbench.tui.cli", "--help"], capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--experiment", default="digits_mlp")
    args = parser.parse_args()
    paints = [first_paint(args.experiment) for _ in range(args.runs)]
    helps = [help_time() for _ in range(args.runs)]
    print(
        f"nnbench {args.experiment}: first paint after {statistics.median(paints):.3f} s "
        f"(median of {args.runs}; min {min(paints):.3f}, max {max(paints):.3f}; target 0.6 s)"
    )
    print(f"nnbench --help: {statistics.median(helps):.3f} s (median; target 0.3 s)")


if __name__ == "__main__":
    main()
