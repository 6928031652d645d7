"""Block names ("hidden 2: Dense 1000→500, ReLU") come from what layers declare (``affine``), so a
user's own affine layer opens a block as Dense does."""

from __future__ import annotations

import numpy as np

import mlplab as ml
from mlplab.layers import Layer
from mlplab.naming import block_names, layer_range


class Scaled(Layer):
    """A user's affine layer (not a Dense): ``y = 2 x W^T``."""

    affine = True

    def __init__(self, n_in: int, n_out: int) -> None:
        super().__init__("float64")
        self.in_features, self.out_features = n_in, n_out
        self._add_param("W", np.ones((n_out, n_in)))

    def forward(self, x, train=True):
        return 2.0 * x @ self.params["W"].T

    def backward(self, dy):
        return 2.0 * dy @ self.params["W"]


def test_blocks_open_at_affine_layers_and_name_their_parts():
    net = ml.mlp(8, [6, 4], 3, activation="relu", batchnorm=True, dropout=0.2, seed=0)
    names = block_names(net.layers)
    assert names[0] == names[1] == names[2] == names[3] == "hidden 1: Dense 8→6, BatchNorm, ReLU, Dropout 0.2"
    assert names[-1] == "output: Dense 4→3"
    maxout = ml.Sequential([ml.layers.Maxout(5, 4, pieces=3), ml.layers.Dense(4, 2)])
    assert block_names(maxout.layers) == ["hidden 1: Maxout 5→4 (3 pieces)", "output: Dense 4→2"]


def test_a_users_affine_layer_opens_a_block_and_sets_the_input_width():
    net = ml.Sequential([ml.layers.Tanh("float64"), Scaled(5, 4), ml.layers.Tanh("float64"), Scaled(4, 2)])
    assert block_names(net.layers) == ["input: Tanh", "hidden 1: Scaled 5→4, Tanh", "hidden 1: Scaled 5→4, Tanh",
                                       "output: Scaled 4→2"]
    assert net.in_features == 5
    assert layer_range(["hidden 1: x", "hidden 2: y", "hidden 4: z", "output: w"]) == "hidden 1-2, 4, output"
