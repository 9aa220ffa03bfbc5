"""The optimizer playground, headless: 2-D loss surfaces and optimizers racing on them.

Each surface is a function of two engine tensors, so its gradient comes from the
engine's own autograd; each racer is one of the engine's own ``optim`` classes stepping
a 2-vector parameter ``p = (x, y)``. The app's Optimizers pane and ``nnbench race``
both drive a :class:`Race`; the words they show it with are the app's (tui/text.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import autograd, dtypes, optim
from ..creation import tensor
from ..tensor import Tensor


@dataclass(frozen=True)
class Surface:
    name: str
    title: str
    fn: object  # fn(lib, x, y) with x, y tensors of the engine or of torch
    start: tuple[float, float]
    window: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    minimum: tuple[float, float] | None
    lr: float  # for SGD-like optimizers
    adaptive_lr: float  # for RMSprop and the Adams
    log_scale: bool = False

    def __call__(self, lib, x, y):
        return self.fn(lib, x, y)


def _rastrigin(lib, x, y):
    two_pi = 2 * math.pi
    return 20 + x**2 - 10 * lib.cos(two_pi * x) + y**2 - 10 * lib.cos(two_pi * y)


SURFACES = [
    Surface("bowl", "Ill-conditioned bowl: x^2 + 20 y^2", lambda lib, x, y: x**2 + 20 * y**2,
            (-4.0, 1.5), (-5.0, 5.0, -2.5, 2.5), (0.0, 0.0), 0.02, 0.3),
    Surface("rosenbrock", "Rosenbrock: (1 - x)^2 + 100 (y - x^2)^2",
            lambda lib, x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
            (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0), (1.0, 1.0), 5e-4, 0.05, True),
    Surface("himmelblau", "Himmelblau: (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
            lambda lib, x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
            (-0.5, -0.5), (-5.0, 5.0, -5.0, 5.0), (3.0, 2.0), 0.005, 0.1, True),
    Surface("beale", "Beale: (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
            lambda lib, x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
            + (2.625 - x + x * y**3) ** 2,
            (1.0, 1.5), (-4.5, 4.5, -4.5, 4.5), (3.0, 0.5), 1e-3, 0.05, True),
    Surface("saddle", "Saddle: x^2 - y^2 (no minimum: watch who escapes)",
            lambda lib, x, y: x**2 - y**2,
            (-4.0, 0.01), (-5.0, 5.0, -5.0, 5.0), None, 0.05, 0.1),
    Surface("rastrigin", "Rastrigin: 20 + x^2 - 10 cos 2πx + y^2 - 10 cos 2πy",
            _rastrigin, (-4.5, 4.2), (-5.12, 5.12, -5.12, 5.12), (0.0, 0.0), 0.002, 0.1),
]  # fmt: skip
SURFACES_BY_NAME = {s.name: s for s in SURFACES}


@dataclass(frozen=True)
class Kind:
    """An optimizer as the playground offers it: a letter, a name, how to build it."""

    letter: str
    name: str
    build: object  # build(params, lr) -> optimizer
    adaptive: bool


KINDS = [
    Kind("S", "SGD", lambda ps, lr: optim.SGD(ps, lr=lr), False),
    Kind("M", "Momentum", lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9), False),
    Kind("N", "Nesterov", lambda ps, lr: optim.SGD(ps, lr=lr, momentum=0.9, nesterov=True), False),
    Kind("R", "RMSprop", lambda ps, lr: optim.RMSprop(ps, lr=lr), True),
    Kind("A", "Adam", lambda ps, lr: optim.Adam(ps, lr=lr), True),
    Kind("W", "AdamW", lambda ps, lr: optim.AdamW(ps, lr=lr, weight_decay=0.01), True),
]  # fmt: skip

DIVERGED_BEYOND = 1e6  # |x| or |y| past this, or a non-finite loss, stops a racer


@dataclass
class Racer:
    kind: Kind
    param: Tensor
    optimizer: object
    path: list = field(default_factory=list)  # (x, y) after each step, the start first
    losses: list = field(default_factory=list)  # loss at each point of the path
    step_size: float = 0.0
    enabled: bool = True
    stopped: str = ""  # why it stopped: "diverged", "NaN"

    @property
    def position(self) -> tuple[float, float]:
        return self.path[-1]

    @property
    def loss(self) -> float:
        return self.losses[-1]

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def state(self) -> dict[str, np.ndarray]:
        """The optimizer's state as the engine holds it, with Adam's m-hat and v-hat."""
        state = self.optimizer.state.get(self.param, {})
        out = {
            k: np.asarray(v.tolist())
            for k, v in state.items()
            if isinstance(v, Tensor) and k != "step"  # the step count shows elsewhere
        }
        if "exp_avg" in state:
            m_hat, v_hat = optim.Adam.corrected(state, self.optimizer.param_groups[0])
            out["m_hat"], out["v_hat"] = np.asarray(m_hat), np.asarray(v_hat)
        return out


LR_KEYS_RANGE = (1e-8, 1e3)  # where halving and doubling keep a learning rate


class InvalidSettings(ValueError):
    """Settings the optimizer would refuse, with its own words (torch.optim's checks)."""


def _checked(optimizer, group: dict) -> dict:
    """The group's settings as the optimizer reads them (betas a tuple, ...), or
    InvalidSettings with the optimizer's own message: a reset makes one with them, and must
    not fail later. The engine raises TypeError or IndexError where torch does (lr=True,
    betas=(0.9,)); a learner typing settings needs the message either way."""
    settings = {k: v for k, v in group.items() if k not in ("params", "initial_lr")}
    probe = Tensor(np.zeros(2), requires_grad=True)
    try:
        made = type(optimizer)([probe], **settings)
    except (TypeError, ValueError, IndexError) as error:
        raise InvalidSettings(str(error)) from None
    return {k: v for k, v in made.param_groups[0].items() if k in settings}


def scaled_lr(lr: float, factor: float) -> float:
    """lr * factor kept within LR_KEYS_RANGE, and never moved the wrong way: a typed lr of 0
    stays 0 when halved, and doubles to the smallest the keys give."""
    low, high = LR_KEYS_RANGE
    new = min(max(lr * factor, low), high)
    if (factor < 1 and new > lr) or (factor > 1 and new < lr):
        return lr
    return new


class Race:
    def __init__(self, surface: Surface | str, kinds=KINDS, lrs: dict | None = None,
                 keep: int | None = None, settings: dict | None = None):  # fmt: skip
        """``lrs`` by letter (``{"S": 1.0}``) replace the surface's defaults, as ``settings``
        (``{"M": {"momentum": 0.5}}``) do the optimizers' own; ``keep`` bounds each racer's
        path and losses to about that many recent points (an endless race in the app), None
        keeps them all (``nnbench race`` plots every loss)."""
        self.surface = SURFACES_BY_NAME[surface] if isinstance(surface, str) else surface
        self.kinds = list(kinds)
        self.lrs = dict(lrs or {})
        self.settings = {k: dict(v) for k, v in (settings or {}).items()}  # lr aside
        self.keep = keep
        self.racers = [self._racer(kind) for kind in self.kinds]
        self.steps = 0

    def default_lr(self, kind: Kind) -> float:
        return self.surface.adaptive_lr if kind.adaptive else self.surface.lr

    def _racer(self, kind: Kind) -> Racer:
        lr = self.lrs.get(kind.letter, self.default_lr(kind))
        p = tensor(list(self.surface.start), dtype=dtypes.float64, requires_grad=True)
        optimizer = kind.build([p], lr)
        optimizer.param_groups[0].update(self.settings.get(kind.letter, {}))
        racer = Racer(kind, p, optimizer)
        racer.path.append(tuple(self.surface.start))
        racer.losses.append(self.loss_at(p))
        return racer

    def loss_at(self, p: Tensor) -> float:
        with autograd.no_grad():
            return float(self.surface(_engine(), p[0], p[1]).item())

    def step(self) -> None:
        """One step for every enabled racer that has not stopped."""
        for racer in self.racers:
            if racer.enabled and not racer.stopped:
                self._step(racer)
        self.steps += 1

    def _step(self, racer: Racer) -> None:
        p = racer.param
        racer.optimizer.zero_grad()
        loss = self.surface(_engine(), p[0], p[1])
        loss.backward()
        racer.optimizer.step()
        x, y = p.tolist()
        old = racer.path[-1]
        racer.step_size = math.hypot(x - old[0], y - old[1])
        racer.path.append((x, y))
        racer.losses.append(self.loss_at(p))
        if self.keep is not None and len(racer.path) > 2 * self.keep:
            del racer.path[: -self.keep], racer.losses[: -self.keep]  # amortised: now and then
        if not all(math.isfinite(v) for v in (x, y, racer.losses[-1])):
            racer.stopped = (
                "NaN" if any(math.isnan(v) for v in (x, y, racer.losses[-1])) else ("diverged")
            )
        elif max(abs(x), abs(y)) > DIVERGED_BEYOND:
            racer.stopped = "diverged"

    def reset(self) -> None:
        """Back to the start, keeping each racer's settings and whether it is enabled."""
        enabled = [r.enabled for r in self.racers]
        self.racers = [self._racer(kind) for kind in self.kinds]
        for racer, on in zip(self.racers, enabled):
            racer.enabled = on
        self.steps = 0

    def on(self, surface: Surface | str) -> Race:
        """The same race on another surface, at its start: the learner's lrs and settings
        and which racers are on carry over; lrs never set take the new surface's defaults."""
        race = Race(surface, self.kinds, self.lrs, self.keep, self.settings)
        for racer, old in zip(race.racers, self.racers):
            racer.enabled = old.enabled
        return race

    def set_lr(self, index: int, lr: float) -> None:
        self.set_settings(index, {"lr": lr})

    def scale_lr(self, index: int, factor: float) -> float:
        """Halve or double (``factor``) a racer's lr within LR_KEYS_RANGE; the new lr."""
        lr = scaled_lr(self.racers[index].lr, factor)
        self.set_lr(index, lr)
        return lr

    def set_settings(self, index: int, settings: dict) -> None:
        """Change an optimizer's hyperparameters (momentum, betas, ...) for the next steps;
        InvalidSettings, changing nothing, for a setting it does not have or would refuse."""
        racer = self.racers[index]
        group = racer.optimizer.param_groups[0]
        unknown = [k for k in settings if k not in group or k in ("params", "initial_lr")]
        if unknown:
            allowed = ", ".join(k for k in group if k not in ("params", "initial_lr"))
            raise InvalidSettings(
                f"unknown setting(s) {', '.join(unknown)}; {racer.kind.name} has {allowed}"
            )
        checked = _checked(racer.optimizer, {**group, **settings})
        settings = {k: checked[k] for k in settings}
        for group in racer.optimizer.param_groups:
            group.update(settings)
        if "lr" in settings:
            self.lrs[racer.kind.letter] = settings.pop("lr")
        self.settings.setdefault(racer.kind.letter, {}).update(settings)

    def grid(self, columns: int, rows: int) -> np.ndarray:
        """The surface sampled on a rows x columns grid over its window (row 0 at the top),
        computed by the engine itself under no_grad."""
        x_min, x_max, y_min, y_max = self.surface.window
        xs = np.linspace(x_min, x_max, columns)
        ys = np.linspace(y_max, y_min, rows)
        gx, gy = np.meshgrid(xs, ys)
        with autograd.no_grad():
            values = self.surface(_engine(), tensor(gx), tensor(gy))
        return values.numpy()


def _engine():
    import nnbench.engine as ne

    return ne
