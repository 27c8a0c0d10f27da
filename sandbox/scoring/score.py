"""Judge a run against a rubric: per-criterion points and feedback, sections, readiness, total.

Outcome criteria judge what happened against the agency's own terms: its policy (waits, fairness limit), its
budget, and the manual service it would have had without a model on the same year (``base.`` facts, which the
run result carries). The scenario's expert plan replayed on the same seed, difficulty and event stream (the
*reference run*, ``ref.`` facts) shows what was achievable; a few incident criteria still compare with it.
The total weighs the kinds of criteria as the rubric says (``Rubric.weights``): the decisions alone carry at
most their share, whatever the plan's paperwork.
"""

from __future__ import annotations

import math
from typing import Any

from sandbox.scoring.advice import expert_choices, improvements
from sandbox.scoring.facts import impact_facts, plan_facts, run_facts
from sandbox.scoring.rubric import KINDS_WEIGHED, PLACEHOLDER, Condition, Criterion, Rubric, Scale

READINESS_BANDS = ((0, "research project"), (1, "serious holes"), (2, "first pass"), (3, "reasonably tested"),
                   (5, "mission-critical"))
TOP_BAND = "exceptional"


def readiness_band(value: float) -> str:
    for limit, name in READINESS_BANDS:
        if value <= limit:
            return name
    return TOP_BAND


def all_facts(result: dict, reference: dict | None, impact_questions: list) -> dict[str, Any]:
    facts = {**plan_facts(result["plan"]), **run_facts(result, "run"),
             **impact_facts(result["plan"], impact_questions)}
    if reference is not None:
        facts.update(run_facts(reference, "ref"))
    return facts


def holds(cond: Condition, facts: dict[str, Any]) -> bool:
    """Whether one condition holds. A missing fact satisfies only ``present: false``."""
    name = cond.comparison
    value = facts.get(cond.fact)
    if name == "present":
        return (value is not None) == cond.present
    if value is None:
        return False
    if cond.count is not None:
        value = sum(1 for v in value if v == cond.count) if isinstance(value, list) else 0
    if name == "equals":
        return value == cond.equals
    if name == "not_equals":
        return value != cond.not_equals
    if name == "in":
        return value in cond.in_
    if name == "contains":
        return isinstance(value, list) and cond.contains in value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if name == "ge":
        return value >= cond.ge
    if name == "le":
        return value <= cond.le
    if name == "between":
        return cond.between[0] <= value <= cond.between[1]
    ref = facts.get("ref." + cond.fact.removeprefix("run."))
    if cond.count is not None and ref is not None:
        ref = sum(1 for v in ref if v == cond.count) if isinstance(ref, list) else 0
    if ref is None or isinstance(ref, bool) or not isinstance(ref, int | float):
        return False
    if name == "ge_ref":
        return value >= ref * cond.ge_ref
    return value <= ref * cond.le_ref  # le_ref


def scaled(scale: Scale, facts: dict[str, Any]) -> float:
    """A scale's points: in proportion between its zero and full anchors, none when a figure is missing."""
    def value(x):
        v = facts.get(x) if isinstance(x, str) else x
        return None if isinstance(v, bool) or not isinstance(v, int | float) else float(v)

    v, full, zero = value(scale.fact), value(scale.full), value(scale.zero)
    if v is None or full is None or zero is None or full == zero:
        return 0.0
    share = min(1.0, max(0.0, (v - zero) / (full - zero)))
    return round(scale.points * share, 2)


def judge(criterion: Criterion, facts: dict[str, Any]) -> dict:
    level = next(lv for lv in criterion.levels if all(holds(c, facts) for c in lv.when))
    points = level.points if criterion.scale is None else scaled(criterion.scale, facts)
    delivered = facts.get("run.delivery.delivered_share")
    note = ""
    if criterion.by_service_days and delivered is not None:
        if delivered < 0.99 and points > 0 and level.assessed:
            note = (f" It counts for {delivered:.0%} of its points: the share of this year's cases a model's service "
                    "decided within the policy's limit.")
        points = round(points * delivered, 2)
    used = {c.fact for lv in criterion.levels for c in lv.when} | set(
        n for lv in criterion.levels for n in PLACEHOLDER.findall(lv.feedback))
    if criterion.scale is not None:
        used |= {x for x in (criterion.scale.fact, criterion.scale.full, criterion.scale.zero) if isinstance(x, str)}
    evidence = {}
    for name in sorted(used):
        if name in facts:
            evidence[name] = _plain(facts[name])
        ref = "ref." + name.removeprefix("run.")
        if name.startswith("run.") and ref in facts:
            evidence[ref] = _plain(facts[ref])
    return {"id": criterion.id, "title": criterion.title, "section": criterion.section, "kind": criterion.kind,
            "ml_test": criterion.ml_test, "points": points, "max_points": criterion.max_points,
            "level": level.descriptor, "feedback": fill(level.feedback, facts) + note, "evidence": evidence,
            "assessed": level.assessed,
            "lesson": criterion.lesson, "references": list(criterion.references),
            "facilitator_note": criterion.facilitator_note,
            "improvement": criterion.improvement if points < criterion.max_points else ""}


