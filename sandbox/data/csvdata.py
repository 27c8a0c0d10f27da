"""Bring your own data: a scenario whose cases come from a CSV file.

The earliest 40% of rows (by the date column if there is one, else a seeded
shuffle) are the labelled history; the daily stream samples from the rest in
order, so a real shift in the file shows up as drift. Scenario events apply on
top: feature drift shifts numeric columns; concept, rule and label drift flip
labels of the affected cases; faults blank or corrupt what the service sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sandbox.data.faults import observe
from sandbox.data.randomness import Stream, rng_for
from sandbox.data.stream import CASE, DAY, TARGET, CaseStream
from sandbox.spec.csvcheck import read_csv
from sandbox.spec.scenario import CsvData, EventKind

HISTORY_SHARE = 0.4


@dataclass
class CsvStream(CaseStream):
    def __post_init__(self) -> None:
        spec: CsvData = self.scenario.data.csv
        self.spec = spec
        path = self.folder / spec.path
        df = read_csv(str(path), path.stat().st_mtime)
        cols = {c: pd.to_numeric(df[c], errors="coerce") for c in spec.numeric}
        cols.update({c: df[c].astype(object) for c in [*spec.categorical, *spec.protected]})
        target = pd.to_numeric(df[spec.target], errors="coerce") if self.scenario.task.type == "regression" \
            else df[spec.target].astype(int)
        frame = pd.DataFrame(cols)
        frame[TARGET] = target.to_numpy()
        if spec.date_column:
            order = np.argsort(pd.to_datetime(df[spec.date_column]).to_numpy(), kind="stable")
        else:
            order = rng_for(self.seed, Stream.HISTORY).permutation(len(frame))
        frame = frame.iloc[order].reset_index(drop=True)
        cut = int(len(frame) * HISTORY_SHARE)
        self._history, self._pool = frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)

    def history(self) -> pd.DataFrame:
        df = self._history.copy()
        df[DAY] = -1 - (np.arange(len(df)) * 365 // max(len(df), 1))[::-1]
        df[CASE] = np.arange(-len(df), 0)
        return df

    def day(self, d: int) -> dict[str, np.ndarray]:
        rng = rng_for(self.seed, Stream.DAYS, d)
        n = self.volume(d, rng)
        days = self.scenario.timeline.days
        lo = int(len(self._pool) * d / days)
        hi = max(lo + 1, int(len(self._pool) * (d + 1) / days))
        df = self._pool.iloc[rng.integers(lo, hi, size=n)].reset_index(drop=True)
        self._drift(df, d, rng)
        df[DAY] = d
        df[CASE] = d * 100_000 + np.arange(n)
        cols = {c: df[c].to_numpy(dtype=object if df[c].dtype == object else float) for c in df.columns}
        cols[DAY], cols[CASE] = df[DAY].to_numpy(), df[CASE].to_numpy()
        return observe(cols, self, d, rng)

    def _drift(self, df: pd.DataFrame, d: int, rng) -> None:
        u = rng.random(len(df))
        for e in self.active(d, EventKind.covariate_drift, EventKind.subgroup_drift, EventKind.seasonal_shift):
            if e.spec.feature in self.spec.numeric:
                rows = np.ones(len(df), bool)
                if e.spec.group:
                    attr, value = e.spec.group.split("=", 1)
                    rows = (df[attr] == value).to_numpy()
                sd = float(self._history[e.spec.feature].std() or 1.0)
                df.loc[rows, e.spec.feature] += e.magnitude * e.ramp(d) * sd
        for e in self.active(d, EventKind.concept_drift, EventKind.rule_change, EventKind.label_drift):
            if self.scenario.task.type == "classification":
                flip = u < min(0.5, abs(e.magnitude) * e.ramp(d) * 0.2)
                df.loc[flip, TARGET] = 1 - df.loc[flip, TARGET]
