"""Checkpoints: atomic, no code on load, clear errors, never half-loaded."""

import math
import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbench.engine as ne
from nnbench.engine import dtypes, nn, optim
from nnbench.engine.checkpoint import CheckpointNotFoundError

SUFFIXES = [".safetensors", ".npz"]  # the format ne.save writes, and the older one
ENGINE_DTYPES = [d.numpy for d in dtypes.ALL]  # every dtype a tensor can have
NUMPY_DTYPES = [
    np.dtype(name)
    for name in (
        "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
        "float16", "float32", "float64",
    )
]  # fmt: skip
SHAPES = [(), (0,), (1,), (3,), (3, 0, 2), (2, 3), (1, 1, 1, 1), (2, 1, 3, 1, 2)]


def assert_same(saved, loaded):
    """Same types all the way down (int keys stay ints), same shapes, dtypes and bytes."""
    assert type(loaded) is type(saved), (saved, loaded)
    if isinstance(saved, ne.Tensor):
        assert loaded.shape == saved.shape and loaded.dtype == saved.dtype
        assert loaded.requires_grad == saved.requires_grad
        assert loaded.detach().numpy().tobytes() == saved.detach().numpy().tobytes()
    elif isinstance(saved, np.ndarray):
        assert loaded.shape == saved.shape and loaded.dtype == saved.dtype
        assert loaded.tobytes() == saved.tobytes()
    elif isinstance(saved, dict):
        assert [(type(k), k) for k in loaded] == [(type(k), k) for k in saved]
        for key in saved:
            assert_same(saved[key], loaded[key])
    elif isinstance(saved, (list, tuple)):
        assert len(loaded) == len(saved)
        for a, b in zip(saved, loaded):
            assert_same(a, b)
    elif isinstance(saved, float) and math.isnan(saved):
        assert math.isnan(loaded)
    else:
        assert loaded == saved and repr(loaded) == repr(saved)  # repr tells -0.0 from 0.0


def round_trip(obj, path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ne.CheckpointWarning)  # NaN data is data here
        return ne.load(ne.save(obj, path), **kwargs)


def _trained():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    nn.functional.cross_entropy(model(ne.randn(5, 4)), ne.tensor([0, 1, 1, 0, 1])).backward()
    opt.step()
    return model, opt


