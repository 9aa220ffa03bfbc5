"""The Optimizers pane under real use (issue 13): settings refused as torch.optim refuses
them, edits that survive a surface switch and a reset, a table and a status line that fit
at 80 columns, every key findable at 80x24, no ticks while hidden, and the pace keys."""

import asyncio
import io

import pytest
import torch

from nnbench.tui.app import NnbenchApp, help_sections
from nnbench.tui.optimizers import OptimizersScreen, SettingsScreen
from nnbench.tui.text import parse_settings

from .pilot import content, messages, until

SIZES = [(80, 24), (160, 48)]
LETTERS = "SMNRAW"  # the racers, in the table's order
TORCH_KINDS = {
    "S": lambda ps, **kw: torch.optim.SGD(ps, **{"lr": 0.02, **kw}),
    "M": lambda ps, **kw: torch.optim.SGD(ps, **{"lr": 0.02, "momentum": 0.9, **kw}),
    "N": lambda ps, **kw: torch.optim.SGD(
        ps, **{"lr": 0.02, "momentum": 0.9, "nesterov": True, **kw}
    ),
    "R": lambda ps, **kw: torch.optim.RMSprop(ps, **{"lr": 0.3, **kw}),
    "A": lambda ps, **kw: torch.optim.Adam(ps, **{"lr": 0.3, **kw}),
    "W": lambda ps, **kw: torch.optim.AdamW(ps, **{"lr": 0.3, "weight_decay": 0.01, **kw}),
}


def screen_lines(app) -> list[str]:
    """The screen as it is drawn, one string of exactly its width per row (what
    App.export_screenshot records, as text: cells keep their columns)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False)  # fmt: skip
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()


def torch_refuses(letter: str, settings: dict) -> bool:
    try:
        TORCH_KINDS[letter]([torch.zeros(2, requires_grad=True)], **settings)
    except (ValueError, TypeError, IndexError):
        return True
    return False


async def open_pane(pilot) -> OptimizersScreen:
    await pilot.app.workers.wait_for_complete()
    await pilot.press("3")
    await pilot.pause()
    return pilot.app.screen


async def choose(pilot, letter: str) -> None:
    screen = pilot.app.screen
    while screen.race.racers[screen.chosen].kind.letter != letter:
        await pilot.press("down")
    await pilot.pause()


async def submit(pilot, text: str) -> None:
    """Type ``text`` into the open settings dialog and press enter."""
    pilot.app.screen.query_one("#settings-input").value = text
    await pilot.press("enter")
    await pilot.pause()


async def edit(pilot, letter: str, text: str) -> None:
    await choose(pilot, letter)
    await pilot.press("e")
    await pilot.pause()
    await submit(pilot, text)


def row(app, letter: str) -> list[str]:
    """The racer's cells in the table as shown: lr, loss, x, y, step length[, status]."""
    line = next(line for line in content(app, "#race-table").splitlines() if f" {letter} " in line)
    return line.split(f" {letter} ", 1)[1].split()[1:]


def group(screen, letter: str) -> dict:
    return screen.race.racers[LETTERS.index(letter)].optimizer.param_groups[0]


# ---------------------------------------------------------------------- 1. settings
REFUSED = [  # (racer, typed, what the message must name: setting, value, valid range)
    ("S", "lr=-1", ["lr", "-1", ">= 0"]),
    ("A", "betas=(1.5, 0.9)", ["beta", "1.5", "[0, 1)"]),
    ("W", "eps=-1e-08", ["eps", "-1e-08", ">= 0"]),
    ("A", "weight_decay=-5", ["weight_decay", "-5", ">= 0"]),
    ("M", "momentum=-0.5", ["momentum", "-0.5", ">= 0"]),
    ("R", "alpha=-1", ["alpha", "-1", ">= 0"]),
    ("N", "momentum=0", ["Nesterov", "momentum=0", "zero dampening"]),
    ("A", "betas=(0, 0.9)", ["betas", "(0, 0.9)", "floats"]),
]


