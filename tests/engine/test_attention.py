"""scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: values, gradients,
masks, parameter names and loading PyTorch's state_dict."""

import numpy as np
import pytest
import torch

import nnbench.engine as ne
from nnbench.engine import nn

F = nn.functional


def _t(array, device="numpy", grad=True):
    return ne.tensor(array, device=device, requires_grad=grad)


def _rng(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _assert_close(mine, theirs, tol=1e-5):
    np.testing.assert_allclose(mine.detach().cpu().numpy(), theirs.detach().numpy(), atol=tol)


MASKS = ["none", "bool", "float", "causal"]


@pytest.mark.parametrize("mask", MASKS)
def test_sdpa_matches_torch_values_and_gradients(mask, device):
    q, k, v = _rng(2, 2, 4, 8, seed=1), _rng(2, 2, 4, 8, seed=2), _rng(2, 2, 4, 3, seed=3)
    ours = [_t(a, device) for a in (q, k, v)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    kw, tkw = {}, {}
    if mask == "bool":
        allowed = np.tril(np.ones((4, 4), bool))
        allowed[0] = True
        kw["attn_mask"] = ne.tensor(allowed, device=device)
        tkw["attn_mask"] = torch.tensor(allowed)
    elif mask == "float":
        bias = _rng(4, 4, seed=4)
        kw["attn_mask"], tkw["attn_mask"] = ne.tensor(bias, device=device), torch.tensor(bias)
    elif mask == "causal":
        kw["is_causal"] = tkw["is_causal"] = True
    out = F.scaled_dot_product_attention(*ours, scale=0.5, **kw)
    reference = torch.nn.functional.scaled_dot_product_attention(*theirs, scale=0.5, **tkw)
    _assert_close(out, reference)
    weights = _rng(*out.shape, seed=5)
    (out * ne.tensor(weights, device=device)).sum().backward()
    (reference * torch.tensor(weights)).sum().backward()
    for mine, theirs_ in zip(ours, theirs):
        _assert_close(mine.grad, theirs_.grad, 1e-4)


def test_sdpa_is_composed_so_the_graph_shows_its_steps():
    q = _t(_rng(1, 3, 4))
    out = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    names, stack, seen = set(), [out.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(type(node).__name__)
        stack += [n for n, _ in getattr(node, "next_functions", ())]
    assert {"Softmax", "MaskedFill"} <= names
    assert any("MatMul" in n or "Bmm" in n for n in names), names


def test_sdpa_errors_name_the_shapes():
    q = ne.ones(2, 3, 4)
    with pytest.raises(RuntimeError, match="query.*key"):
        F.scaled_dot_product_attention(q, ne.ones(2, 3, 5), ne.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ne.ones(3, 3), is_causal=True)


def _mha_pair(embed=8, heads=2, **kwargs):
    ne.manual_seed(0)
    ours = nn.MultiheadAttention(embed, heads, **kwargs)
    theirs = torch.nn.MultiheadAttention(embed, heads, **kwargs)
    state = {k: torch.tensor(v.detach().numpy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    return ours, theirs


def test_mha_parameters_are_named_and_shaped_as_torch():
    ours = nn.MultiheadAttention(8, 2)
    theirs = torch.nn.MultiheadAttention(8, 2)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()
    ]
    assert repr(ours) == repr(theirs)
    assert float(ours.in_proj_bias.abs().sum()) == 0.0 == float(ours.out_proj.bias.abs().sum())
    bound = (6 / (8 + 24)) ** 0.5  # xavier_uniform_ on (3E, E)
    assert float(ours.in_proj_weight.abs().max()) <= bound
    assert [n for n, _ in nn.MultiheadAttention(8, 2, bias=False).named_parameters()] == [
        n for n, _ in torch.nn.MultiheadAttention(8, 2, bias=False).named_parameters()
    ]
    with pytest.raises(AssertionError, match="divisible"):
        nn.MultiheadAttention(8, 3)


def test_mha_loads_torchs_state_dict():
    theirs = torch.nn.MultiheadAttention(8, 4)
    ours = nn.MultiheadAttention(8, 4)
    ours.load_state_dict({k: ne.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = _rng(5, 2, 8)
    out, weights = ours(*(ne.tensor(x),) * 3)
    reference, reference_weights = theirs(*(torch.tensor(x),) * 3)
    _assert_close(out, reference)
    _assert_close(weights, reference_weights)


CASES = [
    ("self", {}, {}),
    ("batch_first", {"batch_first": True}, {}),
    ("per_head_weights", {}, {"average_attn_weights": False}),
    ("no_weights", {}, {"need_weights": False}),
    ("bool_mask", {}, {"mask": "bool"}),
    ("float_mask", {}, {"mask": "float"}),
    ("key_padding", {"batch_first": True}, {"padding": True}),
    ("causal_hint", {}, {"mask": "bool", "is_causal": True}),
    ("no_bias", {"bias": False}, {}),
    ("unbatched", {}, {"unbatched": True}),
]


@pytest.mark.parametrize(("name", "init", "call"), CASES, ids=[c[0] for c in CASES])
def test_mha_forward_and_backward_match_torch(name, init, call):
    ours, theirs = _mha_pair(**init)
    length, batch = 4, 3
    shape = (length, 8) if call.get("unbatched") else (
        (batch, length, 8) if init.get("batch_first") else (length, batch, 8)
    )  # fmt: skip
    q, kv = _rng(*shape, seed=1), _rng(*shape, seed=2)
    mine_in = [_t(q), _t(kv), _t(kv)]
    their_in = [torch.tensor(a, requires_grad=True) for a in (q, kv, kv)]
    kw = {k: call[k] for k in ("need_weights", "average_attn_weights", "is_causal") if k in call}
    tkw = dict(kw)
    if call.get("mask") == "bool":
        blocked = np.triu(np.ones((length, length), bool), 1)
        kw["attn_mask"], tkw["attn_mask"] = ne.tensor(blocked), torch.tensor(blocked)
    elif call.get("mask") == "float":
        bias = _rng(length, length, seed=3)
        kw["attn_mask"], tkw["attn_mask"] = ne.tensor(bias), torch.tensor(bias)
    if call.get("padding"):
        pad = np.zeros((batch, length), bool)
        pad[0, -1] = pad[2, -2:] = True
        kw["key_padding_mask"], tkw["key_padding_mask"] = ne.tensor(pad), torch.tensor(pad)
    out, weights = ours(*mine_in, **kw)
    reference, reference_weights = theirs(*their_in, **tkw)
    _assert_close(out, reference)
    if reference_weights is None:
        assert weights is None
    else:
        assert tuple(weights.shape) == tuple(reference_weights.shape)
        _assert_close(weights, reference_weights)
    g = _rng(*out.shape, seed=4)
    (out * ne.tensor(g)).sum().backward()
    (reference * torch.tensor(g)).sum().backward()
    for mine, their in zip(mine_in, their_in):
        _assert_close(mine.grad, their.grad, 1e-4)
    for (n, p), (tn, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert n == tn
        _assert_close(p.grad, tp.grad, 1e-4)


def test_mha_is_causal_needs_a_mask():
    mha = nn.MultiheadAttention(4, 1)
    x = ne.ones(3, 1, 4)
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        mha(x, x, x, is_causal=True)


def test_module_dict_as_torch():
    layers = nn.ModuleDict({"proj": nn.Linear(2, 3), "act": nn.ReLU()})
    twin = torch.nn.ModuleDict({"proj": torch.nn.Linear(2, 3), "act": torch.nn.ReLU()})
    assert repr(layers) == repr(twin)
    assert list(layers.keys()) == ["proj", "act"] and len(layers) == 2 and "act" in layers
    layers["out"] = nn.Linear(3, 1)
    layers.update([("extra", nn.Tanh())])
    assert list(layers) == ["proj", "act", "out", "extra"]
    assert [n for n, _ in layers.named_parameters()] == [
        "proj.weight", "proj.bias", "out.weight", "out.bias"
    ]  # fmt: skip
    assert isinstance(layers["proj"], nn.Linear)
    assert [k for k, _ in layers.items()] == list(layers.keys())
    assert layers.pop("extra").__class__ is nn.Tanh and len(layers.values()) == 3
    with pytest.raises(TypeError):
        layers.update(3)


def test_unflatten_and_module_list():
    x = ne.arange(24.0).reshape(2, 12)
    out = nn.Unflatten(1, (3, 4))(x)
    assert tuple(out.shape) == (2, 3, 4)
    assert tuple(nn.Unflatten(-1, (2, -1))(x).shape) == (2, 2, 6)
    assert repr(nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
    with pytest.raises(RuntimeError, match="unflattened_size"):
        nn.Unflatten(1, (5, 2))(x)
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(list(blocks.parameters())) == 6 and isinstance(blocks[1], nn.Linear)
