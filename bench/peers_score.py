#!/usr/bin/env python3
"""Peer side of the batch-scoring benchmark: pandas.read_csv + scikit-learn predict + DataFrame.to_csv.
The model is fitted first (not timed). Prints `<seconds> <peak RSS MiB>`. Usage: peers_score.py FILE OUT
"""
import resource
import sys
import time

import pandas as pd
from sklearn.linear_model import LinearRegression

path, out = sys.argv[1], sys.argv[2]
train = pd.read_csv(path, nrows=50_000)
model = LinearRegression().fit(train.drop(columns=["target"]).to_numpy(), train["target"].to_numpy())
del train
start = time.perf_counter()
frame = pd.read_csv(path)
result = pd.DataFrame({"prediction": model.predict(frame.drop(columns=["target"]).to_numpy())})
result.to_csv(out, index_label="row")
elapsed = time.perf_counter() - start
print(f"{elapsed:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
