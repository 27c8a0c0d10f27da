"""Joining a workshop: the code (from the facilitator's link or typed) and a display name; then the waiting
room until the facilitator forms teams, then the team's shared plan. A member the facilitator names an observer
sees every team's progress and writes notes for the facilitator's after-action review."""

from __future__ import annotations

import streamlit as st

from sandbox.app import live, pages, state
from sandbox.app.errors import guard
from sandbox.reports.inert import markdown as md
from sandbox.store.common import StoreError
from sandbox.workshop import show_code

ROOM_REFRESH_S = 3


def page() -> None:
    st.title("Join a workshop")
    state.show_flash()
    me = state.learner()
    mine = state.store().membership(me["id"]) if me else None
    if mine is None:
        _join_form()
    elif mine["role"] == "observer":
        workshop = state.store().workshop_by_id(mine["workshop_id"])
        st.markdown(f"**{md(workshop['name'])}** · join code {show_code(workshop['code'])} · you are "
                    f"**{md(me['name'])}** (observer)")
        observe(workshop, me)
    else:
        room(mine["workshop_id"], me, mine["role"])


def _join_form() -> None:
    with st.form("join"):
        code = st.text_input("Join code (on your facilitator's screen, like AEF-479)",
                             value=st.query_params.get("join", ""))
        name = st.text_input("Display name (your facilitator and your team see it; no other personal data is "
                             "kept)")
        st.caption("You join as a learner; your facilitator puts you in a team, or names you an observer.")
        joined = st.form_submit_button("Join", type="primary")
    if not joined:
        return
    try:
        found = state.store().join_workshop(code, name)
    except StoreError as exc:
        st.error(md(exc))
        return
    state.sign_in(found["learner"])
    state.flash(f"You have joined {md(found['workshop']['name'])}. Your resume code is "
                f"{found['learner']['token']}: keep it to come back from another browser.")
    st.rerun()


def _choose_team(store, workshop: dict, me: dict) -> None:
    """Teams with room, for a learner who would rather choose than wait."""
    open_teams = [t for t in store.teams(workshop["id"]) if len(t["members"]) < workshop["team_size"]]
    if not open_teams:
        return
    st.markdown("Or choose a team that has room:")
    for team in open_teams:
        who = ", ".join(m["name"] for m in team["members"]) or "nobody yet"
        if st.button(md(f"Join {team['name']} ({who})"), key=f"choose-{team['id']}"):
            try:
                store.choose_team(workshop["id"], me["id"], team["id"])
            except StoreError as exc:
                st.error(md(exc))
                return
            st.rerun()


@st.fragment(run_every=live.MONITOR_REFRESH_S)
@guard
def _watch_teams(workshop_id: int) -> None:
    store = state.store()
    workshop = store.workshop_by_id(workshop_id)
    live.teams_table(workshop)
    names = {t["id"]: t["name"] for t in store.teams(workshop_id)}
    sent = store.sent_injects(workshop_id)
    if sent:
        st.markdown("**Injects sent so far**")
        for i in sent:
            to = ", ".join(names.get(t, "?") for t in i["targets"]) if i["targets"] is not None else "every team"
            st.markdown(f"- #{i['id']} {i['due_at']:%H:%M} · {md(i['channel'])} · to {md(to)}: {md(i['message'])}")


def observe(workshop: dict, me: dict) -> None:
    """An observer sees every team's progress and the injects sent, and writes notes for the facilitator."""
    store = state.store()
    st.info("You are observing. You see every team's progress as it happens; your notes go to the facilitator "
            "for the after-action review (teams never see them).")
    _watch_teams(workshop["id"])
    names = {t["id"]: t["name"] for t in store.teams(workshop["id"])}
    sent = [i["id"] for i in store.sent_injects(workshop["id"])]
    with st.form("observer-note", clear_on_submit=True):
        st.markdown("**A note for the facilitator** (stamped with the time)")
        left, right = st.columns(2)
        team = left.selectbox("About team", [None, *names], format_func=lambda t: "—" if t is None else names[t])
        about = right.selectbox("About inject", [None, *sent], format_func=lambda i: "—" if i is None else f"#{i}")
        text = st.text_area("Note", max_chars=4000)
        if st.form_submit_button("Save the note"):
            try:
                store.add_note(workshop["id"], text, about, team, author=me["name"])
            except StoreError as exc:
                st.error(md(exc))
            else:
                st.success("Note saved.")
    mine_written = [n for n in store.notes(workshop["id"]) if n["author"] == me["name"]]
    for n in reversed(mine_written):
        st.markdown(f"- {n['created_at']:%H:%M:%S}: {md(n['text'])}")


@st.fragment(run_every=ROOM_REFRESH_S)
@guard
def room(workshop_id: int, me: dict, role: str) -> None:
    """Redrawn every few seconds, so learners see their team as soon as the facilitator forms it."""
    store = state.store()
    workshop = store.workshop_by_id(workshop_id)
    st.markdown(f"**{md(workshop['name'])}** · join code {show_code(workshop['code'])} · you are "
                f"**{md(me['name'])}** ({role})")
    team = store.team_of(me["id"])
    if team is None:
        waiting = [p["name"] for p in store.members(workshop["id"]) if p["team_id"] is None]
        st.info("You are in the waiting room. Your facilitator will put you in a team; this page updates by "
                "itself.")
        st.caption(f"Waiting now ({len(waiting)}): {md(', '.join(waiting))}")
        if role == "learner":
            _choose_team(store, workshop, me)
        return
    names = [p["name"] for p in store.members(workshop["id"]) if p["team_id"] == team["id"]]
    others = ", ".join(n for n in names if n != me["name"]) or "nobody yet"
    st.success(f"You are in **{md(team['name'])}** with {md(others)}."
               " Your team shares one plan: what one of you saves, all of you see.")
    opened = workshop["open_phases"]
    st.caption("Phases open now: " + (", ".join(state.PHASE_TITLES[p] for p in opened if p in state.PHASE_TITLES)
                                      or "none yet; your facilitator will open them"))
    if team["attempt_id"] and st.button("Open your team's plan", type="primary"):
        state.choose_attempt(team["attempt_id"])
        state.go(pages.for_stage(store.attempt(team["attempt_id"])["phase"]))
