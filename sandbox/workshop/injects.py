"""Facilitator injects, away from storage and screens: what an inject is, its simulation effect written as
text, and an events list imported from CSV.

An inject reaches a team as a message (by a channel: email, phone, news...) and, when it has a simulation
effect, as an event put into the team's step-mode run at the team's own current day. The expected action
is the facilitator's, for the after-action review; it never reaches a learner.

An effect is written ``kind key=value ...``, e.g. ``serving_crash`` or
``legacy_outage source=case_system duration_days=3``; ``none`` (or nothing) is a message only.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from pydantic import ValidationError

from sandbox.spec.events import KINDS
from sandbox.spec.scenario import EventKind, EventSpec, Scenario

COLUMNS = ("offset", "target teams", "channel", "message", "expected action", "simulation effect")
CHANNELS = ("email", "phone", "news", "ticket", "meeting", "letter", "social media")
MAX_ROWS = 200
MAX_TEXT = 2000
_NO_EFFECT = {"", "none", "-", "message only"}
_PARAMS = ("title", "feature", "source", "group", "magnitude", "duration_days", "ramp_days", "category",
           "deadline_days")


class InjectError(ValueError):
    """Problems in an inject or an events list, one line each (``file:line: column: message``)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Inject:
    channel: str
    message: str
    expected_action: str = ""
    effect: dict | None = None  # {"kind": ..., "params": {...}}
    offset_min: float = 0.0  # minutes after the list is imported (or the console's "send in")
    targets: tuple[str, ...] | None = None  # team names; None: every team


def parse_effect(text: str, scenario: Scenario) -> dict | None:
    """The effect ``kind key=value ...`` checked against the scenario; None for a message only."""
    text = (text or "").strip()
    if text.lower() in _NO_EFFECT:
        return None
    kind, *pairs = text.split()
    if kind not in EventKind.__members__:
        raise ValueError(f"unknown event kind '{kind}' (one of: {', '.join(EventKind.__members__)}, or none)")
    params: dict = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or key not in _PARAMS:
            raise ValueError(f"'{pair}' is not one of {', '.join(k + '=…' for k in _PARAMS)}")
        params[key] = value.replace("_", " ") if key == "title" else _number(value)
    try:
        spec = EventSpec(kind=kind, day=0, **params)
    except ValidationError as exc:
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc'])) or kind}: {e['msg']}"
                                   for e in exc.errors())) from None
    problem = scenario.unknown_in(spec)
    if problem:
        raise ValueError(problem)
    return {"kind": kind, "params": params}


def format_effect(kind: str, params: dict) -> str:
    """The text ``parse_effect`` reads back."""
    words = [f"{k}={str(v).replace(' ', '_') if k == 'title' else v}" for k, v in params.items()]
    return " ".join([kind, *words])


def presets(scenario: Scenario) -> list[str]:
    """Effects to offer the facilitator: every kind that needs nothing more, an outage of each data source,
    and the events the scenario's own story uses (at the size it gives them)."""
    out = ["none"]
    out += [k.value for k in EventKind if not KINDS[k].needs]
    out += [format_effect("legacy_outage", {"source": s, "duration_days": 3}) for s in scenario.source_ids()]
    for ev in [*scenario.events, *(e for d in scenario.difficulty.values() for e in d.extra_events)]:
        params = {k: v for k, v in ev.model_dump(exclude_defaults=True, mode="json").items()
                  if k in _PARAMS and k != "title"}
        out.append(format_effect(ev.kind.value, params))
    return list(dict.fromkeys(out))


def describe_effect(effect: dict | None) -> str:
    if not effect:
        return "message only"
    params = " ".join(f"{k}={v}" for k, v in sorted(effect["params"].items()))
    return f"{effect['kind'].replace('_', ' ')}" + (f" ({params})" if params else "")


def parse_offset(text: str) -> float:
    """Minutes: ``15``, ``2.5`` or ``1:30`` (hours and minutes)."""
    text = (text or "0").strip()
    m = re.fullmatch(r"(\d+):([0-5]\d)", text)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a number of minutes (e.g. 15) or hours:minutes (e.g. 1:30)") from None
    if not 0 <= value <= 24 * 60:
        raise ValueError("must be between 0 and 1440 minutes (a day)")
    return value


def parse_targets(text: str, team_names: list[str]) -> tuple[str, ...] | None:
    """``all`` (or nothing) for every team, else team names separated by ';'."""
    text = (text or "").strip()
    if text.lower() in ("", "all", "every team", "*"):
        return None
    names = tuple(n.strip() for n in text.split(";") if n.strip())
    by_lower = {n.lower(): n for n in team_names}
    unknown = [n for n in names if n.lower() not in by_lower]
    if unknown:
        known = ", ".join(team_names) or "no teams yet"
        raise ValueError(f"no team called {', '.join(repr(n) for n in unknown)} (teams: {known}; or 'all')")
    return tuple(by_lower[n.lower()] for n in names)


def check_inject(channel: str, message: str, expected_action: str = "") -> None:
    problems = []
    if not channel.strip():
        problems.append("channel: say how the inject reaches the team (e.g. email)")
    if not message.strip():
        problems.append("message: write what the team reads")
    for name, text in (("message", message), ("expected action", expected_action)):
        if len(text) > MAX_TEXT:
            problems.append(f"{name}: longer than {MAX_TEXT} characters")
    if problems:
        raise InjectError(problems)


def read_events_csv(name: str, text: str, scenario: Scenario, team_names: list[str]) -> list[Inject]:
    """An events list (one inject a row, columns ``COLUMNS``); every problem is reported, with its line."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise InjectError([f"{name}:1: the file is empty; its first line names the columns: {', '.join(COLUMNS)}"])
    header = [_column(h) for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InjectError([f"{name}:1: missing column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(repr(c) for c in missing)} (the columns are: {', '.join(COLUMNS)})"])
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    if len(body) > MAX_ROWS:
        raise InjectError([f"{name}: {len(body)} injects; at most {MAX_ROWS} fit in one list"])
    out, problems = [], []
    for line, row in body:
        cell = {c: (row[header.index(c)] if header.index(c) < len(row) else "").strip() for c in COLUMNS}
        found = {}
        for column, key, parse in (("offset", "offset_min", parse_offset),
                                   ("target teams", "targets", lambda t: parse_targets(t, team_names)),
                                   ("simulation effect", "effect", lambda t: parse_effect(t, scenario))):
            try:
                found[key] = parse(cell[column])
            except ValueError as exc:
                problems.append(f"{name}:{line}: {column}: {exc}")
        try:
            check_inject(cell["channel"], cell["message"], cell["expected action"])
        except InjectError as exc:
            problems.extend(f"{name}:{line}: {p}" for p in exc.problems)
        if len(found) == 3:
            out.append(Inject(cell["channel"], cell["message"], cell["expected action"], **found))
    if problems:
        raise InjectError(problems)
    if not out:
        raise InjectError([f"{name}: no injects below the header line"])
    return out


def _column(header: str) -> str:
    return " ".join(header.strip().lower().replace("_", " ").split())


def _number(value: str):
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value else number
