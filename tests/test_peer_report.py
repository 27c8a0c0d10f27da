"""The Evaluate block and the after-action review: the rubric's peer section, teams reviewing each other
once the debrief is open, the facilitator's averages, observers' notes, the live monitor's rows, and the
offline HTML debrief report for the facilitator and for learners. Store tests run against SQLite and a real
PostgreSQL server."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from sandbox.reports import exports
from sandbox.reports.exports import export
from sandbox.reports.workshop import render
from sandbox.runs.service import Runner
from sandbox.scoring import rubric_for
from sandbox.scoring.rubric import PeerSection
from sandbox.spec.loader import load_scenario
from sandbox.store import open_store
from sandbox.store.common import StoreError
from sandbox.workshop import Refused, peer
from sandbox.workshop.facilitation import create_workshop, monitor
from sandbox.workshop.stepping import move

PASS = "correct horse battery"
SCENARIO = "water-mains"


@pytest.fixture(scope="module")
def section() -> PeerSection:
    return rubric_for(load_scenario(SCENARIO)).peer


def _workshop(store, teams: int = 3):
    found = create_workshop(store, SCENARIO, "Evaluate", PASS, team_size=1)
    people = [store.join_workshop(found["code"], f"Learner {i + 1}")["learner"] for i in range(teams)]
    formed = store.form_teams(found["id"])
    return found, people, formed


def _points(section: PeerSection, level: int) -> dict[str, int]:
    return {c.id: c.levels[level].points for c in section.criteria}


# ---------------------------------------------------------------------- the peer section

def test_every_scenario_has_the_peer_section_with_rising_levels_tied_to_rubric_sections():
    for sid in ("benefits-triage", "water-mains", "ambulance-demand", "tax-compliance", "student-dropout"):
        rubric = rubric_for(load_scenario(sid))
        sections = {s.id for s in rubric.sections}
        assert len(rubric.peer.criteria) >= 5
        for c in rubric.peer.criteria:
            assert c.section in sections
            assert [lv.points for lv in c.levels] == sorted({lv.points for lv in c.levels})
            assert c.question.endswith("?") and c.references


def test_a_review_must_give_every_criterion_one_of_its_levels(section):
    good = _points(section, 2)
    assert peer.check_points(section, good) == good
    missing = dict(good)
    missing.pop(section.criteria[0].id)
    with pytest.raises(peer.ReviewError, match=f"{section.criteria[0].title}: choose one"):
        peer.check_points(section, missing)
    with pytest.raises(peer.ReviewError, match="7 is not one of its levels"):
        peer.check_points(section, {**good, section.criteria[1].id: 7})
    with pytest.raises(peer.ReviewError, match="'peer.vibes' is not a criterion"):
        peer.check_points(section, {**good, "peer.vibes": 1})


def test_a_peer_section_with_falling_levels_is_refused():
    from pydantic import ValidationError

    from sandbox.scoring.rubric import PeerCriterion

    with pytest.raises(ValidationError, match="lowest points to the highest"):
        PeerCriterion(id="peer.x", title="X", question="X?", section="data", lesson="lessons/data.md#cleaning",
                      references=["R"], levels=[{"points": 2, "descriptor": "a"}, {"points": 1, "descriptor": "b"}])


def test_the_summary_averages_each_criterion_over_the_reviewing_teams(section):
    first, second = section.criteria[0], section.criteria[1]
    reviews = [{"from_team_id": 2, "to_team_id": 1, "points": {**_points(section, 0), first.id: 3},
                "strength": "Clear gate", "suggestion": ""},
               {"from_team_id": 3, "to_team_id": 1, "points": {**_points(section, 0), first.id: 2},
                "strength": "", "suggestion": "Who acts on alerts?"}]
    rows = peer.summary(section, reviews, {1: "Team 1", 2: "Team 2"})
    assert rows[0]["reviews"] == 2 and rows[0][first.title] == 2.5 and rows[0][second.title] == 0
    assert rows[0]["total"] == 2.5 and rows[0]["out of"] == section.max_points
    assert rows[1] == {**rows[1], "reviews": 0, "total": None}
    text = peer.describe(section, rows)
    assert f"Team 1 2.5 of {section.max_points} from 2 reviews (strongest: {first.title}" in text
    assert "Team 2 not reviewed yet" in text
    assert [c["from"] for c in peer.comments(reviews, {1: "Team 1", 2: "Team 2", 3: "Team 3"}, 1)] == [
        "Team 2", "Team 3"]


# ---------------------------------------------------------------------- storing reviews

def test_teams_review_each_other_only_once_the_debrief_is_open_and_never_themselves(db_url, section):
    store = open_store(db_url)
    found, people, formed = _workshop(store)
    one, two = formed[0], formed[1]
    points = _points(section, 2)
    with pytest.raises(StoreError, match="peer review opens with the debrief"):
        store.save_peer_review(people[0]["id"], two["id"], points, "", "")
    store.set_workshop(found["id"], debrief_open=True)
    with pytest.raises(StoreError, match="not itself"):
        store.save_peer_review(people[0]["id"], one["id"], points, "", "")
    other = create_workshop(store, SCENARIO, "Elsewhere", PASS, team_size=1)
    store.join_workshop(other["code"], "Someone")
    elsewhere = store.form_teams(other["id"])[0]
    with pytest.raises(StoreError, match="not in your workshop"):
        store.save_peer_review(people[0]["id"], elsewhere["id"], points, "", "")
    watcher = store.join_workshop(found["code"], "Watcher")["learner"]
    store.set_role(store.workshop(found["code"])["id"], watcher["id"], "observer")  # named by the facilitator
    with pytest.raises(StoreError, match="only a learner in a team"):
        store.save_peer_review(watcher["id"], two["id"], points, "", "")

    store.save_peer_review(people[0]["id"], two["id"], points, "  A staged release  ", "")
    store.save_peer_review(people[0]["id"], two["id"], _points(section, 3), "Shadow first", "Cost?")  # replaces
    store.save_peer_review(people[2]["id"], two["id"], _points(section, 1), "", "Who is accountable?")
    got = store.peer_reviews(found["id"])
    assert [(r["from_team_id"], r["to_team_id"]) for r in got] == [(one["id"], two["id"]),
                                                                    (formed[2]["id"], two["id"])]
    assert got[0]["points"] == _points(section, 3) and got[0]["strength"] == "Shadow first"
    assert got[0]["saved_by"] == "Learner 1"
    totals = exports.peer_totals(store, store.workshop_record(found["id"]))
    assert totals["Team 1"] is None and totals["Team 3"] is None
    expected = sum((c.levels[3].points + c.levels[1].points) / 2 for c in section.criteria)
    assert totals["Team 2"] == pytest.approx(expected)


def test_the_scores_csv_carries_each_learners_team_peer_total(db_url, section):
    store = open_store(db_url)
    found, people, formed = _workshop(store, teams=2)
    store.set_workshop(found["id"], debrief_open=True)
    store.save_peer_review(people[1]["id"], formed[0]["id"], _points(section, 2), "", "")
    rows = list(csv.DictReader(io.StringIO(export(store, found["code"], "csv"))))
    by = {r["learner"]: r for r in rows}
    assert float(by["Learner 1"]["peer review"]) == sum(c.levels[2].points for c in section.criteria)
    assert by["Learner 2"]["peer review"] == ""
    full = json.loads(export(store, found["code"], "json"))
    assert len(full["peer_reviews"]) == 1


# ---------------------------------------------------------------------- observers and the monitor

def test_observers_notes_are_kept_with_their_name_and_they_see_injects_without_expected_actions(db_url):
    store = open_store(db_url)
    found, _, formed = _workshop(store, teams=1)
    watcher = store.join_workshop(found["code"], "Ines")["learner"]
    store.set_role(store.workshop(found["code"])["id"], watcher["id"], "observer")  # named by the facilitator
    sent = store.add_inject(found["id"], "email", "The portal is down", "Switch to manual processing")
    from datetime import timedelta

    from sandbox.store.common import now
    store.add_inject(found["id"], "phone", "Later", "", due_at=now() + timedelta(hours=1))
    store.add_note(found["id"], "Team 1 argued about rollback", sent, formed[0]["id"], author=watcher["name"])
    store.add_note(found["id"], "Facilitator's own")
    notes = store.notes(found["id"])
    assert [(n["author"], n["text"]) for n in notes] == [("Ines", "Team 1 argued about rollback"),
                                                        (None, "Facilitator's own")]
    seen = store.sent_injects(found["id"])
    assert [i["message"] for i in seen] == ["The portal is down"]
    assert "expected_action" not in seen[0]


def test_the_monitor_shows_each_teams_decisions_day_and_figures_as_it_plays(db_url):
    store = open_store(db_url)
    found, people, formed = _workshop(store, teams=2)
    workshop = store.workshop_by_id(found["id"])
    rows = monitor(store, workshop)
    assert [r["team"] for r in rows] == ["Team 1", "Team 2"]
    assert rows[0]["phase"] == "Problem definition" and rows[0]["decided"].startswith("0 of ")
    assert rows[0]["day"] is None

    attempt_id = formed[0]["attempt_id"]
    store.save_decisions(attempt_id, {"monitoring.cadence": "weekly"}, phase="monitoring")
    store.update_attempt(attempt_id, phase="play")
    runner = Runner(store, workers=0)
    try:
        move(store, runner, attempt_id, {"op": "advance", "days": 20})
    finally:
        runner.shutdown()
    row = monitor(store, store.workshop_by_id(found["id"]))[0]
    total = int(row["decided"].split(" of ")[1])
    assert row["phase"] == "playing the year" and row["decided"] == f"{total} of {total}"
    assert row["own choices"] == 1
    assert 0 < row["day"] <= 20 and row["harms"] is not None and row["availability"] is not None


# ---------------------------------------------------------------------- the HTML debrief report

def _full_workshop(store, section):
    """Two teams, one finished; a review, a quiz, a poll, an inject, notes and a reflection."""
    found, people, formed = _workshop(store, teams=2)
    runner = Runner(store, workers=0)
    try:
        attempt = store.attempt(formed[0]["attempt_id"])
        key, result = runner.run(SCENARIO, attempt["plan"], attempt["seed"], attempt["difficulty"])
        store.update_attempt(attempt["id"], run_key=key, score_total=result["score"]["total"], phase="results")
    finally:
        runner.shutdown()
    store.set_workshop(found["id"], debrief_open=True)
    store.save_peer_review(people[1]["id"], formed[0]["id"], _points(section, 2), "Good <b>gate</b>", "Cost?")
    from sandbox.spec.lessons import load_course
    from sandbox.spec.loader import LESSONS_DIR

    course = load_course(LESSONS_DIR)
    quiz = course.quizzes[0]
    act = store.launch(found["id"], "quiz", quiz.id)
    store.answer(act, people[0]["id"], quiz.options[0].text)
    store.answer(act, people[1]["id"], quiz.options[1].text)
    store.close_activity(found["id"])
    sent = store.add_inject(found["id"], "email", "Mains burst downtown", "Check the backlog plan")
    store.add_note(found["id"], "Team 2 froze on the burst", sent, formed[1]["id"])
    store.add_note(found["id"], "Lively debate", author="Observer Olu")
    store.save_reflection(found["id"], people[0]["id"], {"What will you change at work?": "Add a gate."})
    return found, quiz


def test_the_html_report_works_offline_and_keeps_private_things_to_the_facilitators(db_url, section):
    store = open_store(db_url)
    found, quiz = _full_workshop(store, section)
    mine = export(store, found["code"], "html")
    theirs = export(store, found["code"], "html", audience="learners")
    for page in (mine, theirs):
        assert page.startswith("<!doctype html>") and "</html>" in page
        assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"?http", page)  # nothing fetched: offline
        assert "Workshop debrief: Evaluate" in page
        assert page.count("<figcaption>In words:") == 6  # each team-years chart has its text alternative
        assert "Peer review" in page and "Good &lt;b&gt;gate&lt;/b&gt;" in page  # escaped, not markup
        assert quiz.question in page and "(correct)" in page
        assert "Mains burst downtown" in page and "Team 1" in page
    for private in ("Check the backlog plan", "Team 2 froze on the burst", "observer Observer Olu", "Add a gate."):
        assert private in mine and private not in theirs
    with pytest.raises(ValueError, match="unknown audience"):
        render({"record": {"workshop": {}}}, "everyone")
    with pytest.raises(Refused, match="csv, json, html"):
        export(store, found["code"], "pdf")


def test_the_cli_writes_the_html_report(db_url, tmp_path, section):
    from sandbox.cli import main

    store = open_store(db_url)
    found, _ = _full_workshop(store, section)
    out = tmp_path / "debrief.html"
    assert main(["workshop", "export", found["code"], "--format", "html", "--out", str(out), "--db", db_url]) == 0
    assert "Check the backlog plan" in out.read_text(encoding="utf-8")
    assert main(["workshop", "export", found["code"], "--format", "html", "--for", "learners", "--out", str(out),
                 "--db", db_url]) == 0
    assert "Check the backlog plan" not in out.read_text(encoding="utf-8")
