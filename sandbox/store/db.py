"""The store's operations. Each call is its own transaction, committed before it returns."""

from __future__ import annotations

import json
import os
import secrets
import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import IntegrityError

from sandbox.store import migrations
from sandbox.store.common import StoreError, clean_name, row_id
from sandbox.store.common import now as _now
from sandbox.store.common import seed as checked_seed
from sandbox.store.live import LiveRecords
from sandbox.store.signin import SignInRecords
from sandbox.store.tables import attempts, learners, runs
from sandbox.store.workshops import WorkshopRecords

DEFAULT_DATA_DIR = Path("sandbox-data")
MERGE_TRIES = 50
# A database that goes away (a restart, a network cut) must not hold every learner's request: connections are
# tested before use and replaced, a new one gives up after CONNECT_TIMEOUT_S, a statement after
# STATEMENT_TIMEOUT_MS, and a request waits at most POOL_TIMEOUT_S for a free connection. The error then
# reaches the page, which says the change was not saved and can be tried again (``sandbox.app.errors``).
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 15_000
POOL_TIMEOUT_S = 5


def default_url() -> str:
    """``DATABASE_URL`` if set, else a SQLite file in ``./sandbox-data`` (created when needed)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    folder = Path(os.environ.get("SANDBOX_DATA_DIR", DEFAULT_DATA_DIR))
    return f"sqlite:///{folder.resolve() / 'sandbox.db'}"


def open_store(url: str | None = None) -> Store:
    return Store(url or default_url())


def engine_url(url: str) -> str:
    """The URL SQLAlchemy is given: a bare ``postgres://`` or ``postgresql://`` URL (as hosting services
    hand them out) uses the psycopg 3 driver the ``postgres`` extra installs."""
    for bare in ("postgres://", "postgresql://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url.removeprefix(bare)
    return url


def engine_options(url: str) -> dict:
    """Fail fast and reconnect (see ``CONNECT_TIMEOUT_S``): pre-ping, timeouts; PostgreSQL's per connection."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if engine_url(url).startswith("postgresql"):
        options |= {"pool_timeout": POOL_TIMEOUT_S, "pool_size": 10, "max_overflow": 20,
                    "connect_args": {"connect_timeout": CONNECT_TIMEOUT_S,
                                     "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}}
    return options


class Store(WorkshopRecords, LiveRecords, SignInRecords):
    def __init__(self, url: str):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine = create_engine(engine_url(url), **engine_options(url))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrations.upgrade(self.engine)

    # ------------------------------------------------------------------ learners

    def create_learner(self, name: str) -> dict:
        name = clean_name(name)
        token = secrets.token_urlsafe(12)
        with self.engine.begin() as conn:
            new_id = conn.execute(learners.insert().values(name=name, token=token, created_at=_now())
                                  ).inserted_primary_key[0]
        return {"id": new_id, "name": name, "token": token}

    def learner_by_token(self, token: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(learners).where(learners.c.token == str(token))).mappings().first()
        return dict(row) if row else None

    # ------------------------------------------------------------------ attempts

    def new_attempt(self, learner_id: int, scenario_id: str, difficulty: str, seed: int, plan: dict,
                    phase: str) -> int:
        now, seed = _now(), checked_seed(seed)
        with self.engine.begin() as conn:
            return conn.execute(attempts.insert().values(
                learner_id=learner_id, scenario_id=scenario_id, difficulty=difficulty, seed=seed,
                phase=phase, plan_json=json.dumps(plan, sort_keys=True), created_at=now, updated_at=now,
            )).inserted_primary_key[0]

    def attempt(self, attempt_id: int) -> dict:
        attempt_id = row_id(attempt_id, "an attempt number")
        with self.engine.connect() as conn:
            row = conn.execute(select(attempts).where(attempts.c.id == attempt_id)).mappings().first()
        if row is None:
            raise StoreError(f"no attempt {attempt_id}")
        return _attempt(row)

    def attempts_of(self, learner_id: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(attempts).where(attempts.c.learner_id == int(learner_id))
                                .order_by(attempts.c.id)).mappings().all()
        return [_attempt(r) for r in rows]

    def update_attempt(self, attempt_id: int, **fields: Any) -> None:
        """Save some of: plan (dict), phase, snapshot (dict or None), run_key, score_total."""
        values: dict[str, Any] = {"updated_at": _now()}
        for key, value in fields.items():
            if key == "plan":
                values["plan_json"] = json.dumps(value, sort_keys=True)
                values["revision"] = attempts.c.revision + 1
            elif key == "snapshot":
                values["snapshot_json"] = None if value is None else json.dumps(value, sort_keys=True)
            elif key in ("phase", "run_key", "score_total"):
                values[key] = value
            else:
                raise StoreError(f"an attempt has no field '{key}'")
        with self.engine.begin() as conn:
            done = conn.execute(attempts.update().where(attempts.c.id == int(attempt_id)).values(**values))
        if done.rowcount == 0:
            raise StoreError(f"no attempt {attempt_id}")

    def save_decisions(self, attempt_id: int, decisions: dict, impact_answers: dict | None = None,
                       phase: str | None = None) -> dict:
        """Merge some decisions (and impact answers) into the saved plan and return it. The change is written
        over the revision it was merged into, else merged again into the newer one: two team members saving
        at once each keep what they changed."""
        for _ in range(MERGE_TRIES):
            current = self.attempt(attempt_id)
            _known(decisions, current["plan"].get("decisions", {}))
            plan = {**current["plan"], "decisions": {**current["plan"].get("decisions", {}), **decisions}}
            if impact_answers:
                plan["impact_answers"] = {**current["plan"].get("impact_answers", {}), **impact_answers}
            values = {"plan_json": json.dumps(plan, sort_keys=True), "revision": current["revision"] + 1,
                      "updated_at": _now(), **({"phase": phase} if phase else {})}
            with self.engine.begin() as conn:
                done = conn.execute(attempts.update().where(attempts.c.id == int(attempt_id),
                                                            attempts.c.revision == current["revision"])
                                    .values(**values))
            if done.rowcount == 1:
                return plan
        raise StoreError("the plan is changing too fast to save; try again")

    # ------------------------------------------------------------------ cached runs

    def get_run(self, key: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs.c.result).where(runs.c.key == key)).first()
        return json.loads(zlib.decompress(row[0])) if row else None

    def put_run(self, key: str, scenario_id: str, result: dict) -> None:
        blob = zlib.compress(json.dumps(result, sort_keys=True).encode("utf-8"), 6)
        try:
            with self.engine.begin() as conn:
                if conn.execute(select(runs.c.key).where(runs.c.key == key)).first() is None:
                    conn.execute(runs.insert().values(key=key, scenario_id=scenario_id, result=blob,
                                                      created_at=_now()))
        except IntegrityError:
            pass  # another process stored the same run (same key, same result) first


def _known(changes: dict, saved: dict) -> None:
    """Refuse a decision id neither the catalogue nor the saved plan has (a scenario's own decisions are in
    the plan from its start): a typo is an error, never a silent new key."""
    from sandbox.spec.decisions import BY_ID, UnknownDecision

    for key in changes:
        if key not in BY_ID and key not in saved:
            raise StoreError(str(UnknownDecision(key, [*BY_ID, *saved])))


def _attempt(row) -> dict:
    out = dict(row)
    out["plan"] = json.loads(out.pop("plan_json"))
    snap = out.pop("snapshot_json")
    out["snapshot"] = json.loads(snap) if snap else None
    return out


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer (many learners, one file)
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
