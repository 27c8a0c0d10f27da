"""The app's frame: the page navigation, the address that keeps a session, and a workshop member's poll or
quiz beside every page; then the page asked for. ``main.py`` runs it."""

from __future__ import annotations

import streamlit as st

from sandbox.app import live, pages, state
from sandbox.app.errors import guard


def run() -> None:
    st.set_page_config(page_title="MLOps Lifecycle Sandbox", page_icon=":material/model_training:", layout="wide")
    _frame()


@guard  # an unexpected error anywhere on a page: a sentence and a logged reference, never a traceback
def _frame() -> None:
    page = st.navigation(pages.navigation(), expanded=True)  # every page in view: "Play the year" is the eleventh
    state.keep_address()
    me = state.learner()
    mine = state.store().membership(me["id"]) if me else None
    if mine is not None:  # a workshop member: the facilitator's open poll or quiz, beside every page
        with st.sidebar:
            live.question_box(me["id"], mine["workshop_id"])
    page.run()
