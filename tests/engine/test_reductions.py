"""Reductions, scans and norms against PyTorch 2.13: values, gradients, dtypes (int and
bool inputs), 0-d and empty tensors, negative dims, keywords, and the errors (PyTorch's
exception class, a message naming the op, the shapes or dims, and a fix)."""

import math

import numpy as np
import pytest

import nnbench.engine as ne

from .against_torch import BACKENDS, check_case, torch

INF = math.inf


def x34(m, d, requires_grad=False):
    data = [[1.0, -2.0, 3.0, 0.5], [0.0, 4.0, -1.0, 2.0], [2.5, 2.5, -3.0, 1.0]]
    return m.tensor(data, device=d, requires_grad=requires_grad)


def grad_of(fn, data, weights=None):
    """fn(m, d, x) -> tensor; returns (value, grad of x) for a weighted sum of the value."""

    def case(m, d):
        x = m.tensor(data, device=d, requires_grad=True)
        y = fn(m, x)
        w = m.tensor(np.linspace(0.5, 1.5, max(y.numel(), 1))[: y.numel()].reshape(y.shape))
        (y * w.to(y.dtype).to(d)).sum().backward()
        return [y.detach(), x.grad, y.grad_fn.name()]

    return case


ZEROS = [[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [2.0, -1.0, 0.5]]
TIES = [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 0.5, -1.0]]

