"""Reverse-mode autograd you can step through.

Every differentiable op is a :class:`Function`: ``forward`` computes the value from
arrays and saves what ``backward`` needs; ``backward`` turns the gradient of the output
into one gradient per input. Calling an op creates one Function instance, which is the
output's ``grad_fn`` node, named as in PyTorch (``MulBackward0``).

:func:`backward_steps` walks the graph in reverse creation order, one node per
``next()``, and yields a :class:`Step` record for each; ``Tensor.backward()`` is that
generator run to the end. The Graph pane walks the very same generator.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import threading
import warnings
import weakref

from .convert import is_engine_tensor
from .errors import AnomalyError, AutogradError, DeviceError, device_name, shape_str
from .rules import sum_to_shape


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.tracer = None
        self.anomaly = None
        self.module_stack = []


STATE = _State()
_sequence = itertools.count()


class VersionCounter:
    """How many times a tensor's values were changed in place; views share their base's.

    A node that saved a tensor for its backward notes the version it saw; if the version
    has moved on by the time the backward runs, the values it needs are gone.
    """

    value = 0  # a class default: making a counter (one per op output) runs no __init__

    def bump(self) -> None:
        self.value += 1


# ---------------------------------------------------------------------------
# Grad mode
# ---------------------------------------------------------------------------
class set_grad_enabled(contextlib.ContextDecorator):
    """Turn graph recording on or off inside a ``with`` block or a decorated function."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)

    def __enter__(self):
        self.previous = STATE.grad_enabled
        STATE.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        STATE.grad_enabled = self.previous
        return False


class no_grad(set_grad_enabled):
    """Record nothing: no graph, no grad_fn. Use it for updates and evaluation."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    def __init__(self):
        super().__init__(True)


class inference_mode(set_grad_enabled):
    """torch.inference_mode: for the engine the same as no_grad (it has no faster path for
    tensors that will never meet autograd); ``inference_mode(False)`` records as usual."""

    def __init__(self, mode: bool = True):
        super().__init__(not mode)


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


# ---------------------------------------------------------------------------
# Nodes
# ---------------------------------------------------------------------------
class Node:
    """A node of the backward graph: what ``t.grad_fn`` holds."""

    grad_name = "Node"
    next_functions: tuple = ()
    hooks: tuple = ()  # tensor.register_hook's functions, run on the gradient that arrives

    def name(self) -> str:
        return self.grad_name

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"  # as PyTorch prints a node


class AccumulateGrad(Node):
    """The node that adds a leaf's incoming gradient into ``leaf.grad``."""

    grad_name = "AccumulateGrad"

    def __init__(self, leaf):
        self._variable = weakref.ref(leaf)
        self.sequence = next(_sequence)

    @property
    def variable(self):
        return self._variable()


