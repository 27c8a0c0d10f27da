"""Calibration: does a scenario's rubric reward judgement? ``sandbox calibrate`` plays, on seeds 1..N, the
scenario's own plans, a gold-plated plan, random plans and every single-decision ablation of the expert plan
(``plans``), on a Dask cluster or a process pool (``sweep``), and reports how they score (``calibrate``'s
JSON; the HTML is ``reports.calibration``). Totals come from the same scoring as ``sandbox run``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from scipy.stats import spearmanr

from sandbox.calibrate import plans as sweep_plans
from sandbox.calibrate.sweep import Job, batches, engine, play_batch, play_reference
from sandbox.runs.scored import expert_plan
from sandbox.spec.loader import LoadedScenario, load_plan

ENGINE_FIELDS = ("engine", "workers", "wall_s")  # the fields that may differ between two engines' sweeps


class SweepError(Exception):
    """Runs the engine could not play: each with its plan, seed and error (a bug to fix before a workshop)."""

    def __init__(self, failed: list[dict]):
        self.failed = failed
        super().__init__(f"{len(failed)} run(s) failed")


def _own_plans(loaded: LoadedScenario) -> list[str]:
    return sorted(p.stem for p in (loaded.folder / "plans").glob("*.yaml"))


def jobs(loaded: LoadedScenario, seeds: int, randoms: int, with_ablations: bool) -> tuple[list[Job], list]:
    """Every run of the sweep, in a fixed order, and the ablations they include."""
    expert = expert_plan(loaded)
    base = expert or load_plan(loaded, None)
    planned: list[tuple[str, dict]] = [(f"plan:{name}", load_plan(loaded, name).to_dict())
                                       for name in _own_plans(loaded)]
    planned.append(("gold", sweep_plans.gold_plated(loaded, base).to_dict()))
    planned += [(f"random:{i}", sweep_plans.random_plan(loaded, base, i).to_dict()) for i in range(randoms)]
    ablations = sweep_plans.ablations(loaded, expert) if with_ablations and expert is not None else []
    planned += [(f"ablation:{i}", a.plan.to_dict()) for i, a in enumerate(ablations)]
    return [Job(key, plan, seed) for key, plan in planned for seed in range(1, seeds + 1)], ablations


def calibrate(loaded: LoadedScenario, seeds: int = 2, randoms: int = 20, with_ablations: bool = True,
              difficulty: str = "standard", scheduler: str | None = None, workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, pool: bool = False) -> dict:
    """Run the sweep and return its JSON-ready result (see the README's ``sandbox calibrate``)."""
    started = time.perf_counter()
    todo, ablations = jobs(loaded, seeds, randoms, with_ablations)
    folder = str(loaded.folder.resolve())
    has_expert = expert_plan(loaded) is not None
    done: dict[tuple[str, int], dict] = {}
    with engine(scheduler, workers, pool) as eng:
        refs = {}
        if has_expert:
            pending = {eng.submit(play_reference, folder, difficulty, s): s for s in range(1, seeds + 1)}
            for future in eng.completed(list(pending)):
                refs[pending[future]] = future.result()
        shared = eng.share(refs)
        tasks = [eng.submit(play_batch, folder, difficulty, batch, shared) for batch in batches(todo, eng.workers)]
        for future in eng.completed(tasks):
            for row in future.result():
                done[(row["key"], row["seed"])] = row
            if progress is not None:
                progress(len(done), len(todo))
        name, count = eng.name, eng.workers
    failed = [row for row in done.values() if "error" in row]
    if failed:
        raise SweepError(sorted(failed, key=lambda r: (r["key"], r["seed"])))
    result = _report(loaded, difficulty, seeds, randoms, ablations, done)
    result["checks"] = verdicts(result)
    return result | {"engine": name, "workers": count, "wall_s": round(time.perf_counter() - started, 2)}


def _series(done: dict, key: str, seeds: int) -> dict:
    rows = [done[(key, s)] for s in range(1, seeds + 1)]
    return {"totals": [r["total"] for r in rows], "bands": [r["band"] for r in rows],
            "kpis": [r["kpis"] for r in rows], "served": [r["served"] for r in rows]}


def _sd(values: list[float]) -> float:
    return round(statistics.pstdev(values), 3) if len(values) > 1 else 0.0


def _report(loaded: LoadedScenario, difficulty: str, seeds: int, randoms: int, ablations: list,
            done: dict) -> dict:
    own = {name: _series(done, f"plan:{name}", seeds) for name in _own_plans(loaded)}
    rand_rows = [done[(f"random:{i}", s)] for i in range(randoms) for s in range(1, seeds + 1)]
    random_part = {"totals": [r["total"] for r in rand_rows], "kpis": [r["kpis"] for r in rand_rows],
                   "score_harm_spearman": _spearman(rand_rows, "weighted_harms_per_1000_cases"),
                   "score_unweighted_harm_spearman": _spearman(rand_rows, "harms_per_1000_cases")}
    expert = own.get("expert")
    out_ablations = []
    for i, a in enumerate(ablations):
        rows = [done[(f"ablation:{i}", s)] for s in range(1, seeds + 1)]
        totals = [r["total"] for r in rows]
        delta = statistics.fmean(t - e for t, e in zip(totals, expert["totals"], strict=True))
        out_ablations.append({"decision": a.decision, "choice": sweep_plans.shown(a.choice), "totals": totals,
                              "delta_mean": round(delta, 3),
                              "named_in_feedback": any(a.decision in r["cited"] for r in rows)})
    return {"scenario": loaded.scenario.id, "difficulty": difficulty, "seeds": seeds, "plans": own,
            "gold": _series(done, "gold", seeds), "random": random_part, "ablations": out_ablations,
            "luck": {f"{name}_sd": _sd(own[name]["totals"]) for name in ("expert", "naive") if name in own}}


def _spearman(rows: list[dict], kpi: str) -> float | None:
    """The rank correlation between random plans' totals and their harms per 1,000 cases (a rubric that rewards
    what matters gives a strongly negative value). The check reads the harms weighted as the scenario's policy
    says each error costs the people affected (``policy.error_weights``: a late decision is not a wrongful
    denial); the unweighted count, every error and late decision alike, is reported beside it."""
    totals = [r["total"] for r in rows]
    harms = [r["kpis"].get(kpi) for r in rows]
    if len(rows) < 3 or None in harms or len(set(totals)) < 2 or len(set(harms)) < 2:
        return None
    return round(float(spearmanr(totals, harms).statistic), 3)


# What a rubric that rewards judgement gives (the assessment's targets); the sweep reports each as a verdict.
CHECKS = (
    ("expert", "the expert plan scores at least 85 on every seed"),
    ("gold", "the gold-plated plan scores at most 75 on every seed"),
    ("naive", "the naive plan scores at most 30 on every seed"),
    ("random", "random plans: median at most 40, and at most 1 in 20 at 85 or more"),
    ("ablations", "at least 90% of the expert's single-decision changes lower its mean score by 1 point or more, "
                  "and the feedback names the changed decision"),
    ("luck", "the expert plan's scores over the seeds have a standard deviation of at most 3 points"),
    ("harm", "across the random plans, the rank correlation between score and harms per 1,000 cases (weighted "
             "by what each error costs the people affected) is at most -0.6"),
    ("serves", "a model of the expert plan's goes into service on every seed"),
)


def verdicts(result: dict) -> list[dict]:
    """Each check of ``CHECKS`` on a sweep's result: passed (True, False, or None when the sweep did not
    play what the check needs) and what was measured, in words."""
    plans, gold, rnd, abl = result["plans"], result["gold"], result["random"], result["ablations"]
    out = []

    def add(check: str, passed: bool | None, measured: str) -> None:
        out.append({"check": check, "target": dict(CHECKS)[check], "passed": passed, "measured": measured})

    def totals(name: str) -> list[float] | None:
        return plans[name]["totals"] if name in plans else None

    expert, naive = totals("expert"), totals("naive")
    add("expert", None if expert is None else min(expert) >= 85, "no expert plan" if expert is None else
        f"lowest {min(expert):.1f}")
    add("gold", max(gold["totals"]) <= 75, f"highest {max(gold['totals']):.1f}")
    add("naive", None if naive is None else max(naive) <= 30, "no naive plan" if naive is None else
        f"highest {max(naive):.1f}")
    if rnd["totals"]:
        median = statistics.median(rnd["totals"])
        high = sum(t >= 85 for t in rnd["totals"]) / len(rnd["totals"])
        add("random", median <= 40 and high <= 1 / 20, f"median {median:.1f}; {high:.0%} at 85 or more")
    else:
        add("random", None, "no random plans played")
    if abl:
        moving = [a for a in abl if a["delta_mean"] <= -1 and a["named_in_feedback"]]
        add("ablations", len(moving) / len(abl) >= 0.9, f"{len(moving)} of {len(abl)} lower the score by 1 point "
            f"or more and are named; {sum(a['delta_mean'] == 0 for a in abl)} change nothing")
    else:
        add("ablations", None, "no ablations played")
    sd = result["luck"].get("expert_sd")
    add("luck", None if sd is None or result["seeds"] < 2 else sd <= 3,
        "one seed only" if result["seeds"] < 2 else f"standard deviation {sd:.2f}")
    rho = rnd["score_harm_spearman"]
    add("harm", None if rho is None else rho <= -0.6, "not enough random plans" if rho is None else
        f"rank correlation {rho:+.2f}")
    if expert is None:
        add("serves", None, "no expert plan")
    else:
        idle = [s + 1 for s, served in enumerate(plans["expert"]["served"]) if not served]
        add("serves", not idle, "served on every seed" if not idle else
            "no model went into service on seed " + ", ".join(map(str, idle)))
    return out
