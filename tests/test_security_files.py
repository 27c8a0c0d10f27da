"""Hostile and careless files never take a server or a terminal down: YAML alias bombs (flow and block style),
deep nesting, huge lists, a scenario that is a link to ``/dev/zero`` or a FIFO. Each is refused with its file
and line, in under 5 s and 300 MB, by ``sandbox validate``, by ``sandbox run`` and by the app's plan upload;
messages quote at most 80 characters of a rejected value."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, open_page
from streamlit.testing.v1 import AppTest
from test_app_workshop import db  # noqa: F401  (the fixture: an empty store the app uses)

import sandbox.app
from sandbox.app import pages
from sandbox.spec.yamlio import AUTHORED, PLAN, QUOTE_MAX, LoadError, parse_yaml_text, quote, read_yaml

MAIN = str(Path(sandbox.app.__file__).parent / "main.py")
SCENARIO = "benefits-triage"
LIMIT_S, LIMIT_MB = 5.0, 300


def flow_bomb(levels: int = 10, width: int = 9) -> str:
    """``a: &a [x, x, …]``, ``b: &b [*a, *a, …]``, …: 2 KB that stand for ``width ** levels`` values."""
    lines = ["name: bomb", "decisions:", "  model.algorithm: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        lines.append(f"  x{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    lines.append(f"  data.sources: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def block_bomb(levels: int = 10, width: int = 9) -> str:
    lines = ["name: bomb", "decisions:", "  model.algorithm: &l0", *(["  - lol"] * width)]
    for i in range(1, levels):
        lines += [f"  x{i}: &l{i}", *([f"  - *l{i - 1}"] * width)]
    lines.append(f"  data.sources: *l{levels - 1}")
    return "\n".join(lines) + "\n"


def deep(levels: int = 10_000) -> str:
    return "name: deep\ndecisions:\n  data.sources: " + "[" * levels + "]" * levels + "\n"


def long_list(n: int) -> str:
    return "name: long\ndecisions:\n  data.sources: [" + ",".join(["x"] * n) + "]\n"


PLANS = {"flow alias bomb": flow_bomb(), "block alias bomb": block_bomb(), "deep nesting": deep(),
         "a list of 400,000 items": long_list(400_000)[:PLAN.max_bytes - 2] + "]\n",
         "a 3 MB file": long_list(1_500_000)}
WORDS = {"flow alias bomb": "once its aliases are expanded", "block alias bomb": "once its aliases are expanded",
         "deep nesting": "nests more than 50 levels", "a list of 400,000 items": "more than 20,000 values",
         "a 3 MB file": "more than the 1.0 MB"}


# A child's peak memory counts what it inherited when it was forked, and the test process is large: the command
# is started by a small Python of its own, which reports its child's peak (``os.wait4``) into a file.
_PEAK = """import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def _measured(args: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """Run a command; its exit status, output, seconds and peak memory (MB) of its own process."""
    report = cwd / "peak.txt"
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _PEAK, str(report), *args], cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=120).stdout.decode()
    seconds = time.perf_counter() - start
    code, kb = map(int, report.read_text().split())
    return code, out, seconds, kb / 1024


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / SCENARIO
    shutil.copytree(ROOT / "scenarios" / SCENARIO, folder)
    return folder


@pytest.mark.parametrize("kind", list(PLANS))
def test_a_hostile_plan_is_refused_quickly_by_validate_and_run(tmp_path, kind):
    folder = _folder(tmp_path)
    plan = folder / "plans" / "hostile.yaml"
    plan.write_text(PLANS[kind])
    for args in (["validate", str(folder)], ["run", str(folder), "--plan", str(plan)]):
        code, out, seconds, mb = _measured([sys.executable, "-m", "sandbox", *args], tmp_path)
        assert code == 1 and f"{plan}:" in out and WORDS[kind] in out, out[:2000]
        assert "Traceback" not in out and len(out) < 4000
        assert seconds < LIMIT_S and mb < LIMIT_MB, (args[0], seconds, mb)


