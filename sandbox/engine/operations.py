"""Incidents and what the organisation does about them: detection, responses, releases and retraining.

An incident starts when an event actually affects the service, is detected by
whichever of the plan's safeguards sees it first (validation gate, a monitor,
the orchestrator, or in the end complaints from the public), and recovers by
a mechanism: a fix upstream, a restart, a rollback, or a retrained model.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from sandbox.data.randomness import Stream, rng_for
from sandbox.data.stream import TARGET
from sandbox.engine.monitors import make_reference, widen_gate
from sandbox.engine.records import Alert, Incident
from sandbox.engine.training import champion_on, labelled_window, train_version
from sandbox.ml import drift
from sandbox.ml.train import predict_scores
from sandbox.spec.events import BY_PUBLIC, DRIFT_KINDS, GATE_STOPS, HARMS_DECISIONS, KINDS, SIGNALS, UNNOTICED

if TYPE_CHECKING:  # the world is passed in; it calls ``detect`` when its validation gate holds a batch back
    from sandbox.engine.world import World

ALERT_DELAY_DAYS = {"on_call": 0.0, "team_inbox": 2.0}  # until someone reads an alert (a dashboard: monthly)
CANARY_DAYS, SHADOW_DAYS, AB_DAYS, APPROVAL_DAYS, SIGNOFF_DAYS = 7, 7, 14, 2, 2
CANARY_MAX_RATE_GAP = 0.1
MIN_RETRAINING_CASES = 200  # fewer labelled cases than this cannot train and test a model

DRIFTS = frozenset(k.value for k in DRIFT_KINDS)


def open_incident(world: World, kind: str, title: str, event_id: str | None) -> Incident:
    inc = Incident(f"INC-{len(world.response.incidents) + 1}", kind, title, event_id, world.now)
    world.response.incidents.append(inc)
    return inc


def detect(world: World, kinds: set[str], by: str, at: float, evidence_to: float | None = None) -> list[Incident]:
    """Mark matching undetected incidents as detected at ``at``; trigger their response. An alert detects only
    what its evidence could show: an incident that started after the last case it looked at (a performance
    alert reads cases decided weeks ago, whose labels have just arrived) is not its doing."""
    seen = world.now if evidence_to is None else evidence_to
    found = [i for i in world.response.incidents if i.kind in kinds and i.detected_day is None and i.open
             and i.start_day <= seen]
    for inc in found:
        inc.detected_day = max(at, inc.start_day)
        inc.detected_by = by
        world.log(by, "detected", f"{inc.id} {inc.title}")
        on_detected(world, inc)
    return found


def _reaches_people(world: World) -> float:
    """Days until someone reads what the monitors or the gate report, by the plan's alert route."""
    route = world.plan["monitoring.alert_to"]
    if route == "dashboard":
        return math.ceil((world.now + 1e-9) / 30.0) * 30.0 - world.now  # somebody looks at the dashboard monthly
    return ALERT_DELAY_DAYS[route]


def review_gate(world: World) -> None:
    """A batch held back by the gate is looked at by a person once the report reaches them (and a day's work
    to check it). If a feed is broken (a data fault is open) the batches stay held back until it is fixed; if
    not, the world has changed (a hard winter, a surge), the data are real, and the gate's expectations are
    widened to take them in (``monitors.widen_gate``): a gate nobody reviews would hold back every case of a
    real change for as long as it lasts."""
    if _data_fault_open(world):
        world.monitors.gate_seen.clear()  # what a broken feed sent says nothing about the world
        return
    if world.monitors.gate_review_due is not None:
        return
    world.monitors.gate_review_due = world.now + max(1.0, _reaches_people(world))
    world.env.process(_review_gate_at(world, world.monitors.gate_review_due - world.now))


def _data_fault_open(world: World) -> bool:
    """Whether a feed is broken now (what a person checking the held-back batches would see)."""
    day = int(world.now)
    return any(i.open and i.kind in GATE_STOPS and i.start_day <= world.now for i in world.response.incidents) \
        or bool(world.stream.active(day, *GATE_STOPS))


