"""Shared fixtures: every engine test that takes ``device`` runs on each backend."""

import pytest

import nnbench.engine as ne

BACKENDS = ["numpy", "torch:cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


def cuda_available() -> bool:
    return ne.cuda_status()[0]


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason=f"no CUDA here: {ne.cuda_status()[1]}")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def device(request):
    """A device string for each backend: numpy, torch on the CPU, and CUDA where present."""
    return request.param


@pytest.fixture(autouse=True)
def _seeded():
    ne.manual_seed(0)
    yield
