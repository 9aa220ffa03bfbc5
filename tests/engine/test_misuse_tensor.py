"""Tensor misuse, each case run on the engine and on PyTorch 2.13.

Where PyTorch raises, the engine raises an instance of PyTorch's exception class (a
subclass is fine) whose message names the op and the shapes or values involved. Where
PyTorch returns, the engine returns the same shape, dtype and values. Every case runs
with warnings as errors (numpy's included), except the engine's own muted RuntimeWarnings.

Each case is ``(name, fn, pattern)``: ``fn(m, d)`` takes the library (``nnbench.engine``
or ``torch``) and a device string; ``pattern`` is what the engine's message must match
when PyTorch raises (None where PyTorch returns).
"""

import math
import re
import warnings

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine.workbench import testing

from .against_torch import run

torch = pytest.importorskip("torch")

NAN = math.nan
BACKENDS = ["numpy", "torch:cpu"]


def _ones(m, d, *shape, **kw):
    return m.ones(*shape, device=d, **kw)


def _t(m, d, data, **kw):
    return m.tensor(data, device=d, **kw)


def _setitem(target, key, value):
    target[key] = value
    return target


def _grad(m, d, data, fn, **kw):
    """The gradient of fn(x).sum() at data (x float32 unless a dtype is given)."""
    x = m.tensor(data, device=d, requires_grad=True, **kw)
    fn(m, x).sum().backward()
    return x.grad


def _backward_with(m, d, gradient):
    x = m.tensor([1.0, 2.0], device=d, requires_grad=True)
    (x * 2).backward(gradient=gradient(m, d))
    return x.grad


def _inplace_on_leaf(m, d):
    x = _ones(m, d, 2, requires_grad=True)
    x += 1
    return x


def _backward_twice(m, d):
    y = (_ones(m, d, 2, requires_grad=True) ** 2).sum()
    y.backward()
    y.backward()


