"""Run a lesson under PyTorch and under the engine, and compare what each one printed.

A lesson is a function ``lesson(lib, show)``. ``lib`` holds the modules a learner imports
(``lib.torch``, ``lib.nn``, ``lib.F``, ``lib.optim``, ``lib.data``), either PyTorch's or
the engine's, so a lesson's body reads as the tutorial's code with only the imports
changed. ``show`` is the lesson's ``print``: it keeps the text and, for every tensor or
number shown, its values. ``show.raises(label, fn)`` keeps the exception ``fn`` raises.

Two transcripts agree when every line's text is the same once numbers are set aside,
every number in the text agrees within float32 tolerance (plus one unit of the last
printed digit, since the two libraries may round a value on either side of a digit),
every shown tensor has the same shape, kind (bool, int, float) and values, and every
exception the engine raises is an instance of the class PyTorch raised.
"""

from __future__ import annotations

import builtins
import importlib
import math
import re
from dataclasses import dataclass, field

import numpy as np

# float32 values that went through the same arithmetic in a different order
RTOL, ATOL = 1e-4, 1e-5

ENGINE_NAMES = {
    "torch": "nnbench.engine",
    "nn": "nnbench.engine.nn",
    "F": "nnbench.engine.nn.functional",
    "optim": "nnbench.engine.optim",
    "data": "nnbench.engine.utils.data",
}
TORCH_NAMES = {
    "torch": "torch",
    "nn": "torch.nn",
    "F": "torch.nn.functional",
    "optim": "torch.optim",
    "data": "torch.utils.data",
}


class Lib:
    """The modules a lesson imports, loaded when first used.

    Loading on use means a module the engine lacks (``utils.data``) fails only the
    lessons that import it, as the learner's own script would.
    """

    def __init__(self, label: str, names: dict[str, str]):
        self.label = label
        self._names = names

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in self._names:
            raise AttributeError(name)
        module = importlib.import_module(self._names[name])
        setattr(self, name, module)
        return module


def torch_lib() -> Lib:
    return Lib("torch", TORCH_NAMES)


def engine_lib() -> Lib:
    return Lib("engine", ENGINE_NAMES)


# ------------------------------------------------------------------------ recording
@dataclass
class Line:
    text: str
    values: list = field(default_factory=list)  # numpy arrays of shown tensors and numbers
    error: BaseException | None = None


def _values_of(thing):
    """The numbers inside a shown object, as a numpy array, or None for anything else."""
    if isinstance(thing, bool | int | float) and not isinstance(thing, np.generic):
        return np.array(thing)
    if hasattr(thing, "tolist") and hasattr(thing, "shape") and hasattr(thing, "dtype"):
        return np.array(thing.tolist())
    return None


class Transcript:
    """``show(*values)`` prints like ``print`` into a list of lines instead of the screen."""

    def __init__(self):
        self.lines: list[Line] = []

    def __call__(self, *things, sep: str = " "):
        text = sep.join(str(t) for t in things)
        values = [v for v in map(_values_of, things) if v is not None]
        self.lines.append(Line(text, values))

    def raises(self, label: str, fn) -> None:
        """Run ``fn`` and keep what it raised (or that it did not)."""
        try:
            result = fn()
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            self.lines.append(Line(f"{label}: raises", error=error))
        else:
            self.lines.append(Line(f"{label}: returns " + str(result)))


def record(lesson, lib: Lib) -> tuple[list[Line], BaseException | None]:
    """Run a lesson on one library; the lines it printed, and what stopped it, if anything."""
    lib.torch.manual_seed(0)
    show = Transcript()
    try:
        lesson(lib, show)
    except Exception as error:  # noqa: BLE001 - reported with the line it stopped at
        return show.lines, error
    return show.lines, None


# ------------------------------------------------------------------------ comparing
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_NUMBER = re.compile(r"(?<![\w.])-?(?:\d+\.?\d*(?:e[+-]?\d+)?|inf|nan)(?![\w])")


def _split(text: str) -> tuple[str, list[str]]:
    """The text with every number replaced by '#', and the numbers in order."""
    text = _ADDRESS.sub(" at 0x#", text)
    return _NUMBER.sub("#", text), _NUMBER.findall(text)


def _last_digit(token: str) -> float:
    """One unit of the last printed digit: 1e-4 for '0.1234', 1e39 for '2.6881e+43'."""
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.partition(".")[2])
    if decimals == 0:
        return 0.0
    return 10.0 ** (int(exponent or 0) - decimals)


