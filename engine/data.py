"""Datasets and the DataLoader: batches of tensors, shuffled by a seedable generator."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping

import numpy as np

from . import dtypes
from .creation import generator, tensor
from .errors import EngineError, ShapeError, shape_str
from .functions import stack
from .tensor import Tensor


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
    """Batches from a dataset, as PyTorch's: ``batch_size`` (None: samples one at a time,
    unbatched), ``shuffle`` (seed it with ``generator``), ``drop_last`` (the last partial
    batch is kept unless True) and ``collate_fn`` (``default_collate`` unless given).

    One deliberate difference: a sample that is a tuple gives a tuple batch (PyTorch gives a
    list); ``x, y = batch`` reads the same either way."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
        collate_fn=None,
    ):
        _check_batch_size(batch_size, drop_last)
        if shuffle and len(dataset) == 0:
            raise ValueError(
                "DataLoader: shuffle=True needs samples, but the dataset is empty (len 0): "
                "num_samples should be a positive integer value, but got num_samples=0. "
                "Check how the dataset was built (a filter or split that kept nothing?)."
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.collate_fn = collate_fn
        if isinstance(generator, (int, np.integer)):
            generator = np.random.default_rng(int(generator))
        self.generator = generator

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.generator is None:
            return generator().permutation(n)
        return self.generator.permutation(n)

    def __iter__(self):
        order = self._order()
        if self.batch_size is None:  # no batching: each sample as it is, arrays converted
            convert = self.collate_fn or default_convert
            for i in order:
                yield convert(self.dataset[int(i)])
            return
        for batch in range(len(self)):
            indices = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            yield self._fetch(indices)

    def _fetch(self, indices: np.ndarray):
        rows = None if self.collate_fn else _rows(self.dataset)
        if rows is not None:  # tensors: one gather per batch, not per sample
            return rows(indices)
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or default_collate)(samples)


def _check_batch_size(batch_size, drop_last) -> None:
    if batch_size is None:
        if drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last; pass a batch_size, or drop_last=False"
            )
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        if isinstance(batch_size, (numbers.Integral, float)) and not isinstance(batch_size, bool):
            hint = "pass int(batch_size)" if batch_size >= 1 else "use 1 or more"
        else:
            hint = "use an int >= 1"
        raise ValueError(
            f"DataLoader: batch_size should be a positive integer value, but got "
            f"batch_size={batch_size!r} ({type(batch_size).__name__}); {hint}, or None to get "
            "the samples one at a time without batching"
        )


def _rows(dataset):
    """A function from indices to one batch, for datasets of tensors; None for others."""
    if isinstance(dataset, TensorDataset):
        return dataset.rows
    if isinstance(dataset, Subset):
        inner = _rows(dataset.dataset)
        if inner is not None:
            return lambda indices: inner(dataset.indices[indices])
    return None


def _is_text_array(a: np.ndarray) -> bool:
    return a.dtype.kind in "USOV"


def _stack(samples: list, where: str):
    try:
        return stack(samples)
    except ShapeError as error:
        raise ShapeError(
            f"default_collate: the samples' {where} differ in shape, so they cannot be stacked "
            f"into one batch ({error}). Make every sample the same shape (pad or crop), or "
            "pass collate_fn= to build the batch yourself."
        ) from None


def default_collate(batch: list):
    """PyTorch's default_collate: stack tensors and numpy arrays, numbers become a tensor
    (Python floats as float64, as in PyTorch), strings stay a list, and tuples, lists and
    dicts are collated field by field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch, "tensors")
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _is_text_array(np.asarray(elem)):
            raise TypeError(_collate_error(np.asarray(elem).dtype))
        return _stack([tensor(np.asarray(b)) for b in batch], "numpy arrays")
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, (bool, int)):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, (tuple, list)):
        if any(len(sample) != len(elem) for sample in batch):
            raise EngineError(
                f"default_collate: each element in list of batch should be of equal size, but "
                f"the samples have {sorted({len(s) for s in batch})} fields; return the same "
                "fields from every __getitem__"
            )
        fields = [default_collate(list(column)) for column in zip(*batch)]
        if hasattr(elem, "_fields"):  # a namedtuple keeps its type
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError(_collate_error(type(elem)))


def default_convert(sample):
    """What an unbatched sample becomes: numpy arrays to tensors, containers converted
    field by field, everything else as it is (PyTorch's default_convert)."""
    if isinstance(sample, (np.ndarray, np.generic)) and not _is_text_array(np.asarray(sample)):
        return tensor(np.asarray(sample))
    if isinstance(sample, Mapping):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, (tuple, list)) and not isinstance(sample, (str, bytes)):
        fields = [default_convert(value) for value in sample]
        if hasattr(sample, "_fields"):
            return type(sample)(*fields)
        return tuple(fields) if isinstance(sample, tuple) else fields
    return sample


def _collate_error(found) -> str:
    return (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {found}. Return those from the dataset's __getitem__, or pass collate_fn="
    )


def random_split(dataset: Dataset, lengths, generator: int | None = 0):
    """Split into non-overlapping subsets of the given lengths, or of fractions that add up
    to 1 (rounded as PyTorch rounds: floor each, then hand out the rest one by one)."""
    n = len(dataset)
    counts = _split_counts(n, list(lengths))
    order = np.random.default_rng(generator).permutation(n)
    parts, start = [], 0
    for count in counts:
        parts.append(Subset(dataset, order[start : start + count]))
        start += count
    return parts


def _split_counts(n: int, lengths: list) -> list[int]:
    for x in lengths:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"random_split: lengths must be numbers, got {x!r} in {lengths}")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:  # fractions (PyTorch's test, word for word)
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(
                    f"random_split: fraction at index {i} is {fraction}, not between 0 and 1"
                )
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0 ({lengths} of {n} "
                    "samples). This might result in an empty dataset.",
                    UserWarning,
                    stacklevel=3,
                )
        return counts
    negative = [x for x in lengths if x < 0]
    if negative:
        # PyTorch accepts e.g. [-1, 11] and slices nonsense from it; we refuse.
        raise ValueError(
            f"random_split: lengths must be counts >= 0 or fractions that add up to 1, but "
            f"{lengths} holds {negative[0]}"
        )
    if any(x != int(x) for x in lengths):
        raise ValueError(
            f"random_split: fractions must add up to 1, but {lengths} add up to {total:g} "
            "(and counts must be whole numbers); e.g. [0.8, 0.2]"
        )
    counts = [int(x) for x in lengths]
    if sum(counts) != n:
        raise ValueError(
            f"random_split: sum of input lengths {lengths} is {total}, which does not equal the "
            f"length of the dataset ({n}). Give counts that add up to {n}, or fractions that "
            "add up to 1, e.g. [0.8, 0.2]."
        )
    return counts


class Subset(Dataset):
    def __init__(self, dataset: Dataset, indices):
        self.dataset, self.indices = dataset, np.asarray(indices, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]
