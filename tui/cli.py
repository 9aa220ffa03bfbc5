"""The ``nnbench`` command: the app, and the headless commands beside it.

One argparse parser with a subcommand each: ``nnbench train EXPERIMENT``, ``nnbench graph
...``; ``nnbench [EXPERIMENT]`` is the ``open`` subcommand, taken whenever the first
argument is not a command's name. So ``nnbench train.py`` or ``nnbench ./train`` opens a
file (a command's name never ends in .py nor holds a '/'), and ``nnbench train`` is the
command.

Exit codes: 0 ok, 1 the experiment or a check failed, 2 bad usage (one line on stderr that
says what is allowed), 130 / 143 stopped by SIGINT / SIGTERM. A bare word that is no
command, no sample and no file is a usage error with a "did you mean", and the app starts
only on a terminal: never writes its screen into a file or a pipe. Imports stay inside
the commands so that ``nnbench --help`` answers at once (``commands`` itself imports only
the standard library).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import os
import sys

from . import commands

DESCRIPTION = "A terminal workbench for understanding and debugging neural networks."
COMMANDS = {
    "train": "headless training: a progress bar, then an ASCII loss plot",
    "graph": "one forward and backward of the example batch, every node with its numbers",
    "race": "the optimizer race headless: final table and a loss-per-optimizer plot",
    "samples": "the shipped experiments, one line each",
    "check": "every engine op against PyTorch, as a table with max errors",
    "bench": "the engine against PyTorch eager and the numpy floor, as a table",
}
APP_OPTIONS = ("--color", "--ascii", "--no-mouse")


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("nnbench")
    except Exception:  # running from a source tree that was never installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = commands.Parser(
        prog="nnbench",
        usage="nnbench [EXPERIMENT] [--color auto|16|256|truecolor] [--ascii] [--no-mouse]\n"
        "       nnbench COMMAND [OPTIONS]",
        description=DESCRIPTION + " With no command, opens the app on EXPERIMENT: a "
        "sample's name or the path of an experiment file (default: digits_mlp).",
        epilog="commands:\n"
        + "\n".join(f"  nnbench {name:<8} {text}" for name, text in COMMANDS.items())
        + "\n\nRun 'nnbench COMMAND --help' for a command's options, 'nnbench open --help' "
        "for the app's.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nnbench {_version()}")
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", prog="nnbench", help=argparse.SUPPRESS
    )
    parser.set_defaults(subparsers=sub.choices)
    _add_open(sub)
    commands.add_train(sub)
    commands.add_graph(sub)
    commands.add_race(sub)
    commands.add_samples(sub)
    _add_check(sub)
    commands.add_bench(sub)
    return parser


def _add_open(sub) -> None:
    parser = sub.add_parser("open", help="the app", description="Open the workbench app.")
    parser.add_argument(
        "experiment",
        nargs="?",
        default="digits_mlp",
        help="a sample's name or the path of an experiment file (default: digits_mlp)",
    )
    parser.add_argument(
        "--color",
        choices=commands.COLORS,
        default="auto",
        help="colours to use (default auto: as the terminal says; NO_COLOR in the "
        "environment turns them off)",
    )
    parser.add_argument(
        "--ascii",
        action="store_true",
        help="draw with ASCII characters only (automatic where the terminal's encoding has "
        "no box or block characters)",
    )
    parser.add_argument("--no-mouse", action="store_true", help="do not capture the mouse")
    parser.set_defaults(handler=run_app)


def _add_check(sub) -> None:
    parser = sub.add_parser(
        "check",
        help=COMMANDS["check"],
        description="Run every engine op on sample inputs and compare values and gradients "
        "with PyTorch. Exit code 1 if any op differs beyond its tolerance.",
    )
    parser.add_argument(
        "--device",
        type=commands.device_option,
        default="cpu",
        help=f"{commands.DEVICES} (default cpu)",
    )
    parser.add_argument("--op", action="append", help="check only this op (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the ops that can be checked")
    parser.add_argument("--verbose", action="store_true", help="one row per sample, not per op")
    parser.set_defaults(handler=check)


def check(args) -> int:
    try:
        import torch  # noqa: F401 - the oracle needs it
    except ImportError:
        print("nnbench check compares the engine with PyTorch, which is not installed.")
        print("Install it with: pip install torch")
        return 1
    from nnbench.engine import DeviceError
    from nnbench.engine.backends import device as parse_device  # checks CUDA is there
    from nnbench.engine.workbench import testing

    if args.list:
        print("\n".join(sorted(testing.OPS_BY_NAME)))
        return 0
    try:
        device = parse_device(args.device)
    except DeviceError as error:
        commands.say(f"nnbench check: {error} (see nnbench check --help)")
        return 2
    ops = testing.OPS
    if args.op:
        unknown = [name for name in args.op if name not in testing.OPS_BY_NAME]
        if unknown:
            commands.say(f"nnbench check: {_unknown_ops(unknown, testing.OPS_BY_NAME)}")
            return 2
        ops = [testing.OPS_BY_NAME[name] for name in args.op]
    results = testing.check_all(device, ops)
    print(testing.format_table(results, per_sample=args.verbose, device=str(args.device)))
    return 0 if all(r.passed for r in results) else 1


def _unknown_ops(unknown: list[str], known) -> str:
    close = [m for name in unknown for m in difflib.get_close_matches(name, known, n=3)]
    close = list(dict.fromkeys(close))  # best match first, each once
    maybe = f"; did you mean {', '.join(close)}?" if close else ""
    return (
        f"unknown op(s) {', '.join(unknown)}{maybe} (nnbench check --list shows the "
        f"{len(known)} ops)"
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv else None
    if command not in COMMANDS and command not in ("open", "-h", "--help", "--version"):
        argv = ["open", *argv]  # `nnbench`, `nnbench EXPERIMENT`, `nnbench --color 16 x.py`
    headless = argv[0] != "open"
    stdout = sys.stdout
    if headless:  # train keeps going when stdout fails; the others stop at once
        sys.stdout = commands.Output(stdout, keep_going=argv[0] == "train")
    try:
        return _dispatch(build_parser(), argv)
    except SystemExit as exit:  # argparse: --help, --version, usage errors
        return exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 2)
    except KeyboardInterrupt:  # Ctrl-C while loading, racing, checking: one line
        commands.say(f"nnbench {argv[0]}: interrupted" if headless else "nnbench: interrupted")
        return 130
    except commands.OutputError as error:  # `nnbench graph x | head`: the reader left
        if error.cause.errno == errno.EPIPE:
            return 0
        commands.say(f"nnbench: could not write the output: {commands.describe(error.cause)}")
        return 1
    finally:
        sys.stdout = stdout


def _dispatch(parser: argparse.ArgumentParser, argv: list[str]) -> int:
    args, extra = parser.parse_known_args(argv)
    if args.command == "bench":  # its options are the benchmark's own
        return args.handler(extra)
    # `nnbench tran spirals` says "did you mean train", not "unrecognized arguments: spirals"
    own = parser if args.command == "open" else args.subparsers[args.command]
    if getattr(args, "experiment", None) is not None:
        others = tuple(COMMANDS) if args.command == "open" else ()
        problem = commands.experiment_problem(args.experiment, others)
        if problem:
            own.error(problem)
    if extra:
        own.error(f"unrecognized arguments: {' '.join(extra)}")
    return args.handler(args)


def _terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def run_app(args) -> int:
    if not _terminal():  # a full-screen app in a file or a pipe only writes escape codes
        commands.say(
            "nnbench: the app needs a terminal on stdin and stdout; for headless use try "
            f"nnbench train {args.experiment} or nnbench graph {args.experiment}"
        )
        return 2
    started = os.environ.get("NNBENCH_STARTUP_PROBE")  # set by benchmarks/startup.py
    options = configure_terminal(args.color, args.no_mouse)  # before Textual is imported
    from .app import NnbenchApp, exit_status

    app = NnbenchApp(
        args.experiment,
        startup_probe=float(started) if started else None,
        handle_signals=True,
        ascii=args.ascii or not terminal_encodes_glyphs(),
    )
    result = app.run(**options)
    if started and result is not None:
        report = os.environ.get("NNBENCH_STARTUP_REPORT")
        if report:
            with open(report, "w") as f:
                f.write(f"{result:.4f}\n")
        else:
            print(f"first paint after {result:.3f} s", file=sys.stderr)
    return exit_status(app)  # 1 if the app crashed; never waits for a stuck user thread


def configure_terminal(color: str, no_mouse: bool) -> dict:
    """Settings that must be in place before Textual is imported: it reads the colour
    system from TEXTUAL_COLOR_SYSTEM once, when ``textual.constants`` is first imported."""
    if color != "auto":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = commands.COLOR_SYSTEMS[color]
    return {"mouse": not no_mouse}


def terminal_encodes_glyphs() -> bool:
    """Whether the streams the app writes to (Textual: stderr) take boxes and blocks."""
    from .glyphs import encodes

    streams = (sys.__stdout__, sys.__stderr__)
    return all(encodes(getattr(s, "encoding", None) or "utf-8") for s in streams if s)


if __name__ == "__main__":
    sys.exit(main())
