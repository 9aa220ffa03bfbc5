"""nn.Module and nn.Parameter: parameters registered by assignment, as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from .. import autograd, interop
from ..autograd import STATE, Function
from ..creation import zeros
from ..errors import DTypeError, EngineError, ShapeError, describe, shape_str
from ..tensor import Tensor, _to_arguments, apply


class Parameter(Tensor):
    """A tensor that is a module's learnable weight: a leaf that requires grad."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = zeros(0)
        if not isinstance(data, Tensor):
            raise TypeError(
                f"Parameter: data must be a Tensor, but got {type(data).__name__}; "
                "make one first, e.g. nn.Parameter(ne.tensor(values))"
            )
        if requires_grad and not data.dtype.is_floating_point:
            raise DTypeError(
                f"Parameter: only Tensors of floating point dtype can require gradients, but got "
                f"{describe('data', data)}. Convert it with data.float(), or pass "
                "requires_grad=False for a parameter that is never trained."
            )
        return cls.wrap(data.array, data.device, requires_grad)

    def __init__(self, data=None, requires_grad: bool = True):
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of layers and models: assign Parameters and Modules as attributes."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_backward_hooks", [])
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}: call super().__init__() before assigning {name!r}"
            )
        if value is None and name in self._parameters:
            self._parameters[name] = None  # a registered slot stays registered, as in PyTorch
            return
        _check_reassignment(self, name, value)
        if name in self._buffers and (value is None or isinstance(value, Tensor)):
            self._buffers[name] = value  # assigning a tensor to a buffer updates it (PyTorch)
            return
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self.__dict__.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self.__dict__.pop(name, None)
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        for registry in ("_parameters", "_modules", "_buffers"):
            found = self.__dict__.get(registry, {})
            if name in found:
                return found[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            if name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Tensor | None) -> None:
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(
                f"{type(self).__name__}.register_buffer: cannot assign {type(value).__name__} "
                f"object to buffer {name!r} (a Tensor or None required)"
            )
        self._buffers[name] = value

    def register_parameter(self, name: str, value: Parameter | None) -> None:
        if value is not None and not isinstance(value, Parameter):
            raise TypeError(
                f"{type(self).__name__}.register_parameter: cannot assign "
                f"{type(value).__name__} object to parameter {name!r} (nn.Parameter or None "
                "required); wrap it: nn.Parameter(t)"
            )
        self._parameters[name] = value

    def add_module(self, name: str, module: Module) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: {_name_of(module)} is not a Module subclass "
                f"(module {name!r}); {_module_hint(module)}"
            )
        self._modules[name] = module

    # ------------------------------------------------------------------ traversal
    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = ""):
        for module_prefix, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{module_prefix}.{name}" if module_prefix else name), b

    # ------------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array = p.grad.array * 0

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # ------------------------------------------------------------------ calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        hooked = bool(self._backward_hooks) and STATE.grad_enabled
        if hooked:
            args, state = _hook_inputs(self, args)
        STATE.module_stack.append(self)
        try:
            output = self.forward(*args, **kwargs)
        finally:
            STATE.module_stack.pop()
        for hook in self._forward_hooks:
            result = hook(self, args, output)
            if result is not None:
                output = result
        if hooked and isinstance(output, Tensor) and output.requires_grad:
            output = apply(_HookOutput, output, state=state)
        return output

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) runs after forward; a non-None result replaces it."""
        self._forward_hooks.append(hook)
        return _Handle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) runs when the inputs' gradients are known."""
        self._backward_hooks.append(hook)
        return _Handle(self._backward_hooks, hook)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> OrderedDict:
        """Each module's parameters, then its buffers, module by module (PyTorch's order)."""
        out, seen = OrderedDict(), set()
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    out[f"{prefix}.{name}" if prefix else name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None:
                    out[f"{prefix}.{name}" if prefix else name] = b.detach()
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values in; every key and shape is checked first, so a bad dict changes nothing."""
        _check_state_dict(self, state_dict)
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        wrong = [
            f"{k}: checkpoint {shape_str(tuple(state_dict[k].shape))}, "
            f"model {shape_str(tuple(own[k].shape))}"
            for k in own
            if k in state_dict and tuple(state_dict[k].shape) != tuple(own[k].shape)
        ]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if wrong:
            problems.append("wrong shapes: " + "; ".join(wrong))
        if problems:
            raise ShapeError(
                f"load_state_dict for {type(self).__name__}: "
                + " | ".join(problems)
                + ". Nothing was loaded. Check that the checkpoint matches this model "
                "(or pass strict=False to skip missing and unexpected keys)."
            )
        with autograd.no_grad():
            for name, target in own.items():
                if name in state_dict:
                    target.copy_(state_dict[name].to(target.dtype))
        return _IncompatibleKeys(missing, unexpected)

    def to(self, *args, **kwargs) -> Module:
        """Move every parameter, gradient and buffer in place (to a device and/or dtype)."""
        with autograd.no_grad():
            for t in list(self.parameters()) + [b for _, b in self.named_buffers()]:
                _move_in_place(t, args, kwargs)
                if t.grad is not None:
                    _move_in_place(t.grad, args, kwargs)
        return self

    def cpu(self) -> Module:
        return self.to("cpu")

    def cuda(self) -> Module:
        return self.to("cuda")

    def float(self) -> Module:
        return self.to("float32")

    def double(self) -> Module:
        return self.to("float64")

    def half(self) -> Module:
        return self.to("float16")

    # ------------------------------------------------------------------ interop
    def to_torch(self):
        """An equivalent torch.nn.Module with the same weights."""
        return interop.to_torch(self)

    @staticmethod
    def from_torch(torch_module) -> Module:
        return interop.from_torch(torch_module, _engine_layers())

    # ------------------------------------------------------------------ repr
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = [
            f"({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self._modules.items()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not children:
            return head + ")"
        return head + "\n  " + "\n  ".join(children) + "\n)"


def _engine_layers() -> dict[str, type]:
    """The engine's own layer classes by name (Linear, ReLU, ...), for from_torch."""
    found, stack = {}, [Module]
    while stack:
        for cls in stack.pop().__subclasses__():
            if cls.__module__.startswith("nnbench.engine.nn"):
                found.setdefault(cls.__name__, cls)
            stack.append(cls)
    return found


def module_name(module: Module) -> str:
    """'Linear(in_features=5, ...) (model.layers.2 of MLP)': the layer and where it sits in
    the model being called, for error messages."""
    head = f"{type(module).__name__}({module.extra_repr()})"
    root = STATE.module_stack[0] if STATE.module_stack else None
    if root is None or root is module:
        return head
    path = next((name for name, m in root.named_modules() if m is module), None)
    return f"{head} (layer {path!r} of {type(root).__name__})" if path else head


def _check_state_dict(module: Module, state_dict) -> None:
    """PyTorch's checks: a mapping (TypeError), of tensors (RuntimeError)."""
    name = type(module).__name__
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"load_state_dict for {name}: expected state_dict to be dict-like (name -> "
            f"tensor, what model.state_dict() returns), got {type(state_dict).__name__}"
        )
    for key, value in state_dict.items():
        if not isinstance(value, Tensor):
            raise EngineError(
                f"load_state_dict for {name}: while copying the parameter named {key!r}, "
                f"expected a Tensor from the checkpoint but received {type(value).__name__}. "
                "Nothing was loaded; convert values with ne.tensor(value) first."
            )


