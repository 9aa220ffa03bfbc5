"""Optimizers with PyTorch's update arithmetic, and state you can read.

Each optimizer keeps its per-parameter state (momentum buffers; Adam's m and v; the
step count) as engine tensors in ``optimizer.state[param]``, because the app shows
them. ``step()`` updates the arrays in place under no_grad, line for line as PyTorch's
single-tensor implementations do, so runs track PyTorch within float32 rounding.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import autograd
from ..backends import device as parse_device
from ..errors import shape_str
from ..tensor import Tensor
from . import lr_scheduler


class Optimizer:
    defaults: dict = {}
    flags: dict = {}  # PyTorch's switches (maximize, foreach, ...) and their defaults

    def __init__(self, params, defaults: dict):
        defaults = dict(defaults)
        flags = _flags(type(self).__name__, self.flags, defaults)  # takes them out of defaults
        self.defaults = {**defaults, **flags}
        self.param_groups: list[dict] = []
        self.state: dict = {}
        self._work: dict = {}  # scratch arrays for in-place updates
        for group in _groups(type(self).__name__, params):
            self.add_param_group(group)
        if not any(p.requires_grad for g in self.param_groups for p in g["params"]):
            # PyTorch accepts this silently (a frozen parameter is fine); all of them frozen
            # is almost always a forgotten requires_grad=True.
            warnings.warn(
                f"{type(self).__name__}: none of the parameters requires grad, so step() "
                "will never change them; make them with requires_grad=True (or use "
                "nn.Parameter)",
                UserWarning,
                stacklevel=3,
            )

    def add_param_group(self, group: dict) -> None:
        """Add a group, checked as PyTorch checks it: tensors only, leaves only, no overlap."""
        name = type(self).__name__
        if not isinstance(group, dict):
            raise TypeError(
                f"{name}: param_group must be a dict, but got {type(group).__name__}. Give "
                "either a list of tensors or a list of dicts like {'params': [...], 'lr': 0.1}, "
                "not a mix of both."
            )
        if "params" not in group:
            raise _KeyError(
                f"{name}: a param group needs a 'params' entry, but it has only "
                f"{sorted(group)}; e.g. {{'params': model.parameters(), 'lr': 0.1}}"
            )
        group = dict(group)
        group["params"], names = _group_params(name, group["params"])
        if names:
            group["param_names"] = names
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        ids = [id(p) for p in group["params"]]
        if len(set(ids)) != len(ids):
            warnings.warn(
                f"{name}: a parameter group holds the same tensor more than once, so step() "
                "updates it more than once; list each parameter once (PyTorch warns too)",
                UserWarning,
                stacklevel=3,
            )
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError(
                f"{name}: some parameters appear in more than one parameter group; "
                "give each parameter to exactly one group"
            )
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.array = p.grad.array * 0

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with autograd.enable_grad():
                loss = closure()
        with autograd.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad.array, self.state.setdefault(p, {}), group)
                        p.version_counter.bump()
        return loss

    def _update(self, p: Tensor, grad, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _scratch(self, p: Tensor) -> tuple:
        """Two work arrays shaped like p, reused every step; not state (never saved)."""
        key = (id(p), p.device, p.dtype, tuple(p.shape))
        pair = self._work.get(key)
        if pair is None:
            xp = p.device.backend
            pair = self._work[key] = (xp.zeros(key[3], p.dtype), xp.zeros(key[3], p.dtype))
        return pair

    def _buffer(self, state: dict, name: str, like: Tensor, fill=None) -> Tensor:
        if name not in state:
            xp = like.device.backend
            array = xp.zeros(tuple(like.shape), like.dtype) if fill is None else xp.copy(fill)
            state[name] = Tensor.wrap(array, like.device)
        return state[name]

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {
            index[id(p)]: {k: (v.detach() if isinstance(v, Tensor) else v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load what state_dict() gave; everything is checked first, so a bad dict changes
        nothing."""
        name = f"{type(self).__name__}.load_state_dict"
        groups = _saved_groups(name, state_dict)
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: loaded state dict has a different number of parameter groups: "
                f"{len(groups)} saved, {len(self.param_groups)} in this optimizer; build the "
                "optimizer with the same groups as the one that was saved"
            )
        saved_sizes = [len(g["params"]) for g in groups]
        own_sizes = [len(g["params"]) for g in self.param_groups]
        if saved_sizes != own_sizes:
            raise ValueError(
                f"{name}: loaded state dict contains a parameter group that doesn't match the "
                f"size of the optimizer's group: {saved_sizes} parameters per group saved, "
                f"{own_sizes} here; check the checkpoint belongs to this model"
            )
        own_params = [p for group in self.param_groups for p in group["params"]]
        by_index = dict(zip((i for g in groups for i in g["params"]), own_params))
        for saved in groups:
            for flag, value in self.flags.items():  # older checkpoints have no flags
                saved.setdefault(flag, self.defaults.get(flag, value))
            missing = [k for k in self.defaults if k not in saved]
            if missing:
                raise ValueError(
                    f"{name}: the saved param group has no {', '.join(map(repr, missing))}, "
                    f"which {type(self).__name__} needs; was it saved from another optimizer "
                    f"(its group has {', '.join(k for k in saved if k != 'params')})?"
                )
        new_state = {
            by_index[index]: _saved_entry(name, index, saved, by_index[index])
            for index, saved in _saved_state(name, state_dict, by_index)
        }
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k not in ("params", "param_names")})
        self.state = new_state

    def to(self, device) -> Optimizer:
        """Move the state to a device (the model's parameters are moved by model.to)."""
        self._work = {}
        for entry in self.state.values():
            for key, value in entry.items():
                if isinstance(value, Tensor) and key != "step":  # the count stays on the CPU
                    moved = value.to(device)
                    value.array, value.device = moved.array, moved.device
        return self

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines += [""] if i else []  # a blank line between groups, as PyTorch prints them
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    flags = {"maximize": False, "foreach": None, "differentiable": False, "fused": None}

    def __init__(
        self, params, lr=1e-3, momentum=0, dampening=0, nesterov=False, weight_decay=0, **flags
    ):
        lr, momentum, dampening, weight_decay = (
            _number("SGD", k, v)
            for k, v in [("lr", lr), ("momentum", momentum), ("dampening", dampening),
                         ("weight_decay", weight_decay)]
        )  # fmt: skip
        _at_least_zero("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum and zero dampening, but got "
                f"momentum={momentum}, dampening={dampening}; e.g. momentum=0.9, nesterov=True"
            )
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            **flags,
        )  # fmt: skip (PyTorch's order, which state_dict() shows)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                buffer = self._buffer(state, "momentum_buffer", p, fill=grad)
            else:
                buffer = state["momentum_buffer"]
                buffer.array *= momentum
                buffer.array += (1 - group["dampening"]) * grad
            grad = grad + momentum * buffer.array if group["nesterov"] else buffer.array
        p.array -= group["lr"] * grad


