"""Datasets and the DataLoader: batches of tensors, shuffled by a seedable generator."""

from __future__ import annotations

import math

import numpy as np

from .creation import tensor
from .errors import ShapeError, shape_str
from .tensor import Tensor, stack


class Dataset:
    """Anything with ``__len__`` and ``__getitem__`` returning a sample (a tuple of tensors)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of each tensor: ``dataset[i] == (x[i], y[i])``."""

    def __init__(self, *tensors: Tensor):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if None in sizes or len(set(sizes)) != 1:
            shapes = ", ".join(shape_str(tuple(t.shape)) for t in tensors)
            raise ShapeError(
                f"TensorDataset: every tensor needs the same first dimension (one row per "
                f"sample), but the shapes are {shapes}"
            )
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def rows(self, indices: np.ndarray) -> tuple:
        """Many samples at once, as one batch (what the DataLoader uses)."""
        out = []
        for t in self.tensors:
            index = tensor(indices, device=t.device)
            out.append(t[index])
        return tuple(out)


class DataLoader:
    """Batches from a dataset: ``batch_size``, ``shuffle`` (seed it with ``generator``),
    ``drop_last``; the last partial batch is kept unless ``drop_last=True``."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
    ):
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be at least 1, got {batch_size}")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        if isinstance(generator, (int, np.integer)):
            generator = np.random.default_rng(int(generator))
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.generator is None:
            from .creation import generator

            return generator().permutation(n)
        return self.generator.permutation(n)

    def __iter__(self):
        order = self._order()
        for batch in range(len(self)):
            indices = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            yield self._fetch(indices)

    def _fetch(self, indices: np.ndarray):
        if hasattr(self.dataset, "rows"):  # tensors: one gather per batch, not per sample
            return self.dataset.rows(indices)
        samples = [self.dataset[int(i)] for i in indices]
        if isinstance(samples[0], tuple):
            return tuple(stack([s[k] for s in samples]) for k in range(len(samples[0])))
        return stack(samples)


def random_split(dataset: Dataset, lengths, generator: int | None = 0):
    """Split into non-overlapping subsets of the given lengths (or fractions)."""
    n = len(dataset)
    if all(isinstance(x, float) for x in lengths):
        counts = [int(math.floor(n * x)) for x in lengths]
        counts[0] += n - sum(counts)
    else:
        counts = list(lengths)
    if sum(counts) != n:
        raise ValueError(f"random_split: lengths {counts} add up to {sum(counts)}, not {n}")
    order = np.random.default_rng(generator).permutation(n)
    parts, start = [], 0
    for count in counts:
        parts.append(Subset(dataset, order[start : start + count]))
        start += count
    return parts


class Subset(Dataset):
    def __init__(self, dataset: Dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def rows(self, indices):
        return self.dataset.rows(self.indices[indices])
