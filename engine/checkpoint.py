"""Checkpoints that are never half-written and never run code when loaded.

``save(obj, path)`` writes a state dict (nested dicts, lists and tuples of tensors and
plain numbers or strings) to a temporary file beside ``path``, fsyncs it, and renames
it over ``path`` with ``os.replace``: a reader sees the old file or the new one, never a
mix. The format is numpy's ``.npz`` with the structure as JSON inside; ``load`` reads it
with ``allow_pickle=False``, so loading a file cannot execute code.
"""

from __future__ import annotations

import json
import os
import uuid
import warnings
import zipfile
from pathlib import Path

import numpy as np

from .creation import tensor
from .errors import EngineError
from .tensor import Tensor

STRUCTURE_KEY = "__nnbench_structure__"
FORMAT_VERSION = 1


class CheckpointError(EngineError):
    """A checkpoint that cannot be read: missing, truncated, corrupt or not ours."""


class CheckpointWarning(UserWarning):
    """A checkpoint that loads but holds NaN or Inf values."""


def _encode(value, arrays: dict):
    if isinstance(value, Tensor):
        key = f"t{len(arrays)}"
        arrays[key] = np.ascontiguousarray(value.device.backend.to_numpy(value.array))
        return {"tensor": key, "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray):
        key = f"t{len(arrays)}"
        arrays[key] = np.ascontiguousarray(value)
        return {"ndarray": key}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(v, arrays) for v in value]}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(
        f"save: cannot store a {type(value).__name__}; checkpoints hold tensors, numpy "
        "arrays, numbers, strings, None, and dicts, lists and tuples of them"
    )


def _decode(node, arrays, device):
    if "tensor" in node:
        t = tensor(arrays[node["tensor"]], device=device)
        return t.requires_grad_(True) if node.get("requires_grad") else t
    if "ndarray" in node:
        return arrays[node["ndarray"]]
    if "dict" in node:
        return {_decode(k, arrays, device): _decode(v, arrays, device) for k, v in node["dict"]}
    if "list" in node:
        return [_decode(v, arrays, device) for v in node["list"]]
    if "tuple" in node:
        return tuple(_decode(v, arrays, device) for v in node["tuple"])
    return node["value"]


def save(obj, path) -> Path:
    """Write ``obj`` to ``path`` atomically (temporary file, fsync, os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict = {}
    structure = {"format": FORMAT_VERSION, "root": _encode(obj, arrays)}
    arrays[STRUCTURE_KEY] = np.frombuffer(json.dumps(structure).encode(), dtype=np.uint8)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "xb") as f:  # "x": a fresh file with the usual permissions
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    _remove_stale_temporaries(path)
    return path


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


def load(path, device=None):
    """Read a checkpoint written by :func:`save`; nothing is returned unless all of it reads."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"load: no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}  # reading checks every CRC
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise CheckpointError(
            f"load: {path} is truncated or corrupt ({type(error).__name__}: {error}); "
            "nothing was loaded. Use an earlier checkpoint."
        ) from None
    if STRUCTURE_KEY not in arrays:
        raise CheckpointError(f"load: {path} is an .npz file but not an nnbench checkpoint")
    structure = json.loads(arrays.pop(STRUCTURE_KEY).tobytes().decode())
    if structure.get("format") != FORMAT_VERSION:
        raise CheckpointError(f"load: {path} has format {structure.get('format')!r}, expected 1")
    _warn_if_not_finite(path, arrays)
    return _decode(structure["root"], arrays, device)


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
