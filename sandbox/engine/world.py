"""The simulated service: its state and what happens to one day's cases.

The World holds everything a run changes (models in service, queues, incidents,
records); the SimPy processes in ``processes`` drive it through time. Each day's
batch is validated, scored by the model(s) in service, routed to automated
decisions or to caseworkers according to the plan, and its harms are counted
against the true labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sandbox.data import make_stream
from sandbox.data.randomness import Stream, rng_for
from sandbox.data.stream import CASE, TARGET, ConcreteEvent, expand_events
from sandbox.engine.cache import DayCache
from sandbox.engine.clock import BATCH_TIME
from sandbox.engine.monitors import gate_problems, label_row
from sandbox.engine.operations import detect, review_gate
from sandbox.engine.records import AuditEntry, Incident
from sandbox.ml.train import ModelVersion
from sandbox.spec.decisions import plan_setup_days
from sandbox.spec.events import GATE_STOPS
from sandbox.spec.scenario import Knob, Scenario


@dataclass
class DayLog:
    """What happened to one day's cases (arrays are per case, in arrival order)."""

    day: int
    cols: dict[str, np.ndarray]
    y: np.ndarray
    group: np.ndarray
    scores: np.ndarray  # NaN where not scored
    decision: np.ndarray  # model decision (classification: 1 adverse); NaN where not scored
    automated: np.ndarray
    final: np.ndarray  # final decision once made (NaN while waiting)
    label_day: np.ndarray  # when the true label becomes known (appeal outcomes, verification)
    feedback_day: np.ndarray  # when a caseworker's decision was fed back as a label (inf if never)
    version: np.ndarray  # model version that scored the case (0 = none)
    counts: dict = field(default_factory=dict)
    memo: dict = field(default_factory=dict)  # per-day aggregates the monitors compute once (see monitors)
    own_error: np.ndarray | None = None  # regression: how far a reviewer's own estimate is out when it is wrong


