"""Sequential networks, the ``mlp`` builder, and ``.npz`` save/load."""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.atomic import write_npz_atomic
from mlplab.init import InitSpec
from mlplab.layers import (ELU, LAYER_TYPES, SELU, AlphaDropout, BatchNorm, Dense, Dropout, LayerNorm, Layer, LeakyReLU,
                           Maxout, PReLU, ReLU, Sigmoid, Softsign, Tanh, WeightNormDense)
from mlplab.losses import softmax
from mlplab.validation import check_choice, check_float_array, check_number, check_positive_int, first_non_finite

FORMAT_VERSION = 1


class Sequential:
    """Layers applied in order; the k-layer network of DD2424 lecture 4.

    ``params``, ``grads`` and ``buffers`` are dicts keyed ``"i.name"`` (``i`` the layer's
    index) whose values ARE the layers' arrays: writing into one changes the network.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: list[Layer] = list(layers)
        if not self.layers:
            raise ValueError("layers must hold at least one layer, got an empty list")
        for i, layer in enumerate(self.layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"layers[{i}] must be an mlplab layer, got {type(layer).__name__}")
        dtypes = {layer.dtype.name for layer in self.layers}
        if len(dtypes) > 1:
            raise ValueError(f"layers must share one dtype, got {sorted(dtypes)}")
        self.dtype = self.layers[0].dtype
        self.in_features = next((layer.in_features for layer in self.layers if layer.affine), None)
        self._out_shape: tuple[int, ...] | None = None

    # -- the state, keyed "i.name" ------------------------------------------------------
    def _collect(self, attribute: str) -> dict[str, Any]:
        return {f"{i}.{name}": value for i, layer in enumerate(self.layers)
                for name, value in getattr(layer, attribute).items()}

    @property
    def params(self) -> dict[str, Any]:
        return self._collect("params")

    @property
    def grads(self) -> dict[str, Any]:
        return self._collect("grads")

    @property
    def buffers(self) -> dict[str, Any]:
        return self._collect("buffers")

    @property
    def weights(self) -> dict[str, Any]:
        """The weight matrices DD2424 lecture 4's regulariser ``lambda sum ||W||^2`` covers (no biases, no BN)."""
        return {f"{i}.{name}": layer.params[name] for i, layer in enumerate(self.layers)
                for name in layer.weight_names}

    # -- passes ---------------------------------------------------------------------------
    def check_input(self, x: Any) -> Any:
        """Validate a batch and return it in the network's dtype."""
        x = check_float_array("x", x, ndim=2, dtype=self.dtype)
        if self.in_features is not None and x.shape[1] != self.in_features:
            raise ValueError(f"x must have {self.in_features} features (columns), got shape {tuple(x.shape)}")
        if x.shape[0] == 0:
            raise ValueError("x must hold at least one example, got shape (0, ...)")
        return x

    def forward(self, x: Any, train: bool = True, check: bool = True) -> Any:
        """``x -> layer_k(... layer_1(x))``; ``train=False`` for test-time BN and no dropout.

        ``check=False`` skips the input validation (for a trainer that validated the whole
        dataset once: the batches are then slices of checked data).
        """
        out = self.check_input(x) if check else x
        for layer in self.layers:
            out = layer.forward(out, train)
        self._out_shape = tuple(out.shape)
        return out

    __call__ = forward

    def forward_until(self, x: Any, stop: int, train: bool = False) -> Any:
        """The output of ``layers[:stop]`` for ``x`` (test mode by default: changes no state)."""
        out = self.check_input(x)
        for layer in self.layers[:stop]:
            out = layer.forward(out, train)
        return out

    def backward(self, dy: Any, input_grad: bool = True,
                 after_layer: Callable[[int, Layer], None] | None = None) -> Any:
        """Back-propagate ``dJ/d output`` of the last forward; fill ``grads``; return ``dJ/dx``.

        ``input_grad=False`` returns ``None`` and lets the first layer skip ``dJ/dx``, a
        product nobody needs when training (for 784-1000-... it is 18% of the arithmetic).
        ``after_layer(i, layer)`` runs as soon as layer ``i`` has its gradients (and has used
        its weights for ``dJ/dx``): the trainer updates the layer there, while it is in cache.
        """
        if self._out_shape is None:
            raise RuntimeError("backward called before forward")
        dy = check_float_array("dy", dy, ndim=len(self._out_shape), dtype=self.dtype, finite=False)
        if tuple(dy.shape) != self._out_shape:
            raise ValueError(f"dy must have the shape of the last output {self._out_shape}, got {tuple(dy.shape)}")
        for i in range(len(self.layers) - 1, 0, -1):
            dy = self.layers[i].backward(dy)
            if after_layer is not None:
                after_layer(i, self.layers[i])
        first = self.layers[0]
        dx = first.backward(dy) if input_grad else first.backward_params(dy)
        if after_layer is not None:
            after_layer(0, first)
        return dx

    def _in_batches(self, x: Any, batch_size: int, per_batch: Callable[[Any], Any]) -> Any:
        """``per_batch(outputs)`` over test-mode batches of ``x`` (validated once), concatenated."""
        x = self.check_input(x)
        batch_size = check_positive_int("batch_size", batch_size)
        return B.xp.concat([per_batch(self.forward(x[i:min(i + batch_size, x.shape[0]), ...], train=False, check=False))
                                 for i in range(0, x.shape[0], batch_size)])

    def predict_proba(self, x: Any, batch_size: int = 1000) -> Any:
        """Class probabilities (softmax of the outputs) in test mode, in batches."""
        return self._in_batches(x, batch_size, softmax)

    def predict(self, x: Any, batch_size: int = 1000) -> Any:
        """The most probable class of each row of ``x`` (the largest logit: no softmax needed)."""
        return self._in_batches(x, batch_size, lambda out: B.xp.argmax(out, axis=1))

    def zero_grad(self) -> None:
        for grad in self.grads.values():
            grad[...] = 0

    def architecture(self) -> list[dict[str, Any]]:
        """JSON-able description: a list of ``{"type": ..., "config": ...}``."""
        return [{"type": type(layer).__name__, "config": layer.config()} for layer in self.layers]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


