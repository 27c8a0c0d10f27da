"""Live workshop views: every team's progress (the facilitator's and observers' monitor); the question box a
workshop learner sees beside every page while the facilitator has a poll or quiz open, and the chart of the
answers for the projector.

A quiz's answer key stays on the server: a learner is sent the options' texts only, and after answering
the feedback on the option they chose."""

from __future__ import annotations

import streamlit as st

from sandbox.app import state, ui
from sandbox.app.errors import guard
from sandbox.reports.inert import markdown as md
from sandbox.store.common import StoreError
from sandbox.workshop import Question, tally
from sandbox.workshop import question as ws_question

BOX_REFRESH_S = 4
CHART_REFRESH_S = 3
MONITOR_REFRESH_S = 5
MONITOR_FORMATS = {"fairness gap": st.column_config.NumberColumn(format="%.3f"),
                   "availability": st.column_config.NumberColumn(format="percent"),
                   "day": st.column_config.NumberColumn(format="%.0f"),
                   "score": st.column_config.NumberColumn(format="%.1f")}


def teams_table(workshop: dict) -> None:
    """Every team's phase, decisions so far, simulated day, key figures and score."""
    import pandas as pd

    from sandbox.workshop.facilitation import monitor

    rows = monitor(state.store(), workshop, ui.defaults(workshop["scenario_id"]))
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config=MONITOR_FORMATS)
        st.caption("“Decided” counts the decisions in the phases a team has finished; “own choices” those of "
                   "them that differ from the starting plan. Day and figures are the team's run so far.")
    else:
        st.caption("No teams yet.")


def question(activity: dict) -> Question | None:
    """The poll or quiz an activity launched, from the lessons (None if the lessons no longer have it)."""
    return ws_question(ui.course(), activity["kind"], activity["ref"])


def _feedback(activity: dict, chosen: str) -> str:
    quiz = next(q for q in ui.course().quizzes if q.id == activity["ref"])
    return next((o.feedback for o in quiz.options if o.text == chosen), "")


@st.fragment(run_every=BOX_REFRESH_S)
@guard
def question_box(learner_id: int, workshop_id: int) -> None:
    """The open poll or quiz, for a learner to answer (it appears and goes by itself)."""
    store = state.store()
    activity = store.open_activity(workshop_id)
    if activity is None:
        return
    q = question(activity)
    if q is None:
        return
    st.markdown(f"**{'Quiz' if q.kind == 'quiz' else 'Poll'} from your facilitator**")
    mine = store.my_answer(activity["id"], learner_id)
    with st.form(f"answer-{activity['id']}", border=True):
        if q.kind in ("single_choice", "quiz"):
            value = st.radio(q.text, q.options, index=q.options.index(mine) if mine in q.options else None)
        elif q.kind == "slider":
            value = st.slider(q.text, 1, 10, int(mine) if mine else 5,
                              help=f"1: {q.low_label} · 10: {q.high_label}")
            st.caption(f"1 = {q.low_label}; 10 = {q.high_label}")
        else:
            value = st.text_area(q.text, value=mine or "", max_chars=1000)
        sent = st.form_submit_button("Send my answer" if mine is None else "Change my answer")
    if sent:
        if value in (None, ""):
            st.warning("Choose or write an answer first.")
            return
        try:
            store.answer(activity["id"], learner_id, str(value))
        except StoreError as exc:
            st.error(md(exc))
            return
        mine = str(value)
    if mine is not None:
        st.caption(f"Your answer: {md(mine)}")
        if q.kind == "quiz":
            st.info(_feedback(activity, mine))


def results(activity: dict) -> None:
    """The answers so far: a bar chart with its text alternative, or the free-text answers listed."""
    import plotly.graph_objects as go

    q = question(activity)
    if q is None:
        st.warning(f"The lessons no longer have {activity['kind']} '{activity['ref']}'.")
        return
    got = state.store().answers(activity["id"])
    st.markdown(f"### {q.text}")
    st.caption(f"{len(got)} answer{'s' if len(got) != 1 else ''}"
               + (" · open: answers arrive live" if activity["closed_at"] is None else " · closed"))
    if q.kind == "free_text":
        for a in got:
            st.markdown(f"> {md(a['value'])}")
        return
    counts = tally(q.kind, q.options, [a["value"] for a in got])
    labels = [c[0] for c in counts]
    right = q.correct if q.kind == "quiz" and st.toggle(
        "Show the correct answer", key=f"reveal-{activity['id']}",
        help="Off while learners are still answering, so the projector does not give it away.") else None
    shown = [f"✓ {label} (correct)" if label == right else label for label in labels]
    colours = ["#009E73" if label == right else "#0072B2" for label in labels]
    fig = go.Figure(go.Bar(x=[c[1] for c in counts], y=shown, orientation="h", marker_color=colours,
                           text=[c[1] for c in counts], textposition="outside"))
    fig.update_layout(height=120 + 44 * len(labels), margin={"l": 10, "r": 30, "t": 10, "b": 30},
                      yaxis={"autorange": "reversed", "type": "category"}, xaxis={"title": "answers", "dtick": 1},
                      font={"size": 18})
    st.plotly_chart(fig, width="stretch", key=f"answers-{activity['id']}")
    words = "; ".join(f"{label}: {n}" for label, n in counts)
    if right is not None:
        words += f". The correct answer is “{right}”, chosen by {dict(counts)[right]} of {len(got)}"
    if q.kind == "slider" and got:
        mean = sum(int(a["value"]) for a in got) / len(got)
        words += f". Average {mean:.1f} (1 = {q.low_label}, 10 = {q.high_label})"
    st.caption(f"In words: {words}.")
