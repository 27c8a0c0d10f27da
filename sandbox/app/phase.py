"""One lifecycle phase: the evidence to decide on, the decisions in a form, the lesson beside them."""

from __future__ import annotations

import streamlit as st

from sandbox.app import evidence, state, ui
from sandbox.app.state import PHASE_TITLES

NEXT = {**{p: f"views/phase_{q}.py" for p, q in zip(list(PHASE_TITLES), list(PHASE_TITLES)[1:], strict=False)},
        "governance": "views/play.py"}


def phase_page(phase: str) -> None:
    attempt = ui.require_attempt()
    loaded = ui.scenario(attempt["scenario_id"])
    st.title(PHASE_TITLES[phase])
    st.caption(f"{loaded.scenario.title} · {attempt['difficulty']} · seed {attempt['seed']}")
    state.show_flash()
    main, side = st.columns([3, 2], gap="large")
    with side:
        ui.lesson_panel(phase)
    with main:
        EVIDENCE.get(phase, lambda a, s: None)(attempt, loaded)
        _form(phase, attempt, loaded)
        label = "Next: play the year" if phase == "governance" else "Next phase"
        st.page_link(NEXT[phase], label=label, icon=":material/arrow_forward:")


def _form(phase: str, attempt: dict, loaded) -> None:
    plan = attempt["plan"]
    with st.form(f"decisions.{phase}"):
        st.markdown("#### Your decisions")
        answers = _impact_questions(plan, loaded) if phase == "problem" else {}
        values = {key: ui.decision_widget(key, d, plan["decisions"][key], loaded)
                  for key, d in ui.decisions_in(phase, loaded)}
        saved = st.form_submit_button("Save decisions", type="primary")
    if saved:
        new = {**plan, "decisions": {**plan["decisions"], **values},
               "impact_answers": {**plan.get("impact_answers", {}), **answers}}
        if ui.save_plan(attempt, loaded, new, phase):
            state.flash(f"{PHASE_TITLES[phase]}: decisions saved.")
            st.rerun()


def _impact_questions(plan: dict, loaded) -> dict[str, str]:
    questions = loaded.scenario.impact_questions
    if not questions:
        return {}
    st.markdown("**Algorithmic impact assessment** (answered only if you carry one out; the answers set the "
                "impact level and the obligations that come with it)")
    answers = {}
    for q in questions:
        options = list(q.points)
        current = plan.get("impact_answers", {}).get(q.id, options[0])
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
