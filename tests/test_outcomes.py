"""Outcomes judged on the agency's terms: late decisions, weighted harm, the manual service on the same year,
set-up work that delays the launch, the project's spending against its budget, scaled criteria and the share
of the total the decisions alone can carry."""

from __future__ import annotations

import dataclasses
import math

import pytest

from sandbox.engine import Simulation
from sandbox.engine.runner import manual_service
from sandbox.engine.timeline import running_cost
from sandbox.scoring import rubric_for
from sandbox.scoring.rubric import Criterion, Rubric, Weights
from sandbox.scoring.score import judge, scaled, score, weigh
from sandbox.spec.decisions import plan_setup_days, setup_days
from sandbox.spec.loader import load_plan, load_scenario, plan_from_dict
from tests.conftest import TINY


def tiny():
    return load_scenario(TINY)


def tiny_plan(loaded, **decisions):
    return plan_from_dict({"name": "test", "decisions": decisions}, loaded.scenario)


def test_review_of_everything_beyond_capacity_makes_late_decisions():
    loaded = tiny()  # 40 cases a day, one caseworker deciding 20
    result = Simulation(loaded, tiny_plan(loaded, **{"problem.oversight": "review_all"}), seed=1).run()
    k = result["kpis"]
    limit = loaded.scenario.policy.max_wait_days
    decided_late = sum(day["late"] for day in result["timeline"])
    assert k["late_decisions"] >= decided_late
    assert k["backlog_end"] > 0
    if loaded.scenario.timeline.days - 0.5 > limit:
        assert k["late_decisions"] > 0
    w = loaded.scenario.policy.error_weights
    weighted = (k["wrongful_adverse_decisions"] * w.wrongful_adverse + k["missed_cases"] * w.missed
                + k["late_decisions"] * w.late)
    assert k["weighted_harms_per_1000_cases"] == pytest.approx(1000 * weighted / k["cases"], abs=1e-5)
    assert k["harms"] == k["wrongful_adverse_decisions"] + k["missed_cases"] + k["late_decisions"]


def test_a_case_still_waiting_past_the_limit_at_the_end_is_late():
    loaded = load_scenario("benefits-triage")  # 400 claims a day, 240 reviewed: a backlog builds
    result = manual_service(loaded, 1, "standard")
    k = result["kpis"]
    assert k["automated_share"] == 0
    assert k["backlog_end"] > 0
    # nearly all of the backlog at the end has waited longer than ten days: they count as late
    assert k["late_decisions"] > k["backlog_end"] * 0.9


def test_the_manual_service_is_the_same_year_whatever_the_plan():
    loaded = tiny()
    a = Simulation(loaded, tiny_plan(loaded), seed=3).run()
    b = Simulation(loaded, tiny_plan(loaded, **{"problem.oversight": "review_adverse"}), seed=3).run()
    assert a["baseline"] == b["baseline"]
    assert a["baseline"]["kpis"]["automated_share"] == 0
    assert a["baseline"] == manual_service(loaded, 3, "standard")
    assert manual_service(loaded, 4, "standard") != a["baseline"] or loaded.scenario.timeline.days < 1


def test_a_reviewer_without_a_model_makes_mistakes_in_a_regression_too():
    loaded = load_scenario("ambulance-demand")
    k = manual_service(loaded, 1, "standard")["kpis"]
    accuracy = loaded.scenario.operations.caseworker_accuracy
    decided = k["cases"] - k["backlog_end"]
    wrong = k["wrongful_adverse_decisions"] + k["missed_cases"]
    assert wrong == pytest.approx((1 - accuracy) * decided, rel=0.1)


