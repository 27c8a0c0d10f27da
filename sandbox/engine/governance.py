"""Governance events: audits, freedom-of-information requests, bias complaints, regulators.

Whether the agency can answer depends on what the plan put in place (audit
trail, versioned data, documentation, fairness evidence) and on what the run
actually shows (the real gap between groups over recent months).

A failed review has the consequence such failures have had in practice: a regulator that finds the obligations
unmet orders automated decisions stopped, and they stay stopped for the rest of the year (the gaps are the plan's
and cannot be closed within it); a bias complaint the agency cannot answer with evidence, or that is upheld,
stops automated decisions while the independent review runs (the request's deadline). Every case goes to the
caseworkers meanwhile.
"""

from __future__ import annotations

from sandbox.engine import monitors
from sandbox.engine.operations import open_incident, recover


def handle(world, ev) -> None:
    kind = ev.kind.value
    outcome, passed, missing = {
        "audit_request": _audit,
        "foi_request": _foi,
        "bias_complaint": _bias_complaint,
        "regulator_review": _regulator,
    }[kind](world)
    record = {"event_id": ev.id, "kind": kind, "title": ev.spec.label, "day": ev.day, "passed": passed,
              "outcome": outcome, "missing": missing, "deadline_days": ev.spec.deadline_days}
    world.response.governance.append(record)
    world.log("governance", kind, outcome)
    if not passed:
        inc = open_incident(world, kind, ev.spec.label, ev.id)
        inc.detected_day, inc.detected_by = world.now, kind.replace("_", " ")
        inc.notes.append(outcome)
        world.add_cost(world.sc.operations.costs.failed_audit * (1.0 if kind == "audit_request" else 0.5))
        world.env.process(_close_after(world, inc, ev.spec.deadline_days))
        until = {"regulator_review": float("inf"), "bias_complaint": world.now + ev.spec.deadline_days}.get(kind)
        if until is not None:
            world.response.suspended_until = max(world.response.suspended_until, until)
            stop = "for the rest of the year" if until == float("inf") else f"for {ev.spec.deadline_days:g} days"
            inc.notes.append(f"automated decisions stopped {stop}; every case goes to the caseworkers")
            world.log("governance", "automation stopped", f"{kind.replace('_', ' ')}: {stop}")


def _close_after(world, inc, days):
    yield world.env.timeout(days)
    recover(world, inc)


def _audit(world):
    plan = world.plan
    missing = [name for name, ok in (
        ("an audit trail of decisions and changes", plan["governance.audit_trail"]),
        ("versioned data and models to reproduce decisions", plan["data.versioning"]),
        ("documentation of the model", plan["governance.documentation"] != "none"),
        ("data lineage from source to decision", plan["data.lineage"]),
    ) if not ok]
    if missing:
        return f"audit could not reconstruct how decisions were made: missing {', '.join(missing)}", False, missing
    return "audit reconstructed sampled decisions from the audit trail and versioned artefacts", True, []


def _foi(world):
    if world.plan["governance.transparency_record"]:
        return "request answered from the published transparency record", True, []
    return "request answered late: nothing about the system had been published", False, ["transparency record"]


def _bias_complaint(world):
    plan = world.plan
    d = int(world.now)
    decisions = [world.records.logs[k] for k in range(max(0, d - 90), d) if k in world.records.logs]
    gap = monitors.gap_over(decisions, world.sc, world.now)
    evidence = plan["evaluation.fairness_audit"] or "fairness" in plan["monitoring.signals"]
    limit = world.sc.policy.fairness.max
    if not evidence:
        return ("no fairness evidence to answer the complaint; an independent review was ordered",
                False, ["per-group audit or fairness monitoring"])
    what = monitors.fairness_name(world.sc)
    if gap is not None and gap > limit:
        return f"complaint upheld: the {what} is {gap:.3f}, above the agency's limit {limit:g}", \
            False, ["a model within the fairness limit"]
    shown = "n/a" if gap is None else f"{gap:.3f}"
    return f"complaint answered with evidence: {what} {shown} within the limit {limit:g}", True, []


def _regulator(world):
    plan = world.plan
    missing = [name for name, ok in (
        ("an impact assessment", plan["problem.impact_assessment"]),
        ("human oversight of adverse decisions", plan["problem.oversight"] != "automated"),
        ("a model card", plan["governance.documentation"] != "none" or plan["evaluation.model_card"]),
        ("post-deployment monitoring", bool(plan["monitoring.signals"])),
    ) if not ok]
    if missing:
        return f"regulator found gaps: {', '.join(missing)}", False, missing
    return "regulator satisfied with risk management, oversight and monitoring", True, []
