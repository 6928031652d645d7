"""The statistics of the ``dead-relu`` experiment, measured on the live network.

A hidden unit ``j`` of a rectifier layer computes ``s_j = w_j . x + b_j`` and ``h_j = f(s_j)``.
Every definition here is by the SIGN of the pre-activation ``s``, never by exact zeros of ``h``
(a leaky, PReLU or ELU unit is never exactly 0, so "outputs 0" would say nothing about them):

- dead:            ``s_j(x) <= 0`` for every example ``x`` of the training set;
- active again:    a unit that was dead has ``s_j(x) > 0`` for at least one training example;
- gap closed:      ``(max_x s_j(after) - max_x s_j(pushed)) / (0 - max_x s_j(pushed))``, the share of
                   the distance to the first positive pre-activation a pushed unit has climbed back
                   (>= 1: active again; 0: not moved, as a dead first-layer ReLU cannot);
- centredness:     ``c = mean_j |mean_x h_j| / sqrt(mean_{x,j} h_j^2)``: 0 for zero-centred outputs,
                   1 for outputs of one fixed sign and size (the sigmoid's complaint, CS7015 9.3).

A Maxout unit ``h_j = max_k z_kj`` always passes its gradient to the winning piece, so it cannot
die the way a ReLU does; what can die is a piece:

- dead piece:      a piece that wins on no training example (it gets exactly zero gradient, like a
                   dead ReLU, and the unit is one affine map on the data: it has lost its kink);
- saturated unit:  the unit's output barely moves over the data, ``std_x h_j < 0.01 * rms(h)``
                   (the analogue of a saturated sigmoid: its output pinned whatever the input).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlplab.layers import Dense
from mlplab.layers.maxout import Maxout
from mlplab.network import Sequential

FAILED_ACCURACY = 0.2      # a run ending below this training accuracy is at chance (0.1): failed
WEIGHT_LIMIT = 1e3         # ... and one with any |weight| above this has blown up (the ELU blow-ups: 2e4..6e13)
LEARNED = 0.5              # training accuracy every compared arm must reach at the chosen high rate
SATURATED_SPREAD = 0.01     # a Maxout unit whose output std is below this share of the layer's rms is saturated
# read by the claims (dead_relu) and the notes (dead_relu_report) alike
STAY_DEAD = 0.05            # tolerance for "stays dead forever" (see the claim)
FORMER_SELECTION_SEEDS = (1000, 1001)   # the high rate's first selection rule's seeds (see the notes)


def hidden_layers(net: Sequential) -> list[tuple[int, Any]]:
    """``(index, layer)`` of every hidden affine layer (each Dense but the output one; each Maxout)."""
    affine = [(i, layer) for i, layer in enumerate(net.layers) if isinstance(layer, (Dense, Maxout))]
    return [(i, layer) for i, layer in affine[:-1]]


def preactivations(net: Sequential, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(s, h)`` per hidden layer for the batch ``x`` (test mode).

    For a Dense layer ``s`` is its output ``(n, units)`` and ``h`` the activation after it; for a
    Maxout layer ``s`` holds every piece ``z`` ``(pieces, n, units)`` and ``h = max_k z_k``."""
    pres, posts = [], []
    h = net.check_input(x)
    hidden = {i for i, layer in hidden_layers(net) if isinstance(layer, Dense)}
    for i, layer in enumerate(net.layers):
        if isinstance(layer, Maxout):
            z = np.matmul(h, layer.W.transpose(0, 2, 1)) + layer.b[:, None, :]
            h = z.max(axis=0)
            pres.append(np.asarray(z))
            posts.append(np.asarray(h))
            continue
        h = layer.forward(h, train=False)
        if i in hidden:
            pres.append(np.array(h))           # a copy: the next layer's forward may work in place
        elif i - 1 in hidden:
            posts.append(np.asarray(h))
    return pres, posts


def dead_mask(s: np.ndarray) -> np.ndarray:
    """Per unit: ``s_j(x) <= 0`` for every row ``x`` of ``s`` ``(n, units)``."""
    return (s <= 0).all(axis=0)


def dead_share(pres: list[np.ndarray]) -> float:
    """The share of all hidden units (every layer pooled) that are dead."""
    masks = [dead_mask(s) for s in pres]
    return float(np.concatenate(masks).mean())


def push_dead(layer: Dense, s: np.ndarray, units: np.ndarray, margin: float) -> None:
    """Drive ``units`` of ``layer`` to all-negative pre-activations on the data ``s`` was taken on:
    ``b_j <- b_j - max_x s_j(x) - margin * std_x s_j(x)``, so the largest pre-activation of unit
    ``j`` ends ``margin`` of its own standard deviations below zero (the lecture's "a large gradient
    causes the bias b to be updated to a large negative value", done on purpose)."""
    top = s[:, units].max(axis=0)
    spread = s[:, units].std(axis=0)
    layer.b[units] -= (top + margin * spread).astype(layer.b.dtype)