def _review_gate_at(world: World, delay: float):
    yield world.env.timeout(delay)
    world.monitors.gate_review_due = None
    if _data_fault_open(world):
        world.monitors.gate_seen.clear()
        return
    changed = widen_gate(world)
    if changed:
        world.log("data team", "gate reviewed", "held-back batches were real data: " + "; ".join(changed))


def raise_alert(world: World, alert: Alert) -> None:
    world.response.alerts.append(alert)
    world.log("monitoring", "alert", f"{alert.signal}: {alert.message}")
    world.env.process(_act_on_alert(world, alert, _reaches_people(world)))


def _act_on_alert(world: World, alert: Alert, delay: float):
    if delay > 0:
        yield world.env.timeout(delay)
    detect(world, SIGNALS[alert.signal].detects, f"{alert.signal} alert", world.now, alert.evidence_to)
    if SIGNALS[alert.signal].retrains and world.plan["retraining.mode"] == "triggered":
        start_retraining(world, f"{alert.signal} alert")


def on_detected(world: World, inc: Incident) -> None:
    """Mechanical follow-up that happens whatever the response, then the response itself."""
    ops = world.sc.operations
    if inc.kind == "schema_change":
        fix_day = math.ceil(world.now + ops.schema_fix_days)
        world.stream.fixes[inc.event_id] = fix_day
        world.cache.invalidate_from(fix_day)
        world.env.process(_recover_at(world, inc, float(fix_day)))
    elif inc.kind == "serving_crash":
        restart = ops.restart_days[world.plan["deployment.infrastructure"]]
        world.deployment.service_down_until = world.now + restart
        world.deployment.down_intervals[world.deployment.down_of[inc.id]][1] = world.now + restart
        world.env.process(_recover_at(world, inc, world.now + restart))
    if world.interactive and inc.id not in world.response.responses:
        world.response.pending.append(inc)
        if not world.stop_event.triggered:
            world.stop_event.succeed()
        return
    action = world.response.responses.get(inc.id) or default_response(world, inc)
    by = "plan" if inc.id not in world.response.responses else "learner"
    # Respond through an event scheduled exactly where step mode's stop event would be, so a batch
    # run and a stepped run with the same responses process everything in the same order.
    respond = world.env.event()
    respond.callbacks.append(lambda _event: apply_response(world, inc, action, by))
    respond.succeed()


def default_response(world: World, inc: Incident) -> str:
    """What the plan implies a team would do when an incident is detected (the kind's entry says). Once a
    post-incident review has looked at an incident that needed the same (``KindSpec.why``), its conclusion is the
    team's runbook: an incident like it gets the response it needs even where the plan's standing one does not
    fit."""
    spec = KINDS[inc.kind]
    standing = spec.response_for(world.plan)
    reviewed = world.response.runbooks.get(spec.why) if spec.sound else None
    if reviewed and standing not in spec.sound:
        inc.notes.append(f"answered as the review of {reviewed} concluded")
        return spec.sound[0]
    return standing


def apply_response(world: World, inc: Incident, action: str, by: str) -> None:
    inc.response, inc.response_by = action, by
    world.log(by, "response", f"{inc.id}: {action}")
    if action == "rollback":
        rollback(world, inc)
    elif action == "retrain_now":
        start_retraining(world, f"response to {inc.id}")
    elif action == "manual_processing":
        world.response.manual_incidents.add(inc.id)
    elif action == "pause_automation":
        world.response.pause_incidents.add(inc.id)
    elif action == "communicate":
        inc.notes.append("the agency told affected people what happened and how to appeal")


def recover(world: World, inc: Incident, at: float | None = None) -> None:
    if not inc.open:
        return
    inc.recovered_day = world.now if at is None else at
    if inc.detected_day is None:
        inc.detected_day, inc.detected_by = inc.recovered_day, UNNOTICED
    world.response.manual_incidents.discard(inc.id)
    world.response.pause_incidents.discard(inc.id)
    world.log("operations", "recovered", f"{inc.id} {inc.title}")
    spec = KINDS[inc.kind]
    if world.plan["feedback.post_incident_review"] and spec.sound and inc.response is not None:
        world.response.runbooks.setdefault(spec.why, inc.id)  # what the next one like it needs, written down
        world.log("operations", "post-incident review", f"{inc.id}: runbook for incidents like it")


