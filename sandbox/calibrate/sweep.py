"""Where a sweep's runs are played: a Dask cluster (a ``LocalCluster`` of one worker process a core, or the
scheduler at ``--scheduler``/``SANDBOX_DASK_SCHEDULER``), or without Dask a local process pool. The runs are
batched into tens of tasks; each worker process loads the scenario once. Every run is played with one thread
for every numerical library, so a result never depends on which engine, machine or worker played it, and the
results are put back in the order of the jobs, not the order they finished in.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as futures_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

SCHEDULER_ENV = "SANDBOX_DASK_SCHEDULER"
TASKS_PER_WORKER = 4  # enough tasks to keep every worker busy to the end, few enough to cost nothing to send


@dataclass(frozen=True)
class Job:
    """One run of a sweep: which plan (``key``), the plan as saved, and the seed."""

    key: str
    plan: dict
    seed: int


@dataclass
class Engine:
    name: str  # "dask LocalCluster", "dask tcp://host:8786" or "process pool"
    workers: int
    submit: Callable[..., Any]
    completed: Callable[[list], Iterator]
    share: Callable[[Any], Any]  # sends a large argument once (Dask: scattered to every worker)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def engine(scheduler: str | None = None, workers: int | None = None, pool: bool = False) -> Iterator[Engine]:
    """Dask when it is installed (a local cluster, or the scheduler named), else (or with ``pool``) a local
    process pool."""
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    try:
        if pool and not scheduler:
            raise ImportError("a process pool was asked for")
        from distributed import Client, LocalCluster
    except ImportError:
        if scheduler:
            raise RuntimeError(f"--scheduler {scheduler} needs Dask: pip install -e \".[sweeps]\"") from None
        yield from _pool(workers)
        return
    if scheduler:
        with Client(scheduler) as client:
            count = len(client.scheduler_info(n_workers=-1)["workers"])
            yield _dask(client, f"dask {scheduler}", count)
        return
    count = workers or cores()
    with LocalCluster(n_workers=count, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        yield _dask(client, "dask LocalCluster", count)


def _dask(client, name: str, count: int) -> Engine:
    from distributed import as_completed as dask_completed

    return Engine(name, count, functools.partial(client.submit, pure=False), dask_completed,
                  lambda value: client.scatter(value, broadcast=True))


def _pool(workers: int | None) -> Iterator[Engine]:
    count = workers or cores()
    with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield Engine("process pool", count, pool.submit, futures_completed, lambda value: value)


def batches(jobs: list[Job], workers: int) -> list[list[Job]]:
    """The jobs in order, cut into about ``TASKS_PER_WORKER`` tasks a worker."""
    size = max(1, math.ceil(len(jobs) / (workers * TASKS_PER_WORKER)))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


# ------------------------------------------------------------------ what a worker runs


@functools.lru_cache(maxsize=4)
def _loaded(folder: str):
    from sandbox.spec.loader import load_scenario

    return load_scenario(Path(folder))


def play_reference(folder: str, difficulty: str, seed: int) -> dict:
    """The expert plan's run on ``seed``: the reference every other run on that seed is scored against."""
    from sandbox.runs.scored import reference_run

    with threadpool_limits(limits=1):
        return reference_run(_loaded(folder), seed, difficulty)


def play_batch(folder: str, difficulty: str, jobs: list[Job], references: dict[int, dict | None]) -> list[dict]:
    """Play and score each job; keep what the sweep reports of it."""
    from sandbox.runs.scored import scored_run
    from sandbox.spec.decisions import Plan

    loaded = _loaded(folder)
    questions = {k: d.question for k, d in loaded.scenario.decisions.items()}
    out = []
    with threadpool_limits(limits=1):
        for job in jobs:
            plan = Plan(job.plan["name"], dict(job.plan["decisions"]), dict(job.plan.get("impact_answers") or {}))
            try:
                result = scored_run(loaded, plan, job.seed, difficulty, reference=references.get(job.seed))
            except Exception as exc:  # a plan the engine cannot play is a finding: reported, the sweep goes on
                out.append({"key": job.key, "seed": job.seed, "plan": job.plan,
                            "error": f"{type(exc).__name__}: {exc}"})
                continue
            out.append(summary(job, result, questions))
    return out


def summary(job: Job, result: dict, questions: dict[str, str] | None = None) -> dict:
    """What a sweep keeps of a run: its total and band, its key figures, whether a model went into service,
    and the decisions its feedback names (``scoring.advice.named_decisions``)."""
    from sandbox.scoring.advice import named_decisions
    from sandbox.scoring.delivery import delivery

    score = result["score"]
    cited = sorted(named_decisions(score, questions))
    return {"key": job.key, "seed": job.seed, "total": score["total"], "band": score["band"],
            "kpis": result["kpis"], "served": delivery(result)["served"], "cited": cited}