CASES = [
    # reductions over no dims, and dims of a 0-d tensor
    ("sum_dim_empty_tuple", lambda m, d: _ones(m, d, 2, 3).sum(dim=()), None),
    ("mean_dim_empty_list", lambda m, d: _ones(m, d, 2, 3).mean(dim=[]), None),
    ("sum_dim_empty_keepdim", lambda m, d: _ones(m, d, 2, 3).sum(dim=(), keepdim=True), None),
    ("sum_tuple_on_0d", lambda m, d: _t(m, d, 3.0).sum((0,)), None),
    ("sum_dim_1_on_0d", lambda m, d: _t(m, d, 3.0).sum(1), r"sum: dim 1 .*shape \(\)"),
    ("sum_dim_out_of_range", lambda m, d: _ones(m, d, 3, 4).sum(2), r"sum: dim 2 .*\(3, 4\)"),
    ("sum_dim_twice", lambda m, d: _ones(m, d, 3, 4).sum((1, -1)), r"sum: dim \(1, -1\)"),
    ("mean_of_ints", lambda m, d: _t(m, d, [1, 2]).mean(), r"mean: .*int64"),
    ("mean_of_empty", lambda m, d: _ones(m, d, 0).mean(), None),
    ("var_of_one_element", lambda m, d: _ones(m, d, 1).var(), None),
    ("std_of_one_element", lambda m, d: _ones(m, d, 1).std(), None),
    ("var_correction_above_n", lambda m, d: _ones(m, d, 2).var(correction=3), None),
    ("var_correction_equal_n", lambda m, d: _t(m, d, [1.0, 2.0]).var(correction=2), None),
    ("max_of_empty", lambda m, d: _ones(m, d, 0).max(), r"max: .*\(0,\)"),
    ("max_over_empty_dim", lambda m, d: _ones(m, d, 0, 3).max(0), r"max: .*dim 0 .*\(0, 3\)"),
    ("argmax_of_empty", lambda m, d: _ones(m, d, 0).argmax(), r"argmax: .*\(0,\)"),
    ("max_with_nan", lambda m, d: _t(m, d, [1.0, NAN, 3.0]).max(), None),
    ("argmax_with_nan", lambda m, d: _t(m, d, [1.0, NAN, 3.0]).argmax(), None),
    ("topk_with_nan", lambda m, d: _t(m, d, [1.0, NAN, 3.0]).topk(2), None),
    ("topk_smallest_with_nan", lambda m, d: _t(m, d, [1.0, NAN, 3.0]).topk(2, largest=False), None),
    (
        "topk_with_nan_per_row",
        lambda m, d: _t(m, d, [[NAN, 1.0, 5.0], [2.0, 7.0, NAN]]).topk(2, dim=1),
        None,
    ),
    ("topk_k_too_big", lambda m, d: _ones(m, d, 3).topk(4), r"topk: k=4 .*\(3,\)"),
    # cat and stack
    (
        "cat_0d_tensors",
        lambda m, d: m.cat([_t(m, d, 1.0), _t(m, d, 2.0)]),
        r"cat: tensor 0 is 0-d \(shape \(\)\).*ne\.stack",
    ),
    (
        "cat_list_element",
        lambda m, d: m.cat([_t(m, d, [1.0]), [2.0]]),
        r"cat: expected a Tensor as element 1, but got list",
    ),
    ("cat_one_tensor", lambda m, d: m.cat(_ones(m, d, 2)), r"cat: expects a list .*\(2,\)"),
    ("cat_empty_list", lambda m, d: m.cat([]), r"cat: expected a non-empty list"),
    ("cat_mixed_dtypes", lambda m, d: m.cat([_t(m, d, [1.5]), _t(m, d, [2])]), None),
    (
        "cat_sizes_differ",
        lambda m, d: m.cat([_ones(m, d, 2, 3), _ones(m, d, 2, 4)]),
        r"cat: sizes must match .*\(2, 3\) .*\(2, 4\)",
    ),
    ("cat_dim_out_of_range", lambda m, d: m.cat([_ones(m, d, 2)] * 2, dim=1), r"cat: dim 1 "),
    ("stack_mixed_dtypes", lambda m, d: m.stack([_t(m, d, [1.5]), _t(m, d, [True])]), None),
    ("stack_empty_list", lambda m, d: m.stack([]), r"stack: expected a non-empty list"),
    (
        "stack_shapes_differ",
        lambda m, d: m.stack([_ones(m, d, 2), _ones(m, d, 3)]),
        r"stack: .*\(2,\) .*\(3,\)",
    ),
    # softmax
    ("softmax_over_empty_dim", lambda m, d: _ones(m, d, 0, 3).softmax(0), None),
    ("softmax_beside_empty_dim", lambda m, d: _ones(m, d, 3, 0).softmax(1), None),
    ("log_softmax_over_empty_dim", lambda m, d: _ones(m, d, 0, 3).log_softmax(0), None),
    ("softmax_of_ints", lambda m, d: _t(m, d, [1, 2]).softmax(0), r"softmax: .*\(2,\), int64"),
    (
        "log_softmax_of_ints",
        lambda m, d: _t(m, d, [1, 2]).log_softmax(0),
        r"log_softmax: .*\(2,\), int64",
    ),
    ("softmax_dim_out_of_range", lambda m, d: _ones(m, d, 3).softmax(1), r"softmax: dim 1 "),
    # shapes and views
    ("transpose_0d_dims_0_0", lambda m, d: _t(m, d, 1.0).transpose(0, 0), None),
    ("transpose_0d_dims_minus1_0", lambda m, d: _t(m, d, 1.0).transpose(-1, 0), None),
    ("transpose_0d_dim_1", lambda m, d: _t(m, d, 1.0).transpose(0, 1), r"transpose: dim 1 .*\(\)"),
    ("expand_minus_2", lambda m, d: _ones(m, d, 3).expand(-2, 3), r"expand: .*-2 .*\(-2, 3\)"),
    (
        "expand_minus_1_new_dim",
        lambda m, d: _ones(m, d, 3).expand(-1, 3),
        r"expand: .*-1 .*\(-1, 3\)",
    ),
    ("expand_fewer_dims", lambda m, d: _ones(m, d, 2, 3).expand(3), r"expand: .*\(3,\).*\(2, 3\)"),
    ("expand_size_not_1", lambda m, d: _ones(m, d, 2, 3).expand(4, 3), r"expand: .*\(2, 3\)"),
    ("reshape_wrong_count", lambda m, d: _ones(m, d, 6).reshape(4, 2), r"reshape: .*\(4, 2\)"),
    ("view_two_minus_1", lambda m, d: _ones(m, d, 6).view(-1, -1), r"reshape: .*\(-1, -1\)"),
    ("squeeze_dim_out_of_range", lambda m, d: _ones(m, d, 3).squeeze(2), r"squeeze: dim 2 "),
    (
        "unsqueeze_dim_out_of_range",
        lambda m, d: _ones(m, d, 3).unsqueeze(3),
        r"unsqueeze: dim 3 .*\(3,\).*\[-2, 1\]",
    ),
    ("permute_repeated_dim", lambda m, d: _ones(m, d, 2, 3).permute(0, 0), r"permute: .*\(2, 3\)"),
    (
        "matmul_inner_dims",
        lambda m, d: _ones(m, d, 2, 5) @ _ones(m, d, 3, 7),
        r"matmul: .*\(2, 5\).*\(3, 7\)",
    ),
    # gather
    ("gather_on_0d", lambda m, d: _t(m, d, 1.0).gather(0, _t(m, d, 0)), None),
    ("gather_0d_with_1d_index", lambda m, d: _t(m, d, 1.0).gather(0, _t(m, d, [0])), None),
    ("gather_1d_with_0d_index", lambda m, d: _t(m, d, [1.0, 2.0]).gather(0, _t(m, d, 1)), None),
    (
        "gather_on_0d_out_of_range",
        lambda m, d: _t(m, d, 1.0).gather(0, _t(m, d, 1)),
        r"gather: index 1 .*size 1",
    ),
    (
        "gather_out_of_range",
        lambda m, d: _ones(m, d, 3).gather(0, _t(m, d, [5])),
        r"gather: index 5 .*size 3",
    ),
    (
        "gather_float_index",
        lambda m, d: _ones(m, d, 3).gather(0, _t(m, d, [0.0])),
        r"gather: index must be an int64 tensor, got float32",
    ),
    (
        "gather_index_dims",
        lambda m, d: _ones(m, d, 2, 3).gather(1, _t(m, d, [0])),
        r"gather: .*\(2, 3\).*\(1,\)",
    ),
    # indexing
    ("index_two_ellipses", lambda m, d: _ones(m, d, 2, 3)[..., ...], None),
    (
        "index_ellipsis_int_ellipsis",
        lambda m, d: m.arange(6, device=d).reshape(2, 3)[..., 0, ...],
        None,
    ),
    (
        "index_ellipses_then_too_many",
        lambda m, d: _ones(m, d, 2, 3)[..., ..., 0],
        r"getitem: too many indices .*\(2, 3\)",
    ),
    (
        "index_ragged_list",
        lambda m, d: _ones(m, d, 3)[[[0, 1], [0]]],
        r"getitem: .*\[\[0, 1\], \[0\]\].*\(3,\)",
    ),
    ("index_out_of_range", lambda m, d: _ones(m, d, 3)[3], r"getitem: index 3 .*size 3"),
    ("index_by_float", lambda m, d: _ones(m, d, 3)[0.5], r"getitem: float \(0\.5\) .*\(3,\)"),
    ("index_0d", lambda m, d: _t(m, d, 1.0)[0], r"getitem: .*shape \(\)"),
    ("index_by_string", lambda m, d: _ones(m, d, 3, 4)["x"], r"getitem: str \('x'\) .*\(3, 4\)"),
    ("index_by_true", lambda m, d: _ones(m, d, 3)[True], None),
    ("index_by_false", lambda m, d: _ones(m, d, 3)[False], None),
    ("index_by_empty_list", lambda m, d: _ones(m, d, 3)[[]], None),
    (
        "index_by_int32_tensor",
        lambda m, d: m.arange(3, device=d)[_t(m, d, [2, 0], dtype=m.int32)],
        None,
    ),
    (
        "index_by_float_tensor",
        lambda m, d: _ones(m, d, 3)[_t(m, d, [0.0])],
        r"getitem: index tensors must be int64 or bool, not float32",
    ),
    ("index_negative_step", lambda m, d: _ones(m, d, 3)[::-1], r"getitem: slice step .*-1"),
    # setitem
    (
        "setitem_shape_mismatch",
        lambda m, d: _setitem(m.zeros(3, device=d), slice(None), _ones(m, d, 2)),
        r"__setitem__.*\(3,\).*\(2,\)",
    ),
    (
        "setitem_broadcasts",
        lambda m, d: _setitem(m.zeros(2, 3, device=d), 0, _t(m, d, [1.0, 2.0, 3.0])),
        None,
    ),
    (
        "setitem_a_list",
        lambda m, d: _setitem(m.zeros(3, device=d), slice(None), [1.0, 2.0, 3.0]),
        r"__setitem__: can't assign a list .*\(3,\)",
    ),
    (
        "setitem_nan_into_ints",
        lambda m, d: _setitem(m.zeros(3, dtype=m.int64, device=d), 0, NAN),
        r"__setitem__: nan .*\(3,\), int64",
    ),
    (
        "setitem_on_leaf_requiring_grad",
        lambda m, d: _setitem(_ones(m, d, 3, requires_grad=True), 0, 2.0),
        r"__setitem__: a leaf Variable that requires grad .*\(3,\)",
    ),
    # making tensors
    (
        "tensor_ragged_list",
        lambda m, d: _t(m, d, [[1, 2], [3]]),
        r"tensor: expected a sequence of length 2 at dim 1 \(got length 1 at data\[1\]\)",
    ),
    ("tensor_of_0d_tensors", lambda m, d: _t(m, d, [_t(m, d, 1.0), _t(m, d, 2.0)]), None),
    ("tensor_of_int_tensors", lambda m, d: _t(m, d, [_t(m, d, 1), _t(m, d, 2)]), None),
    (
        "tensor_of_float64_tensors",
        lambda m, d: _t(m, d, [_t(m, d, 1.0, dtype=m.float64), _t(m, d, 2.0)]),
        None,
    ),
    (
        "tensor_of_one_element_tensors",
        lambda m, d: _t(m, d, [_t(m, d, [1.0]), _t(m, d, [2.0])]),
        None,
    ),
    ("tensor_of_number_and_tensor", lambda m, d: _t(m, d, [1, _t(m, d, 2.5)]), None),
    (
        "tensor_of_vectors",
        lambda m, d: _t(m, d, [_ones(m, d, 2), _ones(m, d, 2)]),
        r"tensor: .*shape \(2,\).*ne\.stack",
    ),
    ("tensor_2_to_the_70", lambda m, d: _t(m, d, [2**70]), r"tensor: 1180591620717411303424 "),
    ("tensor_2_to_the_63", lambda m, d: _t(m, d, [2**63]), r"tensor: 9223372036854775808 "),
    ("tensor_minus_2_to_the_63", lambda m, d: _t(m, d, [-(2**63)]), None),
    ("tensor_2_to_the_70_as_float", lambda m, d: _t(m, d, [2**70], dtype=m.float64), None),
    ("tensor_of_none", lambda m, d: _t(m, d, None), r"tensor: .*NoneType"),
    ("tensor_of_nones", lambda m, d: _t(m, d, [1.0, None]), r"tensor: .*NoneType"),
    ("tensor_of_a_string", lambda m, d: _t(m, d, "abc"), r"tensor: .*<U3"),
    ("arange_step_0", lambda m, d: m.arange(0, 5, 0, device=d), r"arange: step must be nonzero"),
    ("arange_wrong_way", lambda m, d: m.arange(5, 0, device=d), r"arange: .*from 5 to 0 "),
    ("arange_to_nan", lambda m, d: m.arange(0, NAN, device=d), r"arange: .*0 -> nan"),
    ("arange_empty", lambda m, d: m.arange(3, 3, device=d), None),
    ("zeros_negative", lambda m, d: m.zeros(-1, device=d), r"zeros: .*\(-1,\)"),
    ("ones_negative", lambda m, d: m.ones(2, -3, device=d), r"ones: .*\(2, -3\)"),
    ("randn_negative", lambda m, d: m.randn(-2, device=d), r"randn: .*\(-2,\)"),
    ("randint_empty_range", lambda m, d: m.randint(5, 2, (3,), device=d), r"randint: .*5.*2"),
    ("zeros_float_size", lambda m, d: m.zeros(2.5, device=d), r"shape takes ints.*2\.5"),
    # arithmetic and dtypes
    (
        "add_shapes_clash",
        lambda m, d: _ones(m, d, 3, 4) + _ones(m, d, 5),
        r"add: shapes \(3, 4\) and \(5,\)",
    ),
    ("add_none", lambda m, d: _ones(m, d, 2) + None, r"add: unsupported operand.*NoneType"),
    ("add_list", lambda m, d: _ones(m, d, 2) + [1, 2], r"add: unsupported operand.*\(2,\).*list"),
    ("mul_string", lambda m, d: _ones(m, d, 2) * "a", r"mul: unsupported operand.*str"),
    (
        "int8_plus_int8",
        lambda m, d: _t(m, d, [1, 2], dtype=m.int8) + _t(m, d, [100, 127], dtype=m.int8),
        None,
    ),
    ("int8_times_200", lambda m, d: _t(m, d, [1, 2], dtype=m.int8) * 200, None),
    ("int8_plus_300", lambda m, d: _t(m, d, [1, 2], dtype=m.int8) + 300, None),
    ("int8_plus_a_float", lambda m, d: _t(m, d, [1, 2], dtype=m.int8) + 1.5, None),
    (
        "uint8_plus_int8",
        lambda m, d: _ones(m, d, 2, dtype=m.uint8) + _ones(m, d, 2, dtype=m.int8),
        None,
    ),
    ("int16_sum", lambda m, d: _t(m, d, [30000, 30000], dtype=m.int16).sum(), None),
    ("float16_exp", lambda m, d: _t(m, d, [1.0, 2.0], dtype=m.float16).exp(), None),
    ("float16_plus_0d_float32", lambda m, d: _ones(m, d, 2, dtype=m.float16) + _t(m, d, 1.0), None),
    ("float16_plus_float32", lambda m, d: _ones(m, d, 2, dtype=m.float16) + _ones(m, d, 2), None),
    ("int32_true_divide", lambda m, d: _t(m, d, [3], dtype=m.int32) / 2, None),
    ("int_pow_negative", lambda m, d: _t(m, d, [2]) ** -1, r"pow: integers to negative .*-1"),
    ("int8_pow_200", lambda m, d: _t(m, d, [1], dtype=m.int8) ** 200, r"pow: .*200.*int8"),
    ("bool_minus_bool", lambda m, d: _t(m, d, [True]) - _t(m, d, [False]), r"sub: .*bool"),
    ("negate_bool", lambda m, d: -_t(m, d, [True]), r"neg: .*\(1,\), bool"),
    ("abs_of_bool", lambda m, d: _t(m, d, [True]).abs(), r"abs: .*\(1,\), bool"),
    ("relu_of_bool", lambda m, d: _t(m, d, [True]).relu(), r"relu: .*\(1,\), bool"),
    ("clamp_without_bounds", lambda m, d: _ones(m, d, 2).clamp(), r"clamp: .*min=.*\(2,\)"),
    (
        "where_float_condition",
        lambda m, d: m.where(_ones(m, d, 3), _ones(m, d, 3), 0.0),
        r"where: .*\(3,\), float32",
    ),
    (
        "masked_fill_float_mask",
        lambda m, d: _ones(m, d, 3).masked_fill(_ones(m, d, 3), 0.0),
        r"masked_fill: .*float32",
    ),
    ("to_unknown_device", lambda m, d: _ones(m, d, 2).to("tpu"), r"unknown device 'tpu'"),
    # conversion
    ("item_of_many", lambda m, d: _ones(m, d, 3).item(), r"item: .*\(3,\)"),
    ("bool_of_many", lambda m, d: bool(_ones(m, d, 3)), r"bool: .*3 elements"),
    ("len_of_0d", lambda m, d: len(_t(m, d, 1.0)), r"len\(\) of a 0-d tensor"),
    # autograd
    (
        "requires_grad_on_ints",
        lambda m, d: _t(m, d, [1, 2], requires_grad=True),
        r"requires_grad_: .*int64",
    ),
    ("backward_twice", _backward_twice, r"backward: .*second time.*PowBackward0"),
    (
        "backward_non_scalar",
        lambda m, d: (_ones(m, d, 2, requires_grad=True) * 2).backward(),
        r"backward: .*\(2,\)",
    ),
    (
        "backward_int_gradient",
        lambda m, d: _backward_with(m, d, lambda m, d: _t(m, d, [1, 2])),
        None,
    ),
    (
        "backward_float64_gradient",
        lambda m, d: _backward_with(m, d, lambda m, d: _t(m, d, [1, 2], dtype=m.float64)),
        None,
    ),
    (
        "backward_bool_gradient",
        lambda m, d: _backward_with(m, d, lambda m, d: _t(m, d, [True, False])),
        None,
    ),
    (
        "backward_list_gradient",
        lambda m, d: _backward_with(m, d, lambda m, d: [1.0, 1.0]),
        r"backward: gradient must be a Tensor or None, but got list.*\(2,\)",
    ),
    (
        "backward_gradient_shape",
        lambda m, d: _backward_with(m, d, lambda m, d: _ones(m, d, 3)),
        r"backward: gradient has shape \(3,\) .*\(2,\)",
    ),
    ("numpy_of_requires_grad", lambda m, d: _ones(m, d, 2, requires_grad=True).numpy(), r"numpy: "),
    ("in_place_on_leaf", _inplace_on_leaf, r"add_: a leaf Variable that requires grad .*\(2,\)"),
    # gradients where PyTorch defines them by convention (constant input, zero base, NaN)
    ("std_grad_constant", lambda m, d: _grad(m, d, [1.0, 1.0, 1.0], lambda m, x: x.std()), None),
    (
        "std_grad_constant_dim",
        lambda m, d: _grad(m, d, [[2.0, 2.0], [1.0, 3.0]], lambda m, x: x.std(1)),
        None,
    ),
    ("std_grad_one_element", lambda m, d: _grad(m, d, [1.0], lambda m, x: x.std()), None),
    (
        "pow_zero_base_grad",
        lambda m, d: _grad(m, d, [0.0, 1.0, 2.0, -1.0, 0.5], lambda m, x: 0.0**x),
        None,
    ),
    ("max_grad_nan", lambda m, d: _grad(m, d, [1.0, NAN, 3.0], lambda m, x: x.max()), None),
    ("max_grad_two_nans", lambda m, d: _grad(m, d, [NAN, NAN, 3.0], lambda m, x: x.max()), None),
    ("min_grad_nan", lambda m, d: _grad(m, d, [1.0, NAN, 3.0], lambda m, x: x.min()), None),
    (
        "max_dim_grad_nan",
        lambda m, d: _grad(m, d, [[1.0, NAN], [3.0, 2.0]], lambda m, x: x.max(1)[0]),
        None,
    ),
    ("abs_grad_nan", lambda m, d: _grad(m, d, [1.0, NAN, 0.0, -2.0], lambda m, x: x.abs()), None),
    ("relu_grad_nan", lambda m, d: _grad(m, d, [1.0, NAN, 0.0, -2.0], lambda m, x: x.relu()), None),
    (
        "clamp_grad_nan",
        lambda m, d: _grad(m, d, [0.5, NAN, 2.0, -2.0], lambda m, x: x.clamp(-1, 1)),
        None,
    ),
    (
        "maximum_grad_nan",
        lambda m, d: _grad(
            m, d, [1.0, NAN, 0.0, -2.0], lambda m, x: m.maximum(x, m.zeros(4, device=x.device))
        ),
        None,
    ),
    (
        "maximum_grad_nan_other",
        lambda m, d: _grad(
            m, d, [1.0, 2.0, 0.0], lambda m, x: m.maximum(x, _t(m, x.device, [NAN, 0.0, 0.0]))
        ),
        None,
    ),
    ("topk_grad_nan", lambda m, d: _grad(m, d, [1.0, NAN, 3.0], lambda m, x: x.topk(2)[0]), None),
    (
        "softmax_grad_empty",
        lambda m, d: _grad(m, d, np.zeros((0, 3)), lambda m, x: x.softmax(0)),
        None,
    ),
]


