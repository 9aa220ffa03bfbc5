"""Benchmarks: the engine against PyTorch eager (CPU) and a hand-written numpy floor.

Contenders are timed interleaved, round by round, in one process, and each figure is
the median over rounds, so drift on a shared machine hits all of them alike. The
targets (../shared/design/performance.md) are ratios, printed beside each figure; this
module reports, it never asserts.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass

import numpy as np


@dataclass
class Row:
    name: str
    unit: str
    figures: dict  # contender -> seconds per call (or GFLOP/s for matmul)
    ratio: float
    target: str
    passed: bool


def _interleaved(contenders: dict, rounds: int, calls: int) -> dict:
    for fn in contenders.values():  # warm up caches, allocators and lazy imports
        for _ in range(max(3, calls // 5)):
            fn()
    samples = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(rounds):
        # rotate the order, so no contender always runs right after the same one (torch's
        # worker threads keep spinning for a while after its calls and slow what follows)
        for name in names[r % len(names) :] + names[: r % len(names)]:
            fn = contenders[name]
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


# ---------------------------------------------------------------------- MLP steps
def _mlp_data(sizes, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        weights.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return x, y, weights


def mlp_step(lib, sizes, batch):
    """One training step of an MLP, written once for ``nnbench.engine`` and ``torch``
    (they share the API): zero_grad, cross-entropy forward, backward, Adam."""
    x_np, y_np, weights = _mlp_data(sizes, batch)
    layers = []
    for i in range(len(sizes) - 1):
        layers += [lib.nn.Linear(sizes[i], sizes[i + 1]), lib.nn.ReLU()]
    model = lib.nn.Sequential(*layers[:-1])
    with lib.no_grad():
        for p, w in zip(model.parameters(), weights):
            p.copy_(lib.tensor(w))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = lib.nn.CrossEntropyLoss()
    x, y = lib.tensor(x_np), lib.tensor(y_np)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def engine_step(sizes, batch):
    import nnbench.engine as ne

    return mlp_step(ne, sizes, batch)


def torch_step(sizes, batch):
    import torch

    return mlp_step(torch, sizes, batch)


def numpy_floor_step(sizes, batch):
    """Forward, hand-derived backward and Adam in plain numpy: no graph, no checks, weights
    stored as [in, out] so no matmul needs a transpose, Adam in place in scratch buffers."""
    x, y, weights = _mlp_data(sizes, batch)
    params = []
    for i in range(0, len(weights), 2):
        params += [np.ascontiguousarray(weights[i].T), weights[i + 1]]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scratch = [np.zeros_like(p) for p in params]
    state = {"t": 0}
    rows = np.arange(batch)
    layer_count = len(params) // 2

    def step():
        activations = [x]
        h = x
        for i in range(layer_count):
            h = h @ params[2 * i]
            h += params[2 * i + 1]
            if i < layer_count - 1:
                np.maximum(h, 0, out=h)
            activations.append(h)
        h -= h.max(1, keepdims=True)
        np.exp(h, out=h)
        h /= h.sum(1, keepdims=True)  # softmax probabilities
        loss = -np.log(h[rows, y]).mean()
        grad = h
        grad[rows, y] -= 1
        grad /= batch
        grads = [None] * len(params)
        for i in reversed(range(layer_count)):
            grads[2 * i] = activations[i].T @ grad
            grads[2 * i + 1] = grad.sum(0)
            if i:
                grad = grad @ params[2 * i].T
                grad *= activations[i] > 0
        state["t"] += 1
        t = state["t"]
        step_size, root = 1e-3 / (1 - 0.9**t), np.sqrt(1 - 0.999**t)
        for p, g, mi, vi, tmp in zip(params, grads, m, v, scratch):
            np.subtract(g, mi, out=tmp)
            tmp *= 0.1
            mi += tmp
            vi *= 0.999
            np.multiply(g, g, out=tmp)
            tmp *= 0.001
            vi += tmp
            np.sqrt(vi, out=tmp)
            tmp /= root
            tmp += 1e-8
            np.divide(mi, tmp, out=tmp)
            tmp *= step_size
            p -= tmp
        return loss

    return step


# ---------------------------------------------------------------------- small op, matmul
def small_op_contenders():
    import torch

    import nnbench.engine as ne

    a = ne.randn(64, 128, requires_grad=True)
    b = ne.randn(64, 128)
    ta = torch.randn(64, 128, requires_grad=True)
    tb = torch.randn(64, 128)
    return {"engine": lambda: a + b, "torch": lambda: ta + tb}


def matmul_contenders(n=1024):
    import nnbench.engine as ne

    rng = np.random.default_rng(0)
    a_np, b_np = (
        rng.normal(size=(n, n)).astype(np.float32),
        rng.normal(size=(n, n)).astype(np.float32),
    )
    a, b = ne.tensor(a_np, requires_grad=True), ne.tensor(b_np)
    return {"engine": lambda: a @ b, "numpy": lambda: a_np @ b_np}


def memory_profile(steps: int) -> tuple[float, float]:
    """Traced Python memory (MiB) after the first tenth of the steps and at the end."""
    step = engine_step((784, 128, 10), 64)
    gc.collect()
    tracemalloc.start()
    early = 0.0
    for i in range(steps):
        step()
        if i == steps // 10:
            gc.collect()
            early = tracemalloc.get_traced_memory()[0] / 2**20
    gc.collect()
    late = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    return early, late


# ---------------------------------------------------------------------- the table
def run(rounds: int = 7, memory_steps: int = 10_000, quick: bool = False) -> list[Row]:
    import torch

    torch.set_num_threads(max(1, torch.get_num_threads()))
    rows = []
    calls = 5 if quick else 20
    seed = (784, 128, 10)
    t = _interleaved(
        {
            "engine": engine_step(seed, 64),
            "torch": torch_step(seed, 64),
            "floor": numpy_floor_step(seed, 64),
        },
        rounds,
        calls,
    )
    rows.append(_row("seed MLP step 784-128-10, batch 64", t, "torch", "<= 0.8x", 0.8))
    rows.append(_row("seed MLP step vs the numpy floor", t, "floor", "<= 1.3x", 1.3))
    wide = (1024, 1024, 10)
    t = _interleaved(
        {"engine": engine_step(wide, 256), "torch": torch_step(wide, 256)},
        rounds,
        max(2, calls // 4),
    )
    rows.append(_row("wide MLP step 1024-1024-10, batch 256", t, "torch", "<= 1.0x", 1.0))
    t = _interleaved(small_op_contenders(), rounds, 200 if quick else 2000)
    rows.append(_row("64x128 add with grad tracking", t, "torch", "<= 1.5x", 1.5))
    t = _interleaved(matmul_contenders(), rounds, 2 if quick else 5)
    flops = 2 * 1024**3
    gflops = {name: flops / seconds / 1e9 for name, seconds in t.items()}
    ratio = gflops["engine"] / gflops["numpy"]
    rows.append(Row("1024^2 matmul (GFLOP/s)", "GFLOP/s", gflops, ratio, ">= 0.9x", ratio >= 0.9))
    if memory_steps:
        early, late = memory_profile(memory_steps)
        growth = late - early
        rows.append(
            Row(
                f"memory over {memory_steps:,} training steps",
                "MiB",
                {"after 10%": early, "at the end": late},
                growth,
                "flat (< 1 MiB growth)",
                growth < 1.0,
            )
        )
    return rows


def _row(name, times, against, target, limit) -> Row:
    ratio = times["engine"] / times[against]
    return Row(name, "us", {k: v * 1e6 for k, v in times.items()}, ratio, target, ratio <= limit)


def format_rows(rows: list[Row]) -> str:
    lines = [f"{'benchmark':<40} {'figures':<48} {'ratio':>7}  target"]
    for row in rows:
        figures = "  ".join(f"{k} {v:,.1f}" for k, v in row.figures.items())
        unit = "" if row.unit in ("GFLOP/s",) else f" {row.unit}"
        mark = "ok" if row.passed else "MISSED"
        ratio = f"{row.ratio:.2f}x" if row.unit != "MiB" else f"{row.ratio:+.2f}"
        lines.append(f"{row.name:<40} {figures + unit:<48} {ratio:>7}  {row.target} {mark}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="nnbench bench",
        description="Time the engine against PyTorch eager (CPU) and a hand-written numpy "
        "floor, interleaved in one run, and print the ratios the design targets.",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--memory-steps", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="fewer calls per round")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("nnbench bench compares with PyTorch, which is not installed (pip install torch)")
        return 1
    print(format_rows(run(args.rounds, args.memory_steps, args.quick)))
    return 0
