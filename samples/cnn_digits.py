"""A small CNN on the 8x8 digits: two Conv2d + ReLU + MaxPool2d, then Linear.

The handwritten digits as 1-channel images: two 3x3 convolutions with ReLU and 2x2 max
pooling, then a Linear classifier; cross-entropy + Adam."""

import nnbench.engine as ne
from nnbench.engine import Experiment, datasets, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset


def experiment():
    ne.manual_seed(0)
    x, y = datasets.digits()
    x = x.reshape(len(x), 1, 8, 8)  # (N, 1, 8, 8): one channel of 8x8 pixels
    (x_train, y_train), (x_val, y_val) = datasets.train_val_split(x, y, val_fraction=0.2)
    model = nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # 16 x 8 x 8
        nn.ReLU(),
        nn.MaxPool2d(2),  # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1),  # 32 x 4 x 4
        nn.ReLU(),
        nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )
    return Experiment(
        name="cnn_digits",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.Adam(model.parameters(), lr=3e-3),
        train_loader=DataLoader(
            TensorDataset(x_train, y_train), batch_size=64, shuffle=True, generator=0
        ),
        val_data=(x_val, y_val),
        epochs=20,
    )
