"""The headless commands: train, graph, race, samples and bench (no Textual here).

This module imports only the standard library at the top (``nnbench --help`` builds every
command's parser); the engine, rich and plotext are imported inside the commands.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import math
import os
import re
import signal
import sys
import threading

DEFAULT_CHECKPOINT_EVERY = 300.0  # seconds: a late failure loses at most five minutes
MAX_COUNT = 10**9  # --epochs, --steps: more would run for years, and the step count stays exact
DEVICES = "cpu (numpy), torch:cpu (torch on the CPU), cuda or cuda:N"
COLORS = ("auto", "16", "256", "truecolor")  # --color, the app's and the commands'
COLOR_SYSTEMS = {"auto": "auto", "16": "standard", "256": "256", "truecolor": "truecolor"}


# ---------------------------------------------------------------------- usage errors
class Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line that says what is wrong and where to look:
    ``nnbench train: --epochs must be at least 1, got 0 (see nnbench train --help)``. The
    subcommands' parsers are of this class too (argparse makes them of the parent's)."""

    def error(self, message: str):
        say(f"{self.prog}: {_plain(message)} (see {self.prog} --help)")
        self.exit(2)


def _plain(message: str) -> str:
    """argparse's 'argument --epochs: must be ...' as '--epochs must be ...'."""
    found = re.match(r"argument ([^:]+): (.*)", message, re.S)
    if not found:
        return message
    name, rest = found.groups()
    name = name.split("/")[-1]  # '-h/--help' -> '--help'
    return f"{name} {rest}" if rest.startswith(("must", "expected")) else f"{name}: {rest}"


def experiment_problem(text: str, others: tuple = ()) -> str | None:
    """Why ``text`` cannot name an experiment, before anything runs (None if it may):
    empty, a folder, or a bare word that is no sample, no file (and none of ``others``,
    the commands, when it may also be a typo of one). Files that are not there, or are
    not experiments, are the loader's to report."""
    from pathlib import Path

    from nnbench.engine.workbench.experiment import is_bare_name, sample_names

    spec = text.partition(":")[0]
    if not spec.strip():
        return f"the experiment is empty ({text!r}): give a sample's name or a file's path"
    names = sample_names()
    bare = is_bare_name(spec)
    if bare and spec in names:
        return None
    path = Path(spec).expanduser()
    if path.is_dir():
        return f"{spec!r} is a folder, not an experiment: give a .py file or a sample's name"
    if bare and not path.exists():
        close = difflib.get_close_matches(spec, [*others, *names], n=3)
        kinds = "command, sample" if others else "sample"
        lists = "nnbench --help lists the commands, " if others else ""
        maybe = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"no {kinds} or file named {spec!r}{maybe}; {lists}nnbench samples lists the samples"
    return None


def folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a folder, got {text!r}")
    return text


def device_option(text: str) -> str:
    """A device as torch spells it (lower case: torch.device('CUDA') raises too)."""
    if re.fullmatch(r"cpu|torch:cpu|cuda(:\d+)?", text):
        return text
    hint = " (lower case, as in torch.device)" if text.lower() != text else ""
    raise argparse.ArgumentTypeError(f"must be one of {DEVICES}{hint}, got {text!r}")


# ---------------------------------------------------------------------- output that fails
class OutputError(Exception):
    """stdout could not be written (a closed pipe, a full disk)."""

    def __init__(self, cause: OSError):
        super().__init__(str(cause))
        self.cause = cause


