"""Rubric scoring: judge a run against the core rubric and the scenario's own, beside the expert plan."""

from __future__ import annotations

from sandbox.scoring.rubric import Rubric, load_rubric
from sandbox.scoring.score import score

__all__ = ["Rubric", "load_rubric", "is_reference_plan", "reference_run", "score", "score_run"]

REFERENCE_PLAN = "expert"


def reference_run(loaded, seed: int, difficulty: str) -> dict | None:
    """The scenario's expert plan replayed on the same seed and difficulty (the same event stream)."""
    from sandbox.engine import Simulation
    from sandbox.loader import load_plan

    if not (loaded.folder / "plans" / f"{REFERENCE_PLAN}.yaml").is_file():
        return None
    return Simulation(loaded, load_plan(loaded, REFERENCE_PLAN), seed, difficulty).run()


def rubric_for(loaded) -> Rubric:
    from sandbox.loader import LESSONS_DIR

    return load_rubric(loaded.folder / "rubric.yaml", LESSONS_DIR)


def score_run(result: dict, loaded, reference: dict | None = None) -> dict:
    """Score a result; replays the expert plan unless a reference result is given (or this is it)."""
    if reference is None:
        if is_reference_plan(loaded, result["plan"]):
            reference = result
        else:
            reference = reference_run(loaded, result["seed"], result["scenario"]["difficulty"])
    return score(result, rubric_for(loaded), list(loaded.scenario.impact_questions), reference)


def is_reference_plan(loaded, plan: dict) -> bool:
    from sandbox.loader import load_plan

    if not (loaded.folder / "plans" / f"{REFERENCE_PLAN}.yaml").is_file():
        return False
    expert = load_plan(loaded, REFERENCE_PLAN).to_dict()
    return plan["decisions"] == expert["decisions"] and plan.get("impact_answers") == expert["impact_answers"]
