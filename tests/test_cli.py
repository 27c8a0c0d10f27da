from __future__ import annotations

import json

from sandbox.cli import main


def test_run_naive_and_expert_print_summaries(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["run", "benefits-triage", "--plan", "naive", "--seed", "1", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "Key figures" in text and "Incidents" in text and "FAILED" in text
    assert json.loads(out.read_text())["plan"]["name"] == "naive"
    assert main(["run", "benefits-triage", "--plan", "expert", "--quiet"]) == 0
    assert "passed: National auditor" in capsys.readouterr().out


def test_expert_beats_naive_on_harms_and_governance():
    from tests.conftest import run_flagship

    expert, naive = run_flagship("expert"), run_flagship("naive")
    assert expert["kpis"]["harms"] < naive["kpis"]["harms"] / 1.5
    assert expert["kpis"]["governance_failed"] == 0 < naive["kpis"]["governance_failed"]
    assert expert["kpis"]["mean_time_to_detect_days"] < naive["kpis"]["mean_time_to_detect_days"]
