"""The optimizer playground, headless: surfaces, racers, and parity with torch.optim."""

import math

import numpy as np
import pytest
import torch

from nnbench.engine.workbench import playground as P

TORCH_KINDS = {
    "S": lambda ps, lr: torch.optim.SGD(ps, lr=lr),
    "M": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9),
    "N": lambda ps, lr: torch.optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True),
    "R": lambda ps, lr: torch.optim.RMSprop(ps, lr=lr),
    "A": lambda ps, lr: torch.optim.Adam(ps, lr=lr),
    "W": lambda ps, lr: torch.optim.AdamW(ps, lr=lr, weight_decay=0.01),
}


def torch_path(surface, kind, lr, steps):
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    opt = TORCH_KINDS[kind.letter]([p], lr)
    path = [tuple(p.tolist())]
    for _ in range(steps):
        opt.zero_grad()
        surface(torch, p[0], p[1]).backward()
        opt.step()
        path.append(tuple(p.tolist()))
    return np.array(path)


@pytest.mark.parametrize("surface", [s.name for s in P.SURFACES if s.name != "saddle"])
def test_every_optimizer_follows_torch_optim_for_100_steps(surface):
    race = P.Race(surface)
    for _ in range(100):
        race.step()
    for racer in race.racers:
        expected = torch_path(race.surface, racer.kind, racer.lr, 100)
        np.testing.assert_allclose(
            np.array(racer.path),
            expected,
            atol=1e-5,
            rtol=0,
            err_msg=f"{racer.kind.name} on {surface}",
        )


def test_surfaces_have_their_minimum_where_they_say():
    for surface in P.SURFACES:
        race = P.Race(surface)
        grid = race.grid(41, 31)
        assert grid.shape == (31, 41) and np.isfinite(grid).all()
        if surface.minimum is not None:
            import nnbench.engine as ne

            x, y = (ne.tensor(v, dtype=ne.float64) for v in surface.minimum)
            assert surface(ne, x, y).item() == pytest.approx(0.0, abs=1e-9)


def test_sgd_at_lr_1_diverges_on_rosenbrock_and_is_stopped_alone():
    race = P.Race("rosenbrock", lrs={"S": 1.0})
    for _ in range(50):
        race.step()
    sgd, others = race.racers[0], race.racers[1:]
    assert sgd.stopped in ("diverged", "NaN")
    stopped_at = len(sgd.path)
    race.step()
    assert len(sgd.path) == stopped_at  # a stopped racer stays put
    assert all(not r.stopped and len(r.path) == 52 for r in others[2:])


def test_adam_state_shows_m_v_and_their_corrected_forms():
    race = P.Race("bowl")
    race.step()
    race.step()
    adam = next(r for r in race.racers if r.kind.name == "Adam")
    state = adam.state()
    assert set(state) >= {"exp_avg", "exp_avg_sq", "m_hat", "v_hat"}
    np.testing.assert_allclose(state["m_hat"], state["exp_avg"] / (1 - 0.9**2))
    momentum = next(r for r in race.racers if r.kind.name == "Momentum")
    assert "momentum_buffer" in momentum.state()


def test_adam_steps_stay_the_same_size_on_a_steep_wall():
    """Why Adam's steps do not blow up where the gradient does: roughly lr per step."""
    race = P.Race("beale")
    for _ in range(5):
        race.step()
    adam = next(r for r in race.racers if r.kind.name == "Adam")
    assert adam.step_size == pytest.approx(adam.lr * math.sqrt(2), rel=0.5)


def test_reset_learning_rates_and_settings():
    race = P.Race("bowl")
    race.set_lr(0, 0.5)
    race.set_settings(1, {"momentum": 0.5})
    race.racers[2].enabled = False
    for _ in range(3):
        race.step()
    assert len(race.racers[2].path) == 1
    race.reset()
    assert race.steps == 0 and all(len(r.path) == 1 for r in race.racers)
    assert race.racers[0].lr == 0.5
    assert race.racers[1].optimizer.param_groups[0]["momentum"] == 0.5
    assert not race.racers[2].enabled
    with pytest.raises(ValueError, match="unknown setting"):
        race.set_settings(0, {"betas": (0.9, 0.99)})


@pytest.mark.parametrize(
    "settings", [{"lr": -1.0}, {"betas": (2.0, 0.9)}, {"eps": -1.0}, {"weight_decay": -5.0}]
)
def test_settings_an_optimizer_would_refuse_are_refused_and_reset_still_works(settings):
    """Found by a new user: lr=-1 was taken, and the next reset crashed the app."""
    race = P.Race("rosenbrock")
    adam = next(i for i, r in enumerate(race.racers) if r.kind.name == "Adam")
    with pytest.raises(ValueError):
        race.set_settings(adam, settings)
    race.reset()
    assert race.racers[adam].optimizer.param_groups[0]["lr"] > 0
