"""Shape and indexing functions with PyTorch's names: flip, roll, diagonal, repeat, split,
meshgrid, scatter, index_select, einsum, ... (the Tensor methods of the same names call
these). Each checks its operands, then applies one op of engine/ops, or composes the few
that PyTorch's own graph shows (``einsum`` is diagonal, sum, permute, mul and reshape).

Views as in PyTorch: diagonal, narrow, movedim, swapaxes, unfold, split, chunk, unbind,
unflatten and view_as share memory with their input (an in-place change through them
reaches the base); flip, roll, repeat, tile, index_select and the rest copy.
"""

from __future__ import annotations

import numbers

from . import dtypes
from . import ops as O
from .checks import checked_dim, shape_args
from .errors import ArgumentError, DTypeError, ShapeError, describe, shape_str
from .tensor import Tensor, _same_device, _view, apply, tensor_like


# ---------------------------------------------------------------------- helpers
def _dims(op: str, t: Tensor, dims) -> tuple:
    """Distinct dims as non-negative ints (an int or a sequence of them)."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    out = tuple(checked_dim(op, t, d) for d in dims)
    if len(set(out)) != len(out):
        raise ShapeError(f"{op}: dims {dims} name a dim twice for {describe('self', t)}")
    return out


def _int_index(op: str, t: Tensor, index, ndim=None) -> Tensor:
    if not isinstance(index, Tensor) or index.dtype not in (dtypes.int64, dtypes.int32):
        got = index.dtype.name if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(
            f"{op}: index must be an int64 tensor, got {got}; e.g. ne.tensor([0, 2]) or "
            "index.long()"
        )
    index = _same_device(op, "index", index, t)
    if ndim is not None and index.ndim > ndim:
        raise ShapeError(
            f"{op}: index must be at most {ndim}-d, but got {describe('index', index)}"
        )
    return index.to(dtypes.int64)


def _in_range(op: str, t: Tensor, index: Tensor, size: int, dim: int, negative=True) -> None:
    xp = t.device.backend
    low = -size if negative else 0
    if index.numel() and (int(xp.max(index.array)) >= size or int(xp.min(index.array)) < low):
        raise IndexError(
            f"{op}: index out of range: {describe('self', t)} has size {size} in dim {dim}, "
            f"but index holds values from {int(xp.min(index.array))} to "
            f"{int(xp.max(index.array))}; keep them in 0..{size - 1}"
        )


# ---------------------------------------------------------------------- reordering
def flip(input: Tensor, *dims, **keywords) -> Tensor:
    if "dims" in keywords:  # flip(x, dims=(0,)), as torch also takes it
        dims = (keywords.pop("dims"),)
    if keywords:
        raise TypeError(f"flip() got an unexpected keyword argument {next(iter(keywords))!r}")
    dims = _dims("flip", input, shape_args(dims) if dims else ())
    if input.ndim == 0:
        return apply(O.Flip, input, dims=())
    return apply(O.Flip, input, dims=dims)


def fliplr(input: Tensor) -> Tensor:
    if input.ndim < 2:
        raise ShapeError(
            f"fliplr: needs a tensor of at least 2 dims, got {describe('input', input)}"
        )
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input.ndim < 1:
        raise ShapeError(
            f"flipud: needs a tensor of at least 1 dim, got {describe('input', input)}"
        )
    return flip(input, 0)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise ShapeError(
                f"roll: without dims, shifts must be one int (the flattened tensor rolls), "
                f"got shifts={shifts}; give dims=, one per shift"
            )
        return apply(O.Roll, input, shifts=shifts, dims=None)
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(dims) != len(shifts):
        raise ShapeError(
            f"roll: shifts {shifts} and dims {dims} must have the same length (one shift per dim)"
        )
    dims = tuple(checked_dim("roll", input, d) for d in dims)
    if input.ndim == 0:
        return apply(O.Roll, input, shifts=shifts[:1], dims=None)
    return apply(O.Roll, input, shifts=shifts, dims=dims)


def movedim(input: Tensor, source, destination) -> Tensor:
    single = isinstance(source, numbers.Integral)
    source = (source,) if single else tuple(source)
    destination = (
        (destination,) if isinstance(destination, numbers.Integral) else tuple(destination)
    )
    if len(source) != len(destination):
        raise ShapeError(
            f"movedim: source {source} and destination {destination} must name as many dims"
        )
    src = _dims("movedim", input, source)
    dst = _dims("movedim", input, destination)
    order = [None] * input.ndim
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(input.ndim) if d not in src)
    order = tuple(next(rest) if o is None else o for o in order)
    return input.permute(*order) if input.ndim else input.permute()


moveaxis = movedim


def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    return input.transpose(axis0, axis1)


swapdims = swapaxes


# ---------------------------------------------------------------------- diagonals and windows
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    if input.ndim < 2:
        raise ShapeError(
            f"diagonal: needs a tensor of at least 2 dims, got {describe('input', input)}; "
            "for a 1-d tensor, ne.diag(v) makes the matrix with v on its diagonal"
        )
    d1, d2 = checked_dim("diagonal", input, dim1), checked_dim("diagonal", input, dim2)
    if d1 == d2:
        raise ShapeError(
            f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2} for "
            f"{describe('input', input)}"
        )
    return _view(input, O.Diagonal, offset=int(offset), dim1=d1, dim2=d2)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.ndim == 1:
        return apply(O.DiagEmbed, input, diagonal=int(diagonal))
    if input.ndim == 2:
        return apply(O.Diagonal, input, offset=int(diagonal), dim1=0, dim2=1, copy=True)
    raise ShapeError(
        f"diag: expects a 1-d tensor (-> matrix) or a 2-d one (-> its diagonal), got "
        f"{describe('input', input)}; for more dims use t.diagonal(offset, dim1, dim2)"
    )


def unfold(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    d = checked_dim("unfold", input, dimension)
    n = input.shape[d] if input.ndim else 1
    if size < 0 or size > n:
        raise ShapeError(
            f"unfold: size {size} must be between 0 and {n}, the size of dim {dimension} of "
            f"{describe('self', input)}"
        )
    if step <= 0:
        raise ArgumentError(f"unfold: step must be positive, got {step}")
    return _view(input, O.Unfold, dim=d, size=int(size), step=int(step))


# ---------------------------------------------------------------------- copies side by side
def repeat(input: Tensor, *sizes) -> Tensor:
    sizes = shape_args(sizes)
    if len(sizes) < input.ndim:
        raise ShapeError(
            f"repeat: needs a count for each of the {input.ndim} dims of "
            f"{describe('self', input)}, got {sizes}; e.g. t.repeat("
            f"{', '.join(['1'] * input.ndim)})"
        )
    if any(s < 0 for s in sizes):
        raise ShapeError(f"repeat: counts must be 0 or more, got {sizes}")
    return apply(O.Repeat, input, repeats=sizes)


def tile(input: Tensor, dims) -> Tensor:
    dims = shape_args((dims,) if isinstance(dims, numbers.Integral) else (tuple(dims),))
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, *dims)


def repeat_interleave(input: Tensor, repeats, dim=None, *, output_size=None) -> Tensor:
    if isinstance(repeats, Tensor) and repeats.ndim == 0:
        repeats = int(repeats.item())
    t = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else checked_dim("repeat_interleave", t, dim)
    if t.ndim == 0:
        t = t.reshape(1)
    if isinstance(repeats, numbers.Integral):
        if repeats < 0:
            raise ShapeError(f"repeat_interleave: repeats must be 0 or more, got {repeats}")
        shape = tuple(t.shape)
        expanded = t.unsqueeze(d + 1).expand(*shape[: d + 1], int(repeats), *shape[d + 1 :])
        return expanded.reshape(*shape[:d], shape[d] * int(repeats), *shape[d + 1 :])
    repeats = tensor_like(repeats, t)
    if repeats.dtype not in (dtypes.int64, dtypes.int32) or repeats.ndim != 1:
        raise DTypeError(
            f"repeat_interleave: repeats must be an int or a 1-d int64 tensor, got "
            f"{describe('repeats', repeats)}"
        )
    counts = [int(c) for c in repeats.tolist()]
    if len(counts) not in (1, t.shape[d]) or any(c < 0 for c in counts):
        raise ShapeError(
            f"repeat_interleave: repeats must hold one count (0 or more) per element of dim "
            f"{d} of {describe('self', t)} (or one for all), got {len(counts)} counts {counts}"
        )
    if len(counts) == 1:
        return repeat_interleave(input, counts[0], dim)
    positions = [i for i, c in enumerate(counts) for _ in range(c)]
    index = Tensor.wrap(t.device.backend.asarray(positions, dtypes.int64), t.device)
    return apply(O.IndexSelect, t, dim=d, index=index.array)


# ---------------------------------------------------------------------- pieces
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    d = checked_dim("narrow", input, dim)
    if input.ndim == 0:
        raise ShapeError(
            "narrow: cannot be applied to a 0-d tensor; reshape it first, t.reshape(1)"
        )
    if isinstance(start, Tensor):
        start = int(start.item())
    size = input.shape[d]
    if not -size <= start <= size:
        raise IndexError(
            f"narrow: start {start} is out of range for dim {dim} of size {size} of "
            f"{describe('input', input)}"
        )
    start = start % size if start < 0 else start
    if length < 0 or start + length > size:
        raise ShapeError(
            f"narrow: start ({start}) + length ({length}) exceeds dim {dim} of size {size} "
            f"of {describe('input', input)}; length must be 0..{size - start}"
        )
    return _piece(input, d, start, length, "SliceBackward0")


def _piece(t: Tensor, d: int, start: int, length: int, name: str) -> Tensor:
    key = (slice(None),) * d + (slice(start, start + length),)
    return _view(t, O.Index, key=key, advanced=False, name=name)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    if tensor.ndim == 0:
        raise ShapeError("split: a 0-d tensor has no dim to split; reshape it first, t.reshape(1)")
    d = checked_dim("split", tensor, dim)
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        step = int(split_size_or_sections)
        if step < 0 or (step == 0 and size):
            raise ShapeError(
                f"split: split_size must be positive, got {step} for {describe('self', tensor)}"
            )
        starts = range(0, size, step) if size else [0]
        return tuple(_piece(tensor, d, s, min(step, size - s), "SplitBackward0") for s in starts)
    sections = [int(s) for s in split_size_or_sections]
    if sum(sections) != size or any(s < 0 for s in sections):
        raise ShapeError(
            f"split: the sizes {sections} sum to {sum(sections)}, but dim {dim} of "
            f"{describe('self', tensor)} has size {size}; give sizes (0 or more) that sum to "
            f"{size}, or one int for equal pieces"
        )
    pieces, start = [], 0
    for n in sections:
        pieces.append(_piece(tensor, d, start, n, "SplitWithSizesBackward0"))
        start += n
    return tuple(pieces)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    if chunks <= 0:
        raise ShapeError(f"chunk: chunks must be greater than 0, got {chunks}")
    if input.ndim == 0:
        raise ShapeError("chunk: a 0-d tensor has no dim to split; reshape it first, t.reshape(1)")
    d = checked_dim("chunk", input, dim)
    size = input.shape[d]
    step = -(-size // chunks)
    return split(input, max(step, 1) if size else 0, d)


def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    d = checked_dim("tensor_split", input, dim)
    size = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, numbers.Integral):
        n = int(indices_or_sections)
        if n <= 0:
            raise ShapeError(f"tensor_split: sections must be greater than 0, got {n}")
        bigger, base = size % n, size // n
        bounds, start = [], 0
        for i in range(n):
            bounds.append((start, base + (i < bigger)))
            start += base + (i < bigger)
    else:
        cuts = [
            min(max(int(i) % size if int(i) < 0 else int(i), 0), size) for i in indices_or_sections
        ]
        edges = [0, *cuts, size]
        bounds = [(a, max(b - a, 0)) for a, b in zip(edges, edges[1:])]
        bounds = [(min(a, size), n) for a, n in bounds]
    return tuple(_piece(input, d, s, n, "SliceBackward0") for s, n in bounds)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    if input.ndim == 0:
        raise ShapeError("unbind: a 0-d tensor has no dim to unbind; reshape it first")
    d = checked_dim("unbind", input, dim)
    return tuple(
        _view(input, O.Index, key=(slice(None),) * d + (i,), advanced=False, name="UnbindBackward0")
        for i in range(input.shape[d])
    )


def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    d = checked_dim("unflatten", input, dim)
    sizes = shape_args((tuple(sizes),))
    n = input.shape[d] if input.ndim else 1
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (
        sizes.count(-1) > 1
        or (-1 not in sizes and known != n)
        or (-1 in sizes and (known == 0 or n % known))
    ):
        raise ShapeError(
            f"unflatten: sizes {sizes} don't multiply to {n}, the size of dim {dim} of "
            f"{describe('input', input)}"
        )
    shape = tuple(input.shape)
    return input.reshape(*shape[:d], *sizes, *shape[d + 1 :])


# ---------------------------------------------------------------------- selecting
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    d = checked_dim("index_select", input, dim)
    index = _int_index("index_select", input, index, ndim=1)
    if input.ndim == 0:
        return input.reshape(1).index_select(0, index.reshape(-1)).reshape(index.shape)
    _in_range("index_select", input, index, input.shape[d], d, negative=False)
    return apply(O.IndexSelect, input, dim=d, index=index.array)


def masked_select(input: Tensor, mask) -> Tensor:
    mask = tensor_like(mask, input)
    if mask.dtype is not dtypes.bool_:
        raise DTypeError(
            f"masked_select: the mask must be a bool tensor, but it is {mask.dtype.name}; "
            "build it with a comparison such as x > 0"
        )
    from .checks import check_broadcast

    check_broadcast(
        "masked_select", [tuple(input.shape), tuple(mask.shape)], [input, mask], ["self", "mask"]
    )
    mask = _same_device("masked_select", "mask", mask, input)
    return apply(O.MaskedSelect, input, mask=mask.array)


def take_along_dim(input: Tensor, indices: Tensor, dim=None) -> Tensor:
    indices = _int_index("take_along_dim", input, indices)
    if dim is None:
        return input.reshape(-1).gather(0, indices.reshape(-1))
    d = checked_dim("take_along_dim", input, dim)
    if input.ndim != indices.ndim:
        raise ShapeError(
            f"take_along_dim: input and indices must have the same number of dims, got "
            f"{describe('input', input)} and {describe('indices', indices)}"
        )
    a, i = list(input.shape), list(indices.shape)
    for k in range(input.ndim):
        if k != d and a[k] != i[k] and 1 not in (a[k], i[k]):
            raise ShapeError(
                f"take_along_dim: {describe('input', input)} and {describe('indices', indices)} "
                f"must broadcast in every dim but {d}; dim {k} has sizes {a[k]} and {i[k]}"
            )
    target_a = [max(x, y) if k != d else a[k] for k, (x, y) in enumerate(zip(a, i))]
    target_i = [max(x, y) if k != d else i[k] for k, (x, y) in enumerate(zip(a, i))]
    if target_a != a:
        input = input.expand(*target_a)
    if target_i != i:
        indices = indices.expand(*target_i)
    return input.gather(d, indices)


def _scatter_args(op: str, t: Tensor, dim, index):
    d = checked_dim(op, t, dim)
    index = _int_index(op, t, index)
    if index.ndim != t.ndim and not (t.ndim == 0 and index.ndim <= 1):
        raise ShapeError(
            f"{op}: index must have as many dims as self, got {describe('index', index)} for "
            f"{describe('self', t)}"
        )
    for k in range(index.ndim):
        if k != d and index.shape[k] > t.shape[k]:
            raise ShapeError(
                f"{op}: {describe('index', index)} is bigger than {describe('self', t)} in "
                f"dim {k}; "
                f"index may be at most self's size in every dim but {d}"
            )
    if t.ndim:
        _in_range(op, t, index, t.shape[d], d, negative=False)
    return d, index


def _scatter_src(op: str, t: Tensor, index: Tensor, src) -> Tensor:
    src = _same_device(op, "src", tensor_like(src, t), t)
    if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
        raise ShapeError(
            f"{op}: src must be at least as big as index in every dim, got {describe('src', src)} "
            f"and {describe('index', index)}"
        )
    if src.dtype is not t.dtype:
        raise DTypeError(
            f"{op}: self and src must have the same dtype, got {t.dtype.name} and "
            f"{src.dtype.name}; convert with src.to(self.dtype)"
        )
    return src


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None, reduce=None) -> Tensor:
    if reduce is not None:
        raise ArgumentError(
            "scatter: reduce= is not supported here; use scatter_add or scatter_reduce"
        )
    if src is None and value is None:
        raise ArgumentError("scatter: give src (a tensor) or value (a number)")
    src = value if src is None else src
    d, index = _scatter_args("scatter", input, dim, index)
    if input.ndim == 0:
        return scatter(
            input.reshape(1),
            0,
            index.reshape(-1),
            src if not isinstance(src, Tensor) else src.reshape(-1),
        ).reshape(())
    if isinstance(src, Tensor):
        src = _scatter_src("scatter", input, index, src)
        return apply(O.Scatter, input, src, dim=d, index=index.array)
    return apply(O.ScatterValue, input, dim=d, index=index.array, value=src)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d, index = _scatter_args("scatter_add", input, dim, index)
    if input.ndim == 0:
        return scatter_add(input.reshape(1), 0, index.reshape(-1), src.reshape(-1)).reshape(())
    src = _scatter_src("scatter_add", input, index, src)
    return apply(O.ScatterAdd, input, src, dim=d, index=index.array)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    d = checked_dim("index_add", input, dim)
    index = _int_index("index_add", input, index, ndim=1)
    source = _same_device("index_add", "source", tensor_like(source, input), input)
    want = list(input.shape)
    if input.ndim:
        want[d] = index.numel()
    if tuple(source.shape) != tuple(want) and not (
        input.ndim == 0 and source.numel() == index.numel()
    ):
        raise ShapeError(
            f"index_add: source must have self's shape with dim {dim} of size len(index) = "
            f"{index.numel()}, i.e. {shape_str(tuple(want))}, but got {describe('source', source)}"
        )
    if source.dtype is not input.dtype:
        raise DTypeError(
            f"index_add: self and source must have the same dtype, got {input.dtype.name} and "
            f"{source.dtype.name}; convert with source.to(self.dtype)"
        )
    if input.ndim:
        _in_range("index_add", input, index, input.shape[d], d, negative=False)
    return apply(O.IndexAdd, input, source, dim=d, index=index.array, alpha=alpha)


# ---------------------------------------------------------------------- grids and products
def meshgrid(*tensors, indexing: str = "ij") -> tuple:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ArgumentError("meshgrid: expects at least one tensor")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or t.ndim > 1:
            raise ShapeError(
                f"meshgrid: expects 0-d or 1-d tensors, but tensor {i} is "
                f"{describe('tensor', t) if isinstance(t, Tensor) else type(t).__name__}"
            )
        if t.dtype is not tensors[0].dtype or t.device is not tensors[0].device:
            raise DTypeError(
                "meshgrid: expects all tensors to have the same dtype and device, got "
                + ", ".join(f"{u.dtype.name} on {u.device}" for u in tensors)
            )
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, t in enumerate(tensors):
        place = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(tensors)
        shape[place] = t.numel()
        out.append(t.reshape(*shape).expand(*sizes))
    return tuple(out)


def outer(input: Tensor, vec2) -> Tensor:
    vec2 = tensor_like(vec2, input)
    if input.ndim != 1 or vec2.ndim != 1:
        raise ShapeError(
            f"outer: expects two 1-d tensors, got {describe('input', input)} and "
            f"{describe('vec2', vec2)}; flatten them first with t.reshape(-1)"
        )
    return input.reshape(-1, 1) * vec2


ger = outer


def bmm(input: Tensor, mat2) -> Tensor:
    mat2 = tensor_like(mat2, input)
    if input.ndim != 3 or mat2.ndim != 3:
        raise ShapeError(
            f"bmm: expects two 3-d tensors (batch, n, m) and (batch, m, p), got "
            f"{describe('input', input)} and {describe('mat2', mat2)}; for other dims use a @ b"
        )
    problems = []
    if input.shape[0] != mat2.shape[0]:
        problems.append(f"the batch sizes must match ({input.shape[0]} vs {mat2.shape[0]})")
    if input.shape[2] != mat2.shape[1]:
        problems.append(
            f"input's last dim must equal mat2's middle dim ({input.shape[2]} vs {mat2.shape[1]})"
        )
    if problems:
        raise ShapeError(
            f"bmm: {describe('input', input)} and {describe('mat2', mat2)} don't fit: "
            f"{' and '.join(problems)}; mat2 must be ({input.shape[0]}, {input.shape[2]}, p)"
        )
    if input.dtype is not mat2.dtype:
        raise DTypeError(
            f"bmm: expected both tensors of the same dtype, got {input.dtype.name} and "
            f"{mat2.dtype.name}; convert one with .to(other.dtype)"
        )
    return input.matmul(mat2)


def einsum(equation: str, *operands) -> Tensor:
    """torch.einsum: letters name dims; a letter repeated in one operand takes the diagonal,
    letters not in the output are summed, '...' stands for the broadcast leading dims."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, Tensor) for t in operands):
        raise TypeError("einsum: operands must be tensors, e.g. ne.einsum('ij,jk->ik', a, b)")
    spec = equation.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ShapeError(
            f"einsum: the equation {equation!r} names {len(terms)} operand(s) but "
            f"{len(operands)} were given; give one comma-separated term per tensor"
        )
    letters, ell_dims = [], 0
    for k, (term, t) in enumerate(zip(terms, operands)):
        bad = [c for c in term.replace("...", "") if not c.isalpha()]
        if bad or term.count("...") > 1:
            raise ArgumentError(
                f"einsum: term {term!r} of {equation!r} may hold letters and one '...', not {bad}"
            )
        named = term.replace("...", "")
        if "..." in term:
            if len(named) > t.ndim:
                raise ShapeError(
                    f"einsum: term {term!r} names {len(named)} dims plus '...' but operand {k} "
                    f"is {describe('operand', t)}"
                )
            ell_dims = max(ell_dims, t.ndim - len(named))
        elif len(named) != t.ndim:
            raise ShapeError(
                f"einsum: term {term!r} names {len(named)} dims but operand {k} is "
                f"{describe('operand', t)}; one letter per dim (or '...')"
            )
        letters.append(term)
    ell = [chr(0x100 + i) for i in range(ell_dims)]  # private names for the '...' dims
    expanded = []
    for term, t in zip(letters, operands):
        named = term.replace("...", "")
        if "..." in term:
            before, after = term.split("...")
            n = t.ndim - len(named)
            expanded.append(list(before) + ell[ell_dims - n :] + list(after))
        else:
            expanded.append(list(term))
    counts = {}
    for labels in expanded:
        for c in labels:
            counts[c] = counts.get(c, 0) + 1
    if arrow:
        if rhs.count("...") > 1 or any(not c.isalpha() for c in rhs.replace("...", "")):
            raise ArgumentError(
                f"einsum: the output {rhs!r} of {equation!r} may hold letters and one '...'"
            )
        before, _, after = rhs.partition("...")
        output = list(before) + (ell if "..." in rhs else []) + list(after)
        for c in output:
            if c not in counts:
                raise ShapeError(
                    f"einsum: the output letter {c!r} of {equation!r} is in no operand's term"
                )
        if len(set(output)) != len(output):
            raise ShapeError(f"einsum: the output {rhs!r} of {equation!r} names a letter twice")
    else:
        output = ell + sorted(c for c, n in counts.items() if n == 1 and c not in ell)
    # sizes of each letter (1 broadcasts, as in torch)
    sizes = {}
    for labels, t in zip(expanded, operands):
        for c, n in zip(labels, t.shape):
            if c in sizes and n != sizes[c] and 1 not in (n, sizes[c]):
                raise ShapeError(
                    f"einsum: letter {c if c not in ell else '...'!r} of {equation!r} stands "
                    f"for sizes {sizes[c]} and {n}; the operands' dims it names must match"
                )
            sizes[c] = max(sizes.get(c, 1), n) if c in sizes else n
    dtype = operands[0].dtype
    for t in operands[1:]:
        dtype = dtypes.promote(dtype, t.dtype)
    order = list(output) + sorted(c for c in counts if c not in output)
    aligned = []
    for m, (labels, t) in enumerate(zip(expanded, operands)):
        others = [x for k, x in enumerate(expanded) if k != m]
        t = t if t.dtype is dtype else t.to(dtype)
        labels = list(labels)
        # a letter twice in one term: take that diagonal
        while len(set(labels)) != len(labels):
            c = next(c for c in labels if labels.count(c) > 1)
            i = labels.index(c)
            j = labels.index(c, i + 1)
            t = t.diagonal(0, i, j)
            labels = [x for k, x in enumerate(labels) if k not in (i, j)] + [c]
        # letters only here and not in the output: sum them now
        alone = [
            k for k, c in enumerate(labels) if c not in output and all(c not in x for x in others)
        ]
        if alone:
            t = t.sum(dim=tuple(alone))
            labels = [c for k, c in enumerate(labels) if k not in alone]
        perm = sorted(range(len(labels)), key=lambda k: order.index(labels[k]))
        if perm != list(range(len(labels))):
            t = t.permute(*perm)
            labels = [labels[k] for k in perm]
        shape = [t.shape[labels.index(c)] if c in labels else 1 for c in order]
        if tuple(shape) != tuple(t.shape):
            t = t.reshape(*shape)
        aligned.append(t)
    result = aligned[0]
    for t in aligned[1:]:
        result = result * t
    summed = tuple(range(len(output), len(order)))
    if summed:
        result = result.sum(dim=summed)
    return result


