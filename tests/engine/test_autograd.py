"""Autograd as PyTorch does it, traps included, and the stepping APIs the app uses."""

import re
import warnings

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import AnomalyError, AutogradError
from nnbench.engine.workbench import testing


def breadcrumbs(device="numpy"):
    a = ne.tensor(2.0, requires_grad=True, device=device)
    b = ne.tensor(3.0, requires_grad=True, device=device)
    x = ne.tensor(4.0, requires_grad=True, device=device)
    y = a + b
    z = x * y
    return a, b, x, y, z


def test_z_equals_x_times_a_plus_b_gives_20_and_mul_backward(device):
    a, b, x, y, z = breadcrumbs(device)
    assert z.item() == 20.0
    assert z.grad_fn.name() == "MulBackward0"
    assert y.grad_fn.name() == "AddBackward0"
    assert a.grad_fn is None and a.is_leaf and not z.is_leaf
    assert "grad_fn=<MulBackward0>" in repr(z)
    z.backward()
    assert (x.grad.item(), a.grad.item(), b.grad.item()) == (5.0, 4.0, 4.0)


def test_next_functions_reach_leaves_through_accumulate_grad():
    a, b, x, y, z = breadcrumbs()
    (x_node, _), (y_node, _) = z.grad_fn.next_functions
    assert x_node.name() == "AccumulateGrad" and x_node.variable is x
    assert y_node is y.grad_fn
    assert [n.variable for n, _ in y.grad_fn.next_functions] == [a, b]
    scaled = x * 2
    assert scaled.grad_fn.next_functions[1] == (None, 0)  # as in PyTorch


def test_backward_steps_walk_the_seed_story_with_numbers():
    *_, z = breadcrumbs()
    steps = list(ne.autograd.backward_steps(z))
    names = [s.node.name() for s in steps]
    assert names == ["MulBackward0", "AccumulateGrad", "AddBackward0"] + ["AccumulateGrad"] * 2
    mul = steps[0]
    assert mul.grad_output.item() == 1.0
    assert [g.item() for g in mul.grad_inputs] == [5.0, 4.0]
    assert mul.words.splitlines() == [
        "grad_a = grad * b = 1 * 5 = 5",
        "grad_b = grad * a = 1 * 4 = 4",
    ]
    assert steps[2].words.splitlines() == ["grad_a = grad = 4", "grad_b = grad = 4"]
    assert steps[1].words == "leaf.grad = grad = 5"


def test_backward_is_the_stepper_run_to_the_end(monkeypatch):
    calls = []
    real = ne.autograd.backward_steps

    def spy(*args, **kwargs):
        for step in real(*args, **kwargs):
            calls.append(step.node.name())
            yield step

    monkeypatch.setattr(ne.autograd, "backward_steps", spy)
    *_, z = breadcrumbs()
    z.backward()
    assert calls[0] == "MulBackward0" and len(calls) == 5


def test_stepper_marks_accumulation_where_a_tensor_feeds_two_nodes():
    x = ne.tensor(3.0, requires_grad=True)
    y = x * x + x
    steps = list(ne.autograd.backward_steps(y))
    mul = next(s for s in steps if s.node.name() == "MulBackward0")
    # AddBackward0 ran first and already sent x a gradient, so both of Mul's add to it
    assert mul.accumulated == (True, True)
    assert "grad_a += grad * b = 1 * 3 = 3" in mul.words
    assert x.grad.item() == 7.0


