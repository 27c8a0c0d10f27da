"""Checks the plan runs on the live service: the validation gate and the monitors.

Each monitor reads only what would be known at the time of the check: the
batches received, the model's scores, and the labels that have arrived.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.engine.records import Alert
from sandbox.ml import drift
from sandbox.spec.scenario import fairness_words

GATE_UNKNOWN_SHARE = 0.01
GATE_MISSING_MARGIN = 0.10
PERFORMANCE_WINDOW_DAYS = 28
MIN_WINDOW_DAYS = 7  # a daily check looks at the trailing week, as production monitors do
MIN_LABELS = 100
LABEL_SILENCE_DAYS = 7


def make_reference(world, model, X) -> None:
    """Remember what the training data looked like, for the gate and the drift monitors."""
    numeric = {c: X[c].to_numpy(dtype=float) for c in model.numeric}
    categorical = {c: X[c].to_numpy(dtype=object) for c in model.categorical}
    world.monitors.reference = drift.Reference(numeric, categorical)
    world.monitors.gate_ref = {
        "domains": {c: set(map(str, drift.present(x))) for c, x in categorical.items()},
        "ranges": {c: (np.nanpercentile(x, 5), np.nanpercentile(x, 95)) for c, x in numeric.items() if len(x)},
        "missing": {c: float(X[c].isna().mean()) for c in [*numeric, *categorical]},
    }
    world.monitors.gate_seen.clear()


def gate_problems(world, cols, memo: dict) -> list[str]:
    """Schema: known categories only. Ranges: medians inside the reference's 5–95% band, missing shares stable."""
    ref, problems = world.monitors.gate_ref, []
    for c, domain in ref["domains"].items():
        tally = column_counts(memo, cols, c)
        total = sum(tally.values())
        unknown = sum(v for k, v in tally.items() if k not in domain) / total if total else 0.0
        if unknown > GATE_UNKNOWN_SHARE:
            problems.append(f"{c}: {unknown:.0%} unknown categories")
    if world.plan["data.validation_gate"] != "schema_and_ranges":
        return problems
    numbers = summary_of(world, cols, memo).numeric
    medians = dict(zip(world.monitors.reference.numeric, numbers.medians(), strict=True))
    present = dict(zip(world.monitors.reference.numeric, numbers.sizes(), strict=True))
    seen = world.monitors.gate_seen
    for c, (lo, hi) in ref["ranges"].items():
        if present[c] and not lo <= medians[c] <= hi:
            problems.append(f"{c}: median {medians[c]:.4g} outside expected {lo:.4g}–{hi:.4g}")
            seen.setdefault(("range", c), []).append(float(medians[c]))
    for c, share in ref["missing"].items():
        if c in ref["domains"]:
            missing = 1 - sum(column_counts(memo, cols, c).values()) / max(len(cols[c]), 1)
        else:
            missing = 1 - present[c] / max(len(cols[c]), 1)
        if missing > share + GATE_MISSING_MARGIN:
            problems.append(f"{c}: {missing:.0%} missing (expected about {share:.0%})")
            seen.setdefault(("missing", c), []).append(float(missing))
    return problems


def widen_gate(world) -> list[str]:
    """After a person has checked that the batches the range checks held back are real (the world changed; no
    feed is broken), the expected ranges and missing shares are widened to take in what was seen, with a margin
    of a tenth of the range; the schema (known categories) is left to the data owners. Returns what changed."""
    ref, changed = world.monitors.gate_ref, []
    for (check, c), values in sorted(world.monitors.gate_seen.items()):
        if check == "range":
            lo, hi = ref["ranges"][c]
            margin = 0.1 * (hi - lo)
            lo, hi = min(lo, min(values) - margin), max(hi, max(values) + margin)
            ref["ranges"][c] = (lo, hi)
            changed.append(f"{c} now expected {lo:.4g}–{hi:.4g}")
        else:
            ref["missing"][c] = max(ref["missing"][c], max(values))
            changed.append(f"{c} now expected up to {ref['missing'][c]:.0%} missing")
    world.monitors.gate_seen.clear()
    return changed


# ---------------------------------------------------------------------- per-day aggregates
# Each day's log is fixed once its batch is processed, so what the monitors need of it
# (drift summaries, per-group selection counts, label and accuracy sums) is computed once
# and kept in ``log.memo``; windows merge the days' aggregates instead of raw cases.

def column_counts(memo: dict, cols, c: str) -> dict[str, int]:
    key = ("counts", c)
    if key not in memo:
        memo[key] = drift.counts(cols[c])
    return memo[key]


