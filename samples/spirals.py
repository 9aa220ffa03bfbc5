"""Three interleaved spirals in 2-D: a small MLP learns a curved decision boundary."""

import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset


def experiment():
    ne.manual_seed(0)
    x, y = datasets.spirals(n=600, classes=3, noise=0.2, seed=0)
    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(x, y, val_fraction=0.2)
    model = nn.Sequential(
        nn.Linear(2, 64),
        nn.ReLU(),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 3),
    )
    return Experiment(
        name="spirals",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=1e-2),
        train_loader=DataLoader(
            TensorDataset(x_train, y_train), batch_size=32, shuffle=True, generator=0
        ),
        val_data=(x_val, y_val),
        epochs=40,
    )