def test_set_up_work_beyond_the_preparation_time_delays_the_launch_and_is_paid_for():
    loaded = tiny()
    res = loaded.scenario.resources
    busy = {"problem.impact_assessment": True, "data.cleaning": "full", "deployment.infrastructure": "orchestrated",
            "model.training_pipeline": "automated", "evaluation.fairness_audit": True,
            "monitoring.signals": ["data_drift", "performance"], "feedback.appeals_channel": True}
    work = sum(plan_setup_days(busy).values())
    assert work == sum(setup_days(k, v) for k, v in busy.items())
    plan = tiny_plan(loaded, **busy)
    result = Simulation(loaded, plan, seed=1).run()
    expected = max(0.0, math.ceil(work / res.team_size - res.preparation_days))
    assert result["kpis"]["launch_day"] == expected
    assert result["kpis"]["setup_days"] == work
    served = [day["day"] for day in result["timeline"] if day["model_version"]]
    if expected:
        assert not served or min(served) >= expected
    assert result["kpis"]["spend"] >= work * res.team_day_rate


def test_launch_waits_for_the_set_up_work():
    loaded = tiny()
    from sandbox.spec.scenario import Resources

    slow = dataclasses.replace(loaded, scenario=loaded.scenario.model_copy(
        update={"resources": Resources(team_size=2, preparation_days=0)}))
    plan = tiny_plan(slow, **{"problem.impact_assessment": True})  # 8 person-days: 4 days for a team of two
    result = Simulation(slow, plan, seed=1).run()
    assert result["kpis"]["launch_day"] == 4
    assert [bool(day["model_version"]) for day in result["timeline"]] == [False] * 4 + [True] * 2
    assert result["kpis"]["spend"] == pytest.approx(8 * slow.scenario.resources.team_day_rate
                                                    + 6 * running_cost(Simulation(slow, plan, seed=1).world))


def test_staff_beyond_the_current_caseworkers_are_the_projects_spending():
    loaded = load_scenario("water-mains")
    current = Simulation(loaded, load_plan(loaded, "naive"), seed=1)
    more = Simulation(loaded, load_plan(loaded, "naive").with_changes(scenario__staffing="expanded"), seed=1)
    extra = more.world.knobs["caseworkers"] - loaded.scenario.operations.caseworkers
    assert extra > 0
    assert running_cost(more.world) - running_cost(current.world) == pytest.approx(
        extra * loaded.scenario.operations.costs.caseworker_per_day)


def test_an_overspend_is_paid_for_by_leaving_review_posts_empty():
    """When the year's spending as it stands would overrun the budget, the finance team holds review posts empty
    for the rest of the year until what they would have cost covers it: fewer reviewers, longer waits. The same
    plan within its budget keeps every post."""
    from sandbox.spec.scenario import Resources

    loaded = load_scenario("benefits-triage")
    plan = load_plan(loaded, "expert")
    ample = Simulation(loaded, plan, seed=1).run()
    spent = ample["kpis"]["spend"]
    assert ample["kpis"]["posts_held"] == 0 and spent < ample["kpis"]["budget"]
    tight = dataclasses.replace(loaded, scenario=loaded.scenario.model_copy(
        update={"resources": Resources(budget=spent / 3)}))
    short = Simulation(tight, plan, seed=1).run()
    k, cost = short["kpis"], loaded.scenario.operations.costs.caseworker_per_day
    assert 0 < k["posts_held"] <= loaded.scenario.operations.caseworkers
    if k["posts_held"] < loaded.scenario.operations.caseworkers:  # held until what they would cost pays for it
        assert k["post_days_held"] * cost >= k["spend"] - k["budget"]
    assert k["mean_wait_days"] > ample["kpis"]["mean_wait_days"]
    assert any(a["action"] == "post held empty" for a in short["audit_trail"])


