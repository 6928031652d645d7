import json
import os

import numpy as np
import pytest

import mlplab as ml
from tests.conftest import assert_rel_close

L = ml.layers


def _check_loss_and_input_grad(torch, net, ref, x, labels) -> None:
    """One cross-entropy forward and backward through ``net`` and its torch twin ``ref``: the same loss
    and the same dJ/dx (``ref``'s parameter gradients are left in place for the caller)."""
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(ref(xt), torch.from_numpy(labels))
    loss_t.backward()
    loss, d = ml.losses.softmax_cross_entropy(net.forward(x), labels)
    assert_rel_close(loss, loss_t.item())
    assert_rel_close(net.backward(d), xt.grad.numpy())


def test_mlp_places_batchnorm_between_the_affine_map_and_the_nonlinearity():
    net = ml.mlp(784, [1000, 500, 250], 10, activation="relu", init="he_normal", batchnorm=True, dropout=0.2)
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "BatchNorm", "ReLU", "Dropout"] * 3 + ["Dense"]
    assert list(net.params)[:4] == ["0.W", "0.b", "1.gamma", "1.beta"]
    assert set(net.buffers) == {f"{i}.{b}" for i in (1, 5, 9) for b in ("running_mean", "running_var")}
    assert net.layers[0].W.shape == (1000, 784) and net.dtype == np.float32
    assert all(p.dtype == np.float32 for p in net.params.values())


def test_params_are_the_layer_arrays(rng):
    net = ml.mlp(3, [4], 2, dtype="float64")
    net.params["0.W"][...] = 0.0
    net.params["0.b"][...] = 1.0
    assert not net.layers[0].W.any() and (net.layers[0].b == 1).all()
    assert net.params["0.W"] is net.layers[0].W
    x = rng.normal(size=(5, 3))
    _, d = ml.losses.softmax_cross_entropy(net.forward(x), np.zeros(5, dtype=int))
    net.backward(d)
    assert net.grads["2.W"] is net.layers[2].grads["W"] and net.grads["2.W"].any()


def test_seed_makes_networks_reproducible():
    a, b = ml.mlp(5, [7], 3, seed=4), ml.mlp(5, [7], 3, seed=4)
    c = ml.mlp(5, [7], 3, seed=5)
    np.testing.assert_array_equal(a.params["0.W"], b.params["0.W"])
    assert not np.array_equal(a.params["0.W"], c.params["0.W"])


def test_whole_network_matches_torch(torch, rng):
    net = ml.mlp(6, [8, 7], 4, activation="elu", batchnorm=True, dtype="float64", seed=2, bias_init=0.01)
    ref = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ELU(),
                              torch.nn.Linear(8, 7), torch.nn.BatchNorm1d(7), torch.nn.ELU(), torch.nn.Linear(7, 4))
    names = {"W": "weight", "b": "bias", "gamma": "weight", "beta": "bias"}
    with torch.no_grad():
        for key, value in net.params.items():
            i, name = key.split(".")
            getattr(ref[int(i)], names[name]).copy_(torch.from_numpy(value))
    x = rng.normal(size=(9, 6))
    labels = rng.integers(0, 4, size=9)
    _check_loss_and_input_grad(torch, net, ref, x, labels)
    for key, grad in net.grads.items():
        i, name = key.split(".")
        expected = getattr(ref[int(i)], names[name]).grad.numpy()
        if key in ("0.b", "3.b"):   # a bias before BN has zero gradient: both sides are round-off
            assert np.abs(grad).max() < 1e-15 and np.abs(expected).max() < 1e-15
        else:
            assert_rel_close(grad, expected)


def _every_layer_type(rng):
    layers = [L.Dense(6, 8, rng=0), L.BatchNorm(8), L.PReLU(8), L.Maxout(8, 5, pieces=3, rng=1), L.LeakyReLU(0.2),
              L.Dense(5, 5, rng=2), L.ELU(0.5), L.Dropout(0.3), L.Dense(5, 4, rng=3), L.Sigmoid(),
              L.Dense(4, 4, rng=4), L.Tanh(), L.Dense(4, 3, rng=5), L.ReLU(), L.Dense(3, 3, rng=6)]
    net = ml.Sequential(layers)
    for _ in range(3):   # move BN's running statistics and PReLU's slopes away from their defaults
        net.forward(rng.normal(size=(10, 6)).astype(np.float32))
    net.layers[2].alpha[...] = rng.uniform(size=8)
    return net


