"""The app's frame: the page navigation, the address that keeps a session, and a workshop member's poll or
quiz beside every page; then the page asked for. ``main.py`` runs it."""

from __future__ import annotations

import streamlit as st

from sandbox.app import live, state
from sandbox.app.errors import guard
from sandbox.app.state import PHASE_TITLES


def run() -> None:
    st.set_page_config(page_title="MLOps Lifecycle Sandbox", page_icon=":material/model_training:", layout="wide")
    _frame()


@guard  # an unexpected error anywhere on a page: a sentence and a logged reference, never a traceback
def _frame() -> None:
    pages = {
        "Start": [st.Page("views/start.py", title="Choose a scenario", icon=":material/home:", default=True)],
        "Lifecycle": [st.Page(f"views/phase_{p}.py", title=f"{i}. {t}") for i, (p, t) in
                      enumerate(PHASE_TITLES.items(), start=1)],
        "Play and learn": [st.Page("views/play.py", title="Play the year", icon=":material/play_circle:"),
                           st.Page("views/results.py", title="Results and feedback", icon=":material/insights:"),
                           st.Page("views/compare.py", title="Compare attempts", icon=":material/compare:")],
        "Workshop": [st.Page("views/join.py", title="Join a workshop", icon=":material/groups:"),
                     st.Page("views/debrief.py", title="Workshop debrief", icon=":material/forum:"),
                     st.Page("views/facilitator.py", title="Facilitator console", icon=":material/co_present:")],
    }
    page = st.navigation(pages, expanded=True)  # every page in view: "Play the year" is the eleventh
    state.keep_address()
    me = state.learner()
    mine = state.store().membership(me["id"]) if me else None
    if mine is not None:  # a workshop member: the facilitator's open poll or quiz, beside every page
        with st.sidebar:
            live.question_box(me["id"], mine["workshop_id"])
    page.run()
