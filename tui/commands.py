"""The headless commands: train, graph, samples and bench (no Textual here)."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time


def _load(name: str):
    from nnbench.engine import ExperimentError, load_experiment

    try:
        return load_experiment(name)
    except ExperimentError as error:
        print(error.format(), file=sys.stderr)
        return None


def _user_failure(experiment, error: Exception) -> str:
    from pathlib import Path

    from nnbench.engine.experiment import user_error

    return user_error(Path(experiment.source), error, during="running").format()


# ---------------------------------------------------------------------- train
def _train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nnbench train",
        description="Train an experiment without the app: a progress bar, then an ASCII plot "
        "of the loss. Each run gets a folder, runs/NAME/RUN-ID/, with metrics.jsonl, "
        "checkpoint.npz and run.json; runs/NAME/latest points at the newest.",
    )
    parser.add_argument("experiment", help="a sample's name or the path of an experiment file")
    parser.add_argument("--epochs", type=int, help="epochs to train (the experiment's default)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--plain", action="store_true", help="no colours, no live updating")
    parser.add_argument("--runs", default="runs", help="where runs/NAME/ goes (default ./runs)")
    return parser


class Progress:
    """A live bar on a terminal; a line every tenth of the run when piped or --plain."""

    def __init__(self, stream, live: bool):
        self.stream, self.live = stream, live
        self.last_draw = 0.0
        self.next_line = 0

    def step(self, report) -> None:
        if self.live:
            now = time.perf_counter()
            if now - self.last_draw >= 0.1 or report.step == report.total_steps:
                self.last_draw = now
                self.stream.write("\r" + self._line(report, bar=True))
                self.stream.flush()
        elif report.step >= self.next_line or report.step == report.total_steps:
            self.next_line = report.step + max(1, report.total_steps // 10)
            self.stream.write(self._line(report, bar=False) + "\n")
            self.stream.flush()

    def epoch(self, report, epochs: int) -> None:
        if self.live:
            self.stream.write("\r" + " " * 100 + "\r")
        text = f"epoch {report.epoch}/{epochs}  train loss {report.train_loss:.4f}"
        if report.val_loss is not None:
            text += f"  val loss {report.val_loss:.4f}"
        if report.val_accuracy is not None:
            text += f"  val acc {100 * report.val_accuracy:.1f}%"
        self.stream.write(text + "\n")
        self.stream.flush()

    @staticmethod
    def _line(report, bar: bool) -> str:
        share = report.step / max(report.total_steps, 1)
        drawn = f"[{'#' * int(24 * share):<24}] " if bar else ""
        return (
            f"{drawn}step {report.step}/{report.total_steps}  loss {report.loss:.4f}  "
            f"{report.steps_per_second:,.0f} steps/s  {report.samples_per_second:,.0f} samples/s  "
            f"ETA {_duration(report.eta)}"
        )


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def loss_plot(steps, losses, val_points, width: int = 72, color: bool = True) -> str:
    from .plots import Series, line_plot

    series = [Series("train loss", steps, losses)]
    if val_points:
        series.append(Series("val loss", [p[0] for p in val_points], [p[1] for p in val_points]))
    return line_plot(series, "loss per step", width, 18, color)


def train(argv: list[str]) -> int:
    args = _train_parser().parse_args(argv)
    experiment = _load(args.experiment)
    if experiment is None:
        return 1
    from nnbench.engine import DeviceError
    from nnbench.engine.training import EpochReport, Trainer, WatchpointReport

    try:
        if args.device != "cpu":
            experiment.to(args.device)
    except DeviceError as error:
        print(f"nnbench train: {error}", file=sys.stderr)
        return 2
    if not experiment.trainable:
        print(
            f"{experiment.name} has nothing to train (no data or no optimizer); "
            f"try: nnbench graph {args.experiment}"
        )
        return 0
    out = sys.stdout
    live = out.isatty() and not args.plain
    color = live and "NO_COLOR" not in os.environ
    epochs = args.epochs or experiment.epochs
    trainer = Trainer(experiment, runs_dir=args.runs)
    progress = Progress(out, live)
    print(
        f"training {experiment.name} on {experiment.device or 'cpu'} for {epochs} epoch(s), "
        f"{epochs * trainer.steps_per_epoch()} steps"
    )
    steps, losses, val_points = [], [], []
    try:
        for report in trainer.run(epochs):
            if isinstance(report, WatchpointReport):
                print(f"\nstopped at step {report.step} (epoch {report.epoch}): {report.cause}. "
                      f"No checkpoint written; open it in the app to find the op: "
                      f"nnbench {args.experiment}", file=sys.stderr)  # fmt: skip
                return 1
            if isinstance(report, EpochReport):
                progress.epoch(report, epochs)
                if report.val_loss is not None:
                    val_points.append((report.step, report.val_loss))
            else:
                steps.append(report.step)
                losses.append(report.loss)
                progress.step(report)
    except KeyboardInterrupt:
        print("\ninterrupted; saving what was trained so far")
    except Exception as error:  # the user's model code failed mid-run
        print(_user_failure(experiment, error), file=sys.stderr)
        return 1
    path = trainer.save_checkpoint()
    if steps:
        print(loss_plot(steps, losses, val_points, color=color))
    print(f"run: {trainer.run_dir}")
    print(f"checkpoint: {path}")
    return 0


# ---------------------------------------------------------------------- graph
def graph(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="nnbench graph",
        description="One forward and backward of the experiment's example batch: every node "
        "with its grad_fn name, shape, value summary and gradient.",
    )
    parser.add_argument("experiment")
    parser.add_argument("--format", choices=("text", "json", "dot"), default="text")
    args = parser.parse_args(argv)
    experiment = _load(args.experiment)
    if experiment is None:
        return 1
    from nnbench.engine import graph as step_graph

    try:
        built = step_graph.step_graph(experiment)
    except Exception as error:  # the user's model code failed
        print(_user_failure(experiment, error), file=sys.stderr)
        return 1
    render = {"text": step_graph.to_text, "json": step_graph.to_json, "dot": step_graph.to_dot}
    print(render[args.format](built))
    return 0


# ---------------------------------------------------------------------- race
def race(argv: list[str]) -> int:
    from nnbench.engine import playground

    parser = argparse.ArgumentParser(
        prog="nnbench race",
        description="Race SGD, Momentum, Nesterov, RMSprop, Adam and AdamW on a 2-D loss "
        "surface; print the final table and a plot of each optimizer's loss.",
    )
    parser.add_argument("surface", choices=[s.name for s in playground.SURFACES])
    parser.add_argument("--steps", type=int, default=200, help="steps to run (default 200)")
    parser.add_argument(
        "--lr", action="append", default=[], metavar="LETTER=VALUE",
        help="a learning rate for one optimizer, e.g. --lr S=1.0 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--plain", action="store_true", help="no colours")
    args = parser.parse_args(argv)
    try:
        lrs = {k.strip().upper(): float(v) for k, v in (item.split("=", 1) for item in args.lr)}
    except ValueError:
        parser.error("--lr takes LETTER=VALUE, e.g. --lr S=0.01")
    contest = playground.Race(args.surface, lrs=lrs)
    for _ in range(args.steps):
        contest.step()
    print(playground.format_table(contest))
    color = sys.stdout.isatty() and not args.plain and "NO_COLOR" not in os.environ
    print(race_plot(contest, color))
    return 0


def race_plot(contest, color: bool, width: int = 72) -> str:
    """Loss per step for each optimizer; a diverged one is cut off at 10x the start loss
    (and says so in its label), so the others stay readable."""
    from .plots import Series, line_plot

    cap = 10 * (max(abs(r.losses[0]) for r in contest.racers) or 1.0)
    series = []
    for racer in contest.racers:
        losses = [v if math.isfinite(v) and abs(v) <= cap else math.nan for v in racer.losses]
        label = f"{racer.kind.letter} {racer.kind.name}"
        if racer.stopped:
            label += f" ({racer.stopped} at step {len(racer.losses) - 1})"
        series.append(Series(label, list(range(len(losses))), losses))
    title = f"loss per step on {contest.surface.name}"
    return line_plot(series, title, width, 20, color, log=contest.surface.log_scale)


# ---------------------------------------------------------------------- samples
def samples(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="nnbench samples", description="List the samples.")
    parser.parse_args(argv)
    from nnbench.engine.experiment import sample_names, sample_summary

    names = sample_names()
    width = max(len(n) for n in names)
    for name in names:
        print(f"{name:<{width}}  {sample_summary(name)}")
    return 0


# ---------------------------------------------------------------------- bench
def bench(argv: list[str]) -> int:
    from nnbench.engine import benchmark

    return benchmark.main(argv)
