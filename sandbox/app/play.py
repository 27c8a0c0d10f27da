"""Playing the year: the whole year at once, or step by step with incidents to answer; plan uploads."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from sandbox.app import pages, state, ui
from sandbox.app.errors import guard
from sandbox.reports.inert import markdown as md
from sandbox.spec.loader import plan_file
from sandbox.spec.yamlio import MB, PLAN, LoadError, parse_yaml_text
from sandbox.workshop import Refused

WATCH_S = 5  # seconds between checks for a team member's move or a due inject
MAX_PROBLEMS_SHOWN = 20

RESPONSE_HELP = {
    "rollback": "go back to the previous model version", "retrain_now": "start retraining at once",
    "manual_processing": "send every case to caseworkers until it is fixed",
    "pause_automation": "caseworkers confirm every adverse decision for now",
    "communicate": "tell the people affected and the agency what is happening", "ignore": "do nothing",
}


def refused(attempt: dict, phases=()) -> str | None:
    """Why this attempt may not change now (the facilitator's lock, a closed phase), or None."""
    from sandbox.workshop.facilitation import refusal

    return refusal(state.store(), attempt, phases)


def upload_plan(attempt: dict, loaded) -> None:
    """A plan file changes the decisions it names, and only those, once every line of it is valid and the
    learner has seen what would change and confirmed it."""
    from sandbox.workshop.facilitation import step_run_under_way

    with st.expander("Load decisions from a plan file (YAML)"):
        why = refused(attempt) or (ui.STEP_RUN_FIXED if step_run_under_way(attempt) else None)
        if why:
            st.info(f"{why} Plan files can be loaded again then.")
            return
        file = st.file_uploader("Plan file", type=["yaml", "yml"], key="plan-upload",
                                max_upload_size=max(1, PLAN.max_bytes // MB))
        if file is None:
            return
        named = _read_plan_file(file, loaded)
        if named is None:
            return
        changes, answers = _changes(attempt["plan"], named)
        if not changes and not answers:
            st.info(f"Every decision in {md(file.name)} is what your plan has already; nothing to change.")
            return
        rows = [{"decision": k, "now": _shown(attempt["plan"]["decisions"].get(k)), "in the file": _shown(v)}
                for k, v in changes.items()]
        rows += [{"decision": f"impact: {q}", "now": attempt["plan"].get("impact_answers", {}).get(q, "—"),
                  "in the file": a} for q, a in answers.items()]
        st.markdown(f"{md(file.name)} would change {len(rows)} of your decisions; the rest stay as they are.")
        st.dataframe(rows, hide_index=True, width="stretch")
        if st.button(f"Change these {len(rows)} decisions", type="primary"):
            phases = [ui.phase_of(k, loaded) for k in changes]
            why = refused(attempt, phases)
            if why:
                st.error(f"{why} Nothing was changed.")
                return
            state.store().save_decisions(attempt["id"], changes, answers)
            state.flash(f"{len(rows)} decisions changed from {md(file.name)}.")
            st.rerun()


def _read_plan_file(file, loaded):
    """The decisions and answers a browser upload names, checked; None (and the problems shown) otherwise."""
    if file.size > PLAN.max_bytes:
        st.error(f"{md(file.name)} is larger than a plan file may be ({PLAN.max_bytes // MB} MB). Nothing was changed.")
        return None
    try:
        doc = parse_yaml_text(Path(file.name), file.getvalue().decode("utf-8"), limits=PLAN)
        return plan_file(doc, loaded.scenario)
    except UnicodeDecodeError:
        st.error(f"{md(file.name)}: not a text file. Nothing was changed; your saved decisions are kept.")
    except LoadError as exc:
        shown = exc.problems[:MAX_PROBLEMS_SHOWN]
        more = len(exc.problems) - len(shown)
        st.error("This plan file has problems; nothing was changed and your saved decisions are kept:\n\n"
                 + "\n".join(f"- {md(p)}" for p in shown) + (f"\n- and {more} more" if more > 0 else ""))
    return None


def _changes(plan: dict, named) -> tuple[dict, dict]:
    saved, answered = plan["decisions"], plan.get("impact_answers", {})
    return ({k: v for k, v in named.decisions.items() if saved.get(k) != v},
            {q: a for q, a in named.impact_answers.items() if answered.get(q) != a})


def _shown(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "none"
    return "—" if value is None else str(value)


def run_batch(attempt: dict) -> None:
    why = refused(attempt)
    if why:
        st.error(f"{why} The year was not run.")
        return
    bar = st.progress(0.0, text="Simulating the year…")
    days = ui.scenario(attempt["scenario_id"]).scenario.timeline.days
    key, result = state.runner().run(attempt["scenario_id"], attempt["plan"], attempt["seed"],
                                     attempt["difficulty"],
                                     on_progress=lambda s: bar.progress(min(s, 1.0),
                                                                        text=f"Day {s * days:.0f} of {days}"))
    bar.progress(1.0, text="Done")
    _finish(attempt, key, result)


def _finish(attempt: dict, key: str, result: dict, actions: list | None = None) -> None:
    """Save the outcome (a step-mode run keeps its actions: they are part of what happened)."""
    state.store().update_attempt(attempt["id"], run_key=key, score_total=result["score"]["total"], phase="results",
                                 snapshot={"actions": actions} if actions else None)
    state.flash(f"The year is over. Score {result['score']['total']:.1f} / 100.")
    state.go(pages.RESULTS)


def step_state(attempt: dict) -> dict:
    """The step-mode run as saved (replayed from its actions after a reload), with the facilitator's injects
    that are now due to the team put in at the team's current day."""
    from sandbox.workshop.stepping import move

    return move(state.store(), state.runner(), attempt["id"], {"op": "state"})


def step(attempt: dict, action: dict) -> None:
    from sandbox.engine import SimulationError
    from sandbox.workshop.stepping import move

    why = refused(attempt)
    if why:
        st.error(f"{why} The run is as it was.")
        return
    try:
        out = move(state.store(), state.runner(), attempt["id"], action)
    except SimulationError as exc:
        st.error(f"That cannot be done: {exc}. The run is as it was (a team member may have moved it first).")
        return
    except Refused as exc:  # the store's or the workshop's rules (a lock)
        st.error(f"Not saved: {md(exc)}")
        return
    if "result" in out:
        _finish(attempt, out["run_key"], out["result"], out["actions"])
    st.rerun()


@st.fragment(run_every=WATCH_S)
@guard
def _watch(attempt_id: int, revision: int, team_id: int | None) -> None:
    """Redraw the page when a team member moves the run or the facilitator's inject is due."""
    store = state.store()
    if store.attempt(attempt_id)["revision"] != revision or (team_id and store.due_injects(team_id)):
        st.rerun()


def messages(team_id: int) -> None:
    for m in state.store().team_messages(team_id):
        effect = f" It put event {m['event_id']} into your run." if m["event_id"] else ""
        st.info(f"**{md(m['channel'].capitalize())}**, day {m['day']:.0f} of your run: {md(m['message'])}{effect}",
                icon=":material/campaign:")


@st.cache_resource(show_spinner=False, max_entries=64)
def _partial_timeline(key: str, _partial: dict):
    """The timeline so far of a step-mode run, built once for every team member who views that point of the run
    (``key``: the run and its actions so far, which fix it; the timeline itself is not hashed)."""
    from sandbox.reports.run import timeline_figure

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
    why = refused(attempt)
    if why:
        st.info(why, icon=":material/lock:")
    pending = s["state"]["pending"]
    if pending:
        for inc in pending:
            st.warning(f"**Incident {inc['id']}: {md(inc['title'])}** — detected on day {inc['detected_day']:.0f}"
                       f" by {md(inc['detected_by'])}. How do you respond?")
            with st.form(f"respond-{inc['id']}"):
                choice = st.radio("Response", inc["responses"], key=f"r.{inc['id']}",
                                  format_func=lambda r: f"{r.replace('_', ' ')} — {RESPONSE_HELP.get(r, '')}")
                if st.form_submit_button("Respond", type="primary", disabled=bool(why)):
                    step(attempt, {"op": "respond", "incident": inc["id"], "action": choice})
    week, month, end = st.columns(3)
    still = bool(pending or why)
    if week.button("Advance a week", disabled=still, width="stretch"):
        step(attempt, {"op": "advance", "days": 7})
    if month.button("Advance a month", disabled=still, width="stretch"):
        step(attempt, {"op": "advance", "days": 30})
    if end.button("Run to the next stop", disabled=still, width="stretch"):
        step(attempt, {"op": "advance", "days": days})
    timeline = s["state"]["timeline"]
    if timeline:
        from sandbox.runs.service import run_key

        sc = ui.scenario(attempt["scenario_id"]).scenario
        partial = {"timeline": timeline, "events": s["state"]["events"], "alerts": s["state"]["alerts"],
                   "scenario": {"task": sc.task.type, "fairness_metric": sc.policy.fairness.metric}}
        key = run_key(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"], s["actions"])
        st.plotly_chart(_partial_timeline(key, partial), width="stretch")
        last = timeline[-1]
        st.caption(f"In words: up to day {last['day']}, {sum(r['harms'] for r in timeline):,} harmful decisions, "
                   f"{len(s['state']['alerts'])} alerts; today's backlog {last['backlog']:,} cases.")


def page() -> None:
    """Play the year: the whole year at once, or step by step."""
    attempt, loaded = ui.attempt_page("Play the year")
    upload_plan(attempt, loaded)
    in_step = bool(attempt["snapshot"])
    mode = st.radio("How to play", ["The whole year at once", "Step by step"], index=1 if in_step else 0,
                    horizontal=True, key="play-mode")
    if mode == "Step by step":
        st.markdown("Advance a week or a month at a time. The run stops when an incident is detected, and you "
                    "choose the response.")
        step_panel(attempt)
        return
    st.markdown("Your decisions run for the whole simulated year; incidents get the responses your plan implies.")
    why = refused(attempt)
    if why:
        st.info(why, icon=":material/lock:")
    elif in_step and attempt["phase"] == "play":
        st.warning("Running the whole year replaces the step-by-step run under way (its moves and responses).")
    state.runner().prefetch(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"])
    if st.button("Run the year", type="primary", icon=":material/play_arrow:", disabled=bool(why)):
        run_batch(attempt)
