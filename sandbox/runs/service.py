"""What the web app (and the CLI) ask of the sandbox, away from any user interface.

Simulations run in a process pool shared by every session of the server, so a
long run never blocks the Streamlit script thread of another learner. Finished
runs are cached in the store under a hash of everything that determines them
(scenario, plan, seed, difficulty and, in step mode, the learner's actions):
identical runs are computed once, by whichever learner asks first. Step mode is
event-sourced (see ``engine.runner``): a request carries the snapshot, a worker
replays it (or finds the live simulation in its own small cache) and applies
one action.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import multiprocessing
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as futures_wait
from functools import lru_cache
from typing import Any

STEP_CACHE_SIZE = 2  # live step-mode runs a worker keeps (each holds a year of cases)


# ---------------------------------------------------------------------- keys

def run_key(scenario_id: str, plan: dict, seed: int, difficulty: str, actions: list | None = None) -> str:
    blob = json.dumps({"scenario": scenario_id, "plan": {"decisions": plan.get("decisions", {}),
                                                          "impact_answers": plan.get("impact_answers", {})},
                       "seed": int(seed), "difficulty": difficulty, "actions": actions or []},
                      sort_keys=True, default=list)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------- work done in a worker process

@lru_cache(maxsize=16)
def _loaded(scenario_id: str):
    from sandbox.spec.loader import load_scenario

    return load_scenario(scenario_id)


def _scored(sim, reference: dict | None) -> dict:
    """The run's result with its score, beside ``reference`` (the expert plan's run; None when this is that
    run, or when the scenario has no expert plan: ``runs.scored`` then finds out which)."""
    from sandbox.engine.result import clean
    from sandbox.runs.scored import scored

    result = sim.result()
    result["score"] = scored(result, sim.loaded, reference)
    return clean(result)


def _simulation(scenario_id: str, plan: dict, seed: int, difficulty: str):
    from sandbox.engine import Simulation
    from sandbox.spec.loader import plan_from_dict, saved_plan

    loaded = _loaded(scenario_id)  # a saved plan may be older than this version: read as this version knows plans
    return Simulation(loaded, plan_from_dict(saved_plan(plan, loaded.scenario), loaded.scenario), seed, difficulty)


def simulate(scenario_id: str, plan: dict, seed: int, difficulty: str, reference: dict | None = None,
             progress=None) -> dict:
    """A whole run, scored; ``progress`` (a queue) receives the share of the year done after each month."""
    from sandbox.runs.scored import play

    sim = play(_simulation(scenario_id, plan, seed, difficulty),
               None if progress is None else lambda s: progress.put(s.day / s.world.horizon))
    return _scored(sim, reference)


def expert_plan(scenario_id: str) -> dict | None:
    from sandbox.runs import scored as runs

    plan = runs.expert_plan(_loaded(scenario_id))
    return None if plan is None else plan.to_dict()


def first_evaluation(scenario_id: str, plan: dict, seed: int, difficulty: str) -> dict:
    """The model the plan's data and development choices produce, evaluated as the plan says (no service)."""
    from sandbox.engine.result import clean

    sim = _simulation(scenario_id, plan, seed, difficulty)
    record = {k: v for k, v in sim.world.deployment.evaluations[0].items() if k != "test"}
    return clean(record)


_LIVE: OrderedDict[str, Any] = OrderedDict()


def step(scenario_id: str, plan: dict, seed: int, difficulty: str, actions: list, action: dict | list[dict],
         reference: dict | None = None) -> dict:
    """Apply learner actions, in order, to a step-mode run: ``{"op": "advance", "days": 7}``, ``{"op": "respond",
    "incident": ID, "action": A}``, ``{"op": "inject", "kind": K, "params": {...}}`` or ``{"op": "state"}``.
    ``applied`` tells, for each, the day it was applied on and the event an inject became."""
    from sandbox.engine import Simulation
    from sandbox.engine.runner import snapshot

    key = run_key(scenario_id, plan, seed, difficulty, actions)
    sim = _LIVE.pop(key, None)
    if sim is None:
        sim = Simulation.restore(_loaded(scenario_id), snapshot(scenario_id, plan, seed, difficulty, actions))
    applied = []
    for one in [action] if isinstance(action, dict) else action:
        applied.append({"op": one["op"], "day": sim.day})
        if one["op"] == "state":
            pass  # only the state (after a page reload)
        elif one["op"] == "advance":
            sim.advance(float(one["days"]))
        elif one["op"] == "respond":
            sim.respond(one["incident"], one["action"])
        elif one["op"] == "inject" and sim.finished:
            applied[-1]["event_id"] = None  # the year is over: the inject reaches the team as a message only
        elif one["op"] == "inject":
            applied[-1]["event_id"] = sim.inject(one["kind"], **one.get("params", {}))
            applied[-1]["day"] = float(sim.world.events[-1].day)  # the event strikes on this day
        else:
            raise ValueError(f"unknown step action '{one['op']}'")
    actions = sim.snapshot()["log"]
    _LIVE[run_key(scenario_id, plan, seed, difficulty, actions)] = sim
    while len(_LIVE) > STEP_CACHE_SIZE:
        _LIVE.popitem(last=False)
    out = {"actions": actions, "state": sim.state(), "applied": applied}
    if sim.finished:
        out["result"] = _scored(sim, reference)
    return out


