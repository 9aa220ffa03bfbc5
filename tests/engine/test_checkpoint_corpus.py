"""A corpus of corrupt and crafted checkpoint files: each raises CheckpointError or loads
exactly what was saved, fast, in bounded memory, and nothing in any of them executes."""

import io
import json
import os
import pickle
import struct
import tracemalloc
import warnings
import zipfile
import zlib

import numpy as np
import pytest

import nnbench.engine as ne
from nnbench.engine import nn
from tests.engine.test_checkpoint import assert_same


def _valid_objects():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    return {
        "model": model.state_dict(),
        "step": 3,
        "scalar": ne.tensor(1.5, requires_grad=True),
        "empty": ne.zeros(3, 0, 2),
        "meta": {1: "x", "lr": 0.1, "big": 2**70, "name": "héllo"},
        "codes": np.arange(5, dtype=np.int8),
        "flags": (True, None),
    }


# ---------------------------------------------------------------- crafting safetensors files
W = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
W_DATA = np.array([1.0, 2.0], np.float32).tobytes()
ROOT = {"dict": [[{"value": "w"}, {"tensor": "w"}]]}


def craft(table=None, root=ROOT, data=W_DATA, *, structure=None, metadata=None, checksum=None):
    """A .safetensors file as the format describes it, with a correct nnbench checksum:
    CRC-32 of the canonical JSON of the header (all but the checksum), then of the data."""
    table = {"w": W} if table is None else table
    if metadata is None:
        text = json.dumps({"root": root}) if structure is None else structure
        metadata = {"format": "nnbench.checkpoint", "version": "2", "structure": text}
    canonical = json.dumps(
        {"metadata": metadata, "tensors": table}, sort_keys=True, separators=(",", ":")
    )
    crc = f"{zlib.crc32(data, zlib.crc32(canonical.encode())):08x}"
    header = json.dumps({"__metadata__": {**metadata, "checksum": checksum or crc}, **table})
    return raw(header.encode(), data)


def craft_checksum() -> str:
    data = craft()
    header = data[8 : 8 + int.from_bytes(data[:8], "little")]
    return json.loads(header)["__metadata__"]["checksum"]


def raw(header: bytes, data: bytes = b"", length=None) -> bytes:
    return struct.pack("<Q", len(header) if length is None else length) + header + data


