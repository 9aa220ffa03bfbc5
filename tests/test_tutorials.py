"""The tutorials' promise: their PyTorch code, with only the imports changed to the engine,
prints what it prints under PyTorch (numbers within float32 tolerance) and raises where
PyTorch raises.

Each lesson in ``tests/tutorials/`` does what one section of a tutorial teaches, in this
project's own code; here each runs under PyTorch and under the engine from the same
starting numbers, and the two transcripts are compared line by line.
"""

import inspect

import numpy as np
import pytest

from .tutorials import blitz, mlp_by_hand, pytorch_in_an_hour, tinytorch_layers
from .tutorials.transcript import Line, compare, differences

TUTORIALS = [pytorch_in_an_hour, mlp_by_hand, blitz, tinytorch_layers]
LESSONS = [
    pytest.param(fn, id=f"{module.__name__.rsplit('.', 1)[1]}:{name.removeprefix('lesson_')}")
    for module in TUTORIALS
    for name, fn in inspect.getmembers(module, inspect.isfunction)
    if name.startswith("lesson_") and fn.__module__ == module.__name__
]


@pytest.mark.parametrize("lesson", LESSONS)
def test_lesson_prints_what_pytorch_prints(lesson):
    compare(lesson)


# ------------------------------------------------------------- the comparison itself
def _one(text, *values, error=None):
    return [Line(text, [np.array(v) for v in values], error)]


def test_float32_noise_and_rounding_in_the_last_digit_pass():
    assert differences(_one("tensor(0.1235)", 0.12345), _one("tensor(0.1234)", 0.123449)) == []
    assert differences(_one("loss 2.70416522"), _one("loss 2.70416510")) == []
    assert (
        differences(_one("<MulBackward0 object at 0x7f01>"), _one("<MulBackward0 object at 0x9a>"))
        == []
    )


def test_a_different_number_word_or_kind_fails():
    assert differences(_one("tensor(0.1235)", 0.1235), _one("tensor(0.1237)", 0.1237))
    assert differences(_one("tensor(20.)"), _one("tensor(21.)"))
    assert differences(_one("grad_fn=<AddmmBackward0>"), _one("grad_fn=<AddBackward0>"))
    assert differences(_one("tensor([ 1, 2])"), _one("tensor([1, 2])"))
    assert differences(_one("x", [1.0, 2.0]), _one("x", [1, 2]))
    assert differences(_one("x", [1.0, 2.0]), _one("x", [[1.0, 2.0]]))
    assert differences(_one("101,770 parameters"), _one("101,771 parameters"))


def test_the_engine_must_raise_a_kind_of_what_pytorch_raises():
    class ShapeError(RuntimeError):
        pass

    raised = _one("x: raises", error=RuntimeError("torch"))
    assert differences(raised, _one("x: raises", error=ShapeError("engine"))) == []
    assert differences(raised, _one("x: raises", error=TypeError("engine")))
    assert differences(raised, _one("x: returns 3"))
    assert differences(_one("x: returns 3"), _one("x: raises", error=ValueError("engine")))