class Function(Node):
    """A differentiable op: subclass it with ``forward`` and ``backward`` on arrays.

    Class attributes (``forward`` may refine them for the call at hand):
      op        the op's name in the forward trace (``"mul"``)
      grad_name PyTorch's node name (``"MulBackward0"``)
      inputs    the names of the inputs, in order, as the rules call them (``("a", "b")``)
      rules     the gradient sent to each input, in words (``"grad * b"``): expressions
                over ``grad`` and the named values, evaluated by tests (see rules.py)
      torch     the same op written with PyTorch, over the same names (``"a * b"``); the
                Graph pane's per-node check runs it

    What ``forward`` hands to :meth:`save` is what ``backward`` may read; an input or the
    output among them is watched for in-place changes (version counters) from then on.
    """

    op = "function"
    inputs: tuple[str, ...] = ("a", "b", "c", "d", "e", "f", "g", "h")
    rules: tuple[str, ...] = ()
    torch: str | None = None
    differentiable = True
    extra_outputs = 0  # outputs after the first, returned as tensors that need no grad
    saved: tuple | None = ()
    released = False  # its saved values were freed by a backward without retain_graph
    retained = None  # a weak reference to the output whose .grad it keeps (retain_grad)
    saved_versions: tuple = ()

    def save(self, *arrays):
        self.saved = arrays

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def named_values(self) -> dict:
        """The values a rule's words refer to; by default the saved values, by input name."""
        return dict(zip(self.inputs, self.saved or ()))

    @classmethod
    def input_name(cls, i: int) -> str:
        return cls.inputs[i] if i < len(cls.inputs) else f"input{i}"

    def retain(self, tensor) -> None:
        """Keep the gradient that reaches this node's output in ``tensor.grad``."""
        self.retained = weakref.ref(tensor)

    def link(self, tensors, out, result) -> None:
        """Make ``out`` this node's output and connect the node to its inputs' nodes.

        ``tensors`` has one entry per input: the tensor, or None for a plain value;
        ``result`` is the array ``forward`` returned for ``out``.
        """
        nexts, needs, shapes = [], [], []
        for x in tensors:
            if x is not None and x.requires_grad:
                fn = x.grad_fn
                nexts.append((fn if fn is not None else x.grad_accumulator(), 0))
                needs.append(True)
                shapes.append(x.array.shape)
            else:
                nexts.append((None, 0))
                needs.append(False)
                shapes.append(None)
        self.next_functions = tuple(nexts)
        self.needs_input_grad = tuple(needs)
        self.input_shapes = tuple(shapes)
        self.sequence = next(_sequence)
        if self.saved:
            self.saved_versions = _watched(self.saved, tensors, out, result)
        out.grad_fn = self


def _watched(saved: tuple, tensors, out, result) -> list:
    """(input index or -1 for the output, counter, version, array) of every saved tensor:
    saved by identity with what forward handed on (arrays are compared, not their values)."""
    watched = []
    for i, x in enumerate(tensors):
        if x is not None:
            array = x.array
            for s in saved:
                if s is array:
                    counter = x.version_counter
                    watched.append((i, counter, counter.value, array))
                    break
    output = out.array
    for s in saved:
        if s is result or s is output:
            counter = out.version_counter
            watched.append((-1, counter, counter.value, output))
            break
    return watched


# ---------------------------------------------------------------------------
# The backward pass, one node at a time
# ---------------------------------------------------------------------------
class Step:
    """What one node's backward did: the record the stepper shows.

    ``grad_inputs[i]`` is the gradient sent to input ``i`` (already summed back to the
    input's shape where the forward broadcast it; ``reduced[i]`` then holds the shape it
    had before). ``accumulated[i]`` is True where it was added (``+=``) to a gradient
    that another node had already sent to the same tensor. ``values`` are the node's
    named values (what the rule's words refer to), read just before its backward ran.
    """

    __slots__ = ("index", "node", "grad_output", "grad_inputs", "accumulated", "reduced", "values")

    def __init__(self, index, node, grad_output, grad_inputs, accumulated, reduced, values):
        self.index = index
        self.node = node
        self.grad_output = grad_output
        self.grad_inputs = grad_inputs
        self.accumulated = accumulated
        self.reduced = reduced
        self.values = values

    @property
    def rule(self) -> str:
        return "; ".join(_rule_lines(self, with_numbers=False))

    @property
    def words(self) -> str:
        """The rule in words with the numbers, one line per input."""
        return "\n".join(_rule_lines(self, with_numbers=True))

    def __repr__(self) -> str:
        return f"<Step {self.index}: {self.node.name()}>"


def _rule_lines(step: Step, with_numbers: bool) -> list[str]:
    from .formatting import rule_lines  # only a reader of the words pays for the import

    return rule_lines(step, with_numbers)


def _topological_nodes(root: Node) -> list[Node]:
    """Every node reachable from root, latest-created first (PyTorch's engine order).

    A leaf's AccumulateGrad is made once and kept, so its own number dates from the first
    graph that used the leaf; it is placed as if made just before its first consumer in
    this graph instead (where the first trace put it), so every trace of a model walks
    its leaves in the same order, and still after all their consumers."""
    seen = {root}
    stack = [root]
    leaves: dict = {}  # AccumulateGrad -> its place: (first consumer's number, input slot)
    while stack:
        node = stack.pop()
        inputs = len(node.next_functions)
        for i, (child, _) in enumerate(node.next_functions):
            if child is None:
                continue
            if type(child) is AccumulateGrad:
                place = (node.sequence, i - inputs)  # below the consumer, last input first
                if child not in leaves or place < leaves[child]:
                    leaves[child] = place
            if child not in seen:
                seen.add(child)
                stack.append(child)
    if not leaves:
        return sorted(seen, key=_sequence_of, reverse=True)
    return sorted(seen, key=lambda node: leaves.get(node) or (node.sequence, 0), reverse=True)