class RMSprop(Optimizer):
    flags = {"capturable": False, "foreach": None, "maximize": False, "differentiable": False}

    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
        centered=False, **flags,
    ):  # fmt: skip
        lr, alpha, eps, weight_decay, momentum = (
            _number("RMSprop", k, v)
            for k, v in [("lr", lr), ("alpha", alpha), ("eps", eps),
                         ("weight_decay", weight_decay), ("momentum", momentum)]
        )  # fmt: skip
        # PyTorch checks only that each is >= 0 (alpha > 1 is accepted), and so do we.
        _at_least_zero(
            "RMSprop", lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha
        )
        defaults = dict(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
            weight_decay=weight_decay, **flags,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        xp = p.device.backend
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        alpha = group["alpha"]
        count_step(state)
        square_avg = self._buffer(state, "square_avg", p).array
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = self._buffer(state, "grad_avg", p).array
            grad_avg += (grad - grad_avg) * (1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = xp.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = self._buffer(state, "momentum_buffer", p).array
            buffer *= group["momentum"]
            buffer += grad / avg
            p.array -= group["lr"] * buffer
        else:
            p.array += (-group["lr"] * grad) / avg


class Adam(Optimizer):
    """Adam; ``state[p]`` holds ``exp_avg`` (m), ``exp_avg_sq`` (v) and ``step`` (and
    ``max_exp_avg_sq`` with amsgrad)."""

    flags = {
        "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
        "differentiable": False, "fused": None, "decoupled_weight_decay": False,
    }  # fmt: skip

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, **flags):
        name = type(self).__name__
        lr, eps, weight_decay = (
            _number(name, k, v)
            for k, v in [("lr", lr), ("eps", eps), ("weight_decay", weight_decay)]
        )
        _at_least_zero(name, lr=lr, eps=eps)
        betas = _betas(name, betas)
        _at_least_zero(name, weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **flags)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        xp = p.device.backend
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        step = count_step(state)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            if group["decoupled_weight_decay"]:
                p.array *= 1 - lr * group["weight_decay"]
            else:
                grad = grad + group["weight_decay"] * p.array
        m = self._buffer(state, "exp_avg", p).array
        v = self._buffer(state, "exp_avg_sq", p).array
        # In place, in PyTorch's order of operations, into two scratch buffers kept between
        # steps (not part of the state): no allocation on the hot path.
        a, b = self._scratch(p)
        xp.subtract(grad, m, out=a)
        a *= 1 - beta1
        m += a  # m.lerp_(grad, 1 - beta1)
        xp.multiply(grad, 1 - beta2, out=a)
        a *= grad
        v *= beta2
        v += a  # v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step_size = lr / (1 - beta1**step)
        if group["amsgrad"]:  # the denominator from the largest v seen so far
            v = self._buffer(state, "max_exp_avg_sq", p).array
            xp.maximum_into(v, state["exp_avg_sq"].array, out=v)
        xp.sqrt_into(v, out=b)
        b /= math.sqrt(1 - beta2**step)
        b += eps  # the denominator
        xp.multiply(m, -step_size, out=a)
        a /= b
        p.array += a  # p.addcdiv_(m, denominator, value=-step_size)

    @staticmethod
    def corrected(state: dict, group: dict) -> tuple:
        """The bias-corrected m-hat and v-hat of one parameter's state, as arrays."""
        beta1, beta2 = group["betas"]
        step = int(state.get("step", 0))
        if not step:
            return None, None
        return (
            state["exp_avg"].array / (1 - beta1**step),
            state["exp_avg_sq"].array / (1 - beta2**step),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    flags = {**Adam.flags, "decoupled_weight_decay": True}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, **flags):
        super().__init__(params, lr, betas, eps, weight_decay, **flags)


class Adagrad(Optimizer):
    """Adagrad; ``state[p]`` holds ``sum`` (the running sum of squared gradients, started at
    initial_accumulator_value when the optimizer is made, as in PyTorch) and ``step``."""

    flags = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}

    def __init__(
        self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
        eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None,
    ):  # fmt: skip
        lr, lr_decay, weight_decay, initial, eps = (
            _number("Adagrad", k, v)
            for k, v in [("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay),
                         ("initial_accumulator_value", initial_accumulator_value), ("eps", eps)]
        )  # fmt: skip
        _at_least_zero(
            "Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial, eps=eps,
        )  # fmt: skip
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            eps=eps,
            weight_decay=weight_decay,
            initial_accumulator_value=initial,
            foreach=foreach,
            maximize=maximize,
            differentiable=differentiable,
            fused=fused,
        )  # fmt: skip (PyTorch's order)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.setdefault(p, {})
                state["step"] = Tensor.wrap(np.asarray(0.0, np.float32), _CPU)
                xp = p.device.backend
                fill = group["initial_accumulator_value"]
                state["sum"] = Tensor.wrap(xp.full(tuple(p.shape), fill, p.dtype), p.device)

    def _update(self, p, grad, state, group):
        xp = p.device.backend
        step = count_step(state)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = self._buffer(state, "sum", p).array
        total += grad * grad
        std = xp.sqrt(total) + group["eps"]
        p.array += (-clr * grad) / std


