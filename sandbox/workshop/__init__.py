"""Workshops, away from storage and screens: join codes, the facilitator's passphrase, teams, the 5E plan.

* Join codes are read aloud in a room and typed on phones and laptops, so they use
  characters nothing else looks or sounds like: no 0/O, 1/I/L, 2/Z, 5/S or 8/B to
  misread, and one letter only of each rhyming set (B C D E G P T V, A J K, M N).
  Six characters drawn by ``secrets``, shown in two groups: ``AEF-479``.
* The facilitator's passphrase is kept as a salted scrypt hash (``hashlib.scrypt``),
  compared in constant time. After ``FREE_TRIES`` wrong tries in a row from one client
  address each further try from it must wait twice as long as the one before (1 s, 2 s,
  4 s … up to ``MAX_WAIT_S``); the workshop's own count allows ``WORKSHOP_FREE_TRIES``
  (see ``sandbox.store.signin``).
* Teams formed automatically deal the waiting room out in join order, like cards,
  so team sizes differ by at most one and people who arrived together are mixed.
* The workshop's blocks and timings come from the facilitator guide's headings
  (``## Engage (30 minutes): …``), so the console and the guide never disagree.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

CODE_ALPHABET = "AEFHMRUWXY34679"
CODE_LENGTH = 6
PASSPHRASE_MIN = 8
PASSPHRASE_MAX = 200
FREE_TRIES = 3
WORKSHOP_FREE_TRIES = 10  # wrong tries from all clients together before clients that have failed must wait
MAX_WAIT_S = 300.0
TEAM_SIZE_MAX = 12
ROLES = ("learner", "observer")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class Refused(ValueError):
    """A request refused, with the reason in plain words for the person who made it (the store's refusals
    are ``Refused`` too, so a page catches both with one clause)."""


class WorkshopError(Refused):
    """A request about a workshop that cannot be met, with the reason in plain words."""


# ---------------------------------------------------------------------- join codes

def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    """``AEF479`` as ``AEF-479``: two groups of three are easier to read out and copy."""
    return f"{code[:3]}-{code[3:]}"


def parse_code(text: str) -> str:
    """A code as typed (any case, spaces or hyphens) in its stored form; a clear error when it cannot be one."""
    code = re.sub(r"[\s\-]", "", str(text)).upper()
    if len(code) != CODE_LENGTH:
        raise WorkshopError(f"a join code has {CODE_LENGTH} characters, like {show_code('AEF479')}")
    wrong = sorted({c for c in code if c not in CODE_ALPHABET})
    if wrong:
        raise WorkshopError(f"a join code never contains {', '.join(wrong)}: check the code on the screen")
    return code


# ---------------------------------------------------------------------- the facilitator's passphrase

def check_passphrase(passphrase: str) -> str:
    if not isinstance(passphrase, str) or len(passphrase.strip()) < PASSPHRASE_MIN:
        raise WorkshopError(f"the facilitator passphrase needs at least {PASSPHRASE_MIN} characters")
    if len(passphrase) > PASSPHRASE_MAX:
        raise WorkshopError(f"the facilitator passphrase is at most {PASSPHRASE_MAX} characters")
    return passphrase


def hash_passphrase(passphrase: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(check_passphrase(passphrase).encode("utf-8"), salt=salt, **_SCRYPT)
    return "scrypt${n}${r}${p}$".format(**_SCRYPT) + f"{_b64(salt)}${_b64(digest)}"


def passphrase_matches(passphrase: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        given = hashlib.scrypt(str(passphrase).encode("utf-8")[:PASSPHRASE_MAX * 4], salt=base64.b64decode(salt),
                               n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return kind == "scrypt" and hmac.compare_digest(given, expected)


def wait_after(failures: int, free: int = FREE_TRIES) -> float:
    """Seconds the next try must wait after ``failures`` wrong tries in a row (the first ``free`` cost none)."""
    if failures < free:
        return 0.0
    return min(MAX_WAIT_S, 2.0 ** min(failures - free, 30))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------- teams

def team_count(people: int, size: int) -> int:
    return max(1, math.ceil(people / size))


def deal_teams(member_ids: list[int], size: int) -> list[list[int]]:
    """Members (in join order) dealt into as few teams of at most ``size`` as will hold them."""
    if not 1 <= size <= TEAM_SIZE_MAX:
        raise WorkshopError(f"a team has 1 to {TEAM_SIZE_MAX} members")
    k = team_count(len(member_ids), size)
    return [member_ids[i::k] for i in range(k)]


def team_name(n: int) -> str:
    return f"Team {n}"


# ---------------------------------------------------------------------- the 5E plan

@dataclass(frozen=True)
class Block:
    name: str
    minutes: int
    title: str
    start_minute: int


_BLOCK = re.compile(r"^##\s+(Engage|Explore|Explain|Elaborate|Evaluate)\s+\((\d+)\s+minutes\)(?::\s*(.+))?\s*$")


def blocks(guide: Path) -> list[Block]:
    """The workshop's 5E blocks, in order, from the facilitator guide's headings."""
    out: list[Block] = []
    start = 0
    from sandbox.spec.yamlio import AUTHORED, read_text_file

    for line in read_text_file(guide, AUTHORED.max_bytes).splitlines():
        m = _BLOCK.match(line)
        if m:
            out.append(Block(m.group(1), int(m.group(2)), (m.group(3) or "").strip(), start))
            start += int(m.group(2))
    return out


# ---------------------------------------------------------------------- exports

def score_rows(record: dict, results: dict[str, dict], peer: dict[str, float | None] | None = None) -> list[dict]:
    """One row per learner (observers have no score): team, the team's phase, the score's total, the team's
    peer-review total when given (by team name) and every criterion's points, ready for a gradebook.
    ``results`` maps run keys to scored run results."""
    teams = {t["id"]: t for t in record["teams"]}
    criteria: list[str] = []
    for result in results.values():
        criteria += [c["id"] for c in result["score"]["criteria"] if c["id"] not in criteria]
    rows = []
    for person in record["members"]:
        if person["role"] != "learner":
            continue
        team = teams.get(person["team_id"])
        attempt = team["attempt"] if team else None
        result = results.get(attempt["run_key"]) if attempt and attempt["run_key"] else None
        points = {c["id"]: c["points"] for c in result["score"]["criteria"]} if result else {}
        rows.append({"workshop": record["workshop"]["name"], "code": show_code(record["workshop"]["code"]),
                     "learner": person["name"], "team": team["name"] if team else "",
                     "phase": attempt["phase"] if attempt else "waiting",
                     "total": result["score"]["total"] if result else None,
                     **({"peer review": peer.get(team["name"]) if team else None} if peer is not None else {}),
                     **{c: points.get(c) for c in criteria}})
    return rows


def export_json(record: dict, results: dict[str, dict]) -> dict:
    """Everything about the workshop: who was in which team, each team's plan and phase, its scored run."""
    return {"workshop": {k: v for k, v in record["workshop"].items() if k != "plan"},
            "starting_plan": record["workshop"]["plan"],
            "members": record["members"],
            "teams": [{"name": t["name"], "members": [m["name"] for m in t["members"]],
                       "plan": t["attempt"]["plan"] if t["attempt"] else None,
                       "phase": t["attempt"]["phase"] if t["attempt"] else None,
                       "result": results.get(t["attempt"]["run_key"]) if t["attempt"] and t["attempt"]["run_key"]
                       else None} for t in record["teams"]],
            "scores": score_rows(record, results)}


