"""Making tensors as tutorials do: every ``size=`` spelling, ``empty``, ``randperm`` and the
``torch.Tensor(...)`` constructor, each case run on PyTorch 2.13 and on the engine."""

import numpy as np
import pytest

import nnbench.engine as ne

from .against_torch import BACKENDS, check_case, meta, torch

CREATION = [
    ("ones_size_keyword", lambda m, d: m.ones(size=(2, 1), device=d), None),
    ("zeros_size_list", lambda m, d: m.zeros(size=[2, 3], device=d), None),
    ("zeros_size_Size", lambda m, d: m.zeros(m.ones(2, 3).shape, device=d), None),
    ("ones_dtype", lambda m, d: m.ones(2, dtype=m.int32, device=d), None),
    ("full_size_keyword", lambda m, d: m.full(size=(2,), fill_value=3, device=d), None),
    ("full_bool", lambda m, d: m.full((2,), True, device=d), None),
    ("full_float", lambda m, d: m.full((2, 2), 1.5, device=d), None),
    ("empty_sizes", lambda m, d: meta(m.empty(2, 3, device=d)), None),
    ("empty_tuple", lambda m, d: meta(m.empty((2, 3), device=d)), None),
    ("empty_size_keyword", lambda m, d: meta(m.empty(size=(2, 3), dtype=m.float64)), None),
    ("empty_requires_grad", lambda m, d: meta(m.empty(2, requires_grad=True)), None),
    ("empty_like", lambda m, d: meta(m.empty_like(m.ones(2, 3, dtype=m.int64))), None),
    ("randn_size_keyword", lambda m, d: meta(m.randn(size=(2, 3), device=d)), None),
    ("rand_size_keyword", lambda m, d: meta(m.rand(size=(4,), dtype=m.float64)), None),
    ("randn_generator_none", lambda m, d: meta(m.randn(2, generator=None)), None),
    ("randint_size_keyword", lambda m, d: meta(m.randint(0, 5, size=(3,), device=d)), None),
    ("randint_high_and_size", lambda m, d: meta(m.randint(5, (3,))), None),
    ("randint_keywords", lambda m, d: meta(m.randint(low=0, high=5, size=(3, 2))), None),
    ("randint_high_keyword", lambda m, d: meta(m.randint(high=5, size=(3,))), None),
    ("randint_dtype", lambda m, d: meta(m.randint(0, 5, (2,), dtype=m.int32)), None),
    ("randint_range", lambda m, d: bool(((m.randint(3, 5, (50,)) - 3) < 2).all()), None),
    ("arange_dtype", lambda m, d: m.arange(5, dtype=m.float32, device=d), None),
    ("arange_keywords", lambda m, d: m.arange(start=1, end=4, device=d), None),
    ("arange_end_keyword", lambda m, d: m.arange(end=4), None),
    ("arange_step_keyword", lambda m, d: m.arange(0, 1, step=0.25, dtype=m.float64), None),
    ("eye_n_keyword", lambda m, d: m.eye(n=3, device=d), None),
    (
        "zeros_size_twice",
        lambda m, d: m.zeros(2, size=(2,)),
        r"zeros\(\) got multiple values for argument 'size': \(2,\) and size=\(2,\)",
    ),
    ("empty_negative", lambda m, d: m.empty(-1), r"empty: .*negative size: shape \(-1,\)"),
    (
        "randn_size_twice",
        lambda m, d: m.randn(2, size=(3,)),
        r"randn\(\) got multiple values for argument 'size'",
    ),
    ("arange_nothing", lambda m, d: m.arange(), r"arange\(\) missing the end: e.g. arange\(5\)"),
]

