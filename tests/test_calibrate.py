"""The calibration sweep (``sandbox calibrate``): the plans it builds, the same result on Dask and on a process
pool, a scenario folder anywhere, a bad file refused before any run, the checks and the HTML report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest
from conftest import FLAGSHIP, ROOT, TINY, flagship

from sandbox.calibrate import ENGINE_FIELDS, calibrate, jobs, verdicts
from sandbox.calibrate import plans as sweep_plans
from sandbox.reports.calibration import render
from sandbox.runs.scored import expert_plan
from sandbox.spec.decisions import BY_ID
from sandbox.spec.loader import load_plan, load_scenario, plan_from_dict

BUNDLED = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.yaml"))


@pytest.fixture
def tiny_with_expert(tmp_path):
    """The tiny scenario, in a folder outside ``scenarios/``, with an expert plan (its audited plan)."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    text = (folder / "plans" / "audited.yaml").read_text().replace("name: audited", "name: expert")
    (folder / "plans" / "expert.yaml").write_text(text)
    return folder


@pytest.mark.parametrize("scenario", BUNDLED)
def test_gold_plated_and_random_plans_are_valid_plans(scenario):
    loaded = load_scenario(scenario)
    expert = expert_plan(loaded)
    gold = sweep_plans.gold_plated(loaded, expert)
    for plan in (gold, *(sweep_plans.random_plan(loaded, expert, i) for i in range(5))):
        assert plan_from_dict(plan.to_dict(), loaded.scenario).decisions == plan.decisions
    assert all(gold[d.id] is True for d in BY_ID.values() if d.kind == "bool")
    assert gold["monitoring.cadence"] == "daily" and gold["problem.oversight"] == "review_all"
    assert gold["monitoring.signals"] == list(BY_ID["monitoring.signals"].choices)
    assert gold["monitoring.drift_threshold"] == BY_ID["monitoring.drift_threshold"].low
    assert gold["problem.success_metric"] == expert["problem.success_metric"]  # nothing "more thorough" there
    assert gold.impact_answers == expert.impact_answers


def test_random_plans_are_the_same_for_the_same_command_and_differ_between_plans():
    loaded = flagship()
    base = expert_plan(loaded)
    first = [sweep_plans.random_plan(loaded, base, i).decisions for i in range(6)]
    assert first == [sweep_plans.random_plan(loaded, base, i).decisions for i in range(6)]
    assert len({json.dumps(d, sort_keys=True) for d in first}) == 6
    for decisions in first:  # options that mean something for a classification task only
        assert decisions["model.algorithm"] != "linear_regression"
        assert decisions["problem.success_metric"] not in ("mae", "rmse")
        assert "primary" in decisions["data.sources"]


