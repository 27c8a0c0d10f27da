"""Synthetic public-sector cases from a scenario's generator spec.

Each day: protected attributes are drawn, then features (with group shifts that
make some features proxies for protected groups), then drift is applied, then
the true target is computed from the *true* features (so concept drift and rule
changes move the target, covariate drift moves the inputs). Faults are applied
last, to the features the service observes (see ``faults``).

Each day draws all its random numbers from its own generator first; what the
events do with them is computed afterwards, over several days at once, so a
block of days costs about as much as one day and gives the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.data.faults import apply_event_faults, apply_source_faults, draw_source_faults, duplicate_rows
from sandbox.data.randomness import Stream, rng_for
from sandbox.data.stream import CASE, DAY, TARGET, CaseStream
from sandbox.spec.scenario import EventKind, Feature, SyntheticData

_FEATURE_SHIFTS = (EventKind.covariate_drift, EventKind.subgroup_drift, EventKind.seasonal_shift)
_TARGET_SHIFTS = (EventKind.concept_drift, EventKind.rule_change, EventKind.label_drift)


@dataclass
class _Draws:
    """One batch's random numbers, drawn in a fixed order from the batch's own generator before anything
    that depends on events is computed, so a batch's draws never depend on the events or other batches."""

    n: int
    protected: list[np.ndarray]
    features: list[np.ndarray]
    target: tuple[np.ndarray, np.ndarray, np.ndarray]  # noise, label flips, the outcome's draw (classification)
    faults: list[np.ndarray]


