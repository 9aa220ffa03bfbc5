"""Plain text that both the panes and the headless commands show: durations, the race table.

No Textual and no rich here, so ``nnbench race`` and ``nnbench train`` print the same
words as the screen without loading the UI. The panes add the colours.
"""

from __future__ import annotations

import ast
import math

import numpy as np

from nnbench.engine.formatting import number


def duration(seconds: float) -> str:
    """An ETA as a clock reads it: 4:05, or 1:02:03 past the hour; ? when unknown."""
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


# ---------------------------------------------------------------------- the optimizer race
# each optimizer's colour among the terminal's sixteen (the Optimizers pane's names for
# them: bright_white, yellow, bright_red, cyan, magenta, green), for the headless plot
RACER_COLORS = {"S": 15, "M": 3, "N": 9, "R": 6, "A": 5, "W": 2}
TABLE_HEADER = f"{'optimizer':<11}{'lr':>9}{'loss':>11}  {'x, y':<19}{'step':>9}"
STATE_LABELS = {
    "momentum_buffer": "velocity",
    "exp_avg": "m",
    "exp_avg_sq": "v",
    "m_hat": "m-hat",
    "v_hat": "v-hat",
    "square_avg": "E[g^2]",
    "grad_avg": "E[g]",
}


def table_row(racer) -> str:
    """One racer as a line of the table: name, lr, loss, position, last step, status."""
    x, y = racer.position
    status = "off" if not racer.enabled else racer.stopped
    return (
        f"{racer.kind.letter} {racer.kind.name:<9}{number(racer.lr):>9}"
        f"{number(racer.loss):>11}  {f'{number(x)}, {number(y)}':<19} "
        f"{number(racer.step_size):>8} {status}"
    ).rstrip()


def state_text(racer) -> str:
    """The optimizer's state under the names the lessons use (velocity, m, v-hat)."""
    state = racer.state()
    if not state:
        if racer.kind.letter == "S":
            return "state: none (plain SGD keeps none)"
        return "state: none yet (step first)"
    return "  ".join(
        f"{STATE_LABELS.get(k, k)}=({', '.join(number(v) for v in np.ravel(a))})"
        for k, a in state.items()
    )


def format_table(race) -> str:
    """The race as ``nnbench race`` prints it: the surface, the steps, one line per racer."""
    lines = [f"{race.surface.title}, after {race.steps} steps", "  " + TABLE_HEADER]
    lines += ["  " + table_row(r) for r in race.racers]
    return "\n".join(lines)


def settings_text(optimizer) -> str:
    """The hyperparameters a person may edit, as parse_settings reads them back."""
    group = optimizer.param_groups[0]
    hidden = {"params", "initial_lr", "nesterov", "dampening", *optimizer.flags}
    keys = [k for k in group if k not in hidden]  # the flags (maximize, foreach...) stay as set
    return ", ".join(f"{k}={group[k]!r}" for k in keys)


def parse_settings(text: str) -> dict:
    """'lr=0.01, betas=(0.9, 0.99)' -> {'lr': 0.01, 'betas': (0.9, 0.99)}; numbers only."""
    try:
        tree = ast.parse(f"dict({text})", mode="eval")
        call = tree.body
        if not isinstance(call, ast.Call) or call.args:
            raise ValueError
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except (SyntaxError, ValueError) as error:
        raise ValueError(
            f"could not read {text!r}: write settings as name=value, e.g. momentum=0.8, "
            "betas=(0.9, 0.99)"
        ) from error
