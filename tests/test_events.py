"""The event kinds and monitor signals are declared once (``sandbox.spec.events``): every kind of the schema
has one entry, one way to strike the service and a data effect when it corrupts data (``sandbox validate``
checks that a criterion assesses each kind a scenario injects); every signal has a spec and a calculation."""

from sandbox.data.faults import FAULTS
from sandbox.engine.monitors import CHECKS
from sandbox.engine.processes import STRIKES
from sandbox.spec.decisions import RESPONSES
from sandbox.spec.decisions import SIGNALS as PLAN_SIGNALS
from sandbox.spec.events import DATA_FAULTS, KINDS, SIGNALS, EventKind


def test_every_event_kind_has_one_entry_and_one_handler():
    assert set(KINDS) == set(EventKind) and all(k == s.kind for k, s in KINDS.items())
    assert set(STRIKES) == set(EventKind)
    assert set(FAULTS) == set(DATA_FAULTS) == {k for k, s in KINDS.items() if s.corrupts_data}


def test_each_kind_names_known_signals_and_sound_responses():
    for kind, spec in KINDS.items():
        assert set(spec.seen_by) <= set(SIGNALS), kind
        assert set(spec.responses) <= set(RESPONSES) and spec.responses, kind
        assert all(r in spec.responses for _, r in spec.default_response), kind
        assert spec.lasts in ("one day", "to the end", "until fixed"), kind


def test_every_signal_has_a_spec_and_a_calculation():
    assert tuple(SIGNALS) == PLAN_SIGNALS
    assert set(CHECKS) | {s for s, spec in SIGNALS.items() if spec.checked_daily} == set(SIGNALS)
    assert all(SIGNALS[s].detects for s in SIGNALS)  # each can see something


def test_the_timeline_has_the_declared_columns_and_the_random_streams_are_distinct():
    from conftest import run_flagship

    from sandbox.data.randomness import Stream
    from sandbox.engine.timeline import COLUMNS

    result = run_flagship("expert")
    assert all(tuple(row) == COLUMNS for row in result["timeline"])
    assert len({s.value for s in Stream}) == len(Stream)
