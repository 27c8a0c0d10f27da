"""A scenario's CSV data checked where the scenario is loaded: the file exists, is not too large, and has
the declared, well-typed columns. Every problem names the file, the line and the column.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from sandbox.spec.scenario import CsvData
from sandbox.spec.yamlio import Problem, YamlDoc

MAX_FILE_BYTES = 200 * 1024 * 1024


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
