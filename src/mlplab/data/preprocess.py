"""Preprocessing fitted on the training set only, and stored with a run so predictions match."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlplab.validation import check_choice

MODES = ("none", "scale", "standardize", "scale+standardize")


@dataclass
class Preprocessor:
    """``scale``: divide by the data's maximum pixel value (255 for images) to reach [0, 1];
    ``standardize``: subtract the training mean and divide by the training std, per feature
    (features with zero std are left unscaled)."""

    mode: str = "scale"
    pixel_max: float | None = None
    mean: np.ndarray | None = field(default=None, repr=False)
    std: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        check_choice("preprocess", self.mode, MODES)

    def fit(self, X: np.ndarray, chunk: int = 8192) -> "Preprocessor":
        """Learn the training mean and std (two passes in float64, chunk by chunk: no full copy)."""
        if "standardize" in self.mode:
            n = X.shape[0]
            total = np.zeros(X.shape[1])
            for start in range(0, n, chunk):
                total += self._scale(X[start:start + chunk], np.float64).sum(axis=0)
            self.mean = total / n
            squares = np.zeros(X.shape[1])
            for start in range(0, n, chunk):
                centred = self._scale(X[start:start + chunk], np.float64) - self.mean
                squares += np.einsum("ij,ij->j", centred, centred)
            std = np.sqrt(squares / n)
            self.std = np.where(std > 0, std, 1.0)
        return self

    def _scale(self, X: np.ndarray, dtype: Any) -> np.ndarray:
        out = np.array(X, dtype=dtype)                      # a fresh array we may change in place
        if self.mode.startswith("scale") and self.pixel_max:
            np.divide(out, dtype(self.pixel_max), out=out)
        return out

    def transform(self, X: np.ndarray, dtype: Any = np.float32) -> np.ndarray:
        """``X`` preprocessed, computed in ``dtype`` directly (a 60,000-image set never exists in float64)."""
        dtype = np.dtype(dtype).type
        out = self._scale(X, dtype)
        if "standardize" in self.mode:
            if self.mean is None or self.std is None:
                raise RuntimeError("Preprocessor.transform called before fit")
            out -= self.mean.astype(dtype)
            out /= self.std.astype(dtype)
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {"mode": np.array(self.mode), "pixel_max": np.array(self.pixel_max or 0.0)}
        if self.mean is not None and self.std is not None:
            arrays.update(mean=self.mean, std=self.std)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "Preprocessor":
        pixel_max = float(arrays["pixel_max"]) or None
        return cls(str(arrays["mode"]), pixel_max, arrays.get("mean"), arrays.get("std"))


def one_hot(labels: np.ndarray, n_classes: int, dtype: Any = np.float32) -> np.ndarray:
    """Rows of the identity: ``one_hot(y)[i, y_i] = 1``."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got values in [{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out