def test_model_and_optimizer_round_trip(tmp_path):
    model, opt = _trained()
    path = ne.save(
        {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": 1},
        tmp_path / "run" / "ckpt.npz",
    )
    loaded = ne.load(path)
    assert loaded["step"] == 1
    fresh = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    fresh.load_state_dict(loaded["model"])
    assert fresh[0].weight.tolist() == model[0].weight.tolist()
    fresh_opt = optim.Adam(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(loaded["optimizer"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01
    assert (
        fresh_opt.state[fresh[0].weight]["exp_avg"].tolist()
        == opt.state[model[0].weight]["exp_avg"].tolist()
    )


def test_file_has_normal_permissions_and_no_temporary_is_left(tmp_path):
    path = ne.save({"w": ne.ones(3)}, tmp_path / "c.npz")
    mode = stat.S_IMODE(os.stat(path).st_mode)
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_loading_never_unpickles(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, payload=np.array([object()], dtype=object))
    with pytest.raises(ne.CheckpointError, match="truncated or corrupt|not an nnbench"):
        ne.load(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("cut", [10, 200, -40])
def test_truncated_file_gives_a_clear_error(tmp_path, cut, suffix):
    path = ne.save({"w": ne.randn(100, 10)}, tmp_path / f"c{suffix}")
    data = path.read_bytes()
    path.write_bytes(data[:cut])
    with pytest.raises(ne.CheckpointError, match=r"truncated or corrupt.*nothing was loaded"):
        ne.load(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_corrupt_bytes_are_caught(tmp_path, suffix):
    path = ne.save({"w": ne.randn(1000)}, tmp_path / f"c{suffix}")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ne.CheckpointError):
        ne.load(path)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_nan_weights_warn(tmp_path, suffix):
    path = ne.save({"w": ne.tensor([1.0, float("nan")])}, tmp_path / f"c{suffix}")
    with pytest.warns(ne.CheckpointWarning, match="NaN or Inf"):
        ne.load(path)


def test_unknown_objects_are_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match="cannot store a function"):
        ne.save({"f": lambda: 1}, tmp_path / "c.npz")
    assert not any(tmp_path.iterdir())


WRITER = textwrap.dedent(
    """
    import sys
    import nnbench.engine as ne
    path = sys.argv[1]
    step = 0
    print("ready", flush=True)
    while True:
        step += 1
        ne.save({"step": step, "a": ne.full((300, 1000), float(step)),
                 "b": ne.full((1000,), float(step))}, path)
    """
)


def test_killing_the_writer_mid_save_never_breaks_the_checkpoint(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    ne.save({"step": 0, "a": ne.zeros(300, 1000), "b": ne.zeros(1000)}, path)
    rng = np.random.default_rng(0)
    steps = set()
    for _ in range(25):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        writer.stdout.readline()
        time.sleep(rng.uniform(0.0, 0.15))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        loaded = ne.load(path)
        step = loaded["step"]
        assert loaded["a"].min().item() == loaded["a"].max().item() == step
        assert loaded["b"][0].item() == step
        steps.add(step)
    assert len(steps) > 2  # the writer really was interrupted at different points
    ne.save(loaded, path)
    assert [p.name for p in tmp_path.iterdir()] == [
        "ckpt.safetensors"
    ]  # killed writers' leftovers go


# ---------------------------------------------------------------- every shape, dtype, value
@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_shape_round_trips_as_a_tensor_and_an_array(tmp_path, suffix, shape):
    rng = np.random.default_rng(0)
    saved = {
        "tensor": ne.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True),
        "array": rng.standard_normal(shape),
    }
    loaded = round_trip(saved, tmp_path / f"c{suffix}")
    assert loaded["tensor"].shape == shape and loaded["array"].shape == shape
    assert_same(saved, loaded)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_every_dtype_round_trips(tmp_path, suffix):
    rng = np.random.default_rng(0)
    arrays = [(rng.standard_normal((2, 3)) * 50).astype(dtype) for dtype in NUMPY_DTYPES]
    tensors = [ne.tensor(np.array([[1, 0, 3]]).astype(dtype)) for dtype in ENGINE_DTYPES]
    saved = {"arrays": arrays, "tensors": tensors, "big": np.arange(300_000, dtype=np.int64)}
    assert_same(saved, round_trip(saved, tmp_path / f"c{suffix}"))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_model_with_a_scalar_parameter_reloads_its_own_checkpoint(tmp_path, suffix):
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = nn.Parameter(ne.tensor(2.5))
            self.linear = nn.Linear(3, 1)

    model = Scaled()
    loaded = round_trip(model.state_dict(), tmp_path / f"c{suffix}")
    assert loaded["scale"].shape == ()
    fresh = Scaled()
    fresh.load_state_dict(loaded)
    assert fresh.scale.item() == 2.5


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_plain_values_and_key_types_round_trip(tmp_path, suffix):
    saved = {
        1: "one",
        "1": "string one",
        -7: None,
        "flags": [True, False],
        "ints": [0, -1, 2**63, -(2**200), 10**300],
        "floats": [0.1, -0.0, float("inf"), -float("inf"), float("nan"), 1e308, 5e-324],
        "text": ["", "héllo wörld ✓ 🚀", "\x00\n\"'\\", "\ud800"],
        "nested": {"a": [({"b": ()},)], 2: {3: [[], {}]}},
        "tuple": (1, (2, (3,))),
        "ordered": OrderedDict([("b", 1), ("a", 2)]),
        "numpy scalars": [np.float32(1.5), np.int8(-3), np.bool_(True)],
    }
    loaded = round_trip(saved, tmp_path / f"c{suffix}")
    saved["numpy scalars"] = [1.5, -3, True]  # numpy scalars come back as Python numbers
    assert_same(saved, loaded)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_parameters_and_shared_tensors_come_back_as_they_were(tmp_path, suffix):
    weight = nn.Parameter(ne.randn(3, 2))
    frozen = nn.Parameter(ne.randn(2), requires_grad=False)
    loaded = round_trip({"a": weight, "tied": [weight], "frozen": frozen}, tmp_path / f"c{suffix}")
    assert type(loaded["a"]) is nn.Parameter and loaded["a"].requires_grad
    assert type(loaded["frozen"]) is nn.Parameter and not loaded["frozen"].requires_grad
    assert loaded["tied"][0] is loaded["a"]  # one tensor saved twice loads as one tensor
    assert loaded["a"].tolist() == weight.tolist()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_tensors_load_onto_the_requested_device(tmp_path, suffix, device):
    saved = {"w": ne.randn(2, 3, device=device), "s": ne.tensor(1.0, device=device)}
    loaded = round_trip(saved, tmp_path / f"c{suffix}", device=device)
    assert str(loaded["w"].device) == str(saved["w"].device)
    assert loaded["s"].shape == () and loaded["w"].tolist() == saved["w"].tolist()


def _values(dtype):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3))


@st.composite
def _tensors(draw):
    array = draw(st.sampled_from(ENGINE_DTYPES).flatmap(_values))
    grad = array.dtype.kind == "f" and draw(st.booleans())
    return ne.tensor(array, requires_grad=grad)


_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**64, max_value=2**300)
    | st.floats()
    | st.text(max_size=8)
    | _tensors()
    | st.sampled_from(NUMPY_DTYPES).flatmap(_values)
)
_keys = st.integers() | st.text(max_size=4) | st.booleans() | st.none()
_objects = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(_keys, inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(obj=_objects, suffix=st.sampled_from(SUFFIXES))
def test_anything_savable_round_trips_exactly(obj, suffix):
    with tempfile.TemporaryDirectory() as folder:
        assert_same(obj, round_trip(obj, Path(folder) / f"c{suffix}"))


def test_what_cannot_be_stored_is_refused_before_writing(tmp_path):
    cyclic = []
    cyclic.append(cyclic)
    cases = [
        ({"z": np.zeros(2, dtype=complex)}, TypeError, "dtype complex128"),
        ({"o": np.array([None], dtype=object)}, TypeError, "dtype object"),
        ({"b": b"bytes"}, TypeError, "cannot store a bytes"),
        ({"c": cyclic}, ValueError, "nested more than"),
        ({"i": 10**5000}, ValueError, "too large"),
    ]
    for obj, error, message in cases:
        with pytest.raises(error, match=message):
            ne.save(obj, tmp_path / "c.safetensors")
    assert not any(tmp_path.iterdir())


# ---------------------------------------------------------------- the format
def test_the_default_format_is_safetensors_named_by_place(tmp_path):
    model, opt = _trained()
    path = ne.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, tmp_path / "c")
    assert path.read_bytes()[8:9] == b"{"
    length = int.from_bytes(path.read_bytes()[:8], "little")
    assert length % 8 == 0  # tensor data starts 8-byte aligned, as safetensors writes it
    header = __import__("json").loads(path.read_bytes()[8 : 8 + length])
    assert header["model.0.weight"]["dtype"] == "F32"
    assert header["model.0.weight"]["shape"] == [8, 4]
    assert "optimizer.state.0.exp_avg" in header


