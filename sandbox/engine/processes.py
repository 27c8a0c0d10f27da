"""SimPy processes: the things that happen in the simulated service, each a generator.

Time is in days. Within a day: events strike at +0.25, the day's batch is
scored and routed at +0.5, monitors run at +0.75, the day is recorded at +0.999.
"""

from __future__ import annotations

import numpy as np

from sandbox.engine import monitors
from sandbox.engine.clock import BATCH_TIME, CLOSE_TIME, EVENT_TIME, MONITOR_TIME
from sandbox.engine.governance import handle
from sandbox.engine.operations import (
    detect,
    go_live,
    open_incident,
    raise_alert,
    recover,
    release,
    start_retraining,
    track_excess_harm,
)
from sandbox.engine.records import Alert
from sandbox.engine.timeline import record_day, running_cost
from sandbox.spec.costs import CADENCE_DAYS
from sandbox.spec.events import DRIFT_KINDS, GOVERNANCE_KINDS, EventKind
from sandbox.spec.scenario import Knob


def daily_service(env, world):
    """Each day: the batch arrives and is handled (what caseworkers must decide goes to their queue, in trays);
    at the end of the day it is recorded."""
    for d in range(world.horizon):
        yield env.timeout(d + BATCH_TIME - env.now)
        log, rows, correct = world.process_batch(d)
        tray = int(world.knobs[Knob.review_tray_size])
        for start in range(0, len(rows), tray):
            chunk = rows[start:start + tray]
            world.ledger.queued += len(chunk)
            env.process(review(env, world, log, chunk, correct[chunk]))
        yield env.timeout(d + CLOSE_TIME - env.now)
        track_excess_harm(world, d, world.deployment.expected_error)
        record_day(world, d)
        if not world.manual:
            budget_watch(env, world, d)


def budget_watch(env, world, d: int) -> None:
    """The finance team's check at each day's close: when the project's spending for the year, as it stands
    (what it has paid out, and its running costs for the whole year), would overrun the budget, the overspend
    is met by holding posts of the service's own review staff empty for the rest of the year, one more each
    time the posts already held cannot cover it (``Resources.over_budget`` says so in the scenario's words)."""
    ops, left = world.sc.operations, world.horizon - d - 1
    if left <= 0 or len(world.ledger.posts_held) >= ops.caseworkers:
        return
    saved = sum((world.horizon - day) * ops.costs.caseworker_per_day for day in world.ledger.posts_held)
    over = world.ledger.spend + world.horizon * running_cost(world) - world.budget - saved
    while over > 0 and len(world.ledger.posts_held) < ops.caseworkers:
        world.ledger.posts_held.append(d + 1)
        over -= left * ops.costs.caseworker_per_day
        world.caseworkers.withdraw()
        world.log("finance", "post held empty", f"day {d + 1}: one {ops.reviewer}'s post left empty for the rest "
                  "of the year to pay for the project's overspend")


def review(env, world, log, rows: np.ndarray, correct: np.ndarray):
    """A tray of cases waits for a caseworker, who decides them one after another."""
    with world.caseworkers.request() as req:
        yield req
        yield env.timeout(len(rows) / world.sc.operations.cases_per_caseworker_per_day)
        world.complete_review(log, rows, correct)


def monitoring(env, world):
    """The plan's monitors at their cadence; system health is watched daily if chosen."""
    cadence = CADENCE_DAYS[world.plan["monitoring.cadence"]]
    signals = set(world.plan["monitoring.signals"])
    for d in range(world.horizon):
        yield env.timeout(d + MONITOR_TIME - env.now)
        if "system_health" in signals:  # (checked daily, whatever the cadence: ``spec.events.SIGNALS``)
            problems = monitors.health_problems(world, d)
            if problems and "system_health" not in world.monitors.firing:
                raise_alert(world, Alert(env.now, "system_health", "; ".join(problems)))
            firing = world.monitors.firing
            world.monitors.firing = firing | {"system_health"} if problems else firing - {"system_health"}
        if (d + 1) % cadence == 0:
            for alert in monitors.run_checks(world, d, cadence):
                raise_alert(world, alert)


