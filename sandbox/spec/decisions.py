"""The learner's decisions: a catalogue of every MLOps decision, its choices and default.

A plan file (``scenarios/<id>/plans/*.yaml``) maps decision ids to choices.
Every decision has a documented default (the "nothing was decided" path), so a
plan need only name what it changes. Unknown ids and invalid choices are errors.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sandbox.spec import events
from sandbox.spec.yamlio import quote


@dataclass(frozen=True)
class Decision:
    id: str
    phase: str
    question: str
    default: Any
    choices: tuple[str, ...] = ()  # for one-of decisions
    kind: str = "choice"  # choice | bool | number | subset
    low: float = 0.0
    high: float = 1.0
    help: str = ""


SIGNALS = tuple(events.SIGNALS)  # the monitor signals a plan can choose (their specs: ``spec.events``)
RESPONSES = ("rollback", "retrain_now", "manual_processing", "pause_automation", "communicate", "ignore")

CATALOGUE: tuple[Decision, ...] = (
    # problem definition
    Decision("problem.success_metric", "problem", "Which metric defines success?", "accuracy",
             ("accuracy", "balanced_accuracy", "recall", "precision", "f1", "mae", "rmse"),
             help="Used by the promotion gate and to compare challenger models."),
    Decision("problem.oversight", "problem", "How do humans oversee the model's decisions?", "automated",
             ("automated", "review_adverse", "review_all"),
             help="review_adverse: a caseworker confirms every adverse decision; review_all: every case."),
    Decision("problem.impact_assessment", "problem", "Carry out an algorithmic impact assessment?", False,
             kind="bool"),
    # data management
    Decision("data.sources", "data", "Which data sources (silos) are integrated?", ("primary",),
             kind="subset", help="'primary' means the scenario's primary source; list source ids to add more."),
    Decision("data.cleaning", "data", "How are the data cleaned?", "none", ("none", "basic", "full"),
             help="basic: remove duplicates, drop incomplete rows; full: also impute and decode legacy codes."),
    Decision("data.versioning", "data", "Version data sets and model artefacts?", False, kind="bool"),
    Decision("data.lineage", "data", "Record data lineage from source to decision?", False, kind="bool"),
    Decision("data.validation_gate", "data", "Validate each incoming batch before scoring?", "none",
             ("none", "schema", "schema_and_ranges")),
    Decision("data.minimisation", "data", "Keep protected attributes out of the model's inputs?", False,
             kind="bool"),
    # model development
    Decision("model.algorithm", "development", "Which algorithm?", "logistic_regression",
             ("logistic_regression", "decision_tree", "random_forest", "gradient_boosting", "linear_regression")),
    Decision("model.class_weight", "development", "Weight classes?", "none", ("none", "balanced")),
    Decision("model.bias_mitigation", "development", "Bias mitigation?", "none",
             ("none", "reweighing", "correlation_remover")),
    Decision("model.experiment_tracking", "development", "Track experiments?", False, kind="bool"),
    Decision("model.training_pipeline", "development", "Is training an automated pipeline?", "manual",
             ("manual", "automated")),
    # evaluation
    Decision("evaluation.method", "evaluation", "How is performance estimated?", "holdout",
             ("holdout", "cross_validation")),
    Decision("evaluation.fairness_audit", "evaluation", "Audit per-group metrics before release?", False,
             kind="bool"),
    Decision("evaluation.robustness_tests", "evaluation", "Test robustness under perturbation?", False,
             kind="bool"),
    Decision("evaluation.promotion_gate", "evaluation", "What must a model pass to go live?", "none",
             ("none", "performance", "performance_and_fairness")),
    Decision("evaluation.model_card", "evaluation", "Write a model card?", False, kind="bool"),
    # deployment
    Decision("deployment.strategy", "deployment", "How are new models released?", "big_bang",
             ("big_bang", "shadow", "canary", "ab_test")),
    Decision("deployment.canary_share", "deployment", "Share of traffic a canary serves", 0.1, kind="number",
             low=0.01, high=0.5),
    Decision("deployment.infrastructure", "deployment", "How is the model served?", "manual_server",
             ("manual_server", "containerised", "orchestrated")),
    Decision("deployment.automated_rollback", "deployment", "Roll back automatically on a failed check?",
             False, kind="bool"),
    Decision("deployment.release_approval", "deployment", "Require a named approver for each release?",
             False, kind="bool"),
    # monitoring
    Decision("monitoring.signals", "monitoring", "Which signals are monitored?", (), kind="subset",
             choices=SIGNALS),
    Decision("monitoring.cadence", "monitoring", "How often are checks run?", "monthly",
             ("daily", "weekly", "monthly")),
    Decision("monitoring.drift_threshold", "monitoring", "Column drift threshold (Wasserstein/JS)", 0.1,
             kind="number", low=0.01, high=1.0),
    Decision("monitoring.drift_share", "monitoring", "Share of drifted columns that means dataset drift", 0.5,
             kind="number", low=0.05, high=1.0),
    Decision("monitoring.performance_tolerance", "monitoring", "Alert when the metric drops by more than",
             0.05, kind="number", low=0.0, high=0.5),
    Decision("monitoring.alert_to", "monitoring", "Who receives alerts?", "dashboard",
             ("dashboard", "team_inbox", "on_call"),
             help="dashboard: nobody is notified; team_inbox: read within days; on_call: acted on the same day."),
    # retraining
    Decision("retraining.mode", "retraining", "When is the model retrained?", "none",
             ("none", "scheduled", "triggered")),
    Decision("retraining.interval_days", "retraining", "Days between scheduled retrains", 90, kind="number",
             low=7, high=365),
    Decision("retraining.data_window_days", "retraining", "Days of recent labelled cases to train on", 180,
             kind="number", low=30, high=1095),
    Decision("retraining.champion_challenger", "retraining", "Promote a retrained model only if it beats"
             " the current one?", False, kind="bool"),
    Decision("retraining.human_signoff", "retraining", "Require human sign-off before a retrained model"
             " goes live?", False, kind="bool"),
    # feedback loop
    Decision("feedback.overrides_as_labels", "feedback", "Feed caseworker decisions back as labels?", False,
             kind="bool"),
    Decision("feedback.appeals_channel", "feedback", "Offer a clear appeals and complaints channel?", False,
             kind="bool"),
    Decision("feedback.post_incident_review", "feedback", "Hold a post-incident review after each incident?",
             False, kind="bool"),
    # governance
    Decision("governance.audit_trail", "governance", "Keep an audit trail of decisions and changes?", False,
             kind="bool"),
    Decision("governance.documentation", "governance", "What documentation is kept?", "none",
             ("none", "model_card", "model_card_and_datasheet")),
    Decision("governance.transparency_record", "governance", "Publish an algorithmic transparency record?",
             False, kind="bool"),
    Decision("governance.access_control", "governance", "Restrict access to data and models by role?", False,
             kind="bool"),
)
# What each choice costs and buys, shown beside the question in the app.
TRADE_OFFS = {
    "problem.impact_assessment": "Takes staff time before launch. It sets the impact level (I–IV) and with it the "
    "obligations (human final decisions, peer review, explanations) the rubric checks; without it nobody knows "
    "which obligations apply.",
    "data.versioning": "A small storage and process cost. Makes rolling back to a known-good model and its data "
    "possible, and lets an auditor reproduce a past decision.",
    "data.lineage": "Some engineering effort. Answers 'where did this input come from?' in an audit or a freedom-"
    "of-information request, and speeds up finding an upstream fault.",
    "data.validation_gate": "schema: holds back batches with unknown categories (a changed upstream schema); "
    "schema_and_ranges: also medians outside the training range and jumps in missing values. Held-back cases go "
    "to caseworkers (longer waits) instead of being scored on broken data.",
    "data.minimisation": "Data-protection law asks for no more personal data than the purpose needs. Proxies such "
    "as postcode can still carry the same information, so keep measuring fairness.",
    "model.algorithm": "Logistic (or linear) regression is simple to explain but misses interactions; trees and "
    "forests capture them but are harder to explain; gradient boosting is usually the most accurate and copes "
    "with missing values itself.",
    "model.class_weight": "balanced: the rarer outcome counts more in training, which finds more of it at the "
    "price of more false positives.",
    "model.bias_mitigation": "reweighing (Kamiran and Calders) weights training cases so outcome and group are "
    "independent; the correlation remover (fairlearn) strips the protected attribute's linear signal from the "
    "inputs. Both can narrow gaps between groups and may cost some accuracy.",
    "model.experiment_tracking": "Records every training run's data, settings and results: reproducible and open "
    "to review, for a little overhead.",
    "model.training_pipeline": "automated: a retrain takes about a day instead of a week or more, and fails far "
    "less often; the pipeline has to be built and maintained.",
    "evaluation.method": "Cross-validation gives a steadier estimate, with its spread, for five times the training "
    "cost; a single holdout is quicker but noisier.",
    "evaluation.fairness_audit": "Per-group metrics before release (fairlearn's MetricFrame). Needed for a "
    "fairness gate and to answer a bias complaint with evidence.",
    "evaluation.robustness_tests": "Scores the test set again with noisy and with missing inputs, to show how "
    "fragile the model is before the world tests it.",
    "evaluation.promotion_gate": "A model goes live only if it reaches the required metric (and, with fairness, "
    "stays within the agency's limit). Stops bad models; a no-go leaves the cases with caseworkers.",
    "evaluation.model_card": "Documents intended use, data, metrics and known limits; auditors and the public "
    "read it.",
    "deployment.strategy": "big_bang: every case at once; shadow: the new model scores silently beside the old "
    "one; canary: a small share of cases first; ab_test: traffic split to compare. Gradual releases limit the "
    "harm of a bad release but take longer.",
    "deployment.canary_share": "A bigger share finds a problem sooner but exposes more people if the release is "
    "bad.",
    "deployment.infrastructure": "manual_server: a crash takes a day or more to fix; containerised: hours; "
    "orchestrated: restarted in minutes. Each step up costs more to set up and run.",
    "deployment.automated_rollback": "Goes back to the previous model as soon as a release fails its checks, "
    "without waiting for someone to notice.",
    "deployment.release_approval": "A named person signs off each release: accountability and a second look, "
    "for about two days' delay.",
    "monitoring.signals": "data_drift: inputs change (seen at once); prediction_drift: scores change; performance: "
    "needs outcomes, which arrive late; fairness: the gap between groups; system_health: the service is up and "
    "scoring.",
    "monitoring.cadence": "Daily checks catch problems soonest; monthly checks cost least but can leave weeks of "
    "harm unnoticed.",
    "monitoring.drift_threshold": "Lower values alert on smaller changes: earlier warnings, more false alarms. "
    "0.1 is Evidently's default.",
    "monitoring.drift_share": "The share of columns that must drift before the data as a whole count as drifted; "
    "lower is more sensitive.",
    "monitoring.performance_tolerance": "How far the observed metric may fall below its value at release before "
    "an alert is raised.",
    "retraining.mode": "scheduled: every so many days, whatever happens; triggered: when a monitor alerts; none: "
    "the model ages as the world changes.",
    "retraining.interval_days": "Shorter intervals follow change closely, at the cost of a training run each "
    "time.",
    "retraining.data_window_days": "Recent cases reflect today's world; a longer window gives more data but mixes "
    "in patterns that no longer hold.",
    "retraining.champion_challenger": "A retrained model replaces the current one only if it does better on the "
    "same test cases, which guards against a worse retrain.",
    "retraining.human_signoff": "A person approves each retrained model before it goes live: a safeguard that "
    "adds about two days.",
    "feedback.overrides_as_labels": "Caseworkers' decisions become training labels long before appeal outcomes "
    "arrive: fresher labels, but they carry the caseworkers' own mistakes.",
    "feedback.appeals_channel": "People can challenge decisions and report problems: complaints surface what "
    "monitors miss, and high-impact systems must offer recourse.",
    "feedback.post_incident_review": "After each incident, a review of what happened and what to change; it "
    "takes staff time and prevents repeats.",
    "governance.audit_trail": "Logs every decision, release and change. Without it an audit or a freedom-of-"
    "information request cannot be answered.",
    "governance.documentation": "model_card: the model's use, data, metrics and limits; datasheet: where the "
    "data came from and their faults.",
    "governance.transparency_record": "Publishes what the system does and how it is governed (as public-sector "
    "transparency standards ask); builds public trust.",
    "governance.access_control": "Only named roles can read personal data or change models: protects the data "
    "and makes every change accountable.",
}
CATALOGUE = tuple(replace(d, help=d.help or TRADE_OFFS[d.id]) for d in CATALOGUE)
BY_ID = {d.id: d for d in CATALOGUE}

# The options that mean something for a task; a decision left with one option is not offered. The engine would
# fit a logistic model for a classification plan naming linear regression (and a ridge model the other way),
# fall back to accuracy or MAE for a metric the task does not have, and ignore class weights in a regression:
# a plan file naming such an option is refused, and a saved plan holding one takes the task's default.
FOR_TASK: dict[str, dict[str, tuple[str, ...]]] = {
    "classification": {"model.algorithm": ("logistic_regression", "decision_tree", "random_forest",
                                           "gradient_boosting"),
                       "problem.success_metric": ("accuracy", "balanced_accuracy", "recall", "precision", "f1")},
    "regression": {"model.algorithm": ("linear_regression", "decision_tree", "random_forest", "gradient_boosting"),
                   "problem.success_metric": ("mae", "rmse"), "model.class_weight": ("none",)},
}


# A decision that matters only under another's choice: the phase form says when it applies, and the calibration
# sweep does not vary it in a plan where it cannot (changing it there moves nothing, by design).
APPLIES_WHEN: dict[str, tuple[str, Any, str]] = {
    "retraining.interval_days": ("retraining.mode", lambda v: v == "scheduled", "retraining is scheduled"),
    "deployment.canary_share": ("deployment.strategy", lambda v: v == "canary", "new models are released as a "
                                "canary"),
    "monitoring.drift_threshold": ("monitoring.signals", lambda v: bool({"data_drift", "prediction_drift"} & set(v)),
                                   "data or prediction drift is monitored"),
    "monitoring.drift_share": ("monitoring.signals", lambda v: "data_drift" in v, "data drift is monitored"),
    "monitoring.performance_tolerance": ("monitoring.signals", lambda v: "performance" in v,
                                         "performance is monitored"),
}


def applies(key: str, decisions: dict[str, Any]) -> bool:
    """Whether the decision can make a difference given the plan's other choices (``APPLIES_WHEN``)."""
    rule = APPLIES_WHEN.get(key)
    return rule is None or rule[0] not in decisions or bool(rule[1](decisions[rule[0]]))