def test_pytorch_reads_the_weights_with_safetensors(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    torch = pytest.importorskip("torch")
    model, _ = _trained()
    path = ne.save({"model": model.state_dict(), "scalar": ne.tensor(3.0)}, tmp_path / "c")
    weights = safetensors_torch.load_file(str(path))
    assert weights["scalar"].shape == ()
    twin = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    twin.load_state_dict({k.removeprefix("model."): v for k, v in weights.items() if "." in k})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    assert twin[0].weight.detach().numpy().tobytes() == model[0].weight.detach().numpy().tobytes()
    expected = model(ne.tensor(x)).detach().numpy()
    got = twin(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=1e-3)  # engine/testing.py's


def test_the_safetensors_library_validates_every_dtype_and_shape(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    saved = {f"{d}{shape}": np.ones(shape, d) for d in NUMPY_DTYPES for shape in SHAPES}
    path = ne.save(saved, tmp_path / "c.safetensors")
    for key, array in safetensors_numpy.load_file(str(path)).items():
        assert array.dtype == saved[key].dtype and array.shape == saved[key].shape


def test_a_plain_safetensors_file_is_refused_with_a_hint(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    path = tmp_path / "plain.safetensors"
    safetensors_numpy.save_file({"w": np.ones(3, np.float32)}, str(path))
    with pytest.raises(ne.CheckpointError, match="not an nnbench checkpoint.*load_file"):
        ne.load(path)


def test_checkpoints_from_older_nnbench_still_load(tmp_path):
    """The .npz layout that nnbench wrote before, byte for byte as its save() did."""
    path = tmp_path / "old.npz"
    structure = {
        "format": 1,
        "root": {
            "dict": [
                [{"value": "w"}, {"tensor": "t0", "requires_grad": True}],
                [{"value": "step"}, {"value": 7}],
                [{"value": 3}, {"ndarray": "t1"}],
            ]
        },
    }
    payload = np.frombuffer(__import__("json").dumps(structure).encode(), dtype=np.uint8)
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.savez(path, t0=w, t1=np.arange(3), __nnbench_structure__=payload)
    loaded = ne.load(path)
    assert loaded["step"] == 7 and loaded["w"].requires_grad and loaded[3].tolist() == [0, 1, 2]
    assert loaded["w"].tolist() == w.tolist()


def test_load_reads_the_format_from_the_bytes_not_the_name(tmp_path):
    for suffix in SUFFIXES:
        path = ne.save({"w": ne.ones(2)}, tmp_path / f"c{suffix}")
        renamed = path.rename(tmp_path / "weights.bin")
        assert ne.load(renamed)["w"].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- files that are not checkpoints
def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*nope"):
        ne.load(tmp_path / "nope.safetensors")
    with pytest.raises(ne.CheckpointError):
        ne.load(tmp_path / "nope.safetensors")
    assert issubclass(CheckpointNotFoundError, ne.CheckpointError)


def test_a_directory_or_a_pipe_is_refused_at_once(tmp_path):
    with pytest.raises(ne.CheckpointError, match="is a directory"):
        ne.load(tmp_path)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opening it to read would block forever
    with pytest.raises(ne.CheckpointError, match="not a regular file"):
        ne.load(fifo)


def test_an_unreadable_file_says_so(tmp_path):
    path = ne.save({"w": ne.ones(2)}, tmp_path / "c.safetensors")
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user that reads any file (root)")
        with pytest.raises(ne.CheckpointError, match="cannot be read"):
            ne.load(path)
    finally:
        path.chmod(0o644)


# ---------------------------------------------------------------------- saving that fails
def test_a_save_that_cannot_write_names_save_the_path_and_a_fix(tmp_path):
    state = {"w": ne.ones(2)}
    with pytest.raises(FileNotFoundError) as caught:  # the class of the OSError is kept
        ne.save(state, "/proc/nope/x.safetensors")
    text = str(caught.value)
    assert "save: could not write /proc/nope/x.safetensors" in text and "check the path" in text
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match=r"save: could not write .*a part of the path is a file"):
        ne.save(state, blocker / "x.safetensors")


def test_saving_under_a_torch_name_warns_that_torch_load_cannot_read_it(tmp_path):
    with pytest.warns(UserWarning, match=r"torch.load cannot read; name it m.safetensors"):
        ne.save({"w": ne.ones(2)}, tmp_path / "m.pt")
    assert ne.load(tmp_path / "m.pt")["w"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_keys_a_zip_name_cannot_hold_still_round_trip(tmp_path, suffix):
    """Found by hypothesis: a NUL in a key cut the .npz member's name, and load refused."""
    obj = {"\x00": np.array(False), "a\nb": np.ones(2)}
    ne.save(obj, tmp_path / f"c{suffix}")
    back = ne.load(tmp_path / f"c{suffix}")
    assert list(back) == ["\x00", "a\nb"] and back["a\nb"].tolist() == [1.0, 1.0]
