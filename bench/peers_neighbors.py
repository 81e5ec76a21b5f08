#!/usr/bin/env python3
"""Peer side of the nearest-neighbour benchmark: scikit-learn's KNeighborsRegressor (5 neighbours, algorithm auto)
fitted on the first 100,000 rows (first 8 features) and predicting the next 10,000. Reading is not timed.
Prints one JSON object with the best fit and predict times over RUNS runs and a checksum of the predictions.
Usage: peers_neighbors.py FILE [RUNS]
"""
import json
import sys
import time

import pandas as pd
from sklearn.neighbors import KNeighborsRegressor


def main():
    path, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    frame = pd.read_csv(path, nrows=110_000)
    features = [c for c in frame.columns if c != "target"][:8]
    X, y = frame[features].to_numpy(), frame["target"].to_numpy()
    fit, predict, predictions = float("inf"), float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        model = KNeighborsRegressor(n_neighbors=5).fit(X[:100_000], y[:100_000])
        fitted = time.perf_counter()
        predictions = model.predict(X[100_000:110_000])
        done = time.perf_counter()
        fit, predict = min(fit, fitted - start), min(predict, done - fitted)
    print(json.dumps({"fit": fit, "predict": predict, "sum": float(predictions.sum()), "first": float(predictions[0])}))


if __name__ == "__main__":
    main()
