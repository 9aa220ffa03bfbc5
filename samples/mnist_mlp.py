"""The seed's 784-128-10 MLP on MNIST, read from its IDX files on your disk.

nnbench never downloads data. Put the four MNIST files (train-images-idx3-ubyte,
train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; raw or .gz)
in ~/.nnbench/mnist, or point NNBENCH_MNIST at the folder that holds them.
"""

import os
from pathlib import Path

import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset


def mnist_folder() -> Path:
    return Path(os.environ.get("NNBENCH_MNIST", "~/.nnbench/mnist")).expanduser()


def experiment():
    ne.manual_seed(0)
    x_train, y_train = datasets.mnist(mnist_folder(), "train")
    x_val, y_val = datasets.mnist(mnist_folder(), "test")
    model = nn.Sequential(
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    return Experiment(
        name="mnist_mlp",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-3),
        train_loader=DataLoader(
            TensorDataset(x_train, y_train), batch_size=64, shuffle=True, generator=0
        ),
        val_data=(x_val, y_val),
        epochs=3,
    )
