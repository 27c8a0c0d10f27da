"""The tables, as SQLAlchemy Core metadata (the current schema; ``migrations`` builds it)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
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
    UniqueConstraint,
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
    # bumped by every plan change; a change is written only over the revision it was made on, so team
    # members saving at once each keep their own decisions (see ``Store.save_decisions``)
    Column("revision", Integer, nullable=False, server_default="0"),
)

runs = Table(
    "runs", metadata,
    Column("key", String(64), primary_key=True),  # hash of scenario, plan, seed, difficulty and step actions
    Column("scenario_id", String(80), nullable=False),
    Column("result", LargeBinary, nullable=False),  # the scored result JSON, zlib-compressed
    Column("created_at", DateTime(timezone=True), nullable=False),
)

workshops = Table(
    "workshops", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(12), nullable=False, unique=True),  # the join code (see ``sandbox.workshop``)
    Column("name", String(80), nullable=False),
    Column("scenario_id", String(80), nullable=False),
    Column("difficulty", String(20), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("team_size", Integer, nullable=False),
    Column("passphrase_hash", String(200), nullable=False),
    Column("plan_json", Text, nullable=False),  # the plan every team starts from
    Column("open_phases_json", Text, nullable=False),  # the phases the facilitator has opened
    Column("locked", Boolean, nullable=False),  # decisions locked by the facilitator
    Column("debrief_open", Boolean, nullable=False),
    # wrong passphrases in a row from any client, and the wait they set for clients that have failed
    # themselves (see ``store.signin``; per client: ``sign_in_tries``)
    Column("failed_logins", Integer, nullable=False),
    Column("login_wait_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

teams = Table(
    "teams", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(40), nullable=False),
    Column("attempt_id", Integer, ForeignKey("attempts.id", ondelete="SET NULL")),  # the plan the team shares
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("workshop_id", "name", name="uq_team_name"),
)

members = Table(
    "members", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="CASCADE"), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL"), index=True),  # None: waiting room
    Column("role", String(10), nullable=False),  # learner or observer
    Column("joined_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("workshop_id", "learner_id", name="uq_member"),
)

# ---------------------------------------------------------------------- live workshop activity (version 3)

injects = Table(
    "injects", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("due_at", DateTime(timezone=True), nullable=False),  # fired now, or scheduled for later
    Column("targets_json", Text),  # team ids; None: every team
    Column("channel", String(40), nullable=False),  # how it reaches the team: email, phone, news...
    Column("message", Text, nullable=False),  # what the team reads
    Column("expected_action", Text, nullable=False),  # for the facilitator's review only
    Column("effect_json", Text),  # {"kind", "params"}: the event put into the team's run; None: message only
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("inject_id", Integer, ForeignKey("injects.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Float, nullable=False),  # the team's simulated day when the inject reached its run
    Column("event_id", String(20)),  # the event it became in the run (None: a message only)
    Column("delivered_at", DateTime(timezone=True), nullable=False),
)

notes = Table(
    "notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("inject_id", Integer, ForeignKey("injects.id", ondelete="SET NULL")),  # the event it is about
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="SET NULL")),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("author", String(80)),  # None: the facilitator; otherwise the observer's display name
)

activities = Table(  # a poll or quiz the facilitator launched
    "activities", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # poll or quiz
    Column("ref", String(80), nullable=False),  # the poll's or quiz's id in lessons/
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),  # None: still open
)

answers = Table(
    "answers", metadata,
    Column("activity_id", Integer, ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True),
    Column("value", Text, nullable=False),
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

pushes = Table(  # the facilitator moved a stuck team on: the decisions it had not made took their defaults
    "pushes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("defaults_json", Text, nullable=False),  # phase -> the decision ids that took their defaults
    Column("pushed_at", DateTime(timezone=True), nullable=False),
)

peer_reviews = Table(  # one team's review of another team's strategy with the rubric's peer section
    "peer_reviews", metadata,
    Column("from_team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("to_team_id", Integer, ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("learner_id", Integer, ForeignKey("learners.id", ondelete="SET NULL")),  # who saved it last
    Column("points_json", Text, nullable=False),  # peer criterion id -> points
    Column("strength", Text, nullable=False),
    Column("suggestion", Text, nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
)

# ---------------------------------------------------------------------- the facilitator's sign-in (version 5)

sign_in_tries = Table(  # wrong passphrases in a row from one client address, and the wait they set
    "sign_in_tries", metadata,
    Column("workshop_id", Integer, ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True),
    Column("client", String(64), primary_key=True),  # the browser's address as the server sees it
    Column("failures", Integer, nullable=False),  # counted before the passphrase is checked (see the store)
    Column("wait_until", DateTime(timezone=True)),  # no passphrase from this client is checked before this
)
