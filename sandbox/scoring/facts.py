"""The facts a rubric can compare: a flat view of the plan, the run, the reference run and the impact level.

Facts are read from a saved result (DESIGN §7) alone, so ``sandbox score RUN.json``
rescores without re-running anything. Names:

* ``plan.<decision id>`` — every decision, e.g. ``plan.monitoring.signals``;
  ``plan.impact_answers.<question>``;
* ``run.kpis.<name>``; ``run.alerts.signals`` (list); ``run.alerts.first.<signal>`` (day);
  ``run.alerts.count`` and ``run.alerts.count.<signal>``; ``run.fairness.name`` (the policy's metric in words);
  ``run.words.<key figure>`` (its name for the task), ``run.words.reviewer`` (the scenario's word for the
  person who reviews the model's output), ``run.words.metric`` (what the performance monitor measures);
* ``run.incident.<kind>.<field>`` for the first incident of each kind (``present``, ``detected``,
  ``found_by_agency`` (its own monitoring, gate, probe or staff found it, not the public's complaints, nor
  its ending by itself), ``found_by_public``, ``found_before_labels`` (by the agency, before the affected
  cases' labels arrived), ``start_day``, ``detected_day``, ``time_to_detect_days``, ``time_to_recover_days``,
  ``harms``, ``excess_harms``, ``detected_by``, ``open_at_end``) and ``run.events.kinds`` (list);
* ``run.governance.<kind>.passed``;
* ``run.delivery.<...>``: whether a model served (``served``, ``served_days``), the versions trained and
  stopped by the gate (``versions``, ``blocked``), the gate's commonest reason and what could change it
  (``reason``, ``advice``; see ``sandbox.scoring.delivery``);
* ``run.evaluation.initial.<...>`` (metrics, fairness, robustness, gate), ``run.evaluation.retrains``
  (count of retrained versions, whether or not they went into service);
* ``ref.<...>``: the same ``run.`` facts from the expert plan replayed on the same seed;
* ``run.responses.<judged|sound|sound_share|unsound_words>``: the incident responses against each kind's sound
  ones (``response_facts``);
* ``impact.level`` (1–4), ``impact.raw``, ``impact.reduced``, ``impact.max``, ``impact.answered``,
  ``impact.understated`` (answers below what the scenario's facts support) and ``impact.understated_words``.
"""

from __future__ import annotations

from typing import Any

from sandbox.scoring.delivery import delivery
from sandbox.spec.events import BY_PUBLIC, KINDS, SIGNALS, UNNOTICED, EventKind
from sandbox.spec.labels import kpi_words
from sandbox.spec.scenario import fairness_words

MITIGATIONS = (  # in the manner of the AIA's mitigation questions: what lowers the impact score
    ("problem.oversight", lambda v: v in ("review_adverse", "review_all")),
    ("evaluation.fairness_audit", bool),
    ("governance.audit_trail", bool),
    ("governance.transparency_record", bool),
    ("feedback.appeals_channel", bool),
    ("data.versioning", bool),
    ("evaluation.model_card", bool),
    ("governance.access_control", bool),
)
MITIGATION_SHARE = 0.8  # AIA: mitigation score at 80% of its maximum or more lowers the impact score
MITIGATION_REDUCTION = 0.15  # ... by 15%


