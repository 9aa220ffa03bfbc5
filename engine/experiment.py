"""Experiments: what the app opens and ``nnbench train`` runs.

An experiment is a Python file with a function ``experiment()`` that returns an
:class:`Experiment`: a model (or loose tensors), its data, its loss and its optimizer
(or a hand-written update), plus the example batch the Graph pane steps through.
``load_experiment`` runs such a file; whatever goes wrong in it (a syntax error, an
exception, a wrong return value) comes back as an :class:`ExperimentError` that points
at the user's own file and line, never as a crash of the loader.
"""

from __future__ import annotations

import importlib.util
import inspect
import linecache
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import autograd
from .tensor import Tensor


@dataclass
class Experiment:
    """One experiment. Give ``model`` + ``loss_fn`` + ``optimizer`` + ``train_loader`` for
    the usual loop, or ``tensors`` + ``forward`` (+ ``update``) for a from-scratch one.

    ``forward(batch) -> loss`` replaces ``loss_fn(model(x), y)``; ``update()`` replaces
    ``optimizer.step()`` (it runs under no_grad). ``example_batch`` is what the Graph pane
    and ``nnbench graph`` step through (the first training batch if not given).
    """

    name: str
    model: Any = None
    loss_fn: Callable | None = None
    optimizer: Any = None
    train_loader: Any = None
    val_data: tuple | None = None
    example_batch: Any = None
    forward: Callable | None = None
    update: Callable | None = None
    tensors: dict = field(default_factory=dict)
    epochs: int = 1
    task: str = "classification"  # or "regression": decides whether accuracy is shown
    scheduler: Any = None
    description: str = ""
    source: str = ""

    def __post_init__(self):
        from .runs import check_name

        check_name(self.name)  # it names the run folders
        if self.model is None and self.forward is None:
            raise TypeError(f"Experiment {self.name!r}: give a model or a forward(batch) function")
        if self.forward is None and self.loss_fn is None:
            raise TypeError(f"Experiment {self.name!r}: a model needs a loss_fn")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"Experiment {self.name!r}: task must be classification or regression")
        if self.example_batch is None and self.train_loader is not None:
            self.example_batch = next(iter(self.train_loader))

    # ------------------------------------------------------------------ the three lines
    def parameters(self) -> list[Tensor]:
        if self.model is not None:
            return list(self.model.parameters())
        return [t for t in self.tensors.values() if t.requires_grad and t.is_leaf]

    def named_tensors(self) -> dict[str, Tensor]:
        """Every named tensor: parameters by their module names, then the loose tensors."""
        named = dict(self.model.named_parameters()) if self.model is not None else {}
        named.update(self.tensors)
        return named

    def loss(self, batch) -> Tensor:
        if self.forward is not None:
            return self.forward(batch)
        inputs, target = batch
        return self.loss_fn(self.model(inputs), target)

    def zero_grad(self) -> None:
        if self.optimizer is not None:
            self.optimizer.zero_grad()
        else:
            for p in self.parameters():
                p.grad = None

    def step(self) -> None:
        if self.update is not None:
            with autograd.no_grad():
                self.update()
        elif self.optimizer is not None:
            self.optimizer.step()

    @property
    def trainable(self) -> bool:
        return self.train_loader is not None and (
            self.optimizer is not None or self.update is not None
        )

    @property
    def device(self):
        params = self.parameters()
        return params[0].device if params else None

    def to(self, device) -> Experiment:
        """Move everything (model, loose tensors, optimizer state, data) to a device."""
        from .backends import device as parse_device

        device = parse_device(device)
        if self.model is not None:
            self.model.to(device)
        for t in self.tensors.values():  # in place: the experiment's closures hold them
            _move_in_place(t, device)
        if self.optimizer is not None:
            self.optimizer.to(device)
        dataset = getattr(self.train_loader, "dataset", None)
        while dataset is not None and not hasattr(dataset, "tensors"):
            dataset = getattr(dataset, "dataset", None)  # through Subsets
        if dataset is not None:
            dataset.tensors = tuple(t.to(device) for t in dataset.tensors)
        self.val_data = _moved(self.val_data, device)
        self.example_batch = _moved(self.example_batch, device)
        return self


def _move_in_place(t: Tensor, device) -> None:
    with autograd.no_grad():
        moved = t.to(device)
        t.array, t.device = moved.array, moved.device
        if t.grad is not None:
            _move_in_place(t.grad, device)


def _moved(value, device):
    if isinstance(value, Tensor):
        return value.to(device)
    if isinstance(value, (tuple, list)):
        return type(value)(_moved(v, device) for v in value)
    return value