def _sequence_of(node) -> int:
    return node.sequence


def _check_root(tensor, gradient):
    if not tensor.requires_grad:
        raise AutogradError(
            "backward: this tensor does not require grad and has no grad_fn, so there is "
            "nothing to differentiate. Create the leaves with requires_grad=True (or call "
            "x.requires_grad_()) before computing it, and don't compute it under no_grad()."
        )
    if gradient is None:
        if tensor.numel() != 1:
            raise AutogradError(
                f"backward: grad can be implicitly created only for scalar outputs, but "
                f"this tensor has shape {shape_str(tensor.shape)} ({tensor.numel()} "
                "elements). Reduce it first (loss = out.sum() or out.mean()), or pass "
                "the gradient: out.backward(gradient=ne.ones_like(out))."
            )
        return tensor.device.backend.ones(tuple(tensor.shape), tensor.dtype)
    if not is_engine_tensor(gradient):
        raise TypeError(
            f"backward: gradient must be a Tensor or None, but got {type(gradient).__name__}; "
            f"make it a tensor shaped like the output ({shape_str(tensor.shape)}), e.g. "
            "gradient=ne.ones_like(out)"
        )
    if gradient.device is not tensor.device:
        raise DeviceError(
            f"backward: gradient is on {device_name(gradient.device)} but the tensor is on "
            f"{device_name(tensor.device)}; move it with gradient.to(tensor.device)."
        )
    if gradient.dtype is not tensor.dtype:  # PyTorch casts it, so .grad keeps the leaf's dtype
        gradient = gradient.to(tensor.dtype)
    gradient = gradient.array
    if tuple(gradient.shape) != tuple(tensor.shape):
        raise AutogradError(
            f"backward: gradient has shape {shape_str(tuple(gradient.shape))} but the tensor "
            f"has shape {shape_str(tuple(tensor.shape))}; they must match."
        )
    return gradient


def _root_node(tensor) -> Node:
    """Where the backward starts: the tensor's grad_fn, or a leaf's own AccumulateGrad."""
    return tensor.grad_fn if tensor.grad_fn is not None else tensor.grad_accumulator()


def backward_steps(tensor, gradient=None, retain_graph=False, _capture=None, _explain=True):
    """Run backward one node at a time, yielding a :class:`Step` after each node."""
    grad = _check_root(tensor, gradient)
    root = _root_node(tensor)
    xp = tensor.device.backend
    pending = {root: grad}
    # ids of gradient arrays that something else also holds: a leaf must copy these
    shared = set() if gradient is None else {id(grad)}
    anomaly = STATE.anomaly
    for index, node in enumerate(_topological_nodes(root)):
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if node.hooks:
            grad = _run_hooks(node, grad)
        if _capture is not None and node in _capture:
            _capture[node] = grad
        if type(node) is AccumulateGrad:
            leaf = node.variable
            fresh = leaf is None or leaf.grad is None
            if _capture is None and leaf is not None:
                owned = id(grad) not in shared and leaf.device.backend.owns(grad)
                leaf.accumulate_grad(grad, owned)
            yield Step(index, node, grad, (), (not fresh,), (), {})
            continue
        step = _run_node(node, grad, node.xp, pending, shared, _explain)
        step.index = index
        if anomaly is not None:
            anomaly.check_backward(node, step.grad_inputs, xp)
        yield step
        if not retain_graph and node.saved:
            node.saved, node.saved_versions = None, ()
            node.released = True


