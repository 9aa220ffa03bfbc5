"""model.to_torch(): a torch.nn twin for every nn module the engine shares with torch, with
the same settings, weights and buffers; its forward equals the engine's in train and in
eval mode (and from_torch brings it back). nn.utils.torch_twin_missing names the rest."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import interop, nn

RNG = np.random.default_rng(0)


def _floats(*shape, scale=2.0):
    return (RNG.normal(size=shape) * scale).astype(np.float32)


def _probabilities(*shape):
    return RNG.uniform(0.05, 0.95, size=shape).astype(np.float32)


def _targets(*shape, classes):
    return RNG.integers(0, classes, size=shape).astype(np.int64)


# name, the engine module, its inputs as numpy arrays
MODULES = [
    ("ReLU", lambda: nn.ReLU(), lambda: [_floats(4, 5)]),
    ("ReLU6", lambda: nn.ReLU6(), lambda: [_floats(4, 5, scale=5)]),
    ("Sigmoid", lambda: nn.Sigmoid(), lambda: [_floats(4, 5)]),
    ("Tanh", lambda: nn.Tanh(), lambda: [_floats(4, 5)]),
    ("Identity", lambda: nn.Identity(), lambda: [_floats(4, 5)]),
    ("GELU", lambda: nn.GELU(), lambda: [_floats(4, 5)]),
    ("GELU_tanh", lambda: nn.GELU("tanh"), lambda: [_floats(4, 5)]),
    ("SiLU", lambda: nn.SiLU(), lambda: [_floats(4, 5)]),
    ("ELU", lambda: nn.ELU(0.5), lambda: [_floats(4, 5)]),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2), lambda: [_floats(4, 5)]),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 1.5), lambda: [_floats(4, 5)]),
    ("Softplus", lambda: nn.Softplus(2.0, 3.0), lambda: [_floats(4, 5)]),
    ("Softmax", lambda: nn.Softmax(1), lambda: [_floats(4, 5)]),
    ("LogSoftmax", lambda: nn.LogSoftmax(-1), lambda: [_floats(4, 5)]),
    ("Flatten", lambda: nn.Flatten(), lambda: [_floats(2, 3, 4)]),
    ("Flatten_0_1", lambda: nn.Flatten(0, 1), lambda: [_floats(2, 3, 4)]),
    ("Unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: [_floats(4, 6)]),
    ("Dropout_0", lambda: nn.Dropout(0.0), lambda: [_floats(4, 5)]),
    ("Dropout_1", lambda: nn.Dropout(1.0), lambda: [_floats(4, 5)]),
    ("Linear", lambda: nn.Linear(5, 3), lambda: [_floats(4, 5)]),
    ("Linear_no_bias", lambda: nn.Linear(5, 3, bias=False), lambda: [_floats(4, 5)]),
    ("Conv1d", lambda: nn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2, bias=False),
     lambda: [_floats(3, 2, 9)]),
    ("Conv2d_same", lambda: nn.Conv2d(2, 4, 3, padding="same"), lambda: [_floats(2, 2, 6, 6)]),
    ("Conv2d_strided", lambda: nn.Conv2d(1, 3, (2, 3), stride=(2, 1), dilation=(1, 2)),
     lambda: [_floats(2, 1, 7, 8)]),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(3), lambda: [_floats(6, 3)]),
    ("BatchNorm1d_cumulative", lambda: nn.BatchNorm1d(3, momentum=None),
     lambda: [_floats(6, 3, 4)]),
    ("BatchNorm1d_no_affine", lambda: nn.BatchNorm1d(3, affine=False), lambda: [_floats(6, 3)]),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2, eps=1e-3, momentum=0.3),
     lambda: [_floats(4, 2, 3, 3)]),
    ("BatchNorm2d_no_bias", lambda: nn.BatchNorm2d(2, bias=False), lambda: [_floats(4, 2, 3, 3)]),
    ("BatchNorm2d_untracked", lambda: nn.BatchNorm2d(2, track_running_stats=False),
     lambda: [_floats(4, 2, 3, 3)]),
    ("Embedding", lambda: nn.Embedding(10, 4, padding_idx=2),
     lambda: [_targets(3, 5, classes=10)]),
    ("LayerNorm", lambda: nn.LayerNorm(5), lambda: [_floats(4, 5)]),
    ("LayerNorm_plain", lambda: nn.LayerNorm((2, 5), elementwise_affine=False),
     lambda: [_floats(3, 2, 5)]),
    ("LayerNorm_no_bias", lambda: nn.LayerNorm(5, bias=False), lambda: [_floats(4, 5)]),
    ("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2),
     lambda: [_floats(5, 2, 8, scale=1)] * 3),
    ("MultiheadAttention_batch_first", lambda: nn.MultiheadAttention(8, 4, batch_first=True),
     lambda: [_floats(2, 5, 8, scale=1), _floats(2, 3, 8, scale=1), _floats(2, 3, 8, scale=1)]),
    ("MaxPool2d", lambda: nn.MaxPool2d(2), lambda: [_floats(2, 3, 6, 6)]),
    ("MaxPool2d_ceil", lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
     lambda: [_floats(2, 3, 6, 7)]),
    ("MaxPool2d_indices", lambda: nn.MaxPool2d(2, return_indices=True),
     lambda: [_floats(1, 2, 4, 4)]),
    ("AvgPool2d", lambda: nn.AvgPool2d(2), lambda: [_floats(2, 3, 6, 6)]),
    ("AvgPool2d_no_pad_count", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     lambda: [_floats(2, 3, 6, 6)]),
    ("AvgPool2d_ceil", lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True),
     lambda: [_floats(2, 3, 6, 7)]),
    ("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d(1), lambda: [_floats(2, 3, 5, 5)]),
    ("AdaptiveAvgPool2d_2x3", lambda: nn.AdaptiveAvgPool2d((2, 3)),
     lambda: [_floats(2, 3, 5, 7)]),
    ("MSELoss", lambda: nn.MSELoss(), lambda: [_floats(4, 3), _floats(4, 3)]),
    ("L1Loss_sum", lambda: nn.L1Loss(reduction="sum"), lambda: [_floats(4, 3), _floats(4, 3)]),
    ("SmoothL1Loss", lambda: nn.SmoothL1Loss(beta=0.5), lambda: [_floats(4, 3), _floats(4, 3)]),
    ("HuberLoss", lambda: nn.HuberLoss(delta=0.7), lambda: [_floats(4, 3), _floats(4, 3)]),
    ("CrossEntropyLoss", lambda: nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.1),
     lambda: [_floats(6, 4), _targets(6, classes=4)]),
    ("NLLLoss_weight", lambda: nn.NLLLoss(weight=ne.tensor([1.0, 2.0, 0.5, 1.5])),
     lambda: [_floats(6, 4), _targets(6, classes=4)]),
    ("BCELoss", lambda: nn.BCELoss(weight=ne.tensor([1.0, 2.0, 0.5])),
     lambda: [_probabilities(4, 3), _probabilities(4, 3)]),
    ("BCEWithLogitsLoss", lambda: nn.BCEWithLogitsLoss(pos_weight=ne.tensor([1.0, 3.0, 0.5])),
     lambda: [_floats(4, 3), _probabilities(4, 3)]),
]  # fmt: skip


def _numpy(out):
    if isinstance(out, tuple):
        return [_numpy(o) for o in out]
    return out.detach().numpy() if hasattr(out, "detach") else out


def _assert_same(ours, theirs):
    if isinstance(theirs, list):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)


def _run(module, arrays, lib):
    return _numpy(module(*(lib.tensor(a) for a in arrays)))


@pytest.mark.parametrize(("name", "make", "inputs"), MODULES, ids=[m[0] for m in MODULES])
def test_twin_forward_equals_the_engines_in_train_and_eval(name, make, inputs):
    ours = make()
    twin = ours.to_torch()
    kind = name.split("_")[0]
    assert type(twin) is getattr(torch.nn, kind) and twin.training
    arrays = inputs()
    for mode in ("train", "eval"):
        getattr(ours, mode)(), getattr(twin, mode)()
        _assert_same(_run(ours, arrays, ne), _run(twin, arrays, torch))
        for key, value in ours.state_dict().items():  # buffers moved alike (running stats)
            _assert_same(value.numpy(), twin.state_dict()[key].numpy())
    back = nn.Module.from_torch(twin)
    assert type(back) is type(ours) and not back.training
    _assert_same(_run(back, arrays, ne), _run(twin, arrays, torch))


def _settings(module) -> dict:
    names, computed = interop.ARGUMENTS[type(module).__name__]
    values = {key: getattr(module, key) for key in names}
    values.update({k: f(module) for k, f in computed.items() if k not in ("weight", "pos_weight")})
    return values


@pytest.mark.parametrize(("name", "make", "inputs"), MODULES, ids=[m[0] for m in MODULES])
def test_twin_has_the_same_settings(name, make, inputs):
    ours = make()
    settings = _settings(ours)
    theirs = _settings(ours.to_torch())
    normal = {k: tuple(v) if isinstance(v, list) else v for k, v in theirs.items()}
    assert normal == settings


def test_dropout_twin_in_train_mode_drops_and_scales_alike():
    ours = nn.Dropout(0.3)
    twin = ours.to_torch()
    assert twin.p == 0.3 and twin.training
    x = np.ones((200, 50), np.float32)
    for out in (ours(ne.tensor(x)).numpy(), twin(torch.tensor(x)).numpy()):
        np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
        assert 0.27 < (out == 0).mean() < 0.33
    assert nn.Dropout(0.3, inplace=True).to_torch().inplace


def test_every_engine_module_that_torch_has_has_a_twin():
    names = [
        n
        for n, cls in vars(nn).items()
        if isinstance(cls, type) and issubclass(cls, nn.Module) and cls is not nn.Module
    ]
    shared = {n for n in names if hasattr(torch.nn, n)}
    assert shared <= set(interop.ARGUMENTS) | set(interop.CONTAINERS), sorted(
        shared - set(interop.ARGUMENTS) - set(interop.CONTAINERS)
    )
    assert {"Conv2d", "BatchNorm2d", "MaxPool2d", "Unflatten", "SiLU"} <= shared


def test_containers_modes_and_dtype_cross_over():
    ours = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1),
        nn.BatchNorm2d(2),
        nn.ModuleDict({"act": nn.LeakyReLU(), "drop": nn.Dropout(0.5)}),
        nn.ModuleList([nn.Flatten(), nn.Linear(32, 3)]),
    ).double()
    ours[1].eval()  # one layer in eval mode, the rest training
    twin = ours.to_torch()
    assert isinstance(twin[2], torch.nn.ModuleDict) and list(twin[2]) == ["act", "drop"]
    assert isinstance(twin[3], torch.nn.ModuleList)
    assert twin.training and not twin[1].training and twin[2]["drop"].training
    assert (
        twin[0].weight.dtype == torch.float64 and twin[1].num_batches_tracked.dtype == torch.int64
    )
    assert isinstance(twin[0].weight, torch.nn.Parameter) and twin[0].weight.requires_grad
    back = nn.Module.from_torch(twin)
    assert not back[1].training and back[2]["drop"].training
    assert list(back.state_dict()) == list(ours.state_dict())


def test_torch_twin_missing_names_the_modules_without_a_twin():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return self.fc(x).relu()

    assert nn.utils.torch_twin_missing(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())) == []
    assert nn.utils.torch_twin_missing(Block()) == ["model (Block)"]
    model = nn.Sequential(nn.Linear(2, 2), Block(), nn.ModuleList([nn.ReLU(), Block()]))
    assert nn.utils.torch_twin_missing(model) == ["1 (Block)", "2.1 (Block)"]
    with pytest.raises(TypeError, match=r"to_torch: no torch twin for 1 \(Block\), 2.1 \(Block\)"):
        model.to_torch()
