"""Line plots in text, drawn by plotext: one helper for `nnbench train`, `nnbench race`
and the Training pane (plotext is imported only when a plot is drawn).

Every series keeps a glyph of its own (a letter, ``o``, ``x``), so the plot reads without
colour; colours are the terminal's own sixteen, written as plain SGR codes, so a
16-colour terminal gets what it can show. The legend sits above the frame, never on the
data; the axes are given ticks of our own: integers for steps, and labels with as many
significant digits as it takes to tell them apart.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from .glyphs import to_ascii

# the terminal's sixteen colours (SGR 30-37, 90-97) that read on a dark or a light background
PALETTE = [12, 11, 13, 14, 10, 9]
SAMPLES = {"braille": "⠤⠤", "hd": "▄▄", "fhd": "▄▄", "sd": "█", "dot": "•"}  # legend glyphs


@dataclass
class Series:
    label: str
    xs: list
    ys: list
    marker: str = "braille"  # a plotext marker name or one character
    ascii_marker: str = "."  # the marker where only ASCII can be written
    color: int | None = None  # one of the terminal's 16 colours; None: the next of PALETTE

    def glyph(self, ascii: bool) -> str:
        marker = self.ascii_marker if ascii else self.marker
        return SAMPLES.get(marker, marker)


def loss_series(steps: list, losses: list, val_points: list, twin: list | None = None):
    """The loss plot's series, as `nnbench train` and the Training pane draw them: train a
    line, val (one point per epoch) as o, PyTorch's twin as x over the train line."""
    series = [Series("train", steps, losses, "braille", ".", 12)]
    if val_points:
        xs, ys = [p[0] for p in val_points], [p[1] for p in val_points]
        series.append(Series("val", xs, ys, "o", "o", 11))
    if twin:
        series.append(Series("torch twin", steps[: len(twin)], twin[: len(steps)], "x", "x", 13))
    return series


