"""z = x * (a + b) with a=2, b=3, x=4: the smallest graph, forward and backward."""

import nnbench.engine as ne
from nnbench.engine import Experiment


def experiment():
    a = ne.tensor(2.0, requires_grad=True)
    b = ne.tensor(3.0, requires_grad=True)
    x = ne.tensor(4.0, requires_grad=True)

    def forward(batch):
        y = a + b  # 5, AddBackward0
        z = x * y  # 20, MulBackward0
        return z

    return Experiment(
        name="breadcrumbs",
        forward=forward,
        tensors={"a": a, "b": b, "x": x},
        example_batch=(),
    )
