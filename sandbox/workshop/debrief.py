"""The workshop debrief, away from storage and screens: teams' trajectories on one scale, what each team
decided beside what happened, and the learners' reflection questions.

A team's outcome is its finished run (batch, or step mode with the facilitator's injects). A counterfactual
replays the same scenario, seed and difficulty (so the same seeded events) under another plan; it is
compared with the team's own plan replayed the same way, so the only difference is the plan.
"""

from __future__ import annotations

import re
from pathlib import Path

METRICS = {  # timeline field -> (label, cumulative?)
    "harms": ("Harmful decisions so far", True),
    "cost": ("Cost so far", True),
    "accuracy": ("Accuracy (known outcomes)", False),
    "fairness_gap": ("Fairness gap", False),
    "backlog": ("Backlog (cases waiting)", False),
    "drift_score": ("Drift score", False),
}
OUTCOMES = (("score", "score"), ("harms", "harms"), ("wrongful_adverse_decisions", "wrongful adverse"),
            ("missed_cases", "missed"), ("fairness_gap", "fairness gap"), ("availability", "availability"),
            ("cost", "cost"), ("incidents", "incidents"), ("mean_time_to_detect_days", "days to detect"))


def trajectories(results: dict[str, dict], metric: str) -> list[dict]:
    """Long-form rows ``{"who", "day", "value"}`` of one timeline metric for each named run (cumulative
    metrics summed day by day; days without a value left out)."""
    _, cumulative = METRICS[metric]
    rows = []
    for who, result in results.items():
        total = 0.0
        for point in result["timeline"]:
            value = point.get(metric)
            if value is None:
                continue
            total = total + value if cumulative else value
            rows.append({"who": who, "day": point["day"], "value": round(total, 6)})
    return rows


def outcome_rows(results: dict[str, dict]) -> list[dict]:
    """One row per named run: its score and key outcomes."""
    rows = []
    for who, result in results.items():
        kpis = result["kpis"]
        row = {"team": who}
        for key, label in OUTCOMES:
            row[label] = result["score"]["total"] if key == "score" else kpis.get(key)
        rows.append(row)
    return rows


def decision_differences(plans: dict[str, dict]) -> list[dict]:
    """The decisions on which the named plans differ: one row per decision, a column per plan."""
    keys = sorted({k for p in plans.values() for k in p.get("decisions", {})})
    rows = []
    for key in keys:
        values = {who: p.get("decisions", {}).get(key) for who, p in plans.items()}
        if len({repr(v) for v in values.values()}) > 1:
            rows.append({"decision": key, **{who: _shown(v) for who, v in values.items()}})
    return rows


def strategy(plan: dict, scenario) -> list[dict]:
    """A team's plan as its strategy reads: phase by phase, each decision's question and the choice made."""
    from sandbox.spec.decisions import in_phase
    from sandbox.spec.lessons import PHASE_TITLES

    chosen = plan.get("decisions", {})
    return [{"phase": title, "decision": d.question, "choice": _shown(chosen[key])}
            for phase, title in PHASE_TITLES.items() for key, d in in_phase(phase, scenario) if key in chosen]


def describe(rows: list[dict], metric: str) -> str:
    """A text alternative for the trajectories chart: where each line ends."""
    label, _ = METRICS[metric]
    last: dict[str, dict] = {}
    for r in rows:
        last[r["who"]] = r
    if not last:
        return f"{label}: no finished runs yet."
    ends = "; ".join(f"{who} {r['value']:,.3g} on day {r['day']}" for who, r in last.items())
    return f"{label} at the end of each run: {ends}."


def reflection_questions(lesson: Path) -> list[str]:
    """The learners' reflection questions: the bullets under '## For learners' in the reflection lesson."""
    out, inside = [], False
    from sandbox.spec.yamlio import AUTHORED, read_text_file

    for line in read_text_file(lesson, AUTHORED.max_bytes).splitlines():
        if line.startswith("## "):
            inside = line.strip() == "## For learners"
        elif inside and (m := re.match(r"^- (.+)$", line)):
            out.append(m.group(1).strip())
    return out


def _shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return str(value)
