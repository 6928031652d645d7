import numpy as np
import pytest

from mlplab.gradcheck import check_gradients
from mlplab.layers import BatchNorm, Dense, ReLU, Sigmoid, Tanh
from mlplab.pretrain import LayerAutoencoder, corrupt


def _block(kind, batchnorm=False, rng=0):
    layers = [Dense(5, 4, init="normal:0.5", bias_init="normal:0.1", rng=rng, dtype="float64")]
    if batchnorm:
        layers.append(BatchNorm(4, dtype="float64"))
        layers[-1].gamma[...] = [1.2, 0.8, 1.0, 1.5]
        layers[-1].beta[...] = [0.1, -0.2, 0.0, 0.3]
    layers.append(kind(dtype="float64"))
    return layers


@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("kind, batchnorm", [(Sigmoid, False), (Tanh, True), (ReLU, False)],
                         ids=["sigmoid", "tanh+bn", "relu"])
def test_autoencoder_objective_gradients_match_central_differences(tied, loss, kind, batchnorm):
    rng = np.random.default_rng(3)
    x = rng.random((8, 5))                                   # in [0, 1]: both losses apply
    noisy = corrupt(x, "gaussian", 0.1, np.random.default_rng(4))
    ae = LayerAutoencoder(_block(kind, batchnorm), tied=tied, loss=loss, rng=5)
    ae.c[...] = rng.normal(0, 0.1, 5)
    saved = {k: v.copy() for layer in ae.layers for k, v in layer.buffers.items()}

    def objective():
        value = ae.loss_and_grads(x, noisy)
        for layer in ae.layers:                             # the check evaluates J many times
            for k, v in layer.buffers.items():
                v[...] = saved[k]
        return value

    objective()
    errors = check_gradients(objective, ae.params, {k: v.copy() for k, v in ae.grads.items()})
    assert set(errors) == set(ae.params) and ("W_dec" in errors) == (not tied)
    assert max(errors.values()) <= 1e-6, errors


def test_tied_decoder_adds_its_gradient_to_the_encoders():
    """Tied: the W of the decoder is the encoder's; dJ/dW must hold both uses (it would be
    wrong by the decoder's share if only the encoder's backward wrote it)."""
    rng = np.random.default_rng(0)
    x = rng.random((6, 5))
    ae = LayerAutoencoder(_block(Sigmoid), tied=True, loss="mse")
    ae.loss_and_grads(x)
    W, b = ae.dense.W, ae.dense.b
    h = 1 / (1 + np.exp(-(x @ W.T + b)))
    G = 2 * (h @ W + ae.c - x) / x.shape[0]                 # d/dr of 1/m sum_i sum_j (r - x)^2
    ds = (G @ W.T) * h * (1 - h)
    np.testing.assert_allclose(ae.grads["0.W"], ds.T @ x + h.T @ G, rtol=1e-12)


def test_masking_noise_zeroes_the_requested_share_and_gaussian_adds_noise():
    x = np.ones((200, 50))
    masked = corrupt(x, "mask", 0.3, np.random.default_rng(0))
    assert set(np.unique(masked)) == {0.0, 1.0}
    assert abs((masked == 0).mean() - 0.3) < 0.02
    noisy = corrupt(x, "gaussian", 0.5, np.random.default_rng(0))
    assert abs((noisy - x).std() - 0.5) < 0.02
    assert corrupt(x, "none", 0.5, np.random.default_rng(0)) is x


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="loss"):
        LayerAutoencoder(_block(Sigmoid), loss="hinge")
    with pytest.raises(ValueError, match="noise"):
        LayerAutoencoder(_block(Sigmoid), corruption="mask", noise=1.0)
    with pytest.raises(ValueError, match="must start with a Dense layer"):
        LayerAutoencoder([Sigmoid(dtype="float64")])
