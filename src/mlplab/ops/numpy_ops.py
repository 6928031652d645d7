"""NumPy's ops: the reference equations, run faster where the arrays allow.

- matrix products write into their destination (``out=``) and the weight gradient is one BLAS
  GEMM with ``beta`` (:mod:`mlplab.blas`), so accumulation costs no extra pass;
- ReLU, batch norm and the SGD/Adam updates run as one-pass C loops (:mod:`mlplab.kernels`).

Each override checks that the arrays are plain C-contiguous NumPy arrays of one float dtype and
otherwise calls the reference in :class:`mlplab.ops.base.Ops`: the choice is made here, once,
never in a layer or an optimizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlplab import blas, kernels
from mlplab.ops.base import Ops


class NumpyOps(Ops):
    name = "NumPy (C kernels, direct BLAS)"

    def asarray(self, array: Any) -> Any:
        return np.asarray(array)

    def take_rows(self, X: Any, index: np.ndarray) -> Any:
        return X[index]

    def sum_squares(self, a: Any) -> float:
        flat = a.ravel()
        return float(np.vdot(flat, flat))

    def softmax_cross_entropy(self, log_p: Any, labels: Any) -> tuple[float, Any]:
        n = log_p.shape[0]
        rows = np.arange(n)
        loss = -float(log_p[rows, labels].mean())
        grad = np.exp(log_p)
        grad[rows, labels] -= 1.0        # in place: no one-hot matrix
        grad /= n
        return loss, grad

    def affine(self, x: Any, W: Any, b: Any) -> Any:
        out = x @ W.T          # BLAS reads W transposed in place: no copy is made
        out += b               # in place: one pass, no temporary
        return out

    def gemm_at_b(self, a: Any, b: Any, out: Any, alpha: float = 1.0, beta: float = 0.0) -> None:
        if beta == 0.0 and alpha == 1.0 and out.flags.writeable:
            np.matmul(a.T, b, out=out)
        else:
            blas.gemm_at_b(a, b, out, alpha=alpha, beta=beta)

    def affine_backward(self, dy: Any, x: Any, W: Any, dW: Any, db: Any, input_grad: bool = True,
                        beta: float = 0.0) -> Any:
        self.gemm_at_b(dy, x, dW, beta=beta)
        if beta == 0.0:
            np.sum(dy, axis=0, out=db)
        else:
            db *= beta
            db += dy.sum(axis=0)
        return dy @ W if input_grad else None

    def relu(self, x: Any) -> Any:
        return kernels.relu_forward(x) if kernels.usable(x) else super().relu(x)

    def backprop_relu(self, dy: Any, y: Any) -> Any:
        return kernels.relu_backward(dy, y) if kernels.usable(dy, y) else super().backprop_relu(dy, y)

    def batchnorm(self, x: Any, gamma: Any, beta: Any, eps: float) -> tuple[Any, Any, Any, Any, Any]:
        if kernels.usable(x, gamma, beta):          # the same equations in two passes over x
            return kernels.batchnorm_forward(x, gamma, beta, eps)
        mu = x.mean(axis=0)
        centred = x - mu
        var = np.einsum("ij,ij->j", centred, centred) / x.shape[0]     # one pass, no temporary
        inv_std = 1.0 / np.sqrt(var + eps)
        centred *= inv_std                                               # in place: centred becomes s_hat
        out = centred * gamma
        out += beta
        return out, centred, mu, var, inv_std

    def backprop_batchnorm(self, dy: Any, s_hat: Any, gamma: Any, inv_std: Any, dgamma: Any, dbeta: Any,
                           train: bool) -> Any:
        if train and kernels.usable(dy, s_hat, gamma, inv_std, dgamma, dbeta):
            return kernels.batchnorm_backward(dy, s_hat, gamma, inv_std, dgamma, dbeta)
        np.einsum("ij,ij->j", dy, s_hat, out=dgamma)
        np.sum(dy, axis=0, out=dbeta)
        c = gamma * inv_std
        dx = dy * c
        if train:
            n = dy.shape[0]
            dx -= s_hat * (c * dgamma / n)
            dx -= c * dbeta / n
        return dx

    def dropout_mask(self, rng: np.random.Generator, shape: tuple[int, ...], threshold: int, scale: Any,
                     dtype: Any) -> Any:
        bits = np.frombuffer(rng.bytes(2 * int(np.prod(shape))), dtype=np.uint16).reshape(shape)
        keep = (bits >= threshold).astype(dtype)
        keep *= scale
        return keep

    def sgd(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, weight_decay: float, momentum: float,
            dampening: float, nesterov: bool) -> None:
        if not kernels.usable(p, g):
            return super().sgd(p, g, state, lr=lr, weight_decay=weight_decay, momentum=momentum,
                               dampening=dampening, nesterov=nesterov)
        first = bool(momentum) and "velocity" not in state
        if first:
            state["velocity"] = np.empty_like(p)
        velocity = state["velocity"] if momentum else g      # without momentum the kernel never touches it
        kernels.sgd(p, g, velocity, lr=lr, weight_decay=weight_decay, momentum=momentum, dampening=dampening,
                    nesterov=nesterov, first=first)

    def adam(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, beta1: float, beta2: float, eps: float,
             step: int, weight_decay: float, decoupled_weight_decay: float, amsgrad: bool = False) -> None:
        if amsgrad or not kernels.usable(p, g):       # the C kernel has no running maximum of v
            return super().adam(p, g, state, lr=lr, beta1=beta1, beta2=beta2, eps=eps, step=step,
                                weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay,
                                amsgrad=amsgrad)
        if "m" not in state:
            state["m"], state["v"] = np.zeros_like(p), np.zeros_like(p)
        kernels.adam(p, g, state["m"], state["v"], lr=lr, beta1=beta1, beta2=beta2, eps=eps, step=step,
                     weight_decay=weight_decay, decoupled_weight_decay=decoupled_weight_decay)

    def axpy(self, alpha: float, x: Any, y: Any) -> None:
        blas.axpy(alpha, x, y)
