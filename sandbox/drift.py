"""In-loop drift statistics, computed as Evidently's defaults do (reference > 1000 rows).

* numeric columns: Wasserstein distance normalised by the reference standard
  deviation (``scipy.stats.wasserstein_distance``), drift when >= threshold;
* categorical columns: Jensen–Shannon distance (``scipy.spatial.distance``,
  natural log) between category shares over the union of categories;
* dataset drift when the share of drifted columns is >= ``drift_share``.

Missing values are dropped first. ``Reference`` precomputes what does not change
between checks (the sorted reference sample, its spread, category shares), so a
check on a week of batches costs about a millisecond. ``wasserstein_sorted``
computes exactly what ``scipy.stats.wasserstein_distance`` computes (the area
between the two empirical CDFs) without touching every reference value; the
tests hold it equal to scipy's result. A ``Summary`` of each day (non-missing
values, category counts) is computed once and merged into windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

DEFAULT_THRESHOLD = 0.1
DEFAULT_DRIFT_SHARE = 0.5


@dataclass
class Reference:
    numeric: dict[str, np.ndarray]
    categorical: dict[str, np.ndarray]
    _norm: dict[str, float] = field(default_factory=dict)
    _prefix: dict[str, np.ndarray] = field(default_factory=dict)
    _shares: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c, x in self.numeric.items():
            x = np.sort(x[~np.isnan(x)])
            self.numeric[c] = x
            self._norm[c] = max(float(np.std(x)), 0.001)
            self._prefix[c] = prefix_sums(x)
        for c, x in self.categorical.items():
            self._shares[c] = shares(x)


@dataclass(frozen=True)
class DriftCheck:
    columns: dict[str, float]
    drifted: tuple[str, ...]
    share: float
    dataset_drift: bool

    def to_dict(self) -> dict:
        return {"columns": {k: round(v, 6) for k, v in self.columns.items()}, "drifted": list(self.drifted),
                "share": round(self.share, 6), "dataset_drift": self.dataset_drift}


@dataclass
class Summary:
    """What a drift check needs of a window: non-missing numeric values (sorted), category counts."""

    numeric: dict[str, np.ndarray]
    counts: dict[str, dict[str, int]]

    @classmethod
    def merge(cls, parts: list[Summary]) -> Summary:
        # the parts are sorted runs, which a stable sort (timsort) merges in near-linear time
        numeric = {c: np.sort(np.concatenate([p.numeric[c] for p in parts]), kind="stable")
                   for c in parts[0].numeric}
        counts: dict[str, dict[str, int]] = {}
        for c in parts[0].counts:
            total: dict[str, int] = {}
            for p in parts:
                for k, v in p.counts[c].items():
                    total[k] = total.get(k, 0) + v
            counts[c] = total
        return cls(numeric, counts)


def summarise(ref: Reference, current: dict[str, np.ndarray]) -> Summary:
    numeric = {}
    for c in ref.numeric:
        x = np.asarray(current[c], dtype=float)
        numeric[c] = np.sort(x[~np.isnan(x)])
    return Summary(numeric, {c: counts(current[c]) for c in ref.categorical})


def numeric_score(ref: Reference, column: str, current: np.ndarray) -> float | None:
    """Normalised Wasserstein distance of non-missing, sorted ``current`` values from the reference column."""
    if len(current) == 0 or len(ref.numeric[column]) == 0:
        return None
    return wasserstein_sorted(ref.numeric[column], current, ref._prefix[column]) / ref._norm[column]


def prefix_sums(u: np.ndarray) -> np.ndarray:
    """What ``wasserstein_sorted`` needs of a sorted reference, stacked in one array: the
    running sums of its values, and the area under its CDF up to each of its values."""
    n = len(u)
    sums = np.concatenate([[0.0], np.cumsum(u, dtype=float)])
    right = np.searchsorted(u, u, side="right")
    return np.stack([sums, np.concatenate([(right * u - sums[right]) / n, [0.0]])])


def wasserstein_sorted(u: np.ndarray, v: np.ndarray, u_prefix: np.ndarray | None = None) -> float:
    """First Wasserstein distance of two *sorted* samples: the area between their empirical CDFs.

    The same quantity as ``scipy.stats.wasserstein_distance``, in O(m log n) for a
    reference ``u`` of n values (with ``prefix_sums(u)`` precomputed) and a window
    ``v`` of m values, so a daily check does not touch every reference value.
    On segment j, [a_j, b_j] between consecutive values of v, the window's CDF is
    p_j = j/m; the reference's CDF F reaches p_j at its k-th value q_j, k = ceil(p_j·n)
    (clipped to the segment), so the segment's area is
    p_j(q_j − a_j) − (G(q_j) − G(a_j)) + (G(b_j) − G(q_j)) − p_j(b_j − q_j), where
    G(x) = ∫F up to x = (c·x − the sum of the c reference values <= x) / n. Summed over
    segments, the G(a_j) and G(b_j) terms are G at every value of v twice plus both ends.
    """
    n, m = len(u), len(v)
    sums, g_at_u = prefix_sums(u) if u_prefix is None else u_prefix
    lo, hi = min(u[0], v[0]), max(u[-1], v[-1])
    ends = np.array([lo, hi])
    c_ends = np.searchsorted(u, ends, side="right")
    g_lo, g_hi = (c_ends * ends - sums[c_ends]) / n
    cv = np.searchsorted(u, v, side="right")
    gv = (cv * v - sums[cv]) / n
    a = np.concatenate([[lo], v])
    b = np.concatenate([v, [hi]])
    ga = np.concatenate([[g_lo], gv])
    gb = np.concatenate([gv, [g_hi]])
    j = np.arange(m + 1)
    k = (j * n + m - 1) // m  # ceil(j·n/m), exactly, in integers
    idx = np.maximum(k - 1, 0)
    q, gq = u[idx], g_at_u[idx]
    below = (k == 0) | (q <= a)
    above = q >= b
    q = np.where(below, a, np.where(above, b, q))
    gq = np.where(below, ga, np.where(above, gb, gq))
    p = j / m
    return float(np.dot(p, 2 * q - a - b) + g_lo + g_hi + 2 * gv.sum() - 2 * gq.sum())


def categorical_score(ref: Reference, column: str, current_counts: dict[str, int]) -> float | None:
    total = sum(current_counts.values())
    if not total:
        return None
    ref_shares = ref._shares[column]
    keys = sorted(set(ref_shares) | set(current_counts))
    p = np.array([ref_shares.get(k, 0.0) for k in keys])
    q = np.array([current_counts.get(k, 0) / total for k in keys])
    return float(jensenshannon(p, q))


def check(ref: Reference, current: dict[str, np.ndarray], threshold: float = DEFAULT_THRESHOLD,
          drift_share: float = DEFAULT_DRIFT_SHARE) -> DriftCheck:
    """Per-column drift scores for a window of current data, and the dataset-drift decision."""
    return check_summary(ref, summarise(ref, current), threshold, drift_share)


def check_summary(ref: Reference, summary: Summary, threshold: float = DEFAULT_THRESHOLD,
                  drift_share: float = DEFAULT_DRIFT_SHARE) -> DriftCheck:
    scores: dict[str, float] = {}
    for c in ref.numeric:
        s = numeric_score(ref, c, summary.numeric[c])
        if s is not None:
            scores[c] = s
    for c in ref.categorical:
        s = categorical_score(ref, c, summary.counts[c])
        if s is not None:
            scores[c] = s
    drifted = tuple(c for c, s in scores.items() if s >= threshold)
    share = len(drifted) / len(scores) if scores else 0.0
    return DriftCheck(scores, drifted, share, bool(scores) and share >= drift_share)


def counts(x: np.ndarray) -> dict[str, int]:
    """How many times each category occurs among the non-missing values."""
    codes, uniques = pd.factorize(np.asarray(x, dtype=object), use_na_sentinel=True)
    tally = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return {str(u): int(c) for u, c in zip(uniques, tally, strict=True)}


def shares(x: np.ndarray) -> dict[str, float]:
    """Share of each category among the non-missing values."""
    tally = counts(x)
    total = sum(tally.values())
    return {k: c / total for k, c in tally.items()} if total else {}


def present(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    return x[~pd.isna(x)]
