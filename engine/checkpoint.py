"""Checkpoints that are never half-written, never run code when loaded, and read in PyTorch.

``save(obj, path)`` writes a state dict (nested dicts, lists and tuples of tensors, numpy
arrays, numbers, strings and None) to a temporary file beside ``path``, fsyncs it, and
renames it over ``path`` with ``os.replace``: a reader sees the old file or the new one,
never a mix.

The file is a ``.safetensors`` file (the format PyTorch users read with
``safetensors.torch.load_file``): an 8-byte little-endian header length, a JSON header
naming each tensor's dtype, shape and byte range, then the raw little-endian bytes. Each
tensor is named by its place in ``obj`` (``model.0.weight``), and the header's
``__metadata__`` holds the nested structure as JSON plus a CRC-32 of the header and of
every byte of data, so a damaged file is refused instead of loading wrong weights. A path
ending in ``.npz`` is written in the older numpy format instead, and ``load`` reads both
(it tells them apart by their first bytes, not by the name).

``load`` checks every length, offset and shape against the file's size before it allocates
anything, never unpickles, and turns every way a file can be wrong into a
``CheckpointError`` that names the file and the problem.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import struct
import uuid
import warnings
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import numpy as np

from . import dtypes
from .creation import tensor
from .errors import EngineError
from .nn.module import Parameter
from .tensor import Tensor

FORMAT = "nnbench.checkpoint"
FORMAT_VERSION = 2  # the .safetensors layout; the .npz layout is version 1
STRUCTURE_KEY = "__nnbench_structure__"  # the .npz member that holds the structure
MAX_HEADER_BYTES = 100_000_000  # the limit the safetensors library itself applies
MAX_DEPTH = 100  # containers inside containers; deeper is refused on save and on load
MAX_INT_BITS = 13_000  # Python refuses to print ints of more than 4300 digits as JSON
# numpy dtype (kind + item size) <-> safetensors dtype name; all little-endian
_TO_SAFETENSORS = {
    "b1": "BOOL",
    "i1": "I8",
    "i2": "I16",
    "i4": "I32",
    "i8": "I64",
    "u1": "U8",
    "u2": "U16",
    "u4": "U32",
    "u8": "U64",
    "f2": "F16",
    "f4": "F32",
    "f8": "F64",
}
_FROM_SAFETENSORS = {
    name: np.dtype(code).newbyteorder("<") for code, name in _TO_SAFETENSORS.items()
}
_CORRUPT = "Use an earlier checkpoint."
_NOT_OURS = "Was it written by ne.save? nnbench loads only the files that ne.save writes."


class CheckpointError(EngineError):
    """A checkpoint that cannot be read: missing, truncated, corrupt or not ours."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No file at the path: a CheckpointError that is also a FileNotFoundError, as in torch."""


class CheckpointWarning(UserWarning):
    """A checkpoint that loads but holds NaN or Inf values."""


# ---------------------------------------------------------------------------- saving
def save(obj, path) -> Path:
    """Write ``obj`` to ``path`` atomically (temporary file, fsync, os.replace)."""
    path = Path(path)
    encoder = _Encoder()
    root = encoder.encode(obj, (), 0)  # refuses what it cannot store before any writing
    if path.suffix == ".npz":
        payload = _npz_writer(root, encoder.arrays)
    else:
        payload = _safetensors_writer(root, encoder.arrays)
        if path.suffix.lower() in _TORCH_SUFFIXES:
            warnings.warn(
                f"save: {path} is written as a .safetensors file, which torch.load cannot "
                f"read; name it {path.with_suffix('.safetensors').name} and read it in PyTorch "
                "with safetensors.torch.load_file (or ne.load)",
                CheckpointWarning,
                stacklevel=2,
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, payload)
    except OSError as error:
        explained = _save_error(path, error)
        if explained is error:
            raise
        raise explained from error
    return path


_TORCH_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl")


