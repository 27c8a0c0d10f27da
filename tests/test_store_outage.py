"""A PostgreSQL restart in the middle of a workshop: twenty learners saving at once while the server goes
down and comes back. Every save that was acknowledged is kept; the saves caught by the outage fail within
seconds, with an error the page turns into "not saved, try again" (``sandbox.app.errors``), instead of
hanging; the first save after the restart answers in under 5 s."""

from __future__ import annotations

import threading
import time

import pytest
from pgserver import fresh_database, postgres_server, restart

from sandbox.spec.decisions import CATALOGUE
from sandbox.store import open_store

SAVERS = 20
KEYS = [d.id for d in CATALOGUE[:SAVERS + 1]]  # each learner changes a decision of their own; one more after


@pytest.fixture(scope="module")
def own_server():
    with postgres_server() as url:  # its own server: restarting it must not disturb the other tests
        yield url


def test_a_database_restart_loses_no_acknowledged_save_and_recovers_at_once(own_server):
    store = open_store(fresh_database(own_server, "outage"))
    learner = store.create_learner("Room")
    teams = [store.new_attempt(learner["id"], "benefits-triage", "standard", 1, {"decisions": {}}, "problem")
             for _ in range(SAVERS // 4)]  # five teams of four, each sharing one plan
    acknowledged = [0] * SAVERS
    slowest_failure = [0.0]
    stop = threading.Event()

    def save(i: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            start = time.perf_counter()
            try:
                store.save_decisions(teams[i % len(teams)], {KEYS[i]: n})
            except Exception:  # the outage: the page says "not saved"; the learner tries again
                slowest_failure[0] = max(slowest_failure[0], time.perf_counter() - start)
                time.sleep(0.05)
                continue
            acknowledged[i] = n

    threads = [threading.Thread(target=save, args=(i,)) for i in range(SAVERS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 30
    while not all(acknowledged) and time.monotonic() < deadline:
        time.sleep(0.1)
    before = list(acknowledged)
    restart(own_server, down_s=2.0)
    start = time.perf_counter()
    store.save_decisions(teams[0], {KEYS[SAVERS]: "after"})  # the first save once the server is back
    after_s = time.perf_counter() - start
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    saved = {k: v for t in teams for k, v in store.attempt(t)["plan"]["decisions"].items()}
    assert all(b > 0 for b in before)  # everyone was saving when the server went down
    for i in range(SAVERS):  # each learner's last acknowledged save is there (or a later one)
        assert saved[KEYS[i]] >= acknowledged[i] > before[i]
    assert store.attempt(teams[0])["plan"]["decisions"][KEYS[SAVERS]] == "after"
    assert after_s < 5.0, after_s
    assert slowest_failure[0] < 10.0, slowest_failure[0]  # a save caught by the outage fails fast
