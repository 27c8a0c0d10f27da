"""Direction of effect: each decision changes outcomes the way a practitioner expects (same seed, same events)."""

from __future__ import annotations

from tests.conftest import run_flagship


def _incident(result, kind):
    return next(i for i in result["incidents"] if i["kind"] == kind)


def _harms_between(result, start, end):
    return sum(r["harms"] for r in result["timeline"] if start <= r["day"] < end)


def test_validation_gate_lowers_harms_after_a_schema_change():
    base = dict(problem__oversight="review_adverse", data__sources=["employment_register", "benefits_mainframe"])
    without = run_flagship("naive", **base)
    with_gate = run_flagship("naive", data__validation_gate="schema_and_ranges", **base)
    assert _harms_between(with_gate, 150, 200) < _harms_between(without, 150, 200)
    assert _incident(with_gate, "schema_change")["detected_by"] == "validation gate"


def test_orchestration_shortens_a_serving_outage():
    manual = run_flagship("naive", deployment__infrastructure="manual_server")
    orchestrated = run_flagship("naive", deployment__infrastructure="orchestrated")
    assert orchestrated["kpis"]["availability"] > manual["kpis"]["availability"]
    crash = "serving_crash"
    assert _incident(orchestrated, crash)["duration_days"] < _incident(manual, crash)["duration_days"]


def test_canary_with_rollback_limits_a_bad_release():
    # without a monitor on the model's scores (which would also catch it), the canary is the safeguard
    signals = ["data_drift", "performance", "fairness", "system_health"]
    big_bang = run_flagship("expert", deployment__strategy="big_bang", deployment__automated_rollback=False,
                            monitoring__signals=signals)
    canary = run_flagship("expert", monitoring__signals=signals)
    assert _harms_between(canary, 240, 260) < _harms_between(big_bang, 240, 260)
    assert _incident(canary, "bad_release")["duration_days"] < _incident(big_bang, "bad_release")["duration_days"]


def test_drift_monitoring_detects_drift_before_labels_do():
    drift = run_flagship("expert", monitoring__signals=["data_drift"])
    labels = run_flagship("expert", monitoring__signals=["performance"])
    t_drift = _incident(drift, "covariate_drift")["detected_day"]
    t_labels = _incident(labels, "covariate_drift")["detected_day"]
    assert t_drift is not None and (t_labels is None or t_drift < t_labels)


def test_more_caseworkers_shorten_waits():
    few = run_flagship("naive", problem__oversight="review_all")
    many = run_flagship("naive", problem__oversight="review_all", scenario__staffing="expanded")
    assert many["kpis"]["mean_wait_days"] < few["kpis"]["mean_wait_days"]


def test_human_review_lowers_wrongful_denials_and_raises_backlog():
    automated = run_flagship("naive")
    reviewed = run_flagship("naive", problem__oversight="review_adverse")
    assert reviewed["kpis"]["wrongful_adverse_decisions"] < automated["kpis"]["wrongful_adverse_decisions"]
    assert reviewed["kpis"]["backlog_mean"] > automated["kpis"]["backlog_mean"]
    assert reviewed["kpis"]["mean_wait_days"] > 0


def test_data_versioning_makes_rollback_and_audit_succeed():
    kept = run_flagship("expert", deployment__strategy="big_bang")
    lost = run_flagship("expert", deployment__strategy="big_bang", data__versioning=False)
    assert _incident(kept, "bad_release")["duration_days"] < _incident(lost, "bad_release")["duration_days"]
    assert any("rollback impossible" in n for n in _incident(lost, "bad_release")["notes"])
    audit = {g["kind"]: g["passed"] for g in kept["governance"]}, {g["kind"]: g["passed"] for g in lost["governance"]}
    assert audit[0]["audit_request"] and not audit[1]["audit_request"]
