"""Making tensors: from data, filled, ranges, and random (one seedable stream, the same
numbers on every backend)."""

from __future__ import annotations

import numpy as np

from . import dtypes
from .backends import Device
from .backends import device as parse_device
from .checks import floating, shape_args
from .convert import as_array, numpy_array
from .errors import ArgumentError, DTypeError, UnsupportedDTypeError, shape_str
from .tensor import Tensor

_generator = [np.random.default_rng(0)]


class Generator:
    """A stream of random numbers of one's own, as ``torch.Generator``: pass it as
    ``generator=`` to the random functions, DataLoader or random_split. Its numbers are the
    engine's (numpy's PCG64), not PyTorch's."""

    def __init__(self, device="cpu"):
        self.device = parse_device(device)
        self._seed = 67280421310721  # PyTorch's default seed, for initial_seed()
        self.rng = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Seed from the operating system's randomness, and return that seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63)).initial_seed()

    def __repr__(self) -> str:
        return f"<nnbench.engine.Generator object at {id(self):#x}>"


_default = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the engine's random numbers (the same stream on every backend); returns the
    default generator, as torch.manual_seed does."""
    _generator[0] = np.random.default_rng(seed)
    _default._seed, _default.rng = int(seed), _generator[0]
    return _default


def generator() -> np.random.Generator:
    return _generator[0]


def _creation_device(device) -> Device:
    return parse_device("cpu" if device is None else device)


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor from a number, a (nested) list, a numpy array or a Tensor."""
    target = _creation_device(device)
    out = Tensor.wrap(target.backend.from_numpy(as_array(data, dtype)), target)
    if requires_grad:
        out.requires_grad_(True)
    return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a numpy array (numpy backend), keeping its dtype."""
    return Tensor.wrap(numpy_array(array), parse_device("numpy"))


def _size_arg(op: str, shape: tuple, size) -> tuple:
    """torch's spellings of a shape: ``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=(2, 3))``
    (and, as the engine always took it, ``zeros()`` for 0-d, where torch asks for a size)."""
    if size is None:
        return shape
    if shape:
        raise TypeError(
            f"{op}() got multiple values for argument 'size': {shape} and size={size!r}; "
            "pass the size once"
        )
    return (size,)


def _sizes(op: str, shape) -> tuple:
    """A creation shape: ints, none negative (numpy's own error names neither op nor size)."""
    sizes = shape_args(shape)
    if any(n < 0 for n in sizes):
        raise ArgumentError(
            f"{op}: trying to create a tensor with a negative size: shape "
            f"{shape_str(sizes)}; every size must be 0 or more"
        )
    return sizes


def _filled(fill, shape, dtype, device, requires_grad, op="zeros") -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    out = Tensor.wrap(fill(target.backend, _sizes(op, shape), kind), target)
    return out.requires_grad_(True) if requires_grad else out


def zeros(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape = _size_arg("zeros", shape, size)
    return _filled(lambda xp, s, d: xp.zeros(s, d), shape, dtype, device, requires_grad)


def ones(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape = _size_arg("ones", shape, size)
    return _filled(lambda xp, s, d: xp.ones(s, d), shape, dtype, device, requires_grad, "ones")


def empty(*shape, size=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Zeros: torch leaves the memory uninitialised, and any value may be read there."""
    shape = _size_arg("empty", shape, size)
    return _filled(lambda xp, s, d: xp.zeros(s, d), shape, dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    if dtype is None:
        dtype = dtypes.from_any(type(fill_value)) if not isinstance(fill_value, float) else None
    return _filled(
        lambda xp, s, d: xp.full(s, fill_value, d), (size,), dtype, device, requires_grad, "full"
    )


def zeros_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def ones_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return ones(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def empty_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, device=None) -> Tensor:
    return full(tuple(t.shape), fill_value, dtype=dtype or t.dtype, device=device or t.device)


def arange(start=None, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``arange(end)``, ``arange(start, end, step)``, or keywords (``arange(end=4)``)."""
    if end is None:
        if start is None:
            raise TypeError(
                "arange() missing the end: e.g. arange(5), arange(1, 5) or arange(end=5)"
            )
        start, end = 0, start
    elif start is None:
        start = 0
    _check_range(start, end, step)
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dtype = dtypes.float32 if is_float else dtypes.int64
    target = _creation_device(device)
    kind = dtypes.from_any(dtype)
    out = Tensor.wrap(target.backend.arange(start, end, step, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def _check_range(start, end, step) -> None:
    """PyTorch's checks (numpy divides by zero, or quietly returns an empty range)."""
    import math

    values = [float(v) for v in (start, end, step)]
    if not all(math.isfinite(v) for v in values):
        raise ArgumentError(
            f"arange: unsupported range {start} -> {end} (step {step}): start, end and step "
            "must be finite numbers"
        )
    if values[2] == 0:
        raise ArgumentError(
            f"arange: step must be nonzero, got arange({start}, {end}, {step}); use step=1 "
            "(the default) or any other non-zero step"
        )
    if (values[1] - values[0]) * values[2] < 0:
        raise ArgumentError(
            f"arange: upper bound and lower bound inconsistent with step sign: from {start} "
            f"to {end} with step {step} never arrives. Use a "
            f"{'negative' if values[2] > 0 else 'positive'} step, or swap start and end"
        )


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad=False) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    _sizes("eye", (n, m if m is not None else n))
    out = Tensor.wrap(target.backend.eye(n, m if m is not None else n, kind), target)
    return out.requires_grad_(True) if requires_grad else out


def random_stream(op: str, generator) -> np.random.Generator:
    """The engine's stream (``generator=None``), or a numpy Generator the caller holds."""
    if generator is None:
        return _generator[0]
    if isinstance(generator, Generator):
        return generator.rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"{op}: generator must be None (the engine's stream, seeded by ne.manual_seed), an "
        f"ne.Generator() or a numpy Generator such as np.random.default_rng(0), not "
        f"{type(generator).__name__}"
    )


def _random(sample, shape, dtype, device, requires_grad, op="randn", generator=None) -> Tensor:
    target = _creation_device(device)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    if op in ("randn", "rand") and not kind.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: random floats can't be made as {kind.name} (PyTorch: not implemented "
            f"for that dtype); draw floats and convert, e.g. ne.{op}(3).long(), or use "
            "ne.randint for integers"
        )
    values = sample(random_stream(op, generator), _sizes(op, shape)).astype(kind.numpy)
    out = Tensor.wrap(target.backend.from_numpy(values), target)
    return out.requires_grad_(True) if requires_grad else out


def randn(
    *shape, size=None, generator=None, dtype=None, device=None, requires_grad=False
) -> Tensor:
    shape = _size_arg("randn", shape, size)
    return _random(
        lambda g, s: g.standard_normal(s), shape, dtype, device, requires_grad, "randn", generator
    )


def rand(*shape, size=None, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    shape = _size_arg("rand", shape, size)
    return _random(lambda g, s: g.random(s), shape, dtype, device, requires_grad, "rand", generator)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: ints in low .. high - 1."""
    if isinstance(high, (tuple, list)) and size is None:
        low, high, size = 0, low, high  # randint(10, (3,)): torch's (high, size) form
    if high is None:
        low, high = 0, low
    if size is None:
        size = ()
    if low >= high:
        raise ArgumentError(
            f"randint: low must be less than high, but got low={low}, high={high}; the "
            "numbers are drawn from low .. high - 1"
        )
    kind = dtype if dtype is not None else dtypes.int64
    draw = lambda g, s: g.integers(low, high, s)  # noqa: E731
    return _random(draw, (size,), kind, device, False, "randint", generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """0 .. n - 1 in random order, from the engine's stream (int64 unless dtype= says)."""
    n = _count("randperm", n)
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.int64
    _check_perm_dtype(n, kind)
    if requires_grad and not kind.is_floating_point:
        raise DTypeError(
            f"randperm: only floating point tensors can require gradients, but dtype is "
            f"{kind.name}; pass dtype=ne.float32 as well, or leave requires_grad off"
        )
    draw = lambda g, s: g.permutation(s[0])  # noqa: E731
    return _random(draw, (n,), kind, device, requires_grad, "randperm", generator)


def _count(op: str, n, name: str = "n", meaning: str = "the length of the permutation") -> int:
    """n as an int: a Python or numpy int, or a one-element int tensor (as torch takes);
    ``name`` and ``meaning`` are the argument's, for the errors."""
    if isinstance(n, Tensor) and n.numel() == 1 and not n.dtype.is_floating_point:
        n = n.item()
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        example = "10" if name == "n" else f"{name}=10"
        raise TypeError(
            f"{op}(): argument '{name}' must be an int, not {type(n).__name__} ({n!r}); "
            f"e.g. {op}({'0, 1, ' if name == 'steps' else ''}{example})"
        )
    if n < 0:
        raise ArgumentError(f"{op}: {name} must be 0 or more ({meaning}), got {name}={n}")
    return int(n)


def _check_perm_dtype(n: int, kind: dtypes.DType) -> None:
    """torch's limits: every value 0 .. n - 1 must be held exactly by the dtype."""
    if kind is dtypes.bool_:
        raise UnsupportedDTypeError(
            'randperm: "randperm" is not implemented for bool; use the default int64, or '
            ".bool() on the result"
        )
    if kind.is_floating_point:
        largest = 2 ** (np.finfo(kind.numpy).nmant + 1) + 1
    else:
        largest = int(np.iinfo(kind.numpy).max) + 1
    if n > largest:
        raise ArgumentError(
            f"randperm: n={n} cannot be held by {kind.name} (at most n={largest} there); "
            "use the default int64"
        )


def randn_like(t: Tensor, dtype=None, device=None, requires_grad=False) -> Tensor:
    return randn(
        t.shape, dtype=dtype or t.dtype, device=device or t.device, requires_grad=requires_grad
    )


def rand_like(t: Tensor, dtype=None, device=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, device=device or t.device)


def allclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan=False):
    """torch.allclose: every element of a isclose to b's (same dtype, broadcast)."""
    from .pointwise import allclose as _allclose

    return _allclose(a, b, rtol, atol, equal_nan)


# ---------------------------------------------------------------------- more creation (issue 12)
def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """steps numbers from start to end, evenly spaced, both ends included; computed as
    PyTorch does, from start in the first half and back from end in the second."""
    steps = _count("linspace", steps, "steps", "how many numbers to make")
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    start, end = (float(v.item()) if isinstance(v, Tensor) else v for v in (start, end))
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps, dtype=np.float64)
    values = np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)
    if steps == 1:
        values = np.array([start], np.float64)
    if not kind.is_floating_point:
        values = np.trunc(values)
    target = _creation_device(device)
    out = Tensor.wrap(target.backend.from_numpy(values.astype(kind.numpy)), target)
    return out.requires_grad_(True) if requires_grad else out


def logspace(
    start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False
) -> Tensor:
    """base ** linspace(start, end, steps)."""
    steps = _count("logspace", steps, "steps", "how many numbers to make")
    exponents = linspace(start, end, steps, dtype=dtypes.float64).numpy()
    kind = dtypes.from_any(dtype) if dtype is not None else dtypes.float32
    values = np.power(float(base), exponents)
    if not kind.is_floating_point:
        values = np.trunc(values)
    target = _creation_device(device)
    out = Tensor.wrap(target.backend.from_numpy(values.astype(kind.numpy)), target)
    return out.requires_grad_(True) if requires_grad else out


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Normal samples: mean and std tensors (broadcast together) or numbers with size=.
    The numbers are the engine's stream, not PyTorch's; no gradient flows to mean or std."""
    tensors = [v for v in (mean, std) if isinstance(v, Tensor)]
    if tensors:
        if size is not None:
            raise TypeError(
                "normal: size= is only taken with a float mean and std; with tensors the "
                "shape is theirs (broadcast)"
            )
        first = tensors[0]
        device = first.device if device is None else device
        if dtype is None:
            dtype = (
                dtypes.promote(*(t.dtype for t in tensors)) if len(tensors) == 2 else first.dtype
            )
        if not dtypes.from_any(dtype).is_floating_point:
            raise UnsupportedDTypeError(
                f"normal: expected a floating point mean and std, got {first.dtype.name}; "
                "convert first: mean.float()"
            )
        shapes = [tuple(t.shape) for t in tensors]
        from .checks import check_broadcast

        shape = check_broadcast("normal", shapes, tensors, ["mean", "std"][: len(tensors)])
    else:
        if size is None:
            raise TypeError(
                "normal: with a float mean and std, give the shape: normal(0.0, 1.0, size=(3,))"
            )
        shape = tuple(size) if isinstance(size, (tuple, list)) else (size,)
    m = _host_values(mean)
    s = _host_values(std)
    if np.any(s < 0):
        raise ArgumentError(
            f"normal: expected all elements of std >= 0.0, but found {float(np.min(s))}; a "
            "standard deviation is never negative"
        )
    noise = randn(shape, generator=generator, dtype=dtypes.float64).numpy()
    values = m + s * noise
    return tensor(values, dtype=dtype or dtypes.float32, device=device)


def _host_values(value) -> np.ndarray:
    if isinstance(value, Tensor):
        return value.detach().device.backend.to_numpy(value.array).astype(np.float64)
    return np.asarray(float(value))


def multinomial(input: Tensor, num_samples: int, replacement=False, *, generator=None) -> Tensor:
    """Indices drawn by the (unnormalised, non-negative) weights in each row of input
    (1-d or 2-d); without replacement each index comes at most once per row."""
    op = "multinomial"
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        got = f"shape {shape_str(input.shape)}" if isinstance(input, Tensor) else type(input)
        raise ArgumentError(f"{op}: prob_dist must be 1 or 2 dim, got {got}")
    if not input.dtype.is_floating_point:
        raise UnsupportedDTypeError(
            f"{op}: expected a floating point tensor of weights, got {input.dtype.name}; "
            "convert first: weights.float()"
        )
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise ArgumentError(f"{op}: cannot sample num_samples={num_samples!r} <= 0 samples")
    weights = _host_values(input).reshape(-1, input.shape[-1])
    categories = weights.shape[1]
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ArgumentError(f"{op}: probability tensor contains either inf, nan or element < 0")
    if np.any(weights.sum(1) == 0):
        raise ArgumentError(
            f"{op}: invalid multinomial distribution (sum of probabilities <= 0): a row of "
            "weights is all zeros"
        )
    if not replacement:
        if num_samples > categories:
            raise ArgumentError(
                f"{op}: cannot sample num_samples={num_samples} > prob_dist.size(-1)="
                f"{categories} samples without replacement; pass replacement=True or ask fewer"
            )
        nonzero = int((weights > 0).sum(1).min())
        if num_samples > nonzero:
            raise ArgumentError(
                f"{op}: cannot sample {num_samples} without replacement from a row with "
                f"only {nonzero} non-zero weights; pass replacement=True or ask fewer"
            )
    rng = random_stream(op, generator)
    rows = [
        rng.choice(categories, num_samples, replace=replacement, p=w / w.sum()) for w in weights
    ]
    drawn = np.stack(rows).astype(np.int64)
    if input.ndim == 1:
        drawn = drawn[0]
    return Tensor.wrap(input.device.backend.from_numpy(drawn), input.device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, sharing memory where it can: a Tensor already of that dtype and
    device is returned itself, a numpy array on the numpy backend is shared."""
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(parse_device(device))
        return out if dtype is None else out.to(dtypes.from_any(dtype))
    target = _creation_device(device)
    if isinstance(data, np.ndarray) and target.backend_name == "numpy":
        kind = dtypes.from_any(dtype) if dtype is not None else None
        if kind is None or kind.numpy == data.dtype:
            try:
                return from_numpy(data)
            except (TypeError, ValueError):
                pass
    return tensor(data, dtype=dtype, device=device)


# Tensor's creating methods (t.new_zeros, t.normal_, ...) live here, beside the functions
# they call, and are set on Tensor below: tensor.py cannot import creation.py (a cycle).
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    from .reduce import like_self

    return zeros(*size, **like_self(self, dtype, device), requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    from .reduce import like_self

    return ones(*size, **like_self(self, dtype, device), requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from .reduce import like_self

    out = full(size, fill_value, **like_self(self, dtype, device))
    return out.requires_grad_(True) if requires_grad else out


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    from .reduce import like_self

    return tensor(data, **like_self(self, dtype, device), requires_grad=requires_grad)


def normal_(self, mean=0.0, std=1.0, *, generator=None):

    noise = randn(tuple(self.shape), generator=generator, dtype=floating("normal_", self).dtype)
    return self.copy_(noise * std + mean)


def uniform_(self, a=0.0, b=1.0, *, generator=None, **bounds):

    a, b = bounds.get("from", a), bounds.get("to", b)
    draw = rand(tuple(self.shape), generator=generator, dtype=floating("uniform_", self).dtype)
    return self.copy_(draw * (b - a) + a)


def random_(self, *args, generator=None, **kwargs):
    """random_(to) or random_(from, to): ints in from .. to - 1 (random_() with no
    bounds draws 0 .. 2**24 for floats, as torch's float32 mantissa allows)."""

    low, high = (0, None) if not args else (0, args[0]) if len(args) == 1 else args[:2]
    low, high = kwargs.get("from", low), kwargs.get("to", high)
    if high is None:
        high = 2**24 if self.dtype.is_floating_point else 2 ** (8 * self.dtype.itemsize - 1)
        high = 2 if self.dtype is dtypes.bool_ else high
    return self.copy_(randint(low, high, tuple(self.shape), generator=generator))


Tensor.new_zeros = new_zeros
Tensor.new_ones = new_ones
Tensor.new_empty = new_empty
Tensor.new_full = new_full
Tensor.new_tensor = new_tensor
Tensor.normal_ = normal_
Tensor.uniform_ = uniform_
Tensor.random_ = random_
