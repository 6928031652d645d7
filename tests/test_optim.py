import math

import numpy as np
import pytest

import mlplab as ml
import mlplab.kernels  # noqa: F401  (ml.kernels)
from tests.conftest import _test_backends, assert_rel_close

O = ml.optim

CASES = [
    ("sgd", dict(lr=0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    ("sgd-momentum", dict(lr=0.1, momentum=0.9), lambda t, p: t.optim.SGD(p, lr=0.1, momentum=0.9)),
    ("sgd-nesterov-wd", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ("sgd-dampening", dict(lr=0.05, momentum=0.5, dampening=0.3),
     lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.5, dampening=0.3)),
    ("adagrad-wd", dict(lr=0.1, weight_decay=0.02), lambda t, p: t.optim.Adagrad(p, lr=0.1, weight_decay=0.02)),
    ("rmsprop", dict(lr=0.01), lambda t, p: t.optim.RMSprop(p, lr=0.01)),
    ("rmsprop-momentum-wd", dict(lr=0.01, alpha=0.9, momentum=0.7, weight_decay=0.03),
     lambda t, p: t.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.7, weight_decay=0.03)),
    ("adam", dict(lr=0.01), lambda t, p: t.optim.Adam(p, lr=0.01)),
    ("adam-wd", dict(lr=0.01, beta1=0.8, beta2=0.99, weight_decay=0.05),
     lambda t, p: t.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.05)),
    ("adamw", dict(lr=0.01, weight_decay=0.05),
     lambda t, p: t.optim.AdamW(p, lr=0.01, weight_decay=0.05)),
    # issue 19: the optimizers of 2016-17
    ("adam-amsgrad", dict(lr=0.01, amsgrad=True), lambda t, p: t.optim.Adam(p, lr=0.01, amsgrad=True)),
    ("adamw-amsgrad-wd", dict(lr=0.01, beta2=0.99, weight_decay=0.05, amsgrad=True),
     lambda t, p: t.optim.AdamW(p, lr=0.01, betas=(0.9, 0.99), weight_decay=0.05, amsgrad=True)),
    ("nadam", dict(), lambda t, p: t.optim.NAdam(p)),
    ("nadam-wd", dict(lr=0.01, beta1=0.8, beta2=0.99, momentum_decay=0.01, weight_decay=0.05),
     lambda t, p: t.optim.NAdam(p, lr=0.01, betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.05)),
]
CLASSES = O.OPTIMIZERS
# RMSProp with momentum near its optimum divides small gradients by their small running RMS: round-off
# grows ~10x every 20 steps (1e-16 at step 40, 1e-5 at 200), the same on every backend, mlplab's torch
# one included, so it is the dynamics amplifying the last bit, not a formula; 60 steps stay within 1e-13.
STEPS = {"rmsprop-momentum-wd": 60}


