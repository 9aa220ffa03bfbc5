"""Experiments: what the app opens and ``nnbench train`` runs.

An experiment is a Python file with a function ``experiment()`` that returns an
:class:`Experiment`: a model (or loose tensors), its data, its loss and its optimizer
(or a hand-written update), plus the example batch the Graph pane steps through.
``load_experiment`` runs such a file; whatever goes wrong in it (a syntax error, an
exception, a wrong return value) comes back as an :class:`ExperimentError` that points
at the user's own file and line, never as a crash of the loader.

What counts as "whatever goes wrong": every exception, and also ``sys.exit()``, an
``argparse`` error (both ``SystemExit``) and ``GeneratorExit``. ``KeyboardInterrupt`` is
the one exception: raised in the main thread it cannot be told apart from a real Ctrl-C,
so it goes through (``nnbench train`` prints one line and exits 130); raised in any other
thread it can only be the file's own (Python delivers signals to the main thread), so it
becomes an ExperimentError too. A caller that must never stop (the app) catches it.

While the file loads, its folder is at the front of ``sys.path`` (so ``import helper``
finds ``helper.py`` beside it); afterwards ``sys.path`` is as it was, and modules imported
from that folder are forgotten, so an edit to them is picked up on the next load.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import inspect
import linecache
import os
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from numbers import Integral
from pathlib import Path
from typing import Any

from .. import autograd
from ..tensor import Tensor


@dataclass
class Experiment:
    """One experiment. Give ``model`` + ``loss_fn`` + ``optimizer`` + ``train_loader`` for
    the usual loop, or ``tensors`` + ``forward`` (+ ``update``) for a from-scratch one.

    ``forward(batch) -> loss`` replaces ``loss_fn(model(x), y)``; ``update()`` replaces
    ``optimizer.step()`` (it runs under no_grad). ``example_batch`` is what the Graph pane
    and ``nnbench graph`` step through (the first training batch if not given).

    ``lr`` is the learning rate of a hand-written update, for the app to show (an
    optimizer's is read from it). ``truth`` names the true values of parameters where the
    data comes from a known rule (``{"W": 2.0, "b": 1.0}`` for y = 2x + 1): the Training
    pane shows the parameters against them, and for 1-D data the line ``predict(x)`` (or
    ``model(x)``) draws over the points. ``watch`` sets the run's watchpoints (a
    ``Watch``, or a dict such as ``{"grad_norm": {"threshold": 100, "action": "pause"}}``).

    ``val_data`` is one batch, ``(inputs, targets)``, evaluated after every epoch: its
    loss, and for ``task="classification"`` with a model its accuracy. With several
    outputs per sample the prediction is the argmax; with one (output (N,) or (N, 1), a
    binary classifier) the output is a logit thresholded at 0, or a probability
    thresholded at 0.5 where ``loss_fn`` is BCELoss (or F.binary_cross_entropy), against
    the targets rounded to 0 or 1 (0.5 and above count as 1).

    ``scheduler`` (an ``optim.lr_scheduler`` on the optimizer) is stepped as
    ``scheduler_step`` says: ``"epoch"`` once after each epoch; ``"batch"`` after each
    applied update (a warmup of LambdaLR counted in steps); ``"auto"`` (the default) is
    ``"batch"`` for OneCycleLR and CyclicLR, whose schedules count batches, and
    ``"epoch"`` for every other scheduler.
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
    scheduler_step: str = "auto"  # "epoch", "batch", or "auto": see the docstring
    description: str = ""
    source: str = ""
    lr: float | None = None
    truth: dict | None = None
    predict: Callable | None = None
    watch: Any = None

    def __post_init__(self):
        from .runs import check_name

        check_name(self.name)  # it names the run folders
        if self.model is None and self.forward is None:
            raise TypeError(f"Experiment {self.name!r}: give a model or a forward(batch) function")
        if self.forward is None and self.loss_fn is None:
            raise TypeError(f"Experiment {self.name!r}: a model needs a loss_fn")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"Experiment {self.name!r}: task must be classification or regression")
        self._check_types()
        self._check_settings()
        self._check_schedule()
        self._check_val_data()
        if self.train_loader is not None:
            # the first batch is taken only when needed: iterating may draw a shuffle
            if self.example_batch is None:
                self.example_batch = _first_batch(self.name, self.train_loader)
            elif _length(self.train_loader) == 0:
                raise _empty_loader(self.name)

    def _check_types(self) -> None:
        """Wrong kinds of values fail here, by name, rather than deep inside a step."""
        where = f"Experiment {self.name!r}"
        model = self.model
        if model is not None and not (callable(model) and hasattr(model, "parameters")):
            raise TypeError(
                f"{where}: model must be an nn.Module (callable, with parameters()), "
                f"got {type(model).__name__}"
            )
        for name in ("loss_fn", "forward", "update", "predict"):
            value = getattr(self, name)
            if value is not None and not callable(value):
                raise TypeError(
                    f"{where}: {name} must be callable (a function or an nn loss module), "
                    f"got {type(value).__name__}"
                )
        optimizer = self.optimizer
        if optimizer is not None and not (
            hasattr(optimizer, "step") and hasattr(optimizer, "zero_grad")
        ):
            raise TypeError(
                f"{where}: optimizer must be an optimizer (with step() and zero_grad()), e.g. "
                f"optim.SGD(model.parameters(), lr=0.1); got {type(optimizer).__name__}"
            )
        loader = self.train_loader
        if loader is not None and not hasattr(loader, "__iter__"):
            raise TypeError(
                f"{where}: train_loader must yield batches, e.g. DataLoader(dataset, "
                f"batch_size=32); got {type(loader).__name__}"
            )
        if not isinstance(self.tensors, dict) or not all(
            isinstance(t, Tensor) for t in self.tensors.values()
        ):
            raise TypeError(f"{where}: tensors must be a dict of name -> Tensor")
        epochs = self.epochs
        if isinstance(epochs, bool) or not isinstance(epochs, Integral) or epochs < 1:
            raise ValueError(f"{where}: epochs must be a whole number >= 1, got {self.epochs!r}")

    def _check_settings(self) -> None:
        from .watch import Watch

        where = f"Experiment {self.name!r}"
        lr = self.lr
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float)) or lr < 0):
            raise ValueError(f"{where}: lr must be a number >= 0, got {lr!r}")
        truth = self.truth
        if truth is not None and not (
            isinstance(truth, dict) and all(isinstance(v, (int, float)) for v in truth.values())
        ):
            raise TypeError(f"{where}: truth must be a dict of name -> number, e.g. "
                            f"{{'W': 2.0, 'b': 1.0}}; got {truth!r}")  # fmt: skip
        try:
            self.watch = Watch.of(self.watch)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{where}: {error}") from None

    def _check_schedule(self) -> None:
        if self.scheduler_step not in ("auto", "epoch", "batch"):
            raise ValueError(
                f"Experiment {self.name!r}: scheduler_step must be 'epoch', 'batch' or 'auto' "
                f"(batch for OneCycleLR and CyclicLR, epoch otherwise), got "
                f"{self.scheduler_step!r}"
            )
        if self.scheduler is not None and not hasattr(self.scheduler, "step"):
            raise TypeError(
                f"Experiment {self.name!r}: scheduler must be a learning-rate scheduler (with "
                f"step()), e.g. optim.lr_scheduler.StepLR(optimizer, 10); got "
                f"{type(self.scheduler).__name__}"
            )

    @property
    def steps_scheduler_per_batch(self) -> bool:
        """Whether the scheduler steps after each update (else after each epoch)."""
        if self.scheduler_step != "auto":
            return self.scheduler_step == "batch"
        kinds = {cls.__name__ for cls in type(self.scheduler).__mro__}
        return bool(kinds & {"OneCycleLR", "CyclicLR"})

    def _check_val_data(self) -> None:
        """An empty validation batch fails here, by name, not as an argmax of nothing at
        the end of the first epoch."""
        data = self.val_data
        if not isinstance(data, (tuple, list)) or not data:
            return
        first = data[0]
        shape = tuple(getattr(first, "shape", ()))
        if shape and shape[0] == 0:
            shapes = ", ".join(str(tuple(getattr(d, "shape", ()))) for d in data)
            raise ValueError(
                f"Experiment {self.name!r}: val_data has 0 samples (shapes {shapes}); give it "
                "at least one sample, or leave val_data out (None) to skip validation"
            )

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
            return _checked_loss(self.forward(batch), "forward(batch)")
        inputs, target = batch
        return _checked_loss(self.loss_fn(self.model(inputs), target), "loss_fn(output, target)")

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
        from ..backends import device as parse_device

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


