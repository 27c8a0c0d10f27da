"""Scored runs: a scenario played through with a plan, a seed and a difficulty, and judged beside the expert
plan's run on the same seed and events. The command line, the service behind the app, the bench and the
tests all play and score runs here, so there is one answer to "which plan is the reference", one month-by-month
loop and one place that asks the scoring module for a score. The scoring module never runs the engine: it is
given the reference run.
"""

from __future__ import annotations

from collections.abc import Callable

from sandbox.engine import Simulation
from sandbox.scoring import rubric_for, score
from sandbox.spec.decisions import Plan
from sandbox.spec.loader import LoadedScenario, load_plan

REFERENCE_PLAN = "expert"  # the plan in ``plans/`` every run's outcomes are compared with
MONTH_DAYS = 30


def expert_plan(loaded: LoadedScenario) -> Plan | None:
    """The scenario's expert plan, or None when it has none (outcomes are then judged on their own)."""
    if not (loaded.folder / "plans" / f"{REFERENCE_PLAN}.yaml").is_file():
        return None
    return load_plan(loaded, REFERENCE_PLAN)


def is_expert(loaded: LoadedScenario, plan: dict) -> bool:
    """Whether ``plan`` (as saved: name, decisions, impact answers) makes the same choices as the expert's."""
    expert = expert_plan(loaded)
    if expert is None:
        return False
    mine = expert.to_dict()
    return plan["decisions"] == mine["decisions"] and plan.get("impact_answers") == mine["impact_answers"]


def play(sim: Simulation, each_month: Callable[[Simulation], None] | None = None) -> Simulation:
    """Play the simulation to its end a month at a time, calling ``each_month`` after each (progress bars);
    the result is the same as one ``run()``."""
    while not sim.finished:
        sim.advance(MONTH_DAYS)
        if each_month is not None:
            each_month(sim)
    return sim


def reference_run(loaded: LoadedScenario, seed: int, difficulty: str) -> dict | None:
    """The expert plan's run on this seed and difficulty (the same event stream), unscored; None without one."""
    plan = expert_plan(loaded)
    return None if plan is None else play(Simulation(loaded, plan, seed, difficulty)).result()


def scored(result: dict, loaded: LoadedScenario, reference: dict | None = None) -> dict:
    """The score of a run. ``reference`` is the expert plan's run on the same seed; without it, it is played
    here (or, for the expert plan's own run, the run is its own reference)."""
    if reference is None:
        if is_expert(loaded, result["plan"]):
            reference = result
        else:
            reference = reference_run(loaded, result["seed"], result["scenario"]["difficulty"])
    return score(result, rubric_for(loaded), list(loaded.scenario.impact_questions), reference,
                 {k: d.question for k, d in loaded.scenario.decisions.items()})


def scored_run(loaded: LoadedScenario, plan: Plan, seed: int = 1, difficulty: str = "standard",
               reference: dict | None = None, each_month: Callable[[Simulation], None] | None = None) -> dict:
    """Play ``plan`` and return its result with its score."""
    result = play(Simulation(loaded, plan, seed, difficulty), each_month).result()
    result["score"] = scored(result, loaded, reference)
    return result