def test_stepper_shows_where_broadcasting_is_summed_away():
    w = ne.ones(3, requires_grad=True)
    x = ne.ones(2, 3)
    loss = (x * w).sum()
    steps = list(ne.autograd.backward_steps(loss))
    mul = next(s for s in steps if s.node.name() == "MulBackward0")
    assert mul.reduced[1] == (2, 3)
    assert "grad_b = sum_to_shape(grad * a, (3,)) = " in mul.words
    assert "(broadcast: summed from (2, 3))" in mul.words
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_gradients_accumulate_until_zeroed(device):
    w = ne.tensor([1.0, 2.0], requires_grad=True, device=device)
    (w * 3).sum().backward()
    (w * 3).sum().backward()
    assert w.grad.tolist() == [6.0, 6.0]
    w.grad.zero_()
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_broadcast_gradients_sum_back_to_each_input_shape(device):
    a = ne.ones(3, 1, 2, requires_grad=True, device=device)
    b = ne.ones(1, 3, 2, requires_grad=True, device=device)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1, 2) and b.grad.shape == (1, 3, 2)
    assert a.grad.tolist() == [[[3.0, 3.0]]] * 3


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = ne.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(AutogradError, match=r"only for scalar outputs.*\(2, 3\).*gradient="):
        y.backward()
    y.backward(gradient=ne.ones(2, 3))
    assert x.grad.tolist() == [[2.0] * 3] * 2


def test_backward_on_something_without_grad_says_how_to_fix_it():
    with pytest.raises(AutogradError, match="requires_grad=True"):
        ne.ones(3).sum().backward()


def test_second_backward_through_a_freed_graph_raises_unless_retained():
    x = ne.tensor(2.0, requires_grad=True)
    y = x * x
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 8.0
    with pytest.raises(AutogradError, match="second time.*retain_graph=True"):
        y.backward()


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = ne.ones(3, requires_grad=True)
    with pytest.raises(AutogradError, match=r"leaf Variable that requires grad.*no_grad"):
        w += 1
    with pytest.raises(AutogradError, match="leaf"):
        w[0] = 5.0
    with ne.no_grad():
        w -= 0.5
        w[0] = 2.0
    assert w.tolist() == [2.0, 0.5, 0.5]
    assert w.requires_grad and w.is_leaf


def test_in_place_change_to_a_saved_tensor_raises_at_backward_naming_versions():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    b = ne.tensor([3.0, 4.0])
    y = (a * b).sum()
    b.add_(1)
    message = (
        r"MulBackward0 saved its input b \(shape \(2,\)\) at version 0, and it is at version 1"
    )
    with pytest.raises(AutogradError, match=message):
        y.backward()


def test_in_place_change_to_an_unsaved_tensor_is_fine():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    b = ne.tensor([3.0, 4.0])
    y = (a + b).sum()
    b.add_(1)
    y.backward()
    assert a.grad.tolist() == [1.0, 1.0]


def test_views_share_the_version_counter():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    b = ne.tensor([[3.0, 4.0]])
    y = (a * b[0]).sum()
    b.mul_(2)
    with pytest.raises(AutogradError, match="modified by an inplace operation"):
        y.backward()


def test_no_grad_records_nothing():
    x = ne.ones(2, requires_grad=True)
    with ne.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert ne.is_grad_enabled()

    @ne.no_grad()
    def doubled(t):
        return t * 2

    assert doubled(x).grad_fn is None
    with ne.no_grad(), ne.enable_grad():
        assert (x * 2).grad_fn is not None


def test_retain_grad_keeps_a_non_leaf_gradient():
    *_, y, z = breadcrumbs()
    y.retain_grad()
    z.backward()
    assert y.grad.item() == 4.0
    with pytest.warns(UserWarning, match="not a leaf is being read.*retain_grad"):
        assert z.grad is None  # PyTorch warns here too: the classic w = w - lr * w.grad clue


def test_autograd_grad_returns_gradients_without_storing_them():
    a, b, x, y, z = breadcrumbs()
    ga, gy = ne.autograd.grad(z, [a, y])
    assert (ga.item(), gy.item()) == (4.0, 4.0)
    assert a.grad is None
    unused = ne.tensor(1.0, requires_grad=True)
    with pytest.raises(AutogradError, match="allow_unused"):
        ne.autograd.grad(x * 2, [unused])


def test_detach_and_data_leave_the_graph():
    x = ne.ones(2, requires_grad=True)
    y = x * 2
    assert y.detach().grad_fn is None and not y.detach().requires_grad
    assert y.data.grad_fn is None
    with pytest.raises(AutogradError, match="detach"):
        y.numpy()


