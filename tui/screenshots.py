"""Screenshots of every pane, taken from the real app, for the README.

    python -m nnbench.tui.screenshots docs/screens

Each picture is the app driven by key presses (as a person would) and saved with
Textual's save_screenshot, so the README's pictures stay true to the code.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from .app import NnbenchApp

SHOTS = [
    # (file, experiment, size, keys)
    ("inspector.svg", "digits_mlp", (120, 34), ["2", "f", "b", "1", "down"]),
    ("graph-breadcrumbs.svg", "breadcrumbs", (120, 30), ["2", "n", "n", "n", "n"]),
    ("graph-digits.svg", "digits_mlp", (140, 36), ["2", "f", "n", "n", "n"]),
    ("graph-80x24.svg", "digits_mlp", (80, 24), ["2", "n", "n", "n"]),
    ("optimizers-rosenbrock.svg", "breadcrumbs", (140, 36), ["3", "s"] + ["n"] * 60),
    ("optimizers-80x24.svg", "breadcrumbs", (80, 24), ["3", "s", "s"] + ["n"] * 30),
    ("training-spirals.svg", "spirals", (140, 36), ["4", "space", "WAIT"]),
    ("training-80x24.svg", "digits_mlp", (80, 24), ["4", "w", "WAIT"]),
    ("help.svg", "breadcrumbs", (80, 30), ["question_mark"]),
]


async def shoot(folder: Path, name: str, experiment: str, size, keys) -> Path:
    app = NnbenchApp(experiment)
    async with app.run_test(size=size) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            if key == "WAIT":  # until the Training pane's run has finished
                while app.screen.run.state not in ("done", "failed", "stopped"):
                    await asyncio.sleep(0.1)
                app.screen.redraw(force=True)
                await asyncio.sleep(0.6)  # let the finished notification show
            else:
                await pilot.press(key)
            await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        return Path(app.save_screenshot(filename=name, path=str(folder)))


def main(argv=None) -> int:
    folder = Path((argv or sys.argv[1:] or ["docs/screens"])[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, experiment, size, keys in SHOTS:
        print(asyncio.run(shoot(folder, name, experiment, size, keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
