"""Convolution, pooling and batch norm against PyTorch: values, gradients, graph node names,
running statistics, layers (init, reprs, state_dict) and the errors a learner meets."""

import time
import warnings

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import nn
from nnbench.engine.nn import functional as F

from .against_torch import check_case

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(arrays, device):
    engine = [ne.tensor(a, device=device, requires_grad=True) for a in arrays]
    reference = [torch.tensor(a, requires_grad=True) for a in arrays]
    return engine, reference


def _same_values_and_grads(f, tf, arrays, device, tol=1e-10):
    """f on the engine and tf on torch, float64: the outputs, node names and the gradients
    of a weighted sum agree."""
    rng = np.random.default_rng(1)
    engine, reference = _pair(arrays, device)
    out, expected = f(*engine), tf(*reference)
    assert out.grad_fn.name() == type(expected.grad_fn).__name__
    np.testing.assert_allclose(out.detach().cpu().numpy(), expected.detach().numpy(), atol=tol)
    weights = rng.standard_normal(tuple(expected.shape))
    (out * ne.tensor(weights, device=device)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, theirs in zip(engine, reference):
        np.testing.assert_allclose(mine.grad.cpu().numpy(), theirs.grad.numpy(), atol=tol)


CONV2D = [
    ((2, 3, 8, 8), (4, 3, 3, 3), {}),
    ((2, 3, 8, 7), (4, 3, 3, 3), {"stride": 2, "padding": 1}),
    ((1, 2, 9, 8), (3, 2, 3, 2), {"stride": (2, 3), "padding": (2, 1), "dilation": (2, 1)}),
    ((2, 4, 7, 9), (6, 2, 3, 2), {"groups": 2, "padding": 1}),
    ((2, 6, 5, 5), (6, 1, 3, 3), {"groups": 6, "padding": "same"}),  # depthwise
    ((1, 2, 6, 5), (3, 2, 2, 4), {"padding": "same", "dilation": (1, 2)}),  # even: padded after
    ((1, 2, 6, 5), (3, 2, 3, 3), {"padding": "valid"}),
    ((3, 6, 6), (4, 3, 3, 3), {"padding": 1}),  # one sample without the batch dim
    ((2, 1, 1, 1), (2, 1, 1, 1), {}),
]


@pytest.mark.parametrize(("x", "w", "kw"), CONV2D, ids=lambda v: str(v))
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_pytorch(x, w, kw, bias, device):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x), rng.standard_normal(w)]
    if bias:
        arrays.append(rng.standard_normal(w[0]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note about padding='same' with even kernels
        _same_values_and_grads(
            lambda *t: F.conv2d(*t, **kw), lambda *t: TF.conv2d(*t, **kw), arrays, device
        )


@pytest.mark.parametrize(
    ("x", "w", "kw"),
    [
        ((2, 3, 10), (4, 3, 3), {}),
        ((2, 3, 10), (4, 3, 3), {"stride": 2, "padding": 2, "dilation": 2}),
        ((2, 4, 9), (6, 2, 4), {"groups": 2, "padding": "same"}),
        ((3, 7), (2, 3, 2), {}),
    ],
)
def test_conv1d_matches_pytorch(x, w, kw, device):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x), rng.standard_normal(w), rng.standard_normal(w[0])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note about padding='same' with even kernels
        _same_values_and_grads(
            lambda *t: F.conv1d(*t, **kw), lambda *t: TF.conv1d(*t, **kw), arrays, device
        )


POOLS = [
    {"kernel_size": 2},
    {"kernel_size": 3, "stride": 2, "padding": 1},
    {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0)},
    {"kernel_size": 3, "stride": 2, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
]


@pytest.mark.parametrize("kw", POOLS, ids=str)
def test_max_pool2d_values_gradients_and_indices_match_pytorch(kw, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    for dilation in (1, 2) if not kw.get("ceil_mode") else (1,):
        settings = {**kw, "dilation": dilation}
        _same_values_and_grads(
            lambda t, s=settings: F.max_pool2d(t, **s),
            lambda t, s=settings: TF.max_pool2d(t, **s),
            [x],
            device,
        )
        _, indices = F.max_pool2d(ne.tensor(x, device=device), **settings, return_indices=True)
        _, expected = TF.max_pool2d(torch.tensor(x), **settings, return_indices=True)
        assert indices.dtype == ne.int64
        np.testing.assert_array_equal(indices.cpu().numpy(), expected.numpy())


def test_max_pool2d_ties_go_to_the_first_and_nan_wins(device):
    x = np.array([[[[1.0, 1.0], [0.0, 1.0]]], [[[0.0, np.nan], [2.0, 1.0]]]])
    _, mine = F.max_pool2d(ne.tensor(x, device=device), 2, return_indices=True)
    values, theirs = TF.max_pool2d(torch.tensor(x), 2, return_indices=True)
    np.testing.assert_array_equal(mine.cpu().numpy(), theirs.numpy())
    got = F.max_pool2d(ne.tensor(x, device=device), 2).cpu().numpy()
    np.testing.assert_array_equal(got, values.numpy())  # NaN where torch has NaN


@pytest.mark.parametrize("kw", POOLS, ids=str)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_matches_pytorch(kw, count_include_pad, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    settings = {**kw, "count_include_pad": count_include_pad}
    _same_values_and_grads(
        lambda t: F.avg_pool2d(t, **settings), lambda t: TF.avg_pool2d(t, **settings), [x], device
    )


@pytest.mark.parametrize("size", [1, (1, 1), 2, (3, 3), (4, 5), (2, None), (7, 8)])
def test_adaptive_avg_pool2d_matches_pytorch(size, device):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    _same_values_and_grads(
        lambda t: F.adaptive_avg_pool2d(t, size),
        lambda t: TF.adaptive_avg_pool2d(t, size),
        [x],
        device,
    )


def test_pool1d_runs_as_pytorch_does_through_the_2d_node(device):
    x = np.random.default_rng(0).standard_normal((2, 3, 10))
    for f, tf in ((F.max_pool1d, TF.max_pool1d), (F.avg_pool1d, TF.avg_pool1d)):
        _same_values_and_grads(
            lambda t, f=f: f(t, 3, 2, 1), lambda t, tf=tf: tf(t, 3, 2, 1), [x], device
        )
        out = f(ne.tensor(x, requires_grad=True), 3, 2, 1)
        inner = out.grad_fn.next_functions[0][0].name()
        assert inner in ("MaxPool2DWithIndicesBackward0", "AvgPool2DBackward0")


# ---------------------------------------------------------------- batch norm
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (4, 3, 2, 2)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_matches_pytorch(shape, training, affine, device):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) * 2 + 1]
    if affine:
        arrays += [rng.standard_normal(3), rng.standard_normal(3)]
    mean, var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    stats = [ne.tensor(mean, device=device), ne.tensor(var, device=device)]
    reference = [torch.tensor(mean), torch.tensor(var)]

    def f(x, w=None, b=None):
        return F.batch_norm(x, *stats, w, b, training=training, momentum=0.3)

    def tf(x, w=None, b=None):
        return TF.batch_norm(x, *reference, w, b, training=training, momentum=0.3)

    _same_values_and_grads(f, tf, arrays, device)
    for mine, theirs in zip(stats, reference):  # updated in place, unbiased variance
        np.testing.assert_allclose(mine.cpu().numpy(), theirs.numpy(), atol=1e-12)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize(
    ("layer", "shape"),
    [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 5, 5))],
)
def test_batch_norm_layers_keep_running_stats_as_pytorch_over_steps(layer, shape, momentum):
    rng = np.random.default_rng(0)
    mine = getattr(nn, layer)(3, momentum=momentum).double()
    theirs = getattr(torch.nn, layer)(3, momentum=momentum).double()
    for _ in range(4):
        x = rng.standard_normal(shape) * 3 + 1
        np.testing.assert_allclose(
            mine(ne.tensor(x)).detach().numpy(),
            theirs(torch.tensor(x)).detach().numpy(),
            atol=1e-10,
        )
    for name, value in theirs.state_dict().items():
        got = mine.state_dict()[name]
        assert got.dtype.name == str(value.dtype).removeprefix("torch."), name
        np.testing.assert_allclose(got.numpy(), value.numpy(), atol=1e-12, err_msg=name)
    assert int(mine.num_batches_tracked.item()) == 4
    mine.eval(), theirs.eval()
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(
        mine(ne.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-10
    )
    assert int(mine.num_batches_tracked.item()) == 4  # eval counts no batches


def test_batch_norm_without_running_stats_uses_the_batch_in_eval_too():
    x = np.random.default_rng(0).standard_normal((5, 3))
    mine = nn.BatchNorm1d(3, track_running_stats=False, affine=False).eval()
    theirs = torch.nn.BatchNorm1d(3, track_running_stats=False, affine=False).eval()
    assert list(mine.state_dict()) == list(theirs.state_dict()) == []
    np.testing.assert_allclose(
        mine(ne.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), atol=1e-6
    )


def test_batch_norm_in_a_cnn_saves_and_loads_its_buffers(tmp_path):
    def model():
        return nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1),
            nn.BatchNorm2d(4),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16, 2),
        )

    trained = model()
    trained(ne.randn(8, 1, 4, 4))  # one training step's statistics
    keys = list(trained.state_dict())
    assert keys == [
        "0.weight",
        "0.bias",
        "1.weight",
        "1.bias",
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
        "5.weight",
        "5.bias",
    ]  # PyTorch's order: module by module
    path = ne.save(trained.state_dict(), tmp_path / "cnn.safetensors")
    fresh = model()
    fresh.load_state_dict(ne.load(path))
    for key, value in trained.state_dict().items():
        assert fresh.state_dict()[key].dtype == value.dtype, key
        np.testing.assert_array_equal(fresh.state_dict()[key].numpy(), value.numpy())
    x = ne.randn(3, 1, 4, 4)
    trained.eval(), fresh.eval()
    np.testing.assert_array_equal(trained(x).detach().numpy(), fresh(x).detach().numpy())
    assert fresh.double().state_dict()["1.num_batches_tracked"].dtype == ne.int64