class _KeyError(KeyError):
    """A KeyError (PyTorch's class for a missing key) whose message prints unquoted."""

    def __str__(self) -> str:
        return str(self.args[0])


def _groups(name: str, params) -> list:
    """The constructor's params as a list of group dicts, with PyTorch's checks."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{name}: params argument given to the optimizer should be an iterable of Tensors "
            f"or dicts, but got a single Tensor of shape {shape_str(tuple(params.shape))}. "
            f"Wrap it in a list: {name}([p], lr=...), or pass model.parameters()."
        )
    try:
        params = list(params)
    except TypeError:
        hint = " (did you mean model.parameters()?)" if hasattr(params, "parameters") else ""
        raise TypeError(
            f"{name}: params must be an iterable of Tensors or dicts, but got "
            f"{type(params).__name__}, which is not iterable{hint}"
        ) from None
    if not params:
        raise ValueError(
            f"{name}: optimizer got an empty parameter list. If you passed "
            "model.parameters() to an earlier optimizer, that generator is used up: call "
            "model.parameters() again (or list() it once); a model with no layers has no "
            "parameters either."
        )
    return params if isinstance(params[0], dict) else [{"params": params}]


def _group_params(name: str, params) -> tuple[list, list]:
    """A group's tensors (and their names, for (name, tensor) pairs), each checked."""
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError(
            f"{name}: optimizer parameters need to be organized in ordered collections, but "
            "the ordering of tensors in sets will change between runs. Please use a list."
        )
    params = list(params)
    pairs = [p for p in params if isinstance(p, tuple)]
    if pairs and len(pairs) != len(params):
        raise ValueError(f"{name}: either every parameter has a name or none does")
    names = [pair[0] for pair in pairs]
    tensors = [pair[1] for pair in pairs] if pairs else params
    for i, p in enumerate(tensors):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{name}: optimizer can only optimize Tensors, but parameter {i} is "
                f"{type(p).__name__} ({p!r:.60}); pass model.parameters() or a list of tensors"
            )
        if not (p.is_leaf or p.retains_grad):
            raise ValueError(
                f"{name}: can't optimize a non-leaf Tensor: parameter {i} (shape "
                f"{shape_str(tuple(p.shape))}) was computed by {p.grad_fn.name()}, so its "
                "gradient never reaches it and step() could not change what made it. Optimize "
                "the leaf it was computed from, or make it a leaf: p = p.detach().requires_grad_()"
            )
    return tensors, names