def test_every_ablation_changes_exactly_one_decision_to_another_option():
    loaded = flagship()
    expert = expert_plan(loaded)
    ablations = sweep_plans.ablations(loaded, expert)
    seen = set()
    for a in ablations:
        changed = [k for k in expert.decisions if a.plan.decisions[k] != expert.decisions[k]]
        assert changed == [a.decision]
        assert a.plan.impact_answers == expert.impact_answers
        key = (a.decision, json.dumps(a.choice))
        assert key not in seen
        seen.add(key)
    from sandbox.spec.decisions import applies

    # every decision that can matter under the expert's other choices is changed at least once; the retraining
    # interval cannot, as the expert retrains when a monitor alerts
    assert expert["retraining.mode"] == "triggered"
    assert {a.decision for a in ablations} == {k for k in expert.decisions if applies(k, expert.decisions)}
    assert "retraining.interval_days" not in {a.decision for a in ablations}
    cadence = {a.choice for a in ablations if a.decision == "monitoring.cadence"}
    assert cadence == {"weekly", "monthly"}  # the expert checks daily
    window = sorted(a.choice for a in ablations if a.decision == "retraining.data_window_days")
    assert window == [expert["retraining.data_window_days"] // 2, expert["retraining.data_window_days"] * 2]


def test_the_sweep_is_identical_on_a_dask_cluster_and_on_a_process_pool(tiny_with_expert):
    pytest.importorskip("distributed", reason="Dask is a test dependency: pip install -e '.[test]'")
    loaded = load_scenario(tiny_with_expert)
    on_dask = calibrate(loaded, seeds=2, randoms=3, workers=2)
    on_pool = calibrate(loaded, seeds=2, randoms=3, workers=2, pool=True)
    assert on_dask["engine"] == "dask LocalCluster" and on_pool["engine"] == "process pool"
    assert on_dask["workers"] == on_pool["workers"] == 2

    def same(r):
        return json.dumps({k: v for k, v in r.items() if k not in ENGINE_FIELDS}, sort_keys=True)

    assert same(on_dask) == same(on_pool)
    count = len(jobs(loaded, 2, 3, True)[0])
    assert count == 2 * (2 + 1 + 3 + len(on_dask["ablations"]))  # own plans, gold, random, ablations; 2 seeds
    expert = on_dask["plans"]["expert"]
    for a in on_dask["ablations"]:
        deltas = [t - e for t, e in zip(a["totals"], expert["totals"], strict=True)]
        assert a["delta_mean"] == pytest.approx(sum(deltas) / 2, abs=1e-3)
    assert len(on_dask["random"]["totals"]) == 6 and len(on_dask["random"]["kpis"]) == 6
    page = render(on_dask)
    assert "<figcaption>In words:" in page and "Single-decision changes of the expert plan" in page
    assert page.count("<tr class='lost'>") >= sum(a["delta_mean"] == 0 for a in on_dask["ablations"])


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sandbox", "calibrate", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_the_command_runs_a_folder_outside_the_scenarios_and_writes_json_and_html(tiny_with_expert, tmp_path):
    out, page = tmp_path / "cal.json", tmp_path / "cal.html"
    done = _cli(tiny_with_expert, "--seeds", 1, "--random", 2, "--no-ablations", "--workers", 1, "--json", out,
                "--report", page, "--save", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    saved = json.loads((tiny_with_expert / "calibration.json").read_text())
    assert len(saved["difficulties"]["standard"]["random"]) == 2 and saved["fingerprint"]
    result = json.loads(out.read_text())
    assert set(result) >= {"scenario", "difficulty", "seeds", "engine", "workers", "wall_s", "plans", "gold",
                           "random", "ablations", "luck", "checks"}
    assert result["scenario"] == "tiny" and result["ablations"] == [] and set(result["plans"]) == {"audited",
                                                                                                    "expert"}
    assert "gold-plated plan" in done.stdout and "Checks" in done.stdout
    assert page.read_text().startswith("<!doctype html>")


def test_a_scenario_with_a_bad_file_is_refused_before_any_run(tiny_with_expert, tmp_path):
    plan = tiny_with_expert / "plans" / "expert.yaml"
    plan.write_text(plan.read_text() + "  monitoring.cadance: daily\n")
    started = time.perf_counter()
    done = _cli(tiny_with_expert, "--seeds", 1, "--random", 1, cwd=tmp_path)
    assert done.returncode == 1
    assert f"{plan}:" in done.stderr and "decisions.monitoring.cadance" in done.stderr
    assert "Calibrating" not in done.stderr and time.perf_counter() - started < 60


def test_the_verdicts_follow_the_targets():
    def sweep(expert, naive, gold, random, deltas, sd, rho, served=True):
        return {"seeds": len(expert), "plans": {"expert": {"totals": expert, "served": [served] * len(expert)},
                                                "naive": {"totals": naive, "served": [True] * len(naive)}},
                "gold": {"totals": gold}, "random": {"totals": random, "score_harm_spearman": rho},
                "ablations": [{"delta_mean": d, "named_in_feedback": True} for d in deltas],
                "luck": {"expert_sd": sd}}

    good = {v["check"]: v["passed"] for v in verdicts(sweep([90, 92], [20, 25], [70, 72], [30, 35, 40, 60],
                                                           [-3, -2, -5, -1.5, -1, -2, -4, -6, -7, -2], 1.0, -0.8))}
    assert all(good.values()), good
    bad = {v["check"]: v["passed"] for v in verdicts(sweep([80, 92], [20, 35], [70, 80], [50, 55, 60, 90],
                                                          [0, -2, 0, -1.5], 6.0, -0.1, served=False))}
    assert not any(bad.values()), bad


def test_the_flagship_sweep_plans_include_its_own_plans(tmp_path):
    todo, ablations = jobs(flagship(), seeds=1, randoms=2, with_ablations=True)
    keys = [j.key for j in todo]
    assert keys[:3] == ["plan:expert", "plan:naive", "gold"] and keys.count("random:0") == 1
    assert len(keys) == 3 + 2 + len(ablations)
    assert load_plan(flagship(), "expert").to_dict() == todo[0].plan
    assert FLAGSHIP == flagship().id


def test_the_plan_a_sweep_found_crashing_the_engine_now_plays():
    """A bad release reads one input as zero; a model that never took that input (its source not integrated)
    is unharmed. Tax compliance's second random plan takes only the primary source, so the release's defect
    named a column its model lacked, and scoring failed once data cleaning decoded the inputs."""
    from sandbox.engine import Simulation

    loaded = load_scenario("tax-compliance")
    plan = sweep_plans.random_plan(loaded, expert_plan(loaded), 1)
    assert plan["data.sources"] == ["primary"] and plan["data.cleaning"] == "full"
    result = Simulation(loaded, plan, seed=1).run()
    assert any(i["kind"] == "bad_release" for i in result["incidents"])


def test_a_run_the_engine_cannot_play_is_reported_with_its_plan_and_seed(tiny_with_expert, monkeypatch):
    import sandbox.runs.scored as scored_module
    from sandbox.calibrate.sweep import Job, play_batch

    def broken(*args, **kwargs):
        raise ValueError("length mismatch")

    monkeypatch.setattr(scored_module, "scored_run", broken)
    plan = load_plan(load_scenario(tiny_with_expert), "expert").to_dict()
    rows = play_batch(str(tiny_with_expert), "standard", [Job("plan:expert", plan, 3)], {})
    assert rows == [{"key": "plan:expert", "seed": 3, "plan": plan, "error": "ValueError: length mismatch"}]


def test_a_model_without_one_source_still_trains_when_its_inputs_are_imputed():
    """Found by the sweep on tax compliance: with full cleaning, an input whose source is not integrated has no
    value at all; the imputer dropped it, and gradient boosting's mask of categorical inputs no longer fitted."""
    from sandbox.engine import Simulation

    loaded = load_scenario("tax-compliance")
    plan = expert_plan(loaded).with_changes(data__sources=["card_payments", "case_system"])
    assert plan["data.cleaning"] == "full" and plan["model.algorithm"] == "gradient_boosting"
    result = Simulation(loaded, plan, seed=1).run()
    assert any(day["model_version"] for day in result["timeline"])


def test_a_saved_random_plan_distribution_is_shown_until_the_scenario_changes(tiny_with_expert):
    from sandbox.calibrate import standing

    loaded = load_scenario(tiny_with_expert)
    assert standing.distribution(loaded, "standard") is None  # nothing saved yet
    sweep = {"difficulty": "standard", "seeds": 2, "random": {"totals": [20.0, 30.0, 30.0, 40.0, 50.0, 60.0]},
             "plans": {"expert": {"totals": [88.0, 90.0]}, "naive": {"totals": [25.0, 27.0]}}}
    standing.save(loaded, sweep)
    dist = standing.distribution(loaded, "standard")
    assert dist["random"] == [20.0, 30.0, 30.0, 40.0, 50.0, 60.0] and standing.distribution(loaded, "advanced") is None
    assert standing.standing(30.0, dist)["beats"] == pytest.approx((1 + 0.5 * 2) / 6, abs=1e-4)
    said = standing.words(45.0, dist)
    assert "above 67% of 6 plans made of random choices" in said and "median is 35.0" in said and "89.0" in said
    standing.save(loaded, {**sweep, "difficulty": "advanced"})  # another difficulty joins the file
    assert standing.distribution(loaded, "standard") and standing.distribution(loaded, "advanced")
    rubric = tiny_with_expert / "scenario.yaml"
    rubric.write_text(rubric.read_text() + "\n# edited\n")
    assert standing.distribution(load_scenario(tiny_with_expert), "standard") is None  # stale: not shown
    (tiny_with_expert / "calibration.json").write_text("{not json")
    assert standing.distribution(loaded, "standard") is None


@pytest.mark.parametrize("scenario", BUNDLED)
def test_every_bundled_scenario_carries_a_current_random_plan_distribution(scenario):
    """Made with ``sandbox calibrate SCENARIO --no-ablations --save``; a change to the scenario, its plans or a
    rubric needs the command run again."""
    from sandbox.calibrate import standing

    dist = standing.distribution(load_scenario(scenario), "standard")
    assert dist is not None, f"run: sandbox calibrate {scenario} --no-ablations --save"
    assert len(dist["random"]) >= 20 and dist["expert"]