def _assert_same(got, expected, where="result"):
    if isinstance(expected, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(expected), where
        for i, (g, e) in enumerate(zip(got, expected)):
            _assert_same(g, e, f"{where}[{i}]")
        return
    if not isinstance(expected, torch.Tensor):
        assert got == expected, f"{where}: engine {got!r}, torch {expected!r}"
        return
    assert isinstance(got, ne.Tensor), f"{where}: engine returned {type(got).__name__}"
    assert tuple(got.shape) == tuple(expected.shape), f"{where}: shape {got.shape}"
    assert got.dtype.name == str(expected.dtype).removeprefix("torch."), f"{where}: {got.dtype}"
    values = expected.detach().numpy()
    np.testing.assert_allclose(
        got.detach().numpy(), values, rtol=1e-6, equal_nan=True, err_msg=where
    )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_engine_misuse_matches_pytorch(name, fn, pattern, backend):
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
    else:
        if isinstance(got, Exception):
            raise AssertionError(f"PyTorch returns {expected!r}, the engine raised") from got
        assert pattern is None, "a case where PyTorch returns needs no message pattern"
        _assert_same(got, expected)


def test_every_case_has_a_distinct_name():
    names = [c[0] for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 40


# --------------------------------------------------------------------------- pow at zero
POW_POINTS = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.0]
POW_EXPONENTS = [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5]


def _pow_grads(lib, base, exponent, kind):
    """(value, base's grad, exponent's grad) of tensor**tensor, tensor**scalar, scalar**tensor."""
    a = lib.tensor(base, dtype=lib.float64, requires_grad=True)
    b = lib.tensor(exponent, dtype=lib.float64, requires_grad=True)
    out = {"tt": lambda: a**b, "ts": lambda: a**exponent, "st": lambda: base**b}[kind]()
    out.backward()
    grads = [None if x.grad is None else float(x.grad) for x in (a, b)]
    return float(out), *grads


@pytest.mark.parametrize("kind", ["tt", "ts", "st"])
def test_pow_values_and_gradients_at_zero_and_negative_bases_match_pytorch(kind):
    for base in POW_POINTS:
        for exponent in POW_EXPONENTS:
            if kind == "ts" and str(base) == "-0.0" and abs(exponent) == 0.5:
                continue  # torch computes (-0.0) ** -0.5 as rsqrt(-0.0) = -inf; IEEE pow: +inf
            got = _pow_grads(ne, base, exponent, kind)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = _pow_grads(torch, base, exponent, kind)
            for g, e, what in zip(got, expected, ("value", "grad base", "grad exponent")):
                assert _same_number(g, e), (
                    f"{base} ** {exponent} ({kind}): {what} engine {g}, torch {e}"
                )


def _same_number(g, e) -> bool:
    if g is None or e is None:
        return g is e
    if math.isnan(g) or math.isnan(e):
        return math.isnan(g) and math.isnan(e)
    return g == e or math.isclose(g, e, rel_tol=1e-12)


# --------------------------------------------------------------------------- promotion
DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _dtype_pairs():
    return [(a, b) for a in DTYPES for b in DTYPES]


@pytest.mark.parametrize("rank", ["1d_1d", "1d_0d", "0d_0d"])
def test_promotion_of_every_dtype_pair_matches_torch_result_type(rank):
    shapes = {"1d_1d": ((2,), (2,)), "1d_0d": ((2,), ()), "0d_0d": ((), ())}[rank]
    for a, b in _dtype_pairs():
        x = ne.ones(shapes[0], dtype=a)
        y = ne.ones(shapes[1], dtype=b)
        expected = torch.result_type(
            torch.ones(shapes[0], dtype=getattr(torch, a)),
            torch.ones(shapes[1], dtype=getattr(torch, b)),
        )
        op = (lambda p, q: p | q) if a == b == "bool" else (lambda p, q: p + q)
        got = op(x, y).dtype.name if a != b or a != "bool" else "bool"
        assert got == str(expected).removeprefix("torch."), f"{a} + {b} ({rank})"


@pytest.mark.parametrize("scalar", [True, 3, 2.5])
def test_promotion_with_python_scalars_matches_torch(scalar):
    for a in DTYPES:
        if a == "bool" and scalar is True:
            continue  # bool + bool is or, tested above
        got = (ne.ones(2, dtype=a) + scalar).dtype.name
        expected = torch.result_type(torch.ones(2, dtype=getattr(torch, a)), scalar)
        assert got == str(expected).removeprefix("torch."), f"{a} + {scalar!r}"


def test_small_dtypes_survive_the_common_ops():
    x = ne.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=ne.float16, requires_grad=True)
    y = (x @ x).relu().exp().softmax(1).sum()
    y.backward()
    assert y.dtype is ne.float16 and x.grad.dtype is ne.float16
    tx = torch.tensor([[1.0, -2.0], [3.0, 0.5]], dtype=torch.float16, requires_grad=True)
    ty = (tx @ tx).relu().exp().softmax(1).sum()
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-2, atol=1e-3)
    counts = ne.from_numpy(np.array([200, 100], dtype=np.uint8))
    assert counts.dtype is ne.uint8 and (counts + 100).tolist() == [44, 200]


