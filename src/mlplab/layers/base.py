"""The layer protocol shared by every building block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from mlplab import backend as B


class Layer(ABC):
    """A differentiable map with hand-written forward and backward passes.

    ``forward(x, train)`` caches what ``backward`` needs; ``backward(dy)`` takes
    ``dJ/dy`` for the batch, writes ``dJ/dparam`` into ``grads`` (overwriting, not
    accumulating) and returns ``dJ/dx``.  ``params`` and ``grads`` share their keys;
    ``buffers`` hold state that is not trained (BatchNorm's running statistics).
    ``weight_names`` lists the params that DD2424 lecture 4's L2 term ``lambda ||W||^2`` covers.

    All array math goes through the active backend's ops (``backend.ops()``): a layer never asks
    which implementation runs.
    """

    # -- capabilities, read by the network, the trainer, diagnostics and export (never hasattr) --
    weight_names: tuple[str, ...] = ()
    """The params DD2424 lecture 4's L2 term ``lambda ||W||^2`` covers."""
    running_stats: tuple[str, ...] = ()
    """Buffers that training mode moves (BatchNorm's running mean and variance): a layer with any needs
    at least 2 examples per training batch."""
    stochastic: bool = False
    """True for layers that draw from their own generator ``self.rng`` in training (dropout): a checkpoint
    keeps the generator's state."""
    affine: bool = False
    """True for layers with ``in_features`` and ``out_features`` (they set the network's widths)."""
    onnx_op: str | None = None
    """The ONNX operator that computes this layer at inference, where one operator does."""

    def __init__(self, dtype: Any = None) -> None:
        self.dtype = B.resolve_dtype(dtype)
        self.params: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self.buffers: dict[str, Any] = {}

    def _add_param(self, name: str, value: Any) -> Any:
        self.params[name] = value
        self.grads[name] = B.xp.zeros_like(value)
        return value

    def _full(self, shape: int | tuple[int, ...], value: float) -> Any:
        """A new array of the layer's dtype filled with ``value``, on the active backend."""
        return B.asarray(np.full(shape, value, dtype=self.dtype))

    @abstractmethod
    def forward(self, x: Any, train: bool = True) -> Any:
        """Return the layer's output for the batch ``x`` of shape ``(batch, features)``."""

    @abstractmethod
    def backward(self, dy: Any) -> Any:
        """Fill ``grads`` from ``dJ/dy`` and return ``dJ/dx`` for the last forward batch."""

    def backward_params(self, dy: Any) -> None:
        """Fill ``grads`` only, when ``dJ/dx`` is not needed (the first layer while training).
        Layers whose input gradient costs a product override this to skip it."""
        self.backward(dy)

    def weight(self) -> Any | None:
        """The weight matrix of the layer's map, which the diagnostics follow: by default the param named
        ``W`` (Dense, Maxout, a user's layer), None without one; weight norm returns its ``g v / ||v||``."""
        return self.params.get("W")

    def weight_grad(self) -> Any | None:
        """``dJ/d weight()`` from the last backward pass (by default ``grads["W"]``; None without one)."""
        return self.grads.get("W")

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {"dtype": self.dtype.name}

    def output_dim(self, input_dim: int) -> int:
        """Feature count of the output for an input of ``input_dim`` features."""
        return input_dim

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items() if k != "dtype")
        return f"{type(self).__name__}({args})"

    def _check_backward(self, dy: Any, expected_shape: tuple[int, ...]) -> None:
        if tuple(dy.shape) != tuple(expected_shape):
            raise ValueError(f"{type(self).__name__}.backward: dy must have shape {tuple(expected_shape)} "
                             f"(the last forward output), got {tuple(dy.shape)}")
