import numpy as np
import pytest

from mlplab import backend as B
from tests.conftest import _test_backends


def test_dtype_policy():
    assert B.resolve_dtype(None) == np.float32
    assert B.resolve_dtype("float64") == np.float64
    assert B.resolve_dtype(np.float32) == np.float32
    with pytest.raises(ValueError, match=r"dtype must be one of \['float32', 'float64'\], got 'int8'"):
        B.resolve_dtype("int8")
    with pytest.raises(ValueError, match="dtype must be one of"):
        B.resolve_dtype(np.int32)


def test_make_rng_is_seeded_and_never_global():
    np.random.seed(0)
    a = B.make_rng(3).normal(size=3)
    np.random.seed(99)
    b = B.make_rng(3).normal(size=3)
    np.testing.assert_array_equal(a, b)
    generator = np.random.default_rng(1)
    assert B.make_rng(generator) is generator
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        B.make_rng("7")


def test_unknown_backend_is_named():
    with pytest.raises(ValueError, match=r"backend must be one of \('numpy', 'torch', 'cupy', 'array_api_strict'\), "
                                         r"got 'jax'"):
        B.use("jax")
    assert B.current().name == "numpy"


def test_use_sets_the_backend_and_as_a_context_restores_it():
    B.use("numpy")
    with B.use("array_api_strict") as chosen:
        assert chosen.name == "array_api_strict" and B.current() is chosen
        with B.use("torch"):
            assert B.current().name == "torch"
        assert B.current().name == "array_api_strict"
    assert B.current().name == "numpy"


def test_a_device_the_backend_lacks_is_named():
    with pytest.raises(ValueError, match=r"device 'cuda' is not usable with backend 'numpy'"):
        B.use("numpy", device="cuda")
    with pytest.raises(ValueError, match=r"device 'nonsense' is not usable with backend 'torch'"):
        B.use("torch", device="nonsense")
    assert B.current().name == "numpy"


def test_strict_arrays_refuse_numpy_so_the_suites_catch_a_hidden_numpy_call():
    import array_api_strict as strict
    with pytest.raises(TypeError):
        strict.asarray([1.0, 2.0]) + np.ones(2)


def _digits_run(spec: str, tmp_path):
    import mlplab as ml
    from mlplab.train import Trainer
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    name, _, device = spec.partition(":")
    with B.use(name, device or None):
        net = ml.mlp(64, [32, 16], 10, batchnorm=True, dropout=0.1, dtype="float64", seed=0)
        assert type(net.layers[0].W).__module__.split(".")[0] == name
        trainer = Trainer(net, ml.optim.SGD(lr=0.1, momentum=0.9), batch_size=50, epochs=3, seed=0,
                          checkpoint_path=tmp_path / f"{name}.ckpt.npz")
        history = trainer.fit(X[:1500] / 16.0, y[:1500], val=(X[1500:] / 16.0, y[1500:]))
        ml.save(net, tmp_path / f"{name}.npz")
        return {k: B.to_numpy(v) for k, v in net.params.items()}, history


@pytest.mark.parametrize("name", [b for b in _test_backends() if b != "numpy"])
def test_three_epochs_on_another_backend_give_numpys_weights(name, tmp_path):
    """Float64 digits, batch norm, dropout, momentum SGD: the same weights to 1e-9 (relative to each
    array's largest entry, or absolute below 1: the biases before batch norm get no gradient and hold
    round-off alone, ~1e-16), the same validation accuracy, and a model file that NumPy reads back
    with no trace of the backend."""
    import mlplab as ml
    pytest.importorskip(name.partition(":")[0], reason=f"the {name} backend's library is not installed")
    reference, ref_history = _digits_run("numpy", tmp_path)
    weights, history = _digits_run(name, tmp_path)
    name = name.partition(":")[0]
    for key, value in reference.items():
        np.testing.assert_allclose(weights[key], value, rtol=0, atol=1e-9 * max(1.0, np.abs(value).max()))
    assert history[-1]["val_accuracy"] == ref_history[-1]["val_accuracy"] > 0.8
    loaded = ml.load(tmp_path / f"{name}.npz")
    assert isinstance(loaded.layers[0].W, np.ndarray)
    np.testing.assert_array_equal(loaded.layers[0].W, weights["0.W"])
    with np.load(tmp_path / f"{name}.npz", allow_pickle=False) as data:
        assert all(data[k].dtype.kind in "fU" for k in data.files)


