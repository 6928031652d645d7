"""Greedy layer-wise unsupervised pre-training, and the deep autoencoder built from it.

A package rather than one ``pretrain.py``: the autoencoder block, the RBM, the greedy driver
and the deep autoencoder are four concepts, each with its own equations; their mini-batches run
through the training loop (``fit``), whose progress a checkpoint of its own keeps (``checkpoint``).
"""

from mlplab.pretrain.autoencoder import LayerAutoencoder, corrupt
from mlplab.pretrain.deep import (deep_autoencoder, fine_tune_autoencoder, pca_reconstruction, pixel_mse,
                                  pretrain_autoencoder, reconstruct, unroll)
from mlplab.pretrain.fit import ObjectiveUpdate, fit_unsupervised
from mlplab.pretrain.greedy import LayerReport, hidden_blocks, pretrain, pretrain_blocks
from mlplab.pretrain.rbm import RBM

__all__ = ["LayerAutoencoder", "corrupt", "RBM", "LayerReport", "hidden_blocks", "fit_unsupervised", "ObjectiveUpdate",
           "pretrain", "pretrain_blocks", "deep_autoencoder", "pretrain_autoencoder", "unroll", "fine_tune_autoencoder",
           "reconstruct", "pixel_mse", "pca_reconstruction"]
