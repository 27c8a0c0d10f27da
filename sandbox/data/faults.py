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

from sandbox.spec.events import DATA_FAULTS, KINDS
from sandbox.spec.scenario import EventKind, Feature, Source

CORRUPTION_FACTOR = 100.0  # a lost decimal point
CORRUPT_CATEGORY = "?"


Cols = dict[str, np.ndarray]


def observe(cols: Cols, stream, d: int | None, rng: np.random.Generator) -> Cols:
    """Apply source faults (always drawn) and the day's event faults to a batch's columns."""
    spec = stream.scenario.data.synthetic
    if spec is not None:
        apply_source_faults(cols, spec.sources, spec.features, draw_source_faults(spec.sources, len(
            next(iter(cols.values()))), rng))
    if d is not None:
        apply_event_faults(cols, stream, [d], np.array([len(next(iter(cols.values())))]))
    return cols


def draw_source_faults(sources: list[Source], n: int, rng) -> list[np.ndarray]:
    """The uniform draws behind each source's faults, in a fixed order: per source, its missing records,
    then each legacy encoding's rows."""
    out = []
    for s in sources:
        out.append(rng.random(n))
        out.extend(rng.random(n) for _ in s.legacy_encodings)
    return out


def apply_source_faults(cols: Cols, sources: list[Source], features: list[Feature], draws: list[np.ndarray]) -> None:
    kinds = {f.name: f.kind for f in features}
    draws = iter(draws)
    for s in sources:
        missing = next(draws) < s.missing_rate
        for f in features:
            if f.source == s.id and missing.any():
                cols[f.name] = _blank(cols[f.name], missing)
        for enc in s.legacy_encodings:
            rows = next(draws) < enc.share
            x = cols[enc.column].copy()
            if kinds.get(enc.column) == "categorical" and enc.codes:
                for canonical, code in enc.codes.items():
                    x[rows & (x == canonical)] = code
            elif enc.sentinel is not None:
                x[rows & ~_isnan(x)] = enc.sentinel
            cols[enc.column] = x


def apply_event_faults(cols: Cols, stream, days: list[int], sizes: np.ndarray) -> None:
    """The event faults of several consecutive batches (``sizes[i]`` cases of day ``days[i]``), in one pass."""
    kinds = feature_kinds(stream.scenario)
    for kind in DATA_FAULTS:  # the kinds' own order, then the events' order
        for e in stream.events:
            if e.kind != kind:
                continue
            on = np.array([stream.on(e, d) for d in days])
            if not on.any():
                continue
            rows = np.repeat(on, sizes)
            names = (_source_features(stream.scenario, e.spec.source) if "source" in KINDS[kind].needs
                     else [e.spec.feature])  # a whole source's fields, or one field
            for name in names:
                cols[name] = FAULTS[kind](cols[name], kinds[name], e, rows)


def _outage(x: np.ndarray, kind: str, e, rows: np.ndarray) -> np.ndarray:
    """The source's fields arrive empty."""
    return _blank(x, rows)


def _reformat(x: np.ndarray, kind: str, e, rows: np.ndarray) -> np.ndarray:
    """A field's format changes: numbers in another unit (scaled by the magnitude), codes in capitals."""
    x = x.copy()
    if kind == "numeric":
        x[rows] = x[rows] * e.magnitude
    else:
        x[rows] = np.array([v.upper() if isinstance(v, str) else v for v in x[rows]], dtype=object)
    return x


def _corrupt(x: np.ndarray, kind: str, e, rows: np.ndarray) -> np.ndarray:
    """A field arrives garbled: numbers far out of range, an unknown category."""
    x = x.copy()
    if kind == "numeric":
        x[rows] = x[rows] * CORRUPTION_FACTOR
    else:
        x[rows] = CORRUPT_CATEGORY
    return x


# What each data fault does to the fields the service receives (one function a kind; a test checks every
# ``spec.events`` kind that corrupts data has one)
FAULTS = {EventKind.legacy_outage: _outage, EventKind.schema_change: _reformat, EventKind.corrupted_batch: _corrupt}


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