class World:
    def __init__(self, scenario: Scenario, folder, plan, seed: int, difficulty: str):
        self.sc, self.plan, self.seed, self.difficulty = scenario, plan, seed, difficulty
        self.knobs = self._knobs()
        intensity = scenario.difficulty[difficulty].intensity
        self.intensity = intensity
        self.events: list[ConcreteEvent] = expand_events(scenario.events_for(difficulty), scenario.timeline.days,
                                                         intensity, seed)
        self.stream = make_stream(scenario, seed, self.events, folder)
        self.horizon = scenario.timeline.days
        self.cache = DayCache(self.stream, self.horizon, scenario.task.type)
        self.env = simpy.Environment()
        self.caseworkers = Staff(self.env, capacity=int(self.knobs[Knob.caseworkers]))
        self.deployment = Deployment()
        self.response = Response()
        self.monitors = MonitorState()
        self.ledger = Ledger()
        self.records = Records(labels=np.tile([np.inf, np.inf, 0.0, 0.0], (self.horizon, 1)))
        self.interactive = False  # step mode: the run stops at each detected incident for a response
        self.manual = False  # the manual service (no model, no project spending)
        self.budget = scenario.resources.year_budget(scenario.operations, self.horizon)
        self.setup = plan_setup_days(plan.decisions)
        res = scenario.resources
        late_by = sum(self.setup.values()) / res.team_size - res.preparation_days
        self.launch_day = float(math.ceil(late_by)) if late_by > 0 else 0.0
        self.stop_event = self.env.event()

    # ------------------------------------------------------------------ setup

    def _knobs(self) -> dict[Knob, float]:
        ops = self.sc.operations
        knobs = {Knob.caseworkers: ops.caseworkers, Knob.decision_threshold: self.sc.task.decision_threshold,
                 Knob.review_tray_size: ops.review_tray_size, Knob.caseworker_accuracy: ops.caseworker_accuracy}
        for key, decision in self.sc.decisions.items():
            knobs.update(decision.choices[self.plan[key]].sets)
        return knobs

    def champion_columns(self) -> list[str]:
        model = self.deployment.champion or (self.deployment.models[0] if self.deployment.models else None)
        return model.columns if model else []

    @property
    def now(self) -> float:
        return float(self.env.now)

    def log(self, actor: str, action: str, detail: str) -> None:
        """Audit entries are kept only when the plan keeps an audit trail (they are the trail)."""
        if self.plan["governance.audit_trail"]:
            self.records.audit.append(AuditEntry(self.now, actor, action, detail))

    def add_cost(self, amount: float, day: int | None = None) -> None:
        d = int(self.now) if day is None else day
        self.ledger.day_costs[d] = self.ledger.day_costs.get(d, 0.0) + amount

    def spend(self, amount: float) -> None:
        """Money the project pays out (set-up work, a retraining run): part of the cost and of the budget."""
        self.add_cost(amount)
        self.ledger.spend += amount

    def still_waiting_late(self) -> int:
        """Cases not yet decided that have already waited longer than the policy allows."""
        limit = self.now - BATCH_TIME - self.sc.policy.max_wait_days
        return int(sum(np.isnan(log.final).sum() for d, log in self.records.logs.items() if d < limit))

    # ------------------------------------------------------------------ one day's batch

    def process_batch(self, d: int) -> tuple[DayLog, np.ndarray, np.ndarray]:
        """The day's batch handled; returns its log, the rows caseworkers must decide and whether each of
        their decisions will be right (drawn now, from the day's own stream)."""
        cols = self.cache.day(d)
        n = len(cols[CASE])
        rng = rng_for(self.seed, Stream.CASEWORK, d)
        correct = rng.random(n) < self.knobs[Knob.caseworker_accuracy]
        own_error = None
        if self.sc.task.type == "regression":  # a reviewer's wrong estimate, made without the model, is out by
            # twice the harm tolerance, too high or too low
            own_error = np.where(rng.random(n) < 0.5, -2.0, 2.0) * max(self.sc.task.harm_tolerance, 1e-9)
        scores = np.full(n, np.nan)
        version = np.zeros(n, dtype=np.int32)
        memo: dict = {}
        gate_ok = self.gate_passes(cols, d, memo)
        up = self.now >= self.deployment.service_down_until
        allowed = self.now >= self.response.suspended_until
        if self.deployment.champion is not None and gate_ok and up and allowed and not self.response.manual_incidents:
            scores, version = self._score(d, cols, n)
        decision = self._decide(scores)
        automated = ~np.isnan(scores)
        if self.plan["problem.oversight"] == "review_all":
            automated[:] = False
        elif self.plan["problem.oversight"] == "review_adverse" or self.response.pause_incidents:
            automated &= decision != 1
        y = cols[TARGET]
        final = np.where(automated, decision, np.nan)
        log = DayLog(d, cols, y, cols[self.sc.policy.fairness.attribute], scores, decision, automated, final,
                     self._label_days(d, n), np.full(n, np.inf), version, memo=memo, own_error=own_error)
        log.counts = {"cases": n, "automated": int(automated.sum()), "unscored": int(np.isnan(scores).sum()),
                      "reviewed": int((~automated & ~np.isnan(scores)).sum()), "gate_ok": gate_ok, "up": up}
        self.records.logs[d] = log
        self.records.labels[d] = label_row(log, self.sc.task.type)
        self._count_harms(d, self.harms(y[automated], decision[automated]))
        return log, np.flatnonzero(~automated), correct

    def _score(self, d: int, cols, n: int) -> tuple[np.ndarray, np.ndarray]:
        scores, ok = self.cache.scores(self.deployment.champion, d)
        scores = np.where(ok, scores, np.nan)
        version = np.where(ok, self.deployment.champion.version, 0).astype(np.int32)
        if self.deployment.candidate is not None and self.deployment.candidate[1] in ("canary", "ab_test"):
            model, _, share = self.deployment.candidate
            routed = rng_for(self.seed, Stream.ROUTING, d).random(n) < share
            c_scores, c_ok = self.cache.scores(model, d)
            scores = np.where(routed, np.where(c_ok, c_scores, np.nan), scores)
            version = np.where(routed, np.where(c_ok, model.version, 0), version).astype(np.int32)
        return scores, version

    def _decide(self, scores: np.ndarray) -> np.ndarray:
        if self.sc.task.type == "regression":
            return scores
        out = np.full(len(scores), np.nan)
        ok = ~np.isnan(scores)
        out[ok] = (scores[ok] >= self.knobs[Knob.decision_threshold]).astype(float)
        return out

    def _label_days(self, d: int, n: int) -> np.ndarray:
        due = float(d + self.sc.timeline.label_delay_days)
        for e in self.events:
            if e.kind.value == "label_stall" and e.day <= due < e.day + e.duration_days:
                due = float(e.day + e.duration_days)
        return np.full(n, due)

    # ------------------------------------------------------------------ caseworkers

    def complete_review(self, log: DayLog, rows: np.ndarray, correct: np.ndarray) -> None:
        y = log.y[rows]
        if self.sc.task.type == "regression":
            own = y + log.own_error[rows]  # the reviewer's own estimate, where the model gave none
            final = np.where(correct, y, np.where(np.isnan(log.decision[rows]), own, log.decision[rows]))
        else:
            final = np.where(correct, y, 1 - y).astype(float)
        log.final[rows] = final
        if self.plan["feedback.overrides_as_labels"]:
            log.feedback_day[rows] = self.now
        wait = self.now - (log.day + BATCH_TIME)
        d = int(self.now)
        totals = self.ledger.waits.setdefault(d, [0.0, 0])
        totals[0] += wait * len(rows)
        totals[1] += len(rows)
        self.ledger.queued -= len(rows)
        late = max(0.0, wait - self.sc.policy.max_wait_days)
        self.add_cost(late * len(rows) * self.sc.operations.costs.late_decision_per_day)
        if late > 0:
            self.ledger.late[d] = self.ledger.late.get(d, 0) + len(rows)
        self._count_harms(d, self.harms(y, final))

    def harms(self, y: np.ndarray, final: np.ndarray) -> tuple[int, int]:
        """(wrongful adverse decisions, missed cases); regression: (over-, under-estimates beyond tolerance)."""
        if self.sc.task.type == "regression":
            err = final - y
            tol = self.sc.task.harm_tolerance
            return int((err > tol).sum()), int((err < -tol).sum())
        return int(((final == 1) & (y == 0)).sum()), int(((final == 0) & (y == 1)).sum())

    def _count_harms(self, d: int, harms: tuple[int, int]) -> None:
        c = self.sc.operations.costs
        self.add_cost(harms[0] * c.wrongful_adverse_decision + harms[1] * c.missed_case, d)
        bucket = self.ledger.harm_days.setdefault(d, [0, 0])
        bucket[0] += harms[0]
        bucket[1] += harms[1]

    # ------------------------------------------------------------------ validation gate

    def gate_passes(self, cols, d: int, memo: dict) -> bool:
        if self.plan["data.validation_gate"] == "none" or self.deployment.champion is None:
            return True
        problems = gate_problems(self, cols, memo)
        if problems:
            self.log("validation gate", "quarantine", f"day {d} batch held back: {'; '.join(problems)}")
            detect(self, GATE_STOPS, "validation gate", self.now)
            review_gate(self)
        return not problems


