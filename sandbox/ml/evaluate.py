"""Evaluate a trained model for real: task metrics, per-group metrics, robustness, gate.

Per-group metrics use fairlearn's MetricFrame; the fairness limit is the
scenario's stated policy, never a library default. The four-fifths ratio is
reported as a US employment heuristic, not as a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from sklearn import metrics as skm
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

from sandbox.ml.train import ModelVersion, TrainingSet, predict_scores
from sandbox.spec.scenario import Scenario

ROBUSTNESS_NOISE_SD = 0.25  # numeric inputs perturbed by a quarter of their (robust) standard deviation


@dataclass(frozen=True)
class Evaluation:
    metrics: dict
    groups: dict
    fairness: dict
    robustness: dict
    cross_validation: dict | None
    audited: bool
    test_scores: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)  # scores, mask

    def to_dict(self) -> dict:
        return {"metrics": self.metrics, "groups": self.groups, "fairness": self.fairness,
                "robustness": self.robustness, "cross_validation": self.cross_validation,
                "fairness_audited": self.audited}


def task_metrics(y: np.ndarray, pred: np.ndarray, score: np.ndarray, task_type: str) -> dict:
    if task_type == "regression":
        return {"mae": float(skm.mean_absolute_error(y, pred)),
                "rmse": float(np.sqrt(skm.mean_squared_error(y, pred))),
                "r2": float(skm.r2_score(y, pred))}
    # one confusion matrix, from which sklearn's accuracy, balanced accuracy, precision,
    # recall and F1 follow (each of those functions would validate and count again)
    (tn, fp), (fn, tp) = skm.confusion_matrix(y, pred, labels=[0, 1])
    n = tn + fp + fn + tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    rates = [r for r in (recall if tp + fn else None, tn / (tn + fp) if tn + fp else None) if r is not None]
    out = {"accuracy": (tp + tn) / n if n else 0.0,
           "balanced_accuracy": sum(rates) / len(rates) if rates else 0.0,
           "precision": precision, "recall": recall,
           "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0}
    if len(np.unique(y)) == 2:
        out["roc_auc"] = skm.roc_auc_score(y, score)
    return {k: float(v) for k, v in out.items()}


def decide(scores: np.ndarray, scenario: Scenario) -> np.ndarray:
    if scenario.task.type == "regression":
        return scores
    return (scores >= scenario.task.decision_threshold).astype(np.int8)


def evaluate(model: ModelVersion, test: TrainingSet, scenario: Scenario, plan, train: TrainingSet,
             seed: int) -> Evaluation:
    drop, *copies = _perturbed(model, test, seed) if plan["evaluation.robustness_tests"] else (None,)
    # the test set and its perturbed copies are scored in one call (scoring is row by row; a call costs milliseconds)
    every, every_ok = predict_scores(model, pd.concat([test.X, *copies], ignore_index=True) if copies else test.X,
                                     scenario.task.type)
    n = len(test.X)
    all_scores, ok = every[:n], every_ok[:n]
    y, scores = test.y[ok], all_scores[ok]
    pred = decide(scores, scenario)
    attr = scenario.policy.fairness.attribute
    group = test.groups[attr].to_numpy()[ok]
    metrics = task_metrics(y, pred, scores, scenario.task.type)
    metrics["scored_share"] = float(ok.mean())
    groups, fairness = group_metrics(y, pred, group, scenario)
    fairness["by_attribute"] = every_attribute(y, pred, test.groups.iloc[np.flatnonzero(ok)], scenario)
    robustness = _robustness(every[n:], every_ok[n:], drop, test, scenario, metrics) if copies else {}
    cv = _cross_validation(model, train, scenario, seed) if plan["evaluation.method"] == "cross_validation" else None
    return Evaluation(metrics, groups, fairness, robustness, cv, bool(plan["evaluation.fairness_audit"]),
                      (all_scores, ok))


def group_metrics(y: np.ndarray, pred: np.ndarray, group: np.ndarray, scenario: Scenario,
                  attribute: str | None = None) -> tuple[dict, dict]:
    """Per-group table and the fairness summary of one protected attribute (the policy's by default) against
    the scenario's policy limit.

    fairlearn's MetricFrame splits the cases by group and counts once per group (a confusion matrix, or the
    error sum); every rate and gap follows from those counts, which costs one MetricFrame pass instead of one
    per metric. The one way undefined and unreliable figures are handled: a group with fewer test cases than
    the policy's ``min_group_size`` stays in the table with its count but is left out of every gap
    (``small_groups``), and within the groups counted a rate with no cases behind it (no positives for the
    false negative rate, say) is left out of that rate's gap. With every group large enough and every rate
    defined, the gaps are fairlearn's ``demographic_parity_difference`` and ``equalized_odds_difference``.
    With no group large enough the gap is undefined (NaN) and not within the limit: fairness was not shown.
    """
    limit = scenario.policy.fairness
    attribute = attribute or limit.attribute
    regression = scenario.task.type == "regression"
    table = (_disaggregate(_error_counts, y, pred, group, lambda c: {"mae": _div(c[0], c[1]), "count": c[1]})
             if regression else _disaggregate(_confusion_counts, y, pred, group, confusion_rates))
    small = {g: int(r["count"]) for g, r in table.items() if r["count"] < limit.min_group_size}
    counted = {g: r for g, r in table.items() if g not in small}
    base = {"attribute": attribute, "limit": limit.max, "min_group_size": limit.min_group_size,
            "small_groups": small}
    if regression:
        gap = spread(counted, "mae")
        return table, {"metric": "error_gap", "value": gap, "within_limit": gap <= limit.max, **base}
    fpr_gap, fnr_gap = spread(counted, "false_positive_rate"), spread(counted, "false_negative_rate")
    values = {"demographic_parity_difference": spread(counted, "selection_rate"),
              # equalized odds difference = the larger of the TPR and FPR gaps (TPR gap = FNR gap)
              "equalized_odds_difference": equalized_odds(fpr_gap, fnr_gap),
              "error_gap": spread(counted, "accuracy")}
    value = float(values[limit.metric])
    selection = [r["selection_rate"] for r in counted.values() if not np.isnan(r["selection_rate"])]
    fairness = {"metric": limit.metric, "value": value, "within_limit": value <= limit.max, **base,
                "demographic_parity_difference": values["demographic_parity_difference"],
                "equalized_odds_difference": values["equalized_odds_difference"],
                "false_positive_rate_gap": fpr_gap, "false_negative_rate_gap": fnr_gap,
                "four_fifths_ratio": _div(min(selection), max(selection)) if selection else float("nan"),
                "four_fifths_note": "US employment heuristic only; the agency's own limit applies."}
    return table, fairness


def every_attribute(y: np.ndarray, pred: np.ndarray, groups: pd.DataFrame, scenario: Scenario) -> dict:
    """Each protected attribute's groups and gap, the policy's metric and limit applied to every one (the
    promotion gate judges the policy's own attribute; the others are shown beside it)."""
    out = {}
    for attribute in scenario.protected_names():
        table, summary = group_metrics(y, pred, groups[attribute].to_numpy(), scenario, attribute)
        out[attribute] = {"groups": table, "value": summary["value"], "within_limit": summary["within_limit"],
                          "small_groups": summary["small_groups"]}
    return out


def _confusion_counts(y_true, y_pred) -> np.ndarray:
    """tn, fp, fn, tp."""
    return np.bincount(2 * np.asarray(y_true, dtype=np.int64) + np.asarray(y_pred, dtype=np.int64), minlength=4)


def _error_counts(y_true, y_pred) -> np.ndarray:
    return np.array([float(np.abs(np.asarray(y_true) - np.asarray(y_pred)).sum()), float(len(y_true))])


def confusion_rates(c: np.ndarray) -> dict:
    tn, fp, fn, tp = (int(v) for v in c)
    n = tn + fp + fn + tp
    return {"selection_rate": _div(fp + tp, n), "false_positive_rate": _div(fp, tn + fp),
            "false_negative_rate": _div(fn, fn + tp), "accuracy": _div(tn + tp, n), "count": float(n)}


def _div(a, b) -> float:
    return float(a / b) if b else float("nan")


def _disaggregate(counter, y, pred, group, derive) -> dict:
    mf = MetricFrame(metrics={"counts": counter}, y_true=y, y_pred=pred, sensitive_features=group)
    return {str(g): derive(c) for g, c in mf.by_group["counts"].items()}


def equalized_odds(fpr_gap: float, fnr_gap: float) -> float:
    """The larger of the false positive and false negative (equivalently, true positive) rate gaps; NaN only
    when neither rate is defined in any group."""
    gaps = [g for g in (fpr_gap, fnr_gap) if not np.isnan(g)]
    return max(gaps) if gaps else float("nan")


def spread(table: dict, key: str) -> float:
    """Largest minus smallest group value (groups where the rate is undefined left out, as MetricFrame does)."""
    vals = [r[key] for r in table.values() if not np.isnan(r[key])]
    return float(max(vals) - min(vals)) if vals else float("nan")


def _perturbed(model: ModelVersion, test: TrainingSet, seed: int) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """The test set again with noisy numeric inputs, and with one input missing (and which input that is)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    noisy = test.X.copy()
    for c in model.numeric:
        q75, q25 = np.nanpercentile(noisy[c], [75, 25])
        noisy[c] = noisy[c] + ROBUSTNESS_NOISE_SD * (q75 - q25) / 1.349 * rng.standard_normal(len(noisy))
    drop = model.numeric[0] if model.numeric else model.categorical[0]
    return drop, noisy, test.X.assign(**{drop: np.nan})


def _robustness(scores: np.ndarray, ok: np.ndarray, drop: str, test: TrainingSet, scenario: Scenario,
                base: dict) -> dict:
    """The headline metric on the noisy and the missing-input copies of the test set (scored after it)."""
    key = "mae" if scenario.task.type == "regression" else "accuracy"
    n = len(test.X)
    noisy_v, missing_v = (_metric_on(scores[part], ok[part], test.y, scenario, key)
                          for part in (slice(0, n), slice(n, 2 * n)))
    return {"metric": key, "baseline": base[key], "noise": noisy_v, "missing_" + drop: missing_v,
            "worst_drop": float(max(base[key] - v for v in (noisy_v, missing_v) if v is not None))
            if scenario.task.type == "classification" else None}


def _metric_on(scores, ok, y, scenario, key) -> float | None:
    if ok.mean() < 0.5:
        return 0.0 if key == "accuracy" else None  # most cases could not be scored at all
    pred, y = decide(scores[ok], scenario), y[ok]
    # only the headline metric is compared, so it alone is computed (the full set includes ROC AUC)
    return float(np.mean(np.abs(y - pred)) if key == "mae" else np.mean(y == pred))


def _cross_validation(model: ModelVersion, train: TrainingSet, scenario: Scenario, seed: int) -> dict:
    from sklearn.base import clone

    if scenario.task.type == "regression":
        folds, scoring = KFold(5, shuffle=True, random_state=seed), "neg_mean_absolute_error"
    else:
        folds, scoring = StratifiedKFold(5, shuffle=True, random_state=seed), "accuracy"
    scores = cross_val_score(clone(model.pipeline), train.X, train.y, cv=folds, scoring=scoring)
    return {"folds": 5, "scoring": scoring, "mean": float(scores.mean()), "std": float(scores.std())}


GATE_REASONS = ("performance", "fairness_unchecked", "fairness_limit")  # why a promotion gate can say no-go


def promotion_gate(evaluation: Evaluation, scenario: Scenario, plan) -> dict:
    """The go/no-go decision for putting a model into service."""
    gate = plan["evaluation.promotion_gate"]
    metric = plan["problem.success_metric"]
    if metric not in evaluation.metrics:
        metric = "mae" if scenario.task.type == "regression" else "accuracy"
    value = evaluation.metrics[metric]
    lower_is_better = metric in ("mae", "rmse")
    reasons, codes = [], []  # what stopped the model, in words and as one of GATE_REASONS
    if gate in ("performance", "performance_and_fairness"):
        passes = value <= scenario.policy.min_metric if lower_is_better else value >= scenario.policy.min_metric
        if not passes:
            reasons.append(f"{metric} {value:.3f} does not meet the required {scenario.policy.min_metric:g}")
            codes.append("performance")
    if gate == "performance_and_fairness":
        if not evaluation.audited:
            reasons.append("fairness cannot be checked: no per-group audit was done")
            codes.append("fairness_unchecked")
        elif not evaluation.fairness["within_limit"]:
            f = evaluation.fairness
            reasons.append(f"{f['metric']} {f['value']:.3f} exceeds the agency's limit {f['limit']:g}")
            codes.append("fairness_limit")
    return {"gate": gate, "metric": metric, "value": float(value), "go": not reasons, "reasons": reasons,
            "codes": codes}


def split_holdout(df: pd.DataFrame, seed: int, share: float = 0.25) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random holdout split (duplicates left in the data can leak across it, as in real projects)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(8,)))
    test = rng.random(len(df)) < share
    return df[~test], df[test]