def test_softmax_of_1000_and_0_is_finite():
    p = ne.tensor([1000.0, 0.0]).softmax(0)
    assert p.tolist() == [1.0, 0.0]
    logp = ne.tensor([1000.0, 0.0]).log_softmax(0)
    assert np.isfinite(logp.numpy()).all() and logp.tolist()[1] == -1000.0


def test_softmax_of_100_101_102():
    p = ne.tensor([100.0, 101.0, 102.0]).softmax(0)
    np.testing.assert_allclose(p.numpy(), [0.090, 0.245, 0.665], atol=1e-3)


def test_repeated_indices_accumulate_their_gradients(device):
    x = ne.tensor([1.0, 2.0, 3.0], requires_grad=True, device=device)
    idx = ne.tensor([0, 0, 2, 0], device=device)
    x[idx].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_max_with_dim_returns_values_and_indices(device):
    x = ne.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], device=device)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert indices.dtype is ne.int64


def test_batched_matmul_gradient_matches_pytorch(device):
    rng = np.random.default_rng(0)
    a_np, b_np = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5))
    a = ne.tensor(a_np, dtype=ne.float32, requires_grad=True, device=device)
    b = ne.tensor(b_np, dtype=ne.float32, requires_grad=True, device=device)
    ta = torch.tensor(a_np, dtype=torch.float32, requires_grad=True)
    tb = torch.tensor(b_np, dtype=torch.float32, requires_grad=True)
    (a @ b).tanh().sum().backward()
    (ta @ tb).tanh().sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=1e-5)


def test_detect_anomaly_finds_the_first_forward_op_and_the_users_line():
    x = ne.tensor([1.0, -1.0, 4.0], requires_grad=True)
    with ne.autograd.detect_anomaly() as anomaly, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = x * 2
        r = h.sqrt()  # the NaN appears here: sqrt(-2)
        loss = (r * 3).sum()
        with pytest.raises(AnomalyError, match="SqrtBackward0"):
            loss.backward()
    found = anomaly.forward
    assert found.op == "sqrt" and found.grad_name == "SqrtBackward0"
    assert found.nan == 1 and found.input_shapes == [(3,)]
    file, line = found.location
    assert file == __file__
    with open(file) as source:
        assert "r = h.sqrt()" in source.read().splitlines()[line - 1]
    assert any("sqrt" in str(w.message) for w in caught)
    assert anomaly.backward.grad_name == "SqrtBackward0"
    assert anomaly.backward.location == found.location


def test_detect_anomaly_reports_a_backward_only_nan():
    x = ne.tensor([0.0, 1.0], requires_grad=True)
    with ne.autograd.detect_anomaly(check_nan=False) as anomaly:
        x.sqrt().sum().backward()  # sqrt(0) = 0 is fine; its gradient 1/(2*0) is Inf
    assert anomaly.forward is None
    assert anomaly.backward.grad_name == "SqrtBackward0" and anomaly.backward.inf == 1


def test_trace_records_ops_in_order_and_replays_each_through_its_forward():
    a, b, x = (ne.tensor(v, requires_grad=True) for v in (2.0, 3.0, 4.0))
    recorded = ne.trace(lambda: x * (a + b))
    assert [r.op for r in recorded] == ["add", "mul"]
    assert [r.grad_name for r in recorded] == ["AddBackward0", "MulBackward0"]
    assert recorded.output.item() == 20.0
    assert recorded[1].inputs[0] is x and recorded[1].inputs[1] is recorded[0].output
    replay = recorded.replay()
    first = next(replay)
    assert float(first.output) == 5.0
    second = next(replay)
    assert float(second.output) == 20.0 and float(second.inputs[1]) == 5.0


def test_trace_replay_uses_the_replayed_values_not_the_recorded_ones(monkeypatch):
    x = ne.tensor([1.0, 2.0])
    with ne.trace() as recorded:
        y = x.exp().sum()
    monkeypatch.setattr(ne.ops.Exp, "forward", lambda self, a: a * 0 + 1)
    outputs = [step.output for step in recorded.replay()]
    assert float(outputs[-1]) == 2.0 and y.item() != 2.0


