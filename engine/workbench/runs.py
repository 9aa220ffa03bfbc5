"""Run folders: every training run writes into a folder of its own and nowhere else.

::

    runs/NAME/
        20261122-043512/         one run: metrics.jsonl, checkpoint.safetensors, run.json
        20261122-050101/         the next run (a second run never touches the first)
        latest -> 20261122-050101

``run.json`` says what the run was: the experiment, when it started, its settings, the
run it continued from (if any) and, once it ends, how it ended. A run's folder is made
with ``os.mkdir``, which fails if the folder exists, so two runs started in the same
second (two processes, or the app and ``nnbench train``) still get folders of their own.
The app and ``nnbench train`` share this layout.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

INFO = "run.json"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint.safetensors"
LATEST = "latest"
# A name is one folder: no separators, no "..", nothing a shell or another OS chokes on.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")


def check_name(name) -> str:
    """An experiment's name as a folder name, or a ValueError that says what is allowed."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name:
        raise ValueError(
            f"experiment name {name!r} cannot name a run folder: use 1 to 100 letters, digits, "
            "'_', '-' or '.', starting with a letter or digit (no '/', no '..'), e.g. "
            "name='my_mlp'"
        )
    return name


@dataclass(frozen=True)
class Run:
    """One run's folder."""

    path: Path

    @property
    def id(self) -> str:
        return self.path.name

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def info_path(self) -> Path:
        return self.path / INFO

    def info(self) -> dict:
        return json.loads(self.info_path.read_text())

    def update_info(self, **fields) -> None:
        """Add fields to run.json (atomically: a reader sees the old file or the new)."""
        info = self.info()
        info.update(fields)
        _write_json(self.info_path, info)

    def finish(self, status: str, step: int) -> OSError | None:
        """Record how the run ended: done, stopped, interrupted, failed, watchpoint.
        Best effort: run.json is a note about the run, so a failure to write it (a full
        disk) is returned, never raised, and leaves no temporary file behind."""
        try:
            self.update_info(status=status, steps=step, ended=_now())
        except (OSError, ValueError) as error:  # ValueError: run.json itself is damaged
            return error if isinstance(error, OSError) else OSError(str(error))
        return None


def new_run(runs_dir, name: str, settings: dict | None = None, parent: Run | None = None) -> Run:
    """Make a fresh run folder under ``runs_dir/name`` and point ``latest`` at it."""
    folder = Path(runs_dir) / check_name(name)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1000):
        path = folder / (stamp if attempt == 0 else f"{stamp}-{attempt + 1}")
        try:
            path.mkdir()
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a thousand runs in one second
        raise FileExistsError(f"no free run folder under {folder} for {stamp}")
    run = Run(path)
    info = {"experiment": name, "run": run.id, "started": _now(), "status": "running"}
    info["settings"] = settings or {}
    info["parent"] = str(parent.path) if parent is not None else None
    _write_json(run.info_path, info)
    _point_latest(folder, run.id)
    return run


def latest_run(runs_dir, name: str) -> Run | None:
    """The newest run of an experiment, or None if it has none."""
    link = Path(runs_dir) / check_name(name) / LATEST
    if link.is_symlink():
        target = link.parent / os.readlink(link)
    elif link.is_file():  # where symbolic links are not allowed
        target = link.parent / link.read_text().strip()
    else:
        return None
    return Run(target) if target.is_dir() else None


def list_runs(runs_dir, name: str) -> list[Run]:
    """An experiment's runs, oldest first."""
    folder = Path(runs_dir) / check_name(name)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()]
    return [Run(p) for p in sorted(found, key=lambda p: (p.stat().st_mtime, p.name))]


def _point_latest(folder: Path, run_id: str) -> None:
    temporary = folder / f".{LATEST}.{uuid.uuid4().hex}"
    try:
        try:
            os.symlink(run_id, temporary)
        except OSError:
            temporary.write_text(run_id + "\n")
        os.replace(temporary, folder / LATEST)
    except BaseException:  # a full disk: no stray temporary file stays behind
        _remove(temporary)
        raise


def _write_json(path: Path, value: dict) -> None:
    text = to_json(value, indent=2) + "\n"  # before the file exists: a bad value leaves nothing
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with open(temporary, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:  # a full disk, Ctrl-C: no stray temporary file stays behind
        _remove(temporary)
        raise


def _remove(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def to_json(value, **options) -> str:
    """Strict JSON (no NaN, no Infinity, which most parsers refuse): a non-finite float
    becomes null, and the dict holding it gets ``"non_finite": {key: "nan"}`` so the
    value stays readable."""
    return json.dumps(_finite(value), allow_nan=False, **options)


def _finite(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        bad = {
            str(k): repr(v)
            for k, v in value.items()
            if isinstance(v, float) and not math.isfinite(v)
        }
        out = {k: _finite(v) for k, v in value.items()}
        if bad:
            out["non_finite"] = bad
        return out
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
