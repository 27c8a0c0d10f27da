"""Nobody in the room can lock the facilitator out, deface another person's page, plant a formula in the
gradebook, freeze a team with an inject, change a locked plan or read another team's work; an unexpected
error is a sentence with a reference, never a traceback."""

from __future__ import annotations

import csv
import io
import threading
from datetime import timedelta

import pytest
from conftest import open_page, shown
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
from test_app_workshop import (  # noqa: F401  (fixtures)
    MAIN,
    PASS,
    _button,
    _console,
    _join,
    _ok,
    _tab,
    _two_finished_teams,
    db,
    team_in_step_mode,
    workshop,
)

from sandbox import workshop as ws
from sandbox.app import pages
from sandbox.reports.exports import export
from sandbox.reports.inert import csv_cell
from sandbox.reports.inert import markdown as md
from sandbox.store import open_store
from sandbox.store.common import StoreError, now
from sandbox.store.signin import SignInRefused
from sandbox.workshop.facilitation import create_workshop

NAME = "![i](http://127.0.0.1:8699/x) [clickme](javascript:alert(1)) **Eve**"  # as tried in a room
HOSTILE = NAME + " <img src=http://127.0.0.1:8699/y>"  # (a display name holds at most 80 characters)
FORMULAS = ("=HYPERLINK(\"http://127.0.0.1:8699\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx")


# ---------------------------------------------------------------------- the facilitator's sign-in


def test_twenty_wrong_passphrases_at_once_from_two_processes_are_all_counted(db_url):
    """Twenty tries at the same moment through two store objects (two app processes): each try is counted
    before it is checked, so no more are checked than the free tries allow, the counts add up, and the facilitator
    at a laptop that has not failed signs in at once."""
    first = open_store(db_url)
    found = create_workshop(first, "water-mains", "Room", PASS)
    stores, at = [first, open_store(db_url)], now()
    outcomes: list[SignInRefused] = []
    gate = threading.Barrier(20)

    def guess(i: int) -> None:
        gate.wait()
        try:
            stores[i % 2].facilitator_sign_in(found["code"], f"guess {i}", client=f"10.0.0.{i % 2}", at=at)
        except SignInRefused as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 20
    checked = [r for r in outcomes if r.checked]
    assert len(checked) == 2 * ws.FREE_TRIES  # each address: its free tries, then the wait they set
    tries = first.sign_in_tries(found["id"])
    assert tries["10.0.0.0"]["failures"] == tries["10.0.0.1"]["failures"] == ws.FREE_TRIES
    assert tries["*"]["failures"] == len(checked)
    for client in ("10.0.0.0", "10.0.0.1"):
        assert tries[client]["wait_until"] == at + timedelta(seconds=ws.wait_after(ws.FREE_TRIES))
    assert stores[1].facilitator_sign_in(found["code"], PASS, client="10.0.0.9", at=at)["id"] == found["id"]
    with pytest.raises(SignInRefused, match="too many wrong passphrases from this address"):
        first.facilitator_sign_in(found["code"], PASS, client="10.0.0.0", at=at)  # the guesser still waits


def test_a_guessing_learner_never_locks_out_the_facilitators_laptop(db_url):
    store = open_store(db_url)
    found = create_workshop(store, "water-mains", "Room", PASS)
    at = now()
    for _ in range(ws.WORKSHOP_FREE_TRIES + 6):  # spaced out: each after the last wait
        at += timedelta(seconds=ws.MAX_WAIT_S + 1)
        with pytest.raises(SignInRefused, match="wrong passphrase"):
            store.facilitator_sign_in(found["code"], "learner guess", client="10.0.0.66", at=at)
    assert store.facilitator_sign_in(found["code"], PASS, client="10.0.0.1", at=at)["id"] == found["id"]
    for i in range(ws.WORKSHOP_FREE_TRIES):  # guesses from many addresses: the workshop's own wait grows
        with pytest.raises(SignInRefused):
            store.facilitator_sign_in(found["code"], "spread guess", client=f"10.1.0.{i}", at=at)
    with pytest.raises(SignInRefused, match="from this address"):  # an address that failed waits for it
        store.facilitator_sign_in(found["code"], PASS, client="10.1.0.0", at=at + timedelta(seconds=0.5))
    assert store.facilitator_sign_in(found["code"], PASS, client="10.0.0.2", at=at)["id"] == found["id"]


