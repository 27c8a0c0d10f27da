"""Results: the year's charts, incidents, score and feedback, downloads."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st
import yaml

from sandbox.app import pages, play, state, ui
from sandbox.reports.inert import markdown as md
from sandbox.reports.run import PALETTE
from sandbox.scoring.delivery import headline


def learner_copy(result: dict) -> dict:
    """The result without facilitator-only notes (they never reach a learner's browser)."""
    out = json.loads(json.dumps(result))
    for c in (out.get("score") or {}).get("criteria", []):
        c.pop("facilitator_note", None)
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def _timeline(run_key: str):
    """A finished run's timeline figure, drawn once per server for every learner who opens it (a run is
    fixed by its key; building the figure costs tens of milliseconds, showing a built one about two)."""
    from sandbox.reports.run import timeline_figure

    return timeline_figure(state.store().get_run(run_key), height=1100)


def charts(result: dict, run_key: str) -> None:
    from sandbox.reports.run import timeline_summary

    st.plotly_chart(_timeline(run_key), width="stretch")
    st.caption("In words: " + timeline_summary(result) + " Dotted lines mark events; triangles mark alerts.")


def incidents(result: dict) -> None:
    rows = [{"incident": i["id"], "title": i["title"], "started (day)": i["start_day"],
             "detected (day)": i["detected_day"], "detected by": i["detected_by"] or "never detected",
             "time to detect (days)": i.get("time_to_detect_days"),
             "time to recover (days)": i.get("time_to_recover_days"),
             "open at the end": i["open_at_end"]} for i in result["incidents"]]
    st.markdown(f"#### Incidents ({len(rows)})")
    if rows:
        day = st.column_config.NumberColumn(format="%.1f")  # events fall within a day: 188.999 reads as 189.0
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={c: day for c in ("started (day)", "detected (day)", "time to detect (days)",
                                                     "time to recover (days)")})
    for g in result["governance"]:
        (st.success if g["passed"] else st.error)(f"{g['title']}: {g['outcome']}")


def downloads(attempt: dict) -> None:
    """Plan, run and report, each generated only when its button is pressed (nothing large kept per session)."""
    from sandbox.reports.run import render

    key = attempt["run_key"]
    plan = {"name": attempt["plan"].get("name", "my-plan"), "decisions": attempt["plan"]["decisions"],
            "impact_answers": attempt["plan"].get("impact_answers", {})}

    def run_json() -> str:
        return json.dumps(learner_copy(state.store().get_run(key)), indent=1)

    def report_html() -> str:
        return render(learner_copy(state.store().get_run(key)))

    a, b, c = st.columns(3)
    a.download_button("Plan (YAML)", yaml.safe_dump(plan, sort_keys=True), file_name="plan.yaml",
                      mime="application/yaml", width="stretch", on_click="ignore")
    b.download_button("Run (JSON)", run_json, file_name="run.json", mime="application/json", width="stretch",
                      on_click="ignore")
    c.download_button("Report (HTML)", report_html, file_name="report.html", mime="text/html", width="stretch",
                      on_click="ignore")


def drift_report(result: dict, attempt: dict) -> None:
    """Evidently's own drift report for a window the learner picks, drawn only when asked for."""
    with st.expander("Evidently drift report for a window of days"):
        alerts = [a["day"] for a in result["alerts"] if a["signal"] == "data_drift"]
        first = int(alerts[0]) if alerts else 180
        horizon = len(result["timeline"])
        days = st.slider("Days", 0, horizon - 1, (max(0, first - 6), first), key="drift-window",
                         help="The cases received on these days, against the training data of the model in "
                              "service at the window's end.")
        if st.button("Draw the report"):
            actions = (attempt["snapshot"] or {}).get("actions", [])
            try:
                with st.spinner("Replaying the year and drawing Evidently's report…"):
                    html = state.runner().drift_report(attempt["scenario_id"], attempt["plan"], attempt["seed"],
                                                       attempt["difficulty"], actions, days[0], days[1])
            except ValueError as exc:
                st.error(md(exc))
                return
            import streamlit.components.v1 as components

            st.caption(f"Drift of days {days[0]}–{days[1]} as Evidently's DataDriftPreset judges it (the same "
                       "statistics as the in-loop monitor: Wasserstein for numbers, Jensen–Shannon for categories).")
            components.html(html, height=900, scrolling=True)
            st.download_button("Download this report (HTML)", html, file_name=f"drift-{days[0]}-{days[1]}.html",
                               mime="text/html")


def chance(result: dict, attempt: dict) -> None:
    """Where the score stands against the scenario's random plans (saved by ``sandbox calibrate --save``)."""
    import altair as alt

    from sandbox.calibrate import standing

    dist = standing.distribution(ui.scenario(attempt["scenario_id"]), attempt["difficulty"])
    total = result["score"]["total"]
    if dist is None:
        st.caption("No comparison with random plans is saved for this scenario and difficulty.")
        return
    st.markdown(standing.words(total, dist))
    marks = pd.DataFrame([{"score": t, "plan": "a random plan"} for t in dist["random"]]
                         + [{"score": total, "plan": "yours"}])
    chart = alt.Chart(marks).mark_tick(thickness=3, size=28).encode(
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100]), title="score out of 100"),
        color=alt.Color("plan:N", scale=alt.Scale(domain=["a random plan", "yours"],
                                                  range=[PALETTE[4], PALETTE[5]]), title=None),
        tooltip=["plan", "score"]).properties(height=70)
    st.altair_chart(chart, width="stretch")
    st.caption("In words: each blue tick is one random plan's score; the red tick is yours.")


def result_of(attempt: dict) -> dict | None:
    return state.store().get_run(attempt["run_key"]) if attempt.get("run_key") else None


def show(attempt: dict) -> None:
    result = result_of(attempt)
    if result is None:
        st.info("This attempt has not been played yet.")
        pages.link(pages.PLAY, icon=":material/play_arrow:")
        return
    stopped = headline(result)
    if stopped:  # the first thing said about a year in which no model went live
        st.error(stopped, icon=":material/block:")
    score, figures = st.columns([2, 3], gap="large")
    with score:
        ui.score_panel(result["score"])
        chance(result, attempt)
    with figures:
        st.markdown("#### Key figures")
        st.dataframe(ui.key_figures(result), hide_index=True, width="stretch")
    charts(result, attempt["run_key"])
    incidents(result)
    drift_report(result, attempt)
    st.markdown("#### Downloads")
    downloads(attempt)


def page() -> None:
    """Results and feedback for the current attempt; retry with changed decisions."""
    attempt, _ = ui.attempt_page("Results and feedback")
    show(attempt)
    st.markdown("#### Try again")
    st.markdown("Change some decisions and play the same year again (same seed, same events), then compare.")
    why = play.refused(attempt)
    if why:
        st.info(why, icon=":material/lock:")
    if st.button("Retry with a copy of these decisions", icon=":material/replay:", disabled=bool(why)):
        if play.refused(attempt):
            st.error(f"{play.refused(attempt)} No copy was made.")
            return
        me = state.learner()
        new_id = state.store().new_attempt(me["id"], attempt["scenario_id"], attempt["difficulty"],
                                           attempt["seed"], attempt["plan"], "problem")
        state.choose_attempt(new_id)
        state.flash(f"Attempt #{new_id} is a copy of #{attempt['id']}: change what you like, then play again.")
        state.go(pages.PHASE["problem"])
