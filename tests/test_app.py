"""The web app under Streamlit's AppTest: every view renders, decisions are saved, a run is scored,
step mode resumes after a reload, bad plan files change nothing."""

from pathlib import Path

import pytest
from conftest import open_page
from streamlit.testing.v1 import AppTest

import sandbox.app
from sandbox.app import pages
from sandbox.app.state import PHASE_TITLES
from sandbox.store import open_store

MAIN = str(Path(sandbox.app.__file__).parent / "main.py")


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("SANDBOX_DB_URL", url)
    monkeypatch.setenv("SANDBOX_WORKERS", "0")  # simulations in the test's own process
    return open_store(url)


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label.startswith(label))


def _new_attempt(db, scenario="benefits-triage") -> tuple[AppTest, dict]:
    at = _ok(AppTest.from_file(MAIN, default_timeout=180).run())
    at.text_input[0].input("Grace")
    _ok(_button(at, "Begin").click().run())
    at.selectbox[0].set_value(scenario)
    _ok(_button(at, "Start").click().run())
    assert at.title[0].value == "Problem definition"
    me = db.learner_by_token(at.query_params["learner"])
    return at, db.attempts_of(me["id"])[-1]


def test_every_phase_renders_and_its_decisions_are_saved(db):
    at, attempt = _new_attempt(db)
    for phase, title in PHASE_TITLES.items():
        _ok(open_page(at, pages.PHASE[phase]).run())
        assert at.title[0].value == title
        assert any(m.value.startswith("#### Lesson:") for m in at.markdown), f"no lesson beside {phase}"
    _ok(open_page(at, pages.PHASE["data"]).run())
    at.toggle(key="w.data.versioning").set_value(True)
    at.selectbox(key="w.data.validation_gate").set_value("schema_and_ranges")
    _ok(_button(at, "Save decisions").click().run())
    saved = db.attempt(attempt["id"])
    assert saved["plan"]["decisions"]["data.versioning"] is True
    assert saved["plan"]["decisions"]["data.validation_gate"] == "schema_and_ranges"
    assert saved["phase"] == "data"
    assert any("decisions saved" in s.value for s in at.success)


def test_evaluation_phase_trains_the_learners_model_and_shows_the_gate(db):
    at, _ = _new_attempt(db)
    _ok(open_page(at, pages.PHASE["evaluation"]).run())
    _ok(_button(at, "Train and evaluate").click().run())
    assert any(s.value.startswith("Promotion gate") for s in [*at.success, *at.error])
    assert any(c.value.startswith("In words:") for c in at.caption), "the fairness chart needs a text summary"


def test_a_batch_run_is_scored_saved_and_compared_after_a_retry(db):
    at, attempt = _new_attempt(db)
    _ok(open_page(at, pages.PLAY).run())
    _ok(_button(at, "Run the year").click().run())
    assert at.title[0].value == "Results and feedback"
    saved = db.attempt(attempt["id"])
    assert saved["phase"] == "results" and saved["score_total"] is not None
    assert at.metric[0].value == f"{saved['score_total']:.1f} / 100"
    assert db.get_run(saved["run_key"])["score"]["total"] == saved["score_total"]
    _ok(open_page(at, pages.RESULTS).run())
    assert any(c.value.startswith("In words:") for c in at.caption), "the timeline needs a text summary"
    _ok(_button(at, "Draw the report").click().run())  # Evidently's report, drawn on demand
    assert any(c.value.startswith("Drift of days") for c in at.caption)
    _ok(_button(at, "Retry").click().run())
    assert at.title[0].value == "Problem definition"
    retry = db.attempts_of(saved["learner_id"])[-1]
    assert retry["id"] != saved["id"] and retry["plan"] == saved["plan"] and retry["seed"] == saved["seed"]
    _ok(open_page(at, pages.PLAY).run())
    _ok(_button(at, "Run the year").click().run())  # the same plan: from the cache
    _ok(open_page(at, pages.COMPARE).run())
    assert any("the same plan" in m.value for m in at.markdown)


