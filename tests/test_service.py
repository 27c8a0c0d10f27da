"""The service the app calls: cached runs, step mode by replay, the drift report drawn offline."""

import re

import pytest

from sandbox.runs.service import Runner, run_key
from sandbox.spec.loader import load_plan, load_scenario
from sandbox.store import open_store

SID = "benefits-triage"


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    return Runner(open_store(f"sqlite:///{tmp_path_factory.mktemp('svc') / 's.db'}"), workers=0)


@pytest.fixture(scope="module")
def naive():
    return load_plan(load_scenario(SID), "naive").to_dict()


def test_a_run_is_computed_once_and_then_served_from_the_store(runner, naive):
    seen = []
    key, first = runner.run(SID, naive, 1, "standard", seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and seen == sorted(seen)
    assert key == run_key(SID, naive, 1, "standard")
    assert runner.store.get_run(key) == first
    seen.clear()
    _, again = runner.run(SID, naive, 1, "standard", seen.append)
    assert again == first and not seen  # from the cache: no simulation, no progress
    expert = runner.reference(SID, 1, "standard")
    assert first["score"]["reference_plan"] == expert["plan"]["name"]
    assert expert["score"]["total"] > first["score"]["total"]


def test_step_mode_replays_the_same_run_as_one_batch_of_the_same_actions(runner, naive):
    out = runner.step(SID, naive, 2, "standard", [], {"op": "advance", "days": 45})
    again = Runner(None, workers=0).step(SID, naive, 2, "standard", out["actions"], {"op": "state"})
    assert again["state"]["day"] == out["state"]["day"] > 0
    assert again["state"]["timeline"] == out["state"]["timeline"]
    assert all(e["day"] <= out["state"]["day"] for e in out["state"]["events"])  # nothing of the future


def test_the_drift_report_is_evidently_html_that_needs_no_network(runner, naive):
    html = runner.drift_report(SID, naive, 1, "standard", [], 100, 106)
    assert "<html" in html.lower() and len(html) > 10_000
    external = re.findall(r"""(?:src|href)\\s*=\\s*["']https?://[^"']+""", html)
    assert not external, external[:3]


def test_an_empty_drift_window_is_a_clear_error(runner, naive):
    with pytest.raises(ValueError, match="no cases"):
        runner.drift_report(SID, naive, 1, "standard", [], 500, 510)


def test_identical_runs_asked_for_at_once_are_simulated_once(tmp_path, naive, monkeypatch):
    import threading

    import sandbox.runs.service as service

    calls = []
    real = service.simulate

    def counting(*args):
        calls.append(args[:4])
        return real(*args)

    monkeypatch.setattr(service, "simulate", counting)
    runner = Runner(open_store(f"sqlite:///{tmp_path / 's.db'}"), workers=0)
    runner.reference(SID, 3, "introductory")  # the expert's run, so the count below is the learners' alone
    calls.clear()
    results = []
    threads = [threading.Thread(target=lambda: results.append(runner.run(SID, naive, 3, "introductory")))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(results) == 4
    assert len({key for key, _ in results}) == 1 and all(r == results[0][1] for _, r in results)


def test_running_the_expert_plan_itself_returns_the_reference_without_waiting_on_itself():
    import threading

    from sandbox.runs.service import expert_plan

    out = []
    worker = threading.Thread(target=lambda: out.append(Runner(None, workers=0).run(
        SID, expert_plan(SID), 4, "introductory")), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert out, "running the expert's own plan never finished"
    assert out[0][1]["score"]["total"] > 85


def test_waiting_on_a_pool_run_passes_on_its_progress_and_returns_when_it_is_done():
    """The waiting thread hands every progress report on, in order, and returns as soon as the run ends,
    not after another wait on the (now silent) progress queue."""
    import queue
    import threading
    import time
    from concurrent.futures import Future

    from sandbox.runs.service import _wait

    future, progress, seen = Future(), queue.Queue(), []

    def work():
        for share in (0.25, 0.5, 1.0):
            progress.put(share)
        future.set_result({"done": True})

    threading.Timer(0.05, work).start()
    t0 = time.perf_counter()
    assert _wait(future, progress, seen.append, poll_s=30) == {"done": True}
    assert time.perf_counter() - t0 < 10  # far below the 30 s poll: it returned on completion
    assert seen == [0.25, 0.5, 1.0]


def test_a_prefetched_run_is_the_one_the_click_gets_and_a_busy_server_prefetches_nothing(tmp_path, naive,
                                                                                         monkeypatch):
    import threading
    import time

    import sandbox.runs.service as service

    runner = Runner(open_store(f"sqlite:///{tmp_path / 's.db'}"), workers=0)
    assert not runner.prefetch(SID, naive, 5, "introductory"), "no prefetch into the caller's own thread"
    assert not Runner(None, workers=1).prefetch(SID, naive, 5, "introductory"), "one worker stays free for others"
    runner.reference(SID, 5, "introductory")
    calls, started, release = [], threading.Event(), threading.Event()

    def slow(scenario_id, plan, seed, difficulty, reference, on_progress):
        calls.append(seed)
        started.set()
        release.wait(60)
        return service.simulate(scenario_id, plan, seed, difficulty, reference, service._Callback(on_progress))

    runner.workers = 2  # the pool is this test's own threads
    monkeypatch.setattr(runner, "_simulate", slow)
    assert runner.prefetch(SID, naive, 5, "introductory")
    assert started.wait(60)
    assert not runner.prefetch(SID, naive, 6, "introductory"), "a busy server prefetches nothing"
    clicked = []
    click = threading.Thread(target=lambda: clicked.append(runner.run(SID, naive, 5, "introductory")))
    click.start()
    time.sleep(0.2)
    release.set()
    click.join(120)
    assert calls == [5], "the click waited on the prefetched run instead of simulating again"
    assert clicked and clicked[0][1]["score"]["total"] is not None
    assert runner.cached(clicked[0][0]) == clicked[0][1]
