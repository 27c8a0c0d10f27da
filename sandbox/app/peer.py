"""Peer evaluation, drawn: a learner's team reviews another team's strategy with the rubric's peer section
(once the debrief is open, when teams may see each other's work); a team reads what others said about it;
the facilitator sees every team's averages on one chart, with a text alternative, and every comment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sandbox.app import state, ui
from sandbox.reports.inert import markdown as md
from sandbox.reports.inert import plotly as plotly_text
from sandbox.reports.run import PALETTE
from sandbox.store.common import StoreError
from sandbox.workshop import debrief as db
from sandbox.workshop import peer


def review_form(workshop: dict, learner_id: int, team: dict) -> None:
    """Choose another team, read its strategy, score it on each peer criterion, add two comments."""
    store = state.store()
    section = ui.rubric(workshop["scenario_id"]).peer
    others = {t["id"]: t for t in store.teams(workshop["id"]) if t["id"] != team["id"]}
    if not others:
        st.caption("There is no other team to review.")
        return
    mine = {r["to_team_id"]: r for r in store.peer_reviews(workshop["id"]) if r["from_team_id"] == team["id"]}
    st.caption(f"{section.intro} Your team shares its reviews: what one of you saves, the others see and may "
               f"change. Reviewed so far: {len(mine)} of {len(others)} teams.")
    target = st.selectbox("Team to review", list(others), key="peer-target",
                          format_func=lambda t: others[t]["name"] + (" (reviewed)" if t in mine else ""))
    _strategy(others[target], workshop)
    saved = mine.get(target)
    if saved:
        st.caption(f"Saved by {md(saved['saved_by'] or 'a former member')} at {saved['saved_at']:%H:%M}; saving "
                   "again replaces it.")
    with st.form(f"peer-{target}"):
        st.markdown(f"**{section.title}: {md(others[target]['name'])}**")
        given = {}
        for c in section.criteria:
            options = [lv.points for lv in c.levels]
            words = {lv.points: lv.descriptor for lv in c.levels}
            before = saved["points"].get(c.id) if saved else None
            given[c.id] = st.radio(f"{c.title}: {c.question}", options, key=f"peer-{target}-{c.id}",
                                   index=options.index(before) if before in options else None,
                                   format_func=lambda p, w=words: f"{p} — {w[p]}")
        strength = st.text_area(section.strength, value=saved["strength"] if saved else "", max_chars=1000)
        suggestion = st.text_area(section.suggestion, value=saved["suggestion"] if saved else "", max_chars=1000)
        sent = st.form_submit_button("Save our review", type="primary")
    if sent:
        try:
            store.save_peer_review(learner_id, target, peer.check_points(section, given), strength, suggestion)
        except (peer.ReviewError, StoreError) as exc:
            st.error(f"Not saved: {md(exc)}")
        else:
            st.success(f"Your team's review of {md(others[target]['name'])} is saved.")


def _strategy(team: dict, workshop: dict) -> None:
    attempt = state.store().attempt(team["attempt_id"]) if team["attempt_id"] else None
    if attempt is None:
        st.caption(f"{md(team['name'])} has no plan yet.")
        return
    loaded = ui.scenario(workshop["scenario_id"])
    with st.expander(f"{md(team['name'])}'s strategy: every decision, phase by phase"):
        st.dataframe(pd.DataFrame(db.strategy(attempt["plan"], loaded.scenario)), hide_index=True, width="stretch")
    run = state.store().get_run(attempt["run_key"]) if attempt["run_key"] else None
    if run is not None:
        st.dataframe(pd.DataFrame(db.outcome_rows({team["name"]: run})), hide_index=True, width="stretch")
    else:
        st.caption(f"{md(team['name'])} has not finished its year yet: judge the plan and the presentation.")


def received(workshop: dict, team: dict) -> None:
    """What the other teams made of this team's strategy."""
    store = state.store()
    section = ui.rubric(workshop["scenario_id"]).peer
    names = {t["id"]: t["name"] for t in store.teams(workshop["id"])}
    reviews = store.peer_reviews(workshop["id"])
    row = peer.summary(section, reviews, {team["id"]: team["name"]})[0]
    if not row["reviews"]:
        st.caption("No team has reviewed yours yet.")
        return
    st.markdown(f"**{row['reviews']} team{'s' if row['reviews'] != 1 else ''} reviewed yours: "
                f"{row['total']:g} of {row['out of']} on average.**")
    st.dataframe(pd.DataFrame([{"criterion": c.title, "average": row[c.title], "out of": c.max_points}
                               for c in section.criteria]), hide_index=True, width="stretch")
    _comments(section, peer.comments(reviews, names, team["id"]))


def aggregate(workshop: dict) -> None:
    """For the facilitator: every team's average per criterion, as a chart and a table, and the comments."""
    import plotly.graph_objects as go

    store = state.store()
    section = ui.rubric(workshop["scenario_id"]).peer
    names = {t["id"]: t["name"] for t in store.teams(workshop["id"])}
    reviews = store.peer_reviews(workshop["id"])
    possible = len(names) * (len(names) - 1)
    st.caption(f"{len(reviews)} of {possible} possible reviews saved. Teams review each other on the learners' "
               "debrief page once you open the debrief.")
    rows = peer.summary(section, reviews, names)
    fig = go.Figure()
    for i, row in enumerate(r for r in rows if r["reviews"]):
        fig.add_trace(go.Bar(x=[c.title for c in section.criteria], y=[row[c.title] for c in section.criteria],
                             name=plotly_text(row["team"]), marker={"color": PALETTE[i % len(PALETTE)],
                                                       "pattern": {"shape": ["", "/", ".", "x", "-"][i % 5]}}))
    fig.update_layout(barmode="group", height=360, margin={"l": 10, "r": 10, "t": 10, "b": 40},
                      yaxis={"title": "average points", "range": [0, max(c.max_points for c in section.criteria)]},
                      legend={"orientation": "h"})
    if reviews:
        st.plotly_chart(fig, width="stretch", key="peer-chart")
    st.caption("In words: " + md(peer.describe(section, rows)))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for team_id, name in names.items():
        said = peer.comments(reviews, names, team_id)
        if said:
            with st.expander(f"What the teams wrote about {md(name)} ({len(said)})"):
                _comments(section, said)


def _comments(section, said: list[dict]) -> None:
    for c in said:
        lines = [f"**{md(c['from'])}**"]
        if c["strength"]:
            lines.append(f"- {section.strength}: {md(c['strength'])}")
        if c["suggestion"]:
            lines.append(f"- {section.suggestion}: {md(c['suggestion'])}")
        st.markdown("\n".join(lines))