def score(result: dict, rubric: Rubric, impact_questions: list, reference: dict | None = None,
          questions: dict[str, str] | None = None) -> dict:
    """``questions``: the scenario's own decisions' questions, for the improvements' words."""
    facts = all_facts(result, reference, impact_questions)
    criteria = [judge(c, facts) for c in rubric.criteria]
    expert = reference["plan"]["decisions"] if reference is not None and reference is not result else None
    for c, definition in zip(criteria, rubric.criteria, strict=True):
        if c["kind"] != "decision" and c["points"] < c["max_points"] and c["assessed"]:
            differ = expert_choices(definition, facts, expert, questions)[1]
            c["feedback"] = f"{c['feedback']} {differ}".strip() if differ else c["feedback"]

    rescore = rescorer(result, facts, rubric, impact_questions)
    sections = []
    for s in rubric.sections:
        mine = [c for c in criteria if c["section"] == s.id]
        if not mine:
            continue
        got, top = sum(c["points"] for c in mine), sum(c["max_points"] for c in mine)
        sections.append({"id": s.id, "title": s.title, "points": got, "max_points": top, "ml_test": s.ml_test,
                         "percent": round(100 * got / top, 1) if top else 0.0})
    ml = [s for s in sections if s["ml_test"]]
    readiness = min((s["points"] for s in ml), default=0.0)
    weigh(criteria, rubric)
    total = round(sum(c["worth"] for c in criteria), 1)
    band = readiness_band(readiness)
    capped = [cap for cap in rubric.caps if all(holds(c, facts) for c in cap.when)]
    caps = []
    for cap in capped:
        caps.append({"id": cap.id, "title": cap.title, "max_total": cap.max_total, "band": cap.band,
                     "feedback": fill(cap.feedback, facts), "lesson": cap.lesson,
                     "points_lost": round(max(0.0, total - cap.max_total), 1)})
    if capped:
        total = min(total, min(cap.max_total for cap in capped))
        band = min(capped, key=lambda cap: cap.max_total).band
    return {"total": total, "band": band, "readiness": readiness, "caps": caps,
            "readiness_section": min(ml, key=lambda s: s["points"])["id"] if ml else None,
            "impact_level": ["I", "II", "III", "IV"][facts["impact.level"] - 1],
            "rubric": rubric.id, "reference_plan": reference["plan"]["name"] if reference else None,
            "sections": sections, "criteria": criteria,
            "improvements": improvements(criteria, caps, rubric, facts, rescore, holds, questions,
                                         reference["plan"]["decisions"] if reference else None)}


def rescorer(result: dict, facts: dict[str, Any], rubric: Rubric, impact_questions: list):
    """``rescore(changes)``: what the decision criteria are worth in all with the plan so changed (the run the
    same; a decision criterion reads only the plan)."""
    def rescore(change: dict) -> float:
        plan = {**result["plan"], "decisions": {**result["plan"]["decisions"], **change}}
        changed = {**facts, **plan_facts(plan), **impact_facts(plan, impact_questions)}
        again = [judge(c, changed) for c in rubric.criteria]
        weigh(again, rubric)
        return sum(c["worth"] for c in again if c["kind"] == "decision")
    return rescore


def weigh(criteria: list[dict], rubric: Rubric) -> None:
    """Give each judged criterion its ``worth`` (what its points add to the total out of 100) and ``top_worth``
    (what its full points would): each kind's share of the total (``Rubric.weights``) spread over its criteria by
    their points. A criterion with nothing to judge this year (``assessed`` false) is left out; a kind with no
    criterion left gives its share to the others."""
    shares = rubric.weights.model_dump()
    tops: dict[str, float] = {}
    for c in criteria:
        if c.get("assessed", True):
            tops[KINDS_WEIGHED[c["kind"]]] = tops.get(KINDS_WEIGHED[c["kind"]], 0.0) + c["max_points"]
    present = sum(shares[k] for k, top in tops.items() if top) or 1.0
    for c in criteria:
        group = KINDS_WEIGHED[c["kind"]]
        top = tops.get(group, 0.0)
        per_point = 100 * shares[group] / present / top if top and c.get("assessed", True) else 0.0
        c["worth"], c["top_worth"] = round(c["points"] * per_point, 4), round(c["max_points"] * per_point, 4)


def fill(text: str, facts: dict[str, Any]) -> str:
    """Replace ``{fact}`` placeholders with the facts' values (only names; nothing is evaluated)."""
    return PLACEHOLDER.sub(lambda m: _show(facts.get(m.group(1))), text)


def _show(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isclose(value, round(value)):
            return f"{round(value):,}"
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value).replace("_", " ")


def _plain(value: Any) -> Any:
    return round(value, 6) if isinstance(value, float) else value
