"""Checks the plan runs on the live service: the validation gate and the monitors.

Each monitor reads only what would be known at the time of the check: the
batches received, the model's scores, and the labels that have arrived.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox import drift
from sandbox.engine.records import Alert

GATE_UNKNOWN_SHARE = 0.01
GATE_MISSING_MARGIN = 0.10
CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}
PERFORMANCE_WINDOW_DAYS = 28
MIN_WINDOW_DAYS = 7  # a daily check looks at the trailing week, as production monitors do
MIN_LABELS = 100
LABEL_SILENCE_DAYS = 7


def make_reference(world, model, X) -> None:
    """Remember what the training data looked like, for the gate and the drift monitors."""
    numeric = {c: X[c].to_numpy(dtype=float) for c in model.numeric}
    categorical = {c: X[c].to_numpy(dtype=object) for c in model.categorical}
    world.reference = drift.Reference(numeric, categorical)
    world.gate_ref = {
        "domains": {c: set(map(str, drift.present(x))) for c, x in categorical.items()},
        "ranges": {c: (np.nanpercentile(x, 5), np.nanpercentile(x, 95)) for c, x in numeric.items() if len(x)},
        "missing": {c: float(X[c].isna().mean()) for c in [*numeric, *categorical]},
    }


def gate_problems(world, cols) -> list[str]:
    """Schema: known categories only. Ranges: medians inside the reference's 5–95% band, missing shares stable."""
    ref, problems = world.gate_ref, []
    for c, domain in ref["domains"].items():
        values = drift.present(cols[c]).astype(str)
        unknown = float(np.isin(values, list(domain), invert=True).mean()) if len(values) else 0.0
        if unknown > GATE_UNKNOWN_SHARE:
            problems.append(f"{c}: {unknown:.0%} unknown categories")
    if world.plan["data.validation_gate"] != "schema_and_ranges":
        return problems
    for c, (lo, hi) in ref["ranges"].items():
        x = np.asarray(cols[c], dtype=float)
        if np.isnan(x).all():
            continue
        median = float(np.nanmedian(x))
        if not lo <= median <= hi:
            problems.append(f"{c}: median {median:.4g} outside expected {lo:.4g}–{hi:.4g}")
    for c, share in ref["missing"].items():
        missing = float(pd.isna(cols[c]).mean())
        if missing > share + GATE_MISSING_MARGIN:
            problems.append(f"{c}: {missing:.0%} missing (expected about {share:.0%})")
    return problems


def _window_size(world, d: int) -> int:
    return sum(len(world.logs[k].y) for k in range(max(0, d + 1 - MIN_WINDOW_DAYS), d + 1) if k in world.logs)


def window(world, start: int, end: int) -> dict[str, np.ndarray]:
    days = [world.logs[d] for d in range(start, end) if d in world.logs]
    if not days:
        return {}
    out = {c: np.concatenate([log.cols[c] for log in days]) for c in [*world.reference.numeric,
                                                                        *world.reference.categorical]}
    out["_scores"] = np.concatenate([log.scores for log in days])
    out["_decision"] = np.concatenate([log.decision for log in days])
    out["_group"] = np.concatenate([log.group for log in days])
    return out


def daily_drift(world, d: int) -> drift.DriftCheck | None:
    """Drift over the trailing week against the current reference (recorded for every day, computed once)."""
    if world.reference is None or d not in world.logs:
        return None
    key = (d, id(world.reference))
    if world.drift_cache.get("key") != key:
        data = window(world, max(0, d + 1 - MIN_WINDOW_DAYS), d + 1)
        world.drift_cache = {"key": key, "check": drift.check(
            world.reference, data, world.plan["monitoring.drift_threshold"], world.plan["monitoring.drift_share"])}
    return world.drift_cache["check"]


def run_checks(world, d: int, cadence: int) -> list[Alert]:
    """The plan's monitors over the trailing window; alerts fire when a signal starts failing."""
    signals = set(world.plan["monitoring.signals"]) - {"system_health"}
    if world.reference is None:
        return []
    data = window(world, max(0, d + 1 - max(cadence, MIN_WINDOW_DAYS)), d + 1)
    found = _check_signals(world, d, signals, data)
    failing = {a.signal for a in found}
    new = [a for a in found if a.signal not in world.firing]
    world.firing = (world.firing & {"system_health"}) | failing
    return new