def run_facts(result: dict, prefix: str = "run") -> dict[str, Any]:
    facts: dict[str, Any] = {}
    kpis = result["kpis"]
    for k, v in kpis.items():
        facts[f"{prefix}.kpis.{k}"] = v
    if kpis.get("fairness_gap") is not None:
        facts[f"{prefix}.kpis.fairness_within_limit"] = kpis["fairness_gap"] <= kpis["fairness_limit"]
        facts[f"{prefix}.kpis.fairness_ratio"] = round(kpis["fairness_gap"] / kpis["fairness_limit"], 6)
    facts.update(derived_facts(result, prefix))
    sc = result["scenario"]
    for key in ("max_wait_days", "target_harm_reduction"):
        if key in sc:
            facts[f"{prefix}.policy.{key}"] = sc[key]
    if "over_budget" in sc:
        facts[f"{prefix}.words.over_budget"] = sc["over_budget"]
    delay = result["scenario"].get("label_delay_days", 0)
    task = result["scenario"].get("task", "classification")
    for key, words in kpi_words(task).items():
        facts[f"{prefix}.words.{key}"] = words
    facts[f"{prefix}.words.reviewer"] = result["scenario"].get("reviewer", "caseworker")
    facts[f"{prefix}.words.metric"] = "mean absolute error" if task == "regression" else "accuracy"
    facts[f"{prefix}.alerts.signals"] = [a["signal"] for a in result["alerts"]]
    facts[f"{prefix}.alerts.count"] = len(result["alerts"])
    for signal in SIGNALS:
        facts[f"{prefix}.alerts.count.{signal}"] = sum(a["signal"] == signal for a in result["alerts"])
    for a in result["alerts"]:
        facts.setdefault(f"{prefix}.alerts.first.{a['signal']}", a["day"])
    facts[f"{prefix}.events.kinds"] = [e["kind"] for e in result["events"]]
    for inc in result["incidents"]:
        base = f"{prefix}.incident.{inc['kind']}"
        if f"{base}.present" in facts:
            continue
        facts[f"{base}.present"] = True
        facts[f"{base}.detected"] = inc["detected_day"] is not None
        facts[f"{base}.found_by_agency"] = facts[f"{base}.detected"] and \
            inc["detected_by"] not in (BY_PUBLIC, UNNOTICED)
        facts[f"{base}.found_by_public"] = inc["detected_by"] == BY_PUBLIC
        facts[f"{base}.labels_show_day"] = round(inc["start_day"] + delay)  # first labels of affected cases
        facts[f"{base}.found_before_labels"] = facts[f"{base}.found_by_agency"] and \
            inc["detected_day"] < facts[f"{base}.labels_show_day"]
        for key in ("start_day", "detected_day", "time_to_detect_days", "time_to_recover_days", "harms",
                    "excess_harms", "detected_by", "open_at_end", "duration_days", "response"):
            facts[f"{base}.{key}"] = inc.get(key)
    for g in result["governance"]:
        facts.setdefault(f"{prefix}.governance.{g['kind']}.passed", g["passed"])
    for key, value in delivery(result).items():
        if key != "codes":
            facts[f"{prefix}.delivery.{key}"] = value
    if result["timeline"]:
        served = facts[f"{prefix}.delivery.served_days"] / len(result["timeline"])
        facts[f"{prefix}.delivery.served_share"] = round(served, 6)
        # what the service delivered: the year a model served, less the cases left past the policy's limit
        facts[f"{prefix}.delivery.delivered_share"] = round(served * (1 - result["kpis"].get("late_share", 0.0)), 6)
    ev = result["evaluation"]
    metric = (ev["initial"].get("fairness") or {}).get("metric")
    if metric:
        facts[f"{prefix}.fairness.name"] = fairness_words(metric, result["scenario"].get("task", "classification"))
    _flatten(ev["initial"], f"{prefix}.evaluation.initial", facts, skip={"groups"})
    facts[f"{prefix}.evaluation.retrains"] = len(ev["retrains"])
    return {k: v for k, v in facts.items() if v is not None}


def derived_facts(result: dict, prefix: str) -> dict[str, Any]:
    """Figures judged against the agency's own terms: the share of the manual service's weighted harm the run
    avoided (``kpis.harm_reduction``; negative when it did more harm), the share of the budget spent
    (``kpis.budget_used``), and the manual service's own figures (``base.kpis.<name>``, for ``run`` only)."""
    kpis, out = result["kpis"], {}
    base = (result.get("baseline") or {}).get("kpis")
    if base is not None and "weighted_harms_per_1000_cases" in kpis:
        mine, manual = kpis["weighted_harms_per_1000_cases"], base["weighted_harms_per_1000_cases"]
        out[f"{prefix}.kpis.harm_reduction"] = round(1 - mine / manual, 6) if manual else (1.0 if not mine else 0.0)
        out[f"{prefix}.kpis.harm_target_met"] = out[f"{prefix}.kpis.harm_reduction"] >= \
            result["scenario"].get("target_harm_reduction", 0.8)
        if prefix == "run":
            out.update({f"base.kpis.{k}": v for k, v in base.items()})
    if kpis.get("budget"):
        out[f"{prefix}.kpis.budget_used"] = round(kpis["spend"] / kpis["budget"], 6)
    out.update(response_facts(result, prefix))
    return out


RESPONSE_WORDS = {"rollback": "roll back to the last good version", "retrain_now": "retrain at once",
                  "manual_processing": "send the cases to people", "pause_automation": "pause automation",
                  "communicate": "tell the people affected", "ignore": "do nothing"}


