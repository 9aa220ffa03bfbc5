"""The seed's y = 2x + 1: loose W and b with a hand-written update, or nn.Linear + Adam.

`linear_regression` (or `linear_regression:scratch`) updates W and b by hand under
no_grad; `linear_regression:nn` uses nn.Linear, MSELoss and Adam with the three-line
mantra. Both reach w close to 2 and b close to 1.
"""

import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

VARIANTS = ("scratch", "nn")  # `nnbench samples` lists them; an unknown one is named


def experiment(variant="scratch"):
    ne.manual_seed(0)
    x, y = datasets.linear(n=200, noise=0.1, seed=0)
    (x_train, y_train), val = datasets.train_val_split(x, y, 0.2)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=16, shuffle=True, generator=0)
    if variant == "scratch":
        return from_scratch(loader, val)
    if variant == "nn":
        return with_nn(loader, val)
    raise ValueError(f"linear_regression has the variants {VARIANTS}, not {variant!r}")


def from_scratch(loader, val):
    W = ne.randn(1, 1, requires_grad=True)
    b = ne.zeros(1, requires_grad=True)
    lr = 0.1

    def forward(batch):
        x, y = batch
        prediction = x @ W + b
        return ((prediction - y) ** 2).mean()

    def update():  # runs under no_grad: the update itself must not be recorded
        nonlocal W, b
        W -= lr * W.grad  # in place on the leaf, which no_grad allows
        b -= lr * b.grad

    return Experiment(
        name="linear_regression",
        forward=forward,
        update=update,
        tensors={"W": W, "b": b},
        train_loader=loader,
        val_data=val,
        epochs=30,
        task="regression",
        lr=lr,
        truth={"W": 2.0, "b": 1.0},
        predict=lambda x: x @ W + b,
    )


def with_nn(loader, val):
    model = nn.Linear(1, 1)
    return Experiment(
        name="linear_regression_nn",
        model=model,
        loss_fn=nn.MSELoss(),
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        train_loader=loader,
        val_data=val,
        epochs=30,
        task="regression",
        truth={"weight": 2.0, "bias": 1.0},
    )
