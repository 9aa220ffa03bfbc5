"""Line plots in text, drawn by plotext: one helper for `nnbench train`, `nnbench race`
and the Training pane (plotext is imported only when a plot is drawn)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Series:
    label: str
    xs: list
    ys: list
    marker: str = "braille"


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


def compact_ticks(values: list, log: bool, count: int) -> tuple[list, list] | None:
    """Y ticks labelled ``1.06e+19`` or ``3.2e-07`` where plotext would print twenty digits
    (a diverging loss) or eight zeros; None where its own labels read well."""
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    biggest = max(abs(low), abs(high))
    if 1e-3 <= biggest < 1e6:
        return None
    if low == high:
        ticks = [low]
    elif log:
        ticks = list(np.geomspace(low, high, count))
    else:
        ticks = list(np.linspace(low, high, count))
    return [float(t) for t in ticks], [f"{t:.3g}" for t in ticks]


def line_plot(
    series: list[Series],
    title: str,
    width: int,
    height: int,
    color: bool,
    log: bool = False,
    xlabel: str = "step",
) -> str:
    """The series on one plot, as text (with ANSI colours when ``color``); a log y axis
    only where every value is positive."""
    import plotext as plt

    plt.clear_figure()
    values = []
    for s in series:
        xs, ys = thin(s.xs, s.ys, 2 * width)
        if xs:
            plt.plot(xs, ys, label=s.label, marker=s.marker)
            values += [v for v in ys if v == v]
    log = log and bool(values) and min(values) > 0
    if log:
        plt.yscale("log")
    ticks = compact_ticks(values, log, max(2, min(5, height // 3)))
    if ticks:
        plt.yticks(*ticks)
    plt.title(title)
    if xlabel:
        plt.xlabel(xlabel)
    plt.plotsize(width, height)
    plt.theme("pro" if color else "clear")
    built = plt.build()
    return built if color else plt.uncolorize(built)