RANDPERM = [
    ("randperm_meta", lambda m, d: meta(m.randperm(5, device=d)), None),
    ("randperm_covers_each", lambda m, d: sorted(m.randperm(6, device=d).tolist()), None),
    ("randperm_empty", lambda m, d: m.randperm(0, device=d), None),
    ("randperm_float", lambda m, d: sorted(m.randperm(5, dtype=m.float32).tolist()), None),
    ("randperm_float16_meta", lambda m, d: meta(m.randperm(3, dtype=m.float16)), None),
    ("randperm_uint8_fits", lambda m, d: meta(m.randperm(256, dtype=m.uint8)), None),
    ("randperm_n_keyword", lambda m, d: meta(m.randperm(n=3)), None),
    ("randperm_0d_tensor", lambda m, d: meta(m.randperm(m.tensor(3))), None),
    ("randperm_numpy_int", lambda m, d: meta(m.randperm(np.int64(3))), None),
    (
        "randperm_requires_grad",
        lambda m, d: meta(m.randperm(3, dtype=m.float32, requires_grad=True)),
        None,
    ),
    ("randperm_negative", lambda m, d: m.randperm(-1), r"randperm: n must be 0 or more.*n=-1"),
    (
        "randperm_float_n",
        lambda m, d: m.randperm(2.0),
        r"randperm\(\): argument 'n' must be an int, not float \(2.0\); e.g. randperm\(10\)",
    ),
    ("randperm_bool_n", lambda m, d: m.randperm(True), r"argument 'n' must be an int, not bool"),
    (
        "randperm_bool_dtype",
        lambda m, d: m.randperm(3, dtype=m.bool),
        r"randperm: .*not implemented for bool; use the default int64",
    ),
    (
        "randperm_int8_overflow",
        lambda m, d: m.randperm(129, dtype=m.int8),
        r"randperm: n=129 cannot be held by int8 \(at most n=128 there\); use the default int64",
    ),
    (
        "randperm_float16_overflow",
        lambda m, d: m.randperm(3000, dtype=m.float16),
        r"randperm: n=3000 cannot be held by float16 \(at most n=2049",
    ),
    (
        "randperm_long_requires_grad",
        lambda m, d: m.randperm(3, requires_grad=True),
        r"randperm: only floating point tensors can require gradients.*dtype=ne.float32",
    ),
]


def _shared_with_array(m, d):
    array = np.array([1.0, 2.0], dtype=np.float32)
    t = m.Tensor(array, device=d)
    array[0] = 9.0
    return t


def _shared_with_tensor(m, d):
    a = m.tensor([1.0, 2.0], device=d)
    b = m.Tensor(a)
    b[0] = 5.0
    return a


CONSTRUCTOR = [
    ("list_of_ints_is_float32", lambda m, d: m.Tensor([1, 2], device=d), None),
    ("nested_list", lambda m, d: m.Tensor([[1, 2], [3, 4]], device=d), None),
    ("bools_become_floats", lambda m, d: m.Tensor([True, False]), None),
    ("tuple_is_data", lambda m, d: m.Tensor((2, 3)), None),
    ("sizes", lambda m, d: meta(m.Tensor(2, 3, device=d)), None),
    ("one_size", lambda m, d: meta(m.Tensor(2)), None),
    ("zero_size", lambda m, d: meta(m.Tensor(0)), None),
    ("numpy_int_is_a_size", lambda m, d: meta(m.Tensor(np.int64(3))), None),
    ("a_Size_is_a_shape", lambda m, d: meta(m.Tensor(m.ones(2, 3).shape)), None),
    ("size_keyword", lambda m, d: meta(m.Tensor(size=(2, 3))), None),
    ("data_keyword", lambda m, d: m.Tensor(data=[1, 2]), None),
    ("nothing_is_empty", lambda m, d: m.Tensor(), None),
    ("empty_list", lambda m, d: m.Tensor([]), None),
    ("numpy_ints_become_float32", lambda m, d: m.Tensor(np.array([1, 2]), device=d), None),
    ("numpy_float64_becomes_float32", lambda m, d: m.Tensor(np.array([1.5, 2.0])), None),
    ("a_tensor_keeps_its_dtype", lambda m, d: m.Tensor(m.tensor([1, 2], device=d)), None),
    ("a_0d_tensor_stays_0d", lambda m, d: m.Tensor(m.tensor(3)), None),
    ("list_of_0d_tensors", lambda m, d: m.Tensor([m.tensor(1), m.tensor(2.0)]), None),
    ("shares_a_float32_array", _shared_with_array, None),
    ("shares_a_tensor", _shared_with_tensor, None),
    (
        "a_float",
        lambda m, d: m.Tensor(2.5),
        r"Tensor: data must be a sequence, got float \(2.5\); use ne.tensor\(2.5\)",
    ),
    ("a_bool", lambda m, d: m.Tensor(True), r"Tensor: data must be a sequence, got bool"),
    ("none", lambda m, d: m.Tensor(None), r"Tensor: data must be a sequence, got NoneType"),
    ("a_string", lambda m, d: m.Tensor("a"), r"Tensor: data must be a sequence, got str"),
    (
        "a_string_size",
        lambda m, d: m.Tensor(2, "a"),
        r"Tensor: a size takes ints, but got 'a' in \(2, 'a'\).*Tensor\(\[1, 2\]\)",
    ),
    (
        "a_float_size",
        lambda m, d: m.Tensor(2, 3.0),
        r"Tensor: a size takes ints, but got 3.0",
    ),
    ("negative_size", lambda m, d: m.Tensor(-1), r"Tensor: .*negative size: shape \(-1,\)"),
    ("negative_sizes", lambda m, d: m.Tensor(2, -3), r"Tensor: .*negative size: shape \(2, -3\)"),
    (
        "ragged",
        lambda m, d: m.Tensor([[1, 2], [3]]),
        r"expected a sequence of length 2 at dim 1 \(got length 1 at data\[1\]\)",
    ),
    (
        "data_and_size",
        lambda m, d: m.Tensor([1, 2], [3]),
        r"Tensor: a size takes ints, but got \[1, 2\]",
    ),
]

