"""What can happen to a project in its year, declared once: every event kind and every monitor signal.

An event kind's entry says what a scenario must give it, how long it lasts, whether it corrupts the data the
service sees (and so whether the validation gate can stop it), whether the model's decisions are wrong while
it lasts, which monitor signals can see it, the responses that make sense and which one a plan implies, and
how it is worded. The engine, the data generator, the rubric lint and the inject console read this table;
what a kind does to the data is one function in ``sandbox.data`` and how the engine handles it is one
handler in ``sandbox.engine.processes`` (both keyed by kind, and checked against this table by the tests).

A monitor signal's spec (as Evidently separates a metric's configuration from its calculation) says what it
is called and whether an alert on it starts a retraining when retraining is triggered; its calculation is in
``sandbox.engine.monitors.CHECKS``. The kinds a signal detects are read off the event kinds' entries.

Adding an event kind: one entry here, its enum value, one data effect or engine handler, one rubric
criterion that assesses it (``sandbox validate`` says so when it is missing).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    covariate_drift = "covariate_drift"
    concept_drift = "concept_drift"
    label_drift = "label_drift"
    subgroup_drift = "subgroup_drift"
    seasonal_shift = "seasonal_shift"
    rule_change = "rule_change"
    legacy_outage = "legacy_outage"
    schema_change = "schema_change"
    corrupted_batch = "corrupted_batch"
    serving_crash = "serving_crash"
    traffic_spike = "traffic_spike"
    bad_release = "bad_release"
    label_stall = "label_stall"
    audit_request = "audit_request"
    foi_request = "foi_request"
    bias_complaint = "bias_complaint"
    regulator_review = "regulator_review"


# families: what sort of thing the event is
DRIFT, DATA_FAULT, SERVICE, GOVERNANCE = "drift", "data fault", "service", "governance"


@dataclass(frozen=True)
class When:
    """A condition on the plan: ``decision`` equals ``value`` (or, with ``negate``, does not)."""

    decision: str
    value: object
    negate: bool = False

    def holds(self, plan) -> bool:
        return (plan[self.decision] == self.value) != self.negate


@dataclass(frozen=True)
class KindSpec:
    kind: EventKind
    family: str
    wording: str  # what it is, in a phrase a learner reads
    needs: tuple[str, ...] = ()  # the event fields a scenario must give
    lasts: str = "one day"  # unless the scenario gives a duration: "one day", "to the end" or "until fixed"
    duration_scales: bool = False  # a given duration grows with the difficulty's intensity
    corrupts_data: bool = False  # the service sees faulty inputs: the validation gate can stop it
    harms_decisions: bool = False  # the model decides wrongly while it lasts (complaints build up)
    seen_by: tuple[str, ...] = ()  # the monitor signals that can detect it
    responses: tuple[str, ...] = ("communicate", "ignore")  # the responses that make sense
    default_response: tuple[tuple[When | None, str], ...] = ()  # the first whose condition holds; else ignore
    sound: tuple[str, ...] = ()  # the responses the incident needs (judged by the rubric); empty: nothing to judge
    why: str = ""  # why those, in a sentence a learner reads after "because"

    def response_for(self, plan) -> str:
        """What the plan implies a team does when the incident is detected."""
        return next((r for cond, r in self.default_response if cond is None or cond.holds(plan)), "ignore")


_RETRAIN = ((When("retraining.mode", "triggered"), "retrain_now"),)
_MANUAL = ((When("problem.oversight", "automated", negate=True), "manual_processing"),)
_DRIFT_RESPONSES = ("retrain_now", "manual_processing", "pause_automation", "communicate", "ignore")
_FAULT_RESPONSES = ("manual_processing", "pause_automation", "communicate", "ignore")


_DRIFT_SOUND = ("retrain_now", "manual_processing", "pause_automation")
_DRIFT_WHY = ("the model learnt a world that has changed and stays wrong until it is retrained on recent cases; "
              "sending cases to people meanwhile limits the harm, while telling people or doing nothing leaves "
              "the wrong decisions running")
_FAULT_SOUND = ("manual_processing", "pause_automation")
_FAULT_WHY = ("the model is reading broken inputs: its cases must go to people until the data are fixed, and "
              "retraining on broken data would only teach it the fault")


def _drift(kind: EventKind, wording: str, needs: tuple[str, ...], seen_by: tuple[str, ...]) -> KindSpec:
    return KindSpec(kind, DRIFT, wording, needs, lasts="to the end", harms_decisions=True, seen_by=seen_by,
                    responses=_DRIFT_RESPONSES, default_response=_RETRAIN, sound=_DRIFT_SOUND, why=_DRIFT_WHY)


def _governance(kind: EventKind, wording: str) -> KindSpec:
    return KindSpec(kind, GOVERNANCE, wording, responses=("communicate",))


KINDS: dict[EventKind, KindSpec] = {s.kind: s for s in (
    _drift(EventKind.covariate_drift, "the cases' inputs shift", ("feature",),
           ("data_drift", "prediction_drift", "performance", "fairness")),
    _drift(EventKind.concept_drift, "what an input means for the outcome changes", ("feature",), ("performance",)),
    _drift(EventKind.label_drift, "outcomes become more or less common", (), ("performance",)),
    _drift(EventKind.subgroup_drift, "one group's inputs shift", ("feature", "group"),
           ("data_drift", "performance", "fairness")),
    _drift(EventKind.seasonal_shift, "a seasonal change in the inputs", ("feature",), ("data_drift", "performance")),
    _drift(EventKind.rule_change, "a policy or eligibility rule changes", ("feature",), ("performance",)),
    KindSpec(EventKind.legacy_outage, DATA_FAULT, "an upstream legacy system stops sending data", ("source",),
             duration_scales=True, corrupts_data=True, seen_by=("system_health",), responses=_FAULT_RESPONSES,
             default_response=_MANUAL, sound=_FAULT_SOUND, why=_FAULT_WHY),
    KindSpec(EventKind.schema_change, DATA_FAULT, "an upstream system changes a field's format", ("feature",),
             lasts="until fixed", corrupts_data=True, harms_decisions=True,
             seen_by=("data_drift", "prediction_drift", "performance"), responses=_FAULT_RESPONSES,
             default_response=_MANUAL, sound=_FAULT_SOUND, why=_FAULT_WHY),
    KindSpec(EventKind.corrupted_batch, DATA_FAULT, "a day's batch arrives corrupted", ("feature",),
             corrupts_data=True, harms_decisions=True, seen_by=("data_drift", "prediction_drift", "performance"),
             responses=_FAULT_RESPONSES, default_response=_MANUAL, sound=_FAULT_SOUND, why=_FAULT_WHY),
    KindSpec(EventKind.serving_crash, SERVICE, "the model's service crashes", seen_by=("system_health",),
             responses=("manual_processing", "communicate", "ignore")),  # nothing to judge: while the service is
    # down no case is scored and every case goes to people whatever the team decides
    KindSpec(EventKind.traffic_spike, SERVICE, "far more cases than usual arrive", duration_scales=True),
    KindSpec(EventKind.bad_release, SERVICE, "a faulty model version is released", harms_decisions=True,
             seen_by=("prediction_drift", "performance", "fairness"),
             responses=("rollback", "manual_processing", "pause_automation", "communicate", "ignore"),
             default_response=((None, "rollback"),), sound=("rollback", "pause_automation"),
             why="the faulty version keeps deciding wrongly until it leaves service: rolling back to the last good "
                 "version ends it at once, and pausing automation stops the harm while it is fixed"),
    KindSpec(EventKind.label_stall, SERVICE, "outcomes stop arriving from the labelling pipeline",
             duration_scales=True, seen_by=("performance",), responses=("communicate", "ignore")),
    _governance(EventKind.audit_request, "the auditor asks how decisions were made"),
    _governance(EventKind.foi_request, "a freedom-of-information request about the system"),
    _governance(EventKind.bias_complaint, "a complaint that the model treats a group unfairly"),
    _governance(EventKind.regulator_review, "the regulator reviews the system"),
)}


def of(family: str) -> frozenset[EventKind]:
    return frozenset(k for k, s in KINDS.items() if s.family == family)


DRIFT_KINDS = of(DRIFT)
GOVERNANCE_KINDS = of(GOVERNANCE)
DATA_FAULTS = tuple(k for k, s in KINDS.items() if s.family == DATA_FAULT)  # in this order on the data
GATE_STOPS = frozenset(k.value for k, s in KINDS.items() if s.corrupts_data)
HARMS_DECISIONS = frozenset(k.value for k, s in KINDS.items() if s.harms_decisions)

# Who found an incident, when it was not the agency's own monitoring, gate, probe or staff: the people it
# harmed, once enough of them complained, or nobody (it ended by itself first).
BY_PUBLIC = "complaints from the public"
UNNOTICED = "recovered before anyone noticed"


# ---------------------------------------------------------------------- monitor signals


@dataclass(frozen=True)
class SignalSpec:
    id: str
    wording: str
    retrains: bool = False  # an alert starts a retraining when the plan's retraining is triggered
    checked_daily: bool = False  # watched every day whatever the check cadence (system health)

    @property
    def detects(self) -> frozenset[str]:
        """The event kinds this signal can see (read off their entries)."""
        return frozenset(k.value for k, s in KINDS.items() if self.id in s.seen_by)


SIGNALS: dict[str, SignalSpec] = {s.id: s for s in (
    SignalSpec("data_drift", "the inputs' distribution against the training data", retrains=True),
    SignalSpec("prediction_drift", "the model's scores against those it gave at evaluation", retrains=True),
    SignalSpec("performance", "accuracy or error once outcomes are known", retrains=True),
    SignalSpec("fairness", "the gap between groups in the model's decisions"),
    SignalSpec("system_health", "the service, its inputs and its labels arriving", checked_daily=True),
)}
