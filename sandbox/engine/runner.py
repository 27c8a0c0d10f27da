"""Drive a simulation: run to the end, or step through it, respond and inject.

Step-mode state is event-sourced: a snapshot is the run's inputs plus the log
of what the learner did (advance, respond, inject). Restoring replays that log,
which reproduces the same state exactly because every run is deterministic.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections import OrderedDict
from typing import Any

from sandbox.data.stream import concrete
from sandbox.engine import processes
from sandbox.engine.monitors import make_reference
from sandbox.engine.operations import apply_response, default_response, go_live
from sandbox.engine.result import build_result, kpis
from sandbox.engine.training import train_version
from sandbox.engine.world import World
from sandbox.spec.decisions import RESPONSES, Plan
from sandbox.spec.loader import LoadedScenario, plan_from_dict, saved_plan
from sandbox.spec.scenario import EventSpec

SNAPSHOT_VERSION = 1


def snapshot(scenario_id: str, plan: dict, seed: int, difficulty: str, log: list) -> dict:
    """A step-mode run as its inputs and the log of what was done to it (``Simulation.restore`` replays it)."""
    return {"version": SNAPSHOT_VERSION, "scenario": scenario_id, "seed": seed, "difficulty": difficulty,
            "plan": plan, "log": list(log)}


class SimulationError(ValueError):
    """A request the simulation cannot carry out (bad response, unknown incident...)."""


def _stop_at(env, stop, when: float):
    """Trigger ``stop`` at ``when`` unless an incident has triggered it first."""
    yield env.timeout(when - env.now)
    if not stop.triggered:
        stop.succeed()


class Simulation:
    def __init__(self, loaded: LoadedScenario, plan: Plan, seed: int = 1, difficulty: str = "standard",
                 manual: bool = False):
        if difficulty not in loaded.scenario.difficulty:
            raise SimulationError(f"scenario '{loaded.id}' has no difficulty '{difficulty}'"
                                  f" (choose from {', '.join(loaded.scenario.difficulty)})")
        self.loaded, self.plan, self.seed, self.difficulty = loaded, plan, int(seed), difficulty
        self.world = World(loaded.scenario, loaded.folder, plan, self.seed, difficulty)
        self._ops: list[dict[str, Any]] = []
        self._injected = 0
        self.manual = self.world.manual = manual
        if manual:
            self._setup_manual()
        else:
            self._setup()

    # ------------------------------------------------------------------ setup

    def _setup_manual(self) -> None:
        """The manual service: no model is trained or served and nothing is monitored; caseworkers decide every
        case as the scenario's service does today, through the same year and its events."""
        w, env = self.world, self.world.env
        env.process(processes.daily_service(env, w))
        for ev in w.events:
            env.process(processes.event(env, w, ev))

    def _setup(self) -> None:
        w = self.world
        w.deployment.history = w.stream.history()
        model, record = train_version(w, w.deployment.history, 0, 1)
        w.deployment.models.append(model)
        w.deployment.evaluations.append(record)
        w.deployment.expected_error = self._expected_error(record)
        make_reference(w, model, w.deployment.history)
        w.spend(sum(w.setup.values()) * w.sc.resources.team_day_rate)
        if record["gate"]["go"] and w.launch_day > 0:
            w.log("operations", "launch", f"v1 goes live on day {w.launch_day:g}: the set-up work ran past the "
                  "go-live date")
            w.env.process(processes.launch(w.env, w, model))
        elif record["gate"]["go"]:
            go_live(w, model)
        else:
            w.log("promotion gate", "no-go", f"v1: {'; '.join(record['gate']['reasons'])}; cases go to caseworkers")
        env = w.env
        env.process(processes.daily_service(env, w))
        env.process(processes.monitoring(env, w))
        for ev in w.events:
            env.process(processes.event(env, w, ev))
        if self.plan["retraining.mode"] == "scheduled":
            env.process(processes.scheduled_retraining(env, w))

    def _expected_error(self, record: dict) -> float:
        if self.world.sc.task.type == "regression":
            return 0.1
        return 1.0 - record["metrics"]["accuracy"]

    # ------------------------------------------------------------------ batch

    def run(self, responses: dict[str, str] | None = None) -> dict:
        """Run to the end. ``responses`` answers incidents by id; others get the plan's default."""
        w = self.world
        w.interactive = False
        w.response.responses.update(responses or {})
        if w.now < w.horizon:
            w.env.run(until=w.horizon)
        return self.result()

    # ------------------------------------------------------------------ step mode

    @property
    def day(self) -> float:
        return self.world.now

    @property
    def finished(self) -> bool:
        return self.world.now >= self.world.horizon

    def advance(self, days: float) -> dict:
        """Advance up to ``days`` simulated days; stop early when an incident needs a response."""
        if days <= 0:
            raise SimulationError("advance by a positive number of days")
        self._ops.append({"op": "advance", "days": days})
        self._answer_pending_with_defaults()
        self._run_until(min(self.world.now + days, self.world.horizon))
        return self.state()

    def _run_until(self, target: float) -> None:
        w = self.world
        w.interactive = True
        while w.now < target and not w.response.pending:
            w.stop_event = w.env.event()
            w.env.process(_stop_at(w.env, w.stop_event, target))
            w.env.run(until=w.stop_event)

    def _answer_pending_with_defaults(self) -> None:
        w = self.world
        for inc in list(w.response.pending):
            self._respond(inc.id, default_response(w, inc), by="plan")

    def respond(self, incident_id: str, action: str) -> dict:
        self._ops.append({"op": "respond", "incident": incident_id, "action": action})
        self._respond(incident_id, action, by="learner")
        return self.state()

    def _respond(self, incident_id: str, action: str, by: str) -> None:
        w = self.world
        if action not in RESPONSES:
            raise SimulationError(f"unknown response '{action}' (choose from {', '.join(RESPONSES)})")
        match = [i for i in w.response.pending if i.id == incident_id]
        if not match:
            raise SimulationError(f"no incident '{incident_id}' is waiting for a response")
        w.response.pending.remove(match[0])
        w.response.responses[incident_id] = action
        apply_response(w, match[0], action, by)

    def inject(self, kind: str, **params: Any) -> str:
        """Inject an event at the current day (a facilitator's live incident)."""
        w = self.world
        day = int(math.ceil(w.now - 1e-9))
        if day >= w.horizon:
            raise SimulationError("the simulation has ended; nothing can be injected")
        spec = EventSpec(kind=kind, day=day, **params)
        self._ops.append({"op": "inject", "kind": kind, "params": params})
        self._injected += 1
        ev = concrete(f"I{self._injected}", spec, day, 1.0)
        w.events.append(ev)
        w.cache.invalidate_from(day)
        w.env.process(processes.event(w.env, w, ev))
        return ev.id

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> dict:
        return snapshot(self.loaded.id, self.plan.to_dict(), self.seed, self.difficulty, self._ops)

    @classmethod
    def restore(cls, loaded: LoadedScenario, snap: dict) -> Simulation:
        if snap.get("version") != SNAPSHOT_VERSION or snap.get("scenario") != loaded.id:
            raise SimulationError("this snapshot belongs to another scenario or version")
        plan = plan_from_dict(saved_plan(snap["plan"], loaded.scenario), loaded.scenario, source="<snapshot>")
        sim = cls(loaded, plan, snap["seed"], snap["difficulty"])
        for op in snap["log"]:
            if op["op"] == "advance":
                sim.advance(op["days"])
            elif op["op"] == "respond":
                sim.respond(op["incident"], op["action"])
            elif op["op"] == "inject":
                sim.inject(op["kind"], **op["params"])
        return sim

    # ------------------------------------------------------------------ views

    def state(self) -> dict:
        w = self.world
        return {"day": round(w.now, 4), "finished": self.finished,
                "pending": [{"id": i.id, "kind": i.kind, "title": i.title, "detected_day": i.detected_day,
                             "detected_by": i.detected_by, "responses": list(RESPONSES)} for i in w.response.pending],
                "timeline": list(w.records.timeline), "kpis": kpis(w),
                "events": [e.to_dict() for e in w.events if e.day <= w.now],  # none of the future's
                "alerts": [a.to_dict() for a in w.response.alerts]}

    def result(self) -> dict:
        return build_result(self)

    def baseline(self) -> dict:
        """The manual service's key figures on this run's year (same seed, difficulty and events, injected ones
        included): what the agency would have had without the model."""
        injected = [e for e in self.world.events if e.id.startswith("I")]
        return manual_service(self.loaded, self.seed, self.difficulty, injected)


