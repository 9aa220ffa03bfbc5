"""Both array backends keep to one declared interface (the CUDA path never runs in CI).

``ArrayBackend`` lists what the ops may call. numpy and torch:cpu are held to it here
by name, by signature and by what each call returns; torch:cuda is the same class as
torch:cpu on another device, so it is held to it too.
"""

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from nnbench.engine import backends, dtypes

ENGINE = Path(backends.__file__).resolve().parent
MEMBERS = sorted(
    name
    for name, value in vars(backends.ArrayBackend).items()
    if not name.startswith("_") and callable(value)
)


@pytest.fixture(scope="module")
def torch_backend():
    pytest.importorskip("torch")
    return backends.device("torch:cpu").backend


def _backends(torch_backend):
    return {"numpy": backends.NUMPY, "torch": torch_backend}


def test_both_backends_provide_every_declared_function(torch_backend):
    for label, backend in _backends(torch_backend).items():
        missing = [name for name in MEMBERS if not callable(getattr(backend, name, None))]
        assert missing == [], f"{label} backend lacks {missing}"
        assert isinstance(backend.name, str) and backend.device is not None


def _parameters(fn) -> list[str] | None:
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # numpy ufuncs and torch builtins have none to read
        return None
    return params[1:] if params and params[0] == "self" else params


def test_python_implementations_take_the_declared_arguments(torch_backend):
    """A backend method written in Python names its arguments as the interface does."""
    for label, backend in _backends(torch_backend).items():
        for name in MEMBERS:
            declared = _parameters(getattr(backends.ArrayBackend, name))
            implementation = getattr(type(backend), name, None)
            if not inspect.isfunction(implementation):
                continue  # a staticmethod wrapping a library function
            assert _parameters(implementation) == declared, f"{label}.{name}"


def _called_backend_functions() -> dict[str, str]:
    """Every `xp.name(...)`, `self.xp.name(...)` and `....backend.name(...)` in the engine."""
    found = {}
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            owner_name = (
                owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            )
            if owner_name in ("xp", "backend"):
                found.setdefault(node.func.attr, f"{path.relative_to(ENGINE)}:{node.lineno}")
    return found


def test_the_engine_calls_only_declared_functions():
    called = _called_backend_functions()
    assert len(called) > 30  # the scan itself works
    undeclared = {name: where for name, where in called.items() if name not in MEMBERS}
    assert undeclared == {}


F32 = dtypes.float32
I64 = dtypes.int64


def _x(xp):
    return xp.asarray([[0.5, -1.5, 2.0], [3.0, -0.25, 0.0]], F32)


def _odd(xp):
    return xp.asarray([np.nan, np.inf, -np.inf, 1.0], F32)


def _idx(xp):
    return xp.asarray([[2, 0], [1, 1]], I64)


class _Generator:
    """The same draws for both backends: randn is called with a numpy Generator."""

    def __new__(cls):
        return np.random.default_rng(3)


