"""Data that needs no network: the bundled digits, 2-D toy sets, y = 2x + 1, MNIST files.

Generators return ``(x, y)`` tensors: x float32 of shape (n, features), y int64 class
labels (or float32 targets for regression). Each takes a ``seed``.
"""

from __future__ import annotations

import gzip
import math
import struct
from importlib import resources
from pathlib import Path

import numpy as np

from .creation import tensor
from .tensor import Tensor


def _pair(x: np.ndarray, y: np.ndarray, device) -> tuple[Tensor, Tensor]:
    return tensor(x.astype(np.float32), device=device), tensor(y, device=device)


def digits(device=None) -> tuple[Tensor, Tensor]:
    """scikit-learn's 8x8 handwritten digits: x (1797, 64) scaled to 0..1, y (1797,) 0..9."""
    with resources.files("nnbench.samples").joinpath("digits.npz").open("rb") as f:
        data = np.load(f, allow_pickle=False)
        images, labels = data["images"], data["labels"]
    return _pair(images.reshape(len(images), -1) / 16.0, labels.astype(np.int64), device)


def spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0, device=None):
    """Interleaved spiral arms, one per class (CS231n's classic)."""
    rng = np.random.default_rng(seed)
    per = n // classes
    xs, ys = [], []
    for c in range(classes):
        radius = np.linspace(0.0, 1.0, per)
        angle = np.linspace(c * 4, (c + 1) * 4, per) + rng.normal(size=per) * noise
        xs.append(np.c_[radius * np.sin(angle), radius * np.cos(angle)])
        ys.append(np.full(per, c))
    return _pair(np.concatenate(xs), np.concatenate(ys).astype(np.int64), device)


def circles(n: int = 300, noise: float = 0.05, factor: float = 0.5, seed: int = 0, device=None):
    """Two concentric circles: class 0 outside, class 1 inside."""
    rng = np.random.default_rng(seed)
    outer, inner = n - n // 2, n // 2
    angle = rng.uniform(0, 2 * math.pi, n)
    radius = np.r_[np.ones(outer), np.full(inner, factor)]
    x = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + rng.normal(0, noise, (n, 2))
    return _pair(x, np.r_[np.zeros(outer), np.ones(inner)].astype(np.int64), device)


def xor(n: int = 300, noise: float = 0.1, seed: int = 0, device=None):
    """Points in four quadrants; the class is whether x and y have different signs."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(np.int64)
    return _pair(x + rng.normal(0, noise, (n, 2)), y, device)


def blobs(n: int = 300, centers: int = 3, std: float = 0.5, seed: int = 0, device=None):
    """Gaussian blobs around random centres in [-4, 4]^2."""
    rng = np.random.default_rng(seed)
    where = rng.uniform(-4, 4, (centers, 2))
    y = np.arange(n) % centers
    return _pair(where[y] + rng.normal(0, std, (n, 2)), y.astype(np.int64), device)


def moons(n: int = 300, noise: float = 0.1, seed: int = 0, device=None):
    """Two interleaving half circles."""
    rng = np.random.default_rng(seed)
    upper, lower = n - n // 2, n // 2
    a, b = np.linspace(0, math.pi, upper), np.linspace(0, math.pi, lower)
    x = np.r_[np.c_[np.cos(a), np.sin(a)], np.c_[1 - np.cos(b), 0.5 - np.sin(b)]]
    y = np.r_[np.zeros(upper), np.ones(lower)].astype(np.int64)
    return _pair(x + rng.normal(0, noise, (n, 2)), y, device)


def linear(n: int = 100, noise: float = 0.1, seed: int = 0, device=None):
    """The seed's data: y = 2x + 1 + noise, x in [0, 1); both of shape (n, 1)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 1))
    y = 2 * x + 1 + rng.normal(0, noise, (n, 1))
    return tensor(x.astype(np.float32), device=device), tensor(y.astype(np.float32), device=device)


def train_val_split(x: Tensor, y: Tensor, val_fraction: float = 0.2, seed: int = 0):
    """Shuffle once and split into (x_train, y_train), (x_val, y_val)."""
    order = np.random.default_rng(seed).permutation(x.shape[0])
    cut = int(round(len(order) * (1 - val_fraction)))
    train, val = tensor(order[:cut], device=x.device), tensor(order[cut:], device=x.device)
    return (x[train], y[train]), (x[val], y[val])


# ---------------------------------------------------------------------- MNIST's IDX files
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path) -> np.ndarray:
    """Read an IDX file (MNIST's format), raw or gzipped, into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {data[:4].hex()})")
    dtype, ndim = np.dtype(_IDX_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"{path}: the header says shape {shape} ({expected} bytes of data) but the file "
            f"holds {len(data) - header}; it is truncated or corrupt"
        )
    return np.frombuffer(data, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def mnist(directory, split: str = "train", device=None) -> tuple[Tensor, Tensor]:
    """MNIST from its four IDX files (raw or .gz) in ``directory``: x (n, 784) in 0..1."""
    directory = Path(directory).expanduser()
    found = []
    for name in MNIST_FILES[split]:
        candidates = [directory / name, directory / f"{name}.gz"]
        match = next((c for c in candidates if c.exists()), None)
        if match is None:
            raise FileNotFoundError(
                f"MNIST file {name}(.gz) not found in {directory}. Put the four IDX files "
                f"({', '.join(n for pair in MNIST_FILES.values() for n in pair)}, raw or "
                "gzipped) there, or set NNBENCH_MNIST to their folder."
            )
        found.append(match)
    images, labels = read_idx(found[0]), read_idx(found[1])
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return _pair(x, labels.astype(np.int64), device)
