"""Results and feedback for the current attempt; retry with changed decisions."""

import streamlit as st

from sandbox.app import play, results, state, ui

attempt = ui.require_attempt()
loaded = ui.scenario(attempt["scenario_id"])
st.title("Results and feedback")
st.caption(f"{loaded.scenario.title} · {attempt['difficulty']} · seed {attempt['seed']}")
state.show_flash()
results.show(attempt)
st.markdown("#### Try again")
st.markdown("Change some decisions and play the same year again (same seed, same events), then compare.")
why = play.refused(attempt)
if why:
    st.info(why, icon=":material/lock:")
if st.button("Retry with a copy of these decisions", icon=":material/replay:", disabled=bool(why)):
    if play.refused(attempt):
        st.error(f"{play.refused(attempt)} No copy was made.")
        st.stop()
    me = state.learner()
    new_id = state.store().new_attempt(me["id"], attempt["scenario_id"], attempt["difficulty"], attempt["seed"],
                                       attempt["plan"], "problem")
    state.choose_attempt(new_id)
    state.flash(f"Attempt #{new_id} is a copy of #{attempt['id']}: change what you like, then play again.")
    state.go("views/phase_problem.py")
