"""A workshop exported: the scores CSV for a gradebook (one row per learner; names that could run as
spreadsheet formulas are neutralised), everything as JSON, or the offline HTML debrief report."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sandbox import workshop as ws
from sandbox.reports.inert import csv_cell

if TYPE_CHECKING:  # the store is passed in: it sits above the reports, which never import it
    from sandbox.store import Store


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
        from sandbox.reports.workshop import render

        return render(report_data(store, record, results), audience)
    raise ws.Refused(f"unknown export format '{fmt}' ({', '.join(FORMATS)})")


def peer_totals(store: Store, record: dict) -> dict[str, float | None]:
    """Each team's peer-review total (the sum of its criteria's average points), by team name."""
    from sandbox.scoring import rubric_for
    from sandbox.spec.loader import load_scenario
    from sandbox.workshop import peer

    section = rubric_for(load_scenario(record["workshop"]["scenario_id"])).peer
    names = {t["id"]: t["name"] for t in record["teams"]}
    rows = peer.summary(section, store.peer_reviews(record["workshop"]["id"]), names)
    return {r["team"]: r["total"] for r in rows}


def report_data(store: Store, record: dict, results: dict[str, dict]) -> dict:
    """Everything the HTML debrief report shows, gathered from the store and the lessons."""
    from sandbox.scoring import rubric_for
    from sandbox.spec.lessons import load_course
    from sandbox.spec.loader import LESSONS_DIR, load_scenario
    from sandbox.workshop.injects import describe_effect

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
    return {"record": record, "scenario_title": loaded.scenario.title, "made_at": datetime.now(UTC),
            "results": {by_key[k]: r for k, r in results.items() if k in by_key},
            "plans": {t["name"]: t["attempt"]["plan"] for t in record["teams"] if t["attempt"]},
            "team_names": {t["id"]: t["name"] for t in record["teams"]},
            "peer_section": rubric_for(loaded).peer, "peer_reviews": store.peer_reviews(wid),
            "activities": activities,
            "injects": [{**i, "effect_text": describe_effect(i["effect"])} for i in store.injects(wid)],
            "notes": store.notes(wid), "reflections": store.reflections(wid)}
