"""The data module under its older name: ``nnbench.engine.data`` is
``nnbench.engine.utils.data`` (PyTorch's ``torch.utils.data``)."""

from .utils.data import (
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

__all__ = [
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
