"""Optimizers against torch.optim: same start, same gradients, same trajectory."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn, optim

OPTIMIZERS = [
    ("sgd", optim.SGD, torch.optim.SGD, {"lr": 0.1}, 1e-6),
    ("sgd_momentum", optim.SGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, 1e-6),
    (
        "sgd_nesterov_wd",
        optim.SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        1e-6,
    ),
    (
        "sgd_dampening",
        optim.SGD,
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.5, "dampening": 0.3},
        1e-6,
    ),
    ("rmsprop", optim.RMSprop, torch.optim.RMSprop, {"lr": 0.01}, 1e-5),
    (
        "rmsprop_centered_momentum",
        optim.RMSprop,
        torch.optim.RMSprop,
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.01},
        1e-5,
    ),
    ("adam", optim.Adam, torch.optim.Adam, {"lr": 0.01}, 1e-5),
    ("adam_wd", optim.Adam, torch.optim.Adam, {"lr": 0.01, "weight_decay": 0.1}, 1e-5),
    ("adamw", optim.AdamW, torch.optim.AdamW, {"lr": 0.01, "weight_decay": 0.1}, 1e-5),
]


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(16, 6)).astype(np.float32), rng.integers(0, 3, 16)


@pytest.mark.parametrize(
    ("name", "ours_cls", "theirs_cls", "kwargs", "tol"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS]
)
def test_optimizer_tracks_torch_over_20_steps(name, ours_cls, theirs_cls, kwargs, tol, device):
    model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3)).to(device)
    twin = model.to_torch()
    opt, twin_opt = ours_cls(model.parameters(), **kwargs), theirs_cls(twin.parameters(), **kwargs)
    x, y = _data()
    for _ in range(20):
        opt.zero_grad()
        twin_opt.zero_grad()
        nn.functional.cross_entropy(
            model(ne.tensor(x, device=device)), ne.tensor(y, device=device)
        ).backward()
        torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()
        twin_opt.step()
    for p, tp in zip(model.parameters(), twin.parameters()):
        np.testing.assert_allclose(
            p.detach().numpy() if device == "numpy" else p.detach().cpu().numpy(),
            tp.detach().numpy(),
            atol=tol,
            rtol=0,
        )


def test_adam_state_is_readable_and_matches_torch():
    w = ne.tensor([1.0, -2.0], requires_grad=True)
    tw = torch.tensor([1.0, -2.0], requires_grad=True)
    opt, twin = optim.Adam([w], lr=0.1), torch.optim.Adam([tw], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        twin.zero_grad()
        (w * w).sum().backward()
        (tw * tw).sum().backward()
        opt.step()
        twin.step()
    state, reference = opt.state[w], twin.state[tw]
    assert state["step"] == 3 == int(reference["step"])
    np.testing.assert_allclose(state["exp_avg"].numpy(), reference["exp_avg"].numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        state["exp_avg_sq"].numpy(), reference["exp_avg_sq"].numpy(), rtol=1e-6
    )
    m_hat, v_hat = optim.Adam.corrected(state, opt.param_groups[0])
    np.testing.assert_allclose(m_hat, reference["exp_avg"].numpy() / (1 - 0.9**3), rtol=1e-6)
    np.testing.assert_allclose(v_hat, reference["exp_avg_sq"].numpy() / (1 - 0.999**3), rtol=1e-6)


def test_adams_step_is_lr_times_m_hat_over_sqrt_v_hat_plus_eps():
    """The m-hat and v-hat the app displays are the ones the update uses, as in PyTorch."""
    start = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    w = ne.tensor(start, requires_grad=True)
    tw = torch.tensor(start, requires_grad=True)
    opt = optim.Adam([w], lr=0.1, betas=(0.8, 0.9), eps=1e-3)
    twin = torch.optim.Adam([tw], lr=0.1, betas=(0.8, 0.9), eps=1e-3)
    for _ in range(4):
        before = w.detach().numpy().copy()
        for o, p in ((opt, w), (twin, tw)):
            o.zero_grad()
            (p * p * p).sum().backward()
            o.step()
        m_hat, v_hat = optim.Adam.corrected(opt.state[w], opt.param_groups[0])
        expected = before - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-3)
        np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_zero_grad_sets_to_none_or_zero():
    w = ne.ones(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * 2).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert w.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert w.grad is None


def test_optimizer_state_dict_round_trip():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(ne.ones(1, 3)).sum().backward()
    opt.step()
    saved = opt.state_dict()
    fresh = optim.Adam(model.parameters(), lr=0.5)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == 0.01
    assert fresh.state[model.weight]["step"] == 1
    assert (
        fresh.state[model.weight]["exp_avg"].tolist() == opt.state[model.weight]["exp_avg"].tolist()
    )
    with pytest.raises(ValueError, match="parameters per group"):
        optim.Adam([model.weight], lr=0.1).load_state_dict(saved)


def test_param_groups_can_have_their_own_lr():
    a, b = ne.ones(1, requires_grad=True), ne.ones(1, requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="invalid lr"):
        optim.SGD([ne.ones(1, requires_grad=True)], lr=-1)
    # PyTorch accepts a parameter that does not require grad (a frozen one) and never
    # changes it; the engine does too, and warns when every parameter is frozen.
    frozen = ne.ones(1)
    with pytest.warns(UserWarning, match="none of the parameters requires grad"):
        opt = optim.Adam([frozen])
    opt.step()
    assert frozen.tolist() == [1.0]


@pytest.mark.parametrize(
    ("make", "make_torch"),
    [
        (
            lambda o: optim.lr_scheduler.StepLR(o, 3, 0.5),
            lambda o: torch.optim.lr_scheduler.StepLR(o, 3, 0.5),
        ),
        (
            lambda o: optim.lr_scheduler.CosineAnnealingLR(o, 5, 0.01),
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 5, 0.01),
        ),
    ],
)
def test_schedulers_match_torch(make, make_torch):
    opt = optim.SGD([ne.ones(1, requires_grad=True)], lr=0.1)
    twin = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)
    scheduler, reference = make(opt), make_torch(twin)
    for _ in range(12):
        opt.step()
        twin.step()
        scheduler.step()
        reference.step()
        assert scheduler.get_last_lr()[0] == pytest.approx(reference.get_last_lr()[0], abs=1e-12)


def test_a_from_scratch_model_and_its_torch_twin_train_identically():
    """The seed's claim: same weights, same batches, 100 steps of CE + Adam, losses within 1e-4."""
    rng = np.random.default_rng(42)
    x_all = rng.normal(size=(512, 20)).astype(np.float32)
    y_all = (x_all[:, :3].sum(1) > 0).astype(np.int64) + (x_all[:, 3] > 1)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))
    twin = model.to_torch()
    opt, twin_opt = (
        optim.Adam(model.parameters(), lr=1e-2),
        torch.optim.Adam(twin.parameters(), lr=1e-2),
    )
    worst = 0.0
    for _ in range(100):
        index = rng.choice(512, size=32, replace=False)
        x, y = x_all[index], y_all[index]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(ne.tensor(x)), ne.tensor(y))
        loss.backward()
        opt.step()
        twin_opt.zero_grad()
        reference = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
        reference.backward()
        twin_opt.step()
        worst = max(worst, abs(loss.item() - reference.item()))
    assert worst < 1e-4, f"largest loss difference {worst:.2e}"
    assert loss.item() < 0.5


