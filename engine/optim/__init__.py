"""Optimizers with PyTorch's update arithmetic, and state you can read.

Each optimizer keeps its per-parameter state (momentum buffers; Adam's m and v; the
step count) as engine tensors in ``optimizer.state[param]``, because the app shows
them. ``step()`` updates the arrays in place under no_grad, line for line as PyTorch's
single-tensor implementations do, so runs track PyTorch within float32 rounding.
"""

from __future__ import annotations

import math

from .. import autograd
from ..tensor import Tensor
from . import lr_scheduler


class Optimizer:
    defaults: dict = {}

    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict = {}
        self._work: dict = {}  # scratch arrays for in-place updates
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        group = dict(group)
        group["params"] = list(group["params"])
        for p in group["params"]:
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise ValueError(
                    f"{type(self).__name__}: every parameter must be a tensor that requires "
                    "grad (a leaf made with requires_grad=True, or an nn.Parameter)"
                )
        for key, value in self.defaults.items():
            group.setdefault(key, value)
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
                        p._vc[0] += 1
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
            state[name] = Tensor._make(array, like.device)
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
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)
        ):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the saved optimizer has "
                f"{[len(g['params']) for g in groups]} parameters per group, this one "
                f"{[len(g['params']) for g in self.param_groups]}; they must match"
            )
        params = [p for group in self.param_groups for p in group["params"]]
        by_index = {i: p for i, p in enumerate(params)}
        new_state = {}
        for key, saved in state_dict["state"].items():
            p = by_index[int(key)]
            entry = {}
            for name, value in saved.items():
                if isinstance(value, Tensor):
                    if tuple(value.shape) != tuple(p.shape):
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state {name!r} of "
                            f"parameter {key} has shape {tuple(value.shape)}, the parameter "
                            f"{tuple(p.shape)}"
                        )
                    value = Tensor._make(value.to(p.device).array, p.device)
                    value.array = p.device.backend.copy(value.array)
                entry[name] = value
            new_state[p] = entry
        for group, saved in zip(self.param_groups, groups):
            group.update({k: v for k, v in saved.items() if k != "params"})
        self.state = new_state

    def to(self, device) -> Optimizer:
        """Move the state to a device (the model's parameters are moved by model.to)."""
        self._work = {}
        for entry in self.state.values():
            for value in entry.values():
                if isinstance(value, Tensor):
                    moved = value.to(device)
                    value.array, value.device = moved.array, moved.device
        return self

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    def __init__(
        self, params, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0
    ):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        _check(lr=lr, momentum=momentum, weight_decay=weight_decay)
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
            weight_decay=weight_decay,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
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
        state["step"] = state.get("step", 0) + 1
        p.array -= group["lr"] * grad


class RMSprop(Optimizer):
    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
        centered=False,
    ):  # fmt: skip
        _check(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(
            lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
            centered=centered,
        )  # fmt: skip
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        xp = p.device.backend
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p.array
        alpha = group["alpha"]
        state["step"] = state.get("step", 0) + 1
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
    """Adam; ``state[p]`` holds ``exp_avg`` (m), ``exp_avg_sq`` (v) and ``step``."""

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        _check(lr=lr, eps=eps, weight_decay=weight_decay, beta1=betas[0], beta2=betas[1])
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _update(self, p, grad, state, group):
        xp = p.device.backend
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        state["step"] = step = state.get("step", 0) + 1
        if group["weight_decay"]:
            if self.decoupled:
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
        step = state.get("step", 0)
        if not step:
            return None, None
        return (
            state["exp_avg"].array / (1 - beta1**step),
            state["exp_avg_sq"].array / (1 - beta2**step),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas, eps, weight_decay)


def _check(**values) -> None:
    for name, value in values.items():
        upper = 1.0 if name in ("beta1", "beta2", "alpha") else math.inf
        if not 0.0 <= value <= upper or (name in ("beta1", "beta2") and value >= 1.0):
            raise ValueError(f"invalid {name}: {value} (must be in [0, {upper}))")


__all__ = ["SGD", "RMSprop", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
