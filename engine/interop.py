"""Models to and from torch.nn, layer by layer, with the same weights.

``model.to_torch()`` and ``nn.Module.from_torch(m)`` call these; ``torch_twins_missing``
(``nn.utils.torch_twin_missing``) lists what would stop ``to_torch`` before it is tried.
One table, ``ARGUMENTS``, names each layer by class name on both sides (``"Conv2d"`` is
nn.Conv2d in the engine and in torch) with its constructor's arguments, read from the
attributes of the same names on either side (a few, such as ``bias=``, are computed from
the layer), so this module needs nothing from nn: nn imports it, not the other way round.
Weights and buffers (running statistics, a loss's class weights) go across as the state
dict, in their own dtype; each layer keeps its own train/eval mode.
"""

from __future__ import annotations

import numpy as np

from .creation import tensor


def _has_bias(m) -> bool:
    return getattr(m, "bias", None) is not None


def _norm_bias(m) -> bool:
    """BatchNorm's bias= (torch keeps no flag: without affine there is no bias to ask)."""
    return _has_bias(m) if m.affine else True


def _buffer(name: str):
    """A loss's weight buffer, converted to the other side by ``convert`` (None stays)."""
    return lambda m, convert: None if getattr(m, name) is None else convert(getattr(m, name))


_CONV = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups")
_NORM = ("num_features", "eps", "momentum", "affine", "track_running_stats")
_NO_ARGS: tuple = ()

# layer name -> (arguments read as attributes, {argument: computed from the layer})
ARGUMENTS: dict[str, tuple[tuple, dict]] = {
    # activations
    "ReLU": (("inplace",), {}),
    "ReLU6": (("inplace",), {}),
    "Sigmoid": (_NO_ARGS, {}),
    "Tanh": (_NO_ARGS, {}),
    "Identity": (_NO_ARGS, {}),
    "GELU": (("approximate",), {}),
    "SiLU": (("inplace",), {}),
    "ELU": (("alpha", "inplace"), {}),
    "LeakyReLU": (("negative_slope", "inplace"), {}),
    "Hardtanh": (("min_val", "max_val", "inplace"), {}),
    "Softplus": (("beta", "threshold"), {}),
    "Softmax": (("dim",), {}),
    "LogSoftmax": (("dim",), {}),
    # shapes and dropout
    "Flatten": (("start_dim", "end_dim"), {}),
    "Unflatten": (("dim", "unflattened_size"), {}),
    "Dropout": (("p", "inplace"), {}),
    # layers with weights
    "Linear": (("in_features", "out_features"), {"bias": _has_bias}),
    "Conv1d": ((*_CONV, "padding_mode"), {"bias": _has_bias}),
    "Conv2d": ((*_CONV, "padding_mode"), {"bias": _has_bias}),
    "BatchNorm1d": (_NORM, {"bias": _norm_bias}),
    "BatchNorm2d": (_NORM, {"bias": _norm_bias}),
    "Embedding": (("num_embeddings", "embedding_dim", "padding_idx"), {}),
    "LayerNorm": (("normalized_shape", "eps", "elementwise_affine"), {"bias": _has_bias}),
    "MultiheadAttention": (
        ("embed_dim", "num_heads", "dropout", "batch_first"),
        {"bias": lambda m: m.in_proj_bias is not None},
    ),
    # pooling
    "MaxPool2d": (
        ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"),
        {},
    ),
    "AvgPool2d": (
        ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad", "divisor_override"),
        {},
    ),
    "AdaptiveAvgPool2d": (("output_size",), {}),
    # losses (their class weights are buffers: they travel as arguments, converted)
    "MSELoss": (("reduction",), {}),
    "L1Loss": (("reduction",), {}),
    "SmoothL1Loss": (("reduction", "beta"), {}),
    "HuberLoss": (("reduction", "delta"), {}),
    "CrossEntropyLoss": (("ignore_index", "reduction", "label_smoothing"), {}),
    "NLLLoss": (("ignore_index", "reduction"), {"weight": _buffer("weight")}),
    "BCELoss": (("reduction",), {"weight": _buffer("weight")}),
    "BCEWithLogitsLoss": (
        ("reduction",),
        {"weight": _buffer("weight"), "pos_weight": _buffer("pos_weight")},
    ),
}

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
_BUFFER_ARGUMENTS = ("weight", "pos_weight")  # computed arguments that need ``convert``


