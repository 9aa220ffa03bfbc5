"""LambdaLR, OneCycleLR and Adagrad against torch.optim, step for step, and their state."""

import math

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn, optim


def _pair(ours_opt, theirs_opt, **kwargs):
    w = ne.tensor([1.0, -2.0, 0.5], requires_grad=True)
    tw = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
    return w, tw, ours_opt([w], **kwargs), theirs_opt([tw], **kwargs)


def _step(pairs):
    for opt, p in pairs:
        opt.zero_grad()
        (p * p * p).sum().backward()
        opt.step()


ADAGRAD = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-3},
    {"lr": 0.1, "maximize": True},
]


@pytest.mark.parametrize("kwargs", ADAGRAD, ids=[str(k) for k in ADAGRAD])
def test_adagrad_tracks_torch_step_for_step(kwargs):
    w, tw, opt, twin = _pair(optim.Adagrad, torch.optim.Adagrad, **kwargs)
    for _ in range(8):
        _step([(opt, w), (twin, tw)])
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.state[w]["sum"].numpy(), twin.state[tw]["sum"].numpy(), 1e-5)
    assert int(opt.state[w]["step"]) == int(twin.state[tw]["step"]) == 8


def test_adagrad_model_and_state_dict_as_torch(device):
    model = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)).to(device)
    twin = model.to_torch()
    opt = optim.Adagrad(model.parameters(), lr=0.05, lr_decay=0.01)
    theirs = torch.optim.Adagrad(twin.parameters(), lr=0.05, lr_decay=0.01)
    saved, reference = opt.state_dict(), theirs.state_dict()
    assert saved["param_groups"][0].keys() == reference["param_groups"][0].keys()
    assert list(saved["param_groups"][0]) == list(reference["param_groups"][0])
    assert saved["state"][0].keys() == reference["state"][0].keys()  # made at construction
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    for _ in range(5):
        opt.zero_grad()
        theirs.zero_grad()
        model(ne.tensor(x, device=device)).square().mean().backward()
        twin(torch.tensor(x)).square().mean().backward()
        opt.step()
        theirs.step()
    again = optim.Adagrad(model.parameters(), lr=0.05)
    again.load_state_dict(opt.state_dict())
    assert again.param_groups[0]["lr_decay"] == 0.01
    for p, tp in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(p.detach().cpu().numpy(), tp.detach().numpy(), atol=1e-6)
        np.testing.assert_allclose(
            again.state[p]["sum"].cpu().numpy(), theirs.state[tp]["sum"].numpy(), atol=1e-6
        )


def test_adagrad_checks_its_arguments_as_torch():
    w = ne.ones(2, requires_grad=True)
    for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
        with pytest.raises(ValueError, match=key):
            optim.Adagrad([w], **{key: -1.0})
        with pytest.raises(ValueError):
            torch.optim.Adagrad([torch.ones(2, requires_grad=True)], **{key: -1.0})


def _lrs(scheduler, opt, steps, key="lr"):
    out = []
    for _ in range(steps):
        out.append([g[key] for g in opt.param_groups])
        opt.step()
        scheduler.step()
    return out


