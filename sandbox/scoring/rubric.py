"""Rubric files: sections and criteria, declared in YAML and checked like scenarios.

A criterion is judged by its levels, best first: the first level whose conditions all
hold gives the criterion its points and feedback. A condition compares one *fact*
(``plan.<decision>``, ``run.<...>``, ``ref.<...>`` for the expert plan replayed on the
same seed, ``impact.<...>``) with a value, using a small fixed vocabulary of comparisons.
Nothing in a rubric is ever evaluated as code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.spec.lessons import lesson_anchors, link_problem
from sandbox.spec.scenario import EventKind
from sandbox.spec.yamlio import LoadError, Problem, parse_model, read_yaml

CORE_RUBRIC = Path(__file__).with_name("core.yaml")
FACT_PREFIXES = ("plan.", "run.", "ref.", "base.", "impact.")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.\-]+)\}")
ML_TEST_SECTIONS = ("data", "model", "infrastructure", "monitoring")
EVENT_FACT = re.compile(r"^(?:run|ref)\.(?:incident|governance)\.([a-z_]+)\.")
COMPARISONS = ("equals", "not_equals", "in", "contains", "ge", "le", "between", "present", "ge_ref", "le_ref")


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Frozen):
    """One comparison over one fact. Exactly one comparison per condition.

    ``count``: compare how many times this value occurs in a list-valued fact, instead of the fact.
    ``ge_ref`` / ``le_ref``: the run's value against the reference run's value of the same fact,
    times the given factor (e.g. ``le_ref: 1.1`` is "at most 10% worse than the expert plan").
    """

    fact: str
    count: Any = None
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    contains: Any = None
    ge: float | None = None
    le: float | None = None
    between: tuple[float, float] | None = None
    present: bool | None = None
    ge_ref: float | None = None
    le_ref: float | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _one_comparison(self) -> Condition:
        if not self.fact.startswith(FACT_PREFIXES):
            raise ValueError(f"fact '{self.fact}' must start with one of {', '.join(FACT_PREFIXES)}")
        given = [name for name in COMPARISONS if getattr(self, "in_" if name == "in" else name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one comparison ({', '.join(COMPARISONS)}); found "
                             f"{', '.join(given) or 'none'}")
        if given[0] in ("ge_ref", "le_ref") and not self.fact.startswith("run."):
            raise ValueError("ge_ref and le_ref compare a 'run.' fact with the reference run")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError("between needs [low, high] with low <= high")
        return self

    @property
    def comparison(self) -> str:
        return next(n for n in COMPARISONS if getattr(self, "in_" if n == "in" else n) is not None)


class Scale(Frozen):
    """Points in proportion to where a figure falls between two anchors: all of ``points`` at ``full`` or
    better, none at ``zero`` or worse, in a straight line between (either direction: a share of harm avoided
    rises to its full mark, a share of cases decided late falls to it). An anchor is a number or a fact's name
    (``base.kpis.late_share``, the manual service's). A figure that is missing earns nothing."""

    fact: str
    full: float | str
    zero: float | str
    points: float = Field(gt=0, le=20)

    @model_validator(mode="after")
    def _facts(self) -> Scale:
        for name in (self.fact, self.full, self.zero):
            if isinstance(name, str) and not name.startswith(FACT_PREFIXES):
                raise ValueError(f"'{name}' must be a number or a fact starting with one of {', '.join(FACT_PREFIXES)}")
        if self.full == self.zero:
            raise ValueError("full and zero must differ")
        return self


class Level(Frozen):
    points: float = Field(default=0, ge=0, le=10, description="Omitted in a criterion with a scale: the scale "
                          "gives the points and the level only the words.")
    descriptor: str
    when: list[Condition] = Field(default=[], description="All must hold; empty = always (the last level).")
    feedback: str = Field(description="What the learner reads; {fact} placeholders show the run's evidence.")
    assessed: bool = Field(default=True, description="False for a level that means there was nothing to judge "
                           "this year (no such incident reached the service): the criterion then counts neither "
                           "for nor against the total.")


class Criterion(Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    title: str
    section: str
    kind: Literal["decision", "outcome", "consistency"]
    levels: list[Level] = Field(min_length=1)
    scale: Scale | None = Field(default=None, description="Points from where a figure falls between two "
                                "anchors; the levels then choose only the words.")
    facilitator_note: str = ""
    lesson: str = Field(description="Lesson section that teaches this, as 'lessons/<file>.md#<anchor>'.")
    references: list[str] = Field(min_length=1)
    ml_test: str | None = Field(default=None, description="The ML Test Score test this criterion scores, "
                                "e.g. 'Data 1'; its levels score 0, 0.5 (by hand) or 1 (automated).")
    improvement: str = Field(default="", description="What to change, shown when this criterion lost points.")
    assesses: list[EventKind] = Field(default=[], description="Event kinds this criterion judges besides those "
                                      "its facts name (run.incident.<kind>, run.governance.<kind>).")
    moved_by: list[str] = Field(default=[], description="Decisions that move an outcome criterion (one whose "
                                "facts name no plan. or impact. fact).")
    prorated: bool | None = Field(default=None, description="Judges how the model's service ran (incidents, "
                                  "detection, availability, fairness in service, spending): earns in proportion to "
                                  "what the service delivered, the share of the year a model served times the share "
                                  "of cases decided within the policy's limit, since a service that did not run, or "
                                  "whose cases waited past the limit, was not shown to run well. Default: yes for "
                                  "outcome and consistency criteria; harm, waits and governance requests, which the "
                                  "manual service has too, say no.")

    @model_validator(mode="after")
    def _levels(self) -> Criterion:
        if self.levels[-1].when:
            raise ValueError("the last level must have no 'when' (it applies when nothing above does)")
        if any(not lv.when for lv in self.levels[:-1]):
            raise ValueError("only the last level may omit 'when'")
        if self.scale is not None and any(lv.points for lv in self.levels):
            raise ValueError("a criterion with a scale takes its points from the scale: leave 'points' out of its "
                             "levels")
        if self.ml_test is not None:
            bad = [lv.points for lv in self.levels if lv.points not in (0, 0.5, 1)]
            if bad:
                raise ValueError(f"ML Test Score levels score 0, 0.5 or 1, not {bad[0]:g}")
        for lv in self.levels:
            for name in PLACEHOLDER.findall(lv.feedback):
                if not name.startswith(FACT_PREFIXES):
                    raise ValueError(f"feedback placeholder '{{{name}}}' is not a fact")
        return self

    @property
    def by_service_days(self) -> bool:
        return self.kind != "decision" if self.prorated is None else self.prorated

    @property
    def max_points(self) -> float:
        return self.scale.points if self.scale is not None else max(lv.points for lv in self.levels)


KINDS_WEIGHED = {"decision": "decision", "outcome": "outcome", "consistency": "outcome"}


class Weights(Frozen):
    """The share of the total each kind of criterion carries: those that read only the plan (``decision``) and
    those that judge what happened (``outcome`` and ``consistency``). Within a kind, criteria count by their
    points."""

    decision: float = Field(default=35, ge=0, le=100)
    outcome: float = Field(default=65, ge=0, le=100)

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        if abs(self.decision + self.outcome - 100) > 1e-9:
            raise ValueError(f"the weights must add up to 100 (they add up to {self.decision + self.outcome:g})")
        return self


class Cap(Frozen):
    """A ceiling on the total: when its conditions hold, the total is at most ``max_total`` and the band says
    why (a year in which no model served fails delivery, however good the paperwork)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.\-]*$")
    title: str
    when: list[Condition] = Field(min_length=1, description="All must hold.")
    max_total: float = Field(ge=0, le=100)
    band: str = Field(description="Shown instead of the readiness band while the cap holds.")
    feedback: str = Field(description="What the learner reads first; {fact} placeholders show the evidence.")
    lesson: str = Field(description="Lesson section that teaches this, as 'lessons/<file>.md#<anchor>'.")

    @model_validator(mode="after")
    def _placeholders(self) -> Cap:
        for name in PLACEHOLDER.findall(self.feedback):
            if not name.startswith(FACT_PREFIXES):
                raise ValueError(f"feedback placeholder '{{{name}}}' is not a fact")
        return self


class Section(Frozen):
    id: str
    title: str
    ml_test: bool = Field(default=False, description="An ML Test Score section (data, model, "
                          "infrastructure, monitoring): its criteria sum to the section's readiness.")


class PeerLevel(Frozen):
    points: int = Field(ge=0, le=10)
    descriptor: str


class PeerCriterion(Frozen):
    """A criterion people judge: another team scores a team's strategy on it, by its levels' descriptors."""

    id: str = Field(pattern=r"^peer\.[a-z0-9_\-]+$")
    title: str
    question: str = Field(description="What the reviewing team asks itself about the strategy.")
    section: str = Field(description="The rubric section it mirrors.")
    levels: list[PeerLevel] = Field(min_length=2, description="Lowest first, points rising.")
    lesson: str
    references: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _rising(self) -> PeerCriterion:
        points = [lv.points for lv in self.levels]
        if points != sorted(set(points)):
            raise ValueError(f"levels go from the lowest points to the highest, each once (found {points})")
        return self

    @property
    def max_points(self) -> int:
        return self.levels[-1].points


class PeerSection(Frozen):
    """The rubric's peer section: what teams score each other's strategies on in the Evaluate block."""

    title: str
    intro: str
    criteria: list[PeerCriterion] = Field(min_length=1)
    strength: str = Field(description="The free-text prompt for what the team did well.")
    suggestion: str = Field(description="The free-text prompt for a question or a suggestion.")

    @property
    def max_points(self) -> int:
        return sum(c.max_points for c in self.criteria)


class RubricFile(Frozen):
    id: str
    title: str
    extends: Literal["core"] | None = None
    sections: list[Section] = []
    criteria: list[Criterion] = []
    replaces: list[str] = Field(default=[], description="Core criteria this scenario's rubric drops.")
    caps: list[Cap] = Field(default=[], description="Ceilings on the total; a scenario's are added to the core's.")
    weights: Weights | None = Field(default=None, description="The share of the total each kind of criterion "
                                    "carries; a scenario's replace the core's.")
    peer: PeerSection | None = Field(default=None, description="The peer section; a scenario's replaces the "
                                     "core's whole.")


class Rubric(Frozen):
    id: str
    title: str
    sections: list[Section]
    criteria: list[Criterion]
    peer: PeerSection
    caps: list[Cap] = []
    weights: Weights = Weights()

    def section(self, sid: str) -> Section:
        return next(s for s in self.sections if s.id == sid)


def _read(path: Path) -> tuple[RubricFile, Any]:
    doc = read_yaml(path)
    return parse_model(doc, RubricFile), doc


def load_rubric(path: Path | None = None, lessons_dir: Path | None = None) -> Rubric:
    """The core rubric, extended by a scenario's rubric file when given."""
    core, core_doc = _read(CORE_RUBRIC)
    if path is None or not path.is_file():
        return _combine(core, None, core_doc, None, lessons_dir)
    own, doc = _read(path)
    return _combine(core, own, core_doc, doc, lessons_dir)


def _combine(core: RubricFile, own: RubricFile | None, core_doc, doc, lessons_dir: Path | None) -> Rubric:
    sections = list(core.sections)
    criteria = [(c, core_doc, i) for i, c in enumerate(core.criteria)]
    title, rid = core.title, core.id
    if own is not None:
        if own.extends != "core":
            raise LoadError([Problem(str(doc.path), doc.line_of(("extends",)), "extends",
                                     "a scenario rubric must say 'extends: core'")])
        known = {c.id for c, _, _ in criteria}
        problems = [Problem(str(doc.path), doc.line_of(("replaces", i)), f"replaces[{i}]",
                            f"no core criterion '{cid}'") for i, cid in enumerate(own.replaces) if cid not in known]
        if problems:
            raise LoadError(problems)
        criteria = _layered(core, core_doc, own, doc)
        sections += [s for s in own.sections if s.id not in {x.id for x in sections}]
        title, rid = own.title, own.id
    peer, peer_doc = (own.peer, doc) if own is not None and own.peer is not None else (core.peer, core_doc)
    if peer is None:
        raise LoadError([Problem(str(core_doc.path), 1, "peer", "the core rubric needs a peer section")])
    problems = _cross_check(sections, criteria, lessons_dir) + _peer_check(peer, peer_doc, sections, lessons_dir)
    if problems:
        raise LoadError(problems)
    caps = [*core.caps, *(own.caps if own is not None else [])]
    anchors = _anchors(lessons_dir)
    for cap, cap_doc, i in [*((c, core_doc, i) for i, c in enumerate(core.caps)),
                            *((c, doc, i) for i, c in enumerate(own.caps if own is not None else []))]:
        why = None if anchors is None else link_problem(anchors, cap.lesson)
        if why:
            problems.append(Problem(str(cap_doc.path), cap_doc.line_of(("caps", i, "lesson")), f"caps[{i}].lesson",
                                    why))
    if problems:
        raise LoadError(problems)
    weights = (own.weights if own is not None and own.weights is not None else core.weights) or Weights()
    return Rubric(id=rid, title=title, sections=sections, criteria=[c for c, _, _ in criteria], peer=peer,
                  caps=caps, weights=weights)


def _layered(core: RubricFile, core_doc, own: RubricFile | None, doc) -> list[tuple]:
    """(criterion, its document, its index) for the core's criteria less those the scenario replaces, then the
    scenario's own."""
    dropped = set(own.replaces) if own is not None else set()
    out = [(c, core_doc, i) for i, c in enumerate(core.criteria) if c.id not in dropped]
    return out + ([(c, doc, i) for i, c in enumerate(own.criteria)] if own is not None else [])


def _cross_check(sections: list[Section], criteria, lessons_dir: Path | None) -> list[Problem]:
    problems, seen = [], set()
    section_ids = {s.id for s in sections}
    anchors = _anchors(lessons_dir)
    for c, doc, i in criteria:
        where = (str(doc.path), doc.line_of(("criteria", i)))
        if c.id in seen:
            problems.append(Problem(*where, f"criteria[{i}].id", f"criterion id '{c.id}' is used twice"))
        seen.add(c.id)
        if c.section not in section_ids:
            problems.append(Problem(str(doc.path), doc.line_of(("criteria", i, "section")), f"criteria[{i}].section",
                                    f"unknown section '{c.section}' (known: {', '.join(sorted(section_ids))})"))
        why = None if anchors is None else link_problem(anchors, c.lesson)
        if why:
            problems.append(Problem(str(doc.path), doc.line_of(("criteria", i, "lesson")), f"criteria[{i}].lesson",
                                    why))
    return problems


def _peer_check(peer: PeerSection, doc, sections: list[Section], lessons_dir: Path | None) -> list[Problem]:
    problems, seen = [], set()
    section_ids, anchors = {s.id for s in sections}, _anchors(lessons_dir)
    for i, c in enumerate(peer.criteria):
        if c.id in seen:
            problems.append(Problem(str(doc.path), doc.line_of(("peer", "criteria", i)), f"peer.criteria[{i}].id",
                                    f"peer criterion id '{c.id}' is used twice"))
        seen.add(c.id)
        if c.section not in section_ids:
            problems.append(Problem(str(doc.path), doc.line_of(("peer", "criteria", i, "section")),
                                    f"peer.criteria[{i}].section", f"unknown section '{c.section}' (known: "
                                    f"{', '.join(sorted(section_ids))})"))
        why = None if anchors is None else link_problem(anchors, c.lesson)
        if why:
            problems.append(Problem(str(doc.path), doc.line_of(("peer", "criteria", i, "lesson")),
                                    f"peer.criteria[{i}].lesson", why))
    return problems


def _anchors(lessons_dir: Path | None) -> dict[str, frozenset[str]] | None:
    """The lessons' section anchors by file, or None before any lesson is written."""
    if lessons_dir is None or not lessons_dir.is_dir() or not any(lessons_dir.glob("*.md")):
        return None
    return lesson_anchors(lessons_dir)


def criterion_facts(c: Criterion) -> list[str]:
    scale = [] if c.scale is None else [f for f in (c.scale.fact, c.scale.full, c.scale.zero) if isinstance(f, str)]
    return [cond.fact for lv in c.levels for cond in lv.when] + scale


def _unmoving_decisions(criteria, scenario, sdoc) -> list[Problem]:
    """Every decision the scenario offers (the catalogue's that fit its task, and its own) is compared by some
    criterion or listed under a criterion's ``moved_by``: a decision that moves nothing the rubric reads teaches
    nothing."""
    from sandbox.spec.decisions import CATALOGUE, options

    task = scenario.task.type
    read = set()
    for c, _, _ in criteria:
        read |= {f.removeprefix("plan.") for f in criterion_facts(c) if f.startswith("plan.")}
        read |= set(c.moved_by)
    offered = [(d.id, None) for d in CATALOGUE if not (d.kind == "choice" and len(options(d, task)) < 2)]
    offered += [(key, ("decisions", key)) for key in scenario.decisions]
    return [Problem(str(sdoc.path), sdoc.line_of(where) if where else 1, where and ".".join(where) or "decisions",
                    f"decision '{key}' is offered but no criterion compares plan.{key} or lists it under moved_by, so "
                    "it cannot move the score (judge it in a criterion, or name the outcome it moves)")
            for key, where in offered if key not in read]


def consistency_problems(folder: Path, scenario) -> list[Problem]:
    """The course-wide lint for one scenario: every event kind it can inject (in any difficulty) is
    assessed by a criterion, every criterion can be moved by at least one decision, and every decision the
    scenario offers can move some criterion."""
    from sandbox.spec.decisions import BY_ID

    core, core_doc = _read(CORE_RUBRIC)
    path = folder / "rubric.yaml"
    criteria = _layered(core, core_doc, *_read(path)) if path.is_file() else _layered(core, core_doc, None, None)
    problems: list[Problem] = []
    assessed: set[str] = set()
    decisions = set(BY_ID) | set(scenario.decisions)
    for c, d, i in criteria:
        facts = criterion_facts(c)
        assessed |= {m.group(1) for f in facts if (m := EVENT_FACT.match(f))} | {k.value for k in c.assesses}
        for j, name in enumerate(c.moved_by):
            if name not in decisions:
                problems.append(Problem(str(d.path), d.line_of(("criteria", i, "moved_by", j)),
                                        f"criteria[{i}].moved_by[{j}]", f"no decision '{name}'"))
        if not c.moved_by and not any(f.startswith(("plan.", "impact.")) for f in facts):
            problems.append(Problem(str(d.path), d.line_of(("criteria", i)), f"criteria[{i}]",
                                    f"criterion '{c.id}' cannot be moved by any decision: compare a plan. fact or "
                                    "list the decisions that move it under 'moved_by'"))
    sdoc = read_yaml(folder / "scenario.yaml")
    problems += _unmoving_decisions(criteria, scenario, sdoc)
    located = [(e, ("events", i)) for i, e in enumerate(scenario.events)]
    located += [(e, ("difficulty", name, "extra_events", j)) for name, v in scenario.difficulty.items()
                for j, e in enumerate(v.extra_events)]
    for e, loc in located:
        if e.kind.value not in assessed:
            problems.append(Problem(str(sdoc.path), sdoc.line_of((*loc, "kind")), ".".join(map(str, (*loc, "kind"))),
                                    f"no rubric criterion assesses event kind '{e.kind.value}'"
                                    f" (add one to {path.name} that compares run.incident.{e.kind.value}.<field>)"))
    return problems