def test_trace_records_ops_without_gradients_too():
    x = ne.tensor([1.0, -2.0])
    recorded = ne.trace(lambda: (x > 0).sum())
    assert [r.op for r in recorded] == ["gt", "to", "sum"]
    assert recorded[0].grad_name is None


def test_engine_matches_pytorch_on_a_small_mlp_step(device):
    rng = np.random.default_rng(3)
    x_np = rng.normal(size=(8, 5))
    w1_np, w2_np = rng.normal(size=(5, 6)) * 0.5, rng.normal(size=(6, 3)) * 0.5
    target = np.array([0, 2, 1, 1, 0, 2, 2, 1])

    def loss_of(lib, x, w1, w2, idx):
        logits = (x @ w1).relu() @ w2
        picked = logits.log_softmax(1).gather(1, idx)
        return -picked.mean()

    mine = [ne.tensor(v, dtype=ne.float32, device=device) for v in (x_np, w1_np, w2_np)]
    for t in mine[1:]:
        t.requires_grad_()
    theirs = [torch.tensor(v, dtype=torch.float32) for v in (x_np, w1_np, w2_np)]
    for t in theirs[1:]:
        t.requires_grad_()
    loss = loss_of(ne, *mine, ne.tensor(target, device=device).reshape(-1, 1))
    reference = loss_of(torch, *theirs, torch.tensor(target).reshape(-1, 1))
    loss.backward()
    reference.backward()
    assert abs(loss.item() - reference.item()) < 1e-6
    for m, t in zip(mine[1:], theirs[1:]):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), atol=1e-5, rtol=1e-4)


