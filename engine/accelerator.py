"""``ne.accelerator``: the device question newer tutorials ask before choosing a device,
answered truthfully for the engine (its only accelerator is CUDA, through torch)."""

from __future__ import annotations

from .backends import cuda_status, new_device


def is_available() -> bool:
    return cuda_status()[0]


def current_accelerator(check_available: bool = False):
    """torch.device("cuda") where a GPU can be used, else None (as torch on a CPU machine)."""
    return new_device("cuda") if is_available() else None


def device_count() -> int:
    from . import cuda

    return cuda.device_count()


# torch.backends.mps: the engine never runs on Apple's GPU