def summary_of(world, cols, memo: dict) -> drift.Summary:
    """A day's batch as the drift checks and the gate see it, against the current reference's columns."""
    ref = world.monitors.reference
    key = ("summary", *ref.numeric, "|", *ref.categorical)
    if key not in memo:
        memo[key] = drift.Summary(drift.Numbers.of([cols[c] for c in ref.numeric]),
                                  {c: column_counts(memo, cols, c) for c in ref.categorical})
    return memo[key]


def day_summary(world, log) -> drift.Summary:
    """A day's summary with its values placed in the current reference (kept until the reference changes)."""
    placed = log.memo.get("placed")
    if placed is None or placed.numeric.placed_in is not world.monitors.reference:
        summary = summary_of(world, log.cols, log.memo)
        placed = log.memo["placed"] = drift.Summary(world.monitors.reference.place(summary.numeric), summary.counts)
    return placed


SELECTION, CONFUSION, ABS_ERROR = "selection", "confusion", "abs_error"


def fairness_kind(sc) -> str:
    """What the agency's fairness metric needs of each group's cases: selection counts (demographic parity,
    no outcomes needed), confusion counts (equalized odds, accuracy gap) or absolute errors (a forecast)."""
    if sc.task.type == "regression":
        return ABS_ERROR
    return SELECTION if sc.policy.fairness.metric == "demographic_parity_difference" else CONFUSION


def fairness_name(sc) -> str:
    return fairness_words(sc.policy.fairness.metric, sc.task.type)


def group_counts(log, kind: str, now: float | None = None) -> dict[str, list[float]]:
    """Per group, what ``kind`` counts over the day's scored cases: [adverse decisions, cases] for
    selection; [tn, fp, fn, tp] for confusion; [summed absolute error, cases] for abs_error. The last two
    need outcomes, so they count only the cases whose outcomes are known by ``now`` (all when None)."""
    known = None if kind == SELECTION or now is None else log.label_day <= now
    key = ("groups", kind, bool(known is None or known.all()))
    if key not in log.memo or not key[2]:
        ok = ~np.isnan(log.decision)
        if known is not None:
            ok &= known
        codes, uniques = pd.factorize(log.group[ok].astype(object))
        k = len(uniques)
        if kind == CONFUSION:
            cell = 2 * log.y[ok].astype(np.int64) + log.decision[ok].astype(np.int64)
            table = np.bincount(codes * 4 + cell, minlength=4 * k).reshape(k, 4)
        else:
            values = np.abs(log.y[ok] - log.decision[ok]) if kind == ABS_ERROR else log.decision[ok]
            table = np.stack([np.bincount(codes, weights=values, minlength=k), np.bincount(codes, minlength=k)], 1)
        log.memo[key] = {str(g): row.tolist() for g, row in zip(uniques, table, strict=True)}
    return log.memo[key]


def gap_over(logs, sc, now: float | None = None) -> float | None:
    """The agency's fairness metric over the days' scored cases, as fairlearn computes it: demographic parity
    difference of adverse decisions, equalized odds difference (the larger of the gaps in true and false
    positive rates), or the gap in accuracy; for a forecast the gap in mean absolute error. Outcome-based
    metrics count only the cases whose outcomes are known by ``now`` (all of them when None: hindsight).
    A group with fewer cases than the policy's ``min_group_size`` is left out, and a group with no cases behind
    a rate (no positives for the true positive rate, say) is left out of that rate's gap, as the evaluation
    does; fairlearn would count the rate as 0 and raise a false alarm on
    every small window."""
    from sandbox.ml.evaluate import confusion_rates, equalized_odds, spread

    kind = fairness_kind(sc)
    total: dict[str, np.ndarray] = {}
    for log in logs:
        for g, row in group_counts(log, kind, now).items():
            total[g] = total[g] + row if g in total else np.asarray(row, dtype=float)
    smallest = sc.policy.fairness.min_group_size  # as the evaluation: too few cases say nothing of a group
    total = {g: row for g, row in total.items() if (row.sum() if kind == CONFUSION else row[1]) >= smallest}
    if kind != CONFUSION:
        value = spread({g: {"rate": a / n} for g, (a, n) in total.items() if n}, "rate")
    else:
        table = {g: confusion_rates(row) for g, row in total.items()}
        value = spread(table, "accuracy") if sc.policy.fairness.metric == "error_gap" else equalized_odds(
            spread(table, "false_positive_rate"), spread(table, "false_negative_rate"))
    return None if np.isnan(value) else value