class ExperimentError(Exception):
    """An experiment that failed (to load, or while running), with the user's frames."""

    def __init__(
        self, path, summary: str, frames: list | None = None, hint: str = "", during="loading"
    ):
        self.path, self.summary, self.frames, self.hint = str(path), summary, frames or [], hint
        self.during = during
        super().__init__(self.format())

    def format(self) -> str:
        if self.during == "loading":
            lines = [f"Could not load the experiment {self.path}:"]
        else:
            lines = [f"The experiment {self.path} failed while {self.during}:"]
        for filename, lineno, function, text in self.frames:
            lines.append(f'  File "{filename}", line {lineno}, in {function}')
            if text:
                lines.append(f"    {text.strip()}")
        lines.append(self.summary)
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    @property
    def line(self) -> int | None:
        return self.frames[-1][1] if self.frames else None


# ---------------------------------------------------------------------- finding and loading
SAMPLES_PACKAGE = "nnbench.samples"


def sample_names() -> list[str]:
    files = resources.files(SAMPLES_PACKAGE).iterdir()
    return sorted(
        f.name[:-3] for f in files if f.name.endswith(".py") and not f.name.startswith("_")
    )


def sample_summary(name: str) -> str:
    """The first line of a sample's docstring, read without running it."""
    import ast

    text = resources.files(SAMPLES_PACKAGE).joinpath(f"{name}.py").read_text()
    doc = ast.get_docstring(ast.parse(text)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def resolve(name_or_path: str) -> tuple[Path, str | None]:
    """A sample name (``digits_mlp``, ``linear_regression:nn``) or a file path."""
    spec, _, variant = str(name_or_path).partition(":")
    path = Path(spec).expanduser()
    if path.suffix == ".py" or path.exists():
        if not path.exists():
            raise ExperimentError(path, f"FileNotFoundError: no such file: {path}")
        return path.resolve(), variant or None
    if spec in sample_names():
        with resources.as_file(resources.files(SAMPLES_PACKAGE).joinpath(f"{spec}.py")) as p:
            return Path(p), variant or None
    raise ExperimentError(
        spec,
        f"no sample or file named {spec!r}",
        hint=f"the samples are {', '.join(sample_names())}; or give a path to a .py file",
    )


def load_experiment(name_or_path: str) -> Experiment:
    """Run an experiment file (fresh each time, so edits are picked up) and build it."""
    path, variant = resolve(name_or_path)
    module = _run_file(path)
    build = getattr(module, "experiment", None)
    if not callable(build):
        raise ExperimentError(
            path,
            "the file defines no function experiment()",
            hint="add `def experiment(): return Experiment(...)` (see the samples)",
        )
    try:
        result = build(variant) if variant else build()
    except Exception as error:
        raise user_error(path, error) from None
    if not isinstance(result, Experiment):
        line = inspect.getsourcelines(build)[1] if hasattr(build, "__code__") else 0
        raise ExperimentError(
            path,
            f"experiment() returned {type(result).__name__}, not an Experiment",
            frames=[(str(path), line, "experiment", linecache.getline(str(path), line))],
            hint="return nnbench.engine.Experiment(name=..., model=..., ...)",
        )
    result.source = str(path)
    if not result.description:
        result.description = (
            (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        )
    return result


def _run_file(path: Path):
    name = f"nnbench_experiment_{abs(hash(str(path)))}"
    linecache.checkcache(str(path))
    try:
        source = path.read_text()
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        frames = [(error.filename or str(path), error.lineno or 0, "<module>", error.text or "")]
        raise ExperimentError(path, f"SyntaxError: {error.msg}", frames) from None
    except OSError as error:
        raise ExperimentError(path, f"{type(error).__name__}: {error}") from None
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except Exception as error:
        raise user_error(path, error) from None
    finally:
        sys.modules.pop(name, None)
    return module


_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_LIBRARY_DIRS = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}


def is_user_file(filename: str) -> bool:
    """A frame of the user's code: not nnbench's own, not Python's, not an installed package."""
    if filename.startswith("<"):
        return False
    resolved = Path(filename).resolve()
    if _PACKAGE_DIR in resolved.parents and resolved.parent.name != "samples":
        return False
    if "site-packages" in resolved.parts or "dist-packages" in resolved.parts:
        return "samples" in resolved.parts and "nnbench" in resolved.parts
    return not any(prefix in resolved.parents for prefix in _LIBRARY_DIRS)


def user_error(path: Path, error: BaseException, during: str = "loading") -> ExperimentError:
    """An exception from the user's code, with only the user's own frames kept."""
    frames = [
        (f.filename, f.lineno, f.name, f.line)
        for f in traceback.extract_tb(error.__traceback__)
        if is_user_file(f.filename)
    ]
    summary = f"{type(error).__name__}: {error}"
    return ExperimentError(path, summary, frames, during=during)
