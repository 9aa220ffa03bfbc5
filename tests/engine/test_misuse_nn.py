"""nn, optim and data misuse, each case run on the engine and on PyTorch 2.13.

Where PyTorch raises, the engine raises an instance of PyTorch's exception class (a
subclass is fine) and its message matches the case's pattern: the op or class, the shapes
or values, a way out. Where PyTorch accepts, the engine gives the same result, and where
PyTorch warns (UserWarning), the engine warns too.
"""

import re
import types
import warnings

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import data as ne_data
from nnbench.engine import nn as ne_nn
from nnbench.engine import optim as ne_optim

ENGINE = types.SimpleNamespace(
    t=ne, nn=ne_nn, F=ne_nn.functional, optim=ne_optim, data=ne_data, name="engine"
)
TORCH = types.SimpleNamespace(
    t=torch,
    nn=torch.nn,
    F=torch.nn.functional,
    optim=torch.optim,
    data=torch.utils.data,
    name="torch",
)


def _leaf(L, values=(1.0, 2.0)):
    return L.t.tensor(list(values), requires_grad=True)


def _stepped(L, make, values=(1.0, -2.0)):
    """A leaf after one step of the optimizer ``make`` builds, on loss sum(w * w)."""
    w = _leaf(L, values)
    opt = make(L, w)
    (w * w).sum().backward()
    opt.step()
    return w


def _logits(L):
    return L.t.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 0.3]])


def _probabilities(L):
    return L.t.tensor([[0.2, 0.5, 0.3], [1.0, 0.0, 0.0]])


def _used_twice(L):
    params = L.nn.Linear(2, 2).parameters()
    L.optim.AdamW(params)
    return L.optim.AdamW(params)


def _load_groups(L, saved_params, own_params):
    params = [_leaf(L) for _ in range(4)]

    def groups(sizes):
        starts = np.cumsum([0, *sizes])
        return [{"params": params[a:b]} for a, b in zip(starts, starts[1:])]

    saved = L.optim.SGD(groups(saved_params), lr=0.1).state_dict()
    L.optim.SGD(groups(own_params), lr=0.1).load_state_dict(saved)


def _frozen(L):
    """A parameter that does not require grad is accepted and never changed."""
    frozen = L.t.tensor([3.0, 4.0])
    return _stepped(L, lambda L, w: L.optim.SGD([w, frozen], lr=0.1)), frozen


def _reassign_weight(L):
    layer = L.nn.Linear(2, 2)
    layer.weight = L.t.zeros(2, 2)


def _wrong_layer_input(L):
    model = L.nn.Sequential(L.nn.Linear(3, 5), L.nn.ReLU(), L.nn.Linear(4, 2))
    return model(L.t.ones(8, 3))


def _loader(L, items, **kw):
    return list(L.data.DataLoader(items, **kw))


def _split_sizes(L, n, lengths):
    return [len(part) for part in L.data.random_split(list(range(n)), lengths)]


