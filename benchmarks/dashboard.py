"""Training steps per second: headless (the loop of `nnbench train`) against the same
run with the Training pane open and redrawing (target: at least 0.9x).

    python benchmarks/dashboard.py [--experiment digits_mlp] [--epochs 300] [--rounds 3]

Both sides train the same experiment from a fresh load for the same number of epochs,
and both figures come from the same clock: the engine's Trainer reports steps per second
since its first step (evaluation included), read at the last step. The median of the
rounds, run alternately so that drift on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile

from nnbench.engine import load_experiment
from nnbench.engine.workbench.training import StepReport, Trainer
from nnbench.tui.app import NnbenchApp


def headless(name: str, epochs: int) -> float:
    experiment = load_experiment(name)
    trainer = Trainer(experiment, runs_dir=tempfile.mkdtemp())
    last = None
    for report in trainer.run(epochs):
        if isinstance(report, StepReport):
            last = report
    return last.steps_per_second


async def with_dashboard(name: str, epochs: int, size=(80, 24)) -> float:
    app = NnbenchApp(name)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("4")
        await pilot.pause()
        screen = app.screen
        screen.new_run()
        run = screen.run
        run.epochs = epochs
        run.total_steps = epochs * run.trainer.steps_per_epoch()
        run._reports = run.trainer.run(epochs)
        run.play()
        while run.state not in ("done", "failed", "stopped"):
            await asyncio.sleep(0.2)
        return run.last_step.steps_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="digits_mlp")
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.chdir(tempfile.mkdtemp())  # the runs' metrics and checkpoints go there, not here
    alone, shown = [], []
    for _ in range(args.rounds):
        alone.append(headless(args.experiment, args.epochs))
        shown.append(asyncio.run(with_dashboard(args.experiment, args.epochs)))
    a, s = statistics.median(alone), statistics.median(shown)
    print(
        f"{args.experiment}, {args.epochs} epochs: headless {a:,.0f} steps/s, with the "
        f"Training pane open {s:,.0f} steps/s: {s / a:.2f}x (target >= 0.9x)"
    )


if __name__ == "__main__":
    main()
