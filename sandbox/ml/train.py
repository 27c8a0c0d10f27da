"""Build and train the scikit-learn pipeline the plan describes.

The plan decides which sources feed the model, how the data are cleaned (and so
whether missing values and legacy codes reach the model), whether protected
attributes are inputs, the algorithm, class weights and bias mitigation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from fairlearn.preprocessing import CorrelationRemover
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import ThreadpoolController

from sandbox.data.faults import feature_kinds
from sandbox.data.stream import TARGET
from sandbox.spec.scenario import Scenario

CLASSIFIERS = {"logistic_regression", "decision_tree", "random_forest", "gradient_boosting"}
REGRESSORS = {"linear_regression", "decision_tree", "random_forest", "gradient_boosting"}


@dataclass(frozen=True)
class TrainingSet:
    X: pd.DataFrame
    y: np.ndarray
    groups: pd.DataFrame
    weights: np.ndarray | None
    rows_in: int
    rows_dropped_missing: int
    rows_dropped_duplicates: int


@dataclass
class ModelVersion:
    version: int
    pipeline: Pipeline
    numeric: list[str]
    categorical: list[str]
    trained_day: int
    training_rows: int
    accepts_missing: bool
    defect: str | None = None  # a serving defect (a bad release), applied to inputs at scoring
    evaluation: dict = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def feature_columns(scenario: Scenario, plan) -> tuple[list[str], list[str]]:
    """The numeric and categorical input columns the plan's data decisions allow."""
    kinds = feature_kinds(scenario)
    wanted = set(plan["data.sources"]) | {"primary"}
    if scenario.data.synthetic is not None:
        primary = next(s.id for s in scenario.data.synthetic.sources if s.primary)
        sources = {primary if s == "primary" else s for s in wanted}
        names = [f.name for f in scenario.data.synthetic.features if f.source in sources]
    else:
        names = scenario.feature_names()
    if not plan["data.minimisation"]:
        names = [*names, *scenario.protected_names()]
        kinds = {**kinds, **{p: "categorical" for p in scenario.protected_names()}}
    return [n for n in names if kinds[n] == "numeric"], [n for n in names if kinds[n] == "categorical"]


def prepare_training(df: pd.DataFrame, scenario: Scenario, plan) -> TrainingSet:
    """Apply the plan's cleaning to labelled cases and split off what the model needs."""
    numeric, categorical = feature_columns(scenario, plan)
    cols = [*numeric, *categorical]
    rows_in = len(df)
    dups = 0
    if plan["data.cleaning"] in ("basic", "full"):
        before = len(df)
        df = df.drop_duplicates(subset=[*cols, *scenario.protected_names(), TARGET])
        dups = before - len(df)
    dropped = 0
    if not handles_missing(plan):
        complete = df[cols].notna().all(axis=1)
        dropped = int((~complete).sum())
        df = df[complete]
    y = df[TARGET].to_numpy()
    groups = df[scenario.protected_names()].reset_index(drop=True)
    weights = _reweighing(groups[scenario.policy.fairness.attribute].to_numpy(), y) \
        if plan["model.bias_mitigation"] == "reweighing" and scenario.task.type == "classification" else None
    return TrainingSet(df[cols].reset_index(drop=True), y, groups, weights, rows_in, dropped, dups)


def handles_missing(plan) -> bool:
    """Whether the pipeline takes missing values: imputed by full cleaning, or native to gradient boosting
    (unless fairlearn's CorrelationRemover, which needs complete rows, comes first)."""
    if plan["data.cleaning"] == "full":
        return True
    return plan["model.algorithm"] == "gradient_boosting" and plan["model.bias_mitigation"] != "correlation_remover"


