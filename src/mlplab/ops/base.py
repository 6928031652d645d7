"""The reference ops: every primitive the layers and optimizers use, written once against the
array API standard (``self.xp``), so they run on NumPy, PyTorch, CuPy and ``array_api_strict``.

Faster versions (:class:`mlplab.ops.numpy_ops.NumpyOps`: the C kernels, BLAS with ``beta``)
override a primitive where the arrays allow and fall back to these otherwise; the tests check
both against PyTorch.  Conventions: ``dy`` is ``dJ/dy`` for the batch; gradients are written
into the arrays passed as ``dW``, ``db``, ... (overwritten, never accumulated, unless ``beta``).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

import numpy as np


class Ops:
    """Array math for one backend: ``xp`` is its namespace, ``device`` where new arrays go."""

    name = "array API reference"

    def __init__(self, xp: ModuleType, device: Any = None) -> None:
        self.xp = xp
        self.device = device

    # -- arrays --------------------------------------------------------------------------
    def asarray(self, array: Any) -> Any:
        """Host data (a NumPy array) as this backend's array, on its device."""
        if self.device is None:
            return self.xp.asarray(array)
        return self.xp.asarray(array, device=self.device)

    def take_rows(self, X: Any, index: np.ndarray) -> Any:
        """The rows ``X[index]`` (a mini-batch), for a host integer ``index``."""
        return self.xp.take(X, self.asarray(index), axis=0)

    def as_mask(self, condition: Any, like: Any) -> Any:
        """A boolean array as 0/1 in ``like``'s dtype (the standard multiplies no bools by floats)."""
        return self.xp.astype(condition, like.dtype)

    def sum_squares(self, a: Any) -> float:
        """``sum a^2`` as a Python float."""
        return float(self.xp.sum(a * a))

    def one_hot(self, labels: Any, classes: int, dtype: Any) -> Any:
        """Rows of the identity: ``one_hot[i, labels_i] = 1``."""
        xp = self.xp
        columns = xp.arange(classes) if self.device is None else xp.arange(classes, device=self.device)
        return xp.astype(xp.reshape(labels, (-1, 1)) == columns, dtype)

    def softmax_cross_entropy(self, log_p: Any, labels: Any) -> tuple[float, Any]:
        """From ``log p = log_softmax(s)``: the mean of ``-log p_y`` and its gradient ``(p - onehot(y)) / n``."""
        xp = self.xp
        n, classes = log_p.shape
        picked = xp.take_along_axis(log_p, xp.reshape(labels, (-1, 1)), axis=1)    # log p_y: the label's entry only
        onehot = self.one_hot(labels, classes, log_p.dtype)
        return -float(xp.mean(picked)), (xp.exp(log_p) - onehot) / n

    # -- the affine map s = W x + b (DD2424 lecture 4) -------------------------------------
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

    # -- activations: forward, and backward from what forward kept ------------------------
    def sigmoid(self, x: Any) -> Any:
        """``1 / (1 + exp(-x))`` without overflow: with ``e = exp(-|x|) <= 1``,
        ``sigma(x) = 1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``."""
        xp = self.xp
        e = xp.exp(-xp.abs(x))
        return xp.where(x >= 0, xp.ones_like(e), e) / (1.0 + e)

    def backprop_sigmoid(self, dy: Any, y: Any) -> Any:
        return dy * y * (1.0 - y)

    def tanh(self, x: Any) -> Any:
        return self.xp.tanh(x)

    def backprop_tanh(self, dy: Any, y: Any) -> Any:
        return dy * (1.0 - y * y)

    def relu(self, x: Any) -> Any:
        """``max(x, 0)``, NaN kept (a diverged batch must still show as NaN at the output), -inf to 0."""
        return self.xp.where(x <= 0, self.xp.zeros_like(x), x)

    def backprop_relu(self, dy: Any, y: Any) -> Any:
        """``dy [y > 0]`` from the forward output (``y > 0`` exactly where the input was)."""
        return self.xp.where(y > 0, dy, self.xp.zeros_like(dy))

    def leaky_relu(self, x: Any, alpha: Any) -> tuple[Any, Any]:
        """``x`` where positive, ``alpha x`` elsewhere; also returns the mask ``x > 0``."""
        positive = x > 0
        return self.xp.where(positive, x, alpha * x), positive

    def backprop_leaky_relu(self, dy: Any, positive: Any, alpha: Any) -> Any:
        return self.xp.where(positive, dy, alpha * dy)

    def elu(self, x: Any, alpha: float) -> tuple[Any, Any]:
        """``x`` where positive, ``alpha (exp(x) - 1)`` elsewhere (``expm1`` of ``min(x, 0)``: no overflow)."""
        xp = self.xp
        positive = x > 0
        return xp.where(positive, x, alpha * xp.expm1(xp.where(positive, xp.zeros_like(x), x))), positive

    def backprop_elu(self, dy: Any, y: Any, positive: Any, alpha: float) -> Any:
        return self.xp.where(positive, dy, dy * (y + alpha))

    # -- batch normalisation (Ioffe & Szegedy 2015; DD2424 lecture 4) ---------------------
    def batchnorm(self, x: Any, gamma: Any, beta: Any, eps: float) -> tuple[Any, Any, Any, Any, Any]:
        """Training mode: returns ``y, s_hat, mu, var, inv_std`` with the biased batch variance."""
        xp = self.xp
        mu = xp.mean(x, axis=0)
        centred = x - mu
        var = xp.mean(centred * centred, axis=0)
        inv_std = 1.0 / xp.sqrt(var + eps)
        s_hat = centred * inv_std
        return s_hat * gamma + beta, s_hat, mu, var, inv_std

    def batchnorm_inference(self, x: Any, gamma: Any, beta: Any, mean: Any, var: Any, eps: float
                            ) -> tuple[Any, Any, Any]:
        """Test mode (the running statistics): returns ``y, s_hat, inv_std``."""
        inv_std = 1.0 / self.xp.sqrt(var + eps)
        s_hat = (x - mean) * inv_std
        return s_hat * gamma + beta, s_hat, inv_std

    def backprop_batchnorm(self, dy: Any, s_hat: Any, gamma: Any, inv_std: Any, dgamma: Any, dbeta: Any,
                           train: bool) -> Any:
        """Fills ``dgamma = sum_i dy_i s_hat_i``, ``dbeta = sum_i dy_i``; returns
        ``c (dy - dbeta/n - s_hat dgamma/n)`` with ``c = gamma inv_std`` (``c dy`` in test mode)."""
        xp = self.xp
        dgamma[...] = xp.sum(dy * s_hat, axis=0)
        dbeta[...] = xp.sum(dy, axis=0)
        c = gamma * inv_std
        if not train:
            return dy * c
        n = dy.shape[0]
        return c * (dy - dbeta / n - s_hat * (dgamma / n))

    # -- dropout --------------------------------------------------------------------------
    def dropout_mask(self, rng: np.random.Generator, shape: tuple[int, ...], threshold: int, scale: Any,
                     dtype: Any) -> Any:
        """``[bits >= threshold] * scale`` for 16 random bits per unit from the host generator
        ``rng`` (the same stream on every backend: a seed gives the same masks everywhere)."""
        bits = np.frombuffer(rng.bytes(2 * math.prod(shape)), dtype=np.uint16).reshape(shape)
        return self.asarray(np.where(bits >= threshold, np.asarray(scale, dtype=dtype), np.zeros((), dtype=dtype)))

    # -- optimizer updates, in place on p (torch.optim's algorithms) -----------------------
    def sgd(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, weight_decay: float, momentum: float,
            dampening: float, nesterov: bool) -> None:
        """``v <- momentum v + (1 - dampening) g`` (``v = g`` on the first step), then
        ``p <- p - lr (g + momentum v)`` with Nesterov or ``p <- p - lr v``; ``g`` includes ``wd p``."""
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            v = state.get("velocity")
            if v is None:
                v = state["velocity"] = self.xp.asarray(g, copy=True)
            else:
                v *= momentum
                v += (1.0 - dampening) * g
            g = g + momentum * v if nesterov else v
        p -= lr * g

    def adagrad(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, eps: float,
                initial_accumulator_value: float, weight_decay: float) -> None:
        """``G <- G + g^2``, ``p <- p - lr g / (sqrt(G) + eps)``."""
        if weight_decay:
            g = g + weight_decay * p
        if "sum_sq" not in state:
            state["sum_sq"] = self.xp.full_like(p, initial_accumulator_value)
        G = state["sum_sq"]
        G += g * g
        p -= lr * g / (self.xp.sqrt(G) + eps)

    def rmsprop(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, alpha: float, eps: float,
                momentum: float, weight_decay: float) -> None:
        """``r <- alpha r + (1 - alpha) g^2``, step ``g / (sqrt(r) + eps)`` (through a velocity with momentum)."""
        if weight_decay:
            g = g + weight_decay * p
        if "mean_sq" not in state:
            state["mean_sq"] = self.xp.zeros_like(p)
        r = state["mean_sq"]
        r *= alpha
        r += (1.0 - alpha) * g * g
        step = g / (self.xp.sqrt(r) + eps)
        if momentum:
            if "velocity" not in state:
                state["velocity"] = self.xp.zeros_like(p)
            v = state["velocity"]
            v *= momentum
            v += step
            step = v
        p -= lr * step

    def adam(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, beta1: float, beta2: float, eps: float,
             step: int, weight_decay: float, decoupled_weight_decay: float, amsgrad: bool = False) -> None:
        """``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g^2``,
        ``p <- p - lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps)`` (PyTorch's arrangement);
        AdamW first shrinks ``p <- p (1 - lr wd)``.  ``amsgrad``: :meth:`amsgrad_moment` stands for ``v``."""
        xp = self.xp
        if "m" not in state:
            state["m"], state["v"] = xp.zeros_like(p), xp.zeros_like(p)
        m, v = state["m"], state["v"]
        if weight_decay:
            g = g + weight_decay * p
        if decoupled_weight_decay:
            p *= 1.0 - lr * decoupled_weight_decay
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        if amsgrad:
            v = self.amsgrad_moment(v, state)
        denom = xp.sqrt(v) / math.sqrt(1.0 - beta2 ** step) + eps
        p -= (lr / (1.0 - beta1 ** step)) * m / denom

    def axpy(self, alpha: float, x: Any, y: Any) -> None:
        """``y <- alpha x + y`` in place."""
        y += alpha * x

    # -- issue 19: layer norm, weight norm, SELU, alpha dropout ----------------------------
    def layernorm(self, x: Any, gamma: Any, beta: Any, eps: float) -> tuple[Any, Any, Any]:
        """Each row normalised over its features (biased variance): returns ``y, x_hat, inv_std``
        with ``inv_std`` of shape ``(n, 1)``."""
        xp = self.xp
        centred = x - xp.mean(x, axis=-1, keepdims=True)
        inv_std = 1.0 / xp.sqrt(xp.mean(centred * centred, axis=-1, keepdims=True) + eps)
        x_hat = centred * inv_std
        return x_hat * gamma + beta, x_hat, inv_std

    def backprop_layernorm(self, dy: Any, x_hat: Any, gamma: Any, inv_std: Any, dgamma: Any, dbeta: Any) -> Any:
        """Fills ``dgamma = sum_i dy_i x_hat_i``, ``dbeta = sum_i dy_i``; returns, per row with
        ``G = dy gamma``, ``inv_std (G - mean(G) - x_hat mean(G x_hat))`` (the means over features)."""
        xp = self.xp
        dgamma[...] = xp.sum(dy * x_hat, axis=0)
        dbeta[...] = xp.sum(dy, axis=0)
        G = dy * gamma
        return inv_std * (G - xp.mean(G, axis=-1, keepdims=True)
                          - x_hat * xp.mean(G * x_hat, axis=-1, keepdims=True))

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

    def selu(self, x: Any, scale: float, alpha: float) -> tuple[Any, Any]:
        """``scale x`` where positive, ``scale alpha (exp(x) - 1)`` elsewhere; also the mask ``x > 0``."""
        y, positive = self.elu(x, alpha)
        return scale * y, positive

    def backprop_selu(self, dy: Any, y: Any, positive: Any, scale: float, alpha: float) -> Any:
        """``dy scale`` where positive, ``dy (y + scale alpha)`` elsewhere (from the output ``y``)."""
        return self.xp.where(positive, scale * dy, dy * (y + scale * alpha))

    def alpha_dropout_mask(self, rng: np.random.Generator, shape: tuple[int, ...], threshold: int, a: Any,
                           dropped: Any, b: Any, dtype: Any) -> tuple[Any, Any]:
        """The affine map alpha dropout applies, ``y = x scale + shift``: ``scale = a m`` and
        ``shift = a dropped (1 - m) + b`` for the keep mask ``m`` drawn as :meth:`dropout_mask` draws it."""
        keep = self.dropout_mask(rng, shape, threshold, 1.0, dtype)
        scale = a * keep
        return scale, (a * dropped) * (1.0 - keep) + b

    # -- issue 19: the optimizers of 2016-17 (AMSGrad's moment, NAdam) ----------------------
    def amsgrad_moment(self, v: Any, state: dict[str, Any]) -> Any:
        """Reddi et al. 2018: ``v_max <- max(v_max, v)`` (``v_max`` starts at 0, as PyTorch's does),
        kept in ``state["v_max"]`` and returned for Adam to divide by in place of ``v``."""
        v_max = state.get("v_max")
        if v_max is None:
            v_max = self.xp.zeros_like(v)
        state["v_max"] = v_max = self.xp.maximum(v_max, v)
        return v_max

    def nadam(self, p: Any, g: Any, state: dict[str, Any], *, lr: float, beta1: float, beta2: float, eps: float,
              step: int, mu: float, mu_next: float, mu_product: float, weight_decay: float) -> None:
        """Dozat 2016 in PyTorch's form: ``m``, ``v`` as Adam's, then with ``P_t = mu_1 ... mu_t``
        (``mu_product``, this step's ``mu`` included) and ``d = sqrt(v / (1-b2^t)) + eps``::

            p <- p - lr (1-mu_t)/(1-P_t) g / d - lr mu_{t+1}/(1-P_t mu_{t+1}) m / d

        the Nesterov look-ahead: the gradient's share of this step plus the momentum of the next."""
        xp = self.xp
        if "m" not in state:
            state["m"], state["v"] = xp.zeros_like(p), xp.zeros_like(p)
        m, v = state["m"], state["v"]
        if weight_decay:
            g = g + weight_decay * p
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        denom = xp.sqrt(v / (1.0 - beta2 ** step)) + eps
        p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * m / denom