CASES = [
    # prod
    ("prod_0d_dim0", grad_of(lambda m, x: x.prod(0), 2.5), None),
    ("prod_0d_dim_neg1", grad_of(lambda m, x: m.prod(x, -1, keepdim=True), 2.5), None),
    ("prod_dim_zeros_grad", grad_of(lambda m, x: x.prod(1), ZEROS), None),
    ("prod_dim0_zeros_grad", grad_of(lambda m, x: x.prod(dim=0, keepdim=True), ZEROS), None),
    ("prod_all_zeros_grad", grad_of(lambda m, x: x.prod(), ZEROS), None),
    ("prod_int", lambda m, d: m.tensor([[1, 2], [3, 4]], device=d).prod(1), None),
    ("prod_bool", lambda m, d: m.tensor([True, False], device=d).prod(), None),
    ("prod_empty_dim", lambda m, d: m.zeros(0, 3, device=d).prod(0), None),
    ("prod_dtype", lambda m, d: m.tensor([1, 2, 3], device=d).prod(dtype=m.float64), None),
    ("prod_dim_out_of_range", lambda m, d: x34(m, d).prod(2), r"prod.*dim.*2.*range"),
    # cumsum / cumprod
    ("cumsum_grad", grad_of(lambda m, x: x.cumsum(1), ZEROS), None),
    ("cumsum_neg_dim", grad_of(lambda m, x: m.cumsum(x, dim=-2), ZEROS), None),
    ("cumsum_0d", grad_of(lambda m, x: x.cumsum(0), 3.0), None),
    ("cumsum_empty", lambda m, d: m.zeros(2, 0, device=d).cumsum(1), None),
    ("cumsum_int32", lambda m, d: m.tensor([1, 2], dtype=m.int32, device=d).cumsum(0), None),
    ("cumsum_bool", lambda m, d: m.tensor([True, True, False], device=d).cumsum(0), None),
    ("cumsum_uint8", lambda m, d: m.tensor([200, 100], dtype=m.uint8, device=d).cumsum(0), None),
    ("cumsum_dtype", lambda m, d: m.tensor([1, 2], device=d).cumsum(0, dtype=m.float32), None),
    ("cumsum_no_dim", lambda m, d: x34(m, d).cumsum(), r"cumsum.*dim.*cumsum\(0\)"),
    ("cumsum_bad_dim", lambda m, d: x34(m, d).cumsum(2), r"cumsum.*dim.*range"),
    ("cumprod_grad", grad_of(lambda m, x: x.cumprod(1), [[1.0, 2.0, 3.0], [0.5, -2.0, 4.0]]), None),
    ("cumprod_zeros_grad", grad_of(lambda m, x: x.cumprod(1), ZEROS), None),
    ("cumprod_zeros_dim0", grad_of(lambda m, x: m.cumprod(x, 0), ZEROS), None),
    ("cumprod_0d", grad_of(lambda m, x: x.cumprod(-1), 3.0), None),
    ("cumprod_int", lambda m, d: m.tensor([1, 2, 3], device=d).cumprod(0), None),
    # logsumexp
    ("logsumexp_grad", grad_of(lambda m, x: x.logsumexp(1), ZEROS), None),
    ("logsumexp_dims", grad_of(lambda m, x: m.logsumexp(x, (0, 1), keepdim=True), ZEROS), None),
    (
        "logsumexp_stable",
        grad_of(lambda m, x: x.logsumexp(-1), [[1000.0, 1000.0], [-1000.0, -1e4]]),
        None,
    ),
    (
        "logsumexp_inf",
        lambda m, d: m.tensor([[-INF, -INF], [INF, 1.0]], device=d).logsumexp(1),
        None,
    ),
    ("logsumexp_empty", lambda m, d: m.zeros(0, 3, device=d).logsumexp(0), None),
    ("logsumexp_0d", grad_of(lambda m, x: x.logsumexp(0), 2.0), None),
    ("logsumexp_int", lambda m, d: m.tensor([1, 2], device=d).logsumexp(0), None),
    ("logsumexp_no_dim", lambda m, d: x34(m, d).logsumexp(), r"logsumexp.*dim"),
    ("logsumexp_free_no_dim", lambda m, d: m.logsumexp(x34(m, d)), r"logsumexp.*dim"),
    # amax / amin
    ("amax_ties_grad", grad_of(lambda m, x: x.amax(1), TIES), None),
    ("amax_all_ties_grad", grad_of(lambda m, x: x.amax(), TIES), None),
    ("amin_dims_ties_grad", grad_of(lambda m, x: m.amin(x, (0, 1)), TIES), None),
    ("amin_keepdim_neg", grad_of(lambda m, x: x.amin(-2, keepdim=True), TIES), None),
    ("amax_0d", grad_of(lambda m, x: x.amax(0), 2.0), None),
    ("amax_int", lambda m, d: m.tensor([[1, 5], [3, 2]], device=d).amax(0), None),
    ("amax_bool", lambda m, d: m.tensor([True, False], device=d).amax(0), None),
    ("amax_keep_empty", lambda m, d: m.zeros(0, 3, device=d).amax(1), None),
    ("amax_empty_dim", lambda m, d: m.zeros(0, 3, device=d).amax(0), r"amax.*dim 0.*size"),
    ("amax_dim_twice", lambda m, d: x34(m, d).amax((0, 0)), r"amax.*dim.*twice"),
    # norm
    ("norm_default", grad_of(lambda m, x: x.norm(), ZEROS), None),
    ("norm_p2_dim", grad_of(lambda m, x: x.norm(2, dim=1), ZEROS), None),
    ("norm_p1_keepdim", grad_of(lambda m, x: m.norm(x, p=1, dim=0, keepdim=True), TIES), None),
    ("norm_inf_ties", grad_of(lambda m, x: x.norm(p=INF, dim=1), [[1.0, -3.0, 3.0, 2.0]]), None),
    ("norm_neg_inf", grad_of(lambda m, x: x.norm(p=-INF), [[1.0, -3.0, 3.0, 2.0]]), None),
    ("norm_fro_dims", grad_of(lambda m, x: x.norm(p="fro", dim=(0, 1)), TIES), None),
    ("norm_p3", grad_of(lambda m, x: x.norm(p=3), [[1.0, -3.0, 3.0, 2.0]]), None),
    ("norm_zero_vector", grad_of(lambda m, x: x.norm(dim=1), [[0.0, 0.0], [3.0, 4.0]]), None),
    ("norm_p0", lambda m, d: x34(m, d).norm(p=0), None),
    ("norm_0d", grad_of(lambda m, x: x.norm(dim=0), -3.0), None),
    ("norm_empty", lambda m, d: m.zeros(0, device=d).norm(), None),
    ("norm_dtype", lambda m, d: x34(m, d).norm(dtype=m.float64), None),
    ("norm_int", lambda m, d: m.tensor([3, 4], device=d).norm(), r"vector_norm.*floating"),
    ("norm_inf_empty", lambda m, d: m.zeros(0, device=d).norm(p=INF), r"vector_norm.*inf.*empty"),
    ("linalg_norm", grad_of(lambda m, x: m.linalg.norm(x), ZEROS), None),
    ("linalg_norm_dim", grad_of(lambda m, x: m.linalg.norm(x, dim=-1), ZEROS), None),
    ("linalg_norm_ord1_matrix", grad_of(lambda m, x: m.linalg.norm(x, 1), TIES), None),
    ("linalg_norm_inf_matrix", grad_of(lambda m, x: m.linalg.norm(x, INF), ZEROS), None),
    ("linalg_norm_fro", grad_of(lambda m, x: m.linalg.norm(x, "fro"), ZEROS), None),
    ("linalg_norm_vector_inf", lambda m, d: m.linalg.norm(m.arange(3.0), INF), None),
    ("linalg_vector_norm", grad_of(lambda m, x: m.linalg.vector_norm(x, 1, (0, 1)), TIES), None),
    ("linalg_vector_norm_3d", lambda m, d: m.linalg.vector_norm(m.ones(2, 3, 4), 2), None),
    ("linalg_matrix_norm_ord_neg1", grad_of(lambda m, x: m.linalg.matrix_norm(x, -1), TIES), None),
    ("linalg_norm_3d_ord", lambda m, d: m.linalg.norm(m.ones(2, 2, 2), 1), r"norm.*dim"),
    ("linalg_norm_int", lambda m, d: m.linalg.norm(m.tensor([3, 4])), r"norm.*floating"),
    # count_nonzero, any, all
    ("count_nonzero", lambda m, d: m.count_nonzero(x34(m, d)), None),
    ("count_nonzero_dim", lambda m, d: x34(m, d).count_nonzero(dim=0), None),
    ("count_nonzero_dims", lambda m, d: m.count_nonzero(x34(m, d), dim=(0, -1)), None),
    ("count_nonzero_bool", lambda m, d: m.tensor([True, False], device=d).count_nonzero(), None),
    ("count_nonzero_0d", lambda m, d: m.tensor(0.0, device=d).count_nonzero(0), None),
    ("count_nonzero_empty", lambda m, d: m.zeros(0, 3, device=d).count_nonzero(0), None),
    ("any_dim", lambda m, d: m.any(x34(m, d) > 3, dim=1), None),
    ("all_dim_keepdim", lambda m, d: m.all(x34(m, d) > -5, 0, keepdim=True), None),
    ("any_int", lambda m, d: m.tensor([0, 2], device=d).any(), None),
    ("all_float_dim", lambda m, d: x34(m, d).all(dim=-1), None),
    ("all_empty", lambda m, d: m.zeros(0, device=d).all(), None),
    # var / std keyword forms
    ("var_correction0", lambda m, d: x34(m, d).var(dim=1, correction=0), None),
    ("var_dims_keepdim", lambda m, d: x34(m, d).var((0, 1), keepdim=True), None),
    ("std_unbiased_false", lambda m, d: x34(m, d).std(0, unbiased=False), None),
    ("std_correction2_neg", lambda m, d: m.std(x34(m, d), dim=-1, correction=2), None),
    ("var_grad", grad_of(lambda m, x: x.var(dim=(0,), correction=0), TIES), None),
    ("var_int", lambda m, d: m.tensor([1, 2], device=d).var(), r"var"),
    # median, sort, argsort, unique
    ("median_dim", lambda m, d: list(x34(m, d).median(dim=-1)), None),
    ("median_all", lambda m, d: x34(m, d).median(), None),
    ("sort_descending", lambda m, d: list(x34(m, d).sort(dim=0, descending=True)), None),
    ("argsort_neg", lambda m, d: x34(m, d).argsort(-1), None),
    ("argsort_int", lambda m, d: m.argsort(m.tensor([3, 1, 2], device=d)), None),
    (
        "unique_inverse_counts",
        lambda m, d: list(
            m.unique(m.tensor([3, 1, 3, 2]), return_inverse=True, return_counts=True)
        ),
        None,
    ),
    ("unique_dim", lambda m, d: m.tensor([[1, 2], [1, 2], [0, 1]]).unique(dim=0), None),
    # sum / mean dtype=
    ("sum_dtype", lambda m, d: m.tensor([1, 2], device=d).sum(dtype=m.float32), None),
    ("sum_dim_dtype", lambda m, d: m.sum(x34(m, d), 1, dtype=m.float64), None),
    ("sum_bool_dtype", lambda m, d: m.tensor([True, True], device=d).sum(dtype=m.int32), None),
    ("sum_dtype_grad", grad_of(lambda m, x: x.sum(0, dtype=m.float64), ZEROS), None),
    ("mean_int_dtype", lambda m, d: m.tensor([1, 2], device=d).mean(dtype=m.float32), None),
    ("mean_dtype_grad", grad_of(lambda m, x: x.mean(dtype=m.float64), ZEROS), None),
    ("mean_int", lambda m, d: m.tensor([1, 2], device=d).mean(), r"mean.*dtype.*int64.*float"),
    ("mean_bool", lambda m, d: m.tensor([True], device=d).mean(0), r"mean.*bool"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_reduction_matches_pytorch(name, fn, pattern, backend):
    check_case(fn, pattern, backend)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names))