def applies_words(key: str) -> str:
    rule = APPLIES_WHEN.get(key)
    return f"Applies only when {rule[2]}." if rule else ""


def options(decision: Decision, task: str) -> tuple[str, ...]:
    """A one-of decision's options that mean something for the task (``FOR_TASK``)."""
    return FOR_TASK.get(task, {}).get(decision.id, decision.choices)


def task_default(decision: Decision, task: str) -> Any:
    """The decision's default for the task: the catalogue's, or the task's first option when that does not fit."""
    fitting = options(decision, task)
    return decision.default if decision.kind != "choice" or decision.default in fitting else fitting[0]

# The gold-plated plan, the calibration's box-ticker: for every decision its most thorough or most expensive
# option. Yes/no practices are all on; every signal and every data source is taken; a number takes the end of
# its range named here (the tightest threshold, the shortest retraining interval, the longest data window,
# the largest canary); a one-of decision takes the option named here. A decision not named here (which metric
# defines success) has no "more thorough" option and keeps the plan's own choice; a scenario's own decision
# takes its last listed option, which authors list from least to most thorough.
THOROUGH: dict[str, Any] = {
    "problem.oversight": "review_all",
    "data.cleaning": "full",
    "data.validation_gate": "schema_and_ranges",
    "model.algorithm": "gradient_boosting",
    "model.class_weight": "balanced",
    "model.bias_mitigation": "reweighing",
    "model.training_pipeline": "automated",
    "evaluation.method": "cross_validation",
    "evaluation.promotion_gate": "performance_and_fairness",
    "deployment.strategy": "shadow",
    "deployment.canary_share": "high",
    "deployment.infrastructure": "orchestrated",
    "monitoring.cadence": "daily",
    "monitoring.drift_threshold": "low",
    "monitoring.drift_share": "low",
    "monitoring.performance_tolerance": "low",
    "monitoring.alert_to": "on_call",
    "retraining.mode": "scheduled",
    "retraining.interval_days": "low",
    "retraining.data_window_days": "high",
    "governance.documentation": "model_card_and_datasheet",
}


