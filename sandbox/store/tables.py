"""The tables, as SQLAlchemy Core metadata (the current schema; ``migrations`` builds it)."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

learners = Table(
    "learners", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("token", String(40), nullable=False, unique=True),  # the resume code in the learner's link
    Column("created_at", DateTime(timezone=True), nullable=False),
)

attempts = Table(
    "attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("scenario_id", String(80), nullable=False),
    Column("difficulty", String(20), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("phase", String(20), nullable=False),
    Column("plan_json", Text, nullable=False),
    Column("snapshot_json", Text),  # step mode: the run's inputs and the learner's actions so far
    Column("run_key", String(64)),  # the finished run, in ``runs``
    Column("score_total", Float),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("key", String(64), primary_key=True),  # hash of scenario, plan, seed, difficulty and step actions
    Column("scenario_id", String(80), nullable=False),
    Column("result", LargeBinary, nullable=False),  # the scored result JSON, zlib-compressed
    Column("created_at", DateTime(timezone=True), nullable=False),
)
