#!/usr/bin/env python3
"""Writes the benchmark CSV: 1,000,000 rows x 20 float features (f0..f19) + a target, fixed seed.

Features are standard normal, written with six decimals; the target is a fixed linear combination
of the features plus noise. About 200 MB. Usage: bench/make-data.py [OUT] [--rows N]
"""
import argparse
import os

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default=os.path.join(os.path.dirname(__file__), "data", "bench-1m.csv"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    features = 20
    weights = rng.normal(0, 1, features)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    header = ",".join([f"f{i}" for i in range(features)] + ["target"])
    with open(args.out, "w") as out:
        out.write(header + "\n")
        block = 100_000
        for start in range(0, args.rows, block):
            n = min(block, args.rows - start)
            x = rng.normal(0, 1, (n, features))
            y = x @ weights + 3.0 + rng.normal(0, 0.5, n)
            np.savetxt(out, np.column_stack([x, y]), fmt="%.6f", delimiter=",")
    print(f"wrote {args.rows} rows to {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
