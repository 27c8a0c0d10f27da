"""The daily timeline row: what the service looked like at the end of each day."""

from __future__ import annotations

import numpy as np

from sandbox.engine import monitors


def record_day(world, d: int) -> None:
    log = world.logs[d]
    scored = ~np.isnan(log.scores)
    check = monitors.daily_drift(world, d)
    harms = world.harm_days.get(d, [0, 0])
    waits = world.waits.get(d, [0.0, 0])
    row = {
        "day": d,
        "cases": log.counts["cases"],
        "automated": log.counts["automated"],
        "reviewed": log.counts["reviewed"],
        "manual": log.counts["cases"] - log.counts["automated"] - log.counts["reviewed"],
        "unscored": log.counts["unscored"],
        "accuracy": _accuracy(world, log, scored),
        "accuracy_known": float(log.label_day.max()) if len(log.label_day) else None,
        "drift_score": round(check.share, 6) if check else None,
        "drifted_columns": list(check.drifted) if check else [],
        "fairness_gap": _round(monitors.gap_over([log], world.sc)),
        "availability": round(_availability(world, d), 6),
        "backlog": int(world.queued),
        "mean_wait_days": round(waits[0] / waits[1], 4) if waits[1] else None,
        "wrongful_adverse": harms[0],
        "missed": harms[1],
        "harms": harms[0] + harms[1],
        "cost": round(world.day_costs.get(d, 0.0) + fixed_daily_cost(world), 2),
        "model_version": world.champion.version if world.champion else 0,
        "canary_version": world.candidate[0].version if world.candidate else None,
    }
    world.timeline.append(row)


def fixed_daily_cost(world) -> float:
    c = world.sc.operations.costs
    return (world.knobs["caseworkers"] * c.caseworker_per_day
            + c.infrastructure_per_day[world.plan["deployment.infrastructure"]]
            + len(world.plan["monitoring.signals"]) * c.monitoring_signal_per_day)


def _accuracy(world, log, scored: np.ndarray) -> float | None:
    if not scored.any():
        return None
    y, pred = log.y[scored], log.decision[scored]
    if world.sc.task.type == "regression":
        return round(float(np.mean(np.abs(y - pred))), 6)
    return round(float(np.mean(y == pred)), 6)


def _availability(world, d: int) -> float:
    down = 0.0
    for start, end in world.down_intervals:
        down += max(0.0, min(end, d + 1.0) - max(start, float(d)))
    return max(0.0, 1.0 - down)


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)
