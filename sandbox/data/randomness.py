"""Every random input of a run, named in one place.

Each draws from its own ``numpy.random.SeedSequence(seed, spawn_key=(stream, index))`` generator, so one
input never shifts another (an event injected on day d changes nothing before d; a retraining that fails
does not change the next day's cases), and no global random state is used. The index is the day, the event
or the attempt, as each stream says. The model's own randomness (a train/test split, a forest's trees) is
seeded from the run's seed and the model version (``model_seed``).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    HISTORY = 1  # the labelled history the first model is trained on (or a CSV's shuffle)
    DAYS = 2  # one day's new cases (index: the day)
    EVENTS = 3  # when a scenario's random events strike (index: the event's place in the scenario)
    CASEWORK = 11  # whether a caseworker decides a case correctly (index: the day)
    RETRAIN = 12  # whether a retraining run fails (index: the attempt)
    ROUTING = 13  # which cases a canary or an A/B test serves (index: the day)


def rng_for(seed: int, stream: int, index: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(stream), index)))


def model_seed(seed: int, version: int) -> int:
    """The seed of a model version's split, training and evaluation."""
    return seed * 1000 + version