def test_a_post_incident_review_writes_the_runbook_for_the_next_incident_like_it():
    """A plan whose standing response to drift is to do nothing (no triggered retraining): with post-incident
    reviews, once one drift has been put right and reviewed, the next drift is answered as it needs."""
    loaded = load_scenario("ambulance-demand")  # a heatwave, then the flu season, both drifts
    plan = load_plan(loaded, "expert").with_changes(retraining__mode="scheduled")
    reviewed = Simulation(loaded, plan, seed=1).run()
    unreviewed = Simulation(loaded, plan.with_changes(feedback__post_incident_review=False), seed=1).run()
    from sandbox.spec.events import DRIFT_KINDS

    drifts = [i for i in reviewed["incidents"] if i["kind"] in DRIFT_KINDS and i["response"]]
    plain = [i for i in unreviewed["incidents"] if i["kind"] in DRIFT_KINDS and i["response"]]
    assert all(i["response"] == "ignore" for i in plain)
    assert drifts[0]["response"] == "ignore" and any(i["response"] == "retrain_now" for i in drifts[1:])
    assert any("answered as the review of" in note for i in drifts for note in i["notes"])


# ---------------------------------------------------------------------------------------------- scoring


def _criterion(**extra) -> Criterion:
    return Criterion.model_validate({"id": "t.c", "title": "T", "section": "operations", "kind": "outcome",
                                     "lesson": "lessons/x.md#y", "references": ["r"], **extra})


@pytest.mark.parametrize(("value", "points"), [(0.0, 0.0), (0.4, 5.0), (0.8, 10.0), (1.0, 10.0), (-0.3, 0.0)])
def test_a_scale_gives_points_in_proportion(value, points):
    c = _criterion(scale={"fact": "run.kpis.x", "full": "run.policy.t", "zero": 0, "points": 10},
                   levels=[{"descriptor": "d", "feedback": "f"}])
    assert scaled(c.scale, {"run.kpis.x": value, "run.policy.t": 0.8}) == pytest.approx(points)
    assert judge(c, {"run.kpis.x": value, "run.policy.t": 0.8})["points"] == pytest.approx(points)


def test_a_falling_scale_and_a_missing_figure():
    c = _criterion(scale={"fact": "run.kpis.late", "full": 0.05, "zero": 0.3, "points": 5},
                   levels=[{"descriptor": "d", "feedback": "f"}])
    assert scaled(c.scale, {"run.kpis.late": 0.05}) == 5
    assert scaled(c.scale, {"run.kpis.late": 0.175}) == pytest.approx(2.5)
    assert scaled(c.scale, {"run.kpis.late": 0.9}) == 0
    assert scaled(c.scale, {}) == 0


def test_a_scaled_criterion_takes_no_points_from_its_levels():
    with pytest.raises(ValueError, match="takes its points from the scale"):
        _criterion(scale={"fact": "run.kpis.x", "full": 1, "zero": 0, "points": 3},
                   levels=[{"points": 2, "descriptor": "d", "feedback": "f"}])
    with pytest.raises(ValueError, match="add up to 100"):
        Weights(decision=50, outcome=60)


@pytest.mark.parametrize("scenario", ["benefits-triage", "water-mains", "ambulance-demand", "student-dropout",
                                      "tax-compliance"])
def test_the_decisions_alone_carry_at_most_their_share(scenario):
    rubric = rubric_for(load_scenario(scenario))
    judged = [{"kind": c.kind, "points": c.max_points, "max_points": c.max_points} for c in rubric.criteria]
    weigh(judged, rubric)
    decision = sum(c["top_worth"] for c in judged if c["kind"] == "decision")
    assert decision == pytest.approx(rubric.weights.decision, abs=0.01)
    assert decision <= 35.01  # (each worth is rounded to four decimals)
    assert sum(c["top_worth"] for c in judged) == pytest.approx(100, abs=0.01)


def test_a_plan_whose_outcomes_all_fail_scores_no_more_than_the_decisions_share():
    rubric: Rubric = rubric_for(load_scenario("benefits-triage"))
    judged = [{"kind": c.kind, "points": c.max_points if c.kind == "decision" else 0, "max_points": c.max_points}
              for c in rubric.criteria]
    weigh(judged, rubric)
    assert sum(c["worth"] for c in judged) == pytest.approx(35, abs=0.01)


