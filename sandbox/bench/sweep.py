"""The calibration sweep's throughput (``sandbox bench``): random plans of the flagship scenario played on the
sweep's engine (a Dask ``LocalCluster`` of one worker a core, or the process pool without Dask), through the
same batching and worker code as ``sandbox calibrate``. Runs per second, all workers together and per worker;
the cluster's start and the reference run are timed apart."""

from __future__ import annotations

import time

from sandbox.calibrate import plans as sweep_plans
from sandbox.calibrate.sweep import Job, batches, engine, play_batch, play_reference
from sandbox.runs.scored import expert_plan
from sandbox.spec.loader import load_scenario

RUNS_PER_WORKER = 4


def sweep_throughput(scenario: str = "benefits-triage", workers: int | None = None) -> dict:
    loaded = load_scenario(scenario)
    base = expert_plan(loaded)
    folder = str(loaded.folder.resolve())
    t0 = time.perf_counter()
    with engine(None, workers) as eng:
        started = time.perf_counter()
        reference = eng.submit(play_reference, folder, "standard", 1).result()
        shared = eng.share({1: reference})
        todo = [Job(f"random:{i}", sweep_plans.random_plan(loaded, base, i).to_dict(), 1)
                for i in range(RUNS_PER_WORKER * eng.workers)]
        t1 = time.perf_counter()
        tasks = [eng.submit(play_batch, folder, "standard", batch, shared) for batch in batches(todo, eng.workers)]
        for future in eng.completed(tasks):
            future.result()
        wall = time.perf_counter() - t1
        name, count = eng.name, eng.workers
    return {"engine": name, "workers": count, "runs": len(todo), "start_s": round(started - t0, 2),
            "wall_s": round(wall, 2), "runs_per_s": round(len(todo) / wall, 3),
            "runs_per_s_per_worker": round(len(todo) / wall / count, 3)}
