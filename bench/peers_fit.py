#!/usr/bin/env python3
"""Peer side of the fit benchmark: scikit-learn's LinearRegression.fit, numpy's normal equations and
a vectorised numpy gradient descent (100 iterations, learning rate 0.1) on the same in-memory data.

Reading the CSV is not timed. Prints one JSON object with the best time of each over RUNS runs.
Usage: peers_fit.py FILE [RUNS]
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression


def best(runs, body):
    fastest = float("inf")
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = body()
        fastest = min(fastest, time.perf_counter() - start)
    return fastest, result


def normal_equations(X, y):
    mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - mean, y - y_mean
    w = np.linalg.solve(Xc.T @ Xc, Xc.T @ yc)
    return w, y_mean - mean @ w


def gradient_descent(X, y, rate=0.1, iterations=100):
    n, p = X.shape
    w, b = np.zeros(p), 0.0
    for _ in range(iterations):
        residual = X @ w + b - y
        w -= rate * 2 / n * (X.T @ residual)
        b -= rate * 2 / n * residual.sum()
    return w, b


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    frame = pd.read_csv(path)
    y = frame.pop("target").to_numpy()
    X = frame.to_numpy()
    sklearn_s, _ = best(runs, lambda: LinearRegression().fit(X, y))
    numpy_s, _ = best(runs, lambda: normal_equations(X, y))
    gd_s, _ = best(runs, lambda: gradient_descent(X, y))
    print(json.dumps({"sklearn": sklearn_s, "numpyNormal": numpy_s, "numpyGradientDescent": gd_s}))


if __name__ == "__main__":
    main()