def _save_error(path: Path, error: OSError) -> OSError:
    """The same kind of OSError (``except FileNotFoundError`` still catches it), with a
    message that names the op, the path and a fix; the original is its ``__cause__``."""
    fixes = {
        errno.ENOENT: "its folder does not exist and could not be made: check the path",
        errno.EACCES: "you may not write there: choose a folder you can write to",
        errno.EPERM: "you may not write there: choose a folder you can write to",
        errno.EROFS: "the file system is read-only: choose another folder",
        errno.ENOSPC: "the disk is full: free some space or save to another disk",
        errno.EDQUOT: "the disk quota is used up: free some space or save elsewhere",
        errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
        errno.EEXIST: "a part of the path is a file, not a folder: check the path",  # mkdir
        errno.EISDIR: "the path is a folder: give a file name, e.g. model.safetensors",
    }
    reason = error.strerror or str(error) or type(error).__name__
    fix = fixes.get(error.errno, "check the path and the disk")
    message = f"save: could not write {path} ({reason}); {fix}"
    try:
        return type(error)(error.errno, message) if error.errno else type(error)(message)
    except TypeError:  # an OSError subclass with a constructor of its own: keep it as it is
        return error


class _Encoder:
    """Turns ``obj`` into a JSON-able tree whose leaves name the arrays it collects."""

    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}  # name -> array, in writing order
        self.names: dict[int, str] = {}  # id of a saved tensor -> its name: stored once
        self.kept: list = []  # keeps those objects alive, so their ids stay unique

    def encode(self, value, path: tuple, depth: int):
        if depth > MAX_DEPTH:
            raise ValueError(
                f"save: the object is nested more than {MAX_DEPTH} containers deep "
                "(a list or dict that contains itself?); flatten it before saving"
            )
        if isinstance(value, Tensor):
            node = {"tensor": self.store(value, value.device.backend.to_numpy(value.array), path)}
            if value.requires_grad:
                node["requires_grad"] = True
            if _is_parameter(value):
                node["parameter"] = True
            return node
        if isinstance(value, np.ndarray):
            return {"ndarray": self.store(value, value, path)}
        if isinstance(value, dict):
            pairs = [
                [self.encode(k, path, depth + 1), self.encode(v, (*path, _part(k)), depth + 1)]
                for k, v in value.items()
            ]
            if isinstance(value, OrderedDict):  # what state_dict() returns, as in torch
                return {"dict": pairs, "ordered": True}
            return {"dict": pairs}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [self.encode(v, (*path, str(i)), depth + 1) for i, v in enumerate(value)]}
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            raise ValueError(
                f"save: an int of {value.bit_length()} bits is too large to store; "
                "store it as a string"
            )
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        raise TypeError(
            f"save: cannot store a {type(value).__name__}; checkpoints hold tensors, numpy "
            "arrays, numbers, strings, None, and dicts, lists and tuples of them"
        )

    def store(self, owner, array: np.ndarray, path: tuple) -> str:
        known = self.names.get(id(owner))
        if known is not None:
            return known
        array = np.asarray(array)  # not ascontiguousarray: it turns 0-d into shape (1,)
        code = array.dtype.kind + str(array.dtype.itemsize)
        if code not in _TO_SAFETENSORS or array.dtype.names is not None:
            raise TypeError(
                f"save: cannot store an array of dtype {array.dtype}; checkpoints hold bool, "
                "int8-int64, uint8-uint64 and float16-float64 arrays (use .astype first)"
            )
        base = ".".join(path) or "tensor"
        name, n = base, 1
        while name in self.arrays or name == "__metadata__":
            n += 1
            name = f"{base}#{n}"
        self.arrays[name] = array
        self.names[id(owner)] = name
        self.kept.append(owner)
        return name


def _part(key) -> str:
    """A dict key as part of a tensor's name: `model.0.weight`. A name is only a label
    (the key itself is kept in the structure), so one that a zip member name cannot hold
    (a NUL, other control characters) becomes `key`."""
    if isinstance(key, str) and not key.isprintable():
        return "key"
    if key is None or isinstance(key, (str, int, float)):
        return str(key)
    return "key"


def _is_parameter(value) -> bool:
    return isinstance(value, Parameter)


