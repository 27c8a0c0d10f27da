"""Scenario files: the world a simulated public-sector AI project lives in.

A scenario (``scenarios/<id>/scenario.yaml``) declares its context, task, data,
timeline, operations, events, policy limits and difficulty variants. Models are
frozen and forbid unknown fields so that a typo is an error, not a silent default.
Units are in field names (``label_delay_days``, ``cost_per_case``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.spec.events import DRIFT_KINDS, GOVERNANCE_KINDS, KINDS, EventKind  # noqa: F401  (re-exported)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- context and task


class Context(Frozen):
    agency: str
    service: str = Field(description="The public service the AI project supports.")
    problem: str
    affected: str = Field(description="Who is affected by the model's decisions, and how.")
    stakeholders: list[str] = Field(min_length=1)
    learning_objectives: list[str] = Field(min_length=1)


class Task(Frozen):
    type: Literal["classification", "regression"]
    target: str = Field(description="Name of the target column.")
    positive_means: str = Field(
        default="adverse action",
        description="Classification: what a positive prediction triggers (e.g. 'claim flagged for denial').",
    )
    decision_threshold: float = Field(default=0.5, gt=0, lt=1)
    harm_tolerance: float = Field(
        default=0.0, ge=0, description="Regression: absolute error above which a case counts as harmed."
    )


# --------------------------------------------------------------------------- data


class GroupShift(Frozen):
    """How a feature differs for members of one protected group (makes realistic proxies)."""

    attribute: str
    value: str
    shift: float = Field(default=0.0, description="Numeric: added to the feature (in its own units).")
    weights: dict[str, float] | None = Field(
        default=None, description="Categorical: replacement category weights for this group."
    )


class Feature(Frozen):
    name: str
    source: str
    kind: Literal["numeric", "categorical"]
    distribution: Literal["normal", "lognormal", "uniform", "poisson", "categorical"] = "normal"
    mean: float = 0.0
    sd: float = Field(default=1.0, ge=0)
    low: float = 0.0
    high: float = 1.0
    categories: dict[str, float] | None = None
    clip_min: float | None = None
    clip_max: float | None = None
    round_to: float | None = Field(default=None, gt=0)
    group_shifts: list[GroupShift] = []

    @model_validator(mode="after")
    def _kind_matches(self) -> Feature:
        if self.kind == "categorical" and not self.categories:
            raise ValueError("a categorical feature needs 'categories' with their weights")
        if self.kind == "numeric" and self.distribution == "categorical":
            raise ValueError("a numeric feature cannot use the 'categorical' distribution")
        return self


class ProtectedAttribute(Frozen):
    name: str
    categories: dict[str, float] = Field(min_length=2)


class TargetTerm(Frozen):
    """One term of the target's dependence on a feature."""

    feature: str
    form: Literal["linear", "below", "above", "category"] = "linear"
    weight: float
    threshold: float | None = None
    category: str | None = None
    center: float = Field(default=0.0, description="Linear terms use (x - center) / scale.")
    scale: float = Field(default=1.0, gt=0)


class TargetSpec(Frozen):
    intercept: float = 0.0
    terms: list[TargetTerm] = Field(min_length=1)
    noise_sd: float = Field(default=0.0, ge=0, description="Regression: residual standard deviation.")
    label_noise: float = Field(default=0.0, ge=0, le=0.5, description="Classification: share of flipped labels.")


class LegacyEncoding(Frozen):
    """A share of records from a legacy system encode a column differently."""

    column: str
    share: float = Field(gt=0, le=1)
    codes: dict[str, str] | None = Field(default=None, description="Categorical: canonical value → legacy code.")
    sentinel: float | None = Field(default=None, description="Numeric: legacy 'unknown' value, e.g. -999.")


class Source(Frozen):
    id: str
    description: str
    primary: bool = False
    legacy: bool = False
    missing_rate: float = Field(default=0.0, ge=0, le=1)
    duplicate_rate: float = Field(default=0.0, ge=0, le=1)
    legacy_encodings: list[LegacyEncoding] = []


class SyntheticData(Frozen):
    history_cases: int = Field(gt=100, le=200_000, description="Historical labelled cases for training.")
    protected: list[ProtectedAttribute] = Field(min_length=1)
    features: list[Feature] = Field(min_length=1)
    target: TargetSpec
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_resolve(self) -> SyntheticData:
        names = {f.name for f in self.features}
        sources = {s.id for s in self.sources}
        attrs = {p.name: p for p in self.protected}
        for f in self.features:
            if f.source not in sources:
                raise ValueError(f"feature '{f.name}' names unknown source '{f.source}'")
            for g in f.group_shifts:
                if g.attribute not in attrs or g.value not in attrs[g.attribute].categories:
                    raise ValueError(f"feature '{f.name}' shifts unknown group {g.attribute}={g.value}")
        for t in self.target.terms:
            if t.feature not in names:
                raise ValueError(f"target term names unknown feature '{t.feature}'")
        if sum(s.primary for s in self.sources) != 1:
            raise ValueError("exactly one source must be 'primary: true'")
        return self


