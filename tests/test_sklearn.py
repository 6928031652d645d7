"""scikit-learn's own estimator checks, and the estimators inside pipelines, grid searches and
cross-validation on a real dataset (issue 10)."""

from __future__ import annotations

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is a core dependency: pip install -e .")
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mlplab.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

# Small, fast instances: the checks fit them hundreds of times.
CHECKED = [MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0),
           MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, random_state=0),
           MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=60, solver="sgd", learning_rate_init=0.05, batchnorm=True,
                         dropout=0.1, activation="tanh", random_state=0),
           MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, batchnorm=True, random_state=0),
           MLPClassifier(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, norm="layer", activation="selu",
                         dropout=0.1, random_state=0),
           MLPRegressor(hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01, norm="weight", random_state=0)]
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILURES.get(type(est).__name__, {}))
def test_scikit_learn_estimator_checks(estimator, check):
    """Each of scikit-learn's checks asserts inside (and raises on failure): nothing to add here."""
    check(estimator)


def _digits():
    from sklearn.datasets import load_digits
    return load_digits(return_X_y=True)


def test_the_classifier_in_a_pipeline_cross_validation_and_a_grid_search():
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = _digits()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.85
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (64,)],
                               "mlpclassifier__batchnorm": [False, True]}, cv=3).fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] == (64,) and grid.best_score_ > 0.85
    assert grid.score(X, y) > 0.95                       # the refitted best pipeline


def test_the_classifier_matches_scikit_learns_own_mlp_on_digits():
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler
    X, y = _digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    ours = MLPClassifier(hidden_layer_sizes=(100,), max_iter=50, random_state=0).fit(X_train, y_train)
    theirs = SkMLP(hidden_layer_sizes=(100,), max_iter=50, random_state=0).fit(X_train, y_train)
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.03
    assert ours.score(X_test, y_test) > 0.95 and ours.n_iter_ == 50 and len(ours.loss_curve_) == 50
    assert ours.loss_curve_[-1] < ours.loss_curve_[0] / 10


def test_the_regressor_in_a_pipeline_scores_like_scikit_learns_own():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import cross_val_score
    from sklearn.neural_network import MLPRegressor as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    ours = cross_val_score(make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=100,
                                                                        alpha=1.0, random_state=0)), X, y, cv=3)
    theirs = cross_val_score(make_pipeline(StandardScaler(), SkMLP(hidden_layer_sizes=(32,), max_iter=100, alpha=1.0,
                                                                   random_state=0)), X, y, cv=3)
    assert ours.mean() > 0.35 and abs(ours.mean() - theirs.mean()) < 0.1, (ours, theirs)


def test_random_state_reproduces_and_partial_fit_learns():
    X, y = _digits()
    X = X / 16.0
    a = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=3).fit(X, y)
    b = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=3).fit(X, y)
    c = MLPClassifier(hidden_layer_sizes=(32,), max_iter=5, random_state=4).fit(X, y)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    online = MLPClassifier(hidden_layer_sizes=(32,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        online.partial_fit(X[:100], y[:100])
    online.partial_fit(X[:100], y[:100], classes=np.arange(10))
    first = online.score(X, y)
    for _ in range(15):
        online.partial_fit(X, y)
    assert online.n_iter_ == 16 and online.score(X, y) > max(first + 0.3, 0.85)
    assert list(online.classes_) == list(range(10))


def test_mlplab_parameters_reach_the_network():
    X, y = _digits()
    model = MLPClassifier(hidden_layer_sizes=(20, 10), activation="tanh", batchnorm=True, dropout=0.2,
                          init="xavier_uniform", max_iter=1, dtype="float32", random_state=0).fit(X / 16, y)
    kinds = [type(layer).__name__ for layer in model.net_.layers]
    assert kinds == ["Dense", "BatchNorm", "Tanh", "Dropout", "Dense", "BatchNorm", "Tanh", "Dropout", "Dense"]
    assert model.net_.dtype == np.float32 and model.predict_proba(X[:3] / 16).dtype == np.float32
    logistic = MLPClassifier(hidden_layer_sizes=(5,), activation="logistic", max_iter=1, random_state=0).fit(X, y)
    assert type(logistic.net_.layers[1]).__name__ == "Sigmoid" and logistic.net_.dtype == np.float64
    with pytest.raises(ValueError, match="'activation' parameter of MLPClassifier must be a str among"):
        MLPClassifier(activation="swish").fit(X, y)


def test_pretraining_runs_before_fit_and_changes_the_start():
    X, y = _digits()
    X = X / 16.0
    kwargs = dict(hidden_layer_sizes=(32,), activation="logistic", max_iter=1, learning_rate_init=1e-9, random_state=0)
    plain = MLPClassifier(**kwargs).fit(X, y)
    pretrained = MLPClassifier(pretrain="autoencoder", pretrain_epochs=3, **kwargs).fit(X, y)
    # with a negligible fine-tuning rate the first layer is what pre-training left there
    first_plain, first_pre = plain.net_.layers[0].params["W"], pretrained.net_.layers[0].params["W"]
    assert first_plain.shape == first_pre.shape and not np.allclose(first_plain, first_pre, atol=1e-3)
    assert np.array_equal(plain.net_.layers[-1].params["W"].shape, pretrained.net_.layers[-1].params["W"].shape)


@pytest.mark.parametrize("norm, activation, layer_types", [
    ("layer", "relu", ["Dense", "LayerNorm", "ReLU", "Dense"]),
    ("weight", "relu", ["WeightNormDense", "ReLU", "Dense"]),
    (None, "selu", ["Dense", "SELU", "AlphaDropout", "Dense"])])
def test_the_norm_parameter_builds_the_issue_19_layers_and_learns_digits(norm, activation, layer_types):
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    X, y = _digits()
    X_train, X_test, y_train, y_test = train_test_split(StandardScaler().fit_transform(X), y, test_size=0.3,
                                                        random_state=0, stratify=y)
    model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=15, learning_rate_init=0.01, norm=norm,
                          activation=activation, dropout=0.1 if activation == "selu" else 0.0,
                          random_state=0).fit(X_train, y_train)
    assert [type(layer).__name__ for layer in model.net_.layers] == layer_types
    assert model.score(X_test, y_test) > 0.95                     # the plain ReLU net: 0.969


def test_batchnorm_true_against_another_norm_is_refused_naming_both():
    X, y = _digits()
    with pytest.raises(ValueError, match=r"batchnorm=True and norm='layer' disagree"):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, batchnorm=True, norm="layer").fit(X[:50], y[:50])
    with pytest.raises(ValueError, match=r"pretrain='autoencoder' pre-trains Dense layers and norm='weight'"):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=1, norm="weight", pretrain="autoencoder").fit(X[:50], y[:50])
