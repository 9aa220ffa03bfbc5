"""Run the op suite: each case with real torch, then with nnbench's engine, and compare.

    python -m tests.opsuite.run [--category C] [-k SUBSTR] [--verbose] [--self-check]

A case passes when both sides give the same structure, shapes, dtypes (by name) and values
(allclose with the case's tolerance), or when both raise and the engine's exception is an
instance of the built-in class (IndexError, TypeError, ValueError, RuntimeError,
NotImplementedError) that torch's exception is. ``--self-check`` runs torch on both sides
(the suite must score 100% against itself).
"""

from __future__ import annotations

import argparse
import importlib
import math
import re
import signal
import sys
import threading
import time
import traceback
import types
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .cases import CASES, CATEGORIES, Case

ERROR_CLASSES = (IndexError, TypeError, ValueError, NotImplementedError, RuntimeError)


class _Missing:
    """Stands in for a namespace the engine lacks: any attribute is missing."""

    def __init__(self, name: str, why: str):
        self._name, self._why = name, why

    def __getattr__(self, attr):
        raise AttributeError(f"{self._name} is not importable ({self._why}), wanted .{attr}")


def _namespace(root: str) -> types.SimpleNamespace:
    mods = {}
    for key, sub in [
        ("torch", ""),
        ("nn", ".nn"),
        ("F", ".nn.functional"),
        ("optim", ".optim"),
        ("data", ".utils.data"),
    ]:
        try:
            mods[key] = importlib.import_module(root + sub)
        except Exception as e:  # noqa: BLE001 - a missing module fails the cases that use it
            mods[key] = _Missing(root + sub, f"{type(e).__name__}: {e}")
    return types.SimpleNamespace(**mods)


def torch_namespace():
    return _namespace("torch")


def engine_namespace():
    return _namespace("nnbench.engine")


# ---- converting results -------------------------------------------------------------


class Mismatch(Exception):
    pass


def _is_dtype(x) -> bool:
    return type(x).__name__.lower() == "dtype" and not isinstance(x, np.dtype)


def _dtype_name(d) -> str:
    return str(d).rsplit(".", 1)[-1]


def _is_tensor(x) -> bool:
    return (
        not isinstance(x, (np.ndarray, np.generic))
        and hasattr(x, "shape")
        and hasattr(x, "dtype")
        and (hasattr(x, "numpy") or hasattr(x, "detach"))
    )