def npy(array=None, *, descr="<f8", shape=(1,), body=b"\0" * 8) -> bytes:
    """One .npy member: a real array, or a header that claims any dtype and shape."""
    out = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(out, array, allow_pickle=True)
    else:
        header = {"descr": descr, "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(out, header)
        out.write(body)
    return out.getvalue()


def npz(members: dict, compression=zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def structure_npy(root=ROOT, fmt=1) -> bytes:
    text = json.dumps({"format": fmt, "root": root}).encode()
    return npy(np.frombuffer(text, dtype=np.uint8))


class Marker:
    """Unpickling this creates a directory: the proof that a pickle was executed."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def deep(n: int) -> str:
    return "[" * n + "]" * n


def _crafted(marker):
    evil = pickle.dumps(Marker(marker), protocol=2)
    nested = {"list": []}
    for _ in range(150):
        nested = {"list": [nested]}
    two_tensors = {"a": dict(W), "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
    return {
        # the container
        "empty": (b"", "empty"),
        "five bytes": (b"\x10\0\0\0\0", "truncated"),
        "text file": (b"hello, this is not a checkpoint\n", "neither"),
        "10 GB header length": (raw(b"{}", length=10**10), "header claims 10000000000"),
        "header past the end": (raw(b'{"a": 1}', length=400), "truncated"),
        "bad JSON header": (raw(b'{"w": {"dtype": '), "not JSON"),
        "non-UTF-8 header": (raw(b'{"\xff\xfe": 1}'), "not UTF-8"),
        "header nested 100,000 deep": (raw(b'{"a": ' + deep(100_000).encode() + b"}"), "deeply"),
        "header is a list": (raw(b"[1, 2]"), "neither"),
        "no metadata": (raw(b"{}"), "not an nnbench checkpoint"),
        "foreign metadata": (craft(metadata={"format": "pt"}), "not an nnbench checkpoint"),
        "newer version": (craft(metadata={"format": "nnbench.checkpoint", "version": "3"}), "'3'"),
        "metadata not strings": (raw(b'{"__metadata__": [1]}'), "not an nnbench"),
        "missing structure": (
            craft(metadata={"format": "nnbench.checkpoint", "version": "2"}),
            "lacks a field",
        ),
        "wrong checksum": (craft(checksum="0badc0de"), "checksum"),
        "checksum in capitals": (craft(checksum=craft_checksum().upper()), "checksum"),
        "data changed after writing": (craft()[:-1] + b"\x01", "checksum"),
        # the tensor table
        "unsupported dtype": (craft({"w": {**W, "dtype": "BF16"}}), "dtype 'BF16'"),
        "dtype not a string": (craft({"w": {**W, "dtype": 7}}), "dtype 7"),
        "dtype object": (craft({"w": {**W, "dtype": "O"}}), "dtype 'O'"),
        "missing shape": (craft({"w": {"dtype": "F32", "data_offsets": [0, 8]}}), "described"),
        "entry is a list": (craft({"w": [1, 2]}), "described"),
        "negative shape": (craft({"w": {**W, "shape": [-2]}}), "malformed"),
        "bool shape": (craft({"w": {**W, "shape": [True, 2]}}), "malformed"),
        "float offsets": (craft({"w": {**W, "data_offsets": [0.0, 8]}}), "malformed"),
        "huge shape": (craft({"w": {**W, "shape": [10**6, 10**6]}}), "spans 8 bytes"),
        "huge shape and offsets": (
            craft({"w": {**W, "shape": [10**12], "data_offsets": [0, 4 * 10**12]}}),
            "file holds 8",
        ),
        "zero times huge": (
            craft({"w": {**W, "shape": [0, 2**70], "data_offsets": [0, 0]}}, data=b""),
            "dimension",
        ),
        "65 dimensions": (
            craft({"w": {**W, "shape": [1] * 65, "data_offsets": [0, 4]}}, data=W_DATA[:4]),
            "65 dimensions",
        ),
        "offsets out of range": (craft({"w": {**W, "data_offsets": [8, 16]}}), "starts at byte 8"),
        "overlapping offsets": (craft(two_tensors, data=W_DATA + W_DATA[:4]), "overlap"),
        "data longer than the tensors": (craft(data=W_DATA + b"\0" * 8), "file holds 16"),
        # the structure
        "structure not JSON": (craft(structure="{nope"), "structure is not JSON"),
        "structure nested 100,000 deep": (craft(structure=deep(100_000)), "nested too deeply"),
        "structure nested 150 deep": (craft(root=nested), "more than 100"),
        "structure without root": (craft(structure='{"rot": 1}'), "no root"),
        "root is a list": (craft(root=[]), "node of its structure is \\[\\]"),
        "node with two kinds": (craft(root={"list": [], "value": 1}), "node of its structure"),
        "dict body is a dict": (craft(root={"dict": {"a": 1}}), "a dict in its structure"),
        "dict entry of three": (craft(root={"dict": [[{"value": 1}] * 3]}), "dict entry"),
        "value is a list": (craft(root={"value": [1]}), "a value in its structure"),
        "missing tensor": (craft(root={"tensor": "nope"}), "tensor 'nope', which the file"),
        "tensor name not a string": (craft(root={"tensor": 0}), "tensor 0, which the file"),
        "unhashable key": (
            craft(root={"dict": [[{"list": []}, {"value": 1}]]}),
            "dict key is a list",
        ),
        "uint32 as a tensor": (craft({"w": {**W, "dtype": "U32"}}), "engine tensors do not hold"),
        "requires_grad on ints": (
            craft(
                {"w": {**W, "dtype": "I64", "shape": [1]}},
                root={"tensor": "w", "requires_grad": True},
            ),
            "requires_grad=True",
        ),
        "requires_grad not a bool": (
            craft(root={"tensor": "w", "requires_grad": "yes"}),
            "requires_grad='yes'",
        ),
        # pickles, in every container they could hide in
        "pickle": (evil, "pickle file"),
        "pickle protocol 0": (pickle.dumps(Marker(marker), protocol=0), "neither"),
        "pickle protocol 5": (pickle.dumps(Marker(marker), protocol=5), "pickle file"),
        "torch.save archive": (npz({"archive/data.pkl": evil}), "torch.save"),
        "npz with an object array": (
            npz(
                {
                    "t0.npy": npy(np.array([Marker(marker)], dtype=object)),
                    "__nnbench_structure__.npy": structure_npy({"ndarray": "t0"}),
                }
            ),
            "dtype object",
        ),
        ".npy of objects": (npy(np.array([Marker(marker)], dtype=object)), "single .npy"),
        # the older .npz layout
        "npz without structure": (npz({"t0.npy": npy(np.ones(2))}), "not an nnbench"),
        "npz of another format": (
            npz({"__nnbench_structure__.npy": structure_npy(fmt=2)}),
            "not nnbench's format 1",
        ),
        "npz claiming a huge array": (
            npz({"w.npy": npy(shape=(10**12,)), "__nnbench_structure__.npy": structure_npy()}),
            "claims shape",
        ),
        "npz member not .npy": (
            npz({"w.txt": b"hi", "__nnbench_structure__.npy": structure_npy()}),
            "not an uncompressed .npy",
        ),
        "npz structure nested 100,000 deep": (
            npz(
                {"__nnbench_structure__.npy": npy(np.frombuffer(deep(100_000).encode(), np.uint8))}
            ),
            "nested too deeply",
        ),
        "npz structure not UTF-8": (
            npz({"__nnbench_structure__.npy": npy(np.frombuffer(b"\xff\xfe", np.uint8))}),
            "not UTF-8",
        ),
    }


def _npz_claiming_4_gb() -> bytes:
    """A member whose .npy header and zip directory both claim 4 GB; the file has 300 bytes."""
    claimed = 0xFFFFFF00
    member = npy(descr="|u1", shape=(claimed - 128,), body=b"\0" * 8)
    assert member.index(b"\0" * 8) == 128  # the .npy header takes 128 bytes
    data = bytearray(npz({"w.npy": member, "__nnbench_structure__.npy": structure_npy()}))
    entry = data.index(b"PK\x01\x02")  # w.npy's central directory entry
    data[entry + 20 : entry + 28] = struct.pack("<II", claimed, claimed)
    return bytes(data)


def _zip_bomb() -> bytes:
    """20 MB of zeros in a ~20 kB deflated .npz that looks like a checkpoint."""
    out = io.BytesIO()
    structure = np.frombuffer(json.dumps({"format": 1, "root": {"ndarray": "w"}}).encode(), "u1")
    np.savez_compressed(out, w=np.zeros(20_000_000, np.uint8), __nnbench_structure__=structure)
    return out.getvalue()


def test_crafted_files_raise_checkpoint_errors_that_say_what_is_wrong(tmp_path):
    marker = tmp_path / "executed"
    cases = _crafted(marker)
    cases["zip bomb"] = (_zip_bomb(), "not an uncompressed .npy")
    cases["npz directory claiming 4 GB"] = (_npz_claiming_4_gb(), "claims 4294967040 bytes")
    assert len(cases) >= 60
    for number, (name, (data, message)) in enumerate(cases.items()):
        path = tmp_path / f"case{number}.safetensors"
        path.write_bytes(data)
        tracemalloc.start()  # numpy reports its allocations to tracemalloc
        try:
            with pytest.raises(ne.CheckpointError, match=message) as caught:
                ne.load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 2 * len(data) + 10_000_000, name  # nothing the file merely claims
        assert path.name in str(caught.value), name
        assert "allow_pickle" not in str(caught.value), name
    assert not marker.exists()  # nothing was unpickled


def test_the_marker_pickle_really_would_execute(tmp_path):
    """The check above can fail: unpickling the payload does create the marker."""
    marker = tmp_path / "proof"
    pickle.loads(pickle.dumps(Marker(marker), protocol=2))
    assert marker.exists()


def test_a_real_torch_save_file_is_refused_without_unpickling(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ne.CheckpointError, match="torch.save.*never unpickles"):
        ne.load(path)


# ---------------------------------------------------------------- truncations and bit flips
def _mutations(data: bytes, rng, flips: int):
    """Truncations at ~40 offsets (the first 16 bytes each) and `flips` single-bit flips,
    a third of them in the header."""
    cuts = sorted({*range(17), *np.linspace(0, len(data) - 1, 24).astype(int).tolist()})
    for cut in cuts:
        yield f"cut {cut}", data[:cut]
    header_end = min(len(data), 8 + int.from_bytes(data[:8], "little"))
    positions = [*rng.integers(0, header_end, flips // 3), *rng.integers(0, len(data), flips)]
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 1 << int(rng.integers(8))
        yield f"flip at {position}", bytes(flipped)


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_truncated_and_bit_flipped_files_never_load_wrong_data(tmp_path, suffix):
    saved = _valid_objects()
    valid = ne.save(saved, tmp_path / f"valid{suffix}").read_bytes()
    rng = np.random.default_rng(9)
    loaded_intact, refused = 0, 0
    path = tmp_path / f"mutated{suffix}"
    for name, data in _mutations(valid, rng, flips=120):
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ne.CheckpointWarning)
                loaded = ne.load(path)
        except ne.CheckpointError as error:
            assert path.name in str(error), name
            refused += 1
            continue
        assert_same(saved, loaded)  # a flip that changes nothing the file means (zip dates)
        loaded_intact += 1
    assert refused >= 150  # the corpus is mostly real damage
    if suffix == ".safetensors":
        assert loaded_intact == 0  # the checksum covers every byte that means something
