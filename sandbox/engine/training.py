"""Training and evaluating model versions inside a run (the first one and every retrain)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sandbox.data.randomness import model_seed
from sandbox.data.stream import DAY, TARGET
from sandbox.ml.evaluate import evaluate, promotion_gate, split_holdout, task_metrics
from sandbox.ml.train import ModelVersion, predict_scores, prepare_training, train_model


def train_version(world, df: pd.DataFrame, day: int, version: int) -> tuple[ModelVersion, dict]:
    """Clean, split, train and evaluate; returns the model and its evaluation record (with the gate)."""
    seed = model_seed(world.seed, version)
    train_df, test_df = split_holdout(df, seed)
    train = prepare_training(train_df, world.sc, world.plan)
    test = prepare_training(test_df, world.sc, world.plan)
    model = train_model(train, world.sc, world.plan, version, day, seed)
    ev = evaluate(model, test, world.sc, world.plan, train, seed)
    gate = promotion_gate(ev, world.sc, world.plan)
    record = {"version": version, "day": day, "training_rows": len(train.X), "test_rows": len(test.X),
              "rows_in": train.rows_in + test.rows_in,
              "rows_dropped_missing": train.rows_dropped_missing + test.rows_dropped_missing,
              "rows_dropped_duplicates": train.rows_dropped_duplicates + test.rows_dropped_duplicates,
              **ev.to_dict(), "gate": gate}
    key = "mae" if world.sc.task.type == "regression" else "accuracy"
    model.evaluation = {"baseline": ev.metrics[key], "test": test, "test_scores": ev.test_scores, "frame": df}
    return model, record


def champion_on(world, test) -> float | None:
    """The current champion's metric on a challenger's test set (champion–challenger comparison)."""
    if world.deployment.champion is None:
        return None
    scores, ok = predict_scores(world.deployment.champion, test.X, world.sc.task.type)
    if not ok.any():
        return None
    from sandbox.ml.evaluate import decide

    pred = decide(scores[ok], world.sc)
    key = "mae" if world.sc.task.type == "regression" else "accuracy"
    return task_metrics(test.y[ok], pred, scores[ok], world.sc.task.type)[key]


def labelled_window(world, now: float) -> pd.DataFrame:
    """Cases whose labels are known by ``now`` within the plan's data window, most recent first-capped."""
    window = world.plan["retraining.data_window_days"]
    parts = []
    for d, log in world.records.logs.items():
        if d < now - window:
            continue
        truth = log.label_day <= now
        fed_back = (log.feedback_day <= now) & ~truth
        known = truth | fed_back
        if not known.any():
            continue
        part = {c: v[known] for c, v in log.cols.items()}
        # caseworkers' decisions stand in for labels that have not arrived yet
        part[TARGET] = np.where(fed_back[known], log.final[known], log.y[known]).astype(log.y.dtype)
        parts.append(part)
    history = world.deployment.history
    hist = history[history[DAY] >= now - window]
    if parts:  # one frame from the days' arrays (a frame per day costs more than the data)
        recent = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
        df = pd.concat([hist, recent], ignore_index=True)
    else:
        df = hist
    cap = int(world.sc.data.synthetic.history_cases if world.sc.data.synthetic else len(history))
    if len(df) > cap:
        df = df.sort_values(DAY, kind="stable").iloc[-cap:]
    return df.reset_index(drop=True)
