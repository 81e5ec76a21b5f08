#!/usr/bin/env python3
"""Reference values from scikit-learn for BatCatML's tests, written as JSON beside this script.

Every dataset is included in the fixture itself (inputs and expected outputs), so the Swift tests need
no Python. Iterative solvers are run to tight tolerances here, so that the reference is the optimum
of the objective rather than wherever a default tolerance happened to stop.

Requires: pip install scikit-learn numpy
"""
import json
import os

import numpy as np
from sklearn import datasets, linear_model, metrics, preprocessing
from sklearn.impute import SimpleImputer

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, payload):
    with open(os.path.join(HERE, name), "w") as out:
        json.dump(payload, out, sort_keys=True, separators=(",", ":"))
        out.write("\n")
    print("wrote", name)


def listify(a):
    return np.asarray(a, dtype=float).tolist()


def regression_datasets():
    X, y = datasets.load_diabetes(return_X_y=True)
    yield "diabetes", X, y
    X, y = datasets.make_regression(n_samples=200, n_features=5, noise=10.0, random_state=0)
    yield "synthetic", X, y


def regression():
    cases = []
    for name, X, y in regression_datasets():
        for estimator, label, params in [
            (linear_model.LinearRegression(), "linearRegression", {}),
            (linear_model.Ridge(alpha=1.0), "ridge", {"alpha": 1.0}),
            (linear_model.Lasso(alpha=0.1, tol=1e-12, max_iter=1_000_000), "lasso", {"alpha": 0.1}),
        ]:
            estimator.fit(X, y)
            cases.append({
                "dataset": name, "estimator": label, "params": params, "x": listify(X), "y": listify(y),
                "coefficients": listify(estimator.coef_), "intercept": float(estimator.intercept_),
                "predictions": listify(estimator.predict(X)),
            })
    write("regression.json", cases)


def classification():
    cases = []
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = preprocessing.StandardScaler().fit_transform(X)
    yield_sets = [("breast_cancer", X, y)]
    X, y = datasets.load_iris(return_X_y=True)
    yield_sets.append(("iris", X, y))
    X, y = datasets.load_wine(return_X_y=True)
    X = preprocessing.StandardScaler().fit_transform(X)
    yield_sets.append(("wine", X, y))
    for name, X, y in yield_sets:
        for c in [1.0, 0.1]:
            model = linear_model.LogisticRegression(C=c, tol=1e-10, max_iter=100_000).fit(X, y)
            cases.append({
                "dataset": name, "c": c, "x": listify(X), "y": [int(v) for v in y],
                "classes": [int(v) for v in model.classes_],
                "probabilities": listify(model.predict_proba(X)),
                "predictions": [int(v) for v in model.predict(X)],
            })
    write("classification.json", cases)


def transformers():
    X, _ = datasets.load_iris(return_X_y=True)
    X = X[:40].copy()
    X[3, 0] = np.nan
    X[7, 2] = np.nan
    X[11, 2] = np.nan
    out = {"x": [[None if v != v else v for v in row] for row in X.tolist()]}
    for strategy in ["mean", "median", "most_frequent"]:
        imputer = SimpleImputer(strategy=strategy, add_indicator=True)
        out[f"impute_{strategy}"] = listify(imputer.fit_transform(X))
    out["impute_constant"] = listify(SimpleImputer(strategy="constant", fill_value=-1.0).fit_transform(X))
    filled = SimpleImputer(strategy="mean").fit_transform(X)
    out["filled"] = listify(filled)
    out["standard"] = listify(preprocessing.StandardScaler().fit_transform(filled))
    out["minmax"] = listify(preprocessing.MinMaxScaler().fit_transform(filled))
    out["robust"] = listify(preprocessing.RobustScaler().fit_transform(filled))
    Xw, _ = datasets.load_wine(return_X_y=True)
    out["wine"] = listify(Xw)
    out["wine_standard"] = listify(preprocessing.StandardScaler().fit_transform(Xw))
    out["wine_minmax"] = listify(preprocessing.MinMaxScaler().fit_transform(Xw))
    out["wine_robust"] = listify(preprocessing.RobustScaler().fit_transform(Xw))
    colours = np.array([["red", "s"], ["blue", "m"], ["red", "l"], ["green", "m"], ["blue", "s"]], dtype=object)
    out["categories"] = colours.tolist()
    out["onehot"] = listify(preprocessing.OneHotEncoder().fit_transform(colours).toarray())
    out["ordinal"] = listify(preprocessing.OrdinalEncoder().fit_transform(colours))
    write("transformers.json", out)


def metric_values():
    rng = np.random.default_rng(3)
    truth = rng.normal(size=50)
    predicted = truth + rng.normal(scale=0.5, size=50)
    binary_truth = rng.integers(0, 2, size=60)
    binary_score = np.clip(binary_truth * 0.3 + rng.uniform(size=60) * 0.7, 0, 1)
    binary_predicted = (binary_score > 0.5).astype(int)
    multi_truth = rng.integers(0, 3, size=60)
    raw = rng.uniform(size=(60, 3)) + np.eye(3)[multi_truth] * 0.4
    multi_proba = raw / raw.sum(axis=1, keepdims=True)
    multi_predicted = multi_proba.argmax(axis=1)
    out = {
        "regression": {
            "truth": listify(truth), "predicted": listify(predicted),
            "mse": metrics.mean_squared_error(truth, predicted), "mae": metrics.mean_absolute_error(truth, predicted),
            "r2": metrics.r2_score(truth, predicted), "explained_variance": metrics.explained_variance_score(truth, predicted),
        },
        "binary": {
            "truth": binary_truth.tolist(), "predicted": binary_predicted.tolist(), "score": listify(binary_score),
            "accuracy": metrics.accuracy_score(binary_truth, binary_predicted),
            "precision": metrics.precision_score(binary_truth, binary_predicted),
            "recall": metrics.recall_score(binary_truth, binary_predicted),
            "f1": metrics.f1_score(binary_truth, binary_predicted),
            "roc_auc": metrics.roc_auc_score(binary_truth, binary_score),
            "log_loss": metrics.log_loss(binary_truth, np.column_stack([1 - binary_score, binary_score])),
            "confusion": metrics.confusion_matrix(binary_truth, binary_predicted).tolist(),
        },
        "multiclass": {
            "truth": multi_truth.tolist(), "predicted": multi_predicted.tolist(), "probabilities": listify(multi_proba),
            "accuracy": metrics.accuracy_score(multi_truth, multi_predicted),
            "f1_macro": metrics.f1_score(multi_truth, multi_predicted, average="macro"),
            "f1_weighted": metrics.f1_score(multi_truth, multi_predicted, average="weighted"),
            "precision_macro": metrics.precision_score(multi_truth, multi_predicted, average="macro"),
            "recall_weighted": metrics.recall_score(multi_truth, multi_predicted, average="weighted"),
            "roc_auc_ovr_macro": metrics.roc_auc_score(multi_truth, multi_proba, multi_class="ovr", average="macro"),
            "log_loss": metrics.log_loss(multi_truth, multi_proba),
            "confusion": metrics.confusion_matrix(multi_truth, multi_predicted).tolist(),
        },
    }
    write("metrics.json", out)


if __name__ == "__main__":
    regression()
    classification()
    transformers()
    metric_values()