def _safetensors_writer(root, arrays: dict):
    """The bytes of a .safetensors file, as a function that writes them to a file."""
    table, offset = {}, 0
    for name, array in arrays.items():
        table[name] = {
            "dtype": _TO_SAFETENSORS[array.dtype.kind + str(array.dtype.itemsize)],
            "shape": list(array.shape),
            "data_offsets": [offset, offset + array.nbytes],
        }
        offset += array.nbytes
    metadata = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "structure": json.dumps({"root": root}, separators=(",", ":")),
    }
    blobs = [_little_endian_bytes(array) for array in arrays.values()]
    crc = zlib.crc32(_canonical(table, metadata))
    for blob in blobs:
        crc = zlib.crc32(blob, crc)
    header = json.dumps(
        {"__metadata__": {**metadata, "checksum": f"{crc:08x}"}, **table}, separators=(",", ":")
    ).encode()
    if len(header) > MAX_HEADER_BYTES - 8:
        raise ValueError(
            f"save: the checkpoint's structure takes {len(header)} bytes of JSON, more than "
            f"{MAX_HEADER_BYTES}; store long lists of numbers as tensors or numpy arrays"
        )
    header += b" " * (-len(header) % 8)  # data starts 8-byte aligned, as safetensors writes

    def write(f):
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for blob in blobs:
            f.write(blob)

    return write


def _little_endian_bytes(array: np.ndarray) -> np.ndarray:
    """The array's bytes in C order, little-endian, as a flat uint8 array (0-d included)."""
    ordered = array.astype(array.dtype.newbyteorder("<"), order="C", copy=False)
    return ordered.reshape(-1).view(np.uint8)


def _canonical(table: dict, metadata: dict) -> bytes:
    """What the checksum covers besides the data: every header field but the checksum."""
    return json.dumps(
        {"metadata": metadata, "tensors": table}, sort_keys=True, separators=(",", ":")
    ).encode()


def _npz_writer(root, arrays: dict):
    """The older numpy .npz layout (version 1), for paths that end in .npz."""
    structure = json.dumps({"format": 1, "root": root}).encode()
    members = {**arrays, STRUCTURE_KEY: np.frombuffer(structure, dtype=np.uint8)}

    def write(f):  # np.savez(f, **members) would take a tensor named "file" as its argument
        with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, array in members.items():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)

    return write


