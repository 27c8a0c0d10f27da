"""The case stream: historical cases for training and one batch of new cases per day.

Randomness: every day draws from its own generator, derived from the run's seed
with ``SeedSequence(seed, spawn_key=(stream, day))``. A day's cases therefore do
not depend on which other days were generated first, so the engine can generate
lazily, and an event injected on day d changes nothing before d.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sandbox.data.randomness import Stream, rng_for
from sandbox.spec.events import KINDS
from sandbox.spec.scenario import EventKind, EventSpec, Scenario

# Columns every batch carries besides the features and protected attributes.
DAY, CASE, TARGET = "_day", "_case", "_target"


@dataclass(frozen=True)
class ConcreteEvent:
    """An event placed on a day, with its intensity applied."""

    id: str
    spec: EventSpec
    day: int
    magnitude: float
    duration_days: float

    @property
    def kind(self) -> EventKind:
        return self.spec.kind

    def active(self, day: int, fixed_day: int | None = None) -> bool:
        end = self.day + self.duration_days if KINDS[self.kind].lasts != "until fixed" else fixed_day
        return day >= self.day and (end is None or day < end)

    def ramp(self, day: int) -> float:
        if day < self.day:
            return 0.0
        if self.spec.ramp_days <= 0:
            return 1.0
        return min(1.0, (day - self.day + 1) / self.spec.ramp_days)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind.value, "day": self.day, "title": self.spec.label,
                "magnitude": round(self.magnitude, 6),
                "duration_days": None if math.isinf(self.duration_days) else self.duration_days,
                "feature": self.spec.feature, "source": self.spec.source, "group": self.spec.group}



def expand_events(specs: list[EventSpec], days: int, intensity: float, seed: int,
                  prefix: str = "E") -> list[ConcreteEvent]:
    """Place every event on a day: fixed days as given, random ones by a Poisson process."""
    placed: list[tuple[int, int, EventSpec]] = []
    for i, spec in enumerate(specs):
        if spec.day is not None:
            if spec.day < days:
                placed.append((spec.day, i, spec))
            continue
        rng = rng_for(seed, Stream.EVENTS, i)
        count = rng.poisson(spec.rate_per_year * intensity * days / 365.0)
        for d in sorted(rng.integers(0, days, size=count).tolist()):
            placed.append((int(d), i, spec))
    placed.sort(key=lambda t: (t[0], t[1]))
    return [concrete(f"{prefix}{n + 1}", spec, day, intensity) for n, (day, _, spec) in enumerate(placed)]


def concrete(event_id: str, spec: EventSpec, day: int, intensity: float) -> ConcreteEvent:
    lasting = KINDS[spec.kind]
    if spec.duration_days is None:
        duration = math.inf if lasting.lasts == "to the end" else 1.0
    else:
        duration = spec.duration_days * (intensity if lasting.duration_scales else 1.0)
    return ConcreteEvent(event_id, spec, day, spec.magnitude * intensity, duration)


@dataclass
class CaseStream(ABC):
    """Base class: subclasses generate the history and one day's raw cases."""

    scenario: Scenario
    seed: int
    events: list[ConcreteEvent]
    folder: Path | None = None
    fixes: dict[str, int] = field(default_factory=dict)  # schema-change event id -> day it was fixed

    @abstractmethod
    def history(self) -> pd.DataFrame:
        """Historical labelled cases (observed features, protected attributes, target)."""

    @abstractmethod
    def day(self, d: int) -> dict[str, np.ndarray]:
        """The cases arriving on day ``d``, as the service would receive them."""

    def days(self, days: list[int]) -> list[dict[str, np.ndarray]]:
        """Several days' cases (the same as ``day`` for each; a stream may make them faster together)."""
        return [self.day(d) for d in days]

    def active(self, d: int, *kinds: EventKind) -> list[ConcreteEvent]:
        return [e for e in self.events if e.kind in kinds and self.on(e, d)]

    def on(self, e: ConcreteEvent, d: int) -> bool:
        """Whether ``e`` is active on day ``d`` (a schema change until the day it was fixed upstream)."""
        return e.active(d, self.fixes.get(e.id))

    def volume(self, d: int, rng: np.random.Generator) -> int:
        tl = self.scenario.timeline
        s = tl.seasonality
        season = 1.0 + s.amplitude * np.cos(2 * np.pi * (d - s.peak_day) / 365.0)
        weekday = s.weekend_factor if d % 7 in (5, 6) else 1.0
        spike = 1.0 + sum(e.magnitude for e in self.active(d, EventKind.traffic_spike))
        return int(rng.poisson(tl.cases_per_day * season * weekday * spike))