def _then_release(fn: Callable, *args):
    """``fn`` in a worker, then the memory it freed handed back to the system: glibc keeps freed heap
    pages in the process otherwise, and each worker would hold its largest run's peak for good."""
    try:
        return fn(*args)
    finally:
        with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to hand back this way
            ctypes.CDLL("libc.so.6").malloc_trim(0)


# ---------------------------------------------------------------------- the shared pool

class Runner:
    """The server's process pool and the store's run cache. ``workers=0`` runs in the caller's thread
    (command line, tests)."""

    def __init__(self, store=None, workers: int | None = None):
        self.store = store
        self.workers = _workers() if workers is None else workers
        self._pool: ProcessPoolExecutor | None = None
        self._manager = None
        self._lock = threading.Lock()
        self._inflight: dict[str, _Job] = {}
        self._prefetching = False
        self._busy = 0  # pool jobs submitted and not yet finished

    def _submit(self, fn: Callable, *args) -> Future:
        if self.workers == 0:
            f: Future = Future()
            try:
                f.set_result(fn(*args))
            except Exception as exc:  # handed to the caller through the future, as a pool would
                f.set_exception(exc)
            return f
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
                self._manager = ctx.Manager()
            self._busy += 1
        try:
            future = self._pool.submit(_then_release, fn, *args)
        except BaseException:
            self._released(None)
            raise
        future.add_done_callback(self._released)
        return future

    def _released(self, _future: Future | None) -> None:
        with self._lock:
            self._busy -= 1

    def cached(self, key: str) -> dict | None:
        return self.store.get_run(key) if self.store is not None else None

    def _keep(self, key: str, scenario_id: str, result: dict) -> None:
        if self.store is not None:
            self.store.put_run(key, scenario_id, result)

    def _once(self, key: str, scenario_id: str, compute: Callable, on_progress=None) -> dict:
        """A cached result, computed once even when many sessions ask for it at the same moment: the first
        asker computes it, the others wait for that result (and see its progress)."""
        hit = self.cached(key)
        if hit is not None:
            return hit
        with self._lock:
            job = self._inflight.get(key)
            owner = job is None
            if owner:
                job = self._inflight[key] = _Job()
        if not owner:
            return job.wait(on_progress)
        try:
            result = compute(lambda share: job.report(share, on_progress))
            self._keep(key, scenario_id, result)
            job.finish(result)
            return result
        except BaseException as exc:
            job.fail(exc)
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    def run(self, scenario_id: str, plan: dict, seed: int, difficulty: str,
            on_progress: Callable[[float], None] | None = None) -> tuple[str, dict]:
        """The scored run of ``plan`` (from the cache when anyone has run it before)."""
        key = run_key(scenario_id, plan, seed, difficulty)
        expert = expert_plan(scenario_id)
        if expert is not None and run_key(scenario_id, expert, seed, difficulty) == key:
            return key, self.reference(scenario_id, seed, difficulty)  # the expert's own plan

        def compute(progress):
            reference = self.reference(scenario_id, seed, difficulty)
            return self._simulate(scenario_id, plan, seed, difficulty, reference, progress)

        return key, self._once(key, scenario_id, compute, on_progress)

    def prefetch(self, scenario_id: str, plan: dict, seed: int, difficulty: str) -> bool:
        """Start the run of ``plan`` before the learner asks for it, when the pool is idle (a learner who opens
        the page to play a saved plan nearly always plays it: the click then waits on the run already under
        way, or finds it in the cache). Only with two workers or more, so one stays free for whoever acts next
        (a step, an evaluation); never in the caller's thread; one at a time. True when a prefetch started."""
        if self.workers < 2:
            return False
        with self._lock:
            if self._inflight or self._prefetching or self._busy:
                return False
            self._prefetching = True

        def work():
            try:
                self.run(scenario_id, plan, seed, difficulty)  # a cached run returns at once
            except Exception:  # the learner's own click reports any problem
                pass
            finally:
                self._prefetching = False

        threading.Thread(target=work, name="sandbox-prefetch", daemon=True).start()
        return True

    def reference(self, scenario_id: str, seed: int, difficulty: str) -> dict | None:
        """The expert plan's run on the same seed and difficulty (scored against itself), cached."""
        plan = expert_plan(scenario_id)
        if plan is None:
            return None
        return self._once(run_key(scenario_id, plan, seed, difficulty), scenario_id,
                          lambda progress: self._simulate(scenario_id, plan, seed, difficulty, None, None))

    def _simulate(self, scenario_id, plan, seed, difficulty, reference, on_progress) -> dict:
        if self.workers == 0:
            return simulate(scenario_id, plan, seed, difficulty, reference, _Callback(on_progress))
        progress = self._progress_queue()
        future = self._submit(simulate, scenario_id, plan, seed, difficulty, reference, progress)
        return _wait(future, progress, on_progress)

    def _progress_queue(self):
        if self._manager is None:
            self._submit(int, 0).result()  # starts the pool and its manager
        return self._manager.Queue()

    def evaluation(self, scenario_id: str, plan: dict, seed: int, difficulty: str) -> dict:
        return self._once("evaluation:" + run_key(scenario_id, plan, seed, difficulty), scenario_id,
                          lambda _: self._submit(first_evaluation, scenario_id, plan, seed, difficulty).result())

    def step(self, scenario_id: str, plan: dict, seed: int, difficulty: str, actions: list,
             action: dict | list[dict]) -> dict:
        reference = None
        if any(a["op"] == "advance" for a in ([action] if isinstance(action, dict) else action)):
            # the run may finish, and is then scored beside the expert's
            reference = self.reference(scenario_id, seed, difficulty)
        out = self._submit(step, scenario_id, plan, seed, difficulty, actions, action, reference).result()
        if "result" in out:
            key = run_key(scenario_id, plan, seed, difficulty, out["actions"])
            self._keep(key, scenario_id, out["result"])
            out["run_key"] = key
        return out

    def drift_report(self, scenario_id: str, plan: dict, seed: int, difficulty: str, actions: list,
                     start_day: int, end_day: int) -> str:
        return self._submit(drift_report, scenario_id, plan, seed, difficulty, actions, start_day,
                            end_day).result()

    def warm(self, seed: int = 1, difficulty: str = "standard") -> threading.Thread | None:
        """Compute every scenario's expert run for the usual seed in the background, so the first learners'
        scores (which compare with it) do not wait for it. Not done in-thread (workers=0)."""
        if self.workers == 0 or self.store is None:
            return None
        from sandbox.spec.loader import SCENARIOS_DIR

        ids = sorted(p.parent.name for p in SCENARIOS_DIR.glob("*/scenario.yaml"))

        def work():
            for sid in ids:
                try:
                    self.reference(sid, seed, difficulty)
                except Exception:  # a broken scenario is reported when a learner opens it, not here
                    continue

        thread = threading.Thread(target=work, name="sandbox-warm", daemon=True)
        thread.start()
        return thread

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
        if self._manager is not None:
            self._manager.shutdown()


