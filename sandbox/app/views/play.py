"""Play the year: batch or step mode."""

import streamlit as st

from sandbox.app import play, state, ui

attempt = ui.require_attempt()
loaded = ui.scenario(attempt["scenario_id"])
st.title("Play the year")
st.caption(f"{loaded.scenario.title} · {attempt['difficulty']} · seed {attempt['seed']}")
state.show_flash()
play.upload_plan(attempt, loaded)
in_step = bool(attempt["snapshot"])
mode = st.radio("How to play", ["The whole year at once", "Step by step"], index=1 if in_step else 0,
                horizontal=True, key="play-mode")
if mode == "The whole year at once":
    st.markdown("Your decisions run for the whole simulated year; incidents get the responses your plan implies.")
    why = play.refused(attempt)
    if why:
        st.info(why, icon=":material/lock:")
    elif in_step and attempt["phase"] == "play":
        st.warning("Running the whole year replaces the step-by-step run under way (its moves and responses).")
    state.runner().prefetch(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"])
    if st.button("Run the year", type="primary", icon=":material/play_arrow:", disabled=bool(why)):
        play.run_batch(attempt)
else:
    st.markdown("Advance a week or a month at a time. The run stops when an incident is detected, and you "
                "choose the response.")
    play.step_panel(attempt)