async def test_settings_torch_refuses_keep_the_dialog_open_with_the_reason():
    """Before: the dialog closed on enter, whatever was typed."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        for letter, typed, named in REFUSED:
            assert torch_refuses(letter, parse_settings(typed))  # torch.optim's own rule
            before = dict(group(screen, letter))
            await edit(pilot, letter, typed)
            assert isinstance(app.screen, SettingsScreen), typed  # still open, to fix it
            error = content(app, "#settings-error")
            assert all(word in error for word in named), error
            if letter == "S":  # on the screen, as it is drawn at 80 columns
                shown = " ".join(" ".join(screen_lines(app)).split())
                assert all(word in shown for word in named), shown
            assert group(screen, letter) == before  # nothing changed
            await submit(pilot, "lr=0.01")  # fixed: applied, and the dialog closes
            assert not isinstance(app.screen, SettingsScreen)
            assert group(screen, letter)["lr"] == 0.01


async def test_settings_torch_accepts_are_applied():
    accepted = [("A", "eps=0"), ("M", "momentum=2"), ("R", "alpha=2"), ("S", "lr=0"),
                ("S", "dampening=-1"), ("W", "betas=[0.5, 0.9]")]  # fmt: skip
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        for letter, typed in accepted:
            settings = parse_settings(typed)
            assert not torch_refuses(letter, settings)
            await edit(pilot, letter, typed)
            assert not isinstance(app.screen, SettingsScreen), typed
            assert all(group(screen, letter)[k] == (tuple(v) if k == "betas" else v)
                       for k, v in settings.items())  # fmt: skip


async def test_settings_of_the_wrong_kind_are_refused_without_a_crash():
    """Before: lr=True or betas=(0.9,) raised out of the dialog and took the app down."""
    wrong = [
        ("lr=True", ["lr", "True", "number"]),
        ("betas=(0.9,)", ["betas", "(0.9,)", "pair"]),
        ("lr='fast'", ["lr", "fast", "number"]),
        ("lr=", ["could not read", "name=value"]),
        ("speed=2", ["unknown setting", "speed", "lr, betas, eps"]),
        ("lr=0.1, lr=0.2", ["lr", "twice", "once"]),
        ("eps=tiny", ["could not read", "numbers"]),
    ]
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(pilot)
        await choose(pilot, "A")
        await pilot.press("e")
        for typed, named in wrong:
            await submit(pilot, typed)
            assert isinstance(app.screen, SettingsScreen)
            error = content(app, "#settings-error")
            assert all(word in error for word in named), error
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, OptimizersScreen)


async def test_the_lr_keys_never_make_an_lr_of_zero_or_infinity():
    """Before: ] on lr=1e308 gave inf, [ on the smallest float gave 0, and ] on 0 stayed 0."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        sgd = screen.race.racers[0]
        await edit(pilot, "S", "lr=1e308")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert sgd.lr == 1e308 and "stays 1e+308" in messages(app)
        await edit(pilot, "S", "lr=5e-324")
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert sgd.lr == 5e-324
        await edit(pilot, "S", "lr=0")
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert sgd.lr == 1e-8
        for _ in range(20):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert sgd.lr == 2**20 * 1e-8
        for _ in range(20):
            await pilot.press("right_square_bracket")
        await pilot.pause()
        assert sgd.lr == 1000.0  # the keys' top, and it says so
        assert "within 1e-08..1000" in messages(app)


# ---------------------------------------------------------------------- 2. edits carry over
async def test_switching_surface_and_reset_keep_the_learners_edits():
    """Before: s rebuilt every optimizer with its defaults (only on/off survived)."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        await choose(pilot, "S")
        await pilot.press("right_square_bracket")  # SGD's lr 0.02 -> 0.04
        await edit(pilot, "M", "momentum=0.5")
        await edit(pilot, "A", "betas=(0.8, 0.99), eps=1e-06")
        await choose(pilot, "N")
        await pilot.press("t", "n", "n")
        await pilot.press("s")  # to Rosenbrock
        await pilot.pause()
        assert screen.race.surface.name == "rosenbrock" and screen.race.steps == 0
        assert group(screen, "S")["lr"] == 0.04
        assert group(screen, "M")["momentum"] == 0.5
        assert group(screen, "M")["lr"] == screen.race.surface.lr  # never set: its default
        assert group(screen, "A")["betas"] == (0.8, 0.99) and group(screen, "A")["eps"] == 1e-06
        assert [r.enabled for r in screen.race.racers] == [True, True, False, True, True, True]
        assert row(app, "S")[0] == "0.04" and row(app, "N")[-1] == "off"
        await choose(pilot, "M")
        assert "momentum=0.5" in content(app, "#race-table")
        await pilot.press("n", "n", "r")
        await pilot.pause()
        assert screen.race.steps == 0 and all(len(r.path) == 1 for r in screen.race.racers)
        assert group(screen, "S")["lr"] == 0.04 and group(screen, "M")["momentum"] == 0.5
        assert group(screen, "A")["betas"] == (0.8, 0.99)
        assert not screen.race.racers[2].enabled
        for _ in range(5):  # round the six surfaces, back to the bowl
            await pilot.press("s")
        await pilot.pause()
        assert screen.race.surface.name == "bowl" and group(screen, "S")["lr"] == 0.04


# ---------------------------------------------------------------------- 3. the table
def table_lines(app) -> list[str]:
    lines = screen_lines(app)
    top = next(i for i, line in enumerate(lines) if "optimizer" in line and " lr" in line)
    return lines[top : top + 7]


@pytest.mark.parametrize("size", SIZES)
async def test_the_tables_columns_fit_and_line_up_however_long_the_numbers(size):
    """Before: the column was called "step" (beside "step 5" of the status line) and a long
    "x, y" ran into it."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("n")
        await pilot.pause()
        sgd = screen.race.racers[0]
        sgd.path[-1], sgd.losses[-1] = (-1.23456e-300, -9.87654e200), 1.5e300
        sgd.step_size, sgd.stopped = 1.23456e-305, "diverged"
        screen.redraw()
        await pilot.pause()
        header, *rows = table_lines(app)
        assert "step len" in header and "x, y" not in header
        ends = [header.index(name) + len(name) for name in ("lr", "loss", " x", " y", "step len")]
        for row in rows:
            for end in ends:  # each number ends where its heading does, a gap after it
                assert row[end - 1] != " " and row[end] == " ", (row, end)
        assert rows[0].rstrip().endswith("diverged")
        assert "-1.23e-300" in rows[0] and "-9.88e+200" in rows[0]
        assert "step 1 ·" in content(app, "#race-status")  # the step count: in the status


