"""Data-quality faults: what the service actually receives, as opposed to the truth.

Source faults (missing records, legacy encodings) come from each data silo's
declared quality; event faults (an outage of a legacy system, a schema change
upstream, a corrupted batch) come from the scenario's events. Random draws are
made whether or not a fault is active, so adding an event never shifts the
random numbers of anything else.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.scenario import EventKind, Feature, Source

CORRUPTION_FACTOR = 100.0  # a lost decimal point
CORRUPT_CATEGORY = "?"


Cols = dict[str, np.ndarray]


def observe(cols: Cols, stream, d: int | None, rng: np.random.Generator) -> Cols:
    """Apply source faults (always drawn) and the day's event faults to a batch's columns."""
    spec = stream.scenario.data.synthetic
    if spec is not None:
        _source_faults(cols, spec.sources, spec.features, rng)
    if d is not None:
        _event_faults(cols, stream, d)
    return cols


def _source_faults(cols: Cols, sources: list[Source], features: list[Feature], rng) -> None:
    n = len(next(iter(cols.values())))
    kinds = {f.name: f.kind for f in features}
    for s in sources:
        missing = rng.random(n) < s.missing_rate
        for f in features:
            if f.source == s.id and missing.any():
                cols[f.name] = _blank(cols[f.name], missing)
        for enc in s.legacy_encodings:
            rows = rng.random(n) < enc.share
            x = cols[enc.column].copy()
            if kinds.get(enc.column) == "categorical" and enc.codes:
                for canonical, code in enc.codes.items():
                    x[rows & (x == canonical)] = code
            elif enc.sentinel is not None:
                x[rows & ~_isnan(x)] = enc.sentinel
            cols[enc.column] = x


def _event_faults(cols: Cols, stream, d: int) -> None:
    kinds = feature_kinds(stream.scenario)
    n = len(next(iter(cols.values())))
    for e in stream.active(d, EventKind.legacy_outage):
        for name in _source_features(stream.scenario, e.spec.source):
            cols[name] = _blank(cols[name], np.ones(n, dtype=bool))
    for e in stream.active(d, EventKind.schema_change):
        name = e.spec.feature
        if kinds[name] == "numeric":
            cols[name] = cols[name] * e.magnitude
        else:
            cols[name] = np.array([v.upper() if isinstance(v, str) else v for v in cols[name]], dtype=object)
    for e in stream.active(d, EventKind.corrupted_batch):
        name = e.spec.feature
        if kinds[name] == "numeric":
            cols[name] = cols[name] * CORRUPTION_FACTOR
        else:
            cols[name] = np.full(n, CORRUPT_CATEGORY, dtype=object)


def _blank(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    x = x.copy()
    x[rows] = np.nan
    return x


def _isnan(x: np.ndarray) -> np.ndarray:
    return pd.isna(x) if x.dtype == object else np.isnan(x)


def feature_kinds(scenario) -> dict[str, str]:
    if scenario.data.synthetic is not None:
        return {f.name: f.kind for f in scenario.data.synthetic.features}
    csv = scenario.data.csv
    return {**{c: "numeric" for c in csv.numeric}, **{c: "categorical" for c in csv.categorical}}


def _source_features(scenario, source: str) -> list[str]:
    if scenario.data.synthetic is None:
        return scenario.feature_names()
    return [f.name for f in scenario.data.synthetic.features if f.source == source]


def duplicate_rows(df: pd.DataFrame, sources: list[Source], rng: np.random.Generator) -> pd.DataFrame:
    """Records merged from several silos without de-duplication appear more than once."""
    rate = max((s.duplicate_rate for s in sources), default=0.0)
    n_dup = int(rng.binomial(len(df), rate)) if rate > 0 else 0
    if n_dup == 0:
        return df
    picks = rng.choice(len(df), size=n_dup, replace=False)
    return pd.concat([df, df.iloc[np.sort(picks)]], ignore_index=True)
