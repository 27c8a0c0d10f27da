"""Widgets the views share: the decision forms, the lesson beside a phase, key figures, the score."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from sandbox.app import pages, state
from sandbox.reports.inert import markdown as md
from sandbox.spec.costs import cost_words
from sandbox.spec.decisions import applies_words, in_phase, options
from sandbox.spec.loader import LESSONS_DIR, LoadedScenario, load_plan, load_scenario, plan_from_dict
from sandbox.spec.yamlio import LoadError


@st.cache_resource(show_spinner=False)
def scenario(scenario_id: str) -> LoadedScenario:
    return load_scenario(scenario_id)


@st.cache_resource(show_spinner=False)
def rubric(scenario_id: str):
    """The scenario's rubric (the core's and its own), read once per process."""
    from sandbox.scoring import rubric_for

    return rubric_for(scenario(scenario_id))


@st.cache_resource(show_spinner=False)
def defaults(scenario_id: str) -> dict:
    """The scenario's default decisions (the starting plan's)."""
    return dict(load_plan(scenario(scenario_id), None).decisions)


@st.cache_resource(show_spinner=False)
def course():
    from sandbox.spec.lessons import load_course

    return load_course(LESSONS_DIR)


def require_attempt() -> dict:
    """The current attempt, or a pointer to the start page (and the page stops). Its plan is read as this
    version knows plans: a decision added since the attempt was saved takes its default."""
    from sandbox.spec.loader import saved_plan

    found = state.attempt()
    if found is None:
        st.info("Start or resume an attempt first.")
        pages.link(pages.START, label="Go to the start page", icon=":material/play_arrow:")
        st.stop()
    return {**found, "plan": saved_plan(found["plan"], scenario(found["scenario_id"]).scenario)}


def attempt_page(title: str) -> tuple[dict, LoadedScenario]:
    """The top of a page about the current attempt: its title, the attempt's scenario, difficulty and seed, and
    a message left for this page; the attempt and its scenario (or a pointer to the start page, and the page
    stops)."""
    attempt = require_attempt()
    loaded = scenario(attempt["scenario_id"])
    st.title(title)
    st.caption(f"{loaded.scenario.title} · {attempt['difficulty']} · seed {attempt['seed']}")
    state.show_flash()
    return attempt, loaded


def lesson_panel(phase: str) -> None:
    lessons = [le for le in course().lessons.values() if le.meta.phase == phase]
    if not lessons:
        return
    le = lessons[0]
    st.markdown(f"#### Lesson: {le.meta.title}")
    st.markdown(f"*{le.meta.minutes} minutes.* {le.meta.recap}")
    with st.expander("Read the lesson"):
        st.markdown(_without_first_heading(le.body))


def _without_first_heading(body: str) -> str:
    lines = body.strip().splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("# ") else lines)


def decisions_in(phase: str, loaded: LoadedScenario) -> list[tuple[str, Any]]:
    """(id, decision) for the phase: the catalogue's, then the scenario's own."""
    return in_phase(phase, loaded.scenario)


def phase_of(key: str, loaded: LoadedScenario) -> str:
    """The lifecycle phase a decision belongs to (the catalogue's, or the scenario's own)."""
    from sandbox.spec.decisions import BY_ID

    own = loaded.scenario.decisions.get(key)
    return own.phase if own is not None else BY_ID[key].phase


def decision_widget(key: str, d: Any, value: Any, loaded: LoadedScenario) -> Any:
    """The decision's input, with what each choice costs and buys written under it."""
    if not hasattr(d, "kind"):  # a scenario's own decision: choices with descriptions
        choices = list(d.choices)
        return st.radio(d.question, choices, index=choices.index(value), key=f"w.{key}",
                        format_func=lambda c: f"{c} — {d.choices[c].description}")
    chosen = _input(key, d, value, loaded)
    if d.help:
        st.caption(d.help + (" " + applies_words(key) if applies_words(key) else ""))
    cost = cost_words(key, loaded.scenario)
    if cost:
        st.caption(cost)
    return chosen


