"""A workshop's live activity in the store: the facilitator's injects and where each has reached, notes
stamped against them, and the polls and quizzes the facilitator launches with their answers.

An inject is due once its time has come; a team's run takes the injects due to it the next time the team's
step-mode run is read or moved (see ``sandbox.workshop.stepping``), at the team's own simulated day, in the same
write as the run's new state. Nothing needs a clock of its own, so any app process can serve any team.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func, select

from sandbox.store.common import StoreError, now
from sandbox.store.tables import (
    activities,
    answers,
    attempts,
    deliveries,
    injects,
    learners,
    notes,
    peer_reviews,
    pushes,
    teams,
)

ACTIVITY_KINDS = ("poll", "quiz")
REFLECTION = "reflection"  # one per workshop, always open: each learner's individual reflection
MAX_ANSWER = 8000
MAX_REFLECTION = 1000  # characters an answer to one reflection question holds
MAX_NOTE = 4000
MAX_PEER_TEXT = 1000  # characters in a peer review's strength or suggestion


class LiveRecords:
    engine: Engine

    # ------------------------------------------------------------------ injects

    def add_inject(self, workshop_id: int, channel: str, message: str, expected_action: str = "",
                   effect: dict | None = None, team_ids: list[int] | None = None,
                   due_at: datetime | None = None) -> int:
        """An inject for ``team_ids`` (None: every team, also those formed later), due at ``due_at`` (now)."""
        if team_ids is not None:
            known = {t["id"] for t in self.teams(workshop_id)}  # type: ignore[attr-defined]
            if not team_ids or not set(team_ids) <= known:
                raise StoreError("choose the teams the inject goes to (or every team)")
        with self.engine.begin() as conn:
            return conn.execute(injects.insert().values(
                workshop_id=int(workshop_id), due_at=due_at or now(), channel=channel.strip(),
                message=message.strip(), expected_action=expected_action.strip(),
                effect_json=json.dumps(effect, sort_keys=True) if effect else None,
                targets_json=json.dumps(sorted(int(t) for t in team_ids)) if team_ids is not None else None,
                created_at=now())).inserted_primary_key[0]

    def injects(self, workshop_id: int) -> list[dict]:
        """Every inject of the workshop, in due order, with where it has reached: the facilitator's view."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(injects).where(injects.c.workshop_id == int(workshop_id))
                                .order_by(injects.c.due_at, injects.c.id)).mappings().all()
            got = conn.execute(select(deliveries).join(injects, injects.c.id == deliveries.c.inject_id)
                               .where(injects.c.workshop_id == int(workshop_id))).mappings().all()
        out = []
        for row in rows:
            item = _inject(row)
            item["deliveries"] = {d["team_id"]: {"day": d["day"], "event_id": d["event_id"]}
                                  for d in got if d["inject_id"] == row["id"]}
            out.append(item)
        return out

    def sent_injects(self, workshop_id: int) -> list[dict]:
        """The injects whose time has come, without the facilitator's expected actions: an observer's view."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(injects).where(injects.c.workshop_id == int(workshop_id),
                                                      injects.c.due_at <= now())
                                .order_by(injects.c.due_at, injects.c.id)).mappings().all()
        return [{k: v for k, v in _inject(r).items() if k != "expected_action"} for r in rows]

    def due_injects(self, team_id: int, at: datetime | None = None) -> list[dict]:
        """The injects due to a team that have not reached its run yet, oldest first."""
        with self.engine.connect() as conn:
            team = conn.execute(select(teams.c.workshop_id).where(teams.c.id == int(team_id))).first()
            if team is None:
                return []
            rows = conn.execute(
                select(injects).outerjoin(deliveries, and_(deliveries.c.inject_id == injects.c.id,
                                                           deliveries.c.team_id == int(team_id)))
                .where(injects.c.workshop_id == team[0], injects.c.due_at <= (at or now()),
                       deliveries.c.inject_id.is_(None))
                .order_by(injects.c.due_at, injects.c.id)).mappings().all()
        return [i for i in map(_inject, rows) if i["targets"] is None or int(team_id) in i["targets"]]

    def team_messages(self, team_id: int) -> list[dict]:
        """What has reached a team, newest first: channel, message, the day, the event. Never the expected
        action (that is the facilitator's)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(injects.c.id, injects.c.channel, injects.c.message, deliveries.c.day,
                       deliveries.c.event_id, deliveries.c.delivered_at)
                .join(deliveries, deliveries.c.inject_id == injects.c.id)
                .where(deliveries.c.team_id == int(team_id))
                .order_by(deliveries.c.delivered_at.desc(), injects.c.id.desc())).mappings().all()
        return [dict(r) for r in rows]

    def swap_snapshot(self, attempt_id: int, revision: int, snapshot: dict, phase: str | None = None,
                      team_id: int | None = None, delivered: list[dict] | None = None) -> bool:
        """Write a step-mode run's new state over ``revision`` only (else False: someone moved it first),
        with the injects it took (``{"inject_id", "day", "event_id"}``) in the same transaction."""
        values = {"snapshot_json": json.dumps(snapshot, sort_keys=True), "revision": int(revision) + 1,
                  "updated_at": now(), **({"phase": phase} if phase else {})}
        with self.engine.begin() as conn:
            done = conn.execute(attempts.update().where(attempts.c.id == int(attempt_id),
                                                        attempts.c.revision == int(revision)).values(**values))
            if done.rowcount != 1:
                return False
            for d in delivered or []:
                conn.execute(deliveries.insert().values(inject_id=d["inject_id"], team_id=int(team_id),
                                                        day=float(d["day"]), event_id=d.get("event_id"),
                                                        delivered_at=now()))
        return True

    # ------------------------------------------------------------------ notes

    def add_note(self, workshop_id: int, text: str, inject_id: int | None = None,
                 team_id: int | None = None, author: str | None = None) -> int:
        """A note for the after-action review, by the facilitator (``author`` None) or an observer."""
        text = text.strip()
        if not text:
            raise StoreError("the note is empty")
        if len(text) > MAX_NOTE:
            raise StoreError(f"a note holds at most {MAX_NOTE} characters")
        with self.engine.begin() as conn:
            return conn.execute(notes.insert().values(workshop_id=int(workshop_id), inject_id=inject_id,
                                                      team_id=team_id, text=text, created_at=now(),
                                                      author=author)
                                ).inserted_primary_key[0]

    def notes(self, workshop_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(notes).where(notes.c.workshop_id == int(workshop_id))
                                .order_by(notes.c.created_at, notes.c.id)).mappings().all()
        return [dict(r) for r in rows]

    # ------------------------------------------------------------------ teams moved on

    def record_push(self, team_id: int, defaults: dict[str, list[str]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(pushes.insert().values(team_id=int(team_id), defaults_json=json.dumps(defaults),
                                                pushed_at=now()))

    def pushes(self, team_id: int) -> list[dict]:
        """When the facilitator moved the team on, and which decisions took their defaults, by phase."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pushes).where(pushes.c.team_id == int(team_id))
                                .order_by(pushes.c.id)).mappings().all()
        return [{"pushed_at": r["pushed_at"], "defaults": json.loads(r["defaults_json"])} for r in rows]

    # ------------------------------------------------------------------ polls and quizzes

    def launch(self, workshop_id: int, kind: str, ref: str) -> int:
        """Open a poll or quiz for every learner of the workshop; the one open before closes."""
        if kind not in ACTIVITY_KINDS:
            raise StoreError(f"an activity is a {' or a '.join(ACTIVITY_KINDS)}")
        with self.engine.begin() as conn:
            conn.execute(activities.update().where(activities.c.workshop_id == int(workshop_id),
                                                   activities.c.kind.in_(ACTIVITY_KINDS),
                                                   activities.c.closed_at.is_(None)).values(closed_at=now()))
            return conn.execute(activities.insert().values(workshop_id=int(workshop_id), kind=kind, ref=ref,
                                                           opened_at=now())).inserted_primary_key[0]

    def close_activity(self, workshop_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(activities.update().where(activities.c.workshop_id == int(workshop_id),
                                                   activities.c.kind.in_(ACTIVITY_KINDS),
                                                   activities.c.closed_at.is_(None)).values(closed_at=now()))

    def activities(self, workshop_id: int) -> list[dict]:
        """Every poll and quiz launched, newest first, with how many have answered."""
        counted = (select(answers.c.activity_id, func.count().label("answered"))
                   .group_by(answers.c.activity_id).subquery())
        with self.engine.connect() as conn:
            rows = conn.execute(select(activities, func.coalesce(counted.c.answered, 0).label("answered"))
                                .outerjoin(counted, counted.c.activity_id == activities.c.id)
                                .where(activities.c.workshop_id == int(workshop_id),
                                       activities.c.kind.in_(ACTIVITY_KINDS))
                                .order_by(activities.c.id.desc())).mappings().all()
        return [dict(r) for r in rows]

    def open_activity(self, workshop_id: int) -> dict | None:
        found = [a for a in self.activities(workshop_id) if a["closed_at"] is None]
        return found[0] if found else None

    def answer(self, activity_id: int, learner_id: int, value: str) -> None:
        """A learner's answer (a second answer replaces the first) while the activity is open."""
        value = str(value).strip()
        if not value:
            raise StoreError("the answer is empty")
        if len(value) > MAX_ANSWER:
            raise StoreError(f"an answer holds at most {MAX_ANSWER} characters")
        with self.engine.begin() as conn:
            row = conn.execute(select(activities.c.closed_at).where(activities.c.id == int(activity_id))).first()
            if row is None or row[0] is not None:
                raise StoreError("this question has closed; your answer was not counted")
            conn.execute(answers.delete().where(answers.c.activity_id == int(activity_id),
                                                answers.c.learner_id == int(learner_id)))
            conn.execute(answers.insert().values(activity_id=int(activity_id), learner_id=int(learner_id),
                                                 value=value, answered_at=now()))

    def answers(self, activity_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(answers.c.learner_id, answers.c.value, answers.c.answered_at, learners.c.name)
                                .join(learners, learners.c.id == answers.c.learner_id)
                                .where(answers.c.activity_id == int(activity_id))
                                .order_by(answers.c.answered_at)).mappings().all()
        return [dict(r) for r in rows]

    def my_answer(self, activity_id: int, learner_id: int) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(answers.c.value).where(answers.c.activity_id == int(activity_id),
                                                             answers.c.learner_id == int(learner_id))).first()
        return row[0] if row else None

    # ------------------------------------------------------------------ peer reviews

    def save_peer_review(self, learner_id: int, to_team_id: int, points: dict[str, int], strength: str,
                         suggestion: str) -> None:
        """The learner's team's review of another team (saving again, by any member, replaces it). Only once
        the facilitator has opened the debrief, when teams may see each other's work."""
        mine = self.membership(learner_id)  # type: ignore[attr-defined]
        if mine is None or mine["team_id"] is None or mine["role"] != "learner":
            raise StoreError("only a learner in a team can review another team")
        workshop = self.workshop_by_id(mine["workshop_id"])  # type: ignore[attr-defined]
        if not workshop["debrief_open"]:
            raise StoreError("peer review opens with the debrief; your facilitator has not opened it yet")
        if int(to_team_id) == mine["team_id"]:
            raise StoreError("a team reviews other teams, not itself")
        if int(to_team_id) not in {t["id"] for t in self.teams(workshop["id"])}:  # type: ignore[attr-defined]
            raise StoreError("that team is not in your workshop")
        strength, suggestion = strength.strip(), suggestion.strip()
        if max(len(strength), len(suggestion)) > MAX_PEER_TEXT:
            raise StoreError(f"a comment holds at most {MAX_PEER_TEXT} characters")
        key = {"from_team_id": mine["team_id"], "to_team_id": int(to_team_id)}
        with self.engine.begin() as conn:
            conn.execute(peer_reviews.delete().where(peer_reviews.c.from_team_id == key["from_team_id"],
                                                     peer_reviews.c.to_team_id == key["to_team_id"]))
            conn.execute(peer_reviews.insert().values(
                **key, workshop_id=workshop["id"], learner_id=int(learner_id),
                points_json=json.dumps({str(k): int(v) for k, v in points.items()}, sort_keys=True),
                strength=strength, suggestion=suggestion, saved_at=now()))

    def peer_reviews(self, workshop_id: int) -> list[dict]:
        """Every review: from and to team ids, points by criterion, comments, who saved it and when."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(peer_reviews, learners.c.name.label("saved_by"))
                                .outerjoin(learners, learners.c.id == peer_reviews.c.learner_id)
                                .where(peer_reviews.c.workshop_id == int(workshop_id))
                                .order_by(peer_reviews.c.to_team_id, peer_reviews.c.from_team_id)).mappings().all()
        out = []
        for r in rows:
            row = {k: v for k, v in r.items() if k != "points_json"}
            out.append({**row, "points": json.loads(r["points_json"])})
        return out

    # ------------------------------------------------------------------ reflections

    def _reflection_activity(self, workshop_id: int) -> int:
        with self.engine.begin() as conn:
            row = conn.execute(select(activities.c.id).where(activities.c.workshop_id == int(workshop_id),
                                                             activities.c.kind == REFLECTION)).first()
            if row:
                return row[0]
            return conn.execute(activities.insert().values(workshop_id=int(workshop_id), kind=REFLECTION,
                                                           ref=REFLECTION, opened_at=now())).inserted_primary_key[0]

    def save_reflection(self, workshop_id: int, learner_id: int, written: dict[str, str]) -> None:
        """A learner's individual reflection: question -> what they wrote (saving again replaces it)."""
        kept = {q: a.strip()[:MAX_REFLECTION] for q, a in written.items() if a and a.strip()}
        if not kept:
            raise StoreError("write something first")
        self.answer(self._reflection_activity(workshop_id), learner_id,
                    json.dumps(kept, sort_keys=True, ensure_ascii=False))

    def reflection_of(self, workshop_id: int, learner_id: int) -> dict[str, str]:
        found = self.my_answer(self._reflection_activity(workshop_id), learner_id)
        return json.loads(found) if found else {}

    def reflections(self, workshop_id: int) -> list[dict]:
        """Every learner's reflection: name and question -> answer."""
        return [{"name": a["name"], "answers": json.loads(a["value"])}
                for a in self.answers(self._reflection_activity(workshop_id))]


def _inject(row) -> dict:
    out = dict(row)
    effect, targets = out.pop("effect_json"), out.pop("targets_json")
    out["effect"] = json.loads(effect) if effect else None
    out["targets"] = json.loads(targets) if targets is not None else None
    return out


def in_minutes(minutes: float, start: datetime | None = None) -> datetime:
    return (start or now()) + timedelta(minutes=float(minutes))
