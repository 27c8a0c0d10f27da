"""The key figures of a run, with their labels and formats: one table for the command line's summary, the
HTML report, the app's results and comparison pages, and the rubric's sentences (``run.words.<figure>``)."""

from __future__ import annotations

KPI_LABELS = (
    ("cases", "cases decided", "{:,}"),
    ("automated_share", "decided automatically", "{:.1%}"),
    ("wrongful_adverse_decisions", "wrongful adverse decisions", "{:,}"),
    ("missed_cases", "missed cases", "{:,}"),
    ("harms_per_1000_cases", "harms per 1,000 cases", "{:.1f}"),
    ("fairness_gap", "fairness gap (policy limit {fairness_limit})", "{:.3f}"),
    ("availability", "service availability", "{:.2%}"),
    ("backlog_max", "largest caseworker backlog", "{:,}"),
    ("mean_wait_days", "mean wait for a caseworker (days)", "{:.2f}"),
    ("cost", "total cost", "{:,.0f}"),
    ("spend", "project spending", "{:,.0f}"),
    ("budget", "project budget for the year", "{:,.0f}"),
    ("posts_held", "review posts left empty to pay for an overspend", "{:,}"),
    ("mean_time_to_detect_days", "mean time to detect an incident (days)", "{:.1f}"),
    ("mean_time_to_recover_days", "mean time to recover (days)", "{:.1f}"),
)
REGRESSION_LABELS = {  # a regression task's harms are estimates off by more than the scenario's tolerance
    "wrongful_adverse_decisions": "estimates too high (beyond tolerance)",
    "missed_cases": "estimates too low (beyond tolerance)",
    "fairness_gap": "error gap between groups (policy limit {fairness_limit})",
}


def kpi_words(task: str) -> dict[str, str]:
    """Each key figure's name, as a sentence uses it, for the task type (without the policy limit)."""
    return {key: label.split(" (policy limit")[0] for key, label, _ in kpi_labels(task)}


def kpi_labels(task: str) -> list[tuple[str, str, str]]:
    """The key figures with their labels and formats, worded for the task type."""
    if task != "regression":
        return list(KPI_LABELS)
    return [(key, REGRESSION_LABELS.get(key, label), fmt) for key, label, fmt in KPI_LABELS]
