"""``torch.utils.data``'s names: datasets and the DataLoader, batches of tensors shuffled
by a seedable generator and collated as PyTorch's ``default_collate`` collates them.
(``nnbench.engine.data`` is the same module under its older name.)"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Mapping, MutableMapping, MutableSequence, Sequence

import numpy as np

from .. import dtypes
from ..creation import generator, tensor
from ..creation import random_stream as stream
from ..errors import EngineError, ShapeError, shape_str
from ..functions import stack
from ..tensor import Tensor


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

    def rows(self, indices: np.ndarray) -> list:
        """Many samples at once, as one batch: what default_collate makes of them (a list,
        one tensor per field), in one gather per tensor rather than a stack per sample."""
        return [t[tensor(indices, device=t.device)] for t in self.tensors]


class DataLoader:
    """Batches from a dataset, as PyTorch's: ``batch_size`` (None: samples one at a time,
    unbatched), ``shuffle`` (the engine's stream, or ``generator``: a numpy Generator or a
    seed), ``drop_last`` (the last partial batch is kept unless True) and ``collate_fn``
    (``default_collate`` unless given: a batch of ``(x, y)`` samples is the list ``[xs, ys]``,
    as in PyTorch).

    ``num_workers``, ``pin_memory``, ``timeout``, ``worker_init_fn``, ``persistent_workers``
    and ``prefetch_factor`` are taken so PyTorch code runs unchanged, and checked as PyTorch
    checks them, but every batch is loaded in this process (``get_worker_info()`` is None)."""

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | int | None = None,
        collate_fn=None,
        *,
        num_workers: int = 0,
        pin_memory: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        persistent_workers: bool = False,
        prefetch_factor: int | None = None,
    ):
        _check_batch_size(batch_size, drop_last)
        _check_workers(num_workers, timeout, persistent_workers, prefetch_factor)
        if shuffle and len(dataset) == 0:
            raise ValueError(
                "DataLoader: shuffle=True needs samples, but the dataset is empty (len 0): "
                "num_samples should be a positive integer value, but got num_samples=0. "
                "Check how the dataset was built (a filter or split that kept nothing?)."
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last
        self.collate_fn = collate_fn
        self.num_workers, self.pin_memory, self.timeout = num_workers, pin_memory, timeout
        self.worker_init_fn, self.persistent_workers = worker_init_fn, persistent_workers
        self.prefetch_factor = prefetch_factor
        if isinstance(generator, (int, np.integer)):
            generator = np.random.default_rng(int(generator))
        self.generator = stream("DataLoader", generator) if generator is not None else None

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


def _check_workers(num_workers, timeout, persistent_workers, prefetch_factor) -> None:
    """PyTorch's checks of the worker settings (which change nothing here)."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, int):
        raise TypeError(
            f"DataLoader: num_workers must be an int, but got num_workers={num_workers!r} "
            f"({type(num_workers).__name__}); e.g. num_workers=2"
        )
    if num_workers < 0:
        raise ValueError(
            f"DataLoader: num_workers option should be non-negative, but got "
            f"num_workers={num_workers}; use num_workers=0 (the engine loads every batch in "
            "this process whatever the number)"
        )
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0 and persistent_workers:
        raise ValueError(
            "DataLoader: persistent_workers option needs num_workers > 0, but got "
            "num_workers=0; drop persistent_workers=True, or give num_workers"
        )
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            f"DataLoader: prefetch_factor option could only be specified in multiprocessing "
            f"(num_workers > 0), but got prefetch_factor={prefetch_factor!r} with "
            "num_workers=0; let num_workers > 0, or leave prefetch_factor None"
        )


def get_worker_info():
    """None: the engine has no worker processes, so this is always the main process."""
    return None


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
    return a.dtype.kind in "SaUO"  # PyTorch's np_str_obj_array_pattern


def _stack(samples: list, where: str):
    try:
        return stack(samples)
    except ShapeError as error:
        raise ShapeError(
            f"default_collate: the samples' {where} differ in shape, so they cannot be stacked "
            f"into one batch ({error}). Make every sample the same shape (pad or crop), or "
            "pass collate_fn= to build the batch yourself."
        ) from None


def default_collate(batch):
    """PyTorch's default_collate: tensors and numpy arrays are stacked; numpy scalars, bools
    and ints become one tensor of their dtype (ints int64), Python floats float64; strings
    stay a list; dicts are collated per key, and tuples and lists field by field (a batch
    of tuples is a list, as in PyTorch; a namedtuple keeps its type)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch, "tensors")
    if isinstance(elem, np.ndarray):
        if _is_text_array(elem):
            raise TypeError(_collate_error(elem.dtype))
        return _stack([tensor(b) for b in batch], "numpy arrays")
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return tensor(np.array(batch))  # keeps the numpy dtype, as torch.as_tensor does
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, int):  # bools too: a bool tensor
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        return _same_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    # a field's column is the tuple zip makes, as in PyTorch: a column of strings stays one
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple keeps its type
        return type(elem)(*(default_collate(field) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise EngineError(
                f"default_collate: each element in list of batch should be of equal size, but "
                f"the samples have {sorted({len(s) for s in batch})} fields; return the same "
                "fields from every __getitem__"
            )
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(elem, tuple) else _same_sequence(elem, fields)
    raise TypeError(_collate_error(type(elem)))


def default_convert(sample):
    """What an unbatched sample becomes (PyTorch's default_convert): numpy arrays and
    scalars become tensors, dicts, lists and namedtuples are converted field by field, a
    tuple becomes a list (as in PyTorch), and everything else stays as it is."""
    if isinstance(sample, Tensor):
        return sample
    if isinstance(sample, (np.ndarray, np.bool_, np.number, np.object_)):
        is_text = isinstance(sample, np.ndarray) and _is_text_array(sample)
        return sample if is_text else tensor(np.asarray(sample))
    if isinstance(sample, Mapping):
        return _same_mapping(sample, {key: default_convert(sample[key]) for key in sample})
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(field) for field in sample))
    if isinstance(sample, tuple):
        return [default_convert(field) for field in sample]
    if isinstance(sample, Sequence) and not isinstance(sample, (str, bytes)):
        return _same_sequence(sample, [default_convert(field) for field in sample])
    return sample


def _same_mapping(elem: Mapping, values: dict):
    """values in elem's own mapping type where it can hold them (an OrderedDict stays one)."""
    try:
        if isinstance(elem, MutableMapping):
            clone = copy.copy(elem)  # may carry more than its items (a defaultdict's factory)
            clone.update(values)
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _same_sequence(elem: Sequence, values: list):
    """values in elem's own sequence type where it can hold them (a list stays a list)."""
    try:
        if isinstance(elem, MutableSequence):
            clone = copy.copy(elem)
            for i, value in enumerate(values):
                clone[i] = value
            return clone
        return type(elem)(values)
    except TypeError:
        return values


def _collate_error(found) -> str:
    return (
        "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        f"found {found}. Return those from the dataset's __getitem__, or pass collate_fn="
    )


def random_split(dataset: Dataset, lengths, generator=0):
    """Split into non-overlapping subsets of the given lengths, or of fractions that add up
    to 1 (rounded as PyTorch rounds: floor each, then hand out the rest one by one).
    ``generator``: a seed (0 by default, so a split repeats), an ne.Generator or a numpy one."""
    n = len(dataset)
    counts = _split_counts(n, list(lengths))
    if isinstance(generator, (int, np.integer)) or generator is None:
        rng = np.random.default_rng(generator)
    else:
        rng = stream("random_split", generator)
    order = rng.permutation(n)
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
