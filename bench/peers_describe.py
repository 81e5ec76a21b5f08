#!/usr/bin/env python3
"""Peer side of the describe benchmark: read a CSV and describe it with pandas or polars.

Prints one line: `<peer> <seconds> <peak RSS MiB>`. Usage: peers_describe.py pandas|polars FILE
"""
import resource
import sys
import time


def main() -> None:
    peer, path = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    if peer == "pandas":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_csv(path)
        # Every column, text included, as `batcat describe` does.
        summary = frame.describe(include="all")
    elif peer == "polars":
        import polars as pl

        start = time.perf_counter()
        frame = pl.read_csv(path)
        summary = frame.describe()
    else:
        raise SystemExit(f"unknown peer {peer!r}: use pandas or polars")
    elapsed = time.perf_counter() - start
    assert summary is not None and len(summary) > 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peer} {elapsed:.3f} {peak:.0f}")


if __name__ == "__main__":
    main()