def revived_share(s: np.ndarray, units: np.ndarray) -> float:
    """The share of ``units`` with ``s_j(x) > 0`` for at least one row of ``s``."""
    return float((s[:, units] > 0).any(axis=0).mean())


def gap_closed(top_pushed: np.ndarray, s_after: np.ndarray, units: np.ndarray) -> float:
    """Mean over ``units`` of ``(max_x s_j(after) - top_pushed_j) / (-top_pushed_j)`` (see the module
    docstring); ``top_pushed`` is each unit's largest pre-activation just after the push (< 0)."""
    top_after = s_after[:, units].max(axis=0)
    return float(np.mean((top_after - top_pushed) / -top_pushed))


def centredness(h: np.ndarray) -> float:
    """``mean_j |mean_x h_j| / sqrt(mean_{x,j} h_j^2)`` for outputs ``h`` ``(n, units)`` (0 when the
    layer's outputs are all 0)."""
    rms = float(np.sqrt(np.mean(np.square(h, dtype=np.float64))))
    if rms == 0.0:
        return 0.0
    return float(np.mean(np.abs(h.mean(axis=0, dtype=np.float64)))) / rms


def maxout_dead_piece_share(z: np.ndarray) -> float:
    """Share of Maxout units (``z``: pieces ``(k, n, units)``) with at least one piece that wins on
    no example."""
    pieces = z.shape[0]
    winners = z.argmax(axis=0)                                          # (n, units)
    wins = np.stack([(winners == k).any(axis=0) for k in range(pieces)])  # (k, units)
    return float((~wins).any(axis=0).mean())


def maxout_saturated_share(h: np.ndarray) -> float:
    """Share of Maxout units whose output spread over the data is below
    ``SATURATED_SPREAD`` times the layer's rms output."""
    rms = float(np.sqrt(np.mean(np.square(h, dtype=np.float64))))
    return float((h.std(axis=0, dtype=np.float64) < SATURATED_SPREAD * rms).mean())


def run_failed(diverged: bool, train_accuracy: float, max_weight: float, chance: float = None,
               limit: float = None) -> bool:
    """A run failed when its loss diverged (NaN/inf), it ends at chance (training accuracy below
    ``chance``, :data:`FAILED_ACCURACY`) or its weights exploded (``max |theta| > limit``,
    :data:`WEIGHT_LIMIT`): a net can blow up with a finite loss (ELU at rate 0.45 ended with weights
    of 2e4..6e13 and accuracy exactly 0.1 without a NaN)."""
    chance = FAILED_ACCURACY if chance is None else chance
    limit = WEIGHT_LIMIT if limit is None else limit
    return bool(diverged or not math.isfinite(train_accuracy) or train_accuracy < chance
                or not max_weight <= limit)


def qualifies(dead: float, learned: bool, low: float = 0.1, high: float = 0.9) -> bool:
    """Whether a rate with mean ReLU dead share ``dead`` is one where some but not all ReLUs die while
    every compared arm learns (``learned``)."""
    return learned and low <= dead <= high


def choose_rate(rates: list[float], dead: list[float], learned: dict[str, list[bool]], optional: str = "elu",
                low: float = 0.1, high: float = 0.9) -> dict[str, Any]:
    """The rule, fixed before the selection seeds were run: the smallest rate (``rates`` ascending)
    at which the mean ReLU dead share is within ``[low, high]`` and EVERY compared arm learns on
    every selection seed (``learned[arm][i]``: reached training accuracy ``LEARNED`` without failing
    at ``rates[i]``; False where not run).  If no rate has that, the arm ``optional`` is dropped from
    the high-rate comparison and the rule is applied to the others.  If still none, the rate whose
    dead share is nearest the middle of ``[low, high]`` among those where ReLU learned, flagged
    ``met=False``.  Returns ``{"rate", "arms", "dropped", "met"}``."""
    arms = list(learned)
    for kept in (arms, [a for a in arms if a != optional]):
        for i, (rate, d) in enumerate(zip(rates, dead)):
            if qualifies(d, all(learned[a][i] for a in kept), low, high):
                return {"rate": rate, "arms": kept, "dropped": [a for a in arms if a not in kept], "met": True}
    middle = (low + high) / 2
    relu = learned.get("relu", [True] * len(rates))
    candidates = [(abs(d - middle), r) for r, d, ok in zip(rates, dead, relu) if ok] or \
                 [(abs(d - middle), r) for r, d in zip(rates, dead)]
    return {"rate": min(candidates)[1], "arms": ["relu"], "dropped": [a for a in arms if a != "relu"], "met": False}
