"""The ``nnbench`` command: the app, and the headless commands beside it.

Exit codes: 0 ok, 1 the experiment or a check failed, 2 bad usage. Imports stay inside
the commands so that ``nnbench --help`` answers at once.
"""

from __future__ import annotations

import argparse
import os
import sys

DESCRIPTION = "A terminal workbench for understanding and debugging neural networks."
COMMANDS = {
    "train": "headless training: a progress bar, then an ASCII loss plot",
    "graph": "one forward and backward of the example batch, every node with its numbers",
    "race": "the optimizer race headless: final table and a loss-per-optimizer plot",
    "samples": "the shipped experiments, one line each",
    "check": "every engine op against PyTorch, as a table with max errors",
    "bench": "the engine against PyTorch eager and the numpy floor, as a table",
}


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("nnbench")
    except Exception:  # running from a source tree that was never installed
        return "0+unknown"


def _main_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench",
        description=DESCRIPTION,
        epilog="commands:\n"
        + "\n".join(f"  nnbench {name:<8} {text}" for name, text in COMMANDS.items())
        + "\n\nRun 'nnbench COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnbench {_version()}")
    parser.add_argument(
        "experiment",
        nargs="?",
        default="digits_mlp",
        help="a sample's name or the path of an experiment file (default: digits_mlp)",
    )
    parser.add_argument(
        "--color",
        choices=("auto", "16", "256", "truecolor"),
        default="auto",
        help="colours to use (NO_COLOR in the environment turns them off)",
    )
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    return parser


def _check_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench check",
        description="Run every engine op on sample inputs and compare values and gradients "
        "with PyTorch. Exit code 1 if any op differs beyond its tolerance.",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="cpu (numpy backend), torch:cpu (torch backend on the CPU) or cuda",
    )
    parser.add_argument("--op", action="append", help="check only this op (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="one row per sample, not per op")
    return parser


def check(argv: list[str]) -> int:
    args = _check_parser().parse_args(argv)
    try:
        import torch  # noqa: F401 - the oracle needs it
    except ImportError:
        print("nnbench check compares the engine with PyTorch, which is not installed.")
        print("Install it with: pip install torch")
        return 1
    from nnbench.engine import DeviceError, testing
    from nnbench.engine import device as parse_device

    try:
        device = parse_device(args.device)
    except DeviceError as error:
        print(f"nnbench check: {error}", file=sys.stderr)
        return 2
    ops = testing.OPS
    if args.op:
        unknown = [name for name in args.op if name not in testing.OPS_BY_NAME]
        if unknown:
            print(f"nnbench check: unknown op(s) {', '.join(unknown)}", file=sys.stderr)
            return 2
        ops = [testing.OPS_BY_NAME[name] for name in args.op]
    results = testing.check_all(device, ops)
    print(testing.format_table(results, per_sample=args.verbose, device=str(args.device)))
    return 0 if all(r.passed for r in results) else 1


def main(argv: list[str] | None = None) -> int:
    try:
        return _dispatch(sys.argv[1:] if argv is None else argv)
    except BrokenPipeError:  # `nnbench graph x | head`: the reader left; that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(argv: list[str]) -> int:
    if argv and argv[0] in COMMANDS:
        from . import commands

        handlers = {
            "check": check,
            "train": commands.train,
            "graph": commands.graph,
            "samples": commands.samples,
            "race": commands.race,
            "bench": commands.bench,
        }
        return handlers[argv[0]](argv[1:])
    args = _main_parser().parse_args(argv)
    return run_app(args)


def run_app(args) -> int:
    started = os.environ.get("NNBENCH_STARTUP_PROBE")  # set by benchmarks/startup.py
    from .app import NnbenchApp, configure_terminal, exit_status

    options = configure_terminal(args.color, args.no_mouse)
    app = NnbenchApp(args.experiment, startup_probe=float(started) if started else None)
    result = app.run(**options)
    if started and result is not None:
        report = os.environ.get("NNBENCH_STARTUP_REPORT")
        if report:
            with open(report, "w") as f:
                f.write(f"{result:.4f}\n")
        else:
            print(f"first paint after {result:.3f} s", file=sys.stderr)
    return exit_status(app)  # 1 if the app crashed; never waits for a stuck user thread


if __name__ == "__main__":
    sys.exit(main())
