"""The facilitator's console: sign in with the workshop's passphrase; the people and teams, the pacing
(the 5E blocks, phases opened, decisions locked, debrief), the injects and notes, the polls and quizzes,
and the exports."""

import streamlit as st

from sandbox.app import console, state, ui
from sandbox.reports.inert import markdown as md
from sandbox.spec.loader import SCENARIOS_DIR
from sandbox.store.common import StoreError
from sandbox.workshop import PASSPHRASE_MIN, TEAM_SIZE_MAX, Refused, facilitation, show_code

DIFFICULTIES = ["introductory", "standard", "advanced"]

st.title("Facilitator console")
state.show_flash()
workshop_id = st.session_state.get(state.FACILITATOR)


def create_form() -> None:
    """A new workshop on a bundled scenario (the command line can do the same: ``sandbox workshop create``)."""
    ids = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))
    with st.form("create-workshop"):
        name = st.text_input("Workshop name", placeholder="e.g. Benefits directorate, 12 March")
        sid = st.selectbox("Scenario", ids, format_func=lambda i: ui.scenario(i).scenario.title)
        left, right = st.columns(2)
        difficulty = left.selectbox("Difficulty", DIFFICULTIES, index=1)
        size = right.number_input("Team size", 1, TEAM_SIZE_MAX, facilitation.DEFAULT_TEAM_SIZE)
        new_pass = st.text_input(f"Facilitator passphrase (at least {PASSPHRASE_MIN} characters)", type="password")
        again = st.text_input("The passphrase again", type="password")
        made = st.form_submit_button("Create the workshop")
    if not made:
        return
    if new_pass != again:
        st.error("The two passphrases differ; nothing was created.")
        return
    try:
        found = facilitation.create_workshop(state.store(), sid, name, new_pass, difficulty, int(size))
    except Refused as exc:
        st.error(f"Not created: {md(exc)}")
        return
    st.session_state[state.FACILITATOR] = found["id"]
    state.flash(f"Workshop created. Learners join with the code {show_code(found['code'])}.")
    st.rerun()


if workshop_id is None:
    with st.form("facilitator-sign-in"):
        code = st.text_input("Workshop join code")
        passphrase = st.text_input("Facilitator passphrase", type="password")
        go = st.form_submit_button("Sign in", type="primary")
    if go:
        try:
            found = state.store().facilitator_sign_in(code, passphrase, client=st.context.ip_address or "localhost")
        except StoreError as exc:  # a wrong passphrase, a wait still running, an unknown code
            st.error(md(exc))
            st.stop()
        st.session_state[state.FACILITATOR] = found["id"]
        st.rerun()
    with st.expander("No workshop yet? Create one"):
        create_form()
    st.stop()

store = state.store()
workshop = store.workshop_by_id(workshop_id)
st.markdown(f"## {md(workshop['name'])} · join code **{show_code(workshop['code'])}**")
st.caption(f"{ui.scenario(workshop['scenario_id']).scenario.title} · {workshop['difficulty']} · "
           f"seed {workshop['seed']} · teams of "
           f"{workshop['team_size']} · learners join at the app's address with `?join={workshop['code']}`")
TABS = {"People and teams": console.people_tab, "Pacing": console.pacing_tab,
        "Injects and notes": console.inject_tab, "Polls and quizzes": console.polls_tab,
        "Debrief": console.debrief_tab, "Exports": console.exports_tab}
for tab, draw in zip(st.tabs(list(TABS), key=state.CONSOLE_TAB, on_change="rerun"), TABS.values(), strict=True):
    if tab.open:  # only the open tab is drawn; it stays open across reruns
        with tab:
            draw(workshop)

if st.button("Sign out of the console"):
    del st.session_state[state.FACILITATOR]
    st.rerun()
