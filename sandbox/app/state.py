"""Everything the app keeps between reruns, in one place.

Session state holds only small keys; the learner's work lives in the store and is
found again from the page's address (``?learner=<resume code>&attempt=<id>``), so a
refresh, a dropped connection or a server restart resumes where the learner was.
The store and the process pool are shared by every session (``st.cache_resource``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import streamlit as st

from sandbox.spec.lessons import PHASE_TITLES, PHASES  # noqa: F401  (PHASE_TITLES: the views read it here)

if TYPE_CHECKING:
    from sandbox.app.pages import Page

# session-state keys
LEARNER = "learner"  # {"id", "name", "token"}
ATTEMPT = "attempt_id"
FLASH = "flash"  # a message to show once on the next page
DRAWN_FROM = "drawn_from"  # decision -> the saved value its input was drawn from (see phase._drawn_from)
FACILITATOR = "facilitator_workshop"  # the workshop whose console this session signed in to (never in the URL)
CONSOLE_TAB = "console_tab"  # the facilitator console's open tab (kept across reruns)

STAGES = (*PHASES, "play", "results")


def _url() -> str:
    from sandbox.store import default_url

    return os.environ.get("SANDBOX_DB_URL") or default_url()


@st.cache_resource(show_spinner=False)
def _store(url: str):
    from sandbox.store import open_store

    return open_store(url)


@st.cache_resource(show_spinner=False)
def _runner(url: str):
    from sandbox.runs.service import Runner

    runner = Runner(_store(url))
    runner.warm()
    return runner


def store():
    return _store(_url())


def runner():
    return _runner(_url())


def learner() -> dict | None:
    """The learner named in the address, remembered for this session."""
    if LEARNER not in st.session_state:
        token = st.query_params.get("learner")
        found = store().learner_by_token(token) if token else None
        if found is None:
            return None
        _remember(found)
    return st.session_state[LEARNER]


def _remember(found: dict) -> None:
    st.session_state[LEARNER] = {"id": found["id"], "name": found["name"], "token": found["token"]}


def sign_in(found: dict) -> None:
    _remember(found)
    st.query_params["learner"] = found["token"]


def attempt() -> dict | None:
    """The learner's current attempt, read fresh from the store (it is the source of truth)."""
    me = learner()
    if me is None:
        return None
    attempt_id = st.session_state.get(ATTEMPT) or st.query_params.get("attempt")
    if not attempt_id:
        return None
    from sandbox.store.db import StoreError

    try:
        found = store().attempt(attempt_id)  # an address may say anything: the store checks the number
    except StoreError:
        return None
    if store().attempt_access(me["id"], found["id"]) not in ("own", "team"):
        return None  # another learner's, or another team's
    st.session_state[ATTEMPT] = found["id"]
    return found


def choose_attempt(attempt_id: int) -> None:
    st.session_state[ATTEMPT] = attempt_id
    st.query_params["attempt"] = str(attempt_id)


def address() -> dict[str, str]:
    """The query parameters that bring this learner back to this attempt."""
    out = {}
    if LEARNER in st.session_state:
        out["learner"] = st.session_state[LEARNER]["token"]
        if st.session_state.get(ATTEMPT):
            out["attempt"] = str(st.session_state[ATTEMPT])
    return out


def keep_address() -> None:
    """Put the learner and attempt back in the address (moving between pages clears it), so a reload of any
    page resumes the same work."""
    learner()
    if LEARNER in st.session_state and ATTEMPT not in st.session_state and st.query_params.get("attempt"):
        attempt()
    for key, value in address().items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value


def go(page: Page) -> None:
    """Move to a page (one of ``pages``), keeping the address that finds this session's work again."""
    st.switch_page(page.st_page(), query_params=address())


def flash(message: str) -> None:
    st.session_state[FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message)