def test_the_unlock_command_lifts_every_wait(tmp_path, capsys):
    from sandbox.cli import main

    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = open_store(url)
    found = create_workshop(store, "water-mains", "Room", PASS)
    for _ in range(ws.FREE_TRIES + 1):
        with pytest.raises(SignInRefused):
            store.facilitator_sign_in(found["code"], "wrong wrong", client="localhost")
    with pytest.raises(SignInRefused, match="too many"):
        store.facilitator_sign_in(found["code"], PASS, client="localhost")
    assert main(["workshop", "unlock", ws.show_code(found["code"]), "--db", url]) == 0
    assert "unlocked; 3 wrong passphrases in a row forgotten, 1 address no longer held back" in capsys.readouterr().out
    assert store.facilitator_sign_in(found["code"], PASS, client="localhost")["id"] == found["id"]
    assert main(["workshop", "unlock", "AAA-AAA", "--db", url]) == 1


# ---------------------------------------------------------------------- learner text stays text


def _html(source: str) -> str:
    """Markdown as a CommonMark renderer draws it, with every link allowed (so a live link would show)."""
    renderer = MarkdownIt("commonmark")
    renderer.validateLink = lambda url: True
    return renderer.render(source)


def _inert(at: AppTest) -> list[str]:
    """Every text element and label on the page, drawn: none may hold a link, an image or emphasis from a name."""
    texts = [e.value for kind in (at.markdown, at.caption, at.info, at.success, at.warning, at.error) for e in kind]
    texts += [b.label for b in at.button] + [e.label for e in at.expander]
    for text in texts:
        drawn = _html(text)
        assert "<img" not in drawn and "<a " not in drawn and "<strong>Eve" not in drawn, text
    return [shown(t) for t in texts]


def test_markdown_escaping_shows_exactly_what_was_typed():
    for text in (HOSTILE, "a_b *c* `d` # e", ":red[x] :material/home: $x$ www.example.org", "\\ ends\\"):
        drawn = _html(md(text))
        assert "<a " not in drawn and "<img" not in drawn and "<em>" not in drawn and "<code>" not in drawn
        assert shown(md(text)) == text


def test_hostile_text_in_every_field_renders_inert_in_the_app(db, workshop):  # noqa: F811
    """A display name, a note, an inject, a poll answer, a peer review and a reflection, each written to act
    (an image the browser would fetch, a javascript: link, bold text), show as the characters typed on every
    page that draws them: the teammate's, the console's tabs and the debrief."""
    eve = _join(workshop["code"], NAME).session_state["learner"]["id"]
    ada, team = team_in_step_mode(db, workshop)  # Eve and Ada share a team of two
    cy, _ = _join(workshop["code"], "Cy"), _join(workshop["code"], "Di")
    other = db.form_teams(workshop["id"])[-1]
    db.add_note(workshop["id"], HOSTILE, author=HOSTILE)
    db.add_inject(workshop["id"], HOSTILE, HOSTILE, "expected")
    assert any(HOSTILE in s for s in _inert(_ok(ada.run())))  # the inject, in the team's run
    _ok(open_page(ada, pages.JOIN).run())
    assert any(NAME in s for s in _inert(ada))  # the teammate's name
    activity = db.launch(workshop["id"], "poll", "first-change")
    db.answer(activity, eve, HOSTILE)
    db.save_reflection(workshop["id"], eve, {"What will you do first?": HOSTILE})
    db.set_workshop(workshop["id"], debrief_open=True)
    from sandbox.scoring import rubric_for
    from sandbox.spec.loader import load_scenario

    section = rubric_for(load_scenario(workshop["scenario_id"])).peer
    db.save_peer_review(eve, other["id"], {c.id: c.levels[0].points for c in section.criteria}, HOSTILE, HOSTILE)
    console = _console(workshop["code"])
    _inert(console)  # the people tab: names in the monitor's table and the move form
    for tab in ("Injects and notes", "Polls and quizzes", "Debrief"):
        assert any(HOSTILE in s for s in _inert(_tab(console, tab))), tab
    _ok(open_page(cy, pages.DEBRIEF).run())
    assert any(HOSTILE in s for s in _inert(cy))  # the review Eve's team wrote of Cy's
    assert team["name"] == "Team 1"


