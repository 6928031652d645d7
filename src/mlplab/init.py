"""Weight initializers by name (CS7015 lecture 9, DD2424 lecture 4, Balasubramanian lecture 30).

A weight of shape ``(out, in)`` has ``fan_in = in`` and ``fan_out = out``; a Maxout weight
``(pieces, out, in)`` is initialised piece by piece with the same fans.

=================  ==========================================  ==========================
name               distribution                                source
=================  ==========================================  ==========================
``zeros``          0                                           (symmetry: units stay equal)
``constant:<v>``   v                                           CS7015 9.4 (the failure case)
``normal:<std>``   N(0, std^2)                                 DD2424 "sigma = .01"
``uniform:<a>``    U(-a, a)
``xavier_normal``  N(0, 2 / (fan_in + fan_out))                Glorot & Bengio 2010
``xavier_uniform`` U(+-sqrt(6 / (fan_in + fan_out)))           Glorot & Bengio 2010
``lecun_normal``   N(0, 1 / fan_in)                            DD2424 lecture 4's "Xavier": sigma = 1/sqrt(n_in)
``standard_uniform`` U(+-1 / sqrt(fan_in))                     Glorot & Bengio's "standard" (eq. 1);
                                                               PyTorch's nn.Linear default
``he_normal``      N(0, 2 / fan_in)                            He et al. 2015, DD2424 sigma = sqrt(2/n_in)
``he_uniform``     U(+-sqrt(6 / fan_in))                       He et al. 2015
``orthogonal[:g]`` g * Q, Q from the QR of a Gaussian matrix   Saxe et al. 2014
=================  ==========================================  ==========================

``lsuv(net, x)`` is the data-driven scheme of Mishkin & Matas (2016).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.validation import check_number, check_positive_int

Initializer = Callable[[tuple[int, ...], np.random.Generator], np.ndarray]
InitSpec = str | float | int | Initializer


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight whose last two axes are ``(out, in)``."""
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[-1], shape[-2]


def _zeros(shape, rng):
    return np.zeros(shape)


def _constant(value: float) -> Initializer:
    return lambda shape, rng: np.full(shape, value)


def _normal(std: float) -> Initializer:
    return lambda shape, rng: rng.normal(0.0, std, size=shape)


def _uniform(bound: float) -> Initializer:
    return lambda shape, rng: rng.uniform(-bound, bound, size=shape)


def _xavier_normal(shape, rng):
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def _xavier_uniform(shape, rng):
    fan_in, fan_out = fans(shape)
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=shape)


def _lecun_normal(shape, rng):
    return rng.normal(0.0, 1.0 / math.sqrt(fans(shape)[0]), size=shape)


def _standard_uniform(shape, rng):
    bound = 1.0 / math.sqrt(fans(shape)[0])
    return rng.uniform(-bound, bound, size=shape)


def _he_normal(shape, rng):
    return rng.normal(0.0, math.sqrt(2.0 / fans(shape)[0]), size=shape)


def _he_uniform(shape, rng):
    bound = math.sqrt(6.0 / fans(shape)[0])
    return rng.uniform(-bound, bound, size=shape)


def _orthogonal(gain: float) -> Initializer:
    def init(shape, rng):
        if len(shape) < 2:
            raise ValueError(f"init 'orthogonal' needs a weight of at least 2 dimensions, got shape {shape}")
        if len(shape) > 2:  # Maxout: one orthogonal matrix per piece
            return np.stack([init(shape[1:], rng) for _ in range(shape[0])])
        rows, cols = shape
        a = rng.normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # sign fix: makes Q uniformly distributed (Mezzadri 2007)
        return gain * (q if rows >= cols else q.T)
    return init


_NAMED: dict[str, Initializer] = {
    "zeros": _zeros,
    "xavier_normal": _xavier_normal,
    "xavier_uniform": _xavier_uniform,
    "lecun_normal": _lecun_normal,
    "standard_uniform": _standard_uniform,
    "he_normal": _he_normal,
    "he_uniform": _he_uniform,
    "orthogonal": _orthogonal(1.0),
}
_PARAMETRIC: dict[str, Callable[[float], Initializer]] = {
    "constant": _constant,
    "normal": _normal,
    "uniform": _uniform,
    "orthogonal": _orthogonal,
}
NAMES = sorted(_NAMED) + ["constant:<v>", "normal:<std>", "uniform:<a>", "orthogonal:<gain>"]


def get(spec: InitSpec) -> Initializer:
    """Return the initializer for ``spec``: a name, ``"name:<value>"``, a number, or a callable.

    A callable is called as ``f(shape, rng)`` and must return an array of that shape.
    A plain number means ``constant:<number>``.
    """
    if callable(spec):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return _constant(float(spec))
    if not isinstance(spec, str):
        raise TypeError(f"init must be a name, a number or a callable, got {spec!r}")
    name, _, arg = spec.partition(":")
    if not arg:
        if name in _NAMED:
            return _NAMED[name]
        if name in _PARAMETRIC:
            raise ValueError(f"init {spec!r} needs a value, e.g. '{name}:0.01'")
        raise ValueError(f"unknown init {spec!r}; valid: {', '.join(NAMES)}")
    if name not in _PARAMETRIC:
        raise ValueError(f"unknown init {spec!r}; valid: {', '.join(NAMES)}")
    try:
        value = float(arg)
    except ValueError:
        raise ValueError(f"init {spec!r}: {arg!r} is not a number") from None
    if not math.isfinite(value) or (name != "constant" and value < 0):
        raise ValueError(f"init {spec!r}: the value must be finite{'' if name == 'constant' else ' and >= 0'}")
    return _PARAMETRIC[name](value)


def initialize(spec: InitSpec, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> Any:
    """Draw an array of ``shape`` and ``dtype`` from the initializer ``spec`` on the active backend."""
    values = np.asarray(get(spec)(tuple(shape), rng))
    if values.shape != tuple(shape):
        raise ValueError(f"init {spec!r} returned shape {values.shape}, expected {tuple(shape)}")
    if not np.isfinite(values).all():
        raise ValueError(f"init {spec!r} returned NaN or inf values")
    return B.asarray(values, dtype=dtype)


def lsuv(net: Any, x: Any, *, tol: float = 0.05, max_iter: int = 10, seed: int | np.random.Generator | None = 0) -> list[float]:
    """Layer-sequential unit-variance initialisation (Mishkin & Matas, 2016).

    1. Every weighted layer (Dense, Maxout) gets an orthogonal weight.
    2. Layer by layer, from the input: forward the batch ``x`` (test mode, so no
       running statistic moves), measure the variance ``v`` of the layer's output
       and rescale ``W <- W / sqrt(v)``, until ``|v - 1| <= tol`` or ``max_iter``.

    Returns the final output variance of each weighted layer, in order.
    """
    tol = check_number("tol", tol, low=0.0, low_open=True)
    max_iter = check_positive_int("max_iter", max_iter)
    rng = B.make_rng(seed)
    x = net.check_input(x)
    variances = []
    for index, layer in enumerate(net.layers):
        if "W" not in layer.params:
            continue
        W = layer.params["W"]
        W[...] = initialize("orthogonal", W.shape, rng, W.dtype)
        for _ in range(max_iter):
            out = net.forward_until(x, index + 1)
            var = float(out.var())
            if abs(var - 1.0) <= tol or var == 0.0:
                break
            W /= math.sqrt(var)
        variances.append(float(net.forward_until(x, index + 1).var()))
    return variances