# One call per declared function; each returns something comparable across backends.
CALLS = {
    "exp": lambda xp: xp.exp(_x(xp)),
    "log": lambda xp: xp.log(xp.abs(_x(xp)) + 1),
    "sin": lambda xp: xp.sin(_x(xp)),
    "cos": lambda xp: xp.cos(_x(xp)),
    "sqrt": lambda xp: xp.sqrt(xp.abs(_x(xp))),
    "tanh": lambda xp: xp.tanh(_x(xp)),
    "abs": lambda xp: xp.abs(_x(xp)),
    "sign": lambda xp: xp.sign(_x(xp)),
    "relu": lambda xp: xp.relu(_x(xp)),
    "erf": lambda xp: xp.erf(_x(xp)),
    "sigmoid": lambda xp: xp.sigmoid(_x(xp)),
    "maximum": lambda xp: xp.maximum(_x(xp), 0.5),
    "minimum": lambda xp: xp.minimum(_x(xp), 0.5),
    "clip": lambda xp: xp.clip(_x(xp), -1.0, 1.0),
    "where": lambda xp: xp.where(_x(xp) > 0, _x(xp), 0.0),
    "matmul": lambda xp: xp.matmul(_x(xp), xp.matrix_transpose(_x(xp))),
    "isnan": lambda xp: xp.isnan(_odd(xp)),
    "isinf": lambda xp: xp.isinf(_odd(xp)),
    "isfinite": lambda xp: xp.isfinite(_odd(xp)),
    "logical_not": lambda xp: xp.logical_not(_x(xp) > 0),
    "subtract": lambda xp: xp.subtract(_x(xp), 1.0, out=xp.zeros((2, 3), F32)),
    "multiply": lambda xp: xp.multiply(_x(xp), 2.0, out=xp.zeros((2, 3), F32)),
    "divide": lambda xp: xp.divide(_x(xp), 4.0, out=xp.zeros((2, 3), F32)),
    "sqrt_into": lambda xp: xp.sqrt_into(xp.abs(_x(xp)), out=xp.zeros((2, 3), F32)),
    "asarray": lambda xp: xp.asarray([1, 2, 3], dtypes.int32),
    "from_numpy": lambda xp: xp.from_numpy(np.arange(6.0).reshape(2, 3)),
    "to_numpy": lambda xp: xp.to_numpy(_x(xp)),
    "zeros": lambda xp: xp.zeros((2, 0, 3), F32),
    "ones": lambda xp: xp.ones((3,), dtypes.bool_),
    "full": lambda xp: xp.full((2, 2), 7, I64),
    "arange": lambda xp: xp.arange(1, 7, 2, F32),
    "eye": lambda xp: xp.eye(2, 3, F32),
    "astype": lambda xp: xp.astype(_x(xp), I64),
    "copy": lambda xp: xp.copy(_x(xp)),
    "randn": lambda xp: xp.randn(_Generator(), (2, 3), F32),
    "sum": lambda xp: xp.sum(_x(xp), axis=1, keepdims=True),
    "prod": lambda xp: xp.prod(xp.asarray([[1, 2], [3, 4]], dtypes.int8), axis=0),
    "max": lambda xp: xp.max(_x(xp), axis=0),
    "min": lambda xp: xp.min(_x(xp)),
    "argmax": lambda xp: xp.argmax(_x(xp), axis=1),
    "argmin": lambda xp: xp.argmin(_x(xp), axis=0, keepdims=True),
    "cumprod": lambda xp: xp.cumprod(_x(xp), 1),
    "topk": lambda xp: xp.topk(_x(xp), 2, 1, True),
    "sort": lambda xp: xp.sort(_x(xp), 1, True),
    "maximum_into": lambda xp: xp.maximum_into(
        _x(xp), xp.zeros((2, 3), F32), xp.zeros((2, 3), F32)
    ),
    "shares_memory": lambda xp: xp.shares_memory(_x(xp), _x(xp)),
    "mode_index": lambda xp: xp.mode_index(xp.asarray([[2, 1, 2, 3, 1], [5, 5, 4, 4, 3]], I64), 1),
    "reshape": lambda xp: xp.reshape(_x(xp), (3, 2)),
    "permute": lambda xp: xp.permute(_x(xp), (1, 0)),
    "matrix_transpose": lambda xp: xp.matrix_transpose(_x(xp)),
    "flip": lambda xp: xp.flip(_x(xp), 1),
    "broadcast_to": lambda xp: xp.broadcast_to(xp.asarray([1.0, 2.0, 3.0], F32), (2, 3)),
    "concatenate": lambda xp: xp.concatenate([_x(xp), _x(xp)], 0),
    "stack": lambda xp: xp.stack([_x(xp), _x(xp)], 2),
    "take_along_axis": lambda xp: xp.take_along_axis(_x(xp), _idx(xp), 1),
    "scatter_add": lambda xp: xp.scatter_add((2, 3), F32, 1, _idx(xp), xp.ones((2, 2), F32)),
    "index_add_flat": lambda xp: xp.index_add_flat(
        4, F32, xp.asarray([0, 3, 3], I64), xp.ones((3,), F32)
    ),
    "any": lambda xp: xp.any(_x(xp) > 2.5),
    "count_nonzero": lambda xp: xp.count_nonzero(_x(xp)),
    "sum_of_squares": lambda xp: xp.sum_of_squares(_x(xp)),
    "item": lambda xp: xp.item(xp.sum(_x(xp))),
    "tolist": lambda xp: xp.tolist(_x(xp)),
    "is_contiguous": lambda xp: (
        xp.is_contiguous(_x(xp)),
        xp.is_contiguous(xp.matrix_transpose(_x(xp))),
    ),
    "owns": lambda xp: (xp.owns(xp.copy(_x(xp))), xp.owns(xp.matrix_transpose(_x(xp)))),
    "is_transposed": lambda xp: (
        xp.is_transposed(_x(xp)),
        xp.is_transposed(xp.matrix_transpose(_x(xp))),
    ),
}


def test_every_declared_function_has_a_call_below():
    assert sorted(CALLS) == MEMBERS


def _plain(value, backend):
    if isinstance(value, (tuple, list)):
        return [_plain(v, backend) for v in value]
    if isinstance(value, (bool, int, float, np.ndarray)):
        return value
    array = backend.to_numpy(value)
    return np.asarray(array)


@pytest.mark.parametrize("name", MEMBERS)
def test_both_backends_give_the_same_answer(name, torch_backend):
    mine = _plain(CALLS[name](backends.NUMPY), backends.NUMPY)
    theirs = _plain(CALLS[name](torch_backend), torch_backend)
    _assert_same(mine, theirs, name)


def _assert_same(mine, theirs, name):
    if isinstance(mine, list):
        assert isinstance(theirs, list) and len(mine) == len(theirs), name
        for m, t in zip(mine, theirs):
            _assert_same(m, t, name)
        return
    if isinstance(mine, np.ndarray):
        assert mine.shape == theirs.shape, name
        assert mine.dtype == theirs.dtype, f"{name}: {mine.dtype} against {theirs.dtype}"
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-7, err_msg=name)
        return
    assert type(mine) is type(theirs), f"{name}: {type(mine)} against {type(theirs)}"
    assert mine == pytest.approx(theirs, rel=1e-6), name
