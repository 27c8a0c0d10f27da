"""A workshop's debrief as one self-contained HTML file for the after-action review: works offline (Plotly's
JavaScript is embedded once), every chart followed by its text alternative.

Two audiences. The facilitator's report holds everything: teams, their years overlaid, outcomes and the
decisions on which teams differ, peer review, polls and quizzes (with the quiz answers), the injects with
their expected actions, the facilitator's and observers' notes, and learners' reflections. The learners'
report leaves out what only the facilitator may see: expected actions, notes and other learners' reflections.
"""

from __future__ import annotations

import html
from datetime import datetime

from sandbox.reports.inert import plotly
from sandbox.reports.run import PALETTE, _page
from sandbox.workshop import debrief as db
from sandbox.workshop import peer, show_code, tally

AUDIENCES = ("facilitator", "learners")
DASHES = ("solid", "dash", "dot", "dashdot")


def render(data: dict, audience: str = "facilitator") -> str:
    """``data``: what ``exports.report_data`` gathers (record, results by team, plans by team, peer
    section and reviews, polls and quizzes with answers, injects, notes, reflections)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience '{audience}' ({' or '.join(AUDIENCES)})")
    w = data["record"]["workshop"]
    title = f"Workshop debrief: {w['name']}"
    private = audience == "facilitator"
    parts = [f"<h1>{_e(title)}</h1>",
             f"<p>{_e(data['scenario_title'])} · {_e(w['difficulty'])} · seed {w['seed']} · join code "
             f"{_e(show_code(w['code']))} · report made {data['made_at']:%Y-%m-%d %H:%M} UTC.</p>",
             "<p><strong>For the facilitator.</strong> This report holds your notes, the injects' expected actions "
             "and every learner's reflection: share the learners' report instead.</p>" if private else
             "<p>The learners' report: facilitator notes and individual reflections are not in it.</p>",
             _teams(data), _years(data["results"]), _outcomes(data), _peer(data), _activities(data),
             _injects(data, private)]
    if private:
        parts += [_notes(data), _reflections(data)]
    return _page(title, "\n".join(p for p in parts if p))


def _teams(data: dict) -> str:
    rows = []
    for t in data["record"]["teams"]:
        a = t["attempt"]
        rows.append({"team": t["name"], "members": ", ".join(m["name"] for m in t["members"]) or "—",
                     "phase reached": a["phase"] if a else "—",
                     "score": f"{a['score_total']:.1f}" if a and a["score_total"] is not None else "—"})
    observers = [m["name"] for m in data["record"]["members"] if m["role"] == "observer"]
    extra = f"<p>Observers: {_e(', '.join(observers))}.</p>" if observers else ""
    return "<h2>Teams</h2>" + table(rows, "Every team, who was in it, and how far it got") + extra


def _years(results: dict[str, dict]) -> str:
    if not results:
        return "<h2>The teams' years</h2><p>No team finished its year.</p>"
    import plotly.graph_objects as go

    out = ["<h2>The teams' years</h2><p>Each team's simulated year on one chart per measure. Lines differ in "
           "colour and dash.</p>"]
    for metric, (label, _) in db.METRICS.items():
        rows = db.trajectories(results, metric)
        if not rows:
            continue
        fig = go.Figure()
        for i, who in enumerate(results):
            mine = [r for r in rows if r["who"] == who]
            fig.add_trace(go.Scatter(x=[r["day"] for r in mine], y=[r["value"] for r in mine], name=plotly(who),
                                     mode="lines", line={"color": PALETTE[i % len(PALETTE)],
                                                         "dash": DASHES[i % len(DASHES)]}))
        fig.update_layout(height=340, margin={"l": 60, "r": 20, "t": 30, "b": 40}, template="simple_white",
                          title=label, xaxis_title="simulated day", legend={"orientation": "h"})
        chart = fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
        out.append(f"<figure role=group aria-label='{_e(label)}'>{chart}<figcaption>In words: "
                   f"{_e(db.describe(rows, metric))}</figcaption></figure>")
    return "\n".join(out)


def _outcomes(data: dict) -> str:
    results, plans = data["results"], data["plans"]
    if not results:
        return ""
    rows = [{k: _fmt(v) for k, v in r.items()} for r in db.outcome_rows(results)]
    differ = db.decision_differences({k: v for k, v in plans.items() if k in results})
    return ("<h2>Decisions and outcomes</h2>" + table(rows, "Each finished team's score and outcomes")
            + ("<h3>Where the teams' decisions differ</h3>" + table(differ, "One row per decision the teams "
               "made differently") if differ else "<p>The finished teams decided alike.</p>"))


def _peer(data: dict) -> str:
    section, reviews, names = data["peer_section"], data["peer_reviews"], data["team_names"]
    rows = peer.summary(section, reviews, names)
    out = [f"<h2>Peer review</h2><p>{len(reviews)} reviews, each one team scoring another with "
           f"“{_e(section.title)}” (each criterion 0 to {max(c.max_points for c in section.criteria)}).</p>",
           table([{k: _fmt(v) for k, v in r.items()} for r in rows], "Average points each team received"),
           f"<p>In words: {_e(peer.describe(section, rows))}</p>"]
    for team_id, name in names.items():
        said = peer.comments(reviews, names, team_id)
        if said:
            items = "".join(f"<li><strong>{_e(c['from'])}</strong>: {_e(section.strength)}: "
                            f"{_e(c['strength'] or '—')}. "
                            f"{_e(section.suggestion)}: {_e(c['suggestion'] or '—')}.</li>" for c in said)
            out.append(f"<h3>About {_e(name)}</h3><ul>{items}</ul>")
    return "\n".join(out)


def _activities(data: dict) -> str:
    done = data["activities"]
    if not done:
        return ""
    out = ["<h2>Polls and quizzes</h2>"]
    for a in done:
        q, answers = a["question"], a["answers"]
        out.append(f"<h3>{_e(q['text'])}</h3><p>{_e(a['kind'])}, {len(answers)} answer"
                   f"{'s' if len(answers) != 1 else ''}.</p>")
        if q["kind"] == "free_text":
            out.append("<ul>" + "".join(f"<li>{_e(v)}</li>" for v in answers) + "</ul>")
            continue
        counts = tally(q["kind"], q["options"], answers)
        rows = [{"answer": f"{label} (correct)" if label == q.get("correct") else label, "count": n}
                for label, n in counts]
        out.append(table(rows, "How many chose each answer"))
        if q["kind"] == "slider" and answers:
            out.append(f"<p>Average {sum(int(v) for v in answers) / len(answers):.1f} (1 = {_e(q['low'])}, "
                       f"10 = {_e(q['high'])}).</p>")
    return "\n".join(out)


def _injects(data: dict, private: bool) -> str:
    if not data["injects"]:
        return ""
    names = data["team_names"]
    rows = []
    for i in data["injects"]:
        reached = "; ".join(f"{names.get(t, t)}: day {d['day']:.0f}" for t, d in i["deliveries"].items())
        row = {"#": i["id"], "sent": f"{i['due_at']:%H:%M}", "channel": i["channel"],
               "to": (", ".join(names.get(t, str(t)) for t in i["targets"]) if i["targets"] is not None
                      else "every team"),
               "message": i["message"], "effect": i["effect_text"], "reached": reached or "—"}
        if private:
            row["expected action"] = i["expected_action"] or "—"
        rows.append(row)
    return "<h2>Injects</h2>" + table(rows, "Every inject and the simulated day it reached each team's run")


def _notes(data: dict) -> str:
    names = data["team_names"]
    rows = [{"time": f"{n['created_at']:%H:%M:%S}", "by": f"observer {n['author']}" if n["author"] else "facilitator",
             "about": " · ".join(x for x in (f"inject #{n['inject_id']}" if n["inject_id"] else "",
                                              names.get(n["team_id"], "") if n["team_id"] else "") if x) or "—",
             "note": n["text"]} for n in data["notes"]]
    return "<h2>Notes for the after-action review</h2>" + (table(rows, "Stamped with the time they were written")
                                                           if rows else "<p>No notes.</p>")


def _reflections(data: dict) -> str:
    out = [f"<h2>Reflections</h2><p>{len(data['reflections'])} learners wrote one.</p>"]
    for r in data["reflections"]:
        items = "".join(f"<dt>{_e(q)}</dt><dd>{_e(a)}</dd>" for q, a in r["answers"].items())
        out.append(f"<h3>{_e(r['name'])}</h3><dl>{items}</dl>")
    return "\n".join(out)


def table(rows: list[dict], caption: str) -> str:
    """An accessible HTML table: a caption, column headers, numbers right-aligned."""
    if not rows:
        return f"<p>{_e(caption)}: none.</p>"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    head = "".join(f"<th scope=col>{_e(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(_cell(r.get(c)) for c in cols) + "</tr>" for r in rows)
    return f"<table><caption>{_e(caption)}</caption><tr>{head}</tr>{body}</table>"


def _cell(value) -> str:
    shown = _fmt(value)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f"<td class=num>{_e(shown)}</td>" if numeric else f"<td>{_e(shown)}</td>"


def _fmt(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    return value


def _e(text) -> str:
    return html.escape(str(text))