# Tensor's methods for these ops, set on Tensor here: tensor.py cannot import this module
# (it imports tensor.py), and this keeps each method beside the function it calls.


def flip_method(self, *dims, **keywords):
    return flip(self, *dims, **keywords)


def fliplr_method(self):
    return fliplr(self)


def flipud_method(self):
    return flipud(self)


def roll_method(self, shifts, dims=None):
    return roll(self, shifts, dims)


def diagonal_method(self, offset=0, dim1=0, dim2=1):
    return diagonal(self, offset, dim1, dim2)


def diag_method(self, diagonal=0):
    return diag(self, diagonal)


def unfold_method(self, dimension, size, step):
    return unfold(self, dimension, size, step)


def unflatten_method(self, dim, sizes):
    return unflatten(self, dim, sizes)


def repeat_method(self, *sizes):
    return repeat(self, *sizes)


def tile_method(self, *dims):
    return tile(self, dims[0] if len(dims) == 1 else dims)


def repeat_interleave_method(self, repeats, dim=None, *, output_size=None):
    return repeat_interleave(self, repeats, dim)


def chunk_method(self, chunks, dim=0):
    return chunk(self, chunks, dim)


def split_method(self, split_size, dim=0):
    return split(self, split_size, dim)


def tensor_split_method(self, indices_or_sections, dim=0):
    return tensor_split(self, indices_or_sections, dim)