def _close(a: float, b: float, slack: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= slack + ATOL + RTOL * abs(a)


def _text_difference(want: str, got: str) -> str | None:
    want_words, want_numbers = _split(want)
    got_words, got_numbers = _split(got)
    if want_words != got_words or len(want_numbers) != len(got_numbers):
        return f"torch printed {want!r}\n   engine printed {got!r}"
    for a, b in zip(want_numbers, got_numbers, strict=True):
        exact = not any(c in a for c in ".e") and a not in ("inf", "-inf", "nan")
        slack = 1.01 * max(_last_digit(a), _last_digit(b))
        if (exact and a != b) or not _close(float(a), float(b), slack):
            return f"torch printed {a} where the engine printed {b}: {want!r} vs {got!r}"
    return None


def _value_difference(want: np.ndarray, got: np.ndarray) -> str | None:
    if want.shape != got.shape:
        return f"shape {want.shape} in torch, {got.shape} in the engine"
    if want.dtype.kind != got.dtype.kind:
        return f"numpy kind {want.dtype} in torch, {got.dtype} in the engine"
    if want.dtype.kind in "bi":
        bad = np.argwhere(want != got)
    else:
        ok = np.isclose(got, want, rtol=RTOL, atol=ATOL, equal_nan=True)
        bad = np.argwhere(~ok)
    if len(bad) == 0:
        return None
    at = tuple(int(i) for i in bad[0])
    return f"at {at}: torch {want[at]!r}, engine {got[at]!r} ({len(bad)} of {want.size} differ)"


def _builtin_base(cls: type) -> type:
    """PyTorch's own error classes compare as the builtin they derive from."""
    for base in cls.__mro__:
        if getattr(builtins, base.__name__, None) is base:
            return base
    return Exception


def _error_difference(want: BaseException | None, got: BaseException | None) -> str | None:
    if want is None and got is None:
        return None
    if want is None:
        return f"torch returned, the engine raised {type(got).__name__}: {got}"
    if got is None:
        return f"torch raised {type(want).__name__} ({want}), the engine did not raise"
    if not isinstance(got, _builtin_base(type(want))):
        return f"torch raised {type(want).__name__}, the engine raised {type(got).__name__}: {got}"
    return None


def differences(want: list[Line], got: list[Line]) -> list[str]:
    """Every way the engine's lines differ from torch's, each naming the line."""
    found = []
    for number, (w, g) in enumerate(zip(want, got, strict=False), start=1):
        problems = [_error_difference(w.error, g.error)]
        if w.error is None and g.error is None:
            problems.append(_text_difference(w.text, g.text))
            if len(w.values) != len(g.values):
                problems.append(f"{len(w.values)} values shown in torch, {len(g.values)} here")
            for a, b in zip(w.values, g.values, strict=False):
                problems.append(_value_difference(a, b))
        elif w.text != g.text:
            problems.append(f"torch printed {w.text!r}\n   engine printed {g.text!r}")
        found += [f"line {number} ({w.text[:60]!r}): {p}" for p in problems if p]
    return found


def compare(lesson) -> None:
    """Run the lesson on both libraries; fail with every difference, the first one first."""
    want, torch_error = record(lesson, torch_lib())
    if torch_error is not None:
        raise AssertionError(f"the lesson itself fails under PyTorch: {torch_error!r}")
    got, engine_error = record(lesson, engine_lib())
    found = differences(want, got)
    if engine_error is not None:
        found.append(
            f"the engine stopped after line {len(got)} of {len(want)}: "
            f"{type(engine_error).__name__}: {engine_error}"
        )
    elif len(got) != len(want):
        found.append(f"torch printed {len(want)} lines, the engine {len(got)}")
    if found:
        raise AssertionError("\n".join(found))


# ------------------------------------------------------------------ starting numbers
def draw(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    """Standard normal float32 numbers, the same for both libraries (their randn differ)."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def classes(seed: int, n: int, k: int = 10) -> np.ndarray:
    """n int64 class labels below k."""
    return np.random.default_rng(seed).integers(0, k, n).astype(np.int64)


def permutation(seed: int, n: int) -> np.ndarray:
    """A shuffle of range(n) both libraries share (their randperm differ)."""
    return np.random.default_rng(seed).permutation(n).astype(np.int64)
