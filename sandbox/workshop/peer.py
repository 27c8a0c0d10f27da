"""Peer evaluation in the Evaluate block, away from storage and screens: a team's review of another team's
strategy is checked against the rubric's peer section, and the reviews a team received are averaged for the
facilitator (and for the team once the debrief is open).

A review gives every peer criterion one of its levels' points. A criterion's average is the mean over the
teams that reviewed; a team's total is the sum of its criteria's averages, out of the section's maximum.
"""

from __future__ import annotations

from statistics import mean

from sandbox.scoring.rubric import PeerSection


class ReviewError(ValueError):
    """A review that does not fit the peer section: names every criterion at fault."""


def check_points(section: PeerSection, points: dict[str, int | None]) -> dict[str, int]:
    """The review's points, one of each criterion's levels, for every criterion of the section."""
    problems, clean = [], {}
    known = {c.id: c for c in section.criteria}
    for cid in points:
        if cid not in known:
            problems.append(f"'{cid}' is not a criterion of the peer section")
    for c in section.criteria:
        given = points.get(c.id)
        allowed = [lv.points for lv in c.levels]
        if given is None:
            problems.append(f"{c.title}: choose one of the descriptions")
        elif int(given) not in allowed:
            problems.append(f"{c.title}: {given} is not one of its levels ({', '.join(map(str, allowed))})")
        else:
            clean[c.id] = int(given)
    if problems:
        raise ReviewError("; ".join(problems))
    return clean


def summary(section: PeerSection, reviews: list[dict], names: dict[int, str]) -> list[dict]:
    """One row per reviewed team, in team order: how many teams reviewed it, each criterion's average
    points, and the total of those averages (None where nobody reviewed the team yet)."""
    rows = []
    for team_id, name in names.items():
        got = [r for r in reviews if r["to_team_id"] == team_id]
        row: dict = {"team": name, "reviews": len(got)}
        for c in section.criteria:
            marks = [r["points"][c.id] for r in got if c.id in r["points"]]
            row[c.title] = round(mean(marks), 2) if marks else None
        averages = [row[c.title] for c in section.criteria]
        row["total"] = round(sum(averages), 2) if got and None not in averages else None
        row["out of"] = section.max_points
        rows.append(row)
    return rows


def comments(reviews: list[dict], names: dict[int, str], team_id: int) -> list[dict]:
    """What the other teams wrote about one team: reviewer, strength, suggestion."""
    return [{"from": names.get(r["from_team_id"], "a team"), "strength": r["strength"],
             "suggestion": r["suggestion"]} for r in reviews if r["to_team_id"] == team_id
            and (r["strength"] or r["suggestion"])]


def describe(section: PeerSection, rows: list[dict]) -> str:
    """A text alternative for the peer chart: each team's total and its strongest and weakest criterion."""
    parts = []
    for row in rows:
        if row["total"] is None:
            parts.append(f"{row['team']} not reviewed yet")
            continue
        by = sorted(section.criteria, key=lambda c: row[c.title])
        spread = ("every criterion alike" if row[by[0].title] == row[by[-1].title]
                  else f"strongest: {by[-1].title}; weakest: {by[0].title}")
        parts.append(f"{row['team']} {row['total']:g} of {row['out of']} from {row['reviews']} "
                     f"review{'s' if row['reviews'] != 1 else ''} ({spread})")
    return "Peer review: " + ("; ".join(parts) if parts else "no teams yet") + "."
