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


def exact_least_squares(X, y):
    """The least-squares coefficients and intercept of the float data, solved exactly in rationals."""
    from fractions import Fraction
    rows = [[Fraction(float(v)) for v in row] + [Fraction(1)] for row in X]
    target = [Fraction(float(v)) for v in y]
    size = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(size)] + [sum(r[i] * t for r, t in zip(rows, target))] for i in range(size)]
    for col in range(size):
        pivot = next(r for r in range(col, size) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(size):
            if r != col and a[r][col] != 0:
                factor = a[r][col] / a[col][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col])]
    solution = [float(a[i][size] / a[i][i]) for i in range(size)]
    return solution[:-1], solution[-1]


def defects():
    """References for the defects a new user hit first: unseen classes, tight tolerances, ill-conditioning."""
    out = {}
    # A test split with a class the model never saw: one feature, classes 0 (x < 0) and 1 (x > 0) in training;
    # the test rows add class 2 at x = 5 and 6, which the model predicts as 1.
    train_x = [-3.0, -2.5, -2.0, -1.5, -1.0, 1.0, 1.5, 2.0, 2.5, 3.0]
    train_y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    test_x = [-2.0, -1.0, 1.0, 2.0, 5.0, 6.0, 2.2]
    test_y = [0, 0, 1, 1, 2, 2, 0]
    model = linear_model.LogisticRegression().fit(np.array(train_x)[:, None], train_y)
    predicted = model.predict(np.array(test_x)[:, None]).tolist()
    labels = [0, 1, 2]
    unseen = {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y, "predicted": predicted,
              "accuracy": metrics.accuracy_score(test_y, predicted),
              "confusion": metrics.confusion_matrix(test_y, predicted, labels=labels).tolist()}
    for average in ["macro", "weighted"]:
        unseen[f"precision_{average}"] = metrics.precision_score(test_y, predicted, labels=labels, average=average, zero_division=0)
        unseen[f"recall_{average}"] = metrics.recall_score(test_y, predicted, labels=labels, average=average, zero_division=0)
        unseen[f"f1_{average}"] = metrics.f1_score(test_y, predicted, labels=labels, average=average, zero_division=0)
    out["unseen_class"] = unseen

    # L-BFGS at a tight tolerance on the scaled breast-cancer data of classification.json.
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = preprocessing.StandardScaler().fit_transform(X)
    # scikit-learn's own L-BFGS stops on its relative-reduction test about 1e-6 short of the optimum here, so the
    # reference is its Newton solver at the same tolerance, which reaches the optimum; both are kept.
    model = linear_model.LogisticRegression(C=1.0, tol=1e-10, max_iter=100_000, solver="newton-cholesky").fit(X, y)
    lbfgs = linear_model.LogisticRegression(C=1.0, tol=1e-10, max_iter=100_000).fit(X, y)
    out["tight_logistic"] = {"coefficients": listify(model.coef_[0]), "intercept": float(model.intercept_[0]),
                             "lbfgs_coefficients": listify(lbfgs.coef_[0]), "lbfgs_intercept": float(lbfgs.intercept_[0])}

    # A nearly collinear design: the condition number of XᵀX (centred) is about 1e10.
    rng = np.random.default_rng(11)
    base = rng.normal(size=(60, 2))
    third = base[:, 0] + base[:, 1] + rng.normal(scale=1e-5, size=60)
    Xc = np.column_stack([base, third])
    yc = Xc @ np.array([1.5, -2.0, 0.5]) + 3.0 + rng.normal(scale=0.1, size=60)
    centred = Xc - Xc.mean(axis=0)
    coefficients, intercept = exact_least_squares(Xc, yc)
    out["ill_conditioned"] = {"x": listify(Xc), "y": listify(yc), "coefficients": coefficients, "intercept": intercept,
                              "gram_condition": float(np.linalg.cond(centred.T @ centred))}

    # Binary metrics about another positive class (pos_label=0) than the default.
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 2, size=40)
    predicted = np.where(rng.uniform(size=40) < 0.75, truth, 1 - truth)
    out["positive_zero"] = {"truth": truth.tolist(), "predicted": predicted.tolist(),
                            "precision": metrics.precision_score(truth, predicted, pos_label=0),
                            "recall": metrics.recall_score(truth, predicted, pos_label=0),
                            "f1": metrics.f1_score(truth, predicted, pos_label=0)}
    # Gradient descent from given starting weights and intercept (np.random.seed(0); np.random.randn(2)), by the
    # textbook update θ ← θ − η (2/n) Xᵀ(Xθ − y) in numpy, row by row.
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 2, size=100)
    y = 3 * x + 2 + rng.normal(scale=0.3, size=100)
    w, b = 1.764052345967664, 0.4001572083672233
    losses = []
    for _ in range(1000):
        error = w * x + b - y
        w, b = w - 0.1 * 2 * np.mean(error * x), b - 0.1 * 2 * np.mean(error)
        losses.append(float(np.mean((w * x + b - y) ** 2)))
    out["seed004"] = {"x": listify(x), "y": listify(y), "w0": 1.764052345967664, "b0": 0.4001572083672233,
                      "learning_rate": 0.1, "iterations": 1000, "w": float(w), "b": float(b), "first_loss": losses[0],
                      "last_loss": losses[-1]}
    write("defects.json", out)


def neighbors():
    """k-nearest neighbours, brute force (the definition), on continuous data without distance ties."""
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    Xc, yc = datasets.make_classification(n_samples=190, n_features=4, n_informative=3, n_redundant=0, n_classes=3,
                                          random_state=3)
    Xr, yr = datasets.make_regression(n_samples=190, n_features=4, noise=5.0, random_state=4)
    settings = [("euclidean", 2), ("manhattan", 1), ("minkowski", 3), ("cosine", 2)]
    cases = []
    for metric, p in settings:
        for weights in ["uniform", "distance"]:
            for k in [1, 5]:
                options = {"n_neighbors": k, "weights": weights, "metric": metric, "algorithm": "brute"}
                if metric == "minkowski":
                    options["p"] = p
                c = KNeighborsClassifier(**options).fit(Xc[:150], yc[:150])
                r = KNeighborsRegressor(**options).fit(Xr[:150], yr[:150])
                cases.append({"metric": metric, "p": p, "weights": weights, "k": k,
                              "labels": [int(v) for v in c.predict(Xc[150:])], "probabilities": listify(c.predict_proba(Xc[150:])),
                              "predictions": listify(r.predict(Xr[150:]))})
    write("neighbors.json", {
        "classes": {"x": listify(Xc[:150]), "y": [int(v) for v in yc[:150]], "test": listify(Xc[150:])},
        "values": {"x": listify(Xr[:150]), "y": listify(yr[:150]), "test": listify(Xr[150:])},
        "cases": cases})


if __name__ == "__main__":
    import sys
    wanted = sys.argv[1:] or ["regression", "classification", "transformers", "metric_values", "defects", "neighbors"]
    for name in wanted:
        globals()[name]()
