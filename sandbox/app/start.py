"""The start page: who you are, which scenario and difficulty, or resume an earlier attempt."""

from __future__ import annotations

import streamlit as st

from sandbox.app import pages, state, ui
from sandbox.reports.inert import markdown as md
from sandbox.spec.loader import SCENARIOS_DIR, load_plan
from sandbox.store.common import StoreError

FLAGSHIP = "benefits-triage"


def page() -> None:
    if st.query_params.get("join"):  # a workshop's link
        st.switch_page(pages.JOIN.st_page(), query_params={"join": st.query_params["join"]})
    st.title("MLOps Lifecycle Sandbox")
    st.markdown("Run a public-sector AI project through its whole lifecycle, decide in every phase, play a "
                "simulated year of drift and failures, and see how your decisions score.")
    state.show_flash()
    me = state.learner()
    if me is None:
        _sign_in()
        return
    st.markdown(f"Signed in as **{md(me['name'])}**. Your resume code is `{me['token']}` — keep it to come back "
                "to your work from another browser; this page's address also brings you back.")
    _new_attempt(me)
    _resume(me)


def _sign_in() -> None:
    new, back = st.columns(2, gap="large")
    with new, st.form("sign-in"):
        st.markdown("#### New here")
        name = st.text_input("Display name (shown to your facilitator; no other personal data is kept)")
        if st.form_submit_button("Begin", type="primary"):
            try:
                state.sign_in(state.store().create_learner(name))
                st.rerun()
            except StoreError as exc:
                st.error(md(exc))
    with back, st.form("resume"):
        st.markdown("#### Coming back")
        code = st.text_input("Your resume code")
        if st.form_submit_button("Resume"):
            found = state.store().learner_by_token(code.strip())
            if found is None:
                st.error("No learner has that resume code. Check it, or begin as someone new.")
            else:
                state.sign_in(found)
                st.rerun()


def _new_attempt(me: dict) -> None:
    ids = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))
    with st.form("new-attempt"):
        st.markdown("#### Start a new attempt")
        sid = st.selectbox("Scenario", ids, format_func=lambda i: ui.scenario(i).scenario.title,
                           index=ids.index(FLAGSHIP) if FLAGSHIP in ids else 0)
        loaded = ui.scenario(sid)
        difficulty = st.radio("Difficulty", list(loaded.scenario.difficulty), horizontal=True,
                              index=list(loaded.scenario.difficulty).index("standard")
                              if "standard" in loaded.scenario.difficulty else 0)
        seed = st.number_input("Seed (the same seed replays the same year)", min_value=1, max_value=9999, value=1)
        start = st.form_submit_button("Start", type="primary")
    st.markdown(f"**{loaded.scenario.title}.** {loaded.scenario.summary}")
    st.markdown(f"**Who is affected:** {loaded.scenario.context.affected}")
    if not start:
        return
    plan = {**load_plan(loaded, None).to_dict(), "name": "my-plan"}
    try:
        new_id = state.store().new_attempt(me["id"], sid, difficulty, seed, plan, "problem")
    except StoreError as exc:
        st.error(md(exc))
        return
    state.choose_attempt(new_id)
    state.go(pages.PHASE["problem"])


def _resume(me: dict) -> None:
    mine = state.store().attempts_open_to(me["id"])
    if not mine:
        return
    st.markdown("#### Your attempts")
    labels = {a["id"]: f"#{a['id']} {ui.scenario(a['scenario_id']).scenario.title} · {a['difficulty']} · seed "
              f"{a['seed']} · {a['phase']}" + (f" · score {a['score_total']:.1f}" if a["score_total"] else "")
              for a in reversed(mine)}
    pick = st.selectbox("Attempt", list(labels), format_func=labels.get)
    if st.button("Resume this attempt"):
        state.choose_attempt(pick)
        state.go(pages.for_stage(state.store().attempt(pick)["phase"]))