# (id, function of the library namespace, engine message pattern; None where torch accepts)
CASES = [
    # ------------------------------------------------------------------ optimizer params
    (
        "sgd_single_tensor",
        lambda L: L.optim.SGD(_leaf(L), lr=0.1),
        r"SGD: params .* single Tensor of shape \(2,\)\. Wrap it in a list: SGD\(\[p\]",
    ),
    (
        "adam_non_leaf",
        lambda L: L.optim.Adam([_leaf(L) * 2]),
        r"Adam: can't optimize a non-leaf Tensor: parameter 0 \(shape \(2,\)\) .*MulBackward0",
    ),
    ("rmsprop_empty_list", lambda L: L.optim.RMSprop([]), r"RMSprop: .*empty parameter list"),
    ("adamw_generator_used_twice", _used_twice, r"AdamW: .*empty .*used up.*parameters\(\) again"),
    (
        "sgd_given_the_model",
        lambda L: L.optim.SGD(L.nn.Linear(2, 2), lr=0.1),
        r"SGD: .*Linear, which is not iterable \(did you mean model\.parameters\(\)\?\)",
    ),
    (
        "sgd_param_in_two_groups",
        lambda L: (lambda w: L.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1))(_leaf(L)),
        r"SGD: some parameters appear in more than one parameter group",
    ),
    (
        "sgd_param_twice_in_a_group",
        lambda L: _stepped(L, lambda L, w: L.optim.SGD([w, w], lr=0.1)),
        None,
    ),
    (
        "sgd_group_params_a_set",
        lambda L: L.optim.SGD([{"params": {_leaf(L)}}], lr=0.1),
        r"SGD: .*ordered collections.*list",
    ),
    (
        "sgd_group_without_params",
        lambda L: L.optim.SGD([{"lr": 0.1}]),
        r"SGD: a param group needs a 'params' entry, but it has only \['lr'\]",
    ),
    (
        "sgd_mixes_groups_and_tensors",
        lambda L: L.optim.SGD([{"params": [_leaf(L)]}, _leaf(L)]),
        r"SGD: param_group must be a dict, but got Tensor",
    ),
    (
        "sgd_frozen_param_is_kept_as_is",
        _frozen,
        None,
    ),
    # ------------------------------------------------------------------ hyperparameters
    ("sgd_negative_lr", lambda L: L.optim.SGD([_leaf(L)], lr=-0.1), r"SGD: invalid lr: lr=-0.1"),
    (
        "sgd_negative_momentum",
        lambda L: L.optim.SGD([_leaf(L)], lr=0.1, momentum=-0.5),
        r"SGD: invalid momentum: momentum=-0.5",
    ),
    (
        "sgd_negative_weight_decay",
        lambda L: L.optim.SGD([_leaf(L)], lr=0.1, weight_decay=-1e-4),
        r"SGD: invalid weight_decay: weight_decay=-0.0001",
    ),
    (
        "sgd_nesterov_without_momentum",
        lambda L: L.optim.SGD([_leaf(L)], lr=0.1, nesterov=True),
        r"SGD: Nesterov momentum requires .*momentum=0, dampening=0",
    ),
    (
        "sgd_lr_a_string",
        lambda L: L.optim.SGD([_leaf(L)], lr="0.1"),
        r"SGD: lr must be a number, but got str '0.1'",
    ),
    (
        "sgd_lr_a_0d_tensor",
        lambda L: _stepped(L, lambda L, w: L.optim.SGD([w], lr=L.t.tensor(0.25), momentum=0.5)),
        None,
    ),
    (
        "adam_lr_a_0d_tensor",
        lambda L: _stepped(L, lambda L, w: L.optim.Adam([w], lr=L.t.tensor(0.1))),
        None,
    ),
    (
        "rmsprop_lr_a_2_element_tensor",
        lambda L: L.optim.RMSprop([_leaf(L)], lr=L.t.tensor([0.1, 0.2])),
        r"RMSprop: Tensor lr must be 1-element, but it has shape \(2,\)",
    ),
    (
        "adam_beta2_one",
        lambda L: L.optim.Adam([_leaf(L)], betas=(0.9, 1.0)),
        r"Adam: invalid beta parameter at index 1: 1.0 \(it must be in \[0, 1\)\)",
    ),
    (
        "adam_betas_with_an_int",
        lambda L: L.optim.Adam([_leaf(L)], betas=(0, 0.999)),
        r"Adam: betas must be either both floats or both Tensors.*\(0, 0.999\).*0\.0 rather",
    ),
    (
        "adamw_betas_one_value",
        lambda L: L.optim.AdamW([_leaf(L)], betas=(0.9,)),
        r"AdamW: betas must be a pair .* 1 value\(s\): \(0.9,\)",
    ),
    (
        "adam_negative_eps",
        lambda L: L.optim.Adam([_leaf(L)], eps=-1e-8),
        r"Adam: invalid eps: eps=-1e-08",
    ),
    (
        "rmsprop_alpha_above_one_is_accepted",
        lambda L: _stepped(L, lambda L, w: L.optim.RMSprop([w], lr=0.01, alpha=1.5)),
        None,
    ),
    (
        "optimizer_state_with_other_group_count",
        lambda L: _load_groups(L, [1, 1], [2]),
        r"SGD.load_state_dict: .*different number of parameter groups: 2 saved, 1 in this",
    ),
    (
        "optimizer_state_with_other_group_size",
        lambda L: _load_groups(L, [2], [1]),
        r"SGD.load_state_dict: .*\[2\] parameters per group saved, \[1\] here",
    ),
    (
        "scheduler_given_a_list",
        lambda L: L.optim.lr_scheduler.StepLR([_leaf(L)], 1),
        r"StepLR: list is not an Optimizer",
    ),
    # ------------------------------------------------------------------ modules
    (
        "parameter_of_ints",
        lambda L: L.nn.Parameter(L.t.tensor([1, 2])),
        r"Parameter: only Tensors of floating point dtype can require gradients.*int64.*"
        r"\.float\(\)",
    ),
    (
        "parameter_of_ints_without_grad",
        lambda L: L.nn.Parameter(L.t.tensor([1, 2]), requires_grad=False) * 1,
        None,
    ),
    ("linear_0_in_features", lambda L: L.nn.Linear(0, 3)(L.t.zeros(2, 0)), None),
    ("linear_0_out_features", lambda L: L.nn.Linear(3, 0)(L.t.ones(2, 3)).shape, None),
    ("embedding_0_rows", lambda L: L.nn.Embedding(0, 3).weight.shape, None),
    (
        "linear_negative_size",
        lambda L: L.nn.Linear(-1, 3),
        r"Linear: in_features=-1 is negative",
    ),
    (
        "linear_float_size",
        lambda L: L.nn.Linear(2.5, 3),
        r"Linear: in_features must be an int, but got float 2.5",
    ),
    (
        "linear_wrong_input_shape",
        _wrong_layer_input,
        r"Linear\(in_features=4, out_features=2, bias=True\) \(layer '2' of Sequential\): "
        r"the input's last dim must equal in_features: input: shape \(8, 5\).*weight: shape "
        r"\(2, 4\).*expects 4 features per sample but got 5",
    ),
    (
        "linear_float64_input",
        lambda L: L.nn.Linear(2, 3)(L.t.zeros(4, 2, dtype=L.t.float64)),
        r"Linear\(in_features=2.*same dtype.*float64.*float32.*x\.float\(\)",
    ),
    (
        "linear_int_input",
        lambda L: L.nn.Linear(2, 3)(L.t.tensor([[1, 2]])),
        r"Linear\(in_features=2.*same dtype.*int64",
    ),
    ("linear_1d_input", lambda L: L.nn.Linear(2, 3)(L.t.ones(2)).shape, None),
    (
        "linear_float64_bias",
        lambda L: L.F.linear(L.t.ones(4, 2), L.t.ones(3, 2), L.t.ones(3, dtype=L.t.float64)),
        r"linear: the bias must have the weight's dtype.*float64.*float32.*bias\.to",
    ),
    (
        "linear_bias_of_the_wrong_size",
        lambda L: L.F.linear(L.t.ones(4, 2), L.t.ones(3, 2), L.t.ones(5)),
        r"shapes \(4, 3\) and \(5,\) cannot be broadcast",
    ),
    (
        "layer_norm_float64_weight",
        lambda L: L.F.layer_norm(L.t.ones(3, 4), (4,), L.t.ones(4, dtype=L.t.float64)),
        r"layer_norm: weight must have the input's dtype.*float64.*float32",
    ),
    (
        "layer_norm_weight_of_the_wrong_shape",
        lambda L: L.F.layer_norm(L.t.ones(3, 4), (4,), L.t.ones(5)),
        r"layer_norm: weight must have normalized_shape \(4,\).*shape \(5,\)",
    ),
    (
        "embedding_1d_weight",
        lambda L: L.F.embedding(L.t.tensor([0, 1]), L.t.ones(4)),
        r"embedding: the weight must be 2-D.*shape \(4,\)",
    ),
    ("embedding_0d_index", lambda L: L.nn.Embedding(3, 2)(L.t.tensor(1)).shape, None),
    (
        "sequential_given_a_string",
        lambda L: L.nn.Sequential(L.nn.Linear(2, 2), "relu"),
        r"Sequential: str is not a Module subclass \(module '1'\)",
    ),
    (
        "sequential_given_a_class",
        lambda L: L.nn.Sequential(L.nn.ReLU),
        r"Sequential: .*ReLU is not a Module subclass.*pass an instance, ReLU\(\)",
    ),
    (
        "sequential_given_a_list",
        lambda L: L.nn.Sequential([L.nn.ReLU()]),
        r"Sequential: list is not a Module subclass.*nn\.Sequential\(\*layers\)",
    ),
    (
        "sequential_given_a_function",
        lambda L: L.nn.Sequential(L.F.relu),
        r"Sequential: .*relu is not a Module subclass.*nn\.ReLU\(\)",
    ),
    (
        "module_list_of_ints",
        lambda L: L.nn.ModuleList([1]),
        r"ModuleList: int is not a Module subclass",
    ),
    (
        "tensor_assigned_to_a_parameter",
        _reassign_weight,
        r"Linear: cannot assign Tensor as parameter 'weight' \(nn\.Parameter or None expected\)",
    ),
    (
        "load_state_dict_a_list",
        lambda L: L.nn.Linear(2, 2).load_state_dict([1, 2]),
        r"load_state_dict for Linear: expected state_dict to be dict-like .* got list",
    ),
    (
        "load_state_dict_list_values",
        lambda L: L.nn.Linear(2, 1).load_state_dict({"weight": [[1.0, 2.0]], "bias": [0.0]}),
        r"load_state_dict for Linear: .*parameter named 'weight', expected a Tensor .*list",
    ),
    (
        "load_state_dict_missing_key",
        lambda L: L.nn.Linear(2, 1).load_state_dict({"weight": L.t.zeros(1, 2)}),
        r"load_state_dict for Linear: missing keys: bias",
    ),
    (
        "softmax_without_dim_on_3d",
        lambda L: L.nn.Softmax()(L.t.arange(8.0).reshape(2, 2, 2)),
        None,
    ),
    (
        "layer_norm_wrong_last_dim",
        lambda L: L.nn.LayerNorm(5)(L.t.zeros(3, 4)),
        r"layer_norm: .*normalized_shape \(5,\).*shape \(3, 4\)",
    ),
    (
        "dropout_p_above_one",
        lambda L: L.nn.Dropout(1.5),
        r"Dropout: p must be between 0 and 1, got 1.5",
    ),
    (
        "functional_dropout_negative_p",
        lambda L: L.F.dropout(L.t.ones(2), -0.1),
        r"dropout: p must be between 0 and 1, got -0.1",
    ),
    # ------------------------------------------------------------------ functional
    (
        "embedding_index_out_of_range",
        lambda L: L.nn.Embedding(5, 2)(L.t.tensor([1, 5])),
        r"embedding: index 5 at position 1 .*num_embeddings=5.*0\.\.4",
    ),
    (
        "embedding_negative_index",
        lambda L: L.nn.Embedding(5, 2)(L.t.tensor([-1])),
        r"embedding: index -1 at position 0",
    ),
    (
        "embedding_float_indices",
        lambda L: L.nn.Embedding(5, 2)(L.t.tensor([1.0])),
        r"embedding: indices must be an int64 tensor, got float32; use \.long\(\)",
    ),
    (
        "one_hot_out_of_range",
        lambda L: L.F.one_hot(L.t.tensor([0, 3]), 3),
        r"one_hot: class values must be smaller than num_classes=3, but got 3 at position 1",
    ),
    (
        "one_hot_negative",
        lambda L: L.F.one_hot(L.t.tensor([0, -1]), 3),
        r"one_hot: class values must be non-negative, but got -1 at position 1",
    ),
    ("one_hot_infers_classes", lambda L: L.F.one_hot(L.t.tensor([0, 2, 1])), None),
    ("one_hot_0d", lambda L: L.F.one_hot(L.t.tensor(1), 3), None),
    (
        "one_hot_float",
        lambda L: L.F.one_hot(L.t.tensor([0.0, 2.0])),
        r"one_hot is only applicable to an index tensor of type int64.*float32.*\.long\(\)",
    ),
    (
        "one_hot_empty_cannot_infer",
        lambda L: L.F.one_hot(L.t.zeros(0, dtype=L.t.int64)),
        r"one_hot: can not infer the total number of classes from an empty tensor",
    ),
    (
        "cross_entropy_float_class_ids",
        lambda L: L.F.cross_entropy(_logits(L), L.t.tensor([0.0, 2.0])),
        r"cross_entropy: target must hold class indices as int64, but it is float32 .*"
        r"shape \(2,\).*target\.long\(\)",
    ),
    (
        "cross_entropy_class_probabilities",
        lambda L: L.F.cross_entropy(_logits(L), _probabilities(L)),
        None,
    ),
    (
        "cross_entropy_probabilities_smoothed_unreduced",
        lambda L: L.F.cross_entropy(
            _logits(L), _probabilities(L), reduction="none", label_smoothing=0.1
        ),
        None,
    ),
    (
        "cross_entropy_float_target_wrong_shape",
        lambda L: L.F.cross_entropy(_logits(L), L.t.zeros(2, 4)),
        r"cross_entropy: .*float32 .*shape \(2, 4\).*input's shape \(2, 3\)",
    ),
    (
        "cross_entropy_target_n_by_1",
        lambda L: L.nn.CrossEntropyLoss()(_logits(L), L.t.tensor([[0], [1]])),
        r"cross_entropy: target must have shape \(2,\).*shape \(2, 1\)",
    ),
    (
        "cross_entropy_target_out_of_range",
        lambda L: L.F.cross_entropy(_logits(L), L.t.tensor([0, 3])),
        r"cross_entropy: target 3 at position 1 is out of range for 3 classes",
    ),
    (
        "cross_entropy_batch_sizes_differ",
        lambda L: L.F.cross_entropy(_logits(L), L.t.tensor([0, 1, 2])),
        r"cross_entropy: target must have shape \(2,\).*shape \(3,\)",
    ),
    (
        "mse_loss_broadcasts_with_a_warning",
        lambda L: L.nn.MSELoss()(L.t.tensor([[1.0], [2.0], [4.0]]), L.t.tensor([1.0, 2.0, 3.0])),
        None,
    ),
    (
        "mse_loss_shapes_that_do_not_broadcast",
        lambda L: L.F.mse_loss(L.t.zeros(3), L.t.zeros(4)),
        r"mse_loss: shapes \(3,\) and \(4,\) cannot be broadcast",
    ),
    # ------------------------------------------------------------------ data
    (
        "dataloader_batch_size_float",
        lambda L: L.data.DataLoader([1, 2, 3], batch_size=2.5),
        r"DataLoader: batch_size should be a positive integer value, but got batch_size=2.5",
    ),
    (
        "dataloader_batch_size_zero",
        lambda L: L.data.DataLoader([1, 2, 3], batch_size=0),
        r"batch_size=0 \(int\); use 1 or more",
    ),
    (
        "dataloader_batch_size_numpy_int",
        lambda L: L.data.DataLoader([1, 2, 3], batch_size=np.int64(2)),
        r"batch_size=np\.int64\(2\).*int\(batch_size\)",
    ),
    (
        "dataloader_batch_size_none_gives_samples",
        lambda L: _loader(L, [(np.float32([1, 2]), 3), (np.float32([4, 5]), 6)], batch_size=None),
        None,
    ),
    (
        "dataloader_batch_size_none_with_drop_last",
        lambda L: L.data.DataLoader([1, 2], batch_size=None, drop_last=True),
        r"batch_size=None option disables auto-batching and is mutually exclusive with drop_last",
    ),
    (
        "dataloader_numpy_samples",
        lambda L: _loader(L, [np.zeros(2), np.ones(2), np.full(2, 2.0)], batch_size=2),
        None,
    ),
    (
        "dataloader_array_and_int_samples",
        lambda L: _loader(L, [(np.float32([i, i]), i) for i in range(5)], batch_size=2),
        None,
    ),
    (
        "dataloader_python_floats_become_float64",
        lambda L: _loader(L, [1.5, 2.5, 3.5], batch_size=2),
        None,
    ),
    (
        "dataloader_dict_samples",
        lambda L: _loader(
            L, [{"x": np.float32([i]), "y": i, "name": f"s{i}"} for i in range(3)], batch_size=3
        ),  # fmt: skip
        None,
    ),
    (
        "dataloader_none_sample",
        lambda L: _loader(L, [None, None], batch_size=2),
        r"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        r"found <class 'NoneType'>",
    ),
    (
        "dataloader_ragged_samples",
        lambda L: _loader(L, [L.t.zeros(3), L.t.zeros(4)], batch_size=2),
        r"default_collate: the samples' tensors differ in shape.*\(3,\).*\(4,\)",
    ),
    (
        "dataloader_samples_with_different_fields",
        lambda L: _loader(L, [(1, 2), (1,)], batch_size=2),
        r"default_collate: each element in list of batch should be of equal size",
    ),
    ("dataloader_empty_dataset", lambda L: (len(L.data.DataLoader([])), _loader(L, [])), None),
    (
        "dataloader_empty_dataset_shuffled",
        lambda L: L.data.DataLoader([], shuffle=True),
        r"DataLoader: shuffle=True needs samples, but the dataset is empty",
    ),
    (
        "dataloader_drop_last_sizes",
        lambda L: [
            [len(b) for b in L.data.DataLoader(list(range(10)), batch_size=4, drop_last=d)]
            for d in (False, True)
        ],
        None,
    ),
    (
        "random_split_fractions_below_one",
        lambda L: _split_sizes(L, 10, [0.5, 0.4]),
        r"random_split: fractions must add up to 1, but \[0.5, 0.4\] add up to 0.9",
    ),
    (
        "random_split_negative_fraction",
        lambda L: _split_sizes(L, 10, [1.5, -0.5]),
        r"random_split: fraction at index 0 is 1.5, not between 0 and 1",
    ),
    ("random_split_fraction_rounding", lambda L: _split_sizes(L, 11, [1 / 3] * 3), None),
    (
        "random_split_fraction_rounding_four",
        lambda L: _split_sizes(L, 13, [0.1, 0.2, 0.3, 0.4]),
        None,
    ),
    ("random_split_fraction_gives_empty_part", lambda L: _split_sizes(L, 10, [1, 0]), None),
    (
        "random_split_counts_that_do_not_add_up",
        lambda L: _split_sizes(L, 10, [3, 4]),
        r"random_split: sum of input lengths \[3, 4\] is 7, which does not equal the length of "
        r"the dataset \(10\)",
    ),
]


