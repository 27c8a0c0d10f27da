"""Workshop pages under AppTest: learners join by the link's code into the waiting room and reach their
team's shared plan; the console needs the passphrase, forms teams and paces the phases; pacing binds
every member's saves; a learner cannot open another team's plan; teams review each other in the debrief;
observers watch and write notes; the console exports the HTML debrief report."""

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import open_page, shown
from streamlit.testing.v1 import AppTest

import sandbox.app
from sandbox import workshop as ws
from sandbox.app import pages
from sandbox.app.state import CONSOLE_TAB
from sandbox.store import open_store
from sandbox.store.common import now
from sandbox.store.workshops import SignInRefused
from sandbox.workshop.facilitation import create_workshop

MAIN = str(Path(sandbox.app.__file__).parent / "main.py")
PASS = "correct horse battery"


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("SANDBOX_DB_URL", url)
    monkeypatch.setenv("SANDBOX_WORKERS", "0")
    return open_store(url)


@pytest.fixture
def workshop(db):
    return create_workshop(db, "benefits-triage", "Ministry pilot", PASS, team_size=2)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def _tab(at: AppTest, name: str) -> AppTest:
    """Open one of the console's tabs (only the open tab is drawn)."""
    at.session_state[CONSOLE_TAB] = name
    return _ok(at.run())


