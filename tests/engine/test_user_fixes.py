"""What a new user met in the op breadth of issue 12, each against torch 2.13: the
scheduler's step per batch, binary accuracy, in-place activations, messages, minimum and
reciprocal as nodes of their own."""

import re
import warnings

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.nn import functional as F
from nnbench.engine.utils.data import DataLoader, TensorDataset
from nnbench.engine.workbench import training
from nnbench.engine.workbench.training import StepReport, Trainer


# ---------------------------------------------------------------------- 1. scheduler_step
def _regression(scheduler_maker, batches=5, **kwargs):
    x = ne.tensor(np.linspace(-1, 1, 4 * batches, dtype=np.float32).reshape(-1, 1))
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return Experiment(
        name="sched",
        model=model,
        loss_fn=nn.MSELoss(),
        optimizer=opt,
        train_loader=DataLoader(TensorDataset(x, 2 * x), batch_size=4),
        scheduler=scheduler_maker(opt),
        task="regression",
        **kwargs,
    )


def _lrs_of_a_run(experiment, tmp_path, epochs):
    trainer = Trainer(experiment, runs_dir=tmp_path, write_metrics=False)
    return [r.lr for r in trainer.run(epochs) if isinstance(r, StepReport)]


def _torch_lrs(maker, steps, per_batch_of=None):
    """The lr of each of ``steps`` updates with torch's scheduler stepped after every
    update (per_batch_of None) or after every ``per_batch_of`` updates (an epoch)."""
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.01, momentum=0.9)
    scheduler = maker(opt)
    lrs = []
    for i in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if per_batch_of is None or (i + 1) % per_batch_of == 0:
            scheduler.step()
    return lrs


def test_one_cycle_lr_steps_per_batch_as_torch(tmp_path):
    def maker(lib):
        return lambda opt: lib.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=0.1, epochs=2, steps_per_epoch=5
        )

    experiment = _regression(maker(ne))
    assert experiment.scheduler_step == "auto" and experiment.steps_scheduler_per_batch
    got = _lrs_of_a_run(experiment, tmp_path, 2)
    expected = _torch_lrs(maker(torch), 10)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert len(set(np.round(got[:5], 12))) == 5  # the lr moves within the first epoch


def test_lambda_lr_warmup_per_batch_and_epoch_by_default(tmp_path):
    def maker(lib):
        return lambda opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 4))

    per_batch = _regression(maker(ne), scheduler_step="batch")
    np.testing.assert_allclose(
        _lrs_of_a_run(per_batch, tmp_path, 2), _torch_lrs(maker(torch), 10), rtol=1e-12
    )
    per_epoch = _regression(maker(ne))  # auto: LambdaLR steps once an epoch
    assert not per_epoch.steps_scheduler_per_batch
    np.testing.assert_allclose(
        _lrs_of_a_run(per_epoch, tmp_path, 2), _torch_lrs(maker(torch), 10, 5), rtol=1e-12
    )


def test_one_cycle_lr_per_epoch_when_asked_and_a_bad_setting(tmp_path):
    def maker(opt):
        return optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)

    lrs = _lrs_of_a_run(_regression(maker, scheduler_step="epoch"), tmp_path, 2)
    assert len(set(lrs[:5])) == 1 and lrs[5] != lrs[4]
    with pytest.raises(
        ValueError, match=r"scheduler_step must be 'epoch', 'batch' or 'auto'.*'step'"
    ):
        _regression(maker, scheduler_step="step")


# ---------------------------------------------------------------------- 2. binary accuracy
def _binary_experiment(loss_fn, shape, sigmoid=False):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    layers = [nn.Linear(2, 1)] + ([nn.Sigmoid()] if sigmoid else [])
    if shape == (40,):
        layers.append(nn.Flatten(0))
    model = nn.Sequential(*layers)
    with ne.no_grad():  # a perfect classifier: the logit is 10 * x0
        model[0].weight.copy_(ne.tensor([[10.0, 0.0]]))
        model[0].bias.zero_()
    target = ne.tensor(y.reshape(shape))
    return Experiment(
        name="binary",
        model=model,
        loss_fn=loss_fn,
        optimizer=optim.SGD(model.parameters(), lr=0.1),
        val_data=(ne.tensor(x), target),
        example_batch=(ne.tensor(x), target),
    )


@pytest.mark.parametrize("shape", [(40, 1), (40,)])
def test_binary_accuracy_from_one_logit(shape, tmp_path):
    experiment = _binary_experiment(nn.BCEWithLogitsLoss(), shape)
    _, accuracy = Trainer(experiment, runs_dir=tmp_path).evaluate()
    assert accuracy == 1.0  # argmax over one column said 0.5 (every prediction class 0)


