"""Plain text that both the panes and the headless commands show.

No Textual and no rich here, so ``nnbench train`` prints the same words as the screen
without loading the UI. The panes add the colours.
"""

from __future__ import annotations

import math


def duration(seconds: float) -> str:
    """An ETA as a clock reads it: 4:05, or 1:02:03 past the hour; ? when unknown."""
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
