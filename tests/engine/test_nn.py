"""nn against torch.nn: every layer's forward and gradients with copied weights."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn
from nnbench.engine import nn as F_module
from nnbench.engine.workbench.testing import FORWARD_TOL, GRAD_TOL

F = F_module.functional


def _pair(value, dtype=np.float32, requires_grad=True, device="numpy"):
    ours = ne.tensor(value.astype(dtype), device=device, requires_grad=requires_grad)
    theirs = torch.tensor(value.astype(dtype), requires_grad=requires_grad)
    return ours, theirs


def _close(ours, theirs, tol):
    np.testing.assert_allclose(
        ours.detach().cpu().numpy() if hasattr(ours, "cpu") else ours.detach().numpy(),
        theirs.detach().numpy(),
        atol=tol[0],
        rtol=tol[1],
    )


LAYERS = [
    ("linear", lambda: nn.Linear(5, 4), (3, 5)),
    ("linear_no_bias", lambda: nn.Linear(5, 4, bias=False), (2, 3, 5)),
    ("relu", lambda: nn.ReLU(), (3, 5)),
    ("gelu", lambda: nn.GELU(), (3, 5)),
    ("gelu_tanh", lambda: nn.GELU("tanh"), (3, 5)),
    ("sigmoid", lambda: nn.Sigmoid(), (3, 5)),
    ("tanh", lambda: nn.Tanh(), (3, 5)),
    ("softmax", lambda: nn.Softmax(dim=1), (3, 5)),
    ("log_softmax", lambda: nn.LogSoftmax(dim=-1), (3, 5)),
    ("layer_norm", lambda: nn.LayerNorm(5), (3, 5)),
    ("layer_norm_2d", lambda: nn.LayerNorm((2, 5)), (3, 2, 5)),
    ("flatten", lambda: nn.Flatten(), (3, 2, 5)),
    ("identity", lambda: nn.Identity(), (3, 5)),
    ("dropout_eval", lambda: nn.Dropout(0.5).eval(), (3, 5)),
    (
        "mlp",
        lambda: nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3), nn.LogSoftmax(1)),
        (4, 5),
    ),
]


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch_forward_and_gradients(name, make, shape, device):
    ours = make().to(device)
    theirs = ours.to_torch()
    x, tx = _pair(np.random.default_rng(1).normal(size=shape), device=device)
    out, reference = ours(x), theirs(tx)
    _close(out, reference, FORWARD_TOL)
    weights = np.random.default_rng(2).uniform(0.5, 1.5, size=tuple(reference.shape))
    (out * ne.tensor(weights.astype(np.float32), device=device)).sum().backward()
    (reference * torch.tensor(weights.astype(np.float32))).sum().backward()
    _close(x.grad, tx.grad, GRAD_TOL)
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn and tuple(p.shape) == tuple(tp.shape)
        _close(p.grad, tp.grad, GRAD_TOL)


def test_embedding_matches_torch_with_repeated_indices(device):
    ours = nn.Embedding(10, 4).to(device)
    theirs = ours.to_torch()
    idx = [[1, 2, 1], [9, 1, 0]]
    out = ours(ne.tensor(idx, device=device))
    reference = theirs(torch.tensor(idx))
    _close(out, reference, FORWARD_TOL)
    out.pow(2).sum().backward()
    reference.pow(2).sum().backward()
    _close(ours.weight.grad, theirs.weight.grad, GRAD_TOL)


def test_default_initialisation_has_torch_shapes_and_bounds():
    layer = nn.Linear(64, 10)
    assert layer.weight.shape == (10, 64) and layer.bias.shape == (10,)
    bound = 1 / np.sqrt(64)
    assert np.abs(layer.weight.detach().numpy()).max() <= bound
    assert abs(layer.weight.detach().numpy().std() - bound / np.sqrt(3)) < 0.01  # U(-b, b)
    norm = nn.LayerNorm(8)
    assert norm.weight.tolist() == [1.0] * 8 and norm.bias.tolist() == [0.0] * 8
    assert abs(nn.Embedding(1000, 8).weight.detach().numpy().std() - 1) < 0.05


LOSSES = [
    ("cross_entropy", {}),
    ("cross_entropy_sum", {"reduction": "sum"}),
    ("cross_entropy_none", {"reduction": "none"}),
    ("cross_entropy_ignore", {"ignore_index": 2}),
    ("cross_entropy_smooth", {"label_smoothing": 0.1}),
    ("cross_entropy_smooth_ignore", {"label_smoothing": 0.2, "ignore_index": 0}),
]


@pytest.mark.parametrize(("name", "kwargs"), LOSSES, ids=[c[0] for c in LOSSES])
def test_cross_entropy_matches_torch(name, kwargs, device):
    rng = np.random.default_rng(4)
    x, tx = _pair(rng.normal(size=(6, 4)) * 3, device=device)
    target = [0, 2, 3, 2, 1, 0]
    out = nn.CrossEntropyLoss(**kwargs)(x, ne.tensor(target, device=device))
    reference = torch.nn.CrossEntropyLoss(**kwargs)(tx, torch.tensor(target))
    _close(out, reference, FORWARD_TOL)
    out.sum().backward()
    reference.sum().backward()
    _close(x.grad, tx.grad, GRAD_TOL)


def test_nll_and_mse_losses_match_torch(device):
    rng = np.random.default_rng(5)
    x, tx = _pair(rng.normal(size=(5, 3)), device=device)
    target = [0, 1, 2, 1, 0]
    out = nn.NLLLoss()(x.log_softmax(1), ne.tensor(target, device=device))
    reference = torch.nn.NLLLoss()(tx.log_softmax(1), torch.tensor(target))
    _close(out, reference, FORWARD_TOL)
    y, ty = _pair(rng.normal(size=(5, 3)), requires_grad=False, device=device)
    mse, reference_mse = nn.MSELoss()(x, y), torch.nn.MSELoss()(tx, ty)
    _close(mse, reference_mse, FORWARD_TOL)
    (out + mse).backward()
    (reference + reference_mse).backward()
    _close(x.grad, tx.grad, GRAD_TOL)


def test_single_sample_cross_entropy_matches_torch():
    x, tx = _pair(np.array([1.0, 2.0, 0.5]))
    out = F.cross_entropy(x, ne.tensor(1))
    reference = torch.nn.functional.cross_entropy(tx, torch.tensor(1))
    _close(out, reference, FORWARD_TOL)


@pytest.mark.parametrize(
    ("target", "error", "pattern"),
    [
        (ne.tensor([0.0, 1.0]), ne.DTypeError, r"int64, but it is float32.*target.long\(\)"),
        (ne.tensor([[0], [1]]), ne.ShapeError, r"target must have shape \(2,\).*\(2, 1\)"),
        (ne.tensor([0, 3]), IndexError, r"target 3 at position 1 is out of range for 3 classes"),
        (ne.tensor([-1, 0]), IndexError, r"target -1 at position 0 is out of range"),
    ],
)
def test_bad_cross_entropy_targets_name_the_value_position_and_classes(target, error, pattern):
    with pytest.raises(error, match=pattern):
        F.cross_entropy(ne.zeros(2, 3), target)


def test_cross_entropy_wants_flattened_sequences():
    with pytest.raises(ne.ShapeError, match=r"reshape\(-1, C\)"):
        F.cross_entropy(ne.zeros(2, 4, 3), ne.zeros(2, 4).long())


def test_mse_loss_warns_about_silent_broadcasting():
    with pytest.warns(UserWarning, match=r"\(N, N\)"):
        loss = F.mse_loss(ne.zeros(4, 1), ne.zeros(4))
    assert loss.item() == 0.0


def test_dropout_is_inverted_in_training_and_identity_in_eval():
    layer = nn.Dropout(0.25)
    x = ne.ones(10000)
    y = layer(x).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert layer.eval()(x).tolist() == x.tolist()


def test_module_registration_names_and_repr():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 16)
            self.act = nn.ReLU()
            self.fc2 = nn.Linear(16, 3)
            self.scale = 2.0

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x))) * self.scale

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "fc1.weight",
        "fc1.bias",
        "fc2.weight",
        "fc2.bias",
    ]
    assert [type(m).__name__ for m in net.children()] == ["Linear", "ReLU", "Linear"]
    assert repr(net.fc1) == "Linear(in_features=4, out_features=16, bias=True)"
    assert repr(net).splitlines()[1] == "  (fc1): Linear(in_features=4, out_features=16, bias=True)"
    assert not net.eval().fc1.training and net.train().act.training
    assert net(ne.ones(2, 4)).shape == (2, 3)


def test_state_dict_round_trip_and_strict_errors_change_nothing():
    a, b = nn.Linear(3, 2), nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    assert b.weight.tolist() == a.weight.tolist()
    before = b.weight.tolist()
    with pytest.raises(ne.ShapeError, match=r"missing keys: bias.*Nothing was loaded"):
        b.load_state_dict({"weight": ne.zeros(2, 3)})
    with pytest.raises(ne.ShapeError, match=r"unexpected keys: extra"):
        b.load_state_dict({**a.state_dict(), "extra": ne.zeros(1)})
    with pytest.raises(ne.ShapeError, match=r"wrong shapes: weight: checkpoint \(3, 3\)"):
        b.load_state_dict({"weight": ne.zeros(3, 3), "bias": ne.zeros(2)})
    assert b.weight.tolist() == before
    result = b.load_state_dict({"weight": ne.zeros(2, 3)}, strict=False)
    assert result.missing_keys == ["bias"] and b.weight.tolist() == [[0.0] * 3] * 2


def test_forward_and_full_backward_hooks():
    layer = nn.Linear(3, 2)
    seen = {}
    layer.register_forward_hook(lambda m, inputs, out: seen.update(forward=out.shape))
    handle = layer.register_full_backward_hook(
        lambda m, grad_in, grad_out: seen.update(grad_in=grad_in, grad_out=grad_out)
    )
    x = ne.ones(4, 3, requires_grad=True)
    layer(x).sum().backward()
    assert seen["forward"] == (4, 2)
    assert seen["grad_out"][0].tolist() == [[1.0, 1.0]] * 4
    np.testing.assert_allclose(seen["grad_in"][0].numpy(), x.grad.numpy())
    handle.remove()
    seen.clear()
    layer(x).sum().backward()
    assert "grad_in" not in seen


def test_backward_hook_fires_when_the_input_needs_no_grad():
    layer = nn.Linear(3, 2)
    seen = []
    layer.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    layer(ne.ones(1, 3)).sum().backward()
    assert seen and seen[0][0] == (None,)


def test_module_to_moves_parameters_in_place():
    layer = nn.Linear(3, 2)
    weight = layer.weight
    layer.to("torch:cpu")
    assert layer.weight is weight and weight.device.backend_name == "torch"
    layer.to(ne.float64)
    assert weight.dtype is ne.float64
    assert layer(ne.ones(1, 3, dtype=ne.float64, device="torch:cpu")).shape == (1, 2)


def test_to_torch_and_from_torch_give_the_same_outputs():
    ours = nn.Sequential(
        nn.Linear(4, 8), nn.LayerNorm(8), nn.GELU(), nn.Dropout(0.1), nn.Linear(8, 3)
    ).eval()
    twin = ours.to_torch()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(ne.tensor(x)).detach().numpy(), twin(torch.tensor(x)).detach().numpy(), atol=1e-6
    )
    back = nn.Module.from_torch(twin)
    np.testing.assert_allclose(
        back(ne.tensor(x)).detach().numpy(), ours(ne.tensor(x)).detach().numpy(), atol=0
    )
    with pytest.raises(TypeError, match="no engine counterpart"):
        nn.Module.from_torch(torch.nn.GRU(1, 1))


def test_trace_names_the_module_that_ran_each_op():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    recorded = ne.trace(model, ne.ones(2, 3))
    kinds = [(r.op, type(r.module).__name__) for r in recorded]
    assert ("addmm", "Linear") in kinds and ("relu", "ReLU") in kinds


def test_one_hot_matches_torch():
    idx = [0, 2, 1, 2]
    ours = F.one_hot(ne.tensor(idx), 4)
    assert ours.tolist() == torch.nn.functional.one_hot(torch.tensor(idx), 4).tolist()
    assert F.one_hot(ne.tensor(idx)).shape == (4, 3)


@pytest.mark.parametrize(
    ("init_fn", "expected_std"),
    [
        (lambda t: nn.init.kaiming_uniform_(t, nonlinearity="relu"), np.sqrt(2 / 200)),
        (lambda t: nn.init.kaiming_normal_(t, nonlinearity="relu"), np.sqrt(2 / 200)),
        (lambda t: nn.init.xavier_uniform_(t), np.sqrt(2 / (200 + 300))),
        (lambda t: nn.init.normal_(t, 0.0, 0.3), 0.3),
    ],
)
def test_init_functions_fill_in_place_with_the_right_spread(init_fn, expected_std):
    w = nn.Parameter(ne.zeros(300, 200))
    assert init_fn(w) is w and w.requires_grad
    assert abs(w.detach().numpy().std() - expected_std) / expected_std < 0.05


def test_zeros_and_ones_init():
    w = nn.Parameter(ne.randn(3, 2))
    assert nn.init.zeros_(w).tolist() == [[0.0, 0.0]] * 3
    assert nn.init.ones_(w).tolist() == [[1.0, 1.0]] * 3


def test_zero_size_linear_trains_like_torch():
    with pytest.warns(UserWarning, match="zero-element"):
        layer = nn.Linear(0, 3)
    out = layer(ne.zeros(4, 0))
    assert out.shape == (4, 3) and out.abs().sum().item() == 0  # the bias bound is 0
    out.sum().backward()
    assert layer.weight.grad.shape == (3, 0) and layer.bias.grad.tolist() == [4.0] * 3


def test_a_buffer_stays_a_buffer_when_assigned():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("seen", ne.zeros(1))

    m = Counter()
    m.seen = ne.ones(1)
    assert dict(m.named_buffers())["seen"].tolist() == [1.0]
    with pytest.raises(TypeError, match="register_parameter: cannot assign Tensor"):
        m.register_parameter("w", ne.zeros(1))


def test_errors_of_a_nested_linear_name_its_path():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
            self.head = nn.Linear(2, 1)

        def forward(self, x):
            return self.head(self.body(x))

    with pytest.raises(ne.ShapeError, match=r"layer 'head' of Net\): .*shape \(5, 3\)"):
        Net()(ne.ones(5, 4))
