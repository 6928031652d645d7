"""The statistics of the dead-relu experiment on constructed cases whose answers are known."""

import numpy as np
import pytest

import mlplab as ml
from mlplab.experiments import dead_relu_measure as M
from mlplab.experiments import dead_relu_runs as runs
from mlplab.layers import Dense


def test_dead_is_by_the_sign_of_the_preactivation_on_every_example():
    s = np.array([[-1.0, 0.0, 2.0, -3.0],
                  [-2.0, 0.0, -1.0, 0.5]])
    assert M.dead_mask(s).tolist() == [True, True, False, False]
    assert M.dead_share([s, np.array([[1.0, -1.0]])]) == pytest.approx(3 / 6)


def test_revived_and_gap_closed_on_a_known_case():
    units = np.array([0, 1, 2])
    top_pushed = np.array([-2.0, -2.0, -1.0])
    after = np.array([[-2.0, -1.0, 0.5],          # unit 0 has not moved, unit 1 climbed half way, unit 2 is back
                      [-3.0, -1.5, -4.0]])
    assert M.revived_share(after, units) == pytest.approx(1 / 3)
    assert M.gap_closed(top_pushed, after, units) == pytest.approx((0.0 + 0.5 + 1.5) / 3)


def test_push_dead_puts_the_largest_preactivation_margin_sds_below_zero_and_leaves_other_units():
    rng = np.random.default_rng(0)
    layer = Dense(5, 4, init="he_normal", rng=1, dtype="float64")
    x = rng.normal(size=(50, 5))
    s = layer.forward(x).copy()
    units = np.array([1, 3])
    M.push_dead(layer, s, units, margin=1.5)
    after = layer.forward(x)
    np.testing.assert_allclose(after[:, units].max(axis=0), -1.5 * s[:, units].std(axis=0))
    np.testing.assert_allclose(after[:, [0, 2]], s[:, [0, 2]])
    assert M.dead_mask(after)[units].all()


def test_centredness_is_one_for_constant_outputs_and_zero_for_symmetric_ones():
    assert M.centredness(np.full((10, 3), 2.5)) == pytest.approx(1.0)
    assert M.centredness(np.array([[1.0, -2.0], [-1.0, 2.0]])) == pytest.approx(0.0)
    assert M.centredness(np.zeros((4, 2))) == 0.0
    # a ReLU of a standard normal: E[h] / sqrt(E[h^2]) = (1/sqrt(2 pi)) / sqrt(1/2) = 1/sqrt(pi)
    s = np.random.default_rng(0).normal(size=(200000, 1))
    assert M.centredness(np.maximum(s, 0)) == pytest.approx(1 / np.sqrt(np.pi), abs=0.005)


def test_maxout_dead_pieces_and_saturated_units():
    z = np.zeros((2, 3, 3))
    z[0, :, 0], z[1, :, 0] = [1, 2, 3], [0, 0, 0]            # unit 0: piece 0 always wins -> piece 1 dead
    z[0, :, 1], z[1, :, 1] = [1, -1, 1], [0, 0, 0]           # unit 1: both pieces win somewhere
    z[0, :, 2], z[1, :, 2] = [5, 5, 5], [-1, -2, -3]         # unit 2: piece 1 dead, output constant 5
    assert M.maxout_dead_piece_share(z) == pytest.approx(2 / 3)
    h = z.max(axis=0)
    assert M.maxout_saturated_share(h) == pytest.approx(1 / 3)


def test_a_run_fails_on_nan_at_chance_or_with_exploded_weights_not_only_on_nan():
    assert not M.run_failed(False, 0.8, 3.0)
    assert M.run_failed(True, 0.8, 3.0)                        # NaN/inf loss
    assert M.run_failed(False, 0.100, 5.0)                     # at chance with a finite loss
    assert M.run_failed(False, 0.8, 6e13)                      # blown up although it still classifies
    assert M.run_failed(False, 0.100, 2e4)                     # the ELU nets at rate 0.45: finite loss, no NaN
    assert M.run_failed(False, float("nan"), 1.0) and M.run_failed(False, 0.8, float("inf"))