def test_harm_is_judged_against_the_manual_service_of_the_same_year():
    loaded = load_scenario("benefits-triage")
    result = Simulation(loaded, load_plan(loaded, "naive"), seed=1).run()
    s = score(result, rubric_for(loaded), list(loaded.scenario.impact_questions), reference=result)
    harms = next(c for c in s["criteria"] if c["id"] == "ops.harms")
    mine = result["kpis"]["weighted_harms_per_1000_cases"]
    manual = result["baseline"]["kpis"]["weighted_harms_per_1000_cases"]
    share = max(0.0, min(1.0, (1 - mine / manual) / loaded.scenario.policy.target_harm_reduction))
    assert harms["points"] == pytest.approx(round(12 * share, 2))
    assert f"{manual:,.1f}" in harms["feedback"]
    assert s["total"] == pytest.approx(round(sum(c["worth"] for c in s["criteria"]), 1))


def test_the_forms_show_each_options_cost_in_the_scenarios_units():
    from sandbox.spec.costs import budget_words, cost_words, setup_words

    loaded = load_scenario("water-mains")
    sc = loaded.scenario
    rate = sc.resources.team_day_rate
    assert "orchestrated 14" in cost_words("deployment.infrastructure", sc)
    assert f"orchestrated {sc.operations.costs.infrastructure_per_day['orchestrated']:,.0f}" in \
        cost_words("deployment.infrastructure", sc)
    assert f"{8 * rate:,.0f}" in cost_words("problem.impact_assessment", sc)
    assert f"{sc.operations.costs.on_call_per_day:,.0f} a day" in cost_words("monitoring.alert_to", sc)
    assert cost_words("monitoring.drift_threshold", sc) == ""
    budget = sc.resources.year_budget(sc.operations, sc.timeline.days)
    assert f"{budget:,.0f}" in budget_words(sc) and sc.resources.over_budget in budget_words(sc)
    expert = load_plan(loaded, "expert").decisions
    work = sum(plan_setup_days(expert).values())
    words = setup_words(expert, sc)
    assert f"{work:g} person-days" in words
    late = math.ceil(work / sc.resources.team_size - sc.resources.preparation_days)
    assert (f"day {late}" in words) if late > 0 else ("go-live date" in words)
    assert "_" not in budget_words(sc) + words


def test_incident_responses_are_judged_against_what_each_incident_needed():
    """Step mode: a team that answers every incident with a response its kind declares sound earns the response
    criterion in full; one that only communicates earns nothing on it and is told, incident by incident, what was
    needed and why. Batch play is judged the same way on the plan's standing responses."""
    from sandbox.runs.scored import scored
    from sandbox.scoring.facts import RESPONSE_WORDS
    from sandbox.spec.decisions import RESPONSES
    from sandbox.spec.events import KINDS, EventKind

    assert set(RESPONSE_WORDS) == set(RESPONSES)
    assert all(set(s.sound) <= set(s.responses) and bool(s.sound) == bool(s.why) for s in KINDS.values())
    loaded = load_scenario("benefits-triage")
    plan = load_plan(loaded, "naive")

    def played(choose):
        sim, answers = Simulation(loaded, plan, seed=1), {}
        while not sim.finished:
            for inc in sim.advance(30)["pending"]:
                answers[inc["id"]] = choose(inc)
                sim.respond(inc["id"], answers[inc["id"]])
        result = sim.result()
        result["score"] = scored(result, loaded)
        return result, {c["id"]: c for c in result["score"]["criteria"]}["ops.responses"]

    sound, good = played(lambda inc: (KINDS[EventKind(inc["kind"])].sound or ("communicate",))[0])
    told, bad = played(lambda inc: "communicate")
    assert good["assessed"] and good["points"] == good["max_points"]
    assert bad["points"] == 0 and "the team chose to tell the people affected" in bad["feedback"]
    judged = [i for i in told["incidents"] if i["response"] and KINDS[EventKind(i["kind"])].sound]
    assert judged and all(f"“{i['title']}”" in bad["feedback"] for i in judged)
    batch = Simulation(loaded, plan, seed=1).run()
    batch["score"] = scored(batch, loaded)
    standing = {c["id"]: c for c in batch["score"]["criteria"]}["ops.responses"]
    assert standing["points"] < standing["max_points"]  # the naive plan's standing response to drift: nothing


