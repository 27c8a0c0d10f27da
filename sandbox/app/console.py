"""The facilitator's console (``page``): its sign-in, and its tabs: people and teams (with the live monitor),
pacing, the inject console (send now or later, to every team or some, or import an events list from CSV;
facilitator notes against events), the polls and quizzes, the debrief (with peer review), and the exports
(scores CSV, full JSON, the HTML debrief report). Each tab draws one workshop."""

from __future__ import annotations

from datetime import UTC

import pandas as pd
import streamlit as st

from sandbox.app import debrief, live, peer, state, ui
from sandbox.app.errors import guard
from sandbox.app.state import PHASE_TITLES
from sandbox.reports import exports
from sandbox.reports.inert import markdown as md
from sandbox.spec.lessons import PHASES
from sandbox.spec.loader import LESSONS_DIR, SCENARIOS_DIR
from sandbox.store.common import StoreError, now
from sandbox.store.live import in_minutes
from sandbox.workshop import PASSPHRASE_MIN, TEAM_SIZE_MAX, Refused, blocks, facilitation, show_code
from sandbox.workshop import injects as inj

LIST_REFRESH_S = 5
OBSERVERS = "observers"  # the "move someone to" choice that names a member an observer
TEMPLATE = ("offset,target teams,channel,message,expected action,simulation effect\n"
            "0,all,email,\"The service desk reports that no claims have been decided since this morning.\","
            "\"Notice the outage, switch to manual processing, tell claimants about delays.\",serving_crash\n"
            "20,Team 1;Team 2,phone,\"A journalist asks whether the model treats older claimants differently.\","
            "\"Check the fairness report before answering; involve communications.\",bias_complaint\n")


@st.fragment(run_every=live.MONITOR_REFRESH_S)
@guard
def _monitor(workshop_id: int) -> None:
    """Every team's progress and the waiting room, redrawn every few seconds without reloading the page."""
    store = state.store()
    waiting = [p for p in store.members(workshop_id) if p["team_id"] is None]
    st.markdown(f"**Waiting room ({len(waiting)})**: " + (", ".join(f"{md(p['name'])} ({p['role']})" for p in waiting)
                                                        or "nobody"))
    live.teams_table(store.workshop_by_id(workshop_id))


def people_tab(workshop: dict) -> None:
    store, workshop_id = state.store(), workshop["id"]
    _monitor(workshop_id)
    if st.button(f"Form teams of {workshop['team_size']} from the waiting room", type="primary"):
        formed = store.form_teams(workshop_id)
        state.flash(f"{len(formed)} teams now.")
        st.rerun()
    members = store.members(workshop_id)
    teams = store.teams(workshop_id)
    if members:
        with st.form("place"):
            who = st.selectbox("Move someone", members, format_func=lambda p: f"{p['name']} ({p['role']})")
            options = [None, *[t["id"] for t in teams], OBSERVERS]
            names = {None: "the waiting room", **{t["id"]: t["name"] for t in teams},
                     OBSERVERS: "the observers (they watch every team and write notes for you)"}
            where = st.selectbox("to", options, format_func=names.get)
            if st.form_submit_button("Move"):
                if where == OBSERVERS:
                    store.set_role(workshop_id, who["learner_id"], "observer")
                elif who["role"] == "observer" and where is None:
                    store.set_role(workshop_id, who["learner_id"], "learner")
                else:
                    store.place(workshop_id, who["learner_id"], where)
                state.flash(f"{md(who['name'])} moved to {md(names[where])}.")
                st.rerun()
    if st.button("Add an empty team"):
        store.add_team(workshop_id)
        st.rerun()
    if teams:
        with st.form("push"):
            stuck = st.selectbox("Move a stuck team on", teams, format_func=lambda t: t["name"],
                                 help="The decisions in the open phases the team has not reached take their "
                                      "defaults; the team and the debrief see them as defaults taken.")
            if st.form_submit_button("Move the team on"):
                try:
                    taken = facilitation.push_on(store, store.workshop_by_id(workshop_id), stuck)
                except Refused as exc:
                    st.error(f"Not moved: {md(exc)}.")
                else:
                    last = PHASE_TITLES[list(taken)[-1]]
                    state.flash(f"{md(stuck['name'])} moved on to {last}: "
                                f"{sum(map(len, taken.values()))} decisions took their defaults.")
                    st.rerun()


