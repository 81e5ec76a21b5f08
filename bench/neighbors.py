#!/usr/bin/env python3
"""Nearest-neighbour benchmark: BatCat's KNeighborsRegressor against scikit-learn's, in memory, side by side.

100,000 training rows x 8 features of the benchmark data, 10,000 queries, 5 neighbours, each library's default
search (BatCat: a k-d tree; scikit-learn: algorithm auto, which picks its k-d tree here). Fit (building the index)
and predict are timed separately, reading is not. Both must give the same predictions (their sums are compared).

Usage: bench/neighbors.py [--runs 3] [--file bench/data/bench-1m.csv]
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import built, parse_args, prepare  # noqa: E402


def main():
    args = parse_args(__doc__)
    prepare(args.file, products=("batcat", "batcat-bench"))
    ours = json.loads(subprocess.run([built("batcat-bench"), "neighbors", args.file, str(args.runs)],
                                     check=True, capture_output=True, text=True).stdout)
    peers = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "peers_neighbors.py"), args.file, str(args.runs)],
                                      check=True, capture_output=True, text=True).stdout)
    same = abs(ours["sum"] - peers["sum"]) <= 1e-9 * max(1.0, abs(peers["sum"]))
    print(f"k-nearest neighbours, 100,000 x 8 training rows, 10,000 queries, k = 5, best of {args.runs}")
    print(f"  batcat fit (k-d tree)      {ours['fit']:.4f} s")
    print(f"  scikit-learn fit           {peers['fit']:.4f} s")
    print(f"  batcat predict             {ours['predict']:.4f} s")
    print(f"  scikit-learn predict       {peers['predict']:.4f} s")
    print(f"  fit + predict ratio:       {(ours['fit'] + ours['predict']) / (peers['fit'] + peers['predict']):.3f}  (target < 1)")
    print(f"  same predictions:          {'yes' if same else 'NO'} (sums {ours['sum']:.9g} and {peers['sum']:.9g})")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
