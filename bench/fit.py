#!/usr/bin/env python3
"""Benchmarks for BatCatML, each BatCat beside its peer in one run, printing ratios:

1. In-memory LinearRegression fit on the 1,000,000 x 20 benchmark data: BatCat's normal solver against
   scikit-learn's LinearRegression.fit and numpy's normal equations; BatCat's gradient descent
   (100 iterations) against a vectorised numpy gradient descent. Reading the data is not timed.
2. `batcat train` end to end (read the CSV, fit, evaluate, write the artifact; the whole process)
   against pandas.read_csv + scikit-learn's fit (timed inside Python, imports not counted).

Usage: bench/fit.py [--runs 3] [--file bench/data/bench-1m.csv]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from common import built, measure, parse_args, prepare  # noqa: E402


def main():
    args = parse_args(__doc__)
    binary = prepare(args.file, products=("batcat", "batcat-bench"))

    ours = json.loads(subprocess.run([built("batcat-bench"), args.file, str(args.runs)],
                                     check=True, capture_output=True, text=True).stdout)
    peers = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "peers_fit.py"), args.file, str(args.runs)],
                                      check=True, capture_output=True, text=True).stdout)
    print(f"in-memory fit, {ours['rows']:,} rows x {ours['features']} features, best of {args.runs}")
    print(f"  batcat normal            {ours['normal']:.4f} s   (R² {ours['r2']:.6f})")
    print(f"  scikit-learn fit         {peers['sklearn']:.4f} s")
    print(f"  numpy normal equations   {peers['numpyNormal']:.4f} s")
    print(f"  batcat gradient descent  {ours['gradientDescent']:.4f} s   (100 iterations)")
    print(f"  numpy gradient descent   {peers['numpyGradientDescent']:.4f} s   (100 iterations)")
    print(f"  normal / scikit-learn:   {ours['normal'] / peers['sklearn']:.3f}  (target <= 0.25)")
    print(f"  normal / numpy normal:   {ours['normal'] / peers['numpyNormal']:.3f}  (target <= 1)")
    print(f"  descent / numpy descent: {ours['gradientDescent'] / peers['numpyGradientDescent']:.3f}  (target <= 0.3)")

    spec = os.path.join(HERE, "train-bench.yaml")
    # The two take turns, so a stretch where the machine runs slow falls on both rather than on whichever ran then.
    batcat, python = float("inf"), float("inf")
    for _ in range(args.runs):
        batcat = min(batcat, measure([binary, "train", spec, "-q"])[0])
        python = min(python, float(subprocess.run([sys.executable, os.path.join(HERE, "peers_train.py"), args.file], check=True,
                                                  capture_output=True, text=True).stdout.split()[0]))
    print("end to end: read CSV + fit (+ BatCat: evaluate, write artifact)")
    print(f"  batcat train             {batcat:.3f} s")
    print(f"  pandas + scikit-learn    {python:.3f} s")
    print(f"  batcat / peers:          {batcat / python:.3f}  (target <= 0.25)")


if __name__ == "__main__":
    main()
