"""What the facilitator's console and the CLI ask of workshops, away from any user interface: create one
on a bundled scenario, watch its teams, move a stuck team on, and export it (scores CSV for a gradebook,
the full JSON, an offline HTML debrief report)."""

from __future__ import annotations

import csv
import io
import json

from sandbox import workshop as ws
from sandbox.inert import csv_cell
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


FORMATS = ("csv", "json", "html")


def export(store: Store, code: str, fmt: str, audience: str = "facilitator") -> str:
    """The workshop as a scores CSV (one row per learner, for a gradebook), the full JSON, or the offline HTML
    debrief report (``audience``: the facilitator's, with notes and reflections, or the learners')."""
    record = store.workshop_record(store.workshop(code)["id"])
    results = results_of(store, record)
    if fmt == "json":
        out = ws.export_json(record, results)
        out["peer_reviews"] = store.peer_reviews(record["workshop"]["id"])
        return json.dumps(out, indent=1, sort_keys=True, default=str)
    if fmt == "csv":
        rows = ws.score_rows(record, results, peer_totals(store, record))
        out = io.StringIO()
        fields = list(rows[0]) if rows else ["workshop", "code", "learner", "team", "phase", "total"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)  # names cannot run as formulas
        return out.getvalue()
    if fmt == "html":
        from sandbox.workshop_report import render

        return render(report_data(store, record, results), audience)
    raise StoreError(f"unknown export format '{fmt}' ({', '.join(FORMATS)})")


def peer_totals(store: Store, record: dict) -> dict[str, float | None]:
    """Each team's peer-review total (the sum of its criteria's average points), by team name."""
    from sandbox import peer
    from sandbox.loader import load_scenario
    from sandbox.scoring import rubric_for

    section = rubric_for(load_scenario(record["workshop"]["scenario_id"])).peer
    names = {t["id"]: t["name"] for t in record["teams"]}
    rows = peer.summary(section, store.peer_reviews(record["workshop"]["id"]), names)
    return {r["team"]: r["total"] for r in rows}


def report_data(store: Store, record: dict, results: dict[str, dict]) -> dict:
    """Everything the HTML debrief report shows, gathered from the store and the lessons."""
    from sandbox.injects import describe_effect
    from sandbox.lessons import load_course
    from sandbox.loader import LESSONS_DIR, load_scenario
    from sandbox.scoring import rubric_for
    from sandbox.store.common import now

    wid = record["workshop"]["id"]
    loaded = load_scenario(record["workshop"]["scenario_id"])
    course = load_course(LESSONS_DIR)
    by_key = {t["attempt"]["run_key"]: t["name"] for t in record["teams"] if t["attempt"] and t["attempt"]["run_key"]}
    activities = []
    for a in reversed(store.activities(wid)):
        q = ws.question(course, a["kind"], a["ref"])
        if q is not None:
            activities.append({"kind": a["kind"], "answers": [x["value"] for x in store.answers(a["id"])],
                               "question": {"kind": q.kind, "text": q.text, "options": q.options, "low": q.low_label,
                                            "high": q.high_label, "correct": q.correct}})
    return {"record": record, "scenario_title": loaded.scenario.title, "made_at": now(),
            "results": {by_key[k]: r for k, r in results.items() if k in by_key},
            "plans": {t["name"]: t["attempt"]["plan"] for t in record["teams"] if t["attempt"]},
            "team_names": {t["id"]: t["name"] for t in record["teams"]},
            "peer_section": rubric_for(loaded).peer, "peer_reviews": store.peer_reviews(wid),
            "activities": activities,
            "injects": [{**i, "effect_text": describe_effect(i["effect"])} for i in store.injects(wid)],
            "notes": store.notes(wid), "reflections": store.reflections(wid)}


def monitor(store: Store, workshop: dict, defaults: dict | None = None) -> list[dict]:
    """One row per team for the live monitor: members, phase, how many decisions it has made and how many of
    them differ from the defaults, its simulated day and key figures so far (step mode keeps them with its
    actions; a finished run has them in its result), and its score. Nothing the facilitator alone may see."""
    from sandbox.decisions import in_phase
    from sandbox.lessons import PHASE_TITLES, PHASES
    from sandbox.loader import load_plan, load_scenario

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


def refusal(store: Store, attempt: dict, phases: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why the attempt's decisions or run may not change now, as a sentence for the learner, or None: the
    workshop's lock covers saves, uploads, runs, retries and step moves; a save or upload also needs the phases
    it changes to be open."""
    from sandbox.lessons import PHASE_TITLES

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
