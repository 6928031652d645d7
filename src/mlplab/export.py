"""ONNX export of a trained network: an inference graph that ``onnxruntime`` (or any ONNX runtime) runs.

Each layer becomes the ONNX operator with the same equation, in test mode::

    Dense      y = x W^T + b                      Gemm(transB=1)
    WeightNormDense  W = g v / ||v|| computed here Gemm(transB=1) on that W
    LayerNorm  y = gamma (x - mu_row) / sqrt(var_row + eps) + beta
                                                  LayerNormalization(axis=-1) (opset 17)
    SELU       lambda x or lambda alpha (e^x - 1)  Selu (its default alpha and gamma, Klambauer's
                                                  constants in float32; a float64 graph spells it out)
    BatchNorm  y = gamma (x - mu) / sqrt(var + eps) + beta, running statistics
                                                  BatchNormalization (as a node, not folded: the
                                                  exported graph shows the network mlplab trained)
    Sigmoid, Tanh, Softsign, ReLU, LeakyReLU(alpha), PReLU(slope), ELU(alpha)
                                                  the operators of those names (``layer.onnx_op``;
                                                  an element-wise layer without parameters needs
                                                  nothing more to be exported)
    Maxout     y = max_k (x W_k^T + b_k)          one Gemm per piece, then Max
    Dropout, AlphaDropout  identity at test time             (no node: a ``stochastic`` layer without an
                                                  ``onnx_op`` draws noise in training only)

and the graph ends in ``Softmax(axis=1)``: its output ``probabilities`` is what
:meth:`Sequential.predict_proba` returns.  With a :class:`Preprocessor` the run's input scaling
(``x / 255``, ``(x - mean) / std``) goes in front, so the graph takes raw features.

Needs the ``onnx`` package (``pip install 'mlplab[onnx]'``); it is not a core dependency.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from mlplab import backend as B
from mlplab.data import Preprocessor
from mlplab.layers import ELU, SELU, BatchNorm, Dense, LayerNorm, LeakyReLU, Maxout, PReLU, WeightNormDense
from mlplab.layers.activations import SELU_ALPHA, SELU_SCALE
from mlplab.network import Sequential
from mlplab.rundir import load_run
from mlplab.validation import check_choice

OPSET = 17


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'mlplab[onnx]'") from None
    return onnx


def to_onnx(net: Sequential, path: str | os.PathLike | None = None, preprocessor: Preprocessor | None = None,
            softmax: bool = True) -> Any:
    """The ONNX ``ModelProto`` of ``net`` (written to ``path`` when given, atomically).

    Input ``features`` ``(batch, n_in)`` in the network's dtype; output ``probabilities``
    (``softmax=False``: ``logits``).  The model is checked with ``onnx.checker`` before it is returned.
    """
    onnx = _onnx()
    from onnx import TensorProto, helper, numpy_helper
    if not isinstance(net, Sequential):
        raise TypeError(f"net must be a Sequential, got {type(net).__name__}")
    dtype = np.dtype(net.dtype)
    elem = {np.float32: TensorProto.FLOAT, np.float64: TensorProto.DOUBLE}[dtype.type]
    nodes: list[Any] = []
    inits: list[Any] = []
    current = "features"

    def const(name: str, value: Any) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(B.to_numpy(value), dtype=dtype), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attributes: Any) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attributes))
        return name

    if preprocessor is not None:
        if preprocessor.mode.startswith("scale") and preprocessor.pixel_max:
            current = node("Div", [current, const("pixel_max", np.array(preprocessor.pixel_max))], "scaled")
        if "standardize" in preprocessor.mode:
            current = node("Sub", [current, const("train_mean", preprocessor.mean)], "centred")
            current = node("Div", [current, const("train_std", preprocessor.std)], "standardized")
    for i, layer in enumerate(net.layers):
        out = f"layer{i}_{type(layer).__name__.lower()}"
        if isinstance(layer, Dense):
            current = node("Gemm", [current, const(f"{i}.W", layer.params["W"]), const(f"{i}.b", layer.params["b"])],
                           out, transB=1)
        elif isinstance(layer, WeightNormDense):                      # the effective W, as inference uses it
            current = node("Gemm", [current, const(f"{i}.W", layer.weight()), const(f"{i}.b", layer.params["b"])],
                           out, transB=1)
        elif isinstance(layer, LayerNorm):
            current = node("LayerNormalization", [current, const(f"{i}.gamma", layer.params["gamma"]),
                                                  const(f"{i}.beta", layer.params["beta"])],
                           out, axis=-1, epsilon=float(layer.eps))
        elif isinstance(layer, SELU) and dtype == np.float64:         # Selu's attributes are float32: spelled out
            negative = node("Min", [current, const(f"{i}.zero", np.array(0.0))], f"{out}_neg")
            curve = node("Mul", [const(f"{i}.scale_alpha", np.array(SELU_SCALE * SELU_ALPHA)),
                                 node("Sub", [node("Exp", [negative], f"{out}_exp"), const(f"{i}.one", np.array(1.0))],
                                      f"{out}_expm1")], f"{out}_curve")
            line = node("Mul", [const(f"{i}.scale", np.array(SELU_SCALE)), current], f"{out}_line")
            positive = node("Greater", [current, f"{i}.zero"], f"{out}_positive")
            current = node("Where", [positive, line, curve], out)
        elif isinstance(layer, Maxout):
            pieces = [node("Gemm", [current, const(f"{i}.W{k}", layer.params["W"][k]),
                                    const(f"{i}.b{k}", layer.params["b"][k])], f"{out}_piece{k}", transB=1)
                      for k in range(layer.pieces)]
            current = node("Max", pieces, out) if len(pieces) > 1 else pieces[0]
        elif isinstance(layer, BatchNorm):
            current = node("BatchNormalization", [current, const(f"{i}.gamma", layer.params["gamma"]),
                                                  const(f"{i}.beta", layer.params["beta"]),
                                                  const(f"{i}.running_mean", layer.buffers["running_mean"]),
                                                  const(f"{i}.running_var", layer.buffers["running_var"])],
                           out, epsilon=float(layer.eps))
        elif layer.onnx_op == "Softsign" and dtype == np.float64:     # onnxruntime has no double Softsign:
            magnitude = node("Abs", [current], f"{out}_abs")            # x / (1 + |x|) spelled out
            current = node("Div", [current, node("Add", [magnitude, const(f"{i}.one", np.array(1.0))], f"{out}_den")],
                           out)
        elif isinstance(layer, ELU) and dtype == np.float64:          # nor a double Elu: x > 0 ? x : a (e^x - 1)
            negative = node("Min", [current, const(f"{i}.zero", np.array(0.0))], f"{out}_neg")
            curve = node("Mul", [const(f"{i}.alpha", np.array(layer.alpha)),
                                 node("Sub", [node("Exp", [negative], f"{out}_exp"), const(f"{i}.one", np.array(1.0))],
                                      f"{out}_expm1")], f"{out}_curve")
            positive = node("Greater", [current, f"{i}.zero"], f"{out}_positive")
            current = node("Where", [positive, current, curve], out)
        elif isinstance(layer, (LeakyReLU, ELU)):   # ONNX attributes are float32: a double graph's slope is rounded
            current = node(layer.onnx_op, [current], out, alpha=float(layer.alpha))
        elif isinstance(layer, PReLU):
            current = node("PRelu", [current, const(f"{i}.alpha", layer.params["alpha"])], out)
        elif layer.onnx_op is not None and not layer.params:
            current = node(layer.onnx_op, [current], out)      # element-wise, nothing but the operator
        elif layer.onnx_op is None and layer.stochastic:
            continue                                   # dropout: the identity at test time
        else:
            raise ValueError(f"layer {i} ({type(layer).__name__}) has no ONNX export")
    n_out = next(layer.out_features for layer in reversed(net.layers) if layer.affine)
    output = node("Softmax", [current], "probabilities", axis=1) if softmax else node("Identity", [current], "logits")
    inputs = [helper.make_tensor_value_info("features", elem, [None, net.in_features])]
    graph = helper.make_graph(nodes, "mlplab", inputs,
                              [helper.make_tensor_value_info(output, elem, [None, n_out])], inits)
    model = helper.make_model(graph, producer_name="mlplab", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8                     # what onnxruntime releases of the last years all read
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        path = os.fspath(path)
        tmp = path + ".tmp"
        try:
            onnx.save_model(model, tmp)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return model


def export_run(run_dir: str | os.PathLike, output: str | os.PathLike | None = None, fmt: str = "onnx") -> str:
    """Export a finished run's model, its preprocessing in front: ``RUN_DIR/model.onnx`` by default."""
    check_choice("format", fmt, ("onnx",))
    _, net, pre = load_run(run_dir)
    output = os.fspath(output) if output is not None else os.path.join(os.fspath(run_dir), "model.onnx")
    to_onnx(net, output, preprocessor=pre)
    return output
