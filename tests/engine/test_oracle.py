"""Every op of the op table against PyTorch, and against float64 finite differences.

The tolerances live in nnbench.engine.workbench.testing, stated once.
"""

import numpy as np
import pytest

from nnbench.engine import ops
from nnbench.engine.workbench import testing

CASES = [
    pytest.param(op, sample, id=f"{op.name}-{sample.describe()}")
    for op in testing.OPS
    for sample in op.samples()
]


@pytest.mark.parametrize(("op", "sample"), CASES)
def test_op_matches_pytorch(op, sample, device):
    result = testing.compare(op, sample, device)
    assert result.passed, (
        f"{op.name} on {sample.describe()}: forward error {result.forward_error:.3g}, "
        f"grad error {result.grad_error:.3g} {result.message}"
    )


def _gradcheck_cases():
    for op in testing.OPS:
        if not (op.differentiable and op.gradcheck):
            continue
        samples = [s for s in op.samples() if all(a.size for a in s.arrays)]
        for sample in samples[:3]:
            yield pytest.param(op, sample, id=f"{op.name}-{sample.describe()}")


@pytest.mark.parametrize(("op", "sample"), list(_gradcheck_cases()))
def test_gradient_matches_finite_differences(op, sample):
    passed, worst, where = testing.gradcheck(op.fn, sample.arrays, view=sample.view)
    assert passed, f"{op.name}: largest difference {worst:.3g} at {where}"


# Op classes that no sample of the op table runs, each with the reason
NOT_IN_THE_TABLE = {
    "Compare": "the base of Eq, Ne, Lt, Le, Gt and Ge; never applied itself",
    "PickAlongDim": "the base of MaxDim, MinDim, MedianDim, KthValue and Mode",
    "ToDevice": "made by .to(device) across backends, not by apply(); test_tensor's "
    "test_moving_between_backends_keeps_values_and_gradients checks it",
    "_HookOutput": "the identity node a module's backward hook adds (nn/module.py); PyTorch "
    "has no op to compare it with; test_nn checks what the hooks see",
    "_HookInput": "the same, for the module's inputs",
    "_Unary": "the base of Tan, Asin, Sinh, Log2, ... (engine/ops/elementwise.py)",
    "_Step": "the base of Floor, Ceil, Trunc, Round and Sign",
    "FloorDivide": "a // b has no derivative in PyTorch (NotImplemented), so the table's "
    "per-node backward check cannot judge it; test_elementwise checks its values and error",
}


def _op_classes() -> set:
    """Every Function subclass the engine defines, in engine/ops or elsewhere (nn's hooks)."""
    import nnbench.engine  # noqa: F401 - loads nn, whose hook nodes are Functions too

    found, stack = set(), [ops.Function]
    while stack:
        for cls in stack.pop().__subclasses__():
            if cls.__module__.startswith("nnbench.engine"):
                found.add(cls)
            stack.append(cls)
    return found


def test_every_op_class_is_in_the_table_or_excluded_by_name():
    """A new op class without an entry in the op table fails here, not silently."""
    missing = {cls.__name__ for cls in _op_classes() - testing.functions_run()}
    assert missing == set(NOT_IN_THE_TABLE)


def test_every_op_in_the_table_says_how_pytorch_computes_it():
    """The Graph pane's per-node check needs each op's PyTorch words (Op.torch)."""
    from nnbench.engine.workbench import oracle

    assert {f.__name__ for f in testing.functions_run() if not oracle.supported(f)} == set()


NODE_CASES = [
    pytest.param(op, sample, id=f"{op.name}-{sample.describe()}")
    for op in testing.OPS
    for sample in op.samples()[:3]
]


@pytest.mark.parametrize(("op", "sample"), NODE_CASES)
def test_the_per_node_check_agrees_with_pytorch_on_the_table(op, sample, device):
    results = testing.check_nodes(op, sample, device)
    assert results, "no node was checked"
    for name, phase, difference in results:
        assert difference is None or difference <= testing.NODE_TOL, (name, phase, difference)
    assert all(d is not None for _, phase, d in results if phase == "forward")


def _broken_backward(original):
    def backward(self, grad):
        sent = original(self, grad)
        sent = sent if isinstance(sent, tuple) else (sent,)
        return tuple(None if g is None else g * 1.5 + 0.25 for g in sent)

    return backward


