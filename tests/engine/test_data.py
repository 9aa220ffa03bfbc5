"""Datasets, the DataLoader, and reading MNIST's IDX files."""

import collections
import gzip
import struct

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import datasets
from nnbench.engine.data import DataLoader, TensorDataset, random_split

from .against_torch import check_case, torch


def test_dataloader_batches_keep_the_last_partial_batch_by_default():
    x, y = ne.arange(10).float().reshape(10, 1), ne.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    sizes = [len(batch_y) for _, batch_y in loader]
    assert sizes == [4, 4, 2] and len(loader) == 3
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert [len(b[1]) for b in dropped] == [4, 4] and len(dropped) == 2


def test_shuffle_is_seedable_and_covers_every_sample_once():
    y = ne.arange(10)
    first = [b[0].tolist() for b in DataLoader(TensorDataset(y), 3, shuffle=True, generator=7)]
    again = [b[0].tolist() for b in DataLoader(TensorDataset(y), 3, shuffle=True, generator=7)]
    assert first == again
    assert sorted(sum(first, [])) == list(range(10)) and sum(first, []) != list(range(10))


def test_generic_datasets_are_stacked():
    class Squares(ne.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return ne.tensor([float(i)]), ne.tensor(i * i)

    x, y = next(iter(DataLoader(Squares(), batch_size=5)))
    assert x.shape == (5, 1) and y.tolist() == [0, 1, 4, 9, 16]


def test_tensor_dataset_checks_the_first_dimension():
    with pytest.raises(ne.ShapeError, match=r"same first dimension.*\(3, 2\), \(4,\)"):
        TensorDataset(ne.zeros(3, 2), ne.zeros(4))


def test_random_split():
    train, val = random_split(TensorDataset(ne.arange(10)), [0.8, 0.2])
    assert len(train) == 8 and len(val) == 2
    assert next(iter(DataLoader(val, batch_size=2)))[0].shape == (2,)


def test_digits_ship_with_the_package():
    x, y = datasets.digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min().item() >= 0.0 and x.max().item() == 1.0
    assert sorted(set(y.tolist())) == list(range(10))


@pytest.mark.parametrize("name", ["spirals", "circles", "xor", "blobs", "moons"])
def test_2d_generators_give_labelled_points(name):
    x, y = getattr(datasets, name)(n=120, seed=3)
    assert x.shape == (120, 2) and x.dtype is ne.float32 and y.dtype is ne.int64
    again, _ = getattr(datasets, name)(n=120, seed=3)
    assert x.tolist() == again.tolist()
    assert len(set(y.tolist())) >= 2


def test_linear_data_is_two_x_plus_one():
    x, y = datasets.linear(n=1000, noise=0.01)
    slope, intercept = np.polyfit(x.numpy()[:, 0], y.numpy()[:, 0], 1)
    assert abs(slope - 2) < 0.01 and abs(intercept - 1) < 0.01


def _write_idx(path, array, gz=False):
    codes = {np.uint8: 0x08, np.int32: 0x0C}
    header = bytes([0, 0, codes[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    (gzip.open if gz else open)(path, "wb").write(payload)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_raw_and_gzipped(tmp_path, gz):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7], dtype=np.uint8)
    suffix = ".gz" if gz else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, gz)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, gz)
    assert (datasets.read_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}") == labels).all()
    x, y = datasets.mnist(tmp_path)
    assert x.shape == (2, 784) and y.tolist() == [3, 7]
    np.testing.assert_allclose(x.numpy()[0, :3], np.arange(3) / 255.0, rtol=1e-6)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    _write_idx(tmp_path / "a", np.arange(10, dtype=np.int32))
    data = (tmp_path / "a").read_bytes()
    (tmp_path / "short").write_bytes(data[:-3])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        datasets.read_idx(tmp_path / "short")
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "text")


def test_missing_mnist_says_where_to_put_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.*NNBENCH_MNIST"):
        datasets.mnist(tmp_path)


def test_batch_size_none_shuffles_single_samples_and_collate_fn_is_used():
    x = ne.arange(6)
    samples = [s[0].item() for s in DataLoader(TensorDataset(x), None, shuffle=True, generator=1)]
    assert sorted(samples) == list(range(6)) and samples != list(range(6))
    loader = DataLoader([1, 2, 3], batch_size=2, collate_fn=lambda batch: sum(batch))
    assert list(loader) == [3, 3]


def test_subset_of_a_plain_dataset_is_collated_not_gathered():
    parts = random_split([(np.float32([i]), i) for i in range(10)], [0.5, 0.5])
    x, y = next(iter(DataLoader(parts[0], batch_size=5)))
    assert x.shape == (5, 1) and y.dtype is ne.int64  # it used to call .rows on a list


