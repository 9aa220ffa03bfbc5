"""Models to and from torch.nn, layer by layer, with the same weights."""

from __future__ import annotations

import numpy as np

from . import nn
from .creation import tensor


def _simple_layers():
    import torch

    return {
        nn.ReLU: lambda m: torch.nn.ReLU(),
        nn.Sigmoid: lambda m: torch.nn.Sigmoid(),
        nn.Tanh: lambda m: torch.nn.Tanh(),
        nn.Identity: lambda m: torch.nn.Identity(),
        nn.GELU: lambda m: torch.nn.GELU(approximate=m.approximate),
        nn.Softmax: lambda m: torch.nn.Softmax(dim=m.dim),
        nn.LogSoftmax: lambda m: torch.nn.LogSoftmax(dim=m.dim),
        nn.Flatten: lambda m: torch.nn.Flatten(m.start_dim, m.end_dim),
        nn.Dropout: lambda m: torch.nn.Dropout(m.p),
        nn.Linear: lambda m: torch.nn.Linear(m.in_features, m.out_features, m.bias is not None),
        nn.Embedding: lambda m: torch.nn.Embedding(m.num_embeddings, m.embedding_dim),
        nn.LayerNorm: lambda m: torch.nn.LayerNorm(
            m.normalized_shape, m.eps, m.elementwise_affine, bias=m.bias is not None
        ),
        nn.MSELoss: lambda m: torch.nn.MSELoss(reduction=m.reduction),
        nn.CrossEntropyLoss: lambda m: torch.nn.CrossEntropyLoss(
            ignore_index=m.ignore_index, reduction=m.reduction, label_smoothing=m.label_smoothing
        ),
        nn.NLLLoss: lambda m: torch.nn.NLLLoss(ignore_index=m.ignore_index, reduction=m.reduction),
    }


def to_torch(module: nn.Module):
    """A torch.nn twin of an engine module, weights copied, in the same train/eval mode."""
    import torch

    twin = _torch_structure(module)
    with torch.no_grad():
        state = {
            name: torch.from_numpy(np.array(t.device.backend.to_numpy(t.array)))
            for name, t in module.state_dict().items()
        }
        twin.load_state_dict(state, strict=True)
    return twin.train(module.training)


def _torch_structure(module: nn.Module):
    import torch

    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(*(_torch_structure(m) for m in module))
    if isinstance(module, nn.ModuleList):
        return torch.nn.ModuleList([_torch_structure(m) for m in module])
    maker = _simple_layers().get(type(module))
    if maker is None:
        raise TypeError(
            f"to_torch: no torch twin for {type(module).__name__}; supported are Sequential, "
            f"ModuleList and {', '.join(sorted(c.__name__ for c in _simple_layers()))}. For "
            "a model class of your own, build its torch twin by hand and copy the state dict."
        )
    return maker(module)


def from_torch(torch_module) -> nn.Module:
    """An engine module equal to a torch.nn module made of the supported layers."""

    module = _engine_structure(torch_module)
    state = {k: tensor(v.detach().cpu().numpy()) for k, v in torch_module.state_dict().items()}
    module.load_state_dict(state, strict=True)
    return module.train(torch_module.training)


def _engine_structure(m) -> nn.Module:
    import torch

    if isinstance(m, torch.nn.Sequential):
        return nn.Sequential(*(_engine_structure(c) for c in m))
    if isinstance(m, torch.nn.ModuleList):
        return nn.ModuleList([_engine_structure(c) for c in m])
    simple = {
        torch.nn.ReLU: lambda: nn.ReLU(),
        torch.nn.Sigmoid: lambda: nn.Sigmoid(),
        torch.nn.Tanh: lambda: nn.Tanh(),
        torch.nn.Identity: lambda: nn.Identity(),
        torch.nn.GELU: lambda: nn.GELU(m.approximate),
        torch.nn.Softmax: lambda: nn.Softmax(m.dim),
        torch.nn.LogSoftmax: lambda: nn.LogSoftmax(m.dim),
        torch.nn.Flatten: lambda: nn.Flatten(m.start_dim, m.end_dim),
        torch.nn.Dropout: lambda: nn.Dropout(m.p),
        torch.nn.Linear: lambda: nn.Linear(m.in_features, m.out_features, m.bias is not None),
        torch.nn.Embedding: lambda: nn.Embedding(m.num_embeddings, m.embedding_dim),
        torch.nn.LayerNorm: lambda: nn.LayerNorm(
            m.normalized_shape, m.eps, m.elementwise_affine, bias=m.bias is not None
        ),
    }
    maker = simple.get(type(m))
    if maker is None:
        raise TypeError(
            f"from_torch: {type(m).__name__} has no engine counterpart; supported are "
            f"Sequential, ModuleList and {', '.join(sorted(c.__name__ for c in simple))}"
        )
    return maker()