def thin(xs: list, ys: list, most: int) -> tuple[list, list]:
    """At most ``most`` points: the mean of each run of consecutive ones (what a plot of
    that width can show anyway), so redrawing stays cheap however long the run."""
    if len(xs) <= most:
        return xs, ys
    edges = np.linspace(0, len(xs), most + 1).astype(int)
    y = np.asarray(ys, dtype=np.float64)
    x = np.asarray(xs, dtype=np.float64)
    keep = [(x[a:b].mean(), y[a:b].mean()) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    return [k[0] for k in keep], [k[1] for k in keep]


# ---------------------------------------------------------------------- axes
def significant(value: float, digits: int) -> str:
    """``value`` to ``digits`` significant digits: 0.0012, 2.24, 1.06e+19, 3.2e-07."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 6:
        return f"{value:.{max(0, digits - 1 - magnitude)}f}"
    return f"{value:.{digits - 1}e}"


def _trimmed(text: str) -> str:
    """0.00180 -> 0.0018, 2.00 -> 2, 1.50e+19 -> 1.5e+19."""
    number, e, exponent = text.partition("e")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number + e + exponent


def labels(ticks: list) -> list[str]:
    """The fewest significant digits (three at least) that tell every tick apart, without
    trailing zeros."""
    for digits in range(3, 13):
        texts = [_trimmed(significant(t, digits)) for t in ticks]
        if len(set(texts)) == len(texts):
            return texts
    return texts


def y_axis(values: list, log: bool, count: int) -> tuple[tuple, list, list]:
    """Limits, ticks and labels for the y axis: the ticks span the data exactly (the lowest
    loss is labelled, not rounded to 0.00); a single value sits in the middle."""
    low, high = min(values), max(values)
    if low == high:
        pad = abs(low) / 2 or 1.0
        low, high = (low / 2, high * 2) if log else (low - pad, high + pad)
        ticks = [low, values[0], high]
    elif log:
        ticks = list(np.geomspace(low, high, count))
    else:
        ticks = list(np.linspace(low, high, count))
    ticks = [float(t) for t in ticks]
    return (low, high), ticks, labels(ticks)


def nice_step(span: float, most: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that puts at most ``most`` ticks on ``span``."""
    step, factors = 1, [2, 2.5, 2]
    while span // step + 1 > most:
        step = int(step * factors[0])
        factors = factors[1:] + factors[:1]
    return step


def x_axis(xs: list, count: int) -> tuple[tuple, list, list]:
    """Limits, ticks and labels for the x axis: whole steps get whole ticks (50 100 150,
    never 1.5 116.1 230.8); a single point sits in the middle."""
    low, high = min(xs), max(xs)
    whole = all(float(x).is_integer() for x in xs)
    if low == high:
        pad = 1 if whole else (abs(low) / 2 or 1)
        return (low - pad, high + pad), [low], [str(int(low)) if whole else significant(low, 3)]
    if not whole:
        ticks = [float(t) for t in np.linspace(low, high, count)]
        return (low, high), ticks, labels(ticks)
    step = nice_step(high - low, count)
    ticks = list(range(math.ceil(low / step) * step, int(high) + 1, step))
    if len(ticks) < 2:
        ticks = sorted({int(low), int(high)})
    return (low, high), ticks, [str(t) for t in ticks]


# ---------------------------------------------------------------------- the plot
def sgr(color: int) -> str:
    """The plain SGR code of one of the 16 colours (what every colour terminal shows)."""
    return f"\x1b[{30 + color if color < 8 else 82 + color}m"


def plain_colors(text: str) -> str:
    """plotext's ``38;5;N`` (N < 16) as the plain SGR codes a 16-colour terminal reads."""
    return re.sub(r"\x1b\[38;5;(\d+)m", lambda m: sgr(int(m.group(1)) % 16), text)


def heading(title: str, series: list[Series], width: int, color: bool, ascii: bool) -> list[str]:
    """The title and the series' glyphs and labels, above the frame (never over the data):
    one line where both fit, the title centred if it can be; else the title, then the
    legend wrapped to ``width``."""
    lines, line, used = [], "", 0
    for s in series:
        entry = f"{s.glyph(ascii)} {s.label}"
        if used and used + 2 + len(entry) > width:
            lines.append((line, used))
            line, used = "", 0
        shown = f"{sgr(s.color)}{entry}\x1b[0m" if color else entry
        line += ("  " if used else "") + shown
        used += (2 if used else 0) + len(entry)
    if line:
        lines.append((line, used))
    if len(lines) == 1 and lines[0][1] + 2 + len(title) <= width:
        line, used = lines[0]
        start = max(used + 2, (width - len(title)) // 2)
        return [line + " " * (start - used) + title]
    return [title.center(width).rstrip(), *(line for line, _ in lines)]


def line_plot(
    series: list[Series],
    title: str,
    width: int,
    height: int,
    color: bool,
    log: bool = False,
    xlabel: str = "step",
    ascii: bool = False,
) -> str:
    """The series on one plot of ``width`` x ``height`` characters, as text (with the 16
    colours' SGR codes when ``color``; only ASCII when ``ascii``); a log y axis only
    where every value is positive."""
    import plotext as plt

    for s, fallback in zip(series, PALETTE * len(series)):
        s.color = fallback if s.color is None else s.color
    top = heading(title, [s for s in series if s.xs], width, color, ascii)
    plt.clear_figure()
    values, xs_all = [], []  # the finite values drawn; every x of a series drawn
    for s in series:
        xs, ys = thin(s.xs, s.ys, 2 * width)
        finite = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
        if finite:
            marker = s.ascii_marker if ascii else s.marker
            plt.plot(xs, ys, marker=marker, color=s.color if color else None)
            values += [y for _, y in finite]
            xs_all += s.xs
    log = log and bool(values) and min(values) > 0
    plot_height = max(4, height - len(top))
    if values:
        if log:
            plt.yscale("log")
        limits, ticks, texts = y_axis(values, log, max(2, min(5, plot_height // 3)))
        plt.ylim(*(np.log10(limits) if log else limits))  # plotext: log limits, data ticks
        plt.yticks(ticks, texts)
        limits, ticks, texts = x_axis(xs_all, max(2, min(6, width // 12)))
        plt.xlim(*limits)
        plt.xticks(ticks, texts)
    if xlabel:
        plt.xlabel(xlabel)
    plt.plotsize(width, plot_height)
    plt.theme("clear")
    built = plt.build()
    built = plain_colors(built) if color else plt.uncolorize(built)
    text = "\n".join([*top, built])
    return to_ascii(text) if ascii else text
