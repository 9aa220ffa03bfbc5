"""A forward of 10,001 nodes (5,000 blocks of a multiply and a tanh, then a sum), for
timing the Graph pane's keys on a graph that size (benchmarks/latency.py)."""

import nnbench.engine as ne
from nnbench.engine import Experiment

BLOCKS = 5_000


def experiment():
    ne.manual_seed(0)
    x = ne.randn(64, 32, requires_grad=True)

    def forward(batch):
        h = x
        for _ in range(BLOCKS):
            h = (h * 1.0001).tanh()
        return h.sum()

    return Experiment(name="deep_graph", forward=forward, tensors={"x": x}, example_batch=())
