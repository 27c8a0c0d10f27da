"""End to end on the other kinds of scenario: one whose cases come from a CSV, and a regression task."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TINY

from sandbox.cli import main
from sandbox.engine import Simulation
from sandbox.spec.loader import load_plan, load_scenario


def _tiny_dict() -> dict:
    return yaml.safe_load((TINY / "scenario.yaml").read_text())


def _write_scenario(folder: Path, sc: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    sc["id"] = folder.name
    (folder / "scenario.yaml").write_text(yaml.safe_dump(sc, sort_keys=False))
    return folder


# ---------------------------------------------------------------------- CSV


def _housing_csv(path: Path, n: int = 6000, seed: int = 3) -> None:
    """Applications ordered by date; incomes rise sharply in the last third (a real shift in the file)."""
    rng = np.random.default_rng(seed)
    date = pd.date_range("2023-01-01", periods=n, freq="2h")
    late = np.arange(n) >= 2 * n // 3
    group = rng.choice(["north", "south"], n, p=[0.7, 0.3])
    income = rng.lognormal(7.3, 0.4, n) * np.where(late, 1.8, 1.0)
    tenure = rng.choice(["renting", "owner", "social"], n, p=[0.5, 0.3, 0.2])
    arrears = rng.poisson(1.0, n).astype(float)
    logit = -1.5 + 0.9 * arrears - 0.0006 * (income - 1500) + 0.8 * (tenure == "renting")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    df = pd.DataFrame({"applied": date.strftime("%Y-%m-%d %H:%M"), "region": group, "income": income.round(0),
                       "tenure": tenure, "arrears": arrears, "at_risk": y})
    df.loc[rng.random(n) < 0.02, "income"] = np.nan
    df.to_csv(path, index=False)


def _csv_scenario(tmp_path: Path) -> Path:
    sc = _tiny_dict()
    sc["title"] = "Housing support triage from the council's own records"
    sc["task"]["target"] = "at_risk"
    sc["data"] = {"csv": {"path": "applications.csv", "target": "at_risk", "protected": ["region"],
                          "numeric": ["income", "arrears"], "categorical": ["tenure"], "date_column": "applied"}}
    sc["timeline"] = {"days": 40, "cases_per_day": 60, "label_delay_days": 7}
    sc["events"] = [{"kind": "schema_change", "day": 25, "feature": "income", "magnitude": 0.2, "title": "Income"}]
    sc["policy"]["fairness"]["attribute"] = "region"
    sc["policy"]["min_metric"] = 0.6
    folder = _write_scenario(tmp_path / "housing-csv", sc)
    _housing_csv(folder / "applications.csv")
    return folder


def test_csv_scenario_validates_and_runs_end_to_end(tmp_path, capsys):
    folder = _csv_scenario(tmp_path)
    assert main(["validate", str(folder)]) == 0
    loaded = load_scenario(folder)
    plan = load_plan(loaded, None).with_changes(monitoring__signals=["data_drift", "system_health"],
                                                monitoring__cadence="daily", monitoring__drift_share=0.2)
    result = Simulation(loaded, plan, seed=4).run()
    assert len(result["timeline"]) == 40
    assert sum(r["cases"] for r in result["timeline"]) > 0
    first = result["evaluation"]["initial"]
    assert first["training_rows"] > 500 and 0.6 < first["metrics"]["accuracy"] <= 1.0
    assert set(first["groups"]) == {"north", "south"}
    # the file's own shift (incomes rise in its last third, from about day 18) reaches the drift monitor
    drifted = [a for a in result["alerts"] if a["signal"] == "data_drift"]
    assert any(16 <= a["day"] <= 22 and "(income)" in a["message"] for a in drifted)
    tl = result["timeline"]
    assert all(r["drifted_columns"] == ["income"] for r in tl[20:])
    assert sum(bool(r["drifted_columns"]) for r in tl[7:16]) <= 2
    # the injected event applies on top of the file
    assert any(i["kind"] == "schema_change" for i in result["incidents"])
    assert json.loads(json.dumps(result)) == result
    assert Simulation(loaded, plan, seed=4).run() == result


def test_csv_problems_name_file_line_and_column(tmp_path, capsys):
    folder = _csv_scenario(tmp_path)
    df = pd.read_csv(folder / "applications.csv")
    df["arrears"] = df["arrears"].astype(object)
    df.loc[11, "arrears"] = "two"
    df.loc[30, "at_risk"] = np.nan
    df.drop(columns=["tenure"]).to_csv(folder / "applications.csv", index=False)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "scenario.yaml:" in out and "data.csv.categorical: column 'tenure' is not in applications.csv" in out
    df.to_csv(folder / "applications.csv", index=False)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "applications.csv:13: arrears: expected a number, found 'two'" in out
    assert "applications.csv:32: at_risk: target value is empty" in out


# ---------------------------------------------------------------------- regression


def _regression_scenario(tmp_path: Path) -> Path:
    """Weekly hours of home care a person needs (a regression task); from day 20 age matters more."""
    sc = _tiny_dict()
    sc["title"] = "Home-care hours assessment"
    sc["task"] = {"type": "regression", "target": "care_hours", "positive_means": "weekly hours of care",
                  "harm_tolerance": 3.0}
    syn = sc["data"]["synthetic"]
    syn["history_cases"] = 2000
    syn["target"] = {"intercept": 12.0, "noise_sd": 1.5, "terms": [
        {"feature": "age", "form": "linear", "center": 41, "scale": 13, "weight": 3.0},
        {"feature": "household_size", "form": "linear", "center": 2.4, "scale": 1.5, "weight": -1.5},
        {"feature": "employment_status", "form": "category", "category": "retired", "weight": 4.0}]}
    sc["timeline"] = {"days": 45, "cases_per_day": 60, "label_delay_days": 5}
    sc["events"] = [{"kind": "concept_drift", "day": 20, "feature": "age", "magnitude": 1.0, "ramp_days": 3,
                     "title": "New assessment guidance gives more hours to older people"}]
    sc["policy"]["fairness"] = {"metric": "error_gap", "max": 2.0, "attribute": "ethnicity"}
    sc["policy"]["min_metric"] = 4.0
    folder = _write_scenario(tmp_path / "care-hours", sc)
    _write_rubric(folder, "concept_drift")
    return folder


def _write_rubric(folder: Path, kind: str) -> None:
    """The smallest scenario rubric that assesses an injected event kind (as the consistency lint asks)."""
    (folder / "rubric.yaml").write_text(yaml.safe_dump({
        "id": folder.name, "title": "Test rubric", "extends": "core",
        "criteria": [{"id": f"test.{kind}", "title": f"The {kind} was found", "section": "operations",
                      "kind": "outcome", "moved_by": ["monitoring.signals"],
                      "levels": [{"points": 1, "descriptor": "found", "feedback": "Found.",
                                  "when": [{"fact": f"run.incident.{kind}.detected", "equals": True}]},
                                 {"points": 0, "descriptor": "not found", "feedback": "Not found."}],
                      "lesson": "lessons/monitoring.md#what-to-monitor", "references": ["ML Test Score Monitor 7"]}]},
        sort_keys=False))


def test_regression_task_runs_end_to_end(tmp_path):
    folder = _regression_scenario(tmp_path)
    assert main(["validate", str(folder)]) == 0
    loaded = load_scenario(folder)
    plan = load_plan(loaded, None).with_changes(monitoring__signals=["data_drift", "performance", "system_health"],
                                                monitoring__cadence="daily")
    result = Simulation(loaded, plan, seed=2).run()
    first = result["evaluation"]["initial"]
    assert set(first["metrics"]) >= {"mae", "rmse", "r2"}
    assert first["metrics"]["mae"] < 4.0 and first["metrics"]["r2"] > 0.3
    assert first["fairness"]["metric"] == "error_gap"
    rows = result["timeline"]
    before = [r["accuracy"] for r in rows[8:20] if r["accuracy"] is not None]
    after = [r["accuracy"] for r in rows[30:] if r["accuracy"] is not None]
    assert before and after and np.mean(after) > 1.5 * np.mean(before)  # the model's errors (MAE) grow
    # labels arrive 5 days late: the performance monitor sees the change once they do
    perf = [a for a in result["alerts"] if a["signal"] == "performance"]
    assert perf and 25 <= perf[0]["day"] <= 32
    assert not any(a["signal"] == "data_drift" for a in result["alerts"])  # the inputs did not change
    k = result["kpis"]
    assert k["harms"] == k["wrongful_adverse_decisions"] + k["missed_cases"] > 0


@pytest.mark.parametrize("algorithm", ["linear_regression", "decision_tree", "random_forest", "gradient_boosting"])
def test_every_regressor_trains(tmp_path, algorithm):
    loaded = load_scenario(_regression_scenario(tmp_path))
    plan = load_plan(loaded, None).with_changes(model__algorithm=algorithm)
    sim = Simulation(loaded, plan, seed=2)
    assert sim.world.deployment.evaluations[0]["metrics"]["mae"] > 0


def test_gradient_boosting_takes_many_categories_one_hot(tmp_path):
    """Gradient boosting reads categories natively only up to its bin limit; a column with more (a street
    code, say) is one-hot encoded instead, and the model still trains and scores."""
    from sandbox.ml.train import MAX_NATIVE_CATEGORIES

    folder = _csv_scenario(tmp_path)
    df = pd.read_csv(folder / "applications.csv")
    df["tenure"] = [f"street-{i % (MAX_NATIVE_CATEGORIES + 50)}" for i in range(len(df))]
    df.to_csv(folder / "applications.csv", index=False)
    loaded = load_scenario(folder)
    plan = load_plan(loaded, None).with_changes(model__algorithm="gradient_boosting")
    sim = Simulation(loaded, plan, seed=1)
    steps = sim.world.deployment.models[0].pipeline.named_steps
    assert steps["model"].categorical_features is None  # one-hot columns, not native categories
    assert sim.run()["kpis"]["automated_share"] > 0
    few = load_plan(loaded, None).with_changes(model__algorithm="gradient_boosting")
    (folder / "applications.csv").write_text(pd.read_csv(folder / "applications.csv").assign(
        tenure=lambda f: np.where(f.index % 2, "renting", "owner")).to_csv(index=False))
    native = Simulation(load_scenario(folder), few, seed=1).world.deployment.models[0].pipeline.named_steps["model"]
    assert native.categorical_features is not None and any(native.categorical_features)