def pacing_tab(workshop: dict) -> None:
    plan = pd.DataFrame([{"block": b.name, "starts at minute": b.start_minute, "minutes": b.minutes,
                          "activity": b.title} for b in blocks(LESSONS_DIR / "facilitator-guide.md")])
    st.dataframe(plan, hide_index=True, width="stretch")
    with st.form("pacing"):
        opened = st.multiselect("Phases open to teams", list(PHASES), default=workshop["open_phases"],
                                format_func=PHASE_TITLES.get)
        locked = st.toggle("Lock decisions (teams can look but not save)", value=workshop["locked"])
        debrief = st.toggle("Open the debrief (teams may look at each other's work)", value=workshop["debrief_open"])
        if st.form_submit_button("Apply", type="primary"):
            state.store().set_workshop(workshop["id"], open_phases=opened, locked=locked, debrief_open=debrief)
            state.flash("Pacing saved: every team sees it on its next action.")
            st.rerun()


def exports_tab(workshop: dict) -> None:
    store, code = state.store(), workshop["code"]
    st.markdown("**Scores for a gradebook**: one row per learner with the team, the score, the team's peer-review "
                "total and every criterion's points.")
    st.download_button("Download the scores (CSV)", exports.export(store, code, "csv"),
                       file_name=f"workshop-{code}-scores.csv", mime="text/csv")
    st.markdown("**Everything** about the workshop, for your records or another tool.")
    st.download_button("Download everything (JSON)", exports.export(store, code, "json"),
                       file_name=f"workshop-{code}.json", mime="application/json")
    st.markdown("**The debrief report**: one HTML file that opens in any browser without a network: the teams' "
                "years with a text alternative for every chart, outcomes, peer review, polls and quizzes, "
                "injects. Yours adds your notes, the expected actions and every reflection; the learners' leaves "
                "them out.")
    left, right = st.columns(2)
    if left.button("Prepare the reports", help="Draws every chart; takes a few seconds."):
        with st.spinner("Drawing the debrief report…"):
            st.session_state[f"reports-{code}"] = {a: exports.export(store, code, "html", a)
                                                   for a in ("facilitator", "learners")}
    ready = st.session_state.get(f"reports-{code}")
    if ready:
        left.download_button("Your report (HTML)", ready["facilitator"], file_name=f"debrief-{code}-facilitator.html",
                             mime="text/html", type="primary")
        right.download_button("The learners' report (HTML)", ready["learners"],
                              file_name=f"debrief-{code}-learners.html", mime="text/html")


def inject_tab(workshop: dict) -> None:
    store = state.store()
    loaded = ui.scenario(workshop["scenario_id"])
    teams = store.teams(workshop["id"])
    names = {t["id"]: t["name"] for t in teams}
    st.markdown("An inject reaches each team's step-mode run at **that team's own current day**, the next time "
                "the team's run page checks (every few seconds), with its message. Teams not playing yet get "
                "it when they start.")
    with st.form("inject", clear_on_submit=True):
        targets = st.multiselect("To", list(names), format_func=names.get, placeholder="Every team")
        left, right = st.columns(2)
        channel = left.selectbox("Channel", inj.CHANNELS, accept_new_options=True)
        minutes = right.number_input("Send in (minutes; 0 sends it now)", 0.0, 24 * 60.0, 0.0, step=5.0)
        message = st.text_area("Message the teams read", max_chars=inj.MAX_TEXT)
        expected = st.text_area("Expected action (only you see this; for the after-action review)",
                                max_chars=inj.MAX_TEXT)
        effect_text = st.selectbox("Simulation effect", inj.presets(loaded.scenario), accept_new_options=True,
                                   help="An event put into each team's run, written 'kind key=value …' "
                                        "(e.g. 'legacy_outage source=claims_portal duration_days=3'), or none "
                                        "for a message only.")
        sent = st.form_submit_button("Send the inject", type="primary")
    if sent:
        try:
            inj.check_inject(channel or "", message, expected)
            effect = inj.parse_effect(effect_text or "", loaded.scenario)
            store.add_inject(workshop["id"], channel, message, expected, effect, targets or None,
                             in_minutes(minutes))
        except inj.InjectError as exc:
            st.error("Not sent:\n\n" + "\n".join(f"- {md(p)}" for p in exc.problems))
        except (ValueError, StoreError) as exc:
            st.error(f"Not sent: {md(exc)}")
        else:
            state.flash("Inject sent." if minutes == 0 else f"Inject scheduled in {minutes:g} minutes.")
            st.rerun()
    _import(workshop, loaded, teams)
    _inject_list(workshop["id"])
    _notes(workshop["id"], names)