@pytest.fixture
def torch_float64(torch):
    """torch.optim keeps its scalar state (NAdam's ``mu_product``) in the default dtype, float32 unless
    set to float64; float32 moves the reference, not mlplab, by ~1e-9 in 200 NAdam steps."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.fixture(params=[True, False], ids=["fused", "plain"])
def fused(request, monkeypatch):
    """Run with the compiled one-pass updates and with the plain equations."""
    if request.param and not ml.kernels.ENABLED:
        pytest.skip(reason="the C extension mlplab._fused is not built: the fused kernels are off")
    monkeypatch.setattr(ml.kernels, "ENABLED", request.param)
    return request.param


# NumPy with and without its C kernels, then every other backend under test (they have no kernels)
BACKEND_RUNS = [("numpy", True), ("numpy", False)] + [(b, False) for b in _test_backends() if b != "numpy"]


@pytest.mark.parametrize("on, fused", BACKEND_RUNS, indirect=True, ids=[f"{b}-{'fused' if f else 'plain'}"
                                                                         for b, f in BACKEND_RUNS])
@pytest.mark.parametrize("name, kwargs, make_ref", CASES, ids=[c[0] for c in CASES])
def test_200_step_trajectory_equals_torch_optim(name, kwargs, make_ref, on, fused, torch, torch_float64, rng):
    """Same start, same gradient function (a quadratic plus a cubic), 200 steps (see STEPS), 1e-10."""
    net = ml.mlp(4, [5], 3, activation="tanh", dtype="float64", seed=1)
    params = net.params
    ref_params = {k: torch.tensor(on.n(v).copy(), requires_grad=True) for k, v in params.items()}
    targets = {k: rng.normal(size=tuple(v.shape)) for k, v in params.items()}
    on_targets = {k: on.a(v) for k, v in targets.items()}
    opt = CLASSES[name.split("-")[0]](**kwargs)
    ref_opt = make_ref(torch, list(ref_params.values()))
    for _ in range(STEPS.get(name, 200)):
        grads = {k: (p - on_targets[k]) + 0.1 * p ** 3 for k, p in params.items()}
        ref_opt.zero_grad()
        sum(((p - torch.from_numpy(targets[k])) ** 2 / 2 + 0.025 * p ** 4).sum()
            for k, p in ref_params.items()).backward()
        opt.step(params, grads)
        ref_opt.step()
    for k, p in params.items():
        assert_rel_close(p, ref_params[k].detach().numpy())


@pytest.mark.parametrize("name, kwargs", [(c[0], c[1]) for c in CASES if c[0].split("-")[0] in ("sgd", "adam", "adamw")])
def test_fused_float32_updates_equal_the_numpy_equations(name, kwargs, monkeypatch, rng):
    if not ml.kernels.ENABLED:
        pytest.skip(reason="the C extension mlplab._fused is not built: the fused kernels are off")
    start = {"w": rng.normal(size=(30, 20)).astype(np.float32), "b": rng.normal(size=20).astype(np.float32)}
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(ml.kernels, "ENABLED", enabled)
        params = {k: v.copy() for k, v in start.items()}
        opt = CLASSES[name.split("-")[0]](**kwargs)
        for step in range(5):
            opt.step(params, {k: (np.sin(v * (step + 1))).astype(np.float32) for k, v in params.items()})
        results.append(params)
    for key in start:
        assert results[0][key].dtype == np.float32
        # float32 round-off only: a wrong formula would differ by ~lr = 1e-2
        np.testing.assert_allclose(results[0][key], results[1][key], rtol=1e-5, atol=2e-6)


def test_step_updates_the_network_arrays_in_place(rng):
    net = ml.mlp(3, [4], 2, dtype="float64")
    W = net.layers[0].W
    before = W.copy()
    grads = {k: np.ones_like(v) for k, v in net.params.items()}
    O.SGD(lr=0.5).step(net.params, grads)
    assert net.layers[0].W is W
    np.testing.assert_allclose(W, before - 0.5)


def test_clip_grad_norm_matches_torch(torch, on, rng):
    host = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    grads = {k: on.a(v) for k, v in host.items()}
    ref = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
    ref[0].grad, ref[1].grad = torch.from_numpy(host["a"].copy()), torch.from_numpy(host["b"].copy())
    total = O.clip_grad_norm(grads, 1.0)
    ref_total = torch.nn.utils.clip_grad_norm_(ref, 1.0)
    assert_rel_close(total, ref_total.item())
    assert_rel_close(grads["a"], ref[0].grad.numpy())
    assert math.sqrt(sum((on.n(g) ** 2).sum() for g in grads.values())) == pytest.approx(1.0, rel=1e-5)


def test_optimizer_clips_when_asked():
    params, grads = {"w": np.zeros(4)}, {"w": np.full(4, 10.0)}
    O.SGD(lr=1.0, max_grad_norm=2.0).step(params, grads)
    assert np.linalg.norm(params["w"]) == pytest.approx(2.0, rel=1e-5)


def test_schedules():
    assert O.StepLR(0.1, step_size=10, gamma=0.5)(25) == pytest.approx(0.025)
    assert O.ExponentialLR(0.1, 0.9)(3) == pytest.approx(0.1 * 0.9 ** 3)
    cosine = O.CosineLR(0.1, total_steps=100, min_lr=0.01)
    assert cosine(0) == pytest.approx(0.1) and cosine(50) == pytest.approx(0.055) and cosine(100) == 0.01
    cyclic = O.CyclicLR(1e-5, 1e-1, n_s=500)                    # DD2424's triangular cycle
    assert cyclic(0) == pytest.approx(1e-5) and cyclic(500) == pytest.approx(1e-1)
    assert cyclic(250) == pytest.approx((1e-5 + 1e-1) / 2) and cyclic(750) == pytest.approx((1e-5 + 1e-1) / 2)
    assert cyclic(1000) == pytest.approx(1e-5) and cyclic(1500) == pytest.approx(1e-1)


def test_cyclic_matches_torch_triangular(torch):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    ref = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0.001, max_lr=0.1, step_size_up=7, mode="triangular",
                                            cycle_momentum=False)
    ours = O.CyclicLR(0.001, 0.1, n_s=7)
    for t in range(30):
        assert ours(t) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-12)
        opt.step()
        ref.step()


@pytest.mark.parametrize("call, message", [
    (lambda: O.make_optimizer("adamax"), "unknown optimizer 'adamax'; valid: adagrad, adam, adamw, nadam, rmsprop, sgd"),
    (lambda: O.SGD(lr=0), "lr must be > 0.0, got 0$"),
    (lambda: O.SGD(lr=0.1, momentum=1.0), "momentum must be < 1.0"),
    (lambda: O.SGD(lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda: O.Adam(beta2=1.0), "beta2 must be < 1.0"),
    (lambda: O.CyclicLR(0.1, 0.01, 10), "eta_max must be >= 0.1"),
    (lambda: O.NAdam(momentum_decay=-0.1), "momentum_decay must be >= 0.0, got -0.1$"),
    (lambda: O.NAdam(beta1=1.0), "beta1 must be < 1.0"),
    (lambda: O.CosineWarmRestarts(0.1, T_0=0), "T_0 must be a positive integer, got 0$"),
    (lambda: O.CosineWarmRestarts(0.1, T_0=5, T_mult=1.5), "T_mult must be a positive integer, got 1.5$"),
    (lambda: O.CosineWarmRestarts(0.1, T_0=5, min_lr=0.2), "min_lr must be <= 0.1, got 0.2$"),
])
def test_bad_optimizer_settings_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_step_refuses_mismatched_keys():
    with pytest.raises(ValueError, match="params and grads must have the same keys"):
        O.SGD(lr=0.1).step({"a": np.zeros(2)}, {"b": np.zeros(2)})


def test_the_fused_extension_is_built():
    """The C kernels are optional for users without a compiler, but on this project's machines
    a missing build would silently cost ~10% of every epoch: fail loudly instead."""
    import os
    if os.environ.get("MLPLAB_ALLOW_NO_EXTENSION") == "1":
        pytest.skip(reason="MLPLAB_ALLOW_NO_EXTENSION=1: running without the C kernels on purpose")
    assert ml.kernels.ENABLED, "mlplab._fused was not built (pip install -e . needs gcc and the Python headers)"


# -- issue 19: AMSGrad's running maximum, NAdam's mu_product, cosine with warm restarts ---------------
def test_amsgrad_divides_by_the_largest_second_moment_so_far(on):
    """``v_max`` is the elementwise maximum of every ``v`` so far, and it changes the steps: with
    gradients that shrink, ``v`` falls below its peak and AMSGrad's steps are the smaller ones."""
    plain, ams = O.Adam(lr=0.1), O.Adam(lr=0.1, amsgrad=True)
    p_plain, p_ams = {"w": on.a(np.zeros(3))}, {"w": on.a(np.zeros(3))}
    seen = []
    for scale in (1.0, 3.0, 0.5, 0.1, 0.1, 2.0):
        g = np.array([1.0, -2.0, 0.5]) * scale
        plain.step(p_plain, {"w": on.a(g)})
        ams.step(p_ams, {"w": on.a(g)})
        seen.append(on.n(ams.state["w"]["v"]))
    np.testing.assert_array_equal(on.n(ams.state["w"]["v_max"]), np.max(seen, axis=0))
    assert "v_max" not in plain.state["w"]
    assert np.all(np.abs(on.n(p_ams["w"])) < np.abs(on.n(p_plain["w"])))


