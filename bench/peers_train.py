#!/usr/bin/env python3
"""Peer side of the end-to-end training benchmark: pandas.read_csv then scikit-learn's
LinearRegression.fit on the same file, timed inside the process (imports not counted).
Prints `<seconds> <peak RSS MiB>`. Usage: peers_train.py FILE
"""
import resource
import sys
import time

import pandas as pd
from sklearn.linear_model import LinearRegression

start = time.perf_counter()
frame = pd.read_csv(sys.argv[1])
y = frame.pop("target").to_numpy()
model = LinearRegression().fit(frame.to_numpy(), y)
elapsed = time.perf_counter() - start
print(f"{elapsed:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