_BASELINES: OrderedDict[tuple, dict] = OrderedDict()
BASELINES_KEPT = 64


def manual_service(loaded: LoadedScenario, seed: int, difficulty: str, injected: list | None = None) -> dict:
    """The manual service's key figures for a year (kept for the last ``BASELINES_KEPT`` years asked for: the
    same year always gives the same figures, whichever plan asks)."""
    injected = list(injected or [])
    key = (loaded.id, str(loaded.folder), hashlib.sha256(loaded.scenario.model_dump_json().encode()).hexdigest(),
           int(seed), difficulty, tuple(repr(e) for e in injected))
    if key in _BASELINES:
        _BASELINES.move_to_end(key)
        return copy.deepcopy(_BASELINES[key])
    plan = plan_from_dict({"name": "manual-service", "decisions": {}}, loaded.scenario, source="<manual service>")
    sim = Simulation(loaded, plan, seed, difficulty, manual=True)
    w = sim.world
    for ev in injected:
        w.events.append(ev)
        w.env.process(processes.event(w.env, w, ev))
    w.env.run(until=w.horizon)
    figures = {"kpis": kpis(w)}
    _BASELINES[key] = figures
    while len(_BASELINES) > BASELINES_KEPT:
        _BASELINES.popitem(last=False)
    return copy.deepcopy(figures)
