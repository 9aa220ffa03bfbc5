"""What the pilot tests share: reading a widget's text and waiting for a condition."""

import asyncio

from textual.widgets import Static


def content(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def messages(app) -> str:
    """Every notification so far, as 'title: message' lines."""
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


async def started(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def press(pilot, *keys):
    await pilot.press(*keys)
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def until(pilot, condition, timeout=20.0):
    """Wait (on the app's loop) until ``condition()`` holds, then let the screen settle.
    A condition that cannot be evaluated yet (the run is still being made: ``screen.run``
    is None) counts as not holding."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not _holds(condition):
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)
    await pilot.pause()


def _holds(condition) -> bool:
    try:
        return bool(condition())
    except (AttributeError, TypeError):
        return False
