"""``sandbox calibrate SCENARIO``: does the scenario's rubric reward judgement? (``sandbox.calibrate``)"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path


def add_commands(sub) -> None:
    p = sub.add_parser("calibrate", help="sweep a scenario's plan space: expert, naive, gold-plated, random plans "
                       "and single-decision ablations, on Dask or a local process pool")
    p.add_argument("scenario", help="scenario id or folder")
    p.add_argument("--seeds", type=int, default=2, help="play seeds 1..N (default 2)")
    p.add_argument("--random", type=int, default=20, help="random plans (default 20)")
    p.add_argument("--no-ablations", action="store_true", help="skip the expert plan's single-decision changes")
    p.add_argument("--difficulty", default="standard", choices=("introductory", "standard", "advanced"))
    p.add_argument("--scheduler", help="a Dask scheduler's address, e.g. tcp://host:8786 (default: "
                   "SANDBOX_DASK_SCHEDULER, else a local cluster of one worker a core)")
    p.add_argument("--workers", type=int, help="worker processes on this machine (default: one a core)")
    p.add_argument("--json", type=Path, help="write the sweep's result as JSON here")
    p.add_argument("--report", type=Path, help="write a self-contained HTML report here")
    p.add_argument("--save", action="store_true", help="keep the random plans' scores with the scenario "
                   "(calibration.json), for the Results page's comparison with chance")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)


def cmd_calibrate(args) -> int:
    from sandbox.cli.validate import validate_paths
    from sandbox.spec.loader import load_scenario

    if args.seeds < 1 or args.random < 0 or (args.workers is not None and args.workers < 1):
        print("error: --seeds and --workers must be at least 1, --random at least 0", file=sys.stderr)
        return 2
    loaded = load_scenario(args.scenario)
    problems = validate_paths([loaded.folder])  # every file of the scenario, before any run starts
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    from sandbox.calibrate import SweepError, calibrate, jobs
    from sandbox.calibrate.sweep import SCHEDULER_ENV, cores

    try:
        import distributed  # noqa: F401
    except ImportError:
        print(f"Dask is not installed (pip install -e \".[sweeps]\"): running on a local process pool of "
              f"{args.workers or cores()} workers.", file=sys.stderr)
    where = args.scheduler or os.environ.get(SCHEDULER_ENV)
    count = len(jobs(loaded, args.seeds, args.random, not args.no_ablations)[0])
    print(f"Calibrating {loaded.id} ({args.difficulty}): {count} runs on seeds 1..{args.seeds}"
          + (f", on {where}" if where else ""), file=sys.stderr)
    from tqdm import tqdm

    with tqdm(total=count, unit="run", disable=args.quiet or not sys.stderr.isatty(), file=sys.stderr) as bar:
        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.n)

        try:
            result = calibrate(loaded, args.seeds, args.random, not args.no_ablations, args.difficulty,
                               args.scheduler, args.workers, progress)
        except SweepError as exc:
            bar.close()
            for row in exc.failed:
                print(f"error: the engine could not play plan '{row['plan']['name']}' on seed {row['seed']}: "
                      f"{row['error']}", file=sys.stderr)
            if args.json:
                args.json.write_text(json.dumps({"scenario": loaded.id, "failed": exc.failed}, indent=1,
                                                sort_keys=True) + "\n", encoding="utf-8")
                print(f"the failed plans are in {args.json}: play one with 'sandbox run'", file=sys.stderr)
            return 1
        except (OSError, RuntimeError) as exc:  # a scheduler that cannot be reached, Dask missing for one
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.report:
        from sandbox.reports.calibration import render

        args.report.write_text(render(result), encoding="utf-8")
    print(table(result))
    if args.save:
        from sandbox.calibrate.standing import save

        if not result["random"]["totals"]:
            print("error: --save needs random plans (--random 5 or more)", file=sys.stderr)
            return 1
        print(f"saved the random plans' scores to {save(loaded, result)}", file=sys.stderr)
    return 0


def table(result: dict) -> str:
    """The calibration table: own plans, gold min/max, random median, ablations that move nothing; the checks."""
    def span(values: list[float]) -> str:
        return f"{min(values):.1f}" if min(values) == max(values) else f"{min(values):.1f}–{max(values):.1f}"

    lines = [f"{result['scenario']} · {result['difficulty']} · seeds 1..{result['seeds']} · {result['engine']}, "
             f"{result['workers']} workers, {result['wall_s']:.0f} s"]
    for name, part in result["plans"].items():
        lines.append(f"  {name + ' plan':<28}{span(part['totals']):>14}")
    lines.append(f"  {'gold-plated plan':<28}{span(result['gold']['totals']):>14}")
    rnd = result["random"]["totals"]
    if rnd:
        lines.append(f"  {'random plans (median)':<28}{statistics.median(rnd):>14.1f}   range {span(rnd)}")
    still = [a for a in result["ablations"] if a["delta_mean"] == 0]
    if result["ablations"]:
        lines.append(f"  ablations that move nothing: {len(still)} of {len(result['ablations'])}")
        lines += [f"    {a['decision']} = {a['choice']}" for a in still]
    lines.append("Checks")
    for v in result["checks"]:
        mark = {True: "pass", False: "FAIL", None: "skip"}[v["passed"]]
        lines.append(f"  {mark}  {v['target']} ({v['measured']})")
    return "\n".join(lines)