@dataclass
class SyntheticStream(CaseStream):
    def __post_init__(self) -> None:
        self.spec: SyntheticData = self.scenario.data.synthetic

    def history(self) -> pd.DataFrame:
        rng = rng_for(self.seed, Stream.HISTORY)
        n = self.spec.history_cases
        draws = self._draw(n, rng)
        cols = self._cases(draws, [None], np.array([n]))
        cols[DAY] = -1 - (np.arange(n) * 365 // n)[::-1]
        cols[CASE] = np.arange(-n, 0)
        apply_source_faults(cols, self.spec.sources, self.spec.features, draws.faults)
        return duplicate_rows(pd.DataFrame(cols), self.spec.sources, rng)

    def day(self, d: int) -> dict[str, np.ndarray]:
        return self.days([d])[0]

    def days(self, days: list[int]) -> list[dict[str, np.ndarray]]:
        """Several days' batches generated together: each day draws from its own generator, then the
        transformations run once over all of them, so the result is the same as day by day."""
        if not days:
            return []
        draws = []
        for d in days:
            rng = rng_for(self.seed, Stream.DAYS, d)
            draws.append(self._draw(self.volume(d, rng), rng))
        sizes = np.array([dr.n for dr in draws])
        merged = _Draws(int(sizes.sum()), *(_concat([getattr(dr, f) for dr in draws])
                                            for f in ("protected", "features", "target", "faults")))
        cols = self._cases(merged, days, sizes)
        cols[DAY] = np.repeat(np.asarray(days, dtype=np.int64), sizes)
        cols[CASE] = cols[DAY] * 100_000 + (np.arange(merged.n) - np.repeat(np.cumsum(sizes) - sizes, sizes))
        apply_source_faults(cols, self.spec.sources, self.spec.features, merged.faults)
        apply_event_faults(cols, self, days, sizes)
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        return [{c: x[lo:hi] for c, x in cols.items()} for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]

    # ------------------------------------------------------------------ generation

    def _draw(self, n: int, rng: np.random.Generator) -> _Draws:
        protected = []
        for attr in self.spec.protected:
            p = _normalise(np.array(list(attr.categories.values()), dtype=float))
            protected.append(rng.choice(len(attr.categories), size=n, p=p))
        features = [rng.random(n) if f.kind == "categorical" else _draw_numeric(f, n, rng) for f in self.spec.features]
        noise, flips = rng.standard_normal(n), rng.random(n)
        outcome = rng.random(n) if self.scenario.task.type == "classification" else np.zeros(0)
        target = (noise, flips, outcome)
        return _Draws(n, protected, features, target, draw_source_faults(self.spec.sources, n, rng))

    def _cases(self, draws: _Draws, days: list, sizes: np.ndarray) -> dict[str, np.ndarray]:
        """The true cases from their draws; ``days`` (None: the history, before any event) and ``sizes``
        say which rows belong to which day, for the events active on that day."""
        n, cols = draws.n, {}
        for attr, idx in zip(self.spec.protected, draws.protected, strict=True):
            cols[attr.name] = np.array(list(attr.categories), dtype=object)[idx]
        for f, raw in zip(self.spec.features, draws.features, strict=True):
            events = self._events(days, _FEATURE_SHIFTS, f.name)
            if f.kind == "categorical":
                cols[f.name] = self._categorical(f, n, raw, cols, days, sizes, events)
            else:
                cols[f.name] = self._numeric(f, raw, cols, days, sizes, events)
        cols[TARGET] = self._target(cols, n, draws.target, days, sizes)
        return cols

    def _events(self, days: list, kinds, feature: str | None = None) -> list:
        """The events of ``kinds`` (on ``feature``, if given) active on any of the days, in scenario order."""
        if days == [None]:
            return []
        return [e for e in self.events if e.kind in kinds and (feature is None or e.spec.feature == feature)
                and any(self.on(e, d) for d in days)]

    def _per_row(self, days: list, sizes: np.ndarray, e, value) -> np.ndarray:
        """``value(day)`` for each row, on the days ``e`` is active (0 elsewhere)."""
        return np.repeat(np.array([value(d) if self.on(e, d) else 0.0 for d in days]), sizes)

    def _numeric(self, f: Feature, x: np.ndarray, cols: dict, days, sizes, events) -> np.ndarray:
        for g in f.group_shifts:
            x = x + g.shift * (cols[g.attribute] == g.value)
        for e in events:
            amount = self._per_row(days, sizes, e, lambda d, e=e: _numeric_amount(f, e, d))
            x = x + amount * _group_mask(e, cols, len(x))
        if f.clip_min is not None or f.clip_max is not None:
            x = np.clip(x, f.clip_min, f.clip_max)
        if f.round_to:
            x = np.round(x / f.round_to) * f.round_to
        return x

    def _categorical(self, f: Feature, n, u, cols, days, sizes, events) -> np.ndarray:
        cats = list(f.categories)
        base = _normalise(np.array([f.categories[c] for c in cats], dtype=float))
        probs = np.tile(base, (n, 1))
        for g in f.group_shifts:
            if g.weights:
                w = _normalise(np.array([g.weights.get(c, 0.0) for c in cats], dtype=float))
                probs[cols[g.attribute] == g.value] = w
        for e in events:
            target = cats.index(e.spec.category) if e.spec.category in cats else len(cats) - 1
            mix = self._per_row(days, sizes, e, lambda d, e=e: min(1.0, abs(e.magnitude) * e.ramp(d)))
            rows = _group_mask(e, cols, n) & (mix > 0)
            onehot = np.zeros(len(cats))
            onehot[target] = 1.0
            m = mix[rows, None]
            probs[rows] = (1 - m) * probs[rows] + m * onehot
        idx = (u[:, None] > probs.cumsum(axis=1)).sum(axis=1).clip(0, len(cats) - 1)
        return np.array(cats, dtype=object)[idx]

    def _target(self, cols: dict, n: int, draws, days, sizes) -> np.ndarray:
        t = self.spec.target
        noise, flips, u = draws
        events = self._events(days, _TARGET_SHIFTS)
        score = np.full(n, t.intercept, dtype=float)
        drift = [e for e in events if e.kind == EventKind.label_drift]
        if drift:
            score += np.repeat([sum(e.magnitude * e.ramp(d) for e in drift if self.on(e, d))
                                for d in days], sizes)
        for term in t.terms:
            on_term = [e for e in events if e.spec.feature == term.feature]
            if not on_term:
                score += term.weight * _term_value(term, cols[term.feature], 0.0)
                continue
            weights, shifts = [], []
            for d in days:
                weight, shift = term.weight, 0.0
                for e in on_term:
                    if not self.on(e, d):
                        continue
                    if e.kind == EventKind.concept_drift:
                        weight *= 1.0 + e.magnitude * e.ramp(d)
                    elif e.kind == EventKind.rule_change:
                        shift += e.magnitude * e.ramp(d)
                weights.append(weight)
                shifts.append(shift)
            score += np.repeat(weights, sizes) * _term_value(term, cols[term.feature], np.repeat(shifts, sizes))
        if self.scenario.task.type == "regression":
            return score + t.noise_sd * noise
        y = (u < 1.0 / (1.0 + np.exp(-score))).astype(np.int8)
        return np.where(flips < t.label_noise, 1 - y, y).astype(np.int8)


def _concat(parts: list):
    """Join several batches' draws field by field (lists of arrays, or tuples of arrays)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    joined = [np.concatenate(xs) for xs in zip(*parts, strict=True)]
    return tuple(joined) if isinstance(first, tuple) else joined


def _draw_numeric(f: Feature, n: int, rng: np.random.Generator) -> np.ndarray:
    if f.distribution == "normal":
        return f.mean + f.sd * rng.standard_normal(n)
    if f.distribution == "lognormal":
        return np.exp(f.mean + f.sd * rng.standard_normal(n))
    if f.distribution == "uniform":
        return rng.uniform(f.low, f.high, size=n)
    return rng.poisson(max(f.mean, 0.0), size=n).astype(float)


def _numeric_amount(f: Feature, e, day: int) -> float:
    """How far event ``e`` moves feature ``f`` on ``day``: a share of the feature's spread, ramped in or seasonal."""
    scale = f.sd if f.distribution == "normal" else _typical_scale(f)
    amount = e.magnitude * scale
    if e.kind == EventKind.seasonal_shift:
        amount *= np.sin(2 * np.pi * (day - e.day) / 365.0)
    else:
        amount *= e.ramp(day)
    return amount


def _typical_scale(f: Feature) -> float:
    if f.distribution == "lognormal":
        m = np.exp(f.mean + f.sd**2 / 2)
        return float(m * np.sqrt(np.exp(f.sd**2) - 1))
    if f.distribution == "uniform":
        return (f.high - f.low) / np.sqrt(12)
    return float(np.sqrt(max(f.mean, 1e-9)))


def _group_mask(e, cols: dict, n: int) -> np.ndarray:
    if e.kind != EventKind.subgroup_drift or not e.spec.group:
        return np.ones(n, dtype=bool)
    attr, value = e.spec.group.split("=", 1)
    return cols[attr] == value


def _term_value(term, x: np.ndarray, shift: float) -> np.ndarray:
    if term.form == "category":
        return (x == term.category).astype(float)
    if term.form == "below":
        return (x < term.threshold + shift).astype(float)
    if term.form == "above":
        return (x > term.threshold + shift).astype(float)
    return (x - term.center - shift) / term.scale


def _normalise(p: np.ndarray) -> np.ndarray:
    return p / p.sum()
