"""In-place ops follow PyTorch's rules: allowed on non-leaf tensors and through views,
recorded in the graph with the right gradient, refused on leaves that require grad, and
caught at backward when a tensor saved for it was changed. Every case runs the same code
on the engine and on torch 2.13 and compares values and gradients."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne


def _both(build, *shapes, seed=0):
    """Run build(m, *leaves) on the engine and on torch from the same values; return the
    outputs and the leaves' gradients of sum(output * weights) for each."""
    rng = np.random.default_rng(seed)
    values = [rng.uniform(-2, 2, size=s).astype(np.float32) for s in shapes]
    results = []
    for m in (ne, torch):
        leaves = [m.tensor(v, requires_grad=True) for v in values]
        out = build(m, *leaves)
        weights = np.random.default_rng(seed + 1).uniform(0.5, 1.5, size=tuple(out.shape))
        (out * m.tensor(weights.astype(np.float32))).sum().backward()
        grads = [None if x.grad is None else x.grad.detach().numpy() for x in leaves]
        results.append((out.detach().numpy(), grads))
    return results


def _agree(build, *shapes):
    (ours, our_grads), (theirs, their_grads) = _both(build, *shapes)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for mine, reference in zip(our_grads, their_grads):
        if reference is None:
            assert mine is None
        else:
            np.testing.assert_allclose(mine, reference, rtol=1e-5, atol=1e-6)


def _manual_softmax_gradient(m, logits):
    targets = m.tensor([0, 2, 1, 0])
    d = logits.softmax(1).clone()
    d[range(4), targets] -= 1
    d /= 4
    return d


def _view_changed_then_base(m, a):
    y = a * 1
    v = y[0:2]
    v.mul_(3)
    y.mul_(2)  # the view's grad_fn must now go through this change too
    return v + y[1:3]


def _view_of_a_view(m, a):
    y = a * 1
    row = y[1]
    part = row[1:]
    part.add_(row[0] * 2)
    return y


def _chain_of_in_place(m, a, b):
    y = a.exp() * 1
    y.sub_(b).mul_(b).div_(2.0)
    y[0, 0] = 7.0
    y.clamp_(min=-1.0)
    return y


CASES = {
    "the manual softmax gradient lesson": (_manual_softmax_gradient, [(4, 3)]),
    "y.mul_(z) keeps the old y for z's gradient": (
        lambda m, a, b: (a * 1).mul_(b),
        [(3,), (3,)],
    ),
    "a zeros tensor += a leaf becomes part of the graph": (
        lambda m, a: m.zeros(3).add_(a),
        [(3,)],
    ),
    "a view changed, then its base": (_view_changed_then_base, [(4,)]),
    "a view of a view": (_view_of_a_view, [(3, 3)]),
    "a chain of in-place ops and a setitem": (_chain_of_in_place, [(2, 3), (2, 3)]),
    "setitem with a tensor value that requires grad": (
        lambda m, a, b: (lambda x: x.__setitem__(slice(0, 2), b) or x)(a * 1),
        [(3, 2), (2,)],
    ),
    "masked_fill_ and fill_ through a view": (
        lambda m, a: (lambda y: (y[:, 0].fill_(1.0), y.masked_fill_(y > 1.5, 0.0), y)[-1])(a * 2),
        [(3, 2)],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_in_place_ops_give_pytorchs_values_and_gradients(case):
    build, shapes = CASES[case]
    _agree(build, *shapes)


def test_the_graph_records_in_place_nodes_by_pytorchs_names():
    a = ne.randn(4, 3, requires_grad=True)
    d = _manual_softmax_gradient(ne, a)
    assert d.grad_fn.name() == "DivBackward0"
    put = d.grad_fn.next_functions[0][0]
    assert put.name() == "IndexPutBackward0"
    assert [n.name() for n, _ in put.next_functions] == ["CloneBackward0", "SubBackward0"]
    y = a * 1
    y[0].mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    assert y._version == 1


def test_the_trace_shows_in_place_ops_with_their_underscore():
    a = ne.randn(3, requires_grad=True)
    with ne.trace() as recorded:
        y = a * 1
        y.add_(1)
    assert [r.op for r in recorded] == ["mul", "add_"]
    assert recorded[1].output is y  # the same tensor, at its next version
    values = [step.output for step in recorded.replay()]
    np.testing.assert_allclose(values[-1], y.detach().numpy())


def test_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = ne.ones(3, requires_grad=True)
    for change in (lambda: w.add_(1), lambda: w.__setitem__(0, 5.0), lambda: w[1:].mul_(2)):
        with pytest.raises(ne.AutogradError, match="leaf Variable that requires grad"):
            change()
    with ne.no_grad():  # what an optimizer does
        w -= 0.5
        w[0] = 2.0
    assert w.tolist() == [2.0, 0.5, 0.5] and w._version == 2 and w.is_leaf


def test_a_saved_tensor_changed_in_place_raises_naming_it_and_its_versions():
    a = ne.ones(3, requires_grad=True)
    y = a.exp()
    y.add_(1)
    with pytest.raises(ne.AutogradError) as caught:
        y.sum().backward()
    message = str(caught.value)
    assert "ExpBackward0 saved its output" in message and "(shape (3,))" in message
    assert "at version 0, and it is at version 1 now" in message
    t = torch.ones(3, requires_grad=True).exp()
    t.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        t.sum().backward()


def test_in_place_dtype_and_shape_rules_are_pytorchs():
    i = ne.zeros(3, dtype=ne.int64)
    with pytest.raises(ne.DTypeError, match="result type float32 can't be cast.*int64"):
        i += 1.5
    f = ne.zeros(3)
    f += ne.tensor([1, 2, 3])  # an int result fits a float tensor
    assert f.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ne.ShapeError, match="in-place op must keep"):
        ne.ones(3, 1).add_(ne.ones(3, 4))
    with pytest.raises(ne.ShapeError, match="expanded view"):
        ne.ones(3, 1).expand(3, 4).add_(1)


def test_views_share_the_version_counter_and_see_the_change():
    x = ne.zeros(2, 3)
    row = x[1]
    x.add_(1)
    assert row.tolist() == [1.0, 1.0, 1.0] and row._version == x._version == 1
    row.mul_(5)
    assert x.tolist() == [[1.0, 1.0, 1.0], [5.0, 5.0, 5.0]]
    assert x.reshape(6)._version == 2  # a reshape of a contiguous tensor is a view too
    copied = x.T.reshape(6)  # a reshape that must copy is not a view
    copied.zero_()
    assert x.sum().item() == 18.0


def test_the_in_place_errors_carry_the_phrases_torch_users_search_for():
    """Our messages say more than torch's, but keep its words, so a search finds both."""
    for lib, error in ((torch, RuntimeError), (ne, ne.AutogradError)):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (a * 1).exp()
        y.add_(1)
        with pytest.raises(error, match="modified by an inplace operation"):
            y.sum().backward()
        with pytest.raises(error, match="a leaf Variable that requires grad is being used"):
            a.add_(1)
        with pytest.raises(error, match="a view of a leaf Variable that requires grad"):
            a[:1].add_(1)
