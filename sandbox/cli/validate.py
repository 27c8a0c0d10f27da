"""``sandbox validate``: every scenario, plan, rubric and lesson under the given paths, checked, each problem
located as ``file:line: field: message``. It sits above the loader and the scoring module (it checks both),
so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.scoring.rubric import consistency_problems, load_rubric
from sandbox.spec.lessons import load_course
from sandbox.spec.loader import LESSONS_DIR, load_plan, load_scenario
from sandbox.spec.yamlio import LoadError, Problem


def validate_paths(paths: list[Path]) -> list[Problem]:
    """Validate every scenario (and its plans) found under the given paths."""
    problems: list[Problem] = []
    folders: list[Path] = []
    for p in paths:
        if not p.exists():
            problems.append(Problem(str(p), 1, "", "no such file or folder"))
        elif p.parent.name == "plans" and p.is_file() or p.name == "plans":
            folders.append(p.parent.parent if p.is_file() else p.parent)
        elif p.is_file():
            folders.append(p.parent)
        elif (p / "scenario.yaml").exists():
            folders.append(p)
        else:
            found = sorted(s.parent for s in p.glob("*/scenario.yaml"))
            if not found:
                problems.append(Problem(str(p / "scenario.yaml"), 1, "", "file not found (no scenario in this folder)"))
            folders.extend(found)
    for folder in dict.fromkeys(folders):
        problems.extend(_validate_folder(folder))
    return list(dict.fromkeys(problems))  # the shared core rubric's problems once, not once per scenario


def _validate_folder(folder: Path) -> list[Problem]:
    try:
        loaded = load_scenario(folder)
    except LoadError as exc:
        return exc.problems
    problems = []
    plans = sorted((folder / "plans").glob("*.yaml"))
    for plan_path in plans:
        try:
            load_plan(loaded, plan_path)
        except LoadError as exc:
            problems.extend(exc.problems)
    try:  # the core rubric, extended by the scenario's own when it has one
        load_rubric(folder / "rubric.yaml", LESSONS_DIR)
        problems.extend(p for p in consistency_problems(folder, loaded.scenario) if p not in problems)
    except LoadError as exc:
        problems.extend(p for p in exc.problems if p not in problems)
    return problems


def validate_lessons(folder: Path = LESSONS_DIR) -> list[Problem]:
    """Problems in the course content (lessons, quizzes, polls) under ``folder``."""
    if not folder.is_dir():
        return [Problem(str(folder), 1, "", "no lessons folder")]
    try:
        load_course(folder)
    except LoadError as exc:
        return list(exc.problems)
    return []
