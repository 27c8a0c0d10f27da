"""A versioned schema: each migration moves the database up one version, in one transaction.

The version lives in the ``meta`` table. A new migration is appended to
``MIGRATIONS`` and changes the tables explicitly (add a column, create a table);
migrations already released are never edited. ``tests/test_store.py`` checks that
a database built by the migrations matches ``tables.metadata``.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from sandbox.store import tables


def _v1(conn: Connection) -> None:
    for table in (tables.learners, tables.attempts, tables.runs):
        table.create(conn)


def _v2(conn: Connection) -> None:
    """Workshops: teams, members, and a revision on attempts for plans several people edit at once."""
    if "revision" not in {c["name"] for c in inspect(conn).get_columns("attempts")}:  # (``_v1`` builds
        # the attempts table from the current metadata, so a new database has the column already)
        conn.execute(text("ALTER TABLE attempts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0"))
    for table in (tables.workshops, tables.teams, tables.members):
        table.create(conn)


def _v3(conn: Connection) -> None:
    """Live workshop activity: injects and their deliveries, facilitator notes, polls and quizzes, teams
    moved on by the facilitator."""
    for table in (tables.injects, tables.deliveries, tables.notes, tables.activities, tables.answers,
                  tables.pushes):
        table.create(conn)


def _v4(conn: Connection) -> None:
    """Peer reviews between teams, and observers' notes beside the facilitator's."""
    if "author" not in {c["name"] for c in inspect(conn).get_columns("notes")}:  # (as in ``_v2``)
        conn.execute(text("ALTER TABLE notes ADD COLUMN author VARCHAR(80)"))
    tables.peer_reviews.create(conn)


def _v5(conn: Connection) -> None:
    """The facilitator's sign-in slowed down per client address, not only per workshop."""
    tables.sign_in_tries.create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3, _v4, _v5]
LATEST = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the sandbox."""


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    row = conn.execute(select(tables.meta.c.value).where(tables.meta.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


def upgrade(engine) -> int:
    """Bring the database to the latest version; returns the version it was at."""
    with engine.begin() as conn:
        tables.meta.create(conn, checkfirst=True)
        start = current_version(conn)
    if start > LATEST:
        raise SchemaTooNew(f"the database is at schema version {start}; this sandbox knows up to {LATEST}")
    for version in range(start + 1, LATEST + 1):
        with engine.begin() as conn:
            MIGRATIONS[version - 1](conn)
            conn.execute(tables.meta.delete().where(tables.meta.c.key == "schema_version"))
            conn.execute(tables.meta.insert().values(key="schema_version", value=str(version)))
    return start
