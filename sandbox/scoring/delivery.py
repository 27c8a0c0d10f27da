"""Did a model go live? A year's delivery read from its result: the days a model served, the versions the
promotion gate stopped and why, and, when none served, what in this plan could change that. The rubric's
delivery cap, the CLI, the Results page and the HTML report all read it from here, so they say the same.
"""

from __future__ import annotations

from collections import Counter


def delivery(result: dict) -> dict:
    """``served`` (a model scored cases on at least one day), ``served_days``, ``versions`` (trained),
    ``blocked`` (stopped by the gate), ``reason`` (the gate's commonest reason, in words, or None), ``codes``
    (the gate's reasons as ``ml.evaluate.GATE_REASONS``) and ``advice`` (what this plan could change; empty
    when a model served)."""
    served_days = sum(1 for day in result["timeline"] if day.get("model_version"))
    evaluations = [result["evaluation"]["initial"], *result["evaluation"]["retrains"]]
    blocked = [e for e in evaluations if not e["gate"]["go"]]
    reasons = Counter(r for e in blocked for r in e["gate"]["reasons"])
    codes = sorted({c for e in blocked for c in e["gate"].get("codes", [])})
    out = {"served": served_days > 0, "served_days": served_days, "versions": len(evaluations),
           "blocked": len(blocked), "codes": codes,
           "reason": reasons.most_common(1)[0][0].replace("_", " ") if reasons else None}
    out["advice"] = "" if out["served"] else advice(result["plan"]["decisions"], codes, result["scenario"])
    return out


def advice(decisions: dict, codes: list[str], scenario: dict) -> str:
    """What in this plan could let a model go live, from the gate's reasons; only changes the plan has not
    already made."""
    steps = []
    if "fairness_unchecked" in codes:
        steps.append("turn on the per-group fairness audit in the evaluation phase (the gate cannot check "
                     "fairness without it)")
    if "fairness_limit" in codes:
        options = [o for o, done in (("a bias mitigation such as reweighing",
                                      decisions.get("model.bias_mitigation") != "none"),
                                     ("the protected attributes kept out of the inputs",
                                      decisions.get("data.minimisation"))) if not done]
        steps.append("narrow the gap between groups" + (f" ({' or '.join(options)})" if options else
                                                        " (more representative data, another algorithm)"))
    if "performance" in codes:
        options = [o for o, done in (("full data cleaning", decisions.get("data.cleaning") == "full"),
                                     ("more data sources", len(decisions.get("data.sources", [])) > 1),
                                     ("another algorithm", False)) if not done]
        steps.append(f"raise the model's {'error' if scenario.get('task') == 'regression' else 'performance'} "
                     f"to the required level ({', '.join(options)}), or make sure the success metric fits "
                     "the task")
    if not steps:
        return "No model version reached service: check the release strategy and the retraining settings."
    return "To put a model into service: " + "; ".join(steps) + "."


def headline(result: dict) -> str | None:
    """The first line a learner reads when no model went live; None when one did."""
    d = delivery(result)
    if d["served"]:
        return None
    if d["blocked"] < d["versions"]:
        stopped = f"{d['blocked']} of {d['versions']} versions"
    else:
        stopped = "the only version" if d["versions"] == 1 else f"all {d['versions']} versions"
    why = f" The promotion gate stopped {stopped}: {d['reason']}." if d["reason"] else ""
    return f"No model went live this year: every case was handled by hand.{why} {d['advice']}"
