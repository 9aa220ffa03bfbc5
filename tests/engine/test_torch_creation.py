"""Making tensors as tutorials do: every ``size=`` spelling, ``empty`` and ``randperm``,
each case run on PyTorch 2.13 and on the engine."""

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


CASES = CREATION + RANDPERM


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
    loader = ne.data.DataLoader(ne.data.TensorDataset(ne.arange(10)), 10, True)
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