def _saved_groups(name: str, state_dict) -> list:
    if not isinstance(state_dict, dict):
        raise TypeError(
            f"{name}: expected a dict with 'state' and 'param_groups' (what "
            f"optimizer.state_dict() returns), but got {type(state_dict).__name__}"
        )
    for key in ("state", "param_groups"):
        if key not in state_dict:
            raise _KeyError(
                f"{name}: the state dict has no {key!r} entry (it has {sorted(state_dict)}); "
                "pass what optimizer.state_dict() returned, not the model's state dict"
            )
    groups = state_dict["param_groups"]
    if not isinstance(groups, (list, tuple)) or not all(
        isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in groups
    ):
        raise ValueError(
            f"{name}: 'param_groups' must be a list of dicts, each with a 'params' list of "
            "indices, as optimizer.state_dict() writes it"
        )
    return groups


def _saved_state(name: str, state_dict, by_index: dict):
    """(index, entry) pairs of the saved per-parameter state, each index one we know."""
    state = state_dict["state"]
    if not isinstance(state, dict):
        raise ValueError(f"{name}: 'state' must be a dict, got {type(state).__name__}")
    for key, entry in state.items():
        try:
            index = int(key)
        except (TypeError, ValueError):
            index = None
        if index not in by_index:
            # PyTorch keeps state for an unknown index and never uses it; that only hides a
            # checkpoint that does not belong to this optimizer, so we say so instead.
            raise ValueError(
                f"{name}: state for parameter index {key!r}, but the saved param groups list "
                f"only indices {sorted(by_index)}; the checkpoint does not match this optimizer"
            )
        if not isinstance(entry, dict):
            raise ValueError(
                f"{name}: state of parameter {index} must be a dict (e.g. {{'step': 3, "
                f"'exp_avg': tensor}}), got {type(entry).__name__}"
            )
        yield index, entry


