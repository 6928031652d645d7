"""The layers: each a forward and a backward pass written by hand."""

from mlplab.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Sigmoid, Softsign, Tanh, sigmoid
from mlplab.layers.base import Layer
from mlplab.layers.batchnorm import BatchNorm
from mlplab.layers.dense import Dense
from mlplab.layers.dropout import Dropout
from mlplab.layers.maxout import Maxout

LAYER_TYPES: dict[str, type[Layer]] = {cls.__name__: cls for cls in
                                       (Dense, BatchNorm, Sigmoid, Tanh, Softsign, ReLU, LeakyReLU, PReLU, ELU, Maxout, Dropout)}

__all__ = ["Layer", "Dense", "BatchNorm", "Sigmoid", "Tanh", "Softsign", "ReLU", "LeakyReLU", "PReLU", "ELU", "Maxout",
           "Dropout", "sigmoid", "LAYER_TYPES"]
