"""numpy on tensors, as with torch tensors: ``np.asarray(t)`` reads the values (sharing
memory), numpy's ufuncs hand back a tensor, and a tensor that requires grad is refused.
Each case runs on PyTorch 2.13 and on the engine."""

import warnings

import numpy as np
import pytest

import nnbench.engine as ne

from .against_torch import BACKENDS, check_case, torch


def _t(m, d, data=(1.0, 2.0), **kw):
    return m.tensor(list(data), device=d, **kw)


def _as_numpy(array):
    """An ndarray as comparable plain values (its type, dtype and numbers)."""
    return [type(array).__name__, str(array.dtype), array.tolist()]


def _asarray_shares(m, d):
    t = _t(m, d)
    np.asarray(t)[0] = 7.0
    return t


def _grad(m, d):
    return _t(m, d, requires_grad=True)


GRAD_REFUSED = r"numpy: can't call numpy\(\) on a tensor that requires grad .*np.asarray\(t.detach"

CASES = [
    ("asarray", lambda m, d: _as_numpy(np.asarray(_t(m, d))), None),
    ("asarray_ints", lambda m, d: _as_numpy(np.asarray(_t(m, d, [1, 2]))), None),
    ("asarray_bools", lambda m, d: _as_numpy(np.asarray(_t(m, d, [True, False]))), None),
    ("asarray_0d", lambda m, d: _as_numpy(np.asarray(m.tensor(3.0, device=d))), None),
    ("asarray_dtype", lambda m, d: _as_numpy(np.asarray(_t(m, d), dtype=np.float64)), None),
    ("asarray_int_dtype", lambda m, d: _as_numpy(np.asarray(_t(m, d), dtype=np.int32)), None),
    ("array_copy", lambda m, d: _as_numpy(np.array(_t(m, d), copy=True)), None),
    ("asarray_shares_memory", _asarray_shares, None),
    ("asarray_2d_view", lambda m, d: _as_numpy(np.asarray(m.ones(2, 3, device=d).T)), None),
    ("exp", lambda m, d: np.exp(_t(m, d)), None),
    ("exp_of_ints_is_float64", lambda m, d: np.exp(_t(m, d, [1, 2])), None),
    ("exp_of_0d", lambda m, d: np.exp(m.tensor(1.0, device=d)), None),
    ("sqrt_of_ints", lambda m, d: np.sqrt(_t(m, d, [4])), None),
    ("tanh_of_a_transpose", lambda m, d: np.tanh(m.ones(2, 3, device=d).T), None),
    ("abs", lambda m, d: np.abs(_t(m, d, [-1.0, 2.0])), None),
    ("add_a_number", lambda m, d: np.add(_t(m, d), 1), None),
    ("maximum", lambda m, d: np.maximum(_t(m, d), 1.5), None),
    ("add_array_and_tensor", lambda m, d: np.add(np.ones(2), _t(m, d)), None),
    ("matmul_ufunc", lambda m, d: np.matmul(_t(m, d), _t(m, d)), None),
    ("add_reduce", lambda m, d: np.add.reduce(_t(m, d)), None),
    ("divmod_gives_tensors", lambda m, d: list(np.divmod(_t(m, d, [3.0, 5.0]), 2)), None),
    ("exp_out_is_the_array", lambda m, d: _as_numpy(np.exp(_t(m, d), out=np.zeros(2))), None),
    ("float_of_exp", lambda m, d: float(np.exp(_t(m, d)[0])), None),
    ("tensor_plus_array", lambda m, d: _t(m, d) + np.ones(2), None),
    ("tensor_times_array", lambda m, d: _t(m, d) * np.full(2, 3, dtype=np.float32), None),
    ("numpy_float_times_tensor", lambda m, d: np.float64(2.0) * _t(m, d), None),
    ("numpy_float32_plus_tensor", lambda m, d: np.float32(2.0) + _t(m, d), None),
    ("numpy_int_times_tensor", lambda m, d: np.int64(2) * _t(m, d), None),
    ("numpy_float_less_than_tensor", lambda m, d: np.float64(1.5) < _t(m, d), None),
    ("array_equals_tensor", lambda m, d: np.ones(2) == _t(m, d), None),
    ("array_over_tensor", lambda m, d: np.ones(2) / _t(m, d), None),
    ("concatenate_gives_an_array", lambda m, d: _as_numpy(np.concatenate([_t(m, d)] * 2)), None),
    ("stack_gives_an_array", lambda m, d: _as_numpy(np.stack([_t(m, d)] * 2)), None),
    ("where_gives_an_array", lambda m, d: _as_numpy(np.where([True, False], _t(m, d), 0)), None),
    ("allclose", lambda m, d: bool(np.allclose(_t(m, d), _t(m, d))), None),
    ("testing_assert_allclose", lambda m, d: np.testing.assert_allclose(_t(m, d), [1, 2]), None),
    ("isclose", lambda m, d: _as_numpy(np.isclose(_t(m, d), _t(m, d))), None),
    ("linalg_norm", lambda m, d: float(np.linalg.norm(_t(m, d, [3.0, 4.0]))), None),
    ("mean_of_numpy", lambda m, d: float(np.mean(_t(m, d).numpy())), None),
    ("asarray_requires_grad", lambda m, d: np.asarray(_grad(m, d)), GRAD_REFUSED),
    ("exp_requires_grad", lambda m, d: np.exp(_grad(m, d)), GRAD_REFUSED),
    ("array_requires_grad", lambda m, d: np.array(_grad(m, d)), GRAD_REFUSED),
    ("add_requires_grad", lambda m, d: np.add(_grad(m, d), 1), GRAD_REFUSED),
    ("detached_is_fine", lambda m, d: _as_numpy(np.asarray(_grad(m, d).detach())), None),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_numpy_on_tensors_matches_pytorch(name, fn, pattern, backend):
    check_case(fn, pattern, backend)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


# ------------------------------------------------------------------ where the engine differs
def test_an_array_on_the_left_of_an_operator_still_gives_a_tensor():
    """torch: ``np.ones(2) + t`` raises TypeError (its reflected operators refuse an
    ndarray, all but ``==`` and ``/``), which reads as an accident: ``t + np.ones(2)``
    works. The engine answers both orders, with the gradient flowing."""
    for op in ("+", "-", "*", "**", "@", "<"):
        with pytest.raises(TypeError):
            eval(f"np.ones(2) {op} torch.tensor([1.0, 2.0])")  # noqa: S307 - fixed strings
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    y = np.ones(2) - x
    assert isinstance(y, ne.Tensor) and y.tolist() == [0.0, -1.0] and y.dtype is ne.float64
    (np.ones(2) * y).sum().backward()
    assert x.grad.tolist() == [-1.0, -1.0]
    assert (np.ones(2) @ ne.tensor([1.0, 2.0])).item() == 3.0
    assert (np.ones(2) < ne.tensor([1.0, 2.0])).tolist() == [False, True]


def test_a_tensor_that_requires_grad_plus_an_array_is_differentiated():
    """torch's ``t + ndarray`` is numpy's ufunc (its own operator gives up on an ndarray),
    so a tensor that requires grad raises there; the engine's operator takes the array."""
    with pytest.raises(RuntimeError, match="Can't call numpy"):
        torch.ones(2, requires_grad=True) + np.ones(2)
    x = ne.ones(2, requires_grad=True)
    (x * np.array([2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 3.0]


def test_an_array_plus_equals_a_tensor_becomes_a_tensor():
    """torch: TypeError. Python falls back to ``t.__radd__``, so the name is rebound."""
    a = np.ones(2)
    a += ne.tensor([1.0, 2.0])
    assert isinstance(a, ne.Tensor) and a.tolist() == [2.0, 3.0]


def test_numpy_predicates_give_bool_tensors():
    """torch turns numpy's bool results into uint8 (a workaround from before torch had
    bools); the engine keeps bool, so the result still works as a mask."""
    t = ne.tensor([1.0, float("nan")])
    mask = np.isnan(t)
    assert mask.dtype is ne.bool and mask.tolist() == [False, True]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's __array_wrap__ predates numpy 2's arguments
        assert np.isnan(torch.tensor([1.0])).dtype == torch.uint8
    t[mask] = 0.0
    assert t.tolist() == [1.0, 0.0]


def test_copy_false_shares_or_refuses():
    """numpy 2's copy=False: the array itself, or a ValueError where a copy is needed
    (torch's __array__ takes no copy argument, so numpy always refuses there)."""
    t = ne.tensor([1.0, 2.0])
    np.asarray(t, copy=False)[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    with pytest.raises(ValueError, match=r"numpy: a float32 tensor as float64 needs a copy"):
        np.array(t, dtype=np.float64, copy=False)
    copied = np.array(t, copy=True)
    copied[0] = 0.0
    assert t.tolist() == [5.0, 2.0]


def test_a_cuda_tensor_is_refused_as_torch_refuses_it(monkeypatch):
    from nnbench.engine import backends

    t = ne.tensor([1.0])
    monkeypatch.setattr(t, "device", backends.Device("cuda", 0, "torch"))
    with pytest.raises(TypeError, match=r"numpy: can't convert a cuda:0 tensor .*t.cpu\(\)"):
        np.asarray(t)


def test_ufunc_results_stay_on_the_tensors_cpu_backend():
    t = ne.tensor([1.0, 2.0], device="torch:cpu")
    assert np.exp(t).device is t.device
    assert np.exp(ne.tensor([1.0])).device.backend_name == "numpy"


def test_lists_of_tensors_keep_their_rules():
    """ne.tensor([...]) reads numbers out of one-element tensors itself, not through
    __array__: a tensor that requires grad is fine, a longer one is refused, and the
    tensors' dtypes are promoted as torch promotes them."""
    x = ne.tensor(2.0, requires_grad=True)
    assert ne.tensor([x, ne.tensor(1.0)]).tolist() == [2.0, 1.0]
    assert ne.tensor([1.0, x]).tolist() == [1.0, 2.0]
    small = ne.tensor(1, dtype=ne.int32)
    assert ne.tensor([small, small]).dtype is ne.int32
    assert torch.tensor([torch.tensor(1, dtype=torch.int32)] * 2).dtype == torch.int32
    with pytest.raises(ne.EngineError, match=r"only one-element tensors"):
        ne.tensor([ne.ones(2), ne.ones(2)])
