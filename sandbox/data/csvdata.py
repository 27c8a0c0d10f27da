"""Bring your own data: a scenario whose cases come from a CSV file.

The earliest 40% of rows (by the date column if there is one, else a seeded
shuffle) are the labelled history; the daily stream samples from the rest in
order, so a real shift in the file shows up as drift. Scenario events apply on
top: feature drift shifts numeric columns; concept, rule and label drift flip
labels of the affected cases; faults blank or corrupt what the service sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sandbox.data.faults import observe
from sandbox.data.stream import CASE, DAY, STREAM_DAYS, STREAM_HISTORY, TARGET, CaseStream, rng_for
from sandbox.scenario import CsvData, EventKind
from sandbox.yamlio import Problem, YamlDoc

MAX_FILE_BYTES = 200 * 1024 * 1024
HISTORY_SHARE = 0.4


def check_csv(spec: CsvData, folder: Path, doc: YamlDoc) -> list[Problem]:
    """Check that the CSV exists, is not too large and has the declared, well-typed columns."""
    path = folder / spec.path
    at = (str(doc.path), doc.line_of(("data", "csv", "path")), "data.csv.path")
    if not path.is_file():
        return [Problem(*at, f"CSV file not found: {path}")]
    if path.stat().st_size > MAX_FILE_BYTES:
        return [Problem(*at, f"CSV file is larger than {MAX_FILE_BYTES // 2**20} MB; sample it first")]
    try:
        df = read_csv(str(path), path.stat().st_mtime)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        return [Problem(str(path), 1, "", f"cannot parse CSV: {exc}")]
    if len(df) > spec.max_rows:
        return [Problem(*at, f"CSV has {len(df)} rows, more than max_rows ({spec.max_rows})")]
    return _column_problems(spec, df, path, doc)


def _column_problems(spec: CsvData, df: pd.DataFrame, path: Path, doc: YamlDoc) -> list[Problem]:
    problems = []
    declared = {"target": [spec.target], "protected": spec.protected, "numeric": spec.numeric,
                "categorical": spec.categorical, "date_column": [spec.date_column] if spec.date_column else []}
    for field_name, columns in declared.items():
        for i, col in enumerate(columns):
            if col not in df.columns:
                listed = field_name in ("protected", "numeric", "categorical")
                loc = ("data", "csv", field_name) + ((i,) if listed else ())
                problems.append(Problem(str(doc.path), doc.line_of(loc), f"data.csv.{field_name}",
                                        f"column '{col}' is not in {path.name} (has: {', '.join(df.columns)})"))
    if problems:
        return problems
    if len(spec.numeric) + len(spec.categorical) == 0:
        problems.append(Problem(str(doc.path), doc.line_of(("data", "csv")), "data.csv",
                                "declare at least one numeric or categorical feature column"))
    for col in spec.numeric:
        bad = pd.to_numeric(df[col], errors="coerce").isna() & df[col].notna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            problems.append(Problem(str(path), row + 2, col, f"expected a number, found '{df[col].iloc[row]}'"))
    empty = df[spec.target].isna()
    if empty.any():
        row = int(np.argmax(empty.to_numpy()))
        problems.append(Problem(str(path), row + 2, spec.target, "target value is empty"))
    if spec.date_column:
        bad = pd.to_datetime(df[spec.date_column], errors="coerce").isna()
        if bad.any():
            row = int(np.argmax(bad.to_numpy()))
            problems.append(Problem(str(path), row + 2, spec.date_column, "not a date"))
    return problems


@lru_cache(maxsize=8)
def read_csv(path: str, mtime: float) -> pd.DataFrame:  # mtime keys the cache to the file's version
    return pd.read_csv(path, low_memory=False)


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
            order = rng_for(self.seed, STREAM_HISTORY).permutation(len(frame))
        frame = frame.iloc[order].reset_index(drop=True)
        cut = int(len(frame) * HISTORY_SHARE)
        self._history, self._pool = frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)

    def history(self) -> pd.DataFrame:
        df = self._history.copy()
        df[DAY] = -1 - (np.arange(len(df)) * 365 // max(len(df), 1))[::-1]
        df[CASE] = np.arange(-len(df), 0)
        return df

    def day(self, d: int) -> dict[str, np.ndarray]:
        rng = rng_for(self.seed, STREAM_DAYS, d)
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