class CsvData(Frozen):
    path: str = Field(description="CSV file, relative to the scenario folder.")
    target: str
    protected: list[str] = Field(min_length=1)
    numeric: list[str] = []
    categorical: list[str] = []
    date_column: str | None = None
    max_rows: int = Field(default=500_000, gt=0)


class DataSpec(Frozen):
    synthetic: SyntheticData | None = None
    csv: CsvData | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DataSpec:
        if (self.synthetic is None) == (self.csv is None):
            raise ValueError("give exactly one of 'synthetic' or 'csv'")
        return self


# --------------------------------------------------------------------------- time and operations


class Seasonality(Frozen):
    amplitude: float = Field(default=0.0, ge=0, lt=1)
    peak_day: int = Field(default=0, ge=0, le=365)
    weekend_factor: float = Field(default=1.0, ge=0, le=1)


class Timeline(Frozen):
    days: int = Field(gt=0, le=1095)
    cases_per_day: float = Field(gt=0, le=20_000)
    seasonality: Seasonality = Seasonality()
    label_delay_days: int = Field(ge=0, le=365)


class Costs(Frozen):
    caseworker_per_day: float = Field(ge=0)
    wrongful_adverse_decision: float = Field(ge=0)
    missed_case: float = Field(ge=0)
    infrastructure_per_day: dict[Literal["manual_server", "containerised", "orchestrated"], float]
    monitoring_signal_per_day: float = Field(default=0.0, ge=0)
    retraining_run: float = Field(default=0.0, ge=0)
    failed_audit: float = Field(default=0.0, ge=0)
    late_decision_per_day: float = Field(default=0.0, ge=0)
    on_call_per_day: float = Field(default=150.0, ge=0, description="An on-call rota for alerts, per day.")
    check_review: float = Field(default=20.0, ge=0, description="Staff time to read one run of the monitoring "
                                "checks (daily checks cost 30 times what monthly ones do).")


class Resources(Frozen):
    """What the agency has for the project besides its caseworkers: set-up time before the go-live date (day 0 of
    the year) and a budget for the year. Every practice the plan adopts takes set-up work
    (``spec.decisions.SETUP_DAYS``, in team-days) and some cost money every day; work beyond what the team can do
    before the go-live date delays the launch, and the cases that arrive meanwhile go to caseworkers."""

    team_size: int = Field(default=4, gt=0, le=100, description="People on the project team.")
    preparation_days: float = Field(default=30, ge=0, le=365, description="Working days the team has for "
                                    "set-up before the go-live date.")
    team_day_rate: float = Field(default=600, ge=0, description="What one person-day of set-up work costs.")
    budget: float | None = Field(default=None, gt=0, description="The project's money for the year: set-up, "
                                 "serving, monitoring, on-call, retraining and any staff beyond the service's "
                                 "current caseworkers. Default: 150 person-days of set-up work at the day "
                                 "rate, and a fifth of what the current caseworkers cost in the year for "
                                 "running the service.")
    over_budget: str = Field(default="the agency pays for the overspend by leaving review posts empty for the "
                             "rest of the year, so cases wait longer", description="What going over the budget "
                             "means for this agency, as a clause. The engine's mechanism is the same everywhere: "
                             "when the year's spending as it stands would overrun the budget, posts of the "
                             "service's own review staff are held empty for the rest of the year until what they "
                             "would have cost covers the overspend.")

    def year_budget(self, operations: Operations, days: int) -> float:
        if self.budget is not None:
            return self.budget
        staff = operations.caseworkers * operations.costs.caseworker_per_day * days
        return round(150 * self.team_day_rate + 0.2 * staff, 2)