def test_binary_accuracy_from_probabilities_thresholds_at_half(tmp_path):
    experiment = _binary_experiment(nn.BCELoss(), (40, 1), sigmoid=True)
    assert Trainer(experiment, runs_dir=tmp_path).evaluate()[1] == 1.0
    accuracy_of = training.accuracy_of
    probabilities = ne.tensor([[0.4], [0.6], [0.7], [0.2]])
    target = ne.tensor([[0.0], [1.0], [0.0], [1.0]])
    # at 0.5: right, right, wrong, wrong; a logit threshold (0) would call all four 1
    assert accuracy_of(probabilities, target, nn.BCELoss()) == 0.5
    assert accuracy_of(probabilities, target, F.binary_cross_entropy) == 0.5
    assert accuracy_of(probabilities, target, nn.BCEWithLogitsLoss()) == 0.5
    assert accuracy_of(ne.tensor([-1.0, 2.0]), ne.tensor([0.9, 0.2]), None) == 0.0  # rounded
    assert accuracy_of(ne.tensor([[1.0, 3.0], [2.0, 0.0]]), ne.tensor([1, 1]), None) == 0.5


# ---------------------------------------------------------------------- 6. inplace=True
ACTIVATIONS = [
    ("relu", {}, "ReLU", {}),
    ("relu6", {}, "ReLU6", {}),
    ("elu", {"alpha": 0.5}, "ELU", {"alpha": 0.5}),
    ("hardtanh", {"min_val": -0.5, "max_val": 1.5}, "Hardtanh", {"min_val": -0.5, "max_val": 1.5}),
    ("silu", {}, "SiLU", {}),
    ("leaky_relu", {"negative_slope": 0.2}, "LeakyReLU", {"negative_slope": 0.2}),
]
VALUES = np.array([-3.0, -0.7, -0.1, 0.2, 0.9, 4.0], np.float32)


@pytest.mark.parametrize(
    ("fn", "kw", "module", "module_kw"), ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS]
)
def test_inplace_activation_as_torch(fn, kw, module, module_kw):
    for lib, functional in ((ne, F), (torch, torch.nn.functional)):
        x = lib.tensor(VALUES.copy(), requires_grad=True)
        y = x * 2
        z = getattr(functional, fn)(y, inplace=True, **kw)
        assert z is y and y._version == 1
        (z * lib.tensor(VALUES)).sum().backward()
        if lib is ne:
            ours = (z.detach().numpy(), x.grad.numpy(), z.grad_fn.name())
        else:
            theirs = (z.detach().numpy(), x.grad.numpy(), type(z.grad_fn).__name__)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5, atol=1e-6)
    assert ours[2] == theirs[2]
    layer = getattr(nn, module)(inplace=True, **module_kw)
    twin = getattr(torch.nn, module)(inplace=True, **module_kw)
    assert repr(layer) == repr(twin)
    y = ne.tensor(VALUES.copy())
    assert layer(y) is y
    np.testing.assert_allclose(y.numpy(), twin(torch.tensor(VALUES.copy())).numpy(), rtol=1e-6)


def test_inplace_on_a_leaf_that_requires_grad_refuses_as_torch():
    with pytest.raises(RuntimeError, match=r"relu_: a leaf Variable that requires grad"):
        F.relu(ne.ones(3, requires_grad=True), inplace=True)
    with pytest.raises(RuntimeError, match=r"elu_: a leaf Variable"):
        nn.ELU(inplace=True)(ne.ones(3, requires_grad=True))
    x = ne.tensor([-1.0, 2.0])
    assert F.relu_(x) is x and x.tolist() == [0.0, 2.0]
    assert nn.ReLU()(x) is not x and repr(nn.ReLU()) == "ReLU()"


def test_a_later_change_of_an_inplace_result_is_caught_by_the_backward():
    x = ne.tensor([-1.0, 2.0], requires_grad=True)
    y = F.relu(x * 1, inplace=True)
    y.add_(1)  # ReLU's backward reads its output, which this changed
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_dropout_inplace_scales_the_input_itself():
    x = ne.ones(1000)
    out = nn.Dropout(0.25, inplace=True)(x)
    assert out is x
    kept = x.numpy()[x.numpy() != 0]
    np.testing.assert_allclose(kept, 1 / 0.75)
    assert 0.6 < kept.size / 1000 < 0.9


# ---------------------------------------------------------------------- 7. messages
def test_linspace_names_steps():
    for fn in (ne.linspace, ne.logspace):
        with pytest.raises(ValueError, match=rf"{fn.__name__}: steps must be 0 or more.*steps=-1"):
            fn(0, 1, -1)
    with pytest.raises(TypeError, match=r"linspace\(\): argument 'steps' must be an int"):
        ne.linspace(0, 1, 2.5)
    with pytest.raises(ValueError, match=r"randperm: n must be 0 or more \(the length of the perm"):
        ne.randperm(-1)