class Output:
    """stdout that remembers how it failed. A closed pipe (``| head``) or a full disk
    (``> /dev/full``) either raises :class:`OutputError` at once or, with ``keep_going``
    (``train``: the run matters more than its printout), drops the rest of the output;
    the command says so in one line on stderr at the end. Where the stream's encoding has
    no box or block characters (``PYTHONIOENCODING=ascii``), or with ``ascii``
    (``--ascii``), what is written is turned into ASCII first."""

    def __init__(self, stream, keep_going: bool = False):
        from .glyphs import encodes

        self.stream, self.keep_going = stream, keep_going
        self.error: OSError | None = None
        encoding = getattr(stream, "encoding", None)
        self.ascii = encoding is not None and not encodes(encoding)

    def write(self, text: str) -> int:
        if self.error is None:
            try:
                if self.ascii:
                    from .glyphs import to_ascii

                    text = to_ascii(text)
                self.stream.write(text)
                if "\n" in text or "\r" in text:
                    self.stream.flush()
            except (OSError, ValueError) as error:
                self._failed(error)
        return len(text)

    def flush(self) -> None:
        if self.error is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as error:
                self._failed(error)

    def isatty(self) -> bool:
        try:
            return self.stream.isatty()
        except (OSError, ValueError, AttributeError):
            return False

    def __getattr__(self, name):  # encoding, fileno, ... of the real stream
        return getattr(self.stream, name)

    def _failed(self, error: Exception) -> None:
        if not isinstance(error, OSError):  # "I/O operation on closed file"
            error = OSError(errno.EBADF, str(error))
        self.error = error
        try:  # what Python still holds in its buffer goes nowhere at exit, quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass
        if not self.keep_going:
            raise OutputError(error)


def say(text: str) -> None:
    """One line on stderr, whatever state stderr is in."""
    try:
        print(text, file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass


def describe(error: OSError) -> str:
    from nnbench.engine.workbench.training import describe_os_error

    return describe_os_error(error)


# ---------------------------------------------------------------------- option values
def _whole(text: str, least: int, most: int = MAX_COUNT) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
    if value > most:
        raise argparse.ArgumentTypeError(f"must be at most {most:,}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _whole(text, 1)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a finite number of seconds >= 0 (0: at epoch ends only), got {text}"
        )
    return value


def learning_rate(text: str) -> tuple[str, float]:
    """LETTER=VALUE, e.g. S=0.01: one optimizer's letter and a positive, finite rate."""
    letter, sep, number = text.partition("=")
    letter = letter.strip().upper()
    if not sep or len(letter) != 1 or not letter.isalpha():
        raise argparse.ArgumentTypeError(
            f"expected LETTER=VALUE with an optimizer's letter, e.g. S=0.01, got {text!r}"
        )
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{letter}={number}: the learning rate must be a number, e.g. {letter}=0.01"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            f"{letter}={number}: the learning rate must be finite and above 0"
        )
    return letter, value


def _load(name: str, command: str):
    from nnbench.engine import ExperimentError, load_experiment

    try:
        return load_experiment(name, command=f"nnbench {command}")
    except ExperimentError as error:
        say(error.format())
        return None


def _user_failure(experiment, error: BaseException) -> str:
    from pathlib import Path

    from nnbench.engine.workbench.experiment import user_error

    return user_error(Path(experiment.source), error, during="running").format()


# ---------------------------------------------------------------------- train
def add_train(sub) -> None:
    parser = sub.add_parser(
        "train",
        help="headless training: a progress bar, then an ASCII loss plot",
        description="Train an experiment without the app: a progress bar, then an ASCII plot "
        "of the loss. Each run gets a folder, runs/NAME/RUN-ID/, with metrics.jsonl, "
        "checkpoint.safetensors and run.json; runs/NAME/latest points at the newest. The "
        "checkpoint is rewritten at every epoch's end and every --checkpoint-every seconds. Ctrl-C "
        "(SIGINT) or SIGTERM stops after the current step and saves it (exit 130 / 143); a "
        "second Ctrl-C quits at once, keeping the last checkpoint.",
    )
    parser.add_argument("experiment", help="a sample's name or the path of an experiment file")
    parser.add_argument(
        "--epochs",
        type=positive_int,
        help=f"epochs to train, 1 to {MAX_COUNT:,} (the experiment's)",
    )
    parser.add_argument(
        "--device", type=device_option, default="cpu", help=f"{DEVICES} (default cpu)"
    )
    parser.add_argument("--plain", action="store_true", help="no colours, no live updating")
    add_look(parser)
    parser.add_argument(
        "--runs", type=folder, default="runs", help="where runs/NAME/ goes (default ./runs)"
    )
    parser.add_argument(
        "--checkpoint-every",
        type=seconds,
        default=DEFAULT_CHECKPOINT_EVERY,
        metavar="SECONDS",
        help="also save the checkpoint every this many seconds (default "
        f"{DEFAULT_CHECKPOINT_EVERY:g}; 0: at epoch ends only)",
    )
    parser.set_defaults(handler=train)


