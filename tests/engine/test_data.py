"""Datasets, the DataLoader, and reading MNIST's IDX files."""

import gzip
import struct

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import datasets
from nnbench.engine.data import DataLoader, TensorDataset, random_split


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
