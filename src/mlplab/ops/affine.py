"""The affine map ``s = W x + b`` (DD2424 lecture 4) and weight normalisation's ``W = g v / ||v||``:
part of :class:`mlplab.ops.Ops`, written against the array API standard."""

from __future__ import annotations

from types import ModuleType
from typing import Any


class AffineOps:
    """The affine map ``s = W x + b`` (DD2424 lecture 4) and weight normalisation's ``W = g v / ||v||``."""

    xp: ModuleType
    device: Any

    def affine(self, x: Any, W: Any, b: Any) -> Any:
        """``x @ W.T + b`` for ``x`` (n, in), ``W`` (out, in)."""
        return x @ W.T + b

    def gemm_at_b(self, a: Any, b: Any, out: Any, alpha: float = 1.0, beta: float = 0.0) -> None:
        """``out <- alpha a^T b + beta out`` in place (BLAS semantics: ``beta = 0`` ignores ``out``, NaN too)."""
        product = a.T @ b
        if alpha != 1.0:
            product = alpha * product
        out[...] = product if beta == 0.0 else product + beta * out

    def affine_backward(self, dy: Any, x: Any, W: Any, dW: Any, db: Any, input_grad: bool = True,
                        beta: float = 0.0) -> Any:
        """``dW <- dy^T x (+ beta dW)``, ``db <- 1^T dy (+ beta db)``; returns ``dy W`` (or None)."""
        self.gemm_at_b(dy, x, dW, beta=beta)
        db[...] = self.xp.sum(dy, axis=0) if beta == 0.0 else self.xp.sum(dy, axis=0) + beta * db
        return dy @ W if input_grad else None

    def weight_norm(self, g: Any, v: Any) -> tuple[Any, Any]:
        """``W = g v / ||v||`` row by row; returns ``W`` and the row norms ``||v||`` of shape ``(out,)``."""
        xp = self.xp
        norm = xp.sqrt(xp.sum(v * v, axis=1))
        return v * xp.reshape(g / norm, (-1, 1)), norm

    def backprop_weight_norm(self, dW: Any, g: Any, v: Any, norm: Any, dg: Any, dv: Any) -> None:
        """From ``dW = dJ/dW``: ``dg = (dW . v) / ||v||`` per row and
        ``dv = g / ||v|| (dW - dg v / ||v||)`` (the part of ``dW`` orthogonal to ``v``, scaled)."""
        xp = self.xp
        dg[...] = xp.sum(dW * v, axis=1) / norm
        dv[...] = xp.reshape(g / norm, (-1, 1)) * (dW - xp.reshape(dg / norm, (-1, 1)) * v)
