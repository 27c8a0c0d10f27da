"""Rubric scoring: judge a run against the core rubric and the scenario's own, beside a reference run (the
expert plan's, which ``sandbox.runs.scored`` plays: scoring never runs the engine)."""

from __future__ import annotations

from sandbox.scoring.rubric import Rubric, load_rubric
from sandbox.scoring.score import score

__all__ = ["Rubric", "load_rubric", "rubric_for", "score"]


def rubric_for(loaded) -> Rubric:
    from sandbox.spec.loader import LESSONS_DIR

    return load_rubric(loaded.folder / "rubric.yaml", LESSONS_DIR)