def test_bmm_names_only_what_fails():
    with pytest.raises(RuntimeError) as caught:
        ne.bmm(ne.randn(2, 3, 4), ne.randn(2, 3, 3))
    assert "batch sizes" not in str(caught.value)
    assert "input's last dim must equal mat2's middle dim (4 vs 3)" in str(caught.value)
    with pytest.raises(RuntimeError) as caught:
        ne.bmm(ne.randn(2, 3, 4), ne.randn(3, 4, 3))
    assert "the batch sizes must match (2 vs 3); mat2 must be (2, 4, p)" in str(caught.value)
    assert "middle dim" not in str(caught.value)


def test_binary_cross_entropy_prints_the_value_plainly():
    with pytest.raises(RuntimeError, match=r"but got 1\.5 at position 0") as caught:
        F.binary_cross_entropy(ne.tensor([0.5, 1.5])[1:], ne.tensor([1.0]))
    assert "np.float" not in str(caught.value)


def test_bce_with_logits_shape_mismatch_says_what_torch_says_and_the_fix():
    with pytest.raises(ValueError) as theirs:
        torch.nn.functional.binary_cross_entropy_with_logits(torch.zeros(3, 1), torch.zeros(3))
    assert "Target size (torch.Size([3])) must be the same as input size" in str(theirs.value)
    with pytest.raises(ValueError) as caught:
        F.binary_cross_entropy_with_logits(ne.zeros(3, 1), ne.zeros(3))
    text = str(caught.value)
    assert "Target size (3,) must be the same as input size (3, 1)" in text
    assert "deprecated" not in text and "target.float().unsqueeze(1)" in text
    with pytest.raises(ValueError, match=r"target.reshape\(input.shape\)"):
        nn.BCELoss()(ne.zeros(4), ne.zeros(2, 2))


def test_implicit_softmax_dim_warns_at_the_users_line():
    for call in (lambda: F.softmax(ne.randn(3)), lambda: nn.Softmax()(ne.randn(2, 3))):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            call()
        assert len(seen) == 1 and "Implicit dimension choice" in str(seen[0].message)
        assert seen[0].filename == __file__, seen[0].filename
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        nn.MSELoss()(ne.zeros(3, 1), ne.zeros(3))
    assert seen[0].filename == __file__


def test_empty_val_data_is_refused_when_the_experiment_is_made():
    model = nn.Linear(2, 3)
    with pytest.raises(ValueError, match=re.escape("val_data has 0 samples (shapes (0, 2), (0,))")):
        Experiment(
            name="empty_val",
            model=model,
            loss_fn=nn.CrossEntropyLoss(),
            optimizer=optim.SGD(model.parameters(), lr=0.1),
            val_data=(ne.zeros(0, 2), ne.zeros(0, dtype=ne.int64)),
            example_batch=(ne.zeros(1, 2), ne.zeros(1, dtype=ne.int64)),
        )


# ---------------------------------------------------------------------- 8. minimum, reciprocal
def test_minimum_is_its_own_node_with_torchs_tie_rule():
    values = ([1.0, 2.0, 3.0, float("nan")], [1.0, 3.0, 2.0, 0.0])
    results = {}
    for lib in (ne, torch):
        a, b = (lib.tensor(v, requires_grad=True) for v in values)
        out = lib.minimum(a, b)
        out.sum().backward()
        name = out.grad_fn.name() if lib is ne else type(out.grad_fn).__name__
        results[lib.__name__] = (name, a.grad.tolist(), b.grad.tolist(), repr(a.grad))
    ours, theirs = results["nnbench.engine"], results["torch"]
    assert (
        ours[:3] == theirs[:3] == ("MinimumBackward0", [0.5, 1.0, 0.0, 1.0], [0.5, 0.0, 1.0, 1.0])
    )
    assert "-0." not in ours[3]
    assert ne.min(ne.tensor([1, 5]), ne.tensor([3, 2])).tolist() == [1, 2]
    assert ne.minimum(ne.tensor([1, 5]), ne.tensor([2.5])).dtype is ne.float32


def test_reciprocal_is_its_own_node_and_promotes_integers():
    x = ne.tensor([2.0, -4.0], requires_grad=True)
    y = x.reciprocal()
    assert y.grad_fn.name() == "ReciprocalBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.25, -0.0625])
    for data in ([1, 2, 0], [True, False]):
        ours, theirs = ne.reciprocal(ne.tensor(data)), torch.reciprocal(torch.tensor(data))
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
