"""The in-loop drift statistics equal scipy's and fairlearn's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from sandbox.engine.monitors import gap_over
from sandbox.ml import drift

samples = st.lists(st.integers(-50, 50).map(lambda x: x / 4), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(samples, samples)
def test_wasserstein_matches_scipy(u, v):
    u, v = np.sort(u), np.sort(v)
    got = drift.wasserstein_sorted(u, v)
    assert np.isclose(got, wasserstein_distance(u, v), rtol=1e-9, atol=1e-12)
    # the window's places in the reference found beforehand (the prediction-drift monitor keeps them per day)
    assert drift.wasserstein_sorted(u, v, drift.prefix_sums(u), v_at=np.searchsorted(u, v, side="right")) == got


maybe_empty = st.lists(st.integers(-50, 50).map(lambda x: x / 4), max_size=60)


@settings(max_examples=200, deadline=None)
@given(st.lists(maybe_empty, min_size=1, max_size=4).flatmap(
    lambda ref: st.tuples(st.just(ref), st.lists(st.lists(maybe_empty, min_size=len(ref), max_size=len(ref)),
                                                 min_size=1, max_size=7))))
def test_all_columns_scored_at_once_on_windows_merged_from_days_match_scipy(case):
    """Every numeric column scored in one pass, on a window merged from daily summaries (distinct values and
    counts), gives scipy's normalised distance on the raw cases; the gate's medians and counts are numpy's."""
    ref_cols, days = case
    ref = drift.Reference({f"x{i}": np.array(c, dtype=float) for i, c in enumerate(ref_cols)}, {})
    window = drift.Numbers.merge([drift.Numbers.of([np.array(c, dtype=float) for c in day]) for day in days])
    scores, medians, sizes = drift.numeric_scores(ref, window), window.medians(), window.sizes()
    # days placed in the reference once, then merged, score exactly as the window placed afresh
    placed = drift.Numbers.merge([ref.place(drift.Numbers.of([np.array(c, dtype=float) for c in day])) for day in days])
    assert placed.placed_in is ref
    assert np.array_equal(drift.numeric_scores(ref, placed), scores, equal_nan=True)
    for i, u in enumerate(ref_cols):
        raw = np.concatenate([np.array(day[i], dtype=float) for day in days])
        assert sizes[i] == len(raw)
        values, counts = window.values(i)
        assert np.array_equal(np.repeat(values, counts), np.sort(raw))
        if not len(raw):
            assert np.isnan(scores[i]) and np.isnan(medians[i])
            continue
        assert medians[i] == np.median(raw)
        if not len(u):
            assert np.isnan(scores[i])
            continue
        expected = wasserstein_distance(u, raw) / max(np.std(u), 0.001)
        assert np.isclose(scores[i], expected, rtol=1e-9, atol=1e-12)


def test_a_window_placed_in_another_reference_is_placed_again():
    old = drift.Reference({"x": np.array([0.0, 1.0, 2.0])}, {})
    new = drift.Reference({"x": np.array([5.0, 6.0, 7.0])}, {})
    day = old.place(drift.Numbers.of([np.array([1.0, 6.0])]))
    window = drift.Numbers.merge([day, drift.Numbers.of([np.array([2.0])])])  # one day never placed: not placed
    assert window.placed_in is None and window.at is None
    expected = wasserstein_distance([5.0, 6.0, 7.0], [1.0, 6.0]) / np.std([5.0, 6.0, 7.0])
    assert np.isclose(drift.numeric_scores(new, day)[0], expected, rtol=1e-12)


def test_missing_values_are_left_out_of_a_summary():
    x = drift.Numbers.of([np.array([2.0, np.nan, 1.0, 2.0]), np.array([np.nan])])
    assert x.values(0)[0].tolist() == [1.0, 2.0] and x.values(0)[1].tolist() == [1, 2]
    assert x.sizes().tolist() == [3, 0]


shares_of = st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 40), min_size=1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(shares_of, shares_of), min_size=1, max_size=4))
def test_jensen_shannon_for_all_columns_at_once_matches_scipy(columns):
    ref = drift.Reference({}, {f"c{i}": np.repeat(list(r), list(r.values())).astype(object)
                               for i, (r, _) in enumerate(columns)})
    window = {f"c{i}": {k: v for k, v in w.items() if v} for i, (_, w) in enumerate(columns)}
    got = drift.categorical_scores(ref, window)
    for c, counts_c in window.items():
        if not sum(counts_c.values()):
            assert c not in got
            continue
        keys = sorted(set(ref._shares[c]) | set(counts_c))
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = jensenshannon([ref._shares[c].get(k, 0) for k in keys], [counts_c.get(k, 0) for k in keys])
        if np.isnan(expected) and ref._shares[c]:  # scipy's sqrt of a rounding error just below 0
            expected = 0.0
        assert np.isclose(got[c], expected, rtol=1e-12, atol=1e-7, equal_nan=True)  # sqrt of rounding noise near 0


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