@pytest.mark.parametrize("kind", ["a link to /dev/zero", "a FIFO", "an alias bomb", "too large"])
def test_a_hostile_scenario_file_is_refused_quickly(tmp_path, kind):
    folder = _folder(tmp_path)
    target = folder / "scenario.yaml"
    target.unlink()
    if kind == "a link to /dev/zero":
        target.symlink_to("/dev/zero")
    elif kind == "a FIFO":
        os.mkfifo(target)  # nothing ever writes to it: reading it would wait for ever
    elif kind == "an alias bomb":
        target.write_text(flow_bomb(levels=12).replace("decisions:", "stuff:"))
    else:
        target.write_text("id: x\n" + "#" * (AUTHORED.max_bytes + 10))
    for args in (["validate", str(folder)], ["run", str(folder)]):
        code, out, seconds, mb = _measured([sys.executable, "-m", "sandbox", *args], tmp_path)
        assert code == 1 and f"{target}:" in out and "Traceback" not in out, out[:2000]
        assert seconds < LIMIT_S and mb < LIMIT_MB, (kind, args[0], seconds, mb)


def test_the_limits_hold_inside_one_process_too(tmp_path):
    for kind, text in PLANS.items():
        start = time.perf_counter()
        with pytest.raises(LoadError) as err:
            parse_yaml_text(tmp_path / "p.yaml", text, limits=PLAN)
        assert time.perf_counter() - start < LIMIT_S and WORDS[kind] in str(err.value), kind
    (tmp_path / "link.yaml").symlink_to("/dev/zero")
    with pytest.raises(LoadError, match="not a regular file"):
        read_yaml(tmp_path / "link.yaml")
    cyclic = "a: &a [1, *a]\n"
    with pytest.raises(LoadError, match="refers to a node that holds it"):
        parse_yaml_text(tmp_path / "c.yaml", cyclic)
    ok = "name: fine\ndecisions:\n  data.sources: &s [primary]\n  x: *s\n"  # an ordinary alias still works
    assert parse_yaml_text(tmp_path / "ok.yaml", ok, limits=PLAN).data["decisions"]["x"] == ["primary"]


def test_messages_quote_a_bounded_piece_of_a_rejected_value(tmp_path):
    from sandbox.spec.loader import load_plan, load_scenario

    assert quote(list(range(10**6))).startswith("[0, 1, 2") and len(quote(list(range(10**6)))) <= QUOTE_MAX
    assert len(quote("x" * 10_000)) == QUOTE_MAX
    loaded = load_scenario(SCENARIO)
    for value in ("[" + ", ".join(["x" * 50] * 300) + "]", "'" + "y" * 5000 + "'", "[[a, b], [c]]"):
        plan = tmp_path / "p.yaml"
        plan.write_text(f"name: p\ndecisions:\n  model.algorithm: {value}\n  data.sources: {value}\n"
                        f"  scenario.staffing: {value}\n")
        with pytest.raises(LoadError) as err:
            load_plan(loaded, plan)
        fields = {p.field: p.message for p in err.value.problems}
        assert set(fields) == {"decisions.model.algorithm", "decisions.data.sources", "decisions.scenario.staffing"}
        assert all(len(m) < 400 for m in fields.values()), fields


# ---------------------------------------------------------------------- the app's upload


def _play_page(db) -> tuple[AppTest, dict]:  # noqa: F811
    from sandbox.spec.loader import load_plan, load_scenario

    me = db.create_learner("Grace")
    plan = {**load_plan(load_scenario(SCENARIO), None).to_dict(), "name": "my-plan"}
    attempt = db.attempt(db.new_attempt(me["id"], SCENARIO, "standard", 1, plan, "play"))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.query_params["learner"], at.query_params["attempt"] = me["token"], str(attempt["id"])
    at.run()
    open_page(at, pages.PLAY).run()
    assert not at.exception and at.title[0].value == "Play the year"
    return at, attempt


@pytest.mark.parametrize("kind", list(PLANS))
def test_a_hostile_upload_is_refused_on_the_page_and_changes_nothing(db, kind):  # noqa: F811
    import tracemalloc

    at, attempt = _play_page(db)
    start = time.perf_counter()
    tracemalloc.start()
    try:
        at.file_uploader[0].upload("hostile.yaml", PLANS[kind].encode(), "application/yaml").run()
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20  # what the page allocated to refuse it
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < LIMIT_S and peak_mb < LIMIT_MB, peak_mb
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert "nothing was changed" in error.lower() and len(error) < 2000, error[:300]
    assert db.attempt(attempt["id"])["plan"] == attempt["plan"]
