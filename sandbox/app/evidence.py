"""The evidence a phase shows before the learner decides: briefing, data, the model's evaluation, settings."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from sandbox.app import state
from sandbox.reports.run import PALETTE, fairness_sentences


@st.cache_data(show_spinner="Reading the scenario's data…", max_entries=32)
def _profile(scenario_id: str, seed: int) -> dict:
    from sandbox.runs.service import data_profile

    return data_profile(scenario_id, seed)


def briefing(attempt: dict, loaded) -> None:
    c = loaded.scenario.context
    st.markdown(f"**{c.agency}** — {c.service}")
    st.markdown(f"**The problem.** {c.problem}")
    st.markdown(f"**Who is affected, and how.** {c.affected}")
    st.markdown("**Stakeholders:** " + "; ".join(c.stakeholders))


def data_explorer(attempt: dict, loaded) -> None:
    p = _profile(attempt["scenario_id"], attempt["seed"])
    st.markdown(f"#### The historical data: {p['rows']:,} labelled cases")
    drives = "what it drives" if p["regression"] else "a positive prediction means"
    st.markdown(f"Target: **{p['target']}** ({drives}: {p['positive_means']}). "
                f"{p['duplicates']:,} rows are exact duplicates of another.")
    if p["sources"]:
        st.markdown("**Sources** (silos and legacy systems, with the faults each is known for)")
        st.dataframe(pd.DataFrame(p["sources"]), hide_index=True, width="stretch")
    st.markdown("**Columns**: share missing as the data arrive")
    st.dataframe(pd.DataFrame(p["columns"]), hide_index=True, width="stretch",
                 column_config={"missing": st.column_config.NumberColumn(format="percent")})
    st.markdown(f"**Groups**: cases and {p['outcome']} by protected attribute")
    st.vega_lite_chart(spec=_groups_chart(attempt["scenario_id"], attempt["seed"]), width="stretch")
    st.caption("In words: " + " ".join(f"{r['attribute']} {r['group']}: {r['cases']:,} cases ({r['share']:.0%}),"
                                        f" {p['outcome']} {r[p['outcome']]:.3f}." for r in p["groups"]))
    st.dataframe(pd.DataFrame(p["groups"]), hide_index=True, width="stretch",
                 column_config={"share": st.column_config.NumberColumn(format="percent"),
                                p["outcome"]: st.column_config.NumberColumn(format="%.3f")})


@st.cache_data(show_spinner=False, max_entries=32)
def _groups_chart(scenario_id: str, seed: int) -> dict:
    """The per-group chart of the historical data as a Vega-Lite spec, built with Altair once per scenario and
    seed (building and validating the chart cost more than drawing it, on every rerun of the page)."""
    p = _profile(scenario_id, seed)
    return alt.Chart(pd.DataFrame(p["groups"])).mark_bar(color=PALETTE[0]).encode(
        x=alt.X(f"{p['outcome']}:Q"), y=alt.Y("group:N", title=None), row=alt.Row("attribute:N", title=None),
        tooltip=["attribute", "group", "cases", alt.Tooltip(f"{p['outcome']}:Q", format=".3f")]
    ).resolve_scale(y="independent").to_dict()  # each attribute's panel lists its own groups only


def model_evaluation(attempt: dict, loaded) -> None:
    st.markdown("#### The model your choices produce")
    st.caption("Trained on the historical data with your data and development decisions, evaluated as your "
               "evaluation decisions say. Save your decisions, then train again to see their effect.")
    if not st.button("Train and evaluate", icon=":material/model_training:"):
        return
    with st.spinner("Training and evaluating…"):
        ev = state.runner().evaluation(attempt["scenario_id"], attempt["plan"], attempt["seed"],
                                       attempt["difficulty"])
    m = ev["metrics"]
    st.dataframe(pd.DataFrame([{"metric": k, "value": round(v, 4)} for k, v in m.items()]), hide_index=True)
    gate = ev["gate"]
    (st.success if gate["go"] else st.error)(
        f"Promotion gate ({gate['gate']}): {'go' if gate['go'] else 'no-go'}"
        + ("" if gate["go"] else " — " + "; ".join(gate["reasons"])))
    _fairness(ev, loaded.scenario.task.type)
    if ev.get("robustness"):
        st.markdown("**Robustness** (the test set again with noisy inputs, and with one input missing)")
        st.json(ev["robustness"], expanded=False)
    if ev.get("cross_validation"):
        cv = ev["cross_validation"]
        st.markdown(f"**Cross-validation**: {cv['scoring']} {cv['mean']:.3f} ± {cv['std']:.3f} over {cv['folds']}"
                    " folds")


def _fairness(ev: dict, task: str) -> None:
    f = ev["fairness"]
    table = pd.DataFrame([{"group": g, **v} for g, v in ev["groups"].items()])
    key = "selection_rate" if "selection_rate" in table else "mae"
    lines = fairness_sentences(f, task)
    st.markdown("**Per-group results**: " + lines[0])
    for line in lines[1:]:
        st.markdown(line)
    chart = alt.Chart(table).mark_bar(color=PALETTE[1]).encode(x=alt.X(f"{key}:Q"), y=alt.Y("group:N"),
                                                                tooltip=list(table.columns))
    st.altair_chart(chart, width="stretch")
    st.caption("In words: " + " ".join(f"{r['group']}: {key.replace('_', ' ')} {r[key]:.3f}."
                                        for r in table.to_dict("records")))
    st.dataframe(table, hide_index=True, width="stretch")
    if "four_fifths_ratio" in f:
        st.caption(f"Four-fifths ratio {f['four_fifths_ratio']:.2f} — {f['four_fifths_note']}")


def configuration(attempt: dict, loaded) -> None:
    d = attempt["plan"]["decisions"]
    rows = [{"setting": k.split(".", 1)[1].replace("_", " "), "your choice": _show(v)}
            for k, v in d.items() if k.startswith(("deployment.", "monitoring."))]
    with st.expander("Your deployment and monitoring configuration", expanded=False):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _show(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
