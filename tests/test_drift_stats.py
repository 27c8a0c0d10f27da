"""The in-loop drift statistics equal scipy's and fairlearn's."""

from __future__ import annotations

import numpy as np
from fairlearn.metrics import demographic_parity_difference
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from sandbox import drift
from sandbox.engine.monitors import selection_gap

samples = st.lists(st.integers(-50, 50).map(lambda x: x / 4), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(samples, samples)
def test_wasserstein_matches_scipy(u, v):
    u, v = np.array(u), np.array(v)
    assert np.isclose(drift.wasserstein_sorted(np.sort(u), np.sort(v)), wasserstein_distance(u, v),
                      rtol=1e-9, atol=1e-12)


def test_check_uses_normalised_wasserstein_and_jensen_shannon():
    rng = np.random.default_rng(0)
    ref = drift.Reference({"x": rng.normal(0, 2, 2000)}, {"c": rng.choice(["a", "b", "c"], 2000).astype(object)})
    cur = {"x": rng.normal(0.5, 2, 500), "c": rng.choice(["a", "b", "d"], 500).astype(object)}
    res = drift.check(ref, cur, threshold=0.1, drift_share=0.5)
    expected_x = wasserstein_distance(ref.numeric["x"], cur["x"]) / np.std(ref.numeric["x"])
    assert np.isclose(res.columns["x"], expected_x)
    keys = ["a", "b", "c", "d"]
    p = [ref._shares["c"].get(k, 0) for k in keys]
    q = [float(np.mean(cur["c"] == k)) for k in keys]
    assert np.isclose(res.columns["c"], jensenshannon(p, q))
    assert res.dataset_drift and set(res.drifted) == {"x", "c"}


def test_selection_gap_equals_fairlearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1000)
    pred = rng.integers(0, 2, 1000).astype(float)
    group = rng.choice(["a", "b", "c"], 1000).astype(object)
    assert np.isclose(selection_gap(pred, group), demographic_parity_difference(y, pred, sensitive_features=group))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=200))
def test_task_metrics_equal_sklearn(pairs):
    from sklearn import metrics as skm

    from sandbox.ml.evaluate import task_metrics

    y = np.array([p[0] for p in pairs])
    pred = np.array([p[1] for p in pairs])
    got = task_metrics(y, pred, pred.astype(float), "classification")
    assert np.isclose(got["accuracy"], skm.accuracy_score(y, pred))
    assert np.isclose(got["precision"], skm.precision_score(y, pred, zero_division=0))
    assert np.isclose(got["recall"], skm.recall_score(y, pred, zero_division=0))
    assert np.isclose(got["f1"], skm.f1_score(y, pred, zero_division=0))
    if len(np.unique(y)) == 2:
        assert np.isclose(got["balanced_accuracy"], skm.balanced_accuracy_score(y, pred))
        assert np.isclose(got["roc_auc"], skm.roc_auc_score(y, pred))