def _check_reassignment(module: Module, name: str, value) -> None:
    """A registered parameter or child stays one: PyTorch refuses to swap in another kind."""
    if name in module._parameters and not isinstance(value, Parameter):
        raise TypeError(
            f"{type(module).__name__}: cannot assign {type(value).__name__} as parameter "
            f"{name!r} (nn.Parameter or None expected). To change its values use "
            f"`with ne.no_grad(): module.{name}.copy_(t)`, or assign nn.Parameter(t)."
        )
    if name in module._modules and value is not None and not isinstance(value, Module):
        raise TypeError(
            f"{type(module).__name__}: cannot assign {type(value).__name__} as child module "
            f"{name!r} (nn.Module or None expected)"
        )


def _name_of(thing) -> str:
    if isinstance(thing, type) or callable(thing) and hasattr(thing, "__qualname__"):
        return f"{thing.__module__}.{thing.__qualname__}"
    return type(thing).__name__


def _module_hint(thing) -> str:
    if isinstance(thing, type) and issubclass(thing, Module):
        return f"pass an instance, {thing.__name__}(), not the class"
    if isinstance(thing, (list, tuple)):
        return "unpack the list: nn.Sequential(*layers), or use nn.ModuleList(layers)"
    if callable(thing):
        return "use the layer (e.g. nn.ReLU() rather than F.relu), or wrap it in a Module"
    return "only nn.Module instances can be children"


def _move_in_place(t: Tensor, args, kwargs) -> None:
    target_device, target_dtype = _to_arguments(args, kwargs)
    if target_dtype is not None and not t.dtype.is_floating_point:
        moved = t.to(target_device) if target_device is not None else t  # as PyTorch: a
    else:  # count such as num_batches_tracked keeps its integer dtype
        moved = t.to(*args, **kwargs)
    t.array, t.device = moved.array, moved.device


class _IncompatibleKeys:
    def __init__(self, missing, unexpected):
        self.missing_keys, self.unexpected_keys = missing, unexpected

    def __repr__(self) -> str:
        if not (self.missing_keys or self.unexpected_keys):
            return "<All keys matched successfully>"
        return (
            f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
            f"unexpected_keys={self.unexpected_keys})"
        )


class _Handle:
    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self) -> None:
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


# ---------------------------------------------------------------------- backward hooks
class _HookState:
    def __init__(self, module, count):
        self.module, self.grad_output = module, None
        self.grad_input = [None] * count
        self.pending = 0


def _hook_inputs(module, args):
    tensors = [a for a in args if isinstance(a, Tensor)]
    state = _HookState(module, len(tensors))
    wrapped, position = [], 0
    for a in args:
        if isinstance(a, Tensor):
            if a.requires_grad:
                state.pending += 1
                a = apply(_HookInput, a, state=state, position=position)
            position += 1
        wrapped.append(a)
    return tuple(wrapped), state


def _fire(state: _HookState) -> None:
    for hook in state.module._backward_hooks:
        hook(state.module, tuple(state.grad_input), (state.grad_output,))


class _HookOutput(Function):
    """Identity that notes the module's output gradient (PyTorch's hook node)."""

    op, grad_name = "backward_hook", "BackwardHookFunctionBackward"
    rules = ("grad",)  # unchanged: the hook only sees it

    def forward(self, a, state):
        self.state = state
        return a

    def backward(self, grad):
        self.state.grad_output = Tensor.wrap(grad, self.xp.device)
        if self.state.pending == 0:  # no input needs a gradient: fire now, as PyTorch does
            _fire(self.state)
        return (grad,)


class _HookInput(Function):
    op, grad_name = "backward_hook", "BackwardHookFunctionBackward"
    rules = ("grad",)  # unchanged: the hook only sees it

    def forward(self, a, state, position):
        self.state, self.position = state, position
        return a

    def backward(self, grad):
        state = self.state
        state.grad_input[self.position] = Tensor.wrap(grad, self.xp.device)
        state.pending -= 1
        if state.pending == 0:
            _fire(state)
        return (grad,)
