"""A 64-128-10 MLP with ReLU on the 8x8 handwritten digits: cross-entropy + Adam."""

import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset


def experiment():
    ne.manual_seed(0)
    x, y = datasets.digits()
    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(x, y, val_fraction=0.2)
    model = nn.Sequential(
        nn.Linear(64, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )
    return Experiment(
        name="digits_mlp",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-3),
        train_loader=DataLoader(
            TensorDataset(x_train, y_train), batch_size=64, shuffle=True, generator=0
        ),
        val_data=(x_val, y_val),
        epochs=20,
    )
