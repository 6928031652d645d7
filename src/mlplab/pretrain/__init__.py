"""Greedy layer-wise unsupervised pre-training, and the deep autoencoder built from it.

A package rather than one ``pretrain.py``: the autoencoder block, the RBM, the greedy driver
and the deep autoencoder are four concepts, each with its own equations.
"""

from mlplab.pretrain.autoencoder import LayerAutoencoder, corrupt
from mlplab.pretrain.deep import (deep_autoencoder, fine_tune_autoencoder, pca_reconstruction, pixel_mse,
                                  pretrain_autoencoder, reconstruct, unroll)
from mlplab.pretrain.greedy import LayerReport, fit_unsupervised, hidden_blocks, pretrain, pretrain_blocks
from mlplab.pretrain.rbm import RBM

__all__ = ["LayerAutoencoder", "corrupt", "RBM", "LayerReport", "hidden_blocks", "fit_unsupervised", "pretrain",
           "pretrain_blocks", "deep_autoencoder", "pretrain_autoencoder", "unroll", "fine_tune_autoencoder",
           "reconstruct", "pixel_mse", "pca_reconstruction"]
