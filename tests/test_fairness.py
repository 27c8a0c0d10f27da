"""Fairness at evaluation as practitioners judge it: every protected attribute, the policy's metric and limit, a
group too small to say anything shown with its count and left out of the gap, and fairlearn's figures when
every group is large enough."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import run_flagship
from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.ml.evaluate import group_metrics
from sandbox.reports.run import fairness_sentences


def _scenario(metric: str, smallest: int = 30, task: str = "classification"):
    return SimpleNamespace(task=SimpleNamespace(type=task), policy=SimpleNamespace(
        fairness=SimpleNamespace(metric=metric, max=0.1, attribute="g", min_group_size=smallest)))


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["demographic_parity_difference", "equalized_odds_difference"]))
def test_with_every_group_large_enough_the_gaps_are_fairlearns(seed, metric):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 600))
    group = rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(group == "a", 0.3, 0.5)).astype(int)
    pred = (rng.random(n) < 0.4).astype(int)
    _, f = group_metrics(y, pred, group, _scenario(metric, smallest=1))
    assert np.isclose(f["demographic_parity_difference"],
                      demographic_parity_difference(y, pred, sensitive_features=group))
    assert np.isclose(f["equalized_odds_difference"], equalized_odds_difference(y, pred, sensitive_features=group))
    assert f["small_groups"] == {}


def test_a_group_smaller_than_the_minimum_is_shown_with_its_count_and_left_out_of_the_gap():
    rng = np.random.default_rng(3)
    group = np.array(["a"] * 300 + ["b"] * 300 + ["c"] * 5)
    y = rng.integers(0, 2, len(group))
    pred = np.where(group == "c", 1, rng.integers(0, 2, len(group)))  # the five all flagged: a gap of about 0.5
    table, f = group_metrics(y, pred, group, _scenario("demographic_parity_difference"))
    assert table["c"]["count"] == 5 and f["small_groups"] == {"c": 5}
    large = group != "c"
    assert np.isclose(f["value"], demographic_parity_difference(y[large], pred[large],
                                                                sensitive_features=group[large]))
    line = fairness_sentences(f, "classification")[0]
    assert "c (5 test cases)" in line and "smaller than 30" in line
    _, alone = group_metrics(y[:5], pred[:5], np.array(["a"] * 5), _scenario("demographic_parity_difference"))
    assert np.isnan(alone["value"]) and not alone["within_limit"]  # nothing measured is not within the limit
    assert "could not be measured" in fairness_sentences(alone, "classification")[0]


@pytest.mark.parametrize("seed", [1])
def test_every_protected_attribute_is_evaluated_on_the_policys_metric(seed):
    result = run_flagship("expert", seed=seed)
    f = result["evaluation"]["initial"]["fairness"]
    assert list(f["by_attribute"]) == ["ethnicity", "disability"]  # the scenario's protected attributes
    assert f["by_attribute"][f["attribute"]]["value"] == f["value"]
    lines = fairness_sentences(f, "classification")
    assert len(lines) == len(f["by_attribute"])
    assert all("selection-rate gap" in line for line in lines)  # the policy's metric, named in every sentence
    assert "(the limit the promotion gate applies)" in lines[0]
    frame = pd.DataFrame(f["by_attribute"]["disability"]["groups"]).T
    assert frame["count"].sum() == sum(r["count"] for r in f["by_attribute"][f["attribute"]]["groups"].values())
