"""A workshop end to end in real browsers: one facilitator and three learners, each in their own Chromium
context (their own cookies and session), against ``sandbox serve`` with a real process pool.

The facilitator creates the workshop in the console; the learners join by the link; the facilitator forms
teams and opens a phase; a learner decides; each team starts step mode and moves its run to a different day;
the facilitator injects an outage, and every team sees it at its own day; a poll's answers are counted; the
CSV export holds every learner.
"""

import csv
import io

import pytest
from browserkit import TIMEOUT_MS, choose, no_exception

from sandbox.bench.app import served

PASS = "correct horse battery"
LEARNERS = ("Ada", "Ben", "Cy")
WATCH_MS = 30_000  # a team's run page checks for injects every few seconds


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('workshop') / 'sandbox.db'}"
    with served(db, workers=2) as (url, _):
        yield url


def _page(browser):
    page = browser.new_context().new_page()  # a context of its own: its own person
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def _settled(page) -> None:
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]')"
                           "?.getAttribute('data-test-script-state') === 'notRunning'")


def test_a_facilitator_and_three_learners_run_a_workshop(server, browser):
    fac = _page(browser)
    fac.goto(f"{server}/facilitator")
    fac.get_by_text("No workshop yet? Create one").click()
    fac.get_by_role("textbox", name="Workshop name").fill("Benefits directorate")
    choose(fac, "Scenario", "Welfare benefits claim triage")
    fac.get_by_role("spinbutton", name="Team size").fill("2")
    fac.get_by_role("textbox", name="Facilitator passphrase (at least 8 characters)").fill(PASS)
    fac.get_by_role("textbox", name="The passphrase again").fill(PASS)
    fac.get_by_role("button", name="Create the workshop").click()
    fac.get_by_text("Workshop created").wait_for()
    code = fac.get_by_text("Learners join with the code").inner_text().split("code ")[1].strip(". ")
    no_exception(fac)

    learners = {}
    for name in LEARNERS:  # each follows the join link
        page = _page(browser)
        page.goto(f"{server}/?join={code}")
        page.get_by_role("textbox", name="Display name", exact=False).fill(name)
        page.get_by_role("button", name="Join").click()
        page.get_by_text("You are in the waiting room").wait_for()
        learners[name] = page
    fac.get_by_text("Cy (learner)").wait_for()  # the live monitor shows the waiting room
    fac.get_by_role("button", name="Form teams of 2 from the waiting room").click()
    fac.get_by_text("2 teams now").wait_for()

    _tab(fac, "Pacing")
    phases = fac.get_by_role("combobox", name="Phases open to teams")
    for title in ("Problem definition", "Data management"):
        phases.click()
        phases.fill(title)
        fac.keyboard.press("Enter")
    fac.keyboard.press("Escape")  # close the list of options
    fac.get_by_role("button", name="Apply").click()
    fac.get_by_text("Pacing saved").wait_for()

    for page in learners.values():  # the waiting room turns into the team's door by itself
        page.get_by_role("button", name="Open your team's plan").click()
        page.get_by_role("heading", level=1, name="Problem definition").wait_for()
        no_exception(page)
    ada, ben, cy = (learners[n] for n in LEARNERS)  # Ada and Cy are Team 1, Ben is Team 2
    ada.get_by_role("link", name="2. Data management").click()
    ada.get_by_role("heading", level=1, name="Data management").wait_for()
    choose(ada, "Validate each incoming batch before scoring?", "schema_and_ranges")
    ada.get_by_role("button", name="Save decisions").click()
    ada.get_by_text("decisions saved").wait_for()

    days = {}
    for page, button in ((ada, "Advance a week"), (ben, "Advance a month")):  # each team at its own day
        page.get_by_role("link", name="Play the year").click()
        page.get_by_role("heading", level=1, name="Play the year").wait_for()
        page.get_by_text("Step by step").click()
        page.get_by_role("button", name=button).click()
        page.wait_for_function("() => { const m = document.querySelector('[data-testid=stMetricValue]');"
                               " return m !== null && !m.innerText.startsWith('0 '); }")
        days[page] = page.locator("[data-testid='stMetricValue']").first.inner_text().split()[0]
    assert days[ada] == "7" and days[ben] == "30"
    cy.get_by_role("link", name="Play the year").click()  # Cy watches Team 1's run with Ada
    cy.get_by_text("Step by step").click()
    cy.get_by_text("of 365").first.wait_for()

    _tab(fac, "Injects and notes")
    fac.get_by_role("textbox", name="Message the teams read").fill("No claims have been decided since 9am.")
    fac.get_by_role("textbox", name="Expected action (only you see this; for the after-action review)").fill(
        "Go manual and tell claimants about delays.")
    choose(fac, "Simulation effect", "serving_crash")
    fac.get_by_role("button", name="Send the inject").click()
    fac.get_by_text("Inject sent").wait_for()

    for page, day in ((ada, "7"), (cy, "7"), (ben, "30")):  # every team, at its own current day
        page.get_by_text(f"day {day} of your run: No claims have been decided since 9am.").wait_for(
            timeout=WATCH_MS)
        assert page.get_by_text("Go manual and tell claimants").count() == 0  # the facilitator's, not theirs
    ben.get_by_role("button", name="Advance a week").click()
    ben.get_by_text("serving crash", exact=False).first.wait_for()
    _tab(fac, "Injects and notes")
    fac.locator("[role=gridcell]", has_text="Team 1: day 7; Team 2: day 30").wait_for(state="attached",
                                                                                     timeout=WATCH_MS)

    _tab(fac, "Polls and quizzes")
    choose(fac, "Poll or quiz", "Poll (engage): Which phase of MLOps is most crucial for public trust?")
    fac.get_by_role("button", name="Launch for every learner").click()
    for page, answer in zip(learners.values(), ("Monitoring", "Governance", "Monitoring"), strict=True):
        box = page.locator("[data-testid='stSidebar']")
        box.get_by_text(answer, exact=True).click(timeout=WATCH_MS)
        box.get_by_role("button", name="Send my answer").click()
        box.get_by_text(f"Your answer: {answer}").wait_for()
    fac.get_by_text("3 answers").wait_for(timeout=WATCH_MS)
    fac.get_by_text("Monitoring: 2", exact=False).wait_for()
    fac.get_by_text("Governance: 1", exact=False).wait_for()

    _tab(fac, "Exports")
    with fac.expect_download() as got:
        fac.get_by_role("button", name="Download the scores (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(open(got.value.path(), encoding="utf-8").read())))
    assert sorted(r["learner"] for r in rows) == sorted(LEARNERS)
    assert {r["learner"]: r["team"] for r in rows} == {"Ada": "Team 1", "Cy": "Team 1", "Ben": "Team 2"}
    fac.get_by_role("button", name="Prepare the reports").click()
    with fac.expect_download() as got:
        fac.get_by_role("button", name="Your report (HTML)").click(timeout=WATCH_MS)
    report = open(got.value.path(), encoding="utf-8").read()
    assert "Workshop debrief:" in report and "No claims have been decided since 9am." in report
    assert "Go manual and tell claimants about delays." in report  # the facilitator's report has it
    for page in (fac, *learners.values()):
        _settled(page)
        no_exception(page)