def _adam_state():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(ne.ones(1, 3)).sum().backward()
    opt.step()
    return model, opt.state_dict()


def test_load_state_dict_refuses_a_state_it_cannot_place():
    model, saved = _adam_state()
    fresh = optim.Adam(model.parameters())
    # PyTorch keeps state for an unknown index silently; the engine says the checkpoint
    # does not belong here (it used to raise a bare KeyError: 7).
    with pytest.raises(ValueError, match=r"state for parameter index 7, .*indices \[0, 1\]"):
        fresh.load_state_dict({**saved, "state": {7: saved["state"][0]}})
    with pytest.raises(TypeError, match=r"expected a dict with 'state' and 'param_groups'"):
        fresh.load_state_dict([saved])
    with pytest.raises(KeyError, match=r"no 'param_groups' entry"):
        fresh.load_state_dict({"state": {}})
    with pytest.raises(ValueError, match=r"saved param group has no 'momentum'.*another"):
        optim.SGD(model.parameters(), lr=0.1).load_state_dict(saved)
    wrong = {**saved, "state": {0: {**saved["state"][0], "exp_avg": ne.zeros(5)}}}
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 0 has shape \(5,\)"):
        fresh.load_state_dict(wrong)
    assert fresh.state == {}  # nothing was half-loaded


def test_state_keys_written_as_strings_still_load():
    model, saved = _adam_state()
    fresh = optim.Adam(model.parameters())
    fresh.load_state_dict({**saved, "state": {str(k): v for k, v in saved["state"].items()}})
    assert fresh.state[model.weight]["step"] == 1


def test_a_tensor_lr_tracks_torch_over_steps():
    start = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    w = ne.tensor(start, requires_grad=True)
    tw = torch.tensor(start, requires_grad=True)
    ours = optim.Adam([w], lr=ne.tensor(0.05))
    theirs = torch.optim.Adam([tw], lr=torch.tensor(0.05))
    for _ in range(5):
        for p, opt in ((w, ours), (tw, theirs)):
            opt.zero_grad()
            (p * p * p).sum().backward()
            opt.step()
    assert isinstance(ours.param_groups[0]["lr"], float)  # read once, as a number
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5)


def test_named_parameters_are_accepted_as_pytorch_accepts_them():
    model = nn.Linear(2, 1)
    opt = optim.SGD(model.named_parameters(), lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    assert opt.param_groups[0]["params"] == [model.weight, model.bias]


def test_a_non_leaf_that_retains_grad_is_accepted_like_pytorch():
    x = ne.ones(2, requires_grad=True) * 2
    x.retain_grad()
    optim.SGD([x], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([ne.ones(2, requires_grad=True) * 2], lr=0.1)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("Adam", {"amsgrad": True}),
        ("Adam", {"maximize": True, "weight_decay": 0.1}),
        ("AdamW", {"amsgrad": True}),
        ("Adam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "maximize": True}),
        ("RMSprop", {"maximize": True, "foreach": False}),
    ],
)
def test_pytorchs_switches_change_the_update_as_in_pytorch(name, settings):
    start = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    w, tw = ne.tensor(start, requires_grad=True), torch.tensor(start, requires_grad=True)
    ours, theirs = (
        getattr(optim, name)([w], **settings),
        getattr(torch.optim, name)([tw], **settings),
    )
    for i in range(5):
        for o, p in ((ours, w), (theirs, tw)):
            o.zero_grad()
            (p * p * p * (1 + i)).sum().backward()
            o.step()
    np.testing.assert_allclose(w.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert repr(ours) == repr(theirs)
    for key, value in theirs.state[tw].items():
        np.testing.assert_allclose(ours.state[w][key].numpy(), value.numpy(), rtol=1e-5)


def test_switches_the_engine_lacks_are_refused_by_name():
    with pytest.raises(ValueError, match="capturable=True is for CUDA graphs"):
        optim.Adam([ne.ones(2, requires_grad=True)], capturable=True)
    with pytest.raises(TypeError, match="unexpected argument.*amsgrad_x"):
        optim.Adam([ne.ones(2, requires_grad=True)], amsgrad_x=True)