def _check_signals(world, d: int, signals: set[str], data: dict) -> list[Alert]:
    alerts: list[Alert] = []
    if "data_drift" in signals and data:
        res = daily_drift(world, d) if len(data["_scores"]) == _window_size(world, d) else drift.check(
            world.reference, data, world.plan["monitoring.drift_threshold"], world.plan["monitoring.drift_share"])
        if res.dataset_drift:
            alerts.append(Alert(world.now, "data_drift", f"{len(res.drifted)} of {len(res.columns)} columns drifted"
                                f" ({', '.join(res.drifted)})", res.share, world.plan["monitoring.drift_share"]))
    if "prediction_drift" in signals and data:
        alerts += _prediction_drift(world, data)
    if "performance" in signals:
        alerts += _performance(world, d)
    if "fairness" in signals and data:
        alerts += _fairness(world, data)
    return alerts


def _prediction_drift(world, data) -> list[Alert]:
    scores = data["_scores"][~np.isnan(data["_scores"])]
    ref = world.reference_scores
    if len(scores) < 50 or ref is None:
        return []
    value = drift.wasserstein_sorted(ref, np.sort(scores)) / max(float(np.std(ref)), 0.001)
    threshold = world.plan["monitoring.drift_threshold"]
    if value < threshold:
        return []
    return [Alert(world.now, "prediction_drift", f"model scores drifted (normalised Wasserstein {value:.2f})",
                  value, threshold)]


def labelled_cases(world, start: int, end: int, known_by: float):
    """True labels (or caseworker decisions fed back) known by ``known_by``, for cases from [start, end)."""
    ys, preds, groups = [], [], []
    for d in range(max(start, 0), end):
        log = world.logs.get(d)
        if log is None:
            continue
        known = (log.label_day <= known_by) & ~np.isnan(log.decision)
        ys.append(log.y[known])
        preds.append(log.decision[known])
        groups.append(log.group[known])
    if not ys:
        return np.array([]), np.array([]), np.array([])
    return np.concatenate(ys), np.concatenate(preds), np.concatenate(groups)


def _performance(world, d: int) -> list[Alert]:
    y, pred, _ = labelled_cases(world, d - PERFORMANCE_WINDOW_DAYS - world.sc.timeline.label_delay_days, d + 1,
                                world.now)
    recent_labels = any((log.label_day > world.now - LABEL_SILENCE_DAYS).any() & (log.label_day <= world.now).any()
                        for log in world.logs.values() if log.day >= d - 120)
    alerts = []
    if d > world.sc.timeline.label_delay_days + LABEL_SILENCE_DAYS and not recent_labels:
        alerts.append(Alert(world.now, "performance", f"no labels have arrived for {LABEL_SILENCE_DAYS} days"))
    if len(y) < MIN_LABELS or world.baseline_metric is None:
        return alerts
    value = _metric(world, y, pred)
    tolerance = world.plan["monitoring.performance_tolerance"]
    worse = value > world.baseline_metric + tolerance if world.sc.task.type == "regression" \
        else value < world.baseline_metric - tolerance
    if worse:
        alerts.append(Alert(world.now, "performance", f"observed metric {value:.3f} vs {world.baseline_metric:.3f}"
                            " at release", value, world.baseline_metric))
    return alerts


def _metric(world, y, pred) -> float:
    if world.sc.task.type == "regression":
        return float(np.mean(np.abs(y - pred)))
    return float(np.mean(y == pred))


def _fairness(world, data) -> list[Alert]:
    gap = selection_gap(data["_decision"], data["_group"])
    limit = world.sc.policy.fairness.max
    if gap is None or gap <= limit:
        return []
    return [Alert(world.now, "fairness", f"selection-rate gap {gap:.3f} exceeds the agency's limit {limit:g}",
                  gap, limit)]


def selection_gap(decision: np.ndarray, group: np.ndarray) -> float | None:
    """Demographic parity difference of adverse decisions (as fairlearn computes it), in numpy."""
    ok = ~np.isnan(decision)
    if ok.sum() == 0:
        return None
    decision, group = decision[ok], group[ok].astype(str)
    rates = [float(decision[group == g].mean()) for g in np.unique(group)]
    return max(rates) - min(rates)


def health_problems(world, d: int) -> list[str]:
    log = world.logs.get(d)
    if log is None:
        return []
    out = []
    if not log.counts["up"]:
        out.append("scoring service is down")
    scored_share = 1 - log.counts["unscored"] / max(log.counts["cases"], 1)
    if log.counts["up"] and log.counts["gate_ok"] and world.champion is not None and scored_share < 0.95:
        out.append(f"only {scored_share:.0%} of cases could be scored")
    return out

