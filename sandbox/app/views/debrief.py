"""The workshop debrief for learners, once the facilitator opens it: every team's year on one chart,
decisions beside outcomes, peer review of the other teams' strategies, and the learner's own reflection."""

import streamlit as st

from sandbox.app import debrief, peer, state

st.title("Workshop debrief")
me = state.learner()
mine = state.store().membership(me["id"]) if me else None
if mine is None:
    st.info("The debrief belongs to a workshop: join one first.")
    st.page_link("views/join.py", label="Join a workshop", icon=":material/groups:")
    st.stop()
workshop = state.store().workshop_by_id(mine["workshop_id"])
if not workshop["debrief_open"]:
    st.info("Your facilitator has not opened the debrief yet. You can write your reflection already.")
else:
    results, plans = debrief.team_runs(workshop)
    if results:
        debrief.overlay(results, "teams")
        debrief.tables(results, plans)
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
    debrief.reflection_form(workshop["id"], me["id"])
