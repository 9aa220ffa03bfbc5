"""Process start to nnbench's first full frame, and `nnbench --help`, in wall-clock time.

    python benchmarks/startup.py [--runs 10] [--experiment digits_mlp] [--size 80x24]

The frames are timed as benchmarks/latency.py times them (its docstring says how): the
real command in a pseudo-terminal, its screen rebuilt by a terminal emulator, until the
bytes of the first frame with the header, tabs and footer (first paint) and of the first
that also shows the experiment loaded (first full frame) have been read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from latency import Bench, Timeout, app_command, machine, parse_size


def help_time() -> float:
    start = time.perf_counter()
    subprocess.run(app_command() + ["--help"], capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--experiment", default="digits_mlp")
    parser.add_argument("--size", type=parse_size, default=(80, 24), help="COLUMNSxROWS")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: give at least 1")
    bench = Bench(app_command(), *args.size)
    try:
        bench.starts(args.runs, args.experiment, visits=False)
    except (Timeout, EOFError) as problem:
        sys.exit(f"startup.py: {problem}")
    helps = [help_time() for _ in range(args.runs)]
    for case, what, target in (
        ("first_paint", "first paint (header, tabs, footer)", ""),
        ("first_frame", "first full frame (experiment loaded)", "; target 0.6 s"),
    ):
        seconds = bench.samples[case]
        print(
            f"nnbench {args.experiment}: {what} after {statistics.median(seconds):.3f} s "
            f"(median of {args.runs}; min {min(seconds):.3f}, max {max(seconds):.3f}{target})"
        )
    print(f"nnbench --help: {statistics.median(helps):.3f} s (median; target 0.3 s)")
    m = machine()
    print(f"{m['cpu']}, {m['cores']} cores, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
