"""Losses, each returning ``(loss, dloss/dinput)``, and DD2424 lecture 4's weight penalties.

DD2424 lecture 4: ``J = 1/|D| sum l_cross(x, y) + lambda sum_i ||W_i||^2`` with
``dJ/dW_i = dL/dW_i + 2 lambda W_i`` and nothing added for the biases.
"""

from __future__ import annotations

import math
from typing import Any

from mlplab import backend as B
from mlplab.validation import check_choice, check_float_array, check_labels, check_number


def log_softmax(logits: Any) -> Any:
    """``s - logsumexp(s)`` row by row, shifted by the row maximum so ``exp`` never overflows."""
    xp = B.xp
    shifted = logits - xp.max(logits, axis=1, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))


def softmax(logits: Any) -> Any:
    """``p = exp(s) / 1^T exp(s)`` row by row, through the max shift (never overflows)."""
    xp = B.xp
    shifted = xp.exp(logits - xp.max(logits, axis=1, keepdims=True))
    return shifted / xp.sum(shifted, axis=1, keepdims=True)


def softmax_cross_entropy(logits: Any, labels: Any) -> tuple[float, Any]:
    """Mean over the batch of ``-log p_y`` with ``p = softmax(s)``.

    Gradient (DD2424 lecture 4, ``g = -(y - p)^T``), divided by the batch size ``n``
    because the loss is the batch mean: ``dJ/ds = (p - onehot(y)) / n``.
    """
    logits = check_float_array("logits", logits, ndim=2)
    n, classes = logits.shape
    labels = check_labels("labels", labels, n, classes)
    return softmax_cross_entropy_unchecked(logits, labels)


def softmax_cross_entropy_unchecked(logits: Any, labels: Any) -> tuple[float, Any]:
    """:func:`softmax_cross_entropy` for batches of data checked once at the edge (the trainer's): no
    per-batch validation, so no host round trip before the loss on a GPU.  NaN or infinite logits give
    a NaN loss (through the max shift), which the caller must test."""
    return B.ops().softmax_cross_entropy(log_softmax(logits), labels)


def mean_squared_error(predictions: Any, targets: Any) -> tuple[float, Any]:
    """``mean((p - t)^2)`` over all entries (PyTorch's ``MSELoss``); gradient ``2 (p - t) / numel``."""
    predictions = check_float_array("predictions", predictions)
    targets = check_float_array("targets", targets, dtype=predictions.dtype)
    _check_same_shape(predictions, targets)
    diff = predictions - targets
    size = math.prod(diff.shape)
    return float(B.xp.mean(diff * diff)), diff * (2.0 / size)


def sigmoid_binary_cross_entropy(logits: Any, targets: Any) -> tuple[float, Any]:
    """Binary cross-entropy of ``sigma(z)`` against targets in [0, 1], mean over all entries
    (PyTorch's ``BCEWithLogitsLoss``), for autoencoders on [0, 1] data.

    Written stably as ``max(z, 0) - z t + log(1 + exp(-|z|))``; gradient ``(sigma(z) - t) / numel``.
    """
    logits = check_float_array("logits", logits)
    targets = check_float_array("targets", targets, dtype=logits.dtype)
    _check_same_shape(logits, targets)
    xp = B.xp
    size = math.prod(logits.shape)
    if size and (float(xp.min(targets)) < 0 or float(xp.max(targets)) > 1):
        raise ValueError(f"targets must lie in [0, 1], got values in [{float(xp.min(targets))}, "
                         f"{float(xp.max(targets))}]")
    loss = xp.where(logits > 0, logits, xp.zeros_like(logits)) - logits * targets + xp.log1p(xp.exp(-xp.abs(logits)))
    return float(xp.mean(loss)), (B.ops().sigmoid(logits) - targets) / size


def weight_penalty(net: Any, l2: float = 0.0, l1: float = 0.0, add_grads: bool = True) -> float:
    """DD2424 lecture 4's ``lambda2 sum ||W||^2`` plus ``lambda1 sum |W|`` over weight matrices only.

    With ``add_grads`` (call it after ``net.backward``), ``2 lambda2 W + lambda1 sign(W)``
    is added to ``net.grads`` for each weight; biases, BN and PReLU params are untouched.
    """
    l2 = check_number("l2", l2, low=0.0)
    l1 = check_number("l1", l1, low=0.0)
    if l2 == 0.0 and l1 == 0.0:
        return 0.0
    return sum(layer_weight_penalty(layer, l2, l1, add_grads) for layer in net.layers)


def layer_weight_penalty(layer: Any, l2: float, l1: float, add_grads: bool = True) -> float:
    """:func:`weight_penalty` for one layer (its ``weight_names``), adding to its ``grads``."""
    xp = B.xp
    total = 0.0
    for name in layer.weight_names:
        W, grad = layer.params[name], layer.grads[name]
        if l2:
            total += l2 * B.ops().sum_squares(W)
            if add_grads:
                grad += (2.0 * l2) * W
        if l1:
            total += l1 * float(xp.sum(xp.abs(W)))
            if add_grads:
                grad += l1 * xp.sign(W)
    return total


UNCHECKED = {softmax_cross_entropy: softmax_cross_entropy_unchecked}
"""The version of a loss for data validated once (the trainer's batches), where one exists."""

LOSSES = {"softmax_cross_entropy": softmax_cross_entropy, "mean_squared_error": mean_squared_error,
          "sigmoid_binary_cross_entropy": sigmoid_binary_cross_entropy}


def _check_same_shape(a: Any, b: Any) -> None:
    if a.shape != b.shape:
        raise ValueError(f"targets must have the shape of the predictions {tuple(a.shape)}, got {tuple(b.shape)}")


def reconstruction_error(outputs: Any, targets: Any, kind: str = "mse") -> tuple[float, Any]:
    """CS7015 lecture 9's autoencoder objective (CS7015 lecture 9, module 9.2)::

        1/m sum_i sum_j (x_hat_ij - x_ij)^2

    the error summed over the features and averaged over the ``m`` examples (so it does not
    shrink with the input size).  ``kind="bce"``: the same sum of sigmoid cross-entropies,
    ``outputs`` being logits (for inputs in [0, 1]).  Both are the all-entries means above
    times the feature count, gradient included.
    """
    kind = check_choice("kind", kind, ("mse", "bce"))
    loss, grad = (mean_squared_error if kind == "mse" else sigmoid_binary_cross_entropy)(outputs, targets)
    features = outputs.shape[1] if outputs.ndim == 2 else 1
    grad *= features
    return loss * features, grad
