"""A workshop's live activity: injects reaching each team's step-mode run at the team's own day (now, later,
to some teams, from a CSV list), team members moving one run at once, facilitator notes, polls and quizzes.
Store tests run against SQLite and a real PostgreSQL server."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import ROOT

from sandbox.runs.service import Runner
from sandbox.spec.loader import load_scenario
from sandbox.store import open_store
from sandbox.store.common import StoreError, now
from sandbox.workshop import Refused, tally
from sandbox.workshop import injects as inj
from sandbox.workshop.facilitation import create_workshop
from sandbox.workshop.stepping import actions_of, move

PASS = "correct horse battery"
SCENARIO = "benefits-triage"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO).scenario


def _teams(store, n: int, team_size: int = 1):
    found = create_workshop(store, SCENARIO, "Live", PASS, team_size=team_size)
    for i in range(n * team_size):
        store.join_workshop(found["code"], f"Learner {i + 1}")
    return found, store.form_teams(found["id"])


# ---------------------------------------------------------------------- effects and the CSV list

def test_effects_are_read_and_checked_against_the_scenario(scenario):
    assert inj.parse_effect("none", scenario) is None and inj.parse_effect("", scenario) is None
    assert inj.parse_effect("serving_crash", scenario) == {"kind": "serving_crash", "params": {}}
    assert inj.parse_effect("legacy_outage source=claims_portal duration_days=3 title=Portal_down", scenario) == {
        "kind": "legacy_outage", "params": {"source": "claims_portal", "duration_days": 3, "title": "Portal down"}}
    for text, says in (("meteor_strike", "unknown event kind 'meteor_strike'"),
                       ("legacy_outage", "needs: source"),
                       ("legacy_outage source=fax_machine", "unknown source 'fax_machine'"),
                       ("serving_crash colour=red", "'colour=red' is not one of"),
                       ("traffic_spike duration_days=-2", "duration_days")):
        with pytest.raises(ValueError, match=says):
            inj.parse_effect(text, scenario)
    for preset in inj.presets(scenario):  # everything the console offers can be sent
        inj.parse_effect(preset, scenario)


def test_an_events_list_is_read_from_csv_with_every_problem_named_by_line_and_column(scenario):
    good = ("Offset,Target teams,Channel,Message,Expected action,Simulation effect\n"
            "0,all,email,Nothing decided since 9am,Switch to manual processing,serving_crash\n"
            "1:30,team 2; Team 1,phone,A journalist calls,Check the fairness report,none\n")
    first, second = inj.read_events_csv("list.csv", good, scenario, ["Team 1", "Team 2"])
    assert first.targets is None and first.effect == {"kind": "serving_crash", "params": {}}
    assert second.offset_min == 90 and second.targets == ("Team 2", "Team 1") and second.effect is None
    bad = ("offset,target teams,channel,message,expected action,simulation effect\n"
           "soon,all,email,Outage,,serving_crash\n"
           "5,Team 9,email,,,meteor_strike\n")
    with pytest.raises(inj.InjectError) as caught:
        inj.read_events_csv("list.csv", bad, scenario, ["Team 1"])
    problems = caught.value.problems
    assert problems[0].startswith("list.csv:2: offset: 'soon' is not a number of minutes")
    assert any(p.startswith("list.csv:3: target teams: no team called 'Team 9'") for p in problems)
    assert any(p.startswith("list.csv:3: simulation effect: unknown event kind") for p in problems)
    assert any(p.startswith("list.csv:3: message:") for p in problems)
    with pytest.raises(inj.InjectError, match=r"list.csv:1: missing column 'simulation effect'"):
        inj.read_events_csv("list.csv", "offset,target teams,channel,message,expected action\n", scenario, [])


# ---------------------------------------------------------------------- injects in the store

def test_injects_are_due_to_their_teams_only_once_their_time_has_come(db_url):
    store = open_store(db_url)
    found, (one, two) = _teams(store, 2)
    now_id = store.add_inject(found["id"], "email", "Outage", "Go manual", {"kind": "serving_crash", "params": {}})
    later = store.add_inject(found["id"], "phone", "Journalist", "", None, [two["id"]],
                             now() + timedelta(minutes=10))
    assert [i["id"] for i in store.due_injects(one["id"])] == [now_id]
    assert [i["id"] for i in store.due_injects(two["id"])] == [now_id]
    assert [i["id"] for i in store.due_injects(two["id"], at=now() + timedelta(minutes=11))] == [now_id, later]
    assert store.due_injects(one["id"], at=now() + timedelta(minutes=11))[-1]["id"] == now_id  # not its target
    attempt = store.attempt(one["attempt_id"])
    assert store.swap_snapshot(attempt["id"], attempt["revision"], {"actions": []}, team_id=one["id"],
                               delivered=[{"inject_id": now_id, "day": 12.0, "event_id": "I1"}])
    assert not store.swap_snapshot(attempt["id"], attempt["revision"], {"actions": []}, team_id=one["id"],
                                   delivered=[{"inject_id": now_id, "day": 13.0}])  # a stale revision
    assert store.due_injects(one["id"]) == []
    assert store.injects(found["id"])[0]["deliveries"] == {one["id"]: {"day": 12.0, "event_id": "I1"}}
    said = store.team_messages(one["id"])
    assert [m["message"] for m in said] == ["Outage"] and "expected_action" not in said[0]  # never to teams
    with pytest.raises(StoreError, match="choose the teams"):
        store.add_inject(found["id"], "email", "x", team_ids=[999])


def test_an_outage_reaches_every_team_at_its_own_current_day(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'live.db'}")
    runner = Runner(store, workers=0)
    found, teams = _teams(store, 3)
    for team, days in zip(teams, (7, 30, 0), strict=True):
        if days:
            move(store, runner, team["attempt_id"], {"op": "advance", "days": days})
    store.add_inject(found["id"], "email", "No claims decided since this morning", "Go manual",
                     {"kind": "serving_crash", "params": {}})
    for team, day in zip(teams, (7, 30, 0), strict=True):
        out = move(store, runner, team["attempt_id"], {"op": "state"})
        assert out["delivered"] == [{"inject_id": 1, "day": float(day), "event_id": "I1"}]
        assert out["state"]["day"] == pytest.approx(day)
        out = move(store, runner, team["attempt_id"], {"op": "advance", "days": 7})
        crash = [i for i in out["state"]["pending"] if i["kind"] == "serving_crash"]
        assert crash and day <= crash[0]["detected_day"] <= day + 2, out["state"]["pending"]  # by the next day
        assert any(e["id"] == "I1" and e["day"] == day for e in out["state"]["events"])
    assert move(store, runner, teams[0]["attempt_id"], {"op": "state"})["delivered"] == []  # once only
    assert {t["name"]: d["day"] for t in teams for d in [store.injects(found["id"])[0]["deliveries"][t["id"]]]} \
        == {"Team 1": 7.0, "Team 2": 30.0, "Team 3": 0.0}


def test_team_members_moving_the_run_at_once_each_keep_their_move(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'live.db'}")
    runner = Runner(store, workers=0)
    _, (team,) = _teams(store, 1, team_size=3)
    start = threading.Barrier(3)

    def member():
        start.wait()
        move(store, runner, team["attempt_id"], {"op": "advance", "days": 5})

    threads = [threading.Thread(target=member) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert actions_of(store.attempt(team["attempt_id"])) == [{"op": "advance", "days": 5}] * 3


# ---------------------------------------------------------------------- notes, polls and quizzes

def test_notes_are_stamped_against_events(db_url):
    store = open_store(db_url)
    found, (team,) = _teams(store, 1)
    inject = store.add_inject(found["id"], "email", "Outage")
    store.add_note(found["id"], "Team 1 went manual within a simulated day", inject, team["id"])
    (note,) = store.notes(found["id"])
    assert note["inject_id"] == inject and note["team_id"] == team["id"] and note["created_at"] is not None
    with pytest.raises(StoreError, match="empty"):
        store.add_note(found["id"], "  ")


def test_a_polls_answers_aggregate_and_a_closed_poll_takes_no_more(db_url):
    store = open_store(db_url)
    found, _ = _teams(store, 3)
    people = store.members(found["id"])
    first = store.launch(found["id"], "poll", "trust-phase")
    store.answer(first, people[0]["learner_id"], "Monitoring")
    store.answer(first, people[1]["learner_id"], "Governance")
    store.answer(first, people[1]["learner_id"], "Monitoring")  # changed their mind: one answer each
    assert sorted(a["value"] for a in store.answers(first)) == ["Monitoring", "Monitoring"]
    second = store.launch(found["id"], "quiz", "canary")  # launching another closes the first
    assert store.open_activity(found["id"])["id"] == second
    assert [a["answered"] for a in store.activities(found["id"])] == [0, 2]
    with pytest.raises(StoreError, match="closed"):
        store.answer(first, people[2]["learner_id"], "Monitoring")
    store.close_activity(found["id"])
    assert store.open_activity(found["id"]) is None


def test_answers_are_tallied_over_every_option():
    assert tally("single_choice", ["A", "B", "C"], ["B", "B", "A", "stray"]) == [("A", 1), ("B", 2), ("C", 0)]
    counts = dict(tally("slider", [], ["3", "3", "10"]))
    assert list(counts) == [str(i) for i in range(1, 11)] and counts["3"] == 2 and counts["10"] == 1
    assert tally("free_text", [], ["anything"]) == []


def test_the_template_csv_the_console_offers_is_a_valid_events_list():
    from sandbox.app.console import TEMPLATE

    found = inj.read_events_csv("t.csv", TEMPLATE, load_scenario(SCENARIO).scenario, ["Team 1", "Team 2"])
    assert len(found) == 2 and (ROOT / "lessons" / "polls.yaml").is_file()


# ---------------------------------------------------------------------- moving a stuck team on; choosing a team

def test_a_stuck_team_is_moved_on_with_defaults_recorded_as_such(db_url):
    from sandbox.workshop.facilitation import push_on

    store = open_store(db_url)
    found, (team,) = _teams(store, 1)
    store.save_decisions(team["attempt_id"], {"problem.success_metric": "f1"}, phase="problem")
    with pytest.raises(Refused, match="not behind"):
        push_on(store, found, team)  # nothing open ahead of it
    found = store.set_workshop(found["id"], open_phases=["problem", "data", "development"])
    store.save_decisions(team["attempt_id"], {"data.versioning": True}, phase="problem")  # not yet in data
    taken = push_on(store, found, team)
    assert list(taken) == ["data", "development"] and "data.versioning" in taken["data"]
    attempt = store.attempt(team["attempt_id"])
    assert attempt["phase"] == "development"
    assert attempt["plan"]["decisions"]["data.versioning"] is False  # the default, taken
    assert attempt["plan"]["decisions"]["problem.success_metric"] == "f1"  # what the team decided stays
    assert store.pushes(team["id"])[0]["defaults"] == taken


def test_a_learner_chooses_a_team_with_room_only(db_url):
    store = open_store(db_url)
    found = create_workshop(store, SCENARIO, "Choose", PASS, team_size=1)
    ada, ben = (store.join_workshop(found["code"], n)["learner"] for n in ("Ada", "Ben"))
    watcher = store.join_workshop(found["code"], "Obi")["learner"]
    store.set_role(store.workshop(found["code"])["id"], watcher["id"], "observer")  # named by the facilitator
    team = store.add_team(found["id"])
    store.choose_team(found["id"], ada["id"], team["id"])
    assert store.team_of(ada["id"])["id"] == team["id"]
    with pytest.raises(StoreError, match="is full"):
        store.choose_team(found["id"], ben["id"], team["id"])
    with pytest.raises(StoreError, match="only a learner"):
        store.choose_team(found["id"], watcher["id"], team["id"])
    with pytest.raises(StoreError, match="in a team already"):
        store.choose_team(found["id"], ada["id"], team["id"])


# ---------------------------------------------------------------------- the debrief

def test_the_debrief_puts_teams_side_by_side():
    from sandbox.workshop import debrief as db

    a = {"timeline": [{"day": 0, "harms": 2, "accuracy": 0.9}, {"day": 1, "harms": 3, "accuracy": None}],
         "kpis": {"harms": 5}, "score": {"total": 80.0}}
    b = {"timeline": [{"day": 0, "harms": 1, "accuracy": 0.8}, {"day": 1, "harms": 0, "accuracy": 0.7}],
         "kpis": {"harms": 1}, "score": {"total": 90.0}}
    rows = db.trajectories({"Team 1": a, "Team 2": b}, "harms")
    assert [r["value"] for r in rows if r["who"] == "Team 1"] == [2, 5]  # harms add up over the year
    assert [r["value"] for r in db.trajectories({"Team 1": a}, "accuracy")] == [0.9]  # unknown days left out
    assert "Team 1 5 on day 1; Team 2 1 on day 1" in db.describe(rows, "harms")
    assert [r["score"] for r in db.outcome_rows({"Team 1": a, "Team 2": b})] == [80.0, 90.0]
    differ = db.decision_differences({"Team 1": {"decisions": {"x": True, "y": "a", "z": [1]}},
                                      "Team 2": {"decisions": {"x": True, "y": "b", "z": []}}})
    assert differ == [{"decision": "y", "Team 1": "a", "Team 2": "b"},
                      {"decision": "z", "Team 1": "1", "Team 2": "none"}]
    questions = db.reflection_questions(ROOT / "lessons" / "reflection.md")
    assert len(questions) >= 5 and all(q.endswith("?") for q in questions)


def test_reflections_are_kept_per_learner_apart_from_polls(db_url):
    store = open_store(db_url)
    found, _ = _teams(store, 2)
    ada, ben = (p["learner_id"] for p in store.members(found["id"]))
    store.launch(found["id"], "poll", "trust-phase")
    store.save_reflection(found["id"], ada, {"Q1?": "  Monitoring first.  ", "Q2?": ""})
    store.save_reflection(found["id"], ada, {"Q1?": "Monitoring, then lineage."})  # saved again: replaced
    store.close_activity(found["id"])  # closing the poll leaves reflections open
    store.save_reflection(found["id"], ben, {"Q2?": "Data silos"})
    assert store.reflection_of(found["id"], ada) == {"Q1?": "Monitoring, then lineage."}
    assert sorted(r["name"] for r in store.reflections(found["id"])) == ["Learner 1", "Learner 2"]
    assert [a["kind"] for a in store.activities(found["id"])] == ["poll"]
    with pytest.raises(StoreError, match="write something"):
        store.save_reflection(found["id"], ben, {"Q1?": " "})