def test_grads_are_copies_not_shared_arrays():
    a = ne.ones(2, requires_grad=True)
    b = ne.ones(2, requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(10)
    assert b.grad.tolist() == [1.0, 1.0]


def test_graph_memory_is_freed_after_backward():
    import gc
    import weakref

    w = ne.ones(100, requires_grad=True)
    h = w * 2
    ref = weakref.ref(h)
    (h * h).sum().backward()
    del h
    gc.collect()
    assert ref() is None


def test_rule_words_are_shown_for_every_step_of_a_small_network():
    x = ne.randn(4, 3)
    w = ne.randn(3, 2, requires_grad=True)
    loss = (x @ w).relu().softmax(1).log().mean()
    for step in ne.autograd.backward_steps(loss):
        assert re.search(r"grad", step.words)


# ---------------------------------------------------------------- what a node saved is watched
def _first_sample_nodes(op):
    """The nodes of one sample of an op, with the tensors each took as inputs."""
    sample = op.samples()[1] if len(op.samples()) > 1 else op.samples()[0]
    _, inputs = testing._engine_inputs(sample, "numpy")
    with ne.trace() as recorded:
        out = testing._outputs(op.fn(ne, *inputs))[0]
    return recorded, out


@pytest.mark.parametrize(
    "op", [op for op in testing.OPS if op.differentiable], ids=lambda op: op.name
)
def test_every_tensor_a_node_saves_is_version_checked(op):
    """What forward hands to save() is watched, so no input can be forgotten: changing any
    saved input (or output) in place makes the backward refuse, naming it."""
    recorded, out = _first_sample_nodes(op)
    watched = 0
    for record in recorded:
        node = record.node
        positions = [i for i, x in enumerate(record.inputs) if isinstance(x, ne.Tensor)]
        tensors = [(i, record.inputs[i]) for i in positions] + [(-1, record.output)]
        watching = {i for i, *_ in node.saved_versions}
        for saved in node.saved or ():
            for i, t in tensors:
                if saved is t.array:  # an input or the output itself: it must be watched
                    assert i in watching, (node.name(), f"saved input {i} but does not watch it")
                # a saved view of a tensor would hide an in-place change from the check
                elif isinstance(saved, np.ndarray) and t.array.size:
                    assert not np.shares_memory(saved, t.array), (node.name(), "saved a view")
        for _, counter, _, _ in node.saved_versions:
            watched += 1
            counter.value += 1
            loss = (out.float() * 1.0).sum() if out.requires_grad else None
            if loss is not None:
                # the first node in backward order that saved this tensor names it
                with pytest.raises(ne.AutogradError, match=r"saved its (input \w+|output) \("):
                    loss.backward(retain_graph=True)
            counter.value -= 1
    # an in-place op keeps a private copy of the values it overwrites: nothing to watch
    saving = [
        r
        for r in recorded
        if any(hasattr(s, "shape") for s in r.node.saved or ())
        and not any(x is r.output for x in r.inputs)
    ]
    if saving:
        assert watched, f"{op.name}: its nodes save values but watch none"


def test_mul_watches_both_inputs_because_it_saves_both():
    a = ne.ones(2, requires_grad=True)
    b = ne.ones(2, requires_grad=True)
    y = a * b
    assert [i for i, *_ in y.grad_fn.saved_versions] == [0, 1]
    with ne.no_grad():
        b.mul_(2)
    with pytest.raises(ne.AutogradError, match="MulBackward0 saved its input b .* version 0"):
        y.sum().backward()


SAVING_CASES = {
    # (build y from a leaf x, an in-place change to make after it): PyTorch raises at backward
    "where's condition": (lambda m, x, c: m.where(c, x, x * 2), "condition"),
    "masked_fill's mask": (lambda m, x, c: x.masked_fill(c, 0.0), "condition"),
    "prod's output": (lambda m, x, c: x.prod(), "output"),
}


@pytest.mark.parametrize("case", SAVING_CASES)
def test_a_saved_mask_or_output_changed_in_place_raises_as_in_pytorch(case):
    """Where, MaskedFill, Max and Prod save what their backward reads (and PyTorch does)."""
    build, changed = SAVING_CASES[case]
    outcomes = []
    for m in (ne, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = m.tensor([True, False, True])
        y = build(m, x, c)
        with m.no_grad():
            target = c if changed == "condition" else y
            if changed == "condition":
                target.logical_not_() if m is torch else target.copy_(~target)
            else:
                target.mul_(2)
        try:
            y.sum().backward()
            outcomes.append("ok")
        except RuntimeError:  # the engine's AutogradError is a RuntimeError, as torch's
            outcomes.append("raised")
    assert outcomes == ["raised", "raised"]


@pytest.mark.parametrize("op", ["max", "prod", "where"])
def test_a_second_backward_through_a_saving_op_raises_as_in_pytorch(op):
    outcomes = []
    for m in (ne, torch):
        x = m.tensor([1.0, 3.0, 2.0], requires_grad=True)
        if op == "where":
            y = m.where(x > 1.5, x, x * 2).sum()
        else:
            y = x.max() if op == "max" else x.prod()
        y.backward()
        try:
            y.backward()
            outcomes.append("ok")
        except RuntimeError:
            outcomes.append("raised")
    assert outcomes == ["raised", "raised"]


def _hooked(m):
    """register_hook on a leaf and on a non-leaf, then the leaf's hook removed by its handle."""
    x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    y.register_hook(lambda g: g * 10)
    (y * m.tensor([1.0, 2.0, 3.0])).sum().backward()
    first = x.grad.tolist()
    handle.remove()
    x.grad = None
    (x * 3).sum().backward()
    return first, seen, x.grad.tolist()


def test_hooks_see_and_change_gradients_as_in_pytorch():
    assert _hooked(ne) == _hooked(torch) == ([20, 40, 60], [[20, 40, 60]], [3, 3, 3])
    with pytest.raises(RuntimeError, match="register_hook: cannot register.*requires_grad_"):
        ne.tensor([1.0]).register_hook(print)


def test_inference_mode_and_autograd_backward_of_a_list_as_in_pytorch():
    for m in (torch, ne):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with m.inference_mode():
            assert not (x * 2).requires_grad
        with m.inference_mode(False):
            assert (x * 2).requires_grad
        m.autograd.backward([(x * 2).sum(), (x * x).sum()])
        assert x.grad.tolist() == [4.0, 6.0]