ACTIVATIONS: dict[str, type[Layer]] = {"sigmoid": Sigmoid, "tanh": Tanh, "softsign": Softsign, "relu": ReLU, "leaky_relu": LeakyReLU,
                                       "prelu": PReLU, "elu": ELU, "maxout": Maxout, "selu": SELU}
_RELU_LIKE = {"relu", "leaky_relu", "prelu", "elu"}


def default_init(activation: str) -> str:
    """He for the rectifier family, Glorot for the saturating units (CS7015 lecture 9, module 9.4), and
    LeCun's 1/fan_in for maxout: He's factor 2 makes up for the half of a ReLU's inputs it zeroes,
    but a maxout unit zeroes nothing (the max of two N(0, v) pieces has mean square v), so He's
    init doubles the signal's mean square at every layer (it diverged deep maxout nets).  SELU takes
    LeCun's too: its self-normalising fixed point (mean 0, variance 1) assumes weights of variance 1/fan_in."""
    if activation in ("maxout", "selu"):      # SELU's fixed point assumes weights of variance 1/fan_in
        return "lecun_normal"                # (Klambauer et al. 2017)
    return "he_normal" if activation in _RELU_LIKE else "xavier_normal"


def mlp(n_in: int, hidden: Sequence[int], n_out: int, activation: str = "relu", init: InitSpec | None = None,
        batchnorm: bool | None = None, dropout: float = 0.0, seed: int | np.random.Generator | None = 0,
        dtype: Any = "float32", bias_init: InitSpec = 0.0, maxout_pieces: int = 2, prelu_per_unit: bool = False,
        bn_momentum: float = 0.1, norm: str | None = None) -> Sequential:
    """A fully-connected network ``n_in -> hidden... -> n_out`` (logits out, no softmax).

    Each hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``: batch norm
    after the affine map and before the non-linearity, as DD2424 lecture 4 places it.
    ``norm``: ``"batch"`` (``batchnorm=True`` is another spelling of it), ``"layer"`` (a ``LayerNorm``
    where batch norm would sit), ``"weight"`` (each hidden ``Dense`` becomes a ``WeightNormDense``;
    the output layer stays plain) or ``None``/``"none"``.
    ``activation="maxout"`` makes each hidden block one ``Maxout`` (it is its own affine map).
    ``activation="selu"`` defaults to LeCun-normal init, and its dropout is ``AlphaDropout``
    (plain dropout's zeros would break SELU's mean-0, variance-1 fixed point).
    ``init=None`` picks ``he_normal`` for rectifiers, ``xavier_normal`` for sigmoid/tanh and
    ``lecun_normal`` for maxout (:func:`default_init`).
    ``bias_init``: CS7015 lecture 9 (module 9.3) advises a small positive bias (0.01) for ReLU units.
    """
    n_in = check_positive_int("n_in", n_in)
    n_out = check_positive_int("n_out", n_out)
    if isinstance(hidden, (int, np.integer)):
        hidden = [hidden]
    hidden = [check_positive_int(f"hidden[{i}]", h) for i, h in enumerate(hidden)]
    activation = check_choice("activation", activation, ACTIVATIONS)
    dropout = check_number("dropout", dropout, low=0.0, high=1.0, high_open=True)
    dtype = B.resolve_dtype(dtype).name
    norm = _resolve_norm(norm, batchnorm)
    if norm == "weight" and activation == "maxout":
        raise ValueError("norm 'weight' reparameterises Dense layers and activation 'maxout' has none: "
                         "choose another norm or activation")
    init = default_init(activation) if init is None else init
    rng = B.make_rng(seed)
    affine = WeightNormDense if norm == "weight" else Dense
    normalise = {"batch": lambda size: BatchNorm(size, momentum=bn_momentum, dtype=dtype),
                 "layer": lambda size: LayerNorm(size, dtype=dtype)}.get(norm)
    drop = AlphaDropout if activation == "selu" else Dropout
    layers: list[Layer] = []
    width = n_in
    for size in hidden:
        if activation == "maxout":
            layers.append(Maxout(width, size, pieces=maxout_pieces, init=init, bias_init=bias_init, rng=rng,
                                 dtype=dtype))
            if normalise:
                layers.append(normalise(size))
        else:
            layers.append(affine(width, size, init=init, bias_init=bias_init, rng=rng, dtype=dtype))
            if normalise:
                layers.append(normalise(size))
            if activation == "prelu":
                layers.append(PReLU(size if prelu_per_unit else 1, dtype=dtype))
            else:
                layers.append(ACTIVATIONS[activation](dtype=dtype))
        if dropout > 0:
            layers.append(drop(dropout, rng=rng, dtype=dtype))
        width = size
    layers.append(Dense(width, n_out, init=init if activation != "maxout" else "xavier_normal",
                        bias_init=0.0, rng=rng, dtype=dtype))
    return Sequential(layers)


