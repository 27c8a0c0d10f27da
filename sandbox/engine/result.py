"""The run result (DESIGN §7) and its key performance indicators. No wall-clock time inside."""

from __future__ import annotations

import json
import math

import numpy as np

from sandbox.engine import monitors
from sandbox.engine.timeline import running_cost


def build_result(sim) -> dict:
    w = sim.world
    evaluations = [_public(e) for e in w.deployment.evaluations]
    result = {
        "scenario": {"id": w.sc.id, "title": w.sc.title, "difficulty": sim.difficulty, "task": w.sc.task.type,
                     "label_delay_days": w.sc.timeline.label_delay_days, "reviewer": w.sc.operations.reviewer,
                     "max_wait_days": w.sc.policy.max_wait_days, "fairness_metric": w.sc.policy.fairness.metric,
                     "target_harm_reduction": w.sc.policy.target_harm_reduction,
                     "over_budget": w.sc.resources.over_budget},
        "seed": sim.seed,
        "plan": sim.plan.to_dict(),
        "evaluation": {"initial": evaluations[0], "retrains": evaluations[1:]},
        "timeline": list(w.records.timeline),
        "events": [e.to_dict() for e in w.events],
        "alerts": [a.to_dict() for a in w.response.alerts],
        "incidents": [i.to_dict(w.horizon) for i in w.response.incidents],
        "governance": list(w.response.governance),
        "audit_trail": [a.to_dict() for a in w.records.audit],
        "kpis": kpis(w),
        "baseline": sim.baseline(),
        "score": None,
    }
    return clean(result)


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "test"}


def kpis(w) -> dict:
    tl = w.records.timeline
    wrongful = sum(r["wrongful_adverse"] for r in tl)
    missed = sum(r["missed"] for r in tl)
    cases = sum(r["cases"] for r in tl)
    waits = [v for v in w.ledger.waits.values() if v[1]]
    total_wait = sum(v[0] for v in waits)
    decided = sum(v[1] for v in waits)
    detect = [i.detected_day - i.start_day for i in w.response.incidents if i.detected_day is not None]
    recover = [i.recovered_day - i.detected_day for i in w.response.incidents
               if i.recovered_day is not None and i.detected_day is not None]
    gap = monitors.gap_over(w.records.logs.values(), w.sc)
    now = min(w.now, float(w.horizon))  # an incident still undetected or open counts up to now
    found = [(i.detected_day if i.detected_day is not None else now) - i.start_day for i in w.response.incidents]
    lasted = [(i.recovered_day if i.recovered_day is not None else now) - i.start_day for i in w.response.incidents]
    late = sum(r["late"] for r in tl) + w.still_waiting_late()
    weights = w.sc.policy.error_weights
    weighted = wrongful * weights.wrongful_adverse + missed * weights.missed + late * weights.late
    days = len(tl)
    spend = w.ledger.spend + days * running_cost(w)
    return {
        "days": days,
        "cases": cases,
        "automated_share": _ratio(sum(r["automated"] for r in tl), cases),
        "launch_day": w.launch_day,
        "setup_days": round(sum(w.setup.values()), 2),
        "wrongful_adverse_decisions": wrongful,
        "missed_cases": missed,
        "late_decisions": late,
        "late_share": _ratio(late, cases),
        "harms": wrongful + missed + late,
        "harms_per_1000_cases": _ratio(1000 * (wrongful + missed + late), cases),
        "weighted_harms_per_1000_cases": _ratio(1000 * weighted, cases),
        "fairness_gap": None if gap is None else round(gap, 6),
        "fairness_limit": w.sc.policy.fairness.max,
        "availability": _mean([r["availability"] for r in tl]),
        "backlog_mean": _mean([r["backlog"] for r in tl]),
        "backlog_max": max((r["backlog"] for r in tl), default=0),
        "backlog_end": tl[-1]["backlog"] if tl else 0,
        "mean_wait_days": round(total_wait / decided, 4) if decided else 0.0,
        "cost": round(sum(r["cost"] for r in tl), 2),
        "spend": round(spend, 2),
        "budget": w.budget,
        "posts_held": len(w.ledger.posts_held),
        "post_days_held": sum(w.horizon - day for day in w.ledger.posts_held),
        "incidents": len(w.response.incidents),
        "incidents_open": sum(1 for i in w.response.incidents if i.open),
        "mean_time_to_detect_days": _mean(detect),
        "mean_time_to_recover_days": _mean(recover),
        "mean_days_to_find": _mean(found),  # open and undetected incidents included, up to now
        "mean_days_open": _mean(lasted),
        "alerts": len(w.response.alerts),
        "model_versions": len(w.deployment.models),
        "retrains": w.deployment.retrain_count,
        "governance_passed": sum(1 for g in w.response.governance if g["passed"]),
        "governance_failed": sum(1 for g in w.response.governance if not g["passed"]),
    }


def _ratio(a: float, b: float) -> float:
    return round(a / b, 6) if b else 0.0


def _mean(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(float(np.mean(xs)), 4) if xs else None


def clean(obj):
    """JSON-safe: numpy scalars to Python, NaN and infinities to None, tuples to lists."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and (math.isnan(obj) or math.isinf(obj)):
        return None
    return obj


def to_json(result: dict) -> str:
    return json.dumps(result, indent=1, ensure_ascii=False, allow_nan=False)