def test_the_html_reports_and_the_csv_keep_names_as_text(db, workshop):  # noqa: F811
    _two_finished_teams(db, workshop)
    for name in (NAME, *FORMULAS):
        db.join_workshop(workshop["code"], name.strip() or "x")
    db.form_teams(workshop["id"])
    db.add_note(workshop["id"], HOSTILE)
    someone = db.members(workshop["id"])[0]["learner_id"]
    db.save_reflection(workshop["id"], someone, {"What will you do first?": HOSTILE})
    for audience in ("facilitator", "learners"):
        report = export(db, workshop["code"], "html", audience)
        assert "<img src=http://127.0.0.1:8699" not in report and 'href="javascript' not in report
        assert "[clickme](javascript:alert(1)) **Eve**" in report  # the name, as text
        if audience == "facilitator":  # the note and the reflection
            assert "&lt;img src=http://127.0.0.1:8699/y&gt;" in report
    rows = list(csv.DictReader(io.StringIO(export(db, workshop["code"], "csv"))))
    names = {r["learner"] for r in rows}
    for formula in FORMULAS:
        cleaned = " ".join(formula.split())  # display names are kept with single spaces
        assert ("'" + cleaned) in names or cleaned[:1] not in "=+-@", (formula, names)
    assert not any(n[:1] in "=+-@\t\r" for n in names)
    assert csv_cell(-3.5) == -3.5 and csv_cell("-3.5") == "'-3.5" and csv_cell("Team 1") == "Team 1"


# ---------------------------------------------------------------------- errors are sentences


def test_an_unexpected_error_is_a_sentence_with_a_reference(db, monkeypatch, caplog):  # noqa: F811
    from sqlalchemy.exc import OperationalError

    monkeypatch.delenv("SANDBOX_RAISE_PAGE_ERRORS")
    me = db.create_learner("Grace")

    def broken(self, learner_id):
        raise RuntimeError("/srv/secret/path/db.py line 12")

    monkeypatch.setattr("sandbox.store.db.Store.attempts_open_to", broken)
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["learner"] = me["token"]
    at.run()
    assert not at.exception
    (error,) = at.error
    assert "Something went wrong on the server" in error.value and "reference" in error.value
    assert "secret" not in str([e.value for kind in (at.error, at.markdown, at.caption) for e in kind])
    ref = error.value.split("(reference ")[1].split(")")[0]
    assert any(ref in r.getMessage() for r in caplog.records)  # the detail is in the server's log

    def gone(self, learner_id):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr("sandbox.store.db.Store.attempts_open_to", gone)
    at.run()
    assert not at.exception and "reconnecting" in at.error[0].value and "not saved" in at.error[0].value


def test_addresses_and_seeds_that_cannot_be_are_refused_with_a_sentence(db):  # noqa: F811
    me = db.create_learner("Grace")
    for attempt in ("99999999999999999999", "-1", "1e9", "x"):
        at = AppTest.from_file(MAIN, default_timeout=60)
        at.query_params["learner"], at.query_params["attempt"] = me["token"], attempt
        _ok(at.run())
        _ok(open_page(at, pages.PHASE["problem"]).run())
        assert "Start or resume an attempt first." in at.info[0].value
    for bad in (float("nan"), float("inf"), 0, 10**6, 2.5):
        with pytest.raises(StoreError, match="a seed is a whole number"):
            db.new_attempt(me["id"], "water-mains", "standard", bad, {}, "problem")


# ---------------------------------------------------------------------- injects, locks and access


