"""What a classifier gets right and wrong on the test set, and what its first layer looks for.

The confusion matrix, per-class accuracy and the gallery of mistakes come from one evaluation of
the final model on the test set, after training (the same one ``summary.json`` reports).  For
image data the first weight layer's incoming weights are drawn as images: each hidden-1 unit
computes the dot product of the input with its row of ``W``, so the row is the pattern it responds to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from mlplab.report.common import pyplot

GALLERY = 24          # misclassified images shown
FILTERS = 25          # first-layer units drawn


@dataclass(frozen=True)
class TestPredictions:
    """The final model's view of the test set: labels, predicted classes and their probabilities."""

    __test__ = False                # not a pytest test class, whatever its name says

    y_true: np.ndarray
    y_pred: np.ndarray
    confidence: np.ndarray          # the predicted class's softmax probability
    class_names: list[str]

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_true == self.y_pred)) if self.y_true.size else float("nan")


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """``C[i, j]``: how many examples of true class ``i`` were predicted as ``j``."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """The share of each true class predicted correctly (NaN for a class with no test examples)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def plot_confusion_matrix(predictions: TestPredictions) -> Any:
    """Counts per (true, predicted) pair, coloured by the share of the true class's examples."""
    plt = pyplot()
    names = predictions.class_names
    k = len(names)
    matrix = confusion_matrix(predictions.y_true, predictions.y_pred, k)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = min(3.0 + 0.4 * k, 13.0)
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    if k <= 30:                                    # past that, the numbers would not fit
        for i in range(k):
            for j in range(k):
                if matrix[i, j]:
                    ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=7 if k > 12 else 8,
                            color="white" if share[i, j] > 0.55 else "black")
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"test set, {predictions.y_true.size:,} examples (accuracy {predictions.accuracy:.4f})", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    fig.tight_layout()
    return fig


def plot_per_class_accuracy(predictions: TestPredictions) -> Any:
    """One bar per class, the overall test accuracy as a dashed line."""
    plt = pyplot()
    names = predictions.class_names
    accuracy = per_class_accuracy(confusion_matrix(predictions.y_true, predictions.y_pred, len(names)))
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(names) + 1.3))
    rows = np.arange(len(names))
    ax.barh(rows, np.nan_to_num(accuracy), color="C0", alpha=0.8)
    for row, value in zip(rows, accuracy):
        ax.text(min(np.nan_to_num(value), 1.0) + 0.01, row, "no examples" if np.isnan(value) else f"{value:.3f}",
                va="center", fontsize=7, bbox={"facecolor": "white", "alpha": 0.8, "lw": 0, "pad": 1})
    ax.axvline(predictions.accuracy, color="0.3", linestyle="--", label=f"all classes: {predictions.accuracy:.3f}")
    ax.set_yticks(rows, names, fontsize=8)
    ax.invert_yaxis()                              # class 0 on top, as in the confusion matrix
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("test accuracy (share of the class predicted correctly)")
    ax.set_ylabel("true class")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig


def most_confident_mistakes(predictions: TestPredictions, limit: int = GALLERY) -> np.ndarray:
    """Indices of the misclassified test examples, the most confident mistakes first."""
    wrong = np.flatnonzero(predictions.y_true != predictions.y_pred)
    order = np.argsort(-predictions.confidence[wrong], kind="stable")
    return wrong[order][:limit]


def plot_misclassified(images: np.ndarray, predictions: TestPredictions, shape: tuple[int, int],
                       pixel_max: float | None = None, limit: int = GALLERY) -> Any:
    """A gallery of the most confident mistakes: each test image with its true and predicted label.
    ``images`` are the raw test rows in the order of ``predictions``."""
    plt = pyplot()
    chosen = most_confident_mistakes(predictions, limit)
    names = predictions.class_names
    cols = 8
    rows = max(1, -(-len(chosen) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.45 * cols, 1.75 * rows), squeeze=False)
    vmax = pixel_max if pixel_max else float(np.max(images)) or 1.0
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), chosen):
        ax.imshow(np.asarray(images[i], dtype=np.float64).reshape(shape), cmap="gray_r", vmin=0.0, vmax=vmax)
        ax.set_title(f"true: {names[predictions.y_true[i]]}\npred: {names[predictions.y_pred[i]]} "
                     f"({predictions.confidence[i]:.0%})", fontsize=7)
    if not len(chosen):
        axes[0, 0].text(0, 0.5, "no test image was misclassified", fontsize=9)
    # Fixed spacing: tight_layout measures every one of the many panels' titles, and costs seconds.
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.42 / fig.get_figheight(), hspace=0.45,
                        wspace=0.15)
    return fig


def plot_first_layer_weights(W: np.ndarray, shape: tuple[int, int], name: str = "hidden 1",
                             limit: int = FILTERS, what: str = "incoming weights") -> Any:
    """The incoming weights of the first ``limit`` units of the first weight layer (``W`` is (out, in);
    a maxout layer's (pieces, out, in) shows its first piece), each as an image on its own symmetric
    scale: red where the unit is excited by ink, blue where it is inhibited.  Pass ``W - W_initial``
    (and ``what``) to see what training changed: a random init's noise hides it in ``W`` itself."""
    plt = pyplot()
    W = np.asarray(W, dtype=np.float64)
    if W.ndim == 3:
        W = W[0]
    units = min(limit, W.shape[0])
    cols = int(np.ceil(np.sqrt(units)))
    rows = -(-units // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 * cols + 0.4, 1.4 * rows + 0.5), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for u, ax in zip(range(units), axes.ravel()):
        scale = float(np.abs(W[u]).max()) or 1.0
        ax.imshow(W[u].reshape(shape), cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set_title(f"unit {u + 1}", fontsize=7)
    fig.suptitle(f"{name}: {what} of {units} of its {W.shape[0]} units", fontsize=9)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.55 / fig.get_figheight(), hspace=0.3,
                        wspace=0.1)          # fixed spacing, as for the gallery
    return fig


def plot_decision_regions(net: Any, pre: Any, X: np.ndarray, y: np.ndarray, resolution: int = 300,
                          class_names: Sequence[str] | None = None) -> Any:
    """The predicted class over a grid covering ``X`` (2-D raw features), with the points on top."""
    plt = pyplot()
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.08 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = np.asarray(net.predict(pre.transform(grid, net.dtype))).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    n_classes = int(max(classes.max(), y.max())) + 1
    ax.contourf(gx, gy, classes, levels=np.arange(n_classes + 1) - 0.5, cmap="tab10", alpha=0.3, vmin=0, vmax=9)
    points = ax.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=9, edgecolors="k", linewidths=0.3)
    names = list(class_names) if class_names else [str(c) for c in range(n_classes)]
    handles = [plt.Line2D([], [], marker="o", linestyle="", markersize=5, markeredgecolor="k", markeredgewidth=0.3,
                          color=points.cmap(points.norm(c))) for c in range(n_classes)]
    ax.legend(handles, [f"class {names[c]}" for c in range(n_classes)], fontsize=7, loc="best")
    ax.set_xlabel("input feature 1 (raw)")
    ax.set_ylabel("input feature 2 (raw)")
    ax.set_title("predicted class (shaded) and test points")
    fig.tight_layout()
    return fig
