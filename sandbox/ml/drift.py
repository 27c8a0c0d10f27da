"""In-loop drift statistics, computed as Evidently's defaults do (reference > 1000 rows).

* numeric columns: Wasserstein distance normalised by the reference standard
  deviation (``scipy.stats.wasserstein_distance``), drift when >= threshold;
* categorical columns: Jensen–Shannon distance (as ``scipy.spatial.distance.jensenshannon``,
  natural log) between category shares over the union of categories;
* dataset drift when the share of drifted columns is >= ``drift_share``.

Missing values are dropped first. ``Reference`` precomputes what does not change
between checks (the sorted reference sample, its spread, category shares).
``wasserstein_sorted`` computes exactly what ``scipy.stats.wasserstein_distance``
computes (the area between the two empirical CDFs) without touching every
reference value; ``numeric_scores`` does the same for every numeric column of a
window in one vectorised pass, on each column's distinct values with their counts
(most inputs in public-sector records are rounded: ages, counts, amounts, so a
week of cases holds far fewer distinct values than cases). The tests hold both,
and the Jensen–Shannon distances, equal to scipy's results. A ``Summary`` of each
day (distinct numeric values with their counts, category counts) is computed once
and merged into windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import rel_entr

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
            self._norm[c] = max(float(np.std(x)) if len(x) else 0.0, 0.001)
            self._prefix[c] = prefix_sums(x)
        for c, x in self.categorical.items():
            self._shares[c] = shares(x)
        # every numeric column stacked, for checks that score all columns in one pass (see numeric_scores)
        cols = list(self.numeric.values())
        self._values = np.concatenate(cols) if cols else np.zeros(0)
        self._sizes = np.array([len(x) for x in cols], dtype=np.int64)
        self._starts = np.concatenate([[0], np.cumsum(self._sizes)])
        self._sums = np.concatenate([self._prefix[c][0] for c in self.numeric]) if cols else np.zeros(0)
        self._g = np.concatenate([self._prefix[c][1][:-1] for c in self.numeric]) if cols else np.zeros(0)
        self._norms = np.array([self._norm[c] for c in self.numeric])

    def place(self, numbers: Numbers) -> Numbers:
        """``numbers`` with, for each distinct value, how many of its column's reference values are <= it.
        A day's values are placed once and keep their places through every window they join, instead of
        being searched for again in each of the seven trailing-week windows."""
        v, bounds = numbers.keys.imag, np.searchsorted(numbers.column, np.arange(numbers.columns + 1))
        at = np.empty(len(v), dtype=np.int64)
        for c, u in enumerate(self.numeric.values()):  # searching floats column by column beats one complex search
            at[bounds[c]:bounds[c + 1]] = np.searchsorted(u, v[bounds[c]:bounds[c + 1]], side="right")
        return Numbers(numbers.keys, numbers.counts, numbers.columns, at, self)


def stack_keys(columns: list[np.ndarray]) -> np.ndarray:
    """Several columns in one array of complex keys, column index + i·value, missing values left out.
    numpy orders complex numbers by real part, then imaginary part, so sorting the keys sorts every
    column's values within its own block, exactly."""
    parts = []
    for c, x in enumerate(columns):
        x = np.asarray(x, dtype=float)
        x = x[~np.isnan(x)]
        k = np.empty(len(x), dtype=complex)
        k.real, k.imag = c, x
        parts.append(k)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=complex)


