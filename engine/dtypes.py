"""The engine's dtypes, named as in PyTorch: the ones numpy can hold and compute with."""

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
        return f"torch.{self.name}"  # as PyTorch prints it: learners compare the two

    __str__ = __repr__

    def __reduce__(self):
        return (from_any, (self.name,))


float16 = DType("float16", 2)
float32 = DType("float32", 2)
float64 = DType("float64", 2)
uint8 = DType("uint8", 1)
int8 = DType("int8", 1)
int16 = DType("int16", 1)
int32 = DType("int32", 1)
int64 = DType("int64", 1)
bool_ = DType("bool", 0)
ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
SUPPORTED = "float16, float32, float64, uint8, int8, int16, int32, int64 and bool"
BY_NAME = {d.name: d for d in ALL}
# PyTorch's aliases: torch.half, torch.float, torch.double, torch.short, torch.int, torch.long
BY_NAME.update({"half": float16, "float": float32, "double": float64, "short": int16, "int": int32})
BY_NAME["long"] = int64
# numpy dtypes the engine accepts on input, and what they become: each keeps its own.
_FROM_NUMPY = {d.numpy: d for d in ALL}
# What an array's own dtype maps to, for both backends (filled lazily for torch).
_OF_ARRAY: dict = {d.numpy: d for d in ALL}


def unsupported(spec) -> TypeError:
    """The error for a dtype numpy cannot hold (bfloat16) or the engine does not take."""
    name = str(spec).removeprefix("torch.")
    why = ""
    if "bfloat16" in name:
        why = " (numpy has no bfloat16, and the engine computes with numpy)"
    elif "complex" in name:
        why = " (the engine has no complex numbers)"
    elif name.startswith("uint"):
        why = " (PyTorch has no arithmetic for it; convert with .astype(np.int64) first)"
    return TypeError(
        f"dtype {name} is not supported{why}; the engine supports {SUPPORTED} "
        "(ne.float32, ne.int64, ...)"
    )


def of_array(array) -> DType:
    """The DType of a backend array (numpy or torch)."""
    dtype = array.dtype
    try:
        return _OF_ARRAY[dtype]
    except KeyError:
        pass
    name = str(dtype).removeprefix("torch.")
    found = BY_NAME.get(name)
    if found is None:
        raise unsupported(dtype)
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
        if name in BY_NAME:
            return BY_NAME[name]
    else:
        name = str(spec).removeprefix("torch.")
        if name in BY_NAME:
            return BY_NAME[name]
        try:
            return _FROM_NUMPY[np.dtype(spec)]
        except KeyError:
            raise unsupported(spec) from None
        except TypeError:
            pass
    if any(k in name for k in ("bfloat16", "complex", "uint")):
        raise unsupported(spec)
    raise TypeError(f"unknown dtype {spec!r}: the engine supports {SUPPORTED} (ne.float32, ...)")


def promote(a: DType, b: DType) -> DType:
    """PyTorch's result dtype for two tensors of the same rank class."""
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if uint8 in (a, b):  # uint8 and a signed int: a signed int that holds 0..255 too
        other = b if a is uint8 else a
        return int16 if other is int8 else other
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