def test_random_split_refuses_negative_counts_that_torch_accepts():
    with pytest.raises(ValueError, match=r"holds -1"):
        random_split(list(range(10)), [-1, 11])


# ---------------------------------------------------------------- as torch.utils.data collates
Point = collections.namedtuple("Point", ["x", "y"])


def _samples(m):
    """Sample kinds a dataset's __getitem__ returns, each as a batch of two samples."""
    t = m.tensor
    return {
        "tensors": [t([1.0, 2.0]), t([3.0, 4.0])],
        "0d_tensors": [t(1), t(2)],
        "int_tensors": [t([1, 2], dtype=m.int32), t([3, 4], dtype=m.int32)],
        "arrays": [np.float32([1, 2]), np.float32([3, 4])],
        "0d_arrays": [np.array(1.5), np.array(2.5)],
        "int_arrays": [np.array([1, 2]), np.array([3, 4])],
        "uint8_arrays": [np.uint8([1, 2]), np.uint8([3, 4])],
        "bool_arrays": [np.array([True]), np.array([False])],
        "ints": [1, 2],
        "floats": [1.5, 2.5],
        "bools": [True, False],
        "numpy_float32s": [np.float32(1.5), np.float32(2.5)],
        "numpy_float64s": [np.float64(1.5), np.float64(2.5)],
        "numpy_int32s": [np.int32(1), np.int32(2)],
        "numpy_bools": [np.bool_(True), np.bool_(False)],
        "strings": ["a", "b"],
        "numpy_strings": [np.str_("a"), np.str_("b")],
        "bytes": [b"a", b"b"],
        "tuples": [(t([1.0]), 0), (t([2.0]), 1)],
        "array_and_label": [(np.float32([1, 2]), 3), (np.float32([3, 4]), 4)],
        "lists": [[1, 2.5], [3, 4.5]],
        "dicts": [{"x": t([1.0]), "y": 0}, {"x": t([2.0]), "y": 1}],
        "ordered_dicts": [
            collections.OrderedDict(x=np.float32([1]), y="a"),
            collections.OrderedDict(x=np.float32([2]), y="b"),
        ],
        "namedtuples": [Point(t([1.0]), 1.0), Point(t([2.0]), 2.0)],
        "nested": [
            ({"image": np.zeros((2, 2)), "id": 7}, [t([1]), "x"]),
            ({"image": np.ones((2, 2)), "id": 8}, [t([2]), "y"]),
        ],
        "ranges": [range(2), range(2)],
        "one_sample": [(t([1.0, 2.0]), 5)],
    }


BAD_SAMPLES = {
    "objects": (lambda m: [object(), object()], r"default_collate: batch must contain tensors"),
    "text_arrays": (
        lambda m: [np.array(["a"]), np.array(["b"])],
        r"default_collate: batch must contain .*found <U1\. Return those",
    ),
    "ragged_fields": (
        lambda m: [(1, 2), (3,)],
        r"default_collate: each element in list of batch should be of equal size.*\[1, 2\] fields",
    ),
    "shapes_differ": (
        lambda m: [m.ones(2), m.ones(3)],
        r"default_collate: the samples' tensors differ in shape.*collate_fn=",
    ),
    "array_shapes_differ": (
        lambda m: [np.ones(2), np.ones(3)],
        r"default_collate: the samples' numpy arrays differ in shape",
    ),
}


def _collate(m):
    if m is torch:
        return torch.utils.data.default_collate
    return ne.utils.data.default_collate


@pytest.mark.parametrize("kind", sorted(_samples(ne)))
def test_default_collate_matches_pytorch(kind):
    check_case(lambda m, d: _collate(m)(_samples(m)[kind]), None)


@pytest.mark.parametrize("kind", sorted(BAD_SAMPLES))
def test_default_collate_refuses_what_pytorch_refuses(kind):
    make, pattern = BAD_SAMPLES[kind]
    check_case(lambda m, d: _collate(m)(make(m)), pattern)


@pytest.mark.parametrize("kind", sorted(_samples(ne)))
def test_default_convert_matches_pytorch(kind):
    def convert(m, d):
        fn = torch.utils.data.default_convert if m is torch else ne.utils.data.default_convert
        return [fn(sample) for sample in _samples(m)[kind]]

    check_case(convert, None)