def test_save_load_round_trips_every_layer_type_exactly(tmp_path, rng):
    net = _every_layer_type(rng)
    ml.save(net, tmp_path / "model.npz")
    back = ml.load(tmp_path / "model.npz")
    assert [type(layer) for layer in back.layers] == [type(layer) for layer in net.layers]
    assert back.architecture() == net.architecture()
    for key in list(net.params) + list(net.buffers):
        source = net.params.get(key, net.buffers.get(key))
        target = back.params.get(key, back.buffers.get(key))
        assert target.dtype == source.dtype
        np.testing.assert_array_equal(target, source)
    x = rng.normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_array_equal(back.forward(x, train=False), net.forward(x, train=False))
    assert os.listdir(tmp_path) == ["model.npz"]          # no temporary file left behind


def test_float64_round_trip(tmp_path):
    net = ml.mlp(3, [4], 2, dtype="float64", batchnorm=True)
    ml.save(net, tmp_path / "m.npz")
    assert ml.load(tmp_path / "m.npz").params["0.W"].dtype == np.float64


def test_pickled_file_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __architecture__=np.array([{"type": "Dense"}], dtype=object))
    with pytest.raises(ValueError, match="holds a pickled object.*refused"):
        ml.load(path)


@pytest.mark.parametrize("content, message", [
    (b"not a zip at all", "is not a readable .npz mlplab model"),
    (None, "is an .npz but not an mlplab model"),
])
def test_broken_files_are_explained(tmp_path, content, message):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, x=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        ml.load(path)


def test_tampered_architecture_is_refused(tmp_path):
    net = ml.mlp(3, [4], 2)
    ml.save(net, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        arrays = dict(data)
    header = json.loads(str(arrays["__architecture__"]))
    header["layers"][0]["type"] = "os.system"
    arrays["__architecture__"] = np.array(json.dumps(header))
    np.savez(tmp_path / "m.npz", **arrays)
    with pytest.raises(ValueError, match="unknown type 'os.system'"):
        ml.load(tmp_path / "m.npz")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no mlplab model file"):
        ml.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("x, error, message", [
    (np.zeros((4, 3)), ValueError, r"x must have 5 features \(columns\), got shape \(4, 3\)"),
    (np.zeros(5), ValueError, r"x must be 2-D, got shape \(5,\)"),
    (np.full((2, 5), np.nan), ValueError, "x contains nan at row 0, column 0"),
    (np.full((2, 5), np.inf), ValueError, "x contains inf at row 0, column 0"),
    (np.zeros((2, 5), dtype=complex), TypeError, "x must hold real numbers, got dtype complex128"),
    (np.array([["a"] * 5]), TypeError, "x must hold real numbers"),
    ("hello", TypeError, "x must be an array, got str"),
    (np.zeros((0, 5)), ValueError, "x must hold at least one example"),
])
def test_forward_refuses_bad_input(x, error, message):
    with pytest.raises(error, match=message):
        ml.mlp(5, [4], 2).forward(x)


def test_forward_converts_integer_input_to_the_network_dtype():
    y = ml.mlp(5, [4], 2).forward(np.ones((3, 5), dtype=np.uint8))
    assert y.dtype == np.float32 and y.shape == (3, 2)


def test_backward_checks_dy():
    net = ml.mlp(5, [4], 2)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        net.backward(np.zeros((3, 2)))
    net.forward(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"dy must have the shape of the last output \(3, 2\), got \(3, 4\)"):
        net.backward(np.zeros((3, 4)))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"activation": "swish"}, ValueError, "unknown activation 'swish'; valid: elu, leaky_relu, maxout, prelu, relu, selu, sigmoid, softsign"),
    ({"hidden": [10, 0]}, ValueError, r"hidden\[1\] must be a positive integer, got 0"),
    ({"hidden": [-3]}, ValueError, r"hidden\[0\] must be a positive integer, got -3"),
    ({"n_in": 0}, ValueError, "n_in must be a positive integer, got 0"),
    ({"dropout": 1.0}, ValueError, "dropout must be < 1.0"),
    ({"dtype": "float16"}, ValueError, r"dtype must be one of \['float32', 'float64'\], got 'float16'"),
    ({"init": "kaiming"}, ValueError, "unknown init 'kaiming'"),
    ({"seed": -1}, ValueError, "seed must be a non-negative int"),
])
def test_mlp_refuses_bad_settings(kwargs, error, message):
    args = {"n_in": 5, "hidden": [4], "n_out": 2, **kwargs}
    with pytest.raises(error, match=message):
        ml.mlp(**args)


def test_sequential_refuses_mixed_dtypes_and_non_layers():
    with pytest.raises(ValueError, match="layers must share one dtype"):
        ml.Sequential([L.Dense(2, 2, dtype="float32"), L.Dense(2, 2, dtype="float64")])
    with pytest.raises(TypeError, match=r"layers\[1\] must be an mlplab layer, got str"):
        ml.Sequential([L.Dense(2, 2), "relu"])