def most_thorough(decision: Decision, current: Any, source_ids: list[str], task: str = "classification") -> Any:
    """The gold-plated plan's choice for a catalogue decision (see ``THOROUGH``); ``current`` when none is more
    thorough than another, or the most thorough does not fit the task."""
    if decision.kind == "bool":
        return True
    if decision.kind == "subset":
        return list(decision.choices or ("primary", *source_ids))
    rule = THOROUGH.get(decision.id)
    if rule is None:
        return current
    if decision.kind == "number":
        value = decision.low if rule == "low" else decision.high
        return int(value) if float(value).is_integer() and isinstance(decision.default, int) else value
    return rule if rule in options(decision, task) else current


# The set-up work each practice takes before it can run, in person-days of the project team: a yes/no practice
# when on, a one-of decision by its option, a set by each element beyond the scenario's primary source (an extra
# data source to integrate, a monitor to build). The work the team cannot fit in before the go-live date delays
# the launch (``spec.scenario.Resources``), and every person-day is paid for out of the project's budget. The
# figures are the same in every scenario: they describe the work, not the service.
SETUP_DAYS: dict[str, Any] = {
    "problem.oversight": {"review_adverse": 4, "review_all": 6},  # review procedure, training, a review tray
    "problem.impact_assessment": 8,
    "data.sources": 10,  # each source beyond the primary: access agreement, extract, matching
    "data.cleaning": {"basic": 3, "full": 8},
    "data.versioning": 3,
    "data.lineage": 4,
    "data.validation_gate": {"schema": 3, "schema_and_ranges": 5},
    "data.minimisation": 2,
    "model.bias_mitigation": {"reweighing": 3, "correlation_remover": 3},
    "model.experiment_tracking": 2,
    "model.training_pipeline": {"automated": 10},
    "evaluation.method": {"cross_validation": 2},
    "evaluation.fairness_audit": 4,
    "evaluation.robustness_tests": 4,
    "evaluation.promotion_gate": {"performance": 1, "performance_and_fairness": 2},
    "evaluation.model_card": 2,
    "deployment.strategy": {"shadow": 4, "canary": 5, "ab_test": 6},
    "deployment.infrastructure": {"containerised": 6, "orchestrated": 14},
    "deployment.automated_rollback": 3,
    "deployment.release_approval": 1,
    "monitoring.signals": 2,  # each monitor
    "monitoring.alert_to": {"team_inbox": 1, "on_call": 3},
    "retraining.mode": {"scheduled": 2, "triggered": 3},
    "retraining.champion_challenger": 2,
    "retraining.human_signoff": 1,
    "feedback.overrides_as_labels": 2,
    "feedback.appeals_channel": 5,
    "feedback.post_incident_review": 1,
    "governance.audit_trail": 3,
    "governance.documentation": {"model_card": 1, "model_card_and_datasheet": 3},
    "governance.transparency_record": 3,
    "governance.access_control": 3,
}


