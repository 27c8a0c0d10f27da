"""Two attempts side by side: what was decided differently, and what changed because of it."""

from __future__ import annotations

import altair as alt
import pandas as pd

from sandbox.reports.run import PALETTE

OVERLAY = (("harms", "Harmful decisions per day"), ("backlog", "Cases waiting for a caseworker"),
           ("fairness_gap", "Fairness gap"), ("accuracy", "Accuracy (hindsight)"))


def decision_diff(a: dict, b: dict) -> pd.DataFrame:
    da, db = a["decisions"], b["decisions"]
    rows = [{"decision": k, "first": _show(da.get(k)), "second": _show(db.get(k))}
            for k in sorted(set(da) | set(db)) if da.get(k) != db.get(k)]
    ia, ib = a.get("impact_answers", {}), b.get("impact_answers", {})
    rows += [{"decision": f"impact: {k}", "first": ia.get(k, "-"), "second": ib.get(k, "-")}
             for k in sorted(set(ia) | set(ib)) if ia.get(k) != ib.get(k)]
    return pd.DataFrame(rows, columns=["decision", "first", "second"])


def kpi_deltas(ra: dict, rb: dict, labels: list[tuple[str, str, str]]) -> pd.DataFrame:
    rows = [{"figure": "score", "first": ra["score"]["total"], "second": rb["score"]["total"],
             "change": rb["score"]["total"] - ra["score"]["total"]}]
    for key, label, _ in labels:
        x, y = ra["kpis"].get(key), rb["kpis"].get(key)
        rows.append({"figure": label.format(**ra["kpis"]), "first": x, "second": y,
                     "change": None if x is None or y is None else y - x})
    return pd.DataFrame(rows)


def overlay(ra: dict, rb: dict, key: str, title: str) -> alt.Chart:
    frame = pd.DataFrame([{"day": r["day"], "value": r[key], "attempt": name}
                          for name, res in (("first", ra), ("second", rb)) for r in res["timeline"]])
    return alt.Chart(frame, title=title).mark_line().encode(
        x="day:Q", y=alt.Y("value:Q", title=None),
        color=alt.Color("attempt:N", scale=alt.Scale(range=[PALETTE[0], PALETTE[1]])),
        strokeDash="attempt:N").properties(height=180)


def overlay_summary(ra: dict, rb: dict, key: str, title: str) -> str:
    def total(res):
        vals = [r[key] for r in res["timeline"] if r[key] is not None]
        return (sum(vals) / len(vals)) if vals else None

    x, y = total(ra), total(rb)
    if x is None or y is None:
        return f"{title}: not measured in one of the attempts."
    return f"{title}: daily average {x:,.3f} in the first attempt, {y:,.3f} in the second."


def _show(v) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(map(str, v)) or "none"
    return str(v)