def response_facts(result: dict, prefix: str) -> dict[str, Any]:
    """How the team responded to the incidents it found, against what each kind needs (``spec.events``: its
    ``sound`` responses): ``responses.judged`` (incidents responded to whose kind declares sound responses),
    ``responses.sound``, ``responses.sound_share`` (None when none was judged) and ``responses.unsound_words``
    (each kind answered otherwise: what was done, what it needed and why)."""
    judged = [i for i in result.get("incidents", []) if i.get("response") and KINDS[EventKind(i["kind"])].sound]
    good = [i for i in judged if i["response"] in KINDS[EventKind(i["kind"])].sound]
    wrong: dict[str, list[dict]] = {}  # by what the incidents needed (drifts of every kind need the same)
    for i in judged:
        if i not in good:
            wrong.setdefault(KINDS[EventKind(i["kind"])].why, []).append(i)
    words = []
    for incidents in wrong.values():
        spec = KINDS[EventKind(incidents[0]["kind"])]
        done = sorted({RESPONSE_WORDS.get(i["response"], _word(i["response"])) for i in incidents})
        named = "; ".join(f"“{i['title']}” (day {i['start_day']:.0f})" for i in incidents)
        sound = [RESPONSE_WORDS[r] for r in spec.sound]
        needed = ", ".join(sound[:-1]) + (" or " if len(sound) > 1 else "") + sound[-1]
        words.append(f"For {named}, the team chose to {' or '.join(done)}; {'each' if len(incidents) > 1 else 'it'} "
                     f"needed the team to {needed}, because {spec.why}.")
    return {f"{prefix}.responses.judged": len(judged), f"{prefix}.responses.sound": len(good),
            f"{prefix}.responses.sound_share": round(len(good) / len(judged), 6) if judged else None,
            f"{prefix}.responses.unsound_words": " ".join(words)}


def plan_facts(plan: dict) -> dict[str, Any]:
    facts = {f"plan.{k}": v for k, v in plan["decisions"].items()}
    facts.update({f"plan.impact_answers.{k}": v for k, v in plan.get("impact_answers", {}).items()})
    return facts


def impact_facts(plan: dict, questions: list) -> dict[str, Any]:
    """Impact level I–IV from the answers: raw points, reduced when mitigations are in place, by quartile.

    An unanswered question counts at its highest points, and answers count only when the plan carried
    out the assessment: an assessment not made cannot lower the level. An answer below what the scenario's
    facts support (``ImpactQuestion.supported``) counts at the least they support, so understating the
    impact cannot lighten the obligations; ``impact.understated`` counts such answers and
    ``impact.understated_words`` says which, what was answered and why the facts say otherwise.
    """
    done = bool(plan["decisions"].get("problem.impact_assessment"))
    answers = plan.get("impact_answers", {}) if done else {}
    raw, under = 0, []
    for q in questions:
        given = q.points.get(answers.get(q.id), max(q.points.values()))
        floor = q.floor()
        if floor is not None and given < floor:
            under.append(f"'{q.question}' was answered '{_word(answers[q.id])}', but {q.why}")
            given = floor
        raw += given
    top = sum(max(q.points.values()) for q in questions) or 1
    decisions = plan["decisions"]
    mitigated = sum(1 for key, ok in MITIGATIONS if ok(decisions.get(key)))
    reduced = raw * (1 - MITIGATION_REDUCTION) if mitigated >= MITIGATION_SHARE * len(MITIGATIONS) else raw
    share = reduced / top
    level = 1 if share <= 0.25 else 2 if share <= 0.5 else 3 if share <= 0.75 else 4
    return {"impact.level": level, "impact.raw": raw, "impact.reduced": round(reduced, 4), "impact.max": top,
            "impact.mitigations": mitigated, "impact.answered": all(q.id in answers for q in questions),
            "impact.understated": len(under), "impact.understated_words": " ".join(
                f"{s[0].upper()}{s[1:]}{'' if s.endswith('.') else '.'}" for s in under)}


def _word(answer: str) -> str:
    return answer.replace("_", " ")


def _flatten(value: Any, prefix: str, out: dict, skip: set[str] = frozenset()) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in skip:
                _flatten(v, f"{prefix}.{k}", out)
    else:
        out[prefix] = value
