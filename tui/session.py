"""The app's headless state: the open experiment, its device, and its named tensors.

No Textual here: the panes read from a Session, and tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nnbench.engine import ExperimentError, cuda_status, load_experiment
from nnbench.engine.formatting import to_numpy
from nnbench.engine.tensor import Tensor
from nnbench.engine.workbench.experiment import Experiment, resolve, user_error
from nnbench.engine.workbench.oracle import torch_spelling

DEFAULT_EXPERIMENT = "digits_mlp"


@dataclass
class Entry:
    """A tensor the Inspector can show: where it sits, its name, and how to get it in torch."""

    section: str
    name: str
    tensor: Tensor
    expression: str

    @property
    def key(self) -> str:
        return f"{self.section}/{self.name}"


@dataclass
class Loading:
    """An experiment built off the UI thread, not yet open; or the error that stopped it."""

    spec: str
    experiment: Experiment | None = None
    error: ExperimentError | None = None
    device: str | None = None  # set where the experiment could not move to the session's
    activations: dict = field(default_factory=dict)
    stepper: object = None  # the Graph pane's stepper, traced in the same thread


def _source(spec: str) -> Path:
    try:
        return resolve(spec)[0]
    except Exception:
        return Path(str(spec))


def _keep_activations(model) -> dict:
    """Keep each module's output from the last forward, for the Inspector."""
    activations: dict[str, Tensor] = {}
    if model is None:
        return activations
    for name, module in model.named_modules():
        if not name:
            continue

        def keep(module, inputs, output, name=name):
            if isinstance(output, Tensor):
                activations[name] = output.detach()

        module.register_forward_hook(keep)
    return activations


