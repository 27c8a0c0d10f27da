from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from sandbox.engine import Simulation
from sandbox.spec.loader import load_plan, load_scenario

# the app's pages turn an unexpected error into a sentence for the learner (``sandbox.app.errors``); under test
# it is raised, so AppTest sees it (tests/test_security.py checks the sentence with this unset)
os.environ.setdefault("SANDBOX_RAISE_PAGE_ERRORS", "1")
ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = "benefits-triage"
TINY = ROOT / "tests" / "fixtures" / "tiny"


def shown(markdown_source: str) -> str:
    """What a Markdown element shows: learner text is escaped (``sandbox.reports.inert``); the backslashes are
    not shown."""
    import re
    import string

    return re.sub("\\\\([" + re.escape(string.punctuation) + "])", r"\1", markdown_source)


def open_page(at, page):
    """Move an AppTest session to one of the app's pages (a ``sandbox.app.pages.Page``), as a click in the
    navigation does, for the next ``run()``. ``AppTest.switch_page`` finds page files only; the app's pages are
    functions, which Streamlit knows by the hash of their address, so the request names that hash."""
    from streamlit.util import calc_hash

    wanted = calc_hash(page.url_path)
    known = {info.get("url_pathname") for info in at._registered_pages.values()}
    assert wanted in at._registered_pages, f"no page at /{page.url_path}; the app has {sorted(map(str, known))}"
    at._page_hash = wanted
    return at


@functools.cache
def flagship():
    return load_scenario(FLAGSHIP)


@functools.lru_cache(maxsize=64)
def _cached_run(plan_name: str, changes: tuple, seed: int) -> dict:
    loaded = flagship()
    plan = load_plan(loaded, plan_name).with_changes(**dict(changes))
    return Simulation(loaded, plan, seed=seed).run()


def run_flagship(plan_name: str = "expert", seed: int = 1, **changes) -> dict:
    """Run the flagship scenario with a plan and changes (decision ids with '__' for '.'). Cached."""
    return _cached_run(plan_name, tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                               for k, v in changes.items())), seed)


@pytest.fixture
def tiny():
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def postgres_server_url():
    """A PostgreSQL server of the tests' own, started once (see ``pgserver``)."""
    from pgserver import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database: a SQLite file, and a new database on the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'sandbox.db'}"
    from pgserver import fresh_database

    return fresh_database(request.getfixturevalue("postgres_server_url"), f"t_{tmp_path.name}".lower()[:60])


@pytest.fixture(scope="module")
def browser():
    """Chromium through Playwright, for the browser tests (``browserkit`` skips them locally without it)."""
    from browserkit import launch, sync_api

    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
