"""Numerical gradient checking by central differences (DD2424 lecture 4's advice)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.losses import weight_penalty
from mlplab.validation import check_number, check_positive_int

LossFn = Callable[[Any, Any], tuple[float, Any]]


def relative_error(analytic: np.ndarray, numeric: np.ndarray, floor: float = 1e-8) -> float:
    """``max_i |a_i - n_i| / max(|a_i|, |n_i|, floor)``: the worst entry's relative error.

    ``floor`` keeps entries whose true gradient is ~0 from dividing by round-off.
    """
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float((np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)).max())


def _rng_states(net: Any) -> list[tuple[Any, dict]]:
    return [(layer.rng, layer.rng.bit_generator.state) for layer in net.layers if layer.stochastic]


def gradcheck(net: Any, loss_fn: LossFn, x: Any, y: Any, *, l2: float = 0.0, l1: float = 0.0, h: float = 3e-5,
              max_entries: int | None = 200, seed: int = 0, floor: float = 1e-4,
              check_input: bool = False) -> dict[str, float]:
    """Compare ``net``'s backprop gradients with central differences of
    ``J = loss_fn(net.forward(x), y) + penalty``.

    The numeric derivative is ``D(h) = (J(theta + h) - J(theta - h)) / 2h``, Richardson-
    extrapolated as ``(4 D(h) - D(2h)) / 3`` so the ``h^2`` truncation term cancels (batch
    norm on small batches has large third derivatives).  Its resolution is about
    ``eps |J| / h ~ 1e-11`` (default ``h = 3e-5``); ``floor`` (see :func:`relative_error`) makes gradient entries
    smaller than it compare absolutely at ``floor * 1e-6 = 1e-10``, above that resolution.

    The network must be float64 (the check is meaningless in float32).  Parameters with
    more than ``max_entries`` entries are checked on a seeded random sample of them.
    With ``l1 > 0``, weight entries within ``2h`` of 0 (the kink of ``|W|``) are skipped.
    Dropout masks are replayed for every evaluation, so the objective is deterministic;
    BatchNorm running statistics are restored afterwards.  Returns the maximum relative
    error per parameter (and ``"input"`` for ``dJ/dx`` when ``check_input``).
    """
    if net.dtype != np.float64:
        raise ValueError(f"net must be float64 for a gradient check, got {net.dtype}")
    h = check_number("h", h, low=0.0, low_open=True)
    if max_entries is not None:
        max_entries = check_positive_int("max_entries", max_entries)
    x = net.check_input(x)
    rng = np.random.default_rng(seed)
    rng_states = _rng_states(net)
    saved_buffers = {k: B.to_numpy(v).copy() for k, v in net.buffers.items()}

    def objective() -> float:
        for generator, state in rng_states:
            generator.bit_generator.state = state
        loss, _ = loss_fn(net.forward(x, train=True), y)
        return loss + weight_penalty(net, l2, l1, add_grads=False)

    for generator, state in rng_states:
        generator.bit_generator.state = state
    _, dout = loss_fn(net.forward(x, train=True), y)
    dx = net.backward(dout)
    weight_penalty(net, l2, l1, add_grads=True)
    analytic = {name: B.to_numpy(g).copy() for name, g in net.grads.items()}

    weight_names = set(net.weights)
    targets = [(name, array, analytic[name], l1 > 0 and name in weight_names) for name, array in net.params.items()]
    if check_input:
        targets.append(("input", x, B.to_numpy(dx), False))
    errors = _compare(objective, targets, h, max_entries, rng, floor)

    for key, value in saved_buffers.items():
        net.buffers[key][...] = B.asarray(value)
    return errors


def _compare(objective: Callable[[], float], targets: list[tuple[str, Any, np.ndarray, bool]], h: float,
             max_entries: int | None, rng: np.random.Generator, floor: float) -> dict[str, float]:
    """For each ``(name, array, analytic, skip_kink)``: the worst relative error between the
    analytic gradient and the Richardson-extrapolated central difference of ``objective``,
    on all entries or a seeded sample of ``max_entries`` (``skip_kink``: leave out entries
    within ``2h`` of 0, where |W| bends)."""
    def central_difference(array: Any, index: tuple, step: float) -> float:
        original = float(array[index])           # a Python float: the same on every backend
        array[index] = original + step
        plus = objective()
        array[index] = original - step
        minus = objective()
        array[index] = original
        return (plus - minus) / (2.0 * step)

    def numeric_at(array: Any, index: tuple) -> float:
        # Richardson: D(h) = J' + c h^2 + O(h^4), so (4 D(h) - D(2h)) / 3 = J' + O(h^4).
        return (4.0 * central_difference(array, index, h) - central_difference(array, index, 2 * h)) / 3.0

    errors = {}
    for name, array, grad, skip_kink in targets:
        indices = list(np.ndindex(array.shape))
        if skip_kink:
            host = B.to_numpy(array)
            indices = [idx for idx in indices if abs(host[idx]) > 2 * h]
        if max_entries is not None and len(indices) > max_entries:
            chosen = rng.choice(len(indices), size=max_entries, replace=False)
            indices = [indices[i] for i in chosen]
        numeric = np.array([numeric_at(array, idx) for idx in indices])
        errors[name] = relative_error(np.array([grad[idx] for idx in indices]), numeric, floor)
    return errors


def check_gradients(objective: Callable[[], float], params: dict[str, Any], grads: dict[str, Any], *,
                    h: float = 3e-5, max_entries: int | None = 200, seed: int = 0,
                    floor: float = 1e-4) -> dict[str, float]:
    """:func:`gradcheck` for any objective of named float64 arrays (an autoencoder's, an
    RBM-free one...): ``objective()`` evaluates ``J`` at the arrays' current values (it must be
    deterministic), ``grads[name]`` holds the analytic ``dJ/d params[name]``.  Returns the worst
    relative error per array."""
    for name, array in params.items():
        if B.to_numpy(array).dtype != np.float64:
            raise ValueError(f"params[{name!r}] must be float64 for a gradient check, got {array.dtype}")
    h = check_number("h", h, low=0.0, low_open=True)
    analytic = {name: B.to_numpy(grads[name]).copy() for name in params}
    targets = [(name, array, analytic[name], False) for name, array in params.items()]
    return _compare(objective, targets, h, max_entries, np.random.default_rng(seed), floor)
