"""Running one piece of tutorial code on PyTorch 2.13 and on the engine, and comparing.

A case is ``(name, fn, pattern)``: ``fn(m, d)`` takes the library (``torch`` or
``nnbench.engine``) and a device string. Where PyTorch raises, the engine must raise an
instance of PyTorch's exception class whose message matches ``pattern`` (the function,
the values, a fix); where PyTorch returns, the engine must return the same thing: the
same container types (a list where torch gives a list), tensors of the same shape, dtype
and values, and equal plain values.
"""

import re
import warnings

import numpy as np
import pytest

import nnbench.engine as ne

torch = pytest.importorskip("torch")

BACKENDS = ["numpy", "torch:cpu"]


def run(lib, fn, device):
    """fn's result or its exception; the engine's side runs with warnings as errors (numpy's
    deprecations included), torch's with its own warnings ignored."""
    with warnings.catch_warnings():
        if lib is torch:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("error")
            warnings.filterwarnings(
                "ignore", category=RuntimeWarning, module=r"nnbench\.engine\..*"
            )
        try:
            return fn(lib, device)
        except Exception as error:  # noqa: BLE001 - the error is what is compared
            return error


def check_case(fn, pattern, backend="numpy"):
    expected = run(torch, fn, "cpu")
    got = run(ne, fn, backend)
    if isinstance(expected, Exception):
        assert isinstance(got, Exception), (
            f"PyTorch raises {type(expected).__name__} ({expected}), the engine returned {got!r}"
        )
        assert isinstance(got, type(expected)), (
            f"PyTorch raises {type(expected).__name__}, the engine {type(got).__name__}: {got}"
        )
        assert pattern and re.search(pattern, str(got), re.S), f"message: {got}"
        return
    if isinstance(got, Exception):
        raise AssertionError(f"PyTorch returns {expected!r}, the engine raised") from got
    assert pattern is None, "a case where PyTorch returns needs no message pattern"
    assert_same(got, expected)


def dtype_name(dtype) -> str:
    return dtype.name if isinstance(dtype, ne.DType) else str(dtype).removeprefix("torch.")


def assert_same(got, expected, where="result"):
    """The engine's answer is PyTorch's: containers of the same type, tensors alike."""
    if isinstance(expected, torch.Tensor):
        assert isinstance(got, ne.Tensor), f"{where}: engine returned {type(got).__name__}"
        assert tuple(got.shape) == tuple(expected.shape), f"{where}: shape {got.shape}"
        assert dtype_name(got.dtype) == dtype_name(expected.dtype), f"{where}: {got.dtype}"
        assert got.requires_grad == expected.requires_grad, f"{where}: requires_grad"
        np.testing.assert_allclose(
            got.detach().numpy(), expected.detach().numpy(), rtol=1e-6, err_msg=where
        )
        return
    if isinstance(expected, dict):
        assert type(got).__name__ == type(expected).__name__, f"{where}: {type(got)}"
        assert list(got) == list(expected), f"{where}: keys {list(got)}"
        for key in expected:
            assert_same(got[key], expected[key], f"{where}[{key!r}]")
        return
    if isinstance(expected, (tuple, list)):
        assert type(got).__name__ == type(expected).__name__, (
            f"{where}: engine {type(got).__name__}, torch {type(expected).__name__}"
        )
        assert len(got) == len(expected), f"{where}: length {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            assert_same(g, e, f"{where}[{i}]")
        return
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: engine returned {type(got).__name__}"
        assert got.dtype == expected.dtype, f"{where}: {got.dtype}"
        np.testing.assert_array_equal(got, expected, err_msg=where)
        return
    assert type(got) is type(expected), f"{where}: engine {type(got)}, torch {type(expected)}"
    assert got == expected, f"{where}: engine {got!r}, torch {expected!r}"


def meta(t):
    """What two random or uninitialised tensors share: shape, dtype, requires_grad."""
    return [tuple(t.shape), dtype_name(t.dtype), t.requires_grad]
