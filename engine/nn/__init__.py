"""nn: modules, layers and losses with PyTorch's names, shapes and initialisation."""

from . import functional, init, utils
from .activation import ELU, Hardtanh, LeakyReLU, ReLU6, SiLU, Softplus
from .attention import MultiheadAttention
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .layers import (
    GELU,
    CrossEntropyLoss,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    Linear,
    LogSoftmax,
    ModuleDict,
    ModuleList,
    MSELoss,
    NLLLoss,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    Unflatten,
)
from .loss import BCELoss, BCEWithLogitsLoss, HuberLoss, L1Loss, SmoothL1Loss
from .module import Module, Parameter