def test_predict_in_batches_equals_one_pass(rng):
    net = ml.mlp(5, [8], 3, batchnorm=True, dtype="float64")
    x = rng.normal(size=(25, 5))
    proba = net.predict_proba(x, batch_size=7)
    np.testing.assert_allclose(proba, ml.losses.softmax(net.forward(x, train=False)), rtol=1e-12)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(net.predict(x), proba.argmax(axis=1))


def test_a_failed_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    import errno
    path = tmp_path / "model.npz"
    first = ml.mlp(3, [4], 2, seed=0)
    ml.save(first, path)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.raises(OSError, match="No space left on device; the previous file there, if any, is unchanged"):
        ml.save(ml.mlp(3, [4], 2, seed=1), path)
    monkeypatch.undo()
    again = ml.load(path)
    for key, value in first.params.items():
        np.testing.assert_array_equal(again.params[key], value)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]          # no temporary file left


class _Payload:
    """Unpickling this writes a file: the side effect a malicious model would have."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import pathlib
        return (pathlib.Path.write_text, (pathlib.Path(self.marker), "code ran"))


def test_a_model_carrying_a_pickle_is_refused_and_runs_nothing(tmp_path):
    path, marker = tmp_path / "evil.npz", tmp_path / "marker"
    arrays = ml.network.model_arrays(ml.mlp(3, [4], 2))
    arrays["0.W"] = np.array([_Payload(str(marker))], dtype=object)
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="holds a pickled object"):
        ml.load(path)
    assert not marker.exists()
    with np.load(path, allow_pickle=True) as data:        # the control: a careless loader would run it
        data["0.W"]
    assert marker.read_text() == "code ran"


def test_default_init_keeps_a_deep_maxout_nets_signal_at_scale():
    """Maxout zeroes nothing, so LeCun's 1/n_in (not He's 2/n_in, which doubles the mean square per
    layer: 2^9 = 512x over 10 layers) keeps the mean square of the signal from layer 1 to layer 10."""
    net = ml.mlp(256, [256] * 10, 10, activation="maxout", dtype="float64", seed=0)
    x = np.random.default_rng(1).normal(size=(500, 256))
    maxouts = [i for i, layer in enumerate(net.layers) if type(layer).__name__ == "Maxout"]
    first, last = (float(np.mean(net.forward_until(x, i + 1) ** 2)) for i in (maxouts[0], maxouts[-1]))
    assert 0.5 < last / first < 2.0, (first, last)


# -- issue 19: norm="layer" | "weight", activation="selu" ----------------------------------------
@pytest.mark.parametrize("kwargs, types", [
    ({"norm": "batch"}, ["Dense", "BatchNorm", "ReLU", "Dense"]),
    ({"batchnorm": True}, ["Dense", "BatchNorm", "ReLU", "Dense"]),
    ({"batchnorm": True, "norm": "batch"}, ["Dense", "BatchNorm", "ReLU", "Dense"]),
    ({"norm": "layer"}, ["Dense", "LayerNorm", "ReLU", "Dense"]),
    ({"norm": "layer", "batchnorm": False}, ["Dense", "LayerNorm", "ReLU", "Dense"]),
    ({"norm": "weight"}, ["WeightNormDense", "ReLU", "Dense"]),
    ({"norm": None}, ["Dense", "ReLU", "Dense"]),
    ({"norm": "none", "dropout": 0.2}, ["Dense", "ReLU", "Dropout", "Dense"]),
    ({"activation": "selu", "dropout": 0.2}, ["Dense", "SELU", "AlphaDropout", "Dense"]),
    ({"activation": "selu", "norm": "layer"}, ["Dense", "LayerNorm", "SELU", "Dense"]),
    ({"activation": "maxout", "norm": "layer"}, ["Maxout", "LayerNorm", "Dense"])])
def test_mlp_places_each_norm_and_selus_dropout(kwargs, types):
    net = ml.mlp(4, [5], 3, **kwargs)
    assert [type(layer).__name__ for layer in net.layers] == types


@pytest.mark.parametrize("kwargs, message", [
    ({"batchnorm": True, "norm": "layer"}, "batchnorm=True and norm='layer' disagree"),
    ({"batchnorm": False, "norm": "batch"}, "batchnorm=False and norm='batch' disagree"),
    ({"norm": "group"}, "unknown norm 'group'"),
    ({"norm": "weight", "activation": "maxout"}, "norm 'weight' reparameterises Dense layers")])
def test_mlp_refuses_conflicting_or_unknown_norms(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ml.mlp(4, [5], 3, **kwargs)


def test_selu_defaults_to_lecun_normal_init():
    from mlplab.network import default_init
    assert default_init("selu") == "lecun_normal"
    W = ml.mlp(400, [300], 3, activation="selu", seed=0, dtype="float64").layers[0].W
    assert abs(W.std() * np.sqrt(400) - 1) < 0.01                     # std 1 / sqrt(fan_in)


def test_save_load_round_trips_the_issue_19_layers_exactly(tmp_path, rng):
    net = ml.Sequential([L.WeightNormDense(6, 8, rng=0), L.LayerNorm(8), L.SELU(), L.AlphaDropout(0.1, rng=1),
                         L.Dense(8, 3, rng=2)])
    for value in net.params.values():                                  # every param off its init
        value += rng.normal(scale=0.3, size=value.shape).astype(np.float32)
    ml.save(net, tmp_path / "model.npz")
    back = ml.load(tmp_path / "model.npz")
    assert back.architecture() == net.architecture()
    for key, value in net.params.items():
        np.testing.assert_array_equal(back.params[key], value)
    x = rng.normal(size=(5, 6)).astype(np.float32)
    np.testing.assert_array_equal(back.forward(x, train=False), net.forward(x, train=False))


def test_layer_and_weight_norm_selu_network_matches_torch_over_training_steps(torch, rng):
    """norm='weight' for the first block, then a LayerNorm block, SELU throughout: forward, backward and
    the parameters after 4 plain gradient steps agree with the same network in PyTorch."""
    net = ml.Sequential([L.WeightNormDense(6, 8, rng=0, dtype="float64"), L.SELU(dtype="float64"),
                         L.Dense(8, 7, rng=1, dtype="float64"), L.LayerNorm(7, dtype="float64"),
                         L.SELU(dtype="float64"), L.Dense(7, 4, rng=2, dtype="float64")])
    first = torch.nn.Linear(6, 8)
    with torch.no_grad():
        first.weight.copy_(torch.from_numpy(net.layers[0].v))
    first = torch.nn.utils.parametrizations.weight_norm(first, dim=0)
    ref = torch.nn.Sequential(first, torch.nn.SELU(), torch.nn.Linear(8, 7), torch.nn.LayerNorm(7), torch.nn.SELU(),
                              torch.nn.Linear(7, 4))
    pairs = [("0.g", first.parametrizations.weight.original0), ("0.v", first.parametrizations.weight.original1),
             ("0.b", first.bias), ("2.W", ref[2].weight), ("2.b", ref[2].bias), ("3.gamma", ref[3].weight),
             ("3.beta", ref[3].bias), ("5.W", ref[5].weight), ("5.b", ref[5].bias)]
    assert {key for key, _ in pairs} == set(net.params)
    with torch.no_grad():
        for key, p in pairs:
            p.copy_(torch.from_numpy(net.params[key]).reshape(p.shape))
    lr = 0.1
    for step in range(4):
        x, labels = rng.normal(size=(9, 6)), rng.integers(0, 4, size=9)
        _check_loss_and_input_grad(torch, net, ref, x, labels)
        with torch.no_grad():
            for key, p in pairs:
                assert_rel_close(net.grads[key], p.grad.numpy().reshape(net.grads[key].shape))
                p -= lr * p.grad
                p.grad = None
        for key in net.params:
            net.params[key] -= lr * net.grads[key]
    for key, p in pairs:
        assert_rel_close(net.params[key], p.detach().numpy().reshape(net.params[key].shape))


def test_block_names_show_the_issue_19_layers():
    from mlplab.naming import block_names
    net = ml.mlp(4, [6, 5], 3, activation="selu", norm="weight", dropout=0.2)
    assert block_names(net.layers)[0] == "hidden 1: WeightNormDense 4\u21926, SELU, AlphaDropout 0.2"
    net = ml.mlp(4, [6], 3, norm="layer")
    assert block_names(net.layers)[1] == "hidden 1: Dense 4\u21926, LayerNorm, ReLU"


@pytest.mark.parametrize("args", [["--norm", "weight", "--activation", "selu", "--dropout", "0.2"],
                                  ["--norm", "layer", "--optimizer", "adam"]])
def test_a_resumed_run_with_the_issue_19_layers_ends_bit_identical(args, tmp_path):
    """Weight norm's (g, v), layer norm's gamma/beta, alpha dropout's generator all go through the checkpoint."""
    from mlplab.cli import main
    common = ["train", "--data", "moons", "--hidden", "8,8", "--schedule", "constant", "--diagnostics", "off",
              "--no-report", "--quiet", *args]
    assert main([*common, "--epochs", "4", "--out", str(tmp_path / "straight")]) == 0
    assert main([*common, "--epochs", "2", "--out", str(tmp_path / "split")]) == 0
    assert main(["train", "--resume", str(tmp_path / "split"), "--epochs", "4", "--quiet", "--no-report"]) == 0
    straight, split = ml.load(tmp_path / "straight" / "model.npz"), ml.load(tmp_path / "split" / "model.npz")
    assert [type(layer) for layer in split.layers] == [type(layer) for layer in straight.layers]
    for key, value in straight.params.items():
        np.testing.assert_array_equal(split.params[key], value, err_msg=key)
