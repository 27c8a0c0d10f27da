"""Workshops in the store: the workshop, its members (in the waiting room until they are in a team), its
teams (each sharing one attempt: one plan, one simulation); the facilitator's sign-in is in ``signin``.
Everything a workshop is lives in the database, so several app processes can serve one workshop.

Nothing here returns the passphrase hash or the sign-in counters: ``_public`` drops them.
"""

from __future__ import annotations

import json

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from sandbox import workshop as ws
from sandbox.store.common import StoreError, clean_name, now
from sandbox.store.common import seed as checked_seed
from sandbox.store.signin import SignInRefused  # noqa: F401  (raised through this module's callers)
from sandbox.store.tables import attempts, learners, members, teams, workshops

CODE_TRIES = 20
_PRIVATE = ("passphrase_hash", "failed_logins", "login_wait_until")
_SETTABLE = {"open_phases", "locked", "debrief_open"}


class WorkshopRecords:
    engine: Engine

    # ------------------------------------------------------------------ workshops

    def create_workshop(self, name: str, scenario_id: str, difficulty: str, seed: int, team_size: int,
                        passphrase: str, plan: dict) -> dict:
        name, seed = clean_name(name, "a workshop name"), checked_seed(seed)
        try:
            ws.deal_teams([], int(team_size))
            digest = ws.hash_passphrase(passphrase)
        except ws.WorkshopError as exc:
            raise StoreError(str(exc)) from None
        row = {"name": name, "scenario_id": scenario_id, "difficulty": difficulty, "seed": int(seed),
               "team_size": int(team_size), "passphrase_hash": digest, "plan_json": json.dumps(plan, sort_keys=True),
               "open_phases_json": "[]", "locked": False, "debrief_open": False, "failed_logins": 0,
               "created_at": now()}
        for _ in range(CODE_TRIES):
            code = ws.new_code()
            try:
                with self.engine.begin() as conn:
                    conn.execute(workshops.insert().values(code=code, **row))
            except IntegrityError:
                continue  # the code is taken: draw another
            return self.workshop(code)
        raise StoreError("no free join code was found; try again")

    def workshop(self, code: str) -> dict:
        return _public(self._row_by_code(code))

    def _row_by_code(self, code: str):
        try:
            code = ws.parse_code(code)
        except ws.WorkshopError as exc:
            raise StoreError(str(exc)) from None
        row = self._workshop_row(workshops.c.code == code)
        if row is None:
            raise StoreError(f"no workshop has the code {ws.show_code(code)}")
        return row

    def workshop_by_id(self, workshop_id: int) -> dict:
        row = self._workshop_row(workshops.c.id == int(workshop_id))
        if row is None:
            raise StoreError(f"no workshop {workshop_id}")
        return _public(row)

    def _workshop_row(self, where):
        with self.engine.connect() as conn:
            return conn.execute(select(workshops).where(where)).mappings().first()

    def set_workshop(self, workshop_id: int, **fields) -> dict:
        """The facilitator's pacing: ``open_phases`` (a list), ``locked``, ``debrief_open``."""
        unknown = set(fields) - _SETTABLE
        if unknown:
            raise StoreError(f"a workshop has no setting '{sorted(unknown)[0]}'")
        values = {("open_phases_json" if k == "open_phases" else k): (json.dumps(list(v)) if k == "open_phases"
                                                                      else bool(v)) for k, v in fields.items()}
        with self.engine.begin() as conn:
            conn.execute(workshops.update().where(workshops.c.id == int(workshop_id)).values(**values))
        return self.workshop_by_id(workshop_id)

    # ------------------------------------------------------------------ members

    def join_workshop(self, code: str, name: str) -> dict:
        """A new learner in the workshop's waiting room; returns the learner (with the resume token) and the
        workshop. Everyone joins as a learner: only the facilitator makes someone an observer (``set_role``),
        since an observer sees every team's work."""
        found = self.workshop(code)
        me = self.create_learner(name)  # type: ignore[attr-defined]
        with self.engine.begin() as conn:
            conn.execute(members.insert().values(workshop_id=found["id"], learner_id=me["id"], role="learner",
                                                 joined_at=now()))
        return {"learner": me, "workshop": found}

    def set_role(self, workshop_id: int, learner_id: int, role: str) -> None:
        """The facilitator names a member an observer (out of any team: observers watch every team) or makes an
        observer a learner again, in the waiting room."""
        if role not in ws.ROLES:
            raise StoreError(f"a member is one of: {', '.join(ws.ROLES)}")
        with self.engine.begin() as conn:
            done = conn.execute(members.update().where(members.c.workshop_id == int(workshop_id),
                                                       members.c.learner_id == int(learner_id))
                                .values(role=role, team_id=None))
        if done.rowcount == 0:
            raise StoreError(f"learner {learner_id} is not in this workshop")

    def members(self, workshop_id: int) -> list[dict]:
        """Everyone in the workshop, in join order, with their display name, role and team (None: waiting)."""
        q = (select(members.c.learner_id, members.c.team_id, members.c.role, members.c.joined_at, learners.c.name)
             .join(learners, learners.c.id == members.c.learner_id)
             .where(members.c.workshop_id == int(workshop_id)).order_by(members.c.id))
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(q).mappings()]

    def membership(self, learner_id: int) -> dict | None:
        """The learner's workshop member record (workshop, team, role), if the learner joined one."""
        with self.engine.connect() as conn:
            row = conn.execute(select(members).where(members.c.learner_id == int(learner_id))).mappings().first()
        return dict(row) if row else None

    # ------------------------------------------------------------------ teams

    def teams(self, workshop_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(teams).where(teams.c.workshop_id == int(workshop_id)).order_by(teams.c.id)
                                ).mappings().all()
        people = self.members(workshop_id)
        return [{**dict(r), "members": [p for p in people if p["team_id"] == r["id"]]} for r in rows]

    def form_teams(self, workshop_id: int) -> list[dict]:
        """Deal everyone in the waiting room (observers stay out) into new teams of the workshop's size."""
        found = self.workshop_by_id(workshop_id)
        waiting = [p["learner_id"] for p in self.members(workshop_id)
                   if p["team_id"] is None and p["role"] == "learner"]
        if not waiting:
            return self.teams(workshop_id)
        taken = len(self.teams(workshop_id))
        for n, group in enumerate(ws.deal_teams(waiting, found["team_size"]), start=taken + 1):
            team_id = self.add_team(workshop_id, ws.team_name(n))["id"]
            for learner_id in group:
                self.place(workshop_id, learner_id, team_id)
        return self.teams(workshop_id)

    def add_team(self, workshop_id: int, name: str | None = None) -> dict:
        name = clean_name(name or ws.team_name(len(self.teams(workshop_id)) + 1), "a team name")
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(teams.insert().values(workshop_id=int(workshop_id), name=name,
                                                            created_at=now())).inserted_primary_key[0]
        except IntegrityError:
            raise StoreError(f"this workshop already has a team called '{name}'") from None
        return {"id": new_id, "name": name, "workshop_id": int(workshop_id), "attempt_id": None}

    def place(self, workshop_id: int, learner_id: int, team_id: int | None) -> None:
        """Put a member in a team (by the facilitator, or chosen by the learner; an observer put in a team is a
        learner again), or back in the waiting room (None). The team's shared attempt is made when its first
        member arrives."""
        found = self.workshop_by_id(workshop_id)
        with self.engine.begin() as conn:
            if team_id is not None:
                team = conn.execute(select(teams).where(teams.c.id == int(team_id),
                                                        teams.c.workshop_id == found["id"])).mappings().first()
                if team is None:
                    raise StoreError(f"the workshop has no team {team_id}")
            done = conn.execute(members.update().where(members.c.workshop_id == found["id"],
                                                       members.c.learner_id == int(learner_id))
                                .values(team_id=team_id, **({"role": "learner"} if team_id is not None else {})))
            if done.rowcount == 0:
                raise StoreError(f"learner {learner_id} is not in this workshop")
            if team_id is not None and team["attempt_id"] is None:
                stamp = now()
                attempt_id = conn.execute(attempts.insert().values(
                    learner_id=int(learner_id), scenario_id=found["scenario_id"], difficulty=found["difficulty"],
                    seed=found["seed"], phase="problem", plan_json=json.dumps(found["plan"], sort_keys=True),
                    created_at=stamp, updated_at=stamp)).inserted_primary_key[0]
                claimed = conn.execute(teams.update().where(teams.c.id == int(team_id), teams.c.attempt_id.is_(None))
                                       .values(attempt_id=attempt_id))
                if claimed.rowcount == 0:  # another member's arrival made the team's attempt first
                    conn.execute(attempts.delete().where(attempts.c.id == attempt_id))

    def choose_team(self, workshop_id: int, learner_id: int, team_id: int) -> None:
        """A learner in the waiting room picks a team that has room (the facilitator may overfill by hand)."""
        found = self.workshop_by_id(workshop_id)
        team = next((t for t in self.teams(workshop_id) if t["id"] == int(team_id)), None)
        if team is None:
            raise StoreError(f"the workshop has no team {team_id}")
        mine = self.membership(learner_id)
        if mine is None or mine["workshop_id"] != found["id"] or mine["role"] != "learner":
            raise StoreError("only a learner of this workshop can choose a team")
        if mine["team_id"] is not None:
            raise StoreError("you are in a team already; your facilitator can move you")
        if len(team["members"]) >= found["team_size"]:
            raise StoreError(f"{team['name']} is full; choose another team")
        self.place(workshop_id, learner_id, team_id)

    def attempts_open_to(self, learner_id: int) -> list[dict]:
        """The attempts a learner may open now: their own (not a team's), and their current team's shared one.
        A learner moved to another team no longer sees the old team's, even if they started it."""
        shared = select(teams.c.attempt_id).where(teams.c.attempt_id.is_not(None))
        mine = self.membership(learner_id)
        team = self.team_of(learner_id) if mine is not None and mine["role"] == "learner" else None
        with self.engine.connect() as conn:
            rows = conn.execute(select(attempts.c.id).where(
                ((attempts.c.learner_id == int(learner_id)) & attempts.c.id.not_in(shared))
                | (attempts.c.id == (team["attempt_id"] if team and team["attempt_id"] else -1)))
                .order_by(attempts.c.id)).scalars().all()
        return [self.attempt(i) for i in rows]  # type: ignore[attr-defined]

    def team_of(self, learner_id: int) -> dict | None:
        mine = self.membership(learner_id)
        if mine is None or mine["team_id"] is None:
            return None
        with self.engine.connect() as conn:
            return dict(conn.execute(select(teams).where(teams.c.id == mine["team_id"])).mappings().one())

    def attempt_access(self, learner_id: int, attempt_id: int) -> str | None:
        """How a learner may open an attempt: "own", "team" (a member of the team that shares it), "debrief"
        (another team's, once the facilitator has opened the debrief; to read), or None."""
        with self.engine.connect() as conn:
            team = conn.execute(select(teams).where(teams.c.attempt_id == int(attempt_id))).mappings().first()
            if team is None:
                owner = conn.execute(select(attempts.c.learner_id).where(attempts.c.id == int(attempt_id))).first()
                return "own" if owner is not None and owner[0] == int(learner_id) else None
        mine = self.membership(learner_id)
        if mine is None or mine["workshop_id"] != team["workshop_id"]:
            return None
        if mine["team_id"] == team["id"]:
            return "team"
        return "debrief" if self.workshop_by_id(team["workshop_id"])["debrief_open"] else None

    def workshop_of_attempt(self, attempt_id: int) -> dict | None:
        """The workshop whose team shares this attempt (its pacing rules apply to it), or None."""
        team = self.team_of_attempt(attempt_id)
        return self.workshop_by_id(team["workshop_id"]) if team else None

    def team_of_attempt(self, attempt_id: int) -> dict | None:
        with self.engine.connect() as conn:
            team = conn.execute(select(teams).where(teams.c.attempt_id == int(attempt_id))).mappings().first()
        return dict(team) if team else None

    # ------------------------------------------------------------------ export

    def workshop_record(self, workshop_id: int) -> dict:
        """The workshop with its members and its teams, each team with its shared attempt (plan, phase, run)."""
        record = {"workshop": self.workshop_by_id(workshop_id), "members": self.members(workshop_id), "teams": []}
        for team in self.teams(workshop_id):
            attempt = self.attempt(team["attempt_id"]) if team["attempt_id"] else None  # type: ignore[attr-defined]
            record["teams"].append({**team, "attempt": attempt})
        return record


def _public(row) -> dict:
    out = {k: v for k, v in dict(row).items() if k not in _PRIVATE}
    out["open_phases"] = json.loads(out.pop("open_phases_json"))
    out["plan"] = json.loads(out.pop("plan_json"))
    out["locked"], out["debrief_open"] = bool(out["locked"]), bool(out["debrief_open"])
    return out