# ---------------------------------------------------------------------- polls and quizzes


@dataclass(frozen=True)
class Question:
    """A launched poll or quiz as it is asked. ``correct`` (a quiz's right option) stays on the server."""

    kind: str  # single_choice, slider, free_text or quiz
    text: str
    options: list[str]
    low_label: str = ""
    high_label: str = ""
    correct: str | None = None


def question(course, kind: str, ref: str) -> Question | None:
    """The poll or quiz an activity launched, from the lessons (None if the lessons no longer have it)."""
    if kind == "quiz":
        found = next((q for q in course.quizzes if q.id == ref), None)
        return found and Question("quiz", found.question, [o.text for o in found.options],
                                  correct=next(o.text for o in found.options if o.correct))
    poll = next((p for p in course.polls if p.id == ref), None)
    return poll and Question(poll.kind, poll.question, list(poll.options), poll.low_label or "",
                             poll.high_label or "")


SLIDER_POINTS = tuple(str(i) for i in range(1, 11))


def tally(kind: str, options: list[str], values: list[str]) -> list[tuple[str, int]]:
    """Answers counted for the projector's chart: every option in its order (unchosen ones too, at 0), or the
    points 1 to 10 of a slider. Free text is read, not counted: an empty list."""
    labels = SLIDER_POINTS if kind == "slider" else options if kind in ("single_choice", "quiz") else ()
    counts = {label: 0 for label in labels}
    for v in values:
        if v in counts:
            counts[v] += 1
    return list(counts.items())