def _length(loader) -> int | None:
    try:
        return len(loader)
    except TypeError:  # a loader without a length
        return None


def _first_batch(name: str, loader):
    """The loader's first batch; an empty loader is an error here, not a silent no-op later
    (or a bare "StopIteration")."""
    if _length(loader) == 0:
        raise _empty_loader(name)
    try:
        return next(iter(loader))
    except StopIteration:
        raise _empty_loader(name) from None


def _empty_loader(name: str) -> ValueError:
    return ValueError(
        f"Experiment {name!r}: the train_loader yields no batches (an empty dataset, or "
        "drop_last=True with fewer samples than batch_size); give it at least one batch"
    )


def _checked_loss(loss, function: str) -> Tensor:
    if not isinstance(loss, Tensor):
        name = function.split("(")[0]
        raise TypeError(
            f"{name} returned {type(loss).__name__}, not a Tensor: {function} must return the "
            "loss as a 0-d Tensor so backward() can follow it, e.g. ((out - y) ** 2).mean(); "
            "do not call .item() or float() on it"
        )
    return loss


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
        self,
        path,
        summary: str,
        frames: list | None = None,
        hint: str = "",
        during="loading",
        caret: tuple | None = None,
    ):
        self.path, self.summary, self.frames, self.hint = str(path), summary, frames or [], hint
        self.during = during
        self.caret = caret  # (offset, end offset) in the last frame's line: a syntax error's
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
        if self.caret and self.frames and self.frames[-1][3]:
            lines.append(_caret_line(self.frames[-1][3], *self.caret))
        lines.append(self.summary)
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    @property
    def line(self) -> int | None:
        return self.frames[-1][1] if self.frames else None


