"""``ne.cuda``: the few ``torch.cuda`` functions tutorials call, answered truthfully.

Where a GPU exists (``torch.cuda.is_available()``) each one is torch.cuda's own, since
the engine's CUDA backend is torch. Where none does they answer as torch does:
``is_available()`` is False, ``device_count()`` is 0, the seeds and ``empty_cache()``
do nothing, and ``current_device()``, ``get_device_name()`` and ``synchronize()`` raise
(an AssertionError in torch, so :class:`CudaUnavailableError` is one too). torch is
imported by the first call, never by ``import nnbench.engine``.

The engine draws its random numbers from one stream on every device (``ne.manual_seed``),
so ``manual_seed`` here only seeds torch's own CUDA generator, which the engine never reads.
"""

from __future__ import annotations

from .backends import Device, cuda_status
from .errors import CudaUnavailableError


def is_available() -> bool:
    return cuda_status()[0]


def device_count() -> int:
    if not is_available():
        return 0
    import torch

    return torch.cuda.device_count()


def current_device() -> int:
    return _torch_cuda("current_device").current_device()


def get_device_name(device=None) -> str:
    return _torch_cuda("get_device_name").get_device_name(_torch_device(device))


def synchronize(device=None) -> None:
    _torch_cuda("synchronize").synchronize(_torch_device(device))


def manual_seed(seed) -> None:
    seed = _seed("manual_seed", seed)
    if is_available():
        import torch

        torch.cuda.manual_seed(seed)


def manual_seed_all(seed) -> None:
    seed = _seed("manual_seed_all", seed)
    if is_available():
        import torch

        torch.cuda.manual_seed_all(seed)


def empty_cache() -> None:
    if is_available():
        import torch

        torch.cuda.empty_cache()


def _torch_cuda(name: str):
    """torch.cuda, or the error torch would raise here, in the engine's words."""
    available, why = cuda_status()
    if not available:
        raise CudaUnavailableError(
            f"cuda.{name}: no CUDA device can be used here: {why}. Check "
            "ne.cuda.is_available() first, e.g. device = 'cuda' if ne.cuda.is_available() "
            "else 'cpu'"
        )
    import torch

    return torch.cuda


def _torch_device(device):
    """What torch.cuda takes (None, an int, a string, a torch.device): an engine Device
    becomes a torch.device, the rest is torch's to read."""
    return device.torch if isinstance(device, Device) else device


def _seed(name: str, seed) -> int:
    try:
        return int(seed)
    except (TypeError, ValueError) as error:  # torch's int(seed) raises either
        raise type(error)(
            f"cuda.{name}: the seed must be an int, but got {seed!r} "
            f"({type(seed).__name__}); e.g. ne.cuda.{name}(0)"
        ) from None
