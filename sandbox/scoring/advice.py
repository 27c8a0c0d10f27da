"""The most valuable improvements, computed from this plan and this run.

For a criterion judged on the plan, the changes that would lift it are read off its own levels: the best level
whose conditions on the plan's decisions can be met by changing decisions (and whose other conditions already
hold). The plan is changed so, and every decision criterion is judged again on the changed plan: the points an
improvement offers are what that re-scoring gains over the whole total (a change that helps one criterion and
costs another offers the difference), and a change that would gain nothing is not offered. An operational outcome
cannot be re-scored without replaying the year, so it offers the points it lacks and says which decisions move
it. A holding cap (no model went live) always comes first.
"""

from __future__ import annotations

from typing import Any

from sandbox.scoring.rubric import Condition, Criterion, Rubric
from sandbox.spec.decisions import BY_ID

Changes = dict[str, Any]
MOST_NAMED = 4  # decisions an outcome's improvement names at most


def changes_for(criterion: Criterion, facts: dict[str, Any], holds, points_now: float) -> list[Changes]:
    """Each set of decision changes that would meet one of the criterion's better levels, best level first (a
    level that needs anything beyond the plan's decisions, such as an answer or an outcome, is skipped)."""
    out = []
    for level in sorted(criterion.levels, key=lambda lv: -lv.points):
        if level.points <= points_now:
            break
        change: Changes = {}
        for cond in level.when:
            if holds(cond, facts):
                continue
            value = _meeting(cond, facts)
            if value is _NONE:
                change = None
                break
            change[cond.fact.removeprefix("plan.")] = value
        if change:
            out.append(change)
    return out


_NONE = object()


def _meeting(cond: Condition, facts: dict[str, Any]) -> Any:
    """A value of a plan decision that meets the condition, or ``_NONE`` when no decision can."""
    if not cond.fact.startswith("plan.") or cond.count is not None:
        return _NONE
    now = facts.get(cond.fact)
    name = cond.comparison
    if name == "equals":
        return cond.equals
    if name == "in":
        return cond.in_[0]
    if name == "contains":
        return [*(now or []), cond.contains] if isinstance(now, list | tuple) or now is None else _NONE
    if name == "ge":
        return cond.ge
    if name == "le":
        return cond.le
    if name == "between":
        return cond.between[0]
    if name == "not_equals":
        decision = BY_ID.get(cond.fact.removeprefix("plan."))
        if decision is not None and decision.kind == "bool":
            return not cond.not_equals
        return _NONE
    return _NONE


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(map(str, a)) != sorted(map(str, b))
    return a != b


def question_words(key: str, questions: dict[str, str] | None = None) -> str:
    """A decision as the phase form asks it."""
    decision = BY_ID.get(key)
    question = decision.question if decision else (questions or {}).get(key) or key.split(".")[-1].replace("_", " ")
    return f"“{question.rstrip('?')}?”"


def decision_words(key: str, value: Any, questions: dict[str, str] | None = None, before: Any = None) -> str:
    """A change in the words of the phase form: the question and the choice (for a set, what to add to the
    plan's ``before``)."""
    if isinstance(value, list | tuple) and isinstance(before, list | tuple):
        added = [v for v in value if v not in before]
        if added and len(added) < len(value):
            return f"{question_words(key, questions)} add {', '.join(str(v).replace('_', ' ') for v in added)}"
    if isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        shown = ", ".join(str(v).replace("_", " ") for v in value) or "none"
    elif isinstance(value, float) and value.is_integer():
        shown = f"{value:g}"
    else:
        shown = str(value).replace("_", " ")
    return f"{question_words(key, questions)} {shown}"


