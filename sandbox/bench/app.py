"""The web app's figures (DESIGN §9), measured in a real browser against a real server.

* ``run_to_result_s``: a learner presses "Run the year" on a plan nobody has run before; seconds until the
  score is on the screen (the server has warmed up: the expert runs the scores compare with are cached);
* ``sessions``: that many learners at once, each signing in, starting an attempt, choosing how the data
  are cleaned and validated and saving them (nine distinct plans), and running the year; every action is
  timed from the click to the server having sent the page that shows its result; reported as the 95th
  percentile over all actions and over the runs alone, with the server's peak memory (the Streamlit
  process and its simulation workers, resident set summed).

The learners are driven at the protocol level (``sandbox.bench.load``): their browsers would run on their own
machines, and 30 Chromium pages on the server's own two cores take several times the CPU the server does.
``clients="browser"`` drives them in Chromium instead (an upper bound: the browsers compete with the server).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGETS = {"run_to_result_s": 2.0, "p95_s": 5.0, "memory_mb": 1024.0}
CLEANING = ("none", "basic", "full")
GATES = ("none", "schema", "schema_and_ranges")  # with CLEANING: nine distinct plans
STEP_TIMEOUT_MS = 300_000


def chromium() -> str | None:
    return shutil.which("chromium") or (str(Path("/usr/bin/chromium")) if Path("/usr/bin/chromium").exists()
                                        else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(db_url: str, workers: int | None = None, port: int | None = None):
    """``sandbox serve`` in the background until the block ends; yields (url, process)."""
    port = port or free_port()
    env = dict(os.environ)
    if workers is not None:
        env["SANDBOX_WORKERS"] = str(workers)
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--db", db_url],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the app did not start: "
                                       + proc.stdout.read().decode(errors="replace")[-2000:]) from None
                time.sleep(0.5)
        yield url, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):  # workers that outlive the server go too
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)


def _tree(pid: int) -> tuple[list[int], dict[int, list[str]]]:
    """A process and all its descendants, with each one's /proc stat fields (Linux)."""
    children: dict[int, list[int]] = {}
    fields: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            f = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(f[1]), []).append(int(stat.parent.name))
            fields[int(stat.parent.name)] = f
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += children.get(p, [])
    return tree, fields


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    for p in _tree(pid)[0]:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) used so far by a process and its living descendants."""
    tree, fields = _tree(pid)
    ticks = sum(int(fields[p][11]) + int(fields[p][12]) for p in tree if p in fields)
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_warm(db_url: str, scenarios: int, timeout_s: float = 300) -> None:
    """Until the server's warm-up has cached every scenario's expert run."""
    from sqlalchemy import create_engine, func, select

    from sandbox.store.tables import runs

    engine = create_engine(db_url)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        with contextlib.suppress(Exception), engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(runs)).scalar() >= scenarios:
                return
        time.sleep(1)


async def _learner(browser, url: str, index: int, timings: list[tuple[str, float]]) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)

    async def timed(name: str, action, until):
        t0 = time.perf_counter()
        await action()
        await until.wait_for()
        timings.append((name, time.perf_counter() - t0))

    await timed("open", lambda: page.goto(url), page.get_by_role("button", name="Begin"))
    await page.get_by_role("textbox", name="Display name").fill(f"Learner {index}")
    await timed("sign in", page.get_by_role("button", name="Begin").click, page.get_by_text("Start a new attempt"))
    await page.get_by_role("combobox", name="Scenario").click()
    await page.get_by_role("combobox", name="Scenario").fill("Welfare benefits claim triage")
    await page.keyboard.press("Enter")
    await page.wait_for_function("() => document.querySelector('input[aria-label=\"Scenario\"]')?.value"
                                 " === 'Welfare benefits claim triage'")
    await timed("start", page.get_by_role("button", name="Start", exact=True).click,
                page.get_by_role("heading", level=1, name="Problem definition"))
    await timed("open phase", page.get_by_role("link", name="2. Data management").click,
                page.get_by_role("heading", level=1, name="Data management"))
    box = page.get_by_role("combobox", name="How are the data cleaned?")
    await box.click()
    await box.fill(CLEANING[index % 3])
    await page.keyboard.press("Enter")
    gate = page.get_by_role("combobox", name="Validate each incoming batch before scoring?")
    await gate.click()
    await gate.fill(GATES[(index // 3) % 3])
    await page.keyboard.press("Enter")
    await timed("save decisions", page.get_by_role("button", name="Save decisions").click,
                page.get_by_text("decisions saved"))
    await timed("open play", page.get_by_role("link", name="Play the year").click,
                page.get_by_role("heading", level=1, name="Play the year"))
    await timed("run the year", page.get_by_role("button", name="Run the year").click,
                page.get_by_text("/ 100").first)
    await context.close()


async def _drive(url: str, learners: int, exe: str, first: int = 0) -> list[tuple[str, float]]:
    from playwright.async_api import async_playwright

    timings: list[tuple[str, float]] = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=exe, args=FLAGS)
        try:
            await asyncio.gather(*(_learner(browser, url, first + i, timings) for i in range(learners)))
        finally:
            await browser.close()
    return timings


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def app_figures(sessions: int = 30, out=print, clients: str = "protocol") -> dict:
    exe = chromium()
    if exe is None:
        out("app figures skipped: Chromium is not installed (apt-get install chromium)")
        return {"skipped": "Chromium is not installed"}
    from sandbox.spec.loader import SCENARIOS_DIR

    scenarios = len(list(SCENARIOS_DIR.glob("*/scenario.yaml")))
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with served(db_url) as (url, proc):
            asyncio.run(_drive(url, 1, exe, first=8))  # starts the worker processes, as the first visitor does
            wait_warm(db_url, scenarios + 1)
            one = asyncio.run(_drive(url, 1, exe, first=7))  # a plan not run before
            run_to_result = dict(one)["run the year"]
            peak = [tree_rss_mb(proc.pid)]
            stop = threading.Event()

            def sample():
                while not stop.wait(0.5):
                    peak.append(tree_rss_mb(proc.pid))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            t0, server_cpu, client_cpu = time.perf_counter(), tree_cpu_s(proc.pid), time.process_time()
            if clients == "browser":
                many = asyncio.run(_drive(url, sessions, exe))
            else:
                from sandbox.bench.load import drive

                many = asyncio.run(drive(url, sessions, CLEANING, GATES))
            wall = time.perf_counter() - t0
            server_cpu, client_cpu = tree_cpu_s(proc.pid) - server_cpu, time.process_time() - client_cpu
            stop.set()
            sampler.join()
    runs = [t for name, t in many if name == "run the year"]
    figures = {"run_to_result_s": round(run_to_result, 3), "sessions": sessions, "clients": clients,
               "actions": len(many),
               "p95_s": round(p95([t for _, t in many]), 3), "p95_run_s": round(p95(runs), 3),
               "wall_s": round(wall, 1), "memory_mb": round(max(peak), 1),
               "server_cpu_s": round(server_cpu, 1), "client_cpu_s": round(client_cpu, 1),
               "p95_by_action_s": {name: round(p95([t for n, t in many if n == name]), 3)
                                   for name in dict.fromkeys(n for n, _ in many)}}
    out(f"app run_to_result = {figures['run_to_result_s']:.2f} s (target <= {TARGETS['run_to_result_s']})")
    out(f"app {sessions} learners at once ({clients} clients): p95 response {figures['p95_s']:.2f} s "
        f"over {len(many)} actions "
        f"(target <= {TARGETS['p95_s']}); p95 of 'run the year' {figures['p95_run_s']:.2f} s; all done in "
        f"{figures['wall_s']:.0f} s, using {figures['server_cpu_s']:.0f} CPU-s on the server and "
        f"{figures['client_cpu_s']:.0f} in this process's clients")
    out("app p95 by action: " + ", ".join(f"{k} {v:.2f} s" for k, v in figures["p95_by_action_s"].items()))
    out(f"app server memory peak = {figures['memory_mb']:.0f} MB (target <= {TARGETS['memory_mb']:.0f})")
    return figures