def setup_days(key: str, value: Any) -> float:
    """Person-days of set-up work one decision's choice takes (``SETUP_DAYS``)."""
    rule = SETUP_DAYS.get(key)
    if rule is None:
        return 0.0
    if isinstance(rule, dict):
        return float(rule.get(value, 0)) if isinstance(value, str) else 0.0
    if isinstance(value, list | tuple):
        return float(rule * len([v for v in value if v != "primary"]))
    return float(rule) if value is True else 0.0


def plan_setup_days(decisions: dict[str, Any]) -> dict[str, float]:
    """Each decision's set-up work in the plan, for those that take any."""
    days = {key: setup_days(key, value) for key, value in decisions.items()}
    return {key: d for key, d in days.items() if d > 0}


class UnknownDecision(KeyError):
    """A decision id no plan has, with the nearest known id suggested (a typo must never pass silently)."""

    def __init__(self, key: str, known):
        near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
        self.key = key
        self.message = f"no decision '{quote(key)}'" + (f"; did you mean '{near[0]}'?" if near else "")
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Plan:
    """A learner's decisions: every decision of the catalogue and of the scenario, each with its choice.
    Reading or changing a decision that does not exist raises ``UnknownDecision``; ``plan.monitoring.cadence``
    reads ``plan["monitoring.cadence"]``."""

    name: str
    decisions: dict[str, Any]
    impact_answers: dict[str, str] = field(default_factory=dict)
    description: str = ""

    def __getitem__(self, key: str) -> Any:
        try:
            return self.decisions[key]
        except KeyError:
            raise UnknownDecision(key, self.decisions) from None

    def __getattr__(self, section: str) -> _Section:
        if section.startswith("_") or not any(k.startswith(section + ".") for k in self.decisions):
            raise AttributeError(section)
        return _Section(self, section)

    def with_changes(self, **changes: Any) -> Plan:
        """A copy with some decisions changed; keys use '__' for '.' (``monitoring__signals``)."""
        new = dict(self.decisions)
        for k, v in changes.items():
            key = k.replace("__", ".")
            if key not in new:
                raise UnknownDecision(key, new)
            new[key] = v
        return Plan(self.name, new, dict(self.impact_answers), self.description)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "decisions": dict(sorted(self.decisions.items())),
                "impact_answers": dict(sorted(self.impact_answers.items()))}