def _caret_line(text: str, offset: int | None, end: int | None) -> str:
    """The ^ marks under a syntax error's position, as Python prints them (offsets are
    1-based columns of the unstripped line)."""
    body = text.rstrip()
    indent = len(body) - len(body.lstrip())
    start = min(max((offset or 1) - 1 - indent, 0), max(len(body) - indent, 0))
    width = (end - offset) if end and offset and end > offset else 1
    width = max(1, min(width, len(body) - indent - start))
    return "    " + " " * start + "^" * width


# ---------------------------------------------------------------------- finding and loading
SAMPLES_PACKAGE = "nnbench.samples"


def sample_names() -> list[str]:
    files = resources.files(SAMPLES_PACKAGE).iterdir()
    return sorted(
        f.name[:-3] for f in files if f.name.endswith(".py") and not f.name.startswith("_")
    )


def _sample_tree(name: str):
    import ast

    return ast.parse(resources.files(SAMPLES_PACKAGE).joinpath(f"{name}.py").read_text())


def sample_summary(name: str) -> str:
    """The first paragraph of a sample's docstring, as one line, read without running it
    (a summary that runs on to a second line is never cut in the middle)."""
    import ast

    doc = (ast.get_docstring(_sample_tree(name)) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def sample_variants(name: str) -> list[str]:
    """A sample's ``VARIANTS`` (a module-level tuple or list of names), read without running
    it; [] if it has none."""
    import ast

    for node in _sample_tree(name).body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "VARIANTS" for t in targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return []
            return (
                [v for v in value if isinstance(v, str)] if isinstance(value, (list, tuple)) else []
            )
    return []


def is_bare_name(spec: str) -> bool:
    """A word that can only be a sample's name: no folder separator, no .py, no ~."""
    separators = {"/", os.sep, os.altsep} - {None}
    return (
        bool(spec)
        and not any(sep in spec for sep in separators)
        and not (spec.endswith(".py") or spec.startswith("~"))
    )


def resolve(name_or_path: str) -> tuple[Path, str | None]:
    """A sample name (``digits_mlp``, ``linear_regression:nn``) or a file path. A bare
    word is a sample's name first (a folder called ``spirals`` in the working directory
    does not hide the sample), then a file of that name; a folder is never an experiment."""
    spec, _, variant = str(name_or_path).partition(":")
    if not spec.strip():
        raise ExperimentError(
            repr(str(name_or_path)),
            "the experiment's name is empty",
            hint="give a sample's name (nnbench samples lists them) or an experiment file's path",
        )
    if is_bare_name(spec) and spec in sample_names():
        with resources.as_file(resources.files(SAMPLES_PACKAGE).joinpath(f"{spec}.py")) as p:
            return Path(p), variant or None
    path = Path(spec).expanduser()
    if path.is_dir():
        raise ExperimentError(
            path, f"{path} is a folder, not an experiment file", hint=_in_folder(path)
        )
    if path.exists():
        return path.resolve(), variant or None
    if not is_bare_name(spec):
        raise ExperimentError(path, f"FileNotFoundError: no such file: {path}")
    close = difflib.get_close_matches(spec, sample_names(), n=3)
    maybe = f"did you mean {' or '.join(close)}? " if close else ""
    raise ExperimentError(
        spec,
        f"no sample or file named {spec!r}",
        hint=f"{maybe}the samples are {', '.join(sample_names())}; or give a path to a .py file",
    )


def _in_folder(folder: Path) -> str:
    try:
        files = sorted(p.name for p in folder.glob("*.py"))[:3]
    except OSError:
        files = []
    if files:
        return "give one of its .py files, e.g. " + ", ".join(str(folder / f) for f in files)
    return "give the path of an experiment's .py file"


def load_experiment(name_or_path: str, command: str = "nnbench") -> Experiment:
    """Run an experiment file (fresh each time, so edits are picked up) and build it.
    ``command`` (``nnbench train``) is what the hints tell the user to run again."""
    path, variant = resolve(name_or_path)
    typed = str(name_or_path).partition(":")[0]
    with _folder_on_path(path.parent):
        module = _run_file(path)
        build = getattr(module, "experiment", None)
        if not callable(build):
            raise ExperimentError(
                path,
                "the file defines no function experiment()",
                hint="add `def experiment(): return Experiment(...)` (see the samples)",
            )
        _check_variant(path, module, build, variant, command, typed)
        try:
            result = build(variant) if variant else build()
        except BaseException as error:
            raise _caught(path, error) from None
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


def _check_variant(
    path: Path, module, build, variant: str | None, command: str, typed: str
) -> None:
    """A variant the file cannot take says so before experiment() runs; the hints repeat
    the command as the user typed it (``nnbench train exp/var.py:small``)."""
    try:
        parameters = list(inspect.signature(build).parameters.values())
    except (TypeError, ValueError):  # a builtin or an odd callable: let the call decide
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    takes_one = bool(positional) or any(p.kind == p.VAR_POSITIONAL for p in parameters)
    stem = path.stem
    again = f"{command} {typed}"
    if variant and not takes_one:
        raise ExperimentError(
            path,
            f"{stem} has no variants: its experiment() takes no argument, so '{typed}:{variant}' "
            f"cannot choose one ({variant!r})",
            hint=f"open it without a variant: {again}",
        )
    names = getattr(module, "VARIANTS", None)
    if variant and isinstance(names, (list, tuple)) and variant not in names:
        listed = ", ".join(repr(n) for n in names)
        raise ExperimentError(
            path,
            f"{stem} has no variant {variant!r}; its variants are {listed}",
            hint=f"e.g. {again}:{names[0]}" if names else "",
        )
    required = [p for p in positional if p.default is p.empty]
    if not variant and required:
        listed = f" (one of {', '.join(map(repr, names))})" if names else ""
        raise ExperimentError(
            path,
            f"{stem}'s experiment({required[0].name}) needs a variant{listed}",
            hint=f"e.g. {again}:{names[0] if names else 'VARIANT'}",
        )


@contextlib.contextmanager
def _folder_on_path(folder: Path):
    """The experiment's folder first on sys.path while it loads; then as it was, and the
    modules imported from that folder forgotten (an edit to them shows on the next load)."""
    saved = list(sys.path)
    known = set(sys.modules)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path[:] = saved
        for name in set(sys.modules) - known:
            origin = getattr(sys.modules.get(name), "__file__", None)
            if origin and Path(origin).resolve().parent == folder.resolve():
                sys.modules.pop(name, None)


def _run_file(path: Path):
    name = f"nnbench_experiment_{abs(hash(str(path)))}"
    linecache.checkcache(str(path))
    try:
        source = path.read_text()
        code = compile(source, str(path), "exec")
    except SyntaxError as error:
        frames = [(error.filename or str(path), error.lineno or 0, "<module>", error.text or "")]
        caret = (error.offset, getattr(error, "end_offset", None))
        if error.end_lineno not in (None, error.lineno):  # spans lines: mark the start only
            caret = (error.offset, None)
        raise ExperimentError(path, f"SyntaxError: {error.msg}", frames, caret=caret) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # unreadable, not text, NUL
        raise ExperimentError(path, f"{type(error).__name__}: {error}") from None
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except BaseException as error:
        raise _caught(path, error) from None
    finally:
        sys.modules.pop(name, None)
    return module


def _caught(path: Path, error: BaseException) -> ExperimentError:
    """What the file raised, as an ExperimentError; a KeyboardInterrupt in the main thread
    may be a real Ctrl-C, so it is raised again (see the module's docstring)."""
    in_main = threading.current_thread() is threading.main_thread()
    if isinstance(error, KeyboardInterrupt) and in_main:
        raise error
    caught = user_error(path, error)
    if isinstance(error, SystemExit):
        caught.summary = (
            f"SystemExit: the file called sys.exit({error.code!r}) or parsed the command line "
            "(argparse exits on bad arguments) while loading"
        )
        caught.hint = (
            "an experiment file is imported, not run: put command-line code under `if __name__ "
            '== "__main__":` and return the Experiment from experiment()'
        )
        caught.args = (caught.format(),)
    return caught


_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the folder holding engine/, tui/, samples/
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
