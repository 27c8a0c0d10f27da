"""Models built from the learner's plan: scikit-learn pipelines, evaluation, promotion gate."""

from sandbox.ml.evaluate import Evaluation, evaluate, promotion_gate
from sandbox.ml.train import ModelVersion, TrainingSet, feature_columns, prepare_training, train_model

__all__ = [
    "Evaluation",
    "ModelVersion",
    "TrainingSet",
    "evaluate",
    "feature_columns",
    "prepare_training",
    "promotion_gate",
    "train_model",
]