def test_choose_rate_requires_every_arm_to_learn_and_drops_elu_only_when_no_rate_keeps_it():
    rates = [0.1, 0.2, 0.3, 0.4]
    dead = [0.0, 0.05, 0.3, 0.6]
    every = {"relu": [True] * 4, "relu+bias": [True] * 4, "leaky_relu": [True] * 4}
    # ELU learns at 0.4 only: the rule keeps ELU and takes 0.4, not the onset 0.3
    chosen = M.choose_rate(rates, dead, {**every, "elu": [True, True, False, True]})
    assert chosen == {"rate": 0.4, "arms": ["relu", "relu+bias", "leaky_relu", "elu"], "dropped": [], "met": True}
    # ELU never learns where ReLUs partly die: dropped, and the onset among the others
    chosen = M.choose_rate(rates, dead, {**every, "elu": [True, True, False, False]})
    assert chosen["rate"] == 0.3 and chosen["dropped"] == ["elu"] and chosen["met"]
    # an arm other than ELU that fails moves the rate up; nothing qualifying: nearest the middle, flagged
    chosen = M.choose_rate(rates, dead, {**every, "leaky_relu": [True, True, False, True], "elu": [False] * 4})
    assert chosen["rate"] == 0.4 and chosen["dropped"] == ["elu"]
    chosen = M.choose_rate(rates, [0.0, 0.05, 0.97, 1.0], {**every, "elu": [True] * 4})
    assert chosen["rate"] == 0.2 and not chosen["met"]


def fake_run(failed=False, dead=(0.0, 0.0), accuracy=0.8, train_accuracy=0.85, centred=(0.5, 0.5),
             dead_piece=(0.0, 0.0), diverged=False, max_weight=2.0):
    return {"failed": failed, "diverged": diverged, "dead": list(dead), "accuracy": accuracy,
            "train_accuracy": train_accuracy, "centred": list(centred), "dead_piece": list(dead_piece),
            "max_weight": max_weight}


def test_select_rate_drops_elu_that_blows_up_without_a_nan(monkeypatch):
    """ELU 'learns' nothing at any rate because its weights explode with a finite loss: the rule drops it
    and keeps the onset of dying for the others; ReLU failing above 0.5 ends nothing in the full grid."""
    from mlplab.experiments import dead_relu as D
    relu_dead = {0.3: 0.02, 0.35: 0.05, 0.4: 0.2, 0.45: 0.3, 0.5: 0.4, 0.6: 0.6, 0.7: 0.9}
    calls = []

    def trained(setup, activation, seed, rate, bias=0.0, light=False):
        calls.append((activation, bias, rate))
        if activation == "elu":
            return fake_run(failed=M.run_failed(False, 0.1, 6e13), train_accuracy=0.1, max_weight=6e13)
        if activation == "relu" and bias == 0.0:
            ok = rate < 0.6
            return fake_run(dead=(relu_dead[rate],) * 2, train_accuracy=0.8 if ok else 0.3)
        return fake_run(train_accuracy=0.8)

    monkeypatch.setattr(D.runs, "trained", trained)
    chosen = D.select_rate(None, (2000, 2001), whole_grid=True)
    assert chosen["rate"] == 0.4 and chosen["dropped"] == ["elu"] and chosen["met"]
    assert chosen["learned"]["elu"] == [False] * 7
    assert {r for a, _, r in calls if a == "elu"} == {0.4, 0.45, 0.5}   # tried wherever the ReLUs qualify
    calls.clear()
    quick = D.select_rate(None, (2000,), whole_grid=False)
    assert quick["rate"] == 0.4 and max(r for _, _, r in calls) == 0.4   # stops once the others qualify


def test_paired_claims_use_high_minus_base_on_seeds_where_neither_run_failed():
    from mlplab.experiments import dead_relu as D
    from mlplab.experiments.base import Result
    seeds = 6
    base_dead = [0.0, 0.01, 0.02, 0.0, 0.01, 0.0]
    high_dead = [0.3, 0.2, 0.4, 0.3, 0.25, 0.35]
    base = {a: [fake_run(dead=(d, d)) for d in base_dead] for a in D.RECOVERING}
    base["maxout"] = [fake_run(dead=(float("nan"),) * 2, dead_piece=(0.0, 0.0)) for _ in range(seeds)]
    at_high = {a: [fake_run(dead=(d, d)) for d in high_dead] for a in D.COMPARED}
    # seed 2 of the ReLU at the high rate blew up without a NaN; seed 4 of Leaky ReLU diverged
    at_high["relu"][2] = fake_run(failed=True, dead=(1.0, 1.0), accuracy=0.1, train_accuracy=0.1, max_weight=6e13)
    at_high["leaky_relu"][4] = fake_run(failed=True, diverged=True, dead=(float("nan"),) * 2)
    at_high["relu+bias"] = [fake_run(dead=(d - 0.1, d - 0.1)) for d in high_dead]
    recovered = {a: [runs.Recovery(revived=[0.0 if a == "relu" else 0.5, 0.2], gap=[0.0 if a == "relu" else 0.02, 0.5],
                                   accuracy_pushed=0.7, accuracy_after=0.8) for _ in range(seeds)]
                 for a in D.RECOVERING}
    result = Result(D.NAME, D.TITLE, D.SOURCE, seeds, False)
    D.claims(result, base, at_high, recovered, 0.45, with_elu=False, recovery_updates=1000)
    texts = [c.claim for c in result.claims]
    assert len(texts) == 11 and not any("ELU units than ReLUs" in t for t in texts)
    kills, bias, leaky = result.claims[:3]
    keep = [0, 1, 3, 4, 5]                                       # the blown-up seed 2 is left out, not 'all dead'
    assert kills.n == 5 and kills.estimate == pytest.approx(np.mean([high_dead[i] - base_dead[i] for i in keep]))
    assert bias.n == 5 and bias.estimate == pytest.approx(0.1)   # bias 0 minus bias 0.01: positive = fewer deaths
    assert leaky.n == 4 and leaky.estimate == pytest.approx(0.0)
    assert "1 of 6 runs failed" in kills.baseline and "5 of 6 seeds" in kills.baseline
    gap = next(c for c in result.claims if "a gradient still flows" in c.claim)
    assert gap.estimate == pytest.approx(0.02) and gap.n == 6
    with_elu = Result(D.NAME, D.TITLE, D.SOURCE, seeds, False)
    D.claims(with_elu, base, at_high, recovered, 0.45, with_elu=True, recovery_updates=1000)
    assert len(with_elu.claims) == 12 and "ELU units than ReLUs" in with_elu.claims[3].claim


