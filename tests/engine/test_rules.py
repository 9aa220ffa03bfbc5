"""The rule words beside each op's code say what the code computes.

Every backward node of every sample of the op table: its rule in words, evaluated with
the node's named values, equals the gradient the node's backward sent (after the sum
back to the input's shape, ``sum_to_shape``, as the engine does it).
"""

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import autograd, ops, rules
from nnbench.engine.workbench import testing

CASES = [
    pytest.param(op, sample, id=f"{op.name}-{sample.describe()}")
    for op in testing.OPS
    if op.differentiable
    for sample in op.samples()
]


@pytest.mark.parametrize(("op", "sample"), CASES)
def test_the_words_compute_what_the_code_does(op, sample, device):
    assert testing.check_rules(op, sample, device) == []


def test_changed_words_are_caught(monkeypatch):
    """The review's mutation: Softmax's words changed to 'y * grad'."""
    monkeypatch.setattr(ops.Softmax, "rules", ("y * grad",))
    softmax = testing.OPS_BY_NAME["softmax"]
    problems = testing.check_rules(softmax, softmax.samples()[1], "numpy")
    assert problems and "SoftmaxBackward0 grad_a = y * grad" in problems[0]


def test_a_rule_that_names_a_missing_value_is_reported(monkeypatch):
    monkeypatch.setattr(ops.Mul, "rules", ("grad * c", "grad * a"))
    mul = testing.OPS_BY_NAME["mul"]
    problems = testing.check_rules(mul, mul.samples()[1], "numpy")
    assert problems and "cannot be evaluated" in problems[0]


def test_every_differentiable_op_has_words_for_every_input_it_sends_to():
    """A new op without words fails here (check_rules reports 'no rule in words')."""
    for function in testing.functions_run():
        if function.differentiable:
            assert function.rules or function in (ops.Cat, ops.Stack), function.__name__


def test_the_stepper_shows_broadcasting_as_sum_to_shape():
    a = ne.ones(3, 1, requires_grad=True)
    b = ne.ones(3, 4, requires_grad=True)
    steps = list(autograd.backward_steps((a + b).sum()))
    add = next(s for s in steps if s.node.name() == "AddBackward0")
    assert "grad_a = sum_to_shape(grad, (3, 1)) = " in add.words
    assert "grad_b = grad = " in add.words


def test_sum_to_shape_sums_leading_and_size_one_dims():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(rules.sum_to_shape(np, grad, (3, 1)), grad.sum((0, 2))[:, None])
    np.testing.assert_array_equal(rules.sum_to_shape(np, grad, (4,)), grad.sum((0, 1)))
    assert rules.sum_to_shape(np, grad, (2, 3, 4)) is grad


def test_expand_is_the_op_whose_rule_is_the_sum():
    a = ne.ones(3, 1, requires_grad=True)
    steps = list(autograd.backward_steps(a.expand(3, 4).sum()))
    expand = next(s for s in steps if s.node.name() == "ExpandBackward0")
    assert expand.node.rules == ("sum_to_shape(grad, a_shape)",)
    assert expand.words.startswith("grad_a = sum_to_shape(grad, a_shape) = sum_to_shape(")
    assert a.grad.tolist() == [[4.0], [4.0], [4.0]]


def test_the_words_show_their_numbers_on_every_backend(device):
    """On torch:cpu (and cuda) the values are torch arrays: they print as numbers too."""
    a, b, x = (ne.tensor(v, device=device, requires_grad=True) for v in (2.0, 3.0, 4.0))
    steps = list(autograd.backward_steps(x * (a + b)))
    assert steps[0].words.splitlines() == [
        "grad_a = grad * b = 1 * 5 = 5",
        "grad_b = grad * a = 1 * 4 = 4",
    ]
    assert steps[1].words == "leaf.grad = grad = 5"