# ---------------------------------------------------------------------- the world's state, by owner


@dataclass
class Deployment:
    """The models and the service that runs them: versions, the one serving, a candidate being released,
    outages, retraining under way, and what the first model's evaluation expected."""

    models: list[ModelVersion] = field(default_factory=list)
    champion: ModelVersion | None = None
    candidate: tuple[ModelVersion, str, float] | None = None  # model, mode, traffic share
    service_down_until: float = -1.0
    down_intervals: list[list[float]] = field(default_factory=list)
    down_of: dict[str, int] = field(default_factory=dict)  # a crash incident's interval (crashes can overlap)
    retraining: bool = False
    retrain_count: int = 0
    last_retrain_day: float = -1e9
    evaluations: list[dict] = field(default_factory=list)  # every version's evaluation record
    history: object = None  # the labelled history the first model was trained on
    expected_error: float = 0.0  # the first model's error rate at evaluation (harm beyond it builds complaints)
    baseline_metric: float | None = None  # the serving model's metric at evaluation


@dataclass
class Response:
    """What went wrong and what the organisation does about it: incidents, alerts, governance requests, and
    in step mode the incidents waiting for the team's response."""

    incidents: list[Incident] = field(default_factory=list)
    alerts: list = field(default_factory=list)
    governance: list[dict] = field(default_factory=list)
    pending: list[Incident] = field(default_factory=list)  # step mode: detected, not yet answered
    responses: dict[str, str] = field(default_factory=dict)  # incident id -> the team's response
    manual_incidents: set[str] = field(default_factory=set)  # incidents under manual processing
    pause_incidents: set[str] = field(default_factory=set)  # incidents with automation paused
    runbooks: dict[str, str] = field(default_factory=dict)  # what a post-incident review concluded: why -> incident
    suspended_until: float = -1.0  # automated decisions stopped by a failed review (regulator, complaint) until then


@dataclass
class MonitorState:
    """What the monitors compare with: the serving model's training data and scores, the gate's reference,
    and which signals are failing now (an alert fires when one starts failing)."""

    reference: object = None  # drift.Reference of the serving model's training data
    gate_ref: dict = field(default_factory=dict)
    reference_scores: np.ndarray | None = None
    reference_score_sums: np.ndarray | None = None
    reference_score_norm: float = 1.0
    drift_cache: dict = field(default_factory=dict)
    firing: set[str] = field(default_factory=set)
    gate_seen: dict = field(default_factory=dict)  # (check, column) -> values the range checks held back
    gate_review_due: float | None = None  # when a person reads the held-back batches (see operations.review_gate)


class Staff(simpy.Resource):
    """The review staff: a SimPy resource whose posts can be left empty during the year (the budget's
    consequence). A withdrawn post takes no new tray; the reviewer at work on one finishes it first."""

    def withdraw(self) -> None:
        self._capacity = max(0, self._capacity - 1)  # SimPy grants a request only while users < capacity


@dataclass
class Ledger:
    """Costs and harms, day by day, and the caseworkers' queue."""

    day_costs: dict[int, float] = field(default_factory=dict)
    harm_days: dict[int, list[int]] = field(default_factory=dict)  # day -> [wrongful adverse, missed]
    waits: dict[int, list] = field(default_factory=dict)  # day -> [total wait, cases decided by caseworkers]
    late: dict[int, int] = field(default_factory=dict)  # day -> cases decided later than the policy allows
    spend: float = 0.0  # the project's own spending besides running costs (set-up work, retraining runs)
    queued: int = 0
    posts_held: list[int] = field(default_factory=list)  # the day each post held empty for the budget was withdrawn


@dataclass
class Records:
    """What the run keeps of each day: its cases' log, when its labels are due, the timeline row, the audit."""

    labels: np.ndarray  # per day, as monitors.label_row: labels due, scored cases, correct decisions
    logs: dict[int, DayLog] = field(default_factory=dict)
    timeline: list[dict] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
