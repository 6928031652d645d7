"""Inverted dropout (Srivastava et al. 2014), and alpha dropout for SELU networks (Klambauer et al. 2017)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.layers.activations import SELU_ALPHA, SELU_SCALE
from mlplab.layers.base import Layer
from mlplab.validation import check_number


class _MaskedUnits(Layer):
    """What both dropouts share: the rate ``p`` on a 16-bit grid (a unit is dropped when its 16 random
    bits fall below ``threshold``), the layer's own seeded host generator ``rng``, and a backward that
    multiplies by the factor forward kept (``_keep``, None at test time: the identity)."""

    stochastic = True
    onnx_op = None        # the identity at inference

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__(dtype)
        self.p = check_number("p", p, low=0.0, high=1.0, high_open=True)
        self.rng = B.make_rng(rng)
        self._threshold = min(round(self.p * 65536), 65535)     # drop when bits < threshold
        self._keep: Any = None

    def backward(self, dy: Any) -> Any:
        if self._keep is None:
            return dy
        self._check_backward(dy, self._keep.shape)
        return dy * self._keep

    def config(self) -> dict[str, Any]:
        return {"p": self.p, **super().config()}


class Dropout(_MaskedUnits):
    """Training: ``y = x * m / (1 - p)`` with ``m_ij ~ Bernoulli(1 - p)``; test: ``y = x``.

    Scaling at training time keeps ``E[y] = x``, so nothing changes at test time.
    Backward: ``dJ/dx = dJ/dy * m / (1 - p)``.  The scaled mask ``m / (1 - p)`` comes from the
    layer's own seeded generator ``rng`` on the host, as 16 random bits per unit (a fraction of
    the cost of a random float; the same masks on every backend): ``p`` is realised to the nearest
    multiple of 1/65536, and the scale uses that exact rate, so ``E[y] = x`` still holds exactly.
    """

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__(p, rng, dtype)
        self._scale = self.dtype.type(65536 / (65536 - self._threshold))

    def forward(self, x: Any, train: bool = True) -> Any:
        if not train or self._threshold == 0:
            self._keep = None
            return x
        self._keep = B.ops().dropout_mask(self.rng, tuple(x.shape), self._threshold, self._scale, self.dtype)
        return x * self._keep


class AlphaDropout(_MaskedUnits):
    """Alpha dropout (Klambauer et al. 2017), with ``torch.nn.AlphaDropout``'s semantics: a dropped
    unit is set to SELU's negative saturation ``alpha' = -lambda alpha`` rather than 0, then an
    affine map ``a (.) + b`` restores mean 0 and variance 1 for inputs that had them::

        y = a (x m + alpha' (1 - m)) + b,   m_ij ~ Bernoulli(1 - p)
        a = ((1 - p) (1 + p alpha'^2))^(-1/2),   b = -a p alpha'

    Test: ``y = x``.  Backward: ``dJ/dx = dJ/dy a m``.  The mask comes from the layer's own seeded
    generator on the host as :class:`Dropout`'s does; ``a`` and ``b`` use the rate actually realised
    (``p`` to the nearest 1/65536), so the moments are restored exactly.
    """

    def __init__(self, p: float = 0.5, rng: int | np.random.Generator | None = None, dtype: Any = None) -> None:
        super().__init__(p, rng, dtype)
        rate = self._threshold / 65536
        self._dropped = -SELU_SCALE * SELU_ALPHA
        self._a = ((1.0 - rate) * (1.0 + rate * self._dropped ** 2)) ** -0.5
        self._b = -self._a * rate * self._dropped

    def forward(self, x: Any, train: bool = True) -> Any:
        if not train or self._threshold == 0:
            self._keep = None
            return x
        self._keep, shift = B.ops().alpha_dropout_mask(self.rng, tuple(x.shape), self._threshold, self._a,
                                                       self._dropped, self._b, self.dtype)
        return x * self._keep + shift