class Operations(Frozen):
    reviewer: str = Field(default="caseworker", description="What the scenario calls one person who reviews "
                          "the model's output, as a sentence uses it (e.g. 'duty planner', 'asset engineer').")
    caseworkers: int = Field(gt=0, le=2000)
    cases_per_caseworker_per_day: float = Field(gt=0)
    caseworker_accuracy: float = Field(default=0.95, gt=0.5, le=1)
    review_tray_size: int = Field(default=10, gt=0, le=200)
    retraining_days: dict[Literal["manual", "automated"], float] = {"manual": 10, "automated": 1}
    retraining_failure_rate: dict[Literal["manual", "automated"], float] = {"manual": 0.3, "automated": 0.03}
    restart_days: dict[Literal["manual_server", "containerised", "orchestrated"], float] = {
        "manual_server": 2.0,
        "containerised": 0.5,
        "orchestrated": 0.02,
    }
    schema_fix_days: float = Field(default=3, ge=0)
    complaint_threshold_cases: int = Field(
        default=150, gt=0, description="Harmed people before complaints reveal an undetected incident."
    )
    costs: Costs


# --------------------------------------------------------------------------- events


class EventSpec(Frozen):
    kind: EventKind
    day: int | None = Field(default=None, ge=0)
    rate_per_year: float | None = Field(default=None, gt=0, le=52)
    title: str | None = None
    feature: str | None = None
    source: str | None = None
    group: str | None = Field(default=None, description="Protected group as 'attribute=value'.")
    magnitude: float = Field(default=1.0, description="Size of the effect; scaled by the difficulty.")
    duration_days: float | None = Field(
        default=None, gt=0, description="How long the event lasts. Drift and rule changes last to the end of the "
        "run unless given; other events last one day unless given (a schema change lasts until it is fixed).")
    ramp_days: int = Field(default=0, ge=0)
    category: str | None = Field(default=None, description="Categorical drift: the category that grows.")
    deadline_days: int = Field(default=20, gt=0)

    @model_validator(mode="after")
    def _when_and_what(self) -> EventSpec:
        if (self.day is None) == (self.rate_per_year is None):
            raise ValueError("give exactly one of 'day' or 'rate_per_year'")
        missing = [f for f in KINDS[self.kind].needs if getattr(self, f) is None]
        if missing:
            raise ValueError(f"event kind '{self.kind}' needs: {', '.join(missing)}")
        if self.group is not None and "=" not in self.group:
            raise ValueError("group must be written 'attribute=value'")
        return self

    @property
    def label(self) -> str:
        return self.title or self.kind.value.replace("_", " ")


class Difficulty(Frozen):
    description: str = ""
    intensity: float = Field(default=1.0, gt=0, le=5, description="Multiplies event magnitudes and rates.")
    extra_events: list[EventSpec] = []


# --------------------------------------------------------------------------- decisions and policy


class Knob(StrEnum):
    """Scenario parameters a scenario-specific decision may change."""

    caseworkers = "caseworkers"
    decision_threshold = "decision_threshold"
    review_tray_size = "review_tray_size"
    caseworker_accuracy = "caseworker_accuracy"


class DecisionChoice(Frozen):
    description: str
    sets: dict[Knob, float] = {}


class ScenarioDecision(Frozen):
    phase: Literal[
        "problem", "data", "development", "evaluation", "deployment",
        "monitoring", "retraining", "feedback", "governance",
    ]
    question: str
    default: str
    choices: dict[str, DecisionChoice] = Field(min_length=2)

    @model_validator(mode="after")
    def _default_is_a_choice(self) -> ScenarioDecision:
        if self.default not in self.choices:
            raise ValueError(f"default '{self.default}' is not one of the choices")
        return self


class ImpactQuestion(Frozen):
    """An impact-assessment question; answered in the plan, scored by the rubric issue."""

    id: str
    question: str
    points: dict[str, int] = Field(min_length=2)
    supported: list[str] = Field(default=[], description="The answers this scenario's facts support (empty: "
                                 "any answer). An answer worth fewer points than all of them understates the "
                                 "impact: it counts at the least of them, and the rubric judges it a governance "
                                 "failure.")
    why: str = Field(default="", description="What in the scenario supports those answers, for the feedback.")

    @model_validator(mode="after")
    def _supported_are_answers(self):
        unknown = [a for a in self.supported if a not in self.points]
        if unknown:
            raise ValueError(f"supported answer(s) {', '.join(unknown)} are not among the question's answers "
                             f"({', '.join(self.points)})")
        if self.supported and not self.why:
            raise ValueError("a question with supported answers says why (the feedback quotes it)")
        return self

    def floor(self) -> int | None:
        """The fewest points the scenario's facts support, or None when any answer is accepted."""
        return min(self.points[a] for a in self.supported) if self.supported else None


class FairnessLimit(Frozen):
    metric: Literal["demographic_parity_difference", "equalized_odds_difference", "error_gap"]
    max: float = Field(gt=0, description="Largest gap the agency accepts: a rate difference (0–1) for "
                       "classification; for regression, a gap in mean absolute error in the target's units.")
    attribute: str
    min_group_size: int = Field(default=30, ge=1, description="Groups with fewer test cases than this are shown "
                                "with their count but left out of every gap: a rate over a handful of people "
                                "says more about chance than about the model.")