def _join(code: str, name: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["join"] = code
    _ok(at.run())
    assert at.title[0].value == "Join a workshop" and at.text_input[0].value == code  # the link's code
    at.text_input[1].input(name)
    return _ok(_button(at, "Join").click().run())


def _console(code: str, passphrase: str = PASS) -> AppTest:
    at = _ok(AppTest.from_file(MAIN, default_timeout=60).run())
    _ok(open_page(at, pages.FACILITATOR).run())
    at.text_input[0].input(code)
    at.text_input[1].input(passphrase)
    return _ok(_button(at, "Sign in").click().run())


def test_learners_join_wait_and_open_their_teams_shared_plan(db, workshop):
    ada, ben = _join(workshop["code"], "Ada"), _join(workshop["code"], "Ben")
    assert any("waiting room" in i.value for i in ada.info)
    console = _console(workshop["code"])
    assert not console.error and any("Ada (learner)" in m.value for m in console.markdown)
    _ok(_button(console, "Form teams of 2").click().run())
    team = db.teams(workshop["id"])[0]
    assert [m["name"] for m in team["members"]] == ["Ada", "Ben"]
    _tab(console, "Pacing").multiselect[0].set_value(["problem", "data"])
    _ok(_button(console, "Apply").click().run())
    assert db.workshop_by_id(workshop["id"])["open_phases"] == ["problem", "data"]
    for at in (ada, ben):
        _ok(at.run())
        assert any("Team 1" in s.value for s in at.success)
        _ok(_button(at, "Open your team's plan").click().run())
        assert at.title[0].value == "Problem definition"
    _ok(open_page(ada, pages.PHASE["data"]).run())
    ada.toggle(key="w.data.versioning").set_value(True)
    _ok(open_page(ben, pages.PHASE["data"]).run())  # Ben's page was drawn before Ada saves
    ben.selectbox(key="w.data.validation_gate").set_value("schema_and_ranges")
    _ok(_button(ada, "Save decisions").click().run())
    _ok(_button(ben, "Save decisions").click().run())
    shared = db.attempt(team["attempt_id"])["plan"]["decisions"]
    assert shared["data.versioning"] is True and shared["data.validation_gate"] == "schema_and_ranges"
    _ok(open_page(ben, pages.PHASE["evaluation"]).run())  # not opened by the facilitator
    _ok(_button(ben, "Save decisions").click().run())
    assert any("not opened the evaluation phase" in e.value for e in ben.error)
    assert db.attempt(team["attempt_id"])["phase"] == "data"


def test_a_learner_cannot_open_another_teams_plan_by_its_address(db, workshop):
    token = _join(workshop["code"], "Ada").query_params["learner"]
    for name in ("Ben", "Cy"):
        _join(workshop["code"], name)
    db.form_teams(workshop["id"])
    ada_team, ben_team = db.teams(workshop["id"])[:2]
    assert [m["name"] for m in ada_team["members"]] == ["Ada", "Cy"]
    at = AppTest.from_file(MAIN, default_timeout=60)  # the address carries the resume code and the attempt
    at.query_params["learner"] = token
    at.query_params["attempt"] = str(ben_team["attempt_id"])
    _ok(at.run())
    _ok(open_page(at, pages.PHASE["problem"]).run())
    assert not at.title and "Start or resume an attempt first." in at.info[0].value  # no other team's plan
    at.query_params["attempt"] = str(ada_team["attempt_id"])
    _ok(at.run())
    assert at.title[0].value == "Problem definition"  # the learner's own team's plan opens


def test_a_wrong_passphrase_is_refused_with_the_wait_explained(db, workshop):
    for _ in range(2):
        assert "wrong passphrase" in _console(workshop["code"], "not it at all").error[0].value
    assert "try again in 1 s" in _console(workshop["code"], "not it at all").error[0].value
    at = now()  # four more wrong tries, each after the last wait, leave a wait that a slow test cannot outrun
    for _ in range(4):
        at += timedelta(seconds=ws.MAX_WAIT_S)
        with pytest.raises(SignInRefused):
            db.facilitator_sign_in(workshop["code"], "still not it", client="localhost", at=at)  # the console's
    assert "too many wrong passphrases" in _console(workshop["code"]).error[0].value  # even the right one waits
    assert not any(t.label == "Phases open to teams" for t in _console(workshop["code"], "x" * 9).multiselect)



def team_in_step_mode(db, workshop) -> tuple[AppTest, dict]:
    """Ada joins, teams are formed, and she plays her team's year step by step to day 7."""
    ada = _join(workshop["code"], "Ada")
    db.form_teams(workshop["id"])
    _ok(ada.run())
    _ok(_button(ada, "Open your team's plan").click().run())
    _ok(open_page(ada, pages.PLAY).run())
    ada.radio(key="play-mode").set_value("Step by step")
    _ok(ada.run())
    _ok(_button(ada, "Advance a week").click().run())
    return ada, db.teams(workshop["id"])[0]


def test_an_inject_sent_from_the_console_reaches_the_teams_run_with_its_message(db, workshop):
    ada, _ = team_in_step_mode(db, workshop)
    console = _console(workshop["code"])
    _tab(console, "Injects and notes").text_area[0].input("No claims have been decided since this morning.")
    console.text_area[1].input("Go manual and tell claimants.")
    effect = next(s for s in console.selectbox if s.label == "Simulation effect")
    effect.set_value("serving_crash")
    _ok(_button(console, "Send the inject").click().run())
    assert any("Inject sent" in s.value for s in console.success)
    _ok(ada.run())
    said = [i.value for i in ada.info if "No claims have been decided" in i.value]
    assert said and "day 7 of your run" in said[0] and "event I1" in said[0]
    drawn = str([e.value for kind in (ada.markdown, ada.info, ada.caption, ada.warning) for e in kind])
    assert "Go manual" not in drawn  # the facilitator's expected action
    _ok(_button(ada, "Advance a week").click().run())
    assert any("serving crash" in w.value.lower() for w in ada.warning)


def test_a_poll_launched_in_the_console_is_answered_beside_the_learners_page(db, workshop):
    ada = _join(workshop["code"], "Ada")
    console = _console(workshop["code"])
    next(s for s in _tab(console, "Polls and quizzes").selectbox if s.label == "Poll or quiz").set_value(
        "poll:trust-phase")
    _ok(_button(console, "Launch for every learner").click().run())
    _ok(ada.run())
    ada.sidebar.radio[0].set_value("Monitoring")
    _ok(_button(ada, "Send my answer").click().run())
    _ok(console.run())
    assert any("Monitoring: 1" in c.value for c in console.caption)  # the chart's text alternative
    assert any("1 answer" in c.value for c in console.caption)


def test_a_learner_asking_for_the_console_gets_the_sign_in_and_nothing_of_the_workshop(db, workshop):
    ada = _join(workshop["code"], "Ada")
    db.add_inject(workshop["id"], "email", "Outage", "THE EXPECTED ACTION")
    db.add_note(workshop["id"], "A FACILITATOR NOTE")
    ada.session_state[CONSOLE_TAB] = "Injects and notes"  # even with the tab asked for
    _ok(open_page(ada, pages.FACILITATOR).run())
    assert [t.label for t in ada.text_input][:2] == ["Workshop join code", "Facilitator passphrase"]
    shown = str([e.value for kind in (ada.markdown, ada.caption, ada.info, ada.dataframe) for e in kind])
    assert "THE EXPECTED ACTION" not in shown and "A FACILITATOR NOTE" not in shown and not ada.tabs


def test_a_learner_chooses_a_team_and_sees_when_the_facilitator_moved_it_on(db, workshop):
    db.add_team(workshop["id"])
    ada = _join(workshop["code"], "Ada")
    _ok(_button(ada, "Join Team 1").click().run())
    assert db.team_of(ada.session_state["learner"]["id"])["name"] == "Team 1"
    console = _console(workshop["code"])
    _tab(console, "Pacing").multiselect[0].set_value(["problem", "data"])
    _ok(_button(console, "Apply").click().run())
    _tab(console, "People and teams")
    _ok(_button(console, "Move the team on").click().run())
    assert any("Team 1 moved on to Data management" in s.value for s in console.success)
    _ok(ada.run())
    _ok(_button(ada, "Open your team's plan").click().run())
    _ok(open_page(ada, pages.PHASE["data"]).run())
    assert any("moved your team on" in i.value for i in ada.info)


def test_the_debrief_overlays_the_teams_replays_a_counterfactual_and_collects_reflections(db, workshop):
    from sandbox.runs.service import Runner

    ada, _ben = _join(workshop["code"], "Ada"), _join(workshop["code"], "Ben")
    _join(workshop["code"], "Cy")
    db.form_teams(workshop["id"])  # teams of 2: Ada and Cy, then Ben
    runner = Runner(db, workers=0)
    for team, validation in zip(db.teams(workshop["id"]), ("schema_and_ranges", "none"), strict=True):
        plan = db.save_decisions(team["attempt_id"], {"data.validation_gate": validation})
        key, result = runner.run(workshop["scenario_id"], plan, workshop["seed"], workshop["difficulty"])
        db.update_attempt(team["attempt_id"], run_key=key, score_total=result["score"]["total"], phase="results")
    _ok(open_page(ada, pages.DEBRIEF).run())
    assert "not opened the debrief" in ada.info[0].value and not ada.dataframe  # nothing before it opens
    ada.text_area[0].input("The validation gate, because the portal change was held back.")
    _ok(_button(ada, "Save my reflection").click().run())
    db.set_workshop(workshop["id"], debrief_open=True)
    _ok(ada.run())
    words = next(c.value for c in ada.caption if c.value.startswith("In words"))
    assert "Team 1" in words and "Team 2" in words
    differ = ada.dataframe[1].value
    assert list(differ["decision"]) == ["data.validation_gate"]
    console = _tab(_console(workshop["code"]), "Debrief")
    assert any("1 reflection so far" in c.value for c in console.caption)
    _ok(_button(console, "Replay both").click().run())
    replayed = next(d.value for d in console.dataframe if "the expert plan" in list(d.value.get("team", [])))
    assert len(replayed) == 2  # the team's plan and the expert plan, on the same events
    assert any("the facilitator's injects are left out" in c.value for c in console.caption)
    _ok(_button(console, "Replay the failed project").click().run())
    assert any(m.value.startswith("Score **") and "harmful decisions" in m.value for m in console.markdown)
    assert any(m.value.startswith("Where it failed most") for m in console.markdown)


def _two_finished_teams(db, workshop):
    from sandbox.runs.service import Runner

    people = [_join(workshop["code"], n) for n in ("Ada", "Ben", "Cy", "Di")]
    db.form_teams(workshop["id"])  # teams of 2: Ada and Cy, Ben and Di
    runner = Runner(db, workers=0)
    for team in db.teams(workshop["id"]):
        attempt = db.attempt(team["attempt_id"])
        key, result = runner.run(workshop["scenario_id"], attempt["plan"], workshop["seed"], workshop["difficulty"])
        db.update_attempt(team["attempt_id"], run_key=key, score_total=result["score"]["total"], phase="results")
    return people


def test_teams_review_each_others_strategy_and_the_facilitator_sees_the_averages(db, workshop):
    ada, ben, _, _ = _two_finished_teams(db, workshop)
    db.set_workshop(workshop["id"], debrief_open=True)
    _ok(open_page(ada, pages.DEBRIEF).run())
    assert any("Reviewed so far: 0 of 1 teams" in c.value for c in ada.caption)
    assert any("Team 2" in str(d.value.get("team", [])) for d in ada.dataframe)  # its outcomes, to judge
    _ok(_button(ada, "Save our review").click().run())  # nothing chosen yet
    assert "choose one of the descriptions" in ada.error[0].value and not db.peer_reviews(workshop["id"])
    radios = [r for r in ada.radio if r.key and r.key.startswith("peer-")]
    for r in radios:  # the top level for Data, the second for the rest
        r.set_value(3 if r.label.startswith("Data") else 1)
    next(t for t in ada.text_area if t.label.startswith("One thing")).input("A validation gate from day one")
    _ok(_button(ada, "Save our review").click().run())
    assert any("review of Team 2 is saved" in m.value for m in ada.success)
    saved = db.peer_reviews(workshop["id"])
    assert len(saved) == 1 and saved[0]["points"]["peer.data"] == 3 and saved[0]["points"]["peer.model"] == 1
    _ok(open_page(ben, pages.DEBRIEF).run())
    assert any("1 team reviewed yours" in m.value for m in ben.markdown)
    assert any("A validation gate from day one" in m.value for m in ben.markdown)
    console = _tab(_console(workshop["code"]), "Debrief")
    assert any("1 of 2 possible reviews saved" in c.value for c in console.caption)
    words = shown(next(c.value for c in console.caption if c.value.startswith("In words: Peer review")))
    assert "Team 2 9 of 21 from 1 review (strongest: Data" in words and "Team 1 not reviewed yet" in words


def test_an_observer_named_by_the_facilitator_watches_every_team_and_writes_notes(db, workshop):
    _join(workshop["code"], "Ada")
    db.form_teams(workshop["id"])
    db.add_inject(workshop["id"], "email", "The portal is down", "SWITCH TO MANUAL")
    at = _join(workshop["code"], "Olu")  # nobody chooses to observe: Olu waits as a learner and sees no team
    assert not at.radio and not at.dataframe and not any("portal" in m.value for m in at.markdown)
    assert any("waiting room" in i.value for i in at.info)
    console = _console(workshop["code"])
    olu = next(p for p in db.members(workshop["id"]) if p["name"] == "Olu")
    console.selectbox[0].set_value(olu)
    console.selectbox[1].set_value("observers")
    _ok(_button(console, "Move").click().run())
    assert db.membership(olu["learner_id"])["role"] == "observer"
    _ok(at.run())
    assert any("You are observing" in i.value for i in at.info)
    teams = at.dataframe[0].value
    assert list(teams["team"]) == ["Team 1"] and "decided" in teams.columns and "day" in teams.columns
    assert any("The portal is down" in m.value for m in at.markdown)
    assert "SWITCH TO MANUAL" not in str([m.value for m in at.markdown])
    at.text_area[0].input("Team 1 did not notice the outage for ten minutes")
    _ok(_button(at, "Save the note").click().run())
    console = _tab(_console(workshop["code"]), "Injects and notes")
    assert any("observer Olu" in m.value and "did not notice" in m.value for m in console.markdown)


def test_a_quizs_correct_answer_shows_on_the_console_only_when_asked(db, workshop):
    from sandbox.spec.lessons import load_course
    from sandbox.spec.loader import LESSONS_DIR

    quiz = load_course(LESSONS_DIR).quizzes[0]
    right = next(o.text for o in quiz.options if o.correct)
    ada = _join(workshop["code"], "Ada")
    console = _console(workshop["code"])
    next(s for s in _tab(console, "Polls and quizzes").selectbox if s.label == "Poll or quiz").set_value(
        f"quiz:{quiz.id}")
    _ok(_button(console, "Launch for every learner").click().run())
    _ok(ada.run())
    assert right not in str([c.value for c in ada.sidebar.caption])
    ada.sidebar.radio[0].set_value(right)
    _ok(_button(ada, "Send my answer").click().run())
    _ok(console.run())
    assert not any("The correct answer" in c.value for c in console.caption)
    console.toggle[0].set_value(True)
    _ok(console.run())
    assert any(f"The correct answer is “{right}”, chosen by 1 of 1" in c.value for c in console.caption)


def test_the_console_prepares_both_html_debrief_reports(db, workshop):
    _two_finished_teams(db, workshop)
    console = _tab(_console(workshop["code"]), "Exports")
    _ok(_button(console, "Prepare the reports").click().run())
    reports = console.session_state[f"reports-{workshop['code']}"]
    assert "Workshop debrief: Ministry pilot" in reports["facilitator"]
    assert "learners' report" in reports["learners"]