def _input(key: str, d: Any, value: Any, loaded: LoadedScenario) -> Any:
    if d.kind == "bool":
        return st.toggle(d.question, value=bool(value), key=f"w.{key}")
    if d.kind == "number":
        whole = isinstance(d.default, int)
        cast = int if whole else float
        return st.number_input(d.question, min_value=cast(d.low), max_value=cast(d.high), value=cast(value),
                               step=cast(1 if whole else 0.01), key=f"w.{key}")
    if d.kind == "subset":
        sources = list(d.choices or ("primary", *loaded.scenario.source_ids()))
        return st.multiselect(d.question, sources, default=[v for v in value if v in sources], key=f"w.{key}")
    offered = list(options(d, loaded.scenario.task.type))  # those that fit the scenario's task
    return st.selectbox(d.question, offered, index=offered.index(value) if value in offered else 0,
                        key=f"w.{key}")


def save_plan(attempt: dict, loaded: LoadedScenario, changed: dict, answered: dict, phase: str) -> bool:
    """Validate the saved plan with these changes, then save only the changes (merged into the plan as it is
    saved now: a team member may have saved other decisions since this page was drawn). On a problem, say
    what and where, and keep the saved plan as it was."""
    from sandbox.workshop.facilitation import refusal, step_run_under_way

    refused = refusal(state.store(), attempt, [phase])
    if refused is None and step_run_under_way(attempt):
        refused = STEP_RUN_FIXED
    if refused:
        st.error(f"{refused} Your choices were not saved.")
        return False
    plan = attempt["plan"]
    merged = {**plan, "decisions": {**plan["decisions"], **changed},
              "impact_answers": {**plan.get("impact_answers", {}), **answered}}
    try:
        plan_from_dict(merged, loaded.scenario, source="your decisions")
    except LoadError as exc:
        for p in exc.problems:
            st.error(md(f"{p.field}: {p.message}"))
        return False
    state.store().save_decisions(attempt["id"], changed, answered, phase=phase)
    return True


STEP_RUN_FIXED = ("Your step-by-step run is under way with the decisions it started with, so they cannot change "
                  "until it ends. To try other decisions, finish the year and use Retry on the results page.")


def key_figures(result: dict) -> pd.DataFrame:
    from sandbox.spec.labels import kpi_labels

    k = result["kpis"]
    rows = []
    for key, label, fmt in kpi_labels(result["scenario"].get("task", "classification")):
        value = k.get(key)
        rows.append({"figure": label.format(**k), "value": "n/a" if value is None else fmt.format(value)})
    return pd.DataFrame(rows)


def lesson_link(link: str) -> None:
    """A rubric's 'lessons/<file>.md#<anchor>' as a link to the phase page that carries that lesson."""
    name, _, anchor = link.removeprefix("lessons/").partition("#")
    lesson = course().lessons.get(name)
    if lesson is None:
        st.caption(f"Lesson: {link}")
        return
    section = next((title for _, title, a in lesson.sections if a == anchor), None)
    label = f"Lesson: {lesson.meta.title}" + (f" › {section}" if section else "")
    if lesson.meta.phase:
        pages.link(pages.PHASE[lesson.meta.phase], label=label, icon=":material/school:")
    else:
        st.caption(label)


def score_panel(score: dict) -> None:
    st.metric("Score", f"{score['total']:.1f} / 100", help="Decisions judged on what was knowable at the time (at "
              "most 35 points); outcomes judged against the agency's policy and budget and the service it would "
              "have had without a model in the same year.")
    st.markdown(f"**Readiness** (ML Test Score): {score['band']}")
    st.markdown("#### Three most valuable improvements")
    for imp in score.get("improvements", []):
        gain = f" (+{imp['points_to_gain']:g} points)" if imp["points_to_gain"] > 0 else ""
        st.markdown(f"**{imp['title']}**{gain}: {imp['advice']}")
        lesson_link(imp["lesson"])
    with st.expander("Every criterion, with its feedback"):
        rows = [{"criterion": c["title"], "points": f"{c['points']:g} / {c['max_points']:g}",
                 "feedback": c["feedback"], "lesson": c["lesson"]} for c in score["criteria"]]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