CASES = CREATION + RANDPERM + CONSTRUCTOR


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_tutorial_creation_matches_pytorch(name, fn, pattern, backend):
    check_case(fn, pattern, backend)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


def test_randperm_draws_from_the_engine_stream_as_the_dataloader_shuffles():
    ne.manual_seed(3)
    first = ne.randperm(10).tolist()
    ne.manual_seed(3)
    assert ne.randperm(10).tolist() == first and sorted(first) == list(range(10))
    ne.manual_seed(3)
    loader = ne.utils.data.DataLoader(ne.utils.data.TensorDataset(ne.arange(10)), 10, True)
    assert next(iter(loader))[0].tolist() == first  # one stream: the same order


def test_randperm_takes_a_numpy_generator():
    got = ne.randperm(8, generator=np.random.default_rng(5)).tolist()
    assert got == np.random.default_rng(5).permutation(8).tolist()


def test_a_torch_generator_is_refused_by_name():
    """The engine's random numbers are numpy's; torch's Generator cannot drive them."""
    with pytest.raises(TypeError, match=r"randn: generator must be None .*ne.manual_seed.*not "):
        ne.randn(2, generator=torch.Generator())
    with pytest.raises(TypeError, match=r"randperm: generator must be None"):
        ne.randperm(2, generator=0)


def test_the_constructor_takes_the_engines_own_keywords():
    """dtype= and requires_grad= are the engine's (torch.Tensor refuses both)."""
    t = ne.Tensor([1, 2], dtype=ne.float64, requires_grad=True)
    assert t.dtype is ne.float64 and t.requires_grad and t.is_leaf
    assert ne.Tensor(2, 3, dtype=ne.int32).dtype is ne.int32
    with pytest.raises(TypeError, match=r"Tensor: pass the data or the size once"):
        ne.Tensor([1, 2], size=(2,))


def test_a_tensor_that_shares_memory_shares_the_version_counter():
    a = ne.tensor([1.0, 2.0])
    b = ne.Tensor(a)
    b[0] = 3.0
    assert a._version == b._version == 1


def test_the_constructor_moves_data_to_the_device_asked_for():
    a = ne.tensor([1.0, 2.0], device="numpy")
    b = ne.Tensor(a, device="torch:cpu")
    b[0] = 3.0
    assert b.device.backend_name == "torch" and a.tolist() == [1.0, 2.0]


def test_a_read_only_array_is_copied_not_shared():
    array = np.broadcast_to(np.float32(1.0), (3,))
    t = ne.Tensor(array)
    t[0] = 2.0
    assert t.tolist() == [2.0, 1.0, 1.0]
