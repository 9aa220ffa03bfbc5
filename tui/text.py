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
# Each number has its own column, right-aligned and squeezed to fit (fewer digits before it
# ever runs into the next), so a row is at most 73 characters: 80 columns with the pane's
# pointer and padding. "step len" is the length of the last step, |p_t - p_(t-1)|.
COLUMNS = (("lr", 9), ("loss", 10), ("x", 10), ("y", 10), ("step len", 9))
TABLE_HEADER = f"{'optimizer':<10}" + "".join(
    f"{'':>{2 if name == 'x' else 1}}{name:>{width}}" for name, width in COLUMNS
)


def fit(value: float, width: int) -> str:
    """A number in at most ``width`` characters: 4 significant digits, fewer if need be."""
    text = number(value)
    for digits in (3, 2, 1):
        if len(text) <= width:
            break
        text = f"{float(value):.{digits}g}"
    return text


# each optimizer's colour among the terminal's sixteen (the Optimizers pane's names for
# them: bright_white, yellow, bright_red, cyan, magenta, green), for the headless plot
RACER_COLORS = {"S": 15, "M": 3, "N": 9, "R": 6, "A": 5, "W": 2}
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
    values = (racer.lr, racer.loss, x, y, racer.step_size)
    status = "off" if not racer.enabled else racer.stopped
    cells = "".join(
        f"{'':>{2 if name == 'x' else 1}}{fit(v, width):>{width}}"
        for (name, width), v in zip(COLUMNS, values)
    )
    return f"{racer.kind.letter} {racer.kind.name:<8}{cells} {status}".rstrip()


def state_lines(racer, width: int) -> list[str]:
    """The optimizer's state under the names the lessons use (velocity, m, v-hat), as few
    lines of at most ``width`` as hold it (one entry never splits)."""
    state = racer.state()
    if not state:
        optimizer = racer.optimizer
        if type(optimizer).__name__ == "SGD" and not optimizer.param_groups[0]["momentum"]:
            return ["state: none (plain SGD keeps none)"]
        return ["state: none yet (step first)"]
    entries = [
        f"{STATE_LABELS.get(k, k)}=({', '.join(number(v) for v in np.ravel(a))})"
        for k, a in state.items()
    ]
    lines = [entries[0]]
    for entry in entries[1:]:
        if len(lines[-1]) + 2 + len(entry) <= width:
            lines[-1] += "  " + entry
        else:
            lines.append(entry)
    return lines


def state_text(racer) -> str:
    """The optimizer's state on one line."""
    return state_lines(racer, 10**6)[0]


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
        names = [kw.arg for kw in call.keywords]
    except (SyntaxError, ValueError) as error:
        raise ValueError(
            f"could not read {text!r}: write settings as name=value, e.g. momentum=0.8, "
            "betas=(0.9, 0.99)"
        ) from error
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} given twice in {text!r}: write each setting once")
    try:
        return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    except ValueError as error:
        raise ValueError(
            f"could not read {text!r}: values must be numbers, True/False or tuples, e.g. "
            "momentum=0.8, betas=(0.9, 0.99)"
        ) from error
