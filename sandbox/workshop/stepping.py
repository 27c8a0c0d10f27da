"""Moving a saved step-mode run, away from any screen: one learner's, or a team's that several members
move at once and the facilitator's injects reach.

Each move reads the attempt, replays its actions (plus the injects now due to its team, at the team's
current day) and the move, and writes the new actions over the revision it read. When a team member moved
the run in between, the write is refused and the move is made again on the newer run, so no one's move is
lost. A move that no longer makes sense on the newer run (answering an incident a team member has already
answered) is refused with the reason.
"""

from __future__ import annotations

from sandbox.workshop import WorkshopError

MOVE_TRIES = 20


def actions_of(attempt: dict) -> list:
    return (attempt["snapshot"] or {}).get("actions", [])


STATUS_KPIS = ("harms", "incidents", "incidents_open", "fairness_gap", "availability", "backlog_end")


def status(state: dict) -> dict:
    """Where a step-mode run stands, kept with its actions so the facilitator's monitor can show it without
    replaying the run: the simulated day, incidents waiting for an answer, and the key figures so far."""
    return {"day": state["day"], "finished": state["finished"], "pending": len(state["pending"]),
            **{k: state["kpis"].get(k) for k in STATUS_KPIS}}


def _inject_op(inject: dict) -> dict | None:
    effect = inject["effect"]
    return None if effect is None else {"op": "inject", "kind": effect["kind"], "params": effect["params"]}


def move(store, runner, attempt_id: int, action: dict) -> dict:
    """Apply ``action`` (``{"op": "state"}`` only reads, unless injects are due) to the attempt's step-mode
    run and save it; returns the runner's answer with ``delivered`` (the injects that reached the run)."""
    from sandbox.workshop.facilitation import refusal

    for _ in range(MOVE_TRIES):
        attempt = store.attempt(attempt_id)
        why = refusal(store, attempt) if action["op"] != "state" else None
        if why:  # the facilitator's lock covers step moves (a read still takes the injects due)
            raise WorkshopError(why)
        team = store.team_of_attempt(attempt_id)
        due = store.due_injects(team["id"]) if team else []
        ops = [op for i in due if (op := _inject_op(i)) is not None]
        if not due and action["op"] == "state":  # a message-only inject is delivered by this read too
            out = runner.step(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"],
                              actions_of(attempt), action)
            return {**out, "delivered": []}
        out = runner.step(attempt["scenario_id"], attempt["plan"], attempt["seed"], attempt["difficulty"],
                          actions_of(attempt), [*ops, action])
        day = out["applied"][0]["day"] if out["applied"] else 0.0
        applied = iter(out["applied"])
        delivered = []
        for inject in due:
            took = next(applied) if inject["effect"] is not None else {"day": day}
            delivered.append({"inject_id": inject["id"], "day": took["day"], "event_id": took.get("event_id")})
        phase = None if action["op"] == "state" else "play"
        snapshot = {"actions": out["actions"], "status": status(out["state"])}
        if store.swap_snapshot(attempt_id, attempt["revision"], snapshot, phase=phase,
                               team_id=team["id"] if team else None, delivered=delivered):
            return {**out, "delivered": delivered}
    raise WorkshopError("the run is moving too fast to save; try again")
