"""Two attempts side by side: what was decided differently, and what changed because of it."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from sandbox.app import pages, results, state
from sandbox.reports.run import PALETTE
from sandbox.spec.labels import kpi_labels

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


def page() -> None:
    """Compare two of your attempts: decisions, key figures, score and charts."""
    st.title("Compare attempts")
    me = state.learner()
    if me is None:
        st.info("Start or resume on the start page first.")
        pages.link(pages.START, label="Go to the start page")
        return
    played = [a for a in state.store().attempts_open_to(me["id"]) if a["run_key"]]
    if len(played) < 2:
        st.info("Play at least two attempts (use 'Retry' on the results page) to compare them.")
        return
    label = {a["id"]: f"#{a['id']} {a['scenario_id']} · {a['difficulty']} · seed {a['seed']} · score "
             f"{a['score_total']:.1f}" for a in played}
    left, right = st.columns(2)
    first = left.selectbox("First attempt", list(label), index=len(played) - 2, format_func=label.get)
    second = right.selectbox("Second attempt", list(label), index=len(played) - 1, format_func=label.get)
    a, b = (next(x for x in played if x["id"] == i) for i in (first, second))
    if (a["scenario_id"], a["seed"], a["difficulty"]) != (b["scenario_id"], b["seed"], b["difficulty"]):
        st.warning("These attempts played different years (scenario, seed or difficulty differ), so differences "
                   "are not only due to the decisions.")
    ra, rb = results.result_of(a), results.result_of(b)
    st.markdown("#### Decisions that differ")
    diff = decision_diff(a["plan"], b["plan"])
    if len(diff):
        st.dataframe(diff, hide_index=True, width="stretch")
    else:
        st.write("None: the same plan.")
    st.markdown("#### Score and key figures")
    st.dataframe(kpi_deltas(ra, rb, kpi_labels(ra["scenario"].get("task", "classification"))),
                 hide_index=True, width="stretch")
    for key, title in OVERLAY:
        st.altair_chart(overlay(ra, rb, key, title), width="stretch")
        st.caption("In words: " + overlay_summary(ra, rb, key, title))