def add_look(parser) -> None:
    """--color and --ascii, as the app takes them."""
    parser.add_argument(
        "--color", choices=COLORS, default="auto",
        help="colours to use on a terminal (default auto: as the terminal says; "
        "NO_COLOR in the environment or --plain turns them off)",
    )  # fmt: skip
    parser.add_argument(
        "--ascii", action="store_true",
        help="draw with ASCII characters only (automatic where the output's encoding has "
        "no box or block characters)",
    )  # fmt: skip


def look(args, out) -> tuple[str | None, bool]:
    """The colour system to write in (None: no colours) and whether only ASCII may be
    written: colours only on a terminal, without --plain or NO_COLOR."""
    ascii = args.ascii or getattr(out, "ascii", False)
    if isinstance(out, Output):
        out.ascii = ascii
    if args.plain or "NO_COLOR" in os.environ or not out.isatty():
        return None, ascii
    return COLOR_SYSTEMS[args.color], ascii


class PlainProgress:
    """A line every tenth of the run: for pipes, files and --plain."""

    def __init__(self, out):
        self.out, self.next_line = out, 0

    def step(self, report) -> None:
        if report.step >= self.next_line or report.step == report.total_steps:
            self.next_line = report.step + max(1, report.total_steps // 10)
            print(step_line(report), file=self.out)

    def epoch(self, report, epochs: int) -> None:
        print(epoch_line(report, epochs), file=self.out)

    def note(self, text: str) -> None:
        print(text, file=self.out)

    def close(self) -> None:
        pass


class LiveProgress:
    """rich's progress bar on a terminal, with the epoch lines printed above it."""

    def __init__(self, out, total: int, color_system: str | None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        console = Console(
            file=out, force_terminal=True, color_system=color_system, no_color=not color_system,
            highlight=False, soft_wrap=True,
        )  # fmt: skip
        self.bar = Progress(
            BarColumn(bar_width=24), TextColumn("{task.description}"), console=console
        )
        self.task = self.bar.add_task("", total=max(total, 1))
        self.bar.start()

    def step(self, report) -> None:
        self.bar.update(self.task, completed=report.step, description=step_line(report))

    def epoch(self, report, epochs: int) -> None:
        self.bar.console.print(epoch_line(report, epochs), markup=False)

    def note(self, text: str) -> None:
        self.bar.console.print(text, markup=False)

    def close(self) -> None:
        self.bar.stop()


def number(value) -> str:
    """A loss as people read it: 0.1234 in the usual range, 1.061e+19 or 3.2e-07 beyond it
    (a diverging run's losses would otherwise print with twenty digits)."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.4g}"


def step_line(report) -> str:
    from .text import duration

    return (
        f"step {report.step}/{report.total_steps}  loss {number(report.loss)}  "
        f"{report.steps_per_second:,.0f} steps/s  {report.samples_per_second:,.0f} samples/s  "
        f"ETA {duration(report.eta)}"
    )


def epoch_line(report, epochs: int) -> str:
    text = f"epoch {report.epoch}/{epochs}  train loss {number(report.train_loss)}"
    if report.val_loss is not None:
        text += f"  val loss {number(report.val_loss)}"
    if report.val_accuracy is not None:
        text += f"  val acc {100 * report.val_accuracy:.1f}%"
    return text


def loss_plot(
    steps, losses, val_points, width: int = 72, color: bool = True, ascii: bool = False
) -> str:
    from .plots import line_plot, loss_series

    series = loss_series(steps, losses, val_points)
    return line_plot(series, "loss per step", width, 19, color, ascii=ascii)


class StopOnSignals:
    """SIGINT and SIGTERM ask the trainer to stop at the next step boundary (never inside
    optimizer.step(), so the checkpoint saved then is one consistent step). A second
    Ctrl-C, while no final save is under way, quits at once without saving that step (the
    last rolling checkpoint stays): the way out of a step that hangs. Signals during the
    final save only repeat the request: the save is atomic and finishes."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.received: int | None = None
        self.saving = False
        self.quitting = False  # the second Ctrl-C was raised: later ones must not cut the cleanup
        self._previous: dict = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number, frame) -> None:
        again = self.received is not None
        self.received = self.received or number
        self.trainer.stop_requested = True
        if again and number == signal.SIGINT and not self.saving and not self.quitting:
            self.quitting = True
            raise KeyboardInterrupt
        if not again and os.isatty(2):  # os.write: safe inside a signal handler
            os.write(2, b"\nstopping after this step (Ctrl-C again quits without saving it)\n")

    @property
    def exit_code(self) -> int:
        return 128 + self.received


def train(args) -> int:
    experiment = _load(args.experiment, "train")
    if experiment is None:
        return 1
    from nnbench.engine import DeviceError
    from nnbench.engine.workbench.training import Trainer

    try:
        if args.device != "cpu":
            experiment.to(args.device)
    except DeviceError as error:
        say(f"nnbench train: {error} (see nnbench train --help)")
        return 2
    if not experiment.trainable:
        print(
            f"{experiment.name} has nothing to train (no data or no optimizer); "
            f"try: nnbench graph {args.experiment}"
        )
        return 0
    epochs = args.epochs or experiment.epochs
    trainer = Trainer(experiment, runs_dir=args.runs, checkpoint_every=args.checkpoint_every)
    trainer.on_warning = lambda text: say(f"nnbench train: warning: {text}")
    try:
        trainer.ensure_run(epochs)
    except OSError as error:
        say(
            f"nnbench train: cannot make a run folder in {args.runs!r} ({describe(error)}); "
            "pass --runs DIR with a folder you can write to"
        )
        return 1
    with StopOnSignals(trainer) as signals:
        shown = []  # the progress display, once made: closed whatever happens
        try:
            return _train_run(args, trainer, epochs, signals, shown)
        except KeyboardInterrupt:  # a second Ctrl-C outside a step: the run is recorded
            signals.quitting = True
            for progress in shown:
                progress.close()  # before the message: no bar is drawn after it
            _finish(trainer, "interrupted")
            say(f"nnbench train: interrupted at step {trainer.step}; quit without saving "
                f"it; {_newest(trainer)}")  # fmt: skip
            return 130
        finally:
            for progress in shown:
                progress.close()


def _train_run(args, trainer, epochs: int, signals: StopOnSignals, shown: list) -> int:
    """The loop, then one line for how it ended; the exit code."""
    from nnbench.engine.workbench.training import device_label

    out = sys.stdout if isinstance(sys.stdout, Output) else Output(sys.stdout, keep_going=True)
    live = out.isatty() and not args.plain
    color_system, ascii = look(args, out)
    total = epochs * trainer.steps_per_epoch()
    experiment = trainer.experiment
    print(f"training {experiment.name} on {device_label(experiment.device)} for {epochs} "
          f"epoch(s), {total} steps", file=out)  # fmt: skip
    progress = LiveProgress(out, total, color_system) if live else PlainProgress(out)
    shown.append(progress)
    history = ([], [], [])  # steps, losses, (step, val loss)
    reports = trainer.run(epochs)
    try:
        ended = _follow(reports, progress, epochs, history)
    except KeyboardInterrupt:  # a second Ctrl-C, mid-step: quit now, the last checkpoint stays
        reports.close()
        progress.close()
        _finish(trainer, "interrupted")
        say(f"nnbench train: interrupted during step {trainer.step + 1}: quit without saving "
            f"it; {_newest(trainer)}")  # fmt: skip
        return 130
    except (Exception, SystemExit) as error:  # the user's model code failed mid-run
        reports.close()
        progress.close()
        _finish(trainer, "failed")
        say(_user_failure(experiment, error))
        say(f"nnbench train: the run failed at step {trainer.step}; {_newest(trainer)}")
        return 1
    progress.close()
    if ended is not None:  # a watchpoint
        _finish(trainer, "watchpoint")
        say(f"nnbench train: stopped at step {ended.step} (epoch {ended.epoch}): "
            f"{ended.cause}; {_newest(trainer)}; open it in the app to find the op: "
            f"nnbench {args.experiment}")  # fmt: skip
        return 1
    code = _final_save(trainer, signals)
    if code == 0 and signals.received is None:
        steps, losses, val_points = history
        if steps:
            plot = loss_plot(steps, losses, val_points, color=bool(color_system), ascii=ascii)
            print(plot, file=out)
        print(f"run: {trainer.run_dir}", file=out)
        print(f"checkpoint: {trainer.last_checkpoint[1]}", file=out)
    if out.error is not None:
        say(f"nnbench train: the output could not be written ({describe(out.error)}); "
            f"training went on: {_newest(trainer)}")  # fmt: skip
        if code == 0 and out.error.errno != errno.EPIPE:
            code = 1
    if code == 0 and trainer.metrics_error is not None:  # said in its warning line
        code = 1
    return code


def _follow(reports, progress, epochs: int, history):
    """Show every report; the WatchpointReport that stopped the run (a pausing one: nobody
    can resume it here), or None. One that skips or goes on is said once per watchpoint."""
    from nnbench.engine.workbench.training import EpochReport, WatchpointReport

    steps, losses, val_points = history
    said = set()
    for report in reports:
        if isinstance(report, WatchpointReport):
            if report.action == "pause":
                reports.close()
                return report
            if report.kind not in said:
                said.add(report.kind)
                verb = "skipped" if report.action == "skip" else "applied"
                progress.note(f"watchpoint at step {report.step}: {report.cause}; the step was "
                              f"{verb} and training goes on (said once)")  # fmt: skip
            continue
        if isinstance(report, EpochReport):
            progress.epoch(report, epochs)
            if report.val_loss is not None:
                val_points.append((report.step, report.val_loss))
        else:
            steps.append(report.step)
            losses.append(report.loss)
            progress.step(report)
    return None


def _final_save(trainer, signals: StopOnSignals) -> int:
    """The checkpoint of the last step, in the run folder or (if that fails) a fallback
    folder; one line when anything is unusual. The exit code."""
    signals.saving = True
    status = "done" if signals.received is None else "interrupted"
    if not trainer.weights_finite():
        _finish(trainer, "diverged")
        say(f"nnbench train: the weights hold NaN or Inf at step {trainer.step}; not saved, "
            f"{_newest(trainer)}")  # fmt: skip
        return 1
    if trainer.last_checkpoint == (trainer.step, trainer.run_record.checkpoint_path):
        path, error = trainer.last_checkpoint[1], None  # the rolling save at the epoch's end
    else:
        path, error = trainer.save_with_fallback()
    _finish(trainer, status)
    if path is None:
        say(f"nnbench train: could not save the checkpoint of step {trainer.step} anywhere "
            f"({describe(error)}); {_newest(trainer)}")  # fmt: skip
        return 1
    if error is not None:
        say(f"nnbench train: could not save in {trainer.run_dir} ({describe(error)}); the "
            f"weights of step {trainer.step} are in {path} instead")  # fmt: skip
        return 1
    if signals.received is not None:
        name = signal.Signals(signals.received).name
        say(f"nnbench train: stopped by {name} at step {trainer.step}; saved {path}")
        return signals.exit_code
    return 0


def _newest(trainer) -> str:
    return trainer.newest_checkpoint()


def _finish(trainer, status: str) -> None:
    """run.json's last word, best effort: a full disk costs this note, not the run."""
    error = trainer.run_record.finish(status, trainer.step)
    if error is not None:
        say(f"nnbench train: warning: could not record how the run ended in "
            f"{trainer.run_record.info_path} ({describe(error)})")  # fmt: skip


# ---------------------------------------------------------------------- graph
def add_graph(sub) -> None:
    parser = sub.add_parser(
        "graph",
        help="one forward and backward of the example batch, every node with its numbers",
        description="One forward and backward of the experiment's example batch: every node "
        "with its grad_fn name, shape, value summary and gradient.",
    )
    parser.add_argument("experiment", help="a sample's name or the path of an experiment file")
    parser.add_argument("--format", choices=("text", "json", "dot"), default="text")
    parser.set_defaults(handler=graph)


def graph(args) -> int:
    experiment = _load(args.experiment, "graph")
    if experiment is None:
        return 1
    from nnbench.engine.workbench import graph as step_graph

    missing = step_graph.missing_batch(experiment)
    if missing:
        say(f"nnbench graph: {missing}")
        return 1
    try:
        built = step_graph.step_graph(experiment)
    except Exception as error:  # the user's model code failed
        say(_user_failure(experiment, error))
        return 1
    render = {"text": step_graph.to_text, "json": step_graph.to_json, "dot": step_graph.to_dot}
    print(render[args.format](built))
    return 0


# ---------------------------------------------------------------------- race
def add_race(sub) -> None:
    parser = sub.add_parser(
        "race",
        help="the optimizer race headless: final table and a loss-per-optimizer plot",
        description="Race SGD, Momentum, Nesterov, RMSprop, Adam and AdamW on a 2-D loss "
        "surface (bowl, rosenbrock, himmelblau, beale, saddle, rastrigin); print the final "
        "table and a plot of each optimizer's loss.",
    )
    parser.add_argument("surface", help="the loss surface, e.g. rosenbrock")
    parser.add_argument(
        "--steps",
        type=positive_int,
        default=200,
        help=f"steps to run, 1 to {MAX_COUNT:,} (default 200)",
    )
    parser.add_argument(
        "--lr", type=learning_rate, action="append", default=[], metavar="LETTER=VALUE",
        help="a learning rate above 0 for one optimizer, e.g. --lr S=1.0 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--plain", action="store_true", help="no colours")
    add_look(parser)
    parser.set_defaults(handler=race, parser=parser)


def race(args) -> int:
    from nnbench.engine.workbench import playground

    from .text import format_table

    surfaces = [s.name for s in playground.SURFACES]
    if args.surface not in surfaces:
        choices = ", ".join(surfaces)
        args.parser.error(f"argument surface: invalid choice: {args.surface!r} ({choices})")
    letters = {kind.letter: kind.name for kind in playground.KINDS}
    for letter, _ in args.lr:
        if letter not in letters:
            known = ", ".join(f"{k} ({v})" for k, v in letters.items())
            args.parser.error(f"argument --lr: no optimizer has the letter {letter}; use {known}")
    contest = playground.Race(args.surface, lrs=dict(args.lr))
    for _ in range(args.steps):
        contest.step()
    color_system, ascii = look(args, sys.stdout)
    print(format_table(contest))
    print(race_plot(contest, bool(color_system), ascii=ascii))
    return 0


def race_plot(contest, color: bool, width: int = 72, ascii: bool = False) -> str:
    """Loss per step for each optimizer, drawn with its letter (S M N R A W) in its colour;
    a diverged one is cut off at 10x the start loss (and says so in its label), so the
    others stay readable."""
    from .plots import Series, line_plot
    from .text import RACER_COLORS

    cap = 10 * (max(abs(r.losses[0]) for r in contest.racers) or 1.0)
    series = []
    for racer in contest.racers:
        losses = [v if math.isfinite(v) and abs(v) <= cap else math.nan for v in racer.losses]
        letter, label = racer.kind.letter, racer.kind.name
        if racer.stopped:
            label += f" ({racer.stopped} at step {len(racer.losses) - 1})"
        steps = list(range(len(losses)))
        series.append(Series(label, steps, losses, letter, letter, RACER_COLORS[letter]))
    title = f"loss per step on {contest.surface.name}"
    log = contest.surface.log_scale
    return line_plot(series, title, width, 22, color, log=log, ascii=ascii)


# ---------------------------------------------------------------------- samples
def add_samples(sub) -> None:
    parser = sub.add_parser(
        "samples", help="the shipped experiments, one line each", description="List the samples."
    )
    parser.set_defaults(handler=samples)


def samples(args) -> int:
    from nnbench.engine.workbench.experiment import sample_names, sample_summary, sample_variants

    names = sample_names()
    width = max(len(n) for n in names)
    for name in names:
        line = f"{name:<{width}}  {sample_summary(name)}"
        variants = sample_variants(name)
        if variants:
            line += f" (variants: {', '.join(f'{name}:{v}' for v in variants)})"
        print(line)
    return 0


# ---------------------------------------------------------------------- bench
def add_bench(sub) -> None:
    parser = sub.add_parser(
        "bench",
        add_help=False,  # --help and the other options are the benchmark's own
        help="the engine against PyTorch eager and the numpy floor, as a table",
    )
    parser.set_defaults(handler=bench)


def bench(argv: list[str]) -> int:
    from nnbench.engine.workbench import benchmark

    return benchmark.main(argv)