def normalize(x):
    """A plain, comparable form: ('tensor', dtype name, ndarray) / tuples / numbers / str."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (int, float)):
        return x
    if _is_dtype(x):
        return ("dtype", _dtype_name(x))
    if _is_tensor(x):
        y = x.detach() if hasattr(x, "detach") else x
        if hasattr(y, "cpu"):
            y = y.cpu()
        arr = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
        return ("tensor", _dtype_name(x.dtype), arr)
    if isinstance(x, dict):
        return {k: normalize(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)) or type(x).__name__ == "Size":
        return ("seq", tuple(normalize(v) for v in x))
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x)
    if isinstance(x, np.generic):
        return x.item()
    raise Mismatch(f"unsupported result type {type(x).__name__}")


def _kind(n) -> str:
    if isinstance(n, tuple):
        return n[0]
    return type(n).__name__


def compare(a, b, rtol: float, atol: float, path: str = "result") -> None:
    """Raise Mismatch(reason) unless the torch result a and engine result b agree."""
    if isinstance(a, bool) or isinstance(b, bool):
        if type(a) is not type(b) or a != b:
            raise Mismatch(f"{path}: torch {a!r}, engine {b!r}")
        return
    if a is None or b is None or isinstance(a, str):
        if a != b:
            raise Mismatch(f"{path}: torch {a!r}, engine {b!r}")
        return
    if isinstance(a, (int, float)):
        if not isinstance(b, (int, float)):
            raise Mismatch(f"{path}: torch gives {type(a).__name__}, engine {_kind(b)}")
        if isinstance(a, int) and not isinstance(b, int):
            raise Mismatch(f"{path}: torch gives int {a}, engine {type(b).__name__} {b!r}")
        if isinstance(a, int):
            if a != b:
                raise Mismatch(f"{path}: torch {a}, engine {b}")
        elif not (math.isclose(a, b, rel_tol=rtol, abs_tol=atol) or (a != a and b != b)):
            raise Mismatch(f"{path}: torch {a!r}, engine {b!r}")
        return
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            kb = list(b) if isinstance(b, dict) else _kind(b)
            raise Mismatch(f"{path}: torch keys {list(a)}, engine {kb}")
        for k in a:
            compare(a[k], b[k], rtol, atol, f"{path}[{k!r}]")
        return
    ka, kb = _kind(a), _kind(b)
    if ka != kb:
        raise Mismatch(f"{path}: torch gives {ka}, engine {kb}")
    if ka == "dtype":
        if a[1] != b[1]:
            raise Mismatch(f"{path}: torch dtype {a[1]}, engine {b[1]}")
        return
    if ka == "seq":
        if len(a[1]) != len(b[1]):
            raise Mismatch(f"{path}: torch gives {len(a[1])} items, engine {len(b[1])}")
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            compare(x, y, rtol, atol, f"{path}[{i}]")
        return
    # tensor / ndarray
    _, da, xa = a
    _, db, xb = b
    if xa.shape != xb.shape:
        raise Mismatch(f"{path}: torch shape {tuple(xa.shape)}, engine {tuple(xb.shape)}")
    if da != db:
        raise Mismatch(f"{path}: torch dtype {da}, engine {db}")
    if xa.dtype.kind in "fc":
        fa, fb = xa.astype(np.float64), xb.astype(np.float64)
        tol_r, tol_a = rtol, atol
        if da in ("float16", "bfloat16"):
            tol_r, tol_a = max(rtol, 1e-3), max(atol, 1e-3)
        if not np.allclose(fa, fb, rtol=tol_r, atol=tol_a, equal_nan=True):
            with np.errstate(invalid="ignore"):
                diff = np.nanmax(np.abs(fa - fb)) if fa.size else 0.0
            raise Mismatch(f"{path}: values differ (max abs diff {diff:.3g})")
    elif not np.array_equal(xa, xb):
        raise Mismatch(f"{path}: values differ: torch {xa.ravel()[:6]}, engine {xb.ravel()[:6]}")


# ---- running ------------------------------------------------------------------------


@dataclass
class Outcome:
    case: Case
    ok: bool
    reason: str = ""
    missing: str = ""  # the name the engine lacks, when the failure is an AttributeError
    tb: str = ""


CASE_TIMEOUT_S = 20


class CaseTimeout(Exception):
    """A case ran past CASE_TIMEOUT_S (not one of the error classes, so it always fails)."""


def _on_alarm(signum, frame):
    raise CaseTimeout(f"ran past {CASE_TIMEOUT_S} s")


def _call(case: Case, ns):
    use_alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.alarm(CASE_TIMEOUT_S)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return case.fn(ns)
    finally:
        if use_alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)


def _error_class(e: BaseException):
    for cls in ERROR_CLASSES:
        if isinstance(e, cls):
            return cls
    return None


def _missing_name(e: BaseException) -> str:
    m = re.search(r"has no attribute '([^']+)'", str(e))
    if m:
        return m.group(1)
    m = re.search(r"wanted \.(\w+)", str(e))
    if m:
        return m.group(1)
    return str(e)[:60]


def _tail(e: BaseException, n: int = 6) -> str:
    return "".join(traceback.format_exception(type(e), e, e.__traceback__)[-n:])


def run_case(case: Case, ref, other) -> Outcome:
    try:
        expected = _call(case, ref)
        ref_exc = None
    except Exception as e:  # noqa: BLE001
        ref_exc = e
    if case.error and ref_exc is None:
        return Outcome(case, False, "suite bug: torch did not raise in an error case")
    if ref_exc is not None and _error_class(ref_exc) is None:
        return Outcome(
            case,
            False,
            f"suite bug: torch raised {type(ref_exc).__name__}: {ref_exc}",
            tb=_tail(ref_exc),
        )
    try:
        got = _call(case, other)
        exc = None
    except Exception as e:  # noqa: BLE001
        exc = e
    if ref_exc is not None:
        cls = _error_class(ref_exc)
        if exc is None:
            return Outcome(case, False, f"torch raises {cls.__name__}, engine does not raise")
        if isinstance(exc, cls):
            return Outcome(case, True)
        if isinstance(exc, AttributeError):
            return Outcome(
                case, False, f"missing: {exc}", missing=_missing_name(exc), tb=_tail(exc)
            )
        return Outcome(
            case,
            False,
            f"torch raises {cls.__name__}, engine {type(exc).__name__}: {str(exc)[:120]}",
            tb=_tail(exc),
        )
    if exc is not None:
        if isinstance(exc, AttributeError):
            return Outcome(
                case, False, f"missing: {str(exc)[:140]}", missing=_missing_name(exc), tb=_tail(exc)
            )
        msg = str(exc).splitlines()[0][:140] if str(exc) else ""
        return Outcome(case, False, f"engine raises {type(exc).__name__}: {msg}", tb=_tail(exc))
    try:
        compare(normalize(expected), normalize(got), case.rtol, case.atol)
    except Mismatch as m:
        return Outcome(case, False, str(m))
    except Exception as e:  # noqa: BLE001 - an engine result that can't be converted
        return Outcome(case, False, f"engine result unusable: {type(e).__name__}: {e}", tb=_tail(e))
    return Outcome(case, True)


def select(category: str | None = None, substr: str | None = None) -> list[Case]:
    out = []
    for c in CASES:
        if category and c.category != category:
            continue
        if substr and substr not in c.name:
            continue
        out.append(c)
    return out


def run_suite(cases=None, self_check: bool = False) -> list[Outcome]:
    cases = CASES if cases is None else cases
    ref = torch_namespace()
    other = torch_namespace() if self_check else engine_namespace()
    return [run_case(c, ref, other) for c in cases]


def soundness_problems(cases=None) -> list[str]:
    """Cases that are wrong about torch: a non-error case that raises, an error case that
    does not."""
    ref = torch_namespace()
    problems = []
    for c in CASES if cases is None else cases:
        try:
            _call(c, ref)
        except Exception as e:  # noqa: BLE001
            if not c.error:
                problems.append(f"{c.name}: torch raises {type(e).__name__}: {e}")
            continue
        if c.error:
            problems.append(f"{c.name}: marked as an error case but torch does not raise")
    return problems


def summary(outcomes: list[Outcome], verbose: bool = False) -> str:
    lines = []
    total = len(outcomes)
    passed = sum(o.ok for o in outcomes)
    lines.append(f"op suite: {passed}/{total} passed ({passed / max(total, 1):.1%})")
    for cat in CATEGORIES:
        sub = [o for o in outcomes if o.case.category == cat]
        if sub:
            p = sum(o.ok for o in sub)
            lines.append(f"  {cat:<15} {p:>4}/{len(sub):<4} {p / len(sub):6.1%}")
    fails = [o for o in outcomes if not o.ok]
    if fails:
        lines.append("")
        lines.append("failures:")
        for o in fails:
            lines.append(f"  [{o.case.category}] {o.case.name}: {o.reason}")
            if verbose and o.tb:
                lines.extend("      " + ln for ln in o.tb.rstrip().splitlines())
        missing = Counter(o.missing for o in fails if o.missing)
        if missing:
            lines.append("")
            lines.append("missing names, by number of failing cases:")
            for name, n in missing.most_common(40):
                lines.append(f"  {n:>3}  {name}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m tests.opsuite.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--category", choices=CATEGORIES)
    p.add_argument("-k", dest="substr", help="only cases whose name contains this")
    p.add_argument("--verbose", "-v", action="store_true", help="traceback tail of failures")
    p.add_argument("--self-check", action="store_true", help="torch on both sides")
    args = p.parse_args(argv)
    cases = select(args.category, args.substr)
    t0 = time.perf_counter()
    outcomes = run_suite(cases, self_check=args.self_check)
    print(summary(outcomes, args.verbose))
    print(
        f"\n({len(cases)} cases in {time.perf_counter() - t0:.1f} s"
        f"{', torch against itself' if args.self_check else ''})"
    )
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
