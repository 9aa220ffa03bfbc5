"""How fast a pane plays: one ladder of paces and one pair of keys, shared by the
Optimizers pane's race and the Training pane's run, so `-` and `+` mean the same in both.

A pace is steps per second, or None for full speed (as fast as the machine goes).
No Textual here beyond the key bindings, so the ladder can be tested on its own.
"""

from __future__ import annotations

from textual.binding import Binding

PACES: tuple[int | None, ...] = (1, 5, 20, 100, None)  # None = full speed
FULL_SPEED = None


def _rank(pace: int | None) -> float:
    return float("inf") if pace is None else pace


def faster(pace: int | None) -> int | None:
    """The next rung up the ladder (from a pace off it too); full speed stays full speed."""
    return next((p for p in PACES if _rank(p) > _rank(pace)), PACES[-1])


def slower(pace: int | None) -> int | None:
    """The next rung down the ladder; the slowest stays the slowest."""
    return next((p for p in reversed(PACES) if _rank(p) < _rank(pace)), PACES[0])


def label(pace: int | None) -> str:
    """'1 step/s', '20 steps/s', 'full speed'."""
    if pace is None:
        return "full speed"
    return f"{pace} step/s" if pace == 1 else f"{pace} steps/s"


def bindings(what: str) -> list[Binding]:
    """The pace keys, `-` slower and `+` (or `=`, unshifted) faster; ``what`` is what they
    pace, for the help ("the race", "training"). The pane defines action_slower and
    action_faster."""
    steps = ", ".join(str(p) for p in PACES if p is not None) + " steps/s, full speed"
    group = Binding.Group("Pace")
    return [
        Binding("minus", "slower", "Slower", group=group, tooltip=f"Play {what} slower: {steps}"),
        Binding("plus,equals_sign", "faster", "Faster", group=group,
                tooltip=f"Play {what} faster, up to full speed"),
    ]  # fmt: skip
