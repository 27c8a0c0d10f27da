"""The plans a calibration sweep plays: the scenario's own, a gold-plated plan, random plans and single-decision
ablations of the expert plan. Each is built as a plan file would be read (``plan_from_dict``), so every one is
checked against the catalogue and the scenario.

- **Gold-plated**: every decision at its most thorough or most expensive option (``spec.decisions.THOROUGH``,
  ``most_thorough``); a scenario's own decision at its last listed option. The impact answers stay the expert's:
  they describe the system, not how careful the team is.
- **Random**: every decision uniform over its options (those that mean something for the scenario's task,
  ``spec.decisions.FOR_TASK``); a number uniform over the catalogue's range (low to
  high), rounded to a whole number when its default is whole and to two decimals otherwise; each optional
  element of a set (a monitor signal, an extra data source) taken with probability one half; each impact
  question answered uniformly. Plan ``i`` is drawn from its own stream (``RANDOM_PLANS`` and ``i``), so the same
  command gives the same plans, and adding plans keeps the first ones.
- **Ablations**: the expert plan with one decision changed, to each of its other options in turn: a yes/no
  practice flipped, a one-of decision to each other option, a set with one element added or removed, a number
  one step looser and one step tighter (halved and doubled, kept within its range).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sandbox.spec.decisions import BY_ID, Plan, applies, most_thorough, options
from sandbox.spec.loader import LoadedScenario, plan_from_dict

RANDOM_PLANS = 20260  # the random plans' stream: plan i is drawn from default_rng([RANDOM_PLANS, i])


@dataclass(frozen=True)
class Ablation:
    decision: str
    choice: Any
    plan: Plan


def _options(loaded: LoadedScenario, key: str) -> tuple[str, Any]:
    """A decision's kind and what it may take (a scenario's own decisions are one-of)."""
    own = loaded.scenario.decisions.get(key)
    if own is not None:
        return "choice", tuple(own.choices)
    decision = BY_ID[key]
    if decision.kind == "subset":
        return "subset", tuple(c for c in (decision.choices or loaded.scenario.source_ids()) if c != "primary")
    return decision.kind, options(decision, loaded.scenario.task.type)


def _checked(loaded: LoadedScenario, name: str, decisions: dict, answers: dict) -> Plan:
    return plan_from_dict({"name": name, "decisions": decisions, "impact_answers": answers}, loaded.scenario,
                          source=f"<calibration plan {name}>")


def gold_plated(loaded: LoadedScenario, base: Plan) -> Plan:
    """Every box ticked: ``base`` (the expert plan, or the defaults) with every decision at its most thorough."""
    decisions = {}
    for key, current in base.decisions.items():
        own = loaded.scenario.decisions.get(key)
        if own is not None:
            decisions[key] = list(own.choices)[-1]
        else:
            decisions[key] = most_thorough(BY_ID[key], current, loaded.scenario.source_ids(),
                                           loaded.scenario.task.type)
    return _checked(loaded, "gold-plated", decisions, dict(base.impact_answers))


def _round(decision, value: float) -> float | int:
    return int(round(value)) if isinstance(decision.default, int) else round(float(value), 2)


def random_plan(loaded: LoadedScenario, base: Plan, index: int) -> Plan:
    """Random plan ``index``: every decision and impact answer drawn uniformly (see the module's text)."""
    rng = np.random.default_rng([RANDOM_PLANS, index])
    decisions = {}
    for key in sorted(base.decisions):
        kind, options = _options(loaded, key)
        if kind == "bool":
            decisions[key] = bool(rng.integers(2))
        elif kind == "number":
            decision = BY_ID[key]
            decisions[key] = _round(decision, rng.uniform(decision.low, decision.high))
        elif kind == "subset":
            taken = [o for o in options if rng.random() < 0.5]
            decisions[key] = ["primary", *taken] if key == "data.sources" else taken
        else:
            decisions[key] = options[int(rng.integers(len(options)))]
    answers = {}
    for question in loaded.scenario.impact_questions:
        choices = list(question.points)
        answers[question.id] = choices[int(rng.integers(len(choices)))]
    return _checked(loaded, f"random-{index + 1}", decisions, answers)


def _alternatives(loaded: LoadedScenario, key: str, value: Any) -> list[Any]:
    kind, options = _options(loaded, key)
    if kind == "bool":
        return [not value]
    if kind == "number":
        decision = BY_ID[key]
        out = []
        for step in (value / 2, value * 2):
            stepped = _round(decision, min(max(step, decision.low), decision.high))
            if stepped != value and stepped not in out:
                out.append(stepped)
        return out
    if kind == "subset":
        current = list(value)
        return [[v for v in current if v != o] if o in current else [*current, o] for o in options]
    return [o for o in options if o != value]


def ablations(loaded: LoadedScenario, expert: Plan) -> list[Ablation]:
    """Every single-decision change of the expert plan, in catalogue order, of the decisions that apply under
    its other choices (``spec.decisions.APPLIES_WHEN``)."""
    out = []
    for key in sorted(expert.decisions, key=_catalogue_order):
        if not applies(key, expert.decisions):
            continue  # it cannot matter under the plan's other choices (the interval of a triggered retraining)
        for choice in _alternatives(loaded, key, expert.decisions[key]):
            name = f"ablation-{len(out) + 1}"
            out.append(Ablation(key, choice, _checked(loaded, name, {**expert.decisions, key: choice},
                                                      dict(expert.impact_answers))))
    return out


def _catalogue_order(key: str) -> tuple[int, str]:
    order = list(BY_ID)
    return (order.index(key), key) if key in BY_ID else (len(order), key)


def shown(choice: Any) -> str:
    """A choice as the report and the JSON name it: ``on``/``off``, a list joined, a number as written."""
    if isinstance(choice, bool):
        return "on" if choice else "off"
    if isinstance(choice, list):
        return ", ".join(choice) or "none"
    return str(choice)
