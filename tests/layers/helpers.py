"""Checking one layer alone: J = <layer(x), R> for a fixed random R, so dJ/dy = R."""

from __future__ import annotations


import mlplab as ml


def projection_loss(out, target):
    return float((out * target).sum()), target.copy()


def check_layer(layer, x, rng, tol=1e-6):
    net = ml.Sequential([layer])
    out = net.forward(x, train=True)
    target = rng.normal(size=out.shape)
    errors = ml.gradcheck(net, projection_loss, x, target, check_input=True)
    assert set(errors) == {f"0.{name}" for name in layer.params} | {"input"}
    assert max(errors.values()) <= tol, errors
    return errors
