#!/usr/bin/env python3
"""Writes the benchmark CSV: 1,000,000 rows x 20 float features (f0..f19) + a target, fixed seed.

Features are standard normal, written with six decimals; the target is a fixed linear combination
of the features plus noise. About 200 MB. Usage: bench/make-data.py [OUT] [--rows N]

With --mixed it writes a file of every column type instead (about 110 MB for 1,000,000 rows): an
integer id, a text category (5 values), a boolean, an integer count, a date and 8 float features.
"""
import argparse
import os

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", default=os.path.join(os.path.dirname(__file__), "data", "bench-1m.csv"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument("--mixed", action="store_true", help="a file of every column type")
    args = parser.parse_args()
    if args.mixed:
        write_mixed(args)
        return

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


def write_mixed(args) -> None:
    rng = np.random.default_rng(args.seed)
    categories = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        out.write("id,category,flag,count,day," + ",".join(f"x{i}" for i in range(8)) + "\n")
        block = 100_000
        for start in range(0, args.rows, block):
            n = min(block, args.rows - start)
            days = np.datetime64("2024-01-01") + rng.integers(0, 700, n).astype("timedelta64[D]")
            columns = [
                np.arange(start, start + n).astype(str), categories[rng.integers(0, 5, n)],
                np.where(rng.random(n) < 0.5, "true", "false"), rng.integers(0, 1001, n).astype(str), days.astype(str),
            ] + [np.char.mod("%.6f", rng.normal(0, 1, n)) for _ in range(8)]
            out.writelines(",".join(row) + "\n" for row in zip(*columns))
    print(f"wrote {args.rows} rows to {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
