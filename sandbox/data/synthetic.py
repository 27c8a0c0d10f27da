"""Synthetic public-sector cases from a scenario's generator spec.

Each day: protected attributes are drawn, then features (with group shifts that
make some features proxies for protected groups), then drift is applied, then
the true target is computed from the *true* features (so concept drift and rule
changes move the target, covariate drift moves the inputs). Faults are applied
last, to the features the service observes (see ``faults.observe``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.data.faults import duplicate_rows, observe
from sandbox.data.stream import CASE, DAY, STREAM_DAYS, STREAM_HISTORY, TARGET, CaseStream, rng_for
from sandbox.scenario import EventKind, Feature, SyntheticData

_FEATURE_SHIFTS = (EventKind.covariate_drift, EventKind.subgroup_drift, EventKind.seasonal_shift)
_TARGET_SHIFTS = (EventKind.concept_drift, EventKind.rule_change, EventKind.label_drift)


@dataclass
class SyntheticStream(CaseStream):
    def __post_init__(self) -> None:
        self.spec: SyntheticData = self.scenario.data.synthetic

    def history(self) -> pd.DataFrame:
        rng = rng_for(self.seed, STREAM_HISTORY)
        n = self.spec.history_cases
        cols = self._cases(n, rng, day=None)
        cols[DAY] = -1 - (np.arange(n) * 365 // n)[::-1]
        cols[CASE] = np.arange(-n, 0)
        df = pd.DataFrame(observe(cols, self, None, rng))
        return duplicate_rows(df, self.spec.sources, rng)

    def day(self, d: int) -> dict[str, np.ndarray]:
        rng = rng_for(self.seed, STREAM_DAYS, d)
        n = self.volume(d, rng)
        cols = self._cases(n, rng, day=d)
        cols[DAY] = np.full(n, d)
        cols[CASE] = d * 100_000 + np.arange(n)
        return observe(cols, self, d, rng)

    # ------------------------------------------------------------------ generation

    def _cases(self, n: int, rng: np.random.Generator, day: int | None) -> dict[str, np.ndarray]:
        cols: dict[str, np.ndarray] = {}
        for attr in self.spec.protected:
            cats = list(attr.categories)
            p = _normalise(np.array(list(attr.categories.values()), dtype=float))
            cols[attr.name] = np.array(cats, dtype=object)[rng.choice(len(cats), size=n, p=p)]
        for f in self.spec.features:
            cols[f.name] = self._feature(f, n, rng, cols, day)
        cols[TARGET] = self._target(cols, n, rng, day)
        return cols

    def _feature(self, f: Feature, n: int, rng, cols: dict, day: int | None) -> np.ndarray:
        events = [] if day is None else [e for e in self.active(day, *_FEATURE_SHIFTS) if e.spec.feature == f.name]
        if f.kind == "categorical":
            return self._categorical(f, n, rng, cols, day, events)
        x = _draw_numeric(f, n, rng)
        for g in f.group_shifts:
            x = x + g.shift * (cols[g.attribute] == g.value)
        for e in events:
            x = x + _numeric_shift(f, e, day, cols)
        if f.clip_min is not None or f.clip_max is not None:
            x = np.clip(x, f.clip_min, f.clip_max)
        if f.round_to:
            x = np.round(x / f.round_to) * f.round_to
        return x

    def _categorical(self, f: Feature, n, rng, cols, day, events) -> np.ndarray:
        cats = list(f.categories)
        base = _normalise(np.array([f.categories[c] for c in cats], dtype=float))
        probs = np.tile(base, (n, 1))
        for g in f.group_shifts:
            if g.weights:
                w = _normalise(np.array([g.weights.get(c, 0.0) for c in cats], dtype=float))
                probs[cols[g.attribute] == g.value] = w
        for e in events:
            target = cats.index(e.spec.category) if e.spec.category in cats else len(cats) - 1
            mix = min(1.0, abs(e.magnitude) * e.ramp(day))
            rows = _group_mask(e, cols, n)
            onehot = np.zeros(len(cats))
            onehot[target] = 1.0
            probs[rows] = (1 - mix) * probs[rows] + mix * onehot
        u = rng.random(n)[:, None]
        idx = (u > probs.cumsum(axis=1)).sum(axis=1).clip(0, len(cats) - 1)
        return np.array(cats, dtype=object)[idx]

    def _target(self, cols: dict, n: int, rng, day: int | None) -> np.ndarray:
        t = self.spec.target
        events = [] if day is None else self.active(day, *_TARGET_SHIFTS)
        score = np.full(n, t.intercept, dtype=float)
        score += sum(e.magnitude * e.ramp(day) for e in events if e.kind == EventKind.label_drift)
        for term in t.terms:
            weight, shift = term.weight, 0.0
            for e in events:
                if e.spec.feature != term.feature:
                    continue
                if e.kind == EventKind.concept_drift:
                    weight *= 1.0 + e.magnitude * e.ramp(day)
                elif e.kind == EventKind.rule_change:
                    shift += e.magnitude * e.ramp(day)
            score += weight * _term_value(term, cols[term.feature], shift)
        noise = rng.standard_normal(n)
        flips = rng.random(n)
        if self.scenario.task.type == "regression":
            return score + t.noise_sd * noise
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-score))).astype(np.int8)
        return np.where(flips < t.label_noise, 1 - y, y).astype(np.int8)


def _draw_numeric(f: Feature, n: int, rng: np.random.Generator) -> np.ndarray:
    if f.distribution == "normal":
        return f.mean + f.sd * rng.standard_normal(n)
    if f.distribution == "lognormal":
        return np.exp(f.mean + f.sd * rng.standard_normal(n))
    if f.distribution == "uniform":
        return rng.uniform(f.low, f.high, size=n)
    return rng.poisson(max(f.mean, 0.0), size=n).astype(float)


def _numeric_shift(f: Feature, e, day: int, cols: dict) -> np.ndarray | float:
    scale = f.sd if f.distribution == "normal" else _typical_scale(f)
    amount = e.magnitude * scale
    if e.kind == EventKind.seasonal_shift:
        amount *= np.sin(2 * np.pi * (day - e.day) / 365.0)
    else:
        amount *= e.ramp(day)
    return amount * _group_mask(e, cols, len(next(iter(cols.values()))))


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
