"""Per-op overhead and one seed-MLP training step, for comparing two checkouts of the engine.

Each run is one fresh process timing the engine it imports. To compare an old commit with
this one, make a tree whose nnbench/engine is the old checkout's engine/ and alternate:

    git worktree add --detach /tmp/old 66f0853
    mkdir -p /tmp/oldpath/nnbench && ln -s /tmp/old/engine /tmp/oldpath/nnbench/engine
    for i in 1 2 3; do
        PYTHONPATH=/tmp/oldpath python benchmarks/overhead.py
        python benchmarks/overhead.py
    done

It times `a + b`, `a * b`, `a.exp()` on 4x4 tensors that require grad (best of 5 x 20,000
calls) and a 784-128-10 MLP step with Adam on a batch of 64 (best of 5 x 200 steps).
"""

import timeit

import nnbench.engine as ne
from nnbench.engine import nn, optim


def main() -> None:
    ne.manual_seed(0)
    a = ne.randn(4, 4, requires_grad=True)
    b = ne.randn(4, 4, requires_grad=True)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    x, y = ne.randn(64, 784), ne.randint(0, 10, (64,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    cases = [("a + b", lambda: a + b, 20000), ("a * b", lambda: a * b, 20000)]
    cases += [("a.exp()", a.exp, 20000), ("MLP step", step, 200)]
    timings = []
    for name, fn, calls in cases:
        best = min(timeit.repeat(fn, number=calls, repeat=5)) / calls
        timings.append(f"{name} {best * 1e6:.2f} us")
    print(ne.__file__, " | ".join(timings))


if __name__ == "__main__":
    main()
