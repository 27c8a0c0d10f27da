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