def _import(workshop: dict, loaded, teams: list[dict]) -> None:
    with st.expander("Import an events list (CSV)"):
        st.markdown(f"Columns: {', '.join(f'`{c}`' for c in inj.COLUMNS)}. The offset is minutes after the import "
                    "(or hours:minutes); target teams are `all` or names separated by `;`.")
        st.download_button("Download a template", TEMPLATE, file_name="injects-template.csv", mime="text/csv")
        file = st.file_uploader("Events list", type=["csv"], key="inject-csv", max_upload_size=1)
        if file is None:
            return
        try:
            found = inj.read_events_csv(file.name, file.getvalue().decode("utf-8"), loaded.scenario,
                                        [t["name"] for t in teams])
        except UnicodeDecodeError:
            st.error(f"{md(file.name)}: not a UTF-8 text file; nothing was imported.")
            return
        except inj.InjectError as exc:
            st.error("Nothing was imported; the list has problems:\n\n" + "\n".join(f"- {md(p)}" for p in exc.problems))
            return
        st.dataframe(pd.DataFrame([{"in (minutes)": i.offset_min, "to": "; ".join(i.targets or ["every team"]),
                                    "channel": i.channel, "message": i.message,
                                    "effect": inj.describe_effect(i.effect)} for i in found]),
                     hide_index=True, width="stretch")
        if st.button(f"Schedule these {len(found)} injects", type="primary"):
            start, by_name = now(), {t["name"]: t["id"] for t in teams}
            for i in found:
                state.store().add_inject(workshop["id"], i.channel, i.message, i.expected_action, i.effect,
                                         [by_name[n] for n in i.targets] if i.targets else None,
                                         in_minutes(i.offset_min, start))
            state.flash(f"{len(found)} injects scheduled from {md(file.name)}.")
            st.rerun()


@st.fragment(run_every=LIST_REFRESH_S)
@guard
def _inject_list(workshop_id: int) -> None:
    """Every inject with where it has reached: the day of each team's run it struck on."""
    store = state.store()
    names = {t["id"]: t["name"] for t in store.teams(workshop_id)}
    rows, moment = [], now()
    for i in store.injects(workshop_id):
        due = i["due_at"] if i["due_at"].tzinfo else i["due_at"].replace(tzinfo=UTC)
        wanted = i["targets"] if i["targets"] is not None else list(names)
        reached = [f"{names.get(t, t)}: day {d['day']:.0f}" for t, d in i["deliveries"].items()]
        waiting = [names.get(t, str(t)) for t in wanted if t not in i["deliveries"]]
        when = "due" if due <= moment else f"in {(due - moment).total_seconds() / 60:.0f} min"
        rows.append({"#": i["id"], "when": when, "channel": i["channel"], "message": i["message"],
                     "effect": inj.describe_effect(i["effect"]), "reached": "; ".join(reached) or "—",
                     "not yet": ", ".join(waiting) or "—", "expected action": i["expected_action"]})
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption("No injects yet.")


def _notes(workshop_id: int, names: dict) -> None:
    store = state.store()
    sent = store.injects(workshop_id)
    with st.form("note", clear_on_submit=True):
        st.markdown("**A note for the after-action review** (stamped with the time; teams never see it)")
        about = st.selectbox("About inject", [None, *[i["id"] for i in sent]],
                             format_func=lambda i: "—" if i is None else f"#{i}")
        team = st.selectbox("About team", [None, *names], format_func=lambda t: "—" if t is None else names[t])
        text = st.text_area("Note", max_chars=4000)
        if st.form_submit_button("Save the note"):
            try:
                store.add_note(workshop_id, text, about, team)
            except StoreError as exc:
                st.error(md(exc))
            else:
                st.rerun()
    for n in reversed(store.notes(workshop_id)):
        tags = " · ".join(x for x in (f"observer {n['author']}" if n["author"] else "",
                                      f"inject #{n['inject_id']}" if n["inject_id"] else "",
                                      names.get(n["team_id"], "") if n["team_id"] else "") if x)
        st.markdown(f"- {n['created_at']:%H:%M:%S}{' · ' + md(tags) if tags else ''}: {md(n['text'])}")


def polls_tab(workshop: dict) -> None:
    store = state.store()
    course = ui.course()
    choices = {f"poll:{p.id}": f"Poll ({p.block}): {p.question}" for p in course.polls}
    choices |= {f"quiz:{q.id}": f"Quiz: {q.question}" for q in course.quizzes}
    with st.form("launch"):
        picked = st.selectbox("Poll or quiz", list(choices), format_func=choices.get)
        if st.form_submit_button("Launch for every learner", type="primary"):
            store.launch(workshop["id"], *picked.split(":", 1))
            st.rerun()
    current = store.open_activity(workshop["id"])
    if current is not None and st.button("Close it"):
        store.close_activity(workshop["id"])
        st.rerun()
    _live_results(workshop["id"])
    earlier = [a for a in store.activities(workshop["id"]) if a["closed_at"] is not None]
    if earlier:
        with st.expander(f"Earlier polls and quizzes ({len(earlier)})"):
            for a in earlier:
                live.results(a)