def test_a_message_only_inject_reaches_a_step_mode_team_and_the_page_settles(db, workshop):  # noqa: F811
    ada, team = team_in_step_mode(db, workshop)
    db.add_inject(workshop["id"], "phone", "The minister's office wants a briefing by noon.", "brief them")
    assert len(db.due_injects(team["id"])) == 1
    _ok(ada.run())  # the script finishes: no rerun loop
    assert any("briefing by noon" in shown(i.value) for i in ada.info)
    assert db.due_injects(team["id"]) == []  # delivered once, by the read that showed it
    (message,) = db.team_messages(team["id"])
    assert message["day"] == 7 and message["event_id"] is None
    _ok(ada.run())
    assert len(db.team_messages(team["id"])) == 1 and "Simulated day" in ada.metric[0].label


def test_a_lock_refuses_uploads_runs_retries_and_step_moves(db, workshop):  # noqa: F811
    from sandbox.runs.service import Runner
    from sandbox.workshop.stepping import move

    ada, team = team_in_step_mode(db, workshop)
    attempt = db.attempt(team["attempt_id"])
    db.set_workshop(workshop["id"], locked=True, open_phases=list(ws_phases()))
    _ok(ada.run())
    assert any("locked decisions" in i.value for i in ada.info)
    assert all(b.disabled for b in ada.button if b.label.startswith(("Advance", "Run to")))
    with pytest.raises(ws.Refused, match="locked decisions"):
        move(db, Runner(db, workers=0), attempt["id"], {"op": "advance", "days": 7})
    ada.radio(key="play-mode").set_value("The whole year at once")
    _ok(ada.run())
    assert next(b for b in ada.button if b.label == "Run the year").disabled
    assert any("locked decisions" in i.value for i in ada.info) and not ada.file_uploader  # no upload offered
    assert db.attempt(attempt["id"])["snapshot"] == attempt["snapshot"]
    db.update_attempt(attempt["id"], run_key="k", phase="results")
    _ok(open_page(ada, pages.RESULTS).run())
    assert next(b for b in ada.button if b.label.startswith("Retry")).disabled


def ws_phases():
    from sandbox.spec.lessons import PHASES

    return PHASES


def test_an_upload_changes_only_the_decisions_it_names_after_confirmation(db):  # noqa: F811
    from test_security_files import _play_page

    at, attempt = _play_page(db)
    db.save_decisions(attempt["id"], {"data.versioning": True, "monitoring.cadence": "daily"})
    at.run()
    at.file_uploader[0].upload("mine.yaml", b"name: mine\ndecisions:\n  model.algorithm: random_forest\n"
                                            b"  data.versioning: true\n", "application/yaml").run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["decision"]) == ["model.algorithm"]  # versioning is already true: nothing to change
    assert db.attempt(attempt["id"])["plan"]["decisions"]["model.algorithm"] != "random_forest"  # not yet
    _ok(_button(at, "Change these 1 decisions").click().run())
    saved = db.attempt(attempt["id"])["plan"]["decisions"]
    assert saved["model.algorithm"] == "random_forest"
    assert saved["monitoring.cadence"] == "daily" and saved["data.versioning"] is True  # kept, not defaulted


def test_a_moved_learner_reads_nothing_of_the_old_team(db, workshop):  # noqa: F811
    ada = _join(workshop["code"], "Ada")
    _join(workshop["code"], "Ben")
    first = db.add_team(workshop["id"])
    second = db.add_team(workshop["id"])
    me = ada.session_state["learner"]["id"]
    db.place(workshop["id"], me, first["id"])  # Ada arrives first: the team's attempt is made in her name
    old = db.team_of(me)["attempt_id"]
    db.save_decisions(old, {"model.algorithm": "random_forest"})
    db.update_attempt(old, run_key="k", score_total=50.0)
    assert [a["id"] for a in db.attempts_open_to(me)] == [old]
    db.place(workshop["id"], me, second["id"])
    new = db.team_of(me)["attempt_id"]
    assert [a["id"] for a in db.attempts_open_to(me)] == [new]
    assert db.attempt_access(me, old) is None
    _ok(open_page(ada, pages.COMPARE).run())
    assert "random_forest" not in str([d.value for d in ada.dataframe]) and ada.info
    _ok(open_page(ada, pages.START).run())
    assert f"#{old} " not in str([s.options for s in ada.selectbox])
