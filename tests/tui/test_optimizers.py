"""The Optimizers pane at 80x24 (and wide): play, step, learning rates, surfaces, settings."""

import asyncio

from textual.widgets import Static

from nnbench.tui.app import NnbenchApp
from nnbench.tui.optimizers import OptimizersScreen, SettingsScreen


def table(app) -> str:
    return str(app.screen.query_one("#race-table", Static).content)


def status(app) -> str:
    return str(app.screen.query_one("#race-status", Static).content)


async def open_pane(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.press("3")
    await pilot.pause()
    return pilot.app.screen


async def test_step_play_and_pause_at_80x24():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        assert isinstance(screen, OptimizersScreen)
        assert "Ill-conditioned bowl" in status(app) and "step 0" in status(app)
        assert "S SGD" in table(app) and "A Adam" in table(app)
        await pilot.press("n")
        await pilot.pause()
        assert screen.race.steps == 1 and "step 1" in status(app)
        await pilot.press("space")
        for _ in range(200):  # playing steps on a timer: wait for it, however busy the machine
            if screen.race.steps > 3:
                break
            await asyncio.sleep(0.05)
        await pilot.pause()
        assert screen.is_playing and screen.race.steps > 3
        await pilot.press("space")
        await pilot.pause()
        paused_at = screen.race.steps
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert not screen.is_playing and screen.race.steps == paused_at
        assert "paused" in status(app)


async def test_learning_rate_keys_change_the_chosen_optimizer():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("down", "down", "down", "down")  # Adam
        await pilot.pause()
        adam = screen.race.racers[4]
        before = adam.lr
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert adam.lr == 2 * before
        adam_line = next(line for line in table(app).splitlines() if "A Adam" in line)
        assert adam_line.startswith("▶") and adam_line.split()[3] == f"{2 * before:g}"
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert adam.lr == before / 2
        assert "m=(" not in table(app)
        await pilot.press("n")
        await pilot.pause()
        assert "m=(" in table(app) and "v-hat=(" in table(app)


async def test_surfaces_cycle_and_reset():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        titles = []
        for _ in range(6):
            titles.append(screen.race.surface.name)
            await pilot.press("s")
            await pilot.pause()
        assert titles == ["bowl", "rosenbrock", "himmelblau", "beale", "saddle", "rastrigin"]
        assert screen.race.surface.name == "bowl"
        await pilot.press("n", "n", "r")
        await pilot.pause()
        assert screen.race.steps == 0 and "step 0" in status(app)


async def test_sgd_at_lr_1_on_rosenbrock_is_marked_and_the_race_goes_on():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("s", "e")  # Rosenbrock; edit SGD's settings
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        field = app.screen.query_one("#settings-input")
        field.value = "lr=1.0"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.race.racers[0].lr == 1.0
        for _ in range(10):
            await pilot.press("n")
        await pilot.pause()
        sgd = screen.race.racers[0]
        assert sgd.stopped in ("diverged", "NaN")
        assert sgd.stopped in table(app).splitlines()[1]
        assert all(not r.stopped for r in screen.race.racers[1:])
        assert len(screen.race.racers[1].path) == 11


async def test_momentum_and_betas_can_be_set():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        screen = await open_pane(pilot)
        await pilot.press("down", "e")
        await pilot.pause()
        app.screen.query_one("#settings-input").value = "momentum=0.5"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.race.racers[1].optimizer.param_groups[0]["momentum"] == 0.5
        await pilot.press("down", "down", "down", "e")
        await pilot.pause()
        app.screen.query_one("#settings-input").value = "betas=(0.8, 0.99)"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.race.racers[4].optimizer.param_groups[0]["betas"] == (0.8, 0.99)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#settings-input").value = "nonsense=1"
        await pilot.press("enter")
        await pilot.pause()
        assert screen.race.racers[4].optimizer.param_groups[0]["betas"] == (0.8, 0.99)


async def test_an_optimizer_can_be_switched_off():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test() as pilot:
        screen = await open_pane(pilot)
        await pilot.press("t", "n", "n")
        await pilot.pause()
        assert not screen.race.racers[0].enabled and len(screen.race.racers[0].path) == 1
        assert "S SGD" in table(app) and " off" in table(app).splitlines()[1]


async def test_the_surface_is_drawn_with_paths_and_cached_between_steps():
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await open_pane(pilot)
        view = screen.query_one("#surface")
        await pilot.press("n")
        await pilot.pause()
        drawn = str(view.content)
        assert "▀" in drawn and "A" in drawn
        key = next(iter(view._cache))
        grid_calls = []
        original = screen.race.grid
        screen.race.grid = lambda *a: grid_calls.append(a) or original(*a)
        await pilot.press("n", "n")
        await pilot.pause()
        assert grid_calls == [] and next(iter(view._cache)) == key  # stepping did not resample


async def test_few_colours_draw_the_surface_with_a_character_ramp(monkeypatch):
    from textual import constants

    monkeypatch.setattr(constants, "COLOR_SYSTEM", "standard")
    app = NnbenchApp("breadcrumbs")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_pane(pilot)
        await pilot.press("n")
        await pilot.pause()
        drawn = str(screen.query_one("#surface").content)
        assert "▀" not in drawn and "@" in drawn and "A" in drawn