def test_dtypes_numpy_cannot_hold_are_refused_by_name():
    for spec in ("bfloat16", torch.bfloat16):
        with pytest.raises(
            TypeError,
            match=r"bfloat16 is not supported .*numpy has no bfloat16.*"
            r"float16, float32, float64",
        ):
            ne.zeros(2, dtype=spec)
    with pytest.raises(TypeError, match=r"bfloat16 is not supported"):
        ne.tensor(torch.ones(2, dtype=torch.bfloat16))
    with pytest.raises(TypeError, match=r"uint16 is not supported .*astype\(np\.int64\)"):
        ne.tensor(np.ones(2, dtype=np.uint16))


# --------------------------------------------------------------------------- across backends
def test_gather_across_cpu_backends_moves_the_index():
    t = ne.tensor([[1.0, 2.0], [3.0, 4.0]], device="numpy")
    index = ne.tensor([[1], [0]], device="torch:cpu")
    assert t.gather(1, index).tolist() == [[2.0], [3.0]]


def test_setitem_across_cpu_backends_moves_the_value():
    t = ne.zeros(3, device="numpy")
    t[1:] = ne.tensor([1.0, 2.0], device="torch:cpu")
    assert t.tolist() == [0.0, 1.0, 2.0]


def test_device_errors_name_each_backend(monkeypatch):
    from nnbench.engine import backends

    cuda = backends.Device("cuda", 0, "torch")
    index = ne.tensor([0], device="torch:cpu")
    monkeypatch.setattr(index, "device", cuda)
    with pytest.raises(
        ne.DeviceError, match=r"gather: index is on cuda:0 but self is on cpu \(numpy\)"
    ):
        ne.gather(ne.ones(2, device="numpy"), 0, index)
    gradient = ne.ones(2, device="torch:cpu")
    y = ne.ones(2, device="numpy", requires_grad=True) * 2
    with pytest.raises(
        ne.DeviceError, match=r"gradient is on torch:cpu but the tensor is on cpu \(numpy\)"
    ):
        y.backward(gradient)


