"""Fused nodes: the engine's graph is PyTorch's, node for node."""

import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import autograd


def _leaf(m, *shape):
    return m.ones(*shape).requires_grad_()


def _x(m, *shape):
    return m.ones(*shape)


GRAPHS = [
    ("linear", lambda m: m.nn.Linear(4, 2)(_x(m, 3, 4))),
    ("linear_x_grad", lambda m: m.nn.Linear(4, 2)(_leaf(m, 3, 4))),
    ("linear_1d", lambda m: m.nn.Linear(4, 2)(_leaf(m, 4))),
    ("linear_3d", lambda m: m.nn.Linear(4, 2)(_leaf(m, 2, 3, 4))),
    ("linear_4d", lambda m: m.nn.Linear(4, 2)(_x(m, 1, 2, 3, 4))),
    ("linear_no_bias", lambda m: m.nn.Linear(4, 2, bias=False)(_leaf(m, 3, 4))),
    ("linear_no_bias_1d", lambda m: m.nn.Linear(4, 2, bias=False)(_leaf(m, 4))),
    ("linear_no_bias_3d", lambda m: m.nn.Linear(4, 2, bias=False)(_leaf(m, 2, 3, 4))),
    ("linear_transposed", lambda m: m.nn.Linear(4, 2)(_leaf(m, 4, 3).T)),
    ("linear_noncontiguous", lambda m: m.nn.Linear(4, 2)(_leaf(m, 3, 2, 4).transpose(0, 1))),
    (
        "linear_noncontiguous_no_bias",
        lambda m: m.nn.Linear(4, 2, bias=False)(_leaf(m, 3, 2, 4).transpose(0, 1)),
    ),
    ("linear_strided_1d", lambda m: m.nn.Linear(3, 2)(_leaf(m, 6)[::2])),
    ("linear_bias_only", lambda m: m.nn.functional.linear(_x(m, 3, 4), _x(m, 2, 4), _leaf(m, 2))),
    ("embedding", lambda m: m.nn.Embedding(5, 3)(m.tensor([[1, 2], [4, 4]]))),
    ("embedding_0d", lambda m: m.nn.Embedding(5, 3)(m.tensor(1))),
    ("layer_norm", lambda m: m.nn.LayerNorm(4)(_leaf(m, 3, 4))),
    ("layer_norm_no_affine", lambda m: m.nn.LayerNorm(4, elementwise_affine=False)(_leaf(m, 3, 4))),
    ("layer_norm_no_bias", lambda m: m.nn.LayerNorm(4, bias=False)(_leaf(m, 3, 4))),
    ("layer_norm_2d", lambda m: m.nn.functional.layer_norm(_leaf(m, 2, 3, 4), (3, 4))),
    ("std", lambda m: _leaf(m, 3, 4).std()),
    ("std_dim", lambda m: _leaf(m, 3, 4).std(1)),
    ("std_keepdim_correction", lambda m: _leaf(m, 3, 4).std(0, keepdim=True, correction=0)),
    ("var", lambda m: _leaf(m, 3, 4).var()),
    ("var_dims", lambda m: _leaf(m, 2, 3, 4).var((0, 2), unbiased=False)),
    ("t", lambda m: _leaf(m, 3, 4).t()),
    ("t_1d", lambda m: _leaf(m, 3).t()),
    ("t_0d", lambda m: m.tensor(2.0, requires_grad=True).t()),
    ("T", lambda m: _leaf(m, 3, 4).T),
    ("transpose", lambda m: _leaf(m, 3, 4).transpose(0, 1)),
    ("digits_mlp", lambda m: m.nn.functional.cross_entropy(
        m.nn.Sequential(m.nn.Linear(64, 8), m.nn.ReLU(), m.nn.Linear(8, 10))(_x(m, 5, 64)),
        m.tensor([0, 1, 2, 3, 9]),
    )),
]  # fmt: skip


# A class-index operand (Embedding's indices, NllLoss's target) is an input of the engine's
# node, (None, 0) among its next_functions; PyTorch leaves it out.
INDEX_OPERAND = {"EmbeddingBackward0", "NllLossBackward0"}


def _names(node) -> tuple:
    """A node and everything under it: (name, (children...)), None for no node."""
    if node is None:
        return None
    name = node.name() if isinstance(node, autograd.Node) else type(node).__name__
    children = [child for child, _ in node.next_functions]
    if name in INDEX_OPERAND and isinstance(node, autograd.Node):
        children = [c for c in children if c is not None]
    return name, tuple(_names(child) for child in children)


@pytest.mark.parametrize(("name", "fn"), GRAPHS, ids=[g[0] for g in GRAPHS])
def test_the_graph_is_pytorchs_node_for_node(name, fn):
    assert _names(fn(ne).grad_fn) == _names(fn(torch).grad_fn)


def test_the_names_a_tutorial_prints():
    x = ne.ones(3, 4)
    assert ne.nn.Linear(4, 2)(x).grad_fn.name() == "AddmmBackward0"
    assert ne.nn.Linear(4, 2, bias=False)(x).grad_fn.name() == "MmBackward0"
    assert ne.nn.Embedding(5, 3)(ne.tensor([1])).grad_fn.name() == "EmbeddingBackward0"
    assert ne.nn.LayerNorm(4)(x).grad_fn.name() == "NativeLayerNormBackward0"
    w = _leaf(ne, 3, 4)
    names = [w.std().grad_fn, w.std(1).grad_fn, w.var().grad_fn, w.t().grad_fn, w.T.grad_fn]
    assert [n.name() for n in names] == [
        "StdBackward0",
        "StdBackward0",
        "VarBackward0",
        "TBackward0",
        "PermuteBackward0",
    ]


# ---------------------------------------------------------------------- what they save
def _modified(make, change):
    """Run make() -> (output, tensor), change the tensor in place, then backward."""
    out, t = make()
    with ne.no_grad():
        change(t)
    out.sum().backward()


@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("layer_norm_bias", lambda: _norm_and("bias")),
        ("layer_norm_weight", lambda: _norm_and("weight")),
        ("linear_weight", lambda: _linear_and_weight()),
        ("std_input", lambda: (lambda x: (x.std(), x))(ne.randn(4, requires_grad=True))),
        ("var_input", lambda: (lambda x: (x.var(0), x))(ne.randn(3, 4, requires_grad=True))),
    ],
)
def test_a_saved_tensor_changed_in_place_is_caught_as_in_pytorch(name, make):
    with pytest.raises(ne.AutogradError, match="modified by an in-place operation"):
        _modified(make, lambda t: t.add_(1))


def test_embedding_indices_changed_in_place_are_caught():
    layer, indices = ne.nn.Embedding(5, 3), ne.tensor([1, 2])
    out = layer(indices)
    indices.add_(1)
    with pytest.raises(ne.AutogradError, match="EmbeddingBackward0 saved its input indices"):
        out.sum().backward()


def _norm_and(role):
    layer = ne.nn.LayerNorm(4)
    return layer(ne.randn(3, 4, requires_grad=True)), getattr(layer, role)


def _linear_and_weight():
    layer = ne.nn.Linear(4, 2)
    return layer(ne.randn(3, 4)), layer.weight