class _Job:
    """A computation some sessions are waiting for."""

    def __init__(self):
        self.done = threading.Event()
        self.share = 0.0
        self.result: dict | None = None
        self.error: BaseException | None = None

    def report(self, share: float, on_progress) -> None:
        self.share = share
        if on_progress is not None:
            on_progress(share)

    def finish(self, result: dict) -> None:
        self.result = result
        self.done.set()

    def fail(self, error: BaseException) -> None:
        self.error = error
        self.done.set()

    def wait(self, on_progress) -> dict:
        seen = -1.0
        while not self.done.wait(0.2):
            if on_progress is not None and self.share != seen:
                seen = self.share
                on_progress(seen)
        if self.error is not None:
            raise self.error
        return self.result


class _Callback:
    """A queue-like object that calls back (the in-thread runner's progress)."""

    def __init__(self, fn):
        self.fn = fn

    def put(self, value: float) -> None:
        if self.fn is not None:
            self.fn(value)


def _wait(future: Future, progress, on_progress, poll_s: float = 0.1) -> dict:
    """The future's result, passing on the progress it reports meanwhile; returns as soon as it is done
    (waiting on the progress queue alone would add a poll's delay after the last report)."""
    while True:
        done = bool(futures_wait([future], timeout=poll_s).done)
        while True:
            try:
                share = progress.get_nowait()
            except queue.Empty:
                break
            if on_progress is not None:
                on_progress(share)
        if done:
            return future.result()


