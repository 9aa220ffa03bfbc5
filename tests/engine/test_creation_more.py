"""linspace, logspace, eye, *_like with dtype=, randint's forms, normal, multinomial,
as_tensor, numel, Tensor.new_*, Tensor.type and the in-place random fills, against
PyTorch 2.13. Random numbers are the engine's own stream: shapes, dtypes, ranges and
seeding repeatability are compared, not the numbers."""

import numpy as np
import pytest

import nnbench.engine as ne

from .against_torch import BACKENDS, check_case, meta, torch


def x23(m, d, dtype=None):
    return m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=dtype, device=d)


CASES = [
    ("linspace", lambda m, d: m.linspace(0, 1, 5, device=d), None),
    ("linspace_odd", lambda m, d: m.linspace(-1.5, 2.0, 7), None),
    ("linspace_one", lambda m, d: m.linspace(3, 9, 1), None),
    ("linspace_zero", lambda m, d: m.linspace(3, 9, 0), None),
    ("linspace_float64", lambda m, d: m.linspace(0, 1, 4, dtype=m.float64), None),
    ("linspace_int", lambda m, d: m.linspace(0, 10, 4, dtype=m.int64), None),
    ("linspace_descending", lambda m, d: m.linspace(5, -5, 6), None),
    ("linspace_requires_grad", lambda m, d: m.linspace(0, 1, 3, requires_grad=True), None),
    ("logspace", lambda m, d: m.logspace(0, 2, 3, device=d), None),
    ("logspace_base2", lambda m, d: m.logspace(0, 4, 5, base=2), None),
    ("logspace_float64", lambda m, d: m.logspace(-1, 1, 3, dtype=m.float64), None),
    ("eye_n_m", lambda m, d: m.eye(2, 3, device=d), None),
    ("eye_dtype", lambda m, d: m.eye(3, dtype=m.int64), None),
    ("zeros_like_dtype", lambda m, d: m.zeros_like(x23(m, d), dtype=m.int32), None),
    ("ones_like_dtype", lambda m, d: m.ones_like(x23(m, d), dtype=m.bool), None),
    ("full_like", lambda m, d: m.full_like(x23(m, d), 7), None),
    ("full_like_dtype", lambda m, d: m.full_like(x23(m, d), 2.5, dtype=m.float64), None),
    ("randint_high_size", lambda m, d: meta(m.randint(10, (3, 2))), None),
    ("randint_low_high_size", lambda m, d: meta(m.randint(-3, 3, (4,), device=d)), None),
    ("randint_range", lambda m, d: bool(((m.randint(-3, 3, (200,)) + 3) < 6).all()), None),
    ("normal_tensors", lambda m, d: meta(m.normal(m.zeros(2, 3), m.ones(2, 3))), None),
    ("normal_tensor_float", lambda m, d: meta(m.normal(m.zeros(4), 2.0)), None),
    ("normal_float_tensor", lambda m, d: meta(m.normal(1.0, m.ones(3, 1))), None),
    ("normal_broadcast", lambda m, d: meta(m.normal(m.zeros(3, 1), m.ones(1, 4))), None),
    ("normal_size", lambda m, d: meta(m.normal(2.0, 3.0, size=(2, 5))), None),
    ("normal_float64", lambda m, d: meta(m.normal(m.zeros(2, dtype=m.float64), 1.0)), None),
    ("normal_negative_std", lambda m, d: m.normal(m.zeros(2), -1.0), r"normal.*std >= 0"),
    ("multinomial", lambda m, d: meta(m.multinomial(m.tensor([1.0, 2.0, 3.0]), 2)), None),
    (
        "multinomial_2d_replacement",
        lambda m, d: meta(m.multinomial(m.ones(4, 3), 6, replacement=True)),
        None,
    ),
    (
        "multinomial_zero_weight",
        lambda m, d: m.multinomial(m.tensor([0.0, 1.0, 0.0]), 3, True).tolist(),
        None,
    ),
    (
        "multinomial_too_many",
        lambda m, d: m.multinomial(m.tensor([1.0, 2.0]), 3),
        r"multinomial.*3.*without replacement",
    ),
    (
        "multinomial_negative",
        lambda m, d: m.multinomial(m.tensor([1.0, -2.0]), 1),
        r"multinomial.*< 0",
    ),
    ("multinomial_3d", lambda m, d: m.multinomial(m.ones(2, 2, 2), 1), r"multinomial.*1 or 2 dim"),
    ("as_tensor_list", lambda m, d: m.as_tensor([1, 2, 3], device=d), None),
    ("as_tensor_dtype", lambda m, d: m.as_tensor([1, 2], dtype=m.float32), None),
    ("as_tensor_same", lambda m, d: (lambda t: m.as_tensor(t) is t)(x23(m, d)), None),
    ("as_tensor_converts", lambda m, d: m.as_tensor(x23(m, d), dtype=m.float64), None),
    ("numel", lambda m, d: m.numel(x23(m, d)), None),
    ("new_zeros", lambda m, d: x23(m, d, m.float64).new_zeros(2, 3), None),
    ("new_zeros_tuple", lambda m, d: x23(m, d).new_zeros((4,)), None),
    ("new_ones_dtype", lambda m, d: x23(m, d).new_ones(2, dtype=m.int32), None),
    ("new_empty", lambda m, d: meta(x23(m, d, m.float64).new_empty(3)), None),
    ("new_full", lambda m, d: x23(m, d, m.float64).new_full((2,), 3), None),
    ("new_tensor", lambda m, d: x23(m, d, m.float64).new_tensor([1, 2]), None),
    ("new_tensor_grad", lambda m, d: x23(m, d).new_tensor([1.0], requires_grad=True), None),
    ("type_name", lambda m, d: x23(m, d).type(), None),
    ("type_long_name", lambda m, d: m.tensor([1, 2]).type(), None),
    ("type_bool_name", lambda m, d: m.tensor([True]).type(), None),
    ("type_uint8_name", lambda m, d: m.tensor([1], dtype=m.uint8).type(), None),
    ("type_string", lambda m, d: x23(m, d).type("torch.IntTensor"), None),
    ("type_dtype", lambda m, d: x23(m, d).type(m.float16), None),
    ("type_bad", lambda m, d: x23(m, d).type("foo"), r"invalid type.*foo"),
    ("int_long_float", lambda m, d: [x23(m, d).int(), x23(m, d).long(), x23(m, d).double()], None),
    ("half_bool", lambda m, d: [x23(m, d).half(), (x23(m, d) - 1).bool()], None),
    ("normal_", lambda m, d: meta(m.zeros(2, 3).normal_(1.0, 2.0)), None),
    (
        "uniform_range",
        lambda m, d: bool(((m.zeros(100).uniform_(2, 3) - 2.5).abs() <= 0.5).all()),
        None,
    ),
    ("random_range", lambda m, d: bool((m.zeros(50).random_(0, 4) < 4).all()), None),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_creation_matches_pytorch(name, fn, pattern, backend):
    check_case(fn, pattern, backend)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


def test_linspace_values_are_torchs_to_the_last_bit():
    for start, end, steps in [(0, 1, 7), (-3.3, 11.1, 13), (1e-3, 1e3, 50)]:
        got = ne.linspace(start, end, steps).numpy()
        expected = torch.linspace(start, end, steps).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "make",
    [
        lambda g: ne.randint(0, 10, (5,), generator=g),
        lambda g: ne.normal(0.0, 1.0, size=(4,), generator=g),
        lambda g: ne.multinomial(ne.tensor([1.0, 2.0, 3.0, 4.0]), 3, generator=g),
        lambda g: ne.rand(3, generator=g),
        lambda g: ne.randn(3, generator=g),
    ],
)
def test_a_seeded_generator_repeats_its_numbers(make):
    first = make(ne.Generator().manual_seed(7)).numpy()
    again = make(ne.Generator().manual_seed(7)).numpy()
    np.testing.assert_array_equal(first, again)


def test_manual_seed_repeats_the_default_stream():
    ne.manual_seed(3)
    a = [ne.normal(ne.zeros(3), 1.0).numpy(), ne.multinomial(ne.ones(5), 5).numpy()]
    ne.manual_seed(3)
    b = [ne.normal(ne.zeros(3), 1.0).numpy(), ne.multinomial(ne.ones(5), 5).numpy()]
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_multinomial_without_replacement_never_repeats_and_follows_the_weights():
    g = ne.Generator().manual_seed(0)
    rows = ne.multinomial(ne.ones(20, 6), 6, generator=g).numpy()
    assert all(sorted(r) == list(range(6)) for r in rows)
    draws = ne.multinomial(ne.tensor([1.0, 0.0, 3.0]), 4000, True, generator=g).numpy()
    assert 1 not in draws
    assert abs((draws == 2).mean() - 0.75) < 0.05


def test_as_tensor_shares_a_numpy_arrays_memory():
    a = np.arange(3.0)
    t = ne.as_tensor(a, device="numpy")
    a[0] = 5.0
    assert float(t[0]) == 5.0
