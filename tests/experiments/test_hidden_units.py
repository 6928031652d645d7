"""The hidden-units experiment's parts: its measures, the validation pick, one figure per net, the claims."""

import numpy as np
import pytest

from mlplab.experiments import hidden_units as h


def test_disagreement_is_the_share_of_points_predicted_differently():
    assert h.disagreement(np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1])) == 0.5
    assert h.disagreement(np.array([1, 1, 1]), np.array([1, 1, 1])) == 0.0
    with pytest.raises(ValueError, match="same points"):
        h.disagreement(np.zeros(3), np.zeros(4))


def test_error_rate_and_a_diverged_net_at_chance():
    y = np.array([0, 1, 0, 1])
    assert h.error_rate(np.array([0, 1, 1, 1]), y) == 0.25
    # a diverged run (None) predicts one class: chance error on balanced labels
    assert h.error_rate(h.predictions(None, np.zeros((4, 2), np.float32)), y) == 0.5


def test_pick_takes_the_lowest_validation_error_and_the_first_listed_on_ties():
    assert h.pick({"a": 0.2, "b": 0.1, "c": 0.3}) == "b"
    assert h.pick({"a": 0.1, "b": 0.1}) == "a"


def test_one_figure_file_per_net():
    files = [h.figure_file(c) for c in h.CONFIGS]
    assert len(set(files)) == len(h.CONFIGS)       # issue 15: L2 1e-3 and 1e-2 shared one file
    assert h.figure_file((100, 1e-3)) == "boundary-m100-l2-1e-3.png"
    assert h.figure_file((3, 0.0)) == "boundary-m3-l2-0.png"


class FakeNet:
    """A net whose predictions are set per point set: right or wrong on validation and on test, and,
    off the data (any other points), a class that depends on the init."""

    def __init__(self, split, good_on_val, good_on_test, init_seed):
        self.split, self.good_on_val, self.good_on_test, self.init = split, good_on_val, good_on_test, init_seed

    def predict(self, X):
        s = self.split
        if X is s.X_val:
            return s.y_val if self.good_on_val else 1 - s.y_val
        if X is s.X_test:
            return s.y_test if self.good_on_test else 1 - s.y_test
        if X is s.X_train:
            return s.y_train
        return np.full(X.shape[0], self.init % 2)        # off the data: the two inits disagree everywhere


@pytest.fixture
def fake_training(monkeypatch):
    """Nets good on validation but bad on test for L2 1e-2 and m = 30, the reverse for the others."""
    def train_net(width, l2, split, init_seed, epochs=h.EPOCHS):
        val_pick = (width, l2) in {(100, 1e-2), (30, 0.0)}
        return FakeNet(split, good_on_val=val_pick, good_on_test=not val_pick, init_seed=init_seed)
    monkeypatch.setattr(h, "train_net", train_net)
    monkeypatch.setattr(h, "N_VAL", 20)
    monkeypatch.setattr(h, "N_TEST", 40)


def test_the_arms_are_picked_on_validation_never_on_test(fake_training):
    split, runs, summary = h.run_seed(3)
    assert summary.big == (100, 1e-2) and summary.small == (30, 0.0)
    assert summary.test_err[summary.big] == 1.0 and summary.test_err[(100, 1e-4)] == 0.0
    # the second init is trained for m = 3, m = 100 without L2 and the big arm's pick only
    assert {c for c, r in runs.items() if len(r.nets) == 2} == {(3, 0.0), (100, 0.0), (100, 1e-2)}


def test_a_pair_with_a_diverged_init_counts_as_disagreement_one_half():
    preds = [np.zeros(4, np.int64), np.zeros(4, np.int64)]       # both constant, as diverged nets predict
    assert h.pair_disagreement(h.NetRun(nets=[None, None]), preds) == h.DIVERGED_DISAGREEMENT == 0.5
    assert h.pair_disagreement(h.NetRun(nets=[object(), None]), preds) == 0.5
    assert h.pair_disagreement(h.NetRun(nets=[object(), object()]), [np.array([0, 1, 1, 0]), np.zeros(4)]) == 0.5
    assert h.pair_disagreement(h.NetRun(nets=[object(), object()]), preds) == 0.0


