"""A transformer feed-forward block predicting the next character of Alice in Wonderland.

Embedding -> x + Dropout(Linear(GELU(Linear(LayerNorm(x))))) -> Linear to the
vocabulary; Softmax turns the logits into next-character probabilities.
"""

from importlib import resources

import numpy as np

import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

CONTEXT = 8  # characters of context for each prediction


class FeedForwardBlock(nn.Module):
    def __init__(self, vocab: int, dim: int = 32, hidden: int = 128, dropout: float = 0.1):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.norm = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(CONTEXT * dim, vocab)
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, tokens):
        x = self.embed(tokens)  # (batch, CONTEXT, dim)
        x = x + self.drop(self.down(self.act(self.up(self.norm(x)))))
        return self.head(x.flatten(1))  # logits over the vocabulary

    def next_char_probabilities(self, tokens):
        return self.softmax(self(tokens))


def windows(text: str, chars: list[str]):
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text])
    starts = np.arange(len(ids) - CONTEXT)
    x = np.stack([ids[s : s + CONTEXT] for s in starts])
    y = ids[starts + CONTEXT]
    return ne.tensor(x), ne.tensor(y)


def experiment():
    ne.manual_seed(0)
    text = resources.files("nnbench.samples").joinpath("alice.txt").read_text()
    text = " ".join(text.split())
    chars = sorted(set(text))
    x, y = windows(text, chars)
    cut = int(len(y) * 0.9)
    model = FeedForwardBlock(len(chars))
    return Experiment(
        name="ffn_block",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.AdamW(model.parameters(), lr=3e-3),
        train_loader=DataLoader(
            TensorDataset(x[:cut], y[:cut]), batch_size=64, shuffle=True, generator=0
        ),
        val_data=(x[cut:], y[cut:]),
        epochs=10,
    )
