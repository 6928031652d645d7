"""Checking one layer alone: J = <layer(x), R> for a fixed random R, so dJ/dy = R."""

from __future__ import annotations

import mlplab as ml
from mlplab import backend as B


def projection_loss(out, target):
    return float(B.xp.sum(out * target)), B.xp.asarray(target, copy=True)


def check_layer(layer, x, rng, tol=1e-6):
    """Gradient check of ``layer`` on the batch ``x`` (host data), on the active backend."""
    net = ml.Sequential([layer])
    out = net.forward(x, train=True)
    target = B.asarray(rng.normal(size=tuple(out.shape)))
    errors = ml.gradcheck(net, projection_loss, x, target, check_input=True)
    assert set(errors) == {f"0.{name}" for name in layer.params} | {"input"}
    assert max(errors.values()) <= tol, errors
    return errors
