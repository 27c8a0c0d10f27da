"""Rubric scoring: decision quality against the expert plan, ablations, determinism, the rubric language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import TINY, flagship, run_flagship
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.cli import main
from sandbox.engine import Simulation
from sandbox.engine.result import to_json
from sandbox.scoring import rubric_for, score
from sandbox.scoring.rubric import CORE_RUBRIC, Condition, Criterion, load_rubric
from sandbox.scoring.score import holds, judge, readiness_band
from sandbox.spec.decisions import CATALOGUE
from sandbox.spec.loader import load_plan, load_scenario
from sandbox.spec.yamlio import LoadError


def _score(result: dict, reference: dict | None) -> dict:
    loaded = flagship()
    return score(result, rubric_for(loaded), list(loaded.scenario.impact_questions), reference)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_expert_scores_high_and_naive_low(seed):
    expert = run_flagship("expert", seed=seed)
    naive = run_flagship("naive", seed=seed)
    assert _score(expert, expert)["total"] >= 85
    # a naive model still beats a manual service that cannot keep up (no late decisions), so it earns part of
    # the harm and wait points; the calibration's aim for it is 30 (``sandbox calibrate``)
    assert _score(naive, expert)["total"] <= 50


ABLATIONS = {  # decision switched off -> the plan fact the feedback must name
    "drift monitoring": ({"monitoring__signals": ["prediction_drift", "performance", "fairness", "system_health"]},
                         "plan.monitoring.signals"),
    "validation gate": ({"data__validation_gate": "none"}, "plan.data.validation_gate"),
    "canary and rollback": ({"deployment__strategy": "big_bang", "deployment__automated_rollback": False},
                            "plan.deployment.strategy"),
    "data versioning": ({"data__versioning": False}, "plan.data.versioning"),
    "human review": ({"problem__oversight": "automated"}, "plan.problem.oversight"),
    "fairness audit": ({"evaluation__fairness_audit": False}, "plan.evaluation.fairness_audit"),
}


@pytest.mark.parametrize("name", list(ABLATIONS))
def test_switching_off_a_safeguard_lowers_the_score_and_names_it(name):
    changes, fact = ABLATIONS[name]
    expert = run_flagship("expert", seed=1)
    ablated = run_flagship("expert", seed=1, **changes)
    full, less = _score(expert, expert), _score(ablated, expert)
    assert less["total"] < full["total"]
    lost = [c for c in less["criteria"] if c["points"] < c["max_points"]]
    assert any(fact in c["evidence"] for c in lost), f"no criterion that lost points names {fact}"
    assert all(c["feedback"] and "{" not in c["feedback"] for c in less["criteria"])


def test_same_run_same_score_byte_for_byte(tmp_path):
    expert = run_flagship("expert", seed=1)
    naive = run_flagship("naive", seed=1)
    a = json.dumps(_score(naive, expert), sort_keys=True)
    b = json.dumps(_score(json.loads(json.dumps(naive)), json.loads(json.dumps(expert))), sort_keys=True)
    assert a == b


def test_sandbox_score_rescores_a_saved_run(tmp_path, capsys):
    run = tmp_path / "run.json"
    run.write_text(to_json(run_flagship("expert", seed=1)))
    out = tmp_path / "scored.json"
    assert main(["score", str(run), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    scored = json.loads(out.read_text())["score"]
    assert f"Score {scored['total']:.1f} / 100" in printed and scored["total"] >= 85
    assert {"total", "band", "sections", "criteria"} <= set(scored)
    assert all({"points", "max_points", "feedback", "evidence", "lesson"} <= set(c) for c in scored["criteria"])
    assert main(["score", str(tmp_path / "missing.json")]) == 1
    assert "missing.json:1: (file): file not found" in capsys.readouterr().err


def test_core_rubric_maps_at_least_20_ml_test_score_tests():
    rubric = load_rubric()
    tests = {c.ml_test for c in rubric.criteria if c.ml_test}
    assert len(tests) >= 20
    sections = {c.section for c in rubric.criteria if c.ml_test}
    assert sections == {"data", "model", "infrastructure", "monitoring"}


@pytest.mark.parametrize("value, band", [(0, "research project"), (0.5, "serious holes"), (1, "serious holes"),
                                         (2, "first pass"), (3, "reasonably tested"), (5, "mission-critical"),
                                         (5.5, "exceptional")])
def test_readiness_bands(value, band):
    assert readiness_band(value) == band


# ---------------------------------------------------------------------- the rubric language, table-driven

FACTS = {"plan.a": "x", "plan.list": ["p", "q"], "run.kpis.n": 5, "ref.kpis.n": 4, "run.kpis.flag": True,
         "run.alerts.signals": ["data_drift", "data_drift", "fairness"], "ref.alerts.signals": ["data_drift"]}
CASES = [  # (condition, holds?)
    ({"fact": "plan.a", "equals": "x"}, True),
    ({"fact": "plan.a", "equals": "y"}, False),
    ({"fact": "plan.a", "not_equals": "y"}, True),
    ({"fact": "plan.a", "in": ["x", "z"]}, True),
    ({"fact": "plan.a", "in": ["z"]}, False),
    ({"fact": "plan.list", "contains": "q"}, True),
    ({"fact": "plan.list", "contains": "r"}, False),
    ({"fact": "run.kpis.n", "ge": 5}, True),
    ({"fact": "run.kpis.n", "ge": 6}, False),
    ({"fact": "run.kpis.n", "le": 5}, True),
    ({"fact": "run.kpis.n", "le": 4.9}, False),
    ({"fact": "run.kpis.n", "between": [4, 6]}, True),
    ({"fact": "run.kpis.n", "between": [6, 7]}, False),
    ({"fact": "run.kpis.n", "present": True}, True),
    ({"fact": "run.kpis.absent", "present": False}, True),
    ({"fact": "run.kpis.absent", "ge": 0}, False),
    ({"fact": "run.kpis.n", "le_ref": 1.25}, True),
    ({"fact": "run.kpis.n", "le_ref": 1.2}, False),
    ({"fact": "run.kpis.n", "ge_ref": 1.25}, True),
    ({"fact": "run.kpis.flag", "ge": 0}, False),  # booleans are not numbers
    ({"fact": "run.alerts.signals", "count": "data_drift", "ge": 2}, True),
    ({"fact": "run.alerts.signals", "count": "fairness", "ge": 2}, False),
    ({"fact": "run.alerts.signals", "count": "data_drift", "ge_ref": 2}, True),
]


@pytest.mark.parametrize("cond, expected", CASES)
def test_every_comparison(cond, expected):
    assert holds(Condition.model_validate(cond), FACTS) is expected


@pytest.mark.parametrize("kind", ["decision", "outcome", "consistency"])
def test_every_criterion_kind_judges_first_matching_level(kind):
    crit = Criterion.model_validate({
        "id": "c", "title": "t", "section": "s", "kind": kind, "lesson": "lessons/x.md#y", "references": ["r"],
        "levels": [{"points": 2, "descriptor": "best", "when": [{"fact": "run.kpis.n", "ge": 10}], "feedback": "a"},
                   {"points": 1, "descriptor": "ok", "when": [{"fact": "plan.a", "equals": "x"},
                                                             {"fact": "run.kpis.n", "le_ref": 2}],
                    "feedback": "n was {run.kpis.n} against {ref.kpis.n}"},
                   {"points": 0, "descriptor": "none", "feedback": "c"}]})
    out = judge(crit, FACTS)
    assert (out["points"], out["max_points"], out["kind"]) == (1, 2, kind)
    assert out["feedback"] == "n was 5 against 4"
    assert out["evidence"] == {"plan.a": "x", "run.kpis.n": 5, "ref.kpis.n": 4}


# ---------------------------------------------------------------------- malformed rubrics

def _scenario_with_rubric(tmp_path: Path, rubric: dict) -> Path:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "scenario.yaml").write_text((TINY / "scenario.yaml").read_text())
    (folder / "rubric.yaml").write_text(yaml.safe_dump(rubric, sort_keys=False))
    return folder


def _criterion(**over) -> dict:
    base = {"id": "tiny.extra", "title": "Extra", "section": "operations", "kind": "outcome",
            "lesson": "lessons/monitoring.md#alerting", "references": ["NIST AI RMF MANAGE 4.1"],
            "levels": [{"points": 1, "descriptor": "good", "when": [{"fact": "run.kpis.harms", "le": 10}],
                        "feedback": "few harms"},
                       {"points": 0, "descriptor": "bad", "feedback": "many harms"}]}
    base.update(over)
    return base


@pytest.mark.parametrize("criterion, field, message", [
    (_criterion(levels=[{"points": 1, "descriptor": "d", "when": [{"fact": "run.kpis.harms", "greater": 1}],
                         "feedback": "f"}, {"points": 0, "descriptor": "d", "feedback": "f"}]),
     "criteria[0].levels[0].when[0].greater", "unknown field"),
    (_criterion(levels=[{"points": 11, "descriptor": "d", "feedback": "f"}]),
     "criteria[0].levels[0].points", "less than or equal to 10"),
    (_criterion(ml_test="Data 3", levels=[{"points": 2, "descriptor": "d", "when": [{"fact": "plan.x", "equals": 1}],
                                          "feedback": "f"}, {"points": 0, "descriptor": "d", "feedback": "f"}]),
     "criteria[0]", "ML Test Score levels score 0, 0.5 or 1"),
    (_criterion(levels=[{"points": 1, "descriptor": "d", "when": [{"fact": "kpis.harms", "le": 1}],
                         "feedback": "f"}, {"points": 0, "descriptor": "d", "feedback": "f"}]),
     "criteria[0].levels[0].when[0]", "must start with one of"),
    (_criterion(section="nowhere"), "criteria[0].section", "unknown section 'nowhere'"),
])
def test_malformed_rubric_names_file_line_and_field(tmp_path, capsys, criterion, field, message):
    folder = _scenario_with_rubric(tmp_path, {"id": "tiny", "title": "Tiny", "extends": "core",
                                              "criteria": [criterion]})
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "rubric.yaml:" in x)
    assert f": {field}: " in line and message in line, out


def test_dangling_lesson_link_is_reported_once_lessons_exist(tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "monitoring.md").write_text("# Monitoring\n")
    with pytest.raises(LoadError) as exc:
        load_rubric(None, lessons)
    problems = [p for p in exc.value.problems if "lessons/data.md" in p.message]
    assert problems and problems[0].file == str(CORE_RUBRIC) and problems[0].field.endswith(".lesson")
    monitoring = [p.message for p in exc.value.problems if "lessons/monitoring.md" in p.message]
    assert monitoring and all("has no section '#" in m for m in monitoring)  # the file exists; its sections do not


# ---------------------------------------------------------------------- bounds, for any plan

def _choice(d):
    if d.kind == "bool":
        return st.booleans()
    if d.kind == "subset":
        return st.lists(st.sampled_from(d.choices), unique=True).map(sorted)
    if d.kind == "number":
        return st.just(d.default)
    return st.sampled_from([c for c in d.choices if c not in ("mae", "rmse", "linear_regression")])


plans = st.fixed_dictionaries({d.id.replace(".", "__"): _choice(d) for d in CATALOGUE
                               if not d.id.startswith("data.sources")})


@settings(max_examples=15, deadline=None)
@given(plans, st.integers(0, 1000))
def test_scores_stay_within_bounds_for_any_plan(changes, seed):
    loaded = load_scenario(TINY)
    reference = Simulation(loaded, load_plan(loaded, "audited"), seed=seed).run()
    result = Simulation(loaded, load_plan(loaded, None).with_changes(**changes), seed=seed).run()
    rubric = rubric_for(loaded)
    s = score(result, rubric, list(loaded.scenario.impact_questions), reference)
    assert 0 <= s["total"] <= 100
    assert all(0 <= c["points"] <= c["max_points"] for c in s["criteria"])
    assert all(0 <= sec["points"] <= sec["max_points"] for sec in s["sections"])
    caps = {cap.band: cap.max_total for cap in rubric.caps}
    assert s["band"] in {"research project", "serious holes", "first pass", "reasonably tested", "mission-critical",
                         "exceptional", *caps}
    if s["band"] in caps:  # a cap holds: the total is under it, and the learner is told first
        assert s["total"] <= caps[s["band"]] and s["caps"]


def test_report_is_self_contained_and_describes_every_chart(tmp_path, capsys):
    import re

    out = tmp_path / "r.html"
    assert main(["run", "benefits-triage", "--plan", "naive", "--quiet", "--report", str(out)]) == 0
    text = out.read_text()
    # nothing is fetched: scripts are inline, and the page itself links no external style, image or font
    # (the embedded plotly.js mentions map-tile sites, for map charts this report does not draw)
    assert "<script src" not in text and "<link" not in text
    page = re.sub(r"<script>.*?</script>", "", text, flags=re.S)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|url\(", page)
    naive = run_flagship("naive", seed=1)
    s = _score(naive, run_flagship("expert", seed=1))
    assert f"{s['total']:.1f} / 100" in text
    assert "<figcaption>" in text and "Accuracy averaged" in text and "alerts were raised" in text
    for inc in naive["incidents"]:
        assert inc["title"].replace("'", "&#x27;") in text
    for c in s["criteria"]:
        assert c["lesson"] in text


def test_error_rates_per_group_are_judged_with_the_gaps_named():
    """Equalized odds at launch (fairlearn's per-group FPR and FNR): the naive plan's model spreads its
    mistakes unevenly, and the feedback names both gaps."""
    expert, naive = run_flagship("expert", seed=1), run_flagship("naive", seed=1)
    fair = naive["evaluation"]["initial"]["fairness"]
    assert fair["equalized_odds_difference"] == max(fair["false_positive_rate_gap"], fair["false_negative_rate_gap"])
    got = {c["id"]: c for c in _score(naive, expert)["criteria"]}["fair.error-rates"]
    assert got["points"] < got["max_points"]
    assert f"{fair['false_negative_rate_gap']:.3g}" in got["feedback"]
    full = {c["id"]: c for c in _score(expert, expert)["criteria"]}["fair.error-rates"]
    served = sum(1 for day in expert["timeline"] if day["model_version"]) / len(expert["timeline"])
    assert full["points"] == round(full["max_points"] * served, 2)  # the top level, for the days a model served


@pytest.mark.parametrize("seed", [1, 2])
def test_a_year_in_which_no_model_served_fails_delivery(seed):
    """The gate cannot check fairness without an audit, so it stops every version: however good the rest of
    the plan, the total is at most 60, the band says why, and the first improvement says what would change it."""
    expert = run_flagship("expert", seed=seed)
    blocked = run_flagship("expert", seed=seed, evaluation__fairness_audit=False)
    s = _score(blocked, expert)
    assert not any(day["model_version"] for day in blocked["timeline"])
    assert s["total"] <= 60 and s["band"] == "not delivered: no model went live"
    assert [c["id"] for c in s["caps"]] == ["delivery"] and s["improvements"][0]["id"] == "delivery"
    advice = s["improvements"][0]["advice"]
    assert "turn on the per-group fairness audit" in advice
    assert "n/a" not in advice and "None" not in advice and "_" not in advice
    assert _score(expert, expert)["caps"] == []
    from sandbox.cli import summary

    assert summary({**blocked, "score": s}).splitlines()[2].startswith("No model went live this year")


def test_delivery_advice_names_only_changes_the_plan_has_not_made():
    from sandbox.scoring.delivery import advice

    task = {"task": "classification"}
    done = {"data.cleaning": "full", "data.sources": ["primary", "a"], "model.bias_mitigation": "reweighing",
            "data.minimisation": True}
    assert "cleaning" not in advice(done, ["performance"], task) and "sources" not in advice(done, ["performance"],
                                                                                              task)
    assert "reweighing" not in advice(done, ["fairness_limit"], task)
    fresh = {"data.cleaning": "none", "data.sources": ["primary"], "model.bias_mitigation": "none"}
    assert "full data cleaning" in advice(fresh, ["performance"], task)
    assert "reweighing" in advice(fresh, ["fairness_limit"], task)
    assert "error" in advice(fresh, ["performance"], {"task": "regression"})


@pytest.mark.parametrize("scenario", ["benefits-triage", "water-mains"])
def test_understating_the_impact_gains_nothing_and_is_judged_a_governance_failure(scenario):
    """Answering each impact question at its lowest does not lower the level the obligations follow from, and
    the impact-assessment criterion names each understated answer and why the scenario's facts say otherwise."""
    from sandbox.runs.scored import expert_plan, scored_run
    from sandbox.spec.loader import load_scenario

    loaded = load_scenario(scenario)
    questions = list(loaded.scenario.impact_questions)
    result = scored_run(loaded, expert_plan(loaded), seed=1)
    true_score = result["score"]
    lowest = {q.id: min(q.points, key=q.points.get) for q in questions}
    understated = {**result, "plan": {**result["plan"], "impact_answers": lowest}}
    s = score(understated, rubric_for(loaded), questions, reference=result)
    assert s["impact_level"] == true_score["impact_level"]
    got = {c["id"]: c for c in s["criteria"]}["gov.impact-assessment"]
    assert got["points"] == 0 and s["total"] < true_score["total"]
    for q in questions:
        if q.supported:
            assert q.question in got["feedback"] and q.why in got["feedback"]
    assert {c["id"]: c for c in true_score["criteria"]}["gov.impact-assessment"]["points"] == 2