def _reweighing(group: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Kamiran & Calders (2012): weight each (group, label) cell by P(group)P(label)/P(group, label)."""
    w = np.ones(len(y), dtype=float)
    for g in np.unique(group):
        for label in np.unique(y):
            cell = (group == g) & (y == label)
            if cell.any():
                w[cell] = (group == g).mean() * (y == label).mean() / cell.mean()
    return w


def legacy_decoder(scenario: Scenario):
    """A transformer that maps legacy codes back to canonical values and sentinels to missing."""
    maps: dict[str, dict] = {}
    sentinels: dict[str, float] = {}
    if scenario.data.synthetic is not None:
        for s in scenario.data.synthetic.sources:
            for enc in s.legacy_encodings:
                if enc.codes:
                    maps[enc.column] = {code: canonical for canonical, code in enc.codes.items()}
                if enc.sentinel is not None:
                    sentinels[enc.column] = enc.sentinel

    def decode(X: pd.DataFrame) -> pd.DataFrame:
        X = X.copy()
        for col, mapping in maps.items():
            if col in X:  # map the distinct values, not every row
                codes, uniques = pd.factorize(X[col].to_numpy(dtype=object), use_na_sentinel=True)
                decoded = np.array([mapping.get(u, u) for u in uniques] + [np.nan], dtype=object)
                X[col] = decoded[codes]
        for col, value in sentinels.items():
            if col in X:
                X[col] = X[col].where(X[col] != value, np.nan)
        return X

    return FunctionTransformer(decode, feature_names_out="one-to-one")


def build_pipeline(scenario: Scenario, plan, numeric: list[str], categorical: list[str], seed: int,
                   few_categories: bool = True) -> Pipeline:
    full = plan["data.cleaning"] == "full"
    decorrelate = plan["model.bias_mitigation"] == "correlation_remover"
    # Gradient boosting takes categories as they are (scikit-learn's native categorical support, for columns
    # of at most MAX_NATIVE_CATEGORIES) and needs no scaling; linear models, single trees and forests get
    # scaled numbers and one-hot categories.
    native = plan["model.algorithm"] == "gradient_boosting" and not decorrelate and few_categories
    # An input with no value at all (its source not integrated) stays a column, so the columns the model sees,
    # and gradient boosting's mask of which are categories, do not depend on what the imputer found.
    num_steps = ([SimpleImputer(strategy="median", keep_empty_features=True)] if full else []) + \
        ([] if native else [StandardScaler()])
    cat_steps = [_CategoryCodes()] + ([SimpleImputer(strategy="most_frequent", missing_values=MISSING_CODE,
                                                     keep_empty_features=True)] if full else [])
    if not native:
        cat_steps.append(OneHotEncoder(handle_unknown="ignore", sparse_output=False))
    columns = ColumnTransformer([("num", make_pipeline(*num_steps) if num_steps else "passthrough", numeric),
                                 ("cat", make_pipeline(*cat_steps), categorical)], verbose_feature_names_out=True)
    steps = [("decode", legacy_decoder(scenario))] if full else []
    steps.append(("columns", columns))
    if decorrelate:
        columns.set_output(transform="pandas")
        attr = scenario.policy.fairness.attribute
        if attr in categorical:
            steps.append(("decorrelate", _Decorrelator(f"cat__{attr}_")))
    mask = [False] * len(numeric) + [True] * len(categorical) if native else None
    steps.append(("model", _estimator(scenario, plan, seed, mask)))
    return Pipeline(steps)


MISSING_CODE, UNKNOWN_CODE = -1, -2
MAX_NATIVE_CATEGORIES = 250  # gradient boosting bins each category on its own, within its 255 bins


class _CategoryCodes(TransformerMixin, BaseEstimator):
    """Categories as integer codes (in sorted order of the categories seen in training; missing -1, unseen -2),
    so the imputer and one-hot encoder that follow take their fast numeric path, and gradient boosting reads
    them as categories (it treats negative codes as missing). Codes are found with pandas'
    hash tables; scikit-learn's encoders map object values one Python lookup at a time, which dominated the
    cost of scoring a block of cases."""

    def fit(self, X, y=None):
        X = pd.DataFrame(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.categories_ = [sorted(pd.unique(X[c].dropna()), key=str) for c in X.columns]
        return self

    def transform(self, X):
        X = pd.DataFrame(X, columns=self.feature_names_in_) if not isinstance(X, pd.DataFrame) else X
        out = np.empty((len(X), len(self.categories_)), dtype=np.int64)
        for j, (c, cats) in enumerate(zip(self.feature_names_in_, self.categories_, strict=True)):
            seen, uniques = pd.factorize(X[c].to_numpy(dtype=object), use_na_sentinel=True)  # missing: -1
            index = {v: i for i, v in enumerate(cats)}
            table = np.array([index.get(u, UNKNOWN_CODE) for u in uniques] + [MISSING_CODE], dtype=np.int64)
            out[:, j] = table[seen]
        return out

    def get_feature_names_out(self, input_features=None):
        return np.asarray(self.feature_names_in_, dtype=object)


class _Decorrelator(CorrelationRemover):
    """fairlearn's CorrelationRemover, told the one-hot columns of the protected attribute by prefix."""

    def __init__(self, prefix: str = "", alpha: float = 1.0):
        self.prefix = prefix
        super().__init__(sensitive_feature_ids=[], alpha=alpha)

    def fit(self, X, y=None):
        self.sensitive_feature_ids = [c for c in X.columns if c.startswith(self.prefix)]
        return super().fit(X, y)

    def transform(self, X):
        return super().transform(X)


# Small boosted trees: on the few thousand cases a retrain sees, 15 rounds of 10-leaf trees score
# within about 0.005 AUC of scikit-learn's defaults (100 rounds of 31 leaves) on every bundled
# scenario, and each round's cost is mostly fixed per tree, so fitting and scoring stay cheap.
_BOOSTING = {"max_iter": 15, "learning_rate": 0.25, "max_leaf_nodes": 10}


def _estimator(scenario: Scenario, plan, seed: int, categorical: list[bool] | None = None):
    algo = plan["model.algorithm"]
    weight = "balanced" if plan["model.class_weight"] == "balanced" else None
    if scenario.task.type == "regression":
        return {"linear_regression": lambda: Ridge(alpha=1.0),
                "logistic_regression": lambda: Ridge(alpha=1.0),
                "decision_tree": lambda: DecisionTreeRegressor(max_depth=8, random_state=seed),
                "random_forest": lambda: RandomForestRegressor(n_estimators=60, max_depth=10, random_state=seed),
                "gradient_boosting": lambda: HistGradientBoostingRegressor(
                    **_BOOSTING, categorical_features=categorical, random_state=seed),
                }[algo]()
    return {"logistic_regression": lambda: LogisticRegression(max_iter=500, class_weight=weight),
            "linear_regression": lambda: LogisticRegression(max_iter=500, class_weight=weight),
            "decision_tree": lambda: DecisionTreeClassifier(max_depth=6, class_weight=weight, random_state=seed),
            "random_forest": lambda: RandomForestClassifier(n_estimators=60, max_depth=8, class_weight=weight,
                                                            random_state=seed),
            "gradient_boosting": lambda: HistGradientBoostingClassifier(
                **_BOOSTING, categorical_features=categorical, class_weight=weight, random_state=seed),
            }[algo]()


def train_model(ts: TrainingSet, scenario: Scenario, plan, version: int, day: int, seed: int) -> ModelVersion:
    kinds = feature_kinds_all(scenario)
    numeric = [c for c in ts.X.columns if kinds.get(c) == "numeric"]
    categorical = [c for c in ts.X.columns if c not in numeric]
    few = all(ts.X[c].nunique() <= MAX_NATIVE_CATEGORIES for c in categorical)
    pipe = build_pipeline(scenario, plan, numeric, categorical, seed, few)
    fit_params = {"model__sample_weight": ts.weights} if ts.weights is not None else {}
    # On a few thousand rows one thread fits faster: with two, scikit-learn's threaded binning
    # step waits on its workers in 10 ms polls. (The fitted model is the same either way.)
    with _threadpools().limit(limits=1, user_api="openmp"):
        pipe.fit(ts.X, ts.y, **fit_params)
    accepts_missing = handles_missing(plan)
    return ModelVersion(version, pipe, numeric, categorical, day, len(ts.X), accepts_missing)


def _threadpools() -> ThreadpoolController:
    """The process's thread pools, found once (finding them scans the loaded libraries: milliseconds a call)."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS


_THREADPOOLS: ThreadpoolController | None = None


def feature_kinds_all(scenario: Scenario) -> dict[str, str]:
    return {**feature_kinds(scenario), **{p: "categorical" for p in scenario.protected_names()}}


def predict_scores(model: ModelVersion, X: pd.DataFrame, task_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Scores for the rows the model can take, and a mask of the rows it could score."""
    X = X[model.columns]
    if model.defect in X.columns:  # the bad release reads this input as zero (a model without it is unharmed)
        X = X.assign(**{model.defect: 0.0})
    ok = np.ones(len(X), dtype=bool)
    if not model.accepts_missing and model.numeric:
        ok = ~X[model.numeric].isna().any(axis=1).to_numpy()
    scores = np.full(len(X), np.nan)
    if ok.any():
        Xs = X[ok] if not ok.all() else X
        if task_type == "regression":
            scores[ok] = model.pipeline.predict(Xs)
        else:
            scores[ok] = model.pipeline.predict_proba(Xs)[:, 1]
    return scores, ok