def test_a_failed_review_stops_automated_decisions():
    """A bias complaint the agency cannot answer with evidence stops automated decisions while the independent
    review runs; a regulator that finds the obligations unmet stops them for the rest of the year. A plan that
    meets them keeps deciding."""
    loaded = load_scenario("benefits-triage")
    naive = Simulation(loaded, load_plan(loaded, "naive"), seed=1).run()
    complaint = next(e for e in naive["governance"] if e["kind"] == "bias_complaint")
    assert not complaint["passed"]
    day, days = int(complaint["day"]), int(complaint["deadline_days"])
    assert all(r["automated"] == 0 for r in naive["timeline"][day + 1:day + days])
    assert naive["timeline"][day + days + 1]["automated"] > 0
    water = load_scenario("water-mains")
    unmet = Simulation(water, load_plan(water, "naive"), seed=1).run()
    review = next(e for e in unmet["governance"] if e["kind"] == "regulator_review")
    assert not review["passed"] and all(r["automated"] == 0 for r in unmet["timeline"][int(review["day"]) + 1:])
    met = Simulation(water, load_plan(water, "expert"), seed=1).run()
    assert next(e for e in met["governance"] if e["kind"] == "regulator_review")["passed"]
    assert met["timeline"][-1]["automated"] > 0


def test_a_gate_whose_held_back_batches_are_real_data_is_widened_after_a_person_reads_them():
    """The water year's hard winter takes ground temperatures below the training data's range: the gate holds
    those batches back, the data team reads the report, finds no broken feed and widens the range, so the
    winter's cases are not all sent to the engineers for the rest of it."""
    loaded = load_scenario("water-mains")
    result = Simulation(loaded, load_plan(loaded, "expert"), seed=1).run()
    reviews = [a for a in result["audit_trail"] if a["action"] == "gate reviewed"]
    assert reviews and "ground_temp_c" in reviews[0]["detail"]
    held = [a["day"] for a in result["audit_trail"] if a["action"] == "quarantine"
            and "ground_temp_c" in a["detail"] and a["day"] > reviews[0]["day"]]
    assert len(held) < 10
    assert result["kpis"]["late_share"] < 0.05


def test_an_incident_the_public_brought_to_light_scores_as_if_never_found():
    from sandbox.runs.scored import scored_run

    loaded = load_scenario("benefits-triage")
    result = scored_run(loaded, load_plan(loaded, "naive"), seed=1)
    public = [i for i in result["incidents"] if i["detected_by"] == "complaints from the public"]
    assert public
    judged = {c["id"]: c for c in result["score"]["criteria"]}
    assert judged["ops.schema-change"]["level"] == "found only when the public complained"
    assert judged["ops.schema-change"]["points"] == 0


def test_the_service_s_running_counts_only_for_the_cases_it_delivered_in_time():
    """Review of everything beyond the reviewers' capacity: a model served all year, but most cases waited past
    the limit, so the criteria on how the service ran earn only that share, and say so."""
    loaded = load_scenario("benefits-triage")
    from sandbox.runs.scored import scored_run

    plan = load_plan(loaded, "expert").with_changes(problem__oversight="review_all")
    result = scored_run(loaded, plan, seed=1)
    late = result["kpis"]["late_share"]
    assert late > 0.5
    prorated = [c for c in result["score"]["criteria"] if c["id"] == "fair.outcome"][0]
    assert prorated["points"] <= prorated["max_points"] * (1 - late) + 0.01
    assert "counts for" in prorated["feedback"]