def _recover_at(world: World, inc: Incident, when: float):
    yield world.env.timeout(max(0.0, when - world.now))
    recover(world, inc)


def rollback(world: World, inc: Incident) -> None:
    if inc.kind == "bad_release" and world.deployment.candidate is None and \
            (world.deployment.champion is None or world.deployment.champion.defect is None):
        inc.notes.append("nothing to roll back: the faulty release is no longer serving")
        recover(world, inc)
        return
    if world.deployment.candidate is not None:
        world.log("operations", "rollback", f"candidate v{world.deployment.candidate[0].version} withdrawn")
        world.deployment.candidate = None
        if inc.kind == "bad_release":
            recover(world, inc)
        return
    previous = [m for m in world.deployment.models if m is not world.deployment.champion and m.defect is None
                and m.version < (world.deployment.champion.version if world.deployment.champion else 0)]
    if not world.plan["data.versioning"] or not previous:
        inc.notes.append("rollback impossible: no versioned model and data to return to")
        world.log("operations", "rollback failed", "no versioned artefact")
        return
    world.deployment.champion = previous[-1]
    world.log("operations", "rollback", f"back to v{world.deployment.champion.version}")
    for other in world.response.incidents:
        if other.open and other.kind == "bad_release":
            recover(world, other)


def start_retraining(world: World, reason: str) -> None:
    if world.deployment.retraining or world.now - world.deployment.last_retrain_day < 14:
        return
    world.deployment.retraining = True
    world.env.process(retraining(world.env, world, reason))


def go_live(world: World, model) -> None:
    """Make ``model`` the champion; drift and release incidents it fixes recover."""
    world.deployment.champion = model
    world.deployment.candidate = None
    world.deployment.baseline_metric = model.evaluation.get("baseline")
    if "test" in model.evaluation:  # the scores the team saw at evaluation (a serving defect is not in them)
        scores, ok = model.evaluation.get("test_scores") or predict_scores(
            dataclasses.replace(model, defect=None), model.evaluation["test"].X, world.sc.task.type)
        world.monitors.reference_scores = np.sort(scores[ok])
        world.monitors.reference_score_sums = drift.prefix_sums(world.monitors.reference_scores)
        world.monitors.reference_score_norm = max(float(np.std(world.monitors.reference_scores)), 0.001)
        world.monitors.firing -= {"prediction_drift", "performance"}  # a new model: its outputs are judged afresh
    if model.defect is None and "frame" in model.evaluation:
        make_reference(world, model, model.evaluation["frame"])  # monitors compare with what it learned from
        world.monitors.firing.clear()
    world.log("operations", "release", f"v{model.version} serves all traffic")
    for inc in world.response.incidents:
        if not inc.open:
            continue
        if inc.kind == "bad_release" and model.defect is None:
            recover(world, inc)
        elif inc.kind in DRIFTS and inc.detected_day is not None \
                and model.trained_day >= inc.detected_day and model.defect is None:
            recover(world, inc)


def track_excess_harm(world: World, d: int, expected_error: float) -> None:
    """Undetected harm builds up complaints; past a threshold the public tells the agency."""
    log = world.records.logs.get(d)
    if log is None or not log.automated.any():
        return
    harms = world.harms(log.y[log.automated], log.decision[log.automated])
    excess = max(0.0, sum(harms) - expected_error * log.automated.sum())
    active = [i for i in world.response.incidents if i.open and i.kind in HARMS_DECISIONS and i.start_day <= world.now]
    for inc in active:
        inc.excess_harms += excess / len(active)
        inc.harms += int(round(sum(harms) / len(active)))
        if inc.detected_day is None and inc.excess_harms >= world.sc.operations.complaint_threshold_cases:
            detect(world, {inc.kind}, BY_PUBLIC, world.now)


# ---------------------------------------------------------------------- releases and retraining

