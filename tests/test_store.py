"""Saved progress: learners, attempts and cached runs survive a new connection; the schema is versioned.
Every test runs against SQLite and against a real PostgreSQL server."""

import pytest
from sqlalchemy import create_engine, inspect

from sandbox.store import open_store, tables
from sandbox.store.db import StoreError
from sandbox.store.migrations import LATEST, SchemaTooNew, current_version, upgrade


@pytest.fixture
def url(db_url):
    return db_url  # every test runs on SQLite and on PostgreSQL


def test_everything_saved_is_there_after_reopening(url):
    s = open_store(url)
    me = s.create_learner("  Ada   Lovelace ")
    assert me["name"] == "Ada Lovelace" and len(me["token"]) >= 12
    a = s.new_attempt(me["id"], "benefits-triage", "standard", 3, {"name": "p", "decisions": {"x": 1}}, "problem")
    s.update_attempt(a, phase="play", snapshot={"actions": [{"op": "advance", "days": 7}]},
                     plan={"name": "p", "decisions": {"x": 2}})
    s.put_run("k1", "benefits-triage", {"score": {"total": 50.0}, "timeline": [1, 2, 3]})
    again = open_store(url)  # a server restart
    assert again.learner_by_token(me["token"])["name"] == "Ada Lovelace"
    got = again.attempt(a)
    assert (got["phase"], got["seed"], got["plan"]["decisions"]) == ("play", 3, {"x": 2})
    assert got["snapshot"] == {"actions": [{"op": "advance", "days": 7}]}
    assert again.get_run("k1") == {"score": {"total": 50.0}, "timeline": [1, 2, 3]}
    assert again.get_run("missing") is None
    assert [x["id"] for x in again.attempts_of(me["id"])] == [a]


@pytest.mark.parametrize("name", ["", "   ", "x" * 81])
def test_bad_names_are_refused_with_a_reason(url, name):
    with pytest.raises(StoreError, match="display name"):
        open_store(url).create_learner(name)


def test_unknown_attempts_and_fields_are_clear_errors(url):
    s = open_store(url)
    with pytest.raises(StoreError, match="no attempt 99"):
        s.attempt(99)
    with pytest.raises(StoreError, match="no attempt 99"):
        s.update_attempt(99, phase="data")
    me = s.create_learner("B")
    a = s.new_attempt(me["id"], "x", "standard", 1, {}, "problem")
    with pytest.raises(StoreError, match="no field 'colour'"):
        s.update_attempt(a, colour="red")


def test_migrations_build_the_declared_schema_and_record_the_version(url):
    open_store(url)
    engine = create_engine(url)
    insp = inspect(engine)
    for table in tables.metadata.sorted_tables:
        assert {c["name"] for c in insp.get_columns(table.name)} == {c.name for c in table.columns}, table.name
    with engine.connect() as conn:
        assert current_version(conn) == LATEST
    assert upgrade(engine) == LATEST  # nothing left to do on a second start


def test_a_version_3_database_keeps_its_notes_and_gains_authors_and_peer_reviews(url):
    """A workshop database from before observers' notes and peer reviews is upgraded in place."""
    from sqlalchemy import text

    from sandbox.workshop.facilitation import create_workshop

    s = open_store(url)
    found = create_workshop(s, "water-mains", "Before", "correct horse battery")
    s.add_note(found["id"], "Written at version 3")
    engine = create_engine(url)
    with engine.begin() as conn:  # back to how version 3 left it
        tables.sign_in_tries.drop(conn)
        tables.peer_reviews.drop(conn)
        conn.execute(text("ALTER TABLE notes DROP COLUMN author"))
        conn.execute(tables.meta.update().values(value="3"))
    assert upgrade(engine) == 3
    again = open_store(url)
    assert [(n["text"], n["author"]) for n in again.notes(found["id"])] == [("Written at version 3", None)]
    assert again.peer_reviews(found["id"]) == []


def test_a_version_4_database_gains_per_address_sign_in_waits(url):
    from sandbox.workshop.facilitation import create_workshop

    s = open_store(url)
    found = create_workshop(s, "water-mains", "Before", "correct horse battery")
    engine = create_engine(url)
    with engine.begin() as conn:  # back to how version 4 left it
        tables.sign_in_tries.drop(conn)
        conn.execute(tables.meta.update().values(value="4"))
    assert upgrade(engine) == 4
    again = open_store(url)
    assert again.facilitator_sign_in(found["code"], "correct horse battery", client="10.0.0.7")["id"] == found["id"]
    assert again.sign_in_tries(found["id"]) == {"*": {"failures": 0, "wait_until": None}}


def test_a_database_from_a_newer_version_is_refused(url):
    open_store(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(tables.meta.update().values(value=str(LATEST + 1)))
    with pytest.raises(SchemaTooNew, match="newer|knows up to"):
        upgrade(engine)


def test_forty_learners_saving_at_once_lose_no_decision(url):
    """Forty learners (threads, each with its own connection from the pool) save a decision per phase at
    the same time; every decision is there afterwards, read through a new store."""
    from concurrent.futures import ThreadPoolExecutor

    s = open_store(url)
    phases = ["problem", "data", "development", "evaluation", "deployment", "monitoring", "retraining"]

    def learner(i: int) -> int:
        me = s.create_learner(f"Learner {i}")
        a = s.new_attempt(me["id"], "benefits-triage", "standard", 1, {"name": "p", "decisions": {}}, "problem")
        for phase in phases:
            plan = s.attempt(a)["plan"]
            plan["decisions"][f"{phase}.choice"] = f"{i}-{phase}"
            s.update_attempt(a, plan=plan, phase=phase)
        return a

    with ThreadPoolExecutor(40) as pool:
        ids = list(pool.map(learner, range(40)))
    again = open_store(url)
    for i, a in enumerate(ids):
        got = again.attempt(a)
        assert got["plan"]["decisions"] == {f"{p}.choice": f"{i}-{p}" for p in phases}
        assert got["phase"] == phases[-1]


def test_a_bare_postgresql_url_uses_the_installed_driver():
    from sandbox.store.db import engine_url

    assert engine_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert engine_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert engine_url("sqlite:///x.db") == "sqlite:///x.db"
