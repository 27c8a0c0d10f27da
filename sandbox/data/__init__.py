"""Data for a run: historical training cases and the daily stream of new cases, generated (``synthetic``) or
drawn from a scenario's CSV file (``csvdata``), with the scenario's drift and faults (``faults``)."""

from __future__ import annotations

from pathlib import Path

from sandbox.data.stream import CaseStream, ConcreteEvent, expand_events
from sandbox.spec.scenario import Scenario

__all__ = ["CaseStream", "ConcreteEvent", "expand_events", "make_stream"]


def make_stream(scenario: Scenario, seed: int, events: list[ConcreteEvent], folder: Path | None) -> CaseStream:
    """The scenario's case stream: generated, or drawn from its CSV file."""
    if scenario.data.synthetic is not None:
        from sandbox.data.synthetic import SyntheticStream

        return SyntheticStream(scenario, seed, events, folder)
    from sandbox.data.csvdata import CsvStream

    return CsvStream(scenario, seed, events, folder)
