"""What a decision costs in the scenario's own units, as the phase forms show it beside the trade-off text: the
set-up work before launch (person-days and their price) and, for the practices that run every day, what they
cost a day. The figures are the ones the engine charges (``spec.decisions.SETUP_DAYS``,
``engine.timeline.running_cost``)."""

from __future__ import annotations

import math
from typing import Any

from sandbox.spec.decisions import SETUP_DAYS
from sandbox.spec.scenario import Scenario

CADENCE_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}


def _money(x: float) -> str:
    return f"{x:,.0f}"


def cost_words(key: str, scenario: Scenario) -> str:
    """One sentence (or none) on what the decision costs in this scenario."""
    rate = scenario.resources.team_day_rate
    c = scenario.operations.costs
    parts: list[str] = []
    rule: Any = SETUP_DAYS.get(key)
    if isinstance(rule, dict):
        each = ", ".join(f"{option.replace('_', ' ')} {days:g}" for option, days in rule.items())
        parts.append(f"Set-up before launch, in person-days: {each} (each person-day costs {_money(rate)}).")
    elif rule is not None:
        what = "for each one" if key in ("monitoring.signals", "data.sources") else "when chosen"
        parts.append(f"Set-up before launch: {rule:g} person-days {what} ({_money(rule * rate)}).")
    if key == "deployment.infrastructure":
        each = ", ".join(f"{k.replace('_', ' ')} {_money(v)}" for k, v in c.infrastructure_per_day.items())
        parts.append(f"Running cost a day: {each}.")
    elif key == "monitoring.signals" and c.monitoring_signal_per_day:
        parts.append(f"Each monitor costs {_money(c.monitoring_signal_per_day)} a day to run.")
    elif key == "monitoring.cadence" and c.check_review:
        each = ", ".join(f"{k} {_money(c.check_review / d)}" for k, d in CADENCE_DAYS.items())
        parts.append(f"Someone reads the checks each time they run, which costs, per day: {each}.")
    elif key == "monitoring.alert_to" and c.on_call_per_day:
        parts.append(f"An on-call rota costs {_money(c.on_call_per_day)} a day.")
    elif key in ("retraining.mode", "retraining.interval_days") and c.retraining_run:
        parts.append(f"Each retraining run costs {_money(c.retraining_run)}.")
    return " ".join(parts)


def budget_words(scenario: Scenario) -> str:
    """The project's resources in one paragraph, for the problem phase."""
    res = scenario.resources
    budget = res.year_budget(scenario.operations, scenario.timeline.days)
    return (f"The project has a budget of {_money(budget)} for the year and a team of {res.team_size}, with "
            f"{res.preparation_days:g} working days before the go-live date ({res.team_size * res.preparation_days:g} "
            "person-days). Set-up work beyond that delays the launch, and until the model goes live every case goes "
            f"to the {scenario.operations.reviewer}s. If the project overspends, {res.over_budget}.")


def setup_words(decisions: dict[str, Any], scenario: Scenario) -> str:
    """The saved plan's set-up work and what it does to the launch, in one sentence."""
    from sandbox.spec.decisions import plan_setup_days

    res = scenario.resources
    work = sum(plan_setup_days(decisions).values())
    late = work / res.team_size - res.preparation_days
    when = (f"the model can go live on day {math.ceil(late)}, and until then every case goes to the "
            f"{scenario.operations.reviewer}s" if late > 0 else "the model can go live on the go-live date")
    return (f"Your saved plan needs {work:g} person-days of set-up ({_money(work * res.team_day_rate)}); the team "
            f"has {res.team_size * res.preparation_days:g} before the go-live date, so {when}.")