# ---------------------------------------------------------------- layers
def test_layers_print_as_pytorch_prints_them():
    pairs = [
        ("Conv2d", (1, 8, 3), {"padding": 1}),
        ("Conv2d", (1, 8, (3, 2)), {}),
        ("Conv2d", (2, 4, 3), {"padding": "same", "groups": 2, "bias": False}),
        ("Conv1d", (2, 4, 3), {"stride": 2, "dilation": 2, "groups": 2, "bias": False}),
        ("MaxPool2d", (2,), {}),
        ("MaxPool2d", (3, 2, 1), {"ceil_mode": True}),
        ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}),
        ("AdaptiveAvgPool2d", ((2, 3),), {}),
        ("BatchNorm1d", (4,), {}),
        ("BatchNorm2d", (3,), {"affine": False, "momentum": None}),
    ]
    for name, args, kw in pairs:
        assert repr(getattr(nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


def test_conv_layers_initialise_as_pytorch():
    """kaiming_uniform(a=sqrt(5)): U(-1/sqrt(fan_in), ...), and the bias likewise."""
    ne.manual_seed(0)
    layer = nn.Conv2d(4, 64, 3)
    bound = 1 / np.sqrt(4 * 9)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.95 * bound
    assert np.abs(bias).max() <= bound
    assert abs(weight.std() - bound / np.sqrt(3)) < 0.01
    assert layer.weight.shape == (64, 4, 3, 3) and nn.Conv1d(6, 4, 5, groups=2).weight.shape == (
        4,
        3,
        5,
    )


def test_conv_layer_trains_a_step():
    layer = nn.Conv2d(1, 2, 3)
    loss = layer(ne.randn(4, 1, 5, 5)).square().mean()
    loss.backward()
    assert layer.weight.grad.shape == (2, 1, 3, 3) and layer.bias.grad.shape == (2,)


# ---------------------------------------------------------------- errors
def _conv_channels(m, d):
    return m.nn.Conv2d(3, 4, 3)(m.ones(2, 1, 8, 8, device=d))


def _conv_rank(m, d):
    return m.nn.Conv2d(1, 4, 3)(m.ones(2, 64, device=d))


def _bn_rank(m, d):
    return m.nn.BatchNorm2d(3)(m.ones(2, 3, 4, device=d))


def _bn_features(m, d):
    return m.nn.BatchNorm1d(3)(m.ones(2, 4, device=d))


def _bn_one_value(m, d):
    return m.nn.BatchNorm1d(3)(m.ones(1, 3, device=d))


def _kernel_too_big(m, d):
    return m.nn.functional.conv2d(m.ones(1, 3, 2, 2, device=d), m.ones(4, 3, 3, 3, device=d))


def _same_strided(m, d):
    return m.nn.functional.conv2d(
        m.ones(1, 3, 8, 8, device=d), m.ones(4, 3, 3, 3, device=d), stride=2, padding="same"
    )


def _pool_too_small(m, d):
    return m.nn.functional.max_pool2d(m.ones(1, 1, 1, 1, device=d), 2)


def _pool_padding(m, d):
    return m.nn.functional.max_pool2d(m.ones(1, 1, 4, 4, device=d), 2, padding=2)


def _dtype(m, d):
    return m.nn.functional.conv2d(
        m.ones(1, 3, 8, 8, device=d, dtype=m.float64), m.ones(4, 3, 3, 3, device=d)
    )


ERRORS = [
    (_conv_channels, r"Conv2d\(1?3, 4.*1 channels.*expects 3.*\(2, 1, 8, 8\)"),
    (_conv_rank, r"Conv2d\(1, 4, kernel_size=\(3, 3\).*4-D input.*\(2, 64\).*reshape"),
    (_bn_rank, r"BatchNorm2d\(3.*expected 4D input \(got 3D input"),
    (_bn_features, r"running_mean should contain 4 elements.*num_features"),
    (_bn_one_value, r"more than 1 value per channel when training.*\(1, 3\)"),
    (_kernel_too_big, r"2 x 2 per channel.*kernel.*3 x 3"),
    (_same_strided, r"padding='same' is not supported for strided convolutions"),
    (_pool_too_small, r"output size is too small"),
    (_pool_padding, r"padding should be at most half of the kernel size"),
    (_dtype, r"same dtype.*float64.*float32"),
]


@pytest.mark.parametrize(("fn", "pattern"), ERRORS, ids=lambda v: getattr(v, "__name__", ""))
def test_errors_use_pytorchs_class_and_say_what_to_fix(fn, pattern):
    check_case(fn, pattern)


def test_an_error_inside_a_model_names_the_layer_and_where_it_sits():
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3))
    with pytest.raises(RuntimeError, match=r"Conv2d\(4, 8.*layer '2' of Sequential.*8 channels"):
        model(ne.ones(2, 1, 8, 8))


def test_conv_forward_is_vectorised():
    """A batch of 256 8x8 images through a 16-channel 3x3 conv, forward and backward,
    in well under a second (no Python loop over pixels or samples)."""
    layer = nn.Conv2d(8, 16, 3, padding=1)
    x = ne.randn(256, 8, 8, 8, requires_grad=True)
    start = time.perf_counter()
    layer(x).sum().backward()
    assert time.perf_counter() - start < 1.0
