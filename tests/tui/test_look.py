"""How nnbench looks where colours are few or none, and where only ASCII can be written:
the real command in a pseudo-terminal, the app under the pilot, the plots' text."""

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from nnbench.tui import plots
from nnbench.tui.app import NnbenchApp

from .pilot import content, press, started, until
from .test_app import screen_text

SIZES = [(80, 24), (160, 48)]
LETTERS = "SMNRAW"  # SGD, Momentum, Nesterov, RMSprop, Adam, AdamW


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the Training pane's runs/ go here


WIDE_COLOURS = re.compile(rb"\x1b\[[0-9;]*(?:38|48);[25];")  # 256-colour or true colour


# ---------------------------------------------------------------------- a real terminal
def terminal_env(**settings) -> dict:
    """This environment as a modern terminal's (true colour, UTF-8), NO_COLOR unset, then
    ``settings`` (None removes one)."""
    unset = ("NO_COLOR", "PYTHONIOENCODING", "TEXTUAL_COLOR_SYSTEM")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env.update(TERM="xterm-256color", COLORTERM="truecolor")
    for name, value in settings.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def in_terminal(args: list[str], keys: list, env: dict, cwd, ready=b"Inspector"):
    """Run ``nnbench ARGS`` on an 80x24 pseudo-terminal, wait for ``ready`` on screen,
    type ``keys``, each a (key, what the screen then shows) pair (the last one quits),
    and return every byte the app wrote."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "nnbench.tui.cli", *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True,
    )  # fmt: skip
    os.close(slave)
    written = bytearray()

    def read_until(done, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    written.extend(os.read(master, 65536))
                except OSError:  # the app has exited and closed its end
                    return

    try:
        read_until(lambda: ready in written, 30)
        assert ready in written, f"{ready!r} never appeared: {bytes(written[-2000:])!r}"
        for key, shows in keys:
            start = len(written)
            os.write(master, key.encode())
            read_until(lambda shows=shows, start=start: shows in written[start:], 20)
            assert shows in written[start:], f"{key!r}: no {shows!r} in {bytes(written[start:])!r}"
        read_until(lambda: process.poll() is not None, 20)  # or until it closes the terminal
        try:
            code = process.wait(10)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, bytes(written[-2000:])
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(5)
        os.close(master)
    return bytes(written)


@pytest.mark.parametrize("color", ["16", "256"])
def test_color_16_writes_only_the_sixteen_colours(tmp_path, color):
    keys = [("3", b"bowl"), ("n", b"step 1"), ("n", b"step 2"), ("4", b"press space"),
            ("n", b"1/"), ("q", b"discard"), ("d", b"\x1b[?1049l")]  # fmt: skip
    written = in_terminal(["--color", color, "spirals"], keys, terminal_env(), tmp_path)
    assert b"Optimizers" in written and b"loss" in written
    if color == "16":
        assert not WIDE_COLOURS.search(written), WIDE_COLOURS.search(written)
    else:  # the check can see them: 256 colours are written where they are asked for
        assert re.search(rb"\x1b\[[0-9;]*38;5;", written)


@pytest.mark.parametrize("color", ["16", "auto"])
def test_headless_color_16_writes_only_the_sixteen_colours(tmp_path, color):
    args = ["train", "linear_regression", "--epochs", "2", "--color", color]
    written = in_terminal(args, [], terminal_env(), tmp_path, ready=b"checkpoint:")
    assert b"\x1b[" in written and b"loss per step" in written  # in colour, on a terminal
    assert bool(WIDE_COLOURS.search(written)) == (color == "auto")  # rich's bar: true colour
    race = in_terminal(["race", "bowl", "--color", color], [], terminal_env(), tmp_path, b"step")
    assert b"\x1b[" in race and not WIDE_COLOURS.search(race)  # the plot's sixteen colours


# ---------------------------------------------------------------------- few colours or none
def _rgb(color, standard: bool):
    """A rich colour as (r, g, b), as a 16-colour terminal shows it where ``standard``."""
    from rich.color import ColorSystem
    from rich.terminal_theme import DEFAULT_TERMINAL_THEME

    if standard:
        color = color.downgrade(ColorSystem.STANDARD)
    return tuple(color.get_truecolor(DEFAULT_TERMINAL_THEME))


def _luminance(rgb) -> float:
    def linear(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def faint_text(app, standard: bool) -> list:
    """Every run of letters or digits on screen whose colour is within a 3:1 contrast
    ratio of its background's (WCAG's floor for legible text), as (ratio, text)."""
    faint = []
    for strip in app.screen._compositor.render_strips():
        for text, style, control in strip:
            if control or style is None or not any(c.isalnum() for c in text):
                continue
            fg, bg = (style.bgcolor, style.color) if style.reverse else (style.color, style.bgcolor)
            if fg is None or bg is None or fg.is_default or bg.is_default:
                continue  # the terminal's own pair
            f, b = _rgb(fg, standard), _rgb(bg, standard)
            if style.dim:  # a terminal draws dim text halfway to the background
                f = tuple((x + y) / 2 for x, y in zip(f, b))
            low, high = sorted((_luminance(f), _luminance(b)))
            if (high + 0.05) / (low + 0.05) < 3:
                faint.append((round((high + 0.05) / (low + 0.05), 2), text.strip()))
    return faint


PANES = [("1",), ("2", "n", "n"), ("3", "n", "n", "n", "down", "t"), ("4", "n", "n")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("mode", ["NO_COLOR", "TERM=screen"])
async def test_without_colour_no_text_is_drawn_near_its_backgrounds_shade(monkeypatch, mode, size):
    if mode == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
    else:  # a 16-colour terminal: Textual maps the theme to its nearest of sixteen
        monkeypatch.setenv("TERM", "screen")
        monkeypatch.delenv("COLORTERM", raising=False)
    app = NnbenchApp("spirals")
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        assert (app.console.color_system == "standard") == (mode != "NO_COLOR")
        for keys in PANES:
            await press(pilot, *keys)
            assert faint_text(app, mode != "NO_COLOR") == [], keys


async def test_without_colour_each_optimizer_keeps_its_letter_on_the_surface(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        await press(pilot, "3", *["n"] * 12)
        rows = str(app.screen.query_one("#surface").content).splitlines()[:-1]
        drawn = set("".join(rows)) - set(" .:-=+*#%@")  # the contour ramp
        assert drawn <= set(LETTERS + LETTERS.lower()), drawn  # no anonymous o
        assert len(drawn & set(LETTERS.lower())) >= 4  # the paths, each in its small letter
        table = content(app, "#race-table")
        assert all(f"{letter} " in table for letter in LETTERS)


async def test_without_colour_train_val_and_classes_are_told_apart_by_their_marks(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = NnbenchApp("spirals")
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot)
        app.session.experiment.epochs = 10_000  # still running when it is paused below
        await press(pilot, "4", "space")
        screen = app.screen
        await until(pilot, lambda: screen.run is not None and len(screen.run.val) >= 3)
        await press(pilot, "space")
        screen.redraw(force=True)
        await pilot.pause()
        plot = content(app, "#train-plot")
        assert "⠤⠤ train" in plot and "o val" in plot
        frame = plot[plot.index("┌") :]
        assert "o" in frame and any("\u2800" < c <= "\u28ff" for c in frame)
        await press(pilot, "v")  # the decision boundary: each training point as its class
        await until(pilot, lambda: screen.run.boundary is not None)
        screen.redraw(force=True)
        await pilot.pause()
        picture = content(app, "#train-boundary").splitlines()[:-1]
        assert set("".join(picture)) <= set(" .:-=+*#%@0123456789")
        assert {"0", "1", "2"} <= set("".join(picture))  # spirals' three classes


def test_the_headless_race_draws_each_optimizer_with_its_letter():
    out = subprocess.run(
        [sys.executable, "-m", "nnbench.tui.cli", "race", "bowl", "--plain"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "S SGD  M Momentum  N Nesterov  R RMSprop  A Adam  W AdamW" in out.stdout
    frame = out.stdout[out.stdout.index("┌") : out.stdout.index("└")]
    assert len(set(frame) & set(LETTERS)) >= 4 and not any("\u2800" <= c <= "\u28ff" for c in frame)


def test_loss_series_mark_train_val_and_twin_apart_in_every_mode():
    series = plots.loss_series([1, 2, 3], [3.0, 2.0, 1.0], [(3, 1.5)], [3.0, 2.0, 1.0])
    for ascii in (False, True):
        glyphs = [s.glyph(ascii) for s in series]
        assert len(set(glyphs)) == 3, glyphs
        drawn = plots.line_plot(series, "loss", 60, 12, color=False, ascii=ascii)
        for s in series:
            assert f"{s.glyph(ascii)} {s.label}" in drawn.splitlines()[0]


# ---------------------------------------------------------------------- ASCII terminals
@pytest.mark.parametrize("plain", [[], ["--plain"], ["--ascii"]])
def test_headless_commands_under_an_ascii_encoding_print_ascii(tmp_path, plain):
    env = terminal_env(PYTHONIOENCODING="ascii" if plain != ["--ascii"] else "utf-8")
    for args in (["race", "rosenbrock"], ["train", "linear_regression", "--epochs", "2"]):
        command = [sys.executable, "-m", "nnbench.tui.cli", *args, *plain]
        out = subprocess.run(command, capture_output=True, env=env, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        assert out.stdout.isascii() and b"loss per step" in out.stdout, out.stdout[-400:]
        assert b"+---" in out.stdout and b"\\u" not in out.stdout  # the plot's frame


def test_nnbench_train_on_an_ascii_terminal_draws_an_ascii_bar(tmp_path):
    env = terminal_env(PYTHONIOENCODING="ascii")
    args = ["train", "linear_regression", "--epochs", "2"]
    written = in_terminal(args, [], env, tmp_path, ready=b"checkpoint:")
    assert written.isascii() and b"loss per step" in written and b"epoch 2/2" in written


@pytest.mark.parametrize("how", ["--ascii", "PYTHONIOENCODING=ascii"])
def test_the_app_writes_only_ascii_where_asked_or_where_the_terminal_needs_it(tmp_path, how):
    env = terminal_env(PYTHONIOENCODING="ascii") if "=" in how else terminal_env()
    args = [how, "breadcrumbs"] if how == "--ascii" else ["breadcrumbs"]
    keys = [("2", b"forward 0/2"), ("n", b"forward 1/2"), ("q", b"\x1b[?1049l")]
    written = in_terminal(args, keys, env, tmp_path, ready=b"+-- ")  # the tree's guides
    assert written.isascii() and b"\\u" not in written, re.findall(
        rb"[^\x00-\x7f]+|\\u\w+", written
    )[:5]


ASCII_VISITS = [("1",), ("2", "n", "n", "n"), ("3", "n", "n", "n"), ("4", "n", "n", "n"),
                ("question_mark",), ("escape", "o"), ("escape", "ctrl+p"), ("escape",)]  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
async def test_the_app_with_ascii_draws_only_ascii(size):
    app = NnbenchApp("spirals", ascii=True)
    async with app.run_test(size=size) as pilot:
        await started(pilot)
        for keys in ASCII_VISITS:
            await press(pilot, *keys)
            await asyncio.sleep(0.1)
            await pilot.pause()
            text = screen_text(app)
            assert text.isascii(), (keys, sorted({c for c in text if not c.isascii()}))
        await press(pilot, "4")
        assert ". train" in screen_text(app) and "+---" in screen_text(app)


def test_ascii_keeps_pictures_in_colour_one_sample_per_cell():
    from rich.segment import Segment
    from rich.style import Style

    from nnbench.tui.widgets import ASCII_FILTER

    half = Segment("▀", Style(color="#ff0000", bgcolor="#0000ff"))
    full = Segment("█", Style(color="#00ff00"))
    line = Segment("┌─┐ …", Style(color="#ffffff"))
    out = ASCII_FILTER.apply([half, full, line], None)
    assert [s.text for s in out] == [" ", " ", "+-+ ."]
    assert abs(out[0].style.bgcolor.triplet.red - 128) <= 1  # both halves, mixed
    assert out[0].style.bgcolor.triplet.green == 0 and out[0].style.bgcolor.triplet.blue > 120
    assert out[1].style.bgcolor.triplet == (0, 255, 0)


def test_ascii_text_keeps_every_column():
    from nnbench.tui.glyphs import encodes, to_ascii

    drawn = "┌──┐│▶ ●✓·…⢕⣀▀█░╭╮╰╯━┃╋é"
    assert to_ascii(drawn) == '+--+|> *v...."#.++++-|+e'
    assert to_ascii("🔎x") == "> x" and to_ascii("日") == "??"  # wide: two columns
    assert encodes("utf-8") and not encodes("ascii") and not encodes("latin-1")


# ---------------------------------------------------------------------- plots
def _frame(drawn: str) -> list[str]:
    lines = drawn.splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[top + 1 : bottom]


def _y_labels(drawn: str) -> list[float]:
    return [float(line.split("┤")[0]) for line in _frame(drawn) if "┤" in line]


def _x_labels(drawn: str) -> list[str]:
    lines = drawn.splitlines()
    return lines[next(i for i, line in enumerate(lines) if "└" in line) + 1].split()


def test_a_log_plot_of_one_point_is_the_right_way_up():
    drawn = plots.line_plot([plots.Series("train", [1], [0.5])], "loss", 40, 10, False, log=True)
    labels = _y_labels(drawn)
    assert labels == sorted(labels, reverse=True) and len(labels) >= 2  # larger above
    row = next(line for line in _frame(drawn) if any("\u2800" < c <= "\u28ff" for c in line))
    assert row.split("┤")[0].strip() == "0.5"  # the point sits on its own value


@pytest.mark.parametrize("steps", [1, 2, 7, 231, 5000])
def test_steps_get_whole_ticks(steps):
    xs = list(range(1, steps + 1))
    drawn = plots.line_plot([plots.Series("train", xs, [1 / x for x in xs])], "l", 60, 12, False)
    ticks = _x_labels(drawn)
    assert ticks and all(t.isdigit() for t in ticks), ticks
    assert all(1 <= int(t) <= steps for t in ticks)


def test_the_legend_never_covers_the_data():
    xs = list(range(1, 101))
    series = [
        plots.Series("train", xs, [2.0] * 3 + [0.1] * 97),
        plots.Series("val", [50, 100], [2.0, 2.0], "o"),
    ]
    for width in (40, 72, 120):
        drawn = plots.line_plot(series, "loss", width, 10, False)
        inside = _frame(drawn)
        assert not any("train" in line or "val" in line for line in inside)
        assert "train" in drawn and "o val" in drawn
        start = inside[0].split("┤")[1][0]  # the first cell: the curve's start, not the legend
        assert "\u2800" < start <= "\u28ff" or start == "o", inside[0]


@pytest.mark.parametrize("low, high", [(0.0012, 0.0018), (0.0012, 2.3), (1.00012, 1.00018)])
@pytest.mark.parametrize("log", [False, True])
def test_y_labels_keep_the_digits_that_tell_them_apart(low, high, log):
    xs = list(range(1, 101))
    ys = list(np.linspace(high, low, 100))
    drawn = plots.line_plot([plots.Series("train", xs, ys)], "loss", 60, 14, False, log=log)
    labels = _y_labels(drawn)
    assert len(set(labels)) == len(labels) >= 2
    assert abs(labels[-1] - low) <= 0.01 * low and abs(labels[0] - high) <= 0.01 * high
