"""One lifecycle phase: the evidence to decide on, the decisions in a form, the lesson beside them."""

from __future__ import annotations

import streamlit as st

from sandbox.app import evidence, pages, state, ui
from sandbox.app.state import PHASE_TITLES
from sandbox.reports.inert import markdown as md
from sandbox.spec.costs import budget_words, setup_words

NEXT = {**{p: pages.PHASE[q] for p, q in zip(list(PHASE_TITLES), list(PHASE_TITLES)[1:], strict=False)},
        "governance": pages.PLAY}


def phase_page(phase: str) -> None:
    attempt, loaded = ui.attempt_page(PHASE_TITLES[phase])
    _pushed(phase, attempt)
    main, side = st.columns([3, 2], gap="large")
    with side:
        ui.lesson_panel(phase)
    with main:
        EVIDENCE.get(phase, lambda a, s: None)(attempt, loaded)
        if phase == "problem":
            st.info(md(budget_words(loaded.scenario)), icon=":material/account_balance:")
        st.caption(md(setup_words(attempt["plan"]["decisions"], loaded.scenario)))
        _form(phase, attempt, loaded)
        label = "Next: play the year" if phase == "governance" else "Next phase"
        pages.link(NEXT[phase], label=label, icon=":material/arrow_forward:")


def _pushed(phase: str, attempt: dict) -> None:
    """Say so when the facilitator moved the team on and this phase's decisions took their defaults."""
    team = state.store().team_of_attempt(attempt["id"])
    for push in state.store().pushes(team["id"]) if team else []:
        if phase in push["defaults"]:
            st.info(f"Your facilitator moved your team on at {push['pushed_at']:%H:%M}: the decisions in this "
                    "phase took their defaults, and the debrief shows them as defaults taken. You can still "
                    "change them while the phase is open.", icon=":material/fast_forward:")


def _form(phase: str, attempt: dict, loaded) -> None:
    plan = attempt["plan"]
    drawn = _drawn_from(plan, [key for key, _ in ui.decisions_in(phase, loaded)])
    with st.form(f"decisions.{phase}"):
        st.markdown("#### Your decisions")
        answers = _impact_questions(plan, loaded, drawn) if phase == "problem" else {}
        values = {key: ui.decision_widget(key, d, plan["decisions"][key], loaded)
                  for key, d in ui.decisions_in(phase, loaded)}
        saved = st.form_submit_button("Save decisions", type="primary")
    if saved:
        changed = {k: v for k, v in values.items() if v != drawn.get(k)}
        answered = {q: v for q, v in answers.items() if v != drawn.get(f"impact.{q}")}
        if ui.save_plan(attempt, loaded, changed, answered, phase):
            for key in [*values, *(f"impact.{q}" for q in answers)]:  # drawn again from the saved plan, which
                drawn.pop(key, None)  # holds what team members saved meanwhile
                st.session_state.pop(f"w.{key}", None)
            state.flash(f"{PHASE_TITLES[phase]}: decisions saved.")
            st.rerun()


def _drawn_from(plan: dict, keys: list[str]) -> dict:
    """The saved values this page's inputs were drawn from. An input keeps its value from rerun to rerun, so
    it shows the plan as it was when the input first appeared; a save sends only what the learner changed
    from that, and so never undoes what a team member saved in the meantime."""
    drawn = st.session_state.setdefault(state.DRAWN_FROM, {})
    for key in keys:
        if f"w.{key}" not in st.session_state:
            drawn[key] = plan["decisions"][key]
    return drawn


def _impact_questions(plan: dict, loaded, drawn: dict) -> dict[str, str]:
    questions = loaded.scenario.impact_questions
    if not questions:
        return {}
    st.markdown("**Algorithmic impact assessment** (answered only if you carry one out; the answers set the "
                "impact level and the obligations that come with it)")
    answers = {}
    for q in questions:
        options = list(q.points)
        current = plan.get("impact_answers", {}).get(q.id, options[0])
        if f"w.impact.{q.id}" not in st.session_state:
            drawn[f"impact.{q.id}"] = current
        answers[q.id] = st.radio(q.question, options, index=options.index(current) if current in options else 0,
                                 key=f"w.impact.{q.id}", horizontal=True)
    return answers


EVIDENCE = {
    "problem": evidence.briefing,
    "data": evidence.data_explorer,
    "evaluation": evidence.model_evaluation,
    "deployment": evidence.configuration,
    "monitoring": evidence.configuration,
}