def _workers() -> int:
    value = os.environ.get("SANDBOX_WORKERS")
    if value is not None:
        return max(0, int(value))
    return max(1, min(2, os.cpu_count() or 1))


# ---------------------------------------------------------------------- evidence for the phases

def data_profile(scenario_id: str, seed: int) -> dict:
    """What a data explorer shows of the scenario's historical data: sources and their faults, columns
    (missing shares as the data arrive), and per-group counts and outcome rates."""
    import numpy as np

    from sandbox.data import make_stream
    from sandbox.data.stream import TARGET

    loaded = _loaded(scenario_id)
    sc = loaded.scenario
    df = make_stream(sc, seed, [], loaded.folder).history()
    sources = []
    if sc.data.synthetic is not None:
        for s in sc.data.synthetic.sources:
            feats = [f.name for f in sc.data.synthetic.features if f.source == s.id]
            faults = [f"{s.missing_rate:.0%} missing"] if s.missing_rate else []
            faults += [f"{s.duplicate_rate:.0%} duplicated"] if s.duplicate_rate else []
            faults += [f"legacy codes in {e.column} ({e.share:.0%})" for e in s.legacy_encodings]
            sources.append({"source": s.id, "primary": s.primary, "legacy system": s.legacy,
                            "description": s.description, "columns": ", ".join(feats),
                            "known faults": "; ".join(faults) or "none recorded"})
    columns = [{"column": c, "missing": float(df[c].isna().mean()),
                "kind": "number" if np.issubdtype(df[c].dtype, np.number) else "category"}
               for c in sc.feature_names() if c in df]
    outcome = "mean outcome" if sc.task.type == "regression" else "positive rate"
    groups = []
    for attr in sc.protected_names():
        for g, part in df.groupby(attr, dropna=False):
            groups.append({"attribute": attr, "group": str(g), "cases": int(len(part)),
                           "share": float(len(part) / len(df)), outcome: float(part[TARGET].mean())})
    return {"rows": int(len(df)), "duplicates": int(df.duplicated(subset=sc.feature_names()).sum()),
            "sources": sources, "columns": columns, "groups": groups, "outcome": outcome,
            "target": sc.task.target, "positive_means": sc.task.positive_means,
            "regression": sc.task.type == "regression"}


def drift_report(scenario_id: str, plan: dict, seed: int, difficulty: str, actions: list, start_day: int,
                 end_day: int) -> str:
    """Evidently's data-drift report (standalone HTML) for days [start_day, end_day] of a run, against the
    training data of the model in service at the window's end. Evidently is imported only here."""
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    from sandbox.engine import Simulation
    from sandbox.engine.monitors import window
    from sandbox.engine.runner import snapshot

    sim = Simulation.restore(_loaded(scenario_id), snapshot(scenario_id, plan, seed, difficulty, actions))
    if not actions:
        sim.run()
    w = sim.world
    model = [m for m in w.deployment.models if m.trained_day <= end_day][-1]
    numeric, categorical = list(w.monitors.reference.numeric), list(w.monitors.reference.categorical)
    data = window(w, int(start_day), int(end_day) + 1)
    if not data or not len(next(iter(data.values()))):
        raise ValueError(f"no cases were received between day {start_day} and day {end_day}")
    reference = model.evaluation["frame"][[*numeric, *categorical]].reset_index(drop=True)
    current = pd.DataFrame({c: data[c] for c in [*numeric, *categorical]})
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    snapshot = Report([DataDriftPreset()]).run(Dataset.from_pandas(current, data_definition=definition),
                                               Dataset.from_pandas(reference, data_definition=definition))
    return snapshot.get_html_str(as_iframe=False)
