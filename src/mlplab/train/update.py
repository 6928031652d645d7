"""One update, as DD2424 lecture 4 writes it: forward, loss, backward, the penalty, the optimizer's step.

A *task* is what the loop runs on each batch; it returns ``(loss, penalty, correct)`` and updates
the weights, unless the loss is not finite (then the loop stops, and nothing has moved).  The
supervised update is here; pre-training's is :class:`mlplab.pretrain.greedy.ObjectiveUpdate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from mlplab import backend as B
from mlplab.losses import LOSSES, UNCHECKED, layer_weight_penalty
from mlplab.network import Sequential
from mlplab.optim import Optimizer


class Task(Protocol):
    """What the loop needs of an update: its optimizer (whose rate the schedule sets), whether it
    classifies (counts correct answers), the words for messages, and the step itself."""

    optimizer: Optimizer
    classifies: bool
    objective: str          # "loss": the divergence message says what became NaN
    phase: str              # "" or "pre-training block 2, ": where an interruption happened

    def step(self, xb: Any, yb: Any) -> tuple[float, float, int]: ...


class SupervisedUpdate:
    """``J = loss(net(x), y) + l2 sum ||W||^2 + l1 sum |W|`` over the trained layers' ``weight_names``.

    Frozen layers (``frozen``: layer indices) are left out of both the step and the penalty, so the
    reported objective is the one being minimised; their batch norm statistics still move.
    Gradient clipping (``optimizer.max_grad_norm``) happens inside ``optimizer.step``.
    """

    objective, phase = "loss", ""

    def __init__(self, net: Sequential, optimizer: Optimizer, loss_fn: Callable, l2: float = 0.0, l1: float = 0.0,
                 frozen: Iterable[int] = ()) -> None:
        self.net, self.optimizer, self.loss_fn, self.l2, self.l1 = net, optimizer, loss_fn, l2, l1
        frozen = set(frozen)
        self.trained = [(i, layer) for i, layer in enumerate(net.layers) if i not in frozen and layer.params]

    @property
    def classifies(self) -> bool:
        """Whether the loss is the classification one (integer labels, accuracy); else targets are floats."""
        return self.loss_fn is LOSSES["softmax_cross_entropy"]

    def penalty(self) -> float:
        """DD2424 lecture 4's ``lambda2 ||W||^2 + lambda1 |W|`` on the trained layers, its gradient added."""
        if not (self.l2 or self.l1):
            return 0.0
        return sum(layer_weight_penalty(layer, self.l2, self.l1) for _, layer in self.trained)

    def step(self, xb: Any, yb: Any) -> tuple[float, float, int]:
        net = self.net
        out = net.forward(xb, train=True, check=False)
        unchecked = UNCHECKED.get(self.loss_fn)          # the batches were checked once, at the edge
        if unchecked is None and not bool(B.xp.all(B.xp.isfinite(out))):   # a checking loss refuses NaN
            return math.nan, 0.0, 0
        loss, dout = (unchecked or self.loss_fn)(out, yb)
        if not math.isfinite(loss):
            return loss, 0.0, 0
        net.backward(dout, input_grad=False)
        penalty = self.penalty()
        params, grads = {}, {}
        for index, layer in self.trained:             # the trained layers' "i.name" arrays
            params.update({f"{index}.{k}": v for k, v in layer.params.items()})
            grads.update({f"{index}.{k}": v for k, v in layer.grads.items()})
        self.optimizer.step(params, grads)
        return loss, penalty, correct(out, yb) if self.classifies else 0


def correct(outputs: Any, labels: Any) -> int:
    """How many rows' largest output is their label."""
    return int(np.count_nonzero(B.to_numpy(B.xp.argmax(outputs, axis=1) == labels)))