def test_nadam_rebuilds_mu_product_from_the_step_count_bit_for_bit():
    """A checkpoint keeps the step count, not ``mu_product``: rebuilt product by product, the resumed
    optimizer's next steps are bit-identical to those of one never stopped."""
    rng = np.random.default_rng(3)
    grads = [{"w": rng.normal(size=(4, 3))} for _ in range(40)]
    straight, p = O.NAdam(lr=0.01), {"w": np.ones((4, 3))}
    for g in grads:
        straight.step(p, {k: v.copy() for k, v in g.items()})
    first, q = O.NAdam(lr=0.01), {"w": np.ones((4, 3))}
    for g in grads[:25]:
        first.step(q, {k: v.copy() for k, v in g.items()})
    second = O.NAdam(lr=0.01)
    second.load_state_dict(first.state_dict())
    assert second.mu_product == first.mu_product and second.steps == 25
    for g in grads[25:]:
        second.step(q, {k: v.copy() for k, v in g.items()})
    np.testing.assert_array_equal(q["w"], p["w"])
    assert second.mu_product == straight.mu_product
    assert straight.mu_product == pytest.approx(math.prod(straight.mu(t) for t in range(1, 41)), rel=1e-14)


def test_an_adam_state_with_another_amsgrad_is_refused():
    ams = O.Adam(lr=0.01, amsgrad=True)
    ams.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="the saved state is Adam's with amsgrad=True, not amsgrad=False"):
        O.Adam(lr=0.01).load_state_dict(ams.state_dict())


@pytest.mark.parametrize("T_0, T_mult, min_lr", [(7, 1, 0.0), (5, 2, 0.001), (3, 3, 0.01)])
def test_cosine_warm_restarts_matches_torch_stepped_once_per_update(torch, T_0, T_mult, min_lr):
    """``t`` is the update count: rate ``t`` is the one torch's scheduler gives after ``t`` steps, exactly."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=min_lr)
    ours = O.CosineWarmRestarts(0.1, T_0=T_0, T_mult=T_mult, min_lr=min_lr)
    rates = []
    for t in range(200):
        rates.append(ours(t))
        assert rates[-1] == opt.param_groups[0]["lr"], t
        opt.step()
        ref.step()
    restarts = [t for t in range(1, 200) if rates[t] > rates[t - 1]]
    expected = [T_0 * (T_mult ** i - 1) // (T_mult - 1) if T_mult > 1 else T_0 * i for i in range(1, 30)]
    assert restarts == [t for t in expected if t < 200] and rates[0] == 0.1 and all(r >= min_lr for r in rates)