def _run_node(node: Function, grad, xp, pending, shared: set, explain: bool = True) -> Step:
    if node.released:
        raise AutogradError(
            f"backward: trying to backward through the graph a second time. {node.name()} "
            "freed its saved values after the first backward(). Call the first "
            "backward(retain_graph=True) if you need to go through the graph twice, or "
            "recompute the forward."
        )
    if node.saved_versions:
        _check_versions(node)
    values = node.named_values() if explain else {}  # only a reader of Step.words needs them
    raw = node.backward(grad)
    if not isinstance(raw, tuple):
        raw = (raw,)
    sent, accumulated, reduced = [], [], []
    incoming_shared = id(grad) in shared
    for i, (child, _) in enumerate(node.next_functions):
        g = raw[i] if i < len(raw) else None
        if child is None or g is None:
            sent.append(None)
            accumulated.append(False)
            reduced.append(None)
            continue
        shape = node.input_shapes[i]
        reduced.append(tuple(g.shape) if g.shape != shape else None)
        g = sum_to_shape(xp, g, shape)
        if incoming_shared or g is grad or any(g is other for other in sent):
            shared.add(id(g))  # an alias: whoever stores it must copy it
        sent.append(g)
        if child in pending:
            pending[child] = pending[child] + g
            accumulated.append(True)
        else:
            pending[child] = g
            accumulated.append(False)
    retained = node.retained() if node.retained is not None else None
    if retained is not None:
        retained.accumulate_grad(grad)
    return Step(0, node, grad, tuple(sent), tuple(accumulated), tuple(reduced), values)


def _check_versions(node: Function) -> None:
    for index, counter, version, array in node.saved_versions:
        if counter.value != version:
            shape = tuple(array.shape)
            role = "its output" if index < 0 else f"its input {node.input_name(index)}"
            raise AutogradError(
                f"backward: one of the tensors needed for gradient computation has been "
                f"modified by an inplace operation: {node.name()} saved {role} (shape "
                f"{shape_str(shape)}) at version {version}, and it is at version "
                f"{counter.value} now. Use an out-of-place op (y = y * 2 instead of y *= 2), "
                "or .clone() the tensor before changing it."
            )


def _run_hooks(node, grad):
    """Each hook sees the gradient and may hand back another in its place."""
    for hook in node.hooks:
        changed = hook(grad)
        if changed is not None:
            grad = changed
    return grad


class RemovableHandle:
    """What register_hook returns: ``handle.remove()`` takes the hook off again."""

    def __init__(self, node, hook):
        self.node, self.hook = node, hook
        node.hooks = (*node.hooks, hook)

    def remove(self) -> None:
        self.node.hooks = tuple(h for h in self.node.hooks if h is not self.hook)


def backward(tensor, gradient=None, retain_graph=False, grad_tensors=None) -> None:
    """``tensor.backward()``: :func:`backward_steps` run to the end. As
    ``torch.autograd.backward`` it also takes a list of tensors (and of their gradients)."""
    if isinstance(tensor, (list, tuple)):
        grads = grad_tensors if grad_tensors is not None else gradient
        grads = list(grads) if grads is not None else [None] * len(tensor)
        for i, (t, g) in enumerate(zip(tensor, grads)):
            backward(t, g, retain_graph or i < len(tensor) - 1)
        return
    for _ in backward_steps(
        tensor, gradient if gradient is not None else grad_tensors, retain_graph, _explain=False
    ):
        pass


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than stored."""
    single = hasattr(outputs, "grad_fn")
    if not single and len(outputs) != 1:
        raise AutogradError("autograd.grad: pass one output tensor (sum several into one)")
    output = outputs if single else outputs[0]
    if isinstance(grad_outputs, (list, tuple)) and len(grad_outputs) == 1:
        grad_outputs = grad_outputs[0]
    inputs = (inputs,) if hasattr(inputs, "grad_fn") else tuple(inputs)
    targets = []
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise AutogradError(
                f"autograd.grad: input {i} (shape {shape_str(t.shape)}) does not require grad"
            )
        targets.append(_root_node(t))
    capture = dict.fromkeys(targets)
    for _ in backward_steps(output, grad_outputs, bool(retain_graph), _capture=capture):
        pass
    results = []
    for i, node in enumerate(targets):
        g = capture[node]
        if g is None and not allow_unused:
            raise AutogradError(
                f"autograd.grad: input {i} was not used to compute the output; pass "
                "allow_unused=True to get None for it."
            )
        results.append(None if g is None else inputs[i].grad_tensor(g, owned=True))
    return tuple(results)


# ---------------------------------------------------------------------------
# Anomaly detection
# ---------------------------------------------------------------------------
_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_location() -> tuple[str, int]:
    """The innermost (file, line) on the stack that is not the engine's own code."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_ENGINE_DIR + os.sep):
            return filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


