"""The layers: each a forward and a backward pass written by hand."""

from mlplab.layers.activations import ELU, SELU, LeakyReLU, PReLU, ReLU, Sigmoid, Softsign, Tanh, sigmoid
from mlplab.layers.base import Layer
from mlplab.layers.batchnorm import BatchNorm
from mlplab.layers.dense import Dense
from mlplab.layers.dropout import AlphaDropout, Dropout
from mlplab.layers.layernorm import LayerNorm
from mlplab.layers.maxout import Maxout
from mlplab.layers.weightnorm import WeightNormDense

LAYER_TYPES: dict[str, type[Layer]] = {cls.__name__: cls for cls in
                                       (Dense, BatchNorm, Sigmoid, Tanh, Softsign, ReLU, LeakyReLU, PReLU, ELU, Maxout, Dropout,
                                        LayerNorm, WeightNormDense, SELU, AlphaDropout)}

__all__ = ["Layer", "Dense", "BatchNorm", "Sigmoid", "Tanh", "Softsign", "ReLU", "LeakyReLU", "PReLU", "ELU", "Maxout",
           "Dropout", "LayerNorm", "WeightNormDense", "SELU", "AlphaDropout", "sigmoid", "LAYER_TYPES"]