# ---------------------------------------------------------------------- 4. every key
async def test_every_key_of_the_pane_is_in_the_footer_or_the_help_at_80x24():
    """Before: at 80 columns the footer ended at 't On/', with e Edit cut off."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_pane(pilot)
        footer = screen_lines(app)[-1]
        for shown in ("space Play", "n Step", "r Reset", "s Surface", "[ ] lr", "t On/off",
                      "e Edit", "- + Pace"):  # fmt: skip
            assert shown in footer, footer
        assert "? help" in screen_lines(app)[1]  # and the rest is one key away
        keys = dict(next(k for title, k in help_sections() if title.startswith("Optimizers")))
        for key in ("space", "n", "r", "s", "up", "down", "[", "]", "t", "e", "-", "+ / ="):
            assert keys.get(key), key
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Play the race faster, up to full speed" in content(app, "#help-text")


# ---------------------------------------------------------------------- 5. the status line
@pytest.mark.parametrize("size", SIZES)
async def test_a_long_surface_title_leaves_the_state_on_the_status_line(size):
    """Before: Beale's formula pushed 'paused' and the step count off an 80-column line."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=size) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("s", "s", "s", "n")  # Beale, the longest title
        await pilot.pause()
        assert screen.race.surface.name == "beale"
        line = screen_lines(app)[2]
        assert line.rstrip().endswith("step 1 · paused · 20 steps/s"), line
        assert line.lstrip().startswith("Beale: (1.5 - x + xy)^2")
        title = screen.race.surface.title
        assert (title in line) == (size[0] > 120)  # cut with an ellipsis where it must be
        assert size[0] > 120 or "…" in line


# ---------------------------------------------------------------------- 6. hidden, idle
async def test_the_race_does_not_tick_while_another_pane_or_a_dialog_is_shown():
    """Before: the race's timer went on stepping (and drawing) behind the other panes."""
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("plus", "plus")  # full speed: a tick every few milliseconds
        await pilot.press("space")
        await until(pilot, lambda: screen.race.steps > 3)
        ticks = []
        screen.tick = lambda: ticks.append(1)  # what the timer would call from now on
        await pilot.press("1")
        await pilot.pause()
        steps = screen.race.steps
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert screen.race.steps == steps and ticks == []
        assert screen.timer is None and screen.is_playing
        del screen.tick  # the pane's own tick again
        await pilot.press("3")
        await until(pilot, lambda: screen.race.steps > steps + 3)  # playing again, by itself
        await pilot.press("e")
        await pilot.pause()
        screen.tick = lambda: ticks.append(1)
        assert isinstance(app.screen, SettingsScreen) and screen.timer is None
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert ticks == []
        del screen.tick
        await pilot.press("escape", "space")  # paused: it stays paused when shown again
        await pilot.press("1", "3")
        await pilot.pause()
        assert not screen.is_playing and screen.timer is None
        assert "paused" in content(app, "#race-status")


# ---------------------------------------------------------------------- 7. pace
def test_the_pace_ladder_is_shared_and_stops_at_both_ends():
    from nnbench.tui import pace

    assert pace.PACES == (1, 5, 20, 100, None)
    up, p = [], 1
    for _ in range(6):
        p = pace.faster(p)
        up.append(p)
    assert up == [5, 20, 100, None, None, None]
    assert [pace.slower(p) for p in pace.PACES] == [1, 1, 5, 20, 100]
    assert (pace.faster(10), pace.slower(10)) == (20, 5)  # a pace off the ladder
    assert [pace.label(p) for p in (1, 20, None)] == ["1 step/s", "20 steps/s", "full speed"]


async def test_minus_and_plus_set_the_races_pace_shown_on_the_status_line():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        assert screen.pace == 20 and "20 steps/s" in content(app, "#race-status")
        await pilot.press("minus", "minus", "minus")
        await pilot.pause()
        assert screen.pace == 1 and content(app, "#race-status").endswith("· 1 step/s")
        await pilot.press("space")
        await until(pilot, lambda: screen.race.steps >= 1)
        await pilot.press("plus", "equals_sign", "plus", "plus", "plus")
        await pilot.pause()
        assert screen.pace is None and "full speed" in content(app, "#race-status")
        await until(pilot, lambda: screen.race.steps > 10)
        await pilot.press("space")
        await pilot.pause()
        assert "paused · full speed" in content(app, "#race-status")


def test_an_endless_race_keeps_a_bounded_path():
    from nnbench.engine.workbench import playground as P

    race = P.Race("bowl", keep=10)
    for _ in range(50):
        race.step()
    x, y = race.racers[4].param.tolist()
    assert all(len(r.path) <= 20 and len(r.path) == len(r.losses) for r in race.racers)
    assert race.racers[4].position == (x, y) and race.steps == 50