class _Section:
    """One phase's decisions of a plan, as attributes: ``plan.monitoring.cadence``."""

    __slots__ = ("_plan", "_name")

    def __init__(self, plan: Plan, name: str):
        self._plan, self._name = plan, name

    def __getattr__(self, name: str) -> Any:
        return self._plan[f"{self._name}.{name}"]


def normalised(saved: dict, all_defaults: dict[str, Any]) -> dict:
    """A saved plan (``{"name", "decisions", "impact_answers"}``) as this version knows plans: every decision
    present (one added since it was saved takes its default) and none this version no longer has. Saved
    attempts are read through this, so an old attempt opens on every phase page."""
    kept = {k: v for k, v in (saved.get("decisions") or {}).items() if k in all_defaults}
    return {**saved, "decisions": {**all_defaults, **kept}, "impact_answers": dict(saved.get("impact_answers") or {})}


class PlanFile(BaseModel):
    """What a plan file holds; choices are checked against the catalogue by ``check_choices``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    decisions: dict[str, Any] = {}
    impact_answers: dict[str, str] = {}


def check_choice(decision: Decision, value: Any, source_ids: list[str]) -> str | None:
    """Return an error message if ``value`` is not a valid choice for ``decision``."""
    if decision.kind == "bool":
        return None if isinstance(value, bool) else "expected true or false"
    if decision.kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "expected a number"
        if not decision.low <= value <= decision.high:
            return f"must be between {decision.low:g} and {decision.high:g}"
        return None
    if decision.kind == "subset":
        allowed = decision.choices or ("primary", *source_ids)
        if not isinstance(value, list):
            return f"expected a list drawn from: {', '.join(allowed)}"
        bad = [v for v in value if not isinstance(v, str) or v not in allowed]
        return f"unknown choice(s) {quote(', '.join(map(quote, bad)))}; allowed: {', '.join(allowed)}" if bad else None
    if not isinstance(value, str) or value not in decision.choices:
        return f"invalid choice '{quote(value)}'; allowed: {', '.join(decision.choices)}"
    return None


def defaults(task: str = "classification") -> dict[str, Any]:
    """Every catalogue decision at its default for the task (``task_default``)."""
    return {d.id: (list(d.default) if isinstance(d.default, tuple) else task_default(d, task)) for d in CATALOGUE}


def in_phase(phase: str, scenario) -> list[tuple[str, Any]]:
    """(id, decision) for a lifecycle phase: the catalogue's offered for the scenario's task (a decision left
    with one option is not offered), then the scenario's own."""
    task = scenario.task.type
    core = [(d.id, d) for d in CATALOGUE if d.phase == phase and (d.kind != "choice" or len(options(d, task)) > 1)]
    own = [(k, d) for k, d in scenario.decisions.items() if d.phase == phase]
    return core + own
