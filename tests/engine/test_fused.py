"""Fused nodes: the engine's graph is PyTorch's, node for node, and each fused node's
parts (what the Graph pane opens) compute exactly what the one node does."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import autograd
from nnbench.engine.tensor import Tensor
from nnbench.engine.workbench import testing
from nnbench.engine.workbench.experiment import Experiment
from nnbench.engine.workbench.graph import NamedStep, has_parts, part_names, parts_experiment


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


# ---------------------------------------------------------------------- the parts
def _fused_cases():
    for op in testing.OPS:
        for sample in op.samples()[:4]:
            _, inputs = testing._engine_inputs(sample, "numpy")
            with ne.trace() as recorded:
                op.fn(ne, *inputs)
            if any(has_parts(r.function) for r in recorded):
                yield pytest.param(op, sample, id=f"{op.name}-{sample.describe()}")


FUSED = list(_fused_cases())


def test_the_table_opens_every_fused_op():
    seen = set()
    for op, sample in (case.values for case in FUSED):
        _, inputs = testing._engine_inputs(sample, "numpy")
        with ne.trace() as recorded:
            op.fn(ne, *inputs)
        seen |= {r.function.__name__ for r in recorded if has_parts(r.function)}
    assert seen == {"Addmm", "Embedding", "LayerNorm", "Var", "Std", "MseLoss"}


@pytest.mark.parametrize(("op", "sample"), FUSED)
def test_the_parts_compute_what_the_fused_node_does(op, sample):
    """Forward value and every gradient sent, from the same inputs and incoming gradient."""
    _, inputs = testing._engine_inputs(sample, "numpy")
    first = lambda out: out[0] if isinstance(out, tuple) else out  # noqa: E731
    experiment = Experiment(name="op", forward=lambda batch: first(op.fn(ne, *inputs)))
    step = NamedStep(experiment, ())
    loss = step.loss
    weights = ne.tensor(testing._weights(tuple(loss.shape)).astype("float32"))
    sent = {s.node: s for s in autograd.backward_steps((loss * weights).sum(), retain_graph=True)}
    for record in step.records:
        if not has_parts(record.function):
            continue
        fused = sent[record.node]
        parts = NamedStep(parts_experiment(step, record), (), prefix="p")
        np.testing.assert_allclose(_np(parts.loss), _np(record.output), rtol=1e-5, atol=1e-6)
        gradient = record.output.grad_tensor(fused.grad_output)
        autograd.backward(parts.loss, gradient)
        leaves = parts.experiment.tensors
        for name, grad in zip(part_names(step, record), fused.grad_inputs):
            if grad is None:
                continue
            mine = leaves[name].grad
            np.testing.assert_allclose(_np(mine), grad, rtol=1e-4, atol=1e-5)


def _np(t):
    return t.detach().numpy() if isinstance(t, Tensor) else np.asarray(t)


def test_the_parts_are_primitive_ops_named_after_the_node():
    x = ne.tensor([[1.0, 2.0, 4.0], [0.5, 0.5, 3.0]], requires_grad=True)
    norm = ne.nn.LayerNorm(3)  # made outside the forward: its init fills are ops too
    experiment = Experiment(name="norm", forward=lambda batch: norm(x).sum(), tensors={"x": x})
    step = NamedStep(experiment, ())
    record = step.records[0]
    parts = NamedStep(parts_experiment(step, record), (), prefix="r0.")
    assert [(r.op, r.grad_name) for r in parts.records] == [
        ("mean", "MeanBackward1"),
        ("sub", "SubBackward0"),
        ("mul", "MulBackward0"),
        ("mean", "MeanBackward1"),
        ("add", "AddBackward0"),
        ("sqrt", "SqrtBackward0"),
        ("div", "DivBackward0"),
        ("mul", "MulBackward0"),
        ("add", "AddBackward0"),
    ]
    assert parts.name_of(parts.records[1].output) == "r0.1"
    assert parts.name_of(parts.records[1].inputs[0]) == "x"  # the fused node's input, by name
    assert parts.records[0].inputs[0] is not x  # a copy: the parts never touch the model


def test_the_std_parts_send_zero_at_a_constant_input_as_the_node_does():
    x = ne.tensor([2.0, 2.0, 2.0], requires_grad=True)
    step = NamedStep(Experiment(name="std", forward=lambda batch: x.std(), tensors={"x": x}), ())
    parts = NamedStep(parts_experiment(step, step.records[0]), ())
    parts.loss.backward()
    assert parts.experiment.tensors["x"].grad.tolist() == [0.0, 0.0, 0.0]


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
    with pytest.raises(ne.AutogradError, match="modified by an inplace operation"):
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