def expert_choices(criterion: Criterion, facts: dict[str, Any], reference_plan: dict | None,
                   questions: dict[str, str] | None = None) -> tuple[bool, str]:
    """Whether this plan differs from the expert's on a decision that moves ``criterion``, and a sentence
    naming the expert's choices there (the first few, in the order the criterion lists them: most direct
    first). Where it makes the expert's choices on all of them, the sentence names the few decisions it differs
    on elsewhere, if they are few; else it is ''."""
    if not reference_plan:
        return False, ""
    mine = {k.removeprefix("plan."): v for k, v in facts.items() if k.startswith("plan.")}

    def words(keys) -> list[str]:
        return [decision_words(k, reference_plan[k], questions) for k in keys
                if k in reference_plan and _differs(mine.get(k), reference_plan[k])]

    differ = words(criterion.moved_by)
    if differ:
        more = f"; and {len(differ) - MOST_NAMED} more" if len(differ) > MOST_NAMED else ""
        return True, ("Where this plan differs from the expert plan on what moves it, the expert chose: "
                      + "; ".join(differ[:MOST_NAMED]) + more + ".")
    elsewhere = words(sorted(reference_plan))
    if not elsewhere or len(elsewhere) > MOST_NAMED:
        return False, ""
    return False, ("This plan makes the expert plan's choices on what most directly moves it; elsewhere the "
                   "expert chose: " + "; ".join(elsewhere) + ".")


def improvements(criteria: list[dict], caps: list[dict], rubric: Rubric, facts: dict[str, Any], rescore, holds,
                 questions: dict[str, str] | None = None, reference_plan: dict | None = None,
                 n: int = 3) -> list[dict]:
    """Caps first; then, by the points each would gain (ties: outcome before decision, then rubric order),
    the criteria this plan could do better on. ``rescore(changes)`` judges the decision criteria again on
    the plan with ``changes`` and returns their worth in all; ``holds(condition, facts)`` is the scoring's.
    ``reference_plan``: the decisions of the plan the run is compared with (the expert's), whose choices an
    outcome's improvement names where this plan differs on a decision that moves the outcome."""
    by_id = {c.id: c for c in rubric.criteria}
    now = sum(c["worth"] for c in criteria if c["kind"] == "decision")
    order = {"outcome": 0, "consistency": 1, "decision": 2}
    offers = []
    for i, c in enumerate(criteria):
        if c["points"] >= c["max_points"] or not c.get("assessed", True):
            continue
        definition = by_id[c["id"]]
        if c["kind"] == "decision":
            best = None
            for change in changes_for(definition, facts, holds, c["points"]):
                gain = round(rescore(change) - now, 1)
                if gain > 0 and (best is None or gain > best[1]):
                    best = (change, gain)
            if best is None:
                continue  # nothing this plan could change would raise it (it depends on an answer, say)
            change, gain = best
            steps = "; ".join(decision_words(k, v, questions, facts.get(f"plan.{k}")) for k, v in change.items())
            advice = f"Change: {steps}. {c['feedback']}".strip()
            offers.append((-gain, order[c["kind"]], i, {"id": c["id"], "title": c["title"], "points_to_gain": gain,
                                                        "changes": change, "advice": advice,
                                                        "lesson": c["lesson"]}))
        else:
            gain = round(c["top_worth"] - c["worth"], 1)
            if gain <= 0:
                continue
            moved, differ = expert_choices(definition, facts, reference_plan, questions)
            # the criterion's usual advice, unless the plan already makes the expert's choices on what it names
            advice = c["improvement"] if c["improvement"] and (moved or not reference_plan) else c["feedback"]
            if differ and differ not in advice:
                advice += " " + differ
            offers.append((-gain, order[c["kind"]], i, {"id": c["id"], "title": c["title"], "points_to_gain": gain,
                                                        "changes": {}, "advice": advice, "lesson": c["lesson"]}))
    lifted = [{"id": cap["id"], "title": cap["title"], "points_to_gain": cap["points_lost"], "changes": {},
               "advice": cap["feedback"], "lesson": cap["lesson"]} for cap in caps]
    return (lifted + [o[3] for o in sorted(offers, key=lambda t: t[:3])])[:n]


def named_decisions(score: dict, questions: dict[str, str] | None = None) -> set[str]:
    """The decisions a learner's feedback names: those an improvement changes, those whose question its advice
    or a cap's explanation quotes, and those a criterion that lost points cites as its evidence."""
    texts = [i["advice"] for i in score["improvements"]] + [c["feedback"] for c in score["caps"]]
    named = {k for i in score["improvements"] for k in i.get("changes") or {}}
    named |= {k.removeprefix("plan.") for c in score["criteria"] if c["points"] < c["max_points"]
              for k in (c.get("evidence") or {}) if k.startswith("plan.")}
    keys = set(BY_ID) | set(questions or {})
    named |= {k for k in keys if any(question_words(k, questions) in t for t in texts)}
    return named
