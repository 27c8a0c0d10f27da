"""Playing the year: the whole year at once, or step by step with incidents to answer; plan uploads."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sandbox.app import state, ui
from sandbox.loader import plan_from_doc
from sandbox.store.common import StoreError
from sandbox.yamlio import LoadError, parse_yaml_text

WATCH_S = 5  # seconds between checks for a team member's move or a due inject

RESPONSE_HELP = {
    "rollback": "go back to the previous model version", "retrain_now": "start retraining at once",
    "manual_processing": "send every case to caseworkers until it is fixed",
    "pause_automation": "caseworkers confirm every adverse decision for now",
    "communicate": "tell the people affected and the agency what is happening", "ignore": "do nothing",
}


def upload_plan(attempt: dict, loaded) -> None:
    """A plan file replaces the decisions only if every line of it is valid."""
    with st.expander("Load decisions from a plan file (YAML)"):
        file = st.file_uploader("Plan file", type=["yaml", "yml"], key="plan-upload")
        if file is None:
            return
        try:
            doc = parse_yaml_text(Path(file.name), file.getvalue().decode("utf-8"))
            plan = plan_from_doc(doc, loaded.scenario)
        except UnicodeDecodeError:
            st.error(f"{file.name}: not a text file. Nothing was changed; your saved decisions are kept.")
            return
        except LoadError as exc:
            st.error("This plan file has problems; nothing was changed and your saved decisions are kept:\n\n"
                     + "\n".join(f"- `{p}`" for p in exc.problems))
            return
        if st.button(f"Use the decisions in {file.name}"):
            state.store().update_attempt(attempt["id"], plan={**plan.to_dict(), "name": plan.name})
            state.flash(f"Decisions loaded from {file.name}.")
            st.rerun()


def run_batch(attempt: dict) -> None:
    bar = st.progress(0.0, text="Simulating the year…")
    days = ui.scenario(attempt["scenario_id"]).scenario.timeline.days
    key, result = state.runner().run(attempt["scenario_id"], attempt["plan"], attempt["seed"],
                                     attempt["difficulty"],
                                     on_progress=lambda s: bar.progress(min(s, 1.0), text=f"Day {s * days:.0f} of {days}"))
    bar.progress(1.0, text="Done")
    _finish(attempt, key, result)


def _finish(attempt: dict, key: str, result: dict, actions: list | None = None) -> None:
    """Save the outcome (a step-mode run keeps its actions: they are part of what happened)."""
    state.store().update_attempt(attempt["id"], run_key=key, score_total=result["score"]["total"], phase="results",
                                 snapshot={"actions": actions} if actions else None)
    state.flash(f"The year is over. Score {result['score']['total']:.1f} / 100.")
    state.go("views/results.py")


def step_state(attempt: dict) -> dict:
    """The step-mode run as saved (replayed from its actions after a reload), with the facilitator's injects
    that are now due to the team put in at the team's current day."""
    from sandbox.stepping import move

    return move(state.store(), state.runner(), attempt["id"], {"op": "state"})


def step(attempt: dict, action: dict) -> None:
    from sandbox.engine import SimulationError
    from sandbox.stepping import move

    try:
        out = move(state.store(), state.runner(), attempt["id"], action)
    except SimulationError as exc:
        st.error(f"That cannot be done: {exc}. The run is as it was (a team member may have moved it first).")
        return
    except StoreError as exc:
        st.error(f"Not saved: {exc}.")
        return
    if "result" in out:
        _finish(attempt, out["run_key"], out["result"], out["actions"])
    st.rerun()


@st.fragment(run_every=WATCH_S)
def _watch(attempt_id: int, revision: int, team_id: int | None) -> None:
    """Redraw the page when a team member moves the run or the facilitator's inject is due."""
    store = state.store()
    if store.attempt(attempt_id)["revision"] != revision or (team_id and store.due_injects(team_id)):
        st.rerun()


def messages(team_id: int) -> None:
    for m in state.store().team_messages(team_id):
        effect = f" It put event {m['event_id']} into your run." if m["event_id"] else ""
        st.info(f"**{m['channel'].capitalize()}**, day {m['day']:.0f} of your run: {m['message']}{effect}",
                icon=":material/campaign:")


@st.cache_resource(show_spinner=False, max_entries=64)
def _partial_timeline(key: str, _partial: dict):
    """The timeline so far of a step-mode run, built once for every team member who views that point of the run
    (``key``: the run and its actions so far, which fix it; the timeline itself is not hashed)."""
    from sandbox.report import timeline_figure

    return timeline_figure(_partial, height=900)


def step_panel(attempt: dict) -> None:
    with st.spinner("Restoring your run…"):
        s = step_state(attempt)
    team = state.store().team_of_attempt(attempt["id"])
    _watch(attempt["id"], state.store().attempt(attempt["id"])["revision"], team["id"] if team else None)
    if team:
        messages(team["id"])
    day, days = s["state"]["day"], ui.scenario(attempt["scenario_id"]).scenario.timeline.days
    st.metric("Simulated day", f"{day:.0f} of {days}")
    pending = s["state"]["pending"]
    if pending:
        for inc in pending:
            st.warning(f"**Incident {inc['id']}: {inc['title']}** — detected on day {inc['detected_day']:.0f}"
                       f" by {inc['detected_by']}. How do you respond?")
            with st.form(f"respond-{inc['id']}"):
                choice = st.radio("Response", inc["responses"], key=f"r.{inc['id']}",
                                  format_func=lambda r: f"{r.replace('_', ' ')} — {RESPONSE_HELP.get(r, '')}")
                if st.form_submit_button("Respond", type="primary"):
                    step(attempt, {"op": "respond", "incident": inc["id"], "action": choice})
    week, month, end = st.columns(3)
    if week.button("Advance a week", disabled=bool(pending), width="stretch"):
        step(attempt, {"op": "advance", "days": 7})
    if month.button("Advance a month", disabled=bool(pending), width="stretch"):
        step(attempt, {"op": "advance", "days": 30})
    if end.button("Run to the next stop", disabled=bool(pending), width="stretch"):
        step(attempt, {"op": "advance", "days": days})
    timeline = s["state"]["timeline"]
    if timeline:
        from sandbox.service import run_key

        partial = {"timeline": timeline, "events": s["state"]["events"], "alerts": s["state"]["alerts"]}
        key = run_key(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"], s["actions"])
        st.plotly_chart(_partial_timeline(key, partial), width="stretch")
        last = timeline[-1]
        st.caption(f"In words: up to day {last['day']}, {sum(r['harms'] for r in timeline):,} harmful decisions, "
                   f"{len(s['state']['alerts'])} alerts; today's backlog {last['backlog']:,} cases.")
