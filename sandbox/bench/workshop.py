"""Workshop write load for ``sandbox bench``: forty members of ten teams save a decision in every phase at the
same moment, each on its own thread and database connection, against a fresh workshop in a throwaway
database (SQLite by default; any URL with ``--workshop-db``). Reported: decisions lost (must be 0), the 95th
percentile and the slowest save, and the wall time of the whole burst."""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox.spec.decisions import CATALOGUE
from sandbox.spec.lessons import PHASES

MEMBERS = 40
TEAM_SIZE = 4
PASSPHRASE = "bench passphrase"


def workshop_writes(url: str | None = None, members: int = MEMBERS) -> dict:
    from sandbox.store import open_store
    from sandbox.workshop.facilitation import create_workshop

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(url or f"sqlite:///{Path(folder) / 'bench.db'}")
        found = create_workshop(store, "benefits-triage", "Bench workshop", PASSPHRASE, team_size=TEAM_SIZE)
        people = [store.join_workshop(found["code"], f"Member {i}")["learner"]["id"] for i in range(members)]
        store.form_teams(found["id"])
        team_attempt = {p: store.team_of(p)["attempt_id"] for p in people}
        keys = _keys(store, found["id"], people)
        waits: list[float] = []
        start = threading.Barrier(members)

        def member(i: int) -> None:
            start.wait()  # every member starts saving at the same moment
            for phase, key in zip(PHASES, keys[people[i]], strict=True):
                t0 = time.perf_counter()
                store.save_decisions(team_attempt[people[i]], {key: f"member {i}"}, phase=phase)
                waits.append(time.perf_counter() - t0)

        t0 = time.perf_counter()
        with ThreadPoolExecutor(members) as pool:
            list(pool.map(member, range(members)))
        wall = time.perf_counter() - t0
        again = open_store(store.url)
        lost = sum(again.attempt(team_attempt[p])["plan"]["decisions"].get(key) != f"member {i}"
                   for i, p in enumerate(people) for key in keys[p])
        dialect = store.engine.dialect.name
    return {"database": dialect, "members": members, "teams": -(-members // TEAM_SIZE),
            "saves": len(waits), "lost": lost, "wall_s": round(wall, 3),
            "p95_save_s": round(statistics.quantiles(waits, n=20)[-1], 4), "max_save_s": round(max(waits), 4)}


def _keys(store, workshop_id: int, people: list[int]) -> dict[int, list[str]]:
    """The decisions each member saves, one a phase: different for every member of a team (a team of four
    saves 36 of the catalogue's decisions), so a save lost to another member's shows."""
    out = {}
    for team in store.teams(workshop_id):
        for slot, m in enumerate(team["members"]):
            out[m["learner_id"]] = [CATALOGUE[slot * len(PHASES) + k].id for k in range(len(PHASES))]
    return {p: out[p] for p in people}