def test_step_mode_is_saved_and_resumes_at_the_same_day_after_a_reload(db):
    at, attempt = _new_attempt(db)
    _ok(open_page(at, pages.PLAY).run())
    at.radio(key="play-mode").set_value("Step by step")
    _ok(at.run())
    _ok(_button(at, "Advance a month").click().run())
    day = at.metric[0].value
    assert day != "0 of 365"
    saved = db.attempt(attempt["id"])
    assert saved["snapshot"]["actions"][0] == {"op": "advance", "days": 30.0}
    fresh = AppTest.from_file(MAIN, default_timeout=180)  # a new browser session on the same address
    fresh.query_params["learner"] = at.query_params["learner"]
    fresh.query_params["attempt"] = str(attempt["id"])
    _ok(fresh.run())
    _ok(open_page(fresh, pages.PLAY).run())
    assert fresh.radio(key="play-mode").value == "Step by step"
    assert fresh.metric[0].value == day


def test_pages_without_an_attempt_point_to_the_start(db):
    at = _ok(AppTest.from_file(MAIN).run())
    for page in (pages.PHASE["monitoring"], pages.PLAY, pages.RESULTS, pages.COMPARE):
        _ok(open_page(at, page).run())
        assert at.info, page.url_path


def test_every_decision_explains_what_its_choices_cost_and_buy():
    from sandbox.spec.decisions import CATALOGUE

    assert all(len(d.help) > 40 for d in CATALOGUE), [d.id for d in CATALOGUE if len(d.help) <= 40]


def test_an_attempt_saved_before_a_decision_existed_opens_on_every_page(db):
    at, attempt = _new_attempt(db)
    plan = attempt["plan"]
    del plan["decisions"]["monitoring.cadence"]  # as if saved by a version without it
    plan["decisions"]["retired.decision"] = True  # and with one this version no longer has
    db.update_attempt(attempt["id"], plan=plan)
    for phase in PHASE_TITLES:
        _ok(open_page(at, pages.PHASE[phase]).run())
        assert at.title[0].value == PHASE_TITLES[phase]
    _ok(open_page(at, pages.PHASE["monitoring"]).run())
    assert at.selectbox(key="w.monitoring.cadence").value == "monthly"  # the new decision's default
    at.selectbox(key="w.monitoring.cadence").set_value("daily")
    _ok(_button(at, "Save decisions").click().run())
    assert db.attempt(attempt["id"])["plan"]["decisions"]["monitoring.cadence"] == "daily"


def test_every_page_is_declared_once_with_a_function_that_draws_it():
    import importlib

    assert len({p.url_path for p in pages.ALL}) == len(pages.ALL)
    assert list(pages.PHASE) == list(PHASE_TITLES)
    assert [p for p in pages.ALL if p.default] == [pages.START]
    for page in pages.ALL:
        module, _, function = page.draws.rpartition(".")
        assert callable(getattr(importlib.import_module(f"sandbox.app.{module}"), function)), page.draws
    for stage, page in (("data", pages.PHASE["data"]), ("play", pages.PLAY), ("results", pages.RESULTS),
                        ("unknown", pages.PHASE["problem"])):
        assert pages.for_stage(stage) is page


def test_a_year_without_a_model_in_service_says_so_first_on_the_results_page(db):
    at, attempt = _new_attempt(db)
    db.save_decisions(attempt["id"], {"evaluation.promotion_gate": "performance_and_fairness",
                                      "evaluation.fairness_audit": False})
    _ok(open_page(at, pages.PLAY).run())
    _ok(_button(at, "Run the year").click().run())
    assert at.title[0].value == "Results and feedback"
    first = at.error[0].value
    assert first.startswith("No model went live this year") and "no per-group audit" in first
    chance = [m.value for m in at.markdown if m.value.startswith("Against chance")]
    assert chance and "plans made of random choices" in chance[0]  # the scenario's saved distribution
    assert "turn on the per-group fairness audit" in first
    saved = db.attempt(attempt["id"])
    assert saved["score_total"] <= 60
    assert at.metric[0].value == f"{saved['score_total']:.1f} / 100"


def test_a_regression_scenario_offers_only_the_options_that_fit_it(db):
    at, _ = _new_attempt(db, scenario="ambulance-demand")
    assert at.selectbox(key="w.problem.success_metric").options == ["mae", "rmse"]
    _ok(open_page(at, pages.PHASE["development"]).run())
    assert "linear_regression" in at.selectbox(key="w.model.algorithm").options
    assert "logistic_regression" not in at.selectbox(key="w.model.algorithm").options
    assert not [w for w in at.selectbox if w.key == "w.model.class_weight"]
