"""Watchpoints: the checks a training run makes on every step, and what each does when it
fires (see :class:`Watchpoint`). The Trainer (training.py) makes the checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

ACTIONS = {
    "pause": "pause before the update (resuming applies it)",
    "skip": "skip the batch (no update) and go on",
    "continue": "apply the update and go on",
}


@dataclass(frozen=True)
class Watchpoint:
    """One check made on every step: on or off, its threshold, and its action (ACTIONS)."""

    on: bool = True
    threshold: float | None = None
    action: str = "pause"

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(
                f"Watchpoint: action must be one of {', '.join(ACTIONS)}, not {self.action!r}"
            )
        t = self.threshold
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or t <= 0):
            raise ValueError(f"Watchpoint: the threshold must be a number > 0, not {t!r}")


WATCHPOINTS = {  # kind -> (what it watches, what its threshold means)
    "nan": ("a NaN or Inf loss or gradient", None),
    "grad_norm": ("the total gradient norm", "the largest norm allowed"),
    "dead_relu": ("the share of dead ReLU units", "the largest share allowed, in (0, 1]"),
}
THRESHOLDS = {"nan": None, "grad_norm": 1e3, "dead_relu": 0.9}  # the defaults


@dataclass(frozen=True)
class Watch:
    """The watchpoints of a run. Each field takes a :class:`Watchpoint`, or for short a bool
    (on/off, default threshold), a number (on, that threshold) or None (off); the short
    forms pause. The default (``nnbench train``'s) watches for NaN only."""

    nan: Watchpoint | bool | None = True
    grad_norm: Watchpoint | float | None = None
    dead_relu: Watchpoint | float | None = None

    def __post_init__(self):
        for kind, threshold in THRESHOLDS.items():
            value = _watchpoint(kind, getattr(self, kind), threshold)
            if kind == "dead_relu" and value.threshold is not None and value.threshold > 1:
                raise ValueError(
                    f"Watch: dead_relu's threshold is a share in (0, 1], not {value.threshold!r}"
                )
            object.__setattr__(self, kind, value)

    def items(self) -> list[tuple[str, Watchpoint]]:
        return [(kind, getattr(self, kind)) for kind in WATCHPOINTS]

    def replace(self, kind: str, **changes) -> Watch:
        """A copy with one watchpoint changed (on=, threshold=, action=)."""
        changed = dataclasses.replace(getattr(self, kind), **changes)
        return dataclasses.replace(self, **{kind: changed})

    @classmethod
    def of(cls, value) -> Watch | None:
        """A Watch from an Experiment's ``watch``: a Watch, or a dict of kind -> Watchpoint,
        bool, number, None, or a dict of Watchpoint's fields."""
        if value is None or isinstance(value, Watch):
            return value
        if not isinstance(value, dict):
            raise TypeError(f"watch must be a Watch or a dict, not {type(value).__name__}")
        unknown = sorted(set(value) - set(WATCHPOINTS))
        if unknown:
            raise ValueError(
                f"watch: unknown watchpoint(s) {unknown}; the watchpoints are "
                f"{', '.join(WATCHPOINTS)}"
            )
        fields = {k: Watchpoint(**v) if isinstance(v, dict) else v for k, v in value.items()}
        return cls(**fields)


def _watchpoint(kind: str, value, threshold) -> Watchpoint:
    if isinstance(value, Watchpoint):
        return value
    if value is None or value is False:
        return Watchpoint(False, threshold, "pause")
    if value is True:
        return Watchpoint(True, threshold, "pause")
    if isinstance(value, (int, float)):
        return Watchpoint(True, float(value), "pause")
    raise TypeError(
        f"Watch: {kind} takes a Watchpoint, a bool, a number or None, not {type(value).__name__}"
    )
