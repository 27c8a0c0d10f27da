"""Compare two of your attempts: decisions, key figures, score and charts."""

import streamlit as st

from sandbox.app import compare, results, state
from sandbox.reports.labels import kpi_labels

st.title("Compare attempts")
me = state.learner()
if me is None:
    st.info("Start or resume on the start page first.")
    st.page_link("views/start.py", label="Go to the start page")
    st.stop()
played = [a for a in state.store().attempts_open_to(me["id"]) if a["run_key"]]
if len(played) < 2:
    st.info("Play at least two attempts (use 'Retry' on the results page) to compare them.")
    st.stop()
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
diff = compare.decision_diff(a["plan"], b["plan"])
if len(diff):
    st.dataframe(diff, hide_index=True, width="stretch")
else:
    st.write("None: the same plan.")
st.markdown("#### Score and key figures")
st.dataframe(compare.kpi_deltas(ra, rb, kpi_labels(ra["scenario"].get("task", "classification"))),
             hide_index=True, width="stretch")
for key, title in compare.OVERLAY:
    st.altair_chart(compare.overlay(ra, rb, key, title), width="stretch")
    st.caption("In words: " + compare.overlay_summary(ra, rb, key, title))
