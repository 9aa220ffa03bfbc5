"""``ne.utils``: where PyTorch code finds ``torch.utils.data`` (``from nnbench.engine.utils.data
import DataLoader``)."""

from . import data