def _build(cls, name: str, m, convert):
    """The layer ``name`` of the other side (``cls``), with m's arguments."""
    names, computed = ARGUMENTS[name]
    kwargs = {key: getattr(m, key) for key in names}
    for key, get in computed.items():
        kwargs[key] = get(m, convert) if key in _BUFFER_ARGUMENTS else get(m)
    return cls(**kwargs)


def _engine_kind(module) -> str | None:
    """An engine layer's class name; a user's subclass of a container is that container,
    a subclass of any other layer has no twin (its forward may differ)."""
    own = type(module)
    if own.__module__.startswith("nnbench.engine.nn"):
        return own.__name__
    for cls in own.__mro__:
        if cls.__name__ in CONTAINERS and cls.__module__.startswith("nnbench.engine.nn"):
            return cls.__name__
    return None


def torch_twins_missing(module, prefix: str = "") -> list[str]:
    """The modules of ``module`` that have no torch twin, as ``"path (Class)"`` (the
    model itself is ``"model (Class)"``); [] when ``to_torch`` can build the whole."""
    kind = _engine_kind(module)
    if kind in CONTAINERS:
        missing = []
        for name, child in module._modules.items():
            missing += torch_twins_missing(child, f"{prefix}{name}.")
        return missing
    if kind in ARGUMENTS:
        return []
    return [f"{prefix[:-1] or 'model'} ({type(module).__name__})"]


def _to_torch_array(torch):
    def convert(t):
        return torch.from_numpy(np.array(t.device.backend.to_numpy(t.array)))

    return convert


def to_torch(module):
    """A torch.nn twin of an engine module: the same layers and settings, weights and
    buffers copied (in their dtype), each layer in its own train/eval mode."""
    import torch

    missing = torch_twins_missing(module)
    if missing:
        raise TypeError(
            f"to_torch: no torch twin for {', '.join(missing)}; twins exist for "
            f"{', '.join(CONTAINERS)} and {', '.join(sorted(ARGUMENTS))}. For a model "
            "class of your own, build its torch twin by hand and copy the state dict."
        )
    convert = _to_torch_array(torch)
    twin = _torch_structure(module, torch, convert)
    with torch.no_grad():
        state = {name: convert(t) for name, t in module.state_dict().items()}
        twin.load_state_dict(state, strict=True, assign=True)
    modes = {name: m.training for name, m in module.named_modules()}
    for name, m in twin.named_modules():
        m.train(modes.get(name, module.training))
    return twin


def _torch_structure(module, torch, convert):
    name = _engine_kind(module)
    if name == "Sequential":
        return torch.nn.Sequential(*(_torch_structure(m, torch, convert) for m in module))
    if name == "ModuleList":
        return torch.nn.ModuleList([_torch_structure(m, torch, convert) for m in module])
    if name == "ModuleDict":
        return torch.nn.ModuleDict(
            {k: _torch_structure(m, torch, convert) for k, m in module.items()}
        )
    return _build(getattr(torch.nn, name), name, module, convert)


def from_torch(torch_module, layers: dict):
    """An engine module equal to a torch.nn module made of the supported layers;
    ``layers`` are the engine's layer classes by name."""
    module = _engine_structure(torch_module, layers)
    state = {k: tensor(v.detach().cpu().numpy()) for k, v in torch_module.state_dict().items()}
    module.load_state_dict(state, strict=True)
    modes = dict(torch_module.named_modules())
    for name, m in module.named_modules():
        m.train(modes[name].training if name in modes else torch_module.training)
    return module


def _engine_structure(m, layers: dict):
    import torch

    if isinstance(m, torch.nn.Sequential):
        return layers["Sequential"](*(_engine_structure(c, layers) for c in m))
    if isinstance(m, torch.nn.ModuleList):
        return layers["ModuleList"]([_engine_structure(c, layers) for c in m])
    if isinstance(m, torch.nn.ModuleDict):
        return layers["ModuleDict"]({k: _engine_structure(c, layers) for k, c in m.items()})
    name = type(m).__name__
    if name not in ARGUMENTS or not type(m).__module__.startswith("torch.nn"):
        raise TypeError(
            f"from_torch: {type(m).__name__} has no engine counterpart; supported are "
            f"{', '.join(CONTAINERS)} and {', '.join(sorted(ARGUMENTS))}"
        )

    def convert(t):
        return tensor(t.detach().cpu().numpy())

    return _build(layers[name], name, m, convert)
