"""Direction of effect for any seed: properties that follow from the mechanisms, checked by hypothesis.

A small world (the tiny fixture stretched to 40 days, with a drift in claimants' earnings) keeps each
example fast; hypothesis picks the seeds. Each pair of runs shares its seed, so both see the same cases
and the same events.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import yaml
from conftest import TINY
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.engine import Simulation
from sandbox.spec.loader import load_plan, load_scenario

seeds = st.integers(min_value=0, max_value=2**31 - 1)
FEW = settings(max_examples=6, deadline=None)


@functools.cache
def small_world():
    sc = yaml.safe_load((TINY / "scenario.yaml").read_text())
    sc["id"] = "small-world"
    sc["timeline"] = {"days": 40, "cases_per_day": 80, "label_delay_days": 18}
    sc["events"] = [{"kind": "covariate_drift", "day": 12, "feature": "income_monthly", "magnitude": -1.2,
                     "ramp_days": 4, "title": "Earnings fall"}]
    folder = Path(tempfile.mkdtemp()) / "small-world"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(yaml.safe_dump(sc, sort_keys=False))
    return load_scenario(folder)


def run(seed: int, **changes) -> dict:
    loaded = small_world()
    return Simulation(loaded, load_plan(loaded, None).with_changes(**changes), seed=seed).run()


@FEW
@given(seeds)
def test_reviewing_adverse_decisions_never_adds_wrongful_ones(seed):
    """The same cases are flagged; a caseworker can only undo a wrongful denial, never create one."""
    automated = run(seed, problem__oversight="automated")
    reviewed = run(seed, problem__oversight="review_adverse")
    assert reviewed["kpis"]["wrongful_adverse_decisions"] <= automated["kpis"]["wrongful_adverse_decisions"]
    assert reviewed["kpis"]["backlog_max"] >= automated["kpis"]["backlog_max"]


@FEW
@given(seeds)
def test_more_caseworkers_never_lengthen_waits(seed):
    """A first-come-first-served queue with more servers starts every tray no later."""
    few = run(seed, problem__oversight="review_all")
    many = run(seed, problem__oversight="review_all", scenario__staffing="expanded")
    assert many["kpis"]["mean_wait_days"] <= few["kpis"]["mean_wait_days"]
    assert many["kpis"]["backlog_max"] <= few["kpis"]["backlog_max"]


@FEW
@given(seeds)
def test_drift_monitoring_detects_before_labels_can(seed):
    """Labels arrive 18 days late, so a drift monitor on the inputs sees the change first."""
    on_call = dict(monitoring__cadence="daily", monitoring__alert_to="on_call")
    drift = run(seed, monitoring__signals=["data_drift"], monitoring__drift_share=0.1, **on_call)
    labels = run(seed, monitoring__signals=["performance"], **on_call)
    t_drift = next(i for i in drift["incidents"] if i["kind"] == "covariate_drift")["detected_day"]
    t_labels = next(i for i in labels["incidents"] if i["kind"] == "covariate_drift")["detected_day"]
    assert t_drift is not None and 12 <= t_drift < 12 + 18
    assert t_labels is None or t_drift < t_labels
