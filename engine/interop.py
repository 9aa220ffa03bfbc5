"""Models to and from torch.nn, layer by layer, with the same weights.

``model.to_torch()`` and ``nn.Module.from_torch(m)`` call these. The tables name layers
by class name on both sides (``"Linear"`` is nn.Linear in the engine and in torch), so
this module needs nothing from nn: nn imports it, not the other way round.
"""

from __future__ import annotations

import numpy as np

from .creation import tensor


def _torch_makers(torch):
    """engine layer name -> how to build its torch twin from the engine layer ``m``."""
    nn = torch.nn
    return {
        "ReLU": lambda m: nn.ReLU(),
        "Sigmoid": lambda m: nn.Sigmoid(),
        "Tanh": lambda m: nn.Tanh(),
        "Identity": lambda m: nn.Identity(),
        "GELU": lambda m: nn.GELU(approximate=m.approximate),
        "Softmax": lambda m: nn.Softmax(dim=m.dim),
        "LogSoftmax": lambda m: nn.LogSoftmax(dim=m.dim),
        "Flatten": lambda m: nn.Flatten(m.start_dim, m.end_dim),
        "Dropout": lambda m: nn.Dropout(m.p),
        "Linear": lambda m: nn.Linear(m.in_features, m.out_features, m.bias is not None),
        "Embedding": lambda m: nn.Embedding(m.num_embeddings, m.embedding_dim),
        "LayerNorm": lambda m: nn.LayerNorm(
            m.normalized_shape, m.eps, m.elementwise_affine, bias=m.bias is not None
        ),
        "MSELoss": lambda m: nn.MSELoss(reduction=m.reduction),
        "CrossEntropyLoss": lambda m: nn.CrossEntropyLoss(
            ignore_index=m.ignore_index, reduction=m.reduction, label_smoothing=m.label_smoothing
        ),
        "NLLLoss": lambda m: nn.NLLLoss(ignore_index=m.ignore_index, reduction=m.reduction),
    }


def _engine_makers(layers: dict):
    """torch layer name -> how to build the engine layer from the torch layer ``m``."""
    return {
        "ReLU": lambda m: layers["ReLU"](),
        "Sigmoid": lambda m: layers["Sigmoid"](),
        "Tanh": lambda m: layers["Tanh"](),
        "Identity": lambda m: layers["Identity"](),
        "GELU": lambda m: layers["GELU"](m.approximate),
        "Softmax": lambda m: layers["Softmax"](m.dim),
        "LogSoftmax": lambda m: layers["LogSoftmax"](m.dim),
        "Flatten": lambda m: layers["Flatten"](m.start_dim, m.end_dim),
        "Dropout": lambda m: layers["Dropout"](m.p),
        "Linear": lambda m: layers["Linear"](m.in_features, m.out_features, m.bias is not None),
        "Embedding": lambda m: layers["Embedding"](m.num_embeddings, m.embedding_dim),
        "LayerNorm": lambda m: layers["LayerNorm"](
            m.normalized_shape, m.eps, m.elementwise_affine, bias=m.bias is not None
        ),
    }


CONTAINERS = ("Sequential", "ModuleList")


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


def to_torch(module):
    """A torch.nn twin of an engine module, weights copied, in the same train/eval mode."""
    import torch

    twin = _torch_structure(module, torch)
    with torch.no_grad():
        state = {
            name: torch.from_numpy(np.array(t.device.backend.to_numpy(t.array)))
            for name, t in module.state_dict().items()
        }
        twin.load_state_dict(state, strict=True)
    return twin.train(module.training)


def _torch_structure(module, torch):
    name = _engine_kind(module)
    if name in CONTAINERS:
        children = [_torch_structure(m, torch) for m in module]
        if name == "Sequential":
            return torch.nn.Sequential(*children)
        return torch.nn.ModuleList(children)
    makers = _torch_makers(torch)
    if name not in makers:
        raise TypeError(
            f"to_torch: no torch twin for {type(module).__name__}; supported are Sequential, "
            f"ModuleList and {', '.join(sorted(makers))}. For "
            "a model class of your own, build its torch twin by hand and copy the state dict."
        )
    return makers[name](module)


def from_torch(torch_module, layers: dict):
    """An engine module equal to a torch.nn module made of the supported layers;
    ``layers`` are the engine's layer classes by name."""
    module = _engine_structure(torch_module, layers)
    state = {k: tensor(v.detach().cpu().numpy()) for k, v in torch_module.state_dict().items()}
    module.load_state_dict(state, strict=True)
    return module.train(torch_module.training)


def _engine_structure(m, layers: dict):
    import torch

    if isinstance(m, torch.nn.Sequential):
        return layers["Sequential"](*(_engine_structure(c, layers) for c in m))
    if isinstance(m, torch.nn.ModuleList):
        return layers["ModuleList"]([_engine_structure(c, layers) for c in m])
    name = type(m).__name__
    makers = _engine_makers(layers)
    if name not in makers or not type(m).__module__.startswith("torch.nn"):
        raise TypeError(
            f"from_torch: {type(m).__name__} has no engine counterpart; supported are "
            f"Sequential, ModuleList and {', '.join(sorted(makers))}"
        )
    return makers[name](m)