def _policy(metric: str, task: str = "classification", smallest: int = 1):
    return SimpleNamespace(task=SimpleNamespace(type=task),
                           policy=SimpleNamespace(fairness=SimpleNamespace(metric=metric, min_group_size=smallest)))


@settings(max_examples=60, deadline=None)
@example(1908, 1, "equalized_odds_difference", 1)  # a group with no positives and one with no negatives
@given(st.integers(0, 10_000), st.integers(1, 4), st.sampled_from(
    ["demographic_parity_difference", "equalized_odds_difference", "error_gap", "regression"]),
    st.sampled_from([1, 1, 10, 40]))
def test_in_service_fairness_gap_equals_fairlearn(seed, days, metric, smallest):
    """Over several days' logs, with unscored cases and outcomes not yet known, the gap the monitors, the
    complaint handler and the KPIs use is fairlearn's figure on the cases it should count (the groups with at
    least the policy's ``min_group_size`` of them)."""
    from fairlearn.metrics import MetricFrame, equalized_odds_difference, false_positive_rate, true_positive_rate
    from sklearn.metrics import accuracy_score, mean_absolute_error

    rng = np.random.default_rng(seed)
    logs = []
    for d in range(days):
        n = int(rng.integers(5, 80))
        y = rng.integers(0, 2, n).astype(float) if metric != "regression" else rng.normal(10, 3, n)
        decision = rng.integers(0, 2, n).astype(float) if metric != "regression" else y + rng.normal(0, 2, n)
        decision[rng.random(n) < 0.1] = np.nan
        logs.append(SimpleNamespace(y=y, decision=decision, group=rng.choice(["a", "b", "c"], n).astype(object),
                                    label_day=d + rng.integers(0, 6, n).astype(float), memo={}))
    now = days + 1.0
    sc = _policy("error_gap", "regression", smallest) if metric == "regression" else _policy(metric, "classification",
                                                                                               smallest)
    got = gap_over(logs, sc, now)
    cat = {k: np.concatenate([getattr(log, k) for log in logs]) for k in ("y", "decision", "group", "label_day")}
    keep = ~np.isnan(cat["decision"])
    if metric != "demographic_parity_difference":
        keep &= cat["label_day"] <= now
    y, pred, group = cat["y"][keep], cat["decision"][keep], cat["group"][keep]
    names, counts = np.unique(group, return_counts=True)
    large = np.isin(group, names[counts >= smallest])
    y, pred, group = y[large], pred[large], group[large]
    group = pd.Series(group)  # fairlearn takes a one-case array of groups for a list of feature arrays
    if len(y) == 0:
        assert got is None
        return
    if metric == "demographic_parity_difference":
        want = MetricFrame(metrics=lambda t, p: np.mean(p), y_true=y, y_pred=pred,
                           sensitive_features=group).difference()
    elif metric == "equalized_odds_difference":
        # fairlearn counts a rate that is undefined in a group (no positives, or no negatives) as 0, which
        # would raise a false alarm on every small window; both this gap and the evaluation leave it out
        frame = MetricFrame(metrics={"tpr": true_positive_rate, "fpr": false_positive_rate}, y_true=y,
                            y_pred=pred, sensitive_features=group)
        defined = {"tpr": frame.by_group["tpr"][[(y[group == g] == 1).any() for g in frame.by_group.index]],
                   "fpr": frame.by_group["fpr"][[(y[group == g] == 0).any() for g in frame.by_group.index]]}
        gaps = [r.max() - r.min() for r in defined.values() if len(r)]
        want = max(gaps) if gaps else np.nan
        if all(len(r) == len(frame.by_group) for r in defined.values()):
            assert np.isclose(want, equalized_odds_difference(y, pred, sensitive_features=group))
    else:
        score = mean_absolute_error if metric == "regression" else accuracy_score
        want = MetricFrame(metrics=score, y_true=y, y_pred=pred, sensitive_features=group).difference()
    if np.isnan(want):
        assert got is None
    else:
        assert np.isclose(got, want), (got, want)


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