def _days(world, start: int, end: int) -> list:
    return [world.records.logs[k] for k in range(max(0, start), end) if k in world.records.logs]


def window_summary(world, start: int, end: int) -> drift.Summary | None:
    days = _days(world, start, end)
    return drift.Summary.merge([day_summary(world, log) for log in days]) if days else None


def daily_drift(world, d: int) -> drift.DriftCheck | None:
    """Drift over the trailing week against the current reference (recorded for every day, computed once)."""
    if world.monitors.reference is None or d not in world.records.logs:
        return None
    key = (d, id(world.monitors.reference))
    if world.monitors.drift_cache.get("key") != key:
        summary = window_summary(world, d + 1 - MIN_WINDOW_DAYS, d + 1)
        world.monitors.drift_cache = {"key": key, "check": drift.check_summary(
            world.monitors.reference, summary, world.plan["monitoring.drift_threshold"],
            world.plan["monitoring.drift_share"])}
    return world.monitors.drift_cache["check"]


def window(world, start: int, end: int) -> dict[str, np.ndarray]:
    """The raw cases of days [start, end), in the reference's columns (for reports and the benchmark)."""
    days = _days(world, start, end)
    if not days:
        return {}
    return {c: np.concatenate([log.cols[c] for log in days]) for c in [*world.monitors.reference.numeric,
                                                                        *world.monitors.reference.categorical]}


def run_checks(world, d: int, cadence: int) -> list[Alert]:
    """The plan's monitors over the trailing window; alerts fire when a signal (or, for data drift, a column)
    starts failing."""
    signals = set(world.plan["monitoring.signals"]) - {"system_health"}
    if world.monitors.reference is None:
        return []
    found = _check_signals(world, d, signals, d + 1 - max(cadence, MIN_WINDOW_DAYS))
    failing = set().union(*(a.keys for a in found))
    new = [a for a in found if not a.keys <= world.monitors.firing]
    world.monitors.firing = (world.monitors.firing & {"system_health"}) | failing
    return new


@dataclass(frozen=True)
class Window:
    """What a check looks at: the day of the check, the window's first day and its logged days, and whether a
    full trailing week has been logged (with fewer cases, drift statistics are too noisy to act on)."""

    d: int
    start: int
    days: list
    full_week: bool


def _check_signals(world, d: int, signals: set[str], start: int) -> list[Alert]:
    full_week = len(_days(world, d + 1 - MIN_WINDOW_DAYS, d + 1)) >= MIN_WINDOW_DAYS
    window = Window(d, start, _days(world, start, d + 1), full_week)
    return [alert for signal, check in CHECKS.items() if signal in signals for alert in check(world, window)]


def _data_drift(world, w: Window) -> list[Alert]:
    if not w.full_week:
        return []
    res = daily_drift(world, w.d) if w.start == w.d + 1 - MIN_WINDOW_DAYS else drift.check_summary(
        world.monitors.reference, window_summary(world, w.start, w.d + 1), world.plan["monitoring.drift_threshold"],
        world.plan["monitoring.drift_share"])
    if res is None or not res.dataset_drift:
        return []
    return [Alert(world.now, "data_drift", f"{len(res.drifted)} of {len(res.columns)} columns drifted"
                  f" ({', '.join(res.drifted)})", res.share, world.plan["monitoring.drift_share"],
                  tuple(res.drifted))]


def _day_scores(world, log) -> tuple[np.ndarray, np.ndarray]:
    """A day's scores, sorted, and how many reference scores are <= each (kept until the reference changes)."""
    ref = world.monitors.reference_scores
    kept = log.memo.get("scores")
    if kept is None or kept[0] is not ref:
        scores = np.sort(log.scores[~np.isnan(log.scores)])
        kept = log.memo["scores"] = (ref, scores, np.searchsorted(ref, scores, side="right"))
    return kept[1], kept[2]


def _prediction_drift(world, days) -> list[Alert]:
    ref = world.monitors.reference_scores
    if ref is None:
        return []
    parts = [_day_scores(world, log) for log in days]
    scores = np.concatenate([p[0] for p in parts])
    if len(scores) < 50:
        return []
    order = np.argsort(scores, kind="stable")  # the days' sorted runs, merged
    at = np.concatenate([p[1] for p in parts])[order]
    value = (drift.wasserstein_sorted(ref, scores[order], world.monitors.reference_score_sums, v_at=at)
             / world.monitors.reference_score_norm)
    threshold = world.plan["monitoring.drift_threshold"]
    if value < threshold:
        return []
    return [Alert(world.now, "prediction_drift", f"model scores drifted (normalised Wasserstein {value:.2f})",
                  value, threshold)]