def _plain(value):
    """Tensors as numpy arrays, Sizes and sequences as lists, so both libraries compare."""
    if isinstance(value, (torch.Tensor, ne.Tensor)):
        return value.detach().numpy()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):  # PyTorch collates a tuple sample into a list
        return [_plain(v) for v in value]
    return value


def _assert_same(ours, theirs, where="result"):
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{where}: {ours!r} is not an array"
        assert ours.dtype == theirs.dtype, f"{where}: dtype {ours.dtype} vs {theirs.dtype}"
        assert ours.shape == theirs.shape, f"{where}: shape {ours.shape} vs {theirs.shape}"
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6, err_msg=where)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), f"{where}: {ours!r}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


def _run(fn, L):
    """(result or exception, the UserWarnings it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = fn(L)
        except Exception as error:  # noqa: BLE001 - the outcome is what is compared
            outcome = error
    return outcome, [w for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize(("name", "fn", "pattern"), CASES, ids=[c[0] for c in CASES])
def test_misuse_matches_torch(name, fn, pattern):
    torch.manual_seed(0)
    theirs, torch_warnings = _run(fn, TORCH)
    ours, our_warnings = _run(fn, ENGINE)
    if isinstance(theirs, Exception):
        assert pattern is not None, f"torch raises {type(theirs).__name__}: {theirs}"
        assert isinstance(ours, type(theirs)), (
            f"torch raises {type(theirs).__name__} ({theirs}); the engine gave {ours!r}"
        )
        assert re.search(pattern, str(ours), re.DOTALL), str(ours)
        return
    assert pattern is None, f"torch accepts this (gives {theirs!r}); the case expects a raise"
    assert not isinstance(ours, Exception), f"torch accepts; the engine raised {ours!r}"
    _assert_same(_plain(ours), _plain(theirs))
    if torch_warnings:
        assert our_warnings, f"torch warns ({torch_warnings[0].message}); the engine does not"


def test_the_table_is_large_and_has_both_kinds():
    raising = [c for c in CASES if c[2] is not None]
    assert len(CASES) >= 60 and len(raising) >= 40 and len(CASES) - len(raising) >= 15
