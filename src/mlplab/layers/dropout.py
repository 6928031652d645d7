"""Inverted dropout (Srivastava et al. 2014)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers.base import Layer
from mlplab.validation import check_number


class Dropout(Layer):
    """Training: ``y = x * m / (1 - p)`` with ``m_ij ~ Bernoulli(1 - p)``; test: ``y = x``.

    Scaling at training time keeps ``E[y] = x``, so nothing changes at test time.
    Backward: ``dJ/dx = dJ/dy * m / (1 - p)``.  The mask comes from the layer's own
    seeded generator ``rng``.
    """

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.p = check_number("p", p, low=0.0, high=1.0, high_open=True)
        self.rng = B.make_rng(rng)
        self._scaled_mask: Any = None

    def forward(self, x: Any, train: bool = True) -> Any:
        if not train or self.p == 0.0:
            self._scaled_mask = None
            return x
        keep = self.rng.random(x.shape, dtype=self.dtype) >= self.p
        self._scaled_mask = B.xp.asarray(keep * self.dtype.type(1.0 / (1.0 - self.p)))
        return x * self._scaled_mask

    def backward(self, dy: Any) -> Any:
        if self._scaled_mask is None:
            return dy
        self._check_backward(dy, self._scaled_mask.shape)
        return dy * self._scaled_mask

    def config(self) -> dict[str, Any]:
        return {"p": self.p, **super().config()}