def label_row(log, task_type: str) -> tuple[float, float, int, float]:
    """(first label day, last label day, scored cases, correct decisions or summed absolute error) of a day's
    batch: what the performance monitor needs of it, fixed once the batch is decided (``World.labels``)."""
    ok = ~np.isnan(log.decision)
    if task_type == "regression":
        total = float(np.abs(log.y[ok] - log.decision[ok]).sum())
    else:
        total = float((log.y[ok] == log.decision[ok]).sum())
    lo, hi = (float(log.label_day.min()), float(log.label_day.max())) if len(log.label_day) else (np.inf, np.inf)
    return lo, hi, int(ok.sum()), total


def _performance(world, d: int) -> list[Alert]:
    """Observed metric on cases whose labels have arrived, against the metric at release."""
    now = world.now
    start = max(0, d - PERFORMANCE_WINDOW_DAYS - world.sc.timeline.label_delay_days)
    lo, hi, n, s = world.records.labels[start:d + 1].T  # days with no batch: labels never due, no cases
    contribution = np.where(hi <= now, s, 0.0)
    cases = int(n[hi <= now].sum())
    for k in np.flatnonzero((lo <= now) & (hi > now)):  # labels of this day arrive at different times
        log = world.records.logs[start + k]
        known = (log.label_day <= now) & ~np.isnan(log.decision)
        cases += int(known.sum())
        err = log.y[known] - log.decision[known]
        contribution[k] = float(np.abs(err).sum() if world.sc.task.type == "regression" else (err == 0).sum())
    total = float(np.cumsum(contribution)[-1]) if len(contribution) else 0.0  # added day by day, in order
    recent = world.records.labels[max(0, d - 120):d + 1]
    recent_labels = bool(((recent[:, 0] <= now) & (recent[:, 1] > now - LABEL_SILENCE_DAYS)).any())
    alerts = []
    if d > world.sc.timeline.label_delay_days + LABEL_SILENCE_DAYS and not recent_labels:
        alerts.append(Alert(now, "performance", f"no labels have arrived for {LABEL_SILENCE_DAYS} days"))
    if cases < MIN_LABELS or world.deployment.baseline_metric is None:
        return alerts
    value = total / cases  # accuracy, or mean absolute error for regression
    tolerance = world.plan["monitoring.performance_tolerance"]
    worse = value > world.deployment.baseline_metric + tolerance if world.sc.task.type == "regression" \
        else value < world.deployment.baseline_metric - tolerance
    if worse:  # its evidence: the cases whose labels have arrived, the latest of them decided on ``seen``
        seen = float(start + np.flatnonzero(lo <= now).max())
        alerts.append(Alert(now, "performance", f"observed metric {value:.3f} vs {world.deployment.baseline_metric:.3f}"
                            " at release", value, world.deployment.baseline_metric, evidence_to=seen))
    return alerts


def _fairness(world, days) -> list[Alert]:
    gap = gap_over(days, world.sc, world.now)
    limit = world.sc.policy.fairness.max
    if gap is None or gap <= limit:
        return []
    return [Alert(world.now, "fairness", f"{fairness_name(world.sc)} {gap:.3f} exceeds the agency's limit {limit:g}",
                  gap, limit)]


def health_problems(world, d: int) -> list[str]:
    log = world.records.logs.get(d)
    if log is None:
        return []
    out = []
    if not log.counts["up"]:
        out.append("scoring service is down")
    scored_share = 1 - log.counts["unscored"] / max(log.counts["cases"], 1)
    if log.counts["up"] and log.counts["gate_ok"] and world.deployment.champion is not None and scored_share < 0.95:
        out.append(f"only {scored_share:.0%} of cases could be scored")
    return out



# The calculation behind each monitor signal checked at the plan's cadence (their specs are
# ``sandbox.spec.events.SIGNALS``; system health is watched daily in ``processes.monitoring``), in the order
# they run.
CHECKS = {
    "data_drift": _data_drift,
    "prediction_drift": lambda world, w: _prediction_drift(world, w.days) if w.full_week else [],
    "performance": lambda world, w: _performance(world, w.d),
    "fairness": lambda world, w: _fairness(world, w.days) if w.days else [],
}