@dataclass(frozen=True)
class Numbers:
    """Numeric columns of a batch or window: each column's distinct non-missing values (stacked as
    ``stack_keys`` does, sorted) and how often each occurs. Most inputs in public-sector records are
    rounded (ages, counts, amounts), so a week of cases holds far fewer distinct values than cases."""

    keys: np.ndarray
    counts: np.ndarray
    columns: int
    at: np.ndarray | None = field(default=None, compare=False, repr=False)  # see ``Reference.place``
    placed_in: Reference | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, columns: list[np.ndarray]) -> Numbers:
        # sorting each column's floats, then stacking the sorted blocks in column order, sorts the keys
        return cls._distinct(stack_keys([np.sort(np.asarray(x, dtype=float)) for x in columns]), None, len(columns))

    @classmethod
    def merge(cls, parts: list[Numbers]) -> Numbers:
        keys = np.concatenate([p.keys for p in parts])
        order = np.argsort(keys, kind="stable")  # the parts are sorted runs, which timsort merges quickly
        ref = parts[0].placed_in
        placed = ref is not None and all(p.placed_in is ref for p in parts)
        at = np.concatenate([p.at for p in parts])[order] if placed else None
        return cls._distinct(keys[order], np.concatenate([p.counts for p in parts])[order], parts[0].columns,
                             at, ref if placed else None)

    @classmethod
    def _distinct(cls, keys: np.ndarray, counts: np.ndarray | None, columns: int, at: np.ndarray | None = None,
                  placed_in: Reference | None = None) -> Numbers:
        if not len(keys):
            return cls(keys, np.zeros(0, dtype=np.int64), columns, at, placed_in)
        starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
        if counts is None:
            counts = np.diff(np.append(starts, len(keys)))
        else:
            counts = np.add.reduceat(counts, starts)
        return cls(keys[starts], counts, columns, None if at is None else at[starts], placed_in)

    @property
    def column(self) -> np.ndarray:
        return self.keys.real.astype(np.intp)

    def sizes(self) -> np.ndarray:
        """Non-missing values in each column."""
        return np.bincount(self.column, weights=self.counts, minlength=self.columns).astype(np.int64)

    def medians(self) -> np.ndarray:
        """Each column's median, as ``np.median`` of its values with their repeats (NaN when empty)."""
        sizes = self.sizes()
        before = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        cum = np.cumsum(self.counts)
        out = np.full(self.columns, np.nan)
        ok = sizes > 0
        lo = np.searchsorted(cum, (before + (sizes - 1) // 2)[ok], side="right")
        hi = np.searchsorted(cum, (before + sizes // 2)[ok], side="right")
        out[ok] = (self.keys.imag[lo] + self.keys.imag[hi]) / 2
        return out

    def values(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Column ``c``'s distinct values and their counts."""
        block = self.column == c
        return self.keys.imag[block], self.counts[block]


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
    """What a drift check needs of a window: its numeric values, its category counts."""

    numeric: Numbers
    counts: dict[str, dict[str, int]]

    @classmethod
    def merge(cls, parts: list[Summary]) -> Summary:
        counts: dict[str, dict[str, int]] = {}
        for c in parts[0].counts:
            total: dict[str, int] = {}
            for p in parts:
                for k, v in p.counts[c].items():
                    total[k] = total.get(k, 0) + v
            counts[c] = total
        return cls(Numbers.merge([p.numeric for p in parts]), counts)


def summarise(ref: Reference, current: dict[str, np.ndarray]) -> Summary:
    return Summary(Numbers.of([current[c] for c in ref.numeric]), {c: counts(current[c]) for c in ref.categorical})


def numeric_scores(ref: Reference, window: Numbers) -> np.ndarray:
    """Every numeric column's normalised Wasserstein distance from the reference, in one vectorised pass
    (NaN where the column is empty in either). The same computation as ``wasserstein_sorted``, per block."""
    ncols = len(ref._sizes)
    out = np.full(ncols, np.nan)
    if not len(window.keys) or not len(ref._values):
        return out
    n = ref._sizes
    valid = (n > 0) & (window.sizes() > 0)
    if window.placed_in is not ref:
        window = ref.place(window)
    keys, w, c_v = window.keys, window.counts, window.at
    if not valid[window.column].all():
        keep = valid[window.column]
        keys, w, c_v = keys[keep], w[keep], c_v[keep]
    if not len(keys):
        return out
    col, v = keys.real.astype(np.intp), keys.imag
    m = np.bincount(col, weights=w, minlength=ncols).astype(np.int64)
    last = np.searchsorted(col, np.arange(ncols), side="right") - 1  # each column's last distinct value
    u_max = ref._values[np.maximum(ref._starts[1:] - 1, 0)]
    hi = np.maximum(u_max, v[np.clip(last, 0, len(v) - 1)])
    g_hi = (n * hi - ref._sums[ref._starts[1:] + np.arange(ncols)]) / np.maximum(n, 1)
    # G at each window value: (c·x − the sum of the c reference values <= x) / n
    nc, start = n[col], ref._starts[col]
    g_v = (c_v * v - ref._sums[start + col + c_v]) / nc
    # segment i runs from value i to the next value of its column (the last one to hi)
    is_last = np.zeros(len(v), dtype=bool)
    is_last[last[valid]] = True
    nxt = np.minimum(np.arange(1, len(v) + 1), len(v) - 1)
    b = np.where(is_last, hi[col], v[nxt])
    g_b = np.where(is_last, g_hi[col], g_v[nxt])
    # C: window values <= v within the column; the reference's CDF reaches C/m at its k-th value
    within = np.cumsum(w) - np.concatenate([[0], np.cumsum(m)[:-1]])[col]
    mc = m[col]
    k = (within * nc + mc - 1) // mc  # ceil(C·n/m), exactly, in integers
    q = ref._values[start + k - 1]
    g_q = ref._g[start + k - 1]
    below, above = q <= v, q >= b
    q = np.where(below, v, np.where(above, b, q))
    g_q = np.where(below, g_v, np.where(above, g_b, g_q))
    terms = within / mc * (2 * q - v - b) + 2 * g_v - 2 * g_q
    dist = g_hi + np.bincount(col, weights=terms, minlength=ncols)
    out[valid] = (dist / ref._norms)[valid]
    return out


def prefix_sums(u: np.ndarray) -> np.ndarray:
    """What ``wasserstein_sorted`` needs of a sorted reference, stacked in one array: the
    running sums of its values, and the area under its CDF up to each of its values."""
    n = len(u)
    sums = np.concatenate([[0.0], np.cumsum(u, dtype=float)])
    right = np.searchsorted(u, u, side="right")
    return np.stack([sums, np.concatenate([(right * u - sums[right]) / n, [0.0]])])


def wasserstein_sorted(u: np.ndarray, v: np.ndarray, u_prefix: np.ndarray | None = None,
                       v_counts: np.ndarray | None = None, v_at: np.ndarray | None = None) -> float:
    """First Wasserstein distance of two *sorted* samples: the area between their empirical CDFs.

    The same quantity as ``scipy.stats.wasserstein_distance``, in O(m log n) for a
    reference ``u`` of n values (with ``prefix_sums(u)`` precomputed) and a window
    ``v`` of m values, so a daily check does not touch every reference value. With
    ``v_counts`` the window is given as distinct values and how often each occurs,
    and the cost falls to the number of distinct values; ``v_at``, when given, is
    ``np.searchsorted(u, v, side="right")`` already found.
    On segment j, [a_j, b_j] between consecutive values of v, the window's CDF is
    p_j = C_j/m (C_j values of the window are <= a_j); the reference's CDF F reaches
    p_j at its k-th value q_j, k = ceil(p_j·n) (clipped to the segment), so the segment's area is
    p_j(q_j − a_j) − (G(q_j) − G(a_j)) + (G(b_j) − G(q_j)) − p_j(b_j − q_j), where
    G(x) = ∫F up to x = (c·x − the sum of the c reference values <= x) / n. Summed over
    segments, the G(a_j) and G(b_j) terms are G at every value of v twice plus both ends.
    """
    n = len(u)
    cum = np.arange(len(v) + 1) if v_counts is None else np.concatenate([[0], np.cumsum(v_counts)])
    m = int(cum[-1])
    sums, g_at_u = prefix_sums(u) if u_prefix is None else u_prefix
    lo, hi = min(u[0], v[0]), max(u[-1], v[-1])
    ends = np.array([lo, hi])
    c_ends = np.searchsorted(u, ends, side="right")
    g_lo, g_hi = (c_ends * ends - sums[c_ends]) / n
    cv = np.searchsorted(u, v, side="right") if v_at is None else v_at
    gv = (cv * v - sums[cv]) / n
    a = np.concatenate([[lo], v])
    b = np.concatenate([v, [hi]])
    ga = np.concatenate([[g_lo], gv])
    gb = np.concatenate([gv, [g_hi]])
    k = (cum * n + m - 1) // m  # ceil(C_j·n/m), exactly, in integers
    idx = np.maximum(k - 1, 0)
    q, gq = u[idx], g_at_u[idx]
    below = (k == 0) | (q <= a)
    above = q >= b
    q = np.where(below, a, np.where(above, b, q))
    gq = np.where(below, ga, np.where(above, gb, gq))
    p = cum / m
    return float(np.dot(p, 2 * q - a - b) + g_lo + g_hi + 2 * gv.sum() - 2 * gq.sum())


def categorical_scores(ref: Reference, window_counts: dict[str, dict[str, int]]) -> dict[str, float]:
    """Jensen–Shannon distance (natural log) of each categorical column's shares from the reference's, over
    the union of categories, as ``scipy.spatial.distance.jensenshannon`` computes it, for every column in
    one vectorised pass (scipy's function validates its input on each call, which cost more than the sums)."""
    names, ps, qs = [], [], []
    for c, counts_c in window_counts.items():
        total = sum(counts_c.values())
        if not total:
            continue
        ref_shares = ref._shares[c]
        keys = sorted(set(ref_shares) | set(counts_c))
        names.append(c)
        ps.append([ref_shares.get(k, 0.0) for k in keys])
        qs.append([counts_c.get(k, 0) / total for k in keys])
    if not names:
        return {}
    starts = np.cumsum([0] + [len(p) for p in ps[:-1]])
    sizes = [len(x) for x in ps]
    p, q = np.concatenate(ps), np.concatenate(qs)
    with np.errstate(invalid="ignore", divide="ignore"):  # a column the reference never saw filled: NaN
        p = p / np.repeat(np.add.reduceat(p, starts), sizes)
        q = q / np.repeat(np.add.reduceat(q, starts), sizes)
        m = (p + q) / 2.0
        js = np.add.reduceat(rel_entr(p, m), starts) + np.add.reduceat(rel_entr(q, m), starts)
        return dict(zip(names, np.sqrt(js / 2.0).tolist(), strict=True))


def check(ref: Reference, current: dict[str, np.ndarray], threshold: float = DEFAULT_THRESHOLD,
          drift_share: float = DEFAULT_DRIFT_SHARE) -> DriftCheck:
    """Per-column drift scores for a window of current data, and the dataset-drift decision."""
    return check_summary(ref, summarise(ref, current), threshold, drift_share)


def check_summary(ref: Reference, summary: Summary, threshold: float = DEFAULT_THRESHOLD,
                  drift_share: float = DEFAULT_DRIFT_SHARE) -> DriftCheck:
    scores: dict[str, float] = {}
    for c, s in zip(ref.numeric, numeric_scores(ref, summary.numeric), strict=True):
        if not np.isnan(s):
            scores[c] = float(s)
    scores.update(categorical_scores(ref, {c: summary.counts[c] for c in ref.categorical}))
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