def test_a_diverged_second_init_enters_the_summary_at_one_half(fake_training, monkeypatch):
    fake = h.train_net
    monkeypatch.setattr(h, "train_net", lambda width, l2, split, init_seed, epochs=h.EPOCHS:
                        None if (width, l2, init_seed % 1000) == (100, 0.0, 1) else fake(width, l2, split, init_seed))
    _, _, summary = h.run_seed(2)
    assert summary.disagree_test[(100, 0.0)] == 0.5 and summary.diverged == 1
    assert summary.disagree_test[(3, 0.0)] == 0.0


def test_disagreement_is_measured_on_the_data_not_off_it(fake_training):
    _, _, summary = h.run_seed(0)
    # the fake inits agree on every test point and disagree everywhere off the data
    assert summary.disagree_test[(3, 0.0)] == 0.0
    assert summary.disagree_square[(3, 0.0)] == 1.0


def summary(small_err, big_err, plain_err, d_small, d_big, d_plain):
    configs = h.CONFIGS
    test = {c: 0.2 for c in configs}
    test.update({(20, 0.0): small_err, (100, 1e-3): big_err, (100, 0.0): plain_err})
    disagree = {(3, 0.0): d_small, (100, 1e-3): d_big, (100, 0.0): d_plain}
    return h.SeedSummary(train_err=dict(test), val_err=dict(test), test_err=test, small=(20, 0.0), big=(100, 1e-3),
                         disagree_test=dict(disagree), disagree_square=dict(disagree), diverged=0)


NOISE = [0.0, 0.004, -0.004, 0.002, -0.002, 0.001]
CLAIMS = ("big with L2 vs small", "big without L2 vs small", "m = 3 vs big with L2", "L2 vs no L2 at m = 100",
          "m = 3 vs m = 100 without L2")


def test_claims_hold_when_the_phenomena_are_present_and_fail_when_reversed():
    present = [summary(0.12 + e, 0.11 + e / 2, 0.15 - e, 0.10 + e, 0.01, 0.05 - e) for e in NOISE]
    reversed_ = [summary(0.12 + e, 0.15 + e / 2, 0.10 - e, 0.01 + e, 0.10, 0.05 - e) for e in NOISE]
    assert len(h.claims(present)) == len(CLAIMS)
    assert [c.verdict for c in h.claims(present)] == ["reproduced"] * 5
    assert [c.verdict for c in h.claims(reversed_)] == ["not reproduced"] * 5
    # the claim texts are fixed: no measured numbers in them
    assert [c.claim for c in h.claims(present)] == [c.claim for c in h.claims(reversed_)]
    assert [c.statistic for c in h.claims(present)] == [c.statistic for c in h.claims(reversed_)]


def test_claims_when_the_phenomena_are_absent_equal_arms_with_noise():
    # every arm the same error and disagreement up to noise of mean 0: no effect anywhere
    null = [summary(0.12 + e, 0.12 - e, 0.12 + e / 2, 0.05 + e, 0.05 - e, 0.05 + e / 2) for e in NOISE]
    verdicts = [c.verdict for c in h.claims(null)]
    # claim 1 is non-inferiority (difference < 0.01): equal arms satisfy it, so it comes out reproduced;
    # the direction-only claims (2 to 5) cannot decide a difference of 0 either way
    assert verdicts == ["reproduced"] + ["inconclusive"] * 4


def test_the_run_writes_one_labelled_figure_per_net(fake_training, tmp_path):
    result = h.run(tmp_path, seeds=2)
    assert [f for f, _ in result.figures] == [h.figure_file(c) for c in h.CONFIGS]
    assert all((tmp_path / f).is_file() and caption for f, caption in result.figures)
    assert len(result.claims) == 5 and all(c.n == 2 for c in result.claims)
    assert all("expected" in caption for _, caption in result.figures)


def test_a_small_net_learns_the_moons():
    split = h.make_split(0)
    net = h.train_net(20, 0.0, split, init_seed=0, epochs=300)
    assert h.error_rate(h.predictions(net, split.X_test), split.y_test) < 0.2
