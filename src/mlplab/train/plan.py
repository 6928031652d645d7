"""The batch plan: which examples each update of an epoch sees, and how many updates an epoch has.

The loop draws its batches from it and whoever sizes a learning-rate schedule asks it for
``updates_per_epoch``, so the two can never count differently (issue 18: with batch norm and
``n % batch == 1`` they used to disagree by one update an epoch).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlplab.validation import check_positive_int


@dataclass(frozen=True)
class BatchPlan:
    """``n`` examples in batches of ``batch_size``, in the order ``default_rng([seed, epoch]).permutation(n)``.

    ``drop_single``: a last batch of one example is skipped (batch norm's variance over one example
    is 0, so it cannot train on it).  A batch larger than ``n`` is one batch of all ``n``.
    """

    n: int
    batch_size: int
    drop_single: bool = False

    def __post_init__(self) -> None:
        check_positive_int("n", self.n)
        check_positive_int("batch_size", self.batch_size)

    @classmethod
    def for_network(cls, n: int, batch_size: int, net: Any) -> "BatchPlan":
        """The plan for training ``net``: a last batch of one is dropped when a layer keeps running
        statistics (``layer.running_stats``: batch norm)."""
        return cls(n, batch_size, any(layer.running_stats for layer in net.layers))

    @property
    def updates_per_epoch(self) -> int:
        """Updates in one epoch: ``ceil(n / batch_size)``, less the dropped batch of one."""
        return -(-self.n // self.batch_size) - int(self.drop_single and self.n % self.batch_size == 1)

    def order(self, seed: int, epoch: int) -> np.ndarray:
        """The epoch's permutation of the examples; it depends on ``(seed, epoch)`` alone, so a
        resumed run sees exactly the batches an uninterrupted one would."""
        return np.random.default_rng([seed, epoch]).permutation(self.n)

    def batches(self, seed: int, epoch: int, first: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """``(batch number, example indices)`` for the epoch's updates from batch ``first`` on."""
        order, size = self.order(seed, epoch), self.batch_size
        for batch in range(first, self.updates_per_epoch):
            yield batch, order[batch * size:(batch + 1) * size]