def _write_atomically(path: Path, write) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as f:  # "x": a fresh file with the usual permissions
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    _remove_stale_temporaries(path)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporary files left by writers of this checkpoint that were killed mid-save."""
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        try:
            pid = int(leftover.name[len(path.name) + 2 :].split(".")[0])
            os.kill(pid, 0)  # still running: its save may be in progress
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except (ValueError, PermissionError, OSError):
            continue


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- loading
def load(path, device=None):
    """Read a checkpoint written by :func:`save`; nothing is returned unless all of it reads."""
    reader = _Reader(Path(path))
    root, arrays = reader.read()
    _warn_if_not_finite(reader.path, arrays)
    return reader.decode(root, arrays, device)


class _Reader:
    """Reads one file; every problem becomes a CheckpointError that names the file."""

    def __init__(self, path: Path):
        self.path = path
        self.memo: dict = {}  # a tensor stored once and referenced twice loads as one object

    def fail(self, problem: str, fix: str = _CORRUPT) -> CheckpointError:
        return CheckpointError(f"load: {self.path}: {problem}; nothing was loaded. {fix}")

    # -------------------------------------------------------------- the container
    def read(self) -> tuple:
        size = self.check_file()
        try:
            with open(self.path, "rb") as f:
                start = f.read(9)
                if start.startswith(b"PK"):
                    return self.read_npz(f, size)
                if len(start) == 9 and start[8:9] == b"{":
                    return self.read_safetensors(f, size)
        except OSError as error:
            raise self.fail(f"cannot be read ({error.strerror or error})") from None
        raise self.not_ours(start, size)

    def check_file(self) -> int:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            raise CheckpointNotFoundError(
                f"load: no checkpoint at {self.path}; check the path (ne.save writes it)"
            ) from None
        except OSError as error:
            raise self.fail(f"cannot be read ({error.strerror or error})") from None
        if stat.S_ISDIR(info.st_mode):
            raise self.fail("is a directory, not a checkpoint file", "Name a file inside it.")
        if not stat.S_ISREG(info.st_mode):
            raise self.fail("is not a regular file (a pipe or a device?)", _NOT_OURS)
        return info.st_size

    def not_ours(self, start: bytes, size: int) -> CheckpointError:
        if size == 0:
            return self.fail("is empty (0 bytes), not a checkpoint", _NOT_OURS)
        if start[:1] == b"\x80":
            return self.fail(
                "is a pickle file (torch.save?), and nnbench never unpickles, since "
                "unpickling can run any code",
                "Save the weights with ne.save, or with safetensors in PyTorch.",
            )
        if start.startswith(b"\x93NUMPY"):
            return self.fail("is a single .npy array, not an nnbench checkpoint", _NOT_OURS)
        if len(start) < 9:
            return self.fail(f"is truncated or corrupt (only {size} bytes)")
        return self.fail(
            "is corrupt or not an nnbench checkpoint (it starts like neither a .safetensors "
            "nor an .npz file)",
            _NOT_OURS,
        )

    def read_safetensors(self, f, size: int) -> tuple:
        f.seek(0)
        (length,) = struct.unpack("<Q", f.read(8))
        if length > MAX_HEADER_BYTES or 8 + length > size:
            raise self.fail(
                f"is truncated or corrupt: its header claims {length} bytes and the file "
                f"has {size} in all"
            )
        header = self.parse_json(f.read(length), "header")
        if not isinstance(header, dict):
            raise self.fail("is truncated or corrupt: its header is not a JSON object")
        metadata = self.check_metadata(header.pop("__metadata__", None))
        table = self.check_table(header, size - 8 - length)
        crc = zlib.crc32(_canonical(header, metadata))
        arrays = {}
        for name, (dtype, shape, nbytes) in table.items():
            array = self.empty(name, shape, dtype)
            view = array.reshape(-1).view(np.uint8)
            if _read_into(f, view) != nbytes:
                raise self.fail(f"is truncated: tensor {name!r} ends past the end of the file")
            crc = zlib.crc32(view, crc)
            arrays[name] = array
        if f"{crc:08x}" != self.checksum:
            raise self.fail(
                "is corrupt: its checksum does not match its contents (the file was damaged "
                "or changed after ne.save wrote it)"
            )
        structure = self.parse_json(metadata["structure"].encode(), "structure")
        if not isinstance(structure, dict) or "root" not in structure:
            raise self.fail("is corrupt: its structure has no root")
        return structure["root"], arrays

    def empty(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """Room for one tensor; its byte size was already checked against the file's."""
        try:
            return np.empty(shape, dtype)
        except (ValueError, OverflowError, MemoryError):  # e.g. shape (0, 2**70)
            raise self.fail(
                f"is corrupt: tensor {name!r} has shape {_short(shape)}, with a dimension "
                "larger than any array can have"
            ) from None

    def parse_json(self, text: bytes, what: str):
        try:
            return json.loads(text.decode("utf-8"))
        except UnicodeDecodeError:
            raise self.fail(f"is truncated or corrupt: its {what} is not UTF-8 text") from None
        except RecursionError:
            raise self.fail(f"is corrupt: its {what} is nested too deeply") from None
        except ValueError as error:
            raise self.fail(f"is truncated or corrupt: its {what} is not JSON ({error})") from None

    def check_metadata(self, metadata) -> dict:
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
            raise self.fail(
                "is a safetensors file but not an nnbench checkpoint (no nnbench metadata)",
                "Read plain safetensors files with safetensors.numpy.load_file and ne.tensor.",
            )
        version = metadata.get("version")
        if version != str(FORMAT_VERSION):
            raise self.fail(
                f"has format version {version!r} and this nnbench reads version {FORMAT_VERSION}",
                "Load it with the nnbench version that wrote it (or a newer one).",
            )
        fields = ("format", "version", "structure", "checksum")
        if any(not isinstance(metadata.get(key), str) for key in fields):
            raise self.fail("is corrupt: its nnbench metadata lacks a field or has a wrong type")
        self.checksum = metadata.pop("checksum")
        return metadata

    def check_table(self, header: dict, data_bytes: int) -> dict:
        """name -> (dtype, shape, bytes), in file order; the ranges tile the data exactly."""
        entries = sorted(self.check_entry(name, entry) for name, entry in header.items())
        expected = 0
        for begin, end, name, _, _ in entries:
            if begin != expected:
                raise self.fail(
                    f"is corrupt: tensor {name!r} starts at byte {begin} of the data, expected "
                    f"{expected} (ranges overlap or leave gaps)"
                )
            expected = end
        if expected != data_bytes:
            raise self.fail(
                f"is truncated or corrupt: its tensors take {expected} bytes and the file "
                f"holds {data_bytes} after the header"
            )
        return {name: (dtype, shape, end - begin) for begin, end, name, dtype, shape in entries}

    def check_entry(self, name: str, entry) -> tuple:
        """(begin, end, name, dtype, shape) of one tensor, its size checked against its range."""
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise self.fail(
                f"is corrupt: tensor {name!r} is not described by dtype, shape and data_offsets"
            )
        code, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        dtype = _FROM_SAFETENSORS.get(code) if isinstance(code, str) else None
        if dtype is None:
            raise self.fail(
                f"holds tensor {name!r} of dtype {_short(code)}, which nnbench does not read "
                f"(it reads {', '.join(_FROM_SAFETENSORS)})",
                "Convert it in the program that wrote it.",
            )
        if not isinstance(shape, list) or not _ints(shape, len(shape)) or not _ints(offsets, 2):
            raise self.fail(f"is corrupt: tensor {name!r} has a malformed shape or offsets")
        if len(shape) > 64:
            raise self.fail(f"is corrupt: tensor {name!r} has {len(shape)} dimensions (at most 64)")
        begin, end = offsets
        if math.prod(shape) * dtype.itemsize != end - begin:
            raise self.fail(
                f"is corrupt: tensor {name!r} has shape {_short(tuple(shape))} of {code} but "
                f"spans {end - begin} bytes"
            )
        return begin, end, name, dtype, tuple(shape)

    def read_npz(self, f, size: int) -> tuple:
        """The older .npz layout: every member checked before any array is allocated."""
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                infos = archive.infolist()
                names = [info.filename for info in infos]
                if any(name.endswith(".pkl") for name in names):
                    raise self.fail(
                        "is a torch.save archive (it holds a pickle), and nnbench never "
                        "unpickles, since unpickling can run any code",
                        "Save the weights with ne.save, or with safetensors in PyTorch.",
                    )
                if STRUCTURE_KEY + ".npy" not in names or len(set(names)) != len(names):
                    raise self.fail(
                        "is a zip or .npz file but not an nnbench checkpoint", _NOT_OURS
                    )
                arrays = {info.filename[:-4]: self.read_npy(archive, info, size) for info in infos}
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            ValueError,
            EOFError,
            NotImplementedError,
            OSError,
            struct.error,
            OverflowError,
        ) as error:
            raise self.fail(f"is truncated or corrupt ({type(error).__name__}: {error})") from None
        structure = self.parse_json(arrays.pop(STRUCTURE_KEY).tobytes(), "structure")
        if (
            not isinstance(structure, dict)
            or structure.get("format") != 1
            or "root" not in structure
        ):
            raise self.fail("is an .npz file whose structure is not nnbench's format 1", _NOT_OURS)
        return structure["root"], arrays

    def read_npy(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, size: int) -> np.ndarray:
        if not info.filename.endswith(".npy") or info.compress_type != zipfile.ZIP_STORED:
            raise self.fail(
                f"holds {info.filename!r}, which is not an uncompressed .npy array as ne.save "
                "writes them",
                _NOT_OURS,
            )
        if info.file_size != info.compress_size or info.file_size > size:
            raise ValueError(f"{info.filename} claims {info.file_size} bytes in a {size}-byte file")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"unknown .npy version {version}")
            read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
            shape, fortran, dtype = read_header(member)  # literal_eval: runs no code
            code = dtype.kind + str(dtype.itemsize)
            if dtype.hasobject or code not in _TO_SAFETENSORS or dtype.names is not None:
                raise self.fail(
                    f"holds {info.filename!r} of dtype {dtype}, which a checkpoint never holds "
                    "(object arrays would need unpickling)",
                    _NOT_OURS,
                )
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes != info.file_size - member.tell():
                raise ValueError(f"{info.filename} claims shape {shape} but has other size")
            array = np.empty(shape[::-1] if fortran else shape, dtype)
            if _read_into(member, array.reshape(-1).view(np.uint8)) != nbytes or member.read(1):
                raise ValueError(f"{info.filename} has the wrong length")
        return array.T if fortran else array

    # -------------------------------------------------------------- the structure
    def decode(self, node, arrays: dict, device, depth: int = 0):
        if depth > MAX_DEPTH:
            raise self.fail(f"is corrupt: its structure is nested more than {MAX_DEPTH} deep")
        kind = _kind(node)
        if kind is None:
            raise self.fail(f"is corrupt: a node of its structure is {_short(node)}")
        body = node[kind]
        if kind == "value":
            if isinstance(body, (list, dict)):
                raise self.fail(f"is corrupt: a value in its structure is {_short(body)}")
            return body
        if kind in ("tensor", "ndarray"):
            return self.array_of(kind, node, arrays, device)
        if not isinstance(body, list):
            raise self.fail(f"is corrupt: a {kind} in its structure is {_short(body)}")
        if kind == "dict":
            out = self.dict_of(body, arrays, device, depth)
            return OrderedDict(out) if node.get("ordered") is True else out
        items = [self.decode(item, arrays, device, depth + 1) for item in body]
        return items if kind == "list" else tuple(items)

    def dict_of(self, pairs: list, arrays: dict, device, depth: int) -> dict:
        out = {}
        for pair in pairs:
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail(f"is corrupt: a dict entry in its structure is {_short(pair)}")
            key = self.decode(pair[0], arrays, device, depth + 1)
            value = self.decode(pair[1], arrays, device, depth + 1)
            try:
                out[key] = value
            except TypeError:
                raise self.fail(f"is corrupt: a dict key is a {type(key).__name__}") from None
        return out

    def array_of(self, kind: str, node: dict, arrays: dict, device):
        name = node[kind]
        if not isinstance(name, str) or name not in arrays:
            raise self.fail(
                f"is corrupt: its structure names tensor {_short(name)}, which the "
                "file does not hold"
            )
        if (kind, name) in self.memo:
            return self.memo[kind, name]
        array = arrays[name]
        out = array if kind == "ndarray" else self.tensor_of(name, array, node, device)
        self.memo[kind, name] = out
        return out

    def tensor_of(self, name: str, array: np.ndarray, node: dict, device) -> Tensor:
        try:
            kind = dtypes.of_array(array.astype(array.dtype.newbyteorder("="), copy=False))
        except TypeError:
            raise self.fail(
                f"holds tensor {name!r} as {array.dtype}, which engine tensors do not hold",
                "Save it as a numpy array, or convert it before saving.",
            ) from None
        grad = node.get("requires_grad", False)
        if not isinstance(grad, bool) or (grad and not kind.is_floating_point):
            raise self.fail(f"is corrupt: tensor {name!r} has requires_grad={_short(grad)}")
        out = tensor(array, dtype=kind, device=device)
        if node.get("parameter"):
            return Parameter(out, requires_grad=grad)
        return out.requires_grad_(True) if grad else out


