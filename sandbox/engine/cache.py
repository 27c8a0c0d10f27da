"""Lazy, block-wise generation and scoring of the case stream.

Scikit-learn pipelines and the generator have a fixed cost per call, so working a
day at a time would dominate a run. Days are generated in blocks, and scored in blocks for each model
version; because every day has its own random stream the result does not depend
on block boundaries. Anything that changes the stream from day d on (an
injected event, an upstream schema fix) invalidates cached days >= d.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.data.stream import CaseStream
from sandbox.ml.train import ModelVersion, predict_scores

BLOCK_DAYS = 30


class DayCache:
    def __init__(self, stream: CaseStream, horizon: int, task_type: str):
        self.stream = stream
        self.horizon = horizon
        self.task_type = task_type
        self._days: dict[int, dict[str, np.ndarray]] = {}
        self._scores: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def day(self, d: int) -> dict[str, np.ndarray]:
        if d not in self._days:  # this day and the next ones not yet made, in one go
            ahead = [k for k in range(d, min(d + BLOCK_DAYS, self.horizon)) if k not in self._days] or [d]
            self._days.update(zip(ahead, self.stream.days(ahead), strict=True))
        return self._days[d]

    def scores(self, model: ModelVersion, d: int) -> tuple[np.ndarray, np.ndarray]:
        key = (id(model), d)
        if key not in self._scores:
            self._score_block(model, d)
        return self._scores[key]

    def _score_block(self, model: ModelVersion, start: int) -> None:
        days = [d for d in range(start, min(start + BLOCK_DAYS, self.horizon)) if (id(model), d) not in self._scores]
        batches = [self.day(d) for d in days]
        sizes = [len(b[next(iter(b))]) for b in batches]
        frame = pd.DataFrame({c: np.concatenate([b[c] for b in batches]) for c in model.columns})
        scores, ok = predict_scores(model, frame, self.task_type)
        bounds = np.cumsum([0, *sizes])
        for d, lo, hi in zip(days, bounds[:-1], bounds[1:], strict=True):
            self._scores[(id(model), d)] = (scores[lo:hi], ok[lo:hi])

    def invalidate_from(self, d: int) -> None:
        for k in [k for k in self._days if k >= d]:
            del self._days[k]
        for k in [k for k in self._scores if k[1] >= d]:
            del self._scores[k]
