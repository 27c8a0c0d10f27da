"""Workshops: join codes, the facilitator's passphrase and its slow-down, teams, shared plans, access rules,
exports and the CLI. Store tests run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from conftest import ROOT, flagship, run_flagship
from hypothesis import given
from hypothesis import strategies as st

from sandbox import workshop as ws
from sandbox.cli import main
from sandbox.reports.exports import export
from sandbox.store import open_store
from sandbox.store.common import StoreError, now
from sandbox.store.workshops import SignInRefused
from sandbox.workshop.facilitation import create_workshop

PASS = "correct horse battery"


# ---------------------------------------------------------------------- codes, passphrases, teams, blocks

def test_join_codes_have_nothing_to_misread_and_are_typed_forgivingly():
    assert not set(ws.CODE_ALPHABET) & set("0O1IL2Z5S8B")
    codes = {ws.new_code() for _ in range(300)}
    assert len(codes) > 290 and all(len(c) == 6 and set(c) <= set(ws.CODE_ALPHABET) for c in codes)
    assert ws.parse_code(" aef-479 ") == ws.parse_code("AEF 479") == "AEF479"
    assert ws.show_code("AEF479") == "AEF-479"
    with pytest.raises(ws.WorkshopError, match="never contains 0"):
        ws.parse_code("AEF-470")
    with pytest.raises(ws.WorkshopError, match="6 characters"):
        ws.parse_code("AEF-47")


def test_passphrases_are_salted_hashes_checked_exactly():
    first, second = ws.hash_passphrase(PASS), ws.hash_passphrase(PASS)
    assert first != second and PASS not in first and first.startswith("scrypt$")
    assert ws.passphrase_matches(PASS, first) and ws.passphrase_matches(PASS, second)
    for wrong in ("correct horse battery ", "Correct horse battery", "", "x" * 10_000):
        assert not ws.passphrase_matches(wrong, first)
    assert not ws.passphrase_matches(PASS, "not a hash")
    with pytest.raises(ws.WorkshopError, match="at least 8"):
        ws.hash_passphrase("short")


def test_wrong_tries_wait_twice_as_long_each_time_up_to_a_cap():
    waits = [ws.wait_after(n) for n in range(20)]
    assert waits[:ws.FREE_TRIES] == [0.0] * ws.FREE_TRIES
    assert waits[ws.FREE_TRIES:ws.FREE_TRIES + 4] == [1.0, 2.0, 4.0, 8.0]
    assert max(waits) == ws.MAX_WAIT_S and waits == sorted(waits)


@given(st.integers(0, 60), st.integers(1, ws.TEAM_SIZE_MAX))
def test_dealt_teams_hold_everyone_once_and_differ_in_size_by_at_most_one(people, size):
    teams = ws.deal_teams(list(range(people)), size)
    assert sorted(m for t in teams for m in t) == list(range(people))
    assert len(teams) == max(1, math.ceil(people / size))
    sizes = [len(t) for t in teams]
    assert max(sizes) <= size and max(sizes) - min(sizes) <= 1


def test_the_console_blocks_are_the_facilitator_guides():
    guide = ROOT / "lessons" / "facilitator-guide.md"
    blocks = ws.blocks(guide)
    assert [b.name for b in blocks] == ["Engage", "Explore", "Explain", "Elaborate", "Evaluate"]
    assert sum(b.minutes for b in blocks) == 240 and blocks[-1].start_minute == 210
    table = {row.split("|")[1].strip(): int(row.split("|")[2]) for row in guide.read_text().splitlines()
             if row.startswith("| E")}
    assert table == {b.name: b.minutes for b in blocks}  # the "at a glance" table agrees with the headings


# ---------------------------------------------------------------------- the store

@pytest.fixture
def store(db_url):
    return open_store(db_url)


@pytest.fixture
def room(store):
    """A workshop with seven learners and an observer in the waiting room."""
    found = create_workshop(store, "benefits-triage", "Ministry pilot", PASS, team_size=3, seed=5)
    people = [store.join_workshop(found["code"].lower(), f"Learner {i}")["learner"] for i in range(7)]
    observer = store.join_workshop(ws.show_code(found["code"]), "Observer")["learner"]
    store.set_role(found["id"], observer["id"], "observer")  # named by the facilitator
    return found, people, observer


def test_a_workshop_keeps_its_secret_and_starts_every_team_from_the_defaults(store, room):
    found, _, _ = room
    again = store.workshop(found["code"])
    assert not {"passphrase_hash", "failed_logins", "login_wait_until"} & set(again)
    assert PASS not in json.dumps(again, default=str)
    assert again["plan"]["decisions"]["model.algorithm"] and again["seed"] == 5
    with pytest.raises(StoreError, match="no workshop has the code"):
        store.workshop("AAA-AAA")
    with pytest.raises(StoreError, match="at least 8"):
        create_workshop(store, "benefits-triage", "x", "short")
    with pytest.raises(ws.Refused, match="no 'expert' difficulty"):
        create_workshop(store, "benefits-triage", "x", PASS, difficulty="expert")


def test_teams_are_dealt_from_the_waiting_room_and_each_shares_one_attempt(store, room):
    found, people, observer = room
    teams = store.form_teams(found["id"])
    assert [t["name"] for t in teams] == ["Team 1", "Team 2", "Team 3"]
    assert [[m["name"] for m in t["members"]] for t in teams] == [
        ["Learner 0", "Learner 3", "Learner 6"], ["Learner 1", "Learner 4"], ["Learner 2", "Learner 5"]]
    assert store.membership(observer["id"])["team_id"] is None  # observers are not dealt
    attempts = {t["attempt_id"] for t in teams}
    assert None not in attempts and len(attempts) == 3
    shared = store.attempt(teams[0]["attempt_id"])
    assert (shared["scenario_id"], shared["seed"], shared["plan"]) == ("benefits-triage", 5, found["plan"])
    late = store.join_workshop(found["code"], "Late arrival")["learner"]
    spare = store.add_team(found["id"])  # by hand: an empty team, then the late arrival placed in it
    assert spare["name"] == "Team 4" and spare["attempt_id"] is None
    store.place(found["id"], late["id"], spare["id"])
    assert store.team_of(late["id"])["attempt_id"] is not None
    with pytest.raises(StoreError, match="already has a team called 'Team 1'"):
        store.add_team(found["id"], "Team 1")


def test_learners_open_only_their_own_teams_work_until_the_debrief(store, room):
    found, people, observer = room
    teams = store.form_teams(found["id"])
    mine, other = teams[0]["attempt_id"], teams[1]["attempt_id"]
    me, outsider = people[0]["id"], people[1]["id"]
    assert store.attempt_access(me, mine) == "team"
    assert store.attempt_access(outsider, mine) is None
    assert store.attempt_access(observer["id"], mine) is None
    stranger = store.create_learner("Not in the workshop")
    assert store.attempt_access(stranger["id"], mine) is None
    own = store.new_attempt(stranger["id"], "benefits-triage", "standard", 1, {}, "problem")
    assert store.attempt_access(stranger["id"], own) == "own" and store.attempt_access(me, own) is None
    store.set_workshop(found["id"], debrief_open=True)
    assert store.attempt_access(outsider, mine) == "debrief" and store.attempt_access(me, other) == "debrief"
    assert store.attempt_access(stranger["id"], mine) is None


def test_a_wrong_passphrase_is_refused_and_each_further_try_waits_longer(store, room):
    found, _, _ = room
    code, t = found["code"], now()
    assert store.facilitator_sign_in(code, PASS, at=t)["id"] == found["id"]
    for _ in range(ws.FREE_TRIES - 1):
        with pytest.raises(SignInRefused, match="wrong passphrase$"):
            store.facilitator_sign_in(code, "not the passphrase", at=t)
    with pytest.raises(SignInRefused, match="try again in 1 s") as refused:
        store.facilitator_sign_in(code, "not the passphrase", at=t)
    assert refused.value.wait_s == 1.0
    with pytest.raises(SignInRefused, match="too many wrong passphrases"):  # even the right one waits
        store.facilitator_sign_in(code, PASS, at=t + timedelta(seconds=0.5))
    with pytest.raises(SignInRefused, match="try again in 2 s"):
        store.facilitator_sign_in(code, "still wrong", at=t + timedelta(seconds=1.5))
    again = open_store(store.url)  # another app process sees the same count and wait
    with pytest.raises(SignInRefused, match="too many"):
        again.facilitator_sign_in(code, PASS, at=t + timedelta(seconds=3))
    assert again.facilitator_sign_in(code, PASS, at=t + timedelta(seconds=4))["id"] == found["id"]
    for _ in range(ws.FREE_TRIES - 1):  # the right passphrase cleared the count
        with pytest.raises(SignInRefused, match="wrong passphrase$"):
            again.facilitator_sign_in(code, "wrong again", at=t + timedelta(seconds=5))


def test_team_members_saving_at_once_each_keep_their_decisions(store, room):
    """Three members of one team save different decisions of every phase at the same moment (threads, each
    with its own connection); every decision is in the shared plan afterwards."""
    found, _, _ = room
    team = store.form_teams(found["id"])[0]
    attempt_id = team["attempt_id"]
    phases = ["problem", "data", "development", "evaluation", "deployment", "monitoring", "retraining"]

    from sandbox.spec.decisions import CATALOGUE

    def key(i: int, j: int) -> str:  # a decision of its own for each member and phase
        return CATALOGUE[i * len(phases) + j].id

    def member(i: int) -> None:
        for j, phase in enumerate(phases):
            store.save_decisions(attempt_id, {key(i, j): f"member {i}"}, phase=phase)

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(member, range(3)))
    got = open_store(store.url).attempt(attempt_id)
    for i in range(3):
        assert all(got["plan"]["decisions"][key(i, j)] == f"member {i}" for j in range(len(phases)))
    untouched = CATALOGUE[-1].id
    assert got["plan"]["decisions"][untouched] == found["plan"]["decisions"][untouched]
    assert got["revision"] == 3 * len(phases)


def test_a_version_one_database_is_upgraded_with_nothing_lost(db_url):
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine

    from sandbox.store import tables

    old = MetaData()  # the schema as version 1 released it
    Table("meta", old, Column("key", String(40), primary_key=True), Column("value", String(200)))
    Table("learners", old, Column("id", Integer, primary_key=True), Column("name", String(80)),
          Column("token", String(40)), Column("created_at", DateTime(timezone=True)))
    Table("attempts", old, *[Column(c.name, c.type, primary_key=c.primary_key) for c in tables.attempts.columns
                             if c.name != "revision"])
    engine = create_engine(db_url)
    old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(old.tables["meta"].insert().values(key="schema_version", value="1"))
        conn.execute(old.tables["learners"].insert().values(id=1, name="Ada", token="t" * 16, created_at=now()))
        conn.execute(old.tables["attempts"].insert().values(
            id=1, learner_id=1, scenario_id="benefits-triage", difficulty="standard", seed=1, phase="data",
            plan_json=json.dumps({"decisions": {"x": 1}}), created_at=now(), updated_at=now()))
    tables.runs.create(engine)
    s = open_store(db_url)
    got = s.attempt(1)
    assert (got["phase"], got["plan"], got["revision"]) == ("data", {"decisions": {"x": 1}}, 0)
    assert s.save_decisions(1, {"data.versioning": True})["decisions"] == {"x": 1, "data.versioning": True}
    assert create_workshop(s, "benefits-triage", "after the upgrade", PASS)["code"]


# ---------------------------------------------------------------------- exports and the CLI

def _scored_team(store, found) -> tuple[list[dict], dict]:
    from sandbox.runs.scored import scored as score_run

    teams = store.form_teams(found["id"])
    result = run_flagship("naive", seed=1)
    result = {**result, "score": score_run(result, flagship(), reference=run_flagship("expert", seed=1))}
    store.put_run("team-1-run", "benefits-triage", result)
    store.update_attempt(teams[0]["attempt_id"], run_key="team-1-run", phase="results")
    return teams, result


def test_the_scores_export_has_a_row_per_learner_with_team_criteria_and_total(store, room):
    found, people, _ = room
    teams, result = _scored_team(store, found)
    rows = list(csv.DictReader(io.StringIO(export(store, found["code"], "csv"))))
    assert sorted(r["learner"] for r in rows) == sorted(p["name"] for p in people)  # observers have no score
    scored = [r for r in rows if r["team"] == "Team 1"]
    assert len(scored) == 3 and all(float(r["total"]) == pytest.approx(result["score"]["total"]) for r in scored)
    for c in result["score"]["criteria"]:
        assert float(scored[0][c["id"]]) == pytest.approx(c["points"])
    assert all(r["total"] == "" and r["phase"] == "problem" for r in rows if r["team"] != "Team 1")
    full = json.loads(export(store, found["code"], "json"))
    assert [t["name"] for t in full["teams"]] == ["Team 1", "Team 2", "Team 3"]
    assert full["teams"][0]["result"]["score"]["total"] == pytest.approx(result["score"]["total"])
    assert "passphrase_hash" not in json.dumps(full)


def test_the_cli_creates_a_workshop_and_exports_it(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    monkeypatch.setenv("SANDBOX_FACILITATOR_PASSPHRASE", PASS)
    assert main(["workshop", "create", "--scenario", "water-mains", "--name", "Utilities team day",
                 "--team-size", "2", "--url", "https://sandbox.example.gov/", "--db", url]) == 0
    out = capsys.readouterr().out
    code = out.split("join code: ")[1].split()[0]
    assert f"join link: https://sandbox.example.gov/?join={ws.parse_code(code)}" in out and PASS not in out
    s = open_store(url)
    assert s.facilitator_sign_in(code, PASS)["scenario_id"] == "water-mains"
    for name in ("A", "B", "C"):
        s.join_workshop(code, name)
    s.form_teams(s.workshop(code)["id"])
    target = tmp_path / "scores.csv"
    assert main(["workshop", "export", code, "--format", "csv", "--out", str(target), "--db", url]) == 0
    rows = list(csv.DictReader(target.open()))
    assert [(r["learner"], r["team"]) for r in rows] == [("A", "Team 1"), ("B", "Team 2"), ("C", "Team 1")]
    assert main(["workshop", "export", "AAA-AAA", "--out", str(target), "--db", url]) == 1
    assert "no workshop has the code AAA-AAA" in capsys.readouterr().err
    monkeypatch.delenv("SANDBOX_FACILITATOR_PASSPHRASE")
    assert main(["workshop", "create", "--scenario", "water-mains", "--name", "No terminal", "--db", url]) == 0
    assert "facilitator passphrase (shown once" in capsys.readouterr().out


def test_the_bench_workshop_load_loses_nothing(db_url):
    from sandbox.bench.workshop import workshop_writes

    figures = workshop_writes(db_url, members=12)
    assert (figures["lost"], figures["saves"], figures["teams"]) == (0, 12 * 9, 3)
    assert figures["database"] == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