NORM_NAMES = ("none", "batch", "layer", "weight")


def _resolve_norm(norm: str | None, batchnorm: bool | None) -> str:
    """``norm`` with ``batchnorm`` read as the older spelling of ``norm="batch"`` (or of none)."""
    if batchnorm is not None and not isinstance(batchnorm, (bool, np.bool_)):
        raise TypeError(f"batchnorm must be True or False, got {batchnorm!r}")
    if norm is None:
        return "batch" if batchnorm else "none"
    norm = check_choice("norm", norm, NORM_NAMES)
    if batchnorm is not None and bool(batchnorm) != (norm == "batch"):
        raise ValueError(f"batchnorm={batchnorm!r} and norm={norm!r} disagree: give one of them")
    return norm


# -- save / load --------------------------------------------------------------------------
def model_arrays(net: Sequential) -> dict[str, np.ndarray]:
    """The arrays of a model file: the architecture as JSON text plus every param and buffer."""
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
    header = {"format": "mlplab", "version": FORMAT_VERSION, "dtype": net.dtype.name, "layers": net.architecture()}
    arrays = {"__architecture__": np.array(json.dumps(header))}
    arrays.update({f"param:{k}": B.to_numpy(v) for k, v in net.params.items()})
    arrays.update({f"buffer:{k}": B.to_numpy(v) for k, v in net.buffers.items()})
    return arrays


def save(net: Sequential, path: str | os.PathLike) -> None:
    """Write ``net`` to an ``.npz`` (architecture as JSON text, params and buffers), atomically."""
    write_npz_atomic(path, model_arrays(net))


