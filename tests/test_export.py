"""ONNX export (issue 10): onnxruntime runs the exported graph and gives mlplab's probabilities."""

from __future__ import annotations

import numpy as np
import pytest

import mlplab as ml
from mlplab.cli import main
from mlplab.data import find_idx_folder, load_dataset
from mlplab.export import to_onnx
from mlplab.run import load_run

onnx = pytest.importorskip("onnx", reason="ONNX export needs onnx: pip install -e '.[onnx]' (make test does)")
ort = pytest.importorskip("onnxruntime", reason="the exported graphs are run by onnxruntime: pip install -e '.[onnx]'")

try:
    find_idx_folder("fashion-mnist")
    HAVE_FASHION = True
except FileNotFoundError:
    HAVE_FASHION = False

ACTIVATIONS = ["sigmoid", "tanh", "softsign", "relu", "leaky_relu", "prelu", "elu", "maxout"]


def _run(model_bytes: bytes, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(["probabilities"], {"features": X})[0]


@pytest.fixture(scope="module")
def fashion_test():
    if not HAVE_FASHION:
        pytest.skip(reason="Debian's dataset-fashion-mnist is not installed (make test installs it)")
    data = load_dataset("fashion-mnist")
    return data.X_test.astype(np.float32), data.y_test


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_exported_run_gives_mlplabs_probabilities_on_the_fashion_mnist_test_set(activation, fashion_test, tmp_path,
                                                                                   capsys):
    out = tmp_path / "run"
    assert main(["train", "--data", "fashion-mnist", "--train-limit", "3000", "--epochs", "1", "--hidden", "64,32",
                 "--activation", activation, "--batchnorm", "--dropout", "0.1", "--diagnostics", "off", "--no-report",
                 "--quiet", "--out", str(out)]) == 0
    assert main(["export", str(out), "--format", "onnx"]) == 0
    assert capsys.readouterr().out.strip().endswith("model.onnx")
    model = onnx.load(str(out / "model.onnx"))
    ops = {node.op_type for node in model.graph.node}
    assert {"BatchNormalization", "Softmax", "Div"} <= ops and "Gemm" in ops
    X_raw, y = fashion_test
    _, net, pre = load_run(out)
    ours = np.asarray(net.predict_proba(pre.transform(X_raw)))          # what `mlplab predict` computes
    theirs = _run(model.SerializeToString(), X_raw)                     # raw pixels in: the graph scales them
    assert theirs.shape == (10000, 10)
    assert np.abs(theirs - ours).max() <= 1e-5
    assert (theirs.argmax(axis=1) == y).mean() > 0.5                    # a trained net, not a constant one


@pytest.mark.parametrize("batchnorm", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_onnx_without_a_run_matches_predict_proba(activation, dtype, batchnorm):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 12)).astype(dtype)
    net = ml.mlp(12, [16, 8], 4, activation=activation, batchnorm=batchnorm, seed=2, dtype=dtype)
    net.forward(X, train=True)                     # running statistics away from 0 and 1
    model = to_onnx(net)
    # float64: exact up to rounding, but for LeakyReLU, whose slope ONNX stores as a float32 attribute
    tolerance = 1e-6 if dtype == "float32" else (1e-8 if activation == "leaky_relu" else 1e-12)
    assert np.abs(_run(model.SerializeToString(), X) - np.asarray(net.predict_proba(X))).max() <= tolerance
    logits = to_onnx(net, softmax=False)
    session = ort.InferenceSession(logits.SerializeToString(), providers=["CPUExecutionProvider"])
    assert np.allclose(session.run(["logits"], {"features": X})[0], np.asarray(net.forward(X, train=False)),
                       rtol=1e-5, atol=1e-6)


def test_export_refuses_what_it_cannot_write(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nothing")]) == 2
    assert "holds no model.npz" in capsys.readouterr().err
    with pytest.raises(TypeError, match="net must be a Sequential"):
        to_onnx("model.npz")


class _Abs(ml.layers.Layer):
    """A layer mlplab does not ship: element-wise, no parameters, its ONNX operator named."""

    onnx_op = "Abs"

    def forward(self, x, train=True):
        self._x = x
        return np.abs(x)

    def backward(self, dy):
        return dy * np.sign(self._x)


class _Noise(_Abs):
    """Noise in training only (as dropout), and no operator: the identity at test time."""

    onnx_op = None
    stochastic = True

    def forward(self, x, train=True):
        return x + self.rng.normal(size=x.shape) if train else x

    def backward(self, dy):
        return dy


def test_a_layer_is_exported_by_what_it_declares_not_by_its_class():
    """Export reads ``onnx_op`` (an element-wise layer without parameters needs nothing more) and
    ``stochastic`` (noise in training, the identity at test time), so a user's layer exports too;
    one that declares neither is refused with its index and type."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 6))
    noise = _Noise("float64")
    noise.rng = np.random.default_rng(0)
    net = ml.Sequential([ml.layers.Dense(6, 5, dtype="float64"), _Abs("float64"), noise,
                         ml.layers.Dense(5, 3, dtype="float64")])
    model = to_onnx(net)
    assert [node.op_type for node in model.graph.node] == ["Gemm", "Abs", "Gemm", "Softmax"]
    assert np.abs(_run(model.SerializeToString(), X) - np.asarray(net.predict_proba(X))).max() <= 1e-12
    plain = _Abs("float64")
    plain.onnx_op = None                            # no operator, not stochastic: nothing says how to export it
    with pytest.raises(ValueError, match=r"layer 1 \(_Abs\) has no ONNX export"):
        to_onnx(ml.Sequential([ml.layers.Dense(6, 5, dtype="float64"), plain]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("norm, activation", [("layer", "relu"), ("weight", "relu"), ("none", "selu"),
                                              ("layer", "selu"), ("weight", "tanh")])
def test_issue_19_layers_export_and_onnxruntime_agrees(norm, activation, dtype):
    """LayerNorm -> LayerNormalization, WeightNormDense -> Gemm on g v / ||v||, SELU -> Selu, AlphaDropout -> nothing."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 12)).astype(dtype)
    net = ml.mlp(12, [16, 8], 4, activation=activation, norm=norm, dropout=0.2, seed=2, dtype=dtype)
    for layer in net.layers:                       # parameters away from their init (g != ||v||, gamma != 1)
        for value in layer.params.values():
            value += ml.backend.asarray(rng.normal(scale=0.3, size=value.shape).astype(dtype))
    model = to_onnx(net)
    ops = [node.op_type for node in model.graph.node]
    assert ("LayerNormalization" in ops) == (norm == "layer")
    assert ("Selu" in ops) == (activation == "selu" and dtype == "float32")
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    assert np.abs(_run(model.SerializeToString(), X) - np.asarray(net.predict_proba(X))).max() <= tolerance