_KINDS = ("tensor", "ndarray", "dict", "list", "tuple", "value")


def _kind(node):
    """The one kind key of a structure node, or None when the node is malformed."""
    if not isinstance(node, dict):
        return None
    kinds = [k for k in _KINDS if k in node]
    return kinds[0] if len(kinds) == 1 else None


def _ints(values, count: int) -> bool:
    """A list of `count` non-negative ints (JSON's true/false are not sizes)."""
    return (
        isinstance(values, list)
        and len(values) == count
        and all(type(v) is int and v >= 0 for v in values)
    )


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _read_into(f, view: np.ndarray) -> int:
    """Fill ``view`` from ``f``; the number of bytes read (less only at the end of the file)."""
    done, total = 0, view.nbytes
    memory = memoryview(view)
    while done < total:
        got = f.readinto(memory[done:])
        if not got:
            break
        done += got
    return done


def _warn_if_not_finite(path: Path, arrays: dict) -> None:
    bad = [
        key
        for key, array in arrays.items()
        if array.dtype.kind == "f" and not np.isfinite(array).all()
    ]
    if bad:
        warnings.warn(
            f"load: {path} holds NaN or Inf values in {len(bad)} tensor(s); the run that "
            "saved it had probably diverged. Load an earlier checkpoint to resume cleanly.",
            CheckpointWarning,
            stacklevel=3,
        )