def test_the_per_node_check_sees_every_wrong_backward(monkeypatch):
    """Every differentiable op class with a deliberately wrong backward shows a difference
    above tolerance in the per-node check (so the check cannot be `return 0.0`)."""
    differentiable = {f for f in testing.functions_run() if f.differentiable}
    for function in differentiable:
        monkeypatch.setattr(function, "backward", _broken_backward(function.backward))
    caught = set()
    for op in testing.OPS:
        for sample in op.samples()[:3]:
            for name, phase, difference in testing.check_nodes(op, sample, "numpy"):
                if phase == "backward" and difference is not None and difference > testing.NODE_TOL:
                    caught.add(name)
    assert {f.__name__ for f in differentiable} - caught == set()


def test_a_backward_that_loses_a_gradient_is_not_agreement(monkeypatch):
    """Mul sending nothing to b (which wanted a gradient) reads as a difference."""

    def loses_b(self, grad):
        a, b = self.saved
        return grad * b, None

    monkeypatch.setattr(ops.Mul, "backward", loses_b)
    mul = testing.OPS_BY_NAME["mul"]
    results = testing.check_nodes(mul, mul.samples()[1], "numpy")
    assert ("Mul", "backward", float("inf")) in results


def test_the_per_node_check_sees_a_wrong_forward(monkeypatch):
    def wrong(self, a):
        out = self.xp.exp(a) * 1.01
        self.save(out)
        return out

    monkeypatch.setattr(ops.Exp, "forward", wrong)
    exp = testing.OPS_BY_NAME["exp"]
    results = testing.check_nodes(exp, exp.samples()[3], "numpy")
    assert any(phase == "forward" and d > testing.NODE_TOL for _, phase, d in results)


def test_harness_catches_a_wrong_backward(monkeypatch):
    """Break Mul's backward (grad * a instead of grad * b): both checks must fail."""

    def wrong(self, grad):
        a, b = self.saved
        return grad * a, grad * a

    monkeypatch.setattr(ops.Mul, "backward", wrong)
    mul = testing.OPS_BY_NAME["mul"]
    sample = mul.samples()[1]
    assert not testing.compare(mul, sample, "numpy").passed
    passed, worst, _ = testing.gradcheck(mul.fn, sample.arrays)
    assert not passed and worst > 1e-3


def test_harness_catches_a_wrong_forward(monkeypatch):
    monkeypatch.setattr(ops.Exp, "forward", lambda self, a: self.xp.exp(a) * (1 + 1e-2))
    exp = testing.OPS_BY_NAME["exp"]
    assert not testing.compare(exp, exp.samples()[3], "numpy").passed


def test_samples_cover_scalars_empties_broadcasts_and_views():
    shapes = {tuple(tuple(a.shape) for a in s.arrays) for op in testing.OPS for s in op.samples()}
    for needed in [((),), ((0,),), ((1, 0, 3),), ((2, 1), (2,)), ((1, 3, 2), (3, 2))]:
        assert needed in shapes
    assert ((3, 1, 2), (1, 3, 2)) in shapes
    views = {s.view for op in testing.OPS for s in op.samples()}
    assert {"T", "step"} <= views


def test_samples_stay_away_from_kinks():
    relu = testing.OPS_BY_NAME["relu"]
    generated = relu.samples()[: -len(relu.extra)]  # the hand-made edges sit on them on purpose
    for sample in generated:
        for array in sample.arrays:
            assert np.all(np.abs(array) >= 0.05)


def test_the_per_node_check_agrees_where_both_give_the_same_inf_or_nan():
    import torch

    from nnbench.engine.workbench import oracle

    inf, nan = float("inf"), float("nan")
    mine = np.array([1.0, inf, -inf, nan], dtype=np.float32)
    assert oracle._max_difference(mine, torch.tensor([1.0, inf, -inf, nan])) == 0.0
    assert oracle._max_difference(mine, torch.tensor([1.0, -inf, -inf, nan])) == inf
    assert oracle._max_difference(mine, torch.tensor([1.0, inf, -inf, 0.0])) == inf
    assert oracle._max_difference(mine, torch.tensor([1.5, inf, -inf, nan])) == 0.5


def test_the_inspector_spells_each_op_as_torch_code_with_its_labels():
    from nnbench.engine.workbench.oracle import torch_spelling

    assert torch_spelling(ops.T, {}, ["r0"]) == "r0.t()"
    assert torch_spelling(ops.Softmax, {"dim": 1}, ["r1"]) == "r1.softmax(1)"
    assert torch_spelling(ops.Cat, {"dim": 0}, ["a", "b"]) == "torch.cat([a, b], 0)"
    assert torch_spelling(ops.Add, {}, ["x", "y"]) == "x + y"
    for function in _op_classes():
        if function.torch is not None:
            labels = [f"r{i}" for i in range(4)]
            compile(torch_spelling(function, {}, labels), function.__name__, "eval")
