"""Command line: ``sandbox validate | schema | run | score | serve | bench | calibrate | workshop``.

Problems with files are printed as ``file:line: field.path: message`` lines and
exit with status 1; a traceback is never shown to a course author.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sandbox.spec.labels import kpi_labels
from sandbox.spec.yamlio import LoadError

RUN_FILE_MAX_BYTES = 200 * 1024 * 1024  # a year's run result is a few MB


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except LoadError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sandbox", description="MLOps Lifecycle Sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check scenarios and plans; one line per problem")
    p.add_argument("paths", nargs="*", type=Path)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("schema", help="print the JSON Schema of scenario and plan files")
    p.set_defaults(func=cmd_schema)
    p = sub.add_parser("run", help="run a scenario with a plan and print a summary")
    p.add_argument("scenario", help="scenario id or folder")
    p.add_argument("--plan", default=None, help="plan file or plan name (default: every decision at its default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--difficulty", default="standard", choices=("introductory", "standard", "advanced"))
    p.add_argument("--out", type=Path, help="write the run result JSON here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--dry-run", action="store_true", help="load and check everything, then stop before running")
    p.add_argument("--no-score", action="store_true", help="skip scoring (and the expert plan's replay)")
    p.add_argument("--report", type=Path, help="write a self-contained HTML report here")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("score", help="rescore a saved run with the current rubric")
    p.add_argument("run", type=Path, help="a run result JSON written by 'sandbox run --out'")
    p.add_argument("--out", type=Path, help="write the rescored result JSON here")
    p.set_defaults(func=cmd_score)
    p = sub.add_parser("serve", help="start the web app")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--db", help="database URL (default: DATABASE_URL, else a SQLite file in ./sandbox-data)")
    p.add_argument("--address", default="localhost", help="address to listen on (0.0.0.0 for a workshop room)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("bench", help="run the benchmark suite")
    p.add_argument("--json", type=Path, help="also write the figures as JSON")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--sessions", type=int, default=30, help="learners at once for the app figures (0: skip them)")
    p.add_argument("--clients", choices=("protocol", "browser"), default="protocol",
                   help="drive those learners over Streamlit's WebSocket protocol (default) or in Chromium")
    p.add_argument("--workshop-db", help="database URL for the workshop write load (default: a throwaway SQLite "
                   "file); the load creates a workshop there")
    p.set_defaults(func=cmd_bench)
    from sandbox.cli import calibrate, workshop

    calibrate.add_commands(sub)
    workshop.add_commands(sub)
    return parser


def cmd_validate(args) -> int:
    from sandbox.cli.validate import validate_lessons, validate_paths
    from sandbox.spec.loader import LESSONS_DIR, SCENARIOS_DIR

    paths = args.paths or [SCENARIOS_DIR, LESSONS_DIR]
    course = [p for p in paths if _is_course(p)]
    problems = validate_paths([p for p in paths if p not in course])
    for folder in dict.fromkeys(p if p.is_dir() else p.parent for p in course):
        problems += validate_lessons(folder)
    for p in problems:
        print(p)
    if not problems:
        print(f"ok: {', '.join(str(p) for p in paths)} valid")
    return 1 if problems else 0


def _is_course(p: Path) -> bool:
    """A lessons folder, or a lesson, quiz or poll file in one."""
    if p.is_dir():
        return p.name == "lessons" or any(p.glob("*.md")) and not (p / "scenario.yaml").exists()
    return p.suffix == ".md" or p.name in ("quizzes.yaml", "polls.yaml")


def cmd_schema(args) -> int:
    from sandbox.spec.decisions import CATALOGUE, PlanFile
    from sandbox.spec.scenario import Scenario

    decisions = {d.id: {"phase": d.phase, "question": d.question, "default": d.default, "kind": d.kind,
                        "choices": list(d.choices)} for d in CATALOGUE}
    print(json.dumps({"scenario": Scenario.model_json_schema(), "plan": PlanFile.model_json_schema(),
                      "decisions": decisions}, indent=1, default=list))
    return 0


def cmd_run(args) -> int:
    from sandbox.spec.loader import load_plan, load_scenario

    loaded = load_scenario(args.scenario)  # the files are checked before the engine (numpy, scikit-learn) loads
    plan = load_plan(loaded, args.plan)
    from sandbox.engine import Simulation, SimulationError
    from sandbox.engine.result import to_json

    if args.dry_run:
        print(f"ready: {loaded.id} with plan '{plan.name}', seed {args.seed}, {args.difficulty}")
        return 0
    try:
        sim = Simulation(loaded, plan, args.seed, args.difficulty)
    except SimulationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    from sandbox.runs.scored import play, scored

    play(sim, None if args.quiet or not sys.stderr.isatty() else _progress)
    result = sim.result()
    if not args.no_score:
        result["score"] = scored(result, loaded)
    if args.out:
        args.out.write_text(to_json(result), encoding="utf-8")
    if args.report:
        from sandbox.reports.run import render

        args.report.write_text(render(result), encoding="utf-8")
    print(summary(result))
    if result["score"]:
        print("\n" + score_summary(result["score"]))
    if args.report:
        print(f"report written to {args.report}")
    if args.out:
        print(f"\nresult written to {args.out}")
    return 0


def _progress(sim) -> None:
    """A progress bar on the terminal, redrawn after each simulated month."""
    horizon = sim.world.horizon
    done = int(40 * sim.day / horizon)
    print(f"\r[{'#' * done}{'.' * (40 - done)}] day {int(sim.day)}/{horizon}", end="\n" if sim.finished else "",
          file=sys.stderr)


def summary(result: dict) -> str:
    k = result["kpis"]
    sc = result["scenario"]
    lines = [f"{sc['title']} — plan '{result['plan']['name']}', seed {result['seed']}, {sc['difficulty']}"]
    from sandbox.scoring.delivery import headline

    stopped = headline(result)
    if stopped:
        lines += ["", stopped]
    lines += ["", "Key figures"]
    for key, label, fmt in kpi_labels(sc.get("task", "classification")):
        value = k.get(key)
        text = "n/a" if value is None else fmt.format(value)
        lines.append(f"  {label.format(**k):<48} {text}")
    lines += ["", f"Incidents ({len(result['incidents'])})"]
    for i in result["incidents"]:
        ttd = ("never detected" if i["detected_by"] is None
               else f"detected day {i['detected_day']:.0f} by {i['detected_by']}")
        rec = "still open at the end" if i["open_at_end"] else f"recovered day {i['recovered_day']:.0f}"
        lines.append(f"  {i['id']:<7} day {i['start_day']:>5.0f}  {i['title']}: {ttd}; {rec}")
    lines += ["", f"Alerts ({len(result['alerts'])})"]
    for a in result["alerts"][:10]:
        lines.append(f"  day {a['day']:>5.0f}  {a['signal']}: {a['message']}")
    if len(result["alerts"]) > 10:
        lines.append(f"  … and {len(result['alerts']) - 10} more")
    for g in result["governance"]:
        lines.append(f"  {'passed' if g['passed'] else 'FAILED'}: {g['title']} — {g['outcome']}")
    return "\n".join(lines)


def cmd_score(args) -> int:
    from sandbox.engine.result import to_json
    from sandbox.runs.scored import scored
    from sandbox.spec.loader import load_scenario
    from sandbox.spec.yamlio import read_text_file

    try:
        result = json.loads(read_text_file(args.run, RUN_FILE_MAX_BYTES))
        scenario_id = result["scenario"]["id"]
    except LoadError as exc:
        print(exc, file=sys.stderr)
        return 1
    except (json.JSONDecodeError, KeyError, TypeError, RecursionError) as exc:
        print(f"{args.run}:1: (file): not a run result written by 'sandbox run --out' ({exc})", file=sys.stderr)
        return 1
    loaded = load_scenario(scenario_id)
    result["score"] = scored(result, loaded)
    if args.out:
        args.out.write_text(to_json(result), encoding="utf-8")
    print(score_summary(result["score"]))
    return 0


def score_summary(score: dict) -> str:
    lines = [f"Score {score['total']:.1f} / 100 — ML Test Score readiness {score['readiness']:g} "
             f"({score['band']}, weakest section: {score['readiness_section']}); impact level {score['impact_level']}"]
    for s in score["sections"]:
        lines.append(f"  {s['title']:<44} {s['points']:>5g} / {s['max_points']:g}")
    if score["improvements"]:
        lines += ["", "Most valuable improvements"]
        for n, imp in enumerate(score["improvements"], 1):
            gain = f" (+{imp['points_to_gain']:g})" if imp["points_to_gain"] > 0 else ""
            lines.append(f"  {n}. {imp['title']}{gain}: {imp['advice']}  [{imp['lesson']}]")
    return "\n".join(lines)


def cmd_serve(args) -> int:
    from sandbox.store import default_url, open_store

    url = args.db or default_url()
    try:
        open_store(url)  # create or migrate it now, so a bad URL is reported here and not in the browser
    except Exception as exc:  # any driver's error: say which URL failed and why, without a traceback
        print(f"error: cannot open the database {url}: {exc}", file=sys.stderr)
        return 1
    app = Path(__file__).resolve().parents[1] / "app" / "main.py"
    env = {**os.environ, "SANDBOX_DB_URL": url}
    print(f"MLOps Lifecycle Sandbox on http://{args.address}:{args.port} (data: {url}); Ctrl+C stops it")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.address", args.address, "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none", "--global.developmentMode", "false",
           "--client.showErrorDetails", "none", "--client.toolbarMode", "minimal",
           "--server.maxUploadSize", "2",  # MB: the app's uploads are a plan file and an events list
           # Streamlit collects all garbage after every rerun by default: a full pass over the scientific
           # stack's objects (~0.1 s each time, holding the interpreter) for every click of every learner
           "--runner.postScriptGC", "false"]
    sys.stdout.flush()
    os.execve(sys.executable, cmd, env)  # Streamlit takes this process's place: no idle parent kept in memory


def cmd_bench(args) -> int:
    from sandbox.bench import run_bench

    figures = run_bench(repeats=args.repeats, sessions=args.sessions, clients=args.clients,
                        workshop_db=args.workshop_db)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
