"""Key press to updated screen in the Graph pane, for a 200-node and a 10,000-node graph.

    python benchmarks/graph_keys.py

Each figure is the median time from the app receiving the key n (one step) to the
refreshed screen having been composed, measured inside the app at 80x24 (target: 50 ms
at 200 nodes). The test pilot's own waiting is not counted.
"""

from __future__ import annotations

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


async def key_latency(blocks: int, presses: int = 30) -> tuple[int, float]:
    path = Path(tempfile.mkdtemp()) / "chain.py"
    path.write_text(textwrap.dedent(EXPERIMENT.format(blocks=blocks)))
    app = NnbenchApp(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("2")
        await pilot.pause()
        times = []
        screen = app.screen
        step = screen.action_step

        def timed_step():
            start = time.perf_counter()
            step()
            screen.call_after_refresh(lambda: times.append(time.perf_counter() - start))

        screen.action_step = timed_step
        for _ in range(presses):
            await pilot.press("n")
            await pilot.pause()
        return len(app.stepper.rows), statistics.median(times)


def main() -> None:
    for blocks in (50, 2500):
        nodes, seconds = asyncio.run(key_latency(blocks))
        print(
            f"Graph pane, {nodes:,} nodes: n -> updated screen in {1000 * seconds:.1f} ms "
            "(median; target 50 ms at 200 nodes)"
        )


if __name__ == "__main__":
    main()