def unbind_method(self, dim=0):
    return unbind(self, dim)


def narrow_method(self, dim, start, length):
    return narrow(self, dim, start, length)


def movedim_method(self, source, destination):
    return movedim(self, source, destination)


def masked_select_method(self, mask):
    return masked_select(self, mask)


def index_select_method(self, dim, index):
    return index_select(self, dim, index)


def take_along_dim_method(self, indices, dim=None):
    return take_along_dim(self, indices, dim)


def scatter_method(self, dim, index, src=None, *, value=None, reduce=None):
    return scatter(self, dim, index, src, value=value, reduce=reduce)


def scatter_add_method(self, dim, index, src):
    return scatter_add(self, dim, index, src)


def index_add_method(self, dim, index, source, *, alpha=1):
    return index_add(self, dim, index, source, alpha=alpha)


def outer_method(self, vec2):
    return outer(self, vec2)


def bmm_method(self, mat2):
    return bmm(self, mat2)


Tensor.flip = flip_method
Tensor.fliplr = fliplr_method
Tensor.flipud = flipud_method
Tensor.roll = roll_method
Tensor.diagonal = diagonal_method
Tensor.diag = diag_method
Tensor.unfold = unfold_method
Tensor.unflatten = unflatten_method
Tensor.repeat = repeat_method
Tensor.tile = tile_method
Tensor.repeat_interleave = repeat_interleave_method
Tensor.chunk = chunk_method
Tensor.split = split_method
Tensor.tensor_split = tensor_split_method
Tensor.unbind = unbind_method
Tensor.narrow = narrow_method
Tensor.movedim = Tensor.moveaxis = movedim_method
Tensor.masked_select = masked_select_method
Tensor.index_select = index_select_method
Tensor.take_along_dim = take_along_dim_method
Tensor.scatter = scatter_method
Tensor.scatter_add = scatter_add_method
Tensor.index_add = index_add_method
Tensor.outer = Tensor.ger = outer_method
Tensor.bmm = bmm_method
