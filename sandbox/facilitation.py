"""What the facilitator's console and the CLI ask of workshops, away from any user interface: create one
on a bundled scenario, and export it (scores CSV for a gradebook, the full JSON)."""

from __future__ import annotations

import csv
import io
import json

from sandbox import workshop as ws
from sandbox.store import Store
from sandbox.store.common import StoreError

DEFAULT_TEAM_SIZE = 4
DEFAULT_SEED = 1


def create_workshop(store: Store, scenario_id: str, name: str, passphrase: str, difficulty: str = "standard",
                    team_size: int = DEFAULT_TEAM_SIZE, seed: int = DEFAULT_SEED) -> dict:
    """A workshop on a bundled scenario; every team starts from the scenario's defaults."""
    from sandbox.loader import load_plan, load_scenario

    loaded = load_scenario(scenario_id)  # a LoadError names the file and field
    if difficulty not in loaded.scenario.difficulty:
        raise StoreError(f"{loaded.id} has no '{difficulty}' difficulty (it has: "
                         f"{', '.join(loaded.scenario.difficulty)})")
    plan = {**load_plan(loaded, None).to_dict(), "name": "team-plan"}
    return store.create_workshop(name, loaded.id, difficulty, seed, team_size, passphrase, plan)


def join_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/?join={code}"


def results_of(store: Store, record: dict) -> dict[str, dict]:
    keys = [t["attempt"]["run_key"] for t in record["teams"] if t["attempt"] and t["attempt"]["run_key"]]
    return {k: r for k in keys if (r := store.get_run(k)) is not None}


def export(store: Store, code: str, fmt: str) -> str:
    record = store.workshop_record(store.workshop(code)["id"])
    results = results_of(store, record)
    if fmt == "json":
        return json.dumps(ws.export_json(record, results), indent=1, sort_keys=True, default=str)
    if fmt == "csv":
        rows = ws.score_rows(record, results)
        out = io.StringIO()
        fields = list(rows[0]) if rows else ["workshop", "code", "learner", "team", "phase", "total"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    raise StoreError(f"unknown export format '{fmt}' (csv or json)")


def push_on(store: Store, workshop: dict, team: dict) -> dict[str, list[str]]:
    """Move a stuck team on through the open phases it has not reached: the decisions in them take their
    defaults, recorded as such (the team and the debrief see which). Returns phase -> decision ids."""
    from sandbox.decisions import in_phase
    from sandbox.lessons import PHASES
    from sandbox.loader import load_plan, load_scenario

    if team.get("attempt_id") is None:
        raise StoreError(f"{team['name']} has nobody in it yet")
    attempt = store.attempt(team["attempt_id"])
    if attempt["phase"] not in PHASES:
        raise StoreError(f"{team['name']} has made every decision already (it is playing the year)")
    reached = PHASES.index(attempt["phase"]) + (1 if attempt["revision"] > 0 else 0)  # saved that phase
    todo = [p for p in PHASES[reached:] if p in workshop["open_phases"]]
    if not todo:
        raise StoreError(f"{team['name']} is not behind: no open phase is ahead of it")
    loaded = load_scenario(workshop["scenario_id"])
    default = load_plan(loaded, None).decisions
    taken = {p: [key for key, _ in in_phase(p, loaded.scenario)] for p in todo}
    store.save_decisions(attempt["id"], {k: default[k] for keys in taken.values() for k in keys}, phase=todo[-1])
    store.record_push(team["id"], taken)
    return taken
