"""Key press to updated screen in the Graph pane, for a 203-node and a 10,003-node graph.

    python benchmarks/graph_keys.py [--presses N]

A chain of small ops (``h = (h * 1.0001).tanh()``, 50 or 2,500 times) is stepped with the
test pilot at 80x24: N presses of ``n`` in the forward and N in the backward, grouped by
module (as a graph this large opens) and ungrouped (``g``, one line per node). Each
figure is the time from the app receiving ``n`` to the refreshed screen having been
composed, measured inside the app; the pilot's own waiting is not counted. Target: p95
<= 50 ms per step.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import textwrap
import time
from pathlib import Path

from nnbench.tui.app import NnbenchApp

EXPERIMENT = """
import nnbench.engine as ne
from nnbench.engine import Experiment

def experiment():
    x = ne.randn(64, 32, requires_grad=True)

    def forward(batch):
        h = x
        for _ in range({blocks}):
            h = (h * 1.0001).tanh()
        return h.sum()

    return Experiment(name="chain", forward=forward, tensors={{"x": x}}, example_batch=())
"""


async def key_latency(blocks: int, presses: int, grouped: bool) -> tuple[int, dict]:
    path = Path(tempfile.mkdtemp()) / "chain.py"
    path.write_text(textwrap.dedent(EXPERIMENT.format(blocks=blocks)))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        if screen.grouped != grouped:
            await pilot.press("g")
            await pilot.pause()
        times: list[float] = []
        handler: list[float] = []
        step = screen.action_step

        def timed_step():
            start = time.perf_counter()
            step()
            handler.append(time.perf_counter() - start)
            screen.call_after_refresh(lambda: times.append(time.perf_counter() - start))

        screen.action_step = timed_step
        figures = {}
        for phase in ("forward", "backward"):
            if phase == "backward":
                await pilot.press("f")
                await pilot.pause()
            times.clear()
            handler.clear()
            for _ in range(presses):
                await pilot.press("n")
                await pilot.pause()
            figures[phase] = (list(times), list(handler))
        return len(app.stepper.rows), figures


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40)
    presses = parser.parse_args().presses
    for blocks in (50, 2500):
        for grouped in (True, False):
            nodes, figures = asyncio.run(key_latency(blocks, presses, grouped))
            for phase, (times, handler) in figures.items():
                print(
                    f"Graph pane, {nodes:,} nodes, {'grouped' if grouped else 'one line each'}, "
                    f"{phase}: n -> updated screen median {1000 * statistics.median(times):.1f} "
                    f"ms, p95 {1000 * p95(times):.1f} ms, max {1000 * max(times):.1f} ms; the "
                    f"pane's own handler median {1000 * statistics.median(handler):.2f} ms, p95 "
                    f"{1000 * p95(handler):.2f} ms ({len(times)} presses; target p95 50 ms)"
                )


if __name__ == "__main__":
    main()