class Session:
    def __init__(self, spec: str = DEFAULT_EXPERIMENT):
        self.spec = spec
        self.experiment: Experiment | None = None
        self.error: ExperimentError | None = None
        self.device = "cpu"
        self.accelerator = "cuda"  # what "d" toggles to; tests stand torch:cpu in for it
        self.activations: dict[str, Tensor] = {}
        self._hooks = []
        self._batches = None
        # the training run belongs to the session, not to a pane: the worker's LiveRun (to
        # send it commands) and the UI's RunView of it (what its snapshots showed)
        self.run = None
        self.view = None
        self.runs_dir = "runs"
        self.pace = None  # the learner's pace for runs (steps/s; None: full speed)
        self.epochs: int | None = None  # the next run's epochs, where the learner set them
        self.watch = None  # the learner's watchpoints (W), for this run and the next

    # ------------------------------------------------------------------ loading
    @property
    def name(self) -> str:
        if self.experiment is not None:
            return self.experiment.name
        return str(self.spec)

    def load(self, spec: str | None = None) -> bool:
        """Load (or reload) an experiment; on failure keep the error for the panes to show."""
        spec = self.spec if spec is None else spec
        self.install(self.build(spec))
        return self.error is None

    def build(self, spec: str) -> Loading:
        """Run the experiment's file and build it, without touching what is open: this runs
        in a user thread, and the UI installs the result (``install``) when it is ready."""
        loading = Loading(spec)
        try:
            loading.experiment = load_experiment(spec)
        except ExperimentError as error:
            loading.error = error
            return loading
        # sys.exit(), KeyboardInterrupt or argparse's SystemExit in the user's file: the
        # user's code failed, and the app shows it like any other error
        except BaseException as error:
            loading.error = user_error(_source(spec), error)
            return loading
        if self.device != "cpu":
            try:
                loading.experiment.to(self.device)
            except Exception:
                loading.device = "cpu"
        loading.activations = _keep_activations(loading.experiment.model)
        return loading

    def current_watch(self):
        """The watchpoints a new run gets: the learner's, the experiment's, or the app's."""
        from .live import WATCH

        experiment = self.experiment
        return self.watch or (experiment.watch if experiment is not None else None) or WATCH

    def adopt(self, run, view) -> None:
        """The session's new run (the previous one, if still going, is stopped)."""
        if self.run is not None and self.run is not run:
            self.run.stop()
        self.run, self.view = run, view

    def install(self, loading: Loading) -> None:
        """Make a built experiment (or its error) the open one; its run, if any, ends."""
        if self.run is not None:
            self.run.stop()
        self.run = self.view = None
        self.epochs = None
        if loading.spec != self.spec:
            self.watch = None  # another experiment: its own watchpoints
        self.spec, self.error, self.experiment = loading.spec, loading.error, loading.experiment
        if loading.device is not None:
            self.device = loading.device
        self.activations = loading.activations
        self._batches = None

    def next_batch(self):
        """The training batches in turn, round and round (the Graph pane's 'r')."""
        experiment = self.experiment
        if experiment.train_loader is None:
            return experiment.example_batch
        if self._batches is None:
            self._batches = self._cycle()
        return next(self._batches)

    def _cycle(self):
        while True:
            yield from self.experiment.train_loader

    # ------------------------------------------------------------------ device
    def toggle_device(self) -> tuple[bool, str]:
        """cpu <-> the accelerator for model, optimizer state and data; (moved, message)."""
        if self.experiment is None:
            return False, "no experiment is loaded"
        target = "cpu" if self.device != "cpu" else self.accelerator
        if target == "cuda":
            available, why = cuda_status()
            if not available:
                return False, f"CUDA is not available here: {why}. Staying on cpu."
        self.experiment.to(target)
        self.device = target
        self._batches = None
        return True, f"moved {self.experiment.name} to {target}"

    # ------------------------------------------------------------------ tensors by name
    def entries(self, stepper=None) -> list[Entry]:
        experiment = self.experiment
        if experiment is None:
            return []
        out: list[Entry] = []
        model = experiment.model
        if model is not None:
            for name, p in model.named_parameters():
                out.append(Entry("parameters", name, p, f"model{_path(name)}"))
                if p.grad is not None:
                    out.append(Entry("gradients", name, p.grad, f"model{_path(name)}.grad"))
        for name, t in experiment.tensors.items():
            out.append(Entry("tensors", name, t, name))
            if t.grad is not None:
                out.append(Entry("gradients", name, t.grad, f"{name}.grad"))
        batch = experiment.example_batch
        if isinstance(batch, (tuple, list)) and len(batch) == 2:
            out.append(Entry("batch", "input", batch[0], "x  # x, y = next(iter(train_loader))"))
            out.append(Entry("batch", "target", batch[1], "y"))
        sequential = type(model).__name__ == "Sequential"
        for name, t in list(self.activations.items()):  # a training worker may add to it
            expression = (
                f"model[:{int(name) + 1}](x)"
                if sequential and name.isdigit()
                else f"# output of model{_path(name)}, kept by a forward hook"
            )
            out.append(Entry("activations", name, t, expression))
        out += self._optimizer_entries()
        if stepper is not None:
            for step in stepper.forward_done[: min(stepper.position, len(stepper.forward_done))]:
                record = step.record
                out.append(
                    Entry("graph", stepper.entry_name(record), record.output,
                          _op_expression(stepper, record))
                )  # fmt: skip
        return out

    def _optimizer_entries(self) -> list[Entry]:
        optimizer = self.experiment.optimizer
        if optimizer is None:
            return []
        names = {id(t): n for n, t in self.experiment.named_tensors().items()}
        out = []
        for p, state in list(optimizer.state.items()):  # a training worker may add to it
            pname = names.get(id(p), "param")
            for key, value in list(state.items()):
                if isinstance(value, Tensor):
                    expression = f"optimizer.state[model{_path(pname)}]['{key}']"
                    out.append(Entry("optimizer", f"{pname} {key}", value, expression))
        return out


def _path(name: str) -> str:
    """'0.weight' -> '[0].weight', 'fc1.bias' -> '.fc1.bias' (how to reach it from model)."""
    return "".join(f"[{part}]" if part.isdigit() else f".{part}" for part in name.split("."))


def _op_expression(stepper, record) -> str:
    if record.function.torch is None:
        return ""
    names = stepper.labels(record)[0]
    return torch_spelling(record.function, record.params, names)


def literal(t: Tensor) -> str | None:
    """torch.tensor([...]) for a tensor small enough to write out: the values as the
    dtype prints them (0.1, not 0.10000000149011612), with requires_grad=True for a leaf
    that requires grad, so pasting it into torch gives the same tensor."""
    if t.numel() > 8:
        return None
    data = to_numpy(t.array)
    words = [_python(data)]
    if t.dtype.name not in ("float32", "int64", "bool"):
        words.append(f"dtype=torch.{t.dtype.name}")
    if t.requires_grad and t.is_leaf:
        words.append("requires_grad=True")
    return f"torch.tensor({', '.join(words)})"


def _python(data) -> str:
    """An array as a Python literal: nested lists of its shortest round-trip values."""
    if data.ndim:
        return "[" + ", ".join(_python(row) for row in data) + "]"
    value = data.item()
    if isinstance(value, float):
        if value != value:
            return "float('nan')"
        if value in (float("inf"), float("-inf")):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(float(str(data)))  # str of a float32 is its shortest round trip
    return repr(value)
