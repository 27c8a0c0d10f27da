"""Lessons, quizzes and polls: the course content under ``lessons/``.

A lesson is a Markdown file that starts with YAML front matter between ``---``
lines. Its sections are its headings; a link such as
``lessons/monitoring.md#data-drift`` names a heading by its anchor, made the way
GitHub and Streamlit make them (lower case, punctuation dropped, spaces to
hyphens). Quizzes (multiple choice, feedback on every option) and polls (single
choice, a 1–10 slider, free text) live in ``lessons/quizzes.yaml`` and
``lessons/polls.yaml``. Everything here is checked by ``sandbox validate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.spec.yamlio import (
    AUTHORED,
    LoadError,
    Problem,
    YamlDoc,
    parse_model,
    parse_yaml_text,
    read_text_file,
    read_yaml,
)

PHASES = ("problem", "data", "development", "evaluation", "deployment", "monitoring", "retraining", "feedback",
          "governance")
PHASE_TITLES = {
    "problem": "Problem definition", "data": "Data management", "development": "Model development",
    "evaluation": "Evaluation", "deployment": "Deployment", "monitoring": "Monitoring",
    "retraining": "Retraining", "feedback": "Feedback loop", "governance": "Governance",
}
BLOCKS = ("engage", "explore", "explain", "elaborate", "evaluate")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LessonMeta(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    title: str
    kind: Literal["phase", "guide", "reference"] = Field(
        description="phase: teaches one lifecycle phase (or governance); guide: the facilitator's guide; "
                    "reference: glossary, reflection questions.")
    phase: Literal[PHASES] | None = None  # type: ignore[valid-type]
    order: int = Field(default=0, ge=0, description="Position in the course.")
    minutes: int | None = Field(default=None, gt=0, description="Reading or teaching time.")
    recap: str | None = Field(default=None, description="The 60-second recap, read out or shown at the end.")
    objectives: list[str] = []
    example_scenario: str | None = Field(default=None, description="The scenario the worked example comes from.")

    @model_validator(mode="after")
    def _phase_lessons(self) -> LessonMeta:
        if self.kind == "phase" and (self.phase is None or not self.recap or not self.objectives):
            raise ValueError("a phase lesson needs 'phase', 'objectives' and a 'recap'")
        return self


@dataclass(frozen=True)
class Lesson:
    path: Path
    meta: LessonMeta
    body: str
    anchors: frozenset[str]

    @property
    def sections(self) -> list[tuple[int, str, str]]:
        """(level, title, anchor) of every heading, in order."""
        return headings(self.body)


class QuizOption(_Frozen):
    text: str
    correct: bool = False
    feedback: str = Field(min_length=1, description="Shown to a learner who picks this option.")


class Quiz(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    lesson: str = Field(description="The lesson section it checks, as 'lessons/<file>.md#<anchor>'.")
    question: str
    options: list[QuizOption] = Field(min_length=3)

    @model_validator(mode="after")
    def _one_correct(self) -> Quiz:
        if sum(o.correct for o in self.options) != 1:
            raise ValueError("exactly one option must be 'correct: true'")
        return self


class Poll(_Frozen):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-]*$")
    kind: Literal["single_choice", "slider", "free_text"]
    question: str
    block: Literal[BLOCKS]  # type: ignore[valid-type]
    options: list[str] = []
    low_label: str | None = None
    high_label: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Poll:
        if self.kind == "single_choice" and len(self.options) < 2:
            raise ValueError("a single-choice poll needs at least two options")
        if self.kind != "single_choice" and self.options:
            raise ValueError("only a single-choice poll has options")
        if self.kind == "slider" and not (self.low_label and self.high_label):
            raise ValueError("a slider poll (1 to 10) needs 'low_label' and 'high_label'")
        return self


class QuizFile(_Frozen):
    quizzes: list[Quiz] = Field(min_length=1)


class PollFile(_Frozen):
    polls: list[Poll] = Field(min_length=1)


@dataclass(frozen=True)
class Course:
    lessons: dict[str, Lesson]  # by file name, e.g. "monitoring.md"
    quizzes: list[Quiz]
    polls: list[Poll]

    def resolves(self, link: str) -> str | None:
        """Why a 'lessons/<file>.md#<anchor>' link does not resolve, or None when it does."""
        return link_problem({n: le.anchors for n, le in self.lessons.items()}, link)


def link_problem(anchors: dict[str, frozenset[str]], link: str) -> str | None:
    """Why a 'lessons/<file>.md#<anchor>' link does not resolve among ``anchors`` (by file name), or None."""
    file, _, anchor = link.partition("#")
    name = file.removeprefix("lessons/")
    if not file.startswith("lessons/") or name not in anchors:
        return f"lesson '{file}' does not exist"
    if anchor and anchor not in anchors[name]:
        return f"lesson '{file}' has no section '#{anchor}'"
    return None


def lesson_anchors(folder: Path) -> dict[str, frozenset[str]]:
    """The section anchors of every lesson file in ``folder``, read from its headings alone (so links can be
    checked even while a lesson's front matter has problems of its own)."""
    out = {}
    for path in sorted(folder.glob("*.md")):
        try:
            text = read_text_file(path, AUTHORED.max_bytes)
        except LoadError:
            continue
        lines = text.splitlines()
        if lines and lines[0].strip() == "---":
            end = next((i for i, t in enumerate(lines[1:], start=1) if t.strip() == "---"), 0)
            lines = lines[end + 1:]
        out[path.name] = frozenset(a for _, _, a in headings("\n".join(lines)))
    return out


def slug(title: str) -> str:
    """The anchor of a heading, as GitHub and Streamlit make it."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", title.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def headings(body: str) -> list[tuple[int, str, str]]:
    """(level, title, anchor) of every Markdown heading outside code blocks."""
    return [(len(m.group(1)), m.group(2), slug(m.group(2)))
            for m in (HEADING.match(line) for line in _outside_code(body)) if m]


def _outside_code(body: str):
    fenced = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def read_lesson(path: Path) -> Lesson:
    text = read_text_file(path, AUTHORED.max_bytes)
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---" or "---" not in (s.strip() for s in lines[1:]):
        raise LoadError([Problem(str(path), 1, "", "a lesson starts with front matter between '---' lines")])
    end = next(i for i, s in enumerate(lines[1:], start=1) if s.strip() == "---")
    doc = parse_yaml_text(path, "\n".join(lines[1:end]), first_line=2)
    meta = parse_model(doc, LessonMeta)
    if meta.id != path.stem:
        raise LoadError([Problem(str(path), doc.line_of(("id",)), "id", f"id '{meta.id}' must match the file name"
                                 f" '{path.stem}'")])
    body = "\n".join(lines[end + 1:])
    lesson = Lesson(path, meta, body, frozenset())
    anchors = [a for _, _, a in lesson.sections]
    problems = []
    offset = end + 2
    for n, line in enumerate(lines[end + 1:], start=offset):
        if line.startswith("![") and re.match(r"!\[\s*\]", line):
            problems.append(Problem(str(path), n, "image", "an image needs alternative text: ![what it shows](...)"))
    if not anchors:
        problems.append(Problem(str(path), offset, "", "a lesson needs at least one heading"))
    if problems:
        raise LoadError(problems)
    return Lesson(path, meta, body, frozenset(anchors))


def load_course(folder: Path) -> Course:
    """Every lesson, quiz and poll under ``folder``; raises LoadError listing every problem."""
    problems: list[Problem] = []
    lessons: dict[str, Lesson] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name.upper() == "README.MD":
            continue
        try:
            lessons[path.name] = read_lesson(path)
        except LoadError as exc:
            problems.extend(exc.problems)
    quizzes: list[Quiz] = []
    polls: list[Poll] = []
    quiz_doc: YamlDoc | None = None
    for name, model in (("quizzes.yaml", QuizFile), ("polls.yaml", PollFile)):
        try:
            doc = read_yaml(folder / name)
            parsed = parse_model(doc, model)
        except LoadError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(parsed, QuizFile):
            quizzes, quiz_doc = parsed.quizzes, doc
        else:
            polls = parsed.polls
    course = Course(lessons, quizzes, polls)
    if quiz_doc is not None:
        for i, q in enumerate(quizzes):
            why = course.resolves(q.lesson)
            if why:
                problems.append(Problem(str(quiz_doc.path), quiz_doc.line_of(("quizzes", i, "lesson")),
                                        f"quizzes[{i}].lesson", why))
    if not any(le.meta.kind == "guide" for le in lessons.values()):
        problems.append(Problem(str(folder), 1, "", "no facilitator guide (a lesson with 'kind: guide')"))
    missing = [p for p in PHASES if not any(le.meta.phase == p for le in lessons.values())]
    if lessons and missing:
        problems.append(Problem(str(folder), 1, "", f"no lesson for phase(s): {', '.join(missing)}"))
    if problems:
        raise LoadError(problems)
    return course
