"""The protocol-level learners the benchmark drives, against a real ``sandbox serve``.

They must do what a learner in a browser does — what they choose is saved, the year runs, the score is
shown — or the benchmark's figures would measure something else.
"""

import asyncio
import json

import pytest
from sqlalchemy import create_engine, text

from sandbox.bench.app import CLEANING, GATES, served
from sandbox.bench.load import Learner, LoadError, drive


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('load') / 'sandbox.db'}"
    with served(db, workers=1) as (url, _):
        yield {"url": url, "db": db}


def _attempts(db: str) -> list[dict]:
    with create_engine(db).connect() as conn:
        rows = conn.execute(text("SELECT a.plan_json, a.score_total, a.phase, l.name FROM attempts a "
                                 "JOIN learners l ON l.id = a.learner_id")).all()
    return [{"plan": json.loads(r[0])["decisions"], "score": r[1], "phase": r[2], "name": r[3]} for r in rows]


def test_two_learners_at_once_save_their_own_decisions_and_get_a_score(server):
    timings = asyncio.run(drive(server["url"], 2, CLEANING, GATES, first=4))
    names = [n for n, _ in timings]
    assert names.count("run the year") == 2 and len(timings) == 14
    mine = {a["name"]: a for a in _attempts(server["db"])}
    for i in (4, 5):
        a = mine[f"Learner {i}"]
        assert a["plan"]["data.cleaning"] == CLEANING[i % 3]
        assert a["plan"]["data.validation_gate"] == GATES[(i // 3) % 3]
        assert a["phase"] == "results" and 0 <= a["score"] <= 100


def test_what_is_not_on_the_page_is_an_error_not_a_silent_pass(server):
    async def walk():
        me = Learner(server["url"])
        try:
            page = await me.open(fetch_assets=False)
            assert "Begin" in page.text()
            with pytest.raises(LoadError, match="no button labelled"):
                await me.click("Run the year")
            with pytest.raises(LoadError, match="no page titled"):
                await me.go("No such page")
        finally:
            await me.close()

    asyncio.run(walk())


def test_learners_on_a_server_backed_by_postgresql_save_and_score(postgres_server_url):
    """The same walk with ``sandbox serve --db postgresql+psycopg://...``: any SQLAlchemy URL works."""
    from pgserver import fresh_database

    db = fresh_database(postgres_server_url, "serve_test")
    with served(db, workers=1) as (url, _):
        timings = asyncio.run(drive(url, 2, CLEANING, GATES, first=0))
    assert [n for n, _ in timings].count("run the year") == 2
    mine = {a["name"]: a for a in _attempts(db)}
    for i in (0, 1):
        a = mine[f"Learner {i}"]
        assert a["plan"]["data.cleaning"] == CLEANING[i % 3] and a["phase"] == "results" and 0 <= a["score"] <= 100