def test_cumprod_gradient_with_zeros_is_exact_where_dividing_would_give_nan():
    x = ne.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    t = torch.tensor([2.0, 0.0, 3.0, 0.0, 5.0], requires_grad=True)
    t.cumprod(0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    assert not np.isnan(x.grad.numpy()).any()


def test_logsumexp_does_not_overflow_where_the_naive_formula_does():
    x = ne.tensor([1000.0, 1000.0])
    assert float(x.logsumexp(0)) == pytest.approx(1000.0 + math.log(2))
    assert math.isinf(float(x.exp().sum().log()))


def test_norm_grad_fn_names_are_pytorchs():
    x = ne.randn(3, 4, requires_grad=True)
    assert x.norm().grad_fn.name() == "LinalgVectorNormBackward0"
    assert ne.linalg.norm(x, 1).grad_fn.name() == "AmaxBackward0"
    assert x.amin(0).grad_fn.name() == "AminBackward0"
    assert x.cumsum(0).grad_fn.name() == "CumsumBackward0"


def test_nuclear_and_spectral_norms_say_what_is_missing():
    x = ne.ones(2, 2)
    with pytest.raises(NotImplementedError, match=r"norm.*nuc.*svd"):
        x.norm(p="nuc")
    with pytest.raises(NotImplementedError, match=r"matrix_norm.*ord=2.*svd"):
        ne.linalg.matrix_norm(x, 2)