def test_cli_trains_on_the_backend_it_is_given_and_names_a_bad_device(tmp_path):
    """``mlplab train --backend torch`` writes the run NumPy would (the same test accuracy, the backend in
    summary.json, a plain model file); a device the backend lacks is one line and exit 2, no folder."""
    import json
    import subprocess
    import sys

    def train(*flags, out):
        return subprocess.run([sys.executable, "-m", "mlplab.cli", "train", "--data", "digits", "--hidden", "16",
                               "--epochs", "2", "--dropout", "0.1", "--quiet", "--no-report", "--out", str(out),
                               *flags], capture_output=True, text=True)

    done = {name: train("--backend", name, out=tmp_path / name) for name in ("numpy", "torch")}
    summaries = {}
    for name, run in done.items():
        assert run.returncode == 0, run.stderr
        summaries[name] = json.loads((tmp_path / name / "summary.json").read_text())
        assert summaries[name]["backend"] == name
    assert summaries["torch"]["test_accuracy"] == summaries["numpy"]["test_accuracy"] > 0.2   # chance: 0.1
    for name in ("numpy", "torch"):       # a checkpoint written on one backend resumes on it
        resumed = subprocess.run([sys.executable, "-m", "mlplab.cli", "train", "--resume", str(tmp_path / name),
                                  "--epochs", "3", "--quiet", "--backend", name], capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr
        summaries[name] = json.loads((tmp_path / name / "summary.json").read_text())
    assert summaries["torch"]["epochs"] == 3 and summaries["torch"]["test_loss"] == pytest.approx(
        summaries["numpy"]["test_loss"], rel=1e-5)                      # float32: round-off apart at most
    bad = train("--backend", "numpy", "--device", "cuda", out=tmp_path / "bad")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "mlplab train: error: device 'cuda' is not usable with backend 'numpy': it runs on the CPU only"]
    assert not (tmp_path / "bad").exists()


def test_a_plain_use_holds_in_a_new_thread_and_a_fresh_context():
    """Some Jupyter kernels run each cell in a fresh context: a plain ``use`` must still hold there."""
    import contextvars
    import threading
    seen = []
    with B.use("numpy"):                          # restores NumPy however the test ends
        B.use("array_api_strict")
        contextvars.Context().run(lambda: seen.append(B.current().name))
        worker = threading.Thread(target=lambda: seen.append(B.current().name))
        worker.start()
        worker.join()
    assert seen == ["array_api_strict", "array_api_strict"] and B.current().name == "numpy"


@pytest.mark.parametrize("method", ["autoencoder", "denoising", "rbm"])
@pytest.mark.parametrize("name", [b for b in _test_backends() if b != "numpy"])
def test_greedy_pretraining_on_another_backend_gives_numpys_weights(method, name):
    """Pre-training's own mini-batch loop (autoencoder, denoising with its host-drawn noise, RBM with its
    host-drawn uniforms) computes through the backend too: NumPy's float64 weights to 1e-9."""
    import mlplab as ml
    from mlplab.pretrain import pretrain
    from sklearn.datasets import load_digits
    pytest.importorskip(name.partition(":")[0], reason=f"the {name} backend's library is not installed")
    X = load_digits().data[:300] / 16.0
    weights = {}
    for spec in ("numpy", name):
        backend, _, device = spec.partition(":")
        with B.use(backend, device or None):
            net = ml.mlp(64, [24, 12], 10, activation="sigmoid", dtype="float64", seed=0)
            reports = pretrain(net, X, method, epochs=2, lr=0.01, batch_size=50, seed=0)
            assert reports[-1].errors[-1] < reports[0].errors[0] * 10         # it ran and stayed finite
            weights[spec] = {k: B.to_numpy(v) for k, v in net.params.items()}
    for key, value in weights["numpy"].items():
        np.testing.assert_allclose(weights[name][key], value, rtol=0, atol=1e-9 * max(1.0, np.abs(value).max()))
