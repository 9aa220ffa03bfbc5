"""One causal self-attention block predicting the next character of Alice in Wonderland.

Each of CONTEXT characters looks back at itself and the characters before it:
scores = q @ k^T / sqrt(dim), the future masked out with a tril mask (masked_fill to
-inf), softmax over each row, then the weighted sum of the values (batched matmul).
The last position, which has seen the whole context, predicts the next character.
"""

import math
from importlib import resources

import numpy as np

import nnbench.engine as ne
from nnbench.engine import Experiment, nn, optim
from nnbench.engine.data import DataLoader, TensorDataset

CONTEXT = 8  # characters of context for each prediction


class CausalSelfAttention(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.query = nn.Linear(dim, dim, bias=False)
        self.key = nn.Linear(dim, dim, bias=False)
        self.value = nn.Linear(dim, dim, bias=False)
        # mask[i, j] is True where position i may look at position j (j <= i)
        self.register_buffer("mask", ne.ones(CONTEXT, CONTEXT).tril().bool())

    def forward(self, x):  # x: (batch, CONTEXT, dim)
        q, k, v = self.query(x), self.key(x), self.value(x)
        scores = q @ k.transpose(-2, -1) / math.sqrt(x.shape[-1])  # (batch, T, T)
        scores = scores.masked_fill(~self.mask, float("-inf"))  # no peeking ahead
        weights = scores.softmax(-1)  # each row sums to 1 over the allowed positions
        return weights @ v  # (batch, T, dim)


class AttentionBlock(nn.Module):
    def __init__(self, vocab: int, dim: int = 32):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.position = nn.Embedding(CONTEXT, dim)
        self.attention = CausalSelfAttention(dim)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)
        self.register_buffer("positions", ne.arange(CONTEXT))

    def forward(self, tokens):  # tokens: (batch, CONTEXT)
        x = self.embed(tokens) + self.position(self.positions)
        x = x + self.attention(self.norm(x))  # the residual connection
        return self.head(x[:, -1])  # logits for the character after the context


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
    model = AttentionBlock(len(chars))
    return Experiment(
        name="attention",
        model=model,
        loss_fn=nn.CrossEntropyLoss(),
        optimizer=optim.AdamW(model.parameters(), lr=3e-3),
        train_loader=DataLoader(
            TensorDataset(x[:cut], y[:cut]), batch_size=64, shuffle=True, generator=0
        ),
        val_data=(x[cut:], y[cut:]),
        epochs=10,
    )
