import pytest

import mlplab as ml
from tests.conftest import assert_rel_close
from tests.layers.helpers import check_layer


@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_gradients_match_central_differences(pieces, on, rng):
    layer = ml.layers.Maxout(5, 4, pieces=pieces, init="normal:1", bias_init="normal:0.3", rng=pieces,
                             dtype="float64")
    check_layer(layer, rng.normal(size=(6, 5)), rng)


@pytest.mark.parametrize("pieces", [2, 3])
def test_maxout_equals_max_over_torch_linears(pieces, torch, on, rng):
    layer = ml.layers.Maxout(6, 4, pieces=pieces, bias_init="normal:0.2", rng=0, dtype="float64")
    linears = [torch.nn.Linear(6, 4) for _ in range(pieces)]
    with torch.no_grad():
        for k, lin in enumerate(linears):
            lin.weight.copy_(torch.from_numpy(on.n(layer.W)[k]))
            lin.bias.copy_(torch.from_numpy(on.n(layer.b)[k]))
    x = rng.normal(size=(7, 6))
    dy = rng.normal(size=(7, 4))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.stack([lin(xt) for lin in linears]).max(dim=0).values
    yt.backward(torch.from_numpy(dy))
    assert_rel_close(layer.forward(on.a(x)), yt.detach().numpy())
    assert_rel_close(layer.backward(on.a(dy)), xt.grad.numpy())
    for k, lin in enumerate(linears):
        assert_rel_close(on.n(layer.grads["W"])[k], lin.weight.grad.numpy())
        assert_rel_close(on.n(layer.grads["b"])[k], lin.bias.grad.numpy())


def test_maxout_shapes():
    layer = ml.layers.Maxout(10, 3, pieces=4)
    assert layer.W.shape == (4, 3, 10) and layer.b.shape == (4, 3)