class _Pairs:
    """A map-style dataset as tutorials write one: numpy features and a Python label."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float32), i % 2


def _loader_batches(m, dataset, **options):
    loader_class = torch.utils.data.DataLoader if m is torch else ne.utils.data.DataLoader
    return list(loader_class(dataset(m), **options))


def _tensor_dataset(m):
    dataset = torch.utils.data.TensorDataset if m is torch else ne.utils.data.TensorDataset
    return dataset(m.arange(10.0).reshape(5, 2), m.arange(5))


LOADER_CASES = [
    ("tensor_dataset", _tensor_dataset, {"batch_size": 2}),
    ("tensor_dataset_drop_last", _tensor_dataset, {"batch_size": 2, "drop_last": True}),
    ("tensor_dataset_unbatched", _tensor_dataset, {"batch_size": None}),
    ("tensor_dataset_workers", _tensor_dataset, {"batch_size": 3, "num_workers": 0}),
    ("pairs", lambda m: _Pairs(), {"batch_size": 2}),
    ("pairs_unbatched", lambda m: _Pairs(), {"batch_size": None}),
    ("pairs_pinned", lambda m: _Pairs(), {"batch_size": 4, "pin_memory": False}),
    ("list_of_dicts", lambda m: [{"a": i, "b": [i, float(i)]} for i in range(3)], {}),
]


@pytest.mark.parametrize(
    ("name", "dataset", "options"), LOADER_CASES, ids=[c[0] for c in LOADER_CASES]
)
def test_dataloader_batches_match_pytorch(name, dataset, options):
    check_case(lambda m, d: _loader_batches(m, dataset, **options), None)


def test_dataloader_takes_the_worker_settings_tutorials_pass():
    """num_workers=2 and pin_memory=True run unchanged; every batch loads in this process."""
    loader = DataLoader(_Pairs(), batch_size=2, num_workers=2, pin_memory=True, timeout=5)
    loader = DataLoader(_Pairs(), batch_size=2, num_workers=2, persistent_workers=True)
    x, y = next(iter(loader))
    assert x.shape == (2, 3) and y.tolist() == [0, 1]
    assert ne.utils.data.get_worker_info() is None is torch.utils.data.get_worker_info()


WORKER_MISUSE = [
    (
        "negative_workers",
        {"num_workers": -1},
        r"DataLoader: num_workers option should be non-negative, but got num_workers=-1",
    ),
    ("float_workers", {"num_workers": 1.5}, r"DataLoader: num_workers must be an int, .*1.5"),
    ("negative_timeout", {"timeout": -1}, r"DataLoader: timeout option should be non-negative"),
    ("persistent_alone", {"persistent_workers": True}, r"persistent_workers option needs num"),
    ("prefetch_alone", {"prefetch_factor": 2}, r"prefetch_factor option could only be specified"),
]


@pytest.mark.parametrize(
    ("name", "options", "pattern"), WORKER_MISUSE, ids=[c[0] for c in WORKER_MISUSE]
)
def test_dataloader_worker_misuse_matches_pytorch(name, options, pattern):
    check_case(lambda m, d: _loader_batches(m, lambda m: _Pairs(), **options), pattern)


TORCH_NAMES = [
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]


def test_utils_data_is_the_home_and_data_its_older_name():
    from nnbench.engine import data as old
    from nnbench.engine.utils import data as home
    from nnbench.engine.utils.data import DataLoader as from_home

    assert ne.utils.data is home and from_home is DataLoader is old.DataLoader
    for name in TORCH_NAMES:
        assert hasattr(torch.utils.data, name), name  # a name torch has
        assert getattr(old, name) is getattr(home, name), name
    assert sorted(old.__all__) == TORCH_NAMES


def test_a_batch_of_tuples_is_a_list_as_in_pytorch_on_the_fast_path_too():
    x, y = ne.arange(6.0).reshape(3, 2), ne.arange(3)
    batch = next(iter(DataLoader(TensorDataset(x, y), batch_size=2)))
    subset = random_split(TensorDataset(x, y), [2, 1])[0]
    assert type(batch) is list and type(next(iter(DataLoader(subset, batch_size=2)))) is list
    assert type(next(iter(DataLoader([(1, 2)], batch_size=1)))) is list


def test_a_generator_of_ones_own_makes_shuffles_and_draws_repeat():
    """torch.Generator().manual_seed(0) as tutorials pass it to DataLoader and friends."""
    from nnbench.engine.utils.data import DataLoader, TensorDataset, random_split

    def order(seed):
        loader = DataLoader(
            TensorDataset(ne.arange(8)), batch_size=4, shuffle=True,
            generator=ne.Generator().manual_seed(seed),
        )  # fmt: skip
        return [batch[0].tolist() for batch in loader]

    assert order(0) == order(0) != order(1)
    g = ne.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    first = ne.randn(3, generator=g).tolist()
    assert ne.randn(3, generator=g.manual_seed(5)).tolist() == first
    assert isinstance(ne.manual_seed(0), ne.Generator)  # as torch.manual_seed returns one
    split = random_split(range(10), [6, 4], generator=ne.Generator().manual_seed(2))
    again = random_split(range(10), [6, 4], generator=ne.Generator().manual_seed(2))
    assert list(split[0].indices) == list(again[0].indices)
