"""The daily timeline row: what the service looked like at the end of each day.

Its columns are declared once, as reporters (as Mesa's DataCollector declares its model reporters): a name
and how it is read off the day. ``COLUMNS`` is the timeline's column order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sandbox.engine import monitors
from sandbox.spec.costs import CADENCE_DAYS


@dataclass(frozen=True)
class Day:
    """What the reporters read: the world at the end of day ``d``, the day's log and what was measured."""

    world: object
    d: int
    log: object
    scored: np.ndarray
    check: object  # the day's data-drift check (None before a reference exists)
    harms: list  # [wrongful adverse, missed]
    waits: list  # [total wait, cases decided by caseworkers]


REPORTERS: tuple[tuple[str, Callable[[Day], object]], ...] = (
    ("day", lambda x: x.d),
    ("cases", lambda x: x.log.counts["cases"]),
    ("automated", lambda x: x.log.counts["automated"]),
    ("reviewed", lambda x: x.log.counts["reviewed"]),
    ("manual", lambda x: x.log.counts["cases"] - x.log.counts["automated"] - x.log.counts["reviewed"]),
    ("unscored", lambda x: x.log.counts["unscored"]),
    ("accuracy", lambda x: _accuracy(x.world, x.log, x.scored)),
    ("accuracy_known", lambda x: float(x.log.label_day.max()) if len(x.log.label_day) else None),
    ("drift_score", lambda x: round(x.check.share, 6) if x.check else None),
    ("drifted_columns", lambda x: list(x.check.drifted) if x.check else []),
    ("fairness_gap", lambda x: _round(monitors.gap_over([x.log], x.world.sc))),
    ("availability", lambda x: round(_availability(x.world, x.d), 6)),
    ("backlog", lambda x: int(x.world.ledger.queued)),
    ("mean_wait_days", lambda x: round(x.waits[0] / x.waits[1], 4) if x.waits[1] else None),
    ("wrongful_adverse", lambda x: x.harms[0]),
    ("missed", lambda x: x.harms[1]),
    ("harms", lambda x: x.harms[0] + x.harms[1]),
    ("late", lambda x: x.world.ledger.late.get(x.d, 0)),
    ("cost", lambda x: round(x.world.ledger.day_costs.get(x.d, 0.0) + fixed_daily_cost(x.world), 2)),
    ("model_version", lambda x: x.world.deployment.champion.version if x.world.deployment.champion else 0),
    ("canary_version", lambda x: x.world.deployment.candidate[0].version if x.world.deployment.candidate else None),
)
COLUMNS = tuple(name for name, _ in REPORTERS)


def record_day(world, d: int) -> None:
    log = world.records.logs[d]
    day = Day(world, d, log, ~np.isnan(log.scores), monitors.daily_drift(world, d),
              world.ledger.harm_days.get(d, [0, 0]), world.ledger.waits.get(d, [0.0, 0]))
    world.records.timeline.append({name: report(day) for name, report in REPORTERS})


def fixed_daily_cost(world) -> float:
    return world.knobs["caseworkers"] * world.sc.operations.costs.caseworker_per_day + running_cost(world)


def running_cost(world) -> float:
    """What the plan's practices cost each day to run: serving, monitors, someone reading the checks at their
    cadence, an on-call rota, and any caseworkers beyond the service's current staff (the project's spending)."""
    c = world.sc.operations.costs
    signals = world.plan["monitoring.signals"]
    extra_staff = max(0.0, world.knobs["caseworkers"] - world.sc.operations.caseworkers)
    return (c.infrastructure_per_day[world.plan["deployment.infrastructure"]]
            + len(signals) * c.monitoring_signal_per_day
            + (c.check_review / CADENCE_DAYS[world.plan["monitoring.cadence"]] if signals else 0.0)
            + (c.on_call_per_day if world.plan["monitoring.alert_to"] == "on_call" else 0.0)
            + extra_staff * c.caseworker_per_day)


def _accuracy(world, log, scored: np.ndarray) -> float | None:
    if not scored.any():
        return None
    y, pred = log.y[scored], log.decision[scored]
    if world.sc.task.type == "regression":
        return round(float(np.mean(np.abs(y - pred))), 6)
    return round(float(np.mean(y == pred)), 6)


def _availability(world, d: int) -> float:
    down = 0.0
    for start, end in world.deployment.down_intervals:
        down += max(0.0, min(end, d + 1.0) - max(start, float(d)))
    return max(0.0, 1.0 - down)


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)
