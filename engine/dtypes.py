"""The engine's dtypes: float32, float64, int64 and bool, named as in PyTorch."""

from __future__ import annotations

import numpy as np


class DType:
    """A dtype the engine understands; maps to a numpy dtype and, lazily, a torch dtype."""

    __slots__ = ("name", "numpy", "is_floating_point", "itemsize", "category")

    def __init__(self, name: str, category: int):
        self.name = name
        self.numpy = np.dtype(name)
        self.is_floating_point = category == 2
        self.itemsize = self.numpy.itemsize
        # 0 bool < 1 integer < 2 floating: PyTorch's promotion categories.
        self.category = category

    @property
    def torch(self):
        import torch

        return getattr(torch, self.name)

    def __repr__(self) -> str:
        return f"ne.{self.name}"

    __str__ = __repr__

    def __reduce__(self):
        return (from_any, (self.name,))


float32 = DType("float32", 2)
float64 = DType("float64", 2)
int64 = DType("int64", 1)
bool_ = DType("bool", 0)
ALL = (float32, float64, int64, bool_)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update({"float": float32, "double": float64, "long": int64, "int": int64})
# numpy dtypes the engine accepts on input, and what they become.
_FROM_NUMPY = {
    np.dtype("float32"): float32,
    np.dtype("float64"): float64,
    np.dtype("float16"): float32,
    np.dtype("int64"): int64,
    np.dtype("int32"): int64,
    np.dtype("int16"): int64,
    np.dtype("int8"): int64,
    np.dtype("uint8"): int64,
    np.dtype("uint16"): int64,
    np.dtype("uint32"): int64,
    np.dtype("bool"): bool_,
}
# What an array's own dtype maps to, for both backends (filled lazily for torch).
_OF_ARRAY: dict = {d.numpy: d for d in ALL}


def of_array(array) -> DType:
    """The DType of a backend array (numpy or torch)."""
    dtype = array.dtype
    try:
        return _OF_ARRAY[dtype]
    except KeyError:
        pass
    name = str(dtype).removeprefix("torch.")
    found = _BY_NAME.get(name)
    if found is None:
        raise TypeError(f"the engine has no dtype for {dtype}; use float32, float64, int64 or bool")
    _OF_ARRAY[dtype] = found
    return found


def from_any(spec) -> DType:
    """A DType from a DType, its name, a numpy dtype, a torch dtype or a Python type."""
    if isinstance(spec, DType):
        return spec
    if spec is float:
        return float32
    if spec is int:
        return int64
    if spec is bool:
        return bool_
    if isinstance(spec, str):
        name = spec.removeprefix("torch.").removeprefix("ne.")
        if name in _BY_NAME:
            return _BY_NAME[name]
    else:
        name = str(spec).removeprefix("torch.")
        if name in _BY_NAME:
            return _BY_NAME[name]
        try:
            return _FROM_NUMPY[np.dtype(spec)]
        except (TypeError, KeyError):
            pass
    raise TypeError(
        f"unknown dtype {spec!r}: the engine supports float32, float64, int64 and bool "
        "(ne.float32, ne.float64, ne.int64, ne.bool)"
    )


def promote(a: DType, b: DType) -> DType:
    """PyTorch's result dtype for two tensors of the same rank class."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    return a if a.itemsize >= b.itemsize else b


def scalar_category(value) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return 1
    return 2


def promote_scalar(tensor_dtype: DType, value) -> DType:
    """The result dtype of tensor (op) Python scalar, as PyTorch computes it."""
    category = scalar_category(value)
    if category <= tensor_dtype.category:
        return tensor_dtype
    return float32 if category == 2 else int64