def test_lambda_lr_one_function_and_one_per_group():
    ours = optim.SGD(
        [
            {"params": [ne.ones(1, requires_grad=True)]},
            {"params": [ne.ones(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    theirs = torch.optim.SGD(
        [
            {"params": [torch.ones(1, requires_grad=True)]},
            {"params": [torch.ones(1, requires_grad=True)], "lr": 0.5},
        ],
        lr=0.1,
    )
    fns = [lambda e: 0.9**e, lambda e: 1 / (e + 1)]
    a = optim.lr_scheduler.LambdaLR(ours, fns)
    b = torch.optim.lr_scheduler.LambdaLR(theirs, fns)
    np.testing.assert_allclose(_lrs(a, ours, 6), _lrs(b, theirs, 6), rtol=1e-12)
    assert a.get_last_lr() == pytest.approx(b.get_last_lr())
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
        optim.lr_scheduler.LambdaLR(ours, [fns[0]])


class _Decay:
    def __init__(self, factor):
        self.factor = factor

    def __call__(self, epoch):
        return self.factor**epoch


def test_lambda_lr_state_dict_as_torch():
    w = ne.ones(1, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    a = optim.lr_scheduler.LambdaLR(opt, [_Decay(0.5)])
    plain = optim.lr_scheduler.LambdaLR(optim.SGD([w], lr=0.1), lambda e: 1.0)
    tw = torch.ones(1, requires_grad=True)
    b = torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD([tw], lr=0.1), [_Decay(0.5)])
    for s in (a, b):
        s.optimizer.step()
        s.step()
    state = a.state_dict()
    assert state["lr_lambdas"] == b.state_dict()["lr_lambdas"] == [{"factor": 0.5}]
    assert plain.state_dict()["lr_lambdas"] == [None]
    assert state["last_epoch"] == b.state_dict()["last_epoch"] == 1
    fresh = optim.lr_scheduler.LambdaLR(optim.SGD([w], lr=0.1), [_Decay(0.9)])
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].factor == 0.5 and fresh.last_epoch == 1


ONE_CYCLE = [
    ("sgd_cos", "SGD", {"momentum": 0.9}, {}),
    ("sgd_linear", "SGD", {"momentum": 0.9}, {"anneal_strategy": "linear"}),
    ("adam_cos", "Adam", {}, {}),
    ("adam_three_phase", "Adam", {}, {"three_phase": True, "pct_start": 0.25}),
    ("sgd_no_momentum_cycle", "SGD", {}, {"cycle_momentum": False}),
    ("epochs", "SGD", {"momentum": 0.5}, {"epochs": 3, "steps_per_epoch": 4, "total_steps": None}),
    ("lists", "SGD", {"momentum": 0.9}, {"max_lr": [0.2], "div_factor": 10.0,
                                        "final_div_factor": 100.0, "base_momentum": [0.8]}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "opt", "opt_kwargs", "kwargs"), ONE_CYCLE,
                         ids=[c[0] for c in ONE_CYCLE])  # fmt: skip
def test_one_cycle_lr_matches_torch(name, opt, opt_kwargs, kwargs):
    kwargs = {"max_lr": 0.1, "total_steps": 12, **kwargs}
    ours = getattr(optim, opt)([ne.ones(1, requires_grad=True)], lr=0.01, **opt_kwargs)
    theirs = getattr(torch.optim, opt)([torch.ones(1, requires_grad=True)], lr=0.01, **opt_kwargs)
    a = optim.lr_scheduler.OneCycleLR(ours, **kwargs)
    b = torch.optim.lr_scheduler.OneCycleLR(theirs, **kwargs)
    key = "betas" if opt == "Adam" else "momentum"
    for _ in range(12):
        assert ours.param_groups[0]["lr"] == pytest.approx(theirs.param_groups[0]["lr"], 1e-12)
        assert np.allclose(ours.param_groups[0][key], theirs.param_groups[0][key])
        ours.step(), theirs.step()
        a.step(), b.step()
    mine, reference = a.state_dict(), b.state_dict()
    for k in ("total_steps", "_schedule_phases", "_anneal_func_type", "cycle_momentum",
              "last_epoch", "base_lrs"):  # fmt: skip
        assert mine[k] == reference[k], k
    with pytest.raises(ValueError, match="Tried to step 13 times"):
        a.step()


def test_one_cycle_lr_state_dict_round_trip_and_errors():
    w = ne.ones(1, requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    s = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    for _ in range(4):
        opt.step()
        s.step()
    other_opt = optim.Adam([w], lr=0.01)
    other = optim.lr_scheduler.OneCycleLR(other_opt, max_lr=0.1, total_steps=10)
    other.load_state_dict(s.state_dict())
    other_opt.load_state_dict(opt.state_dict())
    for _ in range(3):
        opt.step(), other_opt.step()
        s.step(), other.step()
        assert other_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="total_steps OR"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=5, anneal_strategy="exp")
    with pytest.raises(ValueError, match="momentum or beta1"):
        optim.lr_scheduler.OneCycleLR(optim.Adagrad([w]), max_lr=0.1, total_steps=5)


def test_clip_grad_norm_and_value_match_torch():
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(4,)).astype(np.float32)]
    for norm_type, max_norm in ((2.0, 1.0), (1, 0.5), (math.inf, 0.3), (3.0, 100.0)):
        ours = [ne.tensor(a, requires_grad=True) for a in arrays]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        for p, tp in zip(ours, theirs):
            (p * p).sum().backward()
            (tp * tp).sum().backward()
        total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
        reference = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
        assert isinstance(total, ne.Tensor) and total.ndim == 0
        assert float(total) == pytest.approx(float(reference), rel=1e-5)
        for p, tp in zip(ours, theirs):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)
    p, tp = ne.tensor(arrays[0], requires_grad=True), torch.tensor(arrays[0], requires_grad=True)
    (p * 3).sum().backward()
    (tp * 3).sum().backward()
    assert nn.utils.clip_grad_value_(p, 0.5) is None
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy())
    assert float(nn.utils.clip_grad_norm_([ne.ones(2, requires_grad=True)], 1.0)) == 0.0
