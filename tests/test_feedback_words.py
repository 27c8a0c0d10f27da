"""What the learner reads is true and plain on every bundled scenario: no "n/a", no "None", no raw ids
(snake_case), and a regression scenario is never told about accuracy, caseworkers, selection rates or denials.
Each scenario's expert, naive and all-defaults plans and one random plan are played on seed 1 and every
criterion's feedback, every improvement and the no-model headline are read."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from sandbox.calibrate import plans as sweep_plans
from sandbox.runs.scored import expert_plan, scored_run
from sandbox.scoring.delivery import headline
from sandbox.spec.loader import load_plan, load_scenario

BUNDLED = sorted(p.parent.name for p in (ROOT / "scenarios").glob("*/scenario.yaml"))
NOT_PROSE = re.compile(r"\bn/a\b|\bNone\b|\b[a-z]+_[a-z_]+\b")
CLASSIFICATION_WORDS = ("accuracy", "caseworker", "selection-rate", "selection rate", "denial", "wrongly refused")


@pytest.mark.parametrize("scenario", BUNDLED)
def test_every_sentence_a_learner_reads_is_plain_and_fits_the_task(scenario):
    loaded = load_scenario(scenario)
    expert = expert_plan(loaded)
    reference = None
    plans = (expert, load_plan(loaded, "naive"), load_plan(loaded, None), sweep_plans.random_plan(loaded, expert, 3))
    for plan in plans:
        result = scored_run(loaded, plan, seed=1, reference=reference)
        reference = reference or result  # the expert plan's run is every other run's reference
        score = result["score"]
        texts = [(c["id"], c["feedback"]) for c in score["criteria"]]
        texts += [(i["id"], i["advice"]) for i in score["improvements"]]
        texts += [("headline", headline(result) or "")]
        for where, text in texts:
            assert not NOT_PROSE.findall(text), (plan.name, where, text)
            if loaded.scenario.task.type == "regression":
                assert not any(w in text.lower() for w in CLASSIFICATION_WORDS), (plan.name, where, text)


@pytest.mark.parametrize("scenario", ["benefits-triage", "ambulance-demand"])
def test_each_improvement_names_changes_this_plan_lacks_and_gains_its_points_when_applied(scenario):
    """The naive plan's two best improvements that name decisions: neither is already in the plan; with its
    changes made and the year played again, that criterion scores higher, the decision criteria gain at least
    the points it promised, and the same improvement does not come back."""
    from sandbox.runs.scored import rubric_for
    from sandbox.scoring import advice
    from sandbox.scoring.score import all_facts, holds, rescorer

    loaded = load_scenario(scenario)
    questions = list(loaded.scenario.impact_questions)
    reference = scored_run(loaded, expert_plan(loaded), seed=1)
    naive = load_plan(loaded, "naive")
    result = scored_run(loaded, naive, seed=1, reference=reference)
    assert all(i["points_to_gain"] > 0 for i in result["score"]["improvements"])
    rubric, facts = rubric_for(loaded), all_facts(result, reference, questions)
    every = advice.improvements(result["score"]["criteria"], [], rubric, facts,
                                rescorer(result, facts, rubric, questions), holds,
                                reference_plan=reference["plan"]["decisions"], n=100)
    assert every[:3] == [i for i in result["score"]["improvements"] if i["id"] != "delivery"][:3]
    decisions = lambda s: sum(c["worth"] for c in s["criteria"] if c["kind"] == "decision")  # noqa: E731
    for imp in [i for i in every if i["changes"]][:2]:
        assert any(naive.decisions.get(k) != v for k, v in imp["changes"].items()), imp
        again = scored_run(loaded, naive.with_changes(**imp["changes"]), seed=1, reference=reference)["score"]
        before = {c["id"]: c["points"] for c in result["score"]["criteria"]}
        assert {c["id"]: c for c in again["criteria"]}[imp["id"]]["points"] > before[imp["id"]], imp
        assert decisions(again) >= decisions(result["score"]) + imp["points_to_gain"] - 0.15, imp
        assert all(i["changes"] != imp["changes"] for i in again["improvements"]), imp