@st.fragment(run_every=live.CHART_REFRESH_S)
@guard
def _live_results(workshop_id: int) -> None:
    current = state.store().open_activity(workshop_id)
    if current is None:
        st.caption("Nothing is open. Launch a poll or quiz; learners see it beside whatever page they are on.")
        return
    live.results(current)


def debrief_tab(workshop: dict) -> None:
    if not workshop["debrief_open"]:
        st.caption("Learners see the debrief once you open it under Pacing; you can prepare it here first.")
    results, plans = debrief.team_runs(workshop)
    st.markdown("#### The teams' years")
    if results:
        debrief.overlay(results, "teams")
        debrief.tables(results, plans)
    else:
        st.caption("No team has finished its year yet.")
    st.markdown("#### Counterfactual replay")
    debrief.counterfactual(workshop, plans)
    with st.expander("Engage: the failed project (the naive plan's year)"):
        debrief.failed_project(workshop)
    st.markdown("#### Peer review")
    peer.aggregate(workshop)
    st.markdown("#### Reflections")
    debrief.reflections(workshop["id"])


DIFFICULTIES = ["introductory", "standard", "advanced"]
TABS = {"People and teams": people_tab, "Pacing": pacing_tab, "Injects and notes": inject_tab,
        "Polls and quizzes": polls_tab, "Debrief": debrief_tab, "Exports": exports_tab}


def page() -> None:
    """The facilitator's console: sign in with the workshop's passphrase; the people and teams, the pacing
    (the 5E blocks, phases opened, decisions locked, debrief), the injects and notes, the polls and quizzes,
    and the exports."""
    st.title("Facilitator console")
    state.show_flash()
    workshop_id = st.session_state.get(state.FACILITATOR)
    if workshop_id is None:
        _sign_in()
        return
    workshop = state.store().workshop_by_id(workshop_id)
    st.markdown(f"## {md(workshop['name'])} · join code **{show_code(workshop['code'])}**")
    st.caption(f"{ui.scenario(workshop['scenario_id']).scenario.title} · {workshop['difficulty']} · "
               f"seed {workshop['seed']} · teams of "
               f"{workshop['team_size']} · learners join at the app's address with `?join={workshop['code']}`")
    for tab, draw in zip(st.tabs(list(TABS), key=state.CONSOLE_TAB, on_change="rerun"), TABS.values(), strict=True):
        if tab.open:  # only the open tab is drawn; it stays open across reruns
            with tab:
                draw(workshop)
    if st.button("Sign out of the console"):
        del st.session_state[state.FACILITATOR]
        st.rerun()


def _sign_in() -> None:
    with st.form("facilitator-sign-in"):
        code = st.text_input("Workshop join code")
        passphrase = st.text_input("Facilitator passphrase", type="password")
        go = st.form_submit_button("Sign in", type="primary")
    if go:
        try:
            found = state.store().facilitator_sign_in(code, passphrase, client=st.context.ip_address or "localhost")
        except StoreError as exc:  # a wrong passphrase, a wait still running, an unknown code
            st.error(md(exc))
            return
        st.session_state[state.FACILITATOR] = found["id"]
        st.rerun()
    with st.expander("No workshop yet? Create one"):
        _create_form()


def _create_form() -> None:
    """A new workshop on a bundled scenario (the command line can do the same: ``sandbox workshop create``)."""
    ids = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))
    with st.form("create-workshop"):
        name = st.text_input("Workshop name", placeholder="e.g. Benefits directorate, 12 March")
        sid = st.selectbox("Scenario", ids, format_func=lambda i: ui.scenario(i).scenario.title)
        left, right = st.columns(2)
        difficulty = left.selectbox("Difficulty", DIFFICULTIES, index=1)
        size = right.number_input("Team size", 1, TEAM_SIZE_MAX, facilitation.DEFAULT_TEAM_SIZE)
        new_pass = st.text_input(f"Facilitator passphrase (at least {PASSPHRASE_MIN} characters)", type="password")
        again = st.text_input("The passphrase again", type="password")
        made = st.form_submit_button("Create the workshop")
    if not made:
        return
    if new_pass != again:
        st.error("The two passphrases differ; nothing was created.")
        return
    try:
        found = facilitation.create_workshop(state.store(), sid, name, new_pass, difficulty, int(size))
    except Refused as exc:
        st.error(f"Not created: {md(exc)}")
        return
    st.session_state[state.FACILITATOR] = found["id"]
    state.flash(f"Workshop created. Learners join with the code {show_code(found['code'])}.")
    st.rerun()
