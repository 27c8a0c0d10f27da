"""The facilitator's console: sign in with the workshop's passphrase; the people and teams, the pacing
(the 5E blocks, phases opened, decisions locked, debrief), the injects and notes, the polls and quizzes,
and the exports."""

import pandas as pd
import streamlit as st

from sandbox import facilitation
from sandbox.app import console, state
from sandbox.app.state import PHASE_TITLES
from sandbox.lessons import PHASES
from sandbox.loader import LESSONS_DIR
from sandbox.store.common import StoreError
from sandbox.workshop import blocks, show_code

MONITOR_REFRESH_S = 5

st.title("Facilitator console")
state.show_flash()
workshop_id = st.session_state.get(state.FACILITATOR)

if workshop_id is None:
    with st.form("facilitator-sign-in"):
        code = st.text_input("Workshop join code")
        passphrase = st.text_input("Facilitator passphrase", type="password")
        go = st.form_submit_button("Sign in", type="primary")
    if go:
        try:
            found = state.store().facilitator_sign_in(code, passphrase)
        except StoreError as exc:  # a wrong passphrase, a wait still running, an unknown code
            st.error(str(exc))
            st.stop()
        st.session_state[state.FACILITATOR] = found["id"]
        st.rerun()
    st.caption("No workshop yet? Create one with `sandbox workshop create --scenario ID --name NAME`.")
    st.stop()

store = state.store()
workshop = store.workshop_by_id(workshop_id)
st.markdown(f"## {workshop['name']} · join code **{show_code(workshop['code'])}**")
st.caption(f"Scenario {workshop['scenario_id']} · {workshop['difficulty']} · seed {workshop['seed']} · teams of "
           f"{workshop['team_size']} · learners join at the app's address with `?join={workshop['code']}`")
people, pacing, injects, polls, exports = st.tabs(["People and teams", "Pacing", "Injects and notes",
                                                   "Polls and quizzes", "Exports"])


@st.fragment(run_every=MONITOR_REFRESH_S)
def monitor() -> None:
    """Every team's phase and score, redrawn every few seconds without reloading the page."""
    rows = []
    for team in store.teams(workshop_id):
        attempt = store.attempt(team["attempt_id"]) if team["attempt_id"] else None
        rows.append({"team": team["name"], "members": ", ".join(m["name"] for m in team["members"]),
                     "phase": PHASE_TITLES.get(attempt["phase"], attempt["phase"]) if attempt else "—",
                     "score": attempt["score_total"] if attempt else None})
    waiting = [p for p in store.members(workshop_id) if p["team_id"] is None]
    st.markdown(f"**Waiting room ({len(waiting)})**: " + (", ".join(f"{p['name']} ({p['role']})" for p in waiting)
                                                        or "nobody"))
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption("No teams yet.")


with people:
    monitor()
    if st.button(f"Form teams of {workshop['team_size']} from the waiting room", type="primary"):
        formed = store.form_teams(workshop_id)
        state.flash(f"{len(formed)} teams now.")
        st.rerun()
    members = store.members(workshop_id)
    teams = store.teams(workshop_id)
    if members:
        with st.form("place"):
            who = st.selectbox("Move someone", members, format_func=lambda p: f"{p['name']} ({p['role']})")
            options = [None, *[t["id"] for t in teams]]
            names = {None: "the waiting room", **{t["id"]: t["name"] for t in teams}}
            where = st.selectbox("to", options, format_func=names.get)
            if st.form_submit_button("Move"):
                store.place(workshop_id, who["learner_id"], where)
                state.flash(f"{who['name']} moved to {names[where]}.")
                st.rerun()
    if st.button("Add an empty team"):
        store.add_team(workshop_id)
        st.rerun()

with pacing:
    plan = pd.DataFrame([{"block": b.name, "starts at minute": b.start_minute, "minutes": b.minutes,
                          "activity": b.title} for b in blocks(LESSONS_DIR / "facilitator-guide.md")])
    st.dataframe(plan, hide_index=True, width="stretch")
    with st.form("pacing"):
        opened = st.multiselect("Phases open to teams", list(PHASES), default=workshop["open_phases"],
                                format_func=PHASE_TITLES.get)
        locked = st.toggle("Lock decisions (teams can look but not save)", value=workshop["locked"])
        debrief = st.toggle("Open the debrief (teams may look at each other's work)", value=workshop["debrief_open"])
        if st.form_submit_button("Apply", type="primary"):
            store.set_workshop(workshop_id, open_phases=opened, locked=locked, debrief_open=debrief)
            state.flash("Pacing saved: every team sees it on its next action.")
            st.rerun()

with injects:
    console.inject_tab(workshop)

with polls:
    console.polls_tab(workshop)

with exports:
    st.markdown("Scores for a gradebook (one row per learner) and everything about the workshop.")
    for fmt, mime in (("csv", "text/csv"), ("json", "application/json")):
        st.download_button(f"Download {fmt.upper()}", facilitation.export(store, workshop["code"], fmt),
                           file_name=f"workshop-{workshop['code']}.{fmt}", mime=mime)

if st.button("Sign out of the console"):
    del st.session_state[state.FACILITATOR]
    st.rerun()
