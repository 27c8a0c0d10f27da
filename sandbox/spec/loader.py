"""Find, load and validate scenarios, plans and their data files.

All checks report ``Problem`` lines (file, line, field, message); nothing here
raises a bare traceback at a course author.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.spec.decisions import (
    BY_ID,
    FOR_TASK,
    Plan,
    PlanFile,
    check_choice,
    defaults,
    normalised,
    options,
    task_default,
)
from sandbox.spec.scenario import Scenario
from sandbox.spec.yamlio import PLAN, LoadError, Problem, YamlDoc, parse_model, quote, read_yaml

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    folder: Path

    @property
    def id(self) -> str:
        return self.scenario.id


def resolve_scenario_path(ref: str | Path) -> Path:
    """A scenario id (looked up under scenarios/) or a folder, or a scenario.yaml file."""
    path = Path(ref)
    if path.is_file():
        return path.parent
    if path.is_dir():
        return path
    candidate = SCENARIOS_DIR / str(ref)
    if candidate.is_dir():
        return candidate
    known = ", ".join(sorted(p.name for p in SCENARIOS_DIR.iterdir() if p.is_dir())) if SCENARIOS_DIR.is_dir() else ""
    raise LoadError([Problem(str(ref), 1, "", f"no such scenario (known: {known or 'none'})")])


def load_scenario(ref: str | Path) -> LoadedScenario:
    folder = resolve_scenario_path(ref)
    doc = read_yaml(folder / "scenario.yaml")
    scenario = parse_model(doc, Scenario)
    _check_id_matches_folder(doc, scenario)
    if scenario.data.csv is not None:
        from sandbox.spec.csvcheck import check_csv  # (pandas: loaded only for a scenario with a CSV)

        problems = check_csv(scenario.data.csv, folder, doc)
        if problems:
            raise LoadError(problems)
    return LoadedScenario(scenario, folder)


def _check_id_matches_folder(doc: YamlDoc, scenario: Scenario) -> None:
    if scenario.id != doc.path.parent.name:
        line = doc.line_of(("id",))
        raise LoadError([Problem(str(doc.path), line, "id",
                                 f"id '{scenario.id}' must match the folder name '{doc.path.parent.name}'")])


def resolve_plan_path(loaded: LoadedScenario, ref: str | Path | None) -> Path | None:
    if ref is None:
        return None
    path = Path(ref)
    if path.is_file():
        return path
    candidate = loaded.folder / "plans" / f"{ref}.yaml"
    if candidate.is_file():
        return candidate
    names = ", ".join(sorted(p.stem for p in (loaded.folder / "plans").glob("*.yaml")))
    raise LoadError([Problem(str(ref), 1, "", f"no such plan file or plan name (this scenario has: {names})")])


def load_plan(loaded: LoadedScenario, ref: str | Path | None) -> Plan:
    """Load a plan (file path or plan name), or the all-defaults plan when ``ref`` is None."""
    path = resolve_plan_path(loaded, ref)
    if path is None:
        return Plan("defaults", _all_defaults(loaded.scenario))
    doc = read_yaml(path, PLAN)
    return plan_from_doc(doc, loaded.scenario)


def plan_file(doc: YamlDoc, scenario: Scenario) -> PlanFile:
    """A plan file's own contents, every decision and answer in it checked: what the file names, no defaults."""
    pf = parse_model(doc, PlanFile)
    problems = _plan_problems(doc, pf, scenario)
    if problems:
        raise LoadError(problems)
    return pf


def plan_from_doc(doc: YamlDoc, scenario: Scenario) -> Plan:
    pf = plan_file(doc, scenario)
    decisions = _all_defaults(scenario)
    decisions.update(pf.decisions)
    return Plan(pf.name, decisions, dict(pf.impact_answers), pf.description)


def plan_from_dict(data: dict, scenario: Scenario, source: str = "<plan>") -> Plan:
    """Validate a plan given as data (e.g. from a browser upload)."""
    return plan_from_doc(YamlDoc(Path(source), data, None), scenario)


def saved_plan(plan: dict, scenario: Scenario) -> dict:
    """A plan as saved (an attempt's, perhaps from an earlier version) with every decision this version has; a
    choice this version does not offer for the scenario's task takes the task's default."""
    out = normalised(plan, _all_defaults(scenario))
    task = scenario.task.type
    for key in FOR_TASK.get(task, {}):
        if out["decisions"][key] not in options(BY_ID[key], task):
            out["decisions"][key] = task_default(BY_ID[key], task)
    return out


def _all_defaults(scenario: Scenario) -> dict[str, Any]:
    out = defaults(scenario.task.type)
    out.update({k: d.default for k, d in scenario.decisions.items()})
    return out


def _plan_problems(doc: YamlDoc, pf: PlanFile, scenario: Scenario) -> list[Problem]:
    problems = []
    for key, value in pf.decisions.items():
        loc = ("decisions", key)
        message = _decision_problem(key, value, scenario)
        if message:
            problems.append(Problem(str(doc.path), doc.line_of(loc), f"decisions.{key}", message))
    questions = {q.id: q for q in scenario.impact_questions}
    for qid, answer in pf.impact_answers.items():
        loc = ("impact_answers", qid)
        if qid not in questions:
            problems.append(Problem(str(doc.path), doc.line_of(loc), f"impact_answers.{qid}",
                                    "unknown impact question"))
        elif answer not in questions[qid].points:
            allowed = ", ".join(questions[qid].points)
            problems.append(Problem(str(doc.path), doc.line_of(loc), f"impact_answers.{qid}",
                                    f"invalid answer '{quote(answer)}'; allowed: {allowed}"))
    return problems


def _decision_problem(key: str, value: Any, scenario: Scenario) -> str | None:
    if key in scenario.decisions:
        choices = scenario.decisions[key].choices
        if isinstance(value, str) and value in choices:
            return None
        return f"invalid choice '{quote(value)}'; allowed: {', '.join(choices)}"
    if key not in BY_ID:
        return "unknown decision id"
    decision, task = BY_ID[key], scenario.task.type
    if isinstance(value, str) and value in decision.choices and value not in options(decision, task):
        return f"'{quote(value)}' does not fit a {task} task; allowed: {', '.join(options(decision, task))}"
    return check_choice(decision, value, scenario.source_ids())
