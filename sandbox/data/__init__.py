"""Data for a run: historical training cases and the daily stream of new cases."""

from sandbox.data.stream import CaseStream, ConcreteEvent, expand_events, make_stream

__all__ = ["CaseStream", "ConcreteEvent", "expand_events", "make_stream"]
