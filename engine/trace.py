"""Recording a forward pass op by op, and replaying it one op at a time.

``ne.trace(fn, *args)`` (or ``with ne.trace() as tr:``) records every op in execution
order: the op, its inputs, its output and the module that ran it. ``tr.replay()``
executes the recorded ops again, one per ``next()``, each through its own ``forward``
rule, feeding each op the values the replay itself produced. This is what the Graph
pane steps through in the forward direction.
"""

from __future__ import annotations

import contextlib

from .autograd import STATE


class OpRecord:
    """One op as it ran: ``inputs`` are tensors or Python scalars, ``output`` a tensor."""

    __slots__ = (
        "index", "function", "node", "inputs", "params", "output", "extras", "module", "linked",
    )  # fmt: skip

    def __init__(self, index, function, node, inputs, params, output, extras, module):
        self.index = index
        self.function = function
        self.node = node
        self.inputs = inputs
        self.params = params
        self.output = output
        self.extras = extras
        self.module = module
        # whether the op made a grad_fn: not under no_grad, nor on constants alone
        self.linked = output.grad_fn is node

    @property
    def op(self) -> str:
        return self.node.op

    @property
    def grad_name(self) -> str | None:
        """PyTorch's node name, or None where the output has no grad_fn: ops with no
        gradient (comparisons, argmax), and any op on tensors that need none (constants,
        under no_grad), as ``.grad_fn`` is None in Python then."""
        return self.node.name() if self.function.differentiable and self.linked else None

    def __repr__(self) -> str:
        where = f" in {self.module}" if self.module else ""
        return f"<OpRecord {self.index}: {self.op}{where}>"


class ReplayStep:
    """One op of a replay: the record, the input values it was given, the value it made."""

    __slots__ = ("record", "inputs", "output")

    def __init__(self, record, inputs, output):
        self.record = record
        self.inputs = inputs
        self.output = output


class Trace:
    """The ops of one forward pass, in the order they ran."""

    def __init__(self):
        self.records: list[OpRecord] = []
        self.output = None
        self.before: dict[int, object] = {}  # id -> the array before the trace first wrote it
        self._made: set[int] = set()  # the outputs recorded (held by the records: ids stay)

    def __enter__(self):
        self._previous = STATE.tracer
        STATE.tracer = self
        return self

    def __exit__(self, *exc):
        STATE.tracer = self._previous
        return False

    def record(self, function, node, inputs, params, output, extras):
        module = STATE.module_stack[-1] if STATE.module_stack else None
        self._made.add(id(output))
        self.records.append(
            OpRecord(len(self.records), function, node, inputs, params, output, extras, module)
        )

    def before_write(self, t) -> None:
        """An in-place op is about to write into ``t``: keep its values as the trace found
        them, so the replay starts from those (not from what the forward left behind)."""
        key = id(t)
        if key not in self.before and key not in self._made:
            self.before[key] = t.device.backend.copy(t.array)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.records)

    def __getitem__(self, index):
        return self.records[index]

    def replay(self):
        """Run the recorded ops again, one per ``next()``; yields :class:`ReplayStep`."""
        values: dict[int, object] = dict(self.before)
        for record in self.records:
            arrays = [
                values.get(id(x), x.array) if hasattr(x, "array") else x for x in record.inputs
            ]
            node = object.__new__(record.function)
            node.xp = record.output.device.backend
            result = node.forward(*arrays, **record.params)
            if record.function.extra_outputs:
                result, *extras = result
                for tensor, value in zip(record.extras, extras):
                    values[id(tensor)] = value
            values[id(record.output)] = result
            yield ReplayStep(record, arrays, result)


@contextlib.contextmanager
def untraced():
    """Ops inside are not recorded by a trace that is running: bookkeeping of a layer
    (BatchNorm's num_batches_tracked += 1), which PyTorch's graph does not show either."""
    previous = STATE.tracer
    STATE.tracer = None
    try:
        yield
    finally:
        STATE.tracer = previous


def trace(fn=None, *args, **kwargs):
    """``trace(fn, *args)`` runs fn and returns its Trace (``.output`` holds fn's result);
    ``trace()`` returns a Trace to use as a context manager."""
    recorder = Trace()
    if fn is None:
        return recorder
    with recorder:
        recorder.output = fn(*args, **kwargs)
    return recorder
