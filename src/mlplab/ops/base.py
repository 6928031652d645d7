"""The reference ops: every primitive the layers and optimizers use, written once against the
array API standard (``self.xp``), so they run on NumPy, PyTorch, CuPy and ``array_api_strict``.

Faster versions (:class:`mlplab.ops.numpy_ops.NumpyOps`: the C kernels, BLAS with ``beta``)
override a primitive where the arrays allow and fall back to these otherwise; the tests check
both against PyTorch.  Conventions: ``dy`` is ``dJ/dy`` for the batch; gradients are written
into the arrays passed as ``dW``, ``db``, ... (overwritten, never accumulated, unless ``beta``).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from mlplab.ops.activations import ActivationOps
from mlplab.ops.affine import AffineOps
from mlplab.ops.arrays import ArrayOps
from mlplab.ops.dropout import DropoutOps
from mlplab.ops.normalization import NormalizationOps
from mlplab.ops.updates import UpdateOps


class Ops(ArrayOps, AffineOps, ActivationOps, NormalizationOps, DropoutOps, UpdateOps):
    """Array math for one backend: ``xp`` is its namespace, ``device`` where new arrays go.  The
    primitives live in one module per concept (arrays, affine, activations, normalization, dropout,
    updates); this class puts them together, as thinc's ``Ops`` is one handle."""

    name = "array API reference"

    def __init__(self, xp: ModuleType, device: Any = None) -> None:
        self.xp = xp
        self.device = device