def _saved_entry(name: str, index: int, saved: dict, p: Tensor) -> dict:
    entry = {}
    for key, value in saved.items():
        if isinstance(value, Tensor):
            if key != "step" and tuple(value.shape) != tuple(p.shape):
                raise ValueError(
                    f"{name}: state {key!r} of parameter {index} has shape "
                    f"{shape_str(tuple(value.shape))}, but the parameter has shape "
                    f"{shape_str(tuple(p.shape))}; the checkpoint does not match this model"
                )
            value = Tensor.wrap(p.device.backend.copy(value.to(p.device).array), p.device)
        entry[key] = value
    return entry


def _number(name: str, key: str, value) -> float:
    """A hyperparameter as a Python number; a 1-element tensor (PyTorch allows one for lr and
    betas) is read once here, so later in-place edits to that tensor do not reach the
    optimizer: set group['lr'] (or use a scheduler) to change it."""
    if hasattr(value, "numel") and hasattr(value, "item"):
        if value.numel() != 1:
            raise ValueError(
                f"{name}: Tensor {key} must be 1-element, but it has shape "
                f"{shape_str(tuple(value.shape))}; pass one number, e.g. {key}=0.01"
            )
        return value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: {key} must be a number, but got {type(value).__name__} {value!r}")
    return value


def count_step(state: dict) -> int:
    """state['step'] += 1, kept as PyTorch keeps it: a float32 0-d tensor on the CPU (read
    without touching the device the parameters are on)."""
    step = state.get("step")
    if not isinstance(step, Tensor):  # the first step, or an older checkpoint's number
        step = state["step"] = Tensor.wrap(np.asarray(float(step or 0), np.float32), _CPU)
    step.array += 1
    return int(step.array)


_CPU = parse_device("numpy")
_UNSUPPORTED = {"capturable": "CUDA graphs", "differentiable": "differentiating through step()"}


def _flags(name: str, flags: dict, given: dict) -> dict:
    """PyTorch's switches: known ones with their defaults; those for CUDA graphs or a
    differentiable step() are refused if switched on (the engine has neither)."""
    out = dict(flags)
    for key in list(given):
        if key in flags:
            out[key] = given.pop(key)
    unknown = sorted(k for k in given if k not in _KNOWN)
    if unknown:
        raise TypeError(
            f"{name}: unexpected argument(s) {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(set(_KNOWN) | set(flags)))}"
        )
    for key, why in _UNSUPPORTED.items():
        if out.get(key):
            raise ValueError(f"{name}: {key}=True is for {why}, which nnbench does not have")
    return out


_KNOWN = {
    "lr", "momentum", "dampening", "nesterov", "weight_decay", "alpha", "eps", "centered",
    "betas", "lr_decay", "initial_accumulator_value",
}  # fmt: skip


def _at_least_zero(name: str, **values) -> None:
    """PyTorch's checks: each value >= 0 (NaN fails), else ValueError naming it."""
    for key, value in values.items():
        if not value >= 0.0:  # written so that NaN fails too
            raise ValueError(f"{name}: invalid {key}: {key}={value} (it must be >= 0)")


def _betas(name: str, betas) -> tuple[float, float]:
    if not isinstance(betas, (tuple, list)):
        raise TypeError(
            f"{name}: betas must be a pair (beta1, beta2), e.g. betas=(0.9, 0.999), "
            f"but got {type(betas).__name__} {betas!r}"
        )
    if len(betas) != 2:
        raise IndexError(
            f"{name}: betas must be a pair (beta1, beta2), e.g. betas=(0.9, 0.999), "
            f"but got {len(betas)} value(s): {tuple(betas)!r}"
        )
    tensors = [hasattr(b, "numel") for b in betas]
    floats = [isinstance(b, float) for b in betas]
    if not (all(tensors) or all(floats)):
        raise ValueError(
            f"{name}: betas must be either both floats or both Tensors (PyTorch's rule), but "
            f"got {tuple(betas)!r}; write 0.0 rather than 0, e.g. betas=(0.0, 0.999)"
        )
    values = tuple(_number(name, f"betas[{i}]", b) for i, b in enumerate(betas))
    for i, value in enumerate(values):
        if not 0.0 <= value < 1.0:
            raise ValueError(
                f"{name}: invalid beta parameter at index {i}: {value} (it must be in [0, 1))"
            )
    return values


__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Optimizer", "lr_scheduler"]