def release(env, world, model):
    """Put a model into service by the plan's deployment strategy."""
    plan = world.plan
    if plan["deployment.release_approval"]:
        yield env.timeout(APPROVAL_DAYS)
    strategy = plan["deployment.strategy"]
    if strategy == "big_bang" or world.deployment.champion is None:
        go_live(world, model)
        return
    mode, share, days = {"canary": ("canary", plan["deployment.canary_share"], CANARY_DAYS),
                         "shadow": ("shadow", 0.0, SHADOW_DAYS), "ab_test": ("ab_test", 0.5, AB_DAYS)}[strategy]
    world.deployment.candidate = (model, mode, share)
    world.log("operations", "release", f"v{model.version} as {mode} ({share:.0%} of traffic)")
    for _ in range(days):
        yield env.timeout(1.0)
        if world.deployment.candidate is None or world.deployment.candidate[0] is not model:
            return  # withdrawn meanwhile
        if (plan["deployment.automated_rollback"] or mode == "shadow") and _candidate_differs(world, model):
            world.log("release check", "rollback",
                      f"v{model.version} behaves unlike v{world.deployment.champion.version}")
            world.deployment.candidate = None
            for inc in detect(world, {"bad_release"}, f"{mode} comparison", env.now):
                recover(world, inc)
            return
    go_live(world, model)


def _candidate_differs(world, model) -> bool:
    """Compare the candidate's and champion's adverse-decision rates on yesterday's cases."""
    d = int(world.now) - 1
    if d < 0 or world.deployment.champion is None or world.sc.task.type == "regression":
        return False
    champ, c_ok = world.cache.scores(world.deployment.champion, d)
    cand, k_ok = world.cache.scores(model, d)
    both = c_ok & k_ok
    if not both.any():
        return True
    threshold = world.knobs["decision_threshold"]
    gap = abs(float((champ[both] >= threshold).mean()) - float((cand[both] >= threshold).mean()))
    return gap > CANARY_MAX_RATE_GAP


def retraining(env, world, reason: str):
    """Retrain on recent labelled cases; takes time; may fail; may be held back by its gates."""
    plan, ops = world.plan, world.sc.operations
    pipeline = plan["model.training_pipeline"]
    world.deployment.retrain_count += 1
    attempt = world.deployment.retrain_count
    world.log("operations", "retraining started", reason)
    yield env.timeout(ops.retraining_days[pipeline])
    world.spend(world.sc.operations.costs.retraining_run)
    world.deployment.last_retrain_day = env.now
    if rng_for(world.seed, Stream.RETRAIN, attempt).random() < ops.retraining_failure_rate[pipeline]:
        world.deployment.retraining = False
        world.log("operations", "retraining failed", f"attempt {attempt} ({pipeline} pipeline)")
        return
    df = labelled_window(world, env.now)
    short = _too_few_labels(world, df)
    if short:
        world.deployment.retraining = False
        world.log("operations", "retraining skipped", f"attempt {attempt}: {short}")
        return
    model, record = train_version(world, df, int(env.now), len(world.deployment.models) + 1)
    world.deployment.models.append(model)
    record["reason"] = reason
    champion_metric = champion_on(world, model.evaluation["test"]) if plan["retraining.champion_challenger"] else None
    record["champion_metric"] = champion_metric
    world.deployment.evaluations.append(record)
    world.deployment.retraining = False
    if not record["gate"]["go"]:
        world.log("promotion gate", "no-go", f"v{model.version}: {'; '.join(record['gate']['reasons'])}")
        return
    if champion_metric is not None and _worse(world, model.evaluation["baseline"], champion_metric):
        world.log("champion-challenger", "kept champion", f"v{model.version} did not beat the current model")
        return
    if plan["retraining.human_signoff"]:
        yield env.timeout(SIGNOFF_DAYS)
    yield from release(env, world, model)


def _too_few_labels(world, df) -> str | None:
    """Why the labelled window cannot train a model (too few cases, or only one outcome), if it cannot."""
    window = world.plan["retraining.data_window_days"]
    if len(df) < MIN_RETRAINING_CASES:
        return (f"only {len(df)} cases with known outcomes in the last {window} days"
                f" (at least {MIN_RETRAINING_CASES} needed)")
    if world.sc.task.type == "classification" and df[TARGET].nunique() < 2:
        return f"every case with a known outcome in the last {window} days has the same outcome"
    return None


def _worse(world, challenger: float, champion: float) -> bool:
    return challenger > champion if world.sc.task.type == "regression" else challenger < champion
