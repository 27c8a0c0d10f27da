"""What the facilitator's console and the CLI ask of workshops, away from any user interface: create one
on a bundled scenario, watch its teams, move a stuck team on, and the rules a lock and the open phases set
(the exports are in ``sandbox.reports.exports``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.workshop import WorkshopError

if TYPE_CHECKING:  # the store is passed in (it sits above the workshop rules, which never import it)
    from sandbox.store import Store

DEFAULT_TEAM_SIZE = 4
DEFAULT_SEED = 1


def create_workshop(store: Store, scenario_id: str, name: str, passphrase: str, difficulty: str = "standard",
                    team_size: int = DEFAULT_TEAM_SIZE, seed: int = DEFAULT_SEED) -> dict:
    """A workshop on a bundled scenario; every team starts from the scenario's defaults."""
    from sandbox.spec.loader import load_plan, load_scenario

    loaded = load_scenario(scenario_id)  # a LoadError names the file and field
    if difficulty not in loaded.scenario.difficulty:
        raise WorkshopError(f"{loaded.id} has no '{difficulty}' difficulty (it has: "
                         f"{', '.join(loaded.scenario.difficulty)})")
    plan = {**load_plan(loaded, None).to_dict(), "name": "team-plan"}
    return store.create_workshop(name, loaded.id, difficulty, seed, team_size, passphrase, plan)


def join_link(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/?join={code}"


def monitor(store: Store, workshop: dict, defaults: dict | None = None) -> list[dict]:
    """One row per team for the live monitor: members, phase, how many decisions it has made and how many of
    them differ from the defaults, its simulated day and key figures so far (step mode keeps them with its
    actions; a finished run has them in its result), and its score. Nothing the facilitator alone may see."""
    from sandbox.spec.decisions import in_phase
    from sandbox.spec.lessons import PHASE_TITLES, PHASES
    from sandbox.spec.loader import load_plan, load_scenario

    loaded = load_scenario(workshop["scenario_id"])
    defaults = defaults if defaults is not None else load_plan(loaded, None).decisions
    per_phase = {p: [k for k, _ in in_phase(p, loaded.scenario)] for p in PHASES}
    rows = []
    for team in store.teams(workshop["id"]):
        row = {"team": team["name"], "members": ", ".join(m["name"] for m in team["members"]) or "—",
               "phase": "—", "decided": "—", "own choices": None, "day": None, "harms": None, "incidents": None,
               "fairness gap": None, "availability": None, "score": None}
        attempt = store.attempt(team["attempt_id"]) if team["attempt_id"] else None
        if attempt is not None:
            phase = attempt["phase"]
            done = PHASES[:PHASES.index(phase)] if phase in PHASES else PHASES
            keys = [k for p in done for k in per_phase[p]]
            chosen = attempt["plan"].get("decisions", {})
            row |= {"phase": PHASE_TITLES.get(phase, {"play": "playing the year", "results": "finished"}.get(
                        phase, phase)),
                    "decided": f"{len(keys)} of {len(defaults)}",
                    "own choices": sum(1 for k in keys if k in chosen and chosen[k] != defaults.get(k)),
                    "score": attempt["score_total"]}
            row |= _figures(store, attempt)
        rows.append(row)
    return rows


def _figures(store: Store, attempt: dict) -> dict:
    run = store.get_run(attempt["run_key"]) if attempt["run_key"] else None
    figures = run["kpis"] if run is not None else (attempt["snapshot"] or {}).get("status")
    if not figures:
        return {}
    return {"day": figures.get("days", figures.get("day")), "harms": figures.get("harms"),
            "incidents": figures.get("incidents"), "fairness gap": figures.get("fairness_gap"),
            "availability": figures.get("availability")}


def push_on(store: Store, workshop: dict, team: dict) -> dict[str, list[str]]:
    """Move a stuck team on through the open phases it has not reached: the decisions in them take their
    defaults, recorded as such (the team and the debrief see which). Returns phase -> decision ids."""
    from sandbox.spec.decisions import in_phase
    from sandbox.spec.lessons import PHASES
    from sandbox.spec.loader import load_plan, load_scenario

    if team.get("attempt_id") is None:
        raise WorkshopError(f"{team['name']} has nobody in it yet")
    attempt = store.attempt(team["attempt_id"])
    if attempt["phase"] not in PHASES:
        raise WorkshopError(f"{team['name']} has made every decision already (it is playing the year)")
    reached = PHASES.index(attempt["phase"]) + (1 if attempt["revision"] > 0 else 0)  # saved that phase
    todo = [p for p in PHASES[reached:] if p in workshop["open_phases"]]
    if not todo:
        raise WorkshopError(f"{team['name']} is not behind: no open phase is ahead of it")
    loaded = load_scenario(workshop["scenario_id"])
    default = load_plan(loaded, None).decisions
    taken = {p: [key for key, _ in in_phase(p, loaded.scenario)] for p in todo}
    store.save_decisions(attempt["id"], {k: default[k] for keys in taken.values() for k in keys}, phase=todo[-1])
    store.record_push(team["id"], taken)
    return taken


def refusal(store: Store, attempt: dict, phases: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why the attempt's decisions or run may not change now, as a sentence for the learner, or None: the
    workshop's lock covers saves, uploads, runs, retries and step moves; a save or upload also needs the phases
    it changes to be open."""
    from sandbox.spec.lessons import PHASE_TITLES

    paced = store.workshop_of_attempt(attempt["id"])
    if paced is None:
        return None
    if paced["locked"]:
        return ("Your facilitator has locked decisions for now: nothing can be saved, uploaded, run or moved "
                "until they unlock them.")
    closed = [PHASE_TITLES[p].lower() for p in dict.fromkeys(phases) if p not in paced["open_phases"]]
    if closed:
        return f"Your facilitator has not opened the {' and '.join(closed)} phase{'s' if len(closed) > 1 else ''} yet."
    return None


def step_run_under_way(attempt: dict) -> bool:
    """A step-mode run has begun and not finished: its decisions are fixed until it ends or is started again
    (replaying its moves under other decisions would tell another story)."""
    return bool((attempt["snapshot"] or {}).get("actions")) and attempt["phase"] == "play"
