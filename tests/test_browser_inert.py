"""In a real browser, a display name written to act (an image to fetch, a ``javascript:`` link, bold text) shows
on a teammate's page and on the facilitator's console as the characters typed: no request leaves the page
for the image, and no link is drawn."""

import pytest
from browserkit import TIMEOUT_MS, no_exception

from sandbox.bench.app import served
from sandbox.store import open_store
from sandbox.workshop.facilitation import create_workshop

PASS = "correct horse battery"
NAME = "![i](http://127.0.0.1:8699/x) [clickme](javascript:alert(1)) **Eve**"
ELSEWHERE = "127.0.0.1:8699"


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('inert') / 'sandbox.db'}"
    store = open_store(db)
    found = create_workshop(store, "benefits-triage", "Inert names", PASS, team_size=2)
    with served(db, workers=1) as (url, _):
        yield url, store, found


def _watched(browser):
    page = browser.new_context().new_page()
    page.set_default_timeout(TIMEOUT_MS)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    return page, asked


def _no_trace(page, asked: list[str]) -> None:
    assert not [u for u in asked if ELSEWHERE in u], asked
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator(f"img[src*='{ELSEWHERE}']").count() == 0
    assert page.locator("strong", has_text="Eve").count() == 0
    no_exception(page)


def test_a_hostile_display_name_is_shown_as_text_to_a_teammate_and_the_facilitator(room, browser):
    url, store, found = room
    pages = {}
    for name in (NAME, "Ada"):
        page, asked = _watched(browser)
        page.goto(f"{url}/?join={found['code']}")
        page.get_by_role("textbox", name="Display name", exact=False).fill(name)
        page.get_by_role("button", name="Join").click()
        page.get_by_text("You are in the waiting room").wait_for()
        pages[name] = (page, asked)
    store.form_teams(found["id"])
    ada, asked = pages["Ada"]
    ada.get_by_text("Your team shares one plan").wait_for()  # the room redraws itself every few seconds
    assert NAME in ada.get_by_text("Your team shares one plan").inner_text()  # the name, as typed
    _no_trace(ada, asked)

    fac, asked = _watched(browser)
    fac.goto(f"{url}/facilitator")
    fac.get_by_role("textbox", name="Workshop join code").fill(found["code"])
    fac.get_by_role("textbox", name="Facilitator passphrase").fill(PASS)
    fac.get_by_role("button", name="Sign in").click()
    fac.get_by_text("Form teams of 2").wait_for()
    store.join_workshop(found["code"], NAME)  # one more, in the waiting room the console lists
    fac.get_by_text("Waiting room (1)").wait_for()
    assert NAME in fac.locator("p", has_text="Waiting room (1)").inner_text()
    _no_trace(fac, asked)