def launch(env, world, model):
    """The model goes live on the launch day, once the set-up work the team could not fit in before the go-live
    date is done; until then every case goes to caseworkers."""
    yield env.timeout(world.launch_day - env.now)
    if world.deployment.champion is None:
        go_live(world, model)


def event(env, world, ev):
    """An injected event strikes on its day; what it does to the service (``STRIKES``) depends on the plan."""
    yield env.timeout(max(0.0, ev.day + EVENT_TIME - env.now))
    world.log("world", "event", f"{ev.id} {ev.spec.label}")
    done = STRIKES[ev.kind](env, world, ev)
    if done is not None:
        yield from done


def _governance(env, world, ev):
    handle(world, ev)


def _lasting_incident(env, world, ev, days: float | None = None):
    inc = open_incident(world, ev.kind.value, ev.spec.label, ev.id)
    env.process(_end_after(env, world, inc, ev.duration_days if days is None else days))


def _outage(env, world, ev):
    if _source_used(world, ev.spec.source):  # a source the model does not read cannot hurt it
        _lasting_incident(env, world, ev)


def _drift_incident(env, world, ev):
    open_incident(world, ev.kind.value, ev.spec.label, ev.id)  # it lasts until a model that knows it serves


def _schema_change(env, world, ev):
    if ev.spec.feature in world.champion_columns():  # a column the model does not read cannot hurt it
        open_incident(world, ev.kind.value, ev.spec.label, ev.id)


def _crash(env, world, ev):
    world.deployment.service_down_until = float("inf")
    world.deployment.down_intervals.append([env.now, float("inf")])
    inc = open_incident(world, "serving_crash", ev.spec.label, ev.id)
    world.deployment.down_of[inc.id] = len(world.deployment.down_intervals) - 1
    if world.plan["deployment.infrastructure"] == "orchestrated":
        detect(world, {"serving_crash"}, "orchestrator liveness probe", env.now)
        return
    yield env.timeout(1.0)  # staff notice by the next day that nothing is being decided
    if inc.detected_day is None:
        detect(world, {"serving_crash"}, "caseworkers noticed no automated decisions", env.now)


def _bad_release(env, world, ev):
    if world.deployment.champion is None:
        return
    import copy

    bad = copy.copy(world.deployment.champion)
    bad.version = len(world.deployment.models) + 1
    serving = world.deployment.champion
    bad.defect = ev.spec.feature or (serving.numeric[0] if serving.numeric else None)
    bad.trained_day = world.deployment.champion.trained_day
    world.deployment.models.append(bad)
    open_incident(world, "bad_release", ev.spec.label, ev.id)
    env.process(release(env, world, bad))


def _no_incident(env, world, ev):
    """A traffic spike opens no incident: its effect is the extra cases (``data.stream``)."""


def _end_after(env, world, inc, days: float):
    yield env.timeout(days)
    recover(world, inc)


def _source_used(world, source: str) -> bool:
    if world.sc.data.synthetic is None:
        return True
    cols = {f.name for f in world.sc.data.synthetic.features if f.source == source}
    return bool(cols & set(world.champion_columns()))


def scheduled_retraining(env, world):
    interval = world.plan["retraining.interval_days"]
    t = world.launch_day + interval  # the schedule starts when the service launches
    while t < world.horizon:
        yield env.timeout(t + 0.1 - env.now)
        start_retraining(world, "scheduled retrain")
        t += interval


# What each event kind does to the service when it strikes: one handler a kind (the kinds' table is
# ``sandbox.spec.events.KINDS``; a test checks every kind has one). A handler that waits is a generator.
STRIKES = {
    **{k: _drift_incident for k in DRIFT_KINDS},
    **{k: _governance for k in GOVERNANCE_KINDS},
    EventKind.legacy_outage: _outage,
    EventKind.schema_change: _schema_change,
    EventKind.corrupted_batch: lambda env, world, ev: _lasting_incident(env, world, ev, 1.0),
    EventKind.serving_crash: _crash,
    EventKind.traffic_spike: _no_incident,
    EventKind.bad_release: _bad_release,
    EventKind.label_stall: _lasting_incident,
}