# --------------------------------------------------------------------------- numpy's warnings
WARNING_CASES = [
    ("sum_overflow", lambda: ne.tensor([3e38, 3e38]).sum()),
    ("sum_dim_overflow", lambda: ne.tensor([[3e38, 3e38]]).sum(1)),
    ("mean_overflow", lambda: ne.tensor([3e38, 3e38]).mean()),
    ("var_overflow", lambda: ne.tensor([3e38, -3e38]).var()),
    ("prod_overflow", lambda: ne.tensor([3e38, 3e38]).prod()),
    (
        "prod_dim_overflow_grad",
        lambda: ne.tensor([[3e38, 3e38, 2.0]], requires_grad=True).prod(1).sum().backward(),
    ),
    ("mean_of_empty", lambda: ne.ones(0).mean()),
    ("mean_of_empty_dim", lambda: ne.ones(0, 3).mean(0)),
    ("std_of_one", lambda: ne.ones(1).std()),
    ("var_correction_above_n", lambda: ne.ones(2).var(correction=3)),
    ("float16_overflow", lambda: ne.tensor([60000.0], dtype=ne.float16) * 2.0),
]


@pytest.mark.parametrize(("name", "fn"), WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_numpy_warnings_never_reach_the_user(name, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # only the engine's own modules are muted
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"nnbench\.engine\..*")
        fn()


# --------------------------------------------------------------------------- gradchecks
GRADCHECKS = [
    ("std", lambda m, a: a.std(), [[1.0, 2.5, -0.5]]),
    ("std_dim", lambda m, a: a.std(1), [[[1.0, 2.5, -0.5], [0.3, 0.1, 0.9]]]),
    ("pow_scalar_base", lambda m, a: 2.5**a, [[0.5, -1.0, 1.5]]),
    ("pow_zero_base", lambda m, a: 0.0**a, [[0.5, 1.5, 2.0]]),
    ("pow_tensors", lambda m, a, b: a**b, [[0.5, 1.5, 2.0], [1.5, -0.5, 2.0]]),
    ("maximum", lambda m, a, b: m.maximum(a, b), [[0.5, -1.0, 2.0], [1.0, -2.0, 1.0]]),
    ("abs", lambda m, a: a.abs(), [[0.5, -1.0, 2.0]]),
    ("relu", lambda m, a: a.relu(), [[0.5, -1.0, 2.0]]),
    ("max", lambda m, a: a.max(), [[0.5, -1.0, 2.0]]),
    ("softmax", lambda m, a: a.softmax(1), [[[0.5, -1.0, 2.0]]]),
]


@pytest.mark.parametrize(("name", "fn", "arrays"), GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_changed_backward_rules_pass_float64_gradcheck(name, fn, arrays):
    passed, worst, where = testing.gradcheck(fn, [np.array(a) for a in arrays], device="numpy")
    assert passed, f"{name}: {worst} at {where}"