def read_npz(path: str | os.PathLike, what: str = "mlplab model") -> dict[str, np.ndarray]:
    """Every array of an ``.npz``, read with ``allow_pickle=False``; errors name the path."""
    path = os.fspath(path)
    if os.path.isfile(path) and not zipfile.is_zipfile(path):
        raise ValueError(f"path {path!r} is not a readable .npz {what} (not a zip archive)")
    try:
        with open(path, "rb") as f, np.load(f, allow_pickle=False) as data:   # our handle: closed on any error
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"path: no {what} file at {path!r}") from None
    except ValueError as err:
        if "pickle" in str(err).lower():
            raise ValueError(f"path {path!r} holds a pickled object; mlplab files never do, "
                             f"and it is refused (loading would run code)") from None
        raise ValueError(f"path {path!r} is not a readable {what}: {err}") from None
    except Exception as err:    # zipfile and NumPy raise a zoo (BadZipFile, EOFError, RuntimeError for an
        # "encrypted" member, NotImplementedError for an unknown compression, ...): all mean a broken file
        raise ValueError(f"path {path!r} is not a readable .npz {what}: {type(err).__name__}: {err}") from None


def load(path: str | os.PathLike) -> Sequential:
    """Read a network written by :func:`save`.  Never unpickles: loading runs no code."""
    path = os.fspath(path)
    return net_from_arrays(read_npz(path), path)


def net_from_arrays(arrays: dict[str, np.ndarray], path: str = "<arrays>") -> Sequential:
    """Rebuild a network from :func:`model_arrays` output (extra, non-model keys are ignored)."""
    arrays = {k: v for k, v in arrays.items() if k == "__architecture__" or k.startswith(("param:", "buffer:"))}
    if "__architecture__" not in arrays:
        raise ValueError(f"path {path!r} is an .npz but not an mlplab model (no '__architecture__' entry)")
    entry = arrays.pop("__architecture__")
    try:
        header = json.loads(str(entry)) if entry.shape == () else None
    except ValueError as err:
        raise ValueError(f"path {path!r}: the architecture entry is not valid JSON: {err}") from None
    if not isinstance(header, dict):
        raise ValueError(f"path {path!r}: the architecture entry is not a JSON object")
    if header.get("format") != "mlplab" or header.get("version") != FORMAT_VERSION:
        raise ValueError(f"path {path!r}: unsupported model format {header.get('format')!r} "
                         f"version {header.get('version')!r}")
    specs = header.get("layers")
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"path {path!r}: the architecture's 'layers' must be a non-empty list, got {specs!r}")
    layers = []
    for i, spec in enumerate(specs):
        kind = spec.get("type") if isinstance(spec, dict) else None
        if not isinstance(kind, str) or kind not in LAYER_TYPES:
            raise ValueError(f"path {path!r}: layer {i} has unknown type {kind!r}")
        config = spec.get("config", {})
        if not isinstance(config, dict):
            raise ValueError(f"path {path!r}: layer {i} ({kind}) has a config that is not an object: {config!r}")
        config = dict(config)
        if kind in ("Dense", "Maxout", "WeightNormDense"):
            config["init"] = "zeros"   # the stored weights replace whatever init draws
        try:
            layers.append(LAYER_TYPES[kind](**config))
        except (TypeError, ValueError, OverflowError, MemoryError) as err:
            raise ValueError(f"path {path!r}: layer {i} ({kind}) has a bad config {config}: {err}") from None
    try:
        net = Sequential(layers)
    except (TypeError, ValueError) as err:
        raise ValueError(f"path {path!r}: the layers do not form a network: {err}") from None
    used = assign_model_arrays(net, arrays, path)
    if set(arrays) - used - {"__architecture__"}:
        raise ValueError(f"path {path!r}: unexpected arrays {sorted(set(arrays) - used - {'__architecture__'})}")
    return net


def assign_model_arrays(net: Sequential, arrays: dict[str, np.ndarray], path: str = "<arrays>") -> set[str]:
    """Copy the ``param:``/``buffer:`` arrays of a model file into ``net`` in place, checking that
    each is present with the right shape; returns the keys it used."""
    used = set()
    for prefix, target in (("param:", net.params), ("buffer:", net.buffers)):
        for key, array in target.items():
            stored = arrays.get(prefix + key)
            if stored is None:
                raise ValueError(f"path {path!r}: missing array {prefix + key!r}")
            if stored.dtype.kind != "f":
                raise ValueError(f"path {path!r}: array {prefix + key!r} has dtype {stored.dtype}; model arrays "
                                 f"hold floating point numbers")
            if not np.isfinite(stored).all():
                raise ValueError(f"path {path!r}: array {prefix + key!r} contains {first_non_finite(stored)}")
            if stored.shape != array.shape:
                raise ValueError(f"path {path!r}: array {prefix + key!r} has shape {stored.shape}, "
                                 f"expected {array.shape}")
            array[...] = B.asarray(stored)
            used.add(prefix + key)
    return used