FAIRNESS_WORDS = {"demographic_parity_difference": "selection-rate gap",
                  "equalized_odds_difference": "equalized-odds gap (true or false positive rates)",
                  "error_gap": "error gap between groups"}


def fairness_words(metric: str, task: str) -> str:
    """The policy's fairness metric as a learner reads it (a regression's gap is always in errors)."""
    return FAIRNESS_WORDS[metric] if task == "classification" else FAIRNESS_WORDS["error_gap"]


class ErrorWeights(Frozen):
    """How much each kind of harm weighs for the people affected, one wrongful adverse decision being the unit
    of comparison the scenario chooses (in a repair service a missed hazard may weigh far more than a wasted
    visit)."""

    wrongful_adverse: float = Field(default=1.0, ge=0, description="A wrongful adverse decision (a false "
                                    "positive; a regression's estimate too high beyond tolerance).")
    missed: float = Field(default=1.0, ge=0, description="A missed case (a false negative; an estimate too low).")
    late: float = Field(default=0.5, ge=0, description="A decision made later than max_wait_days, or not made "
                        "by the end of the year after waiting longer than that.")


class Policy(Frozen):
    fairness: FairnessLimit
    max_wait_days: float = Field(default=10, gt=0)
    error_weights: ErrorWeights = ErrorWeights()
    target_harm_reduction: float = Field(default=0.8, gt=0, le=1, description="The share of the manual "
                                         "service's weighted harm the agency expects the project to avoid (its "
                                         "business case): a plan that avoids this much earns the harm "
                                         "criterion's full points.")
    min_metric: float = Field(default=0.7, description="Minimum metric a model needs to pass the gate.")


class Scenario(Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    summary: str
    context: Context
    task: Task
    data: DataSpec
    timeline: Timeline
    operations: Operations
    resources: Resources = Resources()
    events: list[EventSpec] = []
    decisions: dict[str, ScenarioDecision] = {}
    impact_questions: list[ImpactQuestion] = []
    policy: Policy
    difficulty: dict[Literal["introductory", "standard", "advanced"], Difficulty] = {"standard": Difficulty()}

    @model_validator(mode="after")
    def _events_refer_to_known_things(self) -> Scenario:
        for ev in [*self.events, *(e for d in self.difficulty.values() for e in d.extra_events)]:
            problem = self.unknown_in(ev)
            if problem:
                raise ValueError(problem)
        if self.policy.fairness.attribute not in self.protected_names():
            raise ValueError(f"policy fairness attribute '{self.policy.fairness.attribute}' is not protected")
        fairness = self.policy.fairness
        if self.task.type == "classification" and fairness.max > 1:
            raise ValueError(f"policy fairness max {fairness.max:g} is a rate difference and must be at most 1")
        if self.task.type == "regression" and fairness.metric != "error_gap":
            raise ValueError("a regression task's fairness limit must use the metric 'error_gap'")
        for key in self.decisions:
            if not key.startswith("scenario."):
                raise ValueError(f"scenario decision '{key}' must be named 'scenario.<name>'")
        return self

    def unknown_in(self, ev: EventSpec) -> str | None:
        """What an event names that this scenario does not have (a feature, source or protected attribute)."""
        if ev.feature and ev.feature not in self.feature_names():
            return f"event '{ev.kind}' names unknown feature '{ev.feature}'"
        if ev.source and ev.source not in self.source_ids():
            return f"event '{ev.kind}' names unknown source '{ev.source}'"
        if ev.group and ev.group.split("=")[0] not in self.protected_names():
            return f"event '{ev.kind}' names unknown protected attribute in '{ev.group}'"
        return None

    def feature_names(self) -> list[str]:
        if self.data.synthetic:
            return [f.name for f in self.data.synthetic.features]
        return [*self.data.csv.numeric, *self.data.csv.categorical]

    def source_ids(self) -> list[str]:
        return [s.id for s in self.data.synthetic.sources] if self.data.synthetic else ["csv"]

    def protected_names(self) -> list[str]:
        if self.data.synthetic:
            return [p.name for p in self.data.synthetic.protected]
        return list(self.data.csv.protected)

    def events_for(self, difficulty: str) -> list[EventSpec]:
        if difficulty not in self.difficulty:
            raise KeyError(f"scenario '{self.id}' has no difficulty '{difficulty}' ({', '.join(self.difficulty)})")
        return [*self.events, *self.difficulty[difficulty].extra_events]