def test_preactivations_are_the_affine_outputs_and_maxout_pieces():
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    net = ml.mlp(6, [5, 4], 3, activation="relu", seed=0)
    pres, posts = M.preactivations(net, x)
    first = net.layers[0]
    np.testing.assert_allclose(pres[0], x @ first.W.T + first.b, rtol=1e-5, atol=1e-6)
    assert [p.shape for p in pres] == [(7, 5), (7, 4)] and len(posts) == 2
    np.testing.assert_allclose(posts[0], np.maximum(pres[0], 0))
    maxout = ml.mlp(6, [5, 4], 3, activation="maxout", seed=0)
    pres, posts = M.preactivations(maxout, x)
    assert [p.shape for p in pres] == [(2, 7, 5), (2, 7, 4)] and [h.shape for h in posts] == [(7, 5), (7, 4)]
    np.testing.assert_allclose(posts[1], maxout.forward_until(x, 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("activation, comes_back", [("relu", False), ("elu", True)])
def test_a_pushed_first_layer_unit_stays_dead_with_relu_and_comes_back_with_elu(activation, comes_back):
    """The live mechanism the claims rest on, on a small problem: a first-layer ReLU unit pushed just
    below 0 gets no gradient and never moves; an ELU unit still gets exp(s) of it and climbs back."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    setup = runs.Setup(X, y, X, y, hidden=(16,), batch=50, base_rate=0.5, updates=40, recovery_updates=200,
                       pushed=8, margin=0.1, track_every=100, tracked=400)
    net = setup.net(activation, seed=0)
    assert setup.train(net, setup.base_rate, setup.updates, seed=0)
    bias = np.array(net.layers[0].b)
    found = runs.push_and_recover(setup, net, seed=0)
    assert found.dead_after_push == [1.0]
    if comes_back:
        assert found.revived[0] > 0 and found.gap[0] > 0 and found.moved[0] > 0
    else:
        pushed = np.sort(np.random.default_rng([0, 15]).choice(16, 8, replace=False))
        kept = np.setdiff1d(np.arange(16), pushed)
        assert found.revived == [0.0] and found.gap == [0.0] and found.moved == [0.0]   # by construction
        assert not np.allclose(np.array(net.layers[0].b)[kept], bias[kept])      # the others did train


def test_budgets_train_whole_epochs_and_quick_keeps_the_recovery_budget_its_claim_names():
    """Setup.epochs refuses a part epoch; the Leaky ReLU claim's text says '200 in the quick one', and the
    full run's sizes are the stored result's (10,000 images, 500 and 1,000 updates, the whole test set)."""
    from mlplab.experiments import dead_relu as D
    quick, full = D.budgets(True), D.budgets(False)
    assert (full["n_train"], full["updates"], full["recovery_updates"], full["n_test"]) == (D.N_TRAIN, 500, 1000, 10000)
    assert (quick["n_train"], quick["updates"], quick["recovery_updates"], quick["n_test"]) == (5000, 100, 200, 1000)
    for plan in (quick, full):
        per_epoch = plan["n_train"] // 100
        assert plan["n_train"] % 100 == 0 and plan["updates"] % per_epoch == 0
        assert plan["recovery_updates"] % per_epoch == 0 and plan["tracked"] <= plan["n_train"]
    assert D.QUICK_SEEDS >= 3