class Anomaly:
    """Where a NaN or Inf first appeared: the op, its shapes, and the user's line."""

    def __init__(self, phase, op, grad_name, input_shapes, output_shape, nan, inf, location):
        self.phase = phase
        self.op = op
        self.grad_name = grad_name
        self.input_shapes = input_shapes
        self.output_shape = output_shape
        self.nan = nan
        self.inf = inf
        self.location = location

    def __str__(self) -> str:
        what = " and ".join(
            f"{n} {kind}" for n, kind in ((self.nan, "NaN"), (self.inf, "Inf")) if n
        )
        shapes = ", ".join(shape_str(s) for s in self.input_shapes)
        file, line = self.location
        return (
            f"{self.phase}: {self.op} ({self.grad_name}) produced {what} in its output of "
            f"shape {shape_str(self.output_shape)} from inputs {shapes}; "
            f"called at {file}:{line}"
        )

    __repr__ = __str__


class detect_anomaly:
    """Find the first op (forward order) and the first backward node that made NaN/Inf.

    ``anomaly.forward`` and ``anomaly.backward`` hold :class:`Anomaly` records. A NaN or
    Inf in the forward warns; one in the backward raises :class:`AnomalyError`, naming
    the node and the line of user code whose forward created it.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.forward: Anomaly | None = None
        self.backward: Anomaly | None = None
        self.forward_node = None  # the graph node of the first forward op that made NaN/Inf

    def __enter__(self):
        self.previous = STATE.anomaly
        STATE.anomaly = self
        return self

    def __exit__(self, *exc):
        STATE.anomaly = self.previous
        return False

    @staticmethod
    def _bad_counts(xp, array) -> tuple[int, int]:
        if not str(array.dtype).endswith(("float32", "float64")):
            return 0, 0
        return xp.count_nonzero(xp.isnan(array)), xp.count_nonzero(xp.isinf(array))

    def check_forward(self, cls, node, shapes, out, xp):
        """Called for every op while active; ``shapes`` are those of its tensor inputs."""
        node.created_at = location = user_location()
        if self.forward is not None:
            return
        nan, inf = self._bad_counts(xp, out.array)
        if nan or inf:
            self.forward = Anomaly(
                "forward", cls.op, node.name(), shapes, tuple(out.shape), nan, inf, location
            )
            self.forward_node = node
            warnings.warn(str(self.forward), RuntimeWarning, stacklevel=4)

    def check_backward(self, node, grads, xp):
        for g in grads:
            if g is None:
                continue
            nan, inf = self._bad_counts(xp, g)
            if nan or inf:
                if self.backward is None:
                    shapes = [s for s in node.input_shapes if s is not None]
                    self.backward = Anomaly(
                        "backward",
                        node.op,
                        node.name(),
                        shapes,
                        tuple(g.shape),
                        nan,
                        inf,
                        getattr(node, "created_at", ("<unknown>", 0)),
                    )
                if self.check_nan:
                    raise AnomalyError(
                        f"detect_anomaly: {node.name()} returned NaN or Inf gradients. "
                        f"{self.backward}. Its forward ran at the line above; look at the "
                        "values that reach it."
                    )
                return


def graph_order(tensor) -> list[Node]:
    """The nodes ``backward_steps(tensor)`` will visit, in the order it visits them."""
    if not tensor.requires_grad:
        return []
    return _topological_nodes(_root_node(tensor))
