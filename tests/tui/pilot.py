"""What the pilot tests share: reading a widget's text and waiting for a condition."""

import asyncio

from textual.widgets import Static


def content(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def until(pilot, condition, timeout=20.0):
    """Wait (on the app's loop) until ``condition()`` holds, then let the screen settle."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)
    await pilot.pause()
