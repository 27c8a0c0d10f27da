"""The debrief, drawn for the facilitator's projector and, once the facilitator opens it, for learners:
teams' trajectories on one chart, decisions beside outcomes, counterfactual replays, the Engage block's
failed project, and the learners' reflections. Facilitator notes and expected actions are never drawn here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sandbox.app import pages, peer, state, ui
from sandbox.reports.inert import markdown as md
from sandbox.reports.inert import plotly as plotly_text
from sandbox.reports.run import PALETTE
from sandbox.spec.loader import LESSONS_DIR
from sandbox.store.common import StoreError
from sandbox.workshop import debrief as db


def team_runs(workshop: dict) -> tuple[dict[str, dict], dict[str, dict]]:
    """Each team's finished run and its plan, by team name (teams still deciding have no run)."""
    store = state.store()
    results, plans = {}, {}
    for team in store.teams(workshop["id"]):
        attempt = store.attempt(team["attempt_id"]) if team["attempt_id"] else None
        if attempt is None:
            continue
        plans[team["name"]] = attempt["plan"]
        run = store.get_run(attempt["run_key"]) if attempt["run_key"] else None
        if run is not None:
            results[team["name"]] = run
    return results, plans


def overlay(results: dict[str, dict], key: str) -> None:
    import plotly.graph_objects as go

    metric = st.selectbox("Show", list(db.METRICS), format_func=lambda m: db.METRICS[m][0], key=f"{key}-metric")
    rows = db.trajectories(results, metric)
    fig = go.Figure()
    for i, who in enumerate(results):
        mine = [r for r in rows if r["who"] == who]
        fig.add_trace(go.Scatter(x=[r["day"] for r in mine], y=[r["value"] for r in mine], name=plotly_text(who),
                                 mode="lines",
                                 line={"color": PALETTE[i % len(PALETTE)], "dash": ["solid", "dash", "dot"][i % 3]}))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 40}, xaxis_title="simulated day",
                      yaxis_title=db.METRICS[metric][0], legend={"orientation": "h"})
    st.plotly_chart(fig, width="stretch", key=f"{key}-chart")
    st.caption("In words: " + md(db.describe(rows, metric)))


def tables(results: dict[str, dict], plans: dict[str, dict]) -> None:
    st.markdown("**Outcomes**")
    st.dataframe(pd.DataFrame(db.outcome_rows(results)), hide_index=True, width="stretch")
    differ = db.decision_differences({k: v for k, v in plans.items() if k in results})
    st.markdown("**Where the teams' decisions differ**")
    if differ:
        st.dataframe(pd.DataFrame(differ), hide_index=True, width="stretch")
    else:
        st.caption("The finished teams decided alike.")


def counterfactual(workshop: dict, plans: dict[str, dict]) -> None:
    """A team's plan and another plan (another team's or the expert's) replayed on the same seeded events."""
    from sandbox.runs.service import expert_plan

    options = dict(plans)
    expert = expert_plan(workshop["scenario_id"])
    if expert is not None:
        options["the expert plan"] = expert
    if len(options) < 2:
        st.caption("A replay needs at least one team's plan and another plan.")
        return
    with st.form("counterfactual"):
        left, right = st.columns(2)
        mine = left.selectbox("This team's plan", list(plans))
        other = right.selectbox("replayed beside", [o for o in options], index=len(options) - 1)
        go = st.form_submit_button("Replay both")
    if not go:
        return
    runs = {}
    with st.spinner("Replaying the year under both plans…"):
        for name in dict.fromkeys([mine, other]):
            _, runs[name] = state.runner().run(workshop["scenario_id"], options[name], workshop["seed"],
                                               workshop["difficulty"])
    st.caption(f"Both plans met the scenario's own seeded events (seed {workshop['seed']}, "
               f"{workshop['difficulty']}); the facilitator's injects are left out, so only the plan differs.")
    st.dataframe(pd.DataFrame(db.outcome_rows(runs)), hide_index=True, width="stretch")
    overlay(runs, "counterfactual")


def failed_project(workshop: dict) -> None:
    """The Engage block's case study: the naive plan's year on the workshop's scenario and seed."""
    from sandbox.reports.run import timeline_figure
    from sandbox.spec.loader import load_plan

    loaded = ui.scenario(workshop["scenario_id"])
    if not (loaded.folder / "plans" / "naive.yaml").is_file():
        st.caption("This scenario has no naive plan to replay.")
        return
    if not st.button("Replay the failed project"):
        return
    with st.spinner("Replaying the naive plan's year…"):
        _, result = state.runner().run(loaded.id, load_plan(loaded, "naive").to_dict(), workshop["seed"],
                                       workshop["difficulty"])
    k = result["kpis"]
    st.markdown(f"Score **{result['score']['total']:.1f} / 100**: {k['harms']:,} harmful decisions, "
                f"{k['incidents']} incidents, fairness gap {k['fairness_gap']:.3f} against a limit of "
                f"{k['fairness_limit']:.3f}, availability {k['availability']:.1%}.")
    st.plotly_chart(timeline_figure(result, height=700), width="stretch", key="naive-timeline")
    worst = sorted(result["score"]["criteria"], key=lambda c: c["points"] - c["max_points"])[:3]
    st.markdown("Where it failed most:\n" + "\n".join(f"- **{c['title']}**: {c['feedback']}" for c in worst))


def reflection_form(workshop_id: int, learner_id: int) -> None:
    questions = db.reflection_questions(LESSONS_DIR / "reflection.md")
    saved = state.store().reflection_of(workshop_id, learner_id)
    with st.form("reflection"):
        st.caption("Your facilitator reads it; other learners do not.")
        written = {q: st.text_area(q, value=saved.get(q, ""), max_chars=1000) for q in questions}
        if st.form_submit_button("Save my reflection", type="primary"):
            try:
                state.store().save_reflection(workshop_id, learner_id, written)
            except StoreError as exc:
                st.error(md(exc))
            else:
                st.success("Reflection saved.")


def reflections(workshop_id: int) -> None:
    found = state.store().reflections(workshop_id)
    st.caption(f"{len(found)} reflection{'s' if len(found) != 1 else ''} so far.")
    for r in found:
        with st.expander(md(r["name"])):
            for q, a in r["answers"].items():
                st.markdown(f"**{md(q)}**\n\n{md(a)}")


def page() -> None:
    """The workshop debrief for learners, once the facilitator opens it: every team's year on one chart,
    decisions beside outcomes, peer review of the other teams' strategies, and the learner's own reflection."""
    st.title("Workshop debrief")
    me = state.learner()
    mine = state.store().membership(me["id"]) if me else None
    if mine is None:
        st.info("The debrief belongs to a workshop: join one first.")
        pages.link(pages.JOIN, label="Join a workshop", icon=":material/groups:")
        return
    workshop = state.store().workshop_by_id(mine["workshop_id"])
    if not workshop["debrief_open"]:
        st.info("Your facilitator has not opened the debrief yet. You can write your reflection already.")
    else:
        results, plans = team_runs(workshop)
        if results:
            overlay(results, "teams")
            tables(results, plans)
        else:
            st.caption("No team has finished its year yet.")
        team = state.store().team_of(me["id"])
        if mine["role"] == "learner" and team is not None:
            st.markdown("#### Peer review")
            peer.review_form(workshop, me["id"], team)
            st.markdown("#### What the other teams said about yours")
            peer.received(workshop, team)
    if mine["role"] == "learner":
        st.markdown("#### Your reflection")
        reflection_form(workshop["id"], me["id"])
